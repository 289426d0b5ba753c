//! `claude-429 mock` against the running binary on free loopback ports: the limiter's
//! arithmetic, each scenario's failure with its exact headers and body, the stream's event
//! order, `probe` and `limits` against the mock, `replay` of the mock's own refusals and the
//! rehearsal report on a deliberately bad client.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running mock; killed when dropped.
struct Mock {
    child: Option<Child>,
    url: String,
    client: reqwest::Client,
}

impl Mock {
    fn start(args: &[&str]) -> Mock {
        let mut child = crate::common::std_bin()
            .arg("mock")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mock starts");
        let line = crate::common::server::first_stderr_line(&mut child);
        let url = line
            .split("listening on ")
            .nth(1)
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim()
            .to_string();
        Mock {
            child: Some(child),
            url,
            client: reqwest::Client::new(),
        }
    }

    async fn post(
        &self,
        path: &str,
        key: &str,
        body: &Value,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01")
            .json(body)
            .send()
            .await
            .expect("mock answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap())
    }

    async fn message(&self, body: &Value) -> (u16, reqwest::header::HeaderMap, String) {
        self.post("/v1/messages", "sk-ant-test", body).await
    }

    /// SIGTERM, then the report on stdout and the exit code.
    fn stop(mut self) -> (String, i32) {
        let mut child = self.child.take().unwrap();
        let st = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let out = wait_output(&mut child);
        (out.0, out.1)
    }
}

fn wait_output(child: &mut Child) -> (String, i32) {
    use std::io::Read;
    let mut s = String::new();
    child.stdout.take().unwrap().read_to_string(&mut s).unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (s, code)
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn small(model: &str) -> Value {
    json!({"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
}

fn h<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} missing"))
        .to_str()
        .unwrap()
}

fn scenario_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const ORG: &str = "4f1e3a2b-0000-4000-8000-00000000a429";

/// 3 requests per "minute" of 6 s: one request refills every 2 s.
const FAST_RPM: &str = r#"
name = "fast-rpm"
description = "test"
[timing]
minute_seconds = 6
[[group]]
id = "rlg_test"
display_name = "Claude Sonnet 4.x"
models = ["claude-sonnet-4-5"]
requests_per_minute = 3
input_tokens_per_minute = 100000
output_tokens_per_minute = 100000
"#;

#[tokio::test]
async fn burst_above_rpm_is_refused_with_retry_after_and_waiting_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    // A "minute" of 12 s here: one request refills every 4 s, so the four requests below
    // have seconds to spare on a busy machine.
    let scenario = FAST_RPM.replace("minute_seconds = 6", "minute_seconds = 12");
    let m = Mock::start(&[
        "--scenario",
        &scenario_file(dir.path(), "slower", &scenario),
    ]);
    let started = Instant::now();
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (s, hd, body) = m.message(&small("claude-sonnet-4-5")).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(h(&hd, "anthropic-ratelimit-requests-limit"), "3");
        remaining.push(h(&hd, "anthropic-ratelimit-requests-remaining").to_string());
        let reset = h(&hd, "anthropic-ratelimit-requests-reset");
        assert!(
            chrono::DateTime::parse_from_rfc3339(reset).is_ok(),
            "{reset}"
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let (s, hd, body) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 429);
    // One request refills 4 s after the first (a little less, as time passed): retry-after
    // rounds up, so it is 4 on a quiet machine and never below what is left of the 4 s.
    let waited = started.elapsed().as_secs();
    let retry_after: u64 = h(&hd, "retry-after").parse().unwrap();
    assert!(
        (4u64.saturating_sub(waited).max(1)..=4).contains(&retry_after),
        "retry-after {retry_after} after {waited} s"
    );
    assert_eq!(h(&hd, "anthropic-ratelimit-requests-remaining"), "0");
    assert_eq!(h(&hd, "anthropic-organization-id"), ORG);
    assert!(h(&hd, "request-id").starts_with("req_"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(
        v["error"]["message"],
        format!(
            "This request would exceed your organization's rate limit of 3 requests per minute (org: {ORG}, model: claude-sonnet-4-5). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase."
        )
    );
    assert_eq!(v["request_id"], h(&hd, "request-id"));
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (s, hd, _) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 200, "waiting retry-after is enough");
    assert_eq!(h(&hd, "anthropic-ratelimit-requests-remaining"), "0");
}

#[tokio::test]
async fn overloads_529_500_and_inside_a_200_stream() {
    let dir = tempfile::tempdir().unwrap();
    let all = scenario_file(
        dir.path(),
        "ov",
        "[overload]\nrate = 1.0\nas_500 = 0.0\nstream = \"event\"\n",
    );
    let m = Mock::start(&["--scenario", &all]);
    let (s, hd, body) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 529);
    assert_eq!(h(&hd, "x-should-retry"), "true");
    assert!(
        hd.get("retry-after").is_none(),
        "a 529 carries no retry-after"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": h(&hd, "request-id")})
    );
    let mut req = small("claude-sonnet-4-5");
    req["stream"] = json!(true);
    let (s, hd, body) = m.message(&req).await;
    assert_eq!(s, 200);
    assert!(h(&hd, "content-type").starts_with("text/event-stream"));
    let events: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(events, ["message_start", "error"]);
    let data = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .nth(1)
        .unwrap();
    let e: Value = serde_json::from_str(data).unwrap();
    assert_eq!(e["type"], "error");
    assert_eq!(e["error"]["type"], "overloaded_error");
    drop(m);

    let as500 = scenario_file(
        dir.path(),
        "ov500",
        "[overload]\nrate = 1.0\nas_500 = 1.0\n",
    );
    let m = Mock::start(&["--scenario", &as500]);
    let (s, _, body) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 500);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["error"],
        json!({"type": "api_error", "message": "Overloaded"})
    );
}

