//! The HTTP side: hyper 1 on tokio, one task per connection, the routes of the Messages,
//! Models and Rate Limits APIs, and the decision order for `POST /v1/messages`:
//! auth → body → model → subscription window → spend → overload → limiter (+ ramp) → answer.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http_body::Frame;
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::limiter::{self, Buckets, Cost, PromptCache, Refusal};
use super::scenario::{Limits, Scenario, Subscription};
use super::served::{Answered, RecBody, Served};
use super::wire;

mod admin;

type Body = BoxBody<Bytes, Infallible>;

/// Request bodies above this are refused (413), like the API's 32 MB cap.
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Bodies larger than this are parsed on the blocking pool.
const BLOCKING_PARSE: usize = 256 * 1024;

/// Everything the handlers share.
pub struct Shared {
    pub scenario: Scenario,
    start: Instant,
    start_wall: SystemTime,
    inner: Mutex<Inner>,
    ids: AtomicU64,
    records: mpsc::Sender<Served>,
    /// Per-key token use, for the Admin API's usage report (`mock::usage`).
    usage: Mutex<super::usage::Book>,
}

struct Inner {
    buckets: Vec<Vec<Buckets>>,
    cache: PromptCache,
    rng: fastrand::Rng,
    answered: u64,
    sub: SubState,
}

#[derive(Default)]
struct SubState {
    five: SubWindow,
    seven: SubWindow,
}

#[derive(Default, Clone, Copy)]
struct SubWindow {
    start: Option<f64>,
    used: u64,
}

impl Shared {
    pub fn new(scenario: Scenario, seed: u64, records: mpsc::Sender<Served>) -> Shared {
        let minute = scenario.minute();
        let mut limits = Vec::new();
        let org: Vec<Limits> = scenario
            .groups
            .iter()
            .map(|g| {
                let over = scenario
                    .workspace
                    .as_ref()
                    .and_then(|w| w.overrides.iter().find(|o| o.group == g.id));
                match over {
                    Some(o) => g.limits.min(&o.limits),
                    None => g.limits.clone(),
                }
            })
            .collect();
        limits.push(org);
        for k in &scenario.keys {
            limits.push(
                scenario
                    .groups
                    .iter()
                    .map(|g| g.limits.overlaid(&k.limits))
                    .collect(),
            );
        }
        let buckets = limits
            .iter()
            .map(|p| p.iter().map(|l| Buckets::new(l, minute)).collect())
            .collect();
        Shared {
            scenario,
            start: Instant::now(),
            start_wall: SystemTime::now(),
            inner: Mutex::new(Inner {
                buckets,
                cache: PromptCache::default(),
                rng: fastrand::Rng::with_seed(seed),
                answered: 0,
                sub: SubState::default(),
            }),
            ids: AtomicU64::new(1),
            records,
            usage: Mutex::default(),
        }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn wall(&self, secs: f64) -> DateTime<Utc> {
        DateTime::<Utc>::from(self.start_wall + Duration::from_secs_f64(secs.max(0.0)))
    }

    fn rfc3339(&self, secs: f64) -> String {
        self.wall(secs).to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A response being built, with what the record needs.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: AnswerBody,
    outcome: Answered,
}

enum AnswerBody {
    Json(Value),
    Stream(Vec<String>),
}

impl Answer {
    fn json(status: u16, body: Value, outcome: Answered) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: AnswerBody::Json(body),
            outcome,
        }
    }

    fn error(status: u16, kind: &str, msg: &str, rid: &str, outcome: Answered) -> Answer {
        Answer::json(status, wire::error_body(kind, msg, None, rid), outcome)
    }
}

/// What the request said, for the record.
#[derive(Default)]
struct Asked {
    model: Option<String>,
    max_tokens: Option<u64>,
    input_tokens: Option<u64>,
    stream: bool,
    body_hash: u64,
}

