//! `NativeLog`: one JavaScript instance of a log, over the process's `Log` of its pattern.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use eventlog_core::Error as CoreError;
use eventlog_core::{
    parse_start, Actual, ArchiveOptions, Completion, Day, Expectation, Expected, Lines, Log,
    OpenOptions, PassReport, Pattern, ReadRange, Reply, TypeFilter, WriteRequest, PER_DAY,
};

use crate::consumer::{DeliverFn, NativeConsumer, NativeDelivery, TsfnSink};
use crate::metrics::MetricsTask;
use crate::stream::{StreamJob, StreamTask};
use crate::{throwable, NativeError};

/// The result of writing `count` consecutive queued events: the first `written` are in the
/// log from `firstPos` on; the rest failed with the error.
#[napi(object)]
pub struct WriteResult {
    pub count: u32,
    pub written: u32,
    pub first_pos: f64,
    pub prev_pos: Option<f64>,
    pub error: Option<NativeError>,
    /// Lines not written because what they expected did not hold:
    /// `[index, actual previous position (-1: none; -2: a stream's version, in `conflicts`), …]`.
    pub rejected: Option<Vec<f64>>,
    /// Lines not written because their stream's version was not the expected one.
    pub conflicts: Option<Vec<VersionConflict>>,
    /// With a stream key: each written line's version in its stream (0: in none).
    pub versions: Option<Vec<f64>>,
}

/// A line whose stream did not hold the expected number of events.
#[napi(object)]
pub struct VersionConflict {
    pub index: u32,
    /// The line's stream (none: the event names no stream).
    pub stream: Option<String>,
    /// The events the stream held.
    pub version: f64,
}

impl From<Completion> for WriteResult {
    fn from(c: Completion) -> Self {
        let o = c.outcome;
        WriteResult {
            count: c.count as u32,
            written: o.written as u32,
            first_pos: o.first_pos as f64,
            prev_pos: o.prev_pos.map(|p| p as f64),
            error: o.error.as_ref().map(NativeError::from),
            rejected: (!o.rejected.is_empty()).then(|| {
                o.rejected
                    .iter()
                    .flat_map(|r| {
                        let actual = match &r.actual {
                            Actual::Prev(p) => p.map_or(-1.0, |p| p as f64),
                            Actual::Version { .. } => -2.0,
                        };
                        [f64::from(r.index), actual]
                    })
                    .collect()
            }),
            conflicts: o
                .rejected
                .iter()
                .any(|r| matches!(r.actual, Actual::Version { .. }))
                .then(|| {
                    o.rejected
                        .iter()
                        .filter_map(|r| match &r.actual {
                            Actual::Version { stream, version } => Some(VersionConflict {
                                index: r.index,
                                stream: stream.clone(),
                                version: *version as f64,
                            }),
                            Actual::Prev(_) => None,
                        })
                        .collect()
                }),
            versions: (!o.versions.is_empty())
                .then(|| o.versions.iter().map(|&v| v as f64).collect()),
        }
    }
}

/// Expectations from JavaScript: `[index, expected previous position (-1: none), …]` and
/// `[index, expected version, …]`, in the order of the lines.
fn expectations(pairs: Option<Vec<f64>>, versions: Option<Vec<f64>>) -> Vec<Expectation> {
    let prev = pairs.unwrap_or_default();
    let prev = prev.chunks_exact(2).map(|p| Expectation {
        index: p[0] as u32,
        expected: Expected::Prev((p[1] >= 0.0).then_some(p[1] as u64)),
    });
    let versions = versions.unwrap_or_default();
    let versions = versions.chunks_exact(2).map(|p| Expectation {
        index: p[0] as u32,
        expected: Expected::Version(p[1] as u64),
    });
    let mut all: Vec<Expectation> = prev.chain(versions).collect();
    all.sort_by_key(|e| e.index);
    all
}