#[tokio::test]
async fn built_in_overload_is_deterministic_with_a_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let m = Mock::start(&["--scenario", "overload", "--seed", "7"]);
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(m.message(&small("claude-sonnet-4-5")).await.0);
        }
        assert!(
            statuses.contains(&529) && statuses.contains(&200),
            "{statuses:?}"
        );
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn stream_events_come_in_the_documented_order() {
    let m = Mock::start(&[]);
    let mut req = small("claude-sonnet-4-5");
    req["stream"] = json!(true);
    req["max_tokens"] = json!(3);
    let (s, hd, body) = m.message(&req).await;
    assert_eq!(s, 200);
    assert_eq!(h(&hd, "anthropic-ratelimit-requests-limit"), "4000");
    let events: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        events,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    for (ev, data) in body
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .zip(body.lines().filter_map(|l| l.strip_prefix("data: ")))
    {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], ev, "data type matches the event name");
    }
    let delta = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .find(|d| d.contains("message_delta"))
        .unwrap();
    let v: Value = serde_json::from_str(delta).unwrap();
    assert_eq!(v["usage"]["output_tokens"], 3);
    // Answers use 16 tokens unless max_tokens stops them first.
    assert_eq!(v["delta"]["stop_reason"], "max_tokens");
}

#[tokio::test]
async fn ramp_gives_ramp_limit_exceeded_with_headroom_in_every_header() {
    let m = Mock::start(&["--scenario", "ramp"]);
    let big = json!({"model": "claude-sonnet-4-5", "max_tokens": 8,
        "messages": [{"role": "user", "content": "x".repeat(600)}]});
    let (s, _, _) = m.message(&big).await;
    assert_eq!(s, 200);
    let (s, hd, body) = m.message(&big).await;
    assert_eq!(s, 429);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(v["error"]["details"]["error_code"], "ramp_limit_exceeded");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("This request would exceed your organization's maximum usage increase rate for input tokens per minute"));
    assert!(msg.contains("Your current limit is 200 input tokens per minute and will increase to 400 at the next minute boundary."));
    let ra: u64 = h(&hd, "retry-after").parse().unwrap();
    assert!((1..=10).contains(&ra), "until the next 10 s minute: {ra}");
    assert_ne!(h(&hd, "anthropic-ratelimit-requests-remaining"), "0");
    assert_ne!(h(&hd, "anthropic-ratelimit-input-tokens-remaining"), "0");
}

