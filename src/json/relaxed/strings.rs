//! String literals: the quotes of Python, JavaScript and chat tools, escapes, prefixes,
//! concatenation and truncation markers.

use serde_json::Value;

use super::lexis::{combine_surrogates, hex_at};
use super::parser::{Fail, LDQUO, LSQUO, PResult, Parser, Quote, RDQUO, RSQUO};

impl Parser<'_> {
    /// A string value: one literal, then any literals joined to it by `+` (Node) or adjacency
    /// (Python), and Node's `... N more characters` truncation marker.
    pub(super) fn parse_string_value(&mut self, q: Quote, raw: bool) -> PResult<Value> {
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
    pub(super) fn parse_quoted(&mut self, q: Quote, raw: bool) -> PResult<String> {
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
    pub(super) fn curly_single_closes(&self, mut i: usize) -> bool {
        while matches!(self.peek_at(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        matches!(
            self.peek_at(i),
            Some(b',' | b':' | b'}' | b']' | b')' | b'=')
        )
    }

    /// An escape sequence, `pos` just past the backslash.
    pub(super) fn read_escape(&mut self, out: &mut String) -> PResult<()> {
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
    pub(super) fn take_hex(&mut self, n: usize) -> Option<u32> {
        let v = hex_at(self.b, self.pos, n)?;
        self.pos += n;
        Some(v)
    }
}
