//! `claude-429 setup claude-code`: reads the settings file, asks [`crate::setup`] for the
//! change, backs the file up and writes it atomically (or, with `--remove`, restores it).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value;

use crate::cli::SetupArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;
use crate::setup::{self, Existing};

/// The settings file: `--settings`, else the project's `.claude/settings.json` with
/// `--project`, else `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`.
fn settings_path(a: &SetupArgs) -> Result<PathBuf> {
    if let Some(p) = &a.settings {
        return Ok(p.clone());
    }
    if a.project {
        return Ok(PathBuf::from(".claude").join("settings.json"));
    }
    if let Some(d) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("settings.json"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| UsageError("HOME is not set: give the file with --settings".into()))?;
    Ok(PathBuf::from(home).join(".claude").join("settings.json"))
}

fn backup_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".claude-429.bak");
    PathBuf::from(s)
}

/// The file's bytes and JSON; `None` when it does not exist.
fn read_settings(p: &Path) -> Result<Option<(Vec<u8>, Value)>> {
    let bytes = match std::fs::read(p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(UsageError(format!("cannot read {}: {e}", p.display())).into()),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Some((bytes, Value::Object(Default::default()))));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        UsageError(format!(
            "{} is not valid JSON ({e}); fix it first (settings.json allows no comments)",
            p.display()
        ))
    })?;
    Ok(Some((bytes, v)))
}

fn write(p: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d)
            .map_err(|e| UsageError(format!("cannot create {}: {e}", d.display())))?;
    }
    crate::fsutil::write_atomic(p, bytes)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", p.display())).into())
}

pub fn run(a: &SetupArgs, _: &Style) -> Result<Outcome> {
    let path = settings_path(a)?;
    // A settings file linked from a dotfiles repository: write the file it points to.
    let path = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(&path).map_err(|e| {
            UsageError(format!("{} is a broken symbolic link: {e}", path.display()))
        })?,
        _ => path,
    };
    let old = read_settings(&path)?;
    let current = old.as_ref().map_or(Value::Null, |(_, v)| v.clone());
    let mut out = crate::output::stdout().lock();
    if a.remove {
        return remove(a, &path, old, &mut out);
    }
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| UsageError(format!("cannot find the claude-429 binary: {e}")))?;
    // The commands run in Claude Code's working directory: absolute paths.
    let abs = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
    };
    let cmds = setup::commands(&exe, abs(&a.history).as_deref(), abs(&a.records).as_deref());
    let existing = if a.replace_statusline {
        Existing::Replace
    } else if a.chain_statusline {
        Existing::Chain
    } else {
        Existing::Keep
    };
    let plan = setup::install(&current, &cmds, existing, !a.no_statusline)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if plan.changes.is_empty() {
        writeln!(
            out,
            "{}: claude-429 is already set up; nothing to do",
            path.display()
        )?;
        return Ok(Outcome::Clean);
    }
    let text = setup::render(&plan.settings);
    writeln!(
        out,
        "{}{}:",
        if a.dry_run { "would change " } else { "" },
        path.display()
    )?;
    for c in &plan.changes {
        writeln!(out, "  {c}")?;
    }
    for n in &plan.notes {
        writeln!(out, "  note: {n}")?;
    }
    if a.dry_run {
        writeln!(out, "\nthe new settings (nothing written):\n{text}")?;
        return Ok(Outcome::Clean);
    }
    // The backup is the file as it was before claude-429 touched it (empty: there was none).
    let backup = backup_path(&path);
    write(&backup, old.as_ref().map_or(&[][..], |(b, _)| b))?;
    write(&path, text.as_bytes())?;
    writeln!(out, "  backup: {}", backup.display())?;
    writeln!(
        out,
        "undo with: claude-429 setup claude-code --remove{}",
        scope(a)
    )?;
    Ok(Outcome::Clean)
}

fn scope(a: &SetupArgs) -> String {
    match (&a.settings, a.project) {
        (Some(p), _) => format!(
            " --settings {}",
            setup::shell_word(&p.display().to_string())
        ),
        (None, true) => " --project".into(),
        _ => String::new(),
    }
}

fn remove(
    a: &SetupArgs,
    path: &Path,
    old: Option<(Vec<u8>, Value)>,
    out: &mut impl Write,
) -> Result<Outcome> {
    let Some((_, current)) = old else {
        writeln!(out, "{}: no such file; nothing to remove", path.display())?;
        return Ok(Outcome::Clean);
    };
    let plan = setup::uninstall(&current);
    let mut stripped = plan.settings;
    let backup = backup_path(path);
    let saved = std::fs::read(&backup).ok();
    // What the backup held: `Some(None)` when there was no settings file before.
    let before: Option<Option<(Vec<u8>, Value)>> = saved.map(|b| {
        if b.is_empty() {
            None
        } else {
            serde_json::from_slice::<Value>(&b).ok().map(|v| (b, v))
        }
    });
    // A statusLine replaced with --replace-statusline comes back from the backup.
    if let Some(Some((_, bv))) = &before
        && let (Some(sl), Value::Object(m)) = (bv.get("statusLine"), &mut stripped)
        && !m.contains_key("statusLine")
        && !sl
            .get("command")
            .and_then(Value::as_str)
            .is_some_and(setup::is_ours)
    {
        m.insert("statusLine".into(), sl.clone());
    }
    let verb = if a.dry_run { "would " } else { "" };
    let mut changes = plan.changes;
    let action: Option<Option<Vec<u8>>> = match &before {
        // Nothing else changed since setup: the original bytes, exactly.
        Some(Some((bytes, bv))) if *bv == stripped => Some(Some(bytes.clone())),
        // There was no file and nothing else was added: delete it.
        Some(None) if stripped.as_object().is_some_and(|m| m.is_empty()) => Some(None),
        _ if changes.is_empty() && stripped == current => None,
        _ => Some(Some(setup::render(&stripped).into_bytes())),
    };
    let Some(action) = action else {
        writeln!(
            out,
            "{}: no claude-429 settings; nothing to remove",
            path.display()
        )?;
        return Ok(Outcome::Clean);
    };
    if changes.is_empty() {
        changes.push("~ statusLine restored".into());
    }
    writeln!(out, "{verb}change {}:", path.display())?;
    for c in &changes {
        writeln!(out, "  {c}")?;
    }
    if a.dry_run {
        return Ok(Outcome::Clean);
    }
    match action {
        Some(bytes) => {
            write(path, &bytes)?;
            if before
                .as_ref()
                .is_some_and(|b| b.as_ref().is_some_and(|(o, _)| *o == bytes))
            {
                writeln!(
                    out,
                    "  restored the original file from {}",
                    backup.display()
                )?;
            }
        }
        None => {
            std::fs::remove_file(path)
                .map_err(|e| UsageError(format!("cannot remove {}: {e}", path.display())))?;
            writeln!(out, "  removed the file (there was none before setup)")?;
        }
    }
    if before.is_some() {
        let _ = std::fs::remove_file(&backup);
    }
    Ok(Outcome::Clean)
}
