//! Text for people: the replay list (one compact block per failure, then the summary by
//! class), the `fixes` list, and the house table that `limits` and `probe` use.
//!
//! Everything here fits [`Style::columns`]: prose is wrapped at word boundaries, identifiers
//! (paths, header names, class names) are never split, and colour codes never count as width
//! (tables are styled through comfy-table's own cell styling, so it measures them right).

use std::io::Write;

use comfy_table::{Attribute, Cell, ContentArrangement, Table};

use super::{Renderer, Style, Summary, visible_width};
use crate::classify::Verdict;
use crate::fixes::Fix;

/// The house table: a header with a rule under it, no borders and no rules between rows,
/// laid out to the width. Colour comes from the cells' own styling.
pub fn new_table(style: &Style, header: &[&str]) -> Table {
    let mut t = Table::new();
    // Only the header rule: `─` on a terminal, `-` elsewhere.
    let preset = if style.tty {
        "     ─             "
    } else {
        "     -             "
    };
    t.load_preset(preset)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.columns() as u16);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_header(
        header
            .iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    t
}

/// Prints a table line by line without the padding at the end of each line (a space past
/// the last column would make a full-width line wrap).
pub fn print_table(out: &mut dyn Write, t: &Table) -> std::io::Result<()> {
    for l in t.lines() {
        writeln!(out, "{}", trim_end_visible(&l))?;
    }
    Ok(())
}

/// `trim_end` that also looks behind the colour codes at the end of a line, keeping them.
fn trim_end_visible(line: &str) -> String {
    let mut rest = line.trim_end();
    let mut tail = Vec::new();
    while rest.ends_with('m') {
        let Some(start) = rest.rfind('\u{1b}') else {
            break;
        };
        let esc = &rest[start..];
        if !esc[1..esc.len() - 1]
            .chars()
            .all(|c| c == '[' || c == ';' || c.is_ascii_digit())
        {
            break;
        }
        tail.push(esc);
        rest = rest[..start].trim_end();
    }
    let mut out = rest.to_string();
    for esc in tail.iter().rev() {
        out.push_str(esc);
    }
    out
}

/// The replay list: a block per failure as it comes (up to `max_rows`, the rest only
/// counted), then the summary by class.
pub struct FailureTable<W: Write> {
    out: W,
    style: Style,
    redact_ids: bool,
    max_rows: usize,
    shown: usize,
    hidden: u64,
}

impl<W: Write> FailureTable<W> {
    pub fn new(out: W, style: Style, redact_ids: bool, max_rows: usize) -> Self {
        FailureTable {
            out,
            style,
            redact_ids,
            max_rows,
            shown: 0,
            hidden: 0,
        }
    }
}

/// One failure as lines: `where  status  class (confidence)` first (time and model after it
/// when they fit, else on their own line), then the evidence and the fix, indented.
pub fn failure_block(style: &Style, v: &Verdict, redact_ids: bool) -> Vec<String> {
    let r = |s: &str| crate::redact::apply(s, redact_ids);
    let width = style.columns();
    let mut lines = Vec::new();
    let place = format!("{}:{}", r(&v.source), v.line);
    let status = v.status.map_or_else(|| "-".into(), |s| s.to_string());
    let verdict = format!(
        "{status}  {} ({})",
        style.class(v.class),
        style.confidence(v.confidence)
    );
    let mut head = format!("{}  {verdict}", style.bold(&place));
    if visible_width(&head) > width {
        // A long path keeps its own line; the verdict goes under it.
        lines.push(style.bold(&place));
        head = format!("  {verdict}");
    }
    let mut when: Vec<String> = Vec::new();
    if let Some(t) = v.time.as_deref() {
        when.push(t.replace('T', " ").trim_end_matches('Z').to_string());
    }
    if let Some(m) = v.model.as_deref() {
        when.push(m.to_string());
    }
    if v.provider.is_cloud() {
        when.push(format!("on {}", v.provider));
    }
    let when = when.join(" · ");
    if when.is_empty() {
        lines.push(head);
    } else if visible_width(&head) + 2 + visible_width(&when) <= width {
        lines.push(format!("{head}  {}", style.dim(&when)));
    } else {
        lines.push(head);
        lines.push(format!("  {}", style.dim(&when)));
    }
    // `status N` repeats the first line; every other piece of evidence is shown.
    let status_line = v.status.map(|s| format!("status {s}"));
    for e in v
        .evidence
        .iter()
        .filter(|e| Some(e.as_str()) != status_line.as_deref())
    {
        lines.extend(style.wrap(&r(e), "  ", "      "));
    }
    let mut fix = format!("fix: {}", v.fix.short);
    if let Some(s) = v.retry_after_s {
        fix.push_str(&format!(" · retry after {s} s"));
    }
    // The fix is what the eye should land on: normal weight, its label bold (the class on
    // the first line carries the colour).
    lines.extend(
        style
            .wrap(&fix, "  ", "       ")
            .into_iter()
            .enumerate()
            .map(|(i, l)| match l.strip_prefix("  fix:") {
                Some(rest) if i == 0 => format!("  {}{rest}", style.bold("fix:")),
                _ => l,
            }),
    );
    lines
}

