//! Scenarios: what the mock's organization looks like (limits per model class), which
//! failures it injects and how fast its clock runs. Each is a small TOML file; the built-ins
//! live in `scenarios/` and are compiled in.

use std::path::Path;

use serde::Deserialize;

/// The built-in scenarios: name, TOML text.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("steady", include_str!("../../scenarios/steady.toml")),
    ("rpm", include_str!("../../scenarios/rpm.toml")),
    ("itpm", include_str!("../../scenarios/itpm.toml")),
    ("otpm", include_str!("../../scenarios/otpm.toml")),
    ("ramp", include_str!("../../scenarios/ramp.toml")),
    ("overload", include_str!("../../scenarios/overload.toml")),
    ("spend", include_str!("../../scenarios/spend.toml")),
    ("workspace", include_str!("../../scenarios/workspace.toml")),
    ("stray-key", include_str!("../../scenarios/stray-key.toml")),
    (
        "subscription",
        include_str!("../../scenarios/subscription.toml"),
    ),
    (
        "shared-limit",
        include_str!("../../scenarios/shared-limit.toml"),
    ),
];

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (defaults to the file name).
    #[serde(default)]
    pub name: String,
    /// One line: what the scenario rehearses.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub org: Org,
    #[serde(default)]
    pub timing: Timing,
    /// Model classes and their limits (the Rate Limits API's `model_group`s).
    #[serde(default = "default_groups", rename = "group")]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub workspace: Option<Workspace>,
    /// Other keys with their own org and limits (a stray key from another tier).
    #[serde(default, rename = "key")]
    pub keys: Vec<KeyProfile>,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub ramp: Option<Ramp>,
    #[serde(default)]
    pub overload: Option<Overload>,
    #[serde(default)]
    pub spend: Option<Spend>,
    #[serde(default)]
    pub subscription: Option<Subscription>,
    /// Responses: how long a generated answer is.
    #[serde(default)]
    pub response: Response,
    /// Names of keys and workspaces for the Admin API's usage report (see `mock::usage`).
    #[serde(default)]
    pub usage: super::usage::Directory,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    #[serde(default = "default_org_id")]
    pub id: String,
}

impl Default for Org {
    fn default() -> Self {
        Org {
            id: default_org_id(),
        }
    }
}

fn default_org_id() -> String {
    "4f1e3a2b-0000-4000-8000-00000000a429".into()
}

/// How OTPM is counted (the docs and field reports disagree; rehearse either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OtpmReading {
    /// Actual output tokens, debited when the answer is produced (the docs' reading). A
    /// request is admitted while the bucket has at least one token.
    #[default]
    Actual,
    /// `max_tokens` debited at request start (some guides' reading): a request whose
    /// `max_tokens` does not fit in the bucket is refused.
    MaxTokens,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    /// Real seconds in one limiter "minute" (default 60). Smaller values compress time so a
    /// rehearsal (or a test) sees refills and resets in seconds; headers still say "per minute".
    #[serde(default = "sixty")]
    pub minute_seconds: f64,
    /// OTPM reading: `actual` (default) or `max_tokens`.
    #[serde(default)]
    pub otpm: OtpmReading,
}

fn sixty() -> f64 {
    60.0
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            minute_seconds: 60.0,
            otpm: OtpmReading::Actual,
        }
    }
}

/// One model class.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    /// Stable group id (`rlg_...`).
    pub id: String,
    pub display_name: String,
    /// Model ids in the class; the first is what `/v1/models` lists first. Requests for other
    /// ids of the same line and major version (`claude-sonnet-4-20250514`) land here too.
    pub models: Vec<String>,
    #[serde(flatten)]
    pub limits: Limits,
}

/// Limits per dimension; a missing one is not enforced.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Limits {
    #[serde(default, deserialize_with = "rpm")]
    pub requests_per_minute: Option<u64>,
    /// Cache-aware: cache reads do not count.
    #[serde(default, deserialize_with = "itpm")]
    pub input_tokens_per_minute: Option<u64>,
    #[serde(default, deserialize_with = "otpm")]
    pub output_tokens_per_minute: Option<u64>,
    /// Input plus output tokens per day (a day is 1440 limiter minutes).
    #[serde(default, deserialize_with = "tpd")]
    pub tokens_per_day: Option<u64>,
}

