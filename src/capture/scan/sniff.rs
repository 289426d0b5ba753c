//! What an input is, from its head: empty, binary, HAR (scanned here, a whole-file
//! document), JSON Lines or text.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

use super::read::CountingReader;
use super::{Handler, ScanOptions, ScanStats};
use crate::capture::{har, object};

pub(super) enum Sniffed {
    /// Empty, binary or HAR: already handled.
    Done,
    Jsonl,
    Text,
}

/// Looks at the head of an input: empty and binary inputs are counted, HAR files scanned
/// (their entries parsed on `har_threads` workers when above 1); otherwise says whether it is
/// a JSON Lines log or text.
pub(super) fn sniff<H: Handler, R: Read>(
    source: &Arc<str>,
    reader: &mut BufReader<R>,
    opts: &ScanOptions,
    har_threads: usize,
    handler: &H,
    sink: &mut dyn FnMut(H::Item),
    stats: &mut ScanStats,
) -> io::Result<Sniffed> {
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Ok(Sniffed::Done);
    }
    if looks_binary(head) {
        stats.skip(source, 1, "binary data (NUL bytes), not a text capture");
        // Nothing more is read: the rest is skipped whole anyway, and a device such as
        // /dev/zero or /dev/urandom never ends (reading it to count its bytes hung).
        stats.bytes = head.len() as u64;
        return Ok(Sniffed::Done);
    }
    if har::sniff(head) {
        let mut counting = CountingReader {
            inner: reader,
            count: 0,
        };
        let ahead = har::scan_with_handler(
            source,
            &mut counting,
            opts,
            har_threads,
            handler,
            sink,
            stats,
        )?;
        stats.bytes = counting.count - ahead;
        return Ok(Sniffed::Done);
    }
    Ok(if looks_jsonl(source, head) {
        Sniffed::Jsonl
    } else {
        Sniffed::Text
    })
}

/// A JSON Lines log: most of the first lines are objects, and one of them is an exchange.
pub(super) fn looks_jsonl(source: &Arc<str>, head: &[u8]) -> bool {
    let (mut lines, mut objects, mut exchange) = (0usize, 0usize, false);
    for raw in head.split(|&b| b == b'\n').take(64) {
        let l = raw.trim_ascii();
        if l.is_empty() {
            continue;
        }
        lines += 1;
        if l.first() == Some(&b'{') {
            objects += 1;
            if !exchange && let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(l) {
                exchange = object::from_object(source, 1, &o).is_some();
            }
        }
        if lines >= 16 {
            break;
        }
    }
    exchange && objects * 10 >= lines * 8
}
/// Binary if the head has NUL bytes or is mostly non-text.
pub(super) fn looks_binary(head: &[u8]) -> bool {
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
