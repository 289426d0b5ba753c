//! JSON Lines exchange logs: one exchange per line,
//! `{"ts", "method", "url", "status", "headers", "body", "request"}`, all optional but
//! `status`. Other shapes whose lines carry a status and headers work too (a nested
//! `response` object, `status_code`, `response_headers`, epoch timestamps).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use memchr::memmem;
use serde_json::{Map, Value};

use super::{Capture, Format, relaxed};

/// What one line turned out to be.
pub enum Parsed {
    /// A failure, or any exchange when successes are wanted.
    Capture(Box<Capture>),
    /// A plain success skipped by the fast path (counted, not built).
    Success,
    /// Not an exchange line: hand it to the text chunker (it may be a bare error body).
    NotJsonl,
}

/// Parses one line. With `failures_only`, lines that are plainly successes (a 1xx-3xx status
/// and no `error` anywhere) are recognised without a full parse.
pub fn parse_line(source: &Arc<str>, line_no: u64, line: &[u8], failures_only: bool) -> Parsed {
    if failures_only && plain_success(line) {
        return Parsed::Success;
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(line) else {
        return Parsed::NotJsonl;
    };
    match from_object(source, line_no, &obj) {
        Some(c) => {
            if failures_only && !crate::classify::is_failure(&c) {
                Parsed::Success
            } else {
                Parsed::Capture(Box::new(c))
            }
        }
        None => Parsed::NotJsonl,
    }
}

/// Cheap check: a `"status": NNN` below 400 and no `error` text on the line.
fn plain_success(line: &[u8]) -> bool {
    let Some(at) = memmem::find(line, b"\"status\"") else {
        return false;
    };
    let rest = &line[at + 8..];
    let rest = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b':' | b'\t'))
        .map_or(&[][..], |i| &rest[i..]);
    let digits: Vec<u8> = rest.iter().take(3).copied().collect();
    if digits.len() != 3
        || !digits.iter().all(u8::is_ascii_digit)
        || rest.get(3).is_some_and(u8::is_ascii_digit)
    {
        return false;
    }
    digits[0] <= b'3'
        && memmem::find(line, b"rror").is_none()
        && memmem::find(line, b"verloaded").is_none()
}

fn status_of(v: &Value) -> Option<u16> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().get(..3).and_then(|d| d.parse().ok()),
        _ => None,
    }
    .filter(|s| (100..600).contains(s))
}

fn first<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| obj.get(*k))
}

/// Builds a capture from a parsed log object; `None` when it is not an exchange (no status,
/// no headers and no response inside).
pub fn from_object(source: &Arc<str>, line_no: u64, obj: &Map<String, Value>) -> Option<Capture> {
    let response = obj.get("response").and_then(Value::as_object);
    let status = first(obj, &["status", "status_code", "statusCode", "http_status"])
        .and_then(status_of)
        .or_else(|| {
            response.and_then(|r| {
                first(r, &["status", "status_code", "statusCode"]).and_then(status_of)
            })
        });
    let headers = first(obj, &["headers", "response_headers", "responseHeaders"])
        .or_else(|| response.and_then(|r| r.get("headers")));
    if status.is_none() && headers.is_none() {
        return None;
    }
    let mut c = Capture::new(source.clone(), line_no, Format::Jsonl);
    c.status = status;
    if let Some(h) = headers {
        read_headers(&mut c, h);
    }
    c.time = first(
        obj,
        &[
            "ts",
            "time",
            "timestamp",
            "@timestamp",
            "date",
            "start_time",
            "startedDateTime",
        ],
    )
    .and_then(parse_time);
    c.method = first(obj, &["method"])
        .and_then(Value::as_str)
        .map(str::to_string);
    c.url = first(obj, &["url", "path", "endpoint"])
        .and_then(Value::as_str)
        .map(str::to_string);
    let body = first(obj, &["body", "response_body", "error"])
        .or_else(|| response.and_then(|r| first(r, &["body", "content"])));
    if let Some(b) = body {
        read_body(&mut c, b);
    }
    if let Some(req) = obj.get("request").and_then(Value::as_object) {
        c.model = req.get("model").and_then(Value::as_str).map(str::to_string);
        let n = |k: &str| req.get(k).and_then(Value::as_u64);
        c.request.max_tokens = n("max_tokens");
        c.request.input_tokens = n("input_tokens");
    }
    if c.model.is_none() {
        c.model = obj.get("model").and_then(Value::as_str).map(str::to_string);
    }
    if let Some(rid) = obj.get("request_id").and_then(Value::as_str) {
        c.request_id.get_or_insert_with(|| rid.to_string());
    }
    Some(c)
}

