//! Line recognisers: pure functions that say what a line (or the words before a literal)
//! is: a log timestamp, an HTTP status line, a request line, a marker naming a format and a
//! status, an SDK exception, an inert line a quiet scanner can skip.

use crate::capture::Format;
use crate::classify::rules;

/// What the text before an object (or a whole line) says about the capture.
#[derive(Debug, Clone, Copy)]
pub(super) struct Marker {
    pub(super) format: Format,
    pub(super) status: Option<u16>,
}

impl Marker {
    pub(super) fn from_prefix(prefix: &str) -> Option<Marker> {
        let lower = prefix.to_ascii_lowercase();
        // Most lines name none of the words below: one multi-pattern probe answers for all
        // of them, and only a line that has one is looked at word by word.
        if !MARKER_GUARD.is_match(lower.as_bytes()) {
            return status_in_text(&lower).map(|s| Marker {
                format: Format::Text,
                status: Some(s),
            });
        }
        let status = status_in_text(&lower).or_else(|| status_of_exception(&lower));
        let format = if lower.contains("litellm")
            || lower.contains("anthropicexception")
            || lower.contains("bedrockexception")
            || lower.contains("vertexaiexception")
        {
            Format::Litellm
        } else if lower.contains("botocore")
            || lower.contains("boto3")
            || (lower.contains("an error occurred (") && lower.contains("operation"))
            || lower.contains("google.api_core")
        {
            // boto3 / AWS CLI (`An error occurred (ThrottlingException) when calling the
            // InvokeModel operation: …`), Google client libraries.
            Format::PythonSdk
        } else if lower.contains("$metadata")
            || lower.contains("(service: bedrock")
            || crate::classify::aws::aws_exception_status(&lower).is_some()
        {
            // AWS SDK for JavaScript v3 and Java-style messages; an AWS exception name.
            Format::TsSdk
        } else if lower.contains("api error")
            || lower.contains("request rejected")
            || lower.contains("retrying in")
        {
            Format::ClaudeCode
        } else if lower.contains("error code:")
            || lower.contains("anthropic.")
            || lower.contains("anthropic_")
        {
            Format::PythonSdk
        } else if lower.contains("ratelimiterror")
            || lower.contains("overloadederror")
            || lower.contains("apierror")
            || lower.contains("internalservererror")
            || lower.contains("failed after")
            || lower.contains("last error")
        {
            Format::TsSdk
        } else if status.is_some() {
            Format::Text
        } else {
            return None;
        };
        Some(Marker { format, status })
    }
}

/// Whether `trimmed` (a line, its timestamp cut off) is certain to leave a quiet scanner
/// quiet, with nothing to remember. Conservative: `false` whenever any branch of
/// [`TextScanner::push_line`] could act on it. A branch acts only on
/// * a line that starts a quote, a `curl -v` line, a literal or an array (`>`, `<`, `{`, `[`);
/// * an HTTP status line (`http/`), SSE data (`data`), a relevant header (`retry`,
///   `request`, `anthropic`, `x-amzn`, `status`), a literal behind a key or an error word
///   (`headers`, `body`, `response`, `data`, `details`, `error`: an error envelope names
///   `error` too), a `\u` escape that could spell any of these;
/// * a marker word ([`MARKER_GUARD`]) or a 4xx/5xx number standing alone;
/// * the words of a rule phrase ([`rules::may_match`]).
///
/// Non-ASCII lines always take the full path (Unicode case folding is not ASCII's).
pub(super) fn inert_when_quiet(trimmed: &str, lower: &mut String) -> bool {
    if !trimmed.is_ascii() {
        return false;
    }
    lower.clear();
    lower.push_str(trimmed);
    lower.make_ascii_lowercase();
    inert_lowered(trimmed, lower.as_bytes(), true)
}

/// [`inert_when_quiet`] for an ASCII line and its lower-cased copy; `has_word`: false when
/// the line is known to hold no trigger word, and so no rule phrase.
pub(super) fn inert_lowered(trimmed: &str, lower: &[u8], has_word: bool) -> bool {
    static GATE: std::sync::LazyLock<rules::WordSearch> =
        std::sync::LazyLock::new(|| rules::WordSearch::new(GATE_WORDS));
    debug_assert!(trimmed.is_ascii() && trimmed.len() == lower.len());
    if trimmed.starts_with(['>', '<', '{', '[']) {
        return false;
    }
    // `\u` (an escape that could spell any word) is looked for apart: a two-byte pattern
    // would drag the whole search down to a slower, two-byte fingerprint.
    !(GATE.is_match(lower)
        || memchr::memchr_iter(b'\\', lower).any(|i| lower.get(i + 1) == Some(&b'u'))
        || has_error_status_number(lower)
        || (has_word && rules::may_match(lower)))
}

