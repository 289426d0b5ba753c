//! The lock file: a sorted snapshot of limits by group id, written by `limits --save` and
//! read by `limits --check`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Filters, Live};
use crate::api::rate_limits::num;
use crate::exit::UsageError;

/// The lock file format this version reads and writes.
pub const LOCK_VERSION: u32 = 1;

/// A number in the lock: whole numbers as JSON integers; `null` for "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Value(pub Option<f64>);

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        num::opt(&self.0, s)
    }
}

/// One group in the lock (and in the live snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct LockGroup {
    pub group_type: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Sorted; informational (a model list change is a note, not drift).
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// Limiter type → value (with a workspace: the effective value).
    pub limits: BTreeMap<String, Value>,
}

/// Group id → group: the stable keys, sorted.
pub type Snapshot = BTreeMap<String, LockGroup>;

/// The lock file written by --save and read by --check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Lock {
    /// Format version (1).
    pub version: u32,
    /// When the limits were read (RFC 3339, UTC).
    pub taken_at: String,
    /// The filters the limits were read with.
    #[serde(default)]
    pub filters: Filters,
    /// Group id (stable across orgs) → limits.
    pub groups: Snapshot,
}

impl Lock {
    /// Reads and checks a lock file; every failure is a usage error (exit 2).
    pub fn read(path: &Path) -> Result<Lock, UsageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read lock file {}: {e}", path.display())))?;
        let lock: Lock = serde_json::from_str(&text).map_err(|e| {
            UsageError(format!(
                "{} is not a claude-429 lock file ({e}); write one with --save",
                path.display()
            ))
        })?;
        if lock.version != LOCK_VERSION {
            return Err(UsageError(format!(
                "{} has lock version {}; this claude-429 reads version {LOCK_VERSION}",
                path.display(),
                lock.version
            )));
        }
        Ok(lock)
    }

    /// Pretty JSON, one limiter per line, with a final newline; written through
    /// [`crate::fsutil::write_atomic`], so a failed run never leaves half a lock.
    pub fn write(&self, path: &Path) -> Result<(), UsageError> {
        let mut text = serde_json::to_string_pretty(self).expect("the lock serialises");
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes())
            .map_err(|e| UsageError(format!("cannot write lock file {}: {e}", path.display())))
    }
}

impl Live {
    /// The listing as a lock snapshot (with a workspace: the effective values).
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::new();
        let mut add = |id: &str,
                       kind: &str,
                       name: &Option<String>,
                       models: &Option<Vec<String>>,
                       limits: Vec<(String, Option<f64>)>| {
            let g = snap.entry(id.to_string()).or_insert_with(|| LockGroup {
                group_type: kind.to_string(),
                display_name: name.clone(),
                models: models.clone().map(|mut m| {
                    m.sort();
                    m.dedup();
                    m
                }),
                limits: BTreeMap::new(),
            });
            for (k, v) in limits {
                g.limits.insert(k, Value(v));
            }
        };
        match self {
            Live::Org(groups) => {
                for g in groups {
                    add(
                        &g.group_id,
                        &g.group_type,
                        &g.display_name,
                        &g.models,
                        g.limits.iter().map(|l| (l.kind.clone(), l.value)).collect(),
                    );
                }
            }
            Live::Workspace { groups, .. } => {
                for g in groups {
                    add(
                        &g.group_id,
                        &g.group_type,
                        &g.display_name,
                        &g.models,
                        g.limits
                            .iter()
                            .map(|l| (l.kind.clone(), l.effective()))
                            .collect(),
                    );
                }
            }
        }
        snap
    }
}

#[cfg(test)]
pub(crate) fn test_group(limits: &[(&str, Option<f64>)]) -> LockGroup {
    LockGroup {
        group_type: "model_group".into(),
        display_name: Some("Claude Sonnet 4.x".into()),
        models: Some(vec!["claude-sonnet-4-5".into()]),
        limits: limits
            .iter()
            .map(|(k, v)| (k.to_string(), Value(*v)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::lock::test_group as group;

    #[test]
    fn lock_serialises_sorted_with_integers() {
        let mut groups = Snapshot::new();
        groups.insert("rlg_B".into(), group(&[("z", Some(2.0)), ("a", Some(0.5))]));
        groups.insert("rlg_A".into(), group(&[("m", None)]));
        let lock = Lock {
            version: 1,
            taken_at: "2026-01-01T00:00:00Z".into(),
            filters: Filters::default(),
            groups,
        };
        let s = serde_json::to_string(&lock).unwrap();
        assert!(s.find("rlg_A").unwrap() < s.find("rlg_B").unwrap());
        assert!(s.contains(r#""limits":{"a":0.5,"z":2}"#), "{s}");
        assert!(s.contains(r#""m":null"#));
    }
}
