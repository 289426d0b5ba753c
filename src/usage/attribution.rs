//! Who used the limit: the usage report's rows summed per bucket, limit group and dimension,
//! compared with the limit that applies, and split by consumer. Pure: every number comes
//! from the rows, the limit groups and the names passed in.
//!
//! # The counting rule
//!
//! * ITPM counts `uncached_input_tokens` + cache creation (both lifetimes). Cache reads count
//!   only where the rate-limit tables mark the model (Haiku 3 and 3.5, class `Claude Haiku
//!   3.x`) or where the group's input limiter is not the cache-aware one
//!   (`input_tokens_per_minute` without `input_tokens_per_minute_cache_aware`).
//! * OTPM counts `output_tokens` (the limiter reserves `max_tokens` at the start, so the
//!   report understates the pressure of a client with a large `max_tokens`).
//! * A row's model maps to the org group listing it, else to the group of the same model
//!   class ([`crate::ratelimit::model_class`]).
//! * The limit is the organization's; a workspace whose override is stricter gets its own
//!   series compared with the override (`min(value, org_limit)`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::api::rate_limits::{RateLimitGroup, WorkspaceRateLimitGroup};
use crate::api::usage::{ApiKeyInfo, BucketWidth, UsageBucket, UsageRow, WorkspaceInfo};
use crate::ratelimit::{DimensionName, model_class};

/// Consumers listed per bucket; the rest are summed as `others`.
pub const MAX_CONSUMERS: usize = 5;

/// Name of the rows whose `api_key_id` is null.
pub const CONSOLE: &str = "Console / Workbench (no API key)";
/// Name of the rows whose `workspace_id` is null.
pub const DEFAULT_WORKSPACE: &str = "Default workspace";

/// How consumers are split.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Per API key (and its workspace).
    Key,
    Workspace,
    Model,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Key => "key",
            GroupBy::Workspace => "workspace",
            GroupBy::Model => "model",
        }
    }
}

/// What a series is compared with.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The whole organization's use against the org limit.
    Organization,
    /// One workspace's use against its (stricter) override.
    Workspace,
}

/// One consumer's part of a bucket.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Consumer {
    /// For people: `etl-nightly (batch-jobs)`, a workspace name, or a model.
    pub label: String,
    /// With `group_by` key: the key id (`null`: Console / Workbench use).
    pub api_key_id: Option<String>,
    /// The key's name from the `api_keys` list, when known.
    pub key_name: Option<String>,
    /// `null`: the default workspace (or not split by workspace).
    pub workspace_id: Option<String>,
    /// The workspace's name from the `workspaces` list, when known.
    pub workspace_name: Option<String>,
    /// Models this consumer used in the bucket.
    pub models: Vec<String>,
    /// Tokens counted toward the limit.
    pub tokens: u64,
    /// `tokens` over the bucket's total (0 to 1).
    pub share: f64,
    /// Cache reads of this consumer in the bucket that did not count toward the limit.
    pub cache_read_not_counted: u64,
    /// This is the key in ANTHROPIC_API_KEY (matched by its partial hint).
    pub own_key: bool,
}

/// One bucket of a series.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BucketUse {
    /// Start of the bucket (RFC 3339, UTC): a calendar minute or hour.
    pub start: String,
    /// Minutes in the bucket (1 or 60).
    pub minutes: u64,
    /// Tokens counted toward the limit in the bucket.
    pub used: u64,
    /// The limit over the bucket (per-minute limit × minutes); `null`: no limit known.
    pub limit: Option<u64>,
    /// `used` over `limit` in percent.
    pub percent: Option<f64>,
    /// Cache reads in the bucket that did not count.
    pub cache_read_not_counted: u64,
    /// Largest first, at most five; the rest in `others_tokens`.
    pub consumers: Vec<Consumer>,
    pub others_tokens: u64,
}

/// One limit group, dimension and scope over the window.
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Series {
    /// The org's group id (`null`: no group lists the rows' models).
    pub group_id: Option<String>,
    /// The group's display name, else the model class.
    pub group: String,
    /// `input_tokens` (ITPM) or `output_tokens` (OTPM).
    pub dimension: DimensionName,
    /// The Rate Limits API limiter compared with.
    pub limiter: Option<String>,
    pub scope: Scope,
    /// With scope `workspace`: which one.
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    /// The limit per minute that applies (org, or the workspace's effective override).
    pub limit_per_minute: Option<u64>,
    /// Whether cache reads count toward this limit (see the module doc).
    pub cache_reads_counted: bool,
    /// Buckets with any use.
    pub buckets_with_use: u64,
    /// Buckets at or above the limit.
    pub buckets_at_limit: u64,
    /// The tightest buckets first (highest percent, else most tokens).
    pub peaks: Vec<BucketUse>,
}

