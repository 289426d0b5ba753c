//! `claude-429 diagnose --format html`: one self-contained page with inline SVG charts.
//!
//! A one-day incident of 10,000 failures is generated into a temp dir; the page must stay
//! under 1 MB, fetch nothing, carry the charts, the causes and the fix. Headless Chromium
//! (Debian package `chromium`) then loads it with networking off: the screenshot must not be
//! blank, the DOM must hold the timeline's bars, and the browser's net log must show no
//! request. Without Chromium the browser tests fail under `CI=true` and are skipped (loudly)
//! otherwise. `CLAUDE_429_UPDATE_SCREENSHOT=1` copies the screenshot to
//! docs/img/diagnose-html.png.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use tempfile::TempDir;

// ---- helpers ------------------------------------------------------------------------------

/// The binary with a cleared environment, colour allowed, 120 columns.
fn bin() -> Command {
    let mut c = crate::common::bin();
    c.env_remove("NO_COLOR").env("COLUMNS", "120");
    c
}

/// `2026-11-20THH:MM:SS.mmmZ` from milliseconds after midnight.
fn ts(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "2026-11-20T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

struct Gen {
    out: String,
    n: u64,
}

impl Gen {
    /// One JSONL exchange. `dims`: requests and input-token remaining (limits 4,000 and
    /// 2,000,000); `None` leaves the rate-limit headers out.
    fn line(&mut self, ms: u64, status: u16, dims: Option<(u64, u64)>, extra: &str, body: &str) {
        self.n += 1;
        let mut h = format!(r#""request-id":"req_{:024x}""#, self.n * 7919);
        if let Some((req, input)) = dims {
            let _ = write!(
                h,
                r#","anthropic-organization-id":"8c0e5a3b-1f2d-4c7e-9a6b-2d4f6e8a0c1e","anthropic-ratelimit-requests-limit":"4000","anthropic-ratelimit-requests-remaining":"{req}","anthropic-ratelimit-input-tokens-limit":"2000000","anthropic-ratelimit-input-tokens-remaining":"{input}""#
            );
        }
        h.push_str(extra);
        let _ = writeln!(
            self.out,
            r#"{{"ts":"{}","method":"POST","url":"https://api.anthropic.com/v1/messages","status":{status},"headers":{{{h}}},"body":{body},"request":{{"model":"claude-sonnet-4-5","max_tokens":1024,"input_tokens":{}}}}}"#,
            ts(ms),
            if status == 200 {
                2000 + self.n % 500
            } else {
                3000
            }
        );
    }

    fn ok(&mut self, ms: u64, req_left: u64, input_left: u64) {
        self.line(
            ms,
            200,
            Some((req_left, input_left)),
            "",
            r#"{"type":"message","role":"assistant","content":[],"usage":{"input_tokens":2000,"output_tokens":300}}"#,
        );
    }
}

const RPM: &str = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your organization's rate limit of 4,000 requests per minute. For details, refer to the docs."}}"#;
const ITPM: &str = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your organization's rate limit of 2,000,000 input tokens per minute. For details, refer to the docs."}}"#;
const BARE: &str =
    r#"{"type":"error","error":{"type":"rate_limit_error","message":"Too many requests"}}"#;
const OVERLOADED: &str =
    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;

/// A one-day incident: a quiet day (a success every 20 s), a ramp from 13:50, then an hour
/// of 10,000 failures from 14:00 (requests per minute, input tokens per minute, bare 429s,
/// overloads) with retries that do not wait for retry-after, and a recovery.
fn one_day_incident() -> String {
    let mut g = Gen {
        out: String::with_capacity(12 << 20),
        n: 0,
    };
    let h14 = 14 * 3_600_000;
    let mut ms = 0;
    while ms < 86_400_000 {
        if !(h14 - 600_000..h14 + 3_600_000).contains(&ms) {
            let left = if ms > h14 { 3000 } else { 3500 };
            g.ok(ms, left, 1_500_000);
        }
        ms += 20_000;
    }
    // The ramp: 13:50 to 14:00, requests per minute doubling every few minutes.
    for m in 0..10u64 {
        let per_min = 10 * (1 << (m / 2));
        for k in 0..per_min {
            let t = h14 - 600_000 + m * 60_000 + k * 60_000 / per_min;
            let left = 4000u64.saturating_sub(per_min * 25);
            g.ok(t, left, 900_000u64.saturating_sub(m * 80_000));
        }
    }
    // The incident: 10,000 failures over an hour, in bursts of 20 within 0.6 s every 7.2 s
    // (clients retrying in lockstep, sooner than retry-after), a few successes between.
    for i in 0..10_000u64 {
        let t = h14 + (i / 20) * 7_200 + (i % 20) * 30;
        match i % 10 {
            0..=5 => g.line(t, 429, Some((0, 400_000)), r#","retry-after":"3""#, RPM),
            6 | 7 => g.line(t, 429, Some((2000, 0)), r#","retry-after":"11""#, ITPM),
            8 => g.line(t, 429, None, "", BARE),
            _ => g.line(t, 529, None, "", OVERLOADED),
        }
        if i % 25 == 0 {
            g.ok(t + 5, 40, 30_000);
        }
    }
    g.out
}

struct Page {
    path: PathBuf,
    html: String,
    elapsed: Duration,
}

/// Where the generated input and the pages go (kept for a look after the run):
/// target/tmp/html-report/.
fn keep_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&d).expect("target tmp dir");
    d
}

/// The one-day incident's input, generated once per run.
fn incident_input() -> &'static Path {
    static INPUT: OnceLock<PathBuf> = OnceLock::new();
    INPUT.get_or_init(|| {
        let p = keep_dir().join("incident.jsonl");
        std::fs::write(&p, one_day_incident()).expect("write input");
        p
    })
}

/// The page of the one-day incident, rendered once per run (the tests share it).
fn page() -> &'static Page {
    static PAGE: OnceLock<Page> = OnceLock::new();
    PAGE.get_or_init(|| render(&[]))
}

