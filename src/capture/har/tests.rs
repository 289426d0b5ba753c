use std::io::{BufRead, BufReader, Cursor};

use super::cap::tail_start;
use super::par::is_plain_success;
use super::*;

const CHROME: &str = include_str!("../../../tests/fixtures/har/chrome-devtools.har");
const FIREFOX: &str = include_str!("../../../tests/fixtures/har/firefox.har");
const MITM: &str = include_str!("../../../tests/fixtures/har/mitmproxy-base64.har");
const SSE: &str = include_str!("../../../tests/fixtures/har/sse-overload.har");
const TRUNCATED: &str = include_str!("../../../tests/fixtures/har/truncated.har");

/// Scans `input` through a read buffer of `chunk` bytes with the given string limits.
fn run_with(
    input: &[u8],
    failures_only: bool,
    chunk: usize,
    max: usize,
    tail: usize,
) -> (Vec<Capture>, ScanStats) {
    run_entries(input, failures_only, chunk, max, tail, max)
}

/// [`run_with`], entries parsed from slices up to `max_entry` bytes (0: all walked).
fn run_entries(
    input: &[u8],
    failures_only: bool,
    chunk: usize,
    max: usize,
    tail: usize,
    max_entry: usize,
) -> (Vec<Capture>, ScanStats) {
    run_threads(
        input,
        failures_only,
        chunk,
        max,
        tail,
        max_entry,
        1,
        1 << 20,
    )
}

/// [`run_entries`] with the entries parsed on `threads` workers, in batches of `batch` bytes.
#[allow(clippy::too_many_arguments)]
fn run_threads(
    input: &[u8],
    failures_only: bool,
    chunk: usize,
    max: usize,
    tail: usize,
    max_entry: usize,
    threads: usize,
    batch: usize,
) -> (Vec<Capture>, ScanStats) {
    let source: Arc<str> = Arc::from("t.har");
    let mut reader = Counting(BufReader::with_capacity(chunk, Cursor::new(input)), 0);
    let mut caps = Vec::new();
    let mut stats = ScanStats::default();
    let opts = ScanOptions { failures_only };
    let limits = Limits {
        max_string: max,
        tail,
        max_entry,
        batch,
    };
    let ahead = scan_with(
        &source,
        &mut reader,
        &opts,
        threads,
        &Captures,
        &mut |c| caps.push(c),
        &mut stats,
        limits,
    )
    .unwrap();
    stats.bytes = reader.1 - ahead;
    (caps, stats)
}

/// Counts the bytes consumed from a reader.
struct Counting<R>(R, u64);

impl<R: BufRead> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.0.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.1 += n as u64;
        self.0.consume(n);
    }
}

fn run(input: &str, failures_only: bool) -> (Vec<Capture>, ScanStats) {
    run_with(input.as_bytes(), failures_only, 8 * 1024, MAX_STRING, TAIL)
}

