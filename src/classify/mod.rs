//! Capture -> Verdict. Precedence, as the design fixes it: `error.details.error_code` >
//! headers with an exhausted dimension > message text > status alone. Conflicting or missing
//! evidence lowers the confidence; a confident wrong answer is the worst outcome.

pub mod aws;
pub mod codes;
pub(crate) mod fitting;
pub mod provider;
mod quote;
pub mod rules;
pub mod subscription;
pub mod summary;

pub use provider::Provider;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::exchange::headers::parse_int;
use crate::exchange::{Capture, Format};
use crate::fixes;
use crate::ratelimit::DimensionName;

pub use crate::verdict::Class;

use aws::{AWS_CONTEXT, AwsRow, aws_exception};
use codes::{ERROR_CODES, code_in_text, kind_in_text};
use quote::{quote, quote_around};

/// How sure a verdict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Possible,
    Likely,
    Certain,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Certain => "certain",
        }
    }
}

/// The fix printed with a verdict, chosen once by `fixes::choose` from its class, provider
/// and evidence; every output prints this one.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct FixRef {
    /// The first thing to do.
    pub first: &'static str,
    /// What to do next.
    pub then: &'static str,
    /// The fix in a few words (table rows, hook and live lines).
    pub short: &'static str,
    /// Whether waiting (honouring retry-after / the reset) clears it.
    pub waiting_helps: bool,
}

impl From<fixes::Chosen> for FixRef {
    fn from(c: fixes::Chosen) -> Self {
        FixRef {
            first: c.first,
            then: c.then,
            short: c.short,
            waiting_helps: c.waiting_helps,
        }
    }
}

/// The judgement on one failed request.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Verdict {
    /// Input path (`-` for stdin).
    pub source: String,
    /// 1-based line where the capture starts.
    pub line: u64,
    /// When the failure happened (RFC 3339, UTC), when the capture says.
    pub time: Option<String>,
    /// HTTP status, when the capture shows one.
    pub status: Option<u16>,
    /// Model named by the request, the URL or the message.
    pub model: Option<String>,
    /// The verdict.
    pub class: Class,
    /// How sure: certain, likely or possible.
    pub confidence: Confidence,
    /// The header, code or sentence lines that decided it, strongest first.
    pub evidence: Vec<String>,
    /// Seconds to wait before retrying: `retry-after`, `retry-after-ms`, or the relevant reset.
    pub retry_after_s: Option<u64>,
    /// The request id (`req_...`), from the body or the `request-id` header.
    pub request_id: Option<String>,
    /// The decision table's fix for this class.
    pub fix: FixRef,
    /// Which input format the capture came in.
    pub format: Format,
    /// `error.type` of the body, when there was one.
    pub error_type: Option<String>,
    /// `error.details.error_code`, when there was one.
    pub error_code: Option<String>,
    /// The configured limit involved (from the header or the message), when known.
    pub limit: Option<u64>,
    /// When the exhausted bucket is full again (RFC 3339), when known.
    pub reset: Option<String>,
    /// Why this class, in one line (the decision table's reason, or what a non-limit error is).
    pub why: String,
    /// Who answered: `anthropic`, `bedrock`, `vertex`, or `unknown` when nothing tells.
    pub provider: Provider,
    /// The subscription windows (`anthropic-ratelimit-unified-*`), when the headers show them.
    pub subscription: Option<subscription::Windows>,
}

/// One `anthropic-ratelimit-*` dimension as read from headers.
#[derive(Debug, Clone, Default)]
pub struct Dim {
    pub name: &'static str,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<String>,
}

impl Dim {
    /// The dimension's `remaining` header, written out for the four dimensions [`dims`] reads.
    fn remaining_header(&self) -> std::borrow::Cow<'static, str> {
        use crate::ratelimit::{DIM_HEADERS, HEADER_INFIXES};
        match HEADER_INFIXES.iter().position(|i| *i == self.name) {
            Some(d) => DIM_HEADERS[d][1].into(),
            None => format!("anthropic-ratelimit-{}-remaining", self.name).into(),
        }
    }

    /// Exhausted by the failure rule ([`crate::ratelimit::exhausted_on_failure`]: zero, or at
    /// most 1% of the limit), or below what the request itself needs.
    fn exhausted(&self, need: Option<u64>) -> bool {
        match self.remaining {
            Some(r) if crate::ratelimit::exhausted_on_failure(r, self.limit) => true,
            Some(r) => need.is_some_and(|n| r < n),
            None => false,
        }
    }

    fn evidence(&self) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(64);
        s.push_str(&self.remaining_header());
        s.push_str(": ");
        match self.remaining {
            Some(r) => write!(s, "{r}").expect("a String takes any write"),
            None => s.push('?'),
        }
        if let Some(l) = self.limit {
            write!(s, " (limit {l})").expect("a String takes any write");
        }
        s
    }
}

/// The shared dimension vocabulary ([`crate::ratelimit::DimensionName`]) and the class each
/// dimension's exhaustion means.
const DIMS: [(&str, Class); 4] = [
    (DimensionName::Requests.header_infix(), Class::Rpm),
    (DimensionName::InputTokens.header_infix(), Class::Itpm),
    (DimensionName::OutputTokens.header_infix(), Class::Otpm),
    (DimensionName::Tokens.header_infix(), Class::Itpm),
];

