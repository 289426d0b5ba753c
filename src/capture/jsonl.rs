//! JSON Lines exchange logs: one exchange per line,
//! `{"ts", "method", "url", "status", "headers", "body", "request"}`, all optional but
//! `status`. Other shapes whose lines carry a status and headers work too (a nested
//! `response` object, `status_code`, `response_headers`, epoch timestamps).

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use memchr::memmem;
use serde_json::{Map, Value};

use super::Capture;
use super::object::from_object;

/// What one line turned out to be.
pub enum Parsed {
    /// A failure, or any exchange when successes are wanted.
    Capture(Box<Capture>),
    /// A plain success skipped by the fast path (counted, not built).
    Success,
    /// Not an exchange line: hand it to the text chunker (it may be a bare error body).
    NotJsonl,
}

/// Parses one line. With `failures_only`, lines that are plainly successes (a 1xx-3xx status
/// and no `error` anywhere) are recognised without a full parse.
pub fn parse_line(source: &Arc<str>, line_no: u64, line: &[u8], failures_only: bool) -> Parsed {
    if failures_only && plain_success(line) {
        return Parsed::Success;
    }
    parse_full(source, line_no, line, failures_only)
}

/// Parses one line fully (no pre-filter). With `failures_only`, successes are still only
/// counted.
pub fn parse_full(source: &Arc<str>, line_no: u64, line: &[u8], failures_only: bool) -> Parsed {
    parse_object(source, line_no, line, failures_only).0
}

/// [`parse_full`], handing back the parsed object when the line is a JSON object but not an
/// exchange (`NotJsonl`), so a log record's reader need not parse it again.
pub fn parse_object(
    source: &Arc<str>,
    line_no: u64,
    line: &[u8],
    failures_only: bool,
) -> (Parsed, Option<Map<String, Value>>) {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(line) else {
        return (Parsed::NotJsonl, None);
    };
    match from_object(source, line_no, &obj) {
        Some(c) => {
            if failures_only && !crate::classify::is_failure(&c) {
                (Parsed::Success, None)
            } else {
                (Parsed::Capture(Box::new(c)), None)
            }
        }
        None => (Parsed::NotJsonl, Some(obj)),
    }
}

static STATUS_KEY: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\"status\""));
static RROR: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"rror"));

/// The cheap pre-filter: a `"status": NNN` below 400 and no `error` / `overloaded` /
/// `rejected` text anywhere on the line (a 200 can carry `anthropic-ratelimit-unified-status:
/// rejected`: a subscription refusal served as paid overage). No parse, no allocation: most
/// lines of a healthy log stop here. [`plain_status`] and not [`failure_words`]; the chunked
/// path finds the words for a whole chunk in one pass instead (`scan::marks`).
pub fn plain_success(line: &[u8]) -> bool {
    plain_status(line) && !failure_words(line)
}

/// The status half of [`plain_success`]: the first `"status"` key's value is a three-digit
/// number below 400.
pub fn plain_status(line: &[u8]) -> bool {
    let Some(at) = STATUS_KEY.find(line) else {
        return false;
    };
    let rest = &line[at + 8..];
    let rest = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b':' | b'\t'))
        .map_or(&[][..], |i| &rest[i..]);
    rest.len() >= 3
        && rest[..3].iter().all(u8::is_ascii_digit)
        && !rest.get(3).is_some_and(u8::is_ascii_digit)
        && rest[0] <= b'3'
}

/// The words half of [`plain_success`]: whether `rror`, `verloaded` or `ejected` occurs in
/// `line`. Two SIMD passes over the line: one substring search for `rror`, and one for the
/// bytes `j` and `v` that `ejected` and `verloaded` hinge on (rare in an exchange log: a line
/// has one or two), each hit checked in place.
pub fn failure_words(line: &[u8]) -> bool {
    RROR.find(line).is_some() || overloaded_or_rejected(line)
}

/// Whether `verloaded` or `ejected` occurs in `line`: one pass for their rare bytes.
fn overloaded_or_rejected(line: &[u8]) -> bool {
    memchr::memchr2_iter(b'j', b'v', line).any(|i| {
        if line[i] == b'v' {
            line[i..].starts_with(b"verloaded")
        } else {
            i > 0 && line[i - 1..].starts_with(b"ejected")
        }
    })
}

