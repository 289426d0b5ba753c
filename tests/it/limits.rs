//! `claude-429 limits` against a local fake of the Rate Limits API (wiremock on 127.0.0.1).
//!
//! The fake serves the documented shapes from `tests/fixtures/limits/`: several pages (each
//! shorter than the `limit` asked for), workspace entries with organization and workspace
//! sources, an override above the org limit, unknown limiter and group types and null models.
//! Every run clears the `ANTHROPIC_*` environment, and every run checks that the admin key
//! never appears in stdout or stderr.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::server::closed_port;

/// The admin key the fake accepts. Shaped like a real one, so a leak would be recognisable.
const KEY: &str = "sk-ant-admin01-TESTKEY-5f3c9a1e7b2d4c6e8f0a1b3c5d7e9f-never-print";

fn fixture(name: &str) -> Value {
    crate::common::fixture_json(&format!("limits/{name}"))
}

fn org_fixture() -> Value {
    fixture("org_rate_limits.json")
}

fn ws_fixture() -> Value {
    fixture("workspace_rate_limits.json")
}

fn error_body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_test"})
}

/// One page of `items`: at most `limit - 1` entries when `limit` is given (a real server may
/// return fewer than asked for, so clients must follow `next_page`, not count), else all.
fn page(items: Vec<Value>, q: &[(String, String)]) -> ResponseTemplate {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let offset = match get("page") {
        None => 0,
        Some(c) => match c.strip_prefix("cur_").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                return ResponseTemplate::new(400)
                    .set_body_json(error_body("invalid_request_error", "bad page cursor"));
            }
        },
    };
    let size = get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .map_or(items.len(), |l| l.saturating_sub(1).max(1));
    let end = (offset + size).min(items.len());
    let data: Vec<Value> = items[offset.min(end)..end].to_vec();
    let next = (end < items.len()).then(|| format!("cur_{end}"));
    ResponseTemplate::new(200).set_body_json(json!({"data": data, "next_page": next}))
}

/// The fake API: auth (`x-api-key` or `Authorization: Bearer`, like the real API), a required
/// `anthropic-version`, the org and workspace listings with their filters, and 404s.
fn fake_api(org: Value, ws: Value) -> impl Fn(&Request) -> ResponseTemplate + Send + Sync {
    move |req: &Request| {
        let h = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let authed =
            h("x-api-key") == Some(KEY) || h("authorization") == Some(&format!("Bearer {KEY}"));
        if !authed {
            return ResponseTemplate::new(401)
                .set_body_json(error_body("authentication_error", "invalid x-api-key"));
        }
        if h("anthropic-version").is_none() {
            return ResponseTemplate::new(400).set_body_json(error_body(
                "invalid_request_error",
                "anthropic-version: header is required",
            ));
        }
        let q: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let by_group_type = |e: &Value| {
            get("group_type").is_none_or(|g| e["group"]["type"].as_str() == Some(g.as_str()))
        };
        let path = req.url.path();
        if path == "/v1/organizations/rate_limits" {
            let mut items: Vec<Value> = org
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| by_group_type(e))
                .cloned()
                .collect();
            if let Some(m) = get("model") {
                items.retain(|e| {
                    e["models"]
                        .as_array()
                        .is_some_and(|ms| ms.iter().any(|x| x.as_str() == Some(m.as_str())))
                });
                if items.is_empty() {
                    return ResponseTemplate::new(404).set_body_json(error_body(
                        "not_found_error",
                        &format!("model {m} not found"),
                    ));
                }
            }
            return page(items, &q);
        }
        if let Some(id) = path
            .strip_prefix("/v1/organizations/workspaces/")
            .and_then(|r| r.strip_suffix("/rate_limits"))
        {
            let Some(entries) = ws.get(id).and_then(Value::as_array) else {
                return ResponseTemplate::new(404).set_body_json(error_body(
                    "not_found_error",
                    &format!("workspace {id} not found"),
                ));
            };
            let inherited = get("include_inherited").as_deref() == Some("true");
            let items: Vec<Value> = entries
                .iter()
                .filter(|e| by_group_type(e))
                .filter_map(|e| {
                    let mut e = e.clone();
                    if !inherited {
                        let own: Vec<Value> = e["limits"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter(|l| l["source"]["type"] == "workspace")
                            .cloned()
                            .collect();
                        if own.is_empty() {
                            return None;
                        }
                        e["limits"] = Value::Array(own);
                    }
                    Some(e)
                })
                .collect();
            return page(items, &q);
        }
        ResponseTemplate::new(404).set_body_json(error_body("not_found_error", "no such endpoint"))
    }
}

