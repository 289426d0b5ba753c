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
            .any(|o| o != w && holds(w, o));
        if !redundant && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Whether `word` holds `part`: `str::contains` for the short words of these lists, without
/// its searcher's set-up per call (these lists are prepared at start-up, pair by pair: with
/// `contains` that was a sixth of replaying a small file).
pub fn holds(word: &str, part: &str) -> bool {
    let (w, p) = (word.as_bytes(), part.as_bytes());
    let Some((&first, rest)) = p.split_first() else {
        return true;
    };
    if p.len() > w.len() {
        return false;
    }
    memchr::memchr_iter(first, &w[..=w.len() - p.len()]).any(|i| &w[i + 1..i + p.len()] == rest)
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
    Packed(Box<Anchored>),
    Automaton(aho_corasick::AhoCorasick),
}

/// The SIMD form of [`WordSearch`]: anchors for the long words, the short words whole.
pub struct Anchored {
    /// Every distinct anchor, one pattern each, and the words that hold it; `None` when no
    /// word is long enough.
    long: Option<Long>,
    /// The anchors in `long`'s order, for [`Self::tuned`].
    patterns: Vec<Box<[u8]>>,
    /// `long` with its anchors dealt into Teddy's buckets to suit the text searched (see
    /// [`tune`]): made from the first haystack of at least [`TUNE_MIN`] bytes.
    tuned: std::sync::OnceLock<Option<Box<Long>>>,
    /// The largest offset of an anchor in its word: a word found through an anchor at `h`
    /// starts at or after `h - max_off`.
    max_off: usize,
    /// The words shorter than an anchor, searched whole.
    short: Option<aho_corasick::packed::Searcher>,
}

/// The anchors' searcher and, per anchor pattern, the words that hold it and where (offset
/// of the anchor in the word).
struct Long {
    searcher: aho_corasick::packed::Searcher,
    groups: Vec<Vec<(usize, Box<[u8]>)>>,
}

/// A haystack this long (a pre-filter's chunk, not a line) has the anchors' buckets tuned
/// to its first [`TUNE_SAMPLE`] bytes.
const TUNE_MIN: usize = 128 * 1024;
const TUNE_SAMPLE: usize = 8 * 1024;

/// How many buckets Teddy (aho-corasick 1.1) spreads `n` patterns over: 16 in its fat form
/// (more than [`SLIM_PATTERNS`], AVX2), else 8.
fn teddy_buckets(n: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if n > SLIM_PATTERNS && std::arch::is_x86_feature_detected!("avx2") {
        return 16;
    }
    let _ = n;
    8
}

