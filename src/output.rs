//! The one place that deals with closed output and stop signals.
//!
//! * Stdout: [`stdout`] hands out a writer that, once the reader has gone away (`| head`, a
//!   closed pipe), discards the rest quietly instead of failing. The command then finishes and
//!   returns the status it earned (exit 1 for failures found stays 1), and nothing panics.
//! * Stderr: [`errln!`](crate::errln) prints a line and ignores a closed stderr (`eprintln!`
//!   panics there).
//! * A panic hook ([`install_panic_hook`]) is the safety net for any `println!`/`eprintln!`
//!   that still hits a closed stream: it exits quietly instead of printing a panic.
//! * [`interrupted`] resolves on Ctrl-C or SIGTERM, so `probe --watch` prints what it
//!   gathered when a CI runner or `timeout` stops it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// True once a write to stdout found the reader gone.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Stdout that swallows a broken pipe (see the module docs).
pub fn stdout() -> Stdout {
    Stdout(io::stdout())
}

/// See [`stdout`].
pub struct Stdout(io::Stdout);

impl Stdout {
    /// The locked writer, as `std::io::Stdout::lock`.
    pub fn lock(&self) -> StdoutLock {
        StdoutLock(self.0.lock())
    }
}

/// See [`stdout`].
pub struct StdoutLock(io::StdoutLock<'static>);

/// What a write result becomes: a broken pipe marks stdout closed and counts as written.
fn absorb<T>(r: io::Result<T>, written: T) -> io::Result<T> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(written)
        }
        r => r,
    }
}

impl Write for StdoutLock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if stdout_closed() {
            return Ok(buf.len());
        }
        absorb(self.0.write(buf), buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if stdout_closed() {
            return Ok(());
        }
        absorb(self.0.flush(), ())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.lock().flush()
    }
}

/// Writes a formatted line to stderr; a closed or broken stderr is ignored (never a panic).
pub fn err_line(args: std::fmt::Arguments<'_>) {
    let mut e = io::stderr().lock();
    let _ = e.write_fmt(args).and_then(|()| e.write_all(b"\n"));
}

/// `eprintln!` that never panics: a closed stderr loses the line, nothing else.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::err_line(format_args!($($arg)*))
    };
}

/// Makes a panic from printing to a closed stdout/stderr (`failed printing to stdout: Broken
/// pipe`) a quiet exit instead of a panic message and status 101. Only the std print macros
/// panic that way; the writers above never do, so this is a safety net.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to std") {
            // Nothing can be shown: the stream is gone. The run was cut short, so the
            // status it would have earned is unknown; 0 as for a reader that stopped early.
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Ctrl-C (SIGINT) and SIGTERM, the one handler of the project (`probe`, `record`, `mock`).
/// The handlers are installed when it is made (inside a tokio runtime), so a signal that
/// arrives before the first [`Signals::recv`] is not lost.
pub struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers. Call inside a tokio runtime.
    pub fn install() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves at the next SIGINT or SIGTERM.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. If no handler can be installed it never resolves
/// (the run then simply cannot be interrupted cleanly). Call inside a tokio runtime.
pub async fn interrupted() {
    match Signals::install() {
        Ok(mut s) => s.recv().await,
        Err(_) => std::future::pending::<()>().await,
    }
}