impl<W: Write> Renderer for FailureTable<W> {
    fn verdict(&mut self, v: &Verdict) -> std::io::Result<()> {
        if self.shown >= self.max_rows {
            self.hidden += 1;
            return Ok(());
        }
        self.shown += 1;
        for l in failure_block(&self.style, v, self.redact_ids) {
            writeln!(self.out, "{l}")?;
        }
        writeln!(self.out)
    }

    fn finish(&mut self, s: &Summary) -> std::io::Result<()> {
        if self.hidden > 0 {
            for l in self.style.wrap(
                &format!(
                    "... {} more failures not shown (--max-rows N, or --json / --jsonl for all)",
                    self.hidden
                ),
                "",
                "    ",
            ) {
                writeln!(self.out, "{}", self.style.dim(&l))?;
            }
            writeln!(self.out)?;
        }
        write_summary(&mut self.out, &self.style, s)
    }
}

/// Cuts a line to `max` characters (an ellipsis marks the cut).
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

/// The summary: counts, then one line per class (most frequent first) with the fix in a few
/// words, wrapped under itself; `fixes CLASS` has the rest.
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
        let text = if s.captures == 0 {
            "No captures found: nothing in the input looked like an API response or error."
                .to_string()
        } else if s.filtered_out > 0 {
            format!(
                "No failures of the classes asked for (--only); {} failure{} of other classes left out.",
                s.filtered_out,
                if s.filtered_out == 1 { "" } else { "s" }
            )
        } else {
            "No failures: every capture was a success.".to_string()
        };
        for l in style.wrap(&text, "", "") {
            writeln!(out, "{l}")?;
        }
        return Ok(());
    }
    let mut by: Vec<_> = s.by_class.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let name_w = by.iter().map(|(c, _)| c.as_str().len()).max().unwrap_or(0);
    let count_w = by
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let indent = " ".repeat(2 + name_w + 2 + count_w + 2);
    for (class, n) in by {
        // Each failure carries the fix chosen for its provider and evidence; a class whose
        // failures carry several says so instead of picking one for all.
        let short = match s.class_fix(*class) {
            (one, 0) => one.to_string(),
            (most, n) => format!(
                "{most} (+{n} other fix{}: see each failure)",
                if n == 1 { "" } else { "es" }
            ),
        };
        let pad = " ".repeat(name_w - class.as_str().len());
        let lead = format!("  {}{pad}  {n:>count_w$}  ", style.class(*class));
        // Wrap with a plain lead of the same width, then put the coloured one back.
        let plain_lead = " ".repeat(visible_width(&lead));
        let mut lines = style.wrap(&short, &plain_lead, &indent);
        if let Some(first) = lines.first_mut() {
            *first = format!("{lead}{}", first.get(plain_lead.len()..).unwrap_or(""));
        }
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    writeln!(
        out,
        "{}",
        style.dim("why, and what to do next: claude-429 fixes CLASS")
    )
}

/// `fixes CLASS`: one entry, every field, wrapped under its label.
pub fn write_fix(out: &mut dyn Write, style: &Style, f: &Fix) -> std::io::Result<()> {
    writeln!(out, "{} ({})", style.class(f.class), f.title)?;
    let waiting = if f.waiting_helps {
        "helps (honour retry-after / the reset)"
    } else {
        "never clears it"
    };
    for (label, text) in [
        ("evidence:", f.evidence),
        ("why:", f.why),
        ("first:", f.first),
        ("then:", f.then),
        ("waiting:", waiting),
    ] {
        write_labelled(out, style, label, text)?;
    }
    Ok(())
}

/// `  label:    text`, the text wrapped under itself and the label dimmed.
fn write_labelled(
    out: &mut dyn Write,
    style: &Style,
    label: &str,
    text: &str,
) -> std::io::Result<()> {
    let lead = format!("  {label:<10}");
    let lines = style.wrap(text, &lead, &" ".repeat(lead.len()));
    for (i, l) in lines.into_iter().enumerate() {
        if i == 0 {
            writeln!(
                out,
                "{}{}",
                style.dim(&lead),
                l.get(lead.len()..).unwrap_or("")
            )?;
        } else {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

/// `fixes`: every class as a short entry (evidence, first fix, then), a blank line between.
pub fn write_fixes(out: &mut dyn Write, style: &Style, all: &[&Fix]) -> std::io::Result<()> {
    for (i, f) in all.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{} ({})", style.class(f.class), f.title)?;
        for (label, text) in [
            ("evidence:", f.evidence),
            ("first:", f.first),
            ("then:", f.then),
        ] {
            write_labelled(out, style, label, text)?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.dim("one class in full (why, whether waiting helps): claude-429 fixes CLASS")
    )
}
