//! When two captures are one failure pasted in two forms (merged into one), and what a
//! finished capture gets filled in from its own text.

use crate::capture::Capture;
use crate::classify::rules;

/// Two captures that are one failure pasted in two forms: the same request id, or (a few
/// lines apart, statuses agreeing, the forms differing) the same message, once parsed and
/// once as text. Retries of one request in one form stay separate failures.
/// How far apart (in lines, start to start) two forms of one failure may be.
pub(super) const NEAR_LINES: u64 = 40;

pub(super) fn same_failure(a: &Capture, b: &Capture) -> bool {
    if b.line.saturating_sub(a.line) > NEAR_LINES || a.source != b.source {
        return false;
    }
    if let (Some(x), Some(y)) = (a.request_id(), b.request_id()) {
        return x == y;
    }
    if statuses_differ(a.status, b.status) {
        return false;
    }
    let forms_differ = a.format != b.format || a.error.is_empty() != b.error.is_empty();
    if !forms_differ {
        return false;
    }
    let (ma, mb) = (a.error.message.as_deref(), b.error.message.as_deref());
    let long = |m: &str| m.trim().len() >= 20;
    match (ma, mb) {
        (Some(x), Some(y)) => long(x) && rules::normalise(x) == rules::normalise(y),
        (Some(x), None) => long(x) && rules::normalise(&b.text).contains(&rules::normalise(x)),
        (None, Some(y)) => long(y) && rules::normalise(&a.text).contains(&rules::normalise(y)),
        (None, None) => false,
    }
}

/// One failure printed again below itself, in the same form, where a retry would be a new
/// log record: `b` (started as `began`) re-prints `a` when, within [`NEAR_LINES`] and with
/// statuses and request ids agreeing,
/// * `b`'s line re-prints a cause (`Caused by: …` in a Java or Kotlin stack trace, tenacity's
///   `RetryError[<… raised RateLimitError>]`) and carries the same message, or no evidence
///   of its own beyond the exception's status; or
/// * `b` begins on a line with no timestamp of its own, in the same log record as `a` (the
///   same time, taken from `a`'s stamp), with the same message: Python's
///   `logger.exception("call failed: %s", e)` prints the error, then the traceback ending in
///   the same exception line.
///
/// * `b` is the exception's repr (`RateLimitError("Error code: 429 - …")`) right after its
///   `str()` in `a` (`print(e); print(repr(e))`), with the same message; or
/// * `a` is a retry wrapper's summary (`Failed after 3 attempts. Last error: …`, begun as
///   `a_began`) and `b` the first attempt it lists, with the message the summary quoted.
///
/// Retries stay apart: each is a log record with its own stamp, or (with no stamps at all)
/// no cause line joins them.
pub(super) fn reprinted(
    a: &Capture,
    b: &Capture,
    a_began: super::LineKind,
    began: super::LineKind,
) -> bool {
    if b.line.saturating_sub(a.line) > NEAR_LINES
        || a.source != b.source
        || statuses_differ(a.status, b.status)
    {
        return false;
    }
    if a_began.summary && a.error.is_empty() {
        let core = b.error.message.as_deref().unwrap_or_else(|| {
            // The text after the exception's name: `APICallError [AI_APICallError]: …`.
            b.text.split_once(": ").map_or(b.text.as_str(), |(_, m)| m)
        });
        let core = rules::normalise(core.get(..120).unwrap_or(core));
        return core.len() >= 20 && rules::normalise(&a.text).contains(core.trim());
    }
    if a.status.is_none() {
        return false;
    }
    if let (Some(x), Some(y)) = (a.request_id(), b.request_id())
        && x != y
    {
        return false;
    }
    let same_message = match (a.error.message.as_deref(), b.error.message.as_deref()) {
        (Some(x), Some(y)) => x.trim().len() >= 20 && rules::normalise(x) == rules::normalise(y),
        _ => false,
    };
    let bare = b.error.is_empty()
        && b.headers.is_empty()
        && b.request_id().is_none()
        && b.status.is_some()
        && !has_specific_text(&b.text);
    if began.cause {
        return same_message || bare;
    }
    if began.repr && !a_began.repr && b.line.saturating_sub(a.line) <= 2 {
        return same_message;
    }
    !began.stamped && a.time.is_some() && a.time == b.time && same_message
}

/// Fills what `into` lacks from `from` (the second form of the same failure).
pub(super) fn merge_into(into: &mut Capture, from: Capture) {
    into.status = into.status.or(from.status);
    for (n, v) in &from.headers.0 {
        if into.headers.get(n).is_none() {
            into.headers.set(n, v);
        }
    }
    let e = &mut into.error;
    if e.kind.is_none() {
        e.kind = from.error.kind;
    }
    if e.message.is_none() {
        e.message = from.error.message;
    }
    if e.error_code.is_none() {
        e.error_code = from.error.error_code;
    }
    if e.code.is_none() {
        e.code = from.error.code;
    }
    if into.request_id.is_none() {
        into.request_id = from.request_id;
    }
    into.model = into.model.take().or(from.model);
    into.url = into.url.take().or(from.url);
    into.method = into.method.take().or(from.method);
    into.time = into.time.or(from.time);
    into.stream_error |= from.stream_error;
    if into.text.is_empty() {
        into.text = from.text;
    }
}

/// Fills in what can be inferred once a capture is complete: the model from the message.
pub(super) fn finish_capture(c: &mut Capture) {
    if c.model.is_none() {
        let found = c
            .error
            .message
            .as_deref()
            .and_then(model_in)
            .or_else(|| model_in(&c.text));
        c.model = found;
    }
}

/// A `claude-...` model name in free text.
pub(super) fn model_in(s: &str) -> Option<String> {
    let at = s.find("claude-")?;
    let name: String = s[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect();
    let name = name.trim_end_matches(['.', '-']);
    (name.len() > "claude-".len() + 1).then(|| name.to_string())
}

/// Both statuses known and different: not the same failure.
pub(super) fn statuses_differ(a: Option<u16>, b: Option<u16>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// The text already names a specific cause (a rule other than the generic one matches).
pub(super) fn has_specific_text(text: &str) -> bool {
    !text.is_empty()
        && rules::first_match(&rules::normalise(text))
            .is_some_and(|(r, _)| r.class != crate::classify::Class::Unknown)
}
