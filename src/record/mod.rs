//! `record`: a pass-through proxy in front of the Anthropic API that writes one record per
//! exchange (JSON Lines, the shape `diagnose` reads) while the traffic passes unchanged.
//!
//! * [`proxy`] forwards every request and answer as bytes arrive (server-sent events reach the
//!   client event by event) and taps the bodies with the bounded scanners of [`scan`].
//! * [`entry`] is the record's shape; [`writer`] writes the files with rotation.
//! * The writer thread writes records in batches and classifies each record that may be a
//!   failure (not a plain success by `diagnose`'s own pre-filter) with [`crate::classify`],
//!   reading it back through the same parser `diagnose` uses. The proxy serves every
//!   connection on one runtime thread (`commands::record`).

/// The project's never-panicking stderr line ([`crate::errln`]) under the name `proxy.rs`
/// still calls it by; everything else in `record` calls `crate::errln!` directly.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::errln!($($arg)*)
    };
}
pub(crate) use note;

pub mod entry;
pub mod metrics;
pub mod proxy;
pub mod safe;
pub mod scan;
pub mod upstream;
pub mod writer;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

pub use entry::{Record, RequestFacts};
pub use proxy::{Proxy, serve};
pub use writer::{Rotation, Writer};

/// Records waiting for the writer; past this, records are dropped (and counted) rather than
/// letting memory grow when the disk cannot keep up.
const QUEUE: usize = 8192;

/// Most records the writer takes in one batch (one write to the file).
const BATCH: usize = 256;

/// How long the writer lets records gather after the first of a batch arrives.
const GATHER: std::time::Duration = std::time::Duration::from_millis(2);

/// How long recording stays paused after a failed write before it is tried again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(10);

/// The default record directory.
pub const DEFAULT_DIR: &str = "claude-429-record";

/// Counters shown at exit.
#[derive(Debug, Default)]
pub struct Counters {
    pub exchanges: AtomicU64,
    pub failures: AtomicU64,
    /// Records dropped because the queue was full (the disk could not keep up).
    pub dropped: AtomicU64,
    /// Records lost because they could not be written (recording was paused).
    pub write_errors: AtomicU64,
}

/// A record on its way to the writer: its line, serialised on the sending thread (so the
/// record's many small allocations are freed where they were made), and the record itself
/// only when something still reads it (`--metrics`, or a line that may be a failure).
pub struct Queued {
    line: Vec<u8>,
    rec: Option<Box<Record>>,
}

thread_local! {
    /// The sending thread's buffer for serialising a record.
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A record's line, serialised into the thread's reused buffer and copied out at its size
/// (no regrowing a fresh buffer per record); `None` when it cannot be serialised.
fn serialise(r: &Record) -> Option<Vec<u8>> {
    let reused = LINE.try_with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        buf.clear();
        let ok = serde_json::to_writer(&mut *buf, r).is_ok();
        let line = ok.then(|| buf.to_vec());
        if buf.capacity() > 64 * 1024 {
            *buf = Vec::new();
        }
        Some(line)
    });
    match reused {
        Ok(Some(line)) => line,
        // The thread is ending (or the buffer is in use): a buffer of its own.
        _ => serde_json::to_vec(r).ok(),
    }
}

/// The sending side of the record queue; cheap to clone.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::SyncSender<Queued>,
    pub counters: Arc<Counters>,
    /// `--metrics`: observes a record the queue had no room for (the writer observes the rest).
    metrics: Option<Arc<metrics::Metrics>>,
}

impl Sink {
    /// Queues a record; never blocks the proxy.
    pub fn send(&self, r: Record) {
        self.counters.exchanges.fetch_add(1, Ordering::Relaxed);
        let Some(line) = serialise(&r) else {
            return;
        };
        // A plain success needs no live line (see `live_line`): only its line goes on.
        let keep = self.metrics.is_some() || !crate::capture::jsonl::plain_success(&line);
        let q = Queued {
            rec: keep.then(|| Box::new(r)),
            line,
        };
        if let Err(e) = self.tx.try_send(q) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            if let (Some(m), mpsc::TrySendError::Full(q)) = (&self.metrics, e)
                && let Some(r) = &q.rec
            {
                m.observe(r, &q.line);
            }
        }
    }
}

