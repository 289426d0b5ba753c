//! `record --metrics`: what the proxy sees, as Prometheus metrics (the text exposition format,
//! version 0.0.4) on a listener of its own.
//!
//! Built on `metrics-exporter-prometheus`'s recorder, used directly (no global recorder, no
//! exporter thread): handles are registered per bounded label set, rendered on `GET /metrics`.
//! Every record the proxy sends is observed once, on the record writer's thread (never on a
//! request's path), after it has been through the allow-list (so no key, prompt or id can
//! reach a label: labels are model classes, dimensions, status buckets, classifier classes,
//! token directions and window names, each from a bounded set).

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::metrics::{Key, Label, Metadata, Recorder, SharedString, Unit};
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use serde_json::Value;

use super::entry::Record;
use crate::ratelimit::{DIM_HEADERS, DimensionName, model_class};

/// Metric names, all prefixed `claude_429_` (base units, `_total` counters, 0..1 ratios).
pub const LIMIT: &str = "claude_429_ratelimit_limit";
pub const REMAINING: &str = "claude_429_ratelimit_remaining";
pub const UTILIZATION: &str = "claude_429_ratelimit_utilization_ratio";
pub const RESET: &str = "claude_429_ratelimit_reset_seconds";
pub const WINDOW: &str = "claude_429_subscription_window_utilization_ratio";
pub const REQUESTS: &str = "claude_429_requests_total";
pub const FAILURES: &str = "claude_429_failures_total";
pub const RETRY_AFTER: &str = "claude_429_retry_after_seconds";
pub const DURATION: &str = "claude_429_request_duration_seconds";
pub const TTFB: &str = "claude_429_time_to_first_byte_seconds";
pub const TOKENS: &str = "claude_429_tokens_total";

/// Every metric name served (the dashboard and the alerts may use only these).
pub const NAMES: &[&str] = &[
    LIMIT,
    REMAINING,
    UTILIZATION,
    RESET,
    WINDOW,
    REQUESTS,
    FAILURES,
    RETRY_AFTER,
    DURATION,
    TTFB,
    TOKENS,
];

/// Distinct model classes given their own label value; later ones are counted as `other`.
pub const MAX_MODEL_CLASSES: usize = 16;
/// Distinct subscription windows given their own series; later ones are not exported.
pub const MAX_WINDOWS: usize = 8;
/// The `model_class` of a request that names no Claude model (or one past the cap).
pub const OTHER: &str = "other";
/// The `class` of a failure the proxy answered itself (upstream unreachable, 502).
pub const UPSTREAM_UNREACHABLE: &str = "upstream_unreachable";

/// Statuses with a label value of their own; any other is counted as `2xx`..`5xx`.
const KNOWN_STATUSES: &[u16] = &[
    200, 400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529,
];

/// Seconds, for request duration and time to first byte (streams run for minutes).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
/// Seconds a failure said to wait (retry-after, or the reset of the bucket that refused).
const RETRY_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 18000.0, 86400.0,
];

/// How often (in observed records) histogram samples are folded into their buckets, so that
/// memory stays bounded when nobody scrapes.
const UPKEEP_EVERY: u64 = 256;

const META: Metadata<'static> = Metadata::new(
    "claude_429::record::metrics",
    ::metrics::Level::INFO,
    Some("claude_429::record::metrics"),
);