/// Reads the four rate-limit dimensions that the headers show.
pub fn dims(c: &Capture) -> Vec<Dim> {
    DIMS.iter()
        .zip(crate::ratelimit::DIM_HEADERS)
        .filter_map(|((name, _), [limit, remaining, reset])| {
            let h = |header: &str| c.headers.get(header);
            let d = Dim {
                name,
                limit: h(limit).and_then(parse_int),
                remaining: h(remaining).and_then(parse_int),
                reset: h(reset).map(str::to_string),
            };
            (d.limit.is_some() || d.remaining.is_some()).then_some(d)
        })
        .collect()
}

fn dim_class(name: &str) -> Class {
    DIMS.iter()
        .find(|(n, _)| *n == name)
        .map_or(Class::Unknown, |(_, c)| *c)
}

/// Is this capture a failure at all? Successes get no verdict.
pub fn is_failure(c: &Capture) -> bool {
    if c.stream_error || subscription::rejected(c).is_some() {
        return true;
    }
    match c.status {
        Some(s) if s >= 400 => true,
        Some(_) => c.error.kind.is_some() || c.error.error_code.is_some(),
        None => {
            !c.error.is_empty()
                || c.headers.get("retry-after").is_some()
                || c.headers.get("retry-after-ms").is_some()
                || dims(c).iter().any(|d| d.exhausted(None))
                || (!c.text.is_empty() && rules::first_match(&rules::normalise(&c.text)).is_some())
                || (!c.text.is_empty() && aws_exception(&c.text.to_ascii_lowercase()).is_some())
                || (!c.text.is_empty() && codes::cut_kind(&c.text).is_some())
                || (c.format != Format::Text && names_refusal_type(&c.text))
        }
    }
}

/// A rate-limit or overload error type named in the text of a capture that has a format's
/// shape (a literal that did not parse: `{"type":"error","error":{"type":"rate_limit_error",
/// "message":"This request would exc`): the refusal is there even though the message was cut.
fn names_refusal_type(text: &str) -> bool {
    !text.is_empty()
        && matches!(
            kind_in_text(&rules::normalise(text)),
            Some("rate_limit_error" | "overloaded_error")
        )
}

/// Builder for a verdict's class, confidence and evidence.
#[derive(Debug)]
struct Judgement {
    class: Class,
    confidence: Confidence,
    evidence: Vec<String>,
    why: Option<String>,
    limit: Option<u64>,
    reset: Option<String>,
    /// A keyed fix variant (`fixes::VARIANTS`), e.g. `credit`.
    fix_key: Option<&'static str>,
    subscription: Option<subscription::Windows>,
}

impl Judgement {
    fn new(class: Class, confidence: Confidence) -> Self {
        Judgement {
            class,
            confidence,
            evidence: Vec::new(),
            why: None,
            limit: None,
            reset: None,
            fix_key: None,
            subscription: None,
        }
    }
    fn ev(mut self, e: impl Into<String>) -> Self {
        self.evidence.push(e.into());
        self
    }
    fn ev_opt(self, e: Option<&String>) -> Self {
        match e {
            Some(e) => self.ev(e.clone()),
            None => self,
        }
    }
    fn why(mut self, w: impl Into<String>) -> Self {
        self.why = Some(w.into());
        self
    }
    fn cap(mut self, max: Confidence) -> Self {
        self.confidence = self.confidence.min(max);
        self
    }
}

/// The error type, taking an OpenAI-compatible `code` ("rate_limit_error") over a wrong `type`.
fn error_kind(c: &Capture) -> Option<&str> {
    let code = c.error.code.as_deref().filter(|k| k.ends_with("_error"));
    match (c.error.kind.as_deref(), code) {
        (Some("invalid_request_error"), Some(code)) => Some(code),
        (Some(k), _) => Some(k),
        (None, code) => code,
    }
}

