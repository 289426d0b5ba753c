//! The read-only routes: the models list, the Admin API's rate limits (organization and
//! workspace) and its usage report, `api_keys` and `workspaces` (`mock::usage`).

use serde_json::{Value, json};

use super::{Answer, Answered, Shared, group_of};
use crate::mock::scenario::Limits;

/// The usage report, `api_keys` and `workspaces` routes (`mock::usage`).
pub(super) fn admin_usage(shared: &Shared, path: &str, query: &str, rid: &str) -> Answer {
    use crate::mock::usage;
    let s = &shared.scenario;
    let ws = s.workspace.as_ref().map(|w| w.id.as_str());
    let book = shared.usage.lock().unwrap_or_else(|e| e.into_inner());
    let reply = match path {
        "/v1/organizations/api_keys" => usage::api_keys(&book, &s.usage, ws, query),
        "/v1/organizations/workspaces" => usage::workspaces(&s.usage, ws, query),
        _ => usage::report(&book, query, shared.wall(shared.now())),
    };
    match reply {
        Ok(v) => Answer::json(200, v, Answered::Ok),
        Err((status, kind, msg)) => Answer::error(status, kind, &msg, rid, Answered::BadRequest),
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn model_info(id: &str) -> Value {
    json!({
        "type": "model",
        "id": id,
        "display_name": id,
        "created_at": "2025-01-01T00:00:00Z",
        "lifecycle": "active",
    })
}

pub(super) fn models(shared: &Shared, query: &str) -> Answer {
    let all: Vec<&str> = shared
        .scenario
        .groups
        .iter()
        .flat_map(|g| g.models.iter().map(String::as_str))
        .collect();
    let limit = query_param(query, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 1000);
    let start = query_param(query, "after_id")
        .and_then(|a| all.iter().position(|m| *m == a).map(|i| i + 1))
        .unwrap_or(0)
        .min(all.len());
    let page = &all[start..(start + limit).min(all.len())];
    Answer::json(
        200,
        json!({
            "data": page.iter().map(|m| model_info(m)).collect::<Vec<_>>(),
            "has_more": start + page.len() < all.len(),
            "first_id": page.first(),
            "last_id": page.last(),
        }),
        Answered::Ok,
    )
}

pub(super) fn model_one(shared: &Shared, id: &str, rid: &str) -> Answer {
    if shared
        .scenario
        .groups
        .iter()
        .any(|g| g.models.iter().any(|m| m == id))
    {
        Answer::json(200, model_info(id), Answered::Ok)
    } else {
        Answer::error(
            404,
            "not_found_error",
            &format!("model: {id}"),
            rid,
            Answered::NotFound,
        )
    }
}

fn limiter_entries(l: &Limits) -> Vec<(&'static str, u64)> {
    [
        ("requests_per_minute", l.requests_per_minute),
        (
            "input_tokens_per_minute_cache_aware",
            l.input_tokens_per_minute,
        ),
        ("output_tokens_per_minute", l.output_tokens_per_minute),
        ("tokens_per_day", l.tokens_per_day),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}

/// A page of `items` by the `limit` / `page` query (the cursor is the next index).
fn paged(items: Vec<Value>, query: &str) -> Value {
    let start = query_param(query, "page")
        .and_then(|p| p.strip_prefix("page_"))
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        .min(items.len());
    let limit = query_param(query, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(items.len().max(1), |l| l.clamp(1, 1000));
    let end = (start + limit).min(items.len());
    let next = (end < items.len()).then(|| format!("page_{end}"));
    json!({"data": items[start..end].to_vec(), "next_page": next})
}

fn group_type_ok(query: &str) -> bool {
    query_param(query, "group_type").is_none_or(|g| g == "model_group")
}

pub(super) fn org_limits(shared: &Shared, query: &str, rid: &str) -> Answer {
    let s = &shared.scenario;
    let mut groups: Vec<usize> = (0..s.groups.len()).collect();
    if let Some(m) = query_param(query, "model") {
        match group_of(s, m).filter(|&i| s.groups[i].models.iter().any(|x| x == m)) {
            Some(i) => groups = vec![i],
            None => {
                return Answer::error(
                    404,
                    "not_found_error",
                    &format!("model: {m}"),
                    rid,
                    Answered::NotFound,
                );
            }
        }
    }
    if !group_type_ok(query) {
        groups.clear();
    }
    let items = groups
        .into_iter()
        .map(|i| {
            let g = &s.groups[i];
            json!({
                "id": format!("rl_mock_{}", g.id.trim_start_matches("rlg_")),
                "type": "rate_limit",
                "group": {"id": g.id, "type": "model_group", "display_name": g.display_name},
                "models": g.models,
                "limits": limiter_entries(&g.limits).into_iter()
                    .map(|(k, v)| json!({"type": k, "value": v})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Answer::json(200, paged(items, query), Answered::Ok)
}

pub(super) fn workspace_limits(shared: &Shared, id: &str, query: &str, rid: &str) -> Answer {
    let s = &shared.scenario;
    let Some(w) = s.workspace.as_ref().filter(|w| w.id == id) else {
        if s.usage.workspaces.iter().any(|w| w.id == id) {
            // A workspace the `[usage]` table declares: it has no overrides.
            return Answer::json(200, paged(Vec::new(), query), Answered::Ok);
        }
        return Answer::error(
            404,
            "not_found_error",
            &format!("workspace {id} not found"),
            rid,
            Answered::NotFound,
        );
    };
    let inherited = query_param(query, "include_inherited") == Some("true");
    let mut items = Vec::new();
    if group_type_ok(query) {
        for g in &s.groups {
            let over = w.overrides.iter().find(|o| o.group == g.id);
            let org = limiter_entries(&g.limits);
            let mut limits = Vec::new();
            if let Some(o) = over {
                for (k, v) in limiter_entries(&o.limits) {
                    let org_limit = org.iter().find(|(ok, _)| *ok == k).map(|(_, v)| *v);
                    limits.push(json!({"type": k, "value": v, "org_limit": org_limit, "source": {"type": "workspace"}}));
                }
            }
            if inherited {
                let own: Vec<&str> = over.map_or(Vec::new(), |o| {
                    limiter_entries(&o.limits)
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect()
                });
                for (k, v) in org.iter().filter(|(k, _)| !own.contains(k)) {
                    limits.push(json!({"type": k, "value": v, "org_limit": v, "source": {"type": "organization"}}));
                }
            }
            if limits.is_empty() {
                continue;
            }
            items.push(json!({
                "type": "workspace_rate_limit",
                "workspace_id": w.id,
                "rate_limit_id": format!("rl_mock_{}", g.id.trim_start_matches("rlg_")),
                "group": {"id": g.id, "type": "model_group", "display_name": g.display_name},
                "models": g.models,
                "limits": limits,
            }));
        }
    }
    Answer::json(200, paged(items, query), Answered::Ok)
}
