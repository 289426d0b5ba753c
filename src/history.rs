//! The limit-hit history: every API failure that ended a Claude Code turn (`hook`, on
//! `StopFailure`) and every failure `record` saw, one JSON object per line, so a verdict is
//! never lost and `status -`, the `UserPromptSubmit` hook and `claude-429 history` can show it
//! later.
//!
//! * Where: `--history PATH`, else `$CLAUDE_429_HISTORY`, else
//!   `$XDG_STATE_HOME/claude-429/history.jsonl`, else `~/.local/state/claude-429/history.jsonl`.
//!   `CLAUDE_429_HISTORY=off` turns it off.
//! * The file is created 0600 (its directory 0700) and never followed through a symbolic link.
//! * Bounded: once the file passes [`MAX_BYTES`], the oldest lines are dropped (an atomic
//!   rewrite keeps the newest half).
//! * Each line has the shape `diagnose` reads (`ts`, `status`, `headers`, `body`, `model`), so
//!   `claude-429 diagnose history.jsonl` classifies it again; the verdict fields (`class`,
//!   `confidence`, `fix`, ...) say what was decided at the time.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::classify::{self, Verdict};

/// The environment variable naming the history file (`off` turns the history off).
pub const ENV: &str = "CLAUDE_429_HISTORY";

/// Past this size the oldest lines are dropped.
pub const MAX_BYTES: u64 = 1 << 20;

/// The longest text kept from an error (details, message, body).
const MAX_TEXT: usize = 4096;

/// How much of the file's end the statusline and the prompt hook read.
const TAIL: u64 = 64 * 1024;

/// One limit hit (or other API failure).
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Entry {
    /// When it was written (RFC 3339, UTC, milliseconds).
    pub ts: String,
    /// Who wrote it: `hook` (a Claude Code `StopFailure`) or `record` (the recording proxy).
    pub source: String,
    /// The Claude Code hook event (`StopFailure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Claude Code's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Claude Code's `error` value (`rate_limit`, `server_error`, `model_not_found`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_error: Option<String>,
    /// Claude Code's `error_details` (e.g. `429 Too Many Requests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<String>,
    /// The HTTP status, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The request method (`record`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The URL asked for (`record`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The model asked for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The rate-limit and retry headers of the answer (`record`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
    /// The error: the answer's error body (`record`), or the error text Claude Code gave the
    /// hook (`last_assistant_message`, `error_details`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The request id (`req_...`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The verdict's class (`itpm`, `rpm`, `overload`, ...); absent when nothing could be
    /// classified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// `certain`, `likely` or `possible`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// The decision table's fix, in a few words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Seconds to wait before retrying, as the answer said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// On a hook's stop: the `ts` of `record`'s entry of the same failure (this stop took its
    /// details from it; `history` counts the two as one hit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_ts: Option<String>,
}

impl Entry {
    /// When it was written.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        crate::capture::object::parse_time_str(&self.ts)
    }

    /// When a retry is allowed again (the time plus `retry_after_s`).
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        Some(self.time()? + chrono::Duration::seconds(self.retry_after_s? as i64))
    }

    /// The class, or what Claude Code called the error when nothing was classified.
    pub fn what(&self) -> &str {
        self.class
            .as_deref()
            .or(self.stop_error.as_deref())
            .unwrap_or("api error")
    }

    fn set_verdict(&mut self, v: &Verdict) {
        self.class = Some(v.class.as_str().to_string());
        self.confidence = Some(v.confidence.as_str().to_string());
        self.fix = Some(crate::fixes::for_class(v.class).short.to_string());
        self.retry_after_s = v.retry_after_s;
        self.status = self.status.or(v.status);
        if self.model.is_none() {
            self.model.clone_from(&v.model);
        }
        if self.request_id.is_none() {
            self.request_id.clone_from(&v.request_id);
        }
    }
}

