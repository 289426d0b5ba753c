//! `--json` (one document, written as verdicts arrive so memory stays flat) and `--jsonl`.

use std::io::Write;

use serde::Serialize;

use super::{Renderer, Summary};
use crate::classify::Verdict;

/// Writes `{"verdicts": [...], "summary": {...}}` incrementally.
pub struct JsonDoc<W: Write> {
    out: W,
    first: bool,
    redact_ids: bool,
}

impl<W: Write> JsonDoc<W> {
    pub fn new(out: W, redact_ids: bool) -> Self {
        JsonDoc {
            out,
            first: true,
            redact_ids,
        }
    }
}

/// Serialises a verdict with keys (always) and ids (on request) removed.
pub fn verdict_json(v: &Verdict, redact_ids: bool) -> String {
    let s = serde_json::to_string(v).expect("verdicts serialise");
    crate::redact::apply(&s, redact_ids)
}

impl<W: Write> Renderer for JsonDoc<W> {
    fn verdict(&mut self, v: &Verdict) -> std::io::Result<()> {
        if self.first {
            self.out.write_all(b"{\"verdicts\": [\n  ")?;
            self.first = false;
        } else {
            self.out.write_all(b",\n  ")?;
        }
        self.out
            .write_all(verdict_json(v, self.redact_ids).as_bytes())
    }

    fn finish(&mut self, summary: &Summary) -> std::io::Result<()> {
        if self.first {
            self.out.write_all(b"{\"verdicts\": [")?;
        } else {
            self.out.write_all(b"\n")?;
        }
        #[derive(Serialize)]
        struct S<'a> {
            summary: &'a Summary,
        }
        let s = serde_json::to_string(&S { summary }).expect("summary serialises");
        // `{"summary": ...}` without its opening brace continues the document.
        write!(self.out, "],\n {}\n", &s[1..])?;
        self.out.flush()
    }
}

/// One verdict per line.
pub struct JsonLines<W: Write> {
    out: W,
    redact_ids: bool,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W, redact_ids: bool) -> Self {
        JsonLines { out, redact_ids }
    }
}

impl<W: Write> Renderer for JsonLines<W> {
    fn verdict(&mut self, v: &Verdict) -> std::io::Result<()> {
        self.out
            .write_all(verdict_json(v, self.redact_ids).as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self, _summary: &Summary) -> std::io::Result<()> {
        self.out.flush()
    }
}