async fn serve(org: Value, ws: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(fake_api(org, ws))
        .mount(&server)
        .await;
    server
}

/// A server that answers every request with `t`.
async fn serve_fixed(t: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(t).mount(&server).await;
    server
}

/// `claude-429 limits` with a cleared environment: the admin key set, the base URL pointing
/// at `base`, 200 columns.
fn limits(base: &str) -> Command {
    let mut c = crate::common::std_bin();
    c.env("ANTHROPIC_BASE_URL", base)
        .env("ANTHROPIC_ADMIN_KEY", KEY)
        .env("COLUMNS", "200")
        .arg("limits");
    c
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs, and fails the test if the key shows up anywhere in the output.
fn run(c: &mut Command) -> Out {
    run_with_secret(c, KEY)
}

fn run_with_secret(c: &mut Command, secret: &str) -> Out {
    let o = c.output().unwrap();
    let out = Out {
        code: o.status.code().expect("exited with a code"),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(secret),
            "the key leaked into {name}:\n{text}"
        );
        // Not even a recognisable piece of it.
        assert!(
            !text.contains(&secret[secret.len() - 16..]),
            "part of the key leaked into {name}:\n{text}"
        );
    }
    out
}

#[track_caller]
fn expect(o: &Out, code: i32, needles: &[&str]) {
    assert_eq!(
        o.code, code,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        o.stdout, o.stderr
    );
    let all = format!("{}{}", o.stdout, o.stderr);
    for n in needles {
        assert!(
            all.contains(n),
            "expected {n:?} in the output\n--- stdout\n{}\n--- stderr\n{}",
            o.stdout,
            o.stderr
        );
    }
}

/// Some line of `text` holds all of `parts`, in order.
#[track_caller]
fn assert_line(text: &str, parts: &[&str]) {
    let ok = text.lines().any(|l| {
        let mut rest = l;
        parts.iter().all(|p| match rest.find(p) {
            Some(i) => {
                rest = &rest[i + p.len()..];
                true
            }
            None => false,
        })
    });
    assert!(ok, "no line holds {parts:?} in order:\n{text}");
}