#[test]
fn plain_successes_are_told_apart_without_a_full_parse() {
    let entry = |response: &str| {
        format!(
            r#"{{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {response}}}"#
        )
    };
    let yes = entry(
        r#"{"status": 200, "content": {"mimeType": "application/json", "text": "{\"id\": \"msg_1\"}"}}"#,
    );
    assert!(is_plain_success(yes.as_bytes()));
    for no in [
        // An SSE error inside a 200 stream.
        r#"{"status": 200, "content": {"text": "event: error\ndata: {\"type\": \"error\"}"}}"#,
        // A body that could hide one: base64, a \u escape.
        r#"{"status": 200, "content": {"encoding": "base64", "text": "ZXZlbnQ6IGVycm9y"}}"#,
        r#"{"status": 200, "content": {"text": "\u0065"}}"#,
        r#"{"status": 429}"#,
        r#"{"status": "200"}"#,
        r#"{"status": 0}"#,
        r#"{"statusText": "OK"}"#,
    ] {
        assert!(!is_plain_success(entry(no).as_bytes()), "{no}");
    }
    assert!(!is_plain_success(b"{}"));
    // Read no further than the status, so anything that could make a later value
    // count is refused up front: a second response or status, a status that is no
    // integer, a response that is not the entry's own.
    for no in [
        r#"{"response": {"status": 200}, "response": {"status": 429}}"#,
        r#"{"response": {"status": 200, "headers": [{"name": "status", "value": "429"}]}}"#,
        r#"{"response": {"status": 200.0}}"#,
        r#"{"_custom": {"response": {"status": 200}}}"#,
    ] {
        assert!(!is_plain_success(no.as_bytes()), "{no}");
    }
    assert!(is_plain_success(br#"{"response": {"status": 204}}"#));
}

/// A 200 whose base64 body is an SSE error stream is still found; plain successes are
/// still counted.
#[test]
fn a_success_skipped_unparsed_still_counts_and_hidden_errors_are_found() {
    let sse = base64::engine::general_purpose::STANDARD.encode(
        "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n",
    );
    let doc = format!(
        r#"{{"log": {{"entries": [
  {{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {{"status": 200, "content": {{"mimeType": "application/json", "text": "{{}}"}}}}}},
  {{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {{"status": 200, "content": {{"mimeType": "text/event-stream", "encoding": "base64", "text": "{sse}"}}}}}},
  {{"request": {{"method": "POST", "url": "https://api.anthropic.com/v1/messages"}}, "response": {{"status": 200, "content": {{"mimeType": "application/json", "text": "{{}}"}}}}}}
]}}}}"#
    );
    let (caps, stats) = run(&doc, true);
    assert_eq!(stats.captures, 3);
    assert_eq!(caps.len(), 1, "{caps:?}");
    assert_eq!(caps[0].line, 3);
}

/// A one-entry HAR around a response object.
fn har_with(response: &str) -> String {
    format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"t","version":"1"}},"entries":[{{"startedDateTime":"2026-11-20T14:02:11Z","request":{{"method":"POST","url":"https://api.anthropic.com/v1/messages"}},"response":{response}}}]}}}}"#
    )
}

