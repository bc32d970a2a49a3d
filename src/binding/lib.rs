#![deny(clippy::all)]

//! Every `#[napi]` item of the package: a thin layer that turns JavaScript calls into core
//! calls and core results into JavaScript values. `index.js` wraps it with the public API.
//!
//! Errors cross as `[CODE] message`; `index.js` turns the code into an exported error class.
//! Threadsafe functions here are weak: they never keep Node alive by themselves; `index.js`
//! holds the event loop exactly while adds are pending or a replay is running.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use eventlog_core::day::{self, Day};
use eventlog_core::error::Error as CoreError;
use eventlog_core::group_commit::{Completion, GroupCommit, Reply, WriteRequest};
use eventlog_core::pattern::Pattern;
use eventlog_core::position::parse_start;
use eventlog_core::tailer::{Delivery, Sink, Tailer};

pub mod stat;

fn to_js(err: CoreError) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("[{}] {err}", err.code()))
}

/// The result of writing `count` consecutive queued events: the first `written` are in the
/// log from `firstPos` on; the rest failed with the error.
#[napi(object)]
pub struct WriteResult {
    pub count: u32,
    /// The write opened a logfile no writer had written to before.
    pub new_day: bool,
    pub written: u32,
    pub first_pos: f64,
    pub prev_pos: Option<f64>,
    pub logfile: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_errno: Option<String>,
}

impl From<Completion> for WriteResult {
    fn from(c: Completion) -> Self {
        let o = c.outcome;
        WriteResult {
            count: c.count as u32,
            new_day: o.new_day,
            written: o.written as u32,
            first_pos: o.first_pos as f64,
            prev_pos: o.prev_pos.map(|p| p as f64),
            logfile: o.logfile,
            error_code: o.error.as_ref().map(|e| e.code().to_string()),
            error_message: o.error.as_ref().map(|e| e.to_string()),
            error_errno: o
                .error
                .as_ref()
                .and_then(|e| e.os_code())
                .map(str::to_string),
        }
    }
}

/// One hand-over to a consumer (see `tailer::Delivery`).
#[napi(object)]
pub struct NativeDelivery {
    pub closed: Option<String>,
    pub opened: Option<String>,
    /// `count` lines as a JSON array text whose elements are separated by `"\n,"`.
    pub lines: Option<String>,
    pub count: u32,
    pub first_pos: f64,
    pub prev_pos: Option<f64>,
    pub synced_logfile: Option<String>,
    pub synced_rows: Option<f64>,
    pub synced_next_pos: Option<f64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl From<Delivery> for NativeDelivery {
    fn from(d: Delivery) -> Self {
        NativeDelivery {
            closed: d.closed,
            opened: d.opened,
            lines: (d.count > 0).then_some(d.lines),
            count: d.count as u32,
            first_pos: d.first_pos as f64,
            prev_pos: d.prev_pos.map(|p| p as f64),
            synced_logfile: d.synced.as_ref().map(|s| s.logfile.clone()),
            synced_rows: d.synced.as_ref().map(|s| s.rows as f64),
            synced_next_pos: d.synced.as_ref().map(|s| s.next_pos as f64),
            error_code: d.error.as_ref().map(|e| e.code().to_string()),
            error_message: d.error.as_ref().map(|e| e.to_string()),
        }
    }
}

type WrittenFn =
    ThreadsafeFunction<Vec<Completion>, Unknown<'static>, Vec<WriteResult>, Status, false, true>;
type DeliverFn =
    ThreadsafeFunction<Delivery, Unknown<'static>, NativeDelivery, Status, false, true>;

/// A log opened on a pattern.
#[napi]
pub struct NativeLog {
    pattern: Arc<Pattern>,
    /// The process's writer of this pattern, and where it reports this instance's results.
    writer: Option<(Arc<GroupCommit>, Reply)>,
}

#[napi]
impl NativeLog {
    /// Opens a log. Without `onWritten` it is read-only and creates nothing on disk. With
    /// `durable`, writes are flushed to stable storage before they are reported.
    #[napi(constructor)]
    pub fn new(
        pattern: String,
        on_written: Option<Function<'_, Vec<WriteResult>, Unknown<'static>>>,
        durable: Option<bool>,
    ) -> Result<Self> {
        let pattern = Arc::new(Pattern::parse(&pattern).map_err(to_js)?);
        let writer = match on_written {
            None => None,
            Some(callback) => {
                let tsfn: WrittenFn = callback
                    .build_threadsafe_function::<Vec<Completion>>()
                    .weak::<true>()
                    .callee_handled::<false>()
                    .build_callback(|ctx| {
                        Ok(ctx.value.into_iter().map(WriteResult::from).collect())
                    })?;
                // As the original does, create the directory at once; failures surface (and
                // are retried) at the first write.
                let _ = std::fs::create_dir_all(pattern.base_path());
                let writer = GroupCommit::shared(pattern.clone(), durable.unwrap_or(false))
                    .map_err(|e| {
                        to_js(CoreError::write("start writer for", pattern.as_str(), e))
                    })?;
                let reply: Reply = Arc::new(move |done| {
                    tsfn.call(done, ThreadsafeFunctionCallMode::NonBlocking);
                });
                Some((writer, reply))
            }
        };
        Ok(NativeLog { pattern, writer })
    }

    /// The identity of the log within the process.
    #[napi(getter)]
    pub fn key(&self) -> String {
        self.pattern.absolute_key()
    }

    /// The logfile of a day (`YYYYMMDD`).
    #[napi]
    pub fn logfile_for(&self, day: u32) -> Result<String> {
        let day = Day::from_number(day, "day").map_err(to_js)?;
        Ok(self.pattern.path_for(day))
    }

