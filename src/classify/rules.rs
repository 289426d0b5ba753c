//! Message-text rules, as data. Matched against normalised text (lower case, straight
//! apostrophes, single spaces) only when no stable `error_code` decides. First match wins, so
//! the specific phrases come before the general ones.

use super::{Class, Confidence};

mod words;
pub use words::{Part, WordSearch, bucket_order, holds, light_automaton, minimal_words};

/// One text rule: matches when any of `any` occurs in the normalised text.
#[derive(Debug)]
pub struct TextRule {
    pub any: &'static [&'static str],
    pub class: Class,
    pub confidence: Confidence,
    /// What the match means, for the evidence line.
    pub meaning: &'static str,
    /// A name for rules that pick a fix variant (`fixes::VARIANTS`) or need special handling.
    pub key: Option<&'static str>,
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
        key: None,
    },
    // Stable error codes named in prose or a log line (the classifier's code step reads them
    // first, at `likely`; these rules make such lines captures at all).
    TextRule {
        any: &["ramp_limit_exceeded"],
        class: Acceleration,
        confidence: Likely,
        meaning: "the acceleration (ramp) limit's error code, named in text",
        key: None,
    },
    TextRule {
        any: &[
            "enforced_spend_limit_reached",
            "contract_spend_limit_reached",
            "linked_organization_spend_limit_reached",
        ],
        class: Spend,
        confidence: Likely,
        meaning: "a spend-limit error code, named in text",
        key: None,
    },
    TextRule {
        any: &["compaction_unavailable"],
        class: Overload,
        confidence: Likely,
        meaning: "the compaction-capacity error code, named in text",
        key: None,
    },
    // Google Vertex AI quota metrics (cloud-providers.md §2.2): the metric names the dimension.
    TextRule {
        any: &["input_tokens_per_minute_per_base_model"],
        class: Itpm,
        confidence: Certain,
        meaning: "the Vertex quota metric counts input tokens per minute per base model",
        key: None,
    },
    TextRule {
        any: &["output_tokens_per_minute_per_base_model"],
        class: Otpm,
        confidence: Certain,
        meaning: "the Vertex quota metric counts output tokens per minute per base model",
        key: None,
    },
    TextRule {
        any: &["concurrent_requests_per_base_model"],
        class: Concurrency,
        confidence: Likely,
        meaning: "the Vertex concurrent-requests metric (field reports: raising the requests quota is what helps)",
        key: None,
    },
    TextRule {
        any: &["requests_per_minute_per_project_per_base_model"],
        class: Rpm,
        confidence: Certain,
        meaning: "the Vertex quota metric counts requests per minute per base model",
        key: None,
    },
    TextRule {
        any: &["prediction_requests_per_base_model"],
        class: Rpm,
        confidence: Likely,
        meaning: "the Vertex requests-per-base-model quota (its name gives no unit; per minute by the docs)",
        key: None,
    },
    TextRule {
        any: &["exceeded the provisioned throughput"],
        class: Unknown,
        confidence: Likely,
        meaning: "Vertex Provisioned Throughput exceeded: your own purchased throughput, with overages rejected",
        key: None,
    },
    TextRule {
        any: &["resource exhausted, please try again later"],
        class: Overload,
        confidence: Possible,
        meaning: "Vertex pay-as-you-go: the shared pool lacked capacity (not your project's quota)",
        key: None,
    },
    // Amazon Bedrock texts (cloud-providers.md §1.2, §3).
    TextRule {
        any: &["too many tokens per day"],
        class: Daily,
        confidence: Certain,
        meaning: "Bedrock names its tokens-per-day quota",
        key: None,
    },
    TextRule {
        any: &[
            "too many tokens, please wait",
            "too many tokens please wait",
        ],
        class: Itpm,
        confidence: Possible,
        meaning: "Bedrock's tokens-per-minute quota counts input and output together (output x5 for Claude 3.7+, max_tokens reserved up front): the dimension cannot be told",
        key: None,
    },
    TextRule {
        any: &[
            "too many requests, please wait",
            "too many requests please wait",
            "your request rate is too high",
        ],
        class: Rpm,
        confidence: Likely,
        meaning: "Bedrock's request-rate throttle text (RPM quotas are being dropped, so the text may outlive the quota)",
        key: None,
    },
    TextRule {
        any: &[
            "too many connections, please wait",
            "too many connections please wait",
        ],
        class: Overload,
        confidence: Likely,
        meaning: "Bedrock 503 \"Too many connections\": server-side queueing, not a per-account connection quota",
        key: None,
    },
    TextRule {
        any: &["bedrock is unable to process your request"],
        class: Overload,
        confidence: Likely,
        meaning: "Bedrock ServiceUnavailable: temporary capacity, not your account quota",
        key: None,
    },
    TextRule {
        any: &[
            "on-demand throughput isn't supported",
            "on-demand throughput is not supported",
        ],
        class: NotRateLimit,
        confidence: Certain,
        meaning: "Bedrock ValidationException: call the model through an inference-profile id (not a rate limit, despite \"retry\")",
        key: None,
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
        key: None,
    },
    TextRule {
        any: &["workspace api usage limit"],
        class: Workspace,
        confidence: Certain,
        meaning: "workspace spend limit text",
        key: None,
    },
    TextRule {
        any: &["specified api usage limit", "api usage limits"],
        class: Spend,
        confidence: Certain,
        meaning: "org spend limit text",
        key: None,
    },
    // Facts §8 (settled): a credit-balance 400 is `spend`, never `not_rate_limit`.
    TextRule {
        any: &["credit balance is too low", "credit balance too low"],
        class: Spend,
        confidence: Certain,
        meaning: "prepaid credits are used up: add credits or turn on auto-reload; retries never clear it",
        key: Some("credit"),
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
        key: None,
    },
    // Claude Code's wording for server-side throttling; must precede "usage limit reached".
    // Claude Code renders this line from an `overloaded_error` (facts §2): Anthropic-side
    // throttling, not the org's ramp limit.
    TextRule {
        any: &["not your usage limit", "temporarily limiting requests"],
        class: Overload,
        confidence: Likely,
        meaning: "Claude Code's server-side throttling line (\"not your usage limit\"), rendered from an overloaded_error: back off and retry, nothing to change in your limits",
        key: None,
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
        key: None,
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
        key: None,
    },
    TextRule {
        any: &["daily rate limit", "tokens per day", "requests per day"],
        class: Daily,
        confidence: Certain,
        meaning: "per-day limit text",
        key: None,
    },
    TextRule {
        any: &["requests per minute", "number of requests has exceeded"],
        class: Rpm,
        confidence: Certain,
        meaning: "message names requests per minute",
        key: None,
    },
    TextRule {
        any: &["input tokens per minute"],
        class: Itpm,
        confidence: Certain,
        meaning: "message names input tokens per minute",
        key: None,
    },
    TextRule {
        any: &["output tokens per minute"],
        class: Otpm,
        confidence: Certain,
        meaning: "message names output tokens per minute",
        key: None,
    },
    TextRule {
        any: &["number of request tokens has exceeded"],
        class: Itpm,
        confidence: Likely,
        meaning: "2024 text \"request tokens\": most likely input tokens, not certain",
        key: None,
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
        key: None,
    },
    TextRule {
        any: &["overloaded"],
        class: Overload,
        confidence: Likely,
        meaning: "overload text",
        key: None,
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
        key: None,
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
        key: None,
    },
    // "account" (not "organization") is the consumer-account wording: a subscription
    // window or server-side throttling of a subscription; never certain.
    TextRule {
        any: &["account's rate limit"],
        class: SubscriptionCap,
        confidence: Possible,
        meaning: "account-level limit text: a subscription usage window, or server-side throttling of the account (capture the anthropic-ratelimit-unified-* headers to tell)",
        key: None,
    },
    // Ambiguous texts that name no dimension.
    TextRule {
        any: &["rate limited", "rate limit", "too many requests"],
        class: Unknown,
        confidence: Possible,
        meaning: "generic rate-limit text that names no dimension",
        key: Some("generic"),
    },
];

