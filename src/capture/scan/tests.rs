use std::io::BufReader;

use super::pipeline::{IN_FLIGHT_BYTES, in_flight};
use super::read::MAP_MIN;
use super::read::{Line, LineReader, trim_eol};
use super::sniff::looks_binary;
use super::*;
use crate::classify::rules::WordSearch;

fn lines(input: &[u8]) -> Vec<String> {
    let mut r = LineReader::new(BufReader::with_capacity(7, input));
    let mut v = Vec::new();
    while let Some(l) = r.next_line().unwrap() {
        v.push(match l {
            Line::Bytes(b) => String::from_utf8_lossy(trim_eol(b)).into_owned(),
            Line::TooLong(n) => format!("<{n}>"),
        });
    }
    v
}

#[test]
fn splits_across_small_reads() {
    assert_eq!(
        lines(b"alpha\r\nbeta gamma delta\n\nlast"),
        vec!["alpha", "beta gamma delta", "", "last"]
    );
}

/// Records what the sink saw: (line, status, format) per capture.
struct Record;
type Seen = (u64, Option<u16>, &'static str);

impl Handler for Record {
    type Item = Seen;
    fn plain_success(&self, _: &Arc<str>, line_no: u64, _: &[u8]) -> Light<Self::Item> {
        Light::Item((line_no, Some(200), "light"))
    }
    fn capture(&self, c: Capture) -> Option<Self::Item> {
        Some((c.line, c.status, c.format.as_str()))
    }
}

fn run(input: &[u8], engine: &Engine, failures_only: bool) -> (Vec<Seen>, ScanStats) {
    let mut got = Vec::new();
    let opts = ScanOptions { failures_only };
    let stats = scan_input(
        Arc::from("t"),
        io::Cursor::new(input.to_vec()),
        Some(input.len() as u64),
        &opts,
        engine,
        &Record,
        &mut |x| got.push(x),
    )
    .unwrap();
    (got, stats)
}

fn mixed_log() -> Vec<u8> {
    let mut s = String::new();
    for i in 1..=60 {
        match i % 10 {
            5 if i % 20 == 15 => {}
            3 => s.push_str(
                r#"{"status":429,"headers":{"anthropic-ratelimit-requests-remaining":"0"}}"#,
            ),
            5 => s.push_str("HTTP/1.1 529 \nretry-after: 3\n"),
            6 => s.push_str(&format!(r#"{{"status":200,"pad":"{}"}}"#, "y".repeat(300))),
            7 => {}
            _ => s.push_str(r#"{"ts":"2026-11-20T14:00:00Z","status":200,"headers":{}}"#),
        }
        s.push('\n');
    }
    s.push_str(r#"{"status":500,"body":"Overloaded"}"#);
    s.into_bytes()
}

#[test]
fn parallel_chunks_match_the_inline_scan() {
    let input = mixed_log();
    let tiny = |threads| Engine {
        threads,
        chunk: 64,
        parallel_min: 0,
        progress: None,
        follow: false,
    };
    for failures_only in [false, true] {
        let (want, ws) = run(&input, &Engine::sequential(), failures_only);
        for threads in [1, 2, 3] {
            let (got, gs) = run(&input, &tiny(threads), failures_only);
            assert_eq!(got, want, "threads={threads} failures_only={failures_only}");
            assert_eq!(
                (gs.captures, gs.bytes, gs.skipped),
                (ws.captures, ws.bytes, ws.skipped)
            );
        }
        assert_eq!(ws.bytes, input.len() as u64);
        let lines: Vec<u64> = want.iter().map(|w| w.0).collect();
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "input order: {lines:?}"
        );
        let last_line = input.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert_eq!(
            want.last().map(|w| (w.0, w.1)),
            Some((last_line, Some(500)))
        );
    }
    let (all, _) = run(&input, &tiny(2), false);
    // Text captures come through the chunker, in place.
    assert!(all.contains(&(5, Some(529), "http")), "{all:?}");
    assert!(all.contains(&(3, Some(429), "jsonl")));
    assert!(all.contains(&(1, Some(200), "light")), "{all:?}");
    let (fails, _) = run(&input, &tiny(2), true);
    assert!(fails.iter().all(|f| f.1 != Some(200)), "{fails:?}");
}

#[test]
fn many_tiny_lines_are_split_by_count_and_stay_in_order() {
    let n = 3 * MAX_CHUNK_LINES + 17;
    let input: Vec<u8> = (0..n)
        .flat_map(|_| br#"{"status":429}"#.iter().copied().chain([b'\n']))
        .collect();
    let engine = Engine {
        threads: 2,
        parallel_min: 0,
        ..Engine::sequential()
    };
    let (got, stats) = run(&input, &engine, true);
    assert_eq!(got.len() as u64, n);
    assert!(got.iter().enumerate().all(|(i, g)| g.0 == i as u64 + 1));
    assert_eq!(stats.captures, n);
}

#[test]
fn a_line_longer_than_the_cap_is_skipped_and_counted() {
    let mut input = br#"{"status":429}"#.to_vec();
    input.push(b'\n');
    input.push(b'{');
    input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
    input.push(b'\n');
    input.extend_from_slice(br#"{"status":529}"#);
    let engine = Engine {
        threads: 2,
        chunk: 4096,
        parallel_min: 0,
        progress: None,
        follow: false,
    };
    for e in [Engine::sequential(), engine] {
        let (got, stats) = run(&input, &e, true);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(stats.skipped, 1);
        assert_eq!(stats.skipped_samples[0].line, 2);
        assert!(stats.skipped_samples[0].reason.contains("longer than"));
        assert_eq!(stats.bytes, input.len() as u64);
    }
}

/// A Python service's log: unrelated lines, httpx lines, tracebacks ending in SDK errors.
fn service_log(incidents: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..incidents {
        for j in 0..(7 + i % 5) {
            s.push_str(&format!(
                "2026-11-20 09:{:02}:{:02},{:03} - INFO - app.api - GET /v1/orders/{j} took {i} ms\n",
                i % 60,
                j % 60,
                i % 1000
            ));
        }
        if i % 3 == 0 {
            s.push_str("2026-11-20 09:00:01,000 - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"\n");
        }
        let (status, exc, kind, msg) = if i % 4 == 1 {
            (
                529,
                "InternalServerError",
                "overloaded_error",
                "Overloaded".to_string(),
            )
        } else {
            (
                429,
                "RateLimitError",
                "rate_limit_error",
                format!(
                    "This request would exceed your organization's rate limit of {} requests per minute.",
                    50 + i
                ),
            )
        };
        s.push_str(&format!(
            "2026-11-20 09:{:02}:30,{:03} - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 {status} Too Many Requests\"\n\
             2026-11-20 09:{:02}:30,{:03} - root - ERROR - step {i} failed\n\
             Traceback (most recent call last):\n  File \"/srv/run.py\", line 41, in <module>\n    main()\n\
             \x20 File \"/srv/.venv/lib/python3.12/site-packages/anthropic/_base_client.py\", line 1047, in request\n\
             \x20   raise self._make_status_error_from_response(err.response) from None\n\
             anthropic.{exc}: Error code: {status} - {{'type': 'error', 'error': {{'type': '{kind}', 'message': '{msg}'}}, 'request_id': 'req_{i:024}'}}\n",
            i % 60,
            i % 1000,
            i % 60,
            i % 1000 + 1
        ));
    }
    s.into_bytes()
}

/// What `replay` sees of each capture: everything the verdict is built from.
struct Full;
type Seen2 = (
    u64,
    Option<u16>,
    String,
    Option<String>,
    Option<String>,
    String,
);

impl Handler for Full {
    type Item = Seen2;
    fn plain_success(&self, _: &Arc<str>, _: u64, _: &[u8]) -> Light<Seen2> {
        Light::Full
    }
    fn capture(&self, c: Capture) -> Option<Seen2> {
        let class = crate::classify::classify(&c).map(|v| v.class.as_str());
        Some((
            c.line,
            c.status,
            format!("{class:?}"),
            c.time.map(|t| t.to_rfc3339()),
            c.request_id.clone(),
            c.text.clone(),
        ))
    }
}

fn run_full(input: &[u8], engine: &Engine) -> (Vec<Seen2>, ScanStats) {
    let mut got = Vec::new();
    let stats = scan_input(
        Arc::from("t"),
        io::Cursor::new(input.to_vec()),
        Some(input.len() as u64),
        &ScanOptions::default(),
        engine,
        &Full,
        &mut |x| got.push(x),
    )
    .unwrap();
    (got, stats)
}

fn chunked(threads: usize, chunk: usize) -> Engine {
    Engine {
        threads,
        chunk,
        parallel_min: 0,
        progress: None,
        follow: false,
    }
}

/// `head`, 3000 stamped lines that name nothing (the last at 09:49:59), then `tail`:
/// the times of the failures each engine finds.
fn failure_times(head: &str, tail: &str, engines: &[Engine]) -> Vec<Vec<String>> {
    let mut input = String::from(head);
    for i in 0..3000 {
        input.push_str(&format!(
            "2026-11-20 09:{:02}:{:02},000 - INFO - app.worker - summarised document {i}\n",
            i / 60 % 60,
            i % 60
        ));
    }
    input.push_str(tail);
    engines
        .iter()
        .map(|e| {
            let (got, _) = run_full(input.as_bytes(), e);
            got.iter().filter_map(|g| g.3.clone()).collect()
        })
        .collect()
}

const RATE_LIMIT_ERROR: &str = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}\n";

/// A traceback carries no stamp of its own: its capture takes the time of the last
/// timestamped line before it, even when that line names nothing (it used to take the
/// stamp of the last line holding a trigger word, which could be hours older).
#[test]
fn a_traceback_takes_the_time_of_the_line_before_it() {
    let tail = format!(
        "Traceback (most recent call last):\n  File \"/srv/run.py\", line 41, in <module>\n{RATE_LIMIT_ERROR}"
    );
    let engines = [Engine::sequential(), chunked(2, 4096), chunked(1, 4096)];
    for (times, e) in failure_times(
        "2026-11-20 09:00:00,000 - INFO - app - user 7 signed in: rate limited to 5/s\n",
        &tail,
        &engines,
    )
    .iter()
    .zip(&engines)
    {
        assert_eq!(
            times,
            &["2026-11-20T09:49:59+00:00"],
            "threads {}",
            e.threads
        );
    }
}

/// The chunked scan takes the skipped lines' last stamp only when it needs it: a line it
/// dismisses without a stamp of its own (a dict dump) must still pass it on, far past the
/// start of a chunk where no checkpoint reads it.
#[test]
fn an_unstamped_line_taken_in_passing_keeps_the_time() {
    let tail = format!("    state={{'queued': 1, 'done': 7}}\n{RATE_LIMIT_ERROR}");
    let engines = [
        Engine::sequential(),
        chunked(1, 1 << 20),
        chunked(2, 1 << 16),
    ];
    for (times, e) in failure_times("", &tail, &engines).iter().zip(&engines) {
        assert_eq!(
            times,
            &["2026-11-20T09:49:59+00:00"],
            "threads {}",
            e.threads
        );
    }
}

#[test]
fn text_chunks_give_the_same_verdicts_as_one_pass() {
    let input = service_log(40);
    let (want, ws) = run_full(&input, &Engine::sequential());
    let failures = want.iter().filter(|w| w.2 != "None").count();
    // (How many captures the scanner makes of these lines is its business; here it only
    // matters that chunking changes nothing.)
    assert!(failures >= 10, "{failures}");
    // Every chunk size from tiny (a traceback split across many chunks) to whole.
    for chunk in [64, 100, 257, 1000, 4096, 1 << 20] {
        for threads in [2, 3] {
            let (got, gs) = run_full(&input, &chunked(threads, chunk));
            assert_eq!(got, want, "chunk={chunk} threads={threads}");
            assert_eq!(
                (gs.captures, gs.skipped, gs.bytes),
                (ws.captures, ws.skipped, ws.bytes),
                "chunk={chunk} threads={threads}"
            );
        }
    }
}

/// Every text fixture and example, one after another in one log and each line also
/// behind a log stamp: the chunked scan (pre-filter, quiet-line take) finds what the
/// line-by-line scan finds.
#[test]
fn fixture_text_chunked_gives_the_same_verdicts_as_one_pass() {
    // A plain first line: the input reads as text, not as a HAR or JSON Lines.
    let mut log = String::from("2026-11-20 08:00:00,000 - INFO - app - start\n");
    for root in ["tests/fixtures", "examples"] {
        for e in walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let p = e.path();
            // (Binary and broken inputs have tests of their own.)
            let text = p.extension().is_some_and(|x| x != "har" && x != "jsonl")
                && !p.starts_with("tests/fixtures/bad");
            if e.file_type().is_file() && text {
                let body = std::fs::read(p).unwrap_or_default();
                for l in String::from_utf8_lossy(&body).lines() {
                    log.push_str(&format!(
                        "{l}\n2026-11-20 09:00:00,123 - INFO - app - {l}\n"
                    ));
                }
                log.push_str("\n\n\n\n\n");
            }
        }
    }
    let input = log.into_bytes();
    let (want, _) = run_full(&input, &Engine::sequential());
    assert!(want.len() > 100, "{} of {} bytes", want.len(), input.len());
    for (threads, chunk) in [(1, 1 << 20), (2, 4096), (2, 1 << 16)] {
        let (got, _) = run_full(&input, &chunked(threads, chunk));
        assert_eq!(got, want, "threads {threads} chunk {chunk}");
    }
}

/// The SIMD searcher on its own and the automaton (the fallback where there is no SIMD
/// searcher) find the same first word from every position.
#[test]
fn both_word_searches_agree() {
    let words = ["error", "429", "anthropic", "rate", "http/", "exceeded"];
    let packed = WordSearch::new(&words);
    assert!(matches!(packed, WordSearch::Packed(_)) || !cfg!(target_arch = "x86_64"));
    let automaton = WordSearch::Automaton(
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(words)
            .unwrap(),
    );
    let hay = String::from_utf8_lossy(&service_log(3)).to_ascii_lowercase();
    let hay = hay.as_bytes();
    let mut hits = 0;
    for from in 0..hay.len() {
        let a = packed.find(hay, from);
        assert_eq!(a, automaton.find(hay, from), "from {from}");
        hits += usize::from(a == Some(from));
    }
    assert!(hits > 10, "{hits}");
    assert_eq!(packed.find(b"short", 0), None);
    assert_eq!(packed.find(b"a 429", 0), Some(2));
}

#[test]
fn a_traceback_split_at_every_byte_gives_the_same_verdicts() {
    let input = service_log(3);
    let (want, _) = run_full(&input, &Engine::sequential());
    let tb = input
        .windows(9)
        .position(|w| w == b"Traceback")
        .expect("has a traceback");
    // Chunks end on line boundaries: a chunk size just past each position in the first
    // incident cuts the log there (and at its multiples).
    for chunk in (64..tb + 700).step_by(7) {
        let (got, _) = run_full(&input, &chunked(2, chunk));
        assert_eq!(got, want, "chunk={chunk}");
    }
}

#[test]
fn text_items_keep_input_order() {
    let input = service_log(200);
    let (got, _) = run_full(&input, &chunked(3, 300));
    let lines: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    let (want, _) = run_full(&input, &Engine::sequential());
    assert_eq!(got, want);
}

#[test]
fn the_pool_is_bounded_in_bytes_whatever_the_workers() {
    for workers in [1, 2, 8, 64] {
        let (pool, e) = in_flight(workers, &Engine::auto());
        assert!(pool > workers, "every worker can be busy");
        assert!(pool * e.chunk <= IN_FLIGHT_BYTES, "workers={workers}");
    }
}

#[test]
fn binary_sniff() {
    assert!(looks_binary(b"\x00\x01\x02abc"));
    assert!(!looks_binary(b"HTTP/1.1 429 Too Many Requests\r\n"));
}

/// Scans `input` written to a file through [`scan_path_with`] (mapped when big enough).
fn run_file(input: &[u8], engine: &Engine) -> (Vec<Seen2>, ScanStats) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.log");
    std::fs::write(&path, input).unwrap();
    let mut got = Vec::new();
    let stats = scan_path_with(&path, &ScanOptions::default(), engine, &Full, &mut |x| {
        got.push(x)
    })
    .unwrap();
    (got, stats)
}

#[test]
fn a_mapped_file_gives_what_reading_it_gives() {
    let mut jsonl = Vec::new();
    while (jsonl.len() as u64) < 3 * MAP_MIN {
        jsonl.extend_from_slice(&mixed_log());
        jsonl.push(b'\n');
    }
    let text = service_log(400);
    assert!(text.len() as u64 > MAP_MIN);
    for input in [jsonl, text] {
        let (want, ws) = run_full(&input, &Engine::sequential());
        assert!(!want.is_empty());
        for e in [
            Engine::sequential(),
            chunked(2, 4096),
            chunked(1, 100),
            chunked(3, 1 << 20),
        ] {
            let (got, gs) = run_file(&input, &e);
            assert_eq!(got, want, "chunk {} threads {}", e.chunk, e.threads);
            assert_eq!(
                (gs.captures, gs.bytes, gs.skipped),
                (ws.captures, ws.bytes, ws.skipped)
            );
        }
    }
}

#[test]
fn a_mapped_line_longer_than_the_cap_is_skipped_and_counted() {
    let mut input = br#"{"status":429}"#.to_vec();
    input.push(b'\n');
    input.push(b'{');
    input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
    input.push(b'\n');
    input.extend_from_slice(br#"{"status":529}"#);
    for e in [Engine::sequential(), chunked(2, 4096)] {
        let (got, stats) = run_file(&input, &e);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(stats.skipped, 1);
        assert_eq!(stats.skipped_samples[0].line, 2);
        assert!(stats.skipped_samples[0].reason.contains("longer than"));
        assert_eq!(stats.bytes, input.len() as u64);
    }
}

#[test]
fn heavy_batches_shrink_the_chunks_and_light_ones_grow_them_back() {
    use super::pipeline::{HELD_BYTES, sized_for};
    let (pool, full) = (10, 800 * 1024);
    // A batch four times its input's share: the next chunks hold a quarter as much input.
    let share = HELD_BYTES / pool;
    let heavy = sized_for(full, 4 * share, pool, full, full);
    assert!(heavy <= full / 4 + 1 && heavy >= full / 4 - 1, "{heavy}");
    // Never below the floor, whatever the weight.
    assert_eq!(sized_for(full, usize::MAX, pool, full, full), 16 * 1024);
    // Weightless batches: back to full size, at most doubling per batch.
    assert_eq!(sized_for(heavy, 0, pool, heavy, full), 2 * heavy);
    assert_eq!(sized_for(full, 0, pool, full, full), full);
}

/// What a job without its own first pass counts for a chunk its worker numbers.
fn count_newlines(data: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', data).count()
}

/// A file of `n` JSON lines, the failure words (and near misses) falling at every place
/// (`i * step % modulo` bytes of padding before them), then `last` without a newline: its
/// directory, its path and its bytes.
fn worded_lines(
    n: usize,
    step: usize,
    modulo: usize,
    last: &[u8],
) -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let mut input = Vec::new();
    let words = ["rror", "verloaded", "ejected", "", "", "r", "jv"];
    for i in 0..n {
        let pad = "p".repeat(i * step % modulo);
        let w = words[i % words.len()];
        input.extend_from_slice(format!("{{\"status\":200,\"x\":\"{pad}{w}\"}}\n").as_bytes());
    }
    input.extend_from_slice(last);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    std::fs::write(&path, &input).unwrap();
    (dir, path, input)
}

/// The marks the reader hands out with a chunk ([`read::ChunkReader::marks`]) are the ones
/// the worker would find in it, read or mapped, cut by size or by the line cap, words
/// falling anywhere (also across chunk boundaries).
#[test]
fn the_readers_marks_are_the_chunks_own() {
    let (_dir, path, input) = worded_lines(5000, 7, 90, b"last line without newline rror");
    for (chunk, max_lines) in [(100, 7), (4096, MAX_CHUNK_LINES), (1 << 20, 300), (70, 1)] {
        let engine = chunked(1, chunk);
        for mapped in [false, true] {
            let src = if mapped {
                read::Input::Map(File::open(&path).unwrap())
            } else {
                read::Input::Read(File::open(&path).unwrap())
            };
            let mut r = read::ChunkReader::new(src, &engine);
            r.max_lines = max_lines;
            r.marks = true;
            let (mut seen, mut marked, mut line) = (0, 0, 1);
            while let Some(c) = r.next(Default::default()).unwrap() {
                let mut want = Vec::new();
                marks::line_marks(c.data(), &mut want, usize::MAX);
                if let Some(m) = c.marks() {
                    assert_eq!(m, &want[..], "chunk {chunk} at {seen} mapped {mapped}");
                    marked += 1;
                }
                assert!(want.len() as u64 <= max_lines.max(1));
                assert_eq!(c.first_line, line);
                line += want.len() as u64;
                seen += c.data().len();
            }
            assert_eq!(seen, input.len());
            assert!(marked > 0);
        }
    }
}

/// A read that fails mid-input ends the parallel scan with that error (the worker that was
/// cutting the chunk sends it on; the others stop), without a hang, whatever the workers.
#[test]
fn a_read_error_mid_input_ends_the_parallel_scan() {
    struct Failing {
        left: Vec<u8>,
    }
    impl io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left.is_empty() {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.left.len());
            buf[..n].copy_from_slice(&self.left[..n]);
            self.left.drain(..n);
            Ok(n)
        }
    }
    let input = mixed_log().repeat(20);
    for threads in [1, 2, 4] {
        let engine = Engine {
            threads,
            chunk: 64,
            parallel_min: 0,
            progress: None,
            follow: false,
        };
        let err = scan_input(
            Arc::from("t"),
            Failing {
                left: input.clone(),
            },
            None,
            &ScanOptions {
                failures_only: false,
            },
            &engine,
            &Record,
            &mut |_| {},
        )
        .expect_err("the read error comes through");
        assert_eq!(err.to_string(), "disk on fire", "threads={threads}");
    }
}

/// A file of `n` tiny JSON lines (its directory, its bytes), read mapped with marks and a
/// cap of 1000 lines a chunk.
fn tiny_lines_mapped(
    n: u32,
    threads: usize,
    chunk: usize,
) -> (tempfile::TempDir, Vec<u8>, read::ChunkReader<File>) {
    let mut input = Vec::new();
    for i in 0..n {
        input.extend_from_slice(format!("{{\"n\":{i}}}\n").as_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.jsonl");
    std::fs::write(&path, &input).unwrap();
    let engine = chunked(threads, chunk);
    let mut r = read::ChunkReader::new(read::Input::Map(File::open(&path).unwrap()), &engine);
    r.max_lines = 1000;
    r.marks = true;
    (dir, input, r)
}

/// A mapped file of tiny lines, cut by the line cap: each window is mapped about twice the
/// size the last chunk used, not the whole chunk size (whose pages were all populated for a
/// chunk using a few percent of them), and the chunks still cover the file line by line.
#[test]
fn windows_of_tiny_lines_are_sized_by_the_line_cap() {
    let (_dir, input, mut r) = tiny_lines_mapped(20_000, 1, 2 << 20);
    let (mut seen, mut line, mut n) = (0, 1, 0);
    while let Some(c) = r.next(Default::default()).unwrap() {
        let used = c.data().len();
        assert_eq!(c.first_line, line);
        assert!(c.buf.mapped_len() >= used);
        if n > 0 {
            // About 12 KB used per chunk: a window of at most twice that (or the mapping
            // minimum), never the 2 MiB chunk size.
            assert!(
                c.buf.mapped_len() <= (2 * used + 64).max(MAP_MIN as usize),
                "chunk {n}: mapped {} for {used}",
                c.buf.mapped_len()
            );
        }
        line += c.marks().map_or(0, <[u32]>::len) as u64;
        seen += used;
        n += 1;
    }
    assert_eq!(seen, input.len());
    assert_eq!(line, 20_001);
}

/// The parallel path's mapped windows are cut without counting ([`read::ChunkReader::defer`])
/// and numbered by their workers, which may finish in any order: each chunk still gets the
/// first line and the marks a counting reader gives it, whichever worker settles first.
#[test]
fn chunks_numbered_by_their_workers_get_the_counted_lines() {
    let (_dir, path, input) = worded_lines(3000, 13, 200, b"{\"last\":\"no newline rror\"}");
    let mut want = Vec::new();
    marks::line_marks(&input, &mut want, usize::MAX);
    for (chunk, marked) in [(4096, true), (70_000, true), (5000, false)] {
        let engine = chunked(2, chunk);
        let mut r = read::ChunkReader::new(
            read::Input::<File>::Map(File::open(&path).unwrap()),
            &engine,
        );
        r.marks = marked;
        r.defer();
        let mut chunks = Vec::new();
        let mut at = 0usize;
        while let Some(c) = r.next(Default::default()).unwrap() {
            chunks.push((at, c));
            at += chunks.last().unwrap().1.data().len();
        }
        assert_eq!(at, input.len());
        assert!(chunks.len() > 3, "chunk {chunk}: {} chunks", chunks.len());
        // Settled last chunk first, each on its own thread: every one waits for those
        // before it.
        let settled: Vec<(usize, read::Chunk)> = std::thread::scope(|s| {
            let hs: Vec<_> = chunks
                .into_iter()
                .rev()
                .map(|(at, mut c)| {
                    s.spawn(move || {
                        c.settle(marked, count_newlines);
                        (at, c)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (at, c) in settled {
            // The counted reader's numbering: the lines ending before this chunk, plus one.
            let before = want.iter().filter(|&&m| marks::end(m) <= at).count();
            assert_eq!(c.first_line, before as u64 + 1, "chunk {chunk} at {at}");
            let mut own = Vec::new();
            marks::line_marks(c.data(), &mut own, usize::MAX);
            assert_eq!(
                c.marks(),
                marked.then_some(&own[..]),
                "chunk {chunk} at {at}"
            );
        }
    }
}

/// A numbered-by-its-worker chunk dropped before it was numbered (its worker unwinding)
/// does not leave the chunks after it waiting; and windows of tiny lines are sized from
/// the lines per byte of the last chunk numbered (the line cap, on average).
#[test]
fn a_chunk_dropped_unnumbered_does_not_stall_the_rest() {
    let (_dir, _, mut r) = tiny_lines_mapped(400_000, 2, 1 << 20);
    r.defer();
    let mut first = r.next(Default::default()).unwrap().unwrap();
    let dropped = r.next(Default::default()).unwrap().unwrap();
    let mut third = r.next(Default::default()).unwrap().unwrap();
    first.settle(true, count_newlines);
    assert_eq!(first.first_line, 1);
    drop(dropped);
    third.settle(true, count_newlines);
    assert!(third.first_line > 1);
    // The first chunks were cut before anything was numbered: the whole 1 MiB asked for.
    // Windows after a numbered one hold about the line cap (1000 lines of about 13 bytes),
    // or the mapping minimum.
    assert!(first.data().len() > 1_000_000);
    let next = r.next(Default::default()).unwrap().unwrap();
    assert!(
        next.buf.mapped_len() <= (1000 * 14).max(MAP_MIN as usize),
        "{} bytes",
        next.buf.mapped_len()
    );
}
