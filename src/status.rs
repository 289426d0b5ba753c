//! `status`: live headroom from the newest records, as one line or JSON. Reads only the end
//! of the newest record file (and of the one before when the newest is short), so it stays
//! fast however large the record directory grows.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::capture::Capture;
use crate::capture::jsonl::{Parsed, parse_full};
use crate::classify;
use crate::ratelimit::{self, DimensionName};

/// How much of a file's end is read.
const TAIL: u64 = 512 * 1024;

/// One rate-limit dimension as last seen.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct DimStatus {
    /// `requests`, `input-tokens`, `output-tokens` or `tokens`.
    pub name: String,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Percent of the limit left, when both are known.
    pub left_pct: Option<f64>,
    /// When the bucket is full again (RFC 3339), as the header said.
    pub reset: Option<String>,
    /// Seconds from now to `reset` (negative: already passed).
    pub reset_in_s: Option<i64>,
}

/// The newest headroom seen for one model class.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct ClassStatus {
    /// The model class, e.g. `sonnet-4` (rate limits are per class).
    pub class: String,
    /// The model of the newest record of this class.
    pub model: String,
    /// When that record was taken.
    pub time: Option<String>,
    pub requests_remaining: Option<u64>,
    pub requests_limit: Option<u64>,
    /// The dimension with the smallest share left.
    pub tightest: Option<DimStatus>,
    pub dims: Vec<DimStatus>,
}

/// The last failure seen in the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct LastFailure {
    pub time: Option<String>,
    pub status: Option<u16>,
    pub model: Option<String>,
    pub class: classify::Class,
    pub fix: &'static str,
}

/// What `status` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Status {
    /// The files read.
    pub sources: Vec<String>,
    /// Records read in the window.
    pub records: usize,
    /// The window, in minutes.
    pub minutes: u64,
    pub classes: Vec<ClassStatus>,
    pub last_failure: Option<LastFailure>,
    /// The subscription windows of the newest record with `anthropic-ratelimit-unified-*`
    /// headers (Claude Code with a Pro/Max login).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<classify::subscription::Windows>,
    /// The newest entry of the limit-hit history (`status -` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_stop: Option<crate::history::Entry>,
}

/// The rate-limit class of a model name in its short form: [`ratelimit::model_class`] as
/// [`ratelimit::short_class`] writes it (`claude-sonnet-4-5` and `claude-sonnet-4-20250514`
/// are both `sonnet-4`; `claude-3-5-haiku-20241022` is `haiku-3`).
pub fn model_class(model: &str) -> String {
    ratelimit::short_class(&ratelimit::model_class(model, None))
}

/// Files to read: a file as given, or the newest one or two of a record directory.
pub fn files_for(path: &Path) -> io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = crate::record::writer::newest(path)?;
    if let Some(first) = files.first()
        && std::fs::metadata(first).map(|m| m.len()).unwrap_or(0) >= TAIL
    {
        files.truncate(1);
    }
    files.truncate(2);
    Ok(files)
}

/// Reads the end of `path`: whole lines from the last [`TAIL`] bytes.
fn tail_lines(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(TAIL);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity((len - start) as usize);
    f.take(TAIL).read_to_end(&mut buf)?;
    if start > 0 {
        // Drop the partial first line.
        match memchr::memchr(b'\n', &buf) {
            Some(i) => {
                buf.drain(..=i);
            }
            None => buf.clear(),
        }
    }
    Ok(buf)
}

