//! Claude Code integration: `status -` on the documented statusline payloads, the limit-hit
//! history (`hook`, `record` lines, bounds, permissions, `history`, `diagnose` on it), the
//! prompt hook's `systemMessage`, and `setup claude-code` on real-shaped settings files.
//!
//! Every run starts from a cleared environment with its own HOME and history file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_claude-429"))
}

/// A HOME of its own, with the history file inside.
struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            tmp: tempfile::tempdir().unwrap(),
        }
    }
    fn home(&self) -> &Path {
        self.tmp.path()
    }
    fn history(&self) -> PathBuf {
        self.tmp.path().join("state/history.jsonl")
    }
    fn records(&self) -> PathBuf {
        self.tmp.path().join("rec")
    }

    /// Runs the binary with `stdin`; returns exit code, stdout, stderr.
    fn run(&self, args: &[&str], stdin: &[u8], columns: u16) -> (i32, String, String) {
        self.run_in(self.home(), args, stdin, columns)
    }

    fn run_in(
        &self,
        cwd: &Path,
        args: &[&str],
        stdin: &[u8],
        columns: u16,
    ) -> (i32, String, String) {
        use std::io::Write;
        let mut child = Command::new(bin())
            .args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", "/usr/bin:/bin")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env("COLUMNS", columns.to_string())
            .env("CLAUDE_429_HISTORY", self.history())
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut i = child.stdin.take().unwrap();
        let _ = i.write_all(stdin);
        drop(i);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn status(&self, payload: &Value, columns: u16) -> String {
        let rec = self.records();
        let (code, out, err) = self.run(
            &["status", "-", "--dir", rec.to_str().unwrap()],
            payload.to_string().as_bytes(),
            columns,
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.lines().count(), 1, "{out}");
        out.trim_end().to_string()
    }

    fn hook(&self, input: &[u8]) -> String {
        let (code, out, err) = self.run(&["hook"], input, 80);
        assert_eq!(code, 0, "{err}");
        assert_eq!(err, "");
        out
    }

    fn write_records(&self, lines: &[Value]) {
        let dir = self.records();
        std::fs::create_dir_all(&dir).unwrap();
        let day = chrono::Utc::now().format("%Y-%m-%d");
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(dir.join(format!("{day}.jsonl")), text).unwrap();
    }

    fn history_entries(&self) -> Vec<Value> {
        std::fs::read_to_string(self.history())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn data(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(dir)
            .join(name),
    )
    .unwrap()
}

fn payload(name: &str) -> Value {
    serde_json::from_slice(&data("claude_code_statusline", name)).unwrap()
}

fn hook_input(name: &str) -> Vec<u8> {
    data("claude_code_hooks", name)
}

fn ts(ago_s: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(ago_s))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn epoch_in(s: i64) -> i64 {
    chrono::Utc::now().timestamp() + s
}

/// A record as `record` writes it: a 200 with the API-key rate-limit headers.
fn ok_record(ago: i64, req_left: u64, in_left: u64) -> Value {
    json!({"ts": ts(ago), "method": "POST", "url": "http://127.0.0.1:8429/v1/messages?beta=true",
        "status": 200, "headers": {
            "anthropic-ratelimit-requests-limit": "4000",
            "anthropic-ratelimit-requests-remaining": req_left.to_string(),
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": in_left.to_string(),
            "anthropic-ratelimit-output-tokens-limit": "8000",
            "anthropic-ratelimit-output-tokens-remaining": "7900"},
        "request": {"model": "claude-opus-4-8", "max_tokens": 32000, "stream": true}})
}

// ---------------------------------------------------------------------------------------
// status -

#[test]
fn subscriber_with_both_windows_shows_them_fast() {
    let env = Env::new();
    let mut p = payload("subscriber_both.json");
    p["rate_limits"]["five_hour"]["resets_at"] = json!(epoch_in(3600));
    let reset = chrono::DateTime::from_timestamp(epoch_in(3600), 0)
        .unwrap()
        .format("%H:%M")
        .to_string();
    // Warm the binary, then time one run (the 0.1 s budget, with room for a shared machine).
    env.status(&p, 80);
    let t = Instant::now();
    let line = env.status(&p, 80);
    let took = t.elapsed();
    assert_eq!(line, format!("5h 92% · resets {reset} · 7d 41%"));
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn one_window_missing_shows_the_other() {
    let env = Env::new();
    let line = env.status(&payload("subscriber_one_window.json"), 80);
    assert_eq!(line, "7d 63%");
}

#[test]
fn nulls_and_garbage_give_a_calm_line() {
    let env = Env::new();
    assert_eq!(env.status(&payload("nulls.json"), 80), "claude-429 ✓");
    let (code, out, _) = env.run(&["status", "-"], b"\x00\xffnot json", 80);
    assert_eq!(code, 0);
    assert_eq!(out.trim_end(), "claude-429 ✓");
    let (code, out, _) = env.run(&["status", "-"], b"", 80);
    assert_eq!(code, 0);
    assert_eq!(out.trim_end(), "claude-429 ✓");
}

#[test]
fn api_key_user_sees_headroom_from_records_and_not_the_noise() {
    let env = Env::new();
    env.write_records(&[
        ok_record(40, 3993, 20000),
        // Claude Code's start-up HEAD / and a 404 of another path: not failures.
        json!({"ts": ts(30), "method": "HEAD", "url": "http://127.0.0.1:8429/", "status": 404}),
        json!({"ts": ts(25), "method": "GET", "url": "http://127.0.0.1:8429/api/hello",
            "status": 404, "body": {"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}}}),
        ok_record(10, 3992, 18300),
    ]);
    let line = env.status(&payload("api_key.json"), 80);
    assert_eq!(line, "req 3992/4000 · in 61%");
    assert!(!line.contains("not_rate_limit"), "{line}");
    // --json carries the same, and no failure.
    let rec = env.records();
    let (code, out, _) = env.run(
        &["status", "-", "--dir", rec.to_str().unwrap(), "--json"],
        &data("claude_code_statusline", "api_key.json"),
        80,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["last_failure"].is_null(), "{v}");
    assert_eq!(v["classes"][0]["requests_remaining"], 3992);
}

#[test]
fn unified_window_headers_in_records_show_when_the_payload_has_none() {
    let env = Env::new();
    env.write_records(&[json!({"ts": ts(5), "method": "POST",
        "url": "http://127.0.0.1:8429/v1/messages", "status": 200, "headers": {
            "anthropic-ratelimit-unified-status": "allowed",
            "anthropic-ratelimit-unified-5h-status": "allowed",
            "anthropic-ratelimit-unified-5h-utilization": "0.92",
            "anthropic-ratelimit-unified-5h-reset": epoch_in(7200).to_string(),
            "anthropic-ratelimit-unified-7d-status": "allowed",
            "anthropic-ratelimit-unified-7d-utilization": "0.41",
            "anthropic-ratelimit-unified-7d-reset": epoch_in(86400 * 3).to_string()},
        "request": {"model": "claude-opus-4-8"}})]);
    let line = env.status(&payload("api_key.json"), 80);
    assert!(line.starts_with("5h 92% · resets "), "{line}");
    assert!(line.ends_with(" · 7d 41%"), "{line}");
}

#[test]
fn the_line_fits_40_and_80_columns() {
    let env = Env::new();
    env.write_records(&[ok_record(10, 3992, 18300)]);
    // A stop 20 s ago that asked for 33 s: 13 s to go.
    std::fs::create_dir_all(env.history().parent().unwrap()).unwrap();
    let stop = json!({"ts": ts(20), "source": "hook", "event": "StopFailure",
        "stop_error": "rate_limit", "status": 429, "class": "itpm", "confidence": "certain",
        "fix": "prompt caching; trim re-sent context", "retry_after_s": 33});
    std::fs::write(env.history(), format!("{stop}\n")).unwrap();
    let mut p = payload("subscriber_both.json");
    p["rate_limits"]["five_hour"]["resets_at"] = json!(epoch_in(3600));

    let wide = env.status(&p, 80);
    assert!(wide.starts_with("⚠ itpm: retry in 1"), "{wide}");
    assert!(wide.contains(" s · 5h 92% · resets "), "{wide}");
    assert!(wide.contains("7d 41% · req 3992/4000 · in 61%"), "{wide}");
    assert!(width(&wide) <= 80, "{wide}");

    let narrow = env.status(&p, 40);
    assert!(width(&narrow) <= 40, "{narrow}");
    assert!(narrow.starts_with("⚠ itpm: retry in 1"), "{narrow}");
    assert!(narrow.contains("5h 92%"), "{narrow}");
    assert!(!narrow.contains("resets"), "{narrow}");
}

fn width(s: &str) -> usize {
    s.chars().count()
}

#[test]
fn colour_only_when_asked() {
    let env = Env::new();
    let p = payload("subscriber_both.json");
    let rec = env.records();
    let args = ["status", "-", "--dir", rec.to_str().unwrap()];
    let (_, plain, _) = env.run(&args, p.to_string().as_bytes(), 80);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let mut cmd = Command::new(bin());
    let out = cmd
        .args(args)
        .args(["--color", "always"])
        .env_clear()
        .env("HOME", env.home())
        .env("CLAUDE_429_HISTORY", env.history())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(p.to_string().as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let coloured = String::from_utf8_lossy(&out.stdout);
    // 92% used of the 5-hour window: red.
    assert!(coloured.contains("\x1b["), "{coloured:?}");
}

// ---------------------------------------------------------------------------------------
// hook and history

#[test]
fn a_stop_lands_in_the_history_shows_in_the_statusline_and_is_announced_once() {
    let env = Env::new();
    let out = env.hook(&hook_input("stop_failure_rate_limit.json"));
    assert!(out.starts_with("claude-429: itpm"), "{out}");
    let h = env.history_entries();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["source"], "hook");
    assert_eq!(h[0]["event"], "StopFailure");
    assert_eq!(h[0]["stop_error"], "rate_limit");
    assert_eq!(h[0]["class"], "itpm");
    assert_eq!(h[0]["confidence"], "certain");
    assert_eq!(h[0]["status"], 429);
    assert_eq!(h[0]["session_id"], "8f2c1d3e-5b6a-4c7d-9e8f-0a1b2c3d4e5f");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&env.history()), 0o600);
        assert_eq!(mode(env.history().parent().unwrap()), 0o700);
    }

    let line = env.status(&payload("api_key.json"), 80);
    assert!(line.starts_with("⚠ itpm"), "{line}");

    let out = env.hook(&hook_input("user_prompt_submit.json"));
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let msg = v["systemMessage"].as_str().unwrap();
    assert!(msg.contains("itpm"), "{msg}");
    assert!(msg.contains("certain"), "{msg}");
    assert!(msg.contains("prompt caching"), "{msg}");
    // Only `systemMessage`: Claude Code rejects unknown keys.
    assert_eq!(v.as_object().unwrap().len(), 1);
    // Once: the next prompt and a new session say nothing more.
    assert_eq!(env.hook(&hook_input("user_prompt_submit.json")), "");
    assert_eq!(env.hook(&hook_input("session_start.json")), "");
    // A new stop is announced again, at the next session start.
    env.hook(&hook_input("stop_failure_overloaded.json"));
    let out = env.hook(&hook_input("session_start.json"));
    assert!(out.contains("overload"), "{out}");
}

#[test]
fn every_stop_is_kept_even_unclassified_ones() {
    let env = Env::new();
    env.hook(&hook_input("stop_failure_model_not_found.json"));
    env.hook(&hook_input("stop_failure_bare.json"));
    env.hook(
        &json!({"hook_event_name": "StopFailure", "error": "max_output_tokens"})
            .to_string()
            .into_bytes(),
    );
    let h = env.history_entries();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0]["stop_error"], "model_not_found");
    assert_eq!(h[0]["status"], 404);
    assert_eq!(h[2]["stop_error"], "max_output_tokens");
    // Other events and garbage write nothing.
    for input in [
        hook_input("stop.json"),
        hook_input("pre_tool_use.json"),
        b"not json".to_vec(),
    ] {
        assert_eq!(env.hook(&input), "");
    }
    assert_eq!(env.history_entries().len(), 3);
}

