//! `claude-429 limits` (not implemented yet).

use anyhow::Result;

use crate::exit::{Outcome, UsageError};
use crate::report::Style;

pub fn run(_a: &crate::cli::LimitsArgs, _style: &Style) -> Result<Outcome> {
    Err(UsageError("`limits` is not implemented yet".into()).into())
}
