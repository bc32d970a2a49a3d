//! The Node.js binding: every `#[napi]` item of the package, a thin layer that turns JavaScript
//! calls into calls of the core (`eventlog_core`) and its results into JavaScript values.
//! `index.js` and `lib/` wrap it with the public API; the modules mirror theirs:
//!
//! - `log`: `NativeLog`, one JavaScript instance over the process's `Log` of its pattern
//!   (writing, archive passes).
//! - `consumer`: `NativeConsumer`, and deliveries as JavaScript sees them.
//! - `metrics`: a log's metrics, and the archive's saved status.
//! - `verify`, `stat`: the integrity scan, and the days of a log with their sizes.
//! - `checkpoint`: named consumers' checkpoints (the file a consumer saves to; read, reset,
//!   list).
//!
//! - `error`: core errors as JavaScript sees them (thrown with `code` and their details, or
//!   as data); `lib/errors.js` turns each into its exported class.
//!
//! Threadsafe functions here are weak: they never keep Node alive by themselves; the
//! JavaScript side holds the event loop exactly while adds are pending or a replay runs.

#![deny(clippy::all)]
// `#[napi]` items are reached only from JavaScript, never from a test build of this crate.
#![cfg_attr(test, allow(dead_code))]

mod checkpoint;
mod consumer;
mod error;
mod log;
mod metrics;
mod stat;
mod stream;
mod verify;

use napi_derive::napi;

use std::sync::Arc;

use eventlog_core::Log;

pub(crate) use error::{throwable, NativeError};

/// Lets go of a log, then calls `then`. If this was the log's last holder, the log closes on
/// a thread of its own (closing joins the writer thread and waits briefly for archive work,
/// never on the JavaScript thread) and `then` runs once it is closed; otherwise `then` runs
/// at once, the log staying open for its other holders.
pub(crate) fn let_go(log: Arc<Log>, then: impl FnOnce() + Send + 'static) {
    // `try_unwrap` decides atomically: of two holders letting go at once, exactly one closes.
    match Arc::try_unwrap(log) {
        Ok(log) => {
            let closing = Closing(Some((log, then)));
            // With no thread to be had, the refused closure drops here, and `closing` with it.
            let _ = std::thread::Builder::new()
                .name("eventlog-close".into())
                .spawn(move || drop(closing));
        }
        Err(shared) => {
            drop(shared);
            then();
        }
    }
}

/// A log held by work off the JavaScript thread (a stat, a read of a stream…). It is let go
/// of through `let_go` when the work is done: the log may have been stopped meanwhile, and
/// then this closes it, on a thread of its own.
pub(crate) struct HeldLog(Option<Arc<Log>>);

impl HeldLog {
    pub(crate) fn new(log: Option<Arc<Log>>) -> HeldLog {
        HeldLog(log)
    }

    pub(crate) fn get(&self) -> Option<&Arc<Log>> {
        self.0.as_ref()
    }
}

impl Drop for HeldLog {
    fn drop(&mut self) {
        if let Some(log) = self.0.take() {
            let_go(log, || {});
        }
    }
}

/// A log being closed, and what to call once it is: both happen when this drops, on whichever
/// thread that is.
struct Closing<F: FnOnce()>(Option<(Log, F)>);

impl<F: FnOnce()> Drop for Closing<F> {
    fn drop(&mut self) {
        if let Some((log, then)) = self.0.take() {
            drop(log);
            then();
        }
    }
}

/// Overrides the clock of every log in the process (`null` restores the real clock).
#[napi]
pub fn set_test_now(ms: Option<f64>) {
    eventlog_core::set_test_now(ms.map(|m| m as i64));
}

/// Whether `DEBUG` enables `eventlog:<area>` (the one reading of `DEBUG` for the package).
#[napi]
pub fn debug_enabled(area: String) -> bool {
    eventlog_core::debug_enabled(&area)
}
