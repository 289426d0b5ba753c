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

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::jsonl::{parse_time_str, read_headers, read_sse};
use super::stats::ScanStats;
use super::{Capture, Format, headers, relaxed};
use crate::classify::rules;

/// A pretty-printed literal is given up after this many bytes or lines.
const MAX_PENDING_BYTES: usize = 1024 * 1024;
const MAX_PENDING_LINES: usize = 50_000;
/// Literals are looked for in at most this many bytes of one line.
const MAX_LITERAL_LINE: usize = 256 * 1024;
/// Continuation lines appended to a capture's text (hard-wrapped terminal output).
const MAX_CONTINUATION: usize = 12;
/// This many unrelated lines in a row end a capture.
const MAX_UNRELATED: usize = 4;

struct Pending {
    line: u64,
    /// The text before the literal on its first line ("API Error: 529 ").
    prefix: String,
    buf: String,
    lines: usize,
    format: Format,
    status: Option<u16>,
    /// Where the brace balance of `buf` stands: each new line is scanned once, never the
    /// whole literal again.
    balance: relaxed::Balance,
}

/// Streaming state for text input.
pub struct TextScanner {
    source: Arc<str>,
    cur: Option<Capture>,
    /// The current capture has a body (or an error object) already.
    has_body: bool,
    /// Inside an HTTP header block: after a status line, before the blank line.
    in_headers: bool,
    /// Saw the blank line ending an HTTP header block.
    after_blank: bool,
    unrelated: usize,
    pending: Option<Pending>,
    /// Time from the last line that started with a timestamp.
    line_time: Option<DateTime<Utc>>,
    /// The last line's timestamp text, parsed only when a capture needs it.
    stamp: String,
    stamp_parsed: bool,
    /// Request line seen in `curl -v` output or an httpx log (method, url).
    last_request: Option<(String, String)>,
    /// Continuation lines appended to the current capture's text so far.
    continued: usize,
    /// The last ended capture, held back in case the next is the same failure in another form.
    held: Option<Capture>,
    /// Cross-chunk bookkeeping (see [`TextScanner::is_quiet`]): a stamp was seen by this
    /// scanner; a capture took its time or request from before this scanner's first line.
    stamp_seen: bool,
    borrowed_time: bool,
    borrowed_request: bool,
    /// Scratch space for lower-casing a line.
    lower: String,
    /// Whether inert lines are dismissed early (off only in tests, to prove it exact).
    gate: bool,
}

