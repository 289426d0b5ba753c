//! Under GitHub Actions (`GITHUB_ACTIONS=true`): `::error`/`::warning` workflow annotations
//! and the markdown appended to `$GITHUB_STEP_SUMMARY`. `limits --check` annotates each drift
//! and failed floor; every failing exit of `limits --check`, `replay` and `diagnose` (an API
//! error, an unreadable lock file or input, failures found) gets an `::error` and a summary
//! line. A summary that cannot be written is a `::warning`, never a failure.

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
            "::{level} title={},file={}::{}",
            escape_prop("claude-429 limits drift"),
            escape_prop(&r.lock),
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
            "::error title={},file={}::{}",
            escape_prop("claude-429 limits floor"),
            escape_prop(&r.lock),
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

/// True when running as a GitHub Actions step.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Prints one workflow command line: on stdout, where the runner reads it, or on stderr with
/// `--json` so stdout stays one JSON document (the runner reads both).
fn print_command(line: &str, json: bool) {
    if json {
        crate::errln!("{line}");
    } else {
        let mut out = crate::output::stdout();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// One `::error` annotation, with `file=` when a file is involved.
pub fn error_line(title: &str, file: Option<&str>, message: &str) -> String {
    match file {
        Some(f) => format!(
            "::error title={},file={}::{}",
            escape_prop(title),
            escape_prop(f),
            escape_data(message)
        ),
        None => format!(
            "::error title={}::{}",
            escape_prop(title),
            escape_data(message)
        ),
    }
}

/// Appends markdown to `$GITHUB_STEP_SUMMARY` when it is set. A summary that cannot be
/// written is reported as a `::warning` and on stderr; the run's result does not change.
pub fn append_summary(md: &str, json: bool) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(md.as_bytes()));
    if let Err(e) = written {
        let msg = format!(
            "cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        );
        print_command(
            &format!(
                "::warning title={}::{}",
                escape_prop("claude-429 step summary"),
                escape_data(&msg)
            ),
            json,
        );
        crate::errln!("claude-429: warning: {msg}");
    }
}

/// Prints the annotations and appends the summary of a `limits --check` that ran.
pub fn emit(r: &CheckReport, json: bool) {
    for line in annotations(r) {
        print_command(&line, json);
    }
    append_summary(&summary(r), json);
}

/// What an exit status means, for an annotation's title.
fn exit_meaning(code: u8) -> &'static str {
    match code {
        1 => "failures found",
        2 => "usage error or unreadable input",
        3 => "API or network error",
        _ => "failed",
    }
}

/// A command that ends with an error (exit 2 or 3): an `::error` annotation naming the exit
/// status and the error (keys redacted), with `file=` when a file is involved, and a line in
/// the step summary.
pub fn command_failed(command: &str, file: Option<&str>, err: &anyhow::Error, json: bool) {
    let code = crate::api::error::exit_code(err) as u8;
    let message = crate::redact::keys(&format!("{err:#}"));
    let title = format!("claude-429 {command}: {} (exit {code})", exit_meaning(code));
    print_command(&error_line(&title, file, &message), json);
    append_summary(
        &format!("### {}\n\n{}\n\n", escape_md(&title), escape_md(&message)),
        json,
    );
}

/// `replay` or `diagnose` found rate-limit failures (exit 1): one `::error` with the counts
/// by class (`file=` when exactly one file was read) and the same line in the step summary.
pub fn failures_found(
    command: &str,
    file: Option<&str>,
    by_class: &std::collections::BTreeMap<crate::classify::Class, u64>,
    json: bool,
) {
    let total: u64 = by_class.values().sum();
    let counts: Vec<String> = by_class
        .iter()
        .map(|(c, n)| format!("{n} {}", c.as_str()))
        .collect();
    let message = format!(
        "{total} failure{} found: {}",
        if total == 1 { "" } else { "s" },
        counts.join(", ")
    );
    let title = format!("claude-429 {command}: {} (exit 1)", exit_meaning(1));
    print_command(&error_line(&title, file, &message), json);
    append_summary(
        &format!(
            "### {}\n\n{}{}\n\n",
            escape_md(&title),
            file.map(|f| format!("`{}`: ", escape_md(f)))
                .unwrap_or_default(),
            escape_md(&message)
        ),
        json,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_prop("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn error_lines_carry_the_file_when_given() {
        assert_eq!(
            error_line("t: x", Some("a,b.json"), "50%\nmore"),
            "::error title=t%3A x,file=a%2Cb.json::50%25%0Amore"
        );
        assert_eq!(error_line("t", None, "m"), "::error title=t::m");
    }
}