fn render(extra: &[&str]) -> Page {
    let input = incident_input();
    let path = keep_dir().join(format!("incident{}.html", extra.join("")));
    let start = Instant::now();
    bin()
        .arg("diagnose")
        .arg(input)
        .args(["--format", "html", "-o"])
        .arg(&path)
        .args(extra)
        .assert()
        .code(1)
        .stdout("");
    let elapsed = start.elapsed();
    let html = std::fs::read_to_string(&path).expect("page written");
    Page {
        path,
        html,
        elapsed,
    }
}

/// The element tree of the page: each element with an id (and the charts' roles), in
/// document order, as `tag#id`; what a structural snapshot compares.
fn structure(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        if tag.starts_with('/') || tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if let Some(p) = tag.find(" id=\"") {
            let id: String = tag[p + 5..].chars().take_while(|c| *c != '"').collect();
            out.push(format!("{name}#{id}"));
        }
    }
    out
}

/// Attributes that would make a browser fetch something: every `src=`, every `href=` that is
/// not on an `<a>`, `url(` other than `url(#...)`, `@import`.
fn fetches(html: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let lower = tag.to_ascii_lowercase();
        let is_a = lower.starts_with("a ");
        if lower.contains(" src=")
            || lower.contains(" srcset=")
            || (!is_a && (lower.contains(" href=") || lower.contains("xlink:href=")))
            || lower.starts_with("script")
            || lower.starts_with("link")
            || lower.starts_with("img")
            || lower.starts_with("iframe")
            || lower.starts_with("object")
            || lower.starts_with("embed")
        {
            bad.push(tag.chars().take(120).collect());
        }
    }
    let mut rest = html;
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        if !rest.starts_with('#') {
            bad.push(format!("url({}", rest.chars().take(40).collect::<String>()));
        }
    }
    if html.contains("@import") {
        bad.push("@import".into());
    }
    bad
}

// ---- the page -----------------------------------------------------------------------------

