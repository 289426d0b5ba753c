//! `record`: a pass-through proxy in front of the Anthropic API that writes one record per
//! exchange (JSON Lines, the shape `diagnose` reads) while the traffic passes unchanged.
//!
//! * [`proxy`] forwards every request and answer as bytes arrive (server-sent events reach the
//!   client event by event) and taps the bodies with the bounded scanners of [`scan`].
//! * [`entry`] is the record's shape; [`writer`] writes the files with rotation.
//! * The writer thread classifies each failure with [`crate::classify`] as it is written,
//!   reading the record back through the same parser `diagnose` uses.

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

/// The sending side of the record queue; cheap to clone.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::SyncSender<Record>,
    pub counters: Arc<Counters>,
    /// `--metrics`: observes a record the queue had no room for (the writer observes the rest).
    metrics: Option<Arc<metrics::Metrics>>,
}

impl Sink {
    /// Queues a record; never blocks the proxy.
    pub fn send(&self, r: Record) {
        self.counters.exchanges.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.tx.try_send(r) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            if let (Some(m), mpsc::TrySendError::Full(r)) = (&self.metrics, e) {
                m.observe_unwritten(&r);
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
    mut writer: Writer,
    mut live: LiveOut,
    color: bool,
    metrics: Option<Arc<metrics::Metrics>>,
) -> (Sink, std::thread::JoinHandle<Arc<Counters>>) {
    let m2 = metrics.clone();
    let (tx, rx) = mpsc::sync_channel::<Record>(QUEUE);
    let counters = Arc::new(Counters::default());
    let c2 = counters.clone();
    let handle = std::thread::Builder::new()
        .name("record-writer".into())
        .spawn(move || {
            let source: Arc<str> = Arc::from(writer.path().display().to_string());
            let mut line_no = 0u64;
            // After a failed write, recording pauses (requests keep flowing) and is tried
            // again every RETRY; records meanwhile are lost and counted.
            let mut paused_at: Option<std::time::Instant> = None;
            for r in rx {
                let Ok(line) = serde_json::to_vec(&r) else {
                    continue;
                };
                if let Some(m) = &m2 {
                    m.observe(&r, &line);
                }
                if let Some(at) = paused_at
                    && (at.elapsed() < RETRY || writer.reopen().is_err())
                {
                    if at.elapsed() >= RETRY {
                        // The retry failed: wait another RETRY before the next one.
                        paused_at = Some(std::time::Instant::now());
                    }
                    c2.write_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if let Err(e) = writer.write_line(chrono::Utc::now(), &line) {
                    let lost = c2.write_errors.fetch_add(1, Ordering::Relaxed) + 1;
                    if paused_at.is_none() {
                        crate::errln!(
                            "claude-429: error: cannot write records to {}: {e}; recording paused \
                             ({lost} lost so far), requests keep flowing; retrying every {}s",
                            writer.path().display(),
                            RETRY.as_secs()
                        );
                    }
                    paused_at = Some(std::time::Instant::now());
                    continue;
                }
                if paused_at.take().is_some() {
                    crate::errln!(
                        "claude-429: recording resumed in {} ({} records lost)",
                        writer.path().display(),
                        c2.write_errors.load(Ordering::Relaxed)
                    );
                }
                line_no += 1;
                if let Some(msg) = live_line(&source, line_no, &line, &r, color) {
                    c2.failures.fetch_add(1, Ordering::Relaxed);
                    crate::history::record_failure(&line);
                    let _ = writeln!(live, "{msg}");
                    let _ = live.flush();
                }
            }
            let _ = writer.flush();
            c2
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
    let Parsed::Capture(c) = parse_full(source, line_no, line, true) else {
        return None;
    };
    let v = crate::classify::classify(&c)?;
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

    #[test]
    fn paths() {
        assert_eq!(
            path_of("https://api.anthropic.com/v1/messages?beta=true"),
            "/v1/messages?beta=true"
        );
        assert_eq!(path_of("http://h"), "/");
        assert_eq!(path_of("/v1/x"), "/v1/x");
        assert_eq!(short_time("2026-11-30T03:01:02.123Z"), "03:01:02");
    }
}
