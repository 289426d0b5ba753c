//! The integration tests, as one test binary (`cargo test --test it`): one module per command
//! or topic, the shared helpers in `tests/common/`. One binary links once and runs every test
//! in one process, in parallel, instead of seventeen binaries one after another.
//!
//! Run one module or one test with a filter: `cargo test --test it replay::` or
//! `cargo test --test it replay::json_contract`.

#[path = "../common/mod.rs"]
mod common;

mod accuracy;
mod classify;
mod claude_code;
mod diagnose;
mod follow;
mod fuzz;
mod generated;
mod har;
mod hardening;
mod heldout;
mod html;
#[cfg(unix)]
mod install;
mod layers;
mod limits;
mod live;
mod metrics;
mod mock;
mod pipes;
mod probe;
mod record;
mod record_trust;
mod replay;
mod schema;
#[cfg(unix)]
mod shipping;
mod sizes;
mod terminal;
mod transport;
mod usage;
