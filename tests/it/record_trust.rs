//! `record` as a hostile or broken upstream and hostile clients would try it: an upstream
//! that echoes the request (keys, tokens, query, prompt) in its error bodies, headers, SSE
//! events and 200 fields; a file-size limit below the records' size; idle connections past
//! the cap; bodies of repeated keys; clients that give up early; Ctrl-C mid-stream. The proxy
//! runs as the built binary; nothing leaves 127.0.0.1.

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
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

// Canaries: none of them may reach a record file, stdout or stderr.
const API_KEY: &str = "plainKEYcanary-7Hq2Lw9Xv4Rt";
const ANT_KEY: &str = "sk-ant-api03-ANTkeyCanary0123456789abcdefghij";
const BEARER: &str = "bearerTOKENcanary-Jp5Mz8Qn1Ws";
const QUERY_KEY: &str = "AIzaQUERYcanary6Vb3Nc0Xk";
const CUSTOM_AUTH: &str = "customAUTHcanary-Tf4Gh7Jk2Lm";
const PROMPT: &str = "PROMPTcanaryZebraQuokka the user asked about tokens";
const SYSTEM: &str = "SYSTEMcanaryOcelotNarwhal you are terse";
const CANARIES: &[&str] = &[
    API_KEY,
    "ANTkeyCanary",
    BEARER,
    QUERY_KEY,
    CUSTOM_AUTH,
    "PROMPTcanary",
    "ZebraQuokka",
    "SYSTEMcanary",
    "OcelotNarwhal",
];

// ---------------------------------------------------------------------------------------
// The upstream: an echoing, misbehaving fake API.

