//! The text path: lines through the [`text::TextScanner`], sequentially (small inputs, and
//! the reference) or on the [pipeline](super::pipeline), where each worker scans its chunk
//! with a fresh scanner behind the whole-chunk [`Prefilter`] and the ordered consumer keeps a
//! worker's result only where it provably matches one pass (else it rescans, exactly).

use std::io::{self, BufReader, Read};
use std::sync::Arc;

use super::pipeline::{self, Job};
use super::prefilter::Prefilter;
use super::read::{Buf, Chunk, Input, Line, LineReader, too_long, trim_eol};
use super::{Engine, Handler, ScanOptions, ScanStats};
use crate::capture::{Capture, jsonl, logrecord, object, text};

/// The line-by-line text path (also takes JSONL lines mixed into text).
pub(super) fn text_lines<H: Handler, R: Read>(
    source: &Arc<str>,
    reader: BufReader<R>,
    opts: &ScanOptions,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<()> {
    let mut emit = |c: Capture| {
        if let Some(t) = handler.capture(c) {
            sink(t)
        }
    };
    let mut text = text::TextScanner::new(source.clone());
    let mut lines = LineReader::new(reader);
    let mut line_no: u64 = 0;
    while let Some(line) = lines.next_line()? {
        line_no += 1;
        let bytes = match line {
            Line::TooLong(len) => {
                text.flush(&mut emit, stats);
                stats.skip(source, line_no, too_long(len));
                continue;
            }
            Line::Bytes(b) => b,
        };
        text_line(
            source,
            opts,
            &mut text,
            line_no,
            trim_eol(bytes),
            false,
            &mut emit,
            stats,
        );
    }
    text.finish(&mut emit, stats);
    stats.bytes = lines.bytes;
    Ok(())
}

/// One text line (a JSON Lines line mixed into text included) through the scanner;
/// `triggered` when the pre-filter already found a trigger word on it.
#[allow(clippy::too_many_arguments)]
pub(super) fn text_line(
    source: &Arc<str>,
    opts: &ScanOptions,
    text: &mut text::TextScanner,
    line_no: u64,
    bytes: &[u8],
    triggered: bool,
    emit: &mut dyn FnMut(Capture),
    stats: &mut ScanStats,
) {
    if bytes.first() == Some(&b'{') && text.is_idle() {
        match logrecord::parse_line(source, line_no, bytes, opts.failures_only) {
            jsonl::Parsed::Capture(c) => {
                text.flush(emit, stats);
                stats.captures += 1;
                emit(*c);
                return;
            }
            jsonl::Parsed::Success => {
                text.flush(emit, stats);
                stats.captures += 1;
                return;
            }
            jsonl::Parsed::NotJsonl => {}
        }
    }
    if bytes.first() == Some(&b'{')
        && let Some(r) = object::log_record(bytes)
    {
        // A log collector's record: its message read as text, at the record's time.
        for l in r.message.lines() {
            text.push_line(line_no, &format!("{} {l}", r.stamp), emit, stats);
        }
        return;
    }
    if bytes.contains(&0) {
        text.flush(emit, stats);
        stats.skip(source, line_no, "binary data in line");
        return;
    }
    let s = String::from_utf8_lossy(bytes);
    if triggered {
        text.push_triggered_line(line_no, &s, emit, stats);
    } else {
        text.push_line(line_no, &s, emit, stats);
    }
}

/// Called when the scanner is quiet for lines `from..=to`; returning true stops the chunk.
/// When `from` is at or past the chunk's `ctx_until` it must do nothing and return false:
/// the line numbers are not counted there, and it is not called (see [`LineCount`]).
type AtQuiet<'a> = &'a mut dyn FnMut(&text::TextScanner, u64, u64, &ScanStats) -> bool;

/// Line numbers in a chunk, counted only when read: `no` is the number of the line that
/// starts at byte `at`. Past a worker's first lines (where its checkpoints are taken) with
/// no capture held, nothing reads a number until a line is pushed to the scanner, so the
/// newlines of the text the pre-filter skips and of the lines the quiet take dismisses are
/// counted in one go then (counting them at every stop was about a twentieth of the CPU).
struct LineCount {
    no: u64,
    at: usize,
}

impl LineCount {
    /// The number of the line starting at `pos` (at or after `self.at`).
    fn of(&mut self, data: &[u8], pos: usize) -> u64 {
        self.no += memchr::memchr_iter(b'\n', &data[self.at..pos]).count() as u64;
        self.at = pos;
        self.no
    }

    /// The line `pos..end` was passed: counted without a search when it was the last one
    /// counted to.
    fn pass(&mut self, pos: usize, end: usize) {
        if self.at == pos {
            self.no += 1;
            self.at = end;
        }
    }
}

/// Feeds one chunk's lines to `text`. While the scanner is quiet, lines the pre-filter rules
/// out are skipped without being looked at (the scanner would ignore them too). Returns
/// whether `at_quiet` stopped it.
#[allow(clippy::too_many_arguments)]
fn text_chunk(
    source: &Arc<str>,
    opts: &ScanOptions,
    text: &mut text::TextScanner,
    filter: &mut Prefilter,
    data: &[u8],
    first_line: u64,
    emit: &mut dyn FnMut(Capture),
    stats: &mut ScanStats,
    ctx_until: u64,
    at_quiet: AtQuiet,
) -> bool {
    filter.reset();
    let mut pos = 0;
    let mut lines = LineCount {
        no: first_line,
        at: 0,
    };
    while pos < data.len() {
        // The pre-filter found a trigger word on this line (so the scanner need not look).
        let mut triggered = false;
        // Lines skipped before this one whose last timestamp is still to be taken.
        let mut skipped = 0..0;
        if text.is_clear() {
            triggered = true;
            let quiet = text.is_quiet();
            let next = filter.next(data, pos);
            let start = next.unwrap_or(data.len());
            // Line numbers are read below only before `ctx_until` or to let a held capture
            // go (`lines.no` is never past the true number, so past `ctx_until` the true
            // numbers are too).
            let numbered = lines.no < ctx_until || text.holds_capture();
            // Quiet from here, or (a capture held back) from where it is let go.
            let (from, line_no) = if numbered {
                let from = if quiet { lines.of(data, pos) } else { u64::MAX };
                let line_no = lines.of(data, start);
                (from.min(line_no), line_no)
            } else {
                (u64::MAX, u64::MAX)
            };
            // The skipped lines' last stamp is wanted now when a checkpoint may read the
            // scanner's context below, or at the chunk's end; else only if the line stopped
            // at has none of its own (the quiet-line take looks).
            if next.is_none() || from < ctx_until {
                text.take_last_stamp(&data[pos..start]);
            } else {
                skipped = pos..start;
            }
            pos = start;
            if numbered {
                // The held capture would have been let go at the first line past its reach;
                // emitting it now, before the next line, keeps the order.
                text.release_held(line_no, emit, stats);
                if text.is_quiet() && at_quiet(text, from, line_no, stats) {
                    return true;
                }
            }
            if next.is_none() {
                break;
            }
        }
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
        if triggered && filter.take_quiet(text, data, pos, end, &data[skipped.clone()]) {
            lines.pass(pos, end);
            pos = end;
            continue;
        }
        text.take_last_stamp(&data[skipped]);
        let line_no = lines.of(data, pos);
        text_line(
            source,
            opts,
            text,
            line_no,
            trim_eol(&data[pos..end]),
            triggered,
            emit,
            stats,
        );
        lines.pass(pos, end);
        pos = end;
    }
    false
}

/// A point early in a worker's chunk where its fresh scanner was quiet: if the real scanner,
/// carrying a capture over from the chunk before, is quiet there too with the same context,
/// the worker's results from there on stand.
struct Checkpoint {
    from: u64,
    to: u64,
    items: usize,
    captures: u64,
    skipped: u64,
    samples: usize,
    ctx: text::ScanContext,
}

/// Checkpoints are kept for this many lines at the start of a chunk (a capture carried over
/// a boundary ends within a few lines), at most [`MAX_CHECKPOINTS`] of them.
const SYNC_LINES: u64 = 512;
const MAX_CHECKPOINTS: usize = 64;

/// A worker's result for one text chunk: its captures' items, scanned from a quiet state.
pub(super) struct TextBatch<T> {
    first_line: u64,
    items: Vec<T>,
    stats: ScanStats,
    /// The scanner's state after the chunk (`None` for a line too long to keep).
    tail: Option<text::TextScanner>,
    too_long: Option<usize>,
    buf: Buf,
    checkpoints: Vec<Checkpoint>,
}

fn text_work<H: Handler>(
    source: &Arc<str>,
    opts: &ScanOptions,
    handler: &H,
    filter: &mut Prefilter,
    chunk: Chunk,
) -> TextBatch<H::Item> {
    let mut items = Vec::new();
    let mut stats = ScanStats::default();
    let mut checkpoints = Vec::new();
    let emitted = std::cell::Cell::new(0usize);
    let tail = chunk.too_long.is_none().then(|| {
        let mut text = text::TextScanner::new(source.clone());
        let mut emit = |c: Capture| {
            if let Some(t) = handler.capture(c) {
                items.push(t);
                emitted.set(emitted.get() + 1);
            }
        };
        let data = chunk.data();
        let limit = chunk.first_line + SYNC_LINES;
        text_chunk(
            source,
            opts,
            &mut text,
            filter,
            data,
            chunk.first_line,
            &mut emit,
            &mut stats,
            limit,
            &mut |text, from, to, stats| {
                if from < limit && checkpoints.len() < MAX_CHECKPOINTS {
                    checkpoints.push(Checkpoint {
                        from,
                        to,
                        items: emitted.get(),
                        captures: stats.captures,
                        skipped: stats.skipped,
                        samples: stats.skipped_samples.len(),
                        ctx: text.context(),
                    });
                }
                false
            },
        );
        text
    });
    TextBatch {
        first_line: chunk.first_line,
        items,
        stats,
        tail,
        too_long: chunk.too_long,
        buf: chunk.buf,
        checkpoints,
    }
}

/// The consumer's side of the text path, in input order. A worker's result stands when the
/// real scanner was quiet where the chunk begins and the chunk did not lean on earlier
/// context; otherwise (a capture open across the boundary) the chunk is scanned again here,
/// from the carried state: exact, and rare (it costs one chunk).
#[allow(clippy::too_many_arguments)]
fn text_consume<H: Handler>(
    source: &Arc<str>,
    opts: &ScanOptions,
    handler: &H,
    carried: &mut text::TextScanner,
    filter: &mut Prefilter,
    b: TextBatch<H::Item>,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> Buf {
    let mut emit = |c: Capture| {
        if let Some(t) = handler.capture(c) {
            sink(t)
        }
    };
    let Some(mut tail) = b.tail else {
        // A line too long to keep, or (none) the input went quiet: let a held capture go.
        carried.flush(&mut emit, stats);
        if let Some(n) = b.too_long {
            stats.skip(source, b.first_line, too_long(n));
        }
        return b.buf;
    };
    if carried.is_quiet() && !tail.leaned_on(carried) {
        stats.merge(b.stats);
        for t in b.items {
            sink(t);
        }
        tail.inherit(carried);
        *carried = tail;
        return b.buf;
    }
    // Scan from the carried state until it is quiet where the worker's scanner was quiet
    // with the same context; from there the worker's results stand.
    let mut synced = None;
    let stopped = text_chunk(
        source,
        opts,
        carried,
        filter,
        b.buf.data(),
        b.first_line,
        &mut emit,
        stats,
        u64::MAX,
        &mut |text, from, to, _| {
            synced = b
                .checkpoints
                .iter()
                .position(|cp| cp.from <= to && from <= cp.to && text.has_context(&cp.ctx));
            synced.is_some()
        },
    );
    if let (true, Some(i)) = (stopped, synced) {
        let cp = &b.checkpoints[i];
        stats.captures += b.stats.captures - cp.captures;
        stats.skipped += b.stats.skipped - cp.skipped;
        for s in b.stats.skipped_samples.into_iter().skip(cp.samples) {
            if stats.skipped_samples.len() < 20 {
                stats.skipped_samples.push(s);
            }
        }
        for t in b.items.into_iter().skip(cp.items) {
            sink(t);
        }
        tail.inherit(carried);
        *carried = tail;
    }
    b.buf
}

/// The text work on the [pipeline](super::pipeline): each worker keeps its own source name
/// and pre-filter scratch space.
struct Chunks<'a, H> {
    source: &'a Arc<str>,
    opts: &'a ScanOptions,
    handler: &'a H,
}

impl<H: Handler> Job for Chunks<'_, H> {
    type State = (Arc<str>, Prefilter);
    type Spare = ();
    type Batch = TextBatch<H::Item>;
    fn state(&self) -> Self::State {
        (Arc::from(&**self.source), Prefilter::new())
    }
    fn count_lines(&self, state: &mut Self::State, data: &[u8]) -> usize {
        state.1.prime(data)
    }
    fn work(&self, state: &mut Self::State, chunk: Chunk, _: ()) -> Self::Batch {
        text_work(&state.0, self.opts, self.handler, &mut state.1, chunk)
    }
    fn weight(&self, b: &Self::Batch) -> usize {
        b.items.capacity() * std::mem::size_of::<H::Item>() + b.items.len() * pipeline::ITEM_HEAP
    }
    fn quiet(&self) -> Option<Self::Batch> {
        Some(TextBatch {
            first_line: 0,
            items: Vec::new(),
            stats: ScanStats::default(),
            tail: None,
            too_long: None,
            buf: Buf::default(),
            checkpoints: Vec::new(),
        })
    }
}

/// The text path on the [pipeline](super::pipeline) with `engine.threads` workers; chunks
/// are cut by size only (a batch holds captures, not one item per line).
pub(super) fn text_parallel<H: Handler, R: Read + Send>(
    source: &Arc<str>,
    reader: Input<R>,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<()> {
    let mut carried = text::TextScanner::new(source.clone());
    let mut filter = Prefilter::new();
    let job = Chunks {
        source,
        opts,
        handler,
    };
    let bytes = pipeline::parallel(reader, engine, u64::MAX, &job, &mut |b| {
        let buf = text_consume(
            source,
            opts,
            handler,
            &mut carried,
            &mut filter,
            b,
            sink,
            stats,
        );
        (buf, ())
    })?;
    let mut emit = |c: Capture| {
        if let Some(t) = handler.capture(c) {
            sink(t)
        }
    };
    carried.finish(&mut emit, stats);
    stats.bytes = bytes;
    Ok(())
}
