//! A log's writer thread, shared by every instance of the log in the process: everything
//! queued while it was busy goes out in the next locked write (and, when any of it is durable,
//! the next flush), and each instance hears back once per round, never once per event.
//!
//! A write may also happen at once on the calling thread (`append_now`), when that cannot
//! block; the thread then ends the lease such a write keeps on the writers' lock.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Instant;

#[cfg(test)]
use crate::append::Actual;
use crate::append::{AppendOutcome, Appender, Expectation, Lines, Rejected};
use crate::day::Day;
use crate::debug::debug;
use crate::error::{Error, Result};
use crate::flush::Flush;
use crate::history::History;
use crate::metrics::{WriteMetrics, WriteSnapshot};
use crate::wake::Wakes;

/// Where the results of a request go: called on the writer thread with the completions of
/// that sender's requests of one round, in queue order.
pub type Reply = Arc<dyn Fn(Vec<Completion>) + Send + Sync>;

/// Called after a write that opened a logfile (a new day, perhaps).
pub type OnNewDay = Arc<dyn Fn() + Send + Sync>;

/// Lines to append: `count` lines in `data`, each ending in `\n`, dated `day` by the clock at
/// the time they were added.
pub struct WriteRequest {
    pub day: Day,
    pub data: Vec<u8>,
    pub count: u64,
    /// Lines appended only if they directly follow a given position (by index, in order).
    pub expect: Vec<Expectation>,
    /// Reply only once the lines are flushed to stable storage.
    pub durable: bool,
    pub reply: Reply,
}

/// What became of `count` consecutive queued lines of one sender.
#[derive(Debug)]
pub struct Completion {
    pub count: u64,
    pub outcome: AppendOutcome,
}

#[derive(Default)]
struct Queue {
    requests: Vec<WriteRequest>,
    stopping: bool,
    /// A direct write keeps the writers' lock until then; the writer thread gives it back.
    lease_until: Option<Instant>,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Held by whoever is writing: the writer thread, a caller writing directly, or the
    /// archiver sealing a day.
    appender: Mutex<Appender>,
    wakes: Arc<Wakes>,
    on_new_day: OnNewDay,
}

/// A log's writer thread. Dropping it writes what is queued, then ends and joins the thread.
pub struct Writer {
    shared: Arc<Shared>,
    /// The appender's counters, read without its lock.
    metrics: Arc<WriteMetrics>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn spawn(
        history: Arc<History>,
        wakes: Arc<Wakes>,
        on_new_day: OnNewDay,
    ) -> std::io::Result<Writer> {
        let appender = Appender::new(history);
        let metrics = appender.metrics().clone();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            appender: Mutex::new(appender),
            wakes,
            on_new_day,
        });
        let worker = shared.clone();
        let thread = thread::Builder::new()
            .name("eventlog-writer".into())
            .spawn(move || {
                while let Some((requests, mut appender)) = next_round(&worker) {
                    let (mut done, new_day) = write_round(&mut appender, requests, &worker.wakes);
                    if appender.needs_sync() {
                        // One flush for the whole round: whatever was queued while the last
                        // one ran shares this one.
                        match appender.sync() {
                            Ok(Some(Flush::Flushed)) => {
                                let events = done
                                    .iter()
                                    .filter(|(_, durable, _)| *durable)
                                    .map(|(_, _, c)| c.outcome.written)
                                    .sum::<u64>();
                                debug!("writer", "flushed {events} events with one fdatasync");
                            }
                            // Covered by another writer's flush: `sync` said so.
                            Ok(_) => {}
                            Err(e) => fail_unflushed(&mut done, &e),
                        }
                    }
                    drop(appender);
                    if new_day {
                        (worker.on_new_day)();
                    }
                    reply_all(done);
                }
            })?;
        Ok(Writer {
            shared,
            metrics,
            thread: Some(thread),
        })
    }

    /// Writes at once on the calling thread, if that cannot block on anyone: nothing queued
    /// or being written in this process, the writers' lock free, the logfile already open.
    /// Otherwise returns `None` having written nothing, and the caller queues the lines
    /// instead. This is what makes a lone add as quick as a plain `write`. The caller must
    /// then let the log's consumers in this process pick the lines up (`Wakes::poll_here`).
    pub fn append_now(&self, day: Day, lines: Lines<'_>) -> Option<AppendOutcome> {
        let queue = self.shared.queue.lock().ok()?;
        if !queue.requests.is_empty() || queue.stopping {
            return None;
        }
        // Taken while the queue is held, as the writer thread does: nothing queued before
        // can be written after this.
        let mut appender = self.shared.appender.try_lock().ok()?;
        drop(queue);
        let outcome = appender.try_append(day, lines);
        let lease = appender.lease_deadline();
        drop(appender);
        if let Some(until) = lease {
            // Let go of the appender first: a round takes the queue, then the appender. The
            // thread is woken only for a new lease: it waits for this deadline already.
            let new = self
                .shared
                .queue
                .lock()
                .is_ok_and(|mut queue| queue.lease_until.replace(until) != Some(until));
            if new {
                self.shared.ready.notify_one();
            }
        }
        outcome
    }

    /// Queues lines for the next round.
    pub fn submit(&self, request: WriteRequest) -> Result<()> {
        let mut q = self.shared.queue.lock().map_err(|_| Error::Stopped)?;
        if q.stopping {
            return Err(Error::Stopped);
        }
        q.requests.push(request);
        drop(q);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// What this process's writing did so far (see `metrics.rs`).
    pub fn metrics(&self) -> WriteSnapshot {
        self.metrics.snapshot()
    }

    /// What the archiver seals days with.
    pub fn sealer(&self) -> SealHandle {
        SealHandle(self.shared.clone())
    }
}

