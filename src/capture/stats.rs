//! The types the scanner and the format readers share (options in, counts out). A leaf of
//! `capture`: `scan.rs` calls the readers and the readers fill these, so they live here and
//! not in `scan.rs` (which would make a circle).

use std::sync::Arc;

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
