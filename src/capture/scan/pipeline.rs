//! The one ordered pipeline every chunked path runs on: a reader cuts the input into
//! line-aligned chunks ([`ChunkReader`]), workers turn each chunk into a batch, and the calling
//! thread consumes the batches in input order (hl's reader -> workers -> writer).
//!
//! The pipeline is generic over the work (what a worker makes of a chunk) and the consumption
//! (what the ordered consumer does with a batch); it owns the threads, the channels, the
//! reordering and the recycling. Buffers circulate through a fixed pool, so at most `pool`
//! chunks are in flight and memory stays flat whatever the input size or the worker count.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

use super::Engine;
use super::read::{Chunk, ChunkReader};

/// Bytes of input in flight at once (being read, parsed, or waiting for the consumer),
/// whatever the number of workers: the chunk shrinks as workers are added.
pub(super) const IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

/// The fixed pool for `workers` workers: (chunks in flight, bytes per chunk). Enough chunks
/// to keep every worker busy; memory does not grow with the input or the worker count.
pub(super) fn in_flight(workers: usize, engine: &Engine) -> (usize, Engine) {
    let pool = workers + 2;
    let mut e = engine.clone();
    e.chunk = e.chunk.min(IN_FLIGHT_BYTES / pool);
    (pool, e)
}

/// What runs on the pipeline. `State` is each worker's own (scratch space, a private copy of
/// the source name); `Spare` is storage the consumer hands back to the workers so each keeps
/// its grown capacity (an emptied result vector), `()` when there is none.
pub(super) trait Job: Sync {
    type State;
    type Spare: Send + Default;
    type Batch: Send;
    /// A fresh worker's state (called on the worker's thread).
    fn state(&self) -> Self::State;
    /// A worker's side: one chunk into a batch.
    fn work(&self, state: &mut Self::State, chunk: Chunk, spare: Self::Spare) -> Self::Batch;
}

/// Runs `reader` through `job` on the calling thread, one chunk at a time, handing every
/// batch to `consume`, which gives back the chunk's buffer and any spare storage. `max_lines`
/// caps the lines per chunk. Returns the bytes read.
pub(super) fn inline<J: Job, R: Read>(
    reader: R,
    engine: &Engine,
    max_lines: u64,
    job: &J,
    consume: &mut dyn FnMut(J::Batch) -> (Vec<u8>, J::Spare),
) -> io::Result<u64> {
    let mut chunks = ChunkReader::new(reader, engine);
    chunks.max_lines = max_lines;
    let mut state = job.state();
    let mut buf = Vec::new();
    let mut spare = J::Spare::default();
    while let Some(chunk) = chunks.next(std::mem::take(&mut buf))? {
        let batch = job.work(&mut state, chunk, std::mem::take(&mut spare));
        (buf, spare) = consume(batch);
    }
    Ok(chunks.bytes)
}

/// [`inline`] with a reader thread, `engine.threads` workers (at least one) and the calling
/// thread as the ordered consumer, which puts the batches back in input order.
pub(super) fn parallel<J: Job, R: Read + Send>(
    reader: R,
    engine: &Engine,
    max_lines: u64,
    job: &J,
    consume: &mut dyn FnMut(J::Batch) -> (Vec<u8>, J::Spare),
) -> io::Result<u64> {
    let workers = engine.threads.max(1);
    let (pool, sized) = in_flight(workers, engine);
    let mut chunks = ChunkReader::new(reader, &sized);
    chunks.max_lines = max_lines;
    let (work_tx, work_rx) = sync_channel::<Chunk>(pool);
    let work_rx = Mutex::new(work_rx);
    let (res_tx, res_rx) = sync_channel::<io::Result<(u64, J::Batch)>>(pool);
    let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(pool);
    let (spare_tx, spare_rx) = sync_channel::<J::Spare>(pool);
    let spare_rx = Mutex::new(spare_rx);
    for _ in 0..pool {
        let _ = pool_tx.send(Vec::new());
    }
    let mut failure: Option<io::Error> = None;
    let bytes = std::thread::scope(|s| {
        let reader_res = res_tx.clone();
        let reader = s.spawn(move || chunks.feed(&pool_rx, &work_tx, &reader_res));
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let (work_rx, spare_rx) = (&work_rx, &spare_rx);
            s.spawn(move || {
                let mut state = job.state();
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(chunk) = next else { break };
                    let spare = spare_rx
                        .lock()
                        .ok()
                        .and_then(|rx| rx.try_recv().ok())
                        .unwrap_or_default();
                    let seq = chunk.seq;
                    let batch = job.work(&mut state, chunk, spare);
                    if res_tx.send(Ok((seq, batch))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        let mut pending: BTreeMap<u64, J::Batch> = BTreeMap::new();
        let mut next = 0u64;
        for r in res_rx.iter() {
            match r {
                Ok((seq, b)) => {
                    pending.insert(seq, b);
                    while let Some(b) = pending.remove(&next) {
                        let (buf, spare) = consume(b);
                        let _ = pool_tx.send(buf);
                        let _ = spare_tx.try_send(spare);
                        next += 1;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // Unblock the reader if it is waiting for a buffer, then collect its count.
        drop(pool_tx);
        drop(res_rx);
        reader.join().unwrap_or(0)
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(bytes),
    }
}
