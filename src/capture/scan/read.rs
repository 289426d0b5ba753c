//! Reading an input in pieces with flat memory: [`ChunkReader`] cuts it into line-aligned
//! chunks through recycled buffers (the parallel paths), [`LineReader`] hands out one line at
//! a time through one buffer (the sequential text path); both skip a line longer than
//! [`MAX_LINE`] without holding it.

use std::io::{self, BufRead, Read};

use super::Engine;
#[cfg(unix)]
use super::quiet;

/// Lines longer than this are skipped (and counted), never buffered further.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
pub(super) const READ_BUF: usize = 256 * 1024;

/// Most lines in one chunk, so a batch of results stays small whatever the line length
/// (exactly where the reader counts a chunk's lines; about that many in a mapped window
/// numbered by its worker, [`ChunkReader::defer`], where the pipeline's held-bytes budget
/// bounds what a batch holds).
pub(super) const MAX_CHUNK_LINES: u64 = 2048;

pub(super) fn too_long(len: usize) -> String {
    format!("line of {len} bytes is longer than the {MAX_LINE}-byte cap")
}

/// A chunk's bytes: a recycled buffer (input read with `read`) or a window of a mapped
/// file (zero-copy). Handed back to the pipeline once consumed: a buffer is reused, a window
/// unmapped, so the memory held is what is in flight.
#[derive(Default)]
pub(super) struct Buf {
    store: Store,
    len: usize,
    /// The chunk's line marks ([`marks`](super::marks)) when the reader found them (it cuts
    /// the chunk with them anyway); recycled with the buffer.
    marks: Vec<u32>,
    marked: bool,
}

#[derive(Default)]
enum Store {
    #[default]
    Empty,
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Buf {
    /// The chunk's line marks, when the reader found them.
    pub(super) fn marks(&self) -> Option<&[u32]> {
        self.marked.then_some(&self.marks[..])
    }

    /// The bytes mapped for this chunk (its window), 0 when it is not mapped.
    #[cfg(test)]
    pub(super) fn mapped_len(&self) -> usize {
        match &self.store {
            Store::Mapped(m) => m.len(),
            _ => 0,
        }
    }

    /// This chunk's bytes.
    pub(super) fn data(&self) -> &[u8] {
        match &self.store {
            Store::Empty => &[],
            Store::Owned(v) => &v[..self.len],
            Store::Mapped(m) => &m[..self.len],
        }
    }

    /// Unmaps a mapped window now, once its bytes are no longer needed (by whoever holds
    /// the chunk, after reading it); a recycled buffer is kept.
    pub(super) fn unmap(&mut self) {
        if let Store::Mapped(_) = self.store {
            self.store = Store::Empty;
            self.len = 0;
        }
    }

    /// Faults a mapped window's pages in with one call (a chunk cut without them: see
    /// [`ChunkReader::defer`]); a no-op elsewhere, and where the kernel cannot (the pages
    /// then fault in as they are read).
    fn populate(&self) {
        #[cfg(target_os = "linux")]
        if let Store::Mapped(m) = &self.store {
            let _ = m.advise(memmap2::Advice::PopulateRead);
        }
    }

    /// The recycled buffer and marks (a window is unmapped here).
    fn into_parts(self) -> (Vec<u8>, Vec<u32>) {
        let v = match self.store {
            Store::Owned(v) => v,
            _ => Vec::new(),
        };
        (v, self.marks)
    }
}

/// A piece of input that ends on a line boundary (or a line too long to keep).
pub(super) struct Chunk {
    pub(super) seq: u64,
    /// Line number of the first line.
    pub(super) first_line: u64,
    /// The bytes ([`Chunk::data`]); given back to the pipeline with the batch.
    pub(super) buf: Buf,
    /// A line longer than [`MAX_LINE`], drained and not kept: its length.
    pub(super) too_long: Option<usize>,
    /// A chunk cut without counting its lines ([`ChunkReader::defer`]): its place in the
    /// [`LineChain`], and `first_line` is not known until [`Chunk::settle`].
    ticket: Option<Ticket>,
}

impl Chunk {
    /// The chunk's bytes (whole lines).
    pub(super) fn data(&self) -> &[u8] {
        self.buf.data()
    }

