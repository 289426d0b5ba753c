//! The timeline behind `diagnose`, in bounded memory whatever the span of the input.
//!
//! The most recent [`FULL_MINUTES`] minutes (relative to the latest timestamp read) are kept
//! minute by minute. Older minutes are folded into hour buckets, and hours more than
//! [`HOUR_SPAN`] minutes older than that into day buckets; at most [`MAX_DAYS`] days are kept
//! (older ones are dropped and counted). Folds happen at whole hours and days (UTC), so a
//! coarse bucket always holds its whole width. A log shorter than [`FULL_MINUTES`] is never
//! folded: its timeline is exactly per minute.
//!
//! Ramps need minute detail before an onset: when a minute that starts a run of refusals is
//! folded, the ten minutes before it and the onset itself are kept aside (for the first
//! [`KEEP_ONSETS`] onsets only), so a ramp early in a long log is still found.

use std::collections::{BTreeMap, VecDeque};

use super::Bucket;
use crate::classify::Class;

/// Minutes kept at full detail (3 days), counting back from the latest minute read.
pub const FULL_MINUTES: i64 = 3 * 1440;
/// Minutes kept as hours before the full-detail window (60 days); older ones become days.
pub const HOUR_SPAN: i64 = 60 * 1440;
/// Most day buckets kept (about 10 years); older days are dropped and counted.
pub const MAX_DAYS: usize = 3660;
/// Ramp onsets in folded minutes whose minute detail is kept.
pub const KEEP_ONSETS: usize = 3;
/// Minutes of history kept before such an onset (the ramp finding looks at ten).
const ONSET_HISTORY: i64 = 10;

/// The timeline: day buckets, then hour buckets, then minutes (disjoint, in time order).
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    minutes: BTreeMap<i64, Bucket>,
    hours: BTreeMap<i64, Bucket>,
    days: BTreeMap<i64, Bucket>,
    /// Minutes before this are in `hours` or `days` (a multiple of 60).
    minute_cut: Option<i64>,
    /// Minutes before this are in `days` (a multiple of 1440).
    hour_cut: Option<i64>,
    latest: Option<i64>,
    /// The last minutes folded, for onset checks across the cut.
    recent_folded: VecDeque<(i64, Bucket)>,
    /// Minute detail around the first onsets that were folded.
    kept: BTreeMap<i64, Bucket>,
    kept_onsets: Vec<i64>,
    /// Exchanges in day buckets dropped beyond [`MAX_DAYS`].
    pub dropped_requests: u64,
}

impl Timeline {
    /// The bucket for `minute`, created if needed (`None` when its day was dropped).
    pub fn bucket(&mut self, minute: i64) -> Option<&mut Bucket> {
        if self.latest.is_none_or(|l| minute > l) {
            self.latest = Some(minute);
            self.fold();
        }
        if self.minute_cut.is_none_or(|c| minute >= c) {
            return Some(self.minutes.entry(minute).or_default());
        }
        if self.hour_cut.is_none_or(|c| minute >= c) {
            return Some(
                self.hours
                    .entry(minute - minute.rem_euclid(60))
                    .or_default(),
            );
        }
        let day = minute - minute.rem_euclid(1440);
        if self.days.len() >= MAX_DAYS && !self.days.contains_key(&day) {
            let first = self.days.first_key_value().map(|(k, _)| *k);
            if first.is_some_and(|f| f < day) {
                if let Some((_, b)) = self.days.pop_first() {
                    self.dropped_requests += b.requests;
                }
            } else {
                self.dropped_requests += 1;
                return None;
            }
        }
        Some(self.days.entry(day).or_default())
    }

    /// The existing bucket for `minute`.
    pub fn get_mut(&mut self, minute: i64) -> Option<&mut Bucket> {
        if self.minute_cut.is_none_or(|c| minute >= c) {
            self.minutes.get_mut(&minute)
        } else if self.hour_cut.is_none_or(|c| minute >= c) {
            self.hours.get_mut(&(minute - minute.rem_euclid(60)))
        } else {
            self.days.get_mut(&(minute - minute.rem_euclid(1440)))
        }
    }

