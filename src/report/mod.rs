//! Rendering: data in, text out. One file per format; commands pick one.

pub mod diagnose;
pub mod follow;
pub mod github;
pub mod html;
pub mod json;
pub mod limits;
pub mod live;
pub mod markdown;
pub mod probe;
pub mod table;
pub mod usage;

use std::io::IsTerminal;

use crate::classify::{Class, Confidence, Verdict};
use crate::cli::ColorChoice;

/// Terminal decisions, made once: colour, width. Every renderer asks this, nothing else
/// looks at the environment.
#[derive(Debug, Clone)]
pub struct Style {
    /// Use ANSI colour.
    pub color: bool,
    /// stdout is a terminal.
    pub tty: bool,
    /// stderr is a terminal (progress bars go there).
    pub stderr_tty: bool,
    /// Columns available: nothing printed is wider (long unbreakable words aside).
    pub width: u16,
}

/// Width when stdout is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: u16 = 100;

/// Narrower than this and layouts stop making sense; tables are laid out for this instead.
pub const MIN_WIDTH: u16 = 40;

impl Style {
    /// Colour: `--color always|never` wins; with `auto`, a non-empty `NO_COLOR` turns it off,
    /// a `CLICOLOR_FORCE` other than empty or `0` turns it on, else colour only on a terminal
    /// whose `TERM` is not `dumb`. Width: `COLUMNS` when set, else the terminal's width when
    /// stdout is a terminal, else [`DEFAULT_WIDTH`]. `CLAUDE_429_FORCE_TTY=1` makes tests see
    /// a terminal.
    pub fn detect(choice: ColorChoice) -> Style {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let forced = var("CLAUDE_429_FORCE_TTY").is_some_and(|v| v == "1");
        let real_tty = std::io::stdout().is_terminal();
        let tty = forced || real_tty;
        let no_color = var("NO_COLOR").is_some();
        let force_color = var("CLICOLOR_FORCE").is_some_and(|v| v != "0");
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if no_color => false,
            ColorChoice::Auto if force_color => true,
            ColorChoice::Auto => tty && !dumb,
        };
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|&c| c > 0);
        let terminal = || {
            real_tty
                .then(|| terminal_size::terminal_size_of(std::io::stdout()))
                .flatten()
                .map(|(terminal_size::Width(w), _)| w)
                .filter(|&w| w > 0)
        };
        let width = columns.or_else(terminal).unwrap_or(DEFAULT_WIDTH);
        Style {
            color,
            tty,
            stderr_tty: forced || std::io::stderr().is_terminal(),
            width,
        }
    }

    /// A style with no colour, for tests and files.
    pub fn plain() -> Style {
        Style {
            color: false,
            tty: false,
            stderr_tty: false,
            width: DEFAULT_WIDTH,
        }
    }

    /// The same style at another width (render tests).
    pub fn with_width(mut self, width: u16) -> Style {
        self.width = width;
        self
    }

    /// The width layouts are made for: the terminal's, but never below [`MIN_WIDTH`].
    pub fn columns(&self) -> usize {
        usize::from(self.width.max(MIN_WIDTH))
    }

    /// Wraps prose at word boundaries to the width: the first line starts with `first`, the
    /// others with `rest`. Words longer than a line (paths, URLs, header names) are never
    /// split: they get a line of their own. Colour codes take no width.
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> Vec<String> {
        wrap_to(self.columns(), text, first, rest)
    }

    /// Prints prose wrapped to the width (first line `first`, the others `rest`), each line
    /// painted.
    pub fn para(
        &self,
        out: &mut dyn std::io::Write,
        text: &str,
        first: &str,
        rest: &str,
        paint: Paint,
    ) -> std::io::Result<()> {
        for l in self.wrap(text, first, rest) {
            let l = match paint {
                Paint::Plain => l,
                Paint::Bold => self.bold(&l),
                Paint::Dim => self.dim(&l),
            };
            writeln!(out, "{l}")?;
        }
        Ok(())
    }

    /// A table cell for a class name, coloured by severity through the table's own styling
    /// (so the table measures it right).
    pub fn class_cell(&self, c: Class) -> comfy_table::Cell {
        use comfy_table::{Attribute, Cell, Color};
        let cell = Cell::new(c.as_str());
        match c {
            Class::Overload | Class::Acceleration => cell.fg(Color::Yellow),
            Class::NotRateLimit | Class::Unknown => cell.add_attribute(Attribute::Dim),
            _ => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        }
    }

    /// A bold table cell.
    pub fn bold_cell(&self, s: &str) -> comfy_table::Cell {
        comfy_table::Cell::new(s).add_attribute(comfy_table::Attribute::Bold)
    }

    /// A dimmed table cell.
    pub fn dim_cell(&self, s: &str) -> comfy_table::Cell {
        comfy_table::Cell::new(s).add_attribute(comfy_table::Attribute::Dim)
    }

    /// Colours a class name by severity when colour is on.
    pub fn class(&self, c: Class) -> String {
        use owo_colors::OwoColorize;
        let s = c.as_str();
        if !self.color {
            return s.to_string();
        }
        match c {
            Class::Overload | Class::Acceleration => s.yellow().to_string(),
            Class::NotRateLimit | Class::Unknown => s.dimmed().to_string(),
            _ => s.red().bold().to_string(),
        }
    }

    pub fn confidence(&self, c: Confidence) -> String {
        use owo_colors::OwoColorize;
        let s = c.as_str();
        if !self.color {
            return s.to_string();
        }
        match c {
            Confidence::Certain => s.green().to_string(),
            Confidence::Likely => s.to_string(),
            Confidence::Possible => s.dimmed().to_string(),
        }
    }

    pub fn bold(&self, s: &str) -> String {
        use owo_colors::OwoColorize;
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn dim(&self, s: &str) -> String {
        use owo_colors::OwoColorize;
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
}

/// How [`Style::para`] paints its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Plain,
    Bold,
    Dim,
}

