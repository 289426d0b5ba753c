//! `claude-429 probe` against a local wiremock server answering like the Messages, Models and
//! Rate Limits APIs. Every run starts from a clean environment (no ANTHROPIC_* from the shell)
//! with ANTHROPIC_BASE_URL on 127.0.0.1; nothing reaches the internet. Every run also checks
//! that neither key appears anywhere in stdout or stderr.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-ant-api03-PROBEKEYSECRET0123456789abcdef";
const ADMIN_KEY: &str = "sk-ant-admin01-ADMINKEYSECRET0123456789abcdef";
/// Parts of the keys that must never be printed (the redactor keeps the `sk-ant-` prefix).
const SECRETS: [&str; 2] = ["PROBEKEYSECRET", "ADMINKEYSECRET"];

struct Run {
    code: i32,
    out: String,
    err: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.out, self.err
            )
        })
    }

    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.out, self.err
        );
        self
    }

    fn expect_out(&self, needle: &str) -> &Self {
        assert!(
            self.out.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.out,
            self.err
        );
        self
    }

    fn expect_err(&self, needle: &str) -> &Self {
        assert!(
            self.err.contains(needle),
            "stderr lacks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.out,
            self.err
        );
        self
    }
}

/// The binary with a clean environment, pointed at `base`.
fn command(base: &str) -> assert_cmd::Command {
    let mut c = crate::common::bin();
    c.env("ANTHROPIC_BASE_URL", base)
        .timeout(Duration::from_secs(30))
        .arg("probe");
    c
}

fn finish(mut c: assert_cmd::Command) -> Run {
    let o = c.output().expect("runs");
    let run = Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    for s in SECRETS {
        assert!(
            !run.out.contains(s) && !run.err.contains(s),
            "a key was printed\n--- stdout\n{}\n--- stderr\n{}",
            run.out,
            run.err
        );
    }
    run
}

/// Runs `probe ARGS` with ANTHROPIC_API_KEY set.
fn probe(base: &str, args: &[&str]) -> Run {
    let mut c = command(base);
    c.env("ANTHROPIC_API_KEY", KEY).args(args);
    finish(c)
}

/// Runs `probe ARGS` with both keys set.
fn probe_admin(base: &str, args: &[&str]) -> Run {
    let mut c = command(base);
    c.env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(args);
    finish(c)
}

fn in_secs(s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(s))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rate-limit headers: (requests limit, remaining), (input limit, remaining),
/// (output limit, remaining).
fn limit_headers(
    t: ResponseTemplate,
    req: (u64, u64),
    input: (u64, u64),
    output: (u64, u64),
) -> ResponseTemplate {
    let tokens = if input.1 * output.0 <= output.1 * input.0 {
        input
    } else {
        output
    };
    let mut t = t
        .insert_header("request-id", "req_probe01")
        .insert_header("anthropic-organization-id", "org-test-1")
        .insert_header("anthropic-workspace-id", "wrkspc_test");
    for (name, (l, r), reset) in [
        ("requests", req, 1),
        ("input-tokens", input, 23),
        ("output-tokens", output, 5),
        ("tokens", tokens, 23),
    ] {
        t = t
            .insert_header(format!("anthropic-ratelimit-{name}-limit"), l.to_string())
            .insert_header(
                format!("anthropic-ratelimit-{name}-remaining"),
                r.to_string(),
            )
            .insert_header(format!("anthropic-ratelimit-{name}-reset"), in_secs(reset));
    }
    t
}

fn ok_body(model: &str) -> Value {
    json!({"id": "msg_01", "type": "message", "role": "assistant", "model": model,
           "content": [{"type": "text", "text": "Hi"}], "stop_reason": "max_tokens",
           "usage": {"input_tokens": 9, "output_tokens": 1}})
}

/// A healthy 200 answer for `model`.
fn ok(model: &str) -> ResponseTemplate {
    limit_headers(
        ResponseTemplate::new(200).set_body_json(ok_body(model)),
        (4000, 3999),
        (2_000_000, 1_999_000),
        (400_000, 400_000),
    )
}

fn error_body(kind: &str, message: &str, code: Option<&str>) -> Value {
    let mut e = json!({"type": kind, "message": message});
    if let Some(c) = code {
        e["details"] = json!({"error_code": c});
    }
    json!({"type": "error", "error": e, "request_id": "req_err01"})
}

