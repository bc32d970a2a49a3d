//! A consumer's reader thread: replays the logfiles in position order, then follows new lines
//! and new days live. It hands JavaScript deliveries (batches of raw JSON lines as one array
//! text), at most `WINDOW` unacknowledged at a time, reading on while JavaScript works.
//!
//! Wake-ups come from writers in this process (`wake`), from the file watcher for writes by
//! other processes, and from a slow poll as a fallback where watching is not possible.
//!
//! The state sits behind a mutex so that, right after a write in this process, the
//! JavaScript thread can take one step of an idle consumer itself (`Tailer::poll`): the new
//! lines then reach the callback without two thread hand-offs, which cost more than
//! everything else on the live path.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::day::today;
use crate::debug::debug;
use crate::discovery::{last_position_before, list_logfiles, Logfile};
use crate::error::Error;
use crate::pattern::Pattern;
use crate::position::{encode, Start};
use crate::reader::{LineReader, Stop};
use crate::wake::{self, Signal};

/// Most lines in one delivery.
pub const BATCH_LINES: usize = 256;
/// Most bytes in one delivery (a single longer line still goes whole).
pub const BATCH_BYTES: usize = 1 << 20;
/// How often an idle consumer looks for changes the watcher may have missed.
const POLL: Duration = Duration::from_millis(250);
/// Every this many polls, an idle consumer lists the directory again.
const POLLS_PER_RESCAN: u32 = 20;
/// Deliveries JavaScript may hold at once: while it works through one, the next is already
/// there, so the hand-off latency is hidden (it dominates with many small day files).
const WINDOW: usize = 2;

/// One hand-over to JavaScript, applied in this order: `closed`, `opened`, the lines, `synced`,
/// `error`.
#[derive(Debug, Default)]
pub struct Delivery {
    /// The logfile the consumer has finished.
    pub closed: Option<String>,
    /// The logfile the consumer has started.
    pub opened: Option<String>,
    /// `count` lines as the text of a JSON array (`[line,line,…]`).
    pub lines: String,
    pub count: usize,
    /// Position of the first line; the others follow one by one.
    pub first_pos: u64,
    /// Position of the line before the first one.
    pub prev_pos: Option<u64>,
    /// After these lines the consumer has caught up with everything written so far.
    pub synced: Option<Synced>,
    /// Something the user should know of; the consumer goes on.
    pub error: Option<Error>,
}

#[derive(Debug)]
pub struct Synced {
    /// The logfile caught up in (today's, if there is none yet).
    pub logfile: String,
    /// Lines in it.
    pub rows: u64,
    /// The position the next line will have in it.
    pub next_pos: u64,
}

/// Where deliveries go. Returns `false` once nobody listens any more, which ends the thread.
/// Called from the consumer's thread, or from the thread that calls `Tailer::poll`.
pub trait Sink: Send + 'static {
    fn deliver(&mut self, delivery: Delivery) -> bool;
}

/// Handle to a consumer's thread.
pub struct Tailer {
    tx: Sender<Signal>,
    state: Arc<Mutex<State>>,
    thread: Option<JoinHandle<()>>,
}