/// A three-digit number from 400 to 599 standing alone (no letter or digit either side).
fn has_error_status_number(b: &[u8]) -> bool {
    let alnum = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphanumeric);
    memchr::memchr2_iter(b'4', b'5', b).any(|i| {
        b.len() >= i + 3
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && (i == 0 || !alnum(i - 1))
            && !alnum(i + 3)
    })
}

/// Every word [`Marker::from_prefix`] and [`status_of_exception`] look for: a line with none
/// of them is a plain [`Format::Text`] marker at most. (`exception` covers the AWS names.)
/// A SIMD word search ([`rules::WordSearch`]): the automaton it replaces walked every byte
/// of the line (about 4,500 instructions per `ERROR` line of a service log, 3% of replaying
/// it).
static MARKER_GUARD: std::sync::LazyLock<rules::WordSearch> =
    std::sync::LazyLock::new(|| rules::WordSearch::new(MARKER_GUARD_WORDS));

/// The words of [`MARKER_GUARD`] besides the exception class names (the source of
/// `MARKER_GUARD_WORDS` and part of `GATE_WORDS`).
#[cfg(test)]
const MARKER_WORDS: &[&str] = &[
    "litellm",
    "anthropicexception",
    "bedrockexception",
    "vertexaiexception",
    "botocore",
    "boto3",
    "an error occurred (",
    "google.api_core",
    "$metadata",
    "(service: bedrock",
    "exception",
    "api error",
    "request rejected",
    "retrying in",
    "error code:",
    "anthropic.",
    "anthropic_",
    "ratelimiterror",
    "overloadederror",
    "apierror",
    "internalservererror",
    "failed after",
    "last error",
    "resourceexhausted",
    "resource_exhausted",
];

const EXCEPTION_CLASSES: &[(&str, u16)] = &[
    ("ratelimiterror", 429),
    ("overloadederror", 529),
    ("internalservererror", 500),
    ("serviceunavailableerror", 503),
    ("authenticationerror", 401),
    ("permissiondeniederror", 403),
    ("notfounderror", 404),
    ("badrequesterror", 400),
    ("requesttoolargeerror", 413),
];

/// The status an SDK exception class stands for (`anthropic.RateLimitError`, TypeScript
/// `RateLimitError`, LiteLLM `litellm.RateLimitError`).
pub(super) fn status_of_exception(lower: &str) -> Option<u16> {
    EXCEPTION_CLASSES
        .iter()
        .find(|(k, _)| lower.contains(k))
        .map(|(_, s)| *s)
        .or_else(|| crate::classify::aws::aws_exception_status(lower))
        .or_else(|| {
            // Google: `google.api_core.exceptions.ResourceExhausted: 429 …`.
            (lower.contains("resourceexhausted") || lower.contains("resource_exhausted"))
                .then_some(429)
        })
}