impl TextScanner {
    pub fn new(source: Arc<str>) -> Self {
        TextScanner {
            source,
            cur: None,
            has_body: false,
            in_headers: false,
            after_blank: false,
            unrelated: 0,
            pending: None,
            line_time: None,
            stamp: String::new(),
            stamp_parsed: true,
            last_request: None,
            continued: 0,
            held: None,
            stamp_seen: false,
            borrowed_time: false,
            borrowed_request: false,
            lower: String::new(),
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
        // `trimmed` is a slice of `raw`: the same bytes of `lower` are its lower case.
        let at = trimmed.as_ptr() as usize - raw.as_ptr() as usize;
        if !inert_lowered(trimmed, &lower[at..at + trimmed.len()], has_word) {
            // The branches of `push` before the status line act on a line starting with
            // one of these (a quote, `curl -v`, a comment, a literal): leave those to it.
            if trimmed.starts_with(['>', '<', '*', '{', '}', '#', '/']) {
                return false;
            }
            match status_line(trimmed) {
                Some((status, at)) if at > 0 && status < 400 => self.note_request(trimmed, at),
                _ => return false,
            }
        }
        match stamp {
            Some(st) => self.set_stamp(st),
            None => self.take_last_stamp(before),
        }
        true
    }

    /// Keeps the request line of an httpx log line whose quoted status starts at `status_at`
    /// (the same request line as before, a client calling one endpoint, keeps the strings
    /// it has).
    fn note_request(&mut self, line: &str, status_at: usize) {
        if let Some((m, u)) = httpx_request(line, status_at)
            && self
                .last_request
                .as_ref()
                .is_none_or(|(a, b)| a != m || b != u)
        {
            self.last_request = Some((m.to_string(), u.to_string()));
        }
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
        if !(self.stamp_seen && self.stamp == st) {
            self.stamp.clear();
            self.stamp.push_str(st);
            self.stamp_parsed = false;
            self.stamp_seen = true;
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
            && same_failure(h, &c)
        {
            merge_into(h, c);
            return;
        }
        if let Some(h) = self.held.take() {
            stats.captures += 1;
            out(h);
        }
        self.held = Some(c);
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
        self.has_body = false;
        self.in_headers = false;
        self.after_blank = false;
        self.unrelated = 0;
        self.continued = 0;
    }

    /// A literal that never closed or does not parse (truncated paste, broken quoting, a
    /// prefix on every line): its text is still evidence. The classifier reads error types,
    /// codes and message phrases from text when no structure is left.
    fn literal_failed(&mut self, p: Pending, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        let text = format!("{}{}", p.prefix, p.buf);
        let norm = rules::normalise(&text);
        // A torn JSON line still names its status: `"status": 429`.
        let mut p = p;
        p.status = p.status.or_else(|| super::freetext::literal_status(&text));
        let useful = p.status.is_some()
            || rules::first_match(&norm).is_some()
            || crate::classify::kind_in_text(&norm).is_some()
            || super::freetext::rate_limit_evidence(&text);
        if !useful {
            stats.skip(
                &self.source,
                p.line,
                "object literal that does not parse (truncated paste?)",
            );
            return;
        }
        let merge = self
            .cur
            .as_ref()
            .is_some_and(|c| !self.has_body && !statuses_differ(c.status, p.status));
        if !merge {
            // Start a fresh capture without recursing into flush's pending handling.
            if let Some(mut c) = self.cur.take() {
                finish_capture(&mut c);
                if c.has_evidence() {
                    self.emit(c, out, stats);
                }
            }
            let mut c = Capture::new(self.source.clone(), p.line, p.format);
            c.time = self.time_now();
            self.cur = Some(c);
        }
        let c = self.cur.as_mut().expect("set above");
        if p.status.is_some() {
            c.status = p.status;
        }
        if matches!(c.format, Format::Headers | Format::Text) {
            c.format = p.format;
        }
        c.push_text(&text);
        self.has_body = true;
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
        self.borrowed_request |= self.last_request.is_none();
        if let Some((m, u)) = &self.last_request {
            c.method = Some(m.clone());
            c.url = Some(u.clone());
        }
        self.cur = Some(c);
        self.cur.as_mut().expect("just set")
    }

    /// The time of the last timestamped line, parsed on first use.
    fn time_now(&mut self) -> Option<DateTime<Utc>> {
        self.borrowed_time |= !self.stamp_seen;
        if !self.stamp_parsed {
            self.stamp_parsed = true;
            self.line_time = parse_time_str(&self.stamp.replace(',', "."));
        }
        self.line_time
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

    fn push(
        &mut self,
        line_no: u64,
        raw: &str,
        triggered: bool,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        self.release_held(line_no, out, stats);
        if let Some(p) = &mut self.pending {
            // A blank line never occurs inside a pasted literal: the literal was broken.
            if raw.trim().is_empty() {
                let p = self.pending.take().expect("checked");
                self.literal_failed(p, out, stats);
            } else {
                p.buf.push('\n');
                p.buf.push_str(raw);
                p.lines += 1;
                if let Some(end) = p.balance.feed(&p.buf) {
                    let p = self.pending.take().expect("checked");
                    self.literal_done(p, end, out, stats);
                } else if p.buf.len() > MAX_PENDING_BYTES || p.lines > MAX_PENDING_LINES {
                    let p = self.pending.take().expect("checked");
                    self.literal_failed(p, out, stats);
                }
                return;
            }
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
        // any branch below acts on (an SQL `LIMIT 50`, a dict dump, a number with 429 in
        // it) changes nothing but the timestamp, taken above.
        if self.gate && self.is_clear() && inert_when_quiet(trimmed, &mut self.lower) {
            return;
        }
        // Proxy and gateway log lines (`upstream 429 (retry 2/3)`, `HEAD /v1/models 404`).
        if self.cur.is_none()
            && let Some(proxy) = super::freetext::proxy_line(trimmed)
        {
            if let Some(status) = proxy {
                let c = self.start(line_no, Format::Text, out, stats);
                c.status = Some(status);
                c.push_text(trimmed);
                self.close(out, stats);
            }
            return;
        }
        // A 429/529 with rate-limit words that the readers below do not place (`Copilot
        // request failed: 429 Too Many Requests`): a capture of its own, never dropped.
        if self.cur.is_none()
            && let Some(status) = super::freetext::unplaced_failure(trimmed)
            && status_in_text(&trimmed.to_ascii_lowercase()).is_none()
        {
            let c = self.start(line_no, Format::Text, out, stats);
            c.status = Some(status);
            c.push_text(trimmed);
            self.close(out, stats);
            return;
        }

        // Blank line: ends a header block, or a capture that has its body.
        if trimmed.is_empty() || trimmed == "<" {
            if self.in_headers {
                self.in_headers = false;
                self.after_blank = true;
            } else if self.has_body
                || self.cur.as_ref().is_some_and(|c| {
                    // A bare status ("Status Code: 429") waits for the body pasted below it.
                    !self.after_blank && (c.status.is_none() || has_specific_text(&c.text))
                })
            {
                self.close(out, stats);
            }
            return;
        }

        // curl -v request lines and request headers; otherwise a `> ` quote (Markdown, e-mail).
        if let Some(req) = trimmed.strip_prefix('>') {
            let req = req.strip_prefix(' ').unwrap_or(req);
            if let Some((m, u)) = request_line(req) {
                self.last_request = Some((m, u));
                return;
            }
            if headers::parse_line(req).is_some_and(|(n, _)| !headers::is_relevant(&n))
                && !req.contains('{')
                && !req.contains(" · ")
            {
                return;
            }
            self.push(line_no, req, false, out, stats);
            return;
        }
        let curl_info = trimmed.starts_with("* ")
            && !headers::parse_line(trimmed).is_some_and(|(n, _)| headers::is_relevant(&n));
        if curl_info || trimmed.starts_with("{ [") || trimmed.starts_with("} [") {
            return;
        }
        // Code comments (a source file, a config) never start a capture.
        if self.cur.is_none()
            && (trimmed.starts_with("# ") || trimmed.starts_with("// "))
            && !super::freetext::comment_carries_failure(trimmed)
        {
            return;
        }
        // A reader's guess about the cause ("I think we hit the 429 rate limit because...")
        // is not a failure.
        if self.cur.is_none() && super::freetext::is_hypothesis(trimmed) {
            return;
        }
        let verbose = trimmed.starts_with("< ");
        let body_line = trimmed.strip_prefix("< ").unwrap_or(trimmed);

        // HTTP status line (also quoted inside an httpx log line).
        if let Some((status, at)) = status_line(body_line) {
            self.note_request(body_line, at);
            if at > 0 && status < 400 {
                // A success in a log line (`"HTTP/1.1 200 OK"` from httpx): not a capture, and
                // it ends the one before it.
                if self.cur.is_some() && self.has_body {
                    self.close(out, stats);
                }
                return;
            }
            let substantive = self.cur.as_ref().is_some_and(|c| {
                self.has_body || !c.headers.is_empty() || c.status.is_some_and(|s| s != status)
            });
            let format = if verbose {
                Format::CurlVerbose
            } else {
                Format::Http
            };
            let c = self.target(substantive, line_no, format, out, stats);
            c.status = Some(status);
            c.format = format;
            // A status line inside a longer log line is not followed by a header block.
            self.in_headers = at == 0;
            self.after_blank = false;
            self.unrelated = 0;
            return;
        }

        // SSE error event.
        if let Some(data) = body_line.strip_prefix("data:") {
            if data.contains("\"error\"") {
                let mut probe = Capture::new(self.source.clone(), line_no, Format::Sse);
                read_sse(&mut probe, body_line);
                if probe.stream_error {
                    let keep_status = self
                        .cur
                        .as_ref()
                        .and_then(|c| c.status)
                        .filter(|_| !self.has_body);
                    let fresh = self.has_body;
                    let c = self.target(fresh, line_no, Format::Sse, out, stats);
                    c.error = probe.error;
                    c.request_id = probe.request_id.or(c.request_id.take());
                    c.stream_error = true;
                    c.status = keep_status.or(c.status);
                    self.has_body = true;
                    self.unrelated = 0;
                }
            }
            return;
        }
        if body_line.starts_with("event:") {
            return;
        }

        // Literals on the line: an error body, alone or behind an SDK prefix, an array of
        // errors, a header object; or the start of a multi-line one.
        if body_line.contains('{') && self.scan_literals(line_no, body_line, verbose, out, stats) {
            return;
        }

        // A header line: inside a header block any header; elsewhere only relevant ones, or
        // JS-dump keys (`status: 429,`).
        if let Some((name, value)) = headers::parse_line(body_line) {
            if (name == "status" || name == "statuscode" || name == "status_code")
                && let Some(s) = headers::parse_int(&value)
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (100..600).contains(s))
                && (s >= 400 || self.cur.is_some())
            {
                let c = self.target(false, line_no, Format::TsSdk, out, stats);
                if c.status.is_some_and(|x| x != s) {
                    let c = self.start(line_no, Format::TsSdk, out, stats);
                    c.status = Some(s);
                } else {
                    c.status = Some(s);
                }
                self.unrelated = 0;
                return;
            }
            if (name == "request_id" || name == "requestid")
                && let Some(c) = self.cur.as_mut()
            {
                c.request_id = Some(value);
                self.unrelated = 0;
                return;
            }
            let relevant = headers::is_relevant(&name);
            if self.in_headers
                || relevant
                || (self
                    .cur
                    .as_ref()
                    .is_some_and(|c| c.format == Format::Headers)
                    && looks_like_header_name(&name))
            {
                // An SDK error's object dump lists the headers after its body.
                let sdk_dump = self
                    .cur
                    .as_ref()
                    .is_some_and(|c| matches!(c.format, Format::TsSdk | Format::PythonSdk));
                let conflict = (self.has_body && !sdk_dump)
                    || self.after_blank
                    || self
                        .cur
                        .as_ref()
                        .is_some_and(|c| c.headers.get(&name).is_some_and(|v| v != value));
                if conflict {
                    self.in_headers = false;
                    self.after_blank = false;
                }
                let c = self.target(conflict, line_no, Format::Headers, out, stats);
                if name == "date" && c.time.is_none() {
                    c.time = DateTime::parse_from_rfc2822(&value)
                        .ok()
                        .map(|t| t.with_timezone(&Utc));
                }
                c.headers.set(&name, &value);
                self.unrelated = 0;
                return;
            }
        }

        // Lines with a marker but no literal: Claude Code and wrapper lines.
        // The pre-filter again: a line with no trigger word has no marker and matches no rule.
        let (marker, norm) = if might_start_capture(body_line) {
            (Marker::from_prefix(body_line), rules::normalise(body_line))
        } else {
            (None, String::new())
        };
        let rule = rules::first_match(&norm).map(|(r, _)| r);
        let specific = rule.is_some_and(|r| r.class != crate::classify::Class::Unknown);
        // Whether the open capture already names a cause; only marker and rule lines ask, so
        // plain lines (a long stack trace) do not re-read the capture's text each time.
        let cur_decided = (specific || marker.is_some())
            && self
                .cur
                .as_ref()
                .is_some_and(|c| has_specific_text(&c.text));
        let open_text = self.cur.as_ref().is_some_and(|c| !c.text.is_empty()) && !self.has_body;

        // A hard-wrapped continuation of the current capture's text (terminal wrapping).
        let starts_lower = trimmed.chars().next().is_some_and(|c| c.is_lowercase());
        let indented = line.starts_with(char::is_whitespace);
        if open_text
            && self.continued < MAX_CONTINUATION
            && marker.is_none_or(|m| m.status.is_none())
            && (starts_lower || (indented && !specific) || (specific && !cur_decided))
        {
            let c = self.cur.as_mut().expect("open_text");
            c.push_text(body_line);
            self.continued += 1;
            self.unrelated = 0;
            return;
        }
        if let Some(m) = marker
            && (m.status.is_some() || rule.is_some())
        {
            let conflict = self.has_body
                || cur_decided
                || self
                    .cur
                    .as_ref()
                    .is_some_and(|c| m.status.is_some_and(|s| c.status.is_some_and(|x| x != s)));
            let c = self.target(conflict, line_no, m.format, out, stats);
            if m.status.is_some() {
                c.status = m.status;
            }
            if c.format == Format::Headers || c.format == Format::Text {
                c.format = m.format;
            }
            c.push_text(body_line);
            self.unrelated = 0;
            return;
        }
        if rule.is_some() {
            if specific {
                let conflict = self.has_body || cur_decided;
                let format = if looks_claude_code(&norm) {
                    Format::ClaudeCode
                } else {
                    Format::Text
                };
                let c = self.target(conflict, line_no, format, out, stats);
                c.push_text(body_line);
                self.unrelated = 0;
                return;
            }
            if let Some(c) = self.cur.as_mut() {
                c.push_text(body_line);
                self.unrelated = 0;
                return;
            }
        }

        // Anything else: traceback frames and indented lines are neutral; others count.
        if is_neutral(line) {
            return;
        }
        if self.in_headers {
            // A non-header line inside a header block: the block is over.
            self.in_headers = false;
        }
        if self.after_blank && !self.has_body {
            // Plain-text body of an HTTP response.
            if let Some(c) = self.cur.as_mut() {
                c.push_text(body_line);
                self.has_body = true;
                return;
            }
        }
        self.unrelated += 1;
        if self.unrelated >= MAX_UNRELATED {
            self.close(out, stats);
        }
    }

    /// Applies every literal on the line, left to right; an unterminated one becomes
    /// pending. Returns false when nothing on the line was a usable literal.
    fn scan_literals(
        &mut self,
        line_no: u64,
        line: &str,
        verbose: bool,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        // Only the head of a giant line is searched for literals: error bodies are small.
        let line = if line.len() > MAX_LITERAL_LINE {
            let mut end = MAX_LITERAL_LINE;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            &line[..end]
        } else {
            line
        };
        let whole = line.starts_with('{') || line.starts_with('[');
        let mut pos = 0;
        let mut used = false;
        let mut parsed_any = false;
        while pos < line.len() {
            let rest = &line[pos..];
            let Some(brace) = rest.find('{') else {
                break;
            };
            // Only the words since the previous literal belong to this one (and keep the
            // scan linear on lines with thousands of literals).
            let head = &line[pos..pos + brace];
            let marker = Marker::from_prefix(head);
            let key = js_key(head);
            let eligible = marker.is_some()
                || (pos == 0 && whole)
                || key.is_some()
                || head.to_ascii_lowercase().contains("error");
            let format = marker.map(|m| m.format).unwrap_or(if verbose {
                Format::CurlVerbose
            } else {
                Format::JsonBody
            });
            let status = marker.and_then(|m| m.status);
            let found = relaxed::find_object(rest);
            match found {
                Some((off, v, n)) if off == brace || !eligible => {
                    parsed_any = true;
                    let head = &line[pos..pos + off];
                    let marker = Marker::from_prefix(head).or(marker);
                    let format = marker.map_or(format, |m| m.format);
                    let status = marker.and_then(|m| m.status).or(status);
                    // Behind unrelated words only a real error envelope counts.
                    let strong = eligible || marker.is_some() || {
                        let mut f = Vec::new();
                        envelopes(&v, None, 0, &mut f);
                        !f.is_empty()
                    };
                    if strong
                        && self.apply_literal(line_no, &v, format, status, js_key(head), out, stats)
                    {
                        used = true;
                    }
                    pos += off + n.max(1);
                }
                _ => {
                    // The first brace does not open a complete literal. find_object already
                    // tried every later brace: jump to the one that parses, or stop. (Stepping
                    // one brace at a time made brace-heavy lines quadratic.)
                    let mut balance = relaxed::Balance::default();
                    if eligible && balance.feed(&rest[brace..]).is_none() {
                        self.pending = Some(Pending {
                            balance,
                            line: line_no,
                            prefix: head.to_string(),
                            buf: rest[brace..].to_string(),
                            lines: 1,
                            format: if key == Some("headers") {
                                Format::Headers
                            } else {
                                format
                            },
                            status,
                        });
                        return true;
                    }
                    match found {
                        Some((off, _, _)) => pos += off,
                        None => break,
                    }
                }
            }
        }
        // A line that is one whole parsed object says what it says; its words are not loose text.
        used || (whole && parsed_any && line.ends_with(['}', ']']))
    }

    fn literal_done(
        &mut self,
        p: Pending,
        end: usize,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        let text = &p.buf[..end];
        match relaxed::parse_prefix(text) {
            Some((v, _)) => {
                let key = (p.format == Format::Headers).then_some("headers");
                let format = if p.format == Format::Headers {
                    Format::TsSdk
                } else {
                    p.format
                };
                if !self.apply_literal(p.line, &v, format, p.status, key, out, stats) {
                    self.literal_failed(p, out, stats);
                }
            }
            None => self.literal_failed(p, out, stats),
        }
    }

    /// Merges a parsed literal into the current capture or a new one.
    #[allow(clippy::too_many_arguments)]
    fn apply_literal(
        &mut self,
        line_no: u64,
        v: &Value,
        format: Format,
        status: Option<u16>,
        key: Option<&str>,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        if key == Some("headers") {
            let c = self.target(false, line_no, format, out, stats);
            read_headers(c, v);
            self.unrelated = 0;
            return true;
        }
        // A whole exchange object (JSONL-like, pretty-printed, or HAR-ish entry).
        if let Value::Object(obj) = v
            && let Some(ex) = super::jsonl::from_object(&self.source, line_no, obj)
            && (ex.status.is_some() && (!ex.headers.is_empty() || !ex.error.is_empty()))
        {
            let mut ex = ex;
            if ex.request_id.is_none() {
                ex.request_id = ["requestID", "request_id", "requestId"]
                    .iter()
                    .find_map(|k| obj.get(*k).and_then(Value::as_str))
                    .map(str::to_string);
            }
            // The same request seen twice (an SDK's one-line message, then its object dump):
            // one capture.
            if let Some(c) = self.cur.as_mut()
                && c.request_id().is_some()
                && c.request_id() == ex.request_id()
            {
                for (n, val) in &ex.headers.0 {
                    c.headers.set(n, val);
                }
                if c.error.is_empty() {
                    c.error = ex.error;
                }
                c.status = c.status.or(ex.status);
                self.has_body = true;
                return true;
            }
            self.close(out, stats);
            ex.format = if format == Format::JsonBody {
                Format::Jsonl
            } else {
                format
            };
            if ex.time.is_none() {
                ex.time = self.time_now();
            }
            self.cur = Some(ex);
            self.has_body = true;
            return true;
        }
        // A relevant header object on its own (a JS/Python dump of response.headers).
        if let Value::Object(obj) = v
            && obj
                .keys()
                .any(|k| headers::is_relevant(&k.to_ascii_lowercase()))
            && obj.values().all(|x| !x.is_object())
        {
            let conflict =
                self.has_body || self.cur.as_ref().is_some_and(|c| !c.headers.is_empty());
            let c = self.target(conflict, line_no, Format::Headers, out, stats);
            read_headers(c, v);
            self.unrelated = 0;
            return true;
        }
        let mut found = Vec::new();
        envelopes(v, status, 0, &mut found);
        if found.is_empty() {
            return self.apply_loose(line_no, v, format, status, out, stats);
        }
        for (i, (body, st)) in found.into_iter().enumerate() {
            let mut probe = Capture::new(self.source.clone(), line_no, format);
            probe.absorb_body(&body);
            // The first merges into the current capture when that has no body yet and the
            // status agrees; the rest (an array of errors) are captures of their own.
            // ...or when it is the same request (an SDK's message, then its object dump).
            let merge = i == 0
                && self.cur.as_ref().is_some_and(|c| {
                    (!self.has_body && !statuses_differ(c.status, st))
                        || (probe.request_id.is_some()
                            && c.request_id() == probe.request_id.as_deref())
                });
            let c = self.target(!merge, line_no, format, out, stats);
            c.error = probe.error;
            if probe.request_id.is_some() {
                c.request_id = probe.request_id;
            }
            if st.is_some() {
                c.status = st;
            }
            // An SDK's own format wins over the httpx status line that came before it.
            if (matches!(c.format, Format::Headers | Format::Text | Format::JsonBody)
                || (c.format == Format::Http && c.headers.is_empty()))
                && format != Format::JsonBody
            {
                c.format = format;
            }
            if let Some(m) = v.get("model").and_then(Value::as_str) {
                c.model.get_or_insert_with(|| m.to_string());
            }
            self.has_body = true;
        }
        self.in_headers = false;
        self.unrelated = 0;
        true
    }

    /// An object with no error envelope: a Claude Code transcript record
    /// (`isApiErrorMessage`, `apiErrorStatus`) or a structured log line whose error-ish
    /// fields carry a known message. Anything else is consumed without a capture: words in
    /// a parsed object's other fields (a conversation, say) are not evidence.
    fn apply_loose(
        &mut self,
        line_no: u64,
        v: &Value,
        format: Format,
        status: Option<u16>,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        let Value::Object(o) = v else {
            return false;
        };
        if let Some(e) = cloud_error_object(o) {
            let merge = self.cur.as_ref().is_some_and(|c| {
                (!self.has_body && !statuses_differ(c.status, e.status))
                    || (e.request_id.is_some() && c.request_id() == e.request_id.as_deref())
            });
            let c = self.target(!merge, line_no, e.format, out, stats);
            c.status = e.status.or(c.status);
            c.error.kind = Some(e.name);
            if e.message.is_some() {
                c.error.message = e.message;
            }
            if e.request_id.is_some() {
                c.request_id = e.request_id;
            }
            if matches!(c.format, Format::Headers | Format::Text | Format::JsonBody) {
                c.format = e.format;
            }
            self.has_body = true;
            self.unrelated = 0;
            return true;
        }
        let api_status = ["apiErrorStatus", "api_error_status", "error_status"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_u64))
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..600).contains(s));
        let is_api_error = o.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true)
            || api_status.is_some();
        let mut texts = Vec::new();
        if is_api_error {
            collect_texts(o.get("message").unwrap_or(v), 0, &mut texts);
        } else {
            for k in [
                "error",
                "err",
                "msg",
                "message",
                "exception",
                "detail",
                "details",
                "reason",
            ] {
                if let Some(x) = o.get(k) {
                    collect_texts(x, 0, &mut texts);
                }
            }
            texts.retain(|t| {
                rules::first_match(&rules::normalise(t))
                    .is_some_and(|(r, _)| r.class != crate::classify::Class::Unknown)
            });
        }
        if texts.is_empty() {
            // A gateway's own error body (Cloudflare AI Gateway) belongs to the status above.
            if let Some(c) = self.cur.as_mut()
                && super::freetext::absorb_gateway_error(c, v)
            {
                self.has_body = true;
                return true;
            }
            // Parsed fine, says nothing about a failure: consumed.
            return !is_api_error || api_status.is_none();
        }
        // The plain body of an HTTP response (`{"message": "…"}` from Bedrock) belongs to
        // the status line and headers above it.
        // So does an object right after a bare status (an httpx line, then the SDK's error
        // line carrying the body).
        let http_body = !is_api_error
            && !self.has_body
            && self.cur.as_ref().is_some_and(|c| {
                self.after_blank
                    || (c.error.is_empty()
                        && c.text.is_empty()
                        && c.status.is_some()
                        && !statuses_differ(c.status, status))
            });
        let c = self.target(
            !http_body,
            line_no,
            if is_api_error {
                Format::ClaudeCode
            } else {
                format
            },
            out,
            stats,
        );
        c.status = api_status.or(status).or(c.status);
        if let Some(t) = ["timestamp", "ts", "time"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .and_then(parse_time_str)
        {
            c.time = Some(t);
        }
        for t in texts {
            c.push_text(&t);
        }
        self.has_body = true;
        self.unrelated = 0;
        true
    }
}