    /// Writes `count` lines (`lines`, each ending in a newline) dated `day`: at once if `direct`
    /// and that cannot block, else queued for the writer thread (the result comes through
    /// `onWritten`, and this returns `null`). Written at once, the result is the first
    /// position as a plain number when every line was written and the first follows the line
    /// before it in the same day (the usual case, and the cheapest to hand back), else a
    /// `WriteResult`.
    #[napi]
    pub fn append(
        &self,
        day: u32,
        lines: String,
        count: u32,
        direct: bool,
    ) -> Result<Option<Either<f64, WriteResult>>> {
        let (writer, reply) = self
            .writer
            .as_ref()
            .ok_or_else(|| to_js(CoreError::Stopped))?;
        let day = Day::from_number(day, "day").map_err(to_js)?;
        if direct {
            if let Some(outcome) = writer.append_now(day, lines.as_bytes(), count.into()) {
                let plain = outcome.error.is_none()
                    && !outcome.new_day
                    && outcome.prev_pos == outcome.first_pos.checked_sub(1)
                    && outcome.first_pos % eventlog_core::position::PER_DAY > 0;
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
        writer
            .submit(WriteRequest {
                day,
                data: lines.into_bytes(),
                count: count.into(),
                reply: reply.clone(),
            })
            .map_err(to_js)?;
        Ok(None)
    }

    /// Starts a consumer at `from` (0: the beginning).
    #[napi]
    pub fn consume(
        &self,
        from: f64,
        on_delivery: Function<'_, NativeDelivery, Unknown<'static>>,
    ) -> Result<NativeConsumer> {
        let start = parse_start(from as u64).map_err(to_js)?;
        let tsfn: DeliverFn = on_delivery
            .build_threadsafe_function::<Delivery>()
            .weak::<true>()
            .callee_handled::<false>()
            .build_callback(|ctx| Ok(NativeDelivery::from(ctx.value)))?;
        let tailer = Tailer::spawn(self.pattern.clone(), start, TsfnSink(tsfn)).map_err(|e| {
            to_js(CoreError::read(
                "start consumer for",
                self.pattern.as_str(),
                e,
            ))
        })?;
        Ok(NativeConsumer { tailer })
    }

    /// Lets go of the writer; what this instance queued is still written and reported (the
    /// writer thread ends once no instance holds it).
    #[napi]
    pub fn stop(&mut self) {
        self.writer = None;
    }
}

struct TsfnSink(DeliverFn);

impl Sink for TsfnSink {
    fn deliver(&mut self, delivery: Delivery) -> bool {
        self.0
            .call(delivery, ThreadsafeFunctionCallMode::NonBlocking)
            == Status::Ok
    }
}

/// A running consumer.
#[napi]
pub struct NativeConsumer {
    tailer: Tailer,
}

#[napi]
impl NativeConsumer {
    /// The last delivery is handled; the next may come.
    #[napi]
    pub fn ack(&self) {
        self.tailer.ack();
    }

    /// Called right after a direct write in this process (`newDay`: it opened a logfile):
    /// looks for the new lines now, on this thread, if the consumer is idle, else wakes it.
    #[napi]
    pub fn poll(&self, new_day: bool) {
        self.tailer.poll(new_day);
    }

    #[napi]
    pub fn stop(&self) {
        self.tailer.stop();
    }
}

/// Overrides the clock of every log in the process (`null` restores the real clock).
#[napi]
pub fn set_test_now(ms: Option<f64>) {
    day::set_test_now(ms.map(|m| m as i64));
}

/// One problem `verify` found.
#[napi(object)]
pub struct VerifyProblem {
    /// `torn-tail`, `corrupt-line` or `future-day`.
    pub kind: String,
    pub file: String,
    pub line: f64,
    pub pos: f64,
    pub message: String,
}

/// What `verify` found.
#[napi(object)]
pub struct VerifyReport {
    pub ok: bool,
    pub files: f64,
    pub lines: f64,
    pub events: f64,
    pub problem_count: f64,
    pub problems: Vec<VerifyProblem>,
}

pub struct VerifyTask {
    pattern: Pattern,
}

impl Task for VerifyTask {
    type Output = eventlog_core::verify::Report;
    type JsValue = VerifyReport;

    fn compute(&mut self) -> Result<Self::Output> {
        eventlog_core::verify::verify(&self.pattern, day::today()).map_err(to_js)
    }

    fn resolve(&mut self, _env: Env, r: Self::Output) -> Result<Self::JsValue> {
        Ok(VerifyReport {
            ok: r.problem_count == 0,
            files: r.files as f64,
            lines: r.lines as f64,
            events: r.events as f64,
            problem_count: r.problem_count as f64,
            problems: r
                .problems
                .into_iter()
                .map(|p| VerifyProblem {
                    kind: p.kind.name().to_string(),
                    file: p.file,
                    line: p.line as f64,
                    pos: p.pos as f64,
                    message: p.detail,
                })
                .collect(),
        })
    }
}

/// Scans every logfile of a pattern (off the JavaScript thread) for torn tails, corrupt lines
/// and logfiles dated in the future.
#[napi(ts_return_type = "Promise<VerifyReport>")]
pub fn verify(pattern: String) -> Result<AsyncTask<VerifyTask>> {
    let pattern = Pattern::parse(&pattern).map_err(to_js)?;
    Ok(AsyncTask::new(VerifyTask { pattern }))
}

/// Whether `DEBUG` enables `eventlog:<area>` (the one reading of `DEBUG` for the package).
#[napi]
pub fn debug_enabled(area: String) -> bool {
    eventlog_core::debug::enabled(&area)
}
