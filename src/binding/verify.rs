//! `verify(pattern)`: the integrity scan, off the JavaScript thread.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::{Clock, Error as CoreError, Pattern};

use crate::log::ArchiveOptionsJs;
use crate::{throwable, HeldLog};

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
    /// With an archive: the log opened with it (days only there are read too).
    log: HeldLog,
}

impl Task for VerifyTask {
    /// The core's error goes to `resolve`, which has the `Env` to make it a JavaScript one.
    type Output = std::result::Result<eventlog_core::VerifyReport, CoreError>;
    type JsValue = VerifyReport;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(eventlog_core::verify_with(
            &self.pattern,
            Clock::system().today(),
            self.log.get().map(|l| l.as_ref()),
        ))
    }

    fn resolve(&mut self, env: Env, r: Self::Output) -> Result<Self::JsValue> {
        let r = r.map_err(|e| throwable(&env, e))?;
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
/// and logfiles dated in the future; with `archive`, the days only in the archive too.
#[napi(ts_return_type = "Promise<VerifyReport>")]
pub fn verify(
    env: &Env,
    pattern: String,
    archive: Option<ArchiveOptionsJs>,
) -> Result<AsyncTask<VerifyTask>> {
    let (pattern, log) =
        crate::log::open_for_scan(&pattern, archive).map_err(|e| throwable(env, e))?;
    Ok(AsyncTask::new(VerifyTask {
        pattern,
        log: HeldLog::new(log),
    }))
}