    fn fold(&mut self) {
        let Some(latest) = self.latest else { return };
        let cut = latest - FULL_MINUTES;
        let cut = cut - cut.rem_euclid(60);
        // Fold a whole hour at a time at least.
        if self
            .minutes
            .first_key_value()
            .is_none_or(|(m, _)| *m >= cut)
        {
            return;
        }
        self.minute_cut = Some(self.minute_cut.map_or(cut, |c| c.max(cut)));
        while let Some(entry) = self.minutes.first_entry() {
            if *entry.key() >= cut {
                break;
            }
            let (m, b) = entry.remove_entry();
            self.note_folded(m, &b);
            let hour = m - m.rem_euclid(60);
            add(self.hours.entry(hour).or_default(), &b);
        }
        let hcut = cut - HOUR_SPAN;
        let hcut = hcut - hcut.rem_euclid(1440);
        if self.hours.first_key_value().is_none_or(|(h, _)| *h >= hcut) {
            return;
        }
        self.hour_cut = Some(self.hour_cut.map_or(hcut, |c| c.max(hcut)));
        while let Some(entry) = self.hours.first_entry() {
            if *entry.key() >= hcut {
                break;
            }
            let (h, b) = entry.remove_entry();
            let day = h - h.rem_euclid(1440);
            if self.days.len() >= MAX_DAYS
                && !self.days.contains_key(&day)
                && let Some((_, old)) = self.days.pop_first()
            {
                self.dropped_requests += old.requests;
            }
            add(self.days.entry(day).or_default(), &b);
        }
    }

    /// Keeps the minutes before an onset that is being folded (ramps need them).
    fn note_folded(&mut self, m: i64, b: &Bucket) {
        if self.kept_onsets.len() < KEEP_ONSETS
            && b.limit_failures() > 0
            && self.limited(m - 1) == 0
            && self.limited(m - 2) == 0
        {
            self.kept_onsets.push(m);
            for (k, kb) in &self.recent_folded {
                if *k >= m - ONSET_HISTORY {
                    self.kept.insert(*k, kb.clone());
                }
            }
            self.kept.insert(m, b.clone());
        }
        if self.recent_folded.len() > ONSET_HISTORY as usize {
            self.recent_folded.pop_front();
        }
        self.recent_folded.push_back((m, b.clone()));
    }

    /// One minute at full detail, if it is still known minute by minute.
    pub fn minute(&self, m: i64) -> Option<&Bucket> {
        self.minutes
            .get(&m)
            .or_else(|| self.kept.get(&m))
            .or_else(|| {
                self.recent_folded
                    .iter()
                    .find(|(k, _)| *k == m)
                    .map(|(_, b)| b)
            })
    }

    /// Rate-limit failures (overloads aside) in minute `m`, 0 if unknown.
    pub fn limited(&self, m: i64) -> u64 {
        self.minute(m).map_or(0, Bucket::limit_failures)
    }

    /// The first `n` minutes that start a run of refusals after two quiet minutes.
    pub fn onsets(&self, n: usize) -> Vec<i64> {
        let mut out: Vec<i64> = self.kept_onsets.iter().copied().take(n).collect();
        out.extend(
            self.minutes
                .iter()
                .filter(|(m, b)| {
                    b.limit_failures() > 0
                        && self.limited(**m - 1) == 0
                        && self.limited(**m - 2) == 0
                })
                .map(|(m, _)| *m)
                .take(n - out.len()),
        );
        out
    }

    /// The first minute with traffic.
    pub fn first_minute(&self) -> Option<i64> {
        self.iter().next().map(|(m, _, _)| m)
    }

    /// Every bucket in time order: (start minute, width in minutes, counters).
    pub fn iter(&self) -> impl Iterator<Item = (i64, i64, &Bucket)> {
        fn w<'a>(width: i64) -> impl Fn((&'a i64, &'a Bucket)) -> (i64, i64, &'a Bucket) {
            move |(m, b)| (*m, width, b)
        }
        self.days
            .iter()
            .map(w(1440))
            .chain(self.hours.iter().map(w(60)))
            .chain(self.minutes.iter().map(w(1)))
    }

    /// Buckets held (days, hours, minutes and minutes kept for ramps), for the bound.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.days.len() + self.hours.len() + self.minutes.len() + self.kept.len()
    }

    /// Unknown failures in buckets that end after minute `from`.
    pub fn unknown_from(&self, from: i64) -> u64 {
        self.iter()
            .filter(|(m, w, _)| m + w > from)
            .map(|(_, _, b)| b.by_class[Class::Unknown as usize])
            .sum()
    }

    /// Like `BTreeMap::insert`, for tests of the readers.
    #[cfg(test)]
    pub fn insert(&mut self, minute: i64, b: Bucket) {
        if let Some(slot) = self.bucket(minute) {
            *slot = b;
        }
    }
}

