//! Multi-word search over lower-cased text for the text pre-filters: [`WordSearch`] and the
//! helpers that prepare its word lists.

/// The words of `words` that contain no other of them: for "does any occur" searches the
/// rest are redundant (a text holding `requests` holds `request`), and a shorter list lets
/// the multi-pattern searcher use its fastest (SIMD) form.
pub fn minimal_words<S: AsRef<str>>(words: &[S]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for w in words.iter().map(AsRef::as_ref) {
        let redundant = words
            .iter()
            .map(AsRef::as_ref)
            .any(|o| o != w && w.contains(o));
        if !redundant && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Words for a multi-pattern search in the order that suits its SIMD searcher (Teddy): it spreads patterns
/// over 8 or 16 buckets by pattern number (number modulo the bucket count) and checks each
/// bucket against the union of its patterns' leading bytes, so patterns that share leading
/// letters belong in one bucket. Sorted words are dealt out in runs, a run per bucket, the
/// longer runs first (so the numbering has no gaps). Only speed depends on this order: the
/// search asks where the first word is, never which.
pub fn bucket_order(mut words: Vec<&str>) -> Vec<&str> {
    words.sort_unstable();
    let buckets = if words.len() > 32 { 16 } else { 8 };
    let (per, extra) = (words.len() / buckets, words.len() % buckets);
    let mut runs = Vec::with_capacity(buckets);
    let mut rest = &words[..];
    for b in 0..buckets {
        let (run, tail) = rest.split_at(per + usize::from(b < extra));
        runs.push(run);
        rest = tail;
    }
    (0..per + 1)
        .flat_map(|j| runs.iter().filter_map(move |r| r.get(j).copied()))
        .collect()
}

/// An automaton over a fixed word list that is cheap to build: a contiguous NFA, not the
/// DFA the crate picks by itself for up to 100 patterns. Building that DFA for the rule
/// phrases, the rule words and the trigger words was about 70% of the CPU of replaying a
/// 1 KB file (every `hook` and `status` call paid it); the NFA builds in a fraction of the
/// time, finds the same matches, and is only searched on the few lines a SIMD pre-filter
/// lets through. `ascii_case_insensitive` for searches over text not lower-cased first.
pub fn light_automaton<I, P>(
    words: I,
    kind: aho_corasick::MatchKind,
    ascii_case_insensitive: bool,
) -> aho_corasick::AhoCorasick
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .match_kind(kind)
        .ascii_case_insensitive(ascii_case_insensitive)
        .build(words)
        .expect("static patterns build")
}

/// Finds the first of a set of words in lower-cased text. Where the machine has the SIMD
/// (Teddy) searcher, each word of four bytes or more is found by its least common four-byte
/// window (its anchor, see [`anchor_of`]) and checked whole around each anchor hit; shorter
/// words are searched whole by a second SIMD searcher. Elsewhere (or with more anchors than
/// the SIMD searcher takes) a full aho-corasick automaton finds the words. Leftmost: the
/// first line with a word is the one wanted.
///
/// Why anchors: Teddy confirms every position whose first few bytes look like some pattern's
/// (per nibble, per bucket); over four dozen words whose first bytes are common letters,
/// confirming candidates was most of the search's cost. Rare four-byte windows took a sixth
/// off it on a service log (93 M instructions against 112 M on 20 MB; docs/performance.md).
pub enum WordSearch {
    Packed(Anchored),
    Automaton(aho_corasick::AhoCorasick),
}

/// The SIMD form of [`WordSearch`]: anchors for the long words, the short words whole.
pub struct Anchored {
    /// Every distinct anchor, one pattern each; `None` when no word is long enough.
    anchors: Option<aho_corasick::packed::Searcher>,
    /// Per anchor pattern: the words that hold it and where (offset of the anchor in the word).
    groups: Vec<Vec<(usize, Box<[u8]>)>>,
    /// The largest such offset: a word found through an anchor at `h` starts at or after
    /// `h - max_off`.
    max_off: usize,
    /// The words shorter than an anchor, searched whole.
    short: Option<aho_corasick::packed::Searcher>,
}

/// Anchor length: Teddy's longest fingerprint.
const ANCHOR: usize = 4;

/// The window of `ANCHOR` bytes of `word` least likely in ordinary log text: the one whose
/// bytes are rarest by a fixed ranking (letters by English frequency; digits and the
/// punctuation of timestamps and key=value pairs ranked with the rare letters, which measured
/// best on a service log). Only speed depends on the choice: every occurrence of a word holds
/// each of its windows.
fn anchor_of(word: &[u8]) -> usize {
    (0..=word.len() - ANCHOR)
        .min_by_key(|&i| cost_of(&word[i..i + ANCHOR]))
        .unwrap_or(0)
}

/// How common a window's bytes are in log text (see [`anchor_of`]): lower is rarer.
fn cost_of(window: &[u8]) -> usize {
    // From most to least common in log lines.
    const COMMON: &[u8] = b" etaoinsrhldcumfpgwybvkxjqz0123456789_-:/.=,'\"";
    let cost = |b: u8| {
        COMMON
            .iter()
            .position(|&c| c == b)
            .map_or(0, |i| COMMON.len() - i)
    };
    window.iter().map(|&b| cost(b)).sum()
}

/// Teddy's slim (32-byte) form takes at most this many patterns; past it the fat form
/// searches half as many bytes per step.
const SLIM_PATTERNS: usize = 32;

/// The anchor of each word (its offset): the rarest window of each ([`anchor_of`]) when
/// that makes at most [`SLIM_PATTERNS`] distinct anchors; else windows shared by several
/// words, the one held by the most words still without an anchor first (the rarer on a
/// tie). The 41 long trigger words get 35 anchors instead of 41: fewer patterns share each
/// of the fat searcher's buckets, and fewer candidates need confirming (231 M instructions
/// against 241 M replaying 20 MB of a service log; docs/performance.md). Only speed depends
/// on the choice: every occurrence of a word holds each of its windows.
fn anchor_offsets(words: &[&[u8]]) -> Vec<usize> {
    let rarest: Vec<usize> = words.iter().map(|w| anchor_of(w)).collect();
    let mut distinct: Vec<&[u8]> = words
        .iter()
        .zip(&rarest)
        .map(|(w, &o)| &w[o..o + ANCHOR])
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= SLIM_PATTERNS {
        return rarest;
    }
    // Every window, with its cost and the words holding it (each word once).
    let mut pairs: Vec<(&[u8], usize)> = words
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.windows(ANCHOR).map(move |x| (x, i)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut held: Vec<(&[u8], usize, Vec<usize>)> = Vec::new();
    for (x, i) in pairs {
        match held.last_mut() {
            Some((y, _, ws)) if *y == x => ws.push(i),
            _ => held.push((x, cost_of(x), vec![i])),
        }
    }
    let mut offsets: Vec<Option<usize>> = vec![None; words.len()];
    while offsets.iter().any(Option::is_none) {
        let open = |ws: &[usize]| ws.iter().filter(|&&i| offsets[i].is_none()).count();
        let (best, _, ws) = held
            .iter()
            .max_by_key(|(x, cost, ws)| (open(ws), std::cmp::Reverse(*cost), std::cmp::Reverse(*x)))
            .expect("an open word has a window");
        if open(ws) < 2 {
            // No window is shared any more: each word left keeps its rarest.
            break;
        }
        for (w, o) in words.iter().zip(offsets.iter_mut()) {
            if o.is_none() {
                *o = w.windows(ANCHOR).position(|x| x == *best);
            }
        }
    }
    offsets
        .into_iter()
        .zip(rarest)
        .map(|(o, r)| o.unwrap_or(r))
        .collect()
}

fn packed(words: &[&[u8]]) -> Option<Option<aho_corasick::packed::Searcher>> {
    if words.is_empty() {
        return Some(None);
    }
    let mut b = aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .builder();
    b.extend(words).build().map(Some)
}

impl Anchored {
    fn new(words: &[&str]) -> Option<Anchored> {
        let mut anchors: Vec<&[u8]> = Vec::new();
        let mut groups: Vec<Vec<(usize, Box<[u8]>)>> = Vec::new();
        let mut short: Vec<&[u8]> = Vec::new();
        let long: Vec<&[u8]> = words
            .iter()
            .map(|w| w.as_bytes())
            .filter(|w| w.len() >= ANCHOR)
            .collect();
        let offsets = anchor_offsets(&long);
        short.extend(
            words
                .iter()
                .map(|w| w.as_bytes())
                .filter(|w| w.len() < ANCHOR),
        );
        for (w, off) in long.into_iter().zip(offsets) {
            let a = &w[off..off + ANCHOR];
            let entry = (off, Box::from(w));
            match anchors.iter().position(|x| *x == a) {
                Some(i) => groups[i].push(entry),
                None => {
                    anchors.push(a);
                    groups.push(vec![entry]);
                }
            }
        }
        let max_off = groups.iter().flatten().map(|(o, _)| *o).max().unwrap_or(0);
        // The anchors stay in the callers' order: sorted into Teddy buckets by leading byte
        // (`bucket_order`), rare windows share too little to gain from it, and measured 14%
        // more instructions on a service log.
        Some(Anchored {
            anchors: packed(&anchors)?,
            groups,
            max_off,
            short: packed(&short)?,
        })
    }

    /// The leftmost long word at or after `from`: anchor hits in order; past the first word
    /// found, only anchors close enough to belong to a word starting earlier are looked at.
    fn find_long(&self, hay: &[u8], from: usize) -> Option<usize> {
        let s = self.anchors.as_ref()?;
        let mut best: Option<usize> = None;
        let mut at = from;
        loop {
            let end = best.map_or(hay.len(), |b| {
                (b + self.max_off + ANCHOR - 1).min(hay.len())
            });
            if at >= end {
                return best;
            }
            let Some(m) = s.find_in(hay, aho_corasick::Span::from(at..end)) else {
                return best;
            };
            let h = m.start();
            for (off, w) in &self.groups[m.pattern().as_usize()] {
                if let Some(st) = h.checked_sub(*off)
                    && st >= from
                    && best.is_none_or(|b| st < b)
                    && hay[st..].starts_with(w)
                {
                    best = Some(st);
                }
            }
            at = h + 1;
        }
    }

    /// Whether any long word occurs in `hay`: [`Self::find_long`] without looking for an
    /// earlier word once one is found.
    fn any_long(&self, hay: &[u8]) -> bool {
        let Some(s) = self.anchors.as_ref() else {
            return false;
        };
        let mut at = 0;
        while at < hay.len() {
            let Some(m) = s.find_in(hay, aho_corasick::Span::from(at..hay.len())) else {
                return false;
            };
            let h = m.start();
            if self.groups[m.pattern().as_usize()].iter().any(|(off, w)| {
                h.checked_sub(*off)
                    .is_some_and(|st| hay[st..].starts_with(w))
            }) {
                return true;
            }
            at = h + 1;
        }
        false
    }

    /// The leftmost short word starting in `from..before` (`before`: at most `hay.len()`).
    fn find_short(&self, hay: &[u8], from: usize, before: usize) -> Option<usize> {
        let s = self.short.as_ref()?;
        let end = (before + ANCHOR - 1).min(hay.len());
        if from >= end {
            return None;
        }
        s.find_in(hay, aho_corasick::Span::from(from..end))
            .map(|m| m.start())
            .filter(|&st| st < before)
    }
}

/// The searches [`WordSearch::find`] combines, for a caller that keeps each one's last hit
/// (so that neither is run again over text it has already passed).
#[derive(Debug, Clone, Copy)]
pub enum Part {
    /// The anchored long words (all words, for the automaton).
    Long,
    /// The short words searched whole (none, for the automaton).
    Short,
}

impl WordSearch {
    pub fn new(words: &[&str]) -> WordSearch {
        match Anchored::new(words) {
            Some(a) => WordSearch::Packed(a),
            None => WordSearch::Automaton(
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(words)
                    .expect("static patterns build"),
            ),
        }
    }

    /// Where the first word at or after `from` in `hay` starts.
    pub fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        match self {
            WordSearch::Packed(a) => {
                if from > hay.len() {
                    return None;
                }
                let long = a.find_long(hay, from);
                a.find_short(hay, from, long.unwrap_or(hay.len())).or(long)
            }
            WordSearch::Automaton(_) => self.find_part(Part::Long, hay, from),
        }
    }

    /// Where the first word of one [`Part`] at or after `from` in `hay` starts; the earlier
    /// of the two parts' answers is [`Self::find`]'s.
    pub fn find_part(&self, part: Part, hay: &[u8], from: usize) -> Option<usize> {
        if from > hay.len() {
            return None;
        }
        match (self, part) {
            (WordSearch::Packed(a), Part::Long) => a.find_long(hay, from),
            (WordSearch::Packed(a), Part::Short) => a.find_short(hay, from, hay.len()),
            (WordSearch::Automaton(a), Part::Long) => a
                .find(aho_corasick::Input::new(hay).range(from..))
                .map(|m| m.start()),
            (WordSearch::Automaton(_), Part::Short) => None,
        }
    }

    /// Whether any word occurs in `hay`: stops at the first word found, wherever it is.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        match self {
            WordSearch::Packed(a) => {
                a.short.as_ref().is_some_and(|s| s.find(hay).is_some()) || a.any_long(hay)
            }
            WordSearch::Automaton(a) => a.is_match(hay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-filter's trigger words (as `capture::scan::prefilter` prepares them).
    fn trigger_words() -> Vec<String> {
        crate::classify::rules::triggers()
            .iter()
            .map(|t| t.to_ascii_lowercase())
            .filter(|t| t.len() > 1)
            .collect()
    }

    #[test]
    fn many_words_share_anchors() {
        let owned = trigger_words();
        let words = minimal_words(&owned);
        let long: Vec<&[u8]> = words
            .iter()
            .map(|w| w.as_bytes())
            .filter(|w| w.len() >= ANCHOR)
            .collect();
        let distinct = |offsets: &[usize]| {
            let mut a: Vec<&[u8]> = long
                .iter()
                .zip(offsets)
                .map(|(w, &o)| &w[o..o + ANCHOR])
                .collect();
            a.sort_unstable();
            a.dedup();
            a.len()
        };
        let rarest: Vec<usize> = long.iter().map(|w| anchor_of(w)).collect();
        let shared = anchor_offsets(&long);
        assert!(distinct(&rarest) > SLIM_PATTERNS, "{}", distinct(&rarest));
        assert!(
            distinct(&shared) < distinct(&rarest) - 4,
            "{}",
            distinct(&shared)
        );
        for (w, o) in long.iter().zip(&shared) {
            assert!(o + ANCHOR <= w.len());
        }
        // A few words lose their rarest window, so most anchors stay selective.
        let kept = rarest.iter().zip(&shared).filter(|(a, b)| a == b).count();
        assert!(kept * 2 > long.len(), "{kept} of {}", long.len());
        // Words few enough for the slim searcher keep their rarest windows.
        assert_eq!(anchor_offsets(&long[..8]), rarest[..8]);
    }

    #[test]
    fn every_word_is_found_where_it_starts() {
        let owned = trigger_words();
        let words = bucket_order(minimal_words(&owned));
        let search = WordSearch::new(&words);
        assert!(matches!(search, WordSearch::Packed(_)) || !cfg!(target_arch = "x86_64"));
        for w in &words {
            for hay in [
                format!("2026-01-01 info the quick brown fox {w} jumped over 12345"),
                w.to_string(),
                format!("x{w}"),
            ] {
                let at = hay.find(w).unwrap();
                assert_eq!(search.find(hay.as_bytes(), 0), Some(at), "{w} in {hay}");
                assert!(search.is_match(hay.as_bytes()), "{w}");
                assert_eq!(search.find(hay.as_bytes(), at + 1), None, "{w} in {hay}");
            }
        }
        let plain = b"2026-01-01 info the quick brown fox jumped over 12345 user=7 ok";
        assert_eq!(search.find(plain, 0), None);
        assert!(!search.is_match(plain));
    }
}
