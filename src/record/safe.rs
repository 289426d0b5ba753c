//! What a record may hold: an allow-list, never a copy of what the upstream sent.
//!
//! An upstream (or a gateway in between) may echo the request back: its key, its Bearer token,
//! a key from the query string, the prompt. So a record keeps only fields whose shape is known
//! (status, timing, the rate-limit headers, `error.type`, usage counts, a model id...), and
//! every string it keeps goes through [`Secrets::scrub`], which removes
//!
//! * API keys (the project's redactor, [`crate::redact::keys`]);
//! * the request's own credential values, wherever they appear: the proxy saw the request's
//!   headers and query string, so it knows them whatever their shape;
//! * words the request itself carried (its body, its header and query values), unless they
//!   are words of known error messages: an error text that quotes the prompt loses the quote.
//!
//! The request's words are remembered in a fixed-size Bloom filter: memory per exchange is
//! the same whatever the body's size. When the filter fills up (or the body is larger than
//! what is examined), every word outside the error vocabulary is treated as the request's.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// Longest text (an error message) kept, in bytes.
pub const MAX_TEXT: usize = 1024;
/// Longest short value (a header value, an id, a model) kept, in bytes.
const MAX_SHORT: usize = 128;
/// Credential values remembered per request (each at most [`MAX_CRED`] bytes).
const MAX_CREDS: usize = 32;
const MAX_CRED: usize = 4096;
/// The request body's bytes examined for words; past this, every unknown word is masked.
pub const MAX_EXAMINED: u64 = 64 << 20;
/// Bloom filter size in 64-bit words (8 KB: 65,536 bits) and the inserts it takes before it
/// counts as full.
const BLOOM_WORDS: usize = 1024;
const BLOOM_BITS: u64 = (BLOOM_WORDS * 64) as u64;
const BLOOM_CAP: u32 = 6000;
/// Shortest word remembered and masked (shorter words carry no secret worth the noise).
const MIN_WORD: usize = 4;

/// What replaces the request's own words in a kept text.
const MASK: &str = "[request text]";
/// What replaces a credential value.
const REDACTED: &str = "[REDACTED]";

/// Request headers whose values are never secret (everything else counts as a credential).
const PLAIN_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "accept-language",
    "anthropic-beta",
    "anthropic-version",
    "anthropic-dangerous-direct-browser-access",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "expect",
    "host",
    "pragma",
    "te",
    "transfer-encoding",
    "user-agent",
    "x-app",
];

/// What the proxy learned from a request: the values to remove from anything it writes.
#[derive(Debug)]
pub struct Secrets {
    creds: Vec<String>,
    bloom: Box<[u64]>,
    inserted: u32,
    /// The filter is full or the body was not examined to its end: mask every unknown word.
    saturated: bool,
    examined: u64,
    // The body tokenizer's state between pieces.
    tok_hash: u64,
    tok_len: usize,
    tok_alpha: bool,
    /// Bytes still to skip after a backslash (`\n`: 1, `\u00e9`: 5).
    skip: u8,
    escape: bool,
}

