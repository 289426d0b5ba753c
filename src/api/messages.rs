//! The Messages probe: one minimal `POST /v1/messages` (a one-word prompt, `max_tokens: 1`)
//! and the `anthropic-ratelimit-*` headers it returns, read into dimensions with a headroom
//! verdict each.
//!
//! A probe is sent once. Nothing here retries, whatever the status: a probe must never loop
//! into the limit it is measuring (anthropic-rate-limits.md §6).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ApiError, Client};
use crate::capture::headers::parse_int;

/// The Messages endpoint.
pub const MESSAGES_PATH: &str = "/v1/messages";

/// The probe's whole prompt: one word, about eight input tokens with the message framing.
pub const PROBE_PROMPT: &str = "hi";

/// The JSON body of a probe: the smallest Messages request that returns the rate-limit headers.
pub fn probe_body(model: &str) -> serde_json::Value {
    serde_json::json!({
        "model": model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": PROBE_PROMPT}],
    })
}

/// Token counts from a success body's `usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Usage {
    /// Input tokens billed (cache reads and writes included).
    pub input_tokens: u64,
    /// Output tokens produced.
    pub output_tokens: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// What one probe got back, whatever the status.
#[derive(Debug, Clone)]
pub struct ProbeResponse {
    /// The full URL the probe went to.
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// Response headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, when it was JSON.
    pub body: Option<serde_json::Value>,
    /// The body as text (capped), for bodies that are not JSON.
    pub body_text: String,
    /// Time from sending to the end of the body.
    pub elapsed: Duration,
}

/// Longest non-JSON body text kept.
const MAX_BODY_TEXT: usize = 2000;

impl ProbeResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `usage` of a success body.
    pub fn usage(&self) -> Option<Usage> {
        let u = self.body.as_ref()?.get("usage")?;
        let n = |k: &str| u.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        Some(Usage {
            input_tokens: n("input_tokens")
                .saturating_add(n("cache_creation_input_tokens"))
                .saturating_add(n("cache_read_input_tokens")),
            output_tokens: n("output_tokens"),
        })
    }

    /// The model the API says answered (aliases resolve to a dated id).
    pub fn model(&self) -> Option<&str> {
        self.body.as_ref()?.get("model")?.as_str()
    }

    /// `error.message` of an error body, else the start of the body text.
    pub fn error_message(&self) -> String {
        error_message(self.body.as_ref(), &self.body_text)
    }
}

/// `error.message` of an API error body, else the start of the raw text.
pub fn error_message(body: Option<&serde_json::Value>, text: &str) -> String {
    body.and_then(|v| v.pointer("/error/message").or_else(|| v.get("message")))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            let t = text.trim();
            if t.is_empty() {
                "(no body)".to_string()
            } else {
                t.chars().take(200).collect()
            }
        })
}

/// Sends one probe for `model`. Transport failures (timeout, refused connection) are errors;
/// every HTTP status, 429 and 529 included, comes back as a [`ProbeResponse`] for the caller
/// to judge. Never retried.
pub async fn send_probe(client: &Client, model: &str) -> Result<ProbeResponse, ApiError> {
    let url = client.url(MESSAGES_PATH);
    let started = Instant::now();
    let resp = client
        .request(reqwest::Method::POST, MESSAGES_PATH)
        .json(&probe_body(model))
        .send()
        .await
        .map_err(|e| client.transport_error(&url, e))?;
    let status = resp.status().as_u16();
    if resp.status().is_redirection() {
        return Err(client.redirect_error(&url, &resp));
    }
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    let bytes = client
        .read_body(&url, resp, super::client::MAX_BODY)
        .await?;
    let body = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    // A 2xx that is not a Messages answer (an HTML page from a wrong base URL, a proxy's
    // login page) measured nothing: an error, not a success.
    if (200..300).contains(&status)
        && body
            .as_ref()
            .and_then(|b| b.get("type"))
            .and_then(|t| t.as_str())
            != Some("message")
    {
        let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(80)
            .collect();
        return Err(ApiError::BadBody {
            url,
            reason: client.scrub(&crate::redact::keys(&if body.is_some() {
                format!("a {status} without a Messages answer (no \"type\": \"message\"): {start}")
            } else if start.is_empty() {
                format!("a {status} with an empty body")
            } else {
                format!("a {status} that is not JSON; it starts: {start}")
            })),
        });
    }
    let body_text = if body.is_some() {
        String::new()
    } else {
        String::from_utf8_lossy(&bytes)
            .chars()
            .take(MAX_BODY_TEXT)
            .collect()
    };
    Ok(ProbeResponse {
        url,
        status,
        headers,
        body,
        body_text,
        elapsed: started.elapsed(),
    })
}

