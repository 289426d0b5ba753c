//! `claude-429 probe`: live headroom per model. One minimal Messages request per model (a
//! one-word prompt, `max_tokens: 1`), its `anthropic-ratelimit-*` headers read into limit,
//! remaining, used %, reset and a headroom verdict per dimension.
//!
//! Safety, because a probe spends from the very limits it measures:
//! * a hard budget per round (`--max-requests`, `--max-tokens-budget`) checked before every
//!   request, never exceeded;
//! * no retry of any kind: a 429 or 529 is classified with the shared classifier and reported;
//! * requests go out one at a time, [`PROBE_GAP`] apart;
//! * `--dry-run` prints the requests (key redacted) and sends nothing.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::client::{ANTHROPIC_VERSION, load_key};
use crate::api::messages::{
    self, Dimension, DimensionName, Headroom, MESSAGES_PATH, ProbeResponse, Usage,
};
use crate::api::models::{self, MODELS_PATH};
use crate::api::rate_limits::{self, RateLimitGroup};
use crate::api::{ApiError, Client, ClientConfig, Secret};
use crate::capture::{Capture, Format};
use crate::classify::{self, Class, Verdict};
use crate::cli::ProbeArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::probe::{
    fmt_value, local_time, write_intro, write_live, write_round, write_watch_summary,
};
use crate::report::{Style, thousands};

/// Pause between two probes: requests go out one at a time, never in a burst.
pub const PROBE_GAP: Duration = Duration::from_millis(250);

/// Tokens a probe is counted as before it is sent. A one-word prompt is about 8 input tokens
/// and `max_tokens` is 1; 20 leaves room for message framing. After the answer, the usage it
/// reports replaces the estimate.
pub const TOKENS_PER_PROBE: u64 = 20;

const RATE_LIMITS_PATH: &str = "/v1/organizations/rate_limits";

pub fn run(a: &ProbeArgs, style: &Style) -> Result<Outcome> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(a, style))
}

/// Where a key came from, for messages that must name it without printing it.
struct Key {
    secret: Option<Secret>,
    source: String,
}

fn api_key(a: &ProbeArgs) -> Result<Key> {
    let source = match &a.api_key_file {
        Some(f) => format!("--api-key-file {}", f.display()),
        None if crate::api::transport::auth_token_from_env().is_some() => {
            crate::api::transport::AUTH_TOKEN_VAR.to_string()
        }
        None => "ANTHROPIC_API_KEY".to_string(),
    };
    match load_key(
        "ANTHROPIC_API_KEY",
        a.api_key_file.as_deref(),
        " (or ANTHROPIC_AUTH_TOKEN) or pass --api-key-file FILE",
    ) {
        Ok(k) => Ok(Key {
            secret: Some(k),
            source,
        }),
        // A dry run sends nothing, so it can show the plan without a key.
        Err(e)
            if a.dry_run
                && matches!(
                    e.downcast_ref::<ApiError>(),
                    Some(ApiError::MissingKey { .. })
                ) =>
        {
            Ok(Key {
                secret: None,
                source,
            })
        }
        Err(e) => Err(e),
    }
}

fn admin_key(a: &ProbeArgs) -> Result<Option<Key>> {
    if let Some(f) = &a.admin_key_file {
        let k = load_key("ANTHROPIC_ADMIN_KEY", Some(f), "")?;
        return Ok(Some(Key {
            secret: Some(k),
            source: format!("--admin-key-file {}", f.display()),
        }));
    }
    Ok(match std::env::var("ANTHROPIC_ADMIN_KEY") {
        Ok(v) if !v.trim().is_empty() => Some(Key {
            secret: Some(Secret::new(v)),
            source: "ANTHROPIC_ADMIN_KEY".into(),
        }),
        _ => None,
    })
}

/// Where the list of models came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ModelsFrom {
    /// `--model` on the command line.
    Cli,
    /// `GET /v1/models`, one per class.
    ModelsApi,
    /// The Rate Limits API, one per model group.
    RateLimitsApi,
}

impl ModelsFrom {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            ModelsFrom::Cli => "as given with --model",
            ModelsFrom::ModelsApi => "(one per model class, from GET /v1/models)",
            ModelsFrom::RateLimitsApi => "(one per model group, from the Rate Limits API)",
        }
    }
}

