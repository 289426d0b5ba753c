//! A live pipe's timing, shared by the reader, the pipeline and the live line reader: the
//! stop flag (Ctrl-C, SIGTERM), how long a pipe must be quiet before a held capture is let
//! go, waiting for a pipe without blocking past a stop, and the reader/consumer clock.

#[cfg(unix)]
use std::fs::File;
#[cfg(unix)]
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the input must be quiet before a held capture is let go.
pub const QUIET: Duration = Duration::from_millis(400);

static STOP: AtomicBool = AtomicBool::new(false);

/// True once Ctrl-C or SIGTERM arrived (after `live::watch_signals`).
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Ends every live input at its next look.
pub(super) fn stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Waits until `pipe` can be read (data, its end, or an error the read will report): true.
/// With a `timeout`, false once it passes with nothing to read; without, false only when the
/// run is stopped ([`stopped`], looked at every 100 ms), so a blocked reader never keeps
/// a stopped run from ending.
#[cfg(unix)]
pub(super) fn wait(pipe: &File, timeout: Option<Duration>) -> io::Result<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let step = timeout.unwrap_or(Duration::from_millis(100));
    let ts = Timespec {
        tv_sec: step.as_secs() as _,
        tv_nsec: step.subsec_nanos() as _,
    };
    loop {
        if timeout.is_none() && stopped() {
            return Ok(false);
        }
        let mut fds = [PollFd::new(pipe, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) if timeout.is_some() => return Ok(false),
            Ok(0) => {}
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// A live input's clock, shared by the reader and the consumer: when bytes last came and
/// how many chunks went to the workers.
pub(super) struct Clock {
    start: Instant,
    last_read: AtomicU64,
    sent: AtomicU64,
}

impl Clock {
    pub(super) fn new() -> Clock {
        Clock {
            start: Instant::now(),
            last_read: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Bytes came in.
    pub(super) fn read(&self) {
        self.last_read.store(self.now(), Ordering::Relaxed);
    }

    /// A chunk is about to go to the workers.
    pub(super) fn sent(&self) {
        self.sent.fetch_add(1, Ordering::SeqCst);
    }

    /// Every chunk sent is consumed (`consumed` of them) and no byte came for [`QUIET`].
    pub(super) fn quiet(&self, consumed: u64) -> bool {
        self.sent.load(Ordering::SeqCst) == consumed
            && self.now() >= self.last_read.load(Ordering::Relaxed) + QUIET.as_millis() as u64
    }
}
