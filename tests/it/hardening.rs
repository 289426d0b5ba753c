//! Fault injection: a loopback server that misbehaves (redirects to another port, huge and
//! endless bodies, endless cursors, HTML where JSON belongs, hangs), symlinks and FIFOs in the
//! walk and at the lock file's path, closed pipes, out-of-range flags and SIGTERM.
//!
//! Every server here listens on 127.0.0.1 only, closes each connection after one answer, and
//! stops by itself when its test ends (or after a minute at most).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::fixture;
use crate::common::server::{Fault, json_ok, respond, serve};

const API_KEY: &str = "sk-ant-api03-HARDENING-TESTKEY-0a1b2c3d4e5f60718293a4b5c6d7e8f9-never";
const ADMIN_KEY: &str = "sk-ant-admin01-HARDENING-TESTKEY-9f8e7d6c5b4a3928170f6e5d4c3b2a1-never";

// ---- Fault answers (the server is crate::common::server) -----------------------------------

/// A 200 whose body never ends: chunked, 64 KiB at a time, until the client goes away or
/// `cap` bytes were sent.
fn endless_chunked(s: &mut TcpStream, cap: u64) {
    let _ = s.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0u64;
    let _ = s.write_all(b"10000\r\n[{\"data\": [");
    let _ = s.write_all(&chunk[11..]);
    let _ = s.write_all(b"\r\n");
    while sent < cap {
        if s.write_all(b"10000\r\n").is_err()
            || s.write_all(&chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            return;
        }
        sent += chunk.len() as u64;
    }
}

/// A 200 that announces 1 GiB and sends it (or until the client goes away).
fn huge_announced(s: &mut TcpStream) {
    let _ = s.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n",
    );
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..(1 << 14) {
        if s.write_all(&chunk).is_err() {
            return;
        }
    }
}

// ---- Running the binary ----------------------------------------------------------------

/// The binary with a cleared environment, as under CI, with no stdin.
fn bin() -> Command {
    let mut c = crate::common::std_bin();
    c.env("CI", "true").stdin(Stdio::null());
    c
}

fn probe(base: &str) -> Command {
    let mut c = bin();
    c.env("ANTHROPIC_BASE_URL", base)
        .env("ANTHROPIC_API_KEY", API_KEY)
        .args(["probe", "--model", "claude-test-1"]);
    c
}

fn limits(base: &str) -> Command {
    let mut c = bin();
    c.env("ANTHROPIC_BASE_URL", base)
        .env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .arg("limits");
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// Peak resident memory in KiB (VmHWM, sampled while it ran), on Linux.
    peak_kib: Option<u64>,
}

/// Runs `c` to the end (killed after `limit`), sampling its peak memory.
fn run(c: &mut Command, limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let mut peak = None;
    let status = loop {
        if let Some(kib) = vm_hwm(&child) {
            peak = Some(peak.unwrap_or(0).max(kib));
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let r = Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        elapsed: started.elapsed(),
        peak_kib: peak,
    };
    for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        for key in [API_KEY, ADMIN_KEY] {
            assert!(
                !text.contains(&key[20..]),
                "a key leaked into {name}:\n{text}"
            );
        }
        assert!(!text.contains("panicked"), "panic in {name}:\n{text}");
    }
    r
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    })
}

fn vm_hwm(child: &Child) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[track_caller]
fn expect_code(r: &Run, code: i32) {
    assert_eq!(
        r.code,
        Some(code),
        "exit code after {:?}\n--- stdout\n{}\n--- stderr\n{}",
        r.elapsed,
        r.stdout,
        r.stderr
    );
}

/// Under 64 MB of resident memory, where it can be measured.
#[track_caller]
fn expect_small(r: &Run) {
    if let Some(kib) = r.peak_kib {
        assert!(kib < 64 * 1024, "peak memory {kib} KiB");
    }
}

fn carries_a_key(head: &str) -> bool {
    head.contains(&API_KEY[20..]) || head.contains(&ADMIN_KEY[20..])
}

// ---- Redirects ---------------------------------------------------------------------------