/// What an incident analysis reads from a plain success, parsed straight from the line into
/// numbers: no `Value` tree, no header list, no allocation but for the model and ids. Only
/// the documented shape is taken (top-level keys, headers as an object); anything else
/// (a nested `response`, header lists, duplicate keys, odd types) returns `None` from
/// [`parse_light`] and goes through the full parser, so both paths agree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exchange {
    pub time: Option<DateTime<Utc>>,
    pub status: Option<u16>,
    pub model: Option<String>,
    pub max_tokens: Option<u64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// `(limit, remaining)` of the `requests`, `input-tokens`, `output-tokens` and `tokens`
    /// rate-limit headers, in that order.
    pub dims: [(Option<u64>, Option<u64>); 4],
    pub org_id: Option<String>,
    pub workspace_id: Option<String>,
    /// The `anthropic-ratelimit-unified-*` headers (subscription windows), names lower-cased;
    /// empty (no allocation) on API-key traffic.
    pub unified: crate::exchange::Headers,
}

/// The rate-limit dimensions [`Exchange::dims`] holds, in order.
pub const LIGHT_DIMS: [&str; 4] = crate::ratelimit::HEADER_INFIXES;

/// Parses a line into an [`Exchange`]; `None` when it is not the documented shape.
pub fn parse_light(line: &[u8]) -> Option<Exchange> {
    let l: light::Line = serde_json::from_slice(line).ok()?;
    if l.response.is_some() {
        return None;
    }
    let status = light::status(l.status?)?;
    let mut x = Exchange {
        status: Some(status),
        ..Default::default()
    };
    x.time = l.ts.and_then(|t| t.0);
    if let Some(h) = l.headers {
        x.dims = h.dims;
        x.org_id = h.org;
        x.workspace_id = h.workspace;
        x.unified = h.unified;
    }
    let mut body_model = None;
    if let Some(b) = l.body {
        body_model = b.model;
        x.output_tokens = b.output_tokens;
    }
    // As `from_object`: a `request` object's model wins (even when absent), else the body's,
    // else a top-level `model`.
    x.model = match l.request {
        Some(r) => {
            x.max_tokens = r.max_tokens.0;
            x.input_tokens = r.input_tokens.0;
            r.model.0
        }
        None => body_model,
    }
    .or(l.model.0);
    Some(x)
}

/// [`parse_light`] by a targeted scan of the line ([`lazy`]) where it is sure, else by
/// serde: the same answer, a fraction of the work on a plain success.
pub fn parse_lazy(line: &[u8]) -> Option<Exchange> {
    lazy::scan(line).or_else(|| parse_light(line))
}

mod lazy;

/// Borrowing serde types for [`parse_light`].
mod light {
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;

    use super::LIGHT_DIMS;
    use crate::capture::headers::parse_int;