/// A body produced piece by piece: `gap` between pieces, `pieces` in all.
struct Gen {
    next: Box<dyn FnMut(u64) -> Option<Bytes> + Send>,
    n: u64,
    gap: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for Gen {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        use std::future::Future;
        let this = self.get_mut();
        if let Some(s) = this.sleep.as_mut() {
            if s.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        let piece = (this.next)(this.n);
        this.n += 1;
        if piece.is_some() && !this.gap.is_zero() {
            this.sleep = Some(Box::pin(tokio::time::sleep(this.gap)));
        }
        Poll::Ready(piece.map(|b| Ok(Frame::data(b))))
    }
}

type UpBody = http_body_util::Either<Gen, http_body_util::Full<Bytes>>;

fn full(s: impl Into<Bytes>) -> UpBody {
    http_body_util::Either::Right(http_body_util::Full::new(s.into()))
}

fn sse(event: &str, data: Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// Everything the request carried, as text an upstream might echo.
fn echo_of(req_headers: &hyper::HeaderMap, query: &str, body: &[u8]) -> String {
    let mut s = String::new();
    for (k, v) in req_headers {
        s.push_str(&format!("{k}: {} ", String::from_utf8_lossy(v.as_bytes())));
    }
    s.push_str(&format!(
        "query {query} body {}",
        String::from_utf8_lossy(body)
    ));
    s
}

async fn answer(req: Request<hyper::body::Incoming>) -> Response<UpBody> {
    let scenario = req
        .headers()
        .get("x-scenario")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("ok")
        .to_string();
    let headers = req.headers().clone();
    let query = req.uri().query().unwrap_or_default().to_string();
    let (_, mut incoming) = req.into_parts();
    // Read the body without keeping more than the first MB (big bodies are only counted).
    let mut body = Vec::new();
    while let Some(f) = incoming.frame().await {
        let Ok(f) = f else { break };
        if let Some(d) = f.data_ref()
            && body.len() < 1 << 20
        {
            body.extend_from_slice(d);
        }
    }
    let echo = echo_of(&headers, &query, &body);
    let req_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut b = Response::builder();
    // Every request header comes back, under its own name and as `x-echo-*`; the allowed
    // header names carry the credentials too.
    for (k, v) in &headers {
        b = b.header(format!("x-echo-{k}"), v.clone());
    }
    let key = headers
        .get("x-api-key")
        .cloned()
        .unwrap_or(hyper::header::HeaderValue::from_static("none"));
    b = b
        .header("request-id", key.clone())
        .header("anthropic-ratelimit-requests-remaining", "3999")
        .header("anthropic-ratelimit-input-tokens-remaining", key.clone())
        .header("retry-after", "7")
        .header("x-should-retry", "true");
    if let Some(a) = headers.get("authorization") {
        b = b.header("anthropic-ratelimit-tokens-reset", a.clone());
    }
    let json = |b: hyper::http::response::Builder| b.header("content-type", "application/json");
    match scenario.as_str() {
        "json400" => json(b.status(400))
            .body(full(
                json!({"type": "error", "error": {"type": "invalid_request_error",
                    "message": format!("bad request: {echo}")},
                    "request": req_json, "echo": echo, "request_id": "req_011Cjson400"})
                .to_string(),
            ))
            .unwrap(),
        "json429" => json(b.status(429))
            .body(full(
                json!({"type": "error", "error": {"type": "rate_limit_error",
                    "message": format!("This request would exceed the rate limit for your organization of 30,000 input tokens per minute. Request was: {echo}")}})
                .to_string(),
            ))
            .unwrap(),
        "text500" => b
            .status(500)
            .header("content-type", "text/plain")
            .body(full(format!("internal error while handling {echo}")))
            .unwrap(),
        "sse" => {
            let events = [
                sse("message_start", json!({"type": "message_start", "message": {
                    "id": API_KEY, "type": "message", "model": req_json["system"],
                    "content": [], "usage": {"input_tokens": 12, "output_tokens": 1,
                    "echo_tokens": echo}}})),
                sse("message_delta", json!({"type": "message_delta",
                    "delta": {"stop_reason": PROMPT}, "usage": {"output_tokens": 5, PROMPT: 1}})),
                sse("error", json!({"type": "error", "error": {"type": "overloaded_error",
                    "message": format!("Overloaded; request was {echo}")}, "echo": echo})),
            ];
            b.status(200)
                .header("content-type", "text/event-stream")
                .body(http_body_util::Either::Left(Gen {
                    next: Box::new(move |i| events.get(i as usize).cloned().map(Bytes::from)),
                    n: 0,
                    gap: Duration::ZERO,
                    sleep: None,
                }))
                .unwrap()
        }
        "ok200" => json(b.status(200))
            .body(full(
                json!({"type": "message", "id": BEARER, "model": SYSTEM,
                    "role": "assistant", "content": [{"type": "text", "text": echo}],
                    "stop_reason": PROMPT,
                    "usage": {"input_tokens": 21, "output_tokens": 3, "echo": echo,
                              "cache_read_input_tokens": API_KEY}})
                .to_string(),
            ))
            .unwrap(),
        "redirect" => b
            .status(307)
            .header(
                "location",
                format!("https://elsewhere.invalid/v1/messages?{query}&auth={CUSTOM_AUTH}"),
            )
            .body(full(""))
            .unwrap(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json(b.status(200)).body(full("{}")).unwrap()
        }
        "spaced" => {
            // Five events 400 ms apart, then the end.
            let ev = |i: u64| match i {
                0 => Some(sse(
                    "message_start",
                    json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                        "model": "claude-sonnet-4-5", "usage": {"input_tokens": 9, "output_tokens": 1}}}),
                )),
                1..=4 => Some(sse(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}}),
                )),
                5 => Some(sse("message_stop", json!({"type": "message_stop"}))),
                _ => None,
            };
            Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .body(http_body_util::Either::Left(Gen {
                    next: Box::new(move |i| ev(i).map(Bytes::from)),
                    n: 0,
                    gap: Duration::from_millis(400),
                    sleep: None,
                }))
                .unwrap()
        }
        "newkeys" => {
            // A JSON answer of ever-new top-level keys, `RECORD_TRUST_MB` MB (default 24).
            let mb: u64 = std::env::var("RECORD_TRUST_MB")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(24);
            let pieces = mb * 16; // 64 KB each
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(http_body_util::Either::Left(Gen {
                    next: Box::new(move |i| {
                        if i > pieces {
                            return None;
                        }
                        if i == pieces {
                            return Some(Bytes::from_static(b"\"type\":\"message\"}"));
                        }
                        let mut s = String::with_capacity(66_000);
                        if i == 0 {
                            s.push('{');
                        }
                        let mut k = 0u64;
                        while s.len() < 65_000 {
                            s.push_str(&format!(
                                "\"usage{i}_{k}\":{{\"input_tokens\":{k}}},\"model{i}x{k}\":\"m\","
                            ));
                            k += 1;
                        }
                        Some(Bytes::from(s))
                    }),
                    n: 0,
                    gap: Duration::ZERO,
                    sleep: None,
                }))
                .unwrap()
        }
        _ => json(Response::builder().status(200))
            .header("anthropic-ratelimit-requests-remaining", "3999")
            .body(full(
                json!({"type": "message", "id": "msg_01", "model": "claude-sonnet-4-5",
                    "content": [], "stop_reason": "end_turn",
                    "usage": {"input_tokens": 4, "output_tokens": 2}})
                .to_string(),
            ))
            .unwrap(),
    }
}

