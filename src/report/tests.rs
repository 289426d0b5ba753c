//! Render tests, in-process: every renderer at 80 and 120 columns, colour on and off, as insta
//! snapshots; and for each, the checks a person's terminal makes: escape sequences whole, no
//! visible line wider than the width, identifiers unbroken.

use super::table::{FailureTable, write_fix, write_fixes};
use super::{Renderer, Style, Summary, visible_width};
use crate::api::rate_limits::{
    Limiter, RateLimitGroup, Source, WorkspaceLimiter, WorkspaceRateLimitGroup,
};
use crate::capture::Format;
use crate::classify::{Class, Confidence, FixRef, Verdict};
use crate::limits::{Filters, Live};

const WIDTHS: [u16; 2] = [80, 120];

fn styles() -> Vec<(String, Style)> {
    let mut v = Vec::new();
    for w in WIDTHS {
        for color in [false, true] {
            let s = Style {
                color,
                tty: color,
                stderr_tty: false,
                width: w,
            };
            v.push((format!("{w}_{}", if color { "color" } else { "plain" }), s));
        }
    }
    v
}

/// Text without CSI sequences; panics on a cut or stray escape.
fn visible(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        assert_eq!(
            chars.next(),
            Some('['),
            "an escape that is not CSI: {text:?}"
        );
        let mut closed = false;
        for d in chars.by_ref() {
            if d.is_ascii_alphabetic() {
                closed = true;
                break;
            }
            assert!(
                d.is_ascii_digit() || d == ';',
                "a broken escape sequence: {text:?}"
            );
        }
        assert!(closed, "an escape sequence cut off: {text:?}");
    }
    out
}

/// What a terminal of `width` columns would show is whole and fits.
fn check(text: &str, width: u16, words: &[&str]) {
    let v = visible(text);
    for frag in ["[0m", "[1m", "[2m", "[31m", "[39m", "[22m"] {
        assert!(!v.contains(frag), "escape fragment {frag} printed:\n{v}");
    }
    for l in v.lines() {
        assert!(!l.ends_with(' '), "a line ends in a space: {l:?}");
        assert!(
            visible_width(l) <= usize::from(width),
            "line wider than {width} ({}):\n{l}\n---\n{v}",
            visible_width(l)
        );
    }
    let flat = v.split_whitespace().collect::<Vec<_>>().join(" ");
    for w in words {
        assert!(flat.contains(w), "{w:?} is broken or missing:\n{v}");
    }
}

fn verdict(source: &str, line: u64, class: Class, evidence: &[&str]) -> Verdict {
    let f = crate::fixes::for_class(class);
    let chosen = crate::fixes::choose(class, crate::classify::Provider::Anthropic, None);
    Verdict {
        source: source.into(),
        line,
        time: Some("2026-11-20T14:02:11Z".into()),
        status: Some(429),
        model: Some("claude-sonnet-4-5-20250929".into()),
        class,
        confidence: Confidence::Certain,
        evidence: evidence.iter().map(|s| s.to_string()).collect(),
        retry_after_s: Some(13),
        request_id: Some("req_011CVd3m5pQxK2Tz8aYbW4nR".into()),
        fix: FixRef::from(chosen),
        format: Format::Http,
        error_type: Some("rate_limit_error".into()),
        error_code: None,
        limit: Some(450_000),
        reset: None,
        why: f.why.into(),
        provider: crate::classify::Provider::Anthropic,
        subscription: None,
    }
}

fn replay_text(style: &Style) -> String {
    let verdicts = [
        verdict(
            "logs/production/gateway/2026-11-20/requests-eu-west-1.jsonl",
            4812,
            Class::Itpm,
            &[
                "anthropic-ratelimit-input-tokens-remaining: 0 (limit 450000)",
                "message: \"This request would exceed the rate limit for your organization of 450,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.\"",
                "status 429",
            ],
        ),
        verdict(
            "examples/python-traceback.txt",
            1,
            Class::SubscriptionCap,
            &["text: \"5-hour limit reached ∙ resets 5am\""],
        ),
        verdict(
            "-",
            7,
            Class::Acceleration,
            &["error.details.error_code: ramp_limit_exceeded"],
        ),
    ];
    let mut buf = Vec::new();
    let mut summary = Summary {
        captures: 10,
        files: 3,
        ..Summary::default()
    };
    {
        let mut r = FailureTable::new(&mut buf, style.clone(), false, 2);
        for v in &verdicts {
            summary.add(v);
            r.verdict(v).unwrap();
        }
        r.finish(&summary).unwrap();
    }
    String::from_utf8(buf).unwrap()
}

