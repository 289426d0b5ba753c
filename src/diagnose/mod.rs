//! The incident analysis behind `claude-429 diagnose`: ranked causes, a per-minute timeline
//! and client-behaviour findings, computed in one streaming pass with bounded memory.
//!
//! [`Analyzer`] takes [`Event`]s in input order (successes too) and keeps only counters,
//! per-minute buckets and a few examples; [`Analyzer::finish`] turns them into a
//! [`Diagnosis`], the data every renderer (terminal, JSON, markdown) reads.

pub mod causes;
pub mod event;
pub mod findings;
pub mod headroom;
pub mod live;
pub mod seen;
pub mod timeline;
pub mod window;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::classify::summary::Summary;
use crate::classify::{Class, Confidence};

pub use causes::Cause;
pub use event::{Event, Events};
pub use findings::{Finding, FindingKind};
pub use live::Live;
pub use window::Window;

/// Everything `diagnose` found: the data behind every output format.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Diagnosis {
    /// Causes, most explanatory first (see [`causes`] for the ranking rule).
    pub causes: Vec<Cause>,
    /// Requests, successes and failures per minute (UTC), minutes with traffic only.
    pub timeline: Vec<Minute>,
    /// Client behaviour that made the incident worse, each with its evidence.
    pub findings: Vec<Finding>,
    /// Counts over the run.
    pub summary: DiagSummary,
    /// With `--live`: the configured limits and a probe, compared with the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Live>,
    /// The `anthropic-ratelimit-*-limit` values seen per model class (for `--live`; in the
    /// JSON under `live.from_logs`).
    #[serde(skip)]
    pub limits_seen: Vec<seen::SeenClass>,
    /// The lowest `-remaining` and the `-limit` per time bucket, per model class and
    /// dimension (for the HTML report's headroom charts; not in the JSON).
    #[serde(skip)]
    pub headroom: Vec<headroom::Series>,
    /// The inputs read, in order (for the HTML report's inputs section; not in the JSON).
    #[serde(skip)]
    pub inputs: Vec<String>,
}

impl Diagnosis {
    /// Rate-limit failures were found (exit status 1).
    pub fn found_rate_limits(&self) -> bool {
        self.summary.counts.found_rate_limits()
    }
}

/// One minute of the timeline (or, in a long log, an hour or a day folded into one entry:
/// see `width_minutes`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Minute {
    /// Start of the minute (RFC 3339, UTC).
    pub minute: String,
    /// Minutes this entry covers: 60 (an hour) or 1440 (a day) for older parts of a long
    /// log (see `diagnose::timeline`); absent for a single minute.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub width_minutes: u64,
    /// Exchanges in the minute (successes + failures).
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    /// Failures per class.
    pub by_class: BTreeMap<Class, u64>,
    /// Input tokens the requests declared (`request.input_tokens`), when logged.
    pub input_tokens: u64,
    /// Successful responses with less than 10% of a limit left, or with a subscription
    /// window's `allowed_warning`.
    pub near_limit: u64,
}

/// The schema's default (serde's `default` is read only by the `schemars` derive).
#[cfg(feature = "generate")]
fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// Counts over a `diagnose` run.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct DiagSummary {
    /// Captures read, failures in the window by class and confidence, skipped chunks, files
    /// (the same fields as `replay --json`'s summary).
    #[serde(flatten)]
    pub counts: Summary,
    /// Captures inside the window and model filter.
    pub in_window: u64,
    /// Successes inside the window.
    pub successes: u64,
    /// Failures that are rate limits in the broad sense (everything but `not_rate_limit`).
    pub rate_limit_failures: u64,
    /// Captures left out by `--since` / `--until` / `--model` (untimed ones included).
    pub excluded: u64,
    /// Of those, captures without a time (a time filter cannot place them).
    pub excluded_untimed: u64,
    /// Failures in the window without a time (counted in causes, not in the timeline).
    pub untimed_failures: u64,
    /// First and last timestamp in the window (RFC 3339).
    pub first: Option<String>,
    pub last: Option<String>,
    /// The window as resolved (times of day placed on the incident's day).
    pub since: Option<String>,
    pub until: Option<String>,
    /// `--model` filters.
    pub models: Vec<String>,
    /// Bytes read.
    pub bytes: u64,
    /// Exchanges left out of the timeline because their day was beyond the most days it
    /// keeps (counted everywhere else); absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeline_dropped: u64,
    /// Events the client-behaviour findings could not track because their bounded state was
    /// full (over 200,000 distinct failure seconds, 4,096 live retry-after windows, 32
    /// models); absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What the analysis is asked to look at.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub window: Window,
    /// Model names (or prefixes: `claude-sonnet-4-5` matches `claude-sonnet-4-5-20250929`).
    pub models: Vec<String>,
}

