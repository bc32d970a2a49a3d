//! `NativeConsumer`: a consumer's thread in the core, and its deliveries as JavaScript sees
//! them (see the core's `delivery.rs`).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use eventlog_core::{
    judge_line as judge, line_of, Delivery, Error as CoreError, Judged, Log, Segment, Sink, Tailer,
};

use crate::NativeError;

/// The lines of one more day in a delivery (the first day's are the delivery's own fields).
#[napi(object)]
pub struct NativeSegment {
    /// Index of its first line in the delivery.
    pub at: u32,
    pub closed: Option<String>,
    pub opened: Option<String>,
    pub first_pos: f64,
    pub prev_pos: Option<f64>,
}

/// One hand-over to a consumer.
#[napi(object)]
pub struct NativeDelivery {
    pub count: u32,
    /// The events as a JSON array text, elements separated by `"\n,"` (`null` for a corrupt
    /// line).
    pub events: Option<String>,
    /// 32 characters of id per line.
    pub ids: Option<String>,
    /// Lines not in the package's exact form, whose ids are in `otherIds` (`null`: none).
    pub other_at: Option<Vec<u32>>,
    pub other_ids: Option<Vec<Option<String>>>,
    /// Corrupt lines, and the `CorruptLineError` of each.
    pub corrupt_at: Option<Vec<u32>>,
    pub corrupt: Option<Vec<NativeError>>,
    // The first day's lines (or the first day opened or closed).
    pub closed: Option<String>,
    pub opened: Option<String>,
    pub first_pos: f64,
    pub prev_pos: Option<f64>,
    /// The days after the first, when the delivery spans several.
    pub more: Option<Vec<NativeSegment>>,
    pub synced_logfile: Option<String>,
    pub synced_rows: Option<f64>,
    pub synced_next_pos: Option<f64>,
    pub error: Option<NativeError>,
    /// For a filtered consumer: each line's position and the one before it in the log (its
    /// lines are not consecutive), and the last line read, delivered or passed over.
    pub positions: Option<Vec<f64>>,
    pub prev_positions: Option<Vec<Option<f64>>>,
    pub last_pos: Option<f64>,
}

fn segment(s: Segment) -> NativeSegment {
    NativeSegment {
        at: s.at as u32,
        closed: s.closed,
        opened: s.opened,
        first_pos: s.first_pos as f64,
        prev_pos: s.prev_pos.map(|p| p as f64),
    }
}

impl From<Delivery> for NativeDelivery {
    fn from(d: Delivery) -> Self {
        let mut segments = d.segments.into_iter();
        let first = segments.next().unwrap_or_default();
        let more: Vec<NativeSegment> = segments.map(segment).collect();
        NativeDelivery {
            count: d.count as u32,
            events: (d.count > 0).then_some(d.events),
            ids: (d.count > 0).then_some(d.ids),
            other_at: (!d.other_ids.is_empty())
                .then(|| d.other_ids.iter().map(|(k, _)| *k).collect()),
            other_ids: (!d.other_ids.is_empty())
                .then(|| d.other_ids.into_iter().map(|(_, id)| id).collect()),
            corrupt_at: (!d.corrupt.is_empty())
                .then(|| d.corrupt.iter().map(|(k, _)| *k).collect()),
            corrupt: (!d.corrupt.is_empty()).then(|| {
                d.corrupt
                    .iter()
                    .map(|(_, e)| NativeError::from(e))
                    .collect()
            }),
            closed: first.closed,
            opened: first.opened,
            first_pos: first.first_pos as f64,
            prev_pos: first.prev_pos.map(|p| p as f64),
            more: (!more.is_empty()).then_some(more),
            synced_logfile: d.synced.as_ref().map(|s| s.logfile.clone()),
            synced_rows: d.synced.as_ref().map(|s| s.rows as f64),
            synced_next_pos: d.synced.as_ref().map(|s| s.next_pos as f64),
            error: d.error.as_ref().map(NativeError::from),
            positions: (!d.positions.is_empty())
                .then(|| d.positions.iter().map(|&p| p as f64).collect()),
            prev_positions: (!d.prev_positions.is_empty()).then(|| {
                d.prev_positions
                    .iter()
                    .map(|p| p.map(|p| p as f64))
                    .collect()
            }),
            last_pos: d.last_pos.map(|p| p as f64),
        }
    }
}

/// A line judged by the rule of `eventlog_core::line`: an event's JSON text and id, or the
/// error of a corrupt line.
#[napi(object)]
pub struct JudgedLine {
    pub event: Option<String>,
    pub id: Option<String>,
    pub error: Option<NativeError>,
}

/// Judges the line at `pos` of `file` in full. JavaScript asks when a line in the package's
/// form holds an event text that does not parse alone (a key given twice, keys beside
/// `event`…): rare, so not worth judging every line in the core.
#[napi]
pub fn judge_line(line: String, pos: f64, file: String) -> JudgedLine {
    match judge(line.as_bytes()) {
        Judged::Event { event, id } => JudgedLine {
            event: Some(event),
            id,
            error: None,
        },
        Judged::Corrupt(detail) => JudgedLine {
            event: None,
            id: None,
            error: Some(NativeError::from(&CoreError::CorruptLine {
                file,
                line: line_of(pos as u64) + 1,
                pos: pos as u64,
                detail,
            })),
        },
    }
}

pub(crate) type DeliverFn =
    ThreadsafeFunction<Delivery, Unknown<'static>, NativeDelivery, Status, false, true>;

pub(crate) struct TsfnSink(pub DeliverFn);

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
    /// Keeps the log (and its archive's runtime) open while the consumer reads.
    log: Option<Arc<Log>>,
}

impl NativeConsumer {
    pub(crate) fn new(tailer: Tailer, log: Arc<Log>) -> NativeConsumer {
        NativeConsumer {
            tailer,
            log: Some(log),
        }
    }
}

impl Drop for NativeConsumer {
    fn drop(&mut self) {
        self.tailer.stop();
        if let Some(log) = self.log.take() {
            crate::let_go(log, || {});
        }
    }
}

#[napi]
impl NativeConsumer {
    /// The last delivery is handled; the next may come.
    #[napi]
    pub fn ack(&self) {
        self.tailer.ack();
    }

    /// Stops reading and lets go of the log at once (not when the collector gets to this
    /// object), so that stopping the log's last instance closes it.
    #[napi]
    pub fn stop(&mut self) {
        self.tailer.stop();
        if let Some(log) = self.log.take() {
            crate::let_go(log, || {});
        }
    }
}