/// Everything the precedence steps read, computed once per capture.
struct Ctx<'a> {
    c: &'a Capture,
    status: Option<u16>,
    message: &'a str,
    norm_msg: String,
    norm_text: String,
    kind: Option<&'a str>,
    status_ev: Option<String>,
    /// A known stable code: from the field, else from text (and whether field-shaped).
    code: Option<(&'a str, CodeSource)>,
    unknown_code: Option<String>,
    matched: Option<(&'static rules::TextRule, &'static str, bool)>,
    msg_limit: Option<u64>,
    dims: Vec<Dim>,
    exhausted: Vec<Dim>,
    rate_limited: bool,
    aws: Option<&'static AwsRow>,
    /// The error type a cut-off paste started to name (see [`codes::cut_kind`]).
    cut: Option<(&'static str, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeSource {
    Field,
    TextField,
    Prose,
}

impl<'a> Ctx<'a> {
    fn new(c: &'a Capture) -> Ctx<'a> {
        let status = c.status;
        let norm_text = rules::normalise(&c.text);
        let message = c.error.message.as_deref().unwrap_or("");
        let norm_msg = rules::normalise(message);
        // With no parsed body, error types named in the text still count.
        let text_kind = if c.error.is_empty() {
            kind_in_text(&norm_text)
        } else {
            None
        };
        let kind = error_kind(c).or(text_kind);
        let mut unknown_code = None;
        let code = match c.error.error_code.as_deref() {
            Some(k) if ERROR_CODES.iter().any(|(x, _, _)| *x == k) => Some((k, CodeSource::Field)),
            Some(k) => {
                unknown_code = Some(k.to_string());
                None
            }
            None => code_in_text(&norm_msg)
                .or_else(|| code_in_text(&norm_text))
                .map(|(k, field)| {
                    let src = if field && c.error.is_empty() {
                        CodeSource::TextField
                    } else {
                        CodeSource::Prose
                    };
                    (k, src)
                }),
        };
        let matched = rules::first_match(&norm_msg)
            .map(|(r, p)| (r, p, true))
            .or_else(|| rules::first_match(&norm_text).map(|(r, p)| (r, p, false)));
        let msg_limit =
            rules::limit_in_message(&norm_msg).or_else(|| rules::limit_in_message(&norm_text));
        let dims = dims(c);
        let need_input = c.request.input_tokens;
        let exhausted: Vec<Dim> = dims
            .iter()
            .filter(|d| {
                d.exhausted(match d.name {
                    "input-tokens" | "tokens" => need_input,
                    _ => None,
                })
            })
            .cloned()
            .collect();
        // The tokens-* view repeats whichever token dimension is tightest; prefer the specific one.
        let specific: Vec<Dim> = exhausted
            .iter()
            .filter(|d| d.name != "tokens")
            .cloned()
            .collect();
        let exhausted = if specific.is_empty() {
            exhausted
        } else {
            specific
        };
        // retry-after comes with 429s: a bare header dump carrying it is judged as one.
        let retry_without_status = status.is_none()
            && (c.headers.get("retry-after").is_some()
                || c.headers.get("retry-after-ms").is_some());
        let rate_limited =
            status == Some(429) || kind == Some("rate_limit_error") || retry_without_status;
        let mut status_ev = status.map(|s| format!("status {s}"));
        if retry_without_status {
            status_ev = Some("no status line; retry-after present (sent with 429s)".into());
        }
        if status.is_none()
            && let Some(k) = text_kind
        {
            status_ev = Some(format!("text names {k}"));
        }
        // A paste cut off inside the error type still shows which it was.
        let cut = if kind.is_none() && c.error.is_empty() {
            codes::cut_kind(&c.text).map(|(full, seen)| {
                (
                    full,
                    format!("text cut off at {seen:?} (the start of {full})"),
                )
            })
        } else {
            None
        };
        if status.is_none()
            && let Some((_, ev)) = &cut
        {
            status_ev = Some(ev.clone());
        }
        let aws = aws_of(c, &norm_text);
        Ctx {
            c,
            status,
            message,
            norm_msg,
            norm_text,
            kind,
            status_ev,
            code,
            unknown_code,
            matched,
            msg_limit,
            dims,
            exhausted,
            rate_limited,
            aws,
            cut,
        }
    }

    fn phrase(&self) -> Option<&'static str> {
        self.matched.map(|(_, p, _)| p)
    }

    /// The evidence line quoting the message (or the capture's text) around the phrase.
    fn text_ev(&self, in_msg: bool) -> String {
        if in_msg {
            format!("message: {}", quote_around(self.message, self.phrase()))
        } else {
            format!("text: {}", quote_around(&self.c.text, self.phrase()))
        }
    }

    fn with_code_note(&self, mut j: Judgement) -> Judgement {
        if let Some(code) = &self.unknown_code {
            j = j
                .ev(format!(
                    "error.details.error_code: {code} (not a code this version knows)"
                ))
                .cap(Confidence::Likely);
        }
        j
    }

    /// The rate-limit headers' reading, at `base` confidence at most.
    fn header_judgement(&self, base: Confidence) -> Option<Judgement> {
        let exhausted = &self.exhausted;
        let first = exhausted.first()?;
        if exhausted.len() == 1 {
            let mut j = Judgement::new(dim_class(first.name), base).ev(first.evidence());
            if first.name == "tokens" {
                j = j.cap(Confidence::Possible).why(
                    "the combined tokens-* view is exhausted; without input/output headers the dimension cannot be told apart (input is the usual one)",
                );
            }
            j.limit = first.limit;
            j.reset = first.reset.clone();
            Some(j)
        } else {
            // Several exhausted: the tightest ratio is the best guess, but it is a guess.
            let tightest = exhausted
                .iter()
                .min_by(|a, b| ratio(a).total_cmp(&ratio(b)))
                .unwrap_or(first);
            let mut j = Judgement::new(dim_class(tightest.name), base.min(Confidence::Likely));
            for d in exhausted {
                j = j.ev(d.evidence());
            }
            j.limit = tightest.limit;
            j.reset = tightest.reset.clone();
            Some(j.why("several dimensions are exhausted at once; the tightest is named"))
        }
    }
}

/// The AWS exception of a capture: from its error type or headers, else named in free text
/// with AWS context around it (`javax.validation.ValidationException` is not Bedrock's).
fn aws_of(c: &Capture, norm_text: &str) -> Option<&'static AwsRow> {
    let mut aws_hay = String::new();
    for s in [
        c.headers.get("x-amzn-errortype"),
        c.headers.get(":exception-type"),
        c.error.kind.as_deref(),
        c.error.code.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        aws_hay.push_str(&s.to_ascii_lowercase());
        aws_hay.push(' ');
    }
    // In free text an exception name counts only with AWS context around it
    // (`javax.validation.ValidationException` is not Bedrock's).
    aws_exception(&aws_hay).or_else(|| {
        AWS_CONTEXT
            .iter()
            .any(|k| norm_text.contains(k))
            .then(|| aws_exception(norm_text))
            .flatten()
    })
}

