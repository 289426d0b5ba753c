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
    if !printable_ascii(line) {
        return None;
    }
    let mut c = Cur { b: line, i: 0 };
    let x = c.top()?;
    c.ws();
    (c.i == line.len()).then_some(x)
}

/// Every byte ASCII and no control byte (0x20..=0x7f; JSON strings may not hold the
/// others unescaped): no branch per byte, so it vectorises.
fn printable_ascii(line: &[u8]) -> bool {
    line.chunks(64).all(|ch| {
        ch.iter()
            .fold(0u8, |bad, &b| bad | (b >> 7) | u8::from(b < 0x20))
            == 0
    })
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

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

/// Deepest nesting skipped (serde's own limit is 128).
const MAX_DEPTH: u32 = 64;

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

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
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = start + memchr::memchr2(b'"', b'\\', &self.b[start..])?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// Skips a string, escapes included (but `\u`).
    fn skip_str(&mut self) -> Option<()> {
        self.i += 1;
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

    /// A value read as the light parser's `Str`: a string's text, `None` for any other
    /// type (`None` from the outer option: unsure).
    fn str_field(&mut self) -> Option<Option<String>> {
        if self.peek()? == b'"' {
            let s = self.plain_str()?;
            return Some(Some(std::str::from_utf8(s).ok()?.to_string()));
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
        if v.iter().all(u8::is_ascii_digit) && v.len() < 20 {
            return Some(Some(std::str::from_utf8(v).ok()?.parse().ok()?));
        }
        None
    }

    fn top(&mut self) -> Option<Exchange> {
        let mut x = Exchange::default();
        let mut seen = [false; 8];
        let mut status = None;
        let mut body_model = None;
        let mut request: Option<Option<String>> = None;
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
                    let v = std::str::from_utf8(c.value(1)?).ok()?;
                    status = Some(status_text(v)?);
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
        x.model = match request {
            Some(r) => r,
            None => body_model,
        }
        .or(model);
        Some(x)
    }

    fn headers(&mut self, x: &mut Exchange) -> Option<()> {
        if self.peek()? != b'{' {
            return None;
        }
        self.members(|c, k| {
            match classify_key(k) {
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
            let s = std::str::from_utf8(self.plain_str()?).ok()?;
            return Some(header_num_str(s));
        }
        let v = self.value(1)?;
        match v {
            b"true" | b"false" => Some(None),
            _ if !v.is_empty() && v.len() < 20 && v.iter().all(u8::is_ascii_digit) => {
                Some(Some(std::str::from_utf8(v).ok()?.parse().ok()?))
            }
            _ => None,
        }
    }

    /// An id header: a string (trimmed) or a non-negative integer's digits.
    fn id_text(&mut self) -> Option<String> {
        if self.peek()? == b'"' {
            let s = std::str::from_utf8(self.plain_str()?).ok()?;
            return Some(s.trim().to_string());
        }
        let v = self.value(1)?;
        (!v.is_empty() && v.len() < 20 && v.iter().all(u8::is_ascii_digit))
            .then(|| String::from_utf8_lossy(v).into_owned())
    }

    /// A unified header's value: a string's text only.
    fn header_text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.plain_str()?).ok()
    }

    /// The body object: its `model` and `usage.output_tokens` (later keys win, as in the
    /// light parser's visitor).
    fn body(&mut self) -> Option<(Option<String>, Option<u64>)> {
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
    fn request(&mut self, x: &mut Exchange) -> Option<Option<String>> {
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
}