fn json_of(o: &Out) -> Value {
    serde_json::from_str(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", o.stdout))
}

async fn query_pairs(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query_pairs().into_owned().collect())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Listing.

#[tokio::test(flavor = "multi_thread")]
async fn table_lists_every_group_across_short_pages() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).args(["--page-size", "3"]));
    expect(
        &o,
        0,
        &[
            "Claude Sonnet 4.x",
            "rlg_01SONNET",
            "claude-sonnet-4-5",
            "requests_per_minute",
            "4,000",
            "2,000,000",
            // Unknown limiter and group types are shown as they come.
            "widgets_per_fortnight",
            "hologram_group",
            "holograms_per_hour",
            "rlg_01BATCH",
            "batch_requests_in_queue",
            "500,000",
            "13 limits in 6 groups",
        ],
    );
    // Each limiter shares its row with its value.
    assert_line(
        &o.stdout,
        &["input_tokens_per_minute_cache_aware", "10,000,000"],
    );
    assert_line(
        &o.stdout,
        &["rlg_01WEBSEARCH", "-", "tool_uses_per_second", "30"],
    );
    assert_line(
        &o.stdout,
        &[
            "Claude Sonnet 4.x",
            "claude-sonnet-4-6",
            "requests_per_minute",
            "4,000",
        ],
    );
    // Pages of 2 for limit=3: three requests, the cursor followed each time.
    let q = query_pairs(&server).await;
    assert_eq!(q.len(), 3, "{q:?}");
    assert!(q.iter().all(|p| p.contains(&("limit".into(), "3".into()))));
    assert!(!q[0].iter().any(|(k, _)| k == "page"));
    assert!(q[1].contains(&("page".into(), "cur_2".into())));
    assert!(q[2].contains(&("page".into(), "cur_4".into())));
    // Auth and version headers on every request.
    for r in server.received_requests().await.unwrap() {
        assert!(r.headers.get("anthropic-version").is_some());
        let ua = r.headers.get("user-agent").unwrap().to_str().unwrap();
        assert!(ua.starts_with("claude-429/"), "{ua}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_keeps_unknown_types_null_models_and_integers() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).arg("--json"));
    expect(&o, 0, &[]);
    let v = json_of(&o);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 6);
    assert_eq!(groups[0]["group_id"], "rlg_01SONNET");
    assert_eq!(groups[0]["display_name"], "Claude Sonnet 4.x");
    // Integers stay integers (4000, not 4000.0).
    assert_eq!(
        groups[0]["limits"][0],
        json!({"type": "requests_per_minute", "value": 4000})
    );
    assert!(o.stdout.contains("\"value\": 4000\n") || o.stdout.contains("\"value\": 4000,"));
    let batch = groups
        .iter()
        .find(|g| g["group_id"] == "rlg_01BATCH")
        .unwrap();
    assert_eq!(batch["models"], Value::Null);
    assert_eq!(batch["display_name"], Value::Null);
    let holo = groups
        .iter()
        .find(|g| g["group_type"] == "hologram_group")
        .unwrap();
    assert_eq!(holo["limits"][0]["type"], "holograms_per_hour");
    assert!(v["taken_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test(flavor = "multi_thread")]
async fn model_and_group_type_filters_go_to_the_api() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).args(["--model", "claude-opus-4-7", "--json"]));
    expect(&o, 0, &[]);
    let v = json_of(&o);
    assert_eq!(v["groups"].as_array().unwrap().len(), 1);
    assert_eq!(v["groups"][0]["group_id"], "rlg_01OPUS");

    let o = run(limits(&server.uri()).args(["--group-type", "batch"]));
    expect(&o, 0, &["rlg_01BATCH", "1 limit in 1 group"]);
    assert!(!o.stdout.contains("Sonnet"));
    let q = query_pairs(&server).await;
    assert!(q[0].contains(&("model".into(), "claude-opus-4-7".into())));
    assert!(q[1].contains(&("group_type".into(), "batch".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn workspace_marks_overrides_and_unenforced_values() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).args(["--workspace", "wrkspc_test"]));
    expect(
        &o,
        0,
        &[
            "Workspace wrkspc_test",
            "OVERRIDE (lower)",
            "higher: not enforced",
            "OVERRIDE (org: none)",
            "inherited",
            "2 overrides below the org limit",
            "1 workspace value above the org limit is stored but not enforced",
        ],
    );
    assert_line(
        &o.stdout,
        &[
            "requests_per_minute",
            "4,000",
            "1,000",
            "1,000",
            "OVERRIDE (lower)",
        ],
    );
    assert_line(
        &o.stdout,
        &[
            "output_tokens_per_minute",
            "400,000",
            "900,000",
            "400,000",
            "not enforced",
        ],
    );
    // include_inherited=true, so the table shows inherited values too.
    let q = query_pairs(&server).await;
    assert!(
        q[0].contains(&("include_inherited".into(), "true".into())),
        "{q:?}"
    );

    let o = run(limits(&server.uri()).args(["--workspace", "wrkspc_test", "--json"]));
    expect(&o, 0, &[]);
    let v = json_of(&o);
    assert_eq!(v["workspace_id"], "wrkspc_test");
    let sonnet = &v["groups"][0]["limits"];
    let by = |t: &str| {
        sonnet
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["type"] == t)
            .unwrap()
            .clone()
    };
    let rpm = by("requests_per_minute");
    assert_eq!(
        (&rpm["value"], &rpm["org_limit"], &rpm["effective"]),
        (&json!(1000), &json!(4000), &json!(1000))
    );
    assert_eq!(rpm["status"], "below_org");
    assert_eq!(rpm["stricter_than_org"], true);
    let otpm = by("output_tokens_per_minute");
    assert_eq!(otpm["effective"], 400000);
    assert_eq!(otpm["status"], "above_org_not_enforced");
    assert_eq!(otpm["stricter_than_org"], false);
    let tpd = by("tokens_per_day");
    assert_eq!(
        (&tpd["org_limit"], &tpd["effective"]),
        (&Value::Null, &json!(5000000))
    );
    assert_eq!(tpd["status"], "workspace_only");
    assert_eq!(
        by("input_tokens_per_minute_cache_aware")["status"],
        "inherited"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn workspace_with_model_shows_only_that_group() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).args([
        "--workspace",
        "wrkspc_test",
        "--model",
        "claude-opus-4-8",
        "--json",
    ]));
    expect(&o, 0, &[]);
    let v = json_of(&o);
    let ids: Vec<_> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["rlg_01OPUS"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_key_file_works_without_the_env_var() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("admin.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let mut c = limits(&server.uri());
    c.env_remove("ANTHROPIC_ADMIN_KEY")
        .arg("--admin-key-file")
        .arg(&key_file);
    expect(&run(&mut c), 0, &["Claude Sonnet 4.x"]);
}

#[test]
fn help_teaches_the_flags() {
    let o = run(limits("http://127.0.0.1:9").arg("--help"));
    expect(
        &o,
        0,
        &[
            "ANTHROPIC_ADMIN_KEY",
            "--admin-key-file",
            "MATCH:LIMITER=VALUE",
            "the lower of the workspace value and the org limit",
            "GITHUB_STEP_SUMMARY",
            "--max-retries",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Lock file and drift.

fn limiter_mut<'a>(org: &'a mut Value, group: &str, kind: &str) -> &'a mut Value {
    let g = org
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["group"]["id"] == group)
        .unwrap();
    g["limits"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["type"] == kind)
        .unwrap()
}

/// The fixture with Sonnet RPM down, Haiku OTPM up, Opus's unknown limiter gone and a new
/// limiter on the batch group.
fn drifted_org() -> Value {
    let mut org = org_fixture();
    limiter_mut(&mut org, "rlg_01SONNET", "requests_per_minute")["value"] = json!(2000);
    limiter_mut(&mut org, "rlg_01HAIKU", "output_tokens_per_minute")["value"] = json!(1600000);
    let opus = org
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["group"]["id"] == "rlg_01OPUS")
        .unwrap();
    opus["limits"]
        .as_array_mut()
        .unwrap()
        .retain(|l| l["type"] != "widgets_per_fortnight");
    let batch = org
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["group"]["id"] == "rlg_01BATCH")
        .unwrap();
    batch["limits"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "requests_per_minute", "value": 50}));
    org
}

