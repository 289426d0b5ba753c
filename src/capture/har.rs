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
//!   `log.entries` with a string-aware depth scan, parses it with serde from the slice, and
//!   hands the walk a placeholder holding only its newlines. Odd, oversize (over
//!   [`MAX_STRING`]) or unparsable entries go through the walk as before.
//! * A malformed or truncated document stops the scan with a note in the stats; the captures
//!   already handed on stay handed on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::marker::PhantomData;
use std::sync::Arc;

use base64::Engine as _;
use memchr::memmem;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::stats::{ScanOptions, ScanStats};
use super::{Capture, Format, jsonl};

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

/// Streams the entries of a HAR document.
pub fn scan<R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
    stats: &mut ScanStats,
) -> io::Result<()> {
    scan_capped(source, reader, opts, out, stats, MAX_STRING, TAIL)
}

fn scan_capped<R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
    stats: &mut ScanStats,
    max_string: usize,
    tail: usize,
) -> io::Result<()> {
    scan_with(
        source, reader, opts, out, stats, max_string, tail, max_string,
    )
}

/// `max_entry`: the longest entry parsed ahead from a slice by [`Splice`]; 0 walks every
/// entry through the streaming parser.
#[allow(clippy::too_many_arguments)]
fn scan_with<R: BufRead>(
    source: &Arc<str>,
    reader: &mut R,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
    stats: &mut ScanStats,
    max_string: usize,
    tail: usize,
    max_entry: usize,
) -> io::Result<()> {
    let shared = Shared::default();
    let splice = Splice::new(reader, &shared, max_entry, opts.failures_only);
    let filter = StringCap::new(splice, &shared, max_string, tail);
    let mut de = serde_json::Deserializer::from_reader(filter);
    let mut ctx = Ctx {
        source,
        opts,
        out,
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
    Ok(())
}

/// A container [`Splice`] knows the meaning of: the root object, `log`, `log.entries`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Root,
    Log,
    Entries,
}

/// The last string closed directly in a known frame (a key, when a container follows).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    None,
    Log,
    Entries,
    Other,
}

/// Sits below [`StringCap`] and takes the slow byte-by-byte walk off most of the file: it
/// follows the document lexically (strings, escapes, depth), buffers each object element of
/// `log.entries` up to `max` bytes, and parses it with serde from that slice. A parsed entry
/// goes to [`Shared::ready`] and the walk is handed a placeholder `{}` followed by the entry's
/// newlines, so entry counts, lines and everything around the entries array stay exactly what
/// the streaming walk makes of them. An entry that does not parse on its own, or is longer than
/// `max` (its strings may need cutting), is passed through unchanged for the walk to read as
/// before; so is any file whose keys are escaped or otherwise not spelled plainly.
struct Splice<'s, R> {
    inner: R,
    st: SpliceState<'s>,
}

/// The bytes that can change the splice's state inside an entry: quotes and brackets.
static STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

struct SpliceState<'s> {
    shared: &'s Shared,
    max: usize,
    /// Plain successes need not be parsed (see [`is_plain_success`]).
    failures_only: bool,
    /// Bytes for the walk, from `pos`.
    out: Vec<u8>,
    pos: usize,
    in_str: bool,
    esc: bool,
    /// The open string's first bytes when it may be a key.
    key_buf: Vec<u8>,
    keying: bool,
    key: Key,
    frames: Vec<Frame>,
    /// Depth of containers below the innermost known frame.
    other: usize,
    /// In `log.entries`, after `[` or `,`: the next value starts an element.
    elem_pending: bool,
    /// Elements of `log.entries` arrays seen so far.
    ordinal: u64,
    /// Buffering the current entry.
    capturing: bool,
    entry: Vec<u8>,
    /// The buffered entry nests deeper than the walk would accept: it reads it itself.
    deep: bool,
}

impl<'s, R: BufRead> Splice<'s, R> {
    fn new(inner: R, shared: &'s Shared, max: usize, failures_only: bool) -> Self {
        Splice {
            inner,
            st: SpliceState {
                shared,
                max,
                failures_only,
                out: Vec::with_capacity(64 * 1024),
                pos: 0,
                in_str: false,
                esc: false,
                key_buf: Vec::new(),
                keying: false,
                key: Key::None,
                frames: Vec::new(),
                other: 0,
                elem_pending: false,
                ordinal: 0,
                capturing: false,
                entry: Vec::new(),
                deep: false,
            },
        }
    }
}

impl<R: BufRead> Read for Splice<'_, R> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let src = self.fill_buf()?;
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Splice<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let st = &mut self.st;
        if st.pos == st.out.len() {
            st.out.clear();
            st.pos = 0;
            while st.out.is_empty() {
                let avail = self.inner.fill_buf()?;
                if avail.is_empty() {
                    // The file ends inside an entry: the walk reports it from the bytes.
                    if st.capturing {
                        st.capturing = false;
                        st.out.append(&mut st.entry);
                    }
                    break;
                }
                let used = st.process(avail);
                self.inner.consume(used);
            }
        }
        Ok(&st.out[st.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.st.pos = (self.st.pos + n).min(self.st.out.len());
    }
}

