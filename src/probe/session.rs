//! One probing session: the fixed settings ([`Session`]), what was gathered ([`State`]) and
//! the rounds that gather it. Each probe is one request, counted against the budget before it
//! is sent and never retried.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local, Utc};

use super::{
    Budget, PROBE_GAP, Probe, Round, Skipped, TOKENS_PER_PROBE, Target, budget, find_group,
    group_name, headroom, stray,
};
use crate::api::messages::{self, Headroom, ProbeResponse};
use crate::api::rate_limits::RateLimitGroup;
use crate::api::{ApiError, Client};
use crate::capture::{Capture, Format};
use crate::classify::{self, Class, Verdict};

/// Everything fixed for the run.
pub struct Session {
    pub client: Client,
    pub targets: Vec<Target>,
    /// The org's model groups (Rate Limits API), when an Admin key was given.
    pub org: Option<Vec<RateLimitGroup>>,
    /// Requests per round, at most.
    pub max_requests: u32,
    /// Tokens per round, at most.
    pub max_tokens: u64,
    /// Seconds between rounds (`--watch`); `None`: one round.
    pub watch: Option<u64>,
}

/// Everything gathered so far (kept when Ctrl-C cancels the run).
#[derive(Default)]
pub struct State {
    pub rounds: Vec<Round>,
    pub errors: Vec<ApiError>,
    /// Models with an exhausted dimension, not probed again before this time (--watch).
    pub hold: HashMap<String, DateTime<Utc>>,
    /// Set when the watch must end (a refusal or an error).
    pub stop: Option<String>,
    pub interrupted: bool,
    /// For renderers: the header of the --watch lines is printed.
    pub live_header: bool,
}

/// Some probe got an HTTP answer, or some model was skipped (there is something to show).
pub fn answered_or_skipped(st: &State) -> bool {
    st.rounds
        .iter()
        .any(|r| !r.skipped.is_empty() || r.probes.iter().any(|p| p.status.is_some()))
}

/// Runs rounds until done: one without `watch`; with it, until `max_rounds`, a stop, or the
/// future is dropped (Ctrl-C). `on_probe` sees each probe as it is made, with the state, for a
/// live display.
pub async fn run_rounds(
    ctx: &Session,
    st: &mut State,
    max_rounds: Option<u32>,
    on_probe: &mut dyn FnMut(&mut State, u32, &Probe),
) {
    let mut n: u32 = 0;
    loop {
        n = n.saturating_add(1);
        let started = tokio::time::Instant::now();
        run_round(ctx, st, n, on_probe).await;
        let Some(interval) = ctx.watch else { return };
        if st.stop.is_some() || !st.errors.is_empty() || max_rounds.is_some_and(|m| n >= m) {
            return;
        }
        tokio::time::sleep_until(started + Duration::from_secs(interval)).await;
    }
}