thread_local! {
    /// Zeroed filters of finished requests, for the next ones on this thread: an 8 KB
    /// allocation per request costs glibc a consolidation of its small free chunks.
    static BLOOMS: std::cell::RefCell<Vec<Box<[u64]>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Filters kept for reuse per thread, at most.
const BLOOMS_KEPT: usize = 64;

fn zeroed_bloom() -> Box<[u64]> {
    BLOOMS
        .try_with(|b| b.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| vec![0u64; BLOOM_WORDS].into_boxed_slice())
}

impl Drop for Secrets {
    fn drop(&mut self) {
        let mut bloom = std::mem::take(&mut self.bloom);
        if bloom.len() != BLOOM_WORDS {
            return;
        }
        bloom.fill(0);
        let _ = BLOOMS.try_with(|b| {
            if let Ok(mut b) = b.try_borrow_mut()
                && b.len() < BLOOMS_KEPT
            {
                b.push(bloom);
            }
        });
    }
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets {
            creds: Vec::new(),
            bloom: zeroed_bloom(),
            inserted: 0,
            saturated: false,
            examined: 0,
            tok_hash: FNV_OFFSET,
            tok_len: 0,
            tok_alpha: false,
            skip: 0,
            escape: false,
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// The words of `b` (runs of [`is_word_byte`]) as `(start, end)` byte offsets.
fn words(b: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !is_word_byte(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && is_word_byte(b[i]) {
            i += 1;
        }
        (i > start).then_some((start, i))
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

fn fold(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

fn hash_word(w: &[u8]) -> u64 {
    w.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ fold(b) as u64).wrapping_mul(FNV_PRIME)
    })
}

fn bloom_bits(h: u64) -> [u64; 3] {
    let h2 = (h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15) | 1;
    [0u64, 1, 2].map(|i| h.wrapping_add(i.wrapping_mul(h2)) % BLOOM_BITS)
}

/// Words of known error messages, never masked (a prompt about rate limits must not hide the
/// words that say which limit was hit). Lower case, [`MIN_WORD`] bytes or more.
static VOCABULARY: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut v = HashSet::new();
    let mut add = |text: &str| {
        for w in text.split(|c: char| !c.is_ascii_alphanumeric() && c.is_ascii()) {
            if w.len() >= MIN_WORD {
                v.insert(w.to_ascii_lowercase());
            }
        }
    };
    for rule in crate::classify::rules::RULES {
        for needle in rule.any {
            add(needle);
        }
    }
    add(EXTRA_VOCABULARY);
    v
});

/// Words of error messages and header values the classifier's rules do not already name.
const EXTRA_VOCABULARY: &str = "error type message request requests response organization \
    organisation workspace account rate limit limits limited exceed exceeded exceeds would \
    your this that with from have been reached tokens token input output minute minutes \
    hour hours second seconds daily day days week month monthly per maximum increase \
    please try again later retry after wait before trying reduce prompt length requested \
    details refer docs current usage headers contact sales discuss options overloaded \
    overload capacity server internal invalid authentication permission denied found \
    billing credit balance purchase credits timeout timed quota quotas exhausted resource \
    throttling throttled exception service unavailable gateway upstream model models \
    allowed warning rejected status utilization reset remaining fallback percentage \
    representative claim five seven unified overage disabled reason enabled available \
    anthropic claude sonnet opus haiku bedrock vertex google amazon high load temporarily \
    concurrent concurrency connections spend contract enforced linked unknown network \
    too many large long context window acceleration ramp stream streaming event data \
    redacted text http https console settings plan subscription pro max team enterprise \
    code true false null none only also some more less than least most level weekly \
    session";

/// True for a word made of digits only (counts and limits stay readable).
fn all_digits(w: &[u8]) -> bool {
    w.iter().all(u8::is_ascii_digit)
}

impl Secrets {
    /// Remembers the request's credential values: every header value but the plainly
    /// harmless ones (`content-type`, `anthropic-version`...), a Bearer/Basic token on its
    /// own too, and every query value (raw and percent-decoded).
    pub fn from_request(headers: &hyper::HeaderMap, query: Option<&str>) -> Secrets {
        let mut s = Secrets::default();
        for (name, value) in headers {
            let n = name.as_str();
            if PLAIN_HEADERS.contains(&n) || n.starts_with("x-stainless-") {
                continue;
            }
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let v = v.trim();
            s.add_cred(v);
            if let Some((scheme, token)) = v.split_once(' ') {
                let token = token.trim();
                s.add_cred(token);
                if scheme.eq_ignore_ascii_case("basic") {
                    use base64::Engine as _;
                    if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(token) {
                        let up = String::from_utf8_lossy(&raw).into_owned();
                        if let Some((user, pass)) = up.split_once(':') {
                            s.add_cred(pass);
                            s.add_cred(user);
                        }
                        s.add_cred(&up);
                    }
                }
            }
        }
        for pair in query.unwrap_or_default().split('&') {
            let v = pair.split_once('=').map_or(pair, |(_, v)| v);
            s.add_cred(v);
            s.add_cred(&percent_decode(v));
        }
        s
    }

    fn add_cred(&mut self, v: &str) {
        // Short values and plain numbers would mask ordinary text (`true`, `400000`); their
        // words still go into the filter below.
        self.add_words(v.as_bytes());
        if v.len() < 6
            || v.len() > MAX_CRED
            || self.creds.len() >= MAX_CREDS
            || all_digits(v.as_bytes())
        {
            return;
        }
        if !self.creds.iter().any(|c| c == v) {
            self.creds.push(v.to_string());
            // Longest first, so a token inside a longer value is not replaced first.
            self.creds.sort_by_key(|c| std::cmp::Reverse(c.len()));
        }
    }

    fn add_words(&mut self, bytes: &[u8]) {
        for w in bytes.split(|b| !is_word_byte(*b)) {
            if w.len() >= MIN_WORD && !all_digits(w) {
                self.insert(hash_word(w));
            }
        }
    }

    fn insert(&mut self, h: u64) {
        let mut new = false;
        for bit in bloom_bits(h) {
            let (i, m) = ((bit / 64) as usize, 1u64 << (bit % 64));
            new |= self.bloom[i] & m == 0;
            self.bloom[i] |= m;
        }
        if new {
            self.inserted += 1;
            if self.inserted > BLOOM_CAP {
                self.saturated = true;
            }
        }
    }

    fn seen(&self, h: u64) -> bool {
        self.saturated
            || bloom_bits(h).iter().all(|&bit| {
                let (i, m) = ((bit / 64) as usize, 1u64 << (bit % 64));
                self.bloom[i] & m != 0
            })
    }

    /// Reads a piece of the request body (JSON text or anything else) for its words. Past
    /// [`MAX_EXAMINED`] bytes the rest is not read and every unknown word counts as seen.
    pub fn feed_body(&mut self, bytes: &[u8]) {
        if self.saturated {
            return;
        }
        self.examined += bytes.len() as u64;
        if self.examined > MAX_EXAMINED {
            self.saturated = true;
            return;
        }
        for &b in bytes {
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            if self.escape {
                // `\n`, `\"`...: the escaped letter is no part of a word; `\u00e9`: neither
                // are the four hex digits.
                self.escape = false;
                if b == b'u' {
                    self.skip = 4;
                }
                continue;
            }
            if is_word_byte(b) {
                self.tok_hash = (self.tok_hash ^ fold(b) as u64).wrapping_mul(FNV_PRIME);
                self.tok_len += 1;
                self.tok_alpha |= !b.is_ascii_digit();
                continue;
            }
            self.end_word();
            if b == b'\\' {
                self.escape = true;
            }
        }
    }

    /// Ends the body (a last word without a separator after it).
    pub fn finish_body(&mut self) {
        self.end_word();
    }

    fn end_word(&mut self) {
        if self.tok_len >= MIN_WORD && self.tok_alpha {
            self.insert(self.tok_hash);
        }
        self.tok_hash = FNV_OFFSET;
        self.tok_len = 0;
        self.tok_alpha = false;
    }

    /// A text as a record may keep it: credentials and keys removed, the request's own words
    /// masked (runs of them become one `[request text]`), at most `max` bytes.
    pub fn scrub_max(&self, s: &str, max: usize) -> String {
        let mut s = s.to_string();
        for c in &self.creds {
            if s.contains(c.as_str()) {
                s = s.replace(c.as_str(), REDACTED);
            }
        }
        let s = crate::redact::keys(&s);
        let mut out = String::with_capacity(s.len().min(max + 16));
        let b = s.as_bytes();
        let mut last_masked = false;
        let mut sep_start = 0;
        for (start, i) in words(b) {
            if self.masks(&b[start..i]) {
                if !last_masked {
                    out.push_str(&s[sep_start..start]);
                    out.push_str(MASK);
                }
                last_masked = true;
            } else {
                out.push_str(&s[sep_start..i]);
                last_masked = false;
            }
            sep_start = i;
        }
        out.push_str(&s[sep_start..]);
        cap(out, max)
    }

    /// Credentials and keys removed, the request's words left alone (for what the client
    /// itself chose, such as the path), at most `max` bytes.
    pub fn scrub_credentials(&self, s: &str, max: usize) -> String {
        let mut s = s.to_string();
        for c in &self.creds {
            if s.contains(c.as_str()) {
                s = s.replace(c.as_str(), REDACTED);
            }
        }
        cap(crate::redact::keys(&s), max)
    }

    /// [`Secrets::scrub_max`] with the text cap.
    pub fn scrub(&self, s: &str) -> String {
        self.scrub_max(s, MAX_TEXT)
    }

    /// A short value kept only when scrubbing leaves it as it was (a value that held a
    /// credential or the request's words is dropped whole, not kept in pieces).
    pub fn clean(&self, s: &str) -> Option<String> {
        self.is_clean(s).then(|| s.to_string())
    }

    /// True when [`Secrets::clean`] keeps `s`.
    pub fn is_clean(&self, s: &str) -> bool {
        s.len() <= MAX_SHORT && (self.plainly_clean(s) || self.scrub_max(s, MAX_SHORT) == s)
    }

    /// True when [`Secrets::scrub_max`] would surely leave `s` (no longer than its cap) as it
    /// is, found without building its output: no credential in it, no `sk` (where a key
    /// could start) and no word it would mask. False means "maybe not": scrub it to see.
    fn plainly_clean(&self, s: &str) -> bool {
        let b = s.as_bytes();
        // `sk` found without building a searcher (the values are short).
        if self.creds.iter().any(|c| s.contains(c.as_str())) || b.windows(2).any(|w| w == b"sk") {
            return false;
        }
        !words(b).any(|(start, end)| self.masks(&b[start..end]))
    }

    /// Whether [`Secrets::scrub_max`] masks the word `w`: long enough, not a number, in the
    /// request (the filter first: the vocabulary check lower-cases a copy of the word) and
    /// not a word of the API's own vocabulary.
    fn masks(&self, w: &[u8]) -> bool {
        w.len() >= MIN_WORD
            && !all_digits(w)
            && self.seen(hash_word(w))
            && !VOCABULARY.contains(&String::from_utf8_lossy(w).to_ascii_lowercase())
    }

    /// A value with a credential in it (or a key) is dropped; the request's words are not
    /// looked at (a model id the request named is expected back).
    fn no_credential(&self, s: &str) -> bool {
        !self.creds.iter().any(|c| s.contains(c.as_str())) && crate::redact::keys(s) == s
    }

    /// Scrubs every string inside a JSON value (the last pass over a record's body).
    pub fn scrub_value(&self, v: &mut Value) {
        match v {
            Value::String(s) if !self.no_credential(s) => *s = self.scrub(s),
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub_value(x)),
            Value::Object(m) => m.values_mut().for_each(|x| self.scrub_value(x)),
            _ => {}
        }
    }
}

