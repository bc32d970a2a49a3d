//! `stat(pattern)`: the core's per-day counts (`eventlog_core::stat`), scanned off the
//! JavaScript thread. `lib/stat.js` adds the totals.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::clock::Clock;
use std::sync::Arc;

use eventlog_core::log::Log;
use eventlog_core::pattern::Pattern;
use eventlog_core::stat::DayStat;

use crate::log::ArchiveOptionsJs;
use crate::to_js;

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
    log: Option<Arc<Log>>,
}

impl Drop for StatTask {
    fn drop(&mut self) {
        if let Some(log) = self.log.take() {
            crate::let_go(log, || {});
        }
    }
}

impl Task for StatTask {
    type Output = Vec<DayStat>;
    type JsValue = Vec<StatDay>;

    fn compute(&mut self) -> Result<Self::Output> {
        let today = Clock::system().today();
        let mut days = eventlog_core::stat::stat(&self.pattern, today).map_err(to_js)?;
        if let Some(log) = &self.log {
            eventlog_core::stat::add_archived(&mut days, log.history(), today).map_err(to_js)?;
        }
        Ok(days)
    }

    fn resolve(&mut self, _env: Env, days: Self::Output) -> Result<Self::JsValue> {
        Ok(days.into_iter().map(StatDay::from).collect())
    }
}

/// Counts the lines, bytes and torn tails of every logfile of a pattern, and the days only in
/// its archive, oldest first (off the JavaScript thread).
#[napi(ts_return_type = "Promise<Array<StatDay>>")]
pub fn stat(pattern: String, archive: Option<ArchiveOptionsJs>) -> Result<AsyncTask<StatTask>> {
    let log = archive
        .map(|a| crate::log::open_with_archive(&pattern, a))
        .transpose()?;
    let pattern = Pattern::parse(&pattern).map_err(to_js)?;
    Ok(AsyncTask::new(StatTask { pattern, log }))
}
