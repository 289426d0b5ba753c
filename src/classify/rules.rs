//! Message-text rules, as data. Matched against normalised text (lower case, straight
//! apostrophes, single spaces) only when no stable `error_code` decides. First match wins, so
//! the specific phrases come before the general ones.

use super::{Class, Confidence};

/// One text rule: matches when any of `any` occurs in the normalised text.
#[derive(Debug)]
pub struct TextRule {
    pub any: &'static [&'static str],
    pub class: Class,
    pub confidence: Confidence,
    /// What the match means, for the evidence line.
    pub meaning: &'static str,
}

use Class::*;
use Confidence::*;

pub const RULES: &[TextRule] = &[
    // Acceleration before ITPM: its text also names "input tokens per minute".
    TextRule {
        any: &[
            "maximum usage increase rate",
            "acceleration limit",
            "usage increase rate",
        ],
        class: Acceleration,
        confidence: Certain,
        meaning: "acceleration (ramp) limit text",
    },
    TextRule {
        any: &[
            "required for long context requests",
            "required for long-context requests",
            "extra usage is required",
            "usage credits are required",
        ],
        class: Spend,
        confidence: Certain,
        meaning: "long-context entitlement gate: a billing requirement, waiting never clears it",
    },
    TextRule {
        any: &["workspace api usage limit"],
        class: Workspace,
        confidence: Certain,
        meaning: "workspace spend limit text",
    },
    TextRule {
        any: &["specified api usage limit", "api usage limits"],
        class: Spend,
        confidence: Certain,
        meaning: "org spend limit text",
    },
    TextRule {
        any: &["credit balance is too low"],
        class: NotRateLimit,
        confidence: Certain,
        meaning: "prepaid credit exhausted (billing, not a rate limit): add credits or enable auto-reload",
    },
    TextRule {
        any: &[
            "monthly spend limit",
            "spend limit reached",
            "reached your spend limit",
        ],
        class: Spend,
        confidence: Likely,
        meaning: "spend limit text",
    },
    // Claude Code's wording for server-side throttling; must precede "usage limit reached".
    TextRule {
        any: &["not your usage limit", "temporarily limiting requests"],
        class: Acceleration,
        confidence: Likely,
        meaning: "server-side throttling (\"not your usage limit\"), as Claude Code shows ramp refusals",
    },
    TextRule {
        any: &[
            "usage limit reached",
            "5-hour limit reached",
            "5-hour limit",
            "five-hour limit",
            "weekly limit reached",
            "opus limit reached",
            "hit your session limit",
            "hit your weekly limit",
            "hit your limit",
            "session limit reached",
        ],
        class: SubscriptionCap,
        confidence: Certain,
        meaning: "subscription (Pro/Max) usage window text",
    },
    TextRule {
        any: &[
            "concurrent connections",
            "concurrent requests",
            "concurrency limit",
        ],
        class: Concurrency,
        confidence: Certain,
        meaning: "concurrency limit text",
    },
    TextRule {
        any: &["daily rate limit", "tokens per day", "requests per day"],
        class: Daily,
        confidence: Certain,
        meaning: "per-day limit text",
    },
    TextRule {
        any: &["requests per minute", "number of requests has exceeded"],
        class: Rpm,
        confidence: Certain,
        meaning: "message names requests per minute",
    },
    TextRule {
        any: &["input tokens per minute"],
        class: Itpm,
        confidence: Certain,
        meaning: "message names input tokens per minute",
    },
    TextRule {
        any: &["output tokens per minute"],
        class: Otpm,
        confidence: Certain,
        meaning: "message names output tokens per minute",
    },
    TextRule {
        any: &["number of request tokens has exceeded"],
        class: Itpm,
        confidence: Likely,
        meaning: "2024 text \"request tokens\": most likely input tokens, not certain",
    },
    TextRule {
        any: &[
            "number of tokens has exceeded",
            "tokens per minute",
            "token rate limit",
        ],
        class: Itpm,
        confidence: Possible,
        meaning: "combined token limit text: input or output cannot be told apart (input is the usual one)",
    },
    TextRule {
        any: &["overloaded"],
        class: Overload,
        confidence: Likely,
        meaning: "overload text",
    },
    TextRule {
        any: &[
            "prompt is too long",
            "too many total text bytes",
            "request too large",
            "request_too_large",
        ],
        class: NotRateLimit,
        confidence: Certain,
        meaning: "request too large (not a rate limit): shorten it",
    },
    TextRule {
        any: &[
            "invalid x-api-key",
            "invalid api key",
            "authentication_error",
            "invalid bearer token",
        ],
        class: NotRateLimit,
        confidence: Certain,
        meaning: "authentication failure (not a rate limit): check the key",
    },
    // "account" (not "organization") is the consumer-account wording: a subscription
    // window or server-side throttling of a subscription; never certain.
    TextRule {
        any: &["account's rate limit"],
        class: SubscriptionCap,
        confidence: Possible,
        meaning: "account-level limit text: a subscription usage window, or server-side throttling of the account (capture the anthropic-ratelimit-unified-* headers to tell)",
    },
    // Ambiguous texts that name no dimension.
    TextRule {
        any: &["rate limited", "rate limit", "too many requests"],
        class: Unknown,
        confidence: Possible,
        meaning: "generic rate-limit text that names no dimension",
    },
];

/// Lower-cases, straightens apostrophes and quotes, turns escaped newlines and all
/// whitespace runs into single spaces, so wrapped and escaped pastes match.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2011}' | '\u{2010}' | '\u{2013}' => '-',
            '\\' if matches!(chars.peek(), Some('n' | 'r' | 't')) => {
                chars.next();
                ' '
            }
            '\\' if matches!(chars.peek(), Some('\'' | '"')) => continue,
            c => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
    out
}

/// The first rule matching the normalised text, and the phrase that matched.
pub fn first_match(norm: &str) -> Option<(&'static TextRule, &'static str)> {
    RULES
        .iter()
        .find_map(|r| r.any.iter().find(|p| norm.contains(**p)).map(|p| (r, *p)))
}

/// The limit named in a message ("... rate limit of 30,000 input tokens per minute", "... for
/// your organization (...) of 50 requests per minute"): the first number after " of ",
/// separators removed.
pub fn limit_in_message(norm: &str) -> Option<u64> {
    norm.match_indices(" of ").find_map(|(i, _)| {
        let rest = &norm[i + 4..];
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '_'))
            .filter(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_handles_wrapping_apostrophes_and_escapes() {
        assert_eq!(
            normalise("Your  Organization\u{2019}s\n   rate\\nlimit"),
            "your organization's rate limit"
        );
    }

    #[test]
    fn acceleration_beats_itpm() {
        let t = normalise(
            "This request would exceed your organization's maximum usage increase rate for input tokens per minute.",
        );
        assert_eq!(first_match(&t).unwrap().0.class, Class::Acceleration);
    }

    #[test]
    fn not_your_usage_limit_is_not_a_subscription_cap() {
        let t = normalise("Server is temporarily limiting requests (not your usage limit)");
        assert_eq!(first_match(&t).unwrap().0.class, Class::Acceleration);
    }

    #[test]
    fn extracts_limit_with_separators() {
        let t = normalise(
            "would exceed the rate limit for your organization of 30,000 input tokens per minute",
        );
        assert_eq!(limit_in_message(&t), Some(30000));
    }
}
