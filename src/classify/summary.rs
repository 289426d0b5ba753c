//! Counts over a run's verdicts: what `replay --json` prints as `summary` and `diagnose`
//! builds on. Here, beside the verdicts it counts, so the analysis does not reach up into
//! `report` for it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Class, Confidence, Verdict};

/// Counts over all verdicts of a run (the `summary` object of `replay --json`).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Summary {
    /// Exchanges read, successes included.
    pub captures: u64,
    /// Failures classified (after `--only`).
    pub failures: u64,
    /// Failures per class.
    pub by_class: BTreeMap<Class, u64>,
    /// Failures per confidence.
    pub by_confidence: BTreeMap<Confidence, u64>,
    /// Failures per provider (anthropic, bedrock, vertex, unknown).
    pub by_provider: BTreeMap<super::Provider, u64>,
    /// Chunks of input that could not be parsed.
    pub skipped: u64,
    /// Files read.
    pub files: u64,
    /// Failures left out by `--only` (their class was not asked for).
    pub filtered_out: u64,
    /// Per class, the distinct short fixes its failures carry, with counts (for the table;
    /// not in the JSON: each verdict carries its own fix there).
    #[serde(skip)]
    #[cfg_attr(feature = "generate", schemars(skip))]
    pub class_fixes: BTreeMap<Class, Vec<(&'static str, u64)>>,
}

impl Summary {
    pub fn add(&mut self, v: &Verdict) {
        self.failures += 1;
        *self.by_class.entry(v.class).or_default() += 1;
        *self.by_confidence.entry(v.confidence).or_default() += 1;
        *self.by_provider.entry(v.provider).or_default() += 1;
        let fixes = self.class_fixes.entry(v.class).or_default();
        match fixes.iter_mut().find(|(s, _)| *s == v.fix.short) {
            Some(f) => f.1 += 1,
            None => fixes.push((v.fix.short, 1)),
        }
    }

    /// The short fix for a class's row: the one its failures carry, or the most frequent of
    /// several with how many others there are.
    pub fn class_fix(&self, class: Class) -> (&'static str, usize) {
        let fixes = self.class_fixes.get(&class).map_or(&[][..], Vec::as_slice);
        let best = fixes
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| a.1.cmp(&b.1).then(j.cmp(i)))
            .map(|(_, f)| f.0);
        (
            best.unwrap_or(crate::fixes::for_class(class).short),
            fixes.len().saturating_sub(1),
        )
    }

    /// Any failure that is a rate limit in the broad sense (exit status 1).
    pub fn found_rate_limits(&self) -> bool {
        self.by_class.keys().any(|c| c.is_rate_limit())
    }
}
