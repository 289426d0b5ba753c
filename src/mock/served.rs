//! The rehearsal record and report. Every exchange becomes one JSON Lines record in format 5
//! (`{"ts","method","url","status","headers","body","request","request_id"}`, no key, no
//! prompt or answer text), written to `--record PATH` when asked and always fed, line by
//! line, through `diagnose`'s engine ([`crate::diagnose::Analyzer`]) on a thread of its own.
//! At the end the diagnosis is wrapped with what only the server sees: statuses, refusals by
//! kind and whether the client backed off after overloads.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::limiter::Dim;
use crate::capture::jsonl;
use crate::diagnose::{Analyzer, Diagnosis, Event, Filter, FindingKind};

/// What happened to a request, as the server decided it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answered {
    Ok,
    Limit(Dim),
    Ramp,
    Overload529,
    Overload500,
    OverloadStream,
    Spend,
    Subscription,
    Auth,
    BadRequest,
    NotFound,
}

impl Answered {
    /// The name in the report (`refusals`), `None` for answers that are no refusal.
    pub fn refusal(self) -> Option<&'static str> {
        Some(match self {
            Answered::Ok => return None,
            Answered::Limit(d) => d.class(),
            Answered::Ramp => "acceleration",
            Answered::Overload529 => "overload_529",
            Answered::Overload500 => "overload_500",
            Answered::OverloadStream => "overload_in_stream",
            Answered::Spend => "spend",
            Answered::Subscription => "subscription_cap",
            Answered::Auth => "authentication",
            Answered::BadRequest => "bad_request",
            Answered::NotFound => "not_found",
        })
    }

    fn is_overload(self) -> bool {
        matches!(
            self,
            Answered::Overload529 | Answered::Overload500 | Answered::OverloadStream
        )
    }
}

/// A recorded body.
#[derive(Debug, Clone)]
pub enum RecBody {
    None,
    Json(Value),
    Text(String),
}

/// One exchange, as the server hands it to the recorder.
#[derive(Debug, Clone)]
pub struct Served {
    pub ts: DateTime<Utc>,
    /// Seconds since the server started.
    pub at: f64,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: RecBody,
    pub model: Option<String>,
    pub max_tokens: Option<u64>,
    pub input_tokens: Option<u64>,
    pub stream: bool,
    pub request_id: String,
    /// A hash of the key and the request body (never the key): the same value for a retry.
    pub client: u64,
    pub outcome: Answered,
}

impl Served {
    /// The format-5 JSON Lines record.
    pub fn to_record(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            headers.insert((*k).to_string(), Value::String(v.clone()));
        }
        let mut rec = json!({
            "ts": self.ts.to_rfc3339_opts(SecondsFormat::Millis, true),
            "method": self.method,
            "url": self.path,
            "status": self.status,
            "headers": headers,
        });
        match &self.body {
            RecBody::None => {}
            RecBody::Json(v) => rec["body"] = v.clone(),
            RecBody::Text(s) => rec["body"] = Value::String(s.clone()),
        }
        if self.model.is_some() {
            let mut req = json!({"model": self.model, "stream": self.stream});
            if let Some(m) = self.max_tokens {
                req["max_tokens"] = json!(m);
            }
            if let Some(n) = self.input_tokens {
                req["input_tokens"] = json!(n);
            }
            rec["request"] = req;
        }
        rec["request_id"] = json!(self.request_id);
        rec
    }
}

/// Retries after an overload: did the client wait?
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Backoff {
    /// Overloaded answers (529, 500 "Overloaded", errors inside 200 streams).
    pub overloads: u64,
    /// Requests that repeated an overloaded one (same key and the same request body).
    pub retries: u64,
    /// Of those, sent less than [`NO_BACKOFF_MS`] after the overload.
    pub without_backoff: u64,
    /// The quickest retry, in milliseconds.
    pub quickest_retry_ms: Option<u64>,
}

/// A retry this soon after an overload did not back off (the SDKs wait at least ~375 ms).
pub const NO_BACKOFF_MS: u64 = 250;

/// The rehearsal report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Report {
    pub scenario: String,
    /// Seconds the server ran.
    pub duration_s: f64,
    pub requests: u64,
    /// Answers per HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Refusals by kind (`rpm`, `itpm`, `otpm`, `daily`, `acceleration`, `overload_529`,
    /// `overload_500`, `overload_in_stream`, `spend`, `subscription_cap`, ...).
    pub refusals: BTreeMap<&'static str, u64>,
    pub backoff: Backoff,
    /// What the client did wrong: `ignored_retry_after`, `retry_storm`,
    /// `no_backoff_after_overload`. Empty: it behaved.
    pub client_problems: Vec<String>,
    /// The record file, when `--record` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// `diagnose`'s analysis of the same exchanges.
    pub diagnosis: Diagnosis,
}

/// The recorder thread's state.
struct Recorder {
    out: Option<BufWriter<std::fs::File>>,
    analyzer: Analyzer,
    source: Arc<str>,
    line: u64,
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    refusals: BTreeMap<&'static str, u64>,
    backoff: Backoff,
    overloaded: HashMap<(u64, String, Option<u64>, Option<u64>), f64>,
    buf: Vec<u8>,
    write_error: Option<std::io::Error>,
}

