//! Client-behaviour findings: what the client did that made the incident worse, each with
//! the lines that show it. Every tracker keeps bounded state, so memory stays flat.
//!
//! The heuristics, in the order findings are reported:
//!
//! * **ramp**: before the first minute with rate-limit refusals (overloads aside) after a
//!   quiet spell, the request rate (or the logged input tokens per minute) at least doubled
//!   from the lowest minute of the preceding ten, by at least 10 requests, with at least two
//!   minute-over-minute rises of 25% or more. Needs three minutes of history: a log that
//!   starts with the incident cannot show a ramp.
//! * **ignored_retry_after**: retries of one logical request are recognised as the next
//!   *failures* from the same client (the same input file, org/workspace id and model, and
//!   when the log records them the same `input_tokens`, `max_tokens` and request body size
//!   (`record`'s `request.bytes`): a retry resends the same request; requests of other sizes
//!   are distinct requests, not retries) after a failure that carried `retry-after` (or `retry-after-ms`). A failure that comes
//!   later than the earlier one but before its retry-after ran out is a retry that did not
//!   wait. Failures at the same instant are concurrent requests, not retries; successes are
//!   not paired (other workers' requests may succeed meanwhile). The input is assumed to be
//!   in time order within each file, as logs are.
//! * **retry_storm**: a *burst* is a second with at least 5 failures and at least three
//!   times the average per-second failure count of the minute around it. Two or more bursts
//!   within 60 s of each other are clients failing and retrying in lockstep. A steady
//!   trickle of failures has no bursts, however high.
//! * **stray_key**: for one model class (Sonnet 4.x, Opus 4.x...), the `requests`,
//!   `input-tokens` or `output-tokens` `-limit` headers take more than one value, or the
//!   responses carry more than one organization id: two keys from different tiers,
//!   workspaces or orgs are in use. (The combined `tokens-limit` is left out: it shows
//!   whichever token limit is tightest at the moment and changes on its own.) Compared
//!   within one input file: separate captures side by side (another app, another org, as in
//!   `examples/`) are not one client using two keys.
//! * **max_tokens_oversized**: per model, over at least 3 responses that logged both the
//!   request's `max_tokens` and the output tokens used, `max_tokens` averages at least four
//!   times the output and 512 tokens more, and the output sizes vary (every response the
//!   same size is a mock or test server answering, not a model). Matters if OTPM is estimated from `max_tokens` at
//!   request start (one reading of the docs; the other counts actual output).
//! * **near_limit**: successful responses with less than 10% of a `requests`,
//!   `input-tokens` or `output-tokens` limit left, before the first rate-limit refusal (or
//!   in a log with none): the limit was about to be hit. A subscription response (Claude
//!   Code, Pro/Max) whose `anthropic-ratelimit-unified-status` (or a window's
//!   `-<window>-status`) is `allowed_warning` counts too: that usage window is nearly full.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::event::{INPUT, OUTPUT, REQUESTS, SubWarning, model_class};
use super::timeline::Timeline;
use super::{At, Event, clock, place, thousands};
use crate::classify::Class;

/// What kind of behaviour a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Ramp,
    IgnoredRetryAfter,
    RetryStorm,
    StrayKey,
    MaxTokensOversized,
    NearLimit,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Ramp => "ramp",
            FindingKind::IgnoredRetryAfter => "ignored_retry_after",
            FindingKind::RetryStorm => "retry_storm",
            FindingKind::StrayKey => "stray_key",
            FindingKind::MaxTokensOversized => "max_tokens_oversized",
            FindingKind::NearLimit => "near_limit",
        }
    }

    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            FindingKind::Ramp => {
                "Ramp traffic up gradually (a client-side token bucket), keep a steady baseline, and warn Anthropic before planned launches."
            }
            FindingKind::IgnoredRetryAfter => {
                "Wait at least retry-after (plus jitter) before retrying; check that no proxy strips the header and that the SDK's max retry wait is not shorter."
            }
            FindingKind::RetryStorm => {
                "Add random jitter to backoff and cap concurrent retries (a shared semaphore), so clients do not retry in lockstep."
            }
            FindingKind::StrayKey => {
                "Check which API key each environment uses (an old ANTHROPIC_API_KEY often overrides the intended one); more keys in one org add no capacity."
            }
            FindingKind::MaxTokensOversized => {
                "Lower max_tokens towards what responses use; an oversized max_tokens can count against OTPM at request start."
            }
            FindingKind::NearLimit => {
                "Throttle before the limit: read anthropic-ratelimit-*-remaining and slow down below 10%; see `claude-429 probe` for live headroom."
            }
        }
    }
}

