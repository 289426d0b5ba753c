//! `diagnose --live`: what the API says now, beside what the logs said during the incident.
//!
//! Three parts, each skipped (and said so) when its key is missing, never an error:
//! * **configured**: the org's limits per model class through the Rate Limits API
//!   (`ANTHROPIC_ADMIN_KEY`), and with `--workspace ID` that workspace's effective limits;
//! * **probe**: one minimal request per model class seen in the logs (`ANTHROPIC_API_KEY`),
//!   within the probe budget ([`MAX_PROBES`], [`MAX_PROBE_TOKENS`]), never retried;
//! * **from_logs**: the `anthropic-ratelimit-*-limit` values the logs' responses carried.
//!
//! Then [`conclude`] compares them; each conclusion carries its evidence. The renderers are in
//! `crate::report::live`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Diagnosis;
use super::event::model_class;
use super::seen::SeenClass;
use crate::api::messages::{DimensionName, Headroom};
use crate::api::rate_limits::{OverrideStatus, RateLimitGroup, WorkspaceRateLimitGroup, num};
use crate::api::{ApiError, Client, ClientConfig, Secret};
use crate::classify::Class;
use crate::limits::{self, Filters};
use crate::probe::{self, Probe, Round, Session, State, Target};
use crate::usage::{self, Attribution};

/// Most probes one `diagnose --live` sends (one per model class seen, the first classes).
pub const MAX_PROBES: u32 = 4;
/// Token budget of those probes (the probe's own per-request estimate applies).
pub const MAX_PROBE_TOKENS: u64 = 4 * probe::TOKENS_PER_PROBE;

/// The dimensions compared (the combined `tokens` view has no single configured limiter).
pub const COMPARED: [DimensionName; 3] = [
    DimensionName::Requests,
    DimensionName::InputTokens,
    DimensionName::OutputTokens,
];

/// The live comparison.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Live {
    /// Whether anything live was read (configured limits or a probe).
    pub available: bool,
    /// What happened, in one line (parts read, parts skipped and why).
    pub note: String,
    /// The configured limits (Rate Limits API).
    pub configured: Configured,
    /// The probe.
    pub probe: ProbePart,
    /// The `anthropic-ratelimit-*-limit` values per model class in the logs.
    pub from_logs: Vec<SeenClass>,
    /// What the comparison shows, each with its evidence.
    pub conclusions: Vec<Conclusion>,
    /// Who used the limit in the incident window (the Admin API's usage report); absent when
    /// the incident has no token-based failures and no admin key was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

/// Whether a part ran.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    Read,
    Skipped,
    Failed,
}

/// The configured limits per model class seen in the logs.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Configured {
    pub status: PartStatus,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// `--workspace`, when given.
    pub workspace_id: Option<String>,
    pub classes: Vec<ConfiguredClass>,
}

/// One model class's configured limits.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct ConfiguredClass {
    /// The class as the logs name it (`claude sonnet 4.x`).
    pub class: String,
    /// The org's model group holding it (none: the org lists no group for these models).
    pub group_id: Option<String>,
    pub display_name: Option<String>,
    /// Limiter type → the org's value.
    pub org: BTreeMap<String, limits::Value>,
    /// With `--workspace`: limiter type → the workspace's view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<BTreeMap<String, WorkspaceValue>>,
}

/// A workspace limiter beside the org's.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct WorkspaceValue {
    pub value: limits::Value,
    pub org_limit: limits::Value,
    /// What is enforced: min(value, org_limit).
    pub effective: limits::Value,
    pub status: OverrideStatus,
}

/// The probe part.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct ProbePart {
    pub status: PartStatus,
    pub reason: Option<String>,
    /// One per model class probed.
    pub probes: Vec<Probe>,
    /// Classes not probed (budget), with why.
    pub skipped: Vec<String>,
}

/// One thing the comparison shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Conclusion {
    /// `logs_limit_below_configured`, `logs_limit_above_configured`, `limit_changed`,
    /// `workspace_override_below_org`, `binding_headroom`.
    pub kind: &'static str,
    /// The finding in a sentence or two.
    pub detail: String,
    /// The values it rests on, one per line.
    pub evidence: Vec<String>,
}

