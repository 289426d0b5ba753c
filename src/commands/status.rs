//! `claude-429 status`: one line of live headroom from the newest records.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;
use crate::status;

pub fn run(a: &StatusArgs, style: &Style) -> Result<Outcome> {
    let mut model = a.model.clone();
    let dir: PathBuf = match &a.path {
        Some(p) if p.as_os_str() == "-" => {
            // Claude Code's statusline JSON: use the model it names.
            let mut input = Vec::new();
            let _ = std::io::stdin()
                .lock()
                .take(1 << 20)
                .read_to_end(&mut input);
            if model.is_none() {
                model = status::statusline_model(&input);
            }
            a.dir.clone()
        }
        Some(p) => p.clone(),
        None => a.dir.clone(),
    };
    let files = if dir.exists() {
        status::files_for(&dir)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", dir.display())))?
    } else {
        Vec::new()
    };
    let st = status::compute(&files, a.minutes, model.as_deref(), chrono::Utc::now())
        .map_err(|e| UsageError(format!("cannot read {}: {e}", dir.display())))?;
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&st)?)?;
    } else if files.is_empty() {
        writeln!(out, "claude-429: no records in {}", dir.display())?;
    } else {
        writeln!(out, "{}", status::line(&st, style.color))?;
    }
    Ok(Outcome::Clean)
}