impl SpliceState<'_> {
    fn emit(&mut self, bytes: &[u8]) {
        if self.capturing {
            self.entry.extend_from_slice(bytes);
        } else {
            self.out.extend_from_slice(bytes);
        }
    }

    /// Takes bytes of `chunk`; returns how many, stopping right after an entry closes.
    fn process(&mut self, chunk: &[u8]) -> usize {
        let mut i = 0;
        let mut seg = 0;
        while i < chunk.len() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                let Some(j) = memchr::memchr2(b'"', b'\\', &chunk[i..]) else {
                    self.key_bytes(&chunk[i..]);
                    i = chunk.len();
                    continue;
                };
                let k = i + j;
                self.key_bytes(&chunk[i..=k]);
                if chunk[k] == b'\\' {
                    self.esc = true;
                } else {
                    self.in_str = false;
                    if self.keying {
                        self.keying = false;
                        self.key = match &self.key_buf[..] {
                            b"log\"" => Key::Log,
                            b"entries\"" => Key::Entries,
                            _ => Key::Other,
                        };
                    }
                }
                i = k + 1;
                continue;
            }
            if self.other > 0 {
                // Inside an entry only quotes and brackets matter: skip the rest (mostly
                // indentation) in a tight loop.
                while i < chunk.len() && !STRUCTURAL[chunk[i] as usize] {
                    i += 1;
                }
                if i == chunk.len() {
                    break;
                }
            }
            let b = chunk[i];
            if self.other > 0 {
                match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => {
                        self.other += 1;
                        // serde_json's recursion limit counts from the document's root.
                        self.deep |= self.other > 100;
                    }
                    b'}' | b']' => {
                        self.other -= 1;
                        if self.other == 0 && self.capturing {
                            self.emit(&chunk[seg..=i]);
                            self.finish_entry();
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            let top = self.frames.last().copied();
            let element = top == Some(Frame::Entries)
                && self.elem_pending
                && !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b']' | b',');
            if element {
                self.elem_pending = false;
                self.ordinal += 1;
            }
            match b {
                b'"' => {
                    self.in_str = true;
                    self.keying = true;
                    self.key_buf.clear();
                }
                b'{' if element && self.max > 0 => {
                    self.emit(&chunk[seg..i]);
                    seg = i;
                    self.capturing = true;
                    self.deep = false;
                    self.entry.clear();
                    self.other = 1;
                }
                b'{' if top.is_none() && self.frames.is_empty() => self.push(Frame::Root),
                b'{' if top == Some(Frame::Root) && self.key == Key::Log => self.push(Frame::Log),
                b'[' if top == Some(Frame::Log) && self.key == Key::Entries => {
                    self.push(Frame::Entries);
                    self.elem_pending = true;
                }
                b'{' | b'[' => self.other = 1,
                b'}' | b']' => {
                    self.frames.pop();
                    self.key = Key::None;
                    self.elem_pending = false;
                }
                b',' if top == Some(Frame::Entries) => self.elem_pending = true,
                _ => {}
            }
            i += 1;
        }
        self.emit(&chunk[seg..]);
        if self.capturing && self.entry.len() > self.max {
            // Too long to hold: the walk reads the rest of this entry as before.
            self.capturing = false;
            self.out.append(&mut self.entry);
        }
        chunk.len()
    }

    fn key_bytes(&mut self, bytes: &[u8]) {
        if self.keying && self.key_buf.len() < 16 {
            let n = bytes.len().min(16);
            self.key_buf.extend_from_slice(&bytes[..n]);
        }
    }

    fn push(&mut self, f: Frame) {
        self.frames.push(f);
        self.key = Key::None;
    }

    /// Parses the buffered entry; a placeholder for the walk when it parses on its own.
    fn finish_entry(&mut self) {
        self.capturing = false;
        if self.failures_only && !self.deep && is_plain_success(&self.entry) {
            self.shared
                .ready
                .borrow_mut()
                .push_back((self.ordinal, Ready::Success));
            self.placeholder();
            return;
        }
        let sh = Shared::default();
        let mut de = serde_json::Deserializer::from_slice(&self.entry);
        let parsed = Obj::<Entry>::new(&sh)
            .deserialize(&mut de)
            .and_then(|e| de.end().map(|()| e));
        match parsed {
            Ok(Some(e)) if !self.deep => {
                self.shared
                    .ready
                    .borrow_mut()
                    .push_back((self.ordinal, Ready::Entry(Box::new(e))));
                self.placeholder();
            }
            _ => self.out.append(&mut self.entry),
        }
    }

    /// Hands the walk `{}` and the entry's newlines in place of the buffered entry.
    fn placeholder(&mut self) {
        let lines = memchr::memchr_iter(b'\n', &self.entry).count();
        self.out.extend_from_slice(b"{}");
        self.out.resize(self.out.len() + lines, b'\n');
        self.entry.clear();
    }
}

/// State the filter shares with the visitors.
#[derive(Default)]
struct Shared {
    /// Newlines handed to the parser so far.
    newlines: Cell<u64>,
    /// Set as each string closes: its length in the file when it was cut, `None` when whole.
    cut: Cell<Option<u64>>,
    /// Entries [`Splice`] parsed ahead from a slice, by ordinal in `log.entries`, waiting for
    /// the walk to reach their placeholders.
    ready: RefCell<VecDeque<(u64, Ready)>>,
}

/// An entry [`Splice`] read ahead.
enum Ready {
    Entry(Box<Entry>),
    /// A plain success, known without parsing it whole (see [`is_plain_success`]): only
    /// counted, as [`Ctx::emit`] would do with it when only failures are wanted.
    Success,
}

/// Whether an entry is a plain success (see [`plain_success`]) by a cheap look: one pass
/// over its raw bytes finds no `rror` (an error type or message anywhere), no `\\u` escape
/// (which could spell one), no `base64` (a body encoded so), and `"response"` and
/// `"status"` once each; then its response status, read with every value before it skipped
/// unparsed and nothing after it read at all, is a number from 100 to 399. Anything else
/// is parsed whole.
fn is_plain_success(entry: &[u8]) -> bool {
    static WORDS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(["rror", "\\u", "base64", "\"response\"", "\"status\""])
            .expect("static patterns build")
    });
    let mut seen = [0usize; 5];
    for m in WORDS.find_iter(entry) {
        let p = m.pattern().as_usize();
        if p < 3 {
            return false;
        }
        seen[p] += 1;
    }
    seen[3] == 1 && seen[4] == 1 && response_status(entry).is_some_and(|s| (100..400).contains(&s))
}

/// `response.status` of an entry, parsing no further than that number (the visitors stop
/// the parser with an error once they have it).
fn response_status(entry: &[u8]) -> Option<u16> {
    let found = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(entry);
    let _ = de.deserialize_map(PeekMap {
        found: &found,
        key: "response",
    });
    found.get()
}

/// Finds `key` in a map and reads it: `response` (a map again, for `status`), `status` (the
/// number, kept in `found`).
struct PeekMap<'a> {
    found: &'a Cell<Option<u16>>,
    key: &'static str,
}