/// The metrics of one `record` process.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    state: Mutex<State>,
    observed: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Model classes with a label value of their own (at most [`MAX_MODEL_CLASSES`]).
    classes: BTreeSet<String>,
    /// Whether `other` has been seen (its failure counters are then registered).
    other_seen: bool,
    /// Per model class, when the answer the gauges show arrived (ms since the epoch).
    newest: HashMap<String, f64>,
    /// When the subscription-window gauges' answer arrived.
    newest_windows: f64,
    windows: BTreeSet<String>,
    /// Per (model class, dimension), when the bucket is full again (for `reset_seconds`,
    /// computed when scraped).
    resets: HashMap<(String, &'static str), DateTime<Utc>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut b = PrometheusBuilder::new();
        for (name, buckets) in [
            (DURATION, LATENCY_BUCKETS),
            (TTFB, LATENCY_BUCKETS),
            (RETRY_AFTER, RETRY_BUCKETS),
        ] {
            b = b
                .set_buckets_for_metric(Matcher::Full(name.into()), buckets)
                .expect("non-empty buckets");
        }
        let recorder = b.build_recorder();
        let handle = recorder.handle();
        let m = Metrics {
            recorder,
            handle,
            state: Mutex::new(State::default()),
            observed: AtomicU64::new(0),
        };
        m.describe();
        m
    }

    fn describe(&self) {
        let r = &self.recorder;
        let d = |s: &'static str| SharedString::from(s);
        r.describe_gauge(
            LIMIT.into(),
            None,
            d("The limit per minute (anthropic-ratelimit-*-limit) in the newest answer for the model class."),
        );
        r.describe_gauge(
            REMAINING.into(),
            None,
            d("What is left (anthropic-ratelimit-*-remaining) in the newest answer for the model class."),
        );
        r.describe_gauge(
            UTILIZATION.into(),
            None,
            d("1 - remaining/limit in the newest answer for the model class (0..1)."),
        );
        r.describe_gauge(
            RESET.into(),
            Some(Unit::Seconds),
            d("Seconds until the bucket is full again (anthropic-ratelimit-*-reset), as of the scrape."),
        );
        r.describe_gauge(
            WINDOW.into(),
            None,
            d("Subscription usage window utilization (anthropic-ratelimit-unified-<window>-utilization, 0..1)."),
        );
        r.describe_counter(
            REQUESTS.into(),
            None,
            d("Exchanges through the proxy, by upstream status (0 = none: the client left first)."),
        );
        r.describe_counter(
            FAILURES.into(),
            None,
            d("Failures by the classifier's class, including error events inside 200 streams."),
        );
        r.describe_histogram(
            RETRY_AFTER.into(),
            Some(Unit::Seconds),
            d("Seconds a failure said to wait before retrying (retry-after or the reset)."),
        );
        r.describe_histogram(
            DURATION.into(),
            Some(Unit::Seconds),
            d("From the request's arrival to the answer's last byte."),
        );
        r.describe_histogram(
            TTFB.into(),
            Some(Unit::Seconds),
            d("From the request's arrival to the answer's first body byte."),
        );
        r.describe_counter(
            TOKENS.into(),
            None,
            d("Tokens the answers reported in usage, by direction."),
        );
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> ::metrics::Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &META)
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> ::metrics::Gauge {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &META)
    }

    fn histogram(&self, name: &'static str) -> ::metrics::Histogram {
        self.recorder
            .register_histogram(&Key::from_name(name), &META)
    }

    /// Takes in one exchange: `line` is the record as written (read back by the same parser
    /// and classifier `diagnose` uses, to name the class of a failure).
    pub fn observe(&self, r: &Record, line: &[u8]) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let known = st.classes.len();
        let class = bounded_class(&mut st, r.request.model.as_deref());
        if st.classes.len() != known || !st.other_seen && class == OTHER {
            // Every failure class starts at 0 for a new model class, so that the first
            // failure is an increase (`increase()` does not see a series appear at 1).
            st.other_seen |= class == OTHER;
            for fc in crate::verdict::Class::ALL
                .iter()
                .map(|c| c.as_str())
                .chain([UPSTREAM_UNREACHABLE])
            {
                self.counter(
                    FAILURES,
                    vec![
                        Label::new("class", fc),
                        Label::new("model_class", class.clone()),
                    ],
                )
                .increment(0);
            }
        }
        let mc = || Label::new("model_class", class.clone());

        self.counter(
            REQUESTS,
            vec![Label::new("status", status_label(r.status)), mc()],
        )
        .increment(1);
        if r.status != 0 {
            self.histogram(DURATION).record(r.duration_ms / 1e3);
        }
        if let Some(t) = r.ttfb_ms {
            self.histogram(TTFB).record(t / 1e3);
        }

        let failure = if r.proxy_error.is_some() {
            Some((UPSTREAM_UNREACHABLE, None))
        } else if (200..300).contains(&r.status) && !r.stream_error || r.status == 0 {
            // A success (or no answer at all) is no failure: skip the classifier's parse.
            None
        } else {
            classify(line).map(|v| (v.class.as_str(), v.retry_after_s))
        };
        if let Some((fc, retry)) = failure {
            self.counter(FAILURES, vec![Label::new("class", fc), mc()])
                .increment(1);
            if let Some(s) = retry {
                self.histogram(RETRY_AFTER).record(s as f64);
            }
        }

        if let Some(Value::Object(u)) = &r.usage {
            for (direction, key) in [
                ("input", "input_tokens"),
                ("output", "output_tokens"),
                ("cache_read", "cache_read_input_tokens"),
                ("cache_write", "cache_creation_input_tokens"),
            ] {
                if let Some(n) = u.get(key).and_then(Value::as_u64) {
                    self.counter(TOKENS, vec![Label::new("direction", direction), mc()])
                        .increment(n);
                }
            }
        }

        let at = answer_time(r);
        self.gauges(&mut st, &class, &r.headers, at);
        self.windows(&mut st, &r.headers, at);
        drop(st);

        if self.observed.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
            self.handle.run_upkeep();
        }
    }

    /// The headroom gauges, when this answer is the newest one for its model class.
    fn gauges(&self, st: &mut State, class: &str, h: &super::entry::Headers, at: f64) {
        let header = |name: &str| h.get(name).map(str::trim);
        // The names written out once (`DIM_HEADERS`, in the order of `DimensionName::ALL`):
        // this runs for every answer.
        let any = DIM_HEADERS
            .iter()
            .any(|[limit, remaining, _]| header(limit).is_some() || header(remaining).is_some());
        if !any {
            return;
        }
        match st.newest.get(class) {
            Some(&seen) if seen > at => return,
            _ => {
                st.newest.insert(class.to_string(), at);
            }
        }
        for (d, [limit, remaining, reset]) in DimensionName::ALL.into_iter().zip(DIM_HEADERS) {
            let num = |name: &str| {
                header(name)
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|v| v.is_finite() && *v >= 0.0)
            };
            let labels = || {
                vec![
                    Label::new("model_class", class.to_string()),
                    Label::new("dimension", d.as_str()),
                ]
            };
            let limit = num(limit);
            let remaining = num(remaining);
            if let Some(l) = limit {
                self.gauge(LIMIT, labels()).set(l);
            }
            if let Some(r) = remaining {
                self.gauge(REMAINING, labels()).set(r);
            }
            if let (Some(l), Some(r)) = (limit, remaining)
                && l > 0.0
            {
                self.gauge(UTILIZATION, labels())
                    .set((1.0 - r / l).clamp(0.0, 1.0));
            }
            if let Some(t) = header(reset).and_then(|v| DateTime::parse_from_rfc3339(v).ok()) {
                st.resets
                    .insert((class.to_string(), d.as_str()), t.with_timezone(&Utc));
            }
        }
    }

    /// The subscription windows (`anthropic-ratelimit-unified-<window>-utilization`).
    fn windows(&self, st: &mut State, h: &super::entry::Headers, at: f64) {
        let mut headers = crate::exchange::Headers::default();
        for (k, s) in h.iter() {
            if k.starts_with("anthropic-ratelimit-unified-") {
                headers.set(k, s);
            }
        }
        if headers.0.is_empty() || at < st.newest_windows {
            return;
        }
        st.newest_windows = at;
        let Some(w) = crate::classify::subscription::read(&headers) else {
            return;
        };
        for win in w.windows {
            let Some(u) = win.utilization else { continue };
            if !window_name_ok(&win.name) {
                continue;
            }
            if !st.windows.contains(&win.name) {
                if st.windows.len() >= MAX_WINDOWS {
                    continue;
                }
                st.windows.insert(win.name.clone());
            }
            self.gauge(WINDOW, vec![Label::new("window", win.name)])
                .set(u);
        }
    }

    /// The exposition (Prometheus text format 0.0.4), with `reset_seconds` as of now.
    pub fn render(&self) -> String {
        {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Utc::now();
            for ((class, dim), t) in &st.resets {
                let left = (*t - now).num_milliseconds().max(0) as f64 / 1e3;
                self.gauge(
                    RESET,
                    vec![
                        Label::new("model_class", class.clone()),
                        Label::new("dimension", *dim),
                    ],
                )
                .set(left);
            }
        }
        self.handle.render()
    }
}

