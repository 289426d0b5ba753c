//! `record`, `status` and `hook` against a loopback upstream that speaks the documented
//! Messages API: plain and streamed answers (events spaced in time), 429/529, an error event
//! inside a 200 stream. The proxy runs as the built binary; nothing leaves 127.0.0.1.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const KEY: &str = "sk-ant-api03-SECRETkeyDoNotLog0123456789abcdefghijklmnop";
const PROMPT: &str = "PROMPT-TEXT-never-in-records";
const COMPLETION: &str = "COMPLETION-TEXT-never-in-records";
/// Gap between streamed events.
const GAP: Duration = Duration::from_millis(400);

// ---------------------------------------------------------------------------------------
// The upstream.

/// What the upstream saw of the last request.
#[derive(Default)]
struct Seen {
    body: Vec<u8>,
    api_key: Option<String>,
    host: Option<String>,
}

/// A body that yields its events one by one, `GAP` apart.
struct Spaced {
    events: std::collections::VecDeque<Bytes>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for Spaced {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(s) = this.sleep.as_mut() {
            if s.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        match this.events.pop_front() {
            Some(e) => {
                if !this.events.is_empty() {
                    this.sleep = Some(Box::pin(tokio::time::sleep(GAP)));
                }
                Poll::Ready(Some(Ok(Frame::data(e))))
            }
            None => Poll::Ready(None),
        }
    }
}

use std::future::Future;

fn rl_headers(
    b: hyper::http::response::Builder,
    req_left: u64,
    in_left: u64,
) -> hyper::http::response::Builder {
    b.header("anthropic-ratelimit-requests-limit", "4000")
        .header(
            "anthropic-ratelimit-requests-remaining",
            req_left.to_string(),
        )
        .header("anthropic-ratelimit-requests-reset", "2099-01-01T00:00:00Z")
        .header("anthropic-ratelimit-input-tokens-limit", "2000000")
        .header(
            "anthropic-ratelimit-input-tokens-remaining",
            in_left.to_string(),
        )
        .header(
            "anthropic-ratelimit-input-tokens-reset",
            "2099-01-01T00:00:00Z",
        )
        .header("anthropic-ratelimit-output-tokens-limit", "400000")
        .header("anthropic-ratelimit-output-tokens-remaining", "400000")
        .header("request-id", "req_011CTestRequestId")
        .header(
            "anthropic-organization-id",
            "0b5a5a8e-0000-4000-8000-000000000000",
        )
        .header("set-cookie", "session=SECRETCOOKIE; Path=/")
}

fn message_json(model: &str) -> String {
    json!({"id": "msg_01Test", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": COMPLETION}], "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 1200, "cache_creation_input_tokens": 100,
                  "cache_read_input_tokens": 5000, "output_tokens": 42}})
    .to_string()
}

fn sse(event: &str, data: Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

fn stream_events(model: &str, error: bool) -> Vec<Bytes> {
    let mut ev = vec![
        sse(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_01S", "type": "message",
            "role": "assistant", "model": model, "content": [], "stop_reason": null,
            "usage": {"input_tokens": 900, "output_tokens": 1}}}),
        ),
        sse(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        sse(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": COMPLETION}}),
        ),
    ];
    if error {
        ev.push(sse(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ));
        return ev;
    }
    ev.push(sse(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    ev.push(sse(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn",
        "stop_sequence": null}, "usage": {"output_tokens": 77}}),
    ));
    ev.push(sse("message_stop", json!({"type": "message_stop"})));
    ev
}

type UpBody = http_body_util::Either<Spaced, http_body_util::Full<Bytes>>;

