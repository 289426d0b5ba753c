//! JSON Schemas for every `--json` output, generated from the serialized Rust types with
//! `schemars` and committed under `schema/` (refreshed by `claude-429 generate .`; a test
//! fails when the committed copies are stale, another validates real output against them).
//!
//! `replay --json` is written incrementally (verdicts as they arrive, then the summary), not
//! from one Serialize value; its envelope is described by [`ReplayJson`], whose parts are the
//! types actually serialized.

use schemars::{JsonSchema, Schema};

use crate::classify::Verdict;
use crate::diagnose::Diagnosis;
use crate::report::Summary;

/// `claude-429 replay --json`: every verdict, then the summary.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReplayJson {
    /// One per failure found, in input order.
    pub verdicts: Vec<Verdict>,
    /// Counts by class and confidence, over every verdict.
    pub summary: Summary,
}

/// `claude-429 fixes --json`: every entry of the decision table, or with a CLASS that one entry.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FixesJson {
    /// `fixes CLASS --json`: one entry.
    One(crate::fixes::Fix),
    /// `fixes --json`: every class, in table order.
    All(Vec<crate::fixes::Fix>),
}

/// Where the schemas are written, relative to the repository root.
pub const DIR: &str = "schema";

/// Every schema: (name, schema). The file is `schema/<name>.schema.json`.
pub fn schemas() -> Vec<(&'static str, Schema)> {
    let mut all = vec![
        ("replay", schemars::schema_for!(ReplayJson)),
        ("replay-line", schemars::schema_for!(Verdict)),
        ("diagnose", schemars::schema_for!(Diagnosis)),
    ];
    all.extend(crate::limits::json::json_schemas());
    all.push(("probe", crate::probe::json_schema()));
    all.push(("usage", schemars::schema_for!(crate::usage::Attribution)));
    all.push(("fixes", schemars::schema_for!(FixesJson)));
    all.push(("status", schemars::schema_for!(crate::status::Status)));
    all.push(("mock", schemars::schema_for!(crate::mock::served::Report)));
    all
}

/// The files `generate` writes: (relative path, pretty JSON with a final newline).
pub fn files() -> Vec<(String, Vec<u8>)> {
    schemas()
        .into_iter()
        .map(|(name, schema)| {
            let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
            text.push('\n');
            (format!("{DIR}/{name}.schema.json"), text.into_bytes())
        })
        .collect()
}
