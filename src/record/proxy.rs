//! The proxy: hyper (HTTP/1.1) towards the client and towards the upstream (rustls for
//! https, [`super::upstream`]), one upstream connection per client connection.
//! Bodies pass through frame by frame, never buffered; taps on both bodies feed the bounded
//! scanners and send one [`Record`] per exchange when the answer ends (or is cut off).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::entry::{self, Record, RequestFacts};
use super::safe::{self, Secrets};
use super::scan::{Sse, TopLevel};
use super::upstream::{SyncBody, Target, UpBody, Upstream, error_chain, path_and_query};
use super::{Options, Sink};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Request keys a record keeps.
const REQUEST_KEYS: &[&str] = &["model", "max_tokens", "stream"];
/// Keys of a JSON answer a record keeps (never `content`).
const ANSWER_KEYS: &[&str] = &["type", "id", "model", "stop_reason", "usage"];
/// Most of an error body kept (error bodies are small; this bounds a misbehaving upstream).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Headers that belong to one connection, not to the exchange (RFC 9110 section 7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// How long a client connection may wait before its request's headers are in.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection with no request in flight and no bytes moving is kept open.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The idle timeout once three quarters of the connection cap are in use.
pub const BUSY_IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// The default cap on open client connections (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// 503 answers being written at once, at most.
const MAX_REFUSING: usize = 256;
/// How long Ctrl-C lets answers in flight finish (a second Ctrl-C stops at once).
pub const GRACE: Duration = Duration::from_secs(10);

/// The shared proxy state: the upstream and the record queue.
pub struct Proxy {
    target: Target,
    /// With `HTTPS_PROXY` and the like set, requests go through reqwest, which honours them
    /// (and `NO_PROXY`) as the API client does; otherwise through `target` directly.
    via_proxy: Option<reqwest::Client>,
    upstream: String,
    sink: Sink,
    max_connections: usize,
}

impl Proxy {
    pub fn new(opts: &Options, sink: Sink) -> anyhow::Result<Proxy> {
        // The same trust anchors as the API client: the platform's, `SSL_CERT_FILE`,
        // `SSL_CERT_DIR` and `--cacert` (a TLS-inspecting corporate proxy's CA). Redirects
        // go back to the client unchanged, as any proxy does (the client follows none).
        let target = Target::new(&opts.upstream, opts.cacert.as_deref())
            .map_err(|e| anyhow::anyhow!("upstream TLS roots: {e}"))?;
        let via_proxy = if super::upstream::proxy_configured() {
            let builder =
                crate::api::transport::trust(reqwest::Client::builder(), opts.cacert.as_deref())
                    .map_err(|e| anyhow::anyhow!("upstream TLS roots: {e}"))?;
            Some(
                builder
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(super::upstream::CONNECT_TIMEOUT)
                    .pool_idle_timeout(IDLE_TIMEOUT)
                    .tcp_nodelay(true)
                    .build()?,
            )
        } else {
            None
        };
        Ok(Proxy {
            target,
            via_proxy,
            upstream: opts.upstream.as_str().trim_end_matches('/').to_string(),
            sink,
            max_connections: opts.max_connections.max(1),
        })
    }