#[tokio::test(flavor = "multi_thread")]
async fn save_writes_a_sorted_lock_keyed_by_group_id_and_check_is_clean() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("limits.lock.json");
    let o = run(limits(&server.uri()).arg("--save").arg(&lock));
    expect(&o, 0, &["saved 13 limits in 6 groups"]);

    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(text.ends_with('\n'));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 1);
    assert!(v["taken_at"].as_str().unwrap().ends_with('Z'));
    // Keyed by the stable group id and limiter type, never by the per-org entry id.
    assert!(!text.contains("rl_sonnet_org1"));
    assert_eq!(
        v["groups"]["rlg_01SONNET"]["limits"]["requests_per_minute"],
        4000
    );
    assert!(text.contains("\"requests_per_minute\": 4000\n"), "{text}");
    let keys: Vec<_> = v["groups"].as_object().unwrap().keys().cloned().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let pos = |s: &str| text.find(s).unwrap();
    assert!(pos("\"rlg_01BATCH\"") < pos("\"rlg_01SONNET\""));
    assert!(pos("\"input_tokens_per_minute_cache_aware\"") < pos("\"output_tokens_per_minute\""));

    // Saving twice gives the same file apart from the time.
    let o = run(limits(&server.uri()).arg("--save").arg(&lock));
    expect(&o, 0, &[]);
    let strip = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("taken_at"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&text),
        strip(&std::fs::read_to_string(&lock).unwrap())
    );

    let o = run(limits(&server.uri()).arg("--check").arg(&lock));
    expect(&o, 0, &["No drift: 13 limits match"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_drift_with_old_new_and_direction() {
    let before = serve(org_fixture(), ws_fixture()).await;
    let after = serve(drifted_org(), ws_fixture()).await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("limits.lock.json");
    expect(&run(limits(&before.uri()).arg("--save").arg(&lock)), 0, &[]);

    let o = run(limits(&after.uri()).arg("--check").arg(&lock));
    expect(
        &o,
        1,
        &[
            "Drift: 4 changes since",
            "Claude Sonnet 4.x (rlg_01SONNET)",
            "4,000",
            "2,000",
            "down",
            "800,000",
            "1,600,000",
            "up",
            "widgets_per_fortnight",
            "removed",
            "added",
            "--save",
        ],
    );
    // Not under GitHub Actions: no annotations.
    assert!(!o.stdout.contains("::error"));

    let o = run(limits(&after.uri()).arg("--check").arg(&lock).arg("--json"));
    expect(&o, 1, &[]);
    let v = json_of(&o);
    assert_eq!(v["drift"], true);
    let changes = v["changes"].as_array().unwrap();
    let find = |g: &str, l: &str| {
        changes
            .iter()
            .find(|c| c["group_id"] == g && c["limiter"] == l)
            .unwrap_or_else(|| panic!("no change for {g} {l}: {changes:?}"))
            .clone()
    };
    let c = find("rlg_01SONNET", "requests_per_minute");
    assert_eq!(
        (&c["old"], &c["new"], &c["change"]),
        (&json!(4000), &json!(2000), &json!("down"))
    );
    assert_eq!(
        find("rlg_01HAIKU", "output_tokens_per_minute")["change"],
        "up"
    );
    assert_eq!(
        find("rlg_01OPUS", "widgets_per_fortnight")["change"],
        "removed"
    );
    let added = find("rlg_01BATCH", "requests_per_minute");
    assert_eq!((&added["old"], &added["new"]), (&Value::Null, &json!(50)));
    assert_eq!(added["change"], "added");
}

#[tokio::test(flavor = "multi_thread")]
async fn github_actions_annotations_and_step_summary() {
    let before = serve(org_fixture(), ws_fixture()).await;
    let after = serve(drifted_org(), ws_fixture()).await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("limits.lock.json");
    expect(&run(limits(&before.uri()).arg("--save").arg(&lock)), 0, &[]);
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();

    let mut c = limits(&after.uri());
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .arg("--check")
        .arg(&lock)
        .args(["--min", "claude-sonnet-4-5:requests_per_minute=3000"]);
    let o = run(&mut c);
    expect(&o, 1, &[]);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error title=claude-429 limits drift::")
                && l.contains(
                    "Claude Sonnet 4.x (rlg_01SONNET) requests_per_minute: 4,000 -> 2,000 (down)"
                )),
        "{}",
        o.stdout
    );
    assert!(lines.iter().any(
        |l| l.starts_with("::warning title=claude-429 limits drift::")
            && l.contains("output_tokens_per_minute: 800,000 -> 1,600,000 (up)")
    ));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error title=claude-429 limits floor::")
                && l.contains("2,000 is below the floor 3,000"))
    );

    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n"), "appends, never truncates");
    assert!(md.contains("### claude-429 limits: drift against"));
    assert!(md.contains("| group | limiter | old | new | change |"));
    assert!(
        md.contains("| Claude Sonnet 4.x (rlg_01SONNET) | `requests_per_minute` | 4,000 | 2,000 | **down** |"),
        "{md}"
    );
    assert!(md.contains("| `claude-sonnet-4-5:requests_per_minute=3000` |"));

    // With --json, stdout stays one JSON document; the annotations go to stderr.
    let mut c = limits(&after.uri());
    c.env("GITHUB_ACTIONS", "true")
        .arg("--check")
        .arg(&lock)
        .arg("--json");
    let o = run(&mut c);
    expect(&o, 1, &[]);
    json_of(&o);
    assert!(o.stderr.contains("::error title=claude-429 limits drift::"));

    // No drift: a one-line summary, no annotations.
    let clean = dir.path().join("clean.md");
    let mut c = limits(&before.uri());
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &clean)
        .arg("--check")
        .arg(&lock);
    let o = run(&mut c);
    expect(&o, 0, &["No drift"]);
    assert!(!o.stdout.contains("::"));
    assert!(
        std::fs::read_to_string(&clean)
            .unwrap()
            .contains("no drift")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn min_floor_fails_check_without_drift() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("limits.lock.json");
    expect(&run(limits(&server.uri()).arg("--save").arg(&lock)), 0, &[]);

    // Floors met (by model, by group id, by display name): exit 0.
    let o = run(limits(&server.uri()).arg("--check").arg(&lock).args([
        "--min",
        "claude-sonnet-4-5:requests_per_minute=1000",
        "--min",
        "rlg_01WEBSEARCH:tool_uses_per_second=30",
        "--min",
        "Claude Opus 4.x:output_tokens_per_minute=800,000",
    ]));
    expect(&o, 0, &["No drift", "All 3 floor checks passed"]);

    // A floor above the live value: exit 1 though nothing drifted.
    let o = run(limits(&server.uri())
        .arg("--check")
        .arg(&lock)
        .args(["--min", "claude-sonnet-4-5:requests_per_minute=5000"]));
    expect(
        &o,
        1,
        &[
            "No drift",
            "1 floor failed",
            "4,000 is below the floor 5,000",
        ],
    );

    // A floor that matches nothing fails too (a retired model, or a typo).
    let o = run(limits(&server.uri())
        .arg("--check")
        .arg(&lock)
        .args(["--min", "claude-nope:requests_per_minute=1"]));
    expect(&o, 1, &["no live group matches 'claude-nope'"]);

    let o = run(limits(&server.uri())
        .arg("--check")
        .arg(&lock)
        .arg("--json")
        .args(["--min", "claude-sonnet-4-5:requests_per_minute=5000"]));
    let v = json_of(&o);
    assert_eq!(v["floors"][0]["ok"], false);
    assert_eq!(v["floors"][0]["value"], 4000);
    assert_eq!(v["floors"][0]["min"], 5000);
}