async fn server() -> MockServer {
    MockServer::start().await
}

async fn mount_messages(s: &MockServer, t: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(t)
        .mount(s)
        .await;
}

async fn mount_model(s: &MockServer, model: &str, t: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({"model": model})))
        .respond_with(t)
        .mount(s)
        .await;
}

async fn requests(s: &MockServer, m: &str, p: &str) -> Vec<Request> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

/// The models the probes asked for, in order; checks each is a minimal one-token request.
async fn probed_models(s: &MockServer) -> Vec<String> {
    requests(s, "POST", "/v1/messages")
        .await
        .iter()
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).expect("JSON body");
            assert_eq!(b["max_tokens"], 1, "probe body {b}");
            assert_eq!(b["messages"].as_array().map(Vec::len), Some(1), "{b}");
            assert_eq!(
                r.headers.get("x-api-key").and_then(|v| v.to_str().ok()),
                Some(KEY)
            );
            assert!(r.headers.get("anthropic-version").is_some());
            b["model"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test]
async fn one_probe_reads_every_dimension() {
    let s = server().await;
    mount_messages(&s, ok("claude-sonnet-4-6")).await;
    let r = probe(&s.uri(), &["--model", "claude-sonnet-4-6"]);
    r.expect_code(0)
        .expect_out("claude-sonnet-4-6")
        .expect_out("requests")
        .expect_out("4,000")
        .expect_out("3,999")
        .expect_out("input tokens")
        .expect_out("1,999,000")
        .expect_out("output tokens")
        .expect_out("tokens (combined)")
        .expect_out("in 2") // input tokens reset "in 23 s" (or 22 s on a slow machine)
        .expect_out("tightest")
        .expect_out("1 request sent");
    assert_eq!(probed_models(&s).await, vec!["claude-sonnet-4-6"]);
}

#[tokio::test]
async fn json_carries_the_parsed_numbers() {
    let s = server().await;
    mount_messages(
        &s,
        limit_headers(
            ResponseTemplate::new(200).set_body_json(ok_body("claude-haiku-4-5")),
            (50, 45),
            (50_000, 8_000),
            (10_000, 9_000),
        ),
    )
    .await;
    let r = probe(&s.uri(), &["--model", "claude-haiku-4-5", "--json"]);
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["models_from"], "cli");
    assert_eq!(v["found"], false);
    let p = &v["probes"][0];
    assert_eq!(p["model"], "claude-haiku-4-5");
    assert_eq!(p["status"], 200);
    assert_eq!(p["request_id"], "req_probe01");
    assert_eq!(p["tightest"], "input_tokens");
    assert_eq!(p["headroom"], "tight");
    assert_eq!(p["usage"]["input_tokens"], 9);
    let dims = p["dimensions"].as_array().expect("dimensions");
    assert_eq!(dims.len(), 4);
    let d = |n: &str| dims.iter().find(|d| d["name"] == n).expect(n).clone();
    assert_eq!(d("requests")["limit"], 50);
    assert_eq!(d("requests")["remaining"], 45);
    assert_eq!(d("requests")["used_pct"], 10.0);
    assert_eq!(d("requests")["headroom"], "ok");
    assert_eq!(d("input_tokens")["remaining"], 8000);
    assert_eq!(d("input_tokens")["headroom"], "tight");
    let reset_in = d("input_tokens")["reset_in_s"]
        .as_i64()
        .expect("reset_in_s");
    assert!((20..=23).contains(&reset_in), "{reset_in}");
    assert_eq!(v["budget"]["requests_sent"], 1);
    assert_eq!(v["budget"]["tokens_counted"], 10);
}

#[tokio::test]
async fn exhausted_dimension_exits_1() {
    let s = server().await;
    mount_messages(
        &s,
        limit_headers(
            ResponseTemplate::new(200).set_body_json(ok_body("claude-opus-4-6")),
            (50, 10),
            (30_000, 0),
            (8_000, 8_000),
        ),
    )
    .await;
    probe(&s.uri(), &["--model", "claude-opus-4-6"])
        .expect_code(1)
        .expect_out("exhausted");
}