#[test]
fn sniffs_har_heads_only() {
    assert!(sniff(CHROME.as_bytes()));
    assert!(sniff(FIREFOX.as_bytes()));
    assert!(sniff(MITM.as_bytes()));
    assert!(sniff(
        &[b"\xEF\xBB\xBF".as_slice(), CHROME.as_bytes()].concat()
    ));
    assert!(sniff(b"\r\n {\n\t\"log\" : { \"entries\": ["));
    // A head cut before the HAR keys arrive is not enough.
    assert!(!sniff(b"{\"log\": {\"comment\": \"x\""));
    assert!(!sniff(
        br#"{"type":"error","error":{"type":"rate_limit_error","message":"log"}}"#
    ));
    assert!(!sniff(
        br#"{"ts":"2026-11-20T14:02:11Z","status":429,"log":{"version":1}}"#
    ));
    // ECS-style JSON log lines nest a `log` object, but not with HAR's keys.
    assert!(!sniff(
        br#"{"log":{"level":"error","logger":"api"},"version":"1.2","entries":3}
{"log":{"level":"info"}}"#
    ));
    assert!(!sniff(br#"{"log": "rate limited"}"#));
    assert!(!sniff(b""));
    assert!(!sniff(b"[{\"log\":{\"version\":\"1.2\"}}]"));
}

#[test]
fn chrome_export_gives_the_429_with_its_evidence() {
    let (caps, stats) = run(CHROME, true);
    assert_eq!(stats.captures, 4);
    assert_eq!(stats.skipped, 0);
    assert_eq!(caps.len(), 1);
    let c = &caps[0];
    assert_eq!(c.format, Format::Har);
    assert_eq!(c.status, Some(429));
    // The entry's `{` is on that line of the pretty-printed file.
    assert_eq!(c.line, 346);
    assert_eq!(CHROME.lines().nth(345).map(str::trim), Some("{"));
    assert_eq!(c.headers.get("retry-after"), Some("12"));
    assert_eq!(
        c.headers.get("anthropic-ratelimit-input-tokens-remaining"),
        Some("0")
    );
    assert_eq!(c.error.kind.as_deref(), Some("rate_limit_error"));
    assert_eq!(c.request_id(), Some("req_011CVHf7pQ2mX9aRkT3uLz8W"));
    assert_eq!(c.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(c.request.max_tokens, Some(1024));
    assert_eq!(c.method.as_deref(), Some("POST"));
    assert_eq!(
        c.url.as_deref(),
        Some("https://api.anthropic.com/v1/messages")
    );
    assert_eq!(
        c.time.unwrap().to_rfc3339(),
        "2026-11-20T14:02:11.044+00:00"
    );
}

#[test]
fn successes_are_built_when_asked_for() {
    let (caps, stats) = run(CHROME, false);
    assert_eq!(stats.captures, 4);
    let statuses: Vec<_> = caps.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(429), Some(200)]);
    // A Messages success body is not an error object.
    let ok = &caps[1];
    assert!(ok.error.is_empty());
    assert!(!crate::classify::is_failure(ok));
    assert_eq!(ok.output_tokens, Some(212));
    assert_eq!(ok.model.as_deref(), Some("claude-sonnet-4-5"));
}

#[test]
fn every_read_size_gives_the_same_captures() {
    for input in [CHROME, FIREFOX, MITM, SSE] {
        let (want, _) = run(input, false);
        for chunk in [1, 2, 3, 7, 64] {
            let (got, stats) = run_with(input.as_bytes(), false, chunk, MAX_STRING, TAIL);
            assert_eq!(got, want, "read size {chunk}");
            assert_eq!(stats.skipped, 0);
        }
    }
}

#[test]
fn firefox_header_case_and_local_times() {
    let (caps, _) = run(FIREFOX, true);
    assert_eq!(caps.len(), 2);
    assert_eq!(caps[0].status, Some(529));
    assert_eq!(caps[0].error.kind.as_deref(), Some("overloaded_error"));
    assert_eq!(caps[1].headers.get("retry-after"), Some("7"));
    assert_eq!(
        caps[1]
            .headers
            .get("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    assert_eq!(
        caps[1].time.unwrap().to_rfc3339(),
        "2026-11-20T13:47:02.090+00:00"
    );
    assert!(
        caps[1]
            .error
            .message
            .as_deref()
            .unwrap()
            .contains("50 requests per minute")
    );
}

#[test]
fn base64_bodies_are_decoded() {
    let (caps, stats) = run(MITM, true);
    assert_eq!(stats.captures, 3);
    assert_eq!(caps.len(), 2);
    assert_eq!(caps[0].line, 1);
    assert_eq!(
        caps[0].error.error_code.as_deref(),
        Some("ramp_limit_exceeded")
    );
    assert_eq!(caps[1].status, Some(400));
    assert!(
        caps[1]
            .error
            .message
            .as_deref()
            .unwrap()
            .contains("credit balance")
    );
}

#[test]
fn sse_error_event_in_a_200() {
    let (caps, stats) = run(SSE, true);
    assert_eq!(stats.captures, 2);
    assert_eq!(caps.len(), 1);
    assert_eq!(caps[0].status, Some(200));
    assert!(caps[0].stream_error);
    assert_eq!(caps[0].error.kind.as_deref(), Some("overloaded_error"));
    assert_eq!(caps[0].request_id(), Some("req_011CVHs1ovovovovovovovov"));
}

#[test]
fn long_bodies_are_cut_but_status_and_headers_stay() {
    // Escapes straddle the cut, and the body is far longer than the cap.
    let body = format!(
        "{{\\\"type\\\":\\\"error\\\",\\\"pad\\\":\\\"{}\\\"}}",
        "\\u00e9\\\\\\\"x".repeat(400)
    );
    let har = har_with(&format!(
        r#"{{"status":429,"headers":[{{"name":"Retry-After","value":"3"}}],"content":{{"mimeType":"application/json","text":"{body}"}}}}"#
    ));
    for chunk in [1, 5, 4096] {
        let (caps, stats) = run_with(har.as_bytes(), true, chunk, 256, 64);
        assert_eq!(stats.skipped, 0, "{:?}", stats.skipped_samples);
        assert_eq!(caps.len(), 1);
        assert_eq!(caps[0].status, Some(429));
        assert_eq!(caps[0].headers.get("retry-after"), Some("3"));
        assert!(caps[0].error.is_empty());
        assert!(caps[0].text.is_empty());
    }
}

#[test]
fn a_long_stream_keeps_its_last_lines() {
    let delta = r#"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"more \\\"words\\\"\"}}\n\n"#;
    let err = r#"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"#;
    let stream = format!("{}{err}", delta.repeat(200));
    let har = har_with(&format!(
        r#"{{"status":200,"headers":[],"content":{{"mimeType":"text/event-stream","text":"{stream}"}}}}"#
    ));
    for chunk in [1, 3, 4096] {
        let (caps, _) = run_with(har.as_bytes(), true, chunk, 1024, 400);
        assert_eq!(caps.len(), 1, "read size {chunk}");
        assert!(caps[0].stream_error);
        assert_eq!(caps[0].error.kind.as_deref(), Some("overloaded_error"));
    }
    // The same stream without the error event is a plain success.
    let ok = har.replace(err, "");
    let (caps, stats) = run_with(ok.as_bytes(), true, 4096, 1024, 400);
    assert!(caps.is_empty());
    assert_eq!(stats.captures, 1);
}

#[test]
fn tail_starts_after_a_real_newline_escape() {
    assert_eq!(tail_start(br"abc\ndef"), 5);
    // `\\n` is an escaped backslash and a letter n, not a newline.
    assert_eq!(tail_start(br"ab\\nde\nf"), 9);
    // A backslash run that reaches the cut has unknown parity.
    assert_eq!(tail_start(br"\nab\nc"), 6);
    assert_eq!(tail_start(b"no newline"), 10);
}

#[test]
fn odd_shapes_do_not_stop_the_file() {
    let har = r#"{"log":{"version":"1.2","entries":[
        "not an entry",
        {"response":"nothing"},
        {"response":{"status":"429 Too Many Requests","headers":{"retry-after":12,"request-id":"req_a"},"content":{"text":null}}},
        {"request":{"postData":{"text":"model=x"}},"response":{"status":0,"headers":[{"name":"x"},{"value":"y"},7]}},
        {"response":{"status":503,"content":{"mimeType":"text/html","text":"<html>upstream connect error</html>"}}}
    ]}}"#;
    let (caps, stats) = run(har, false);
    assert_eq!(stats.captures, 4);
    assert_eq!(stats.skipped, 1);
    assert_eq!(stats.skipped_samples[0].line, 2);
    assert!(
        stats.skipped_samples[0]
            .reason
            .contains("entry 1 is not an object")
    );
    assert_eq!(caps.len(), 4);
    assert_eq!(caps[0].status, None);
    assert_eq!(caps[1].status, Some(429));
    assert_eq!(caps[1].headers.get("retry-after"), Some("12"));
    assert_eq!(caps[1].request_id(), Some("req_a"));
    assert_eq!(caps[1].line, 4);
    // HAR's status 0 means no response.
    assert_eq!(caps[2].status, None);
    assert!(caps[2].headers.is_empty());
    assert_eq!(caps[3].status, Some(503));
    assert!(caps[3].text.contains("upstream connect error"));
}

