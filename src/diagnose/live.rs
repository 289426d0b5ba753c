//! `diagnose --live`: the configured limits (Rate Limits API) and a probe, compared with what
//! the logs show. The `limits` and `probe` commands are not wired in yet, so this reports that
//! plainly and leaves the exit status alone.

use serde::Serialize;

use super::Diagnosis;

/// The live comparison, or why there is none.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Live {
    /// Whether live data was read.
    pub available: bool,
    /// What happened, in one line.
    pub note: String,
}

/// Compares the diagnosis with the live limits and headroom.
///
/// The hook `diagnose --live` calls: it gets the finished diagnosis (models, limits seen in
/// the headers, causes) and returns what to print. It will read the configured limits through
/// `crate::api` (needs ANTHROPIC_ADMIN_KEY) and probe each model class seen (needs
/// ANTHROPIC_API_KEY) once `limits` and `probe` land.
pub fn compare(_diagnosis: &Diagnosis) -> Live {
    Live {
        available: false,
        note: "not available yet: this version does not read the configured limits or probe \
               live headroom from diagnose; run `claude-429 limits` and `claude-429 probe` \
               alongside this report"
            .to_string(),
    }
}
