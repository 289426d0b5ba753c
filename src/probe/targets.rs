//! Which models a probe round covers: the ones named, else one per org model group (Rate
//! Limits API), else one per model class (GET /v1/models).

use anyhow::{Context, Result};

use super::{ModelsFrom, Target, find_group, group_name};
use crate::api::rate_limits::{self, RateLimitGroup};
use crate::api::{ApiError, Client, models};
use crate::exit::UsageError;

/// The org's model groups and their configured limits (needs an Admin key).
pub async fn read_org(admin: &Client) -> Result<Vec<RateLimitGroup>, ApiError> {
    rate_limits::list_org(admin, Some("model_group"), None).await
}

/// The models to probe and where the list came from. No model at all is a usage error.
pub async fn pick(
    client: &Client,
    org: Option<&[RateLimitGroup]>,
    models: &[String],
) -> Result<(Vec<Target>, ModelsFrom)> {
    let (targets, from) = if !models.is_empty() {
        let targets = models
            .iter()
            .map(|m| Target {
                model: m.clone(),
                class: org.and_then(|g| find_group(g, m, None)).map(group_name),
            })
            .collect();
        (targets, ModelsFrom::Cli)
    } else if let Some(groups) = org {
        (from_groups(groups), ModelsFrom::RateLimitsApi)
    } else {
        let list = models::list(client)
            .await
            .context("listing models (GET /v1/models)")?;
        let targets = models::one_per_class(&list)
            .into_iter()
            .map(|(class, model)| Target {
                model,
                class: Some(class),
            })
            .collect();
        (targets, ModelsFrom::ModelsApi)
    };
    if targets.is_empty() {
        return Err(UsageError(format!(
            "no models to probe: the {} listed none; name them with --model MODEL",
            match from {
                ModelsFrom::RateLimitsApi => "Rate Limits API",
                _ => "Models API",
            }
        ))
        .into());
    }
    Ok((targets, from))
}

/// One model per org model group: the first model it lists.
pub fn from_groups(groups: &[RateLimitGroup]) -> Vec<Target> {
    groups
        .iter()
        .filter(|g| g.group_type == "model_group")
        .filter_map(|g| {
            let first = g.models.as_ref()?.iter().find(|m| !m.trim().is_empty())?;
            Some(Target {
                model: first.clone(),
                class: Some(group_name(g)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_per_model_group() {
        let groups: Vec<RateLimitGroup> = serde_json::from_value(serde_json::json!([
            {"group_id": "rlg_S", "group_type": "model_group", "display_name": "Sonnet",
             "models": [" ", "claude-sonnet-4-5"], "limits": []},
            {"group_id": "rlg_B", "group_type": "batch", "display_name": null, "models": null, "limits": []},
            {"group_id": "rlg_E", "group_type": "model_group", "display_name": null, "models": [], "limits": []}
        ]))
        .unwrap();
        let t = from_groups(&groups);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].model, "claude-sonnet-4-5");
        assert_eq!(t[0].class.as_deref(), Some("Sonnet"));
    }
}
