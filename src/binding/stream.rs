//! Streams as JavaScript sees them (the core's `stream/`): reading one stream, its version,
//! and indexing now, each off the JavaScript thread (they read files, or the archive).
//! `lib/streams.js` checks the arguments and builds the events.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::{Error as CoreError, IndexReport, Log, ReadRange, StreamRead};

use crate::{throwable, HeldLog};

/// A stream's events as read: `lines` is a JSON array of their logfile lines, and the other
/// arrays hold each one's position, previous position (-1: none) and version.
#[napi(object)]
pub struct NativeStreamRead {
    pub version: f64,
    pub lines: String,
    pub pos: Vec<f64>,
    pub prev_pos: Vec<f64>,
    pub versions: Vec<f64>,
    /// The last position looked at (-1: the log is empty).
    pub through: f64,
}

impl From<StreamRead> for NativeStreamRead {
    fn from(r: StreamRead) -> Self {
        let mut lines =
            String::with_capacity(2 + r.events.iter().map(|e| e.line.len() + 1).sum::<usize>());
        lines.push('[');
        for (i, e) in r.events.iter().enumerate() {
            if i > 0 {
                lines.push(',');
            }
            lines.push_str(&e.line);
        }
        lines.push(']');
        NativeStreamRead {
            version: r.version as f64,
            lines,
            pos: r.events.iter().map(|e| e.pos as f64).collect(),
            prev_pos: r
                .events
                .iter()
                .map(|e| e.prev_pos.map_or(-1.0, |p| p as f64))
                .collect(),
            versions: r.events.iter().map(|e| e.version as f64).collect(),
            through: r.through.map_or(-1.0, |p| p as f64),
        }
    }
}

/// What `indexStreams()` did.
#[napi(object)]
pub struct NativeIndexReport {
    pub days: f64,
    pub events: f64,
    pub built: f64,
    pub ms: f64,
}

impl From<IndexReport> for NativeIndexReport {
    fn from(r: IndexReport) -> Self {
        NativeIndexReport {
            days: r.days as f64,
            events: r.events as f64,
            built: r.built as f64,
            ms: r.millis as f64,
        }
    }
}

/// What a stream task does.
pub enum StreamJob {
    Read { id: String, range: ReadRange },
    Version { id: String },
    Index,
}

/// Its result.
pub enum StreamDone {
    Read(StreamRead),
    Version(u64),
    Index(IndexReport),
}

pub struct StreamTask {
    log: HeldLog,
    job: StreamJob,
}

impl StreamTask {
    pub(crate) fn new(log: Arc<Log>, job: StreamJob) -> StreamTask {
        StreamTask {
            log: HeldLog::new(Some(log)),
            job,
        }
    }
}

impl Task for StreamTask {
    type Output = std::result::Result<StreamDone, CoreError>;
    type JsValue = Either3<NativeStreamRead, f64, NativeIndexReport>;

    fn compute(&mut self) -> Result<Self::Output> {
        let Some(log) = self.log.get() else {
            return Ok(Err(CoreError::Stopped));
        };
        Ok(match &self.job {
            StreamJob::Read { id, range } => log.read_stream(id, *range).map(StreamDone::Read),
            StreamJob::Version { id } => log.stream_version(id).map(StreamDone::Version),
            StreamJob::Index => log.index_streams().map(StreamDone::Index),
        })
    }

    fn resolve(&mut self, env: Env, done: Self::Output) -> Result<Self::JsValue> {
        Ok(match done.map_err(|e| throwable(&env, e))? {
            StreamDone::Read(r) => Either3::A(NativeStreamRead::from(r)),
            StreamDone::Version(v) => Either3::B(v as f64),
            StreamDone::Index(r) => Either3::C(NativeIndexReport::from(r)),
        })
    }
}
