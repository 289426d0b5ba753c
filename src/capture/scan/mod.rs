//! Streams an input (file, directory or stdin) into captures with flat memory: fixed-size
//! reads, lines split with memchr, a cap on the longest line, and per-chunk format sniffing so
//! one file can mix formats (a ticket with a header dump and then a traceback).
//!
//! This module is the scanning API ([`scan_path_with`], [`Handler`], [`Engine`]); its files
//! do one job each:
//! - [`input`]: what to read (a path expanded, program source told apart, [`InputError`]);
//! - [`sniff`]: what an input is, from its head (empty, binary, HAR, JSON Lines or text);
//! - [`read`]: reading with flat memory (line-aligned chunks of a mapped file or a pipe,
//!   single lines, the line cap);
//! - [`pipeline`]: the one ordered pipeline (workers that cut chunks in turn -> consumer),
//!   generic over the work and the consumption;
//! - [`jsonl_stream`] and [`text_stream`]: the JSON Lines and text paths on it;
//! - [`prefilter`]: the text path's whole-chunk trigger-word search;
//! - [`marks`]: the JSON Lines path's one pass for a chunk's lines and failure words.

mod input;
mod jsonl_stream;
pub mod live;
mod marks;
mod pipeline;
mod prefilter;
mod quiet;
mod read;
mod sniff;
mod text_stream;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use super::Capture;
pub use super::stats::{ScanOptions, ScanStats, Skipped};
use input::is_source_code;
pub use input::{InputError, expand};
pub use read::MAX_LINE;
use read::{Input, MAP_MIN, MAX_CHUNK_LINES, READ_BUF};
use sniff::{Sniffed, sniff};
use text_stream::{text_lines, text_parallel};

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
    if engine.follow && path.as_os_str() != "-" {
        return live::scan(name.clone(), live::Follow::new(path), opts, handler, sink)
            .map_err(wrap);
    }
    if path.as_os_str() == "-" {
        let live = live::stdin_is_live();
        if engine.follow || (live && engine.parallel_min == u64::MAX) {
            // A pipe may never end: verdicts as the lines arrive.
            return live::scan(name.clone(), io::stdin(), opts, handler, sink).map_err(wrap);
        }
        // A pipe goes through the chunked path, which hands out a chunk whenever the pipe is
        // momentarily empty: a pipe that pauses gets its verdicts as they come, a bulk one
        // full chunks and every worker. `Stdin` (not its lock) so the reader can move to its
        // own thread.
        let via = if live { Via::Live } else { Via::Read };
        return scan_opened(
            name.clone(),
            io::stdin(),
            None,
            via,
            opts,
            engine,
            handler,
            sink,
        )
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
    let meta = file.metadata().ok();
    let size = meta.as_ref().map(|m| m.len());
    // A regular file of some size is mapped (zero-copy); the rest is read.
    let via = match &meta {
        Some(m) if m.is_file() && m.len() >= MAP_MIN => {
            file.try_clone().map_or(Via::Read, Via::Map)
        }
        _ => Via::Read,
    };
    scan_opened(name.clone(), file, size, via, opts, engine, handler, sink).map_err(wrap)
}

/// Scans one reader on the calling thread, sequentially, handing out every capture. A HAR
/// file is scanned whole (a whole-file JSON document); a JSON Lines log goes through the
/// chunked fast path; everything else is read line by line, each line going to the JSONL
/// parser or the text chunker.
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
    match sniff(&source, &mut reader, opts, 1, &Captures, out, &mut stats)? {
        Sniffed::Done => Ok(stats),
        Sniffed::Jsonl => {
            let engine = Engine::sequential();
            let run = |job: &_, consume: &mut dyn FnMut(_) -> _| {
                pipeline::inline(Input::Read(reader), &engine, MAX_CHUNK_LINES, job, consume)
            };
            jsonl_stream::scan(&source, opts, &Captures, out, &mut stats, run)?;
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
    /// Follow named files like `tail -F` ([`live::Follow`]) instead of reading them to the end.
    pub follow: bool,
}

/// Default chunk: big enough that per-chunk costs vanish, small enough that the few in
/// flight keep memory flat.
pub const CHUNK: usize = 2 * 1024 * 1024;

impl Engine {
    /// Everything on the calling thread.
    pub fn sequential() -> Engine {
        Engine {
            threads: 1,
            chunk: CHUNK,
            parallel_min: u64::MAX,
            progress: None,
            follow: false,
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
            parallel_min: 4 * 1024 * 1024,
            progress: None,
            follow: false,
        }
    }
}

/// How an opened input is read once sniffed.
enum Via {
    /// `read` into recycled buffers.
    Read,
    /// Mapped a window at a time (a regular file; this handle of it).
    Map(File),
    /// A pipe that may pause (stdin).
    Live,
}

/// Scans one opened input with `handler`, reading it (tests).
#[cfg(test)]
fn scan_input<H: Handler, R: Read + Send>(
    source: Arc<str>,
    reader: R,
    size: Option<u64>,
    opts: &ScanOptions,
    engine: &Engine,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
) -> io::Result<ScanStats> {
    scan_opened(source, reader, size, Via::Read, opts, engine, handler, sink)
}

/// The input for the chunked paths, once sniffed: the file mapped, the pipe watched (what
/// the sniffing read is its head), or the reader as it is (also when mapping or watching is
/// not possible).
fn chunk_input<R: Read>(via: Via, reader: BufReader<R>) -> Input<BufReader<R>> {
    match via {
        Via::Read => Input::Read(reader),
        Via::Map(file) => Input::Map(file),
        #[cfg(unix)]
        Via::Live => {
            use std::os::fd::AsFd;
            match io::stdin().as_fd().try_clone_to_owned() {
                Ok(fd) => Input::Live {
                    pipe: File::from(fd),
                    head: reader.buffer().to_vec(),
                },
                Err(_) => Input::Read(reader),
            }
        }
        #[cfg(not(unix))]
        Via::Live => Input::Read(reader),
    }
}

/// Scans one opened input with `handler`.
#[allow(clippy::too_many_arguments)]
fn scan_opened<H: Handler, R: Read + Send>(
    source: Arc<str>,
    reader: R,
    size: Option<u64>,
    via: Via,
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
    let live = matches!(via, Via::Live);
    let big = size.is_none_or(|s| s >= engine.parallel_min);
    let har_threads = if big { engine.threads } else { 1 };
    match sniff(
        &source,
        &mut reader,
        opts,
        har_threads,
        handler,
        sink,
        &mut stats,
    )? {
        Sniffed::Done => {}
        Sniffed::Jsonl => {
            chunked = true;
            let input = chunk_input(via, reader);
            let run = |job: &_, consume: &mut dyn FnMut(_) -> _| {
                // A live pipe needs the consumer on its own thread (it watches the clock).
                if (engine.threads > 1 && big) || live {
                    pipeline::parallel(input, engine, MAX_CHUNK_LINES, job, consume)
                } else {
                    pipeline::inline(input, engine, MAX_CHUNK_LINES, job, consume)
                }
            };
            jsonl_stream::scan(&source, opts, handler, sink, &mut stats, run)?;
        }
        Sniffed::Text => {
            // One worker still gains the whole-chunk pre-filter and the ordered consumer's thread.
            if big && engine.parallel_min < u64::MAX {
                chunked = true;
                let input = chunk_input(via, reader);
                text_parallel(&source, input, opts, engine, handler, sink, &mut stats)?;
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

#[cfg(test)]
mod tests;
