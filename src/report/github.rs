//! `limits --check` under GitHub Actions: `::error`/`::warning` workflow annotations for
//! each drift and failed floor, and the markdown appended to `$GITHUB_STEP_SUMMARY`.

use std::io::Write;

use crate::limits::{CheckReport, old_new};

/// Escapes the message of a workflow command (`%`, CR, LF), as @actions/core does.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn escape_md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The annotation lines: `::error` for a lower or removed limit and a failed floor,
/// `::warning` for a higher or added one.
pub fn annotations(r: &CheckReport) -> Vec<String> {
    let mut lines = Vec::new();
    for c in &r.changes {
        let level = if c.change.is_worse() {
            "error"
        } else {
            "warning"
        };
        lines.push(format!(
            "::{level} title={}::{}",
            escape_prop("claude-429 limits drift"),
            escape_data(&format!(
                "{} {}: {} since {}",
                c.group_label(),
                c.limiter,
                c.describe(),
                r.lock
            ))
        ));
    }
    for f in r.failed_floors() {
        lines.push(format!(
            "::error title={}::{}",
            escape_prop("claude-429 limits floor"),
            escape_data(&format!(
                "--min {}: {}",
                f.floor,
                f.reason.as_deref().unwrap_or("failed")
            ))
        ));
    }
    lines
}

/// The markdown appended to $GITHUB_STEP_SUMMARY.
pub fn summary(r: &CheckReport) -> String {
    let mut md = String::new();
    if !r.drift {
        md.push_str(&format!(
            "### claude-429 limits: no drift\n\n{} limits match `{}` (taken {}).\n\n",
            r.compared,
            escape_md(&r.lock),
            r.lock_taken_at
        ));
        return md;
    }
    md.push_str(&format!(
        "### claude-429 limits: drift against `{}`\n\nLock taken {}.\n\n",
        escape_md(&r.lock),
        r.lock_taken_at
    ));
    if !r.changes.is_empty() {
        md.push_str("| group | limiter | old | new | change |\n|---|---|--:|--:|---|\n");
        for c in &r.changes {
            md.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                escape_md(&c.group_label()),
                escape_md(&c.limiter),
                old_new(c.change, c.old, true),
                old_new(c.change, c.new, false),
                if c.change.is_worse() {
                    format!("**{}**", c.change.as_str())
                } else {
                    c.change.as_str().to_string()
                }
            ));
        }
        md.push('\n');
    }
    let failed: Vec<_> = r.failed_floors().collect();
    if !failed.is_empty() {
        md.push_str("| floor (`--min`) | result |\n|---|---|\n");
        for f in failed {
            md.push_str(&format!(
                "| `{}` | {} |\n",
                escape_md(&f.floor),
                escape_md(f.reason.as_deref().unwrap_or("failed"))
            ));
        }
        md.push('\n');
    }
    md
}

/// Prints the annotations (on stdout, where the runner reads them; on stderr with --json so
/// stdout stays one JSON document) and appends the summary when $GITHUB_STEP_SUMMARY is set.
pub fn emit(r: &CheckReport, json: bool) -> anyhow::Result<()> {
    for line in annotations(r) {
        if json {
            crate::errln!("{line}");
        } else {
            let _ = writeln!(crate::output::stdout(), "{line}");
        }
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| {
                crate::exit::UsageError(format!(
                    "cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
                    std::path::Path::new(&path).display()
                ))
            })?;
        f.write_all(summary(r).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_prop("a:b,c"), "a%3Ab%2Cc");
    }
}
