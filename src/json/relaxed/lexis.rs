//! Lexical helpers: hex digits and surrogates, identifier characters, keywords and numerals.

use serde_json::{Number, Value};

pub(super) fn hex_at(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let digits = b.get(at..at.checked_add(n)?)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

pub(super) fn combine_surrogates(hi: u32, lo: u32) -> char {
    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

pub(super) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

pub(super) fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.')
}

pub(super) fn is_key_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric()
        || matches!(ch, '_' | '$' | '.' | '-')
        || (!ch.is_ascii() && ch.is_alphanumeric())
}

/// Python string prefixes that may precede a quote: `b'..'`, `u'..'`, `r'..'`, `rb'..'`.
pub(super) fn is_str_prefix(word: &str) -> bool {
    matches!(
        word,
        "b" | "B" | "u" | "U" | "r" | "R" | "br" | "bR" | "Br" | "BR" | "rb" | "rB" | "Rb" | "RB"
    )
}

/// Bare words that are values.
pub(super) fn keyword(word: &str) -> Option<Value> {
    match word {
        "true" | "True" => Some(Value::Bool(true)),
        "false" | "False" => Some(Value::Bool(false)),
        "null" | "None" | "undefined" | "nil" => Some(Value::Null),
        "NaN" | "nan" | "Infinity" | "inf" => Some(Value::String(word.to_owned())),
        _ => None,
    }
}

/// A plain numeral as a JSON number; None for anything that should stay text.
pub(super) fn parse_numeral(token: &str) -> Option<Number> {
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

pub(super) fn strip_underscores(digits: &str, radix: u32) -> Option<String> {
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

pub(super) fn int_number(neg: bool, magnitude: u64) -> Option<Number> {
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
