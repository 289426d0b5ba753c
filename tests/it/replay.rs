//! Replay integration tests: the fixture corpus under `tests/fixtures/<format>/` and the
//! command-line contract of `claude-429 replay` (exit codes, JSON shape, secrets, stdin,
//! colour, bad inputs).
//!
//! Fixture layout: `tests/fixtures/<format>/<name>.<ext>` with `<name>.expected.json` beside
//! it, an array of the expected verdicts in order. Each entry:
//!
//! * `class` (exact) or `class_any` (a list, for readings the facts leave open);
//! * `confidence` (exact), or `min_confidence` and/or `max_confidence` (bounds);
//! * optional, compared only when present: `status` (number or null), `retry_after_s`,
//!   `request_id`, `error_code`, `time`, `model`, `line`;
//! * `note`: free text, ignored.
//!
//! The walk collects every mismatch in every fixture and fails once, with an
//! expected-versus-got listing per fixture.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use crate::common::{bin, fixtures_dir, verdict_lines};

const CLASSES: &[&str] = &[
    "rpm",
    "itpm",
    "otpm",
    "daily",
    "concurrency",
    "spend",
    "workspace",
    "acceleration",
    "overload",
    "batch_queue",
    "subscription_cap",
    "not_rate_limit",
    "unknown",
];
const CONFIDENCES: &[&str] = &["possible", "likely", "certain"];
const EXPECTED_KEYS: &[&str] = &[
    "class",
    "class_any",
    "confidence",
    "min_confidence",
    "max_confidence",
    "status",
    "retry_after_s",
    "request_id",
    "error_code",
    "time",
    "model",
    "line",
    "provider",
    "reset",
    "note",
];

// ---------------------------------------------------------------------------------------
// helpers

fn fixture(rel: &str) -> PathBuf {
    let p = crate::common::fixture(rel);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn replay_args(args: &[&str], path: &Path) -> Run {
    let mut c = bin();
    c.arg("replay").args(args).arg(path);
    run(c)
}

fn replay_json(path: &Path) -> Run {
    replay_args(&["--json"], path)
}

fn parse_doc(r: &Run, what: &str) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not one JSON document ({e})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            r.stdout, r.stderr
        )
    })
}

fn verdicts(doc: &Value) -> &Vec<Value> {
    doc["verdicts"].as_array().expect("verdicts is an array")
}

fn assert_no_panic(r: &Run, what: &str) {
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
        "{what}: the binary panicked\n--- stderr ---\n{}",
        r.stderr
    );
    assert!(
        matches!(r.code, Some(0..=2)),
        "{what}: exit code {:?} (killed by a signal, or outside 0..=2)\n--- stderr ---\n{}",
        r.code,
        r.stderr
    );
}