fn cap(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str(" [cut]");
    }
    s
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A header value's allowed characters: numbers, times, words, ids.
fn header_shaped(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_SHORT
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'.' | b'_' | b':' | b'+' | b'-' | b'/' | b' ' | b',')
        })
}

/// True for the response headers a record keeps: the rate-limit headers and what tells
/// which request and which provider answered.
pub fn header_kept(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "request-id",
        "x-request-id",
        "anthropic-organization-id",
        "x-amzn-requestid",
        "x-amzn-request-id",
        "x-amzn-errortype",
    ];
    name.len() <= 100
        && (EXACT.contains(&name)
            || name.starts_with("anthropic-ratelimit-")
            || name.starts_with("x-ratelimit-")
            || name.starts_with("x-amzn-bedrock-"))
}

/// The kept response headers, each value shape-checked and scrubbed (a value that is not a
/// plain number, time, word or id is dropped).
pub fn headers(h: &hyper::HeaderMap, secrets: &Secrets) -> super::entry::Headers {
    let mut out = super::entry::Headers::default();
    for (name, value) in h {
        let n = name.as_str();
        if !header_kept(n) || out.len() >= 64 {
            continue;
        }
        let Ok(v) = value.to_str() else { continue };
        let trimmed = v.trim();
        if !header_shaped(trimmed) || !secrets.is_clean(trimmed) {
            continue;
        }
        let value = if trimmed.len() == v.len() {
            value.clone()
        } else {
            match hyper::header::HeaderValue::from_str(trimmed) {
                Ok(t) => t,
                Err(_) => continue,
            }
        };
        // A repeated header keeps its first value.
        out.add(name.clone(), value);
    }
    out
}

