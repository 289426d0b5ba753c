//! `claude-429 diagnose` against synthetic incidents written into a temp dir, plus the
//! ordered parallel scan that `replay` and `diagnose` share.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::verdict_lines;

// ---- helpers ------------------------------------------------------------------------------

/// The binary with a cleared environment (`NO_COLOR` unset: output is piped, so no colour),
/// 120 columns wide.
fn bin() -> Command {
    let mut c = crate::common::bin();
    c.env_remove("NO_COLOR").env("COLUMNS", "120");
    c
}

fn write(dir: &TempDir, name: &str, content: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).expect("write fixture");
    p
}

/// `2026-11-20T14:MM:SS.mmmZ` from seconds after 14:00:00.
fn ts(secs: f64) -> String {
    let ms = (secs * 1000.0).round() as i64;
    let (s, ms) = (ms / 1000, ms % 1000);
    format!(
        "2026-11-20T{:02}:{:02}:{:02}.{ms:03}Z",
        14 + s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// One JSONL exchange line.
fn line(t: f64, status: u16, model: &str, headers: Value, body: Value, request: Value) -> String {
    let mut req = json!({"model": model});
    if let (Some(r), Some(extra)) = (req.as_object_mut(), request.as_object()) {
        for (k, v) in extra {
            r.insert(k.clone(), v.clone());
        }
    }
    json!({"ts": ts(t), "method": "POST", "url": "https://api.anthropic.com/v1/messages",
           "status": status, "headers": headers, "body": body, "request": req})
    .to_string()
}

fn ok(t: f64, model: &str) -> String {
    line(
        t,
        200,
        model,
        json!({"anthropic-ratelimit-requests-limit": "4000", "anthropic-ratelimit-requests-remaining": "3500"}),
        json!({"type": "message", "model": model, "usage": {"input_tokens": 100, "output_tokens": 50}}),
        json!({}),
    )
}

fn rate_limited(t: f64, model: &str, headers: Value, message: &str, code: Option<&str>) -> String {
    let mut err = json!({"type": "rate_limit_error", "message": message});
    if let Some(c) = code {
        err["details"] = json!({"error_code": c});
    }
    line(
        t,
        429,
        model,
        headers,
        json!({"type": "error", "error": err, "request_id": "req_011CVabcdef123456"}),
        json!({}),
    )
}

fn run_json(args: &[&str]) -> (Value, i32) {
    let out = bin().args(args).arg("--json").output().expect("runs");
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, code)
}

fn top_class(v: &Value) -> &str {
    v["causes"][0]["class"].as_str().unwrap_or("<none>")
}

fn finding<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v["findings"].as_array()?.iter().find(|f| f["kind"] == kind)
}

fn kinds(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

// ---- incidents ----------------------------------------------------------------------------

/// Traffic doubles every minute, then the org's ramp limit refuses; bare 429s follow.
fn ramp_incident() -> String {
    let mut s = String::new();
    let per_minute = [10, 10, 20, 40, 80];
    for (m, n) in per_minute.iter().enumerate() {
        for i in 0..*n {
            let t = m as f64 * 60.0 + i as f64 * 60.0 / *n as f64;
            writeln!(s, "{}", ok(t, "claude-sonnet-4-5")).unwrap();
        }
    }
    // Minute 5: 160 requests, 30 refused by the ramp limit, 4 bare 429s.
    for i in 0..160 {
        let t = 300.0 + i as f64 * 0.37;
        let l = if i % 5 == 0 && i < 150 {
            rate_limited(
                t,
                "claude-sonnet-4-5",
                json!({"retry-after": "2", "anthropic-ratelimit-requests-limit": "4000", "anthropic-ratelimit-requests-remaining": "3000"}),
                "This request would exceed your organization's maximum usage increase rate for input tokens per minute. Please scale up your input tokens usage more gradually to stay within the acceleration limit.",
                Some("ramp_limit_exceeded"),
            )
        } else if i >= 156 {
            line(
                t,
                429,
                "claude-sonnet-4-5",
                json!({}),
                json!({"error": "Rate limited"}),
                json!({}),
            )
        } else {
            ok(t, "claude-sonnet-4-5")
        };
        writeln!(s, "{l}").unwrap();
    }
    s
}

#[test]
fn ramp_before_acceleration_refusals() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "ramp.jsonl", &ramp_incident());
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 1, "rate-limit failures found: exit 1");
    assert_eq!(top_class(&v), "acceleration", "{:#}", v["causes"]);
    assert_eq!(v["causes"][0]["confidence"], "certain");
    let ramp = finding(&v, "ramp").unwrap_or_else(|| panic!("a ramp finding: {:?}", kinds(&v)));
    let detail = ramp["detail"].as_str().unwrap();
    assert!(detail.contains("from 10 to 160"), "{detail}");
    assert!(
        ramp["evidence"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .contains("first refusals: acceleration 30")),
        "{ramp:#}"
    );
    // The timeline shows the ramp minute by minute.
    let reqs: Vec<u64> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["requests"].as_u64().unwrap())
        .collect();
    assert_eq!(reqs, vec![10, 10, 20, 40, 80, 160]);
}

