//! The archive tier: sealed days go to an S3-compatible store, readers replay them from there,
//! and the local disk keeps only recent days.
//!
//! - `crate::remote` (below `history`, so readers never depend on the archiver): the `archive`
//!   option, the store client, and reading the archive.
//! - `upload`: one day up, idempotent, resumable, verified, recorded.
//! - `layout`: the indexes of archives written before `_eventlog/` moved there (object keys:
//!   `ArchiveConfig::index_key`).
//! - here: the `Archiver`, a log's background task on a runtime of its own. At open, after
//!   each rollover and every poll interval it makes a pass — seal the days before today,
//!   upload the sealed ones not yet uploaded, delete local days beyond `keepLocalDays` whose
//!   upload is verified — and lists the archive for days other machines sealed. A pass runs in
//!   one process at a time (an archive lock in our files); `Archiver::pass_now` waits its turn.
//!
//! The store being down changes nothing for writers and consumers of local days: passes fail
//! and are retried with backoff, and nothing is deleted that is not verified in the archive.

mod health;
mod layout;
mod streams;
mod upload;

use std::fs::File;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::ObjectStore;
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::catalog::read_record;
use crate::day::Day;
use crate::debug::debug;
use crate::error::{Error, Result};
use crate::history::History;
use crate::lock::open_lock_file;
use crate::remote::{failure, ArchiveConfig, Remote};
use crate::sys;
use crate::wake::Wakes;
use health::Health;
pub use health::{ArchiveSnapshot, ArchiveStatus, LastError};
use upload::DayUpload;

/// How long closing a log waits for archive work in flight (an upload is resumed later).
pub const STOP_BOUND: Duration = Duration::from_secs(2);
/// The first wait before retrying a failed pass; it doubles up to the poll interval.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// What one pass did, by day.
#[derive(Debug, Default)]
pub struct PassReport {
    pub uploaded: Vec<Day>,
    pub pruned: Vec<Day>,
    /// Days that could not be uploaded (they stay local), with why.
    pub failed: Vec<(Day, Error)>,
}

/// Told why a background pass failed (`Archiver::listen`).
pub type ErrorListener = Arc<dyn Fn(&Error) + Send + Sync>;

/// Every day uploaded or pruned by this process's passes, in order.
#[derive(Default)]
struct Done {
    uploaded: Vec<Day>,
    pruned: Vec<Day>,
}

/// Seals the days before the given day under the writers' lock and returns the newest day (the
/// log's writer does it; a read-only log has none and uploads nothing).
pub type Sealer = Arc<dyn Fn(Day) -> Result<Day> + Send + Sync>;

/// Called once with the result of `pass_now`.
pub type PassDone = Box<dyn FnOnce(Result<PassReport>) + Send>;

struct Ctx {
    remote: Arc<Remote>,
    history: Arc<History>,
    wakes: Arc<Wakes>,
    sealer: Mutex<Option<Sealer>>,
    /// One pass at a time in this process.
    passes: tokio::sync::Mutex<()>,
    /// What this process's passes uploaded and pruned so far, so that a pass that waited for
    /// another can report that one's work too.
    done: Mutex<Done>,
    /// Wakes the background loop early (a rollover).
    trigger: Arc<tokio::sync::Notify>,
    /// Those told when a background pass fails, by the id `listen` gave them.
    listeners: Mutex<Vec<(u64, ErrorListener)>>,
    closing: watch::Receiver<bool>,
    /// What the passes did, for metrics and `eventlog stat`.
    health: Health,
}

/// A log's archiver; dropping it stops its work within `STOP_BOUND`.
pub struct Archiver {
    runtime: Option<Runtime>,
    ctx: Arc<Ctx>,
    close: watch::Sender<bool>,
}

impl Archiver {
    /// Starts the archiver of a log: its runtime, its background loop, and its reading side
    /// (given to `history`).
    pub fn start(
        config: ArchiveConfig,
        history: Arc<History>,
        wakes: Arc<Wakes>,
    ) -> Result<Archiver> {
        let store = config.build_store()?;
        let health = Health::new(&history.files, config.url());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("eventlog-archive")
            .enable_all()
            .build()
            .map_err(|e| Error::Archive {
                url: config.url().to_string(),
                detail: format!("could not start its threads: {e}"),
            })?;
        let remote = Arc::new(Remote::new(
            store,
            config,
            history.pattern.clone(),
            runtime.handle().clone(),
        ));
        history.attach_remote(remote.clone());
        let (close, closing) = watch::channel(false);
        let ctx = Arc::new(Ctx {
            remote,
            history,
            wakes,
            sealer: Mutex::new(None),
            passes: tokio::sync::Mutex::new(()),
            done: Mutex::new(Done::default()),
            trigger: Arc::new(tokio::sync::Notify::new()),
            listeners: Mutex::default(),
            closing,
            health,
        });
        runtime.spawn(background(ctx.clone()));
        Ok(Archiver {
            runtime: Some(runtime),
            ctx,
            close,
        })
    }

