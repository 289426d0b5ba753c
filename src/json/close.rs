//! Closing a JSON value that was cut off (a file that ends mid-way): [`close_cut`] keeps
//! every member that arrived whole, closes a string value that was cut inside, drops a
//! member that was cut before its value began, and closes the open containers, so the
//! result parses and holds exactly what the cut input showed.

/// What a container expects next (objects only care; arrays always take a value).
#[derive(Clone, Copy, PartialEq)]
enum Want {
    /// A key or the end (after `{` or `,`).
    Key,
    /// The `:` after a key.
    Colon,
    /// A value (after `:`, or anywhere in an array).
    Value,
    /// A `,` or the end (after a value).
    Next,
}

/// Deepest nesting followed; deeper input is not closed (`None`).
const MAX_DEPTH: usize = 256;

/// `cut` (which starts with `{` or `[`, after optional whitespace, and ends before its
/// value closed) closed into a JSON text that parses; `None` when `cut` is not such a prefix
/// (it already closed, holds something that is not JSON, or nests deeper than 256).
pub fn close_cut(cut: &[u8]) -> Option<Vec<u8>> {
    // (container byte, what it wants) per open container.
    let mut stack: Vec<(u8, Want)> = Vec::new();
    // The longest prefix known to close cleanly, with the stack at that point.
    let mut safe: Option<(usize, Vec<(u8, Want)>)> = None;
    let mut i = 0;
    let mut started = false;
    while i < cut.len() {
        let b = cut[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let want = stack.last().map(|f| f.1);
        match b {
            b'{' | b'[' => {
                if started && want != Some(Want::Value) {
                    return None;
                }
                started = true;
                if stack.len() == MAX_DEPTH {
                    return None;
                }
                stack.push((b, if b == b'{' { Want::Key } else { Want::Value }));
                i += 1;
                safe = Some((i, stack.clone()));
            }
            b'}' | b']' => {
                let (open, w) = stack.pop()?;
                let ok = match b {
                    b'}' => open == b'{' && matches!(w, Want::Key | Want::Next),
                    _ => open == b'[' && matches!(w, Want::Value | Want::Next),
                };
                if !ok {
                    return None;
                }
                i += 1;
                let top = stack.last_mut()?; // the outermost value closed: not a cut
                top.1 = Want::Next;
                safe = Some((i, stack.clone()));
            }
            b',' => {
                let top = stack.last_mut()?;
                if top.1 != Want::Next {
                    return None;
                }
                top.1 = if top.0 == b'{' {
                    Want::Key
                } else {
                    Want::Value
                };
                i += 1;
            }
            b':' => {
                let top = stack.last_mut()?;
                if top.1 != Want::Colon {
                    return None;
                }
                top.1 = Want::Value;
                i += 1;
            }
            b'"' => {
                let is_key = want == Some(Want::Key);
                if !is_key && want != Some(Want::Value) {
                    return None;
                }
                let end = string_end(cut, i + 1);
                let top = stack.last_mut()?;
                match end {
                    Some(e) => {
                        i = e;
                        if is_key {
                            top.1 = Want::Colon;
                        } else {
                            top.1 = Want::Next;
                            safe = Some((i, stack.clone()));
                        }
                    }
                    // Cut inside this string: a value keeps what arrived, a key is dropped.
                    None if is_key => break,
                    None => {
                        let mut out = cut[..whole_escapes(cut, i + 1)].to_vec();
                        out.push(b'"');
                        top.1 = Want::Next;
                        close_all(&mut out, &stack);
                        return Some(out);
                    }
                }
            }
            _ => {
                // A number or a literal: whole only when something follows it.
                if want != Some(Want::Value) {
                    return None;
                }
                let len = cut[i..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')))
                    .unwrap_or(cut.len() - i);
                let token = &cut[i..i + len];
                if i + len == cut.len() || !scalar(token) {
                    if i + len == cut.len() {
                        break;
                    }
                    return None;
                }
                i += len;
                let top = stack.last_mut()?;
                top.1 = Want::Next;
                safe = Some((i, stack.clone()));
            }
        }
    }
    let (at, stack) = safe?;
    let mut out = cut[..at].to_vec();
    close_all(&mut out, &stack);
    Some(out)
}

/// Index just past the closing quote of the string whose content starts at `from`.
fn string_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// End of the string content from `from` with a cut-off escape (`\`, `\u12`) left out.
fn whole_escapes(b: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut whole = from;
    while i < b.len() {
        if b[i] == b'\\' {
            let len = if b.get(i + 1) == Some(&b'u') { 6 } else { 2 };
            if i + len > b.len() {
                return whole;
            }
            i += len;
        } else {
            i += 1;
        }
        whole = i;
    }
    // Never end inside a UTF-8 sequence: drop a partial one.
    let mut end = whole;
    while end > from && (b[end - 1] & 0xC0) == 0x80 {
        end -= 1;
    }
    if end > from && b[end - 1] >= 0xC0 {
        let need = match b[end - 1] {
            0xF0.. => 4,
            0xE0.. => 3,
            _ => 2,
        };
        if whole - (end - 1) < need {
            return end - 1;
        }
    }
    whole
}

fn scalar(t: &[u8]) -> bool {
    matches!(t, b"true" | b"false" | b"null")
        || (!t.is_empty()
            && t.iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')))
}

/// Appends the closers of every open container, innermost first. Every cut point leaves
/// the innermost container complete (after its opening, or after a whole member); an outer
/// one is waiting on the inner, which these closers finish.
fn close_all(out: &mut Vec<u8>, stack: &[(u8, Want)]) {
    for &(open, _) in stack.iter().rev() {
        out.push(if open == b'{' { b'}' } else { b']' });
    }
}

#[cfg(test)]
mod tests {
    use super::close_cut;
    use serde_json::{Value, json};

    fn closed(s: &str) -> Option<Value> {
        let out = close_cut(s.as_bytes())?;
        Some(serde_json::from_slice(&out).unwrap_or_else(|e| {
            panic!("{s:?} closed into {:?}: {e}", String::from_utf8_lossy(&out))
        }))
    }

    #[test]
    fn keeps_what_arrived_whole() {
        assert_eq!(
            closed(r#"{"status": 429, "headers": [{"name": "retry-after", "value": "5"}, {"na"#),
            Some(json!({"status": 429, "headers": [{"name": "retry-after", "value": "5"}, {}]}))
        );
        assert_eq!(closed(r#"{"a": 1, "b": "#), Some(json!({"a": 1})));
        assert_eq!(closed(r#"{"a": 1, "b""#), Some(json!({"a": 1})));
        assert_eq!(closed(r#"{"a": 1,"#), Some(json!({"a": 1})));
        assert_eq!(closed(r#"{"a": 12"#), Some(json!({})));
        assert_eq!(closed(r#"{"a": tr"#), Some(json!({})));
        assert_eq!(closed(r#"[1, 2, [3"#), Some(json!([1, 2, []])));
        assert_eq!(closed("{"), Some(json!({})));
    }

    #[test]
    fn a_string_value_cut_inside_keeps_its_start() {
        assert_eq!(
            closed(
                r#"{"content": {"text": "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_err"#
            ),
            Some(
                json!({"content": {"text": "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_err"}})
            )
        );
        assert_eq!(closed(r#"{"t": "ab\"#), Some(json!({"t": "ab"})));
        assert_eq!(closed(r#"{"t": "ab\u00"#), Some(json!({"t": "ab"})));
        assert_eq!(
            closed("{\"t\": \"caf\u{e9}"),
            Some(json!({"t": "caf\u{e9}"}))
        );
        let cut = "{\"t\": \"caf\u{e9}".as_bytes();
        let half = &cut[..cut.len() - 1];
        let out = close_cut(half).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&out).unwrap(),
            json!({"t": "caf"})
        );
    }

    #[test]
    fn not_a_cut_prefix_is_none() {
        assert_eq!(closed(r#"{"a": 1}"#), None, "already closed");
        assert_eq!(closed(r#"{"a" 1"#), None);
        assert_eq!(closed(r#"{"a": 1 2"#), None);
        assert_eq!(closed(r#"{"a": 1]"#), None);
        assert_eq!(closed("hello"), None);
        assert_eq!(closed(""), None);
        assert_eq!(closed(&"[".repeat(300)), None);
    }

    #[test]
    fn every_prefix_of_a_document_closes_into_json() {
        let doc = r#"{"log": {"entries": [{"response": {"status": 429, "headers": [{"name": "x", "value": "a\"b\\c\u00e9"}], "content": {"text": "{\"a\": [1, 2.5e3, true, null]}"}}}, {"n": -1}]}}"#;
        for end in 1..doc.len() {
            let Some(out) = close_cut(&doc.as_bytes()[..end]) else {
                panic!("{end}: a cut prefix must close: {:?}", &doc[..end]);
            };
            assert!(
                serde_json::from_slice::<Value>(&out).is_ok(),
                "{end}: {:?}",
                String::from_utf8_lossy(&out)
            );
        }
        assert_eq!(
            close_cut(doc.as_bytes()),
            None,
            "the whole document is no cut"
        );
    }
}
