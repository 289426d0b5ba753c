//! `claude-429 replay`: classify every captured failure, print a row each and a summary.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::capture::scan::{self, InputError, ScanOptions, ScanStats};
use crate::classify::{self, Verdict};
use crate::cli::ReplayArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::json::{JsonDoc, JsonLines};
use crate::report::table::FailureTable;
use crate::report::{Renderer, Style, Summary};

/// Expands every path up front so a missing one fails before any output.
pub fn expand_all(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if paths.is_empty() {
        use std::io::IsTerminal;
        if io::stdin().is_terminal() {
            return Err(UsageError(
                "no input: pass capture files or directories, or pipe a capture into `-`".into(),
            )
            .into());
        }
        return Ok(vec![PathBuf::from("-")]);
    }
    let mut files = Vec::new();
    for p in paths {
        files.extend(scan::expand(p)?);
    }
    if files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(UsageError("stdin (-) given more than once".into()).into());
    }
    Ok(files)
}

/// Scans `files` in order, calling `each` with every verdict; unreadable files are reported
/// on stderr and the run goes on. Returns the stats and whether any file failed.
pub fn scan_files(
    files: &[PathBuf],
    opts: &ScanOptions,
    each: &mut dyn FnMut(Verdict),
) -> (ScanStats, Vec<InputError>) {
    let mut stats = ScanStats::default();
    let mut errors = Vec::new();
    for f in files {
        let r = scan::scan_path(f, opts, &mut |c| {
            if let Some(v) = classify::classify(&c) {
                each(v);
            }
        });
        match r {
            Ok(s) => stats.merge(s),
            Err(e) => {
                eprintln!("claude-429: {e}");
                errors.push(e);
            }
        }
    }
    (stats, errors)
}

/// Prints the note about skipped chunks on stderr.
pub fn report_skipped(stats: &ScanStats) {
    if stats.skipped == 0 {
        return;
    }
    eprintln!(
        "claude-429: skipped {} chunk{} of input that could not be parsed:",
        stats.skipped,
        if stats.skipped == 1 { "" } else { "s" }
    );
    for s in stats.skipped_samples.iter().take(5) {
        eprintln!("  {}:{}: {}", s.source, s.line, s.reason);
    }
    if stats.skipped > 5 {
        eprintln!("  ... and {} more", stats.skipped - 5);
    }
}

pub fn run(a: &ReplayArgs, style: &Style) -> Result<Outcome> {
    let files = expand_all(&a.paths)?;
    let stdout = io::stdout();
    let out: Box<dyn Write> = if style.tty {
        Box::new(io::LineWriter::new(stdout.lock()))
    } else {
        Box::new(BufWriter::with_capacity(64 * 1024, stdout.lock()))
    };
    let mut renderer: Box<dyn Renderer> = if a.output.json {
        Box::new(JsonDoc::new(out, a.output.redact))
    } else if a.output.jsonl {
        Box::new(JsonLines::new(out, a.output.redact))
    } else {
        Box::new(FailureTable::new(
            out,
            style.clone(),
            a.output.redact,
            a.max_rows,
        ))
    };
    let opts = ScanOptions {
        failures_only: true,
    };
    let mut summary = Summary::default();
    let mut write_err: Option<io::Error> = None;
    let (stats, errors) = scan_files(&files, &opts, &mut |v| {
        if write_err.is_some() || (!a.only.is_empty() && !a.only.contains(&v.class)) {
            return;
        }
        summary.add(&v);
        if let Err(e) = renderer.verdict(&v) {
            write_err = Some(e);
        }
    });
    if let Some(e) = write_err {
        return Err(e.into());
    }
    summary.captures = stats.captures;
    summary.skipped = stats.skipped;
    summary.files = stats.files;
    renderer.finish(&summary)?;
    report_skipped(&stats);
    if !errors.is_empty() {
        return Err(UsageError(format!(
            "{} input{} could not be read",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ))
        .into());
    }
    if a.strict && stats.skipped > 0 {
        return Err(UsageError(format!(
            "--strict: {} chunk(s) could not be parsed",
            stats.skipped
        ))
        .into());
    }
    Ok(if summary.found_rate_limits() {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}
