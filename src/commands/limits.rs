//! `claude-429 limits`: the org's (or a workspace's) configured rate limits through the Rate
//! Limits API, as a table or JSON; `--save` writes a lock file and `--check` compares with
//! one, exiting 1 on drift or when a limit fell below a `--min` floor.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::api::rate_limits::{
    self, OverrideStatus, RateLimitGroup, WorkspaceQuery, WorkspaceRateLimitGroup, num,
};
use crate::api::{ApiError, Client, ClientConfig, client::RetryPolicy};
use crate::cli::LimitsArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;

const KEY_VAR: &str = "ANTHROPIC_ADMIN_KEY";
const LOCK_VERSION: u32 = 1;

pub fn run(a: &LimitsArgs, style: &Style) -> Result<Outcome> {
    // Usage errors first (exit 2), before any key or network.
    let floors = a
        .min
        .iter()
        .map(|s| Floor::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let lock = match &a.check {
        Some(path) => Some(Lock::read(path)?),
        None => None,
    };
    let filters = Filters::resolve(a, lock.as_ref())?;
    if let Some(w) = &filters.workspace {
        check_workspace_id(w)?;
    }

    let config = ClientConfig::from_args(&a.api)?;
    let key = crate::api::client::load_key(
        KEY_VAR,
        a.admin_key_file.as_deref(),
        " (an Admin API key) or pass --admin-key-file FILE",
    )?;
    let looks_admin = key.expose().starts_with("sk-ant-admin");
    let client = Client::new(config, key)?.with_retry(RetryPolicy {
        max_retries: a.max_retries,
        ..RetryPolicy::default()
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let live = rt
        .block_on(fetch(&client, &filters, a.page_size))
        .map_err(|e| admin_key_context(e, looks_admin))?;
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let snapshot = live.snapshot();

    let stdout = crate::output::stdout();
    let mut out = stdout.lock();

    if let Some(path) = &a.save {
        let lock = Lock {
            version: LOCK_VERSION,
            taken_at: taken_at.clone(),
            filters: filters.clone(),
            groups: snapshot.clone(),
        };
        lock.write(path)?;
        let n: usize = snapshot.values().map(|g| g.limits.len()).sum();
        crate::errln!(
            "claude-429: saved {n} limit{} in {} group{} to {}",
            plural(n),
            snapshot.len(),
            plural(snapshot.len()),
            path.display()
        );
    }

    if let (Some(path), Some(lock)) = (&a.check, lock) {
        let report = CheckReport::new(path, &lock, &snapshot, &floors);
        let drift = report.drift;
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            github::emit(&report, a.json)?;
        }
        if a.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        } else {
            crate::report::limits::check_report(&mut out, style, &report)?;
        }
        return Ok(if drift {
            Outcome::Found
        } else {
            Outcome::Clean
        });
    }

    if a.json {
        live.render_json(&mut out, &taken_at)?;
    } else {
        crate::report::limits::listing(&mut out, style, &live, &filters)?;
    }
    Ok(Outcome::Clean)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A 401/403 with a key that does not look like an Admin key says so first.
fn admin_key_context(e: ApiError, looks_admin: bool) -> anyhow::Error {
    match e {
        ApiError::Auth { .. } if !looks_admin => anyhow::Error::new(e).context(format!(
            "the key in {KEY_VAR} (or --admin-key-file) does not have the Admin API key prefix"
        )),
        e => e.into(),
    }
}

/// Workspace ids go into the URL path: refuse anything that would change the path.
fn check_workspace_id(id: &str) -> Result<(), UsageError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(UsageError(format!(
            "--workspace '{id}' is not a workspace id (letters, digits, _ and -, like wrkspc_01AbC)"
        )))
    }
}

// ---------------------------------------------------------------------------------------
// Filters, shared by the flags and the lock file.

/// The filters a listing was taken with; saved in the lock so --check compares like with
/// like.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filters {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub group_type: Option<String>,
    #[serde(default)]
    pub workspace: Option<String>,
}

