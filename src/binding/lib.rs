//! The Node.js binding: every `#[napi]` item of the package, a thin layer that turns JavaScript
//! calls into calls of the core (`eventlog_core`) and its results into JavaScript values.
//! `index.js` and `lib/` wrap it with the public API; the modules mirror theirs:
//!
//! - `log`: `NativeLog`, one JavaScript instance over the process's `Log` of its pattern
//!   (writing, archive passes).
//! - `consumer`: `NativeConsumer`, and deliveries as JavaScript sees them.
//! - `verify`, `stat`: the integrity scan, and the days of a log with their sizes.
//! - `checkpoint`: named consumers' checkpoints (the file a consumer saves to; read, reset,
//!   list).
//!
//! Errors cross as `[CODE] message`; `lib/errors.js` turns the code into an exported class.
//! Threadsafe functions here are weak: they never keep Node alive by themselves; the
//! JavaScript side holds the event loop exactly while adds are pending or a replay runs.

#![deny(clippy::all)]
// `#[napi]` items are reached only from JavaScript, never from a test build of this crate.
#![cfg_attr(test, allow(dead_code))]

mod checkpoint;
mod consumer;
mod log;
mod stat;
mod verify;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::error::Error as CoreError;

pub(crate) fn to_js(err: CoreError) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("[{}] {err}", err.code()))
}

/// Lets go of a log; if this was its last holder, closes it on a thread of its own: closing
/// joins the writer thread and waits briefly for archive work, never on the JavaScript thread.
pub(crate) fn let_go(log: std::sync::Arc<eventlog_core::log::Log>) {
    if std::sync::Arc::strong_count(&log) == 1 {
        // With no thread to be had, the log (moved into the refused closure) closes here.
        let _ = std::thread::Builder::new()
            .name("eventlog-close".into())
            .spawn(move || drop(log));
    }
}

/// Overrides the clock of every log in the process (`null` restores the real clock).
#[napi]
pub fn set_test_now(ms: Option<f64>) {
    eventlog_core::clock::set_test_now(ms.map(|m| m as i64));
}

/// Whether `DEBUG` enables `eventlog:<area>` (the one reading of `DEBUG` for the package).
#[napi]
pub fn debug_enabled(area: String) -> bool {
    eventlog_core::debug::enabled(&area)
}