impl<'de> Visitor<'de> for PeekMap<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let keys: &'static [&'static str] = if self.key == "response" {
            &["response"]
        } else {
            &["status"]
        };
        while let Some(k) = map.next_key_seed(KeySeed(keys))? {
            match (k, self.key) {
                (None, _) => {
                    map.next_value::<IgnoredAny>()?;
                }
                (Some(_), "response") => {
                    map.next_value_seed(PeekSeed(PeekMap {
                        found: self.found,
                        key: "status",
                    }))?;
                    return Err(de::Error::custom("response read"));
                }
                (Some(_), _) => {
                    let n: u64 = map.next_value()?;
                    self.found.set(u16::try_from(n).ok());
                    return Err(de::Error::custom("status read"));
                }
            }
        }
        Ok(())
    }
}

struct PeekSeed<'a>(PeekMap<'a>);

impl<'de> DeserializeSeed<'de> for PeekSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self.0)
    }
}

/// Entries parsed ahead at most; the filter stops pulling bytes when this many wait.
const READY_MAX: usize = 8;

/// Sits between the file and serde_json and caps the length of every JSON string (see the
/// module doc). It stops filling right after a string closes, so when the parser has read a
/// closing quote, [`Shared::cut`] describes that string.
struct StringCap<'s, R> {
    inner: R,
    st: CapState<'s>,
    bom_checked: bool,
}

struct CapState<'s> {
    shared: &'s Shared,
    max: usize,
    tail: usize,
    /// Filtered bytes not yet handed over, from `pos`.
    out: Vec<u8>,
    pos: usize,
    in_str: bool,
    /// The previous byte in the string was an escaping backslash.
    esc: bool,
    /// The open string's content (escaped, as in the file); once cut, only its end.
    buf: Vec<u8>,
    /// Length of the open string so far.
    len: u64,
    cut: bool,
}

impl<'s, R: BufRead> StringCap<'s, R> {
    fn new(inner: R, shared: &'s Shared, max: usize, tail: usize) -> Self {
        StringCap {
            inner,
            st: CapState {
                shared,
                max,
                tail,
                out: Vec::with_capacity(64 * 1024),
                pos: 0,
                in_str: false,
                esc: false,
                buf: Vec::new(),
                len: 0,
                cut: false,
            },
            bom_checked: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let st = &mut self.st;
        st.out.clear();
        st.pos = 0;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                // Inside a string at the end: hand over nothing more, the parser reports EOF.
                return Ok(());
            }
            if !self.bom_checked {
                self.bom_checked = true;
                if avail.starts_with(b"\xEF\xBB\xBF") {
                    self.inner.consume(3);
                    continue;
                }
            }
            let (used, closed) = if st.in_str {
                st.string_bytes(avail)
            } else {
                st.outside_bytes(avail)
            };
            self.inner.consume(used);
            if closed
                || (!st.in_str
                    && (st.out.len() >= 64 * 1024 || st.shared.ready.borrow().len() >= READY_MAX))
            {
                return Ok(());
            }
        }
    }
}

impl CapState<'_> {
    /// Takes bytes outside strings up to and including the quote that opens the next one.
    fn outside_bytes(&mut self, chunk: &[u8]) -> (usize, bool) {
        match memchr::memchr(b'"', chunk) {
            Some(i) => {
                self.out.extend_from_slice(&chunk[..=i]);
                self.in_str = true;
                self.esc = false;
                self.len = 0;
                self.cut = false;
                self.buf.clear();
                (i + 1, false)
            }
            None => {
                self.out.extend_from_slice(chunk);
                (chunk.len(), false)
            }
        }
    }

    /// Takes bytes of an open string; returns how many were used and whether it closed.
    fn string_bytes(&mut self, chunk: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < chunk.len() {
            if self.esc {
                self.esc = false;
                self.push(&chunk[i..=i]);
                i += 1;
                continue;
            }
            let Some(j) = memchr::memchr2(b'"', b'\\', &chunk[i..]) else {
                self.push(&chunk[i..]);
                return (chunk.len(), false);
            };
            let k = i + j;
            if chunk[k] == b'\\' {
                self.push(&chunk[i..=k]);
                self.esc = true;
                i = k + 1;
            } else {
                self.push(&chunk[i..k]);
                self.close();
                return (k + 1, true);
            }
        }
        (chunk.len(), false)
    }

    fn push(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if !self.cut {
            self.buf.extend_from_slice(bytes);
            if self.buf.len() > self.max {
                self.cut = true;
                self.keep_tail();
            }
        } else if bytes.len() >= self.tail {
            self.buf.clear();
            self.buf
                .extend_from_slice(&bytes[bytes.len() - self.tail..]);
        } else {
            self.buf.extend_from_slice(bytes);
            if self.buf.len() > 2 * self.tail {
                self.keep_tail();
            }
        }
    }

    fn keep_tail(&mut self) {
        let drop = self.buf.len().saturating_sub(self.tail);
        self.buf.drain(..drop);
    }

    fn close(&mut self) {
        if self.cut {
            let start = tail_start(&self.buf);
            self.out.extend_from_slice(&self.buf[start..]);
            self.shared.cut.set(Some(self.len));
        } else {
            self.out.extend_from_slice(&self.buf);
            self.shared.cut.set(None);
        }
        self.out.push(b'"');
        self.in_str = false;
        self.buf.clear();
    }
}

/// Where the first whole line of the end of a cut string starts: just after the first `\n`
/// escape whose backslash is known to start an escape (an even run of backslashes before it,
/// and the run does not reach the cut). The end of the buffer when there is none.
fn tail_start(buf: &[u8]) -> usize {
    for p in memmem::find_iter(buf, b"\\n") {
        let run = buf[..p].iter().rev().take_while(|&&b| b == b'\\').count();
        if run < p && run % 2 == 0 {
            return p + 2;
        }
    }
    buf.len()
}

impl<R: BufRead> Read for StringCap<'_, R> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        if dst.is_empty() {
            return Ok(0);
        }
        if self.st.pos == self.st.out.len() {
            self.fill()?;
            if self.st.out.is_empty() {
                return Ok(0);
            }
        }
        let src = &self.st.out[self.st.pos..];
        // serde_json reads one byte at a time: keep that path short.
        let n = if dst.len() == 1 {
            dst[0] = src[0];
            if src[0] == b'\n' {
                self.st
                    .shared
                    .newlines
                    .set(self.st.shared.newlines.get() + 1);
            }
            1
        } else {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
            let lines = memchr::memchr_iter(b'\n', &src[..n]).count() as u64;
            self.st
                .shared
                .newlines
                .set(self.st.shared.newlines.get() + lines);
            n
        };
        self.st.pos += n;
        Ok(n)
    }
}

