//! Text captures: `curl -i` / `curl -v` responses, bare header dumps, JSON error bodies (one
//! line or pretty-printed), Python / TypeScript SDK errors, LiteLLM wrappers, Claude Code
//! lines and SSE error events, in any mix.
//!
//! Each line yields *facts* (a status, a header, an error body, evidence text). Facts merge
//! into the current capture until one conflicts with it (a second status line after headers,
//! a second body, a header with a different value) or the chunk ends (a blank line after a
//! body, or a run of unrelated lines); then the capture is emitted and a new one starts. This
//! copes with pastes nobody planned for: log prefixes, tracebacks between a status and its
//! body, JS object dumps with `headers: { 'name': 'value' }`.

//!
//! The scanner is split by job: [`lines`] recognises what a line is (timestamps, status
//! lines, markers, exception names; pure functions), [`push`] has one step per kind of line,
//! [`literals`] reads JSON bodies and object dumps (multi-line ones included), [`merge`]
//! decides when two captures are one failure, and [`resync`] is what the parallel text path
//! needs to stitch chunks scanned apart (driven by one [`resync::Context`] struct).

mod lines;
mod literals;
mod merge;
mod push;
mod resync;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::object::parse_time_str;
use super::stats::ScanStats;
use super::{Capture, Format};
use lines::{inert_lowered, inert_when_quiet, might_start_capture, status_line, strip_log_prefix};
use literals::Pending;
use merge::{NEAR_LINES, finish_capture, merge_into, reprinted, same_failure};
use resync::Context;
pub use resync::ScanContext;

/// Continuation lines appended to a capture's text (hard-wrapped terminal output).
const MAX_CONTINUATION: usize = 12;
/// This many unrelated lines in a row end a capture.
const MAX_UNRELATED: usize = 4;

/// Streaming state for text input.
pub struct TextScanner {
    source: Arc<str>,
    cur: Option<Capture>,
    /// What is known about the open capture's shape (reset when it ends).
    open: Open,
    pending: Option<Pending>,
    /// What a capture starting on the next line would take from earlier lines (the last
    /// stamp, the last request line): the state the parallel path carries across chunks.
    ctx: Context,
    /// The last ended capture, held back in case the next is the same failure in another form.
    held: Option<Capture>,
    /// How the held capture's last form began (see [`merge::reprinted`]).
    held_began: LineKind,
    /// Cross-chunk bookkeeping (see [`TextScanner::leaned_on`]): a capture took its time or
    /// request from before this scanner's first line.
    borrowed: Borrowed,
    /// Scratch space for lower-casing a line.
    lower: String,
    /// What the line being pushed is (scratch, set on every push): whether it carries a
    /// log timestamp, and whether it re-prints a cause (see [`freetext::exception_line`]).
    line: LineKind,
    /// Whether inert lines are dismissed early (off only in tests, to prove it exact).
    gate: bool,
}

/// The open capture's shape; every field goes back to its default when the capture ends.
#[derive(Default)]
struct Open {
    /// The current capture has a body (or an error object) already.
    has_body: bool,
    /// Inside an HTTP header block: after a status line, before the blank line.
    in_headers: bool,
    /// Saw the blank line ending an HTTP header block.
    after_blank: bool,
    unrelated: usize,
    /// Continuation lines appended to the current capture's text so far.
    continued: usize,
    /// How the current capture's first line began (see [`merge::reprinted`]).
    began: LineKind,
}

/// What a line is, for telling a failure re-printed in its own stack trace from a retry.
#[derive(Default, Clone, Copy)]
struct LineKind {
    stamped: bool,
    cause: bool,
    /// A retry wrapper's summary that quotes the last error ahead of the attempts
    /// (`AI_RetryError: Failed after 3 attempts. Last error: …`).
    summary: bool,
    /// An exception's repr (`RateLimitError("Error code: 429 - …")`).
    repr: bool,
}

