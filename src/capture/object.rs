//! The JSON-to-capture mapping: an exchange object (a JSON Lines line, a pretty-printed
//! exchange in text, a HAR entry's parts) read into a [`Capture`]: its status, headers (an
//! object or a list of pairs), body (an error envelope, text, an SSE stream) and time.
//! Used by `jsonl`, `text`, `har` and `scan` alike.
//!
//! The top-level key lists are written once here; `jsonl`'s light parser spells the same
//! keys as serde aliases, and a test there fails when the two differ.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::{Capture, Format};
use crate::json::relaxed;

/// Keys naming an exchange's status, in order of preference.
pub const STATUS_KEYS: &[&str] = &["status", "status_code", "statusCode", "http_status"];
/// Keys naming its response headers.
pub const HEADERS_KEYS: &[&str] = &["headers", "response_headers", "responseHeaders"];
/// Keys naming its time.
pub const TIME_KEYS: &[&str] = &[
    "ts",
    "time",
    "timestamp",
    "@timestamp",
    "date",
    "start_time",
    "startedDateTime",
];
/// Keys naming its response body.
pub const BODY_KEYS: &[&str] = &["body", "response_body", "error"];

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
    let status = first(obj, STATUS_KEYS).and_then(status_of).or_else(|| {
        response
            .and_then(|r| first(r, &["status", "status_code", "statusCode"]).and_then(status_of))
    });
    let headers = first(obj, HEADERS_KEYS).or_else(|| response.and_then(|r| r.get("headers")));
    if status.is_none() && headers.is_none() {
        return None;
    }
    let mut c = Capture::new(source.clone(), line_no, Format::Jsonl);
    c.status = status;
    if let Some(h) = headers {
        read_headers(&mut c, h);
    }
    c.time = first(obj, TIME_KEYS).and_then(parse_time);
    c.method = first(obj, &["method"])
        .and_then(Value::as_str)
        .map(str::to_string);
    c.url = first(obj, &["url", "path", "endpoint"])
        .and_then(Value::as_str)
        .map(str::to_string);
    let body =
        first(obj, BODY_KEYS).or_else(|| response.and_then(|r| first(r, &["body", "content"])));
    if let Some(b) = body {
        read_body(&mut c, b);
    }
    if let Some(req) = obj.get("request").and_then(Value::as_object) {
        c.model = req.get("model").and_then(Value::as_str).map(str::to_string);
        let n = |k: &str| req.get(k).and_then(Value::as_u64);
        c.request.max_tokens = n("max_tokens");
        c.request.input_tokens = n("input_tokens");
        c.request.bytes = n("bytes");
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
                // [["name", "value"], ...] pairs.
                if let Some([n, v]) = it.as_array().map(Vec::as_slice)
                    && let (Some(n), Some(v)) = (n.as_str(), scalar(v))
                {
                    c.headers.set(n, &v);
                    continue;
                }
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

/// A header value as text: a string borrowed (the header map copies what it keeps), a
/// number or a boolean written out, an array's first element.
fn scalar(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(n) => Some(n.to_string().into()),
        Value::Bool(b) => Some(b.to_string().into()),
        Value::Array(a) => a.first().and_then(scalar),
        _ => None,
    }
}

