//! Live headroom as a library: pick the models to probe ([`targets`]), send one minimal
//! request per model within a hard budget ([`budget`]) and never retried ([`session`]), read
//! the headroom per dimension ([`headroom`]) and compare the key's limits with the org's
//! ([`stray`]). `claude-429 probe` and `diagnose --live` call these; the renderers live in the
//! commands and in `report`.
//!
//! Safety, because a probe spends from the very limits it measures:
//! * a hard budget per round (`--max-requests`, `--max-tokens-budget`) checked before every
//!   request, never exceeded;
//! * no retry of any kind: a 429 or 529 is classified with the shared classifier and reported;
//! * requests go out one at a time, [`PROBE_GAP`] apart.

pub mod budget;
pub mod headroom;
pub mod plan;
pub mod session;
pub mod stray;
pub mod targets;

use std::time::Duration;

use serde::Serialize;

use crate::api::messages::{Dimension, DimensionName, Headroom, Usage};
use crate::api::rate_limits::RateLimitGroup;
use crate::classify::Verdict;

pub use session::{Session, State};

/// Pause between two probes: requests go out one at a time, never in a burst.
pub const PROBE_GAP: Duration = Duration::from_millis(250);

/// Tokens a probe is counted as before it is sent. A one-word prompt is about 8 input tokens
/// and `max_tokens` is 1; 20 leaves room for message framing. After the answer, the usage it
/// reports replaces the estimate.
pub const TOKENS_PER_PROBE: u64 = 20;

/// Where the list of models came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModelsFrom {
    /// `--model` on the command line.
    Cli,
    /// `GET /v1/models`, one per class.
    ModelsApi,
    /// The Rate Limits API, one per model group.
    RateLimitsApi,
}

impl ModelsFrom {
    pub fn describe(self) -> &'static str {
        match self {
            ModelsFrom::Cli => "as given with --model",
            ModelsFrom::ModelsApi => "(one per model class, from GET /v1/models)",
            ModelsFrom::RateLimitsApi => "(one per model group, from the Rate Limits API)",
        }
    }
}

/// One model to probe.
#[derive(Debug, Clone)]
pub struct Target {
    pub model: String,
    /// The model class (a Rate Limits API group name, or the class from GET /v1/models).
    pub class: Option<String>,
}

/// What one probe found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Probe {
    /// The model asked for.
    pub model: String,
    /// Its model class, when known.
    pub class: Option<String>,
    /// The model id the API answered with (aliases resolve to a dated id).
    pub answered_model: Option<String>,
    /// When the probe was sent (RFC 3339, UTC).
    pub time: String,
    /// HTTP status (absent when no answer came).
    pub status: Option<u16>,
    /// Milliseconds from sending to the end of the answer.
    pub elapsed_ms: Option<u64>,
    /// `request-id` of the answer.
    pub request_id: Option<String>,
    /// `anthropic-organization-id` of the answer.
    pub organization_id: Option<String>,
    /// `anthropic-workspace-id` of the answer.
    pub workspace_id: Option<String>,
    /// Every rate-limit dimension the headers showed.
    pub dimensions: Vec<Dimension>,
    /// The dimension with the least room left.
    pub tightest: Option<DimensionName>,
    /// The headroom of the tightest dimension.
    pub headroom: Headroom,
    /// Token usage the answer reported.
    pub usage: Option<Usage>,
    /// Tokens this probe counted against --max-tokens-budget.
    pub tokens_counted: u64,
    /// The classified refusal when the API refused the probe (429, 529, spend...).
    pub refused: Option<Verdict>,
    /// Set when the key's requests limit is below the org's configured one.
    pub stray_key: Option<StrayKey>,
    /// The error, when the probe failed for a reason that is not a rate limit.
    pub error: Option<String>,
}

/// The stray-key finding: the key sees a lower requests limit than the org has configured.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct StrayKey {
    /// The model group compared with.
    pub group: Option<String>,
    /// `anthropic-ratelimit-requests-limit` of the probe.
    pub header_requests_limit: u64,
    /// The org's `requests_per_minute` for the group.
    pub org_requests_per_minute: f64,
    /// The workspace the answer came from, when the header said.
    pub workspace_id: Option<String>,
    /// The finding in one sentence.
    pub message: String,
}

