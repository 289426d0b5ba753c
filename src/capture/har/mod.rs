//! HAR 1.2 files (browser devtools, mitmproxy, Charles): streamed entry by entry.
//!
//! A HAR file is one JSON document, and browser exports run to hundreds of MB because they
//! embed every response body. Nothing here holds the document:
//!
//! * serde_json's streaming deserializer walks `log` → `entries` through seeds and visitors.
//!   Each entry becomes a small [`Entry`] holding only what a verdict needs; everything else is
//!   skipped with [`IgnoredAny`], and each capture is handed on before the next entry is read.
//! * serde_json buffers a whole string before a visitor sees it, so a 300 MB body would be
//!   300 MB of memory. The bytes therefore pass through [`StringCap`] first, a lexical filter
//!   that buffers each JSON string up to [`MAX_STRING`] bytes. A longer string is no error body:
//!   the parser is handed only its last complete lines (at most [`TAIL`] bytes), because an
//!   SSE stream that fails mid-way ends with its `error` event, and the entry learns the string
//!   was cut.
//! * Lines: serde_json reads its input a byte at a time with a one-byte peek, so the newlines
//!   the filter has handed over when an entry's `{` has been peeked give the line the entry
//!   starts on. That is the capture's `line`, exact even after a cut: a JSON string holds no
//!   raw newline, so the bytes dropped from one hold none either.
//! * Most entries never take that byte-at-a-time path: [`Splice`] finds each element of
//!   `log.entries` with a string-aware depth scan and sends it, in batches, to be parsed with
//!   serde from the slice, its capture built and handed to the handler ([`par`]: on worker
//!   threads for a big input); the walk is handed a placeholder `{}` and takes the results
//!   in document order, crediting each entry's newlines as it passes its placeholder. Odd,
//!   oversize (over [`MAX_STRING`]) or unparsable entries go through the walk as before.
//! * A malformed or truncated document stops the scan with a note in the stats; the captures
//!   already handed on stay handed on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use memchr::memmem;
use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::Value;

use super::scan::{Captures, Handler};
use super::stats::{ScanOptions, ScanStats};
use super::{Capture, Format, object};

mod cap;
mod par;
mod splice;
mod walk;

use cap::StringCap;
use splice::Splice;
use walk::{DocSeed, Entry, Leaf};

/// Strings longer than this (as escaped in the file) are cut: no error body is this long.
pub const MAX_STRING: usize = 1024 * 1024;
/// How much of the end of a cut string is kept: whole lines only, for an SSE `error` event.
pub const TAIL: usize = 64 * 1024;
/// How far into the head [`sniff`] looks for the HAR keys.
const SNIFF_WINDOW: usize = 64 * 1024;
/// Headers kept per response; the rest are ignored.
const MAX_HEADERS: usize = 512;

/// True when the head of a file looks like a HAR document: an object whose first key is `log`,
/// holding an object with one of HAR's own keys (`version`, `creator`, `entries`, `pages`,
/// `browser`) within the head. A BOM and any pretty-printing are fine; a JSON error body or a
/// JSON log line with a nested `log` object (ECS style) is not claimed.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let head = &head[..head.len().min(SNIFF_WINDOW)];
    let mut lx = Lexer { b: head, i: 0 };
    if !(lx.punct(b'{') && lx.string() == Some(&b"log"[..]) && lx.punct(b':') && lx.punct(b'{')) {
        return false;
    }
    // Inside `log`: look at its own keys (depth 1 relative to it).
    let mut depth = 1usize;
    let mut expect_key = true;
    while let Some(b) = lx.peek_non_ws() {
        match b {
            b'"' => {
                let Some(s) = lx.string() else { return false };
                if depth == 1 && expect_key && lx.punct(b':') {
                    if matches!(
                        s,
                        b"version" | b"creator" | b"entries" | b"pages" | b"browser"
                    ) {
                        return true;
                    }
                    expect_key = false;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            b',' => expect_key = depth == 1,
            _ => {}
        }
        lx.i += 1;
    }
    false
}

/// Just enough of a JSON lexer for [`sniff`].
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    fn peek_non_ws(&mut self) -> Option<u8> {
        while let Some(&b) = self.b.get(self.i) {
            if !b.is_ascii_whitespace() {
                return Some(b);
            }
            self.i += 1;
        }
        None
    }

    fn punct(&mut self, p: u8) -> bool {
        if self.peek_non_ws() == Some(p) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A string's raw (still escaped) content; `None` when there is none or it runs off the end.
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.punct(b'"') {
            return None;
        }
        let start = self.i;
        let mut esc = false;
        while let Some(&b) = self.b.get(self.i) {
            self.i += 1;
            match b {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => return Some(&self.b[start..self.i - 1]),
                _ => {}
            }
        }
        None
    }
}