/// The string value of the first `"key":` in a line, found without parsing the line.
fn quick_str<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a str> {
    let at = memchr::memmem::find(line, key)?;
    let rest = &line[at + key.len()..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = rest[start..].strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', rest)?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// The `"ts"` of a line as `record` writes it, read without parsing the line.
fn quick_time(line: &[u8]) -> Option<DateTime<Utc>> {
    crate::capture::object::parse_time_str(quick_str(line, b"\"ts\":")?)
}

/// The first `"model"` of a line, read without parsing it (`None`: parse to know).
fn quick_model(line: &[u8]) -> Option<&str> {
    quick_str(line, b"\"model\":")
}

/// The longest `--minutes` window (a week); longer ones are read as a week.
pub const MAX_MINUTES: u64 = 10_080;

/// Builds the status from `files` (newest first), keeping records newer than `minutes`.
///
/// Lines are read newest first; a line is parsed only when it may be the newest of a model
/// class not seen yet, or the newest failure. Reading stops at the first record older than
/// the window.
pub fn compute(
    files: &[PathBuf],
    minutes: u64,
    model: Option<&str>,
    now: DateTime<Utc>,
) -> io::Result<Status> {
    let since = now - Duration::minutes(minutes.min(MAX_MINUTES) as i64);
    let want = model.map(model_class);
    let mut classes: Vec<ClassStatus> = Vec::new();
    let mut last_failure: Option<LastFailure> = None;
    let mut windows: Option<classify::subscription::Windows> = None;
    let mut records = 0usize;
    'files: for path in files {
        let buf = tail_lines(path)?;
        let source: Arc<str> = Arc::from(path.display().to_string());
        for line in buf.rsplit(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if quick_time(line).is_some_and(|t| t < since) {
                break 'files;
            }
            let class = quick_model(line).map(model_class);
            if let (Some(w), Some(cl)) = (&want, &class)
                && w != cl
            {
                continue;
            }
            let need_class = class
                .as_ref()
                .is_none_or(|cl| !classes.iter().any(|s| &s.class == cl));
            let need_failure = last_failure.is_none() && !plain_success(line);
            let need_windows = windows.is_none() && memchr::memmem::find(line, UNIFIED).is_some();
            if !need_class && !need_failure && !need_windows {
                records += 1;
                continue;
            }
            let Parsed::Capture(c) = parse_full(&source, 0, line, false) else {
                continue;
            };
            match c.time {
                Some(t) if t < since => break 'files,
                None => continue,
                Some(_) => {}
            }
            let class = c.model.as_deref().map(model_class);
            if let (Some(w), Some(cl)) = (&want, &class)
                && w != cl
            {
                continue;
            }
            records += 1;
            if windows.is_none() {
                windows = classify::subscription::read(&c.headers);
            }
            if last_failure.is_none()
                && classify::is_failure(&c)
                && !crate::history::is_noise(c.method.as_deref(), c.url.as_deref(), c.status)
                && let Some(v) = classify::classify(&c)
            {
                last_failure = Some(LastFailure {
                    time: c
                        .time
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    status: c.status,
                    model: c.model.clone(),
                    class: v.class,
                    fix: v.fix.short,
                });
            }
            let Some(class) = class else { continue };
            if classes.iter().any(|s| s.class == class) {
                continue;
            }
            if let Some(st) = class_status(&c, class, now) {
                classes.push(st);
            }
        }
    }
    classes.sort_by(|a, b| a.class.cmp(&b.class));
    Ok(Status {
        sources: files.iter().map(|p| p.display().to_string()).collect(),
        records,
        minutes,
        classes,
        last_failure,
        windows,
        last_stop: None,
    })
}

const UNIFIED: &[u8] = b"anthropic-ratelimit-unified-";

fn plain_success(line: &[u8]) -> bool {
    crate::capture::jsonl::plain_success(line)
}

/// The headroom one record shows; `None` when it carries no rate-limit headers.
fn class_status(c: &Capture, class: String, now: DateTime<Utc>) -> Option<ClassStatus> {
    let dims: Vec<DimStatus> = classify::dims(c)
        .into_iter()
        .map(|d| {
            let reset_in_s = d
                .reset
                .as_deref()
                .and_then(crate::capture::object::parse_time_str)
                .map(|t| (t - now).num_seconds());
            DimStatus {
                name: d.name.to_string(),
                limit: d.limit,
                remaining: d.remaining,
                left_pct: match (d.remaining, d.limit) {
                    (Some(r), Some(l)) if l > 0 => {
                        Some(((r as f64 / l as f64) * 1000.0).round() / 10.0)
                    }
                    _ => None,
                },
                reset: d.reset,
                reset_in_s,
            }
        })
        .collect();
    if dims.is_empty() {
        return None;
    }
    let tightest = dims
        .iter()
        .filter(|d| d.left_pct.is_some())
        .min_by(|a, b| a.left_pct.partial_cmp(&b.left_pct).expect("no NaN"))
        .cloned();
    let req = dims.iter().find(|d| d.name == REQUESTS);
    Some(ClassStatus {
        class,
        model: c.model.clone().unwrap_or_default(),
        time: c
            .time
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        requests_remaining: req.and_then(|d| d.remaining),
        requests_limit: req.and_then(|d| d.limit),
        tightest,
        dims,
    })
}

/// A dimension's short name (`req`, `in`, `out`, `tok`); an unknown one as it is.
fn short_dim(name: &str) -> &str {
    DimensionName::from_header_infix(name).map_or(name, |d| d.short())
}

/// The requests dimension, as [`DimStatus::name`] spells it (the header infix).
const REQUESTS: &str = DimensionName::Requests.header_infix();

/// 950, 12k, 1.2M.
pub fn human(n: u64) -> String {
    if n >= 1_000_000 {
        let v = n as f64 / 1e6;
        if v >= 10.0 {
            format!("{v:.0}M")
        } else {
            format!("{:.1}M", v).replace(".0M", "M")
        }
    } else if n >= 10_000 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn human_secs(s: i64) -> String {
    if s <= 0 {
        "now".into()
    } else if s < 120 {
        format!("in {s}s")
    } else if s < 7200 {
        format!("in {}m", s / 60)
    } else {
        format!("in {}h", s / 3600)
    }
}

/// The one line: per class, requests left, the tightest dimension and its reset; then the
/// last failure.
pub fn line(s: &Status, color: bool) -> String {
    use owo_colors::OwoColorize;
    if s.classes.is_empty() && s.last_failure.is_none() {
        return format!("claude-429: no records in the last {} min", s.minutes);
    }
    let mut parts = Vec::new();
    for c in &s.classes {
        let mut p = c.class.clone();
        if let Some(r) = c.requests_remaining {
            p.push_str(&format!(" req {}", human(r)));
            if let Some(l) = c.requests_limit {
                p.push_str(&format!("/{}", human(l)));
            }
        }
        let shown = c
            .tightest
            .as_ref()
            .filter(|t| t.name != REQUESTS || c.requests_remaining.is_none());
        if let Some(t) = shown {
            let pct = t.left_pct.unwrap_or(0.0);
            let pct_s = if pct >= 10.0 {
                format!("{pct:.0}")
            } else {
                format!("{pct}")
            };
            let mut d = format!("{} {pct_s}% left", short_dim(&t.name));
            if color {
                d = if pct <= 1.0 {
                    d.red().bold().to_string()
                } else if pct < 20.0 {
                    d.yellow().to_string()
                } else {
                    d
                };
            }
            p.push_str(&format!(", {d}"));
        }
        if let Some(t) = &c.tightest
            && let Some(secs) = t.reset_in_s
        {
            p.push_str(&format!(" (reset {})", human_secs(secs)));
        }
        parts.push(p);
    }
    let mut out = parts.join(" · ");
    if let Some(f) = &s.last_failure {
        let when = f.time.as_deref().and_then(|t| t.get(11..16)).unwrap_or("?");
        let what = format!("last failure {} at {when}", f.class.as_str());
        let what = if color { what.red().to_string() } else { what };
        if out.is_empty() {
            out = what;
        } else {
            out.push_str(&format!(" | {what}"));
        }
    }
    out
}

/// The model named by Claude Code's statusline JSON (`model.id`), when there is one.
pub fn statusline_model(input: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(input).ok()?;
    v.get("model")
        .and_then(|m| m.get("id").or(Some(m)))
        .and_then(|m| m.as_str())
        .filter(|m| !m.trim().is_empty())
        .map(str::to_string)
}

/// One usage window as Claude Code's statusline payload (or the unified headers) gives it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UsageWindow {
    /// Percent used, 0-100.
    pub used_pct: Option<f64>,
    /// When the window resets (Unix seconds).
    pub resets_at: Option<i64>,
}

/// What `status -` reads from Claude Code's statusline JSON.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// `model.id`.
    pub model: Option<String>,
    /// `session_id`.
    pub session_id: Option<String>,
    /// `rate_limits.five_hour` (subscribers only; absent, or null early in a session).
    pub five_hour: Option<UsageWindow>,
    /// `rate_limits.seven_day`.
    pub seven_day: Option<UsageWindow>,
}

