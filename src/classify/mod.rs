//! Capture -> Verdict. Precedence, as the design fixes it: `error.details.error_code` >
//! headers with an exhausted dimension > message text > status alone. Conflicting or missing
//! evidence lowers the confidence; a confident wrong answer is the worst outcome.

pub mod rules;
pub mod summary;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::exchange::headers::parse_int;
use crate::exchange::{Capture, Format};
use crate::fixes;
use crate::ratelimit::DimensionName;

pub use crate::verdict::Class;

/// How sure a verdict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Possible,
    Likely,
    Certain,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Certain => "certain",
        }
    }
}

/// The fix printed with a verdict: the decision table's row for its class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FixRef {
    /// The first thing to do.
    pub first: &'static str,
    /// What to do next.
    pub then: &'static str,
}

/// The judgement on one failed request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verdict {
    /// Input path (`-` for stdin).
    pub source: String,
    /// 1-based line where the capture starts.
    pub line: u64,
    /// When the failure happened (RFC 3339, UTC), when the capture says.
    pub time: Option<String>,
    /// HTTP status, when the capture shows one.
    pub status: Option<u16>,
    /// Model named by the request, the URL or the message.
    pub model: Option<String>,
    /// The verdict.
    pub class: Class,
    /// How sure: certain, likely or possible.
    pub confidence: Confidence,
    /// The header, code or sentence lines that decided it, strongest first.
    pub evidence: Vec<String>,
    /// Seconds to wait before retrying: `retry-after`, `retry-after-ms`, or the relevant reset.
    pub retry_after_s: Option<u64>,
    /// The request id (`req_...`), from the body or the `request-id` header.
    pub request_id: Option<String>,
    /// The decision table's fix for this class.
    pub fix: FixRef,
    /// Which input format the capture came in.
    pub format: Format,
    /// `error.type` of the body, when there was one.
    pub error_type: Option<String>,
    /// `error.details.error_code`, when there was one.
    pub error_code: Option<String>,
    /// The configured limit involved (from the header or the message), when known.
    pub limit: Option<u64>,
    /// When the exhausted bucket is full again (RFC 3339), when known.
    pub reset: Option<String>,
    /// Why this class, in one line (the decision table's reason, or what a non-limit error is).
    pub why: String,
}

/// One `anthropic-ratelimit-*` dimension as read from headers.
#[derive(Debug, Clone, Default)]
pub struct Dim {
    pub name: &'static str,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<String>,
}

impl Dim {
    fn header(&self, field: &str) -> String {
        format!("anthropic-ratelimit-{}-{field}", self.name)
    }

    /// Exhausted by the failure rule ([`crate::ratelimit::exhausted_on_failure`]: zero, or at
    /// most 1% of the limit), or below what the request itself needs.
    fn exhausted(&self, need: Option<u64>) -> bool {
        match self.remaining {
            Some(r) if crate::ratelimit::exhausted_on_failure(r, self.limit) => true,
            Some(r) => need.is_some_and(|n| r < n),
            None => false,
        }
    }

    fn evidence(&self) -> String {
        let mut s = format!("{}: {}", self.header("remaining"), fmt_opt(self.remaining));
        if let Some(l) = self.limit {
            s.push_str(&format!(" (limit {l})"));
        }
        s
    }
}

fn fmt_opt(v: Option<u64>) -> String {
    v.map_or_else(|| "?".into(), |v| v.to_string())
}

/// The shared dimension vocabulary ([`crate::ratelimit::DimensionName`]) and the class each
/// dimension's exhaustion means.
const DIMS: [(&str, Class); 4] = [
    (DimensionName::Requests.header_infix(), Class::Rpm),
    (DimensionName::InputTokens.header_infix(), Class::Itpm),
    (DimensionName::OutputTokens.header_infix(), Class::Otpm),
    (DimensionName::Tokens.header_infix(), Class::Itpm),
];

/// Reads the four rate-limit dimensions that the headers show.
pub fn dims(c: &Capture) -> Vec<Dim> {
    DIMS.iter()
        .filter_map(|(name, _)| {
            let h = |f: &str| c.headers.get(&format!("anthropic-ratelimit-{name}-{f}"));
            let d = Dim {
                name,
                limit: h("limit").and_then(parse_int),
                remaining: h("remaining").and_then(parse_int),
                reset: h("reset").map(str::to_string),
            };
            (d.limit.is_some() || d.remaining.is_some()).then_some(d)
        })
        .collect()
}

