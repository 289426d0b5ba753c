//! Literals in text: JSON bodies, Python and JavaScript object dumps, alone on a line or
//! behind an SDK's prefix, one line or pretty-printed over many (collected as [`Pending`]),
//! and what each means for the capture (an exchange, an error envelope, a header object, a
//! cloud SDK's error, a transcript record).

use serde_json::Value;

use super::TextScanner;
use super::lines::{Marker, js_key, status_in_text, status_of_exception};
use super::merge::{finish_capture, statuses_differ};
use crate::capture::freetext;
use crate::capture::object::{from_object, parse_time_str, read_headers};
use crate::capture::stats::ScanStats;
use crate::capture::{Capture, Format, headers};
use crate::classify::rules;
use crate::json::relaxed;

/// A pretty-printed literal is given up after this many bytes or lines.
const MAX_PENDING_BYTES: usize = 1024 * 1024;
const MAX_PENDING_LINES: usize = 50_000;
/// Literals are looked for in at most this many bytes of one line.
const MAX_LITERAL_LINE: usize = 256 * 1024;

/// A multi-line literal being collected.
pub(super) struct Pending {
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
    /// The literal's first line carried a log timestamp.
    pub(super) stamped: bool,
}

impl TextScanner {
    /// The next line of a pending literal: it completes the literal, or breaks it (a blank
    /// line, or past the size limits), or is collected. Returns false when the line is not
    /// the literal's: it broke the literal off and is a line of its own (see
    /// [`starts_new_record`]).
    pub(super) fn continue_literal(
        &mut self,
        raw: &str,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) -> bool {
        let Some(p) = &mut self.pending else {
            return false;
        };
        if starts_new_record(p, raw) {
            let p = self.pending.take().expect("checked");
            self.literal_failed(p, out, stats);
            return false;
        }
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
        }
        true
    }

    /// A literal that never closed or does not parse (truncated paste, broken quoting, a
    /// prefix on every line): its text is still evidence. The classifier reads error types,
    /// codes and message phrases from text when no structure is left.
    pub(super) fn literal_failed(
        &mut self,
        p: Pending,
        out: &mut dyn FnMut(Capture),
        stats: &mut ScanStats,
    ) {
        let text = format!("{}{}", p.prefix, p.buf);
        let norm = rules::normalise(&text);
        // A torn JSON line still names its status: `"status": 429`.
        let mut p = p;
        p.status = p.status.or_else(|| freetext::literal_status(&text));
        let useful = p.status.is_some()
            || rules::first_match(&norm).is_some()
            || crate::classify::codes::kind_in_text(&norm).is_some()
            || crate::classify::codes::cut_kind(&text).is_some()
            || freetext::rate_limit_evidence(&text);
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
            .is_some_and(|c| !self.open.has_body && !statuses_differ(c.status, p.status));
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
        self.open.has_body = true;
    }

    /// Applies every literal on the line, left to right; an unterminated one becomes
    /// pending. Returns false when nothing on the line was a usable literal.
    pub(super) fn scan_literals(
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
                    // Behind unrelated words, a literal cut off before it closes is still read
                    // when it is an error envelope (it quotes an `error` key or type), as a
                    // whole one is above: a pasted log line cut mid-body is no silent miss.
                    let envelope = || {
                        let body = &rest[brace..];
                        body.contains("\"error\"") || body.contains("'error'")
                    };
                    let mut balance = relaxed::Balance::default();
                    if (eligible || envelope()) && balance.feed(&rest[brace..]).is_none() {
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
                            stamped: false,
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

    pub(super) fn literal_done(
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
    pub(super) fn apply_literal(
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
            self.open.unrelated = 0;
            return true;
        }
        // A whole exchange object (JSONL-like, pretty-printed, or HAR-ish entry).
        if let Value::Object(obj) = v
            && let Some(ex) = from_object(&self.source, line_no, obj)
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
                self.open.has_body = true;
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
            self.open.has_body = true;
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
                self.open.has_body || self.cur.as_ref().is_some_and(|c| !c.headers.is_empty());
            let c = self.target(conflict, line_no, Format::Headers, out, stats);
            read_headers(c, v);
            self.open.unrelated = 0;
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
                    (!self.open.has_body && !statuses_differ(c.status, st))
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
            self.open.has_body = true;
        }
        self.open.in_headers = false;
        self.open.unrelated = 0;
        true
    }

    /// An object with no error envelope: a Claude Code transcript record
    /// (`isApiErrorMessage`, `apiErrorStatus`) or a structured log line whose error-ish
    /// fields carry a known message. Anything else is consumed without a capture: words in
    /// a parsed object's other fields (a conversation, say) are not evidence.
    pub(super) fn apply_loose(
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
        // The own properties Node prints after an AWS error's stack (`$fault`, `$metadata`),
        // its name being on the error's first line, belong to the capture that line opened.
        if let Some(e) = cloud_error_object(o).filter(|e| e.name.is_some() || self.cur.is_some()) {
            let merge = self.cur.as_ref().is_some_and(|c| {
                (!self.open.has_body && !statuses_differ(c.status, e.status))
                    || (e.request_id.is_some() && c.request_id() == e.request_id.as_deref())
            });
            let c = self.target(!merge, line_no, e.format, out, stats);
            c.status = e.status.or(c.status);
            if let Some(name) = e.name {
                c.error.kind = Some(name);
            }
            if e.message.is_some() {
                c.error.message = e.message;
            }
            if e.request_id.is_some() {
                c.request_id = e.request_id;
            }
            if matches!(c.format, Format::Headers | Format::Text | Format::JsonBody) {
                c.format = e.format;
            }
            self.open.has_body = true;
            self.open.unrelated = 0;
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
                && freetext::absorb_gateway_error(c, v)
            {
                self.open.has_body = true;
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
            && !self.open.has_body
            && self.cur.as_ref().is_some_and(|c| {
                self.open.after_blank
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
        self.open.has_body = true;
        self.open.unrelated = 0;
        true
    }
}

/// A JavaScript or Java stack frame: `at fn (file:line:col)`, `at file:line:col`. Node prints
/// an error's own properties after its last frame (`    at … (node:internal/…:105:5) {`).
pub(super) fn is_stack_frame(t: &str) -> bool {
    t.strip_prefix("at ").is_some_and(|rest| {
        let rest = rest.trim_end_matches([' ', '{']);
        rest.ends_with(')')
            || rest
                .rsplit(':')
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
    })
}

/// A line that cannot continue the pending literal: a truncated paste or log line (the
/// literal never closed) followed by the next record. Such a line carries a log timestamp
/// when the literal's first line had none (a pretty-printed literal's own lines never gain
/// one), or opens a new literal at the start of the line (`{"type":"error",...` of the
/// next JSON line; a pretty-printed literal's inner objects are indented).
fn starts_new_record(p: &Pending, raw: &str) -> bool {
    if raw.starts_with('{') {
        return true;
    }
    !p.stamped
        && raw
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'[')
        && super::lines::strip_log_prefix(raw).1.is_some()
}

/// An AWS error as an SDK prints it: JavaScript v3 (`name`, `$fault`, `$metadata` with
/// `httpStatusCode` and `requestId`; `message` is often missing from `JSON.stringify`),
/// boto3's `e.response` (`Error.Code`, `Error.Message`, `ResponseMetadata.HTTPStatusCode`),
/// or a restJson1 body with `__type`.
struct CloudError {
    /// Missing from Node's dump of a JavaScript v3 error (it is on the line above).
    name: Option<String>,
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
            .or_else(|| str_of(o.get("Code")));
        return Some(CloudError {
            name: name.as_deref().map(strip_aws_name),
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
            name: Some(strip_aws_name(&name)),
            status: meta.and_then(|m| status_of(m.get("HTTPStatusCode"))),
            message: str_of(err.get("Message")).or_else(|| str_of(err.get("message"))),
            request_id: meta.and_then(|m| str_of(m.get("RequestId"))),
            format: Format::PythonSdk,
        });
    }
    let name = str_of(o.get("__type"))?;
    Some(CloudError {
        name: Some(strip_aws_name(&name)),
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
                // A whole envelope kept under `error` (a Message Batches result's
                // `{"type": "errored", "error": {"type": "error", "error": {...}}}`, a log
                // record storing the body): the envelope is the error.
                if let Some(e) = err.filter(|e| {
                    e.get("type").and_then(Value::as_str) == Some("error")
                        && e.get("error").is_some_and(Value::is_object)
                }) {
                    envelopes(e, here, depth + 1, out);
                    return;
                }
                // Peel a wrapper: the message may hold the real envelope.
                let msg = err
                    .and_then(|e| e.get("message"))
                    .or_else(|| o.get("message"))
                    .and_then(Value::as_str);
                // So may a relay's copy of the provider's raw body (OpenRouter's
                // `error.metadata.raw`).
                let raw = err
                    .and_then(|e| e.get("metadata"))
                    .and_then(|m| m.get("raw"))
                    .and_then(Value::as_str);
                for m in [msg, raw].into_iter().flatten().filter(|m| m.contains('{')) {
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