/// The inputs of [`compute`].
pub struct Inputs<'a> {
    pub buckets: &'a [UsageBucket],
    pub width: BucketWidth,
    /// The org's model groups (Rate Limits API).
    pub groups: &'a [RateLimitGroup],
    /// Workspace limits (overrides) of the workspaces in the rows.
    pub overrides: &'a [WorkspaceRateLimitGroup],
    pub keys: &'a [ApiKeyInfo],
    pub workspaces: &'a [WorkspaceInfo],
    /// The key id of ANTHROPIC_API_KEY, when recognised.
    pub own_key_id: Option<&'a str>,
    pub dims: &'a [DimensionName],
    pub group_by: GroupBy,
    /// Keep only series whose group holds a model of these classes (empty: all).
    pub classes: &'a [String],
    /// Peaks kept per series.
    pub top: usize,
}

/// Longest name or id kept from the API (longer ones are cut, with `…`).
pub const MAX_NAME: usize = 80;

/// A name or id from the API made safe to print: control characters (a terminal escape
/// sequence in a key name) become `?`, and it is cut at [`MAX_NAME`] characters.
pub fn clean(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_NAME)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > MAX_NAME {
        out.push('…');
    }
    out
}

/// The group index a model belongs to.
fn group_index(groups: &[RateLimitGroup], model: &str) -> Option<usize> {
    let model_groups = || {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.models.is_some())
    };
    model_groups()
        .find(|(_, g)| g.models.iter().flatten().any(|m| m == model))
        .or_else(|| {
            let class = model_class(model, None);
            model_groups().find(|(_, g)| {
                g.models
                    .iter()
                    .flatten()
                    .any(|m| model_class(m, None) == class)
            })
        })
        .map(|(i, _)| i)
}

/// The org limiter and value for a dimension.
fn org_limit(g: &RateLimitGroup, dim: DimensionName) -> Option<(String, f64)> {
    dim.org_limiters().iter().find_map(|l| {
        g.limits
            .iter()
            .find(|x| x.kind == *l)
            .and_then(|x| x.value.map(|v| (x.kind.clone(), v)))
    })
}

/// Whether cache reads count toward ITPM for this group and model.
pub fn cache_reads_count(g: Option<&RateLimitGroup>, model: &str) -> bool {
    if model_class(model, None) == "Claude Haiku 3.x" {
        return true;
    }
    g.is_some_and(|g| {
        let has = |k: &str| g.limits.iter().any(|l| l.kind == k);
        has("input_tokens_per_minute") && !has("input_tokens_per_minute_cache_aware")
    })
}

/// Tokens a row counts toward `dim`, and its cache reads not counted.
pub fn counted(row: &UsageRow, dim: DimensionName, reads_count: bool) -> (u64, u64) {
    match dim {
        DimensionName::InputTokens => {
            let base = row
                .uncached_input_tokens
                .saturating_add(row.cache_creation_tokens());
            if reads_count {
                (base.saturating_add(row.cache_read_input_tokens), 0)
            } else {
                (base, row.cache_read_input_tokens)
            }
        }
        DimensionName::OutputTokens => (row.output_tokens, 0),
        DimensionName::Tokens => (
            row.uncached_input_tokens
                .saturating_add(row.cache_creation_tokens())
                .saturating_add(row.output_tokens),
            0,
        ),
        DimensionName::Requests => (0, 0),
    }
}

/// A series' identity while summing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct SeriesKey {
    /// Group index, or the model class for rows no group lists.
    group: Result<usize, String>,
    dim: usize,
    /// `None`: organization.
    workspace: Option<String>,
}

/// A consumer: key id, workspace id, model (each `None` unless split by it).
type ConsumerKey = (Option<String>, Option<String>, Option<String>);

#[derive(Default)]
struct Acc {
    used: u64,
    reads: u64,
    consumers: BTreeMap<ConsumerKey, ConsumerAcc>,
}

#[derive(Default)]
struct ConsumerAcc {
    tokens: u64,
    reads: u64,
    models: Vec<String>,
}