/// Serves one request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let key = api_key(&req);
    let n = shared.next_id();
    let rid = format!("req_mock{n:016}");
    let mut asked = Asked::default();
    let answer = if let Some(a) = auth(&shared, key.as_deref(), &rid) {
        a
    } else {
        let route = (method.clone(), path.as_str());
        match route {
            (Method::POST, "/v1/messages") => match read_json(req).await {
                Ok((body, hash)) => {
                    asked.body_hash = hash;
                    messages(
                        &shared,
                        key.as_deref().unwrap_or(""),
                        &body,
                        &rid,
                        n,
                        &mut asked,
                    )
                }
                Err(a) => a(&rid),
            },
            (Method::POST, "/v1/messages/count_tokens") => match read_json(req).await {
                Ok((body, _)) => count_tokens(&shared, &body, &rid),
                Err(a) => a(&rid),
            },
            (Method::GET, "/v1/models") => admin::models(&shared, &query),
            (Method::GET, p) if p.starts_with("/v1/models/") => {
                admin::model_one(&shared, &p["/v1/models/".len()..], &rid)
            }
            (Method::GET, "/v1/organizations/rate_limits") => {
                admin::org_limits(&shared, &query, &rid)
            }
            (Method::GET, p)
                if p.starts_with("/v1/organizations/workspaces/")
                    && p.ends_with("/rate_limits") =>
            {
                let id = &p["/v1/organizations/workspaces/".len()..p.len() - "/rate_limits".len()];
                admin::workspace_limits(&shared, id, &query, &rid)
            }
            (Method::GET, "/v1/organizations/usage_report/messages")
            | (Method::GET, "/v1/organizations/api_keys")
            | (Method::GET, "/v1/organizations/workspaces") => {
                admin::admin_usage(&shared, &path, &query, &rid)
            }
            _ => Answer::error(
                404,
                "not_found_error",
                "Not found",
                &rid,
                Answered::NotFound,
            ),
        }
    };
    Ok(respond(&shared, answer, &method, &path, rid, key.as_deref(), asked).await)
}

fn api_key<B>(req: &Request<B>) -> Option<String> {
    let h = req.headers();
    if let Some(v) = h.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|v| v.trim().to_string())
}

fn auth(shared: &Shared, key: Option<&str>, rid: &str) -> Option<Answer> {
    match key {
        None | Some("") => Some(Answer::error(
            401,
            "authentication_error",
            "x-api-key header is required",
            rid,
            Answered::Auth,
        )),
        Some(k)
            if !shared.scenario.auth.keys.is_empty()
                && !shared.scenario.auth.keys.iter().any(|a| a == k) =>
        {
            Some(Answer::error(
                401,
                "authentication_error",
                "invalid x-api-key",
                rid,
                Answered::Auth,
            ))
        }
        _ => None,
    }
}

type Refuse = Box<dyn FnOnce(&str) -> Answer + Send>;

/// The body as JSON, and a hash of its bytes (a retry resends the same bytes).
async fn read_json(req: Request<hyper::body::Incoming>) -> Result<(Value, u64), Refuse> {
    let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return Err(Box::new(|rid: &str| {
                Answer::error(
                    413,
                    "request_too_large",
                    "Request exceeds the maximum allowed number of bytes.",
                    rid,
                    Answered::BadRequest,
                )
            }));
        }
    };
    let bytes_len = bytes.len();
    let digest = move || {
        let hash = {
            use std::hash::{DefaultHasher, Hasher};
            let mut h = DefaultHasher::new();
            h.write(&bytes);
            h.finish()
        };
        serde_json::from_slice::<Value>(&bytes).map(|v| (v, hash))
    };
    // A large body is hashed and parsed off the runtime's worker threads (a 32 MB parse
    // would stall every other connection on that worker).
    let parsed = if bytes_len > BLOCKING_PARSE {
        match tokio::task::spawn_blocking(digest).await {
            Ok(r) => r,
            Err(_) => {
                return Err(Box::new(|rid: &str| {
                    Answer::error(
                        500,
                        "api_error",
                        "Internal server error",
                        rid,
                        Answered::BadRequest,
                    )
                }));
            }
        }
    } else {
        digest()
    };
    parsed.map_err(|e| {
        let msg = format!("The request body is not valid JSON: {e}");
        Box::new(move |rid: &str| {
            Answer::error(
                400,
                "invalid_request_error",
                &msg,
                rid,
                Answered::BadRequest,
            )
        }) as Refuse
    })
}

