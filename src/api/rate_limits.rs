//! The Rate Limits API (Admin API): the org's configured limits per group, and a
//! workspace's limits beside the org's.
//!
//! Shapes follow the official SDK (`types/organization/`): group and limiter types are open
//! strings, unknown fields are ignored, and any body that does not decode is
//! [`ApiError::BadBody`].

use serde::{Deserialize, Serialize};

use super::{ApiError, Client};

/// One limiter of a group: its type (an open string, e.g. `requests_per_minute`) and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Limiter {
    #[serde(rename = "type")]
    pub kind: String,
    /// The limit; `None` when the API gives none. Whole numbers serialise as JSON integers.
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
}

/// The org's limits for one group (a model class, batch, files...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct RateLimitGroup {
    /// `group.id`: the same in every organization and stable.
    pub group_id: String,
    /// `group.type` (`model_group`, `batch`...; an open set, unknown ones kept).
    pub group_type: String,
    /// For display only; it may change. `None` for non-model groups.
    pub display_name: Option<String>,
    /// Models (and aliases) in the group; `None` for non-model groups.
    pub models: Option<Vec<String>>,
    pub limits: Vec<Limiter>,
}

/// Where a workspace limiter's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A workspace-level override.
    Workspace,
    /// Inherited from the organization (`value == org_limit`).
    Organization,
    /// A source type this version does not know; treated like an override.
    Other,
}

/// One limiter of a workspace group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct WorkspaceLimiter {
    #[serde(rename = "type")]
    pub kind: String,
    /// The workspace's value (the override, or the inherited org value).
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    /// The org's limit of this type; `None`: the org has no limit of this type.
    #[serde(serialize_with = "num::opt")]
    pub org_limit: Option<f64>,
    pub source: Source,
}

impl WorkspaceLimiter {
    /// What is enforced: the lower of the workspace value and the org limit (`None`: no
    /// limit of this type at all).
    pub fn effective(&self) -> Option<f64> {
        match (self.value, self.org_limit) {
            (Some(v), Some(o)) => Some(v.min(o)),
            (v, o) => v.or(o),
        }
    }

    /// How the workspace value relates to the org limit.
    pub fn status(&self) -> OverrideStatus {
        if self.source == Source::Organization {
            return OverrideStatus::Inherited;
        }
        match (self.value, self.org_limit) {
            (None, _) => OverrideStatus::Inherited,
            (Some(_), None) => OverrideStatus::WorkspaceOnly,
            (Some(v), Some(o)) if v < o => OverrideStatus::BelowOrg,
            (Some(v), Some(o)) if v > o => OverrideStatus::AboveOrgNotEnforced,
            _ => OverrideStatus::SameAsOrg,
        }
    }
}

/// How a workspace limiter relates to the org limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OverrideStatus {
    /// The org's value, inherited.
    Inherited,
    /// An override below the org limit: it can reject requests while the org has room.
    BelowOrg,
    /// A workspace limit of a type the org does not limit: it can reject requests too.
    WorkspaceOnly,
    /// An override equal to the org limit: no effect.
    SameAsOrg,
    /// An override above the org limit: stored, but the org limit is enforced.
    AboveOrgNotEnforced,
}

impl OverrideStatus {
    /// True when the workspace is stricter than the org: the kind of override that explains
    /// 429s the org limits do not.
    pub fn is_stricter(self) -> bool {
        matches!(
            self,
            OverrideStatus::BelowOrg | OverrideStatus::WorkspaceOnly
        )
    }
}

/// A workspace's limits for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct WorkspaceRateLimitGroup {
    pub workspace_id: String,
    /// The org entry this group's limits belong to (per org, not stable).
    pub rate_limit_id: Option<String>,
    pub group_id: String,
    pub group_type: String,
    pub display_name: Option<String>,
    /// Models the workspace can use in this group; `None` for non-model groups.
    pub models: Option<Vec<String>>,
    pub limits: Vec<WorkspaceLimiter>,
}

/// Query parameters for the workspace listing.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceQuery<'a> {
    pub group_type: Option<&'a str>,
    /// Also list the values the workspace inherits from the org (`include_inherited=true`).
    pub include_inherited: bool,
    /// Ask for pages of at most this many entries (default: the server's, which is one page
    /// with everything).
    pub page_size: Option<u32>,
}

