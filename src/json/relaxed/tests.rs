use super::*;
use serde_json::json;

const JSON_429: &str = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (4f1c2d9a-0b1e-4c55-9a7e-1d2f3a4b5c6d) of 40,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."},"request_id":"req_011CV4hKxQ2yNfE3b9TzJm7P"}"#;

const PY_429: &str = r#"Error code: 429 - {'type': 'error', 'error': {'details': None, 'type': 'rate_limit_error', 'message': "This request would exceed your organization's rate limit of 8,000 output tokens per minute (org: 4f1c2d9a, model: claude-sonnet-4-5). For details, refer to: https://docs.claude.com/en/api/rate-limits."}, 'request_id': 'req_011CV4hKxQ2yNfE3b9TzJm7P'}"#;

const PY_RAMP: &str = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Your organization\u{2019}s usage is increasing too quickly. Please ramp up gradually \u{2014} see https://docs.claude.com/en/api/rate-limits#ramp.', 'details': {'error_code': 'ramp_limit_exceeded', 'retry_after_s': 30, 'burst': True}}, 'request_id': 'req_011CV9RampUp'}";

const JS_DUMP: &str = r#"RateLimitError: 429 {"type":"error"}
{
  status: 529,
  headers: {
'anthropic-ratelimit-requests-limit': '50',
'anthropic-ratelimit-requests-remaining': '0',
'anthropic-ratelimit-requests-reset': '2025-01-15T10:30:12Z',
'retry-after': '12',
'x-should-retry': 'true',
'request-id': 'req_011CVjsDump',
  },
  request_id: 'req_011CVjsDump',
  error: {
type: 'error',
error: { type: 'overloaded_error', message: 'Overloaded', details: undefined },
  },
  message: 'line one of a long message\n' +
'line two, which says "hi"',
  stack: [Getter],
  cause: null,
  attempts: [ 1, 2, 3, ... 7 more items ],
  nested: [ [Object], [Array], [Function: retry], [Circular *1] ],
  iterator: Object [AsyncGenerator] {},
  raw: Headers { 'content-type': 'application/json', vary: 'Accept-Encoding' },
  sizes: Map(2) { 'in' => 1200, 'out' => 0 },
  [Symbol(kHeaders)]: [Object: null prototype] { server: 'cloudflare' },
}"#;

fn parse(s: &str) -> Value {
    match parse_prefix(s) {
        Some((v, _)) => v,
        None => panic!("did not parse: {s}"),
    }
}

/// Every char-boundary prefix of `s`, shortest first.
fn prefixes(s: &str) -> impl Iterator<Item = &str> {
    (0..s.len())
        .filter(|&i| s.is_char_boundary(i))
        .map(move |i| &s[..i])
}

fn naive_find(line: &str) -> Option<(usize, Value, usize)> {
    line.match_indices('{')
        .find_map(|(i, _)| parse_prefix(&line[i..]).map(|(v, n)| (i, v, n)))
}

#[test]
fn strict_json_matches_serde() {
    let (v, n) = parse_prefix(JSON_429).unwrap();
    assert_eq!(n, JSON_429.len());
    assert_eq!(v, serde_json::from_str::<Value>(JSON_429).unwrap());
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    assert_eq!(parse(&pretty), v);
    let tricky = r#"{"a":[1,-2,3.5,-0.25e-3,1E5,true,false,null,{}],"s":"q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","k":18446744073709551615,"m":-9223372036854775808}"#;
    assert_eq!(
        parse(tricky),
        serde_json::from_str::<Value>(tricky).unwrap()
    );
}

#[test]
fn python_repr_error_body() {
    let (off, v, n) = find_object(PY_429).unwrap();
    assert_eq!(off, PY_429.find('{').unwrap());
    assert_eq!(off + n, PY_429.len());
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["details"], Value::Null);
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("This request would exceed your organization's rate limit")
    );
    assert_eq!(v["request_id"], "req_011CV4hKxQ2yNfE3b9TzJm7P");
}

