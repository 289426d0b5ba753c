//! `claude-429 history`: the limit-hit history as a table and a summary, or JSON.

use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::HistoryArgs;
use crate::exit::{Outcome, UsageError};
use crate::history::{self, Entry};
use crate::report::Style;

/// `--since`: `30m`, `2h`, `7d`, `1w`, or a time as `diagnose --since` takes it.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if let Some(d) = crate::when::relative(t) {
        return now.checked_sub_signed(d);
    }
    crate::capture::object::parse_time_str(t)
}

#[derive(Serialize)]
struct ClassCount {
    class: String,
    count: usize,
    last: String,
}

#[derive(Serialize)]
struct Summary {
    total: usize,
    first: Option<String>,
    last: Option<String>,
    by_class: Vec<ClassCount>,
}

#[derive(Serialize)]
struct Out<'a> {
    path: String,
    entries: &'a [Entry],
    summary: Summary,
}

/// Counts hits: a hook's stop that `record` also saw (`record_ts`) is the same hit.
fn summarise(entries: &[Entry]) -> Summary {
    let mut by: Vec<ClassCount> = Vec::new();
    let hits: Vec<&Entry> = entries.iter().filter(|e| e.record_ts.is_none()).collect();
    for e in &hits {
        let what = e.what().to_string();
        match by.iter_mut().find(|c| c.class == what) {
            Some(c) => {
                c.count += 1;
                c.last.clone_from(&e.ts);
            }
            None => by.push(ClassCount {
                class: what,
                count: 1,
                last: e.ts.clone(),
            }),
        }
    }
    by.sort_by(|a, b| b.count.cmp(&a.count).then(a.class.cmp(&b.class)));
    Summary {
        total: hits.len(),
        first: entries.first().map(|e| e.ts.clone()),
        last: entries.last().map(|e| e.ts.clone()),
        by_class: by,
    }
}

pub fn run(a: &HistoryArgs, style: &Style) -> Result<Outcome> {
    let Some(path) = history::resolve(a.history.as_deref()) else {
        return Err(UsageError(format!(
            "the history is off ({}=off) or no home directory is known; give --history PATH",
            history::ENV
        ))
        .into());
    };
    let now = Utc::now();
    let since = match &a.since {
        Some(s) => Some(parse_since(s, now).ok_or_else(|| {
            UsageError(format!(
                "--since {s:?}: expected 30m, 2h, 7d, 1w or a time like 2026-11-20T14:00:00Z"
            ))
        })?),
        None => None,
    };
    let mut entries = history::read_all(&path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    if let Some(since) = since {
        entries.retain(|e| e.time().is_some_and(|t| t >= since));
    }
    if let Some(n) = a.last {
        let skip = entries.len().saturating_sub(n);
        entries.drain(..skip);
    }
    let summary = summarise(&entries);
    let mut out = crate::output::stdout().lock();
    if a.json {
        let o = Out {
            path: path.display().to_string(),
            entries: &entries,
            summary,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&o)?)?;
        return Ok(Outcome::Clean);
    }
    if entries.is_empty() {
        writeln!(out, "no limit hits in {}", path.display())?;
        return Ok(Outcome::Clean);
    }
    let mut t = crate::report::table::new_table(
        style,
        &["time", "from", "class", "status", "model", "fix"],
    );
    for e in &entries {
        let time = e
            .time()
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| e.ts.clone());
        let class = match (&e.class, &e.confidence) {
            (Some(c), Some(conf)) => format!("{c} ({conf})"),
            _ => e.what().to_string(),
        };
        t.add_row([
            time,
            e.source.clone(),
            class,
            e.status.map(|s| s.to_string()).unwrap_or_default(),
            e.model.clone().unwrap_or_default(),
            e.fix.clone().unwrap_or_default(),
        ]);
    }
    crate::report::table::print_table(&mut out, &t)?;
    let parts: Vec<String> = summary
        .by_class
        .iter()
        .map(|c| format!("{} {}", c.count, c.class))
        .collect();
    writeln!(
        out,
        "{} limit hit{} in {}: {}",
        summary.total,
        if summary.total == 1 { "" } else { "s" },
        path.display(),
        parts.join(", ")
    )?;
    Ok(Outcome::Clean)
}