#[tokio::test]
async fn ramp_429_is_acceleration_and_not_retried() {
    let s = server().await;
    mount_messages(
        &s,
        limit_headers(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "12")
                .set_body_json(error_body(
                    "rate_limit_error",
                    "usage increased too quickly",
                    Some("ramp_limit_exceeded"),
                )),
            (4000, 3990),
            (2_000_000, 1_900_000),
            (400_000, 399_000),
        ),
    )
    .await;
    let r = probe(&s.uri(), &["--model", "claude-sonnet-4-6"]);
    r.expect_code(1)
        .expect_out("REFUSED 429")
        .expect_out("acceleration")
        .expect_out("certain")
        .expect_out("ramp_limit_exceeded")
        .expect_out("fix:");
    assert_eq!(probed_models(&s).await.len(), 1, "a 429 is never retried");

    let r = probe(&s.uri(), &["--model", "claude-sonnet-4-6", "--json"]);
    r.expect_code(1);
    let v = r.json();
    assert_eq!(v["probes"][0]["refused"]["class"], "acceleration");
    assert_eq!(v["probes"][0]["refused"]["retry_after_s"], 12);
    assert_eq!(v["found"], true);
    assert_eq!(probed_models(&s).await.len(), 2, "one request per run");
}

#[tokio::test]
async fn rpm_429_is_rpm() {
    let s = server().await;
    mount_messages(
        &s,
        limit_headers(
            ResponseTemplate::new(429).set_body_json(error_body(
                "rate_limit_error",
                "This request would exceed your organization's rate limit of 50 requests per minute",
                None,
            )),
            (50, 0),
            (30_000, 29_000),
            (8_000, 8_000),
        ),
    )
    .await;
    let r = probe(&s.uri(), &["--model", "claude-sonnet-4-6", "--json"]);
    r.expect_code(1);
    let v = r.json();
    let p = &v["probes"][0];
    assert_eq!(p["refused"]["class"], "rpm");
    assert_eq!(p["refused"]["confidence"], "certain");
    assert_eq!(p["tightest"], "requests");
    assert_eq!(p["headroom"], "exhausted");
    assert_eq!(probed_models(&s).await.len(), 1);
}

#[tokio::test]
async fn overload_529_is_overload_and_not_retried() {
    let s = server().await;
    mount_messages(
        &s,
        ResponseTemplate::new(529)
            .insert_header("x-should-retry", "true")
            .set_body_json(error_body("overloaded_error", "Overloaded", None)),
    )
    .await;
    probe(&s.uri(), &["--model", "claude-opus-4-6"])
        .expect_code(1)
        .expect_out("REFUSED 529")
        .expect_out("overload");
    assert_eq!(probed_models(&s).await.len(), 1, "a 529 is never retried");
}

#[tokio::test]
async fn auth_failure_exits_3_without_printing_the_key() {
    let s = server().await;
    // A server that echoes the key back must not get it printed either.
    mount_messages(
        &s,
        ResponseTemplate::new(401).set_body_json(error_body(
            "authentication_error",
            &format!("invalid x-api-key {KEY}"),
            None,
        )),
    )
    .await;
    probe(&s.uri(), &["--model", "claude-a", "--model", "claude-b"])
        .expect_code(3)
        .expect_err("authentication failed (401)");
    assert_eq!(
        probed_models(&s).await.len(),
        1,
        "a bad key stops the run: the next model would fail the same way"
    );
}

#[tokio::test]
async fn unknown_model_exits_3() {
    let s = server().await;
    mount_messages(
        &s,
        ResponseTemplate::new(404).set_body_json(error_body(
            "not_found_error",
            "model: claude-nope",
            None,
        )),
    )
    .await;
    probe(&s.uri(), &["--model", "claude-nope"])
        .expect_code(3)
        .expect_err("not found (404): model claude-nope")
        .expect_err("hint:");
}

#[tokio::test]
async fn slow_answer_times_out_with_exit_3() {
    let s = server().await;
    mount_messages(&s, ok("claude-a").set_delay(Duration::from_secs(120))).await;
    let started = std::time::Instant::now();
    probe(&s.uri(), &["--model", "claude-a", "--timeout", "0.5"])
        .expect_code(3)
        .expect_err("timed out after 0.5 s")
        .expect_err("hint: raise --timeout");
    // The time-out ended it, not the answer two minutes later (a generous margin for a busy
    // machine); no retry after a time-out.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(probed_models(&s).await.len(), 1, "no retry after a timeout");
}