/// A word-shaped value (`rate_limit_error`, `RESOURCE_EXHAUSTED`), scrubbed.
fn word(v: Option<&Value>, secrets: &Secrets) -> Option<Value> {
    let s = v?.as_str()?;
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':'));
    ok.then(|| secrets.clean(s)).flatten().map(Value::String)
}

/// A model id: id-shaped, and naming Claude or the model the request asked for.
pub fn model(s: &str, asked: Option<&str>, secrets: &Secrets) -> Option<String> {
    let shaped = !s.is_empty()
        && s.len() <= MAX_SHORT
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'@' | b'/' | b'-')
        });
    let known = s.to_ascii_lowercase().contains("claude") || asked == Some(s);
    (shaped && known && secrets.no_credential(s)).then(|| s.to_string())
}

/// A message id (`msg_...`): id-shaped and scrubbed.
pub fn id(s: &str, secrets: &Secrets) -> Option<String> {
    let shaped = !s.is_empty()
        && s.len() <= MAX_SHORT
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    shaped.then(|| secrets.clean(s)).flatten()
}

/// A stop reason the Messages API documents.
pub fn stop_reason(s: &str) -> Option<String> {
    const KNOWN: &[&str] = &[
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    ];
    KNOWN.contains(&s).then(|| s.to_string())
}

