//! [`Splice`]: most entries of `log.entries` found with a string-aware depth scan and
//! parsed from the slice, off the byte-at-a-time walk.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use super::Shared;
use super::par::{BATCH_ENTRIES, Batch, Done, Flow, Res, Slot};
use crate::capture::scan::Handler;

/// A container [`Splice`] knows the meaning of: the root object, `log`, `log.entries`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Frame {
    Root,
    Log,
    Entries,
}

/// The last string closed directly in a known frame (a key, when a container follows).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    None,
    Log,
    Entries,
    Other,
}

/// Sits below [`StringCap`] and takes the slow byte-by-byte walk off most of the file: it
/// follows the document lexically (strings, escapes, depth), buffers each object element of
/// `log.entries` up to `max` bytes and sends it, in batches, to be parsed from that slice
/// ([`par`](super::par): on worker threads, or inline). Each entry that parsed gives its result
/// to the walk's ready queue, and the walk is handed a placeholder `{}` (the entry's newlines
/// are credited when the walk passes it), so entry counts, lines and everything around the
/// entries array stay exactly what the streaming walk makes of them. An entry that does not parse on its own, or is longer than
/// `max` (its strings may need cutting), is passed through unchanged for the walk to read as
/// before; so is any file whose keys are escaped or otherwise not spelled plainly.
pub(super) struct Splice<'s, R, H: Handler> {
    pub(super) inner: R,
    pub(super) st: SpliceState<'s>,
    pub(super) flow: Flow<'s, H>,
    /// The batch whose results are being handed on, and the next slot in it.
    pub(super) front: Option<(Done<H::Item>, usize)>,
    /// Results for the walk, by ordinal.
    pub(super) ready: &'s ReadyQueue<H::Item>,
}

/// Entries parsed ahead, waiting for the walk to reach their placeholders: ordinal, newlines
/// in the entry, and the item (`None`: a capture only counted).
pub(super) type ReadyQueue<T> = RefCell<VecDeque<(u64, u64, Option<T>)>>;

/// Bytes for the walk waiting behind entries still being parsed, at most (reading ahead
/// stops there).
const QUEUED_MAX: usize = 1024 * 1024;

/// What the walk is handed next, in order.
///
/// Each piece is tagged with the bytes of the file consumed once the piece was complete: the
/// count of bytes read (reported in the stats) stays what reading no further ahead than the
/// walk gives, even when the walk stops early.
pub(super) enum Piece {
    Bytes(Vec<u8>, u64),
    /// The next entry sent to be parsed: its placeholder, or its bytes when it failed.
    Entry(u64),
}

/// The bytes that can change the splice's state inside an entry: quotes and brackets.
pub(super) static STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

pub(super) struct SpliceState<'s> {
    pub(super) shared: &'s Shared,
    pub(super) max: usize,
    /// A batch is sent once it holds this many bytes.
    pub(super) batch_bytes: usize,
    /// Bytes for the walk, from `pos`.
    pub(super) out: Vec<u8>,
    pub(super) pos: usize,
    /// What comes after `out`, in order.
    pub(super) queue: VecDeque<Piece>,
    /// Bytes in `queue`.
    pub(super) queued: usize,
    pub(super) eof: bool,
    /// Bytes of the file consumed so far.
    pub(super) consumed: u64,
    /// Where the pieces of the read being processed start in `queue`.
    pub(super) call_start: usize,
    pub(super) in_str: bool,
    pub(super) esc: bool,
    /// The open string's first bytes when it may be a key.
    pub(super) key_buf: Vec<u8>,
    pub(super) keying: bool,
    pub(super) key: Key,
    pub(super) frames: Vec<Frame>,
    /// Depth of containers below the innermost known frame.
    pub(super) other: usize,
    /// In `log.entries`, after `[` or `,`: the next value starts an element.
    pub(super) elem_pending: bool,
    /// Elements of `log.entries` arrays seen so far.
    pub(super) ordinal: u64,
    /// Newlines before the bytes of the chunk being processed from `counted`.
    pub(super) newlines: u64,
    pub(super) counted: usize,
    /// Buffering the current entry, from `entry_start` in the batch being gathered.
    pub(super) capturing: bool,
    pub(super) entry_start: usize,
    /// The line the current entry starts on.
    pub(super) entry_line: u64,
    /// Whole entries gathered for the next batch.
    pub(super) batch: Batch,
    /// The buffered entry nests deeper than the walk would accept: it reads it itself.
    pub(super) deep: bool,
}

