//! The Admin API's usage report and the lists that name what it returns:
//! `GET /v1/organizations/usage_report/messages` (token use per bucket, grouped by key,
//! workspace and model), `GET /v1/organizations/api_keys` and `GET /v1/organizations/workspaces`.
//!
//! Shapes follow the documented reference (see `docs/usage.md`): `cache_creation` is nested,
//! `api_key_id` is null for Console/Workbench use and `workspace_id` null for the default
//! workspace; unknown fields are ignored. Paging is bounded ([`MAX_REPORT_PAGES`],
//! [`MAX_LIST_PAGES`]): the report is read once per run, its pages in one burst, which the
//! documented polling rate (once a minute, sustained) allows.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use super::{ApiError, Client};

/// Pages of one usage report read at most (each holds up to 1,440 one-minute buckets).
pub const MAX_REPORT_PAGES: usize = 20;
/// Pages of the `api_keys` / `workspaces` lists read at most (1,000 entries a page).
pub const MAX_LIST_PAGES: usize = 10;
/// Buckets asked for per page: the documented maximum for `1m` (for `1h`: 168).
pub const MAX_MINUTE_BUCKETS: u32 = 1_440;
pub const MAX_HOUR_BUCKETS: u32 = 168;

/// The report's bucket width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketWidth {
    Minute,
    Hour,
}

impl BucketWidth {
    /// The query value (`1m`, `1h`).
    pub fn as_str(self) -> &'static str {
        match self {
            BucketWidth::Minute => "1m",
            BucketWidth::Hour => "1h",
        }
    }

    /// Minutes in one bucket.
    pub fn minutes(self) -> u64 {
        match self {
            BucketWidth::Minute => 1,
            BucketWidth::Hour => 60,
        }
    }

    fn max_buckets(self) -> u32 {
        match self {
            BucketWidth::Minute => MAX_MINUTE_BUCKETS,
            BucketWidth::Hour => MAX_HOUR_BUCKETS,
        }
    }
}

/// Cache writes, by time to live.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CacheCreation {
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
    #[serde(default)]
    pub ephemeral_5m_input_tokens: u64,
}

/// One row of a bucket: token counts for one combination of the grouped-by fields.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct UsageRow {
    #[serde(default)]
    pub uncached_input_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub cache_creation: CacheCreation,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    /// Null for Console / Workbench use (or when not grouped by key).
    #[serde(default)]
    pub api_key_id: Option<String>,
    /// Null for the default workspace (or when not grouped by workspace).
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub service_tier: Option<String>,
}

impl UsageRow {
    /// Cache writes of both lifetimes.
    pub fn cache_creation_tokens(&self) -> u64 {
        self.cache_creation
            .ephemeral_1h_input_tokens
            .saturating_add(self.cache_creation.ephemeral_5m_input_tokens)
    }
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One time bucket and its rows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UsageBucket {
    pub starting_at: DateTime<Utc>,
    pub ending_at: DateTime<Utc>,
    #[serde(default)]
    pub results: Vec<UsageRow>,
}

#[derive(Debug, Deserialize)]
struct ReportPage {
    data: Vec<UsageBucket>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    next_page: Option<String>,
}

/// What to ask the report for.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub width: BucketWidth,
    /// `group_by[]` values, e.g. `api_key_id`, `workspace_id`, `model`.
    pub group_by: Vec<&'static str>,
}

/// The report as read: buckets in time order (a bucket split over pages is merged), how many
/// requests it took, and whether paging stopped at [`MAX_REPORT_PAGES`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub buckets: Vec<UsageBucket>,
    pub requests: u32,
    pub truncated: bool,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// GET /v1/organizations/usage_report/messages, following `next_page` while `has_more`, at
/// most [`MAX_REPORT_PAGES`] pages.
pub async fn messages_report(client: &Client, q: &ReportQuery) -> Result<Report, ApiError> {
    let path = "/v1/organizations/usage_report/messages";
    let span = (q.until - q.since).num_minutes().max(1) as u64;
    let buckets = span
        .div_ceil(q.width.minutes())
        .clamp(1, u64::from(q.width.max_buckets()));
    let mut base: Vec<(&str, String)> = vec![
        ("starting_at", rfc3339(q.since)),
        ("ending_at", rfc3339(q.until)),
        ("bucket_width", q.width.as_str().to_string()),
        ("limit", buckets.to_string()),
    ];
    for g in &q.group_by {
        base.push(("group_by[]", (*g).to_string()));
    }
    let what = "the usage report (GET /v1/organizations/usage_report/messages)";
    let mut out = Report::default();
    let mut merged: BTreeMap<DateTime<Utc>, UsageBucket> = BTreeMap::new();
    let mut cursor: Option<String> = None;
    let mut seen = HashSet::new();
    loop {
        if out.requests as usize >= MAX_REPORT_PAGES {
            out.truncated = true;
            break;
        }
        let mut query = base.clone();
        if let Some(c) = &cursor {
            query.push(("page", c.clone()));
        }
        let page: ReportPage = client.get_json(path, &query, what).await?;
        out.requests += 1;
        for b in page.data {
            match merged.get_mut(&b.starting_at) {
                Some(have) => have.results.extend(b.results),
                None => {
                    merged.insert(b.starting_at, b);
                }
            }
        }
        match page.next_page.filter(|c| page.has_more && !c.is_empty()) {
            Some(c) if seen.insert(c.clone()) => cursor = Some(c),
            Some(_) => {
                return Err(ApiError::BadBody {
                    url: client.url(path),
                    reason: "next_page repeats an earlier cursor (the report would never end)"
                        .into(),
                });
            }
            None => break,
        }
    }
    out.buckets = merged.into_values().collect();
    Ok(out)
}