    pub fn config(&self) -> &ArchiveConfig {
        &self.ctx.remote.config
    }

    /// The log has a writer: from now on passes seal and upload.
    pub fn set_sealer(&self, sealer: Sealer) {
        if let Ok(mut s) = self.ctx.sealer.lock() {
            *s = Some(sealer);
        }
        self.trigger();
    }

    /// Tells `listener` why background passes fail from now on (once per distinct failure,
    /// and again after a pass that succeeded); returns its id for `unlisten`.
    pub fn listen(&self, listener: ErrorListener) -> u64 {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut l) = self.ctx.listeners.lock() {
            l.push((id, listener));
        }
        id
    }

    pub fn unlisten(&self, id: u64) {
        if let Ok(mut l) = self.ctx.listeners.lock() {
            l.retain(|(i, _)| *i != id);
        }
    }

    /// How the archive keeps up (`health.rs`): lists the local days to count those waiting.
    pub fn snapshot(&self) -> Result<ArchiveSnapshot> {
        let history = &self.ctx.history;
        let days = history
            .catalog
            .refresh(None)
            .map_err(|e| Error::read("list", history.pattern.base_path(), e))?;
        Ok(self.ctx.health.snapshot(&days, history.clock.today()))
    }

    /// Makes a pass soon (after a rollover).
    pub fn trigger(&self) {
        self.ctx.trigger.notify_one();
    }

    /// What `trigger` notifies, for those who must not hold the archiver.
    pub fn trigger_handle(&self) -> Arc<tokio::sync::Notify> {
        self.ctx.trigger.clone()
    }

    /// Makes a pass now, after any pass running here or in another process; `done` gets its
    /// report, or why it could not be made.
    pub fn pass_now(&self, done: PassDone) {
        let guard = DoneOnce(Some(done));
        let ctx = self.ctx.clone();
        let Some(runtime) = &self.runtime else {
            return guard.finish(Err(Error::Stopped));
        };
        runtime.spawn(async move {
            let mut closing = ctx.closing.clone();
            let result = tokio::select! {
                r = pass(&ctx, None) => r.map(Option::unwrap_or_default),
                _ = closing.wait_for(|c| *c) => Err(Error::Stopped),
            };
            guard.finish(result);
        });
    }
}

impl Drop for Archiver {
    fn drop(&mut self) {
        let _ = self.close.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(STOP_BOUND);
        }
    }
}

/// Calls a `PassDone` exactly once: with the result, or, if the task is dropped first (the
/// log closed), with `Stopped`.
struct DoneOnce(Option<PassDone>);

impl DoneOnce {
    fn finish(mut self, result: Result<PassReport>) {
        if let Some(done) = self.0.take() {
            done(result);
        }
    }
}

impl Drop for DoneOnce {
    fn drop(&mut self) {
        if let Some(done) = self.0.take() {
            done(Err(Error::Stopped));
        }
    }
}