/// The `archive` option (checked for types by `lib/options.js`, for meaning by the core).
#[napi(object)]
pub struct ArchiveOptionsJs {
    pub url: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub keep_local_days: Option<u32>,
    pub retry_timeout_ms: Option<f64>,
    pub max_retries: Option<u32>,
    pub poll_interval_ms: Option<f64>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl From<ArchiveOptionsJs> for ArchiveOptions {
    fn from(o: ArchiveOptionsJs) -> Self {
        ArchiveOptions {
            url: o.url,
            endpoint: o.endpoint,
            region: o.region,
            keep_local_days: o.keep_local_days,
            retry_timeout_ms: o.retry_timeout_ms.map(|v| v as u64),
            max_retries: o.max_retries,
            poll_interval_ms: o.poll_interval_ms.map(|v| v as u64),
            access_key_id: o.access_key_id,
            secret_access_key: o.secret_access_key,
            session_token: o.session_token,
        }
    }
}

/// The pattern of a scan (stat, verify), and with `archive` the log opened read-only with it,
/// whose archived days the scan reads too; `crate::let_go` closes it.
pub(crate) fn open_for_scan(
    pattern: &str,
    archive: Option<ArchiveOptionsJs>,
) -> eventlog_core::Result<(Pattern, Option<Arc<Log>>)> {
    let log = archive.map(|a| open_with_archive(pattern, a)).transpose()?;
    Ok((Pattern::parse(pattern)?, log))
}

/// Opens the log of `pattern` read-only with `archive`, for a scan that reads archived days
/// (stat, verify); `crate::let_go` closes it.
fn open_with_archive(pattern: &str, archive: ArchiveOptionsJs) -> eventlog_core::Result<Arc<Log>> {
    let cwd = std::env::current_dir()
        .map_err(|e| CoreError::read("resolve the pattern against", ".", e))?;
    let options = OpenOptions {
        writable: false,
        archive: Some(ArchiveOptions::from(archive)),
        stream_key: None,
    };
    Log::open(pattern, &cwd, options)
}

/// What the writing of this log in this process has done.
#[napi(object)]
pub struct LogStats {
    /// `fdatasync` calls made for durable adds.
    pub flushes: f64,
    /// Times durable adds were already flushed by another process's `fdatasync`.
    pub flushes_by_others: f64,
}

/// A failed day of an archive pass.
#[napi(object)]
pub struct ArchiveFailure {
    pub day: u32,
    pub error: String,
    /// The error's code (`ERR_ARCHIVE_NO_BUCKET`, …).
    pub code: String,
}

/// What `archive()` did: days as `YYYYMMDD` numbers.
#[napi(object)]
pub struct ArchiveReport {
    pub uploaded: Vec<u32>,
    pub pruned: Vec<u32>,
    pub failed: Vec<ArchiveFailure>,
}

impl From<PassReport> for ArchiveReport {
    fn from(r: PassReport) -> Self {
        ArchiveReport {
            uploaded: r.uploaded.into_iter().map(Day::number).collect(),
            pruned: r.pruned.into_iter().map(Day::number).collect(),
            failed: r
                .failed
                .into_iter()
                .map(|(day, error)| ArchiveFailure {
                    day: day.number(),
                    error: error.to_string(),
                    code: error.code().to_string(),
                })
                .collect(),
        }
    }
}

/// Called with `[CODE] message` when a background archive pass fails.
type ArchiveErrorFn =
    ThreadsafeFunction<NativeError, Unknown<'static>, NativeError, Status, false, true>;

/// Days deleted here after their upload to an archive this log cannot read.
#[napi(object)]
pub struct UnreadableArchive {
    /// The archive (`s3://bucket/prefix`), as the upload records name it.
    pub url: String,
    /// The days (`YYYYMMDD`), oldest first.
    pub days: Vec<u32>,
}

type WrittenFn =
    ThreadsafeFunction<Vec<Completion>, Unknown<'static>, Vec<WriteResult>, Status, false, true>;

/// One instance of a log.
#[napi]
pub struct NativeLog {
    /// The log's pattern, which names logfiles even after `stop`.
    pattern: Arc<Pattern>,
    log: Option<Arc<Log>>,
    /// Where the writer reports this instance's results (`None` when read-only).
    reply: Option<Reply>,
    durable: bool,
    /// This instance's listener of background archive failures, by its id.
    archive_errors: Option<u64>,
}

impl NativeLog {
    fn log(&self, env: &Env) -> Result<&Arc<Log>> {
        self.log
            .as_ref()
            .ok_or_else(|| throwable(env, CoreError::Stopped))
    }
}

#[napi]
impl NativeLog {
    /// Opens a log. Without `onWritten` it is read-only and creates nothing on disk. With
    /// `durable`, this instance's writes are flushed to stable storage before they are
    /// reported. `onArchiveError` is told (`[CODE] message`) when a background archive pass
    /// fails, once per distinct failure.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        pattern: String,
        on_written: Option<Function<'_, Vec<WriteResult>, Unknown<'static>>>,
        durable: Option<bool>,
        archive: Option<ArchiveOptionsJs>,
        on_archive_error: Option<Function<'_, NativeError, Unknown<'static>>>,
        stream_key: Option<String>,
    ) -> Result<Self> {
        let cwd = std::env::current_dir()
            .map_err(|e| throwable(env, CoreError::read("resolve the pattern against", ".", e)))?;
        let options = OpenOptions {
            writable: on_written.is_some(),
            archive: archive.map(ArchiveOptions::from),
            stream_key,
        };
        let log = Log::open(&pattern, &cwd, options).map_err(|e| throwable(env, e))?;
        let reply = match on_written {
            None => None,
            Some(callback) => {
                let tsfn: WrittenFn = callback
                    .build_threadsafe_function::<Vec<Completion>>()
                    .weak::<true>()
                    .callee_handled::<false>()
                    .build_callback(|ctx| {
                        Ok(ctx.value.into_iter().map(WriteResult::from).collect())
                    })?;
                let reply: Reply = Arc::new(move |done| {
                    tsfn.call(done, ThreadsafeFunctionCallMode::NonBlocking);
                });
                Some(reply)
            }
        };
        let archive_errors = match on_archive_error {
            None => None,
            Some(callback) => {
                let tsfn: ArchiveErrorFn = callback
                    .build_threadsafe_function::<NativeError>()
                    .weak::<true>()
                    .callee_handled::<false>()
                    .build_callback(|ctx| Ok(ctx.value))?;
                log.listen_archive_errors(Arc::new(move |e: &CoreError| {
                    tsfn.call(
                        NativeError::from(e),
                        ThreadsafeFunctionCallMode::NonBlocking,
                    );
                }))
            }
        };
        Ok(NativeLog {
            pattern: log.pattern().clone(),
            log: Some(log),
            reply,
            durable: durable.unwrap_or(false),
            archive_errors,
        })
    }

