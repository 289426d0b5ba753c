//! The line steps of [`TextScanner::push`]: each kind of line (a blank, a quote, a status
//! line, SSE, a header, a marker or rule line, anything else) has its own step, tried in this
//! order; a step returns whether it took the line.

use chrono::{DateTime, Utc};

use super::TextScanner;
use super::lines::{
    Marker, httpx_request, is_neutral, looks_claude_code, looks_like_header_name,
    might_start_capture, request_line, status_in_text, status_line,
};
use super::merge::has_specific_text;
use super::{MAX_CONTINUATION, MAX_UNRELATED};
use crate::capture::freetext;
use crate::capture::object::read_sse;
use crate::capture::stats::ScanStats;
use crate::capture::{Capture, Format, headers};
use crate::classify::rules;

impl TextScanner {
    /// Keeps the request line of an httpx log line whose quoted status starts at `status_at`
    /// (the same request line as before, a client calling one endpoint, keeps the strings
    /// it has).
    pub(super) fn note_request(&mut self, line: &str, status_at: usize) {
        if let Some((m, u)) = httpx_request(line, status_at)
            && self
                .ctx
                .last_request
                .as_ref()
                .is_none_or(|(a, b)| a != m || b != u)
        {
            self.ctx.last_request = Some((m.to_string(), u.to_string()));
        }
    }

    /// Blank line: ends a header block, or a capture that has its body.
    pub(super) fn blank_line(&mut self, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        if self.open.in_headers {
            self.open.in_headers = false;
            self.open.after_blank = true;
        } else if self.open.has_body
            || self.cur.as_ref().is_some_and(|c| {
                // A bare status ("Status Code: 429") waits for the body pasted below it.
                !self.open.after_blank && (c.status.is_none() || has_specific_text(&c.text))
            })
        {
            self.close(out, stats);
        }
    }

    /// A `>` line: a curl -v request line or request header; otherwise a `> ` quote
    /// (Markdown, e-mail), pushed without its `>`.
    pub(super) fn quoted_line(
        &mut self,
        line_no: u64,
        req: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        let req = req.strip_prefix(' ').unwrap_or(req);
        if let Some((m, u)) = request_line(req) {
            self.ctx.last_request = Some((m, u));
            return;
        }
        if headers::parse_line(req).is_some_and(|(n, _)| !headers::is_relevant(&n))
            && !req.contains('{')
            && !req.contains(" · ")
        {
            return;
        }
        self.push(line_no, req, false, out, stats);
    }

    /// A proxy's or gateway's own log line (`upstream 429 (retry 2/3)`, `HEAD /v1/models
    /// 404`), or a 429/529 with rate-limit words that the steps below do not place
    /// (`Copilot request failed: 429 Too Many Requests`): a capture of its own, never
    /// dropped; a proxy's success or 404 is taken and ignored.
    pub(super) fn proxy_or_unplaced_line(
        &mut self,
        line_no: u64,
        trimmed: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        if self.cur.is_some() {
            return false;
        }
        let status = match freetext::proxy_line(trimmed) {
            Some(None) => return true,
            Some(Some(status)) => status,
            None => match freetext::unplaced_failure(trimmed) {
                // An HTTP status line of any version (`HTTP/2.0 429` from Go's DumpResponse)
                // has a reader of its own, which keeps the headers and body below it.
                Some(status)
                    if status_in_text(&trimmed.to_ascii_lowercase()).is_none()
                        && status_line(trimmed).is_none() =>
                {
                    status
                }
                _ => return false,
            },
        };
        let c = self.start(line_no, Format::Text, out, stats);
        c.status = Some(status);
        c.push_text(trimmed);
        self.close(out, stats);
        true
    }

    /// curl -v's info and data lines, code comments before any capture (unless they carry a
    /// 429/529 failure) and a reader's guess about the cause ("I think we hit the 429 rate
    /// limit because..."): nothing to take.
    pub(super) fn is_noise(&self, trimmed: &str) -> bool {
        let curl_info = trimmed.starts_with("* ")
            && !headers::parse_line(trimmed).is_some_and(|(n, _)| headers::is_relevant(&n));
        if curl_info || trimmed.starts_with("{ [") || trimmed.starts_with("} [") {
            return true;
        }
        if self.cur.is_some() {
            return false;
        }
        // Code comments (a source file, a config) never start a capture.
        ((trimmed.starts_with("# ") || trimmed.starts_with("// "))
            && !freetext::comment_carries_failure(trimmed))
            || freetext::is_hypothesis(trimmed)
            || freetext::is_doc_prose(trimmed)
    }