/// Where live failure lines go (stdout for the command, a buffer in tests).
pub type LiveOut = Box<dyn Write + Send>;

/// Starts the writer thread. Returns the sink and a handle that, once every sink is dropped,
/// ends with the counters after the last record is on disk.
pub fn start_writer(
    writer: Writer,
    live: LiveOut,
    color: bool,
) -> (Sink, std::thread::JoinHandle<Arc<Counters>>) {
    start_writer_with(writer, live, color, None)
}

/// [`start_writer`], also feeding every record to `--metrics` (on the writer's thread, off
/// the requests' path; whether or not the disk takes it).
pub fn start_writer_with(
    writer: Writer,
    mut live: LiveOut,
    color: bool,
    metrics: Option<Arc<metrics::Metrics>>,
) -> (Sink, std::thread::JoinHandle<Arc<Counters>>) {
    let (tx, rx) = mpsc::sync_channel::<Queued>(QUEUE);
    let counters = Arc::new(Counters::default());
    let mut state = WriterState {
        source: Arc::from(writer.path().display().to_string()),
        writer,
        counters: counters.clone(),
        metrics: metrics.clone(),
        line_no: 0,
        paused_at: None,
        buf: Vec::with_capacity(64 * 1024),
    };
    let handle = std::thread::Builder::new()
        .name("record-writer".into())
        .spawn(move || {
            let mut batch: Vec<Queued> = Vec::with_capacity(BATCH);
            while let Ok(first) = rx.recv() {
                batch.push(first);
                // Under load, let the next records gather while this thread sleeps: one
                // wake-up and one write per batch instead of per record. An idle proxy
                // blocks in `recv` above and costs nothing.
                std::thread::sleep(GATHER);
                batch.extend(rx.try_iter().take(BATCH - 1));
                state.write(&mut batch, &mut live, color);
            }
            let _ = state.writer.flush();
            state.counters
        })
        .expect("spawn the record writer thread");
    (
        Sink {
            tx,
            counters,
            metrics,
        },
        handle,
    )
}

/// The writer thread's state: the file, the counters, and one reused buffer for a batch.
struct WriterState {
    writer: Writer,
    source: Arc<str>,
    counters: Arc<Counters>,
    metrics: Option<Arc<metrics::Metrics>>,
    line_no: u64,
    /// After a failed write, recording pauses (requests keep flowing) and is tried again
    /// every [`RETRY`]; records meanwhile are lost and counted.
    paused_at: Option<std::time::Instant>,
    /// The batch's lines, each followed by a newline.
    buf: Vec<u8>,
}

impl WriterState {
    /// Writes a batch at once, then prints the live lines of its failures.
    fn write(&mut self, batch: &mut Vec<Queued>, live: &mut LiveOut, color: bool) {
        if let Some(m) = &self.metrics {
            for q in batch.iter() {
                if let Some(r) = &q.rec {
                    m.observe(r, &q.line);
                }
            }
        }
        self.buf.clear();
        for q in batch.iter() {
            self.buf.extend_from_slice(&q.line);
            self.buf.push(b'\n');
        }
        if !batch.is_empty() && self.store(batch.len() as u64) {
            let mut printed = false;
            for q in batch.iter() {
                self.line_no += 1;
                let Some(r) = &q.rec else { continue };
                if let Some(msg) = live_line(&self.source, self.line_no, &q.line, r, color) {
                    self.counters.failures.fetch_add(1, Ordering::Relaxed);
                    crate::history::record_failure(&q.line);
                    let _ = writeln!(live, "{msg}");
                    printed = true;
                }
            }
            if printed {
                let _ = live.flush();
            }
        }
        batch.clear();
    }