#[test]
fn python_nested_details_and_curly_apostrophe() {
    let (_, v, _) = find_object(PY_RAMP).unwrap();
    assert_eq!(
        v["error"]["details"],
        json!({"error_code": "ramp_limit_exceeded", "retry_after_s": 30, "burst": true})
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("Your organization\u{2019}s usage"), "{msg}");
    assert!(msg.contains('\u{2014}'));
}

#[test]
fn python_escapes() {
    let v = parse(
        r#"{'a': 'It\'s', 'b': '\x27quoted\x27', 'c': 'one\ntwo\ttab', 'd': 'organization\u2019s', 'e': '\U0001F600', 'f': 'He said "don\'t"', 'g': 'back\\slash', 'h': '\0', 'i': 'keep \N{BULLET}', 'j': 'cont\
inued'}"#,
    );
    assert_eq!(v["a"], "It's");
    assert_eq!(v["b"], "'quoted'");
    assert_eq!(v["c"], "one\ntwo\ttab");
    assert_eq!(v["d"], "organization\u{2019}s");
    assert_eq!(v["e"], "\u{1F600}");
    assert_eq!(v["f"], "He said \"don't\"");
    assert_eq!(v["g"], "back\\slash");
    assert_eq!(v["h"], "\0");
    assert_eq!(v["i"], "keep \\N{BULLET}");
    assert_eq!(v["j"], "continued");
}

#[test]
fn python_extras() {
    // pprint wraps long strings in parentheses; bytes and raw prefixes; tuples; calls.
    let v = parse(
        "{'message': ('This request would exceed the rate limit '\n             'for your organization.'),\n 'raw': b'{\"type\": \"error\"}',\n 'path': r'C:\\tmp\\x', u'k': u'v',\n 'pair': ('retry-after', '12'), 'one': (1,), 'empty': (),\n 'headers': Headers({'retry-after': '12'}),\n 'when': datetime.datetime(2025, 1, 15, 10, 30, tzinfo=datetime.timezone.utc),\n 'cls': <class 'anthropic.RateLimitError'>, 'n': 1_000_000}",
    );
    assert_eq!(
        v["message"],
        "This request would exceed the rate limit for your organization."
    );
    assert_eq!(v["raw"], "{\"type\": \"error\"}");
    assert_eq!(v["path"], "C:\\tmp\\x");
    assert_eq!(v["k"], "v");
    assert_eq!(v["pair"], json!(["retry-after", "12"]));
    assert_eq!(v["one"], json!([1]));
    assert_eq!(v["empty"], json!([]));
    assert_eq!(v["headers"], json!({"retry-after": "12"}));
    assert_eq!(
        v["when"],
        "datetime.datetime(2025, 1, 15, 10, 30, tzinfo=datetime.timezone.utc)"
    );
    assert_eq!(v["cls"], "<class 'anthropic.RateLimitError'>");
    assert_eq!(v["n"], 1_000_000);
    // A call at the top level that wraps a dict is that dict.
    assert_eq!(
        parse("Headers({'x-should-retry': 'true'})"),
        json!({"x-should-retry": "true"})
    );
}

