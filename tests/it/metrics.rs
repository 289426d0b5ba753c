//! `record --metrics`: the exposition parses (a small parser here, and `promtool check
//! metrics` when it is installed), the headroom gauges follow the newest answer per model
//! class, failures are counted per class (429s and an error event inside a 200 stream), label
//! values stay bounded, and the alert rules and the Grafana dashboard use only served names.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::server::{self, Fault};

const KEY: &str = "sk-ant-api03-METRICSTESTKEYmetricstestkey0000000000000000000000000000-AAAAAAAA";

/// When a bucket of a scripted answer is full again.
fn in_secs(s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(s))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn rl(req_limit: u64, req_left: u64, in_left: u64) -> Vec<(&'static str, String)> {
    vec![
        ("anthropic-ratelimit-requests-limit", req_limit.to_string()),
        (
            "anthropic-ratelimit-requests-remaining",
            req_left.to_string(),
        ),
        ("anthropic-ratelimit-requests-reset", in_secs(30)),
        ("anthropic-ratelimit-input-tokens-limit", "100000".into()),
        (
            "anthropic-ratelimit-input-tokens-remaining",
            in_left.to_string(),
        ),
        ("anthropic-ratelimit-input-tokens-reset", in_secs(20)),
        ("request-id", "req_011CMetricsTestRequestId".into()),
    ]
}

/// The query value `s=` of the request line: which answer the script gives.
fn scenario(head: &str) -> (String, BTreeMap<String, String>) {
    let line = head.lines().next().unwrap_or_default();
    let q = line
        .split(' ')
        .nth(1)
        .and_then(|p| p.split_once('?'))
        .map(|x| x.1);
    let kv: BTreeMap<String, String> = q
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (kv.get("s").cloned().unwrap_or_default(), kv)
}

fn message(model: &str) -> Vec<u8> {
    json!({"type": "message", "id": "msg_01MetricsTest", "model": model, "role": "assistant",
           "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn",
           "usage": {"input_tokens": 12, "output_tokens": 7, "cache_read_input_tokens": 5,
                     "cache_creation_input_tokens": 3}})
    .to_string()
    .into_bytes()
}

/// The scripted upstream: `ok` (a 200 with the headers asked for in the query), `rpm` (a
/// 429 with no requests left), `stream_error` (a 200 stream that ends in an overloaded
/// error event), `slow` (a 200 stream whose headers come at once and whose end comes late).
fn upstream() -> Fault {
    server::serve(|_, head, s| {
        let (what, q) = scenario(head);
        let num = |k: &str, d: u64| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
        let model = q.get("m").cloned().unwrap_or("claude-sonnet-4-5".into());
        match what.as_str() {
            "ok" => {
                let mut h = rl(num("limit", 50), num("left", 40), num("in", 90000));
                h.push(("content-type", "application/json".into()));
                h.push(("anthropic-ratelimit-unified-5h-utilization", "0.42".into()));
                h.push(("anthropic-ratelimit-unified-7d-utilization", "0.93".into()));
                h.push(("anthropic-ratelimit-unified-5h-reset", "1900000000".into()));
                server::respond(s, "200 OK", &h, &message(&model));
            }
            "rpm" => {
                let mut h = rl(50, 0, 90000);
                h.push(("content-type", "application/json".into()));
                h.push(("retry-after", "7".into()));
                let body = json!({"type": "error", "error": {"type": "rate_limit_error",
                    "message": "This request would exceed your organization's rate limit of 50 requests per minute."}});
                server::respond(s, "429 Too Many Requests", &h, body.to_string().as_bytes());
            }
            "stream_error" => {
                let mut h = rl(50, 39, 89000);
                h.push(("content-type", "text/event-stream".into()));
                let body = format!(
                    "event: message_start\ndata: {}\n\nevent: error\ndata: {}\n\n",
                    json!({"type": "message_start", "message": {"id": "msg_01X", "type": "message",
                        "model": model, "usage": {"input_tokens": 4, "output_tokens": 1}}}),
                    json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
                );
                server::respond(s, "200 OK", &h, body.as_bytes());
            }
            "slow" => {
                // Headers and the first event now, the end in a while: an answer that began
                // before a later one and finishes after it.
                let mut head = String::from("HTTP/1.1 200 OK\r\nconnection: close\r\n");
                for (k, v) in rl(50, num("left", 45), 90000) {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str(
                    "content-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
                );
                let chunk = |s: &mut TcpStream, data: &str| {
                    let _ = write!(s, "{:x}\r\n{data}\r\n", data.len());
                    let _ = s.flush();
                };
                let _ = s.write_all(head.as_bytes());
                chunk(
                    s,
                    &format!(
                        "event: message_start\ndata: {}\n\n",
                        json!({"type": "message_start", "message": {"id": "msg_01Y",
                            "type": "message", "model": model,
                            "usage": {"input_tokens": 4, "output_tokens": 1}}})
                    ),
                );
                std::thread::sleep(Duration::from_millis(1500));
                chunk(
                    s,
                    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                );
                let _ = s.write_all(b"0\r\n\r\n");
            }
            _ => server::respond(s, "404 Not Found", &[], b"{}"),
        }
    })
}

struct Record {
    child: Child,
    proxy: String,
    metrics: String,
    _tmp: tempfile::TempDir,
}

impl Drop for Record {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `record --metrics 127.0.0.1:0` in front of `upstream`; reads both addresses from stderr.
fn start(upstream: &str, extra: &[&str]) -> Record {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = crate::common::std_bin()
        .args([
            "record",
            "--listen",
            "127.0.0.1:0",
            "--metrics",
            "127.0.0.1:0",
        ])
        .args(["--upstream", upstream, "--out"])
        .arg(tmp.path().join("rec"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let (mut proxy, mut metrics) = (None, None);
    let mut seen = String::new();
    while metrics.is_none() {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            panic!("record ended before it said where metrics are: {seen}");
        }
        seen.push_str(&line);
        let addr = || line.trim().rsplit("http://").next().map(str::to_string);
        if line.contains("listening on") {
            proxy = addr();
        } else if line.contains("metrics on") {
            metrics = addr();
        }
    }
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut err, &mut std::io::sink());
    });
    Record {
        child,
        proxy: format!("http://{}", proxy.expect("listening line")),
        metrics: format!("http://{}", metrics.unwrap()),
        _tmp: tmp,
    }
}

