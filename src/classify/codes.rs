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
