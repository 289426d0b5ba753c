//! The proxy: hyper (HTTP/1.1) towards the client, reqwest (rustls) towards the upstream.
//! Bodies pass through frame by frame, never buffered; taps on both bodies feed the bounded
//! scanners and send one [`Record`] per exchange when the answer ends (or is cut off).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use super::entry::{self, Record, RequestFacts};
use super::scan::{Sse, TopLevel};
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

/// The shared proxy state: the upstream client and the record queue.
pub struct Proxy {
    client: reqwest::Client,
    upstream: String,
    sink: Sink,
}

impl Proxy {
    pub fn new(opts: &Options, sink: Sink) -> anyhow::Result<Proxy> {
        // The same trust anchors as the API client: the platform's, `SSL_CERT_FILE`,
        // `SSL_CERT_DIR` and `--cacert` (a TLS-inspecting corporate proxy's CA).
        let builder =
            crate::api::transport::trust(reqwest::Client::builder(), opts.cacert.as_deref())
                .map_err(|e| anyhow::anyhow!("upstream TLS roots: {e}"))?;
        let client = builder
            // Redirects go back to the client unchanged, as any proxy does.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()?;
        Ok(Proxy {
            client,
            upstream: opts.upstream.as_str().trim_end_matches('/').to_string(),
            sink,
        })
    }

    /// Forwards one request and returns the answer whose body streams through a tap.
    pub async fn handle(&self, req: Request<Incoming>) -> Response<ProxyBody> {
        let started = Instant::now();
        let ts = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let (parts, body) = req.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{}", self.upstream, path);
        let shared = Arc::new(Mutex::new(RequestTap::new()));
        let body = ReqBody {
            inner: Mutex::new(body),
            tap: shared.clone(),
        };
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        headers.remove(header::HOST);
        // Ask for an uncompressed answer so error bodies and usage can be read as they pass:
        // the one change the proxy makes to a request. Clients read identity answers fine.
        headers.remove(header::ACCEPT_ENCODING);
        let method = parts.method.to_string();
        let result = self
            .client
            .request(parts.method, &url)
            .headers(headers)
            .body(reqwest::Body::wrap(body))
            .send()
            .await;
        let base = Base {
            ts,
            method,
            url: crate::redact::keys(&url),
            started,
            request: shared,
        };
        match result {
            Ok(resp) => {
                let resp: Response<reqwest::Body> = resp.into();
                let (mut parts, body) = resp.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                let kind = Kind::for_answer(parts.status, &parts.headers);
                let content_length = parts
                    .headers
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let tap = RespBody {
                    inner: body,
                    base: Some(base),
                    status: parts.status.as_u16(),
                    headers: headers_json(&parts.headers),
                    kind,
                    ttfb: None,
                    received: 0,
                    content_length,
                    sink: self.sink.clone(),
                };
                Response::from_parts(parts, ProxyBody::Tap(Box::new(tap)))
            }
            Err(e) => {
                let why = error_chain(&e);
                let rec = base.record(502, Map::new(), None, None);
                self.sink.send(Record {
                    proxy_error: Some(why.clone()),
                    ..rec
                });
                let body = serde_json::json!({"type": "error", "error": {"type": "api_error",
                    "message": format!("claude-429 record: upstream unreachable: {why}")}});
                let mut resp = Response::new(ProxyBody::Full(Some(Bytes::from(body.to_string()))));
                *resp.status_mut() = StatusCode::BAD_GATEWAY;
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                resp
            }
        }
    }
}

