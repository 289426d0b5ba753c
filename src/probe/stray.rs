//! The stray-key check: the key sees a lower requests limit than the org has configured,
//! so it belongs to another workspace or org (or a workspace override lowers it). The one
//! detector `probe` and `diagnose --live` share.

use super::{StrayKey, group_name};
use crate::api::messages::{Dimension, DimensionName};
use crate::api::rate_limits::{RateLimitGroup, num};

/// The stray-key check: a requests limit below the org's configured requests_per_minute.
pub fn stray_key(
    dims: &[Dimension],
    group: Option<&RateLimitGroup>,
    workspace: Option<&str>,
) -> Option<StrayKey> {
    let req = dims.iter().find(|d| d.name == DimensionName::Requests)?;
    let seen = req.limit?;
    let org = req.org_limit.filter(|_| req.org_limiter.is_some())?;
    if !is_stray(seen, org) {
        return None;
    }
    let group_name = group.map(group_name);
    let ws = workspace
        .map(|w| format!(" The answer came from workspace {w}."))
        .unwrap_or_default();
    Some(StrayKey {
        message: format!(
            "stray key: this key's requests limit ({}/min) is below the org's configured {} \
             requests_per_minute{}. The key belongs to another workspace or org (or a workspace \
             override lowers it): check which ANTHROPIC_API_KEY is in the environment and \
             which workspace it was made in.{ws}",
            num::display(Some(seen as f64)),
            num::display(Some(org)),
            group_name
                .as_deref()
                .map(|g| format!(" for {g}"))
                .unwrap_or_default(),
        ),
        group: group_name,
        header_requests_limit: seen,
        org_requests_per_minute: org,
        workspace_id: workspace.map(str::to_string),
    })
}

pub use crate::ratelimit::is_stray;