/// Whether a capture read the time or the request line from before this scanner's first
/// line (see [`TextScanner::leaned_on`]).
#[derive(Default)]
struct Borrowed {
    time: bool,
    request: bool,
}

impl TextScanner {
    pub fn new(source: Arc<str>) -> Self {
        TextScanner {
            source,
            cur: None,
            open: Open::default(),
            pending: None,
            ctx: Context::default(),
            held: None,
            held_began: LineKind::default(),
            borrowed: Borrowed::default(),
            lower: String::new(),
            line: LineKind::default(),
            gate: true,
        }
    }

    /// No multi-line literal is being collected.
    pub fn is_idle(&self) -> bool {
        self.pending.is_none()
    }

    /// The chunked scan's shortcut for a line the pre-filter stopped at: `raw` is ASCII, has
    /// no NUL byte and does not start with `{`; `lower` is its lower-cased copy. When the
    /// scanner is quiet and the line leaves it quiet, takes what [`Self::push_line`] would
    /// take from it and returns true: the line is done. Otherwise returns false and the line
    /// must be pushed. Two kinds of line leave a quiet scanner quiet:
    /// * an inert line (see [`inert_when_quiet`]): only its timestamp is taken;
    /// * a success status quoted in a log line (`httpx`'s `"HTTP/1.1 200 OK"`): its
    ///   timestamp and its request line are taken, as the status-line branch of `push` does.
    ///
    /// `has_word`: whether the line holds a trigger word (not just a `{` or a NUL); when
    /// false, no rule phrase can be on it either (see [`rules::may_match`]).
    ///
    /// `before`: lines skipped just before this one whose last timestamp is not yet taken; it
    /// is taken when the line is done here and has none of its own (else the caller takes
    /// it before pushing the line).
    pub fn take_quiet_line(
        &mut self,
        raw: &str,
        lower: &[u8],
        has_word: bool,
        before: &[u8],
    ) -> bool {
        if !self.gate || !self.is_clear() {
            return false;
        }
        let (line, stamp) = strip_log_prefix(raw);
        let trimmed = line.trim();
        // The branches of `push` before the status line act on a line starting with one of
        // these (a quote, `curl -v`, a comment, a literal): leave those to it.
        if trimmed.starts_with(['>', '<', '*', '{', '}', '#', '/']) {
            if !inert_lowered(trimmed, lowered(raw, lower, trimmed), has_word) {
                return false;
            }
        } else if let Some((status, at)) = status_line(trimmed) {
            // A status line (an httpx `HTTP Request: ... "HTTP/1.1 200 OK"`, the commonest
            // stopped line) holds `http/`, one of the gate's words: never inert, so the
            // gate's searches are not run for it.
            if at == 0 || status >= 400 {
                return false;
            }
            self.note_request(trimmed, at);
        } else if !inert_lowered(trimmed, lowered(raw, lower, trimmed), has_word) {
            return false;
        }
        match stamp {
            Some(st) => self.set_stamp(st),
            None => self.take_last_stamp(before),
        }
        true
    }

    /// Whether a capture is held back (see [`Self::release_held`]).
    pub fn holds_capture(&self) -> bool {
        self.held.is_some()
    }

    /// A held capture can only merge with one that starts within [`NEAR_LINES`] of it: at
    /// line `line_no`, past that, it is final and is emitted. Letting it go keeps the scanner
    /// quiet between failures (the chunked scan resynchronises only at quiet points).
    pub fn release_held(
        &mut self,
        line_no: u64,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        if let Some(h) = &self.held
            && self.is_clear()
            && line_no > h.line.saturating_add(NEAR_LINES)
        {
            let h = self.held.take().expect("checked");
            stats.captures += 1;
            out(h);
        }
    }

    fn set_stamp(&mut self, st: &str) {
        if !(self.ctx.stamp_seen && self.ctx.stamp == st) {
            self.ctx.stamp.clear();
            self.ctx.stamp.push_str(st);
            self.ctx.stamp_parsed = false;
            self.ctx.stamp_seen = true;
        }
    }

