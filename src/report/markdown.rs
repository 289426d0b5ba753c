//! Markdown for a ticket or an incident document: the `diagnose` report with headings, a
//! summary table, one section per cause and per finding, and the timeline as a text chart.

use std::io::{self, Write};

use crate::diagnose::{Diagnosis, thousands};
use crate::report::diagnose::{
    chart, chart_title, headline, no_failures, seconds_range, window_line,
};

/// Writes the diagnosis as markdown.
pub fn diagnosis(out: &mut dyn Write, d: &Diagnosis) -> io::Result<()> {
    let s = &d.summary;
    writeln!(out, "# Rate-limit incident report")?;
    writeln!(out)?;
    writeln!(out, "{}.", headline(d))?;
    if let Some(w) = window_line(d) {
        writeln!(out)?;
        writeln!(out, "_{}_", escape(&w))?;
    }
    writeln!(out)?;

    writeln!(out, "## Summary")?;
    writeln!(out)?;
    writeln!(out, "| | |")?;
    writeln!(out, "|---|---|")?;
    let row = |out: &mut dyn Write, k: &str, v: String| writeln!(out, "| {k} | {} |", cell(&v));
    row(out, "captures read", thousands(s.counts.captures))?;
    row(out, "captures in the window", thousands(s.in_window))?;
    row(out, "successes", thousands(s.successes))?;
    row(out, "failures", thousands(s.counts.failures))?;
    row(out, "rate-limit failures", thousands(s.rate_limit_failures))?;
    if let (Some(a), Some(b)) = (&s.first, &s.last) {
        row(out, "first / last", format!("{a} / {b}"))?;
    }
    if let Some(c) = d.causes.first() {
        row(
            out,
            "top cause",
            format!("{} ({}, {})", c.class, c.title, c.confidence.as_str()),
        )?;
    }
    row(out, "files", s.counts.files.to_string())?;
    if s.counts.skipped > 0 {
        row(
            out,
            "chunks skipped (unparsable)",
            thousands(s.counts.skipped),
        )?;
    }
    writeln!(out)?;

    writeln!(out, "## Ranked causes")?;
    writeln!(out)?;
    if d.causes.is_empty() {
        writeln!(out, "{}", no_failures(d))?;
        writeln!(out)?;
    }
    for c in &d.causes {
        writeln!(
            out,
            "### {}. `{}`: {} ({}, {} failure{}, {:.0}%)",
            c.rank,
            c.class,
            escape(c.title),
            c.confidence.as_str(),
            thousands(c.count),
            if c.count == 1 { "" } else { "s" },
            c.share * 100.0
        )?;
        writeln!(out)?;
        writeln!(out, "- **Why:** {}", escape(&c.why))?;
        match (&c.first_seen, &c.last_seen) {
            (Some(a), Some(b)) => writeln!(out, "- **Seen:** {a} to {b}")?,
            _ => writeln!(out, "- **Seen:** (no timestamps)")?,
        }
        if let Some(r) = c.retry_after_s {
            writeln!(out, "- **Retry after:** {}", seconds_range(r))?;
        }
        writeln!(out, "- **Evidence:**")?;
        for e in &c.evidence {
            writeln!(out, "  - {}", code(e))?;
        }
        if !c.examples.is_empty() {
            writeln!(out, "- **Examples:**")?;
            for e in &c.examples {
                let mut l = code(&e.at);
                if let Some(st) = e.status {
                    l.push_str(&format!(" status {st}"));
                }
                if let Some(r) = &e.request_id {
                    l.push_str(&format!(", {}", code(r)));
                }
                writeln!(out, "  - {l}")?;
            }
        }
        writeln!(out, "- **Fix:** {}", escape(c.fix.first))?;
        writeln!(out, "- **Then:** {}", escape(c.fix.then))?;
        for o in &c.other_fixes {
            writeln!(
                out,
                "- **Also** ({} failure{}, {}): {}",
                o.count,
                if o.count == 1 { "" } else { "s" },
                o.provider,
                escape(o.fix.first)
            )?;
        }
        writeln!(out, "- **Ranked by:** {}", escape(&c.rank_reason))?;
        writeln!(out)?;
    }

    let rows = chart(&d.timeline, true, 100);
    if !rows.is_empty() {
        writeln!(out, "## Timeline")?;
        writeln!(out)?;
        writeln!(out, "{}", escape(&chart_title(&d.timeline, true)))?;
        writeln!(out)?;
        if let Some(n) = super::diagnose::untimed_note(d) {
            writeln!(out, "{}", escape(&n))?;
            writeln!(out)?;
        }
        writeln!(out, "```text")?;
        for r in rows {
            writeln!(out, "{r}")?;
        }
        writeln!(out, "```")?;
        writeln!(out)?;
    }

    writeln!(out, "## Client-behaviour findings")?;
    writeln!(out)?;
    if d.findings.is_empty() {
        writeln!(out, "None seen.")?;
        writeln!(out)?;
    }
    for f in &d.findings {
        writeln!(out, "### `{}`", f.kind.as_str())?;
        writeln!(out)?;
        writeln!(out, "{}", escape(&f.detail))?;
        writeln!(out)?;
        for e in &f.evidence {
            writeln!(out, "- {}", code(e))?;
        }
        writeln!(out)?;
        writeln!(out, "**What to do:** {}", escape(f.advice))?;
        writeln!(out)?;
    }

    if let Some(live) = &d.live {
        writeln!(out, "## Live comparison")?;
        writeln!(out)?;
        super::live::write_markdown(out, live, &escape)?;
    }
    writeln!(out, "---")?;
    writeln!(
        out,
        "_Generated by claude-429 {} (`claude-429 diagnose --format markdown`)._",
        env!("CARGO_PKG_VERSION")
    )?;
    Ok(())
}

/// Inline code that survives backticks inside.
fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Escapes the characters that would start markdown markup mid-text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '<' | '>' | '[' | ']' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A table cell: pipes escaped, newlines flattened.
fn cell(s: &str) -> String {
    escape(&s.replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a_b *c* [d] e|f"), "a\\_b \\*c\\* \\[d\\] e\\|f");
        assert_eq!(code("x`y"), "`` x`y ``");
    }
}
