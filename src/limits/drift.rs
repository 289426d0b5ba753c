//! Drift: what changed between a lock and the live limits (`limits --check`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::Filters;
use super::floors::{Floor, FloorResult, check_floors};
use super::lock::{Lock, Snapshot, Value};
use crate::api::rate_limits::num;

/// Which way a limit moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Up,
    Down,
    Added,
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Up => "up",
            ChangeKind::Down => "down",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
    /// Lower or gone: more likely to cause 429s.
    pub fn is_worse(self) -> bool {
        matches!(self, ChangeKind::Down | ChangeKind::Removed)
    }
}

/// One limiter that differs from the lock.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Change {
    pub group_id: String,
    pub display_name: Option<String>,
    pub group_type: String,
    pub limiter: String,
    /// The locked value (null when added, or when it was "no limit").
    pub old: Value,
    /// The live value (null when removed, or when it is "no limit").
    pub new: Value,
    pub change: ChangeKind,
}

impl Change {
    pub fn group_label(&self) -> String {
        label(&self.group_id, &self.display_name)
    }

    /// `4,000 -> 2,000 (down)`, `added (50)`, `removed (was 7)`.
    pub fn describe(&self) -> String {
        let (o, n) = (
            old_new(self.change, self.old, true),
            old_new(self.change, self.new, false),
        );
        match self.change {
            ChangeKind::Added => format!("added ({n})"),
            ChangeKind::Removed => format!("removed (was {o})"),
            k => format!("{o} -> {n} ({})", k.as_str()),
        }
    }
}

/// `name (id)`, or the id alone.
pub fn label(id: &str, name: &Option<String>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

/// What --check found.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct CheckReport {
    /// The lock file compared with.
    pub lock: String,
    /// When the lock was taken.
    pub lock_taken_at: String,
    /// The filters used (from the flags or the lock).
    pub filters: Filters,
    /// True when anything changed or a floor failed (exit 1).
    pub drift: bool,
    /// Limiters that differ, sorted by group id then limiter.
    pub changes: Vec<Change>,
    /// One row per --min floor and matching group.
    pub floors: Vec<FloorResult>,
    /// Differences that are not drift (model lists, display names).
    pub notes: Vec<String>,
    /// Limiters compared.
    pub compared: usize,
}

fn ordered(v: Option<f64>) -> f64 {
    // "No limit" sorts above every limit.
    v.unwrap_or(f64::INFINITY)
}

/// The limiters that differ (sorted by group id, limiter) and notes on what is not drift.
pub fn diff(old: &Snapshot, new: &Snapshot) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let empty = BTreeMap::new();
    let ids: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for id in ids {
        let (o, n) = (old.get(id), new.get(id));
        let meta = n.or(o).expect("the id came from one of them");
        let ol = o.map_or(&empty, |g| &g.limits);
        let nl = n.map_or(&empty, |g| &g.limits);
        let kinds: std::collections::BTreeSet<&String> = ol.keys().chain(nl.keys()).collect();
        for k in kinds {
            let change = match (ol.get(k), nl.get(k)) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(a), Some(b)) if a.0 == b.0 => continue,
                (Some(a), Some(b)) if ordered(b.0) > ordered(a.0) => ChangeKind::Up,
                (Some(_), Some(_)) => ChangeKind::Down,
                (None, None) => continue,
            };
            changes.push(Change {
                group_id: id.clone(),
                display_name: meta.display_name.clone(),
                group_type: meta.group_type.clone(),
                limiter: k.clone(),
                old: ol.get(k).copied().unwrap_or(Value(None)),
                new: nl.get(k).copied().unwrap_or(Value(None)),
                change,
            });
        }
        if let (Some(o), Some(n)) = (o, n) {
            let name = label(id, &n.display_name);
            if o.display_name != n.display_name {
                notes.push(format!(
                    "{name}: display name was {}",
                    o.display_name.as_deref().unwrap_or("(none)")
                ));
            }
            if o.group_type != n.group_type {
                notes.push(format!("{name}: group type was {}", o.group_type));
            }
            let om = o.models.clone().unwrap_or_default();
            let nm = n.models.clone().unwrap_or_default();
            let added: Vec<_> = nm.iter().filter(|m| !om.contains(m)).cloned().collect();
            let gone: Vec<_> = om.iter().filter(|m| !nm.contains(m)).cloned().collect();
            if !added.is_empty() {
                notes.push(format!("{name}: models added: {}", added.join(", ")));
            }
            if !gone.is_empty() {
                notes.push(format!(
                    "{name}: models no longer listed: {}",
                    gone.join(", ")
                ));
            }
        }
    }
    (changes, notes)
}

impl CheckReport {
    /// Compares the lock with the live snapshot and checks the floors.
    pub fn new(path: &Path, lock: &Lock, live: &Snapshot, floors: &[Floor]) -> CheckReport {
        let (changes, notes) = diff(&lock.groups, live);
        let floors = check_floors(floors, live);
        let drift = !changes.is_empty() || floors.iter().any(|f| !f.ok);
        CheckReport {
            lock: path.display().to_string(),
            lock_taken_at: lock.taken_at.clone(),
            filters: lock.filters.clone(),
            drift,
            changes,
            floors,
            notes,
            compared: live.values().map(|g| g.limits.len()).sum(),
        }
    }

    pub fn failed_floors(&self) -> impl Iterator<Item = &FloorResult> {
        self.floors.iter().filter(|f| !f.ok)
    }
}

/// A value in the diff: `-` for the missing side of an added/removed limiter, `no limit` for
/// a present limiter without a value.
pub fn old_new(kind: ChangeKind, v: Value, is_old: bool) -> String {
    match (kind, is_old) {
        (ChangeKind::Added, true) | (ChangeKind::Removed, false) => "-".into(),
        _ => match v.0 {
            None => "no limit".into(),
            x => num::display(x),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::lock::test_group as group;

    #[test]
    fn diffs_up_down_added_removed() {
        let mut old = Snapshot::new();
        old.insert(
            "rlg_S".into(),
            group(&[
                ("a", Some(10.0)),
                ("b", Some(10.0)),
                ("c", Some(1.0)),
                ("d", None),
            ]),
        );
        let mut new = Snapshot::new();
        new.insert(
            "rlg_S".into(),
            group(&[
                ("a", Some(20.0)),
                ("b", Some(5.0)),
                ("e", Some(1.0)),
                ("d", Some(3.0)),
            ]),
        );
        let (changes, notes) = diff(&old, &new);
        let got: Vec<_> = changes
            .iter()
            .map(|c| (c.limiter.as_str(), c.change))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", ChangeKind::Up),
                ("b", ChangeKind::Down),
                ("c", ChangeKind::Removed),
                ("d", ChangeKind::Down),
                ("e", ChangeKind::Added),
            ]
        );
        assert!(notes.is_empty());
        assert!(diff(&old, &old).0.is_empty());
    }
}