/// An AWS error as an SDK prints it: JavaScript v3 (`name`, `$fault`, `$metadata` with
/// `httpStatusCode` and `requestId`; `message` is often missing from `JSON.stringify`),
/// boto3's `e.response` (`Error.Code`, `Error.Message`, `ResponseMetadata.HTTPStatusCode`),
/// or a restJson1 body with `__type`.
struct CloudError {
    name: String,
    status: Option<u16>,
    message: Option<String>,
    request_id: Option<String>,
    format: Format,
}

fn cloud_error_object(o: &serde_json::Map<String, Value>) -> Option<CloudError> {
    let str_of = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let status_of = |v: Option<&Value>| {
        v.and_then(|x| {
            x.as_u64()
                .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..600).contains(s))
    };
    if let Some(meta) = o.get("$metadata").and_then(Value::as_object) {
        let name = str_of(o.get("name"))
            .or_else(|| str_of(o.get("__type")))
            .or_else(|| str_of(o.get("Code")))?;
        return Some(CloudError {
            name: strip_aws_name(&name),
            status: status_of(meta.get("httpStatusCode")),
            message: str_of(o.get("message")).or_else(|| str_of(o.get("Message"))),
            request_id: str_of(meta.get("requestId")),
            format: Format::TsSdk,
        });
    }
    if let Some(err) = o.get("Error").and_then(Value::as_object) {
        let name = str_of(err.get("Code"))?;
        let meta = o.get("ResponseMetadata").and_then(Value::as_object);
        return Some(CloudError {
            name: strip_aws_name(&name),
            status: meta.and_then(|m| status_of(m.get("HTTPStatusCode"))),
            message: str_of(err.get("Message")).or_else(|| str_of(err.get("message"))),
            request_id: meta.and_then(|m| str_of(m.get("RequestId"))),
            format: Format::PythonSdk,
        });
    }
    let name = str_of(o.get("__type"))?;
    Some(CloudError {
        name: strip_aws_name(&name),
        status: None,
        message: str_of(o.get("message")).or_else(|| str_of(o.get("Message"))),
        request_id: None,
        format: Format::JsonBody,
    })
}