    /// Forwards one request on the client connection's upstream connection (`conn`, made
    /// when missing or closed) and returns the answer whose body streams through a tap.
    pub async fn handle(
        &self,
        req: Request<Incoming>,
        conn: &Upstream<ReqBody>,
    ) -> Response<ProxyBody> {
        let started = Instant::now();
        let ts = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let (mut parts, body) = req.into_parts();
        let secrets = Secrets::from_request(&parts.headers, parts.uri.query());
        // The query goes upstream unchanged but is never kept: it may carry a key.
        let target = super::upstream::upstream_uri(&self.target.prefix, &parts.uri);
        let shown_path = secrets.scrub_credentials(parts.uri.path(), 512);
        let shared = Arc::new(Mutex::new(RequestTap::new(secrets)));
        let body = ReqBody {
            inner: body,
            tap: shared.clone(),
        };
        let headers = &mut parts.headers;
        strip_hop_by_hop(headers);
        headers.insert(header::HOST, self.target.authority.clone());
        // Ask for an uncompressed answer so error bodies and usage can be read as they pass:
        // the one change the proxy makes to a request. Clients read identity answers fine.
        headers.remove(header::ACCEPT_ENCODING);
        let method = parts.method.to_string();
        let base = Base {
            ts,
            method,
            url: format!("{}{}", self.upstream, shown_path),
            started,
            request: shared,
        };
        // A client that gives up before the upstream's headers drops this future: the guard
        // still sends a record (`client_closed`, with the time waited).
        let mut pending = Pending {
            base: Some(base),
            sink: self.sink.clone(),
        };
        parts.version = hyper::Version::HTTP_11;
        parts.extensions = Default::default();
        let result = match (target, &self.via_proxy) {
            (Ok(_), Some(client)) => {
                // reqwest names the host itself (and the proxy's way there).
                parts.headers.remove(header::HOST);
                let url = format!("{}{}", self.upstream, path_and_query(&parts.uri));
                client
                    .request(parts.method, &url)
                    .headers(parts.headers)
                    .body(reqwest::Body::wrap(SyncBody(Mutex::new(body))))
                    .send()
                    .await
                    .map(|r| Response::<reqwest::Body>::from(r).map(UpBody::Right))
                    .map_err(|e| error_chain(&e.without_url()))
            }
            (Ok(uri), None) => {
                parts.uri = uri;
                super::upstream::send(&self.target, conn, Request::from_parts(parts, body))
                    .await
                    .map(|r| r.map(UpBody::Left))
            }
            (Err(e), _) => Err(format!("bad request path: {e}")),
        };
        let base = pending.base.take().expect("taken once");
        match result {
            Ok(resp) => {
                let (mut parts, body) = resp.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                let kind = Kind::for_answer(parts.status, &parts.headers);
                let content_length = parts
                    .headers
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let kept = {
                    let t = base.request.lock().unwrap_or_else(|e| e.into_inner());
                    safe::headers(&parts.headers, &t.secrets)
                };
                let tap = RespBody {
                    inner: body,
                    base: Some(base),
                    status: parts.status.as_u16(),
                    headers: kept,
                    kind,
                    ttfb: None,
                    received: 0,
                    content_length,
                    sink: self.sink.clone(),
                    in_flight: None,
                };
                Response::from_parts(parts, ProxyBody::Tap(Box::new(tap)))
            }
            Err(e) => {
                let why = {
                    let t = base.request.lock().unwrap_or_else(|e| e.into_inner());
                    t.secrets.scrub(&crate::redact::keys(&e))
                };
                let rec = base.record(502, entry::Headers::default(), None, None);
                self.sink.send(Record {
                    proxy_error: Some(why.clone()),
                    ..rec
                });
                let body = serde_json::json!({"type": "error", "error": {"type": "api_error",
                    "message": format!("claude-429 record: upstream unreachable: {why}")}});
                short_answer(StatusCode::BAD_GATEWAY, body.to_string())
            }
        }
    }
}