fn now_ts(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Text as kept: keys removed, at most [`MAX_TEXT`] bytes (on a character boundary).
fn clean(s: &str) -> String {
    let s = crate::redact::keys(s);
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn str_field(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .filter(|s| !s.trim().is_empty())
        .map(clean)
}

/// The entry for a Claude Code `StopFailure` hook input and the verdict it got (if any).
pub fn from_stop(input: &Value, verdict: Option<&Verdict>, now: DateTime<Utc>) -> Entry {
    let details = str_field(input, &["error_details"]);
    let message = str_field(
        input,
        &["last_assistant_message", "error_message", "message"],
    );
    // The body keeps the text that carries the most: the message when it holds the error's
    // JSON, else the details, else whatever there is.
    let body = match (&message, &details) {
        (Some(m), _) if m.contains('{') => Some(m.clone()),
        (_, Some(d)) if d.contains('{') => Some(d.clone()),
        (Some(m), Some(d)) if m != d => Some(clean(&format!("{m}\n{d}"))),
        (Some(m), _) => Some(m.clone()),
        (None, d) => d.clone(),
    };
    let mut e = Entry {
        ts: now_ts(now),
        source: "hook".into(),
        event: str_field(input, &["hook_event_name"]),
        session_id: str_field(input, &["session_id"]),
        stop_error: str_field(input, &["error", "error_type"]),
        error_details: details,
        body: body.map(Value::String),
        ..Entry::default()
    };
    if let Some(v) = verdict {
        e.set_verdict(v);
    }
    e
}

/// How recent a `record` entry must be for a stop to take its details.
const SAME_STOP: chrono::Duration = chrono::Duration::minutes(2);

/// Completes a hook's stop with what `record` saw of the same failure (the newest history
/// entry, when it is a `record` one from the last two minutes): the hook's payload carries no
/// headers, so the retry time, and a surer class when the hook's is weaker, come from there.
pub fn enrich(stop: &mut Entry, recorded: &Entry, now: DateTime<Utc>) {
    if recorded.source != "record" || stop.source != "hook" {
        return;
    }
    let Some(t) = recorded.time() else { return };
    if now - t > SAME_STOP || t > now + chrono::Duration::minutes(1) {
        return;
    }
    let rank = |e: &Entry| match (e.class.as_deref(), e.confidence.as_deref()) {
        (None | Some("unknown"), _) => 0,
        (_, Some("certain")) => 3,
        (_, Some("likely")) => 2,
        _ => 1,
    };
    if rank(recorded) > rank(stop) {
        stop.class.clone_from(&recorded.class);
        stop.confidence.clone_from(&recorded.confidence);
        stop.fix.clone_from(&recorded.fix);
    }
    if stop.class != recorded.class {
        return;
    }
    stop.record_ts = Some(recorded.ts.clone());
    if stop.retry_after_s.is_none()
        && let Some(at) = recorded.retry_at()
    {
        let left = (at - now).num_seconds();
        if left > 0 {
            stop.retry_after_s = Some(left as u64);
        }
    }
    if stop.model.is_none() {
        stop.model.clone_from(&recorded.model);
    }
    if stop.headers.is_none() {
        stop.headers.clone_from(&recorded.headers);
    }
}

/// Requests that are not API calls worth remembering: Claude Code's start-up `HEAD /`, and
/// 404s of paths other than the Messages API.
pub fn is_noise(method: Option<&str>, url: Option<&str>, status: Option<u16>) -> bool {
    let path = url.map(path_of).unwrap_or("/v1/messages");
    let path = path.split('?').next().unwrap_or(path);
    if method.is_some_and(|m| m.eq_ignore_ascii_case("HEAD") || m.eq_ignore_ascii_case("OPTIONS")) {
        return true;
    }
    if !path.starts_with("/v1/") {
        return true;
    }
    status == Some(404) && !path.starts_with("/v1/messages")
}

fn path_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("/", |j| &url[i + 3 + j..]),
        None => url,
    }
}