    /// Writes the batch's `lines` lines to the file, unless recording is paused; false when
    /// they were lost (and counted).
    fn store(&mut self, lines: u64) -> bool {
        let c = &self.counters;
        if let Some(at) = self.paused_at
            && (at.elapsed() < RETRY || self.writer.reopen().is_err())
        {
            if at.elapsed() >= RETRY {
                // The retry failed: wait another RETRY before the next one.
                self.paused_at = Some(std::time::Instant::now());
            }
            c.write_errors.fetch_add(lines, Ordering::Relaxed);
            return false;
        }
        if let Err(e) = self.writer.write_lines(chrono::Utc::now(), &self.buf) {
            let lost = c.write_errors.fetch_add(lines, Ordering::Relaxed) + lines;
            if self.paused_at.is_none() {
                crate::errln!(
                    "claude-429: error: cannot write records to {}: {e}; recording paused \
                     ({lost} lost so far), requests keep flowing; retrying every {}s",
                    self.writer.path().display(),
                    RETRY.as_secs()
                );
            }
            self.paused_at = Some(std::time::Instant::now());
            return false;
        }
        if self.paused_at.take().is_some() {
            crate::errln!(
                "claude-429: recording resumed in {} ({} records lost)",
                self.writer.path().display(),
                c.write_errors.load(Ordering::Relaxed)
            );
        }
        true
    }
}

/// The one line printed when a record is a failure: time, status, what was asked, the class
/// and the first fix, from the same parser and classifier `diagnose` uses.
pub fn live_line(
    source: &Arc<str>,
    line_no: u64,
    line: &[u8],
    r: &Record,
    color: bool,
) -> Option<String> {
    use crate::capture::jsonl::{Parsed, parse_full};
    if r.proxy_error.is_some() {
        return Some(format!(
            "{}  {} {} -> proxy: {}",
            short_time(&r.ts),
            r.method,
            path_of(&r.url),
            r.proxy_error.as_deref().unwrap_or_default()
        ));
    }
    // The cheap check first: a plain success (a status below 400 and no error, overload or
    // rejection text anywhere on the line) is what `diagnose` also takes for one without
    // classifying it. Only the rest is parsed and classified.
    if crate::capture::jsonl::plain_success(line) {
        return None;
    }
    let Parsed::Capture(c) = parse_full(source, line_no, line, true) else {
        return None;
    };
    let v = crate::classify::classify(&c)?;
    // Off the API (Claude Code's start-up `HEAD /`, a browser's `/favicon.ico`), an answer
    // that is no rate limit is no failure worth a line: the record is still written.
    if v.class == crate::verdict::Class::NotRateLimit && !is_api_path(path_of(&r.url)) {
        return None;
    }
    let class = if color {
        use owo_colors::OwoColorize;
        v.class.as_str().red().bold().to_string()
    } else {
        v.class.as_str().to_string()
    };
    let mut s = format!(
        "{}  {} {} {}",
        short_time(&r.ts),
        r.status,
        r.method,
        path_of(&r.url)
    );
    if let Some(m) = &r.request.model {
        s.push_str(&format!(" {m}"));
    }
    if r.stream_error {
        s.push_str(" (error event in stream)");
    }
    s.push_str(&format!(
        " -> {class} ({}): {}",
        v.confidence.as_str(),
        v.fix.short
    ));
    if let Some(ra) = v.retry_after_s {
        s.push_str(&format!("; retry after {ra}s"));
    }
    Some(s)
}

/// True for a path of the API the proxy stands in front of: the Anthropic API's `/v1/...`,
/// Bedrock's `/model/...` invocations (under the upstream's own path prefix, if any).
fn is_api_path(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    path.contains("/v1/") || path.contains("/model/")
}

fn short_time(ts: &str) -> &str {
    ts.get(11..19).unwrap_or(ts)
}