impl Filters {
    /// The flags, falling back to the lock's filters; a flag that contradicts the lock is a
    /// usage error (the comparison would be meaningless).
    fn resolve(a: &LimitsArgs, lock: Option<&Lock>) -> Result<Filters, UsageError> {
        let empty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        let flags = Filters {
            model: empty(&a.model),
            group_type: empty(&a.group_type),
            workspace: empty(&a.workspace),
        };
        let Some(lock) = lock else {
            return Ok(flags);
        };
        let pick = |name: &str, flag: &Option<String>, saved: &Option<String>| match (flag, saved) {
            (Some(f), Some(s)) if f != s => Err(UsageError(format!(
                "--{name} {f} differs from the lock file's {name} {s}; drop the flag or save a new lock"
            ))),
            (Some(f), None) => Err(UsageError(format!(
                "--{name} {f} was not used when the lock file was saved; drop the flag or save a new lock"
            ))),
            _ => Ok(saved.clone()),
        };
        Ok(Filters {
            model: pick("model", &flags.model, &lock.filters.model)?,
            group_type: pick("group-type", &flags.group_type, &lock.filters.group_type)?,
            workspace: pick("workspace", &flags.workspace, &lock.filters.workspace)?,
        })
    }

    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(m) = &self.model {
            parts.push(format!("--model {m}"));
        }
        if let Some(g) = &self.group_type {
            parts.push(format!("--group-type {g}"));
        }
        if let Some(w) = &self.workspace {
            parts.push(format!("--workspace {w}"));
        }
        parts.join(" ")
    }
}

// ---------------------------------------------------------------------------------------
// Fetching.

/// What the API returned.
pub enum Live {
    Org(Vec<RateLimitGroup>),
    Workspace {
        id: String,
        groups: Vec<WorkspaceRateLimitGroup>,
    },
}

async fn fetch(client: &Client, f: &Filters, page_size: Option<u32>) -> Result<Live, ApiError> {
    let org = match (&f.workspace, &f.model) {
        // The workspace listing has no model filter: the org listing finds the model's
        // group (and answers 404 for an unknown model).
        (None, _) | (Some(_), Some(_)) => Some(
            rate_limits::list_org_paged(
                client,
                f.group_type.as_deref(),
                f.model.as_deref(),
                page_size,
            )
            .await?,
        ),
        (Some(_), None) => None,
    };
    let Some(ws) = &f.workspace else {
        return Ok(Live::Org(org.unwrap_or_default()));
    };
    let mut groups = rate_limits::list_workspace(
        client,
        ws,
        &WorkspaceQuery {
            group_type: f.group_type.as_deref(),
            include_inherited: true,
            page_size,
        },
    )
    .await?;
    if let Some(org) = org {
        groups.retain(|g| org.iter().any(|o| o.group_id == g.group_id));
    }
    Ok(Live::Workspace {
        id: ws.clone(),
        groups,
    })
}

// ---------------------------------------------------------------------------------------
// The lock file.

/// A number in the lock: whole numbers as JSON integers; `null` for "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Value(pub Option<f64>);

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        num::opt(&self.0, s)
    }
}

/// One group in the lock (and in the live snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LockGroup {
    pub group_type: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Sorted; informational (a model list change is a note, not drift).
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// Limiter type → value (with a workspace: the effective value).
    pub limits: BTreeMap<String, Value>,
}

/// Group id → group: the stable keys, sorted.
type Snapshot = BTreeMap<String, LockGroup>;

/// The lock file written by --save and read by --check.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lock {
    /// Format version (1).
    pub version: u32,
    /// When the limits were read (RFC 3339, UTC).
    pub taken_at: String,
    /// The filters the limits were read with.
    #[serde(default)]
    pub filters: Filters,
    /// Group id (stable across orgs) → limits.
    pub groups: Snapshot,
}

impl Lock {
    fn read(path: &Path) -> Result<Lock, UsageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read lock file {}: {e}", path.display())))?;
        let lock: Lock = serde_json::from_str(&text).map_err(|e| {
            UsageError(format!(
                "{} is not a claude-429 lock file ({e}); write one with --save",
                path.display()
            ))
        })?;
        if lock.version != LOCK_VERSION {
            return Err(UsageError(format!(
                "{} has lock version {}; this claude-429 reads version {LOCK_VERSION}",
                path.display(),
                lock.version
            )));
        }
        Ok(lock)
    }

    /// Pretty JSON, one limiter per line, with a final newline; written through
    /// [`crate::fsutil::write_atomic`], so a failed run never leaves half a lock.
    fn write(&self, path: &Path) -> Result<(), UsageError> {
        let mut text = serde_json::to_string_pretty(self).expect("the lock serialises");
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes())
            .map_err(|e| UsageError(format!("cannot write lock file {}: {e}", path.display())))
    }
}