/// Lower-cases, straightens apostrophes and quotes, turns escaped newlines and all
/// whitespace runs into single spaces, so wrapped and escaped pastes match.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    // ASCII fast path: bytes that need no care are copied lower-cased in runs; the first
    // byte that does (whitespace, a backslash, a backquote, non-ASCII) hands the rest over
    // to the general loop below.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c >= 0x80 || c == b'\\' || c == b'`' {
            break;
        }
        if c.is_ascii_whitespace() || c == 0x0b {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c.to_ascii_lowercase() as char);
            last_space = false;
        }
        i += 1;
    }
    normalise_chars(&s[i..], &mut out, last_space);
    out
}

/// The general, char-by-char part of [`normalise`]: appends `s` normalised to `out`
/// (`last_space`: whether `out` ends with a space or is empty).
fn normalise_chars(s: &str, out: &mut String, mut last_space: bool) {
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
        out.extend(c.to_lowercase());
    }
}

/// Words that lines carrying a capture's structure contain (status lines, relevant headers,
/// literals, SDK, cloud and Claude Code markers), lower-case ASCII.
const STRUCTURAL: &[&str] = &[
    "error",
    "overload",
    "http/",
    "anthropic",
    "retry",
    "request-id",
    "{",
    "data:",
    "usage",
    "credit",
    "quota",
    "429",
    "529",
    "too many",
    "per minute",
    "per-minute",
    "concurren",
    "rejected",
    "api key",
    "x-api-key",
    "too long",
    "too large",
    "exception",
    "throttl",
    "resource_exhausted",
    "resourceexhausted",
    "$metadata",
    "x-amzn",
    "unified",
];