/// The group a model belongs to: listed by id, else the same line and major version, else
/// (a Claude model of a line the scenario does not list, such as Claude Code's default
/// model against the `rpm` scenario) the scenario's first group, so a rehearsal works out of
/// the box; a model that is not Claude's is unknown (404).
fn group_of(s: &Scenario, model: &str) -> Option<usize> {
    listed_group_of(s, model).or_else(|| {
        (model.to_ascii_lowercase().starts_with("claude-") && !s.groups.is_empty()).then_some(0)
    })
}

/// The group that lists the model, or one of the same line and major version.
fn listed_group_of(s: &Scenario, model: &str) -> Option<usize> {
    if let Some(i) = s
        .groups
        .iter()
        .position(|g| g.models.iter().any(|m| m == model))
    {
        return Some(i);
    }
    let class = crate::diagnose::event::model_class(model);
    s.groups.iter().position(|g| {
        g.models
            .iter()
            .any(|m| crate::diagnose::event::model_class(m) == class)
    })
}

fn profile_of(s: &Scenario, key: &str) -> usize {
    s.keys
        .iter()
        .position(|k| !k.contains.is_empty() && key.contains(&k.contains))
        .map_or(0, |i| i + 1)
}

fn org_of(s: &Scenario, profile: usize) -> &str {
    if profile == 0 {
        &s.org.id
    } else {
        &s.keys[profile - 1].org_id
    }
}

/// A valid `/v1/messages` request's model, `max_tokens` and model class, or the 400/404.
fn check_request<'b>(
    s: &Scenario,
    body: &'b Value,
    rid: &str,
    asked: &mut Asked,
) -> Result<(&'b str, u64, usize), Answer> {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("");
    asked.model = (!model.is_empty()).then(|| model.to_string());
    asked.stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let max_tokens = body.get("max_tokens").and_then(Value::as_u64);
    asked.max_tokens = max_tokens;
    let bad =
        |msg: &str| Answer::error(400, "invalid_request_error", msg, rid, Answered::BadRequest);
    if model.is_empty() {
        return Err(bad("model: Field required"));
    }
    let Some(max_tokens) = max_tokens.filter(|&m| m >= 1) else {
        return Err(bad("max_tokens: Field required (an integer of at least 1)"));
    };
    if !body.get("messages").is_some_and(Value::is_array) {
        return Err(bad("messages: Field required"));
    }
    let Some(group) = group_of(s, model) else {
        return Err(Answer::error(
            404,
            "not_found_error",
            &format!("model: {model}"),
            rid,
            Answered::NotFound,
        ));
    };
    Ok((model, max_tokens, group))
}