fn conf_rank(s: &str) -> Option<usize> {
    CONFIDENCES.iter().position(|c| *c == s)
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Deterministic pseudo-random bytes (xorshift), so tests need no extra crate.
fn pseudo_random(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// (a) the fixture corpus

/// One line per verdict, for the diff.
fn describe_got(v: &Value) -> String {
    let s = |k: &str| match &v[k] {
        Value::Null => "null".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!(
        "line {} {} {} status={} retry_after_s={} request_id={} error_code={} | evidence: {}",
        s("line"),
        s("class"),
        s("confidence"),
        s("status"),
        s("retry_after_s"),
        s("request_id"),
        s("error_code"),
        v["evidence"]
            .as_array()
            .map(|a| a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ; "))
            .unwrap_or_default()
    )
}

fn describe_expected(e: &Value) -> String {
    let mut o = e.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("note");
    }
    o.to_string()
}

/// Compares one verdict against one expectation; returns the problems found.
fn compare(idx: usize, exp: &Value, got: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(e) = exp.as_object() else {
        return vec![format!("verdict {idx}: expectation is not an object")];
    };
    for k in e.keys() {
        if !EXPECTED_KEYS.contains(&k.as_str()) {
            errs.push(format!(
                "verdict {idx}: unknown key `{k}` in the expected file"
            ));
        }
    }
    let got_class = got["class"].as_str().unwrap_or("<none>");
    let got_conf = got["confidence"].as_str().unwrap_or("<none>");
    if let Some(c) = e.get("class").and_then(Value::as_str) {
        if c != got_class {
            errs.push(format!(
                "verdict {idx}: class expected {c}, got {got_class} ({got_conf})"
            ));
        }
    } else if let Some(any) = e.get("class_any").and_then(Value::as_array) {
        let any: Vec<&str> = any.iter().filter_map(Value::as_str).collect();
        if !any.contains(&got_class) {
            errs.push(format!(
                "verdict {idx}: class expected one of {any:?}, got {got_class} ({got_conf})"
            ));
        }
    } else {
        errs.push(format!(
            "verdict {idx}: expected file has no class/class_any"
        ));
    }
    let got_rank = conf_rank(got_conf);
    if let Some(c) = e.get("confidence").and_then(Value::as_str)
        && c != got_conf
    {
        errs.push(format!(
            "verdict {idx}: confidence expected {c}, got {got_conf} ({got_class})"
        ));
    }
    if let Some(c) = e.get("min_confidence").and_then(Value::as_str)
        && got_rank < conf_rank(c)
    {
        errs.push(format!(
            "verdict {idx}: confidence expected at least {c}, got {got_conf} ({got_class})"
        ));
    }
    if let Some(c) = e.get("max_confidence").and_then(Value::as_str)
        && (got_rank.is_none() || got_rank > conf_rank(c))
    {
        errs.push(format!(
            "verdict {idx}: confidence expected at most {c}, got {got_conf} ({got_class})"
        ));
    }
    for k in [
        "status",
        "retry_after_s",
        "request_id",
        "error_code",
        "time",
        "model",
        "line",
        "provider",
        "reset",
    ] {
        if let Some(want) = e.get(k)
            && got.get(k).unwrap_or(&Value::Null) != want
        {
            errs.push(format!(
                "verdict {idx}: {k} expected {want}, got {}",
                got.get(k).unwrap_or(&Value::Null)
            ));
        }
    }
    errs
}

/// Checks one fixture file; returns a report block when anything is off.
fn check_fixture(file: &Path, expected_path: &Path) -> Option<String> {
    let rel = file
        .strip_prefix(fixtures_dir())
        .unwrap_or(file)
        .display()
        .to_string();
    let mut problems = Vec::new();
    let expected: Vec<Value> = match std::fs::read_to_string(expected_path)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
    {
        Ok(Value::Array(a)) => a,
        Ok(_) => return Some(format!("{rel}: expected file is not a JSON array\n")),
        Err(e) => return Some(format!("{rel}: expected file unreadable: {e}\n")),
    };
    for (i, e) in expected.iter().enumerate() {
        let bad_class = |c: &Value| !c.as_str().is_some_and(|c| CLASSES.contains(&c));
        if e.get("class").is_some_and(bad_class)
            || e.get("class_any")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(bad_class))
        {
            problems.push(format!(
                "verdict {}: expected file names an unknown class",
                i + 1
            ));
        }
        for k in ["confidence", "min_confidence", "max_confidence"] {
            if e.get(k)
                .is_some_and(|c| conf_rank(c.as_str().unwrap_or("")).is_none())
            {
                problems.push(format!("verdict {}: bad {k} in the expected file", i + 1));
            }
        }
    }

    let r = replay_json(file);
    if r.stderr.contains("panicked") {
        return Some(format!(
            "{rel}: PANIC\n{}\n",
            r.stderr
                .lines()
                .skip_while(|l| !l.contains("panicked"))
                .take(2)
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    let doc: Value = match serde_json::from_str(&r.stdout) {
        Ok(d) => d,
        Err(e) => {
            return Some(format!(
                "{rel}: exit {:?}, stdout is not JSON ({e}); stderr: {}\n",
                r.code,
                r.stderr.trim()
            ));
        }
    };
    let got: Vec<Value> = doc["verdicts"].as_array().cloned().unwrap_or_default();

    // Exit status follows what was expected: 1 when a rate-limit class is among the
    // expected verdicts, else 0.
    let any_rate_limit = expected.iter().any(|e| {
        e.get("class")
            .map(|c| c != "not_rate_limit")
            .or_else(|| e.get("class_any").map(|_| true))
            .unwrap_or(false)
    });
    let want_code = if any_rate_limit { 1 } else { 0 };
    if r.code != Some(want_code) {
        problems.push(format!(
            "exit code expected {want_code}, got {:?}{}",
            r.code,
            if r.stderr.trim().is_empty() {
                String::new()
            } else {
                format!(" (stderr: {})", r.stderr.trim().replace('\n', " | "))
            }
        ));
    }
    if got.len() != expected.len() {
        problems.push(format!(
            "count: expected {} verdicts, got {}",
            expected.len(),
            got.len()
        ));
    }
    for (i, (e, g)) in expected.iter().zip(got.iter()).enumerate() {
        problems.extend(compare(i + 1, e, g));
    }
    if problems.is_empty() {
        return None;
    }
    let mut s = format!("{rel}:\n");
    for p in &problems {
        let _ = writeln!(s, "  - {p}");
    }
    let _ = writeln!(s, "  expected:");
    for (i, e) in expected.iter().enumerate() {
        let _ = writeln!(s, "    {}. {}", i + 1, describe_expected(e));
    }
    let _ = writeln!(s, "  got:");
    for (i, g) in got.iter().enumerate() {
        let _ = writeln!(s, "    {}. {}", i + 1, describe_got(g));
    }
    Some(s)
}

/// Every fixture file with its expected file (`None` when it has none).
fn corpus() -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') || name.ends_with(".expected.json") || name == "README.md" {
                continue;
            }
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            let exp = d.join(format!("{stem}.expected.json"));
            out.push((f, exp.exists().then_some(exp)));
        }
    }
    out
}

#[test]
fn fixtures_match_expected_verdicts() {
    let mut reports = Vec::new();
    let mut checked = 0;
    for (file, exp) in corpus() {
        let in_bad = file
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "bad");
        match exp {
            Some(exp) => {
                checked += 1;
                if let Some(r) = check_fixture(&file, &exp) {
                    reports.push(r);
                }
            }
            // Bad inputs without an expected file are checked by `bad_inputs_never_crash`.
            None if in_bad => {}
            // HAR and Rate Limits API data have their own test files (tests/it/har.rs, tests/it/limits.rs).
            None if file
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "har" || n == "limits") => {}
            None => reports.push(format!("{}: no .expected.json beside it\n", file.display())),
        }
    }
    assert!(
        checked > 40,
        "only {checked} fixtures found: is tests/fixtures in place?"
    );
    if !reports.is_empty() {
        panic!(
            "{} of {checked} fixtures do not match their expected verdicts:\n\n{}",
            reports.len(),
            reports.join("\n")
        );
    }
}

#[test]
fn every_class_has_a_fixture() {
    let mut seen = BTreeSet::new();
    for (_, exp) in corpus() {
        let Some(exp) = exp else { continue };
        let v: Value = serde_json::from_str(&std::fs::read_to_string(exp).unwrap()).unwrap();
        for e in v.as_array().unwrap() {
            if let Some(c) = e["class"].as_str() {
                seen.insert(c.to_string());
            }
        }
    }
    let missing: Vec<_> = CLASSES.iter().filter(|c| !seen.contains(**c)).collect();
    assert!(missing.is_empty(), "no fixture expects class {missing:?}");
}