/// An API key as the `api_keys` list names it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    /// `sk-ant-api03-R2D...igAA`: enough to recognise a key, never enough to use it.
    #[serde(default)]
    pub partial_key_hint: Option<String>,
    #[serde(default)]
    pub scope: Option<KeyScope>,
    /// Deprecated; null for the default workspace.
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// `{"type": "workspace", "workspace_id": ...}` or `{"type": "organization"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeyScope {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

impl ApiKeyInfo {
    /// True when `key` is this key by its `partial_key_hint` (`prefix...suffix`): the key
    /// starts with the prefix and ends with the suffix, each at least 4 characters. The key is
    /// only compared, never kept or printed.
    pub fn matches(&self, key: &str) -> bool {
        let Some(hint) = self.partial_key_hint.as_deref() else {
            return false;
        };
        let Some((pre, suf)) = hint.split_once("...").or_else(|| hint.split_once('…')) else {
            return false;
        };
        pre.len() >= 4
            && suf.len() >= 4
            && key.len() > pre.len() + suf.len()
            && key.starts_with(pre)
            && key.ends_with(suf)
    }
}

/// A workspace as the `workspaces` list names it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkspaceInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub archived_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdPage<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

async fn list_by_id<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    extra: &[(&str, String)],
    what: &str,
) -> Result<(Vec<T>, u32), ApiError> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    let mut requests = 0u32;
    for _ in 0..MAX_LIST_PAGES {
        let mut q: Vec<(&str, String)> = vec![("limit", "1000".to_string())];
        q.extend(extra.iter().cloned());
        if let Some(a) = &after {
            q.push(("after_id", a.clone()));
        }
        let page: IdPage<T> = client.get_json(path, &q, what).await?;
        requests += 1;
        items.extend(page.data);
        match page.last_id.filter(|l| page.has_more && !l.is_empty()) {
            Some(l) if after.as_deref() != Some(l.as_str()) => after = Some(l),
            _ => break,
        }
    }
    Ok((items, requests))
}

/// GET /v1/organizations/api_keys (every status), at most [`MAX_LIST_PAGES`] pages; with the
/// requests made.
pub async fn api_keys(client: &Client) -> Result<(Vec<ApiKeyInfo>, u32), ApiError> {
    list_by_id(
        client,
        "/v1/organizations/api_keys",
        &[],
        "the API keys list (GET /v1/organizations/api_keys)",
    )
    .await
}

/// GET /v1/organizations/workspaces with the default and archived ones; with the requests
/// made.
pub async fn workspaces(client: &Client) -> Result<(Vec<WorkspaceInfo>, u32), ApiError> {
    list_by_id(
        client,
        "/v1/organizations/workspaces",
        &[
            ("include_default", "true".to_string()),
            ("include_archived", "true".to_string()),
        ],
        "the workspaces list (GET /v1/organizations/workspaces)",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_row_with_nested_cache_creation_and_nulls() {
        let b: UsageBucket = serde_json::from_str(
            r#"{"starting_at":"2026-11-20T14:02:00Z","ending_at":"2026-11-20T14:03:00Z",
                "results":[{"uncached_input_tokens":10,"cache_creation":{"ephemeral_1h_input_tokens":3,"ephemeral_5m_input_tokens":4},
                "cache_read_input_tokens":100,"output_tokens":5,"server_tool_use":{"web_search_requests":0},
                "api_key_id":null,"workspace_id":null,"model":"claude-sonnet-4-5","service_tier":"standard","context_window":"0-200k","new":1},
                {"uncached_input_tokens":1,"cache_creation":null}]}"#,
        )
        .unwrap();
        assert_eq!(b.results.len(), 2);
        assert_eq!(b.results[0].cache_creation_tokens(), 7);
        assert_eq!(b.results[0].api_key_id, None);
        assert_eq!(b.results[1].cache_creation_tokens(), 0);
    }

    #[test]
    fn a_key_is_recognised_by_its_hint_only_when_both_ends_match() {
        let k = ApiKeyInfo {
            id: "apikey_1".into(),
            name: "web".into(),
            status: None,
            partial_key_hint: Some("sk-ant-api03-R2D...igAA".into()),
            scope: None,
            workspace_id: None,
        };
        assert!(k.matches("sk-ant-api03-R2Dxxxxxxxxxxxxxxxxxxxxxxx-igAA"));
        assert!(!k.matches("sk-ant-api03-R2Dxxxxxxxxxxxxxxxxxxxxxxx-igAB"));
        assert!(!k.matches("sk-ant-api03-R2DigAA"));
        let none = ApiKeyInfo {
            partial_key_hint: Some("...".into()),
            ..k
        };
        assert!(!none.matches("sk-ant-api03-R2Dxxxxxxxxxxxxxxxxxxxxxxx-igAA"));
    }
}
