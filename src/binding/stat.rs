//! `stat(pattern)`: the core's per-day counts (the core's `stat.rs`), scanned off the
//! JavaScript thread. `lib/stat.js` adds the totals.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::{Clock, DayStat, Error as CoreError, Pattern};

use crate::log::ArchiveOptionsJs;
use crate::{throwable, HeldLog};

/// One day, as `stat` found it: its logfile, or its upload record once only the archive
/// holds it.
#[napi(object)]
pub struct StatDay {
    /// `YYYYMMDD`.
    pub day: u32,
    /// The logfile; for a day only in the archive, its object (`s3://bucket/key`).
    pub file: String,
    /// The object the day was uploaded to (`s3://bucket/key`), if it was.
    pub archived: Option<String>,
    /// The logfile is on local disk.
    pub local: bool,
    /// Complete lines: the positions the day uses.
    pub lines: f64,
    pub bytes: f64,
    /// Bytes after the last newline (a line being written, or torn by a crash).
    pub torn_bytes: f64,
    /// Dated after today: readers ignore it until then.
    pub future: bool,
}

impl From<DayStat> for StatDay {
    fn from(d: DayStat) -> Self {
        StatDay {
            day: d.day.number(),
            file: d.file,
            archived: d.archived,
            local: d.local,
            lines: d.lines as f64,
            bytes: d.bytes as f64,
            torn_bytes: d.torn_bytes as f64,
            future: d.future,
        }
    }
}

pub struct StatTask {
    pattern: Pattern,
    /// With an archive: the log opened with it (days only there are counted too).
    log: HeldLog,
}

impl Task for StatTask {
    /// The core's error goes to `resolve`, which has the `Env` to make it a JavaScript one.
    type Output = std::result::Result<Vec<DayStat>, CoreError>;
    type JsValue = Vec<StatDay>;

    fn compute(&mut self) -> Result<Self::Output> {
        let today = Clock::system().today();
        Ok(
            eventlog_core::stat(&self.pattern, today).and_then(|mut days| {
                if let Some(log) = self.log.get() {
                    eventlog_core::add_archived(&mut days, log, today)?;
                }
                Ok(days)
            }),
        )
    }

    fn resolve(&mut self, env: Env, days: Self::Output) -> Result<Self::JsValue> {
        let days = days.map_err(|e| throwable(&env, e))?;
        Ok(days.into_iter().map(StatDay::from).collect())
    }
}

/// Counts the lines, bytes and torn tails of every logfile of a pattern, and the days only in
/// its archive, oldest first (off the JavaScript thread).
#[napi(ts_return_type = "Promise<Array<StatDay>>")]
pub fn stat(
    env: &Env,
    pattern: String,
    archive: Option<ArchiveOptionsJs>,
) -> Result<AsyncTask<StatTask>> {
    let (pattern, log) =
        crate::log::open_for_scan(&pattern, archive).map_err(|e| throwable(env, e))?;
    Ok(AsyncTask::new(StatTask {
        pattern,
        log: HeldLog::new(log),
    }))
}