impl Filter {
    fn model_ok(&self, model: Option<&str>) -> bool {
        if self.models.is_empty() {
            return true;
        }
        let Some(m) = model else { return false };
        let m = m.to_ascii_lowercase();
        self.models.iter().any(|want| {
            let want = want.trim().to_ascii_lowercase();
            m == want || m.strip_prefix(&want).is_some_and(|r| r.starts_with('-'))
        })
    }
}

/// Per-minute counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bucket {
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    pub by_class: [u64; Class::ALL.len()],
    pub input_tokens: u64,
    pub near_limit: u64,
}

impl Bucket {
    /// Failures that make a rate-limit incident: everything but overloads and non-limits.
    pub fn limit_failures(&self) -> u64 {
        Class::ALL
            .iter()
            .filter(|c| !matches!(c, Class::Overload | Class::NotRateLimit))
            .map(|c| self.by_class[*c as usize])
            .sum()
    }
}

/// A place in the input, for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At {
    pub source: u32,
    pub line: u64,
    pub time: Option<i64>,
}

/// The streaming analysis. Feed events with [`push`](Analyzer::push), in input order.
pub struct Analyzer {
    filter: Filter,
    sources: Vec<Arc<str>>,
    current: u32,
    summary: DiagSummary,
    first: Option<i64>,
    last: Option<i64>,
    timeline: timeline::Timeline,
    causes: causes::Causes,
    findings: findings::Trackers,
    seen: seen::Seen,
    headroom: headroom::Headroom,
}

impl Analyzer {
    pub fn new(filter: Filter) -> Analyzer {
        let models = filter.models.clone();
        Analyzer {
            filter,
            sources: Vec::new(),
            current: 0,
            summary: DiagSummary {
                models,
                ..Default::default()
            },
            first: None,
            last: None,
            timeline: timeline::Timeline::default(),
            causes: causes::Causes::default(),
            findings: findings::Trackers::default(),
            seen: seen::Seen::default(),
            headroom: headroom::Headroom::default(),
        }
    }

    /// Events that follow come from this input.
    pub fn begin_source(&mut self, name: &str) {
        if let Some(i) = self.sources.iter().position(|s| &**s == name) {
            self.current = i as u32;
        } else {
            self.sources.push(Arc::from(name));
            self.current = (self.sources.len() - 1) as u32;
        }
    }

    /// Takes one event.
    pub fn push(&mut self, ev: Event) {
        let model = ev
            .model
            .as_deref()
            .or_else(|| ev.verdict.as_ref().and_then(|v| v.model.as_deref()));
        if !self.filter.model_ok(model) {
            self.summary.excluded += 1;
            return;
        }
        if self.filter.window.is_set() {
            match ev.time {
                None => {
                    self.summary.excluded += 1;
                    self.summary.excluded_untimed += 1;
                    return;
                }
                Some(t) if !self.filter.window.contains(t) => {
                    self.summary.excluded += 1;
                    return;
                }
                Some(_) => {}
            }
        }
        self.summary.in_window += 1;
        self.seen.add(&ev);
        self.headroom.add(&ev);
        if let Some(t) = ev.time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        let at = At {
            source: self.current,
            line: ev.line,
            time: ev.time,
        };
        let bucket = match ev.time {
            Some(t) => self.bucket(t.div_euclid(60_000)),
            None => None,
        };
        if let Some(b) = bucket {
            b.requests += 1;
            b.input_tokens += ev.input_tokens.unwrap_or(0);
        }
        match &ev.verdict {
            Some(v) => {
                self.summary.counts.add(v);
                if v.class.is_rate_limit() {
                    self.summary.rate_limit_failures += 1;
                }
                if ev.time.is_none() {
                    self.summary.untimed_failures += 1;
                }
                if let Some(b) = self.bucket_of(ev.time) {
                    b.failures += 1;
                    b.by_class[v.class as usize] += 1;
                }
                self.causes.add(v, &at);
            }
            None => {
                self.summary.successes += 1;
                let near = findings::near_limit(&ev);
                let warned = ev.warning.as_deref();
                if let Some(b) = self.bucket_of(ev.time) {
                    b.successes += 1;
                    if near.is_some() || warned.is_some() {
                        b.near_limit += 1;
                    }
                }
                if let Some(n) = near {
                    self.findings.near.add(n, &at);
                }
                if let Some(w) = warned {
                    self.findings.near.add_warning(w, near.is_none(), &at);
                }
            }
        }
        self.findings.add(&ev, &at);
    }

    fn bucket(&mut self, minute: i64) -> Option<&mut Bucket> {
        self.timeline.bucket(minute)
    }