/// The trigger words of the text pre-filter: the structural words, plus a word of every
/// phrase of the rule table that no structural word already covers (its least everyday
/// word, see [`rarest_word`]: letters, digits, `_`), which survives normalisation (case,
/// quotes, whitespace and dashes are all that [`normalise`] changes). A line that contains
/// none of them, case-insensitively, can neither start a capture nor match a rule. Built
/// from [`RULES`], so a new phrase can never be filtered out before it is matched.
///
/// Words that fill ordinary logs (`limit` in SQL, `tokens` and `prompt` in an LLM app's
/// own lines, `request`) are not triggers on their own: each phrase is found by a rarer word
/// of it, so such lines cost the pre-filter nothing.
pub fn triggers() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = STRUCTURAL.to_vec();
    for r in RULES {
        for p in r.any {
            if out.iter().any(|w| covers(w, p)) {
                continue;
            }
            out.push(rarest_word(p));
        }
    }
    out
}

/// The trigger words ([`triggers`]) as the text searches look for them: lower-cased, the
/// one-byte ones that are no letter apart ([`TRIGGER_BYTES`]), without the words another one
/// holds ([`minimal_words`]), in the order the SIMD search wants ([`bucket_order`]). Written
/// out: preparing them at first use was a third of replaying a 1 KB file (every `hook` and
/// `status` call paid it); `the_written_out_triggers_are_computed` recomputes them and prints
/// the new list when a rule changes.
pub const TRIGGER_WORDS: &[&str] = &[
    "$metadata",
    "acceleration",
    "bedrock",
    "credit",
    "error",
    "exhausted",
    "invalid",
    "many",
    "opus",
    "provisioned",
    "reached",
    "retry",
    "throttl",
    "unified",
    "weekly",
    "x-api-key",
    "429",
    "anthropic",
    "compaction_unavailable",
    "data:",
    "exceeded",
    "hour",
    "large",
    "minute",
    "overload",
    "quota",
    "rejected",
    "spend",
    "throughput",
    "usage",
    "x-amzn",
    "your",
    "529",
    "api key",
    "concurren",
    "day",
    "exception",
    "http/",
    "long",
    "monthly",
    "prediction_requests_per_base_model",
    "rate",
    "request-id",
    "temporarily",
];

/// The one-byte triggers that are no letter, looked for in the raw text (at most two: the
/// chunk pre-filter searches them with NUL in one `memchr3`).
pub const TRIGGER_BYTES: &[u8] = b"{";

/// The search over [`TRIGGER_WORDS`], built once for the line matcher and the chunk
/// pre-filter alike.
pub fn trigger_search() -> &'static WordSearch {
    static S: std::sync::LazyLock<WordSearch> =
        std::sync::LazyLock::new(|| WordSearch::new(TRIGGER_WORDS));
    &S
}

/// A trigger that certainly occurs in any raw text that normalises to `phrase`: no space in
/// it (wrapping may double a space), long enough to be selective.
fn covers(trigger: &str, phrase: &str) -> bool {
    trigger.len() >= 3 && !trigger.contains(' ') && holds(phrase, trigger)
}

