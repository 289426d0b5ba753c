//! `diagnose --live` against a local fake of the Rate Limits API and the Messages API
//! (wiremock on 127.0.0.1): both keys, one key, none; the logs' limit below the configured
//! one; a workspace override; a network error. No run prints a key.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ADMIN_KEY: &str = "sk-ant-admin01-LIVETEST-5f3c9a1e7b2d4c6e8f0a1b3c-never-print";
const API_KEY: &str = "sk-ant-api03-LIVETEST-AbCdEfGhIjKlMnOpQrStUvWxYz-never-print";

fn fixture(name: &str) -> Value {
    crate::common::fixture_json(&format!("limits/{name}"))
}

/// A log of Sonnet traffic whose responses carry `requests-limit: LIMIT`: two successes, then
/// three 429s on requests per minute.
fn log(dir: &TempDir, limit: u64) -> PathBuf {
    let mut s = String::new();
    for i in 0..5 {
        let failed = i >= 2;
        let line = json!({
            "ts": format!("2026-11-20T14:00:{:02}Z", i * 5),
            "status": if failed { 429 } else { 200 },
            "headers": {
                "anthropic-ratelimit-requests-limit": limit.to_string(),
                "anthropic-ratelimit-requests-remaining": if failed { "0".to_string() } else { "5".to_string() },
                "anthropic-workspace-id": "wrkspc_test",
                "retry-after": "20"
            },
            "body": if failed {
                json!({"type": "error", "error": {"type": "rate_limit_error",
                       "message": "Number of requests has exceeded your per-minute rate limit"}})
            } else {
                json!({"type": "message", "model": "claude-sonnet-4-5", "usage": {"output_tokens": 5}})
            },
            "request": {"model": "claude-sonnet-4-5", "max_tokens": 100}
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    let p = dir.path().join("incident.jsonl");
    std::fs::write(&p, s).unwrap();
    p
}

/// The fake: the org listing (Sonnet at 4,000 requests per minute), the workspace listing and
/// a Messages endpoint answering 200 with `requests-limit: PROBE_LIMIT`.
async fn server(probe_limit: u64) -> MockServer {
    let s = MockServer::start().await;
    let org = fixture("org_rate_limits.json");
    let ws = fixture("workspace_rate_limits.json");
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
    Mock::given(method("GET"))
        .and(path("/v1/organizations/workspaces/wrkspc_test/rate_limits"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": ws["wrkspc_test"], "next_page": null})),
        )
        .mount(&s)
        .await;
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"id": "msg_01", "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Hi"}],
                    "usage": {"input_tokens": 9, "output_tokens": 1}}),
                )
                .insert_header(
                    "anthropic-ratelimit-requests-limit",
                    probe_limit.to_string(),
                )
                .insert_header(
                    "anthropic-ratelimit-requests-remaining",
                    (probe_limit - 1).to_string(),
                )
                .insert_header("anthropic-ratelimit-requests-reset", reset)
                .insert_header("anthropic-workspace-id", "wrkspc_test"),
        )
        .mount(&s)
        .await;
    s
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(base: &str, keys: (bool, bool), args: &[&str]) -> Run {
    let mut c = crate::common::bin();
    c.env("ANTHROPIC_BASE_URL", base)
        .timeout(Duration::from_secs(60));
    if keys.0 {
        c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY);
    }
    if keys.1 {
        c.env("ANTHROPIC_API_KEY", API_KEY);
    }
    let o = c.args(args).output().unwrap();
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    for k in [ADMIN_KEY, API_KEY] {
        assert!(
            !r.out.contains(k) && !r.err.contains(k),
            "a key was printed"
        );
    }
    r
}

fn json_run(base: &str, keys: (bool, bool), args: &[&str]) -> (Value, i32) {
    let r = run(base, keys, args);
    let v: Value = serde_json::from_str(&r.out)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.out, r.err));
    (v, r.code)
}

fn kinds(v: &Value) -> Vec<String> {
    v["live"]["conclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

fn conclusion<'a>(v: &'a Value, kind: &str) -> &'a Value {
    v["live"]["conclusions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:#}", v["live"]["conclusions"]))
}