/// Streams the entries of a HAR document on the calling thread.
pub fn scan<R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
    stats: &mut ScanStats,
) -> io::Result<()> {
    scan_with_handler(source, reader, opts, 1, &Captures, out, stats).map(drop)
}

/// Streams the entries of a HAR document, each capture through `handler` to `sink` in
/// document order. With `threads` above 1 the entries are parsed (and handed to the handler)
/// on that many worker threads. Returns how many of the bytes read from `reader` were read
/// ahead of where the walk stopped (entries parsed ahead of a malformed one): they are not
/// counted as read.
pub fn scan_with_handler<H: Handler, R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    threads: usize,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<u64> {
    let limits = Limits {
        max_string: MAX_STRING,
        tail: TAIL,
        max_entry: MAX_STRING,
        batch: par::BATCH_BYTES,
    };
    scan_with(source, reader, opts, threads, handler, sink, stats, limits)
}

/// How long a string or an entry may be.
#[derive(Clone, Copy)]
struct Limits {
    max_string: usize,
    tail: usize,
    /// The longest entry parsed ahead from a slice by [`Splice`]; 0 walks every entry
    /// through the streaming parser.
    max_entry: usize,
    /// Bytes of entries per batch sent to the workers.
    batch: usize,
}

#[allow(clippy::too_many_arguments)]
fn scan_with<H: Handler, R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    threads: usize,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
    limits: Limits,
) -> io::Result<u64> {
    let job = || par::Job { opts, handler };
    if threads <= 1 {
        let exec = par::Exec::Inline {
            job: job(),
            source: source.clone(),
        };
        return walk_document(source, reader, opts, handler, sink, stats, limits, exec);
    }
    let window = threads + 2;
    let (work_tx, work_rx) = sync_channel::<par::Batch>(window);
    let (done_tx, done_rx) = sync_channel(window);
    let work_rx = Mutex::new(work_rx);
    let worker_job = job();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (job, work_rx, done_tx) = (&worker_job, &work_rx, done_tx.clone());
            s.spawn(move || par::worker(job, source, work_rx, &done_tx));
        }
        drop(done_tx);
        let exec = par::Exec::Pool {
            tx: work_tx,
            rx: done_rx,
            window,
        };
        // Returning drops the sender: the workers finish and the scope joins them.
        walk_document(source, reader, opts, handler, sink, stats, limits, exec)
    })
}

/// Walks the document, its entries parsed by `exec`.
#[allow(clippy::too_many_arguments)]
fn walk_document<H: Handler, R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
    limits: Limits,
    exec: par::Exec<'_, H>,
) -> io::Result<u64> {
    let shared = Shared::default();
    let ready = RefCell::new(VecDeque::new());
    let flow = par::Flow::new(exec);
    let splice = Splice::new(
        reader,
        &shared,
        (limits.max_entry, limits.batch),
        flow,
        &ready,
    );
    let filter = StringCap::new(splice, &shared, limits.max_string, limits.tail);
    let mut de = serde_json::Deserializer::from_reader(filter);
    let mut out = Out {
        handler,
        sink,
        ready: &ready,
        shared: &shared,
    };
    let mut ctx = Ctx {
        source,
        opts,
        sink: &mut out,
        stats,
        shared: &shared,
        entries: 0,
        current: None,
        saw_entries: false,
    };
    let res = DocSeed(&mut ctx)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match res {
        Ok(()) if !ctx.saw_entries => {
            ctx.stats
                .skip(source, 1, "HAR document without a log.entries array");
        }
        Ok(()) => {}
        Err(e) if e.is_io() => return Err(e.into()),
        Err(e) => ctx.report(&e),
    }
    Ok(shared.consumed.get() - shared.handed.get())
}

/// Where the walk's captures go.
trait Sink {
    /// A capture the walk built itself.
    fn capture(&mut self, c: Capture);
    /// Hands on the result [`Splice`] parsed ahead for entry `n`, if there is one, and
    /// credits the newlines of its placeholder (see [`Shared::credited`]).
    fn ready(&mut self, n: u64) -> bool;
}

struct Out<'a, H: Handler> {
    handler: &'a H,
    sink: &'a mut dyn FnMut(H::Item),
    ready: &'a splice::ReadyQueue<H::Item>,
    shared: &'a Shared,
}

