//! The clock a log tells days by. `Clock::system` is the real clock, unless the process-wide
//! test override (`set_test_now`, exported to JavaScript as `__setTestNow`) replaces it for
//! every log at once.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::day::Day;

/// Sentinel meaning "no override": the real clock is used.
const REAL_CLOCK: i64 = i64::MIN;
static TEST_NOW: AtomicI64 = AtomicI64::new(REAL_CLOCK);

/// Replaces the clock of every log in the process (`None` restores the real one). Tests use it
/// to cross midnight without waiting for it.
pub fn set_test_now(ms: Option<i64>) {
    TEST_NOW.store(ms.unwrap_or(REAL_CLOCK), Ordering::Relaxed);
}

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    // Made only by `Clock::system`, so that every clock heeds the test override.
    _private: (),
}

impl Clock {
    /// The process clock (with the test override, when one is set).
    pub fn system() -> Clock {
        Clock { _private: () }
    }

    /// Milliseconds since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        match TEST_NOW.load(Ordering::Relaxed) {
            REAL_CLOCK => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            ms => ms,
        }
    }

    /// Today, in UTC.
    pub fn today(&self) -> Day {
        Day::from_epoch_ms(self.now_ms())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}
