//! Helpers shared by every module of the integration test binary (`tests/it/`): the built
//! binary with a cleared environment, fixture paths, fake loopback servers and a pseudo-
//! terminal.
//!
//! Every child process starts from a cleared environment ([`clean_env`]): nothing from the
//! developer's shell reaches it (no `ANTHROPIC_*` keys or base URL, no `NO_COLOR`, `COLUMNS`,
//! `CI`, `GITHUB_*`, proxies or TLS variables) except the few variables in [`KEEP`] that a
//! shell script or `script(1)` needs to run at all. A test sets what it needs on top.

pub mod pty;
pub mod server;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

/// What a child keeps from the test's environment: where programs are (`sh`, `tar`,
/// `script`), a home and a temp directory, and the coverage tool's output path.
pub const KEEP: &[&str] = &["PATH", "HOME", "TMPDIR", "LLVM_PROFILE_FILE", "SYSTEMROOT"];

/// The repository root (where `cargo test` runs the tests).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_claude-429"))
}

/// `tests/fixtures/`: captures with their expected verdicts.
pub fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures")
}

/// A file or folder under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

/// A file under `tests/data/` (inputs that are not captures, such as Claude Code hook JSON).
pub fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// Clears `c`'s environment but for [`KEEP`], and sets `NO_COLOR=1` (remove it where a test
/// wants colour) and `CLAUDE_429_HISTORY=off`.
pub fn clean_env(c: &mut StdCommand) -> &mut StdCommand {
    c.env_clear();
    for k in KEEP {
        if let Some(v) = std::env::var_os(k) {
            c.env(k, v);
        }
    }
    // No test writes to the developer's own limit-hit history (a test that wants one sets
    // its own file).
    c.env("NO_COLOR", "1").env("CLAUDE_429_HISTORY", "off")
}

/// Any program (`sh`, `script`) with a cleared environment.
pub fn command(program: impl AsRef<OsStr>) -> StdCommand {
    let mut c = StdCommand::new(program);
    clean_env(&mut c);
    c
}

/// The binary with a cleared environment, to spawn and drive by hand.
pub fn std_bin() -> StdCommand {
    command(exe())
}

/// The binary with a cleared environment for `assert_cmd`, killed after two minutes so a
/// hang fails the test instead of blocking the run.
pub fn bin() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::from_std(std_bin());
    c.timeout(Duration::from_secs(120));
    c
}

/// A JSON file under `tests/fixtures/`, parsed.
pub fn fixture_json(rel: &str) -> serde_json::Value {
    let p = fixture(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `line` of every verdict in `replay --jsonl` output, in order.
pub fn verdict_lines(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// A child's stdout, line by line, through a channel, so a test can wait for a line with a
/// timeout (`recv_timeout`) instead of blocking on a pipe that may never speak.
pub fn stdout_lines(out: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(out).lines() {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}