fn number(v: Option<&serde_json::Value>) -> Option<f64> {
    match v? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// Reads Claude Code's statusline JSON; anything unreadable gives an empty payload.
pub fn parse_payload(input: &[u8]) -> Payload {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(input) else {
        return Payload::default();
    };
    let window = |name: &str| {
        let w = v.get("rate_limits")?.get(name)?;
        let used_pct = number(w.get("used_percentage")).filter(|p| *p >= 0.0);
        let resets_at = number(w.get("resets_at")).map(|t| t as i64);
        (used_pct.is_some() || resets_at.is_some()).then_some(UsageWindow {
            used_pct,
            resets_at,
        })
    };
    Payload {
        model: statusline_model(input),
        session_id: v
            .get("session_id")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        five_hour: window("five_hour"),
        seven_day: window("seven_day"),
    }
}

/// A window from the unified headers (`5h`, `7d`), as a payload window.
fn header_window(w: &classify::subscription::Windows, name: &str) -> Option<UsageWindow> {
    let win = w.windows.iter().find(|x| x.name == name)?;
    let used_pct = win.utilization.map(|u| u * 100.0);
    let resets_at = win
        .reset
        .as_deref()
        .and_then(crate::capture::object::parse_time_str)
        .map(|t| t.timestamp());
    (used_pct.is_some() || resets_at.is_some()).then_some(UsageWindow {
        used_pct,
        resets_at,
    })
}

/// The statusline when there is nothing to show.
pub const CALM: &str = "claude-429 ✓";

/// How long after a stop the statusline still shows it.
pub const STOP_SHOWN_FOR: Duration = Duration::minutes(5);

/// One piece of the statusline, with how much it matters (0 first kept).
struct Segment {
    text: String,
    plain_width: usize,
    rank: u8,
}

fn seg(text: String, plain: &str, rank: u8) -> Segment {
    Segment {
        plain_width: unicode_width::UnicodeWidthStr::width(plain),
        text,
        rank,
    }
}

fn paint(s: &str, color: bool, level: u8) -> String {
    use owo_colors::OwoColorize;
    match (color, level) {
        (false, _) | (_, 0) => s.to_string(),
        (_, 1) => s.yellow().to_string(),
        _ => s.red().bold().to_string(),
    }
}

/// The `status -` line: the last stop (for [`STOP_SHOWN_FOR`]), the subscription windows
/// (from the payload, else the unified headers of the records), and the API-key headroom of
/// the newest record, joined with ` · `; the least important pieces are dropped until the
/// line fits `width` columns.
pub fn statusline(
    p: &Payload,
    s: &Status,
    stop: Option<&crate::history::Entry>,
    now: DateTime<Utc>,
    width: usize,
    color: bool,
) -> String {
    let mut segs: Vec<Segment> = Vec::new();
    segs.extend(stop_segment(stop, now, color));
    // Subscription windows.
    let five = p
        .five_hour
        .or_else(|| s.windows.as_ref().and_then(|w| header_window(w, "5h")));
    let seven = p
        .seven_day
        .or_else(|| s.windows.as_ref().and_then(|w| header_window(w, "7d")));
    let level = |pct: f64| {
        if pct >= 90.0 {
            2
        } else if pct >= 75.0 {
            1
        } else {
            0
        }
    };
    for (name, w, rank) in [("5h", five, 1u8), ("7d", seven, 2)] {
        let Some(w) = w else { continue };
        if let Some(pct) = w.used_pct {
            let text = format!("{name} {pct:.0}%");
            segs.push(seg(paint(&text, color, level(pct)), &text, rank));
        }
        if name == "5h"
            && let Some(at) = w
                .resets_at
                .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            && at > now
        {
            let local = at.with_timezone(&chrono::Local);
            let text = if at - now < Duration::hours(24) {
                format!("resets {}", local.format("%H:%M"))
            } else {
                format!("resets {}", local.format("%a %H:%M"))
            };
            segs.push(seg(text.clone(), &text, 5));
        }
    }
    headroom_segments(s, color, &mut segs);
    if segs.is_empty() {
        return CALM.into();
    }
    fit(segs, width)
}

/// The last stop, while it is fresh.
fn stop_segment(
    stop: Option<&crate::history::Entry>,
    now: DateTime<Utc>,
    color: bool,
) -> Option<Segment> {
    if let Some(e) = stop
        && let Some(t) = e.time()
        && now - t <= STOP_SHOWN_FOR
        && t <= now + Duration::minutes(1)
    {
        let mut text = format!("⚠ {}", e.what());
        match e.retry_at().map(|at| (at - now).num_seconds()) {
            Some(secs) if secs > 0 => {
                text.push_str(&format!(": retry in {}", crate::history::wait_text(secs)))
            }
            _ => {
                let ago = (now - t).num_minutes();
                if ago >= 1 {
                    text.push_str(&format!(" {ago} min ago"));
                } else {
                    text.push_str(" just now");
                }
            }
        }
        return Some(seg(paint(&text, color, 2), &text, 0));
    }
    None
}

/// API-key headroom: the class the payload names (compute filtered on it), else the
/// tightest class seen.
fn headroom_segments(s: &Status, color: bool, segs: &mut Vec<Segment>) {
    let class = s.classes.iter().min_by(|a, b| {
        let pa = a
            .tightest
            .as_ref()
            .and_then(|t| t.left_pct)
            .unwrap_or(100.0);
        let pb = b
            .tightest
            .as_ref()
            .and_then(|t| t.left_pct)
            .unwrap_or(100.0);
        pa.partial_cmp(&pb).unwrap_or(std::cmp::Ordering::Equal)
    });
    if let Some(c) = class {
        if let (Some(r), Some(l)) = (c.requests_remaining, c.requests_limit) {
            let text = format!("req {}/{}", human(r), human(l));
            let pct = if l > 0 {
                r as f64 * 100.0 / l as f64
            } else {
                100.0
            };
            segs.push(seg(paint(&text, color, left_level(pct)), &text, 3));
        }
        // The token dimension with the smallest share left.
        let tokens = c
            .dims
            .iter()
            .filter(|d| d.name != REQUESTS)
            .filter_map(|d| d.left_pct.map(|p| (d, p)))
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
        if let Some((t, pct)) = tokens {
            let text = format!("{} {pct:.0}%", short_dim(&t.name));
            segs.push(seg(paint(&text, color, left_level(pct)), &text, 4));
        }
    }
}

/// Drops the least important pieces until the line fits `width`, and joins them.
fn fit(mut segs: Vec<Segment>, width: usize) -> String {
    const SEP: usize = 3;
    let total = |segs: &[Segment]| {
        segs.iter().map(|s| s.plain_width).sum::<usize>() + SEP * (segs.len() - 1)
    };
    while segs.len() > 1 && total(&segs) > width {
        let worst = segs
            .iter()
            .enumerate()
            .max_by_key(|(i, s)| (s.rank, *i))
            .map(|(i, _)| i)
            .expect("not empty");
        segs.remove(worst);
    }
    segs.iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Colour level of a share left: red under 10 %, yellow under 25 %.
fn left_level(pct: f64) -> u8 {
    if pct < 10.0 {
        2
    } else if pct < 25.0 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(model_class("claude-sonnet-4-5-20250929"), "sonnet-4");
        assert_eq!(model_class("claude-sonnet-4-5"), "sonnet-4");
        assert_eq!(model_class("claude-opus-4-1"), "opus-4");
        assert_eq!(model_class("claude-3-5-haiku-20241022"), "haiku-3");
        assert_eq!(model_class("claude-haiku-4-5@20251001"), "haiku-4");
        assert_eq!(model_class("mystery-model"), "mystery-model");
    }

    #[test]
    fn numbers() {
        assert_eq!(human(950), "950");
        assert_eq!(human(4000), "4000");
        assert_eq!(human(240_000), "240k");
        assert_eq!(human(2_000_000), "2M");
        assert_eq!(human(1_250_000), "1.2M");
        assert_eq!(human_secs(23), "in 23s");
        assert_eq!(human_secs(600), "in 10m");
    }

    #[test]
    fn quick_reads() {
        let l = br#"{"ts": "2026-11-30T03:00:00.5Z", "status": 200, "request": {"model":  "claude-opus-4-1"}}"#;
        assert_eq!(quick_model(l), Some("claude-opus-4-1"));
        assert_eq!(
            quick_time(l).map(|t| t.to_rfc3339()),
            Some("2026-11-30T03:00:00.500+00:00".into())
        );
        assert_eq!(quick_model(br#"{"model": 5}"#), None);
        assert_eq!(quick_model(br#"{"model": "unterminated"#), None);
        assert_eq!(quick_time(b"{}"), None);
    }

    #[test]
    fn statusline_json() {
        let j = br#"{"hook_event_name":"Status","model":{"id":"claude-opus-4-1","display_name":"Opus"},"workspace":{"current_dir":"/x"}}"#;
        assert_eq!(statusline_model(j).as_deref(), Some("claude-opus-4-1"));
        assert_eq!(statusline_model(b"not json"), None);
        assert_eq!(statusline_model(b"{}"), None);
    }
}
