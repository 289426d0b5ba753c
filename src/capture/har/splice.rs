//! [`Splice`]: most entries of `log.entries` found with a string-aware depth scan and
//! parsed from the slice, off the byte-at-a-time walk; plain successes told apart cheaply.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::walk::{Entry, KeySeed, Obj};
use super::{Ready, Shared};

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
/// `log.entries` up to `max` bytes, and parses it with serde from that slice. A parsed entry
/// goes to [`Shared::ready`] and the walk is handed a placeholder `{}` followed by the entry's
/// newlines, so entry counts, lines and everything around the entries array stay exactly what
/// the streaming walk makes of them. An entry that does not parse on its own, or is longer than
/// `max` (its strings may need cutting), is passed through unchanged for the walk to read as
/// before; so is any file whose keys are escaped or otherwise not spelled plainly.
pub(super) struct Splice<'s, R> {
    pub(super) inner: R,
    pub(super) st: SpliceState<'s>,
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
    /// Plain successes need not be parsed (see [`is_plain_success`]).
    pub(super) failures_only: bool,
    /// Bytes for the walk, from `pos`.
    pub(super) out: Vec<u8>,
    pub(super) pos: usize,
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
    /// Buffering the current entry.
    pub(super) capturing: bool,
    pub(super) entry: Vec<u8>,
    /// The buffered entry nests deeper than the walk would accept: it reads it itself.
    pub(super) deep: bool,
}

impl<'s, R: BufRead> Splice<'s, R> {
    pub(super) fn new(inner: R, shared: &'s Shared, max: usize, failures_only: bool) -> Self {
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
    pub(super) fn emit(&mut self, bytes: &[u8]) {
        if self.capturing {
            self.entry.extend_from_slice(bytes);
        } else {
            self.out.extend_from_slice(bytes);
        }
    }

    /// Takes bytes of `chunk`; returns how many, stopping right after an entry closes.
    pub(super) fn process(&mut self, chunk: &[u8]) -> usize {
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

    /// Parses the buffered entry; a placeholder for the walk when it parses on its own.
    pub(super) fn finish_entry(&mut self) {
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
    pub(super) fn placeholder(&mut self) {
        let lines = memchr::memchr_iter(b'\n', &self.entry).count();
        self.out.extend_from_slice(b"{}");
        self.out.resize(self.out.len() + lines, b'\n');
        self.entry.clear();
    }
}

/// Whether an entry is a plain success (see [`plain_success`]) by a cheap look: one pass
/// over its raw bytes finds no `rror` (an error type or message anywhere), no `\\u` escape
/// (which could spell one), no `base64` (a body encoded so), and `"response"` and
/// `"status"` once each; then its response status, read with every value before it skipped
/// unparsed and nothing after it read at all, is a number from 100 to 399. Anything else
/// is parsed whole.
pub(super) fn is_plain_success(entry: &[u8]) -> bool {
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
pub(super) fn response_status(entry: &[u8]) -> Option<u16> {
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
pub(super) struct PeekMap<'a> {
    pub(super) found: &'a Cell<Option<u16>>,
    pub(super) key: &'static str,
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

pub(super) struct PeekSeed<'a>(pub(super) PeekMap<'a>);

impl<'de> DeserializeSeed<'de> for PeekSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self.0)
    }
}