#[tokio::test]
async fn spend_workspace_stray_key_and_subscription() {
    // Spend: 3 requests, then the 400 usage-limits text.
    let m = Mock::start(&["--scenario", "spend"]);
    for _ in 0..3 {
        assert_eq!(m.message(&small("claude-sonnet-4-5")).await.0, 200);
    }
    let (s, _, body) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "You have reached your specified API usage limits. You will regain access on "
        ),
        "{msg}"
    );
    drop(m);

    // Workspace: the override (5) is what the headers show, and what refuses.
    let m = Mock::start(&["--scenario", "workspace"]);
    for i in 0..5 {
        let (s, hd, _) = m.message(&small("claude-sonnet-4-5")).await;
        assert_eq!(s, 200);
        assert_eq!(h(&hd, "anthropic-workspace-id"), "wrkspc_mock_01");
        assert_eq!(h(&hd, "anthropic-ratelimit-requests-limit"), "5");
        assert_eq!(
            h(&hd, "anthropic-ratelimit-requests-remaining"),
            (4 - i).to_string()
        );
    }
    let (s, hd, body) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 429);
    assert_eq!(h(&hd, "retry-after"), "12");
    assert!(body.contains("rate limit of 5 requests per minute"));
    drop(m);

    // Stray key: another org, tier-1 limits, its own bucket.
    let m = Mock::start(&["--scenario", "stray-key", "--json"]);
    let (_, hd, _) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(h(&hd, "anthropic-ratelimit-requests-limit"), "4000");
    for _ in 0..5 {
        let (s, hd, _) = m
            .post(
                "/v1/messages",
                "sk-ant-stray-old",
                &small("claude-sonnet-4-5"),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(h(&hd, "anthropic-ratelimit-requests-limit"), "5");
        assert_eq!(
            h(&hd, "anthropic-organization-id"),
            "9a7c2d1e-0000-4000-8000-0000005742a1"
        );
    }
    let (s, _, _) = m
        .post(
            "/v1/messages",
            "sk-ant-stray-old",
            &small("claude-sonnet-4-5"),
        )
        .await;
    assert_eq!(s, 429);
    assert_eq!(
        m.message(&small("claude-sonnet-4-5")).await.0,
        200,
        "the intended key still has room"
    );
    let (report, _) = m.stop();
    let v: Value = serde_json::from_str(&report).unwrap();
    assert!(
        v["diagnosis"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "stray_key"),
        "{report}"
    );

    // Subscription: unified headers, warning from 80%, rejected after 20.
    let m = Mock::start(&["--scenario", "subscription"]);
    let mut last = None;
    for i in 1..=20 {
        let (s, hd, _) = m.message(&small("claude-sonnet-4-5")).await;
        assert_eq!(s, 200);
        assert!(hd.get("anthropic-ratelimit-requests-limit").is_none());
        let want = if i >= 16 {
            "allowed_warning"
        } else {
            "allowed"
        };
        assert_eq!(
            h(&hd, "anthropic-ratelimit-unified-status"),
            want,
            "request {i}"
        );
        last = Some(hd);
    }
    assert_eq!(
        h(
            last.as_ref().unwrap(),
            "anthropic-ratelimit-unified-5h-utilization"
        ),
        "1.00"
    );
    let (s, hd, body) = m.message(&small("claude-sonnet-4-5")).await;
    assert_eq!(s, 429);
    assert_eq!(h(&hd, "anthropic-ratelimit-unified-status"), "rejected");
    assert_eq!(h(&hd, "anthropic-ratelimit-unified-5h-status"), "rejected");
    assert_eq!(
        h(&hd, "anthropic-ratelimit-unified-representative-claim"),
        "five_hour"
    );
    let ra: u64 = h(&hd, "retry-after").parse().unwrap();
    assert!(ra > 17_000 && ra <= 18_000, "{ra}");
    let reset: i64 = h(&hd, "anthropic-ratelimit-unified-5h-reset")
        .parse()
        .unwrap();
    assert!(reset > chrono::Utc::now().timestamp());
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["error"]["message"],
        "This request would exceed your account's rate limit. Please try again later."
    );
}

