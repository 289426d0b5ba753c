//! Captures: what one recorded exchange (or pasted error) told us, before any judgement.
//!
//! Each input format has its own module that turns bytes into [`Capture`]s; [`scan`] sniffs
//! the format, streams the input and hands every capture to a callback, so memory stays flat
//! whatever the input size.
//!
//! Where a new format goes: a format that is a whole file of its own structure (like HAR or
//! JSON Lines) gets its own module here with a `sniff(head)` test and a streaming `scan`, and
//! one branch in [`scan`]'s `sniff`, before the text fallback. A format that shows up as lines
//! inside pasted text or logs (an SDK's exception line, a CLI's error line, a cloud's error
//! envelope) is a recogniser in [`text`]: a marker in `Marker::from_prefix` or a status shape in
//! `status_in_text`/`status_of_exception`, plus its trigger words in the rule table
//! (`classify::rules`), from which the pre-filter is built, so a new shape cannot be filtered
//! out before it is seen. JSON bodies and Python/JS object dumps inside text are read by
//! [`crate::json::relaxed`]; a new envelope shape goes in `text::envelopes`
//! (text/literals.rs). Every new shape gets a fixture pair under `tests/fixtures/<format>/`
//! (`NAME.txt` + `NAME.expected.json`).

pub mod freetext;
pub mod har;
pub mod jsonl;
pub mod logrecord;
pub mod object;
pub mod scan;
pub mod stats;
pub mod text;
pub mod walk;

// The data types live in the `exchange` leaf so `classify` can read them without importing
// `capture`; re-exported here so `capture::Capture` etc. keep working.
pub use crate::exchange::{ApiError, Capture, Format, Headers, MAX_TEXT, RequestInfo, headers};
pub use scan::{ScanOptions, ScanStats, scan_path, scan_reader};