/// Keys and settings for [`gather`].
#[derive(Debug, Clone)]
pub struct Options {
    pub config: ClientConfig,
    /// `ANTHROPIC_ADMIN_KEY`, when set.
    pub admin_key: Option<Secret>,
    /// `ANTHROPIC_API_KEY`, when set.
    pub api_key: Option<Secret>,
    /// `--workspace ID` (checked with [`limits::check_workspace_id`]).
    pub workspace: Option<String>,
}

/// What [`gather`] could not finish: the live part so far and the error (exit 3).
pub type Partial = (Live, ApiError);

/// Reads the configured limits and probes, as far as the keys allow, and concludes.
/// `progress` gets one line per step, for a live display. An API or network error stops the
/// gathering: the part read so far comes back with the error.
pub async fn gather(
    d: &Diagnosis,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Live, Box<Partial>> {
    let from_logs = d.limits_seen.clone();
    let mut live = Live {
        available: false,
        note: String::new(),
        configured: Configured {
            status: PartStatus::Skipped,
            reason: Some(
                "ANTHROPIC_ADMIN_KEY is not set; the Rate Limits API needs an Admin API key".into(),
            ),
            workspace_id: opts.workspace.clone(),
            classes: Vec::new(),
        },
        probe: ProbePart {
            status: PartStatus::Skipped,
            reason: Some("ANTHROPIC_API_KEY is not set; a probe needs an API key".into()),
            probes: Vec::new(),
            skipped: Vec::new(),
        },
        from_logs,
        conclusions: Vec::new(),
        attribution: None,
    };
    let mut org: Option<Vec<RateLimitGroup>> = None;
    let mut failure: Option<ApiError> = None;

    if let Some(key) = &opts.admin_key {
        progress("reading the configured limits (Rate Limits API)");
        match read_configured(opts, key, &live.from_logs).await {
            Ok((classes, groups)) => {
                live.configured.status = PartStatus::Read;
                live.configured.reason = None;
                live.configured.classes = classes;
                org = Some(groups);
            }
            Err(e) => {
                live.configured.status = PartStatus::Failed;
                live.configured.reason = Some(crate::redact::keys(&e.to_string()));
                failure = Some(e);
            }
        }
    } else if opts.workspace.is_some() {
        live.configured.reason = Some(
            "ANTHROPIC_ADMIN_KEY is not set: --workspace needs the Rate Limits API (an Admin API key)"
                .into(),
        );
    }

    live.attribution = attribute(d, opts, org.clone(), progress).await;

    if failure.is_none() {
        if let Some(key) = &opts.api_key {
            match run_probe(opts, key, org, &live.from_logs, progress).await {
                Ok((probes, skipped, err)) => {
                    live.probe.status = if probes.is_empty() && skipped.is_empty() {
                        PartStatus::Skipped
                    } else {
                        PartStatus::Read
                    };
                    live.probe.reason = if probes.is_empty() && skipped.is_empty() {
                        Some("no model with rate-limit headers in the logs to probe".into())
                    } else {
                        None
                    };
                    live.probe.skipped = skipped;
                    live.probe.probes = probes;
                    if let Some(e) = err {
                        live.probe.status = PartStatus::Failed;
                        live.probe.reason = Some(crate::redact::keys(&e.to_string()));
                        failure = Some(e);
                    }
                }
                Err(e) => {
                    live.probe.status = PartStatus::Failed;
                    live.probe.reason = Some(crate::redact::keys(&e.to_string()));
                    failure = Some(e);
                }
            }
        }
    } else if opts.api_key.is_some() {
        live.probe.reason = Some("not sent: reading the configured limits failed".into());
    }

    live.available =
        live.configured.status == PartStatus::Read || live.probe.status == PartStatus::Read;
    live.conclusions = conclude(d, &live);
    live.note = note(&live);
    match failure {
        Some(e) => Err(Box::new((live, e))),
        None => Ok(live),
    }
}

/// Minutes the incident window is widened by on each side for the attribution.
pub const WIDEN_MINUTES: i64 = 3;

/// The attribution request for the incident: the token-based failures' span, widened by
/// [`WIDEN_MINUTES`], at most [`usage::MAX_MINUTES`]; `Err` says why there is none.
pub fn attribution_request(
    d: &Diagnosis,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(usage::Request, Vec<String>), String> {
    use chrono::{DateTime, Duration, Utc};
    let mut dims = Vec::new();
    let mut caveats: Vec<String> = Vec::new();
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let mut classes: Vec<String> = Vec::new();
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    for c in &d.causes {
        let dim = match c.class {
            Class::Itpm => DimensionName::InputTokens,
            Class::Otpm => DimensionName::OutputTokens,
            Class::Daily => {
                caveats.push("daily (tokens per day) failures are not attributed: a day's total needs day buckets (claude-429 usage --bucket hour over the day shows the load)".into());
                continue;
            }
            Class::Rpm => {
                caveats.push("RPM is not in the report: the usage report has no request counts, so the requests-per-minute failures cannot be attributed to a key".into());
                continue;
            }
            _ => continue,
        };
        if !dims.contains(&dim) {
            dims.push(dim);
        }
        for m in c.models.keys() {
            let class = model_class(m);
            if !classes.contains(&class) {
                classes.push(class);
            }
        }
        if let (Some(f), Some(l)) = (parse(&c.first_seen), parse(&c.last_seen)) {
            span = Some(match span {
                Some((a, b)) => (a.min(f), b.max(l)),
                None => (f, l),
            });
        }
    }
    if dims.is_empty() {
        let mut why = "no token-based failures (ITPM, OTPM) in the logs to attribute".to_string();
        if let Some(c) = caveats.first() {
            why.push_str("; ");
            why.push_str(c);
        }
        return Err(why);
    }
    let Some((first, last)) = span else {
        return Err("the token-based failures carry no times: no incident window to read".into());
    };
    let until = (usage::floor_minute(last) + Duration::minutes(1 + WIDEN_MINUTES))
        .min(usage::floor_minute(now) + Duration::minutes(1));
    let mut since = usage::floor_minute(first) - Duration::minutes(WIDEN_MINUTES);
    if until - since > Duration::minutes(usage::MAX_MINUTES) {
        since = until - Duration::minutes(usage::MAX_MINUTES);
        caveats.push(format!(
            "the incident spans more than {} minutes: only its last {} are read",
            usage::MAX_MINUTES,
            usage::MAX_MINUTES
        ));
    }
    Ok((
        usage::Request {
            since,
            until,
            width: crate::api::usage::BucketWidth::Minute,
            group_by: usage::GroupBy::Key,
            dims,
            classes,
            own_key: None,
            top: 3,
            now,
            incident: true,
        },
        caveats,
    ))
}

/// The attribution part: never an error of the run (a failure is reported in it).
async fn attribute(
    d: &Diagnosis,
    opts: &Options,
    org: Option<Vec<RateLimitGroup>>,
    progress: &mut dyn FnMut(&str),
) -> Option<Attribution> {
    let now = chrono::Utc::now();
    let (mut req, caveats) = match attribution_request(d, now) {
        Ok(r) => r,
        Err(why) => {
            return opts.admin_key.as_ref().map(|_| Attribution::skipped(why));
        }
    };
    let Some(key) = &opts.admin_key else {
        return Some(Attribution::skipped(
            "ANTHROPIC_ADMIN_KEY is not set; the usage report (who used the limit) needs an Admin API key",
        ));
    };
    let Some(groups) = org else {
        return Some(Attribution::skipped(
            "not read: reading the configured limits failed",
        ));
    };
    req.own_key = opts.api_key.clone();
    let client = match Client::new(opts.config.clone(), key.clone()) {
        Ok(c) => c.with_retry(crate::api::client::RetryPolicy {
            max_retries: 1,
            max_retry_after: std::time::Duration::from_secs(10),
            ..Default::default()
        }),
        Err(e) => {
            let mut a = Attribution::skipped("");
            a.status = usage::Status::Failed;
            a.reason = Some(crate::redact::keys(&e.to_string()));
            return Some(a);
        }
    };
    let mut a = match usage::gather(&client, &req, Some(groups), progress).await {
        Ok(a) => a,
        Err((a, _)) => a,
    };
    for c in caveats.into_iter().rev() {
        a.caveats.insert(0, c);
    }
    Some(a)
}

/// The org's model groups, and per class seen the configured (and workspace) limits.
async fn read_configured(
    opts: &Options,
    key: &Secret,
    seen: &[SeenClass],
) -> Result<(Vec<ConfiguredClass>, Vec<RateLimitGroup>), ApiError> {
    let client = Client::new(opts.config.clone(), key.clone())?;
    let filters = Filters {
        group_type: Some("model_group".into()),
        ..Filters::default()
    };
    let groups = match limits::fetch(&client, &filters, None, &mut |_| {}).await? {
        limits::Live::Org(g) => g,
        limits::Live::Workspace { .. } => Vec::new(),
    };
    let ws_groups = match &opts.workspace {
        Some(id) => {
            let f = Filters {
                workspace: Some(id.clone()),
                ..filters.clone()
            };
            match limits::fetch(&client, &f, None, &mut |_| {}).await? {
                limits::Live::Workspace { groups, .. } => Some(groups),
                limits::Live::Org(_) => None,
            }
        }
        None => None,
    };
    let classes = seen
        .iter()
        .map(|c| {
            let g = group_for(&groups, c);
            ConfiguredClass {
                class: c.class.clone(),
                group_id: g.map(|g| g.group_id.clone()),
                display_name: g.and_then(|g| g.display_name.clone()),
                org: g
                    .map(|g| {
                        g.limits
                            .iter()
                            .map(|l| (l.kind.clone(), limits::Value(l.value)))
                            .collect()
                    })
                    .unwrap_or_default(),
                workspace: ws_groups.as_ref().map(|ws| {
                    g.and_then(|g| ws.iter().find(|w| w.group_id == g.group_id))
                        .map(workspace_values)
                        .unwrap_or_default()
                }),
            }
        })
        .collect();
    Ok((classes, groups))
}

fn workspace_values(w: &WorkspaceRateLimitGroup) -> BTreeMap<String, WorkspaceValue> {
    w.limits
        .iter()
        .map(|l| {
            (
                l.kind.clone(),
                WorkspaceValue {
                    value: limits::Value(l.value),
                    org_limit: limits::Value(l.org_limit),
                    effective: limits::Value(l.effective()),
                    status: l.status(),
                },
            )
        })
        .collect()
}

/// The org group for a class seen in the logs: one listing a model the logs used, else one
/// whose models are of the same class.
fn group_for<'a>(groups: &'a [RateLimitGroup], c: &SeenClass) -> Option<&'a RateLimitGroup> {
    let models = |g: &&RateLimitGroup| g.models.clone().unwrap_or_default();
    groups
        .iter()
        .filter(|g| g.group_type == "model_group")
        .find(|g| models(g).iter().any(|m| c.models.contains(m)))
        .or_else(|| {
            groups
                .iter()
                .filter(|g| g.group_type == "model_group")
                .find(|g| models(g).iter().any(|m| model_class(m) == c.class))
        })
}