impl<'s, R: BufRead, H: Handler> Splice<'s, R, H> {
    pub(super) fn new(
        inner: R,
        shared: &'s Shared,
        (max, batch_bytes): (usize, usize),
        mut flow: Flow<'s, H>,
        ready: &'s ReadyQueue<H::Item>,
    ) -> Self {
        let batch = flow.fresh();
        Splice {
            inner,
            st: SpliceState {
                shared,
                max,
                batch_bytes,
                out: Vec::with_capacity(64 * 1024),
                pos: 0,
                queue: VecDeque::new(),
                queued: 0,
                eof: false,
                consumed: 0,
                call_start: 0,
                in_str: false,
                esc: false,
                key_buf: Vec::new(),
                keying: false,
                key: Key::None,
                frames: Vec::new(),
                other: 0,
                elem_pending: false,
                ordinal: 0,
                newlines: 0,
                counted: 0,
                capturing: false,
                entry_start: 0,
                entry_line: 0,
                batch,
                deep: false,
            },
            flow,
            front: None,
            ready,
        }
    }

    /// Reads and processes the next bytes of the file; sends the gathered batch when full.
    fn read_more(&mut self) -> io::Result<()> {
        let avail = self.inner.fill_buf()?;
        if avail.is_empty() {
            self.st.eof = true;
            // The file ends inside an entry: what arrived of it is closed and read like any
            // entry (a 429 whose body was cut off is still a 429), and the walk notes the
            // cut. An entry that cannot be closed goes to the walk, which reports it.
            if self.st.capturing {
                self.st.call_start = self.st.queue.len();
                let cut = &self.st.batch.buf[self.st.entry_start..];
                match (!self.st.deep)
                    .then(|| crate::json::close::close_cut(cut))
                    .flatten()
                {
                    Some(closed) => {
                        self.st.batch.buf.truncate(self.st.entry_start);
                        self.st.batch.buf.extend_from_slice(&closed);
                        let at = (self.st.ordinal, self.st.entry_line);
                        self.st.shared.cut_entry.set(Some(at));
                        self.st.finish_entry();
                    }
                    None => {
                        self.st.capturing = false;
                        self.st.pass_through();
                    }
                }
                self.st.tag();
            }
            return Ok(());
        }
        self.st.call_start = self.st.queue.len();
        let used = self.st.process(avail);
        self.inner.consume(used);
        self.st.consumed += used as u64;
        self.st.shared.consumed.set(self.st.consumed);
        self.st.tag();
        if !self.st.capturing
            && (self.st.batch.buf.len() >= self.st.batch_bytes
                || self.st.batch.slots.len() >= BATCH_ENTRIES)
        {
            self.send();
        }
        Ok(())
    }

    /// Sends the gathered entries; an entry still being buffered moves to the next batch.
    fn send(&mut self) {
        let mut next = self.flow.fresh();
        if self.st.capturing {
            next.buf
                .extend_from_slice(&self.st.batch.buf[self.st.entry_start..]);
            self.st.batch.buf.truncate(self.st.entry_start);
            self.st.entry_start = 0;
        }
        let full = std::mem::replace(&mut self.st.batch, next);
        self.flow.send(full);
    }

    fn may_read_ahead(&self) -> bool {
        self.flow.parallel()
            && !self.st.eof
            && self.flow.out() < self.flow.window()
            && self.st.queued < QUEUED_MAX
    }

