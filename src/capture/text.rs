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
use super::scan::ScanStats;
use super::{Capture, Format, headers, relaxed};
use crate::classify::rules;

/// A pretty-printed literal is given up after this many bytes or lines.
const MAX_PENDING_BYTES: usize = 1024 * 1024;
const MAX_PENDING_LINES: usize = 20_000;
/// This many unrelated lines in a row end a capture.
const MAX_UNRELATED: usize = 4;

struct Pending {
    line: u64,
    buf: String,
    lines: usize,
    format: Format,
    status: Option<u16>,
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
    /// Request line seen in `curl -v` output or an httpx log (method, url).
    last_request: Option<(String, String)>,
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
            last_request: None,
        }
    }

    /// No multi-line literal is being collected.
    pub fn is_idle(&self) -> bool {
        self.pending.is_none()
    }

    /// Emits the current capture, if it carries any evidence.
    pub fn flush(&mut self, out: &mut dyn FnMut(Capture), stats: &mut ScanStats) {
        if let Some(p) = self.pending.take() {
            stats.skip(
                &self.source,
                p.line,
                "unterminated object literal (truncated paste?)",
            );
        }
        if let Some(mut c) = self.cur.take() {
            finish_capture(&mut c);
            if c.has_evidence() {
                stats.captures += 1;
                out(c);
            }
        }
        self.has_body = false;
        self.in_headers = false;
        self.after_blank = false;
        self.unrelated = 0;
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
        self.flush(out, stats);
        let mut c = Capture::new(self.source.clone(), line, format);
        c.time = self.line_time;
        if let Some((m, u)) = &self.last_request {
            c.method = Some(m.clone());
            c.url = Some(u.clone());
        }
        self.cur = Some(c);
        self.cur.as_mut().expect("just set")
    }

    /// The current capture, or a new one.
    fn cur_or_start(
        &mut self,
        line: u64,
        format: Format,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> &mut Capture {
        if self.cur.is_none() {
            return self.start(line, format, out, stats);
        }
        self.cur.as_mut().expect("checked")
    }

    pub fn push_line(
        &mut self,
        line_no: u64,
        raw: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        if let Some(p) = &mut self.pending {
            p.buf.push('\n');
            p.buf.push_str(raw);
            p.lines += 1;
            if let Some(end) = relaxed::balanced_end(&p.buf) {
                let p = self.pending.take().expect("checked");
                self.literal_done(p, end, out, stats);
            } else if p.buf.len() > MAX_PENDING_BYTES || p.lines > MAX_PENDING_LINES {
                let line = p.line;
                self.pending = None;
                stats.skip(
                    &self.source,
                    line,
                    "object literal too long or unterminated",
                );
            }
            return;
        }

        let (line, time) = strip_log_prefix(raw);
        if let Some(t) = time {
            self.line_time = Some(t);
        }
        let trimmed = line.trim();

        // Blank line: ends a header block, or a capture that has its body.
        if trimmed.is_empty() || trimmed == "<" {
            if self.in_headers {
                self.in_headers = false;
                self.after_blank = true;
            } else if self.has_body || (self.cur.is_some() && !self.after_blank) {
                self.flush(out, stats);
            }
            return;
        }

        // curl -v noise and request lines.
        if let Some(req) = trimmed.strip_prefix("> ") {
            if let Some((m, u)) = request_line(req) {
                self.last_request = Some((m, u));
            }
            return;
        }
        if trimmed.starts_with("* ")
            || trimmed.starts_with("{ [")
            || trimmed.starts_with("} [")
            || trimmed == ">"
        {
            return;
        }
        let verbose = trimmed.starts_with("< ");
        let body_line = trimmed.strip_prefix("< ").unwrap_or(trimmed);

        // HTTP status line (also quoted inside an httpx log line).
        if let Some((status, at)) = status_line(body_line) {
            if let Some((m, u)) = httpx_request(body_line, at) {
                self.last_request = Some((m, u));
            }
            let substantive = self.cur.as_ref().is_some_and(|c| {
                self.has_body || c.headers.len() > 0 || c.status.is_some_and(|s| s != status)
            });
            let format = if verbose {
                Format::CurlVerbose
            } else {
                Format::Http
            };
            let c = if substantive || self.cur.is_none() {
                self.start(line_no, format, out, stats)
            } else {
                self.cur.as_mut().expect("checked")
            };
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
                    let c = if self.cur.is_some() && !self.has_body {
                        self.cur.as_mut().expect("checked")
                    } else {
                        self.start(line_no, Format::Sse, out, stats)
                    };
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

        // A line carrying an object literal: an error body, alone or behind an SDK prefix.
        if let Some(brace) = body_line.find('{') {
            let prefix = &body_line[..brace];
            let marker = Marker::from_prefix(prefix);
            let key_prefix = js_key(prefix);
            if marker.is_some() || brace == 0 || key_prefix.is_some() || body_line.contains("error")
            {
                let lit = &body_line[brace..];
                if self.try_literal(line_no, lit, marker, key_prefix, verbose, out, stats) {
                    return;
                }
            }
        }

        // Escaped JSON inside a log line: {\"type\":\"error\",...}
        if body_line.contains("{\\\"")
            && let Some(unescaped) = relaxed::unescape_one_level(body_line)
            && let Some(brace) = unescaped.find('{')
        {
            let marker = Marker::from_prefix(&body_line[..body_line.find('{').unwrap_or(0)]);
            if self.try_literal(
                line_no,
                &unescaped[brace..],
                marker,
                None,
                verbose,
                out,
                stats,
            ) {
                return;
            }
        }

        // A header line: inside a header block any header; elsewhere only relevant ones, or
        // JS-dump keys (`status: 429,`).
        if let Some((name, value)) = headers::parse_line(body_line) {
            if name == "status" || name == "statuscode" || name == "status_code" {
                if let Some(s) = headers::parse_int(&value)
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (100..600).contains(s))
                {
                    let c = self.cur_or_start(line_no, Format::TsSdk, out, stats);
                    if c.status.is_some_and(|x| x != s) {
                        let c = self.start(line_no, Format::TsSdk, out, stats);
                        c.status = Some(s);
                    } else {
                        c.status = Some(s);
                    }
                    self.unrelated = 0;
                    return;
                }
            }
            if name == "request_id" || name == "requestid" {
                if let Some(c) = self.cur.as_mut() {
                    c.request_id = Some(value);
                    self.unrelated = 0;
                    return;
                }
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
                let conflict = self.has_body
                    || self.after_blank
                    || self
                        .cur
                        .as_ref()
                        .is_some_and(|c| c.headers.get(&name).is_some_and(|v| v != value));
                let c = if conflict || self.cur.is_none() {
                    self.in_headers = false;
                    self.after_blank = false;
                    self.start(line_no, Format::Headers, out, stats)
                } else {
                    self.cur.as_mut().expect("checked")
                };
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
        let marker = Marker::from_prefix(body_line);
        let norm = rules::normalise(body_line);
        let rule = rules::first_match(&norm).map(|(r, _)| r);
        if let Some(m) = marker
            && (m.status.is_some() || rule.is_some())
        {
            let conflict = self.has_body
                || self.cur.as_ref().is_some_and(|c| {
                    m.status.is_some_and(|s| c.status.is_some_and(|x| x != s)) || !c.text.is_empty()
                });
            let c = if conflict || self.cur.is_none() {
                self.start(line_no, m.format, out, stats)
            } else {
                self.cur.as_mut().expect("checked")
            };
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
        if let Some(rule) = rule {
            let specific = rule.class != crate::classify::Class::Unknown;
            if specific {
                let conflict =
                    self.has_body || self.cur.as_ref().is_some_and(|c| !c.text.is_empty());
                let format = if looks_claude_code(&norm) {
                    Format::ClaudeCode
                } else {
                    Format::Text
                };
                let c = if conflict || self.cur.is_none() {
                    self.start(line_no, format, out, stats)
                } else {
                    self.cur.as_mut().expect("checked")
                };
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
            self.flush(out, stats);
        }
    }

    /// Parses an object literal that starts `lit`; starts a pending literal when it is
    /// incomplete. Returns false when `lit` is not an object literal at all.
    #[allow(clippy::too_many_arguments)]
    fn try_literal(
        &mut self,
        line_no: u64,
        lit: &str,
        marker: Option<Marker>,
        key: Option<&str>,
        verbose: bool,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        let format = marker.map(|m| m.format).unwrap_or(if verbose {
            Format::CurlVerbose
        } else {
            Format::JsonBody
        });
        let status = marker.and_then(|m| m.status);
        if let Some((v, _)) = relaxed::parse_prefix(lit) {
            return self.apply_literal(line_no, &v, format, status, key, out, stats);
        }
        match relaxed::balanced_end(lit) {
            None => {
                self.pending = Some(Pending {
                    line: line_no,
                    buf: lit.to_string(),
                    lines: 1,
                    format,
                    status,
                });
                // Keep the key so a multi-line `headers: {` block is read as headers.
                if key == Some("headers") {
                    self.pending.as_mut().expect("set").format = Format::Headers;
                }
                true
            }
            Some(_) => false,
        }
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
                self.apply_literal(p.line, &v, format, p.status, key, out, stats);
            }
            None => stats.skip(&self.source, p.line, "object literal that does not parse"),
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
            let c = self.cur_or_start(line_no, format, out, stats);
            read_headers(c, v);
            self.unrelated = 0;
            return true;
        }
        // A whole exchange object (JSONL-like, pretty-printed, or HAR-ish entry).
        if let Value::Object(obj) = v
            && let Some(ex) = super::jsonl::from_object(&self.source, line_no, obj)
            && (ex.status.is_some() && (!ex.headers.is_empty() || !ex.error.is_empty()))
        {
            self.flush(out, stats);
            let mut ex = ex;
            ex.format = if format == Format::JsonBody {
                Format::Jsonl
            } else {
                format
            };
            if ex.time.is_none() {
                ex.time = self.line_time;
            }
            self.cur = Some(ex);
            self.has_body = true;
            return true;
        }
        let Some(body) = find_error_value(v, 0) else {
            return false;
        };
        let mut probe = Capture::new(self.source.clone(), line_no, format);
        if !probe.absorb_body(&body) {
            return false;
        }
        let inner_status = find_status(v, 0);
        let status = status.or(inner_status);
        // Merge into the current capture when it has no body yet and the status agrees.
        let merge = self.cur.as_ref().is_some_and(|c| {
            !self.has_body && !(status.is_some() && c.status.is_some() && c.status != status)
        });
        let c = if merge {
            self.cur.as_mut().expect("checked")
        } else {
            self.start(line_no, format, out, stats)
        };
        c.error = probe.error;
        if probe.request_id.is_some() {
            c.request_id = probe.request_id;
        }
        if status.is_some() {
            c.status = status;
        }
        if matches!(c.format, Format::Headers | Format::Text | Format::JsonBody)
            && format != Format::JsonBody
        {
            c.format = format;
        }
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            c.model.get_or_insert_with(|| m.to_string());
        }
        self.has_body = true;
        self.in_headers = false;
        self.unrelated = 0;
        true
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

/// An error envelope inside a value: the value itself, or (depth-limited) a nested object or
/// a string holding one, as structured loggers wrap them.
fn find_error_value(v: &Value, depth: usize) -> Option<Value> {
    if depth > 6 {
        return None;
    }
    match v {
        Value::Object(o) => {
            let is_envelope = o.get("type").and_then(Value::as_str) == Some("error")
                || o.get("error").is_some_and(|e| {
                    e.get("type").is_some() || e.get("message").is_some() || e.is_string()
                })
                || (o
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.ends_with("_error"))
                    && o.contains_key("message"));
            if is_envelope {
                // An OpenAI-style {"error": "{...json...}"} string: look inside it first.
                if let Some(Value::String(s)) = o.get("error")
                    && let Some((_, inner, _)) = relaxed::find_object(s)
                    && let Some(found) = find_error_value(&inner, depth + 1)
                {
                    return Some(found);
                }
                return Some(v.clone());
            }
            o.values().find_map(|x| find_error_value(x, depth + 1))
        }
        Value::String(s) if s.contains('{') => {
            let (_, inner, _) = relaxed::find_object(s).or_else(|| {
                relaxed::unescape_one_level(s).and_then(|u| relaxed::find_object(&u))
            })?;
            find_error_value(&inner, depth + 1)
        }
        Value::Array(a) => a.iter().find_map(|x| find_error_value(x, depth + 1)),
        _ => None,
    }
}

fn find_status(v: &Value, depth: usize) -> Option<u16> {
    if depth > 4 {
        return None;
    }
    let o = v.as_object()?;
    for k in ["status", "status_code", "statusCode"] {
        if let Some(s) = o
            .get(k)
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..600).contains(s))
        {
            return Some(s);
        }
    }
    o.values().find_map(|x| find_status(x, depth + 1))
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
        let status = status_in_text(&lower);
        let format = if lower.contains("litellm") || lower.contains("anthropicexception") {
            Format::Litellm
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
                let before = &lower[i.saturating_sub(16)..i];
                let ok = i == 0
                    || before.trim_end().ends_with('(')
                    || [
                        "code",
                        "error",
                        "status",
                        "rejected",
                        "http",
                        "failed with",
                        "response",
                    ]
                    .iter()
                    .any(|k| before.contains(k));
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

/// `HTTP/1.1 429 Too Many Requests` at the start of a line, or quoted in an httpx log line
/// (`HTTP Request: POST https://... "HTTP/1.1 429 Too Many Requests"`). Returns the status and
/// where the status line starts.
fn status_line(line: &str) -> Option<(u16, usize)> {
    let at = if line.starts_with("HTTP/") {
        0
    } else {
        line.find("\"HTTP/").map(|i| i + 1)?
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
        || rest[sp + 1..]
            .as_bytes()
            .get(3)
            .is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    Some((n, at))
}

/// The request in an httpx log line before a quoted status: `POST https://host/v1/messages "HTTP/1.1 ...`.
fn httpx_request(line: &str, status_at: usize) -> Option<(String, String)> {
    if status_at == 0 {
        return None;
    }
    let before = line[..status_at.saturating_sub(1)].trim_end();
    let mut words = before.rsplit(' ');
    let url = words.next()?;
    let method = words.next()?;
    (matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "PATCH") && url.contains('/'))
        .then(|| (method.to_string(), url.to_string()))
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
    let p = prefix.trim_end();
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

/// Strips a leading log timestamp (`2026-11-20T14:02:11Z`, `[2026-11-20 14:02:11,123]`,
/// `2026-11-20 14:02:11.123 ERROR ...`) and returns the rest with the time.
fn strip_log_prefix(line: &str) -> (&str, Option<DateTime<Utc>>) {
    let t = line.trim_start();
    let inner = t.strip_prefix('[').unwrap_or(t);
    let b = inner.as_bytes();
    if b.len() < 19 || !(b[0..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-') {
        return (line, None);
    }
    let end = inner
        .char_indices()
        .skip(19)
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | ':' | '+' | '-' | 'Z')))
        .map_or(inner.len(), |(i, _)| i);
    let stamp = inner[..end].replace(',', ".");
    let time = parse_time_str(&stamp);
    if time.is_none() {
        return (line, None);
    }
    let rest = inner[end..].trim_start_matches([']', ' ', '\t']);
    (rest, time)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn log_prefix() {
        let (rest, t) = strip_log_prefix("2026-11-20 14:02:11,123 ERROR boom");
        assert_eq!(rest, "ERROR boom");
        assert!(t.is_some());
        let (rest, t) = strip_log_prefix("[2026-11-20T14:02:11Z] x");
        assert_eq!(rest, "x");
        assert!(t.is_some());
    }

    #[test]
    fn model_from_message() {
        assert_eq!(
            model_in("(org: abc, model: claude-sonnet-4-5-20250929). See"),
            Some("claude-sonnet-4-5-20250929".into())
        );
    }
}
