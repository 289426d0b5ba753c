//! `claude-429 status`: one line of live headroom from the newest records; with `-`, Claude
//! Code's statusline (its JSON on stdin, the records and the limit-hit history).

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;
use crate::status;

pub fn run(a: &StatusArgs, style: &Style) -> Result<Outcome> {
    let mut model = a.model.clone();
    let mut payload = None;
    let dir: PathBuf = match &a.path {
        Some(p) if p.as_os_str() == "-" => {
            // Claude Code's statusline JSON: its windows and the model it names.
            let mut input = Vec::new();
            let _ = std::io::stdin()
                .lock()
                .take(1 << 20)
                .read_to_end(&mut input);
            let p = status::parse_payload(&input);
            if model.is_none() {
                model.clone_from(&p.model);
            }
            payload = Some(p);
            a.dir.clone()
        }
        Some(p) => p.clone(),
        None => a.dir.clone(),
    };
    let files = if dir.exists() {
        match status::files_for(&dir) {
            Ok(f) => f,
            // A statusline must not fail: an unreadable directory shows as no records.
            Err(_) if payload.is_some() => Vec::new(),
            Err(e) => return Err(UsageError(format!("cannot read {}: {e}", dir.display())).into()),
        }
    } else {
        Vec::new()
    };
    let now = chrono::Utc::now();
    let mut st = match status::compute(&files, a.minutes, model.as_deref(), now) {
        Ok(st) => st,
        Err(_) if payload.is_some() => status::compute(&[], a.minutes, None, now)?,
        Err(e) => return Err(UsageError(format!("cannot read {}: {e}", dir.display())).into()),
    };
    let mut out = std::io::stdout().lock();
    if let Some(p) = payload {
        let stop =
            crate::history::resolve(a.history.as_deref()).and_then(|h| crate::history::newest(&h));
        if a.json {
            st.last_stop = stop;
            writeln!(out, "{}", serde_json::to_string_pretty(&st)?)?;
        } else {
            let line = status::statusline(
                &p,
                &st,
                stop.as_ref(),
                now,
                usize::from(style.width),
                style.color,
            );
            writeln!(out, "{line}")?;
        }
    } else if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&st)?)?;
    } else if files.is_empty() {
        writeln!(out, "claude-429: no records in {}", dir.display())?;
    } else {
        writeln!(out, "{}", status::line(&st, style.color))?;
    }
    Ok(Outcome::Clean)
}
