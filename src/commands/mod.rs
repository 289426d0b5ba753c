//! One file per subcommand, gluing input, classification and rendering.

pub mod diagnose;
pub mod fixes;
pub mod generate;
pub mod history;
pub mod hook;
pub mod limits;
pub mod mock;
pub mod probe;
pub mod record;
pub mod replay;
pub mod setup;
pub mod status;
pub mod usage;

/// The tokio runtime a command runs on: one thread for the API clients (`limits`, `probe`,
/// `usage`, `diagnose --live`), the worker pool for the servers (`record`, `mock`).
pub(crate) fn runtime(servers: bool) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut b = if servers {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    anyhow::Context::context(b.enable_all().build(), "cannot start the async runtime")
}

/// A spinner on stderr while a command waits on the network (`probe`, `limits`), cleared when
/// dropped, so an error line never lands after a half-drawn one. Only when `show` (callers pass
/// false for `--json` and live `--watch` output), stderr is a terminal and not under CI: never
/// in a pipe, a log or a JSON run.
pub struct Spinner(indicatif::ProgressBar);

impl Spinner {
    pub fn start(show: bool, message: &str) -> Option<Spinner> {
        use std::io::IsTerminal;
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        if !show || ci || !std::io::stderr().is_terminal() {
            return None;
        }
        let pb =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(s) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            pb.set_style(s);
        }
        pb.set_message(message.to_string());
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(Spinner(pb))
    }

    pub fn set_message(&self, message: String) {
        self.0.set_message(message);
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
