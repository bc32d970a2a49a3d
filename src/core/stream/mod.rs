//! Streams: the events of one aggregate, read without replaying the log, and appended under
//! the stream's expected version.
//!
//! A stream is the events whose field at the stream key (`key.rs`) holds its id; its events
//! are numbered 1, 2, 3… in log order. The stream index, kept in our own files
//! (`.eventlog/<name>.d/streams/<key>/YYYYMMDD.sidx`), says where each stream's events are in
//! a day. It is derived from the data and never trusted over it:
//! - a sealed day's index (`sealed.rs`) names the size of the data it was built from and is
//!   checked by crc32 as it is read; one that does not fit is built again from the day;
//! - a day still being written is indexed in memory (`day_streams.rs`), caught up from the
//!   file (appends of every process) whenever it is asked about, and by this process's writer
//!   with the lines it writes;
//! - a lookup finds a stream by a 64-bit hash of its id; a read checks each line's id, so a
//!   read never returns another stream's event. Two ids with the same hash (about one chance
//!   in 10^9 among 100,000 streams) would share their versions.
//!
//! Sealed days are indexed by a background thread when the log is opened with a stream key,
//! and on demand by a reader or writer that needs a day not indexed yet. A read finds the
//! stream's lines through `line_at.rs`; the archive carries each day's index
//! (`archive/streams.rs`).

mod day_streams;
mod key;
mod line_at;
mod sealed;

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use day_streams::DayStreams;
pub use key::{hash, StreamKey};
use line_at::{point_source, LineAt, Point};
use sealed::{SealedStreams, Store};

use crate::catalog::DayEntry;
use crate::day::Day;
use crate::debug::debug;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::history::History;
use crate::position::encode;
use crate::source::DaySource;

/// One event of a stream, as read.
#[derive(Debug)]
pub struct StreamEvent {
    /// The logfile line, without its newline.
    pub line: String,
    pub pos: u64,
    pub prev_pos: Option<u64>,
    pub version: u64,
}

/// What `read` found.
#[derive(Debug)]
pub struct StreamRead {
    /// The stream's version: how many events it holds.
    pub version: u64,
    pub events: Vec<StreamEvent>,
    /// The last position the read looked at (`None`: the log is empty): a stream's events
    /// after it are newer than `version` says.
    pub through: Option<u64>,
}

/// Which of a stream's events to read.
#[derive(Clone, Copy, Debug)]
pub struct ReadRange {
    /// The first version (1: from the start).
    pub from: u64,
    /// The last version, if any.
    pub to: Option<u64>,
    pub limit: Option<u64>,
    /// Newest first (from `to`, or the stream's end, down to `from`).
    pub backwards: bool,
}

/// What `index_sealed` did.
#[derive(Debug, Default, Clone, Copy)]
pub struct IndexReport {
    /// Sealed days with an index now.
    pub days: u64,
    /// Events in streams on those days.
    pub events: u64,
    /// Days indexed by this call (the others were indexed already).
    pub built: u64,
    pub millis: u64,
}

/// How a log's writer seals the days before a given day (`Appender::seal_before`).
pub type Sealer = Box<dyn FnOnce(Day) -> Result<Day> + Send>;

/// Streams whose counts before the writer's day are remembered, at most (then it starts over).
const TOTALS_MAX: usize = 1 << 20;

/// The stream index of one log for one key.
pub struct StreamIndex {
    key: StreamKey,
    dir: PathBuf,
    sealed: Mutex<HashMap<Day, Arc<SealedStreams>>>,
    open: Mutex<HashMap<Day, DayStreams>>,
    /// The writer's cache: per stream, its events on the sealed days before `.0`.
    totals: Mutex<(Option<Day>, HashMap<u64, u64>)>,
    /// Sealed days' logfiles kept open for reading their lines, with their size (Unix only:
    /// there a file deleted while open stays readable; on Windows an open file could not be
    /// pruned).
    data: Mutex<HashMap<Day, (u64, Arc<File>)>>,
    /// Held while a day is being indexed, so that two threads do not build the same day.
    building: Mutex<()>,
    stop: AtomicBool,
    /// Indexes are saved in our files (a writable log); a read-only log creates nothing on
    /// disk, and keeps what it builds in memory.
    save: AtomicBool,
    background: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A day's part of a stream.
struct Part {
    entry: DayEntry,
    /// For a sealed day, the size of its data (checked against it by this read).
    sealed_size: Option<u64>,
    /// Lines of the day looked at.
    lines: u64,
    entries: Vec<day_streams::Entry>,
    count: u64,
}

impl StreamIndex {
    pub fn new(history: &History, key: StreamKey) -> StreamIndex {
        StreamIndex {
            dir: history.files.streams_dir(&key.dir_name()),
            key,
            sealed: Mutex::default(),
            open: Mutex::default(),
            data: Mutex::default(),
            totals: Mutex::default(),
            building: Mutex::default(),
            stop: AtomicBool::new(false),
            save: AtomicBool::new(false),
            background: Mutex::default(),
        }
    }

