//! Who used the limit: `diagnose --live` attribution and `claude-429 usage` against a local fake
//! of the Admin API shaped like the documented endpoints (wiremock on 127.0.0.1: nested
//! `cache_creation`, null key and workspace ids, several rows per bucket, a bucket split over
//! two pages with `has_more` / `next_page`), admin-endpoint errors, and `mock` end to end with
//! two keys of different volume. No run prints a key.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ADMIN_KEY: &str = "sk-ant-admin01-USAGETEST-5f3c9a1e7b2d4c6e8f0a-never-print";
/// The app's key: `web-app` in the api_keys list, recognised by its partial hint.
const APP_KEY: &str = "sk-ant-api03-WEBAPP-AbCdEfGhIjKlMnOpQrStUv-wxyz";

fn row(
    key: Option<&str>,
    ws: Option<&str>,
    model: &str,
    uncached: u64,
    c1h: u64,
    c5m: u64,
    read: u64,
) -> Value {
    json!({
        "uncached_input_tokens": uncached,
        "cache_creation": {"ephemeral_1h_input_tokens": c1h, "ephemeral_5m_input_tokens": c5m},
        "cache_read_input_tokens": read,
        "output_tokens": uncached / 20,
        "server_tool_use": {"web_search_requests": 0},
        "api_key_id": key, "workspace_id": ws, "model": model,
        "service_tier": null, "context_window": null
    })
}

fn bucket(minute: &str, results: Vec<Value>) -> Value {
    let start = format!("2026-11-20T{minute}:00Z");
    let end = (chrono::DateTime::parse_from_rfc3339(&start).unwrap()
        + chrono::Duration::minutes(1))
    .to_utc()
    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({"starting_at": start, "ending_at": end, "results": results})
}

const SONNET: &str = "claude-sonnet-4-5-20250929";
const HAIKU3: &str = "claude-3-5-haiku-20241022";

/// Page 1: 13:59 to 14:02 (14:02 with the batch key's row only, `has_more`); page 2: 14:02
/// again with the app's row, then 14:03 to 14:05.
fn pages() -> (Value, Value) {
    let etl = Some("apikey_etl");
    let web = Some("apikey_web");
    let batch = Some("wrkspc_batch");
    let p1 = json!({
        "data": [
            bucket("13:59", vec![]),
            bucket("14:00", vec![row(etl, batch, SONNET, 400_000, 0, 0, 0)]),
            bucket("14:01", vec![
                row(etl, batch, SONNET, 1_200_000, 0, 0, 1_000_000),
                row(web, None, SONNET, 50_000, 0, 0, 0),
                row(None, None, SONNET, 10_000, 0, 0, 0),
            ]),
            // 1,500,000 uncached + 100,000 + 251,800 cache writes = 1,851,800 counted; the
            // 3,000,000 cache reads do not count (Sonnet 4.x is cache-aware).
            bucket("14:02", vec![row(etl, batch, SONNET, 1_500_000, 100_000, 251_800, 3_000_000)]),
        ],
        "has_more": true,
        "next_page": "page_2_opaque"
    });
    let p2 = json!({
        "data": [
            bucket("14:02", vec![
                row(web, None, SONNET, 118_200, 0, 0, 0),
                // Haiku 3.5: cache reads count (the tables' dagger): 100,000 + 200,000.
                row(Some("apikey_rep"), batch, HAIKU3, 100_000, 0, 0, 200_000),
            ]),
            bucket("14:03", vec![
                row(etl, batch, SONNET, 800_000, 0, 0, 0),
                row(web, None, SONNET, 20_000, 0, 0, 0),
            ]),
            bucket("14:04", vec![]),
            bucket("14:05", vec![]),
        ],
        "has_more": false,
        "next_page": null
    });
    (p1, p2)
}

