//! A targeted scan of a plain success for `diagnose`: one pass over the line that checks it
//! is well-formed JSON and reads only the fields [`Exchange`] holds, without serde's
//! machinery (no visitor per key, no number parsing of values nobody reads, string values
//! skipped with one SIMD search for their closing quote).
//!
//! It answers only for what it is sure of: printable ASCII lines (no control bytes, no
//! bytes above 127), no `\u` escapes, no escapes in keys or in the values it reads, no
//! exponents, nesting under 64, the documented shape (top-level keys, headers as an object,
//! no `response`), each field once, values of the types the light parser reads without a
//! conversion. Anything else returns `None` and the caller goes to [`super::parse_light`],
//! so both always agree (a test holds them side by side).

use super::Exchange;
use super::light::{Key, classify_key, header_num_str, status_text};

/// The result of [`scan`]: `None` when unsure (use the serde parser).
pub(super) fn scan(line: &[u8]) -> Option<Exchange> {
    // A longer line goes to serde: each worker keeps its index (1/4 of the line's size) for
    // the next line, and that must not grow with the longest line of a log.
    if line.len() > MAX_SCAN {
        return None;
    }
    INDEX.with_borrow_mut(|ix| {
        if !ix.build(line) {
            return None;
        }
        let mut c = Cur {
            b: line,
            i: 0,
            ix: &*ix,
        };
        let x = c.top()?;
        c.ws();
        (c.i == line.len()).then_some(x)
    })
}

/// The longest line [`scan`] reads (its index: 64 KiB).
const MAX_SCAN: usize = 256 * 1024;

thread_local! {
    /// Each scan worker's [`Index`], reused from line to line.
    static INDEX: std::cell::RefCell<Index> = const { std::cell::RefCell::new(Index::new()) };
}

/// Where a line's quotes and backslashes are, one bit per byte (64 bytes a word), found in
/// one SIMD pass that also checks the line is printable ASCII. Skipping a string is then a
/// bit scan for its closing quote, not a search call per string.
struct Index {
    quotes: Vec<u64>,
    slashes: Vec<u64>,
    /// Any backslash on the line (else no string needs the escape-aware walk).
    any_slash: bool,
}

impl Index {
    const fn new() -> Index {
        Index {
            quotes: Vec::new(),
            slashes: Vec::new(),
            any_slash: false,
        }
    }

    /// Indexes `line`; `false` when it is not printable ASCII (0x20..=0x7f; JSON strings
    /// may not hold control bytes unescaped, and the rest is left to serde).
    fn build(&mut self, line: &[u8]) -> bool {
        let n = line.len().div_ceil(64);
        self.quotes.clear();
        self.quotes.resize(n, 0);
        self.slashes.clear();
        self.slashes.resize(n, 0);
        let whole = line.len() / 64;
        #[cfg(target_arch = "x86_64")]
        let (mut bad, mut slash) = if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked just above).
            unsafe { blocks_avx2(&line[..whole * 64], &mut self.quotes, &mut self.slashes) }
        } else {
            blocks(&line[..whole * 64], &mut self.quotes, &mut self.slashes)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let (mut bad, mut slash) = blocks(&line[..whole * 64], &mut self.quotes, &mut self.slashes);
        let rest = &line[whole * 64..];
        if !rest.is_empty() {
            let mut pad = [b' '; 64];
            pad[..rest.len()].copy_from_slice(rest);
            let b;
            (self.quotes[n - 1], self.slashes[n - 1], b) = block(&pad);
            slash |= self.slashes[n - 1];
            bad |= b;
        }
        self.any_slash = slash != 0;
        !bad
    }

    /// The first quote at or after `from`.
    #[inline]
    fn next_quote(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut m = *self.quotes.get(w)? & (!0u64 << (from % 64));
        while m == 0 {
            w += 1;
            m = *self.quotes.get(w)?;
        }
        Some(w * 64 + m.trailing_zeros() as usize)
    }

    /// Whether a backslash lies in `from..to`.
    #[inline]
    fn slash_in(&self, from: usize, to: usize) -> bool {
        self.any_slash && self.slash_in_words(from, to)
    }

    #[cold]
    fn slash_in_words(&self, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        let (fw, tw) = (from / 64, (to - 1) / 64);
        (fw..=tw).any(|w| {
            let mut m = self.slashes[w];
            if w == fw {
                m &= !0u64 << (from % 64);
            }
            if w == tw {
                m &= !0u64 >> (63 - (to - 1) % 64);
            }
            m != 0
        })
    }
}