type ProbeOutcome = (Vec<Probe>, Vec<String>, Option<ApiError>);

/// One probe per class seen (its first model), within [`MAX_PROBES`] and
/// [`MAX_PROBE_TOKENS`]; never retried.
async fn run_probe(
    opts: &Options,
    key: &Secret,
    org: Option<Vec<RateLimitGroup>>,
    seen: &[SeenClass],
    progress: &mut dyn FnMut(&str),
) -> Result<ProbeOutcome, ApiError> {
    let targets: Vec<Target> = seen
        .iter()
        .filter_map(|c| {
            Some(Target {
                model: c.models.first()?.clone(),
                class: Some(c.class.clone()),
            })
        })
        .collect();
    if targets.is_empty() {
        return Ok((Vec::new(), Vec::new(), None));
    }
    let session = Session {
        client: Client::new(opts.config.clone(), key.clone())?,
        max_requests: MAX_PROBES.min(u32::try_from(targets.len()).unwrap_or(MAX_PROBES)),
        max_tokens: MAX_PROBE_TOKENS,
        targets,
        org,
        watch: None,
    };
    let mut st = State::default();
    progress("probing (one request per model class, never retried)");
    probe::session::run_round(&session, &mut st, 1, &mut |_, _, _| {}).await;
    let round: Option<&Round> = st.rounds.first();
    let probes = round.map_or_else(Vec::new, |r| r.probes.clone());
    let skipped = round.map_or_else(Vec::new, |r| {
        r.skipped
            .iter()
            .map(|s| format!("{}: {}", s.model, s.reason))
            .collect()
    });
    // A refusal is a result; an auth or network failure ends the run (exit 3). A model the
    // API does not know (404) or a server error is reported with the probe.
    let fatal = st.errors.into_iter().find(|e| {
        matches!(
            e,
            ApiError::Auth { .. }
                | ApiError::Timeout { .. }
                | ApiError::Connect { .. }
                | ApiError::Other { .. }
                | ApiError::BadBody { .. }
        )
    });
    Ok((probes, skipped, fatal))
}

