//! What a person sees in a real terminal: every command runs in a pseudo-terminal of a set
//! size (util-linux `script`, the size set with `stty` inside it, as a terminal would) with
//! `--color always`, and the output is checked the way a terminal shows it: every escape
//! sequence whole, no visible line wider than the terminal, file paths, class names and
//! header names unbroken. `limits` and `probe` talk to a local server on 127.0.0.1.

use std::time::Duration;

use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::pty::{Pty, pty};

const ADMIN_KEY: &str = "sk-ant-admin01-TERMTESTADMIN0123456789abcdef";
const API_KEY: &str = "sk-ant-api03-TERMTESTAPIKEY0123456789abcdef";

/// The text a terminal shows: CSI sequences removed. Panics on a cut or broken escape.
fn visible(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        assert_eq!(
            chars.next(),
            Some('['),
            "an escape that is not CSI:\n{text}"
        );
        let mut closed = false;
        for d in chars.by_ref() {
            if d.is_ascii_alphabetic() {
                closed = true;
                break;
            }
            assert!(
                d.is_ascii_digit() || d == ';' || d == '?',
                "a broken escape sequence:\n{text}"
            );
        }
        assert!(closed, "an escape sequence cut off:\n{text}");
    }
    out
}

/// Checks what a terminal `cols` wide shows; returns the visible text.
fn check(r: &Pty, cols: u16, words: &[&str]) -> String {
    let v = visible(&r.text);
    assert!(
        r.text.contains("\u{1b}["),
        "--color always on a terminal printed no colour:\n{v}"
    );
    for line in v.lines() {
        assert!(
            !line.contains("[0m") && !line.contains("[39m") && !line.contains("[1m"),
            "escape fragment printed as text at {cols} columns: {line:?}"
        );
        let w = UnicodeWidthStr::width(line.trim_end());
        assert!(
            w <= usize::from(cols),
            "a line is {w} columns wide in a {cols}-column terminal:\n{line}\n---\n{v}"
        );
    }
    let flat = v.split_whitespace().collect::<Vec<_>>().join(" ");
    for w in words {
        assert!(
            flat.contains(w),
            "{w:?} is not shown unbroken at {cols} columns:\n{v}"
        );
    }
    v
}

const WIDTHS: [u16; 4] = [80, 100, 120, 200];

#[test]
fn replay_examples_fits_every_width() {
    let words = [
        "examples/python-traceback.txt:1",
        "examples/devtools-export.har:346",
        "examples/support-ticket.txt:12",
        "subscription_cap",
        "acceleration",
        "anthropic-ratelimit-output-tokens-remaining:",
        "error.details.error_code: ramp_limit_exceeded",
    ];
    for cols in WIDTHS {
        let r = pty(cols, &["replay", "--color", "always", "examples/"], &[]);
        assert_eq!(r.code, Some(1), "replay finds rate limits:\n{}", r.text);
        let v = check(&r, cols, &words);
        if cols == 80 {
            let n = v.lines().count();
            assert!(n < 100, "replay examples/ at 80 columns is {n} lines:\n{v}");
        }
    }
}

#[test]
fn fixes_fits_every_width() {
    let classes = [
        "rpm",
        "itpm",
        "otpm",
        "batch_queue",
        "subscription_cap",
        "not_rate_limit",
        "anthropic-ratelimit-requests-remaining:",
    ];
    for cols in WIDTHS {
        let r = pty(cols, &["fixes", "--color", "always"], &[]);
        assert_eq!(r.code, Some(0), "{}", r.text);
        check(&r, cols, &classes);
    }
    let r = pty(80, &["fixes", "--color", "always", "subscription_cap"], &[]);
    check(&r, 80, &["subscription_cap", "waiting:"]);
}

#[test]
fn diagnose_examples_fits_every_width() {
    for cols in WIDTHS {
        let r = pty(cols, &["diagnose", "--color", "always", "examples/"], &[]);
        assert_eq!(r.code, Some(1), "{}", r.text);
        check(
            &r,
            cols,
            &[
                "examples/claude-code.log:2",
                "subscription_cap",
                "anthropic-ratelimit-requests-remaining:",
                "Ranked causes",
            ],
        );
    }
}

#[test]
fn diagnose_without_input_on_a_terminal_exits_2_at_once() {
    let r = pty(80, &["diagnose"], &[]);
    assert_eq!(r.code, Some(2), "{}", r.text);
    assert!(r.text.contains("no input"), "{}", r.text);
    assert!(
        r.elapsed < Duration::from_secs(30),
        "took {:?} (waiting for stdin?)",
        r.elapsed
    );
}

fn org_limits() -> Value {
    let p = crate::common::fixture("limits/org_rate_limits.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_fits_every_width() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": org_limits(), "next_page": null})),
        )
        .mount(&s)
        .await;
    let base = s.uri();
    for cols in WIDTHS {
        let r = pty(
            cols,
            &["limits", "--color", "always"],
            &[
                ("ANTHROPIC_BASE_URL", &base),
                ("ANTHROPIC_ADMIN_KEY", ADMIN_KEY),
            ],
        );
        assert_eq!(r.code, Some(0), "{}", r.text);
        assert!(!r.text.contains("TERMTESTADMIN"), "the key was printed");
        check(
            &r,
            cols,
            &[
                "rlg_01SONNET",
                "claude-sonnet-4-5-20250929",
                "input_tokens_per_minute_cache_aware",
                "2,000,000",
            ],
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_fits_every_width() {
    let s = MockServer::start().await;
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut t = ResponseTemplate::new(200)
        .set_body_json(
            json!({"id": "msg_01", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 9, "output_tokens": 1}}),
        )
        .insert_header("request-id", "req_011CVterm0123456789abcdef");
    for (name, l, r) in [
        ("requests", 4000, 3999),
        ("input-tokens", 2_000_000, 1_999_000),
        ("output-tokens", 400_000, 40_000),
        ("tokens", 2_000_000, 1_999_000),
    ] {
        t = t
            .insert_header(format!("anthropic-ratelimit-{name}-limit"), l.to_string())
            .insert_header(
                format!("anthropic-ratelimit-{name}-remaining"),
                r.to_string(),
            )
            .insert_header(format!("anthropic-ratelimit-{name}-reset"), reset.as_str());
    }
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(t)
        .mount(&s)
        .await;
    let base = s.uri();
    for cols in WIDTHS {
        let r = pty(
            cols,
            &["probe", "--color", "always", "--model", "claude-sonnet-4-5"],
            &[
                ("ANTHROPIC_BASE_URL", &base),
                ("ANTHROPIC_API_KEY", API_KEY),
            ],
        );
        assert_eq!(r.code, Some(0), "{}", r.text);
        assert!(!r.text.contains("TERMTESTAPIKEY"), "the key was printed");
        check(
            &r,
            cols,
            &[
                "claude-sonnet-4-5",
                "output tokens",
                "req_011CVterm0123456789abcdef",
            ],
        );
    }
    // --watch: the live lines and the summary table fit too.
    let r = pty(
        80,
        &[
            "probe",
            "--color",
            "always",
            "--model",
            "claude-sonnet-4-5",
            "--watch",
            "1",
            "--rounds",
            "2",
        ],
        &[
            ("ANTHROPIC_BASE_URL", &base),
            ("ANTHROPIC_API_KEY", API_KEY),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.text);
    check(&r, 80, &["claude-sonnet-4-5", "watched 2 rounds"]);
}
