//! `claude-429 hook`: the Claude Code hook handler. Always exits 0.
//!
//! * `StopFailure`: the verdict goes to the limit-hit history (Claude Code ignores this
//!   event's output, so the history is what keeps it) and, for logs, to stdout.
//! * `UserPromptSubmit` / `SessionStart`: the newest stop not yet shown becomes a
//!   `{"systemMessage": ...}` Claude Code puts on screen, once.

use std::io::{IsTerminal, Read, Write};

use anyhow::Result;

use crate::cli::HookArgs;
use crate::exit::Outcome;
use crate::report::Style;

pub fn run(a: &HookArgs, _: &Style) -> Result<Outcome> {
    // Nothing on stdin (run by hand in a terminal): nothing to do.
    if std::io::stdin().is_terminal() {
        return Ok(Outcome::Clean);
    }
    let mut input = Vec::new();
    if std::io::stdin()
        .lock()
        .take(crate::hook::MAX_INPUT as u64 + 1)
        .read_to_end(&mut input)
        .is_err()
        || input.len() > crate::hook::MAX_INPUT
    {
        return Ok(Outcome::Clean);
    }
    let history = crate::history::resolve(a.history.as_deref());
    // A panic here must not become a failing hook: catch it and stay quiet.
    let out = std::panic::catch_unwind(|| {
        crate::hook::handle(&input, history.as_deref(), chrono::Utc::now())
    });
    if let Ok(Some(text)) = out {
        let mut o = crate::output::stdout().lock();
        let _ = writeln!(o, "{text}");
        let _ = o.flush();
    }
    Ok(Outcome::Clean)
}
