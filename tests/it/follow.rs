//! Live inputs: verdicts as the lines arrive on a pipe, `--follow` across appends, rotation and
//! truncation, `--since` relative to now. Timing bounds only catch a hang or a verdict held to
//! the end of input (the second line comes seconds later); they leave a busy machine room.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::common::{bin, std_bin, stdout_lines};

const ITPM: &str = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exceed the rate limit for your organization of 450,000 input tokens per minute.'}}";
const RPM: &str = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exceed the rate limit for your organization of 50 requests per minute.'}}";

/// How long a verdict may take on a loaded machine before the test calls it held back.
const WAIT: Duration = Duration::from_secs(15);

/// The next line with `needle` in it, or a panic naming what was awaited.
fn next_with(rx: &Receiver<String>, needle: &str, what: &str) -> String {
    loop {
        match rx.recv_timeout(WAIT) {
            Ok(l) if l.contains(needle) => return l,
            Ok(_) => continue,
            Err(e) => panic!("{what}: no line with {needle:?} ({e})"),
        }
    }
}

fn terminate(child: &mut Child) -> i32 {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    let status = child.wait().unwrap();
    status
        .code()
        .expect("exits by itself, not killed by the signal")
}

fn spawn(args: &[&str], stdin: Stdio) -> Child {
    std_bin()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A failure, a pause, another: the first verdict comes while the pipe is still open.
fn first_verdict_before_second_line(args: &[&str], needle: &str) {
    let mut child = spawn(args, Stdio::piped());
    let rx = stdout_lines(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{ITPM}").unwrap();
    stdin.flush().unwrap();
    let first = next_with(&rx, needle, "the first verdict before the second line");
    assert!(first.contains("itpm"), "{first}");
    writeln!(stdin, "{RPM}").unwrap();
    drop(stdin);
    let rest: Vec<String> = rx.iter().collect();
    assert!(rest.iter().any(|l| l.contains("rpm")), "{rest:?}");
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn a_pipe_gets_each_verdict_as_it_arrives_jsonl() {
    first_verdict_before_second_line(&["replay", "--jsonl", "-"], "\"class\"");
}

#[test]
fn a_pipe_gets_each_verdict_as_it_arrives_text() {
    first_verdict_before_second_line(&["replay", "-"], "429");
}

#[cfg(unix)]
#[test]
fn a_stopped_pipe_still_prints_its_summary() {
    let mut child = spawn(&["replay", "-"], Stdio::piped());
    let rx = stdout_lines(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{ITPM}").unwrap();
    stdin.flush().unwrap();
    next_with(&rx, "429", "the verdict");
    // The input never ends: SIGTERM stops it, with what was seen and the usual status.
    assert_eq!(terminate(&mut child), 1);
    let rest: Vec<String> = rx.iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("1 failure")),
        "summary: {rest:?}"
    );
    drop(stdin);
}

fn append(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

#[cfg(unix)]
#[test]
fn follow_reads_appends_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let log_arg = log.to_str().unwrap();
    // Not there yet: waited for.
    let mut child = spawn(&["replay", "--follow", log_arg, "--jsonl"], Stdio::null());
    let rx = stdout_lines(child.stdout.take().unwrap());
    std::thread::sleep(Duration::from_millis(300));
    append(&log, "worker started");
    append(&log, ITPM);
    let v = next_with(&rx, "\"class\"", "a line appended");
    assert!(v.contains("\"itpm\""), "{v}");

    // Rotated: renamed and re-created with a new failure.
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&log, RPM);
    let v = next_with(&rx, "\"class\"", "after rotation");
    assert!(v.contains("\"rpm\""), "{v}");

    // Truncated in place, then written again.
    std::thread::sleep(Duration::from_millis(600));
    std::fs::write(&log, "").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    append(&log, ITPM);
    let v = next_with(&rx, "\"class\"", "after truncation");
    assert!(v.contains("\"itpm\""), "{v}");

    assert_eq!(terminate(&mut child), 1);
}

#[cfg(unix)]
#[test]
fn diagnose_follow_prints_a_line_per_failure_then_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, ITPM);
    let mut child = spawn(
        &["diagnose", "--follow", log.to_str().unwrap()],
        Stdio::null(),
    );
    let rx = stdout_lines(child.stdout.take().unwrap());
    let first = next_with(&rx, "itpm", "the live line");
    assert!(first.contains("app.log:1"), "{first}");
    append(&log, RPM);
    let second = next_with(&rx, "rpm", "the second live line");
    assert!(second.contains("app.log:2"), "{second}");
    assert_eq!(terminate(&mut child), 1);
    let rest: Vec<String> = rx.iter().collect();
    assert!(rest.iter().any(|l| l.contains("Ranked causes")), "{rest:?}");
}

#[test]
fn follow_takes_one_file() {
    let out = bin()
        .args(["replay", "--follow", "a.log", "b.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly one file"));
}

#[test]
fn since_relative_to_now_keeps_only_the_recent_failure() {
    let now = chrono::Utc::now();
    let stamp = |mins: i64| {
        (now - chrono::Duration::minutes(mins)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let input = format!(
        "{} worker-1 {ITPM}\n{} worker-1 {RPM}\n",
        stamp(30),
        stamp(5)
    );
    let out = bin()
        .args(["replay", "--jsonl", "--since", "15m", "-"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let verdicts: Vec<&str> = text.lines().filter(|l| l.contains("\"class\"")).collect();
    assert_eq!(verdicts.len(), 1, "{text}");
    assert!(verdicts[0].contains("\"rpm\""), "{text}");
    assert_eq!(out.status.code(), Some(1));

    // Nothing in the window: clean.
    let out = bin()
        .args(["replay", "--jsonl", "--until", "1h", "--since", "2h", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let bad = bin()
        .args(["replay", "--since", "soon", "-"])
        .write_stdin("x\n")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
