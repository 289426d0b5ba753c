//! Right for every reader: fixes that fit the failure and its provider in every output, no
//! silent misses, and the report artefacts fixed. Each test runs the built binary on a fixture
//! under `tests/fixtures/accuracy/` (written for these tests, in the shapes users paste) or on
//! the bundled `examples/`.

use serde_json::Value;

use crate::common::{bin, root};

// ---- helpers ------------------------------------------------------------------------------

/// The binary with a cleared environment (no ANTHROPIC_* from the shell, no colour) at a fixed
/// width.
fn cmd() -> assert_cmd::Command {
    let mut c = bin();
    c.env("COLUMNS", "100");
    c
}

fn fixture(name: &str) -> String {
    crate::common::fixture("accuracy")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs with `args`; (stdout, stderr, exit code).
fn run(args: &[&str]) -> (String, String, i32) {
    let out = cmd().args(args).output().expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `replay --json` verdicts of one fixture.
fn verdicts(name: &str) -> Vec<Value> {
    let (out, err, _) = run(&["replay", "--json", &fixture(name)]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    v["verdicts"].as_array().expect("verdicts").clone()
}

/// Words that send a reader to Anthropic's own limits: never for Bedrock or Vertex.
const ANTHROPIC_ADVICE: &[&str] = &[
    "claude-429 probe",
    "claude-429 limits",
    "`probe`",
    "`limits`",
    "Console",
    "higher tier",
    "anthropic-ratelimit-",
];

fn assert_no_anthropic_advice(what: &str, text: &str) {
    for w in ANTHROPIC_ADVICE {
        assert!(!text.contains(w), "{what} names {w:?}:\n{text}");
    }
}

// ---- 1. diagnose gives the clouds their own fixes ----------------------------------------

#[test]
fn diagnose_on_bedrock_and_vertex_names_no_anthropic_tool_in_any_cause() {
    for f in ["bedrock_only.txt", "vertex_only.txt"] {
        let (text, _, code) = run(&["diagnose", &fixture(f)]);
        assert_eq!(code, 1, "{text}");
        let causes = text
            .split("Ranked causes")
            .nth(1)
            .and_then(|s| s.split("Timeline").next())
            .expect("a causes section");
        assert_no_anthropic_advice(f, causes);

        let (md, _, _) = run(&["diagnose", "--format", "markdown", &fixture(f)]);
        let causes = md.split("## Timeline").next().unwrap_or(&md);
        assert_no_anthropic_advice(f, causes);

        let (json, _, _) = run(&["diagnose", "--json", &fixture(f)]);
        let v: Value = serde_json::from_str(&json).expect("json");
        for c in v["causes"].as_array().expect("causes") {
            for k in ["first", "then", "short"] {
                assert_no_anthropic_advice(f, c["fix"][k].as_str().unwrap_or_default());
            }
            let cloud = if f.starts_with("bedrock") {
                "bedrock"
            } else {
                "vertex"
            };
            assert!(c["providers"][cloud].as_u64().unwrap_or(0) > 0, "{c:#}");
        }
    }
    // The quota names of each cloud are there instead.
    let (text, _, _) = run(&["diagnose", &fixture("bedrock_only.txt")]);
    assert!(text.contains("Service Quotas"), "{text}");
    let (text, _, _) = run(&["diagnose", &fixture("vertex_only.txt")]);
    assert!(text.contains("IAM & Admin > Quotas"), "{text}");
}

#[test]
fn every_output_prints_the_fix_the_verdict_carries() {
    // replay's row, its JSON and the summary line all say the Bedrock fix.
    let (text, _, _) = run(&["replay", &fixture("bedrock_only.txt")]);
    assert_no_anthropic_advice("replay", &text);
    assert!(!text.contains("differs by provider"), "{text}");
    for v in verdicts("bedrock_only.txt") {
        assert_eq!(v["provider"], "bedrock");
        assert!(v["fix"]["short"].is_string(), "{v:#}");
        assert!(v["fix"]["waiting_helps"].is_boolean(), "{v:#}");
    }
    // One cloud failure among first-party ones no longer blurs every class's row.
    let (text, _, _) = run(&[
        "replay",
        &fixture("bedrock_only.txt"),
        &root().join("examples").to_string_lossy(),
    ]);
    assert!(!text.contains("differs by provider"), "{text}");
    let summary = text.split("failures in").nth(1).expect("summary");
    assert!(
        summary.contains("overload") && summary.contains("back off with jitter"),
        "{summary}"
    );
}

#[test]
fn the_hook_prints_the_cloud_fix_for_a_bedrock_throttle() {
    let input = r#"{"hook_event_name":"StopFailure","error":"rate_limit","error_details":"429 Too many tokens, please wait before trying again.","last_assistant_message":"API Error (429 Too many tokens, please wait before trying again.) · Retrying in 9 seconds… (attempt 3/10)"}"#;
    let out = cmd().arg("hook").write_stdin(input).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[bedrock]"), "{text}");
    assert!(text.contains("max_tokens"), "{text}");
    assert_no_anthropic_advice("hook", &text);
}

// ---- 2. no silent misses -----------------------------------------------------------------

#[test]
fn a_hash_prefixed_line_with_a_429_body_gets_a_verdict_and_headings_do_not() {
    let v = verdicts("comment_line.md");
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0]["line"], 5);
    assert_eq!(v[0]["class"], "rpm");
    assert_eq!(v[0]["request_id"], "req_011CWacc0001");
    let (_, _, code) = run(&["replay", &fixture("comment_line.md")]);
    assert_eq!(code, 1);
}

#[test]
fn json_lines_free_text_fields_are_read() {
    let v = verdicts("pino.jsonl");
    assert_eq!(v.len(), 2, "{v:#?}");
    assert_eq!(v[0]["line"], 2);
    assert_eq!(v[0]["class"], "itpm");
    assert_eq!(v[0]["format"], "jsonl");
    assert!(v[0]["time"].is_string(), "the record's time is kept");
    assert_eq!(v[1]["line"], 3);
    assert_eq!(v[1]["status"], 429);
    let (_, _, code) = run(&["replay", &fixture("pino.jsonl")]);
    assert_eq!(code, 1);
}

#[test]
fn an_unparseable_literal_falls_back_to_its_text() {
    let (out, err, code) = run(&["replay", "--json", &fixture("torn_literal.txt")]);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["verdicts"][0]["status"], 429);
    assert!(!err.contains("does not parse"), "{err}");
}