fn redirect_to(target: String, status: &'static str) -> Fault {
    serve(move |_, _, s| {
        respond(
            s,
            status,
            &[("location", format!("{target}/v1/messages?x=1"))],
            b"",
        )
    })
}

#[test]
fn probe_never_follows_a_redirect_and_sends_one_request() {
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let other = serve(|_, _, s| json_ok(s, &serde_json::json!({"type": "message"})));
        // The location carries credentials: they must not be printed.
        let target = format!("http://user:hunter2@127.0.0.1:{}", other.port);
        let base = redirect_to(target, status);
        let r = run(&mut probe(&base.url()), Duration::from_secs(20));
        expect_code(&r, 3);
        assert!(r.stderr.contains("redirect"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("127.0.0.1:{}", other.port)),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
        assert_eq!(
            base.requests().len(),
            1,
            "{status}: probe sent exactly one request"
        );
        assert!(
            other.requests().is_empty(),
            "{status}: the other port got {:?}",
            other.requests()
        );
    }
}

#[test]
fn limits_never_follows_a_redirect_with_the_admin_key() {
    let other = serve(|_, _, s| json_ok(s, &serde_json::json!({"data": [], "next_page": null})));
    let base = redirect_to(format!("http://127.0.0.1:{}", other.port), "302 Found");
    let r = run(&mut limits(&base.url()), Duration::from_secs(20));
    expect_code(&r, 3);
    assert_eq!(base.requests().len(), 1);
    assert!(other.requests().iter().all(|h| !carries_a_key(h)));
    assert!(other.requests().is_empty());
}

// ---- Bodies --------------------------------------------------------------------------------

#[test]
fn an_endless_chunked_body_ends_with_exit_3_and_little_memory() {
    let s = serve(|_, _, s| endless_chunked(s, 1 << 30));
    let r = run(
        limits(&s.url()).args(["--timeout", "60"]),
        Duration::from_secs(90),
    );
    expect_code(&r, 3);
    // Ended by the size cap, long before the time-out.
    assert!(r.elapsed < Duration::from_secs(50), "{:?}", r.elapsed);
    assert!(r.stderr.contains("larger than"), "{}", r.stderr);
    expect_small(&r);

    let r = run(
        probe(&s.url()).args(["--timeout", "60"]),
        Duration::from_secs(90),
    );
    expect_code(&r, 3);
    // Ended by the size cap, long before the time-out.
    assert!(r.elapsed < Duration::from_secs(50), "{:?}", r.elapsed);
    expect_small(&r);
}

#[test]
fn a_1_gib_body_is_refused_by_its_length() {
    let s = serve(|_, _, s| huge_announced(s));
    for c in [&mut limits(&s.url()), &mut probe(&s.url())] {
        let r = run(c.args(["--timeout", "60"]), Duration::from_secs(90));
        expect_code(&r, 3);
        // Ended by the size cap, long before the time-out.
        assert!(r.elapsed < Duration::from_secs(50), "{:?}", r.elapsed);
        assert!(r.stderr.contains("larger than"), "{}", r.stderr);
        expect_small(&r);
    }
}

#[test]
fn a_hanging_server_times_out_with_exit_3() {
    let s = serve(|_, _, s| {
        // Read nothing more, answer nothing, hold the connection.
        std::thread::sleep(Duration::from_secs(55));
        let _ = s.write_all(b"");
    });
    for c in [&mut limits(&s.url()), &mut probe(&s.url())] {
        let r = run(c.args(["--timeout", "1"]), Duration::from_secs(60));
        expect_code(&r, 3);
        // The 1 s time-out ended it, not the server (which holds the connection for 55 s);
        // the margin is for a busy machine.
        assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
        assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    }
}