    /// A chunk of the given lines (a live line, tests).
    pub(super) fn owned(first_line: u64, bytes: Vec<u8>) -> Chunk {
        let len = bytes.len();
        Chunk {
            seq: 0,
            first_line,
            buf: Buf {
                store: Store::Owned(bytes),
                len,
                ..Buf::default()
            },
            too_long: None,
            ticket: None,
        }
    }

    /// Numbers a chunk cut without counting its lines ([`ChunkReader::defer`]), on the
    /// worker that took it: faults its window in, finds its lines (its marks when `marks`),
    /// then waits for the chunks before it to be numbered and takes its `first_line`. A
    /// chunk numbered when it was cut is left as it is. `count` counts the newlines of a
    /// chunk without marks (the job's own first pass over it, when it has one).
    pub(super) fn settle(&mut self, marks: bool, count: impl FnOnce(&[u8]) -> usize) {
        let Some(mut ticket) = self.ticket.take() else {
            return;
        };
        let lines = if self.too_long.is_some() {
            1
        } else {
            self.buf.populate();
            let mut found = std::mem::take(&mut self.buf.marks);
            let data = self.buf.data();
            let lines = if marks {
                super::marks::line_marks(data, &mut found, usize::MAX);
                found.len()
            } else {
                count(data)
            };
            self.buf.marked = marks && lines > 0;
            self.buf.marks = found;
            lines.max(1) as u64
        };
        self.first_line = ticket.settle(lines, self.buf.len);
    }

