//! Running a job: threads, ordering and back-pressure.
//!
//! ```text
//! reader thread --batches--> compute thread --decided batches--> caller's thread
//!  (framing)      bounded     (rayon: records in chunks)  bounded    (reconcile in order,
//!                                                                    then the Sink)
//! ```
//!
//! Bounded channels give back-pressure: a slow sink stalls the compute thread, which stalls
//! the reader, so memory stays bounded by the channel capacities times the batch size. The
//! rayon workers never block on a channel. Order is kept without a reorder buffer: batches
//! are computed one after another and `collect` keeps chunk order inside a batch.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};
use rayon::prelude::*;

use crate::config::{Engine, Progress};
use crate::error::{ErrorKind, JobError};
use crate::frame::{self, Checkpoint, FrameError, Framer, Span};
use crate::index::Fingerprinter;
use crate::input::{self, Source};
use crate::parse::MAX_RECORD_BYTES;
use crate::reconcile::{self, Reconciler};
use crate::record::{Chunk, EXCERPT_BYTES, Input, Worker};
use crate::sink::{Flow, Keys, Matched, Record, Sink, Status, Summary};

/// Batches in flight between two stages.
const CHANNEL_BATCHES: usize = 2;
/// Written chunks kept for reuse: about the chunks of the batches in flight.
const SPARE_CHUNKS: usize = 64;
/// A stream's batch buffers kept for reuse: the batches in flight. Each batch of a stream
/// used to be a fresh buffer grown by doubling on the reader thread and freed on the
/// writer's; reusing them keeps the reader from reallocating and the allocator from holding
/// the freed buffers of another thread (see BENCHMARKS.md, issue 13).
const SPARE_BUFFERS: usize = 2 * CHANNEL_BATCHES + 2;

enum Data<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Data<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Borrowed(b) => b,
            Data::Owned(v) => v,
        }
    }
}

struct Batch<'a> {
    data: Data<'a>,
    inputs: Vec<Input>,
    /// Input bytes framed up to the end of this batch.
    framed_bytes: u64,
}

impl Batch<'_> {
    /// Gives a stream's buffer back to the reader; a full pool drops it.
    fn recycle(self, buffers: &Sender<Vec<u8>>) {
        if let Data::Owned(v) = self.data {
            let _ = buffers.try_send(v);
        }
    }
}

enum Msg<T> {
    Batch(T),
    Fatal(JobError),
}

thread_local! {
    static WORKER: RefCell<Worker> = RefCell::new(Worker::new());
}

impl Engine {
    /// Runs a job over bytes already in memory (or mapped). A malformed JSON array fails
    /// before the first record reaches the sink (SPEC 6.3).
    pub fn run_bytes(&self, data: &[u8], sink: &mut dyn Sink) -> Result<Summary, JobError> {
        let checkpoints = match precheck(self, data) {
            Ok(c) => c,
            Err(e) => return fail(sink, Summary::default(), e),
        };
        self.run(sink, |tx, _| read_slice(self, data, &checkpoints, tx))
    }

    /// Runs a job over a stream. Records are decided as they arrive; if the stream turns
    /// out to be malformed, what was written stands and the summary says `failed`.
    pub fn run_reader(
        &self,
        mut reader: impl Read + Send,
        sink: &mut dyn Sink,
    ) -> Result<Summary, JobError> {
        self.run(sink, move |tx, spare| {
            read_stream(self, &mut reader, tx, spare)
        })
    }

    /// Runs a job over a path: regular files are memory-mapped, other files streamed.
    pub fn run_path(&self, path: &Path, sink: &mut dyn Sink) -> Result<Summary, JobError> {
        match input::open(path) {
            Ok(Source::Mapped(m)) => self.run_bytes(m.bytes(), sink),
            Ok(Source::Stream(f)) => self.run_reader(f, sink),
            Err(e) => fail(sink, Summary::default(), e),
        }
    }

