//! The error types and stable error codes the judge knows, and finding them in free text.

use super::Class;

/// Stable error codes and what they mean.
pub(crate) const ERROR_CODES: &[(&str, Class, &str)] = &[
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

/// A known stable error code named in normalised text, and whether it stands as a field
/// (`"error_code": "…"`, in a literal that did not parse) rather than in prose.
pub(crate) fn code_in_text(norm: &str) -> Option<(&'static str, bool)> {
    let code = ERROR_CODES
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| norm.contains(k))?;
    let field = [
        "\"error_code\"",
        "'error_code'",
        "error_code:",
        "error_code=",
    ]
    .iter()
    .any(|f| norm.contains(f));
    Some((code, field))
}

/// The error types a cut-off paste is still read as: a rate limit or an overload.
const CUT_TOKENS: &[&str] = &["rate_limit_error", "overloaded_error"];

/// An error type cut off mid-word where a paste or a log line was truncated
/// (`{"type":"error","error":{"type":"rate_limit_err`): an unclosed quoted word at the very end
/// of the text, or of one of its lines, that is a proper start (six letters or more) of a
/// rate-limit or overload type. Returns the type it starts and the part that was seen.
pub fn cut_kind(text: &str) -> Option<(&'static str, &str)> {
    if !text.contains("rate_") && !text.contains("overlo") {
        return None;
    }
    text.lines().rev().find_map(|line| {
        let line = line.trim_end_matches(['.', '…', ' ', '\t', '\r']);
        let start = line.rfind(['"', '\''])? + 1;
        let seen = &line[start..];
        if seen.len() < 6 || !seen.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return None;
        }
        CUT_TOKENS
            .iter()
            .find(|t| t.len() > seen.len() && t.starts_with(seen))
            .map(|t| (*t, seen))
    })
}

#[cfg(test)]
mod tests {
    use super::cut_kind;

    #[test]
    fn cut_off_types() {
        assert_eq!(
            cut_kind(r#"{"type":"error","error":{"type":"rate_limit_err"#),
            Some(("rate_limit_error", "rate_limit_err"))
        );
        assert_eq!(
            cut_kind("Error code: 429 - {'type': 'error', 'error': {'type': 'rate_li"),
            Some(("rate_limit_error", "rate_li"))
        );
        assert_eq!(
            cut_kind("{\n  \"error\": {\n    \"type\": \"overloaded_e...\n"),
            Some(("overloaded_error", "overloaded_e"))
        );
        // Whole types, other words, too short a start: no.
        assert_eq!(cut_kind(r#"{"type":"rate_limit_error"}"#), None);
        assert_eq!(cut_kind(r#"{"type":"rate_limit_error"#), None);
        assert_eq!(cut_kind(r#"{"note":"rate_"#), None);
        assert_eq!(cut_kind(r#"{"type":"ratelimited"#), None);
        assert_eq!(cut_kind("the overloaded_error type"), None);
    }
}