#[test]
fn replay_list() {
    for (name, style) in styles() {
        let text = replay_text(&style);
        check(
            &text,
            style.width,
            &[
                "logs/production/gateway/2026-11-20/requests-eu-west-1.jsonl:4812",
                "anthropic-ratelimit-input-tokens-remaining:",
                "https://docs.claude.com/en/api/rate-limits.",
                "subscription_cap",
                "1 more failures not shown",
            ],
        );
        insta::assert_snapshot!(format!("replay_{name}"), text);
    }
}

#[test]
fn fixes_list_and_entry() {
    for (name, style) in styles() {
        let all: Vec<_> = crate::fixes::TABLE.iter().collect();
        let mut buf = Vec::new();
        write_fixes(&mut buf, &style, &all).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let names: Vec<&str> = Class::ALL.iter().map(|c| c.as_str()).collect();
        check(&text, style.width, &names);
        insta::assert_snapshot!(format!("fixes_{name}"), text);

        let mut buf = Vec::new();
        write_fix(&mut buf, &style, crate::fixes::for_class(Class::Rpm)).unwrap();
        let text = String::from_utf8(buf).unwrap();
        check(
            &text,
            style.width,
            &["anthropic-ratelimit-requests-remaining:", "rpm"],
        );
        insta::assert_snapshot!(format!("fixes_rpm_{name}"), text);
    }
}

fn org_groups() -> Vec<RateLimitGroup> {
    let lim = |k: &str, v: f64| Limiter {
        kind: k.into(),
        value: Some(v),
    };
    vec![
        RateLimitGroup {
            group_id: "model_group_claude_sonnet_4".into(),
            group_type: "model_group".into(),
            display_name: Some("Claude Sonnet 4.x".into()),
            models: Some(vec![
                "claude-sonnet-4-5".into(),
                "claude-sonnet-4-5-20250929".into(),
                "claude-sonnet-4-20250514".into(),
            ]),
            limits: vec![
                lim("requests_per_minute", 4000.0),
                lim("input_tokens_per_minute", 2_000_000.0),
                lim("output_tokens_per_minute", 400_000.0),
            ],
        },
        RateLimitGroup {
            group_id: "batch".into(),
            group_type: "batch".into(),
            display_name: None,
            models: None,
            limits: vec![lim("requests_per_minute", 4000.0)],
        },
    ]
}