impl Live {
    fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::new();
        let mut add = |id: &str,
                       kind: &str,
                       name: &Option<String>,
                       models: &Option<Vec<String>>,
                       limits: Vec<(String, Option<f64>)>| {
            let g = snap.entry(id.to_string()).or_insert_with(|| LockGroup {
                group_type: kind.to_string(),
                display_name: name.clone(),
                models: models.clone().map(|mut m| {
                    m.sort();
                    m.dedup();
                    m
                }),
                limits: BTreeMap::new(),
            });
            for (k, v) in limits {
                g.limits.insert(k, Value(v));
            }
        };
        match self {
            Live::Org(groups) => {
                for g in groups {
                    add(
                        &g.group_id,
                        &g.group_type,
                        &g.display_name,
                        &g.models,
                        g.limits.iter().map(|l| (l.kind.clone(), l.value)).collect(),
                    );
                }
            }
            Live::Workspace { groups, .. } => {
                for g in groups {
                    add(
                        &g.group_id,
                        &g.group_type,
                        &g.display_name,
                        &g.models,
                        g.limits
                            .iter()
                            .map(|l| (l.kind.clone(), l.effective()))
                            .collect(),
                    );
                }
            }
        }
        snap
    }
}

// ---------------------------------------------------------------------------------------
// Rendering the listing.

/// `--json` without a workspace.
#[derive(Serialize, schemars::JsonSchema)]
struct OrgJson<'a> {
    /// When the limits were read (RFC 3339, UTC).
    taken_at: &'a str,
    /// One entry per group, in the API's order.
    groups: &'a [RateLimitGroup],
}

/// `--json` with --workspace.
#[derive(Serialize, schemars::JsonSchema)]
struct WorkspaceJson<'a> {
    taken_at: &'a str,
    workspace_id: &'a str,
    groups: Vec<WorkspaceGroupJson<'a>>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct WorkspaceGroupJson<'a> {
    group_id: &'a str,
    group_type: &'a str,
    display_name: &'a Option<String>,
    models: &'a Option<Vec<String>>,
    rate_limit_id: &'a Option<String>,
    limits: Vec<WorkspaceLimitJson<'a>>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct WorkspaceLimitJson<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    /// The workspace's stored value.
    value: Value,
    /// The org's limit of this type (null: the org has none).
    org_limit: Value,
    /// What is enforced: min(value, org_limit).
    effective: Value,
    source: rate_limits::Source,
    /// inherited, below_org, workspace_only, same_as_org, above_org_not_enforced.
    status: OverrideStatus,
    /// True when the workspace is stricter than the org (it can explain 429s the org limits
    /// do not).
    stricter_than_org: bool,
}

impl Live {
    fn render_json(&self, out: &mut dyn Write, taken_at: &str) -> Result<()> {
        let text = match self {
            Live::Org(groups) => serde_json::to_string_pretty(&OrgJson { taken_at, groups })?,
            Live::Workspace { id, groups } => serde_json::to_string_pretty(&WorkspaceJson {
                taken_at,
                workspace_id: id,
                groups: groups
                    .iter()
                    .map(|g| WorkspaceGroupJson {
                        group_id: &g.group_id,
                        group_type: &g.group_type,
                        display_name: &g.display_name,
                        models: &g.models,
                        rate_limit_id: &g.rate_limit_id,
                        limits: g
                            .limits
                            .iter()
                            .map(|l| WorkspaceLimitJson {
                                kind: &l.kind,
                                value: Value(l.value),
                                org_limit: Value(l.org_limit),
                                effective: Value(l.effective()),
                                source: l.source,
                                status: l.status(),
                                stricter_than_org: l.status().is_stricter(),
                            })
                            .collect(),
                    })
                    .collect(),
            })?,
        };
        writeln!(out, "{text}")?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Floors (--min).

/// `MATCH:LIMITER=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Floor {
    pub raw: String,
    pub matcher: String,
    pub limiter: String,
    pub min: f64,
}

impl Floor {
    pub fn parse(s: &str) -> Result<Floor, UsageError> {
        let bad = |why: &str| {
            UsageError(format!(
                "--min '{s}': {why}; write MATCH:LIMITER=VALUE, e.g. claude-sonnet-4-5:requests_per_minute=1000"
            ))
        };
        let (lhs, value) = s.rsplit_once('=').ok_or_else(|| bad("no '='"))?;
        let (matcher, limiter) = lhs.rsplit_once(':').ok_or_else(|| bad("no ':'"))?;
        let (matcher, limiter) = (matcher.trim(), limiter.trim());
        if matcher.is_empty() {
            return Err(bad("nothing before ':' (a model, group id or group name)"));
        }
        if limiter.is_empty()
            || !limiter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad(
                "the limiter type is empty or has characters other than a-z, 0-9, _",
            ));
        }
        let digits: String = value
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != ',')
            .collect();
        let min: f64 = digits
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad("the value is not a non-negative number"))?;
        Ok(Floor {
            raw: s.to_string(),
            matcher: matcher.to_string(),
            limiter: limiter.to_string(),
            min,
        })
    }

    fn matches(&self, id: &str, g: &LockGroup) -> bool {
        id == self.matcher
            || g.display_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&self.matcher))
            || g.models.as_ref().is_some_and(|m| m.contains(&self.matcher))
    }
}

