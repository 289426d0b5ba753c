//! Shell completions and man pages, generated from the clap definitions. The committed copies
//! under `completions/` and `man/` are checked for staleness by a test.

use std::io::Write;
#[cfg(feature = "generate")]
use std::path::Path;

#[cfg(feature = "generate")]
use anyhow::Context;
use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

#[cfg(feature = "generate")]
use crate::cli::EXIT_STATUS;
use crate::cli::{Cli, CompletionsArgs, GenerateArgs};
use crate::exit::Outcome;

const BIN: &str = "claude-429";

/// The command line as the completions see it: hidden subcommands (`generate`) left out,
/// so a shell never offers them.
pub fn completion_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new(full.get_name().to_string())
        .bin_name(BIN)
        .args(full.get_arguments().cloned());
    if let Some(v) = full.get_version() {
        cmd = cmd.version(v.to_string());
    }
    if let Some(a) = full.get_about() {
        cmd = cmd.about(a.clone());
    }
    cmd.subcommand_required(full.is_subcommand_required_set())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

pub fn completions(a: &CompletionsArgs) -> Result<Outcome> {
    let mut out = crate::output::stdout().lock();
    out.write_all(&completion_script(a.shell))?;
    out.flush()?;
    Ok(Outcome::Clean)
}

/// Where each shell looks for the script, said in a comment at its top.
fn install_note(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => {
            "# Install: claude-429 completions bash > ~/.local/share/bash-completion/completions/claude-429\n"
        }
        Shell::Zsh => {
            "# Install: claude-429 completions zsh > ~/.zfunc/_claude-429 (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)\n"
        }
        Shell::Fish => {
            "# Install: claude-429 completions fish > ~/.config/fish/completions/claude-429.fish\n"
        }
        Shell::PowerShell => {
            "# Install: claude-429 completions powershell >> $PROFILE (or dot-source this file from it)\n"
        }
        Shell::Elvish => {
            "# Install: claude-429 completions elvish > ~/.config/elvish/lib/claude-429.elv, then `use claude-429` in rc.elv\n"
        }
        _ => "",
    }
}

/// A completion script with the install note (after `#compdef` for zsh, which must stay first),
/// with clap_complete's gaps for this binary filled in (see [`fix_bash`] and [`fish_positionals`]).
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = completion_command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
    match shell {
        Shell::Bash => buf = fix_bash(&String::from_utf8_lossy(&buf)).into_bytes(),
        Shell::Fish => buf.extend_from_slice(fish_positionals(&cmd).as_bytes()),
        _ => {}
    }
    let note = install_note(shell).as_bytes();
    if shell == Shell::Zsh && buf.starts_with(b"#compdef") {
        let end = buf
            .iter()
            .position(|&b| b == b'\n')
            .map_or(buf.len(), |i| i + 1);
        buf.splice(end..end, note.iter().copied());
        buf
    } else {
        let mut out = note.to_vec();
        out.extend_from_slice(&buf);
        out
    }
}

/// clap_complete's bash script names a subcommand's state `claude__429__subcmd__fixes` in its
/// dispatch loop but labels the matching `case` arm `claude__subcmd__429__subcmd__fixes` (the
/// bin name's hyphen escaped twice: clap-rs/clap#6421, #6529), so nothing completes after the
/// subcommand. Spell the arms the way the loop does; a no-op once clap_complete is fixed.
fn fix_bash(script: &str) -> String {
    let loop_name = BIN.replace('-', "__");
    let arm_name = BIN.replace('-', "__subcmd__");
    script.replace(
        &format!("{arm_name}__subcmd__"),
        &format!("{loop_name}__subcmd__"),
    )
}

/// clap_complete's fish script completes flags and subcommands but no positional argument:
/// add the possible values of each subcommand's positionals (`fixes <CLASS>`, `completions
/// <SHELL>`).
fn fish_positionals(cmd: &clap::Command) -> String {
    let fn_name = format!("__fish_{}_using_subcommand", BIN.replace('-', "_"));
    let mut out = String::new();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_positionals().filter(|a| !a.is_hide_set()) {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| match v.get_help() {
                    Some(h) => format!("{}\\t'{}'", v.get_name(), fish_escape(&h.to_string())),
                    None => v.get_name().to_string(),
                })
                .collect();
            if values.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "complete -c {BIN} -n \"{fn_name} {}\" -f -a \"{}\"\n",
                sub.get_name(),
                values.join(" ")
            ));
        }
    }
    out
}

fn fish_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\'', "\\'")
        .replace('"', "\\\"")
}

