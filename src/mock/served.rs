//! The rehearsal record and report. Every exchange becomes one JSON Lines record in format 5
//! (`{"ts","method","url","status","headers","body","request","request_id"}`, no key, no
//! prompt or answer text), written to `--record PATH` when asked and always fed through
//! `diagnose`'s engine ([`crate::diagnose::Analyzer`]) on a thread of its own: a plain
//! success directly (what the light parser would read from its record), anything else
//! through its record and the full parser.
//! At the end the diagnosis is wrapped with what only the server sees: statuses, refusals by
//! kind and whether the client backed off after overloads.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
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

impl Served {
    /// A success without anything a classifier looks at: a status below 400, no error event,
    /// no rejected subscription window, no error text. Such an exchange is what
    /// [`jsonl::plain_success`] passes on its record.
    fn plain_success(&self) -> bool {
        let plain = |s: &str| {
            let b = s.as_bytes();
            !["rror", "verloaded", "ejected"]
                .iter()
                .any(|w| memchr::memmem::find(b, w.as_bytes()).is_some())
        };
        (100..400).contains(&self.status)
            && self.outcome == Answered::Ok
            && matches!(self.body, RecBody::None | RecBody::Json(_))
            && self.headers.iter().all(|(k, v)| plain(k) && plain(v))
            && self.model.as_deref().is_none_or(plain)
            && plain(&self.path)
            && plain(&self.method)
    }