    /// The identity of the log within the process: its pattern, absolute.
    #[napi(getter)]
    pub fn key(&self) -> String {
        self.pattern.as_str().to_string()
    }

    /// The logfile of a day (`YYYYMMDD`), in the form the pattern was given.
    #[napi]
    pub fn logfile_for(&self, env: &Env, day: u32) -> Result<String> {
        let day = Day::from_number(day, "day").map_err(|e| throwable(env, e))?;
        Ok(self.pattern.name_for(day))
    }

    /// Writes `count` lines (`lines`, each ending in a newline) dated `day`: at once if `direct`
    /// and that cannot block, else queued for the writer thread (the result comes through
    /// `onWritten`, and this returns `null`). Written at once, the result is the first
    /// position as a plain number when every line was written and the first follows the line
    /// before it in the same day (the usual case, and the cheapest to hand back), else a
    /// `WriteResult`. `expect`: lines appended only if they directly follow a position
    /// (`[index, position or -1 for an empty log, …]`).
    #[napi]
    #[allow(clippy::too_many_arguments)] // one per argument JavaScript passes
    pub fn append(
        &self,
        env: &Env,
        day: u32,
        lines: String,
        count: u32,
        direct: bool,
        expect: Option<Vec<f64>>,
        expect_versions: Option<Vec<f64>>,
    ) -> Result<Option<Either<f64, WriteResult>>> {
        let log = self.log(env)?;
        let reply = self
            .reply
            .as_ref()
            .ok_or_else(|| throwable(env, CoreError::ReadOnly("add events")))?;
        let day = Day::from_number(day, "day").map_err(|e| throwable(env, e))?;
        let expect = expectations(expect, expect_versions);
        if direct && !self.durable {
            let batch = Lines {
                data: lines.as_bytes(),
                count: count.into(),
                expect: &expect,
            };
            if let Some(outcome) = log.append_now(day, batch).map_err(|e| throwable(env, e))? {
                let plain = outcome.error.is_none()
                    && outcome.rejected.is_empty()
                    && outcome.versions.is_empty()
                    && outcome.prev_pos == outcome.first_pos.checked_sub(1)
                    && outcome.first_pos % PER_DAY > 0;
                return Ok(Some(if plain {
                    Either::A(outcome.first_pos as f64)
                } else {
                    Either::B(WriteResult::from(Completion {
                        count: count.into(),
                        outcome,
                    }))
                }));
            }
        }
        log.submit(WriteRequest {
            day,
            data: lines.into_bytes(),
            count: count.into(),
            expect,
            durable: self.durable,
            reply: reply.clone(),
        })
        .map_err(|e| throwable(env, e))?;
        Ok(None)
    }