#[test]
fn a_one_day_incident_is_one_small_self_contained_page() {
    let p = page();
    let size = p.html.len();
    eprintln!(
        "one-day incident: page {size} bytes, diagnose --format html took {:?}",
        p.elapsed
    );
    assert!(size < 1_000_000, "page is {size} bytes");
    // Generous: a debug build on a loaded machine reads the 12 MB input and renders.
    assert!(p.elapsed < Duration::from_secs(60), "{:?}", p.elapsed);
    assert!(p.html.starts_with("<!DOCTYPE html>"));
    assert!(
        p.html.matches("<svg").count() >= 3,
        "the timeline and headroom charts are inline SVG"
    );
    assert!(p.html.contains(r#"<svg class="chart" id="timeline-chart""#));
    assert!(p.html.contains(r#"class="chart headroom" id="headroom-1""#));
    let bad = fetches(&p.html);
    assert!(bad.is_empty(), "the page would fetch: {bad:#?}");
    // The links to the docs are plain links.
    assert!(
        p.html
            .contains(r#"<a href="https://github.com/claude-429/"#)
    );
    // Accessible: every chart has a title and a description, and a data table behind it.
    let charts = p.html.matches(r#"role="img""#).count();
    assert!(charts >= 3);
    assert_eq!(p.html.matches("<desc ").count(), charts);
    assert!(p.html.matches("<details").count() >= charts);
    // Colour schemes and print.
    assert!(p.html.contains("prefers-color-scheme:dark"));
    assert!(p.html.contains("@media print"));

    // The headline: the top cause, its fix, how many failures over what span.
    let top = p.html.find(r#"id="headline""#).expect("headline");
    let headline = &p.html[top..p.html.find(r#"id="timeline""#).expect("timeline")];
    assert!(headline.contains("<code>rpm</code>"), "{headline}");
    assert!(
        headline.contains(r#"id="top-fix""#) && headline.contains("Fix: "),
        "{headline}"
    );
    assert!(headline.contains("10,000 failures"), "{headline}");
    assert!(headline.contains("00:00:00 to 23:59:40 UTC"), "{headline}");
    assert!(p.path.ends_with("incident.html"));
    // The bucket is shown: a day at 5 minutes a bar.
    assert!(p.html.contains(r#"<strong id="bucket">5 minutes</strong>"#));
    // The ranked causes, in order, each with its fix; the findings marked on the timeline.
    let causes: Vec<&str> = ["cause-1\" data-class=\"rpm", "cause-2\" data-class=\"itpm"]
        .into_iter()
        .filter(|c| p.html.contains(*c))
        .collect();
    assert_eq!(causes.len(), 2, "rpm then itpm");
    assert!(p.html.matches(r#"<dd class="fix">"#).count() >= 3);
    assert!(p.html.contains(r#"data-kind="ignored_retry_after""#));
    assert!(p.html.contains(r#"<g class="mark" data-finding="#));
    for kind in ["ramp", "retry_storm", "near_limit"] {
        assert!(p.html.contains(&format!("data-kind=\"{kind}\"")), "{kind}");
    }
    // Inputs read.
    assert!(p.html.contains("incident.jsonl"));
    // Request ids stay without --redact (see `redact_applies_to_the_page`).
    assert!(p.html.contains("req_0"));
}

#[test]
fn the_page_structure_is_stable() {
    let p = page();
    let tree = structure(&p.html).join("\n");
    let expected = "\
header#headline
p#top-fix
p#headline-count
section#timeline
strong#bucket
svg#timeline-chart
title#timeline-title
desc#timeline-desc
pattern#p-rpm
pattern#p-itpm
pattern#p-overload
pattern#p-unknown
details#timeline-data
section#headroom
svg#headroom-1
title#headroom-1-title
desc#headroom-1-desc
svg#headroom-2
title#headroom-2-title
desc#headroom-2-desc
section#causes
li#cause-1
li#cause-2
li#cause-3
li#cause-4
section#findings
li#finding-1
li#finding-2
li#finding-3
li#finding-4
section#inputs";
    assert_eq!(tree, expected, "\n{tree}");
}

#[test]
fn redact_applies_to_the_page() {
    let p = render(&["--redact"]);
    assert!(!p.html.contains("req_0"), "request ids are redacted");
    assert!(!p.html.contains("8c0e5a3b-1f2d-4c7e-9a6b-2d4f6e8a0c1e"));
    assert!(fetches(&p.html).is_empty());
}

#[test]
fn no_failures_and_no_input_still_make_a_page() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("empty.jsonl");
    std::fs::write(&input, "").unwrap();
    let out = bin()
        .args(["diagnose", "--format", "html"])
        .arg(&input)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let html = String::from_utf8(out).unwrap();
    assert!(html.contains("No rate-limit failures"));
    assert!(html.contains("No timestamped captures"));
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn an_unwritable_output_is_an_error_and_writes_nothing_to_stdout() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("empty.jsonl");
    std::fs::write(&input, "").unwrap();
    bin()
        .args(["diagnose", "--format", "html", "-o"])
        .arg(dir.path().join("missing-dir/x.html"))
        .arg(&input)
        .assert()
        .failure()
        .stdout("")
        .stderr(predicates::str::contains("cannot write"));
}

#[test]
fn output_takes_any_format() {
    let dir = TempDir::new().unwrap();
    let input = incident_input();
    let json = dir.path().join("report.json");
    bin()
        .arg("diagnose")
        .arg(input)
        .args(["--json", "-o"])
        .arg(&json)
        .assert()
        .code(1)
        .stdout("");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["causes"][0]["class"], "rpm");
    assert!(
        v.get("headroom").is_none() && v.get("inputs").is_none(),
        "not in the JSON"
    );
    let md = dir.path().join("report.md");
    bin()
        .arg("diagnose")
        .arg(input)
        .args(["--format", "markdown", "-o"])
        .arg(&md)
        .assert()
        .code(1);
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("# Rate-limit incident report")
    );
}

// ---- in a browser -------------------------------------------------------------------------

/// Chromium's path, or `None` (the test then fails under CI=true and is skipped otherwise).
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Proc::new("which").arg(name).output()
            && out.status.success()
        {
            let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !p.is_empty() {
                return Some(PathBuf::from(p));
            }
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("chromium is not installed; CI needs it (apt-get install -y chromium)");
    }
    eprintln!(
        "\n!!!!!!!! SKIPPED: chromium is not installed; the HTML report's browser test did not run.\n\
         !!!!!!!! Install it (Debian: apt-get install -y chromium) to run it.\n"
    );
    None
}

/// Runs headless Chromium on `page` with networking off: no proxy reachable (a closed
/// loopback port), every host name unresolvable, background services off. Returns stdout
/// and the net log's text.
fn run_chromium(
    chrome: &Path,
    dir: &Path,
    page: &Path,
    what: &[&str],
    tag: &str,
) -> (String, String) {
    let profile = dir.join(format!("profile-{tag}"));
    let netlog = dir.join(format!("net-{tag}.json"));
    let mut cmd = Proc::new(chrome);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-pings",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1100,1500",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--log-net-log={}", netlog.display()))
    .args(what)
    .arg(format!("file://{}", page.display()))
    .env("HOME", dir);
    let out = run_bounded(cmd, Duration::from_secs(90));
    let log = std::fs::read_to_string(&netlog).unwrap_or_default();
    (out, log)
}

/// Runs a command, killed after `limit`.
fn run_bounded(mut cmd: Proc, limit: Duration) -> String {
    let dir = TempDir::new().unwrap();
    let out_path = dir.path().join("out");
    let f = std::fs::File::create(&out_path).unwrap();
    cmd.stdout(f).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&out_path).unwrap_or_default()
}

/// URLs the page asked for, from a Chromium net log: every `URL_REQUEST_START_JOB` other
/// than the page's own `file://` URL, leaving out the browser's own background requests
/// (component updater, account check: initiator "not an origin"), which the proxy and the
/// resolver rules refuse anyway. A page's request carries the page's origin as initiator
/// (`null` for a file:// page); the control page in the test shows the check catches one.
fn page_requests(netlog: &str) -> Vec<String> {
    let log: serde_json::Value = serde_json::from_str(netlog)
        .or_else(|_| {
            serde_json::from_str(&format!("{}]}}", netlog.trim_end().trim_end_matches(',')))
        })
        .expect("the net log is JSON");
    let types = &log["constants"]["logEventTypes"];
    let start_job = types["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("event type known");
    let mut out = Vec::new();
    for e in log["events"].as_array().expect("events") {
        if e["type"].as_u64() != Some(start_job) {
            continue;
        }
        let p = &e["params"];
        let Some(url) = p["url"].as_str() else {
            continue;
        };
        if url.starts_with("file://") || url.starts_with("data:") {
            continue;
        }
        if p["initiator"].as_str() == Some("not an origin") {
            continue;
        }
        out.push(url.to_string());
    }
    out
}

/// Distinct colours among the screenshot's pixels (sampled).
fn colours(png_path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("screenshot written"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let bpp = info.line_size / info.width as usize;
    let mut seen = std::collections::HashSet::new();
    for px in buf[..info.buffer_size()].chunks(bpp).step_by(7) {
        seen.insert(px[..3.min(px.len())].to_vec());
    }
    (info.width, info.height, seen.len())
}

#[test]
fn chromium_renders_the_page_offline() {
    let Some(chrome) = chromium() else { return };
    let p = page();
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().to_path_buf();
    let shot = dir.join("shot.png");

    let (dom, log1) = run_chromium(&chrome, &dir, &p.path, &["--dump-dom"], "dom");
    assert!(
        dom.contains("id=\"timeline-chart\""),
        "DOM: {}",
        &dom[..dom.len().min(500)]
    );
    let bars = dom.matches("<g class=\"bar\"").count();
    assert!(bars > 20, "{bars} timeline bars in the DOM");
    assert!(dom.matches("<rect class=\"seg").count() >= bars);
    assert!(dom.contains("id=\"headroom-1\""));
    assert!(dom.contains("id=\"cause-1\""));

    let (_, log2) = run_chromium(
        &chrome,
        &dir,
        &p.path,
        &[&format!("--screenshot={}", shot.display())],
        "shot",
    );
    for log in [&log1, &log2] {
        let reqs = page_requests(log);
        assert!(reqs.is_empty(), "the page requested: {reqs:#?}");
    }
    // The check sees a page that does fetch (a control).
    let control = dir.join("control.html");
    std::fs::write(
        &control,
        r#"<!DOCTYPE html><link rel="stylesheet" href="https://fonts.example.com/a.css"><img src="http://example.com/b.png">"#,
    )
    .unwrap();
    let (_, log3) = run_chromium(&chrome, &dir, &control, &["--dump-dom"], "control");
    assert_eq!(
        page_requests(&log3).len(),
        2,
        "the net-log check must catch a page's requests"
    );
    let (w, h, n) = colours(&shot);
    assert!(w >= 1000 && h >= 1000, "{w}x{h}");
    assert!(n > 16, "the screenshot looks blank: {n} colours");
    if std::env::var("CLAUDE_429_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let to = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img/diagnose-html.png");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&shot, &to).unwrap();
    }
}

// ---- --live ------------------------------------------------------------------------------

const ADMIN_KEY: &str = "sk-ant-admin01-HTMLTEST-5f3c9a1e7b2d4c6e8f0a1b3c-never-print";
const API_KEY: &str = "sk-ant-api03-HTMLTEST-AbCdEfGhIjKlMnOpQrStUvWxYz-never-print";

/// A fake of the Rate Limits API (Sonnet at 4,000 requests per minute) and the Messages API
/// (200 with 3,999 of 4,000 requests left), on 127.0.0.1.
async fn live_server() -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let s = MockServer::start().await;
    let org: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/limits/org_rate_limits.json"),
        )
        .unwrap(),
    )
    .unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/organizations/rate_limits"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"data": org, "next_page": null})),
        )
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": "msg_01", "type": "message",
                    "role": "assistant", "model": "claude-sonnet-4-5",
                    "content": [{"type": "text", "text": "Hi"}],
                    "usage": {"input_tokens": 9, "output_tokens": 1}}))
                .insert_header("anthropic-ratelimit-requests-limit", "4000")
                .insert_header("anthropic-ratelimit-requests-remaining", "3999"),
        )
        .mount(&s)
        .await;
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn live_data_shows_configured_limits_and_usage_now() {
    let s = live_server().await;
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("incident.jsonl");
    let mut log = String::new();
    for i in 0..5 {
        let (status, rem, body) = if i < 2 {
            (200, 5, r#"{"type":"message","usage":{"output_tokens":5}}"#)
        } else {
            (429, 0, RPM)
        };
        let _ = writeln!(
            log,
            r#"{{"ts":"2026-11-20T14:00:{:02}Z","status":{status},"headers":{{"anthropic-ratelimit-requests-limit":"50","anthropic-ratelimit-requests-remaining":"{rem}","retry-after":"20"}},"body":{body},"request":{{"model":"claude-sonnet-4-5","max_tokens":100}}}}"#,
            i * 5
        );
    }
    std::fs::write(&input, log).unwrap();
    let page = dir.path().join("live.html");
    let uri = s.uri();
    let input2 = input.clone();
    let page2 = page.clone();
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .env("ANTHROPIC_BASE_URL", &uri)
            .env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
            .env("ANTHROPIC_API_KEY", API_KEY)
            .arg("diagnose")
            .arg(&input2)
            .args(["--live", "--format", "html", "-o"])
            .arg(&page2)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    let _ = std::fs::create_dir_all(&keep);
    let _ = std::fs::write(keep.join("live.html"), &html);
    for k in [ADMIN_KEY, API_KEY] {
        assert!(!html.contains(k), "a key in the page");
    }
    let live = &html[html.find(r#"<section id="live">"#).expect("a live section")..];
    let live = &live[..live.find("</section>").unwrap()];
    assert!(live.contains(r#"<table id="configured">"#), "{live}");
    assert!(
        live.contains("<code>requests_per_minute</code>") && live.contains("4,000"),
        "{live}"
    );
    assert!(live.contains(r#"<table id="usage">"#), "{live}");
    assert!(
        live.contains(r#"<meter min="0" max="4000" value="1""#),
        "{live}"
    );
    assert!(live.contains("logs_limit_below_configured"), "{live}");
    // In the reading order: after the headroom, before the causes.
    let at = |s: &str| html.find(s).unwrap();
    assert!(at(r#"<section id="headroom">"#) < at(r#"<section id="live">"#));
    assert!(at(r#"<section id="live">"#) < at(r#"<section id="causes">"#));
}
