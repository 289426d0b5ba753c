//! STAND-IN: replaced by the limits branch at merge
//!
//! A minimal client for the Rate Limits API (Admin API), with exactly the interface the
//! limits branch provides, so `probe` can be built and tested against it in the meantime.

use serde::{Deserialize, Serialize};

use super::{ApiError, Client};

/// One limiter of a group: `{"type": "requests_per_minute", "value": 4000}`. The type is an
/// open string; unknown ones are kept as they come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limiter {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Option<f64>,
}

/// One rate-limit group of the org (a model class, the batch queue, files...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitGroup {
    pub group_id: String,
    pub group_type: String,
    pub display_name: Option<String>,
    pub models: Option<Vec<String>>,
    pub limits: Vec<Limiter>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Entry>,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    group: Group,
    #[serde(default)]
    models: Option<Vec<String>>,
    #[serde(default)]
    limits: Vec<Limiter>,
}

#[derive(Deserialize)]
struct Group {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    display_name: Option<String>,
}

/// Pages followed at most, so a server that keeps answering with a cursor cannot loop us.
const MAX_PAGES: usize = 100;

/// GET /v1/organizations/rate_limits, following next_page to the end.
pub async fn list_org(
    client: &Client,
    group_type: Option<&str>,
    model: Option<&str>,
) -> Result<Vec<RateLimitGroup>, ApiError> {
    let path = "/v1/organizations/rate_limits";
    let url = client.url(path);
    let mut out = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(g) = group_type {
            query.push(("group_type", g));
        }
        if let Some(m) = model {
            query.push(("model", m));
        }
        if let Some(p) = page.as_deref() {
            query.push(("page", p));
        }
        let resp = client
            .request(reqwest::Method::GET, path)
            .query(&query)
            .send()
            .await
            .map_err(|e| client.transport_error(&url, e))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| client.transport_error(&url, e))?;
        if !(200..300).contains(&status) {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(match status {
                401 | 403 => ApiError::Auth { status, message },
                404 => ApiError::NotFound {
                    what: format!("{path}: {message}"),
                },
                _ => ApiError::Status {
                    status,
                    message,
                    retries: 0,
                },
            });
        }
        let p: Page = serde_json::from_slice(&body).map_err(|e| ApiError::BadBody {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        out.extend(p.data.into_iter().map(|e| RateLimitGroup {
            group_id: e.group.id,
            group_type: e.group.kind,
            display_name: e.group.display_name,
            models: e.models,
            limits: e.limits,
        }));
        match p.next_page.filter(|c| !c.is_empty()) {
            Some(next) => page = Some(next),
            None => return Ok(out),
        }
    }
    Err(ApiError::BadBody {
        url,
        reason: format!("still paging after {MAX_PAGES} pages"),
    })
}
