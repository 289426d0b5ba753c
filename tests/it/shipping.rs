//! What a user meets first: the packaged crate holds every file the code embeds; the shell
//! completions really complete (bash always; zsh and fish when installed); GitHub Actions
//! annotations for every failing `limits --check`, `replay` and `diagnose`; the fix line in
//! normal weight; `diagnose --live` with only `ANTHROPIC_AUTH_TOKEN`; install.sh installs the
//! completions. The shell tests are Unix-only.
#![cfg_attr(not(unix), allow(dead_code))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ADMIN_KEY: &str = "sk-ant-admin01-SHIPTEST-5f3c9a1e7b2d4c6e8f0a1b3c-never-print";
const WRONG_ADMIN_KEY: &str = "sk-ant-admin01-SHIPTEST-rejected-0000000000000-never-print";
const TOKEN: &str = "SHIPTEST-bearer-token-9f8e7d6c5b4a-never-print";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    crate::common::exe()
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

/// The binary from a cleared environment (no ANTHROPIC_*, no GITHUB_*), colour off.
fn claude() -> assert_cmd::Command {
    let mut c = crate::common::bin();
    c.current_dir(root()).timeout(Duration::from_secs(60));
    c
}

fn run(mut c: assert_cmd::Command) -> Run {
    let o = c.output().unwrap();
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    for k in [ADMIN_KEY, WRONG_ADMIN_KEY, TOKEN] {
        assert!(
            !r.out.contains(k) && !r.err.contains(k),
            "a key was printed:\n{}\n{}",
            r.out,
            r.err
        );
    }
    r
}

// ---------------------------------------------------------------------------------------
// The package