fn org_limits() -> Value {
    json!({"data": [
        {"id": "rl_1", "type": "rate_limit",
         "group": {"id": "rlg_sonnet_4", "type": "model_group", "display_name": "Claude Sonnet 4.x"},
         "models": ["claude-sonnet-4-5", SONNET],
         "limits": [{"type": "requests_per_minute", "value": 4000},
                    {"type": "input_tokens_per_minute_cache_aware", "value": 2000000},
                    {"type": "output_tokens_per_minute", "value": 400000}]},
        {"id": "rl_2", "type": "rate_limit",
         "group": {"id": "rlg_haiku_3", "type": "model_group", "display_name": "Claude Haiku 3.x"},
         "models": [HAIKU3],
         "limits": [{"type": "requests_per_minute", "value": 4000},
                    {"type": "input_tokens_per_minute", "value": 400000},
                    {"type": "output_tokens_per_minute", "value": 80000}]}
    ], "next_page": null})
}

fn api_keys() -> Value {
    let k = |id: &str, name: &str, ws: Option<&str>, hint: &str| {
        json!({"id": id, "type": "api_key", "name": name, "status": "active",
               "partial_key_hint": hint, "created_at": "2025-01-01T00:00:00Z",
               "scope": {"type": "workspace", "workspace_id": ws.unwrap_or("wrkspc_default_real")},
               "workspace_id": ws})
    };
    json!({"data": [
        k("apikey_etl", "etl-nightly", Some("wrkspc_batch"), "sk-ant-api03-ETL...9f2c"),
        k("apikey_web", "web-app", None, "sk-ant-api03-WEB...wxyz"),
        k("apikey_rep", "reporting", Some("wrkspc_batch"), "sk-ant-api03-REP...0000"),
    ], "has_more": false, "first_id": "apikey_etl", "last_id": "apikey_rep"})
}

fn workspaces() -> Value {
    json!({"data": [
        {"id": "wrkspc_default_real", "type": "workspace", "name": "Default Workspace", "archived_at": null},
        {"id": "wrkspc_batch", "type": "workspace", "name": "batch-jobs", "archived_at": null}
    ], "has_more": false, "first_id": "wrkspc_default_real", "last_id": "wrkspc_batch"})
}

/// How the fake answers the usage report.
#[derive(Clone, Copy)]
enum Report {
    Documented,
    Status(u16),
}

/// The fake Admin API (and a Messages endpoint for the probe). `batch_override`: the
/// batch-jobs workspace's ITPM override.
async fn server(report: Report, batch_override: Option<u64>) -> MockServer {
    let s = MockServer::start().await;
    let admin_only = |body: Value| {
        move |r: &Request| {
            if r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(ADMIN_KEY) {
                return ResponseTemplate::new(401).set_body_json(json!({"type": "error",
                    "error": {"type": "authentication_error", "message": "invalid x-api-key"}}));
            }
            ResponseTemplate::new(200).set_body_json(body.clone())
        }
    };
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(admin_only(org_limits()))
        .mount(&s)
        .await;
    let ws_limits = match batch_override {
        Some(v) => json!({"data": [{"type": "workspace_rate_limit", "workspace_id": "wrkspc_batch",
            "rate_limit_id": "rl_1",
            "group": {"id": "rlg_sonnet_4", "type": "model_group", "display_name": "Claude Sonnet 4.x"},
            "models": ["claude-sonnet-4-5", SONNET],
            "limits": [{"type": "input_tokens_per_minute_cache_aware", "value": v, "org_limit": 2000000,
                        "source": {"type": "workspace"}}]}], "next_page": null}),
        None => json!({"data": [], "next_page": null}),
    };
    Mock::given(method("GET"))
        .and(path(
            "/v1/organizations/workspaces/wrkspc_batch/rate_limits",
        ))
        .respond_with(admin_only(ws_limits))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/api_keys"))
        .respond_with(admin_only(api_keys()))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/workspaces"))
        .respond_with(admin_only(workspaces()))
        .mount(&s)
        .await;
    let (p1, p2) = pages();
    match report {
        Report::Documented => {
            Mock::given(method("GET"))
                .and(path("/v1/organizations/usage_report/messages"))
                .and(query_param("page", "page_2_opaque"))
                .respond_with(admin_only(p2))
                .with_priority(1)
                .mount(&s)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/organizations/usage_report/messages"))
                .respond_with(admin_only(p1))
                .with_priority(2)
                .mount(&s)
                .await;
        }
        Report::Status(code) => {
            let (kind, msg) = match code {
                401 => ("authentication_error", "invalid x-api-key"),
                403 => (
                    "permission_error",
                    "This endpoint requires an organization-level key",
                ),
                404 => ("not_found_error", "Not found"),
                _ => ("rate_limit_error", "Rate limited"),
            };
            Mock::given(method("GET"))
                .and(path("/v1/organizations/usage_report/messages"))
                .respond_with(
                    ResponseTemplate::new(code)
                        .insert_header("retry-after", "120")
                        .set_body_json(
                            json!({"type": "error", "error": {"type": kind, "message": msg}}),
                        ),
                )
                .mount(&s)
                .await;
        }
    }
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"id": "msg_01", "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Hi"}],
                    "usage": {"input_tokens": 9, "output_tokens": 1}}),
                )
                .insert_header("anthropic-ratelimit-input-tokens-limit", "2000000")
                .insert_header("anthropic-ratelimit-input-tokens-remaining", "1990000"),
        )
        .mount(&s)
        .await;
    s
}