#[test]
fn itpm_exhaustion_in_curl_dumps_without_error_codes() {
    let dir = TempDir::new().unwrap();
    let mut s = String::new();
    for i in 0..4 {
        write!(
            s,
            "HTTP/2 200 \r\ndate: Fri, 20 Nov 2026 14:0{i}:05 GMT\r\ncontent-type: application/json\r\n\
             anthropic-ratelimit-input-tokens-limit: 450000\r\nanthropic-ratelimit-input-tokens-remaining: 120000\r\n\r\n\
             {{\"type\":\"message\",\"usage\":{{\"input_tokens\":90000,\"output_tokens\":20}}}}\r\n\r\n"
        )
        .unwrap();
    }
    for i in 0..5 {
        write!(
            s,
            "HTTP/2 429 \r\ndate: Fri, 20 Nov 2026 14:05:{:02} GMT\r\nretry-after: 13\r\n\
             anthropic-ratelimit-requests-limit: 1000\r\nanthropic-ratelimit-requests-remaining: 412\r\n\
             anthropic-ratelimit-input-tokens-limit: 450000\r\nanthropic-ratelimit-input-tokens-remaining: 0\r\n\
             anthropic-ratelimit-input-tokens-reset: 2026-11-20T14:05:40Z\r\n\
             anthropic-ratelimit-output-tokens-limit: 90000\r\nanthropic-ratelimit-output-tokens-remaining: 71000\r\n\
             request-id: req_011CVd3m5pQxK2Tz8aYbW4n{i}\r\n\r\n",
            i * 10
        )
        .unwrap();
    }
    let f = write(&dir, "dumps.txt", &s);
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 1);
    assert_eq!(top_class(&v), "itpm", "{:#}", v["causes"]);
    assert_eq!(v["causes"][0]["count"], 5);
    let ev = v["causes"][0]["evidence"][0].as_str().unwrap();
    assert!(ev.contains("input-tokens-remaining: 0"), "{ev}");
    assert_eq!(v["summary"]["successes"], 4);
}