/// A 4xx/5xx status named in text: "Error code: 429", "API Error: 529", "(429)", "status 429",
/// "RateLimitError: 429", or a leading "429 {".
pub(super) fn status_in_text(lower: &str) -> Option<u16> {
    let b = lower.as_bytes();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && (i + 3 == b.len() || !b[i + 3].is_ascii_alphanumeric())
        {
            let n: u16 = lower[i..i + 3].parse().unwrap_or(0);
            if (400..600).contains(&n) {
                let mut from = i.saturating_sub(16);
                while !lower.is_char_boundary(from) {
                    from += 1;
                }
                let before = &lower[from..i];
                const KNOWN: &[u16] = &[
                    400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504, 529,
                ];
                let ok = i == 0 || carries_status(before, &lower[i + 3..], KNOWN.contains(&n));
                if ok {
                    return Some(n);
                }
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

/// Whether the words right before a number make it a status: an SDK exception or Claude
/// Code line (`Error code: 429`, `API Error: 529`, `RateLimitError: 429`, `Request rejected
/// (429)`), a status key (`status 429`, `status_code=429`, `HTTP 429`), `failed with` /
/// `returned` / `response`. Never an arbitrary `key: NNN` (`published n: 529`,
/// `'order_id': 429`, `error_count: 429`) or a `file:429:12` position.
fn carries_status(before: &str, after: &str, known: bool) -> bool {
    const KEYS: &[&str] = &[
        "status",
        "status_code",
        "statuscode",
        "httpstatuscode",
        "status code",
        "code",
        "error",
        "exception",
        "rejected",
        "http",
        "http/1.0",
        "http/1.1",
        "http/2",
        "http/3",
        "failed with",
        "returned",
        "response",
        "got",
    ];
    let tail = before.trim_end_matches([
        ' ', ':', '=', '\'', '"', '[', '-', '`', '\u{b7}', '\u{2219}', '\u{2022}', '|', ',',
    ]);
    if before.trim_end().ends_with('(') {
        // `Request rejected (429)`, `API Error (529 …)`; not `order (429 items)`.
        let t = tail.trim_end_matches('(').trim_end();
        return KEYS.iter().any(|k| t.ends_with(k)) || (known && reads_as_status(after));
    }
    // Claude Code's debug form: `API Error (attempt 1/11): 529`.
    if tail.ends_with(')') && before.contains("attempt") {
        return known;
    }
    let sep = before.len() - tail.len();
    // `status 429` with a space, `Error code: 429` with a colon; `errorcount429` never.
    sep > 0 && KEYS.iter().any(|k| tail.ends_with(k))
}

/// What follows a known status in parentheses when it is one: `(429)`, `(529 {...})`,
/// `(529 Overloaded)`, `(429 Too Many Requests)`; never a count (`(529 chars)`, `(429 items)`).
fn reads_as_status(after: &str) -> bool {
    const REASONS: &[&str] = &[
        "too",
        "overloaded",
        "site",
        "internal",
        "service",
        "bad",
        "rate",
        "request",
        "error",
        "gateway",
        "unauthorized",
        "forbidden",
        "not",
        "payload",
        "status",
    ];
    let a = after.trim_start();
    match a.chars().next() {
        None | Some(')' | '{' | '\u{2026}' | '.' | '-' | ':' | ',') => true,
        _ => {
            let word: String = a.chars().take_while(|c| c.is_alphabetic()).collect();
            REASONS.contains(&word.as_str())
        }
    }
}

/// `HTTP/1.1 429 Too Many Requests` at the start of a line, or quoted in an httpx log line
/// (`HTTP Request: POST https://... "HTTP/1.1 429 Too Many Requests"`). Returns the status and
/// where the status line starts.
pub(super) fn status_line(line: &str) -> Option<(u16, usize)> {
    static QUOTED: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"HTTP/"));
    let at = if line.starts_with("HTTP/") {
        0
    } else {
        QUOTED.find(line.as_bytes()).map(|i| i + 1)?
    };
    let rest = &line[at + 5..];
    let sp = rest.find(' ')?;
    let version = &rest[..sp];
    if !version.chars().all(|c| c.is_ascii_digit() || c == '.') || version.is_empty() {
        return None;
    }
    let code = rest[sp + 1..].get(..3)?;
    let n: u16 = code.parse().ok()?;
    if !(100..600).contains(&n)
        || rest.as_bytes()[sp + 1..]
            .get(3)
            .is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    Some((n, at))
}

/// The request in an httpx log line before a quoted status: `POST https://host/v1/messages "HTTP/1.1 ...`.
pub(super) fn httpx_request(line: &str, status_at: usize) -> Option<(&str, &str)> {
    if status_at == 0 {
        return None;
    }
    let before = line[..status_at.saturating_sub(1)].trim_end();
    // The last two space-separated words (`rsplit(' ')`, found from the end with memrchr).
    let sp = memchr::memrchr(b' ', before.as_bytes())?;
    let url = &before[sp + 1..];
    let rest = &before[..sp];
    let method = &rest[memchr::memrchr(b' ', rest.as_bytes()).map_or(0, |i| i + 1)..];
    (matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "PATCH") && url.contains('/'))
        .then_some((method, url))
}