/// A limit read as any integer, so that a negative one is refused with its name (inside a
/// flattened table serde's own error would not say which field).
fn limit_named<'de, D: serde::Deserializer<'de>>(
    d: D,
    name: &str,
) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    match Option::<i64>::deserialize(d)? {
        None => Ok(None),
        Some(n) if n >= 1 && n as u64 <= MAX_LIMIT => Ok(Some(n as u64)),
        Some(n) => Err(D::Error::custom(format!(
            "{name} must be between 1 and {MAX_LIMIT}, not {n}"
        ))),
    }
}
fn rpm<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    limit_named(d, "requests_per_minute")
}
fn itpm<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    limit_named(d, "input_tokens_per_minute")
}
fn otpm<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    limit_named(d, "output_tokens_per_minute")
}
fn tpd<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    limit_named(d, "tokens_per_day")
}

/// The shortest and longest limiter minute, in seconds (a millisecond to a day).
const MIN_MINUTE: f64 = 0.001;
const MAX_MINUTE: f64 = 86_400.0;
/// The largest limit (per minute or per day) a scenario may set.
const MAX_LIMIT: u64 = 1_000_000_000_000;
/// The latest overload window bound, in seconds since start (a year).
const MAX_SECONDS: f64 = 31_536_000.0;
/// The longest generated answer, in tokens.
const MAX_OUTPUT: u64 = 1_000_000;

impl Limits {
    /// Each limit that is set is between 1 and [`MAX_LIMIT`] (0 would never refill).
    fn check(&self, what: &str) -> Result<(), String> {
        for (name, v) in [
            ("requests_per_minute", self.requests_per_minute),
            ("input_tokens_per_minute", self.input_tokens_per_minute),
            ("output_tokens_per_minute", self.output_tokens_per_minute),
            ("tokens_per_day", self.tokens_per_day),
        ] {
            if let Some(v) = v
                && !(1..=MAX_LIMIT).contains(&v)
            {
                return Err(format!(
                    "{what}: {name} must be between 1 and {MAX_LIMIT}, not {v}"
                ));
            }
        }
        Ok(())
    }

    /// `self` with `over`'s values where set.
    pub fn overlaid(&self, over: &Limits) -> Limits {
        Limits {
            requests_per_minute: over.requests_per_minute.or(self.requests_per_minute),
            input_tokens_per_minute: over
                .input_tokens_per_minute
                .or(self.input_tokens_per_minute),
            output_tokens_per_minute: over
                .output_tokens_per_minute
                .or(self.output_tokens_per_minute),
            tokens_per_day: over.tokens_per_day.or(self.tokens_per_day),
        }
    }

    /// The lower of two limits per dimension (a workspace override cannot raise the org's).
    pub fn min(&self, other: &Limits) -> Limits {
        let m = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Limits {
            requests_per_minute: m(self.requests_per_minute, other.requests_per_minute),
            input_tokens_per_minute: m(self.input_tokens_per_minute, other.input_tokens_per_minute),
            output_tokens_per_minute: m(
                self.output_tokens_per_minute,
                other.output_tokens_per_minute,
            ),
            tokens_per_day: m(self.tokens_per_day, other.tokens_per_day),
        }
    }
}

fn default_groups() -> Vec<Group> {
    let g = |id: &str, name: &str, models: &[&str], rpm, itpm, otpm| Group {
        id: id.into(),
        display_name: name.into(),
        models: models.iter().map(|s| s.to_string()).collect(),
        limits: Limits {
            requests_per_minute: Some(rpm),
            input_tokens_per_minute: Some(itpm),
            output_tokens_per_minute: Some(otpm),
            tokens_per_day: None,
        },
    };
    vec![
        g(
            "rlg_mock_sonnet_4",
            "Claude Sonnet 4.x",
            &["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
            4000,
            2_000_000,
            400_000,
        ),
        g(
            "rlg_mock_opus_4",
            "Claude Opus 4.x",
            &["claude-opus-4-1", "claude-opus-4-1-20250805"],
            4000,
            2_000_000,
            400_000,
        ),
        g(
            "rlg_mock_haiku_4",
            "Claude Haiku 4.x",
            &["claude-haiku-4-5", "claude-haiku-4-5-20251001"],
            4000,
            4_000_000,
            800_000,
        ),
    ]
}

/// A workspace whose keys (every key, unless `keys` says which) get lower overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    pub id: String,
    /// Overrides by group id; enforced as `min(override, org limit)`.
    #[serde(default, rename = "override")]
    pub overrides: Vec<WorkspaceOverride>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkspaceOverride {
    pub group: String,
    #[serde(flatten)]
    pub limits: Limits,
}

/// A key (matched by a substring) that belongs elsewhere: its own org id, its own lower limits
/// (applied to every group), its own buckets.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyProfile {
    /// The key contains this text (e.g. `stray`).
    pub contains: String,
    pub org_id: String,
    #[serde(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// When set, only these keys are accepted (others get 401 `authentication_error`).
    #[serde(default)]
    pub keys: Vec<String>,
}

