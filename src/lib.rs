//! claude-429: tells which Anthropic API rate limit a failure hit, how sure, and the fix.
//!
//! Data flows one way: input → [`capture`] → [`classify`] → [`report`]. Each subcommand in
//! [`commands`] glues those together; [`run`] dispatches and maps outcomes to exit codes.

pub mod api;
pub mod capture;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod diagnose;
pub mod exit;
pub mod fixes;
pub mod limits;
pub mod probe;
pub mod redact;
pub mod report;

pub use exit::{Exit, Outcome};

/// Runs a parsed command line and returns what it found; errors carry their exit code.
pub fn run(cli: cli::Cli) -> anyhow::Result<Outcome> {
    let style = report::Style::detect(cli.color);
    match cli.command {
        cli::Command::Replay(a) => commands::replay::run(&a, &style),
        cli::Command::Diagnose(a) => commands::diagnose::run(&a, &style),
        cli::Command::Limits(a) => commands::limits::run(&a, &style),
        cli::Command::Probe(a) => commands::probe::run(&a, &style),
        cli::Command::Fixes(a) => commands::fixes::run(&a, &style),
        cli::Command::Completions(a) => commands::generate::completions(&a),
        cli::Command::Generate(a) => commands::generate::generate(&a),
    }
}
