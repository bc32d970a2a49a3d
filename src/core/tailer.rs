//! A consumer's reader thread: replays the log's days in position order, then follows new lines
//! and new days live. It hands JavaScript deliveries (`delivery.rs`), at most `WINDOW`
//! unacknowledged at a time, reading on while JavaScript works. It asks the log's history for
//! the days and opens whatever it names, a local logfile or an archived object alike.
//!
//! Wake-ups come from writers in this process (the log's `Wakes`), from the file watcher for
//! writes by other processes, from the archiver when new archived days appear, and from a slow
//! poll as a fallback where watching is not possible.
//!
//! The state sits behind a mutex so that, right after a write in this process, the
//! JavaScript thread can take one step of an idle consumer itself (`poll_here`): the new
//! lines then reach the callback without two thread hand-offs, which cost more than
//! everything else on the live path. That happens only while the consumer reads a local day:
//! an archived day may need the network, which the JavaScript thread never waits for.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::catalog::DayEntry;
use crate::debug::debug;
use crate::delivery::{Batch, Delivery, Synced, BATCH_BYTES, BATCH_DAYS, BATCH_LINES};
use crate::error::Error;
use crate::filter::TypeFilter;
use crate::history::History;
use crate::position::{encode, Start};
use crate::reader::{LineReader, Stop};
use crate::wake::{Signal, Subscriber, Wakes};

/// How often an idle consumer looks for changes the watcher may have missed (and retries a
/// read that failed).
const POLL: Duration = Duration::from_millis(250);
/// Every this many polls, an idle consumer lists the days again.
const POLLS_PER_RESCAN: u32 = 20;
/// Deliveries JavaScript may hold at once: while it works through one, the next is already
/// there, so the hand-off latency is hidden.
const WINDOW: usize = 2;

/// Where deliveries go. Returns `false` once nobody listens any more, which ends the thread.
/// Called from the consumer's thread, or from the thread that calls `poll_here`.
pub trait Sink: Send + 'static {
    fn deliver(&mut self, delivery: Delivery) -> bool;
}

/// What the log's writers and the consumer's handle share with its thread.
struct Link {
    tx: Sender<Signal>,
    state: Arc<Mutex<State>>,
}

impl Subscriber for Link {
    fn wake(&self, rescan: bool) {
        let _ = self.tx.send(Signal::Wake { rescan });
    }

    fn poll_here(&self, rescan: bool) {
        if let Ok(mut state) = self.state.try_lock() {
            // Listing the days (a rescan) can take long in a big directory: the thread does it.
            let cheap = !rescan && !state.rescan && state.reads_locally();
            if cheap && !state.window_full() && !state.stopped {
                state.step(None);
                return;
            }
        }
        self.wake(rescan);
    }
}

/// Handle to a consumer's thread; dropping it stops the consumer. The thread is not joined:
/// it ends by itself once stopped, and `ended` says when (the log waits on that at close).
pub struct Tailer {
    link: Arc<Link>,
    ended: Arc<Ended>,
}

/// Set once a consumer's thread has ended and let go of its files (the day it read, its
/// directory watcher). The log waits for it when it closes: on Windows an open handle keeps a
/// file, or the directory it lies in, from being deleted.
#[derive(Default)]
pub struct Ended {
    done: Mutex<bool>,
    changed: std::sync::Condvar,
}

impl Ended {
    fn set(&self) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.changed.notify_all();
    }

    pub fn is_set(&self) -> bool {
        *self.done.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until it is set, for at most `limit`; whether it was.
    pub fn wait(&self, limit: Duration) -> bool {
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        let (done, _) = self
            .changed
            .wait_timeout_while(done, limit, |done| !*done)
            .unwrap_or_else(|e| e.into_inner());
        *done
    }
}