fn dim_class(name: &str) -> Class {
    DIMS.iter()
        .find(|(n, _)| *n == name)
        .map_or(Class::Unknown, |(_, c)| *c)
}

/// Stable error codes and what they mean.
const ERROR_CODES: &[(&str, Class, &str)] = &[
    (
        "ramp_limit_exceeded",
        Class::Acceleration,
        "usage grew faster than the ramp (acceleration) limit allows",
    ),
    (
        "enforced_spend_limit_reached",
        Class::Spend,
        "the org crossed its tier's monthly spend threshold",
    ),
    (
        "contract_spend_limit_reached",
        Class::Spend,
        "the org reached its contract's spend limit",
    ),
    (
        "linked_organization_spend_limit_reached",
        Class::Spend,
        "the linked org hit its own spend limit or has no credit",
    ),
    (
        "linked_organization_billing_unavailable",
        Class::NotRateLimit,
        "billing: the linked org cannot be billed (not a rate limit)",
    ),
    (
        "organization_on_hold",
        Class::NotRateLimit,
        "the org is on hold for trust and safety (not a rate limit)",
    ),
    (
        "compaction_unavailable",
        Class::Overload,
        "server-side compaction capacity is short (overload)",
    ),
];

/// Is this capture a failure at all? Successes get no verdict.
pub fn is_failure(c: &Capture) -> bool {
    if c.stream_error {
        return true;
    }
    match c.status {
        Some(s) if s >= 400 => true,
        Some(_) => c.error.kind.is_some() || c.error.error_code.is_some(),
        None => {
            !c.error.is_empty()
                || c.headers.get("retry-after").is_some()
                || c.headers.get("retry-after-ms").is_some()
                || unified_rejected(c).is_some()
                || dims(c).iter().any(|d| d.exhausted(None))
                || (!c.text.is_empty() && rules::first_match(&rules::normalise(&c.text)).is_some())
        }
    }
}

fn unified_rejected(c: &Capture) -> Option<String> {
    c.headers
        .0
        .iter()
        .find(|(n, v)| {
            n.starts_with("anthropic-ratelimit-unified")
                && n.ends_with("status")
                && v.eq_ignore_ascii_case("rejected")
        })
        .map(|(n, v)| format!("{n}: {v}"))
}

/// Builder for a verdict's class, confidence and evidence.
struct Judgement {
    class: Class,
    confidence: Confidence,
    evidence: Vec<String>,
    why: Option<String>,
    limit: Option<u64>,
    reset: Option<String>,
}

impl Judgement {
    fn new(class: Class, confidence: Confidence) -> Self {
        Judgement {
            class,
            confidence,
            evidence: Vec::new(),
            why: None,
            limit: None,
            reset: None,
        }
    }
    fn ev(mut self, e: impl Into<String>) -> Self {
        self.evidence.push(e.into());
        self
    }
    fn why(mut self, w: impl Into<String>) -> Self {
        self.why = Some(w.into());
        self
    }
    fn cap(mut self, max: Confidence) -> Self {
        self.confidence = self.confidence.min(max);
        self
    }
}

fn quote(s: &str) -> String {
    quote_around(s, None)
}

/// Quotes `s` (whitespace collapsed), cut to about 160 characters around `phrase` when given,
/// so the evidence shows the words that decided.
fn quote_around(s: &str, phrase: Option<&str>) -> String {
    const MAX: usize = 160;
    let s = s
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{23bf}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX {
        return format!("\"{s}\"");
    }
    let lower = s.to_lowercase();
    let at = phrase
        .and_then(|p| lower.find(p))
        .map(|byte| s[..byte.min(s.len())].chars().count())
        .unwrap_or(0);
    let start = at.saturating_sub(90).min(chars.len().saturating_sub(MAX));
    let end = (start + MAX).min(chars.len());
    let mut out = String::from("\"");
    if start > 0 {
        out.push_str("...");
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push_str("...");
    }
    out.push('"');
    out
}

/// Error types and stable codes recognised in free text when no structure survived (a
/// truncated paste, broken quoting): `rate_limit_error`, `overloaded_error`, ...
const TYPE_TOKENS: &[&str] = &[
    "overloaded_error",
    "rate_limit_error",
    "billing_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "invalid_request_error",
    "api_error",
    "timeout_error",
];