    fn bucket_of(&mut self, time: Option<i64>) -> Option<&mut Bucket> {
        let minute = time?.div_euclid(60_000);
        self.timeline.get_mut(minute)
    }

    /// Sets the totals from the scan (captures read, skipped chunks, files, bytes).
    pub fn scan_totals(&mut self, captures: u64, skipped: u64, files: u64, bytes: u64) {
        self.summary.counts.captures = captures;
        self.summary.counts.skipped = skipped;
        self.summary.counts.files = files;
        self.summary.bytes = bytes;
    }

    /// The diagnosis.
    pub fn finish(self) -> Diagnosis {
        let Analyzer {
            filter,
            sources,
            mut summary,
            first,
            last,
            timeline,
            causes,
            findings,
            seen,
            headroom,
            ..
        } = self;
        let (since, until) = filter.window.bounds();
        summary.since = since.map(rfc3339);
        summary.until = until.map(rfc3339);
        summary.first = first.map(rfc3339);
        summary.last = last.map(rfc3339);
        summary.timeline_dropped = timeline.dropped_requests;
        summary.findings_dropped = findings.dropped();
        let causes = causes.rank(&timeline, &sources, summary.counts.failures);
        let findings = findings.finish(&timeline, &sources);
        let timeline = timeline
            .iter()
            .map(|(m, width, b)| Minute {
                minute: rfc3339(m * 60_000),
                width_minutes: width as u64,
                requests: b.requests,
                successes: b.successes,
                failures: b.failures,
                by_class: Class::ALL
                    .iter()
                    .filter(|c| b.by_class[**c as usize] > 0)
                    .map(|c| (*c, b.by_class[*c as usize]))
                    .collect(),
                input_tokens: b.input_tokens,
                near_limit: b.near_limit,
            })
            .collect();
        Diagnosis {
            causes,
            timeline,
            findings,
            summary,
            live: None,
            limits_seen: seen.finish(),
            headroom: headroom.finish(),
            inputs: sources.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// RFC 3339 (UTC, seconds) from milliseconds.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// `HH:MM:SS` (UTC) from milliseconds, for evidence lines.
pub fn clock(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `source:line` for evidence.
pub(crate) fn place(sources: &[Arc<str>], at: &At) -> String {
    let src = sources.get(at.source as usize).map_or("?", |s| s);
    match at.time {
        Some(t) => format!("{src}:{} ({})", at.line, clock(t)),
        None => format!("{src}:{}", at.line),
    }
}

pub use crate::fmt::thousands;

/// A confidence's weight in the ranking (see [`causes`]).
pub fn weight(c: Confidence) -> f64 {
    match c {
        Confidence::Certain => 1.0,
        Confidence::Likely => 0.6,
        Confidence::Possible => 0.3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(2_000_000), "2,000,000");
    }

    /// A year of traffic, one success a minute: the state (and the output timeline) stays
    /// bounded, nothing goes uncounted, and a short log keeps its exact per-minute timeline.
    #[test]
    fn a_long_span_keeps_bounded_state() {
        let start = 1_764_000_000_000_i64;
        let mut a = Analyzer::new(Filter::default());
        a.begin_source("t");
        let minutes = 365 * 1440;
        for i in 0..minutes {
            a.push(Event {
                line: i as u64 + 1,
                time: Some(start + i * 60_000),
                status: Some(200),
                ..Default::default()
            });
            if i % 50_000 == 0 {
                assert!(
                    a.timeline.iter().count() < 8_000,
                    "{}",
                    a.timeline.iter().count()
                );
            }
        }
        let d = a.finish();
        assert!(d.timeline.len() < 8_000, "{} entries", d.timeline.len());
        assert_eq!(
            d.timeline.iter().map(|m| m.requests).sum::<u64>(),
            minutes as u64
        );
        assert_eq!(d.timeline.last().unwrap().width_minutes, 1);
        assert_eq!(d.timeline.first().unwrap().width_minutes, 1440);

        let mut a = Analyzer::new(Filter::default());
        for i in 0..100 {
            a.push(Event {
                time: Some(start + i * 60_000),
                ..Default::default()
            });
        }
        let d = a.finish();
        assert_eq!(d.timeline.len(), 100);
        let json = serde_json::to_string(&d.timeline[0]).unwrap();
        assert!(!json.contains("width_minutes"), "{json}");
    }

    #[test]
    fn model_filter_takes_prefixes() {
        let f = Filter {
            models: vec!["claude-sonnet-4-5".into()],
            ..Default::default()
        };
        assert!(f.model_ok(Some("claude-sonnet-4-5")));
        assert!(f.model_ok(Some("claude-sonnet-4-5-20250929")));
        assert!(!f.model_ok(Some("claude-sonnet-4-50")));
        assert!(!f.model_ok(None));
    }
}