/// Accepts connections until `shutdown` resolves; each connection is served on its own task.
pub async fn serve(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            acc = listener.accept() => match acc {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    crate::record::note!("claude-429: warning: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let proxy = proxy.clone();
                async move { Ok::<_, Infallible>(proxy.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    crate::redact::keys(&s)
}

fn strip_hop_by_hop(h: &mut HeaderMap) {
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

/// Response headers as a JSON object (repeated headers joined with `, `), minus cookies.
fn headers_json(h: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in h {
        let n = name.as_str();
        if entry::DROPPED_RESPONSE_HEADERS.contains(&n) {
            continue;
        }
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match out.get_mut(n) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&v);
            }
            _ => {
                out.insert(n.to_string(), Value::String(v));
            }
        }
    }
    out
}

/// What the request body showed as it went by.
struct RequestTap {
    scan: TopLevel,
    bytes: u64,
}

impl RequestTap {
    fn new() -> Self {
        RequestTap {
            scan: TopLevel::new(REQUEST_KEYS),
            bytes: 0,
        }
    }
}

/// The client's request body on its way upstream. The `Mutex` only makes the body `Sync`
/// (as reqwest wants); it is reached through `get_mut`, never locked.
struct ReqBody {
    inner: Mutex<Incoming>,
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
        let inner = this.inner.get_mut().unwrap_or_else(|e| e.into_inner());
        let polled = Pin::new(inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let mut t = this.tap.lock().unwrap_or_else(|e| e.into_inner());
            t.bytes += data.len() as u64;
            if !t.scan.done() {
                t.scan.feed(data);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner
            .lock()
            .map(|b| b.is_end_stream())
            .unwrap_or(false)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.lock().map(|b| b.size_hint()).unwrap_or_default()
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
        headers: Map<String, Value>,
        ttfb: Option<Duration>,
        usage: Option<&Map<String, Value>>,
    ) -> Record {
        let t = self.request.lock().unwrap_or_else(|e| e.into_inner());
        let request = RequestFacts {
            model: t
                .scan
                .get("model")
                .and_then(|v| v.as_str().map(str::to_string)),
            max_tokens: t.scan.get("max_tokens").and_then(|v| v.as_u64()),
            stream: t.scan.get("stream").and_then(|v| v.as_bool()),
            bytes: t.bytes,
            input_tokens: usage.and_then(entry::counted_input),
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
            usage: usage.map(|u| Value::Object(u.clone())),
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
    inner: reqwest::Body,
    base: Option<Base>,
    status: u16,
    headers: Map<String, Value>,
    kind: Kind,
    ttfb: Option<Duration>,
    received: u64,
    content_length: Option<u64>,
    sink: Sink,
}

impl RespBody {
    fn finish(&mut self, incomplete: Option<&'static str>) {
        let Some(base) = self.base.take() else {
            return;
        };
        let headers = std::mem::take(&mut self.headers);
        let kind = std::mem::replace(&mut self.kind, Kind::Other);
        let mut body = None;
        let mut usage = None;
        let mut stream_error = false;
        match kind {
            Kind::Error(buf) => {
                if !buf.is_empty() {
                    body = Some(entry::body_value(&buf));
                }
            }
            Kind::Sse(mut s) => {
                s.finish();
                let f = s.facts;
                usage = f.usage.clone();
                if let Some(err) = f.error {
                    stream_error = true;
                    body = Some(Value::String(format!("event: error\ndata: {err}\n\n")));
                } else if f.model.is_some() || f.usage.is_some() {
                    body = Some(skeleton(f.id, f.model, f.stop_reason, f.usage));
                }
            }
            Kind::Json(t) => {
                usage = t.get("usage").and_then(|u| u.as_object().cloned());
                if t.get("type").and_then(|v| v.as_str().map(str::to_string))
                    == Some("message".into())
                {
                    let s = |k: &str| t.get(k).and_then(|v| v.as_str().map(str::to_string));
                    body = Some(skeleton(
                        s("id"),
                        s("model"),
                        s("stop_reason"),
                        usage.clone(),
                    ));
                }
            }
            Kind::Other => {}
        }
        let mut rec = base.record(self.status, headers, self.ttfb, usage.as_ref());
        rec.body = body;
        rec.stream_error = stream_error;
        rec.incomplete = incomplete;
        self.sink.send(rec);
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
                Poll::Ready(Some(Err(Box::new(e))))
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