#[test]
fn truncated_file_keeps_what_was_read() {
    let (caps, stats) = run(TRUNCATED, true);
    assert_eq!(caps.len(), 1);
    assert_eq!(caps[0].status, Some(429));
    // The fourth entry (a 200 cut off in its body) is read as far as it goes.
    assert_eq!(stats.captures, 4);
    assert_eq!(stats.skipped, 1);
    let s = &stats.skipped_samples[0];
    assert!(s.reason.contains("ends inside entry 4"), "{}", s.reason);
    assert_eq!(s.line, TRUNCATED.lines().count() as u64);
}

#[test]
fn an_entry_cut_off_by_the_end_of_the_file_still_shows_its_429() {
    // The 429 is the third entry; cut it after its status, amid its headers and inside
    // its body: each time the failure is read, never dropped (was: a note and exit 0).
    let at = TRUNCATED.find("\"status\": 429").unwrap();
    let body = TRUNCATED[at..].find("rate limit of 30,000").unwrap() + at;
    let headers = TRUNCATED[at..].find("retry-after").unwrap() + at;
    for cut in [at + 16, headers + 5, headers + 30, body] {
        let input = &TRUNCATED[..cut];
        let (caps, stats) = run(input, true);
        assert_eq!(caps.len(), 1, "cut at {cut}: {:?}", stats.skipped_samples);
        assert_eq!(caps[0].status, Some(429));
        assert_eq!(stats.skipped, 1);
        let s = &stats.skipped_samples[0];
        assert!(s.reason.contains("ends inside entry 3"), "{}", s.reason);
        assert!(s.reason.contains("read as far as it goes"), "{}", s.reason);
    }
    // Cut inside the body, the message that arrived is still read.
    let (caps, _) = run(&TRUNCATED[..body + 24], true);
    let seen = format!("{:?} {:?}", caps[0].error, caps[0].text);
    assert!(seen.contains("rate limit of 30,000"), "{seen}");
}