/// Every generated file: (relative path, contents): completions, man pages, JSON schemas.
#[cfg(feature = "generate")]
pub fn files() -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let buf = completion_script(shell);
        let name = match shell {
            Shell::Bash => format!("{BIN}.bash"),
            Shell::Zsh => format!("_{BIN}"),
            Shell::Fish => format!("{BIN}.fish"),
            Shell::PowerShell => format!("_{BIN}.ps1"),
            Shell::Elvish => format!("{BIN}.elv"),
            _ => unreachable!("only the shells listed above"),
        };
        files.push((format!("completions/{name}"), buf));
    }
    // No `help` subcommand in the pages: it has no page of its own to refer to.
    let cmd = Cli::command().disable_help_subcommand(true);
    files.extend(crate::schema::files());
    files.push((format!("man/{BIN}.1"), man_page(cmd.clone(), BIN, None)?));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{BIN}-{}", sub.get_name());
        let codes = exit_status_of(sub);
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("{BIN} {}", sub.get_name()));
        files.push((format!("man/{name}.1"), man_page(sub, &name, Some(codes))?));
    }
    Ok(files)
}

/// The exit statuses a subcommand can end with: its own `Exit status:` block when its
/// `--help` has one (probe), else the rows of the shared table ([`EXIT_STATUS`]) it can
/// return, with what code 1 means for it.
#[cfg(feature = "generate")]
fn exit_status_of(sub: &clap::Command) -> Vec<(String, String)> {
    if let Some(own) = sub
        .get_after_help()
        .map(|h| h.to_string())
        .filter(|h| h.contains("Exit status:"))
    {
        return exit_rows(own.split("Exit status:").nth(1).unwrap_or_default());
    }
    let shared = exit_rows(EXIT_STATUS.split("Exit status:").nth(1).unwrap_or_default());
    let row = |code: &str| {
        shared
            .iter()
            .find(|(c, _)| c == code)
            .cloned()
            .unwrap_or_default()
    };
    let one = |text: &str| ("1".to_string(), text.to_string());
    match sub.get_name() {
        "replay" => vec![
            row("0"),
            one("ran fine and found rate-limit failures"),
            row("2"),
        ],
        "diagnose" => vec![
            row("0"),
            one("ran fine and found rate-limit failures"),
            row("2"),
            (
                "3".into(),
                "with --live: API or network error talking to Anthropic (auth, timeout, 5xx)"
                    .into(),
            ),
        ],
        "limits" => vec![
            (
                "0".into(),
                "the limits were listed, saved, or --check found no drift".into(),
            ),
            one("--check: a limit drifted from the lock file or fell below a --min floor"),
            (
                "2".into(),
                "usage error (bad flags, a missing or unreadable lock file)".into(),
            ),
            row("3"),
        ],
        "mock" => vec![
            row("0"),
            one("the client misbehaved (client problems found)"),
            row("2"),
        ],
        "hook" => vec![(
            "0".into(),
            "always (a hook must never fail the session), except 2 for bad flags".into(),
        )],
        _ => vec![("0".into(), "ran fine".into()), row("2")],
    }
}

/// `  0  text` lines (continuation lines indented deeper) as (code, text) rows.
#[cfg(feature = "generate")]
fn exit_rows(block: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        match t.split_once("  ") {
            Some((code, text)) if code.trim().parse::<u8>().is_ok() => {
                rows.push((code.trim().to_string(), text.trim().to_string()));
            }
            _ => {
                if let Some(last) = rows.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(t);
                }
            }
        }
    }
    rows
}

