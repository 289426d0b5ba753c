use std::process::ExitCode;

use clap::Parser;

use claude_429::{Exit, cli::Cli, exit};

/// mimalloc, not the system allocator: on a failure-dense log the scan's workers make many
/// small allocations that the ordered consumer frees, and glibc's malloc serialises those
/// frees on its arena locks (the log replays 1.5-2x faster with mimalloc; docs/performance.md,
/// issue 31 round 5). It is built without transparent huge pages (`no_thp`: it asks for
/// none; a kernel whose THP mode is `always` may still use them). The same on every platform
/// (measured on Linux with glibc only).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its place in `mi_option_t` (mimalloc.h), which mimalloc
/// keeps stable (retired options keep their places); the bindings name no constant for it.
const MI_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed goes back to the system at once, not a second later (mimalloc 3's default):
/// on a failure-dense log with 8 workers the delay held 10-14 MiB more at the peak.
fn tune_allocator() {
    // SAFETY: sets one option, before any other thread exists (the call is not thread-safe).
    unsafe { libmimalloc_sys::mi_option_set(MI_PURGE_DELAY, 0) };
}

fn main() -> ExitCode {
    tune_allocator();
    claude_429::output::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and exit 0; real usage errors exit 2.
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Clean
            };
            let _ = e.print();
            return ExitCode::from(code as u8);
        }
    };
    let command = cli.command.name();
    match claude_429::run(cli) {
        Ok(outcome) => ExitCode::from(Exit::from(outcome) as u8),
        Err(err) if exit::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let code = claude_429::api::error::exit_code(&err);
            claude_429::errln!(
                "claude-429: error: {}",
                claude_429::redact::keys(&format!("{err:#}"))
            );
            if let Some(hint) = claude_429::report::hint_for_command(&err, command) {
                claude_429::errln!("hint: {hint}");
            }
            ExitCode::from(code as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    /// The option set is `purge_delay`: mimalloc 3 starts it at 1000 (ms), a default no
    /// other option has.
    #[test]
    fn the_option_set_is_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one option (the test harness's threads do not set options).
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::MI_PURGE_DELAY) },
            1000
        );
    }
}