/// One model to probe.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) model: String,
    /// The model class (a Rate Limits API group name, or the class from GET /v1/models).
    pub(crate) class: Option<String>,
}

/// What one probe found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Probe {
    /// The model asked for.
    pub(crate) model: String,
    /// Its model class, when known.
    pub(crate) class: Option<String>,
    /// The model id the API answered with (aliases resolve to a dated id).
    pub(crate) answered_model: Option<String>,
    /// When the probe was sent (RFC 3339, UTC).
    pub(crate) time: String,
    /// HTTP status (absent when no answer came).
    pub(crate) status: Option<u16>,
    /// Milliseconds from sending to the end of the answer.
    pub(crate) elapsed_ms: Option<u64>,
    /// `request-id` of the answer.
    pub(crate) request_id: Option<String>,
    /// `anthropic-organization-id` of the answer.
    pub(crate) organization_id: Option<String>,
    /// `anthropic-workspace-id` of the answer.
    pub(crate) workspace_id: Option<String>,
    /// Every rate-limit dimension the headers showed.
    pub(crate) dimensions: Vec<Dimension>,
    /// The dimension with the least room left.
    pub(crate) tightest: Option<DimensionName>,
    /// The headroom of the tightest dimension.
    pub(crate) headroom: Headroom,
    /// Token usage the answer reported.
    pub(crate) usage: Option<Usage>,
    /// Tokens this probe counted against --max-tokens-budget.
    pub(crate) tokens_counted: u64,
    /// The classified refusal when the API refused the probe (429, 529, spend...).
    pub(crate) refused: Option<Verdict>,
    /// Set when the key's requests limit is below the org's configured one.
    pub(crate) stray_key: Option<StrayKey>,
    /// The error, when the probe failed for a reason that is not a rate limit.
    pub(crate) error: Option<String>,
}

/// The stray-key finding: the key sees a lower requests limit than the org has configured.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct StrayKey {
    /// The model group compared with.
    pub(crate) group: Option<String>,
    /// `anthropic-ratelimit-requests-limit` of the probe.
    pub(crate) header_requests_limit: u64,
    /// The org's `requests_per_minute` for the group.
    pub(crate) org_requests_per_minute: f64,
    /// The workspace the answer came from, when the header said.
    pub(crate) workspace_id: Option<String>,
    /// The finding in one sentence.
    pub(crate) message: String,
}

/// A model the round did not probe, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Skipped {
    pub(crate) model: String,
    pub(crate) reason: String,
}

/// What the round spent against its budget.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Budget {
    /// --max-requests for the round.
    pub(crate) max_requests: u32,
    /// Probes sent.
    pub(crate) requests_sent: u32,
    /// --max-tokens-budget for the round.
    pub(crate) max_tokens: u64,
    /// Tokens counted (usage reported, else the per-probe estimate).
    pub(crate) tokens_counted: u64,
    /// Why the round stopped before the last model, when it did.
    pub(crate) stopped: Option<String>,
}

/// One pass over the models.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Round {
    /// 1-based (always 1 without --watch).
    pub(crate) round: u32,
    /// When the round started (RFC 3339, UTC).
    pub(crate) started: String,
    pub(crate) probes: Vec<Probe>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) budget: Budget,
}

/// Everything fixed for the run.
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) targets: Vec<Target>,
    pub(crate) org: Option<Vec<RateLimitGroup>>,
    pub(crate) max_requests: u32,
    pub(crate) max_tokens: u64,
    pub(crate) watch: Option<u64>,
    pub(crate) json: bool,
    pub(crate) style: Style,
}

/// Everything gathered so far (kept when Ctrl-C cancels the run).
#[derive(Default)]
pub(crate) struct State {
    pub(crate) rounds: Vec<Round>,
    pub(crate) errors: Vec<ApiError>,
    /// Models with an exhausted dimension, not probed again before this time (--watch).
    pub(crate) hold: HashMap<String, DateTime<Utc>>,
    /// Set when the watch must end (a refusal or an error).
    pub(crate) stop: Option<String>,
    pub(crate) interrupted: bool,
    /// The header of the --watch lines is printed.
    pub(crate) live_header: bool,
}