fn add(into: &mut Bucket, b: &Bucket) {
    into.requests += b.requests;
    into.successes += b.successes;
    into.failures += b.failures;
    for (i, n) in b.by_class.iter().enumerate() {
        into.by_class[i] += n;
    }
    into.input_tokens += b.input_tokens;
    into.near_limit += b.near_limit;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(t: &mut Timeline, minute: i64, failures: u64) {
        let b = t.bucket(minute).unwrap();
        b.requests += 1 + failures;
        b.successes += 1;
        b.failures += failures;
        b.by_class[Class::Rpm as usize] += failures;
    }

    #[test]
    fn a_short_log_stays_per_minute() {
        let mut t = Timeline::default();
        for m in 0..FULL_MINUTES {
            hit(&mut t, 1_000_000 + m, 0);
        }
        assert!(t.iter().all(|(_, w, _)| w == 1));
        assert_eq!(t.held(), FULL_MINUTES as usize);
    }

    #[test]
    fn a_long_span_is_bounded_and_loses_no_count() {
        let mut t = Timeline::default();
        let start = 29_000_000; // 2025
        let span = 400 * 1440; // 400 days, every minute
        for m in 0..span {
            hit(&mut t, start + m, (m % 7 == 0) as u64);
        }
        let bound = (FULL_MINUTES + 120) as usize
            + (HOUR_SPAN / 60 + 48) as usize
            + 400
            + (KEEP_ONSETS * (ONSET_HISTORY as usize + 1));
        assert!(t.held() <= bound, "{} buckets", t.held());
        let total: u64 = t.iter().map(|(_, _, b)| b.requests).sum();
        assert_eq!(
            total + t.dropped_requests,
            span as u64 + (span as u64).div_ceil(7)
        );
        // Disjoint, in order, each coarse bucket aligned to its width.
        let mut end = i64::MIN;
        for (m, w, _) in t.iter() {
            assert!(m >= end, "overlap at {m}");
            assert_eq!(m.rem_euclid(w), 0);
            end = m + w;
        }
        let widths: Vec<i64> = t.iter().map(|(_, w, _)| w).collect();
        assert!(widths.contains(&1440) && widths.contains(&60) && widths.contains(&1));
        // A late line for a folded minute lands in its coarse bucket.
        hit(&mut t, start + 5, 0);
        let total2: u64 = t.iter().map(|(_, _, b)| b.requests).sum();
        assert_eq!(total2, total + 1);
    }

    #[test]
    fn days_beyond_the_cap_are_dropped_and_counted() {
        let mut t = Timeline::default();
        for d in 0..(MAX_DAYS as i64 + 200) {
            hit(&mut t, d * 1440, 0);
        }
        hit(
            &mut t,
            (MAX_DAYS as i64 + 200) * 1440 + FULL_MINUTES + HOUR_SPAN + 3000,
            0,
        );
        assert!(t.days.len() <= MAX_DAYS);
        assert!(t.dropped_requests > 0);
        let total: u64 = t.iter().map(|(_, _, b)| b.requests).sum();
        assert_eq!(total + t.dropped_requests, MAX_DAYS as u64 + 201);
    }

    #[test]
    fn an_early_onset_keeps_its_minutes_when_folded() {
        let mut t = Timeline::default();
        for m in 0..20 {
            hit(&mut t, 100_000 + m, (m == 15) as u64);
        }
        hit(&mut t, 100_000 + FULL_MINUTES + 500, 0);
        assert_eq!(t.onsets(3), vec![100_015]);
        assert_eq!(t.minute(100_015).unwrap().failures, 1);
        assert!(t.minute(100_005).is_some());
        assert_eq!(t.first_minute(), Some(100_000 - 100_000 % 60));
    }
}