    pub fn key(&self) -> &StreamKey {
        &self.key
    }

    /// Lets this index save what it builds (the log is writable), and index the sealed days
    /// on a thread of its own (once).
    /// `seal`: how the log's writer seals the days before today (so that yesterday, the
    /// newest logfile until something is written today, is indexed too).
    pub fn index_in_background(self: &Arc<Self>, history: Arc<History>, seal: Sealer) {
        if self.save.swap(true, Ordering::Relaxed) {
            return;
        }
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("eventlog-streams".into())
            .spawn(move || {
                match seal(history.clock.today()).and_then(|_| me.index_sealed(&history)) {
                    Ok(r) => debug!(
                        "streams",
                        "indexed {} days ({} built, {} events) in {} ms",
                        r.days,
                        r.built,
                        r.events,
                        r.millis
                    ),
                    Err(e) => debug!("streams", "indexing stopped: {e}"),
                }
            });
        if let (Ok(thread), Ok(mut slot)) = (spawned, self.background.lock()) {
            *slot = Some(thread);
        }
    }

    /// Stops the background indexing and waits for its thread (the log is closing).
    pub fn close(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.background.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }

    /// Makes sure every sealed day has an index (building those that have none, or a stale
    /// or damaged one).
    pub fn index_sealed(&self, history: &History) -> Result<IndexReport> {
        let started = Instant::now();
        let days = refresh(history)?;
        let sealed = sealed_rule(history);
        let mut report = IndexReport::default();
        for entry in days.iter().filter(|e| sealed(e.day)) {
            let (ix, built) = self.sealed_of(history, entry)?;
            report.days += 1;
            report.events += ix.events;
            report.built += u64::from(built);
        }
        report.millis = started.elapsed().as_millis() as u64;
        Ok(report)
    }

    /// The index of a sealed day, checked against the day's data (its size), built if need be;
    /// and whether it was built by this call.
    fn sealed_of(&self, history: &History, entry: &DayEntry) -> Result<(Arc<SealedStreams>, bool)> {
        let size = day_size(history, entry)?;
        if let Some(ix) = self.cached(entry.day, size) {
            return Ok((ix, false));
        }
        let path = self.dir.join(format!("{:08}.sidx", entry.day.number()));
        let on_disk = || -> Option<SealedStreams> {
            let file = File::open(&path).ok()?;
            let ix = SealedStreams::open(Store::File(file), self.key.as_str());
            match ix {
                Ok(ix) if ix.file_size == size => Some(ix),
                Ok(_) => None,
                Err(e) => {
                    debug!("streams", "{} is not used: {e}", path.display());
                    None
                }
            }
        };
        if let Some(ix) = on_disk() {
            return Ok((self.remember(entry.day, ix), false));
        }
        if let Some(ix) = self.in_archive(history, entry, size) {
            return Ok((self.remember(entry.day, ix), false));
        }
        let _one = self.building.lock().unwrap_or_else(|e| e.into_inner());
        // Another thread may have built it while we waited.
        if let Some(ix) = on_disk() {
            return Ok((self.remember(entry.day, ix), false));
        }
        Ok((self.build(history, entry)?, true))
    }