/// The background loop: at open, after each rollover and every poll interval (sooner, with
/// backoff, after a failure), a listing of the archive and then a pass.
async fn background(ctx: Arc<Ctx>) {
    let poll = ctx.remote.config.poll_interval;
    let mut backoff = FIRST_BACKOFF;
    let mut closing = ctx.closing.clone();
    // The kind of failure last told to the listeners (a lasting one is told once).
    let mut told: Option<&'static str> = None;
    loop {
        // The listing first: it finds days sealed elsewhere, and it is the pass's test that
        // the store can be reached (a pass is not tried against a store that cannot be).
        let mut old_indexes = Vec::new();
        let mut failure = match ctx.remote.list().await {
            Ok(found) => {
                if ctx.remote.note_listing(&ctx.history.catalog, found.days) {
                    ctx.wakes.notify(true);
                }
                old_indexes = found.old_indexes;
                None
            }
            Err(e) => {
                let e = failure::classify(&ctx.remote.config, &e);
                debug!("archive", "could not list: {e}");
                Some(e)
            }
        };
        let writable = ctx.sealer.lock().is_ok_and(|s| s.is_some());
        if let Some(e) = failure.as_ref().filter(|_| writable) {
            // The pass this listing stands in for failed.
            ctx.health.failed(&ctx.history.files, e);
        }
        if writable && failure.is_none() {
            match pass(&ctx, Some(old_indexes)).await {
                Ok(Some(mut r)) if !r.failed.is_empty() => {
                    for (day, why) in &r.failed {
                        debug!("archive", "could not upload {day}: {why}");
                    }
                    failure = Some(r.failed.swap_remove(0).1);
                }
                Ok(_) => {}
                Err(Error::Stopped) => break,
                Err(e) => {
                    debug!("archive", "pass failed: {e}");
                    failure = Some(e);
                }
            }
        }
        let failing = failure.is_some();
        tell(&ctx, failure, &mut told);
        let wait = if failing {
            let w = backoff;
            backoff = (backoff * 2).min(poll);
            w
        } else {
            backoff = FIRST_BACKOFF;
            poll
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.trigger.notified() => {}
            _ = closing.wait_for(|c| *c) => break,
        }
    }
}

/// Tells the listeners of a failure unless one of its kind (its code) was told last; a
/// success (`None`) makes the next failure news again. (Messages differ from one try to the
/// next in little things, such as how long a request took.)
fn tell(ctx: &Ctx, failure: Option<Error>, told: &mut Option<&'static str>) {
    let Some(e) = failure else {
        *told = None;
        return;
    };
    if *told == Some(e.code()) {
        return;
    }
    *told = Some(e.code());
    let listeners: Vec<ErrorListener> = ctx
        .listeners
        .lock()
        .map(|l| l.iter().map(|(_, f)| f.clone()).collect())
        .unwrap_or_default();
    for listener in listeners {
        listener(&e);
    }
}

/// One pass. A background pass is given what the listing before it found of indexes beside
/// their days, and is skipped (`None`) while another pass runs; an explicit one (`None`) waits
/// for any other pass and lists for itself.
async fn pass(ctx: &Ctx, old_indexes: Option<Vec<String>>) -> Result<Option<PassReport>> {
    let explicit = old_indexes.is_none();
    let url = ctx.remote.url().to_string();
    let sealer = ctx
        .sealer
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .ok_or(Error::ReadOnly("upload days to the archive"))?;
    // What the passes before this call did, to tell the work done since from theirs.
    let counts = |d: &Done| (d.uploaded.len(), d.pruned.len());
    let before = ctx.done.lock().map(|d| counts(&d)).unwrap_or_default();
    let _turn = if explicit {
        ctx.passes.lock().await
    } else {
        match ctx.passes.try_lock() {
            Ok(g) => g,
            Err(_) => return Ok(None),
        }
    };
    let own = pass_locked(ctx, &url, sealer, old_indexes).await;
    ctx.health.record(&ctx.history.files, &own);
    let Some(own) = own? else {
        return Ok(None);
    };
    let Ok(mut done) = ctx.done.lock() else {
        return Ok(Some(own));
    };
    // A pass this one waited for did part of the work: it is reported here too.
    let mut report = PassReport {
        uploaded: done.uploaded[before.0..].to_vec(),
        pruned: done.pruned[before.1..].to_vec(),
        failed: own.failed,
    };
    add_work(own.uploaded, &mut done.uploaded, &mut report.uploaded);
    add_work(own.pruned, &mut done.pruned, &mut report.pruned);
    Ok(Some(report))
}

/// Adds a pass's `days` to what every pass did, and to `report` (each day once: a day whose
/// record was lost is found and recorded again).
fn add_work(days: Vec<Day>, all: &mut Vec<Day>, report: &mut Vec<Day>) {
    for day in days {
        all.push(day);
        if !report.contains(&day) {
            report.push(day);
        }
    }
}

