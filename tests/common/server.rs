//! Fake loopback servers: a raw HTTP/1.1 server that answers as a test scripts it (faults,
//! redirects, endless bodies), a port nothing listens on, and the address line a `record` or
//! `mock` child prints when it starts. Everything binds 127.0.0.1 and stops by itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received: its head (request line and headers, as text).
type Log = Arc<Mutex<Vec<String>>>;

/// A running raw server; it stops accepting when dropped (or after a minute).
pub struct Fault {
    pub port: u16,
    log: Log,
    stop: Arc<AtomicBool>,
}

impl Fault {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    /// The heads of the requests received so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Fault {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Serves `answer` for every request (each on its own thread), logging request heads.
/// `answer` gets the request number (0-based), the head and the stream to write to.
pub fn serve<F>(answer: F) -> Fault
where
    F: Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (log2, stop2) = (log.clone(), stop.clone());
    let answer = Arc::new(answer);
    let count = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while !stop2.load(Ordering::Relaxed) && Instant::now() < until {
            match listener.accept() {
                Ok((mut s, _)) => {
                    let (log, answer, count, stop) =
                        (log2.clone(), answer.clone(), count.clone(), stop2.clone());
                    std::thread::spawn(move || {
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                        let Some(head) = read_request(&mut s) else {
                            return;
                        };
                        let n = count.fetch_add(1, Ordering::SeqCst);
                        log.lock().unwrap().push(head.clone());
                        if !stop.load(Ordering::Relaxed) {
                            answer(n, &head, &mut s);
                        }
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Fault { port, log, stop }
}

/// Reads a request head and drains its body (by content-length).
fn read_request(s: &mut TcpStream) -> Option<String> {
    let mut r = BufReader::new(s.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push_str(&line);
    }
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(head)
}

/// Writes a whole response (`connection: close`, with its content-length).
pub fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut text = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let _ = s.write_all(text.as_bytes());
    let _ = s.write_all(body);
}

/// A 200 with a JSON body.
pub fn json_ok(s: &mut TcpStream, body: &serde_json::Value) {
    respond(
        s,
        "200 OK",
        &[("content-type", "application/json".into())],
        body.to_string().as_bytes(),
    );
}

/// `http://127.0.0.1:PORT` where nothing listens (the port was free a moment ago).
pub fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The first line a server child (`record`, `mock`) prints on stderr ("listening on ..."),
/// then keeps draining its stderr so the child never blocks on a full pipe.
pub fn first_stderr_line(child: &mut Child) -> String {
    let mut err = BufReader::new(child.stderr.take().expect("stderr is piped"));
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut err, &mut std::io::sink());
    });
    line
}