/// Every `include_str!` / `include_bytes!` path in `src/`, resolved from the file using it.
fn embedded_files() -> Vec<String> {
    let mut found = Vec::new();
    for e in walkdir::WalkDir::new(root().join("src"))
        .into_iter()
        .flatten()
    {
        if e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        for mac in ["include_str!(\"", "include_bytes!(\""] {
            for (i, _) in text.match_indices(mac) {
                let rest = &text[i + mac.len()..];
                let Some(end) = rest.find('"') else { continue };
                let joined = e.path().parent().unwrap().join(&rest[..end]);
                // Normalise `..` without touching the file system.
                let mut parts: Vec<String> = Vec::new();
                for c in joined.strip_prefix(root()).unwrap().components() {
                    match c {
                        std::path::Component::ParentDir => {
                            parts.pop();
                        }
                        std::path::Component::Normal(n) => {
                            parts.push(n.to_string_lossy().into_owned());
                        }
                        _ => {}
                    }
                }
                found.push(parts.join("/"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_embedded_file_is_in_the_package() {
    let embedded = embedded_files();
    assert!(
        embedded.iter().any(|f| f.starts_with("scenarios/")),
        "the scan found no embedded scenario: {embedded:?}"
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--locked"])
        .current_dir(root())
        .output()
        .expect("cargo package --list");
    assert!(
        o.status.success(),
        "cargo package --list failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let listed = String::from_utf8_lossy(&o.stdout);
    let listed: Vec<&str> = listed.lines().collect();
    let missing: Vec<&String> = embedded
        .iter()
        .filter(|f| !listed.contains(&f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "embedded but not packaged (add them to Cargo.toml's include): {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Completions, in real shells

fn completion_script(shell: &str, dir: &Path) -> PathBuf {
    let r = run({
        let mut c = claude();
        c.args(["completions", shell]);
        c
    });
    assert_eq!(r.code, 0, "{}", r.err);
    let name = match shell {
        "zsh" => "_claude-429".to_string(),
        s => format!("claude-429.{s}"),
    };
    let p = dir.join(name);
    std::fs::write(&p, r.out).unwrap();
    p
}

fn have(shell: &str) -> bool {
    Command::new(shell)
        .args(["-c", "exit 0"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Completes `words` (the last one being completed, maybe empty) in bash through the
/// function the script registers for `claude-429`, as readline would call it.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let driver = format!(
        r#"source '{script}'
f=$(complete -p claude-429 | sed -n 's/.*-F \([^ ]*\).*/\1/p')
[ -n "$f" ] || {{ echo "no completion function registered" >&2; exit 9; }}
COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
"$f" claude-429 '{cur}' '{prev}'
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script = script.display(),
        words = quoted.join(" "),
        cur = words[cword],
    );
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver])
        .output()
        .expect("bash (required: the bash completion is always tested)");
    assert!(
        o.status.success(),
        "bash driver failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[cfg(unix)]
#[test]
fn bash_completes_past_the_subcommand() {
    let dir = TempDir::new().unwrap();
    let script = completion_script("bash", dir.path());
    let offered = |words: &[&str]| bash_complete(&script, words);

    let subs = offered(&["claude-429", ""]);
    assert!(subs.contains(&"replay".into()) && subs.contains(&"fixes".into()));
    assert!(!subs.contains(&"generate".into()), "{subs:?}");

    let classes = offered(&["claude-429", "fixes", ""]);
    assert!(classes.contains(&"itpm".into()), "fixes: {classes:?}");
    assert!(classes.contains(&"subscription_cap".into()), "{classes:?}");

    let only = offered(&["claude-429", "replay", "--only", ""]);
    assert!(only.contains(&"rpm".into()), "replay --only: {only:?}");
    assert!(!only.contains(&"--json".into()), "{only:?}");

    let flags = offered(&["claude-429", "limits", "--"]);
    assert!(flags.contains(&"--check".into()), "limits --: {flags:?}");
    assert!(flags.iter().all(|f| f.starts_with("--")), "{flags:?}");

    let formats = offered(&["claude-429", "diagnose", "--format", ""]);
    assert_eq!(formats, ["text", "markdown", "html"], "diagnose --format");

    let shells = offered(&["claude-429", "completions", "z"]);
    assert_eq!(shells, ["zsh"]);

    let narrowed = offered(&["claude-429", "fixes", "ot"]);
    assert_eq!(narrowed, ["otpm"]);
}

#[cfg(unix)]
#[test]
fn the_committed_bash_script_completes_too() {
    let script = root().join("completions/claude-429.bash");
    let classes = bash_complete(&script, &["claude-429", "fixes", ""]);
    assert!(classes.contains(&"itpm".into()), "{classes:?}");
}

#[cfg(unix)]
#[test]
fn fish_completes_classes_flags_and_formats() {
    if !have("fish") {
        eprintln!("skipped: fish is not installed (apt-get install fish)");
        return;
    }
    let dir = TempDir::new().unwrap();
    let script = completion_script("fish", dir.path());
    let complete = |line: &str| -> Vec<String> {
        let o = Command::new("fish")
            .args([
                "--no-config",
                "-c",
                &format!("source '{}'; complete -C '{line}'", script.display()),
            ])
            .output()
            .expect("fish");
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    };
    let classes = complete("claude-429 fixes ");
    assert!(classes.contains(&"itpm".into()), "fixes: {classes:?}");
    let only = complete("claude-429 replay --only ");
    assert!(only.contains(&"rpm".into()), "replay --only: {only:?}");
    let formats = complete("claude-429 diagnose --format ");
    assert!(formats.contains(&"markdown".into()), "{formats:?}");
    let flags = complete("claude-429 limits --ch");
    assert!(flags.contains(&"--check".into()), "{flags:?}");
    let shells = complete("claude-429 completions ");
    assert!(shells.contains(&"zsh".into()), "{shells:?}");
}

/// Types `line` and a TAB into an interactive zsh on a pseudo-terminal (zsh/zpty) with the
/// script on fpath, and returns what the screen shows, escape sequences removed.
fn zsh_complete(dir: &Path, line: &str) -> String {
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let link = bin_dir.join("claude-429");
    if !link.exists() {
        std::fs::copy(bin(), &link).unwrap();
    }
    let driver = dir.join("drive.zsh");
    std::fs::write(
        &driver,
        r#"zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($ZC_DIR \$fpath); autoload -U compinit; compinit -u -D; zstyle ':completion:*' list-prompt ''; LISTMAX=1000"
sleep 2
zpty -r -t z junk
zpty -w -n z "$1"$'\t'
sleep 3
all=""
while zpty -r -t z chunk; do all+="$chunk"; done
zpty -d z
print -r -- "$all"
"#,
    )
    .unwrap();
    let o = Command::new("zsh")
        .arg("-f")
        .arg(&driver)
        .arg(line)
        .env("ZC_DIR", dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("zsh");
    let raw = String::from_utf8_lossy(&o.stdout);
    // Drop CSI sequences (ESC [ ... final byte) and stray control characters.
    let mut clean = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
        } else if c == '\n' || !c.is_control() {
            clean.push(c);
        }
    }
    clean
}

#[cfg(unix)]
#[test]
fn zsh_completes_classes_and_flags() {
    if !have("zsh") {
        eprintln!("skipped: zsh is not installed (apt-get install zsh)");
        return;
    }
    let dir = TempDir::new().unwrap();
    completion_script("zsh", dir.path());
    let screen = zsh_complete(dir.path(), "claude-429 fixes ");
    let words: Vec<&str> = screen.split_whitespace().collect();
    for class in ["itpm", "rpm", "subscription_cap"] {
        assert!(words.contains(&class), "fixes: no {class} in:\n{screen}");
    }
    let screen = zsh_complete(dir.path(), "claude-429 limits --ch");
    assert!(screen.contains("--check"), "limits --ch:\n{screen}");
}

// ---------------------------------------------------------------------------------------
// GitHub Actions

fn org_limits() -> Value {
    let p = root().join("tests/fixtures/limits/org_rate_limits.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A Rate Limits API that answers ADMIN_KEY and rejects any other key (401).
async fn rate_limits_api() -> MockServer {
    let s = MockServer::start().await;
    let org = org_limits();
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(move |r: &Request| {
            if r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(ADMIN_KEY) {
                return ResponseTemplate::new(401).set_body_json(json!({"type": "error",
                    "error": {"type": "authentication_error", "message": "invalid x-api-key"}}));
            }
            ResponseTemplate::new(200).set_body_json(json!({"data": org, "next_page": null}))
        })
        .mount(&s)
        .await;
    s
}

fn limits(base: &str, key: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = claude();
    c.env("ANTHROPIC_BASE_URL", base)
        .env("ANTHROPIC_ADMIN_KEY", key)
        .arg("limits")
        .args(args);
    c
}

async fn blocking(c: assert_cmd::Command) -> Run {
    tokio::task::spawn_blocking(move || run(c)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_check_with_a_rejected_admin_key_annotates_and_summarises() {
    let s = rate_limits_api().await;
    let dir = TempDir::new().unwrap();
    let lock = dir.path().join("limits.lock.json");
    let lock_s = lock.to_str().unwrap().to_string();
    let saved = blocking(limits(&s.uri(), ADMIN_KEY, &["--save", &lock_s])).await;
    assert_eq!(saved.code, 0, "{}", saved.err);

    let summary = dir.path().join("summary.md");
    let mut c = limits(&s.uri(), WRONG_ADMIN_KEY, &["--check", &lock_s]);
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary);
    let r = blocking(c).await;
    assert_eq!(r.code, 3, "{}\n{}", r.out, r.err);
    let line = r
        .out
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no ::error annotation:\n{}", r.out));
    assert!(
        line.starts_with(
            "::error title=claude-429 limits --check%3A API or network error (exit 3)::"
        ),
        "{line}"
    );
    assert!(line.contains("401"), "{line}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("API or network error (exit 3)"), "{md}");

    // Without GitHub Actions: no annotation.
    let r = blocking(limits(&s.uri(), WRONG_ADMIN_KEY, &["--check", &lock_s])).await;
    assert_eq!(r.code, 3);
    assert!(!r.out.contains("::error"), "{}", r.out);
}

#[test]
fn limits_check_with_a_missing_lock_file_annotates_the_file() {
    let dir = TempDir::new().unwrap();
    let summary = dir.path().join("summary.md");
    let mut c = limits(
        "http://127.0.0.1:9",
        ADMIN_KEY,
        &["--check", "no-such.lock.json"],
    );
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary);
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.out.lines().any(|l| l.starts_with(
            "::error title=claude-429 limits --check%3A usage error or unreadable input (exit 2),file=no-such.lock.json::"
        )),
        "{}",
        r.out
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("no-such.lock.json"), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_step_summary_is_a_warning_not_a_failure() {
    let s = rate_limits_api().await;
    let dir = TempDir::new().unwrap();
    let lock = dir.path().join("limits.lock.json");
    let lock_s = lock.to_str().unwrap().to_string();
    let saved = blocking(limits(&s.uri(), ADMIN_KEY, &["--save", &lock_s])).await;
    assert_eq!(saved.code, 0, "{}", saved.err);

    let mut c = limits(&s.uri(), ADMIN_KEY, &["--check", &lock_s]);
    c.env("GITHUB_ACTIONS", "true").env(
        "GITHUB_STEP_SUMMARY",
        dir.path().join("no/such/dir/summary.md"),
    );
    let r = blocking(c).await;
    assert_eq!(
        r.code, 0,
        "a clean check stays clean:\n{}\n{}",
        r.out, r.err
    );
    assert!(
        r.out
            .lines()
            .any(|l| l.starts_with("::warning title=claude-429 step summary::")),
        "{}",
        r.out
    );
    assert!(
        r.err
            .contains("warning: cannot append to GITHUB_STEP_SUMMARY")
    );
}

#[test]
fn replay_and_diagnose_annotate_failures_found_with_the_file() {
    let dir = TempDir::new().unwrap();
    for cmd in ["replay", "diagnose"] {
        let summary = dir.path().join(format!("{cmd}.md"));
        let mut c = claude();
        c.args([cmd, "examples/curl-itpm.txt"])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary);
        let r = run(c);
        assert_eq!(r.code, 1, "{}", r.err);
        let want = format!(
            "::error title=claude-429 {cmd}%3A failures found (exit 1),file=examples/curl-itpm.txt::1 failure found: 1 itpm"
        );
        assert!(r.out.lines().any(|l| l == want), "{cmd}:\n{}", r.out);
        let md = std::fs::read_to_string(&summary).unwrap();
        assert!(md.contains("1 failure found: 1 itpm"), "{md}");
    }
    // An unreadable input: exit 2, annotated with the file.
    let mut c = claude();
    c.args(["replay", "no-such-capture.txt"])
        .env("GITHUB_ACTIONS", "true");
    let r = run(c);
    assert_eq!(r.code, 2);
    assert!(
        r.out.contains(
            "::error title=claude-429 replay%3A usage error or unreadable input (exit 2)"
        ),
        "{}",
        r.out
    );
    // --json keeps stdout one JSON document: the annotation goes to stderr.
    let mut c = claude();
    c.args(["replay", "examples/curl-itpm.txt", "--json"])
        .env("GITHUB_ACTIONS", "true");
    let r = run(c);
    assert_eq!(r.code, 1);
    serde_json::from_str::<Value>(&r.out).expect("stdout is JSON");
    assert!(
        r.err.contains("::error title=claude-429 replay"),
        "{}",
        r.err
    );
}

// ---------------------------------------------------------------------------------------
// Small things people see

#[test]
fn replay_prints_the_fix_line_without_the_dim_attribute() {
    let mut c = claude();
    c.env_remove("NO_COLOR")
        .args(["--color", "always", "replay", "examples/curl-itpm.txt"]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}", r.err);
    let fix = r
        .out
        .lines()
        .find(|l| l.contains("fix:"))
        .unwrap_or_else(|| panic!("no fix line:\n{}", r.out));
    assert!(!fix.contains("\x1b[2m"), "the fix line is dimmed: {fix:?}");
    assert!(
        fix.contains("\x1b[1mfix:"),
        "the label is not bold: {fix:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_live_with_only_an_auth_token_runs_the_probe() {
    let s = MockServer::start().await;
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(move |r: &Request| {
            let auth = r.headers.get("authorization").and_then(|v| v.to_str().ok());
            if auth != Some(&format!("Bearer {TOKEN}")) || r.headers.contains_key("x-api-key") {
                return ResponseTemplate::new(401).set_body_json(json!({"type": "error",
                    "error": {"type": "authentication_error", "message": "no bearer token"}}));
            }
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"id": "msg_01", "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Hi"}],
                    "usage": {"input_tokens": 9, "output_tokens": 1}}),
                )
                .insert_header("anthropic-ratelimit-requests-limit", "4000")
                .insert_header("anthropic-ratelimit-requests-remaining", "3999")
                .insert_header("anthropic-ratelimit-requests-reset", reset.as_str())
        })
        .mount(&s)
        .await;
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("incident.jsonl");
    let mut lines = String::new();
    for i in 0..3 {
        let failed = i == 2;
        lines.push_str(
            &json!({
                "ts": format!("2026-11-20T14:00:{:02}Z", i * 5),
                "status": if failed { 429 } else { 200 },
                "headers": {
                    "anthropic-ratelimit-requests-limit": "50",
                    "anthropic-ratelimit-requests-remaining": if failed { "0" } else { "5" },
                    "retry-after": "20"
                },
                "body": if failed {
                    json!({"type": "error", "error": {"type": "rate_limit_error",
                           "message": "Number of requests has exceeded your per-minute rate limit"}})
                } else {
                    json!({"type": "message", "model": "claude-sonnet-4-5", "usage": {"output_tokens": 5}})
                },
                "request": {"model": "claude-sonnet-4-5", "max_tokens": 100}
            })
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&log, lines).unwrap();
    let mut c = claude();
    c.env("ANTHROPIC_BASE_URL", s.uri())
        .env("ANTHROPIC_AUTH_TOKEN", TOKEN)
        .args(["diagnose", log.to_str().unwrap(), "--live", "--json"]);
    let r = blocking(c).await;
    assert_eq!(r.code, 1, "{}", r.err);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["live"]["probe"]["status"], "read", "{:#}", v["live"]);
    let posts = s
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 1);

    // The text report's live section is wrapped to the width (it ran past 300 columns).
    let mut c = claude();
    c.env("ANTHROPIC_BASE_URL", s.uri())
        .env("ANTHROPIC_AUTH_TOKEN", TOKEN)
        .env("COLUMNS", "72")
        .args(["diagnose", log.to_str().unwrap(), "--live"]);
    let r = blocking(c).await;
    assert_eq!(r.code, 1, "{}", r.err);
    let live = r
        .out
        .split("Live comparison")
        .nth(1)
        .unwrap_or_else(|| panic!("no live section:\n{}", r.out));
    assert!(live.contains("probe (now"), "{live}");
    for line in live.lines() {
        let width = line.chars().count();
        let longest_word = line.split_whitespace().map(|w| w.chars().count()).max();
        assert!(
            width <= 72 || longest_word.is_some_and(|w| w > 60),
            "a {width}-column line in the live section:\n{line}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// install.sh

/// install.sh from a local fake release (the binary under test, tar.gz and .sha256) installs
/// completion scripts that bash then uses.
#[cfg(unix)]
#[test]
fn install_sh_installs_completions_bash_then_uses() {
    let script = root().join("scripts/install.sh");
    let sh = |args: &[&str], envs: &[(&str, &Path)]| {
        let mut c = Command::new("sh");
        c.arg(&script).args(args);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CLAUDE_429_") {
                c.env_remove(k);
            }
        }
        c.env_remove("GITHUB_PATH");
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().expect("sh")
    };
    let o = sh(&["--print-target"], &[]);
    if !o.status.success() {
        eprintln!("skipped: no release binary is built for this machine");
        return;
    }
    let target = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let tmp = TempDir::new().unwrap();
    let stage = tmp.path().join("stage");
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::copy(bin(), stage.join("claude-429")).unwrap();
    let name = format!("claude-429-{target}.tar.gz");
    let st = Command::new("sh")
        .args([
            "-c",
            "tar -cf - -C \"$1\" claude-429 | gzip -1 > \"$2/$3\" && cd \"$2\" && \
             (sha256sum \"$3\" 2>/dev/null || shasum -a 256 \"$3\") > \"$4\"",
            "sh",
        ])
        .arg(&stage)
        .arg(&dist)
        .arg(&name)
        .arg(format!("claude-429-{target}.sha256"))
        .status()
        .unwrap();
    assert!(st.success());
    let bin_dir = tmp.path().join("bin");
    let comp_dir = tmp.path().join("share");
    let o = sh(
        &["--no-fallback"],
        &[
            ("CLAUDE_429_DIST_DIR", &dist),
            ("CLAUDE_429_INSTALL_DIR", &bin_dir),
            ("CLAUDE_429_COMPLETIONS_DIR", &comp_dir),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("completions"), "{err}");
    let bash = comp_dir.join("bash-completion/completions/claude-429");
    for f in [
        bash.clone(),
        comp_dir.join("zsh/site-functions/_claude-429"),
        comp_dir.join("fish/vendor_completions.d/claude-429.fish"),
    ] {
        assert!(f.is_file(), "missing {}", f.display());
    }
    let classes = bash_complete(&bash, &["claude-429", "fixes", ""]);
    assert!(classes.contains(&"itpm".into()), "{classes:?}");

    // --no-completions installs none.
    let none = tmp.path().join("none");
    let o = sh(
        &["--no-fallback", "--no-completions"],
        &[
            ("CLAUDE_429_DIST_DIR", &dist),
            ("CLAUDE_429_INSTALL_DIR", &bin_dir),
            ("CLAUDE_429_COMPLETIONS_DIR", &none),
        ],
    );
    assert!(o.status.success());
    assert!(!none.exists());
}

// ---------------------------------------------------------------------------------------
// JSON Schemas for fixes, status and mock

/// Validates `doc` against `schema/<name>.schema.json`, listing every error.
fn validate(name: &str, doc: &Value) {
    let p = root().join(format!("schema/{name}.schema.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{doc:#}");
}

fn json_of(mut c: assert_cmd::Command, code: i32) -> Value {
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn fixes_status_and_mock_json_validate_against_their_schemas() {
    let mut c = claude();
    c.args(["fixes", "--json"]);
    let all = json_of(c, 0);
    assert!(all.as_array().is_some_and(|a| a.len() >= 13));
    validate("fixes", &all);
    let mut c = claude();
    c.args(["fixes", "itpm", "--json"]);
    let one = json_of(c, 0);
    assert_eq!(one["class"], "itpm");
    validate("fixes", &one);

    let dir = TempDir::new().unwrap();
    let mut c = claude();
    c.args(["status", "--json", "--dir"]).arg(dir.path());
    validate("status", &json_of(c, 0));

    // A rehearsal with no client: the report still has every field.
    let mut c = claude();
    c.args([
        "mock",
        "--scenario",
        "rpm",
        "--listen",
        "127.0.0.1:0",
        "--for",
        "1",
        "--json",
    ]);
    let report = json_of(c, 0);
    assert_eq!(report["scenario"], "rpm");
    validate("mock", &report);
}

// ---------------------------------------------------------------------------------------
// The spinner while limits waits

/// Runs `claude-429 ARGS` on a pseudo-terminal (util-linux `script`), stdout and stderr both
/// on it; returns the raw transcript.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut line = format!("stty cols 100 rows 40 && exec '{}'", bin().display());
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut c = Command::new("script");
    c.args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(std::process::Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("ANTHROPIC_") || k.starts_with("GITHUB_") || k == "CI" {
            c.env_remove(k);
        }
    }
    c.env("TERM", "xterm-256color").env("SHELL", "/bin/sh");
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().expect("script (util-linux)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn limits_shows_a_spinner_on_a_terminal_only_and_clears_it() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": org_limits(), "next_page": null}))
                .set_delay(Duration::from_millis(600)),
        )
        .mount(&s)
        .await;
    let base = s.uri();
    let env = [
        ("ANTHROPIC_BASE_URL", base.as_str()),
        ("ANTHROPIC_ADMIN_KEY", ADMIN_KEY),
    ];
    let text = tokio::task::spawn_blocking({
        let env = env.map(|(k, v)| (k, v.to_string()));
        move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            on_a_terminal(&["limits"], &env)
        }
    })
    .await
    .unwrap();
    assert!(
        text.contains("reading the configured limits"),
        "no spinner on a terminal:\n{text}"
    );
    // Cleared (carriage return, erase line) before the table.
    let table = text.find("requests_per_minute").expect("the table");
    let last_clear = text[..table]
        .rfind("\x1b[2K")
        .expect("the spinner line is erased");
    assert!(!text[last_clear..].contains("reading the"), "{text}");

    // Never with --json, never under CI, never in a pipe.
    for (args, ci) in [(&["limits", "--json"][..], false), (&["limits"][..], true)] {
        let mut envs = env.to_vec();
        if ci {
            envs.push(("CI", "true"));
        }
        let envs: Vec<(&'static str, String)> =
            envs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let text = tokio::task::spawn_blocking(move || {
            let e: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let a: Vec<&str> = owned.iter().map(String::as_str).collect();
            on_a_terminal(&a, &e)
        })
        .await
        .unwrap();
        assert!(!text.contains("reading the"), "{args:?} ci={ci}:\n{text}");
    }
    let r = blocking({
        let mut c = claude();
        c.env("ANTHROPIC_BASE_URL", &base)
            .env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
            .arg("limits");
        c
    })
    .await;
    assert_eq!(r.code, 0);
    assert!(!r.err.contains("reading the"), "{}", r.err);
}