#[test]
fn js_util_inspect_dump() {
    let (off, v, n) = find_object(JS_DUMP).unwrap();
    // The first `{` is a complete JSON object on the first line.
    assert_eq!((off, n), (20, 16));
    assert_eq!(v, json!({"type": "error"}));

    let start = JS_DUMP.find("\n{").unwrap() + 1;
    let (v, n) = parse_prefix(&JS_DUMP[start..]).unwrap();
    assert_eq!(start + n, JS_DUMP.len());
    assert_eq!(v["status"], 529);
    assert_eq!(v["headers"]["retry-after"], "12");
    assert_eq!(v["headers"]["anthropic-ratelimit-requests-remaining"], "0");
    assert_eq!(v["error"]["error"]["type"], "overloaded_error");
    assert_eq!(v["error"]["error"]["details"], Value::Null);
    assert_eq!(
        v["message"],
        "line one of a long message\nline two, which says \"hi\""
    );
    assert_eq!(v["stack"], "[Getter]");
    assert_eq!(v["cause"], Value::Null);
    assert_eq!(v["attempts"], json!([1, 2, 3]));
    assert_eq!(
        v["nested"],
        json!(["[Object]", "[Array]", "[Function: retry]", "[Circular *1]"])
    );
    assert_eq!(v["iterator"], json!({}));
    assert_eq!(
        v["raw"],
        json!({"content-type": "application/json", "vary": "Accept-Encoding"})
    );
    assert_eq!(v["sizes"], json!({"in": 1200, "out": 0}));
    assert_eq!(v["[Symbol(kHeaders)]"], json!({"server": "cloudflare"}));
    // balanced_end agrees on where the multi-line literal ends.
    assert_eq!(balanced_end(&JS_DUMP[start..]), Some(JS_DUMP.len() - start));
}