/// A body as an object, or as a string holding JSON, a Python/JS literal or an SSE stream.
pub fn read_body(c: &mut Capture, b: &Value) {
    match b {
        Value::Object(_) => {
            if looks_like_error(b) {
                c.absorb_body(b);
            }
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

/// An error body (`{"type":"error",...}`, `{"error":...}`, a bare `{"type":"..._error"}`),
/// not a success body: a Messages response is `{"type":"message",...}`, whose `type` must not
/// be read as an error type (that made every 200 with a body a failure).
fn looks_like_error(v: &Value) -> bool {
    match v.get("type").and_then(Value::as_str) {
        _ if v.get("error").is_some() => true,
        Some(t) => t == "error" || t.ends_with("_error"),
        // `{"message": "Overloaded"}` from a gateway.
        None => v.get("message").is_some(),
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
        && looks_like_error(&v)
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
        // journald's short-iso (`2026-11-20T14:02:11+0000`).
        "%Y-%m-%dT%H:%M:%S%.f%z",
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

/// A log collector's record around an application's line: its time and the line's text.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// RFC 3339 (UTC, microseconds).
    pub stamp: String,
    pub message: String,
}

/// The record of a log collector, when `line` is one: journald's JSON export
/// (`__REALTIME_TIMESTAMP` in microseconds, `MESSAGE` as text or as an array of bytes),
/// Docker's json-file (`log`, `time`), Cloud Logging (`timestamp` with `textPayload`, or
/// `jsonPayload` whose `message` is taken, else the payload itself as JSON text) and
/// CloudWatch Logs exports (`timestamp` in milliseconds, `message`). The message is then read
/// as the text it is, at the record's time.
pub fn log_record(line: &[u8]) -> Option<LogRecord> {
    if line.first() != Some(&b'{') || line.last() != Some(&b'}') || !may_be_log_record(line) {
        return None;
    }
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(line) else {
        return None;
    };
    log_record_of(&o)
}

/// [`log_record`] of a line already parsed into `o` (the same checks, no second parse).
pub fn log_record_parsed(line: &[u8], o: &Map<String, Value>) -> Option<LogRecord> {
    if line.first() != Some(&b'{') || line.last() != Some(&b'}') || !may_be_log_record(line) {
        return None;
    }
    log_record_of(o)
}

/// Whether the line can hold a collector's record at all: one of the keys
/// [`log_record_of`] needs first (`__REALTIME_TIMESTAMP`, `log`, `timestamp`), or a `\u`
/// escape that could spell one. Every other JSON log line (an app's own structured log, line
/// after line of it) is spared a full parse it would only throw away.
fn may_be_log_record(line: &[u8]) -> bool {
    use memchr::memmem::find;
    [
        &b"\"__REALTIME_TIMESTAMP\""[..],
        b"\"log\"",
        b"\"timestamp\"",
        b"\\u",
    ]
    .iter()
    .any(|k| find(line, k).is_some())
}

fn log_record_of(o: &Map<String, Value>) -> Option<LogRecord> {
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    // journald: microseconds since the epoch, as a string (the export) or a number.
    if let Some(us) = o.get("__REALTIME_TIMESTAMP") {
        let us = match us {
            Value::String(s) => s.trim().parse::<i64>().ok()?,
            Value::Number(n) => n.as_i64()?,
            _ => return None,
        };
        let t = DateTime::from_timestamp_micros(us)?;
        let message = match o.get("MESSAGE")? {
            Value::String(s) => s.clone(),
            Value::Array(bytes) => {
                let b: Option<Vec<u8>> = bytes
                    .iter()
                    .map(|x| x.as_u64().and_then(|n| u8::try_from(n).ok()))
                    .collect();
                String::from_utf8_lossy(&b?).into_owned()
            }
            _ => return None,
        };
        return Some(LogRecord {
            stamp: stamp(t),
            message,
        });
    }
    // Docker json-file.
    if let (Some(Value::String(log)), Some(time)) = (o.get("log"), o.get("time")) {
        return Some(LogRecord {
            stamp: stamp(parse_time(time)?),
            message: log.clone(),
        });
    }
    let time = o.get("timestamp").and_then(parse_time)?;
    // Cloud Logging.
    if let Some(Value::String(text)) = o.get("textPayload") {
        return Some(LogRecord {
            stamp: stamp(time),
            message: text.clone(),
        });
    }
    if let Some(payload @ Value::Object(p)) = o.get("jsonPayload") {
        let message = match p.get("message") {
            Some(Value::String(m)) => m.clone(),
            _ => payload.to_string(),
        };
        return Some(LogRecord {
            stamp: stamp(time),
            message,
        });
    }
    // CloudWatch Logs (an export, or `aws logs filter-log-events` events).
    if let Some(Value::String(m)) = o.get("message") {
        return Some(LogRecord {
            stamp: stamp(time),
            message: m.clone(),
        });
    }
    None
}