/// An order of `anchors` for Teddy that deals them into its buckets so that few positions
/// of `sample` look like some bucket's anchors without being one. Teddy (aho-corasick
/// 1.1) puts pattern `i` in bucket `buckets - 1 - i % buckets` and checks each bucket
/// against the union of its patterns' nibbles at each of the four positions: two anchors
/// in one bucket also accept every mix of their nibbles (`data` with `rate` accepts `date`,
/// `rata`, ...), and confirming those false candidates was a third of the anchored search
/// on a service log. Each pair's false candidates are counted in the sample (from the
/// positions holding an accepted first byte), and pairs are swapped between buckets while
/// the sum over the buckets' pairs falls. Only speed depends on the order.
fn tune(anchors: &[&[u8]], sample: &[u8]) -> Vec<usize> {
    let n = anchors.len();
    let buckets = teddy_buckets(n);
    if n <= buckets || anchors.iter().any(|a| a.len() != ANCHOR) || sample.len() < ANCHOR {
        return (0..n).collect();
    }
    // The sample's window starts by their first two bytes (a counting sort).
    let sample = &sample[..sample.len().min(usize::from(u16::MAX))];
    let windows = sample.len() + 1 - ANCHOR;
    let key = |i: usize| usize::from(sample[i]) << 8 | usize::from(sample[i + 1]);
    let mut start = vec![0u32; 1 << 16];
    for i in 0..windows {
        start[key(i)] += 1;
    }
    // Exclusive prefix sums: where each key's windows begin.
    let mut sum = 0;
    for s in start.iter_mut() {
        (*s, sum) = (sum, sum + *s);
    }
    // Placed by `start[k]` counting up, after which key k's windows are `ends[k - 1]..ends[k]`.
    let mut starts = vec![0u16; windows];
    for i in 0..windows {
        let f = &mut start[key(i)];
        starts[*f as usize] = i as u16;
        *f += 1;
    }
    let ends = start;
    let range = |k: usize| (if k == 0 { 0 } else { ends[k - 1] as usize })..ends[k] as usize;
    // Per position of a pair: the low and high nibbles of its two anchors, as bit sets.
    let bits = |c: u8| (1u16 << (c & 15), 1u16 << (c >> 4));
    // The bytes a pair accepts at a position: each of its high nibbles with each of its low.
    let accepted = |x: u8, y: u8| {
        let mut out = [x, x & 0xF0 | y & 15, y & 0xF0 | x & 15, y];
        out.sort_unstable();
        let mut n = 1;
        for i in 1..4 {
            if out[i] != out[n - 1] {
                out[n] = out[i];
                n += 1;
            }
        }
        (out, n)
    };
    // False candidates of each pair sharing a bucket: windows whose every byte has a low
    // nibble and a high nibble among the pair's at that position, and that are neither.
    let mut cost = vec![0u32; n * n];
    for a in 0..n {
        for b in a + 1..n {
            let masks: [(u16, u16); ANCHOR] = std::array::from_fn(|k| {
                let (la, ha) = bits(anchors[a][k]);
                let (lb, hb) = bits(anchors[b][k]);
                (la | lb, ha | hb)
            });
            let ok = |k: usize, c: u8| {
                let (l, h) = bits(c);
                masks[k].0 & l != 0 && masks[k].1 & h != 0
            };
            let mut c = 0u32;
            let (first, n0) = accepted(anchors[a][0], anchors[b][0]);
            let (second, n1) = accepted(anchors[a][1], anchors[b][1]);
            for &b0 in &first[..n0] {
                for &b1 in &second[..n1] {
                    let k = usize::from(b0) << 8 | usize::from(b1);
                    for &i in &starts[range(k)] {
                        let w = &sample[usize::from(i)..usize::from(i) + ANCHOR];
                        if ok(2, w[2]) && ok(3, w[3]) && w != anchors[a] && w != anchors[b] {
                            c += 1;
                        }
                    }
                }
            }
            cost[a * n + b] = c;
            cost[b * n + a] = c;
        }
    }
    // Pattern i is in bucket i % buckets here (Teddy's numbering reversed: the same split).
    let mut members: Vec<Vec<usize>> = (0..buckets)
        .map(|b| (b..n).step_by(buckets).collect())
        .collect();
    // What `a` costs with the anchors of bucket `m` but `but`.
    let with = |m: &[usize], a: usize, but: usize| -> u32 {
        m.iter()
            .filter(|&&x| x != but)
            .map(|&x| cost[a * n + x])
            .sum()
    };
    for _ in 0..8 {
        let mut better = false;
        for ba in 0..buckets {
            for bb in ba + 1..buckets {
                for i in 0..members[ba].len() {
                    for j in 0..members[bb].len() {
                        let (a, b) = (members[ba][i], members[bb][j]);
                        let (ma, mb) = (&members[ba], &members[bb]);
                        let now = with(ma, a, a) + with(mb, b, b);
                        let swapped = with(mb, a, b) + with(ma, b, a);
                        if swapped < now {
                            members[ba][i] = b;
                            members[bb][j] = a;
                            better = true;
                        }
                    }
                }
            }
        }
        if !better {
            break;
        }
    }
    // Pattern numbers: the k-th anchor of bucket j gets number j + k * buckets.
    let mut order = vec![0; n];
    for (j, m) in members.iter().enumerate() {
        for (k, &a) in m.iter().enumerate() {
            order[j + k * buckets] = a;
        }
    }
    order
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

impl Long {
    /// `None` inside when there are no anchors; `None` outside when Teddy is not available.
    fn new(anchors: &[&[u8]], groups: Vec<Vec<(usize, Box<[u8]>)>>) -> Option<Option<Long>> {
        Some(packed(anchors)?.map(|searcher| Long { searcher, groups }))
    }
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
        // The anchors stay in the callers' order until a long text tunes it ([`tune`]):
        // sorted into Teddy buckets by leading byte (`bucket_order`), rare windows share too
        // little to gain from it, and measured 14% more instructions on a service log.
        Some(Anchored {
            long: Long::new(&anchors, groups)?,
            patterns: anchors.iter().map(|a| Box::from(*a)).collect(),
            tuned: std::sync::OnceLock::new(),
            max_off,
            short: packed(&short)?,
        })
    }

    /// The anchors' searcher for `hay`: tuned to the first long haystack (see [`tune`]).
    fn long_for(&self, hay: &[u8]) -> Option<&Long> {
        let tuned = if hay.len() >= TUNE_MIN {
            self.tuned.get_or_init(|| {
                let anchors: Vec<&[u8]> = self.patterns.iter().map(|a| &a[..]).collect();
                let order = tune(&anchors, &hay[..TUNE_SAMPLE]);
                let long = self.long.as_ref()?;
                let anchors: Vec<&[u8]> = order.iter().map(|&i| anchors[i]).collect();
                let groups = order.iter().map(|&i| long.groups[i].clone()).collect();
                Long::new(&anchors, groups).flatten().map(Box::new)
            })
        } else {
            self.tuned.get().unwrap_or(&None)
        };
        tuned.as_deref().or(self.long.as_ref())
    }

    /// The leftmost long word at or after `from`: anchor hits in order; past the first word
    /// found, only anchors close enough to belong to a word starting earlier are looked at.
    fn find_long(&self, hay: &[u8], from: usize) -> Option<usize> {
        let Long {
            searcher: s,
            groups,
        } = self.long_for(hay)?;
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
            for (off, w) in &groups[m.pattern().as_usize()] {
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
        let Some(Long {
            searcher: s,
            groups,
        }) = self.long_for(hay)
        else {
            return false;
        };
        let mut at = 0;
        while at < hay.len() {
            let Some(m) = s.find_in(hay, aho_corasick::Span::from(at..hay.len())) else {
                return false;
            };
            let h = m.start();
            if groups[m.pattern().as_usize()].iter().any(|(off, w)| {
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
            Some(a) => WordSearch::Packed(Box::new(a)),
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

    /// `holds` is `str::contains`: every pair of the trigger words and a few edge cases.
    #[test]
    fn holds_is_contains() {
        let mut words: Vec<&str> = crate::classify::rules::triggers();
        words.extend(["", "a", "aa", "aaa", "abab", "ab", "ba", "x y", "y"]);
        for w in &words {
            for p in &words {
                assert_eq!(holds(w, p), w.contains(p), "{w:?} holds {p:?}");
            }
        }
    }

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

    /// A long haystack of log lines with trigger words (and their near misses) here and
    /// there: what a pre-filter's chunk looks like.
    fn log_chunk(words: &[&str], seed: u64) -> Vec<u8> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut hay = Vec::new();
        let fillers = [
            "2026-11-20 14:00:00,010 info app.api: get /v1/orders/70240 200 375ms client=10.0.29.233",
            "2026-11-20 14:00:00,158 debug app.cache: cache hit key=doc:6947ccf25ec8 ttl=570s",
            "2026-11-20 14:00:00,121 info app.auth: session refreshed user=497129 scopes=read,write",
            "2026-11-20 14:00:00,192 debug app.db: select id, status, updated_at from documents",
            "published extra={'event': 'order.updated', 'order_id': 4290, 'date': 'rate data'}",
        ];
        while hay.len() < TUNE_MIN + 64 * 1024 {
            hay.extend_from_slice(fillers[rng.usize(..fillers.len())].as_bytes());
            if rng.u8(..) < 24 {
                let w = words[rng.usize(..words.len())].as_bytes();
                hay.push(b' ');
                // The word, or the word cut short by one byte (a near miss).
                let cut = if rng.bool() { w.len() } else { w.len() - 1 };
                hay.extend_from_slice(&w[..cut]);
            }
            hay.push(b'\n');
        }
        hay
    }

    #[test]
    fn tuned_buckets_find_the_same_words() {
        let owned = trigger_words();
        let words = bucket_order(minimal_words(&owned));
        let reference = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&words)
            .unwrap();
        for seed in 0..3 {
            // A fresh searcher: the first long haystack tunes it.
            let search = WordSearch::new(&words);
            let hay = log_chunk(&words, seed);
            let mut from = 0;
            let mut found = 0;
            loop {
                let want = reference
                    .find(aho_corasick::Input::new(&hay).range(from..))
                    .map(|m| m.start());
                assert_eq!(search.find(&hay, from), want, "seed {seed} from {from}");
                let long = search.find_part(Part::Long, &hay, from);
                let short = search.find_part(Part::Short, &hay, from);
                assert_eq!(long.into_iter().chain(short).min(), want);
                let Some(at) = want else { break };
                found += 1;
                from = at + 1;
            }
            assert!(found > 100, "{found}");
            if let WordSearch::Packed(a) = &search {
                assert!(a.tuned.get().is_some_and(Option::is_some));
            }
            // Short haystacks (lines) after tuning: the tuned anchors serve them too.
            for line in hay.split(|&b| b == b'\n').take(2000) {
                let want = reference.find(line).map(|m| m.start());
                assert_eq!(search.find(line, 0), want);
                assert_eq!(search.is_match(line), want.is_some());
            }
        }
    }

    #[test]
    fn tune_deals_every_anchor_once_and_parts_bad_pairs() {
        let anchors: Vec<&[u8]> = vec![
            b"data", b"exce", b"minu", b"ttp/", b"thro", b"unif", b"curr", b"etry", b"pi k",
            b"ched", b"your", b"opus", b"usag", b"many", b"pend", b"cred", b"rate", b"rror",
            b"verl", b"xhau", b"quot", b"nval", b"ject", b"prov", b"-amz", b"ekly", b"long",
            b"pi-k", b"thly", b"tion", b"hour", b"t-id", b"rock", b"larg", b"mpor",
        ];
        let sample = b"updated_at date=2026-11-20 state rate data date late gate ".repeat(200);
        let order = tune(&anchors, &sample);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..anchors.len()).collect::<Vec<_>>());
        // `data` (number 0) and `rate` (16) start in one bucket, where together they accept
        // `date`; they end up apart.
        let buckets = teddy_buckets(order.len());
        let at = |a: usize| order.iter().position(|&x| x == a).unwrap() % buckets;
        assert_ne!(at(0), at(16));
        // Too few anchors to share a bucket, or a sample too short: the order stays.
        assert_eq!(tune(&anchors[..8], &sample), (0..8).collect::<Vec<_>>());
        assert_eq!(
            tune(&anchors, b"ab"),
            (0..anchors.len()).collect::<Vec<_>>()
        );
    }
}