/// One client-behaviour finding.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Finding {
    pub kind: FindingKind,
    /// What was seen, in one or two sentences.
    pub detail: String,
    /// The lines that show it (`source:line (time)` and what they said).
    pub evidence: Vec<String>,
    /// How many instances (retries, bursts, responses...).
    pub count: u64,
    /// What to do about it.
    pub advice: &'static str,
    /// When it happened (ms since the Unix epoch): the moments its evidence points at, for
    /// marking on a chart (the HTML report's timeline). Not in the JSON.
    #[serde(skip)]
    pub moments: Vec<i64>,
}

const MAX_KEYS: usize = 4096;
const MAX_EXAMPLES: usize = 5;
const MAX_SECONDS: usize = 200_000;
const MAX_CLASSES: usize = 32;
const MAX_VALUES: usize = 8;
const BURST_MIN: u32 = 5;

/// All trackers.
#[derive(Debug, Default)]
pub(crate) struct Trackers {
    retry: Retries,
    /// Failures per second (rate limits and overloads), for storms.
    seconds: BTreeMap<i64, u32>,
    /// Per model class and input file: independent captures (another app, another org)
    /// side by side are not one client with a stray key.
    keys: BTreeMap<(String, u32), KeyClass>,
    class_of: HashMap<String, String>,
    tokens: BTreeMap<String, Tokens>,
    pub near: Near,
    otpm_failures: u64,
    /// Events left out of a tracker because its state was full (see `dropped`).
    dropped: u64,
}

impl Trackers {
    pub(crate) fn add(&mut self, ev: &Event, at: &At) {
        let failure = ev.verdict.as_ref().map(|v| v.class);
        if let Some(class) = failure {
            if class == Class::Otpm {
                self.otpm_failures += 1;
            }
            if class.is_rate_limit()
                && let Some(t) = ev.time
            {
                let s = t.div_euclid(1000);
                if self.seconds.len() < MAX_SECONDS || self.seconds.contains_key(&s) {
                    *self.seconds.entry(s).or_default() += 1;
                } else {
                    self.dropped += 1;
                }
                self.retry.add(ev, class, at);
            }
        }
        self.add_keys(ev, at);
        if failure.is_none()
            && let (Some(model), Some(max), Some(out)) =
                (&ev.model, ev.max_tokens, ev.output_tokens)
        {
            let n = self.tokens.len();
            let t = match self.tokens.get_mut(model) {
                Some(t) => Some(t),
                None if n < MAX_CLASSES => Some(self.tokens.entry(model.clone()).or_default()),
                None => {
                    self.dropped += 1;
                    None
                }
            };
            if let Some(t) = t {
                t.n += 1;
                t.max += max;
                t.out += out;
                t.out_range = Some(
                    t.out_range
                        .map_or((out, out), |(lo, hi)| (lo.min(out), hi.max(out))),
                );
                if t.example.is_none() && max >= out.saturating_mul(4) {
                    t.example = Some((at.clone(), max, out));
                }
            }
        }
    }

    fn add_keys(&mut self, ev: &Event, at: &At) {
        let has_limits = [REQUESTS, INPUT, OUTPUT]
            .iter()
            .any(|&d| ev.dims[d].0.is_some());
        // Limits differ by model class, so responses without a model cannot be compared.
        let Some(model) = ev.model.as_deref() else {
            return;
        };
        if !has_limits && ev.org_id.is_none() {
            return;
        }
        // Model names repeat: classify each once (bounded cache).
        let class = match self.class_of.get(model) {
            Some(c) => c,
            None => {
                if self.class_of.len() >= 256 {
                    self.class_of.clear();
                }
                self.class_of
                    .entry(model.to_string())
                    .or_insert_with(|| model_class(model))
            }
        };
        let n = self.keys.len();
        // At most MAX_CLASSES slots: found by a look along them, the class not copied.
        let found = self
            .keys
            .iter()
            .position(|((c, s), _)| *s == at.source && c == class);
        let k = match found {
            Some(i) => match self.keys.iter_mut().nth(i) {
                Some((_, k)) => k,
                None => return,
            },
            None if n < MAX_CLASSES => self.keys.entry((class.clone(), at.source)).or_default(),
            None => {
                self.dropped += 1;
                return;
            }
        };
        let failed = ev.is_failure();
        let scope = ev.workspace_id.as_deref().or(ev.org_id.as_deref());
        for (slot, d) in [REQUESTS, INPUT, OUTPUT].into_iter().enumerate() {
            if let Some(v) = ev.dims[d].0 {
                // Found by the number (the same as by its digits), written out only when new.
                let list = &mut k.limits[slot];
                if let Some(s) = list.iter_mut().find(|s| s.num == Some(v)) {
                    s.count += 1;
                    s.failed += u64::from(failed);
                } else if list.len() < MAX_VALUES {
                    list.push(Seen::first(v.to_string(), Some(v), failed, at, scope));
                }
            }
        }
        if let Some(o) = &ev.org_id {
            seen(&mut k.orgs, o, failed, at, None);
        }
    }