async fn posts(s: &MockServer) -> usize {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn both_keys_logs_limit_below_configured_with_configured_and_probe_beside_it() {
    let s = server(4000).await;
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 50);
    let (v, code) = json_run(
        &s.uri(),
        (true, true),
        &["diagnose", f.to_str().unwrap(), "--live", "--json"],
    );
    assert_eq!(code, 1, "the report's exit status (429s found)");
    let live = &v["live"];
    assert_eq!(live["available"], true);
    assert_eq!(live["configured"]["status"], "read");
    let sonnet = &live["configured"]["classes"][0];
    assert_eq!(sonnet["group_id"], "rlg_01SONNET");
    assert_eq!(sonnet["org"]["requests_per_minute"], 4000);
    assert_eq!(live["probe"]["status"], "read");
    assert_eq!(live["probe"]["probes"][0]["status"], 200);
    assert_eq!(live["probe"]["probes"].as_array().unwrap().len(), 1);
    assert_eq!(live["from_logs"][0]["limits"]["requests"][0]["limit"], 50);
    let c = conclusion(&v, "logs_limit_below_configured");
    let detail = c["detail"].as_str().unwrap();
    assert!(
        detail.contains("(50)") && detail.contains("4,000"),
        "{detail}"
    );
    assert!(
        detail.contains("stray key"),
        "the probe sees 4,000: {detail}"
    );
    let ev = c["evidence"].to_string();
    assert!(ev.contains("requests-limit: 50") && ev.contains("requests_per_minute 4,000"));
    assert!(ev.contains("probe:"), "{ev}");
    assert!(kinds(&v).contains(&"binding_headroom".to_string()));
    assert!(
        !kinds(&v).contains(&"limit_changed".to_string()),
        "explained above"
    );
    assert_eq!(posts(&s).await, 1, "one probe, never retried");

    let r = run(
        &s.uri(),
        (true, true),
        &["diagnose", f.to_str().unwrap(), "--live"],
    );
    assert_eq!(r.code, 1);
    assert!(r.out.contains("Live comparison"), "{}", r.out);
    assert!(r.out.contains("[logs_limit_below_configured]"), "{}", r.out);
    let r = run(
        &s.uri(),
        (true, true),
        &[
            "diagnose",
            f.to_str().unwrap(),
            "--live",
            "--format",
            "markdown",
        ],
    );
    assert!(r.out.contains("## Live comparison"), "{}", r.out);
    assert!(r.out.contains("`logs_limit_below_configured`"), "{}", r.out);
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_key_only_skips_the_probe_and_says_why() {
    let s = server(4000).await;
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 50);
    let (v, code) = json_run(
        &s.uri(),
        (true, false),
        &["diagnose", f.to_str().unwrap(), "--live", "--json"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["live"]["probe"]["status"], "skipped");
    assert!(
        v["live"]["probe"]["reason"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_API_KEY")
    );
    let d = conclusion(&v, "logs_limit_below_configured")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        d.contains("cannot tell") && d.contains("--workspace wrkspc_test"),
        "{d}"
    );
    assert_eq!(posts(&s).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_only_probes_and_sees_the_limit_changed() {
    let s = server(4000).await;
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 50);
    let (v, code) = json_run(
        &s.uri(),
        (false, true),
        &["diagnose", f.to_str().unwrap(), "--live", "--json"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["live"]["configured"]["status"], "skipped");
    assert!(
        v["live"]["configured"]["reason"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_ADMIN_KEY")
    );
    assert_eq!(v["live"]["probe"]["status"], "read");
    let d = conclusion(&v, "limit_changed")["detail"].as_str().unwrap();
    assert!(d.contains("50 then, 4,000 now"), "{d}");
    let h = conclusion(&v, "binding_headroom")["detail"]
        .as_str()
        .unwrap();
    assert!(
        h.contains("requests") && h.contains("3,999 of 4,000 left"),
        "{h}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_keys_prints_the_report_and_says_which_parts_were_skipped() {
    let s = server(4000).await;
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 50);
    let (v, code) = json_run(
        &s.uri(),
        (false, false),
        &["diagnose", f.to_str().unwrap(), "--live", "--json"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["causes"][0]["class"], "rpm", "the report is all there");
    assert_eq!(v["live"]["available"], false);
    assert_eq!(v["live"]["configured"]["status"], "skipped");
    assert_eq!(v["live"]["probe"]["status"], "skipped");
    assert_eq!(
        v["live"]["from_logs"][0]["limits"]["requests"][0]["limit"],
        50
    );
    let r = run(
        &s.uri(),
        (false, false),
        &["diagnose", f.to_str().unwrap(), "--live"],
    );
    assert_eq!(r.code, 1);
    assert!(r.out.contains("Ranked causes"), "{}", r.out);
    assert!(
        r.out
            .contains("configured limits skipped: ANTHROPIC_ADMIN_KEY is not set")
            && r.out
                .contains("probe skipped: ANTHROPIC_API_KEY is not set"),
        "{}",
        r.out
    );
    assert!(s.received_requests().await.unwrap_or_default().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn workspace_override_explains_the_logs_limit() {
    let s = server(1000).await;
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 1000);
    let (v, _) = json_run(
        &s.uri(),
        (true, false),
        &[
            "diagnose",
            f.to_str().unwrap(),
            "--live",
            "--workspace",
            "wrkspc_test",
            "--json",
        ],
    );
    let ws = &v["live"]["configured"]["classes"][0]["workspace"]["requests_per_minute"];
    assert_eq!(ws["effective"], 1000, "{:#}", v["live"]);
    assert_eq!(ws["status"], "below_org");
    let d = conclusion(&v, "logs_limit_below_configured")["detail"]
        .as_str()
        .unwrap();
    assert!(d.contains("workspace override"), "{d}");
    assert!(kinds(&v).contains(&"workspace_override_below_org".to_string()));
}

#[test]
fn network_error_exits_3_after_the_report() {
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 50);
    // Nothing listens on port 9 of the loopback.
    let r = run(
        "http://127.0.0.1:9",
        (true, true),
        &["diagnose", f.to_str().unwrap(), "--live", "--timeout", "5"],
    );
    assert_eq!(r.code, 3, "{}\n{}", r.out, r.err);
    assert!(r.out.contains("Ranked causes"), "{}", r.out);
    assert!(r.out.contains("configured limits failed"), "{}", r.out);
}

#[test]
fn workspace_needs_live_and_a_valid_id() {
    let dir = TempDir::new().unwrap();
    let f = log(&dir, 50);
    let r = run(
        "http://127.0.0.1:9",
        (false, false),
        &["diagnose", f.to_str().unwrap(), "--workspace", "w"],
    );
    assert_eq!(r.code, 2);
    let r = run(
        "http://127.0.0.1:9",
        (false, false),
        &[
            "diagnose",
            f.to_str().unwrap(),
            "--live",
            "--workspace",
            "../x",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.err);
}
