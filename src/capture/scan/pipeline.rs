//! The one ordered pipeline every chunked path runs on: the input is cut into line-aligned
//! chunks ([`ChunkReader`], shared: a free worker cuts the next chunk itself), workers turn
//! each chunk into a batch, and the calling thread consumes the batches in input order (hl's
//! reader -> workers -> writer, with the reading done by the workers in turn).
//!
//! The pipeline is generic over the work (what a worker makes of a chunk) and the consumption
//! (what the ordered consumer does with a batch); it owns the threads, the channels, the
//! reordering and the recycling. Buffers circulate through a fixed pool, so at most `pool`
//! chunks are in flight and memory stays flat whatever the input size or the worker count.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

use super::Engine;
use super::quiet::Clock;
use super::read::{Buf, Chunk, ChunkReader, Input};

/// Bytes of input in flight at once (being read, parsed, or waiting for the consumer),
/// whatever the number of workers: the chunk shrinks as workers are added.
pub(super) const IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

/// Bytes the batches in flight may hold beyond their input (verdicts, events, text lines
/// waiting for the ordered consumer), whatever the number of workers: when a chunk's batch
/// weighs more than its share ([`Job::weight`]), the next chunks are cut smaller, so a
/// failure-dense log holds as little as a quiet one.
pub(super) const HELD_BYTES: usize = 3 * 1024 * 1024;

/// What one item of a batch holds on the heap beyond its own size, as [`Job::weight`]
/// counts it: a verdict or a `diagnose` event with its strings (source, time, model, request
/// id, evidence) is 0.5-1.5 KiB on gen_worst.py's failure-dense log.
pub(super) const ITEM_HEAP: usize = 1024;

/// The smallest chunk the held-bytes budget cuts to (per-chunk costs stay negligible).
const MIN_CHUNK: usize = 16 * 1024;

/// How often the consumer of a live input looks at the clock while waiting.
const TICK: Duration = Duration::from_millis(100);

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
    /// Whether the reader hands out each chunk's line marks ([`Chunk::marks`]).
    const MARKS: bool = false;
    /// A fresh worker's state (called on the worker's thread).
    fn state(&self) -> Self::State;
    /// The newlines of a chunk cut without counting them ([`Chunk::settle`]), before
    /// [`Job::work`] gets it on the same worker: a job whose work starts with a pass of its
    /// own over the bytes may do both in that pass (the text pre-filter lower-cases the
    /// chunk here).
    fn count_lines(&self, state: &mut Self::State, data: &[u8]) -> usize {
        let _ = state;
        memchr::memchr_iter(b'\n', data).count()
    }
    /// A worker's side: one chunk into a batch.
    fn work(&self, state: &mut Self::State, chunk: Chunk, spare: Self::Spare) -> Self::Batch;
    /// A batch that tells the consumer the input has been quiet for
    /// [`QUIET`](super::quiet::QUIET) (a live pipe):
    /// a capture held back in case a second form of it follows is let go, as the live path
    /// does. `None`: nothing is held.
    fn quiet(&self) -> Option<Self::Batch> {
        None
    }
    /// Bytes `batch` holds beyond its chunk's input (an estimate: items count
    /// [`ITEM_HEAP`] each); 0 when it holds next to nothing. Called on the worker's thread.
    fn weight(&self, batch: &Self::Batch) -> usize {
        let _ = batch;
        0
    }
}

/// The chunk size for the next chunks after one of `len` input bytes became a batch of
/// `weight` bytes: each batch in flight gets an equal share of [`HELD_BYTES`], the chunk
/// shrinks at once so its batch fits and grows back at most twofold per batch (never below
/// [`MIN_CHUNK`] or above the engine's `full` size).
pub(super) fn sized_for(len: usize, weight: usize, pool: usize, now: usize, full: usize) -> usize {
    let share = (HELD_BYTES / pool) as u128;
    let fits = (len as u128 * share / weight.max(1) as u128).min(full as u128) as usize;
    fits.min(now.saturating_mul(2)).max(MIN_CHUNK.min(full))
}

/// The first chunks' size, before any batch has said what the input turns into: the
/// chunks a whole pool holds before the first batch comes back must not hold more than the
/// budget if every line becomes an item, so the pipeline starts small and doubles.
fn first_chunk(full: usize) -> usize {
    (full / 8).max(MIN_CHUNK).min(full)
}

/// Runs `input` through `job` on the calling thread, one chunk at a time, handing every
/// batch to `consume`, which gives back the chunk's buffer and any spare storage. `max_lines`
/// caps the lines per chunk. Returns the bytes read.
pub(super) fn inline<J: Job, R: Read>(
    input: Input<R>,
    engine: &Engine,
    max_lines: u64,
    job: &J,
    consume: &mut dyn FnMut(J::Batch) -> (Buf, J::Spare),
) -> io::Result<u64> {
    let mut chunks = ChunkReader::new(input, engine);
    chunks.max_lines = max_lines;
    chunks.marks = J::MARKS;
    let mut state = job.state();
    let mut buf = Buf::default();
    let mut spare = J::Spare::default();
    while let Some(chunk) = chunks.next(std::mem::take(&mut buf))? {
        let batch = job.work(&mut state, chunk, std::mem::take(&mut spare));
        (buf, spare) = consume(batch);
    }
    Ok(chunks.bytes)
}

