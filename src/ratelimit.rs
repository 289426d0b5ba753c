//! The rate-limit vocabulary, once: the four dimensions the `anthropic-ratelimit-*` headers
//! show, the exhaustion rule, and the model class limits are set per. A leaf: it imports
//! nothing from the crate, and every layer (capture, classify, api, diagnose, probe) reads it.

use serde::Serialize;

/// The four views the `anthropic-ratelimit-*` headers give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DimensionName {
    Requests,
    InputTokens,
    OutputTokens,
    /// `tokens-*`: whichever token limit is most restrictive right now.
    Tokens,
}

impl DimensionName {
    pub const ALL: [DimensionName; 4] = [
        DimensionName::Requests,
        DimensionName::InputTokens,
        DimensionName::OutputTokens,
        DimensionName::Tokens,
    ];

    /// The header infix: `anthropic-ratelimit-{infix}-limit`.
    pub const fn header_infix(self) -> &'static str {
        match self {
            DimensionName::Requests => "requests",
            DimensionName::InputTokens => "input-tokens",
            DimensionName::OutputTokens => "output-tokens",
            DimensionName::Tokens => "tokens",
        }
    }

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            DimensionName::Requests => "requests",
            DimensionName::InputTokens => "input_tokens",
            DimensionName::OutputTokens => "output_tokens",
            DimensionName::Tokens => "tokens",
        }
    }

    /// The dimension of a header infix (`input-tokens`), the inverse of [`Self::header_infix`].
    pub fn from_header_infix(infix: &str) -> Option<DimensionName> {
        DimensionName::ALL
            .into_iter()
            .find(|d| d.header_infix() == infix)
    }

    /// The shortest name, for a status line: `req`, `in`, `out`, `tok`.
    pub const fn short(self) -> &'static str {
        match self {
            DimensionName::Requests => "req",
            DimensionName::InputTokens => "in",
            DimensionName::OutputTokens => "out",
            DimensionName::Tokens => "tok",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            DimensionName::Requests => "requests",
            DimensionName::InputTokens => "input tokens",
            DimensionName::OutputTokens => "output tokens",
            DimensionName::Tokens => "tokens (combined)",
        }
    }

    /// The Rate Limits API limiter types that configure this dimension, best match first.
    pub fn org_limiters(self) -> &'static [&'static str] {
        match self {
            DimensionName::Requests => &["requests_per_minute"],
            DimensionName::InputTokens => &[
                "input_tokens_per_minute_cache_aware",
                "input_tokens_per_minute",
            ],
            DimensionName::OutputTokens => &["output_tokens_per_minute"],
            DimensionName::Tokens => &["tokens_per_minute"],
        }
    }
}

/// The header infixes of [`DimensionName::ALL`], in order: `requests`, `input-tokens`,
/// `output-tokens`, `tokens`.
pub const HEADER_INFIXES: [&str; 4] = [
    DimensionName::Requests.header_infix(),
    DimensionName::InputTokens.header_infix(),
    DimensionName::OutputTokens.header_infix(),
    DimensionName::Tokens.header_infix(),
];

/// The `limit`, `remaining` and `reset` header names of each dimension of [`HEADER_INFIXES`],
/// written out: a failure's classification reads them for every capture, and building them
/// with `format!` each time was 5% of replaying a failure-dense log.
pub const DIM_HEADERS: [[&str; 3]; 4] = [
    [
        "anthropic-ratelimit-requests-limit",
        "anthropic-ratelimit-requests-remaining",
        "anthropic-ratelimit-requests-reset",
    ],
    [
        "anthropic-ratelimit-input-tokens-limit",
        "anthropic-ratelimit-input-tokens-remaining",
        "anthropic-ratelimit-input-tokens-reset",
    ],
    [
        "anthropic-ratelimit-output-tokens-limit",
        "anthropic-ratelimit-output-tokens-remaining",
        "anthropic-ratelimit-output-tokens-reset",
    ],
    [
        "anthropic-ratelimit-tokens-limit",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-tokens-reset",
    ],
];

/// Remaining at or below this percent of the limit counts as exhausted when classifying a
/// failure (see [`exhausted_on_failure`]).
pub const EXHAUSTED_AT_MOST_PCT: u64 = 1;

/// The exhaustion rule for a **failure** (classification): the dimension is exhausted when
/// `remaining` is 0 or at most [`EXHAUSTED_AT_MOST_PCT`] % of `limit`.
///
/// Why two rules. On a refused request the question is "which bucket refused it". The API
/// rounds token `remaining` values (to the nearest thousand), and a request is refused when it
/// needs more than is left, so "1,000 of 2,000,000 left" on a 429 is the bucket that refused:
/// treating <= 1 % as exhausted names it. On a **probe** ([`exhausted_now`]) the request went
/// through, which proves there was room; only a remaining of exactly 0 is exhausted there and
/// a little room is `tight`, so `probe --watch` does not hold a model back without cause.
pub fn exhausted_on_failure(remaining: u64, limit: Option<u64>) -> bool {
    remaining == 0
        || limit
            .is_some_and(|l| l > 0 && remaining.saturating_mul(100) <= l * EXHAUSTED_AT_MOST_PCT)
}

