//! Keeps secrets and identifiers out of output. API keys are removed from everything the tool
//! prints, always; `--redact` also replaces org, workspace and request ids.

/// Token characters of keys and ids.
fn is_tok(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Replaces every token that starts with one of `prefixes` (and has more than `min` token
/// characters after it) with `prefix` + `replacement`.
fn replace_prefixed(s: &str, prefixes: &[&str], min: usize, replacement: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'outer: while i < s.len() {
        for p in prefixes {
            if s[i..].starts_with(p) && (i == 0 || !s[..i].chars().next_back().is_some_and(is_tok))
            {
                let rest = &s[i + p.len()..];
                let n = rest.find(|c: char| !is_tok(c)).unwrap_or(rest.len());
                if n > min {
                    out.push_str(p);
                    out.push_str(replacement);
                    i += p.len() + n;
                    continue 'outer;
                }
            }
        }
        let c = s[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Removes API keys (`sk-ant-...`, and admin keys) from text. Applied to all output.
pub fn keys(s: &str) -> String {
    if !s.contains("sk-") {
        return s.to_string();
    }
    replace_prefixed(s, &["sk-ant-", "sk-"], 8, "[REDACTED]")
}

/// Removes keys, request ids, org/workspace ids and UUIDs (org ids appear as UUIDs in messages).
pub fn ids(s: &str) -> String {
    let s = keys(s);
    let s = replace_prefixed(
        &s,
        &["req_", "wrkspc_", "org_", "msg_", "rlg_", "apikey_"],
        3,
        "[REDACTED]",
    );
    redact_uuids(&s)
}

fn redact_uuids(s: &str) -> String {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if i + 36 <= b.len() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            let mut ok = true;
            for (k, n) in SHAPE.iter().enumerate() {
                if !b[j..j + n].iter().all(u8::is_ascii_hexdigit) {
                    ok = false;
                    break;
                }
                j += n;
                if k < 4 {
                    if b[j] != b'-' {
                        ok = false;
                        break;
                    }
                    j += 1;
                }
            }
            if ok && (j == b.len() || !b[j].is_ascii_alphanumeric()) {
                out.push_str("[REDACTED-ID]");
                i = j;
                continue;
            }
        }
        let c = s[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Text redaction as chosen by `--redact`.
pub fn apply(s: &str, redact_ids: bool) -> String {
    if redact_ids { ids(s) } else { keys(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_always_removed() {
        assert_eq!(
            keys("x-api-key: sk-ant-api03-AbCdEf_123-xyz rest"),
            "x-api-key: sk-ant-[REDACTED] rest"
        );
        assert_eq!(keys("no secrets here"), "no secrets here");
    }

    #[test]
    fn ids_are_removed_on_request() {
        let s = "req_011CVabc org 3fa85f64-5717-4562-b3fc-2c963f66afa6 wrkspc_01XyZ é";
        assert_eq!(
            ids(s),
            "req_[REDACTED] org [REDACTED-ID] wrkspc_[REDACTED] é"
        );
    }
}
