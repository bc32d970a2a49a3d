//! `Log`: everything one pattern has in one process — the pattern (absolute from the moment it
//! is opened), the clock, the history of days (catalog and indexes), the writer thread, the
//! in-process wake-ups and the archiver — owned in one place and closed together.
//!
//! Every `eventlog()` instance of a pattern in a process shares its `Log` (`Log::open` finds
//! it), so their events share writes and flushes and their consumers are woken by each other's
//! writes without the file watcher. The last holder to let go closes it: the writer writes
//! what is queued and its thread is joined, the archiver stops within `archive::STOP_BOUND`.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use crate::append::{AppendOutcome, Lines};
use crate::archive::{ArchiveSnapshot, Archiver, ErrorListener, PassDone};
use crate::clock::Clock;
use crate::day::Day;
use crate::error::{Error, Result};
use crate::filter::TypeFilter;
use crate::history::History;
use crate::metrics::WriteSnapshot;
use crate::pattern::Pattern;
use crate::position::Start;
use crate::remote::{ArchiveConfig, ArchiveOptions};
use crate::stream::{IndexReport, ReadRange, StreamIndex, StreamKey, StreamRead};
use crate::tailer::{Ended, Sink, Tailer};
use crate::wake::Wakes;
use crate::writer::{WriteRequest, Writer};

/// How a log is opened.
#[derive(Debug, Default, Clone)]
pub struct OpenOptions {
    /// This instance appends (the log then has a writer; a read-only log creates nothing on
    /// disk).
    pub writable: bool,
    pub archive: Option<ArchiveOptions>,
    /// The field of an event that names its stream (`stream/`).
    pub stream_key: Option<String>,
}

pub struct Log {
    // Fields drop in this order: the archiver stops before the writer it seals with.
    /// Started by the first open with an archive.
    archiver: OnceLock<Archiver>,
    /// Started by the first writable open.
    writer: OnceLock<Writer>,
    history: Arc<History>,
    wakes: Arc<Wakes>,
    /// How the writer thread asks the archiver for a pass after a rollover (it holds this,
    /// never the log, which it would keep from closing).
    rollover: Arc<OnceLock<Arc<tokio::sync::Notify>>>,
    /// Indexes the days a rollover sealed, on a thread of its own.
    indexer: Arc<Indexer>,
    /// The consumers' threads, waited for at close (those ended are forgotten as others start).
    consumers: Mutex<Vec<Arc<Ended>>>,
}

/// What a log reports about itself (`log.metrics()`): its writing in this process, its
/// archive, and how far behind the end of the log given positions are.
#[derive(Debug)]
pub struct Metrics {
    /// Zero for a read-only log.
    pub write: WriteSnapshot,
    /// `None` for a log without an archive.
    pub archive: Option<ArchiveSnapshot>,
    /// For each position asked about, the lines written after it.
    pub lines_after: Vec<u64>,
}

/// How long a closing log waits for its consumers' threads: each ends within one read (of the
/// archive, at worst) once told to stop.
const CONSUMERS_STOP_BOUND: Duration = Duration::from_secs(10);

impl Drop for Log {
    fn drop(&mut self) {
        // The archiver and the writer stop as their fields drop (in that order); an index
        // being built is given up, and its thread joined.
        self.history.indexes.close();
        if let Some(streams) = self.history.streams.get() {
            streams.close();
        }
        self.indexer.join();
        // Every consumer holds the log until it is stopped, so all of them are stopping now.
        let deadline = std::time::Instant::now() + CONSUMERS_STOP_BOUND;
        let consumers =
            std::mem::take(&mut *self.consumers.lock().unwrap_or_else(|e| e.into_inner()));
        for ended in consumers {
            ended.wait(deadline.saturating_duration_since(std::time::Instant::now()));
        }
    }
}

/// The writer's sealing, for the archiver.
fn sealer(writer: &Writer) -> crate::archive::Sealer {
    let handle = writer.sealer();
    Arc::new(move |today| handle.seal_before(today))
}

/// Indexes the days rollovers sealed, one thread at a time. A rollover while the thread is at
/// work makes it go round once more when it is done, so none is missed.
#[derive(Default)]
struct Indexer {
    state: Mutex<IndexerState>,
}

