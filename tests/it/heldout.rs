//! A held-out-style set of captures (`tests/data/heldout3/`, listed with their expected
//! verdicts in `manifest.json`): the clients and shapes nobody tuned the scanner to (Vercel AI
//! SDK, LangGraph, AutoGen, the Go, Ruby, Elixir, Rust and Swift clients, Cline, Zed, Roo
//! Code, Cursor, relays, Bedrock, Vertex, batch results), near-misses that are no rate limit,
//! one failure printed twice in its own trace, and truncated pastes. Plus the regressions
//! found with it, each on its own: no silent miss for a cut-off paste, one failure counted
//! once, and a failed `-o` write naming the user's file only.

use serde_json::Value;

use crate::common::{bin, data, root};

fn dir() -> std::path::PathBuf {
    data("heldout3")
}

/// `replay --json FILE`: (verdicts, stderr, exit code).
fn replay(path: &std::path::Path) -> (Vec<Value>, String, i32) {
    let out = bin()
        .args(["replay", "--json"])
        .arg(path)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {stdout}", path.display()));
    (
        v["verdicts"].as_array().cloned().unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `replay --json -` with `input` on stdin.
fn replay_stdin(input: &str) -> (Vec<Value>, String, i32) {
    let out = bin()
        .args(["replay", "--json", "-"])
        .write_stdin(input)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (
        v["verdicts"].as_array().cloned().unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn rank(c: &str) -> u8 {
    match c {
        "possible" => 0,
        "likely" => 1,
        _ => 2,
    }
}

/// What is wrong with one verdict against its expectation.
fn mismatches(e: &Value, g: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let (class, provider, conf) = (
        g["class"].as_str().unwrap_or(""),
        g["provider"].as_str().unwrap_or(""),
        g["confidence"].as_str().unwrap_or(""),
    );
    let one_of = |k: &str, got: &str| {
        e[k].as_array()
            .is_none_or(|a| a.iter().any(|x| x.as_str() == Some(got)))
    };
    if e["class"].as_str().is_some_and(|c| c != class) || !one_of("class_any", class) {
        p.push(format!("class {class} ({conf})"));
    }
    if e["provider"].as_str().is_some_and(|x| x != provider) || !one_of("provider_any", provider) {
        p.push(format!("provider {provider}"));
    }
    if e["max_confidence"]
        .as_str()
        .is_some_and(|m| rank(conf) > rank(m))
    {
        p.push(format!("confidence {conf}"));
    }
    p
}

#[test]
fn heldout_set_gives_the_expected_verdicts() {
    let text = std::fs::read_to_string(dir().join("manifest.json")).expect("manifest");
    let manifest: Vec<Value> = serde_json::from_str(&text).expect("manifest is JSON");
    assert!(manifest.len() >= 30, "{} captures", manifest.len());
    let near_misses = manifest
        .iter()
        .filter(|m| m["file"].as_str().is_some_and(|f| f.starts_with("nm_")))
        .count();
    assert!(near_misses >= 6, "{near_misses} near-misses");
    let mut wrong = Vec::new();
    for m in &manifest {
        let file = m["file"].as_str().expect("file");
        let expected = m["verdicts"].as_array().expect("verdicts");
        let (got, err, code) = replay(&dir().join(file));
        assert!(!err.contains("panicked"), "{file}: {err}");
        let mut problems = Vec::new();
        if got.len() != expected.len() {
            problems.push(format!(
                "{} verdicts for {} failures",
                got.len(),
                expected.len()
            ));
        }
        for (e, g) in expected.iter().zip(&got) {
            problems.extend(mismatches(e, g));
        }
        let want_code = i32::from(
            expected
                .iter()
                .any(|e| e["class"].as_str() != Some("not_rate_limit")),
        );
        if code != want_code {
            problems.push(format!("exit {code}, not {want_code}"));
        }
        if !problems.is_empty() {
            wrong.push(format!("{file}: {}", problems.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- 1. a truncated paste is never a silent miss -------------------------------------------

#[test]
fn a_paste_cut_off_inside_the_error_type_is_an_unknown_failure() {
    let (v, err, code) = replay_stdin(r#"{"type":"error","error":{"type":"rate_limit_err"#);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0]["class"], "unknown");
    assert_eq!(v[0]["confidence"], "possible");
    let ev = v[0]["evidence"].to_string();
    assert!(
        ev.contains("rate_limit_err") && ev.contains("cut off"),
        "{ev}"
    );
    assert!(
        v[0]["why"].as_str().unwrap().contains("cut off"),
        "{:#}",
        v[0]
    );
    // Read, not skipped: no "does not parse" note.
    assert!(!err.contains("does not parse"), "{err}");
}

#[test]
fn every_kind_of_cut_still_gives_a_verdict() {
    for (what, input, status) in [
        (
            "cut in the message",
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exc"#,
            None,
        ),
        (
            "cut after the status",
            "HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\n\n{\"type\":\"error\",\"error\":{\"type\":\"rate_l",
            Some(429u64),
        ),
        (
            "pretty-printed, cut in the type",
            "{\n  \"type\": \"error\",\n  \"error\": {\n    \"type\": \"rate_limit_e",
            None,
        ),
        (
            "an SDK repr cut in the type",
            "RateLimitError(\"Error code: 429 - {'type': 'error', 'error': {'type': 'rate_li",
            Some(429u64),
        ),
        (
            "behind unrelated words, cut after the type",
            "garbled {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\"",
            None,
        ),
        (
            "behind unrelated words, cut in the type",
            "upstream said {'type': 'error', 'error': {'type': 'rate_limit_err",
            None,
        ),
        (
            "a JSON line cut mid-way",
            "{\"status\":429,\"body\":{\"type\":\"error\",\"error\":{\"ty",
            Some(429u64),
        ),
    ] {
        let (v, err, code) = replay_stdin(input);
        assert_eq!(code, 1, "{what}: {err}");
        assert_eq!(v.len(), 1, "{what}: {v:#?}");
        assert_eq!(v[0]["class"], "unknown", "{what}");
        assert_eq!(v[0]["status"].as_u64(), status, "{what}");
    }
}

#[test]
fn a_har_file_cut_off_inside_its_429_entry_still_gives_the_failure() {
    // A browser export cut off mid-way through the 429's body (a disk filled up, a paste
    // limit): the entry is read as far as it goes. Was: a note on stderr and exit 0.
    let har = std::fs::read_to_string(root().join("examples/devtools-export.har")).unwrap();
    let at = har.find("rate limit of 30,000").expect("the example's 429");
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.har");
    std::fs::write(&cut, &har[..at + 10]).unwrap();
    let (v, err, code) = replay(&cut);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0]["status"], 429);
    assert_eq!(v[0]["retry_after_s"], 12);
    assert!(err.contains("read as far as it goes"), "{err}");
}

#[test]
fn a_cut_off_body_does_not_swallow_the_next_log_record() {
    let (v, _, _) = replay(&dir().join("cut_then_next.log"));
    let got: Vec<(u64, &str)> = v
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["class"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(1, "unknown"), (3, "overload")]);
    assert_eq!(v[1]["status"], 529);
}

// ---- 2. one failure whose dump spans lines is counted once --------------------------------

#[test]
fn one_failure_reprinted_in_its_own_trace_is_counted_once() {
    for f in [
        "go_dump.log",
        "java_caused_by.txt",
        "py_logger_exception.log",
        "tenacity_retry_error.txt",
        "langchain_cause.txt",
        "vercel_ai_sdk.txt",
    ] {
        let (v, _, _) = replay(&dir().join(f));
        assert_eq!(v.len(), 1, "{f}: {v:#?}");
        assert_ne!(v[0]["class"], "unknown", "{f}: {:#}", v[0]);
    }
    // Go's DumpResponse (`HTTP/2.0 429`): the status, the headers and the body are one.
    let (v, _, _) = replay(&dir().join("go_dump.log"));
    assert_eq!(v[0]["status"], 429);
    assert_eq!(v[0]["class"], "rpm");
    assert_eq!(v[0]["retry_after_s"], 21);
    // A frame naming the exception (`at de_ThrottlingExceptionRes (…)`) is no failure of its own.
    let (v, _, _) = replay(&dir().join("bedrock_js_console.txt"));
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(
        (v[0]["status"].as_u64(), v[0]["provider"].as_str()),
        (Some(429), Some("bedrock"))
    );
    // A retry wrapper's summary quotes the last attempt: one verdict per attempt, not one more.
    let (v, _, _) = replay(&dir().join("vercel_retry_error.txt"));
    assert_eq!(v.len(), 2, "{v:#?}");
    // Retries stay apart: each is a log record of its own, with its own traceback.
    let (v, _, _) = replay(&dir().join("py_retries_tracebacks.log"));
    let lines: Vec<u64> = v.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 5]);
}

// ---- 3. near-misses the set found ---------------------------------------------------------

#[test]
fn documentation_about_statuses_and_batch_errors_read_right() {
    let (v, _, code) = replay(&dir().join("nm_doc.md"));
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(code, 0);
    let (v, _, _) = replay(&dir().join("batch_results.jsonl"));
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0]["class"], "overload");
    let (v, _, _) = replay(&dir().join("openrouter.json"));
    assert_eq!(v[0]["class"], "rpm", "{:#}", v[0]);
}

// ---- 4. a failed -o write names the user's file only ----------------------------------------

#[test]
fn a_failed_output_write_names_no_temporary_file() {
    let d = tempfile::tempdir().expect("tempdir");
    let target = d.path().join("missing-dir").join("report.html");
    let out = bin()
        .args(["diagnose", "--format", "html", "-o"])
        .arg(&target)
        .arg(root().join("examples"))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&*target.to_string_lossy()), "{err}");
    assert!(err.contains("No such file or directory"), "{err}");
    assert!(
        !err.contains(".report.html.") && !err.contains("at path"),
        "{err}"
    );
}