/// One floor checked against one group (or against nothing, when nothing matched).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FloorResult {
    /// The --min argument as given.
    pub floor: String,
    pub limiter: String,
    #[serde(serialize_with = "num::one")]
    pub min: f64,
    /// The group it was checked against; null when nothing matched.
    pub group_id: Option<String>,
    pub display_name: Option<String>,
    /// The live value (null: no such limiter, or no limit).
    pub value: Value,
    pub ok: bool,
    /// Why it failed, for people.
    pub reason: Option<String>,
}

fn check_floors(floors: &[Floor], live: &Snapshot) -> Vec<FloorResult> {
    let mut out = Vec::new();
    for f in floors {
        let mut matched = false;
        for (id, g) in live.iter().filter(|(id, g)| f.matches(id, g)) {
            matched = true;
            let (value, ok, reason) = match g.limits.get(&f.limiter) {
                None => (
                    Value(None),
                    false,
                    Some(format!("the group has no {} limiter", f.limiter)),
                ),
                // No limit of this type: nothing to fall below.
                Some(Value(None)) => (Value(None), true, None),
                Some(Value(Some(v))) if *v < f.min => (
                    Value(Some(*v)),
                    false,
                    Some(format!(
                        "{} is below the floor {}",
                        num::display(Some(*v)),
                        num::display(Some(f.min))
                    )),
                ),
                Some(v) => (*v, true, None),
            };
            out.push(FloorResult {
                floor: f.raw.clone(),
                limiter: f.limiter.clone(),
                min: f.min,
                group_id: Some(id.clone()),
                display_name: g.display_name.clone(),
                value,
                ok,
                reason,
            });
        }
        if !matched {
            out.push(FloorResult {
                floor: f.raw.clone(),
                limiter: f.limiter.clone(),
                min: f.min,
                group_id: None,
                display_name: None,
                value: Value(None),
                ok: false,
                reason: Some(format!(
                    "no live group matches '{}' (a model, group id or display name)",
                    f.matcher
                )),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Drift (--check).

/// Which way a limit moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Up,
    Down,
    Added,
    Removed,
}

impl ChangeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Up => "up",
            ChangeKind::Down => "down",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
    /// Lower or gone: more likely to cause 429s.
    pub(crate) fn is_worse(self) -> bool {
        matches!(self, ChangeKind::Down | ChangeKind::Removed)
    }
}

/// One limiter that differs from the lock.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub group_id: String,
    pub display_name: Option<String>,
    pub group_type: String,
    pub limiter: String,
    /// The locked value (null when added, or when it was "no limit").
    pub old: Value,
    /// The live value (null when removed, or when it is "no limit").
    pub new: Value,
    pub change: ChangeKind,
}

impl Change {
    pub(crate) fn group_label(&self) -> String {
        label(&self.group_id, &self.display_name)
    }

    /// `4,000 -> 2,000 (down)`, `added (50)`, `removed (was 7)`.
    fn describe(&self) -> String {
        let (o, n) = (
            old_new(self.change, self.old, true),
            old_new(self.change, self.new, false),
        );
        match self.change {
            ChangeKind::Added => format!("added ({n})"),
            ChangeKind::Removed => format!("removed (was {o})"),
            k => format!("{o} -> {n} ({})", k.as_str()),
        }
    }
}

pub(crate) fn label(id: &str, name: &Option<String>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

/// What --check found.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CheckReport {
    /// The lock file compared with.
    pub lock: String,
    /// When the lock was taken.
    pub lock_taken_at: String,
    /// The filters used (from the flags or the lock).
    pub filters: Filters,
    /// True when anything changed or a floor failed (exit 1).
    pub drift: bool,
    /// Limiters that differ, sorted by group id then limiter.
    pub changes: Vec<Change>,
    /// One row per --min floor and matching group.
    pub floors: Vec<FloorResult>,
    /// Differences that are not drift (model lists, display names).
    pub notes: Vec<String>,
    /// Limiters compared.
    pub compared: usize,
}

fn ordered(v: Option<f64>) -> f64 {
    // "No limit" sorts above every limit.
    v.unwrap_or(f64::INFINITY)
}

fn diff(old: &Snapshot, new: &Snapshot) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let empty = BTreeMap::new();
    let ids: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for id in ids {
        let (o, n) = (old.get(id), new.get(id));
        let meta = n.or(o).expect("the id came from one of them");
        let ol = o.map_or(&empty, |g| &g.limits);
        let nl = n.map_or(&empty, |g| &g.limits);
        let kinds: std::collections::BTreeSet<&String> = ol.keys().chain(nl.keys()).collect();
        for k in kinds {
            let change = match (ol.get(k), nl.get(k)) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(a), Some(b)) if a.0 == b.0 => continue,
                (Some(a), Some(b)) if ordered(b.0) > ordered(a.0) => ChangeKind::Up,
                (Some(_), Some(_)) => ChangeKind::Down,
                (None, None) => continue,
            };
            changes.push(Change {
                group_id: id.clone(),
                display_name: meta.display_name.clone(),
                group_type: meta.group_type.clone(),
                limiter: k.clone(),
                old: ol.get(k).copied().unwrap_or(Value(None)),
                new: nl.get(k).copied().unwrap_or(Value(None)),
                change,
            });
        }
        if let (Some(o), Some(n)) = (o, n) {
            let name = label(id, &n.display_name);
            if o.display_name != n.display_name {
                notes.push(format!(
                    "{name}: display name was {}",
                    o.display_name.as_deref().unwrap_or("(none)")
                ));
            }
            if o.group_type != n.group_type {
                notes.push(format!("{name}: group type was {}", o.group_type));
            }
            let om = o.models.clone().unwrap_or_default();
            let nm = n.models.clone().unwrap_or_default();
            let added: Vec<_> = nm.iter().filter(|m| !om.contains(m)).cloned().collect();
            let gone: Vec<_> = om.iter().filter(|m| !nm.contains(m)).cloned().collect();
            if !added.is_empty() {
                notes.push(format!("{name}: models added: {}", added.join(", ")));
            }
            if !gone.is_empty() {
                notes.push(format!(
                    "{name}: models no longer listed: {}",
                    gone.join(", ")
                ));
            }
        }
    }
    (changes, notes)
}