async fn run_async(a: &ProbeArgs, style: &Style) -> Result<Outcome> {
    let config = ClientConfig::from_args(&a.api)?;
    let key = api_key(a)?;
    let admin = admin_key(a)?;
    let models = dedupe(&a.model);

    if a.dry_run {
        return dry_run(a, &config, &key, admin.as_ref(), &models);
    }
    let Some(secret) = key.secret else {
        // api_key() only returns no secret on a dry run.
        return Err(UsageError("no API key".into()).into());
    };
    let client = Client::new(config.clone(), secret)?;

    let org = match admin.as_ref().and_then(|k| k.secret.clone()) {
        Some(s) => {
            let admin_client = Client::new(config.clone(), s)?;
            let groups = rate_limits::list_org(&admin_client, Some("model_group"), None)
                .await
                .with_context(|| {
                    format!(
                        "reading the org's configured limits (Rate Limits API, key from {})",
                        admin.as_ref().map_or("", |k| k.source.as_str())
                    )
                })?;
            Some(groups)
        }
        None => None,
    };

    let (targets, from) = if !models.is_empty() {
        let targets = models
            .iter()
            .map(|m| Target {
                model: m.clone(),
                class: org
                    .as_deref()
                    .and_then(|g| find_group(g, m, None))
                    .map(group_name),
            })
            .collect();
        (targets, ModelsFrom::Cli)
    } else if let Some(groups) = &org {
        let targets: Vec<Target> = groups
            .iter()
            .filter(|g| g.group_type == "model_group")
            .filter_map(|g| {
                let first = g.models.as_ref()?.iter().find(|m| !m.trim().is_empty())?;
                Some(Target {
                    model: first.clone(),
                    class: Some(group_name(g)),
                })
            })
            .collect();
        (targets, ModelsFrom::RateLimitsApi)
    } else {
        let list = models::list(&client)
            .await
            .context("listing models (GET /v1/models)")?;
        let targets = models::one_per_class(&list)
            .into_iter()
            .map(|(class, model)| Target {
                model,
                class: Some(class),
            })
            .collect();
        (targets, ModelsFrom::ModelsApi)
    };
    if targets.is_empty() {
        return Err(UsageError(format!(
            "no models to probe: the {} listed none; name them with --model MODEL",
            match from {
                ModelsFrom::RateLimitsApi => "Rate Limits API",
                _ => "Models API",
            }
        ))
        .into());
    }

    let ctx = Ctx {
        max_requests: a
            .max_requests
            .unwrap_or_else(|| u32::try_from(targets.len()).unwrap_or(u32::MAX)),
        max_tokens: a.max_tokens_budget,
        client,
        targets,
        org,
        watch: a.watch,
        json: a.json,
        style: style.clone(),
    };

    let mut out = crate::output::stdout().lock();
    if ctx.watch.is_some() && !ctx.json {
        write_intro(&mut out, &ctx, from)?;
    }
    let mut st = State::default();
    st.interrupted = {
        let work = run_rounds(&ctx, &mut st, a.rounds);
        // Without a handler Ctrl-C would kill the process before anything is printed. If the
        // handler cannot be installed, the run simply cannot be interrupted cleanly.
        let ctrl_c = crate::output::interrupted();
        tokio::select! {
            () = work => false,
            () = ctrl_c => true,
        }
    };

    if ctx.json {
        write_json(&mut out, &ctx, &st, from)?;
    } else if ctx.watch.is_some() {
        write_watch_summary(&mut out, &ctx, &st)?;
    } else if answered_or_skipped(&st) || st.interrupted {
        // Without a single answer (a refused connection, a timeout) the error line says all.
        write_intro(&mut out, &ctx, from)?;
        if let Some(r) = st.rounds.first() {
            write_round(&mut out, &ctx, r)?;
        }
        if st.interrupted {
            writeln!(
                out,
                "interrupted (Ctrl-C): the models after the last one shown were not probed"
            )?;
        }
    }
    out.flush()?;
    drop(out);

    let mut errors = st.errors.into_iter();
    if let Some(first) = errors.next() {
        for e in errors {
            crate::errln!("claude-429: error: {}", crate::redact::keys(&e.to_string()));
        }
        return Err(first.into());
    }
    Ok(if found(&st.rounds) {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}

/// Some probe got an HTTP answer, or some model was skipped (there is something to show).
fn answered_or_skipped(st: &State) -> bool {
    st.rounds
        .iter()
        .any(|r| !r.skipped.is_empty() || r.probes.iter().any(|p| p.status.is_some()))
}

/// A refusal, an exhausted dimension or a stray key anywhere: exit 1.
fn found(rounds: &[Round]) -> bool {
    rounds
        .iter()
        .flat_map(|r| &r.probes)
        .any(|p| p.refused.is_some() || p.stray_key.is_some() || p.headroom == Headroom::Exhausted)
}

fn dedupe(models: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in models.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if !out.iter().any(|o| o == m) {
            out.push(m.to_string());
        }
    }
    out
}

fn group_name(g: &RateLimitGroup) -> String {
    g.display_name.clone().unwrap_or_else(|| g.group_id.clone())
}

/// The org's model group holding `model` (or the id the API answered with).
fn find_group<'a>(
    groups: &'a [RateLimitGroup],
    model: &str,
    answered: Option<&str>,
) -> Option<&'a RateLimitGroup> {
    let holds = |g: &&RateLimitGroup, m: &str| {
        g.models
            .as_ref()
            .is_some_and(|ms| ms.iter().any(|x| x == m))
    };
    groups
        .iter()
        .find(|g| holds(g, model))
        .or_else(|| answered.and_then(|a| groups.iter().find(|g| holds(g, a))))
}

