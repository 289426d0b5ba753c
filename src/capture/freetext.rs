//! Free text that the format readers used to pass over, read with the plain-text
//! recognisers. Three places call in here with a one-line edit each (kept out of the format
//! modules so the calls survive their moves):
//!
//! * a line starting with `# ` or `// ` (a pasted issue title, a Markdown note, a commented
//!   log line) starts a capture when it carries a failure ([`comment_carries_failure`]);
//! * a JSON Lines record without status or headers (pino, bunyan, structlog, a gateway's own
//!   log) is read from its free-text fields: `msg`, `message`, `err`, `error` as a string
//!   (`logrecord`, which runs the text reader on them and uses [`rate_limit_evidence`]);
//! * an SDK error literal that does not parse (a truncated paste) falls back to its text: the
//!   status in any key form ([`literal_status`]) and rate-limit words
//!   ([`rate_limit_evidence`]).

use serde_json::Value;

use crate::classify::rules;
use crate::exchange::Capture;

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

/// A substring probe without allocation.
fn has(hay: &str, needle: &str) -> bool {
    hay.contains(needle)
}

/// A 429 or 529 written as a status (`API Error: 429`, `status 429`, `429 Too Many Requests`,
/// `429 {`), not merely a number in a heading.
fn status_429_529(lower: &str) -> bool {
    ["429", "529"].iter().any(|n| status_n(lower, n))
}

/// `n` written as a status in `lower`.
fn status_n(lower: &str, n: &str) -> bool {
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
}

/// Rate-limit or overload evidence in free text: an error type, or a status written as one
/// together with a rate-limit phrase.
pub fn rate_limit_evidence(text: &str) -> bool {
    evidence_in(&text.to_ascii_lowercase(), text)
}

/// [`rate_limit_evidence`] over the text and its lower-cased form.
fn evidence_in(lower: &str, text: &str) -> bool {
    if lower.contains("rate_limit_error") || lower.contains("overloaded_error") {
        return true;
    }
    status_429_529(lower)
        && ([
            "rate limit",
            "rate-limit",
            "ratelimit",
            "too many requests",
            "overloaded",
        ]
        .iter()
        .any(|w| lower.contains(w))
            || rules::first_match(&rules::normalise(text)).is_some())
}