// ---- 3. the fallback fix fits ------------------------------------------------------------

#[test]
fn other_vendors_are_named_with_their_own_quota() {
    let v = verdicts("foreign.txt");
    let providers: Vec<&str> = v.iter().map(|v| v["provider"].as_str().unwrap()).collect();
    assert_eq!(
        providers,
        ["openai", "gemini", "moonshot", "copilot"],
        "{v:#?}"
    );
    let must = [
        "platform.openai.com",
        "Google AI Studio",
        "Moonshot",
        "Copilot",
    ];
    for (v, word) in v.iter().zip(must) {
        let fix = format!("{} {}", v["fix"]["first"], v["fix"]["then"]);
        assert!(fix.contains(word), "{fix}");
        assert!(
            !fix.contains("probe") && !fix.contains("claude-429"),
            "{fix}"
        );
        assert!(!fix.contains("Vertex quota"), "{fix}");
    }
    // A Gemini API quota is not Vertex, RESOURCE_EXHAUSTED notwithstanding.
    assert_ne!(v[1]["provider"], "vertex");
}

#[test]
fn server_errors_get_a_retry_fix_never_the_headroom_fix() {
    for v in verdicts("server_errors.txt") {
        let first = v["fix"]["first"].as_str().unwrap();
        assert!(first.contains("backoff"), "{v:#}");
        assert!(
            !first.contains("probe") && !first.contains("headers"),
            "{v:#}"
        );
        assert_eq!(v["fix"]["waiting_helps"], true);
    }
}

#[test]
fn a_cloudflare_gateway_401_is_a_throttle_that_clears_by_waiting() {
    let v = verdicts("cloudflare_401.txt");
    assert_eq!(v.len(), 1);
    assert_ne!(v[0]["class"], "not_rate_limit", "{v:#?}");
    let first = v[0]["fix"]["first"].as_str().unwrap();
    assert!(first.contains("do not rotate"), "{first}");
    assert_eq!(v[0]["fix"]["waiting_helps"], true);
}

