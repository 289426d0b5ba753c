//! Reading an input in pieces with flat memory: [`ChunkReader`] cuts it into line-aligned
//! chunks through recycled buffers (the parallel paths), [`LineReader`] hands out one line at
//! a time through one buffer (the sequential text path); both skip a line longer than
//! [`MAX_LINE`] without holding it.

use std::io::{self, BufRead, Read};

use super::Engine;

/// Lines longer than this are skipped (and counted), never buffered further.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
pub(super) const READ_BUF: usize = 256 * 1024;

/// Most lines in one chunk, so a batch of results stays small whatever the line length.
pub(super) const MAX_CHUNK_LINES: u64 = 2048;

pub(super) fn too_long(len: usize) -> String {
    format!("line of {len} bytes is longer than the {MAX_LINE}-byte cap")
}

/// A piece of input that ends on a line boundary (or a line too long to keep).
pub(super) struct Chunk {
    pub(super) seq: u64,
    /// Line number of the first line.
    pub(super) first_line: u64,
    /// Recycled storage; only `buf[..len]` is this chunk's.
    pub(super) buf: Vec<u8>,
    pub(super) len: usize,
    /// A line longer than [`MAX_LINE`], drained and not kept: its length.
    pub(super) too_long: Option<usize>,
}

/// Cuts a reader into chunks through recycled buffers, carrying a partial last line over.
pub(super) struct ChunkReader<R> {
    inner: R,
    chunk: usize,
    carry: Vec<u8>,
    /// Lines handed out so far.
    line: u64,
    seq: u64,
    eof: bool,
    pub(super) bytes: u64,
    progress: Option<indicatif::ProgressBar>,
    /// Most lines per chunk ([`MAX_CHUNK_LINES`] for JSON Lines, whose batches hold an item
    /// per line; unlimited for text, whose batches hold only captures).
    pub(super) max_lines: u64,
}

impl<R: Read> ChunkReader<R> {
    /// The reader thread of the parallel paths: fills each recycled buffer from `pool` with
    /// the next chunk and hands it to the workers, until the input ends, the workers are gone
    /// or a read fails (sent to the consumer through `errors`). Returns the bytes read.
    pub(super) fn feed<T>(
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

    pub(super) fn new(inner: R, engine: &Engine) -> Self {
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
    pub(super) fn next(&mut self, mut buf: Vec<u8>) -> io::Result<Option<Chunk>> {
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
pub(super) fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

pub(super) struct CountingReader<R> {
    pub(super) inner: R,
    pub(super) count: u64,
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

pub(super) enum Line<'a> {
    Bytes(&'a [u8]),
    TooLong(usize),
}

/// Splits a reader into lines through one reusable buffer; a line longer than [`MAX_LINE`]
/// is drained and reported, never held.
pub(super) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    pub(super) bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    pub(super) fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(READ_BUF),
            bytes: 0,
        }
    }

    pub(super) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
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