/// The entry for one `record` line (a failure); `None` for successes, noise and lines that
/// are not records.
pub fn from_record(line: &[u8], now: DateTime<Utc>) -> Option<Entry> {
    use crate::capture::jsonl::{Parsed, parse_full};
    let source: std::sync::Arc<str> = std::sync::Arc::from("record");
    let Parsed::Capture(c) = parse_full(&source, 1, line, true) else {
        return None;
    };
    if is_noise(c.method.as_deref(), c.url.as_deref(), c.status) {
        return None;
    }
    let v = classify::classify(&c)?;
    let raw: Value = serde_json::from_slice(line).ok()?;
    let headers = raw.get("headers").and_then(Value::as_object).map(|h| {
        h.iter()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                k.starts_with("anthropic-ratelimit-")
                    || k.starts_with("retry-after")
                    || k == "request-id"
                    || k == "x-should-retry"
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>()
    });
    let body = raw.get("body").cloned().map(|b| match b {
        Value::String(s) => Value::String(clean(&s)),
        other => other,
    });
    let mut e = Entry {
        ts: raw
            .get("ts")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| now_ts(now)),
        source: "record".into(),
        status: c.status,
        method: c.method.clone(),
        url: c.url.clone(),
        model: c.model.clone(),
        headers: headers.filter(|h| !h.is_empty()),
        body,
        ..Entry::default()
    };
    e.set_verdict(&v);
    Some(e)
}

/// The history file: `flag`, else [`ENV`], else the XDG state directory. `None` when the
/// history is turned off (`off`) or no home is known.
pub fn resolve(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(v) = std::env::var_os(ENV) {
        if v == "off" {
            return None;
        }
        if !v.is_empty() {
            return Some(PathBuf::from(v));
        }
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })?;
    Some(state.join("claude-429").join("history.jsonl"))
}

fn open_append(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(nofollow());
    }
    o.open(path)
}

#[cfg(unix)]
fn nofollow() -> i32 {
    // O_NOFOLLOW: Linux 0o400000, the BSDs and macOS 0x100.
    if cfg!(any(target_os = "linux", target_os = "android")) {
        0o400000
    } else {
        0x100
    }
}

fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Appends `e` to the file at `path` (created 0600), dropping the oldest lines first when the
/// file has grown past `max_bytes`.
pub fn append_to(path: &Path, e: &Entry, max_bytes: u64) -> io::Result<()> {
    let mut line = serde_json::to_vec(e).map_err(io::Error::other)?;
    line.push(b'\n');
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    let meta = std::fs::symlink_metadata(path).ok();
    if let Some(m) = &meta
        && !m.file_type().is_file()
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "refusing to write to {}, which is {}",
                path.display(),
                crate::fsutil::describe(&m.file_type())
            ),
        ));
    }
    if meta.is_some_and(|m| m.len() + line.len() as u64 > max_bytes) {
        trim(path, max_bytes / 2)?;
    }
    let mut f = open_append(path)?;
    f.write_all(&line)?;
    f.flush()
}

/// Appends `e` to the history at `path`.
pub fn append(path: &Path, e: &Entry) -> io::Result<()> {
    append_to(path, e, MAX_BYTES)
}

/// Rewrites `path` keeping only the whole lines of its last `keep` bytes.
fn trim(path: &Path, keep: u64) -> io::Result<()> {
    let buf = tail_bytes(path, keep)?;
    crate::fsutil::write_atomic(path, &buf)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Whole lines from the last `n` bytes of `path`.
fn tail_bytes(path: &Path, n: u64) -> io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(n);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.take(n).read_to_end(&mut buf)?;
    if start > 0 {
        match memchr::memchr(b'\n', &buf) {
            Some(i) => {
                buf.drain(..=i);
            }
            None => buf.clear(),
        }
    }
    Ok(buf)
}

fn parse_lines(buf: &[u8]) -> Vec<Entry> {
    buf.split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .filter_map(|l| serde_json::from_slice::<Entry>(l).ok())
        .collect()
}

