//! `claude-429 limits`: the org's (or a workspace's) configured rate limits through the Rate
//! Limits API, as a table or JSON; `--save` writes a lock file and `--check` compares with
//! one, exiting 1 on drift or when a limit fell below a `--min` floor.

use std::io::Write;

use anyhow::Result;

use crate::api::{ApiError, Client, client::RetryPolicy};
use crate::cli::LimitsArgs;
use crate::exit::Outcome;
use crate::report::Style;

// The domain lives in `crate::limits`.
use crate::limits::{
    CheckReport, Filters, Floor, KEY_VAR, LOCK_VERSION, Lock, check_workspace_id, fetch,
};

pub fn run(a: &LimitsArgs, style: &Style) -> Result<Outcome> {
    let result = run_unannotated(a, style);
    // Under GitHub Actions a failing `--check` says so in an annotation and the step summary,
    // whatever the cause (drift and floors annotate themselves in `run_unannotated`).
    if let (Err(e), Some(path)) = (&result, &a.check)
        && crate::report::github::active()
        && !crate::exit::is_broken_pipe(e)
    {
        let lock_involved = e.chain().any(|c| c.downcast_ref::<LockError>().is_some());
        let file = path.display().to_string();
        crate::report::github::command_failed(
            "limits --check",
            lock_involved.then_some(file.as_str()),
            e,
            a.json,
        );
    }
    result
}

/// Marks an error as being about the lock file (for the annotation's `file=`).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct LockError(crate::exit::UsageError);

fn run_unannotated(a: &LimitsArgs, style: &Style) -> Result<Outcome> {
    // Usage errors first (exit 2), before any key or network.
    let floors = a
        .min
        .iter()
        .map(|s| Floor::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let lock = match &a.check {
        Some(path) => Some(Lock::read(path).map_err(LockError)?),
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

    let config = a.api.client_config()?;
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

    let rt = super::runtime(false)?;
    let spinner = super::Spinner::start(!a.json, "reading the configured limits");
    let live = rt
        .block_on(fetch(&client, &filters, a.page_size, &mut |p| {
            if let Some(s) = &spinner {
                s.set_message(match p {
                    crate::limits::Progress::OrgListed(n) => {
                        format!("read the org's {n} groups; reading the workspace's")
                    }
                    crate::limits::Progress::WorkspaceListed(n) => {
                        format!("read the workspace's {n} groups")
                    }
                });
            }
        }))
        .map_err(|e| admin_key_context(e, looks_admin))?;
    drop(spinner);
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
        if crate::report::github::active() {
            crate::report::github::emit(&report, a.json);
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