    /// Starts a consumer at `from` (0: the beginning). With `types`, it is handed only the
    /// events whose field `typeKey` (a name or a dotted path; `type` by default) is one of
    /// them, the others being passed over in the core (checked by `lib/consume-options.js`).
    #[napi]
    pub fn consume(
        &self,
        env: &Env,
        from: f64,
        on_delivery: Function<'_, NativeDelivery, Unknown<'static>>,
        types: Option<Vec<String>>,
        type_key: Option<String>,
        stream: Option<String>,
    ) -> Result<NativeConsumer> {
        let log = self.log(env)?;
        let filter = match stream {
            Some(id) => Some(log.stream_filter(id).map_err(|e| throwable(env, e))?),
            None => types.map(|t| TypeFilter::new(type_key.as_deref().unwrap_or("type"), t)),
        };
        let start = parse_start(from).map_err(|e| throwable(env, e))?;
        let tsfn: DeliverFn = on_delivery
            .build_threadsafe_function()
            .weak::<true>()
            .callee_handled::<false>()
            .build_callback(|ctx| Ok(NativeDelivery::from(ctx.value)))?;
        let tailer = log
            .consume(start, filter, TsfnSink(tsfn))
            .map_err(|e| throwable(env, e))?;
        Ok(NativeConsumer::new(tailer, log.clone()))
    }

    /// Reads the stream `id`: versions `from` to `to` (or its end), at most `limit` of them,
    /// newest first if `backwards`.
    #[napi(ts_return_type = "Promise<NativeStreamRead>")]
    pub fn read_stream(
        &self,
        env: &Env,
        id: String,
        from: f64,
        to: Option<f64>,
        limit: Option<f64>,
        backwards: bool,
    ) -> Result<AsyncTask<StreamTask>> {
        let range = ReadRange {
            from: from as u64,
            to: to.map(|t| t as u64),
            limit: limit.map(|l| l as u64),
            backwards,
        };
        let log = self.log(env)?.clone();
        Ok(AsyncTask::new(StreamTask::new(
            log,
            StreamJob::Read { id, range },
        )))
    }

