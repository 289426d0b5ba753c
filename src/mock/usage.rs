//! The mock's Admin API for "who used the limit": per-key token use of the traffic it served,
//! answered as `GET /v1/organizations/usage_report/messages` (one-minute, one-hour or one-day
//! buckets, `group_by[]`, `page` cursors), with `GET /v1/organizations/api_keys` and
//! `GET /v1/organizations/workspaces` naming the keys and workspaces the scenario declares:
//!
//! ```toml
//! [[usage.workspace]]
//! id = "wrkspc_mock_batch"
//! name = "batch-jobs"
//!
//! [[usage.key]]
//! contains = "etl"          # a request whose key contains this is this key
//! name = "etl-nightly"
//! workspace = "wrkspc_mock_batch"   # absent: the default workspace (null in the report)
//! ```
//!
//! A key no entry names is listed as `unnamed key N` in the default workspace. Keys are never
//! kept: only a hash to tell them apart and the partial hint the real API also returns
//! (`sk-ant-api03-ab...wxyz`). Bounded: at most [`MAX_KEYS`] keys and [`MAX_ROWS`] rows (the
//! oldest minute is dropped past it).

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

/// Keys told apart at most (more are counted under the last one).
pub const MAX_KEYS: usize = 256;
/// (minute, key, model) rows kept at most.
pub const MAX_ROWS: usize = 200_000;

/// The scenario's `[usage]` table: names for keys and workspaces.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    #[serde(default, rename = "key")]
    pub keys: Vec<NamedKey>,
    #[serde(default, rename = "workspace")]
    pub workspaces: Vec<NamedWorkspace>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedKey {
    /// A request whose key contains this text is this key.
    pub contains: String,
    pub name: String,
    /// `apikey_...` (default: `apikey_mock_<name>`).
    #[serde(default)]
    pub id: Option<String>,
    /// Workspace id; absent: the default workspace.
    #[serde(default)]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedWorkspace {
    pub id: String,
    pub name: String,
}