/// One 64-byte block: its quotes, its backslashes, and whether a byte is outside
/// 0x20..=0x7f.
#[cfg(target_arch = "x86_64")]
fn block(ch: &[u8; 64]) -> (u64, u64, bool) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let (mut q, mut s, mut bad) = (0u64, 0u64, 0i32);
    for k in 0..4 {
        // SAFETY: SSE2 is part of the x86_64 baseline, and the load reads 16 bytes inside
        // `ch` (unaligned loads are allowed).
        let (qm, sm, bm) = unsafe {
            let v = _mm_loadu_si128(ch.as_ptr().add(16 * k).cast());
            (
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))),
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))),
                // Signed: bytes 0x80..=0xff are negative, so below 0x20 too.
                _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20))),
            )
        };
        q |= u64::from(qm as u16) << (16 * k);
        s |= u64::from(sm as u16) << (16 * k);
        bad |= bm;
    }
    (q, s, bad != 0)
}

/// [`block`] over whole 64-byte blocks, into `quotes` and `slashes` (one word per block):
/// whether a byte is outside 0x20..=0x7f, and the backslashes or-ed together.
fn blocks(data: &[u8], quotes: &mut [u64], slashes: &mut [u64]) -> (bool, u64) {
    let (mut bad, mut slash) = (false, 0u64);
    let words = quotes.iter_mut().zip(slashes.iter_mut());
    for ((q, s), ch) in words.zip(data.chunks_exact(64)) {
        let b;
        (*q, *s, b) = block(ch.try_into().expect("64 bytes"));
        slash |= *s;
        bad |= b;
    }
    (bad, slash)
}

/// [`blocks`] with AVX2: two loads per block instead of four.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn blocks_avx2(data: &[u8], quotes: &mut [u64], slashes: &mut [u64]) -> (bool, u64) {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_setzero_si256,
    };
    let (quote, back, space) = (
        _mm256_set1_epi8(b'"' as i8),
        _mm256_set1_epi8(b'\\' as i8),
        _mm256_set1_epi8(0x20),
    );
    let mut bad = _mm256_setzero_si256();
    let mut slash = 0u64;
    let words = quotes.iter_mut().zip(slashes.iter_mut());
    for ((q, s), ch) in words.zip(data.chunks_exact(64)) {
        // SAFETY: each load reads 32 bytes inside the 64-byte `ch` (unaligned loads are
        // allowed).
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(ch.as_ptr().cast()),
                _mm256_loadu_si256(ch.as_ptr().add(32).cast()),
            )
        };
        let mask = |v, c| u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, c)) as u32);
        *q = mask(lo, quote) | mask(hi, quote) << 32;
        *s = mask(lo, back) | mask(hi, back) << 32;
        slash |= *s;
        // Signed: bytes 0x80..=0xff are negative, so below 0x20 too.
        bad = _mm256_or_si256(bad, _mm256_cmpgt_epi8(space, lo));
        bad = _mm256_or_si256(bad, _mm256_cmpgt_epi8(space, hi));
    }
    (_mm256_movemask_epi8(bad) != 0, slash)
}

/// [`block`] elsewhere, a byte at a time.
#[cfg(not(target_arch = "x86_64"))]
fn block(ch: &[u8; 64]) -> (u64, u64, bool) {
    let (mut q, mut s, mut bad) = (0u64, 0u64, false);
    for (j, &b) in ch.iter().enumerate() {
        q |= u64::from(b == b'"') << j;
        s |= u64::from(b == b'\\') << j;
        bad |= !(0x20..=0x7f).contains(&b);
    }
    (q, s, bad)
}

/// The common stamp, `2026-11-20T14:00:00Z` or `2026-11-20T14:00:00.123Z`, read straight
/// into a time: what `parse_time_str` (RFC 3339) gives for it, without the general parser.
/// `None` for any other form (then the general parser reads it).
fn utc_millis(s: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let ms = match s.len() {
        20 => 0,
        24 if s[19] == b'.' => num(&s[20..23])?,
        _ => return None,
    };
    if s[4] != b'-' || s[7] != b'-' || s[10] != b'T' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if s[s.len() - 1] != b'Z' {
        return None;
    }
    let (h, mi, sec) = (num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?);
    if sec > 59 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(num(&s[..4])?).ok()?,
        num(&s[5..7])?,
        num(&s[8..10])?,
    )?;
    Some(date.and_hms_milli_opt(h, mi, sec, ms)?.and_utc())
}