    /// Builds the index of a sealed day from its data, saves it (a writable log) and
    /// remembers it. The caller holds `building`.
    fn build(&self, history: &History, entry: &DayEntry) -> Result<Arc<SealedStreams>> {
        let path = self.dir.join(format!("{:08}.sidx", entry.day.number()));
        let name = history.name_of(entry.day);
        let mut source = history
            .open(entry)
            .map_err(|e| Error::read("open", &name, e))?;
        let size = source.size().map_err(|e| Error::read("stat", &name, e))?;
        let mut day = DayStreams::default();
        day.catch_up(&mut source, &self.key, &self.stop)
            .map_err(|e| match e.kind() {
                io::ErrorKind::Interrupted => Error::Stopped,
                _ => Error::read("read", &name, e),
            })?;
        let bytes = sealed::encode(&day, self.key.as_str(), size);
        let store = if self.save.load(Ordering::Relaxed) {
            let saved =
                std::fs::create_dir_all(&self.dir).and_then(|()| write_atomically(&path, &bytes));
            match saved.and_then(|()| File::open(&path)) {
                Ok(file) => Store::File(file),
                Err(e) => {
                    debug!("streams", "could not save {}: {e}", path.display());
                    Store::Memory(bytes)
                }
            }
        } else {
            Store::Memory(bytes)
        };
        let ix = SealedStreams::open(store, self.key.as_str())
            .map_err(|e| Error::read("read", &path, e))?;
        debug!("streams", "indexed {name}: {} events in streams", ix.events);
        Ok(self.remember(entry.day, ix))
    }

    /// How to read the lines of a day's part: a sealed local day's logfile is kept open
    /// between reads (on Unix), anything else is opened for this read.
    fn point_for(&self, history: &History, part: &Part) -> Result<Point> {
        let day = part.entry.day;
        let Some(size) = part.sealed_size.filter(|_| cfg!(unix)) else {
            return point_source(history, &part.entry);
        };
        if part.entry.local.is_none() {
            // Deleted here (pruned after its upload): let go of it, so its space is freed.
            if let Ok(mut data) = self.data.lock() {
                data.remove(&day);
            }
            return point_source(history, &part.entry);
        }
        let kept = self.data.lock().ok().and_then(|d| d.get(&day).cloned());
        if let Some((_, file)) = kept.filter(|(s, _)| *s == size) {
            return Ok(Point::Shared(file));
        }
        match point_source(history, &part.entry)? {
            Point::Day(DaySource::Local(file)) => {
                let file = Arc::new(file);
                if let Ok(mut data) = self.data.lock() {
                    data.insert(day, (size, file.clone()));
                }
                Ok(Point::Shared(file))
            }
            other => Ok(other),
        }
    }

    /// The index uploaded with a day that is only in the archive, read there in ranges; `None`
    /// if there is none that fits the day (then it is built from the day's bytes).
    fn in_archive(&self, history: &History, entry: &DayEntry, size: u64) -> Option<SealedStreams> {
        let archived = entry.archived.as_ref()?;
        if entry
            .local
            .as_ref()
            .is_some_and(|p| std::path::Path::new(p).exists())
        {
            return None;
        }
        let remote = history.remote()?.clone();
        let key = remote
            .config
            .stream_index_key(&archived.key, &self.key.dir_name());
        let found = remote.size_of(&key).and_then(|object| {
            let store = Store::Archive {
                remote: remote.clone(),
                key: key.clone(),
                size: object,
            };
            SealedStreams::open(store, self.key.as_str())
        });
        match found {
            Ok(ix) if ix.file_size == size => Some(ix),
            Ok(_) => None,
            Err(e) => {
                debug!("streams", "no stream index at {key}: {e}");
                None
            }
        }
    }

    /// The saved index of a sealed day, for the archive (built if need be), unless it was
    /// uploaded already.
    pub(crate) fn for_archive(&self, history: &History, day: Day) -> Option<Vec<u8>> {
        if self.uploaded_marker(day).exists() || !self.save.load(Ordering::Relaxed) {
            return None;
        }
        let entry = history.catalog.entry(day)?;
        self.sealed_of(history, &entry).ok()?;
        std::fs::read(self.dir.join(format!("{:08}.sidx", day.number()))).ok()
    }

