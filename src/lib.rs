//! claude-429: tells which Anthropic API rate limit a failure hit, how sure, and the fix.
//!
//! Data flows one way: input → [`capture`] → [`classify`] → [`report`]. Each subcommand in
//! [`commands`] glues those together; [`run`] dispatches and maps outcomes to exit codes.
//!
//! # Layers
//!
//! A module imports only from layers below it (`tests/layers.rs` fails on a new import
//! circle, between top-level modules or between files):
//!
//! 1. `main` / `lib` ([`run`]);
//! 2. [`commands`]: flags, keys, runtime, pick a renderer, map the outcome (glue only);
//! 3. [`report`]: every renderer (replay, diagnose, limits, probe, live, markdown, JSON);
//! 4. [`diagnose`]: the incident analysis, and `--live` on top of the two below;
//! 5. [`limits`] (fetch, lock, drift, floors) and [`probe`] (targets, budget, session,
//!    headroom, stray key): the live-API domain, each a library call with a progress callback;
//! 6. [`api`]: HTTP, the error type and its one status mapping;
//! 7. [`capture`], then [`classify`];
//! 8. leaves: [`exchange`] (the `Capture` data type and header parsing), [`verdict`]
//!    (`Class`), [`ratelimit`] (one dimension enum, the exhaustion rule, one model-class
//!    function), [`fixes`], [`fmt`], [`redact`], [`exit`] (they import nothing above them).
//!
//! [`cli`] holds the clap definitions read by `commands` (and, for their argument types, by
//! `api::ClientConfig::from_args`). `tests/layers.rs` checks there is no import circle.

pub mod api;
pub mod capture;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod diagnose;
pub mod exchange;
pub mod exit;
pub mod fixes;
pub mod fmt;
pub mod fsutil;
pub mod limits;
pub mod output;
pub mod probe;
pub mod ratelimit;
pub mod redact;
pub mod report;
pub mod verdict;

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