impl CheckReport {
    fn new(path: &Path, lock: &Lock, live: &Snapshot, floors: &[Floor]) -> CheckReport {
        let (changes, notes) = diff(&lock.groups, live);
        let floors = check_floors(floors, live);
        let drift = !changes.is_empty() || floors.iter().any(|f| !f.ok);
        CheckReport {
            lock: path.display().to_string(),
            lock_taken_at: lock.taken_at.clone(),
            filters: lock.filters.clone(),
            drift,
            changes,
            floors,
            notes,
            compared: live.values().map(|g| g.limits.len()).sum(),
        }
    }

    pub(crate) fn failed_floors(&self) -> impl Iterator<Item = &FloorResult> {
        self.floors.iter().filter(|f| !f.ok)
    }
}

/// A value in the diff: `-` for the missing side of an added/removed limiter, `no limit` for
/// a present limiter without a value.
pub(crate) fn old_new(kind: ChangeKind, v: Value, is_old: bool) -> String {
    match (kind, is_old) {
        (ChangeKind::Added, true) | (ChangeKind::Removed, false) => "-".into(),
        _ => match v.0 {
            None => "no limit".into(),
            x => num::display(x),
        },
    }
}

// ---------------------------------------------------------------------------------------
// GitHub Actions.

mod github {
    use std::io::Write;