/// `com.amazon.coral#ThrottlingException:http://…` → `ThrottlingException`.
fn strip_aws_name(name: &str) -> String {
    let n = name.rsplit('#').next().unwrap_or(name);
    let n = n.split(':').next().unwrap_or(n);
    n.trim().to_string()
}

/// Strings inside a value (depth-limited), for loose evidence.
fn collect_texts(v: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > 5 || out.len() > 8 {
        return;
    }
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_texts(x, depth + 1, out)),
        Value::Object(o) => o.values().for_each(|x| collect_texts(x, depth + 1, out)),
        _ => {}
    }
}

/// Anthropic error envelopes inside a value, with the status named beside each. Wrappers
/// are peeled: an envelope whose message holds another envelope (LiteLLM, OpenAI-compatible
/// proxies, apps that store the raw body) yields the inner one; an array of errors (Claude
/// Code's Errors list) yields one per element.
fn envelopes(v: &Value, status: Option<u16>, depth: usize, out: &mut Vec<(Value, Option<u16>)>) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Object(o) => {
            let here = own_status(o).or(status);
            let err = o.get("error");
            let proper = (o.get("type").and_then(Value::as_str) == Some("error")
                && err.is_some_and(Value::is_object))
                || err.is_some_and(|e| {
                    e.is_object() && (e.get("type").is_some() || e.get("message").is_some())
                })
                || (o
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.ends_with("_error"))
                    && o.contains_key("message"));
            if proper {
                // The wrapper's error object may carry the status (`"code": "429"`).
                let here = err.and_then(Value::as_object).and_then(own_status).or(here);
                // Peel a wrapper: the message may hold the real envelope.
                let msg = err
                    .and_then(|e| e.get("message"))
                    .or_else(|| o.get("message"))
                    .and_then(Value::as_str);
                if let Some(m) = msg.filter(|m| m.contains('{')) {
                    let before = out.len();
                    envelopes_in_text(m, here, depth + 1, out);
                    if out.len() > before {
                        return;
                    }
                }
                out.push((v.clone(), here));
                return;
            }
            let before = out.len();
            for x in o.values() {
                envelopes(x, here, depth + 1, out);
            }
            if out.len() == before
                && let Some(Value::String(e)) = err
                && !e.contains('{')
                && e.len() < 500
                && rules::first_match(&rules::normalise(e)).is_some()
            {
                // {"error": "Rate limited"} from gateways: weak, but an error.
                out.push((v.clone(), here));
            }
        }
        Value::String(s) if s.contains('{') => envelopes_in_text(s, status, depth + 1, out),
        Value::Array(a) => a.iter().for_each(|x| envelopes(x, status, depth + 1, out)),
        _ => {}
    }
}

/// Envelopes in text that embeds literals ("Error: 429 {...}"), the status taken from the
/// words before each.
fn envelopes_in_text(
    s: &str,
    status: Option<u16>,
    depth: usize,
    out: &mut Vec<(Value, Option<u16>)>,
) {
    let mut pos = 0;
    let before = out.len();
    while pos < s.len() {
        let Some((off, inner, n)) = relaxed::find_object(&s[pos..]) else {
            break;
        };
        let prefix = s[pos..pos + off].to_ascii_lowercase();
        let st = status_in_text(&prefix)
            .or_else(|| status_of_exception(&prefix))
            .or(status);
        envelopes(&inner, st, depth, out);
        pos += off + n.max(1);
    }
    if out.len() == before
        && let Some(u) = relaxed::unescape_one_level(s)
        && u != s
    {
        envelopes_in_text(&u, status, depth + 1, out);
    }
}

fn own_status(o: &serde_json::Map<String, Value>) -> Option<u16> {
    ["status", "status_code", "statusCode", "code"]
        .iter()
        .find_map(|k| match o.get(*k) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if s.len() == 3 => s.parse().ok(),
            _ => None,
        })
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..600).contains(s))
}

/// Two captures that are one failure pasted in two forms: the same request id, or (a few
/// lines apart, statuses agreeing, the forms differing) the same message, once parsed and
/// once as text. Retries of one request in one form stay separate failures.
/// How far apart (in lines, start to start) two forms of one failure may be.
const NEAR_LINES: u64 = 40;