/// GET /v1/organizations/rate_limits, following next_page to the end.
pub async fn list_org(
    client: &Client,
    group_type: Option<&str>,
    model: Option<&str>,
) -> Result<Vec<RateLimitGroup>, ApiError> {
    list_org_paged(client, group_type, model, None).await
}

/// [`list_org`] asking for pages of at most `page_size` entries.
pub async fn list_org_paged(
    client: &Client,
    group_type: Option<&str>,
    model: Option<&str>,
    page_size: Option<u32>,
) -> Result<Vec<RateLimitGroup>, ApiError> {
    let mut q: Vec<(&str, String)> = Vec::new();
    if let Some(g) = group_type {
        q.push(("group_type", g.to_string()));
    }
    if let Some(m) = model {
        q.push(("model", m.to_string()));
    }
    if let Some(n) = page_size {
        q.push(("limit", n.to_string()));
    }
    let what = match model {
        Some(m) => format!("model '{m}' (unknown, or no rate limits for it in this org)"),
        None => "the Rate Limits API endpoint (is the base URL right?)".to_string(),
    };
    let entries: Vec<wire::OrgEntry> = client
        .get_all_pages("/v1/organizations/rate_limits", &q, &what)
        .await?;
    Ok(entries.into_iter().map(RateLimitGroup::from).collect())
}

/// GET /v1/organizations/workspaces/{id}/rate_limits, following next_page to the end.
pub async fn list_workspace(
    client: &Client,
    workspace_id: &str,
    query: &WorkspaceQuery<'_>,
) -> Result<Vec<WorkspaceRateLimitGroup>, ApiError> {
    let id = workspace_id.trim();
    if id.is_empty() || id.contains(['/', '?', '#', '%']) || id.chars().any(char::is_whitespace) {
        return Err(ApiError::NotFound {
            what: format!("workspace '{workspace_id}' (not a workspace id)"),
        });
    }
    let mut q: Vec<(&str, String)> = Vec::new();
    if let Some(g) = query.group_type {
        q.push(("group_type", g.to_string()));
    }
    if query.include_inherited {
        q.push(("include_inherited", "true".to_string()));
    }
    if let Some(n) = query.page_size {
        q.push(("limit", n.to_string()));
    }
    let path = format!("/v1/organizations/workspaces/{id}/rate_limits");
    let entries: Vec<wire::WorkspaceEntry> = client
        .get_all_pages(&path, &q, &format!("workspace '{id}'"))
        .await?;
    Ok(entries.into_iter().map(|e| e.into_group(id)).collect())
}

/// The documented wire shapes; unknown fields are ignored.
mod wire {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    pub struct Group {
        pub id: String,
        #[serde(rename = "type")]
        pub kind: String,
        #[serde(default)]
        pub display_name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct OrgEntry {
        pub group: Group,
        #[serde(default)]
        pub models: Option<Vec<String>>,
        pub limits: Vec<super::Limiter>,
    }

    #[derive(Debug, Deserialize)]
    pub struct SourceObj {
        #[serde(rename = "type")]
        pub kind: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct WorkspaceValue {
        #[serde(rename = "type")]
        pub kind: String,
        #[serde(default)]
        pub value: Option<f64>,
        #[serde(default)]
        pub org_limit: Option<f64>,
        #[serde(default)]
        pub source: Option<SourceObj>,
    }

