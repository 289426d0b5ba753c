//! `claude-429 diagnose`: the incident report. Reads everything `replay` reads, successes
//! included, streams it through [`crate::diagnose::Analyzer`] and prints ranked causes, the
//! timeline and client-behaviour findings as text, markdown or JSON.

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{Context, Result};

use crate::capture::scan::{self, Engine, ScanOptions, ScanStats};
use crate::cli::{DiagnoseArgs, ReportFormat};
use crate::commands::replay::{
    Inputs, expand_all, follow_input, live_run, progress_bar, report_skipped, unreadable_inputs,
};
use crate::diagnose::{self, Analyzer, Diagnosis, Events, Filter, Window};
use crate::exit::Outcome;
use crate::report::follow::FollowView;
use crate::report::{Style, html, markdown};

pub fn run(a: &DiagnoseArgs, style: &Style) -> Result<Outcome> {
    let result = run_unannotated(a, style);
    crate::commands::replay::annotate_error("diagnose", &a.paths, &result, a.json);
    result
}

fn run_unannotated(a: &DiagnoseArgs, style: &Style) -> Result<Outcome> {
    // Flags first: a bad --since is a usage error before any input is read.
    let window = Window::new(a.since.as_deref(), a.until.as_deref())?;
    if let Some(w) = &a.workspace {
        crate::limits::check_workspace_id(w)?;
    }
    let Inputs { files, unreadable } = if a.follow {
        follow_input(&a.paths)?
    } else {
        expand_all(&a.paths)?
    };
    live_run(&files, a.follow);
    let mut shown = window.clone();
    let filter = Filter {
        window,
        models: a.model.clone(),
    };
    let engine = Engine {
        // A progress bar is for people: never beside --json output.
        progress: if a.json {
            None
        } else {
            progress_bar(&files, style)
        },
        follow: a.follow,
        ..Engine::auto()
    };
    let (mut d, stats, errors) = if a.follow {
        // Meanwhile: the failures as they come (see report::follow), then the report. On
        // stdout only before a text report there; else on stderr, beside the document.
        let to_stdout = !a.json && a.format == ReportFormat::Text && a.output.is_none();
        let mut view_style = style.clone();
        if !to_stdout {
            view_style.tty = style.stderr_tty;
        }
        let redraw = view_style.tty;
        let view = std::sync::Mutex::new(FollowView::new(view_style, a.redact));
        let writer = || -> Box<dyn Write> {
            if to_stdout {
                Box::new(crate::output::stdout().lock())
            } else {
                Box::new(io::stderr().lock())
            }
        };
        let done = std::sync::atomic::AtomicBool::new(false);
        let r = std::thread::scope(|scope| {
            if redraw {
                // A failure that came just after a redraw is drawn on the next tick.
                scope.spawn(|| {
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::sleep(FollowView::REDRAW);
                        if let Ok(mut v) = view.lock() {
                            let _ = v.tick(&mut writer());
                        }
                    }
                });
            }
            let r = analyse_watching(&files, filter, &engine, &mut |ev| {
                if let Some(v) = &ev.verdict
                    && (!shown.is_set() || ev.time.is_some_and(|t| shown.contains(t)))
                    && let Ok(mut view) = view.lock()
                {
                    let _ = view.failure(v, &mut writer());
                }
            });
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            r
        });
        if let Ok(mut v) = view.lock() {
            v.erase(&mut writer())?;
        }
        r
    } else {
        analyse(&files, filter, &engine)
    };
    if let Some(pb) = &engine.progress {
        pb.finish_and_clear();
    }
    let live_error = if a.live { live(a, &mut d)? } else { None };
    write_report(a, style, &d, &stats)?;
    report_skipped(&stats);
    unreadable_inputs(errors + unreadable)?;
    if let Some(e) = live_error {
        return Err(e.into());
    }
    Ok(if d.found_rate_limits() {
        if crate::report::github::active() {
            crate::report::github::failures_found(
                "diagnose",
                crate::commands::replay::single_file(&a.paths).as_deref(),
                &d.summary.counts.by_class,
                a.json,
            );
        }
        Outcome::Found
    } else {
        Outcome::Clean
    })
}