const MAX_OPEN: usize = 4096;

impl Recorder {
    fn take(&mut self, ex: Served) {
        self.requests += 1;
        self.line += 1;
        *self.statuses.entry(ex.status).or_default() += 1;
        if let Some(r) = ex.outcome.refusal() {
            *self.refusals.entry(r).or_default() += 1;
        }
        self.track_backoff(&ex);
        self.buf.clear();
        let rec = ex.to_record();
        if serde_json::to_writer(&mut self.buf, &rec).is_err() {
            return;
        }
        if let Some(out) = &mut self.out
            && self.write_error.is_none()
        {
            let r = out.write_all(&self.buf).and_then(|_| out.write_all(b"\n"));
            if let Err(e) = r {
                self.write_error = Some(e);
            }
        }
        // The same two paths as `diagnose`: plain successes through the light parser.
        let light = jsonl::plain_success(&self.buf)
            .then(|| jsonl::parse_light(&self.buf))
            .flatten();
        let ev = match light {
            Some(x) => Event::from_light(self.line, x),
            None => match jsonl::parse_full(&self.source, self.line, &self.buf, false) {
                jsonl::Parsed::Capture(c) => Event::from_capture(&c),
                _ => return,
            },
        };
        self.analyzer.push(ev);
    }

    fn track_backoff(&mut self, ex: &Served) {
        if ex.path != "/v1/messages" {
            return;
        }
        let key = (
            ex.client,
            ex.model.clone().unwrap_or_default(),
            ex.input_tokens,
            ex.max_tokens,
        );
        if let Some(t) = self.overloaded.remove(&key) {
            let ms = ((ex.at - t).max(0.0) * 1000.0) as u64;
            self.backoff.retries += 1;
            if ms < NO_BACKOFF_MS {
                self.backoff.without_backoff += 1;
            }
            self.backoff.quickest_retry_ms =
                Some(self.backoff.quickest_retry_ms.map_or(ms, |q| q.min(ms)));
        }
        if ex.outcome.is_overload() {
            self.backoff.overloads += 1;
            if self.overloaded.len() >= MAX_OPEN {
                self.overloaded.clear();
            }
            self.overloaded.insert(key, ex.at);
        }
    }
}

/// Starts the recorder thread: returns the sender the server uses and a handle that yields the
/// report parts when the sender side is dropped.
pub fn start(
    path: Option<&std::path::Path>,
) -> anyhow::Result<(mpsc::Sender<Served>, std::thread::JoinHandle<Finished>)> {
    let out = match path {
        Some(p) => Some(BufWriter::with_capacity(
            256 * 1024,
            std::fs::File::create(p).map_err(|e| {
                crate::exit::UsageError(format!("cannot write {}: {e}", p.display()))
            })?,
        )),
        None => None,
    };
    let source: Arc<str> = Arc::from(
        path.map_or("mock".to_string(), |p| p.display().to_string())
            .as_str(),
    );
    let (tx, mut rx) = mpsc::channel::<Served>(8192);
    let handle = std::thread::Builder::new()
        .name("mock-recorder".into())
        .spawn(move || {
            let mut analyzer = Analyzer::new(Filter::default());
            analyzer.begin_source(&source);
            let mut r = Recorder {
                out,
                analyzer,
                source,
                line: 0,
                requests: 0,
                statuses: BTreeMap::new(),
                refusals: BTreeMap::new(),
                backoff: Backoff::default(),
                overloaded: HashMap::new(),
                buf: Vec::with_capacity(4096),
                write_error: None,
            };
            while let Some(ex) = rx.blocking_recv() {
                r.take(ex);
            }
            if let Some(out) = &mut r.out
                && r.write_error.is_none()
                && let Err(e) = out.flush()
            {
                r.write_error = Some(e);
            }
            r.analyzer.scan_totals(r.requests, 0, 1, 0);
            Finished {
                requests: r.requests,
                statuses: r.statuses,
                refusals: r.refusals,
                backoff: r.backoff,
                diagnosis: r.analyzer.finish(),
                write_error: r.write_error.map(|e| e.to_string()),
            }
        })?;
    Ok((tx, handle))
}

/// What the recorder thread hands back.
pub struct Finished {
    pub requests: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub refusals: BTreeMap<&'static str, u64>,
    pub backoff: Backoff,
    pub diagnosis: Diagnosis,
    pub write_error: Option<String>,
}

impl Finished {
    pub fn into_report(self, scenario: &str, duration_s: f64, record: Option<String>) -> Report {
        let mut problems = Vec::new();
        for f in &self.diagnosis.findings {
            if matches!(
                f.kind,
                FindingKind::IgnoredRetryAfter | FindingKind::RetryStorm
            ) {
                problems.push(f.kind.as_str().to_string());
            }
        }
        if self.backoff.without_backoff > 0 {
            problems.push("no_backoff_after_overload".to_string());
        }
        Report {
            scenario: scenario.to_string(),
            duration_s: (duration_s * 10.0).round() / 10.0,
            requests: self.requests,
            statuses: self.statuses,
            refusals: self.refusals,
            backoff: self.backoff,
            client_problems: problems,
            record,
            diagnosis: self.diagnosis,
        }
    }
}
