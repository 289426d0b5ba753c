//! Headroom over time: the lowest `anthropic-ratelimit-*-remaining` and the `-limit` the
//! responses carried, per model class and dimension, in time buckets. What the HTML report's
//! headroom charts draw (the limit line and how far the remaining fell towards zero).
//!
//! Bounded: at most [`MAX_SERIES`] (class, dimension) series, each at most [`MAX_POINTS`]
//! buckets. A series starts per minute; when it would hold more buckets, its bucket width
//! grows to the next of [`WIDTHS`] (each a multiple of the one before, so buckets merge
//! exactly) and its buckets are merged. Series past the bound are counted, not kept.

use std::collections::BTreeMap;

use super::event::{Event, model_class};
use crate::ratelimit::DimensionName;

/// (class, dimension) series kept.
pub const MAX_SERIES: usize = 8;
/// Buckets per series.
pub const MAX_POINTS: usize = 720;
/// Bucket widths in minutes, each a multiple of the previous.
pub const WIDTHS: [i64; 12] = [1, 2, 10, 30, 60, 120, 360, 720, 1440, 10080, 40320, 524160];
/// Models whose class is remembered.
const MAX_MODELS: usize = 64;
/// Label of the series of responses that name no model.
pub const NO_MODEL: &str = "model not logged";

/// One bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Start of the bucket, minutes since the Unix epoch (UTC).
    pub minute: i64,
    /// Lowest `-remaining` in the bucket.
    pub min_remaining: u64,
    /// Highest `-limit` in the bucket.
    pub limit: u64,
    /// Responses that carried both headers.
    pub samples: u64,
}

/// The remaining/limit series of one dimension of one model class.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The model class (`Claude Sonnet 4.x`), or [`NO_MODEL`].
    pub class: String,
    pub dimension: DimensionName,
    /// Minutes per bucket.
    pub width: i64,
    /// Buckets with samples, in time order.
    pub points: Vec<Point>,
}

#[derive(Debug, Default)]
struct Acc {
    width_idx: usize,
    buckets: BTreeMap<i64, Point>,
}

/// The streaming collector.
#[derive(Debug, Default)]
pub struct Headroom {
    series: Vec<(String, DimensionName, Acc)>,
    /// Model -> its class, for at most [`MAX_MODELS`] models.
    known: Vec<(String, String)>,
    /// Per model in `known`: its series' index in `series` for each dimension, once found.
    slots: Vec<[Option<usize>; 4]>,
    /// Samples of series past [`MAX_SERIES`].
    pub dropped: u64,
}

impl Headroom {
    /// Takes the rate-limit headers of one timed response.
    pub fn add(&mut self, ev: &Event) {
        let Some(t) = ev.time else { return };
        if ev.dims.iter().all(|(l, r)| l.is_none() || r.is_none()) {
            return;
        }
        let model = ev
            .model
            .as_deref()
            .or_else(|| ev.verdict.as_ref().and_then(|v| v.model.as_deref()));
        // The model's place in the cache (added while there is room): its class, borrowed
        // (no copy per response), and its series, found once per dimension.
        let k = model.and_then(|m| match self.known.iter().position(|(k, _)| k == m) {
            Some(k) => Some(k),
            None if self.known.len() < MAX_MODELS => {
                self.known.push((m.to_string(), model_class(m)));
                self.slots.push([None; 4]);
                Some(self.known.len() - 1)
            }
            None => None,
        });
        let computed;
        let class: &str = match (model, k) {
            (None, _) => NO_MODEL,
            (Some(_), Some(k)) => &self.known[k].1,
            (Some(m), None) => {
                computed = model_class(m);
                &computed
            }
        };
        let minute = t.div_euclid(60_000);
        for (d, (limit, remaining)) in ev.dims.iter().enumerate() {
            let (Some(limit), Some(remaining)) = (*limit, *remaining) else {
                continue;
            };
            let dim = DimensionName::ALL[d];
            let i = match k.and_then(|k| self.slots[k][d]) {
                Some(i) => i,
                None => match self
                    .series
                    .iter()
                    .position(|(c, sd, _)| *sd == dim && c == class)
                {
                    Some(i) => i,
                    None if self.series.len() < MAX_SERIES => {
                        self.series.push((class.to_string(), dim, Acc::default()));
                        self.series.len() - 1
                    }
                    None => {
                        self.dropped += 1;
                        continue;
                    }
                },
            };
            if let Some(k) = k {
                self.slots[k][d] = Some(i);
            }
            self.series[i].2.add(minute, remaining, limit);
        }
    }

    /// The series, in the order first seen (by class, then dimension order).
    pub fn finish(self) -> Vec<Series> {
        let mut out: Vec<Series> = self
            .series
            .into_iter()
            .map(|(class, dimension, acc)| Series {
                class,
                dimension,
                width: WIDTHS[acc.width_idx],
                points: acc.buckets.into_values().collect(),
            })
            .collect();
        let order: Vec<String> = {
            let mut v: Vec<String> = Vec::new();
            for s in &out {
                if !v.contains(&s.class) {
                    v.push(s.class.clone());
                }
            }
            v
        };
        out.sort_by_key(|s| {
            (
                order.iter().position(|c| *c == s.class),
                DimensionName::ALL.iter().position(|d| *d == s.dimension),
            )
        });
        out
    }
}

