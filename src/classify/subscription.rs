//! Subscription (Pro/Max, Claude Code) usage windows from the `anthropic-ratelimit-unified-*`
//! headers (facts §2): the overall status, which window binds (`representative-claim`), each
//! window's status, utilization (0..1) and reset (epoch seconds), overage and fallback.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::exchange::{Capture, Headers};

const PREFIX: &str = "anthropic-ratelimit-unified-";

/// One usage window (`5h`, `7d`, `7d_opus`, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generate", schemars(rename = "Window"))]
pub struct UnifiedWindow {
    /// The window as the header names it (`5h`, `7d`, ...).
    pub name: String,
    /// `allowed`, `allowed_warning` or `rejected`.
    pub status: Option<String>,
    /// How full, 0..1.
    pub utilization: Option<f64>,
    /// When the window reopens (RFC 3339).
    pub reset: Option<String>,
}

/// Everything the unified headers say.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Windows {
    /// `anthropic-ratelimit-unified-status`.
    pub status: Option<String>,
    /// The binding window (`representative-claim`: five_hour, seven_day, ...).
    pub binding: Option<String>,
    pub windows: Vec<UnifiedWindow>,
    /// `anthropic-ratelimit-unified-reset` (RFC 3339).
    pub reset: Option<String>,
    pub overage_status: Option<String>,
    pub overage_in_use: Option<String>,
    pub overage_disabled_reason: Option<String>,
    pub fallback_percentage: Option<f64>,
}