// ---------------------------------------------------------------------------------------------
// Conclusions

/// The probe of a class and the limit it saw for a dimension.
fn probe_dim<'a>(live: &'a Live, class: &str, d: DimensionName) -> Option<(&'a Probe, u64)> {
    live.probe.probes.iter().find_map(|p| {
        if p.class.as_deref() != Some(class) {
            return None;
        }
        let limit = p.dimensions.iter().find(|x| x.name == d)?.limit?;
        Some((p, limit))
    })
}

/// The org's value for a dimension: the first of its limiters the group configures.
fn configured_dim(c: &ConfiguredClass, d: DimensionName) -> Option<(&'static str, f64)> {
    d.org_limiters()
        .iter()
        .find_map(|l| c.org.get(*l).and_then(|v| v.0).map(|v| (*l, v)))
}

/// `Display name (group id)`, or the class when the org has no group for it.
pub fn group_label(c: &ConfiguredClass) -> String {
    match (&c.display_name, &c.group_id) {
        (Some(n), Some(id)) => format!("{n} ({id})"),
        (None, Some(id)) => id.clone(),
        _ => c.class.clone(),
    }
}

fn logs_evidence(c: &SeenClass, d: DimensionName) -> Vec<String> {
    c.values(d)
        .iter()
        .map(|v| {
            format!(
                "logs: anthropic-ratelimit-{}-limit: {} in {} response{}{}",
                d.header_infix(),
                v.limit,
                v.count,
                if v.count == 1 { "" } else { "s" },
                match (&v.first, &v.last) {
                    (Some(f), Some(l)) if f != l => format!(" ({f} to {l})"),
                    (Some(f), _) => format!(" ({f})"),
                    _ => String::new(),
                }
            )
        })
        .collect()
}

