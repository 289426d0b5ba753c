//! One record: what an exchange through the proxy showed, in the JSON Lines shape `replay`
//! and `diagnose` read (design.md, capture format 5). Never a prompt, a completion or a key.

use hyper::header::{HeaderName, HeaderValue};
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
    /// The kept response headers (rate limits, ids), names lower-cased.
    pub headers: Headers,
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

/// A record's response headers: names in byte order, each once (its first value), written
/// as a JSON object. Names and values are the answer's own (shared, not copied).
#[derive(Debug, Clone, Default)]
pub struct Headers(Vec<(HeaderName, HeaderValue)>);

impl Headers {
    /// Adds a header unless its name is already there (the first value is kept).
    pub fn add(&mut self, name: HeaderName, value: HeaderValue) {
        if let Err(at) = self
            .0
            .binary_search_by(|(n, _)| n.as_str().cmp(name.as_str()))
        {
            self.0.insert(at, (name, value));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A header's value, by its lower-case name.
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self
            .0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()?;
        self.0[at].1.to_str().ok()
    }

    /// Names and values, names in byte order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
    }
}

impl Serialize for Headers {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_written_like_a_json_object_of_their_first_values() {
        let mut h = Headers::default();
        for (k, v) in [
            ("x-request-id", "b"),
            ("anthropic-ratelimit-tokens-limit", "100"),
            ("request-id", "req_1"),
            ("x-request-id", "second"),
            ("anthropic-ratelimit-input-tokens-limit", "50"),
        ] {
            h.add(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let mut m = Map::new();
        m.insert("x-request-id".into(), Value::from("b"));
        m.insert(
            "anthropic-ratelimit-tokens-limit".into(),
            Value::from("100"),
        );
        m.insert("request-id".into(), Value::from("req_1"));
        m.insert(
            "anthropic-ratelimit-input-tokens-limit".into(),
            Value::from("50"),
        );
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            serde_json::to_string(&m).unwrap()
        );
        assert_eq!(h.len(), 4);
        assert_eq!(h.get("x-request-id"), Some("b"));
        assert_eq!(h.get("retry-after"), None);
        assert_eq!(serde_json::to_string(&Headers::default()).unwrap(), "{}");
    }
}