    #[derive(Debug, Deserialize)]
    pub struct WorkspaceEntry {
        #[serde(default)]
        pub workspace_id: Option<String>,
        #[serde(default)]
        pub rate_limit_id: Option<String>,
        pub group: Group,
        #[serde(default)]
        pub models: Option<Vec<String>>,
        pub limits: Vec<WorkspaceValue>,
    }
}

impl From<wire::OrgEntry> for RateLimitGroup {
    fn from(e: wire::OrgEntry) -> Self {
        RateLimitGroup {
            group_id: e.group.id,
            group_type: e.group.kind,
            display_name: e.group.display_name,
            models: e.models,
            limits: e.limits,
        }
    }
}

impl wire::WorkspaceEntry {
    fn into_group(self, asked: &str) -> WorkspaceRateLimitGroup {
        WorkspaceRateLimitGroup {
            workspace_id: self.workspace_id.unwrap_or_else(|| asked.to_string()),
            rate_limit_id: self.rate_limit_id,
            group_id: self.group.id,
            group_type: self.group.kind,
            display_name: self.group.display_name,
            models: self.models,
            limits: self
                .limits
                .into_iter()
                .map(|v| WorkspaceLimiter {
                    kind: v.kind,
                    value: v.value,
                    org_limit: v.org_limit,
                    source: match v.source.as_ref().map(|s| s.kind.as_str()) {
                        Some("organization") => Source::Organization,
                        // No source: the default listing holds overrides only.
                        Some("workspace") | None => Source::Workspace,
                        Some(_) => Source::Other,
                    },
                })
                .collect(),
        }
    }
}

/// Numbers as the API writes them: whole values as JSON integers (4000, not 4000.0).
pub mod num {
    use serde::Serializer;

    /// The largest f64 that is still an exact integer.
    const EXACT: f64 = 9_007_199_254_740_992.0;

    pub fn opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(x) => one(x, s),
        }
    }

    pub fn one<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.fract() == 0.0 && x.abs() <= EXACT {
            s.serialize_i64(*x as i64)
        } else {
            s.serialize_f64(*x)
        }
    }

    /// For people: `4,000,000`, `0.5`, or `-` for none.
    pub fn display(v: Option<f64>) -> String {
        let Some(x) = v else {
            return "-".to_string();
        };
        if !(x.fract() == 0.0 && x.abs() <= EXACT) {
            return x.to_string();
        }
        let out = crate::fmt::thousands(x.abs() as u64);
        if x < 0.0 { format!("-{out}") } else { out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(value: Option<f64>, org: Option<f64>, source: Source) -> WorkspaceLimiter {
        WorkspaceLimiter {
            kind: "requests_per_minute".into(),
            value,
            org_limit: org,
            source,
        }
    }

    #[test]
    fn effective_is_the_lower_of_value_and_org_limit() {
        let w = ws(Some(100.0), Some(4000.0), Source::Workspace);
        assert_eq!(w.effective(), Some(100.0));
        assert_eq!(w.status(), OverrideStatus::BelowOrg);
        let w = ws(Some(9000.0), Some(4000.0), Source::Workspace);
        assert_eq!(w.effective(), Some(4000.0));
        assert_eq!(w.status(), OverrideStatus::AboveOrgNotEnforced);
        let w = ws(Some(50.0), None, Source::Workspace);
        assert_eq!(w.effective(), Some(50.0));
        assert_eq!(w.status(), OverrideStatus::WorkspaceOnly);
        let w = ws(Some(4000.0), Some(4000.0), Source::Organization);
        assert_eq!(w.status(), OverrideStatus::Inherited);
        let w = ws(Some(4000.0), Some(4000.0), Source::Workspace);
        assert_eq!(w.status(), OverrideStatus::SameAsOrg);
        assert_eq!(ws(None, None, Source::Workspace).effective(), None);
    }

    #[test]
    fn decodes_documented_shapes_and_keeps_unknown_types() {
        let e: wire::OrgEntry = serde_json::from_str(
            r#"{"id":"rl_1","type":"rate_limit","extra":1,
                "group":{"id":"rlg_X","type":"hologram_group","new":true},
                "models":null,
                "limits":[{"type":"widgets_per_fortnight","value":7,"unit":"w"}]}"#,
        )
        .unwrap();
        let g = RateLimitGroup::from(e);
        assert_eq!(g.group_type, "hologram_group");
        assert_eq!(g.models, None);
        assert_eq!(g.limits[0].kind, "widgets_per_fortnight");
        assert_eq!(g.limits[0].value, Some(7.0));
        // Whole numbers go back out as integers.
        assert_eq!(
            serde_json::to_string(&g.limits[0]).unwrap(),
            r#"{"type":"widgets_per_fortnight","value":7}"#
        );
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(num::display(Some(2_000_000.0)), "2,000,000");
        assert_eq!(num::display(Some(30.0)), "30");
        assert_eq!(num::display(Some(0.5)), "0.5");
        assert_eq!(num::display(None), "-");
    }
}
