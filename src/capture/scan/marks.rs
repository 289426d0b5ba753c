//! One pass over a JSON Lines chunk that finds both its line ends and, per line, whether it
//! holds one of the words that keep a line from being a plain success (`rror`, `verloaded`,
//! `ejected`: [`jsonl::failure_words`](crate::capture::jsonl::failure_words)).
//!
//! The per-line way costs four searches over every byte (the newline, `rror`, `j`/`v`, and
//! the reader's line count); here each 32-byte block is loaded once and compared with `\n`,
//! `j`, `v` and the pair `rr` (every `rror` starts with one), and only those rare places are
//! looked at. On x86-64 with AVX2 (checked at run time); elsewhere the per-line searches.
//!
//! The text path's first pass over a chunk lives here too, with the same read-ahead: its
//! lower-cased copy made while its newlines are counted ([`lower_counting`]), run by the
//! worker that numbers a mapped chunk ([`Chunk::settle`](super::read::Chunk::settle)).

/// A line's end (just past its newline, or the chunk's end) and its word flag in one `u32`.
const FLAG: u32 = 1 << 31;

/// The lines of a chunk as [`line_marks`] found them: `(start, end, has_failure_word)`.
pub(super) fn lines(marks: &[u32]) -> impl Iterator<Item = (usize, usize, bool)> + '_ {
    let mut start = 0usize;
    marks.iter().map(move |&m| {
        let end = (m & !FLAG) as usize;
        let line = (start, end, m & FLAG != 0);
        start = end;
        line
    })
}

/// A mark's line end.
pub(super) fn end(mark: u32) -> usize {
    (mark & !FLAG) as usize
}

/// Fills `out` with one mark per line of `data` (see [`lines`]), for at most `max` lines:
/// the scan stops there (a chunk cut by its line count does not scan the rest of its window,
/// which the next chunk starts with). `data` must be shorter than 2 GiB (a chunk is at most
/// a few times [`MAX_LINE`](super::MAX_LINE)).
pub(super) fn line_marks(data: &[u8], out: &mut Vec<u32>, max: usize) {
    out.clear();
    debug_assert!(data.len() < FLAG as usize);
    if max == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above).
        unsafe { marks_avx2(data, out, max) };
        return;
    }
    marks_plain(data, out, max);
}

/// The per-line way: a newline search, then the words searched in the line.
fn marks_plain(data: &[u8], out: &mut Vec<u32>, max: usize) {
    let mut start = 0;
    while start < data.len() && out.len() < max {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        let flag = crate::capture::jsonl::failure_words(&data[start..end]);
        out.push(mark(end, flag));
        start = end;
    }
}

/// Sets `out` to `data` lower-cased (ASCII) and returns the newlines in `data`: the text
/// pre-filter's copy and the chunk's line count in one pass.
pub(super) fn lower_counting(data: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        out.reserve(data.len());
        // SAFETY: AVX2 is present (checked just above), and `out` has room for `data.len()`
        // bytes, which the call writes, every one.
        unsafe {
            let n = lower_counting_avx2(data, out.as_mut_ptr());
            out.set_len(data.len());
            return n;
        }
    }
    out.extend(data.iter().map(u8::to_ascii_lowercase));
    memchr::memchr_iter(b'\n', data).count()
}