/// What the visitors need while they walk the document.
struct Ctx<'a> {
    source: &'a Arc<str>,
    opts: &'a ScanOptions,
    out: &'a mut dyn FnMut(Capture),
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
            l => l as u64,
        };
        let read = self
            .entries
            .saturating_sub(u64::from(self.current.is_some()));
        let reason = match (e.classify(), self.current) {
            (serde_json::error::Category::Eof, Some((n, start))) => format!(
                "HAR document ends inside entry {n} (from line {start}): truncated file? \
                 {read} entries before it were read"
            ),
            (serde_json::error::Category::Eof, None) => {
                format!("HAR document ends early: truncated file? {read} entries were read")
            }
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
        let resp = e.response.unwrap_or_default();
        let content = resp.content.unwrap_or_default();
        let mime = content.mime.as_deref().unwrap_or("");
        let body = Body::from_content(content.text, content.encoding.as_deref(), mime);
        if self.opts.failures_only && plain_success(resp.status, &body) {
            return;
        }
        let mut c = Capture::new(self.source.clone(), line, Format::Har);
        c.time = e.started.as_deref().and_then(jsonl::parse_time_str);
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
        if self.opts.failures_only && !crate::classify::is_failure(&c) {
            return;
        }
        (self.out)(c);
    }
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
        jsonl::read_sse(c, text);
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
        jsonl::read_body_text(c, text);
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

/// Visitor methods for JSON scalars a lenient visitor has no use for.
macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// The root object: only `log` is read.
struct DocSeed<'c, 'a>(&'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR document (an object with a log)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(k) = map.next_key_seed(KeySeed(&["log"]))? {
            match k {
                Some(_) => map.next_value_seed(LogSeed(&mut *ctx))?,
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }
}

/// `log`: only `entries` is read.
struct LogSeed<'c, 'a>(&'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR log object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(k) = map.next_key_seed(KeySeed(&["entries"]))? {
            match k {
                Some(_) => {
                    ctx.saw_entries = true;
                    map.next_value_seed(EntriesSeed(&mut *ctx))?;
                }
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }
}

/// `log.entries`: each entry is read, turned into a capture and dropped before the next.
struct EntriesSeed<'c, 'a>(&'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR entries array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while seq.next_element_seed(EntrySeed(&mut *ctx))?.is_some() {}
        Ok(())
    }
}

struct EntrySeed<'c, 'a>(&'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let ctx = self.0;
        // The entry's first byte has been peeked: the newlines so far give its line.
        let line = 1 + ctx.shared.newlines.get();
        ctx.entries += 1;
        ctx.current = Some((ctx.entries, line));
        let mut entry = Obj::<Entry>::new(ctx.shared).deserialize(d)?;
        ctx.current = None;
        if entry.is_some() {
            // A placeholder `{}` stands for an entry [`Splice`] already parsed.
            let mut ready = ctx.shared.ready.borrow_mut();
            while ready.front().is_some_and(|(n, _)| *n < ctx.entries) {
                ready.pop_front();
            }
            if ready.front().is_some_and(|(n, _)| *n == ctx.entries) {
                match ready.pop_front() {
                    Some((_, Ready::Entry(e))) => entry = Some(*e),
                    Some((_, Ready::Success)) => {
                        ctx.stats.captures += 1;
                        return Ok(());
                    }
                    None => {}
                }
            }
        }
        match entry {
            Some(e) => ctx.emit(e, line),
            None => {
                let n = ctx.entries;
                ctx.stats
                    .skip(ctx.source, line, format!("HAR entry {n} is not an object"));
            }
        }
        Ok(())
    }
}

/// Map keys matched against a list of wanted names, without allocating.
struct KeySeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == s))
    }
}

/// An object with a few wanted fields, read leniently: a wanted field of an unexpected JSON
/// type is ignored rather than failing the document.
trait Fields: Default {
    const NAMES: &'static [&'static str];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error>;
}

/// Reads a [`Fields`] object; anything but an object gives `None`.
struct Obj<'s, T>(&'s Shared, PhantomData<T>);

impl<'s, T> Obj<'s, T> {
    fn new(sh: &'s Shared) -> Self {
        Obj(sh, PhantomData)
    }
}

impl<'de, T: Fields> DeserializeSeed<'de> for Obj<'_, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Fields> Visitor<'de> for Obj<'_, T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut t = T::default();
        while let Some(k) = map.next_key_seed(KeySeed(T::NAMES))? {
            match k {
                Some(i) => t.set(i, &mut map, self.0)?,
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(Some(t))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }
    ignore_scalars!(None);
}

/// A scalar field.
enum Leaf {
    Str(String),
    /// A string too long to keep whole: its last whole lines (see [`StringCap`]).
    Cut(String),
    Num(f64),
    Int(u64),
    Bool(bool),
    /// `null`, a negative integer, an array or an object.
    Other,
}

impl Leaf {
    /// The text of a whole string, number or boolean.
    fn into_string(self) -> Option<String> {
        match self {
            Leaf::Str(s) => Some(s),
            Leaf::Int(n) => Some(n.to_string()),
            Leaf::Num(n) => Some(n.to_string()),
            Leaf::Bool(b) => Some(b.to_string()),
            Leaf::Cut(_) | Leaf::Other => None,
        }
    }

    /// An HTTP status (a number or a string starting with one); HAR's `0` (no response) and
    /// other out-of-range values give `None`.
    fn status(&self) -> Option<u16> {
        let n = match self {
            Leaf::Int(n) => u16::try_from(*n).ok(),
            Leaf::Num(n) if n.fract() == 0.0 && (0.0..1000.0).contains(n) => Some(*n as u16),
            Leaf::Str(s) => s.trim().get(..3).and_then(|d| d.parse().ok()),
            _ => None,
        };
        n.filter(|s| (100..600).contains(s))
    }
}

struct LeafSeed<'s>(&'s Shared);