    /// The chunk's line marks, when the reader found them ([`ChunkReader::marks`]).
    pub(super) fn marks(&self) -> Option<&[u32]> {
        self.buf.marks()
    }
}

/// Where a [`ChunkReader`] takes its bytes from.
pub(super) enum Input<R> {
    /// `read` into recycled buffers: pipes of bulk data redirected from elsewhere, special
    /// files, small files, and whenever mapping fails.
    Read(R),
    /// A regular file, mapped one chunk-sized window at a time (zero-copy; see [`map_window`]).
    Map(std::fs::File),
    /// A pipe that may pause (stdin): a chunk is handed out as soon as the pipe is
    /// momentarily empty, so each line is seen when it arrives; `head` is what the sniffing
    /// already read.
    #[cfg(unix)]
    Live { pipe: std::fs::File, head: Vec<u8> },
}

/// How long a live pipe must stay empty before what was read is handed out as a partial
/// chunk: long enough for a bulk writer to refill the pipe (full chunks), short enough to be
/// invisible per line.
#[cfg(unix)]
const LIVE_WAIT: std::time::Duration = std::time::Duration::from_millis(2);

/// Inputs at least this big are mapped (below, one `read` costs less than a mapping).
pub const MAP_MIN: u64 = 64 * 1024;

/// Cuts an input into chunks through recycled buffers or mapped windows, carrying a partial
/// last line over.
pub(super) struct ChunkReader<R> {
    input: Input<R>,
    chunk: usize,
    carry: Vec<u8>,
    /// Lines handed out so far.
    line: u64,
    seq: u64,
    eof: bool,
    /// Bytes read (or mapped) so far; where the next mapped window starts.
    pub(super) bytes: u64,
    progress: Option<indicatif::ProgressBar>,
    /// Most lines per chunk ([`MAX_CHUNK_LINES`] for JSON Lines, whose batches hold an item
    /// per line; unlimited for text, whose batches hold only captures).
    pub(super) max_lines: u64,
    /// Set on every read that brought bytes (a live input's quiet clock), when watched.
    pub(super) clock: Option<std::sync::Arc<super::quiet::Clock>>,
    /// The chunk size the pipeline wants now (smaller while batches weigh a lot), when set.
    pub(super) cap: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
    /// The chunk size asked for.
    full: usize,
    /// Cut chunks with their line marks ([`marks`](super::marks)) instead of a line count, and
    /// hand the marks out with them (the JSON Lines path: its workers need no pass of
    /// their own for the lines and failure words).
    pub(super) marks: bool,
    /// The marks' storage for the next chunk.
    spare_marks: Vec<u32>,
    /// No chunk follows (the input ended, a read failed or the consumer is gone).
    done: bool,
    /// The bytes of the last mapped chunk when the line cap cut it: the next window is
    /// mapped about twice that size, not the whole chunk size (a window of tiny lines used
    /// a few percent of what it mapped and populated).
    capped: Option<u64>,
    /// Mapped windows are cut without counting their lines, and numbered by the workers
    /// through this chain ([`ChunkReader::defer`]).
    chain: Option<std::sync::Arc<LineChain>>,
}

impl<R: Read> ChunkReader<R> {
    /// The next chunk for a worker of the parallel paths, in a buffer taken from `pool`
    /// (waiting for the consumer to give one back): `None` once the input ended, the
    /// consumer is gone or a read failed (handed back as the error, once).
    pub(super) fn take(
        &mut self,
        pool: &std::sync::mpsc::Receiver<Buf>,
    ) -> Option<io::Result<Chunk>> {
        if self.done {
            return None;
        }
        let next = match pool.recv() {
            Ok(buf) => self.next(buf),
            Err(_) => Ok(None),
        };
        match next {
            Ok(Some(c)) => {
                // Counted before it goes, so the consumer never sees it gone and uncounted.
                if let Some(clock) = &self.clock {
                    clock.sent();
                }
                Some(Ok(c))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    pub(super) fn new(input: Input<R>, engine: &Engine) -> Self {
        let mut r = ChunkReader {
            input,
            chunk: engine.chunk.clamp(64, MAX_LINE),
            carry: Vec::new(),
            line: 0,
            seq: 0,
            eof: false,
            bytes: 0,
            progress: engine.progress.clone(),
            max_lines: MAX_CHUNK_LINES,
            clock: None,
            cap: None,
            full: engine.chunk.clamp(64, MAX_LINE),
            marks: false,
            spare_marks: Vec::new(),
            done: false,
            capped: None,
            chain: None,
        };
        #[cfg(unix)]
        if let Input::Live { head, .. } = &mut r.input {
            r.bytes = head.len() as u64;
            r.carry = std::mem::take(head);
        }
        r
    }

    /// For the parallel path: a mapped file's windows are cut at their last newline without
    /// reading them (no line count, no marks, no pages faulted in under the reader's lock);
    /// the worker that takes a chunk does that work ([`Chunk::settle`]), so it runs on every
    /// worker at once. The line cap ([`ChunkReader::max_lines`]) then holds on average: a
    /// window is sized from the lines per byte of the last chunk numbered. Other inputs are
    /// cut and counted as before.
    pub(super) fn defer(&mut self) {
        if let Input::Map(_) = self.input {
            self.chain = Some(std::sync::Arc::new(LineChain::default()));
        }
    }

    /// The chunk size asked for (before any cap).
    pub(super) fn chunk_size(&self) -> usize {
        self.full
    }

    /// True for a pipe that may pause ([`Input::Live`]).
    pub(super) fn is_live(&self) -> bool {
        #[cfg(unix)]
        {
            matches!(self.input, Input::Live { .. })
        }
        #[cfg(not(unix))]
        {
            false
        }
    }

    /// Reads into `dst` (not empty) once; returns the bytes read (0 at end of input).
    fn read_more(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        loop {
            let got = match &mut self.input {
                Input::Read(r) => r.read(dst),
                #[cfg(unix)]
                Input::Live { pipe, .. } => {
                    if !quiet::wait(pipe, None)? {
                        // Stopped (Ctrl-C, SIGTERM): the input ends here.
                        Ok(0)
                    } else {
                        pipe.read(dst)
                    }
                }
                Input::Map(_) => Ok(0),
            };
            match got {
                Ok(n) => {
                    self.bytes += n as u64;
                    if let Some(pb) = &self.progress {
                        pb.inc(n as u64);
                    }
                    if n == 0 {
                        self.eof = true;
                    } else if let Some(clock) = &self.clock {
                        clock.read();
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// True when a live pipe has stayed empty for [`LIVE_WAIT`]: what was read goes out now.
    fn pipe_paused(&self) -> io::Result<bool> {
        #[cfg(unix)]
        if let Input::Live { pipe, .. } = &self.input {
            return Ok(!quiet::wait(pipe, Some(LIVE_WAIT))?);
        }
        Ok(false)
    }

    /// The next chunk, in `buf` (recycled); `None` at the end.
    pub(super) fn next(&mut self, buf: Buf) -> io::Result<Option<Chunk>> {
        if let Some(cap) = &self.cap {
            self.chunk = cap
                .load(std::sync::atomic::Ordering::Relaxed)
                .clamp(64, self.full);
        }
        let (buf, mut marks) = buf.into_parts();
        marks.clear();
        self.spare_marks = marks;
        if let Input::Map(_) = &self.input {
            drop(buf);
            return self.next_mapped();
        }
        let mut buf = buf;
        if buf.capacity() > 2 * self.full {
            // After a very long line: give the memory back.
            buf = Vec::new();
        }
        let mut len = self.carry.len();
        // Bytes this chunk may take: the chunk size, more for a line longer than that.
        let mut target = self.chunk.max(len + 1);
        if buf.len() < target {
            buf.resize(target, 0);
        }
        buf[..len].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut scanned = 0; // bytes known to hold no newline
        // A live pipe: whether buf[..len] holds a whole line (one can go out at a pause).
        let live = self.is_live();
        let mut whole = live && memchr::memchr(b'\n', &buf[..len]).is_some();
        loop {
            while len < target && !self.eof {
                if whole && self.pipe_paused()? {
                    break;
                }
                let n = self.read_more(&mut buf[len..target])?;
                whole = whole || (live && memchr::memchr(b'\n', &buf[len..len + n]).is_some());
                len += n;
            }
            if let Some(p) = memchr::memrchr(b'\n', &buf[scanned..len]) {
                let (end, lines) = self.cut(&buf[..len], scanned + p + 1);
                self.carry.extend_from_slice(&buf[end..len]);
                return Ok(Some(self.emit(Store::Owned(buf), end, lines)));
            }
            if self.eof {
                return Ok((len > 0).then(|| self.emit(Store::Owned(buf), len, 1)));
            }
            scanned = len;
            // The buffer holds one partial line: with its newline it would pass the cap.
            if len >= MAX_LINE {
                return self.drain_long(buf, len).map(Some);
            }
            // A line longer than the chunk: grow it (up to the cap) and read on.
            target = (target * 2).min(MAX_LINE);
            if buf.len() < target {
                buf.resize(target, 0);
            }
        }
    }

    /// The next chunk of a mapped file: a window from where the last one ended to its last
    /// newline. The size is looked at again for every window, so a file that grows is read
    /// to its new end and one truncated before a window is mapped ends there (see
    /// [`map_window`] for one truncated while a window is being read).
    fn next_mapped(&mut self) -> io::Result<Option<Chunk>> {
        let Input::Map(file) = &self.input else {
            return Ok(None);
        };
        let size = file.metadata()?.len();
        let pos = self.bytes;
        if pos >= size {
            return Ok(None);
        }
        let mut want = self.chunk as u64;
        if let Some(used) = self.capped {
            want = want.min(used.saturating_mul(2).max(MAP_MIN));
        }
        let deferred = self.chain.is_some();
        if let Some(chain) = &self.chain {
            let per_line = chain.line_bytes.load(std::sync::atomic::Ordering::Relaxed);
            if per_line > 0 {
                want = want.min(self.max_lines.saturating_mul(per_line).max(MAP_MIN));
            }
        }
        let mut scanned = 0;
        let (map, end, lines) = loop {
            let len = want.min(size - pos) as usize;
            let map = map_window(file, pos, len, !deferred)?;
            match memchr::memrchr(b'\n', &map[scanned..]) {
                Some(p) if deferred => break (map, scanned + p + 1, 0),
                Some(p) => {
                    let (end, lines) = self.cut(&map, scanned + p + 1);
                    break (map, end, lines);
                }
                None if pos + len as u64 >= size => break (map, len, 1),
                None if len >= MAX_LINE => {
                    drop(map);
                    let total = long_line_end(file, pos)?;
                    self.advance(total);
                    return Ok(Some(self.skipped(total as usize, Buf::default())));
                }
                None => {
                    // A line longer than the window: map a bigger one (up to the cap).
                    scanned = len;
                    want = (want * 2).min(MAX_LINE as u64);
                }
            }
        };
        self.capped = (lines >= self.max_lines).then_some(end as u64);
        self.advance(end as u64);
        Ok(Some(self.emit(Store::Mapped(map), end, lines)))
    }

    fn advance(&mut self, n: u64) {
        self.bytes += n;
        if let Some(pb) = &self.progress {
            pb.inc(n);
        }
    }

    /// The chunk for a line too long to keep.
    fn skipped(&mut self, len: usize, buf: Buf) -> Chunk {
        let c = Chunk {
            seq: self.seq,
            first_line: self.line + 1,
            buf,
            too_long: Some(len),
            ticket: self.ticket(),
        };
        self.seq += 1;
        self.line += 1;
        c
    }

    /// Where a chunk of `data` ending at `end` (just past a newline) is cut (see [`cut`]),
    /// with its line marks found on the way when asked for ([`ChunkReader::marks`]).
    fn cut(&mut self, data: &[u8], end: usize) -> (usize, u64) {
        if !self.marks {
            return cut(self.max_lines, data, end);
        }
        let marks = &mut self.spare_marks;
        let max = self.max_lines.try_into().unwrap_or(usize::MAX);
        super::marks::line_marks(&data[..end], marks, max);
        let lines = marks.len();
        let end = marks.last().map_or(end, |&m| super::marks::end(m));
        (end, lines as u64)
    }

    /// The next chunk's place in the chain, when its lines are counted by its worker.
    fn ticket(&self) -> Option<Ticket> {
        self.chain.as_ref().map(|chain| Ticket {
            chain: chain.clone(),
            seq: self.seq,
            settled: false,
        })
    }

    fn emit(&mut self, store: Store, len: usize, lines: u64) -> Chunk {
        // The marks found by `cut` are this chunk's; any other way here has none (a chunk
        // numbered by its worker gets them there, in this storage). With a chain, every
        // chunk takes its place in it: one without would leave the next ones waiting.
        let ticket = self.ticket();
        let marked =
            ticket.is_none() && self.marks && self.spare_marks.len() as u64 == lines && lines > 0;
        let mut marks = std::mem::take(&mut self.spare_marks);
        if !marked {
            marks.clear();
        }
        let c = Chunk {
            seq: self.seq,
            first_line: self.line + 1,
            buf: Buf {
                store,
                len,
                marks,
                marked,
            },
            too_long: None,
            ticket,
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
            let n = self.read_more(&mut buf)?;
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
        let buf = Buf {
            store: Store::Owned(buf),
            len: 0,
            ..Buf::default()
        };
        Ok(self.skipped(total, buf))
    }
}

/// Where a chunk of `data` ending at `end` (just past a newline) is cut: at most `max_lines`
/// lines (a chunk of tiny lines would otherwise make a batch of hundreds of thousands of
/// items). Returns the end and the lines in it.
fn cut(max_lines: u64, data: &[u8], end: usize) -> (usize, u64) {
    if end as u64 <= max_lines {
        // No more newlines than bytes: the cap cannot be reached; count at speed.
        return (end, memchr::memchr_iter(b'\n', &data[..end]).count() as u64);
    }
    let mut lines = 0u64;
    for nl in memchr::memchr_iter(b'\n', &data[..end]) {
        lines += 1;
        if lines == max_lines {
            return (nl + 1, lines);
        }
    }
    (end, lines)
}

/// The length of a line longer than [`MAX_LINE`] starting at `pos`, found by reading on
/// from the cap to its newline (nothing kept).
fn long_line_end(file: &std::fs::File, pos: u64) -> io::Result<u64> {
    let mut scratch = vec![0u8; READ_BUF];
    let mut total = MAX_LINE as u64;
    loop {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(file, &mut scratch, pos + total)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(file, &mut scratch, pos + total)?;
        if n == 0 {
            return Ok(total);
        }
        if let Some(p) = memchr::memchr(b'\n', &scratch[..n]) {
            return Ok(total + p as u64 + 1);
        }
        total += n as u64;
    }
}

/// Maps `len` bytes of `file` from `pos`, read-only, its pages faulted in up front (one call
/// instead of a fault per page) when `populate` (else by the worker, [`Chunk::settle`]).
///
/// A mapping is only safe while nobody shrinks the file under it: bytes past a new end fault
/// with SIGBUS, which kills the process. The size is taken again before every window (a file
/// truncated between windows ends cleanly), and windows are small and short-lived (the
/// in-flight pool: a few MB for well under a second), so the remaining risk is a file
/// truncated while one of its windows is being scanned, which [`note_shrinking_input`] turns
/// from a crash into an error (exit status 2). Followed files (`--follow`, where truncation is expected) are never mapped.
fn map_window(
    file: &std::fs::File,
    pos: u64,
    len: usize,
    populate: bool,
) -> io::Result<memmap2::Mmap> {
    #[cfg(unix)]
    {
        static NOTE: std::sync::Once = std::sync::Once::new();
        NOTE.call_once(note_shrinking_input);
    }
    let mut opts = memmap2::MmapOptions::new();
    opts.offset(pos).len(len);
    if populate {
        opts.populate();
    }
    // SAFETY: the map is read-only and private to this scan; its bytes are only read as
    // `&[u8]` while it lives. Another process changing the file's bytes changes what we read
    // (as a concurrent `read` would); one shrinking it is the documented SIGBUS risk above.
    unsafe { opts.map(file) }
}

/// Replaces the crash of a mapped input shrunk under the scan (SIGBUS, "Bus error", a log
/// rotated with `copytruncate` mid-read) with a message and exit status 2 (unreadable input).
/// Nothing else in the process maps files, so a SIGBUS here is that.
#[cfg(unix)]
fn note_shrinking_input() {
    extern "C" fn on_sigbus(_: libc::c_int) {
        const MSG: &[u8] = b"claude-429: error: an input file shrank while it was being read \
(truncated, or rotated with copytruncate?); read it again once it is stable, or a copy of it\n";
        // SAFETY: write(2) and _exit(2) are async-signal-safe; MSG is static.
        unsafe {
            libc::write(2, MSG.as_ptr().cast(), MSG.len());
            libc::_exit(2);
        }
    }
    // SAFETY: a zeroed sigaction is valid (no flags, an empty mask); the handler only calls
    // async-signal-safe functions and never returns.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
    }
}

/// Line numbers for chunks cut without counting their lines ([`ChunkReader::defer`]): each
/// worker counts its own chunk's lines and settles them here, in chunk order.
#[derive(Default)]
pub(super) struct LineChain {
    /// (the next chunk to settle, the lines of the chunks before it).
    state: std::sync::Mutex<(u64, u64)>,
    turn: std::sync::Condvar,
    /// Bytes per line of the last chunk settled (0 before the first): sizes the next
    /// windows for the line cap.
    line_bytes: std::sync::atomic::AtomicU64,
}

/// A chunk's place in the [`LineChain`]. Dropped unsettled (a worker unwinding), it settles
/// as one line, so the chunks after it are not left waiting.
pub(super) struct Ticket {
    chain: std::sync::Arc<LineChain>,
    seq: u64,
    settled: bool,
}

impl Ticket {
    /// Waits until the chunks before this one are settled, records this one's `lines`
    /// (`bytes` long) and returns its first line (1-based). The wait is short: every chunk
    /// before this one was taken first, and its worker settles it before anything else.
    fn settle(&mut self, lines: u64, bytes: usize) -> u64 {
        self.settled = true;
        let chain = &*self.chain;
        let mut st = chain.state.lock().unwrap_or_else(|p| p.into_inner());
        while st.0 != self.seq {
            st = chain.turn.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        let first = st.1 + 1;
        *st = (st.0 + 1, st.1 + lines);
        drop(st);
        chain.turn.notify_all();
        if bytes > 0 {
            chain.line_bytes.store(
                (bytes as u64 / lines.max(1)).max(1),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        first
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled {
            self.settle(1, 0);
        }
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
