//! Shell completions and man pages, generated from the clap definitions. The committed copies
//! under `completions/` and `man/` are checked for staleness by a test.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs, EXIT_STATUS, GenerateArgs};
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

/// A completion script with the install note (after `#compdef` for zsh, which must stay first).
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = completion_command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
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

/// Every generated file: (relative path, contents): completions, man pages, JSON schemas.
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
    let cmd = Cli::command();
    files.extend(crate::schema::files());
    files.push((format!("man/{BIN}.1"), man_page(cmd.clone(), BIN)?));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{BIN}-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("{BIN} {}", sub.get_name()));
        files.push((format!("man/{name}.1"), man_page(sub, &name)?));
    }
    Ok(files)
}

fn man_page(cmd: clap::Command, name: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .date("")
        .render(&mut buf)
        .with_context(|| format!("rendering the man page for {name}"))?;
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for line in EXIT_STATUS.lines().skip(1) {
        let line = line.trim();
        if let Some((code, text)) = line.split_once("  ") {
            buf.extend_from_slice(
                format!(".TP\n\\fB{}\\fR\n{}\n", code.trim(), text.trim()).as_bytes(),
            );
        }
    }
    buf.extend_from_slice(
            ".SH INSTALL\nCopy the pages to a man1 directory on MANPATH, e.g. \\fBcp man/*.1 ~/.local/share/man/man1/\\fR (or /usr/local/share/man/man1 as root). Shell completions: \\fBclaude-429 completions SHELL\\fR prints the script; each one says where to put it.\n.SH \"SEE ALSO\"\nThe docs/ directory of the source: one page per command, and docs/json.md for every JSON field.\n"
        .as_bytes(),
    );
    buf.extend_from_slice(
        b".SH ENVIRONMENT\n.TP\nANTHROPIC_API_KEY\nkey for probe (never printed)\n.TP\nANTHROPIC_ADMIN_KEY\nAdmin API key for limits (never printed)\n.TP\nANTHROPIC_BASE_URL\nbase URL of the API, a proxy or a local server\n.TP\nANTHROPIC_AUTH_TOKEN\nbearer token for probe (gateways, Workload Identity Federation), sent as Authorization: Bearer; wins over ANTHROPIC_API_KEY\n.TP\nANTHROPIC_CUSTOM_HEADERS\nextra headers for every request, one Name: value per line\n.TP\nSSL_CERT_FILE, SSL_CERT_DIR\nextra trusted CA certificates (PEM), besides the platform's trust store\n.TP\nHTTPS_PROXY, NO_PROXY\nproxy for requests, and hosts to reach directly\n.TP\nNO_COLOR\nturns colour off when set and not empty\n.TP\nCLICOLOR_FORCE\nturns colour on (with --color auto) when set and not 0\n.TP\nCOLUMNS\nthe width to lay output out for (default: the terminal's width, else 100)\n",
    );
    Ok(buf)
}

pub fn generate(a: &GenerateArgs) -> Result<Outcome> {
    write_all(&a.dir)?;
    Ok(Outcome::Clean)
}

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
