//! `setup claude-code`: the `statusLine` and hooks claude-429 adds to a Claude Code
//! `settings.json`, merged into what is there, and taken out again.
//!
//! Pure functions over the settings' JSON: [`install`] and [`uninstall`] return the new
//! settings and the list of changes; the command reads, backs up and writes the file.
//! Everything not claude-429's is kept (unknown keys, other hooks, other matchers). A command
//! is claude-429's when it runs a `claude-429` binary with `hook` or `status -` ([`is_ours`]).

use std::path::Path;

use serde_json::{Map, Value, json};

/// The hook events claude-429 listens to: the stop itself, then the two events whose
/// `systemMessage` Claude Code shows.
pub const EVENTS: &[&str] = &["StopFailure", "UserPromptSubmit", "SessionStart"];

/// Seconds between statusline refreshes (the retry countdown moves).
pub const REFRESH_S: u64 = 5;

/// Seconds Claude Code waits for the hook.
pub const HOOK_TIMEOUT_S: u64 = 10;

/// The two commands written into the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Commands {
    pub status: String,
    pub hook: String,
}

/// A path as one shell word.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The commands for the binary at `exe` (an absolute path, so Claude Code finds it whatever
/// its `PATH`), with `--history` and the record directory when given. The statusline sets `CLICOLOR_FORCE=1`:
/// Claude Code renders ANSI colours though its output is not a terminal (`NO_COLOR` still
/// wins).
pub fn commands(exe: &Path, history: Option<&Path>, records: Option<&Path>) -> Commands {
    let exe = shell_word(&exe.display().to_string());
    let hist = history
        .map(|h| format!(" --history {}", shell_word(&h.display().to_string())))
        .unwrap_or_default();
    let dir = records
        .map(|d| format!(" --dir {}", shell_word(&d.display().to_string())))
        .unwrap_or_default();
    Commands {
        status: format!("CLICOLOR_FORCE=1 {exe} status -{dir}{hist}"),
        hook: format!("{exe} hook{hist}"),
    }
}

/// True for a command claude-429 wrote (or one doing the same job).
pub fn is_ours(cmd: &str) -> bool {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    words.iter().enumerate().any(|(i, w)| {
        let w = w.trim_matches(['\'', '"']);
        let bin = w.rsplit('/').next().unwrap_or(w);
        bin == "claude-429"
            && match words.get(i + 1) {
                Some(&"hook") => true,
                Some(&"status") => words.get(i + 2) == Some(&"-"),
                _ => false,
            }
    })
}

/// What to do about a `statusLine` that is not claude-429's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Leave it as it is (the default), and say how to chain or replace it.
    Keep,
    /// Run it first and show claude-429's line after its output (`status - --then CMD`).
    Chain,
    /// Replace it (the backup keeps it; `--remove` puts it back).
    Replace,
}

/// Why setup stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    NotAnObject(String),
}

/// The new settings and what changed (empty: nothing to do).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub settings: Value,
    pub changes: Vec<String>,
    /// What was left alone, and how to change it.
    pub notes: Vec<String>,
}