impl<'de> DeserializeSeed<'de> for LeafSeed<'_> {
    type Value = Leaf;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Leaf, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafSeed<'_> {
    type Value = Leaf;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Leaf, E> {
        // The string has just closed, so the filter's note is about this one.
        Ok(match self.0.cut.get() {
            Some(_) => Leaf::Cut(s.to_owned()),
            None => Leaf::Str(s.to_owned()),
        })
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Leaf, E> {
        Ok(Leaf::Int(n))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Leaf, E> {
        Ok(Leaf::Num(n))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Leaf, E> {
        Ok(Leaf::Bool(b))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Leaf, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Leaf::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Leaf, A::Error> {
        IgnoredAny.visit_map(map).map(|_| Leaf::Other)
    }
}

/// `response.headers`: HAR's list of `{name, value}`; an object of `name: value` is taken too.
struct HeadersSeed<'s>(&'s Shared);

impl<'de> DeserializeSeed<'de> for HeadersSeed<'_> {
    type Value = Vec<(String, String)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HeadersSeed<'_> {
    type Value = Vec<(String, String)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of headers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(h) = seq.next_element_seed(Obj::<Header>::new(self.0))? {
            if let Some(Header {
                name: Some(n),
                value: Some(val),
            }) = h
                && v.len() < MAX_HEADERS
            {
                v.push((n, val));
            }
        }
        Ok(v)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(n) = map.next_key::<String>()? {
            if let Some(val) = map.next_value_seed(LeafSeed(self.0))?.into_string()
                && v.len() < MAX_HEADERS
            {
                v.push((n, val));
            }
        }
        Ok(v)
    }
    ignore_scalars!(Vec::new());
}

// ---- What an entry keeps ------------------------------------------------------------------

#[derive(Default)]
struct Entry {
    started: Option<String>,
    request: Option<Request>,
    response: Option<Response>,
}