    /// Notes that the index of `day` is in the archive.
    pub(crate) fn mark_uploaded(&self, day: Day) {
        let _ = std::fs::write(self.uploaded_marker(day), b"");
    }

    fn uploaded_marker(&self, day: Day) -> PathBuf {
        self.dir.join(format!("{:08}.sidx.archived", day.number()))
    }

    fn cached(&self, day: Day, size: u64) -> Option<Arc<SealedStreams>> {
        let sealed = self.sealed.lock().ok()?;
        sealed.get(&day).filter(|ix| ix.file_size == size).cloned()
    }

    fn remember(&self, day: Day, ix: SealedStreams) -> Arc<SealedStreams> {
        let ix = Arc::new(ix);
        if let Ok(mut sealed) = self.sealed.lock() {
            sealed.insert(day, ix.clone());
        }
        // A day sealed now is no longer kept in memory.
        if let Ok(mut open) = self.open.lock() {
            open.remove(&day);
        }
        ix
    }

    /// A sealed day's part of the stream `h`; a damaged index is built again once.
    fn sealed_part(
        &self,
        history: &History,
        entry: &DayEntry,
        h: u64,
        entries: bool,
    ) -> Result<Part> {
        for attempt in 0..2 {
            let (ix, _) = self.sealed_of(history, entry)?;
            let found = ix.stream(h).map(|list| match list {
                Some(list) if entries => (list.len() as u64, list.as_ref().clone()),
                Some(list) => (list.len() as u64, Vec::new()),
                None => (0, Vec::new()),
            });
            match found {
                Ok((count, list)) => {
                    return Ok(Part {
                        entry: entry.clone(),
                        sealed_size: Some(ix.file_size),
                        lines: ix.lines,
                        entries: list,
                        count,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData && attempt == 0 => {
                    debug!(
                        "streams",
                        "the index of {} is damaged ({e}); building it again", entry.day
                    );
                    // Its file is let go of first (Windows replaces no file that is open).
                    drop(ix);
                    if let Ok(mut sealed) = self.sealed.lock() {
                        sealed.remove(&entry.day);
                    }
                    let _one = self.building.lock().unwrap_or_else(|e| e.into_inner());
                    self.build(history, entry)?;
                }
                Err(e) => {
                    return Err(Error::read(
                        "read the stream index of",
                        history.name_of(entry.day),
                        e,
                    ))
                }
            }
        }
        Err(Error::Stopped)
    }

    /// A day still being written: its part of the stream `h`, caught up with its file.
    fn open_part(
        &self,
        history: &History,
        entry: &DayEntry,
        h: u64,
        entries: bool,
    ) -> Result<Part> {
        let name = history.name_of(entry.day);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let day = open.entry(entry.day).or_default();
        match history.open(entry) {
            Ok(mut source) => day
                .catch_up(&mut source, &self.key, &self.stop)
                .map_err(|e| Error::read("read", &name, e))?,
            // Listed, then gone (pruned, or a test's directory removed): nothing more to read.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::read("open", &name, e)),
        }
        let list = match day.groups.get(&h) {
            Some(g) if entries => g.clone(),
            _ => Vec::new(),
        };
        Ok(Part {
            entry: entry.clone(),
            sealed_size: None,
            lines: day.lines,
            entries: list,
            count: day.count(h),
        })
    }

    /// Every day's part of the stream `h`.
    fn parts(&self, history: &History, h: u64, entries: bool) -> Result<Vec<Part>> {
        let days = refresh(history)?;
        let sealed = sealed_rule(history);
        days.iter()
            .map(|e| {
                if sealed(e.day) {
                    self.sealed_part(history, e, h, entries)
                } else {
                    self.open_part(history, e, h, entries)
                }
            })
            .collect()
    }

    /// How many events the stream `id` holds.
    pub fn version(&self, history: &History, id: &str) -> Result<u64> {
        Ok(self
            .parts(history, hash(id), false)?
            .iter()
            .map(|p| p.count)
            .sum())
    }

    /// Reads the events of the stream `id` in `range`.
    pub fn read(&self, history: &History, id: &str, range: ReadRange) -> Result<StreamRead> {
        let parts = self.parts(history, hash(id), true)?;
        let version: u64 = parts.iter().map(|p| p.count).sum();
        let through = parts
            .iter()
            .rev()
            .find(|p| p.lines > 0)
            .map(|p| encode(p.entry.day, p.lines - 1));
        let to = range.to.map_or(version, |t| t.min(version));
        let from = range.from.max(1);
        let mut wanted: Vec<(usize, u64, day_streams::Entry)> = Vec::new();
        let mut v = 0;
        for (i, part) in parts.iter().enumerate() {
            for e in &part.entries {
                v += 1;
                if v >= from && v <= to {
                    wanted.push((i, v, *e));
                }
            }
        }
        if range.backwards {
            wanted.reverse();
        }
        if let Some(limit) = range.limit {
            wanted.truncate(limit as usize);
        }
        let mut events = Vec::with_capacity(wanted.len());
        let mut reader: Option<(usize, LineAt)> = None;
        for (i, version, (line, offset)) in wanted {
            let part = &parts[i];
            if reader.as_ref().is_none_or(|(at, _)| *at != i) {
                reader = Some((i, LineAt::new(self.point_for(history, part)?)));
            }
            let Some((_, lines)) = reader.as_mut() else {
                continue;
            };
            let name = || history.name_of(part.entry.day);
            let text = lines
                .line(offset)
                .map_err(|e| Error::read("read", name(), e))?;
            // The line must be where the index says and belong to the stream; anything else
            // (another id with the same hash) is not this stream's.
            let Some(text) =
                text.filter(|t| self.key.stream_of_line(t.as_bytes()).as_deref() == Some(id))
            else {
                debug!("streams", "{} line {line}: not an event of {id:?}", name());
                continue;
            };
            let pos = encode(part.entry.day, u64::from(line));
            let prev_pos = if line > 0 {
                Some(pos - 1)
            } else {
                history.last_position_before(part.entry.day, None)?
            };
            events.push(StreamEvent {
                line: text,
                pos,
                prev_pos,
                version,
            });
        }
        Ok(StreamRead {
            version,
            events,
            through,
        })
    }

    /// The writer's counts of the streams `hashes` on the days before `day` (every earlier day
    /// is sealed: the writer is on `day`), remembered for the next batches. `None` if that
    /// needs reading and `direct` says not to.
    pub(crate) fn counts_before(
        &self,
        history: &History,
        day: Day,
        hashes: &[u64],
        direct: bool,
    ) -> Result<Option<HashMap<u64, u64>>> {
        let mut out = HashMap::with_capacity(hashes.len());
        let mut missing = Vec::new();
        {
            let mut totals = self.totals.lock().unwrap_or_else(|e| e.into_inner());
            if totals.0 != Some(day) || totals.1.len() > TOTALS_MAX {
                *totals = (Some(day), HashMap::new());
            }
            for &h in hashes {
                match totals.1.get(&h) {
                    Some(n) => {
                        out.insert(h, *n);
                    }
                    None => missing.push(h),
                }
            }
        }
        if missing.is_empty() {
            return Ok(Some(out));
        }
        let earlier: Vec<DayEntry> = history
            .catalog
            .days(None)
            .into_iter()
            .filter(|e| e.day < day)
            .collect();
        // With no earlier day there is nothing to read: a new log's streams start at 0.
        if direct && !earlier.is_empty() {
            return Ok(None);
        }
        let mut counted: HashMap<u64, u64> = missing.iter().map(|&h| (h, 0)).collect();
        for entry in &earlier {
            for (h, n) in counted.iter_mut() {
                *n += self.sealed_part(history, entry, *h, false)?.count;
            }
        }
        let mut totals = self.totals.lock().unwrap_or_else(|e| e.into_inner());
        if totals.0 == Some(day) {
            totals.1.extend(counted.iter().map(|(h, n)| (*h, *n)));
        }
        out.extend(counted);
        Ok(Some(out))
    }

    /// The writer's day, caught up to `len` bytes of `file` (held under the writers' lock, so
    /// nothing is appended meanwhile), then `f` with it. `None` if that needs reading and
    /// `direct` says not to.
    pub(crate) fn with_writers_day<T>(
        &self,
        day: Day,
        file: &File,
        len: u64,
        direct: bool,
        f: impl FnOnce(&mut DayStreams) -> T,
    ) -> Result<Option<T>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let ds = open.entry(day).or_default();
        if ds.bytes != len {
            if direct {
                return Ok(None);
            }
            let clone = file
                .try_clone()
                .map_err(|e| Error::read("reopen", day.to_string(), e))?;
            ds.catch_up(&mut DaySource::Local(clone), &self.key, &self.stop)
                .map_err(|e| Error::read("read", day.to_string(), e))?;
        }
        Ok(Some(f(ds)))
    }

    /// Files lines this process's writer appended to `day` at `offset`.
    pub(crate) fn record(&self, day: Day, offset: u64, data: &[u8], hashes: &[Option<u64>]) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ds) = open.get_mut(&day) {
            ds.record(offset, data, hashes);
        }
    }
}

/// Which days no writer can append to any more: those the log's history says are sealed (a
/// later day has a logfile, or the day is archived), and those before the newest day a writer
/// has recorded in the writers' lock file (a writer that opened today, or sealed the days
/// before it, though nothing is written today yet).
fn sealed_rule(history: &History) -> impl Fn(Day) -> bool + '_ {
    let head = crate::lock::recorded_head(&history.files);
    move |day| history.is_sealed(day) || head.is_some_and(|h| h > day)
}

