//! TEMPORARY strict-JSON stand-in; the relaxed parser replaces this file.
use serde_json::Value;
pub const MAX_DEPTH: usize = 64;
pub fn parse_prefix(s: &str) -> Option<(Value, usize)> {
    let lead = s.len() - s.trim_start().len();
    let mut it = serde_json::Deserializer::from_str(&s[lead..]).into_iter::<Value>();
    let v = it.next()?.ok()?;
    if !(v.is_object() || v.is_array()) {
        return None;
    }
    Some((v, lead + it.byte_offset()))
}
pub fn find_object(line: &str) -> Option<(usize, Value, usize)> {
    for (i, _) in line.match_indices('{') {
        if let Some((v, n)) = parse_prefix(&line[i..]) {
            return Some((i, v, n));
        }
    }
    None
}
pub fn unescape_one_level(s: &str) -> Option<String> {
    s.contains("{\\\"").then(|| s.replace("\\\"", "\""))
}
pub fn balanced_end(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut q: Option<u8> = None;
    let mut esc = false;
    for (i, b) in s.bytes().enumerate() {
        if let Some(qc) = q {
            if esc {
                esc = false
            } else if b == b'\\' {
                esc = true
            } else if b == qc {
                q = None
            }
            continue;
        }
        match b {
            b'"' | b'\'' => q = Some(b),
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}
