//! The `anthropic-ratelimit-*-limit` values the logs' responses carried, per model class:
//! what `diagnose --live` compares with the configured limits. Bounded: at most
//! [`MAX_CLASSES`] classes, [`MAX_VALUES`] distinct values per dimension, [`MAX_IDS`] models
//! and workspace ids per class; whatever is past a bound is counted, not kept.

use std::collections::BTreeMap;

use serde::Serialize;

use super::event::{Event, model_class};
use crate::ratelimit::DimensionName;

pub const MAX_CLASSES: usize = 16;
pub const MAX_VALUES: usize = 4;
pub const MAX_IDS: usize = 4;
/// Models whose class is remembered.
pub const MAX_MODELS: usize = 64;

/// One limit value seen for one dimension of one class.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct SeenValue {
    /// The `anthropic-ratelimit-{dimension}-limit` value.
    pub limit: u64,
    /// Responses that carried it.
    pub count: u64,
    /// First and last response carrying it (RFC 3339), when timed.
    pub first: Option<String>,
    pub last: Option<String>,
    #[serde(skip)]
    first_ms: Option<i64>,
    #[serde(skip)]
    last_ms: Option<i64>,
}

/// What the logs said about one model class.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct SeenClass {
    /// The model class (`claude sonnet 4.x`).
    pub class: String,
    /// Models of the class seen with limit headers (the first few).
    pub models: Vec<String>,
    /// `anthropic-workspace-id` values those responses carried (the first few).
    pub workspace_ids: Vec<String>,
    /// Dimension (`requests`, `input_tokens`, `output_tokens`, `tokens`) → values seen,
    /// lowest first.
    pub limits: BTreeMap<&'static str, Vec<SeenValue>>,
    /// Responses whose values were past [`MAX_VALUES`] and only counted.
    pub values_dropped: u64,
    /// `limits` while the scan runs, by dimension index (no map lookup per response);
    /// moved into `limits` by [`Seen::finish`].
    #[serde(skip)]
    by_dim: [Vec<SeenValue>; 4],
}

impl SeenClass {
    /// The values seen for one dimension, lowest first.
    pub fn values(&self, d: DimensionName) -> &[SeenValue] {
        self.limits.get(d.as_str()).map_or(&[], Vec::as_slice)
    }
}

/// The streaming collector.
#[derive(Debug, Default)]
pub struct Seen {
    classes: Vec<SeenClass>,
    /// Model → index in `classes`, so the class is worked out once per model, not per event
    /// (at most [`MAX_MODELS`] entries).
    known: Vec<(String, usize)>,
    /// Responses of classes past [`MAX_CLASSES`].
    pub classes_dropped: u64,
}

/// [`Event::dims`] order (the shared vocabulary's).
const DIMS: [DimensionName; 4] = DimensionName::ALL;

impl Seen {
    pub fn add(&mut self, ev: &Event) {
        if ev.dims.iter().all(|(l, _)| l.is_none()) {
            return;
        }
        let model = ev
            .model
            .as_deref()
            .or_else(|| ev.verdict.as_ref().and_then(|v| v.model.as_deref()));
        let Some(model) = model else { return };
        let i = match self.known.iter().find(|(m, _)| m == model) {
            Some((_, i)) => *i,
            None => match self.class_index(model) {
                Some(i) => i,
                None => return,
            },
        };
        let c = &mut self.classes[i];
        if c.models.len() < MAX_IDS && !c.models.iter().any(|m| m == model) {
            c.models.push(model.to_string());
        }
        if let Some(w) = &ev.workspace_id
            && c.workspace_ids.len() < MAX_IDS
            && !c.workspace_ids.contains(w)
        {
            c.workspace_ids.push(w.clone());
        }
        for (d, (limit, _)) in ev.dims.iter().enumerate() {
            let Some(limit) = *limit else { continue };
            let vals = &mut c.by_dim[d];
            let v = match vals.iter().position(|v| v.limit == limit) {
                Some(p) => &mut vals[p],
                None if vals.len() < MAX_VALUES => {
                    vals.push(SeenValue {
                        limit,
                        count: 0,
                        first: None,
                        last: None,
                        first_ms: None,
                        last_ms: None,
                    });
                    vals.sort_by_key(|v| v.limit);
                    let p = vals.iter().position(|v| v.limit == limit).unwrap_or(0);
                    &mut vals[p]
                }
                None => {
                    c.values_dropped += 1;
                    continue;
                }
            };
            v.count += 1;
            if let Some(t) = ev.time {
                v.first_ms = Some(v.first_ms.map_or(t, |f| f.min(t)));
                v.last_ms = Some(v.last_ms.map_or(t, |l| l.max(t)));
            }
        }
    }

    /// The class of a model not seen before: found or added (`None` past [`MAX_CLASSES`],
    /// counted in `classes_dropped`), and remembered while there is room.
    fn class_index(&mut self, model: &str) -> Option<usize> {
        let class = model_class(model);
        let i = match self.classes.iter().position(|c| c.class == class) {
            Some(i) => i,
            None if self.classes.len() < MAX_CLASSES => {
                self.classes.push(SeenClass {
                    class,
                    ..Default::default()
                });
                self.classes.len() - 1
            }
            None => {
                self.classes_dropped += 1;
                return None;
            }
        };
        if self.known.len() < MAX_MODELS {
            self.known.push((model.to_string(), i));
        }
        Some(i)
    }

    /// The classes in the order first seen, times as RFC 3339.
    pub fn finish(self) -> Vec<SeenClass> {
        let mut out = self.classes;
        for c in &mut out {
            for (d, mut vals) in DIMS.iter().zip(std::mem::take(&mut c.by_dim)) {
                if vals.is_empty() {
                    continue;
                }
                for v in &mut vals {
                    v.first = v.first_ms.map(super::rfc3339);
                    v.last = v.last_ms.map(super::rfc3339);
                }
                c.limits.insert(d.as_str(), vals);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(model: &str, req: u64, t: i64) -> Event {
        let mut e = Event {
            model: Some(model.into()),
            time: Some(t),
            workspace_id: Some("wrkspc_1".into()),
            ..Default::default()
        };
        e.dims[0] = (Some(req), Some(0));
        e
    }

    #[test]
    fn keeps_distinct_limits_per_class_lowest_first() {
        let mut s = Seen::default();
        s.add(&ev("claude-sonnet-4-5", 4000, 1_000));
        s.add(&ev("claude-sonnet-4-5-20250929", 50, 2_000));
        s.add(&ev("claude-sonnet-4-5", 50, 3_000));
        s.add(&Event::default());
        let out = s.finish();
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.class, "Claude Sonnet 4.x");
        assert_eq!(c.models.len(), 2);
        assert_eq!(c.workspace_ids, vec!["wrkspc_1".to_string()]);
        let v = c.values(DimensionName::Requests);
        assert_eq!((v[0].limit, v[0].count), (50, 2));
        assert_eq!(v[1].limit, 4000);
        assert!(v[0].first.is_some());
    }

    #[test]
    fn stays_bounded() {
        let mut s = Seen::default();
        for i in 0..(MAX_VALUES as u64 + 3) {
            s.add(&ev("claude-opus-4-1", 10 + i, 0));
        }
        for i in 0..(MAX_CLASSES + 2) {
            s.add(&ev(&format!("model-{i}"), 1, 0));
        }
        let out = s.finish();
        assert_eq!(out.len(), MAX_CLASSES);
        assert_eq!(out[0].values(DimensionName::Requests).len(), MAX_VALUES);
        assert_eq!(out[0].values_dropped, 3);
    }
}