/// The 429 or 529 of a line with rate-limit evidence, when it is written as a status.
pub fn unplaced_failure(trimmed: &str) -> Option<u16> {
    if !has(trimmed, "429") && !has(trimmed, "529") {
        return None;
    }
    let lower = trimmed.to_ascii_lowercase();
    // Claude Code's own `API Error` lines have a reader of their own.
    if lower.contains("api error") || trimmed.starts_with('⎿') || !evidence_in(&lower, trimmed) {
        return None;
    }
    [429, 529]
        .into_iter()
        .find(|n| status_n(&lower, &n.to_string()))
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

/// HTTP methods as access logs print them.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// A proxy's or gateway's own log line: `Some(Some(status))` for an upstream refusal it
/// retries or passes on (`upstream 429 (retry 2/3)`, `POST /v1/messages 429 3890ms`),
/// `Some(None)` for an access-log line that is no API failure (`HEAD /v1/models 404`, a
/// 200), `None` for anything else (the text reader decides).
pub fn proxy_line(trimmed: &str) -> Option<Option<u16>> {
    // Most lines are neither: no allocation for them.
    if has(trimmed, "pstream") || has(trimmed, "PSTREAM") {
        let lower = trimmed.to_ascii_lowercase();
        // `upstream 429`, `upstream returned 529`, `upstream status=429`.
        if let Some(at) = lower.find("upstream") {
            let rest = lower[at + 8..].trim_start_matches([' ', ':', '=']);
            let rest = [
                "returned ",
                "responded ",
                "status ",
                "status=",
                "status: ",
                "error ",
            ]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 3
                && let Ok(s) = rest[..3].parse::<u16>()
                && matches!(s, 429 | 529)
            {
                return Some(Some(s));
            }
        }
    }
    if !has(trimmed, " /") {
        return None;
    }
    // An access-log line: `METHOD /path STATUS ...`, nothing else around the status.
    let mut words = trimmed.split_whitespace();
    words.find(|w| METHODS.contains(w))?;
    let path = words.next().filter(|p| p.starts_with('/'))?;
    let status: u16 = words
        .next()
        .filter(|w| w.len() == 3)
        .and_then(|w| w.parse().ok())
        .filter(|s| (100..600).contains(s))?;
    if words.nth(1).is_some() || trimmed.contains('{') {
        // More than a duration after the status: a message the text reader should see.
        return None;
    }
    let api_call = path.starts_with("/v1/messages") || path.starts_with("/v1/complete");
    let refusal = matches!(status, 429 | 529) || (api_call && status >= 500);
    Some(refusal.then_some(status))
}

/// Words of a reader's guess about a cause, not of an error.
const HEDGES: &[&str] = &[
    "i think",
    "i guess",
    "i believe",
    "we think",
    "we suspect",
    "i suspect",
    "my guess",
    "maybe ",
    "perhaps",
    "probably",
    "might be",
    "could be",
    "could the",
    "is it possible",
    "my hypothesis",
    "hypothesis:",
    "seems like",
    "it looks like",
];

/// A line of prose guessing at the cause ("I think we are hitting the 429 rate limit
/// because..."): hedged words, and none of an error's own shape (a body, an error type, the
/// API's "would exceed" sentence).
pub fn is_hypothesis(trimmed: &str) -> bool {
    // Only a line that names a limit could be taken for a failure.
    if !["429", "529", "ate limit", "verload", "uota"]
        .iter()
        .any(|w| has(trimmed, w))
    {
        return false;
    }
    // The hedges' stems, any case of their first letter: no allocation for other lines.
    if ![
        "hink",
        "uess",
        "elieve",
        "uspect",
        "aybe",
        "erhaps",
        "robably",
        "ight be",
        "ould be",
        "ould the",
        "s it possible",
        "ypothes",
        "eems like",
        "ooks like",
    ]
    .iter()
    .any(|w| has(trimmed, w))
    {
        return false;
    }
    let lower = trimmed.to_ascii_lowercase();
    HEDGES.iter().any(|h| lower.contains(h))
        && !lower.contains('{')
        && !lower.contains("_error")
        && !lower.contains("would exceed")
        && !lower.contains("error:")
        && !lower.contains("error code")
        && !lower.contains("api error")
}

/// What a line says about the exception it starts with, read from its first word only (no
/// scan of the rest for most lines):
/// * `cause`: it prints again an exception already printed above it: `Caused by:` in a Java
///   or Kotlin stack trace, .NET's `---> ` inner exception, tenacity's
///   `RetryError[<Future at 0x… state=finished raised RateLimitError>]`;
/// * `summary`: a retry wrapper quoting the last error (`AI_RetryError: Failed after 3
///   attempts. Last error: …`);
/// * `repr`: an exception's `repr()` (`RateLimitError("Error code: 429 - …")`).
pub fn exception_line(trimmed: &str) -> (bool, bool, bool) {
    if trimmed.starts_with("Caused by: ") || trimmed.starts_with("---> ") {
        return (true, false, false);
    }
    let word = trimmed
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'))
        .count();
    let (name, rest) = trimmed.split_at(word);
    let errorish = name.ends_with("Error") || name.ends_with("Exception");
    if !errorish {
        return (false, false, false);
    }
    let repr = rest.starts_with("(\"") || rest.starts_with("('");
    let colon = rest.starts_with(':');
    let cause = colon && name.ends_with("RetryError") && has(rest, " raised ");
    let summary = colon && has(rest, "Last error: ");
    (cause, summary, repr)
}

/// Documentation prose about errors: a status or an error type set in a Markdown code span
/// (`` `429` ``, `` `overloaded_error` ``), with none of an error's own shape around it (a
/// body, an `Error:` lead). A README's "A `529` means the API is overloaded" is no failure.
pub fn is_doc_prose(trimmed: &str) -> bool {
    if !has(trimmed, "`") {
        return false;
    }
    let lower = trimmed.to_ascii_lowercase();
    ["`429`", "`529`", "`rate_limit_error`", "`overloaded_error`"]
        .iter()
        .any(|w| lower.contains(w))
        && !lower.contains('{')
        && !lower.contains("error:")
        && !lower.contains("error code")
}

/// A gateway's own error body that names no rate limit in words but is one by its code
/// (Cloudflare AI Gateway: `{"name": "AiGatewayError", "internalCode": 2009}`): absorbed into
/// the capture it answers, so the classifier sees the name and the code.
pub fn absorb_gateway_error(c: &mut Capture, v: &Value) -> bool {
    v.get("name").and_then(Value::as_str) == Some("AiGatewayError") && c.absorb_body(v)
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
    fn proxy_lines() {
        assert_eq!(
            proxy_line("WARN proxy: upstream 429 (retry 2/3) POST /v1/messages"),
            Some(Some(429))
        );
        assert_eq!(
            proxy_line("upstream returned 529, retrying"),
            Some(Some(529))
        );
        assert_eq!(
            proxy_line("INFO proxy: HEAD /v1/models 404 3ms"),
            Some(None)
        );
        assert_eq!(
            proxy_line("INFO proxy: POST /v1/messages 200 812ms"),
            Some(None)
        );
        assert_eq!(
            proxy_line("ERROR proxy: POST /v1/messages 429 3890ms"),
            Some(Some(429))
        );
        assert_eq!(proxy_line("POST /v1/messages 502 12ms"), Some(Some(502)));
        assert_eq!(proxy_line("GET /v1/models 404"), Some(None));
        assert_eq!(proxy_line("HTTP/1.1 429 Too Many Requests"), None);
        assert_eq!(
            proxy_line("POST /v1/messages 429 {\"type\":\"error\"}"),
            None
        );
    }

    #[test]
    fn exception_lines() {
        let repr = |l| exception_line(l).2;
        assert!(repr(
            "RateLimitError(\"Error code: 429 - {'type': 'error'}\")"
        ));
        assert!(repr("anthropic.APIStatusError('Overloaded')"));
        assert!(!repr(
            "anthropic.RateLimitError: Error code: 429 - {'type': 'error'}"
        ));
        assert!(!repr("retrying after RateLimitError('x')"));
        assert_eq!(
            exception_line("Caused by: com.anthropic.errors.RateLimitException: 429: {}"),
            (true, false, false)
        );
        assert_eq!(
            exception_line(
                "tenacity.RetryError: RetryError[<Future at 0x7f state=finished raised RateLimitError>]"
            ),
            (true, false, false)
        );
        assert_eq!(
            exception_line("AI_RetryError: Failed after 3 attempts. Last error: x"),
            (false, true, false)
        );
        assert_eq!(exception_line("INFO ok"), (false, false, false));
    }

    #[test]
    fn doc_prose_is_not_a_failure() {
        assert!(is_doc_prose("A `529` means the API is overloaded."));
        assert!(is_doc_prose(
            "When the API answers `429` with `rate_limit_error`, wait."
        ));
        assert!(!is_doc_prose(
            "`API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\"}}`"
        ));
        assert!(!is_doc_prose("API Error: 529 overloaded"));
    }

    #[test]
    fn hypotheses_are_prose() {
        assert!(is_hypothesis(
            "I think we are hitting the 429 rate limit because the requests per minute are too high"
        ));
        assert!(!is_hypothesis(
            "anthropic.RateLimitError: Error code: 429 - {'type': 'error'}"
        ));
        assert!(!is_hypothesis(
            "This request would exceed your organization's rate limit of 50 requests per minute."
        ));
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
}