/// A plain HTTP/1.1 exchange over one connection: (status, body).
fn http(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches("/metrics");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nx-api-key: {KEY}\r\nanthropic-version: 2023-06-01\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut text);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
    (status, body.to_string())
}

fn ask(r: &Record, query: &str, model: &str) -> u16 {
    let body = json!({"model": model, "max_tokens": 16,
        "messages": [{"role": "user", "content": "a secret prompt: zebra-quartz"}]})
    .to_string();
    let host = r.proxy.trim_start_matches("http://").to_string();
    http(&host, "POST", &format!("/v1/messages?{query}"), &body).0
}

fn scrape(r: &Record) -> String {
    let host = r.metrics.trim_start_matches("http://").to_string();
    let (status, body) = http(&host, "GET", "/metrics", "");
    assert_eq!(status, 200, "{body}");
    body
}

/// Scrapes until `requests_total` adds up to `n` (records are observed off the request path).
fn scrape_after(r: &Record, n: f64) -> Exposition {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = scrape(r);
        let e = parse(&text);
        let total: f64 = e
            .values("claude_429_requests_total")
            .iter()
            .map(|x| x.1)
            .sum();
        if total >= n {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "{total} of {n} requests counted:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------
// A small parser for the Prometheus text format (0.0.4), strict enough to catch a broken
// exposition: HELP and TYPE before a family's samples, valid names and labels, float values,
// `_total` on counters, histogram buckets cumulative up to +Inf = _count.

#[derive(Debug, Default)]
struct Exposition {
    text: String,
    /// Family name -> type.
    types: BTreeMap<String, String>,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Exposition {
    fn values(&self, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        self.samples
            .iter()
            .filter(|s| s.0 == name)
            .map(|s| (s.1.clone(), s.2))
            .collect()
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| {
                s.0 == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.1.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.2)
    }

    fn families(&self) -> BTreeSet<String> {
        self.types.keys().cloned().collect()
    }
}

fn name_ok(n: &str) -> bool {
    let mut b = n.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

fn parse(text: &str) -> Exposition {
    let mut e = Exposition {
        text: text.to_string(),
        ..Default::default()
    };
    let mut helped = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let at = || format!("line {}: {line:?}", i + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(name_ok(name) && !help.is_empty(), "{}", at());
            assert!(helped.insert(name.to_string()), "second HELP, {}", at());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect("TYPE name type");
            assert!(name_ok(name), "{}", at());
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&ty),
                "{}",
                at()
            );
            assert!(helped.contains(name), "TYPE without HELP, {}", at());
            assert!(e.types.insert(name.into(), ty.into()).is_none(), "{}", at());
            continue;
        }
        assert!(!line.starts_with('#') || line.starts_with("# "), "{}", at());
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value, {}", at())),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((n, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{}", at()));
                (
                    n,
                    parse_labels(body).unwrap_or_else(|| panic!("labels, {}", at())),
                )
            }
        };
        assert!(name_ok(name), "{}", at());
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|s| name.strip_suffix(s))
            .find(|f| e.types.get(*f).map(String::as_str) == Some("histogram"))
            .unwrap_or(name);
        let ty = e
            .types
            .get(family)
            .unwrap_or_else(|| panic!("no TYPE, {}", at()));
        if ty == "counter" {
            assert!(name.ends_with("_total"), "counter without _total, {}", at());
            assert!(value >= 0.0, "{}", at());
        }
        if name.ends_with("_bucket") {
            assert!(labels.contains_key("le"), "{}", at());
        }
        e.samples.push((name.to_string(), labels, value));
    }
    // Histograms: cumulative buckets, +Inf equal to _count.
    for (fam, ty) in &e.types {
        if ty != "histogram" {
            continue;
        }
        let mut last = 0.0;
        let mut inf = None;
        for (l, v) in e.values(&format!("{fam}_bucket")) {
            assert!(v >= last, "{fam} buckets not cumulative");
            last = v;
            if l["le"] == "+Inf" {
                inf = Some(v);
            }
        }
        if let Some(inf) = inf {
            assert_eq!(Some(inf), e.value(&format!("{fam}_count"), &[]), "{fam}");
        }
    }
    e
}