/// A man page: clap_mangen's sections without EXTRA (the `--help` epilogue, which is the
/// exit-status text said properly below), then EXIT STATUS, ENVIRONMENT, INSTALL, SEE ALSO.
#[cfg(feature = "generate")]
fn man_page(
    cmd: clap::Command,
    name: &str,
    exit_codes: Option<Vec<(String, String)>>,
) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .date("");
    let ctx = || format!("rendering the man page for {name}");
    man.render_title(&mut buf).with_context(ctx)?;
    man.render_name_section(&mut buf).with_context(ctx)?;
    man.render_synopsis_section(&mut buf).with_context(ctx)?;
    man.render_description_section(&mut buf).with_context(ctx)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf).with_context(ctx)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf).with_context(ctx)?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut buf).with_context(ctx)?;
    }
    // The `--help` epilogue's text before its exit statuses (probe's headroom legend).
    let notes = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .and_then(|h| h.split("Exit status:").next().map(|n| n.trim().to_string()))
        .filter(|n| !n.is_empty());
    if let Some(notes) = notes {
        buf.extend_from_slice(b".SH NOTES\n.nf\n");
        for line in notes.lines() {
            buf.extend_from_slice(format!("{}\n", roff_text(line)).as_bytes());
        }
        buf.extend_from_slice(b".fi\n");
    }
    // Each section rendered alone starts with roff's apostrophe preamble: keep the first.
    let preamble = b".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let mut kept = Vec::with_capacity(buf.len());
    let mut seen = false;
    let mut rest = &buf[..];
    while let Some(i) = rest.windows(preamble.len()).position(|w| w == preamble) {
        kept.extend_from_slice(&rest[..i]);
        if !seen {
            kept.extend_from_slice(preamble);
            seen = true;
        }
        rest = &rest[i + preamble.len()..];
    }
    kept.extend_from_slice(rest);
    let mut buf = kept;
    let codes = exit_codes
        .unwrap_or_else(|| exit_rows(EXIT_STATUS.split("Exit status:").nth(1).unwrap_or_default()));
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, text) in codes {
        buf.extend_from_slice(format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(&text)).as_bytes());
    }
    buf.extend_from_slice(ENVIRONMENT.as_bytes());
    buf.extend_from_slice(
            ".SH INSTALL\nCopy the pages to a man1 directory on MANPATH, e.g. \\fBcp man/*.1 ~/.local/share/man/man1/\\fR (or /usr/local/share/man/man1 as root). Shell completions: \\fBclaude\\-429 completions SHELL\\fR prints the script; each one says where to put it (scripts/install.sh installs them).\n.SH \"SEE ALSO\"\nThe docs/ directory of the source (https://github.com/claude-429/claude-429/tree/main/docs): one page per command, and docs/json.md for every JSON field.\n"
        .as_bytes(),
    );
    Ok(buf)
}

/// Text for a roff paragraph: hyphens as minus signs (`--check` stays typeable), a leading
/// dot or quote escaped.
#[cfg(feature = "generate")]
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\\\").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

#[cfg(feature = "generate")]
const ENVIRONMENT: &str = ".SH ENVIRONMENT\n.TP\nANTHROPIC_API_KEY\nkey for probe and diagnose \\-\\-live (never printed)\n.TP\nANTHROPIC_ADMIN_KEY\nAdmin API key for limits and diagnose \\-\\-live (never printed)\n.TP\nANTHROPIC_BASE_URL\nbase URL of the API, a proxy or a local server\n.TP\nANTHROPIC_AUTH_TOKEN\nbearer token for probe and diagnose \\-\\-live (gateways, Workload Identity Federation), sent as Authorization: Bearer; wins over ANTHROPIC_API_KEY\n.TP\nANTHROPIC_CUSTOM_HEADERS\nextra headers for every request, one Name: value per line\n.TP\nSSL_CERT_FILE, SSL_CERT_DIR\ntrusted CA certificates (PEM) read instead of the platform's trust store (the bundled roots and \\-\\-cacert still apply)\n.TP\nHTTPS_PROXY, NO_PROXY\nproxy for requests, and hosts to reach directly\n.TP\nGITHUB_ACTIONS, GITHUB_STEP_SUMMARY\nunder GitHub Actions, a failing limits \\-\\-check, replay or diagnose prints ::error annotations and appends to the step summary\n.TP\nNO_COLOR\nturns colour off when set and not empty\n.TP\nCLICOLOR_FORCE\nturns colour on (with \\-\\-color auto) when set and not 0\n.TP\nCOLUMNS\nthe width to lay output out for (default: the terminal's width, else 100)\n";

#[cfg(feature = "generate")]
pub fn generate(a: &GenerateArgs) -> Result<Outcome> {
    write_all(&a.dir)?;
    Ok(Outcome::Clean)
}

/// Without the `generate` feature the generator is not compiled in: say how to get it.
#[cfg(not(feature = "generate"))]
pub fn generate(_: &GenerateArgs) -> Result<Outcome> {
    Err(crate::exit::UsageError(
        "this build has no generator: run `cargo run --features generate -- generate .`".into(),
    )
    .into())
}

#[cfg(feature = "generate")]
pub fn write_all(dir: &Path) -> Result<()> {
    for (rel, contents) in files()? {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_completions_offer_classes_and_no_hidden_subcommand() {
        let bash = String::from_utf8(completion_script(clap_complete::Shell::Bash)).unwrap();
        assert!(
            !bash.contains("generate"),
            "bash completions offer generate"
        );
        assert!(bash.contains("subscription_cap"));
        assert!(bash.starts_with("# Install: "));
        let zsh = String::from_utf8(completion_script(clap_complete::Shell::Zsh)).unwrap();
        assert!(zsh.starts_with("#compdef claude-429\n# Install: "));
    }
}