/// Classifies one capture. `None` for captures that are not failures.
pub fn classify(c: &Capture) -> Option<Verdict> {
    if !is_failure(c) {
        return None;
    }
    let j = judge(c);
    Some(finish(c, j))
}

/// One step of the precedence chain: a judgement, or `None` to let the next step decide.
type Step = fn(&Ctx) -> Option<Judgement>;

/// The precedence chain, strongest evidence first (design: error code > headers > text >
/// status). Each step is small and has its own table test.
const STEPS: &[(&str, Step)] = &[
    ("error_code", by_error_code),
    ("cloud_exception", by_cloud_exception),
    ("overload", by_overload),
    ("subscription", by_subscription),
    ("text", by_text),
    ("headers", by_headers),
];

fn judge(c: &Capture) -> Judgement {
    let cx = Ctx::new(c);
    let j = STEPS
        .iter()
        .find_map(|(_, step)| step(&cx))
        .unwrap_or_else(|| by_status(&cx));
    cx.with_code_note(j)
}

/// Step 1: The stable error code: in the field, certain; in prose, likely.
fn by_error_code(cx: &Ctx) -> Option<Judgement> {
    let (code, src) = cx.code?;
    let (_, class, meaning) = ERROR_CODES.iter().find(|(k, _, _)| *k == code)?;
    let (conf, ev) = match src {
        CodeSource::Field | CodeSource::TextField => (
            Confidence::Certain,
            format!("error.details.error_code: {code}"),
        ),
        CodeSource::Prose => (
            Confidence::Likely,
            format!("error code {code} named in the text (not in an error_code field)"),
        ),
    };
    Some(
        Judgement::new(*class, conf)
            .ev(ev)
            .why(*meaning)
            .ev_opt(cx.status_ev.as_ref()),
    )
}

/// Step 2: An AWS exception (Bedrock): its name outranks the status it arrived with (a stream
/// frame prints 400, an app may log 500 around a 503).
fn by_cloud_exception(cx: &Ctx) -> Option<Judgement> {
    let (name, _, fixed, meaning) = cx.aws?;
    let name_ev = format!("AWS exception: {name}");
    if let Some((class, conf)) = fixed {
        // A throttle text under a non-throttle name (a proxy) is still read by the text.
        let mut j = Judgement::new(*class, *conf).ev(name_ev).why(*meaning);
        if let Some((rule, _, in_msg)) = cx.matched
            && *class == Class::Overload
            && rule.class == Class::Overload
        {
            j = j.ev(cx.text_ev(in_msg));
        }
        return Some(j.ev_opt(cx.status_ev.as_ref()));
    }
    // A throttle: the message says which quota, as far as it can.
    if let Some((rule, _, in_msg)) = cx.matched
        && rule.class != Class::Unknown
        && rule.class != Class::NotRateLimit
    {
        let mut j = Judgement::new(rule.class, rule.confidence)
            .ev(name_ev)
            .ev(cx.text_ev(in_msg))
            .why(rule.meaning);
        j.fix_key = rule.key;
        return Some(j.ev_opt(cx.status_ev.as_ref()));
    }
    let mut j = Judgement::new(Class::Unknown, Confidence::Possible)
        .ev(name_ev)
        .why("an AWS throttle with no message naming the quota: read Service Quotas and CloudWatch InvocationThrottles for the model");
    if !cx.message.is_empty() {
        j = j.ev(format!("message: {}", quote(cx.message)));
    }
    Some(j.ev_opt(cx.status_ev.as_ref()))
}

/// Step 3: Overload, whatever the status it arrived with.
fn by_overload(cx: &Ctx) -> Option<Judgement> {
    let c = cx.c;
    let overload_type = cx.kind == Some("overloaded_error");
    let overload_text = cx.norm_msg.contains("overloaded")
        || (cx.message.is_empty() && cx.norm_text.contains("overloaded"));
    if cx.status == Some(529) || overload_type || (c.stream_error && overload_text) {
        let mut j =
            Judgement::new(Class::Overload, Confidence::Certain).ev_opt(cx.status_ev.as_ref());
        if let Some(k) = cx.kind {
            j = j.ev(format!("error.type: {k}"));
        }
        if c.stream_error {
            j = j.ev("SSE error event inside a 200 stream (retry-by-status misses it)");
        }
        return Some(j);
    }
    if cx.status.is_some_and(|s| (500..600).contains(&s)) && overload_text {
        return Some(
            Judgement::new(Class::Overload, Confidence::Certain)
                .ev_opt(cx.status_ev.as_ref())
                .ev(cx.text_ev(!cx.message.is_empty()))
                .why("an overload delivered as a 5xx (a gateway rewrote the 529, or api_error \"Overloaded\")"),
        );
    }
    None
}

/// Step 4: Subscription windows from the unified headers (also on a 200: paid overage).
fn by_subscription(cx: &Ctx) -> Option<Judgement> {
    let w = subscription::read(&cx.c.headers)?;
    let rejected = subscription::rejected(cx.c)?;
    let mut j = Judgement::new(Class::SubscriptionCap, Confidence::Certain).ev(rejected);
    for line in w.evidence() {
        j = j.ev(line);
    }
    if cx.status.is_some_and(|s| s < 400) {
        j = j.ev(format!(
            "status {} with the subscription rejected (served as paid overage, or about to stop)",
            cx.status.unwrap_or_default()
        ));
    } else {
        j = j.ev_opt(cx.status_ev.as_ref());
    }
    j.reset = w.binding_reset();
    j.why = Some(w.why());
    j.subscription = Some(w);
    Some(j)
}