#[test]
fn diagnose_reads_the_history_and_agrees_with_the_hook() {
    let env = Env::new();
    for f in [
        "stop_failure_rate_limit.json",
        "stop_failure_error_type_rpm.json",
        "stop_failure_overloaded.json",
    ] {
        env.hook(&hook_input(f));
    }
    let h = env.history_entries();
    let mut want: Vec<String> = h
        .iter()
        .map(|e| e["class"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert_eq!(want, ["itpm", "overload", "rpm"]);
    let hist = env.history();
    let (code, out, err) = env.run(&["diagnose", hist.to_str().unwrap(), "--json"], b"", 100);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let by = v["summary"]["by_class"].as_object().unwrap();
    let mut got: Vec<String> = by.keys().cloned().collect();
    got.sort();
    assert_eq!(got, want, "{out}");
    assert_eq!(v["summary"]["failures"], 3);
}

#[test]
fn record_lines_become_history_entries_but_noise_does_not() {
    use claude_429::history::from_record;
    let now = chrono::Utc::now();
    let l429 = json!({"ts": ts(1), "method": "POST", "url": "http://127.0.0.1:8429/v1/messages",
        "status": 429, "headers": {"retry-after": "13", "x-secret": "dropped",
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": "0"},
        "body": {"type": "error", "error": {"type": "rate_limit_error",
            "message": "This request would exceed the rate limit for your organization of 30,000 input tokens per minute."}},
        "request": {"model": "claude-sonnet-4-5"}})
    .to_string();
    let e = from_record(l429.as_bytes(), now).unwrap();
    assert_eq!(e.source, "record");
    assert_eq!(e.class.as_deref(), Some("itpm"));
    assert_eq!(e.retry_after_s, Some(13));
    assert_eq!(e.model.as_deref(), Some("claude-sonnet-4-5"));
    let h = e.headers.clone().unwrap();
    assert!(h.contains_key("retry-after") && !h.contains_key("x-secret"));
    // `diagnose` reads the entry as it read the record.
    let env = Env::new();
    claude_429::history::append(&env.history(), &e).unwrap();
    let hist = env.history();
    let (code, out, _) = env.run(&["diagnose", hist.to_str().unwrap(), "--json"], b"", 100);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["by_class"]["itpm"], 1, "{out}");
    assert_eq!(v["causes"][0]["retry_after_s"]["max"], 13, "{out}");
    let head =
        json!({"ts": ts(1), "method": "HEAD", "url": "http://127.0.0.1:8429/", "status": 404});
    assert!(from_record(head.to_string().as_bytes(), now).is_none());
    let ok = json!({"ts": ts(1), "method": "POST", "url": "http://x/v1/messages", "status": 200});
    assert!(from_record(ok.to_string().as_bytes(), now).is_none());
}

#[test]
fn the_history_stays_bounded_keeps_the_newest_and_refuses_symlinks() {
    use claude_429::history::{Entry, append_to, read_all};
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("deep/er/history.jsonl");
    let max = 8 * 1024;
    for i in 0..400 {
        let e = Entry {
            ts: ts(400 - i),
            source: "hook".into(),
            stop_error: Some("rate_limit".into()),
            error_details: Some(format!("stop number {i}")),
            class: Some("rpm".into()),
            ..Entry::default()
        };
        append_to(&path, &e, max).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() <= max, "after {i}");
    }
    let all = read_all(&path).unwrap();
    assert!(all.len() > 10, "{}", all.len());
    assert_eq!(
        all.last().unwrap().error_details.as_deref(),
        Some("stop number 399")
    );
    // Every line is whole.
    for l in std::fs::read_to_string(&path).unwrap().lines() {
        serde_json::from_str::<Value>(l).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let target = tmp.path().join("target");
        std::fs::write(&target, "").unwrap();
        let link = tmp.path().join("link.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(append_to(&link, &Entry::default(), max).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }
}

#[test]
fn history_command_lists_summarises_and_filters() {
    let env = Env::new();
    std::fs::create_dir_all(env.history().parent().unwrap()).unwrap();
    let lines = [
        json!({"ts": ts(3 * 86400), "source": "hook", "stop_error": "rate_limit", "status": 429,
            "class": "rpm", "confidence": "certain", "fix": "cap concurrency"}),
        json!({"ts": ts(600), "source": "record", "status": 429, "model": "claude-sonnet-4-5",
            "class": "itpm", "confidence": "certain", "fix": "prompt caching"}),
        json!({"ts": ts(60), "source": "hook", "stop_error": "rate_limit", "status": 429,
            "class": "itpm", "confidence": "likely"}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(env.history(), text + "not a line\n").unwrap();

    let (code, out, err) = env.run(&["history"], b"", 100);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("itpm (certain)"), "{out}");
    assert!(out.contains("rpm (certain)"), "{out}");
    assert!(out.contains("3 limit hits"), "{out}");
    assert!(out.contains("2 itpm, 1 rpm"), "{out}");

    let (code, out, _) = env.run(&["history", "--json", "--since", "1d"], b"", 100);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["total"], 2);
    assert_eq!(v["summary"]["by_class"][0]["class"], "itpm");
    assert_eq!(v["summary"]["by_class"][0]["count"], 2);

    let (code, out, _) = env.run(&["history", "--json", "--last", "1"], b"", 100);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"][0]["confidence"], "likely");

    let (code, _, err) = env.run(&["history", "--since", "yesterday-ish"], b"", 100);
    assert_eq!(code, 2);
    assert!(err.contains("--since"), "{err}");

    // No history yet: a calm answer.
    let other = Env::new();
    let (code, out, _) = other.run(&["history"], b"", 100);
    assert_eq!(code, 0);
    assert!(out.contains("no limit hits"), "{out}");
}

// ---------------------------------------------------------------------------------------
// setup claude-code

fn setup(env: &Env, settings: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "setup",
        "claude-code",
        "--settings",
        settings.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    env.run(&args, b"", 100)
}

fn ours_per_event(v: &Value) -> Vec<(String, usize)> {
    v["hooks"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(ev, groups)| {
                    let n = groups
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|g| g["hooks"].as_array().unwrap().iter())
                        .filter(|h| {
                            h["command"]
                                .as_str()
                                .is_some_and(|c| c.ends_with("claude-429 hook"))
                        })
                        .count();
                    (ev.clone(), n)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn setup_on_no_settings_creates_them_and_remove_deletes_them() {
    let env = Env::new();
    // The user's file, found through HOME.
    let (code, out, err) = env.run(&["setup", "claude-code"], b"", 100);
    assert_eq!(code, 0, "{err}");
    let path = env.home().join(".claude/settings.json");
    assert!(out.contains("+ statusLine"), "{out}");
    let v = read_json(&path);
    let sl = v["statusLine"]["command"].as_str().unwrap();
    assert!(sl.contains("claude-429 status -"), "{sl}");
    assert_eq!(v["statusLine"]["type"], "command");
    let mut evs = ours_per_event(&v);
    evs.sort();
    assert_eq!(
        evs,
        [
            ("SessionStart".to_string(), 1),
            ("StopFailure".to_string(), 1),
            ("UserPromptSubmit".to_string(), 1)
        ]
    );
    let (code, _, err) = env.run(&["setup", "claude-code", "--remove"], b"", 100);
    assert_eq!(code, 0, "{err}");
    assert!(!path.exists());
}

#[test]
fn setup_keeps_unknown_keys_and_other_hooks_is_idempotent_and_remove_restores_bytes() {
    let env = Env::new();
    let path = env.home().join("settings.json");
    let original = r#"{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "claude-sonnet-4-5",
  "permissions": {"allow": ["Bash(npm run test:*)"], "deny": ["Read(./.env)"]},
  "env": {"CLAUDE_CODE_ENABLE_TELEMETRY": "1"},
  "hooks": {
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/check.sh"}]}],
    "StopFailure": [{"matcher": "server_error", "hooks": [{"type": "command", "command": "notify-send oops"}]}]
  },
  "futureKey": {"nested": [1, 2, {"x": null}]}
}
"#;
    std::fs::write(&path, original).unwrap();
    let (code, out, err) = setup(&env, &path, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("backup:"), "{out}");
    let once = std::fs::read(&path).unwrap();
    let v = read_json(&path);
    let before: Value = serde_json::from_str(original).unwrap();
    for k in ["$schema", "model", "permissions", "env", "futureKey"] {
        assert_eq!(v[k], before[k], "{k}");
    }
    assert_eq!(v["hooks"]["PreToolUse"], before["hooks"]["PreToolUse"]);
    // The user's StopFailure group stays, ours is added beside it.
    assert_eq!(
        v["hooks"]["StopFailure"][0],
        before["hooks"]["StopFailure"][0]
    );
    assert_eq!(v["hooks"]["StopFailure"].as_array().unwrap().len(), 2);

    // Twice: nothing changes.
    let (code, out, _) = setup(&env, &path, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("already set up"), "{out}");
    assert_eq!(std::fs::read(&path).unwrap(), once);
    for (_, n) in ours_per_event(&read_json(&path)) {
        assert!(n <= 1);
    }

    // --dry-run --remove writes nothing; --remove restores the original bytes.
    let (code, _, _) = setup(&env, &path, &["--remove", "--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&path).unwrap(), once);
    let (code, out, err) = setup(&env, &path, &["--remove"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("restored the original"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    assert!(!env.home().join("settings.json.claude-429.bak").exists());
}

#[test]
fn setup_keeps_another_statusline_adds_the_hooks_once_and_remove_restores() {
    let env = Env::new();
    let path = env.home().join("settings.json");
    let original = "{\"statusLine\": {\"type\": \"command\", \"command\": \"~/.claude/statusline.sh\", \"padding\": 1}, \"theme\": \"dark\"}\n";
    std::fs::write(&path, original).unwrap();

    // --dry-run shows the change and writes nothing.
    let (code, out, _) = setup(&env, &path, &["--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains("+ hooks.StopFailure"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);

    // The statusline and the theme stay; the hooks come; a note says how to chain.
    let (code, out, err) = setup(&env, &path, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("statusLine kept: command `~/.claude/statusline.sh`"),
        "{out}"
    );
    assert!(out.contains("--chain-statusline"), "{out}");
    let v = read_json(&path);
    let before: Value = serde_json::from_str(original).unwrap();
    assert_eq!(v["statusLine"], before["statusLine"]);
    assert_eq!(v["theme"], "dark");
    let once = std::fs::read(&path).unwrap();
    // Twice: the hooks once.
    let (code, out, _) = setup(&env, &path, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("already set up"), "{out}");
    assert_eq!(std::fs::read(&path).unwrap(), once);
    for (_, n) in ours_per_event(&read_json(&path)) {
        assert_eq!(n, 1);
    }
    let (code, _, _) = setup(&env, &path, &["--remove"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);

    // Replacing it: --remove puts it back.
    let (code, out, err) = setup(&env, &path, &["--replace-statusline"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("statusLine replaced"), "{out}");
    let v = read_json(&path);
    assert!(
        v["statusLine"]["command"]
            .as_str()
            .unwrap()
            .contains("status -")
    );
    let (code, _, _) = setup(&env, &path, &["--remove"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn setup_chains_to_another_statusline() {
    let env = Env::new();
    let script = env.home().join("my statusline.sh");
    std::fs::write(&script, "#!/bin/sh\ncat >/dev/null\necho 'my own line'\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let theirs = format!("'{}'", script.display());
    let path = env.home().join("settings.json");
    let original = serde_json::to_string_pretty(&json!({"statusLine":
        {"type": "command", "command": theirs, "padding": 2}, "model": "opus"}))
    .unwrap();
    std::fs::write(&path, &original).unwrap();
    let (code, out, err) = setup(&env, &path, &["--chain-statusline"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("statusLine chained"), "{out}");
    let v = read_json(&path);
    assert_eq!(v["statusLine"]["padding"], 2);
    let cmd = v["statusLine"]["command"].as_str().unwrap().to_string();
    assert!(cmd.contains(" status - --then "), "{cmd}");

    // The chained command as Claude Code runs it: their line, then ours.
    std::fs::create_dir_all(env.history().parent().unwrap()).unwrap();
    let stop = json!({"ts": ts(5), "source": "hook", "stop_error": "rate_limit", "class": "rpm"});
    std::fs::write(env.history(), format!("{stop}\n")).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", env.home())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env("CLAUDE_429_HISTORY", env.history())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(&data("claude_code_statusline", "api_key.json"))?;
            c.wait_with_output()
        })
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    assert_eq!(line.trim_end(), "my own line │ ⚠ rpm just now");

    // Idempotent, and --remove gives their command back.
    let (_, out, _) = setup(&env, &path, &["--chain-statusline"]);
    assert!(out.contains("already set up"), "{out}");
    let (code, _, _) = setup(&env, &path, &["--remove"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    // Without the backup (the user changed something since), the command still comes back.
    setup(&env, &path, &["--chain-statusline"]);
    let mut v = read_json(&path);
    v["model"] = json!("sonnet");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let (code, _, _) = setup(&env, &path, &["--remove"]);
    assert_eq!(code, 0);
    let v = read_json(&path);
    assert_eq!(v["statusLine"]["command"], theirs);
    assert_eq!(v["model"], "sonnet");
    assert!(v.get("hooks").is_none(), "{v}");
}

#[test]
fn a_hanging_chained_statusline_is_cut_after_a_second() {
    let env = Env::new();
    let rec = env.records();
    let t = Instant::now();
    let (code, out, _) = env.run(
        &[
            "status",
            "-",
            "--dir",
            rec.to_str().unwrap(),
            "--then",
            "sleep 20",
        ],
        payload("subscriber_one_window.json").to_string().as_bytes(),
        80,
    );
    assert_eq!(code, 0);
    assert_eq!(out.trim_end(), "7d 63%");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn setup_refuses_settings_that_are_not_json() {
    let env = Env::new();
    let path = env.home().join("settings.json");
    let original = "{\n  // a comment\n  \"model\": \"opus\"\n}\n";
    std::fs::write(&path, original).unwrap();
    let (code, _, err) = setup(&env, &path, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not valid JSON"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    std::fs::write(&path, "[1, 2]").unwrap();
    let (code, _, err) = setup(&env, &path, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a JSON object"), "{err}");
}

#[test]
fn setup_project_writes_the_project_settings() {
    let env = Env::new();
    let proj = env.home().join("app");
    std::fs::create_dir_all(&proj).unwrap();
    let (code, out, err) = env.run_in(&proj, &["setup", "claude-code", "--project"], b"", 100);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("--remove --project"), "{out}");
    let v = read_json(&proj.join(".claude/settings.json"));
    assert!(v["statusLine"].is_object());
    assert!(!env.home().join(".claude/settings.json").exists());
}

#[test]
fn a_stop_takes_the_retry_time_and_class_from_records_entry_of_the_same_failure() {
    let env = Env::new();
    std::fs::create_dir_all(env.history().parent().unwrap()).unwrap();
    let rec = json!({"ts": ts(1), "source": "record", "status": 429, "method": "POST",
        "url": "http://127.0.0.1:8429/v1/messages", "model": "claude-sonnet-4-5",
        "headers": {"retry-after": "14"}, "class": "rpm", "confidence": "certain",
        "fix": "cap concurrency, add jitter, honour retry-after", "retry_after_s": 14});
    std::fs::write(env.history(), format!("{rec}\n")).unwrap();
    // Only the category: on its own a weak verdict.
    env.hook(&hook_input("stop_failure_bare.json"));
    let h = env.history_entries();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["source"], "hook");
    assert_eq!(h[1]["class"], "rpm");
    assert_eq!(h[1]["confidence"], "certain");
    assert_eq!(h[1]["record_ts"], h[0]["ts"]);
    let left = h[1]["retry_after_s"].as_u64().unwrap();
    assert!((1..=14).contains(&left), "{left}");
    let line = env.status(&payload("api_key.json"), 80);
    assert!(line.starts_with("⚠ rpm: retry in "), "{line}");
    assert!(line.ends_with(" s"), "{line}");
    // One hit, seen twice.
    let (_, out, _) = env.run(&["history", "--json"], b"", 100);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["total"], 1);
}

#[cfg(unix)]
#[test]
fn setup_writes_through_a_linked_settings_file() {
    let env = Env::new();
    let real = env.home().join("dotfiles/claude-settings.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "{\"model\": \"opus\"}\n").unwrap();
    let link = env.home().join("settings.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, _, err) = setup(&env, &link, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read_json(&real)["hooks"]["StopFailure"].is_array());
    let (code, _, _) = setup(&env, &link, &["--remove"]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "{\"model\": \"opus\"}\n"
    );
}
