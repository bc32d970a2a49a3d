//! Whether the archive keeps up, for `log.metrics()` and `eventlog stat`: what this process's
//! passes did (counters since the log opened), when the last pass ran and the last one that
//! succeeded, and the last error. The times and the error are also kept in our files
//! (`archive/status.json`, replaced all at once after each pass), so that another process
//! (`eventlog stat`) can tell how the archive is doing, and a restarted one goes on from them.
//!
//! A pass is counted where it ends: a pass that ran (some of its days may have failed), one
//! that failed as a whole (the store could not be reached: the background listing before a
//! pass, or an explicit pass's first request), never one skipped because another process was
//! making one. Days are counted by what this process's own pass did, never twice.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::PassReport;
use crate::catalog::DayEntry;
use crate::day::Day;
use crate::debug::debug;
use crate::error::Error;
use crate::files::{write_atomically, OwnFiles};

/// The last pass of a log's archiver, as saved in `archive/status.json`. Struct order is file
/// order; unknown keys are ignored, so a later version may add some.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveStatus {
    /// The archive the passes upload to (`s3://bucket/prefix`).
    pub url: String,
    /// When the last pass ended, in milliseconds since the epoch.
    #[serde(default)]
    pub last_pass_ms: Option<u64>,
    /// When the last pass that failed no day ended.
    #[serde(default)]
    pub last_success_ms: Option<u64>,
    /// The last failure: of a pass as a whole, or of a day in it.
    #[serde(default)]
    pub last_error: Option<LastError>,
}

/// A failure of a pass. The message names the archive and says what to fix; like every
/// archive error's, it holds no credentials and no response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastError {
    pub at_ms: u64,
    /// The error's code (`ERR_ARCHIVE_UNREACHABLE`, …).
    pub code: String,
    pub message: String,
}

impl ArchiveStatus {
    /// The status the passes of a log left (`None` if there is none or it cannot be read).
    pub fn read(files: &OwnFiles) -> Option<ArchiveStatus> {
        let data = std::fs::read(files.archive_status()).ok()?;
        serde_json::from_slice(&data).ok()
    }

    fn write(&self, files: &OwnFiles) -> std::io::Result<()> {
        let json = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        write_atomically(&files.archive_status(), &json)
    }
}

/// What this process's passes did, and the status.
pub struct Health {
    passes: AtomicU64,
    failed_passes: AtomicU64,
    uploaded: AtomicU64,
    pruned: AtomicU64,
    failed_days: AtomicU64,
    status: Mutex<ArchiveStatus>,
}

/// `Health` at one moment, with the sealed days that wait for an upload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveSnapshot {
    /// Passes that ran or failed as a whole, and of those the ones that failed (as a whole, or
    /// some day in them).
    pub passes: u64,
    pub failed_passes: u64,
    /// Days uploaded, deleted locally after their upload, and failed (upload or delete).
    pub uploaded: u64,
    pub pruned: u64,
    pub failed_days: u64,
    /// Local days before today with no upload recorded: sealed (or sealed at the next pass),
    /// and not yet in the archive.
    pub waiting: u64,
    pub status: ArchiveStatus,
}

impl Health {
    /// The health of the archiver of `url`, going on from the status saved by earlier
    /// processes (if it is of the same archive).
    pub fn new(files: &OwnFiles, url: &str) -> Health {
        let status = ArchiveStatus::read(files)
            .filter(|s| s.url == url)
            .unwrap_or_else(|| ArchiveStatus {
                url: url.to_string(),
                ..ArchiveStatus::default()
            });
        Health {
            passes: AtomicU64::new(0),
            failed_passes: AtomicU64::new(0),
            uploaded: AtomicU64::new(0),
            pruned: AtomicU64::new(0),
            failed_days: AtomicU64::new(0),
            status: Mutex::new(status),
        }
    }