#[test]
fn js_more_forms() {
    let v = parse(
        "<ref *1> Object [AsyncGenerator] { a: `it's \"both\"`, b: 'x'... 9900 more characters, c: [ <2 empty items>, 3 ], d: Array(2) [ 'p', 'q' ], e: [class APIError extends Error], f: [Object: null prototype] {}, $g_1: -Infinity, h: NaN, }",
    );
    assert_eq!(v["a"], "it's \"both\"");
    assert_eq!(v["b"], "x");
    assert_eq!(v["c"], json!(["<2 empty items>", 3]));
    assert_eq!(v["d"], json!(["p", "q"]));
    assert_eq!(v["e"], "[class APIError extends Error]");
    assert_eq!(v["f"], json!({}));
    assert_eq!(v["$g_1"], "-Infinity");
    assert_eq!(v["h"], "NaN");
    // Node's undici Headers dump, multi-line with symbol keys and Map entries.
    let headers = "Headers {\n  [Symbol(headers list)]: HeadersList {\n    cookies: null,\n    [Symbol(headers map)]: Map(3) {\n      'retry-after' => [Object],\n      'x-should-retry' => { name: 'x-should-retry', value: 'true' },\n      'request-id' => [Object]\n    },\n    [Symbol(headers map sorted)]: null\n  },\n  [Symbol(guard)]: 'immutable'\n}";
    let v = parse(headers);
    let map = &v["[Symbol(headers list)]"]["[Symbol(headers map)]"];
    assert_eq!(map["retry-after"], "[Object]");
    assert_eq!(map["x-should-retry"]["value"], "true");
    assert_eq!(v["[Symbol(guard)]"], "immutable");
    // Lists of values keep Python keywords as values, not placeholders.
    assert_eq!(
        parse("[None, True, false, undefined, nil]"),
        json!([null, true, false, null, null])
    );
    // Ruby's inspect.
    assert_eq!(
        parse(r#"{"type"=>"error", "error"=>{"type"=>"api_error", "details"=>nil}}"#),
        json!({"type": "error", "error": {"type": "api_error", "details": null}})
    );
}

#[test]
fn curly_quotes_from_chat_tools() {
    let v = parse(
        "{\u{2018}type\u{2019}: \u{2018}error\u{2019}, \u{201C}message\u{201D}: \u{2018}Your organization\u{2019}s rate limit\u{2019}}",
    );
    assert_eq!(
        v,
        json!({"type": "error", "message": "Your organization\u{2019}s rate limit"})
    );
}

#[test]
fn escaped_json() {
    let line = r#"2025-01-15 10:30:12 ERROR upstream body="{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit; see \\\"retry-after\\\"\\nthen retry \u2019soon\u2019.\"},\"request_id\":\"req_011CVesc\"}""#;
    assert!(find_object(line).is_none());
    let un = unescape_one_level(line).unwrap();
    let (_, v, _) = find_object(&un).unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(v["request_id"], "req_011CVesc");
    assert_eq!(
        v["error"]["message"],
        "Number of request tokens has exceeded your per-minute rate limit; see \"retry-after\"\nthen retry \u{2019}soon\u{2019}."
    );
    // Escaped twice: two applications.
    let twice =
        r#"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"overloaded_error\\\"}}"#;
    let once = unescape_one_level(twice).unwrap();
    assert!(parse_prefix(&once).is_none());
    let (v, _) = parse_prefix(&unescape_one_level(&once).unwrap()).unwrap();
    assert_eq!(v["error"]["type"], "overloaded_error");
    // Pretty-printed, then escaped: the newline is an escape too.
    let pretty = r#"{\n  \"type\": \"error\",\n  \"error\": {\"type\": \"api_error\"}\n}"#;
    assert_eq!(
        parse(&unescape_one_level(pretty).unwrap())["error"]["type"],
        "api_error"
    );
    // Surrogate pairs and unknown escapes.
    assert_eq!(
        unescape_one_level(r#"{\"e\":\"\ud83d\ude00 \q\"}"#).unwrap(),
        "{\"e\":\"\u{1F600} \\q\"}"
    );
    // Not escaped.
    assert!(unescape_one_level(JSON_429).is_none());
    assert!(unescape_one_level("no braces \\\" here").is_none());
    assert!(unescape_one_level("").is_none());
}

#[test]
fn numbers() {
    let v = parse(
        "{a: 1_000, b: 0x1F, c: 1.5e3, d: -7, e: 18446744073709551615, f: 123456789012345678901234, g: 1e999, h: 12ms, i: 007, j: 10n, k: .5, l: 2025-01-15T10:30:00Z, m: 1__0, n: 0b101, o: -0x10, p: 5., q: 1e, r: -9223372036854775809, s: 0, t: -0.0, u: +3}",
    );
    assert_eq!(v["a"], 1000);
    assert_eq!(v["b"], 31);
    assert_eq!(v["c"], 1500.0);
    assert_eq!(v["d"], -7);
    assert_eq!(v["e"], u64::MAX);
    assert_eq!(v["f"], "123456789012345678901234");
    assert_eq!(v["g"], "1e999");
    assert_eq!(v["h"], "12ms");
    assert_eq!(v["i"], "007");
    assert_eq!(v["j"], 10);
    assert_eq!(v["k"], 0.5);
    assert_eq!(v["l"], "2025-01-15T10:30:00Z");
    assert_eq!(v["m"], "1__0");
    assert_eq!(v["n"], 5);
    assert_eq!(v["o"], -16);
    assert_eq!(v["p"], 5.0);
    assert_eq!(v["q"], "1e");
    assert_eq!(v["r"], "-9223372036854775809");
    assert_eq!(v["s"], 0);
    assert_eq!(v["t"], -0.0);
    assert_eq!(v["u"], 3);
    // Separators that collide with syntax fail instead of guessing.
    assert!(parse_prefix("{tokens: 40,000 per minute}").is_none());
    assert!(parse_prefix("{a: -}").is_none());
    assert!(parse_prefix("{a: 1 000}").is_none());
}

#[test]
fn consumed_and_trailing_text() {
    let (v, n) = parse_prefix("  \n{'a': 1}  and then some text {'b': 2}").unwrap();
    assert_eq!(v, json!({"a": 1}));
    assert_eq!(n, 11);
    let (v, n) = parse_prefix("[1, 2,] trailing").unwrap();
    assert_eq!((v, n), (json!([1, 2]), 7));
    assert_eq!(parse("{a: 1,}"), json!({"a": 1}));
    // A scalar is not a literal.
    assert!(parse_prefix("'just a string'").is_none());
    assert!(parse_prefix("42").is_none());
    assert!(parse_prefix("[Object]").is_none());
    // The same parse from the consumed prefix alone.
    for s in [
        JSON_429,
        &PY_429[PY_429.find('{').unwrap()..],
        "\u{FEFF}\u{A0}{a:1}x",
    ] {
        let (v, n) = parse_prefix(s).unwrap();
        assert_eq!(parse_prefix(&s[..n]), Some((v, n)));
    }
}

#[test]
fn find_object_skips_bad_starts() {
    let line = "log {not valid} then {'a': {\"b\": 1}}";
    let (off, v, n) = find_object(line).unwrap();
    assert_eq!(off, 21);
    assert_eq!(n, line.len() - 21);
    assert_eq!(v, json!({"a": {"b": 1}}));
    // The outer literal is broken, so the first start that works is the inner one.
    let line = "x {'a': {\"b\": 1} oops}";
    assert_eq!(find_object(line), Some((8, json!({"b": 1}), 8)));
    assert_eq!(find_object(line), naive_find(line));
    assert!(find_object("no braces at all").is_none());
    assert!(find_object("").is_none());
    assert!(find_object("{{{{{{{{").is_none());
}

#[test]
fn truncation_is_rejected() {
    let samples = [
        JSON_429,
        &PY_429[PY_429.find('{').unwrap()..],
        &PY_RAMP[PY_RAMP.find('{').unwrap()..],
        &JS_DUMP[JS_DUMP.find("\n{").unwrap() + 1..],
        "Headers({'retry-after': '12'})",
        "(1, 2)",
    ];
    for s in samples {
        assert!(parse_prefix(s).is_some(), "{s}");
        for p in prefixes(s) {
            assert!(parse_prefix(p).is_none(), "accepted truncated {p:?}");
            assert!(find_object(p).is_none_or(|(o, _, n)| o + n <= p.len()));
            if s.starts_with('{') {
                assert_eq!(balanced_end(p), None, "{p:?}");
            }
        }
    }
    // A traceback line cut mid-message.
    assert!(find_object("Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exc").is_none());
}

#[test]
fn garbage_is_rejected() {
    for g in [
        "",
        "   ",
        "hello",
        "{",
        "}",
        "]",
        "{]",
        "[}",
        "{'a' 1}",
        "{a:}",
        "{,}",
        "{a:1,,}",
        "[1 2]",
        "[,]",
        "{a b: 1}",
        "{'a': 'b' 'c': 1}",
        "{a: 'x' +}",
        "{: 1}",
        "{a: @}",
        "{a: [Object}",
        "{a: <unterminated}",
        "{a: ...}",
        "{'a': 1]",
        "(",
        "Foo",
        "Foo {",
        "{a: Foo}",
        "{a: 'x'\u{201D}",
        "\u{201C}x\u{201D}",
        "{a: b'x}",
        "{a: -x}",
    ] {
        assert!(parse_prefix(g).is_none(), "accepted {g:?}");
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let open = "[".repeat(1000);
    assert!(parse_prefix(&open).is_none());
    assert!(parse_prefix(&format!("{open}{}", "]".repeat(1000))).is_none());
    let objs = format!("{}1{}", "{a:".repeat(1000), "}".repeat(1000));
    assert!(parse_prefix(&objs).is_none());
    assert!(find_object(&objs).is_none_or(|(o, _, _)| o >= 1000 - MAX_DEPTH));
    for opener in ["(", "Foo(", "Headers({x:", "<ref *1> [", "Map(1) {a:"] {
        assert!(parse_prefix(&opener.repeat(5000)).is_none(), "{opener}");
    }
    // Exactly MAX_DEPTH levels parse; one more does not.
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse_prefix(&ok).is_some());
    let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(parse_prefix(&over).is_none());
    // A depth failure is not a syntax failure: the shallower start is still found.
    let over = format!(
        "x{}1{}",
        "{a:".repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    let (off, _, _) = find_object(&over).unwrap();
    assert_eq!(off, 4);
    // The nesting bound keeps the stack small even in a debug build.
    let h = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let mixed = format!(
                "{}1{}",
                "{a:(".repeat(MAX_DEPTH / 2),
                ")}".repeat(MAX_DEPTH / 2)
            );
            assert_eq!(parse_prefix(&mixed).map(|(_, n)| n), Some(mixed.len()));
            let deeper = format!("{}1{}", "{a:(".repeat(MAX_DEPTH), ")}".repeat(MAX_DEPTH));
            assert!(parse_prefix(&deeper).is_none());
            assert!(parse_prefix(&ok).is_some());
            assert!(find_object(&"{a:[".repeat(20_000)).is_none());
        })
        .unwrap();
    h.join().unwrap();
}

#[test]
fn balanced_end_honours_strings() {
    assert_eq!(balanced_end("{}"), Some(2));
    assert_eq!(balanced_end("{a: 1} rest"), Some(6));
    let s = r#"{'msg': 'a } b', "x": "{{", y: `}`, 'it\'s': '}', z: {}} tail"#;
    assert_eq!(balanced_end(s), Some(s.len() - 5));
    let esc = r#"{\"a\":\"}\"} tail"#;
    assert_eq!(balanced_end(esc), Some(esc.len() - 5));
    let esc = r#"{\"m\":\"a\\\"}\\\"b{\", \"n\": {}} tail"#;
    assert_eq!(balanced_end(esc), Some(esc.len() - 5));
    let un = unescape_one_level(esc).unwrap();
    assert_eq!(parse(&un), json!({"m": "a\"}\"b{", "n": {}}));
    assert_eq!(balanced_end("{'a': '}"), None);
    assert_eq!(balanced_end("{a: {b: 1}"), None);
    assert_eq!(balanced_end(""), None);
    assert_eq!(balanced_end("x{}"), None);
    assert_eq!(balanced_end("{\\"), None);
    // Growing a multi-line literal line by line, as the text scanner does.
    let lines = [
        "{",
        "  type: 'error',",
        "  message: 'Overloaded {retry}',",
        "}",
        "next",
    ];
    let mut buf = String::new();
    let mut done_at = None;
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            buf.push('\n');
        }
        buf.push_str(l);
        if let Some(end) = balanced_end(&buf) {
            done_at = Some((i, end));
            break;
        }
    }
    let (i, end) = done_at.unwrap();
    assert_eq!(i, 3);
    assert_eq!(
        parse(&buf[..end]),
        json!({"type": "error", "message": "Overloaded {retry}"})
    );
}