impl<H: Handler> Sink for Out<'_, H> {
    fn capture(&mut self, c: Capture) {
        if let Some(t) = self.handler.capture(c) {
            (self.sink)(t);
        }
    }

    fn ready(&mut self, n: u64) -> bool {
        let mut ready = self.ready.borrow_mut();
        loop {
            match ready.front() {
                Some((m, ..)) if *m <= n => {}
                _ => return false,
            }
            let Some((m, lines, item)) = ready.pop_front() else {
                return false;
            };
            let sh = self.shared;
            sh.ready_len.set(sh.ready_len.get() - 1);
            sh.newlines.set(sh.newlines.get() + lines);
            sh.credited.set(sh.credited.get() + lines);
            if m == n {
                drop(ready);
                if let Some(t) = item {
                    (self.sink)(t);
                }
                return true;
            }
        }
    }
}

/// State the filter shares with the visitors.
#[derive(Default)]
struct Shared {
    /// Newlines handed to the parser so far.
    newlines: Cell<u64>,
    /// Newlines of parsed-ahead entries whose placeholders the walk has passed: the
    /// placeholder is only `{}`, so they are counted here (and in `newlines`) instead.
    credited: Cell<u64>,
    /// Set as each string closes: its length in the file when it was cut, `None` when whole.
    cut: Cell<Option<u64>>,
    /// Results waiting in the ready queue (see [`Splice`]).
    ready_len: Cell<usize>,
    /// Bytes of the file read as far as the walk went (see [`splice::Piece`]).
    handed: Cell<u64>,
    /// Bytes of the file read.
    consumed: Cell<u64>,
    /// The entry the file ended inside, closed and read as far as it went: its number
    /// (1-based) and line.
    cut_entry: Cell<Option<(u64, u64)>>,
}

/// What the visitors need while they walk the document.
struct Ctx<'a> {
    source: &'a Arc<str>,
    opts: &'a ScanOptions,
    sink: &'a mut dyn Sink,
    stats: &'a mut ScanStats,
    shared: &'a Shared,
    /// Entries started so far.
    entries: u64,
    /// The entry being read: its index (1-based) and line.
    current: Option<(u64, u64)>,
    saw_entries: bool,
}

impl Ctx<'_> {
    /// Notes why the document could not be read to its end.
    fn report(&mut self, e: &serde_json::Error) {
        let msg = e.to_string();
        // serde_json's column counts the filtered bytes; its line is right.
        let msg = msg
            .rsplit_once(" at line ")
            .map_or(msg.as_str(), |(m, _)| m);
        let line = match e.line() {
            0 => 1 + self.shared.newlines.get(),
            // serde_json did not see the newlines of the placeholders before the error.
            l => l as u64 + self.shared.credited.get(),
        };
        let read = self
            .entries
            .saturating_sub(u64::from(self.current.is_some()));
        let reason = match (e.classify(), self.current) {
            (serde_json::error::Category::Eof, Some((n, start))) => format!(
                "HAR document ends inside entry {n} (from line {start}): truncated file? \
                 {read} entries before it were read"
            ),
            (serde_json::error::Category::Eof, None) => match self.shared.cut_entry.get() {
                Some((n, start)) => format!(
                    "HAR document ends inside entry {n} (from line {start}): truncated file? \
                     the entry was read as far as it goes, {} entries before it whole",
                    read.saturating_sub(1)
                ),
                None => {
                    format!("HAR document ends early: truncated file? {read} entries were read")
                }
            },
            (_, Some((n, start))) => format!(
                "malformed HAR in entry {n} (from line {start}): {msg}; \
                 {read} entries before it were read"
            ),
            (_, None) => format!("malformed HAR: {msg}; {read} entries were read"),
        };
        self.stats.skip(self.source, line, reason);
    }

    /// Turns one entry into a capture and hands it on (or only counts a plain success).
    fn emit(&mut self, e: Entry, line: u64) {
        self.stats.captures += 1;
        if let Some(c) = build(self.source, self.opts, e, line) {
            self.sink.capture(c);
        }
    }
}

