//! claude-429: tells which Anthropic API rate limit a failure hit, how sure, and the fix.
//!
//! Data flows one way: input → [`capture`] → [`classify`] → [`report`]. Each subcommand in
//! [`commands`] glues those together; [`run`] dispatches and maps outcomes to exit codes.
//!
//! # Layers
//!
//! A module imports only from layers below it (`tests/it/layers.rs` fails on a new import
//! circle, between top-level modules or between files):
//!
//! 1. `main` / `lib` ([`run`]);
//! 2. [`commands`]: flags, keys, runtime, pick a renderer, map the outcome (glue only);
//! 3. `schema`: the JSON Schemas of every `--json` output (read by `commands::generate`; only
//!    with the `generate` feature, like the `schemars` derives on the serialized types);
//! 4. [`mock`]: a local Anthropic API for rehearsals (its report goes through `diagnose`
//!    and `report`);
//! 5. [`report`]: every renderer (replay, diagnose, limits, probe, live, markdown, JSON);
//! 6. [`cli`]: the clap definitions (and `ApiArgs::client_config`), read by `commands` and,
//!    for the colour choice, by `report`;
//! 7. [`diagnose`]: the incident analysis, and `--live` on top of the two below;
//! 8. [`limits`] (fetch, lock, drift, floors, `--json` shapes), [`probe`] (targets, budget,
//!    session, headroom, stray key) and [`usage`] (who used the limit: the usage report joined
//!    with the limits and the key and workspace names): the live-API domain, each a library
//!    call with a progress callback;
//! 9. [`api`]: HTTP, the error type and its one status mapping, `transport` (auth token,
//!    custom headers, TLS roots, `Secret`); beside it [`record`] (the recording proxy; `cli`
//!    reads its size parser), [`status`] (the status line over the records and Claude Code's
//!    statusline), [`hook`] (Claude Code's hooks) and [`setup`] (their settings.json), which
//!    read captures and verdicts only; under them [`history`] (the limit-hit history that
//!    `hook` and `record` write and `status` reads);
//! 10. [`capture`], then [`classify`] (judge, provider, subscription windows);
//! 11. leaves: [`exchange`] (the `Capture` data type and header parsing), [`verdict`]
//!     (`Class`, `Provider`), [`ratelimit`] (one dimension enum, the exhaustion rule, one
//!     model-class function), [`fixes`], [`fmt`], [`redact`], [`exit`], [`fsutil`], [`output`], [`when`]
//!     (they import nothing above them);
//! 12. [`json`]: JSON-like text read leniently (`json::relaxed`); it imports nothing from the
//!     crate.
//!
//! `tests/it/layers.rs` checks there is no import circle.

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
pub mod history;
pub mod hook;
pub mod json;
pub mod limits;
pub mod mock;
pub mod output;
pub mod probe;
pub mod ratelimit;
pub mod record;
pub mod redact;
pub mod report;
#[cfg(feature = "generate")]
pub mod schema;
pub mod setup;
pub mod status;
pub mod usage;
pub mod verdict;
pub mod when;

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
        cli::Command::Mock(a) => commands::mock::run(&a, &style),
        cli::Command::Record(a) => commands::record::run(&a, &style),
        cli::Command::Status(a) => commands::status::run(&a, &style),
        cli::Command::Hook(a) => commands::hook::run(&a, &style),
        cli::Command::History(a) => commands::history::run(&a, &style),
        cli::Command::Setup(a) => commands::setup::run(&a, &style),
        cli::Command::Usage(a) => commands::usage::run(&a, &style),
        cli::Command::Completions(a) => commands::generate::completions(&a),
        cli::Command::Generate(a) => commands::generate::generate(&a),
    }
}
