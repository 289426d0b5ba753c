//! Exit codes, one enum for every command (see `cli::EXIT_STATUS`).

use std::io;

/// What a command found when it ran fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing wrong found (or no drift).
    Clean,
    /// Rate-limit failures found (or drift).
    Found,
}

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Clean = 0,
    Found = 1,
    Usage = 2,
    Api = 3,
}

impl From<Outcome> for Exit {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Clean => Exit::Clean,
            Outcome::Found => Exit::Found,
        }
    }
}

/// A usage error: bad flags or values, unreadable input. Exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// True when the error is a closed pipe on stdout (`claude-429 replay big.log | head`): not
/// a failure, exit 0 quietly, as ripgrep does.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