    /// Events some tracker could not keep because its bounded state was full (too many
    /// distinct failure seconds, live retry-after windows, models or model classes): the
    /// findings saw all but these.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped + self.retry.dropped
    }

    pub(crate) fn finish(self, timeline: &Timeline, sources: &[Arc<str>]) -> Vec<Finding> {
        let mut out = Vec::new();
        out.extend(ramps(timeline));
        out.extend(self.retry.finish(sources));
        out.extend(storms(&self.seconds));
        out.extend(stray_keys(&self.keys, sources));
        out.extend(oversized(&self.tokens, sources, self.otpm_failures));
        out.extend(self.near.finish(timeline, sources));
        out
    }
}

// ---- ignored retry-after ----------------------------------------------------------------

#[derive(Debug, Clone)]
struct Told {
    at: At,
    until: i64,
    given_ms: u64,
}

#[derive(Debug, Default)]
struct Retries {
    open: HashMap<(u32, String, String), Told>,
    /// Retry-after windows not tracked because `open` was full of live ones.
    dropped: u64,
    count: u64,
    shortest_wait_ms: Option<i64>,
    examples: Vec<(Told, At, Class, i64)>,
}

impl Retries {
    fn add(&mut self, ev: &Event, class: Class, at: &At) {
        let Some(t) = ev.time else { return };
        // A retry resends the same request: when the log has the request's sizes, they are
        // part of the identity too.
        let key = (
            at.source,
            ev.workspace_id
                .clone()
                .or_else(|| ev.org_id.clone())
                .unwrap_or_default(),
            format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                ev.model.as_deref().unwrap_or_default(),
                ev.input_tokens.map_or(String::new(), |n| n.to_string()),
                ev.max_tokens.map_or(String::new(), |n| n.to_string()),
                ev.request_bytes.map_or(String::new(), |n| n.to_string()),
            ),
        );
        if let Some(told) = self.open.get(&key)
            && t > told.at.time.unwrap_or(i64::MAX)
            && t < told.until
        {
            let waited = t - told.at.time.unwrap_or(t);
            self.count += 1;
            self.shortest_wait_ms = Some(self.shortest_wait_ms.map_or(waited, |w| w.min(waited)));
            if self.examples.len() < MAX_EXAMPLES {
                self.examples
                    .push((told.clone(), at.clone(), class, waited));
            }
        }
        if let Some(ra) = ev.retry_after_ms.filter(|&ra| ra > 0) {
            let told = Told {
                at: at.clone(),
                until: t.saturating_add(i64::try_from(ra).unwrap_or(i64::MAX)),
                given_ms: ra,
            };
            if self.open.len() >= MAX_KEYS && !self.open.contains_key(&key) {
                // Full: windows that ran out can no longer catch a retry.
                self.open.retain(|_, w| w.until > t);
            }
            if self.open.len() < MAX_KEYS || self.open.contains_key(&key) {
                self.open.insert(key, told);
            } else {
                self.dropped += 1;
            }
        }
    }

    fn finish(self, sources: &[Arc<str>]) -> Option<Finding> {
        if self.count == 0 {
            return None;
        }
        let evidence = self
            .examples
            .iter()
            .map(|(told, at, class, waited)| {
                format!(
                    "{} was told retry-after {}; the next failure {} came {} later ({class})",
                    place(sources, &told.at),
                    secs(told.given_ms as i64),
                    place(sources, at),
                    secs(*waited),
                )
            })
            .collect();
        Some(Finding {
            kind: FindingKind::IgnoredRetryAfter,
            detail: format!(
                "{} retr{} came sooner than the retry-after the previous failure gave (same client and model; the quickest after {}): each one is refused again and keeps the bucket empty.",
                self.count,
                if self.count == 1 { "y" } else { "ies" },
                secs(self.shortest_wait_ms.unwrap_or(0)),
            ),
            moments: self
                .examples
                .iter()
                .filter_map(|(_, at, _, _)| at.time)
                .collect(),
            evidence,
            count: self.count,
            advice: FindingKind::IgnoredRetryAfter.advice(),
        })
    }
}

