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

/// Columns of the failure table.
const COLUMNS: [&str; 5] = ["where / time / model", "status", "class", "evidence", "fix"];

/// Display width of a cell line, ignoring ANSI colour codes.
fn console_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        match (in_esc, c) {
            (false, '\u{1b}') => in_esc = true,
            (true, 'm') => in_esc = false,
            (true, _) => {}
            _ => n += 1,
        }
    }
    n
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
        let mut place = format!("{}:{}", v.source, v.line);
        if let Some(t) = v.time.as_deref() {
            place.push('\n');
            place.push_str(t.replace('T', " ").trim_end_matches('Z'));
        }
        if let Some(m) = v.model.as_deref() {
            place.push('\n');
            place.push_str(m);
        }
        if v.provider.is_cloud() {
            place.push_str(&format!("\non {}", v.provider));
        }
        self.rows.push(vec![
            place,
            v.status.map_or_else(|| "-".into(), |s| s.to_string()),
            format!(
                "{}\n{}",
                self.style.class(v.class),
                self.style.confidence(v.confidence)
            ),
            evidence,
            crate::fixes::short_for(v.class, v.provider, None).to_string(),
        ]);
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> std::io::Result<()> {
        if !self.rows.is_empty() {
            let keep: Vec<usize> = (0..COLUMNS.len()).filter(|_| true).collect();
            let header: Vec<&str> = keep.iter().map(|&i| COLUMNS[i]).collect();
            // Evidence gets the room: every other column is as wide as its content (capped).
            let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for row in &self.rows {
                for (k, &i) in keep.iter().enumerate() {
                    let w = row[i].lines().map(console_width).max().unwrap_or(0);
                    widths[k] = widths[k].max(w);
                }
            }
            let mut t = new_table(&self.style, &header);
            for row in self.rows.drain(..) {
                t.add_row(keep.iter().map(|&i| row[i].clone()).collect::<Vec<_>>());
            }
            for (k, h) in header.iter().enumerate() {
                let cap = match *h {
                    "where / time / model" => 28,
                    "fix" => 22,
                    "evidence" => continue,
                    _ => 16,
                };
                if let Some(col) = t.column_mut(k) {
                    // Absolute widths include one space of padding on each side.
                    col.set_constraint(comfy_table::ColumnConstraint::Absolute(
                        comfy_table::Width::Fixed(widths[k].min(cap) as u16 + 2),
                    ));
                }
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

/// Cuts a line to `max` characters (an ellipsis marks the cut), for table cells.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    if out.ends_with('"') {
        out.pop();
    }
    out.push_str("...");
    out
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
    // Bedrock and Vertex failures get their cloud's fixes, never Anthropic's.
    let clouds: Vec<_> = s.by_provider.keys().filter(|p| p.is_cloud()).collect();
    for (class, n) in by {
        let f = fixes::for_class(*class);
        let (why, first) = match clouds.as_slice() {
            [] => (f.why.to_string(), f.first.to_string()),
            [p] if s.by_provider.len() == 1 => (
                format!("On {p}: the cloud's quotas apply, not Anthropic's tiers."),
                fixes::for_verdict(*class, **p, None).0.to_string(),
            ),
            _ => (
                f.why.to_string(),
                "Differs by provider: see each failure's fix above.".to_string(),
            ),
        };
        t.add_row(vec![style.class(*class), n.to_string(), why, first]);
    }
    writeln!(out, "{t}")
}
