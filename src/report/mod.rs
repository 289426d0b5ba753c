//! Rendering: data in, text out. One file per format; commands pick one.

pub mod json;
pub mod live;
pub mod markdown;
pub mod table;

use std::io::IsTerminal;

use crate::classify::{Class, Confidence, Verdict};
use crate::cli::ColorChoice;

/// Terminal decisions, made once: colour, width.
#[derive(Debug, Clone)]
pub struct Style {
    /// Use ANSI colour.
    pub color: bool,
    /// stdout is a terminal.
    pub tty: bool,
    /// stderr is a terminal (progress bars go there).
    pub stderr_tty: bool,
    /// Columns available for tables.
    pub width: u16,
}

impl Style {
    /// `--color auto` colours only on a terminal, with `NO_COLOR` unset or empty and `TERM`
    /// not `dumb`. `CLAUDE_429_FORCE_TTY=1` makes tests see a terminal.
    pub fn detect(choice: ColorChoice) -> Style {
        let forced = std::env::var_os("CLAUDE_429_FORCE_TTY").is_some_and(|v| v == "1");
        let tty = forced || std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color && !dumb,
        };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(if tty { 120 } else { 160 });
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
            width: 160,
        }
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

pub use crate::classify::summary::Summary;

/// A renderer of verdicts: fed one at a time, then the summary.
pub trait Renderer {
    fn verdict(&mut self, v: &Verdict) -> std::io::Result<()>;
    fn finish(&mut self, summary: &Summary) -> std::io::Result<()>;
}

pub use crate::fmt::thousands;

/// A hint for the line after an error: what to do next.
pub fn hint_for(err: &anyhow::Error) -> Option<String> {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<crate::api::ApiError>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<crate::capture::scan::InputError>() {
            return Some(match e.source.kind() {
                std::io::ErrorKind::NotFound => {
                    "check the path; use - to read from stdin".to_string()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "the file is not readable by this user".to_string()
                }
                _ => "pass files, directories or - for stdin".to_string(),
            });
        }
    }
    None
}
