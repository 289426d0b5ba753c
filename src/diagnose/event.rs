//! One exchange as the incident analysis sees it: when, which model, what the rate-limit
//! headers said, what the request asked for, and the verdict when it failed.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::capture::Capture;
use crate::capture::headers::parse_int;
use crate::capture::jsonl::{self, Exchange};
use crate::capture::scan::{Handler, Light};
use crate::classify::{self, Verdict, subscription};
use crate::exchange::Headers;

/// Index of each dimension in [`Event::dims`] (the order of [`jsonl::LIGHT_DIMS`]).
pub const REQUESTS: usize = 0;
pub const INPUT: usize = 1;
pub const OUTPUT: usize = 2;
pub const TOKENS: usize = 3;

/// One exchange (success or failure), reduced to what the analysis reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// 1-based line where the capture starts.
    pub line: u64,
    /// Milliseconds since the Unix epoch (UTC), when the capture says.
    pub time: Option<i64>,
    pub status: Option<u16>,
    pub model: Option<String>,
    /// `(limit, remaining)` per dimension: requests, input-tokens, output-tokens, tokens.
    pub dims: [(Option<u64>, Option<u64>); 4],
    pub org_id: Option<String>,
    pub workspace_id: Option<String>,
    /// What the response told the client to wait: `retry-after-ms`, else `retry-after`
    /// (seconds or an HTTP date). Reset headers are not counted: they are not an instruction.
    pub retry_after_ms: Option<u64>,
    pub max_tokens: Option<u64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The request body's size, when logged (a retry resends the same body).
    pub request_bytes: Option<u64>,
    /// The verdict, for failures.
    pub verdict: Option<Box<Verdict>>,
    /// A subscription usage window close to its cap (`allowed_warning`).
    pub warning: Option<Box<SubWarning>>,
}

/// A subscription window's `allowed_warning` (`anthropic-ratelimit-unified-*`): which window,
/// how full, and the header that said so.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubWarning {
    /// `5h`, `7d`, `7d_opus`... (`subscription` when the headers name none).
    pub window: String,
    /// How full, 0..1, when the headers say.
    pub utilization: Option<f64>,
    /// `anthropic-ratelimit-unified-5h-status` or `anthropic-ratelimit-unified-status`.
    pub header: String,
}

