//! Appending a batch of lines to the log, under the writers' lock.
//!
//! One `append` is one locked section: read the head day, pick the target day (never older
//! than the newest logfile), count what other processes appended since we last looked (only
//! the new bytes), repair a torn tail a dead writer left, write the whole batch with one
//! `write`, release. Positions come from the line count at that moment, so every process's
//! positions agree with what readers count.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::day::Day;
use crate::debug::debug;
use crate::error::{Error, Result};
use crate::files::OwnFiles;
use crate::flush::{Flush, FlushRecord};
use crate::history::{History, KnownDay};
use crate::lock::{LockGuard, WriterLock};
use crate::metrics::WriteMetrics;
use crate::position::{encode, PER_DAY};
use crate::stream::StreamIndex;
use crate::sys::{self, FileExt};

/// Lines to append: `count` lines in `data`, each ending in `\n`, some of them perhaps only if
/// they would directly follow a given position (`expect`, by line index, in order).
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    pub data: &'a [u8],
    pub count: u64,
    pub expect: &'a [Expectation],
}

impl<'a> Lines<'a> {
    /// Lines with no expectations (the tests' batches; the binding builds its own).
    #[cfg(test)]
    pub(crate) fn new(data: &'a [u8], count: u64) -> Lines<'a> {
        Lines {
            data,
            count,
            expect: &[],
        }
    }
}

/// Line `index` of a batch is appended only if what it expects holds: optimistic concurrency,
/// decided under the writers' lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub index: u32,
    pub expected: Expected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// The line before it would be this position (`None`: only into an empty log).
    Prev(Option<u64>),
    /// Its stream holds exactly this many events.
    Version(u64),
}

/// A line not appended because its expectation did not hold, and what held instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub index: u32,
    pub actual: Actual,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actual {
    /// The position it would have followed.
    Prev(Option<u64>),
    /// Its stream (`None`: the line names none) and the events that stream holds.
    Version {
        stream: Option<String>,
        version: u64,
    },
}

/// What an `append` achieved: of the lines not `rejected`, the first `written` are in the log
/// (at `first_pos` onwards, one after another); if `error` is set, the rest are not, and no
/// part of them is visible.
#[derive(Debug)]
pub struct AppendOutcome {
    pub written: u64,
    /// Position of the first written line.
    pub first_pos: u64,
    /// Position of the line before it (`None` for the first line ever).
    pub prev_pos: Option<u64>,
    /// The batch went to a logfile this writer had not written to before (perhaps one it
    /// created): consumers should look for a new day.
    pub new_day: bool,
    /// Lines whose expectation did not hold (none of them is written), by index in the batch.
    pub rejected: Vec<Rejected>,
    /// With a stream index: the version of each written line in its stream (0: in none).
    pub versions: Vec<u64>,
    pub error: Option<Error>,
}

impl AppendOutcome {
    fn failed(error: Error) -> Self {
        AppendOutcome {
            written: 0,
            first_pos: 0,
            prev_pos: None,
            new_day: false,
            rejected: Vec::new(),
            versions: Vec::new(),
            error: Some(error),
        }
    }
}

/// The logfile a writer has open.
struct OpenDay {
    day: Day,
    path: String,
    file: File,
    /// Bytes of the file that we have counted lines in (always ends at a line end).
    len: u64,
    /// Lines in those bytes.
    lines: u64,
    /// Position of the last line before this day (the previous non-empty day's last).
    prev_last: Option<u64>,
}

/// Appends batches of lines to one pattern's logfiles. Cheap to create: files are opened on
/// the first append and reopened after failures, so a log whose directory is missing or
/// broken recovers once the cause is gone.
pub struct Appender {
    history: Arc<History>,
    lock: Option<WriterLock>,
    current: Option<OpenDay>,
    /// Durable lines were written since the last `sync`.
    unsynced: bool,
    /// How far each day is flushed, shared by every writing process (opened at the first sync).
    flush_record: Option<FlushRecord>,
    /// What this process's writing did (shared with whoever reads the log's metrics).
    metrics: Arc<WriteMetrics>,
    /// Most lines in one day's logfile (`PER_DAY`; smaller in tests).
    per_day: u64,
    /// When we took the writers' lock that we still hold after a direct write (a lease).
    lease: Option<Instant>,
}

/// How long a direct writer keeps the writers' lock after taking it: adds that follow one
/// another on the JavaScript thread then cost one `write` each instead of five system calls,
/// and no other process waits longer than this for it (the writer thread ends expired
/// leases).
pub const LEASE: Duration = Duration::from_millis(2);

/// The most lines of a log with streams written directly on the JavaScript thread.
const DIRECT_STREAM_LINES: u64 = 64;

