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

use serde_json::Value;

use lexis::{combine_surrogates, hex_at};
use parser::Parser;

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

mod lexis;
mod parser;
mod strings;

#[cfg(test)]
mod tests;
