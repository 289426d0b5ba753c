//! The entries [`Splice`](super::splice::Splice) cuts out, parsed on worker threads: batches of
//! whole entries go to the workers, which parse each one, build its capture and run the
//! handler on it; the results come back and are handed to the walk in input order.
//!
//! With one thread (or a small input) the same work runs on the calling thread, one batch at a
//! time. At most [`Exec::window`] batches are out at once, so memory stays flat whatever the
//! size of the document.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::walk::{Entry, KeySeed, Obj};
use super::{Shared, build};
use crate::capture::scan::{Handler, ScanOptions};

/// A batch is sent once it holds this many bytes of entries (or [`BATCH_ENTRIES`] entries).
pub(super) const BATCH_BYTES: usize = 256 * 1024;
pub(super) const BATCH_ENTRIES: usize = 256;

/// One entry of a batch: its bytes in the batch buffer and where it sits in the document.
pub(super) struct Slot {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Its place among the elements of `log.entries` (1-based).
    pub(super) ordinal: u64,
    /// The line its `{` is on.
    pub(super) line: u64,
    /// Newlines inside it.
    pub(super) newlines: u64,
}

/// Whole entries cut out of the document, in order.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) seq: u64,
    pub(super) buf: Vec<u8>,
    pub(super) slots: Vec<Slot>,
}

/// What became of one entry.
pub(super) enum Res<T> {
    /// It does not parse on its own: the walk reads it from its bytes.
    Failed,
    /// A capture that gives no item (a plain success in `replay`): only counted.
    Counted,
    Item(T),
}

/// A batch back from the workers, with one result per slot.
pub(super) struct Done<T> {
    pub(super) batch: Batch,
    pub(super) res: Vec<Res<T>>,
}

/// The work on one batch: every entry parsed, built and handed to the handler.
pub(super) struct Job<'a, H> {
    pub(super) opts: &'a ScanOptions,
    pub(super) handler: &'a H,
}

impl<H: Handler> Job<'_, H> {
    pub(super) fn run(&self, source: &Arc<str>, batch: Batch) -> Done<H::Item> {
        let res = batch
            .slots
            .iter()
            .map(|s| self.entry(source, &batch.buf[s.start..s.end], s.line))
            .collect();
        Done { batch, res }
    }

    fn entry(&self, source: &Arc<str>, bytes: &[u8], line: u64) -> Res<H::Item> {
        if self.opts.failures_only && is_plain_success(bytes) {
            return Res::Counted;
        }
        let sh = Shared::default();
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = Obj::<Entry>::new(&sh)
            .deserialize(&mut de)
            .and_then(|e| de.end().map(|()| e));
        match parsed {
            Ok(Some(e)) => match build(source, self.opts, e, line) {
                Some(c) => self.handler.capture(c).map_or(Res::Counted, Res::Item),
                None => Res::Counted,
            },
            _ => Res::Failed,
        }
    }
}

/// Where batches are parsed: on the calling thread, or by a pool of workers.
pub(super) enum Exec<'a, H: Handler> {
    Inline {
        job: Job<'a, H>,
        source: Arc<str>,
    },
    Pool {
        tx: SyncSender<Batch>,
        rx: Receiver<Done<H::Item>>,
        window: usize,
    },
}

/// Batches sent and not yet taken back, and the results waiting for their turn.
pub(super) struct Flow<'a, H: Handler> {
    pub(super) exec: Exec<'a, H>,
    /// Sequence number of the next batch to send.
    pub(super) sent: u64,
    /// Sequence number of the next batch to hand on.
    pub(super) next: u64,
    pub(super) back: BTreeMap<u64, Done<H::Item>>,
    /// Emptied buffers, for the next batches.
    pub(super) spare: Vec<Batch>,
}

impl<'a, H: Handler> Flow<'a, H> {
    pub(super) fn new(exec: Exec<'a, H>) -> Self {
        Flow {
            exec,
            sent: 0,
            next: 0,
            back: BTreeMap::new(),
            spare: Vec::new(),
        }
    }

    /// Whether batches go to other threads (and reading ahead pays).
    pub(super) fn parallel(&self) -> bool {
        matches!(self.exec, Exec::Pool { .. })
    }

    /// Batches out at most.
    pub(super) fn window(&self) -> usize {
        match &self.exec {
            Exec::Inline { .. } => 1,
            Exec::Pool { window, .. } => *window,
        }
    }

    /// Batches sent and not yet handed on.
    pub(super) fn out(&self) -> usize {
        (self.sent - self.next) as usize
    }

    /// A fresh batch, reusing an emptied one's storage.
    pub(super) fn fresh(&mut self) -> Batch {
        let mut b = self.spare.pop().unwrap_or_default();
        b.buf.clear();
        b.slots.clear();
        b
    }