/// Sets `Ended` when the thread's closure returns or unwinds.
struct SetOnDrop(Arc<Ended>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

impl Tailer {
    pub(crate) fn spawn(
        history: Arc<History>,
        wakes: &Wakes,
        start: Option<Start>,
        filter: Option<TypeFilter>,
        sink: impl Sink,
    ) -> std::io::Result<Tailer> {
        let (tx, rx) = channel();
        let state = Arc::new(Mutex::new(State {
            history,
            start,
            filter: filter.map(Arc::new),
            sink: Box::new(sink),
            wake_tx: tx.clone(),
            days: Vec::new(),
            idx: None,
            reader: None,
            skip_until: 0,
            last_pos: None,
            in_flight: 0,
            deferred: VecDeque::new(),
            synced: false,
            stopped: false,
            rescan: true,
            closed: None,
            opened: None,
            watcher: None,
            idle_polls: 0,
            reported: None,
        }));
        let link = Arc::new(Link {
            tx,
            state: state.clone(),
        });
        let subscriber: Arc<dyn Subscriber> = link.clone();
        wakes.subscribe(Arc::downgrade(&subscriber));
        let ended = Arc::new(Ended::default());
        let on_exit = SetOnDrop(ended.clone());
        thread::Builder::new()
            .name("eventlog-consumer".into())
            .spawn(move || {
                let _on_exit = on_exit;
                run(&state, &rx)
            })?;
        Ok(Tailer { link, ended })
    }

    /// JavaScript has handled a delivery. Recorded directly when the thread is idle (so that
    /// a `poll` right after finds the consumer free, and the thread sleeps on); a thread
    /// waiting to hand over more is told through its channel.
    pub fn ack(&self) {
        if let Ok(mut state) = self.link.state.try_lock() {
            state.in_flight = state.in_flight.saturating_sub(1);
            if !state.deferred.is_empty() {
                // Counted already: only wake the thread to hand the deferred ones over.
                let _ = self.link.tx.send(Signal::Wake { rescan: false });
            }
            return;
        }
        let _ = self.link.tx.send(Signal::Ack);
    }

    /// Ends the consumer: its thread hands over nothing more and ends by itself (within a
    /// read of the archive, at worst, that it cannot interrupt).
    pub fn stop(&self) {
        let _ = self.link.tx.send(Signal::Stop);
        if let Ok(mut state) = self.link.state.try_lock() {
            state.stopped = true;
        }
    }

    /// What is set once the thread has ended.
    pub(crate) fn ended(&self) -> Arc<Ended> {
        self.ended.clone()
    }

    /// Stops and waits for the thread to end (as a closing log does), failing the test if it
    /// does not.
    #[cfg(test)]
    pub(crate) fn stop_and_wait(self) {
        self.stop();
        assert!(
            self.ended.wait(Duration::from_secs(10)),
            "the consumer's thread ended"
        );
    }
}

impl Drop for Tailer {
    fn drop(&mut self) {
        self.stop();
    }
}

struct State {
    history: Arc<History>,
    start: Option<Start>,
    sink: Box<dyn Sink>,
    wake_tx: Sender<Signal>,
    /// Days known, oldest first, none later than today.
    days: Vec<DayEntry>,
    /// Index in `days` of the one being read.
    idx: Option<usize>,
    reader: Option<LineReader>,
    /// Lines of the current day before this index are passed over (the start position).
    skip_until: u64,
    /// Position of the last line passed (delivered or not).
    last_pos: Option<u64>,
    /// Deliveries handed over and not yet acknowledged (at most `WINDOW`).
    in_flight: usize,
    /// Deliveries made while the window was full, on a thread that may not wait.
    deferred: VecDeque<Delivery>,
    /// Caught up, and said so, with nothing delivered since.
    synced: bool,
    stopped: bool,
    /// New days may be there that `days` does not hold.
    rescan: bool,
    /// A day finished or started, not yet said in a delivery.
    closed: Option<String>,
    opened: Option<String>,
    watcher: Option<(RecommendedWatcher, PathBuf)>,
    idle_polls: u32,
    /// The last error reported, so that a lasting one is reported once.
    reported: Option<String>,
    /// Only events of these types are delivered.
    filter: Option<Arc<TypeFilter>>,
}

enum Step {
    Progress,
    Idle,
}

/// The consumer's thread: steps while there is work, waits (without the lock) when idle.
fn run(state: &Mutex<State>, rx: &Receiver<Signal>) {
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let mut st: MutexGuard<'_, State> = lock();
        if st.stopped {
            break;
        }
        if let Step::Progress = st.step(Some(rx)) {
            continue;
        }
        drop(st);
        let signal = rx.recv_timeout(POLL);
        let mut st = lock();
        match signal {
            Ok(signal) => {
                st.on_signal(signal);
                // Take every other signal already queued, so a burst of writes is one read.
                while let Ok(signal) = rx.try_recv() {
                    st.on_signal(signal);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                st.idle_polls += 1;
                if st.idle_polls.is_multiple_of(POLLS_PER_RESCAN) {
                    st.rescan = true;
                }
            }
            Err(RecvTimeoutError::Disconnected) => st.stopped = true,
        }
    }
    // The state outlives the thread (the JavaScript object holds it until it is collected):
    // its files go now.
    let mut st = lock();
    st.reader = None;
    st.watcher = None;
    drop(st);
    debug!("reader", "consumer stopped");
}

impl State {
    /// One step: hand over what is deferred, or read and hand over one delivery, or find
    /// nothing to do (`Idle`). `rx` is where to wait for acknowledgements; without it
    /// (`poll_here`), deliveries that would have to wait are deferred instead.
    fn step(&mut self, rx: Option<&Receiver<Signal>>) -> Step {
        if !self.window_full() {
            if let Some(d) = self.deferred.pop_front() {
                self.hand_over(d, rx);
                return Step::Progress;
            }
        } else if rx.is_none() {
            return Step::Idle;
        }
        if self.reader.is_none() && !self.open_first(rx) {
            self.watch_current_dir();
            self.say_synced(rx);
            return Step::Idle;
        }
        let mut batch = Batch::new(self.filter.clone());
        let at_end = match self.fill(&mut batch, rx) {
            Ok(at_end) => at_end,
            Err(_) if !batch.is_empty() => {
                // Hand over what was read; the error comes again at the next step.
                let delivery = self.finish(batch, false);
                self.hand_over(delivery, rx);
                return Step::Progress;
            }
            Err(e) => {
                let path = self.current_path();
                self.report(Error::read("read", path, e), rx);
                return Step::Idle;
            }
        };
        if batch.is_empty() {
            if batch.consumed > 0 {
                // Only lines before the start position went by.
                return Step::Progress;
            }
            self.check_integrity(rx);
            // Watch before saying we caught up, so a write right after is not missed.
            self.watch_current_dir();
            self.say_synced(rx);
            return Step::Idle;
        }
        let delivery = self.finish(batch, at_end);
        self.hand_over(delivery, rx);
        Step::Progress
    }

    /// Reads into `batch` until it is full or everything written so far is in it, moving on
    /// through complete days. Returns whether everything is (the consumer has caught up).
    fn fill(&mut self, batch: &mut Batch, rx: Option<&Receiver<Signal>>) -> std::io::Result<bool> {
        loop {
            while self.read_into(batch)? == Stop::Limit {
                // A filtered batch reads on while it passes over most lines.
                if !batch.wants_more() {
                    return Ok(false);
                }
            }
            if !self.newer_day_known(rx) {
                return Ok(true);
            }
            // Writers move to a new day under their lock, so once a later day exists this
            // one is complete: read it to the end once more, then move on.
            if self.read_into(batch)? == Stop::Limit {
                return Ok(false);
            }
            self.next_day(rx);
            if batch.days() >= BATCH_DAYS || self.reader.is_none() {
                return Ok(false);
            }
            if !self.reads_locally() && rx.is_none() {
                // The next day is in the archive: the consumer's thread reads it.
                let _ = self.wake_tx.send(Signal::Wake { rescan: false });
                return Ok(false);
            }
        }
    }

    /// Reads lines of the current day into `batch` (from the start position on) until it is
    /// full or the day has no further complete line yet.
    fn read_into(&mut self, batch: &mut Batch) -> std::io::Result<Stop> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(Stop::EndOfFile);
        };
        let day = self.days[self.idx.unwrap_or(0)].day;
        let skip_until = self.skip_until;
        let last_pos = &mut self.last_pos;
        let room_lines = BATCH_LINES - batch.count;
        let room_bytes = BATCH_BYTES.saturating_sub(batch.bytes()).max(1);
        if room_lines == 0 {
            return Ok(Stop::Limit);
        }
        if self.closed.is_some() || self.opened.is_some() {
            batch.switch_day(self.closed.take(), self.opened.take());
        }
        let mut line_no = reader.lines();
        // For the error of a corrupt line (the reader is borrowed while it reads).
        let file = reader.path().to_owned();
        reader.read_lines(room_lines, room_bytes, |line| {
            let pos = encode(day, line_no);
            line_no += 1;
            batch.consumed += 1;
            if line_no > skip_until {
                batch.push(line, pos, *last_pos, &file);
            }
            *last_pos = Some(pos);
        })
    }

    fn finish(&mut self, batch: Batch, synced: bool) -> Delivery {
        self.synced = synced;
        batch.finish(synced.then(|| self.sync_info()))
    }

    fn sync_info(&self) -> Synced {
        match (&self.reader, self.idx) {
            (Some(r), Some(i)) => Synced {
                logfile: r.path().to_string(),
                rows: r.lines(),
                next_pos: encode(self.days[i].day, r.lines()),
            },
            _ => {
                let day = self.history.clock.today();
                Synced {
                    logfile: self.history.name_of(day),
                    rows: 0,
                    next_pos: encode(day, 0),
                }
            }
        }
    }

    fn say_synced(&mut self, rx: Option<&Receiver<Signal>>) {
        if self.synced && self.closed.is_none() && self.opened.is_none() {
            return;
        }
        let mut batch = Batch::new(self.filter.clone());
        if self.closed.is_some() || self.opened.is_some() {
            batch.switch_day(self.closed.take(), self.opened.take());
        }
        let delivery = self.finish(batch, true);
        self.hand_over(delivery, rx);
    }

    fn report(&mut self, error: Error, rx: Option<&Receiver<Signal>>) {
        let text = error.to_string();
        if self.reported.as_deref() == Some(text.as_str()) {
            return;
        }
        debug!("reader", "{text}");
        self.reported = Some(text);
        self.hand_over(
            Delivery {
                error: Some(error),
                ..Delivery::default()
            },
            rx,
        );
    }

    /// Whether as many deliveries as JavaScript may hold are handed over and unacknowledged.
    fn window_full(&self) -> bool {
        self.in_flight >= WINDOW
    }

    /// Whether the consumer reads a local file (or has yet to open a day of a log without an
    /// archive): stepping then never waits for the network.
    fn reads_locally(&self) -> bool {
        match &self.reader {
            Some(r) => r.source().is_local(),
            None => self.history.remote().is_none(),
        }
    }

    /// Waits until the window has room, then hands over this delivery (or, with no `rx` to
    /// wait on, defers it).
    fn hand_over(&mut self, delivery: Delivery, rx: Option<&Receiver<Signal>>) {
        let Some(rx) = rx.filter(|_| self.window_full()) else {
            if self.window_full() {
                self.deferred.push_back(delivery);
                return;
            }
            return self.send(delivery);
        };
        while self.window_full() && !self.stopped {
            match rx.recv() {
                Ok(signal) => self.on_signal(signal),
                Err(_) => self.stopped = true,
            }
        }
        self.send(delivery);
    }

    fn send(&mut self, delivery: Delivery) {
        if self.stopped {
            return;
        }
        if delivery.error.is_none() {
            self.reported = None;
        }
        if self.sink.deliver(delivery) {
            self.in_flight += 1;
        } else {
            self.stopped = true;
        }
    }

    fn on_signal(&mut self, signal: Signal) {
        match signal {
            Signal::Ack => self.in_flight = self.in_flight.saturating_sub(1),
            Signal::Wake { rescan } => self.rescan |= rescan,
            Signal::Stop => self.stopped = true,
        }
    }

    /// Opens the first day at or after the start position, if one exists yet.
    fn open_first(&mut self, rx: Option<&Receiver<Signal>>) -> bool {
        let today = self.history.clock.today();
        if !self.rescan {
            // Between listings, a cheap look for today's logfile (the one a writer creates).
            let wanted = self.start.is_none_or(|s| s.day <= today);
            if !wanted || !Path::new(&self.history.pattern.path_for(today)).exists() {
                return false;
            }
        }
        if !self.refresh_days(rx) {
            return false;
        }
        let from = self.start.map(|s| s.day);
        let Some(i) = self
            .days
            .iter()
            .position(|d| from.is_none_or(|f| d.day >= f))
        else {
            return false;
        };
        let entry = self.days[i].clone();
        self.skip_until = match self.start {
            Some(s) if s.day == entry.day => s.line,
            _ => 0,
        };
        if !self.open_index(i, rx) {
            return false;
        }
        // Start as close to the start position as the day's index allows.
        let (offset, line) = self.history.seek_point(&entry, self.skip_until);
        if line > 0 {
            if let Some(reader) = self.reader.as_mut() {
                match reader.seek(offset, line) {
                    Ok(true) => {
                        self.last_pos = Some(encode(entry.day, line - 1));
                        return true;
                    }
                    Ok(false) => debug!(
                        "reader",
                        "index of {} does not fit; reading it from the start", entry.day
                    ),
                    Err(e) => debug!("reader", "could not seek in {}: {e}", entry.day),
                }
            }
        }
        match self.history.last_position_before(entry.day, None) {
            Ok(last) => {
                self.last_pos = last;
                true
            }
            Err(e) => {
                self.reader = None;
                self.idx = None;
                self.opened = None;
                self.report(e, rx);
                false
            }
        }
    }

    /// Starts reading day `i` of `days` (keeping the reader's buffer if there is one).
    fn open_index(&mut self, i: usize, rx: Option<&Receiver<Signal>>) -> bool {
        let entry = &self.days[i];
        let shown = self.history.name_of(entry.day);
        match self.history.open(entry) {
            Ok(source) => {
                debug!("reader", "reading {shown}");
                match self.reader.as_mut() {
                    Some(r) => r.reopen(&shown, source),
                    None => self.reader = Some(LineReader::new(&shown, source)),
                }
                self.idx = Some(i);
                self.opened = Some(shown);
                true
            }
            Err(e) => {
                self.reader = None;
                self.report(Error::read("open", shown, e), rx);
                false
            }
        }
    }

    fn next_day(&mut self, rx: Option<&Receiver<Signal>>) {
        let Some(i) = self.idx else { return };
        if let Some(r) = self.reader.as_ref() {
            let path = r.path().to_string();
            if r.partial_tail() > 0 {
                let torn = r.partial_tail();
                self.report(
                    Error::read(
                        "finish",
                        &path,
                        std::io::Error::other(format!(
                            "its last line ({torn} bytes) has no newline and was skipped; a writer died mid-write"
                        )),
                    ),
                    rx,
                );
            }
            debug!("reader", "finished {path}");
            self.closed = Some(path);
        }
        self.skip_until = 0;
        if i + 1 < self.days.len() && self.open_index(i + 1, rx) {
            return;
        }
        // Could not open the next day: try again at the next step, from after this one.
        let finished = self.days[i].day;
        self.reader = None;
        self.idx = None;
        self.start = Some(Start {
            day: finished,
            line: crate::position::PER_DAY,
        });
    }

    /// Whether a day later than the current one exists (by today's clock).
    fn newer_day_known(&mut self, rx: Option<&Receiver<Signal>>) -> bool {
        let Some(i) = self.idx else { return false };
        if i + 1 < self.days.len() {
            return true;
        }
        let current = self.days[i].day;
        let today = self.history.clock.today();
        if !self.rescan
            && today > current
            && Path::new(&self.history.pattern.path_for(today)).exists()
        {
            self.rescan = true;
        }
        if self.rescan {
            self.refresh_days(rx);
            if let Some(j) = self.days.iter().position(|d| d.day == current) {
                self.idx = Some(j);
                return j + 1 < self.days.len();
            }
        }
        false
    }

    /// Lists the days again (up to today). Returns `false` if that failed (reported).
    fn refresh_days(&mut self, rx: Option<&Receiver<Signal>>) -> bool {
        self.rescan = false;
        let today = self.history.clock.today();
        let current = self.idx.map(|i| self.days[i].clone());
        let mut days = match self.history.catalog.refresh(Some(today)) {
            Ok(days) => days,
            Err(e) => {
                let dir = self.history.pattern.base_path();
                self.report(Error::read("list", dir, e), rx);
                return false;
            }
        };
        if days.is_empty() && rx.is_some() {
            if let Some(remote) = self.history.remote() {
                // Nothing here at all: a reader with only the archive must know what it holds
                // before it can say there is nothing yet (the archiver lists it again every
                // poll interval). Where days are known locally (our own uploads are recorded
                // here), the store being down delays nobody.
                if let Err(e) = remote.ensure_listed(&self.history.catalog) {
                    self.report(Error::read("list the archive", remote.url(), e), rx);
                    return false;
                }
                days = self.history.catalog.days(Some(today));
            }
        }
        if let Some(cur) = current {
            if !days.iter().any(|d| d.day == cur.day) {
                // Keep our place even if the day vanished under us.
                days.push(cur);
                days.sort_by_key(|d| d.day);
            }
        }
        self.days = days;
        true
    }

    /// Reports a logfile that shrank or disappeared under the reader: an append-only log
    /// never does either (a day deleted after its upload is not missing: it is archived).
    fn check_integrity(&mut self, rx: Option<&Receiver<Signal>>) {
        let (Some(reader), Some(i)) = (self.reader.as_ref(), self.idx) else {
            return;
        };
        if !reader.source().is_local() {
            return;
        }
        let day = self.days[i].day;
        let problem = match reader.sizes() {
            Ok((size, read)) if size < read => Some(format!(
                "it shrank to {size} bytes after {read} bytes were read; events were removed from an append-only log"
            )),
            Ok(_) if (reader.source().delete_pending()
                || !Path::new(&self.history.pattern.path_for(day)).exists())
                && self.history.catalog.entry(day).is_none_or(|e| e.archived.is_none()) =>
            {
                Some("it was deleted while being read".to_string())
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            let path = self.current_path();
            self.report(
                Error::read("follow", path, std::io::Error::other(problem)),
                rx,
            );
        }
    }

    fn current_path(&self) -> String {
        self.reader
            .as_ref()
            .map(|r| r.path().to_string())
            .unwrap_or_default()
    }

    /// Watches the directory of the current logfile (or the pattern's base directory before
    /// one exists), so that writes by other processes wake us within milliseconds.
    fn watch_current_dir(&mut self) {
        let dir = match self.idx.and_then(|i| self.days[i].local.as_ref()) {
            Some(path) => Path::new(path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            None => self.history.pattern.base_path(),
        };
        if self.watcher.as_ref().is_some_and(|(_, d)| *d == dir) {
            return;
        }
        self.watcher = None;
        let tx = self.wake_tx.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            use notify::event::{EventKind, ModifyKind};
            let rescan = match event.map(|e| e.kind) {
                // Opens and closes (our own reads among them) change nothing.
                Ok(EventKind::Access(_)) => return,
                // Appends: read on, no need to list the directory.
                Ok(EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any)) => false,
                // Created, removed or renamed files, and anything unclear: list again.
                _ => true,
            };
            let _ = tx.send(Signal::Wake { rescan });
        });
        match watcher {
            Ok(mut w) => match w.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => self.watcher = Some((w, dir)),
                // No directory yet, or no watches left: the poll covers it.
                Err(e) => debug!("reader", "cannot watch {}: {e}", dir.display()),
            },
            Err(e) => debug!("reader", "no file watcher: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::day::Day;
    use crate::pattern::Pattern;
    use std::fs;
    use std::sync::mpsc::{self, Receiver};

    struct ChannelSink(mpsc::Sender<Delivery>);
    impl Sink for ChannelSink {
        fn deliver(&mut self, d: Delivery) -> bool {
            self.0.send(d).is_ok()
        }
    }

    struct Setup {
        history: Arc<History>,
        wakes: Wakes,
    }

    fn setup(dir: &Path) -> Setup {
        let p = Arc::new(Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap());
        Setup {
            history: Arc::new(History::new(p, Clock::system())),
            wakes: Wakes::default(),
        }
    }

    fn start(s: &Setup, from: Option<Start>) -> (Tailer, Receiver<Delivery>) {
        let (tx, rx) = mpsc::channel();
        let t = Tailer::spawn(s.history.clone(), &s.wakes, from, None, ChannelSink(tx)).unwrap();
        (t, rx)
    }

    /// The next delivery (acknowledged), or a panic after 5 s.
    fn next(t: &Tailer, rx: &Receiver<Delivery>) -> Delivery {
        let d = rx.recv_timeout(Duration::from_secs(5)).expect("a delivery");
        t.ack();
        d
    }

    fn past_day(days_ago: i64) -> Day {
        Day::from_epoch_ms(Clock::system().now_ms() - days_ago * 86_400_000)
    }

    fn line(n: u32) -> String {
        format!("{{\"event\":{n},\"meta\":{{\"id\":\"{:032}\"}}}}\n", n)
    }

    fn write(dir: &Path, day: Day, text: &str) {
        use std::io::Write;
        let path = dir.join(format!("e-{day}.log"));
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn replays_days_in_order_in_one_delivery_then_syncs() {
        let tmp = tempfile::tempdir().unwrap();
        let (d1, d2) = (past_day(3), past_day(1));
        write(tmp.path(), d2, &line(3));
        write(tmp.path(), d1, &(line(1) + &line(2)));
        let s = setup(tmp.path());
        let (t, rx) = start(&s, None);
        let a = next(&t, &rx);
        assert_eq!((a.events.as_str(), a.count), ("[1\n,2\n,3]", 3));
        assert_eq!(a.ids, format!("{:032}{:032}{:032}", 1, 2, 3));
        let segs: Vec<_> = a
            .segments
            .iter()
            .map(|s| {
                (
                    s.at,
                    s.closed.is_some(),
                    s.opened.is_some(),
                    s.first_pos,
                    s.prev_pos,
                )
            })
            .collect();
        assert_eq!(
            segs,
            vec![
                (0, false, true, encode(d1, 0), None),
                (2, true, true, encode(d2, 0), Some(encode(d1, 1))),
            ]
        );
        let synced = a.synced.expect("caught up after the last day");
        assert_eq!((synced.rows, synced.next_pos), (1, encode(d2, 1)));
        t.stop_and_wait();
    }

    #[test]
    fn starts_mid_day_and_never_delivers_a_torn_line() {
        let tmp = tempfile::tempdir().unwrap();
        let d = past_day(1);
        write(
            tmp.path(),
            d,
            "{\"event\":0}\n{\"event\":1}\n{\"event\":2}\n{\"event\":\"torn",
        );
        let s = setup(tmp.path());
        let (t, rx) = start(&s, Some(Start { day: d, line: 1 }));
        let a = next(&t, &rx);
        assert_eq!(
            (
                a.events.as_str(),
                a.segments[0].first_pos,
                a.segments[0].prev_pos
            ),
            ("[1\n,2]", encode(d, 1), Some(encode(d, 0)))
        );
        assert_eq!(a.other_ids, vec![(0, None), (1, None)]);
        assert_eq!(a.synced.map(|s| s.rows), Some(3));
        write(tmp.path(), d, "\"}\n");
        s.wakes.notify(false);
        let b = next(&t, &rx);
        assert_eq!(
            (b.events.as_str(), b.segments[0].first_pos),
            ("[\"torn\"]", encode(d, 3))
        );
        t.stop_and_wait();
    }

    #[test]
    fn seeks_deep_into_a_sealed_day_by_its_index() {
        let tmp = tempfile::tempdir().unwrap();
        let (d1, d2) = (past_day(2), past_day(1));
        let n = 5 * crate::index::STEP as u32 + 10;
        write(tmp.path(), d1, &(0..n).map(line).collect::<String>());
        write(tmp.path(), d2, &line(0));
        let s = setup(tmp.path());
        let from = n as u64 - 3;
        let (t, rx) = start(
            &s,
            Some(Start {
                day: d1,
                line: from,
            }),
        );
        let a = next(&t, &rx);
        assert_eq!(a.segments[0].first_pos, encode(d1, from));
        assert_eq!(a.segments[0].prev_pos, Some(encode(d1, from - 1)));
        assert_eq!(a.count, 4);
        assert!(s.history.indexes.cached(d1).is_some(), "the index was used");
        t.stop_and_wait();
    }

    #[test]
    fn waits_for_the_first_logfile() {
        let tmp = tempfile::tempdir().unwrap();
        let s = setup(tmp.path());
        let (t, rx) = start(&s, None);
        let first = next(&t, &rx);
        assert_eq!(first.count, 0);
        assert_eq!(first.synced.map(|s| s.rows), Some(0));
        let today = Clock::system().today();
        write(tmp.path(), today, "{}\n");
        // Found by the watcher or, failing that, the poll; the file may be seen empty first.
        let mut d = next(&t, &rx);
        while d.count == 0 {
            d = next(&t, &rx);
        }
        assert_eq!((d.count, d.segments[0].first_pos), (1, encode(today, 0)));
        t.stop_and_wait();
    }
}
