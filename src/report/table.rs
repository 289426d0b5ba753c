//! Tables for people: one row per failure, then the summary by class with each class's fix.

use std::io::Write;

use comfy_table::{Cell, ContentArrangement, Table, presets};

use super::{Renderer, Style, Summary};
use crate::classify::Verdict;
use crate::fixes;

/// A table with the house style: no outer borders, wrapped to the terminal width.
pub fn new_table(style: &Style, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width);
    if !style.tty {
        t.load_preset(presets::ASCII_HORIZONTAL_ONLY);
    }
    t.set_header(header.iter().map(|h| Cell::new(style.bold(h))));
    t
}

/// The replay table: rows are kept up to `max_rows`, the rest only counted.
pub struct FailureTable<W: Write> {
    out: W,
    style: Style,
    redact_ids: bool,
    max_rows: usize,
    rows: Vec<Vec<String>>,
    hidden: u64,
}

impl<W: Write> FailureTable<W> {
    pub fn new(out: W, style: Style, redact_ids: bool, max_rows: usize) -> Self {
        FailureTable {
            out,
            style,
            redact_ids,
            max_rows,
            rows: Vec::new(),
            hidden: 0,
        }
    }
}

impl<W: Write> Renderer for FailureTable<W> {
    fn verdict(&mut self, v: &Verdict) -> std::io::Result<()> {
        if self.rows.len() >= self.max_rows {
            self.hidden += 1;
            return Ok(());
        }
        let r = |s: &str| crate::redact::apply(s, self.redact_ids);
        let mut evidence = v
            .evidence
            .iter()
            .map(|e| r(e))
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(s) = v.retry_after_s {
            evidence.push_str(&format!("\nretry after {s} s"));
        }
        self.rows.push(vec![
            format!("{}:{}", v.source, v.line),
            v.time
                .as_deref()
                .map(|t| t.replace('T', " ").trim_end_matches('Z').to_string())
                .unwrap_or_default(),
            v.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            v.model.clone().unwrap_or_default(),
            self.style.class(v.class),
            self.style.confidence(v.confidence),
            evidence,
            v.fix.first.to_string(),
        ]);
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> std::io::Result<()> {
        if !self.rows.is_empty() {
            let mut t = new_table(
                &self.style,
                &[
                    "where",
                    "time",
                    "status",
                    "model",
                    "class",
                    "confidence",
                    "evidence",
                    "fix",
                ],
            );
            for row in self.rows.drain(..) {
                t.add_row(row);
            }
            writeln!(self.out, "{t}")?;
            if self.hidden > 0 {
                writeln!(
                    self.out,
                    "{}",
                    self.style.dim(&format!(
                        "... {} more failures not shown (--max-rows, or --json / --jsonl for all)",
                        self.hidden
                    ))
                )?;
            }
            writeln!(self.out)?;
        }
        write_summary(&mut self.out, &self.style, s)
    }
}

/// The summary lines and the by-class table with fixes.
pub fn write_summary(out: &mut dyn Write, style: &Style, s: &Summary) -> std::io::Result<()> {
    let files = if s.files == 1 { "file" } else { "files" };
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{} failure{} in {} capture{} ({} {files})",
            s.failures,
            if s.failures == 1 { "" } else { "s" },
            s.captures,
            if s.captures == 1 { "" } else { "s" },
            s.files
        ))
    )?;
    if s.by_class.is_empty() {
        if s.captures == 0 {
            writeln!(
                out,
                "No captures found: nothing in the input looked like an API response or error."
            )?;
        } else {
            writeln!(out, "No failures: every capture was a success.")?;
        }
        return Ok(());
    }
    let mut t = new_table(style, &["class", "count", "why", "first fix"]);
    let mut by: Vec<_> = s.by_class.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (class, n) in by {
        let f = fixes::for_class(*class);
        t.add_row(vec![
            style.class(*class),
            n.to_string(),
            f.why.to_string(),
            f.first.to_string(),
        ]);
    }
    writeln!(out, "{t}")
}
