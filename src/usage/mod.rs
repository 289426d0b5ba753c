//! Who used the limit: the Admin API's usage report joined with the org's limits and the
//! names of keys and workspaces. [`gather`] reads (report, names, workspace overrides; the
//! limits when not given), [`attribution::compute`] sums, [`conclude`] says what it shows.
//! `diagnose --live` runs it over the incident window; `claude-429 usage` over any window.

pub mod attribution;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use crate::api::rate_limits::{self, RateLimitGroup, WorkspaceRateLimitGroup};
use crate::api::usage::{self as api_usage, ApiKeyInfo, BucketWidth, ReportQuery};
use crate::api::{ApiError, Client, Secret};
use crate::ratelimit::DimensionName;

pub use attribution::{BucketUse, Consumer, GroupBy, Scope, Series};

/// Workspaces whose overrides are read (one request each).
pub const MAX_WORKSPACES: usize = 8;
/// How long the report may lag behind: data "typically appears within 5 minutes".
pub const LAG_MINUTES: i64 = 5;
/// The longest window read at one-minute buckets (one page of 1,440 buckets).
pub const MAX_MINUTES: i64 = 1_440;
/// The longest window read at one-hour buckets (31 days).
pub const MAX_HOURS: i64 = 31 * 24;

/// Whether the attribution ran.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Read,
    Skipped,
    Failed,
}

/// One thing the attribution shows, with the numbers it rests on.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Conclusion {
    /// `another_key_used_the_limit`, `own_key_used_most`, `top_consumer`,
    /// `workspace_limit_reached`, `peak_below_limit`, `no_usage`, `cache_reads_not_counted`,
    /// `admin_access`.
    pub kind: &'static str,
    pub detail: String,
    pub evidence: Vec<String>,
}

/// The attribution: who used which limit, when.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attribution {
    pub status: Status,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// What to do about a failure.
    pub hint: Option<String>,
    /// The window read (RFC 3339, UTC).
    pub since: String,
    pub until: String,
    /// `1m` or `1h`.
    pub bucket_width: String,
    pub group_by: GroupBy,
    /// HTTP requests made to the Admin API (report pages, names, overrides, limits).
    pub requests: u32,
    /// Paging stopped at its bound: later buckets may be missing.
    pub truncated: bool,
    /// The key in ANTHROPIC_API_KEY, recognised in the `api_keys` list by its partial hint.
    pub own_key_id: Option<String>,
    pub own_key_name: Option<String>,
    /// Per limit group, dimension and scope, tightest first.
    pub series: Vec<Series>,
    pub conclusions: Vec<Conclusion>,
    /// What the data cannot support (lag, calendar minutes, RPM, OTPM reservation).
    pub caveats: Vec<String>,
    /// Parts that could not be read (names, overrides), the rest went on.
    pub notes: Vec<String>,
}