fn secs(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

// ---- retry storms -------------------------------------------------------------------------

fn storms(seconds: &BTreeMap<i64, u32>) -> Vec<Finding> {
    let bursts: Vec<(i64, u32)> = seconds
        .iter()
        .filter(|(_, n)| **n >= BURST_MIN)
        .filter(|(s, n)| {
            let around: u64 = seconds
                .range(**s - 30..=**s + 30)
                .filter(|(t, _)| *t != *s)
                .map(|(_, n)| u64::from(*n))
                .sum();
            u64::from(**n) * 60 >= 3 * around
        })
        .map(|(s, n)| (*s, *n))
        .collect();
    let mut groups: Vec<Vec<(i64, u32)>> = Vec::new();
    for b in bursts {
        match groups.last_mut() {
            Some(g) if g.last().is_some_and(|l| b.0 - l.0 <= 60) => g.push(b),
            _ => groups.push(vec![b]),
        }
    }
    groups
        .into_iter()
        .filter(|g| g.len() >= 2)
        .take(3)
        .map(|g| {
            let total: u64 = g.iter().map(|(_, n)| u64::from(*n)).sum();
            let (from, to) = (g[0].0, g[g.len() - 1].0);
            Finding {
                kind: FindingKind::RetryStorm,
                detail: format!(
                    "{total} failures in {} one-second bursts between {} and {}: clients failing and retrying in lockstep keep the bucket empty.",
                    g.len(),
                    clock(from * 1000),
                    clock(to * 1000),
                ),
                evidence: g
                    .iter()
                    .take(8)
                    .map(|(s, n)| format!("{}: {n} failures within one second", clock(s * 1000)))
                    .collect(),
                count: g.len() as u64,
                advice: FindingKind::RetryStorm.advice(),
                moments: g.iter().map(|(s, _)| s.saturating_mul(1000)).collect(),
            }
        })
        .collect()
}

/// `HH:MM` of a minute number.
fn hhmm(minute: i64) -> String {
    let c = clock(minute.saturating_mul(60_000));
    c.get(..5).unwrap_or(&c).to_string()
}

// ---- ramps --------------------------------------------------------------------------------

/// Minutes of history looked at before an onset.
const RAMP_HISTORY: i64 = 10;

fn ramps(timeline: &Timeline) -> Vec<Finding> {
    let Some(first_minute) = timeline.first_minute() else {
        return Vec::new();
    };
    let onsets: Vec<i64> = timeline.onsets(3);
    let mut out = Vec::new();
    for onset in onsets {
        let from = (onset - RAMP_HISTORY).max(first_minute);
        if onset - from < 3 {
            continue;
        }
        let minutes: Vec<i64> = (from..=onset).collect();
        let requests: Vec<u64> = minutes
            .iter()
            .map(|m| timeline.minute(*m).map_or(0, |b| b.requests))
            .collect();
        let tokens: Vec<u64> = minutes
            .iter()
            .map(|m| timeline.minute(*m).map_or(0, |b| b.input_tokens))
            .collect();
        let by_requests = rises(&requests, 10);
        let by_tokens = rises(&tokens, 1000);
        let Some((base, peak)) = by_requests.or(by_tokens) else {
            continue;
        };
        let what = if by_requests.is_some() {
            "request rate"
        } else {
            "input-token rate"
        };
        let unit = if by_requests.is_some() {
            "requests/min"
        } else {
            "input tokens/min"
        };
        let Some(b) = timeline.minute(onset) else {
            continue;
        };
        let classes: Vec<String> = Class::ALL
            .iter()
            .filter(|c| b.by_class[**c as usize] > 0)
            .map(|c| format!("{c} {}", b.by_class[*c as usize]))
            .collect();
        let evidence = minutes
            .iter()
            .zip(requests.iter().zip(&tokens))
            .skip_while(|(_, (r, _))| **r == 0)
            .map(|(m, (r, t))| {
                let mut s = format!("{} {} requests", hhmm(*m), r);
                if *t > 0 {
                    s.push_str(&format!(", {} input tokens", thousands(*t)));
                }
                if *m == onset {
                    s.push_str(&format!(", first refusals: {}", classes.join(", ")));
                }
                s
            })
            .collect();
        out.push(Finding {
            kind: FindingKind::Ramp,
            detail: format!(
                "The {what} rose from {} to {} {unit} ({:.0}x) in the minutes before the first refusals at {}: a sharp ramp trips the acceleration limit even below the per-minute limits.",
                thousands(base),
                thousands(peak),
                peak as f64 / base.max(1) as f64,
                hhmm(onset),
            ),
            evidence,
            count: 1,
            advice: FindingKind::Ramp.advice(),
            moments: vec![onset.saturating_mul(60_000)],
        });
    }
    out
}

/// `(base, peak)` when the series (history, then the onset minute) ramps: the peak of the
/// last two minutes is at least twice the lowest earlier minute and `floor` above it, with
/// at least two rises of 25% or more from one minute to the next.
fn rises(series: &[u64], floor: u64) -> Option<(u64, u64)> {
    let n = series.len();
    if n < 4 {
        return None;
    }
    // The history starts at the first minute with traffic.
    let start = series.iter().position(|&v| v > 0)?;
    if start + 4 > n {
        return None;
    }
    let history = &series[start..n - 2];
    if history.len() < 2 {
        return None;
    }
    let base = *history.iter().min()?;
    let peak = series[n - 2].max(series[n - 1]);
    let steps = series[start..]
        .windows(2)
        .filter(|w| w[0] > 0 && w[1] * 4 >= w[0] * 5)
        .count();
    (peak >= base.max(1) * 2 && peak >= base + floor && steps >= 2).then_some((base, peak))
}

// ---- stray keys ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Seen {
    value: String,
    /// `value` as a number, for a limit (compared instead of the text).
    num: Option<u64>,
    count: u64,
    failed: u64,
    first: At,
    scope: Option<String>,
}