impl Acc {
    fn add(&mut self, minute: i64, remaining: u64, limit: u64) {
        let w = WIDTHS[self.width_idx];
        let key = minute - minute.rem_euclid(w);
        // Most responses fall in the newest bucket: no search (and nothing to merge).
        if let Some(mut last) = self.buckets.last_entry()
            && *last.key() == key
        {
            merge(last.get_mut(), remaining, limit, 1);
            return;
        }
        let p = self.buckets.entry(key).or_insert(Point {
            minute: key,
            min_remaining: remaining,
            limit,
            samples: 0,
        });
        merge(p, remaining, limit, 1);
        while self.buckets.len() > MAX_POINTS && self.width_idx + 1 < WIDTHS.len() {
            self.width_idx += 1;
            let w = WIDTHS[self.width_idx];
            let old = std::mem::take(&mut self.buckets);
            for (_, p) in old {
                let key = p.minute - p.minute.rem_euclid(w);
                let q = self.buckets.entry(key).or_insert(Point {
                    minute: key,
                    min_remaining: p.min_remaining,
                    limit: p.limit,
                    samples: 0,
                });
                merge(q, p.min_remaining, p.limit, p.samples);
            }
        }
    }
}

fn merge(p: &mut Point, remaining: u64, limit: u64, samples: u64) {
    p.min_remaining = p.min_remaining.min(remaining);
    p.limit = p.limit.max(limit);
    p.samples += samples;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(model: Option<&str>, t_min: i64, req: (u64, u64)) -> Event {
        let mut e = Event {
            model: model.map(str::to_string),
            time: Some(t_min * 60_000 + 5_000),
            ..Default::default()
        };
        e.dims[0] = (Some(req.0), Some(req.1));
        e
    }

    #[test]
    fn keeps_the_lowest_remaining_per_minute() {
        let mut h = Headroom::default();
        h.add(&ev(Some("claude-sonnet-4-5"), 100, (50, 40)));
        h.add(&ev(Some("claude-sonnet-4-5"), 100, (50, 3)));
        h.add(&ev(Some("claude-sonnet-4-5"), 101, (50, 0)));
        h.add(&ev(None, 101, (10, 9)));
        h.add(&Event::default());
        let out = h.finish();
        assert_eq!(out.len(), 2);
        let s = &out[0];
        assert_eq!(s.class, "Claude Sonnet 4.x");
        assert_eq!(s.dimension, DimensionName::Requests);
        assert_eq!(s.width, 1);
        assert_eq!(
            s.points,
            vec![
                Point {
                    minute: 100,
                    min_remaining: 3,
                    limit: 50,
                    samples: 2
                },
                Point {
                    minute: 101,
                    min_remaining: 0,
                    limit: 50,
                    samples: 1
                }
            ]
        );
        assert_eq!(out[1].class, NO_MODEL);
    }

    /// A year of minutes stays within the bound, buckets widen, and no sample is lost.
    #[test]
    fn stays_bounded_and_widens() {
        let mut h = Headroom::default();
        let n = 365 * 1440;
        for m in 0..n {
            h.add(&ev(
                Some("claude-opus-4-1"),
                29_000_000 + m,
                (100, (m % 100) as u64),
            ));
        }
        for i in 0..(MAX_SERIES + 3) {
            h.add(&ev(Some(&format!("model-{i}")), 29_000_000, (1, 1)));
        }
        assert_eq!(h.dropped, 4);
        let out = h.finish();
        assert_eq!(out.len(), MAX_SERIES);
        let s = &out[0];
        assert!(s.points.len() <= MAX_POINTS, "{}", s.points.len());
        assert!(s.width >= 720, "{}", s.width);
        assert_eq!(s.points.iter().map(|p| p.samples).sum::<u64>(), n as u64);
        assert!(s.points.iter().all(|p| p.minute % s.width == 0));
        assert!(
            s.points
                .iter()
                .all(|p| p.min_remaining == 0 && p.limit == 100)
        );
    }

    /// Models of one class share its series, whether their class is cached or (past
    /// [`MAX_MODELS`]) worked out each time, and a full set of series drops only new ones.
    #[test]
    fn models_of_a_class_share_a_series_cached_or_not() {
        let mut h = Headroom::default();
        h.add(&ev(Some("claude-sonnet-4-5"), 100, (50, 40)));
        h.add(&ev(Some("claude-sonnet-4-20250514"), 100, (50, 30)));
        for i in 0..MAX_MODELS + 5 {
            h.add(&ev(Some(&format!("model-{i}")), 100, (1, 1)));
        }
        let dropped = h.dropped;
        assert_eq!(dropped, (MAX_MODELS + 5 - (MAX_SERIES - 1)) as u64);
        // Past the cache's room, and cached: both land in the Sonnet series, none dropped.
        h.add(&ev(Some("claude-sonnet-4-6"), 100, (50, 20)));
        h.add(&ev(Some("claude-sonnet-4-5"), 101, (50, 10)));
        assert_eq!(h.dropped, dropped);
        let out = h.finish();
        assert_eq!(out.len(), MAX_SERIES);
        assert_eq!(out[0].class, "Claude Sonnet 4.x");
        let samples: Vec<(i64, u64, u64)> = out[0]
            .points
            .iter()
            .map(|p| (p.minute, p.min_remaining, p.samples))
            .collect();
        assert_eq!(samples, vec![(100, 20, 3), (101, 10, 1)]);
    }
}
