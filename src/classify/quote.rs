//! Evidence quotes: the words that decided, cut around the phrase that matched.

/// Quotes `s` whole (whitespace collapsed, cut at about 160 characters).
pub(super) fn quote(s: &str) -> String {
    quote_around(s, None)
}

/// Quotes `s` (whitespace collapsed), cut to about 160 characters around `phrase` when given,
/// so the evidence shows the words that decided. `phrase` is lower case: it is looked for
/// character by character, never by a byte offset into a lower-cased copy (`İ` lower-cases
/// to three bytes from two).
pub(super) fn quote_around(s: &str, phrase: Option<&str>) -> String {
    const MAX: usize = 160;
    let s = s
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{23bf}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX {
        return format!("\"{s}\"");
    }
    let at = phrase.and_then(|p| char_index_of(&chars, p)).unwrap_or(0);
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