/// One pass over the targets: budget checked before every request, [`PROBE_GAP`] between
/// requests, nothing retried. A fatal error (auth, network, redirect, a body that is not a
/// message) ends the round.
pub async fn run_round(
    ctx: &Session,
    st: &mut State,
    n: u32,
    on_probe: &mut dyn FnMut(&mut State, u32, &Probe),
) {
    st.rounds.push(Round {
        round: n,
        started: now_rfc3339(),
        probes: Vec::new(),
        skipped: Vec::new(),
        budget: Budget {
            max_requests: ctx.max_requests,
            requests_sent: 0,
            max_tokens: ctx.max_tokens,
            tokens_counted: 0,
            stopped: None,
        },
    });
    let idx = st.rounds.len() - 1;
    for t in &ctx.targets {
        if let Some(until) = st.hold.get(&t.model).copied() {
            if until > Utc::now() {
                st.rounds[idx].skipped.push(Skipped {
                    model: t.model.clone(),
                    reason: format!(
                        "exhausted in an earlier round; not probed again before {}",
                        local_time(until)
                    ),
                });
                continue;
            }
            st.hold.remove(&t.model);
        }
        let budget = &mut st.rounds[idx].budget;
        if let Some(reason) = budget::over(budget) {
            budget.stopped.get_or_insert_with(|| reason.clone());
            st.rounds[idx].skipped.push(Skipped {
                model: t.model.clone(),
                reason: format!("budget: {reason}"),
            });
            continue;
        }
        if budget.requests_sent > 0 {
            tokio::time::sleep(PROBE_GAP).await;
        }
        // Counted before sending: a request whose answer is lost was still sent.
        let b = &mut st.rounds[idx].budget;
        b.requests_sent = b.requests_sent.saturating_add(1);
        let sent_at = Utc::now();
        let result = messages::send_probe(&ctx.client, &t.model).await;
        let (probe, err) = match result {
            Ok(resp) => judge(ctx.org.as_deref(), t, &resp, sent_at),
            Err(e) => (failed_probe(t, sent_at, &e), Some(e)),
        };
        let b = &mut st.rounds[idx].budget;
        b.tokens_counted = b.tokens_counted.saturating_add(probe.tokens_counted);
        if let Some(until) = headroom::exhausted_until(&probe) {
            st.hold.insert(t.model.clone(), until);
        }
        if probe.refused.is_some() {
            st.stop.get_or_insert_with(|| {
                format!(
                    "{} was refused; the watch ends so it never probes into a limit",
                    t.model
                )
            });
        }
        let fatal = matches!(
            err,
            Some(
                ApiError::Auth { .. }
                    | ApiError::Timeout { .. }
                    | ApiError::Connect { .. }
                    | ApiError::Other { .. }
                    | ApiError::Redirect { .. }
                    | ApiError::BadBody { .. }
            )
        );
        on_probe(st, n, &probe);
        st.rounds[idx].probes.push(probe);
        if let Some(e) = err {
            st.errors.push(e);
            if fatal {
                // The same key and network would fail for every other model too.
                return;
            }
        }
    }
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The probe whose answer never came (timeout, refused connection).
pub fn failed_probe(t: &Target, sent_at: DateTime<Utc>, e: &ApiError) -> Probe {
    Probe {
        model: t.model.clone(),
        class: t.class.clone(),
        answered_model: None,
        time: sent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        status: None,
        elapsed_ms: None,
        request_id: None,
        organization_id: None,
        workspace_id: None,
        dimensions: Vec::new(),
        tightest: None,
        headroom: Headroom::Unknown,
        usage: None,
        // The answer was lost, so what it cost is unknown: count the estimate.
        tokens_counted: TOKENS_PER_PROBE,
        refused: None,
        stray_key: None,
        error: Some(crate::redact::keys(&e.to_string())),
    }
}

/// Turns one answer into a [`Probe`], and the error it carries when it is not a rate limit.
pub fn judge(
    org: Option<&[RateLimitGroup]>,
    t: &Target,
    resp: &ProbeResponse,
    sent_at: DateTime<Utc>,
) -> (Probe, Option<ApiError>) {
    let answered_at = Utc::now();
    let mut dims = messages::parse_dimensions(|n| resp.header(n), answered_at);
    let group = org.and_then(|g| find_group(g, &t.model, resp.model()));
    if let Some(g) = group {
        headroom::annotate_org_limits(&mut dims, g);
    }
    let tight = messages::tightest(&dims).map(|d| (d.name, d.headroom));
    let usage = resp.usage();
    let header = |n: &str| resp.header(n).map(str::to_string);
    let mut probe = Probe {
        model: t.model.clone(),
        class: t.class.clone().or_else(|| group.map(group_name)),
        answered_model: resp.model().map(str::to_string),
        time: sent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        status: Some(resp.status),
        elapsed_ms: Some(u64::try_from(resp.elapsed.as_millis()).unwrap_or(u64::MAX)),
        request_id: header("request-id"),
        organization_id: header("anthropic-organization-id"),
        workspace_id: header("anthropic-workspace-id"),
        tightest: tight.map(|(n, _)| n),
        headroom: tight.map_or(Headroom::Unknown, |(_, h)| h),
        usage,
        tokens_counted: usage.map_or(TOKENS_PER_PROBE, |u| u.total()),
        refused: None,
        stray_key: None,
        error: None,
        dimensions: Vec::new(),
    };
    probe.stray_key = stray::stray_key(&dims, group, probe.workspace_id.as_deref());
    probe.dimensions = dims;

    let status = resp.status;
    if resp.is_success() {
        return (probe, None);
    }
    let err = match crate::api::error::for_status(
        status,
        resp.error_message(),
        &format!("model {}", t.model),
        0,
    ) {
        e @ (ApiError::Auth { .. } | ApiError::NotFound { .. }) => Some(e),
        other => {
            let verdict = classify_response(t, resp, sent_at);
            let limit = matches!(status, 429 | 529)
                || verdict
                    .as_ref()
                    .is_some_and(|v| v.class.is_rate_limit() && v.class != Class::Unknown);
            if limit {
                probe.refused = verdict;
                None
            } else {
                Some(other)
            }
        }
    };
    if let Some(e) = &err {
        probe.error = Some(crate::redact::keys(&e.to_string()));
    }
    (probe, err)
}

/// Runs the shared classifier on a refused probe, as if it were a captured `curl -i` answer.
pub fn classify_response(
    t: &Target,
    resp: &ProbeResponse,
    sent_at: DateTime<Utc>,
) -> Option<Verdict> {
    let mut c = Capture::new(Arc::from("probe"), 0, Format::Http);
    c.status = Some(resp.status);
    c.time = Some(sent_at);
    for (n, v) in &resp.headers {
        c.headers.set(n, v);
    }
    match &resp.body {
        Some(json) => {
            c.absorb_body(json);
        }
        None => c.push_text(&resp.body_text),
    }
    c.model = Some(t.model.clone());
    c.method = Some("POST".into());
    c.url = Some(resp.url.clone());
    c.request.max_tokens = Some(1);
    classify::classify(&c)
}

/// `HH:MM:SS` today, else the date too (local time), for skip reasons.
fn local_time(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Local);
    if l.date_naive() == Local::now().date_naive() {
        l.format("%H:%M:%S").to_string()
    } else {
        l.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Vec<RateLimitGroup> {
        serde_json::from_value(serde_json::json!([
            {"group_id": "rlg_S", "group_type": "model_group", "display_name": "Claude Sonnet 4.x",
             "models": ["claude-sonnet-4-5"],
             "limits": [{"type": "requests_per_minute", "value": 4000.0}]}
        ]))
        .unwrap()
    }

    fn resp(
        status: u16,
        req_limit: &str,
        remaining: &str,
        body: serde_json::Value,
    ) -> ProbeResponse {
        ProbeResponse {
            url: "http://127.0.0.1/v1/messages".into(),
            status,
            headers: vec![
                (
                    "anthropic-ratelimit-requests-limit".into(),
                    req_limit.into(),
                ),
                (
                    "anthropic-ratelimit-requests-remaining".into(),
                    remaining.into(),
                ),
                ("anthropic-workspace-id".into(), "wrkspc_1".into()),
            ],
            body: Some(body),
            body_text: String::new(),
            elapsed: Duration::from_millis(5),
        }
    }

    fn target() -> Target {
        Target {
            model: "claude-sonnet-4-5".into(),
            class: None,
        }
    }

    #[test]
    fn a_healthy_answer_with_the_org_limit_is_clean() {
        let body = serde_json::json!({"type": "message", "model": "claude-sonnet-4-5",
                                      "usage": {"input_tokens": 9, "output_tokens": 1}});
        let o = org();
        let (p, err) = judge(
            Some(&o),
            &target(),
            &resp(200, "4000", "3999", body),
            Utc::now(),
        );
        assert!(err.is_none());
        assert!(p.stray_key.is_none() && p.refused.is_none());
        assert_eq!(p.class.as_deref(), Some("Claude Sonnet 4.x"));
        assert_eq!(p.tokens_counted, 10);
        assert_eq!(p.dimensions[0].org_limit, Some(4000.0));
    }

    #[test]
    fn a_lower_limit_than_the_org_is_a_stray_key() {
        let body = serde_json::json!({"type": "message", "usage": {"input_tokens": 9, "output_tokens": 1}});
        let o = org();
        let (p, _) = judge(
            Some(&o),
            &target(),
            &resp(200, "50", "49", body),
            Utc::now(),
        );
        let s = p.stray_key.expect("stray key");
        assert_eq!(s.header_requests_limit, 50);
        assert!(s.message.contains("4,000") && s.message.contains("wrkspc_1"));
    }

    #[test]
    fn statuses_map_to_errors_or_refusals() {
        let err = serde_json::json!({"type": "error", "error": {"type": "authentication_error", "message": "bad key"}});
        let (p, e) = judge(None, &target(), &resp(401, "", "", err), Utc::now());
        assert!(matches!(e, Some(ApiError::Auth { status: 401, .. })));
        assert!(p.error.is_some());
        let limited = serde_json::json!({"type": "error", "error": {"type": "rate_limit_error",
            "message": "Number of requests has exceeded your per-minute rate limit"}});
        let (p, e) = judge(None, &target(), &resp(429, "50", "0", limited), Utc::now());
        assert!(e.is_none(), "a refusal is a result, not an error");
        assert_eq!(p.refused.as_ref().map(|v| v.class), Some(Class::Rpm));
        assert_eq!(p.headroom, Headroom::Exhausted);
        assert!(super::headroom::exhausted_until(&p).is_some());
    }
}
