//! Claude Code hooks: a `StopFailure` event (an API error ended the turn) gets the same
//! verdict `replay` would give the error it carries. Any other event, or input that is not a
//! hook's JSON, gives nothing: a hook must never break Claude Code.
//!
//! The documented `StopFailure` input carries the common fields (`session_id`,
//! `transcript_path`, `cwd`, `hook_event_name`) plus `error` (the error type, e.g.
//! `rate_limit`, `server_error`, `billing_error`), and optionally `error_details` and
//! `last_assistant_message` (the text Claude Code showed, e.g. `API Error: 429 {...}`).
//! Variants seen in the wild name the type `error_type` and the text `error_message`; all of
//! them are read.
//!
//! [`handle`] is the whole hook: a `StopFailure` is also written to the limit-hit history
//! ([`crate::history`]), and a later `UserPromptSubmit` or `SessionStart` event announces it
//! once as a `systemMessage` (Claude Code ignores what a `StopFailure` hook prints).

use std::sync::Arc;

use serde_json::Value;

use crate::capture::{Capture, Format, ScanOptions, scan_reader};
use crate::classify::{self, Verdict};

/// Largest hook input read; more is not a hook's JSON.
pub const MAX_INPUT: usize = 4 << 20;

/// The text fields that may carry the error, in the order they are read.
const TEXT_FIELDS: &[&str] = &[
    "error_details",
    "error_message",
    "last_assistant_message",
    "message",
    "error",
    "error_type",
];

/// What the hook prints for `input`, after writing a `StopFailure` to the history at
/// `history` (when there is one): the verdict's lines for a `StopFailure`, a JSON
/// `{"systemMessage": ...}` for a `UserPromptSubmit` or `SessionStart` when a stop has not
/// been announced yet, nothing otherwise.
pub fn handle(
    input: &[u8],
    history: Option<&std::path::Path>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let v: Value = serde_json::from_slice(input).ok()?;
    match v.get("hook_event_name").and_then(Value::as_str)? {
        "StopFailure" => {
            let verdict = verdict(input);
            if let Some(path) = history {
                let mut e = crate::history::from_stop(&v, verdict.as_ref(), now);
                if let Some(r) = crate::history::newest(path) {
                    crate::history::enrich(&mut e, &r, now);
                }
                let _ = crate::history::append(path, &e);
            }
            verdict.map(|v| lines(&v))
        }
        "UserPromptSubmit" | "SessionStart" => {
            let msg = crate::history::announce(history?, now)?;
            Some(serde_json::json!({ "systemMessage": msg }).to_string())
        }
        _ => None,
    }
}

/// The verdict for a `StopFailure` hook input; `None` for anything else.
pub fn verdict(input: &[u8]) -> Option<Verdict> {
    let v: Value = serde_json::from_slice(input).ok()?;
    if v.get("hook_event_name").and_then(Value::as_str) != Some("StopFailure") {
        return None;
    }
    let mut text = String::new();
    for k in TEXT_FIELDS {
        match v.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                text.push_str(s);
                text.push('\n');
            }
            Some(o @ (Value::Object(_) | Value::Array(_))) => {
                text.push_str(&o.to_string());
                text.push('\n');
            }
            _ => {}
        }
    }
    let source: Arc<str> = Arc::from("StopFailure");
    // The error text through the same recognisers `replay` uses (Claude Code lines, JSON
    // bodies, SDK text), strongest verdict first.
    let mut best: Option<Verdict> = None;
    let _ = scan_reader(
        source.clone(),
        text.as_bytes(),
        &ScanOptions {
            failures_only: true,
        },
        &mut |c| {
            if let Some(v) = classify::classify(&c)
                && best.as_ref().is_none_or(|b| better(&v, b))
            {
                best = Some(v);
            }
        },
    );
    if best.is_some() {
        return best;
    }
    // Only the error type: what Claude Code's category implies, said with less certainty.
    let kind = v
        .get("error")
        .or_else(|| v.get("error_type"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let status = match kind {
        "rate_limit" => 429,
        "server_error" => 500,
        "billing_error" => 402,
        "authentication_failed" | "oauth_org_not_allowed" => 401,
        "invalid_request" => 400,
        "model_not_found" => 404,
        _ => return None,
    };
    let mut c = Capture::new(source, 1, Format::ClaudeCode);
    c.status = Some(status);
    c.push_text(&text);
    classify::classify(&c)
}

/// A verdict that names a class beats `unknown`; then the surer one wins.
fn better(a: &Verdict, b: &Verdict) -> bool {
    let known = |v: &Verdict| v.class != classify::Class::Unknown;
    (known(a), a.confidence) > (known(b), b.confidence)
}

/// The one or two lines printed for a verdict.
pub fn lines(v: &Verdict) -> String {
    let title = crate::fixes::for_class(v.class).title;
    let mut first = format!(
        "claude-429: {} ({}), {}",
        v.class.as_str(),
        title,
        v.confidence.as_str()
    );
    if v.provider.not_anthropic_quota() {
        first.push_str(&format!(" [{}]", v.provider));
    }
    if let Some(s) = v.retry_after_s {
        first.push_str(&format!("; retry after {s}s"));
    }
    format!("{first}\n  fix: {}", v.fix.first)
}