// ---------------------------------------------------------------------------------------
// (b) exit codes

#[test]
fn exit_1_when_failures_found() {
    let r = replay_json(&fixture("curl_i/multi_http2_lf.txt"));
    assert_no_panic(&r, "multi");
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    // The table renderer too.
    let r = replay_args(&[], &fixture("curl_i/multi_http2_lf.txt"));
    assert_eq!(r.code, Some(1), "table: stderr: {}", r.stderr);
}

#[test]
fn exit_0_on_a_clean_log() {
    let dir = tmpdir();
    let jsonl = dir.path().join("ok.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"ts":"2026-03-14T10:00:00Z","method":"POST","url":"https://api.anthropic.com/v1/messages","status":200,"headers":{"anthropic-ratelimit-requests-remaining":"3999","anthropic-ratelimit-requests-limit":"4000"},"body":{"type":"message","usage":{"input_tokens":12,"output_tokens":30}}}"#,
            "\n",
            r#"{"ts":"2026-03-14T10:00:01Z","method":"POST","url":"https://api.anthropic.com/v1/messages","status":200,"headers":{},"body":{"type":"message"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let http = dir.path().join("ok.txt");
    std::fs::write(
        &http,
        "HTTP/2 200 \r\ncontent-type: application/json\r\nanthropic-ratelimit-input-tokens-limit: 30000\r\nanthropic-ratelimit-input-tokens-remaining: 29000\r\nrequest-id: req_011CZS1a2B3c4D5e6F7g8H9j\r\n\r\n{\"id\":\"msg_01Ab\",\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}\r\n",
    )
    .unwrap();
    for f in [&jsonl, &http] {
        let r = replay_json(f);
        assert_no_panic(&r, "clean");
        assert_eq!(
            r.code,
            Some(0),
            "{}: stdout {} stderr {}",
            f.display(),
            r.stdout,
            r.stderr
        );
        let doc = parse_doc(&r, "clean");
        assert!(verdicts(&doc).is_empty(), "{}: {}", f.display(), r.stdout);
        assert_eq!(doc["summary"]["failures"], 0);
    }
    // A whole directory of successes.
    let r = replay_json(dir.path());
    assert_eq!(r.code, Some(0), "dir: {}", r.stderr);
    let doc = parse_doc(&r, "clean dir");
    assert!(
        doc["summary"]["captures"].as_u64().unwrap_or(0) >= 3,
        "{}",
        r.stdout
    );
}

#[test]
fn exit_2_on_missing_file_naming_it() {
    let dir = tmpdir();
    let missing = dir.path().join("no-such-capture-7f3a.txt");
    let r = replay_json(&missing);
    assert_no_panic(&r, "missing");
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("no-such-capture-7f3a.txt"),
        "stderr must name the path: {}",
        r.stderr
    );
    // A missing file among good ones is still exit 2.
    let mut c = bin();
    c.arg("replay")
        .arg("--json")
        .arg(fixture("curl_i/multi_http2_lf.txt"))
        .arg(&missing);
    let r = run(c);
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("no-such-capture-7f3a.txt"),
        "{}",
        r.stderr
    );
}

#[test]
fn exit_2_on_bad_flags() {
    for args in [
        &["replay", "--no-such-flag"][..],
        &["replay", "--only", "not-a-class", "-"],
        &["replay", "--json", "--jsonl", "-"],
        &["replay", "--max-rows", "lots", "-"],
        &["replay", "--color", "sometimes", "-"],
    ] {
        let mut c = bin();
        c.args(args).write_stdin("");
        let r = run(c);
        assert_no_panic(&r, &format!("{args:?}"));
        assert_eq!(r.code, Some(2), "{args:?}: stderr {}", r.stderr);
        assert!(
            !r.stderr.trim().is_empty(),
            "{args:?}: no message on stderr"
        );
    }
}