    fn run<'a, R>(&self, sink: &mut dyn Sink, reader: R) -> Result<Summary, JobError>
    where
        R: FnOnce(&Sender<Msg<Batch<'a>>>, &Receiver<Vec<u8>>) + Send,
    {
        let (batch_tx, batch_rx) = bounded::<Msg<Batch<'a>>>(CHANNEL_BATCHES);
        let (buffers_tx, buffers_rx) = bounded::<Vec<u8>>(SPARE_BUFFERS);
        let (done_tx, done_rx) = bounded::<Msg<(Batch<'a>, Vec<Chunk>)>>(CHANNEL_BATCHES);
        // Written chunks go back to the workers with their buffers: fresh buffers for every
        // chunk cost page faults (the kernel's `clear_page_erms` was 5.8% of a 1-thread
        // run's cycles). A full pool drops a chunk, so it never holds more than this.
        let (spare_tx, spare_rx) = bounded::<Chunk>(SPARE_CHUNKS);
        std::thread::scope(|s| {
            s.spawn(move || reader(&batch_tx, &buffers_rx));
            // One seed for the whole job: the workers fingerprint, the writer looks up.
            let fingerprints = Fingerprinter::new();
            s.spawn(move || compute(self, batch_rx, done_tx, &spare_rx, &fingerprints));
            write(self, done_rx, sink, &spare_tx, &buffers_tx)
        })
    }
}

/// What a parse-only pass saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOnly {
    /// Records framed.
    pub records: u64,
    /// Records that parsed (as JSON of any kind).
    pub parsed: u64,
}

/// The floor the engine is measured against (issue 5): the same framing and batching,
/// every record parsed into the engine's tape on the worker pool, and nothing else: no
/// rule, no index, no output. A benchmark hook (`internals`), not API.
pub fn parse_only_path(engine: &Engine, path: Option<&Path>) -> Result<ParseOnly, JobError> {
    engine.parse_only_path(path)
}

impl Engine {
    fn parse_only_path(&self, path: Option<&Path>) -> Result<ParseOnly, JobError> {
        match path.map(input::open).transpose()? {
            Some(Source::Mapped(m)) => {
                let data = m.bytes();
                let checkpoints = precheck(self, data)?;
                self.parse_only(|tx, _| read_slice(self, data, &checkpoints, tx))
            }
            Some(Source::Stream(mut f)) => {
                self.parse_only(move |tx, spare| read_stream(self, &mut f, tx, spare))
            }
            None => {
                self.parse_only(|tx, spare| read_stream(self, &mut std::io::stdin(), tx, spare))
            }
        }
    }

    fn parse_only<'a, R>(&self, reader: R) -> Result<ParseOnly, JobError>
    where
        R: FnOnce(&Sender<Msg<Batch<'a>>>, &Receiver<Vec<u8>>) + Send,
    {
        let (tx, rx) = bounded::<Msg<Batch<'a>>>(CHANNEL_BATCHES);
        let (buffers_tx, buffers_rx) = bounded::<Vec<u8>>(SPARE_BUFFERS);
        std::thread::scope(|s| {
            s.spawn(move || reader(&tx, &buffers_rx));
            let mut total = ParseOnly::default();
            for msg in rx {
                let batch = match msg {
                    Msg::Batch(b) => b,
                    Msg::Fatal(e) => return Err(e),
                };
                let data = batch.data.bytes();
                let parsed: u64 = self.pool.install(|| {
                    batch
                        .inputs
                        .par_chunks(self.chunk_records())
                        .map(|inputs| {
                            PARSER.with(|p| {
                                let mut p = p.borrow_mut();
                                inputs
                                    .iter()
                                    .map(|i| {
                                        u64::from(p.parse(&data[i.raw.clone()], |r| r.is_ok()))
                                    })
                                    .sum::<u64>()
                            })
                        })
                        .sum()
                });
                total.records += batch.inputs.len() as u64;
                total.parsed += parsed;
                batch.recycle(&buffers_tx);
            }
            Ok(total)
        })
    }
}

thread_local! {
    static PARSER: RefCell<crate::parse::Parser> = RefCell::new(crate::parse::Parser::new());
}

/// Checks a whole in-memory JSON array's framing without keeping any record; returns the
/// checkpoints [`read_slice`] frames from.
fn precheck(engine: &Engine, data: &[u8]) -> Result<Vec<Checkpoint>, JobError> {
    engine
        .pool
        .install(|| frame::check(data, engine.piece_bytes()))
        .map_err(frame_error)
}

#[cold]
fn frame_error(e: FrameError) -> JobError {
    JobError::new(ErrorKind::Framing, Some(e.position), e.to_string())
}

fn fail(sink: &mut dyn Sink, mut summary: Summary, e: JobError) -> Result<Summary, JobError> {
    summary.status = Status::Failed(e.to_string());
    // The job failed already; a failing sink cannot make that worse.
    let _ = sink.finish(&summary);
    Err(e)
}

/// Collects the records of a slice into batches and sends them.
struct Batcher<'a, 't> {
    engine: &'a Engine,
    data: &'a [u8],
    tx: &'t Sender<Msg<Batch<'a>>>,
    inputs: Vec<Input>,
}

impl<'a> Batcher<'a, '_> {
    /// False once nobody listens any more.
    fn push(&mut self, s: &Span, framed_bytes: u64) -> bool {
        self.inputs.push(Input {
            index: s.index,
            raw: s.start as usize..s.end as usize,
            complete: true,
            size: s.end - s.start,
        });
        if self.inputs.len() < self.engine.batch_records() {
            return true;
        }
        let inputs = std::mem::replace(
            &mut self.inputs,
            Vec::with_capacity(self.engine.batch_records()),
        );
        self.send(inputs, framed_bytes)
    }