/// A pass, holding this process's turn: takes the archive lock, then does the work.
async fn pass_locked(
    ctx: &Ctx,
    url: &str,
    sealer: Sealer,
    old_indexes: Option<Vec<String>>,
) -> Result<Option<PassReport>> {
    let explicit = old_indexes.is_none();
    let lock_path = ctx.history.files.archive_lock();
    let Some(_there) = blocking(move || lock_archive(&lock_path, explicit)).await? else {
        debug!("archive", "another process is making a pass");
        return Ok(None);
    };
    // One cheap request first: a store that cannot be reached fails the pass as a whole. (A
    // background pass follows a listing that just succeeded.)
    let prefix = &ctx.remote.config.prefix;
    let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
    // Its retries end within the retry window; a store that takes the connection and never
    // answers is given as long again (then the answer is a timeout of ours).
    if explicit {
        let config = &ctx.remote.config;
        let bound = config.retry_timeout * 2 + Duration::from_secs(1);
        match tokio::time::timeout(bound, ctx.remote.store.list_with_delimiter(prefix)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(failure::classify(config, &e)),
            Err(_) => return Err(failure::timed_out(config, bound)),
        }
    }
    let history = ctx.history.clone();
    let today = history.clock.today();
    let head = blocking(move || sealer(today)).await?;
    let h = history.clone();
    let days = blocking(move || {
        h.catalog
            .refresh(None)
            .map_err(|e| Error::read("list", h.pattern.base_path(), e))
    })
    .await?;
    let files = &history.files;
    let mut report = PassReport::default();
    // Local days whose upload of exactly their bytes is verified and recorded: the only ones
    // that may be deleted.
    let mut verified: Vec<(Day, String)> = Vec::new();
    for entry in days.iter().filter(|e| e.day < head) {
        let Some(path) = entry.local.clone() else {
            continue;
        };
        if *ctx.closing.borrow() {
            return Err(Error::Stopped);
        }
        let Ok(size) = std::fs::metadata(&path).map(|m| m.len()) else {
            continue; // deleted since the listing (pruned by another process)
        };
        if let Some(record) = read_record(files, entry.day, url).filter(|r| r.size == size) {
            streams::put(&ctx.remote, &history, entry.day, &record.key).await;
            history.catalog.note_archived(entry.day, record);
            verified.push((entry.day, path));
            continue;
        }
        let (h, day, p) = (history.clone(), entry.day, path.clone());
        let index = blocking(move || {
            h.indexes
                .get(day, std::path::Path::new(&p), true, true)
                .map_err(|e| Error::read("index", &p, e))
        })
        .await;
        let job = index.map(|index| DayUpload {
            day: entry.day,
            path: path.clone(),
            index,
        });
        let uploaded = match job {
            Ok(job) => upload::upload(&ctx.remote, files, job)
                .await
                .map_err(|e| failure::classify(&ctx.remote.config, &e)),
            Err(e) => Err(e),
        };
        match uploaded {
            Ok(archived) => {
                streams::put(&ctx.remote, &history, entry.day, &archived.key).await;
                history.catalog.note_archived(entry.day, archived);
                report.uploaded.push(entry.day);
                verified.push((entry.day, path));
            }
            Err(why) => report.failed.push((entry.day, why)),
        }
    }
    if let Some(keep) = ctx.remote.config.keep_local_days {
        let cutoff = today.add_days(-i64::from(keep));
        for (day, path) in verified.iter().filter(|(day, _)| *day < cutoff) {
            // sys: on Windows the name must go at once although readers may have it open.
            match sys::remove_file(std::path::Path::new(path), history.files.dir()) {
                Ok(()) => {
                    debug!("archive", "deleted {path}: it is in the archive");
                    history.catalog.forget_local(*day);
                    report.pruned.push(*day);
                }
                // Deleted since the listing (pruned by another process).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => report
                    .failed
                    .push((*day, Error::write("delete the uploaded logfile", path, e))),
            }
        }
    }
    let old_indexes = match old_indexes {
        Some(keys) => keys,
        None => match ctx.remote.list().await {
            Ok(found) => found.old_indexes,
            Err(e) => {
                debug!(
                    "archive",
                    "could not list for indexes beside their days: {e}"
                );
                Vec::new()
            }
        },
    };
    layout::move_old_indexes(&ctx.remote, &old_indexes).await;
    if !report.uploaded.is_empty() || !report.pruned.is_empty() {
        ctx.wakes.notify(true);
    }
    Ok(Some(report))
}

/// Takes the archive lock: waiting for it (`wait`), or `None` if another process holds it.
fn lock_archive(path: &std::path::Path, wait: bool) -> Result<Option<File>> {
    let file = open_lock_file(path)?;
    if wait {
        sys::lock_exclusive(&file).map_err(|e| Error::write("lock", path, e))?;
        return Ok(Some(file));
    }
    match sys::try_lock_exclusive(&file) {
        Ok(true) => Ok(Some(file)),
        Ok(false) => Ok(None),
        Err(e) => Err(Error::write("lock", path, e)),
    }
}

/// Runs blocking work (files, locks) off the runtime's workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or(Err(Error::Stopped))
}
