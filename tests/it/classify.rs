//! Classifier tests beyond the fixture walk (issue 13): the provider on every verdict and its
//! fixes, the corrected facts, subscription windows on a 200, the regressions (İ, long
//! literals, statuses in prose), and property tests that feed random Unicode through the
//! classifier and the text scanner in-process.
//!
//! The fixtures themselves (tests/fixtures/{bedrock,vertex,subscription,precedence}/) are
//! checked by the walk in tests/it/replay.rs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use claude_429::capture::scan::ScanStats;
use claude_429::capture::text::TextScanner;
use claude_429::capture::{Capture, Format};
use claude_429::classify::{self, Class, Confidence, Provider};
use proptest::prelude::*;
use serde_json::Value;

use crate::common::{bin, fixture};

/// `replay --json` on `path`: (exit code, verdicts).
fn replay(path: &Path) -> (Option<i32>, Vec<Value>) {
    let out = bin()
        .arg("replay")
        .arg("--json")
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (
        out.status.code(),
        doc["verdicts"].as_array().cloned().unwrap_or_default(),
    )
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A fix must never send Bedrock or Vertex users to Anthropic's own tools.
fn assert_cloud_fix(v: &Value, cloud_word: &str) {
    let fix = format!("{} {}", v["fix"]["first"], v["fix"]["then"]);
    for bad in [
        "claude-429",
        "probe",
        "Console (",
        "in the Console",
        "higher tier",
    ] {
        assert!(!fix.contains(bad), "fix names {bad:?}: {fix}");
    }
    assert!(
        fix.contains(cloud_word),
        "fix should name {cloud_word:?}: {fix}"
    );
}

#[test]
fn boto3_throttle_is_bedrock_with_a_service_quotas_fix() {
    let (code, v) = replay(&fixture("bedrock/boto3_forms.txt"));
    assert_eq!(code, Some(1));
    let first = &v[0];
    assert_eq!(first["provider"], "bedrock");
    assert_eq!(first["class"], "itpm");
    assert_eq!(
        first["confidence"], "possible",
        "combined TPM is never certain"
    );
    assert_cloud_fix(first, "Service Quotas");
    // Every Bedrock verdict of the file, whatever its class.
    for x in &v {
        assert_eq!(x["provider"], "bedrock", "{x}");
        assert_cloud_fix(x, "");
    }
}

#[test]
fn vertex_resource_exhausted_is_vertex_with_a_quota_fix() {
    let (code, v) = replay(&fixture("vertex/google_forms.txt"));
    assert_eq!(code, Some(1));
    assert_eq!(v[0]["provider"], "vertex");
    assert_eq!(v[0]["class"], "otpm");
    assert_cloud_fix(&v[0], "Quotas");
    for x in &v {
        assert_eq!(x["provider"], "vertex", "{x}");
        assert_cloud_fix(x, "");
    }
}

#[test]
fn credit_balance_is_spend_and_the_throttling_line_is_overload() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "credit.txt",
        "HTTP/1.1 400 Bad Request\nrequest-id: req_011CZQ1a2B3c4D5e6F7g8H9j\n\n{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.\"},\"request_id\":\"req_011CZQ1a2B3c4D5e6F7g8H9j\"}\n\n  \u{23bf}  Credit balance too low \u{b7} Add funds: https://console.anthropic.com/settings/billing\n\n  \u{23bf}  API Error: Server is temporarily limiting requests (not your usage limit) \u{b7} Rate limited\n",
    );
    let (code, v) = replay(&p);
    assert_eq!(code, Some(1));
    assert_eq!(v.len(), 3, "{v:#?}");
    assert_eq!(v[0]["class"], "spend");
    assert_eq!(v[0]["confidence"], "certain");
    assert!(
        v[0]["fix"]["first"]
            .as_str()
            .unwrap()
            .contains("auto-reload"),
        "{}",
        v[0]["fix"]
    );
    assert_eq!(v[1]["class"], "spend");
    assert_eq!(v[2]["class"], "overload");
    assert_eq!(v[2]["confidence"], "likely");
}

#[test]
fn a_200_with_unified_rejected_is_a_subscription_cap_with_its_reset() {
    let (code, v) = replay(&fixture("subscription/rejected_200.txt"));
    assert_eq!(code, Some(1));
    let s = &v[0];
    assert_eq!(s["status"], 200);
    assert_eq!(s["class"], "subscription_cap");
    assert_eq!(s["reset"], "2026-11-18T12:00:00Z");
    assert_eq!(s["retry_after_s"], 10800);
    assert_eq!(s["subscription"]["binding"], "five_hour");
    let ev = s["evidence"].to_string();
    assert!(ev.contains("5h window: rejected, 100% used"), "{ev}");
    // The allowed_warning 200 is not a failure.
    assert!(v.iter().all(|x| x["line"] != 37), "{v:#?}");
}

#[test]
fn table_names_the_cloud_and_its_fix() {
    let out = bin()
        .arg("replay")
        .arg(fixture("bedrock/raw_http.txt"))
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("on bedrock"), "{s}");
    assert!(!s.contains("probe"), "{s}");
    assert!(!s.contains("Anthropic is short of capacity"), "{s}");
    // JSON Lines carry the provider too.
    let out = bin()
        .arg("replay")
        .arg("--jsonl")
        .arg(fixture("vertex/litellm_bytes.txt"))
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap())
        .expect("one JSON line");
    assert_eq!(line["provider"], "vertex");
}