/// When the answer's headers arrived (ms since the epoch): the request's arrival plus the
/// time to the first body byte (or to the end, when the body was empty).
fn answer_time(r: &Record) -> f64 {
    let start = DateTime::parse_from_rfc3339(&r.ts)
        .map(|t| t.timestamp_millis() as f64)
        .unwrap_or(0.0);
    start + r.ttfb_ms.unwrap_or(r.duration_ms)
}

fn classify(line: &[u8]) -> Option<crate::classify::Verdict> {
    use crate::capture::jsonl::{Parsed, parse_full};
    let source: Arc<str> = Arc::from("record");
    match parse_full(&source, 1, line, true) {
        Parsed::Capture(c) => crate::classify::classify(&c),
        _ => None,
    }
}

/// The `status` label: the status itself for the common ones, else its hundred (`4xx`);
/// `none` when the client left before the upstream answered.
pub fn status_label(s: u16) -> String {
    match s {
        0 => "none".into(),
        s if KNOWN_STATUSES.contains(&s) => s.to_string(),
        100..=599 => format!("{}xx", s / 100),
        _ => "other".into(),
    }
}

/// The model class, from the project's one model-class rule, when it is a Claude class of
/// the usual shape (`Claude Sonnet 4.x`); anything else, and classes past
/// [`MAX_MODEL_CLASSES`], is `other`.
fn bounded_class(st: &mut State, model: Option<&str>) -> String {
    let Some(c) = model
        .map(|m| model_class(m, None))
        .filter(|c| class_shape_ok(c))
    else {
        return OTHER.into();
    };
    if st.classes.contains(&c) {
        return c;
    }
    if st.classes.len() >= MAX_MODEL_CLASSES {
        return OTHER.into();
    }
    st.classes.insert(c.clone());
    c
}

