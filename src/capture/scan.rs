//! Streams an input (file, directory or stdin) into captures with flat memory: fixed-size
//! reads, lines split with memchr, a cap on the longest line, and per-chunk format sniffing so
//! one file can mix formats (a ticket with a header dump and then a traceback).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Capture, har, jsonl, text};

/// Lines longer than this are skipped (and counted), never buffered further.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
const READ_BUF: usize = 256 * 1024;

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Skip building captures for plain successes (JSONL/HAR fast path). `replay` sets this;
    /// `diagnose` needs successes for its timeline and leaves it off.
    pub failures_only: bool,
}

/// A chunk of input that could not be read as any capture format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub source: Arc<str>,
    pub line: u64,
    pub reason: String,
}

/// Counts for one or more scanned inputs.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    /// Exchanges seen, successes included.
    pub captures: u64,
    /// Chunks that looked like captures but could not be parsed.
    pub skipped: u64,
    /// The first few skipped chunks, for the stderr note.
    pub skipped_samples: Vec<Skipped>,
    /// Bytes read.
    pub bytes: u64,
    /// Files read.
    pub files: u64,
}

impl ScanStats {
    pub fn skip(&mut self, source: &Arc<str>, line: u64, reason: impl Into<String>) {
        self.skipped += 1;
        if self.skipped_samples.len() < 20 {
            self.skipped_samples.push(Skipped {
                source: source.clone(),
                line,
                reason: reason.into(),
            });
        }
    }

    pub fn merge(&mut self, other: ScanStats) {
        self.captures += other.captures;
        self.skipped += other.skipped;
        self.bytes += other.bytes;
        self.files += other.files;
        for s in other.skipped_samples {
            if self.skipped_samples.len() < 20 {
                self.skipped_samples.push(s);
            }
        }
    }
}

/// An input path that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}")]
pub struct InputError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Expands a path into the files to read: a file as is, a directory walked (sorted, hidden
/// entries skipped), `-` for stdin.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, InputError> {
    if path.as_os_str() == "-" {
        return Ok(vec![path.to_path_buf()]);
    }
    let meta = std::fs::metadata(path).map_err(|e| InputError {
        path: path.display().to_string(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| InputError {
            path: dir.display().to_string(),
            source: e,
        })?;
        let mut entries: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        entries.sort();
        for p in entries.into_iter().rev() {
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Scans one path (file or `-`) and hands each capture to `out`.
pub fn scan_path(
    path: &Path,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
) -> Result<ScanStats, InputError> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let wrap = |e: io::Error| InputError {
        path: name.to_string(),
        source: e,
    };
    if path.as_os_str() == "-" {
        let stdin = io::stdin();
        return scan_reader(name.clone(), stdin.lock(), opts, out).map_err(wrap);
    }
    let file = File::open(path).map_err(wrap)?;
    scan_reader(name.clone(), file, opts, out).map_err(wrap)
}

/// Scans any reader. The format is sniffed from the head (HAR is a whole-file JSON document);
/// everything else is read line by line, each line going to the JSONL fast path or the text
/// chunker.
pub fn scan_reader<R: Read>(
    source: Arc<str>,
    reader: R,
    opts: &ScanOptions,
    out: &mut dyn FnMut(Capture),
) -> io::Result<ScanStats> {
    let mut stats = ScanStats {
        files: 1,
        ..Default::default()
    };
    let mut reader = BufReader::with_capacity(READ_BUF, reader);
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Ok(stats);
    }
    if looks_binary(head) {
        stats.skip(&source, 1, "binary data (NUL bytes), not a text capture");
        // Count the bytes without keeping them.
        stats.bytes = io::copy(&mut reader, &mut io::sink())?;
        return Ok(stats);
    }
    if har::sniff(head) {
        let mut counting = CountingReader {
            inner: reader,
            count: 0,
        };
        har::scan(&source, &mut counting, opts, out, &mut stats)?;
        stats.bytes = counting.count;
        return Ok(stats);
    }
    let mut text = text::TextScanner::new(source.clone());
    let mut lines = LineReader::new(reader);
    let mut line_no: u64 = 0;
    while let Some(line) = lines.next_line()? {
        line_no += 1;
        let bytes = match line {
            Line::TooLong(len) => {
                text.flush(out, &mut stats);
                stats.skip(
                    &source,
                    line_no,
                    format!("line of {len} bytes is longer than the {MAX_LINE}-byte cap"),
                );
                continue;
            }
            Line::Bytes(b) => b,
        };
        let bytes = trim_eol(bytes);
        if bytes.first() == Some(&b'{') && text.is_idle() {
            match jsonl::parse_line(&source, line_no, bytes, opts.failures_only) {
                jsonl::Parsed::Capture(c) => {
                    text.flush(out, &mut stats);
                    stats.captures += 1;
                    out(*c);
                    continue;
                }
                jsonl::Parsed::Success => {
                    text.flush(out, &mut stats);
                    stats.captures += 1;
                    continue;
                }
                jsonl::Parsed::NotJsonl => {}
            }
        }
        if bytes.contains(&0) {
            text.flush(out, &mut stats);
            stats.skip(&source, line_no, "binary data in line");
            continue;
        }
        let s = String::from_utf8_lossy(bytes);
        text.push_line(line_no, &s, out, &mut stats);
    }
    text.finish(out, &mut stats);
    stats.bytes = lines.bytes;
    Ok(stats)
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Binary if the head has NUL bytes or is mostly non-text.
fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if memchr::memchr(0, sample).is_some() {
        return true;
    }
    let bad = sample
        .iter()
        .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b) || b == 0x7f)
        .count();
    bad * 10 > sample.len()
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count += amt as u64;
        self.inner.consume(amt)
    }
}

enum Line<'a> {
    Bytes(&'a [u8]),
    TooLong(usize),
}

/// Splits a reader into lines through one reusable buffer; a line longer than [`MAX_LINE`]
/// is drained and reported, never held.
struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(READ_BUF),
            bytes: 0,
        }
    }

    fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut too_long = 0usize;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if too_long > 0 {
                    return Ok(Some(Line::TooLong(too_long)));
                }
                return Ok((!self.buf.is_empty()).then_some(Line::Bytes(&self.buf)));
            }
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            if too_long > 0 || self.buf.len() + take > MAX_LINE {
                too_long += self.buf.len() + take;
                self.buf.clear();
                self.buf.shrink_to(READ_BUF);
            } else {
                self.buf.extend_from_slice(&avail[..take]);
            }
            self.inner.consume(take);
            self.bytes += take as u64;
            if done {
                if too_long > 0 {
                    return Ok(Some(Line::TooLong(too_long)));
                }
                return Ok(Some(Line::Bytes(&self.buf)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn binary_sniff() {
        assert!(looks_binary(b"\x00\x01\x02abc"));
        assert!(!looks_binary(b"HTTP/1.1 429 Too Many Requests\r\n"));
    }
}