/// The literal the issue names: one error body pretty-printed over 2,000 lines. Replays to one
/// verdict; the scan is linear (tests in `capture::relaxed` count the balancer's steps).
#[test]
fn a_2000_line_literal_replays_to_one_verdict() {
    let mut s = String::from(
        "anthropic.RateLimitError: Error code: 429 - {\n  \"type\": \"error\",\n  \"error\": {\n    \"type\": \"rate_limit_error\",\n    \"message\": \"This request would exceed your organization's rate limit of 50 requests per minute.\",\n    \"details\": {\n",
    );
    for i in 0..2000 {
        s.push_str(&format!(
            "      \"field_{i}\": \"value {{{i}}} with a brace\",\n"
        ));
    }
    s.push_str(
        "      \"last\": 1\n    }\n  },\n  \"request_id\": \"req_011CZR1a2B3c4D5e6F7g8H9j\"\n}\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "big.txt", &s);
    let (code, v) = replay(&p);
    assert_eq!(code, Some(1));
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0]["class"], "rpm");
    assert_eq!(v[0]["request_id"], "req_011CZR1a2B3c4D5e6F7g8H9j");
}

/// Regression (issue 14): numbers after arbitrary keys are not statuses; a 2xx in a log line
/// opens nothing.
#[test]
fn numbers_in_prose_are_not_statuses() {
    let (code, v) = replay(&fixture("precedence/not_statuses.txt"));
    assert_eq!(code, Some(0));
    assert!(v.is_empty(), "{v:#?}");
}

// ---- in-process ----------------------------------------------------------------------

fn capture_with_message(msg: &str, status: Option<u16>) -> Capture {
    let mut c = Capture::new(Arc::from("t"), 1, Format::JsonBody);
    c.status = status;
    c.error.kind = Some("rate_limit_error".into());
    c.error.message = Some(msg.to_string());
    c.text = msg.to_string();
    c
}

#[test]
fn dotted_capital_i_does_not_panic() {
    // Regression: `İ` lower-cases to 3 bytes from 2; quoting sliced the original at an
    // offset found in the lower-cased copy.
    let msg = format!(
        "{} This request would exceed your organization's rate limit of 50 requests per minute {}",
        "İ".repeat(120),
        "İ".repeat(40)
    );
    let v = classify::classify(&capture_with_message(&msg, Some(429))).unwrap();
    assert_eq!(v.class, Class::Rpm);
    assert!(
        v.evidence[0].contains("requests per minute"),
        "{:?}",
        v.evidence
    );
}

#[test]
fn provider_defaults() {
    let v = classify::classify(&capture_with_message("Rate limited", Some(429))).unwrap();
    assert_eq!(v.provider, Provider::Unknown);
    assert_eq!(v.confidence, Confidence::Possible);
}

fn scan_lines(text: &str) -> Vec<Capture> {
    let mut sc = TextScanner::new(Arc::from("t"));
    let mut stats = ScanStats::default();
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        sc.push_line(i as u64 + 1, l, &mut |c| out.push(c), &mut stats);
    }
    sc.finish(&mut |c| out.push(c), &mut stats);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Random Unicode messages (with a rule phrase somewhere, so quoting cuts around it)
    /// never panic the classifier, and never give a `certain` verdict to nonsense.
    #[test]
    fn random_messages_never_panic(
        pre in "\\PC{0,300}",
        post in "\\PC{0,300}",
        phrase in prop::sample::select(vec![
            "rate limit of 5 requests per minute",
            "Too many tokens, please wait",
            "credit balance is too low",
            "overloaded",
            "",
        ]),
        status in prop::option::of(100u16..600),
    ) {
        let msg = format!("{pre}{phrase}{post}");
        let c = capture_with_message(&msg, status);
        let _ = classify::classify(&c);
        let mut c = Capture::new(Arc::from("t"), 1, Format::Text);
        c.text = msg.clone();
        c.status = status;
        if let Some(v) = classify::classify(&c) {
            prop_assert!(!v.evidence.is_empty());
        }
        // And through the text scanner, line by line.
        for cap in scan_lines(&msg) {
            let _ = classify::classify(&cap);
        }
    }

    /// Random lines built from the pieces captures are made of.
    #[test]
    fn random_pastes_never_panic(parts in prop::collection::vec(prop::sample::select(vec![
        "HTTP/1.1 429 Too Many Requests", "x-amzn-ErrorType: ThrottlingException", "{",
        "}", "{\"message\": \"Too many tokens, please wait", "İİ", "\"error\": {",
        "anthropic-ratelimit-unified-5h-status: rejected", "API Error: 529 {", "\\\"",
        "botocore.errorfactory.ThrottlingException: An error occurred (", "'", "\n", "",
        "RESOURCE_EXHAUSTED", "ı\u{301}", "status: 429", "{'Error': {'Code': 'ThrottlingException'",
    ]), 0..40)) {
        let text: String = parts.concat();
        for cap in scan_lines(&text) {
            let _ = classify::classify(&cap);
        }
    }
}