/// How a locked section may take the writers' lock.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Wait for it (the writer thread).
    Wait,
    /// Only if it is free, and keep it for a lease (a direct write on the JavaScript thread,
    /// which must not block on other processes).
    Direct,
}

impl Appender {
    pub fn new(history: Arc<History>) -> Appender {
        Appender {
            history,
            lock: None,
            current: None,
            unsynced: false,
            flush_record: None,
            metrics: Arc::default(),
            per_day: PER_DAY,
            lease: None,
        }
    }

    fn files(&self) -> &OwnFiles {
        &self.history.files
    }

    /// Whether durable lines wait for a `sync`.
    pub fn needs_sync(&self) -> bool {
        self.unsynced
    }

    /// Flushes what was appended to stable storage (`fdatasync`), and the directory entry of a
    /// logfile opened since the last sync, so a new day's file survives a power loss too.
    ///
    /// Shared with every writing process through the flush record (`flush.rs`): when another
    /// process's flush already covered our lines, there is nothing to do.
    pub fn sync(&mut self) -> Result<Option<Flush>> {
        let Some(cur) = self.current.as_ref() else {
            return Ok(None);
        };
        let record = match &mut self.flush_record {
            Some(record) => record,
            empty => empty.insert(FlushRecord::open(&self.history.files.flushed())?),
        };
        let size = || {
            cur.file
                .metadata()
                .map(|m| m.len())
                .map_err(|e| Error::read("stat", &cur.path, e))
        };
        let mut took = None;
        let flush_file = || {
            let start = Instant::now();
            let done = cur
                .file
                .sync_data()
                .map_err(|e| Error::write("flush (fdatasync)", &cur.path, e));
            took = Some(start.elapsed());
            done
        };
        let flush_dir = || {
            let dir = Path::new(&cur.path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            sys::sync_dir(dir).map_err(|e| Error::write("flush directory", dir, e))
        };
        let flush = record.flush_through(cur.day, cur.len, size, flush_file, flush_dir)?;
        self.metrics.flushed(flush, took);
        if flush == Flush::Covered {
            debug!(
                "writer",
                "{} is flushed already, by another writer", cur.path
            );
        }
        self.unsynced = false;
        Ok(Some(flush))
    }

    /// The counters this writer's appends and flushes update.
    pub fn metrics(&self) -> &Arc<WriteMetrics> {
        &self.metrics
    }

    /// Appends `count` lines (`data`, each ending in `\n`) for `day`, or for the newest day
    /// that has a logfile if that is later. `durable`: they will be flushed with the next
    /// `sync` (and before this writer moves to another day).
    pub fn append(&mut self, day: Day, lines: Lines<'_>, durable: bool) -> AppendOutcome {
        let ids = self.stream_ids(day, lines);
        self.locked(Mode::Wait, |a, guard, fresh| {
            a.append_locked(guard, day, lines, fresh, durable, true, ids.as_deref())
        })
        .flatten()
        .unwrap_or_else(|| AppendOutcome::failed(Error::Stopped))
    }

    /// Like `append`, but returns `None` at once, writing nothing, if that could block: another
    /// process holds the writers' lock, or the write would open a logfile (which lists the
    /// days and may count lines). Keeps the lock for up to `LEASE` after taking it, for the
    /// next direct write; `end_lease_if_expired` gives it back.
    pub fn try_append(&mut self, day: Day, lines: Lines<'_>) -> Option<AppendOutcome> {
        if self.current.as_ref().is_none_or(|c| c.day < day) {
            return None;
        }
        // A large batch of a log with streams has every line read for its stream: on the
        // writer thread, that runs beside the JavaScript thread instead of on it.
        if lines.count > DIRECT_STREAM_LINES && self.history.streams.get().is_some() {
            return None;
        }
        self.locked(Mode::Direct, |a, guard, fresh| {
            a.append_locked(guard, day, lines, fresh, false, false, None)
        })
        .flatten()
    }

    /// With a stream index, the stream of each line (id and hash), read before the writers'
    /// lock is taken; and each stream's events on the sealed days counted then too (the first
    /// time, that may index those days), so that other processes do not wait for it.
    fn stream_ids(&self, day: Day, lines: Lines<'_>) -> Option<Vec<StreamOf>> {
        let streams = self.history.streams.get()?;
        if self.current.is_none() {
            let _ = self.history.catalog.refresh(None);
        }
        let newest = self.history.catalog.newest_local();
        let target = newest.map_or(day, |n| n.max(day));
        let ids: Vec<StreamOf> = lines
            .data
            .split_inclusive(|&b| b == b'\n')
            .map(|line| {
                let id = streams
                    .key()
                    .stream_of_line(line.strip_suffix(b"\n").unwrap_or(line))?;
                let h = crate::stream::hash(&id);
                Some((id, h))
            })
            .collect();
        let mut hashes: Vec<u64> = ids.iter().flatten().map(|(_, h)| *h).collect();
        hashes.sort_unstable();
        hashes.dedup();
        // Under the lock this is then a lookup (or, if the day moved meanwhile, counted there).
        let _ = streams.counts_before(&self.history, target, &hashes, false);
        Some(ids)
    }

    /// Records, under the writers' lock, that `today` has begun if no writer has moved there
    /// yet, so that every earlier day is sealed even when nobody writes after midnight (a
    /// writer whose clock is behind then appends to `today` too). Returns the newest day after
    /// that: every day before it is sealed.
    pub fn seal_before(&mut self, today: Day) -> Result<Day> {
        self.locked(Mode::Wait, |a, guard, _| -> Result<Day> {
            let (head, newer) = a.choose_day(guard, today)?;
            if head == today && newer {
                guard.set_head(today)?;
                debug!("writer", "sealed the days before {today}");
            }
            Ok(head)
        })
        .unwrap_or(Err(Error::Stopped))
    }

    /// When the lease on the writers' lock ends, if one is held.
    pub fn lease_deadline(&self) -> Option<Instant> {
        self.lease.map(|since| since + LEASE)
    }

    /// Gives back the writers' lock if the lease on it has run out; returns the deadline of
    /// a lease still running.
    pub fn end_lease_if_expired(&mut self) -> Option<Instant> {
        let deadline = self.lease_deadline()?;
        if Instant::now() < deadline {
            return Some(deadline);
        }
        self.lease = None;
        if let Some(lock) = &self.lock {
            lock.unlock();
        }
        None
    }

    /// Runs `f` holding the writers' lock (`fresh`: just taken, so others may have written
    /// since we last looked). `None` if `Mode::Direct` found it taken, or `f` declined.
    fn locked<T: Locked>(
        &mut self,
        mode: Mode,
        f: impl FnOnce(&mut Self, &LockGuard<'_>, bool) -> T,
    ) -> Option<T> {
        if self.lock.is_none() {
            match WriterLock::open(self.files()) {
                Ok(lock) => self.lock = Some(lock),
                Err(e) => return Some(T::from_error(e)),
            }
        }
        let lock = self.lock.take()?;
        // Still holding the lock from a recent direct write: nobody else can have written.
        let held = match self.lease {
            Some(since) if since.elapsed() < LEASE => true,
            Some(_) => {
                lock.unlock();
                self.lease = None;
                false
            }
            None => false,
        };
        let result = match if held {
            Ok(Some(lock.assume_held()))
        } else if mode == Mode::Wait {
            lock.lock().map(Some)
        } else {
            lock.try_lock()
        } {
            Ok(Some(guard)) => {
                let result = f(self, &guard, !held);
                if mode == Mode::Direct && result.succeeded() {
                    if !held {
                        self.lease = Some(Instant::now());
                    }
                    guard.keep();
                } else {
                    // Dropping the guard gives the lock back.
                    self.lease = None;
                }
                Some(result)
            }
            Ok(None) => None,
            Err(e) => Some(T::from_error(e)),
        };
        self.lock = Some(lock);
        if result.as_ref().is_some_and(Locked::failed) {
            // Reopen everything next time: the cause may be a replaced file or directory.
            self.current = None;
        }
        result
    }

    /// The append itself. `may_open`: a new logfile may be opened here (not on a direct
    /// write, which returns `None` instead and lets the writer thread do it). `ids`: the
    /// lines' streams, if read already.
    #[allow(clippy::too_many_arguments)] // each says how this append goes
    fn append_locked(
        &mut self,
        guard: &LockGuard<'_>,
        day: Day,
        lines: Lines<'_>,
        fresh: bool,
        durable: bool,
        may_open: bool,
        ids: Option<&[StreamOf]>,
    ) -> Option<AppendOutcome> {
        // Under a lease on the current (or a later) day, nothing has changed since our last
        // write: no head to read, no lines to count.
        let continuing = !fresh && self.current.as_ref().is_some_and(|c| c.day >= day);
        let mut new_day = false;
        if !continuing {
            let (target, newest) = match self.choose_day(guard, day) {
                Ok(chosen) => chosen,
                Err(e) => return Some(AppendOutcome::failed(e)),
            };
            if self.current.as_ref().map(|c| c.day) != Some(target) {
                if !may_open {
                    return None;
                }
                if let Err(e) = self.switch_to(target) {
                    return Some(AppendOutcome::failed(e));
                }
                new_day = true;
            }
            if newest {
                if let Err(e) = guard.set_head(target) {
                    return Some(AppendOutcome::failed(e));
                }
            }
        }
        let files = &self.history.files;
        let Some(cur) = self.current.as_mut() else {
            return Some(AppendOutcome::failed(Error::Stopped));
        };
        if !continuing {
            if let Err(e) = catch_up(files, cur) {
                return Some(AppendOutcome::failed(e));
            }
        }
        let first_pos = encode(cur.day, cur.lines);
        let prev_pos = if cur.lines > 0 {
            Some(first_pos - 1)
        } else {
            cur.prev_last
        };
        let streams = self.history.streams.get().cloned();
        let planned;
        let (data, count, rejected, hashes, mut versions) =
            if lines.expect.is_empty() && streams.is_none() {
                (lines.data, lines.count, Vec::new(), Vec::new(), Vec::new())
            } else {
                let direct = !may_open;
                let plan = plan(
                    &self.history,
                    streams.as_deref(),
                    cur,
                    lines,
                    ids,
                    prev_pos,
                    direct,
                );
                planned = match plan {
                    Ok(Some(p)) => p,
                    // A direct write that would have to read: the writer thread does it.
                    Ok(None) => return None,
                    Err(e) => return Some(AppendOutcome::failed(e)),
                };
                let p = &planned;
                (
                    p.data.as_slice(),
                    p.count,
                    p.rejected.clone(),
                    p.hashes.clone(),
                    p.versions.clone(),
                )
            };
        if cur.lines + count > self.per_day {
            return Some(AppendOutcome::failed(Error::DayFull {
                path: cur.path.clone().into(),
                limit: self.per_day,
            }));
        }
        let (written_bytes, error) = write_fully(&mut cur.file, data);
        let (lines_ok, bytes_ok) = if error.is_none() {
            (count, data.len() as u64)
        } else {
            complete_prefix(&data[..written_bytes])
        };
        let mut error = error.map(|e| Error::write("write to", &cur.path, e));
        if bytes_ok < written_bytes as u64 {
            // A torn line of ours: cut it off so that nothing partial stays (readers never
            // deliver a line without its newline, so none has seen it).
            let _ = FlushRecord::lower(&files.flushed(), cur.day, cur.len + bytes_ok);
            if let Err(e) = sys::truncate(&cur.file, Path::new(&cur.path), cur.len + bytes_ok) {
                debug!("writer", "could not cut torn tail of {}: {e}", cur.path);
                error = Some(Error::write("truncate torn tail of", &cur.path, e));
            }
        }
        if let Some(streams) = &streams {
            let n = lines_ok as usize;
            streams.record(cur.day, cur.len, &data[..bytes_ok as usize], &hashes[..n]);
            versions.truncate(n);
        }
        cur.len += bytes_ok;
        cur.lines += lines_ok;
        self.metrics.appended(lines_ok, bytes_ok);
        if durable && lines_ok > 0 {
            self.unsynced = true;
        }
        debug!(
            "writer",
            "wrote {lines_ok} of {count} events to {} at {first_pos}", cur.path
        );
        Some(AppendOutcome {
            written: lines_ok,
            first_pos,
            prev_pos,
            new_day,
            rejected,
            versions,
            error,
        })
    }

    /// The day to write to: the requested day, or the newest day any writer has written to if
    /// that is later (a clock behind another's, or stepped back). Returns whether it is newer
    /// than the head recorded in the lock file.
    fn choose_day(&mut self, guard: &LockGuard<'_>, day: Day) -> Result<(Day, bool)> {
        let recorded = guard.head()?;
        let mut head = recorded;
        if head.is_none() || self.current.is_none() {
            // The lock file may be new, or stale where other software wrote logfiles.
            self.history
                .catalog
                .refresh(None)
                .map_err(|e| Error::read("list", self.history.pattern.base_path(), e))?;
            head = head.max(self.history.catalog.newest_local());
        }
        let target = head.map_or(day, |h| h.max(day));
        Ok((target, recorded.is_none_or(|h| target > h)))
    }

    /// Moves to `day`'s logfile, creating it, and learns the position just before its first
    /// line.
    fn switch_to(&mut self, day: Day) -> Result<()> {
        if let Some(old) = self.current.as_mut() {
            // Others may have appended to the old day before moving on; count them first.
            catch_up(&self.history.files, old)?;
        }
        if self.unsynced {
            self.sync()?;
        }
        let old = self.current.take();
        let path = self.history.pattern.path_for(day);
        if let Some(parent) = Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() {
                fs::create_dir_all(parent)
                    .map_err(|e| Error::write("create directory", parent, e))?;
            }
        }
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .read(true)
            .open(&path)
            .map_err(|e| Error::write("open", &path, e))?;
        // The days between the old one and this may have been written by others.
        self.history
            .catalog
            .refresh(None)
            .map_err(|e| Error::read("list", self.history.pattern.base_path(), e))?;
        let known = old.as_ref().map(|o| KnownDay {
            day: o.day,
            lines: o.lines,
            prev_last: o.prev_last,
        });
        let prev_last = self.history.last_position_before(day, known)?;
        debug!("writer", "writing to {path}");
        self.current = Some(OpenDay {
            day,
            path,
            file,
            len: 0,
            lines: 0,
            prev_last,
        });
        Ok(())
    }
}

/// What a locked section returns: whether it succeeded (a direct write keeps its lease only
/// then), whether it failed (files are reopened after that), and how a failure to take the
/// lock looks.
trait Locked: Sized {
    fn from_error(e: Error) -> Self;
    fn succeeded(&self) -> bool;
    fn failed(&self) -> bool;
}

/// An append: `None` when a direct write declined (neither success nor failure).
impl Locked for Option<AppendOutcome> {
    fn from_error(e: Error) -> Self {
        Some(AppendOutcome::failed(e))
    }
    fn succeeded(&self) -> bool {
        self.as_ref().is_some_and(|o| o.error.is_none())
    }
    fn failed(&self) -> bool {
        self.as_ref().is_some_and(|o| o.error.is_some())
    }
}

impl Locked for Result<Day> {
    fn from_error(e: Error) -> Self {
        Err(e)
    }
    fn succeeded(&self) -> bool {
        self.is_ok()
    }
    fn failed(&self) -> bool {
        self.is_err()
    }
}

/// A line's stream: its id and the id's hash (`None`: the line names no stream).
type StreamOf = Option<(String, u64)>;

/// A batch as it will be written: the lines whose expectations hold where the batch would go
/// (each line checked against the log as it would be with the lines before it that are kept),
/// how many they are, and the others; with a stream index, each kept line's stream (by hash)
/// and version.
struct Plan {
    data: Vec<u8>,
    count: u64,
    rejected: Vec<Rejected>,
    hashes: Vec<Option<u64>>,
    versions: Vec<u64>,
}

/// Plans a batch whose first line would follow `prev_pos` in `cur`. `None` if that needs
/// reading and `direct` says not to.
fn plan(
    history: &History,
    streams: Option<&StreamIndex>,
    cur: &OpenDay,
    lines: Lines<'_>,
    ids: Option<&[StreamOf]>,
    prev_pos: Option<u64>,
    direct: bool,
) -> Result<Option<Plan>> {
    let mut plan = Plan {
        data: Vec::with_capacity(lines.data.len()),
        count: 0,
        rejected: Vec::new(),
        hashes: Vec::new(),
        versions: Vec::new(),
    };
    // Each line's stream, then each stream's version now: one look at the counts for the
    // whole batch (the locks they are behind are taken once, not once per stream).
    let parsed: Vec<StreamOf>;
    let streams_of: &[StreamOf] = match (streams, ids) {
        (None, _) => &[],
        (Some(_), Some(ids)) => ids,
        (Some(s), None) => {
            parsed = lines
                .data
                .split_inclusive(|&b| b == b'\n')
                .map(|line| {
                    let text = line.strip_suffix(b"\n").unwrap_or(line);
                    let id = s.key().stream_of_line(text)?;
                    let h = crate::stream::hash(&id);
                    Some((id, h))
                })
                .collect();
            &parsed
        }
    };
    // Each stream's version after the lines kept so far.
    let mut versions: HashMap<u64, u64> = HashMap::new();
    if let Some(s) = streams {
        let mut hashes: Vec<u64> = streams_of.iter().flatten().map(|(_, h)| *h).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let Some(before) = s.counts_before(history, cur.day, &hashes, direct)? else {
            return Ok(None);
        };
        let today = s.with_writers_day(cur.day, &cur.file, cur.len, direct, |d| {
            hashes.iter().map(|h| (*h, d.count(*h))).collect::<Vec<_>>()
        })?;
        let Some(today) = today else {
            return Ok(None);
        };
        versions = today
            .into_iter()
            .map(|(h, n)| (h, n + before.get(&h).copied().unwrap_or(0)))
            .collect();
    }
    let (mut prev, mut next) = (prev_pos, encode(cur.day, cur.lines));
    let mut expect = lines.expect.iter().peekable();
    for (i, line) in lines.data.split_inclusive(|&b| b == b'\n').enumerate() {
        let stream = streams_of.get(i).and_then(Option::as_ref);
        let version = stream.map(|(_, h)| versions.get(h).copied().unwrap_or(0));
        if streams.is_some() {
            plan.hashes.push(stream.map(|(_, h)| *h));
            plan.versions.push(version.map_or(0, |v| v + 1));
        }
        let mut actual = None;
        while let Some(e) = expect.next_if(|e| e.index as usize == i) {
            let failed = match e.expected {
                Expected::Prev(p) => (p != prev).then_some(Actual::Prev(prev)),
                Expected::Version(v) => {
                    (Some(v) != version || stream.is_none()).then(|| Actual::Version {
                        stream: stream.map(|(id, _)| id.clone()),
                        version: version.unwrap_or(0),
                    })
                }
            };
            actual = actual.or(failed);
        }
        if let Some(actual) = actual {
            plan.rejected.push(Rejected {
                index: i as u32,
                actual,
            });
            if streams.is_some() {
                plan.hashes.pop();
                plan.versions.pop();
            }
            continue;
        }
        if let (Some((_, h)), Some(v)) = (stream, version) {
            versions.insert(*h, v + 1);
        }
        plan.data.extend_from_slice(line);
        plan.count += 1;
        prev = Some(next);
        next += 1;
    }
    Ok(Some(plan))
}

/// Writes all of `data`, returning how much was written and the error that stopped it.
fn write_fully(file: &mut File, data: &[u8]) -> (usize, Option<io::Error>) {
    let mut done = 0;
    while done < data.len() {
        match file.write(&data[done..]) {
            Ok(0) => return (done, Some(io::ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// The complete lines at the start of `bytes`: how many, and how many bytes they span.
fn complete_prefix(bytes: &[u8]) -> (u64, u64) {
    match memchr::memrchr(b'\n', bytes) {
        Some(i) => (
            memchr::memchr_iter(b'\n', bytes).count() as u64,
            i as u64 + 1,
        ),
        None => (0, 0),
    }
}

/// Counts the lines others appended to `cur` since we last looked (reading only the new
/// bytes), and repairs a torn tail: bytes after the last newline can only be left by a writer
/// that died mid-write, since we hold the lock. They are moved to a sidecar file under
/// `.eventlog/torn/` and cut off, so the next line does not glue onto them. Positions do not
/// shift: a line without its newline never had one.
fn catch_up(files: &OwnFiles, cur: &mut OpenDay) -> Result<()> {
    let size = cur
        .file
        .metadata()
        .map_err(|e| Error::read("stat", &cur.path, e))?
        .len();
    if size == cur.len {
        return Ok(());
    }
    if size < cur.len {
        debug!(
            "writer",
            "{} shrank from {} to {size} bytes; recounting", cur.path, cur.len
        );
        FlushRecord::lower(&files.flushed(), cur.day, size)?;
        cur.len = 0;
        cur.lines = 0;
    }
    let mut at = cur.len;
    let mut buf = vec![0u8; (size - at).min(1 << 20) as usize];
    let mut last_line_end = cur.len;
    while at < size {
        let want = ((size - at) as usize).min(buf.len());
        let n = cur
            .file
            .read_at(&mut buf[..want], at)
            .map_err(|e| Error::read("read", &cur.path, e))?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        cur.lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            last_line_end = at + i as u64 + 1;
        }
        at += n as u64;
    }
    cur.len = last_line_end;
    if at > last_line_end {
        repair_torn_tail(files, cur, at)?;
    }
    Ok(())
}

fn repair_torn_tail(files: &OwnFiles, cur: &mut OpenDay, end: u64) -> Result<()> {
    let mut fragment = vec![0u8; (end - cur.len) as usize];
    cur.file
        .read_exact_at(&mut fragment, cur.len)
        .map_err(|e| Error::read("read", &cur.path, e))?;
    let dir = files.torn_dir();
    fs::create_dir_all(&dir).map_err(|e| Error::write("create directory", &dir, e))?;
    let name = Path::new(&cur.path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sidecar = dir.join(format!("{name}@{}", cur.len));
    fs::write(&sidecar, &fragment).map_err(|e| Error::write("save torn tail to", &sidecar, e))?;
    FlushRecord::lower(&files.flushed(), cur.day, cur.len)?;
    sys::truncate(&cur.file, Path::new(&cur.path), cur.len)
        .map_err(|e| Error::write("truncate torn tail of", &cur.path, e))?;
    debug!(
        "writer",
        "repaired torn tail of {} ({} bytes kept in {})",
        cur.path,
        fragment.len(),
        sidecar.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    fn history_at(dir: &Path) -> Arc<History> {
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap();
        Arc::new(History::new(Arc::new(p), crate::clock::Clock::system()))
    }

    fn setup() -> (tempfile::TempDir, Arc<History>) {
        let tmp = tempfile::tempdir().unwrap();
        let h = history_at(tmp.path());
        (tmp, h)
    }

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    fn lines(n: usize, tag: &str) -> Vec<u8> {
        (0..n)
            .map(|i| format!("{{\"event\":\"{tag}{i}\"}}\n"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn counts_lines_other_writers_appended() {
        let (tmp, p) = setup();
        let mut a = Appender::new(p.clone());
        let mut b = Appender::new(p);
        let d = day(20261126);
        assert_eq!(
            a.append(d, Lines::new(&lines(2, "a"), 2), false).first_pos,
            2026112600000000
        );
        assert_eq!(
            b.append(d, Lines::new(&lines(3, "b"), 3), false).first_pos,
            2026112600000002
        );
        let o = a.append(d, Lines::new(&lines(1, "a"), 1), false);
        assert_eq!(
            (o.first_pos, o.prev_pos),
            (2026112600000005, Some(2026112600000004))
        );
        let text = fs::read_to_string(tmp.path().join("e-2026-11-26.log")).unwrap();
        assert_eq!(text.lines().count(), 6);
    }

    #[test]
    fn repairs_a_torn_tail_and_keeps_its_bytes() {
        let (tmp, p) = setup();
        let file = tmp.path().join("e-2026-11-26.log");
        fs::write(&file, "{\"event\":1}\n{\"event\":2,\"me").unwrap();
        let mut a = Appender::new(p);
        let o = a.append(day(20261126), Lines::new(&lines(1, "x"), 1), false);
        assert!(o.error.is_none());
        assert_eq!(o.first_pos, 2026112600000001);
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "{\"event\":1}\n{\"event\":\"x0\"}\n"
        );
        let kept = tmp.path().join(".eventlog/torn/e-2026-11-26.log@12");
        assert_eq!(fs::read_to_string(kept).unwrap(), "{\"event\":2,\"me");
    }

    #[test]
    fn repairs_a_torn_tail_left_after_our_last_write() {
        let (tmp, p) = setup();
        let file = tmp.path().join("e-2026-11-26.log");
        let mut a = Appender::new(p);
        a.append(day(20261126), Lines::new(&lines(1, "a"), 1), false);
        // Another writer dies mid-write.
        let mut f = fs::OpenOptions::new().append(true).open(&file).unwrap();
        f.write_all(b"{\"half").unwrap();
        let o = a.append(day(20261126), Lines::new(&lines(1, "b"), 1), false);
        assert_eq!(o.first_pos, 2026112600000001);
        let text = fs::read_to_string(&file).unwrap();
        assert_eq!(text, "{\"event\":\"a0\"}\n{\"event\":\"b0\"}\n");
    }

    #[test]
    fn a_full_day_fails_clearly_and_writes_nothing() {
        let (tmp, p) = setup();
        let mut a = Appender::new(p);
        a.per_day = 3;
        assert!(a
            .append(day(20261126), Lines::new(&lines(2, "a"), 2), false)
            .error
            .is_none());
        let o = a.append(day(20261126), Lines::new(&lines(2, "b"), 2), false);
        assert_eq!(o.written, 0);
        let err = o.error.unwrap();
        assert_eq!(err.code(), "ERR_DAY_FULL");
        assert!(
            err.to_string().contains("no more events can be added"),
            "{err}"
        );
        let text = fs::read_to_string(tmp.path().join("e-2026-11-26.log")).unwrap();
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn never_writes_into_a_day_older_than_the_newest() {
        let (tmp, p) = setup();
        let mut a = Appender::new(p.clone());
        a.append(day(20261127), Lines::new(&lines(1, "new"), 1), false);
        // A writer whose clock is a day behind (a fresh one, and one that was running).
        let mut behind = Appender::new(p);
        let o = behind.append(day(20261126), Lines::new(&lines(1, "late"), 1), false);
        assert_eq!(o.first_pos, 2026112700000001);
        let o = a.append(day(20261126), Lines::new(&lines(1, "late2"), 1), false);
        assert_eq!(o.first_pos, 2026112700000002);
        assert!(!tmp.path().join("e-2026-11-26.log").exists());
    }

    #[test]
    fn rollover_links_prev_pos_and_is_seen_by_other_writers() {
        let (_tmp, p) = setup();
        let mut a = Appender::new(p.clone());
        let mut b = Appender::new(p);
        a.append(day(20261126), Lines::new(&lines(2, "a"), 2), false);
        b.append(day(20261126), Lines::new(&lines(1, "b"), 1), false);
        let o = b.append(day(20261127), Lines::new(&lines(1, "b"), 1), false);
        assert!(o.new_day);
        assert_eq!(
            (o.first_pos, o.prev_pos),
            (2026112700000000, Some(2026112600000002))
        );
        // `a` still thinks it is the 26th; it follows the newest day.
        let o = a.append(day(20261126), Lines::new(&lines(1, "a"), 1), false);
        assert_eq!(
            (o.first_pos, o.prev_pos),
            (2026112700000001, Some(2026112700000000))
        );
        a.sync().unwrap();
    }

    #[test]
    fn expectations_hold_line_by_line_under_the_lock() {
        let (_tmp, p) = setup();
        let mut a = Appender::new(p.clone());
        let d = day(20261126);
        let data = lines(4, "x");
        let expect = [
            Expectation {
                index: 0,
                expected: Expected::Prev(None),
            },
            // Line 1 expects line 0 — as the log would be with line 0 written.
            Expectation {
                index: 1,
                expected: Expected::Prev(Some(2026112600000000)),
            },
            // Line 2 expects to come first: line 0 and 1 are there.
            Expectation {
                index: 2,
                expected: Expected::Prev(None),
            },
        ];
        let o = a.append(
            d,
            Lines {
                data: &data,
                count: 4,
                expect: &expect,
            },
            false,
        );
        assert_eq!(
            (o.written, o.first_pos, o.prev_pos),
            (3, 2026112600000000, None)
        );
        assert_eq!(
            o.rejected,
            vec![Rejected {
                index: 2,
                actual: Actual::Prev(Some(2026112600000001))
            }]
        );
        // Another writer (process) that expected the log to end at line 1 loses.
        let mut b = Appender::new(p);
        let expect = [Expectation {
            index: 0,
            expected: Expected::Prev(Some(2026112600000001)),
        }];
        let o = b.append(
            d,
            Lines {
                data: &lines(1, "y"),
                count: 1,
                expect: &expect,
            },
            false,
        );
        assert_eq!((o.written, o.rejected.len()), (0, 1));
        assert_eq!(o.rejected[0].actual, Actual::Prev(Some(2026112600000002)));
        let text = fs::read_to_string(_tmp.path().join("e-2026-11-26.log")).unwrap();
        assert_eq!(
            text,
            "{\"event\":\"x0\"}\n{\"event\":\"x1\"}\n{\"event\":\"x3\"}\n"
        );
    }

    #[test]
    fn sealing_moves_the_head_to_today_without_a_write() {
        let (tmp, p) = setup();
        let mut a = Appender::new(p.clone());
        a.append(day(20261126), Lines::new(&lines(1, "a"), 1), false);
        assert_eq!(a.seal_before(day(20261128)).unwrap(), day(20261128));
        assert!(!tmp.path().join("e-2026-11-28.log").exists());
        // A writer whose clock still says the 26th appends to the sealed-to day.
        let mut late = Appender::new(p);
        let o = late.append(day(20261126), Lines::new(&lines(1, "late"), 1), false);
        assert_eq!(
            (o.first_pos, o.prev_pos),
            (2026112800000000, Some(2026112600000000))
        );
        assert!(o.new_day);
        // Sealing never moves the head back.
        assert_eq!(a.seal_before(day(20261127)).unwrap(), day(20261128));
    }

    #[test]
    fn a_lease_keeps_the_lock_between_direct_writes_until_it_ends() {
        let (_tmp, p) = setup();
        let mut a = Appender::new(p.clone());
        let mut b = Appender::new(p);
        let d = day(20261126);
        // A direct write never opens a logfile: the first write of each goes the long way.
        assert!(a.try_append(d, Lines::new(&lines(1, "a"), 1)).is_none());
        a.append(d, Lines::new(&lines(1, "a"), 1), false);
        b.append(d, Lines::new(&lines(1, "b"), 1), false);
        assert!(a.try_append(d, Lines::new(&lines(1, "a"), 1)).is_some());
        // `a` still holds the lock: another writer cannot take it without waiting.
        assert!(b.try_append(d, Lines::new(&lines(1, "b"), 1)).is_none());
        let o = a.try_append(d, Lines::new(&lines(1, "a"), 1)).unwrap();
        assert_eq!(o.first_pos, 2026112600000003);
        assert!(a.lease_deadline().is_some());
        std::thread::sleep(LEASE + Duration::from_millis(1));
        assert_eq!(a.end_lease_if_expired(), None);
        let o = b.try_append(d, Lines::new(&lines(1, "b"), 1)).unwrap();
        assert_eq!(
            (o.first_pos, o.prev_pos),
            (2026112600000004, Some(2026112600000003))
        );
    }

    #[test]
    fn recovers_when_the_directory_becomes_writable() {
        let tmp = tempfile::tempdir().unwrap();
        let blocked = tmp.path().join("blocked");
        fs::write(&blocked, "a file where the directory should be").unwrap();
        let mut a = Appender::new(history_at(&blocked));
        let o = a.append(day(20261126), Lines::new(&lines(1, "a"), 1), false);
        assert_eq!(o.error.as_ref().map(Error::code), Some("ERR_WRITE"));
        fs::remove_file(&blocked).unwrap();
        let o = a.append(day(20261126), Lines::new(&lines(1, "a"), 1), false);
        assert!(o.error.is_none(), "{:?}", o.error);
        assert_eq!(o.first_pos, 2026112600000000);
    }
}
