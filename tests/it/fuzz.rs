//! Property and mutation fuzzing of every parser, on stable, time-boxed for CI.
//!
//! Each target takes the files under `tests/fixtures/` as seeds and mutates them (flipped and
//! inserted bytes, cut ranges, duplicated ranges, truncation, glued copies), then checks that
//! the parser returns (no panic, no hang) and what it returns is sane. The number of cases
//! per target is `FUZZ_CASES` (default 64: the whole file runs in seconds in CI); run longer
//! by hand with e.g. `FUZZ_CASES=5000 cargo test --release --test it fuzz::`.
//! Failures are not persisted to files; proptest prints the minimal failing input.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use proptest::test_runner::Config;

use claude_429::capture::scan::{ScanOptions, ScanStats, scan_reader};
use claude_429::capture::{har, headers, jsonl};
use claude_429::json::relaxed;

fn cfg() -> Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Every fixture file, by kind (the directory name), read once.
fn seeds() -> &'static Vec<(String, Vec<u8>)> {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = crate::common::fixtures_dir();
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if !p.to_string_lossy().ends_with(".expected.json")
                    && p.metadata().is_ok_and(|m| m.len() < 2 * 1024 * 1024)
                {
                    let kind = p
                        .strip_prefix(&root)
                        .unwrap()
                        .iter()
                        .next()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.push((kind, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        assert!(out.len() > 20, "fixtures found: {}", out.len());
        out
    })
}

fn seeds_of(kinds: &[&str]) -> Vec<Vec<u8>> {
    seeds()
        .iter()
        .filter(|(k, _)| kinds.is_empty() || kinds.contains(&k.as_str()))
        .map(|(_, b)| b.clone())
        .collect()
}

/// One mutation, positions as fractions of the input length so they fit any seed.
#[derive(Debug, Clone)]
enum Op {
    Flip(f64, u8),
    Insert(f64, Vec<u8>),
    Cut(f64, f64),
    Dup(f64, f64),
    Truncate(f64),
}

fn op() -> impl Strategy<Value = Op> {
    let frac = 0.0..1.0f64;
    let interesting = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        proptest::collection::vec(any::<u8>(), 1..16),
        Just(b"{\"".to_vec()),
        Just(b"}]".to_vec()),
        Just(b"\\\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n\r\n".to_vec()),
        Just("é漢😀".as_bytes().to_vec()),
        Just(b"HTTP/1.1 429 Too Many Requests\r\n".to_vec()),
        Just(b"anthropic-ratelimit-tokens-remaining: 18446744073709551616\n".to_vec()),
        Just(b"retry-after: -1e309\n".to_vec()),
        Just(b"\xff\xfe\x00".to_vec()),
    ];
    prop_oneof![
        (frac.clone(), any::<u8>()).prop_map(|(a, b)| Op::Flip(a, b)),
        (frac.clone(), interesting).prop_map(|(a, v)| Op::Insert(a, v)),
        (frac.clone(), frac.clone()).prop_map(|(a, b)| Op::Cut(a, b)),
        (frac.clone(), frac.clone()).prop_map(|(a, b)| Op::Dup(a, b)),
        frac.prop_map(Op::Truncate),
    ]
}

fn at(len: usize, f: f64) -> usize {
    ((len as f64) * f) as usize
}

fn mutate(mut b: Vec<u8>, ops: &[Op]) -> Vec<u8> {
    for o in ops {
        let n = b.len();
        match o {
            Op::Flip(f, x) if n > 0 => {
                let i = at(n, *f).min(n - 1);
                b[i] ^= x | 1;
            }
            Op::Insert(f, v) => {
                let i = at(n, *f);
                b.splice(i..i, v.iter().copied());
            }
            Op::Cut(f, g) => {
                let (i, j) = (at(n, f.min(*g)), at(n, f.max(*g)));
                b.drain(i..j.min(i + 4096));
            }
            Op::Dup(f, g) => {
                let (i, j) = (at(n, f.min(*g)), at(n, f.max(*g)));
                let part: Vec<u8> = b[i..j.min(i + 4096)].to_vec();
                b.splice(j..j, part);
            }
            Op::Truncate(f) => b.truncate(at(n, *f)),
            _ => {}
        }
    }
    b
}

/// A seed of these kinds (all when empty), mutated.
fn input(kinds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let s = seeds_of(kinds);
    (
        proptest::sample::select(s),
        proptest::collection::vec(op(), 0..6),
    )
        .prop_map(|(seed, ops)| mutate(seed, &ops))
}

fn lines(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split(|&c| c == b'\n').take(200)
}