/// Writes `data.len()` bytes at `out`: `data` lower-cased.
///
/// # Safety
/// AVX2 must be present, and `out` valid for `data.len()` bytes of writes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lower_counting_avx2(data: &[u8], out: *mut u8) -> usize {
    use std::arch::x86_64::*;
    let nl = _mm256_set1_epi8(b'\n' as i8);
    let a_minus = _mm256_set1_epi8(b'A' as i8);
    let z_span = _mm256_set1_epi8(25);
    let bit = _mm256_set1_epi8(0x20);
    let mut n = 0usize;
    let whole = data.len() / 32 * 32;
    let mut i = 0;
    while i < whole {
        if i % 64 == 0 {
            read_ahead(data, i);
        }
        // SAFETY: `i + 32 <= data.len()`: the load stays inside `data`, the store inside the
        // caller's `out`.
        unsafe {
            let v = _mm256_loadu_si256(data.as_ptr().add(i).cast());
            // `b - 'A'` at most 25 (unsigned): an upper-case letter, which gets bit 0x20.
            let t = _mm256_sub_epi8(v, a_minus);
            let upper = _mm256_cmpeq_epi8(_mm256_min_epu8(t, z_span), t);
            let lower = _mm256_or_si256(v, _mm256_and_si256(upper, bit));
            _mm256_storeu_si256(out.add(i).cast(), lower);
            n += (_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)) as u32).count_ones() as usize;
        }
        i += 32;
    }
    for (k, &b) in data[whole..].iter().enumerate() {
        // SAFETY: `whole + k < data.len()`.
        unsafe { out.add(whole + k).write(b.to_ascii_lowercase()) };
        n += usize::from(b == b'\n');
    }
    n
}

fn mark(end: usize, flag: bool) -> u32 {
    end as u32 | if flag { FLAG } else { 0 }
}

/// What the block scan stopped at, at `at`: a line's end, or a place a word may start.
/// Returns the new value of the current line's flag.
#[inline(always)]
fn event(data: &[u8], at: usize, flag: bool, out: &mut Vec<u32>) -> bool {
    match data[at] {
        b'\n' => {
            out.push(mark(at + 1, flag));
            false
        }
        b'v' => flag || data[at..].starts_with(b"verloaded"),
        // A `j` at a line's start has the previous newline before it, never an `e`.
        b'j' => flag || (at > 0 && data[at - 1..].starts_with(b"ejected")),
        _ => flag || data[at..].starts_with(b"rror"),
    }
}

/// Whether the block scan stops at `at` (the scalar form of its comparisons).
#[cfg(any(target_arch = "x86_64", test))]
fn stops_at(data: &[u8], at: usize) -> bool {
    matches!(data[at], b'\n' | b'j' | b'v') || data[at..].starts_with(b"rr")
}

/// How far ahead of the block scan its bytes are asked for (one cache line per 64 bytes
/// scanned). This pass is the first to read a chunk, straight from the page cache in main
/// memory, and the hardware prefetcher stops at each 4 KiB page, whose successor is
/// anywhere in memory: asking a page ahead made JSON Lines `replay` about 10% faster
/// (docs/performance.md, issue 31 round 6; 1 KiB and 8 KiB ahead were no better).
#[cfg(target_arch = "x86_64")]
const PREFETCH: usize = 4096;

