use std::process::ExitCode;

use clap::Parser;

use claude_429::{Exit, cli::Cli, exit};

fn main() -> ExitCode {
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