/// The whole pipeline (sniffing, HAR, JSON Lines, text, relaxed JSON) and classification.
fn scan_all(b: &[u8], failures_only: bool) -> ScanStats {
    let mut n = 0usize;
    let stats = scan_reader(
        Arc::from("fuzz"),
        b,
        &ScanOptions { failures_only },
        &mut |c| {
            n += 1;
            let _ = claude_429::classify::classify(&c);
        },
    )
    .expect("reading from memory cannot fail");
    assert!(n as u64 <= stats.captures.max(n as u64));
    stats
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn scan_any_capture(b in input(&[])) {
        scan_all(&b, true);
        scan_all(&b, false);
    }

    #[test]
    fn har_documents(b in input(&["har", "bad"])) {
        let mut stats = ScanStats::default();
        let mut r = std::io::BufReader::new(&b[..]);
        // Errors are fine (a broken document); a panic or a hang is not.
        let _ = har::scan(&Arc::from("fuzz.har"), &mut r, &ScanOptions { failures_only: false }, &mut |c| {
            let _ = claude_429::classify::classify(&c);
        }, &mut stats);
    }

    #[test]
    fn jsonl_lines(b in input(&["jsonl", "litellm", "mixed", "json_body"])) {
        let src: Arc<str> = Arc::from("fuzz.jsonl");
        for (i, l) in lines(&b).enumerate() {
            let _ = jsonl::parse_line(&src, i as u64, l, true);
            let _ = jsonl::parse_full(&src, i as u64, l, false);
            let _ = jsonl::plain_success(l);
            let _ = jsonl::parse_light(l);
        }
    }

    #[test]
    fn relaxed_json(b in input(&["python_sdk", "ts_sdk", "claude_code", "json_body", "mixed"])) {
        let s = String::from_utf8_lossy(&b);
        for l in s.lines().take(200) {
            if let Some((start, _, used)) = relaxed::find_object(l) {
                prop_assert!(start + used <= l.len());
            }
            if let Some(end) = relaxed::balanced_end(l) {
                prop_assert!(end <= l.len());
            }
            let _ = relaxed::unescape_one_level(l);
            if let Some((_, used)) = relaxed::parse_prefix(l) {
                prop_assert!(used <= l.len());
            }
        }
    }

    #[test]
    fn header_lines(b in input(&["headers", "curl_i", "curl_v"])) {
        let s = String::from_utf8_lossy(&b);
        for l in s.lines().take(400) {
            let _ = headers::parse_line(l);
            let _ = headers::parse_int(l);
            let _ = claude_429::capture::object::parse_time_str(l);
        }
    }

    #[test]
    fn redaction_finds_every_key(
        before in "[ -~]{0,12}",
        body in "[A-Za-z0-9_-]{20,60}",
        after in "[ -~&&[^A-Za-z0-9_%-]]{0,12}",
        admin in any::<bool>(),
        encoded in any::<bool>(),
    ) {
        let key = format!("sk-ant-{}{body}", if admin { "admin01-" } else { "api03-" });
        let key = if encoded { key.replace('-', "%2D") } else { key };
        let text = format!("{before}{key}{after}");
        for out in [claude_429::redact::keys(&text), claude_429::redact::ids(&text)] {
            prop_assert!(!out.contains(&body), "{text} -> {out}");
        }
    }

    #[test]
    fn base_urls_never_panic_or_echo_credentials(
        scheme in prop_oneof![Just("http"), Just("https"), Just("ftp"), Just("")],
        user in prop_oneof![Just(""), Just("bob:pw-Zq9@"), Just("pw-Zq9@")],
        host in "[a-z0-9.:\\[\\]]{0,20}",
        path in "(/[a-z0-9%]{0,6}){0,3}",
    ) {
        let url = format!("{scheme}://{user}{host}{path}");
        match claude_429::api::client::check_base_url(&url, false) {
            Ok(u) => prop_assert!(!u.contains("pw-Zq9") && !u.ends_with('/')),
            Err(e) => prop_assert!(!e.to_string().contains("pw-Zq9"), "{e}"),
        }
    }

    #[test]
    fn seconds_flags(s in "[-+0-9.eEinfaN]{0,12}") {
        if let Ok(v) = claude_429::cli::parse_secs(&s) {
            prop_assert!(claude_429::cli::SECS_RANGE.contains(&v));
        }
    }

    #[test]
    fn time_windows(a in "[0-9T:Z +-]{0,25}", b in "[0-9T:Z +-]{0,25}") {
        let _ = claude_429::diagnose::Window::new(Some(&a), Some(&b));
    }
}