#[test]
fn strict_on_unparseable_input_is_exit_2() {
    let dir = tmpdir();
    let bin_file = dir.path().join("blob.bin");
    let mut bytes = vec![0u8, 1, 2, 0xff, 0xfe];
    bytes.extend(pseudo_random(7, 4096));
    std::fs::write(&bin_file, &bytes).unwrap();
    let literal = dir.path().join("broken.txt");
    std::fs::write(
        &literal,
        "{\"log\": {\"entries\": [{\"request\": {\"method\": \"GET\", \"headers\": [{\"name\": \"accept\",\n",
    )
    .unwrap();
    for f in [&bin_file, &literal] {
        let r = replay_args(&["--strict", "--json"], f);
        assert_no_panic(&r, "strict");
        assert_eq!(
            r.code,
            Some(2),
            "{}: --strict must exit 2; stderr {}",
            f.display(),
            r.stderr
        );
        // Without --strict the same input is not a usage error.
        let r = replay_json(f);
        assert_no_panic(&r, "non-strict");
        assert!(
            matches!(r.code, Some(0 | 1)),
            "{}: {:?} {}",
            f.display(),
            r.code,
            r.stderr
        );
    }
    // --strict on good input changes nothing.
    let r = replay_args(
        &["--strict", "--json"],
        &fixture("curl_i/multi_http2_lf.txt"),
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------
// (c) the JSON contract

fn check_verdict_shape(v: &Value, ctx: &str) {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("{ctx}: verdict is not an object"));
    for k in [
        "source",
        "line",
        "time",
        "status",
        "model",
        "class",
        "confidence",
        "evidence",
        "retry_after_s",
        "request_id",
        "fix",
    ] {
        assert!(o.contains_key(k), "{ctx}: verdict lacks `{k}`: {v}");
    }
    assert!(v["source"].is_string(), "{ctx}: source");
    assert!(v["line"].as_u64().is_some_and(|l| l >= 1), "{ctx}: line");
    assert!(v["time"].is_null() || v["time"].is_string(), "{ctx}: time");
    assert!(
        v["status"].is_null()
            || v["status"]
                .as_u64()
                .is_some_and(|s| (100..600).contains(&s)),
        "{ctx}: status"
    );
    assert!(
        v["model"].is_null() || v["model"].is_string(),
        "{ctx}: model"
    );
    assert!(
        CLASSES.contains(&v["class"].as_str().unwrap_or("")),
        "{ctx}: class {}",
        v["class"]
    );
    assert!(
        conf_rank(v["confidence"].as_str().unwrap_or("")).is_some(),
        "{ctx}: confidence {}",
        v["confidence"]
    );
    let ev = v["evidence"].as_array().expect("evidence is an array");
    assert!(
        !ev.is_empty() && ev.iter().all(Value::is_string),
        "{ctx}: evidence {ev:?}"
    );
    assert!(
        v["retry_after_s"].is_null() || v["retry_after_s"].is_u64(),
        "{ctx}: retry_after_s"
    );
    assert!(
        v["request_id"].is_null() || v["request_id"].is_string(),
        "{ctx}: request_id"
    );
    for k in ["first", "then"] {
        assert!(
            v["fix"][k].as_str().is_some_and(|s| !s.trim().is_empty()),
            "{ctx}: fix.{k} {}",
            v["fix"]
        );
    }
}

#[test]
fn json_contract() {
    let f = fixture("curl_i/multi_http2_lf.txt");
    let r = replay_json(&f);
    let doc = parse_doc(&r, "contract");
    let keys: BTreeSet<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["verdicts", "summary"]),
        "top-level keys must be exactly verdicts and summary"
    );
    let vs = verdicts(&doc);
    assert_eq!(vs.len(), 3, "{}", r.stdout);
    for v in vs {
        check_verdict_shape(v, "multi");
        assert_eq!(v["source"].as_str().unwrap(), f.display().to_string());
    }
    // Lines point at each capture's status line.
    let lines: Vec<u64> = vs.iter().map(|v| v["line"].as_u64().unwrap()).collect();
    let text = std::fs::read_to_string(&f).unwrap();
    for l in &lines {
        let at = text.lines().nth(*l as usize - 1).unwrap_or("");
        assert!(
            at.starts_with("HTTP/"),
            "line {l} is `{at}`, not a status line"
        );
    }
    assert_eq!(vs[0]["time"], "2026-03-03T10:00:02Z");

    let s = &doc["summary"];
    assert_eq!(s["captures"].as_u64(), Some(4), "summary: {s}");
    assert_eq!(s["failures"].as_u64(), Some(3), "summary: {s}");
    let by = s["by_class"].as_object().expect("by_class is an object");
    let total: u64 = by.values().filter_map(Value::as_u64).sum();
    assert_eq!(total, 3, "by_class sums to failures: {s}");
    assert_eq!(by.get("rpm").and_then(Value::as_u64), Some(1));
    assert_eq!(by.get("overload").and_then(Value::as_u64), Some(1));
    assert_eq!(by.get("otpm").and_then(Value::as_u64), Some(1));
    for k in by.keys() {
        assert!(CLASSES.contains(&k.as_str()), "by_class key {k}");
    }

    // An empty run is still the full document.
    let mut c = bin();
    c.args(["replay", "--json", "-"]).write_stdin("");
    let r = run(c);
    let doc = parse_doc(&r, "empty");
    assert!(verdicts(&doc).is_empty());
    assert_eq!(doc["summary"]["failures"], 0);
    assert!(doc["summary"]["by_class"].is_object());
}

#[test]
fn jsonl_is_one_verdict_per_line() {
    let f = fixture("jsonl/design_shape.jsonl");
    let doc = parse_doc(&replay_json(&f), "json");
    let n = verdicts(&doc).len();
    let r = replay_args(&["--jsonl"], &f);
    assert_no_panic(&r, "jsonl");
    let lines: Vec<&str> = r.stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        n,
        "--jsonl lines vs --json verdicts:\n{}",
        r.stdout
    );
    for (i, l) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(l)
            .unwrap_or_else(|e| panic!("--jsonl line {} is not JSON ({e}): {l}", i + 1));
        check_verdict_shape(&v, "jsonl");
        assert_eq!(v["class"], verdicts(&doc)[i]["class"]);
    }
}