/// Starts the upstream on its own thread (it lives until the test process ends).
fn upstream() -> SocketAddr {
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
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(|req| async move {
                        Ok::<_, Infallible>(answer(req).await)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

// ---------------------------------------------------------------------------------------
// The proxy, as the built binary.

struct Proxy {
    child: Child,
    addr: String,
    dir: PathBuf,
    /// Everything it printed on stderr (read by a thread until it exits).
    stderr: Arc<Mutex<String>>,
    _tmp: Option<tempfile::TempDir>,
}

fn bin() -> PathBuf {
    crate::common::exe()
}

/// Starts `record` towards `up`, writing to `dir` (a fresh temporary one when `None`);
/// `shell` is run before `exec` (e.g. `ulimit -f 4`).
fn start(up: SocketAddr, dir: Option<PathBuf>, extra: &[&str], shell: &str) -> Proxy {
    let (tmp, dir) = match dir {
        Some(d) => (None, d),
        None => {
            let t = tempfile::tempdir().unwrap();
            let d = t.path().join("rec");
            (Some(t), d)
        }
    };
    let mut args: Vec<String> = vec![
        "record".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--upstream".into(),
        format!("http://{up}"),
        "--out".into(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{shell}\nexec \"$0\" \"$@\""))
        .arg(bin())
        .args(&args)
        .env_clear()
        .env("CLAUDE_429_HISTORY", "off")
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let stderr = Arc::new(Mutex::new(String::new()));
    let addr;
    loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            panic!("record exited early: {}", stderr.lock().unwrap());
        }
        stderr.lock().unwrap().push_str(&line);
        if line.contains("listening on") {
            addr = line.trim().rsplit("http://").next().unwrap().to_string();
            break;
        }
    }
    let s2 = stderr.clone();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = err.read_to_string(&mut rest);
        s2.lock().unwrap().push_str(&rest);
    });
    Proxy {
        child,
        addr,
        dir,
        stderr,
        _tmp: tmp,
    }
}