/// The first error type named in normalised text.
pub fn kind_in_text(norm: &str) -> Option<&'static str> {
    TYPE_TOKENS.iter().copied().find(|t| norm.contains(t))
}

/// A known stable error code named in normalised text.
fn code_in_text(norm: &str) -> Option<&'static str> {
    ERROR_CODES
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| norm.contains(k))
}

/// The error type, taking an OpenAI-compatible `code` ("rate_limit_error") over a wrong `type`.
fn error_kind(c: &Capture) -> Option<&str> {
    let code = c.error.code.as_deref().filter(|k| k.ends_with("_error"));
    match (c.error.kind.as_deref(), code) {
        (Some("invalid_request_error"), Some(code)) => Some(code),
        (Some(k), _) => Some(k),
        (None, code) => code,
    }
}

/// Classifies one capture. `None` for captures that are not failures.
pub fn classify(c: &Capture) -> Option<Verdict> {
    if !is_failure(c) {
        return None;
    }
    let j = judge(c);
    Some(finish(c, j))
}

fn judge(c: &Capture) -> Judgement {
    let status = c.status;
    let norm_text = rules::normalise(&c.text);
    // With no parsed body, error types and codes named in the text still count.
    let text_kind = if c.error.is_empty() {
        kind_in_text(&norm_text)
    } else {
        None
    };
    let kind = error_kind(c).or(text_kind);
    let status_ev = status.map(|s| format!("status {s}"));
    let text_code = if c.error.error_code.is_none() && c.error.is_empty() {
        code_in_text(&norm_text)
    } else {
        None
    };

    // 1. The stable error code.
    let mut unknown_code = None;
    if let Some(code) = c.error.error_code.as_deref().or(text_code) {
        if let Some((_, class, meaning)) = ERROR_CODES.iter().find(|(k, _, _)| *k == code) {
            let mut j = Judgement::new(*class, Confidence::Certain)
                .ev(format!("error.details.error_code: {code}"))
                .why(*meaning);
            if let Some(s) = status_ev {
                j = j.ev(s);
            }
            return j;
        }
        unknown_code = Some(code.to_string());
    }
    let with_code_note = |mut j: Judgement| {
        if let Some(code) = &unknown_code {
            j = j
                .ev(format!(
                    "error.details.error_code: {code} (not a code this version knows)"
                ))
                .cap(Confidence::Likely);
        }
        j
    };

    let message = c.error.message.as_deref().unwrap_or("");
    let norm_msg = rules::normalise(message);
    let matched = rules::first_match(&norm_msg)
        .map(|(r, p)| (r, p, true))
        .or_else(|| rules::first_match(&norm_text).map(|(r, p)| (r, p, false)));
    let msg_limit =
        rules::limit_in_message(&norm_msg).or_else(|| rules::limit_in_message(&norm_text));
    let phrase = matched.map(|(_, p, _)| p);
    let text_ev = |matched_in_msg: bool| {
        if matched_in_msg {
            format!("message: {}", quote_around(message, phrase))
        } else {
            format!("text: {}", quote_around(&c.text, phrase))
        }
    };

    // 2. Overload, whatever the status it arrived with.
    let overload_type = kind == Some("overloaded_error");
    let overload_text =
        norm_msg.contains("overloaded") || (message.is_empty() && norm_text.contains("overloaded"));
    if status == Some(529) || overload_type || (c.stream_error && overload_text) {
        let mut j = Judgement::new(Class::Overload, Confidence::Certain);
        if let Some(s) = &status_ev {
            j = j.ev(s.clone());
        }
        if let Some(k) = kind {
            j = j.ev(format!("error.type: {k}"));
        }
        if c.stream_error {
            j = j.ev("SSE error event inside a 200 stream (retry-by-status misses it)");
        }
        return with_code_note(j);
    }
    if status.is_some_and(|s| (500..600).contains(&s)) && overload_text {
        let j = Judgement::new(Class::Overload, Confidence::Certain)
            .ev(status_ev.clone().unwrap_or_default())
            .ev(text_ev(!message.is_empty()))
            .why("an overload delivered as a 5xx (a gateway rewrote the 529, or api_error \"Overloaded\")");
        return with_code_note(j);
    }

    // 3. Subscription windows from the unified headers.
    if let Some(h) = unified_rejected(c) {
        return with_code_note(Judgement::new(Class::SubscriptionCap, Confidence::Certain).ev(h));
    }

    let dims = dims(c);
    let need_input = c.request.input_tokens;
    let exhausted: Vec<&Dim> = dims
        .iter()
        .filter(|d| {
            d.exhausted(match d.name {
                "input-tokens" | "tokens" => need_input,
                _ => None,
            })
        })
        .collect();
    // The tokens-* view repeats whichever token dimension is tightest; prefer the specific one.
    let specific: Vec<&Dim> = exhausted
        .iter()
        .copied()
        .filter(|d| d.name != "tokens")
        .collect();
    let exhausted = if specific.is_empty() {
        exhausted
    } else {
        specific
    };

    // retry-after comes with 429s: a bare header dump carrying it is judged as one.
    let retry_without_status = status.is_none()
        && (c.headers.get("retry-after").is_some() || c.headers.get("retry-after-ms").is_some());
    let rate_limited =
        status == Some(429) || kind == Some("rate_limit_error") || retry_without_status;
    let mut status_ev = status_ev;
    if retry_without_status {
        status_ev = Some("no status line; retry-after present (sent with 429s)".into());
    }
    if status.is_none()
        && let Some(k) = text_kind
    {
        status_ev = Some(format!("text names {k}"));
    }
    let header_judgement = |base: Confidence| -> Option<Judgement> {
        let first = *exhausted.first()?;
        if exhausted.len() == 1 {
            let mut j = Judgement::new(dim_class(first.name), base).ev(first.evidence());
            if first.name == "tokens" {
                j = j.cap(Confidence::Possible).why(
                    "the combined tokens-* view is exhausted; without input/output headers the dimension cannot be told apart (input is the usual one)",
                );
            }
            j.limit = first.limit;
            j.reset = first.reset.clone();
            Some(j)
        } else {
            // Several exhausted: the tightest ratio is the best guess, but it is a guess.
            let tightest = exhausted
                .iter()
                .min_by(|a, b| ratio(a).total_cmp(&ratio(b)))
                .copied()
                .unwrap_or(first);
            let mut j = Judgement::new(dim_class(tightest.name), base.min(Confidence::Likely));
            for d in &exhausted {
                j = j.ev(d.evidence());
            }
            j.limit = tightest.limit;
            j.reset = tightest.reset.clone();
            Some(j.why("several dimensions are exhausted at once; the tightest is named"))
        }
    };

    // 4. Message text.
    if let Some((rule, phrase, in_msg)) = matched {
        let dimension_rule = matches!(rule.class, Class::Rpm | Class::Itpm | Class::Otpm);
        let mut j = Judgement::new(rule.class, rule.confidence)
            .ev(text_ev(in_msg))
            .why(rule.meaning);
        j.limit = msg_limit;
        if let Some(s) = &status_ev {
            j = j.ev(s.clone());
        }
        if rule.class == Class::Unknown {
            // Generic text: headers, if any, say more.
            if let Some(h) = header_judgement(if rate_limited {
                Confidence::Certain
            } else {
                Confidence::Likely
            }) {
                return with_code_note(h.ev(text_ev(in_msg)));
            }
            let j = j.why(
                "the message names no dimension: it appears both behind subscription caps and behind server-side throttling; capture the response headers to tell",
            );
            return with_code_note(batch_or(c, j));
        }
        if dimension_rule {
            // Several dimensions exhausted and the text names one of them: the text decides.
            if exhausted.len() > 1
                && let Some(d) = exhausted.iter().find(|d| dim_class(d.name) == rule.class)
            {
                let mut j = Judgement::new(rule.class, Confidence::Certain)
                    .ev(d.evidence())
                    .ev(text_ev(in_msg))
                    .why(rule.meaning);
                for o in exhausted.iter().filter(|o| o.name != d.name) {
                    j = j.ev(format!("{} (also exhausted)", o.evidence()));
                }
                j.limit = d.limit.or(msg_limit);
                j.reset = d.reset.clone();
                if let Some(s) = &status_ev {
                    j = j.ev(s.clone());
                }
                return with_code_note(j);
            }
            if let Some(h) = header_judgement(Confidence::Certain) {
                if h.class == rule.class || (h.class == Class::Itpm && rule.class == Class::Itpm) {
                    let mut h = h.ev(text_ev(in_msg));
                    h.confidence = h.confidence.max(rule.confidence).min(Confidence::Certain);
                    if h.why.is_none() {
                        h.why = Some(rule.meaning.into());
                    }
                    return with_code_note(h);
                }
                // Headers and text disagree: headers win, with lowered confidence.
                let h = h
                    .ev(format!(
                        "{} (conflicts: names {})",
                        text_ev(in_msg),
                        rule.class
                    ))
                    .cap(Confidence::Likely)
                    .why(
                        "headers and message disagree; the exhausted header is taken over the text",
                    );
                return with_code_note(h);
            }
            // The named dimension shows plenty of headroom: lower the confidence.
            if let Some(d) = dims
                .iter()
                .find(|d| dim_class(d.name) == rule.class && d.name != "tokens")
                && let (Some(r), Some(l)) = (d.remaining, d.limit)
                && l > 0
                && r * 2 > l
            {
                j = j
                    .ev(format!("{} (more than half left)", d.evidence()))
                    .cap(Confidence::Likely);
            }
            let _ = phrase;
            return with_code_note(j);
        }
        if !exhausted.is_empty()
            && rule.class == Class::Acceleration
            && rule.confidence < Confidence::Certain
        {
            j = j
                .ev(format!(
                    "{} (a per-minute dimension is exhausted too)",
                    exhausted[0].evidence()
                ))
                .cap(Confidence::Possible);
        }
        return with_code_note(batch_or(c, j));
    }

    // 5. Headers alone.
    if let Some(h) = header_judgement(if rate_limited {
        Confidence::Certain
    } else {
        Confidence::Likely
    }) {
        let mut h = h;
        if let Some(s) = &status_ev {
            h = h.ev(s.clone());
        }
        return with_code_note(h);
    }

    // 6. Status (and type) alone.
    with_code_note(by_status(c, kind, &dims, rate_limited, status_ev))
}

