//! Relaxed object-literal parser for pasted error captures.
//!
//! People paste API error bodies in whatever syntax their tool printed them in. This module
//! reads all of the common ones into a [`serde_json::Value`]:
//!
//! * strict JSON;
//! * Python `repr` of dicts/lists: `'single'` or `"double"` quoted strings, `True`/`False`/
//!   `None`, escapes `\' \n \x27 \u2019 \U0001F600 \0`, `b'..'`/`u'..'`/`r'..'` prefixes,
//!   tuples `( .. )`, pprint's wrapped strings `('part one '\n 'part two')`, and
//!   `Headers({...})`-style calls wrapping one dict or list;
//! * JavaScript object dumps (Node's `util.inspect`): unquoted keys, `'single'`, `"double"` and
//!   `` `backtick` `` strings, `'a' +\n 'b'` concatenation, trailing commas, `undefined`/`null`,
//!   placeholders `[Object]`, `[Array]`, `[Function: x]`, `[Getter]`, `[Circular *1]`
//!   (kept as strings), `<ref *1>`/`<pending>`-style angle tokens, `... 3 more items` and
//!   `'...'... 900 more characters` markers (skipped), symbol keys `[Symbol(foo)]: ..`,
//!   Map entries `'k' => v`, and type-name prefixes `Headers {`, `Map(2) {`,
//!   `Object [AsyncGenerator] {`, `[Object: null prototype] {` (the name is dropped);
//! * Ruby hash inspect (`=>`, `nil`), as a by-product of the Map support;
//! * text whose quotes a chat tool "smartened": `“double”` and `‘single’` curly quotes.
//!
//! Numbers become `i64`/`u64`/`f64` when they are plain numerals (underscores between digits,
//! hex/octal/binary, BigInt `10n` allowed); anything else that starts like a number
//! (`12ms`, `007`, `1e999`, `2025-01-15T10:30:00Z`, huge integers) is kept as its text.
//!
//! Input that ends inside the literal (a truncated line) is rejected, never completed by
//! guessing. Parsing is iterative except for nesting, which is capped at [`MAX_DEPTH`];
//! all scans are linear in the input length, and nothing here panics.

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

/// Deepest nesting of containers (objects, arrays, tuples, calls) accepted.
pub const MAX_DEPTH: usize = 64;

/// Longest `[Placeholder]` / `[Symbol(key)]` token looked for, in bytes.
const MAX_PLACEHOLDER: usize = 512;
/// Longest `<angle token>` looked for, in bytes.
const MAX_ANGLE: usize = 1024;
/// Most space-separated tokens in a type-name prefix such as `<ref *1> Object [Foo] {`.
const MAX_PREFIX_TOKENS: usize = 8;

/// Parses a relaxed object/array literal at the start of `s` (leading whitespace allowed).
/// Returns the value and the number of bytes of `s` consumed, or None if `s` does not start
/// with a parseable literal. Never panics, never recurses deeper than MAX_DEPTH.
///
/// The consumed count includes the leading whitespace and ends right after the closing
/// bracket; a scalar at the start of `s` (a lone string or number) is not a literal.
pub fn parse_prefix(s: &str) -> Option<(Value, usize)> {
    let mut p = Parser::new(s, 0);
    p.skip_ws();
    match p.parse_value() {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => Some((v, p.pos)),
        _ => None,
    }
}

/// Finds the first `{` in `line` from which parse_prefix succeeds and returns (offset, value, consumed).
///
/// `consumed` counts from `offset`. Start points inside an object that already failed to parse
/// are skipped without re-parsing (they would fail the same way), which keeps the common
/// "truncated nested dict" case linear; a total work cap of a few dozen passes over the line
/// bounds adversarial input, past which the answer is `None`.
pub fn find_object(line: &str) -> Option<(usize, Value, usize)> {
    let b = line.as_bytes();
    let budget = b.len().saturating_mul(32).saturating_add(1 << 16);
    let mut spent = 0usize;
    let mut dead: HashSet<usize> = HashSet::new();
    for (i, &c) in b.iter().enumerate() {
        if c != b'{' || dead.contains(&i) {
            continue;
        }
        let mut p = Parser::new(line, i);
        match p.parse_object() {
            Ok(v) => return Some((i, v, p.pos - i)),
            Err(_) => {
                dead.extend(p.failed_objects.iter().copied());
                spent = spent.saturating_add(p.pos.saturating_sub(i) + 1);
                if spent > budget {
                    return None;
                }
            }
        }
    }
    None
}

/// If `s` looks like JSON escaped one level (contains `{\"`), returns the unescaped text.
///
/// Also recognised: whitespace or escaped newlines between the brace and the quote
/// (`{\n  \"type\"`), and deeper escaping (`{\\\"`), of which one level is removed, so a
/// caller can apply this repeatedly. The whole of `s` is unescaped as the body of a JSON
/// string would be (`\" \\ \/ \n \t \r \b \f \uXXXX`, plus `\'`); unknown escapes are kept.
/// Callers should try parsing `s` directly first: a literal that merely *contains* an escaped
/// JSON string value also matches.
pub fn unescape_one_level(s: &str) -> Option<String> {
    if !looks_escaped(s) {
        return None;
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut chunk = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            i += 1;
            continue;
        }
        out.push_str(&s[chunk..i]);
        let mut next = i + 2;
        match b[i + 1] {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'\'' => out.push('\''),
            b'n' => out.push('\n'),
            b't' => out.push('\t'),
            b'r' => out.push('\r'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'u' => match hex_at(b, i + 2, 4) {
                Some(hi @ 0xD800..=0xDBFF) => {
                    let lo = (b.get(i + 6..i + 8) == Some(b"\\u"))
                        .then(|| hex_at(b, i + 8, 4))
                        .flatten()
                        .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                    match lo {
                        Some(lo) => {
                            out.push(combine_surrogates(hi, lo));
                            next = i + 12;
                        }
                        None => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            next = i + 6;
                        }
                    }
                }
                Some(v) => {
                    out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
                    next = i + 6;
                }
                None => out.push_str("\\u"),
            },
            _ => {
                // Unknown escape: keep the backslash, copy what follows as ordinary text.
                out.push('\\');
                next = i + 1;
            }
        }
        i = next;
        chunk = next;
    }
    out.push_str(&s[chunk..]);
    Some(out)
}

/// Scans `s` for where a balanced `{...}` starting at byte 0 ends, honouring single- and double-quoted
/// strings and escapes. Returns Some(end_exclusive) when balanced, None when more input is needed.
/// Used to decide whether a multi-line pasted literal is complete. Must be O(n) and allocation-free.
///
/// Only braces are counted. Backtick strings are honoured too. Outside strings, `\"` opens a
/// string of JSON escaped one level (closed by the matching unescaped-once `\"`), so escaped
/// bodies such as `{\"a\":\"}\"}` balance correctly; any other backslash there skips the
/// next byte. Returns None as well when `s` does not start with `{` (no amount of input will
/// balance it).
pub fn balanced_end(s: &str) -> Option<usize> {
    let mut b = Balance::new(s)?;
    b.feed(s)
}

/// The state of [`balanced_end`] kept between calls, so a literal pasted over many lines is
/// scanned once in total, not once per line: feed it the growing buffer and it resumes where
/// it stopped (a 2,000-line literal costs what its bytes cost, not lines squared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balance {
    depth: usize,
    /// 0 outside strings, else the quote byte of the string we are in.
    quote: u8,
    /// Inside an escaped-JSON string (`\"...\"`), and whether its content has a pending `\\`.
    esc_str: bool,
    inner_esc: bool,
    /// Bytes of the buffer already consumed.
    pos: usize,
    /// Loop steps taken over all calls (a test proves it stays linear in the input).
    steps: usize,
}