/// The acceleration limit: per group, a limiter minute may use at most
/// `max(floor, growth × previous minute)` input tokens (or requests).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// `input_tokens` (default, what the real message names) or `requests`.
    #[serde(default = "input_tokens")]
    pub dimension: String,
    /// Allowed in any minute whatever came before.
    pub floor: u64,
    /// Factor over the previous minute's usage.
    #[serde(default = "two")]
    pub growth: f64,
}

fn input_tokens() -> String {
    "input_tokens".into()
}
fn two() -> f64 {
    2.0
}

/// Overloads: a share of requests (seeded, deterministic) fails, optionally only inside a
/// window of seconds since start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overload {
    /// Share of requests refused, 0..=1.
    pub rate: f64,
    /// Seconds since start when overloads begin (default 0).
    #[serde(default)]
    pub start_s: f64,
    /// Seconds since start when they end (default: never).
    #[serde(default)]
    pub end_s: Option<f64>,
    /// Of the non-streamed refusals, the share answered `500 api_error "Overloaded"` (as some
    /// gateways do) instead of `529 overloaded_error`.
    #[serde(default)]
    pub as_500: f64,
    /// Streamed requests: `event` (default: 200, then an `event: error` after
    /// `message_start`) or `status` (a 529 before the stream starts).
    #[serde(default = "event")]
    pub stream: String,
}

fn event() -> String {
    "event".into()
}

/// Spend limit: after `after_requests` successful requests every request is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spend {
    #[serde(default)]
    pub after_requests: u64,
    /// `org` (400 "specified API usage limits"), `workspace` (400 "workspace API usage
    /// limits"), `enforced` (429 `enforced_spend_limit_reached`), `contract` (429
    /// `contract_spend_limit_reached`).
    #[serde(default = "org")]
    pub kind: String,
}

fn org() -> String {
    "org".into()
}

/// Subscription-style (Pro/Max) windows reported in `anthropic-ratelimit-unified-*` headers;
/// budgets are in requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub five_hour_requests: u64,
    pub seven_day_requests: u64,
    /// Utilization from which status is `allowed_warning` (default 0.8).
    #[serde(default = "warn")]
    pub warn_at: f64,
}

fn warn() -> f64 {
    0.8
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Output tokens an answer uses (capped by `max_tokens`).
    #[serde(default = "sixteen")]
    pub output_tokens: u64,
}

fn sixteen() -> u64 {
    16
}

impl Default for Response {
    fn default() -> Self {
        Response { output_tokens: 16 }
    }
}