    fn send(&self, inputs: Vec<Input>, framed_bytes: u64) -> bool {
        let batch = Batch {
            data: Data::Borrowed(self.data),
            inputs,
            framed_bytes,
        };
        self.tx.send(Msg::Batch(batch)).is_ok()
    }

    fn fatal(&self, e: FrameError) {
        let _ = self.tx.send(Msg::Fatal(frame_error(e)));
    }
}

/// One stretch of a checked slice: from a checkpoint (none: the start) to `to`.
#[derive(Clone, Copy)]
struct Segment {
    from: Option<Checkpoint>,
    to: usize,
}

impl Segment {
    fn start(&self) -> usize {
        self.from.map_or(0, |c| c.byte as usize)
    }

    fn framer(&self) -> Framer {
        self.from.map_or_else(Framer::new, Framer::resume)
    }
}

/// Frames a slice already checked by [`precheck`]: the stretches between its checkpoints
/// are framed in parallel, a few at a time, and their records sent in order. The grammar is
/// not checked again: [`frame::frame_checked`] only tells elements apart. A stretch much
/// longer than a piece (a wrong guess, or no checkpoint at all, as for NDJSON) is framed
/// here in windows, so that memory stays bounded by a few pieces' records.
fn read_slice<'a>(
    engine: &'a Engine,
    data: &'a [u8],
    checkpoints: &[Checkpoint],
    tx: &Sender<Msg<Batch<'a>>>,
) {
    let mut out = Batcher {
        engine,
        data,
        tx,
        inputs: Vec::with_capacity(engine.batch_records()),
    };
    let segments: Vec<Segment> = std::iter::once(None)
        .chain(checkpoints.iter().copied().map(Some))
        .zip(
            checkpoints
                .iter()
                .map(|c| c.byte as usize)
                .chain(std::iter::once(data.len())),
        )
        .map(|(from, to)| Segment { from, to })
        .collect();
    let long = engine.piece_bytes().saturating_mul(2);
    let group = engine.threads() * 2;
    let mut k = 0;
    while k < segments.len() {
        let seg = segments[k];
        let last = k + 1 == segments.len();
        if seg.to - seg.start() > long {
            if !read_windows(engine, data, seg, last, &mut out) {
                return;
            }
            k += 1;
            continue;
        }
        let mut j = k + 1;
        while j < segments.len() && j - k < group && segments[j].to - segments[j].start() <= long {
            j += 1;
        }
        let framed: Vec<Result<Vec<Span>, FrameError>> = engine.pool.install(|| {
            segments[k..j]
                .par_iter()
                .enumerate()
                .map(|(i, seg)| {
                    let mut spans = Vec::new();
                    if let Some(from) = seg.from
                        && frame::frame_checked(data, from, seg.to, &mut spans).is_some()
                    {
                        return Ok(spans);
                    }
                    spans.clear();
                    let mut framer = seg.framer();
                    framer.feed(&data[seg.start()..seg.to], seg.start() as u64, &mut spans)?;
                    if k + i + 1 == segments.len() {
                        framer.finish(data.len() as u64, &mut spans)?;
                    }
                    Ok(spans)
                })
                .collect()
        });
        for (seg, spans) in segments[k..j].iter().zip(framed) {
            match spans {
                Ok(spans) => {
                    for s in &spans {
                        if !out.push(s, seg.to as u64) {
                            return;
                        }
                    }
                }
                Err(e) => return out.fatal(e),
            }
        }
        k = j;
    }
    if !out.inputs.is_empty() {
        let inputs = std::mem::take(&mut out.inputs);
        out.send(inputs, data.len() as u64);
    }
}