fn messages(
    shared: &Shared,
    key: &str,
    body: &Value,
    rid: &str,
    n: u64,
    asked: &mut Asked,
) -> Answer {
    let s = &shared.scenario;
    let est = limiter::estimate_input(body);
    asked.input_tokens = Some(est.total);
    let (model, max_tokens, group) = match check_request(s, body, rid, asked) {
        Ok(ok) => ok,
        Err(a) => return a,
    };
    let profile = profile_of(s, key);
    let org = org_of(s, profile).to_string();
    let now = shared.now();
    let minute = s.minute();
    let mut headers: Vec<(&'static str, String)> = vec![("anthropic-organization-id", org.clone())];
    if let Some(w) = &s.workspace
        && profile == 0
    {
        headers.push(("anthropic-workspace-id", w.id.clone()));
    }
    let mut inner = shared.lock();

    // Subscription windows replace the per-minute limits.
    if let Some(sub) = &s.subscription {
        let (rejected, reset) =
            subscription_headers(shared, sub, &mut inner.sub, now, &mut headers);
        if rejected {
            drop(inner);
            return subscription_refused(headers, reset - now, rid);
        }
    } else if let Some(sp) = &s.spend
        && inner.answered >= sp.after_requests
    {
        inner.buckets[profile][group].touch(now);
        let b = inner.buckets[profile][group].clone();
        drop(inner);
        limit_headers(shared, &b, now, &mut headers);
        let next = next_month(shared.wall(now));
        let (status, kind, msg, code) = wire::spend(&sp.kind, &next);
        let mut a = Answer::json(
            status,
            wire::error_body(kind, &msg, code, rid),
            Answered::Spend,
        );
        a.headers = headers;
        return a;
    }

    if let Some(o) = &s.overload
        && now >= o.start_s
        && o.end_s.is_none_or(|e| now < e)
        && inner.rng.f64() < o.rate
    {
        let as_500 = inner.rng.f64() < o.as_500;
        inner.buckets[profile][group].touch(now);
        let b = inner.buckets[profile][group].clone();
        drop(inner);
        if s.subscription.is_none() {
            limit_headers(shared, &b, now, &mut headers);
        }
        let stream = asked.stream && o.stream == "event";
        return overloaded(headers, as_500, stream, model, est.total, rid, n);
    }

    // Cache-aware input: a cached prefix is read (free) or written (counted).
    let (cache_write, cache_read) = if est.prefix > 0 {
        if inner
            .cache
            .read_or_write(est.prefix_hash ^ group as u64, now, 5.0 * minute)
        {
            (0, est.prefix)
        } else {
            (est.prefix, 0)
        }
    } else {
        (0, 0)
    };
    let uncached = est.total - est.prefix;
    let output = s.response.output_tokens.min(max_tokens).max(1);
    let cost = Cost {
        input: uncached + cache_write,
        output,
        max_tokens,
    };
    let otpm = s.timing.otpm;
    let result = inner.buckets[profile][group].admit(now, cost, otpm, s.ramp.as_ref(), minute);
    let buckets = inner.buckets[profile][group].clone();
    if result.is_ok() {
        inner.answered += 1;
    }
    drop(inner);
    if s.subscription.is_none() {
        limit_headers(shared, &buckets, now, &mut headers);
    }
    match result {
        Err(refusal) => refused(refusal, headers, &org, model, rid),
        Ok(()) => {
            let served = Admitted {
                model,
                max_tokens,
                uncached,
                cache_write,
                cache_read,
                output,
            };
            book_usage(shared, key, profile, now, &served);
            success(s, &served, headers, asked.stream, n)
        }
    }
}

/// Advances the subscription windows by one request and writes the
/// `anthropic-ratelimit-unified-*` headers; returns whether it is rejected and when the
/// binding window resets.
fn subscription_headers(
    shared: &Shared,
    sub: &Subscription,
    st: &mut SubState,
    now: f64,
    headers: &mut Vec<(&'static str, String)>,
) -> (bool, f64) {
    let minute = shared.scenario.minute();
    let five_len = 300.0 * minute;
    let seven_len = 7.0 * 1440.0 * minute;
    for (w, len) in [(&mut st.five, five_len), (&mut st.seven, seven_len)] {
        if w.start.is_none_or(|t| now >= t + len) {
            *w = SubWindow {
                start: Some(now),
                used: 0,
            };
        }
    }
    let five_full = st.five.used >= sub.five_hour_requests;
    let seven_full = st.seven.used >= sub.seven_day_requests;
    let rejected = five_full || seven_full;
    if !rejected {
        st.five.used += 1;
        st.seven.used += 1;
    }
    let util = |w: &SubWindow, budget: u64| w.used as f64 / budget as f64;
    let status = |u: f64, full: bool| {
        if full {
            "rejected"
        } else if u >= sub.warn_at {
            "allowed_warning"
        } else {
            "allowed"
        }
    };
    let u5 = util(&st.five, sub.five_hour_requests);
    let u7 = util(&st.seven, sub.seven_day_requests);
    let r5 = st.five.start.unwrap_or(now) + five_len;
    let r7 = st.seven.start.unwrap_or(now) + seven_len;
    let epoch = |t: f64| shared.wall(t).timestamp().to_string();
    let (claim, reset) = if seven_full && !five_full {
        ("seven_day", r7)
    } else {
        ("five_hour", r5)
    };
    let overall = if rejected {
        "rejected"
    } else if u5.max(u7) >= sub.warn_at {
        "allowed_warning"
    } else {
        "allowed"
    };
    headers.extend([
        ("anthropic-ratelimit-unified-status", overall.to_string()),
        (
            "anthropic-ratelimit-unified-representative-claim",
            claim.to_string(),
        ),
        ("anthropic-ratelimit-unified-reset", epoch(reset)),
        (
            "anthropic-ratelimit-unified-5h-status",
            status(u5, five_full).to_string(),
        ),
        (
            "anthropic-ratelimit-unified-5h-utilization",
            format!("{:.2}", u5.min(1.0)),
        ),
        ("anthropic-ratelimit-unified-5h-reset", epoch(r5)),
        (
            "anthropic-ratelimit-unified-7d-status",
            status(u7, seven_full).to_string(),
        ),
        (
            "anthropic-ratelimit-unified-7d-utilization",
            format!("{:.2}", u7.min(1.0)),
        ),
        ("anthropic-ratelimit-unified-7d-reset", epoch(r7)),
        (
            "anthropic-ratelimit-unified-fallback-percentage",
            "0.5".to_string(),
        ),
        (
            "anthropic-ratelimit-unified-overage-status",
            "rejected".to_string(),
        ),
    ]);
    (rejected, reset)
}

/// The 429 of a full subscription window.
fn subscription_refused(mut headers: Vec<(&'static str, String)>, wait: f64, rid: &str) -> Answer {
    headers.push(("retry-after", limiter::retry_after_secs(wait).to_string()));
    let mut a = Answer::error(
        429,
        "rate_limit_error",
        wire::SUBSCRIPTION_MESSAGE,
        rid,
        Answered::Subscription,
    );
    a.headers = headers;
    a
}

/// Books an admitted request's tokens for the Admin API's usage report.
fn book_usage(shared: &Shared, key: &str, profile: usize, now: f64, r: &Admitted<'_>) {
    let s = &shared.scenario;
    shared
        .usage
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(
            &s.usage,
            s.workspace
                .as_ref()
                .filter(|_| profile == 0)
                .map(|w| w.id.as_str()),
            key,
            r.model,
            shared.wall(now),
            r.uncached,
            r.cache_write,
            r.cache_read,
            r.output,
        );
}

/// The injected overload: a 529 (or 500), or an `overloaded_error` event in a 200 stream.
fn overloaded(
    headers: Vec<(&'static str, String)>,
    as_500: bool,
    stream: bool,
    model: &str,
    input_tokens: u64,
    rid: &str,
    n: u64,
) -> Answer {
    let overloaded = wire::error_body("overloaded_error", "Overloaded", None, rid);
    if stream {
        let input = wire::usage(input_tokens, 0, 0, 0);
        let mut a = Answer {
            status: 200,
            headers,
            body: AnswerBody::Stream(wire::stream_events(
                &format!("msg_mock{n:016}"),
                model,
                &input,
                0,
                "end_turn",
                Some(&overloaded),
            )),
            outcome: Answered::OverloadStream,
        };
        a.headers.push(("x-should-retry", "true".into()));
        return a;
    }
    let mut a = if as_500 {
        Answer::json(
            500,
            wire::error_body("api_error", "Overloaded", None, rid),
            Answered::Overload500,
        )
    } else {
        Answer::json(529, overloaded, Answered::Overload529)
    };
    a.headers = headers;
    a.headers.push(("x-should-retry", "true".into()));
    a
}

/// The 429 of a refused request (a limit or the ramp).
fn refused(
    refusal: Refusal,
    mut headers: Vec<(&'static str, String)>,
    org: &str,
    model: &str,
    rid: &str,
) -> Answer {
    match refusal {
        Refusal::Limit { dim, limit, wait } => {
            headers.push(("retry-after", limiter::retry_after_secs(wait).to_string()));
            let msg = wire::limit_message(dim, limit, org, model);
            let mut a = Answer::error(429, "rate_limit_error", &msg, rid, Answered::Limit(dim));
            a.headers = headers;
            a
        }
        Refusal::Ramp {
            requests,
            current,
            next,
            wait,
        } => {
            headers.push(("retry-after", limiter::retry_after_secs(wait).to_string()));
            let msg = wire::ramp_message(requests, current, next, org, model);
            let mut a = Answer::json(
                429,
                wire::error_body("rate_limit_error", &msg, Some("ramp_limit_exceeded"), rid),
                Answered::Ramp,
            );
            a.headers = headers;
            a
        }
    }
}

/// What an admitted request cost.
struct Admitted<'a> {
    model: &'a str,
    max_tokens: u64,
    uncached: u64,
    cache_write: u64,
    cache_read: u64,
    output: u64,
}

/// The 200 of an admitted request, as JSON or as a stream of events.
fn success(
    s: &Scenario,
    r: &Admitted<'_>,
    headers: Vec<(&'static str, String)>,
    stream: bool,
    n: u64,
) -> Answer {
    let stop = if r.output >= r.max_tokens && s.response.output_tokens > r.max_tokens {
        "max_tokens"
    } else {
        "end_turn"
    };
    let id = format!("msg_mock{n:016}");
    let usage_in = wire::usage(r.uncached, r.cache_write, r.cache_read, 0);
    let body = if stream {
        AnswerBody::Stream(wire::stream_events(
            &id, r.model, &usage_in, r.output, stop, None,
        ))
    } else {
        let text = wire::answer_text(r.output);
        AnswerBody::Json(wire::message(
            &id,
            r.model,
            &text,
            stop,
            &wire::usage(r.uncached, r.cache_write, r.cache_read, r.output),
        ))
    };
    Answer {
        status: 200,
        headers,
        body,
        outcome: Answered::Ok,
    }
}

/// The `anthropic-ratelimit-*` headers of a model class's buckets.
fn limit_headers(shared: &Shared, b: &Buckets, now: f64, out: &mut Vec<(&'static str, String)>) {
    let mut put = |names: [&'static str; 3], bucket: &limiter::Bucket| {
        out.push((names[0], bucket.limit.to_string()));
        out.push((names[1], bucket.remaining().to_string()));
        out.push((names[2], shared.rfc3339(now + bucket.until_full())));
    };
    if let Some(r) = &b.requests {
        put(
            [
                "anthropic-ratelimit-requests-limit",
                "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-requests-reset",
            ],
            r,
        );
    }
    if let Some(i) = &b.input {
        put(
            [
                "anthropic-ratelimit-input-tokens-limit",
                "anthropic-ratelimit-input-tokens-remaining",
                "anthropic-ratelimit-input-tokens-reset",
            ],
            i,
        );
    }
    if let Some(o) = &b.output {
        put(
            [
                "anthropic-ratelimit-output-tokens-limit",
                "anthropic-ratelimit-output-tokens-remaining",
                "anthropic-ratelimit-output-tokens-reset",
            ],
            o,
        );
    }
    // tokens-*: whichever token limit is most restrictive right now.
    let tightest = match (&b.input, &b.output) {
        (Some(i), Some(o)) => Some(if o.remaining() < i.remaining() { o } else { i }),
        (i, o) => i.as_ref().or(o.as_ref()),
    };
    if let Some(t) = tightest {
        put(
            [
                "anthropic-ratelimit-tokens-limit",
                "anthropic-ratelimit-tokens-remaining",
                "anthropic-ratelimit-tokens-reset",
            ],
            t,
        );
    }
}

fn next_month(t: DateTime<Utc>) -> String {
    use chrono::Datelike;
    let (y, m) = if t.month() == 12 {
        (t.year() + 1, 1)
    } else {
        (t.year(), t.month() + 1)
    };
    format!("{y:04}-{m:02}-01 at 00:00 UTC")
}

fn count_tokens(shared: &Shared, body: &Value, rid: &str) -> Answer {
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return Answer::error(
            400,
            "invalid_request_error",
            "model: Field required",
            rid,
            Answered::BadRequest,
        );
    };
    if group_of(&shared.scenario, model).is_none() {
        return Answer::error(
            404,
            "not_found_error",
            &format!("model: {model}"),
            rid,
            Answered::NotFound,
        );
    }
    let est = limiter::estimate_input(body);
    Answer::json(200, json!({"input_tokens": est.total}), Answered::Ok)
}

/// A body fed from a channel: the SSE events of a stream, as they are written.
struct ChanBody(mpsc::Receiver<Bytes>);

impl http_body::Body for ChanBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// Turns an answer into the HTTP response and hands the exchange to the recorder.
async fn respond(
    shared: &Shared,
    a: Answer,
    method: &Method,
    path: &str,
    rid: String,
    key: Option<&str>,
    asked: Asked,
) -> Response<Body> {
    let Answer {
        status,
        mut headers,
        body,
        outcome,
    } = a;
    headers.push(("request-id", rid.clone()));
    let (resp_body, rec_body): (Body, RecBody) = match body {
        AnswerBody::Json(v) => {
            let bytes = Bytes::from(serde_json::to_vec(&v).unwrap_or_default());
            headers.push(("content-type", "application/json".into()));
            let rec = if status >= 400 {
                RecBody::Json(v)
            } else {
                // Successes are recorded without the answer text.
                match v.get("usage") {
                    Some(u) => RecBody::Json(
                        json!({"type": "message", "model": v.get("model"), "usage": u}),
                    ),
                    None => RecBody::None,
                }
            };
            (Full::new(bytes).boxed(), rec)
        }
        AnswerBody::Stream(events) => {
            headers.push(("content-type", "text/event-stream; charset=utf-8".into()));
            headers.push(("cache-control", "no-cache".into()));
            let rec = match events.iter().find(|e| e.starts_with("event: error")) {
                Some(e) => RecBody::Text(e.clone()),
                None => RecBody::Json(
                    json!({"type": "message", "model": asked.model, "usage": last_usage(&events)}),
                ),
            };
            let (tx, rx) = mpsc::channel::<Bytes>(4);
            tokio::spawn(async move {
                for e in events {
                    if tx.send(Bytes::from(e)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            });
            (ChanBody(rx).boxed(), rec)
        }
    };
    let now = shared.now();
    let ex = Served {
        ts: shared.wall(now),
        at: now,
        method: method.to_string(),
        path: path.to_string(),
        status,
        headers: headers.clone(),
        body: rec_body,
        model: asked.model,
        max_tokens: asked.max_tokens,
        input_tokens: asked.input_tokens,
        stream: asked.stream,
        request_id: rid,
        client: key.map_or(0, client_id) ^ asked.body_hash,
        outcome,
    };
    // Back-pressure: a recorder that falls behind slows the server instead of growing memory.
    let _ = shared.records.send(ex).await;
    let mut resp = Response::new(resp_body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append(k, v);
        }
    }
    if !h.contains_key(CONTENT_TYPE) {
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    resp
}

fn last_usage(events: &[String]) -> Value {
    events
        .iter()
        .rev()
        .find(|e| e.starts_with("event: message_delta"))
        .and_then(|e| e.lines().nth(1))
        .and_then(|d| d.strip_prefix("data: "))
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|v| v.get("usage").cloned())
        .unwrap_or(Value::Null)
}

/// A stable, non-reversible id for a key (the key itself is never kept).
fn client_id(key: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}