    /// Hands the walk the next entry sent to be parsed: its placeholder (its result goes to
    /// the ready queue) or, when it did not parse, its bytes. Reads ahead while it waits.
    fn resolve(&mut self) -> io::Result<()> {
        loop {
            if let Some((done, i)) = &mut self.front {
                if let Some(res) = done.res.get_mut(*i) {
                    let slot = &done.batch.slots[*i];
                    *i += 1;
                    let st = &mut self.st;
                    match std::mem::replace(res, Res::Counted) {
                        Res::Failed => st
                            .out
                            .extend_from_slice(&done.batch.buf[slot.start..slot.end]),
                        r => {
                            let item = match r {
                                Res::Item(t) => Some(t),
                                _ => None,
                            };
                            self.ready
                                .borrow_mut()
                                .push_back((slot.ordinal, slot.newlines, item));
                            st.shared.ready_len.set(st.shared.ready_len.get() + 1);
                            st.out.extend_from_slice(b"{}");
                        }
                    }
                    return Ok(());
                }
                if let Some((done, _)) = self.front.take() {
                    self.flow.recycle(done.batch);
                }
                continue;
            }
            if self.flow.out() == 0 {
                // The entry is in the batch still being gathered.
                if self.may_read_ahead() {
                    self.read_more()?;
                } else {
                    self.send();
                }
                continue;
            }
            if let Some(d) = self.flow.take(false) {
                self.front = Some((d, 0));
                continue;
            }
            if self.may_read_ahead() {
                self.read_more()?;
                continue;
            }
            match self.flow.take(true) {
                Some(d) => self.front = Some((d, 0)),
                None => return Err(io::Error::other("the HAR workers stopped")),
            }
        }
    }
}

impl<R: BufRead, H: Handler> Read for Splice<'_, R, H> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let src = self.fill_buf()?;
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead, H: Handler> BufRead for Splice<'_, R, H> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.st.pos == self.st.out.len() {
            self.st.out.clear();
            self.st.pos = 0;
            match self.st.queue.pop_front() {
                Some(Piece::Bytes(b, at)) => {
                    self.st.queued -= b.len();
                    self.st.out = b;
                    self.st.shared.handed.set(at);
                }
                Some(Piece::Entry(at)) => {
                    self.st.shared.handed.set(at);
                    self.resolve()?;
                }
                None if self.st.eof => {
                    self.st.shared.handed.set(self.st.consumed);
                    break;
                }
                None => self.read_more()?,
            }
        }
        Ok(&self.st.out[self.st.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.st.pos = (self.st.pos + n).min(self.st.out.len());
    }
}

