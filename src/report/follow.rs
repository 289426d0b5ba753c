//! `diagnose --follow` while it runs: on a terminal a compact view (the running count per
//! class and the newest failures) redrawn in place at most a few times a second; elsewhere
//! one line per new failure. The full report comes when the run stops.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::Style;
use super::table::failure_block;
use crate::classify::Verdict;

/// Newest failures the terminal view keeps.
const RECENT: usize = 5;

pub struct FollowView {
    style: Style,
    redact_ids: bool,
    counts: BTreeMap<&'static str, u64>,
    recent: VecDeque<String>,
    /// Lines of the view on the screen now (to move back over when redrawing).
    drawn: usize,
    last_draw: Option<Instant>,
    dirty: bool,
}

impl FollowView {
    /// Shortest time between two redraws of the terminal view.
    pub const REDRAW: Duration = Duration::from_millis(250);

    pub fn new(style: Style, redact_ids: bool) -> FollowView {
        FollowView {
            style,
            redact_ids,
            counts: BTreeMap::new(),
            recent: VecDeque::new(),
            drawn: 0,
            last_draw: None,
            dirty: false,
        }
    }

    /// One new failure: a line on a non-terminal, a (rate-limited) redraw on a terminal.
    pub fn failure(&mut self, v: &Verdict, out: &mut dyn Write) -> io::Result<()> {
        let line = failure_block(&self.style, v, self.redact_ids)
            .into_iter()
            .next()
            .unwrap_or_default();
        if !self.style.tty {
            writeln!(out, "{line}")?;
            return out.flush();
        }
        *self.counts.entry(v.class.as_str()).or_default() += 1;
        self.recent.push_back(line);
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
        self.dirty = true;
        if self.last_draw.is_none_or(|t| t.elapsed() >= Self::REDRAW) {
            self.draw(out)?;
        }
        Ok(())
    }

    fn draw(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.erase(out)?;
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let mut lines = vec![format!(
            "following (Ctrl-C for the report): {}",
            counts.join(", ")
        )];
        lines.extend(self.recent.iter().cloned());
        for l in &lines {
            writeln!(out, "{l}")?;
        }
        self.drawn = lines.len();
        self.last_draw = Some(Instant::now());
        self.dirty = false;
        out.flush()
    }

    /// Removes the view from the terminal (before the report is printed).
    pub fn erase(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.drawn > 0 {
            write!(out, "\x1b[{}A\x1b[J", self.drawn)?;
            self.drawn = 0;
        }
        out.flush()
    }

    /// Draws the failures that came since the last redraw (call it every [`Self::REDRAW`]).
    pub fn tick(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.dirty {
            self.draw(out)?;
        }
        Ok(())
    }
}
