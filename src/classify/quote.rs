//! Evidence quotes: the words that decided, cut around the phrase that matched.

/// The longest quote, in characters (besides its quotes and the `...` of a cut).
const MAX: usize = 160;

/// Quotes `s` whole (whitespace collapsed, cut at about 160 characters).
pub(super) fn quote(s: &str) -> String {
    quote_around(s, None)
}

/// Quotes `s` (whitespace collapsed), cut to about 160 characters around `phrase` when given,
/// so the evidence shows the words that decided. `phrase` is lower case: it is looked for
/// character by character, never by a byte offset into a lower-cased copy (`İ` lower-cases
/// to three bytes from two).
pub(super) fn quote_around(s: &str, phrase: Option<&str>) -> String {
    let s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{23bf}');
    // The words joined by one space, in one buffer (no list of words, no second copy).
    let mut joined = String::with_capacity(s.len() + 2);
    joined.push('"');
    for w in s.split_whitespace() {
        if joined.len() > 1 {
            joined.push(' ');
        }
        joined.push_str(w);
    }
    let s = &joined[1..];
    let short = if s.is_ascii() {
        s.len() <= MAX
    } else {
        s.chars().nth(MAX).is_none()
    };
    if short {
        joined.push('"');
        return joined;
    }
    cut(&s.chars().collect::<Vec<_>>(), phrase)
}

/// The quote of a text of more than [`MAX`] characters: [`MAX`] of them around `phrase` (90
/// before it at most), `...` where cut.
fn cut(chars: &[char], phrase: Option<&str>) -> String {
    let at = phrase.and_then(|p| char_index_of(chars, p)).unwrap_or(0);
    let start = at.saturating_sub(90).min(chars.len().saturating_sub(MAX));
    let end = (start + MAX).min(chars.len());
    let mut out = String::from("\"");
    if start > 0 {
        out.push_str("...");
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push_str("...");
    }
    out.push('"');
    out
}

/// The index (in characters) where the lower-case `phrase` starts in `chars`, comparing each
/// character's lower-case form.
pub(super) fn char_index_of(chars: &[char], phrase: &str) -> Option<usize> {
    let first = phrase.chars().next()?;
    (0..chars.len()).find(|&i| {
        if !chars[i].to_lowercase().eq(std::iter::once(first))
            && chars[i].to_lowercase().next() != Some(first)
        {
            return false;
        }
        let mut want = phrase.chars().peekable();
        for c in &chars[i..] {
            for l in c.to_lowercase() {
                match want.next() {
                    Some(w) if w == l => {}
                    Some(_) => return false,
                    None => return true,
                }
            }
            if want.peek().is_none() {
                return true;
            }
        }
        want.peek().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quote as it was first written (words collected, joined, counted as characters; the
    /// cut of a long one is shared), which the faster one must match on every input.
    fn reference(s: &str, phrase: Option<&str>) -> String {
        let s = s
            .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{23bf}')
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let chars: Vec<char> = s.chars().collect();
        if chars.len() <= MAX {
            return format!("\"{s}\"");
        }
        cut(&chars, phrase)
    }

    #[test]
    fn quotes_as_the_reference_does() {
        let long = "word ".repeat(40);
        let wide = "é".repeat(159);
        let mut texts = vec![
            String::new(),
            " \t\n".into(),
            "\u{23bf}  \u{23bf}x".into(),
            "  rate   limit\n\treached  ".into(),
            "x".repeat(160),
            "x".repeat(161),
            wide.clone(),
            format!("{wide}é"),
            format!("{wide}éé"),
            format!("{wide} a"),
            format!("{long} would exceed the rate limit of 50 requests per minute {long}"),
            format!("İ{long}RATE LIMIT {long}"),
            "a\u{a0}b\u{2003}c\u{3000}d".into(),
        ];
        texts.push(format!("{}{}", "ab ".repeat(53), "é"));
        for t in &texts {
            for phrase in [None, Some("rate limit"), Some("nothing")] {
                assert_eq!(
                    quote_around(t, phrase),
                    reference(t, phrase),
                    "{t:?} {phrase:?}"
                );
            }
        }
    }
}
