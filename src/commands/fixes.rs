//! `claude-429 fixes [CLASS]`: the decision table, or one row of it.

use std::io::Write;

use anyhow::Result;

use crate::cli::FixesArgs;
use crate::exit::Outcome;
use crate::fixes::{self, TABLE};
use crate::report::Style;
use crate::report::table::new_table;

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
        writeln!(out, "{} ({})", style.bold(f.class.as_str()), f.title)?;
        writeln!(out, "  evidence: {}", f.evidence)?;
        writeln!(out, "  why:      {}", f.why)?;
        writeln!(out, "  first:    {}", f.first)?;
        writeln!(out, "  then:     {}", f.then)?;
        writeln!(
            out,
            "  waiting:  {}",
            if f.waiting_helps {
                "helps (honour retry-after / the reset)"
            } else {
                "never clears it"
            }
        )?;
        return Ok(Outcome::Clean);
    }
    let mut t = new_table(style, &["class", "evidence", "first fix", "then"]);
    for f in rows {
        t.add_row(vec![
            style.class(f.class),
            f.evidence.to_string(),
            f.first.to_string(),
            f.then.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    Ok(Outcome::Clean)
}