    /// For the chunked scan, which skips the lines between trigger words unseen: takes the
    /// timestamp of the last stamped line among `skipped` (whole lines), as pushing each of
    /// them would have. Looks backwards, so it usually reads one line.
    pub fn take_last_stamp(&mut self, skipped: &[u8]) {
        let mut end = skipped.len();
        while end > 0 {
            let body = &skipped[..end];
            let start = memchr::memrchr(b'\n', &body[..body.len() - 1]).map_or(0, |i| i + 1);
            let line = &body[start..];
            // A stamp is ASCII and near the start: look at a short head only.
            let head = &line[..line.len().min(64)];
            let head = match std::str::from_utf8(head) {
                Ok(h) => h,
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
            };
            if let (_, Some(st)) = strip_log_prefix(head) {
                if st.len() + 8 < head.len() || head.len() == line.len() {
                    self.set_stamp(st);
                } else {
                    // The stamp may run past the head: read the whole line.
                    let line = String::from_utf8_lossy(line);
                    if let (_, Some(st)) = strip_log_prefix(&line) {
                        self.set_stamp(st);
                    }
                }
                return;
            }
            end = start;
        }
    }

    /// Emits the current capture (and the one held back for merging), if they carry any
    /// evidence. Called before a capture of another path is emitted, so order is kept.
    pub fn flush(&mut self, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        self.close(out, stats);
        if let Some(h) = self.held.take() {
            stats.captures += 1;
            out(h);
        }
    }

    /// Ends the current capture. It is held back until the next one ends: when that is the
    /// same failure in another form (same request id, or the same message as a parsed body
    /// and as text a few lines apart), the two merge into one capture.
    fn emit(&mut self, c: Capture, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        if let Some(h) = self.held.as_mut()
            && (same_failure(h, &c) || reprinted(h, &c, self.held_began, self.open.began))
        {
            merge_into(h, c);
            self.held_began = self.open.began;
            return;
        }
        if let Some(h) = self.held.take() {
            stats.captures += 1;
            out(h);
        }
        self.held = Some(c);
        self.held_began = self.open.began;
    }

    /// Ends the current capture (held back, see [`Self::emit`]).
    fn close(&mut self, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        if let Some(p) = self.pending.take() {
            self.literal_failed(p, out, stats);
        }
        if let Some(mut c) = self.cur.take() {
            finish_capture(&mut c);
            if c.has_evidence() {
                self.emit(c, out, stats);
            }
        }
        self.open = Open::default();
    }

    pub fn finish(&mut self, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        self.flush(out, stats);
    }

