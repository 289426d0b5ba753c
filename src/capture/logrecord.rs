//! JSON Lines log records without status or headers (pino, bunyan, structlog, a gateway's own
//! log): read from their free-text fields (`msg`, `message`, `err`, `error` as a string) with
//! the plain-text reader. The scan calls [`parse_line`] / [`parse_full`] in place of
//! `jsonl`'s: the same answers, except that a record `jsonl` passes over (`NotJsonl`) is tried
//! here before it goes on to the text reader whole.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::freetext::{literal_status, rate_limit_evidence};
use super::jsonl::{self, Parsed};
use super::object::parse_time;
use super::stats::ScanStats;
use super::text::TextScanner;
use crate::classify;
use crate::exchange::{Capture, Format};

/// [`jsonl::parse_line`], then the free-text fields of a log record.
pub fn parse_line(source: &Arc<str>, line_no: u64, line: &[u8], failures_only: bool) -> Parsed {
    if failures_only && jsonl::plain_success(line) {
        return Parsed::Success;
    }
    parse_full(source, line_no, line, failures_only)
}

/// [`jsonl::parse_full`], then the free-text fields of a log record.
pub fn parse_full(source: &Arc<str>, line_no: u64, line: &[u8], failures_only: bool) -> Parsed {
    parse_object(source, line_no, line, failures_only).0
}

/// [`parse_full`], handing back the parsed object of a line that is neither an exchange nor
/// a log record's failure (for the collector-record reader). One JSON parse per line: the
/// object `jsonl` passes over is read here as it is, not parsed a second time.
pub fn parse_object(
    source: &Arc<str>,
    line_no: u64,
    line: &[u8],
    failures_only: bool,
) -> (Parsed, Option<Map<String, Value>>) {
    let (parsed, obj) = jsonl::parse_object(source, line_no, line, failures_only);
    let Some(obj) = obj else {
        return (parsed, None);
    };
    // Only a line with a free-text key is read as a record.
    if ![&b"\"msg\""[..], b"\"message\"", b"\"err", b"\"error"]
        .iter()
        .any(|k| memchr::memmem::find(line, k).is_some())
    {
        return (parsed, Some(obj));
    }
    match from_record(source, line_no, &obj) {
        Some(c) => (Parsed::Capture(Box::new(c)), None),
        None => (Parsed::NotJsonl, Some(obj)),
    }
}

/// Keys that make an object a log record.
const LOG_KEYS: &[&str] = &[
    "level",
    "severity",
    "lvl",
    "levelname",
    "log.level",
    "time",
    "ts",
    "timestamp",
    "@timestamp",
    "logger",
    "event",
];

/// Free-text fields of a log record, in the order they are joined.
const TEXT_FIELDS: &[&str] = &[
    "msg",
    "message",
    "err",
    "error",
    "error_message",
    "errorMessage",
];

/// A JSON Lines record without status or headers, read from its free-text fields with the
/// plain-text recognisers: a failure capture (time from the record), or `None` so the line
/// goes on to the text reader as before.
pub fn from_record(source: &Arc<str>, line_no: u64, obj: &Map<String, Value>) -> Option<Capture> {
    // A log record, not an error body (`{"message": ...}` after a status line, an SDK error
    // object): it has `msg`, or a level or time beside its text.
    let log_record = obj.contains_key("msg") || LOG_KEYS.iter().any(|k| obj.contains_key(*k));
    if !log_record || obj.contains_key("type") || obj.contains_key("$metadata") {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for k in TEXT_FIELDS {
        match obj.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => parts.push(s),
            // pino / bunyan serialise an Error as {type, message, stack}.
            Some(Value::Object(o)) if o.contains_key("stack") => {
                if let Some(Value::String(m)) = o.get("message") {
                    parts.push(m);
                }
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return None;
    }
    let text = parts.join(": ");
    if !rate_limit_evidence(&text) && !quick_sign(&text) {
        return None;
    }
    let mut scanner = TextScanner::new(source.clone());
    let mut stats = ScanStats::default();
    let mut found: Vec<Capture> = Vec::new();
    scanner.push_line(line_no, &text, &mut |c| found.push(c), &mut stats);
    scanner.finish(&mut |c| found.push(c), &mut stats);
    // The text reader found nothing, yet the text names a rate limit: never dropped.
    let mut c = match found.into_iter().find(classify::is_failure) {
        Some(c) => c,
        None if rate_limit_evidence(&text) => {
            let mut c = Capture::new(source.clone(), line_no, Format::Jsonl);
            let lower = text.to_ascii_lowercase();
            c.status = literal_status(&text).or_else(|| {
                ["429", "529"]
                    .into_iter()
                    .find(|n| lower.contains(n))
                    .and_then(|n| n.parse().ok())
            });
            c.push_text(&text);
            c
        }
        None => return None,
    };
    c.line = line_no;
    c.format = Format::Jsonl;
    if c.time.is_none() {
        c.time = ["time", "ts", "timestamp", "@timestamp", "date"]
            .iter()
            .find_map(|k| obj.get(*k))
            .and_then(parse_time);
    }
    Some(c)
}

/// Cheap words worth running the text reader for.
fn quick_sign(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "429",
        "529",
        "rate limit",
        "overloaded",
        "quota",
        "throttl",
        "too many",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_from_their_free_text() {
        let obj = |s: &str| match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => o,
            _ => panic!("not an object: {s}"),
        };
        let src: Arc<str> = "log.jsonl".into();
        let c = from_record(
            &src,
            7,
            &obj(r#"{"level":50,"time":1763647201000,"msg":"claude call failed","err":"429 rate limit exceeded for claude-sonnet-4-5"}"#),
        )
        .expect("a failure");
        assert_eq!(c.line, 7);
        assert_eq!(c.status, Some(429));
        assert!(c.time.is_some());
        assert!(from_record(&src, 1, &obj(r#"{"level":30,"msg":"request ok"}"#)).is_none());
        assert!(from_record(&src, 1, &obj(r#"{"level":30,"n":429}"#)).is_none());
        // An error body is not a log record: the text reader keeps it.
        assert!(
            from_record(
                &src,
                1,
                &obj(r#"{"message":"Too many tokens, please wait before trying again."}"#)
            )
            .is_none()
        );
    }
}
