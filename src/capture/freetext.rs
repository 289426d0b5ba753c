//! Free text that the format readers used to pass over, read with the plain-text
//! recognisers. Three places call in here with a one-line edit each (kept out of the format
//! modules so the calls survive their moves):
//!
//! * a line starting with `# ` or `// ` (a pasted issue title, a Markdown note, a commented
//!   log line) starts a capture when it carries a failure ([`comment_carries_failure`]);
//! * a JSON Lines record without status or headers (pino, bunyan, structlog, a gateway's own
//!   log) is read from its free-text fields: `msg`, `message`, `err`, `error` as a string
//!   ([`from_record`]);
//! * an SDK error literal that does not parse (a truncated paste) falls back to its text: the
//!   status in any key form ([`literal_status`]) and rate-limit words
//!   ([`rate_limit_evidence`]).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::jsonl::parse_time;
use super::stats::ScanStats;
use super::text::TextScanner;
use crate::classify::{self, rules};
use crate::exchange::{Capture, Format};

/// Ways a status is written in front of its number on a failure line.
const STATUS_LEADS: &[&str] = &[
    "api error: ",
    "api error (",
    "error: ",
    "error code: ",
    "error (",
    "status: ",
    "status ",
    "status code ",
    "status code: ",
    "http/1.1 ",
    "http/2 ",
    "http ",
    "returned ",
    "responded ",
    "upstream ",
    "failed: ",
    "failed with ",
    "got ",
];

/// A 429 or 529 written as a status (`API Error: 429`, `status 429`, `429 Too Many Requests`,
/// `429 {`), not merely a number in a heading.
fn status_429_529(lower: &str) -> bool {
    ["429", "529"].iter().any(|n| {
        lower.match_indices(n).any(|(at, _)| {
            let before = &lower[..at];
            let after = &lower[at + 3..];
            let digit_around = before.ends_with(|c: char| c.is_ascii_digit())
                || after.starts_with(|c: char| c.is_ascii_digit());
            !digit_around
                && (STATUS_LEADS.iter().any(|l| before.ends_with(l))
                    || after.starts_with(" too many requests")
                    || after.starts_with(" {")
                    || after.starts_with(" - {")
                    || after.starts_with(" overloaded"))
        })
    })
}

/// Rate-limit or overload evidence in free text: an error type, or a status written as one
/// together with a rate-limit phrase.
pub fn rate_limit_evidence(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains("rate_limit_error") || lower.contains("overloaded_error") {
        return true;
    }
    status_429_529(&lower) && rules::first_match(&rules::normalise(text)).is_some()
        || status_429_529(&lower)
            && [
                "rate limit",
                "rate-limit",
                "ratelimit",
                "too many requests",
                "overloaded",
            ]
            .iter()
            .any(|w| lower.contains(w))
}

/// A `# ` or `// ` line (already trimmed) that carries a failure: an error type, or a 429/529
/// status with rate-limit words. A heading that only mentions 429s stays inert.
pub fn comment_carries_failure(trimmed: &str) -> bool {
    let rest = trimmed
        .strip_prefix("# ")
        .or_else(|| trimmed.strip_prefix("// "))
        .unwrap_or(trimmed);
    rate_limit_evidence(rest)
}

/// The status of a torn literal in any key form: `"status": 429`, `status: 429`,
/// `'status': 429`, `statusCode: 429`, `status=429`. Only 400 to 599.
pub fn literal_status(text: &str) -> Option<u16> {
    for key in ["status_code", "statuscode", "status"] {
        let lower = text.to_ascii_lowercase();
        for (at, _) in lower.match_indices(key) {
            if lower[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let rest = lower[at + key.len()..].trim_start_matches(['"', '\'']);
            let rest = rest.trim_start_matches([' ', ':', '=']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.len() == 3
                && let Ok(s) = digits.parse::<u16>()
                && (400..600).contains(&s)
            {
                return Some(s);
            }
        }
    }
    None
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
    fn comments_with_failures_and_without() {
        for yes in [
            r#"# API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"x"}}"#,
            "# 2026-11-20 14:00:01 WARN upstream 429 Too Many Requests: rate limit exceeded",
            "// status 529 overloaded_error",
        ] {
            assert!(comment_carries_failure(yes), "{yes}");
        }
        for no in [
            "# Handling 429 rate limit errors",
            "# Retry on 429",
            "// TODO: rate limit the client",
            "# \"HTTP/1.1 200 OK\"",
        ] {
            assert!(!comment_carries_failure(no), "{no}");
        }
    }

    #[test]
    fn statuses_in_torn_literals() {
        assert_eq!(literal_status("{ status: 429, headers: {"), Some(429));
        assert_eq!(literal_status(r#"{"status": 529, "#), Some(529));
        assert_eq!(literal_status("{'status_code': 503,"), Some(503));
        assert_eq!(literal_status("statusCode=429"), Some(429));
        assert_eq!(literal_status("{ status: 200 }"), None);
        assert_eq!(literal_status("{ substatus: 429 }"), None);
    }

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
