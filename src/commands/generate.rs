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

pub fn completions(a: &CompletionsArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(a.shell, &mut cmd, BIN, &mut out);
    out.flush()?;
    Ok(Outcome::Clean)
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
        let mut cmd = Cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
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
        b".SH ENVIRONMENT\n.TP\nANTHROPIC_API_KEY\nkey for probe (never printed)\n.TP\nANTHROPIC_ADMIN_KEY\nAdmin API key for limits (never printed)\n.TP\nANTHROPIC_BASE_URL\nbase URL of the API, a proxy or a local server\n.TP\nANTHROPIC_AUTH_TOKEN\nbearer token for probe (gateways, Workload Identity Federation), sent as Authorization: Bearer; wins over ANTHROPIC_API_KEY\n.TP\nANTHROPIC_CUSTOM_HEADERS\nextra headers for every request, one Name: value per line\n.TP\nSSL_CERT_FILE, SSL_CERT_DIR\nextra trusted CA certificates (PEM), besides the platform's trust store\n.TP\nHTTPS_PROXY, NO_PROXY\nproxy for requests, and hosts to reach directly\n.TP\nNO_COLOR\nturns colour off when set and not empty\n",
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