impl Seen {
    fn first(value: String, num: Option<u64>, failed: bool, at: &At, scope: Option<&str>) -> Seen {
        Seen {
            value,
            num,
            count: 1,
            failed: u64::from(failed),
            first: at.clone(),
            scope: scope.map(str::to_string),
        }
    }
}

fn seen(list: &mut Vec<Seen>, value: &str, failed: bool, at: &At, scope: Option<&str>) {
    if let Some(s) = list.iter_mut().find(|s| s.value == value) {
        s.count += 1;
        s.failed += u64::from(failed);
    } else if list.len() < MAX_VALUES {
        list.push(Seen::first(value.to_string(), None, failed, at, scope));
    }
}

#[derive(Debug, Default)]
struct KeyClass {
    /// `-limit` values of requests, input-tokens, output-tokens.
    limits: [Vec<Seen>; 3],
    orgs: Vec<Seen>,
}

const LIMIT_NAMES: [&str; 3] = [
    crate::ratelimit::HEADER_INFIXES[0],
    crate::ratelimit::HEADER_INFIXES[1],
    crate::ratelimit::HEADER_INFIXES[2],
];

fn stray_keys(keys: &BTreeMap<(String, u32), KeyClass>, sources: &[Arc<str>]) -> Vec<Finding> {
    let mut out = Vec::new();
    for ((class, _), k) in keys {
        let mut parts = Vec::new();
        let mut evidence = Vec::new();
        let mut moments = Vec::new();
        for (i, list) in k.limits.iter().enumerate() {
            if list.len() < 2 {
                continue;
            }
            moments.extend(list.iter().filter_map(|s| s.first.time));
            let mut list = list.clone();
            list.sort_by_key(|s| s.value.parse::<u64>().unwrap_or(u64::MAX));
            parts.push(format!(
                "anthropic-ratelimit-{}-limit is {}",
                LIMIT_NAMES[i],
                list.iter()
                    .map(|s| format!(
                        "{} on {}",
                        thousands(s.value.parse().unwrap_or(0)),
                        responses(s.count)
                    ))
                    .collect::<Vec<_>>()
                    .join(" but ")
            ));
            for s in &list {
                let mut e = format!(
                    "{}-limit {}: {} ({} failed), first at {}",
                    LIMIT_NAMES[i],
                    s.value,
                    responses(s.count),
                    s.failed,
                    place(sources, &s.first)
                );
                if let Some(scope) = &s.scope {
                    e.push_str(&format!(", workspace/org {scope}"));
                }
                evidence.push(e);
            }
        }
        if k.orgs.len() >= 2 {
            parts.push(format!("responses carry {} organization ids", k.orgs.len()));
            moments.extend(k.orgs.iter().filter_map(|s| s.first.time));
            for s in &k.orgs {
                evidence.push(format!(
                    "anthropic-organization-id {}: {} ({} failed), first at {}",
                    s.value,
                    responses(s.count),
                    s.failed,
                    place(sources, &s.first)
                ));
            }
        }
        if parts.is_empty() {
            continue;
        }
        out.push(Finding {
            kind: FindingKind::StrayKey,
            detail: format!(
                "For {class}, {} in the same incident: two API keys from different tiers, workspaces or orgs are in use; the lower limit is the stray key's.",
                parts.join("; ")
            ),
            count: evidence.len() as u64,
            evidence,
            advice: FindingKind::StrayKey.advice(),
            moments,
        });
    }
    out
}

fn responses(n: u64) -> String {
    format!("{} response{}", thousands(n), if n == 1 { "" } else { "s" })
}

// ---- oversized max_tokens -----------------------------------------------------------------

#[derive(Debug, Default)]
struct Tokens {
    n: u64,
    max: u64,
    out: u64,
    /// Smallest and largest output seen: a constant output size is a mock's or a test
    /// server's, not a model's (the mock answers every request with the scenario's size).
    out_range: Option<(u64, u64)>,
    example: Option<(At, u64, u64)>,
}

