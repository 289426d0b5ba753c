//! `claude-429 fixes [CLASS]`: the decision table, or one row of it.

use std::io::Write;

use anyhow::Result;

use crate::cli::FixesArgs;
use crate::exit::Outcome;
use crate::fixes::{self, TABLE};
use crate::report::Style;
use crate::report::table;

pub fn run(a: &FixesArgs, style: &Style) -> Result<Outcome> {
    let rows: Vec<&fixes::Fix> = match a.class {
        Some(c) => vec![fixes::for_class(c)],
        None => TABLE.iter().collect(),
    };
    let mut out = crate::output::stdout().lock();
    if a.json {
        let v = if a.class.is_some() {
            serde_json::to_value(rows[0])?
        } else {
            serde_json::to_value(&rows)?
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(Outcome::Clean);
    }
    if let [f] = rows.as_slice() {
        table::write_fix(&mut out, style, f)?;
    } else {
        table::write_fixes(&mut out, style, &rows)?;
    }
    Ok(Outcome::Clean)
}
