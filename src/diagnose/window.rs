//! `--since` / `--until`: absolute times, or a time of day on the incident's day.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::exit::UsageError;

/// One bound as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A full date and time.
    At(DateTime<Utc>),
    /// A time of day (UTC) on the day of the first timestamped capture read.
    TimeOfDay(NaiveTime),
}

impl Bound {
    /// Reads RFC 3339 (`2026-11-20T14:00:00Z`), a zone-less date and time taken as UTC
    /// (`2026-11-20 14:00`, `2026-11-20T14:00:30`), or a time of day (`14:00`, `14:00:30`).
    /// Also a time before now (`15m`, `2h`, `1d`: [`crate::when::relative`]).
    pub fn parse(flag: &str, s: &str) -> Result<Bound, UsageError> {
        let t = s.trim();
        if let Some(d) = crate::when::relative(t) {
            return Ok(Bound::At(Utc::now() - d));
        }
        if let Ok(d) = DateTime::parse_from_rfc3339(t) {
            return Ok(Bound::At(d.with_timezone(&Utc)));
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
                return Ok(Bound::At(d.and_utc()));
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Bound::At(d.and_time(NaiveTime::MIN).and_utc()));
        }
        for fmt in ["%H:%M:%S%.f", "%H:%M"] {
            if let Ok(tod) = NaiveTime::parse_from_str(t, fmt) {
                return Ok(Bound::TimeOfDay(tod));
            }
        }
        Err(UsageError(format!(
            "{flag}: cannot read '{s}' as a time; use RFC 3339 (2026-11-20T14:00:00Z), \
             a UTC date and time (2026-11-20 14:00), a UTC time of day (14:00) or a time \
             before now (15m, 2h, 1d)"
        )))
    }

    /// The bound in milliseconds, a time of day placed on the day of `day_of` (ms).
    pub fn resolve(self, day_of: i64) -> Option<i64> {
        match self {
            Bound::At(t) => Some(t.timestamp_millis()),
            Bound::TimeOfDay(tod) => {
                let day = DateTime::from_timestamp_millis(day_of)?.date_naive();
                Some(day.and_time(tod).and_utc().timestamp_millis())
            }
        }
    }
}

/// The time window of a run. Times of day are resolved by the first timestamped capture.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub since: Option<Bound>,
    pub until: Option<Bound>,
    resolved: Option<(Option<i64>, Option<i64>)>,
}

impl Window {
    /// Checks both flags; two absolute bounds must be in order.
    pub fn new(since: Option<&str>, until: Option<&str>) -> Result<Window, UsageError> {
        let since = since.map(|s| Bound::parse("--since", s)).transpose()?;
        let until = until.map(|s| Bound::parse("--until", s)).transpose()?;
        let ordered = match (since, until) {
            (Some(Bound::At(a)), Some(Bound::At(b))) => a < b,
            (Some(Bound::TimeOfDay(a)), Some(Bound::TimeOfDay(b))) => a < b,
            _ => true,
        };
        if !ordered {
            return Err(UsageError("--until must be later than --since".to_string()));
        }
        Ok(Window {
            since,
            until,
            resolved: None,
        })
    }

    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// True when `t` (ms) is inside the window; the first call fixes the day of times of day.
    pub fn contains(&mut self, t: i64) -> bool {
        let (since, until) = *self.resolved.get_or_insert_with(|| {
            (
                self.since.and_then(|b| b.resolve(t)),
                self.until.and_then(|b| b.resolve(t)),
            )
        });
        since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u)
    }

    /// The resolved bounds (ms), once a timestamped capture has been seen.
    pub fn bounds(&self) -> (Option<i64>, Option<i64>) {
        self.resolved.unwrap_or((None, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn parses_the_documented_forms() {
        assert!(matches!(
            Bound::parse("--since", "2026-11-20T14:00:00Z"),
            Ok(Bound::At(_))
        ));
        assert!(matches!(
            Bound::parse("--since", "2026-11-20 14:00"),
            Ok(Bound::At(_))
        ));
        assert!(matches!(
            Bound::parse("--since", "14:00"),
            Ok(Bound::TimeOfDay(_))
        ));
        assert!(matches!(
            Bound::parse("--since", "14:00:30"),
            Ok(Bound::TimeOfDay(_))
        ));
        assert!(Bound::parse("--since", "yesterday").is_err());
        assert!(Bound::parse("--since", "25:00").is_err());
    }

    #[test]
    fn time_of_day_takes_the_first_capture_day() {
        let mut w = Window::new(Some("14:00"), Some("14:05")).unwrap();
        assert!(!w.contains(ms("2026-11-20T13:59:59Z")));
        assert!(w.contains(ms("2026-11-20T14:00:00Z")));
        assert!(w.contains(ms("2026-11-20T14:04:59Z")));
        assert!(!w.contains(ms("2026-11-20T14:05:00Z")));
        assert!(!w.contains(ms("2026-11-21T14:01:00Z")));
    }

    #[test]
    fn bounds_must_be_ordered() {
        assert!(Window::new(Some("14:05"), Some("14:00")).is_err());
        assert!(Window::new(Some("2026-11-20T15:00:00Z"), Some("2026-11-20T14:00:00Z")).is_err());
        assert!(Window::new(None, Some("14:00")).is_ok());
    }
}