#[test]
fn an_html_200_is_an_error_for_probe_and_limits() {
    let s = serve(|_, _, s| {
        respond(
            s,
            "200 OK",
            &[("content-type", "text/html".into())],
            b"<!doctype html><html><body>Welcome to nginx!</body></html>",
        )
    });
    let r = run(&mut probe(&s.url()), Duration::from_secs(20));
    expect_code(&r, 3);
    assert!(r.stderr.contains("not JSON"), "{}", r.stderr);
    assert!(r.stderr.contains("nginx"), "{}", r.stderr);
    let r = run(&mut limits(&s.url()), Duration::from_secs(20));
    expect_code(&r, 3);
    // JSON of another shape is no better.
    let s = serve(|_, _, s| json_ok(s, &serde_json::json!({"ok": true})));
    let r = run(&mut probe(&s.url()), Duration::from_secs(20));
    expect_code(&r, 3);
}

// ---- Pagination ------------------------------------------------------------------------------

#[test]
fn an_endless_cursor_stops_after_a_bounded_number_of_pages() {
    let s = serve(|n, _, s| {
        json_ok(
            s,
            &serde_json::json!({"data": [], "next_page": format!("cur_{n}")}),
        )
    });
    let r = run(&mut limits(&s.url()), Duration::from_secs(120));
    expect_code(&r, 3);
    assert!(r.stderr.contains("pages"), "{}", r.stderr);
    let n = s.requests().len();
    assert!((2..=1000).contains(&n), "{n} requests");

    // A cursor that comes back is stopped at once.
    let s = serve(|_, _, s| json_ok(s, &serde_json::json!({"data": [], "next_page": "same"})));
    let r = run(&mut limits(&s.url()), Duration::from_secs(20));
    expect_code(&r, 3);
    assert_eq!(s.requests().len(), 2);
}

// ---- The base URL ----------------------------------------------------------------------------

#[test]
fn bad_base_urls_are_usage_errors_before_any_request() {
    let s = serve(|_, _, s| json_ok(s, &serde_json::json!({"data": []})));
    let port = s.port;
    let cases: Vec<(String, &str)> = vec![
        ("not a url".into(), "not a URL"),
        (format!("http://127.0.0.1:{port}/v1"), "drop the /v1"),
        (
            format!("http://admin:s3cret@127.0.0.1:{port}"),
            "credentials",
        ),
        ("http://api.example.com".into(), "--allow-insecure-http"),
        ("ftp://127.0.0.1".into(), "https://"),
    ];
    for (url, needle) in cases {
        for mut c in [limits(&url), probe(&url)] {
            let r = run(&mut c, Duration::from_secs(20));
            expect_code(&r, 2);
            assert!(r.stderr.contains(needle), "{url}: {}", r.stderr);
            assert!(r.stderr.contains("hint:"), "{url}: {}", r.stderr);
            assert!(!r.stderr.contains("s3cret"), "{}", r.stderr);
        }
        // --dry-run too: the URL is checked before anything is printed.
        let r = run(probe(&url).arg("--dry-run"), Duration::from_secs(20));
        expect_code(&r, 2);
        assert!(!r.stdout.contains("s3cret"), "{}", r.stdout);
    }
    assert!(s.requests().is_empty());
    // Loopback over http needs no flag; another host needs --allow-insecure-http.
    let r = run(
        probe("http://api.example.com").args(["--dry-run", "--allow-insecure-http"]),
        Duration::from_secs(20),
    );
    expect_code(&r, 0);
    let r = run(
        probe("http://localhost:9").arg("--dry-run"),
        Duration::from_secs(20),
    );
    expect_code(&r, 0);
}

// ---- Flags -----------------------------------------------------------------------------------