impl Fields for Entry {
    const NAMES: &'static [&'static str] = &["startedDateTime", "request", "response"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        match field {
            0 => self.started = map.next_value_seed(LeafSeed(sh))?.into_string(),
            1 => self.request = map.next_value_seed(Obj::new(sh))?,
            _ => self.response = map.next_value_seed(Obj::new(sh))?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Request {
    method: Option<String>,
    url: Option<String>,
    post: Option<PostData>,
}

impl Fields for Request {
    const NAMES: &'static [&'static str] = &["method", "url", "postData"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        match field {
            0 => self.method = map.next_value_seed(LeafSeed(sh))?.into_string(),
            1 => self.url = map.next_value_seed(LeafSeed(sh))?.into_string(),
            _ => self.post = map.next_value_seed(Obj::new(sh))?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct PostData {
    text: Option<Leaf>,
}

impl Fields for PostData {
    const NAMES: &'static [&'static str] = &["text"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        _: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        self.text = Some(map.next_value_seed(LeafSeed(sh))?);
        Ok(())
    }
}

#[derive(Default)]
struct Response {
    status: Option<u16>,
    headers: Vec<(String, String)>,
    content: Option<Content>,
}

impl Fields for Response {
    const NAMES: &'static [&'static str] = &["status", "headers", "content"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        match field {
            0 => self.status = map.next_value_seed(LeafSeed(sh))?.status(),
            1 => self.headers = map.next_value_seed(HeadersSeed(sh))?,
            _ => self.content = map.next_value_seed(Obj::new(sh))?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Content {
    text: Option<Leaf>,
    encoding: Option<String>,
    mime: Option<String>,
}

impl Fields for Content {
    const NAMES: &'static [&'static str] = &["text", "encoding", "mimeType"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        let leaf = map.next_value_seed(LeafSeed(sh))?;
        match field {
            0 => self.text = Some(leaf),
            1 => self.encoding = leaf.into_string(),
            _ => self.mime = leaf.into_string(),
        }
        Ok(())
    }
}

#[derive(Default)]
struct Header {
    name: Option<String>,
    value: Option<String>,
}

impl Fields for Header {
    const NAMES: &'static [&'static str] = &["name", "value"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        let v = map.next_value_seed(LeafSeed(sh))?.into_string();
        if field == 0 {
            self.name = v;
        } else {
            self.value = v;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor};

    use super::*;

    const CHROME: &str = include_str!("../../tests/fixtures/har/chrome-devtools.har");
    const FIREFOX: &str = include_str!("../../tests/fixtures/har/firefox.har");
    const MITM: &str = include_str!("../../tests/fixtures/har/mitmproxy-base64.har");
    const SSE: &str = include_str!("../../tests/fixtures/har/sse-overload.har");
    const TRUNCATED: &str = include_str!("../../tests/fixtures/har/truncated.har");

    /// Scans `input` through a read buffer of `chunk` bytes with the given string limits.
    fn run_with(
        input: &[u8],
        failures_only: bool,
        chunk: usize,
        max: usize,
        tail: usize,
    ) -> (Vec<Capture>, ScanStats) {
        run_entries(input, failures_only, chunk, max, tail, max)
    }

    /// [`run_with`], entries parsed from slices up to `max_entry` bytes (0: all walked).
    fn run_entries(
        input: &[u8],
        failures_only: bool,
        chunk: usize,
        max: usize,
        tail: usize,
        max_entry: usize,
    ) -> (Vec<Capture>, ScanStats) {
        let source: Arc<str> = Arc::from("t.har");
        let mut reader = BufReader::with_capacity(chunk, Cursor::new(input));
        let mut caps = Vec::new();
        let mut stats = ScanStats::default();
        let opts = ScanOptions { failures_only };
        scan_with(
            &source,
            &mut reader,
            &opts,
            &mut |c| caps.push(c),
            &mut stats,
            max,
            tail,
            max_entry,
        )
        .unwrap();
        (caps, stats)
    }

    fn run(input: &str, failures_only: bool) -> (Vec<Capture>, ScanStats) {
        run_with(input.as_bytes(), failures_only, 8 * 1024, MAX_STRING, TAIL)
    }

    #[test]
    fn plain_successes_are_told_apart_without_a_full_parse() {
        let entry = |response: &str| {
            format!(
                r#"{{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {response}}}"#
            )
        };
        let yes = entry(
            r#"{"status": 200, "content": {"mimeType": "application/json", "text": "{\"id\": \"msg_1\"}"}}"#,
        );
        assert!(is_plain_success(yes.as_bytes()));
        for no in [
            // An SSE error inside a 200 stream.
            r#"{"status": 200, "content": {"text": "event: error\ndata: {\"type\": \"error\"}"}}"#,
            // A body that could hide one: base64, a \u escape.
            r#"{"status": 200, "content": {"encoding": "base64", "text": "ZXZlbnQ6IGVycm9y"}}"#,
            r#"{"status": 200, "content": {"text": "\u0065"}}"#,
            r#"{"status": 429}"#,
            r#"{"status": "200"}"#,
            r#"{"status": 0}"#,
            r#"{"statusText": "OK"}"#,
        ] {
            assert!(!is_plain_success(entry(no).as_bytes()), "{no}");
        }
        assert!(!is_plain_success(b"{}"));
        // Read no further than the status, so anything that could make a later value
        // count is refused up front: a second response or status, a status that is no
        // integer, a response that is not the entry's own.
        for no in [
            r#"{"response": {"status": 200}, "response": {"status": 429}}"#,
            r#"{"response": {"status": 200, "headers": [{"name": "status", "value": "429"}]}}"#,
            r#"{"response": {"status": 200.0}}"#,
            r#"{"_custom": {"response": {"status": 200}}}"#,
        ] {
            assert!(!is_plain_success(no.as_bytes()), "{no}");
        }
        assert!(is_plain_success(br#"{"response": {"status": 204}}"#));
    }

    /// A 200 whose base64 body is an SSE error stream is still found; plain successes are
    /// still counted.
    #[test]
    fn a_success_skipped_unparsed_still_counts_and_hidden_errors_are_found() {
        let sse = base64::engine::general_purpose::STANDARD.encode(
            "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n",
        );
        let doc = format!(
            r#"{{"log": {{"entries": [
  {{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {{"status": 200, "content": {{"mimeType": "application/json", "text": "{{}}"}}}}}},
  {{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {{"status": 200, "content": {{"mimeType": "text/event-stream", "encoding": "base64", "text": "{sse}"}}}}}},
  {{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {{"status": 200, "content": {{"mimeType": "application/json", "text": "{{}}"}}}}}}
]}}}}"#
        );
        let (caps, stats) = run(&doc, true);
        assert_eq!(stats.captures, 3);
        assert_eq!(caps.len(), 1, "{caps:?}");
        assert_eq!(caps[0].line, 3);
    }

    /// A one-entry HAR around a response object.
    fn har_with(response: &str) -> String {
        format!(
            r#"{{"log":{{"version":"1.2","creator":{{"name":"t","version":"1"}},"entries":[{{"startedDateTime":"2026-11-20T14:02:11Z","request":{{"method":"POST","url":"https://api.anthropic.com/v1/messages"}},"response":{response}}}]}}}}"#
        )
    }

    #[test]
    fn sniffs_har_heads_only() {
        assert!(sniff(CHROME.as_bytes()));
        assert!(sniff(FIREFOX.as_bytes()));
        assert!(sniff(MITM.as_bytes()));
        assert!(sniff(
            &[b"\xEF\xBB\xBF".as_slice(), CHROME.as_bytes()].concat()
        ));
        assert!(sniff(b"\r\n {\n\t\"log\" : { \"entries\": ["));
        // A head cut before the HAR keys arrive is not enough.
        assert!(!sniff(b"{\"log\": {\"comment\": \"x\""));
        assert!(!sniff(
            br#"{"type":"error","error":{"type":"rate_limit_error","message":"log"}}"#
        ));
        assert!(!sniff(
            br#"{"ts":"2026-11-20T14:02:11Z","status":429,"log":{"version":1}}"#
        ));
        // ECS-style JSON log lines nest a `log` object, but not with HAR's keys.
        assert!(!sniff(
            br#"{"log":{"level":"error","logger":"api"},"version":"1.2","entries":3}
{"log":{"level":"info"}}"#
        ));
        assert!(!sniff(br#"{"log": "rate limited"}"#));
        assert!(!sniff(b""));
        assert!(!sniff(b"[{\"log\":{\"version\":\"1.2\"}}]"));
    }

    #[test]
    fn chrome_export_gives_the_429_with_its_evidence() {
        let (caps, stats) = run(CHROME, true);
        assert_eq!(stats.captures, 4);
        assert_eq!(stats.skipped, 0);
        assert_eq!(caps.len(), 1);
        let c = &caps[0];
        assert_eq!(c.format, Format::Har);
        assert_eq!(c.status, Some(429));
        // The entry's `{` is on that line of the pretty-printed file.
        assert_eq!(c.line, 346);
        assert_eq!(CHROME.lines().nth(345).map(str::trim), Some("{"));
        assert_eq!(c.headers.get("retry-after"), Some("12"));
        assert_eq!(
            c.headers.get("anthropic-ratelimit-input-tokens-remaining"),
            Some("0")
        );
        assert_eq!(c.error.kind.as_deref(), Some("rate_limit_error"));
        assert_eq!(c.request_id(), Some("req_011CVHf7pQ2mX9aRkT3uLz8W"));
        assert_eq!(c.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(c.request.max_tokens, Some(1024));
        assert_eq!(c.method.as_deref(), Some("POST"));
        assert_eq!(
            c.url.as_deref(),
            Some("https://api.anthropic.com/v1/messages")
        );
        assert_eq!(
            c.time.unwrap().to_rfc3339(),
            "2026-11-20T14:02:11.044+00:00"
        );
    }

    #[test]
    fn successes_are_built_when_asked_for() {
        let (caps, stats) = run(CHROME, false);
        assert_eq!(stats.captures, 4);
        let statuses: Vec<_> = caps.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Some(200), Some(200), Some(429), Some(200)]);
        // A Messages success body is not an error object.
        let ok = &caps[1];
        assert!(ok.error.is_empty());
        assert!(!crate::classify::is_failure(ok));
        assert_eq!(ok.output_tokens, Some(212));
        assert_eq!(ok.model.as_deref(), Some("claude-sonnet-4-5"));
    }

    #[test]
    fn every_read_size_gives_the_same_captures() {
        for input in [CHROME, FIREFOX, MITM, SSE] {
            let (want, _) = run(input, false);
            for chunk in [1, 2, 3, 7, 64] {
                let (got, stats) = run_with(input.as_bytes(), false, chunk, MAX_STRING, TAIL);
                assert_eq!(got, want, "read size {chunk}");
                assert_eq!(stats.skipped, 0);
            }
        }
    }

    #[test]
    fn firefox_header_case_and_local_times() {
        let (caps, _) = run(FIREFOX, true);
        assert_eq!(caps.len(), 2);
        assert_eq!(caps[0].status, Some(529));
        assert_eq!(caps[0].error.kind.as_deref(), Some("overloaded_error"));
        assert_eq!(caps[1].headers.get("retry-after"), Some("7"));
        assert_eq!(
            caps[1]
                .headers
                .get("anthropic-ratelimit-requests-remaining"),
            Some("0")
        );
        assert_eq!(
            caps[1].time.unwrap().to_rfc3339(),
            "2026-11-20T13:47:02.090+00:00"
        );
        assert!(
            caps[1]
                .error
                .message
                .as_deref()
                .unwrap()
                .contains("50 requests per minute")
        );
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let (caps, stats) = run(MITM, true);
        assert_eq!(stats.captures, 3);
        assert_eq!(caps.len(), 2);
        assert_eq!(caps[0].line, 1);
        assert_eq!(
            caps[0].error.error_code.as_deref(),
            Some("ramp_limit_exceeded")
        );
        assert_eq!(caps[1].status, Some(400));
        assert!(
            caps[1]
                .error
                .message
                .as_deref()
                .unwrap()
                .contains("credit balance")
        );
    }

    #[test]
    fn sse_error_event_in_a_200() {
        let (caps, stats) = run(SSE, true);
        assert_eq!(stats.captures, 2);
        assert_eq!(caps.len(), 1);
        assert_eq!(caps[0].status, Some(200));
        assert!(caps[0].stream_error);
        assert_eq!(caps[0].error.kind.as_deref(), Some("overloaded_error"));
        assert_eq!(caps[0].request_id(), Some("req_011CVHs1ovovovovovovovov"));
    }

    #[test]
    fn long_bodies_are_cut_but_status_and_headers_stay() {
        // Escapes straddle the cut, and the body is far longer than the cap.
        let body = format!(
            "{{\\\"type\\\":\\\"error\\\",\\\"pad\\\":\\\"{}\\\"}}",
            "\\u00e9\\\\\\\"x".repeat(400)
        );
        let har = har_with(&format!(
            r#"{{"status":429,"headers":[{{"name":"Retry-After","value":"3"}}],"content":{{"mimeType":"application/json","text":"{body}"}}}}"#
        ));
        for chunk in [1, 5, 4096] {
            let (caps, stats) = run_with(har.as_bytes(), true, chunk, 256, 64);
            assert_eq!(stats.skipped, 0, "{:?}", stats.skipped_samples);
            assert_eq!(caps.len(), 1);
            assert_eq!(caps[0].status, Some(429));
            assert_eq!(caps[0].headers.get("retry-after"), Some("3"));
            assert!(caps[0].error.is_empty());
            assert!(caps[0].text.is_empty());
        }
    }

    #[test]
    fn a_long_stream_keeps_its_last_lines() {
        let delta = r#"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"more \\\"words\\\"\"}}\n\n"#;
        let err = r#"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"#;
        let stream = format!("{}{err}", delta.repeat(200));
        let har = har_with(&format!(
            r#"{{"status":200,"headers":[],"content":{{"mimeType":"text/event-stream","text":"{stream}"}}}}"#
        ));
        for chunk in [1, 3, 4096] {
            let (caps, _) = run_with(har.as_bytes(), true, chunk, 1024, 400);
            assert_eq!(caps.len(), 1, "read size {chunk}");
            assert!(caps[0].stream_error);
            assert_eq!(caps[0].error.kind.as_deref(), Some("overloaded_error"));
        }
        // The same stream without the error event is a plain success.
        let ok = har.replace(err, "");
        let (caps, stats) = run_with(ok.as_bytes(), true, 4096, 1024, 400);
        assert!(caps.is_empty());
        assert_eq!(stats.captures, 1);
    }

    #[test]
    fn tail_starts_after_a_real_newline_escape() {
        assert_eq!(tail_start(br"abc\ndef"), 5);
        // `\\n` is an escaped backslash and a letter n, not a newline.
        assert_eq!(tail_start(br"ab\\nde\nf"), 9);
        // A backslash run that reaches the cut has unknown parity.
        assert_eq!(tail_start(br"\nab\nc"), 6);
        assert_eq!(tail_start(b"no newline"), 10);
    }

    #[test]
    fn odd_shapes_do_not_stop_the_file() {
        let har = r#"{"log":{"version":"1.2","entries":[
            "not an entry",
            {"response":"nothing"},
            {"response":{"status":"429 Too Many Requests","headers":{"retry-after":12,"request-id":"req_a"},"content":{"text":null}}},
            {"request":{"postData":{"text":"model=x"}},"response":{"status":0,"headers":[{"name":"x"},{"value":"y"},7]}},
            {"response":{"status":503,"content":{"mimeType":"text/html","text":"<html>upstream connect error</html>"}}}
        ]}}"#;
        let (caps, stats) = run(har, false);
        assert_eq!(stats.captures, 4);
        assert_eq!(stats.skipped, 1);
        assert_eq!(stats.skipped_samples[0].line, 2);
        assert!(
            stats.skipped_samples[0]
                .reason
                .contains("entry 1 is not an object")
        );
        assert_eq!(caps.len(), 4);
        assert_eq!(caps[0].status, None);
        assert_eq!(caps[1].status, Some(429));
        assert_eq!(caps[1].headers.get("retry-after"), Some("12"));
        assert_eq!(caps[1].request_id(), Some("req_a"));
        assert_eq!(caps[1].line, 4);
        // HAR's status 0 means no response.
        assert_eq!(caps[2].status, None);
        assert!(caps[2].headers.is_empty());
        assert_eq!(caps[3].status, Some(503));
        assert!(caps[3].text.contains("upstream connect error"));
    }

    #[test]
    fn truncated_file_keeps_what_was_read() {
        let (caps, stats) = run(TRUNCATED, true);
        assert_eq!(caps.len(), 1);
        assert_eq!(caps[0].status, Some(429));
        assert_eq!(stats.captures, 3);
        assert_eq!(stats.skipped, 1);
        let s = &stats.skipped_samples[0];
        assert!(s.reason.contains("ends inside entry 4"), "{}", s.reason);
        assert_eq!(s.line, TRUNCATED.lines().count() as u64);
    }

    #[test]
    fn malformed_and_empty_documents_are_noted() {
        let (caps, stats) = run(
            r#"{"log":{"version":"1.2","entries":[{"response":{"status":429,}}]}}"#,
            true,
        );
        assert!(caps.is_empty());
        assert_eq!(stats.skipped, 1);
        assert!(
            stats.skipped_samples[0]
                .reason
                .starts_with("malformed HAR in entry 1")
        );

        let (_, stats) = run(r#"{"log":{"version":"1.2","entries":[]}} trailing"#, true);
        assert_eq!(stats.skipped, 1);
        assert!(stats.skipped_samples[0].reason.contains("trailing"));

        let (_, stats) = run(r#"{"log":{"version":"1.2","entries":[]}}"#, true);
        assert_eq!((stats.captures, stats.skipped), (0, 0));

        let (_, stats) = run(r#"{"log":{"version":"1.2","pages":[]}}"#, true);
        assert!(
            stats.skipped_samples[0]
                .reason
                .contains("without a log.entries")
        );

        let (_, stats) = run(r#"{"log":{"version":"1.2","entries":{}}}"#, true);
        assert_eq!(stats.skipped, 1);
    }

    /// A HAR of `n` entries in varied shapes: successes, 429/529/500s with JSON, SSE, base64
    /// and HTML bodies, odd elements, escapes, long bodies; pretty-printed or compact.
    fn generated(n: usize, pretty: bool) -> String {
        let mut entries = Vec::new();
        for i in 0..n {
            let (status, mime, text, enc) = match i % 9 {
                0 => (429, "application/json", r#"{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"50 requests per minute \u00e9\"}}"#.to_string(), ""),
                1 => (529, "application/json", r#"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"#.to_string(), ""),
                2 => (200, "text/event-stream", format!(r#"{}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n"#, r#"event: ping\ndata: {}\n\n"#.repeat(i % 50)), ""),
                3 => (500, "text/html", "<html>upstream connect error</html>".to_string(), ""),
                4 => (429, "application/json", "eyJ0eXBlIjoiZXJyb3IiLCJlcnJvciI6eyJ0eXBlIjoicmF0ZV9saW1pdF9lcnJvciJ9fQ==".to_string(), "base64"),
                5 => (200, "application/json", format!(r#"{{\"type\":\"message\",\"model\":\"claude-sonnet-4-5\",\"content\":[{{\"text\":\"{}\"}}],\"usage\":{{\"output_tokens\":{i}}}}}"#, "w\\\"x ".repeat(i * 7)), ""),
                _ => (200, "application/json", r#"{\"ok\":true}"#.to_string(), ""),
            };
            let entry = if i % 97 == 13 {
                "\"not an entry\"".to_string()
            } else {
                format!(
                    r#"{{"startedDateTime":"2026-11-20T14:{:02}:11.044Z","request":{{"method":"POST","url":"https://api.anthropic.com/v1/messages","postData":{{"text":"{{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":{i}}}"}}}},"response":{{"status":{status},"headers":[{{"name":"Retry-After","value":"{}"}},{{"name":"request-id","value":"req_{i}"}}],"content":{{"mimeType":"{mime}","encoding":"{enc}","text":"{text}"}}}},"cache":{{"n":[1,[2,{{"a":"]}}"}}]]}}}}"#,
                    i % 60,
                    i % 30
                )
            };
            entries.push(entry);
        }
        let sep = if pretty { ",\n    " } else { "," };
        let body = entries.join(sep);
        let body = if pretty {
            body.replace("\"response\":", "\n      \"response\":\n        ")
        } else {
            body
        };
        format!(
            "{{\"log\":{{\"version\":\"1.2\",\"pages\":[{{\"entries\":[{{\"x\":1}}]}}],\"entries\":[\n    {body}\n  ],\"comment\":\"entries\"}}}}\n"
        )
    }

    #[test]
    fn slices_and_the_streaming_walk_give_the_same_captures() {
        let gen_pretty = generated(300, true);
        let gen_compact = generated(300, false);
        let mut inputs: Vec<String> = [CHROME, FIREFOX, MITM, SSE, TRUNCATED]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        inputs.push(include_str!("../../tests/fixtures/har/empty-entries.har").to_string());
        inputs.push(gen_pretty.clone());
        inputs.push(gen_compact.clone());
        // Truncated and malformed variants of the generated file.
        inputs.push(gen_pretty[..gen_pretty.len() * 2 / 3].to_string());
        inputs.push(gen_compact.replacen("\"status\":529", "\"status\":529,,", 3));
        inputs.push(gen_compact.replacen("},{", "} {", 40));
        // Nesting the walk refuses but a slice alone would accept.
        for depth in [120, 124, 125, 126, 130] {
            inputs.push(format!(
                r#"{{"log":{{"entries":[{{"response":{{"status":429}}}},{{"x":{}{}}}]}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ));
        }
        for input in &inputs {
            for failures_only in [true, false] {
                for (chunk, max) in [(8 * 1024, MAX_STRING), (3, MAX_STRING), (4096, 600)] {
                    let run_it = |max_entry| {
                        run_entries(
                            input.as_bytes(),
                            failures_only,
                            chunk,
                            max,
                            max / 4,
                            max_entry,
                        )
                    };
                    let (want, want_stats) = run_it(0);
                    let (got, got_stats) = run_it(max);
                    assert_eq!(got, want, "chunk {chunk} max {max}");
                    assert_eq!(got_stats.captures, want_stats.captures);
                    assert_eq!(got_stats.skipped, want_stats.skipped);
                    assert_eq!(
                        format!("{:?}", got_stats.skipped_samples),
                        format!("{:?}", want_stats.skipped_samples)
                    );
                }
            }
        }
        // The generated file really has failures, successes and odd elements.
        let (caps, stats) = run(&gen_pretty, true);
        assert!(caps.len() > 150, "{}", caps.len());
        assert_eq!(stats.skipped, 3, "{:?}", stats.skipped_samples);
    }

    #[test]
    fn a_bom_is_skipped() {
        let input = [b"\xEF\xBB\xBF".as_slice(), MITM.as_bytes()].concat();
        let (caps, stats) = run_with(&input, true, 4096, MAX_STRING, TAIL);
        assert_eq!((caps.len(), stats.skipped), (2, 0));
    }
}