/// Seals days through a log's writer (its lock, its lease).
#[derive(Clone)]
pub struct SealHandle(Arc<Shared>);

impl SealHandle {
    /// Seals every day before `today` (see `Appender::seal_before`); waits for a write in
    /// progress. Returns the newest day.
    pub fn seal_before(&self, today: Day) -> Result<Day> {
        let mut appender = self.0.appender.lock().map_err(|_| Error::Stopped)?;
        appender.seal_before(today)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.stopping = true;
        }
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for queued requests and takes them with the appender (locked before the queue is
/// let go, so a direct write cannot slip in between); `None` once stopping with nothing left.
fn next_round(shared: &Shared) -> Option<(Vec<WriteRequest>, MutexGuard<'_, Appender>)> {
    let mut q = shared.queue.lock().ok()?;
    loop {
        if !q.requests.is_empty() {
            let appender = shared.appender.lock().ok()?;
            return Some((std::mem::take(&mut q.requests), appender));
        }
        if let Some(until) = q.lease_until {
            let now = Instant::now();
            if now < until {
                q = shared.ready.wait_timeout(q, until - now).ok()?.0;
                continue;
            }
            // The lease of a direct write ran out: give the writers' lock back, unless a
            // newer direct write renewed it.
            q.lease_until = shared
                .appender
                .lock()
                .ok()
                .and_then(|mut appender| appender.end_lease_if_expired());
            continue;
        }
        if q.stopping {
            return None;
        }
        q = shared.ready.wait(q).ok()?;
    }
}

/// A completion on its way back: its sender, and whether it waits for a flush.
type Done = (Reply, bool, Completion);

/// Writes a round: consecutive requests for the same day become one append, whoever sent
/// them; the outcome is then split back per request. Returns whether a logfile was opened.
fn write_round(
    appender: &mut Appender,
    requests: Vec<WriteRequest>,
    wakes: &Wakes,
) -> (Vec<Done>, bool) {
    let mut done = Vec::with_capacity(requests.len());
    let mut new_day = false;
    let mut iter = requests.into_iter().peekable();
    while let Some(first) = iter.next() {
        let day = first.day;
        let mut group = vec![first];
        while let Some(next) = iter.next_if(|r| r.day == day) {
            group.push(next);
        }
        let durable = group.iter().any(|r| r.durable);
        // One buffer for the group: the first request's, the others' bytes after it (a
        // group of one is not copied at all). `split` needs only the counts.
        let mut data = std::mem::take(&mut group[0].data);
        let mut expect = std::mem::take(&mut group[0].expect);
        let mut count = group[0].count;
        for r in &group[1..] {
            data.extend_from_slice(&r.data);
            expect.extend(r.expect.iter().map(|e| Expectation {
                index: e.index + count as u32,
                expected: e.expected,
            }));
            count += r.count;
        }
        let lines = Lines {
            data: &data,
            count,
            expect: &expect,
        };
        let outcome = appender.append(day, lines, durable);
        if outcome.written > 0 {
            wakes.notify(outcome.new_day);
        }
        new_day |= outcome.new_day;
        split(&outcome, group, &mut done);
    }
    (done, new_day)
}

/// Splits one append's outcome over the requests it was made of: each keeps its rejected
/// lines; of the others, the first `written` (over the whole group, in order) succeeded, the
/// rest failed with the error.
fn split(outcome: &AppendOutcome, group: Vec<WriteRequest>, done: &mut Vec<Done>) {
    // Lines of the group before this request, and how many of them were not rejected.
    let (mut offset, mut kept_before) = (0u32, 0u64);
    let mut rejected = outcome.rejected.iter().peekable();
    for r in group {
        let end = offset + r.count as u32;
        let mut mine = Vec::new();
        while let Some(x) = rejected.next_if(|x| x.index < end) {
            mine.push(Rejected {
                index: x.index - offset,
                actual: x.actual.clone(),
            });
        }
        let kept = r.count - mine.len() as u64;
        let written = outcome.written.saturating_sub(kept_before).min(kept);
        let first_pos = outcome.first_pos + kept_before.min(outcome.written);
        let prev_pos = if kept_before == 0 || outcome.written == 0 {
            outcome.prev_pos
        } else {
            Some(first_pos - 1)
        };
        let error = (written < kept).then(|| {
            outcome
                .error
                .as_ref()
                .map_or(Error::Stopped, Error::duplicate)
        });
        done.push((
            r.reply,
            r.durable,
            Completion {
                count: r.count,
                outcome: AppendOutcome {
                    written,
                    first_pos,
                    prev_pos,
                    new_day: outcome.new_day,
                    rejected: mine,
                    versions: versions_of(&outcome.versions, kept_before, written),
                    error,
                },
            },
        ));
        offset = end;
        kept_before += kept;
    }
}

/// The versions of `written` lines from the `from`th written line of an append on.
fn versions_of(all: &[u64], from: u64, written: u64) -> Vec<u64> {
    let start = (from as usize).min(all.len());
    let end = (start + written as usize).min(all.len());
    all[start..end].to_vec()
}

/// A failed flush fails every durable event of the round: written, but not known to be
/// durable.
fn fail_unflushed(done: &mut [Done], error: &Error) {
    for (_, _, c) in done
        .iter_mut()
        .filter(|(_, durable, c)| *durable && c.outcome.error.is_none())
    {
        c.outcome.written = 0;
        c.outcome.error = Some(error.duplicate());
    }
}

/// Hands each sender its completions, in order, with one call per sender.
fn reply_all(done: Vec<Done>) {
    let mut pending: Vec<(Reply, Vec<Completion>)> = Vec::new();
    for (reply, _, completion) in done {
        match pending.iter_mut().find(|(r, _)| Arc::ptr_eq(r, &reply)) {
            Some((_, list)) => list.push(completion),
            None => pending.push((reply, vec![completion])),
        }
    }
    for (reply, list) in pending {
        reply(list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::pattern::Pattern;
    use std::sync::mpsc;

    fn history(dir: &std::path::Path) -> Arc<History> {
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap();
        Arc::new(History::new(Arc::new(p), Clock::system()))
    }

    fn writer(dir: &std::path::Path) -> Writer {
        Writer::spawn(history(dir), Arc::new(Wakes::default()), Arc::new(|| {})).unwrap()
    }

    fn request(day: Day, tag: &str, count: u64, reply: &Reply) -> WriteRequest {
        let data = (0..count)
            .map(|i| format!("{{\"{tag}\":{i}}}\n"))
            .collect::<String>();
        WriteRequest {
            day,
            data: data.into_bytes(),
            count,
            expect: Vec::new(),
            durable: tag == "durable",
            reply: reply.clone(),
        }
    }

    #[test]
    fn senders_share_rounds_and_each_hears_back_about_its_own_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let w = writer(tmp.path());
        let (a, b) = (&w, &w);
        let (tx, rx) = mpsc::channel();
        let (tx_a, tx_b) = (tx.clone(), tx);
        let reply_a: Reply = Arc::new(move |done| {
            for c in done {
                tx_a.send(("a", c)).unwrap();
            }
        });
        let reply_b: Reply = Arc::new(move |done| {
            for c in done {
                tx_b.send(("b", c)).unwrap();
            }
        });
        let day = Day::from_number(20261126, "t").unwrap();
        a.submit(request(day, "a", 2, &reply_a)).unwrap();
        b.submit(request(day, "durable", 3, &reply_b)).unwrap();
        a.submit(request(day, "a", 1, &reply_a)).unwrap();
        drop((reply_a, reply_b));
        // Dropping the writer writes what is queued and joins its thread.
        drop(w);
        let mut got: Vec<_> = rx
            .iter()
            .map(|(who, c)| {
                (
                    who,
                    c.count,
                    c.outcome.written,
                    c.outcome.first_pos % 100,
                    c.outcome.prev_pos.map(|p| p % 100),
                )
            })
            .collect();
        got.sort_by_key(|g| g.3);
        assert_eq!(
            got,
            vec![
                ("a", 2, 2, 0, None),
                ("b", 3, 3, 2, Some(1)),
                ("a", 1, 1, 5, Some(4))
            ]
        );
        let text = std::fs::read_to_string(tmp.path().join("e-2026-11-26.log")).unwrap();
        assert_eq!(text.lines().count(), 6);
    }

    #[test]
    fn the_writer_thread_gives_back_the_lock_a_direct_write_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let gc = writer(tmp.path());
        let day = Day::from_number(20261126, "t").unwrap();
        // The first write opens the logfile: not on the calling thread.
        assert!(gc.append_now(day, Lines::new(b"{\"a\":0}\n", 1)).is_none());
        let (tx0, rx0) = mpsc::channel();
        let reply: Reply = Arc::new(move |done| tx0.send(done.len()).unwrap());
        let mut r = request(day, "a", 1, &reply);
        r.data = b"{\"a\":0}\n".to_vec();
        gc.submit(r).unwrap();
        rx0.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        let o = gc.append_now(day, Lines::new(b"{\"a\":1}\n", 1)).unwrap();
        assert_eq!(o.first_pos, 2026112600000001);
        // Another writer (as another process would) waits for the lock; the lease ends it.
        let (tx, rx) = mpsc::channel();
        let dir = tmp.path().to_path_buf();
        std::thread::spawn(move || {
            let mut other = Appender::new(history(&dir));
            let o = other.append(day, Lines::new(b"{\"b\":1}\n", 1), false);
            tx.send(o.first_pos).unwrap();
        });
        let pos = rx
            .recv_timeout(std::time::Duration::from_secs(2))
            .expect("the lease ended");
        assert_eq!(pos, 2026112600000002);
    }

    #[test]
    fn a_partial_append_is_split_between_requests() {
        let reply: Reply = Arc::new(|_| {});
        let day = Day::from_number(20261126, "t").unwrap();
        let outcome = AppendOutcome {
            written: 3,
            first_pos: 2026112600000010,
            prev_pos: Some(2026112600000009),
            new_day: false,
            rejected: Vec::new(),
            versions: Vec::new(),
            error: Some(Error::write(
                "write to",
                "f",
                // ENOSPC, ERROR_DISK_FULL on Windows.
                std::io::Error::from_raw_os_error(if cfg!(windows) { 112 } else { 28 }),
            )),
        };
        let mut done = Vec::new();
        split(
            &outcome,
            vec![request(day, "x", 2, &reply), request(day, "y", 2, &reply)],
            &mut done,
        );
        let view: Vec<_> = done
            .iter()
            .map(|(_, _, c)| {
                (
                    c.outcome.written,
                    c.outcome.first_pos % 100,
                    c.outcome.error.as_ref().and_then(Error::os_code),
                )
            })
            .collect();
        assert_eq!(view, vec![(2, 10, None), (1, 12, Some("ENOSPC"))]);
    }

    #[test]
    fn rejected_lines_stay_with_their_request_and_positions_skip_them() {
        let reply: Reply = Arc::new(|_| {});
        let day = Day::from_number(20261126, "t").unwrap();
        // Three requests of 2 lines; line 1 (first request) and line 2 (second) rejected.
        let outcome = AppendOutcome {
            written: 4,
            first_pos: 2026112600000010,
            prev_pos: Some(2026112600000009),
            new_day: false,
            rejected: vec![
                Rejected {
                    index: 1,
                    actual: Actual::Prev(Some(2026112600000010)),
                },
                Rejected {
                    index: 2,
                    actual: Actual::Prev(Some(2026112600000010)),
                },
            ],
            versions: Vec::new(),
            error: None,
        };
        let mut done = Vec::new();
        let group = (0..3).map(|_| request(day, "x", 2, &reply)).collect();
        split(&outcome, group, &mut done);
        let view: Vec<_> = done
            .iter()
            .map(|(_, _, c)| {
                let o = &c.outcome;
                (
                    o.written,
                    o.first_pos % 100,
                    o.prev_pos.map(|p| p % 100),
                    o.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            view,
            vec![
                (1, 10, Some(9), vec![1]),
                (1, 11, Some(10), vec![0]),
                (2, 12, Some(11), vec![])
            ]
        );
    }
}