impl Directory {
    /// Checks the table: every key names something and its workspace is declared.
    pub fn check(&self, extra_workspace: Option<&str>) -> Result<(), String> {
        for k in &self.keys {
            if k.contains.is_empty() || k.name.is_empty() {
                return Err("every [[usage.key]] needs a non-empty contains and name".into());
            }
            if let Some(w) = &k.workspace
                && !self.workspaces.iter().any(|x| &x.id == w)
                && extra_workspace != Some(w.as_str())
            {
                return Err(format!(
                    "usage key {} names workspace {w}, which no [[usage.workspace]] declares",
                    k.name
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Tokens {
    uncached: u64,
    cache_write: u64,
    cache_read: u64,
    output: u64,
}

#[derive(Debug, Clone)]
struct SeenKey {
    id: String,
    name: String,
    workspace: Option<String>,
    hint: Option<String>,
    hash: u64,
}

/// A report row's grouped-by values: key id, workspace id, model.
type Slot = (Option<String>, Option<String>, Option<String>);

/// What the mock served, per minute, key and model.
#[derive(Debug, Default)]
pub struct Book {
    keys: Vec<SeenKey>,
    rows: BTreeMap<(i64, usize, String), Tokens>,
}

fn hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// The real API's kind of hint: the start and the last four characters.
fn hint(key: &str) -> Option<String> {
    let n = key.chars().count();
    if n < 24 {
        return None;
    }
    let pre: String = key.chars().take(16).collect();
    let suf: String = key.chars().skip(n - 4).collect();
    Some(format!("{pre}...{suf}"))
}

fn default_id(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("apikey_mock_{slug}")
}

impl Book {
    fn key_index(&mut self, dir: &Directory, key: &str, default_ws: Option<&str>) -> usize {
        let h = hash(key);
        if let Some(i) = self.keys.iter().position(|k| k.hash == h) {
            return i;
        }
        if self.keys.len() >= MAX_KEYS {
            return self.keys.len() - 1;
        }
        let named = dir.keys.iter().find(|k| key.contains(&k.contains));
        let seen = match named {
            Some(k) => SeenKey {
                id: k.id.clone().unwrap_or_else(|| default_id(&k.name)),
                name: k.name.clone(),
                workspace: k.workspace.clone(),
                hint: hint(key),
                hash: h,
            },
            None => {
                let n = self
                    .keys
                    .iter()
                    .filter(|k| k.name.starts_with("unnamed key"))
                    .count()
                    + 1;
                SeenKey {
                    id: format!("apikey_mock_{h:016x}"),
                    name: format!("unnamed key {n}"),
                    workspace: default_ws.map(str::to_string),
                    hint: hint(key),
                    hash: h,
                }
            }
        };
        self.keys.push(seen);
        self.keys.len() - 1
    }

    /// Books one answered request's tokens at wall-clock time `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        dir: &Directory,
        default_ws: Option<&str>,
        key: &str,
        model: &str,
        at: DateTime<Utc>,
        uncached: u64,
        cache_write: u64,
        cache_read: u64,
        output: u64,
    ) {
        let k = self.key_index(dir, key, default_ws);
        let minute = at.timestamp().div_euclid(60);
        let slot = (minute, k, model.to_string());
        if !self.rows.contains_key(&slot) && self.rows.len() >= MAX_ROWS {
            self.rows.pop_first();
        }
        let t = self.rows.entry(slot).or_default();
        t.uncached = t.uncached.saturating_add(uncached);
        t.cache_write = t.cache_write.saturating_add(cache_write);
        t.cache_read = t.cache_read.saturating_add(cache_read);
        t.output = t.output.saturating_add(output);
    }
}

/// Every value of `name` in a query string (`group_by[]` percent-encoded or not), decoded.
fn params(query: &str, name: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(k, _)| decode(k) == name)
        .map(|(_, v)| decode(v))
        .collect()
}

fn param(query: &str, name: &str) -> Option<String> {
    params(query, name).into_iter().next()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn bad(msg: &str) -> (u16, &'static str, String) {
    (400, "invalid_request_error", msg.to_string())
}

/// An answer: status and body, or an error (status, type, message).
pub type Reply = Result<Value, (u16, &'static str, String)>;

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `GET /v1/organizations/usage_report/messages`.
pub fn report(book: &Book, query: &str, now: DateTime<Utc>) -> Reply {
    let Some(start) = param(query, "starting_at") else {
        return Err(bad("starting_at: Field required"));
    };
    let Some(start) = time(&start) else {
        return Err(bad("starting_at: not an RFC 3339 time"));
    };
    let width = param(query, "bucket_width").unwrap_or_else(|| "1d".into());
    let (secs, default_limit, max_limit) = match width.as_str() {
        "1m" => (60, 60, 1440),
        "1h" => (3600, 24, 168),
        "1d" => (86_400, 7, 31),
        _ => return Err(bad("bucket_width: must be one of 1m, 1h, 1d")),
    };
    let limit = match param(query, "limit") {
        None => default_limit,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=max_limit).contains(&n) => n,
            _ => {
                return Err(bad(&format!(
                    "limit: must be between 1 and {max_limit} for bucket_width {width}"
                )));
            }
        },
    };
    let end = match param(query, "ending_at") {
        Some(e) => match time(&e) {
            Some(t) => Some(t),
            None => return Err(bad("ending_at: not an RFC 3339 time")),
        },
        None => None,
    };
    let group: Vec<String> = params(query, "group_by[]");
    for g in &group {
        if !matches!(
            g.as_str(),
            "api_key_id" | "workspace_id" | "model" | "service_tier" | "context_window"
        ) {
            return Err(bad(&format!("group_by: unknown field {g}")));
        }
    }
    let by = |f: &str| group.iter().any(|g| g == f);
    let first = start.timestamp().div_euclid(secs) * secs;
    let skip = match param(query, "page") {
        None => 0,
        Some(p) => match p.strip_prefix("page_").and_then(|n| n.parse::<i64>().ok()) {
            Some(n) if n >= 0 => n,
            _ => return Err(bad("page: not a cursor this server gave")),
        },
    };
    let stop = end
        .unwrap_or(now + Duration::seconds(secs))
        .timestamp()
        .min(now.timestamp() + secs);
    let mut data = Vec::new();
    let mut t = first + skip * secs;
    let mut n = 0;
    while t < stop && n < limit {
        let lo = t.div_euclid(60);
        let hi = (t + secs).div_euclid(60);
        let mut sums: BTreeMap<Slot, Tokens> = BTreeMap::new();
        for ((_, k, model), tok) in book
            .rows
            .range((lo, 0, String::new())..(hi, 0, String::new()))
        {
            let key = &book.keys[*k];
            let slot = (
                by("api_key_id").then(|| key.id.clone()),
                if by("workspace_id") {
                    key.workspace.clone()
                } else {
                    None
                },
                by("model").then(|| model.clone()),
            );
            let s = sums.entry(slot).or_default();
            s.uncached += tok.uncached;
            s.cache_write += tok.cache_write;
            s.cache_read += tok.cache_read;
            s.output += tok.output;
        }
        let results: Vec<Value> = sums
            .into_iter()
            .map(|((key, ws, model), s)| {
                json!({
                    "uncached_input_tokens": s.uncached,
                    "cache_creation": {
                        "ephemeral_1h_input_tokens": 0,
                        "ephemeral_5m_input_tokens": s.cache_write,
                    },
                    "cache_read_input_tokens": s.cache_read,
                    "output_tokens": s.output,
                    "server_tool_use": {"web_search_requests": 0},
                    "api_key_id": key,
                    "workspace_id": ws,
                    "model": model,
                    "service_tier": by("service_tier").then_some("standard"),
                    "context_window": by("context_window").then_some("0-200k"),
                })
            })
            .collect();
        let from = DateTime::from_timestamp(t, 0).unwrap_or(now);
        data.push(json!({
            "starting_at": rfc(from),
            "ending_at": rfc(from + Duration::seconds(secs)),
            "results": results,
        }));
        t += secs;
        n += 1;
    }
    let more = t < stop;
    Ok(json!({
        "data": data,
        "has_more": more,
        "next_page": more.then(|| format!("page_{}", skip + n)),
    }))
}

/// Workspaces: the declared ones, the scenario's `[workspace]`, and (with
/// `include_default=true`) the default one.
fn all_workspaces(dir: &Directory, scenario_ws: Option<&str>, default: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if default {
        out.push(
            json!({"id": "wrkspc_mock_default", "type": "workspace", "name": "Default Workspace",
            "archived_at": null, "created_at": "2025-01-01T00:00:00Z", "display_color": "#6C5BB9"}),
        );
    }
    for w in &dir.workspaces {
        out.push(
            json!({"id": w.id, "type": "workspace", "name": w.name, "archived_at": null,
            "created_at": "2025-01-01T00:00:00Z", "display_color": "#6C5BB9"}),
        );
    }
    if let Some(id) = scenario_ws
        && !dir.workspaces.iter().any(|w| w.id == id)
    {
        out.push(
            json!({"id": id, "type": "workspace", "name": id, "archived_at": null,
            "created_at": "2025-01-01T00:00:00Z", "display_color": "#6C5BB9"}),
        );
    }
    out
}

/// A page of `items` by `limit` and `after_id` (`{data, has_more, first_id, last_id}`).
fn id_page(items: Vec<Value>, query: &str) -> Reply {
    let limit = match param(query, "limit") {
        None => 20,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(bad("limit: must be between 1 and 1000")),
        },
    };
    let start = match param(query, "after_id") {
        None => 0,
        Some(a) => items
            .iter()
            .position(|v| v["id"] == a.as_str())
            .map_or(items.len(), |i| i + 1),
    };
    let end = (start + limit).min(items.len());
    let page = items[start..end].to_vec();
    Ok(json!({
        "data": page,
        "has_more": end < items.len(),
        "first_id": page.first().map(|v| v["id"].clone()),
        "last_id": page.last().map(|v| v["id"].clone()),
    }))
}

/// `GET /v1/organizations/workspaces`.
pub fn workspaces(dir: &Directory, scenario_ws: Option<&str>, query: &str) -> Reply {
    let default = param(query, "include_default").as_deref() == Some("true");
    id_page(all_workspaces(dir, scenario_ws, default), query)
}

/// `GET /v1/organizations/api_keys`: the scenario's named keys (seen or not) and the unnamed
/// ones seen.
pub fn api_keys(book: &Book, dir: &Directory, scenario_ws: Option<&str>, query: &str) -> Reply {
    let obj = |id: &str, name: &str, ws: Option<&str>, hint: Option<&str>| {
        json!({
            "id": id, "type": "api_key", "name": name, "status": "active",
            "partial_key_hint": hint, "created_at": "2025-01-01T00:00:00Z", "expires_at": null,
            "created_by": null,
            "scope": {"type": "workspace", "workspace_id": ws.unwrap_or("wrkspc_mock_default")},
            "workspace_id": ws,
        })
    };
    let mut items = Vec::new();
    for k in &dir.keys {
        let id = k.id.clone().unwrap_or_else(|| default_id(&k.name));
        let hint = book
            .keys
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.hint.as_deref());
        items.push(obj(&id, &k.name, k.workspace.as_deref(), hint));
    }
    for s in &book.keys {
        if !dir.keys.iter().any(|k| k.name == s.name) {
            items.push(obj(
                &s.id,
                &s.name,
                s.workspace.as_deref(),
                s.hint.as_deref(),
            ));
        }
    }
    let _ = scenario_ws;
    id_page(items, query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        time(s).unwrap()
    }

    #[test]
    fn books_per_minute_and_groups_on_request() {
        let dir: Directory = toml::from_str(
            "[[key]]\ncontains = 'etl'\nname = 'etl-nightly'\nworkspace = 'wrkspc_b'\n[[workspace]]\nid = 'wrkspc_b'\nname = 'batch'",
        )
        .unwrap();
        dir.check(None).unwrap();
        let mut b = Book::default();
        let etl = "sk-ant-api03-etl-0000000000000000-aaaa";
        let app = "sk-ant-api03-app-0000000000000000-bbbb";
        let at = t("2026-11-20T14:02:10Z");
        b.record(&dir, None, etl, "claude-sonnet-4-5", at, 900, 100, 5000, 10);
        b.record(&dir, None, etl, "claude-sonnet-4-5", at, 900, 0, 5000, 10);
        b.record(&dir, None, app, "claude-sonnet-4-5", at, 100, 0, 0, 1);
        let now = t("2026-11-20T14:10:00Z");
        let q = "starting_at=2026-11-20T14%3A01%3A00Z&ending_at=2026-11-20T14:04:00Z&bucket_width=1m&limit=2&group_by%5B%5D=api_key_id&group_by[]=workspace_id";
        let v = report(&b, q, now).unwrap();
        assert_eq!(v["data"].as_array().unwrap().len(), 2);
        assert_eq!(v["has_more"], true);
        let rows = v["data"][1]["results"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        let etl_row = rows
            .iter()
            .find(|r| r["api_key_id"] == "apikey_mock_etl_nightly")
            .unwrap();
        assert_eq!(etl_row["uncached_input_tokens"], 1800);
        assert_eq!(etl_row["cache_creation"]["ephemeral_5m_input_tokens"], 100);
        assert_eq!(etl_row["workspace_id"], "wrkspc_b");
        assert_eq!(etl_row["model"], Value::Null);
        let unnamed = rows.iter().find(|r| r["workspace_id"].is_null()).unwrap();
        assert_eq!(unnamed["uncached_input_tokens"], 100);
        let next = v["next_page"].as_str().unwrap();
        let v2 = report(&b, &format!("{q}&page={next}"), now).unwrap();
        assert_eq!(v2["data"].as_array().unwrap().len(), 1);
        assert_eq!(v2["has_more"], false);
        let keys = api_keys(&b, &dir, None, "limit=1000").unwrap();
        assert_eq!(keys["data"].as_array().unwrap().len(), 2);
        assert!(report(&b, "bucket_width=1m", now).is_err());
        assert!(report(&b, "starting_at=2026-11-20T14:01:00Z&bucket_width=2m", now).is_err());
    }
}