impl Balance {
    /// A balancer for a buffer that starts with `s`; None when `s` does not start with `{`.
    pub fn new(s: &str) -> Option<Balance> {
        (s.as_bytes().first() == Some(&b'{')).then(Balance::default)
    }

    /// Bytes consumed so far (the scan resumes here).
    pub fn scanned(&self) -> usize {
        self.pos
    }

    /// Loop steps taken over all calls: at most one per byte of the final buffer.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Continues the scan over `buf` (the same buffer as before, possibly longer). Returns the
    /// end (exclusive) of the balanced literal once it closes.
    pub fn feed(&mut self, buf: &str) -> Option<usize> {
        let b = buf.as_bytes();
        let mut i = self.pos;
        while i < b.len() {
            self.steps += 1;
            let c = b[i];
            if self.esc_str {
                // Decode one character of the escaped text, then apply JSON string rules to it.
                let (ch, step) = if c == b'\\' {
                    if i + 1 >= b.len() {
                        // The escape's second byte has not arrived yet.
                        break;
                    }
                    (b[i + 1], 2)
                } else {
                    (c, 1)
                };
                if self.inner_esc {
                    self.inner_esc = false;
                } else if ch == b'\\' {
                    self.inner_esc = true;
                } else if ch == b'"' {
                    self.esc_str = false;
                }
                i += step;
                continue;
            }
            if c == b'\\' {
                if i + 1 >= b.len() {
                    break;
                }
                if self.quote == 0 && b[i + 1] == b'"' {
                    self.esc_str = true;
                }
                i += 2;
                continue;
            }
            if self.quote != 0 {
                if c == self.quote {
                    self.quote = 0;
                }
            } else {
                match c {
                    b'\'' | b'"' | b'`' => self.quote = c,
                    b'{' => self.depth += 1,
                    b'}' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            self.pos = i + 1;
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        self.pos = i;
        None
    }
}

// ---------------------------------------------------------------------------------------------

/// Why a parse failed. Only the distinction matters to callers inside this module: a depth
/// failure may succeed from a shallower start, a syntax failure fails identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    Syntax,
    Depth,
}

type PResult<T> = Result<T, Fail>;

/// How a string literal is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// `'`, `"` or `` ` ``.
    Ascii(u8),
    /// `“ … ”`
    CurlyDouble,
    /// `‘ … ’`, closed by a `’` that is followed by structure (an apostrophe inside stays).
    CurlySingle,
}

const LDQUO: &[u8] = "\u{201C}".as_bytes();
const RDQUO: &[u8] = "\u{201D}".as_bytes();
const LSQUO: &[u8] = "\u{2018}".as_bytes();
const RSQUO: &[u8] = "\u{2019}".as_bytes();
const NBSP: &[u8] = "\u{A0}".as_bytes();
const BOM: &[u8] = "\u{FEFF}".as_bytes();

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
    /// Start offsets of `{` objects whose parse failed for a reason other than depth.
    failed_objects: Vec<usize>,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str, pos: usize) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            pos,
            depth: 0,
            failed_objects: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn starts_with_at(&self, i: usize, pat: &[u8]) -> bool {
        self.b.get(i..).is_some_and(|r| r.starts_with(pat))
    }

    fn starts_with(&self, pat: &[u8]) -> bool {
        self.starts_with_at(self.pos, pat)
    }

    /// Text between two offsets; empty (never a panic) if they are not char boundaries.
    fn text(&self, from: usize, to: usize) -> &'a str {
        self.s.get(from..to).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(0xC2) if self.starts_with(NBSP) => self.pos += NBSP.len(),
                Some(0xEF) if self.starts_with(BOM) => self.pos += BOM.len(),
                _ => return,
            }
        }
    }

    fn skip_inline_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Runs `f` one nesting level deeper, failing when that would exceed [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(Fail::Depth);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn quote_at(&self, i: usize) -> Option<Quote> {
        match self.peek_at(i)? {
            c @ (b'\'' | b'"' | b'`') => Some(Quote::Ascii(c)),
            0xE2 if self.starts_with_at(i, LDQUO) => Some(Quote::CurlyDouble),
            0xE2 if self.starts_with_at(i, LSQUO) => Some(Quote::CurlySingle),
            _ => None,
        }
    }

    fn parse_value(&mut self) -> PResult<Value> {
        let c = self.peek().ok_or(Fail::Syntax)?;
        match c {
            b'{' => self.parse_object(),
            b'[' => match self.placeholder_end(self.pos) {
                Some(end) => {
                    if self.try_type_prefix() {
                        return self.parse_container();
                    }
                    let v = Value::String(self.text(self.pos, end).to_owned());
                    self.pos = end;
                    Ok(v)
                }
                None => self.parse_array(),
            },
            b'(' => self.parse_paren(),
            b'<' => {
                let end = self.angle_end(self.pos).ok_or(Fail::Syntax)?;
                if self.try_type_prefix() {
                    return self.parse_container();
                }
                let v = Value::String(self.text(self.pos, end).to_owned());
                self.pos = end;
                Ok(v)
            }
            b'.' if self.starts_with(b"...") => Err(Fail::Syntax),
            b'0'..=b'9' | b'-' | b'+' | b'.' => self.parse_number(),
            c if is_ident_start(c) => self.parse_ident_value(),
            _ => match self.quote_at(self.pos) {
                Some(q) => self.parse_string_value(q, false),
                None => Err(Fail::Syntax),
            },
        }
    }

    /// After a committed type prefix: the `{` or `[` it introduces.
    fn parse_container(&mut self) -> PResult<Value> {
        match self.peek() {
            Some(b'{') => self.parse_object(),
            Some(b'[') => self.parse_array(),
            _ => Err(Fail::Syntax),
        }
    }

    fn parse_object(&mut self) -> PResult<Value> {
        let start = self.pos;
        let r = self.nested(|p| p.parse_object_body());
        if r == Err(Fail::Syntax) {
            self.failed_objects.push(start);
        }
        r
    }

    fn parse_object_body(&mut self) -> PResult<Value> {
        if self.peek() != Some(b'{') {
            return Err(Fail::Syntax);
        }
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(Fail::Syntax),
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                Some(b'.') if self.skip_more_marker() => {}
                Some(_) => {
                    let key = self.parse_key()?;
                    self.skip_ws();
                    if self.peek() == Some(b':') {
                        self.pos += 1;
                    } else if self.starts_with(b"=>") {
                        self.pos += 2;
                    } else {
                        return Err(Fail::Syntax);
                    }
                    self.skip_ws();
                    let v = self.parse_value()?;
                    map.insert(key, v);
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(Fail::Syntax),
            }
        }
    }

    fn parse_key(&mut self) -> PResult<String> {
        if let Some(q) = self.quote_at(self.pos) {
            return self.parse_quoted(q, false);
        }
        if self.peek() == Some(b'[') {
            // Node symbol keys: `[Symbol(headers list)]: ...`
            let end = self.placeholder_end(self.pos).ok_or(Fail::Syntax)?;
            let key = self.text(self.pos, end).to_owned();
            self.pos = end;
            return Ok(key);
        }
        let start = self.pos;
        while let Some(ch) = self.s.get(self.pos..).and_then(|r| r.chars().next()) {
            if !is_key_char(ch) {
                break;
            }
            self.pos += ch.len_utf8();
        }
        if self.pos == start {
            return Err(Fail::Syntax);
        }
        let word = self.text(start, self.pos);
        if let Some(q) = self.quote_at(self.pos) {
            // Python bytes/unicode keys: b'retry-after'
            if is_str_prefix(word) {
                return self.parse_quoted(q, word.contains(['r', 'R']));
            }
            return Err(Fail::Syntax);
        }
        Ok(word.to_owned())
    }

    fn parse_array(&mut self) -> PResult<Value> {
        self.nested(|p| {
            p.pos += 1;
            let (items, _) = p.parse_seq(b']')?;
            Ok(Value::Array(items))
        })
    }

    /// `( .. )`: a Python tuple becomes an array; a parenthesised single value is that value.
    fn parse_paren(&mut self) -> PResult<Value> {
        self.nested(|p| {
            p.pos += 1;
            let (mut items, comma) = p.parse_seq(b')')?;
            if items.len() == 1 && !comma {
                return items.pop().ok_or(Fail::Syntax);
            }
            Ok(Value::Array(items))
        })
    }

    /// Comma-separated values up to `close` (already past the opener). Returns the values and
    /// whether any comma was seen. Skips `... N more items` markers.
    fn parse_seq(&mut self, close: u8) -> PResult<(Vec<Value>, bool)> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(Fail::Syntax),
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok((items, comma));
                }
                Some(b'.') if self.skip_more_marker() => {}
                Some(_) => items.push(self.parse_value()?),
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    comma = true;
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok((items, comma));
                }
                _ => return Err(Fail::Syntax),
            }
        }
    }

    /// Skips Node's `... 3 more items` / `... 900 more characters` (or a bare `...`).
    fn skip_more_marker(&mut self) -> bool {
        if !self.starts_with(b"...") {
            return false;
        }
        self.pos += 3;
        let after_dots = self.pos;
        self.skip_inline_ws();
        let digits = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            self.pos = after_dots;
            return true;
        }
        let after_digits = self.pos;
        self.skip_inline_ws();
        if !self.starts_with(b"more") {
            self.pos = after_digits;
            return true;
        }
        self.pos += 4;
        let after_more = self.pos;
        self.skip_inline_ws();
        let word = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_lowercase()) {
            self.pos += 1;
        }
        if self.pos == word {
            self.pos = after_more;
        }
        true
    }

    fn parse_number(&mut self) -> PResult<Value> {
        let start = self.pos;
        let next = self.peek_at(start + 1);
        let ok = match self.peek() {
            Some(b'0'..=b'9') => true,
            Some(b'.') => matches!(next, Some(b'0'..=b'9')),
            Some(b'+' | b'-') => {
                matches!(next, Some(b'0'..=b'9' | b'.' | b'I' | b'i' | b'N' | b'n'))
            }
            _ => false,
        };
        if !ok {
            return Err(Fail::Syntax);
        }
        self.pos += 1;
        while self.peek().is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'+' | b'-')
        }) {
            self.pos += 1;
        }
        let token = self.text(start, self.pos);
        Ok(match parse_numeral(token) {
            Some(n) => Value::Number(n),
            None => Value::String(token.to_owned()),
        })
    }

    fn parse_ident_value(&mut self) -> PResult<Value> {
        let start = self.pos;
        self.scan_ident();
        let after = self.pos;
        let ident = self.text(start, after);
        if is_str_prefix(ident)
            && let Some(q) = self.quote_at(after)
        {
            return self.parse_string_value(q, ident.contains(['r', 'R']));
        }
        if let Some(v) = keyword(ident) {
            return Ok(v);
        }
        self.pos = start;
        if self.try_type_prefix() {
            return self.parse_container();
        }
        self.pos = after;
        if self.peek() == Some(b'(') {
            return self.parse_call(start);
        }
        Err(Fail::Syntax)
    }

    /// `Name( .. )` at `start` with `pos` on the `(`. A call wrapping exactly one dict or list
    /// (`Headers({...})`, `OrderedDict([...])`) is that value; any other call is kept as text.
    fn parse_call(&mut self, start: usize) -> PResult<Value> {
        let open = self.pos;
        let r = self.nested(|p| {
            p.pos += 1;
            p.parse_seq(b')')
        });
        match r {
            Ok((mut items, comma)) => {
                if items.len() == 1
                    && !comma
                    && let Some(v @ (Value::Object(_) | Value::Array(_))) = items.pop()
                {
                    return Ok(v);
                }
                Ok(Value::String(self.text(start, self.pos).to_owned()))
            }
            Err(Fail::Depth) => Err(Fail::Depth),
            Err(Fail::Syntax) => {
                let end = raw_group_end(self.b, open).ok_or(Fail::Syntax)?;
                self.pos = end;
                Ok(Value::String(self.text(start, end).to_owned()))
            }
        }
    }

    /// `[A-Za-z_$][A-Za-z0-9_$.]*` at `pos`.
    fn scan_ident(&mut self) {
        if self.peek().is_some_and(is_ident_start) {
            self.pos += 1;
            while self.peek().is_some_and(is_ident_char) {
                self.pos += 1;
            }
        }
    }

    /// Tries to skip a type-name prefix (`Headers `, `Map(2) `, `Object [AsyncGenerator] `,
    /// `<ref *1> `, `[Object: null prototype] `) that is followed on the same line by `{` or a
    /// `[` array. On success `pos` is on that bracket; otherwise nothing moves.
    fn try_type_prefix(&mut self) -> bool {
        let save = self.pos;
        for _ in 0..MAX_PREFIX_TOKENS {
            match self.peek() {
                Some(c) if is_ident_start(c) => {
                    self.scan_ident();
                    if self.peek() == Some(b'(') {
                        let mut i = self.pos + 1;
                        while self.peek_at(i).is_some_and(|c| c.is_ascii_digit()) {
                            i += 1;
                        }
                        if i == self.pos + 1 || self.peek_at(i) != Some(b')') {
                            break;
                        }
                        self.pos = i + 1;
                    }
                }
                Some(b'[') => match self.placeholder_end(self.pos) {
                    Some(end) => self.pos = end,
                    None => break,
                },
                Some(b'<') => match self.angle_end(self.pos) {
                    Some(end) => self.pos = end,
                    None => break,
                },
                _ => break,
            }
            self.skip_inline_ws();
            match self.peek() {
                Some(b'{') => return true,
                Some(b'[') if self.placeholder_end(self.pos).is_none() => return true,
                _ => {}
            }
        }
        self.pos = save;
        false
    }

    /// End of a Node placeholder such as `[Object]`, `[Function: x]`, `[Symbol(foo)]` at `at`:
    /// `[` + a word that is not a value keyword, then `]` within a short distance on the same
    /// line without any structural character in between.
    fn placeholder_end(&self, at: usize) -> Option<usize> {
        let b = self.b;
        if b.get(at) != Some(&b'[') || !b.get(at + 1)?.is_ascii_alphabetic() {
            return None;
        }
        let mut i = at + 1;
        while b.get(i).copied().is_some_and(is_ident_char) {
            i += 1;
        }
        if keyword(self.text(at + 1, i)).is_some() {
            return None;
        }
        let limit = at.saturating_add(MAX_PLACEHOLDER).min(b.len());
        while i < limit {
            match b[i] {
                b']' => return Some(i + 1),
                b'{' | b'}' | b'[' | b',' | b'\'' | b'"' | b'`' | b'\n' | b'\r' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// End of an `<angle token>` at `at` (nested `<>` allowed, same line, bounded length).
    fn angle_end(&self, at: usize) -> Option<usize> {
        let b = self.b;
        let limit = at.saturating_add(MAX_ANGLE).min(b.len());
        let mut depth = 0usize;
        let mut i = at;
        while i < limit {
            match b[i] {
                b'<' => depth += 1,
                b'>' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                b'\n' | b'\r' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// A string value: one literal, then any literals joined to it by `+` (Node) or adjacency
    /// (Python), and Node's `... N more characters` truncation marker.
    fn parse_string_value(&mut self, q: Quote, raw: bool) -> PResult<Value> {
        let mut out = self.parse_quoted(q, raw)?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.peek() == Some(b'+') {
                self.pos += 1;
                self.skip_ws();
                if let Some(q) = self.quote_at(self.pos) {
                    out.push_str(&self.parse_quoted(q, false)?);
                    continue;
                }
            } else if let Some(q) = self.quote_at(self.pos) {
                out.push_str(&self.parse_quoted(q, false)?);
                continue;
            } else if self.pos == save && self.skip_more_marker() {
                continue;
            }
            self.pos = save;
            return Ok(Value::String(out));
        }
    }

    /// One quoted literal at `pos`. Fails when the input ends before the closing quote.
    fn parse_quoted(&mut self, q: Quote, raw: bool) -> PResult<String> {
        self.pos += match q {
            Quote::Ascii(_) => 1,
            Quote::CurlyDouble => LDQUO.len(),
            Quote::CurlySingle => LSQUO.len(),
        };
        let mut out = String::new();
        let mut chunk = self.pos;
        loop {
            let c = self.peek().ok_or(Fail::Syntax)?;
            if c == b'\\' {
                out.push_str(self.text(chunk, self.pos));
                self.pos += 1;
                if raw {
                    let ch = self
                        .s
                        .get(self.pos..)
                        .and_then(|r| r.chars().next())
                        .ok_or(Fail::Syntax)?;
                    out.push('\\');
                    out.push(ch);
                    self.pos += ch.len_utf8();
                } else {
                    self.read_escape(&mut out)?;
                }
                chunk = self.pos;
                continue;
            }
            let close_len = match q {
                Quote::Ascii(qc) if c == qc => 1,
                Quote::CurlyDouble if c == 0xE2 && self.starts_with(RDQUO) => RDQUO.len(),
                Quote::CurlySingle
                    if c == 0xE2
                        && self.starts_with(RSQUO)
                        && self.curly_single_closes(self.pos + RSQUO.len()) =>
                {
                    RSQUO.len()
                }
                _ => 0,
            };
            if close_len > 0 {
                out.push_str(self.text(chunk, self.pos));
                self.pos += close_len;
                return Ok(out);
            }
            self.pos += 1;
        }
    }

    /// A `’` closes a `‘` string only when structure follows it.
    fn curly_single_closes(&self, mut i: usize) -> bool {
        while matches!(self.peek_at(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        matches!(
            self.peek_at(i),
            Some(b',' | b':' | b'}' | b']' | b')' | b'=')
        )
    }

    /// An escape sequence, `pos` just past the backslash.
    fn read_escape(&mut self, out: &mut String) -> PResult<()> {
        let c = self.peek().ok_or(Fail::Syntax)?;
        self.pos += 1;
        match c {
            b'n' => out.push('\n'),
            b't' => out.push('\t'),
            b'r' => out.push('\r'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'v' => out.push('\u{b}'),
            b'a' => out.push('\u{7}'),
            b'\\' | b'\'' | b'"' | b'`' | b'/' => out.push(char::from(c)),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            b'x' => match self.take_hex(2) {
                Some(v) => out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)),
                None => out.push_str("\\x"),
            },
            b'U' => match self.take_hex(8) {
                Some(v) => out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)),
                None => out.push_str("\\U"),
            },
            b'u' if self.peek() == Some(b'{') => {
                // JS `\u{1F600}`
                let mut i = self.pos + 1;
                while self.peek_at(i).is_some_and(|c| c.is_ascii_hexdigit()) && i - self.pos <= 6 {
                    i += 1;
                }
                let v = (i > self.pos + 1 && self.peek_at(i) == Some(b'}'))
                    .then(|| u32::from_str_radix(self.text(self.pos + 1, i), 16).ok())
                    .flatten();
                match v {
                    Some(v) => {
                        out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
                        self.pos = i + 1;
                    }
                    None => out.push_str("\\u"),
                }
            }
            b'u' => match self.take_hex(4) {
                Some(hi @ 0xD800..=0xDBFF) => {
                    let lo = self
                        .starts_with(b"\\u")
                        .then(|| hex_at(self.b, self.pos + 2, 4))
                        .flatten()
                        .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                    match lo {
                        Some(lo) => {
                            out.push(combine_surrogates(hi, lo));
                            self.pos += 6;
                        }
                        None => out.push(char::REPLACEMENT_CHARACTER),
                    }
                }
                Some(v) => out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)),
                None => out.push_str("\\u"),
            },
            // Line continuation.
            b'\n' => {}
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            _ => {
                // Unknown escape (`\N{...}`, `\$`): keep the backslash; the character after it
                // is read again as ordinary content.
                out.push('\\');
                self.pos -= 1;
            }
        }
        Ok(())
    }

    /// Exactly `n` hex digits at `pos`: their value, advancing past them.
    fn take_hex(&mut self, n: usize) -> Option<u32> {
        let v = hex_at(self.b, self.pos, n)?;
        self.pos += n;
        Some(v)
    }
}

/// End (exclusive) of the bracket group opening at `open`, counting `()[]{}` together and
/// skipping quoted strings and escapes. None when the input ends first.
fn raw_group_end(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote = 0u8;
    let mut i = open;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            i += 2;
            continue;
        }
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else {
            match c {
                b'\'' | b'"' | b'`' => quote = c,
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// True when `s` contains a `{` followed (after spaces or escaped whitespace) by an escaped quote.
fn looks_escaped(s: &str) -> bool {
    let b = s.as_bytes();
    for (i, _) in b.iter().enumerate().filter(|&(_, &c)| c == b'{') {
        let mut j = i + 1;
        loop {
            match (b.get(j), b.get(j + 1)) {
                (Some(b' ' | b'\t' | b'\n' | b'\r'), _) => j += 1,
                (Some(b'\\'), Some(b'n' | b't' | b'r')) => j += 2,
                _ => break,
            }
        }
        let slashes = b
            .get(j..)
            .map_or(0, |r| r.iter().take_while(|&&c| c == b'\\').count());
        if slashes % 2 == 1 && b.get(j + slashes) == Some(&b'"') {
            return true;
        }
    }
    false
}

fn hex_at(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let digits = b.get(at..at.checked_add(n)?)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

fn combine_surrogates(hi: u32, lo: u32) -> char {
    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.')
}

fn is_key_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric()
        || matches!(ch, '_' | '$' | '.' | '-')
        || (!ch.is_ascii() && ch.is_alphanumeric())
}

/// Python string prefixes that may precede a quote: `b'..'`, `u'..'`, `r'..'`, `rb'..'`.
fn is_str_prefix(word: &str) -> bool {
    matches!(
        word,
        "b" | "B" | "u" | "U" | "r" | "R" | "br" | "bR" | "Br" | "BR" | "rb" | "rB" | "Rb" | "RB"
    )
}

/// Bare words that are values.
fn keyword(word: &str) -> Option<Value> {
    match word {
        "true" | "True" => Some(Value::Bool(true)),
        "false" | "False" => Some(Value::Bool(false)),
        "null" | "None" | "undefined" | "nil" => Some(Value::Null),
        "NaN" | "nan" | "Infinity" | "inf" => Some(Value::String(word.to_owned())),
        _ => None,
    }
}

/// A plain numeral as a JSON number; None for anything that should stay text.
fn parse_numeral(token: &str) -> Option<Number> {
    let (neg, body) = match token.as_bytes().first()? {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    let radix = match body.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = strip_underscores(&body[2..], radix)?;
        return int_number(neg, u64::from_str_radix(&digits, radix).ok()?);
    }
    // BigInt literal: 10n
    if let Some(int) = body.strip_suffix('n') {
        let digits = strip_underscores(int, 10)?;
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        return int_number(neg, digits.parse().ok()?);
    }
    // Validate digits [. digits] [e [+-] digits], underscores only between digits.
    let b = body.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    let mut is_float = false;
    let mut clean = String::with_capacity(token.len());
    if neg {
        clean.push('-');
    }
    let mut prev_digit = false;
    let mut seen_exp = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'0'..=b'9' => {
                if !seen_exp {
                    mantissa_digits += 1;
                }
                clean.push(char::from(c));
                prev_digit = true;
            }
            b'_' => {
                if !prev_digit || !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                prev_digit = false;
            }
            b'.' if !is_float && !seen_exp => {
                is_float = true;
                clean.push('.');
                prev_digit = false;
            }
            b'e' | b'E' if !seen_exp && mantissa_digits > 0 => {
                seen_exp = true;
                is_float = true;
                clean.push('e');
                if matches!(b.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                    clean.push(char::from(b[i]));
                }
                if !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                prev_digit = false;
            }
            _ => return None,
        }
        i += 1;
    }
    if mantissa_digits == 0 {
        return None;
    }
    if !is_float {
        let digits = clean.trim_start_matches('-');
        if digits.len() > 1 && digits.starts_with('0') {
            return None; // 007: keep as written
        }
        return int_number(neg, digits.parse().ok()?);
    }
    let f: f64 = clean.parse().ok()?;
    Number::from_f64(f)
}

fn strip_underscores(digits: &str, radix: u32) -> Option<String> {
    let b = digits.as_bytes();
    if b.is_empty() || b[0] == b'_' || b[b.len() - 1] == b'_' || digits.contains("__") {
        return None;
    }
    if !b
        .iter()
        .all(|&c| c == b'_' || char::from(c).is_digit(radix))
    {
        return None;
    }
    Some(digits.replace('_', ""))
}

fn int_number(neg: bool, magnitude: u64) -> Option<Number> {
    if !neg {
        return Some(Number::from(magnitude));
    }
    if magnitude <= i64::MAX as u64 {
        Some(Number::from(-(magnitude as i64)))
    } else if magnitude == i64::MAX as u64 + 1 {
        Some(Number::from(i64::MIN))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JSON_429: &str = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (4f1c2d9a-0b1e-4c55-9a7e-1d2f3a4b5c6d) of 40,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."},"request_id":"req_011CV4hKxQ2yNfE3b9TzJm7P"}"#;

    const PY_429: &str = r#"Error code: 429 - {'type': 'error', 'error': {'details': None, 'type': 'rate_limit_error', 'message': "This request would exceed your organization's rate limit of 8,000 output tokens per minute (org: 4f1c2d9a, model: claude-sonnet-4-5). For details, refer to: https://docs.claude.com/en/api/rate-limits."}, 'request_id': 'req_011CV4hKxQ2yNfE3b9TzJm7P'}"#;

    const PY_RAMP: &str = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Your organization\u{2019}s usage is increasing too quickly. Please ramp up gradually \u{2014} see https://docs.claude.com/en/api/rate-limits#ramp.', 'details': {'error_code': 'ramp_limit_exceeded', 'retry_after_s': 30, 'burst': True}}, 'request_id': 'req_011CV9RampUp'}";

    const JS_DUMP: &str = r#"RateLimitError: 429 {"type":"error"}
{
  status: 529,
  headers: {
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '0',
    'anthropic-ratelimit-requests-reset': '2025-01-15T10:30:12Z',
    'retry-after': '12',
    'x-should-retry': 'true',
    'request-id': 'req_011CVjsDump',
  },
  request_id: 'req_011CVjsDump',
  error: {
    type: 'error',
    error: { type: 'overloaded_error', message: 'Overloaded', details: undefined },
  },
  message: 'line one of a long message\n' +
    'line two, which says "hi"',
  stack: [Getter],
  cause: null,
  attempts: [ 1, 2, 3, ... 7 more items ],
  nested: [ [Object], [Array], [Function: retry], [Circular *1] ],
  iterator: Object [AsyncGenerator] {},
  raw: Headers { 'content-type': 'application/json', vary: 'Accept-Encoding' },
  sizes: Map(2) { 'in' => 1200, 'out' => 0 },
  [Symbol(kHeaders)]: [Object: null prototype] { server: 'cloudflare' },
}"#;

    fn parse(s: &str) -> Value {
        match parse_prefix(s) {
            Some((v, _)) => v,
            None => panic!("did not parse: {s}"),
        }
    }

    /// Every char-boundary prefix of `s`, shortest first.
    fn prefixes(s: &str) -> impl Iterator<Item = &str> {
        (0..s.len())
            .filter(|&i| s.is_char_boundary(i))
            .map(move |i| &s[..i])
    }

    fn naive_find(line: &str) -> Option<(usize, Value, usize)> {
        line.match_indices('{')
            .find_map(|(i, _)| parse_prefix(&line[i..]).map(|(v, n)| (i, v, n)))
    }

    #[test]
    fn strict_json_matches_serde() {
        let (v, n) = parse_prefix(JSON_429).unwrap();
        assert_eq!(n, JSON_429.len());
        assert_eq!(v, serde_json::from_str::<Value>(JSON_429).unwrap());
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(parse(&pretty), v);
        let tricky = r#"{"a":[1,-2,3.5,-0.25e-3,1E5,true,false,null,{}],"s":"q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","k":18446744073709551615,"m":-9223372036854775808}"#;
        assert_eq!(
            parse(tricky),
            serde_json::from_str::<Value>(tricky).unwrap()
        );
    }

    #[test]
    fn python_repr_error_body() {
        let (off, v, n) = find_object(PY_429).unwrap();
        assert_eq!(off, PY_429.find('{').unwrap());
        assert_eq!(off + n, PY_429.len());
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["details"], Value::Null);
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("This request would exceed your organization's rate limit")
        );
        assert_eq!(v["request_id"], "req_011CV4hKxQ2yNfE3b9TzJm7P");
    }

    #[test]
    fn python_nested_details_and_curly_apostrophe() {
        let (_, v, _) = find_object(PY_RAMP).unwrap();
        assert_eq!(
            v["error"]["details"],
            json!({"error_code": "ramp_limit_exceeded", "retry_after_s": 30, "burst": true})
        );
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with("Your organization\u{2019}s usage"), "{msg}");
        assert!(msg.contains('\u{2014}'));
    }

    #[test]
    fn python_escapes() {
        let v = parse(
            r#"{'a': 'It\'s', 'b': '\x27quoted\x27', 'c': 'one\ntwo\ttab', 'd': 'organization\u2019s', 'e': '\U0001F600', 'f': 'He said "don\'t"', 'g': 'back\\slash', 'h': '\0', 'i': 'keep \N{BULLET}', 'j': 'cont\
inued'}"#,
        );
        assert_eq!(v["a"], "It's");
        assert_eq!(v["b"], "'quoted'");
        assert_eq!(v["c"], "one\ntwo\ttab");
        assert_eq!(v["d"], "organization\u{2019}s");
        assert_eq!(v["e"], "\u{1F600}");
        assert_eq!(v["f"], "He said \"don't\"");
        assert_eq!(v["g"], "back\\slash");
        assert_eq!(v["h"], "\0");
        assert_eq!(v["i"], "keep \\N{BULLET}");
        assert_eq!(v["j"], "continued");
    }

    #[test]
    fn python_extras() {
        // pprint wraps long strings in parentheses; bytes and raw prefixes; tuples; calls.
        let v = parse(
            "{'message': ('This request would exceed the rate limit '\n             'for your organization.'),\n 'raw': b'{\"type\": \"error\"}',\n 'path': r'C:\\tmp\\x', u'k': u'v',\n 'pair': ('retry-after', '12'), 'one': (1,), 'empty': (),\n 'headers': Headers({'retry-after': '12'}),\n 'when': datetime.datetime(2025, 1, 15, 10, 30, tzinfo=datetime.timezone.utc),\n 'cls': <class 'anthropic.RateLimitError'>, 'n': 1_000_000}",
        );
        assert_eq!(
            v["message"],
            "This request would exceed the rate limit for your organization."
        );
        assert_eq!(v["raw"], "{\"type\": \"error\"}");
        assert_eq!(v["path"], "C:\\tmp\\x");
        assert_eq!(v["k"], "v");
        assert_eq!(v["pair"], json!(["retry-after", "12"]));
        assert_eq!(v["one"], json!([1]));
        assert_eq!(v["empty"], json!([]));
        assert_eq!(v["headers"], json!({"retry-after": "12"}));
        assert_eq!(
            v["when"],
            "datetime.datetime(2025, 1, 15, 10, 30, tzinfo=datetime.timezone.utc)"
        );
        assert_eq!(v["cls"], "<class 'anthropic.RateLimitError'>");
        assert_eq!(v["n"], 1_000_000);
        // A call at the top level that wraps a dict is that dict.
        assert_eq!(
            parse("Headers({'x-should-retry': 'true'})"),
            json!({"x-should-retry": "true"})
        );
    }

    #[test]
    fn js_util_inspect_dump() {
        let (off, v, n) = find_object(JS_DUMP).unwrap();
        // The first `{` is a complete JSON object on the first line.
        assert_eq!((off, n), (20, 16));
        assert_eq!(v, json!({"type": "error"}));

        let start = JS_DUMP.find("\n{").unwrap() + 1;
        let (v, n) = parse_prefix(&JS_DUMP[start..]).unwrap();
        assert_eq!(start + n, JS_DUMP.len());
        assert_eq!(v["status"], 529);
        assert_eq!(v["headers"]["retry-after"], "12");
        assert_eq!(v["headers"]["anthropic-ratelimit-requests-remaining"], "0");
        assert_eq!(v["error"]["error"]["type"], "overloaded_error");
        assert_eq!(v["error"]["error"]["details"], Value::Null);
        assert_eq!(
            v["message"],
            "line one of a long message\nline two, which says \"hi\""
        );
        assert_eq!(v["stack"], "[Getter]");
        assert_eq!(v["cause"], Value::Null);
        assert_eq!(v["attempts"], json!([1, 2, 3]));
        assert_eq!(
            v["nested"],
            json!(["[Object]", "[Array]", "[Function: retry]", "[Circular *1]"])
        );
        assert_eq!(v["iterator"], json!({}));
        assert_eq!(
            v["raw"],
            json!({"content-type": "application/json", "vary": "Accept-Encoding"})
        );
        assert_eq!(v["sizes"], json!({"in": 1200, "out": 0}));
        assert_eq!(v["[Symbol(kHeaders)]"], json!({"server": "cloudflare"}));
        // balanced_end agrees on where the multi-line literal ends.
        assert_eq!(balanced_end(&JS_DUMP[start..]), Some(JS_DUMP.len() - start));
    }

    #[test]
    fn js_more_forms() {
        let v = parse(
            "<ref *1> Object [AsyncGenerator] { a: `it's \"both\"`, b: 'x'... 9900 more characters, c: [ <2 empty items>, 3 ], d: Array(2) [ 'p', 'q' ], e: [class APIError extends Error], f: [Object: null prototype] {}, $g_1: -Infinity, h: NaN, }",
        );
        assert_eq!(v["a"], "it's \"both\"");
        assert_eq!(v["b"], "x");
        assert_eq!(v["c"], json!(["<2 empty items>", 3]));
        assert_eq!(v["d"], json!(["p", "q"]));
        assert_eq!(v["e"], "[class APIError extends Error]");
        assert_eq!(v["f"], json!({}));
        assert_eq!(v["$g_1"], "-Infinity");
        assert_eq!(v["h"], "NaN");
        // Node's undici Headers dump, multi-line with symbol keys and Map entries.
        let headers = "Headers {\n  [Symbol(headers list)]: HeadersList {\n    cookies: null,\n    [Symbol(headers map)]: Map(3) {\n      'retry-after' => [Object],\n      'x-should-retry' => { name: 'x-should-retry', value: 'true' },\n      'request-id' => [Object]\n    },\n    [Symbol(headers map sorted)]: null\n  },\n  [Symbol(guard)]: 'immutable'\n}";
        let v = parse(headers);
        let map = &v["[Symbol(headers list)]"]["[Symbol(headers map)]"];
        assert_eq!(map["retry-after"], "[Object]");
        assert_eq!(map["x-should-retry"]["value"], "true");
        assert_eq!(v["[Symbol(guard)]"], "immutable");
        // Lists of values keep Python keywords as values, not placeholders.
        assert_eq!(
            parse("[None, True, false, undefined, nil]"),
            json!([null, true, false, null, null])
        );
        // Ruby's inspect.
        assert_eq!(
            parse(r#"{"type"=>"error", "error"=>{"type"=>"api_error", "details"=>nil}}"#),
            json!({"type": "error", "error": {"type": "api_error", "details": null}})
        );
    }

    #[test]
    fn curly_quotes_from_chat_tools() {
        let v = parse(
            "{\u{2018}type\u{2019}: \u{2018}error\u{2019}, \u{201C}message\u{201D}: \u{2018}Your organization\u{2019}s rate limit\u{2019}}",
        );
        assert_eq!(
            v,
            json!({"type": "error", "message": "Your organization\u{2019}s rate limit"})
        );
    }

    #[test]
    fn escaped_json() {
        let line = r#"2025-01-15 10:30:12 ERROR upstream body="{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit; see \\\"retry-after\\\"\\nthen retry \u2019soon\u2019.\"},\"request_id\":\"req_011CVesc\"}""#;
        assert!(find_object(line).is_none());
        let un = unescape_one_level(line).unwrap();
        let (_, v, _) = find_object(&un).unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["request_id"], "req_011CVesc");
        assert_eq!(
            v["error"]["message"],
            "Number of request tokens has exceeded your per-minute rate limit; see \"retry-after\"\nthen retry \u{2019}soon\u{2019}."
        );
        // Escaped twice: two applications.
        let twice =
            r#"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"overloaded_error\\\"}}"#;
        let once = unescape_one_level(twice).unwrap();
        assert!(parse_prefix(&once).is_none());
        let (v, _) = parse_prefix(&unescape_one_level(&once).unwrap()).unwrap();
        assert_eq!(v["error"]["type"], "overloaded_error");
        // Pretty-printed, then escaped: the newline is an escape too.
        let pretty = r#"{\n  \"type\": \"error\",\n  \"error\": {\"type\": \"api_error\"}\n}"#;
        assert_eq!(
            parse(&unescape_one_level(pretty).unwrap())["error"]["type"],
            "api_error"
        );
        // Surrogate pairs and unknown escapes.
        assert_eq!(
            unescape_one_level(r#"{\"e\":\"\ud83d\ude00 \q\"}"#).unwrap(),
            "{\"e\":\"\u{1F600} \\q\"}"
        );
        // Not escaped.
        assert!(unescape_one_level(JSON_429).is_none());
        assert!(unescape_one_level("no braces \\\" here").is_none());
        assert!(unescape_one_level("").is_none());
    }

    #[test]
    fn numbers() {
        let v = parse(
            "{a: 1_000, b: 0x1F, c: 1.5e3, d: -7, e: 18446744073709551615, f: 123456789012345678901234, g: 1e999, h: 12ms, i: 007, j: 10n, k: .5, l: 2025-01-15T10:30:00Z, m: 1__0, n: 0b101, o: -0x10, p: 5., q: 1e, r: -9223372036854775809, s: 0, t: -0.0, u: +3}",
        );
        assert_eq!(v["a"], 1000);
        assert_eq!(v["b"], 31);
        assert_eq!(v["c"], 1500.0);
        assert_eq!(v["d"], -7);
        assert_eq!(v["e"], u64::MAX);
        assert_eq!(v["f"], "123456789012345678901234");
        assert_eq!(v["g"], "1e999");
        assert_eq!(v["h"], "12ms");
        assert_eq!(v["i"], "007");
        assert_eq!(v["j"], 10);
        assert_eq!(v["k"], 0.5);
        assert_eq!(v["l"], "2025-01-15T10:30:00Z");
        assert_eq!(v["m"], "1__0");
        assert_eq!(v["n"], 5);
        assert_eq!(v["o"], -16);
        assert_eq!(v["p"], 5.0);
        assert_eq!(v["q"], "1e");
        assert_eq!(v["r"], "-9223372036854775809");
        assert_eq!(v["s"], 0);
        assert_eq!(v["t"], -0.0);
        assert_eq!(v["u"], 3);
        // Separators that collide with syntax fail instead of guessing.
        assert!(parse_prefix("{tokens: 40,000 per minute}").is_none());
        assert!(parse_prefix("{a: -}").is_none());
        assert!(parse_prefix("{a: 1 000}").is_none());
    }

    #[test]
    fn consumed_and_trailing_text() {
        let (v, n) = parse_prefix("  \n{'a': 1}  and then some text {'b': 2}").unwrap();
        assert_eq!(v, json!({"a": 1}));
        assert_eq!(n, 11);
        let (v, n) = parse_prefix("[1, 2,] trailing").unwrap();
        assert_eq!((v, n), (json!([1, 2]), 7));
        assert_eq!(parse("{a: 1,}"), json!({"a": 1}));
        // A scalar is not a literal.
        assert!(parse_prefix("'just a string'").is_none());
        assert!(parse_prefix("42").is_none());
        assert!(parse_prefix("[Object]").is_none());
        // The same parse from the consumed prefix alone.
        for s in [
            JSON_429,
            &PY_429[PY_429.find('{').unwrap()..],
            "\u{FEFF}\u{A0}{a:1}x",
        ] {
            let (v, n) = parse_prefix(s).unwrap();
            assert_eq!(parse_prefix(&s[..n]), Some((v, n)));
        }
    }

    #[test]
    fn find_object_skips_bad_starts() {
        let line = "log {not valid} then {'a': {\"b\": 1}}";
        let (off, v, n) = find_object(line).unwrap();
        assert_eq!(off, 21);
        assert_eq!(n, line.len() - 21);
        assert_eq!(v, json!({"a": {"b": 1}}));
        // The outer literal is broken, so the first start that works is the inner one.
        let line = "x {'a': {\"b\": 1} oops}";
        assert_eq!(find_object(line), Some((8, json!({"b": 1}), 8)));
        assert_eq!(find_object(line), naive_find(line));
        assert!(find_object("no braces at all").is_none());
        assert!(find_object("").is_none());
        assert!(find_object("{{{{{{{{").is_none());
    }

    #[test]
    fn truncation_is_rejected() {
        let samples = [
            JSON_429,
            &PY_429[PY_429.find('{').unwrap()..],
            &PY_RAMP[PY_RAMP.find('{').unwrap()..],
            &JS_DUMP[JS_DUMP.find("\n{").unwrap() + 1..],
            "Headers({'retry-after': '12'})",
            "(1, 2)",
        ];
        for s in samples {
            assert!(parse_prefix(s).is_some(), "{s}");
            for p in prefixes(s) {
                assert!(parse_prefix(p).is_none(), "accepted truncated {p:?}");
                assert!(find_object(p).is_none_or(|(o, _, n)| o + n <= p.len()));
                if s.starts_with('{') {
                    assert_eq!(balanced_end(p), None, "{p:?}");
                }
            }
        }
        // A traceback line cut mid-message.
        assert!(find_object("Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exc").is_none());
    }

    #[test]
    fn garbage_is_rejected() {
        for g in [
            "",
            "   ",
            "hello",
            "{",
            "}",
            "]",
            "{]",
            "[}",
            "{'a' 1}",
            "{a:}",
            "{,}",
            "{a:1,,}",
            "[1 2]",
            "[,]",
            "{a b: 1}",
            "{'a': 'b' 'c': 1}",
            "{a: 'x' +}",
            "{: 1}",
            "{a: @}",
            "{a: [Object}",
            "{a: <unterminated}",
            "{a: ...}",
            "{'a': 1]",
            "(",
            "Foo",
            "Foo {",
            "{a: Foo}",
            "{a: 'x'\u{201D}",
            "\u{201C}x\u{201D}",
            "{a: b'x}",
            "{a: -x}",
        ] {
            assert!(parse_prefix(g).is_none(), "accepted {g:?}");
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let open = "[".repeat(1000);
        assert!(parse_prefix(&open).is_none());
        assert!(parse_prefix(&format!("{open}{}", "]".repeat(1000))).is_none());
        let objs = format!("{}1{}", "{a:".repeat(1000), "}".repeat(1000));
        assert!(parse_prefix(&objs).is_none());
        assert!(find_object(&objs).is_none_or(|(o, _, _)| o >= 1000 - MAX_DEPTH));
        for opener in ["(", "Foo(", "Headers({x:", "<ref *1> [", "Map(1) {a:"] {
            assert!(parse_prefix(&opener.repeat(5000)).is_none(), "{opener}");
        }
        // Exactly MAX_DEPTH levels parse; one more does not.
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_prefix(&ok).is_some());
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse_prefix(&over).is_none());
        // A depth failure is not a syntax failure: the shallower start is still found.
        let over = format!(
            "x{}1{}",
            "{a:".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        let (off, _, _) = find_object(&over).unwrap();
        assert_eq!(off, 4);
        // The nesting bound keeps the stack small even in a debug build.
        let h = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let mixed = format!(
                    "{}1{}",
                    "{a:(".repeat(MAX_DEPTH / 2),
                    ")}".repeat(MAX_DEPTH / 2)
                );
                assert_eq!(parse_prefix(&mixed).map(|(_, n)| n), Some(mixed.len()));
                let deeper = format!("{}1{}", "{a:(".repeat(MAX_DEPTH), ")}".repeat(MAX_DEPTH));
                assert!(parse_prefix(&deeper).is_none());
                assert!(parse_prefix(&ok).is_some());
                assert!(find_object(&"{a:[".repeat(20_000)).is_none());
            })
            .unwrap();
        h.join().unwrap();
    }

    #[test]
    fn balanced_end_honours_strings() {
        assert_eq!(balanced_end("{}"), Some(2));
        assert_eq!(balanced_end("{a: 1} rest"), Some(6));
        let s = r#"{'msg': 'a } b', "x": "{{", y: `}`, 'it\'s': '}', z: {}} tail"#;
        assert_eq!(balanced_end(s), Some(s.len() - 5));
        let esc = r#"{\"a\":\"}\"} tail"#;
        assert_eq!(balanced_end(esc), Some(esc.len() - 5));
        let esc = r#"{\"m\":\"a\\\"}\\\"b{\", \"n\": {}} tail"#;
        assert_eq!(balanced_end(esc), Some(esc.len() - 5));
        let un = unescape_one_level(esc).unwrap();
        assert_eq!(parse(&un), json!({"m": "a\"}\"b{", "n": {}}));
        assert_eq!(balanced_end("{'a': '}"), None);
        assert_eq!(balanced_end("{a: {b: 1}"), None);
        assert_eq!(balanced_end(""), None);
        assert_eq!(balanced_end("x{}"), None);
        assert_eq!(balanced_end("{\\"), None);
        // Growing a multi-line literal line by line, as the text scanner does.
        let lines = [
            "{",
            "  type: 'error',",
            "  message: 'Overloaded {retry}',",
            "}",
            "next",
        ];
        let mut buf = String::new();
        let mut done_at = None;
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                buf.push('\n');
            }
            buf.push_str(l);
            if let Some(end) = balanced_end(&buf) {
                done_at = Some((i, end));
                break;
            }
        }
        let (i, end) = done_at.unwrap();
        assert_eq!(i, 3);
        assert_eq!(
            parse(&buf[..end]),
            json!({"type": "error", "message": "Overloaded {retry}"})
        );
    }

    /// xorshift64*: deterministic, dependency-free randomness for the fuzz loops.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Runs every entry point and checks the invariants that must hold for any input.
    fn check_invariants(s: &str) {
        if let Some((v, n)) = parse_prefix(s) {
            assert!(n <= s.len() && s.is_char_boundary(n), "{s:?}");
            assert!(v.is_object() || v.is_array());
            assert_eq!(parse_prefix(&s[..n]).map(|(_, m)| m), Some(n), "{s:?}");
        }
        let found = find_object(s);
        if let Some((o, v, n)) = &found {
            assert!(o + n <= s.len() && s.is_char_boundary(o + n));
            assert_eq!(&s[*o..*o + 1], "{");
            assert!(v.is_object());
        }
        assert_eq!(found, naive_find(s), "{s:?}");
        if let Some(end) = balanced_end(s) {
            assert!(end <= s.len() && s.as_bytes()[end - 1] == b'}');
        }
        if let Some(u) = unescape_one_level(s) {
            check_invariants_shallow(&u);
        }
    }

    fn check_invariants_shallow(s: &str) {
        let _ = parse_prefix(s);
        let _ = find_object(s);
        let _ = balanced_end(s);
    }

    #[test]
    fn fuzz_random_token_soup() {
        const TOKENS: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            "'",
            "\"",
            "`",
            "\\",
            ":",
            ",",
            " ",
            "\n",
            "a",
            "key",
            "1",
            "-",
            "+",
            ".",
            "...",
            "... 3 more items",
            "_",
            "0x",
            "e",
            "n",
            "None",
            "True",
            "null",
            "undefined",
            "[Object]",
            "[Function: f]",
            "Headers ",
            "Map(2) ",
            "<ref *1> ",
            "<",
            ">",
            "=>",
            "\\u",
            "\\x2",
            "\\u{",
            "d83d",
            "\\ud83d",
            "\u{2019}",
            "\u{2018}",
            "\u{201C}",
            "\u{201D}",
            "\u{e9}",
            "\u{1F600}",
            "\u{A0}",
            "b'",
            "r'",
            "Foo(",
            "[Symbol(x)]",
            "\\\"",
            "{\\\"",
            "0",
            "9",
            "Infinity",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = rng.below(40);
            let s: String = (0..len).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
            check_invariants(&s);
        }
    }

    #[test]
    fn fuzz_random_chars_and_mutations() {
        let mut rng = Rng(42);
        for _ in 0..5_000 {
            let len = rng.below(64);
            let s: String = (0..len)
                .map(|_| match rng.below(4) {
                    0 => char::from(rng.below(128) as u8),
                    1 => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{FFFD}'),
                    _ => char::from(b"{}[]()'\"`\\:,.<> \n"[rng.below(17)]),
                })
                .collect();
            check_invariants(&s);
        }
        let seeds = [
            JSON_429.to_string(),
            PY_429.to_string(),
            PY_RAMP.to_string(),
            JS_DUMP.to_string(),
        ];
        for seed in &seeds {
            let chars: Vec<char> = seed.chars().collect();
            for _ in 0..300 {
                let mut c = chars.clone();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(c.len());
                    match rng.below(3) {
                        0 => {
                            c.remove(i);
                        }
                        1 => c.insert(i, char::from(b"{}[]'\"\\,:"[rng.below(9)])),
                        _ => c.truncate(i),
                    }
                    if c.is_empty() {
                        break;
                    }
                }
                let s: String = c.into_iter().collect();
                check_invariants(&s);
            }
        }
    }

    #[test]
    fn long_inputs_stay_fast() {
        let start = std::time::Instant::now();
        let n = 200_000;
        let inputs = [
            "{".repeat(n),
            "{'a': ".repeat(n / 6),
            format!("{{'a': '{}", "{x: ".repeat(n / 4)),
            format!("{{a: [{}", "1, ".repeat(n / 3)),
            "[Object".repeat(n / 7),
            "<<<<".repeat(n / 4),
            "Foo(".repeat(n / 4),
            format!("{{a: '{}'}}", "\\u12".repeat(n / 4)),
            "{a:1} ".repeat(n / 6),
        ];
        for s in &inputs {
            let _ = parse_prefix(s);
            let _ = find_object(s);
            let _ = balanced_end(s);
            let _ = unescape_one_level(s);
        }
        let big = format!("{{items: [{}]}}", "{k: 'v', n: 1}, ".repeat(20_000));
        assert_eq!(parse(&big)["items"].as_array().unwrap().len(), 20_000);
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    #[test]
    fn balance_resumes_without_rescanning() {
        // A 2,000-line literal fed line by line, as the text scanner does: every byte is
        // examined once in total, not once per line (that was quadratic).
        let mut buf = String::from("{\"type\": \"error\", \"error\": {\"details\": {");
        let mut b = Balance::new(&buf).unwrap();
        assert_eq!(b.feed(&buf), None);
        for i in 0..2000 {
            buf.push_str(&format!("\n  \"k{i}\": \"v {{{i}}} \\\" '\","));
            assert_eq!(b.feed(&buf), None, "line {i}");
        }
        buf.push_str("\n \"x\": 1}}}");
        assert_eq!(b.feed(&buf), Some(buf.len()));
        assert!(
            b.steps() <= buf.len(),
            "{} steps for {} bytes",
            b.steps(),
            buf.len()
        );
        assert_eq!(balanced_end(&buf), Some(buf.len()));
    }

    #[test]
    fn balance_waits_for_a_split_escape() {
        let mut b = Balance::new("{\"a\": \"x\\").unwrap();
        assert_eq!(b.feed("{\"a\": \"x\\"), None);
        assert_eq!(b.feed("{\"a\": \"x\\\"\"}"), Some(12));
    }
}
