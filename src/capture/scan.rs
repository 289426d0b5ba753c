//! Streams an input (file, directory or stdin) into captures with flat memory: fixed-size
//! reads, lines split with memchr, a cap on the longest line, and per-chunk format sniffing so
//! one file can mix formats (a ticket with a header dump and then a traceback).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Capture, har, jsonl, text};

/// Lines longer than this are skipped (and counted), never buffered further.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
const READ_BUF: usize = 256 * 1024;

pub use super::stats::{ScanOptions, ScanStats, Skipped};

/// An input path that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}")]
pub struct InputError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Expands a path into the files to read: a file as is, a directory walked (sorted, hidden
/// entries and special files skipped, symlink loops not entered: [`super::walk`]), `-` for
/// stdin. Also returns how many paths below a directory could not be read (named on
/// stderr here).
pub fn expand(path: &Path) -> Result<(Vec<PathBuf>, usize), InputError> {
    if path.as_os_str() == "-" {
        return Ok((vec![path.to_path_buf()], 0));
    }
    let meta = std::fs::metadata(path).map_err(|e| InputError {
        path: path.display().to_string(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Ok((vec![path.to_path_buf()], 0));
    }
    // The directory itself must be readable; below it, see `walk` (notes go to stderr).
    std::fs::read_dir(path).map_err(|e| InputError {
        path: path.display().to_string(),
        source: e,
    })?;
    let w = super::walk::walk(path);
    for n in &w.notes {
        crate::errln!("claude-429: {n}");
    }
    Ok((w.files, w.unreadable))
}

/// Scans one path (file or `-`) and hands each capture to `out`.
pub fn scan_path(
    path: &Path,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
) -> Result<ScanStats, InputError> {
    scan_path_with(path, opts, &Engine::sequential(), &Captures, out)
}

/// Scans one path (file or `-`) with `handler`, handing its items to `sink` in input order.
/// Big JSON Lines inputs are read by one thread and parsed by `engine.threads` workers.
pub fn scan_path_with<H: Handler>(
    path: &Path,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
) -> Result<ScanStats, InputError> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let wrap = |e: io::Error| InputError {
        path: name.to_string(),
        source: e,
    };
    if path.as_os_str() == "-" {
        // `Stdin` (not its lock) so the reader can move to its own thread.
        return scan_input(name.clone(), io::stdin(), None, opts, engine, handler, sink)
            .map_err(wrap);
    }
    let file = File::open(path).map_err(wrap)?;
    // Source code mentions 429s in comments and constants; it is never a capture.
    if is_source_code(path) {
        let mut stats = ScanStats {
            files: 1,
            ..Default::default()
        };
        stats.skip(
            &name,
            1,
            "source code, not a capture (paste the error into a .txt or -)",
        );
        return Ok(stats);
    }
    let size = file.metadata().ok().map(|m| m.len());
    scan_input(name.clone(), file, size, opts, engine, handler, sink).map_err(wrap)
}

/// File names that are program source, skipped with a note.
fn is_source_code(path: &Path) -> bool {
    const EXT: &[&str] = &[
        "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "java", "kt", "rb", "php",
        "c", "h", "cc", "cpp", "hpp", "cs", "swift", "scala", "sh", "bash", "zsh", "ps1", "ex",
        "exs", "lua", "r", "sql",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXT.contains(&e.to_ascii_lowercase().as_str()))
}

/// Scans any reader, on the calling thread. The format is sniffed from the head (HAR is a
/// whole-file JSON document); a JSON Lines log goes through the chunked fast path; everything
/// else is read line by line, each line going to the JSONL parser or the text chunker.
pub fn scan_reader<R: Read>(
    source: Arc<str>,
    reader: R,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
) -> io::Result<ScanStats> {
    let mut stats = ScanStats {
        files: 1,
        ..Default::default()
    };
    let mut reader = BufReader::with_capacity(READ_BUF, reader);
    match sniff(&source, &mut reader, opts, &Captures, out, &mut stats)? {
        Sniffed::Done => Ok(stats),
        Sniffed::Jsonl => {
            let engine = Engine::sequential();
            chunked_inline(&source, reader, opts, &engine, &Captures, out, &mut stats)?;
            Ok(stats)
        }
        Sniffed::Text => {
            text_lines(&source, reader, opts, &Captures, out, &mut stats)?;
            Ok(stats)
        }
    }
}

/// What the workers do with each exchange. Items reach the sink in input order.
pub trait Handler: Sync {
    /// What a capture turns into (a verdict for `replay`, an event for `diagnose`).
    type Item: Send;

    /// A JSON Lines line that the cheap pre-filter calls a plain success (status below 400,
    /// no `error` anywhere on the line). Runs in a worker thread.
    fn plain_success(&self, source: &Arc<str>, line_no: u64, line: &[u8]) -> Light<Self::Item>;

    /// Any other capture. Runs in a worker thread for JSON Lines, else on the calling thread.
    fn capture(&self, c: Capture) -> Option<Self::Item>;
}

/// What [`Handler::plain_success`] made of a plain success.
pub enum Light<T> {
    /// An item built cheaply from the line.
    Item(T),
    /// Count it as a capture, build nothing.
    Count,
    /// Parse it fully and hand the capture to [`Handler::capture`].
    Full,
}

/// The identity handler: every capture as it is (what [`scan_path`] hands out).
pub struct Captures;

impl Handler for Captures {
    type Item = Capture;
    fn plain_success(&self, _: &Arc<str>, _: u64, _: &[u8]) -> Light<Capture> {
        Light::Full
    }
    fn capture(&self, c: Capture) -> Option<Capture> {
        Some(c)
    }
}

/// How the chunked JSON Lines path runs.
#[derive(Clone)]
pub struct Engine {
    /// Worker threads for one big JSON Lines input (1: everything on the calling thread).
    pub threads: usize,
    /// Bytes per chunk handed to a worker (a chunk always ends on a line boundary).
    pub chunk: usize,
    /// Inputs smaller than this are scanned on the calling thread (threads cost more than
    /// they save on small files). Stdin, whose size is unknown, always counts as big.
    pub parallel_min: u64,
    /// Advanced by the bytes read, when shown.
    pub progress: Option<indicatif::ProgressBar>,
}

/// Most lines in one chunk, so a batch of results stays small whatever the line length.
const MAX_CHUNK_LINES: u64 = 2048;

/// Bytes of input in flight at once (being read, parsed, or waiting for the consumer),
/// whatever the number of workers: the chunk shrinks as workers are added.
const IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

/// The fixed pool for `workers` workers: (chunks in flight, bytes per chunk). Enough chunks
/// to keep every worker busy; memory does not grow with the input or the worker count.
fn in_flight(workers: usize, engine: &Engine) -> (usize, Engine) {
    let pool = workers + 2;
    let mut e = engine.clone();
    e.chunk = e.chunk.min(IN_FLIGHT_BYTES / pool);
    (pool, e)
}

/// Default chunk: big enough that per-chunk costs vanish, small enough that the few in
/// flight keep memory flat.
pub const CHUNK: usize = 1024 * 1024;

impl Engine {
    /// Everything on the calling thread.
    pub fn sequential() -> Engine {
        Engine {
            threads: 1,
            chunk: CHUNK,
            parallel_min: u64::MAX,
            progress: None,
        }
    }

    /// One worker per core (capped at 8), or `CLAUDE_429_THREADS` when set (benchmarks).
    pub fn auto() -> Engine {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = std::env::var("CLAUDE_429_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(cores)
            .min(8);
        Engine {
            threads,
            chunk: CHUNK,
            parallel_min: 4 * CHUNK as u64,
            progress: None,
        }
    }
}

/// Scans one opened input with `handler`.
fn scan_input<H: Handler, R: Read + Send>(
    source: Arc<str>,
    reader: R,
    size: Option<u64>,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
) -> io::Result<ScanStats> {
    let mut stats = ScanStats {
        files: 1,
        ..Default::default()
    };
    let mut reader = BufReader::with_capacity(READ_BUF, reader);
    let mut chunked = false;
    match sniff(&source, &mut reader, opts, handler, sink, &mut stats)? {
        Sniffed::Done => {}
        Sniffed::Jsonl => {
            chunked = true;
            let big = size.is_none_or(|s| s >= engine.parallel_min);
            if engine.threads > 1 && big {
                chunked_parallel(&source, reader, opts, engine, handler, sink, &mut stats)?;
            } else {
                chunked_inline(&source, reader, opts, engine, handler, sink, &mut stats)?;
            }
        }
        Sniffed::Text => {
            // One worker still gains the whole-chunk pre-filter and a reader thread.
            let big = size.is_none_or(|s| s >= engine.parallel_min);
            if big && engine.parallel_min < u64::MAX {
                chunked = true;
                text_parallel(&source, reader, opts, engine, handler, sink, &mut stats)?;
            } else {
                text_lines(&source, reader, opts, handler, sink, &mut stats)?;
            }
        }
    }
    if let Some(pb) = &engine.progress
        && !chunked
    {
        // Text and HAR inputs do not report as they go.
        pb.inc(stats.bytes);
    }
    Ok(stats)
}

enum Sniffed {
    /// Empty, binary or HAR: already handled.
    Done,
    Jsonl,
    Text,
}

/// Looks at the head of an input: empty and binary inputs are counted, HAR files scanned;
/// otherwise says whether it is a JSON Lines log or text.
fn sniff<H: Handler, R: Read>(
    source: &Arc<str>,
    reader: &mut BufReader<R>,
    opts: &ScanOptions,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<Sniffed> {
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Ok(Sniffed::Done);
    }
    if looks_binary(head) {
        stats.skip(source, 1, "binary data (NUL bytes), not a text capture");
        // Count the bytes without keeping them.
        stats.bytes = io::copy(reader, &mut io::sink())?;
        return Ok(Sniffed::Done);
    }
    if har::sniff(head) {
        let mut counting = CountingReader {
            inner: reader,
            count: 0,
        };
        har::scan(
            source,
            &mut counting,
            opts,
            &mut |c| {
                if let Some(t) = handler.capture(c) {
                    sink(t)
                }
            },
            stats,
        )?;
        stats.bytes = counting.count;
        return Ok(Sniffed::Done);
    }
    Ok(if looks_jsonl(source, head) {
        Sniffed::Jsonl
    } else {
        Sniffed::Text
    })
}

/// A JSON Lines log: most of the first lines are objects, and one of them is an exchange.
fn looks_jsonl(source: &Arc<str>, head: &[u8]) -> bool {
    let (mut lines, mut objects, mut exchange) = (0usize, 0usize, false);
    for raw in head.split(|&b| b == b'\n').take(64) {
        let l = raw.trim_ascii();
        if l.is_empty() {
            continue;
        }
        lines += 1;
        if l.first() == Some(&b'{') {
            objects += 1;
            if !exchange && let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(l) {
                exchange = jsonl::from_object(source, 1, &o).is_some();
            }
        }
        if lines >= 16 {
            break;
        }
    }
    exchange && objects * 10 >= lines * 8
}

/// The line-by-line text path (also takes JSONL lines mixed into text).
fn text_lines<H: Handler, R: Read>(
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
fn text_line(
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
        match super::logrecord::parse_line(source, line_no, bytes, opts.failures_only) {
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

/// The whole-chunk pre-filter of the text path: finds the next line that can matter to a
/// quiet scanner (one holding a trigger word in any case, a `{`, or a NUL byte). The chunk
/// is lower-cased once into a scratch buffer so the multi-pattern search runs case-sensitive
/// (SIMD) over it; single-byte triggers go to `memchr`.
struct Prefilter {
    lower: Vec<u8>,
    /// Last search result per kind: (searched from, hit).
    words: (usize, Option<usize>),
    bytes: (usize, Option<usize>),
    fresh: bool,
}

struct Triggers {
    words: crate::classify::rules::WordSearch,
    /// Single-byte triggers (and NUL), searched for with memchr3.
    bytes: [u8; 3],
}

fn triggers() -> &'static Triggers {
    static T: std::sync::LazyLock<Triggers> = std::sync::LazyLock::new(|| {
        let mut words: Vec<String> = Vec::new();
        let mut singles: Vec<u8> = Vec::new();
        for t in crate::classify::rules::triggers() {
            let t = t.to_ascii_lowercase();
            match t.as_bytes() {
                [b] if !b.is_ascii_alphabetic() && singles.len() < 2 => singles.push(*b),
                _ => words.push(t),
            }
        }
        let fill = singles.first().copied().unwrap_or(0);
        let words =
            crate::classify::rules::bucket_order(crate::classify::rules::minimal_words(&words));
        Triggers {
            words: crate::classify::rules::WordSearch::new(&words),
            bytes: [0, fill, singles.get(1).copied().unwrap_or(fill)],
        }
    });
    &T
}

impl Prefilter {
    fn new() -> Self {
        Prefilter {
            lower: Vec::new(),
            words: (0, None),
            bytes: (0, None),
            fresh: false,
        }
    }

    fn reset(&mut self) {
        self.fresh = false;
    }

    /// Start of the first line at or after `pos` that the scanner must see, if any.
    fn next(&mut self, data: &[u8], pos: usize) -> Option<usize> {
        let t = triggers();
        if !self.fresh {
            self.lower.clear();
            self.lower.extend(data.iter().map(u8::to_ascii_lowercase));
            self.words = (0, None);
            self.bytes = (0, None);
            self.fresh = true;
            self.words = (0, t.words.find(&self.lower, 0));
            let [a, b, c] = t.bytes;
            self.bytes = (0, memchr::memchr3(a, b, c, data));
        }
        let stale = |(from, hit): (usize, Option<usize>)| match hit {
            Some(h) => h < pos,
            None => pos < from,
        };
        if stale(self.words) {
            let hit = t.words.find(&self.lower, pos);
            self.words = (pos, hit);
        }
        if stale(self.bytes) {
            let [a, b, c] = t.bytes;
            self.bytes = (pos, memchr::memchr3(a, b, c, &data[pos..]).map(|i| pos + i));
        }
        let hit = match (self.words.1, self.bytes.1) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |i| pos + i + 1))
    }

    /// Lets a quiet scanner dismiss the line `data[pos..end]` (which the pre-filter stopped
    /// at) from its lower-cased copy, without decoding or pushing it: only ASCII lines with
    /// no NUL that do not start with `{` (the JSON Lines and binary checks of [`text_line`]).
    fn take_quiet(
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
        let has_word = self.words.1.is_some_and(|h| h < end);
        std::str::from_utf8(raw).is_ok_and(|raw| text.take_quiet_line(raw, lower, has_word, before))
    }
}

/// Called when the scanner is quiet for lines `from..=to`; returning true stops the chunk.
type AtQuiet<'a> = &'a mut dyn FnMut(&text::TextScanner, u64, u64, &ScanStats) -> bool;

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
    let mut line_no = first_line;
    while pos < data.len() {
        // The pre-filter found a trigger word on this line (so the scanner need not look).
        let mut triggered = false;
        // Lines skipped before this one whose last timestamp is still to be taken.
        let mut skipped = 0..0;
        if text.is_clear() {
            triggered = true;
            // Quiet from here, or (a capture held back) from where it is let go.
            let from = if text.is_quiet() { line_no } else { u64::MAX };
            let next = filter.next(data, pos);
            let start = next.unwrap_or(data.len());
            line_no += memchr::memchr_iter(b'\n', &data[pos..start]).count() as u64;
            // The skipped lines' last stamp is wanted now when a checkpoint may read the
            // scanner's context below, or at the chunk's end; else only if the line stopped
            // at has none of its own (the quiet-line take looks).
            if next.is_none() || from.min(line_no) < ctx_until {
                text.take_last_stamp(&data[pos..start]);
            } else {
                skipped = pos..start;
            }
            pos = start;
            // The held capture would have been let go at the first line past its reach;
            // emitting it now, before the next line, keeps the order.
            text.release_held(line_no, emit, stats);
            if text.is_quiet() && at_quiet(text, from.min(line_no), line_no, stats) {
                return true;
            }
            if next.is_none() {
                break;
            }
        }
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
        if triggered && filter.take_quiet(text, data, pos, end, &data[skipped.clone()]) {
            line_no += 1;
            pos = end;
            continue;
        }
        text.take_last_stamp(&data[skipped]);
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
        line_no += 1;
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
struct TextBatch<T> {
    seq: u64,
    first_line: u64,
    items: Vec<T>,
    stats: ScanStats,
    /// The scanner's state after the chunk (`None` for a line too long to keep).
    tail: Option<text::TextScanner>,
    too_long: Option<usize>,
    buf: Vec<u8>,
    len: usize,
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
        let data = &chunk.buf[..chunk.len];
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
        seq: chunk.seq,
        first_line: chunk.first_line,
        items,
        stats,
        tail,
        too_long: chunk.too_long,
        buf: chunk.buf,
        len: chunk.len,
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
) -> Vec<u8> {
    let mut emit = |c: Capture| {
        if let Some(t) = handler.capture(c) {
            sink(t)
        }
    };
    let Some(mut tail) = b.tail else {
        carried.flush(&mut emit, stats);
        stats.skip(source, b.first_line, too_long(b.too_long.unwrap_or(0)));
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
        &b.buf[..b.len],
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

/// The text path with a reader thread, `engine.threads` workers and this thread as the
/// ordered consumer; same fixed pool of buffers as [`chunked_parallel`].
fn text_parallel<H: Handler, R: Read + Send>(
    source: &Arc<str>,
    reader: R,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<()> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::mpsc::sync_channel;

    let workers = engine.threads.max(1);
    let (pool, sized) = in_flight(workers, engine);
    let mut chunks = ChunkReader::new(reader, &sized);
    chunks.max_lines = u64::MAX;
    let (work_tx, work_rx) = sync_channel::<Chunk>(pool);
    let work_rx = Mutex::new(work_rx);
    let (res_tx, res_rx) = sync_channel::<io::Result<TextBatch<H::Item>>>(pool);
    let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(pool);
    for _ in 0..pool {
        let _ = pool_tx.send(Vec::new());
    }
    let mut carried = text::TextScanner::new(source.clone());
    let mut filter = Prefilter::new();
    let mut failure: Option<io::Error> = None;
    let bytes = std::thread::scope(|s| {
        let reader_res = res_tx.clone();
        let reader = s.spawn(move || chunks.feed(&pool_rx, &work_tx, &reader_res));
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let work_rx = &work_rx;
            s.spawn(move || {
                let source: Arc<str> = Arc::from(&**source);
                let mut filter = Prefilter::new();
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(chunk) = next else { break };
                    let batch = text_work(&source, opts, handler, &mut filter, chunk);
                    if res_tx.send(Ok(batch)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        let mut pending: BTreeMap<u64, TextBatch<H::Item>> = BTreeMap::new();
        let mut next = 0u64;
        for r in res_rx.iter() {
            match r {
                Ok(b) => {
                    pending.insert(b.seq, b);
                    while let Some(b) = pending.remove(&next) {
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
                        let _ = pool_tx.send(buf);
                        next += 1;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(pool_tx);
        drop(res_rx);
        reader.join().unwrap_or(0)
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let mut emit = |c: Capture| {
        if let Some(t) = handler.capture(c) {
            sink(t)
        }
    };
    carried.finish(&mut emit, stats);
    stats.bytes = bytes;
    Ok(())
}

fn too_long(len: usize) -> String {
    format!("line of {len} bytes is longer than the {MAX_LINE}-byte cap")
}

/// A piece of input that ends on a line boundary (or a line too long to keep).
struct Chunk {
    seq: u64,
    /// Line number of the first line.
    first_line: u64,
    /// Recycled storage; only `buf[..len]` is this chunk's.
    buf: Vec<u8>,
    len: usize,
    /// A line longer than [`MAX_LINE`], drained and not kept: its length.
    too_long: Option<usize>,
}

/// What a worker made of one line, for the ordered consumer.
enum Out<T> {
    Item(T),
    /// A line for the text chunker (which keeps state across lines, so it runs in order).
    Text(u64, String),
    /// A JSONL exchange without an item: ends a text capture in progress.
    Flush,
    Skip(u64, String),
}

struct Batch<T> {
    seq: u64,
    outs: Vec<Out<T>>,
    captures: u64,
    buf: Vec<u8>,
}

/// Cuts a reader into chunks through recycled buffers, carrying a partial last line over.
struct ChunkReader<R> {
    inner: R,
    chunk: usize,
    carry: Vec<u8>,
    /// Lines handed out so far.
    line: u64,
    seq: u64,
    eof: bool,
    bytes: u64,
    progress: Option<indicatif::ProgressBar>,
    /// Most lines per chunk ([`MAX_CHUNK_LINES`] for JSON Lines, whose batches hold an item
    /// per line; unlimited for text, whose batches hold only captures).
    max_lines: u64,
}

impl<R: Read> ChunkReader<R> {
    /// The reader thread of the parallel paths: fills each recycled buffer from `pool` with
    /// the next chunk and hands it to the workers, until the input ends, the workers are gone
    /// or a read fails (sent to the consumer through `errors`). Returns the bytes read.
    fn feed<T>(
        mut self,
        pool: &std::sync::mpsc::Receiver<Vec<u8>>,
        work: &std::sync::mpsc::SyncSender<Chunk>,
        errors: &std::sync::mpsc::SyncSender<io::Result<T>>,
    ) -> u64 {
        while let Ok(buf) = pool.recv() {
            match self.next(buf) {
                Ok(Some(c)) => {
                    if work.send(c).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = errors.send(Err(e));
                    break;
                }
            }
        }
        self.bytes
    }

    fn new(inner: R, engine: &Engine) -> Self {
        ChunkReader {
            inner,
            chunk: engine.chunk.clamp(64, MAX_LINE),
            carry: Vec::new(),
            line: 0,
            seq: 0,
            eof: false,
            bytes: 0,
            progress: engine.progress.clone(),
            max_lines: MAX_CHUNK_LINES,
        }
    }

    /// Reads into `buf[len..]` once; returns the bytes read (0 at end of input).
    fn read_more(&mut self, buf: &mut Vec<u8>, len: usize) -> io::Result<usize> {
        if buf.len() <= len {
            // Grow the initialised length; recycled buffers keep theirs, so this is rare.
            let want = (len * 2).max(self.chunk);
            buf.resize(want, 0);
        }
        loop {
            match self.inner.read(&mut buf[len..]) {
                Ok(n) => {
                    self.bytes += n as u64;
                    if let Some(pb) = &self.progress {
                        pb.inc(n as u64);
                    }
                    if n == 0 {
                        self.eof = true;
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The next chunk, in `buf` (recycled); `None` at the end.
    fn next(&mut self, mut buf: Vec<u8>) -> io::Result<Option<Chunk>> {
        if buf.capacity() > 2 * self.chunk {
            // After a very long line: give the memory back.
            buf = Vec::new();
        }
        if buf.len() < self.chunk {
            buf.resize(self.chunk, 0);
        }
        let mut len = self.carry.len();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf[..len].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut scanned = 0; // bytes known to hold no newline
        loop {
            let target = buf.len().max(self.chunk);
            while len < target && !self.eof {
                len += self.read_more(&mut buf, len)?;
            }
            if let Some(p) = memchr::memrchr(b'\n', &buf[scanned..len]) {
                // At most MAX_CHUNK_LINES lines: a chunk of tiny lines would otherwise make
                // a batch of hundreds of thousands of items.
                let (mut end, mut lines) = (scanned + p + 1, 0u64);
                if end as u64 <= self.max_lines {
                    // No more newlines than bytes: the cap cannot be reached; count at speed.
                    lines = memchr::memchr_iter(b'\n', &buf[..end]).count() as u64;
                } else {
                    for nl in memchr::memchr_iter(b'\n', &buf[..end]) {
                        lines += 1;
                        if lines == self.max_lines {
                            end = nl + 1;
                            break;
                        }
                    }
                }
                self.carry.extend_from_slice(&buf[end..len]);
                return Ok(Some(self.emit(buf, end, lines)));
            }
            if self.eof {
                return Ok((len > 0).then(|| self.emit(buf, len, 1)));
            }
            scanned = len;
            // The buffer holds one partial line: with its newline it would pass the cap.
            if len >= MAX_LINE {
                return self.drain_long(buf, len).map(Some);
            }
            // A line longer than the buffer: grow it (up to the cap) and read on.
            let grown = (buf.len() * 2).min(MAX_LINE);
            buf.resize(grown, 0);
        }
    }

    fn emit(&mut self, buf: Vec<u8>, len: usize, lines: u64) -> Chunk {
        let c = Chunk {
            seq: self.seq,
            first_line: self.line + 1,
            buf,
            len,
            too_long: None,
        };
        self.seq += 1;
        self.line += lines.max(1);
        c
    }

    /// Skips the rest of a line longer than [`MAX_LINE`] without keeping it.
    fn drain_long(&mut self, mut buf: Vec<u8>, mut total: usize) -> io::Result<Chunk> {
        buf.truncate(self.chunk);
        buf.shrink_to(self.chunk);
        loop {
            let n = self.read_more(&mut buf, 0)?;
            if n == 0 {
                break;
            }
            if let Some(p) = memchr::memchr(b'\n', &buf[..n]) {
                total += p + 1;
                self.carry.extend_from_slice(&buf[p + 1..n]);
                break;
            }
            total += n;
        }
        let c = Chunk {
            seq: self.seq,
            first_line: self.line + 1,
            buf,
            len: 0,
            too_long: Some(total),
        };
        self.seq += 1;
        self.line += 1;
        Ok(c)
    }
}

/// The worker's side: every line of a chunk through the pre-filter and the parsers.
fn work<H: Handler>(
    source: &Arc<str>,
    opts: &ScanOptions,
    handler: &H,
    chunk: Chunk,
    mut outs: Vec<Out<H::Item>>,
) -> Batch<H::Item> {
    outs.clear();
    let mut captures = 0u64;
    if let Some(len) = chunk.too_long {
        outs.push(Out::Skip(chunk.first_line, too_long(len)));
        return Batch {
            seq: chunk.seq,
            outs,
            captures,
            buf: chunk.buf,
        };
    }
    let data = &chunk.buf[..chunk.len];
    // A text capture may be open from the previous chunk.
    let mut text_open = true;
    let mut line_no = chunk.first_line;
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        let bytes = trim_eol(&data[start..end]);
        start = end;
        let this = line_no;
        line_no += 1;
        if bytes.first() == Some(&b'{') {
            let mut handled = false;
            if jsonl::plain_success(bytes) {
                // replay: a plain success is only counted; diagnose: the handler decides.
                let light = if opts.failures_only {
                    Light::Count
                } else {
                    handler.plain_success(source, this, bytes)
                };
                match light {
                    Light::Item(t) => {
                        captures += 1;
                        text_open = false;
                        outs.push(Out::Item(t));
                        handled = true;
                    }
                    Light::Count => {
                        captures += 1;
                        if text_open {
                            outs.push(Out::Flush);
                            text_open = false;
                        }
                        handled = true;
                    }
                    Light::Full => {}
                }
            }
            if handled {
                continue;
            }
            match super::logrecord::parse_full(source, this, bytes, opts.failures_only) {
                jsonl::Parsed::Capture(c) => {
                    captures += 1;
                    match handler.capture(*c) {
                        Some(t) => {
                            outs.push(Out::Item(t));
                            text_open = false;
                        }
                        None if text_open => {
                            outs.push(Out::Flush);
                            text_open = false;
                        }
                        None => {}
                    }
                    continue;
                }
                jsonl::Parsed::Success => {
                    captures += 1;
                    if text_open {
                        outs.push(Out::Flush);
                        text_open = false;
                    }
                    continue;
                }
                jsonl::Parsed::NotJsonl => {}
            }
        }
        text_open = true;
        if bytes.contains(&0) {
            outs.push(Out::Skip(this, "binary data in line".into()));
            continue;
        }
        outs.push(Out::Text(this, String::from_utf8_lossy(bytes).into_owned()));
    }
    Batch {
        seq: chunk.seq,
        outs,
        captures,
        buf: chunk.buf,
    }
}

/// The consumer's side, in input order: items to the sink, text lines through the chunker.
fn consume<H: Handler>(
    source: &Arc<str>,
    handler: &H,
    text: &mut text::TextScanner,
    batch: &mut Batch<H::Item>,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) {
    stats.captures += batch.captures;
    for out in batch.outs.drain(..) {
        match out {
            Out::Item(t) => {
                flush_text(text, handler, sink, stats);
                sink(t);
            }
            Out::Flush => flush_text(text, handler, sink, stats),
            Out::Text(no, s) => text.push_line(
                no,
                &s,
                &mut |c| {
                    if let Some(t) = handler.capture(c) {
                        sink(t)
                    }
                },
                stats,
            ),
            Out::Skip(no, reason) => {
                flush_text(text, handler, sink, stats);
                stats.skip(source, no, reason);
            }
        }
    }
}

fn flush_text<H: Handler>(
    text: &mut text::TextScanner,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) {
    text.flush(
        &mut |c| {
            if let Some(t) = handler.capture(c) {
                sink(t)
            }
        },
        stats,
    );
}

/// The chunked path on the calling thread (small JSONL inputs).
fn chunked_inline<H: Handler, R: Read>(
    source: &Arc<str>,
    reader: R,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<()> {
    let mut chunks = ChunkReader::new(reader, engine);
    let mut text = text::TextScanner::new(source.clone());
    let mut spare = Vec::new();
    let mut spare_outs = Vec::new();
    while let Some(chunk) = chunks.next(std::mem::take(&mut spare))? {
        let mut batch = work(
            source,
            opts,
            handler,
            chunk,
            std::mem::take(&mut spare_outs),
        );
        consume(source, handler, &mut text, &mut batch, sink, stats);
        spare = batch.buf;
        spare_outs = batch.outs;
    }
    flush_text(&mut text, handler, sink, stats);
    stats.bytes = chunks.bytes;
    Ok(())
}

/// The chunked path with a reader thread, `engine.threads` workers and this thread as the
/// ordered consumer (hl's reader -> workers -> writer). Buffers circulate through a fixed
/// pool, so at most `pool` chunks are in flight and memory stays flat; the consumer puts
/// batches back in input order.
fn chunked_parallel<H: Handler, R: Read + Send>(
    source: &Arc<str>,
    reader: R,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<()> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::mpsc::sync_channel;

    let workers = engine.threads.max(1);
    let (pool, sized) = in_flight(workers, engine);
    let chunks = ChunkReader::new(reader, &sized);
    let (work_tx, work_rx) = sync_channel::<Chunk>(pool);
    let work_rx = Mutex::new(work_rx);
    let (res_tx, res_rx) = sync_channel::<io::Result<Batch<H::Item>>>(pool);
    let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(pool);
    // Emptied result vectors go back to the workers, so each keeps its grown capacity.
    let (outs_tx, outs_rx) = sync_channel::<Vec<Out<H::Item>>>(pool);
    let outs_rx = Mutex::new(outs_rx);
    for _ in 0..pool {
        let _ = pool_tx.send(Vec::new());
    }
    let mut text = text::TextScanner::new(source.clone());
    let mut failure: Option<io::Error> = None;
    let bytes = std::thread::scope(|s| {
        let reader_res = res_tx.clone();
        let reader = s.spawn(move || chunks.feed(&pool_rx, &work_tx, &reader_res));
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let work_rx = &work_rx;
            let outs_rx = &outs_rx;
            s.spawn(move || {
                // Each worker its own copy of the name: no shared reference count to bounce
                // between cores for every capture.
                let source: Arc<str> = Arc::from(&**source);
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(chunk) = next else { break };
                    let outs = outs_rx
                        .lock()
                        .ok()
                        .and_then(|rx| rx.try_recv().ok())
                        .unwrap_or_default();
                    if res_tx
                        .send(Ok(work(&source, opts, handler, chunk, outs)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        let mut pending: BTreeMap<u64, Batch<H::Item>> = BTreeMap::new();
        let mut next = 0u64;
        for r in res_rx.iter() {
            match r {
                Ok(b) => {
                    pending.insert(b.seq, b);
                    while let Some(mut b) = pending.remove(&next) {
                        consume(source, handler, &mut text, &mut b, sink, stats);
                        let _ = pool_tx.send(std::mem::take(&mut b.buf));
                        let _ = outs_tx.try_send(std::mem::take(&mut b.outs));
                        next += 1;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // Unblock the reader if it is waiting for a buffer, then collect its count.
        drop(pool_tx);
        drop(res_rx);
        reader.join().unwrap_or(0)
    });
    if let Some(e) = failure {
        return Err(e);
    }
    flush_text(&mut text, handler, sink, stats);
    stats.bytes = bytes;
    Ok(())
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Binary if the head has NUL bytes or is mostly non-text.
fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if memchr::memchr(0, sample).is_some() {
        return true;
    }
    let bad = sample
        .iter()
        .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b) || b == 0x7f)
        .count();
    bad * 10 > sample.len()
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count += amt as u64;
        self.inner.consume(amt)
    }
}

enum Line<'a> {
    Bytes(&'a [u8]),
    TooLong(usize),
}

/// Splits a reader into lines through one reusable buffer; a line longer than [`MAX_LINE`]
/// is drained and reported, never held.
struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(READ_BUF),
            bytes: 0,
        }
    }

    fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut too_long = 0usize;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if too_long > 0 {
                    return Ok(Some(Line::TooLong(too_long)));
                }
                return Ok((!self.buf.is_empty()).then_some(Line::Bytes(&self.buf)));
            }
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            if too_long > 0 || self.buf.len() + take > MAX_LINE {
                too_long += self.buf.len() + take;
                self.buf.clear();
                self.buf.shrink_to(READ_BUF);
            } else {
                self.buf.extend_from_slice(&avail[..take]);
            }
            self.inner.consume(take);
            self.bytes += take as u64;
            if done {
                if too_long > 0 {
                    return Ok(Some(Line::TooLong(too_long)));
                }
                return Ok(Some(Line::Bytes(&self.buf)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::rules::WordSearch;

    fn lines(input: &[u8]) -> Vec<String> {
        let mut r = LineReader::new(BufReader::with_capacity(7, input));
        let mut v = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            v.push(match l {
                Line::Bytes(b) => String::from_utf8_lossy(trim_eol(b)).into_owned(),
                Line::TooLong(n) => format!("<{n}>"),
            });
        }
        v
    }

    #[test]
    fn splits_across_small_reads() {
        assert_eq!(
            lines(b"alpha\r\nbeta gamma delta\n\nlast"),
            vec!["alpha", "beta gamma delta", "", "last"]
        );
    }

    /// Records what the sink saw: (line, status, format) per capture.
    struct Record;
    type Seen = (u64, Option<u16>, &'static str);

    impl Handler for Record {
        type Item = Seen;
        fn plain_success(&self, _: &Arc<str>, line_no: u64, _: &[u8]) -> Light<Self::Item> {
            Light::Item((line_no, Some(200), "light"))
        }
        fn capture(&self, c: Capture) -> Option<Self::Item> {
            Some((c.line, c.status, c.format.as_str()))
        }
    }

    fn run(input: &[u8], engine: &Engine, failures_only: bool) -> (Vec<Seen>, ScanStats) {
        let mut got = Vec::new();
        let opts = ScanOptions { failures_only };
        let stats = scan_input(
            Arc::from("t"),
            io::Cursor::new(input.to_vec()),
            Some(input.len() as u64),
            &opts,
            engine,
            &Record,
            &mut |x| got.push(x),
        )
        .unwrap();
        (got, stats)
    }

    fn mixed_log() -> Vec<u8> {
        let mut s = String::new();
        for i in 1..=60 {
            match i % 10 {
                5 if i % 20 == 15 => {}
                3 => s.push_str(
                    r#"{"status":429,"headers":{"anthropic-ratelimit-requests-remaining":"0"}}"#,
                ),
                5 => s.push_str("HTTP/1.1 529 \nretry-after: 3\n"),
                6 => s.push_str(&format!(r#"{{"status":200,"pad":"{}"}}"#, "y".repeat(300))),
                7 => {}
                _ => s.push_str(r#"{"ts":"2026-11-20T14:00:00Z","status":200,"headers":{}}"#),
            }
            s.push('\n');
        }
        s.push_str(r#"{"status":500,"body":"Overloaded"}"#);
        s.into_bytes()
    }

    #[test]
    fn parallel_chunks_match_the_inline_scan() {
        let input = mixed_log();
        let tiny = |threads| Engine {
            threads,
            chunk: 64,
            parallel_min: 0,
            progress: None,
        };
        for failures_only in [false, true] {
            let (want, ws) = run(&input, &Engine::sequential(), failures_only);
            for threads in [1, 2, 3] {
                let (got, gs) = run(&input, &tiny(threads), failures_only);
                assert_eq!(got, want, "threads={threads} failures_only={failures_only}");
                assert_eq!(
                    (gs.captures, gs.bytes, gs.skipped),
                    (ws.captures, ws.bytes, ws.skipped)
                );
            }
            assert_eq!(ws.bytes, input.len() as u64);
            let lines: Vec<u64> = want.iter().map(|w| w.0).collect();
            assert!(
                lines.windows(2).all(|w| w[0] < w[1]),
                "input order: {lines:?}"
            );
            let last_line = input.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert_eq!(
                want.last().map(|w| (w.0, w.1)),
                Some((last_line, Some(500)))
            );
        }
        let (all, _) = run(&input, &tiny(2), false);
        // Text captures come through the chunker, in place.
        assert!(all.contains(&(5, Some(529), "http")), "{all:?}");
        assert!(all.contains(&(3, Some(429), "jsonl")));
        assert!(all.contains(&(1, Some(200), "light")), "{all:?}");
        let (fails, _) = run(&input, &tiny(2), true);
        assert!(fails.iter().all(|f| f.1 != Some(200)), "{fails:?}");
    }

    #[test]
    fn many_tiny_lines_are_split_by_count_and_stay_in_order() {
        let n = 3 * MAX_CHUNK_LINES + 17;
        let input: Vec<u8> = (0..n)
            .flat_map(|_| br#"{"status":429}"#.iter().copied().chain([b'\n']))
            .collect();
        let engine = Engine {
            threads: 2,
            parallel_min: 0,
            ..Engine::sequential()
        };
        let (got, stats) = run(&input, &engine, true);
        assert_eq!(got.len() as u64, n);
        assert!(got.iter().enumerate().all(|(i, g)| g.0 == i as u64 + 1));
        assert_eq!(stats.captures, n);
    }

    #[test]
    fn a_line_longer_than_the_cap_is_skipped_and_counted() {
        let mut input = br#"{"status":429}"#.to_vec();
        input.push(b'\n');
        input.push(b'{');
        input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        input.push(b'\n');
        input.extend_from_slice(br#"{"status":529}"#);
        let engine = Engine {
            threads: 2,
            chunk: 4096,
            parallel_min: 0,
            progress: None,
        };
        for e in [Engine::sequential(), engine] {
            let (got, stats) = run(&input, &e, true);
            assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3]);
            assert_eq!(stats.skipped, 1);
            assert_eq!(stats.skipped_samples[0].line, 2);
            assert!(stats.skipped_samples[0].reason.contains("longer than"));
            assert_eq!(stats.bytes, input.len() as u64);
        }
    }

    /// A Python service's log: unrelated lines, httpx lines, tracebacks ending in SDK errors.
    fn service_log(incidents: usize) -> Vec<u8> {
        let mut s = String::new();
        for i in 0..incidents {
            for j in 0..(7 + i % 5) {
                s.push_str(&format!(
                    "2026-11-20 09:{:02}:{:02},{:03} - INFO - app.api - GET /v1/orders/{j} took {i} ms\n",
                    i % 60,
                    j % 60,
                    i % 1000
                ));
            }
            if i % 3 == 0 {
                s.push_str("2026-11-20 09:00:01,000 - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"\n");
            }
            let (status, exc, kind, msg) = if i % 4 == 1 {
                (
                    529,
                    "InternalServerError",
                    "overloaded_error",
                    "Overloaded".to_string(),
                )
            } else {
                (
                    429,
                    "RateLimitError",
                    "rate_limit_error",
                    format!(
                        "This request would exceed your organization's rate limit of {} requests per minute.",
                        50 + i
                    ),
                )
            };
            s.push_str(&format!(
                "2026-11-20 09:{:02}:30,{:03} - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 {status} Too Many Requests\"\n\
                 2026-11-20 09:{:02}:30,{:03} - root - ERROR - step {i} failed\n\
                 Traceback (most recent call last):\n  File \"/srv/run.py\", line 41, in <module>\n    main()\n\
                 \x20 File \"/srv/.venv/lib/python3.12/site-packages/anthropic/_base_client.py\", line 1047, in request\n\
                 \x20   raise self._make_status_error_from_response(err.response) from None\n\
                 anthropic.{exc}: Error code: {status} - {{'type': 'error', 'error': {{'type': '{kind}', 'message': '{msg}'}}, 'request_id': 'req_{i:024}'}}\n",
                i % 60,
                i % 1000,
                i % 60,
                i % 1000 + 1
            ));
        }
        s.into_bytes()
    }

    /// What `replay` sees of each capture: everything the verdict is built from.
    struct Full;
    type Seen2 = (
        u64,
        Option<u16>,
        String,
        Option<String>,
        Option<String>,
        String,
    );

    impl Handler for Full {
        type Item = Seen2;
        fn plain_success(&self, _: &Arc<str>, _: u64, _: &[u8]) -> Light<Seen2> {
            Light::Full
        }
        fn capture(&self, c: Capture) -> Option<Seen2> {
            let class = crate::classify::classify(&c).map(|v| v.class.as_str());
            Some((
                c.line,
                c.status,
                format!("{class:?}"),
                c.time.map(|t| t.to_rfc3339()),
                c.request_id.clone(),
                c.text.clone(),
            ))
        }
    }

    fn run_full(input: &[u8], engine: &Engine) -> (Vec<Seen2>, ScanStats) {
        let mut got = Vec::new();
        let stats = scan_input(
            Arc::from("t"),
            io::Cursor::new(input.to_vec()),
            Some(input.len() as u64),
            &ScanOptions::default(),
            engine,
            &Full,
            &mut |x| got.push(x),
        )
        .unwrap();
        (got, stats)
    }

    fn chunked(threads: usize, chunk: usize) -> Engine {
        Engine {
            threads,
            chunk,
            parallel_min: 0,
            progress: None,
        }
    }

    /// `head`, 3000 stamped lines that name nothing (the last at 09:49:59), then `tail`:
    /// the times of the failures each engine finds.
    fn failure_times(head: &str, tail: &str, engines: &[Engine]) -> Vec<Vec<String>> {
        let mut input = String::from(head);
        for i in 0..3000 {
            input.push_str(&format!(
                "2026-11-20 09:{:02}:{:02},000 - INFO - app.worker - summarised document {i}\n",
                i / 60 % 60,
                i % 60
            ));
        }
        input.push_str(tail);
        engines
            .iter()
            .map(|e| {
                let (got, _) = run_full(input.as_bytes(), e);
                got.iter().filter_map(|g| g.3.clone()).collect()
            })
            .collect()
    }

    const RATE_LIMIT_ERROR: &str = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}\n";

    /// A traceback carries no stamp of its own: its capture takes the time of the last
    /// timestamped line before it, even when that line names nothing (it used to take the
    /// stamp of the last line holding a trigger word, which could be hours older).
    #[test]
    fn a_traceback_takes_the_time_of_the_line_before_it() {
        let tail = format!(
            "Traceback (most recent call last):\n  File \"/srv/run.py\", line 41, in <module>\n{RATE_LIMIT_ERROR}"
        );
        let engines = [Engine::sequential(), chunked(2, 4096), chunked(1, 4096)];
        for (times, e) in failure_times(
            "2026-11-20 09:00:00,000 - INFO - app - user 7 signed in: rate limited to 5/s\n",
            &tail,
            &engines,
        )
        .iter()
        .zip(&engines)
        {
            assert_eq!(
                times,
                &["2026-11-20T09:49:59+00:00"],
                "threads {}",
                e.threads
            );
        }
    }

    /// The chunked scan takes the skipped lines' last stamp only when it needs it: a line it
    /// dismisses without a stamp of its own (a dict dump) must still pass it on, far past the
    /// start of a chunk where no checkpoint reads it.
    #[test]
    fn an_unstamped_line_taken_in_passing_keeps_the_time() {
        let tail = format!("    state={{'queued': 1, 'done': 7}}\n{RATE_LIMIT_ERROR}");
        let engines = [
            Engine::sequential(),
            chunked(1, 1 << 20),
            chunked(2, 1 << 16),
        ];
        for (times, e) in failure_times("", &tail, &engines).iter().zip(&engines) {
            assert_eq!(
                times,
                &["2026-11-20T09:49:59+00:00"],
                "threads {}",
                e.threads
            );
        }
    }

    #[test]
    fn text_chunks_give_the_same_verdicts_as_one_pass() {
        let input = service_log(40);
        let (want, ws) = run_full(&input, &Engine::sequential());
        let failures = want.iter().filter(|w| w.2 != "None").count();
        // (How many captures the scanner makes of these lines is its business; here it only
        // matters that chunking changes nothing.)
        assert!(failures >= 10, "{failures}");
        // Every chunk size from tiny (a traceback split across many chunks) to whole.
        for chunk in [64, 100, 257, 1000, 4096, 1 << 20] {
            for threads in [2, 3] {
                let (got, gs) = run_full(&input, &chunked(threads, chunk));
                assert_eq!(got, want, "chunk={chunk} threads={threads}");
                assert_eq!(
                    (gs.captures, gs.skipped, gs.bytes),
                    (ws.captures, ws.skipped, ws.bytes),
                    "chunk={chunk} threads={threads}"
                );
            }
        }
    }

    /// Every text fixture and example, one after another in one log and each line also
    /// behind a log stamp: the chunked scan (pre-filter, quiet-line take) finds what the
    /// line-by-line scan finds.
    #[test]
    fn fixture_text_chunked_gives_the_same_verdicts_as_one_pass() {
        // A plain first line: the input reads as text, not as a HAR or JSON Lines.
        let mut log = String::from("2026-11-20 08:00:00,000 - INFO - app - start\n");
        for root in ["tests/fixtures", "examples"] {
            for e in walkdir::WalkDir::new(root)
                .sort_by_file_name()
                .into_iter()
                .flatten()
            {
                let p = e.path();
                // (Binary and broken inputs have tests of their own.)
                let text = p.extension().is_some_and(|x| x != "har" && x != "jsonl")
                    && !p.starts_with("tests/fixtures/bad");
                if e.file_type().is_file() && text {
                    let body = std::fs::read(p).unwrap_or_default();
                    for l in String::from_utf8_lossy(&body).lines() {
                        log.push_str(&format!(
                            "{l}\n2026-11-20 09:00:00,123 - INFO - app - {l}\n"
                        ));
                    }
                    log.push_str("\n\n\n\n\n");
                }
            }
        }
        let input = log.into_bytes();
        let (want, _) = run_full(&input, &Engine::sequential());
        assert!(want.len() > 100, "{} of {} bytes", want.len(), input.len());
        for (threads, chunk) in [(1, 1 << 20), (2, 4096), (2, 1 << 16)] {
            let (got, _) = run_full(&input, &chunked(threads, chunk));
            assert_eq!(got, want, "threads {threads} chunk {chunk}");
        }
    }

    /// The SIMD searcher on its own and the automaton (the fallback where there is no SIMD
    /// searcher) find the same first word from every position.
    #[test]
    fn both_word_searches_agree() {
        let words = ["error", "429", "anthropic", "rate", "http/", "exceeded"];
        let packed = WordSearch::new(&words);
        assert!(matches!(packed, WordSearch::Packed(_)) || !cfg!(target_arch = "x86_64"));
        let automaton = WordSearch::Automaton(
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(words)
                .unwrap(),
        );
        let hay = String::from_utf8_lossy(&service_log(3)).to_ascii_lowercase();
        let hay = hay.as_bytes();
        let mut hits = 0;
        for from in 0..hay.len() {
            let a = packed.find(hay, from);
            assert_eq!(a, automaton.find(hay, from), "from {from}");
            hits += usize::from(a == Some(from));
        }
        assert!(hits > 10, "{hits}");
        assert_eq!(packed.find(b"short", 0), None);
        assert_eq!(packed.find(b"a 429", 0), Some(2));
    }

    #[test]
    fn a_traceback_split_at_every_byte_gives_the_same_verdicts() {
        let input = service_log(3);
        let (want, _) = run_full(&input, &Engine::sequential());
        let tb = input
            .windows(9)
            .position(|w| w == b"Traceback")
            .expect("has a traceback");
        // Chunks end on line boundaries: a chunk size just past each position in the first
        // incident cuts the log there (and at its multiples).
        for chunk in (64..tb + 700).step_by(7) {
            let (got, _) = run_full(&input, &chunked(2, chunk));
            assert_eq!(got, want, "chunk={chunk}");
        }
    }

    #[test]
    fn text_items_keep_input_order() {
        let input = service_log(200);
        let (got, _) = run_full(&input, &chunked(3, 300));
        let lines: Vec<u64> = got.iter().map(|g| g.0).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
        let (want, _) = run_full(&input, &Engine::sequential());
        assert_eq!(got, want);
    }

    #[test]
    fn the_pool_is_bounded_in_bytes_whatever_the_workers() {
        for workers in [1, 2, 8, 64] {
            let (pool, e) = in_flight(workers, &Engine::auto());
            assert!(pool > workers, "every worker can be busy");
            assert!(pool * e.chunk <= IN_FLIGHT_BYTES, "workers={workers}");
        }
    }

    #[test]
    fn binary_sniff() {
        assert!(looks_binary(b"\x00\x01\x02abc"));
        assert!(!looks_binary(b"HTTP/1.1 429 Too Many Requests\r\n"));
    }
}
