//! `claude-429 status`: one line of live headroom from the newest records; with `-`, Claude
//! Code's statusline (its JSON on stdin, the records and the limit-hit history).

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;
use crate::status;

pub fn run(a: &StatusArgs, style: &Style) -> Result<Outcome> {
    let minutes = match &a.since {
        Some(since) => since_minutes(since, chrono::Utc::now())?,
        None => a.minutes,
    };
    let mut model = a.model.clone();
    let mut payload = None;
    let mut raw = Vec::new();
    let dir: PathBuf = match &a.path {
        Some(p) if p.as_os_str() == "-" => {
            // Claude Code's statusline JSON: its windows and the model it names.
            let mut input = Vec::new();
            let _ = std::io::stdin()
                .lock()
                .take(1 << 20)
                .read_to_end(&mut input);
            let p = status::parse_payload(&input);
            if model.is_none() {
                model.clone_from(&p.model);
            }
            payload = Some(p);
            raw = input;
            a.dir.clone()
        }
        Some(p) => p.clone(),
        None => a.dir.clone(),
    };
    let files = if dir.exists() {
        match status::files_for(&dir) {
            Ok(f) => f,
            // A statusline must not fail: an unreadable directory shows as no records.
            Err(_) if payload.is_some() => Vec::new(),
            Err(e) => return Err(UsageError(format!("cannot read {}: {e}", dir.display())).into()),
        }
    } else {
        Vec::new()
    };
    let now = chrono::Utc::now();
    let mut st = match status::compute(&files, minutes, model.as_deref(), now) {
        Ok(st) => st,
        Err(_) if payload.is_some() => status::compute(&[], minutes, None, now)?,
        Err(e) => return Err(UsageError(format!("cannot read {}: {e}", dir.display())).into()),
    };
    let mut out = crate::output::stdout().lock();
    if let Some(p) = payload {
        let stop =
            crate::history::resolve(a.history.as_deref()).and_then(|h| crate::history::newest(&h));
        if a.json {
            st.last_stop = stop;
            writeln!(out, "{}", serde_json::to_string_pretty(&st)?)?;
        } else {
            let width = usize::from(style.width);
            let theirs = a.then.as_deref().and_then(|c| run_then(c, &raw));
            let line = match theirs {
                Some(t) => {
                    let left = width.saturating_sub(crate::report::visible_width(&t) + 3);
                    let ours =
                        status::statusline(&p, &st, stop.as_ref(), now, left.max(20), style.color);
                    if ours == status::CALM {
                        t
                    } else {
                        format!("{t} │ {ours}")
                    }
                }
                None => status::statusline(&p, &st, stop.as_ref(), now, width, style.color),
            };
            writeln!(out, "{line}")?;
        }
    } else if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&st)?)?;
    } else if files.is_empty() {
        writeln!(out, "claude-429: no records in {}", dir.display())?;
    } else {
        writeln!(out, "{}", status::line(&st, style.color))?;
    }
    Ok(Outcome::Clean)
}

/// Runs a chained statusline command (`sh -c CMD`) with the same stdin and returns the first
/// line it printed within one second; `None` when it printed nothing, failed or hung.
fn run_then(cmd: &str, input: &[u8]) -> Option<String> {
    use std::process::{Command, Stdio};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = input.to_vec();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.take(64 * 1024).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    let got = rx.recv_timeout(std::time::Duration::from_secs(1));
    let _ = child.kill();
    let _ = child.wait();
    let text = String::from_utf8_lossy(&got.ok()?).into_owned();
    let first = text.lines().next()?.trim_end().to_string();
    (!first.trim().is_empty()).then_some(first)
}

/// `--since` as the minutes back from `now` it covers (rounded up, at least one, at most
/// [`status::MAX_MINUTES`]).
fn since_minutes(since: &str, now: chrono::DateTime<chrono::Utc>) -> Result<u64, UsageError> {
    let t = crate::usage::parse_when("--since", since, now).map_err(UsageError)?;
    let secs = (now - t).num_seconds().max(0) as u64;
    let minutes = secs.div_ceil(60).max(1);
    if minutes > status::MAX_MINUTES {
        return Err(UsageError(format!(
            "--since {since}: at most {} minutes (a week) back",
            status::MAX_MINUTES
        )));
    }
    Ok(minutes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_reads_relative_and_absolute_times() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T14:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(super::since_minutes("15m", now).unwrap(), 15);
        assert_eq!(super::since_minutes("2h", now).unwrap(), 120);
        assert_eq!(
            super::since_minutes("2026-11-20T13:30:30Z", now).unwrap(),
            30
        );
        assert!(super::since_minutes("30d", now).is_err());
        assert!(super::since_minutes("soon", now).is_err());
    }
}
