//! `claude-429 diagnose` (not implemented yet).

use anyhow::Result;

use crate::exit::{Outcome, UsageError};
use crate::report::Style;

pub fn run(_a: &crate::cli::DiagnoseArgs, _style: &Style) -> Result<Outcome> {
    Err(UsageError("`diagnose` is not implemented yet".into()).into())
}