/// The dimension the incident's top cause ran out of, when it is a per-minute limit.
fn binding(d: &Diagnosis) -> Option<DimensionName> {
    match d.causes.first()?.class {
        Class::Rpm => Some(DimensionName::Requests),
        Class::Itpm => Some(DimensionName::InputTokens),
        Class::Otpm => Some(DimensionName::OutputTokens),
        _ => None,
    }
}

/// Compares the parts. Pure: every conclusion rests on values in `live` and `d`.
pub fn conclude(d: &Diagnosis, live: &Live) -> Vec<Conclusion> {
    let mut out = Vec::new();
    for seen in &live.from_logs {
        let conf = live
            .configured
            .classes
            .iter()
            .find(|c| c.class == seen.class);
        for dim in COMPARED {
            let Some(logs) = seen.values(dim).first().map(|v| v.limit) else {
                continue;
            };
            let org = conf.and_then(|c| configured_dim(c, dim).map(|o| (c, o)));
            let now = probe_dim(live, &seen.class, dim);
            let mut explained = false;
            if let Some((c, (limiter, o))) = org
                && let Some(found) = logs_vs_configured(live, seen, dim, logs, c, limiter, o, now)
            {
                explained = true;
                out.push(found);
            }
            if let Some((p, limit)) = &now
                && *limit != logs
                && !explained
            {
                let mut evidence = logs_evidence(seen, dim);
                evidence.push(format!(
                    "probe: {} answered with anthropic-ratelimit-{}-limit: {limit} at {}",
                    p.model,
                    dim.header_infix(),
                    p.time
                ));
                out.push(Conclusion {
                    kind: "limit_changed",
                    detail: format!(
                        "{}: the {} limit changed since the incident: {} then, {} now.",
                        seen.class,
                        dim.label(),
                        num::display(Some(logs as f64)),
                        num::display(Some(*limit as f64))
                    ),
                    evidence,
                });
            }
        }
    }
    workspace_overrides(live, &mut out);
    binding_headroom(d, live, &mut out);
    out
}