fn oversized(
    tokens: &BTreeMap<String, Tokens>,
    sources: &[Arc<str>],
    otpm_failures: u64,
) -> Vec<Finding> {
    tokens
        .iter()
        .filter(|(_, t)| t.n >= 3)
        .filter(|(_, t)| t.out_range.is_some_and(|(lo, hi)| lo != hi))
        .filter_map(|(model, t)| {
            let avg_max = t.max / t.n;
            let avg_out = t.out / t.n;
            if avg_max < avg_out.saturating_mul(4) || avg_max < avg_out + 512 {
                return None;
            }
            let otpm = if otpm_failures > 0 {
                format!(
                    " With {otpm_failures} OTPM refusal{} in the window, this matters if OTPM is estimated from max_tokens at request start (one reading of the docs; the other counts actual output).",
                    if otpm_failures == 1 { "" } else { "s" }
                )
            } else {
                " If OTPM is estimated from max_tokens at request start (one reading of the docs; the other counts actual output), each request reserves far more than it uses.".to_string()
            };
            let mut evidence = vec![format!(
                "{model}: {} responses, max_tokens {} on average, output tokens {} on average",
                t.n,
                thousands(avg_max),
                thousands(avg_out)
            )];
            if let Some((at, max, out)) = &t.example {
                evidence.push(format!(
                    "{}: max_tokens {}, output_tokens {}",
                    place(sources, at),
                    thousands(*max),
                    thousands(*out)
                ));
            }
            Some(Finding {
                kind: FindingKind::MaxTokensOversized,
                detail: format!(
                    "{model} requests ask for max_tokens {} on average but use {} output tokens ({:.0}x).{otpm}",
                    thousands(avg_max),
                    thousands(avg_out),
                    avg_max as f64 / avg_out.max(1) as f64
                ),
                evidence,
                count: t.n,
                advice: FindingKind::MaxTokensOversized.advice(),
                moments: t.example.iter().filter_map(|(at, _, _)| at.time).collect(),
            })
        })
        .collect()
}

// ---- near the limit -----------------------------------------------------------------------

/// The tightest dimension of a success under 10% of its limit: `(dim, remaining, limit)`.
pub(crate) fn near_limit(ev: &Event) -> Option<(usize, u64, u64)> {
    [REQUESTS, INPUT, OUTPUT]
        .into_iter()
        .filter_map(|d| match ev.dims[d] {
            (Some(l), Some(r)) if l > 0 && r.saturating_mul(10) < l => Some((d, r, l)),
            _ => None,
        })
        .min_by(|a, b| (a.1 as f64 / a.2 as f64).total_cmp(&(b.1 as f64 / b.2 as f64)))
}

/// Advice for subscription usage warnings (no API-key headers to throttle on).
const SUBSCRIPTION_ADVICE: &str = "A subscription usage window is nearly full: pace or pause heavy work until the window resets (anthropic-ratelimit-unified-*-reset), and run sustained or automated heavy work on an API key (pay-as-you-go, own rate limits) instead of the subscription.";
/// Advice when both API-key limits and subscription windows ran close.
const BOTH_ADVICE: &str = "Throttle before the limit: read anthropic-ratelimit-*-remaining and slow down below 10% (see `claude-429 probe`); for subscription traffic, pause heavy work until the usage window resets or move it to an API key.";
/// Subscription windows tracked for evidence (5h, 7d, 7d_opus... are a handful).
const MAX_WINDOWS: usize = 8;

/// The earliest `allowed_warning` of one subscription window.
#[derive(Debug)]
struct Warned {
    at: At,
    window: String,
    utilization: Option<f64>,
    header: String,
}

#[derive(Debug, Default)]
pub(crate) struct Near {
    untimed: u64,
    /// Per dimension: the earliest example `(at, remaining, limit)`.
    first: [Option<(At, u64, u64)>; 3],
    /// Per subscription window: the earliest warning.
    windows: Vec<Warned>,
}

/// Whether `new` comes before what a slot holds (untimed examples only fill empty slots).
fn earlier(old: Option<Option<i64>>, new: Option<i64>) -> bool {
    match (old, new) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(None), Some(_)) => true,
        (Some(Some(old)), Some(new)) => new < old,
    }
}

impl Near {
    /// A success with a subscription `allowed_warning`; `count_untimed` is false when
    /// [`Near::add`] already counted the same response.
    pub(crate) fn add_warning(&mut self, w: &SubWarning, count_untimed: bool, at: &At) {
        if count_untimed && at.time.is_none() {
            self.untimed += 1;
        }
        let slot = self.windows.iter().position(|x| x.window == w.window);
        if slot.is_none() && self.windows.len() >= MAX_WINDOWS {
            return;
        }
        if earlier(slot.map(|i| self.windows[i].at.time), at.time) {
            let warned = Warned {
                at: at.clone(),
                window: w.window.clone(),
                utilization: w.utilization,
                header: w.header.clone(),
            };
            match slot {
                Some(i) => self.windows[i] = warned,
                None => self.windows.push(warned),
            }
        }
    }

    pub(crate) fn add(&mut self, (d, r, l): (usize, u64, u64), at: &At) {
        if at.time.is_none() {
            self.untimed += 1;
        }
        let slot = &mut self.first[d];
        let earlier = match (slot.as_ref().and_then(|s| s.0.time), at.time) {
            (_, None) => slot.is_none(),
            (None, Some(_)) => true,
            (Some(old), Some(new)) => new < old,
        };
        if earlier {
            *slot = Some((at.clone(), r, l));
        }
    }