pub use crate::ratelimit::DimensionName;

/// How much room a dimension has left.
///
/// * `exhausted`: 0 remaining (token values may be rounded to the nearest thousand, so this
///   can mean "under 500 left");
/// * `tight`: less than [`TIGHT_BELOW_PCT`] % of the limit remaining;
/// * `ok`: at least [`TIGHT_BELOW_PCT`] % remaining;
/// * `unknown`: the headers do not give both a limit and a remaining value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Headroom {
    Exhausted,
    Tight,
    Ok,
    Unknown,
}

/// Below this share of the limit remaining, a dimension is `tight`.
pub const TIGHT_BELOW_PCT: f64 = 20.0;

impl Headroom {
    pub fn of(limit: Option<u64>, remaining: Option<u64>) -> Headroom {
        match (limit, remaining) {
            (_, Some(r)) if crate::ratelimit::exhausted_now(r) => Headroom::Exhausted,
            (Some(l), Some(r)) if l > 0 => {
                if (r as f64) * 100.0 < (l as f64) * TIGHT_BELOW_PCT {
                    Headroom::Tight
                } else {
                    Headroom::Ok
                }
            }
            _ => Headroom::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Headroom::Exhausted => "exhausted",
            Headroom::Tight => "tight",
            Headroom::Ok => "ok",
            Headroom::Unknown => "unknown",
        }
    }
}

/// One dimension as the headers show it, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Dimension {
    /// `requests`, `input_tokens`, `output_tokens` or `tokens` (the combined view).
    pub name: DimensionName,
    /// `anthropic-ratelimit-*-limit`.
    pub limit: Option<u64>,
    /// `anthropic-ratelimit-*-remaining` (token values may be rounded to thousands).
    pub remaining: Option<u64>,
    /// Share of the limit in use, in percent, rounded up to one decimal.
    pub used_pct: Option<f64>,
    /// `anthropic-ratelimit-*-reset`: when the bucket is full again (RFC 3339, UTC).
    pub reset: Option<String>,
    /// Seconds from the probe's answer to `reset`, rounded up (0 when already past).
    pub reset_in_s: Option<i64>,
    /// ok, tight, exhausted or unknown (see the thresholds in [`Headroom`]).
    pub headroom: Headroom,
    /// The org's configured value for this dimension (Rate Limits API), with an admin key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_limit: Option<f64>,
    /// The limiter type `org_limit` came from, e.g. `requests_per_minute`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_limiter: Option<String>,
}

impl Dimension {
    /// remaining / limit, for ordering by tightness (None when unknown).
    pub fn left_ratio(&self) -> Option<f64> {
        match (self.limit, self.remaining) {
            (_, Some(0)) => Some(0.0),
            (Some(l), Some(r)) if l > 0 => Some(r as f64 / l as f64),
            _ => None,
        }
    }

    /// The parsed reset time.
    pub fn reset_time(&self) -> Option<DateTime<Utc>> {
        self.reset.as_deref().and_then(parse_reset)
    }
}