fn path_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("/", |j| &url[i + 3 + j..]),
        None => url,
    }
}

/// What the `record` command was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub upstream: reqwest::Url,
    pub out: PathBuf,
    pub max_size: u64,
    pub keep: usize,
    /// Extra trust anchors for the upstream (`--cacert`), besides the platform's,
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR`.
    pub cacert: Option<PathBuf>,
    /// Client connections served at once; past this a new one gets a 503.
    pub max_connections: usize,
}

/// Raises the open-descriptor limit to the hard limit: each client connection and its
/// upstream connection take one each, and the usual soft limit (1,024) is low for a proxy.
pub fn raise_descriptor_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let mut l = getrlimit(Resource::Nofile);
        if l.current.is_some() && l.current != l.maximum {
            l.current = l.maximum;
            let _ = setrlimit(Resource::Nofile, l);
        }
    }
}

/// Catches SIGXFSZ (sent when a write passes the file-size limit, `ulimit -f`) so that the
/// write fails with an error the writer handles instead of the signal ending the process.
/// Call inside the runtime.
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let raw = rustix::process::Signal::XFSZ.as_raw();
        if let Ok(mut s) = signal(SignalKind::from_raw(raw)) {
            tokio::spawn(async move { while s.recv().await.is_some() {} });
        }
    }
}

/// True when `addr` is loopback (the default, safe to listen on without --allow-remote).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(method: &str, path: &str, status: u16, body: Option<serde_json::Value>) -> Record {
        Record {
            ts: "2026-11-30T03:01:02.123Z".into(),
            method: method.into(),
            url: format!("https://api.anthropic.com{path}"),
            status,
            duration_ms: 12.5,
            ttfb_ms: Some(3.0),
            headers: Default::default(),
            body,
            usage: None,
            request: RequestFacts::default(),
            stream_error: false,
            incomplete: None,
            proxy_error: None,
        }
    }

    fn live(r: &Record) -> Option<String> {
        let line = serde_json::to_vec(r).unwrap();
        live_line(&Arc::from("rec"), 1, &line, r, false)
    }

    #[test]
    fn live_lines_are_for_failures_of_the_api_only() {
        let not_found = || {
            Some(serde_json::json!({"type": "error",
                "error": {"type": "not_found_error", "message": "Not Found"}}))
        };
        // Claude Code's start-up `HEAD /` gets a 404: no failure line.
        assert_eq!(live(&rec("HEAD", "/", 404, None)), None);
        assert_eq!(live(&rec("GET", "/favicon.ico", 404, not_found())), None);
        // A success prints nothing, whatever its path.
        assert_eq!(live(&rec("POST", "/v1/messages", 200, None)), None);
        // The same 404 from the API is a failure the user should see.
        let l = live(&rec("POST", "/v1/messages", 404, not_found())).unwrap();
        assert!(l.contains("404 POST /v1/messages -> not_rate_limit"), "{l}");
        // A rate limit is printed on any path.
        let limited = Some(serde_json::json!({"type": "error",
            "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}));
        let l = live(&rec("POST", "/", 429, limited)).unwrap();
        assert!(l.contains("429 POST / -> rpm (certain)"), "{l}");
    }

    #[test]
    fn paths() {
        assert_eq!(
            path_of("https://api.anthropic.com/v1/messages?beta=true"),
            "/v1/messages?beta=true"
        );
        assert_eq!(path_of("http://h"), "/");
        assert_eq!(path_of("/v1/x"), "/v1/x");
        assert_eq!(short_time("2026-11-30T03:01:02.123Z"), "03:01:02");
        assert!(is_api_path("/v1/messages?beta=true"));
        assert!(is_api_path("/model/anthropic.claude-sonnet-4-5/invoke"));
        assert!(!is_api_path("/"));
        assert!(!is_api_path("/favicon.ico"));
        assert!(!is_api_path("/?q=/v1/"));
        assert!(is_api_path("/gateway/v1/messages"));
    }
}
