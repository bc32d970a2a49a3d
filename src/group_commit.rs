//! The writer thread of a log: everything queued while it was busy goes out in the next
//! locked write, and the results go back in one completion call per round, never one per
//! event.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

use crate::day::Day;
use crate::error::Error;
use crate::pattern::Pattern;
use crate::wake;
use crate::writer::{AppendOutcome, Appender};

/// Lines to append: `count` lines in `data`, each ending in `\n`, dated `day` by the clock at
/// the time they were added.
pub struct WriteRequest {
    pub day: Day,
    pub data: Vec<u8>,
    pub count: u64,
}

/// What became of `count` consecutive queued lines.
pub struct Completion {
    pub count: u64,
    pub outcome: AppendOutcome,
}

#[derive(Default)]
struct Queue {
    requests: Vec<WriteRequest>,
    stopping: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// Handle to a log's writer thread.
pub struct GroupCommit {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the writer thread. `on_done` runs on it after each round, with the results in
    /// queue order.
    pub fn spawn(
        pattern: Arc<Pattern>,
        durable: bool,
        mut on_done: impl FnMut(Vec<Completion>) + Send + 'static,
    ) -> std::io::Result<GroupCommit> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
        });
        let worker = shared.clone();
        let key = pattern.absolute_key();
        let thread = thread::Builder::new()
            .name("eventlog-writer".into())
            .spawn(move || {
                let mut appender = Appender::new(pattern, durable);
                while let Some(batch) = next_round(&worker) {
                    let mut done = write_round(&mut appender, batch, &key);
                    if durable {
                        // One flush for the whole round: whatever was queued while the last
                        // one ran shares this one.
                        if let Err(e) = appender.sync() {
                            fail_unflushed(&mut done, &e);
                        }
                    }
                    on_done(done);
                }
            })?;
        Ok(GroupCommit {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues lines for the next round.
    pub fn submit(&self, request: WriteRequest) -> Result<(), Error> {
        let mut q = self.shared.queue.lock().map_err(|_| Error::Stopped)?;
        if q.stopping {
            return Err(Error::Stopped);
        }
        q.requests.push(request);
        drop(q);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Lets the thread finish what is queued, then end. Does not wait for it.
    pub fn stop(&self) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.stopping = true;
        }
        self.shared.ready.notify_one();
    }

    /// Stops and waits for the queue to be written (for tests and orderly shutdown off the
    /// JavaScript thread).
    pub fn stop_and_wait(mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits for queued requests; `None` once stopping with nothing left.
fn next_round(shared: &Shared) -> Option<Vec<WriteRequest>> {
    let mut q = shared.queue.lock().ok()?;
    loop {
        if !q.requests.is_empty() {
            return Some(std::mem::take(&mut q.requests));
        }
        if q.stopping {
            return None;
        }
        q = shared.ready.wait(q).ok()?;
    }
}

/// A failed flush fails every event of the round: written, but not known to be durable.
fn fail_unflushed(done: &mut [Completion], error: &Error) {
    for c in done.iter_mut().filter(|c| c.outcome.error.is_none()) {
        c.outcome.written = 0;
        c.outcome.error = Some(Error::write(
            "flush",
            &c.outcome.logfile,
            std::io::Error::other(error.to_string()),
        ));
    }
}

/// Writes a round: consecutive requests for the same day become one append.
fn write_round(appender: &mut Appender, requests: Vec<WriteRequest>, key: &str) -> Vec<Completion> {
    let mut done = Vec::new();
    let mut iter = requests.into_iter().peekable();
    while let Some(first) = iter.next() {
        let (day, mut data, mut count) = (first.day, first.data, first.count);
        while let Some(next) = iter.next_if(|r| r.day == day) {
            data.extend_from_slice(&next.data);
            count += next.count;
        }
        let outcome = appender.append(day, &data, count);
        if outcome.written > 0 {
            wake::notify(key, outcome.new_day);
        }
        done.push(Completion { count, outcome });
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn queued_requests_are_written_in_order_with_positions() {
        let tmp = tempfile::tempdir().unwrap();
        let pattern =
            Arc::new(Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap());
        let (tx, rx) = mpsc::channel();
        let gc = GroupCommit::spawn(pattern, true, move |done| {
            for c in done {
                tx.send((
                    c.count,
                    c.outcome.written,
                    c.outcome.first_pos,
                    c.outcome.prev_pos,
                ))
                .unwrap();
            }
        })
        .unwrap();
        let day = Day::from_number(20261126, "t").unwrap();
        for i in 0..3u8 {
            let data = format!("{{\"n\":{i}}}\n{{\"n\":{i}}}\n").into_bytes();
            gc.submit(WriteRequest {
                day,
                data,
                count: 2,
            })
            .unwrap();
        }
        gc.stop_and_wait();
        let results: Vec<_> = rx.iter().collect();
        let total: u64 = results.iter().map(|r| r.1).sum();
        assert_eq!(total, 6);
        assert_eq!(results[0].2, 2026112600000000);
        assert_eq!(results[0].3, None);
        let text = std::fs::read_to_string(tmp.path().join("e-2026-11-26.log")).unwrap();
        assert_eq!(text.lines().count(), 6);
    }
}
