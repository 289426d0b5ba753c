//! Captures: what one recorded exchange (or pasted error) told us, before any judgement.
//!
//! Each input format has its own module that turns bytes into [`Capture`]s; [`scan`] sniffs
//! the format, streams the input and hands every capture to a callback, so memory stays flat
//! whatever the input size.

pub mod har;
pub mod jsonl;
pub mod relaxed;
pub mod scan;
pub mod stats;
pub mod text;
pub mod walk;

// The data types live in the `exchange` leaf so `classify` can read them without importing
// `capture`; re-exported here so `capture::Capture` etc. keep working.
pub use crate::exchange::{ApiError, Capture, Format, Headers, MAX_TEXT, RequestInfo, headers};
pub use scan::{ScanOptions, ScanStats, scan_path, scan_reader};