/// Columns `s` takes on a terminal: colour codes take none, wide characters two.
pub fn visible_width(s: &str) -> usize {
    textwrap::core::display_width(s)
}

/// [`Style::wrap`] at an explicit width.
pub fn wrap_to(width: usize, text: &str, first: &str, rest: &str) -> Vec<String> {
    let opts = textwrap::Options::new(width.max(1))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(text, opts)
        .into_iter()
        .map(|l| l.trim_end().to_string())
        .collect()
}

pub use crate::classify::summary::Summary;

/// A renderer of verdicts: fed one at a time, then the summary.
pub trait Renderer {
    fn verdict(&mut self, v: &Verdict) -> std::io::Result<()>;
    fn finish(&mut self, summary: &Summary) -> std::io::Result<()>;
}

pub use crate::fmt::thousands;

/// A hint for the line after an error: what to do next.
pub fn hint_for(err: &anyhow::Error) -> Option<String> {
    hint_for_command(err, "")
}

/// What went wrong reading an input, for the line the run prints before going on: the file,
/// the operating system's reason, and what to do about it.
pub fn input_error(e: &crate::capture::scan::InputError) -> String {
    format!(
        "cannot read {}: {}; {}",
        e.path,
        e.source,
        input_hint(e.source.kind())
    )
}

fn input_hint(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::NotFound => "check the path (- reads stdin)",
        K::PermissionDenied => "make it readable by this user, or leave it out",
        K::IsADirectory => "pass the directory itself: it is walked",
        _ => "pass a readable regular file, or leave it out",
    }
}

/// A hint for the line after an error, fitted to the subcommand that failed (`""` when
/// unknown): a 401 from `probe` is about the API key, from `limits` about the Admin key.
pub fn hint_for_command(err: &anyhow::Error, command: &str) -> Option<String> {
    use crate::api::ApiError;
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ApiError>() {
            return match (e, command) {
                (ApiError::Auth { .. }, "probe") => Some(
                    "probe sends ANTHROPIC_API_KEY (or --api-key-file) to /v1/messages: check that it is a valid API key of this org (sk-ant-api...); with --admin-key-file or ANTHROPIC_ADMIN_KEY, check that one is an Admin key (sk-ant-admin...)".into(),
                ),
                (ApiError::Auth { .. }, "limits") => Some(
                    "the Rate Limits API needs an Admin API key (sk-ant-admin...) in ANTHROPIC_ADMIN_KEY or --admin-key-file; a normal API key fails here".into(),
                ),
                (ApiError::NotFound { .. }, "probe") => Some(
                    "check the model name: --dry-run shows what would be sent, and without --model probe picks models the API lists".into(),
                ),
                _ => e.hint(),
            };
        }
        if let Some(e) = cause.downcast_ref::<crate::capture::scan::InputError>() {
            return Some(input_hint(e.source.kind()).to_string());
        }
    }
    if command == "replay" || command == "diagnose" {
        let text = err.to_string();
        if text.contains("could not be read") {
            return Some(
                "each unreadable input is named above with the reason; any other inputs were read"
                    .into(),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests;
