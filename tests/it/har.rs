//! `replay` on HAR 1.2 captures: Chrome, Firefox and mitmproxy exports, an SSE overload inside
//! a 200, and broken files that must not stop a run.

use std::path::PathBuf;

use predicates::prelude::*;
use serde_json::Value;

use crate::common::bin as cmd;

fn fixture(name: &str) -> PathBuf {
    crate::common::fixture("har").join(name)
}

/// Runs `replay --json` on fixtures; returns the exit code, the document and stderr.
fn replay(files: &[&str]) -> (i32, Value, String) {
    let out = cmd()
        .arg("replay")
        .arg("--json")
        .args(files.iter().map(|f| fixture(f)))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (status, class, request id, line) of each verdict.
fn rows(doc: &Value) -> Vec<(u64, String, String, u64)> {
    doc["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["status"].as_u64().unwrap(),
                v["class"].as_str().unwrap().to_string(),
                v["request_id"].as_str().unwrap_or("").to_string(),
                v["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn row(status: u64, class: &str, rid: &str, line: u64) -> (u64, String, String, u64) {
    (status, class.to_string(), rid.to_string(), line)
}

#[test]
fn chrome_export_names_the_itpm_429() {
    let (code, doc, stderr) = replay(&["chrome-devtools.har"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rows(&doc),
        [row(429, "itpm", "req_011CVHf7pQ2mX9aRkT3uLz8W", 346)]
    );
    let v = &doc["verdicts"][0];
    assert_eq!(v["format"], "har");
    assert_eq!(v["confidence"], "certain");
    assert_eq!(v["model"], "claude-sonnet-4-5");
    assert_eq!(v["time"], "2026-11-20T14:02:11Z");
    assert_eq!(v["retry_after_s"], 12);
    assert_eq!(doc["summary"]["captures"], 4);
    assert_eq!(doc["summary"]["failures"], 1);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn firefox_export_overload_and_rpm() {
    let (code, doc, _) = replay(&["firefox.har"]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&doc),
        [
            row(529, "overload", "req_011CVHa2222222222222222b", 134),
            row(429, "rpm", "req_011CVHa3333333333333333c", 240),
        ]
    );
    assert_eq!(doc["verdicts"][1]["model"], "claude-opus-4-1");
    assert_eq!(doc["summary"]["captures"], 3);
}

#[test]
fn mitmproxy_base64_bodies() {
    let (code, doc, _) = replay(&["mitmproxy-base64.har"]);
    assert_eq!(code, 1);
    let r = rows(&doc);
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0],
        row(429, "acceleration", "req_011CVGz1bbbbbbbbbbbbbbbb", 1)
    );
    assert_eq!(doc["verdicts"][0]["error_code"], "ramp_limit_exceeded");
    // The credit error came through the base64 body too.
    assert_eq!(
        (r[1].0, r[1].2.as_str()),
        (400, "req_011CVGz2cccccccccccccccc")
    );
    assert_eq!(doc["verdicts"][1]["error_type"], "invalid_request_error");
}

#[test]
fn overload_inside_a_200_stream() {
    let (code, doc, _) = replay(&["sse-overload.har"]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&doc),
        [row(200, "overload", "req_011CVHs1ovovovovovovovov", 163)]
    );
    assert_eq!(doc["verdicts"][0]["error_type"], "overloaded_error");
    assert_eq!(doc["summary"]["captures"], 2);
}

#[test]
fn empty_entries_is_a_clean_run() {
    let (code, doc, stderr) = replay(&["empty-entries.har"]);
    assert_eq!(code, 0);
    assert_eq!(doc["verdicts"], Value::Array(vec![]));
    assert_eq!(doc["summary"]["captures"], 0);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn truncated_file_keeps_its_429_and_says_where_it_broke() {
    let (code, doc, stderr) = replay(&["truncated.har"]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&doc),
        [row(429, "itpm", "req_011CVHf7pQ2mX9aRkT3uLz8W", 346)]
    );
    assert_eq!(doc["summary"]["skipped"], 1);
    assert!(
        stderr.contains("skipped 1 chunk")
            && stderr.contains("truncated.har:728: HAR document ends inside entry 4"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_broken_har_does_not_stop_the_other_files() {
    let (code, doc, stderr) = replay(&["truncated.har", "firefox.har"]);
    assert_eq!(code, 1);
    assert_eq!(doc["verdicts"].as_array().unwrap().len(), 3);
    assert_eq!(doc["summary"]["files"], 2);
    assert!(stderr.contains("truncated file?"), "{stderr}");
}

#[test]
fn har_on_stdin() {
    cmd()
        .args(["replay", "--jsonl", "-"])
        .pipe_stdin(fixture("sse-overload.har"))
        .unwrap()
        .assert()
        .code(1)
        .stdout(predicate::str::contains(r#""class":"overload""#))
        .stdout(predicate::str::contains(r#""source":"-""#));
}
