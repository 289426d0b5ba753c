//! Live inputs: a followed file (`--follow`), and a pipe (stdin that is not a regular file)
//! read by a sequential engine. A reader thread hands over one line at a time; the scan
//! waits for the next line with a timeout, so a capture held back in case a second form of
//! it follows is let go once the input has been quiet for [`QUIET`], and a verdict appears
//! while the stream is still open.
//!
//! A pipe read by the commands' engine goes through the chunked pipeline instead, which keeps
//! the same promises: a chunk goes to the workers whenever the pipe is momentarily empty
//! (`quiet::wait`), and a held capture is let go after [`QUIET`] (`quiet::Clock`), so a pipe
//! that pauses gets its verdicts as they come and a bulk pipe full chunks and every worker.
//!
//! A stop (Ctrl-C or SIGTERM, [`watch_signals`]) ends the scan as the end of input would, so
//! the command prints what it has seen and exits with its usual status.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use super::jsonl_stream;
use super::read::{Line, LineReader, READ_BUF, too_long, trim_eol};
use super::sniff::{Sniffed, sniff};
use super::text_stream::text_line;
use super::{Handler, ScanOptions, ScanStats};
use crate::capture::{Capture, text};

pub use super::quiet::{QUIET, stopped};
/// How often the scan looks at the clock and the stop flag while waiting.
const TICK: Duration = Duration::from_millis(100);
/// How often a followed file is looked at again when nothing new is in it.
pub const POLL: Duration = Duration::from_millis(250);

/// Turns Ctrl-C and SIGTERM into a stop of the live scan (instead of killing the process),
/// so what was seen is still reported. Installed once; a no-op after that.
pub fn watch_signals() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (ready_tx, ready_rx) = sync_channel::<()>(1);
        let spawned = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    let _ = ready_tx.send(());
                    return;
                };
                rt.block_on(async {
                    let wait = crate::output::interrupted();
                    tokio::pin!(wait);
                    // Poll once so the handlers are installed before the scan starts.
                    tokio::select! {
                        biased;
                        () = &mut wait => { super::quiet::stop(); return; }
                        () = std::future::ready(()) => {}
                    }
                    let _ = ready_tx.send(());
                    wait.await;
                    super::quiet::stop();
                });
            });
        if spawned.is_ok() {
            let _ = ready_rx.recv_timeout(Duration::from_secs(2));
        }
    });
}

/// True when `-` is a live stream: stdin that is not a regular file (a pipe, a terminal, a
/// socket). A redirected file keeps the chunked path.
pub fn stdin_is_live() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        match rustix::fs::fstat(io::stdin().as_fd()) {
            Ok(st) => {
                rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile
            }
            Err(_) => false,
        }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

enum Msg {
    Line(Vec<u8>),
    TooLong(usize),
    Failed(io::Error),
}

/// Scans a live input line by line (see the module docs).
pub(super) fn scan<H: Handler, R: Read + Send + 'static>(
    source: Arc<str>,
    reader: R,
    opts: &ScanOptions,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
) -> io::Result<ScanStats> {
    let mut stats = ScanStats {
        files: 1,
        ..Default::default()
    };
    let mut reader = BufReader::with_capacity(READ_BUF, reader);
    let jsonl = match sniff(&source, &mut reader, opts, 1, handler, sink, &mut stats)? {
        Sniffed::Done => return Ok(stats),
        Sniffed::Jsonl => true,
        Sniffed::Text => false,
    };
    let (tx, rx) = sync_channel::<Msg>(256);
    let bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = bytes.clone();
    std::thread::Builder::new()
        .name("live-reader".into())
        .spawn(move || {
            let mut lines = LineReader::new(reader);
            loop {
                let msg = match lines.next_line() {
                    Ok(Some(Line::Bytes(b))) => Msg::Line(b.to_vec()),
                    Ok(Some(Line::TooLong(n))) => Msg::TooLong(n),
                    Ok(None) => break,
                    Err(e) => Msg::Failed(e),
                };
                counted.store(lines.bytes, Ordering::Relaxed);
                let failed = matches!(msg, Msg::Failed(_));
                if tx.send(msg).is_err() || failed {
                    break;
                }
            }
        })?;
    let mut text = text::TextScanner::new(source.clone());
    let mut line_no: u64 = 0;
    // A line came since the scanner was last flushed, and when.
    let mut pending: Option<Instant> = None;
    loop {
        if stopped() {
            break;
        }
        match rx.recv_timeout(TICK) {
            Ok(Msg::Line(b)) => {
                line_no += 1;
                pending = Some(Instant::now());
                let bytes = trim_eol(&b);
                if jsonl {
                    jsonl_stream::line(
                        &source, opts, handler, &mut text, line_no, bytes, sink, &mut stats,
                    );
                } else {
                    let mut emit = |c: Capture| {
                        if let Some(t) = handler.capture(c) {
                            sink(t)
                        }
                    };
                    text_line(
                        &source, opts, &mut text, line_no, bytes, false, &mut emit, &mut stats,
                    );
                }
            }
            Ok(Msg::TooLong(n)) => {
                line_no += 1;
                flush(&mut text, handler, sink, &mut stats);
                stats.skip(&source, line_no, too_long(n));
            }
            Ok(Msg::Failed(e)) => return Err(e),
            Err(RecvTimeoutError::Timeout) => {
                if pending.is_some_and(|t| t.elapsed() >= QUIET) {
                    flush(&mut text, handler, sink, &mut stats);
                    pending = None;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    text.finish(
        &mut |c| {
            if let Some(t) = handler.capture(c) {
                sink(t)
            }
        },
        &mut stats,
    );
    stats.bytes = bytes.load(Ordering::Relaxed);
    Ok(stats)
}

fn flush<H: Handler>(
    text: &mut text::TextScanner,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) {
    text.flush(
        &mut |c| {
            if let Some(t) = handler.capture(c) {
                sink(t)
            }
        },
        stats,
    );
}

/// A file read like `tail -F`: at its end it waits for more, and it is opened again when it
/// is renamed and re-created, or read from the start when it is truncated; a file that does
/// not exist yet is waited for. Only a stop ([`stopped`]) ends it.
pub struct Follow {
    path: PathBuf,
    file: Option<File>,
    pos: u64,
    id: Option<(u64, u64)>,
}

impl Follow {
    pub fn new(path: &Path) -> Follow {
        Follow {
            path: path.to_path_buf(),
            file: None,
            pos: 0,
            id: None,
        }
    }
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if stopped() {
                return Ok(0);
            }
            let Some(file) = self.file.as_mut() else {
                if let Ok(f) = File::open(&self.path) {
                    self.id = f.metadata().ok().as_ref().and_then(identity);
                    self.file = Some(f);
                    self.pos = 0;
                    continue;
                }
                std::thread::sleep(POLL);
                continue;
            };
            let n = match file.read(buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n > 0 {
                self.pos += n as u64;
                return Ok(n);
            }
            // At the end: rotated (another file under the name), truncated, or just quiet.
            match std::fs::metadata(&self.path) {
                Ok(m) if identity(&m) != self.id => {
                    self.file = None;
                    continue;
                }
                Ok(m) if m.len() < self.pos => {
                    file.rewind()?;
                    self.pos = 0;
                    continue;
                }
                _ => {}
            }
            std::thread::sleep(POLL);
        }
    }
}