#[test]
fn two_keys_from_different_tiers() {
    let dir = TempDir::new().unwrap();
    let mut s = String::new();
    let good = json!({"anthropic-ratelimit-requests-limit": "4000", "anthropic-ratelimit-requests-remaining": "3900",
                      "anthropic-organization-id": "11111111-2222-4333-8444-555555555555"});
    for i in 0..40 {
        let t = i as f64 * 1.5;
        writeln!(
            s,
            "{}",
            line(
                t,
                200,
                "claude-sonnet-4-5",
                good.clone(),
                json!({"type": "message"}),
                json!({})
            )
        )
        .unwrap();
        if i % 4 == 0 {
            // The stray key: a tier-1 org, 50 requests per minute, exhausted.
            let stray = json!({"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0",
                               "anthropic-organization-id": "99999999-8888-4777-8666-555555555555", "retry-after": "20"});
            writeln!(
                s,
                "{}",
                rate_limited(
                    t + 0.5,
                    "claude-sonnet-4-5-20250929",
                    stray,
                    "Rate limited",
                    None
                )
            )
            .unwrap();
        }
    }
    let f = write(&dir, "keys.jsonl", &s);
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 1);
    assert_eq!(top_class(&v), "rpm", "{:#}", v["causes"]);
    let stray = finding(&v, "stray_key").unwrap_or_else(|| panic!("stray_key: {:?}", kinds(&v)));
    let detail = stray["detail"].as_str().unwrap();
    assert!(
        detail.contains("50 on 10 responses but 4,000 on 40 responses"),
        "{detail}"
    );
    assert!(detail.contains("2 organization ids"), "{detail}");
}

#[test]
fn retries_that_ignore_retry_after() {
    let dir = TempDir::new().unwrap();
    let mut s = String::new();
    let h = json!({"retry-after": "30", "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0"});
    // One logical request retried every second although told to wait 30 s.
    for i in 0..4 {
        writeln!(
            s,
            "{}",
            rate_limited(i as f64, "claude-opus-4-1", h.clone(), "Rate limited", None)
        )
        .unwrap();
    }
    // Another model honours it.
    writeln!(
        s,
        "{}",
        rate_limited(0.2, "claude-haiku-4-5", h.clone(), "Rate limited", None)
    )
    .unwrap();
    writeln!(
        s,
        "{}",
        rate_limited(31.0, "claude-haiku-4-5", h.clone(), "Rate limited", None)
    )
    .unwrap();
    let f = write(&dir, "retries.jsonl", &s);
    let (v, _) = run_json(&["diagnose", p(&f)]);
    let r = finding(&v, "ignored_retry_after")
        .unwrap_or_else(|| panic!("ignored_retry_after: {:?}", kinds(&v)));
    assert_eq!(r["count"], 3, "{r:#}");
    let e0 = r["evidence"][0].as_str().unwrap();
    assert!(
        e0.contains("retry-after 30 s") && e0.contains("1 s later"),
        "{e0}"
    );
}

#[test]
fn retry_storm_in_lockstep() {
    let dir = TempDir::new().unwrap();
    let mut s = String::new();
    // A steady background of successes.
    for i in 0..120 {
        writeln!(s, "{}", ok(i as f64, "claude-sonnet-4-5")).unwrap();
    }
    // Twelve workers fail together, then retry together at +1 s, +3 s and +7 s.
    for wave in [60.0, 61.0, 63.0, 67.0] {
        for w in 0..12 {
            let h = json!({"anthropic-ratelimit-requests-limit": "1000", "anthropic-ratelimit-requests-remaining": "0"});
            writeln!(
                s,
                "{}",
                rate_limited(
                    wave + w as f64 * 0.01,
                    "claude-sonnet-4-5",
                    h,
                    "Rate limited",
                    None
                )
            )
            .unwrap();
        }
    }
    let f = write(&dir, "storm.jsonl", &s);
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 1);
    let storm =
        finding(&v, "retry_storm").unwrap_or_else(|| panic!("retry_storm: {:?}", kinds(&v)));
    assert_eq!(storm["count"], 4, "{storm:#}");
    assert!(
        storm["detail"]
            .as_str()
            .unwrap()
            .starts_with("48 failures in 4 one-second bursts")
    );
}

#[test]
fn clean_log_exits_zero() {
    let dir = TempDir::new().unwrap();
    let s: String = (0..50)
        .map(|i| ok(i as f64, "claude-sonnet-4-5") + "\n")
        .collect();
    let f = write(&dir, "clean.jsonl", &s);
    bin()
        .args(["diagnose", p(&f)])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("No failures"));
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 0);
    assert_eq!(v["causes"], json!([]));
    assert_eq!(v["summary"]["successes"], 50);
    assert_eq!(v["summary"]["failures"], 0);
}