fn same_failure(a: &Capture, b: &Capture) -> bool {
    if b.line.saturating_sub(a.line) > NEAR_LINES || a.source != b.source {
        return false;
    }
    if let (Some(x), Some(y)) = (a.request_id(), b.request_id()) {
        return x == y;
    }
    if statuses_differ(a.status, b.status) {
        return false;
    }
    let forms_differ = a.format != b.format || a.error.is_empty() != b.error.is_empty();
    if !forms_differ {
        return false;
    }
    let (ma, mb) = (a.error.message.as_deref(), b.error.message.as_deref());
    let long = |m: &str| m.trim().len() >= 20;
    match (ma, mb) {
        (Some(x), Some(y)) => long(x) && rules::normalise(x) == rules::normalise(y),
        (Some(x), None) => long(x) && rules::normalise(&b.text).contains(&rules::normalise(x)),
        (None, Some(y)) => long(y) && rules::normalise(&a.text).contains(&rules::normalise(y)),
        (None, None) => false,
    }
}

/// Fills what `into` lacks from `from` (the second form of the same failure).
fn merge_into(into: &mut Capture, from: Capture) {
    into.status = into.status.or(from.status);
    for (n, v) in &from.headers.0 {
        if into.headers.get(n).is_none() {
            into.headers.set(n, v);
        }
    }
    let e = &mut into.error;
    if e.kind.is_none() {
        e.kind = from.error.kind;
    }
    if e.message.is_none() {
        e.message = from.error.message;
    }
    if e.error_code.is_none() {
        e.error_code = from.error.error_code;
    }
    if e.code.is_none() {
        e.code = from.error.code;
    }
    if into.request_id.is_none() {
        into.request_id = from.request_id;
    }
    into.model = into.model.take().or(from.model);
    into.url = into.url.take().or(from.url);
    into.method = into.method.take().or(from.method);
    into.time = into.time.or(from.time);
    into.stream_error |= from.stream_error;
    if into.text.is_empty() {
        into.text = from.text;
    }
}

/// Fills in what can be inferred once a capture is complete: the model from the message.
fn finish_capture(c: &mut Capture) {
    if c.model.is_none() {
        let found = c
            .error
            .message
            .as_deref()
            .and_then(model_in)
            .or_else(|| model_in(&c.text));
        c.model = found;
    }
}

/// A `claude-...` model name in free text.
fn model_in(s: &str) -> Option<String> {
    let at = s.find("claude-")?;
    let name: String = s[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect();
    let name = name.trim_end_matches(['.', '-']);
    (name.len() > "claude-".len() + 1).then(|| name.to_string())
}

/// What the text before an object (or a whole line) says about the capture.
#[derive(Debug, Clone, Copy)]
struct Marker {
    format: Format,
    status: Option<u16>,
}

impl Marker {
    fn from_prefix(prefix: &str) -> Option<Marker> {
        let lower = prefix.to_ascii_lowercase();
        // Most lines name none of the words below: one multi-pattern probe answers for all
        // of them, and only a line that has one is looked at word by word.
        if !MARKER_GUARD.is_match(&lower) {
            return status_in_text(&lower).map(|s| Marker {
                format: Format::Text,
                status: Some(s),
            });
        }
        let status = status_in_text(&lower).or_else(|| status_of_exception(&lower));
        let format = if lower.contains("litellm")
            || lower.contains("anthropicexception")
            || lower.contains("bedrockexception")
            || lower.contains("vertexaiexception")
        {
            Format::Litellm
        } else if lower.contains("botocore")
            || lower.contains("boto3")
            || (lower.contains("an error occurred (") && lower.contains("operation"))
            || lower.contains("google.api_core")
        {
            // boto3 / AWS CLI (`An error occurred (ThrottlingException) when calling the
            // InvokeModel operation: …`), Google client libraries.
            Format::PythonSdk
        } else if lower.contains("$metadata")
            || lower.contains("(service: bedrock")
            || crate::classify::aws_exception_status(&lower).is_some()
        {
            // AWS SDK for JavaScript v3 and Java-style messages; an AWS exception name.
            Format::TsSdk
        } else if lower.contains("api error")
            || lower.contains("request rejected")
            || lower.contains("retrying in")
        {
            Format::ClaudeCode
        } else if lower.contains("error code:")
            || lower.contains("anthropic.")
            || lower.contains("anthropic_")
        {
            Format::PythonSdk
        } else if lower.contains("ratelimiterror")
            || lower.contains("overloadederror")
            || lower.contains("apierror")
            || lower.contains("internalservererror")
            || lower.contains("failed after")
            || lower.contains("last error")
        {
            Format::TsSdk
        } else if status.is_some() {
            Format::Text
        } else {
            return None;
        };
        Some(Marker { format, status })
    }
}

/// Whether `trimmed` (a line, its timestamp cut off) is certain to leave a quiet scanner
/// quiet, with nothing to remember. Conservative: `false` whenever any branch of
/// [`TextScanner::push_line`] could act on it. A branch acts only on
/// * a line that starts a quote, a `curl -v` line, a literal or an array (`>`, `<`, `{`, `[`);
/// * an HTTP status line (`http/`), SSE data (`data`), a relevant header (`retry`,
///   `request`, `anthropic`, `x-amzn`, `status`), a literal behind a key or an error word
///   (`headers`, `body`, `response`, `data`, `details`, `error`: an error envelope names
///   `error` too), a `\u` escape that could spell any of these;
/// * a marker word ([`MARKER_GUARD`]) or a 4xx/5xx number standing alone;
/// * the words of a rule phrase ([`rules::may_match`]).
///
/// Non-ASCII lines always take the full path (Unicode case folding is not ASCII's).
fn inert_when_quiet(trimmed: &str, lower: &mut String) -> bool {
    if !trimmed.is_ascii() {
        return false;
    }
    lower.clear();
    lower.push_str(trimmed);
    lower.make_ascii_lowercase();
    inert_lowered(trimmed, lower.as_bytes(), true)
}

/// [`inert_when_quiet`] for an ASCII line and its lower-cased copy; `has_word`: false when
/// the line is known to hold no trigger word, and so no rule phrase.
fn inert_lowered(trimmed: &str, lower: &[u8], has_word: bool) -> bool {
    static GATE: std::sync::LazyLock<rules::WordSearch> = std::sync::LazyLock::new(|| {
        let mut words = vec![
            "error",
            "http/",
            "status",
            "request",
            "retry",
            "anthropic",
            "x-amzn",
            "headers",
            "body",
            "response",
            "data",
            "details",
        ];
        words.extend(MARKER_WORDS);
        words.extend(EXCEPTION_CLASSES.iter().map(|(k, _)| *k));
        rules::WordSearch::new(&rules::bucket_order(rules::minimal_words(&words)))
    });
    debug_assert!(trimmed.is_ascii() && trimmed.len() == lower.len());
    if trimmed.starts_with(['>', '<', '{', '[']) {
        return false;
    }
    // `\u` (an escape that could spell any word) is looked for apart: a two-byte pattern
    // would drag the whole search down to a slower, two-byte fingerprint.
    !(GATE.is_match(lower)
        || memchr::memchr_iter(b'\\', lower).any(|i| lower.get(i + 1) == Some(&b'u'))
        || has_error_status_number(lower)
        || (has_word && rules::may_match(lower)))
}

/// A three-digit number from 400 to 599 standing alone (no letter or digit either side).
fn has_error_status_number(b: &[u8]) -> bool {
    let alnum = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphanumeric);
    memchr::memchr2_iter(b'4', b'5', b).any(|i| {
        b.len() >= i + 3
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && (i == 0 || !alnum(i - 1))
            && !alnum(i + 3)
    })
}

/// Every word [`Marker::from_prefix`] and [`status_of_exception`] look for: a line with none
/// of them is a plain [`Format::Text`] marker at most. (`exception` covers the AWS names.)
static MARKER_GUARD: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        let mut words = MARKER_WORDS.to_vec();
        words.extend(EXCEPTION_CLASSES.iter().map(|(k, _)| *k));
        aho_corasick::AhoCorasick::new(words).expect("static patterns build")
    });

/// The words of [`MARKER_GUARD`] besides the exception class names.
const MARKER_WORDS: &[&str] = &[
    "litellm",
    "anthropicexception",
    "bedrockexception",
    "vertexaiexception",
    "botocore",
    "boto3",
    "an error occurred (",
    "google.api_core",
    "$metadata",
    "(service: bedrock",
    "exception",
    "api error",
    "request rejected",
    "retrying in",
    "error code:",
    "anthropic.",
    "anthropic_",
    "ratelimiterror",
    "overloadederror",
    "apierror",
    "internalservererror",
    "failed after",
    "last error",
    "resourceexhausted",
    "resource_exhausted",
];

const EXCEPTION_CLASSES: &[(&str, u16)] = &[
    ("ratelimiterror", 429),
    ("overloadederror", 529),
    ("internalservererror", 500),
    ("serviceunavailableerror", 503),
    ("authenticationerror", 401),
    ("permissiondeniederror", 403),
    ("notfounderror", 404),
    ("badrequesterror", 400),
    ("requesttoolargeerror", 413),
];