#[derive(Default)]
struct IndexerState {
    thread: Option<std::thread::JoinHandle<()>>,
    running: bool,
    /// Asked again while running.
    again: bool,
}

impl Indexer {
    fn request(self: &Arc<Self>, history: &Arc<History>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.running {
            state.again = true;
            return;
        }
        let (me, history) = (self.clone(), history.clone());
        let spawned = std::thread::Builder::new()
            .name("eventlog-indexer".into())
            .spawn(move || loop {
                history.index_sealed_days();
                if let Some(streams) = history.streams.get() {
                    let _ = streams.index_sealed(&history);
                }
                let Ok(mut state) = me.state.lock() else {
                    return;
                };
                if !std::mem::take(&mut state.again) {
                    state.running = false;
                    return;
                }
            });
        // Without a thread, the next rollover tries again.
        state.running = spawned.is_ok();
        state.thread = spawned.ok();
    }

    /// Waits for the thread (the log is closing: the indexes have been told to give up).
    fn join(&self) {
        let thread = self.state.lock().ok().and_then(|mut s| s.thread.take());
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The logs open in this process, by pattern.
static OPEN: Mutex<Vec<Weak<Log>>> = Mutex::new(Vec::new());

impl Log {
    /// Opens the log of `pattern` (relative to `cwd`), or joins it if this process has it open.
    pub fn open(pattern: &str, cwd: &Path, options: OpenOptions) -> Result<Arc<Log>> {
        let pattern = Pattern::resolve(pattern, cwd)?;
        let archive = options.archive.map(ArchiveConfig::parse).transpose()?;
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|w| w.strong_count() > 0);
        let found = open
            .iter()
            .filter_map(Weak::upgrade)
            .find(|log| log.history.pattern.as_str() == pattern.as_str());
        let log = match found {
            Some(log) => log,
            None => {
                let log = Arc::new(Log::new(Arc::new(pattern), Clock::system()));
                open.push(Arc::downgrade(&log));
                log
            }
        };
        drop(open);
        if let Some(config) = archive {
            log.attach_archive(config)?;
        }
        if let Some(key) = &options.stream_key {
            log.attach_streams(key)?;
        }
        if options.writable {
            log.start_writer()?;
            if let (Some(streams), Ok(writer)) = (log.history.streams.get(), log.writer()) {
                let handle = writer.sealer();
                let seal = Box::new(move |today| handle.seal_before(today));
                streams.index_in_background(log.history.clone(), seal);
            }
        }
        Ok(log)
    }

    /// A log of its own (not shared through `open`), with its own clock: for tests.
    pub(crate) fn new(pattern: Arc<Pattern>, clock: Clock) -> Log {
        Log {
            history: Arc::new(History::new(pattern, clock)),
            wakes: Arc::new(Wakes::default()),
            writer: OnceLock::new(),
            archiver: OnceLock::new(),
            rollover: Arc::new(OnceLock::new()),
            indexer: Arc::default(),
            consumers: Mutex::default(),
        }
    }

    /// The log's pattern, absolute (the binding keys its instances by it).
    /// Days only in an archive this log cannot read (`History::unreadable_archived_days`).
    pub fn unreadable_archived_days(&self) -> Vec<(String, Vec<Day>)> {
        self.history.unreadable_archived_days()
    }

    /// The log's days, for the scans of the core (`stat`, `verify`) that read its archive.
    pub(crate) fn history(&self) -> &Arc<History> {
        &self.history
    }

    pub fn pattern(&self) -> &Arc<Pattern> {
        &self.history.pattern
    }

    /// Starts the writer thread if there is none yet; also creates the log's directory at
    /// once, as the original package does (a failure surfaces, and is retried, at the first
    /// write).
    pub(crate) fn start_writer(&self) -> Result<()> {
        static STARTING: Mutex<()> = Mutex::new(());
        let _one = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        if self.writer.get().is_some() {
            return Ok(());
        }
        let _ = std::fs::create_dir_all(self.history.pattern.base_path());
        let rollover = self.rollover.clone();
        let (history, indexer) = (self.history.clone(), self.indexer.clone());
        let writer = Writer::spawn(
            self.history.clone(),
            self.wakes.clone(),
            Arc::new(move || {
                if let Some(trigger) = rollover.get() {
                    trigger.notify_one();
                }
                indexer.request(&history);
            }),
        )
        .map_err(|e| Error::write("start writer for", self.history.pattern.given(), e))?;
        self.history.indexes.allow_saving();
        let writer = self.writer.get_or_init(|| writer);
        if let Some(archiver) = self.archiver.get() {
            archiver.set_sealer(sealer(writer));
        }
        Ok(())
    }

    fn attach_archive(&self, config: ArchiveConfig) -> Result<()> {
        static ATTACHING: Mutex<()> = Mutex::new(());
        let _one = ATTACHING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = self.archiver.get() {
            if existing.config().options != config.options {
                return Err(Error::Conflicting(format!(
                    "{} is already open in this process with the archive {}; open it with the same archive options (or none)",
                    self.history.pattern.given(),
                    existing.config().url()
                )));
            }
            return Ok(());
        }
        let archiver = Archiver::start(config, self.history.clone(), self.wakes.clone())?;
        if let Some(writer) = self.writer.get() {
            archiver.set_sealer(sealer(writer));
        }
        let _ = self.rollover.set(archiver.trigger_handle());
        let _ = self.archiver.set(archiver);
        Ok(())
    }

    /// Gives the log its stream index (once: a second key in the same process is refused) and
    /// starts indexing its sealed days in the background.
    fn attach_streams(&self, key: &str) -> Result<()> {
        let key = StreamKey::parse(key)?;
        static ATTACHING: Mutex<()> = Mutex::new(());
        let _one = ATTACHING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = self.history.streams.get() {
            if *existing.key() != key {
                return Err(Error::Conflicting(format!(
                    "{} is already open in this process with streamKey {:?}; open it with the same streamKey (or none)",
                    self.history.pattern.given(),
                    existing.key().as_str()
                )));
            }
            return Ok(());
        }
        let streams = Arc::new(StreamIndex::new(&self.history, key));
        let _ = self.history.streams.set(streams);
        Ok(())
    }

    fn streams(&self) -> Result<&Arc<StreamIndex>> {
        self.history.streams.get().ok_or_else(|| {
            Error::InvalidStreamKey(format!(
                "{} was opened without a streamKey; open it with eventlog({{ filename, streamKey: 'accountId' }}) to use streams",
                self.history.pattern.given()
            ))
        })
    }

    /// Reads the events of the stream `id` in `range` (reads files: not for the JavaScript
    /// thread).
    pub fn read_stream(&self, id: &str, range: ReadRange) -> Result<StreamRead> {
        self.streams()?.read(&self.history, id, range)
    }

    /// How many events the stream `id` holds.
    pub fn stream_version(&self, id: &str) -> Result<u64> {
        self.streams()?.version(&self.history, id)
    }

    /// A consumer's filter for the events of the stream `id`.
    pub fn stream_filter(&self, id: String) -> Result<TypeFilter> {
        Ok(TypeFilter::stream(self.streams()?.key().as_str(), id))
    }

    /// Indexes every sealed day's streams now; a writable log first seals the days before
    /// today (as its archiver does), so that yesterday is indexed too.
    pub fn index_streams(&self) -> Result<IndexReport> {
        let streams = self.streams()?;
        if let Ok(writer) = self.writer() {
            writer.sealer().seal_before(self.history.clock.today())?;
        }
        streams.index_sealed(&self.history)
    }

    pub(crate) fn is_writable(&self) -> bool {
        self.writer.get().is_some()
    }

    fn writer(&self) -> Result<&Writer> {
        self.writer.get().ok_or(Error::ReadOnly("add events"))
    }

    /// Writes at once on this thread if that cannot block (see `Writer::append_now`); this
    /// process's idle consumers then pick the lines up on this thread too.
    pub fn append_now(
        &self,
        day: crate::day::Day,
        lines: Lines<'_>,
    ) -> Result<Option<AppendOutcome>> {
        let outcome = self.writer()?.append_now(day, lines);
        if let Some(o) = outcome.as_ref().filter(|o| o.written > 0) {
            // With the same hint as the writer thread gives them.
            self.wakes.poll_here(o.new_day);
        }
        Ok(outcome)
    }

    /// What the writer's flushes did so far in this process (none for a read-only log).
    pub fn write_metrics(&self) -> WriteSnapshot {
        self.writer.get().map(Writer::metrics).unwrap_or_default()
    }

    /// The log's metrics, with the lag of `positions` (named consumers' checkpoints). Lists
    /// the days, so not for the JavaScript thread.
    pub fn metrics(&self, positions: &[u64]) -> Result<Metrics> {
        Ok(Metrics {
            write: self.write_metrics(),
            archive: self.archiver.get().map(Archiver::snapshot).transpose()?,
            lines_after: self.history.lines_after(positions)?,
        })
    }

    /// Queues lines for the writer thread.
    pub fn submit(&self, request: WriteRequest) -> Result<()> {
        self.writer()?.submit(request)
    }

    /// Starts a consumer from `start` (the beginning, for `None`), of the events `filter`
    /// keeps (all, for `None`).
    pub fn consume(
        &self,
        start: Option<Start>,
        filter: Option<TypeFilter>,
        sink: impl Sink,
    ) -> Result<Tailer> {
        let tailer = Tailer::spawn(self.history.clone(), &self.wakes, start, filter, sink)
            .map_err(|e| Error::read("start consumer for", self.history.pattern.given(), e))?;
        let mut consumers = self.consumers.lock().unwrap_or_else(|e| e.into_inner());
        consumers.retain(|ended| !ended.is_set());
        consumers.push(tailer.ended());
        Ok(tailer)
    }

    /// Tells `listener` why background archive passes fail (`Archiver::listen`); `None` for a
    /// log without an archive.
    pub fn listen_archive_errors(&self, listener: ErrorListener) -> Option<u64> {
        self.archiver.get().map(|a| a.listen(listener))
    }

    pub fn unlisten_archive_errors(&self, id: u64) {
        if let Some(a) = self.archiver.get() {
            a.unlisten(id);
        }
    }

    /// One archive pass now (`Archiver::pass_now`).
    pub fn archive_pass(&self, done: PassDone) {
        match self.archiver.get() {
            Some(a) if self.is_writable() => a.pass_now(done),
            Some(_) => done(Err(Error::ReadOnly("upload days to the archive"))),
            None => done(Err(Error::Archive {
                url: String::new(),
                detail: "this log has no archive; open it with the archive option".into(),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day::Day;
    use std::time::{Duration, Instant};

    #[test]
    fn a_rollover_indexes_the_sealed_day_in_the_background_and_close_joins() {
        let tmp = tempfile::tempdir().unwrap();
        let given = format!("{}/e-%y-%m-%d.log", tmp.path().display());
        let log = Log::new(Arc::new(Pattern::parse(&given).unwrap()), Clock::system());
        log.start_writer().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reply: crate::writer::Reply = Arc::new(move |done| tx.send(done.len()).unwrap());
        for day in [20261120, 20261121] {
            let data = b"{\"event\":1,\"meta\":{\"id\":\"x\"}}\n".repeat(3000);
            log.submit(WriteRequest {
                day: Day::from_number(day, "t").unwrap(),
                data,
                count: 3000,
                expect: Vec::new(),
                durable: false,
                reply: reply.clone(),
            })
            .unwrap();
            rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        let sealed = log
            .history
            .files
            .index(Day::from_number(20261120, "t").unwrap());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sealed.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(sealed.exists(), "the sealed day was indexed");
        let today = log
            .history
            .files
            .index(Day::from_number(20261121, "t").unwrap());
        assert!(!today.exists(), "the open day is not indexed on disk");
        drop(log);
    }

    struct Discard;
    impl Sink for Discard {
        fn deliver(&mut self, _: crate::delivery::Delivery) -> bool {
            true
        }
    }

    #[test]
    fn a_closing_log_waits_for_its_stopped_consumers_to_let_go_of_their_files() {
        let tmp = tempfile::tempdir().unwrap();
        let given = format!("{}/e-%y-%m-%d.log", tmp.path().display());
        let log = Log::new(Arc::new(Pattern::parse(&given).unwrap()), Clock::system());
        let tailers: Vec<Tailer> = (0..3)
            .map(|_| log.consume(None, None, Discard).unwrap())
            .collect();
        let ended: Vec<_> = tailers.iter().map(Tailer::ended).collect();
        for t in &tailers {
            t.stop();
        }
        // The handles stay (as a JavaScript object keeps its consumer until it is collected);
        // closing the log still waits for every thread, which has let go of its files.
        drop(log);
        assert!(ended.iter().all(|e| e.is_set()));
        drop(tailers);
    }
}