    fn finish(self, timeline: &Timeline, sources: &[Arc<str>]) -> Option<Finding> {
        let first_refusal = timeline
            .iter()
            .find(|(_, _, b)| b.limit_failures() > 0)
            .map(|(m, _, _)| m);
        let refusals = first_refusal.is_some();
        let before = first_refusal.unwrap_or(i64::MAX);
        let mut count: u64 = timeline
            .iter()
            .take_while(|(m, _, _)| *m < before)
            .map(|(_, _, b)| b.near_limit)
            .sum();
        if !refusals {
            count += self.untimed;
        }
        if count == 0 {
            return None;
        }
        let cutoff = first_refusal.map(|m| m * 60_000);
        let evidence: Vec<String> = self
            .first
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
            .filter(|(_, (at, _, _))| match (at.time, cutoff) {
                (Some(t), Some(c)) => t < c,
                (None, Some(_)) => false,
                (_, None) => true,
            })
            .map(|(i, (at, r, l))| {
                format!(
                    "{}: anthropic-ratelimit-{}-remaining {} of {} ({:.1}% left)",
                    place(sources, at),
                    LIMIT_NAMES[i],
                    thousands(*r),
                    thousands(*l),
                    *r as f64 * 100.0 / *l as f64
                )
            })
            .collect();
        let before_cutoff = |at: &At| match (at.time, cutoff) {
            (Some(t), Some(c)) => t < c,
            (None, Some(_)) => false,
            (_, None) => true,
        };
        let mut windows: Vec<&Warned> = self
            .windows
            .iter()
            .filter(|w| before_cutoff(&w.at))
            .collect();
        windows.sort_by_key(|w| (w.at.time.is_none(), w.at.time));
        let sub_evidence: Vec<String> = windows
            .iter()
            .map(|w| window_evidence(w, sources))
            .collect();
        let (api, sub) = match (evidence.is_empty(), sub_evidence.is_empty()) {
            (true, true) => (
                self.first.iter().any(Option::is_some),
                !self.windows.is_empty(),
            ),
            (a, s) => (!a, !s),
        };
        let mut moments: Vec<i64> = self
            .first
            .iter()
            .flatten()
            .filter_map(|(at, _, _)| at.time)
            .filter(|t| cutoff.is_none_or(|c| *t < c))
            .chain(windows.iter().filter_map(|w| w.at.time))
            .collect();
        moments.sort_unstable();
        moments.dedup();
        let mut evidence = evidence;
        evidence.extend(sub_evidence);
        let when = match first_refusal {
            Some(m) => format!("before the first refusal at {}", hhmm(m)),
            None => "with no refusals yet".to_string(),
        };
        let plural = if count == 1 { "" } else { "s" };
        let (detail, advice) = if sub && !api {
            (
                format!(
                    "{count} successful response{plural} came with a subscription usage warning (allowed_warning) {when}: the usage window was about to close."
                ),
                SUBSCRIPTION_ADVICE,
            )
        } else if sub {
            (
                format!(
                    "{count} successful response{plural} had less than 10% of a limit left or a subscription usage warning {when}: the limit was about to be hit."
                ),
                BOTH_ADVICE,
            )
        } else {
            (
                format!(
                    "{count} successful response{plural} had less than 10% of a limit left {when}: the limit was about to be hit."
                ),
                FindingKind::NearLimit.advice(),
            )
        };
        Some(Finding {
            kind: FindingKind::NearLimit,
            detail,
            evidence,
            count,
            advice,
            moments,
        })
    }
}