impl Attribution {
    /// An attribution that did not run, with why.
    pub fn skipped(reason: impl Into<String>) -> Attribution {
        Attribution {
            status: Status::Skipped,
            reason: Some(reason.into()),
            hint: None,
            since: String::new(),
            until: String::new(),
            bucket_width: "1m".into(),
            group_by: GroupBy::Key,
            requests: 0,
            truncated: false,
            own_key_id: None,
            own_key_name: None,
            series: Vec::new(),
            conclusions: Vec::new(),
            caveats: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// What to read.
#[derive(Debug, Clone)]
pub struct Request {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub width: BucketWidth,
    pub group_by: GroupBy,
    pub dims: Vec<DimensionName>,
    /// Keep only these model classes (empty: every group with use).
    pub classes: Vec<String>,
    /// ANTHROPIC_API_KEY, to recognise the user's own key (compared, never sent).
    pub own_key: Option<Secret>,
    pub top: usize,
    /// The time "now", for the lag caveat.
    pub now: DateTime<Utc>,
    /// An incident's window (`diagnose --live`): every series is concluded on. Otherwise
    /// (`usage`) only series whose tightest bucket reached 90% of the limit.
    pub incident: bool,
}

/// A clear reason and hint for an Admin API error of the usage endpoints.
pub fn explain(e: &ApiError) -> (String, String) {
    let msg = crate::redact::keys(&e.to_string());
    let hint = match e {
        ApiError::Auth { status: 401, .. } => {
            "the usage report needs an Admin API key (sk-ant-admin...) in ANTHROPIC_ADMIN_KEY; a normal API key is refused"
        }
        ApiError::Auth { .. } => {
            "the key lacks access to the usage report (403): workspace-scoped keys are refused; use an organization Admin API key (sk-ant-admin...) or an org:admin token"
        }
        ApiError::NotFound { .. } => {
            "the usage report was not found (404): individual accounts have no Admin API, or the base URL does not point at the Anthropic API"
        }
        ApiError::Status { status: 429, .. } => {
            "the Admin API is limiting its own callers (429): the documented polling rate is once a minute; try again in a minute"
        }
        _ => return (msg, e.hint().unwrap_or_default()),
    };
    (msg, hint.to_string())
}

/// Reads the report (and names, overrides, and the limits when `groups` is `None`) and
/// attributes. A failure of the report itself (or of the limits) is the error; names and
/// overrides that cannot be read become notes.
pub async fn gather(
    client: &Client,
    req: &Request,
    groups: Option<Vec<RateLimitGroup>>,
    progress: &mut dyn FnMut(&str),
) -> Result<Attribution, (Attribution, ApiError)> {
    let mut out = Attribution {
        status: Status::Read,
        since: rfc3339(req.since),
        until: rfc3339(req.until),
        bucket_width: req.width.as_str().into(),
        group_by: req.group_by,
        ..Attribution::skipped("")
    };
    out.reason = None;
    let fail = |mut out: Attribution, e: ApiError| {
        let (reason, hint) = explain(&e);
        out.status = Status::Failed;
        out.reason = Some(reason);
        out.hint = Some(hint);
        out.conclusions.push(Conclusion {
            kind: "admin_access",
            detail: format!(
                "The usage report could not be read, so who used the limit is not known: {}",
                out.hint.clone().unwrap_or_default()
            ),
            evidence: vec![out.reason.clone().unwrap_or_default()],
        });
        (out, e)
    };
    let groups = match groups {
        Some(g) => g,
        None => {
            progress("reading the configured limits (Rate Limits API)");
            out.requests += 1;
            match rate_limits::list_org(client, Some("model_group"), None).await {
                Ok(g) => g,
                Err(e) => return Err(fail(out, e)),
            }
        }
    };
    progress("reading the usage report (Admin API)");
    let report = match api_usage::messages_report(
        client,
        &ReportQuery {
            since: req.since,
            until: req.until,
            width: req.width,
            group_by: vec!["api_key_id", "workspace_id", "model"],
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Err(fail(out, e)),
    };
    out.requests += report.requests;
    out.truncated = report.truncated;
    let any_rows = report.buckets.iter().any(|b| !b.results.is_empty());

    let (keys, workspaces, overrides) = if any_rows {
        names_and_overrides(client, &report.buckets, &mut out, progress).await
    } else {
        Default::default()
    };
    let own = req.own_key.as_ref().and_then(|k| {
        keys.iter()
            .find(|i| i.matches(k.expose()))
            .map(|i| (attribution::clean(&i.id), attribution::clean(&i.name)))
    });
    out.own_key_id = own.as_ref().map(|(id, _)| id.clone());
    out.own_key_name = own.map(|(_, n)| n).filter(|n| !n.is_empty());
    out.series = attribution::compute(&attribution::Inputs {
        buckets: &report.buckets,
        width: req.width,
        groups: &groups,
        overrides: &overrides,
        keys: &keys,
        workspaces: &workspaces,
        own_key_id: out.own_key_id.as_deref(),
        dims: &req.dims,
        group_by: req.group_by,
        classes: &req.classes,
        top: req.top,
    });
    out.caveats = caveats(req, &out);
    out.conclusions = conclude(&out, req.own_key.is_some(), req.incident);
    Ok(out)
}

/// The key and workspace names and the overrides of the workspaces with use; what cannot be
/// read becomes a note in `out`.
async fn names_and_overrides(
    client: &Client,
    buckets: &[api_usage::UsageBucket],
    out: &mut Attribution,
    progress: &mut dyn FnMut(&str),
) -> (
    Vec<ApiKeyInfo>,
    Vec<api_usage::WorkspaceInfo>,
    Vec<WorkspaceRateLimitGroup>,
) {
    let mut keys: Vec<ApiKeyInfo> = Vec::new();
    let mut workspaces = Vec::new();
    let mut overrides: Vec<WorkspaceRateLimitGroup> = Vec::new();
    progress("naming keys and workspaces");
    match api_usage::api_keys(client).await {
        Ok((k, n)) => {
            keys = k;
            out.requests += n;
        }
        Err(e) => out.notes.push(format!(
            "key names not read ({}); keys are shown by id",
            crate::redact::keys(&e.to_string())
        )),
    }
    match api_usage::workspaces(client).await {
        Ok((w, n)) => {
            workspaces = w;
            out.requests += n;
        }
        Err(e) => out.notes.push(format!(
            "workspace names not read ({}); workspaces are shown by id",
            crate::redact::keys(&e.to_string())
        )),
    }
    let ids: BTreeSet<&str> = buckets
        .iter()
        .flat_map(|b| b.results.iter())
        .filter_map(|r| r.workspace_id.as_deref())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        if i >= MAX_WORKSPACES {
            out.notes.push(format!(
                "workspace overrides read for the first {MAX_WORKSPACES} workspaces only ({} have use)",
                ids.len()
            ));
            break;
        }
        out.requests += 1;
        let q = rate_limits::WorkspaceQuery {
            group_type: Some("model_group"),
            ..Default::default()
        };
        match rate_limits::list_workspace(client, id, &q).await {
            Ok(g) => overrides.extend(g),
            Err(e) => out.notes.push(format!(
                "overrides of workspace {id} not read ({})",
                crate::redact::keys(&e.to_string())
            )),
        }
    }
    (keys, workspaces, overrides)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn caveats(req: &Request, a: &Attribution) -> Vec<String> {
    let mut out = Vec::new();
    if req.until > req.now - Duration::minutes(LAG_MINUTES) {
        out.push(format!(
            "report lag: usage typically appears within {LAG_MINUTES} minutes, so the last {LAG_MINUTES} minutes of the window (to {}) may be missing or incomplete",
            rfc3339(req.until)
        ));
    }
    if req.width == BucketWidth::Minute {
        out.push("a report bucket is a calendar minute, not the limiter's bucket (a continuously refilled token bucket): a minute's total estimates the pressure, it does not replay the limiter; a burst can be refused inside a minute whose total is under the limit".into());
    } else {
        out.push("hourly buckets are compared with 60 times the per-minute limit: they show sustained load, not the minute that was refused (use --bucket minute)".into());
    }
    if a.series
        .iter()
        .any(|s| s.dimension == DimensionName::OutputTokens)
    {
        out.push("OTPM: the report counts output tokens produced; the limiter reserves max_tokens when a request starts, so a client with a large max_tokens put more pressure on OTPM than the report shows".into());
    }
    if a.truncated {
        out.push(format!(
            "the report had more than {} pages: later buckets are missing",
            api_usage::MAX_REPORT_PAGES
        ));
    }
    out
}

/// What the series show, in sentences a reader can check.
pub fn conclude(a: &Attribution, own_key_given: bool, incident: bool) -> Vec<Conclusion> {
    let mut out = Vec::new();
    let org: Vec<&Series> = a
        .series
        .iter()
        .filter(|s| s.scope == Scope::Organization)
        .collect();
    if org.iter().all(|s| s.buckets_with_use == 0) {
        out.push(Conclusion {
            kind: "no_usage",
            detail: format!(
                "The usage report shows no token use for these limits from {} to {}: the failures came from another organization's key, or the report has not caught up (it lags up to {LAG_MINUTES} minutes).",
                a.since, a.until
            ),
            evidence: vec![format!("usage report: {} request(s), no rows", a.requests)],
        });
        return out;
    }
    for s in &org {
        let Some(peak) = s.peaks.first() else {
            continue;
        };
        if !incident && peak.percent.is_none_or(|p| p < 90.0) {
            continue;
        }
        let evidence = vec![format!("usage report: {}", attribution::line(s, peak))];
        out.extend(who_used_it(a, s, peak, own_key_given, &evidence));
        if let Some(p) = peak.percent
            && p < 90.0
            && s.limit_per_minute.is_some()
        {
            out.push(Conclusion {
                kind: "peak_below_limit",
                detail: format!(
                    "{}'s busiest {} reached {}% of the limit: the report cannot show the refusal itself (a calendar minute is not the limiter's bucket; a burst within a minute can be refused), or the last {LAG_MINUTES} minutes have not reached the report, or the requests counted against a stricter workspace limit.",
                    s.group,
                    if peak.minutes == 1 { "minute" } else { "hour" },
                    attribution::pct(p)
                ),
                evidence: evidence.clone(),
            });
        }
        out.extend(cache_reads_not_counted(s, peak));
    }
    for s in a.series.iter().filter(|s| s.scope == Scope::Workspace) {
        let Some(peak) = s.peaks.first() else {
            continue;
        };
        if peak.percent.is_some_and(|p| p >= 90.0) {
            out.push(Conclusion {
                kind: "workspace_limit_reached",
                detail: format!(
                    "Workspace {}'s own limit (an override below the org's) was the tight one: {}% of {} {} at {}.",
                    s.workspace_name
                        .as_deref()
                        .or(s.workspace_id.as_deref())
                        .unwrap_or("?"),
                    attribution::pct(peak.percent.unwrap_or(0.0)),
                    s.group,
                    s.dimension.label(),
                    attribution::when(peak)
                ),
                evidence: vec![format!("usage report: {}", attribution::line(s, peak))],
            });
        }
    }
    out
}

/// Who used the peak of an organization series: another key, your own, or the largest
/// consumer when your key is not known.
fn who_used_it(
    a: &Attribution,
    s: &Series,
    peak: &BucketUse,
    own_key_given: bool,
    evidence: &[String],
) -> Option<Conclusion> {
    let top = peak.consumers.first();
    let own = peak.consumers.iter().find(|c| c.own_key);
    let what = format!(
        "{} {} at {}",
        s.group,
        s.dimension.label(),
        attribution::when(peak)
    );
    match (top, &a.own_key_id) {
        (Some(t), Some(_)) if !t.own_key => {
            let own_share = own.map_or(0.0, |c| c.share);
            let small = own_share < 0.5;
            let ws = t.workspace_name.as_deref().unwrap_or("?");
            let name = t
                .key_name
                .clone()
                .or(t.api_key_id.clone())
                .unwrap_or_else(|| attribution::CONSOLE.to_string());
            let yours = match own {
                Some(c) => format!(
                    "your key ({}) had {}%",
                    c.key_name.as_deref().unwrap_or("ANTHROPIC_API_KEY"),
                    attribution::pct(c.share * 100.0)
                ),
                None => "your key had no use in that minute".into(),
            };
            Some(Conclusion {
                kind: if small {
                    "another_key_used_the_limit"
                } else {
                    "top_consumer"
                },
                detail: if small {
                    format!(
                        "Another key used the limit: {name} in workspace {ws} had {}% of {what}{}; {yours}. Limits are shared by every key of the organization: pace that job, cap its workspace with a workspace rate limit below the org's, or raise the limit.",
                        attribution::pct(t.share * 100.0),
                        of_limit(peak),
                    )
                } else {
                    format!(
                        "{name} in workspace {ws} had the largest share ({}%) of {what}{}; {yours}.",
                        attribution::pct(t.share * 100.0),
                        of_limit(peak),
                    )
                },
                evidence: evidence.to_vec(),
            })
        }
        (Some(t), Some(_)) => Some(Conclusion {
            kind: "own_key_used_most",
            detail: format!(
                "Your own key ({}) used most of the limit: {}% of {what}{}. The fix is on your side (the cause's fix above).",
                t.key_name.as_deref().unwrap_or("ANTHROPIC_API_KEY"),
                attribution::pct(t.share * 100.0),
                of_limit(peak)
            ),
            evidence: evidence.to_vec(),
        }),
        (Some(t), None) => Some(Conclusion {
            kind: "top_consumer",
            detail: format!(
                "The largest consumer of {what}{} was {} with {}%. {}",
                of_limit(peak),
                t.label,
                attribution::pct(t.share * 100.0),
                if own_key_given {
                    "The key in ANTHROPIC_API_KEY is not in the api_keys list (another org, or names not read): if the app does not use that key, another key used the limit."
                } else {
                    "Set ANTHROPIC_API_KEY to the app's key to tell whether it is yours; if it is not, another key used the limit."
                }
            ),
            evidence: evidence.to_vec(),
        }),
        (None, _) => None,
    }
}

/// The cache reads a series' peak did not count toward the input limit.
fn cache_reads_not_counted(s: &Series, peak: &BucketUse) -> Option<Conclusion> {
    if !(s.dimension == DimensionName::InputTokens
        && !s.cache_reads_counted
        && peak.cache_read_not_counted > 0)
    {
        return None;
    }
    Some(Conclusion {
        kind: "cache_reads_not_counted",
        detail: format!(
            "{} cache-read tokens in that minute did not count toward {}'s input limit (cache-aware ITPM counts uncached input and cache writes only).",
            crate::fmt::thousands(peak.cache_read_not_counted),
            s.group
        ),
        evidence: peak
            .consumers
            .iter()
            .filter(|c| c.cache_read_not_counted > 0)
            .map(|c| {
                format!(
                    "{}: {} counted, {} cache reads not counted",
                    c.label,
                    crate::fmt::thousands(c.tokens),
                    crate::fmt::thousands(c.cache_read_not_counted)
                )
            })
            .collect(),
    })
}

fn of_limit(b: &BucketUse) -> String {
    match (b.limit, b.percent) {
        (Some(l), Some(p)) => format!(
            " ({} of {} per minute, {}% of the limit)",
            attribution::short(b.used),
            attribution::short(l / b.minutes.max(1)),
            attribution::pct(p)
        ),
        _ => String::new(),
    }
}

/// Reads `--since` / `--until`: RFC 3339, a UTC date and time (`2026-11-20 14:00`), a date,
/// or a time before `now` (`2h`, `15m`, `1d`, `90s`).
pub fn parse_when(flag: &str, s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Some(d) = crate::when::relative(t) {
        return Ok(now - d);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(d.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(format!(
        "{flag}: cannot read '{s}' as a time; use RFC 3339 (2026-11-20T14:00:00Z), a UTC date and time (2026-11-20 14:00), or a time ago (15m, 2h, 1d)"
    ))
}

/// The minute `t` falls in.
pub fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp().div_euclid(60) * 60, 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_ago_and_absolute() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            rfc3339(parse_when("--since", "2h", now).unwrap()),
            "2026-11-20T14:00:00Z"
        );
        assert_eq!(
            rfc3339(parse_when("--since", "15m", now).unwrap()),
            "2026-11-20T15:45:00Z"
        );
        assert_eq!(
            rfc3339(parse_when("--since", "1d", now).unwrap()),
            "2026-11-19T16:00:00Z"
        );
        assert_eq!(
            rfc3339(parse_when("--since", "2026-11-20 14:02", now).unwrap()),
            "2026-11-20T14:02:00Z"
        );
        assert!(parse_when("--since", "yesterday", now).is_err());
        assert!(parse_when("--since", "5y", now).is_err());
        assert!(parse_when("--since", "", now).is_err());
    }
}