#[tokio::test(flavor = "multi_thread")]
async fn workspace_lock_holds_effective_limits_and_check_reuses_its_filters() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("ws.lock.json");
    let o = run(limits(&server.uri())
        .args(["--workspace", "wrkspc_test", "--save"])
        .arg(&lock));
    expect(&o, 0, &[]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    assert_eq!(v["filters"]["workspace"], "wrkspc_test");
    let sonnet = &v["groups"]["rlg_01SONNET"]["limits"];
    assert_eq!(sonnet["requests_per_minute"], 1000);
    assert_eq!(
        sonnet["output_tokens_per_minute"], 400000,
        "effective, not the stored 900000"
    );

    // --check without --workspace uses the lock's.
    let o = run(limits(&server.uri()).arg("--check").arg(&lock));
    expect(&o, 0, &["No drift"]);
    // A contradicting flag is a usage error.
    let o = run(limits(&server.uri())
        .args(["--workspace", "wrkspc_other", "--check"])
        .arg(&lock));
    expect(&o, 2, &["differs from the lock file"]);
}

#[test]
fn malformed_min_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("l.json");
    std::fs::write(&lock, r#"{"version":1,"taken_at":"x","groups":{}}"#).unwrap();
    for bad in [
        "claude-sonnet-4-5",
        "claude-sonnet-4-5=1000",
        "claude-sonnet-4-5:requests_per_minute=many",
        ":requests_per_minute=5",
    ] {
        let o = run(limits(&closed_port())
            .arg("--check")
            .arg(&lock)
            .args(["--min", bad]));
        expect(&o, 2, &["--min", "MATCH:LIMITER=VALUE"]);
    }
    // --min without --check is refused by the parser.
    let o = run(limits(&closed_port()).args(["--min", "a:b=1"]));
    expect(&o, 2, &["--check"]);
}