/// Frames one stretch of a slice on this thread, a window at a time; false when the job is
/// over (an error, or nobody listens).
fn read_windows(engine: &Engine, data: &[u8], seg: Segment, last: bool, out: &mut Batcher) -> bool {
    let mut framer = seg.framer();
    let mut spans: Vec<Span> = Vec::new();
    let window = engine.read_bytes();
    let mut at = seg.start();
    loop {
        let end = (at + window).min(seg.to);
        let step = if at < seg.to {
            framer.feed(&data[at..end], at as u64, &mut spans)
        } else if last {
            framer.finish(data.len() as u64, &mut spans)
        } else {
            Ok(())
        };
        if let Err(e) = step {
            out.fatal(e);
            return false;
        }
        for s in spans.drain(..) {
            if !out.push(&s, end as u64) {
                return false;
            }
        }
        if at >= seg.to {
            return true;
        }
        at = end;
    }
}

/// Frames a stream. Holds at most one batch of records plus the record being read; a record
/// over the size limit is not held: only its first bytes are kept for the error line.
fn read_stream(
    engine: &Engine,
    reader: &mut dyn Read,
    tx: &Sender<Msg<Batch<'static>>>,
    buffers: &Receiver<Vec<u8>>,
) {
    let mut framer = Framer::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut inputs: Vec<Input> = Vec::new();
    // A batch is cut at `batch_bytes`, after a read of up to `read_bytes`: a buffer of both
    // never reallocates for records of the usual size.
    let capacity = engine.read_bytes() * 3;
    let mut buf: Vec<u8> = Vec::with_capacity(capacity);
    // Absolute offset of buf[0].
    let mut base: u64 = 0;
    // The oversized record being skipped: its start and first bytes.
    let mut skipping: Option<(u64, Vec<u8>)> = None;
    // Prefixes of skipped records, appended to the batch data when it is cut.
    let mut prefixes: Vec<(usize, Vec<u8>)> = Vec::new();
    // A batch is also cut at this many bytes, so that records much larger than usual do not
    // multiply the memory in flight (see `Builder::batch_records`).
    let batch_bytes = engine.read_bytes() * 2;
    let send = |tx: &Sender<Msg<Batch<'static>>>,
                buf: &mut Vec<u8>,
                inputs: &mut Vec<Input>,
                prefixes: &mut Vec<(usize, Vec<u8>)>,
                cut: usize,
                framed: u64| {
        let mut next = buffers
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(capacity));
        next.clear();
        next.extend_from_slice(&buf[cut..]);
        buf.truncate(cut);
        let mut data = std::mem::replace(buf, next);
        for (i, prefix) in prefixes.drain(..) {
            let start = data.len();
            data.extend_from_slice(&prefix);
            inputs[i].raw = start..data.len();
        }
        let batch = Batch {
            data: Data::Owned(data),
            inputs: std::mem::take(inputs),
            framed_bytes: framed,
        };
        tx.send(Msg::Batch(batch)).is_ok()
    };
    loop {
        let scanned = buf.len();
        let got = match input::read_some(reader, &mut buf, engine.read_bytes()) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Msg::Fatal(JobError::io(
                    ErrorKind::Input,
                    &format!("read error at byte {}", base + scanned as u64),
                    &e,
                )));
                return;
            }
        };
        let step = if got > 0 {
            framer.feed(&buf[scanned..], base + scanned as u64, &mut spans)
        } else {
            framer.finish(base + buf.len() as u64, &mut spans)
        };
        if let Err(e) = step {
            let _ = tx.send(Msg::Fatal(frame_error(e)));
            return;
        }
        for s in spans.drain(..) {
            if s.start < base {
                // The end of a skipped record: only its prefix was kept.
                let prefix = skipping.take().map(|(_, p)| p).unwrap_or_default();
                prefixes.push((inputs.len(), prefix));
                inputs.push(Input {
                    index: s.index,
                    raw: 0..0,
                    complete: false,
                    size: s.end - s.start,
                });
            } else {
                let (start, stop) = ((s.start - base) as usize, (s.end - base) as usize);
                inputs.push(Input {
                    index: s.index,
                    raw: start..stop,
                    complete: true,
                    size: s.end - s.start,
                });
            }
        }
        let framed = base + buf.len() as u64;
        let open = framer.open_record_start();
        if let Some(open) = open
            && framed - open > MAX_RECORD_BYTES as u64
        {
            if skipping.is_none() {
                let from = open.saturating_sub(base) as usize;
                let keep = buf[from..(from + EXCERPT_BYTES).min(buf.len())].to_vec();
                skipping = Some((open, keep));
            }
            // Keep what precedes the open record; drop the record's bytes.
            let cut = (open.saturating_sub(base) as usize).min(buf.len());
            buf.truncate(cut);
            if !inputs.is_empty() && !send(tx, &mut buf, &mut inputs, &mut prefixes, cut, framed) {
                return;
            }
            buf.clear();
            base = framed;
            if got == 0 {
                break;
            }
            continue;
        }
        let full = inputs.len() >= engine.batch_records() || buf.len() >= batch_bytes;
        if (full || got == 0) && !inputs.is_empty() {
            let cut = open.map_or(buf.len(), |o| (o - base) as usize);
            if !send(tx, &mut buf, &mut inputs, &mut prefixes, cut, framed) {
                return;
            }
            base += cut as u64;
        } else if inputs.is_empty() && open.is_none() {
            // Only white space or blank lines so far: nothing to keep.
            base += buf.len() as u64;
            buf.clear();
        }
        if got == 0 {
            break;
        }
    }
}

