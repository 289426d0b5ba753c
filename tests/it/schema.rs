//! The JSON Schemas under `schema/` are what the Rust types generate (stale copies fail), and
//! every `--json` output of the examples validates against its schema: replay (document and
//! lines), diagnose, limits (org and workspace), limits --check (no drift and drift), probe
//! (one round and --watch). The API is a local fake on 127.0.0.1 serving the fixtures.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::root;

const ADMIN_KEY: &str = "sk-ant-admin01-SCHEMA-00aa11bb22cc-never-print";
const API_KEY: &str = "sk-ant-api03-SCHEMA-33dd44ee55ff-never-print";

fn schema(name: &str) -> jsonschema::Validator {
    let p = root().join(format!("schema/{name}.schema.json"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&v).unwrap_or_else(|e| panic!("{name} is not a valid schema: {e}"))
}

/// Validates `doc` against `schema/<name>.schema.json`, listing every error.
fn check(name: &str, doc: &Value) {
    let v = schema(name);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: output does not match schema/{name}.schema.json:\n  {}\n--- output\n{}",
        errors.join("\n  "),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

fn claude(base: Option<&str>) -> assert_cmd::Command {
    let mut c = crate::common::bin();
    c.timeout(Duration::from_secs(60));
    if let Some(b) = base {
        c.env("ANTHROPIC_BASE_URL", b);
    }
    c
}

/// Runs and parses stdout as one JSON document; `codes` are the exit statuses allowed.
fn json_of(mut c: assert_cmd::Command, codes: &[i32]) -> Value {
    let o = c.output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        codes.contains(&o.status.code().unwrap_or(-1)),
        "exit {:?}\n{out}\n{err}",
        o.status.code()
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

#[test]
fn committed_schemas_are_fresh() {
    let files = claude_429::schema::files();
    assert!(files.len() >= 6);
    for (rel, want) in files {
        let got = std::fs::read(root().join(&rel)).unwrap_or_default();
        assert!(
            got == want,
            "{rel} is stale: run `cargo run -- generate .` and commit schema/"
        );
    }
}

#[test]
fn every_schema_is_a_valid_json_schema() {
    for (name, _) in claude_429::schema::schemas() {
        schema(name);
    }
}

#[test]
fn replay_json_of_every_example_validates() {
    let examples = root().join("examples");
    let mut c = claude(None);
    c.args(["replay", "--json"]).arg(&examples);
    let doc = json_of(c, &[1]);
    assert!(!doc["verdicts"].as_array().unwrap().is_empty());
    check("replay", &doc);

    // Each file alone too (different formats, different optional fields).
    for e in std::fs::read_dir(&examples).unwrap() {
        let p: PathBuf = e.unwrap().path();
        let mut c = claude(None);
        c.args(["replay", "--json"]).arg(&p);
        check("replay", &json_of(c, &[0, 1]));
    }

    // Redacted output keeps the shape.
    let mut c = claude(None);
    c.args(["replay", "--json", "--redact"]).arg(&examples);
    check("replay", &json_of(c, &[1]));

    // An empty input is still a valid document.
    let mut c = claude(None);
    c.args(["replay", "--json", "-"]).write_stdin("");
    check("replay", &json_of(c, &[0]));
}

#[test]
fn replay_jsonl_lines_validate() {
    let mut c = claude(None);
    c.args(["replay", "--jsonl"]).arg(root().join("examples"));
    let o = c.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let mut n = 0;
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        check("replay-line", &serde_json::from_str(line).unwrap());
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn diagnose_json_of_the_examples_validates() {
    let mut c = claude(None);
    c.args(["diagnose", "--json"]).arg(root().join("examples"));
    check("diagnose", &json_of(c, &[0, 1]));
    let mut c = claude(None);
    c.args(["diagnose", "--json", "-"]).write_stdin("");
    check("diagnose", &json_of(c, &[0, 1]));
}

fn fixture(name: &str) -> Value {
    crate::common::fixture_json(&format!("limits/{name}"))
}

/// The Rate Limits API with the fixtures (one page each), and the Messages API.
async fn fake_api() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": fixture("org_rate_limits.json"), "next_page": null})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/organizations/workspaces/wrkspc_test/rate_limits$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": fixture("workspace_rate_limits.json")["wrkspc_test"], "next_page": null}),
        ))
        .mount(&s)
        .await;
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut ok = ResponseTemplate::new(200)
        .set_body_json(
            json!({"id": "msg_01", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 9, "output_tokens": 1}}),
        )
        .insert_header("request-id", "req_schema01")
        .insert_header("anthropic-organization-id", "org-schema")
        .insert_header("anthropic-workspace-id", "wrkspc_test");
    for (name, l, r) in [
        ("requests", 4000, 3999),
        ("input-tokens", 2_000_000, 1_999_000),
        ("output-tokens", 400_000, 400_000),
        ("tokens", 2_000_000, 1_999_000),
    ] {
        ok = ok
            .insert_header(format!("anthropic-ratelimit-{name}-limit"), l.to_string())
            .insert_header(
                format!("anthropic-ratelimit-{name}-remaining"),
                r.to_string(),
            )
            .insert_header(format!("anthropic-ratelimit-{name}-reset"), reset.as_str());
    }
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ok)
        .mount(&s)
        .await;
    s
}

