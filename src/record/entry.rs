//! One record: what an exchange through the proxy showed, in the JSON Lines shape `replay`
//! and `diagnose` read (design.md, capture format 5). Never a prompt, a completion or a key.

use serde::Serialize;
use serde_json::{Map, Value};

/// One exchange, as written (one JSON object per line).
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// When the request arrived at the proxy (RFC 3339, UTC, milliseconds).
    pub ts: String,
    pub method: String,
    /// The upstream URL the request went to (query kept, keys removed).
    pub url: String,
    /// The status the upstream answered (502 when the proxy could not reach it).
    pub status: u16,
    /// From the request's arrival to the answer's last byte, in milliseconds.
    pub duration_ms: f64,
    /// From the request's arrival to the answer's first body byte, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttfb_ms: Option<f64>,
    /// Every response header but `set-cookie`, names lower-cased.
    pub headers: Map<String, Value>,
    /// A non-2xx answer's error body; an `event: error` found inside a 200 stream (as SSE
    /// text, so readers know it came mid-stream); for a success, the message without its
    /// content: `type`, `id`, `model`, `stop_reason`, `usage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Token usage, from the JSON answer or from `message_start` / `message_delta` events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
    /// What the request asked for (never its content).
    pub request: RequestFacts,
    /// A 200 stream carried an `error` event.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream_error: bool,
    /// The answer did not reach its end: `client_closed`, `upstream_error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<&'static str>,
    /// Why the proxy answered 502 itself (upstream unreachable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_error: Option<String>,
}

/// The few request fields a diagnosis needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// The request body's size in bytes.
    pub bytes: u64,
    /// Input tokens the request counted against ITPM: the answer's `input_tokens` plus
    /// `cache_creation_input_tokens` (cache reads do not count on current models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
}

/// Response headers never written: cookies may be credentials.
pub const DROPPED_RESPONSE_HEADERS: &[&str] = &["set-cookie", "set-cookie2"];

/// ITPM-counted input tokens from a usage object.
pub fn counted_input(usage: &Map<String, Value>) -> Option<u64> {
    let n = |k: &str| usage.get(k).and_then(Value::as_u64);
    let input = n("input_tokens")?;
    Some(input + n("cache_creation_input_tokens").unwrap_or(0))
}

/// A body kept for a record: parsed JSON when it is JSON, else text (keys removed).
pub fn body_value(bytes: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => v,
        Err(_) => Value::String(crate::redact::keys(&String::from_utf8_lossy(bytes))),
    }
}