/// The trigger words before they were chosen by [`rarest_word`] (`limit` structural, each
/// phrase's longest uncommon word): the reference that tests hold [`triggers`] to.
#[cfg(test)]
pub fn legacy_triggers() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = vec!["limit"];
    out.extend(STRUCTURAL);
    for r in RULES {
        for p in r.any {
            if out
                .iter()
                .any(|w| w.len() >= 4 && !w.contains(' ') && p.contains(w))
            {
                continue;
            }
            out.push(phrase_trigger(p));
        }
    }
    out
}

/// The longest uncommon word of a phrase (the longest word when all are common or short).
#[cfg(test)]
fn phrase_trigger(p: &'static str) -> &'static str {
    const COMMON: &[&str] = &[
        "tokens", "token", "requests", "request", "output", "input", "exceeded", "invalid",
        "total", "account", "reached", "prompt", "number", "please",
    ];
    let words = || {
        p.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
    };
    let longest = |it: &mut dyn Iterator<Item = &'static str>| {
        it.fold("", |best, w| if w.len() > best.len() { w } else { best })
    };
    let rare = longest(&mut words().filter(|w| !COMMON.contains(w)));
    if rare.len() >= 5 {
        rare
    } else {
        longest(&mut words())
    }
}

/// The first rule matching the normalised text, and the phrase that matched.
///
/// One multi-pattern pass over the text finds every phrase present; the earliest rule in
/// table order wins, and within it the earliest phrase (the same answer as trying each
/// rule's phrases with `contains` in turn, at a fraction of the cost).
pub fn first_match(norm: &str) -> Option<(&'static TextRule, &'static str)> {
    struct Phrases {
        ac: aho_corasick::AhoCorasick,
        /// Per pattern: (rule index, phrase index).
        at: Vec<(usize, usize)>,
    }
    static P: std::sync::LazyLock<Phrases> = std::sync::LazyLock::new(|| {
        let mut pats = Vec::new();
        let mut at = Vec::new();
        for (ri, r) in RULES.iter().enumerate() {
            for (pi, p) in r.any.iter().enumerate() {
                pats.push(*p);
                at.push((ri, pi));
            }
        }
        Phrases {
            ac: light_automaton(&pats, aho_corasick::MatchKind::Standard, false),
            at,
        }
    });
    let p = &*P;
    let (ri, pi) =
        p.ac.find_overlapping_iter(norm)
            .map(|m| p.at[m.pattern().as_usize()])
            .min()?;
    Some((&RULES[ri], RULES[ri].any[pi]))
}

/// Whether any rule could match the normalised form of `lower`, an ASCII line already
/// lower-cased. A cheap necessary condition for [`first_match`] on a single raw line, for
/// the text scanner's quiet-line gate: [`normalise`] only folds case, whitespace, quotes,
/// dashes and escapes, so every word of a phrase (a run of letters, digits and `_`, three
/// characters or more) occurs verbatim in the raw line when the phrase occurs in its
/// normalised form. Answers `true` whenever it cannot rule a match out.
pub fn may_match(lower: &[u8]) -> bool {
    struct Words {
        ac: aho_corasick::AhoCorasick,
        /// Per phrase, the bit set of its words (bit = pattern index).
        need: Vec<u128>,
    }
    static W: std::sync::LazyLock<Words> = std::sync::LazyLock::new(|| {
        let mut words: Vec<&'static str> = Vec::new();
        let mut need = Vec::new();
        for p in RULES.iter().flat_map(|r| r.any.iter()) {
            let mut mask = 0u128;
            for w in p
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.len() >= 3)
            {
                let i = words.iter().position(|x| *x == w).unwrap_or_else(|| {
                    words.push(w);
                    words.len() - 1
                });
                assert!(i < 128, "more than 128 distinct rule words");
                mask |= 1 << i;
            }
            need.push(mask);
        }
        Words {
            ac: light_automaton(&words, aho_corasick::MatchKind::Standard, false),
            need,
        }
    });
    // First a quick no: every phrase needs its least common word (one SIMD search).
    static RARE: std::sync::LazyLock<WordSearch> = std::sync::LazyLock::new(|| {
        let words: Vec<&str> = RULES
            .iter()
            .flat_map(|r| r.any.iter())
            .map(|p| rarest_word(p))
            .collect();
        WordSearch::new(&bucket_order(minimal_words(&words)))
    });
    if !RARE.is_match(lower) {
        return false;
    }
    let w = &*W;
    let mut have = 0u128;
    for m in w.ac.find_overlapping_iter(lower) {
        have |= 1 << m.pattern().as_usize();
    }
    w.need.iter().any(|n| n & have == *n)
}