/// The status an SDK exception class stands for (`anthropic.RateLimitError`, TypeScript
/// `RateLimitError`, LiteLLM `litellm.RateLimitError`).
fn status_of_exception(lower: &str) -> Option<u16> {
    EXCEPTION_CLASSES
        .iter()
        .find(|(k, _)| lower.contains(k))
        .map(|(_, s)| *s)
        .or_else(|| crate::classify::aws_exception_status(lower))
        .or_else(|| {
            // Google: `google.api_core.exceptions.ResourceExhausted: 429 …`.
            (lower.contains("resourceexhausted") || lower.contains("resource_exhausted"))
                .then_some(429)
        })
}

/// A 4xx/5xx status named in text: "Error code: 429", "API Error: 529", "(429)", "status 429",
/// "RateLimitError: 429", or a leading "429 {".
fn status_in_text(lower: &str) -> Option<u16> {
    let b = lower.as_bytes();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && (i + 3 == b.len() || !b[i + 3].is_ascii_alphanumeric())
        {
            let n: u16 = lower[i..i + 3].parse().unwrap_or(0);
            if (400..600).contains(&n) {
                let mut from = i.saturating_sub(16);
                while !lower.is_char_boundary(from) {
                    from += 1;
                }
                let before = &lower[from..i];
                const KNOWN: &[u16] = &[
                    400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504, 529,
                ];
                let ok = i == 0 || carries_status(before, &lower[i + 3..], KNOWN.contains(&n));
                if ok {
                    return Some(n);
                }
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

/// Whether the words right before a number make it a status: an SDK exception or Claude
/// Code line (`Error code: 429`, `API Error: 529`, `RateLimitError: 429`, `Request rejected
/// (429)`), a status key (`status 429`, `status_code=429`, `HTTP 429`), `failed with` /
/// `returned` / `response`. Never an arbitrary `key: NNN` (`published n: 529`,
/// `'order_id': 429`, `error_count: 429`) or a `file:429:12` position.
fn carries_status(before: &str, after: &str, known: bool) -> bool {
    const KEYS: &[&str] = &[
        "status",
        "status_code",
        "statuscode",
        "httpstatuscode",
        "status code",
        "code",
        "error",
        "exception",
        "rejected",
        "http",
        "http/1.0",
        "http/1.1",
        "http/2",
        "http/3",
        "failed with",
        "returned",
        "response",
        "got",
    ];
    let tail = before.trim_end_matches([
        ' ', ':', '=', '\'', '"', '[', '-', '`', '\u{b7}', '\u{2219}', '\u{2022}', '|', ',',
    ]);
    if before.trim_end().ends_with('(') {
        // `Request rejected (429)`, `API Error (529 …)`; not `order (429 items)`.
        let t = tail.trim_end_matches('(').trim_end();
        return KEYS.iter().any(|k| t.ends_with(k)) || (known && reads_as_status(after));
    }
    // Claude Code's debug form: `API Error (attempt 1/11): 529`.
    if tail.ends_with(')') && before.contains("attempt") {
        return known;
    }
    let sep = before.len() - tail.len();
    // `status 429` with a space, `Error code: 429` with a colon; `errorcount429` never.
    sep > 0 && KEYS.iter().any(|k| tail.ends_with(k))
}

/// What follows a known status in parentheses when it is one: `(429)`, `(529 {...})`,
/// `(529 Overloaded)`, `(429 Too Many Requests)`; never a count (`(529 chars)`, `(429 items)`).
fn reads_as_status(after: &str) -> bool {
    const REASONS: &[&str] = &[
        "too",
        "overloaded",
        "site",
        "internal",
        "service",
        "bad",
        "rate",
        "request",
        "error",
        "gateway",
        "unauthorized",
        "forbidden",
        "not",
        "payload",
        "status",
    ];
    let a = after.trim_start();
    match a.chars().next() {
        None | Some(')' | '{' | '\u{2026}' | '.' | '-' | ':' | ',') => true,
        _ => {
            let word: String = a.chars().take_while(|c| c.is_alphabetic()).collect();
            REASONS.contains(&word.as_str())
        }
    }
}

/// `HTTP/1.1 429 Too Many Requests` at the start of a line, or quoted in an httpx log line
/// (`HTTP Request: POST https://... "HTTP/1.1 429 Too Many Requests"`). Returns the status and
/// where the status line starts.
fn status_line(line: &str) -> Option<(u16, usize)> {
    static QUOTED: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"HTTP/"));
    let at = if line.starts_with("HTTP/") {
        0
    } else {
        QUOTED.find(line.as_bytes()).map(|i| i + 1)?
    };
    let rest = &line[at + 5..];
    let sp = rest.find(' ')?;
    let version = &rest[..sp];
    if !version.chars().all(|c| c.is_ascii_digit() || c == '.') || version.is_empty() {
        return None;
    }
    let code = rest[sp + 1..].get(..3)?;
    let n: u16 = code.parse().ok()?;
    if !(100..600).contains(&n)
        || rest.as_bytes()[sp + 1..]
            .get(3)
            .is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    Some((n, at))
}

/// The request in an httpx log line before a quoted status: `POST https://host/v1/messages "HTTP/1.1 ...`.
fn httpx_request(line: &str, status_at: usize) -> Option<(&str, &str)> {
    if status_at == 0 {
        return None;
    }
    let before = line[..status_at.saturating_sub(1)].trim_end();
    // The last two space-separated words (`rsplit(' ')`, found from the end with memrchr).
    let sp = memchr::memrchr(b' ', before.as_bytes())?;
    let url = &before[sp + 1..];
    let rest = &before[..sp];
    let method = &rest[memchr::memrchr(b' ', rest.as_bytes()).map_or(0, |i| i + 1)..];
    (matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "PATCH") && url.contains('/'))
        .then_some((method, url))
}

/// `POST /v1/messages HTTP/2` from `curl -v`.
fn request_line(s: &str) -> Option<(String, String)> {
    let mut w = s.split_whitespace();
    let m = w.next()?;
    let u = w.next()?;
    (matches!(m, "GET" | "POST" | "PUT" | "DELETE" | "PATCH"))
        .then(|| (m.to_string(), u.to_string()))
}

/// `headers: ` / `error: ` / `body=` right before a brace in a JS or Python dump.
fn js_key(prefix: &str) -> Option<&str> {
    let mut p = prefix.trim_end();
    // A type name before the brace, as util.inspect prints it: `headers: Headers {`.
    if let Some((before, last)) = p.rsplit_once(char::is_whitespace)
        && !last.is_empty()
        && last.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && before.trim_end().ends_with(':')
    {
        p = before.trim_end();
    }
    let p = p.strip_suffix(':').or_else(|| p.strip_suffix('='))?.trim();
    let key = p
        .rsplit(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()?;
    let key = key.trim_matches(|c| c == '\'' || c == '"');
    matches!(
        key,
        "headers" | "error" | "body" | "response" | "responseBody" | "data" | "details"
    )
    .then_some(key)
}

/// Both statuses known and different: not the same failure.
fn statuses_differ(a: Option<u16>, b: Option<u16>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// The text already names a specific cause (a rule other than the generic one matches).
fn has_specific_text(text: &str) -> bool {
    !text.is_empty()
        && rules::first_match(&rules::normalise(text))
            .is_some_and(|(r, _)| r.class != crate::classify::Class::Unknown)
}

fn looks_like_header_name(name: &str) -> bool {
    name.contains('-')
        || matches!(
            name,
            "date"
                | "server"
                | "connection"
                | "via"
                | "vary"
                | "etag"
                | "age"
                | "expires"
                | "status"
        )
}

fn looks_claude_code(norm: &str) -> bool {
    norm.contains("api error")
        || norm.contains("limit reached")
        || norm.contains("resets")
        || norm.contains("not your usage limit")
        || norm.contains("hit your")
}

/// Traceback frames, stack lines, indented code, separators: part of a pasted error, not
/// evidence and not a sign the capture ended.
fn is_neutral(line: &str) -> bool {
    let t = line.trim();
    line.starts_with(' ')
        || line.starts_with('\t')
        || t.starts_with("Traceback")
        || t.starts_with("File \"")
        || t.starts_with("During handling")
        || t.starts_with("The above exception")
        || t.starts_with('^')
        || t.starts_with("at ")
        || t.starts_with("...")
        || t.starts_with('}')
        || t.starts_with(']')
        || t.starts_with("```")
        || t.chars()
            .all(|c| matches!(c, '-' | '=' | '~' | '*' | '#' | '_'))
}

/// See [`TextScanner::context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanContext {
    stamp: Option<String>,
    request: Option<(String, String)>,
}

/// Cross-chunk support for the parallel text path: a worker scans its chunk with a fresh
/// scanner; the result is exact when the real scanner was quiet at the chunk's start and
/// nothing in the chunk leaned on context from before it.
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
        self.cur.is_none() && self.pending.is_none()
    }

    /// Whether this (fresh) scanner's captures would have read a time or a request line
    /// from `prev`, the state before its first line.
    pub fn leaned_on(&self, prev: &TextScanner) -> bool {
        (self.borrowed_time && prev.stamp_seen)
            || (self.borrowed_request && prev.last_request.is_some())
    }

    /// The context a quiet scanner carries to its next capture (the last stamp, the last
    /// request line): two quiet scanners with the same context behave the same from here on.
    pub fn context(&self) -> ScanContext {
        ScanContext {
            stamp: self.stamp_seen.then(|| self.stamp.clone()),
            request: self.last_request.clone(),
        }
    }

    /// Whether this scanner's context equals `ctx`.
    pub fn has_context(&self, ctx: &ScanContext) -> bool {
        let stamp = if self.stamp_seen {
            Some(self.stamp.as_str())
        } else {
            None
        };
        stamp == ctx.stamp.as_deref() && self.last_request == ctx.request
    }

    /// Takes over the context this scanner never saw itself (the last stamp, the last
    /// request line) from `prev`, the state before its first line.
    pub fn inherit(&mut self, prev: &mut TextScanner) {
        if !self.stamp_seen && prev.stamp_seen {
            self.stamp = std::mem::take(&mut prev.stamp);
            self.stamp_parsed = prev.stamp_parsed;
            self.line_time = prev.line_time;
            self.stamp_seen = true;
        }
        if self.last_request.is_none() {
            self.last_request = prev.last_request.take();
        }
    }
}