#[tokio::test]
async fn itpm_counts_cache_reads_as_free_and_otpm_reads_max_tokens() {
    let m = Mock::start(&["--scenario", "itpm"]);
    // 100,000 bytes of cached system prompt: 25,000 tokens, written once, read after.
    let req = json!({"model": "claude-sonnet-4-5", "max_tokens": 8,
        "system": [{"type": "text", "text": "s".repeat(100_000), "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hi"}]});
    let (s, hd, body) = m.message(&req).await;
    assert_eq!(s, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["usage"]["cache_creation_input_tokens"], 25_000);
    assert_eq!(v["usage"]["cache_read_input_tokens"], 0);
    let left: u64 = h(&hd, "anthropic-ratelimit-input-tokens-remaining")
        .parse()
        .unwrap();
    assert!(left < 5_100, "the write counted: {left}");
    let (s, _, body) = m.message(&req).await;
    assert_eq!(s, 200, "a cache read does not count against ITPM: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["usage"]["cache_read_input_tokens"], 25_000);
    // The same size uncached is refused.
    let uncached = json!({"model": "claude-sonnet-4-5", "max_tokens": 8,
        "messages": [{"role": "user", "content": "u".repeat(100_000)}]});
    let (s, hd, body) = m.message(&uncached).await;
    assert_eq!(s, 429);
    assert!(
        body.contains("rate limit of 30,000 input tokens per minute"),
        "{body}"
    );
    assert!(h(&hd, "retry-after").parse::<u64>().unwrap() >= 1);
    drop(m);

    let m = Mock::start(&["--scenario", "otpm"]);
    let mut req = small("claude-sonnet-4-5");
    req["max_tokens"] = json!(4096);
    let (s, hd, _) = m.message(&req).await;
    assert_eq!(s, 200);
    let left: u64 = h(&hd, "anthropic-ratelimit-output-tokens-remaining")
        .parse()
        .unwrap();
    assert!(
        (3904..3990).contains(&left),
        "max_tokens debited at start: {left}"
    );
    let (s, _, body) = m.message(&req).await;
    assert_eq!(s, 429, "the second oversized max_tokens does not fit");
    assert!(body.contains("rate limit of 8,000 output tokens per minute"));
}

#[tokio::test]
async fn models_count_tokens_auth_and_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let locked = scenario_file(dir.path(), "locked", "[auth]\nkeys = [\"sk-ant-good\"]\n");
    let m = Mock::start(&["--scenario", &locked]);
    let (s, _, body) = m
        .post("/v1/messages", "sk-ant-bad", &small("claude-sonnet-4-5"))
        .await;
    assert_eq!(s, 401);
    assert!(body.contains("authentication_error"));
    let (s, _, body) = m
        .post(
            "/v1/messages/count_tokens",
            "sk-ant-good",
            &small("claude-sonnet-4-5"),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, r#"{"input_tokens":2}"#));
    let (s, _, body) = m.post("/v1/messages", "sk-ant-good", &small("gpt-4")).await;
    assert_eq!(s, 404);
    assert!(body.contains("not_found_error"));
    // A Claude model of a line the scenario does not list (Claude Code's default model) is
    // served by the scenario's first group: a rehearsal works out of the box.
    let (s, _, _) = m
        .post("/v1/messages", "sk-ant-good", &small("claude-opus-4-8"))
        .await;
    assert_eq!(s, 200);
    let (s, _, body) = m
        .post(
            "/v1/messages",
            "sk-ant-good",
            &json!({"model": "claude-sonnet-4-5"}),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let r = m
        .client
        .post(format!("{}/v1/messages", m.url))
        .header("x-api-key", "sk-ant-good")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // A dated id of a known class lands in that class.
    let (s, _, _) = m
        .post(
            "/v1/messages",
            "sk-ant-good",
            &small("claude-sonnet-4-20250514"),
        )
        .await;
    assert_eq!(s, 200);
    let models: Value = m
        .client
        .get(format!("{}/v1/models?limit=2", m.url))
        .header("x-api-key", "sk-ant-good")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "claude-sonnet-4-5");
    assert_eq!(models["data"][0]["type"], "model");
    assert_eq!(models["has_more"], true);
    assert_eq!(models["last_id"], "claude-sonnet-4-5-20250929");
}

#[tokio::test]
async fn probe_and_limits_work_against_mock() {
    let m = Mock::start(&["--scenario", "workspace"]);
    let run = |args: &[&str]| {
        crate::common::std_bin()
            .args(args)
            .env("ANTHROPIC_BASE_URL", &m.url)
            .env("ANTHROPIC_API_KEY", "sk-ant-mock-key")
            .env("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-mock")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = run(&["limits", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("rlg_mock_sonnet_4") && text.contains("requests_per_minute"),
        "{text}"
    );
    assert!(text.contains("4000"));

    let out = run(&["limits", "--workspace", "wrkspc_mock_01"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OVERRIDE"), "{text}");

    let out = run(&["probe", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("claude-sonnet-4-5"), "{stdout}");
    assert!(!stdout.contains("sk-ant-mock-key"), "the key never shows");
}

#[tokio::test]
async fn replay_classifies_mocks_own_refusals_as_intended() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, class, n) in [
        ("rpm", "rpm", 12),
        ("ramp", "acceleration", 3),
        ("spend", "spend", 5),
    ] {
        let rec = dir.path().join(format!("{scenario}.jsonl"));
        let m = Mock::start(&["--scenario", scenario, "--record", rec.to_str().unwrap()]);
        let big = json!({"model": "claude-sonnet-4-5", "max_tokens": 8,
            "messages": [{"role": "user", "content": "x".repeat(600)}]});
        for _ in 0..n {
            m.message(&big).await;
        }
        let _ = m.stop();
        let out = crate::common::std_bin()
            .args(["replay", "--json"])
            .arg(&rec)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{scenario}: rate-limit failures found"
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let verdicts = v["verdicts"].as_array().unwrap();
        assert!(!verdicts.is_empty(), "{scenario}");
        for verdict in verdicts {
            assert_eq!(verdict["class"], class, "{scenario}: {verdict}");
            assert_eq!(verdict["confidence"], "certain", "{scenario}: {verdict}");
        }
    }
    // Overload: 529s, 500 "Overloaded" and errors in 200 streams are all overloads.
    let rec = dir.path().join("overload.jsonl");
    let m = Mock::start(&["--scenario", "overload", "--record", rec.to_str().unwrap()]);
    for i in 0..16 {
        let mut req = small("claude-sonnet-4-5");
        req["stream"] = json!(i % 2 == 0);
        m.message(&req).await;
    }
    let _ = m.stop();
    let out = crate::common::std_bin()
        .args(["replay", "--json"])
        .arg(&rec)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts = v["verdicts"].as_array().unwrap();
    assert!(verdicts.len() >= 4, "{v}");
    assert!(verdicts.iter().all(|x| x["class"] == "overload"), "{v}");
    let rec_text = std::fs::read_to_string(&rec).unwrap();
    assert!(
        rec_text
            .lines()
            .any(|l| l.contains("\"status\":200") && l.contains("overloaded_error"))
    );
    assert!(!rec_text.contains("sk-ant-test"), "keys are never recorded");
}

#[tokio::test]
async fn rehearsal_report_names_a_client_that_ignores_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("bad.jsonl");
    let m = Mock::start(&[
        "--scenario",
        &scenario_file(dir.path(), "fast", FAST_RPM),
        "--record",
        rec.to_str().unwrap(),
        "--json",
    ]);
    // A bad client: retries at once, whatever retry-after says.
    let mut refused = 0;
    let t = Instant::now();
    while refused < 4 && t.elapsed() < Duration::from_secs(5) {
        let (s, _, _) = m.message(&small("claude-sonnet-4-5")).await;
        if s == 429 {
            refused += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let (out, code) = m.stop();
    assert_eq!(code, 1, "client problems exit 1: {out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["client_problems"][0], "ignored_retry_after", "{out}");
    assert_eq!(v["refusals"]["rpm"], 4);
    assert_eq!(v["statuses"]["429"], 4);
    let kinds: Vec<&str> = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"ignored_retry_after"), "{kinds:?}");
    assert_eq!(v["diagnosis"]["causes"][0]["class"], "rpm");
    // The record is what diagnose reads: the same finding from the file.
    let out = crate::common::std_bin()
        .args(["diagnose", "--json"])
        .arg(&rec)
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(d["findings"].to_string().contains("ignored_retry_after"));
}

#[tokio::test]
async fn a_good_client_gets_a_clean_report() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mock::start(&["--scenario", &scenario_file(dir.path(), "fast", FAST_RPM)]);
    for _ in 0..5 {
        let (s, hd, _) = m.message(&small("claude-sonnet-4-5")).await;
        if s == 429 {
            let ra: u64 = h(&hd, "retry-after").parse().unwrap();
            tokio::time::sleep(Duration::from_millis(ra * 1000 + 100)).await;
        }
    }
    let (out, code) = m.stop();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Rehearsal: scenario fast-rpm"), "{out}");
    assert!(out.contains("no retry problems seen"), "{out}");
}

#[test]
fn list_and_bad_scenarios() {
    let out = crate::common::std_bin()
        .args(["mock", "--list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "steady",
        "rpm",
        "itpm",
        "otpm",
        "ramp",
        "overload",
        "spend",
        "workspace",
        "stray-key",
        "subscription",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} in {text}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("typo", "nmae = 'x'"),
        ("binary", "\u{0}\u{1}\u{2}"),
        ("rate", "[overload]\nrate = 2.0\n"),
        (
            "empty-models",
            "[[group]]\nid = 'a'\ndisplay_name = 'a'\nmodels = []\n",
        ),
    ] {
        let out = crate::common::std_bin()
            .args([
                "mock",
                "--scenario",
                &scenario_file(dir.path(), name, text),
                "--for",
                "1",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = crate::common::std_bin()
        .args(["mock", "--scenario", "no-such-scenario"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a built-in"));
}

#[test]
fn an_empty_scenario_file_is_the_default_org() {
    let dir = tempfile::tempdir().unwrap();
    let p = scenario_file(dir.path(), "empty", "");
    let mut child = crate::common::std_bin()
        .args([
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--for",
            "1",
            "--json",
            "--scenario",
            &p,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (out, code) = wait_output(&mut child);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scenario"], "empty");
    assert_eq!(v["requests"], 0);
}
