//! The binary in a pseudo-terminal (util-linux `script`), for layout and colour tests.

use std::process::Stdio;
use std::time::{Duration, Instant};

/// What a run in the pseudo-terminal printed.
pub struct Pty {
    pub code: Option<i32>,
    /// Everything the terminal received, `\r\n` turned into `\n`.
    pub text: String,
    pub elapsed: Duration,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs the binary with `args` in a pseudo-terminal `cols` wide and 50 rows high, from a
/// cleared environment (no `NO_COLOR`; `TERM=xterm-256color`) plus `env`.
pub fn pty(cols: u16, args: &[&str], env: &[(&str, &str)]) -> Pty {
    let mut line = format!(
        "stty cols {cols} rows 50 && exec {}",
        quote(&super::exe().to_string_lossy())
    );
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut c = super::command("script");
    c.args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(super::root())
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .env_remove("NO_COLOR")
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        c.env(k, v);
    }
    let start = Instant::now();
    let out = c
        .output()
        .expect("the `script` tool (util-linux) runs the pseudo-terminal");
    Pty {
        code: out.status.code(),
        text: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
        elapsed: start.elapsed(),
    }
}
