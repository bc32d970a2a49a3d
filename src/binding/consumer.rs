//! `NativeConsumer`: a consumer's thread in the core, and its deliveries as JavaScript sees
//! them (see the core's `delivery.rs`).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use eventlog_core::{Delivery, Log, Segment, Sink, Tailer};

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
    /// The events as a JSON array text, elements separated by `"\n,"`.
    pub events: Option<String>,
    /// 32 characters of id per line.
    pub ids: Option<String>,
    /// Lines passed whole (not in the package's format): `event` and `meta.id` are in them.
    pub raw: Option<Vec<u32>>,
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
    pub error_code: Option<String>,
    pub error_message: Option<String>,
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
            raw: (!d.raw.is_empty()).then_some(d.raw),
            closed: first.closed,
            opened: first.opened,
            first_pos: first.first_pos as f64,
            prev_pos: first.prev_pos.map(|p| p as f64),
            more: (!more.is_empty()).then_some(more),
            synced_logfile: d.synced.as_ref().map(|s| s.logfile.clone()),
            synced_rows: d.synced.as_ref().map(|s| s.rows as f64),
            synced_next_pos: d.synced.as_ref().map(|s| s.next_pos as f64),
            error_code: d.error.as_ref().map(|e| e.code().to_string()),
            error_message: d.error.as_ref().map(|e| e.to_string()),
        }
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