/// A run of ASCII digits as a number.
fn num(d: &[u8]) -> Option<u32> {
    d.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Which top-level field a key is (the light parser's serde names and aliases).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Top {
    Ts,
    Status,
    Headers,
    Body,
    Request,
    Model,
    Response,
    Other,
}

fn top_key(k: &[u8]) -> Top {
    match k {
        b"ts" | b"time" | b"timestamp" | b"@timestamp" | b"date" | b"start_time"
        | b"startedDateTime" => Top::Ts,
        b"status" | b"status_code" | b"statusCode" | b"http_status" => Top::Status,
        b"headers" | b"response_headers" | b"responseHeaders" => Top::Headers,
        b"body" | b"response_body" | b"error" => Top::Body,
        b"request" => Top::Request,
        b"model" => Top::Model,
        b"response" => Top::Response,
        _ => Top::Other,
    }
}

struct Cur<'a, 'x> {
    b: &'a [u8],
    i: usize,
    ix: &'x Index,
}

/// Deepest nesting skipped (serde's own limit is 128).
const MAX_DEPTH: u32 = 64;

/// 1 to 19 ASCII digits as a number (what `str::parse::<u64>` gives for them); `None` for
/// anything else.
fn digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// [`classify_key`] answered without it for the names a log repeats on every line: the
/// exact lower-case names it reads, and (when a name cannot be one of them but in another
/// case or with spaces) the others. Anything unusual goes to [`classify_key`] itself.
fn header_key(k: &[u8]) -> Key {
    // Every name classify_key reads starts with `anthropic-` (after trimming spaces).
    if !matches!(k.first(), Some(b'a' | b'A' | b' ')) {
        return Key::Other;
    }
    if let Some(rest) = k.strip_prefix(b"anthropic-ratelimit-") {
        // The eight exact names, told apart by their length and first byte.
        let (name, key): (&[u8], Key) = match (rest.len(), rest.first()) {
            (14, _) => (b"requests-limit", Key::Dim(0, true)),
            (18, Some(b'r')) => (b"requests-remaining", Key::Dim(0, false)),
            (18, _) => (b"input-tokens-limit", Key::Dim(1, true)),
            (22, _) => (b"input-tokens-remaining", Key::Dim(1, false)),
            (19, _) => (b"output-tokens-limit", Key::Dim(2, true)),
            (23, _) => (b"output-tokens-remaining", Key::Dim(2, false)),
            (12, _) => (b"tokens-limit", Key::Dim(3, true)),
            (16, _) => (b"tokens-remaining", Key::Dim(3, false)),
            _ => (b"", Key::Other),
        };
        if !name.is_empty() && rest == name {
            return key;
        }
    } else if k == b"anthropic-organization-id" {
        return Key::Org;
    } else if k == b"anthropic-workspace-id" {
        return Key::Workspace;
    }
    if let Some(rest) = k.strip_prefix(b"anthropic-ratelimit-")
        && k.last() != Some(&b' ')
        && !rest.iter().fold(false, |up, b| up | b.is_ascii_uppercase())
    {
        // Lower case and trimmed already: not one of the exact names above, so a unified
        // header or nothing read.
        return if rest.len() > 8 && rest.starts_with(b"unified-") {
            Key::Unified(String::from_utf8_lossy(k).into_owned())
        } else {
            Key::Other
        };
    }
    classify_key(k)
}

impl<'a> Cur<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes, as its bytes (`None` for an escape: unsure).
    #[inline]
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = self.ix.next_quote(start)?;
        if self.ix.slash_in(start, end) {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// Skips a string, escapes included (but `\u`).
    fn skip_str(&mut self) -> Option<()> {
        self.i += 1;
        let end = self.ix.next_quote(self.i)?;
        if !self.ix.slash_in(self.i, end) {
            self.i = end + 1;
            return Some(());
        }
        loop {
            let at = self.i + memchr::memchr2(b'"', b'\\', &self.b[self.i..])?;
            if self.b[at] == b'"' {
                self.i = at + 1;
                return Some(());
            }
            match self.b.get(at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i = at + 2,
                _ => return None,
            }
        }
    }

    /// Skips a number (JSON's grammar; no exponent).
    fn skip_num(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |c: &mut Self| {
            let from = c.i;
            while c.peek().is_some_and(|d| d.is_ascii_digit()) {
                c.i += 1;
            }
            c.i - from
        };
        let first = self.peek()?;
        let n = digits(self);
        if n == 0 || (first == b'0' && n > 1) {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        (!matches!(self.peek(), Some(b'e' | b'E'))).then_some(())
    }

    /// Skips any value; returns its text.
    fn value(&mut self, depth: u32) -> Option<&'a [u8]> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => self.skip_str()?,
            b'{' => self.skip_container(b'}', true, depth)?,
            b'[' => self.skip_container(b']', false, depth)?,
            b't' => self.lit(b"true")?,
            b'f' => self.lit(b"false")?,
            b'n' => self.lit(b"null")?,
            _ => self.skip_num()?,
        }
        Some(&self.b[start..self.i])
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    fn skip_container(&mut self, close: u8, object: bool, depth: u32) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            if object {
                self.ws();
                if self.peek()? != b'"' {
                    return None;
                }
                self.skip_str()?;
                self.eat(b':')?;
            }
            self.value(depth + 1)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Walks an object's members: `f` reads each value (the cursor before it).
    fn members(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let k = self.plain_str()?;
            self.eat(b':')?;
            self.ws();
            f(self, k)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A value read as the light parser's `Str`: a string's bytes (made text only once the
    /// line is read, for the one model kept), `None` for any other type (`None` from the
    /// outer option: unsure).
    fn str_field(&mut self) -> Option<Option<&'a [u8]>> {
        if self.peek()? == b'"' {
            return Some(Some(self.plain_str()?));
        }
        self.value(1)?;
        Some(None)
    }

    /// A value read as the light parser's `Num`: a non-negative integer, `None` for `null`.
    fn num_field(&mut self) -> Option<Option<u64>> {
        let v = self.value(1)?;
        if v == b"null" {
            return Some(None);
        }
        Some(Some(digits(v)?))
    }

    fn top(&mut self) -> Option<Exchange> {
        let mut x = Exchange::default();
        let mut seen = [false; 8];
        let mut status = None;
        let mut body_model = None;
        let mut request: Option<Option<&'a [u8]>> = None;
        let mut model = None;
        self.members(|c, k| {
            let key = top_key(k);
            if key != Top::Other && std::mem::replace(&mut seen[key as usize], true) {
                return None;
            }
            match key {
                Top::Ts => {
                    if c.peek()? != b'"' {
                        return None;
                    }
                    let s = c.plain_str()?;
                    x.time = match utc_millis(s) {
                        Some(t) => Some(t),
                        None => {
                            crate::capture::object::parse_time_str(std::str::from_utf8(s).ok()?)
                        }
                    };
                }
                Top::Status => {
                    let v = c.value(1)?;
                    status = Some(match digits(v) {
                        Some(n) => u16::try_from(n).ok().filter(|n| (100..600).contains(n))?,
                        None => status_text(std::str::from_utf8(v).ok()?)?,
                    });
                }
                Top::Headers => c.headers(&mut x)?,
                Top::Body => {
                    if c.peek()? == b'{' {
                        let (m, out) = c.body()?;
                        body_model = m;
                        x.output_tokens = out;
                    } else {
                        c.value(1)?;
                    }
                }
                Top::Request => {
                    if c.peek()? == b'{' {
                        request = Some(c.request(&mut x)?);
                    } else if c.value(1)? != b"null" {
                        return None;
                    }
                }
                Top::Model => model = c.str_field()?,
                Top::Response => return None,
                Top::Other => {
                    c.value(1)?;
                }
            }
            Some(())
        })?;
        x.status = Some(status?);
        // As the light parser: a `request` object's model wins (even when absent), else the
        // body's, else a top-level `model`.
        let m = match request {
            Some(r) => r,
            None => body_model,
        }
        .or(model);
        x.model = match m {
            Some(m) => Some(std::str::from_utf8(m).ok()?.to_owned()),
            None => None,
        };
        Some(x)
    }

    fn headers(&mut self, x: &mut Exchange) -> Option<()> {
        if self.peek()? != b'{' {
            return None;
        }
        self.members(|c, k| {
            match header_key(k) {
                Key::Dim(i, limit) => {
                    let n = c.header_num()?;
                    if limit {
                        x.dims[i].0 = n;
                    } else {
                        x.dims[i].1 = n;
                    }
                }
                Key::Org => x.org_id = Some(c.id_text()?),
                Key::Workspace => x.workspace_id = Some(c.id_text()?),
                Key::Unified(name) => {
                    let v = c.header_text()?;
                    x.unified.set(&name, v);
                }
                Key::Other => {
                    c.value(1)?;
                }
            }
            Some(())
        })
    }

    /// A header value as a count: a string or a non-negative integer (`true`/`false`:
    /// none).
    fn header_num(&mut self) -> Option<Option<u64>> {
        if self.peek()? == b'"' {
            let s = self.plain_str()?;
            if let Some(n) = digits(s) {
                return Some(Some(n));
            }
            return Some(header_num_str(std::str::from_utf8(s).ok()?));
        }
        let v = self.value(1)?;
        match v {
            b"true" | b"false" => Some(None),
            _ => Some(Some(digits(v)?)),
        }
    }

    /// An id header: a string (trimmed) or a non-negative integer's digits.
    fn id_text(&mut self) -> Option<String> {
        if self.peek()? == b'"' {
            let s = std::str::from_utf8(self.plain_str()?).ok()?;
            return Some(s.trim().to_string());
        }
        let v = self.value(1)?;
        digits(v).map(|_| String::from_utf8_lossy(v).into_owned())
    }

    /// A unified header's value: a string's text only.
    fn header_text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.plain_str()?).ok()
    }

    /// The body object: its `model` and `usage.output_tokens` (later keys win, as in the
    /// light parser's visitor).
    fn body(&mut self) -> Option<(Option<&'a [u8]>, Option<u64>)> {
        let (mut model, mut out) = (None, None);
        self.members(|c, k| {
            match k {
                b"model" => model = c.str_field()?,
                b"usage" => {
                    if c.peek()? == b'{' {
                        let mut seen = false;
                        let mut tokens = None;
                        c.members(|c, k| {
                            if k == b"output_tokens" {
                                if std::mem::replace(&mut seen, true) {
                                    return None;
                                }
                                tokens = c.num_field()?;
                            } else {
                                c.value(1)?;
                            }
                            Some(())
                        })?;
                        out = tokens;
                    } else if c.value(1)? == b"null" {
                        out = None;
                    } else {
                        return None;
                    }
                }
                _ => {
                    c.value(1)?;
                }
            }
            Some(())
        })?;
        Some((model, out))
    }

    /// The request object: its model (the answer), `max_tokens` and `input_tokens`.
    fn request(&mut self, x: &mut Exchange) -> Option<Option<&'a [u8]>> {
        let mut seen = [false; 3];
        let mut model = None;
        self.members(|c, k| {
            let i = match k {
                b"model" => 0,
                b"max_tokens" => 1,
                b"input_tokens" => 2,
                _ => {
                    c.value(1)?;
                    return Some(());
                }
            };
            if std::mem::replace(&mut seen[i], true) {
                return None;
            }
            match i {
                0 => model = c.str_field()?,
                1 => x.max_tokens = c.num_field()?,
                _ => x.input_tokens = c.num_field()?,
            }
            Some(())
        })?;
        Some(model)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_light;
    use super::scan;

    const LINES: &[&str] = &[
        r#"{"ts":"2026-11-20T14:00:00.000Z","method":"POST","status":200,"headers":{"request-id":"req_1","anthropic-organization-id":"8c0e","anthropic-ratelimit-requests-limit":"4000","anthropic-ratelimit-requests-remaining":"396","anthropic-ratelimit-input-tokens-limit":"2000000","anthropic-ratelimit-tokens-remaining":"2014293","content-type":"application/json"},"body":{"id":"msg_1","type":"message","model":"claude-opus-4-1","content":[{"type":"text","text":"ok \"ok\" \\ ok\n"}],"stop_reason":"end_turn","usage":{"input_tokens":10086,"output_tokens":177}},"request":{"model":"claude-opus-4-1","max_tokens":1024,"input_tokens":10086}}"#,
        r#"{ "time" : "2026-11-20T14:00:01+01:00" , "status_code" : "200 OK", "response_headers" : { "Anthropic-Ratelimit-Unified-Status" : "allowed_warning", "anthropic-ratelimit-unified-5h-utilization": "0.92", "anthropic-workspace-id": " wrk_1 " }, "model": "claude-sonnet-4-5", "n": [1, -2.5, true, false, null, {"a": []}] }"#,
        r#"{"status":201,"body":{"model":null,"usage":null},"request":null,"model":"m","headers":{"anthropic-ratelimit-output-tokens-remaining":12,"anthropic-ratelimit-output-tokens-limit":true,"anthropic-organization-id":42}}"#,
        r#"{"status":200,"headers":{},"body":"plain text","request":{"model":5,"max_tokens":7,"input_tokens":null,"extra":{"x":[1,2]}}}"#,
        r#"{"status":200,"ts":"2026-11-20 14:00:00","body":{"usage":{"output_tokens":3,"output_tokens":4}}}"#,
        r#"{"status":200,"ts":"x","time":"y"}"#,
        r#"{"status":200,"response":{"status":200}}"#,
        r#"{"status":200,"headers":{"anthropic-ratelimit-requests-remaining":"1,000","anthropic-ratelimit-requests-limit":"99999999999999999999999"}}"#,
        r#"{"status":200,"body":{"text":"caf\u00e9"},"model":"m"}"#,
        r#"{"status":1e2}"#,
        r#"{"status":200} "#,
        r#"{"status":200}x"#,
    ];

    /// A line longer than the scan reads goes to serde with the same answer, and the
    /// worker's index does not grow to its size.
    #[test]
    fn a_very_long_line_goes_to_serde() {
        let pad = "x".repeat(super::MAX_SCAN);
        let line = format!(r#"{{"status":200,"model":"m","body":{{"text":"{pad}"}}}}"#);
        assert!(scan(line.as_bytes()).is_none());
        let light = parse_light(line.as_bytes()).expect("serde reads it");
        assert_eq!(super::super::parse_lazy(line.as_bytes()), Some(light));
        super::INDEX.with_borrow(|ix| assert!(ix.quotes.capacity() * 64 <= super::MAX_SCAN));
    }

    /// Wherever the scan answers, it answers as the serde parser does; it answers for the
    /// common shapes.
    #[test]
    fn the_scan_agrees_with_the_light_parser() {
        for l in LINES {
            let got = scan(l.as_bytes());
            if let Some(g) = &got {
                assert_eq!(Some(g), parse_light(l.as_bytes()).as_ref(), "{l}");
            }
        }
        for t in [
            "2026-11-20T14:00:00Z",
            "2026-11-20T14:00:00.123Z",
            "2024-02-29T23:59:59.999Z",
            "0001-01-01T00:00:00.000Z",
        ] {
            assert_eq!(
                super::utc_millis(t.as_bytes()),
                crate::capture::object::parse_time_str(t),
                "{t}"
            );
        }
        for t in [
            "2026-02-29T14:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T14:60:00Z",
            "2026-11-20T14:00:60Z",
            "2026-13-20T14:00:00Z",
            "2026-11-20t14:00:00Z",
            "2026-11-20T14:00:00+00:00",
            "2026-11-20T14:00:00.1234Z",
            "2026-11-20T14:00:00,123Z",
            "+026-11-20T14:00:00Z",
        ] {
            assert_eq!(super::utc_millis(t.as_bytes()), None, "{t}");
        }
        for l in &LINES[..4] {
            assert!(scan(l.as_bytes()).is_some(), "{l}");
        }
        assert_eq!(
            scan(LINES[0].as_bytes()).unwrap().dims[0],
            (Some(4000), Some(396))
        );
    }

    /// Every one-byte change of the sample lines (a quote, a bracket, a digit, a comma, a
    /// control byte, a backslash, a non-ASCII byte dropped in anywhere): the scan either
    /// declines or agrees with serde.
    #[test]
    fn a_damaged_line_is_declined_or_read_alike() {
        for l in LINES {
            let b = l.as_bytes();
            for i in 0..b.len() {
                for r in [
                    b'"', b'{', b'}', b'[', b']', b',', b':', b'0', b'9', b'-', b' ', b'\\', b'\t',
                    0xc3, b'e', b'n',
                ] {
                    let mut m = b.to_vec();
                    m[i] = r;
                    if let Some(g) = scan(&m) {
                        assert_eq!(Some(g), parse_light(&m), "{}", String::from_utf8_lossy(&m));
                    }
                    let mut d = b.to_vec();
                    d.remove(i);
                    if let Some(g) = scan(&d) {
                        assert_eq!(Some(g), parse_light(&d), "{}", String::from_utf8_lossy(&d));
                    }
                }
            }
        }
    }

    /// The fast header-name match answers as `classify_key` for every spelling: exact
    /// names, other cases, spaces around, unified names, near misses.
    #[test]
    fn the_fast_header_match_is_classify_key() {
        use super::super::light::{Key, classify_key};
        fn repr(k: Key) -> String {
            match k {
                Key::Dim(i, l) => format!("dim {i} {l}"),
                Key::Org => "org".into(),
                Key::Workspace => "workspace".into(),
                Key::Unified(n) => format!("unified {n}"),
                Key::Other => "other".into(),
            }
        }
        let mut names = vec![
            String::new(),
            "a".into(),
            " ".into(),
            "request-id".into(),
            "content-type".into(),
            "anthropic-ratelimit-".into(),
            "anthropic-ratelimit-unified-".into(),
            "anthropic-ratelimit-unified-x".into(),
            "anthropic-ratelimit-unified-5h-utilization".into(),
            "anthropic-ratelimit-Unified-5h-status".into(),
            "anthropic-ratelimit-foo-limit".into(),
            "anthropic-ratelimit--limit".into(),
            "anthropic-ratelimit-limit".into(),
            "anthropic-version".into(),
            "anthropic-organization-id".into(),
            "anthropic-workspace-id".into(),
            "anthropic-organization-idx".into(),
            "Anthropic-Organization-Id".into(),
        ];
        for d in super::super::LIGHT_DIMS {
            for f in ["limit", "remaining", "reset", "Limit", "remainin"] {
                names.push(format!("anthropic-ratelimit-{d}-{f}"));
                names.push(format!("Anthropic-RateLimit-{d}-{f}"));
                names.push(format!("anthropic-ratelimit-{}-{f}", d.to_uppercase()));
            }
        }
        for n in names.clone() {
            names.push(format!(" {n}"));
            names.push(format!("{n} "));
            names.push(format!("  {n}  "));
            names.push(format!("{n}x"));
            names.push(n.replacen('a', "A", 1));
        }
        for n in &names {
            assert_eq!(
                repr(super::header_key(n.as_bytes())),
                repr(classify_key(n.as_bytes())),
                "{n:?}"
            );
        }
    }

    /// Lines whose quotes, backslashes and strings fall at every place relative to the
    /// index's 64-byte words: the scan reads them all, as serde does.
    #[test]
    fn every_block_boundary_reads_alike() {
        for pad in 0..140 {
            for text in [
                "plain",
                r#"with \"escaped\" quotes"#,
                r"a backslash \\",
                r#"\\\" tricky \\\\"#,
                "",
            ] {
                let line = format!(
                    r#"{{"ts":"2026-11-20T14:00:00.000Z","pad":"{}","status":200,"body":{{"content":[{{"text":"{text}"}}],"model":"m{pad}","usage":{{"output_tokens":{pad}}}}},"headers":{{"anthropic-ratelimit-requests-remaining":"{pad}"}}}}"#,
                    " ".repeat(pad)
                );
                let got = scan(line.as_bytes());
                assert!(got.is_some(), "{line}");
                assert_eq!(got, parse_light(line.as_bytes()), "{line}");
                assert_eq!(got.unwrap().output_tokens, Some(pad as u64));
            }
        }
    }

    /// Whole pieces of `LINES[0]` and what they are replaced with.
    const SWAPS: &[(&str, &str)] = &[
        (r#""status":200"#, r#""status":200,"status":200"#),
        (r#""status":200"#, r#""status":"200""#),
        (r#""status":200"#, r#""status":"200 OK""#),
        (r#""status":200"#, r#""status":200.0"#),
        (r#""status":200"#, r#""status":99"#),
        (r#""status":200"#, r#""status":600"#),
        (r#""status":200"#, r#""status":-200"#),
        (r#""status":200"#, r#""status":65736"#),
        (r#""status":200"#, r#""status":null"#),
        (r#""status":200"#, r#""sta\u0074us":200"#),
        (r#""status":200"#, r#""st\\atus":200"#),
        (r#""status":200"#, r#""status":200,"statusCode":201"#),
        (r#""headers":{"#, r#""headers":{"headers":{},"#),
        (r#""headers":{"#, r#""x":"\"headers\":{","headers":{"#),
        (r#""headers":{"#, r#""headers":{"a\"b":1,"#),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-requests-limit":"1","#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-requests-limit":[1],"#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-requests-limit":null,"#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-requests-limit":1.5,"#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-requests-limit":"1\u0030","#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-unified-status":"a\\b","#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-ratelimit-unified-status":7,"#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"ANTHROPIC-RATELIMIT-UNIFIED-STATUS":"x","#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{" anthropic-organization-id ":" o ","#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-organization-id":1.0,"#,
        ),
        (
            r#""headers":{"#,
            r#""headers":{"anthropic-organization-id":"o\"","#,
        ),
        (r#""headers":{"#, r#""headers":["#),
        (r#""2000000""#, r#""2,000,000""#),
        (r#""2000000""#, r#""0x10""#),
        (r#""2000000""#, r#""99999999999999999999""#),
        (r#""2000000""#, r#"2000000"#),
        (r#""2000000""#, r#"true"#),
        (r#""2000000""#, r#"-1"#),
        (r#""396""#, r#""3\"96""#),
        (
            r#""model":"claude-opus-4-1","max"#,
            r#""model":"claude\u002dopus","max"#,
        ),
        (
            r#""model":"claude-opus-4-1","max"#,
            r#""model":"a\"b","max"#,
        ),
        (
            r#""model":"claude-opus-4-1","max"#,
            r#""model":"x","model":"y","max"#,
        ),
        (r#""max_tokens":1024"#, r#""max_tokens":"1024""#),
        (
            r#""max_tokens":1024"#,
            r#""max_tokens":1024,"max_tokens":1"#,
        ),
        (r#""max_tokens":1024"#, r#""max_tokens":1e3"#),
        (r#""max_tokens":1024"#, r#""max_tokens":01024"#),
        (r#""output_tokens":177"#, r#""output_tokens":"177""#),
        (r#""output_tokens":177"#, r#""output_tokens":177.5"#),
        (r#""usage":{"#, r#""usage":{"usage":{},"#),
        (r#""body":{"#, r#""body":{"body":{},"#),
        (r#""body":{"#, r#""response":{},"body":{"#),
        (r#""ts":"2026-11-20T14:00:00.000Z""#, r#""ts":1763647200"#),
        (
            r#""ts":"2026-11-20T14:00:00.000Z""#,
            r#""ts":"2026-11-20T14:00:00\u002e000Z""#,
        ),
        (
            r#""ts":"2026-11-20T14:00:00.000Z""#,
            r#""ts":"2026-11-20T14:00:00.000Z","date":"x""#,
        ),
        (r#""text":"ok \"ok\" \\ ok\n""#, r#""text":"\ud800""#),
        (r#""text":"ok \"ok\" \\ ok\n""#, r#""text":"\q""#),
        (r#""text":"ok \"ok\" \\ ok\n""#, r#""text":"\\""#),
        (r#""text":"ok \"ok\" \\ ok\n""#, r#""text":"\\\""#),
        ("{", "[{"),
        ("{", "{ "),
        (",", " , "),
        (":", " : "),
    ];

    /// Mutations of whole lines beyond one byte: cut anywhere, keys doubled, escapes in keys
    /// and read values, `headers` inside strings, numbers as strings, spliced halves,
    /// pseudo-random bytes. The scan declines or agrees with serde.
    #[test]
    fn mutated_lines_are_declined_or_read_alike() {
        let check = |m: &[u8]| {
            if let Some(g) = scan(m) {
                assert_eq!(Some(g), parse_light(m), "{}", String::from_utf8_lossy(m));
            }
        };
        let base = LINES[0];
        // Truncated anywhere, and doubled.
        for i in 0..base.len() {
            check(&base.as_bytes()[..i]);
        }
        check(format!("{base}{base}").as_bytes());
        // Substitutions of whole pieces.
        for (from, to) in SWAPS {
            assert!(base.contains(from), "{from}");
            check(base.replacen(from, to, 1).as_bytes());
            check(base.replace(from, to).as_bytes());
        }
        // Spliced halves of different lines.
        for a in LINES {
            for b in LINES {
                for cut in [a.len() / 3, a.len() / 2, 2 * a.len() / 3] {
                    let (Some(x), Some(y)) = (a.get(..cut), b.get(b.len() - cut.min(b.len())..))
                    else {
                        continue;
                    };
                    check(format!("{x}{y}").as_bytes());
                }
            }
        }
    }

    /// Pseudo-random bytes from the line's own alphabet and a few others, 1-4 at a time:
    /// the scan declines or agrees with serde.
    #[test]
    fn randomly_mutated_lines_are_declined_or_read_alike() {
        let base = LINES[0];
        let check = |m: &[u8]| {
            if let Some(g) = scan(m) {
                assert_eq!(Some(g), parse_light(m), "{}", String::from_utf8_lossy(m));
            }
        };
        let alphabet: Vec<u8> = base.bytes().chain(*b"\\\"{}[],:0u\x7f\x01").collect();
        let mut r = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            (r % n as u64) as usize
        };
        for _ in 0..20_000 {
            let mut m = base.as_bytes().to_vec();
            for _ in 0..1 + next(4) {
                let at = next(m.len());
                match next(3) {
                    0 => m[at] = alphabet[next(alphabet.len())],
                    1 => {
                        m.remove(at);
                    }
                    _ => m.insert(at, alphabet[next(alphabet.len())]),
                }
            }
            check(&m);
        }
    }

    /// The AVX2 index of whole blocks is the portable one, on bytes of every kind (quotes,
    /// backslashes, control bytes, bytes above 127) at every position.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn both_block_indexes_agree() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let mut r = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            r
        };
        let kinds = *b"\"\\ a{}:,\x00\x1f\x7f\x80\xff";
        for blocks in 1..6 {
            for _ in 0..400 {
                let data: Vec<u8> = (0..64 * blocks)
                    .map(|_| {
                        let x = next();
                        // Mostly plain bytes: most blocks then hold no bad byte at all.
                        if x % 97 < 90 {
                            b'a' + (x % 26) as u8
                        } else {
                            kinds[(x % 13) as usize]
                        }
                    })
                    .collect();
                let (mut q1, mut s1) = (vec![0; blocks], vec![0; blocks]);
                let (mut q2, mut s2) = (vec![0; blocks], vec![0; blocks]);
                let plain = super::blocks(&data, &mut q1, &mut s1);
                // SAFETY: AVX2 is present (checked above).
                let avx = unsafe { super::blocks_avx2(&data, &mut q2, &mut s2) };
                assert_eq!((plain, &q1, &s1), (avx, &q2, &s2), "{data:?}");
            }
        }
    }
}