    /// An HTTP status line (also quoted inside an httpx log line) with `status` at `at`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn http_status(
        &mut self,
        line_no: u64,
        body_line: &str,
        (status, at): (u16, usize),
        verbose: bool,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        self.note_request(body_line, at);
        if at > 0 && status < 400 {
            // A success in a log line (`"HTTP/1.1 200 OK"` from httpx): not a capture, and
            // it ends the one before it.
            if self.cur.is_some() && self.open.has_body {
                self.close(out, stats);
            }
            return;
        }
        let substantive = self.cur.as_ref().is_some_and(|c| {
            self.open.has_body || !c.headers.is_empty() || c.status.is_some_and(|s| s != status)
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
        self.open.in_headers = at == 0;
        self.open.after_blank = false;
        self.open.unrelated = 0;
    }

    /// An SSE `data:` line: an error event is a capture.
    pub(super) fn sse_line(
        &mut self,
        line_no: u64,
        body_line: &str,
        data: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        if !data.contains("\"error\"") {
            return;
        }
        let mut probe = Capture::new(self.source.clone(), line_no, Format::Sse);
        read_sse(&mut probe, body_line);
        if probe.stream_error {
            let keep_status = self
                .cur
                .as_ref()
                .and_then(|c| c.status)
                .filter(|_| !self.open.has_body);
            let fresh = self.open.has_body;
            let c = self.target(fresh, line_no, Format::Sse, out, stats);
            c.error = probe.error;
            c.request_id = probe.request_id.or(c.request_id.take());
            c.stream_error = true;
            c.status = keep_status.or(c.status);
            self.open.has_body = true;
            self.open.unrelated = 0;
        }
    }

    /// A header line: inside a header block any header; elsewhere only relevant ones, or
    /// JS-dump keys (`status: 429,`). Returns whether it took the line.
    pub(super) fn header_line(
        &mut self,
        line_no: u64,
        name: &str,
        value: String,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
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
            self.open.unrelated = 0;
            return true;
        }
        if (name == "request_id" || name == "requestid")
            && let Some(c) = self.cur.as_mut()
        {
            c.request_id = Some(value);
            self.open.unrelated = 0;
            return true;
        }
        let relevant = headers::is_relevant(name);
        if !(self.open.in_headers
            || relevant
            || (self
                .cur
                .as_ref()
                .is_some_and(|c| c.format == Format::Headers)
                && looks_like_header_name(name)))
        {
            return false;
        }
        // An SDK error's object dump lists the headers after its body.
        let sdk_dump = self
            .cur
            .as_ref()
            .is_some_and(|c| matches!(c.format, Format::TsSdk | Format::PythonSdk));
        let conflict = (self.open.has_body && !sdk_dump)
            || self.open.after_blank
            || self
                .cur
                .as_ref()
                .is_some_and(|c| c.headers.get(name).is_some_and(|v| v != value));
        if conflict {
            self.open.in_headers = false;
            self.open.after_blank = false;
        }
        let c = self.target(conflict, line_no, Format::Headers, out, stats);
        // The response's own `date:` wins over a surrounding log line's stamp.
        if name == "date"
            && c.headers.get("date").is_none()
            && let Ok(t) = DateTime::parse_from_rfc2822(&value)
        {
            c.time = Some(t.with_timezone(&Utc));
        }
        c.headers.set(name, &value);
        self.open.unrelated = 0;
        true
    }

    /// Lines with a marker but no literal (Claude Code and wrapper lines), lines a rule
    /// matches, and hard-wrapped continuations of the current capture's text. Returns
    /// whether it took the line.
    pub(super) fn marker_or_rule_line(
        &mut self,
        line_no: u64,
        line: &str,
        trimmed: &str,
        body_line: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        // A stack frame (`at de_ThrottlingExceptionRes (…/index.js:1457:21)`) names functions,
        // not failures: part of the error above it, never one of its own.
        if super::literals::is_stack_frame(trimmed) {
            return true;
        }
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
        let open_text =
            self.cur.as_ref().is_some_and(|c| !c.text.is_empty()) && !self.open.has_body;

        // A hard-wrapped continuation of the current capture's text (terminal wrapping).
        let starts_lower = trimmed.chars().next().is_some_and(|c| c.is_lowercase());
        let indented = line.starts_with(char::is_whitespace);
        if open_text
            && self.open.continued < MAX_CONTINUATION
            && marker.is_none_or(|m| m.status.is_none())
            && (starts_lower || (indented && !specific) || (specific && !cur_decided))
        {
            let c = self.cur.as_mut().expect("open_text");
            c.push_text(body_line);
            self.open.continued += 1;
            self.open.unrelated = 0;
            return true;
        }
        if let Some(m) = marker
            && (m.status.is_some() || rule.is_some())
        {
            let conflict = self.open.has_body
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
            self.open.unrelated = 0;
            return true;
        }
        if rule.is_some() {
            if specific {
                let conflict = self.open.has_body || cur_decided;
                let format = if looks_claude_code(&norm) {
                    Format::ClaudeCode
                } else {
                    Format::Text
                };
                let c = self.target(conflict, line_no, format, out, stats);
                c.push_text(body_line);
                self.open.unrelated = 0;
                return true;
            }
            if let Some(c) = self.cur.as_mut() {
                c.push_text(body_line);
                self.open.unrelated = 0;
                return true;
            }
        }
        false
    }

    /// Anything else: traceback frames and indented lines are neutral; others count towards
    /// the run of unrelated lines that ends a capture.
    pub(super) fn other_line(
        &mut self,
        line: &str,
        body_line: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        if is_neutral(line) {
            return;
        }
        if self.open.in_headers {
            // A non-header line inside a header block: the block is over.
            self.open.in_headers = false;
        }
        if self.open.after_blank && !self.open.has_body {
            // Plain-text body of an HTTP response.
            if let Some(c) = self.cur.as_mut() {
                c.push_text(body_line);
                self.open.has_body = true;
                return;
            }
        }
        self.open.unrelated += 1;
        if self.open.unrelated >= MAX_UNRELATED {
            self.close(out, stats);
        }
    }
}