/// The names and the stricter workspace limits the rows are joined with.
struct Lookups<'a> {
    key_names: HashMap<&'a str, &'a ApiKeyInfo>,
    ws_names: HashMap<&'a str, &'a str>,
    /// Stricter workspace limits: (workspace, group id, limiter) → effective.
    ws_limit: HashMap<(&'a str, &'a str, &'a str), f64>,
}

impl<'a> Lookups<'a> {
    fn new(inp: &Inputs<'a>) -> Lookups<'a> {
        let key_names = inp.keys.iter().map(|k| (k.id.as_str(), k)).collect();
        let ws_names = inp
            .workspaces
            .iter()
            .map(|w| (w.id.as_str(), w.name.as_str()))
            .collect();
        let mut ws_limit = HashMap::new();
        for w in inp.overrides {
            for l in &w.limits {
                if l.status().is_stricter()
                    && let Some(v) = l.effective()
                {
                    ws_limit.insert(
                        (
                            w.workspace_id.as_str(),
                            w.group_id.as_str(),
                            l.kind.as_str(),
                        ),
                        v,
                    );
                }
            }
        }
        Lookups {
            key_names,
            ws_names,
            ws_limit,
        }
    }

    fn ws_label(&self, id: &Option<String>) -> Option<String> {
        Some(match id {
            None => DEFAULT_WORKSPACE.to_string(),
            Some(id) => self
                .ws_names
                .get(id.as_str())
                .filter(|n| !n.is_empty())
                .map_or_else(|| clean(id), |n| clean(n)),
        })
    }
}

/// Series → bucket start → accumulator.
type Accs = BTreeMap<SeriesKey, BTreeMap<chrono::DateTime<chrono::Utc>, Acc>>;

/// Sums the rows into series, tightest buckets first.
pub fn compute(inp: &Inputs<'_>) -> Vec<Series> {
    let look = Lookups::new(inp);
    let acc = accumulate(inp, &look);
    let mut out: Vec<Series> = acc
        .into_iter()
        .map(|(k, minutes)| series(inp, &look, k, minutes))
        .collect();
    // The tightest series first.
    out.sort_by(|a, b| {
        let key = |s: &Series| s.peaks.first().map(|p| (p.percent.unwrap_or(-1.0), p.used));
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

/// Whether a row's group (or, for a model no group lists, its class) passes `--model`.
fn keep_group(inp: &Inputs<'_>, g: Result<usize, String>) -> bool {
    if inp.classes.is_empty() {
        return true;
    }
    match g {
        Ok(i) => inp.groups[i]
            .models
            .iter()
            .flatten()
            .any(|m| inp.classes.contains(&model_class(m, None))),
        Err(class) => inp.classes.contains(&class),
    }
}

/// Adds every row's counted tokens to its series (the organization's, and the workspace's
/// when that workspace has a stricter limit), per bucket and per consumer.
fn accumulate(inp: &Inputs<'_>, look: &Lookups<'_>) -> Accs {
    let mut acc = Accs::new();
    for b in inp.buckets {
        for row in &b.results {
            let model = row.model.as_deref().unwrap_or("");
            let gi = group_index(inp.groups, model);
            let gkey = gi.ok_or_else(|| model_class(model, None));
            if !keep_group(inp, gkey.clone()) {
                continue;
            }
            let g = gi.map(|i| &inp.groups[i]);
            let reads = cache_reads_count(g, model);
            for (di, dim) in inp.dims.iter().enumerate() {
                let (tokens, not_counted) = counted(row, *dim, reads);
                if tokens == 0 && not_counted == 0 {
                    continue;
                }
                let ckey = match inp.group_by {
                    GroupBy::Key => (row.api_key_id.clone(), row.workspace_id.clone(), None),
                    GroupBy::Workspace => (None, row.workspace_id.clone(), None),
                    GroupBy::Model => (None, None, row.model.clone()),
                };
                let mut scopes = vec![None];
                if let (Some(g), Some(ws)) = (g, &row.workspace_id)
                    && org_limit(g, *dim).is_some_and(|(l, _)| {
                        look.ws_limit
                            .contains_key(&(ws.as_str(), g.group_id.as_str(), l.as_str()))
                    })
                {
                    scopes.push(Some(ws.clone()));
                }
                for scope in scopes {
                    let a = acc
                        .entry(SeriesKey {
                            group: gkey.clone(),
                            dim: di,
                            workspace: scope,
                        })
                        .or_default()
                        .entry(b.starting_at)
                        .or_default();
                    a.used = a.used.saturating_add(tokens);
                    a.reads = a.reads.saturating_add(not_counted);
                    let c = a.consumers.entry(ckey.clone()).or_default();
                    c.tokens = c.tokens.saturating_add(tokens);
                    c.reads = c.reads.saturating_add(not_counted);
                    if let Some(m) = &row.model
                        && !c.models.contains(m)
                    {
                        c.models.push(m.clone());
                    }
                }
            }
        }
    }
    acc
}

/// One consumer of a bucket, named for people.
fn consumer(
    inp: &Inputs<'_>,
    look: &Lookups<'_>,
    (key, ws, model): ConsumerKey,
    c: ConsumerAcc,
    used: u64,
) -> Consumer {
    let info = key.as_deref().and_then(|k| look.key_names.get(k));
    let key_name = info.map(|i| clean(&i.name)).filter(|n| !n.is_empty());
    let own = key.is_some() && key.as_deref() == inp.own_key_id;
    let key = key.as_deref().map(clean);
    let ws = ws.as_deref().map(clean);
    let model = model.as_deref().map(clean);
    let wname = match inp.group_by {
        GroupBy::Model => None,
        _ => look.ws_label(&ws),
    };
    let label = match inp.group_by {
        GroupBy::Key => {
            let k = match (&key, &key_name) {
                (None, _) => CONSOLE.to_string(),
                (_, Some(n)) => n.clone(),
                (Some(id), None) => id.clone(),
            };
            format!("{k} ({})", wname.as_deref().unwrap_or("?"))
        }
        GroupBy::Workspace => wname.clone().unwrap_or_default(),
        GroupBy::Model => model.clone().unwrap_or_else(|| "?".into()),
    };
    Consumer {
        label,
        api_key_id: key,
        key_name,
        workspace_id: ws,
        workspace_name: wname,
        models: c.models.iter().map(|m| clean(m)).collect(),
        tokens: c.tokens,
        share: if used > 0 {
            c.tokens as f64 / used as f64
        } else {
            0.0
        },
        cache_read_not_counted: c.reads,
        own_key: own,
    }
}

/// One bucket of a series, its biggest consumers first.
fn bucket_use(
    inp: &Inputs<'_>,
    look: &Lookups<'_>,
    start: chrono::DateTime<chrono::Utc>,
    a: Acc,
    per_minute: Option<u64>,
) -> BucketUse {
    let width = inp.width.minutes();
    let cap = per_minute.map(|l| l.saturating_mul(width));
    let used = a.used;
    let mut consumers: Vec<Consumer> = a
        .consumers
        .into_iter()
        .map(|(k, c)| consumer(inp, look, k, c, used))
        .collect();
    consumers.sort_by(|a, b| b.tokens.cmp(&a.tokens).then(a.label.cmp(&b.label)));
    let others_tokens = consumers.iter().skip(MAX_CONSUMERS).map(|c| c.tokens).sum();
    consumers.truncate(MAX_CONSUMERS);
    BucketUse {
        start: start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        minutes: width,
        used: a.used,
        limit: cap,
        percent: cap
            .filter(|c| *c > 0)
            .map(|c| (a.used as f64 * 100.0 / c as f64 * 10.0).round() / 10.0),
        cache_read_not_counted: a.reads,
        consumers,
        others_tokens,
    }
}

/// One series: its limit (the workspace's when stricter) and its tightest buckets.
fn series(
    inp: &Inputs<'_>,
    look: &Lookups<'_>,
    k: SeriesKey,
    minutes: BTreeMap<chrono::DateTime<chrono::Utc>, Acc>,
) -> Series {
    let dim = inp.dims[k.dim];
    let g = k.group.as_ref().ok().map(|i| &inp.groups[*i]);
    let (limiter, org) = match g.and_then(|g| org_limit(g, dim)) {
        Some((l, v)) => (Some(l), Some(v)),
        None => (None, None),
    };
    let limit = match (&k.workspace, g, &limiter) {
        (Some(ws), Some(g), Some(l)) => look
            .ws_limit
            .get(&(ws.as_str(), g.group_id.as_str(), l.as_str()))
            .copied(),
        _ => org,
    };
    let per_minute = limit.map(|v| v.max(0.0).round() as u64);
    let mut buckets: Vec<BucketUse> = minutes
        .into_iter()
        .map(|(start, a)| bucket_use(inp, look, start, a, per_minute))
        .collect();
    let with_use = buckets.iter().filter(|b| b.used > 0).count() as u64;
    let at_limit = buckets
        .iter()
        .filter(|b| b.limit.is_some_and(|l| l > 0 && b.used >= l))
        .count() as u64;
    sort_tightest(&mut buckets);
    buckets.truncate(inp.top.max(1));
    Series {
        group_id: g.map(|g| g.group_id.clone()),
        group: match (&k.group, g) {
            (_, Some(g)) => g.display_name.clone().unwrap_or_else(|| g.group_id.clone()),
            (Err(class), None) => class.clone(),
            _ => String::new(),
        },
        dimension: dim,
        limiter,
        scope: if k.workspace.is_some() {
            Scope::Workspace
        } else {
            Scope::Organization
        },
        workspace_name: k
            .workspace
            .as_ref()
            .and_then(|w| look.ws_label(&Some(w.clone()))),
        workspace_id: k.workspace.as_deref().map(clean),
        limit_per_minute: per_minute,
        cache_reads_counted: g.is_some_and(|g| {
            g.models
                .iter()
                .flatten()
                .any(|m| cache_reads_count(Some(g), m))
        }),
        buckets_with_use: with_use,
        buckets_at_limit: at_limit,
        peaks: buckets,
    }
}

/// Highest percent first (buckets without a limit after, by tokens), then earlier first.
pub fn sort_tightest(b: &mut [BucketUse]) {
    b.sort_by(|x, y| {
        let px = x.percent.unwrap_or(-1.0);
        let py = y.percent.unwrap_or(-1.0);
        py.partial_cmp(&px)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(y.used.cmp(&x.used))
            .then(x.start.cmp(&y.start))
    });
}

/// `1.97M`, `640k`, `900`: token counts for a line of text.
pub fn short(n: u64) -> String {
    let f = n as f64;
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if n >= 1_000_000 {
        format!("{}M", trim(format!("{:.2}", f / 1e6)))
    } else if n >= 10_000 {
        format!("{}k", trim(format!("{:.0}", f / 1e3)))
    } else if n >= 1_000 {
        format!("{}k", trim(format!("{:.1}", f / 1e3)))
    } else {
        n.to_string()
    }
}

/// `14:02 UTC` for a minute bucket, `14:00-15:00 UTC` for an hour.
pub fn when(b: &BucketUse) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(&b.start) else {
        return b.start.clone();
    };
    let t = t.with_timezone(&chrono::Utc);
    if b.minutes >= 60 {
        let end = t + chrono::Duration::minutes(b.minutes as i64);
        format!(
            "{} {}-{} UTC",
            t.format("%Y-%m-%d"),
            t.format("%H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!("{} UTC", t.format("%Y-%m-%d %H:%M"))
    }
}

/// The one-line summary of a bucket: `14:02 UTC · Claude Sonnet 4.x input tokens: 1.97M of 2M
/// per minute (98%) · etl-nightly (batch-jobs) 94% · web-app (Default workspace) 6%`.
pub fn line(s: &Series, b: &BucketUse) -> String {
    let of = match (b.limit, b.percent) {
        (Some(l), Some(p)) => format!(
            "{} of {}{} ({}%)",
            short(b.used),
            short(l),
            if b.minutes == 1 {
                " per minute".to_string()
            } else {
                format!(" per {} minutes", b.minutes)
            },
            pct(p)
        ),
        _ => format!("{} (no limit known)", short(b.used)),
    };
    let scope = match s.scope {
        Scope::Organization => String::new(),
        Scope::Workspace => format!(
            " in workspace {}",
            s.workspace_name
                .as_deref()
                .or(s.workspace_id.as_deref())
                .unwrap_or("?")
        ),
    };
    let mut parts = vec![
        when(b),
        format!("{} {}{scope}: {of}", s.group, s.dimension.label()),
    ];
    for c in &b.consumers {
        parts.push(format!(
            "{}{} {}%",
            c.label,
            if c.own_key { " [your key]" } else { "" },
            pct(c.share * 100.0)
        ));
    }
    if b.others_tokens > 0 && b.used > 0 {
        parts.push(format!(
            "others {}%",
            pct(b.others_tokens as f64 * 100.0 / b.used as f64)
        ));
    }
    parts.join(" · ")
}

/// A percent for people: whole above 10, one decimal below.
pub fn pct(p: f64) -> String {
    if (99.5..100.0).contains(&p) {
        // Not rounded up to 100: "100%" would say the limit was reached.
        format!("{:.1}", (p * 10.0).floor() / 10.0)
    } else if p >= 10.0 || p == 0.0 {
        format!("{}", p.round() as i64)
    } else {
        let s = format!("{:.1}", p);
        s.trim_end_matches(".0").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::rate_limits::Limiter;
    use crate::api::usage::CacheCreation;

    fn group(id: &str, models: &[&str], limiter: &str, value: f64) -> RateLimitGroup {
        RateLimitGroup {
            group_id: id.into(),
            group_type: "model_group".into(),
            display_name: Some(id.into()),
            models: Some(models.iter().map(|m| m.to_string()).collect()),
            limits: vec![Limiter {
                kind: limiter.into(),
                value: Some(value),
            }],
        }
    }

    fn row(key: &str, model: &str, uncached: u64, write: u64, read: u64) -> UsageRow {
        UsageRow {
            uncached_input_tokens: uncached,
            cache_creation: CacheCreation {
                ephemeral_1h_input_tokens: write,
                ephemeral_5m_input_tokens: 0,
            },
            cache_read_input_tokens: read,
            output_tokens: 1,
            api_key_id: Some(key.into()),
            workspace_id: None,
            model: Some(model.into()),
            service_tier: None,
        }
    }

    #[test]
    fn itpm_counts_uncached_and_writes_and_reads_only_where_marked() {
        let sonnet = group(
            "S",
            &["claude-sonnet-4-5"],
            "input_tokens_per_minute_cache_aware",
            1000.0,
        );
        let r = row("k", "claude-sonnet-4-5", 10, 5, 100);
        let reads = cache_reads_count(Some(&sonnet), "claude-sonnet-4-5");
        assert!(!reads);
        assert_eq!(counted(&r, DimensionName::InputTokens, reads), (15, 100));
        // Haiku 3 and 3.5 (the tables' dagger), and a group limited on plain input tokens.
        assert!(cache_reads_count(None, "claude-3-5-haiku-20241022"));
        assert!(cache_reads_count(None, "claude-3-haiku-20240307"));
        let plain = group("P", &["claude-x-1"], "input_tokens_per_minute", 1.0);
        assert!(cache_reads_count(Some(&plain), "claude-x-1"));
        assert_eq!(counted(&r, DimensionName::InputTokens, true), (115, 0));
        assert_eq!(counted(&r, DimensionName::OutputTokens, false), (1, 0));
    }

    #[test]
    fn a_dated_model_maps_to_its_class_group_and_shares_add_up() {
        let groups = [group(
            "S",
            &["claude-sonnet-4-5"],
            "input_tokens_per_minute_cache_aware",
            1000.0,
        )];
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-20T14:02:00Z")
            .unwrap()
            .to_utc();
        let buckets = [UsageBucket {
            starting_at: t,
            ending_at: t + chrono::Duration::minutes(1),
            results: vec![
                row("a", "claude-sonnet-4-20250514", 600, 0, 0),
                row("b", "claude-sonnet-4-5", 300, 0, 0),
            ],
        }];
        let s = compute(&Inputs {
            buckets: &buckets,
            width: BucketWidth::Minute,
            groups: &groups,
            overrides: &[],
            keys: &[],
            workspaces: &[],
            own_key_id: Some("b"),
            dims: &[DimensionName::InputTokens],
            group_by: GroupBy::Key,
            classes: &[],
            top: 5,
        });
        assert_eq!(s.len(), 1);
        let p = &s[0].peaks[0];
        assert_eq!((p.used, p.limit, p.percent), (900, Some(1000), Some(90.0)));
        assert_eq!(p.consumers[0].label, "a (Default workspace)");
        assert!(p.consumers[1].own_key);
        let total: f64 = p.consumers.iter().map(|c| c.share).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert_eq!(pct(99.7), "99.7");
        assert_eq!(pct(98.5), "99");
        assert_eq!(pct(100.0), "100");
        assert_eq!(pct(6.25), "6.2");
        assert_eq!(clean("evil\u{1b}[31mname"), "evil?[31mname");
        assert_eq!(clean(&"x".repeat(100)).chars().count(), MAX_NAME + 1);
        assert_eq!(
            line(&s[0], p),
            "2026-11-20 14:02 UTC · S input tokens: 900 of 1k per minute (90%) · a (Default workspace) 67% · b (Default workspace) [your key] 33%"
        );
    }
}
