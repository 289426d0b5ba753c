//! Bare header dumps: `name: value` lines in any case and order, as pasted from curl,
//! browser devtools or logs. Also the helpers other formats use to read header lines.

/// Headers the classifier reads. A dump made only of other headers is not a capture.
pub fn is_relevant(name: &str) -> bool {
    name.starts_with("anthropic-ratelimit-")
        || matches!(
            name,
            "retry-after"
                | "retry-after-ms"
                | "x-should-retry"
                | "request-id"
                | "anthropic-organization-id"
                | "anthropic-workspace-id"
                | "x-amzn-errortype"
                | "x-amzn-requestid"
                | "x-amzn-request-id"
        )
}

/// Parses one header line (`Name: value`, optionally prefixed by `< ` as in `curl -v`, or
/// quoted as in a JS/Python dict dump: `'name': 'value',`). Returns the lower-cased name and
/// the value. Only plausible header names are accepted (RFC 9110 token characters).
pub fn parse_line(line: &str) -> Option<(String, String)> {
    let mut l = line.trim();
    if let Some(rest) = l.strip_prefix("< ") {
        l = rest.trim_start();
    }
    // Markdown bullets and inline code: `- retry-after: 13`, `* \`retry-after: 13\``.
    if let Some(rest) = l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")) {
        l = rest.trim_start();
    }
    let l = l.trim_matches('`');
    let l = l.trim_end_matches(',');
    let (name, value) = match l.split_once(':') {
        Some(nv) if !nv.0.contains('=') => nv,
        // `name=value`, as agents and loggers print headers; only for the ones we read.
        _ => l
            .split_once('=')
            .filter(|(n, _)| is_relevant(&n.trim().to_ascii_lowercase()))?,
    };
    let name = name.trim().trim_matches(|c| c == '\'' || c == '"');
    if name.is_empty() || name.len() > 80 || !name.bytes().all(is_token_byte) {
        return None;
    }
    // "http://..." style false positives: a header name never has a value starting with //.
    let value = value.trim();
    if value.starts_with("//") {
        return None;
    }
    let value = value
        .trim_end_matches(',')
        .trim()
        .trim_matches(|c| c == '\'' || c == '"');
    Some((name.to_ascii_lowercase(), value.to_string()))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses an integer header value, tolerating thousands separators (`1,000`, `1_000`, `1 000`).
pub fn parse_int(v: &str) -> Option<u64> {
    // The common case, plain digits (19 at most: always a u64), read without the copy below.
    if (1..=19).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().ok();
    }
    // "13262   (~3.7h)": the number is what comes before any comment.
    let v = v.split("  ").next().unwrap_or(v);
    let v = v.split(" (").next().unwrap_or(v);
    let cleaned: String = v
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    if let Ok(n) = cleaned.parse::<u64>() {
        return Some(n);
    }
    // "0.0" or "12.5" from loggers that stringify numbers as floats.
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f >= 0.0)
        .map(|f| f.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain digits take a short cut; it answers as the general path does, up to the longest
    /// number a u64 holds and past it.
    #[test]
    fn plain_digits_parse_as_before() {
        for v in [
            "0",
            "007",
            "4000",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "",
        ] {
            let general = v.parse::<u64>().ok().or_else(|| {
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f.round() as u64)
            });
            assert_eq!(parse_int(v), general, "{v:?}");
        }
        assert_eq!(parse_int("1,000"), Some(1000));
    }

    #[test]
    fn parses_plain_and_prefixed_lines() {
        assert_eq!(
            parse_line("Retry-After: 12"),
            Some(("retry-after".into(), "12".into()))
        );
        assert_eq!(
            parse_line("< anthropic-ratelimit-requests-remaining: 0\r"),
            Some(("anthropic-ratelimit-requests-remaining".into(), "0".into()))
        );
        assert_eq!(
            parse_line("    'retry-after': '7',"),
            Some(("retry-after".into(), "7".into()))
        );
        assert_eq!(parse_line("see https://docs.anthropic.com"), None);
        assert_eq!(parse_line("this is a sentence: with colon"), None);
        assert_eq!(
            parse_line("anthropic-ratelimit-unified-5h-status=rejected"),
            Some((
                "anthropic-ratelimit-unified-5h-status".into(),
                "rejected".into()
            ))
        );
        assert_eq!(parse_line("foo=bar"), None);
    }

    #[test]
    fn ints_with_separators() {
        assert_eq!(parse_int("2,000,000"), Some(2_000_000));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int(" 0 "), Some(0));
        assert_eq!(parse_int("12.0"), Some(12));
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int("13262   (~3.7h advertised reset)"), Some(13262));
        assert_eq!(parse_int(""), None);
    }
}
