//! [`StringCap`]: the lexical filter that caps every JSON string at [`MAX_STRING`] bytes
//! (keeping a cut string's last lines) before serde_json sees it.

use std::io::{self, BufRead, Read};

use memchr::memmem;

use super::Shared;

/// Entries parsed ahead at most; the filter stops pulling bytes when this many wait.
pub(super) const READY_MAX: usize = 8;

/// Sits between the file and serde_json and caps the length of every JSON string (see the
/// module doc). It stops filling right after a string closes, so when the parser has read a
/// closing quote, [`Shared::cut`] describes that string.
pub(super) struct StringCap<'s, R> {
    pub(super) inner: R,
    pub(super) st: CapState<'s>,
    pub(super) bom_checked: bool,
}

pub(super) struct CapState<'s> {
    pub(super) shared: &'s Shared,
    pub(super) max: usize,
    pub(super) tail: usize,
    /// Filtered bytes not yet handed over, from `pos`.
    pub(super) out: Vec<u8>,
    pub(super) pos: usize,
    pub(super) in_str: bool,
    /// The previous byte in the string was an escaping backslash.
    pub(super) esc: bool,
    /// The open string's content (escaped, as in the file); once cut, only its end.
    pub(super) buf: Vec<u8>,
    /// Length of the open string so far.
    pub(super) len: u64,
    pub(super) cut: bool,
}

impl<'s, R: BufRead> StringCap<'s, R> {
    pub(super) fn new(inner: R, shared: &'s Shared, max: usize, tail: usize) -> Self {
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

    pub(super) fn fill(&mut self) -> io::Result<()> {
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
                    && (st.out.len() >= 64 * 1024 || st.shared.ready_len.get() >= READY_MAX))
            {
                return Ok(());
            }
        }
    }
}

impl CapState<'_> {
    /// Takes bytes outside strings up to and including the quote that opens the next one.
    pub(super) fn outside_bytes(&mut self, chunk: &[u8]) -> (usize, bool) {
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
    pub(super) fn string_bytes(&mut self, chunk: &[u8]) -> (usize, bool) {
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

    pub(super) fn push(&mut self, bytes: &[u8]) {
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

    pub(super) fn keep_tail(&mut self) {
        let drop = self.buf.len().saturating_sub(self.tail);
        self.buf.drain(..drop);
    }

    pub(super) fn close(&mut self) {
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
pub(super) fn tail_start(buf: &[u8]) -> usize {
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