/// `Claude`, then an optional known family (`Opus`, `Sonnet`, `Haiku`), then an optional
/// ` N.x` (at most three digits): the shapes the model-class rule gives Claude models.
pub fn class_shape_ok(c: &str) -> bool {
    let Some(rest) = c.strip_prefix("Claude") else {
        return false;
    };
    let rest = ["Opus", "Sonnet", "Haiku"]
        .iter()
        .find_map(|f| rest.strip_prefix(' ').and_then(|r| r.strip_prefix(f)))
        .unwrap_or(rest);
    match rest.strip_prefix(' ').and_then(|r| r.strip_suffix(".x")) {
        Some(n) => !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()),
        None => rest.is_empty(),
    }
}

fn window_name_ok(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 16
        && w.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Serves `GET /metrics` on `listener` until the process ends, on a thread and runtime of its
/// own (a scrape never competes with proxied traffic for the proxy's workers). Anything else
/// gets a 404 (a 405 for another method on /metrics).
pub fn serve(listener: std::net::TcpListener, metrics: Arc<Metrics>) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("record-metrics".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(accept(listener, metrics));
        })?;
    Ok(())
}

/// Scrapers connected at once; more wait in the accept queue.
const MAX_SCRAPERS: usize = 16;

async fn accept(listener: std::net::TcpListener, metrics: Arc<Metrics>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let open = Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPERS));
    loop {
        let Ok(permit) = open.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let m = metrics.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let m = m.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&m, &req)) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(Duration::from_secs(120), conn).await;
            drop(permit);
        });
    }
}

fn answer<B>(
    m: &Metrics,
    req: &hyper::Request<B>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    use hyper::{Method, StatusCode, header};
    let (status, ctype, body) = if req.uri().path() != "/metrics" {
        (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /metrics\n".to_string(),
        )
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".to_string(),
        )
    } else {
        (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            m.render(),
        )
    };
    let mut resp = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(
        if req.method() == Method::HEAD {
            String::new()
        } else {
            body
        },
    )));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(ctype),
    );
    resp
}

/// Parses an `ADDR` for `--metrics`: a socket address (`127.0.0.1:9429`), or a bare port
/// (`9429`, meaning 127.0.0.1).
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| format!("not an address: {s:?} (e.g. 127.0.0.1:9429, or a port)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_bounded() {
        assert_eq!(status_label(429), "429");
        assert_eq!(status_label(0), "none");
        assert_eq!(status_label(418), "4xx");
        assert_eq!(status_label(599), "5xx");
        assert_eq!(status_label(999), "other");
        let all: BTreeSet<String> = (0..=u16::MAX).map(status_label).collect();
        assert!(all.len() <= KNOWN_STATUSES.len() + 7, "{all:?}");
    }

    #[test]
    fn model_classes_are_bounded() {
        let mut st = State::default();
        assert_eq!(
            bounded_class(&mut st, Some("claude-sonnet-4-5")),
            "Claude Sonnet 4.x"
        );
        assert_eq!(
            bounded_class(&mut st, Some("claude-opus-4-1-20250805")),
            "Claude Opus 4.x"
        );
        assert_eq!(bounded_class(&mut st, None), OTHER);
        assert_eq!(bounded_class(&mut st, Some("gpt-4o")), OTHER);
        assert_eq!(
            bounded_class(&mut st, Some("claude-sk-ant-api03-abc")),
            OTHER
        );
        for i in 0..100 {
            bounded_class(&mut st, Some(&format!("claude-sonnet-{i}")));
        }
        assert_eq!(st.classes.len(), MAX_MODEL_CLASSES);
        assert!(class_shape_ok("Claude 2.x"));
        assert!(class_shape_ok("Claude Haiku"));
        assert!(!class_shape_ok("Claude Haiku 4.x 5.x"));
        assert!(!class_shape_ok("Claude Sk 3.x"));
        assert!(!class_shape_ok("Claudeish"));
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("9429").unwrap().to_string(), "127.0.0.1:9429");
        assert_eq!(parse_addr("0.0.0.0:1").unwrap().to_string(), "0.0.0.0:1");
        assert!(parse_addr("localhost:x").is_err());
    }
}
