//! The Models API: `GET /v1/models` (all pages), and the rule that picks one model per model
//! class for `probe`. Model names come and go, so the list always comes from the API; nothing
//! here knows a model name.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{ApiError, Client};

/// The Models endpoint.
pub const MODELS_PATH: &str = "/v1/models";

/// Page size asked for (the API allows 1 to 1000; its default is 20).
pub const PAGE_SIZE: u32 = 100;

/// Pages followed at most, so a server that always says `has_more` cannot loop us.
const MAX_PAGES: usize = 50;

/// One entry of `GET /v1/models`, as far as `probe` needs it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `active`, `deprecated` or `retired`.
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// The model line (`haiku`, `sonnet`, `opus`, ...), when the API gives it.
    #[serde(default)]
    pub line: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<ModelInfo>,
    #[serde(default)]
    has_more: Option<bool>,
    #[serde(default)]
    last_id: Option<String>,
}

/// Maps a non-2xx answer to an [`ApiError`]: 401/403 auth, 404 not found, others by status.
pub fn status_error(
    status: u16,
    body: Option<&serde_json::Value>,
    text: &str,
    what: &str,
) -> ApiError {
    super::error::for_status(status, super::messages::error_message(body, text), what, 0)
}

/// The query of the first page.
pub fn first_page_query() -> Vec<(&'static str, String)> {
    vec![("limit", PAGE_SIZE.to_string())]
}

/// `GET /v1/models`, following `after_id = last_id` while `has_more` is true. Newest first,
/// as the API lists them.
pub async fn list(client: &Client) -> Result<Vec<ModelInfo>, ApiError> {
    let url = client.url(MODELS_PATH);
    let mut out = Vec::new();
    let mut seen_cursors = HashSet::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = first_page_query();
        if let Some(a) = &after {
            query.push(("after_id", a.clone()));
        }
        let resp = client
            .request(reqwest::Method::GET, MODELS_PATH)
            .query(&query)
            .send()
            .await
            .map_err(|e| client.transport_error(&url, e))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| client.transport_error(&url, e))?;
        if !(200..300).contains(&status) {
            let body = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
            return Err(status_error(
                status,
                body.as_ref(),
                &String::from_utf8_lossy(&bytes),
                "GET /v1/models",
            ));
        }
        let page: Page = serde_json::from_slice(&bytes).map_err(|e| ApiError::BadBody {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let empty = page.data.is_empty();
        out.extend(page.data);
        match (page.has_more, page.last_id) {
            (Some(true), Some(last)) if !empty && seen_cursors.insert(last.clone()) => {
                after = Some(last);
            }
            _ => return Ok(out),
        }
    }
    Err(ApiError::BadBody {
        url,
        reason: format!("still paging after {MAX_PAGES} pages"),
    })
}

/// A model class: the model line and its major version, e.g. `Claude Sonnet 4.x`, the way the
/// Rate Limits API names its model groups (each has its own limits).
///
/// The line is the API's `line` field when present, else the first word of the id that is not
/// `claude` and not a number (`claude-sonnet-4-5` and `claude-3-5-sonnet-20241022` are both
/// `sonnet`). The major version is the first short number in the id (dates are skipped).
pub fn class_of(m: &ModelInfo) -> String {
    crate::ratelimit::model_class(&m.id, m.line.as_deref())
}

/// One model per class, in the order the classes first appear (the API lists newest first).
/// Within a class the first `active` model wins; a class without one gets its first
/// `deprecated` model; `retired` models are never picked. Returns (class, model id).
pub fn one_per_class(models: &[ModelInfo]) -> Vec<(String, String)> {
    let usable = |m: &ModelInfo| m.lifecycle.as_deref() != Some("retired");
    let active = |m: &ModelInfo| matches!(m.lifecycle.as_deref(), None | Some("active"));
    let mut classes: Vec<String> = Vec::new();
    for m in models.iter().filter(|m| usable(m)) {
        let c = class_of(m);
        if !classes.contains(&c) {
            classes.push(c);
        }
    }
    classes
        .into_iter()
        .filter_map(|c| {
            let in_class = || models.iter().filter(|m| usable(m) && class_of(m) == c);
            let pick = in_class()
                .find(|m| active(m))
                .or_else(|| in_class().next())?;
            Some((c, pick.id.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, lifecycle: &str) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            display_name: None,
            lifecycle: Some(lifecycle.into()),
            line: None,
        }
    }

    #[test]
    fn classes_from_ids() {
        assert_eq!(
            class_of(&m("claude-sonnet-4-5-20250929", "active")),
            "Claude Sonnet 4.x"
        );
        assert_eq!(
            class_of(&m("claude-3-5-sonnet-20241022", "active")),
            "Claude Sonnet 3.x"
        );
        assert_eq!(class_of(&m("claude-opus-4-1", "active")), "Claude Opus 4.x");
        assert_eq!(class_of(&m("claude-2.1", "active")), "Claude 2.x");
        let mut with_line = m("claude-x-9", "active");
        with_line.line = Some("haiku".into());
        assert_eq!(class_of(&with_line), "Claude Haiku 9.x");
    }

    #[test]
    fn picks_newest_active_per_class() {
        let list = vec![
            m("claude-opus-4-6", "active"),
            m("claude-sonnet-4-6", "active"),
            m("claude-sonnet-4-5", "deprecated"),
            m("claude-haiku-4-5", "active"),
            m("claude-3-haiku-20240307", "retired"),
            m("claude-opus-4-1", "active"),
        ];
        assert_eq!(
            one_per_class(&list),
            vec![
                ("Claude Opus 4.x".to_string(), "claude-opus-4-6".to_string()),
                ("Claude Sonnet 4.x".into(), "claude-sonnet-4-6".into()),
                ("Claude Haiku 4.x".into(), "claude-haiku-4-5".into()),
            ]
        );
        let only_deprecated = vec![m("claude-sonnet-4-5", "deprecated")];
        assert_eq!(one_per_class(&only_deprecated)[0].1, "claude-sonnet-4-5");
    }
}