impl Scenario {
    /// A built-in by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> anyhow::Result<Scenario> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(name, text);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(crate::exit::UsageError(format!(
                "no scenario '{name_or_path}': not a built-in ({}) and no such file",
                names.join(", ")
            ))
            .into());
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            crate::exit::UsageError(format!("cannot read scenario {}: {e}", path.display()))
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario::parse(&stem, &text)
    }

    /// Parses and checks a scenario.
    pub fn parse(default_name: &str, text: &str) -> anyhow::Result<Scenario> {
        let mut s: Scenario = toml::from_str(text).map_err(|e| {
            crate::exit::UsageError(format!("scenario '{default_name}' is not valid: {e}"))
        })?;
        if s.name.is_empty() {
            s.name = default_name.to_string();
        }
        s.check()
            .map_err(|e| crate::exit::UsageError(format!("scenario '{}': {e}", s.name)))?;
        Ok(s)
    }

    fn check(&self) -> Result<(), String> {
        let m = self.timing.minute_seconds;
        if !(m.is_finite() && (MIN_MINUTE..=MAX_MINUTE).contains(&m)) {
            return Err(format!(
                "timing.minute_seconds must be between {MIN_MINUTE} and {MAX_MINUTE}, not {m}"
            ));
        }
        // Every number a request computes with is in range here, never a panic per request.
        for g in &self.groups {
            g.limits.check(&format!("group {}", g.id))?;
        }
        if let Some(w) = &self.workspace {
            for o in &w.overrides {
                o.limits
                    .check(&format!("workspace override for group {}", o.group))?;
            }
        }
        for k in &self.keys {
            k.limits.check(&format!("key profile '{}'", k.contains))?;
        }
        if let Some(r) = &self.ramp {
            if r.floor > MAX_LIMIT {
                return Err(format!("ramp.floor must be at most {MAX_LIMIT}"));
            }
            if !(r.growth.is_finite() && (1.0..=1000.0).contains(&r.growth)) {
                return Err(format!(
                    "ramp.growth must be between 1 and 1000, not {}",
                    r.growth
                ));
            }
        }
        if let Some(o) = &self.overload {
            let ok = |x: f64| x.is_finite() && (0.0..=MAX_SECONDS).contains(&x);
            if !ok(o.start_s) || !o.end_s.is_none_or(ok) {
                return Err(format!(
                    "overload.start_s and overload.end_s must be between 0 and {MAX_SECONDS} seconds"
                ));
            }
        }
        if let Some(s) = &self.subscription {
            if !(s.warn_at.is_finite() && (0.0..=1.0).contains(&s.warn_at)) {
                return Err("subscription.warn_at must be between 0 and 1".into());
            }
            if s.five_hour_requests > MAX_LIMIT || s.seven_day_requests > MAX_LIMIT {
                return Err(format!("subscription budgets must be at most {MAX_LIMIT}"));
            }
        }
        if !(1..=MAX_OUTPUT).contains(&self.response.output_tokens) {
            return Err(format!(
                "response.output_tokens must be between 1 and {MAX_OUTPUT}"
            ));
        }
        if self.groups.is_empty() {
            return Err("at least one [[group]] is needed".into());
        }
        for g in &self.groups {
            if g.models.is_empty() {
                return Err(format!("group {} lists no models", g.id));
            }
        }
        if let Some(w) = &self.workspace {
            for o in &w.overrides {
                if !self.groups.iter().any(|g| g.id == o.group) {
                    return Err(format!("workspace override for unknown group {}", o.group));
                }
            }
        }
        self.usage
            .check(self.workspace.as_ref().map(|w| w.id.as_str()))?;
        if let Some(o) = &self.overload
            && !((0.0..=1.0).contains(&o.rate) && (0.0..=1.0).contains(&o.as_500))
        {
            return Err("overload.rate and overload.as_500 must be between 0 and 1".into());
        }
        if let Some(o) = &self.overload
            && !matches!(o.stream.as_str(), "event" | "status")
        {
            return Err("overload.stream must be \"event\" or \"status\"".into());
        }
        if let Some(r) = &self.ramp
            && !matches!(r.dimension.as_str(), "input_tokens" | "requests")
        {
            return Err("ramp.dimension must be \"input_tokens\" or \"requests\"".into());
        }
        if let Some(sp) = &self.spend
            && !matches!(
                sp.kind.as_str(),
                "org" | "workspace" | "enforced" | "contract"
            )
        {
            return Err(
                "spend.kind must be one of \"org\", \"workspace\", \"enforced\", \"contract\""
                    .into(),
            );
        }
        if let Some(s) = &self.subscription
            && (s.five_hour_requests == 0 || s.seven_day_requests == 0)
        {
            return Err("subscription budgets must be above 0".into());
        }
        Ok(())
    }

    /// Seconds in one limiter minute.
    pub fn minute(&self) -> f64 {
        self.timing.minute_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_parses() {
        for (name, text) in BUILT_IN {
            let s = Scenario::parse(name, text).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert_eq!(&s.name, name);
            assert!(!s.description.is_empty(), "{name} has a description");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(Scenario::parse("x", "nmae = 'typo'").is_err());
        assert!(Scenario::parse("x", "[timing]\nminute_seconds = 0").is_err());
    }

    #[test]
    fn out_of_range_values_are_refused_at_load_with_the_field_named() {
        let group = |limits: &str| {
            format!(
                "[[group]]\nid = \"rlg_1\"\ndisplay_name = \"x\"\nmodels = [\"claude-x\"]\n{limits}\n"
            )
        };
        for (text, field) in [
            (
                "[timing]\nminute_seconds = 1e30".to_string(),
                "minute_seconds",
            ),
            (
                "[timing]\nminute_seconds = -1".to_string(),
                "minute_seconds",
            ),
            (
                "[timing]\nminute_seconds = nan".to_string(),
                "minute_seconds",
            ),
            (group("requests_per_minute = 0"), "requests_per_minute"),
            (
                group("input_tokens_per_minute = 2000000000000"),
                "input_tokens_per_minute",
            ),
            (group("requests_per_minute = -5"), "requests_per_minute"),
            ("[ramp]\nfloor = 1\ngrowth = inf".to_string(), "ramp.growth"),
            (
                "[overload]\nrate = 0.5\nstart_s = 1e300".to_string(),
                "overload.start_s",
            ),
            (
                "[subscription]\nfive_hour_requests = 1\nseven_day_requests = 1\nwarn_at = 7"
                    .to_string(),
                "warn_at",
            ),
            ("[response]\noutput_tokens = 0".to_string(), "output_tokens"),
        ] {
            let e = format!("{:#}", Scenario::parse("x", &text).unwrap_err());
            assert!(e.contains(field), "{text}: {e}");
        }
    }
}