async fn answer(req: Request<hyper::body::Incoming>, seen: Arc<Mutex<Seen>>) -> Response<UpBody> {
    let scenario = req
        .headers()
        .get("x-scenario")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("ok")
        .to_string();
    let api_key = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    *seen.lock().unwrap() = Seen {
        body: body.to_vec(),
        api_key,
        host,
    };
    let model = v["model"]
        .as_str()
        .unwrap_or("claude-sonnet-4-5")
        .to_string();
    let full = |s: String| http_body_util::Either::Right(http_body_util::Full::new(Bytes::from(s)));
    let json_ct = |b: hyper::http::response::Builder| b.header("content-type", "application/json");
    match scenario.as_str() {
        "429" => rl_headers(json_ct(Response::builder().status(429)), 3990, 0)
            .header("retry-after", "17")
            .body(full(json!({"type": "error", "error": {"type": "rate_limit_error",
                "message": "This request would exceed the rate limit for your organization of 2,000,000 input tokens per minute."},
                "request_id": "req_011C429"}).to_string()))
            .unwrap(),
        "529" => json_ct(Response::builder().status(529))
            .body(full(json!({"type": "error", "error": {"type": "overloaded_error",
                "message": "Overloaded"}}).to_string()))
            .unwrap(),
        _ if v["stream"] == json!(true) => {
            rl_headers(Response::builder().status(200), 3998, 1_500_000)
                .header("content-type", "text/event-stream; charset=utf-8")
                .header("cache-control", "no-cache")
                .body(http_body_util::Either::Left(Spaced {
                    events: stream_events(&model, scenario == "sse-error").into(),
                    sleep: None,
                }))
                .unwrap()
        }
        _ => rl_headers(json_ct(Response::builder().status(200)), 3999, 1_990_000)
            .body(full(message_json(&model)))
            .unwrap(),
    }
}

struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