/// [`inline`] with `engine.threads` workers (at least one, each cutting its next chunk from
/// the shared reader in turn) and the calling thread as the ordered consumer, which puts the
/// batches back in input order. On a live input ([`Input::Live`]) the consumer also watches
/// the clock: once every chunk is consumed and the input has been quiet for
/// [`QUIET`](super::quiet::QUIET), it consumes [`Job::quiet`]'s batch.
pub(super) fn parallel<J: Job, R: Read + Send>(
    input: Input<R>,
    engine: &Engine,
    max_lines: u64,
    job: &J,
    consume: &mut dyn FnMut(J::Batch) -> (Buf, J::Spare),
) -> io::Result<u64> {
    let workers = engine.threads.max(1);
    let (pool, sized) = in_flight(workers, engine);
    let mut chunks = ChunkReader::new(input, &sized);
    chunks.max_lines = max_lines;
    chunks.marks = J::MARKS;
    chunks.defer();
    let clock = chunks.is_live().then(|| std::sync::Arc::new(Clock::new()));
    chunks.clock = clock.clone();
    let full = chunks.chunk_size();
    let cap = std::sync::Arc::new(AtomicUsize::new(first_chunk(full)));
    chunks.cap = Some(cap.clone());
    let (res_tx, res_rx) = sync_channel::<Done<J::Batch>>(pool);
    let (pool_tx, pool_rx) = sync_channel::<Buf>(pool);
    let (spare_tx, spare_rx) = sync_channel::<J::Spare>(pool);
    let spare_rx = Mutex::new(spare_rx);
    for _ in 0..pool {
        let _ = pool_tx.send(Buf::default());
    }
    // No reader thread: a free worker cuts the next chunk itself, under the lock, then works
    // on it, so no thread is woken to hand a chunk over. A mapped window is cut at its last
    // newline without reading the rest (`ChunkReader::defer`): the worker reads it first,
    // outside the lock, numbering its lines on the way (`Chunk::settle`).
    let reader = Mutex::new((chunks, pool_rx));
    let mut failure: Option<io::Error> = None;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let (reader, spare_rx) = (&reader, &spare_rx);
            s.spawn(move || worker(job, reader, spare_rx, &res_tx));
        }
        drop(res_tx);
        let mut pending: BTreeMap<u64, J::Batch> = BTreeMap::new();
        let mut next = 0u64;
        // Batches were consumed since the input was last found quiet.
        let mut busy = false;
        loop {
            let r = match &clock {
                None => match res_rx.recv() {
                    Ok(r) => r,
                    Err(_) => break,
                },
                Some(clock) => match res_rx.recv_timeout(TICK) {
                    Ok(r) => r,
                    Err(RecvTimeoutError::Timeout) => {
                        if busy && clock.quiet(next) {
                            busy = false;
                            if let Some(b) = job.quiet() {
                                // Its buffer is empty: not one of the pool's.
                                let _ = consume(b);
                            }
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                },
            };
            match r {
                Ok((seq, len, weight, b)) => {
                    if len > 0 {
                        let now = cap.load(Ordering::Relaxed);
                        let next = sized_for(len, weight, pool, now, full);
                        cap.store(next, Ordering::Relaxed);
                    }
                    pending.insert(seq, b);
                    while let Some(b) = pending.remove(&next) {
                        let (buf, spare) = consume(b);
                        let _ = pool_tx.send(buf);
                        // Spare storage is kept only while chunks are full size: one grown
                        // for a bigger chunk would hold its capacity through the small ones.
                        if cap.load(Ordering::Relaxed) >= full {
                            let _ = spare_tx.try_send(spare);
                        }
                        next += 1;
                        busy = true;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // Unblock a worker waiting for a buffer or a place for its batch.
        drop(pool_tx);
        drop(res_rx);
    });
    let bytes = match reader.into_inner() {
        Ok((chunks, _)) => chunks.bytes,
        Err(p) => p.into_inner().0.bytes,
    };
    match failure {
        Some(e) => Err(e),
        None => Ok(bytes),
    }
}

/// What a worker sends the consumer: (chunk, its input bytes, its batch's weight, the batch).
type Done<B> = io::Result<(u64, usize, usize, B)>;

/// One worker of [`parallel`]: takes the next chunk from the shared reader (cutting it
/// itself, under the lock), turns it into a batch and sends it to the consumer, until the
/// input ends, a read fails (sent on) or the consumer is gone.
fn worker<J: Job, R: Read>(
    job: &J,
    reader: &Mutex<(ChunkReader<R>, Receiver<Buf>)>,
    spare_rx: &Mutex<Receiver<J::Spare>>,
    res_tx: &SyncSender<Done<J::Batch>>,
) {
    let mut state = job.state();
    loop {
        let next = match reader.lock() {
            Ok(mut r) => {
                let (chunks, pool_rx) = &mut *r;
                chunks.take(pool_rx)
            }
            Err(_) => None,
        };
        let mut chunk = match next {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                let _ = res_tx.send(Err(e));
                return;
            }
            None => return,
        };
        // Outside the lock: a mapped window's lines are found here, on every worker at once.
        chunk.settle(J::MARKS, |data| job.count_lines(&mut state, data));
        let spare = spare_rx
            .lock()
            .ok()
            .and_then(|rx| rx.try_recv().ok())
            .unwrap_or_default();
        let (seq, len) = (chunk.seq, chunk.data().len());
        let batch = job.work(&mut state, chunk, spare);
        let weight = job.weight(&batch);
        if res_tx.send(Ok((seq, len, weight, batch))).is_err() {
            return;
        }
    }
}