/// Every entry, oldest first (lines that are not entries are skipped). A missing file is an
/// empty history.
pub fn read_all(path: &Path) -> io::Result<Vec<Entry>> {
    match std::fs::read(path) {
        Ok(b) => Ok(parse_lines(&b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The newest entry, read from the end of the file only.
pub fn newest(path: &Path) -> Option<Entry> {
    let buf = tail_bytes(path, TAIL).ok()?;
    parse_lines(&buf).pop()
}

/// Called by `record` for each failure it wrote: appends it to the default history, quietly
/// (a history that cannot be written never stops the proxy).
pub fn record_failure(line: &[u8]) {
    let Some(path) = resolve(None) else { return };
    if let Some(e) = from_record(line, Utc::now()) {
        let _ = append(&path, &e);
    }
}

/// A wait in words: `13 s`, `4 min`, `17 h 29 min`.
pub fn wait_text(secs: i64) -> String {
    if secs < 100 {
        format!("{} s", secs.max(0))
    } else if secs < 3600 {
        format!("{} min", (secs + 30) / 60)
    } else {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// How long after a stop the prompt hook still announces it.
pub const ANNOUNCE_FOR: chrono::Duration = chrono::Duration::minutes(30);

/// The file remembering the last entry announced (beside the history).
fn shown_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".shown");
    PathBuf::from(s)
}

/// The message a `UserPromptSubmit` or `SessionStart` hook shows for the newest entry, once:
/// `None` when there is none, it is older than [`ANNOUNCE_FOR`], or it was already shown.
pub fn announce(path: &Path, now: DateTime<Utc>) -> Option<String> {
    let e = newest(path)?;
    let t = e.time()?;
    if now - t > ANNOUNCE_FOR || t > now + chrono::Duration::minutes(1) {
        return None;
    }
    let shown = shown_path(path);
    if std::fs::read_to_string(&shown).is_ok_and(|s| s.trim() == e.ts) {
        return None;
    }
    crate::fsutil::write_atomic(&shown, e.ts.as_bytes()).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&shown, std::fs::Permissions::from_mode(0o600));
    }
    Some(message(&e, now))
}

/// "claude-429: last turn stopped: input tokens per minute (itpm, certain) · prompt caching;
/// trim re-sent context".
pub fn message(e: &Entry, now: DateTime<Utc>) -> String {
    let what = match e.class.as_deref().and_then(classify::Class::parse) {
        Some(c) if c != classify::Class::Unknown => {
            let title = crate::fixes::for_class(c).title;
            match &e.confidence {
                Some(conf) => format!("{title} ({}, {conf})", c.as_str()),
                None => format!("{title} ({})", c.as_str()),
            }
        }
        _ => match (&e.stop_error, e.status) {
            (Some(s), Some(st)) => format!("{s} (HTTP {st})"),
            (Some(s), None) => s.clone(),
            (None, Some(st)) => format!("HTTP {st}"),
            (None, None) => "an API error".into(),
        },
    };
    let lead = if e.source == "hook" {
        "last turn stopped"
    } else {
        "last API failure"
    };
    let mut m = format!("claude-429: {lead}: {what}");
    if let Some(f) = &e.fix {
        m.push_str(&format!(" · {f}"));
    }
    if let Some(at) = e.retry_at() {
        let s = (at - now).num_seconds();
        if s > 0 {
            m.push_str(&format!(" · retry in {}", wait_text(s)));
        }
    }
    m.push_str(" · details: claude-429 history");
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits() {
        assert_eq!(wait_text(13), "13 s");
        assert_eq!(wait_text(150), "3 min");
        assert_eq!(wait_text(62995), "17 h 29 min");
    }

    #[test]
    fn noise() {
        assert!(is_noise(
            Some("HEAD"),
            Some("http://127.0.0.1:1/"),
            Some(404)
        ));
        assert!(is_noise(
            Some("GET"),
            Some("http://x/favicon.ico"),
            Some(404)
        ));
        assert!(is_noise(
            Some("GET"),
            Some("http://x/v1/models/x"),
            Some(404)
        ));
        assert!(!is_noise(
            Some("POST"),
            Some("http://x/v1/messages"),
            Some(404)
        ));
        assert!(!is_noise(
            Some("POST"),
            Some("/v1/messages?beta=true"),
            Some(429)
        ));
        assert!(!is_noise(None, None, Some(429)));
    }

    #[test]
    fn text_is_bounded_on_a_char_boundary() {
        let s = "é".repeat(MAX_TEXT);
        let c = clean(&s);
        assert!(c.len() <= MAX_TEXT);
        assert!(c.chars().all(|ch| ch == 'é'));
    }
}