fn short_answer(status: StatusCode, body: String) -> Response<ProxyBody> {
    let mut resp = Response::new(ProxyBody::Full(Some(Bytes::from(body))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Sends a `client_closed` record when a request is dropped before the upstream answered.
struct Pending {
    base: Option<Base>,
    sink: Sink,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(base) = self.base.take() {
            let mut rec = base.record(0, entry::Headers::default(), None, None);
            rec.incomplete = Some("client_closed");
            self.sink.send(rec);
        }
    }
}

/// When a connection last moved a byte, and whether a request is in flight on it.
#[derive(Debug)]
struct Activity {
    epoch: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Told to close to make room for a new connection (the cap is reached).
    close: tokio::sync::Notify,
    evicted: std::sync::atomic::AtomicBool,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            close: tokio::sync::Notify::new(),
            evicted: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn touch(&self) {
        let ms = self.epoch.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Counts a request in flight until the answer's body is done.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A client socket that notes when bytes move (for the idle timeout).
struct Watched {
    io: TcpStream,
    act: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.act.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.act.touch();
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.act.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The answer to a connection past the cap: a 503 in an `overloaded_error` body (SDKs retry
/// it), then the connection is closed.
const FULL_ANSWER: &str = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"claude-429 record: too many open connections; retry shortly\"}}";

async fn refuse(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Read the request's head first (briefly, a little): a client that gets an answer before
    // it has sent its request takes it for a broken connection rather than a 503.
    let _ = tokio::time::timeout(Duration::from_millis(300), async {
        let mut buf = [0u8; 4096];
        let mut seen = 0usize;
        let mut tail = [0u8; 4];
        while seen < 16 * 1024 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            seen += n;
            let mut joined = tail.to_vec();
            joined.extend_from_slice(&buf[..n]);
            if memchr::memmem::find(&joined, b"\r\n\r\n").is_some() {
                break;
            }
            let k = joined.len();
            tail.copy_from_slice(&joined[k - 4..]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        FULL_ANSWER.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(FULL_ANSWER.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Accepts connections until `stop` yields once; then lets answers in flight finish for
/// [`GRACE`] (or until `stop` yields again). Each connection is served on its own task, at
/// most the cap at once: at the cap the longest-idle connection is closed to make room, and
/// a new one gets a 503 only when all are busy. Connections are closed when idle or when
/// their headers are too slow.
pub async fn serve(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    mut stop: tokio::sync::mpsc::UnboundedReceiver<()>,
) -> std::io::Result<()> {
    let open = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    let registry: Registry = Arc::default();
    let mut next_id = 0u64;
    let (quit_tx, quit_rx) = tokio::sync::watch::channel(false);
    let mut accept_errors = 0u32;
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.recv() => break,
            acc = listener.accept() => match acc {
                Ok(x) => {
                    accept_errors = 0;
                    x
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    if accept_errors == 0 {
                        crate::record::note!("claude-429: warning: accept failed: {e}");
                    }
                    accept_errors = accept_errors.saturating_add(1);
                    let wait = 10u64 << accept_errors.min(6);
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    continue;
                }
            },
        };
        if open.load(Ordering::Relaxed) >= proxy.max_connections && !evict_idle(&registry) {
            // At most a few hundred 503s in progress; past that a connection is just closed
            // (refusals must not use up the descriptors they protect).
            if refusing.load(Ordering::Relaxed) < MAX_REFUSING {
                refusing.fetch_add(1, Ordering::Relaxed);
                let refusing = refusing.clone();
                tokio::spawn(async move {
                    refuse(stream).await;
                    refusing.fetch_sub(1, Ordering::Relaxed);
                });
            }
            continue;
        }
        let _ = stream.set_nodelay(true);
        open.fetch_add(1, Ordering::Relaxed);
        next_id += 1;
        tokio::spawn(connection(
            stream,
            proxy.clone(),
            open.clone(),
            quit_rx.clone(),
            (registry.clone(), next_id),
        ));
    }
    drop(listener);
    let _ = quit_tx.send(true);
    let deadline = tokio::time::sleep(GRACE);
    tokio::pin!(deadline);
    while open.load(Ordering::Relaxed) > 0 {
        tokio::select! {
            _ = &mut deadline => break,
            _ = stop.recv() => break,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    Ok(())
}

/// The open connections' activity, by connection number.
type Registry = Arc<Mutex<std::collections::HashMap<u64, Arc<Activity>>>>;

/// Shortest idle time of a connection closed to make room for a new one.
const EVICT_AFTER: Duration = Duration::from_millis(250);

/// At the cap: closes the connection idle the longest (no request in flight) so a new client
/// is served rather than refused. False when every connection is busy.
fn evict_idle(registry: &Registry) -> bool {
    let map = registry.lock().unwrap_or_else(|e| e.into_inner());
    let victim = map
        .values()
        .filter(|a| {
            a.in_flight.load(Ordering::Relaxed) == 0
                && !a.evicted.load(Ordering::Relaxed)
                && a.idle_for() >= EVICT_AFTER
        })
        .max_by_key(|a| a.idle_for());
    match victim {
        Some(a) => {
            a.evicted.store(true, Ordering::Relaxed);
            a.close.notify_one();
            true
        }
        None => false,
    }
}

async fn connection(
    stream: TcpStream,
    proxy: Arc<Proxy>,
    open: Arc<AtomicUsize>,
    mut quit: tokio::sync::watch::Receiver<bool>,
    (registry, id): (Registry, u64),
) {
    let act = Activity::new();
    registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, act.clone());
    let max = (proxy.max_connections,);
    let io = Watched {
        io: stream,
        act: act.clone(),
    };
    let svc_act = act.clone();
    let upstream: Arc<Upstream<ReqBody>> = Arc::default();
    let svc = hyper::service::service_fn(move |req| {
        let proxy = proxy.clone();
        let upstream = upstream.clone();
        let guard = InFlight::new(&svc_act);
        async move {
            let mut resp = proxy.handle(req, &upstream).await;
            if let ProxyBody::Tap(t) = resp.body_mut() {
                t.in_flight = Some(guard);
            }
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = act.close.notified() => {
                if act.in_flight.load(Ordering::Relaxed) == 0 {
                    break;
                }
                // A request started meanwhile: let it finish, the idle timeout closes it.
                act.evicted.store(false, Ordering::Relaxed);
            }
            _ = quit.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                let busy = open.load(Ordering::Relaxed) * 4 >= max.0 * 3;
                let limit = if busy || draining { BUSY_IDLE_TIMEOUT } else { IDLE_TIMEOUT };
                if act.in_flight.load(Ordering::Relaxed) == 0 && act.idle_for() >= limit {
                    break;
                }
            }
        }
    }
    registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    open.fetch_sub(1, Ordering::Relaxed);
}

fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Most messages carry none: one pass over the names instead of a lookup per name.
    if !h.keys().any(|n| HOP_BY_HOP.contains(&n.as_str())) {
        return;
    }
    let listed: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in listed {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(*n);
    }
}

/// What the request body showed as it went by.
struct RequestTap {
    scan: TopLevel,
    bytes: u64,
    /// The request's credentials and words, removed from everything the record keeps.
    secrets: Secrets,
}

impl RequestTap {
    fn new(secrets: Secrets) -> Self {
        RequestTap {
            scan: TopLevel::new(REQUEST_KEYS),
            bytes: 0,
            secrets,
        }
    }
}

/// The client's request body on its way upstream.
pub struct ReqBody {
    inner: Incoming,
    tap: Arc<Mutex<RequestTap>>,
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let mut t = this.tap.lock().unwrap_or_else(|e| e.into_inner());
            t.bytes += data.len() as u64;
            if !t.scan.done() {
                t.scan.feed(data);
            }
            t.secrets.feed_body(data);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How an answer's body is read while it passes.
enum Kind {
    /// A non-2xx answer: keep its (small) error body.
    Error(Vec<u8>),
    /// A server-sent-events stream.
    Sse(Box<Sse>),
    /// A JSON answer: keep a few top-level keys.
    Json(Box<TopLevel>),
    /// Anything else: count bytes only.
    Other,
}

impl Kind {
    fn for_answer(status: StatusCode, h: &HeaderMap) -> Kind {
        let ct = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !status.is_success() {
            Kind::Error(Vec::new())
        } else if ct.contains("event-stream") {
            Kind::Sse(Box::new(Sse::new()))
        } else if ct.contains("json") {
            Kind::Json(Box::new(TopLevel::new(ANSWER_KEYS)))
        } else {
            Kind::Other
        }
    }

    fn feed(&mut self, data: &[u8]) {
        match self {
            Kind::Error(buf) => {
                let room = MAX_ERROR_BODY.saturating_sub(buf.len());
                buf.extend_from_slice(&data[..data.len().min(room)]);
            }
            Kind::Sse(s) => s.feed(data),
            Kind::Json(t) => {
                if !t.done() {
                    t.feed(data)
                }
            }
            Kind::Other => {}
        }
    }
}

/// The request side of a record, waiting for the answer to end.
struct Base {
    ts: String,
    method: String,
    url: String,
    started: Instant,
    request: Arc<Mutex<RequestTap>>,
}

impl Base {
    fn record(
        &self,
        status: u16,
        headers: entry::Headers,
        ttfb: Option<Duration>,
        usage: Option<&Map<String, Value>>,
    ) -> Record {
        let mut t = self.request.lock().unwrap_or_else(|e| e.into_inner());
        t.secrets.finish_body();
        let usage = usage.and_then(safe::usage);
        let request = RequestFacts {
            model: t
                .scan
                .get("model")
                .and_then(|v| v.as_str().map(str::to_string))
                .and_then(|m| safe::model(&m, Some(&m), &t.secrets)),
            max_tokens: t.scan.get("max_tokens").and_then(|v| v.as_u64()),
            stream: t.scan.get("stream").and_then(|v| v.as_bool()),
            bytes: t.bytes,
            input_tokens: usage.as_ref().and_then(entry::counted_input),
        };
        Record {
            ts: self.ts.clone(),
            method: self.method.clone(),
            url: self.url.clone(),
            status,
            duration_ms: ms(self.started.elapsed()),
            ttfb_ms: ttfb.map(ms),
            headers,
            body: None,
            usage: usage.map(Value::Object),
            request,
            stream_error: false,
            incomplete: None,
            proxy_error: None,
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The answer's body on its way to the client; sends the record when it ends or is dropped.
pub struct RespBody {
    inner: UpBody,
    base: Option<Base>,
    status: u16,
    headers: entry::Headers,
    kind: Kind,
    ttfb: Option<Duration>,
    received: u64,
    content_length: Option<u64>,
    sink: Sink,
    /// Holds the connection's in-flight count until the answer is done.
    in_flight: Option<InFlight>,
}

impl RespBody {
    fn finish(&mut self, incomplete: Option<&'static str>) {
        let Some(base) = self.base.take() else {
            return;
        };
        let headers = std::mem::take(&mut self.headers);
        let kind = std::mem::replace(&mut self.kind, Kind::Other);
        let mut rec = {
            let t = base.request.lock().unwrap_or_else(|e| e.into_inner());
            let sec = &t.secrets;
            let asked = t
                .scan
                .get("model")
                .and_then(|v| v.as_str().map(str::to_string));
            let model = |m: Option<String>| m.and_then(|m| safe::model(&m, asked.as_deref(), sec));
            let mut body = None;
            let mut usage = None;
            let mut stream_error = false;
            match kind {
                Kind::Error(buf) => {
                    if !buf.is_empty() {
                        body = safe::error_body(&buf, sec);
                    }
                }
                Kind::Sse(mut s) => {
                    s.finish();
                    let f = s.facts;
                    usage = f.usage.clone();
                    if let Some(err) = f.error {
                        stream_error = true;
                        // The event as SSE text, rebuilt from its allowed fields.
                        let data = safe::error_body(err.as_bytes(), sec)
                            .filter(Value::is_object)
                            .unwrap_or_else(|| serde_json::json!({"type": "error"}));
                        body = Some(Value::String(format!("event: error\ndata: {data}\n\n")));
                    } else if f.model.is_some() || f.usage.is_some() {
                        body = Some(skeleton(
                            f.id.and_then(|i| safe::id(&i, sec)),
                            model(f.model),
                            f.stop_reason.and_then(|r| safe::stop_reason(&r)),
                            f.usage,
                        ));
                    }
                }
                Kind::Json(t) => {
                    usage = t
                        .get("usage")
                        .and_then(|u| u.as_object().and_then(safe::usage));
                    if t.get("type").and_then(|v| v.as_str().map(str::to_string))
                        == Some("message".into())
                    {
                        let s = |k: &str| t.get(k).and_then(|v| v.as_str().map(str::to_string));
                        body = Some(skeleton(
                            s("id").and_then(|i| safe::id(&i, sec)),
                            model(s("model")),
                            s("stop_reason").and_then(|r| safe::stop_reason(&r)),
                            usage.clone(),
                        ));
                    }
                }
                Kind::Other => {}
            }
            if let Some(b) = body.as_mut() {
                sec.scrub_value(b);
            }
            drop(t);
            let mut rec = base.record(self.status, headers, self.ttfb, usage.as_ref());
            rec.body = body;
            rec.stream_error = stream_error;
            rec
        };
        rec.incomplete = incomplete;
        self.sink.send(rec);
        self.in_flight = None;
    }
}

/// A message without its content.
fn skeleton(
    id: Option<String>,
    model: Option<String>,
    stop_reason: Option<String>,
    usage: Option<Map<String, Value>>,
) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::from("message"));
    if let Some(v) = id {
        m.insert("id".into(), Value::from(v));
    }
    if let Some(v) = model {
        m.insert("model".into(), Value::from(v));
    }
    if let Some(v) = stop_reason {
        m.insert("stop_reason".into(), Value::from(v));
    }
    if let Some(u) = usage {
        m.insert("usage".into(), Value::Object(u));
    }
    Value::Object(m)
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if this.ttfb.is_none()
                        && let Some(b) = &this.base
                    {
                        this.ttfb = Some(b.started.elapsed());
                    }
                    this.received += data.len() as u64;
                    this.kind.feed(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish(Some("upstream_error"));
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RespBody {
    fn drop(&mut self) {
        if self.base.is_some() {
            // hyper may stop polling once a sized body is complete: that is no cut-off.
            let whole = self.inner.is_end_stream()
                || self.content_length.is_some_and(|n| n == self.received);
            self.finish((!whole).then_some("client_closed"));
        }
    }
}

/// What the proxy sends back: an upstream answer streaming through its tap, or the proxy's
/// own short answer.
pub enum ProxyBody {
    Tap(Box<RespBody>),
    Full(Option<Bytes>),
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ProxyBody::Tap(t) => Pin::new(t.as_mut()).poll_frame(cx),
            ProxyBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Tap(t) => t.is_end_stream(),
            ProxyBody::Full(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Tap(t) => t.size_hint(),
            ProxyBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ProxyBody::Full(None) => SizeHint::with_exact(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_removed_and_so_are_those_connection_names() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        let mut plain = HeaderMap::new();
        plain.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        strip_hop_by_hop(&mut plain);
        assert_eq!(plain.len(), 1);
    }
}