/// The word of a phrase (three characters or more; the whole phrase if it has none) least
/// likely in ordinary log lines: one not in a short list of everyday words, else the least
/// everyday of them (`rate` over `limit`, which SQL logs are full of).
fn rarest_word(p: &'static str) -> &'static str {
    // From most to least common.
    const EVERYDAY: &[&str] = &[
        "the", "for", "not", "are", "has", "hit", "data", "text", "wait", "process", "session",
        "high", "account", "required", "context", "per", "too", "limit", "limits", "request",
        "requests", "tokens", "token", "total", "input", "output", "number", "api", "key", "day",
        "your", "many", "please", "reached", "exceeded", "invalid", "bytes", "prompt", "long",
        "minute", "rate",
    ];
    let rank = |w: &str| EVERYDAY.iter().position(|e| *e == w).unwrap_or(usize::MAX);
    p.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.len() >= 3)
        .max_by_key(|w| (rank(w), w.len()))
        .unwrap_or(p)
}

/// The rule-by-rule reference for [`first_match`] (tests compare the two).
#[cfg(test)]
fn first_match_slow(norm: &str) -> Option<(&'static TextRule, &'static str)> {
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

    /// The written-out trigger list is what the rule table gives today.
    #[test]
    fn the_written_out_triggers_are_computed() {
        let lowered: Vec<String> = triggers().iter().map(|t| t.to_ascii_lowercase()).collect();
        let (bytes, words): (Vec<&String>, Vec<&String>) = lowered
            .iter()
            .partition(|t| t.len() == 1 && !t.as_bytes()[0].is_ascii_alphabetic());
        let bytes: Vec<u8> = bytes.iter().map(|t| t.as_bytes()[0]).collect();
        assert_eq!(bytes, TRIGGER_BYTES, "TRIGGER_BYTES is now {bytes:?}");
        assert!(
            TRIGGER_BYTES.len() <= 2,
            "the pre-filter searches at most two with NUL (memchr3)"
        );
        let want = bucket_order(minimal_words(&words));
        assert_eq!(want, TRIGGER_WORDS, "TRIGGER_WORDS is now {want:#?}");
    }

    /// The char-by-char reference for [`normalise`]'s ASCII fast path: the general part
    /// alone, from the first char.
    fn normalise_slow(s: &str) -> String {
        let mut out = String::new();
        normalise_chars(s, &mut out, true);
        out
    }

    /// Texts that exercise every rule phrase, in several spellings and contexts.
    fn sample_texts() -> Vec<String> {
        let mut out = vec![
            String::new(),
            " \t\u{b}\u{c}\r\n".to_string(),
            "Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error'}}".into(),
            "SELECT orders.id FROM orders LIMIT 50".into(),
            "Your  Organization\u{2019}s\n   rate\\nlimit \\\"quoted\\' `x` \u{201c}y\u{201d} a\u{2011}b \u{130}STANBUL \u{85}".into(),
            "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}".into(),
        ];
        for r in RULES {
            for p in r.any {
                out.push(p.to_string());
                out.push(p.to_uppercase());
                out.push(format!("prefix {p} and suffix"));
                out.push(format!("x{}y", p.replace(' ', "  ")));
            }
        }
        let all: Vec<&str> = RULES.iter().flat_map(|r| r.any.iter().copied()).collect();
        for w in all.windows(2) {
            out.push(format!("{} {}", w[1], w[0]));
        }
        out
    }

    #[test]
    fn may_match_never_rules_out_a_match() {
        for t in sample_texts() {
            let n = normalise(&t);
            if t.is_ascii() && first_match(&n).is_some() {
                assert!(may_match(t.to_ascii_lowercase().as_bytes()), "{t:?}");
            }
        }
        assert!(!may_match(b"select orders.id from orders limit 50"));
        assert!(may_match(b"your rate\\nlimit was hit"));
    }

    #[test]
    fn fast_normalise_matches_the_reference() {
        for t in sample_texts() {
            assert_eq!(normalise(&t), normalise_slow(&t), "{t:?}");
        }
    }

    #[test]
    fn one_pass_first_match_matches_the_rule_by_rule_reference() {
        for t in sample_texts() {
            let n = normalise(&t);
            let fast = first_match(&n).map(|(r, p)| (r.meaning, p));
            let slow = first_match_slow(&n).map(|(r, p)| (r.meaning, p));
            assert_eq!(fast, slow, "{n:?}");
        }
    }

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
        assert_eq!(first_match(&t).unwrap().0.class, Class::Overload);
    }

    #[test]
    fn extracts_limit_with_separators() {
        let t = normalise(
            "would exceed the rate limit for your organization of 30,000 input tokens per minute",
        );
        assert_eq!(limit_in_message(&t), Some(30000));
    }

    /// What lets the chunked text scan skip [`may_match`] on a line that holds no trigger
    /// word: a match needs every word of a phrase, and one of them holds a trigger word.
    #[test]
    fn a_phrase_match_needs_a_trigger_word() {
        let t = triggers();
        for p in RULES.iter().flat_map(|r| r.any.iter()) {
            let words = p
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.len() >= 3);
            let mut words = words.peekable();
            assert!(words.peek().is_some(), "{p:?}");
            assert!(
                words.any(|w| t
                    .iter()
                    .any(|t| t.len() > 1 && w.contains(&t.to_ascii_lowercase()))),
                "{p:?}"
            );
        }
    }

    #[test]
    fn bucket_order_deals_sorted_runs_to_buckets() {
        let words: Vec<String> = (0..44).map(|i| format!("w{i:02}")).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let out = bucket_order(words.clone());
        let mut back = out.clone();
        back.sort_unstable();
        assert_eq!(back, words, "a permutation");
        // 16 buckets: 12 runs of 3, then 4 of 2; bucket = number modulo 16, no gaps.
        assert_eq!(&out[..3], ["w00", "w03", "w06"]);
        assert_eq!([out[0], out[16], out[32]], ["w00", "w01", "w02"]);
        assert_eq!([out[15], out[31]], ["w42", "w43"]);
        assert_eq!(bucket_order(vec!["b", "a"]), ["a", "b"]);
        assert!(bucket_order(Vec::new()).is_empty());
    }

    #[test]
    fn every_phrase_contains_a_trigger() {
        let t = triggers();
        for r in RULES {
            for p in r.any {
                assert_eq!(*p, p.to_lowercase(), "phrases are lower case: {p}");
                assert!(
                    t.iter().any(|w| covers(w, p)),
                    "phrase {p:?} contains no selective trigger word"
                );
            }
        }
        // The lines the old hand-written list dropped.
        for l in [
            "Requests per day exceeded for this key",
            "Too many tokens, please wait before trying again.",
            "Prompt is too long",
        ] {
            let lower = l.to_ascii_lowercase();
            assert!(t.iter().any(|w| lower.contains(w)), "{l}");
        }
    }

    #[test]
    fn cloud_and_corrected_texts() {
        for (text, class, conf) in [
            (
                "Your credit balance is too low to access the Anthropic API.",
                Spend,
                Certain,
            ),
            ("Credit balance too low \u{b7} Add funds", Spend, Certain),
            (
                "Too many tokens, please wait before trying again.",
                Itpm,
                Possible,
            ),
            (
                "Too many tokens per day, please wait before trying again.",
                Daily,
                Certain,
            ),
            (
                "Too many requests, please wait before trying again.",
                Rpm,
                Likely,
            ),
            (
                "Your request rate is too high. Reduce the frequency of requests.",
                Rpm,
                Likely,
            ),
            (
                "Too many connections, please wait before trying again.",
                Overload,
                Likely,
            ),
            (
                "Quota exceeded for aiplatform.googleapis.com/online_prediction_output_tokens_per_minute_per_base_model with base model: anthropic-claude-haiku-4-5.",
                Otpm,
                Certain,
            ),
            (
                "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-sonnet-4.",
                Rpm,
                Likely,
            ),
            (
                "Quota exceeded for aiplatform.googleapis.com/online_prediction_concurrent_requests_per_base_model",
                Concurrency,
                Likely,
            ),
            (
                "Resource exhausted, please try again later.",
                Overload,
                Possible,
            ),
            (
                "Too many requests. Exceeded the Provisioned Throughput.",
                Unknown,
                Likely,
            ),
        ] {
            let (r, _) = first_match(&normalise(text)).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((r.class, r.confidence), (class, conf), "{text}");
        }
    }
}