/// xorshift64*: deterministic, dependency-free randomness for the fuzz loops.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Runs every entry point and checks the invariants that must hold for any input.
fn check_invariants(s: &str) {
    if let Some((v, n)) = parse_prefix(s) {
        assert!(n <= s.len() && s.is_char_boundary(n), "{s:?}");
        assert!(v.is_object() || v.is_array());
        assert_eq!(parse_prefix(&s[..n]).map(|(_, m)| m), Some(n), "{s:?}");
    }
    let found = find_object(s);
    if let Some((o, v, n)) = &found {
        assert!(o + n <= s.len() && s.is_char_boundary(o + n));
        assert_eq!(&s[*o..*o + 1], "{");
        assert!(v.is_object());
    }
    assert_eq!(found, naive_find(s), "{s:?}");
    if let Some(end) = balanced_end(s) {
        assert!(end <= s.len() && s.as_bytes()[end - 1] == b'}');
    }
    if let Some(u) = unescape_one_level(s) {
        check_invariants_shallow(&u);
    }
}

fn check_invariants_shallow(s: &str) {
    let _ = parse_prefix(s);
    let _ = find_object(s);
    let _ = balanced_end(s);
}

#[test]
fn fuzz_random_token_soup() {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "'",
        "\"",
        "`",
        "\\",
        ":",
        ",",
        " ",
        "\n",
        "a",
        "key",
        "1",
        "-",
        "+",
        ".",
        "...",
        "... 3 more items",
        "_",
        "0x",
        "e",
        "n",
        "None",
        "True",
        "null",
        "undefined",
        "[Object]",
        "[Function: f]",
        "Headers ",
        "Map(2) ",
        "<ref *1> ",
        "<",
        ">",
        "=>",
        "\\u",
        "\\x2",
        "\\u{",
        "d83d",
        "\\ud83d",
        "\u{2019}",
        "\u{2018}",
        "\u{201C}",
        "\u{201D}",
        "\u{e9}",
        "\u{1F600}",
        "\u{A0}",
        "b'",
        "r'",
        "Foo(",
        "[Symbol(x)]",
        "\\\"",
        "{\\\"",
        "0",
        "9",
        "Infinity",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.below(40);
        let s: String = (0..len).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        check_invariants(&s);
    }
}

