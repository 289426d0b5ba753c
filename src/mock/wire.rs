//! What goes on the wire: error bodies, refusal texts and the SSE event sequence, in the
//! shapes of the official SDK (`types/shared/error_response.py`, `types/message.py`,
//! `types/raw_message_stream_event.py`) and the texts of anthropic-rate-limits.md §4.

use serde_json::{Value, json};

use super::limiter::Dim;
use crate::report::thousands;

/// `{"type":"error","error":{"type":..,"message":..[,"details":{"error_code":..}]},"request_id":..}`.
pub fn error_body(kind: &str, message: &str, code: Option<&str>, request_id: &str) -> Value {
    let mut error = json!({"type": kind, "message": message});
    if let Some(c) = code {
        error["details"] = json!({"error_code": c});
    }
    json!({"type": "error", "error": error, "request_id": request_id})
}

const DOCS: &str = "For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.";

/// The refusal text for a per-minute (or per-day) dimension, current family with the org and
/// model in parentheses.
pub fn limit_message(dim: Dim, limit: u64, org: &str, model: &str) -> String {
    format!(
        "This request would exceed your organization's rate limit of {} {} (org: {org}, model: {model}). {DOCS}",
        thousands(limit),
        dim.unit(),
    )
}

/// The acceleration refusal text.
pub fn ramp_message(requests: bool, current: u64, next: u64, org: &str, model: &str) -> String {
    let (what, usage) = if requests {
        ("requests per minute", "request")
    } else {
        ("input tokens per minute", "input tokens")
    };
    format!(
        "This request would exceed your organization's maximum usage increase rate for {what} (org: {org}, model: {model}). Please scale up your {usage} usage more gradually to stay within the acceleration limit. Your current limit is {} {what} and will increase to {} at the next minute boundary. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        thousands(current),
        thousands(next),
    )
}

/// Spend refusals: (status, error type, message, error_code).
pub fn spend(kind: &str, regain: &str) -> (u16, &'static str, String, Option<&'static str>) {
    match kind {
        "workspace" => (
            400,
            "invalid_request_error",
            format!(
                "You have reached your specified workspace API usage limits. You will regain access on {regain}."
            ),
            None,
        ),
        "enforced" => (
            429,
            "rate_limit_error",
            "Your organization has reached the monthly API usage threshold of its usage tier. Usage resumes at the start of the next month, or raise your tier in the Console.".into(),
            Some("enforced_spend_limit_reached"),
        ),
        "contract" => (
            429,
            "rate_limit_error",
            "Your organization has reached the spend limit of its contract. Contact your account team to raise it.".into(),
            Some("contract_spend_limit_reached"),
        ),
        _ => (
            400,
            "invalid_request_error",
            format!(
                "You have reached your specified API usage limits. You will regain access on {regain}."
            ),
            None,
        ),
    }
}

/// The subscription refusal text (the ambiguous one: the unified headers decide).
pub const SUBSCRIPTION_MESSAGE: &str =
    "This request would exceed your account's rate limit. Please try again later.";

/// A Messages success body (`types/message.py`).
pub fn message(id: &str, model: &str, text: &str, stop: &str, usage: &Value) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": usage,
    })
}

/// `usage` of a message.
pub fn usage(input: u64, cache_write: u64, cache_read: u64, output: u64) -> Value {
    json!({
        "input_tokens": input,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "output_tokens": output,
        "service_tier": "standard",
    })
}

/// The text of an answer with `n` output tokens (four bytes a token, like the estimate).
pub fn answer_text(n: u64) -> String {
    let mut s = String::with_capacity(n as usize * 4);
    for i in 0..n {
        s.push_str(if i == 0 { "Mock" } else { " ok." });
    }
    s
}

/// One SSE event.
pub fn sse(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// The events of a streamed answer, in the documented order: `message_start`,
/// `content_block_start`, `ping`, `content_block_delta`..., `content_block_stop`,
/// `message_delta`, `message_stop`. With `error`, the stream stops after `message_start`
/// with an `error` event carrying that body.
pub fn stream_events(
    id: &str,
    model: &str,
    input: &Value,
    output: u64,
    stop: &str,
    error: Option<&Value>,
) -> Vec<String> {
    let mut start_usage = input.clone();
    start_usage["output_tokens"] = json!(1);
    let mut out = vec![sse(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": start_usage,
        }}),
    )];
    if let Some(e) = error {
        out.push(sse("error", e));
        return out;
    }
    out.push(sse(
        "content_block_start",
        &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ));
    out.push(sse("ping", &json!({"type": "ping"})));
    for i in 0..output.min(64) {
        let text = if i == 0 { "Mock" } else { " ok." };
        out.push(sse(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        ));
    }
    if output > 64 {
        let rest = answer_text(output - 64).replacen("Mock", " ok.", 1);
        out.push(sse(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": rest}}),
        ));
    }
    out.push(sse(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    let mut final_usage = input.clone();
    final_usage["output_tokens"] = json!(output);
    out.push(sse(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": final_usage}),
    ));
    out.push(sse("message_stop", &json!({"type": "message_stop"})));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_name_the_dimension() {
        let m = limit_message(Dim::Requests, 4000, "org-1", "claude-sonnet-4-5");
        assert!(m.starts_with("This request would exceed your organization's rate limit of 4,000 requests per minute (org: org-1, model: claude-sonnet-4-5)."));
        let b = error_body("rate_limit_error", &m, None, "req_1");
        assert!(b["error"].get("details").is_none());
        let b = error_body(
            "rate_limit_error",
            "x",
            Some("ramp_limit_exceeded"),
            "req_1",
        );
        assert_eq!(b["error"]["details"]["error_code"], "ramp_limit_exceeded");
    }

    #[test]
    fn stream_order() {
        let ev = stream_events("m", "x", &usage(1, 0, 0, 0), 3, "end_turn", None);
        let names: Vec<&str> = ev
            .iter()
            .map(|e| e.lines().next().unwrap().trim_start_matches("event: "))
            .collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
    }
}