#[test]
fn malformed_and_empty_documents_are_noted() {
    let (caps, stats) = run(
        r#"{"log":{"version":"1.2","entries":[{"response":{"status":429,}}]}}"#,
        true,
    );
    assert!(caps.is_empty());
    assert_eq!(stats.skipped, 1);
    assert!(
        stats.skipped_samples[0]
            .reason
            .starts_with("malformed HAR in entry 1")
    );

    let (_, stats) = run(r#"{"log":{"version":"1.2","entries":[]}} trailing"#, true);
    assert_eq!(stats.skipped, 1);
    assert!(stats.skipped_samples[0].reason.contains("trailing"));

    let (_, stats) = run(r#"{"log":{"version":"1.2","entries":[]}}"#, true);
    assert_eq!((stats.captures, stats.skipped), (0, 0));

    let (_, stats) = run(r#"{"log":{"version":"1.2","pages":[]}}"#, true);
    assert!(
        stats.skipped_samples[0]
            .reason
            .contains("without a log.entries")
    );

    let (_, stats) = run(r#"{"log":{"version":"1.2","entries":{}}}"#, true);
    assert_eq!(stats.skipped, 1);
}

/// A HAR of `n` entries in varied shapes: successes, 429/529/500s with JSON, SSE, base64
/// and HTML bodies, odd elements, escapes, long bodies; pretty-printed or compact.
fn generated(n: usize, pretty: bool) -> String {
    let mut entries = Vec::new();
    for i in 0..n {
        let (status, mime, text, enc) = match i % 9 {
            0 => (429, "application/json", r#"{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"50 requests per minute \u00e9\"}}"#.to_string(), ""),
            1 => (529, "application/json", r#"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"#.to_string(), ""),
            2 => (200, "text/event-stream", format!(r#"{}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n"#, r#"event: ping\ndata: {}\n\n"#.repeat(i % 50)), ""),
            3 => (500, "text/html", "<html>upstream connect error</html>".to_string(), ""),
            4 => (429, "application/json", "eyJ0eXBlIjoiZXJyb3IiLCJlcnJvciI6eyJ0eXBlIjoicmF0ZV9saW1pdF9lcnJvciJ9fQ==".to_string(), "base64"),
            5 => (200, "application/json", format!(r#"{{\"type\":\"message\",\"model\":\"claude-sonnet-4-5\",\"content\":[{{\"text\":\"{}\"}}],\"usage\":{{\"output_tokens\":{i}}}}}"#, "w\\\"x ".repeat(i * 7)), ""),
            _ => (200, "application/json", r#"{\"ok\":true}"#.to_string(), ""),
        };
        let entry = if i % 97 == 13 {
            "\"not an entry\"".to_string()
        } else {
            format!(
                r#"{{"startedDateTime":"2026-11-20T14:{:02}:11.044Z","request":{{"method":"POST","url":"https://api.anthropic.com/v1/messages","postData":{{"text":"{{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":{i}}}"}}}},"response":{{"status":{status},"headers":[{{"name":"Retry-After","value":"{}"}},{{"name":"request-id","value":"req_{i}"}}],"content":{{"mimeType":"{mime}","encoding":"{enc}","text":"{text}"}}}},"cache":{{"n":[1,[2,{{"a":"]}}"}}]]}}}}"#,
                i % 60,
                i % 30
            )
        };
        entries.push(entry);
    }
    let sep = if pretty { ",\n    " } else { "," };
    let body = entries.join(sep);
    let body = if pretty {
        body.replace("\"response\":", "\n      \"response\":\n        ")
    } else {
        body
    };
    format!(
        "{{\"log\":{{\"version\":\"1.2\",\"pages\":[{{\"entries\":[{{\"x\":1}}]}}],\"entries\":[\n    {body}\n  ],\"comment\":\"entries\"}}}}\n"
    )
}

#[test]
fn slices_and_the_streaming_walk_give_the_same_captures() {
    let gen_pretty = generated(300, true);
    let gen_compact = generated(300, false);
    let mut inputs: Vec<String> = [CHROME, FIREFOX, MITM, SSE, TRUNCATED]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    inputs.push(include_str!("../../../tests/fixtures/har/empty-entries.har").to_string());
    inputs.push(gen_pretty.clone());
    inputs.push(gen_compact.clone());
    // Truncated and malformed variants of the generated file.
    inputs.push(gen_pretty[..gen_pretty.len() * 2 / 3].to_string());
    inputs.push(gen_compact.replacen("\"status\":529", "\"status\":529,,", 3));
    inputs.push(gen_compact.replacen("},{", "} {", 40));
    // An error far into a pretty file: its line counts the newlines of the entries before.
    if let Some((cut, _)) = gen_pretty.match_indices(",\n    {").nth(150) {
        inputs.push(format!(
            "{}\n   x{}",
            &gen_pretty[..cut],
            &gen_pretty[cut + 1..]
        ));
    }
    // Nesting the walk refuses but a slice alone would accept.
    for depth in [120, 124, 125, 126, 130] {
        inputs.push(format!(
            r#"{{"log":{{"entries":[{{"response":{{"status":429}}}},{{"x":{}{}}}]}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        ));
    }
    // The inputs that end inside an entry.
    let cut = [TRUNCATED, &gen_pretty[..gen_pretty.len() * 2 / 3]];
    for input in &inputs {
        for failures_only in [true, false] {
            for (chunk, max) in [(8 * 1024, MAX_STRING), (3, MAX_STRING), (4096, 600)] {
                let run_it = |max_entry| {
                    run_entries(
                        input.as_bytes(),
                        failures_only,
                        chunk,
                        max,
                        max / 4,
                        max_entry,
                    )
                };
                let (walked, walked_stats) = run_it(0);
                let (want, want_stats) = run_it(max);
                if cut.contains(&input.as_str()) {
                    // The slices close an entry the file ends inside and read what arrived
                    // of it; the walk alone drops it. Everything before it is the same.
                    assert!(want.len() >= walked.len() && want.len() <= walked.len() + 1);
                    assert_eq!(want[..walked.len()], walked[..]);
                    assert_eq!(want_stats.skipped, walked_stats.skipped);
                } else {
                    assert_eq!(want, walked, "chunk {chunk} max {max}");
                    assert_eq!(want_stats.captures, walked_stats.captures);
                    assert_eq!(want_stats.skipped, walked_stats.skipped);
                    assert_eq!(
                        format!("{:?}", want_stats.skipped_samples),
                        format!("{:?}", walked_stats.skipped_samples)
                    );
                }
                // On worker threads, in batches of every size: the same, bytes read included.
                let (inline, inline_stats) = run_threads(
                    input.as_bytes(),
                    failures_only,
                    chunk,
                    max,
                    max / 4,
                    max,
                    1,
                    1 << 20,
                );
                for (threads, batch) in [(2, 1), (3, 700), (4, 1 << 20)] {
                    let (got, got_stats) = run_threads(
                        input.as_bytes(),
                        failures_only,
                        chunk,
                        max,
                        max / 4,
                        max,
                        threads,
                        batch,
                    );
                    assert_eq!(got, want, "chunk {chunk} max {max} threads {threads}");
                    assert_eq!(got, inline);
                    assert_eq!(got_stats.captures, want_stats.captures);
                    assert_eq!(got_stats.bytes, inline_stats.bytes, "threads {threads}");
                    assert_eq!(
                        format!("{:?}", got_stats.skipped_samples),
                        format!("{:?}", want_stats.skipped_samples)
                    );
                }
            }
        }
    }
    // The generated file really has failures, successes and odd elements.
    let (caps, stats) = run(&gen_pretty, true);
    assert!(caps.len() > 150, "{}", caps.len());
    assert_eq!(stats.skipped, 3, "{:?}", stats.skipped_samples);
}

#[test]
fn a_bom_is_skipped() {
    let input = [b"\xEF\xBB\xBF".as_slice(), MITM.as_bytes()].concat();
    let (caps, stats) = run_with(&input, true, 4096, MAX_STRING, TAIL);
    assert_eq!((caps.len(), stats.skipped), (2, 0));
}