#[test]
fn subscription_text_without_a_key_gets_subscription_advice() {
    let v = verdicts("subscription.txt");
    let first = v[0]["fix"]["first"].as_str().unwrap();
    assert!(first.contains("/status"), "{first}");
    assert!(!first.contains("probe"), "{first}");
}

#[test]
fn fixes_lists_credit_balance_as_spend_not_as_not_a_rate_limit() {
    let (text, _, _) = run(&["fixes", "not_rate_limit"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("a credit balance is `spend`"), "{text}");
    assert!(!text.contains("add credits"), "{text}");
}

// ---- 4. report artefacts -----------------------------------------------------------------

#[test]
fn replay_only_daily_does_not_claim_every_capture_was_a_success() {
    let (text, _, _) = run(&[
        "replay",
        "--only",
        "daily",
        &root().join("examples").to_string_lossy(),
    ]);
    assert!(!text.contains("every capture was a success"), "{text}");
    assert!(text.contains("of other classes left out"), "{text}");
    let (json, _, _) = run(&[
        "replay",
        "--json",
        "--only",
        "daily",
        &root().join("examples").to_string_lossy(),
    ]);
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["summary"]["filtered_out"], 13);
}

#[test]
fn proxy_retries_count_and_its_404s_do_not() {
    let v = verdicts("proxy.log");
    let lines: Vec<u64> = v.iter().map(|v| v["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5, 6], "{v:#?}");
    assert!(v.iter().all(|v| v["status"] == 429));
}

#[test]
fn a_hypothesis_in_prose_is_not_a_failure() {
    let v = verdicts("hypothesis.md");
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0]["line"], 5);
}

#[test]
fn a_multi_day_range_keeps_its_dates() {
    let (text, _, _) = run(&["diagnose", &fixture("multiday.jsonl")]);
    let head = text.lines().next().unwrap();
    assert!(
        head.contains("2026-11-18 23:58:10 to 2026-11-19 00:03:40 UTC"),
        "{head}"
    );
}

#[test]
fn the_timeline_says_how_many_failures_carry_no_time_and_folds_empty_rows() {
    let (text, _, _) = run(&["diagnose", &fixture("few_timed.txt")]);
    let timeline = text
        .split("Timeline")
        .nth(1)
        .and_then(|s| s.split("Client-behaviour").next())
        .expect("a timeline");
    assert!(
        timeline.contains("3 of 5 failures carry no time"),
        "{timeline}"
    );
    assert!(
        timeline.contains("no requests for 145 minutes"),
        "{timeline}"
    );
    assert!(timeline.lines().count() < 10, "{timeline}");
}

#[test]
fn a_missing_path_is_named_and_the_run_goes_on() {
    let examples = root().join("examples");
    let (out, err, code) = run(&[
        "replay",
        "--json",
        "/nonexistent/claude-429-accuracy",
        &examples.to_string_lossy(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read /nonexistent/claude-429-accuracy"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).expect("the other inputs were read");
    assert_eq!(v["summary"]["failures"], 13);
}

#[test]
fn no_stray_key_on_the_bundled_examples() {
    let (json, _, _) = run(&[
        "diagnose",
        "--json",
        &root().join("examples").to_string_lossy(),
    ]);
    let v: Value = serde_json::from_str(&json).expect("json");
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"stray_key"), "{kinds:?}");
}

#[test]
fn no_max_tokens_oversized_on_a_mock_s_constant_output() {
    let (json, _, _) = run(&["diagnose", "--json", &fixture("constant_output.jsonl")]);
    let v: Value = serde_json::from_str(&json).expect("json");
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "max_tokens_oversized"),
        "{:#}",
        v["findings"]
    );
}

#[test]
fn requests_of_other_sizes_are_not_retries_and_resent_ones_are() {
    let kinds = |f: &str| -> Vec<String> {
        let (json, _, _) = run(&["diagnose", "--json", &fixture(f)]);
        let v: Value = serde_json::from_str(&json).expect("json");
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !kinds("distinct_requests.jsonl").contains(&"ignored_retry_after".to_string()),
        "distinct request bodies are distinct requests"
    );
    assert!(
        kinds("same_request_retries.jsonl").contains(&"ignored_retry_after".to_string()),
        "the same body resent inside retry-after is a retry"
    );
}