impl SpliceState<'_> {
    pub(super) fn emit(&mut self, bytes: &[u8]) {
        if self.capturing {
            self.batch.buf.extend_from_slice(bytes);
        } else if !bytes.is_empty() {
            self.queued += bytes.len();
            // Bytes of one read are one piece (see [`Piece`]).
            let same_read = self.queue.len() > self.call_start;
            match self.queue.back_mut() {
                Some(Piece::Bytes(b, _)) if same_read => {
                    b.extend_from_slice(bytes);
                }
                _ => self.queue.push_back(Piece::Bytes(bytes.to_vec(), 0)),
            }
        }
    }

    /// Tags the pieces of the read just processed with the bytes consumed (see [`Piece`]).
    fn tag(&mut self) {
        let at = self.consumed;
        for p in self.queue.range_mut(self.call_start..) {
            match p {
                Piece::Bytes(_, t) | Piece::Entry(t) => *t = at,
            }
        }
    }

    /// The entry being buffered goes to the walk as it is.
    pub(super) fn pass_through(&mut self) {
        let bytes = self.batch.buf.split_off(self.entry_start);
        self.emit(&bytes);
    }

    /// Takes bytes of `chunk`; returns how many, stopping right after an entry closes.
    pub(super) fn process(&mut self, chunk: &[u8]) -> usize {
        let used = self.scan(chunk);
        self.newlines += count_newlines(&chunk[self.counted..used]);
        self.counted = 0;
        used
    }

    fn scan(&mut self, chunk: &[u8]) -> usize {
        let mut i = 0;
        let mut seg = 0;
        while i < chunk.len() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                let Some(j) = find_quote_or_escape(&chunk[i..]) else {
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
                i = skip_plain(chunk, i);
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
                            self.newlines += count_newlines(&chunk[self.counted..=i]);
                            self.counted = i + 1;
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
                    self.newlines += count_newlines(&chunk[self.counted..i]);
                    self.counted = i;
                    self.entry_line = self.newlines + 1;
                    self.capturing = true;
                    self.deep = false;
                    self.entry_start = self.batch.buf.len();
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
        if self.capturing && self.batch.buf.len() - self.entry_start > self.max {
            // Too long to hold: the walk reads the rest of this entry as before.
            self.capturing = false;
            self.pass_through();
        }
        chunk.len()
    }

    pub(super) fn key_bytes(&mut self, bytes: &[u8]) {
        if self.keying && self.key_buf.len() < 16 {
            let n = bytes.len().min(16);
            self.key_buf.extend_from_slice(&bytes[..n]);
        }
    }

    pub(super) fn push(&mut self, f: Frame) {
        self.frames.push(f);
        self.key = Key::None;
    }

    /// Adds the buffered entry to the batch, to be parsed; one too deep for the walk's
    /// parser goes to the walk as it is.
    pub(super) fn finish_entry(&mut self) {
        self.capturing = false;
        if self.deep {
            self.pass_through();
            return;
        }
        self.batch.slots.push(Slot {
            start: self.entry_start,
            end: self.batch.buf.len(),
            ordinal: self.ordinal,
            line: self.entry_line,
            newlines: self.newlines + 1 - self.entry_line,
        });
        self.queue.push_back(Piece::Entry(0));
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// Whether one of the 8 bytes of `v` is zero.
#[inline]
fn has_zero(v: u64) -> bool {
    v.wrapping_sub(ONES) & !v & (0x80 * ONES) != 0
}

/// Eight bytes of `chunk` from `i`, when there are eight.
#[inline]
fn word(chunk: &[u8], i: usize) -> Option<u64> {
    let b: [u8; 8] = chunk.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// The first byte from `i` that is a quote or a bracket ([`STRUCTURAL`]), or the end: eight
/// bytes at a time (an indentation run is skipped in a step or two), then byte by byte.
#[inline]
fn skip_plain(chunk: &[u8], mut i: usize) -> usize {
    while let Some(w) = word(chunk, i) {
        // `[` and `]` are `{` and `}` with the 0x20 bit cleared.
        let folded = w | (0x20 * ONES);
        if has_zero(w ^ (u64::from(b'"') * ONES))
            || has_zero(folded ^ (u64::from(b'{') * ONES))
            || has_zero(folded ^ (u64::from(b'}') * ONES))
        {
            break;
        }
        i += 8;
    }
    while i < chunk.len() && !STRUCTURAL[chunk[i] as usize] {
        i += 1;
    }
    i
}

/// The first quote or backslash in `s`: most strings of a HAR are short (header names and
/// values), so the first 32 bytes are looked at eight at a time before memchr takes over.
#[inline]
fn find_quote_or_escape(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < 32 {
        let Some(w) = word(s, i) else { break };
        if has_zero(w ^ (u64::from(b'"') * ONES)) || has_zero(w ^ (u64::from(b'\\') * ONES)) {
            return s[i..i + 8]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map(|j| i + j);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', &s[i..]).map(|j| i + j)
}

/// Newlines in `bytes`.
pub(super) fn count_newlines(bytes: &[u8]) -> u64 {
    // Counted in runs short enough for a byte counter, which the compiler vectorises.
    bytes
        .chunks(255)
        .map(|c| u64::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'))))
        .sum()
}