    use super::{CheckReport, old_new};

    /// Escapes the message of a workflow command (`%`, CR, LF), as @actions/core does.
    fn escape_data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// Escapes a property value (also `:` and `,`).
    fn escape_prop(s: &str) -> String {
        escape_data(s).replace(':', "%3A").replace(',', "%2C")
    }

    fn escape_md(s: &str) -> String {
        s.replace('|', "\\|").replace(['\n', '\r'], " ")
    }

    /// The annotation lines: `::error` for a lower or removed limit and a failed floor,
    /// `::warning` for a higher or added one.
    pub fn annotations(r: &CheckReport) -> Vec<String> {
        let mut lines = Vec::new();
        for c in &r.changes {
            let level = if c.change.is_worse() {
                "error"
            } else {
                "warning"
            };
            lines.push(format!(
                "::{level} title={}::{}",
                escape_prop("claude-429 limits drift"),
                escape_data(&format!(
                    "{} {}: {} since {}",
                    c.group_label(),
                    c.limiter,
                    c.describe(),
                    r.lock
                ))
            ));
        }
        for f in r.failed_floors() {
            lines.push(format!(
                "::error title={}::{}",
                escape_prop("claude-429 limits floor"),
                escape_data(&format!(
                    "--min {}: {}",
                    f.floor,
                    f.reason.as_deref().unwrap_or("failed")
                ))
            ));
        }
        lines
    }

    /// The markdown appended to $GITHUB_STEP_SUMMARY.
    pub fn summary(r: &CheckReport) -> String {
        let mut md = String::new();
        if !r.drift {
            md.push_str(&format!(
                "### claude-429 limits: no drift\n\n{} limits match `{}` (taken {}).\n\n",
                r.compared,
                escape_md(&r.lock),
                r.lock_taken_at
            ));
            return md;
        }
        md.push_str(&format!(
            "### claude-429 limits: drift against `{}`\n\nLock taken {}.\n\n",
            escape_md(&r.lock),
            r.lock_taken_at
        ));
        if !r.changes.is_empty() {
            md.push_str("| group | limiter | old | new | change |\n|---|---|--:|--:|---|\n");
            for c in &r.changes {
                md.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    escape_md(&c.group_label()),
                    escape_md(&c.limiter),
                    old_new(c.change, c.old, true),
                    old_new(c.change, c.new, false),
                    if c.change.is_worse() {
                        format!("**{}**", c.change.as_str())
                    } else {
                        c.change.as_str().to_string()
                    }
                ));
            }
            md.push('\n');
        }
        let failed: Vec<_> = r.failed_floors().collect();
        if !failed.is_empty() {
            md.push_str("| floor (`--min`) | result |\n|---|---|\n");
            for f in failed {
                md.push_str(&format!(
                    "| `{}` | {} |\n",
                    escape_md(&f.floor),
                    escape_md(f.reason.as_deref().unwrap_or("failed"))
                ));
            }
            md.push('\n');
        }
        md
    }

    /// Prints the annotations (on stdout, where the runner reads them; on stderr with --json so
    /// stdout stays one JSON document) and appends the summary when $GITHUB_STEP_SUMMARY is set.
    pub fn emit(r: &CheckReport, json: bool) -> anyhow::Result<()> {
        for line in annotations(r) {
            if json {
                crate::errln!("{line}");
            } else {
                let _ = writeln!(crate::output::stdout(), "{line}");
            }
        }
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| {
                    crate::exit::UsageError(format!(
                        "cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
                        std::path::Path::new(&path).display()
                    ))
                })?;
            f.write_all(summary(r).as_bytes())?;
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn escapes_workflow_commands() {
            assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
            assert_eq!(escape_prop("a:b,c"), "a%3Ab%2Cc");
        }
    }
}

// ---------------------------------------------------------------------------------------
// JSON Schemas (`schema/`), generated from the types above by `claude-429 generate`.