fn ratio(d: &Dim) -> f64 {
    match (d.remaining, d.limit) {
        (Some(r), Some(l)) if l > 0 => r as f64 / l as f64,
        (Some(0), _) => 0.0,
        _ => 1.0,
    }
}

/// A rate-limit refusal on the Message Batches endpoint is the batch queue limit.
fn batch_or(c: &Capture, j: Judgement) -> Judgement {
    let on_batches = c
        .url
        .as_deref()
        .is_some_and(|u| u.contains("/messages/batches"));
    if on_batches && matches!(j.class, Class::Unknown | Class::Rpm) && c.status == Some(429) {
        return Judgement::new(Class::BatchQueue, Confidence::Likely)
            .ev(format!("url: {}", c.url.as_deref().unwrap_or_default()))
            .ev("status 429");
    }
    j
}

fn by_status(
    c: &Capture,
    kind: Option<&str>,
    dims: &[Dim],
    rate_limited: bool,
    status_ev: Option<String>,
) -> Judgement {
    let status = c.status;
    let type_ev = kind.map(|k| format!("error.type: {k}"));
    let with = |mut j: Judgement| {
        if let Some(s) = &status_ev {
            j = j.ev(s.clone());
        }
        if let Some(t) = &type_ev {
            j = j.ev(t.clone());
        }
        if let Some(m) = c.error.message.as_deref() {
            j = j.ev(format!("message: {}", quote(m)));
        }
        j
    };
    if rate_limited {
        if c.url
            .as_deref()
            .is_some_and(|u| u.contains("/messages/batches"))
        {
            return batch_or(c, Judgement::new(Class::Unknown, Confidence::Possible));
        }
        if !dims.is_empty() && dims.iter().all(|d| d.remaining.is_some()) {
            // A 429 with headroom everywhere: not RPM/ITPM/OTPM.
            let mut j = Judgement::new(Class::Acceleration, Confidence::Possible).why(
                "a 429 with headroom in every rate-limit header is not a per-minute limit: most often the acceleration (ramp) limit, else a workspace limit the headers do not show",
            );
            for d in dims {
                j = j.ev(d.evidence());
            }
            return with(j);
        }
        let j = Judgement::new(Class::Unknown, Confidence::Possible)
            .why("a 429 without an error code, rate-limit headers or a message naming the limit");
        return with(j);
    }
    let (class, confidence, why) = match (status, kind) {
        (_, Some("authentication_error")) | (Some(401), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "authentication failed: check the API key".to_string(),
        ),
        (_, Some("permission_error")) | (Some(403), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "permission denied: the key may not use this resource".to_string(),
        ),
        (_, Some("not_found_error")) | (Some(404), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "not found: check the model name and the URL".to_string(),
        ),
        (_, Some("request_too_large")) | (Some(413), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "request too large: shorten it".to_string(),
        ),
        (_, Some("billing_error")) | (Some(402), _) => (
            Class::Spend,
            Confidence::Possible,
            "a billing error without a stable code: most often a spend limit or missing credit"
                .to_string(),
        ),
        (Some(s), _) if (400..500).contains(&s) => (
            Class::NotRateLimit,
            if kind.is_some() || c.error.message.is_some() {
                Confidence::Certain
            } else {
                Confidence::Likely
            },
            format!("a {s} client error, not a rate limit: the message names the cause"),
        ),
        (Some(503), None) if c.error.message.is_none() => (
            Class::Overload,
            Confidence::Possible,
            "a bare 503: gateways often rewrite 529 overloads to 503".to_string(),
        ),
        (Some(s), _) if (500..600).contains(&s) => (
            Class::NotRateLimit,
            if kind == Some("api_error") {
                Confidence::Likely
            } else {
                Confidence::Possible
            },
            format!("a {s} server error, not a rate limit: retry with backoff"),
        ),
        (_, Some("timeout_error")) => (
            Class::NotRateLimit,
            Confidence::Likely,
            "a timeout, not a rate limit".to_string(),
        ),
        _ => (
            Class::Unknown,
            Confidence::Possible,
            "no decisive code, header or message".to_string(),
        ),
    };
    with(Judgement::new(class, confidence).why(why))
}

