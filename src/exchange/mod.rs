//! The captured exchange: what one recorded request/response (or pasted error) told us,
//! before any judgement, as plain data. A leaf: [`crate::capture`] fills it from each input
//! format and [`crate::classify`] judges it, so neither has to import the other for the type.

pub mod headers;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Which input format a capture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `curl -i` style raw HTTP response (status line, headers, body).
    Http,
    /// `curl -v` output (`< ` prefixed response lines).
    CurlVerbose,
    /// Bare `name: value` header dump.
    Headers,
    /// A JSON error body on its own.
    JsonBody,
    /// An entry of a HAR 1.2 file.
    Har,
    /// One line of a JSON Lines exchange log.
    Jsonl,
    /// Python SDK exception text.
    PythonSdk,
    /// TypeScript SDK error text or object dump.
    TsSdk,
    /// LiteLLM wrapped error.
    Litellm,
    /// A Claude Code error line.
    ClaudeCode,
    /// A server-sent-events stream carrying an `error` event.
    Sse,
    /// Loose text that carried a recognisable error message.
    Text,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Http => "http",
            Format::CurlVerbose => "curl_verbose",
            Format::Headers => "headers",
            Format::JsonBody => "json_body",
            Format::Har => "har",
            Format::Jsonl => "jsonl",
            Format::PythonSdk => "python_sdk",
            Format::TsSdk => "ts_sdk",
            Format::Litellm => "litellm",
            Format::ClaudeCode => "claude_code",
            Format::Sse => "sse",
            Format::Text => "text",
        }
    }
}

/// Response headers, names lower-cased, in arrival order. Small: a linear scan beats a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Inserts or replaces; `name` is lower-cased and trimmed, `value` trimmed.
    pub fn set(&mut self, name: &str, value: &str) {
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if let Some(slot) = self.0.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            self.0.push((name, value));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when any header is one the classifier reads (rate-limit, retry or id headers).
    pub fn has_relevant(&self) -> bool {
        self.0.iter().any(|(n, _)| headers::is_relevant(n))
    }
}

/// The error object of an API error body (`{"type":"error","error":{...}}`), as far as known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// `error.type`, e.g. `rate_limit_error`.
    pub kind: Option<String>,
    /// `error.message`, verbatim.
    pub message: Option<String>,
    /// `error.details.error_code`, the stable cause code.
    pub error_code: Option<String>,
    /// `error.code` as OpenAI-compatible wrappers send it.
    pub code: Option<String>,
}

impl ApiError {
    pub fn is_empty(&self) -> bool {
        self.kind.is_none()
            && self.message.is_none()
            && self.error_code.is_none()
            && self.code.is_none()
    }
}

/// What the request asked for, when the capture recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub max_tokens: Option<u64>,
    pub input_tokens: Option<u64>,
    /// The request body's size in bytes (`record` logs it): a retry resends the same body.
    pub bytes: Option<u64>,
}

/// One captured exchange or pasted error, format-independent.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// File path, or `-` for stdin.
    pub source: Arc<str>,
    /// 1-based line where the capture starts (for HAR: the line the entry starts on).
    pub line: u64,
    pub format: Format,
    pub time: Option<DateTime<Utc>>,
    /// HTTP status, when the capture shows one.
    pub status: Option<u16>,
    pub headers: Headers,
    pub error: ApiError,
    /// `request_id` from the body or the `request-id` header.
    pub request_id: Option<String>,
    pub model: Option<String>,
    pub method: Option<String>,
    pub url: Option<String>,
    pub request: RequestInfo,
    /// Output tokens actually produced (from a success body's `usage`), when known.
    pub output_tokens: Option<u64>,
    /// The error arrived as an SSE `error` event inside a 200 stream.
    pub stream_error: bool,
    /// Other text of the capture that may carry evidence (Claude Code lines, wrapper text),
    /// joined with single spaces, capped in length.
    pub text: String,
}

/// Longest `text` kept per capture; evidence is always near the start of a pasted error.
pub const MAX_TEXT: usize = 8 * 1024;

impl Capture {
    /// A new, empty capture.
    pub fn new(source: Arc<str>, line: u64, format: Format) -> Self {
        Capture {
            source,
            line,
            format,
            time: None,
            status: None,
            headers: Headers::default(),
            error: ApiError::default(),
            request_id: None,
            model: None,
            method: None,
            url: None,
            request: RequestInfo::default(),
            output_tokens: None,
            stream_error: false,
            text: String::new(),
        }
    }

    /// Appends loose text, keeping the capture bounded.
    pub fn push_text(&mut self, s: &str) {
        let s = s.trim();
        if s.is_empty() || self.text.len() >= MAX_TEXT {
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        let room = MAX_TEXT - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
        } else {
            let mut end = room;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(&s[..end]);
        }
    }