fn parse_reset(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads every dimension the headers show (a dimension is shown when its limit or remaining
/// header is there). `now` is when the answer arrived, for `reset_in_s`.
pub fn parse_dimensions<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    now: DateTime<Utc>,
) -> Vec<Dimension> {
    DimensionName::ALL
        .iter()
        .filter_map(|&name| {
            let h = |f: &str| get(&format!("anthropic-ratelimit-{}-{f}", name.header_infix()));
            let limit = h("limit").and_then(parse_int);
            let remaining = h("remaining").and_then(parse_int);
            if limit.is_none() && remaining.is_none() {
                return None;
            }
            let reset_raw = h("reset").map(str::trim).filter(|s| !s.is_empty());
            let reset_at = reset_raw.and_then(parse_reset);
            let used_pct = match (limit, remaining) {
                (Some(l), Some(r)) if l > 0 => {
                    // Rounded up to a tenth, so a little use never reads as 0.0%.
                    let used = l.saturating_sub(r) as f64 * 100.0 / l as f64;
                    Some(((used * 10.0).ceil() / 10.0).min(100.0))
                }
                _ => None,
            };
            Some(Dimension {
                name,
                limit,
                remaining,
                used_pct,
                reset: match reset_at {
                    Some(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    None => reset_raw.map(str::to_string),
                },
                // Rounded up: a reset 0.4 s away is "in 1 s", not "now".
                reset_in_s: reset_at.map(|t| ((t - now).num_milliseconds().max(0) + 999) / 1000),
                headroom: Headroom::of(limit, remaining),
                org_limit: None,
                org_limiter: None,
            })
        })
        .collect()
}

/// The dimension with the least room left; on a tie the specific views (requests, input,
/// output) win over the combined `tokens` view, which only repeats one of them.
pub fn tightest(dims: &[Dimension]) -> Option<&Dimension> {
    dims.iter()
        .filter_map(|d| d.left_ratio().map(|r| (r, d)))
        .min_by(|(ra, a), (rb, b)| {
            ra.total_cmp(rb).then_with(|| {
                (a.name == DimensionName::Tokens).cmp(&(b.name == DimensionName::Tokens))
            })
        })
        .map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_reset(s).unwrap()
    }

    #[test]
    fn body_is_minimal() {
        let b = probe_body("claude-x");
        assert_eq!(b["max_tokens"], 1);
        assert_eq!(b["model"], "claude-x");
        assert_eq!(b["messages"][0]["content"], PROBE_PROMPT);
    }

    #[test]
    fn thresholds() {
        assert_eq!(Headroom::of(Some(100), Some(0)), Headroom::Exhausted);
        assert_eq!(Headroom::of(None, Some(0)), Headroom::Exhausted);
        assert_eq!(Headroom::of(Some(100), Some(19)), Headroom::Tight);
        assert_eq!(Headroom::of(Some(100), Some(20)), Headroom::Ok);
        assert_eq!(Headroom::of(Some(0), Some(5)), Headroom::Unknown);
        assert_eq!(Headroom::of(None, Some(5)), Headroom::Unknown);
    }

    #[test]
    fn parses_headers_and_picks_tightest() {
        let h = [
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:23Z"),
            ("anthropic-ratelimit-input-tokens-limit", "30,000"),
            ("anthropic-ratelimit-input-tokens-remaining", "3000"),
            ("anthropic-ratelimit-tokens-limit", "30000"),
            ("anthropic-ratelimit-tokens-remaining", "3000"),
        ];
        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        let dims = parse_dimensions(get, at("2026-01-01T00:00:00Z"));
        assert_eq!(dims.len(), 3);
        assert_eq!(dims[0].reset_in_s, Some(23));
        assert_eq!(dims[0].used_pct, Some(2.0));
        assert_eq!(dims[1].used_pct, Some(90.0));
        assert_eq!(dims[1].limit, Some(30_000));
        assert_eq!(dims[1].headroom, Headroom::Tight);
        assert_eq!(tightest(&dims).unwrap().name, DimensionName::InputTokens);
    }
}