/// One entry's capture; `None` when only failures are wanted and it is not one.
fn build(source: &Arc<str>, opts: &ScanOptions, e: Entry, line: u64) -> Option<Capture> {
    let resp = e.response.unwrap_or_default();
    let content = resp.content.unwrap_or_default();
    let mime = content.mime.as_deref().unwrap_or("");
    let body = Body::from_content(content.text, content.encoding.as_deref(), mime);
    if opts.failures_only && plain_success(resp.status, &body) {
        return None;
    }
    let mut c = Capture::new(source.clone(), line, Format::Har);
    c.time = e.started.as_deref().and_then(object::parse_time_str);
    c.status = resp.status;
    for (n, v) in &resp.headers {
        c.headers.set(n, v);
    }
    if let Some(req) = e.request {
        c.method = req.method;
        c.url = req.url;
        if let Some(text) = req.post.and_then(|p| p.text).and_then(Leaf::into_string) {
            read_request_body(&mut c, &text);
        }
    }
    read_body(&mut c, &body, mime);
    if opts.failures_only && !crate::classify::is_failure(&c) {
        return None;
    }
    Some(c)
}

/// A response body as far as it was kept.
enum Body {
    None,
    /// The whole body, decoded.
    Whole(String),
    /// The last whole lines of a body too long to keep (only useful for an SSE stream).
    Tail(String),
}

impl Body {
    /// The body of `content`; none for media types that cannot carry an API error (images,
    /// fonts...), which are not even decoded.
    fn from_content(text: Option<Leaf>, encoding: Option<&str>, mime: &str) -> Body {
        const BINARY: [&str; 6] = [
            "image/",
            "font/",
            "audio/",
            "video/",
            "octet-stream",
            "wasm",
        ];
        let mime = mime.to_ascii_lowercase();
        if BINARY.iter().any(|m| mime.contains(m)) {
            return Body::None;
        }
        let base64 = encoding.is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        match text {
            Some(Leaf::Str(s)) if base64 => decode_base64(&s).map_or(Body::None, Body::Whole),
            Some(Leaf::Str(s)) => Body::Whole(s),
            // The end of a cut base64 body decodes to nothing useful.
            Some(Leaf::Cut(s)) if !base64 && !s.is_empty() => Body::Tail(s),
            _ => Body::None,
        }
    }
}

fn decode_base64(s: &str) -> Option<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = if s.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        ENGINE.decode(compact)
    } else {
        ENGINE.decode(s)
    }
    .ok()?;
    Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// A success that cannot carry an error, known without building a capture: a status below
/// 400 and a body that never says "error" (an SSE `error` event or an error object inside a
/// 200 would).
fn plain_success(status: Option<u16>, body: &Body) -> bool {
    if status.is_none_or(|s| s >= 400) {
        return false;
    }
    match body {
        Body::None => true,
        Body::Whole(s) | Body::Tail(s) => memmem::find(s.as_bytes(), b"rror").is_none(),
    }
}

/// Fills the error fields (or, for a success, model and output tokens) from a response body.
fn read_body(c: &mut Capture, body: &Body, mime: &str) {
    let (text, whole) = match body {
        Body::None => return,
        Body::Whole(s) => (s.trim_start(), true),
        Body::Tail(s) => (s.trim_start(), false),
    };
    let sse = mime.to_ascii_lowercase().contains("event-stream")
        || text.starts_with("event:")
        || text.starts_with("data:");
    if sse {
        object::read_sse(c, text);
        return;
    }
    if !whole || text.is_empty() {
        return;
    }
    let failed = c.status.is_some_and(|s| s >= 400);
    if text.starts_with('{')
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        // A Messages success body has `"type": "message"`: taking it as an error object would
        // turn a 200 into a failure.
        let error_shaped = matches!(v.get("error"), Some(Value::Object(_) | Value::String(_)))
            || v.get("type").and_then(Value::as_str) == Some("error");
        if failed || error_shaped {
            c.absorb_body(&v);
        } else {
            if let Some(m) = v.get("model").and_then(Value::as_str) {
                c.model.get_or_insert_with(|| m.to_string());
            }
            c.output_tokens = v
                .get("usage")
                .and_then(|u| u.get("output_tokens"))
                .and_then(Value::as_u64);
        }
        return;
    }
    if failed {
        object::read_body_text(c, text);
    }
}

/// Model and `max_tokens` from a Messages request body.
fn read_request_body(c: &mut Capture, text: &str) {
    #[derive(Deserialize)]
    struct Req {
        model: Option<String>,
        max_tokens: Option<u64>,
    }
    if !text.trim_start().starts_with('{') {
        return;
    }
    if let Ok(r) = serde_json::from_str::<Req>(text) {
        c.model = r.model;
        c.request.max_tokens = r.max_tokens;
    }
}

// ---- The document walk ------------------------------------------------------------------

#[cfg(test)]
mod tests;