/// `--live`: reads what the keys in the environment allow and puts it in the diagnosis. An
/// API or network error comes back to be raised after the report is printed (exit 3).
fn live(a: &DiagnoseArgs, d: &mut Diagnosis) -> Result<Option<crate::api::ApiError>> {
    let key = |var: &str| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(crate::api::Secret::new)
    };
    let opts = diagnose::live::Options {
        config: a.api.client_config()?,
        admin_key: key("ANTHROPIC_ADMIN_KEY"),
        // As for probe: a set ANTHROPIC_AUTH_TOKEN wins and is sent as a bearer token.
        api_key: crate::api::transport::auth_token_from_env().or_else(|| key("ANTHROPIC_API_KEY")),
        workspace: a.workspace.clone(),
    };
    let rt = super::runtime(false)?;
    let show = std::io::stderr().is_terminal();
    let mut progress = |s: &str| {
        if show {
            crate::errln!("claude-429: --live: {s}");
        }
    };
    Ok(
        match rt.block_on(diagnose::live::gather(d, &opts, &mut progress)) {
            Ok(l) => {
                d.live = Some(l);
                None
            }
            Err(partial) => {
                let (l, e) = *partial;
                d.live = Some(l);
                Some(e)
            }
        },
    )
}

/// Scans `files` (successes included) and analyses them. Unreadable files are reported on
/// stderr and counted; the run goes on.
pub fn analyse(
    files: &[std::path::PathBuf],
    filter: Filter,
    engine: &Engine,
) -> (Diagnosis, ScanStats, usize) {
    analyse_watching(files, filter, engine, &mut |_| {})
}

/// [`analyse`], showing `watch` every event as it is read (`--follow`, a pipe).
pub fn analyse_watching(
    files: &[std::path::PathBuf],
    filter: Filter,
    engine: &Engine,
    watch: &mut dyn FnMut(&diagnose::Event),
) -> (Diagnosis, ScanStats, usize) {
    let opts = ScanOptions {
        failures_only: false,
    };
    let mut analyzer = Analyzer::new(filter);
    let mut stats = ScanStats::default();
    let mut errors = 0;
    for f in files {
        analyzer.begin_source(&f.display().to_string());
        match scan::scan_path_with(f, &opts, engine, &Events, &mut |ev| {
            watch(&ev);
            analyzer.push(ev)
        }) {
            Ok(s) => stats.merge(s),
            Err(e) => {
                crate::errln!("claude-429: {}", crate::report::input_error(&e));
                errors += 1;
            }
        }
    }
    analyzer.scan_totals(stats.captures, stats.skipped, stats.files, stats.bytes);
    (analyzer.finish(), stats, errors)
}

/// Renders the report in the chosen format, with keys always and ids on `--redact` removed.
/// Written line by line as it is rendered: a long timeline's JSON is never held whole. With
/// `-o FILE` the report is rendered into memory (it is bounded: the timeline is) and the file
/// replaced atomically, so a failed run leaves no half-written report.
fn write_report(a: &DiagnoseArgs, style: &Style, d: &Diagnosis, stats: &ScanStats) -> Result<()> {
    if let Some(path) = &a.output {
        let mut out = RedactLines {
            out: Vec::with_capacity(256 * 1024),
            line: Vec::with_capacity(4096),
            ids: a.redact,
        };
        render(
            a,
            &Style::plain().with_width(style.width),
            d,
            stats,
            &mut out,
        )?;
        out.flush()?;
        crate::fsutil::write_atomic(path, &out.out)
            .with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(());
    }
    let mut out = RedactLines {
        out: BufWriter::new(crate::output::stdout().lock()),
        line: Vec::with_capacity(4096),
        ids: a.redact,
    };
    render(a, style, d, stats, &mut out)?;
    out.flush()?;
    Ok(())
}

fn render(
    a: &DiagnoseArgs,
    style: &Style,
    d: &Diagnosis,
    stats: &ScanStats,
    out: &mut dyn Write,
) -> Result<()> {
    if a.json {
        serde_json::to_writer_pretty(&mut *out, d)?;
        out.write_all(b"\n")?;
    } else if a.format == ReportFormat::Markdown {
        markdown::diagnosis(out, d)?;
    } else if a.format == ReportFormat::Html {
        let extras = html::Extras {
            skipped: &stats.skipped_samples,
        };
        html::diagnosis(out, d, extras)?;
    } else {
        crate::report::diagnose::text(out, d, style, a.redact)?;
    }
    Ok(())
}

/// Applies [`crate::redact::apply`] to each complete line on its way out (redaction works on
/// tokens, which never span a line, so this equals redacting the whole text).
struct RedactLines<W: Write> {
    out: W,
    line: Vec<u8>,
    ids: bool,
}

impl<W: Write> RedactLines<W> {
    fn emit(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            let text = String::from_utf8_lossy(&self.line);
            let text = crate::redact::apply(&text, self.ids);
            self.out.write_all(text.as_bytes())?;
            self.line.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for RedactLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..=i]);
            self.emit()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.out.flush()
    }
}