    /// Sends `batch` to be parsed (parses it at once when inline).
    pub(super) fn send(&mut self, mut batch: Batch) {
        batch.seq = self.sent;
        self.sent += 1;
        match &self.exec {
            Exec::Inline { job, source } => {
                let done = job.run(source, batch);
                self.back.insert(done.batch.seq, done);
            }
            Exec::Pool { tx, .. } => {
                if tx.send(batch).is_err() {
                    // The workers are gone (one panicked): nothing comes back for it.
                    self.sent -= 1;
                }
            }
        }
    }

    /// The next batch in order, if it is back; with `wait`, waits for it.
    pub(super) fn take(&mut self, wait: bool) -> Option<Done<H::Item>> {
        if self.next == self.sent {
            return None;
        }
        loop {
            if let Some(d) = self.back.remove(&self.next) {
                self.next += 1;
                return Some(d);
            }
            let Exec::Pool { rx, .. } = &self.exec else {
                return None;
            };
            let got = if wait {
                rx.recv().ok()
            } else {
                match rx.try_recv() {
                    Ok(d) => Some(d),
                    Err(TryRecvError::Empty) => return None,
                    Err(TryRecvError::Disconnected) => None,
                }
            };
            match got {
                Some(d) => {
                    self.back.insert(d.batch.seq, d);
                }
                None => {
                    // No worker left to send it: give up on what is out.
                    self.next = self.sent;
                    return None;
                }
            }
        }
    }

    /// Gives an emptied batch's storage back.
    pub(super) fn recycle(&mut self, batch: Batch) {
        if self.spare.len() < 4 {
            self.spare.push(batch);
        }
    }
}

/// A worker: parses batches until the sender hangs up.
pub(super) fn worker<H: Handler>(
    job: &Job<'_, H>,
    source: &Arc<str>,
    rx: &Mutex<Receiver<Batch>>,
    tx: &SyncSender<Done<H::Item>>,
) {
    // Its own copy of the name: no shared count to bounce between cores per capture.
    let source: Arc<str> = Arc::from(&**source);
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => break,
        };
        let Ok(batch) = next else { break };
        if tx.send(job.run(&source, batch)).is_err() {
            break;
        }
    }
}

/// Whether an entry is a plain success (see [`plain_success`]) by a cheap look: one pass
/// over its raw bytes finds no `rror` (an error type or message anywhere), no `\\u` escape
/// (which could spell one), no `base64` (a body encoded so), and `"response"` and
/// `"status"` once each; then its response status, read with every value before it skipped
/// unparsed and nothing after it read at all, is a number from 100 to 399. Anything else
/// is parsed whole.
pub(super) fn is_plain_success(entry: &[u8]) -> bool {
    static WORDS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(["rror", "\\u", "base64", "\"response\"", "\"status\""])
            .expect("static patterns build")
    });
    let mut seen = [0usize; 5];
    for m in WORDS.find_iter(entry) {
        let p = m.pattern().as_usize();
        if p < 3 {
            return false;
        }
        seen[p] += 1;
    }
    seen[3] == 1 && seen[4] == 1 && response_status(entry).is_some_and(|s| (100..400).contains(&s))
}

/// `response.status` of an entry, parsing no further than that number (the visitors stop
/// the parser with an error once they have it).
pub(super) fn response_status(entry: &[u8]) -> Option<u16> {
    let found = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(entry);
    let _ = de.deserialize_map(PeekMap {
        found: &found,
        key: "response",
    });
    found.get()
}

/// Finds `key` in a map and reads it: `response` (a map again, for `status`), `status` (the
/// number, kept in `found`).
pub(super) struct PeekMap<'a> {
    pub(super) found: &'a Cell<Option<u16>>,
    pub(super) key: &'static str,
}

impl<'de> Visitor<'de> for PeekMap<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let keys: &'static [&'static str] = if self.key == "response" {
            &["response"]
        } else {
            &["status"]
        };
        while let Some(k) = map.next_key_seed(KeySeed(keys))? {
            match (k, self.key) {
                (None, _) => {
                    map.next_value::<IgnoredAny>()?;
                }
                (Some(_), "response") => {
                    map.next_value_seed(PeekSeed(PeekMap {
                        found: self.found,
                        key: "status",
                    }))?;
                    return Err(de::Error::custom("response read"));
                }
                (Some(_), _) => {
                    let n: u64 = map.next_value()?;
                    self.found.set(u16::try_from(n).ok());
                    return Err(de::Error::custom("status read"));
                }
            }
        }
        Ok(())
    }
}

pub(super) struct PeekSeed<'a>(pub(super) PeekMap<'a>);

impl<'de> DeserializeSeed<'de> for PeekSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self.0)
    }
}