/// Step 5: Message text, checked against the headers when both speak.
fn by_text(cx: &Ctx) -> Option<Judgement> {
    let (rule, _, in_msg) = cx.matched?;
    let dimension_rule = matches!(rule.class, Class::Rpm | Class::Itpm | Class::Otpm);
    let mut j = Judgement::new(rule.class, rule.confidence)
        .ev(cx.text_ev(in_msg))
        .why(rule.meaning);
    j.fix_key = rule.key;
    j.limit = cx.msg_limit;
    if rule.class == Class::SubscriptionCap {
        j.reset = epoch_after_bar(&cx.c.text).or_else(|| epoch_after_bar(cx.message));
    }
    j = j.ev_opt(cx.status_ev.as_ref());
    if rule.class == Class::Unknown {
        // Generic text: headers, if any, say more.
        if let Some(h) = cx.header_judgement(if cx.rate_limited {
            Confidence::Certain
        } else {
            Confidence::Likely
        }) {
            return Some(h.ev(cx.text_ev(in_msg)));
        }
        if rule.key == Some("generic") {
            j = j.why(
                "the message names no dimension: it appears both behind subscription caps and behind server-side throttling; capture the response headers to tell",
            );
        }
        return Some(batch_or(cx.c, j));
    }
    if dimension_rule {
        return Some(text_with_headers(cx, rule, in_msg, j));
    }
    if !cx.exhausted.is_empty()
        && rule.class == Class::Acceleration
        && rule.confidence < Confidence::Certain
    {
        j = j
            .ev(format!(
                "{} (a per-minute dimension is exhausted too)",
                cx.exhausted[0].evidence()
            ))
            .cap(Confidence::Possible);
    }
    Some(batch_or(cx.c, j))
}

/// A per-minute text rule weighed against the rate-limit headers.
fn text_with_headers(
    cx: &Ctx,
    rule: &'static rules::TextRule,
    in_msg: bool,
    j: Judgement,
) -> Judgement {
    let exhausted = &cx.exhausted;
    // Several dimensions exhausted and the text names one of them: the text decides.
    if exhausted.len() > 1
        && let Some(d) = exhausted.iter().find(|d| dim_class(d.name) == rule.class)
    {
        let mut j = Judgement::new(rule.class, Confidence::Certain)
            .ev(d.evidence())
            .ev(cx.text_ev(in_msg))
            .why(rule.meaning);
        for o in exhausted.iter().filter(|o| o.name != d.name) {
            j = j.ev(format!("{} (also exhausted)", o.evidence()));
        }
        j.limit = d.limit.or(cx.msg_limit);
        j.reset = d.reset.clone();
        return j.ev_opt(cx.status_ev.as_ref());
    }
    if let Some(h) = cx.header_judgement(Confidence::Certain) {
        if h.class == rule.class {
            let mut h = h.ev(cx.text_ev(in_msg));
            h.confidence = h.confidence.max(rule.confidence).min(Confidence::Certain);
            if h.why.is_none() {
                h.why = Some(rule.meaning.into());
            }
            return h;
        }
        // Headers and text disagree: headers win, with lowered confidence.
        return h
            .ev(format!(
                "{} (conflicts: names {})",
                cx.text_ev(in_msg),
                rule.class
            ))
            .cap(Confidence::Likely)
            .why("headers and message disagree; the exhausted header is taken over the text");
    }
    // The named dimension shows plenty of headroom: lower the confidence.
    if let Some(d) = cx
        .dims
        .iter()
        .find(|d| dim_class(d.name) == rule.class && d.name != "tokens")
        && let (Some(r), Some(l)) = (d.remaining, d.limit)
        && l > 0
        && r * 2 > l
    {
        return j
            .ev(format!("{} (more than half left)", d.evidence()))
            .cap(Confidence::Likely);
    }
    j
}

/// Step 6: Headers alone.
fn by_headers(cx: &Ctx) -> Option<Judgement> {
    let h = cx.header_judgement(if cx.rate_limited {
        Confidence::Certain
    } else {
        Confidence::Likely
    })?;
    Some(h.ev_opt(cx.status_ev.as_ref()))
}

fn ratio(d: &Dim) -> f64 {
    match (d.remaining, d.limit) {
        (Some(r), Some(l)) if l > 0 => r as f64 / l as f64,
        (Some(0), _) => 0.0,
        _ => 1.0,
    }
}

/// A rate-limit refusal on the Message Batches endpoint is the batch queue limit.
fn batch_or(c: &Capture, j: Judgement) -> Judgement {
    let on_batches = c
        .url
        .as_deref()
        .is_some_and(|u| u.contains("/messages/batches"));
    if on_batches && matches!(j.class, Class::Unknown | Class::Rpm) && c.status == Some(429) {
        return Judgement::new(Class::BatchQueue, Confidence::Likely)
            .ev(format!("url: {}", c.url.as_deref().unwrap_or_default()))
            .ev("status 429");
    }
    j
}