/// A model the round did not probe, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Skipped {
    pub model: String,
    pub reason: String,
}

/// What the round spent against its budget.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Budget {
    /// --max-requests for the round.
    pub max_requests: u32,
    /// Probes sent.
    pub requests_sent: u32,
    /// --max-tokens-budget for the round.
    pub max_tokens: u64,
    /// Tokens counted (usage reported, else the per-probe estimate).
    pub tokens_counted: u64,
    /// Why the round stopped before the last model, when it did.
    pub stopped: Option<String>,
}

/// One pass over the models.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Round {
    /// 1-based (always 1 without --watch).
    pub round: u32,
    /// When the round started (RFC 3339, UTC).
    pub started: String,
    pub probes: Vec<Probe>,
    pub skipped: Vec<Skipped>,
    pub budget: Budget,
}

/// A refusal, an exhausted dimension or a stray key anywhere: exit 1.
pub fn found(rounds: &[Round]) -> bool {
    rounds
        .iter()
        .flat_map(|r| &r.probes)
        .any(|p| p.refused.is_some() || p.stray_key.is_some() || p.headroom == Headroom::Exhausted)
}

/// The models in order, trimmed, without blanks or repeats.
pub fn dedupe(models: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in models.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if !out.iter().any(|o| o == m) {
            out.push(m.to_string());
        }
    }
    out
}

/// A group's display name, else its id.
pub fn group_name(g: &RateLimitGroup) -> String {
    g.display_name.clone().unwrap_or_else(|| g.group_id.clone())
}

/// The org's model group holding `model` (or the id the API answered with).
pub fn find_group<'a>(
    groups: &'a [RateLimitGroup],
    model: &str,
    answered: Option<&str>,
) -> Option<&'a RateLimitGroup> {
    let holds = |g: &&RateLimitGroup, m: &str| {
        g.models
            .as_ref()
            .is_some_and(|ms| ms.iter().any(|x| x == m))
    };
    groups
        .iter()
        .find(|g| holds(g, model))
        .or_else(|| answered.and_then(|a| groups.iter().find(|g| holds(g, a))))
}

// ---------------------------------------------------------------------------------------------
// JSON Schema (`schema/probe.schema.json`), generated by `claude-429 generate`.

/// The schema of `probe --json`: one round, or with --watch every round. The two envelopes
/// mirror `One` and `Watch` in the command's `write_json` (they are local there); the test that
/// validates real output against `schema/probe.schema.json` fails when they drift apart.
#[cfg(feature = "generate")]
pub fn json_schema() -> schemars::Schema {
    /// One round (without --watch); the round's fields are inlined.
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct One {
        models_from: ModelsFrom,
        base_url: String,
        #[serde(flatten)]
        round: Round,
        interrupted: bool,
        found: bool,
    }
    /// --watch: every round, at the end.
    #[derive(schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Watch {
        models_from: ModelsFrom,
        base_url: String,
        interval_s: u64,
        rounds: Vec<Round>,
        interrupted: bool,
        stopped: Option<String>,
        found: bool,
    }
    /// `claude-429 probe --json`.
    #[derive(schemars::JsonSchema)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum ProbeJson {
        One(One),
        Watch(Watch),
    }
    schemars::schema_for!(ProbeJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupes_models_in_order() {
        let m = vec!["b".to_string(), " a ".into(), "b".into(), "".into()];
        assert_eq!(dedupe(&m), vec!["b".to_string(), "a".to_string()]);
    }

    #[test]
    fn finds_the_group_by_model_or_answered_id() {
        let g: Vec<RateLimitGroup> = serde_json::from_value(serde_json::json!([
            {"group_id": "rlg_S", "group_type": "model_group", "display_name": "Sonnet",
             "models": ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"], "limits": []}
        ]))
        .unwrap();
        assert!(find_group(&g, "claude-sonnet-4-5", None).is_some());
        assert!(find_group(&g, "alias", Some("claude-sonnet-4-5-20250929")).is_some());
        assert!(find_group(&g, "claude-opus-4-1", None).is_none());
        assert_eq!(group_name(&g[0]), "Sonnet");
    }
}