struct Stopped {
    code: i32,
    stdout: String,
    stderr: String,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Proxy {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn interrupt(&self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    /// Ctrl-C, then wait for the exit.
    fn stop(self) -> Stopped {
        self.interrupt();
        self.wait()
    }

    fn wait(self) -> Stopped {
        let out = self.child.wait_with_output().unwrap();
        // The stderr thread ends with the process.
        std::thread::sleep(Duration::from_millis(100));
        Stopped {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: self.stderr.lock().unwrap().clone(),
            dir: self.dir,
            _tmp: self._tmp,
        }
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
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "a half-written line in {f:?}"
        );
        for line in text.lines() {
            out.push(serde_json::from_str(line).expect("every line a whole record"));
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

fn wait_for_records(dir: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if dir.is_dir() && records(dir).len() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("fewer than {n} records in {}", dir.display());
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn request_body(stream: bool) -> String {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "system": SYSTEM,
           "messages": [{"role": "user", "content": PROMPT}], "stream": stream})
    .to_string()
}

/// A request carrying every kind of credential and the prompt canaries.
async fn hostile_post(base: &str, scenario: &str, key: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/v1/messages?beta=true&key={QUERY_KEY}"))
        .header("x-api-key", key)
        .header("authorization", format!("Bearer {BEARER}"))
        .header("x-gateway-auth", CUSTOM_AUTH)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header("x-scenario", scenario)
        .body(request_body(scenario == "sse"))
        .send()
        .await
        .unwrap()
}

fn assert_clean(what: &str, text: &str) {
    for c in CANARIES {
        assert!(!text.contains(c), "{what} holds {c}:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------
// Tests.

#[tokio::test(flavor = "multi_thread")]
async fn an_echoing_upstream_leaves_no_secret_in_records_stdout_or_stderr() {
    let up = upstream();
    let p = start(up, None, &[], "");
    let scenarios = ["json400", "json429", "text500", "sse", "ok200", "redirect"];
    for key in [API_KEY, ANT_KEY] {
        for s in scenarios {
            let r = hostile_post(&p.url(), s, key).await;
            let status = r.status().as_u16();
            let body = r.bytes().await.unwrap();
            // The traffic itself passes unchanged: the echo reaches the client.
            if s == "json400" {
                assert_eq!(status, 400);
                assert!(String::from_utf8_lossy(&body).contains("PROMPTcanary"));
            }
            if s == "redirect" {
                assert_eq!(status, 307);
            }
        }
    }
    wait_for_records(&p.dir, 2 * scenarios.len());
    let out = p.stop();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_clean("the record files", &all_text(&out.dir));
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);

    // What a diagnosis needs is still there.
    let recs = records(&out.dir);
    let r429 = recs.iter().find(|r| r["status"] == 429).unwrap();
    assert_eq!(r429["body"]["error"]["type"], "rate_limit_error");
    let msg = r429["body"]["error"]["message"].as_str().unwrap();
    assert!(msg.contains("30,000 input tokens per minute"), "{msg}");
    assert_eq!(r429["headers"]["retry-after"], "7");
    assert_eq!(
        r429["headers"]["anthropic-ratelimit-requests-remaining"],
        "3999"
    );
    assert!(
        r429["headers"].get("request-id").is_none(),
        "{}",
        r429["headers"]
    );
    assert!(r429["url"].as_str().unwrap().ends_with("/v1/messages"));
    let ok = recs
        .iter()
        .find(|r| r["status"] == 200 && r["stream_error"] != true)
        .unwrap();
    assert_eq!(ok["usage"], json!({"input_tokens": 21, "output_tokens": 3}));
    assert_eq!(ok["request"]["model"], "claude-sonnet-4-5");
    let sse = recs.iter().find(|r| r["stream_error"] == true).unwrap();
    assert!(sse["body"].as_str().unwrap().contains("overloaded_error"));
    assert_eq!(
        sse["usage"],
        json!({"input_tokens": 12, "output_tokens": 5})
    );
    let redirect = recs.iter().find(|r| r["status"] == 307).unwrap();
    assert!(redirect["headers"].get("location").is_none());
    // The failures were printed live, classified.
    assert!(out.stdout.contains("itpm"), "{}", out.stdout);
    assert!(out.stdout.contains("overload"), "{}", out.stdout);
}

#[test]
fn upstream_urls_are_checked_like_the_api_clients() {
    for (url, want) in [
        ("https://user:hunter2pass@api.example.com", "credentials"),
        ("https://api.example.com/?key=QUERYSECRET42", "query"),
        ("https://api.example.com/#frag", "fragment"),
        ("https://api.example.com/v1", "/v1"),
        ("http://10.1.2.3:8080", "--allow-insecure-http"),
        ("ftp://api.example.com", "https://"),
    ] {
        let out = Command::new(bin())
            .args(["record", "--listen", "127.0.0.1:0", "--upstream", url])
            .env_clear()
            .env("CLAUDE_429_HISTORY", "off")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains(want), "{url}: {err}");
        for secret in ["hunter2pass", "QUERYSECRET42"] {
            assert!(!err.contains(secret), "{url}: {err}");
            assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_size_limit_pauses_recording_not_the_traffic() {
    let up = upstream();
    // 4 blocks of 512 bytes: a handful of records fit, then writes fail.
    let p = start(up, None, &[], "ulimit -f 4");
    for i in 0..30 {
        let r = client()
            .post(format!("{}/v1/messages", p.url()))
            .header("x-api-key", API_KEY)
            .header("x-scenario", if i % 2 == 0 { "json429" } else { "ok" })
            .body(request_body(false))
            .send()
            .await
            .expect("the proxy still answers");
        assert!(r.status() == 429 || r.status() == 200);
        let _ = r.bytes().await.unwrap();
    }
    let mut p = p;
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "the proxy died: {}",
        p.stderr.lock().unwrap()
    );
    let out = p.stop();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("recording paused").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("records lost"), "{}", out.stderr);
    // Whole lines only.
    let recs = records(&out.dir);
    assert!(!recs.is_empty() && recs.len() < 30, "{}", recs.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_past_the_cap_do_not_block_a_new_client() {
    let up = upstream();
    let p = start(up, None, &["--max-connections", "40"], "");
    let addr: SocketAddr = p.addr.parse().unwrap();
    // 100 connections that never send a byte, and 20 that stop half-way through headers.
    let mut idle = Vec::new();
    for i in 0..120 {
        let mut s = TcpStream::connect(addr).unwrap();
        if i >= 100 {
            let _ = s.write_all(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n");
        }
        idle.push(s);
    }
    let t = Instant::now();
    let r = client()
        .post(format!("{}/v1/messages", p.url()))
        .header("x-api-key", API_KEY)
        .body(request_body(false))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("answered");
    let status = r.status().as_u16();
    assert!(status == 200 || status == 503, "{status}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    if status == 503 {
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["type"], "overloaded_error");
    }
    // Under pressure, idle connections are closed within seconds: a client is then served.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = client()
            .post(format!("{}/v1/messages", p.url()))
            .body(request_body(false))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never served");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(idle);
    let out = p.stop();
    assert_eq!(out.code, 0);
}

/// Peak resident memory of a process, in MB (Linux).
fn peak_mb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_of_repeated_or_ever_new_keys_keep_memory_flat() {
    let up = upstream();
    let p = start(up, None, &[], "");
    let pid = p.child.id();
    // A 40 MB request that repeats the wanted keys over and over, sent as it is made.
    let addr: SocketAddr = p.addr.parse().unwrap();
    let sender = std::thread::spawn(move || {
        let piece = "\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1,".repeat(1500);
        let n = (40 << 20) / piece.len();
        let len = 1 + piece.len() * n + "\"stream\":false}".len();
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n{{"
        )
        .unwrap();
        for _ in 0..n {
            s.write_all(piece.as_bytes()).unwrap();
        }
        s.write_all(b"\"stream\":false}").unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).unwrap();
        String::from_utf8_lossy(&head).into_owned()
    });
    let head = sender.join().unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // A 24 MB answer of ever-new keys.
    let r = client()
        .post(format!("{}/v1/messages", p.url()))
        .header("x-scenario", "newkeys")
        .body(request_body(false))
        .send()
        .await
        .unwrap();
    let mut n = 0usize;
    let mut r = r;
    while let Some(c) = r.chunk().await.unwrap() {
        n += c.len();
    }
    assert!(n > 20 << 20, "{n}");
    wait_for_records(&p.dir, 2);
    let peak = peak_mb(pid);
    let out = p.stop();
    assert_eq!(out.code, 0);
    if let Some(peak) = peak {
        // Far below the bodies' size (the proxy holds none of them).
        assert!(peak < 64, "peak RSS {peak} MB");
    }
    let recs = records(&out.dir);
    assert_eq!(recs[0]["request"]["model"], "claude-sonnet-4-5");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_leaves_before_the_answer_still_gets_a_record() {
    let up = upstream();
    let p = start(up, None, &[], "");
    let r = client()
        .post(format!("{}/v1/messages", p.url()))
        .header("x-scenario", "slow")
        .body(request_body(false))
        .timeout(Duration::from_millis(600))
        .send()
        .await;
    assert!(r.is_err());
    wait_for_records(&p.dir, 1);
    let out = p.stop();
    let r = &records(&out.dir)[0];
    assert_eq!(r["incomplete"], "client_closed");
    assert_eq!(r["status"], 0);
    assert!(r["duration_ms"].as_f64().unwrap() >= 500.0, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_lets_a_stream_in_flight_finish() {
    let up = upstream();
    let p = start(up, None, &[], "");
    let mut r = client()
        .post(format!("{}/v1/messages", p.url()))
        .header("x-scenario", "spaced")
        .body(request_body(true))
        .send()
        .await
        .unwrap();
    let first = r.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("message_start"));
    p.interrupt();
    let mut rest = Vec::new();
    while let Some(c) = r.chunk().await.unwrap() {
        rest.extend_from_slice(&c);
    }
    assert!(String::from_utf8_lossy(&rest).contains("message_stop"));
    let out = p.wait();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let recs = records(&out.dir);
    assert_eq!(recs.len(), 1);
    assert!(recs[0].get("incomplete").is_none(), "{}", recs[0]);
}

#[test]
fn record_files_are_private_and_never_written_through_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rec");
    std::fs::create_dir(&dir).unwrap();
    let target = tmp.path().join("elsewhere");
    std::fs::write(&target, "").unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, dir.join(format!("{today}.jsonl"))).unwrap();
    let out = Command::new(bin())
        .args([
            "record",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:9",
        ])
        .arg("--out")
        .arg(&dir)
        .env_clear()
        .env("CLAUDE_429_HISTORY", "off")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");

    // A new directory is created 0700; a world-writable one is warned about.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let up = upstream();
        let fresh = tmp.path().join("a").join("b");
        let p = start(up, Some(fresh.clone()), &[], "");
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let _ = p.stop();

        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let p = start(up, Some(open), &[], "");
        let out = p.stop();
        assert!(out.stderr.contains("writable by anyone"), "{}", out.stderr);
    }
}

#[test]
fn status_minutes_has_a_range() {
    for (arg, code) in [("99999999999999", 2), ("0", 2), ("10081", 2), ("10080", 0)] {
        let tmp = tempfile::tempdir().unwrap();
        let out = Command::new(bin())
            .arg("status")
            .arg(tmp.path())
            .args(["--minutes", arg])
            .env_clear()
            .env("CLAUDE_429_HISTORY", "off")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "--minutes {arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