    /// A pass ended: with its own report (`Ok(None)`: skipped, another process made one), or
    /// failed as a whole. Saves the status.
    pub fn record(&self, files: &OwnFiles, result: &crate::error::Result<Option<PassReport>>) {
        match result {
            Ok(None) => {}
            Ok(Some(report)) => {
                self.uploaded
                    .fetch_add(report.uploaded.len() as u64, Relaxed);
                self.pruned.fetch_add(report.pruned.len() as u64, Relaxed);
                self.failed_days
                    .fetch_add(report.failed.len() as u64, Relaxed);
                self.ended(files, report.failed.first().map(|(_, e)| e));
            }
            Err(e) => self.failed(files, e),
        }
    }

    /// A pass failed as a whole (the log closing is no failure).
    pub fn failed(&self, files: &OwnFiles, e: &Error) {
        if !matches!(e, Error::Stopped) {
            self.ended(files, Some(e));
        }
    }

    fn ended(&self, files: &OwnFiles, failure: Option<&Error>) {
        self.passes.fetch_add(1, Relaxed);
        let now = now_ms();
        let Ok(mut status) = self.status.lock() else {
            return;
        };
        status.last_pass_ms = Some(now);
        match failure {
            None => status.last_success_ms = Some(now),
            Some(e) => {
                self.failed_passes.fetch_add(1, Relaxed);
                status.last_error = Some(LastError {
                    at_ms: now,
                    code: e.code().to_string(),
                    message: e.to_string(),
                });
            }
        }
        if let Err(e) = status.write(files) {
            debug!("archive", "could not save the archive's status: {e}");
        }
    }

    /// The counters and status now, with `days` (the catalog, refreshed) for the days waiting.
    pub fn snapshot(&self, days: &[DayEntry], today: Day) -> ArchiveSnapshot {
        let waiting = days
            .iter()
            .filter(|e| e.day < today && e.local.is_some() && e.archived.is_none())
            .count() as u64;
        ArchiveSnapshot {
            passes: self.passes.load(Relaxed),
            failed_passes: self.failed_passes.load(Relaxed),
            uploaded: self.uploaded.load(Relaxed),
            pruned: self.pruned.load(Relaxed),
            failed_days: self.failed_days.load(Relaxed),
            waiting,
            status: self.status.lock().map(|s| s.clone()).unwrap_or_default(),
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    #[test]
    fn passes_are_counted_and_their_status_saved_for_the_next_process() {
        let tmp = tempfile::tempdir().unwrap();
        let pattern = Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap();
        let files = OwnFiles::new(&pattern);
        let h = Health::new(&files, "s3://b/p");
        h.record(&files, &Ok(None));
        h.record(&files, &Err(Error::Stopped));
        assert_eq!(h.snapshot(&[], day(20261201)).passes, 0, "skipped, stopped");
        let report = PassReport {
            uploaded: vec![day(20261118), day(20261119)],
            pruned: vec![day(20261118)],
            failed: Vec::new(),
        };
        h.record(&files, &Ok(Some(report)));
        let down = Error::Archive {
            url: "s3://b/p".into(),
            detail: "down".into(),
        };
        h.record(&files, &Err(down));
        let days = [
            DayEntry {
                day: day(20261119),
                local: Some("a".into()),
                archived: None,
            },
            DayEntry {
                day: day(20261201),
                local: Some("b".into()),
                archived: None,
            },
        ];
        let s = h.snapshot(&days, day(20261201));
        assert_eq!(
            (
                s.passes,
                s.failed_passes,
                s.uploaded,
                s.pruned,
                s.failed_days
            ),
            (2, 1, 2, 1, 0)
        );
        assert_eq!(s.waiting, 1, "today is not sealed");
        let error = s.status.last_error.clone().unwrap();
        assert_eq!(error.code, "ERR_ARCHIVE");
        assert!(s.status.last_success_ms.unwrap() <= error.at_ms);
        // Saved: the next process goes on from it; one of another archive starts afresh.
        assert_eq!(ArchiveStatus::read(&files), Some(s.status.clone()));
        let next = Health::new(&files, "s3://b/p").snapshot(&[], day(20261201));
        assert_eq!((next.passes, next.status), (0, s.status));
        let other = Health::new(&files, "s3://other/p").snapshot(&[], day(20261201));
        assert_eq!(other.status.last_pass_ms, None);
    }
}