/// The schemas of `limits --json` (org-wide, or with --workspace), `limits --check --json` and
/// the lock file `limits --save` writes.
pub fn json_schemas() -> Vec<(&'static str, schemars::Schema)> {
    /// `claude-429 limits --json`: the org's limits, or with --workspace the workspace's
    /// effective limits beside the org's.
    #[derive(schemars::JsonSchema)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum LimitsJson<'a> {
        Org(OrgJson<'a>),
        Workspace(WorkspaceJson<'a>),
    }
    vec![
        ("limits", schemars::schema_for!(LimitsJson<'static>)),
        ("limits-check", schemars::schema_for!(CheckReport)),
        ("limits-lock", schemars::schema_for!(Lock)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(limits: &[(&str, Option<f64>)]) -> LockGroup {
        LockGroup {
            group_type: "model_group".into(),
            display_name: Some("Claude Sonnet 4.x".into()),
            models: Some(vec!["claude-sonnet-4-5".into()]),
            limits: limits
                .iter()
                .map(|(k, v)| (k.to_string(), Value(*v)))
                .collect(),
        }
    }

    #[test]
    fn parses_floors() {
        let f = Floor::parse("claude-sonnet-4-5:requests_per_minute=1,000").unwrap();
        assert_eq!(f.matcher, "claude-sonnet-4-5");
        assert_eq!(f.limiter, "requests_per_minute");
        assert_eq!(f.min, 1000.0);
        let f = Floor::parse("Claude Sonnet 4.x:output_tokens_per_minute=400000").unwrap();
        assert_eq!(f.matcher, "Claude Sonnet 4.x");
        for bad in [
            "",
            "x",
            "x=1",
            ":rpm=1",
            "m:=1",
            "m:rpm=",
            "m:rpm=lots",
            "m:rpm=-1",
            "m:r pm=1",
        ] {
            assert!(Floor::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn diffs_up_down_added_removed() {
        let mut old = Snapshot::new();
        old.insert(
            "rlg_S".into(),
            group(&[
                ("a", Some(10.0)),
                ("b", Some(10.0)),
                ("c", Some(1.0)),
                ("d", None),
            ]),
        );
        let mut new = Snapshot::new();
        new.insert(
            "rlg_S".into(),
            group(&[
                ("a", Some(20.0)),
                ("b", Some(5.0)),
                ("e", Some(1.0)),
                ("d", Some(3.0)),
            ]),
        );
        let (changes, notes) = diff(&old, &new);
        let got: Vec<_> = changes
            .iter()
            .map(|c| (c.limiter.as_str(), c.change))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", ChangeKind::Up),
                ("b", ChangeKind::Down),
                ("c", ChangeKind::Removed),
                ("d", ChangeKind::Down),
                ("e", ChangeKind::Added),
            ]
        );
        assert!(notes.is_empty());
        assert!(diff(&old, &old).0.is_empty());
    }

    #[test]
    fn floors_match_model_group_id_or_name() {
        let mut live = Snapshot::new();
        live.insert(
            "rlg_S".into(),
            group(&[("requests_per_minute", Some(500.0))]),
        );
        let f = |s: &str| check_floors(&[Floor::parse(s).unwrap()], &live);
        assert!(!f("claude-sonnet-4-5:requests_per_minute=1000")[0].ok);
        assert!(f("rlg_S:requests_per_minute=500")[0].ok);
        assert!(f("claude sonnet 4.x:requests_per_minute=100")[0].ok);
        let none = f("claude-nope:requests_per_minute=1");
        assert!(!none[0].ok && none[0].group_id.is_none());
        assert!(!f("rlg_S:tokens_per_day=1")[0].ok);
    }

    #[test]
    fn lock_serialises_sorted_with_integers() {
        let mut groups = Snapshot::new();
        groups.insert("rlg_B".into(), group(&[("z", Some(2.0)), ("a", Some(0.5))]));
        groups.insert("rlg_A".into(), group(&[("m", None)]));
        let lock = Lock {
            version: 1,
            taken_at: "2026-01-01T00:00:00Z".into(),
            filters: Filters::default(),
            groups,
        };
        let s = serde_json::to_string(&lock).unwrap();
        assert!(s.find("rlg_A").unwrap() < s.find("rlg_B").unwrap());
        assert!(s.contains(r#""limits":{"a":0.5,"z":2}"#), "{s}");
        assert!(s.contains(r#""m":null"#));
    }
}