/// The app's log: a success, then ITPM 429s in the 14:02 minute.
fn app_log(dir: &TempDir) -> PathBuf {
    let mut s = String::new();
    for (i, sec) in [1, 5, 9, 14, 20, 31].iter().enumerate() {
        let failed = i > 0;
        let line = json!({
            "ts": format!("2026-11-20T14:02:{sec:02}Z"),
            "method": "POST", "url": "https://api.anthropic.com/v1/messages",
            "status": if failed { 429 } else { 200 },
            "headers": {
                "anthropic-ratelimit-input-tokens-limit": "2000000",
                "anthropic-ratelimit-input-tokens-remaining": if failed { "0" } else { "40000" },
                "retry-after": "9"
            },
            "body": if failed {
                json!({"type": "error", "error": {"type": "rate_limit_error",
                    "message": "This request would exceed your organization's rate limit of 2,000,000 input tokens per minute (org: 4f1e3a2b-0000-4000-8000-00000000a429, model: claude-sonnet-4-5-20250929). For details, refer to: https://docs.claude.com/en/api/rate-limits."}})
            } else {
                json!({"type": "message", "usage": {"input_tokens": 30000, "output_tokens": 200}})
            },
            "request": {"model": "claude-sonnet-4-5", "max_tokens": 1024, "input_tokens": 30000}
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    let p = dir.path().join("app.jsonl");
    std::fs::write(&p, s).unwrap();
    p
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(base: &str, app_key: bool, args: &[&str]) -> Run {
    let mut c = crate::common::bin();
    c.env("COLUMNS", "200")
        .env("ANTHROPIC_BASE_URL", base)
        .env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .timeout(Duration::from_secs(60));
    if app_key {
        c.env("ANTHROPIC_API_KEY", APP_KEY);
    }
    let o = c.args(args).output().unwrap();
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    for k in [ADMIN_KEY, APP_KEY] {
        assert!(
            !r.out.contains(k) && !r.err.contains(k),
            "a key was printed"
        );
    }
    r
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.out, r.err))
}

/// `doc` matches `schema/<name>.schema.json`.
fn check_schema(name: &str, doc: &Value) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schema/{name}.schema.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
}

fn kinds(a: &Value) -> Vec<String> {
    a["conclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn report_queries(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/v1/organizations/usage_report/messages")
        .map(|r| r.url.query().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_live_names_the_batch_key_its_workspace_and_share_and_not_the_cache_reads() {
    let s = server(Report::Documented, None).await;
    let dir = TempDir::new().unwrap();
    let log = app_log(&dir);
    let base = s.uri();
    let logp = log.to_str().unwrap().to_string();
    let r = tokio::task::spawn_blocking(move || run(&base, true, &["diagnose", "--live", &logp]))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    // Shown with --nocapture: the report as a reader sees it.
    eprintln!("{}", r.out);
    // The peak minute, the limit, and the shares, in one line.
    assert!(
        r.out.contains("2026-11-20 14:02 UTC · Claude Sonnet 4.x input tokens: 1.97M of 2M per minute (99%) · etl-nightly (batch-jobs) 94% · web-app (Default workspace) [your key] 6%"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("Another key used the limit: etl-nightly in workspace batch-jobs had 94%"),
        "{}",
        r.out
    );
    assert!(r.out.contains("your key (web-app) had 6%"), "{}", r.out);
    assert!(
        r.out
            .contains("3,000,000 cache-read tokens in that minute did not count"),
        "{}",
        r.out
    );

    // Two report pages, each with the grouping and the widened window.
    let qs = report_queries(&s).await;
    assert_eq!(qs.len(), 2, "{qs:?}");
    for q in &qs {
        let decoded = q.replace("%5B%5D", "[]").replace("%3A", ":");
        for want in [
            "starting_at=2026-11-20T13:59:00Z",
            "ending_at=2026-11-20T14:06:00Z",
            "bucket_width=1m",
            "group_by[]=api_key_id",
            "group_by[]=workspace_id",
            "group_by[]=model",
        ] {
            assert!(decoded.contains(want), "{want} not in {decoded}");
        }
    }
    assert!(qs[1].contains("page=page_2_opaque"));

    // Markdown carries the same section.
    let base = s.uri();
    let logp = log.to_str().unwrap().to_string();
    let r = tokio::task::spawn_blocking(move || {
        run(
            &base,
            true,
            &["diagnose", "--live", "--format", "markdown", &logp],
        )
    })
    .await
    .unwrap();
    assert!(
        r.out.contains("**Who used the limit (usage report):**"),
        "{}",
        r.out
    );
    assert!(r.out.contains("`another_key_used_the_limit`"), "{}", r.out);

    // The same in JSON: sums per minute, the cache-read rule, the names and the limit.
    let base = s.uri();
    let logp = log.to_str().unwrap().to_string();
    let r = tokio::task::spawn_blocking(move || {
        run(&base, true, &["diagnose", "--live", "--json", &logp])
    })
    .await
    .unwrap();
    let v = json_of(&r);
    check_schema("diagnose", &v);
    let a = &v["live"]["attribution"];
    assert_eq!(a["status"], "read");
    assert_eq!(a["own_key_id"], "apikey_web");
    assert_eq!(a["own_key_name"], "web-app");
    // Only the failing class (Sonnet): the Haiku rows are in the report, not in this section.
    let series = a["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{series:#?}");
    let s0 = &series[0];
    assert_eq!(s0["group_id"], "rlg_sonnet_4");
    assert_eq!(s0["dimension"], "input_tokens");
    assert_eq!(s0["limiter"], "input_tokens_per_minute_cache_aware");
    assert_eq!(s0["limit_per_minute"], 2_000_000);
    assert_eq!(s0["scope"], "organization");
    assert_eq!(s0["cache_reads_counted"], false);
    let peaks = s0["peaks"].as_array().unwrap();
    assert_eq!(peaks[0]["start"], "2026-11-20T14:02:00Z");
    assert_eq!(peaks[0]["used"], 1_970_000);
    assert_eq!(peaks[0]["cache_read_not_counted"], 3_000_000);
    let c = peaks[0]["consumers"].as_array().unwrap();
    assert_eq!(c[0]["key_name"], "etl-nightly");
    assert_eq!(c[0]["workspace_name"], "batch-jobs");
    assert_eq!(c[0]["tokens"], 1_851_800);
    assert!((c[0]["share"].as_f64().unwrap() - 0.94).abs() < 0.001);
    assert_eq!(c[1]["key_name"], "web-app");
    assert_eq!(c[1]["workspace_id"], Value::Null);
    assert_eq!(c[1]["workspace_name"], "Default workspace");
    assert_eq!(c[1]["own_key"], true);
    // 14:01 is second (1,260,000 counted; its cache reads excluded), with the Console row.
    assert_eq!(peaks[1]["start"], "2026-11-20T14:01:00Z");
    assert_eq!(peaks[1]["used"], 1_260_000);
    assert!(
        peaks[1]["consumers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["api_key_id"].is_null()
                && c["label"].as_str().unwrap().starts_with("Console"))
    );
    let k = kinds(a);
    assert!(
        k.contains(&"another_key_used_the_limit".to_string()),
        "{k:?}"
    );
    assert!(k.contains(&"cache_reads_not_counted".to_string()), "{k:?}");
    assert!(
        a["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("calendar minute"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_since_lists_the_same_peak_minute_first_and_counts_haiku_cache_reads() {
    let s = server(Report::Documented, None).await;
    let base = s.uri();
    let r = tokio::task::spawn_blocking(move || {
        run(
            &base,
            false,
            &[
                "usage",
                "--since",
                "2026-11-20T13:59:00Z",
                "--until",
                "2026-11-20T14:06:00Z",
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    eprintln!("{}", r.out);
    let rows: Vec<&str> = r
        .out
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("2026-11-20 "))
        .collect();
    assert!(rows[0].starts_with("2026-11-20 14:02 UTC"), "{}", r.out);
    assert!(
        rows[0].contains("Claude Sonnet 4.x input tokens"),
        "{}",
        r.out
    );
    assert!(
        rows[0].contains("etl-nightly (batch-jobs) 94%"),
        "{}",
        r.out
    );
    // Without ANTHROPIC_API_KEY: the top consumer is named, whose key it is cannot be told.
    assert!(r.out.contains("[top_consumer]"), "{}", r.out);

    let base = s.uri();
    let r = tokio::task::spawn_blocking(move || {
        run(
            &base,
            false,
            &[
                "usage",
                "--since",
                "2026-11-20T13:59:00Z",
                "--until",
                "2026-11-20T14:06:00Z",
                "--json",
                "--group-by",
                "workspace",
            ],
        )
    })
    .await
    .unwrap();
    let v = json_of(&r);
    check_schema("usage", &v);
    assert_eq!(v["group_by"], "workspace");
    let series = v["series"].as_array().unwrap();
    assert_eq!(series[0]["group"], "Claude Sonnet 4.x");
    assert_eq!(series[0]["peaks"][0]["start"], "2026-11-20T14:02:00Z");
    let labels: Vec<&str> = series[0]["peaks"][0]["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["batch-jobs", "Default workspace"]);
    // Haiku 3.x: cache reads count (100,000 + 200,000 of 400,000).
    let haiku = series
        .iter()
        .find(|s| s["group"] == "Claude Haiku 3.x" && s["dimension"] == "input_tokens")
        .unwrap();
    assert_eq!(haiku["cache_reads_counted"], true);
    assert_eq!(haiku["limiter"], "input_tokens_per_minute");
    assert_eq!(haiku["peaks"][0]["used"], 300_000);
    assert_eq!(haiku["peaks"][0]["percent"], 75.0);
    // Output tokens are a series too.
    assert!(series.iter().any(|s| s["dimension"] == "output_tokens"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stricter_workspace_override_is_the_limit_that_applies() {
    let s = server(Report::Documented, Some(1_000_000)).await;
    let base = s.uri();
    let r = tokio::task::spawn_blocking(move || {
        run(
            &base,
            false,
            &[
                "usage",
                "--since",
                "2026-11-20T13:59:00Z",
                "--until",
                "2026-11-20T14:06:00Z",
                "--json",
            ],
        )
    })
    .await
    .unwrap();
    // 14:02 in batch-jobs: 1,851,800 against 1,000,000.
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    let v = json_of(&r);
    let ws = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == "workspace")
        .expect("a workspace series");
    assert_eq!(ws["workspace_id"], "wrkspc_batch");
    assert_eq!(ws["workspace_name"], "batch-jobs");
    assert_eq!(ws["limit_per_minute"], 1_000_000);
    assert_eq!(ws["peaks"][0]["used"], 1_851_800);
    assert_eq!(ws["buckets_at_limit"], 2);
    assert!(kinds(&v).contains(&"workspace_limit_reached".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_errors_are_explained_and_the_rest_of_the_report_prints() {
    for (code, words) in [
        (401, "needs an Admin API key"),
        (403, "workspace-scoped keys are refused"),
        (404, "individual accounts have no Admin API"),
        (429, "polling rate is once a minute"),
    ] {
        let s = server(Report::Status(code), None).await;
        let dir = TempDir::new().unwrap();
        let log = app_log(&dir);
        let base = s.uri();
        let logp = log.to_str().unwrap().to_string();
        let r =
            tokio::task::spawn_blocking(move || run(&base, false, &["diagnose", "--live", &logp]))
                .await
                .unwrap();
        // The causes and the rest of the live section print; the attribution says why not.
        assert_eq!(r.code, 1, "{code}: {}\n{}", r.out, r.err);
        assert!(r.out.contains("ITPM"), "{code}: {}", r.out);
        assert!(
            r.out.contains("configured (Rate Limits API):"),
            "{code}: {}",
            r.out
        );
        assert!(r.out.contains("[admin_access]"), "{code}: {}", r.out);
        assert!(r.out.contains(words), "{code}: {}", r.out);
        // A 429 with retry-after 120 is not waited for, and not retried.
        assert_eq!(report_queries(&s).await.len(), 1, "{code}");

        let base = s.uri();
        let r = tokio::task::spawn_blocking(move || run(&base, false, &["usage", "--since", "2h"]))
            .await
            .unwrap();
        assert_eq!(r.code, 3, "{code}: {}\n{}", r.out, r.err);
        assert!(r.err.contains(words), "{code}: {}", r.err);
    }
}

#[test]
fn bad_windows_are_usage_errors() {
    for args in [
        vec!["usage", "--since", "yesterday"],
        vec!["usage", "--since", "1h", "--until", "2h"],
        vec!["usage", "--since", "3d"],
    ] {
        let r = run("http://127.0.0.1:9", false, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.err);
    }
}

// ---------------------------------------------------------------------------------------------
// mock end to end

const SCENARIO: &str = r#"
name = "two-keys"
description = "A batch key and an app key share 40,000 input tokens per minute"

[[usage.workspace]]
id = "wrkspc_mock_batch"
name = "batch-jobs"

[[usage.key]]
contains = "ETLBATCH"
name = "etl-nightly"
workspace = "wrkspc_mock_batch"

[[usage.key]]
contains = "WEBAPP"
name = "web-app"

[[group]]
id = "rlg_mock_sonnet_4"
display_name = "Claude Sonnet 4.x"
models = ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"]
requests_per_minute = 1000
input_tokens_per_minute = 40000
output_tokens_per_minute = 90000
"#;

const ETL_KEY: &str = "sk-ant-api03-ETLBATCH-0011223344556677-abcd";

struct Mocked {
    child: Child,
    url: String,
}

impl Drop for Mocked {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mock(scenario: &Path) -> Mocked {
    let mut child = crate::common::std_bin()
        .args([
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--for",
            "90",
            "--scenario",
        ])
        .arg(scenario)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let url = line
        .split("listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim()
        .to_string();
    std::thread::spawn(move || {
        let mut sink = String::new();
        while err.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    Mocked { child, url }
}

fn prompt(prefix: &str, rest_tokens: usize, tag: usize) -> Value {
    let rest = format!("{tag:06} ").repeat(rest_tokens * 4 / 7);
    json!({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": [
        {"type": "text", "text": prefix, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": rest}]}]})
}

#[tokio::test(flavor = "multi_thread")]
async fn mock_end_to_end_two_keys_of_different_volume() {
    let dir = TempDir::new().unwrap();
    let sc = dir.path().join("two-keys.toml");
    std::fs::write(&sc, SCENARIO).unwrap();
    let m = start_mock(&sc);
    let http = reqwest::Client::new();
    let send = |key: &'static str, body: Value| {
        let http = http.clone();
        let url = format!("{}/v1/messages", m.url);
        async move {
            let r = http
                .post(url)
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            (status, headers, r.text().await.unwrap())
        }
    };
    // The batch job: four big requests with a shared cached prefix (written once, then read).
    let prefix = "You are a careful batch summariser. ".repeat(450);
    for i in 0..4 {
        let (st, _, body) = send(ETL_KEY, prompt(&prefix, 8000, i)).await;
        assert_eq!(st, 200, "{body}");
    }
    // The app: small requests, refused once the bucket is empty; its own log of them.
    let mut log = String::new();
    let mut refused = 0;
    for i in 0..8 {
        let (st, h, body) = send(APP_KEY, prompt("app", 1500, 100 + i)).await;
        if st == 429 {
            refused += 1;
        }
        let headers: serde_json::Map<String, Value> = h
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("anthropic-") || k.as_str() == "retry-after")
            .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap())))
            .collect();
        let line = json!({
            "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "status": st, "headers": headers,
            "body": serde_json::from_str::<Value>(&body).unwrap(),
            "request": {"model": "claude-sonnet-4-5", "max_tokens": 8}
        });
        log.push_str(&line.to_string());
        log.push('\n');
    }
    assert!(refused >= 2, "the app was not refused:\n{log}");
    let logp = dir.path().join("app.jsonl");
    std::fs::write(&logp, log).unwrap();

    let base = m.url.clone();
    let lp = logp.to_str().unwrap().to_string();
    let r = tokio::task::spawn_blocking(move || {
        run(&base, true, &["diagnose", "--live", "--json", &lp])
    })
    .await
    .unwrap();
    let v = json_of(&r);
    let a = &v["live"]["attribution"];
    assert_eq!(a["status"], "read", "{a:#}");
    assert_eq!(a["own_key_name"], "web-app", "{a:#}");
    // Names, and the declared workspace's (empty) override list, were all read.
    assert_eq!(a["notes"], json!([]), "{a:#}");
    let s0 = &a["series"][0];
    assert_eq!(s0["limit_per_minute"], 40_000);
    let top = &s0["peaks"][0]["consumers"][0];
    assert_eq!(top["key_name"], "etl-nightly", "{a:#}");
    assert_eq!(top["workspace_name"], "batch-jobs", "{a:#}");
    assert!(top["share"].as_f64().unwrap() > 0.7, "{a:#}");
    // The batch key read its prefix from cache three times: not counted.
    let reads: u64 = s0["peaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cache_read_not_counted"].as_u64().unwrap())
        .sum();
    assert!(reads > 0, "{a:#}");
    assert!(
        kinds(a).contains(&"another_key_used_the_limit".to_string()),
        "{a:#}"
    );
    // The report lags: the window ends now.
    assert!(
        a["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("report lag"))
    );
}

#[test]
fn a_usage_key_in_an_undeclared_workspace_is_refused() {
    let dir = TempDir::new().unwrap();
    let sc = dir.path().join("bad.toml");
    std::fs::write(
        &sc,
        "[[usage.key]]\ncontains = 'x'\nname = 'x'\nworkspace = 'wrkspc_nowhere'\n",
    )
    .unwrap();
    let o = crate::common::std_bin()
        .args([
            "mock",
            "--for",
            "1",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
        ])
        .arg(&sc)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrkspc_nowhere"));
}