/// The logs' limit of a dimension against the configured one: below it (a stray key or a
/// workspace override) or above it (lowered since, or another org); `None` when they agree.
#[allow(clippy::too_many_arguments)]
fn logs_vs_configured(
    live: &Live,
    seen: &SeenClass,
    dim: DimensionName,
    logs: u64,
    c: &ConfiguredClass,
    limiter: &'static str,
    o: f64,
    now: Option<(&Probe, u64)>,
) -> Option<Conclusion> {
    let mut evidence = logs_evidence(seen, dim);
    evidence.push(format!(
        "Rate Limits API: {limiter} {} for {}",
        num::display(Some(o)),
        group_label(c)
    ));
    let ws = c.workspace.as_ref().and_then(|w| w.get(limiter));
    if let (Some(w), Some(id)) = (ws, &live.configured.workspace_id) {
        evidence.push(format!(
            "Rate Limits API: workspace {id} {limiter} effective {} ({})",
            num::display(w.effective.0),
            serde_json::to_value(w.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ));
    }
    if let Some((p, limit)) = &now {
        evidence.push(format!(
            "probe: {} answered with anthropic-ratelimit-{}-limit: {limit}{}",
            p.model,
            dim.header_infix(),
            p.workspace_id
                .as_deref()
                .map(|w| format!(" (workspace {w})"))
                .unwrap_or_default()
        ));
    }
    if probe::stray::is_stray(logs, o) {
        let supports = stray_support(live, seen, limiter, logs, o, ws, now);
        Some(Conclusion {
            kind: "logs_limit_below_configured",
            detail: format!(
                "{}: the logs' {} limit ({}) is below the configured {} ({}). {supports}",
                seen.class,
                dim.label(),
                num::display(Some(logs as f64)),
                limiter,
                num::display(Some(o)),
            ),
            evidence,
        })
    } else if (logs as f64) > o {
        Some(Conclusion {
            kind: "logs_limit_above_configured",
            detail: format!(
                "{}: the logs' {} limit ({}) is above the configured {} ({}): the limit was lowered since the incident, or the logs come from another org.",
                seen.class,
                dim.label(),
                num::display(Some(logs as f64)),
                limiter,
                num::display(Some(o)),
            ),
            evidence,
        })
    } else {
        None
    }
}

/// What the data supports when the logs' limit is below the configured one.
fn stray_support(
    live: &Live,
    seen: &SeenClass,
    limiter: &str,
    logs: u64,
    o: f64,
    ws: Option<&WorkspaceValue>,
    now: Option<(&Probe, u64)>,
) -> String {
    if ws.is_some_and(|w| w.status.is_stricter() && w.effective.0 == Some(logs as f64)) {
        format!(
            "The data supports a workspace override: workspace {}'s effective {limiter} is {}, the logs' value.",
            live.configured.workspace_id.as_deref().unwrap_or("?"),
            num::display(Some(logs as f64))
        )
    } else if let Some((_, p)) = now.as_ref().filter(|(_, p)| (*p as f64) >= o) {
        format!(
            "The data supports a stray key: the key probed now sees {}, the org's limit, so the incident's requests used another key (another workspace or org).",
            num::display(Some(*p as f64))
        )
    } else if let Some((p, _)) = now.as_ref().filter(|(_, p)| *p == logs) {
        format!(
            "The key probed now sees {logs} too: it is bound by a workspace override or belongs to another org (a stray key); {}",
            match &p.workspace_id {
                Some(w) => format!("run again with --workspace {w} to tell which."),
                None => "pass --workspace ID to tell which.".into(),
            }
        )
    } else {
        format!(
            "A stray key or a workspace override: the data cannot tell which; {}",
            match (seen.workspace_ids.first(), &live.configured.workspace_id) {
                (Some(w), None) => format!(
                    "the logs' responses came from workspace {w}: run again with --workspace {w}, and with ANTHROPIC_API_KEY set to probe the key."
                ),
                _ =>
                    "run again with --workspace ID and with ANTHROPIC_API_KEY set to probe the key."
                        .into(),
            }
        )
    }
}

/// Every override of the workspace asked for that is below the org's limit.
fn workspace_overrides(live: &Live, out: &mut Vec<Conclusion>) {
    if let Some(id) = &live.configured.workspace_id {
        for c in &live.configured.classes {
            for (limiter, w) in c.workspace.iter().flatten() {
                if w.status != OverrideStatus::BelowOrg {
                    continue;
                }
                out.push(Conclusion {
                    kind: "workspace_override_below_org",
                    detail: format!(
                        "{}: workspace {id} sets {limiter} to {}, below the org's {}: it rejects requests (429) in this workspace while the org limit still has room.",
                        c.class,
                        num::display(w.value.0),
                        num::display(w.org_limit.0)
                    ),
                    evidence: vec![format!(
                        "Rate Limits API: {} {limiter}: workspace {}, org {}, effective {}",
                        group_label(c),
                        num::display(w.value.0),
                        num::display(w.org_limit.0),
                        num::display(w.effective.0)
                    )],
                });
            }
        }
    }
}

/// The headroom left now on the incident's binding dimension, per probe.
fn binding_headroom(d: &Diagnosis, live: &Live, out: &mut Vec<Conclusion>) {
    if let (Some(dim), Some(cause)) = (binding(d), d.causes.first()) {
        for p in &live.probe.probes {
            let Some(x) = p.dimensions.iter().find(|x| x.name == dim) else {
                continue;
            };
            let left = match (x.remaining, x.limit) {
                (Some(r), Some(l)) => format!(
                    "{} of {} left",
                    num::display(Some(r as f64)),
                    num::display(Some(l as f64))
                ),
                _ => "no remaining/limit headers".into(),
            };
            out.push(Conclusion {
                kind: "binding_headroom",
                detail: format!(
                    "The incident's binding dimension was {} ({} failure{}, rank 1); for {} it has {left} now ({}).",
                    dim.label(),
                    cause.count,
                    if cause.count == 1 { "" } else { "s" },
                    p.class.as_deref().unwrap_or(&p.model),
                    x.headroom.as_str()
                ),
                evidence: vec![format!(
                    "probe: {} at {}: anthropic-ratelimit-{}-remaining {} of limit {}{}",
                    p.model,
                    p.time,
                    dim.header_infix(),
                    x.remaining.map_or_else(|| "-".into(), |r| r.to_string()),
                    x.limit.map_or_else(|| "-".into(), |l| l.to_string()),
                    if x.headroom == Headroom::Exhausted {
                        " (exhausted: 0 left)"
                    } else {
                        ""
                    }
                )],
            });
        }
    }
}

fn note(live: &Live) -> String {
    let part = |name: &str, status: PartStatus, reason: &Option<String>| match status {
        PartStatus::Read => format!("{name} read"),
        PartStatus::Skipped => format!(
            "{name} skipped: {}",
            reason.as_deref().unwrap_or("nothing to do")
        ),
        PartStatus::Failed => format!("{name} failed: {}", reason.as_deref().unwrap_or("error")),
    };
    let logs = if live.from_logs.is_empty() {
        "the logs carry no anthropic-ratelimit-*-limit headers".to_string()
    } else {
        format!(
            "limit headers in the logs for {} model class{}",
            live.from_logs.len(),
            if live.from_logs.len() == 1 { "" } else { "es" }
        )
    };
    format!(
        "{}. {}. {logs}.",
        part(
            "configured limits",
            live.configured.status,
            &live.configured.reason
        ),
        part("probe", live.probe.status, &live.probe.reason),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::event::Event;
    use crate::diagnose::seen::Seen;
    use crate::diagnose::{Analyzer, Filter};

    fn logs(limit: u64) -> Vec<SeenClass> {
        let mut s = Seen::default();
        let mut e = Event {
            model: Some("claude-sonnet-4-5".into()),
            workspace_id: Some("wrkspc_1".into()),
            time: Some(0),
            ..Default::default()
        };
        e.dims[0] = (Some(limit), Some(0));
        s.add(&e);
        s.finish()
    }

    fn configured(ws: Option<(f64, OverrideStatus)>) -> Configured {
        let mut org = BTreeMap::new();
        org.insert(
            "requests_per_minute".to_string(),
            limits::Value(Some(4000.0)),
        );
        Configured {
            status: PartStatus::Read,
            reason: None,
            workspace_id: ws.map(|_| "wrkspc_1".to_string()),
            classes: vec![ConfiguredClass {
                class: "Claude Sonnet 4.x".into(),
                group_id: Some("rlg_S".into()),
                display_name: Some("Claude Sonnet 4.x".into()),
                org,
                workspace: ws.map(|(v, status)| {
                    let mut m = BTreeMap::new();
                    m.insert(
                        "requests_per_minute".to_string(),
                        WorkspaceValue {
                            value: limits::Value(Some(v)),
                            org_limit: limits::Value(Some(4000.0)),
                            effective: limits::Value(Some(v.min(4000.0))),
                            status,
                        },
                    );
                    m
                }),
            }],
        }
    }

    fn live(from_logs: Vec<SeenClass>, configured: Configured) -> Live {
        Live {
            available: true,
            note: String::new(),
            configured,
            probe: ProbePart {
                status: PartStatus::Skipped,
                reason: None,
                probes: Vec::new(),
                skipped: Vec::new(),
            },
            from_logs,
            conclusions: Vec::new(),
            attribution: None,
        }
    }

    fn kinds(c: &[Conclusion]) -> Vec<&str> {
        c.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn logs_below_configured_without_more_data_cannot_tell_which() {
        let d = Analyzer::new(Filter::default()).finish();
        let c = conclude(&d, &live(logs(50), configured(None)));
        assert_eq!(kinds(&c), ["logs_limit_below_configured"]);
        assert!(c[0].detail.contains("(50)") && c[0].detail.contains("(4,000)"));
        assert!(
            c[0].detail.contains("--workspace wrkspc_1"),
            "{}",
            c[0].detail
        );
        assert_eq!(c[0].evidence.len(), 2);
    }

    #[test]
    fn a_workspace_override_at_the_logs_value_is_named() {
        let d = Analyzer::new(Filter::default()).finish();
        let c = conclude(
            &d,
            &live(logs(50), configured(Some((50.0, OverrideStatus::BelowOrg)))),
        );
        assert_eq!(
            kinds(&c),
            [
                "logs_limit_below_configured",
                "workspace_override_below_org"
            ]
        );
        assert!(c[0].detail.contains("supports a workspace override"));
    }

    #[test]
    fn equal_limits_conclude_nothing_and_higher_ones_say_lowered() {
        let d = Analyzer::new(Filter::default()).finish();
        assert!(conclude(&d, &live(logs(4000), configured(None))).is_empty());
        let c = conclude(&d, &live(logs(5000), configured(None)));
        assert_eq!(kinds(&c), ["logs_limit_above_configured"]);
        assert!(conclude(&d, &live(Vec::new(), configured(None))).is_empty());
    }
}
