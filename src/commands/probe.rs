//! `claude-429 probe` (not implemented yet).

use anyhow::Result;

use crate::exit::{Outcome, UsageError};
use crate::report::Style;

pub fn run(_a: &crate::cli::ProbeArgs, _style: &Style) -> Result<Outcome> {
    Err(UsageError("`probe` is not implemented yet".into()).into())
}
