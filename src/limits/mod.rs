//! The org's configured rate limits as a library: fetch them through the Rate Limits API
//! ([`fetch`]), snapshot them into a lock file ([`lock`]), compare two snapshots ([`drift`]) and
//! check floors ([`floors`]). `claude-429 limits` and `diagnose --live` call these; the
//! renderers live in the commands and in `report`.

pub mod drift;
pub mod floors;
pub mod json;
pub mod lock;

use serde::{Deserialize, Serialize};

use crate::api::rate_limits::{self, RateLimitGroup, WorkspaceQuery, WorkspaceRateLimitGroup};
use crate::api::{ApiError, Client};
use crate::exit::UsageError;

pub use drift::{Change, ChangeKind, CheckReport, diff, label, old_new};
pub use floors::{Floor, FloorResult, check_floors};
pub use lock::{LOCK_VERSION, Lock, LockGroup, Snapshot, Value};

/// The environment variable holding the Admin API key.
pub const KEY_VAR: &str = "ANTHROPIC_ADMIN_KEY";

/// Workspace ids go into the URL path: refuse anything that would change the path.
pub fn check_workspace_id(id: &str) -> Result<(), UsageError> {
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
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
    pub fn resolve(flags: Filters, lock: Option<&Lock>) -> Result<Filters, UsageError> {
        let empty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        let flags = Filters {
            model: empty(&flags.model),
            group_type: empty(&flags.group_type),
            workspace: empty(&flags.workspace),
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

    /// The filters as the flags that set them (`--model m --workspace w`).
    pub fn describe(&self) -> String {
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
#[derive(Debug, Clone)]
pub enum Live {
    /// The org's limits, per group, in the API's order.
    Org(Vec<RateLimitGroup>),
    /// A workspace's limits (with the org's beside each value).
    Workspace {
        id: String,
        groups: Vec<WorkspaceRateLimitGroup>,
    },
}

/// Progress of a [`fetch`], for a caller that shows it live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The org listing came back with this many groups.
    OrgListed(usize),
    /// The workspace listing came back with this many groups.
    WorkspaceListed(usize),
}

/// Reads the configured limits the filters ask for: the org's, or with a workspace that
/// workspace's (inherited values included). `on_progress` is called after each listing.
pub async fn fetch(
    client: &Client,
    f: &Filters,
    page_size: Option<u32>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Live, ApiError> {
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
    if let Some(o) = &org {
        on_progress(Progress::OrgListed(o.len()));
    }
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
    on_progress(Progress::WorkspaceListed(groups.len()));
    if let Some(org) = org {
        groups.retain(|g| org.iter().any(|o| o.group_id == g.group_id));
    }
    Ok(Live::Workspace {
        id: ws.clone(),
        groups,
    })
}
