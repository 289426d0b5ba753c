//! `claude-429 replay`: classify every captured failure, print a row each and a summary.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Result;

use std::sync::Arc;

use crate::capture::Capture;
use crate::capture::scan::{self, Engine, Handler, InputError, Light, ScanOptions, ScanStats};
use crate::classify::{self, Verdict};
use crate::cli::ReplayArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::json::{JsonDoc, JsonLines};
use crate::report::table::FailureTable;
use crate::report::{Renderer, Style, Summary};

/// The files to read and how many paths below the directories given could not be read.
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub unreadable: usize,
}

/// Expands every path up front so a missing one fails before any output.
pub fn expand_all(paths: &[PathBuf]) -> Result<Inputs> {
    if paths.is_empty() {
        use std::io::IsTerminal;
        if io::stdin().is_terminal() {
            return Err(UsageError(
                "no input: pass capture files or directories, or pipe a capture into `-`".into(),
            )
            .into());
        }
        return Ok(Inputs {
            files: vec![PathBuf::from("-")],
            unreadable: 0,
        });
    }
    let mut files = Vec::new();
    let mut unreadable = 0;
    for p in paths {
        // A missing or unreadable path is named and the run goes on with the others; the exit
        // status is 2 at the end (`unreadable_inputs`).
        match scan::expand(p) {
            Ok((f, u)) => {
                files.extend(f);
                unreadable += u;
            }
            Err(e) => {
                crate::errln!(
                    "claude-429: {}",
                    crate::redact::keys(&crate::report::input_error(&e))
                );
                unreadable += 1;
            }
        }
    }
    if files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(UsageError("stdin (-) given more than once".into()).into());
    }
    Ok(Inputs { files, unreadable })
}

/// The usage error (exit 2) a run ends with when `n` inputs could not be read.
pub fn unreadable_inputs(n: usize) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    Err(UsageError(format!(
        "{n} input{} could not be read",
        if n == 1 { "" } else { "s" }
    ))
    .into())
}

/// Classifies captures in the scan's workers; plain successes are only counted.
struct Classify;

impl Handler for Classify {
    type Item = Verdict;
    fn plain_success(&self, _: &Arc<str>, _: u64, _: &[u8]) -> Light<Verdict> {
        Light::Count
    }
    fn capture(&self, c: Capture) -> Option<Verdict> {
        classify::classify(&c)
    }
}

/// Scans `files` in order, calling `each` with every verdict; unreadable files are reported
/// on stderr and the run goes on. Returns the stats and whether any file failed.
pub fn scan_files(
    files: &[PathBuf],
    opts: &ScanOptions,
    each: &mut dyn FnMut(Verdict),
) -> (ScanStats, Vec<InputError>) {
    scan_files_with(files, opts, &Engine::auto(), each)
}

/// [`scan_files`] with an explicit engine (threads, progress bar). Verdicts arrive in input
/// order whatever the number of workers: big JSON Lines files are parsed and classified in
/// parallel chunks and put back in order before `each` sees them.
pub fn scan_files_with(
    files: &[PathBuf],
    opts: &ScanOptions,
    engine: &Engine,
    each: &mut dyn FnMut(Verdict),
) -> (ScanStats, Vec<InputError>) {
    let mut stats = ScanStats::default();
    let mut errors = Vec::new();
    for f in files {
        match scan::scan_path_with(f, opts, engine, &Classify, each) {
            Ok(s) => stats.merge(s),
            Err(e) => {
                crate::errln!(
                    "claude-429: {}",
                    crate::redact::keys(&crate::report::input_error(&e))
                );
                errors.push(e);
            }
        }
    }
    if let Some(pb) = &engine.progress {
        pb.finish_and_clear();
    }
    (stats, errors)
}

/// Inputs at least this big get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 256 * 1024 * 1024;

/// A progress bar on stderr for long runs: only when stderr is a terminal, never under CI
/// (`CI` set to anything but empty, `0` or `false`), and only when the files add up to
/// [`PROGRESS_MIN_BYTES`] (stdin's size is unknown: no bar).
pub fn progress_bar(files: &[PathBuf], style: &Style) -> Option<indicatif::ProgressBar> {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if !style.stderr_tty || ci || files.iter().any(|f| f.as_os_str() == "-") {
        return None;
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    if total < PROGRESS_MIN_BYTES {
        return None;
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(s) = indicatif::ProgressStyle::with_template(
        "{spinner} {bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} eta {eta}",
    ) {
        pb.set_style(s);
    }
    Some(pb)
}

/// Prints the note about skipped chunks on stderr.
pub fn report_skipped(stats: &ScanStats) {
    if stats.skipped == 0 {
        return;
    }
    crate::errln!(
        "claude-429: skipped {} chunk{} of input that could not be parsed:",
        stats.skipped,
        if stats.skipped == 1 { "" } else { "s" }
    );
    for s in stats.skipped_samples.iter().take(5) {
        crate::errln!("  {}:{}: {}", s.source, s.line, s.reason);
    }
    if stats.skipped > 5 {
        crate::errln!("  ... and {} more", stats.skipped - 5);
    }
}

/// The one file a run reads, for an annotation's `file=` (none for stdin, a directory or
/// several paths).
pub fn single_file(paths: &[PathBuf]) -> Option<String> {
    match paths {
        [p] if p.as_os_str() != "-" && p.is_file() => Some(p.display().to_string()),
        _ => None,
    }
}

/// Under GitHub Actions, a run that ends with an error gets an `::error` annotation and a
/// step-summary line (see [`crate::report::github`]).
pub fn annotate_error(command: &str, paths: &[PathBuf], result: &Result<Outcome>, json: bool) {
    if let Err(e) = result
        && crate::report::github::active()
        && !crate::exit::is_broken_pipe(e)
    {
        crate::report::github::command_failed(command, single_file(paths).as_deref(), e, json);
    }
}

pub fn run(a: &ReplayArgs, style: &Style) -> Result<Outcome> {
    let result = run_unannotated(a, style);
    annotate_error("replay", &a.paths, &result, a.output.json || a.output.jsonl);
    result
}

fn run_unannotated(a: &ReplayArgs, style: &Style) -> Result<Outcome> {
    let Inputs { files, unreadable } = expand_all(&a.paths)?;
    let stdout = crate::output::stdout();
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
    let engine = Engine {
        // A progress bar is for people: never beside --json / --jsonl output.
        progress: if a.output.json || a.output.jsonl {
            None
        } else {
            progress_bar(&files, style)
        },
        ..Engine::auto()
    };
    let (stats, errors) = scan_files_with(&files, &opts, &engine, &mut |v| {
        if write_err.is_some() {
            return;
        }
        if !a.only.is_empty() && !a.only.contains(&v.class) {
            summary.filtered_out += 1;
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
    unreadable_inputs(errors.len() + unreadable)?;
    if a.strict && stats.skipped > 0 {
        return Err(UsageError(format!(
            "--strict: {} chunk(s) could not be parsed",
            stats.skipped
        ))
        .into());
    }
    Ok(if summary.found_rate_limits() {
        if crate::report::github::active() {
            crate::report::github::failures_found(
                "replay",
                single_file(&a.paths).as_deref(),
                &summary.by_class,
                a.output.json || a.output.jsonl,
            );
        }
        Outcome::Found
    } else {
        Outcome::Clean
    })
}
