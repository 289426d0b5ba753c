//! Leaf: a time given on the command line relative to now (`90s`, `15m`, `2h`, `1d`, `1w`),
//! read in one place for every `--since` / `--until` (replay, diagnose, status, usage,
//! history).

use chrono::Duration;

/// A relative time (`15m`: fifteen minutes) as a duration: a whole number of seconds (`s`),
/// minutes (`m`), hours (`h`), days (`d`) or weeks (`w`), at most 366 days. `None` when `s`
/// is not of that form.
pub fn relative(s: &str) -> Option<Duration> {
    let t = s.trim();
    let unit = t.chars().last()?;
    let n = t[..t.len() - unit.len_utf8()].parse::<i64>().ok()?;
    let secs = match unit {
        's' => n,
        'm' => n.checked_mul(60)?,
        'h' => n.checked_mul(3600)?,
        'd' => n.checked_mul(86_400)?,
        'w' => n.checked_mul(7 * 86_400)?,
        _ => return None,
    };
    (0..=366 * 86_400)
        .contains(&secs)
        .then(|| Duration::seconds(secs))
}

#[cfg(test)]
mod tests {
    use super::relative;
    use chrono::Duration;

    #[test]
    fn reads_the_units_and_refuses_the_rest() {
        assert_eq!(relative("15m"), Some(Duration::minutes(15)));
        assert_eq!(relative(" 2h "), Some(Duration::hours(2)));
        assert_eq!(relative("1d"), Some(Duration::days(1)));
        assert_eq!(relative("1w"), Some(Duration::weeks(1)));
        assert_eq!(relative("90s"), Some(Duration::seconds(90)));
        for bad in [
            "",
            "m",
            "15",
            "-5m",
            "15x",
            "400d",
            "99999999999999999w",
            "1.5h",
            "é",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }
}