fn compute<'a>(
    engine: &Engine,
    rx: Receiver<Msg<Batch<'a>>>,
    tx: Sender<Msg<(Batch<'a>, Vec<Chunk>)>>,
    spare: &Receiver<Chunk>,
    fingerprints: &Fingerprinter,
) {
    let opts = engine.record_options();
    for msg in rx {
        let batch = match msg {
            Msg::Batch(b) => b,
            Msg::Fatal(e) => {
                let _ = tx.send(Msg::Fatal(e));
                return;
            }
        };
        let data = batch.data.bytes();
        let chunks: Vec<Chunk> = engine.pool.install(|| {
            batch
                .inputs
                .par_chunks(engine.chunk_records())
                .map(|inputs| {
                    let chunk = spare.try_recv().unwrap_or_default();
                    let mut chunk =
                        WORKER.with(|w| w.borrow_mut().process_into(data, inputs, opts, chunk));
                    reconcile::fingerprint(fingerprints, &mut chunk);
                    chunk
                })
                .collect()
        });
        if tx.send(Msg::Batch((batch, chunks))).is_err() {
            return;
        }
    }
}

fn write(
    engine: &Engine,
    rx: Receiver<Msg<(Batch<'_>, Vec<Chunk>)>>,
    sink: &mut dyn Sink,
    spare: &Sender<Chunk>,
    buffers: &Sender<Vec<u8>>,
) -> Result<Summary, JobError> {
    let mut summary = Summary::default();
    let mut last_report = Instant::now();
    // Reconciling here rather than on the compute thread lets the workers start the next
    // batch while this one is reconciled and written.
    let mut reconciler = Reconciler::new();
    for msg in rx {
        let (batch, mut chunks) = match msg {
            Msg::Batch(b) => b,
            Msg::Fatal(e) => return fail(sink, summary, e),
        };
        let data = batch.data.bytes();
        for chunk in &mut chunks {
            reconciler.chunk(data, chunk);
        }
        for chunk in &chunks {
            for rec in &chunk.recs {
                let record = Record {
                    index: rec.index,
                    op: rec.op,
                    user: chunk.slice(&rec.user),
                    raw_excerpt: rec.excerpt.as_ref().map(|r| chunk.slice(r)),
                    errors: chunk.findings(&rec.errors, &rec.error_list),
                    warnings: chunk.findings(&rec.warnings, &rec.warning_list),
                    keys: Keys::new(&chunk.keys, &rec.keys),
                    matched: rec.matched.as_ref().map(|(id, on)| Matched {
                        user_id: std::str::from_utf8(chunk.slice(id)).unwrap_or_default(),
                        on: *on,
                    }),
                    original: rec.complete.then(|| &data[rec.raw.clone()]),
                    line: chunk.slice(&rec.line),
                };
                let flow = match sink.record(&record) {
                    Ok(flow) => flow,
                    Err(e) => return fail(sink, summary, JobError::sink(&e)),
                };
                summary.count(rec.op, record.errors.codes(), record.warnings.codes());
                if flow == Flow::Stop {
                    summary.status = Status::Stopped;
                    return match sink.finish(&summary) {
                        Ok(()) => Ok(summary),
                        Err(e) => Err(JobError::sink(&e)),
                    };
                }
            }
        }
        for chunk in chunks {
            let _ = spare.try_send(chunk);
        }
        if let Some(progress) = engine.progress()
            && last_report.elapsed() >= Duration::from_millis(100)
        {
            progress(&Progress {
                records: summary.total,
                failed: summary.failed,
                warnings: summary.warnings,
                bytes: batch.framed_bytes,
            });
            last_report = Instant::now();
        }
        batch.recycle(buffers);
    }
    match sink.finish(&summary) {
        Ok(()) => Ok(summary),
        Err(e) => Err(JobError::sink(&e)),
    }
}