/// `POST /v1/messages HTTP/2` from `curl -v`.
pub(super) fn request_line(s: &str) -> Option<(String, String)> {
    let mut w = s.split_whitespace();
    let m = w.next()?;
    let u = w.next()?;
    (matches!(m, "GET" | "POST" | "PUT" | "DELETE" | "PATCH"))
        .then(|| (m.to_string(), u.to_string()))
}

/// `headers: ` / `error: ` / `body=` right before a brace in a JS or Python dump.
pub(super) fn js_key(prefix: &str) -> Option<&str> {
    let mut p = prefix.trim_end();
    // A type name before the brace, as util.inspect prints it: `headers: Headers {`.
    if let Some((before, last)) = p.rsplit_once(char::is_whitespace)
        && !last.is_empty()
        && last.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && before.trim_end().ends_with(':')
    {
        p = before.trim_end();
    }
    let p = p.strip_suffix(':').or_else(|| p.strip_suffix('='))?.trim();
    let key = p
        .rsplit(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()?;
    let key = key.trim_matches(|c| c == '\'' || c == '"');
    matches!(
        key,
        "headers" | "error" | "body" | "response" | "responseBody" | "data" | "details"
    )
    .then_some(key)
}

pub(super) fn looks_like_header_name(name: &str) -> bool {
    name.contains('-')
        || matches!(
            name,
            "date"
                | "server"
                | "connection"
                | "via"
                | "vary"
                | "etag"
                | "age"
                | "expires"
                | "status"
        )
}

pub(super) fn looks_claude_code(norm: &str) -> bool {
    norm.contains("api error")
        || norm.contains("limit reached")
        || norm.contains("resets")
        || norm.contains("not your usage limit")
        || norm.contains("hit your")
}

/// Traceback frames, stack lines, indented code, separators: part of a pasted error, not
/// evidence and not a sign the capture ended.
pub(super) fn is_neutral(line: &str) -> bool {
    let t = line.trim();
    line.starts_with(' ')
        || line.starts_with('\t')
        || t.starts_with("Traceback")
        || t.starts_with("File \"")
        || t.starts_with("During handling")
        || t.starts_with("The above exception")
        || t.starts_with('^')
        || t.starts_with("at ")
        || t.starts_with("...")
        || t.starts_with('}')
        || t.starts_with(']')
        || t.starts_with("```")
        || t.chars()
            .all(|c| matches!(c, '-' | '=' | '~' | '*' | '#' | '_'))
}

/// Strips a leading log timestamp (`2026-11-20T14:02:11Z`, `[2026-11-20 14:02:11,123]`,
/// `2026-11-20 14:02:11.123 ERROR ...`) and returns the rest and the stamp's text (parsed
/// later, only if a capture starts here).
pub(super) fn strip_log_prefix(line: &str) -> (&str, Option<&str>) {
    let t = line.trim_start();
    let inner = t.strip_prefix('[').unwrap_or(t);
    let b = inner.as_bytes();
    if b.len() < 19
        || !(b[0..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[7] == b'-'
            && matches!(b[10], b'T' | b' ')
            && b[13] == b':')
    {
        return (line, None);
    }
    // Bytes, not chars: every byte the stamp may hold is ASCII, and the first byte of any
    // other char (ASCII or not) ends it, at a char boundary.
    let stamp_byte =
        |c: u8| c.is_ascii_digit() || matches!(c, b'.' | b',' | b':' | b'+' | b'-' | b'Z');
    let end = if b[..19].is_ascii() {
        b[19..]
            .iter()
            .position(|&c| !stamp_byte(c))
            .map_or(inner.len(), |i| 19 + i)
    } else {
        // Not a stamp one would write, but read as before: 19 chars in.
        inner
            .char_indices()
            .skip(19)
            .find(|&(_, c)| !(c.is_ascii() && stamp_byte(c as u8)))
            .map_or(inner.len(), |(i, _)| i)
    };
    let rest = inner[end..].trim_start_matches([']', ' ', '\t']);
    (rest, Some(&inner[..end]))
}

/// Cheap test that a line may start a capture: one case-insensitive multi-pattern scan over
/// [`rules::triggers`] (derived from the rule table).
pub(super) fn might_start_capture(line: &str) -> bool {
    // The lower-cased trigger words with none redundant (a line holding `requests` holds
    // `request`), for a SIMD search over a lower-cased copy of the line, and the one-byte
    // triggers (`{`: no case) for memchr: both build in microseconds, where an
    // ASCII-case-insensitive automaton over every trigger was most of the cost of
    // replaying a small file.
    thread_local! {
        static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    #[cfg(test)]
    if LEGACY_TRIGGERS.get() {
        static LEGACY: std::sync::LazyLock<aho_corasick::AhoCorasick> =
            std::sync::LazyLock::new(|| {
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(rules::legacy_triggers())
                    .expect("static patterns build")
            });
        return LEGACY.is_match(line);
    }
    let raw = line.as_bytes();
    if rules::TRIGGER_BYTES
        .iter()
        .any(|b| memchr::memchr(*b, raw).is_some())
    {
        return true;
    }
    LOWER.with_borrow_mut(|lower| {
        lower.clear();
        lower.extend(raw.iter().map(u8::to_ascii_lowercase));
        rules::trigger_search().is_match(lower)
    })
}

#[cfg(test)]
thread_local! {
    /// Tests only: [`might_start_capture`] with the trigger words of before
    /// ([`rules::legacy_triggers`]).
    pub(super) static LEGACY_TRIGGERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

// The word lists of the two searches above, written out as the trigger words are
// ([`rules::TRIGGER_WORDS`]): computed from this file's lists without the words another one
// holds ([`rules::minimal_words`]), in the order the SIMD search wants
// ([`rules::bucket_order`]). `the_written_out_word_lists_are_computed` recomputes them and
// prints the new lists when a word changes.

/// [`inert_lowered`]'s words: `GATE_LIST`, `MARKER_WORDS` and the exception class names.
const GATE_WORDS: &[&str] = &[
    "(service: bedrock",
    "boto3",
    "details",
    "failed after",
    "http/",
    "resource_exhausted",
    "response",
    "status",
    "anthropic",
    "botocore",
    "error",
    "google.api_core",
    "litellm",
    "resourceexhausted",
    "retry",
    "x-amzn",
    "body",
    "data",
    "exception",
    "headers",
    "request",
];

/// The words [`inert_lowered`] looks for besides the markers and exception class names
/// (the source of `GATE_WORDS`).
#[cfg(test)]
const GATE_LIST: &[&str] = &[
    "error",
    "http/",
    "status",
    "request",
    "retry",
    "anthropic",
    "x-amzn",
    "headers",
    "body",
    "response",
    "data",
    "details",
];

/// [`MARKER_GUARD`]'s words: `MARKER_WORDS` and the exception class names.
const MARKER_GUARD_WORDS: &[&str] = &[
    "$metadata",
    "anthropic_",
    "badrequesterror",
    "exception",
    "last error",
    "overloadederror",
    "request rejected",
    "resourceexhausted",
    "(service: bedrock",
    "api error",
    "boto3",
    "failed after",
    "litellm",
    "permissiondeniederror",
    "requesttoolargeerror",
    "retrying in",
    "an error occurred (",
    "apierror",
    "botocore",
    "google.api_core",
    "notfounderror",
    "ratelimiterror",
    "resource_exhausted",
    "serviceunavailableerror",
    "anthropic.",
    "authenticationerror",
    "error code:",
    "internalservererror",
];

#[cfg(test)]
mod written_out {
    use super::*;

    fn prepared<S: AsRef<str>>(words: &[S]) -> Vec<&str> {
        rules::bucket_order(rules::minimal_words(words))
    }

    /// The written-out lists are what this file's lists give today.
    #[test]
    fn the_written_out_word_lists_are_computed() {
        let mut gate = GATE_LIST.to_vec();
        gate.extend(MARKER_WORDS);
        gate.extend(EXCEPTION_CLASSES.iter().map(|(k, _)| *k));
        let want = prepared(&gate);
        assert_eq!(want, GATE_WORDS, "GATE_WORDS is now {want:#?}");

        let mut marker = MARKER_WORDS.to_vec();
        marker.extend(EXCEPTION_CLASSES.iter().map(|(k, _)| *k));
        let want = prepared(&marker);
        assert_eq!(
            want, MARKER_GUARD_WORDS,
            "MARKER_GUARD_WORDS is now {want:#?}"
        );
    }
}