/// Step 7: Status (and type) alone.
fn by_status(cx: &Ctx) -> Judgement {
    let c = cx.c;
    let (status, kind, dims) = (cx.status, cx.kind, &cx.dims);
    let type_ev = kind.map(|k| format!("error.type: {k}"));
    let with = |j: Judgement| {
        let mut j = j.ev_opt(cx.status_ev.as_ref()).ev_opt(type_ev.as_ref());
        if let Some(m) = c.error.message.as_deref() {
            j = j.ev(format!("message: {}", quote(m)));
        }
        if let Some((_, ev)) = &cx.cut {
            j = j.ev(ev.clone());
        }
        j
    };
    if cx.rate_limited {
        if c.url
            .as_deref()
            .is_some_and(|u| u.contains("/messages/batches"))
        {
            return batch_or(c, Judgement::new(Class::Unknown, Confidence::Possible));
        }
        if !dims.is_empty() && dims.iter().all(|d| d.remaining.is_some()) {
            // A 429 with headroom everywhere: not RPM/ITPM/OTPM.
            let mut j = Judgement::new(Class::Acceleration, Confidence::Possible).why(
                "a 429 with headroom in every rate-limit header is not a per-minute limit: most often the acceleration (ramp) limit, else a workspace limit the headers do not show",
            );
            for d in dims {
                j = j.ev(d.evidence());
            }
            return with(j);
        }
        let j = Judgement::new(Class::Unknown, Confidence::Possible)
            .why("a 429 without an error code, rate-limit headers or a message naming the limit");
        return with(j);
    }
    if fitting::cloudflare_gateway(c, &fitting::hay(c)) {
        let mut j = Judgement::new(Class::Unknown, Confidence::Possible)
            .ev("Cloudflare AI Gateway error 2009 on a 401: the gateway refused it, not the provider's key check")
            .why("a Cloudflare AI Gateway refusal of its own (field reports: a gateway throttle that clears by waiting; a bad gateway token gives the same code), not the API key");
        j.fix_key = Some("cf_gateway");
        return with(j);
    }
    let (class, confidence, why) = match (status, kind) {
        (_, Some("authentication_error")) | (Some(401), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "authentication failed: check the API key".to_string(),
        ),
        (_, Some("permission_error")) | (Some(403), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "permission denied: the key may not use this resource".to_string(),
        ),
        (_, Some("not_found_error")) | (Some(404), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "not found: check the model name and the URL".to_string(),
        ),
        (_, Some("request_too_large")) | (Some(413), _) => (
            Class::NotRateLimit,
            Confidence::Certain,
            "request too large: shorten it".to_string(),
        ),
        (_, Some("billing_error")) | (Some(402), _) => (
            Class::Spend,
            Confidence::Possible,
            "a billing error without a stable code: most often a spend limit or missing credit"
                .to_string(),
        ),
        (Some(s), _) if (400..500).contains(&s) => (
            Class::NotRateLimit,
            if kind.is_some() || c.error.message.is_some() {
                Confidence::Certain
            } else {
                Confidence::Likely
            },
            format!("a {s} client error, not a rate limit: the message names the cause"),
        ),
        (Some(503), None) if c.error.message.is_none() => (
            Class::Overload,
            Confidence::Possible,
            "a bare 503: gateways often rewrite 529 overloads to 503".to_string(),
        ),
        (Some(s), _) if (500..600).contains(&s) => (
            Class::Unknown,
            Confidence::Possible,
            format!(
                "a {s} server error that no rule explains: often transient (retry with backoff), sometimes a rewritten overload"
            ),
        ),
        (_, Some("timeout_error")) => (
            Class::NotRateLimit,
            Confidence::Likely,
            "a timeout, not a rate limit".to_string(),
        ),
        _ if let Some((full, _)) = &cx.cut => (
            Class::Unknown,
            Confidence::Possible,
            format!(
                "the capture is cut off inside its error type (a {full} by the look of it): the status, headers and message are missing; capture the whole response"
            ),
        ),
        _ => (
            Class::Unknown,
            Confidence::Possible,
            "no decisive code, header or message".to_string(),
        ),
    };
    with(Judgement::new(class, confidence).why(why))
}

fn finish(c: &Capture, mut j: Judgement) -> Verdict {
    // Loose prose (no body, no headers, no SDK or Claude Code line shape): a status named in
    // running text is weak; only a certain text rule keeps its confidence.
    if c.format == Format::Text
        && c.error.is_empty()
        && c.headers.is_empty()
        && !c.stream_error
        && rules::first_match(&rules::normalise(&c.text))
            .is_none_or(|(r, _)| r.confidence != Confidence::Certain)
    {
        j.confidence = Confidence::Possible;
    }
    let (provider, provider_ev) = provider::detect(c);
    if provider.not_anthropic_quota()
        && let Some(sig) = provider_ev
    {
        j.evidence.push(format!("provider {provider}: {sig}"));
    }
    if provider.is_foreign() && j.class == Class::Unknown {
        j.why = Some(format!(
            "{provider} answered, not Anthropic: that vendor's own quota or rate limit refused it"
        ));
    }
    // What the evidence singles out for an `unknown` (a server error, a subscription session,
    // a gateway's throttle) outranks a text rule's generic key.
    let key = fitting::unknown_key(c, j.class, provider, error_kind(c)).or(j.fix_key);
    if key == Some("server") && j.why.is_none() {
        j.why = Some(
            "a server error without rate-limit evidence: transient, retry with backoff".into(),
        );
    }
    let fix = fixes::for_class(j.class);
    let chosen = fixes::choose(j.class, provider, key);
    let mut evidence: Vec<String> = Vec::with_capacity(j.evidence.len() + 1);
    for e in j.evidence {
        if !e.is_empty() && !evidence.contains(&e) {
            evidence.push(e);
        }
    }
    if evidence.is_empty() {
        evidence.push("no evidence beyond the failure itself".into());
    }
    let retry_after_s = retry_after(c, j.reset.as_deref());
    Verdict {
        source: c.source.to_string(),
        line: c.line,
        time: c
            .time
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        status: c.status,
        model: c.model.clone(),
        class: j.class,
        confidence: j.confidence,
        evidence,
        retry_after_s,
        request_id: c.request_id().map(str::to_string),
        fix: chosen.into(),
        format: c.format,
        error_type: error_kind(c).map(str::to_string),
        error_code: c.error.error_code.clone(),
        limit: j.limit,
        reset: j.reset,
        why: j.why.unwrap_or_else(|| fix.why.to_string()),
        provider,
        subscription: j.subscription,
    }
}