fn finish(c: &Capture, mut j: Judgement) -> Verdict {
    // Loose prose (no body, no headers, no SDK or Claude Code line shape): a status named in
    // running text is weak; only a certain text rule keeps its confidence.
    if c.format == Format::Text
        && c.error.is_empty()
        && c.headers.is_empty()
        && !c.stream_error
        && rules::first_match(&rules::normalise(&c.text))
            .is_none_or(|(r, _)| r.confidence != Confidence::Certain)
    {
        j.confidence = Confidence::Possible;
    }
    let fix = fixes::for_class(j.class);
    let mut evidence: Vec<String> = Vec::with_capacity(j.evidence.len() + 1);
    for e in j.evidence {
        if !e.is_empty() && !evidence.contains(&e) {
            evidence.push(e);
        }
    }
    if evidence.is_empty() {
        evidence.push("no evidence beyond the failure itself".into());
    }
    let retry_after_s = retry_after(c, j.reset.as_deref());
    Verdict {
        source: c.source.to_string(),
        line: c.line,
        time: c
            .time
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        status: c.status,
        model: c.model.clone(),
        class: j.class,
        confidence: j.confidence,
        evidence,
        retry_after_s,
        request_id: c.request_id().map(str::to_string),
        fix: FixRef {
            first: fix.first,
            then: fix.then,
        },
        format: c.format,
        error_type: error_kind(c).map(str::to_string),
        error_code: c.error.error_code.clone(),
        limit: j.limit,
        reset: j.reset,
        why: j.why.unwrap_or_else(|| fix.why.to_string()),
    }
}

/// `retry-after` (seconds or HTTP date), `retry-after-ms`, else the reset of the exhausted
/// dimension relative to the capture's time.
pub fn retry_after(c: &Capture, reset: Option<&str>) -> Option<u64> {
    if let Some(v) = c.headers.get("retry-after") {
        if let Some(n) = parse_int(v) {
            return Some(n);
        }
        if let (Ok(at), Some(now)) = (DateTime::parse_from_rfc2822(v), c.time) {
            return Some((at.with_timezone(&Utc) - now).num_seconds().max(0) as u64);
        }
    }
    if let Some(ms) = c.headers.get("retry-after-ms").and_then(parse_int) {
        return Some(ms.div_ceil(1000));
    }
    let (reset, now) = (reset?, c.time?);
    let at = DateTime::parse_from_rfc3339(reset).ok()?;
    Some((at.with_timezone(&Utc) - now).num_seconds().max(0) as u64)
}
