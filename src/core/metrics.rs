//! What a log counts about its own work, for `log.metrics()` and the Prometheus collector
//! (`lib/prometheus.js`): events and bytes written, and how long `fdatasync` takes.
//!
//! Counting must cost nothing a benchmark can see: it is done per batch (one append, one
//! flush), never per event, with relaxed atomics only (a snapshot may see one counter a batch
//! ahead of another; each is exact on its own). The histogram has fixed buckets, so observing
//! is a short scan and two atomic additions, without a lock.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::flush::Flush;

/// The upper bounds of the histograms' buckets, in seconds (a last bucket, `+Inf`, follows):
/// from 100 µs (a write in the page cache) to 10 s (a stalled disk).
pub const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// `BUCKETS` in nanoseconds, to compare with a `Duration` without floating point.
const BUCKET_NANOS: [u64; 16] = [
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// A histogram of durations over `BUCKETS`, updated without a lock.
#[derive(Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last is `+Inf`.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

/// A histogram as it was at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistogramSnapshot {
    /// Observations per bucket of `BUCKETS`, then `+Inf` (not cumulative).
    pub counts: Vec<u64>,
    pub sum_seconds: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BUCKET_NANOS
            .iter()
            .position(|&bound| nanos <= bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Relaxed)).collect();
        HistogramSnapshot {
            count: counts.iter().sum(),
            counts,
            sum_seconds: self.sum_nanos.load(Relaxed) as f64 / 1e9,
        }
    }
}

/// What a log's writing did in this process, both through its writer thread and directly on
/// the calling thread.
#[derive(Default)]
pub struct WriteMetrics {
    events: AtomicU64,
    bytes: AtomicU64,
    flushes: AtomicU64,
    covered: AtomicU64,
    fsync: Histogram,
}

/// `WriteMetrics` at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteSnapshot {
    /// Events appended (lines written whole).
    pub events: u64,
    /// Bytes of those lines.
    pub bytes: u64,
    /// `fdatasync` calls this process made for durable adds.
    pub flushes: u64,
    /// Durable batches another process's `fdatasync` had already covered.
    pub covered: u64,
    /// How long each of this process's `fdatasync` calls took.
    pub fsync: HistogramSnapshot,
}

impl WriteMetrics {
    /// One append wrote `events` lines of `bytes` bytes.
    pub(crate) fn appended(&self, events: u64, bytes: u64) {
        if events > 0 {
            self.events.fetch_add(events, Relaxed);
            self.bytes.fetch_add(bytes, Relaxed);
        }
    }

    /// A flush of a logfile that took `took` (`None`: another process's had covered it).
    pub(crate) fn flushed(&self, flush: Flush, took: Option<Duration>) {
        match flush {
            Flush::Flushed => self.flushes.fetch_add(1, Relaxed),
            Flush::Covered => self.covered.fetch_add(1, Relaxed),
        };
        if let Some(took) = took {
            self.fsync.observe(took);
        }
    }

    pub fn snapshot(&self) -> WriteSnapshot {
        WriteSnapshot {
            events: self.events.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            flushes: self.flushes.load(Relaxed),
            covered: self.covered.load(Relaxed),
            fsync: self.fsync.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_lands_in_the_first_bucket_that_holds_it() {
        assert_eq!(BUCKET_NANOS.len(), BUCKETS.len());
        for (nanos, secs) in BUCKET_NANOS.iter().zip(BUCKETS) {
            assert_eq!(*nanos as f64 / 1e9, secs);
        }
        let h = Histogram::default();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_micros(100)); // on the bound: that bucket
        h.observe(Duration::from_micros(101));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let s = h.snapshot();
        assert_eq!(s.count, 5);
        assert_eq!(s.counts.len(), BUCKETS.len() + 1);
        assert_eq!((s.counts[0], s.counts[1], s.counts[5]), (2, 1, 1));
        assert_eq!(s.counts[BUCKETS.len()], 1, "+Inf");
        assert!(
            (s.sum_seconds - 60.003251).abs() < 1e-9,
            "{}",
            s.sum_seconds
        );
    }

    #[test]
    fn write_metrics_count_batches_and_flushes() {
        let m = WriteMetrics::default();
        m.appended(3, 120);
        m.appended(0, 0);
        m.appended(2, 80);
        m.flushed(Flush::Flushed, Some(Duration::from_millis(2)));
        m.flushed(Flush::Covered, None);
        let s = m.snapshot();
        assert_eq!(
            (s.events, s.bytes, s.flushes, s.covered, s.fsync.count),
            (5, 200, 1, 1, 1)
        );
    }
}