#[test]
fn near_limit_without_failures_is_reported_and_exit_stays_zero() {
    let dir = TempDir::new().unwrap();
    let h = json!({"anthropic-ratelimit-input-tokens-limit": "450000", "anthropic-ratelimit-input-tokens-remaining": "9000"});
    let s = line(0.0, 200, "claude-sonnet-4-5", h, json!({}), json!({})) + "\n";
    let f = write(&dir, "near.jsonl", &s);
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 0);
    let n = finding(&v, "near_limit").unwrap_or_else(|| panic!("near_limit: {:?}", kinds(&v)));
    assert!(
        n["evidence"][0]
            .as_str()
            .unwrap()
            .contains("9,000 of 450,000 (2.0% left)")
    );
}

#[test]
fn oversized_max_tokens() {
    let dir = TempDir::new().unwrap();
    let s: String = (0..5)
        .map(|i| {
            line(
                i as f64,
                200,
                "claude-sonnet-4-5",
                json!({}),
                // Output varies as a model's does (290 to 310, 300 on average): a constant size
                // is a mock's and is left out.
                json!({"type": "message", "usage": {"output_tokens": ([290, 310, 300, 290, 310][i])}}),
                json!({"max_tokens": 8192}),
            ) + "\n"
        })
        .collect();
    let f = write(&dir, "tokens.jsonl", &s);
    let (v, _) = run_json(&["diagnose", p(&f)]);
    let m = finding(&v, "max_tokens_oversized").unwrap_or_else(|| panic!("{:?}", kinds(&v)));
    assert!(
        m["detail"]
            .as_str()
            .unwrap()
            .contains("8,192 on average but use 300")
    );
}

#[test]
fn since_and_until_filter_the_window() {
    let dir = TempDir::new().unwrap();
    let mut s = String::new();
    let h = json!({"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0"});
    let o = json!({"anthropic-ratelimit-output-tokens-limit": "8000", "anthropic-ratelimit-output-tokens-remaining": "0"});
    for i in 0..3 {
        writeln!(
            s,
            "{}",
            rate_limited(i as f64, "m", h.clone(), "Rate limited", None)
        )
        .unwrap(); // 14:00
        writeln!(
            s,
            "{}",
            rate_limited(3600.0 + i as f64, "m", o.clone(), "Rate limited", None)
        )
        .unwrap(); // 15:00
    }
    let f = write(&dir, "window.jsonl", &s);
    let (all, _) = run_json(&["diagnose", p(&f)]);
    assert_eq!(all["summary"]["failures"], 6);

    let (late, code) = run_json(&["diagnose", p(&f), "--since", "14:30"]);
    assert_eq!(code, 1);
    assert_eq!(late["summary"]["failures"], 3);
    assert_eq!(late["summary"]["excluded"], 3);
    assert_eq!(top_class(&late), "otpm");
    assert_eq!(late["summary"]["since"], "2026-11-20T14:30:00Z");

    let (early, _) = run_json(&["diagnose", p(&f), "--until", "2026-11-20T14:30:00Z"]);
    assert_eq!(top_class(&early), "rpm");
    assert_eq!(early["summary"]["failures"], 3);

    let (none, code) = run_json(&["diagnose", p(&f), "--since", "14:10", "--until", "14:20"]);
    assert_eq!(code, 0, "nothing in the window: clean");
    assert_eq!(none["summary"]["failures"], 0);

    // Bad values are usage errors, before any input is read.
    bin()
        .args(["diagnose", p(&f), "--since", "teatime"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--since: cannot read 'teatime'"));
    bin()
        .args(["diagnose", p(&f), "--since", "15:00", "--until", "14:00"])
        .assert()
        .code(2);
}

#[test]
fn model_filter() {
    let dir = TempDir::new().unwrap();
    let h = json!({"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0"});
    let s = format!(
        "{}\n{}\n",
        rate_limited(0.0, "claude-opus-4-1", h.clone(), "Rate limited", None),
        ok(1.0, "claude-sonnet-4-5-20250929")
    );
    let f = write(&dir, "models.jsonl", &s);
    let (v, code) = run_json(&["diagnose", p(&f), "--model", "claude-sonnet-4-5"]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["in_window"], 1);
    assert_eq!(v["summary"]["excluded"], 1);
}

#[test]
fn json_shape() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "ramp.jsonl", &ramp_incident());
    let (v, _) = run_json(&["diagnose", p(&f)]);
    for key in ["causes", "timeline", "findings", "summary"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let c = &v["causes"][0];
    for key in [
        "rank",
        "class",
        "count",
        "share",
        "score",
        "confidence",
        "evidence",
        "fix",
        "first_seen",
        "last_seen",
        "rank_reason",
    ] {
        assert!(c.get(key).is_some(), "cause lacks {key}: {c:#}");
    }
    assert!(c["fix"]["first"].is_string() && c["fix"]["then"].is_string());
    let ranks: Vec<u64> = v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, (1..=ranks.len() as u64).collect::<Vec<_>>());
    let m = &v["timeline"][0];
    for key in ["minute", "requests", "successes", "failures", "by_class"] {
        assert!(m.get(key).is_some(), "minute lacks {key}");
    }
    for f in v["findings"].as_array().unwrap() {
        for key in ["kind", "detail", "evidence"] {
            assert!(f.get(key).is_some(), "finding lacks {key}");
        }
    }
    for key in [
        "captures",
        "failures",
        "by_class",
        "files",
        "successes",
        "rate_limit_failures",
    ] {
        assert!(v["summary"].get(key).is_some(), "summary lacks {key}");
    }
    assert!(v.get("live").is_none(), "no live section without --live");
}