/// `k="v",k2="v2"` with `\"`, `\\` and `\n` escapes.
fn parse_labels(body: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (k, after) = rest.split_once("=\"")?;
        if !name_ok(k) || k.starts_with("__") {
            return None;
        }
        let mut v = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => v.push('\n'),
                    c @ ('\\' | '"') => v.push(c),
                    _ => return None,
                },
                '"' => break i,
                c => v.push(c),
            }
        };
        out.insert(k.to_string(), v);
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Some(out)
}

/// `promtool` when installed (Debian: `apt-get install prometheus`).
fn promtool() -> Option<std::path::PathBuf> {
    let ok = crate::common::command("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
    }
    ok.then(|| "promtool".into())
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn counters_gauges_and_histograms_after_200s_429s_and_a_stream_error() {
    let up = upstream();
    let r = start(&up.url(), &[]);
    assert_eq!(ask(&r, "s=ok&left=40&in=90000", "claude-sonnet-4-5"), 200);
    assert_eq!(
        ask(&r, "s=ok&left=30&in=80000", "claude-sonnet-4-5-20250929"),
        200
    );
    for _ in 0..3 {
        assert_eq!(ask(&r, "s=rpm", "claude-sonnet-4-5"), 429);
    }
    assert_eq!(ask(&r, "s=stream_error", "claude-sonnet-4-5"), 200);
    assert_eq!(ask(&r, "s=ok&left=4&limit=5", "claude-opus-4-1"), 200);
    let e = scrape_after(&r, 7.0);

    let sonnet = "Claude Sonnet 4.x";
    let opus = "Claude Opus 4.x";
    let req = |status: &str, mc: &str| {
        e.value(
            "claude_429_requests_total",
            &[("status", status), ("model_class", mc)],
        )
    };
    assert_eq!(req("200", sonnet), Some(3.0), "{}", e.text);
    assert_eq!(req("429", sonnet), Some(3.0), "{}", e.text);
    assert_eq!(req("200", opus), Some(1.0), "{}", e.text);
    let fail = |class: &str, mc: &str| {
        e.value(
            "claude_429_failures_total",
            &[("class", class), ("model_class", mc)],
        )
    };
    assert_eq!(fail("rpm", sonnet), Some(3.0), "{}", e.text);
    assert_eq!(
        fail("overload", sonnet),
        Some(1.0),
        "the error event inside a 200 stream\n{}",
        e.text
    );
    // Every class starts at 0 (so the first failure of a class is an increase).
    assert_eq!(fail("itpm", sonnet), Some(0.0), "{}", e.text);
    assert_eq!(fail("rpm", opus), Some(0.0), "{}", e.text);
    let failures: f64 = e
        .values("claude_429_failures_total")
        .iter()
        .map(|x| x.1)
        .sum();
    assert_eq!(failures, 4.0, "{}", e.text);

    // The gauges show the newest answer per model class; the 429's headers are newest for
    // Sonnet (no requests left), the stream's came after them.
    let g =
        |name: &str, mc: &str, dim: &str| e.value(name, &[("model_class", mc), ("dimension", dim)]);
    assert_eq!(
        g("claude_429_ratelimit_remaining", sonnet, "requests"),
        Some(39.0),
        "{}",
        e.text
    );
    assert_eq!(
        g("claude_429_ratelimit_remaining", sonnet, "input_tokens"),
        Some(89000.0)
    );
    assert_eq!(
        g("claude_429_ratelimit_limit", sonnet, "requests"),
        Some(50.0)
    );
    let u = g("claude_429_ratelimit_utilization_ratio", sonnet, "requests").unwrap();
    assert!((u - 0.22).abs() < 1e-9, "{u}");
    assert_eq!(
        g("claude_429_ratelimit_remaining", opus, "requests"),
        Some(4.0)
    );
    let u = g("claude_429_ratelimit_utilization_ratio", opus, "requests").unwrap();
    assert!((u - 0.2).abs() < 1e-9, "{u}");
    let reset = g("claude_429_ratelimit_reset_seconds", sonnet, "requests").unwrap();
    assert!(reset > 0.0 && reset <= 30.0, "{reset}");

    // Subscription windows.
    let w = |win: &str| {
        e.value(
            "claude_429_subscription_window_utilization_ratio",
            &[("window", win)],
        )
    };
    assert_eq!(w("5h"), Some(0.42));
    assert_eq!(w("7d"), Some(0.93));

    // Tokens, by direction (3 sonnet answers and 1 opus answer had usage).
    let t = |d: &str, mc: &str| {
        e.value(
            "claude_429_tokens_total",
            &[("direction", d), ("model_class", mc)],
        )
    };
    assert_eq!(t("input", sonnet), Some(12.0 * 2.0 + 4.0), "{}", e.text);
    assert_eq!(t("output", opus), Some(7.0));
    assert_eq!(t("cache_read", sonnet), Some(10.0));
    assert_eq!(t("cache_write", sonnet), Some(6.0));

    // Histograms.
    assert_eq!(
        e.value("claude_429_retry_after_seconds_count", &[]),
        Some(3.0)
    );
    assert_eq!(
        e.value("claude_429_retry_after_seconds_sum", &[]),
        Some(21.0)
    );
    assert_eq!(
        e.value("claude_429_request_duration_seconds_count", &[]),
        Some(7.0)
    );
    assert_eq!(
        e.value("claude_429_time_to_first_byte_seconds_count", &[]),
        Some(7.0)
    );

    // Nothing of the request in the exposition.
    for secret in [KEY, "zebra", "req_011", "msg_01", "claude-sonnet-4-5"] {
        assert!(!e.text.contains(secret), "{secret} in:\n{}", e.text);
    }
}

#[test]
fn gauges_keep_the_newest_answer_when_an_older_one_finishes_last() {
    let up = upstream();
    let r = start(&up.url(), &[]);
    let slow = {
        let proxy = r.proxy.clone();
        std::thread::spawn(move || {
            let body = json!({"model": "claude-haiku-4-5", "max_tokens": 8, "stream": true,
                "messages": []})
            .to_string();
            http(
                proxy.trim_start_matches("http://"),
                "POST",
                "/v1/messages?s=slow&left=45",
                &body,
            )
            .0
        })
    };
    // The slow answer's headers are in; the later answer comes and goes while it streams.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ask(&r, "s=ok&left=20", "claude-haiku-4-5"), 200);
    let e = scrape_after(&r, 1.0);
    let g = |e: &Exposition| {
        e.value(
            "claude_429_ratelimit_remaining",
            &[
                ("model_class", "Claude Haiku 4.x"),
                ("dimension", "requests"),
            ],
        )
    };
    assert_eq!(g(&e), Some(20.0), "{}", e.text);
    assert_eq!(slow.join().unwrap(), 200);
    let e = scrape_after(&r, 2.0);
    assert_eq!(
        g(&e),
        Some(20.0),
        "the older answer ended last but is not newer:\n{}",
        e.text
    );
}

#[test]
fn label_values_stay_bounded() {
    let up = upstream();
    let r = start(&up.url(), &[]);
    let mut n = 0.0;
    for i in 0..40 {
        assert_eq!(ask(&r, "s=ok", &format!("claude-sonnet-{i}")), 200);
        n += 1.0;
    }
    for model in [
        "gpt-4o",
        "sk-ant-api03-notakey",
        "claude-foo-bar-9",
        "",
        "x\"y\\z\n",
    ] {
        ask(&r, "s=ok", model);
        n += 1.0;
    }
    ask(&r, "s=nothing-here", "claude-sonnet-4-5");
    n += 1.0;
    let e = scrape_after(&r, n);
    let mut classes = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for (name, labels, _) in &e.samples {
        for (k, v) in labels {
            match k.as_str() {
                "model_class" => {
                    classes.insert(v.clone());
                }
                "status" => {
                    statuses.insert(v.clone());
                }
                "dimension" => assert!(
                    ["requests", "input_tokens", "output_tokens", "tokens"].contains(&v.as_str()),
                    "{v}"
                ),
                "direction" => assert!(
                    ["input", "output", "cache_read", "cache_write"].contains(&v.as_str()),
                    "{v}"
                ),
                "window" => assert!(v.len() <= 16, "{v}"),
                "class" | "le" => {}
                other => panic!("unexpected label {other} on {name}"),
            }
        }
    }
    assert!(classes.len() <= 17, "{classes:?}");
    assert!(classes.contains("other"), "{classes:?}");
    for c in &classes {
        assert!(c == "other" || c.starts_with("Claude "), "{c}");
        assert!(
            !c.contains("sk-ant") && !c.contains('"') && !c.contains('\n'),
            "{c}"
        );
    }
    assert_eq!(
        statuses,
        ["200", "404"].iter().map(|s| s.to_string()).collect(),
        "{}",
        e.text
    );
    let failure_classes: BTreeSet<String> = e
        .values("claude_429_failures_total")
        .into_iter()
        .map(|(l, _)| l["class"].clone())
        .collect();
    assert!(failure_classes.len() <= 14, "{failure_classes:?}");
}

#[test]
fn the_metrics_listener_answers_only_metrics_and_needs_allow_remote_off_loopback() {
    let up = upstream();
    let r = start(&up.url(), &[]);
    let host = r.metrics.trim_start_matches("http://").to_string();
    assert_eq!(http(&host, "GET", "/", "").0, 404);
    assert_eq!(http(&host, "POST", "/metrics", "x").0, 405);
    let (status, body) = http(&host, "GET", "/metrics", "");
    assert_eq!(status, 200);
    // Before any traffic: the descriptions only, and still a valid exposition.
    parse(&body);

    let out = crate::common::bin()
        .args([
            "record",
            "--listen",
            "127.0.0.1:0",
            "--metrics",
            "0.0.0.0:0",
        ])
        .args(["--upstream", &up.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
    let out = crate::common::bin()
        .args(["record", "--metrics", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every `claude_429_*` name an alert or a dashboard panel uses.
fn names_used(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("claude_429_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        out.insert(family.to_string());
        rest = &tail[end..];
    }
    out
}

/// A served exposition with every metric family in it.
fn full_exposition() -> (Exposition, Record, Fault) {
    let up = upstream();
    let r = start(&up.url(), &[]);
    ask(&r, "s=ok", "claude-sonnet-4-5");
    ask(&r, "s=rpm", "claude-sonnet-4-5");
    let e = scrape_after(&r, 2.0);
    (e, r, up)
}

#[test]
fn the_dashboard_and_the_alerts_use_only_served_metrics() {
    let (e, _r, _up) = full_exposition();
    let families = e.families();
    assert_eq!(families.len(), 11, "{families:?}");

    let root = crate::common::root();
    let dash: Value = serde_json::from_slice(
        &std::fs::read(root.join("contrib/grafana/claude-429.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    assert!(dash["title"].is_string() && dash["panels"].is_array());
    let mut exprs = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if (k == "expr" || k == "query") && v.is_string() {
                        out.push(v.as_str().unwrap().to_string());
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&dash, &mut exprs);
    assert!(exprs.len() >= 6, "{exprs:?}");
    let used = names_used(&exprs.join("\n"));
    assert!(used.len() >= 8, "{used:?}");
    for n in &used {
        assert!(
            families.contains(n),
            "the dashboard uses {n}, not served: {families:?}"
        );
    }
    for panel in dash["panels"].as_array().unwrap() {
        assert!(panel["title"].is_string(), "{panel}");
    }

    let alerts = std::fs::read_to_string(root.join("contrib/prometheus/alerts.yml")).unwrap();
    let used = names_used(&alerts);
    for n in [
        "claude_429_ratelimit_utilization_ratio",
        "claude_429_failures_total",
        "claude_429_subscription_window_utilization_ratio",
    ] {
        assert!(used.contains(n), "{n} not in the alerts");
    }
    for n in &used {
        assert!(families.contains(n), "the alerts use {n}, not served");
    }
}

#[test]
fn promtool_accepts_the_exposition_and_the_alert_rules() {
    let Some(promtool) = promtool() else {
        return;
    };
    let (e, _r, _up) = full_exposition();
    let mut child = crate::common::command(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(e.text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        e.text
    );
    let out = crate::common::command(&promtool)
        .args(["check", "rules"])
        .arg(crate::common::root().join("contrib/prometheus/alerts.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