/// Rounds until done: one without --watch; with it, until --rounds, a stop, or Ctrl-C.
async fn run_rounds(ctx: &Ctx, st: &mut State, max_rounds: Option<u32>) {
    let mut n: u32 = 0;
    loop {
        n = n.saturating_add(1);
        let started = tokio::time::Instant::now();
        run_round(ctx, st, n).await;
        let Some(interval) = ctx.watch else { return };
        if st.stop.is_some() || !st.errors.is_empty() || max_rounds.is_some_and(|m| n >= m) {
            return;
        }
        tokio::time::sleep_until(started + Duration::from_secs(interval)).await;
    }
}

async fn run_round(ctx: &Ctx, st: &mut State, n: u32) {
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
        let over = if budget.requests_sent >= ctx.max_requests {
            Some(format!("--max-requests {} reached", ctx.max_requests))
        } else if budget.tokens_counted.saturating_add(TOKENS_PER_PROBE) > ctx.max_tokens {
            Some(format!(
                "--max-tokens-budget {} would be exceeded ({} counted, {} more per probe)",
                ctx.max_tokens, budget.tokens_counted, TOKENS_PER_PROBE
            ))
        } else {
            None
        };
        if let Some(reason) = over {
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
            Ok(resp) => judge(ctx, t, &resp, sent_at),
            Err(e) => (failed_probe(t, sent_at, &e), Some(e)),
        };
        let b = &mut st.rounds[idx].budget;
        b.tokens_counted = b.tokens_counted.saturating_add(probe.tokens_counted);
        if let Some(until) = exhausted_until(&probe) {
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
        if ctx.watch.is_some() && !ctx.json {
            // Live line for --watch; a failed write (closed pipe) ends nothing here, the final
            // summary write reports it.
            let _ = write_live(ctx, st, n, &probe);
        }
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

fn failed_probe(t: &Target, sent_at: DateTime<Utc>, e: &ApiError) -> Probe {
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
fn judge(
    ctx: &Ctx,
    t: &Target,
    resp: &ProbeResponse,
    sent_at: DateTime<Utc>,
) -> (Probe, Option<ApiError>) {
    let answered_at = Utc::now();
    let mut dims = messages::parse_dimensions(|n| resp.header(n), answered_at);
    let group = ctx
        .org
        .as_deref()
        .and_then(|g| find_group(g, &t.model, resp.model()));
    if let Some(g) = group {
        for d in &mut dims {
            for limiter in d.name.org_limiters() {
                if let Some(v) = g
                    .limits
                    .iter()
                    .find(|l| l.kind == *limiter)
                    .and_then(|l| l.value)
                {
                    d.org_limit = Some(v);
                    d.org_limiter = Some((*limiter).to_string());
                    break;
                }
            }
        }
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
    probe.stray_key = stray_key(&dims, group, probe.workspace_id.as_deref());
    probe.dimensions = dims;

    let status = resp.status;
    if resp.is_success() {
        return (probe, None);
    }
    let err = match status {
        401 | 403 => Some(ApiError::Auth {
            status,
            message: resp.error_message(),
        }),
        404 => Some(ApiError::NotFound {
            what: format!("model {} ({})", t.model, resp.error_message()),
        }),
        _ => {
            let verdict = classify_response(t, resp, sent_at);
            let limit = matches!(status, 429 | 529)
                || verdict
                    .as_ref()
                    .is_some_and(|v| v.class.is_rate_limit() && v.class != Class::Unknown);
            if limit {
                probe.refused = verdict;
                None
            } else {
                Some(ApiError::Status {
                    status,
                    message: resp.error_message(),
                    retries: 0,
                })
            }
        }
    };
    if let Some(e) = &err {
        probe.error = Some(crate::redact::keys(&e.to_string()));
    }
    (probe, err)
}

/// Runs the shared classifier on a refused probe, as if it were a captured `curl -i` answer.
fn classify_response(t: &Target, resp: &ProbeResponse, sent_at: DateTime<Utc>) -> Option<Verdict> {
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

/// The stray-key check: a requests limit below the org's configured requests_per_minute.
fn stray_key(
    dims: &[Dimension],
    group: Option<&RateLimitGroup>,
    workspace: Option<&str>,
) -> Option<StrayKey> {
    let req = dims.iter().find(|d| d.name == DimensionName::Requests)?;
    let seen = req.limit?;
    let org = req.org_limit.filter(|_| req.org_limiter.is_some())?;
    if (seen as f64) >= org {
        return None;
    }
    let group_name = group.map(group_name);
    let ws = workspace
        .map(|w| format!(" The answer came from workspace {w}."))
        .unwrap_or_default();
    Some(StrayKey {
        message: format!(
            "stray key: this key's requests limit ({}/min) is below the org's configured {} \
             requests_per_minute{}. The key belongs to another workspace or org (or a workspace \
             override lowers it): check which ANTHROPIC_API_KEY is in the environment and \
             which workspace it was made in.{ws}",
            thousands(seen),
            fmt_value(org),
            group_name
                .as_deref()
                .map(|g| format!(" for {g}"))
                .unwrap_or_default(),
        ),
        group: group_name,
        header_requests_limit: seen,
        org_requests_per_minute: org,
        workspace_id: workspace.map(str::to_string),
    })
}

/// When a model with an exhausted dimension may be probed again (the latest of the exhausted
/// dimensions' resets; a minute when a reset is missing).
fn exhausted_until(p: &Probe) -> Option<DateTime<Utc>> {
    let ex: Vec<&Dimension> = p
        .dimensions
        .iter()
        .filter(|d| d.headroom == Headroom::Exhausted)
        .collect();
    if ex.is_empty() {
        return None;
    }
    let fallback = Utc::now() + chrono::Duration::seconds(60);
    ex.iter().map(|d| d.reset_time().unwrap_or(fallback)).max()
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn write_json(out: &mut dyn Write, ctx: &Ctx, st: &State, from: ModelsFrom) -> io::Result<()> {
    #[derive(Serialize)]
    struct One<'a> {
        models_from: ModelsFrom,
        base_url: &'a str,
        #[serde(flatten)]
        round: &'a Round,
        interrupted: bool,
        found: bool,
    }
    #[derive(Serialize)]
    struct Watch<'a> {
        models_from: ModelsFrom,
        base_url: &'a str,
        interval_s: u64,
        rounds: &'a [Round],
        interrupted: bool,
        stopped: Option<&'a str>,
        found: bool,
    }
    let found = found(&st.rounds);
    let base_url = ctx.client.config.base_url.as_str();
    let s = match (ctx.watch, st.rounds.first()) {
        (Some(interval_s), _) => serde_json::to_string_pretty(&Watch {
            models_from: from,
            base_url,
            interval_s,
            rounds: &st.rounds,
            interrupted: st.interrupted,
            stopped: st.stop.as_deref(),
            found,
        }),
        (None, Some(round)) => serde_json::to_string_pretty(&One {
            models_from: from,
            base_url,
            round,
            interrupted: st.interrupted,
            found,
        }),
        (None, None) => Ok("{}".to_string()),
    }
    .map_err(io::Error::other)?;
    writeln!(out, "{}", crate::redact::keys(&s))
}

// ---------------------------------------------------------------------------------------------
// Dry run

/// One request a run would send.
#[derive(Serialize, schemars::JsonSchema)]
struct Planned {
    method: &'static str,
    url: String,
    /// Header names and values; keys appear as `<redacted: from ...>`.
    headers: Vec<(String, String)>,
    body: Option<serde_json::Value>,
    /// What the request is for, or how often it repeats.
    note: String,
}

fn redacted_key(k: Option<&Key>, var: &str, flag: &str) -> String {
    match k {
        Some(k) if k.secret.is_some() => format!("<redacted: from {}>", k.source),
        _ => format!("<missing: set {var} or pass {flag}>"),
    }
}

fn dry_run(
    a: &ProbeArgs,
    config: &ClientConfig,
    key: &Key,
    admin: Option<&Key>,
    models: &[String],
) -> Result<Outcome> {
    let ua = concat!("claude-429/", env!("CARGO_PKG_VERSION"));
    let base = |k: String| -> Vec<(String, String)> {
        vec![
            ("x-api-key".into(), k),
            ("anthropic-version".into(), ANTHROPIC_VERSION.into()),
            ("user-agent".into(), ua.into()),
        ]
    };
    let mut plan = Vec::new();
    if let Some(admin) = admin {
        plan.push(Planned {
            method: "GET",
            url: format!("{}{RATE_LIMITS_PATH}?group_type=model_group", config.base_url),
            headers: base(redacted_key(Some(admin), "ANTHROPIC_ADMIN_KEY", "--admin-key-file")),
            body: None,
            note: if models.is_empty() {
                "the org's model groups and configured limits: one model per group is probed, and its limits are compared (next_page followed)".into()
            } else {
                "the org's configured limits, to compare with what the key sees (next_page followed)".into()
            },
        });
    }
    let api_key = redacted_key(Some(key), "ANTHROPIC_API_KEY", "--api-key-file");
    // A bearer token (ANTHROPIC_AUTH_TOKEN) is sent in Authorization, not x-api-key.
    let bearer = key
        .secret
        .as_ref()
        .is_some_and(|s| s.scheme() == crate::api::transport::AuthScheme::Bearer);
    let base_key = |k: String| {
        let mut h = base(k);
        if bearer {
            h[0] = ("authorization".into(), format!("Bearer {}", h[0].1));
        }
        h
    };
    if models.is_empty() && admin.is_none() {
        let q = models::first_page_query()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        plan.push(Planned {
            method: "GET",
            url: format!("{}{MODELS_PATH}?{q}", config.base_url),
            headers: base_key(api_key.clone()),
            body: None,
            note:
                "the model list (after_id=<last_id> while has_more): one model per class is probed"
                    .into(),
        });
    }
    let mut post_headers = base_key(api_key);
    post_headers.push(("content-type".into(), "application/json".into()));
    let url = format!("{}{MESSAGES_PATH}", config.base_url);
    let per_round_requests = a
        .max_requests
        .map(|m| m as usize)
        .unwrap_or(if models.is_empty() {
            usize::MAX
        } else {
            models.len()
        });
    let by_tokens = usize::try_from(a.max_tokens_budget / TOKENS_PER_PROBE).unwrap_or(usize::MAX);
    let cap = per_round_requests.min(by_tokens);
    let mut not_sent = Vec::new();
    if models.is_empty() {
        plan.push(Planned {
            method: "POST",
            url,
            headers: post_headers,
            body: Some(messages::probe_body(
                "<one model per class, from the list above>",
            )),
            note: format!(
                "one per model class{}, {} ms apart, never retried",
                if cap == usize::MAX {
                    String::new()
                } else {
                    format!(", at most {cap}")
                },
                PROBE_GAP.as_millis()
            ),
        });
    } else {
        for (i, m) in models.iter().enumerate() {
            if i >= cap {
                not_sent.push(m.clone());
                continue;
            }
            plan.push(Planned {
                method: "POST",
                url: url.clone(),
                headers: post_headers.clone(),
                body: Some(messages::probe_body(m)),
                note: format!(
                    "probe {} of {}{}, never retried",
                    i + 1,
                    models.len().min(cap),
                    if i > 0 {
                        format!(", {} ms after the previous one", PROBE_GAP.as_millis())
                    } else {
                        String::new()
                    }
                ),
            });
        }
    }
    let missing_key = key.secret.is_none();
    let mut out = crate::output::stdout().lock();
    if a.json {
        #[derive(Serialize)]
        struct Doc<'a> {
            dry_run: bool,
            requests: &'a [Planned],
            not_sent_budget: &'a [String],
            max_tokens_budget: u64,
            watch_s: Option<u64>,
            key_missing: bool,
        }
        let s = serde_json::to_string_pretty(&Doc {
            dry_run: true,
            requests: &plan,
            not_sent_budget: &not_sent,
            max_tokens_budget: a.max_tokens_budget,
            watch_s: a.watch,
            key_missing: missing_key,
        })?;
        writeln!(out, "{}", crate::redact::keys(&s))?;
    } else {
        writeln!(
            out,
            "dry run: nothing is sent. A real run would send, in this order:"
        )?;
        for p in &plan {
            writeln!(out)?;
            writeln!(out, "{} {}", p.method, p.url)?;
            for (n, v) in &p.headers {
                writeln!(out, "  {n}: {v}")?;
            }
            if let Some(b) = &p.body {
                writeln!(out, "  {b}")?;
            }
            writeln!(out, "  # {}", p.note)?;
        }
        writeln!(out)?;
        for m in &not_sent {
            writeln!(out, "not sent (budget): POST for {m}")?;
        }
        writeln!(
            out,
            "budget per round: {}, {} tokens ({} counted per probe){}",
            match per_round_requests {
                usize::MAX => "one request per model".to_string(),
                1 => "1 request".to_string(),
                n => format!("{n} requests"),
            },
            a.max_tokens_budget,
            TOKENS_PER_PROBE,
            a.watch
                .map(|s| format!("; repeated every {s} s until Ctrl-C"))
                .unwrap_or_default()
        )?;
        if missing_key {
            writeln!(
                out,
                "note: no API key found; a real run would stop with exit 3 (set ANTHROPIC_API_KEY or pass --api-key-file)"
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

// ---------------------------------------------------------------------------------------------
// JSON Schema (`schema/`), generated by `claude-429 generate`.

/// The schema of `probe --json`: one round, or with --watch every round. The two envelopes
/// mirror `One` and `Watch` in [`write_json`] (they are local there); the test that validates
/// real output against `schema/probe.schema.json` fails when they drift apart.
pub fn json_schema() -> schemars::Schema {
    /// One round (without --watch); the round's fields are inlined.
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct One {
        models_from: ModelsFrom,
        base_url: String,
        #[serde(flatten)]
        round: Round,
        interrupted: bool,
        found: bool,
    }
    /// --watch: every round, at the end.
    #[derive(schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Watch {
        models_from: ModelsFrom,
        base_url: String,
        interval_s: u64,
        rounds: Vec<Round>,
        interrupted: bool,
        stopped: Option<String>,
        found: bool,
    }
    /// `claude-429 probe --json`.
    #[derive(schemars::JsonSchema)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum ProbeJson {
        One(One),
        Watch(Watch),
    }
    schemars::schema_for!(ProbeJson)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::probe::relative;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(relative(0), "now");
        assert_eq!(relative(23), "in 23 s");
        assert_eq!(relative(250), "in 4 min 10 s");
        assert_eq!(relative(7500), "in 2 h 5 min");
        assert_eq!(fmt_value(4000.0), "4,000");
        assert_eq!(fmt_value(2.5), "2.5");
    }

    #[test]
    fn dedupes_models_in_order() {
        let m = vec!["b".to_string(), " a ".into(), "b".into(), "".into()];
        assert_eq!(dedupe(&m), vec!["b".to_string(), "a".to_string()]);
    }
}