async fn blocking(c: assert_cmd::Command, codes: &'static [i32]) -> Value {
    tokio::task::spawn_blocking(move || json_of(c, codes))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_json_validates() {
    let s = fake_api().await;
    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--json"]);
    let org = blocking(c, &[0]).await;
    assert!(org["groups"].as_array().is_some_and(|g| !g.is_empty()));
    check("limits", &org);

    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY).args([
        "limits",
        "--json",
        "--workspace",
        "wrkspc_test",
    ]);
    let ws = blocking(c, &[0]).await;
    assert_eq!(ws["workspace_id"], "wrkspc_test");
    check("limits", &ws);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_check_json_validates_with_and_without_drift() {
    let s = fake_api().await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("limits.lock.json");
    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--save"])
        .arg(&lock);
    let o = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check(
        "limits-lock",
        &serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap(),
    );

    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--json", "--check"])
        .arg(&lock)
        .args(["--min", "claude-sonnet-4-5:requests_per_minute=1"]);
    let same = blocking(c, &[0]).await;
    assert_eq!(same["drift"], false);
    check("limits-check", &same);

    // Edit the lock: one limit higher than live (a drop), one limiter live lacks (removed).
    let mut locked: Value = serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    let groups = locked["groups"].as_object_mut().unwrap();
    let (_, g) = groups.iter_mut().next().unwrap();
    let limits = g["limits"].as_object_mut().unwrap();
    let (_, v) = limits.iter_mut().next().unwrap();
    *v = json!(999_999_999);
    limits.insert("made_up_per_minute".into(), json!(7));
    std::fs::write(&lock, serde_json::to_string_pretty(&locked).unwrap()).unwrap();

    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--json", "--check"])
        .arg(&lock)
        .args(["--min", "no-such-model:requests_per_minute=1"]);
    let drift = blocking(c, &[1]).await;
    assert_eq!(drift["drift"], true);
    assert!(drift["changes"].as_array().unwrap().len() >= 2, "{drift}");
    check("limits-check", &drift);
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_json_validates_for_one_round_and_watch() {
    let s = fake_api().await;
    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_API_KEY", API_KEY)
        .args(["probe", "--json", "--model", "claude-sonnet-4-5"]);
    let one = blocking(c, &[0]).await;
    assert!(one["probes"].as_array().is_some_and(|p| p.len() == 1));
    check("probe", &one);

    // With the admin key: model classes from the Rate Limits API and the stray-key check.
    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_API_KEY", API_KEY)
        .env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["probe", "--json", "--max-requests", "2"]);
    check("probe", &blocking(c, &[0, 1]).await);

    let mut c = claude(Some(&s.uri()));
    c.env("ANTHROPIC_API_KEY", API_KEY).args([
        "probe",
        "--json",
        "--model",
        "claude-sonnet-4-5",
        "--watch",
        "1",
        "--rounds",
        "2",
    ]);
    let watch = blocking(c, &[0]).await;
    assert_eq!(watch["rounds"].as_array().map(Vec::len), Some(2), "{watch}");
    check("probe", &watch);
}

#[test]
fn a_wrong_shape_is_rejected() {
    let mut c = claude(None);
    c.args(["replay", "--json"])
        .arg(root().join("examples/curl-itpm.txt"));
    let good = json_of(c, &[1]);
    let replay = schema("replay");
    assert!(replay.is_valid(&good));

    let mut bad = good.clone();
    bad["verdicts"][0]["class"] = json!("not_a_class");
    assert!(!replay.is_valid(&bad), "an unknown class must not validate");

    let mut bad = good.clone();
    bad["verdicts"][0]
        .as_object_mut()
        .unwrap()
        .remove("confidence");
    assert!(
        !replay.is_valid(&bad),
        "a missing required field must not validate"
    );

    let mut bad = good;
    bad["summary"] = json!("many");
    assert!(!replay.is_valid(&bad), "a summary must be an object");
}