    fn start(
        &mut self,
        line: u64,
        format: Format,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> &mut Capture {
        self.close(out, stats);
        let mut c = Capture::new(self.source.clone(), line, format);
        c.time = self.time_now();
        self.borrowed.request |= self.ctx.last_request.is_none();
        if let Some((m, u)) = &self.ctx.last_request {
            c.method = Some(m.clone());
            c.url = Some(u.clone());
        }
        self.cur = Some(c);
        self.open.began = self.line;
        self.cur.as_mut().expect("just set")
    }

    /// The time of the last timestamped line, parsed on first use.
    fn time_now(&mut self) -> Option<DateTime<Utc>> {
        self.borrowed.time |= !self.ctx.stamp_seen;
        if !self.ctx.stamp_parsed {
            self.ctx.stamp_parsed = true;
            self.ctx.line_time = parse_time_str(&self.ctx.stamp.replace(',', "."));
        }
        self.ctx.line_time
    }

    /// A new capture when `fresh` (or when there is none), else the current one.
    fn target(
        &mut self,
        fresh: bool,
        line: u64,
        format: Format,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> &mut Capture {
        if fresh || self.cur.is_none() {
            return self.start(line, format, out, stats);
        }
        self.cur.as_mut().expect("checked above")
    }

    pub fn push_line(
        &mut self,
        line_no: u64,
        raw: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        self.push(line_no, raw, false, out, stats);
    }

    /// [`Self::push_line`] for a line the caller already knows holds a trigger word (the
    /// chunked scan's pre-filter found one): the per-line trigger probe is skipped.
    pub fn push_triggered_line(
        &mut self,
        line_no: u64,
        raw: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        self.push(line_no, raw, true, out, stats);
    }

    /// One line: a pending literal takes it whole; otherwise the line's stamp is taken and
    /// the first step that knows the line's kind takes it.
    fn push(
        &mut self,
        line_no: u64,
        raw: &str,
        triggered: bool,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        self.release_held(line_no, out, stats);
        // A blank line ends a broken literal and then acts as a blank line (it closes the
        // capture the literal's text went into), as before the split; so does a line that
        // starts the next record.
        if self.pending.is_some()
            && self.continue_literal(raw, out, stats)
            && !raw.trim().is_empty()
        {
            return;
        }
        // Most lines of a big application log are irrelevant: with no capture open, a line
        // that names nothing a capture can start with costs a few memmem probes.
        // Every timestamped line sets the time a capture starting after it takes, whether or
        // not the line matters otherwise (a traceback's own lines carry no stamp).
        let (line, stamp) = strip_log_prefix(raw);
        if let Some(st) = stamp {
            self.set_stamp(st);
        }
        if self.cur.is_none() && !triggered && !might_start_capture(raw) {
            return;
        }
        let trimmed = line.trim();
        // A trigger word is not yet a reason: on a quiet scanner, a line that names nothing
        // any step acts on (an SQL `LIMIT 50`, a dict dump, a number with 429 in it) changes
        // nothing but the timestamp, taken above.
        if self.gate && self.is_clear() && inert_when_quiet(trimmed, &mut self.lower) {
            return;
        }
        let (cause, summary, repr) = super::freetext::exception_line(trimmed);
        self.line = LineKind {
            stamped: stamp.is_some(),
            cause,
            summary,
            repr,
        };
        if self.proxy_or_unplaced_line(line_no, trimmed, out, stats) {
            return;
        }
        if trimmed.is_empty() || trimmed == "<" {
            self.blank_line(out, stats);
            return;
        }
        if let Some(req) = trimmed.strip_prefix('>') {
            self.quoted_line(line_no, req, out, stats);
            return;
        }
        if self.is_noise(trimmed) {
            return;
        }
        let verbose = trimmed.starts_with("< ");
        let body_line = trimmed.strip_prefix("< ").unwrap_or(trimmed);
        if let Some(found) = status_line(body_line) {
            self.http_status(line_no, body_line, found, verbose, out, stats);
            return;
        }
        if let Some(data) = body_line.strip_prefix("data:") {
            self.sse_line(line_no, body_line, data, out, stats);
            return;
        }
        if body_line.starts_with("event:") {
            return;
        }
        // Literals on the line: an error body, alone or behind an SDK prefix, an array of
        // errors, a header object; or the start of a multi-line one.
        if body_line.contains('{') && self.scan_literals(line_no, body_line, verbose, out, stats) {
            if let Some(p) = self.pending.as_mut() {
                p.stamped = stamp.is_some();
            }
            return;
        }
        if let Some((name, value)) = crate::capture::headers::parse_line(body_line)
            && self.header_line(line_no, &name, value, out, stats)
        {
            return;
        }
        if self.marker_or_rule_line(line_no, line, trimmed, body_line, out, stats) {
            return;
        }
        self.other_line(line, body_line, out, stats);
    }
}

#[cfg(test)]
mod tests;

/// The bytes of `lower` (the lower case of `raw`) under `part`, a slice of `raw`.
fn lowered<'a>(raw: &str, lower: &'a [u8], part: &str) -> &'a [u8] {
    let at = part.as_ptr() as usize - raw.as_ptr() as usize;
    &lower[at..at + part.len()]
}