#[test]
fn fuzz_random_chars_and_mutations() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let len = rng.below(64);
        let s: String = (0..len)
            .map(|_| match rng.below(4) {
                0 => char::from(rng.below(128) as u8),
                1 => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{FFFD}'),
                _ => char::from(b"{}[]()'\"`\\:,.<> \n"[rng.below(17)]),
            })
            .collect();
        check_invariants(&s);
    }
    let seeds = [
        JSON_429.to_string(),
        PY_429.to_string(),
        PY_RAMP.to_string(),
        JS_DUMP.to_string(),
    ];
    for seed in &seeds {
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..300 {
            let mut c = chars.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(c.len());
                match rng.below(3) {
                    0 => {
                        c.remove(i);
                    }
                    1 => c.insert(i, char::from(b"{}[]'\"\\,:"[rng.below(9)])),
                    _ => c.truncate(i),
                }
                if c.is_empty() {
                    break;
                }
            }
            let s: String = c.into_iter().collect();
            check_invariants(&s);
        }
    }
}

#[test]
fn long_inputs_stay_fast() {
    let start = std::time::Instant::now();
    let n = 200_000;
    let inputs = [
        "{".repeat(n),
        "{'a': ".repeat(n / 6),
        format!("{{'a': '{}", "{x: ".repeat(n / 4)),
        format!("{{a: [{}", "1, ".repeat(n / 3)),
        "[Object".repeat(n / 7),
        "<<<<".repeat(n / 4),
        "Foo(".repeat(n / 4),
        format!("{{a: '{}'}}", "\\u12".repeat(n / 4)),
        "{a:1} ".repeat(n / 6),
    ];
    for s in &inputs {
        let _ = parse_prefix(s);
        let _ = find_object(s);
        let _ = balanced_end(s);
        let _ = unescape_one_level(s);
    }
    let big = format!("{{items: [{}]}}", "{k: 'v', n: 1}, ".repeat(20_000));
    assert_eq!(parse(&big)["items"].as_array().unwrap().len(), 20_000);
    // A quadratic scan of these inputs takes many minutes; linear is ~3 s in a debug build
    // on a quiet machine. The bound leaves room for a loaded 2-core CI box (20 s failed
    // there at load 16) and still catches the quadratic case.
    assert!(start.elapsed().as_secs() < 120, "{:?}", start.elapsed());
}

#[test]
fn balance_resumes_without_rescanning() {
    // A 2,000-line literal fed line by line, as the text scanner does: every byte is
    // examined once in total, not once per line (that was quadratic).
    let mut buf = String::from("{\"type\": \"error\", \"error\": {\"details\": {");
    let mut b = Balance::new(&buf).unwrap();
    assert_eq!(b.feed(&buf), None);
    for i in 0..2000 {
        buf.push_str(&format!("\n  \"k{i}\": \"v {{{i}}} \\\" '\","));
        assert_eq!(b.feed(&buf), None, "line {i}");
    }
    buf.push_str("\n \"x\": 1}}}");
    assert_eq!(b.feed(&buf), Some(buf.len()));
    assert!(
        b.steps() <= buf.len(),
        "{} steps for {} bytes",
        b.steps(),
        buf.len()
    );
    assert_eq!(balanced_end(&buf), Some(buf.len()));
}

#[test]
fn balance_waits_for_a_split_escape() {
    let mut b = Balance::new("{\"a\": \"x\\").unwrap();
    assert_eq!(b.feed("{\"a\": \"x\\"), None);
    assert_eq!(b.feed("{\"a\": \"x\\\"\"}"), Some(12));
}
