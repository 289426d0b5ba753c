//! Pipes on the chunked path: a bulk pipe gives exactly what the same bytes give as a file
//! (full chunks, every worker), and a pipe that pauses after a bulk start still gets its
//! verdict while it is open (a chunk goes out whenever the pipe is momentarily empty). Timing
//! bounds only catch a verdict held to the end of input; they leave a busy machine room.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{bin, fixture, std_bin, stdout_lines};

/// How long a verdict may take on a loaded machine before the test calls it held back.
const WAIT: Duration = Duration::from_secs(15);

/// The fixtures' lines repeated to at least `size` bytes (several chunks, several workers).
fn repeated(fixtures: &[&str], size: usize) -> Vec<u8> {
    let mut one = Vec::new();
    for f in fixtures {
        one.extend(std::fs::read(fixture(f)).unwrap());
        if one.last() != Some(&b'\n') {
            one.push(b'\n');
        }
    }
    let mut all = Vec::new();
    while all.len() < size {
        all.extend_from_slice(&one);
    }
    all
}

/// `args` with the input as a file, then as a pipe: the same stdout (the file's name read as
/// `-`) and the same exit code.
fn pipe_matches_file(input: &[u8], args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.log");
    std::fs::write(&path, input).unwrap();
    let name = path.to_str().unwrap();
    let file = bin().args(args).arg(name).output().unwrap();
    let pipe = bin()
        .args(args)
        .arg("-")
        .write_stdin(input)
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&file.stdout).replace(name, "-");
    let got = String::from_utf8_lossy(&pipe.stdout);
    assert!(!got.is_empty());
    assert_eq!(pipe.status.code(), file.status.code(), "{args:?}");
    assert!(
        got == want,
        "{args:?}: the pipe's output differs from the file's"
    );
}

#[test]
fn a_bulk_pipe_gives_what_the_file_gives() {
    let jsonl = repeated(
        &["jsonl/design_shape.jsonl", "jsonl/torn_and_noise.jsonl"],
        2 << 20,
    );
    let text = repeated(
        &[
            "python_sdk/httpx_then_traceback.txt",
            "python_sdk/chained_and_escaped.txt",
        ],
        2 << 20,
    );
    for input in [&jsonl, &text] {
        for args in [
            &["replay", "--json"][..],
            &["diagnose", "--json"][..],
            &["replay"][..],
        ] {
            pipe_matches_file(input, args);
        }
    }
}

/// Megabytes of successes, one failure, then the pipe stays open: the failure's verdict comes
/// before the pipe ends, through the chunked JSON Lines path.
#[test]
fn a_pipe_that_pauses_after_a_bulk_start_gets_its_verdict_early() {
    let lines = std::fs::read_to_string(fixture("jsonl/design_shape.jsonl")).unwrap();
    let success = lines.lines().next().unwrap();
    let failure = lines.lines().nth(1).unwrap();
    assert!(success.contains("\"status\":200") && failure.contains("\"status\":429"));
    let mut child = std_bin()
        .args(["replay", "--jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = stdout_lines(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..8000 {
        writeln!(stdin, "{success}").unwrap();
    }
    writeln!(stdin, "{failure}").unwrap();
    stdin.flush().unwrap();
    let first = loop {
        match rx.recv_timeout(WAIT) {
            Ok(l) if l.contains("\"class\"") => break l,
            Ok(_) => {}
            Err(e) => panic!("no verdict while the pipe is open ({e})"),
        }
    };
    assert!(first.contains("\"itpm\""), "{first}");
    assert!(first.contains("\"line\":8001"), "{first}");
    writeln!(stdin, "{failure}").unwrap();
    drop(stdin);
    let rest: Vec<String> = rx.iter().collect();
    assert!(rest.iter().any(|l| l.contains("\"line\":8002")), "{rest:?}");
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

/// A mapped input cut short while it is being read (a log rotated with `copytruncate`) ends
/// the run with a message and exit status 2, never with the process killed by SIGBUS
/// ("Bus error"). Whether the cut lands mid-read depends on timing: every outcome is checked
/// for what a user must never see.
#[cfg(unix)]
#[test]
fn an_input_truncated_mid_read_is_an_error_not_a_crash() {
    let line = std::fs::read_to_string(fixture("jsonl/design_shape.jsonl")).unwrap();
    let line = line.lines().next().unwrap().to_string() + "\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.jsonl");
    let big = line.repeat((48 << 20) / line.len());
    for delay_ms in [2u64, 10, 30] {
        std::fs::write(&path, &big).unwrap();
        let child = std_bin()
            .args(["replay", "--json"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            code.is_some(),
            "killed by a signal after {delay_ms} ms: {err}"
        );
        if code == Some(2) {
            assert!(err.contains("shrank while it was being read"), "{err}");
        }
    }
}