/// Header objects as `{"name": "value"}` (numbers, arrays of values tolerated) or as a list of
/// `{"name", "value"}` pairs.
pub fn read_headers(c: &mut Capture, h: &Value) {
    match h {
        Value::Object(m) => {
            for (k, v) in m {
                if let Some(v) = scalar(v) {
                    c.headers.set(k, &v);
                }
            }
        }
        Value::Array(items) => {
            for it in items {
                if let (Some(n), Some(v)) = (
                    it.get("name").and_then(Value::as_str),
                    it.get("value").and_then(scalar),
                ) {
                    c.headers.set(n, &v);
                }
            }
        }
        _ => {}
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => a.first().and_then(scalar),
        _ => None,
    }
}

/// A body as an object, or as a string holding JSON, a Python/JS literal or an SSE stream.
pub fn read_body(c: &mut Capture, b: &Value) {
    match b {
        Value::Object(_) => {
            c.absorb_body(b);
            if let Some(m) = b.get("model").and_then(Value::as_str) {
                c.model.get_or_insert_with(|| m.to_string());
            }
            if let Some(n) = b
                .get("usage")
                .and_then(|u| u.get("output_tokens"))
                .and_then(Value::as_u64)
            {
                c.output_tokens = Some(n);
            }
        }
        Value::String(s) => read_body_text(c, s),
        _ => {}
    }
}

/// A body given as text: JSON (possibly escaped), an SSE stream, or plain words.
pub fn read_body_text(c: &mut Capture, s: &str) {
    let t = s.trim_start();
    if t.starts_with("event:") || t.starts_with("data:") {
        read_sse(c, t);
        return;
    }
    if let Some((_, v, _)) = relaxed::find_object(t)
        && c.absorb_body(&v)
    {
        return;
    }
    c.push_text(t);
}

/// Finds an `error` event in an SSE stream (`event: error` / `data: {"type":"error",...}`).
pub fn read_sse(c: &mut Capture, s: &str) {
    for line in s.lines() {
        let Some(data) = line.trim().strip_prefix("data:") else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<Value>(data.trim())
            && v.get("type").and_then(Value::as_str) == Some("error")
        {
            c.absorb_body(&v);
            c.stream_error = true;
            return;
        }
    }
}

/// RFC 3339 text (with or without zone; `Z` assumed), or epoch seconds / milliseconds.
pub fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => parse_time_str(s),
        Value::Number(n) => {
            let f = n.as_f64()?;
            let (secs, nanos) = if f > 1e12 {
                ((f / 1000.0).trunc(), ((f % 1000.0) * 1e6) as u32)
            } else {
                (f.trunc(), (f.fract() * 1e9) as u32)
            };
            Utc.timestamp_opt(secs as i64, nanos).single()
        }
        _ => None,
    }
}

pub fn parse_time_str(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str, failures_only: bool) -> Parsed {
        parse_line(&Arc::from("t.jsonl"), 1, line.as_bytes(), failures_only)
    }

    #[test]
    fn fast_path_skips_plain_success() {
        assert!(matches!(
            parse(
                r#"{"ts":"2026-11-20T14:00:00Z","status":200,"headers":{}}"#,
                true
            ),
            Parsed::Success
        ));
        assert!(matches!(
            parse(
                r#"{"status":200,"body":"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}"#,
                true
            ),
            Parsed::Capture(_)
        ));
    }

    #[test]
    fn reads_the_documented_shape() {
        let Parsed::Capture(c) = parse(
            r#"{"ts":"2026-11-20T14:02:11Z","method":"POST","url":"https://api.anthropic.com/v1/messages","status":429,"headers":{"Retry-After":"12","anthropic-ratelimit-input-tokens-remaining":"0"},"body":{"type":"error","error":{"type":"rate_limit_error","message":"x"},"request_id":"req_1"},"request":{"model":"claude-sonnet-4-5","max_tokens":1024,"input_tokens":1234}}"#,
            true,
        ) else {
            panic!("expected a capture")
        };
        assert_eq!(c.status, Some(429));
        assert_eq!(c.headers.get("retry-after"), Some("12"));
        assert_eq!(c.error.kind.as_deref(), Some("rate_limit_error"));
        assert_eq!(c.request_id.as_deref(), Some("req_1"));
        assert_eq!(c.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(c.request.input_tokens, Some(1234));
        assert_eq!(c.time.unwrap().to_rfc3339(), "2026-11-20T14:02:11+00:00");
    }

    #[test]
    fn error_body_alone_is_not_jsonl() {
        assert!(matches!(
            parse(
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"x"}}"#,
                true
            ),
            Parsed::NotJsonl
        ));
    }
}