#[test]
fn markdown_has_headings() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "ramp.jsonl", &ramp_incident());
    let out = bin()
        .args(["diagnose", p(&f), "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    for h in [
        "# Rate-limit incident report",
        "## Summary",
        "## Ranked causes",
        "### 1. `acceleration`",
        "## Timeline",
        "## Client-behaviour findings",
        "### `ramp`",
    ] {
        assert!(
            md.lines().any(|l| l.starts_with(h)),
            "missing heading {h}:\n{md}"
        );
    }
    assert!(!md.contains('\u{1b}'), "no ANSI escapes in markdown");
}

#[test]
fn terminal_report_sections() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "ramp.jsonl", &ramp_incident());
    let out = bin().args(["diagnose", p(&f)]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for s in [
        "Ranked causes",
        "Timeline (UTC, requests per minute",
        "Client-behaviour findings",
        "  ramp",
    ] {
        assert!(text.contains(s), "missing {s}:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no colour in a pipe");
    // Colour only when asked, through Style.
    let out = bin()
        .args(["diagnose", p(&f), "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn live_without_keys_says_what_was_skipped_and_keeps_the_exit_code() {
    let dir = TempDir::new().unwrap();
    let s: String = (0..3).map(|i| ok(i as f64, "m") + "\n").collect();
    let f = write(&dir, "clean.jsonl", &s);
    let (v, code) = run_json(&["diagnose", p(&f), "--live"]);
    assert_eq!(code, 0);
    assert_eq!(v["live"]["available"], false);
    bin()
        .args(["diagnose", p(&f), "--live"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("Live comparison"))
        .stdout(predicates::str::contains(
            "configured limits skipped: ANTHROPIC_ADMIN_KEY is not set",
        ));
}

const ORG: &str = "6f1c2a7e-3b9d-4e21-9a55-0c4d8e7f1b23";
const WORKSPACE: &str = "wrkspc_01AbCdEfGhIjKlMn";
const REQUEST: &str = "req_011CVd3m5pQxK2Tz8aYbW4nR";
/// The request id [`rate_limited`] puts in every body.
const BODY_REQUEST: &str = "req_011CVabcdef123456";
const KEY: &str = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

fn identifying_log(dir: &TempDir) -> PathBuf {
    let mut s = String::new();
    for (i, limit) in [(0, "50"), (1, "4000"), (2, "50")] {
        let h = json!({"anthropic-organization-id": ORG, "anthropic-workspace-id": WORKSPACE,
                       "request-id": REQUEST, "retry-after": "30",
                       "anthropic-ratelimit-requests-limit": limit, "anthropic-ratelimit-requests-remaining": "0"});
        let msg = format!(
            "This request would exceed the rate limit for your organization ({ORG}) of 50 requests per minute. key {KEY}"
        );
        writeln!(
            s,
            "{}",
            rate_limited(i as f64, "claude-sonnet-4-5", h, &msg, None)
        )
        .unwrap();
    }
    write(dir, "ids.jsonl", &s)
}

#[test]
fn redact_removes_every_id_in_every_format() {
    let dir = TempDir::new().unwrap();
    let f = identifying_log(&dir);
    // Without --redact the ids are there (so the test below means something)...
    let plain = bin().args(["diagnose", p(&f), "--json"]).output().unwrap();
    let plain = String::from_utf8(plain.stdout).unwrap();
    for id in [ORG, WORKSPACE, BODY_REQUEST] {
        assert!(
            plain.contains(id),
            "{id} should show without --redact:\n{plain}"
        );
    }
    // ...but API keys never are.
    assert!(
        !plain.contains("AbCdEfGhIjKlMnOpQrSt"),
        "API key leaked without --redact"
    );
    for format in [&["--json"][..], &["--format", "markdown"], &[]] {
        let out = bin()
            .args(["diagnose", p(&f), "--redact"])
            .args(format)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        for secret in [
            ORG,
            WORKSPACE,
            REQUEST,
            BODY_REQUEST,
            "AbCdEfGhIjKlMnOpQrSt",
            "01AbCdEf",
            "011CVd3m",
            "011CVabc",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} survived --redact {format:?}:\n{text}"
            );
        }
        assert!(text.contains("[REDACTED"), "{format:?}");
    }
}

#[test]
fn unreadable_input_is_a_usage_error() {
    bin()
        .args(["diagnose", "/nonexistent/claude-429-test.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("hint:"));
}

#[test]
fn stdin_is_read() {
    bin()
        .args(["diagnose", "-", "--json"])
        .write_stdin(ramp_incident())
        .assert()
        .code(1)
        .stdout(predicates::str::contains("\"acceleration\""));
}

// ---- the parallel scan keeps input order ----------------------------------------------------

/// A JSONL log big enough (> 4 MiB) for the parallel path, with failures at known lines and a
/// few text lines mixed in.
fn big_log(dir: &TempDir) -> (PathBuf, Vec<u64>) {
    let pad = "x".repeat(900);
    let mut s = String::with_capacity(6 << 20);
    let mut failures = Vec::new();
    let mut n = 0u64;
    while s.len() < 6 << 20 {
        n += 1;
        let t = n as f64 * 0.01;
        if n.is_multiple_of(97) {
            failures.push(n);
            let h = json!({"anthropic-ratelimit-input-tokens-limit": "1000", "anthropic-ratelimit-input-tokens-remaining": "0"});
            s.push_str(&rate_limited(
                t,
                "claude-sonnet-4-5",
                h,
                "Rate limited",
                None,
            ));
        } else if n.is_multiple_of(1001) {
            s.push_str("some unrelated log line");
        } else {
            s.push_str(&line(
                t,
                200,
                "claude-sonnet-4-5",
                json!({}),
                json!({"type": "message", "usage": {"output_tokens": 10}}),
                json!({"note": pad}),
            ));
        }
        s.push('\n');
    }
    (write(dir, "big.jsonl", &s), failures)
}

#[test]
fn parallel_replay_keeps_input_order() {
    let dir = TempDir::new().unwrap();
    let (f, failures) = big_log(&dir);
    for threads in ["1", "3"] {
        let out = bin()
            .env("CLAUDE_429_THREADS", threads)
            .args(["replay", "--jsonl", p(&f)])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(verdict_lines(&out.stdout), failures, "threads={threads}");
    }
}

#[test]
fn parallel_diagnose_matches_sequential() {
    let dir = TempDir::new().unwrap();
    let (f, failures) = big_log(&dir);
    let run = |threads: &str| {
        let out = bin()
            .env("CLAUDE_429_THREADS", threads)
            .args(["diagnose", "--json", p(&f)])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let (one, three) = (run("1"), run("3"));
    assert_eq!(one, three);
    assert_eq!(one["summary"]["failures"], failures.len());
    assert_eq!(top_class(&one), "itpm");
}

/// A Claude Code (subscription) log: `allowed_warning` on the 5-hour window before the
/// subscription refuses (a 429, then a 200 with `unified-status: rejected`).
#[test]
fn subscription_allowed_warning_is_near_limit() {
    let dir = TempDir::new().unwrap();
    let model = "claude-opus-4-1";
    let sub = |status: &str, util: f64| {
        json!({
            "anthropic-ratelimit-unified-status": status,
            "anthropic-ratelimit-unified-5h-status": status,
            "anthropic-ratelimit-unified-5h-utilization": util,
            "anthropic-ratelimit-unified-5h-reset": 1_763_665_200,
            "anthropic-ratelimit-unified-representative-claim": "five_hour",
        })
    };
    let msg = json!({"type": "message", "model": model, "usage": {"output_tokens": 50}});
    let mut s = String::new();
    // 14:00: fine.
    for i in 0..5 {
        writeln!(
            s,
            "{}",
            line(
                i as f64 * 10.0,
                200,
                model,
                sub("allowed", 0.5),
                msg.clone(),
                json!({})
            )
        )
        .unwrap();
    }
    // 14:02: four warnings (92% .. 98%).
    for i in 0..4 {
        let util = 0.92 + i as f64 * 0.02;
        writeln!(
            s,
            "{}",
            line(
                120.0 + i as f64 * 10.0,
                200,
                model,
                sub("allowed_warning", util),
                msg.clone(),
                json!({})
            )
        )
        .unwrap();
    }
    // 14:04: refused (a 429, then a 200 served with unified-status: rejected).
    let err =
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}});
    writeln!(
        s,
        "{}",
        line(240.0, 429, model, sub("rejected", 1.0), err, json!({}))
    )
    .unwrap();
    writeln!(
        s,
        "{}",
        line(
            250.0,
            200,
            model,
            sub("rejected", 1.0),
            msg.clone(),
            json!({})
        )
    )
    .unwrap();
    let f = write(&dir, "claude-code.jsonl", &s);
    let (v, code) = run_json(&["diagnose", p(&f)]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["summary"]["successes"], 9, "{:#}", v["summary"]);
    assert!(
        v["summary"]["failures"].as_u64().unwrap() >= 1,
        "{:#}",
        v["summary"]
    );
    let n = finding(&v, "near_limit").unwrap_or_else(|| panic!("near_limit: {:?}", kinds(&v)));
    assert_eq!(n["count"], 4, "{n:#}");
    let ev = n["evidence"][0].as_str().unwrap();
    assert_eq!(
        ev,
        format!(
            "5h window at 92% (anthropic-ratelimit-unified-5h-status: allowed_warning), first at {}:6 (14:02:00)",
            p(&f)
        ),
        "{n:#}"
    );
    assert!(
        n["detail"]
            .as_str()
            .unwrap()
            .contains("before the first refusal at 14:04"),
        "{n:#}"
    );
    let advice = n["advice"].as_str().unwrap();
    assert!(
        advice.contains("resets") && advice.contains("API key"),
        "{advice}"
    );
    assert!(!advice.contains("probe"), "{advice}");
    // The timeline counts the warnings in their minute.
    let near: Vec<(String, u64)> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["minute"].as_str().unwrap_or("").to_string(),
                m["near_limit"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let total: u64 = near.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 4, "{near:?}");
    assert!(
        near.iter().any(|(m, n)| m.contains("14:02") && *n == 4),
        "{near:?}"
    );
}