/// Strips a leading log timestamp (`2026-11-20T14:02:11Z`, `[2026-11-20 14:02:11,123]`,
/// `2026-11-20 14:02:11.123 ERROR ...`) and returns the rest and the stamp's text (parsed
/// later, only if a capture starts here).
fn strip_log_prefix(line: &str) -> (&str, Option<&str>) {
    let t = line.trim_start();
    let inner = t.strip_prefix('[').unwrap_or(t);
    let b = inner.as_bytes();
    if b.len() < 19
        || !(b[0..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[7] == b'-'
            && matches!(b[10], b'T' | b' ')
            && b[13] == b':')
    {
        return (line, None);
    }
    // Bytes, not chars: every byte the stamp may hold is ASCII, and the first byte of any
    // other char (ASCII or not) ends it, at a char boundary.
    let stamp_byte =
        |c: u8| c.is_ascii_digit() || matches!(c, b'.' | b',' | b':' | b'+' | b'-' | b'Z');
    let end = if b[..19].is_ascii() {
        b[19..]
            .iter()
            .position(|&c| !stamp_byte(c))
            .map_or(inner.len(), |i| 19 + i)
    } else {
        // Not a stamp one would write, but read as before: 19 chars in.
        inner
            .char_indices()
            .skip(19)
            .find(|&(_, c)| !(c.is_ascii() && stamp_byte(c as u8)))
            .map_or(inner.len(), |(i, _)| i)
    };
    let rest = inner[end..].trim_start_matches([']', ' ', '\t']);
    (rest, Some(&inner[..end]))
}

/// Cheap test that a line may start a capture: one case-insensitive multi-pattern scan over
/// [`rules::triggers`] (derived from the rule table).
fn might_start_capture(line: &str) -> bool {
    static MATCHER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(rules::triggers())
                .expect("static patterns build")
        });
    #[cfg(test)]
    if tests::LEGACY_TRIGGERS.get() {
        static LEGACY: std::sync::LazyLock<aho_corasick::AhoCorasick> =
            std::sync::LazyLock::new(|| {
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(rules::legacy_triggers())
                    .expect("static patterns build")
            });
        return LEGACY.is_match(line);
    }
    MATCHER.is_match(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of every fixture and example, and variants of them, plus log lines that
    /// carry trigger words without meaning anything.
    fn gate_lines() -> Vec<String> {
        let mut files = Vec::new();
        for root in ["tests/fixtures", "examples"] {
            for e in walkdir::WalkDir::new(root).into_iter().flatten() {
                if e.file_type().is_file() {
                    files.push(e.into_path());
                }
            }
        }
        let mut lines: Vec<String> = vec![
            "2026-11-20 09:00:00,085 - DEBUG - sqlalchemy.engine - SELECT id FROM orders LIMIT 50".into(),
            "2026-11-20 09:00:00,254 - INFO - app.jobs - job 39654 state={'queued': 1, 'done': 2582}".into(),
            "2026-11-20 09:00:00,172 - DEBUG - app.prompt - built prompt for doc_70430: 9622 tokens".into(),
            "2026-11-20 09:00:17,429 - INFO - app.queue - published 429 messages".into(),
            "2026-11-20 09:00:17,429 - INFO - got 429 from upstream".into(),
            "2026-11-20 09:00:17 - WARN - rate\\nlimit hit".into(),
            "[2026-11-20 09:00:17] weekly limit reached".into(),
            "429 Too Many Requests".into(),
            "  LIMIT 50 -- usage \\u0065rror".into(),
            "status_code=529".into(),
            "> LIMIT 50".into(),
            "< Retry-After: 30".into(),
            "x-amzn-ErrorType: ThrottlingException".into(),
            "2026-11-20 09:00:00,486 - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"".into(),
            "INFO:httpx:HTTP Request: GET https://api.anthropic.com/v1/models \"HTTP/2 301 Moved\"".into(),
            "INFO:httpx:HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 429 Too Many Requests\"".into(),
            "< HTTP/1.1 200 OK".into(),
            "HTTP/1.1 200 OK".into(),
            "* Connected \"HTTP/1.1 200 OK\"".into(),
            "> POST /v1/messages \"HTTP/1.1 200 OK\"".into(),
            "# \"HTTP/1.1 200 OK\"".into(),
            "// \"HTTP/1.1 200 OK\"".into(),
            "{ [5 bytes data] \"HTTP/1.1 200 OK\"".into(),
            "< x: \"HTTP/1.1 200 OK\"".into(),
            "HTTP Request: PATCH https://proxy.local/v1/messages?beta=true \"HTTP/1.1 204 No Content\"".into(),
            "HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/x 200 OK\"".into(),
            "HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 2000 OK\"".into(),
            "HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 399 Huh\"".into(),
            "retrying \"HTTP/1.1 200 OK\" after error".into(),
            "status: 503 limit".into(),
            "status_code=503 prompt".into(),
            "response: limit exceeded 503".into(),
            "{\"limit\": 50, \"status\": 503}".into(),
            "job state={'status': 503, 'limit': 5}".into(),
            "headers: {'x-limit': '5'} tokens".into(),
            "body = {\"tokens\": 529}".into(),
            "POST request failed: 503".into(),
            "request failed with status 503".into(),
            "limit 500 reached".into(),
            "Limit reached \u{b7} resets 5pm".into(),
            "< x-ratelimit-limit: 50".into(),
            "< x-ratelimit-limit-tokens: 529".into(),
            "tokens: 503".into(),
            "prompt tokens 429".into(),
            "data limit".into(),
            "> GET /v1/orders?limit=50".into(),
            "> POST /v1/messages?limit=5 HTTP/1.1".into(),
            "[request] 503 Service Unavailable".into(),
            "Request rate limit hit".into(),
            "cache hit for key session:42 (ttl 529 s)".into(),
        ];
        for f in files {
            let bytes = std::fs::read(&f).unwrap_or_default();
            lines.extend(String::from_utf8_lossy(&bytes).lines().map(str::to_string));
        }
        let mut out = Vec::new();
        for l in lines {
            out.push(format!("2026-11-20 09:00:00,123 - INFO - app - {l}"));
            out.push(l.to_uppercase());
            out.push(l);
        }
        out
    }

    /// Pushes `line` (then a failure line and a plain line) into a quiet scanner with some
    /// context (`held`: one holding back a failure that ended), and returns everything
    /// observable: the captures, and the state after `line`.
    fn observe(line: &str, gate: bool, via_take: bool, held: bool) -> String {
        let mut stats = ScanStats::default();
        let mut caps = Vec::new();
        let mut t = TextScanner::new(Arc::from("t"));
        t.gate = gate;
        let mut out = |c: Capture| caps.push(c);
        t.push_line(1, "2026-11-20 08:00:00 - httpx - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"", &mut out, &mut stats);
        if held {
            // A failure that ended and is held back (it could still merge with the next).
            t.push_line(1, "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'x'}}", &mut out, &mut stats);
            // Four unrelated lines end it (MAX_UNRELATED).
            for _ in 0..MAX_UNRELATED {
                t.push_line(
                    1,
                    "2026-11-20 08:00:01 - INFO - app - unrelated",
                    &mut out,
                    &mut stats,
                );
            }
            assert!(t.is_clear() && !t.is_quiet());
        }
        let taken = via_take
            && line.is_ascii()
            && !line.starts_with('{')
            && !line.contains('\0')
            && might_start_capture(line)
            && t.take_quiet_line(
                line,
                line.to_ascii_lowercase().as_bytes(),
                has_word(line),
                &[],
            );
        if !taken {
            t.push_line(2, line, &mut out, &mut stats);
        }
        let state = format!("{:?} {:?} {}", t.context(), t.is_quiet(), t.is_idle());
        t.push_line(3, "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'x'}}", &mut out, &mut stats);
        t.push_line(4, "done", &mut out, &mut stats);
        t.finish(&mut out, &mut stats);
        format!("{state}\n{caps:?}\n{} {}", stats.captures, stats.skipped)
    }

    /// Whether `line` holds a trigger word, as the chunk pre-filter's word search sees it (a
    /// `{` or a NUL it finds apart).
    fn has_word(line: &str) -> bool {
        let lower = line.to_ascii_lowercase();
        rules::triggers()
            .iter()
            .any(|w| w.len() > 1 && lower.contains(&w.to_ascii_lowercase()))
    }

    thread_local! {
        /// [`might_start_capture`] with the trigger words of before ([`rules::legacy_triggers`]).
        pub(super) static LEGACY_TRIGGERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// The trigger words no longer hold everyday words (`limit`, `tokens`, `prompt`,
    /// `request`) where every rule phrase has a rarer word: each line, on a quiet scanner and
    /// on one holding a failure, comes out as it did with the old list, or as the same line
    /// without those words did. The second is what changed, on purpose: a bare `status: 503`
    /// or `> GET /v1/orders` never counted, and an everyday word beside it no longer makes it
    /// count (`status: 503 limit` was a failure, `request failed with status 503` too).
    #[test]
    fn the_narrower_triggers_change_nothing_but_everyday_words() {
        let lines = gate_lines();
        let (old, new) = (rules::legacy_triggers(), rules::triggers());
        let dropped: Vec<&str> = rules::minimal_words(&old)
            .into_iter()
            .filter(|w| !new.iter().any(|n| w.contains(n)))
            .collect();
        assert!(
            dropped.contains(&"limit") && dropped.contains(&"tokens"),
            "{dropped:?}"
        );
        // `line` with every dropped word blotted out (same length, ASCII case-insensitive).
        let blot = |line: &str| {
            let mut b = line.as_bytes().to_vec();
            let lower = line.to_ascii_lowercase();
            for w in &dropped {
                for (i, _) in lower.match_indices(w) {
                    b[i..i + w.len()].fill(b'q');
                }
            }
            String::from_utf8(b).expect("ASCII words replaced by ASCII")
        };
        let legacy = |l: &str, held: bool| {
            LEGACY_TRIGGERS.set(true);
            let r = observe(l, false, false, held);
            LEGACY_TRIGGERS.set(false);
            r
        };
        let (mut differ, mut changed) = (0, Vec::new());
        for l in &lines {
            let lower = l.to_ascii_lowercase();
            let hit = |words: &[&str]| words.iter().any(|w| lower.contains(w));
            differ += usize::from(hit(&old) != hit(&new));
            for held in [false, true] {
                let now = observe(l, false, false, held);
                if now != legacy(l, held) {
                    assert_eq!(now, legacy(&blot(l), held), "{l:?}");
                    changed.push(l.to_ascii_lowercase());
                }
            }
        }
        // Lines that only the old list let through (or this test would prove nothing).
        assert!(differ > 100, "{differ}");
        changed.sort();
        changed.dedup();
        assert_eq!(
            changed,
            [
                "2026-11-20 09:00:00,123 - info - app - request failed with status 503",
                "2026-11-20 09:00:00,123 - info - app - status: 503 limit",
                "2026-11-20 09:00:00,123 - info - app - status_code=503 prompt",
                "> get /v1/orders?limit=50",
                "request failed with status 503",
                "status: 503 limit",
                "status_code=503 prompt",
            ]
        );
    }

    #[test]
    fn the_inert_line_gate_changes_nothing() {
        let lines = gate_lines();
        assert!(lines.len() > 1000, "{}", lines.len());
        let mut dismissed = 0;
        for l in &lines {
            for held in [false, true] {
                let full = observe(l, false, false, held);
                assert_eq!(
                    observe(l, true, false, held),
                    full,
                    "push_line, gate on: {l:?}"
                );
                assert_eq!(observe(l, true, true, held), full, "take_quiet_line: {l:?}");
            }
            let lower = l.to_ascii_lowercase();
            dismissed +=
                usize::from(l.is_ascii() && inert_lowered(l.trim(), lower.trim().as_bytes(), true));
        }
        // The gate does dismiss lines (or this test would prove nothing).
        assert!(dismissed > 100, "{dismissed}");
    }

    #[test]
    fn log_prefixes() {
        assert_eq!(
            strip_log_prefix("2026-11-20 09:00:00,123 - INFO - x"),
            ("- INFO - x", Some("2026-11-20 09:00:00,123"))
        );
        assert_eq!(
            strip_log_prefix("[2026-11-20T09:00:00Z] boom"),
            ("boom", Some("2026-11-20T09:00:00Z"))
        );
        assert_eq!(
            strip_log_prefix("2026-11-20 09:00:00"),
            ("", Some("2026-11-20 09:00:00"))
        );
        // A multi-byte char inside the first 19 bytes: no slicing inside it.
        assert_eq!(
            strip_log_prefix("2026-11-\u{e9} 09:00:00,5 x").1,
            Some("2026-11-\u{e9} 09:00:00,5")
        );
        // (as before: the first 19 chars are taken whole)
        assert_eq!(
            strip_log_prefix("2026-11-20 09:00:0\u{e9}\u{e9}").1,
            Some("2026-11-20 09:00:0\u{e9}")
        );
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            status_line("HTTP/1.1 429 Too Many Requests"),
            Some((429, 0))
        );
        assert_eq!(status_line("HTTP/2 529"), Some((529, 0)));
        assert_eq!(
            status_line(r#"INFO:httpx:HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 429 Too Many Requests""#).map(|s| s.0),
            Some(429)
        );
        assert_eq!(status_line("HTTP/1.1 4290"), None);
    }

    #[test]
    fn statuses_in_text() {
        assert_eq!(
            status_in_text("anthropic.ratelimiterror: error code: 429 - "),
            Some(429)
        );
        assert_eq!(
            status_in_text("api error: request rejected (429) "),
            Some(429)
        );
        assert_eq!(status_in_text("529 "), Some(529));
        assert_eq!(status_in_text("we sent 450 requests"), None);
        // Regression (bench text log): a count in parentheses is not a status.
        assert_eq!(
            status_in_text("summarised document doc_61500 (529 chars) in 36 s"),
            None
        );
        assert_eq!(status_in_text("order (429 items)"), None);
        assert_eq!(status_in_text("api error (529 overloaded)"), Some(529));
        assert_eq!(
            status_in_text("api error (529 {\"type\":\"error\"})"),
            Some(529)
        );
        assert_eq!(
            status_in_text("api error (attempt 1/11): 529 529 "),
            Some(529)
        );
        // Regression: stack-frame line:column numbers are not statuses.
        assert_eq!(
            status_in_text("    at frame (file:///srv/app/index.js:429:429)"),
            None
        );
    }

    #[test]
    fn log_prefix() {
        let (rest, t) = strip_log_prefix("2026-11-20 14:02:11,123 ERROR boom");
        assert_eq!(rest, "ERROR boom");
        assert_eq!(t, Some("2026-11-20 14:02:11,123"));
        let (rest, t) = strip_log_prefix("[2026-11-20T14:02:11Z] x");
        assert_eq!(rest, "x");
        assert!(parse_time_str(t.unwrap()).is_some());
    }

    #[test]
    fn prefilter_keeps_what_matters() {
        for l in [
            "HTTP/2 429",
            "Retry-After: 3",
            "  \u{23bf}  API Error (529 ...)",
            "5-hour limit reached \u{2219} resets 5am",
            "Server is temporarily limiting requests (not your usage limit)",
            "Your credit balance is too low",
            "Number of concurrent connections has exceeded your rate limit",
            "Claude AI usage limit reached|1755615600",
        ] {
            assert!(might_start_capture(l), "{l}");
        }
        assert!(!might_start_capture(
            "INFO app: processed job id=3 duration_ms=12"
        ));
    }

    #[test]
    fn model_from_message() {
        assert_eq!(
            model_in("(org: abc, model: claude-sonnet-4-5-20250929). See"),
            Some("claude-sonnet-4-5-20250929".into())
        );
    }
}