    #[derive(Deserialize)]
    pub struct Line<'a> {
        #[serde(
            alias = "time",
            alias = "timestamp",
            alias = "@timestamp",
            alias = "date",
            alias = "start_time",
            alias = "startedDateTime"
        )]
        pub ts: Option<Time>,
        #[serde(
            borrow,
            alias = "status_code",
            alias = "statusCode",
            alias = "http_status"
        )]
        pub status: Option<&'a RawValue>,
        #[serde(alias = "response_headers", alias = "responseHeaders")]
        pub headers: Option<Headers>,
        #[serde(alias = "response_body", alias = "error")]
        pub body: Option<Body>,
        pub request: Option<Request>,
        #[serde(default)]
        pub model: Str,
        pub response: Option<IgnoredAny>,
    }

    #[derive(Deserialize)]
    pub struct Request {
        #[serde(default)]
        pub model: Str,
        #[serde(default)]
        pub max_tokens: Num,
        #[serde(default)]
        pub input_tokens: Num,
    }

    /// A body as the full parser reads a success's: from an object, `model` (a string) and
    /// `usage.output_tokens`; anything else (a string, an SSE stream) gives nothing.
    #[derive(Default)]
    pub struct Body {
        pub model: Option<String>,
        pub output_tokens: Option<u64>,
    }

    impl<'de> Deserialize<'de> for Body {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Body;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a body")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Body, A::Error> {
                    let mut b = Body::default();
                    while let Some(k) = a.next_key::<BodyKey>()? {
                        match k {
                            BodyKey::Model => b.model = a.next_value::<Str>()?.0,
                            BodyKey::Usage => {
                                b.output_tokens = a
                                    .next_value::<Option<Usage>>()?
                                    .and_then(|u| u.output_tokens.0)
                            }
                            BodyKey::Other => {
                                a.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(b)
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<Body, E> {
                    Ok(Body::default())
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<Body, E> {
                    Ok(Body::default())
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<Body, E> {
                    Ok(Body::default())
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Body, E> {
                    Ok(Body::default())
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Body, E> {
                    Ok(Body::default())
                }
                fn visit_unit<E: de::Error>(self) -> Result<Body, E> {
                    Ok(Body::default())
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Body, A::Error> {
                    while a.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Body::default())
                }
            }
            d.deserialize_any(V)
        }
    }

    enum BodyKey {
        Model,
        Usage,
        Other,
    }

    impl<'de> Deserialize<'de> for BodyKey {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = BodyKey;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a key")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<BodyKey, E> {
                    self.visit_bytes(v.as_bytes())
                }
                fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<BodyKey, E> {
                    Ok(match v {
                        b"model" => BodyKey::Model,
                        b"usage" => BodyKey::Usage,
                        _ => BodyKey::Other,
                    })
                }
            }
            d.deserialize_bytes(V)
        }
    }

    /// A timestamp as the full parser reads it (text, or epoch seconds / milliseconds).
    pub struct Time(pub Option<chrono::DateTime<chrono::Utc>>);

    impl<'de> Deserialize<'de> for Time {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Time;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a time")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
                    Ok(Time(crate::capture::object::parse_time_str(v)))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
                    Ok(Time(crate::capture::object::parse_time(
                        &serde_json::Value::from(v),
                    )))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
                    Ok(Time(crate::capture::object::parse_time(
                        &serde_json::Value::from(v),
                    )))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time, E> {
                    Ok(Time(serde_json::Number::from_f64(v).and_then(|n| {
                        crate::capture::object::parse_time(&serde_json::Value::Number(n))
                    })))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Time, E> {
                    Ok(Time(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Time, A::Error> {
                    while a.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Time(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Time, A::Error> {
                    while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Time(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    #[derive(Deserialize)]
    pub struct Usage {
        #[serde(default)]
        pub output_tokens: Num,
    }

    /// `status` as the full parser reads it: a number, or text starting with three digits.
    pub fn status(raw: &RawValue) -> Option<u16> {
        status_text(raw.get())
    }

    /// [`status`] of the value's JSON text.
    pub(super) fn status_text(s: &str) -> Option<u16> {
        let s = s.trim();
        let n = if let Some(q) = s.strip_prefix('"') {
            q.trim_start().get(..3)?.parse::<u16>().ok()?
        } else {
            s.parse::<u64>().ok().and_then(|n| u16::try_from(n).ok())?
        };
        (100..600).contains(&n).then_some(n)
    }

    /// A string as the full parser keeps it (`as_str`): anything else is `None`.
    #[derive(Default)]
    pub struct Str(pub Option<String>);

    impl<'de> Deserialize<'de> for Str {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Str;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a string")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
                    Ok(Str(Some(v.to_string())))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Str, E> {
                    Ok(Str(None))
                }
                fn visit_none<E: de::Error>(self) -> Result<Str, E> {
                    Ok(Str(None))
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<Str, E> {
                    Ok(Str(None))
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<Str, E> {
                    Ok(Str(None))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Str, E> {
                    Ok(Str(None))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Str, E> {
                    Ok(Str(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Str, A::Error> {
                    while a.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Str(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Str, A::Error> {
                    while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Str(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A count as the full parser reads it (`as_u64`): anything else is `None`.
    #[derive(Default)]
    pub struct Num(pub Option<u64>);

    impl<'de> Deserialize<'de> for Num {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Num;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a number")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                    Ok(Num(Some(v)))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                    Ok(Num(u64::try_from(v).ok()))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Num, E> {
                    Ok(Num(None))
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<Num, E> {
                    Ok(Num(None))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
                    Ok(Num(None))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
                    Ok(Num(None))
                }
                fn visit_none<E: de::Error>(self) -> Result<Num, E> {
                    Ok(Num(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                    while a.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Num(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                    while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Num(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A header value as the full parser turns it into text and then a count: strings with
    /// separators, numbers, booleans (none), the first item of an array.
    struct HeaderNum(Option<u64>);

    impl<'de> Deserialize<'de> for HeaderNum {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = HeaderNum;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a header value")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<HeaderNum, E> {
                    Ok(HeaderNum(header_num_str(v)))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<HeaderNum, E> {
                    Ok(HeaderNum(Some(v)))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<HeaderNum, E> {
                    Ok(HeaderNum(parse_int(&v.to_string())))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<HeaderNum, E> {
                    Ok(HeaderNum(parse_int(
                        &serde_json::Number::from_f64(v)
                            .map_or_else(String::new, |n| n.to_string()),
                    )))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<HeaderNum, E> {
                    Ok(HeaderNum(None))
                }
                fn visit_unit<E: de::Error>(self) -> Result<HeaderNum, E> {
                    // `null` is not kept as a header at all.
                    Err(E::custom("null header"))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<HeaderNum, A::Error> {
                    Err(de::Error::custom("array header: full parser"))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A header value's text as a count.
    pub(super) fn header_num_str(v: &str) -> Option<u64> {
        // Plain digits (nearly always) without the separator-stripping copy.
        if !v.is_empty() && v.len() < 20 && v.bytes().all(|b| b.is_ascii_digit()) {
            return v.parse().ok();
        }
        parse_int(v)
    }

    /// The headers object, keeping only the rate-limit counts and the org/workspace ids.
    #[derive(Default)]
    pub struct Headers {
        pub dims: [(Option<u64>, Option<u64>); 4],
        pub org: Option<String>,
        pub workspace: Option<String>,
        pub unified: crate::exchange::Headers,
    }

    pub(super) enum Key {
        Dim(usize, bool),
        Org,
        Workspace,
        /// An `anthropic-ratelimit-unified-*` header (its name only then copied).
        Unified(String),
        Other,
    }

    impl<'de> Deserialize<'de> for Key {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Key;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a header name")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                    Ok(classify_key(v.as_bytes()))
                }
                // serde_json hands keys over as raw bytes without a UTF-8 check: the names
                // compared against are ASCII, so nothing is lost.
                fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
                    Ok(classify_key(v))
                }
            }
            d.deserialize_bytes(V)
        }
    }

    pub(super) fn classify_key(name: &[u8]) -> Key {
        let name = name.trim_ascii();
        const P: &[u8] = b"anthropic-ratelimit-";
        if name.len() > P.len() && name[..P.len()].eq_ignore_ascii_case(P) {
            let rest = &name[P.len()..];
            const U: &[u8] = b"unified-";
            if rest.len() > U.len() && rest[..U.len()].eq_ignore_ascii_case(U) {
                return Key::Unified(String::from_utf8_lossy(name).to_ascii_lowercase());
            }
            let ends = |suffix: &[u8]| {
                rest.len() > suffix.len()
                    && rest[rest.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            };
            let (dim, limit) = if ends(b"-limit") {
                (&rest[..rest.len() - 6], true)
            } else if ends(b"-remaining") {
                (&rest[..rest.len() - 10], false)
            } else {
                return Key::Other;
            };
            return LIGHT_DIMS
                .iter()
                .position(|d| d.len() == dim.len() && d.as_bytes().eq_ignore_ascii_case(dim))
                .map_or(Key::Other, |i| Key::Dim(i, limit));
        }
        if name.eq_ignore_ascii_case(b"anthropic-organization-id") {
            Key::Org
        } else if name.eq_ignore_ascii_case(b"anthropic-workspace-id") {
            Key::Workspace
        } else {
            Key::Other
        }
    }

    /// A unified header's value as text: strings, numbers as written (`0.92`, `1763650800`);
    /// anything else goes through the full parser.
    struct HeaderText(Option<String>);

    impl<'de> Deserialize<'de> for HeaderText {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = HeaderText;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a header value")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<HeaderText, E> {
                    Ok(HeaderText(Some(v.to_string())))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<HeaderText, E> {
                    Ok(HeaderText(Some(v.to_string())))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<HeaderText, E> {
                    Ok(HeaderText(Some(v.to_string())))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<HeaderText, E> {
                    Ok(HeaderText(
                        serde_json::Number::from_f64(v).map(|n| n.to_string()),
                    ))
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<HeaderText, E> {
                    Ok(HeaderText(Some(v.to_string())))
                }
                fn visit_unit<E: de::Error>(self) -> Result<HeaderText, E> {
                    Err(E::custom("null header"))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<HeaderText, A::Error> {
                    Err(de::Error::custom("array header: full parser"))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// An id header as text (numbers kept as their digits).
    struct IdText(Option<String>);

    impl<'de> Deserialize<'de> for IdText {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = IdText;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an id")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<IdText, E> {
                    Ok(IdText(Some(v.trim().to_string())))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdText, E> {
                    Ok(IdText(Some(v.to_string())))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdText, E> {
                    Ok(IdText(Some(v.to_string())))
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<IdText, E> {
                    Ok(IdText(Some(v.to_string())))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<IdText, E> {
                    Err(E::custom("float id: full parser"))
                }
                fn visit_unit<E: de::Error>(self) -> Result<IdText, E> {
                    Err(E::custom("null header"))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<IdText, A::Error> {
                    Err(de::Error::custom("array header: full parser"))
                }
            }
            d.deserialize_any(V)
        }
    }

    impl<'de> Deserialize<'de> for Headers {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Headers;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a headers object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Headers, A::Error> {
                    let mut h = Headers::default();
                    while let Some(k) = a.next_key::<Key>()? {
                        match k {
                            Key::Dim(i, true) => h.dims[i].0 = a.next_value::<HeaderNum>()?.0,
                            Key::Dim(i, false) => h.dims[i].1 = a.next_value::<HeaderNum>()?.0,
                            Key::Org => h.org = a.next_value::<IdText>()?.0,
                            Key::Workspace => h.workspace = a.next_value::<IdText>()?.0,
                            Key::Unified(name) => {
                                if let Some(v) = a.next_value::<HeaderText>()?.0 {
                                    h.unified.set(&name, &v);
                                }
                            }
                            Key::Other => {
                                a.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(h)
                }
            }
            d.deserialize_map(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The light parser's serde aliases are the mapping's key lists (`object::*_KEYS`): a
    /// line naming its status, time and headers under any listed key reads the same both
    /// ways, and a key in neither list is read by neither.
    #[test]
    fn the_light_keys_are_the_mappings_keys() {
        use crate::capture::object::{HEADERS_KEYS, STATUS_KEYS, TIME_KEYS};
        let src: Arc<str> = Arc::from("t");
        for s in STATUS_KEYS {
            for t in TIME_KEYS.iter().chain(&["stamp"]) {
                for h in HEADERS_KEYS {
                    let line = format!(
                        r#"{{"{s}":200,"{t}":"2026-11-20T14:00:00Z","{h}":{{"anthropic-ratelimit-requests-remaining":"7"}}}}"#
                    );
                    let light = parse_light(line.as_bytes()).expect(&line);
                    let Parsed::Capture(c) = parse_full(&src, 1, line.as_bytes(), false) else {
                        panic!("{line}");
                    };
                    assert_eq!((light.status, light.time), (c.status, c.time), "{line}");
                    assert_eq!(light.time.is_some(), *t != "stamp", "{line}");
                    assert_eq!(light.dims[0].1, Some(7), "{line}");
                    assert_eq!(c.headers.0.len(), 1, "{line}");
                }
            }
        }
    }

    fn parse(line: &str, failures_only: bool) -> Parsed {
        parse_line(&Arc::from("t.jsonl"), 1, line.as_bytes(), failures_only)
    }

    #[test]
    fn fast_path_skips_plain_success() {
        assert!(matches!(
            parse(
                r#"{"ts":"2026-11-20T14:00:00Z","status":200,"headers":{}}"#,
                true
            ),
            Parsed::Success
        ));
        assert!(matches!(
            parse(
                r#"{"status":200,"body":"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}"#,
                true
            ),
            Parsed::Capture(_)
        ));
    }

    #[test]
    fn reads_the_documented_shape() {
        let Parsed::Capture(c) = parse(
            r#"{"ts":"2026-11-20T14:02:11Z","method":"POST","url":"https://api.anthropic.com/v1/messages","status":429,"headers":{"Retry-After":"12","anthropic-ratelimit-input-tokens-remaining":"0"},"body":{"type":"error","error":{"type":"rate_limit_error","message":"x"},"request_id":"req_1"},"request":{"model":"claude-sonnet-4-5","max_tokens":1024,"input_tokens":1234}}"#,
            true,
        ) else {
            panic!("expected a capture")
        };
        assert_eq!(c.status, Some(429));
        assert_eq!(c.headers.get("retry-after"), Some("12"));
        assert_eq!(c.error.kind.as_deref(), Some("rate_limit_error"));
        assert_eq!(c.request_id.as_deref(), Some("req_1"));
        assert_eq!(c.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(c.request.input_tokens, Some(1234));
        assert_eq!(c.time.unwrap().to_rfc3339(), "2026-11-20T14:02:11+00:00");
    }

    #[test]
    fn a_message_body_mentioning_errors_is_a_success() {
        // Found by diagnose: the full parser took `"type":"message"` for an error type, so a
        // 200 whose text said "error" (past the pre-filter) became an `unknown` failure.
        let line = r#"{"status":200,"body":{"id":"msg_1","type":"message","content":[{"type":"text","text":"the error was fixed"}]}}"#;
        assert!(matches!(parse(line, true), Parsed::Success));
        let Parsed::Capture(c) = parse(line, false) else {
            panic!("a capture")
        };
        assert!(c.error.is_empty());
        // Error bodies still count, with or without the envelope.
        let Parsed::Capture(c) = parse(
            r#"{"status":500,"body":{"type":"api_error","message":"Overloaded"}}"#,
            true,
        ) else {
            panic!("a capture")
        };
        assert_eq!(c.error.kind.as_deref(), Some("api_error"));
    }

    /// The one-pass search for `verloaded` / `ejected` answers as a substring search for
    /// each word would, wherever the words and their key bytes fall.
    #[test]
    fn the_fused_pre_filter_matches_two_substring_searches() {
        let naive = |l: &[u8]| {
            memmem::find(l, b"verloaded").is_some() || memmem::find(l, b"ejected").is_some()
        };
        for l in [
            "",
            "j",
            "v",
            "ej",
            "ejected",
            "rejected",
            "Rejected",
            "REJECTED",
            "xjected",
            "jected",
            "ejecte",
            "jejected",
            "eejected",
            "verloade",
            "verloaded",
            "vverloaded",
            "Overloaded}",
            "jv",
            "application/json v1 rejected",
            "v1/messages overloaded",
            "{\"a\":\"j\",\"b\":\"v\"}",
        ] {
            assert_eq!(
                overloaded_or_rejected(l.as_bytes()),
                naive(l.as_bytes()),
                "{l:?}"
            );
        }
        let rejected = r#"{"status":200,"headers":{"content-type":"application/json","anthropic-ratelimit-unified-status":"rejected"}}"#;
        assert!(!plain_success(rejected.as_bytes()));
        let overloaded = r#"{"status":200,"url":"https://x/v1/messages","body":"Overloaded"}"#;
        assert!(!plain_success(overloaded.as_bytes()));
        let plain = r#"{"status":200,"url":"https://x/v1/messages","headers":{"content-type":"application/json"}}"#;
        assert!(plain_success(plain.as_bytes()));
    }

    #[test]
    fn error_body_alone_is_not_jsonl() {
        assert!(matches!(
            parse(
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"x"}}"#,
                true
            ),
            Parsed::NotJsonl
        ));
    }
}