    /// What [`jsonl::parse_light`] reads from this exchange's record, without the record.
    fn exchange(&self) -> jsonl::Exchange {
        use crate::capture::jsonl::LIGHT_DIMS;
        // The record's headers are an object: the last of a repeated name wins, in name order.
        let headers: BTreeMap<&str, &str> =
            self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut x = jsonl::Exchange {
            time: Some(self.ts.trunc_subsecs(3)),
            status: Some(self.status),
            ..Default::default()
        };
        const P: &str = "anthropic-ratelimit-";
        for (k, v) in headers {
            if let Some(u) = k.strip_prefix(P).and_then(|r| r.strip_prefix("unified-")) {
                if !u.is_empty() {
                    x.unified.set(k, v);
                }
            } else if let Some(rest) = k.strip_prefix(P) {
                let num = || {
                    if !v.is_empty() && v.len() < 20 && v.bytes().all(|b| b.is_ascii_digit()) {
                        v.parse().ok()
                    } else {
                        crate::capture::headers::parse_int(v)
                    }
                };
                let at = |suffix: &str| {
                    rest.strip_suffix(suffix)
                        .and_then(|d| LIGHT_DIMS.iter().position(|n| *n == d))
                };
                if let Some(i) = at("-limit") {
                    x.dims[i].0 = num();
                } else if let Some(i) = at("-remaining") {
                    x.dims[i].1 = num();
                }
            } else if k == "anthropic-organization-id" {
                x.org_id = Some(v.trim().to_string());
            } else if k == "anthropic-workspace-id" {
                x.workspace_id = Some(v.trim().to_string());
            }
        }
        let body = match &self.body {
            RecBody::Json(Value::Object(b)) => Some(b),
            _ => None,
        };
        x.output_tokens = body
            .and_then(|b| b.get("usage"))
            .and_then(|u| u.get("output_tokens"))
            .and_then(Value::as_u64);
        // As the record: a `request` object (written when the model is known) wins.
        x.model = if self.model.is_some() {
            x.max_tokens = self.max_tokens;
            x.input_tokens = self.input_tokens;
            self.model.clone()
        } else {
            body.and_then(|b| b.get("model"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        x
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

/// How long the recorder lets exchanges gather after it wakes for one.
const GATHER: std::time::Duration = std::time::Duration::from_millis(2);

impl Recorder {
    fn take(&mut self, ex: Served) {
        self.requests += 1;
        self.line += 1;
        *self.statuses.entry(ex.status).or_default() += 1;
        if let Some(r) = ex.outcome.refusal() {
            *self.refusals.entry(r).or_default() += 1;
        }
        self.track_backoff(&ex);
        let direct = ex.plain_success().then(|| ex.exchange());
        if direct.is_none() || self.out.is_some() {
            self.buf.clear();
            if serde_json::to_writer(&mut self.buf, &ex.to_record()).is_err() {
                return;
            }
        }
        if let Some(out) = &mut self.out
            && self.write_error.is_none()
        {
            let r = out.write_all(&self.buf).and_then(|_| out.write_all(b"\n"));
            if let Err(e) = r {
                self.write_error = Some(e);
            }
        }
        // A plain success goes to the analyzer as it is, the fields `diagnose`'s light parser
        // would read from its record; anything else through the record and the same full
        // parser and classifier as `diagnose`.
        let ev = match direct {
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
                // Under load, let the next exchanges gather while this thread sleeps: one
                // wake-up per batch instead of per request (an idle server blocks above).
                std::thread::sleep(GATHER);
                while let Ok(ex) = rx.try_recv() {
                    r.take(ex);
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn served(status: u16, headers: &[(&'static str, &str)], body: RecBody) -> Served {
        Served {
            ts: "2026-11-30T03:01:02.123456789Z".parse().unwrap(),
            at: 1.5,
            method: "POST".into(),
            path: "/v1/messages".into(),
            status,
            headers: headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            body,
            model: Some("claude-sonnet-4-5".into()),
            max_tokens: Some(1024),
            input_tokens: Some(1200),
            stream: false,
            request_id: "req_011CMock".into(),
            client: 7,
            outcome: Answered::Ok,
        }
    }

    /// The analyzer is fed a plain success's fields directly: they must be what `diagnose`'s
    /// light parser reads from the same exchange's record.
    #[test]
    fn a_plain_success_feeds_the_analyzer_what_its_record_says() {
        let usage = json!({"type": "message", "model": "claude-sonnet-4-5-20250929",
            "usage": {"input_tokens": 1200, "output_tokens": 57}});
        let api = [
            ("anthropic-organization-id", "org-mock"),
            ("anthropic-workspace-id", " wrkspc_01 "),
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2026-11-30T03:01:03Z"),
            ("anthropic-ratelimit-input-tokens-limit", "30000"),
            ("anthropic-ratelimit-input-tokens-remaining", "28,800"),
            ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ("anthropic-ratelimit-output-tokens-remaining", "7943"),
            ("anthropic-ratelimit-tokens-limit", "38000"),
            ("anthropic-ratelimit-tokens-remaining", "36743"),
            ("anthropic-ratelimit-requests-limit", "60"),
            ("request-id", "req_011CMock"),
            ("content-type", "application/json"),
        ];
        let sub = [
            ("anthropic-ratelimit-unified-status", "allowed_warning"),
            ("anthropic-ratelimit-unified-5h-utilization", "0.92"),
            ("anthropic-ratelimit-unified-5h-status", "allowed_warning"),
            ("anthropic-ratelimit-unified-reset", "1764471600"),
            ("anthropic-ratelimit-unified-7d-status", "allowed"),
        ];
        let mut cases = vec![
            served(200, &api, RecBody::Json(usage.clone())),
            served(200, &sub, RecBody::Json(usage.clone())),
            served(200, &[], RecBody::None),
            served(
                200,
                &api[..3],
                RecBody::Json(json!({"type": "message", "model": null, "usage": null})),
            ),
        ];
        let mut no_model = served(200, &api, RecBody::Json(usage));
        no_model.model = None;
        cases.push(no_model);
        let mut models = served(200, &[], RecBody::None);
        models.method = "GET".into();
        models.path = "/v1/models".into();
        models.model = None;
        cases.push(models);
        for ex in &cases {
            assert!(ex.plain_success(), "{ex:?}");
            let line = serde_json::to_vec(&ex.to_record()).unwrap();
            assert!(jsonl::plain_success(&line));
            let mut want = jsonl::parse_light(&line).expect("a light record");
            let mut got = ex.exchange();
            want.unified.0.sort();
            got.unified.0.sort();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(&line));
        }
    }

    #[test]
    fn refusals_and_rejections_go_through_the_record() {
        let mut limit = served(429, &[("retry-after", "3")], RecBody::None);
        limit.outcome = Answered::Limit(Dim::Requests);
        let stream = served(200, &[], RecBody::Text("event: error\ndata: {}".into()));
        let rejected = served(
            200,
            &[("anthropic-ratelimit-unified-status", "rejected")],
            RecBody::None,
        );
        for ex in [limit, stream, rejected] {
            assert!(!ex.plain_success(), "{ex:?}");
        }
    }
}