/// An epoch-seconds (or milliseconds, or RFC 3339) reset as RFC 3339.
fn reset_time(v: &str) -> Option<String> {
    let v = v.trim();
    if let Ok(n) = v.parse::<i64>() {
        let secs = if n > 100_000_000_000 { n / 1000 } else { n };
        return DateTime::<Utc>::from_timestamp(secs, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    DateTime::parse_from_rfc3339(v).ok().map(|t| {
        t.with_timezone(&Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

/// A utilization as a 0..1 fraction (a little over 1 is over the cap; values above 2 are
/// read as percentages).
fn fraction(v: &str) -> Option<f64> {
    let v = v.trim().trim_end_matches('%');
    let f: f64 = v
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite() && *f >= 0.0)?;
    Some(if f > 2.0 { f / 100.0 } else { f })
}

/// Reads the unified headers; `None` when there are none.
pub fn read(h: &Headers) -> Option<Windows> {
    let mut w = Windows::default();
    let mut any = false;
    for (name, value) in &h.0 {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        any = true;
        let value = value.trim();
        match rest {
            "status" => w.status = Some(value.to_string()),
            "representative-claim" => w.binding = Some(value.to_string()),
            "reset" => w.reset = reset_time(value),
            "fallback-percentage" => w.fallback_percentage = fraction(value),
            "overage-status" => w.overage_status = Some(value.to_string()),
            "overage-in-use" => w.overage_in_use = Some(value.to_string()),
            "overage-disabled-reason" => w.overage_disabled_reason = Some(value.to_string()),
            other => {
                let Some((win, field)) = other.rsplit_once('-') else {
                    continue;
                };
                if win.starts_with("overage") || win.is_empty() {
                    continue;
                }
                let slot = match w.windows.iter_mut().position(|x| x.name == win) {
                    Some(i) => &mut w.windows[i],
                    None => {
                        w.windows.push(UnifiedWindow {
                            name: win.to_string(),
                            status: None,
                            utilization: None,
                            reset: None,
                        });
                        w.windows.last_mut().expect("just pushed")
                    }
                };
                match field {
                    "status" => slot.status = Some(value.to_string()),
                    "utilization" => slot.utilization = fraction(value),
                    "reset" => slot.reset = reset_time(value),
                    _ => {}
                }
            }
        }
    }
    any.then_some(w)
}

/// The header line that says the subscription refused the request: the overall
/// `unified-status: rejected`, or (when there is no overall status) a window's. The overage
/// status is not a refusal by itself.
pub fn rejected(c: &Capture) -> Option<String> {
    let h = &c.headers;
    if let Some(v) = h.get("anthropic-ratelimit-unified-status") {
        return v
            .eq_ignore_ascii_case("rejected")
            .then(|| format!("anthropic-ratelimit-unified-status: {v}"));
    }
    h.0.iter()
        .find(|(n, v)| {
            n.starts_with(PREFIX)
                && n.ends_with("-status")
                && !n.contains("overage")
                && v.eq_ignore_ascii_case("rejected")
        })
        .map(|(n, v)| format!("{n}: {v}"))
}

/// `allowed_warning` on a response: the window close to its cap, for `diagnose`'s
/// near-limit finding. Returns the window's name and utilization when known.
pub fn warning(h: &Headers) -> Option<(String, Option<f64>)> {
    let w = read(h)?;
    let warned = w.status.as_deref() == Some("allowed_warning")
        || w.windows
            .iter()
            .any(|x| x.status.as_deref() == Some("allowed_warning"));
    if !warned {
        return None;
    }
    let win = w
        .binding_window()
        .or_else(|| {
            w.windows
                .iter()
                .find(|x| x.status.as_deref() == Some("allowed_warning"))
        })
        .cloned();
    Some(match win {
        Some(x) => (x.name, x.utilization),
        None => (w.binding.unwrap_or_else(|| "subscription".into()), None),
    })
}

/// `five_hour` names the `5h` window, `seven_day_opus` the `7d_opus` one, ...
fn claim_matches(claim: &str, window: &str) -> bool {
    let short = claim
        .replace("five_hour", "5h")
        .replace("seven_day", "7d")
        .replace('-', "_");
    let window = window.replace('-', "_");
    window == claim || window == short
}

impl Windows {
    /// The window that binds: the representative claim's, else the first rejected one, else
    /// the only window the headers name (a bare `unified-status: rejected` with one window's
    /// reset is that window's refusal).
    pub fn binding_window(&self) -> Option<&UnifiedWindow> {
        if let Some(claim) = &self.binding
            && let Some(w) = self.windows.iter().find(|w| claim_matches(claim, &w.name))
        {
            return Some(w);
        }
        self.windows
            .iter()
            .find(|w| w.status.as_deref() == Some("rejected"))
            .or(match self.windows.as_slice() {
                [only] => Some(only),
                _ => None,
            })
    }

    /// When access returns: the binding window's reset, else the overall reset.
    pub fn binding_reset(&self) -> Option<String> {
        self.binding_window()
            .and_then(|w| w.reset.clone())
            .or_else(|| self.reset.clone())
    }

    /// Evidence lines: which window binds and how full each is.
    pub fn evidence(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = &self.binding {
            out.push(format!(
                "binding window: {b} (anthropic-ratelimit-unified-representative-claim)"
            ));
        }
        for w in &self.windows {
            let mut parts: Vec<String> = Vec::new();
            if let Some(st) = &w.status {
                parts.push(st.clone());
            }
            if let Some(u) = w.utilization {
                parts.push(format!("{:.0}% used", u * 100.0));
            }
            if let Some(r) = &w.reset {
                parts.push(format!("resets {r}"));
            }
            out.push(format!("{} window: {}", w.name, parts.join(", ")));
        }
        if let Some(o) = &self.overage_status {
            let mut s = format!("overage: {o}");
            if let Some(r) = &self.overage_disabled_reason {
                s.push_str(&format!(" ({r})"));
            }
            if let Some(u) = &self.overage_in_use {
                s.push_str(&format!(", in use: {u}"));
            }
            out.push(s);
        }
        if let Some(f) = self.fallback_percentage {
            out.push(format!("fallback percentage: {:.0}%", f * 100.0));
        }
        out
    }

    /// One line: which window, how full, when it reopens.
    pub fn why(&self) -> String {
        let w = self.binding_window();
        let name = w
            .map(|w| w.name.clone())
            .or_else(|| self.binding.clone())
            .map(|n| format!("the subscription's {n} usage window"))
            .unwrap_or_else(|| "a subscription usage window".into());
        let mut s = format!("{name} is used up");
        if let Some(u) = w.and_then(|w| w.utilization) {
            s.push_str(&format!(" ({:.0}% used)", u * 100.0));
        }
        match self.binding_reset() {
            Some(r) => s.push_str(&format!("; access returns at {r}")),
            None => s.push_str("; the reset time is not in the headers"),
        }
        if self.overage_in_use.as_deref() == Some("true") {
            s.push_str("; paid overage is serving requests meanwhile");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::default();
        for (n, v) in pairs {
            h.set(n, v);
        }
        h
    }

    #[test]
    fn reads_the_family() {
        let h = headers(&[
            ("anthropic-ratelimit-unified-status", "rejected"),
            (
                "anthropic-ratelimit-unified-representative-claim",
                "five_hour",
            ),
            ("anthropic-ratelimit-unified-5h-status", "rejected"),
            ("anthropic-ratelimit-unified-5h-utilization", "1.02"),
            ("anthropic-ratelimit-unified-5h-reset", "1795003200"),
            ("anthropic-ratelimit-unified-7d-status", "allowed"),
            ("anthropic-ratelimit-unified-7d-utilization", "0.41"),
            ("anthropic-ratelimit-unified-7d-reset", "1795500000"),
            ("anthropic-ratelimit-unified-overage-status", "rejected"),
            (
                "anthropic-ratelimit-unified-overage-disabled-reason",
                "org_level_disabled",
            ),
            ("anthropic-ratelimit-unified-fallback-percentage", "0.5"),
        ]);
        let w = read(&h).unwrap();
        assert_eq!(w.binding_window().unwrap().name, "5h");
        assert_eq!(w.binding_reset().as_deref(), Some("2026-11-18T12:00:00Z"));
        assert_eq!(w.windows.len(), 2);
        let ev = w.evidence().join(" | ");
        assert!(ev.contains("5h window: rejected, 102% used"), "{ev}");
        assert!(
            ev.contains("overage: rejected (org_level_disabled)"),
            "{ev}"
        );
        assert!(w.why().contains("5h usage window"), "{}", w.why());
    }

    #[test]
    fn a_bare_rejection_with_one_window_binds_that_window() {
        // See: issue 13, "a 200 with unified-status: rejected and a 5-hour reset header".
        let h = headers(&[
            ("anthropic-ratelimit-unified-status", "rejected"),
            ("anthropic-ratelimit-unified-5h-reset", "1795003200"),
        ]);
        let w = read(&h).unwrap();
        assert_eq!(w.binding_reset().as_deref(), Some("2026-11-18T12:00:00Z"));
        assert_eq!(w.evidence(), ["5h window: resets 2026-11-18T12:00:00Z"]);
        assert!(w.why().starts_with("the subscription's 5h usage window is used up; access returns at 2026-11-18T12:00:00Z"), "{}", w.why());
        let none = read(&headers(&[(
            "anthropic-ratelimit-unified-status",
            "rejected",
        )]))
        .unwrap();
        assert!(
            none.why()
                .starts_with("a subscription usage window is used up"),
            "{}",
            none.why()
        );
    }

    #[test]
    fn overage_rejected_alone_is_no_refusal() {
        let mut c = Capture::new("t".into(), 1, crate::exchange::Format::Headers);
        c.headers = headers(&[("anthropic-ratelimit-unified-overage-status", "rejected")]);
        assert_eq!(rejected(&c), None);
        c.headers = headers(&[
            ("anthropic-ratelimit-unified-status", "allowed"),
            ("anthropic-ratelimit-unified-7d-status", "rejected"),
        ]);
        assert_eq!(rejected(&c), None, "the overall status decides");
        c.headers = headers(&[("anthropic-ratelimit-unified-7d-status", "rejected")]);
        assert!(rejected(&c).is_some());
    }

    #[test]
    fn warning_names_the_window() {
        let h = headers(&[
            ("anthropic-ratelimit-unified-status", "allowed_warning"),
            (
                "anthropic-ratelimit-unified-representative-claim",
                "seven_day",
            ),
            ("anthropic-ratelimit-unified-7d-utilization", "0.93"),
        ]);
        assert_eq!(warning(&h), Some(("7d".into(), Some(0.93))));
    }
}
