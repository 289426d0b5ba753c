//! HAR 1.2 files (browser devtools, mitmproxy, Charles): streamed entry by entry.
//! TEMPORARY stub: the streaming implementation replaces this file.
use std::io::{self, BufRead};
use std::sync::Arc;

use super::Capture;
use super::scan::{ScanOptions, ScanStats};

/// True when the head of a file looks like a HAR document.
pub fn sniff(_head: &[u8]) -> bool {
    false
}

/// Streams the entries of a HAR document.
pub fn scan<R: BufRead>(
    _source: &Arc<str>,
    _reader: &mut R,
    _opts: &ScanOptions,
    _out: &mut dyn FnMut(Capture),
    _stats: &mut ScanStats,
) -> io::Result<()> {
    Ok(())
}