#[test]
fn numeric_flags_out_of_range_are_usage_errors() {
    let cases: &[&[&str]] = &[
        &["probe", "--watch", "18446744073709551615"],
        &["probe", "--watch", "0"],
        &["probe", "--timeout", "1e20"],
        &["probe", "--timeout", "0"],
        &["probe", "--timeout", "NaN"],
        &["probe", "--timeout=-1"],
        &["probe", "--connect-timeout", "inf"],
        &["probe", "--max-tokens-budget", "18446744073709551615"],
        &["probe", "--max-requests", "0"],
        &["probe", "--max-requests", "4294967296"],
        &["limits", "--max-retries", "1000"],
        &["limits", "--timeout", "99999"],
        &["replay", "--max-rows", "99999999999999999999", "-"],
    ];
    for args in cases {
        let r = run(bin().args(*args), Duration::from_secs(20));
        expect_code(&r, 2);
        assert!(
            r.stderr.contains("invalid value") || r.stderr.contains("out of range"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

// ---- Files -----------------------------------------------------------------------------------

fn limits_server() -> Fault {
    let page = serde_json::json!({
        "data": [{
            "id": "rl_1", "type": "rate_limit",
            "group": {"id": "rlg_01", "type": "model_group", "display_name": "Claude Test"},
            "models": ["claude-test-1"],
            "limits": [{"type": "requests_per_minute", "value": 50}]
        }],
        "next_page": null
    });
    serve(move |_, _, s| json_ok(s, &page))
}

#[cfg(unix)]
#[test]
fn save_never_writes_through_a_planted_symlink() {
    let s = limits_server();
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let lock = d.path().join("limits.lock.json");
    std::os::unix::fs::symlink(&victim, d.path().join("limits.lock.json.tmp")).unwrap();
    let r = run(
        limits(&s.url()).arg("--save").arg(&lock),
        Duration::from_secs(20),
    );
    expect_code(&r, 0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::read_to_string(&lock).unwrap().contains("rlg_01"));

    // The lock path itself a symlink, a FIFO or a directory: refused, nothing touched.
    let link = d.path().join("link.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let r = run(
        limits(&s.url()).arg("--save").arg(&link),
        Duration::from_secs(20),
    );
    expect_code(&r, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    if mkfifo(&d.path().join("fifo.json")) {
        let r = run(
            limits(&s.url())
                .arg("--save")
                .arg(d.path().join("fifo.json")),
            Duration::from_secs(60),
        );
        // Not blocked opening the FIFO (it would be killed, with no exit code).
        expect_code(&r, 2);
    }
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".limits") || n.starts_with(".link"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn mkfifo(p: &Path) -> bool {
    Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn replay_walks_self_links_once_and_skips_fifos() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("curl_i/itpm_crlf_http11.txt"),
        d.path().join("a.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(".", d.path().join("x")).unwrap();
    std::os::unix::fs::symlink(".", d.path().join("y")).unwrap();
    let fifo = mkfifo(&d.path().join("pipe"));

    let alone = run(
        bin()
            .args(["replay", "--json"])
            .arg(fixture("curl_i/itpm_crlf_http11.txt")),
        Duration::from_secs(20),
    );
    let r = run(
        bin().args(["replay", "--json"]).arg(d.path()),
        Duration::from_secs(60),
    );
    // Not blocked on the FIFO nor walking in circles (it would be killed, with no exit code).
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let a: serde_json::Value = serde_json::from_str(&alone.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 1, "{}", r.stdout);
    assert_eq!(v["summary"]["failures"], a["summary"]["failures"]);
    assert!(a["summary"]["failures"].as_u64().unwrap() > 0);
    if fifo {
        assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
    }
}

/// A path below a directory that cannot be read (here a dangling link) is named on stderr,
/// the rest is still read and reported, and the run ends with exit 2 as for any unreadable
/// input (a loop or a FIFO above is left out on purpose and does not count).
#[cfg(unix)]
#[test]
fn an_unreadable_path_inside_a_directory_ends_the_run_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("curl_i/itpm_crlf_http11.txt"),
        d.path().join("a.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/nonexistent/claude-429", d.path().join("gone.log")).unwrap();
    for cmd in ["replay", "diagnose"] {
        let r = run(
            bin().args([cmd, "--json"]).arg(d.path()),
            Duration::from_secs(20),
        );
        expect_code(&r, 2);
        assert!(r.stderr.contains("gone.log"), "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains("1 input could not be read"),
            "{cmd}: {}",
            r.stderr
        );
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["summary"]["files"], 1, "{cmd}: {}", r.stdout);
    }
}

// ---- Closed pipes ---------------------------------------------------------------------------

/// Runs with stdout and/or stderr a pipe whose reader is already gone.
fn run_closed(c: &mut Command, close_out: bool, close_err: bool) -> (Option<i32>, String) {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let (mut keep_out, mut keep_err) = (None, None);
    if close_out {
        drop(out);
    } else {
        keep_out = Some(drain(out));
    }
    let err_text = if close_err {
        drop(err);
        String::new()
    } else {
        keep_err = Some(drain(err));
        String::new()
    };
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "hangs");
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = keep_out.map(|h| h.join());
    let err_text = keep_err.map_or(err_text, |h| h.join().unwrap());
    assert!(!err_text.contains("panicked"), "{err_text}");
    (status.code(), err_text)
}

#[test]
fn github_check_with_closed_stdout_or_stderr_keeps_its_status() {
    let s = limits_server();
    let d = tempfile::tempdir().unwrap();
    let lock = d.path().join("lock.json");
    let r = run(
        limits(&s.url()).arg("--save").arg(&lock),
        Duration::from_secs(20),
    );
    expect_code(&r, 0);
    // Drift: the lock says 40, the server 50.
    let text = std::fs::read_to_string(&lock).unwrap().replace("50", "40");
    std::fs::write(&lock, text).unwrap();
    let summary = d.path().join("summary.md");
    let check = || {
        let mut c = limits(&s.url());
        c.arg("--check")
            .arg(&lock)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary);
        c
    };
    // `| head -0`
    let (code, err) = run_closed(&mut check(), true, false);
    assert_eq!(code, Some(1), "{err}");
    // stderr closed, with and without --json (annotations go to stderr with --json).
    let (code, _) = run_closed(&mut check(), false, true);
    assert_eq!(code, Some(1));
    let (code, _) = run_closed(check().arg("--json"), false, true);
    assert_eq!(code, Some(1));
    let (code, _) = run_closed(check().arg("--json"), true, true);
    assert_eq!(code, Some(1));
}

#[test]
fn replay_into_a_closed_pipe_keeps_exit_1() {
    for args in [
        &["replay"][..],
        &["replay", "--json"],
        &["replay", "--jsonl"],
    ] {
        let mut c = bin();
        c.args(args).arg(fixture("curl_i"));
        let (code, err) = run_closed(&mut c, true, false);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        let mut c = bin();
        c.args(args).arg(fixture("curl_i")).arg("/no/such/file");
        let (code, _) = run_closed(&mut c, true, true);
        assert_eq!(code, Some(2), "{args:?}");
    }
}

// ---- SIGTERM ---------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn sigterm_during_watch_prints_what_was_gathered() {
    let s = serve(|_, _, s| {
        respond(
            s,
            "200 OK",
            &[
                ("content-type", "application/json".into()),
                ("anthropic-ratelimit-requests-limit", "50".into()),
                ("anthropic-ratelimit-requests-remaining", "49".into()),
                (
                    "anthropic-ratelimit-requests-reset",
                    "2030-01-01T00:00:00Z".into(),
                ),
            ],
            br#"{"type":"message","model":"claude-test-1","usage":{"input_tokens":8,"output_tokens":1}}"#,
        )
    });
    for json in [false, true] {
        let mut c = probe(&s.url());
        c.args(["--watch", "1"]);
        if json {
            c.arg("--json");
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = drain(child.stdout.take().unwrap());
        let err = drain(child.stderr.take().unwrap());
        let started = Instant::now();
        while s.requests().len() < 2 * (usize::from(json) + 1) {
            assert!(started.elapsed() < Duration::from_secs(20), "no probes");
            std::thread::sleep(Duration::from_millis(20));
        }
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        let (out, err) = (out.join().unwrap(), err.join().unwrap());
        assert!(status.code().is_some(), "killed by the signal: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if json {
            let v: serde_json::Value = serde_json::from_str(&out).expect(&out);
            assert_eq!(v["interrupted"], true, "{out}");
            assert!(
                v["rounds"].as_array().is_some_and(|r| !r.is_empty()),
                "{out}"
            );
        } else {
            assert!(out.contains("watched"), "{out}");
        }
    }
}