/// Usage counts: the documented keys with integer values, nothing else.
pub fn usage(v: &Map<String, Value>) -> Option<Map<String, Value>> {
    const COUNTS: &[&str] = &[
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ];
    const NESTED: &[(&str, &[&str])] = &[
        (
            "cache_creation",
            &["ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"],
        ),
        (
            "server_tool_use",
            &["web_search_requests", "web_fetch_requests"],
        ),
    ];
    let mut out = Map::new();
    for k in COUNTS {
        if let Some(n) = v.get(*k).and_then(Value::as_u64) {
            out.insert((*k).into(), Value::from(n));
        }
    }
    for (k, inner) in NESTED {
        if let Some(o) = v.get(*k).and_then(Value::as_object) {
            let mut m = Map::new();
            for i in *inner {
                if let Some(n) = o.get(*i).and_then(Value::as_u64) {
                    m.insert((*i).into(), Value::from(n));
                }
            }
            if !m.is_empty() {
                out.insert((*k).into(), Value::Object(m));
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Merges a `message_delta`'s usage into the counts so far (only the documented keys).
pub fn merge_usage(into: &mut Option<Map<String, Value>>, delta: &Map<String, Value>) {
    if let Some(d) = usage(delta) {
        let u = into.get_or_insert_with(Map::new);
        for (k, v) in d {
            u.insert(k, v);
        }
    }
}

/// An error answer's body as a record keeps it: `type`, `error.type`, `error.message`
/// (scrubbed, capped), `error.code`, `error.status`, `error.details.error_code`, a top-level
/// `message` (Bedrock, gateways), `request_id`. A body that is not JSON is kept as scrubbed
/// text. Anything else is dropped.
pub fn error_body(bytes: &[u8], secrets: &Secrets) -> Option<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(o)) => {
            let v = error_object(&o, secrets);
            (!v.is_empty()).then_some(Value::Object(v))
        }
        Ok(Value::String(s)) => Some(Value::String(secrets.scrub(&s))),
        Ok(_) => None,
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_TEXT * 4)]);
            let t = text.trim();
            (!t.is_empty()).then(|| Value::String(secrets.scrub(t)))
        }
    }
}