#[test]
fn refused_connection_exits_3() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    probe(
        &format!("http://127.0.0.1:{port}"),
        &["--model", "claude-a"],
    )
    .expect_code(3)
    .expect_err("cannot connect to");
}

#[test]
fn missing_key_exits_3() {
    let c = {
        let mut c = command("http://127.0.0.1:9");
        c.args(["--model", "claude-a"]);
        c
    };
    finish(c)
        .expect_code(3)
        .expect_err("no API key: set ANTHROPIC_API_KEY")
        .expect_err("hint:");
}

#[tokio::test]
async fn dry_run_sends_nothing_and_redacts_the_key() {
    let s = server().await;
    mount_messages(&s, ok("claude-a")).await;
    let r = probe_admin(
        &s.uri(),
        &["--model", "claude-a", "--model", "claude-b", "--dry-run"],
    );
    r.expect_code(0)
        .expect_out("dry run: nothing is sent")
        .expect_out(&format!("POST {}/v1/messages", s.uri()))
        .expect_out("x-api-key: <redacted: from ANTHROPIC_API_KEY>")
        .expect_out("x-api-key: <redacted: from ANTHROPIC_ADMIN_KEY>")
        .expect_out("\"max_tokens\":1")
        .expect_out("\"model\":\"claude-b\"")
        .expect_out("/v1/organizations/rate_limits");

    let r = probe(&s.uri(), &["--dry-run", "--json"]);
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["requests"][0]["method"], "GET");
    assert!(
        v["requests"][0]["url"]
            .as_str()
            .unwrap_or("")
            .contains("/v1/models")
    );
    assert_eq!(v["requests"][1]["method"], "POST");
    assert_eq!(v["requests"][1]["body"]["max_tokens"], 1);

    assert!(
        s.received_requests().await.unwrap_or_default().is_empty(),
        "a dry run sends nothing"
    );
}

#[tokio::test]
async fn max_requests_caps_the_probes() {
    let s = server().await;
    mount_messages(&s, ok("claude-a")).await;
    probe(
        &s.uri(),
        &[
            "--model",
            "claude-a",
            "--model",
            "claude-b",
            "--max-requests",
            "1",
        ],
    )
    .expect_code(0)
    .expect_out("stopped: --max-requests 1 reached")
    .expect_out("not probed: claude-b");
    assert_eq!(probed_models(&s).await, vec!["claude-a"]);
}

#[tokio::test]
async fn token_budget_caps_the_probes() {
    let s = server().await;
    mount_messages(&s, ok("claude-a")).await;
    // The first probe is counted as 20 before sending, then as its usage (10); a second
    // would need 10 + 20 > 25.
    let r = probe(
        &s.uri(),
        &[
            "--model",
            "claude-a",
            "--model",
            "claude-b",
            "--max-tokens-budget",
            "25",
            "--json",
        ],
    );
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["budget"]["requests_sent"], 1);
    assert_eq!(v["skipped"][0]["model"], "claude-b");
    assert!(
        v["budget"]["stopped"]
            .as_str()
            .unwrap_or("")
            .contains("--max-tokens-budget 25")
    );
    assert_eq!(probed_models(&s).await, vec!["claude-a"]);

    // A budget below one probe sends nothing at all.
    probe(
        &s.uri(),
        &["--model", "claude-a", "--max-tokens-budget", "10"],
    )
    .expect_code(0)
    .expect_out("0 requests sent");
    assert_eq!(probed_models(&s).await.len(), 1);
}

