//! Keeps secrets and identifiers out of output. API keys are removed from everything the tool
//! prints, always; `--redact` also replaces org, workspace and request ids.

/// Token characters of keys and ids.
fn is_tok(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Replaces every token that starts with one of `prefixes` (and has more than `min` token
/// characters after it) with `prefix` + `replacement`. A prefix marked `glued` matches
/// wherever it starts (`...4sk-ant-...`, `%3Dsk-ant-...`); the others only at the start of a
/// token.
fn replace_prefixed(s: &str, prefixes: &[(&str, bool)], min: usize, replacement: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'outer: while i < s.len() {
        for &(p, glued) in prefixes {
            if s[i..].starts_with(p)
                && (glued || i == 0 || !s[..i].chars().next_back().is_some_and(is_tok))
            {
                let rest = &s[i + p.len()..];
                // A URL-encoded key goes on through its `%2D`s.
                let pct = p.contains('%');
                let n = rest
                    .find(|c: char| !(is_tok(c) || (pct && c == '%')))
                    .unwrap_or(rest.len());
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

/// Removes API keys from text. Applied to all output. `sk-ant-` keys (normal and admin) are
/// found wherever they start, glued to other text or after a URL-encoded `=` (`%3D`), and in
/// the URL-encoded form `sk%2Dant%2D...`; other `sk-` tokens only at a token start (so
/// `task-...` stays).
pub fn keys(s: &str) -> String {
    if !may_hold_key(s) {
        return s.to_string();
    }
    replace_prefixed(
        s,
        &[
            ("sk-ant-", true),
            ("sk%2Dant%2D", true),
            ("sk%2dant%2d", true),
            ("sk-", false),
        ],
        8,
        "[REDACTED]",
    )
}

/// The hot path (every verdict's JSON goes through [`keys`]): one SIMD substring pass for
/// `sk`, then a look at the next byte; only text with `sk-` or `sk%2` is scanned further.
fn may_hold_key(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memmem::find_iter(b, b"sk").any(|i| {
        let rest = &b[i + 2..];
        rest.first() == Some(&b'-') || rest.starts_with(b"%2")
    })
}

/// Removes keys, request ids, org/workspace ids and UUIDs (org ids appear as UUIDs in messages).
pub fn ids(s: &str) -> String {
    let s = keys(s);
    let s = replace_prefixed(
        &s,
        &[
            ("req_", false),
            ("wrkspc_", false),
            ("org_", false),
            ("msg_", false),
            ("rlg_", false),
            ("apikey_", false),
        ],
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
    fn glued_and_url_encoded_keys_are_removed() {
        let k = "sk-ant-api03-AbCdEf_123-xyzXYZ";
        for (text, want) in [
            (format!("id=1234{k}&x"), "id=1234sk-ant-[REDACTED]&x"),
            (format!("key%3D{k}%26"), "key%3Dsk-ant-[REDACTED]%26"),
            (format!("Bearer_{k}"), "Bearer_sk-ant-[REDACTED]"),
            (
                "q=sk%2Dant%2Dadmin01%2DAbCdEf123456".to_string(),
                "q=sk%2Dant%2D[REDACTED]",
            ),
        ] {
            let got = keys(&text);
            assert_eq!(got, want);
            assert!(!got.contains("AbCdEf_123"), "{got}");
        }
        // Other sk- tokens need a token start: words are left alone.
        assert_eq!(
            keys("task-runner-12345678 done"),
            "task-runner-12345678 done"
        );
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