fn error_object(o: &Map<String, Value>, secrets: &Secrets) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(t) = word(o.get("type"), secrets) {
        out.insert("type".into(), t);
    }
    if let Some(m) = o.get("message").and_then(Value::as_str) {
        out.insert("message".into(), Value::String(secrets.scrub(m)));
    }
    for k in ["code", "status"] {
        match o.get(k) {
            Some(Value::Number(n)) if n.is_u64() => {
                out.insert(k.into(), Value::Number(n.clone()));
            }
            v => {
                if let Some(w) = word(v, secrets) {
                    out.insert(k.into(), w);
                }
            }
        }
    }
    if let Some(r) = o
        .get("request_id")
        .and_then(Value::as_str)
        .and_then(|r| id(r, secrets))
    {
        out.insert("request_id".into(), Value::String(r));
    }
    if let Some(code) = word(o.get("details").and_then(|d| d.get("error_code")), secrets) {
        out.insert("details".into(), serde_json::json!({ "error_code": code }));
    }
    match o.get("error") {
        Some(Value::Object(e)) => {
            let inner = error_object(e, secrets);
            if !inner.is_empty() {
                out.insert("error".into(), Value::Object(inner));
            }
        }
        Some(Value::String(s)) => {
            out.insert("error".into(), Value::String(secrets.scrub(s)));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(headers: &[(&str, &str)], query: Option<&str>, body: &str) -> Secrets {
        let mut h = hyper::HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                hyper::header::HeaderValue::from_str(v).unwrap(),
            );
        }
        let mut s = Secrets::from_request(&h, query);
        for piece in body.as_bytes().chunks(7) {
            s.feed_body(piece);
        }
        s.finish_body();
        s
    }

    #[test]
    fn credentials_and_request_words_are_removed() {
        let s = secrets(
            &[
                ("x-api-key", "plainkey-ABCDEF123456"),
                ("authorization", "Bearer tok-Zyxwvu987654"),
                ("x-gateway-auth", "gw-secret-42424242"),
                ("content-type", "application/json"),
            ],
            Some("beta=true&key=AIzaQueryKey0001"),
            r#"{"model":"claude-sonnet-4-5","system":"SYSCANARY about rate limits","messages":[{"role":"user","content":"PROMPTCANARY\nsecondline"}]}"#,
        );
        let echo = "invalid: plainkey-ABCDEF123456 / tok-Zyxwvu987654 / gw-secret-42424242 \
            / AIzaQueryKey0001 / SYSCANARY PROMPTCANARY secondline: this request would exceed \
            the rate limit of 30000 input tokens per minute";
        let out = s.scrub(echo);
        for bad in [
            "plainkey-ABCDEF123456",
            "Zyxwvu987654",
            "42424242",
            "AIzaQueryKey0001",
            "SYSCANARY",
            "PROMPTCANARY",
            "secondline",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        // The words that say which limit was hit stay, even though the prompt had some.
        assert!(
            out.contains("rate limit of 30000 input tokens per minute"),
            "{out}"
        );
        assert!(out.contains(MASK), "{out}");
    }

    #[test]
    fn the_quick_clean_check_agrees_with_scrubbing() {
        let s = secrets(
            &[("x-api-key", "sk-ant-api03-CleanCheck123456")],
            None,
            r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"PROMPTWORD here"}]}"#,
        );
        for v in [
            "1000000000",
            "2026-12-07T11:49:10Z",
            "req_mock0000000000000001",
            "4f1e3a2b-0000-4000-8000-00000000a429",
            "allowed_warning",
            "PROMPTWORD",
            "x PROMPTWORD y",
            "sk-ant-api03-CleanCheck123456",
            "a sk-ant-othe1234567 b",
            "claude-sonnet-4-5",
            "rate limit",
            "",
        ] {
            let slow = (s.scrub_max(v, MAX_SHORT) == v).then(|| v.to_string());
            assert_eq!(s.clean(v), slow, "{v}");
            if s.plainly_clean(v) {
                assert_eq!(slow.as_deref(), Some(v), "{v}");
            }
        }
        assert!(s.plainly_clean("2026-12-07T11:49:10Z"));
        assert!(!s.plainly_clean("x PROMPTWORD y"));
        assert_eq!(s.clean("x PROMPTWORD y"), None);
    }

    #[test]
    fn a_full_filter_masks_every_unknown_word() {
        let mut body = String::from("{\"messages\":\"");
        for i in 0..20_000 {
            body.push_str(&format!("word{i}x "));
        }
        body.push_str("\"}");
        let s = secrets(&[], None, &body);
        assert!(s.saturated);
        assert_eq!(
            s.scrub("Overloaded: unrelatedword"),
            format!("Overloaded: {MASK}")
        );
    }

    #[test]
    fn error_bodies_keep_only_known_fields() {
        let s = secrets(
            &[("x-api-key", "sekrit-value-0001")],
            None,
            "{\"system\":\"hush-hush-canary\"}",
        );
        let body = br#"{"type":"error","error":{"type":"rate_limit_error","message":"echo sekrit-value-0001 hush-hush-canary","details":{"error_code":"ramp_limit_exceeded"}},"request_id":"req_1","echo":{"x-api-key":"sekrit-value-0001"},"usage":{"input_tokens":3}}"#;
        let v = error_body(body, &s).unwrap();
        let text = v.to_string();
        assert!(
            !text.contains("sekrit") && !text.contains("canary") && !text.contains("echo\""),
            "{text}"
        );
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["details"]["error_code"], "ramp_limit_exceeded");
        assert_eq!(v["request_id"], "req_1");
        // Text bodies are scrubbed too.
        let v = error_body(b"upstream said sekrit-value-0001", &s).unwrap();
        assert_eq!(v, Value::from("upstream said [REDACTED]"));
    }

    #[test]
    fn shapes() {
        let s = Secrets::default();
        assert_eq!(
            model("claude-sonnet-4-5", None, &s).as_deref(),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(model("my model with spaces", None, &s), None);
        assert_eq!(model("gpt-x", Some("gpt-x"), &s).as_deref(), Some("gpt-x"));
        assert_eq!(model("gpt-x", None, &s), None);
        assert_eq!(stop_reason("end_turn").as_deref(), Some("end_turn"));
        assert_eq!(stop_reason("whatever"), None);
        let u = serde_json::json!({"input_tokens": 5, "output_tokens": "7", "echo": 1,
            "cache_creation": {"ephemeral_5m_input_tokens": 2, "x": 3}});
        let u = usage(u.as_object().unwrap()).unwrap();
        assert_eq!(
            Value::Object(u),
            serde_json::json!({"input_tokens": 5, "cache_creation": {"ephemeral_5m_input_tokens": 2}})
        );
        assert!(header_kept("anthropic-ratelimit-requests-remaining"));
        assert!(!header_kept("x-echo-authorization"));
        assert!(!header_kept("location"));
        assert_eq!(percent_decode("a%2Db+c"), "a-b c");
    }
}