#[tokio::test]
async fn models_come_from_the_models_api_with_paging() {
    let s = server().await;
    let m = |id: &str, lifecycle: &str| {
        json!({"id": id, "type": "model", "display_name": id,
        "created_at": "2026-01-01T00:00:00Z", "lifecycle": lifecycle})
    };
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(query_param("after_id", "claude-sonnet-4-6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [m("claude-sonnet-4-5", "deprecated"), m("claude-haiku-4-5", "active"),
                     m("claude-3-haiku-20240307", "retired")],
            "has_more": false, "first_id": "claude-sonnet-4-5", "last_id": "claude-3-haiku-20240307"})))
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [m("claude-opus-4-6", "active"), m("claude-sonnet-4-6", "active")],
            "has_more": true, "first_id": "claude-opus-4-6", "last_id": "claude-sonnet-4-6"})))
        .with_priority(2)
        .mount(&s)
        .await;
    for model in ["claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"] {
        mount_model(&s, model, ok(model)).await;
    }
    let r = probe(&s.uri(), &["--json"]);
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["models_from"], "models_api");
    assert_eq!(v["probes"][0]["class"], "Claude Opus 4.x");
    assert_eq!(
        probed_models(&s).await,
        vec!["claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"],
        "one per class, newest active first, never a retired model"
    );
    let gets = requests(&s, "GET", "/v1/models").await;
    assert_eq!(gets.len(), 2, "both pages read");
    assert!(
        gets[1]
            .url
            .query()
            .unwrap_or("")
            .contains("after_id=claude-sonnet-4-6")
    );
    assert_eq!(
        v["budget"]["max_requests"], 3,
        "default budget: one per model"
    );
}

/// The stand-in Rate Limits API: two model groups over two pages, and a non-model group.
async fn mount_rate_limits(s: &MockServer, sonnet_rpm: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .and(header("x-api-key", ADMIN_KEY))
        .and(query_param("page", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "rl_2", "type": "rate_limit",
                      "group": {"id": "rlg_haiku", "type": "model_group", "display_name": "Claude Haiku 4.x"},
                      "models": ["claude-haiku-4-5"],
                      "limits": [{"type": "requests_per_minute", "value": 4000}]}],
            "next_page": null})))
        .with_priority(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .and(header("x-api-key", ADMIN_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "rl_1", "type": "rate_limit",
                      "group": {"id": "rlg_sonnet", "type": "model_group", "display_name": "Claude Sonnet 4.x"},
                      "models": ["claude-sonnet-4-6", "claude-sonnet-4-5"],
                      "limits": [{"type": "requests_per_minute", "value": sonnet_rpm},
                                 {"type": "input_tokens_per_minute_cache_aware", "value": 2000000},
                                 {"type": "output_tokens_per_minute", "value": 400000}]},
                     {"id": "rl_b", "type": "rate_limit", "group": {"id": "rlg_batch", "type": "batch"},
                      "models": null, "limits": [{"type": "batch_requests_in_queue", "value": 500000}]}],
            "next_page": "p2"})))
        .with_priority(2)
        .mount(s)
        .await;
}

#[tokio::test]
async fn admin_key_lists_models_from_the_rate_limits_api() {
    let s = server().await;
    mount_rate_limits(&s, 4000).await;
    mount_messages(&s, ok("claude-x")).await;
    let r = probe_admin(&s.uri(), &[]);
    r.expect_code(0)
        .expect_out("one per model group, from the Rate Limits API")
        .expect_out("Claude Sonnet 4.x")
        .expect_out("org limit");
    assert_eq!(
        probed_models(&s).await,
        vec!["claude-sonnet-4-6", "claude-haiku-4-5"]
    );
    assert!(requests(&s, "GET", "/v1/models").await.is_empty());
    assert_eq!(
        requests(&s, "GET", "/v1/organizations/rate_limits")
            .await
            .len(),
        2,
        "next_page followed"
    );
    assert!(!r.out.contains("stray key"), "{}", r.out);
}

#[tokio::test]
async fn lower_requests_limit_than_the_org_is_a_stray_key() {
    let s = server().await;
    mount_rate_limits(&s, 4000).await;
    mount_messages(
        &s,
        limit_headers(
            ResponseTemplate::new(200).set_body_json(ok_body("claude-sonnet-4-6")),
            (50, 49),
            (30_000, 30_000),
            (8_000, 8_000),
        ),
    )
    .await;
    probe_admin(&s.uri(), &["--model", "claude-sonnet-4-6"])
        .expect_code(1)
        .expect_out("stray key")
        .expect_out("another workspace or org")
        .expect_out("wrkspc_test");
    let r = probe_admin(&s.uri(), &["--model", "claude-sonnet-4-6", "--json"]);
    r.expect_code(1);
    let v = r.json();
    let sk = &v["probes"][0]["stray_key"];
    assert_eq!(sk["header_requests_limit"], 50);
    assert_eq!(sk["org_requests_per_minute"], 4000.0);
    assert_eq!(sk["group"], "Claude Sonnet 4.x");
    let req = &v["probes"][0]["dimensions"][0];
    assert_eq!(req["org_limit"], 4000.0);
    assert_eq!(req["org_limiter"], "requests_per_minute");
}