/// The log's days: listed here, and (the first time) in its archive.
fn refresh(history: &History) -> Result<Vec<DayEntry>> {
    if let Some(remote) = history.remote() {
        remote
            .ensure_listed(&history.catalog)
            .map_err(|e| crate::remote::failure::classify(&remote.config, &e))?;
    }
    history
        .catalog
        .refresh(None)
        .map_err(|e| Error::read("list", history.pattern.base_path(), e))
}

/// The size of a day's data: its local file, or its archived object.
fn day_size(history: &History, entry: &DayEntry) -> Result<u64> {
    if let Some(path) = &entry.local {
        match std::fs::metadata(path) {
            Ok(m) => return Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound && entry.archived.is_some() => {}
            Err(e) => return Err(Error::read("stat", path, e)),
        }
    }
    match &entry.archived {
        Some(a) => Ok(a.size),
        None => Err(Error::read(
            "stat",
            history.name_of(entry.day),
            io::ErrorKind::NotFound.into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::append::{Actual, Appender, Expectation, Expected, Lines};
    use crate::clock::Clock;
    use crate::pattern::Pattern;

    fn setup() -> (tempfile::TempDir, Arc<History>, Arc<StreamIndex>) {
        let tmp = tempfile::tempdir().unwrap();
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap();
        let history = Arc::new(History::new(Arc::new(p), Clock::system()));
        let streams = Arc::new(StreamIndex::new(&history, StreamKey::parse("acc").unwrap()));
        streams.save.store(true, Ordering::Relaxed);
        let _ = history.streams.set(streams.clone());
        (tmp, history, streams)
    }

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    fn batch(events: &[&str]) -> Vec<u8> {
        events
            .iter()
            .enumerate()
            .map(|(i, e)| format!("{{\"event\":{e},\"meta\":{{\"id\":\"i{i}\"}}}}\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn all(range_from: u64) -> ReadRange {
        ReadRange {
            from: range_from,
            to: None,
            limit: None,
            backwards: false,
        }
    }

    fn summary(r: &StreamRead) -> Vec<(u64, u64, Option<u64>)> {
        r.events
            .iter()
            .map(|e| (e.version, e.pos, e.prev_pos))
            .collect()
    }

    #[test]
    fn versions_reads_and_expectations_across_days_and_writers() {
        let (tmp, history, streams) = setup();
        let mut a = Appender::new(history.clone());
        let first = batch(&[
            r#"{"acc":"a","n":1}"#,
            r#"{"acc":"b"}"#,
            r#"{"acc":"a","n":2}"#,
            r#"{"n":0}"#,
            r#"{"acc":7}"#,
        ]);
        let o = a.append(day(20261201), Lines::new(&first, 5), false);
        assert_eq!(o.versions, vec![1, 1, 2, 0, 1]);
        let o = a.append(
            day(20261202),
            Lines::new(&batch(&[r#"{"acc":"a"}"#, r#"{"acc":"7"}"#]), 2),
            false,
        );
        assert_eq!(
            (o.first_pos, o.versions.clone()),
            (2026120200000000, vec![3, 2])
        );
        // Another process appends to the stream; the first writer's check sees it.
        let mut b = Appender::new(history.clone());
        let o = b.append(
            day(20261202),
            Lines::new(&batch(&[r#"{"acc":"a"}"#]), 1),
            false,
        );
        assert_eq!(o.versions, vec![4]);
        let expect = [Expectation {
            index: 0,
            expected: Expected::Version(3),
        }];
        let data = batch(&[r#"{"acc":"a","stale":true}"#]);
        let lines = Lines {
            data: &data,
            count: 1,
            expect: &expect,
        };
        let o = a.append(day(20261202), lines, false);
        assert_eq!(o.written, 0);
        let actual = Actual::Version {
            stream: Some("a".into()),
            version: 4,
        };
        assert_eq!(o.rejected[0].actual, actual);
        let expect = [Expectation {
            index: 0,
            expected: Expected::Version(4),
        }];
        let lines = Lines {
            data: &data,
            count: 1,
            expect: &expect,
        };
        assert_eq!(a.append(day(20261202), lines, false).versions, vec![5]);

        let read = streams.read(&history, "a", all(1)).unwrap();
        assert_eq!(read.version, 5);
        assert_eq!(
            summary(&read),
            vec![
                (1, 2026120100000000, None),
                (2, 2026120100000002, Some(2026120100000001)),
                (3, 2026120200000000, Some(2026120100000004)),
                (4, 2026120200000002, Some(2026120200000001)),
                (5, 2026120200000003, Some(2026120200000002)),
            ]
        );
        assert!(read.events[4].line.contains("\"stale\":true"));
        assert_eq!(read.through, Some(2026120200000003));
        let back = ReadRange {
            from: 2,
            to: Some(4),
            limit: Some(2),
            backwards: true,
        };
        let r = streams.read(&history, "a", back).unwrap();
        assert_eq!(
            r.events.iter().map(|e| e.version).collect::<Vec<_>>(),
            vec![4, 3]
        );
        assert_eq!(streams.version(&history, "7").unwrap(), 2);
        assert_eq!(streams.version(&history, "none").unwrap(), 0);
        assert!(streams
            .read(&history, "none", all(1))
            .unwrap()
            .events
            .is_empty());

        // The sealed day has an index file; damaged or deleted, the results are the same.
        let report = streams.index_sealed(&history).unwrap();
        assert_eq!((report.days, report.events), (1, 4));
        let sidx = history.files.streams_dir("acc").join("20261201.sidx");
        assert!(sidx.starts_with(tmp.path()));
        let good = std::fs::read(&sidx).unwrap();
        let expected: Vec<_> = ["a", "b", "7"]
            .iter()
            .map(|id| summary(&streams.read(&history, id, all(1)).unwrap()))
            .collect();
        // Let go of every open index first: on Windows no file that is open elsewhere can be
        // replaced (a reader then keeps the index it built in memory, and results stay the
        // same, but the file is rebuilt only once nobody holds it).
        let pattern = history.pattern.clone();
        drop((a, b, streams, history));
        let history = Arc::new(History::new(pattern, Clock::system()));
        for damage in 0..3 {
            let fresh = Arc::new(StreamIndex::new(&history, StreamKey::parse("acc").unwrap()));
            fresh.save.store(true, Ordering::Relaxed);
            match damage {
                0 => {
                    let mut bad = good.clone();
                    let at = bad.len() - 3;
                    bad[at] ^= 0x40;
                    std::fs::write(&sidx, bad).unwrap();
                }
                1 => std::fs::write(&sidx, &good[..good.len() / 2]).unwrap(),
                _ => std::fs::remove_file(&sidx).unwrap(),
            }
            let again: Vec<_> = ["a", "b", "7"]
                .iter()
                .map(|id| summary(&fresh.read(&history, id, all(1)).unwrap()))
                .collect();
            assert_eq!(again, expected, "damage {damage}");
            assert_eq!(std::fs::read(&sidx).unwrap(), good, "rebuilt the same");
        }
    }
}
