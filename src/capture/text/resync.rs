//! Cross-chunk support for the parallel text path: a worker scans its chunk with a fresh
//! scanner; the result is exact when the real scanner was quiet at the chunk's start and
//! nothing in the chunk leaned on context from before it.
//!
//! Everything a quiet scanner carries from one line to the next is in one struct,
//! [`Context`], and every function here takes it apart field by field with no `..`: a field
//! added to it (or to [`TextScanner`]) does not compile until this file says how it crosses a
//! chunk boundary.

use chrono::{DateTime, Utc};

use super::{Borrowed, TextScanner};

/// What a capture starting on the next line takes from earlier lines.
pub(super) struct Context {
    /// The last line's timestamp text, parsed only when a capture needs it.
    pub(super) stamp: String,
    pub(super) stamp_parsed: bool,
    /// A stamp was seen by this scanner (`stamp` holds it).
    pub(super) stamp_seen: bool,
    /// `stamp` parsed.
    pub(super) line_time: Option<DateTime<Utc>>,
    /// Request line seen in `curl -v` output or an httpx log (method, url).
    pub(super) last_request: Option<(String, String)>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            stamp: String::new(),
            // Nothing to parse yet.
            stamp_parsed: true,
            stamp_seen: false,
            line_time: None,
            last_request: None,
        }
    }
}

/// See [`TextScanner::context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanContext {
    stamp: Option<String>,
    request: Option<(String, String)>,
}

impl TextScanner {
    /// No capture open and no literal being collected: the next line starts from scratch.
    pub fn is_quiet(&self) -> bool {
        self.is_clear() && self.held.is_none()
    }

    /// No capture open and no literal being collected, though an ended one may be held back
    /// (see [`Self::release_held`]): a line that cannot start a capture changes nothing but
    /// the timestamp, as when quiet. Only [`Self::is_quiet`] is a point to resynchronise
    /// chunks at: the held capture is still to be emitted, or merged.
    pub fn is_clear(&self) -> bool {
        // Every field, so a new one is placed: what the next line depends on is either open
        // (a capture, a literal), carried (`ctx`), or scratch and settings.
        let TextScanner {
            source: _,
            cur,
            open: _, // reset whenever a capture starts or ends
            pending,
            ctx: _, // carried: see `context`, `inherit`
            held: _,
            held_began: _, // goes with `held`
            borrowed: _,
            lower: _,
            line: _, // scratch: set on every push
            gate: _,
        } = self;
        cur.is_none() && pending.is_none()
    }

    /// Whether this (fresh) scanner's captures would have read a time or a request line
    /// from `prev`, the state before its first line.
    pub fn leaned_on(&self, prev: &TextScanner) -> bool {
        let Borrowed { time, request } = self.borrowed;
        let Context {
            stamp: _,
            stamp_parsed: _,
            stamp_seen,
            line_time: _,
            last_request,
        } = &prev.ctx;
        (time && *stamp_seen) || (request && last_request.is_some())
    }

    /// The context a quiet scanner carries to its next capture (the last stamp, the last
    /// request line): two quiet scanners with the same context behave the same from here on.
    pub fn context(&self) -> ScanContext {
        let Context {
            stamp,
            stamp_parsed: _, // follows from `stamp`
            stamp_seen,
            line_time: _, // follows from `stamp`
            last_request,
        } = &self.ctx;
        ScanContext {
            stamp: stamp_seen.then(|| stamp.clone()),
            request: last_request.clone(),
        }
    }

    /// Whether this scanner's context equals `ctx`.
    pub fn has_context(&self, ctx: &ScanContext) -> bool {
        let Context {
            stamp,
            stamp_parsed: _,
            stamp_seen,
            line_time: _,
            last_request,
        } = &self.ctx;
        let stamp = if *stamp_seen {
            Some(stamp.as_str())
        } else {
            None
        };
        stamp == ctx.stamp.as_deref() && *last_request == ctx.request
    }

    /// Takes over the context this scanner never saw itself (the last stamp, the last
    /// request line) from `prev`, the state before its first line.
    pub fn inherit(&mut self, prev: &mut TextScanner) {
        let Context {
            stamp,
            stamp_parsed,
            stamp_seen,
            line_time,
            last_request,
        } = &mut prev.ctx;
        let own = &mut self.ctx;
        if !own.stamp_seen && *stamp_seen {
            own.stamp = std::mem::take(stamp);
            own.stamp_parsed = *stamp_parsed;
            own.line_time = *line_time;
            own.stamp_seen = true;
        }
        if own.last_request.is_none() {
            own.last_request = last_request.take();
        }
    }
}