#[tokio::test]
async fn bad_admin_key_exits_3() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(ResponseTemplate::new(401).set_body_json(error_body(
            "authentication_error",
            "invalid x-api-key",
            None,
        )))
        .mount(&s)
        .await;
    probe_admin(&s.uri(), &["--model", "claude-a"])
        .expect_code(3)
        .expect_err("reading the org's configured limits")
        .expect_err("authentication failed (401)");
    assert!(probed_models(&s).await.is_empty());
}

#[tokio::test]
async fn watch_repeats_within_the_budget() {
    let s = server().await;
    mount_messages(&s, ok("claude-a")).await;
    let r = probe(
        &s.uri(),
        &["--model", "claude-a", "--watch", "1", "--rounds", "2"],
    );
    r.expect_code(0)
        .expect_out("round")
        .expect_out("3,999/4,000")
        .expect_out("watched 2 rounds (done): 2 requests sent")
        .expect_out("min requests left");
    assert_eq!(probed_models(&s).await.len(), 2);

    let r = probe(
        &s.uri(),
        &[
            "--model", "claude-a", "--watch", "1", "--rounds", "2", "--json",
        ],
    );
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["rounds"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["rounds"][1]["probes"][0]["status"], 200);
}

#[tokio::test]
async fn watch_holds_an_exhausted_model_until_its_reset() {
    let s = server().await;
    mount_messages(
        &s,
        limit_headers(
            ResponseTemplate::new(200).set_body_json(ok_body("claude-a")),
            (50, 40),
            (30_000, 0),
            (8_000, 8_000),
        ),
    )
    .await;
    probe(
        &s.uri(),
        &["--model", "claude-a", "--watch", "1", "--rounds", "2"],
    )
    .expect_code(1)
    .expect_out("watched 2 rounds")
    .expect_out("not probed in round 2: claude-a (exhausted in an earlier round");
    assert_eq!(
        probed_models(&s).await.len(),
        1,
        "no probe into an exhausted bucket"
    );
}

#[tokio::test]
async fn watch_ends_on_a_refusal() {
    let s = server().await;
    mount_messages(
        &s,
        ResponseTemplate::new(529).set_body_json(error_body(
            "overloaded_error",
            "Overloaded",
            None,
        )),
    )
    .await;
    probe(
        &s.uri(),
        &["--model", "claude-a", "--watch", "1", "--rounds", "5"],
    )
    .expect_code(1)
    .expect_out("watched 1 round")
    .expect_out("never probes into a limit");
    assert_eq!(probed_models(&s).await.len(), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_ends_the_watch_and_prints_what_was_gathered() {
    let s = server().await;
    mount_messages(&s, ok("claude-a")).await;
    let child = crate::common::std_bin()
        .env("ANTHROPIC_BASE_URL", s.uri())
        .env("ANTHROPIC_API_KEY", KEY)
        .args(["probe", "--model", "claude-a", "--watch", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // The signal handler is installed before the first probe goes out.
    for _ in 0..100 {
        if !probed_models(&s).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let o = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("interrupted by Ctrl-C"), "{out}");
    assert!(out.contains("3,999/4,000"), "{out}");
    assert!(!out.contains(SECRETS[0]) && !err.contains(SECRETS[0]));
    assert_eq!(probed_models(&s).await.len(), 1);
}

#[test]
fn help_documents_thresholds_and_safety() {
    let mut c = command("http://127.0.0.1:9");
    c.arg("--help");
    finish(c)
        .expect_code(0)
        .expect_out("--max-requests")
        .expect_out("--dry-run")
        .expect_out("tight      less than 20% remaining");
}