#[test]
fn unreadable_or_foreign_lock_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(limits(&closed_port())
        .arg("--check")
        .arg(dir.path().join("missing.json")));
    expect(&o, 2, &["cannot read lock file"]);
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    let o = run(limits(&closed_port()).arg("--check").arg(&junk));
    expect(&o, 2, &["is not a claude-429 lock file"]);
}

// ---------------------------------------------------------------------------------------
// Errors: exit 3, one clear line, never the key.

#[test]
fn missing_key_names_the_env_var() {
    let mut c = limits(&closed_port());
    c.env_remove("ANTHROPIC_ADMIN_KEY");
    let o = run(&mut c);
    expect(
        &o,
        3,
        &[
            "claude-429: error: no API key: set ANTHROPIC_ADMIN_KEY (an Admin API key) or pass --admin-key-file FILE",
            "hint:",
        ],
    );
    assert_eq!(
        o.stderr.lines().next().unwrap().matches("error:").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthorized_says_an_admin_key_is_needed() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let mut c = limits(&server.uri());
    c.env(
        "ANTHROPIC_ADMIN_KEY",
        "sk-ant-api03-normal-key-not-admin-000000",
    );
    let o = run_with_secret(&mut c, "sk-ant-api03-normal-key-not-admin-000000");
    expect(
        &o,
        3,
        &[
            "authentication failed (401)",
            "does not have the Admin API key prefix",
            "Admin API key (sk-ant-admin...)",
            "a normal API key fails here",
        ],
    );
    // 401 is not retried.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_says_an_admin_key_is_needed() {
    let server = serve_fixed(ResponseTemplate::new(403).set_body_json(error_body(
        "permission_error",
        "this key cannot read rate limits",
    )))
    .await;
    let o = run(&mut limits(&server.uri()));
    expect(
        &o,
        3,
        &[
            "authentication failed (403)",
            "this key cannot read rate limits",
            "sk-ant-admin",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_model_is_not_found() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).args(["--model", "claude-nope-9"]));
    expect(&o, 3, &["not found (404): model 'claude-nope-9'"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_workspace_is_not_found() {
    let server = serve(org_fixture(), ws_fixture()).await;
    let o = run(limits(&server.uri()).args(["--workspace", "wrkspc_missing"]));
    expect(&o, 3, &["not found (404): workspace 'wrkspc_missing'"]);
    // An id that would change the URL path never leaves the machine.
    let o = run(limits(&server.uri()).args(["--workspace", "../../v1/x"]));
    expect(&o, 2, &["is not a workspace id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_a_500_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(500).set_body_json(error_body("api_error", "Internal error")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(fake_api(org_fixture(), ws_fixture()))
        .mount(&server)
        .await;
    let o = run(&mut limits(&server.uri()));
    expect(&o, 0, &["Claude Sonnet 4.x", "got 500; retry 1 of 2"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn honours_retry_after_on_529() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(529)
                .insert_header("retry-after", "1")
                .set_body_json(error_body("overloaded_error", "Overloaded")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(fake_api(org_fixture(), ws_fixture()))
        .mount(&server)
        .await;
    let start = Instant::now();
    let o = run(&mut limits(&server.uri()));
    let took = start.elapsed();
    expect(&o, 0, &["Claude Sonnet 4.x", "got 529; retry 1 of 2 in 1."]);
    assert!(took >= Duration::from_secs(1), "waited only {took:?}");
    // One wait of about a second, not the whole retry budget (a generous margin for a busy
    // machine).
    assert!(took < Duration::from_secs(60), "waited {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_503_exits_3_after_bounded_retries() {
    let server = serve_fixed(
        ResponseTemplate::new(503).set_body_json(error_body("api_error", "Service unavailable")),
    )
    .await;
    let o = run(&mut limits(&server.uri()));
    expect(
        &o,
        3,
        &[
            "the API answered 503 after 2 retries",
            "Service unavailable",
            "hint:",
        ],
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // --max-retries 0: one request.
    let server = serve_fixed(ResponseTemplate::new(503)).await;
    let o = run(limits(&server.uri()).args(["--max-retries", "0"]));
    expect(&o, 3, &["the API answered 503"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_retry_after_on_429_is_reported_not_waited_for() {
    let server = serve_fixed(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "3600")
            .set_body_json(error_body("rate_limit_error", "Rate limited")),
    )
    .await;
    let start = Instant::now();
    let o = run(&mut limits(&server.uri()));
    expect(
        &o,
        3,
        &["the API answered 429", "retry-after 3600 s", "limiting"],
    );
    // Reported, not waited for: far less than the hour it asked for.
    assert!(start.elapsed() < Duration::from_secs(120));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_server_times_out() {
    let server = serve_fixed(
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": [], "next_page": null}))
            .set_delay(Duration::from_secs(120)),
    )
    .await;
    let start = Instant::now();
    let o = run(limits(&server.uri()).args(["--timeout", "0.5"]));
    expect(&o, 3, &["timed out after 0.5 s", "--timeout"]);
    // The time-out ended it, not the answer two minutes later (a generous margin for a busy
    // machine).
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn connection_refused_exits_3() {
    let o = run(limits(&closed_port()).args(["--max-retries", "1"]));
    expect(
        &o,
        3,
        &["cannot connect to http://127.0.0.1:", "ANTHROPIC_BASE_URL"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_failure_exits_3() {
    // https:// to a plain-HTTP server: the TLS handshake fails.
    let server = serve(org_fixture(), ws_fixture()).await;
    let url = server.uri().replace("http://", "https://");
    let o = run(limits(&url).args(["--max-retries", "0"]));
    expect(
        &o,
        3,
        &["cannot connect to https://127.0.0.1:", "TLS failure"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn non_json_body_exits_3() {
    let server = serve_fixed(
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/html")
            .set_body_string("<html><body>Welcome to the captive portal</body></html>"),
    )
    .await;
    let o = run(&mut limits(&server.uri()));
    expect(
        &o,
        3,
        &["is not the documented JSON", "not JSON", "captive portal"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_of_the_wrong_shape_exits_3() {
    for body in [
        json!({"items": []}),
        json!({"data": "nope"}),
        json!({"data": [{"id": "rl_1", "limits": []}]}),
        json!({"data": [{"group": {"id": "rlg_1", "type": "model_group"},
                         "limits": [{"type": "requests_per_minute", "value": "lots"}]}]}),
        json!([1, 2, 3]),
    ] {
        let server = serve_fixed(ResponseTemplate::new(200).set_body_json(&body)).await;
        let o = run(&mut limits(&server.uri()));
        expect(&o, 3, &["is not the documented JSON", "unexpected shape"]);
    }
    // A cursor that never ends is caught.
    let server = serve_fixed(
        ResponseTemplate::new(200).set_body_json(json!({"data": [], "next_page": "again"})),
    )
    .await;
    let o = run(&mut limits(&server.uri()));
    expect(&o, 3, &["next_page repeats"]);
}

/// A proxy that echoes the request's key back in its error, and a key that does not look
/// like a key (so no pattern-based redaction can save it): the key still never shows.
#[tokio::test(flavor = "multi_thread")]
async fn key_never_appears_in_any_output() {
    let plain_key = "zz-plain-secret-0123456789abcdef-zz";
    let echo = |req: &Request| {
        let k = req
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        ResponseTemplate::new(401).set_body_json(error_body(
            "authentication_error",
            &format!("invalid key {k}"),
        ))
    };
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(echo).mount(&server).await;
    for key in [KEY, plain_key] {
        let mut c = limits(&server.uri());
        c.env("ANTHROPIC_ADMIN_KEY", key);
        let o = run_with_secret(&mut c, key);
        expect(
            &o,
            3,
            &["authentication failed (401): authentication_error: invalid key [REDACTED]"],
        );
    }
    let echo_500 = |req: &Request| {
        let k = req
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        ResponseTemplate::new(200).set_body_string(format!("not json {k}"))
    };
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(echo_500)
        .mount(&server)
        .await;
    let mut c = limits(&server.uri());
    c.env("ANTHROPIC_ADMIN_KEY", plain_key);
    expect(&run_with_secret(&mut c, plain_key), 3, &["not JSON"]);

    // Every other path with the plain key: success, table, JSON, save, check, errors.
    let good = MockServer::start().await;
    let plain_api = move |req: &Request| {
        let ok = req.headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(plain_key);
        if ok {
            page(
                org_fixture().as_array().unwrap().clone(),
                &req.url.query_pairs().into_owned().collect::<Vec<_>>(),
            )
        } else {
            ResponseTemplate::new(401)
        }
    };
    Mock::given(any())
        .respond_with(plain_api)
        .mount(&good)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("l.json");
    let summary = dir.path().join("s.md");
    for args in [
        vec![],
        vec!["--json"],
        vec!["--save", lock.to_str().unwrap()],
        vec!["--check", lock.to_str().unwrap(), "--min", "rlg_01OPUS:x=1"],
        vec!["--model", "nope"],
        vec!["--timeout", "0.001"],
    ] {
        let mut c = limits(&good.uri());
        c.env("ANTHROPIC_ADMIN_KEY", plain_key)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUST_BACKTRACE", "1")
            .args(&args);
        run_with_secret(&mut c, plain_key);
    }
    assert!(!std::fs::read_to_string(&lock).unwrap().contains(plain_key));
    assert!(
        !std::fs::read_to_string(&summary)
            .unwrap()
            .contains(plain_key)
    );
}