impl SubWarning {
    /// From the unified headers; `None` without an `allowed_warning`.
    pub fn from_headers(h: &Headers) -> Option<Box<SubWarning>> {
        let (window, utilization) = subscription::warning(h)?;
        let own = format!("anthropic-ratelimit-unified-{window}-status");
        let header = if h
            .get(&own)
            .is_some_and(|v| v.eq_ignore_ascii_case("allowed_warning"))
        {
            own
        } else {
            "anthropic-ratelimit-unified-status".to_string()
        };
        Some(Box::new(SubWarning {
            window,
            utilization,
            header,
        }))
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl Event {
    /// From a full capture: classified here (in a scan worker for JSON Lines).
    pub fn from_capture(c: &Capture) -> Event {
        let mut dims = [(None, None); 4];
        for (d, [limit, remaining, _]) in dims.iter_mut().zip(crate::ratelimit::DIM_HEADERS) {
            let h = |header: &str| c.headers.get(header).and_then(parse_int);
            *d = (h(limit), h(remaining));
        }
        let retry_after_ms = c
            .headers
            .get("retry-after-ms")
            .and_then(parse_int)
            .or_else(|| {
                c.headers
                    .get("retry-after")
                    .and_then(|_| classify::retry_after(c, None))
                    .map(|s| s.saturating_mul(1000))
            });
        Event {
            line: c.line,
            time: c.time.map(millis),
            status: c.status,
            model: c.model.clone(),
            dims,
            org_id: c
                .headers
                .get("anthropic-organization-id")
                .map(str::to_string),
            workspace_id: c.headers.get("anthropic-workspace-id").map(str::to_string),
            retry_after_ms,
            max_tokens: c.request.max_tokens,
            input_tokens: c.request.input_tokens,
            output_tokens: c.output_tokens,
            request_bytes: c.request.bytes,
            verdict: classify::classify(c).map(Box::new),
            warning: SubWarning::from_headers(&c.headers),
        }
    }

    /// From a plain success read by the light JSON Lines parser.
    pub fn from_light(line: u64, x: Exchange) -> Event {
        Event {
            line,
            time: x.time.map(millis),
            status: x.status,
            model: x.model,
            dims: x.dims,
            org_id: x.org_id,
            workspace_id: x.workspace_id,
            retry_after_ms: None,
            max_tokens: x.max_tokens,
            input_tokens: x.input_tokens,
            output_tokens: x.output_tokens,
            request_bytes: None,
            verdict: None,
            warning: if x.unified.is_empty() {
                None
            } else {
                SubWarning::from_headers(&x.unified)
            },
        }
    }

    pub fn is_failure(&self) -> bool {
        self.verdict.is_some()
    }
}

/// The scan handler for `diagnose`: plain successes through the light parser, everything
/// else parsed and classified, all in the scan's workers.
pub struct Events;

impl Handler for Events {
    type Item = Event;

    fn plain_success(&self, _: &Arc<str>, line_no: u64, line: &[u8]) -> Light<Event> {
        match jsonl::parse_lazy(line) {
            Some(x) => Light::Item(Event::from_light(line_no, x)),
            None => Light::Full,
        }
    }

    fn capture(&self, c: Capture) -> Option<Event> {
        Some(Event::from_capture(&c))
    }
}

/// The model class a model belongs to, for comparing limits: limits are set per class
/// ("Claude Sonnet 4.x"). The one rule is [`crate::ratelimit::model_class`].
pub fn model_class(model: &str) -> String {
    crate::ratelimit::model_class(model, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_classes() {
        assert_eq!(model_class("claude-sonnet-4-5"), "Claude Sonnet 4.x");
        assert_eq!(model_class("claude-sonnet-4-20250514"), "Claude Sonnet 4.x");
        assert_eq!(
            model_class("claude-3-5-sonnet-20240620"),
            "Claude Sonnet 3.x"
        );
        assert_eq!(model_class("claude-opus-4-1"), "Claude Opus 4.x");
        assert_eq!(model_class("gpt-x"), "gpt-x");
    }

    #[test]
    fn light_and_full_paths_agree() {
        let line = r#"{"ts":"2026-11-20T14:00:00.039Z","status":200,"headers":{"Anthropic-Ratelimit-Requests-Limit":"4,000","anthropic-ratelimit-requests-remaining":12,"anthropic-organization-id":"org-1","anthropic-ratelimit-tokens-limit":"9"},"body":{"type":"message","model":"m-body","usage":{"output_tokens":388}},"request":{"model":"claude-sonnet-4-5","max_tokens":4096,"input_tokens":17777}}"#;
        let light = Event::from_light(7, jsonl::parse_light(line.as_bytes()).unwrap());
        let src: Arc<str> = Arc::from("t");
        let jsonl::Parsed::Capture(c) = jsonl::parse_full(&src, 7, line.as_bytes(), false) else {
            panic!("a capture")
        };
        let full = Event::from_capture(&c);
        assert_eq!(light, full);
        assert_eq!(light.dims[REQUESTS], (Some(4000), Some(12)));
        assert_eq!(light.output_tokens, Some(388));
        assert!(
            full.verdict.is_none(),
            "a 200 with a message body is no failure"
        );
    }

    #[test]
    fn light_and_full_paths_agree_on_variants() {
        let src: Arc<str> = Arc::from("t");
        for line in [
            r#"{"time":1763647200,"status":"200 OK","headers":{"anthropic-ratelimit-input-tokens-limit":2000000,"anthropic-ratelimit-input-tokens-remaining":1.5e3}}"#,
            r#"{"timestamp":1763647200123,"statusCode":201,"response_headers":{"anthropic-workspace-id":"wrkspc_1"},"body":"event: message_start\ndata: {}"}"#,
            r#"{"ts":"2026-11-20 14:00:00","status":200,"model":"top","body":{"model":"b","usage":null}}"#,
            r#"{"ts":"2026-11-20T14:00:00+02:00","status":204,"request":{"max_tokens":-1},"model":"top"}"#,
            r#"{"status":200,"headers":{"anthropic-ratelimit-requests-limit":"1 000","anthropic-ratelimit-requests-reset":"x"},"body":[1,2]}"#,
        ] {
            let light = jsonl::parse_light(line.as_bytes())
                .map(|x| Event::from_light(3, x))
                .unwrap_or_else(|| panic!("light parse: {line}"));
            let jsonl::Parsed::Capture(c) = jsonl::parse_full(&src, 3, line.as_bytes(), false)
            else {
                panic!("a capture: {line}")
            };
            assert_eq!(light, Event::from_capture(&c), "{line}");
        }
    }

    #[test]
    fn subscription_warning_from_light_and_full_paths() {
        let src: Arc<str> = Arc::from("t");
        let line = r#"{"ts":"2026-11-20T14:02:00Z","status":200,"headers":{"Anthropic-Ratelimit-Unified-Status":"allowed_warning","anthropic-ratelimit-unified-5h-status":"allowed_warning","anthropic-ratelimit-unified-5h-utilization":0.92,"anthropic-ratelimit-unified-5h-reset":1763650800,"anthropic-ratelimit-unified-7d-status":"allowed","anthropic-ratelimit-unified-7d-utilization":"0.41","anthropic-ratelimit-unified-representative-claim":"five_hour"},"body":{"type":"message","model":"claude-opus-4-1"}}"#;
        let light = Event::from_light(2, jsonl::parse_light(line.as_bytes()).unwrap());
        let jsonl::Parsed::Capture(c) = jsonl::parse_full(&src, 2, line.as_bytes(), false) else {
            panic!("a capture")
        };
        let full = Event::from_capture(&c);
        assert_eq!(light, full);
        let w = light.warning.expect("allowed_warning read");
        assert_eq!(w.window, "5h");
        assert_eq!(w.utilization, Some(0.92));
        assert_eq!(w.header, "anthropic-ratelimit-unified-5h-status");
        assert!(full.verdict.is_none(), "a warning is no failure");

        // Only the overall status warns: the header named is the overall one.
        let line = r#"{"status":200,"headers":{"anthropic-ratelimit-unified-status":"allowed_warning","anthropic-ratelimit-unified-7d-utilization":0.95,"anthropic-ratelimit-unified-representative-claim":"seven_day"}}"#;
        let light = Event::from_light(1, jsonl::parse_light(line.as_bytes()).unwrap());
        let w = light.warning.clone().unwrap();
        assert_eq!(
            (w.window.as_str(), w.utilization, w.header.as_str()),
            ("7d", Some(0.95), "anthropic-ratelimit-unified-status")
        );
        let jsonl::Parsed::Capture(c) = jsonl::parse_full(&src, 1, line.as_bytes(), false) else {
            panic!("a capture")
        };
        assert_eq!(light, Event::from_capture(&c));

        // `allowed` and API-key traffic carry no warning.
        for line in [
            r#"{"status":200,"headers":{"anthropic-ratelimit-unified-status":"allowed","anthropic-ratelimit-unified-5h-utilization":0.2}}"#,
            r#"{"status":200,"headers":{"anthropic-ratelimit-requests-remaining":"3"}}"#,
        ] {
            let light = Event::from_light(1, jsonl::parse_light(line.as_bytes()).unwrap());
            assert!(light.warning.is_none(), "{line}");
        }
    }

    #[test]
    fn light_parser_declines_other_shapes() {
        for line in [
            r#"{"status":200,"response":{"status":200}}"#,
            r#"{"status":200,"headers":[{"name":"a","value":"b"}]}"#,
            r#"{"ts":"x","time":"y","status":200}"#,
            r#"{"headers":{}}"#,
        ] {
            assert!(jsonl::parse_light(line.as_bytes()).is_none(), "{line}");
        }
    }
}