/// The exhaustion rule for **headroom** (a probe that got an answer): nothing left at all.
/// See [`exhausted_on_failure`] for why it differs.
pub fn exhausted_now(remaining: u64) -> bool {
    remaining == 0
}

/// The stray-key rule, once: a limit a response carried below the configured value for the
/// same dimension means that key is not bound by the org's limits alone (it belongs to
/// another workspace or org, or a workspace override lowers it). `probe` (the key now) and
/// `diagnose --live` (the logs' keys) both apply it.
pub fn is_stray(seen: u64, configured: f64) -> bool {
    (seen as f64) < configured
}

/// The model class limits are set per, named the way the Rate Limits API names its model
/// groups: `Claude Sonnet 4.x`. `claude-sonnet-4-5`, `claude-sonnet-4-20250514` and Bedrock's
/// `anthropic.claude-sonnet-4-5-20250929-v1:0` share one.
///
/// The line is `line` (the Models API's field) when given, else opus/sonnet/haiku found in the
/// id, else the first word of a `claude…` id that is not `claude`. The major version is the
/// first number of at most three digits (dates are skipped). An id that names no Claude
/// model is its own class (lowercased).
pub fn model_class(id: &str, line: Option<&str>) -> String {
    let m = id.trim().to_ascii_lowercase();
    let word = line
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty())
        .or_else(|| {
            ["opus", "sonnet", "haiku"]
                .into_iter()
                .find(|f| m.contains(f))
                .map(str::to_string)
        })
        .or_else(|| {
            m.contains("claude")
                .then(|| {
                    m.split(['-', '_', '.', '@', ':'])
                        .find(|t| {
                            !t.is_empty()
                                && *t != "claude"
                                && *t != "anthropic"
                                && t.chars().all(|c| c.is_ascii_alphabetic())
                        })
                        .map(str::to_string)
                })
                .flatten()
        });
    let claude = m.contains("claude") || line.is_some();
    if word.is_none() && !claude {
        return m;
    }
    let major = m
        .split(|c: char| !c.is_ascii_digit())
        .find(|d| !d.is_empty() && d.len() < 4)
        .and_then(|d| d.parse::<u32>().ok());
    let mut s = String::from("Claude");
    if let Some(w) = word {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            s.push(' ');
            s.extend(first.to_uppercase());
            s.push_str(cs.as_str());
        }
    }
    if let Some(v) = major {
        s.push_str(&format!(" {v}.x"));
    }
    s
}

/// The short form of a [`model_class`] for a status line: `Claude Sonnet 4.x` is `sonnet-4`,
/// `Claude Sonnet` is `sonnet`; a class that names no Claude model stays as it is.
pub fn short_class(class: &str) -> String {
    match class.strip_prefix("Claude") {
        Some(rest) => rest
            .split_whitespace()
            .map(|w| w.trim_end_matches(".x").to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("-"),
        None => class.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_classes() {
        for (id, want) in [
            ("claude-sonnet-4-5", "Claude Sonnet 4.x"),
            ("claude-sonnet-4-20250514", "Claude Sonnet 4.x"),
            ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.x"),
            ("claude-3-5-sonnet-20240620", "Claude Sonnet 3.x"),
            ("claude-opus-4-1", "Claude Opus 4.x"),
            (
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "Claude Sonnet 4.x",
            ),
            ("claude-sonnet-4-5@20250929", "Claude Sonnet 4.x"),
            ("claude-2.1", "Claude 2.x"),
            ("gpt-x", "gpt-x"),
        ] {
            assert_eq!(model_class(id, None), want, "{id}");
        }
        assert_eq!(model_class("claude-x-9", Some("haiku")), "Claude Haiku 9.x");
        for (class, short) in [
            ("Claude Sonnet 4.x", "sonnet-4"),
            ("Claude Haiku 3.x", "haiku-3"),
            ("Claude Opus", "opus"),
            ("gpt-x", "gpt-x"),
        ] {
            assert_eq!(short_class(class), short, "{class}");
        }
        for d in DimensionName::ALL {
            assert_eq!(DimensionName::from_header_infix(d.header_infix()), Some(d));
        }
        assert_eq!(DimensionName::from_header_infix("nope"), None);
    }

    #[test]
    fn exhaustion_rules() {
        assert!(exhausted_on_failure(0, None));
        assert!(exhausted_on_failure(1_000, Some(2_000_000)));
        assert!(exhausted_on_failure(20_000, Some(2_000_000)));
        assert!(!exhausted_on_failure(20_001, Some(2_000_000)));
        assert!(exhausted_now(0));
        assert!(!exhausted_now(1_000));
    }

    #[test]
    fn header_infixes_follow_the_enum() {
        for (d, h) in DimensionName::ALL.iter().zip(HEADER_INFIXES) {
            assert_eq!(d.header_infix(), h);
        }
        for (names, infix) in DIM_HEADERS.iter().zip(HEADER_INFIXES) {
            for (name, field) in names.iter().zip(["limit", "remaining", "reset"]) {
                assert_eq!(*name, format!("anthropic-ratelimit-{infix}-{field}"));
            }
        }
    }
}
