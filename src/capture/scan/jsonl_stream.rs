//! The JSON Lines path: each chunk's lines parsed by the workers (a plain success only
//! counted or made cheaply, an exchange parsed in full, anything else kept as a text line),
//! then, in input order, items to the sink and text lines through the text scanner (a log may
//! mix exchanges and pasted errors).

use std::io;
use std::sync::Arc;

use super::marks;
use super::pipeline::{ITEM_HEAP, Job};
use super::read::{Buf, Chunk, too_long, trim_eol};
use super::{Handler, Light, ScanOptions, ScanStats};
use crate::capture::{jsonl, logrecord, object, text};

/// The JSON Lines work on the [pipeline](super::pipeline): each worker keeps its own copy of
/// the source name (no shared reference count to bounce between cores for every capture)
/// and gets back emptied result vectors.
pub(super) struct Lines<'a, H> {
    pub(super) source: &'a Arc<str>,
    pub(super) opts: &'a ScanOptions,
    pub(super) handler: &'a H,
}

impl<H: Handler> Job for Lines<'_, H> {
    /// The source name and the scratch space for a chunk's line marks.
    type State = (Arc<str>, Vec<u32>);
    type Spare = Vec<Out<H::Item>>;
    type Batch = Batch<H::Item>;
    const MARKS: bool = true;
    fn state(&self) -> Self::State {
        (Arc::from(&**self.source), Vec::new())
    }
    fn work(&self, state: &mut Self::State, chunk: Chunk, mut outs: Self::Spare) -> Self::Batch {
        if let Some(marks) = chunk.marks()
            && !self.opts.failures_only
        {
            // `diagnose`: about one item a line. Room for all at once, not grown by doubling
            // (a batch starts empty while chunks are cut small, and doubling leaves up to
            // twice the room): 2-5 MiB less at the peak.
            outs.clear();
            outs.reserve(marks.len());
        }
        work(&state.0, self.opts, self.handler, chunk, outs, &mut state.1)
    }
    fn weight(&self, b: &Self::Batch) -> usize {
        let text: usize = b
            .outs
            .iter()
            .map(|o| match o {
                Out::Item(_) => ITEM_HEAP,
                Out::Text(_, s) | Out::Skip(_, s) => s.len(),
                Out::Flush => 0,
            })
            .sum();
        text + b.outs.capacity() * std::mem::size_of::<Out<H::Item>>()
    }
    fn quiet(&self) -> Option<Self::Batch> {
        Some(Batch {
            outs: vec![Out::Flush],
            captures: 0,
            buf: Buf::default(),
        })
    }
}

/// Runs the JSON Lines path: `run` drives the [pipeline](super::pipeline) (inline or
/// parallel) with the job and the ordered consumption it is given, and returns the bytes read.
pub(super) fn scan<'a, H: Handler>(
    source: &'a Arc<str>,
    opts: &'a ScanOptions,
    handler: &'a H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
    run: impl FnOnce(
        &Lines<'a, H>,
        &mut dyn FnMut(Batch<H::Item>) -> (Buf, Vec<Out<H::Item>>),
    ) -> io::Result<u64>,
) -> io::Result<()> {
    let mut text = text::TextScanner::new(source.clone());
    let job = Lines {
        source,
        opts,
        handler,
    };
    let bytes = run(&job, &mut |mut b| {
        consume(source, handler, &mut text, &mut b, sink, stats);
        (b.buf, b.outs)
    })?;
    flush_text(&mut text, handler, sink, stats);
    stats.bytes = bytes;
    Ok(())
}

/// What a worker made of one line, for the ordered consumer.
pub(super) enum Out<T> {
    Item(T),
    /// A line for the text chunker (which keeps state across lines, so it runs in order).
    Text(u64, String),
    /// A JSONL exchange without an item: ends a text capture in progress.
    Flush,
    Skip(u64, String),
}

pub(super) struct Batch<T> {
    outs: Vec<Out<T>>,
    captures: u64,
    buf: Buf,
}

/// The worker's side: every line of a chunk through the pre-filter and the parsers. The
/// chunk's lines and their failure words are found in one pass ([`marks`]), by the reader
/// when it cut the chunk with them or by this worker when it numbered the chunk
/// ([`Chunk::settle`](super::read::Chunk::settle)), else here first; a mapped chunk is
/// unmapped here once read (the batch holds no reference to it).
fn work<H: Handler>(
    source: &Arc<str>,
    opts: &ScanOptions,
    handler: &H,
    chunk: Chunk,
    mut outs: Vec<Out<H::Item>>,
    scratch: &mut Vec<u32>,
) -> Batch<H::Item> {
    outs.clear();
    let mut captures = 0u64;
    if let Some(len) = chunk.too_long {
        outs.push(Out::Skip(chunk.first_line, too_long(len)));
        return Batch {
            outs,
            captures,
            buf: chunk.buf,
        };
    }
    let data = chunk.data();
    // A text capture may be open from the previous chunk.
    let mut text_open = true;
    let marks = match chunk.marks() {
        Some(m) => m,
        None => {
            marks::line_marks(data, scratch, usize::MAX);
            scratch
        }
    };
    for (this, (start, end, words)) in (chunk.first_line..).zip(marks::lines(marks)) {
        let bytes = trim_eol(&data[start..end]);
        // The line's JSON object when it parsed but was no exchange: read as a collector's
        // record below without a second parse.
        let mut record = None;
        if bytes.first() == Some(&b'{') {
            let mut handled = false;
            // `jsonl::plain_success`, its words found for the whole chunk at once.
            if !words && jsonl::plain_status(bytes) {
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
            let (parsed, obj) = logrecord::parse_object(source, this, bytes, opts.failures_only);
            record = obj;
            match parsed {
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
        if let Some(o) = &record
            && let Some(r) = object::log_record_parsed(bytes, o)
        {
            // A log collector's record: its message read as text, at the record's time.
            for l in r.message.lines() {
                outs.push(Out::Text(this, format!("{} {l}", r.stamp)));
            }
            continue;
        }
        if bytes.contains(&0) {
            outs.push(Out::Skip(this, "binary data in line".into()));
            continue;
        }
        outs.push(Out::Text(this, String::from_utf8_lossy(bytes).into_owned()));
    }
    let mut buf = chunk.buf;
    buf.unmap();
    Batch {
        outs,
        captures,
        buf,
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

/// One line of a live JSON Lines input ([`super::live`]): the same work and consumption as a
/// chunk of the pipeline, a line at a time.
#[allow(clippy::too_many_arguments)]
pub(super) fn line<H: Handler>(
    source: &Arc<str>,
    opts: &ScanOptions,
    handler: &H,
    text: &mut text::TextScanner,
    line_no: u64,
    bytes: &[u8],
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) {
    let chunk = Chunk::owned(line_no, bytes.to_vec());
    let mut batch = work(source, opts, handler, chunk, Vec::new(), &mut Vec::new());
    consume(source, handler, text, &mut batch, sink, stats);
}
