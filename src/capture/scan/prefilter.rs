//! The whole-chunk pre-filter of the text path (see [`Prefilter`]).

use super::read::trim_eol;
use crate::capture::text;
use crate::classify::rules::Part;

/// The whole-chunk pre-filter of the text path: finds the next line that can matter to a
/// quiet scanner (one holding a trigger word in any case, a `{`, or a NUL byte). The chunk
/// is lower-cased once into a scratch buffer so the multi-pattern search runs case-sensitive
/// (SIMD) over it; single-byte triggers go to `memchr`.
pub(super) struct Prefilter {
    lower: Vec<u8>,
    /// Last search result per kind: (searched from, hit): the word search's two parts
    /// (long words by their anchors, short words whole), then the single bytes.
    words: [(usize, Option<usize>); 2],
    bytes: (usize, Option<usize>),
    fresh: bool,
    /// `lower` already holds this chunk (its address and length), lowered by
    /// [`Prefilter::prime`] while its lines were counted.
    primed: Option<(usize, usize)>,
}

const PARTS: [Part; 2] = [Part::Long, Part::Short];

/// The first single-byte trigger (or NUL) in `hay`: `memchr2` for the one trigger byte there
/// is now (a third needle costs the search 5% of the text path's CPU), `memchr3` for two.
fn find_trigger_byte(hay: &[u8]) -> Option<usize> {
    match crate::classify::rules::TRIGGER_BYTES {
        [] => memchr::memchr(0, hay),
        [a] => memchr::memchr2(0, *a, hay),
        [a, b, ..] => memchr::memchr3(0, *a, *b, hay),
    }
}

impl Prefilter {
    pub(super) fn new() -> Self {
        Prefilter {
            lower: Vec::new(),
            words: [(0, None); 2],
            bytes: (0, None),
            fresh: false,
            primed: None,
        }
    }

    pub(super) fn reset(&mut self) {
        self.fresh = false;
    }

    /// Start of the first line at or after `pos` that the scanner must see, if any.
    pub(super) fn next(&mut self, data: &[u8], pos: usize) -> Option<usize> {
        let words = crate::classify::rules::trigger_search();
        if !self.fresh {
            if self.primed.take() != Some((data.as_ptr() as usize, data.len())) {
                self.lower.clear();
                self.lower.extend(data.iter().map(u8::to_ascii_lowercase));
            }
            self.fresh = true;
            for (w, part) in self.words.iter_mut().zip(PARTS) {
                *w = (0, words.find_part(part, &self.lower, 0));
            }
            self.bytes = (0, find_trigger_byte(data));
        }
        let stale = |(from, hit): (usize, Option<usize>)| match hit {
            Some(h) => h < pos,
            None => pos < from,
        };
        // Each part keeps its own last hit: a part whose hit is still ahead is not searched
        // again (the short words may be everywhere while the long ones are far apart).
        for (w, part) in self.words.iter_mut().zip(PARTS) {
            if stale(*w) {
                *w = (pos, words.find_part(part, &self.lower, pos));
            }
        }
        if stale(self.bytes) {
            self.bytes = (pos, find_trigger_byte(&data[pos..]).map(|i| pos + i));
        }
        let hit = match (self.word_hit(), self.bytes.1) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |i| pos + i + 1))
    }

    /// Lower-cases `data` (the chunk the next [`Prefilter::next`] calls will be given) and
    /// counts its newlines in the same pass: the chunk's first pass, when its worker numbers
    /// it ([`Job::count_lines`](super::pipeline::Job::count_lines)).
    pub(super) fn prime(&mut self, data: &[u8]) -> usize {
        let n = super::marks::lower_counting(data, &mut self.lower);
        self.primed = Some((data.as_ptr() as usize, data.len()));
        n
    }

    /// The first trigger word at or after where the parts were last searched from.
    fn word_hit(&self) -> Option<usize> {
        self.words.iter().filter_map(|w| w.1).min()
    }

    /// Lets a quiet scanner dismiss the line `data[pos..end]` (which the pre-filter stopped
    /// at) from its lower-cased copy, without decoding or pushing it: only ASCII lines with
    /// no NUL that do not start with `{` (the JSON Lines and binary checks of [`text_line`]).
    pub(super) fn take_quiet(
        &self,
        text: &mut text::TextScanner,
        data: &[u8],
        pos: usize,
        end: usize,
        before: &[u8],
    ) -> bool {
        let raw = trim_eol(&data[pos..end]);
        if raw.first() == Some(&b'{') || !raw.is_ascii() || memchr::memchr(0, raw).is_some() {
            return false;
        }
        let lower = &self.lower[pos..pos + raw.len()];
        // The word search's last hit is the first trigger word at or after this line's start.
        let has_word = self.word_hit().is_some_and(|h| h < end);
        std::str::from_utf8(raw).is_ok_and(|raw| text.take_quiet_line(raw, lower, has_word, before))
    }
}