/// Asks for the cache line [`PREFETCH`] bytes past `i` in `data`, when there is one.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn read_ahead(data: &[u8], i: usize) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    if let Some(ahead) = data.get(i + PREFETCH) {
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch of any address is
        // harmless (this one is inside `data`).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(ahead).cast()) };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn marks_avx2(data: &[u8], out: &mut Vec<u32>, max: usize) {
    use std::arch::x86_64::*;
    let nl = _mm256_set1_epi8(b'\n' as i8);
    let j = _mm256_set1_epi8(b'j' as i8);
    let v = _mm256_set1_epi8(b'v' as i8);
    let r = _mm256_set1_epi8(b'r' as i8);
    let mut flag = false;
    let mut i = 0;
    // Each block needs its 32 bytes and the one after (the second byte of a pair).
    while i + 33 <= data.len() {
        if i % 64 == 0 {
            read_ahead(data, i);
        }
        let block = &data[i..i + 33];
        // SAFETY: `block` holds 33 bytes: both unaligned 32-byte loads (at 0 and at 1) stay
        // inside it.
        let (a, b) = unsafe {
            (
                _mm256_loadu_si256(block.as_ptr().cast()),
                _mm256_loadu_si256(block.as_ptr().add(1).cast()),
            )
        };
        let rr = _mm256_and_si256(_mm256_cmpeq_epi8(a, r), _mm256_cmpeq_epi8(b, r));
        let nlj = _mm256_or_si256(_mm256_cmpeq_epi8(a, nl), _mm256_cmpeq_epi8(a, j));
        let vrr = _mm256_or_si256(_mm256_cmpeq_epi8(a, v), rr);
        let mut mask = _mm256_movemask_epi8(_mm256_or_si256(nlj, vrr)) as u32;
        while mask != 0 {
            let at = i + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            flag = event(data, at, flag, out);
            if out.len() == max {
                return;
            }
        }
        i += 32;
    }
    for at in i..data.len() {
        if stops_at(data, at) {
            flag = event(data, at, flag, out);
            if out.len() == max {
                return;
            }
        }
    }
    if data.last().is_some_and(|&b| b != b'\n') {
        out.push(mark(data.len(), flag));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::jsonl::failure_words;

    /// The lines and flags the per-line searches give.
    fn expected(data: &[u8]) -> Vec<(usize, usize, bool)> {
        let mut v = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
            v.push((start, end, failure_words(&data[start..end])));
            start = end;
        }
        v
    }

    fn check(data: &[u8]) {
        let mut out = Vec::new();
        line_marks(data, &mut out, usize::MAX);
        let got: Vec<_> = lines(&out).collect();
        let want = expected(data);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(data));
        out.clear();
        marks_plain(data, &mut out, usize::MAX);
        assert_eq!(lines(&out).collect::<Vec<_>>(), want);
        // Stopped after `max` lines: the first `max` of them.
        for max in [0, 1, 2, want.len().saturating_sub(1)] {
            let first = &want[..max.min(want.len())];
            line_marks(data, &mut out, max);
            assert_eq!(lines(&out).collect::<Vec<_>>(), first, "max {max}");
            out.clear();
            marks_plain(data, &mut out, max);
            assert_eq!(lines(&out).collect::<Vec<_>>(), first, "max {max}");
        }
    }

    #[test]
    fn words_found_wherever_they_fall_in_a_block() {
        for word in [
            "rror",
            "verloaded",
            "ejected",
            "Error",
            "rejected",
            "overloaded_error",
        ] {
            for pad in 0..140 {
                for tail in [0, 1, 2, 5, 40, 70] {
                    let line = format!("{}{word}{}\n", "x".repeat(pad), "y".repeat(tail));
                    check(line.as_bytes());
                    check(line.trim_end().as_bytes());
                    check(format!("{{\"status\":200}}\n{line}ok\n").as_bytes());
                }
            }
        }
    }

    #[test]
    fn near_misses_and_cut_words_are_not_words() {
        for text in [
            "rro\nr rr\n",
            "verloade\nd",
            "jected\n",
            "e\njected",
            "rr",
            "r",
            "",
            "\n",
            "\n\n",
            "ror rrr rrrr",
            "vvvverloaded",
            "jjjejected",
            "ejecte",
            "xrror",
        ] {
            for pad in 0..40 {
                check(format!("{}{text}", "z".repeat(pad)).as_bytes());
                check(format!("{text}{}", "z".repeat(pad)).as_bytes());
            }
        }
    }

    #[test]
    fn lowering_and_counting_is_lowering_then_counting() {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut out = b"left over from a longer chunk before".repeat(3000);
        for len in (0..200).chain([4095, 4097, 70_001, 33]) {
            let data: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let n = lower_counting(&data, &mut out);
            assert_eq!(out, data.to_ascii_lowercase(), "{len}");
            assert_eq!(n, memchr::memchr_iter(b'\n', &data).count(), "{len}");
        }
    }

    #[test]
    fn random_lines_agree_with_the_per_line_search() {
        let alphabet = b"rorvejctdla\n\n{}\"status:204 ";
        let mut rng = fastrand::Rng::with_seed(31);
        for _ in 0..3000 {
            let len = rng.usize(0..300);
            let data: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            check(&data);
        }
        assert!(stops_at(b"rr", 0) && !stops_at(b"r", 0));
    }
}
