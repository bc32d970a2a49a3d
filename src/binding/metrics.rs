//! A log's metrics as JavaScript sees them (the core's `metrics.rs` and the archive's
//! `health.rs`): `NativeLog.metrics(positions)`, read off the JavaScript thread since it lists
//! the days; and the archive's saved status, for `stat()` in another process. `lib/metrics.js`
//! adds what only JavaScript knows (adds' latency, deliveries, consumers).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use std::sync::Arc;

use eventlog_core::{
    ArchiveSnapshot, ArchiveStatus, Error as CoreError, HistogramSnapshot, Log, Metrics, OwnFiles,
    Pattern, METRIC_BUCKETS,
};

use crate::{throwable, HeldLog};

/// The upper bounds, in seconds, of every histogram's buckets (a last one, `+Inf`, follows).
#[napi]
pub fn metric_buckets() -> Vec<f64> {
    METRIC_BUCKETS.to_vec()
}

/// A histogram: observations per bucket of `metricBuckets()`, then `+Inf` (not cumulative).
#[napi(object)]
pub struct NativeHistogram {
    pub counts: Vec<f64>,
    pub sum: f64,
    pub count: f64,
}

impl From<HistogramSnapshot> for NativeHistogram {
    fn from(h: HistogramSnapshot) -> Self {
        NativeHistogram {
            counts: h.counts.into_iter().map(|c| c as f64).collect(),
            sum: h.sum_seconds,
            count: h.count as f64,
        }
    }
}

/// The last failure of an archive pass.
#[napi(object)]
pub struct NativeLastError {
    /// Milliseconds since the epoch.
    pub at: f64,
    pub code: String,
    pub message: String,
}

/// The archiver's last pass, as saved in our files.
#[napi(object)]
pub struct NativeArchiveStatus {
    pub url: String,
    /// Milliseconds since the epoch.
    pub last_pass_at: Option<f64>,
    pub last_success_at: Option<f64>,
    pub last_error: Option<NativeLastError>,
}

impl From<ArchiveStatus> for NativeArchiveStatus {
    fn from(s: ArchiveStatus) -> Self {
        NativeArchiveStatus {
            url: s.url,
            last_pass_at: s.last_pass_ms.map(|ms| ms as f64),
            last_success_at: s.last_success_ms.map(|ms| ms as f64),
            last_error: s.last_error.map(|e| NativeLastError {
                at: e.at_ms as f64,
                code: e.code,
                message: e.message,
            }),
        }
    }
}

/// What this process's archive passes did, and the sealed days waiting for an upload.
#[napi(object)]
pub struct NativeArchiveMetrics {
    pub passes: f64,
    pub failed_passes: f64,
    pub days_uploaded: f64,
    pub days_pruned: f64,
    pub days_failed: f64,
    pub days_waiting: f64,
    pub status: NativeArchiveStatus,
}

impl From<ArchiveSnapshot> for NativeArchiveMetrics {
    fn from(a: ArchiveSnapshot) -> Self {
        NativeArchiveMetrics {
            passes: a.passes as f64,
            failed_passes: a.failed_passes as f64,
            days_uploaded: a.uploaded as f64,
            days_pruned: a.pruned as f64,
            days_failed: a.failed_days as f64,
            days_waiting: a.waiting as f64,
            status: a.status.into(),
        }
    }
}

/// What the core knows of a log's work in this process.
#[napi(object)]
pub struct NativeMetrics {
    pub events_appended: f64,
    pub bytes_written: f64,
    pub fsyncs: f64,
    /// Durable batches another process's `fdatasync` had already covered.
    pub fsyncs_shared: f64,
    pub fsync_duration: NativeHistogram,
    pub archive: Option<NativeArchiveMetrics>,
    /// For each position asked about, the events written after it.
    pub events_after: Vec<f64>,
}

impl From<Metrics> for NativeMetrics {
    fn from(m: Metrics) -> Self {
        NativeMetrics {
            events_appended: m.write.events as f64,
            bytes_written: m.write.bytes as f64,
            fsyncs: m.write.flushes as f64,
            fsyncs_shared: m.write.covered as f64,
            fsync_duration: m.write.fsync.into(),
            archive: m.archive.map(NativeArchiveMetrics::from),
            events_after: m.lines_after.into_iter().map(|n| n as f64).collect(),
        }
    }
}

pub struct MetricsTask {
    log: HeldLog,
    positions: Vec<u64>,
}

impl MetricsTask {
    pub(crate) fn new(log: Arc<Log>, positions: Vec<u64>) -> MetricsTask {
        MetricsTask {
            log: HeldLog::new(Some(log)),
            positions,
        }
    }
}

impl Task for MetricsTask {
    type Output = std::result::Result<Metrics, CoreError>;
    type JsValue = NativeMetrics;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(match self.log.get() {
            Some(log) => log.metrics(&self.positions),
            None => Err(CoreError::Stopped),
        })
    }

    fn resolve(&mut self, env: Env, metrics: Self::Output) -> Result<Self::JsValue> {
        metrics
            .map(NativeMetrics::from)
            .map_err(|e| throwable(&env, e))
    }
}

/// The status the archive passes of the log `key` (its absolute pattern) saved, if any.
#[napi]
pub fn archive_status(env: &Env, key: String) -> Result<Option<NativeArchiveStatus>> {
    let pattern = Pattern::parse(&key).map_err(|e| throwable(env, e))?;
    Ok(ArchiveStatus::read(&OwnFiles::new(&pattern)).map(NativeArchiveStatus::from))
}