/// `retry-after` (seconds or HTTP date), `retry-after-ms`, else the reset of the exhausted
/// dimension relative to the capture's time.
pub fn retry_after(c: &Capture, reset: Option<&str>) -> Option<u64> {
    if let Some(v) = c.headers.get("retry-after") {
        if let Some(n) = parse_int(v) {
            return Some(n);
        }
        if let (Ok(at), Some(now)) = (DateTime::parse_from_rfc2822(v), c.time) {
            return Some((at.with_timezone(&Utc) - now).num_seconds().max(0) as u64);
        }
    }
    if let Some(ms) = c.headers.get("retry-after-ms").and_then(parse_int) {
        return Some(ms.div_ceil(1000));
    }
    let (reset, now) = (reset?, c.time?);
    let at = DateTime::parse_from_rfc3339(reset).ok()?;
    Some((at.with_timezone(&Utc) - now).num_seconds().max(0) as u64)
}

/// `Claude AI usage limit reached|1773244800`: the epoch after the bar is the reset.
fn epoch_after_bar(text: &str) -> Option<String> {
    let at = text.find("limit reached|")? + "limit reached|".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n: i64 = digits.parse().ok()?;
    DateTime::<Utc>::from_timestamp(n, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn cap(status: Option<u16>, kind: Option<&str>, msg: Option<&str>) -> Capture {
        let mut c = Capture::new(Arc::from("t"), 1, Format::JsonBody);
        c.status = status;
        c.error.kind = kind.map(str::to_string);
        c.error.message = msg.map(str::to_string);
        c
    }

    fn with_headers(mut c: Capture, h: &[(&str, &str)]) -> Capture {
        for (n, v) in h {
            c.headers.set(n, v);
        }
        c
    }

    fn code(mut c: Capture, code: &str) -> Capture {
        c.error.error_code = Some(code.into());
        c
    }

    fn text(mut c: Capture, t: &str) -> Capture {
        c.text = t.into();
        c
    }

    type Row = (&'static str, Capture, Option<(Class, Confidence)>);

    fn check(step: Step, rows: Vec<Row>) {
        for (name, c, want) in rows {
            let cx = Ctx::new(&c);
            let got = step(&cx).map(|j| (j.class, j.confidence));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn step_error_code() {
        use Class::*;
        use Confidence::*;
        check(
            by_error_code,
            vec![
                (
                    "field",
                    code(cap(Some(429), None, None), "ramp_limit_exceeded"),
                    Some((Acceleration, Certain)),
                ),
                (
                    "unknown code",
                    code(cap(Some(429), None, None), "brand_new_code"),
                    None,
                ),
                (
                    "prose",
                    text(
                        cap(None, None, None),
                        "we got `enforced_spend_limit_reached` again",
                    ),
                    Some((Spend, Likely)),
                ),
                (
                    "torn field",
                    text(
                        cap(None, None, None),
                        "{\"error_code\": \"contract_spend_limit_reached\"",
                    ),
                    Some((Spend, Certain)),
                ),
                ("none", cap(Some(429), None, Some("x")), None),
            ],
        );
    }

    #[test]
    fn step_cloud_exception() {
        use Class::*;
        use Confidence::*;
        let thr = |m: &str| {
            with_headers(
                cap(Some(400), None, Some(m)),
                &[(":exception-type", "throttlingException")],
            )
        };
        check(
            by_cloud_exception,
            vec![
                (
                    "stream 400 throttle",
                    thr("Too many tokens, please wait before trying again."),
                    Some((Itpm, Possible)),
                ),
                (
                    "per day",
                    thr("Too many tokens per day, please wait before trying again."),
                    Some((Daily, Certain)),
                ),
                ("no message", thr(""), Some((Unknown, Possible))),
                (
                    "503 header",
                    with_headers(
                        cap(Some(500), None, None),
                        &[("x-amzn-errortype", "ServiceUnavailableException:http://x/")],
                    ),
                    Some((Overload, Likely)),
                ),
                (
                    "validation",
                    text(
                        cap(Some(400), None, None),
                        "botocore.errorfactory.ValidationException: An error occurred (ValidationException)",
                    ),
                    Some((NotRateLimit, Certain)),
                ),
                (
                    "not aws",
                    text(
                        cap(Some(429), None, None),
                        "MyThrottlingExceptionHandler failed",
                    ),
                    None,
                ),
                (
                    "no aws context",
                    text(
                        cap(Some(400), None, None),
                        "javax.validation.ValidationException: bad field",
                    ),
                    None,
                ),
                (
                    "anthropic",
                    cap(Some(429), Some("rate_limit_error"), Some("Rate limited")),
                    None,
                ),
            ],
        );
    }

    #[test]
    fn step_overload() {
        use Class::*;
        use Confidence::*;
        let mut sse = cap(None, Some("overloaded_error"), Some("Overloaded"));
        sse.stream_error = true;
        check(
            by_overload,
            vec![
                ("529", cap(Some(529), None, None), Some((Overload, Certain))),
                (
                    "type on 400",
                    cap(Some(400), Some("overloaded_error"), None),
                    Some((Overload, Certain)),
                ),
                (
                    "500 text",
                    cap(Some(500), Some("api_error"), Some("Overloaded")),
                    Some((Overload, Certain)),
                ),
                ("sse", sse, Some((Overload, Certain))),
                ("429", cap(Some(429), Some("rate_limit_error"), None), None),
            ],
        );
    }

    #[test]
    fn step_subscription() {
        use Class::*;
        use Confidence::*;
        let h = |pairs: &[(&str, &str)]| with_headers(cap(Some(200), None, None), pairs);
        check(
            by_subscription,
            vec![
                (
                    "200 rejected",
                    h(&[("anthropic-ratelimit-unified-status", "rejected")]),
                    Some((SubscriptionCap, Certain)),
                ),
                (
                    "window only",
                    h(&[("anthropic-ratelimit-unified-5h-status", "rejected")]),
                    Some((SubscriptionCap, Certain)),
                ),
                (
                    "warning",
                    h(&[("anthropic-ratelimit-unified-status", "allowed_warning")]),
                    None,
                ),
                (
                    "overage only",
                    h(&[("anthropic-ratelimit-unified-overage-status", "rejected")]),
                    None,
                ),
                ("none", cap(Some(429), None, None), None),
            ],
        );
    }

    #[test]
    fn step_text() {
        use Class::*;
        use Confidence::*;
        let itpm = "This request would exceed your organization's rate limit of 30,000 input tokens per minute";
        check(
            by_text,
            vec![
                (
                    "itpm",
                    cap(Some(429), Some("rate_limit_error"), Some(itpm)),
                    Some((Itpm, Certain)),
                ),
                (
                    "headers disagree",
                    with_headers(
                        cap(Some(429), Some("rate_limit_error"), Some(itpm)),
                        &[
                            ("anthropic-ratelimit-requests-remaining", "0"),
                            ("anthropic-ratelimit-requests-limit", "50"),
                        ],
                    ),
                    Some((Rpm, Likely)),
                ),
                (
                    "credit",
                    cap(
                        Some(400),
                        Some("invalid_request_error"),
                        Some("Your credit balance is too low"),
                    ),
                    Some((Spend, Certain)),
                ),
                (
                    "cc throttle",
                    text(
                        cap(None, None, None),
                        "Server is temporarily limiting requests (not your usage limit)",
                    ),
                    Some((Overload, Likely)),
                ),
                (
                    "account",
                    cap(
                        Some(429),
                        None,
                        Some("This request would exceed your account's rate limit."),
                    ),
                    Some((SubscriptionCap, Possible)),
                ),
                (
                    "generic",
                    cap(Some(429), None, Some("Rate limited")),
                    Some((Unknown, Possible)),
                ),
                ("nothing", cap(Some(429), None, Some("nope")), None),
            ],
        );
    }

    #[test]
    fn step_headers_and_status() {
        use Class::*;
        use Confidence::*;
        check(
            by_headers,
            vec![
                (
                    "exhausted",
                    with_headers(
                        cap(Some(429), None, None),
                        &[("anthropic-ratelimit-output-tokens-remaining", "0")],
                    ),
                    Some((Otpm, Certain)),
                ),
                ("none", cap(Some(429), None, None), None),
            ],
        );
        for (name, c, want) in [
            ("bare 429", cap(Some(429), None, None), (Unknown, Possible)),
            ("401", cap(Some(401), None, None), (NotRateLimit, Certain)),
            (
                "500 no rule",
                cap(Some(500), Some("api_error"), Some("Internal server error")),
                (Unknown, Possible),
            ),
            ("bare 503", cap(Some(503), None, None), (Overload, Possible)),
            ("402", cap(Some(402), None, None), (Spend, Possible)),
        ] {
            let cx = Ctx::new(&c);
            let j = by_status(&cx);
            assert_eq!((j.class, j.confidence), want, "{name}");
        }
    }

    #[test]
    fn quote_around_is_char_safe() {
        let s = format!("{} rate limit {}", "İ".repeat(200), "ß".repeat(100));
        let q = quote_around(&s, Some("rate limit"));
        assert!(q.contains("rate limit"), "{q}");
        assert_eq!(quote::char_index_of(&['İ', 'a', 'B'], "ab"), Some(1));
    }

    #[test]
    fn subscription_text_epoch_is_the_reset() {
        let c = text(
            cap(None, None, None),
            "Claude AI usage limit reached|1773244800",
        );
        let v = classify(&c).unwrap();
        assert_eq!(v.class, Class::SubscriptionCap);
        assert_eq!(v.reset.as_deref(), Some("2026-03-11T16:00:00Z"));
    }
}