fn hook_commands(group: &Value) -> impl Iterator<Item = &str> {
    group
        .get("hooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.get("command").and_then(Value::as_str))
}

/// Adds the statusline (unless `statusline` is false) and the hooks to `settings` (an
/// object; `null` is taken as `{}`).
pub fn install(
    settings: &Value,
    cmds: &Commands,
    existing: Existing,
    statusline: bool,
) -> Result<Plan, SetupError> {
    let mut root = match settings {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        _ => {
            return Err(SetupError::NotAnObject(
                "the settings file is not a JSON object".into(),
            ));
        }
    };
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    // The statusline.
    let current = root.get("statusLine").cloned();
    let current_cmd = current.as_ref().map(|s| {
        s.get("command")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    });
    let want = json!({
        "type": "command",
        "command": cmds.status,
        "padding": 0,
        "refreshInterval": REFRESH_S,
    });
    match (current_cmd, statusline) {
        (None, true) => {
            root.insert("statusLine".into(), want);
            changes.push(format!("+ statusLine: {}", cmds.status));
        }
        (None, false) => {}
        (Some(c), _) if is_ours(&c) => {}
        (Some(c), false) => notes.push(format!("statusLine kept: {}", describe(&c))),
        (Some(c), true) => match existing {
            Existing::Keep => notes.push(format!(
                "statusLine kept: {}; claude-429's is not added. --chain-statusline shows \
                 both (yours first), --replace-statusline replaces yours (--remove puts it back)",
                describe(&c)
            )),
            Existing::Chain if !c.trim().is_empty() => {
                let chained = format!("{} --then {}", cmds.status, shell_word(&c));
                let mut sl = match current {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                sl.insert("command".into(), Value::String(chained.clone()));
                root.insert("statusLine".into(), Value::Object(sl));
                changes.push(format!("~ statusLine chained: {chained}"));
            }
            Existing::Chain | Existing::Replace => {
                root.insert("statusLine".into(), want);
                changes.push(format!(
                    "~ statusLine replaced ({}): {}",
                    describe(&c),
                    cmds.status
                ));
            }
        },
    }
    // The hooks.
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    if !hooks.is_object() {
        return Err(SetupError::NotAnObject(
            "the settings' \"hooks\" is not a JSON object".into(),
        ));
    }
    let hooks = hooks.as_object_mut().expect("checked");
    for ev in EVENTS {
        let groups = hooks.entry(*ev).or_insert_with(|| Value::Array(Vec::new()));
        let Some(groups) = groups.as_array_mut() else {
            return Err(SetupError::NotAnObject(format!(
                "the settings' hooks.{ev} is not a JSON array"
            )));
        };
        if groups.iter().flat_map(hook_commands).any(is_ours) {
            continue;
        }
        groups.push(json!({"hooks": [{
            "type": "command",
            "command": cmds.hook,
            "timeout": HOOK_TIMEOUT_S,
        }]}));
        changes.push(format!("+ hooks.{ev}: {}", cmds.hook));
    }
    Ok(Plan {
        settings: Value::Object(root),
        changes,
        notes,
    })
}

fn describe(cmd: &str) -> String {
    if cmd.is_empty() {
        "a statusLine without a command".into()
    } else {
        format!("command `{cmd}`")
    }
}

/// Takes claude-429's statusline and hooks out of `settings`, and the `hooks` objects and
/// arrays that are left empty by it.
pub fn uninstall(settings: &Value) -> Plan {
    let Value::Object(root) = settings else {
        return Plan {
            settings: settings.clone(),
            changes: Vec::new(),
            notes: Vec::new(),
        };
    };
    let mut root = root.clone();
    let mut changes = Vec::new();
    let sl_cmd = root
        .get("statusLine")
        .and_then(|s| s.get("command"))
        .and_then(Value::as_str)
        .filter(|c| is_ours(c))
        .map(str::to_string);
    if let Some(cmd) = sl_cmd {
        match chained_command(&cmd) {
            // Chained: the user's own command comes back in its place.
            Some(orig) => {
                if let Some(Value::Object(sl)) = root.get_mut("statusLine") {
                    sl.insert("command".into(), Value::String(orig));
                }
                changes.push("~ statusLine unchained".to_string());
            }
            None => {
                root.remove("statusLine");
                changes.push("- statusLine".to_string());
            }
        }
    }
    if let Some(Value::Object(hooks)) = root.get_mut("hooks") {
        let mut emptied = false;
        let events: Vec<String> = hooks.keys().cloned().collect();
        for ev in events {
            let Some(Value::Array(groups)) = hooks.get_mut(&ev) else {
                continue;
            };
            let mut removed = false;
            // A group left with no hooks by this removal goes; one that was empty stays.
            groups.retain_mut(|g| {
                let Some(Value::Array(hs)) = g.get_mut("hooks") else {
                    return true;
                };
                let n = hs.len();
                hs.retain(|h| {
                    !h.get("command")
                        .and_then(Value::as_str)
                        .is_some_and(is_ours)
                });
                if hs.len() == n {
                    return true;
                }
                removed = true;
                !hs.is_empty()
            });
            if removed {
                changes.push(format!("- hooks.{ev}"));
                if groups.is_empty() {
                    hooks.remove(&ev);
                    emptied = true;
                }
            }
        }
        if emptied && hooks.is_empty() {
            root.remove("hooks");
        }
    }
    Plan {
        settings: Value::Object(root),
        changes,
        notes: Vec::new(),
    }
}

/// The user's command in a chained statusline (`... status - --then CMD`, `CMD` one shell
/// word as [`shell_word`] wrote it).
pub fn chained_command(cmd: &str) -> Option<String> {
    let (_, rest) = cmd.split_once(" --then ")?;
    let rest = rest.trim();
    match rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => Some(inner.replace(r"'\''", "'")),
        None => Some(rest.to_string()),
    }
}

/// Settings as written: two-space JSON and a final newline.
pub fn render(settings: &Value) -> String {
    let mut s = serde_json::to_string_pretty(settings).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours() {
        assert!(is_ours("CLICOLOR_FORCE=1 /usr/bin/claude-429 status -"));
        assert!(is_ours("'/opt/my tools/claude-429' hook --history /x"));
        assert!(is_ours("claude-429 hook"));
        assert!(!is_ours("claude-429 status"));
        assert!(!is_ours("my-claude-429-wrapper hook"));
        assert!(!is_ours("~/.claude/statusline.sh"));
    }

    #[test]
    fn chains_round_trip() {
        for orig in ["~/.claude/statusline.sh", "bash -c 'echo it'\"s\"", "x"] {
            let c = format!("claude-429 status - --then {}", shell_word(orig));
            assert!(is_ours(&c));
            assert_eq!(chained_command(&c).as_deref(), Some(orig));
        }
        assert_eq!(chained_command("claude-429 status -"), None);
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("/usr/bin/claude-429"), "/usr/bin/claude-429");
        assert_eq!(shell_word("/a b/it's"), r"'/a b/it'\''s'");
    }
}