#[test]
fn limits_listing_org_and_workspace() {
    for (name, style) in styles() {
        let mut buf = Vec::new();
        super::limits::listing(
            &mut buf,
            &style,
            &Live::Org(org_groups()),
            &Filters::default(),
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        check(
            &text,
            style.width,
            &[
                "model_group_claude_sonnet_4",
                "claude-sonnet-4-5-20250929",
                "input_tokens_per_minute",
                "2,000,000",
            ],
        );
        insta::assert_snapshot!(format!("limits_org_{name}"), text);

        let wl = |k: &str, v: f64, org: f64, source: Source| WorkspaceLimiter {
            kind: k.into(),
            value: Some(v),
            org_limit: Some(org),
            source,
        };
        let ws = Live::Workspace {
            id: "wrkspc_01AbCdEf".into(),
            groups: vec![WorkspaceRateLimitGroup {
                workspace_id: "wrkspc_01AbCdEf".into(),
                rate_limit_id: None,
                group_id: "model_group_claude_sonnet_4".into(),
                group_type: "model_group".into(),
                display_name: Some("Claude Sonnet 4.x".into()),
                models: None,
                limits: vec![
                    wl("requests_per_minute", 100.0, 4000.0, Source::Workspace),
                    wl(
                        "input_tokens_per_minute",
                        2_000_000.0,
                        2_000_000.0,
                        Source::Organization,
                    ),
                ],
            }],
        };
        let mut buf = Vec::new();
        super::limits::listing(&mut buf, &style, &ws, &Filters::default()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        check(
            &text,
            style.width,
            &[
                "model_group_claude_sonnet_4",
                "requests_per_minute",
                "OVERRIDE (lower)",
            ],
        );
        insta::assert_snapshot!(format!("limits_workspace_{name}"), text);
    }
}

#[test]
fn probe_refusal() {
    for (name, style) in styles() {
        let mut v = verdict(
            "probe",
            1,
            Class::Rpm,
            &[
                "anthropic-ratelimit-requests-remaining: 0 (limit 50)",
                "message: \"This request would exceed your organization's rate limit of 50 requests per minute.\"",
            ],
        );
        v.retry_after_s = Some(2);
        let mut buf = Vec::new();
        super::probe::write_refusal(&mut buf, &style, &v).unwrap();
        let text = String::from_utf8(buf).unwrap();
        check(
            &text,
            style.width,
            &["anthropic-ratelimit-requests-remaining:", "rpm", "REFUSED"],
        );
        insta::assert_snapshot!(format!("probe_refusal_{name}"), text);
    }
}

#[test]
fn diagnose_report() {
    use crate::capture::scan::Engine;
    use crate::diagnose::{Filter, Window};
    let files = vec![std::path::PathBuf::from("examples/curl-itpm.txt")];
    let filter = Filter {
        window: Window::new(None, None).unwrap(),
        models: Vec::new(),
    };
    let engine = Engine {
        progress: None,
        ..Engine::auto()
    };
    let opts = crate::capture::scan::ScanOptions {
        failures_only: false,
    };
    let mut analyzer = crate::diagnose::Analyzer::new(filter);
    let mut stats = crate::capture::scan::ScanStats::default();
    for f in &files {
        analyzer.begin_source(&f.display().to_string());
        let s = crate::capture::scan::scan_path_with(
            f,
            &opts,
            &engine,
            &crate::diagnose::Events,
            &mut |ev| analyzer.push(ev),
        )
        .unwrap();
        stats.merge(s);
    }
    analyzer.scan_totals(stats.captures, stats.skipped, stats.files, stats.bytes);
    let d = analyzer.finish();
    for (name, style) in styles() {
        let mut buf = Vec::new();
        crate::report::diagnose::text(&mut buf, &d, &style, false).unwrap();
        let text = String::from_utf8(buf).unwrap();
        check(
            &text,
            style.width,
            &[
                "examples/curl-itpm.txt:1",
                "anthropic-ratelimit-input-tokens-remaining:",
                "itpm",
            ],
        );
        insta::assert_snapshot!(format!("diagnose_{name}"), text);
    }
}

#[test]
fn hints_fit_the_command() {
    use crate::api::ApiError;
    let auth = || {
        anyhow::Error::new(ApiError::Auth {
            status: 401,
            message: "invalid x-api-key".into(),
        })
    };
    let probe = super::hint_for_command(&auth(), "probe").unwrap();
    assert!(probe.contains("ANTHROPIC_API_KEY"), "{probe}");
    assert!(!probe.starts_with("the Rate Limits API needs"), "{probe}");
    let limits = super::hint_for_command(&auth(), "limits").unwrap();
    assert!(limits.contains("Admin API key"), "{limits}");
}

#[test]
fn input_errors_name_the_file_the_reason_and_what_to_do() {
    let e = crate::capture::scan::InputError {
        path: "logs/app.jsonl".into(),
        source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    };
    let msg = super::input_error(&e);
    assert!(msg.starts_with("cannot read logs/app.jsonl: "), "{msg}");
    assert!(msg.to_lowercase().contains("permission denied"), "{msg}");
    assert!(msg.contains("make it readable"), "{msg}");
}
