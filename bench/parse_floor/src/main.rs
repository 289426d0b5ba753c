//! Each parser over every line of a JSON Lines log, one core, in turn (A B C ... A B C ...,
//! ROUNDS times), and the median per parser: nanoseconds a line and GB/s, and the net
//! figure (the split into lines, timed alone, taken off).

use std::time::{Duration, Instant};

use serde::de::IgnoredAny;

type Parse = fn(&[u8], &mut Scratch) -> u64;

#[derive(Default)]
struct Scratch {
    copy: Vec<u8>,
    simd: simd_json::Buffers,
}

const PARSERS: &[(&str, Parse)] = &[
    ("lines only (memchr split)", |l, _| l.len() as u64),
    ("claude-429 parse_lazy (fields read, validated)", |l, _| {
        claude_429::capture::jsonl::parse_lazy(l).map_or(0, |x| u64::from(x.status.unwrap_or(0)))
    }),
    ("serde_json IgnoredAny (validate only)", |l, _| {
        serde_json::from_slice::<IgnoredAny>(l).is_ok() as u64
    }),
    ("sonic-rs IgnoredAny (validate only)", |l, _| {
        sonic_rs::from_slice::<IgnoredAny>(l).is_ok() as u64
    }),
    ("sonic-rs Value (whole tree)", |l, _| {
        sonic_rs::from_slice::<sonic_rs::Value>(l).is_ok() as u64
    }),
    ("simd-json tape (copy + stage 1 + 2)", |l, s| {
        s.copy.clear();
        s.copy.extend_from_slice(l);
        simd_json::to_tape_with_buffers(&mut s.copy, &mut s.simd).map_or(0, |t| t.0.len() as u64)
    }),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse_floor LOG.jsonl [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().map_or(5, |r| r.parse().expect("ROUNDS: a number"));
    let data = std::fs::read(&path).expect("read the log");
    let lines: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut times = vec![Vec::new(); PARSERS.len()];
    let mut scratch = Scratch::default();
    let mut sink = 0u64;
    for _ in 0..rounds {
        for (t, (_, parse)) in times.iter_mut().zip(PARSERS) {
            let start = Instant::now();
            let mut from = 0;
            // The split is timed with each parser (memchr, as claude-429's reader finds
            // lines); `lines` above only counts them.
            while let Some(i) = memchr::memchr(b'\n', &data[from..]) {
                let line = &data[from..from + i];
                if !line.is_empty() {
                    sink = sink.wrapping_add(parse(line, &mut scratch));
                }
                from += i + 1;
            }
            t.push(start.elapsed());
        }
    }
    let n = lines.len() as f64;
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let split = median(&mut times[0].clone());
    println!(
        "{} lines, {:.1} MB, {rounds} rounds, medians (net: the split taken off)",
        lines.len(),
        data.len() as f64 / 1e6
    );
    println!("{:<48} {:>9} {:>10} {:>13}", "parser", "ms", "ns/line", "net ns/line");
    for (t, (name, _)) in times.iter_mut().zip(PARSERS) {
        let m = median(t);
        let net = m.saturating_sub(split);
        println!(
            "{name:<48} {:>9.1} {:>10.0} {:>13.0}",
            m.as_secs_f64() * 1e3,
            m.as_nanos() as f64 / n,
            net.as_nanos() as f64 / n
        );
    }
    std::hint::black_box(sink);
}