    /// How many events the stream `id` holds.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn stream_version(&self, env: &Env, id: String) -> Result<AsyncTask<StreamTask>> {
        let log = self.log(env)?.clone();
        Ok(AsyncTask::new(StreamTask::new(
            log,
            StreamJob::Version { id },
        )))
    }

    /// Indexes every sealed day's streams now.
    #[napi(ts_return_type = "Promise<NativeIndexReport>")]
    pub fn index_streams(&self, env: &Env) -> Result<AsyncTask<StreamTask>> {
        let log = self.log(env)?.clone();
        Ok(AsyncTask::new(StreamTask::new(log, StreamJob::Index)))
    }

    /// Days only in an archive this log was not opened with (from the upload records), by
    /// archive: what its consumers will not deliver.
    #[napi]
    pub fn unreadable_archived_days(&self, env: &Env) -> Result<Vec<UnreadableArchive>> {
        let log = self.log(env)?;
        Ok(log
            .unreadable_archived_days()
            .into_iter()
            .map(|(url, days)| UnreadableArchive {
                url,
                days: days.into_iter().map(Day::number).collect(),
            })
            .collect())
    }

    /// What the writing of this log has done in this process.
    #[napi]
    pub fn stats(&self, env: &Env) -> Result<LogStats> {
        let stats = self.log(env)?.write_metrics();
        Ok(LogStats {
            flushes: stats.flushes as f64,
            flushes_by_others: stats.covered as f64,
        })
    }

    /// The log's metrics (`NativeMetrics`), with the events written after each of
    /// `positions` (named consumers' checkpoints), read off the JavaScript thread.
    #[napi(ts_return_type = "Promise<NativeMetrics>")]
    pub fn metrics(&self, env: &Env, positions: Vec<f64>) -> Result<AsyncTask<MetricsTask>> {
        let log = self.log(env)?.clone();
        let positions = positions.into_iter().map(|p| p as u64).collect();
        Ok(AsyncTask::new(MetricsTask::new(log, positions)))
    }

    /// One archive pass now: seals what is over, uploads every sealed day not yet uploaded,
    /// deletes local days as `keepLocalDays` says. Waits for a pass already running.
    #[napi(ts_return_type = "Promise<ArchiveReport>")]
    pub fn archive<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let log = self.log(env)?;
        let (deferred, promise) = env.create_deferred::<ArchiveReport, _>()?;
        log.archive_pass(Box::new(move |result| {
            // Settled on the JavaScript thread, where the error can become a JavaScript one.
            deferred.resolve(move |env| match result {
                Ok(report) => Ok(ArchiveReport::from(report)),
                Err(e) => Err(throwable(&env, e)),
            })
        }));
        Ok(promise)
    }

    /// Lets go of the log; what this instance queued is still written and reported. The last
    /// instance (and consumer) to let go closes it, off the JavaScript thread: closing waits
    /// for the writer thread and, briefly, for archive work. The promise resolves once this
    /// instance has let go: when it was the last, once the log is closed (its files quiet,
    /// its threads joined); else at once, the log staying open for the others.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&mut self, env: &'env Env) -> Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred::<(), _>()?;
        let resolve = move || deferred.resolve(|_| Ok(()));
        match self.release() {
            Some(log) => crate::let_go(log, resolve),
            None => resolve(),
        }
        Ok(promise)
    }
}

impl NativeLog {
    /// Ends this instance's reporting and hands back its hold on the log (once).
    fn release(&mut self) -> Option<Arc<Log>> {
        self.reply = None;
        let log = self.log.take();
        if let (Some(log), Some(id)) = (&log, self.archive_errors.take()) {
            log.unlisten_archive_errors(id);
        }
        log
    }
}

impl Drop for NativeLog {
    fn drop(&mut self) {
        // Collected without stop(): close the same way, never on the JavaScript thread.
        if let Some(log) = self.release() {
            crate::let_go(log, || {});
        }
    }
}