#[test]
fn only_filters_by_class() {
    let f = fixture("jsonl/design_shape.jsonl");
    let r = replay_args(&["--json", "--only", "itpm"], &f);
    let doc = parse_doc(&r, "--only itpm");
    let vs = verdicts(&doc);
    assert!(!vs.is_empty(), "{}", r.stdout);
    assert!(vs.iter().all(|v| v["class"] == "itpm"), "{}", r.stdout);
    assert_eq!(doc["summary"]["failures"].as_u64(), Some(vs.len() as u64));
    let by = doc["summary"]["by_class"].as_object().unwrap();
    assert!(
        by.keys().all(|k| k == "itpm"),
        "by_class after --only: {by:?}"
    );
    // Repeatable, and the other class comes through too.
    let r = replay_args(&["--json", "--only", "itpm", "--only", "overload"], &f);
    let doc = parse_doc(&r, "--only itpm --only overload");
    let classes: BTreeSet<&str> = verdicts(&doc)
        .iter()
        .filter_map(|v| v["class"].as_str())
        .collect();
    assert_eq!(
        classes,
        BTreeSet::from(["itpm", "overload"]),
        "{}",
        r.stdout
    );
    // A filter that matches nothing: clean exit.
    let r = replay_args(&["--json", "--only", "daily"], &f);
    let doc = parse_doc(&r, "--only daily");
    assert!(verdicts(&doc).is_empty());
    assert_eq!(
        r.code,
        Some(0),
        "nothing left after --only: exit 0; {}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------
// (d) bad inputs

#[test]
fn bad_inputs_never_crash() {
    let dir = fixtures_dir().join("bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            p.is_file() && !n.ends_with(".expected.json") && !n.starts_with('.')
        })
        .collect();
    files.sort();
    assert!(files.len() >= 6, "bad inputs: {files:?}");
    let mut problems = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for args in [&["--json"][..], &["--jsonl"], &[]] {
            let r = replay_args(args, f);
            if r.stderr.contains("panicked") || !matches!(r.code, Some(0..=2)) {
                problems.push(format!(
                    "{name} {args:?}: exit {:?}, stderr: {}",
                    r.code,
                    r.stderr.trim()
                ));
                continue;
            }
            if args == ["--json"] {
                let Ok(doc) = serde_json::from_str::<Value>(&r.stdout) else {
                    problems.push(format!("{name}: stdout is not JSON: {}", r.stdout));
                    continue;
                };
                let wrong_format = name.ends_with(".csv") || name.ends_with(".py");
                for v in doc["verdicts"].as_array().into_iter().flatten() {
                    let conf = v["confidence"].as_str().unwrap_or("");
                    if conf == "certain" || (wrong_format && conf != "possible") {
                        problems.push(format!(
                            "{name}: a damaged or wrong-format input must give no or only low-confidence verdicts; got {}",
                            describe_got(v)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "bad inputs:\n  {}",
        problems.join("\n  ")
    );
}

/// What `replay --json -` does with `bytes`, in this process through the library: the scan
/// (as for stdin, whose size is unknown: the chunked parallel paths), the classifier, the JSON
/// renderer into memory. Returns the JSON document, or what went wrong (a panic in the scan,
/// in a worker or in the renderer).
fn replay_json_in_process(dir: &Path, bytes: &[u8]) -> Result<String, String> {
    use claude_429::capture::scan::{Engine, ScanOptions};
    use claude_429::report::json::JsonDoc;
    use claude_429::report::{Renderer, Summary};
    let path = dir.join("damaged.txt");
    std::fs::write(&path, bytes).unwrap();
    let engine = Engine {
        parallel_min: 0,
        ..Engine::auto()
    };
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = Vec::new();
        let mut doc = JsonDoc::new(&mut out, false);
        let mut summary = Summary::default();
        let opts = ScanOptions {
            failures_only: true,
        };
        let (stats, _unreadable) = claude_429::commands::replay::scan_files_with(
            std::slice::from_ref(&path),
            &opts,
            &engine,
            &mut |v| {
                summary.add(&v);
                doc.verdict(&v).expect("write to memory");
            },
        );
        summary.captures = stats.captures;
        summary.skipped = stats.skipped;
        summary.files = stats.files;
        doc.finish(&summary).expect("write to memory");
        String::from_utf8(out).expect("the JSON document is UTF-8")
    }));
    run.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

/// Pastes get damaged in the same few ways: cut short, decorated per line (emoji, `> `
/// quoting, the Claude Code gutter), line endings changed. None of that may crash the tool.
/// Every variant of every fixture runs in-process ([`replay_json_in_process`]); the variants
/// of the first fixture also run through the binary, for its exit code.
#[test]
fn damaged_fixtures_never_panic() {
    let dir = tmpdir();
    let mut problems = Vec::new();
    let (mut runs, mut spawned) = (0, 0);
    for (file, _) in corpus() {
        let data = std::fs::read(&file).unwrap();
        if data.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&data).into_owned();
        let prefix_lines = |p: &str| -> Vec<u8> {
            text.lines()
                .map(|l| format!("{p}{l}\n"))
                .collect::<String>()
                .into_bytes()
        };
        let mut variants: Vec<(&str, Vec<u8>)> = vec![
            ("cut at 1/3", data[..data.len() / 3].to_vec()),
            ("cut at 2/3", data[..data.len() * 2 / 3].to_vec()),
            ("emoji per line", prefix_lines("🤖 ")),
            ("quoted per line", prefix_lines("> ")),
            ("gutter per line", prefix_lines("  ⎿  ")),
            ("curly apostrophes and ellipses", {
                text.replace('\'', "\u{2019}")
                    .replace("...", "\u{2026}")
                    .replace(": ", " \u{b7} ")
                    .into_bytes()
            }),
            ("CR line endings", text.replace('\n', "\r").into_bytes()),
        ];
        // Cut inside a multi-byte character, when the file has one.
        if let Some(i) = data.iter().position(|b| *b >= 0xc0) {
            variants.push(("cut inside a UTF-8 sequence", data[..i + 1].to_vec()));
        }
        let name = file.strip_prefix(fixtures_dir()).unwrap_or(&file).display();
        let via_binary = runs == 0;
        for (what, bytes) in variants {
            runs += 1;
            match replay_json_in_process(dir.path(), &bytes) {
                Err(panic) => {
                    problems.push(format!("{name} ({what}): panicked in-process: {panic}"))
                }
                Ok(doc) if serde_json::from_str::<Value>(&doc).is_err() => problems.push(format!(
                    "{name} ({what}): in-process output is not one JSON document"
                )),
                Ok(_) => {}
            }
            if !via_binary {
                continue;
            }
            spawned += 1;
            let mut c = bin();
            c.args(["replay", "--json", "-"]).write_stdin(bytes);
            let r = run(c);
            if r.stderr.contains("panicked") || !matches!(r.code, Some(0..=2)) {
                let first = r
                    .stderr
                    .lines()
                    .find(|l| l.contains("panicked"))
                    .unwrap_or("")
                    .to_string();
                problems.push(format!(
                    "{} ({what}): exit {:?} {first}",
                    file.strip_prefix(fixtures_dir()).unwrap_or(&file).display(),
                    r.code
                ));
            } else if serde_json::from_str::<Value>(&r.stdout).is_err() {
                problems.push(format!(
                    "{} ({what}): stdout is not one JSON document",
                    file.strip_prefix(fixtures_dir()).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        runs > 500 && spawned >= 7,
        "{runs} variants, {spawned} through the binary"
    );
    assert!(
        problems.is_empty(),
        "{} of {runs} damaged inputs crashed:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// Any non-ASCII character shortly before a status number (an emoji log prefix, the Claude
/// Code gutter, a curly apostrophe) must not crash the status detection.
#[test]
fn multibyte_text_near_a_status_does_not_panic() {
    for line in [
        "🤖 API returned 429",
        "⚠ Upstream said 503",
        "  ⎿  API Error · 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
        "Claude’s API returned 529 Overloaded",
        "✻ 529 Overloaded · Retrying in 24s · attempt 10/10",
        "…………………… status 429",
    ] {
        let mut c = bin();
        c.args(["replay", "--json", "-"])
            .write_stdin(format!("{line}\n"));
        let r = run(c);
        assert!(
            !r.stderr.contains("panicked") && matches!(r.code, Some(0..=2)),
            "`{line}`: exit {:?}\n{}",
            r.code,
            r.stderr.lines().take(3).collect::<Vec<_>>().join("\n")
        );
    }
}

/// A binary input that never ends (a device such as /dev/zero) is skipped at once: the
/// scan no longer reads it to the end to count its bytes (it used to hang).
#[cfg(unix)]
#[test]
fn an_endless_binary_device_is_skipped_at_once() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        let mut c = bin();
        c.args(["replay", "--json", dev])
            .timeout(Duration::from_secs(20));
        let r = run(c);
        assert_no_panic(&r, dev);
        let doc = parse_doc(&r, dev);
        assert!(verdicts(&doc).is_empty(), "{}", r.stdout);
        assert!(r.stderr.contains("binary"), "{dev}: {}", r.stderr);
    }
}

#[test]
fn binary_input_gets_a_clear_note() {
    let dir = tmpdir();
    let f = dir.path().join("random.dat");
    std::fs::write(&f, pseudo_random(0x5eed, 64 * 1024)).unwrap();
    for f in [f.clone(), fixture("bad/garbage.bin")] {
        let r = replay_json(&f);
        assert_no_panic(&r, "binary");
        let doc = parse_doc(&r, "binary");
        assert!(verdicts(&doc).is_empty(), "{}", r.stdout);
        assert!(
            r.stderr.to_lowercase().contains("binary"),
            "{}: stderr should say the input is binary: {}",
            f.display(),
            r.stderr
        );
    }
    // Latin-1 text (not UTF-8, not binary) is read, not rejected.
    let latin = dir.path().join("latin1.txt");
    let mut b = b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 5\r\nx-note: caf\xe9 m\xfcller\r\nanthropic-ratelimit-requests-limit: 50\r\nanthropic-ratelimit-requests-remaining: 0\r\n\r\n".to_vec();
    b.extend_from_slice(b"{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your organization\x92s rate limit of 50 requests per minute.\"}}\r\n");
    std::fs::write(&latin, b).unwrap();
    let r = replay_json(&latin);
    assert_no_panic(&r, "latin1");
    let doc = parse_doc(&r, "latin1");
    let vs = verdicts(&doc);
    assert_eq!(vs.len(), 1, "{}", r.stdout);
    assert_eq!(vs[0]["class"], "rpm", "{}", r.stdout);
}

#[test]
fn twenty_megabyte_line_is_skipped_in_bounded_time() {
    let dir = tmpdir();
    let f = dir.path().join("huge.log");
    let mut data = Vec::with_capacity(21 * 1024 * 1024);
    data.extend_from_slice(
        b"HTTP/2 429 \nretry-after: 3\nanthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 0\nrequest-id: req_011CZT1a2B3c4D5e6F7g8H9j\n\n{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your organization's rate limit of 50 requests per minute.\"}}\n\n",
    );
    data.extend_from_slice(b"{\"status\":429,\"body\":\"");
    data.extend(std::iter::repeat_n(b'a', 20 * 1024 * 1024));
    data.extend_from_slice(b"\"}\n\n");
    data.extend_from_slice(
        b"HTTP/2 529 \nx-should-retry: true\n\n{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":null}\n",
    );
    std::fs::write(&f, &data).unwrap();
    drop(data);
    let start = Instant::now();
    let r = replay_json(&f);
    let took = start.elapsed();
    assert_no_panic(&r, "20 MB line");
    // Bounded, with a margin for a debug binary on a busy machine.
    assert!(took < Duration::from_secs(90), "20 MB line took {took:?}");
    assert!(
        r.stderr.contains("skipped"),
        "stderr should note the skipped line: {}",
        r.stderr
    );
    let doc = parse_doc(&r, "20 MB line");
    let classes: Vec<&str> = verdicts(&doc)
        .iter()
        .filter_map(|v| v["class"].as_str())
        .collect();
    assert_eq!(
        classes,
        ["rpm", "overload"],
        "captures around the long line survive: {}",
        r.stdout
    );
    assert_eq!(r.code, Some(1));
}

/// Deeply nested or brace-heavy literals after a text prefix: a few tens of kilobytes must
/// not take more than a few seconds (the input streams, so time must stay about linear).
#[test]
fn pathological_literals_finish_in_bounded_time() {
    let nest = 2000;
    let cases: Vec<(&str, String)> = vec![
        (
            "JSON nested 2000 deep after 'API Error: 429 '",
            format!(
                "API Error: 429 {}1{}\n",
                "{\"a\":".repeat(nest),
                "}".repeat(nest)
            ),
        ),
        (
            "Python dict nested 2000 deep after an SDK prefix",
            format!(
                "anthropic.RateLimitError: Error code: 429 - {}None{}\n",
                "{'a': ".repeat(nest),
                "}".repeat(nest)
            ),
        ),
        (
            "20000 empty objects after a prefix",
            format!("x {}\n", "{}".repeat(20_000)),
        ),
        (
            "20000 unclosed braces after a prefix",
            format!("x {}\n", "{\"k\": ".repeat(20_000)),
        ),
    ];
    let mut problems = Vec::new();
    for (what, input) in cases {
        let mut c = bin();
        c.timeout(Duration::from_secs(60));
        c.args(["replay", "--json", "-"]).write_stdin(input.clone());
        let start = Instant::now();
        let r = run(c);
        let took = start.elapsed();
        if r.stderr.contains("panicked") || !matches!(r.code, Some(0..=2)) {
            let why = if r.code.is_none() {
                "killed at the 60 s limit"
            } else {
                "crashed"
            };
            problems.push(format!(
                "{what} ({} bytes): {why}, exit {:?} after {took:?}",
                input.len(),
                r.code
            ));
        } else if took > Duration::from_secs(30) {
            problems.push(format!("{what} ({} bytes): took {took:?}", input.len()));
        }
    }
    assert!(
        problems.is_empty(),
        "super-linear parsing:\n  {}",
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------
// (e) secrets and --redact

/// A key-shaped string built at run time, so no key-like literal sits in the repository.
fn fake_key(kind: &str) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let body: String = pseudo_random(kind.len() as u64 * 7919 + 3, 93)
        .iter()
        .map(|b| ALPHA[(*b as usize) % ALPHA.len()] as char)
        .collect();
    format!("sk-ant-{kind}-{body}AA")
}

#[test]
fn api_keys_never_appear_in_output() {
    let key = fake_key("api03");
    let admin = fake_key("admin01");
    let org = "9c1e3a5c-7b0d-4f26-8e4a-c6e8a0c2e4f7";
    let rid = "req_011CZU1a2B3c4D5e6F7g8H9j";
    let capture = format!(
        "* Connected to api.anthropic.com (160.79.104.10) port 443\n\
> POST /v1/messages HTTP/2\n\
> x-api-key: {key}\n\
> anthropic-version: 2023-06-01\n\
> \n\
< HTTP/2 429 \n\
< retry-after: 5\n\
< anthropic-ratelimit-requests-limit: 50\n\
< anthropic-ratelimit-requests-remaining: 0\n\
< request-id: {rid}\n\
< anthropic-organization-id: {org}\n\
< \n\
{{\"type\":\"error\",\"error\":{{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your organization's rate limit of 50 requests per minute (org: {org}, model: claude-sonnet-4-5). Key: {key}\"}},\"request_id\":\"{rid}\"}}\n\
\n\
x-api-key: {key}\n\
authorization: Bearer {admin}\n\
retry-after: 9\n\
anthropic-ratelimit-input-tokens-limit: 30000\n\
anthropic-ratelimit-input-tokens-remaining: 0\n\
\n\
Traceback (most recent call last):\n\
  File \"/app/main.py\", line 4, in <module>\n\
    client = anthropic.Anthropic(api_key=\"{key}\")\n\
anthropic.RateLimitError: Error code: 429 - {{'type': 'error', 'error': {{'type': 'rate_limit_error', 'message': \"This request would exceed your organization's rate limit of 8,000 output tokens per minute. key={key} admin={admin}\"}}, 'request_id': '{rid}'}}\n"
    );
    let dir = tmpdir();
    let f = dir.path().join("leaky.txt");
    std::fs::write(&f, &capture).unwrap();
    let tails: Vec<String> = [&key, &admin]
        .iter()
        .map(|k| k[20..44].to_string())
        .collect();
    let mut outputs = Vec::new();
    for args in [
        &[][..],
        &["--json"],
        &["--jsonl"],
        &["--redact"],
        &["--json", "--redact"],
        &["--color", "always"],
    ] {
        let r = replay_args(args, &f);
        assert_no_panic(&r, "secrets");
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.stderr);
        outputs.push((format!("{args:?}"), r));
    }
    // Through stdin as well.
    let mut c = bin();
    c.args(["replay", "--json", "-"])
        .write_stdin(capture.clone());
    outputs.push(("stdin --json".into(), run(c)));
    // A key in a missing path's name is not echoed either.
    let missing = dir.path().join(format!("{key}.txt"));
    let r = replay_json(&missing);
    assert_eq!(r.code, Some(2));
    outputs.push(("missing path".into(), r));

    for (what, r) in &outputs {
        for stream in [&r.stdout, &r.stderr] {
            for secret in [&key, &admin] {
                assert!(
                    !stream.contains(secret.as_str()),
                    "{what}: an API key leaked:\n{stream}"
                );
            }
            for t in &tails {
                assert!(
                    !stream.contains(t.as_str()),
                    "{what}: part of an API key leaked:\n{stream}"
                );
            }
        }
    }
    // Without --redact, ids stay (so the --redact check below means something).
    let plain = &outputs[1].1;
    assert!(
        plain.stdout.contains(rid),
        "request id expected without --redact: {}",
        plain.stdout
    );
    // --redact removes request ids and org UUIDs from every output.
    for (what, r) in outputs.iter().filter(|(w, _)| w.contains("--redact")) {
        assert!(
            !r.stdout.contains(rid),
            "{what}: request id not redacted:\n{}",
            r.stdout
        );
        assert!(
            !r.stdout.contains("req_011C"),
            "{what}: request id prefix left:\n{}",
            r.stdout
        );
        assert!(
            !r.stdout.contains(org),
            "{what}: org UUID not redacted:\n{}",
            r.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// (f) stdin

#[test]
fn reads_stdin() {
    let text = std::fs::read_to_string(fixture("curl_i/multi_http2_lf.txt")).unwrap();
    let mut c = bin();
    c.args(["replay", "--json", "-"]).write_stdin(text.clone());
    let r = run(c);
    assert_no_panic(&r, "stdin");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let doc = parse_doc(&r, "stdin");
    let vs = verdicts(&doc);
    let classes: Vec<&str> = vs.iter().filter_map(|v| v["class"].as_str()).collect();
    assert_eq!(classes, ["rpm", "overload", "otpm"], "{}", r.stdout);
    assert!(
        vs.iter().all(|v| v["source"] == "-"),
        "source of stdin is -: {}",
        r.stdout
    );

    // No path at all means stdin too.
    let mut c = bin();
    c.args(["replay", "--json"]).write_stdin(text);
    let r = run(c);
    let doc = parse_doc(&r, "implicit stdin");
    assert_eq!(verdicts(&doc).len(), 3, "{}", r.stdout);

    // A one-line paste, as from pbpaste.
    let mut c = bin();
    c.args(["replay", "--json", "-"]).write_stdin(
        "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exceed your organization\\'s rate limit of 30,000 input tokens per minute.'}}",
    );
    let r = run(c);
    let doc = parse_doc(&r, "paste");
    let vs = verdicts(&doc);
    assert_eq!(vs.len(), 1, "{}", r.stdout);
    assert_eq!(vs[0]["class"], "itpm");
}

// ---------------------------------------------------------------------------------------
// (g) colour

fn has_ansi(s: &str) -> bool {
    s.contains('\u{1b}')
}

#[test]
fn no_colour_when_piped_or_no_color() {
    let f = fixture("curl_i/multi_http2_lf.txt");
    // Piped, NO_COLOR unset.
    let mut c = bin();
    c.env_remove("NO_COLOR").arg("replay").arg(&f);
    let r = run(c);
    assert!(!r.stdout.trim().is_empty());
    assert!(
        !has_ansi(&r.stdout) && !has_ansi(&r.stderr),
        "piped output has ANSI:\n{}",
        r.stdout
    );
    // A terminal (forced), but NO_COLOR=1.
    let mut c = bin();
    c.env("CLAUDE_429_FORCE_TTY", "1").arg("replay").arg(&f);
    let r = run(c);
    assert!(
        !has_ansi(&r.stdout) && !has_ansi(&r.stderr),
        "NO_COLOR=1 output has ANSI:\n{}",
        r.stdout
    );
    // --color never, even on a terminal without NO_COLOR.
    let mut c = bin();
    c.env_remove("NO_COLOR")
        .env("CLAUDE_429_FORCE_TTY", "1")
        .args(["replay", "--color", "never"])
        .arg(&f);
    let r = run(c);
    assert!(
        !has_ansi(&r.stdout),
        "--color never has ANSI:\n{}",
        r.stdout
    );
    // --json is never coloured.
    let mut c = bin();
    c.env_remove("NO_COLOR")
        .env("CLAUDE_429_FORCE_TTY", "1")
        .args(["replay", "--json", "--color", "always"])
        .arg(&f);
    let r = run(c);
    assert!(!has_ansi(&r.stdout), "--json has ANSI:\n{}", r.stdout);
    parse_doc(&r, "--json --color always");
}

#[test]
fn colour_always_gives_ansi() {
    let f = fixture("curl_i/multi_http2_lf.txt");
    let mut c = bin();
    c.env_remove("NO_COLOR")
        .args(["replay", "--color", "always"])
        .arg(&f);
    let r = run(c);
    assert_no_panic(&r, "colour");
    assert!(
        has_ansi(&r.stdout),
        "--color always gave no ANSI:\n{}",
        r.stdout
    );
}

/// A text log big enough for the parallel path (mapped windows numbered by the workers that
/// take them, in whatever order they finish): the same verdicts, at the same line numbers,
/// with one worker or several.
#[test]
fn a_big_text_log_gives_the_same_lines_with_any_worker_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let mut log = String::with_capacity(6 << 20);
    let mut failures = Vec::new();
    let mut n = 0u64;
    while log.len() < 6 << 20 {
        n += 1;
        if n.is_multiple_of(1733) {
            failures.push(n);
            log.push_str(
                "2026-11-20 14:00:01,000 ERROR app.llm: anthropic.RateLimitError: Error code: \
                 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': \
                 'This request would exceed the rate limit for your organization of 80,000 \
                 input tokens per minute.'}}\n",
            );
        } else {
            let pad = "x".repeat((n % 50) as usize);
            log.push_str(&format!(
                "2026-11-20 14:00:00,010 INFO app.api: GET /v1/orders/{n} 200 375ms {pad}\n"
            ));
        }
    }
    std::fs::write(&path, &log).unwrap();
    let run = |threads: &str| {
        let out = bin()
            .env("CLAUDE_429_THREADS", threads)
            .args(["replay", "--jsonl", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "threads={threads}");
        out.stdout
    };
    let one = run("1");
    assert_eq!(verdict_lines(&one), failures);
    for threads in ["2", "3", "8"] {
        assert!(run(threads) == one, "threads={threads}");
    }
}
