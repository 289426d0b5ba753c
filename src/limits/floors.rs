//! Floors (`--min MATCH:LIMITER=VALUE`): a live limit must not fall below them.

use serde::Serialize;

use super::lock::{LockGroup, Snapshot, Value};
use crate::api::rate_limits::num;
use crate::exit::UsageError;

/// `MATCH:LIMITER=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Floor {
    pub raw: String,
    pub matcher: String,
    pub limiter: String,
    pub min: f64,
}

impl Floor {
    pub fn parse(s: &str) -> Result<Floor, UsageError> {
        let bad = |why: &str| {
            UsageError(format!(
                "--min '{s}': {why}; write MATCH:LIMITER=VALUE, e.g. claude-sonnet-4-5:requests_per_minute=1000"
            ))
        };
        let (lhs, value) = s.rsplit_once('=').ok_or_else(|| bad("no '='"))?;
        let (matcher, limiter) = lhs.rsplit_once(':').ok_or_else(|| bad("no ':'"))?;
        let (matcher, limiter) = (matcher.trim(), limiter.trim());
        if matcher.is_empty() {
            return Err(bad("nothing before ':' (a model, group id or group name)"));
        }
        if limiter.is_empty()
            || !limiter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad(
                "the limiter type is empty or has characters other than a-z, 0-9, _",
            ));
        }
        let digits: String = value
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != ',')
            .collect();
        let min: f64 = digits
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad("the value is not a non-negative number"))?;
        Ok(Floor {
            raw: s.to_string(),
            matcher: matcher.to_string(),
            limiter: limiter.to_string(),
            min,
        })
    }

    /// The floor names this group (by id, display name or one of its models).
    pub fn matches(&self, id: &str, g: &LockGroup) -> bool {
        id == self.matcher
            || g.display_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&self.matcher))
            || g.models.as_ref().is_some_and(|m| m.contains(&self.matcher))
    }
}

/// One floor checked against one group (or against nothing, when nothing matched).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct FloorResult {
    /// The --min argument as given.
    pub floor: String,
    pub limiter: String,
    #[serde(serialize_with = "num::one")]
    pub min: f64,
    /// The group it was checked against; null when nothing matched.
    pub group_id: Option<String>,
    pub display_name: Option<String>,
    /// The live value (null: no such limiter, or no limit).
    pub value: Value,
    pub ok: bool,
    /// Why it failed, for people.
    pub reason: Option<String>,
}

/// Checks each floor against every group it names; a floor naming nothing fails.
pub fn check_floors(floors: &[Floor], live: &Snapshot) -> Vec<FloorResult> {
    let mut out = Vec::new();
    for f in floors {
        let mut matched = false;
        for (id, g) in live.iter().filter(|(id, g)| f.matches(id, g)) {
            matched = true;
            let (value, ok, reason) = match g.limits.get(&f.limiter) {
                None => (
                    Value(None),
                    false,
                    Some(format!("the group has no {} limiter", f.limiter)),
                ),
                // No limit of this type: nothing to fall below.
                Some(Value(None)) => (Value(None), true, None),
                Some(Value(Some(v))) if *v < f.min => (
                    Value(Some(*v)),
                    false,
                    Some(format!(
                        "{} is below the floor {}",
                        num::display(Some(*v)),
                        num::display(Some(f.min))
                    )),
                ),
                Some(v) => (*v, true, None),
            };
            out.push(FloorResult {
                floor: f.raw.clone(),
                limiter: f.limiter.clone(),
                min: f.min,
                group_id: Some(id.clone()),
                display_name: g.display_name.clone(),
                value,
                ok,
                reason,
            });
        }
        if !matched {
            out.push(FloorResult {
                floor: f.raw.clone(),
                limiter: f.limiter.clone(),
                min: f.min,
                group_id: None,
                display_name: None,
                value: Value(None),
                ok: false,
                reason: Some(format!(
                    "no live group matches '{}' (a model, group id or display name)",
                    f.matcher
                )),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::lock::test_group as group;

    #[test]
    fn parses_floors() {
        let f = Floor::parse("claude-sonnet-4-5:requests_per_minute=1,000").unwrap();
        assert_eq!(f.matcher, "claude-sonnet-4-5");
        assert_eq!(f.limiter, "requests_per_minute");
        assert_eq!(f.min, 1000.0);
        let f = Floor::parse("Claude Sonnet 4.x:output_tokens_per_minute=400000").unwrap();
        assert_eq!(f.matcher, "Claude Sonnet 4.x");
        for bad in [
            "",
            "x",
            "x=1",
            ":rpm=1",
            "m:=1",
            "m:rpm=",
            "m:rpm=lots",
            "m:rpm=-1",
            "m:r pm=1",
        ] {
            assert!(Floor::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn floors_match_model_group_id_or_name() {
        let mut live = Snapshot::new();
        live.insert(
            "rlg_S".into(),
            group(&[("requests_per_minute", Some(500.0))]),
        );
        let f = |s: &str| check_floors(&[Floor::parse(s).unwrap()], &live);
        assert!(!f("claude-sonnet-4-5:requests_per_minute=1000")[0].ok);
        assert!(f("rlg_S:requests_per_minute=500")[0].ok);
        assert!(f("claude sonnet 4.x:requests_per_minute=100")[0].ok);
        let none = f("claude-nope:requests_per_minute=1");
        assert!(!none[0].ok && none[0].group_id.is_none());
        assert!(!f("rlg_S:tokens_per_day=1")[0].ok);
    }
}