/// Starts the upstream on its own thread and runtime (it lives until the test process ends).
fn upstream() -> Upstream {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s2 = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let seen = s2.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let seen = seen.clone();
                        async move { Ok::<_, Infallible>(answer(req, seen).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    Upstream {
        addr: rx.recv().unwrap(),
        seen,
    }
}

// ---------------------------------------------------------------------------------------
// The proxy, as the built binary.

struct Proxy {
    child: Child,
    addr: String,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

/// The binary with a cleared environment.
fn bin() -> Command {
    crate::common::std_bin()
}

fn start_proxy(up: &Upstream, extra: &[&str]) -> Proxy {
    start_proxy_env(up, extra, &[])
}

fn start_proxy_env(up: &Upstream, extra: &[&str], env: &[(&str, &str)]) -> Proxy {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rec");
    let mut child = bin()
        .envs(env.iter().copied())
        .args(["record", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("http://{}", up.addr))
        .arg("--out")
        .arg(&dir)
        .args(extra)
        .env("CLAUDE_429_HISTORY", tmp.path().join("history.jsonl"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = crate::common::server::first_stderr_line(&mut child);
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("listening line")
        .to_string();
    assert!(line.contains("listening on"), "{line}");
    Proxy {
        child,
        addr,
        dir,
        _tmp: tmp,
    }
}

impl Proxy {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Ctrl-C; returns the exit code and what it printed on stdout (the failure lines).
    fn stop(self) -> (i32, String, PathBuf, tempfile::TempDir) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(ok.success());
        let out = self.child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            self.dir,
            self._tmp,
        )
    }
}

fn records(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            out.push(serde_json::from_str(line).unwrap());
        }
    }
    out
}

fn all_text(dir: &Path) -> String {
    let mut s = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        s.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    s
}

fn request_body(stream: bool) -> String {
    json!({"max_tokens": 1024, "messages": [{"role": "user", "content": PROMPT}],
           "model": "claude-sonnet-4-5-20250929", "stream": stream})
    .to_string()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

async fn post(base: &str, scenario: &str, stream: bool) -> reqwest::Response {
    client()
        .post(format!("{base}/v1/messages?beta=true"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header("x-scenario", scenario)
        .body(request_body(stream))
        .send()
        .await
        .unwrap()
}

/// Reads a body chunk by chunk: (bytes, time of the first chunk, time of the end).
async fn read_timed(mut r: reqwest::Response) -> (Vec<u8>, Instant, Instant) {
    let mut body = Vec::new();
    let mut first = None;
    while let Some(c) = r.chunk().await.unwrap() {
        first.get_or_insert_with(Instant::now);
        body.extend_from_slice(&c);
    }
    (body, first.unwrap_or_else(Instant::now), Instant::now())
}

fn wait_for_records(dir: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if dir.is_dir() && records(dir).len() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("fewer than {n} records in {}", dir.display());
}

// ---------------------------------------------------------------------------------------
// Tests.

#[tokio::test(flavor = "multi_thread")]
async fn plain_answers_pass_unchanged_and_the_record_holds_the_facts() {
    let up = upstream();
    let p = start_proxy(&up, &[]);
    let direct = post(&format!("http://{}", up.addr), "ok", false).await;
    let direct_headers = direct.headers().clone();
    let direct_body = direct.bytes().await.unwrap();
    let sent_direct = std::mem::take(&mut up.seen.lock().unwrap().body);

    let via = post(&p.url(), "ok", false).await;
    assert_eq!(via.status(), 200);
    for h in [
        "anthropic-ratelimit-requests-remaining",
        "request-id",
        "content-type",
        "set-cookie",
    ] {
        assert_eq!(via.headers().get(h), direct_headers.get(h), "{h}");
    }
    let via_body = via.bytes().await.unwrap();
    assert_eq!(via_body, direct_body, "answer bodies differ");
    {
        let seen = up.seen.lock().unwrap();
        assert_eq!(seen.body, sent_direct, "request bodies differ");
        assert_eq!(seen.api_key.as_deref(), Some(KEY), "the key is forwarded");
        assert_eq!(seen.host.as_deref(), Some(up.addr.to_string().as_str()));
    }

    wait_for_records(&p.dir, 1);
    let (code, _, dir, _tmp) = p.stop();
    assert_eq!(code, 0);
    let recs = records(&dir);
    assert_eq!(recs.len(), 1, "{recs:#?}");
    let r = &recs[0];
    assert_eq!(r["status"], 200);
    assert_eq!(r["method"], "POST");
    // The path without its query (a query may carry a key).
    assert!(r["url"].as_str().unwrap().ends_with("/v1/messages"));
    assert!(r["ts"].as_str().unwrap().ends_with('Z'));
    assert!(r["duration_ms"].as_f64().unwrap() > 0.0);
    assert!(r["ttfb_ms"].as_f64().unwrap() <= r["duration_ms"].as_f64().unwrap());
    assert_eq!(
        r["headers"]["anthropic-ratelimit-requests-remaining"],
        "3999"
    );
    assert!(r["headers"].get("set-cookie").is_none());
    assert_eq!(r["request"]["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(r["request"]["max_tokens"], 1024);
    assert_eq!(r["request"]["stream"], false);
    assert_eq!(r["request"]["bytes"], request_body(false).len());
    assert_eq!(r["request"]["input_tokens"], 1300);
    assert_eq!(r["usage"]["output_tokens"], 42);
    assert_eq!(r["body"]["usage"]["output_tokens"], 42);
    assert_eq!(r["body"]["model"], "claude-sonnet-4-5-20250929");
    assert!(r["body"].get("content").is_none());

    let text = all_text(&dir);
    for secret in [KEY, "SECRETkey", PROMPT, COMPLETION, "SECRETCOOKIE"] {
        assert!(!text.contains(secret), "record holds {secret}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for e in std::fs::read_dir(&dir).unwrap() {
            let mode = e.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn streamed_events_reach_the_client_as_they_arrive() {
    let up = upstream();
    let p = start_proxy(&up, &[]);
    let (direct, _, _) = read_timed(post(&format!("http://{}", up.addr), "ok", true).await).await;
    let start = Instant::now();
    let resp = post(&p.url(), "ok", true).await;
    assert_eq!(resp.status(), 200);
    let (body, first, end) = read_timed(resp).await;
    assert_eq!(body, direct, "stream bodies differ");
    // Six events, 400 ms apart: the first arrives about 2 s before the last (a proxy that
    // held the stream back would hand them over together). This is the proof; the bound on
    // the first event is only a hang guard, generous for a busy machine.
    let n = stream_events("m", false).len() as u32;
    let spread = end - first;
    assert!(
        spread >= GAP * (n - 2),
        "events were held back: first at {:?}, end at {:?}",
        first - start,
        end - start
    );
    assert!(
        first - start < Duration::from_secs(20),
        "first event late: {:?}",
        first - start
    );

    wait_for_records(&p.dir, 1);
    let (code, _, dir, _tmp) = p.stop();
    assert_eq!(code, 0);
    let r = &records(&dir)[0];
    assert_eq!(r["status"], 200);
    assert_eq!(r["request"]["stream"], true);
    assert_eq!(r["usage"]["input_tokens"], 900);
    assert_eq!(r["usage"]["output_tokens"], 77);
    assert_eq!(r["body"]["stop_reason"], "end_turn");
    assert_eq!(
        r["headers"]["anthropic-ratelimit-requests-remaining"],
        "3998"
    );
    assert!(r["ttfb_ms"].as_f64().unwrap() < r["duration_ms"].as_f64().unwrap() - 1000.0);
    assert!(r.get("stream_error").is_none());
    assert!(!all_text(&dir).contains(COMPLETION));
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_recorded_classified_live_and_diagnosed() {
    let up = upstream();
    let p = start_proxy(&up, &[]);
    for _ in 0..2 {
        let r = post(&p.url(), "429", false).await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "17");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["type"], "rate_limit_error");
    }
    let r = post(&p.url(), "529", false).await;
    assert_eq!(r.status(), 529);
    let _ = r.bytes().await;
    let r = post(&p.url(), "sse-error", true).await;
    assert_eq!(r.status(), 200);
    let (body, _, _) = read_timed(r).await;
    assert!(String::from_utf8_lossy(&body).contains("overloaded_error"));
    let _ = post(&p.url(), "ok", false).await.bytes().await;

    wait_for_records(&p.dir, 5);
    let (code, live, dir, _tmp) = p.stop();
    assert_eq!(code, 0);
    let lines: Vec<&str> = live.lines().collect();
    assert_eq!(lines.len(), 4, "one line per failure:\n{live}");
    assert!(
        lines[0].contains("429") && lines[0].contains("itpm"),
        "{live}"
    );
    assert!(lines[0].contains("retry after 17s"), "{live}");
    assert!(
        lines[2].contains("529") && lines[2].contains("overload"),
        "{live}"
    );
    assert!(
        lines[3].contains("error event in stream") && lines[3].contains("overload"),
        "{live}"
    );

    let recs = records(&dir);
    let sse = recs.iter().find(|r| r["stream_error"] == true).unwrap();
    assert_eq!(sse["status"], 200);
    assert!(sse["body"].as_str().unwrap().contains("overloaded_error"));
    let e429 = recs.iter().find(|r| r["status"] == 429).unwrap();
    assert_eq!(e429["body"]["error"]["type"], "rate_limit_error");
    assert_eq!(e429["headers"]["retry-after"], "17");

    // diagnose reads the record directory unchanged.
    let out = bin()
        .args(["diagnose", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let classes: Vec<&str> = v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes.first(), Some(&"itpm"), "{:#}", v["causes"]);
    assert!(classes.contains(&"overload"), "{classes:?}");

    let out = bin().args(["replay", "--json"]).arg(&dir).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["by_class"]["itpm"], 2, "{:#}", v["summary"]);
    assert_eq!(
        v["summary"]["by_class"]["overload"], 2,
        "{:#}",
        v["summary"]
    );
}

#[test]
fn a_non_loopback_address_needs_allow_remote() {
    let out = bin()
        .args(["record", "--listen", "0.0.0.0:0", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));

    let tmp = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["record", "--listen", "0.0.0.0:0", "--allow-remote", "--out"])
        .arg(tmp.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on http://0.0.0.0:"), "{line}");
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["record", "--upstream", "ftp://x"][..],
        &["record", "--max-size", "12"][..],
        &["record", "--keep", "0"][..],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn files_rotate_at_max_size_and_only_keep_are_kept() {
    let up = upstream();
    let p = start_proxy(&up, &["--max-size", "2K", "--keep", "3"]);
    for _ in 0..20 {
        let _ = post(&p.url(), "ok", false).await.bytes().await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let names: Vec<_> = std::fs::read_dir(&p.dir).unwrap().collect();
        if names.len() == 3 && records(&p.dir).len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, _, dir, _tmp) = p.stop();
    assert_eq!(code, 0);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        assert!(std::fs::metadata(f).unwrap().len() <= 2048, "{f:?}");
    }
    // Whole lines only, each a record.
    assert!(records(&dir).iter().all(|r| r["status"] == 200));
}

/// A loopback port nobody listens on.
fn dead_addr() -> std::net::SocketAddr {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    free.local_addr().unwrap()
}

/// A request through the proxy at `url` is answered 502 "upstream unreachable".
async fn assert_unreachable_502(url: &str) {
    let r = post(url, "ok", false).await;
    assert_eq!(r.status(), 502);
    let b: Value = r.json().await.unwrap();
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upstream unreachable")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_upstream_is_a_502_with_a_record() {
    let fake = Upstream {
        addr: dead_addr(),
        seen: Default::default(),
    };
    let p = start_proxy(&fake, &[]);
    assert_unreachable_502(&p.url()).await;
    wait_for_records(&p.dir, 1);
    let (code, live, dir, _tmp) = p.stop();
    assert_eq!(code, 0);
    assert!(live.contains("proxy:"), "{live}");
    let r = &records(&dir)[0];
    assert_eq!(r["status"], 502);
    assert!(r["proxy_error"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outgoing_proxy_from_the_environment_is_used_for_the_upstream() {
    // HTTP_PROXY names a port nobody listens on: the live upstream is not reached directly.
    let up = upstream();
    let proxy_url = format!("http://{}", dead_addr());
    let p = start_proxy_env(&up, &[], &[("HTTP_PROXY", proxy_url.as_str())]);
    assert_unreachable_502(&p.url()).await;
    let _ = p.stop();
    // Without it the same upstream answers.
    let p = start_proxy(&up, &[]);
    assert_eq!(post(&p.url(), "ok", false).await.status(), 200);
    let _ = p.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_hangs_up_mid_stream_is_recorded_as_cut_off() {
    let up = upstream();
    let p = start_proxy(&up, &[]);
    let mut r = post(&p.url(), "ok", true).await;
    let _ = r.chunk().await.unwrap();
    drop(r);
    wait_for_records(&p.dir, 1);
    let (_, _, dir, _tmp) = p.stop();
    let r = &records(&dir)[0];
    assert_eq!(r["incomplete"], "client_closed");
    assert_eq!(r["usage"]["input_tokens"], 900);
}

// ---------------------------------------------------------------------------------------
// status

fn write_records(dir: &Path, lines: &[Value]) {
    std::fs::create_dir_all(dir).unwrap();
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join(format!("{day}.jsonl")), text).unwrap();
}

fn ts(ago_s: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(ago_s))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn in_secs(s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(s))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn ok_record(model: &str, ago: i64, req_left: u64, in_left: u64) -> Value {
    json!({"ts": ts(ago), "method": "POST", "url": "https://api.anthropic.com/v1/messages",
        "status": 200, "headers": {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": req_left.to_string(),
            "anthropic-ratelimit-requests-reset": in_secs(2),
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": in_left.to_string(),
            "anthropic-ratelimit-input-tokens-reset": in_secs(40)},
        "request": {"model": model, "max_tokens": 1024, "stream": true, "bytes": 900}})
}

fn status(args: &[&str], stdin: &str) -> (i32, String) {
    use std::io::Write;
    let mut child = bin()
        .arg("status")
        .args(args)
        .env("NO_COLOR", "1")
        .env("CLAUDE_429_HISTORY", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn status_shows_requests_left_the_tightest_dimension_and_the_last_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rec");
    write_records(
        &dir,
        &[
            ok_record("claude-sonnet-4-5-20250929", 3600, 1, 1), // too old
            ok_record("claude-sonnet-4-5-20250929", 60, 48, 20000),
            ok_record("claude-opus-4-1", 50, 40, 29000),
            json!({"ts": ts(30), "status": 429, "headers": {"retry-after": "9",
                "anthropic-ratelimit-input-tokens-remaining": "0",
                "anthropic-ratelimit-input-tokens-limit": "30000"},
                "body": {"type": "error", "error": {"type": "rate_limit_error",
                "message": "This request would exceed the rate limit for your organization of 30,000 input tokens per minute."}},
                "request": {"model": "claude-sonnet-4-5-20250929"}}),
            ok_record("claude-sonnet-4-5-20250929", 10, 47, 3000),
        ],
    );
    let d = dir.to_str().unwrap();
    let (code, line) = status(&[d], "");
    assert_eq!(code, 0);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains("sonnet-4 req 47/50"), "{line}");
    assert!(line.contains("in 10% left"), "{line}");
    assert!(line.contains("(reset in "), "{line}");
    assert!(line.contains("opus-4 req 40/50"), "{line}");
    assert!(line.contains("last failure itpm"), "{line}");

    // Claude Code's statusline JSON on stdin: only the model it names.
    let sl = json!({"hook_event_name": "Status", "session_id": "abc",
        "transcript_path": "/tmp/t.jsonl", "cwd": "/tmp",
        "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
        "workspace": {"current_dir": "/tmp", "project_dir": "/tmp"},
        "version": "2.1.0", "output_style": {"name": "default"},
        "cost": {"total_cost_usd": 0.01}})
    .to_string();
    let (code, line) = status(&["-", "--dir", d], &sl);
    assert_eq!(code, 0);
    assert_eq!(line.trim_end(), "req 40/50 · in 97%");
    assert!(!line.contains("sonnet"), "{line}");

    let (code, out) = status(&[d, "--json"], "");
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let sonnet = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "sonnet-4")
        .unwrap();
    assert_eq!(sonnet["requests_remaining"], 47);
    assert_eq!(sonnet["tightest"]["name"], "input-tokens");
    assert_eq!(v["last_failure"]["class"], "itpm");
    assert_eq!(v["records"], 4);

    // No records: a calm line, exit 0 (a statusline must not fail).
    let (code, line) = status(&[tmp.path().join("none").to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert!(line.contains("no records"), "{line}");
    // Garbage on stdin is ignored.
    let (code, _) = status(&["-", "--dir", d], "\u{0}\u{1}not json");
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reads_what_record_wrote() {
    let up = upstream();
    let p = start_proxy(&up, &[]);
    let _ = post(&p.url(), "ok", false).await.bytes().await;
    wait_for_records(&p.dir, 1);
    let (_, _, dir, _tmp) = p.stop();
    let (code, line) = status(&[dir.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert!(line.contains("sonnet-4 req 3999/4000"), "{line}");
}

// ---------------------------------------------------------------------------------------
// hook

fn hook(input: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = bin()
        .arg("hook")
        .env("CLAUDE_429_HISTORY", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(crate::common::data("claude_code_hooks").join(name)).unwrap()
}

#[test]
fn hook_stop_failure_rate_limit_prints_class_and_fix() {
    let (code, out, err) = hook(&fixture("stop_failure_rate_limit.json"));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("claude-429: itpm"), "{out}");
    assert!(out.contains("fix: Turn on prompt caching"), "{out}");
    assert!(out.lines().count() <= 2, "{out}");
}

#[test]
fn hook_stop_failure_variants() {
    let (code, out, _) = hook(&fixture("stop_failure_error_type_rpm.json"));
    assert_eq!(code, 0);
    assert!(out.starts_with("claude-429: rpm"), "{out}");
    let (code, out, _) = hook(&fixture("stop_failure_overloaded.json"));
    assert_eq!(code, 0);
    assert!(out.starts_with("claude-429: overload"), "{out}");
    // Only the category: said, with less certainty.
    let (code, out, _) = hook(&fixture("stop_failure_bare.json"));
    assert_eq!(code, 0);
    assert!(out.starts_with("claude-429: "), "{out}");
    assert!(!out.contains("certain"), "{out}");
}

#[test]
fn hook_ignores_other_events_and_garbage() {
    for input in [
        fixture("stop.json"),
        fixture("pre_tool_use.json"),
        b"".to_vec(),
        b"not json at all".to_vec(),
        b"\x00\xff\xfe binary".to_vec(),
        b"{\"hook_event_name\": \"StopFailure\"".to_vec(),
        b"[1, 2, 3]".to_vec(),
        b"{\"hook_event_name\": 42}".to_vec(),
        b"{\"hook_event_name\": \"StopFailure\", \"error\": {\"deep\": [[[[]]]]}}".to_vec(),
        vec![b'{'; 100_000],
    ] {
        let (code, out, err) = hook(&input);
        assert_eq!(
            code,
            0,
            "{}",
            String::from_utf8_lossy(&input[..input.len().min(60)])
        );
        assert_eq!(
            out,
            "",
            "{}",
            String::from_utf8_lossy(&input[..input.len().min(60)])
        );
        assert_eq!(err, "");
    }
}
