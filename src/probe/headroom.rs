//! Headroom maths on top of the parsed `anthropic-ratelimit-*` dimensions: the org's
//! configured value beside each dimension, and when an exhausted model may be probed again.

use chrono::{DateTime, Utc};

use super::Probe;
use crate::api::messages::{Dimension, Headroom};
use crate::api::rate_limits::RateLimitGroup;

/// Puts the group's configured limit (the first of the dimension's org limiters it has)
/// beside each dimension.
pub fn annotate_org_limits(dims: &mut [Dimension], g: &RateLimitGroup) {
    for d in dims {
        for limiter in d.name.org_limiters() {
            if let Some(v) = g
                .limits
                .iter()
                .find(|l| l.kind == *limiter)
                .and_then(|l| l.value)
            {
                d.org_limit = Some(v);
                d.org_limiter = Some((*limiter).to_string());
                break;
            }
        }
    }
}

/// When a model with an exhausted dimension may be probed again (the latest of the exhausted
/// dimensions' resets; a minute when a reset is missing).
pub fn exhausted_until(p: &Probe) -> Option<DateTime<Utc>> {
    let ex: Vec<&Dimension> = p
        .dimensions
        .iter()
        .filter(|d| d.headroom == Headroom::Exhausted)
        .collect();
    if ex.is_empty() {
        return None;
    }
    let fallback = Utc::now() + chrono::Duration::seconds(60);
    ex.iter().map(|d| d.reset_time().unwrap_or(fallback)).max()
}