    /// True when the capture says anything a classifier can use.
    pub fn has_evidence(&self) -> bool {
        self.status.is_some()
            || !self.error.is_empty()
            || self.headers.has_relevant()
            || self.stream_error
            || !self.text.is_empty()
    }

    /// The request id from the body, else the `request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id
            .as_deref()
            .or_else(|| self.headers.get("request-id"))
            .or_else(|| self.headers.get("x-request-id"))
            .or_else(|| self.headers.get("x-amzn-requestid"))
    }

    /// Fills the error fields from a parsed API error body (JSON, Python or JS literal).
    /// Accepts the envelope `{"type":"error","error":{...}}`, a bare error object, and the
    /// OpenAI-compatible `{"error":{"code":...}}` shape. Returns true when anything was found.
    pub fn absorb_body(&mut self, v: &serde_json::Value) -> bool {
        let Some(obj) = v.as_object() else {
            return false;
        };
        let mut found = false;
        if let Some(rid) = obj.get("request_id").and_then(|r| r.as_str()) {
            self.request_id = Some(rid.to_string());
            found = true;
        }
        let (err, bare) = match obj.get("error") {
            Some(e) if e.is_object() => (e, false),
            Some(serde_json::Value::String(s)) => {
                // {"error": "Rate limited"} from some gateways.
                if self.error.message.is_none() {
                    self.error.message = Some(s.clone());
                }
                return true;
            }
            _ => (v, true),
        };
        let Some(e) = err.as_object() else {
            return found;
        };
        let s = |k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_string);
        // Cloudflare AI Gateway's own refusal: `{"name": "AiGatewayError", "internalCode": 2009}`.
        if bare && s("name").as_deref() == Some("AiGatewayError") {
            self.error.kind = s("name");
            self.error.code = e
                .get("internalCode")
                .map(|c| c.to_string().trim_matches('"').to_string());
            self.error.message = s("message").or(self.error.message.take());
            return true;
        }
        // A bare object is an error only when its type says so: a success body has
        // `"type": "message"` and a `message`-less shape.
        if bare && !s("type").is_some_and(|t| t.ends_with("_error")) {
            return found;
        }
        if let Some(kind) = s("type").filter(|t| t != "error") {
            self.error.kind = Some(kind);
            found = true;
        }
        if let Some(m) = s("message") {
            self.error.message = Some(m);
            found = true;
        }
        if let Some(c) = s("code") {
            self.error.code = Some(c);
            found = true;
        } else if let Some(st) =
            s("status").filter(|st| st.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        {
            // Google's envelope: `{"code": 429, "status": "RESOURCE_EXHAUSTED", ...}`.
            self.error.code = Some(st);
            found = true;
        } else if let Some(c) = e.get("code").and_then(|x| x.as_u64()) {
            self.error.code = Some(c.to_string());
        }
        let code = e
            .get("details")
            .and_then(|d| d.get("error_code"))
            .or_else(|| e.get("error_code"))
            .and_then(|x| x.as_str());
        if let Some(c) = code {
            self.error.error_code = Some(c.to_string());
            found = true;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn absorb(v: serde_json::Value) -> (bool, Capture) {
        let mut c = Capture::new(Arc::from("t"), 1, Format::Jsonl);
        let found = c.absorb_body(&v);
        (found, c)
    }

    #[test]
    fn success_body_is_not_an_error() {
        // Regression: `"type": "message"` was taken as the error type, making a 200 a failure.
        let (found, c) = absorb(serde_json::json!({
            "id": "msg_1", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": "an error occurred in my story"}],
            "usage": {"input_tokens": 10, "output_tokens": 1}
        }));
        assert!(!found);
        assert!(c.error.is_empty());
    }

    #[test]
    fn envelope_bare_and_openai_shapes() {
        let (_, c) = absorb(
            serde_json::json!({"type": "error", "error": {"type": "rate_limit_error",
            "message": "m", "details": {"error_code": "ramp_limit_exceeded"}}, "request_id": "req_1"}),
        );
        assert_eq!(c.error.kind.as_deref(), Some("rate_limit_error"));
        assert_eq!(c.error.error_code.as_deref(), Some("ramp_limit_exceeded"));
        assert_eq!(c.request_id.as_deref(), Some("req_1"));
        let (_, c) =
            absorb(serde_json::json!({"type": "overloaded_error", "message": "Overloaded"}));
        assert_eq!(c.error.kind.as_deref(), Some("overloaded_error"));
        let (_, c) = absorb(serde_json::json!({"error": {"code": "rate_limit_error",
            "type": "invalid_request_error", "message": "m"}}));
        assert_eq!(c.error.code.as_deref(), Some("rate_limit_error"));
    }
}
