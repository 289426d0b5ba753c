//! `claude-429 limits`: the org's (or a workspace's) configured rate limits through the Rate
//! Limits API, as a table or JSON; `--save` writes a lock file and `--check` compares with
//! one, exiting 1 on drift or when a limit fell below a `--min` floor.

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::api::rate_limits::{self, OverrideStatus, RateLimitGroup};
use crate::api::{ApiError, Client, ClientConfig, client::RetryPolicy};
use crate::cli::LimitsArgs;
use crate::exit::Outcome;
use crate::report::Style;

// The domain lives in `crate::limits`.
use crate::limits::{
    CheckReport, Filters, Floor, KEY_VAR, LOCK_VERSION, Live, Lock, Value, check_workspace_id,
    fetch,
};

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
    let filters = Filters::resolve(
        Filters {
            model: a.model.clone(),
            group_type: a.group_type.clone(),
            workspace: a.workspace.clone(),
        },
        lock.as_ref(),
    )?;
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
        .block_on(fetch(&client, &filters, a.page_size, &mut |_| {}))
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
            crate::report::github::emit(&report, a.json)?;
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

// ---------------------------------------------------------------------------------------
// Rendering the listing.

/// `--json` without a workspace.
#[derive(Serialize)]
struct OrgJson<'a> {
    /// When the limits were read (RFC 3339, UTC).
    taken_at: &'a str,
    /// One entry per group, in the API's order.
    groups: &'a [RateLimitGroup],
}

/// `--json` with --workspace.
#[derive(Serialize)]
struct WorkspaceJson<'a> {
    taken_at: &'a str,
    workspace_id: &'a str,
    groups: Vec<WorkspaceGroupJson<'a>>,
}

#[derive(Serialize)]
struct WorkspaceGroupJson<'a> {
    group_id: &'a str,
    group_type: &'a str,
    display_name: &'a Option<String>,
    models: &'a Option<Vec<String>>,
    rate_limit_id: &'a Option<String>,
    limits: Vec<WorkspaceLimitJson<'a>>,
}

#[derive(Serialize)]
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