/// The evidence line of a subscription window's usage warning.
fn window_evidence(w: &Warned, sources: &[Arc<str>]) -> String {
    let what = if w.window == "subscription" {
        "subscription usage".to_string()
    } else {
        format!("{} window", w.window)
    };
    let how = match w.utilization {
        Some(u) => format!("at {:.0}%", u * 100.0),
        None => "near its cap".to_string(),
    };
    format!(
        "{what} {how} ({}: allowed_warning), first at {}",
        w.header,
        place(sources, &w.at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_trackers_count_what_they_drop() {
        let mut t = Trackers::default();
        let at = At {
            source: 0,
            line: 1,
            time: Some(0),
        };
        for i in 0..(MAX_CLASSES + 8) {
            let ev = Event {
                time: Some(0),
                model: Some(format!("model-{i}")),
                max_tokens: Some(4096),
                output_tokens: Some(100),
                ..Default::default()
            };
            t.add(&ev, &at);
        }
        assert_eq!(t.tokens.len(), MAX_CLASSES);
        assert!(t.dropped() >= 8, "{}", t.dropped());
    }

    #[test]
    fn ramp_needs_a_doubling_and_rises() {
        assert_eq!(rises(&[10, 10, 20, 40, 80, 160], 10), Some((10, 160)));
        // A plateau at the limit is no ramp.
        assert_eq!(rises(&[100, 100, 100, 100, 100, 100], 10), None);
        // Too little history.
        assert_eq!(rises(&[0, 0, 0, 10, 80], 10), None);
        assert_eq!(rises(&[0, 0, 0, 0, 0, 80], 10), None);
        assert_eq!(rises(&[0, 0, 0, 0, 0, 0], 10), None);
        // A single jump is no ramp.
        assert_eq!(rises(&[50, 50, 50, 50, 50, 120], 10), None);
    }

    #[test]
    fn storms_need_repeated_bursts() {
        let mut s = BTreeMap::new();
        s.insert(100, 10);
        s.insert(101, 10);
        s.insert(104, 10);
        let f = storms(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].count, 3);
        // A steady trickle, however high, has no bursts.
        let steady: BTreeMap<i64, u32> = (0..120).map(|i| (i, 10)).collect();
        assert!(storms(&steady).is_empty());
        // One burst alone is concurrency, not a storm.
        let mut one = BTreeMap::new();
        one.insert(100, 20);
        assert!(storms(&one).is_empty());
    }

    fn ev(ms: i64, model: &str, retry_after_ms: Option<u64>) -> Event {
        Event {
            time: Some(ms),
            model: Some(model.into()),
            retry_after_ms,
            ..Default::default()
        }
    }

    fn at(ms: i64) -> At {
        At {
            source: 0,
            line: 1,
            time: Some(ms),
        }
    }

    #[test]
    fn retries_inside_retry_after_are_counted() {
        let mut r = Retries::default();
        r.add(&ev(0, "m", Some(10_000)), Class::Rpm, &at(0));
        // Concurrent failure at the same instant: not a retry.
        r.add(&ev(0, "m", Some(10_000)), Class::Rpm, &at(0));
        // Another model: another logical request.
        r.add(&ev(1_000, "other", None), Class::Rpm, &at(1_000));
        r.add(&ev(2_000, "m", Some(10_000)), Class::Rpm, &at(2_000));
        // After the new window (2 s + 10 s): honoured.
        r.add(&ev(12_500, "m", None), Class::Rpm, &at(12_500));
        assert_eq!(r.count, 1);
        let f = r.finish(&[Arc::from("t")]).unwrap();
        assert!(f.detail.contains("after 2 s"), "{}", f.detail);
    }

    #[test]
    fn near_limit_names_the_subscription_window() {
        let sources: [Arc<str>; 1] = [Arc::from("cc.jsonl")];
        let t0 = 1_763_647_320_000; // 2026-11-20 14:02:00 UTC
        let mut tl = Timeline::default();
        let w = SubWarning {
            window: "5h".into(),
            utilization: Some(0.92),
            header: "anthropic-ratelimit-unified-5h-status".into(),
        };
        let warned = |tl: &mut Timeline| {
            let mut near = Near::default();
            // Out of order on purpose: the earliest is the evidence.
            for (i, dt) in [(3, 30_000), (2, 0), (4, 60_000)] {
                let at = At {
                    source: 0,
                    line: i,
                    time: Some(t0 + dt),
                };
                near.add_warning(&w, true, &at);
                if let Some(b) = tl.bucket((t0 + dt) / 60_000) {
                    b.successes += 1;
                    b.near_limit += 1;
                }
            }
            near
        };
        let f = warned(&mut tl).finish(&tl, &sources).expect("a finding");
        assert_eq!(f.count, 3);
        assert_eq!(
            f.evidence,
            vec![
                "5h window at 92% (anthropic-ratelimit-unified-5h-status: allowed_warning), first at cc.jsonl:2 (14:02:00)"
            ]
        );
        assert!(
            f.detail.contains("subscription usage warning"),
            "{}",
            f.detail
        );
        assert_eq!(f.advice, SUBSCRIPTION_ADVICE);
        assert!(!f.advice.contains("probe"), "{}", f.advice);

        // With an API-key near-limit response too, both kinds of evidence are kept.
        let at = At {
            source: 0,
            line: 1,
            time: Some(t0),
        };
        let mut tl = Timeline::default();
        let mut near = warned(&mut tl);
        near.add((INPUT, 10, 1000), &at);
        let f = near.finish(&tl, &sources).unwrap();
        assert_eq!(f.evidence.len(), 2, "{:?}", f.evidence);
        assert!(
            f.evidence[0].contains("input-tokens-remaining 10 of 1,000"),
            "{:?}",
            f.evidence
        );
        assert!(
            f.evidence[1].starts_with("5h window at 92%"),
            "{:?}",
            f.evidence
        );
        assert_eq!(f.advice, BOTH_ADVICE);
    }

    #[test]
    fn near_limit_picks_the_tightest_dimension() {
        let mut e = Event::default();
        e.dims[REQUESTS] = (Some(1000), Some(50));
        e.dims[INPUT] = (Some(1000), Some(10));
        e.dims[OUTPUT] = (Some(1000), Some(500));
        assert_eq!(near_limit(&e), Some((INPUT, 10, 1000)));
        e.dims[INPUT] = (Some(1000), Some(100));
        e.dims[REQUESTS] = (Some(1000), Some(100));
        assert_eq!(near_limit(&e), None);
    }
}
