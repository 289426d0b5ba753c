//! A small HTTP/1.1 load generator for `bench/mock.sh`: N threads, one keep-alive connection
//! each, sending the same small non-streamed `POST /v1/messages` for D seconds. Prints
//! requests per second and the answers per status. Standard library only, so the script can
//! build it with plain `rustc` when `wrk` is not installed.
//!
//! Usage: mock_load HOST:PORT [THREADS] [SECONDS]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BODY: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args.get(1).cloned().unwrap_or_else(|| "127.0.0.1:8430".into());
    let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(32);
    let secs: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nx-api-key: sk-ant-bench\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (addr, request) = (addr.clone(), request.clone());
            let (stop, ok, other, errors) = (stop.clone(), ok.clone(), other.clone(), errors.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(stream) = TcpStream::connect(&addr) else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let mut w = stream.try_clone().expect("clone");
                    let mut r = BufReader::new(stream);
                    while !stop.load(Ordering::Relaxed) {
                        if w.write_all(request.as_bytes()).is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        match read_response(&mut r) {
                            Some(200) => ok.fetch_add(1, Ordering::Relaxed),
                            Some(_) => other.fetch_add(1, Ordering::Relaxed),
                            None => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        };
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    for h in handles {
        let _ = h.join();
    }
    let (ok, other, errors) = (ok.load(Ordering::Relaxed), other.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    println!(
        "{:.0} requests/s over {elapsed:.1} s with {threads} connections: {ok} x 200, {other} other statuses, {errors} connection errors",
        (ok + other) as f64 / elapsed
    );
}

/// Reads one response (status line, headers, a content-length body); returns the status.
fn read_response(r: &mut BufReader<TcpStream>) -> Option<u16> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(status)
}