impl Tailer {
    pub fn spawn(
        pattern: Arc<Pattern>,
        start: Option<Start>,
        sink: impl Sink,
    ) -> std::io::Result<Tailer> {
        let (tx, rx) = channel();
        wake::subscribe(&pattern.absolute_key(), tx.clone());
        let state = Arc::new(Mutex::new(State {
            pattern,
            start,
            sink: Box::new(sink),
            wake_tx: tx.clone(),
            files: Vec::new(),
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
        let shared = state.clone();
        let thread = thread::Builder::new()
            .name("eventlog-consumer".into())
            .spawn(move || run(&shared, &rx))?;
        Ok(Tailer {
            tx,
            state,
            thread: Some(thread),
        })
    }

    /// Tells the consumer that this process has just written (`rescan`: a new logfile). If
    /// it is idle and free, takes its step right here (never blocking), so the new lines
    /// reach JavaScript without thread hand-offs; otherwise wakes its thread.
    pub fn poll(&self, rescan: bool) {
        if let Ok(mut state) = self.state.try_lock() {
            if !state.window_full() && !state.stopped {
                state.rescan |= rescan;
                state.step(None);
                return;
            }
        }
        let _ = self.tx.send(Signal::Wake { rescan });
    }

    /// JavaScript has handled a delivery. Recorded directly when the thread is idle (so that
    /// a `poll` right after finds the consumer free, and the thread sleeps on); a thread
    /// waiting to hand over more is told through its channel.
    pub fn ack(&self) {
        if let Ok(mut state) = self.state.try_lock() {
            state.in_flight = state.in_flight.saturating_sub(1);
            if !state.deferred.is_empty() {
                // Counted already: only wake the thread to hand the deferred ones over.
                let _ = self.tx.send(Signal::Wake { rescan: false });
            }
            return;
        }
        let _ = self.tx.send(Signal::Ack);
    }

    /// Ends the consumer; no delivery is handed over after this returns to JavaScript's side.
    pub fn stop(&self) {
        let _ = self.tx.send(Signal::Stop);
    }

    /// Stops and waits for the thread (tests).
    pub fn stop_and_wait(mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct State {
    pattern: Arc<Pattern>,
    start: Option<Start>,
    sink: Box<dyn Sink>,
    wake_tx: Sender<Signal>,
    /// Logfiles known, oldest first, none later than today.
    files: Vec<Logfile>,
    /// Index in `files` of the one being read.
    idx: Option<usize>,
    reader: Option<LineReader>,
    /// Lines of the current file before this index are passed over (the start position).
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
    /// The directory may hold logfiles not yet in `files`.
    rescan: bool,
    closed: Option<String>,
    opened: Option<String>,
    watcher: Option<(RecommendedWatcher, PathBuf)>,
    idle_polls: u32,
    /// The last error reported, so that a lasting one is reported once.
    reported: Option<String>,
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
    debug!("reader", "consumer stopped");
}

impl State {
    /// One step: hand over what is deferred, or read and hand over one delivery, or find
    /// nothing to do (`Idle`). `rx` is where to wait for acknowledgements; without it
    /// (`poll`), deliveries that would have to wait are deferred instead.
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
        let mut batch = Batch::new();
        let stop = match self.read_into(&mut batch) {
            Ok(stop) => stop,
            Err(e) => {
                let path = self.current_path();
                self.report(Error::read("read", path, e), rx);
                return Step::Idle;
            }
        };
        let mut at_end = stop == Stop::EndOfFile;
        if at_end && batch.count == 0 && batch.consumed == 0 {
            if !self.newer_file_known(rx) {
                self.check_file_integrity(rx);
                // Watch before saying we caught up, so a write right after is not missed.
                self.watch_current_dir();
                self.say_synced(rx);
                return Step::Idle;
            }
            // Writers move to a new day under their lock, so once a later file exists this
            // one is complete: read it to the end once more, then move on.
            match self.read_into(&mut batch) {
                Ok(Stop::EndOfFile) if batch.count == 0 && batch.consumed == 0 => {
                    self.next_file(rx);
                    return Step::Progress;
                }
                Ok(stop) => at_end = stop == Stop::EndOfFile,
                Err(e) => {
                    let path = self.current_path();
                    self.report(Error::read("read", path, e), rx);
                    return Step::Idle;
                }
            }
        }
        if batch.count == 0 && self.opened.is_none() && self.closed.is_none() {
            // Only lines before the start position went by.
            return Step::Progress;
        }
        let synced = at_end && !self.newer_file_known(rx);
        let delivery = self.finish(batch, synced);
        self.hand_over(delivery, rx);
        Step::Progress
    }

    fn read_into(&mut self, batch: &mut Batch) -> std::io::Result<Stop> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(Stop::EndOfFile);
        };
        let day = self.files[self.idx.unwrap_or(0)].day;
        let skip_until = self.skip_until;
        let last_pos = &mut self.last_pos;
        let room_lines = BATCH_LINES - batch.count;
        let room_bytes = BATCH_BYTES.saturating_sub(batch.text.len()).max(1);
        let mut line_no = reader.lines();
        reader.read_lines(room_lines, room_bytes, |line| {
            let pos = encode(day, line_no);
            line_no += 1;
            batch.consumed += 1;
            if line_no <= skip_until {
                *last_pos = Some(pos);
                return;
            }
            if batch.count == 0 {
                batch.first_pos = pos;
                batch.prev_pos = *last_pos;
                batch.text.reserve(64 * 1024);
                batch.text.push(b'[');
            } else {
                batch.text.extend_from_slice(b"\n,");
            }
            batch.text.extend_from_slice(line);
            batch.count += 1;
            *last_pos = Some(pos);
        })
    }

    fn finish(&mut self, batch: Batch, synced: bool) -> Delivery {
        let mut text = batch.text;
        if batch.count > 0 {
            text.push(b']');
        }
        let lines = String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        self.synced = synced;
        Delivery {
            closed: self.closed.take(),
            opened: self.opened.take(),
            lines,
            count: batch.count,
            first_pos: batch.first_pos,
            prev_pos: batch.prev_pos,
            synced: synced.then(|| self.sync_info()),
            error: None,
        }
    }

    fn sync_info(&self) -> Synced {
        match (&self.reader, self.idx) {
            (Some(r), Some(i)) => Synced {
                logfile: r.path().to_string(),
                rows: r.lines(),
                next_pos: encode(self.files[i].day, r.lines()),
            },
            _ => {
                let day = today();
                Synced {
                    logfile: self.pattern.path_for(day),
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
        self.synced = true;
        let delivery = Delivery {
            closed: self.closed.take(),
            opened: self.opened.take(),
            synced: Some(self.sync_info()),
            ..Delivery::default()
        };
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

    /// Opens the first logfile at or after the start position, if one exists yet.
    fn open_first(&mut self, rx: Option<&Receiver<Signal>>) -> bool {
        if !self.rescan {
            // Between listings, a cheap look for today's logfile (the one a writer creates).
            let today = today();
            let wanted = self.start.is_none_or(|s| s.day <= today);
            if !wanted || !Path::new(&self.pattern.path_for(today)).exists() {
                return false;
            }
        }
        self.refresh_files(rx);
        let from = self.start.map(|s| s.day);
        let Some(i) = self
            .files
            .iter()
            .position(|f| from.is_none_or(|d| f.day >= d))
        else {
            return false;
        };
        let day = self.files[i].day;
        self.skip_until = match self.start {
            Some(s) if s.day == day => s.line,
            _ => 0,
        };
        match last_position_before(&self.pattern, day, None) {
            Ok(last) => self.last_pos = last,
            Err(e) => {
                self.report(e, rx);
                return false;
            }
        }
        self.open_index(i, rx)
    }

    fn open_index(&mut self, i: usize, rx: Option<&Receiver<Signal>>) -> bool {
        let path = self.files[i].path.clone();
        match LineReader::open(&path) {
            Ok(reader) => {
                debug!("reader", "reading {path}");
                self.reader = Some(reader);
                self.idx = Some(i);
                self.opened = Some(path);
                true
            }
            Err(e) => {
                self.report(Error::read("open", path, e), rx);
                false
            }
        }
    }

    fn next_file(&mut self, rx: Option<&Receiver<Signal>>) {
        let Some(i) = self.idx else { return };
        if let Some(r) = self.reader.take() {
            if r.partial_tail() > 0 {
                let path = r.path().to_string();
                self.report(Error::read(
                    "finish",
                    &path,
                    std::io::Error::other(format!(
                        "its last line ({} bytes) has no newline and was skipped; a writer died mid-write",
                        r.partial_tail()
                    )),
                ), rx);
            }
            debug!("reader", "finished {}", r.path());
            self.closed = Some(r.path().to_string());
        }
        self.skip_until = 0;
        self.open_index(i + 1, rx);
    }

    /// Whether a logfile later than the current one exists (by today's clock).
    fn newer_file_known(&mut self, rx: Option<&Receiver<Signal>>) -> bool {
        let Some(i) = self.idx else { return false };
        if i + 1 < self.files.len() {
            return true;
        }
        let current = self.files[i].day;
        let today = today();
        if !self.rescan && today > current && Path::new(&self.pattern.path_for(today)).exists() {
            self.rescan = true;
        }
        if self.rescan {
            self.refresh_files(rx);
            if let Some(j) = self.files.iter().position(|f| f.day == current) {
                self.idx = Some(j);
                return j + 1 < self.files.len();
            }
            // The current file vanished from the listing; go on with what comes after it.
            return self.files.iter().any(|f| f.day > current);
        }
        false
    }

    fn refresh_files(&mut self, rx: Option<&Receiver<Signal>>) {
        self.rescan = false;
        let current = self.idx.map(|i| self.files[i].day);
        match list_logfiles(&self.pattern, Some(today())) {
            Ok(mut files) => {
                if let Some(day) = current {
                    if !files.iter().any(|f| f.day == day) {
                        // Keep our place even if the file was deleted under us.
                        let path = self.pattern.path_for(day);
                        files.push(Logfile { day, path });
                        files.sort_by_key(|f| f.day);
                    }
                }
                self.files = files;
            }
            Err(e) => {
                let dir = self.pattern.base_path();
                self.report(Error::read("list", dir, e), rx);
            }
        }
    }

    /// Reports a logfile that shrank or disappeared under the reader: an append-only log
    /// never does either.
    fn check_file_integrity(&mut self, rx: Option<&Receiver<Signal>>) {
        let Some(reader) = self.reader.as_ref() else {
            return;
        };
        let path = reader.path().to_string();
        let problem = match reader.sizes() {
            Ok((size, read)) if size < read => Some(format!(
                "it shrank to {size} bytes after {read} bytes were read; events were removed from an append-only log"
            )),
            Ok(_) if !Path::new(&path).exists() => {
                Some("it was deleted while being read".to_string())
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
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
        let dir = match &self.reader {
            Some(r) => Path::new(r.path())
                .parent()
                .map(|p| {
                    if p.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        p.to_path_buf()
                    }
                })
                .unwrap_or_else(|| PathBuf::from(".")),
            None => self.pattern.base_path(),
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

/// A delivery being filled.
struct Batch {
    text: Vec<u8>,
    count: usize,
    /// Lines read, delivered or passed over.
    consumed: usize,
    first_pos: u64,
    prev_pos: Option<u64>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            // Allocated with the first line: most live wake-ups find nothing new.
            text: Vec::new(),
            count: 0,
            consumed: 0,
            first_pos: 0,
            prev_pos: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day::Day;
    use std::fs;
    use std::sync::mpsc::{self, Receiver};

    struct ChannelSink(mpsc::Sender<Delivery>);
    impl Sink for ChannelSink {
        fn deliver(&mut self, d: Delivery) -> bool {
            self.0.send(d).is_ok()
        }
    }

    fn start(dir: &std::path::Path, from: Option<Start>) -> (Tailer, Receiver<Delivery>) {
        let p = Arc::new(Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap());
        let (tx, rx) = mpsc::channel();
        (Tailer::spawn(p, from, ChannelSink(tx)).unwrap(), rx)
    }

    /// The next delivery (acknowledged), or a panic after 5 s.
    fn next(t: &Tailer, rx: &Receiver<Delivery>) -> Delivery {
        let d = rx.recv_timeout(Duration::from_secs(5)).expect("a delivery");
        t.ack();
        d
    }

    fn past_day(days_ago: i64) -> Day {
        Day::from_epoch_ms(crate::day::now_ms() - days_ago * 86_400_000)
    }

    fn write(dir: &std::path::Path, day: Day, text: &str) {
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
    fn replays_days_in_order_then_syncs() {
        let tmp = tempfile::tempdir().unwrap();
        let (d1, d2) = (past_day(3), past_day(1));
        write(tmp.path(), d2, "3\n");
        write(tmp.path(), d1, "1\n2\n");
        let (t, rx) = start(tmp.path(), None);
        let a = next(&t, &rx);
        assert_eq!((a.lines.as_str(), a.count), ("[1\n,2]", 2));
        assert_eq!((a.first_pos, a.prev_pos), (encode(d1, 0), None));
        assert!(a.opened.is_some() && a.synced.is_none());
        let b = next(&t, &rx);
        assert!(b.closed.is_some() && b.opened.is_some());
        assert_eq!(
            (b.lines.as_str(), b.first_pos, b.prev_pos),
            ("[3]", encode(d2, 0), Some(encode(d1, 1)))
        );
        let s = b.synced.expect("caught up after the last day");
        assert_eq!((s.rows, s.next_pos), (1, encode(d2, 1)));
        t.stop_and_wait();
    }

    #[test]
    fn starts_mid_day_and_never_delivers_a_torn_line() {
        let tmp = tempfile::tempdir().unwrap();
        let d = past_day(1);
        write(tmp.path(), d, "0\n1\n2\n{\"torn");
        let (t, rx) = start(tmp.path(), Some(Start { day: d, line: 1 }));
        let a = next(&t, &rx);
        assert_eq!(
            (a.lines.as_str(), a.first_pos, a.prev_pos),
            ("[1\n,2]", encode(d, 1), Some(encode(d, 0)))
        );
        assert_eq!(a.synced.map(|s| s.rows), Some(3));
        write(tmp.path(), d, "}\n");
        wake::notify(
            &Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display()))
                .unwrap()
                .absolute_key(),
            false,
        );
        let b = next(&t, &rx);
        assert_eq!(
            (b.lines.as_str(), b.first_pos),
            ("[{\"torn}]", encode(d, 3))
        );
        t.stop_and_wait();
    }

    #[test]
    fn waits_for_the_first_logfile() {
        let tmp = tempfile::tempdir().unwrap();
        let (t, rx) = start(tmp.path(), None);
        let s = next(&t, &rx);
        assert_eq!(s.count, 0);
        assert_eq!(s.synced.map(|s| s.rows), Some(0));
        write(tmp.path(), today(), "{}\n");
        // Found by the watcher or, failing that, the poll; the file may be seen empty first.
        let mut d = next(&t, &rx);
        while d.count == 0 {
            d = next(&t, &rx);
        }
        assert_eq!((d.count, d.first_pos), (1, encode(today(), 0)));
        t.stop_and_wait();
    }
}
