//! The parser's structure: values, containers, keys, numbers and identifiers, the type-name
//! prefixes and placeholders of object dumps.

use serde_json::{Map, Value};

use super::lexis::{
    is_ident_char, is_ident_start, is_key_char, is_str_prefix, keyword, parse_numeral,
};
use super::{MAX_ANGLE, MAX_DEPTH, MAX_PLACEHOLDER, MAX_PREFIX_TOKENS, raw_group_end};

/// Why a parse failed. Only the distinction matters to callers inside this module: a depth
/// failure may succeed from a shallower start, a syntax failure fails identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fail {
    Syntax,
    Depth,
}

pub(super) type PResult<T> = Result<T, Fail>;

/// How a string literal is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quote {
    /// `'`, `"` or `` ` ``.
    Ascii(u8),
    /// `“ … ”`
    CurlyDouble,
    /// `‘ … ’`, closed by a `’` that is followed by structure (an apostrophe inside stays).
    CurlySingle,
}

pub(super) const LDQUO: &[u8] = "\u{201C}".as_bytes();
pub(super) const RDQUO: &[u8] = "\u{201D}".as_bytes();
pub(super) const LSQUO: &[u8] = "\u{2018}".as_bytes();
pub(super) const RSQUO: &[u8] = "\u{2019}".as_bytes();
pub(super) const NBSP: &[u8] = "\u{A0}".as_bytes();
pub(super) const BOM: &[u8] = "\u{FEFF}".as_bytes();

pub(super) struct Parser<'a> {
    pub(super) s: &'a str,
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) depth: usize,
    /// Start offsets of `{` objects whose parse failed for a reason other than depth.
    pub(super) failed_objects: Vec<usize>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(s: &'a str, pos: usize) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            pos,
            depth: 0,
            failed_objects: Vec::new(),
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    pub(super) fn starts_with_at(&self, i: usize, pat: &[u8]) -> bool {
        self.b.get(i..).is_some_and(|r| r.starts_with(pat))
    }

    pub(super) fn starts_with(&self, pat: &[u8]) -> bool {
        self.starts_with_at(self.pos, pat)
    }

    /// Text between two offsets; empty (never a panic) if they are not char boundaries.
    pub(super) fn text(&self, from: usize, to: usize) -> &'a str {
        self.s.get(from..to).unwrap_or("")
    }

    pub(super) fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(0xC2) if self.starts_with(NBSP) => self.pos += NBSP.len(),
                Some(0xEF) if self.starts_with(BOM) => self.pos += BOM.len(),
                _ => return,
            }
        }
    }

    pub(super) fn skip_inline_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Runs `f` one nesting level deeper, failing when that would exceed [`MAX_DEPTH`].
    pub(super) fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(Fail::Depth);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    pub(super) fn quote_at(&self, i: usize) -> Option<Quote> {
        match self.peek_at(i)? {
            c @ (b'\'' | b'"' | b'`') => Some(Quote::Ascii(c)),
            0xE2 if self.starts_with_at(i, LDQUO) => Some(Quote::CurlyDouble),
            0xE2 if self.starts_with_at(i, LSQUO) => Some(Quote::CurlySingle),
            _ => None,
        }
    }

    pub(super) fn parse_value(&mut self) -> PResult<Value> {
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
    pub(super) fn parse_container(&mut self) -> PResult<Value> {
        match self.peek() {
            Some(b'{') => self.parse_object(),
            Some(b'[') => self.parse_array(),
            _ => Err(Fail::Syntax),
        }
    }

    pub(super) fn parse_object(&mut self) -> PResult<Value> {
        let start = self.pos;
        let r = self.nested(|p| p.parse_object_body());
        if r == Err(Fail::Syntax) {
            self.failed_objects.push(start);
        }
        r
    }

    pub(super) fn parse_object_body(&mut self) -> PResult<Value> {
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

    pub(super) fn parse_key(&mut self) -> PResult<String> {
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

    pub(super) fn parse_array(&mut self) -> PResult<Value> {
        self.nested(|p| {
            p.pos += 1;
            let (items, _) = p.parse_seq(b']')?;
            Ok(Value::Array(items))
        })
    }

    /// `( .. )`: a Python tuple becomes an array; a parenthesised single value is that value.
    pub(super) fn parse_paren(&mut self) -> PResult<Value> {
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
    pub(super) fn parse_seq(&mut self, close: u8) -> PResult<(Vec<Value>, bool)> {
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
    pub(super) fn skip_more_marker(&mut self) -> bool {
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

    pub(super) fn parse_number(&mut self) -> PResult<Value> {
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

    pub(super) fn parse_ident_value(&mut self) -> PResult<Value> {
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
    pub(super) fn parse_call(&mut self, start: usize) -> PResult<Value> {
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
    pub(super) fn scan_ident(&mut self) {
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
    pub(super) fn try_type_prefix(&mut self) -> bool {
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
    pub(super) fn placeholder_end(&self, at: usize) -> Option<usize> {
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
    pub(super) fn angle_end(&self, at: usize) -> Option<usize> {
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
}
