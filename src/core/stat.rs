//! What a log holds, day by day, without parsing a line: for every logfile its complete lines
//! (each one a position), its bytes, and the bytes of a torn tail. Used by
//! `eventlog.stat()` and the CLI's `stat`. Telling events from corrupt lines is `verify`'s job;
//! here a line is counted by its newline alone, so a scan runs at the speed of the disk.
//!
//! Days this directory uploaded to an archive are marked so, from the records the uploads
//! left (`.eventlog/<pattern>.d/archive/`); those deleted locally since (`keepLocalDays`) are
//! counted from their records too, without asking the store: they are still part of the log,
//! and every consumer with the archive replays them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;

use crate::catalog::{read_any_record, ArchivedDay};
use crate::day::Day;
use crate::discovery::list_logfiles;
use crate::error::{Error, Result};
use crate::files::{days_in, OwnFiles};
use crate::history::History;
use crate::log::Log;
use crate::pattern::Pattern;
use crate::sys::FileExt;

/// The size of one read: big enough that a scan is a few syscalls per megabyte.
const READ_SIZE: usize = 1 << 20;

/// One day as it was when scanned: its logfile, or its upload record once only the archive
/// holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStat {
    pub day: Day,
    /// The path in the pattern's form; for a day only in the archive, its object
    /// (`s3://bucket/key`).
    pub file: String,
    /// The object this directory uploaded the day to (`s3://bucket/key`), if it did.
    pub archived: Option<String>,
    /// The logfile is on local disk (`false`: deleted after its upload was verified).
    pub local: bool,
    /// Complete lines (ending in a newline): the positions this day uses.
    pub lines: u64,
    /// Bytes read, torn tail included.
    pub bytes: u64,
    /// Bytes after the last newline: a line a writer has not finished, or left torn by a
    /// crash. Readers never deliver it.
    pub torn_bytes: u64,
    /// Dated after `today`: readers ignore it until their clock gets there.
    pub future: bool,
}

/// Every day of `pattern`, oldest first: each logfile, and each day only in the archive. A
/// logfile that vanishes between the directory walk and its scan (deleted, or moved away by an
/// archiver) is left out, unless its upload record stands in for it.
pub fn stat(pattern: &Pattern, today: Day) -> Result<Vec<DayStat>> {
    let files =
        list_logfiles(pattern, None).map_err(|e| Error::read("list", pattern.base_path(), e))?;
    let own = OwnFiles::new(pattern);
    // Each upload record, read once (the object's URL and the day): it marks its day's
    // logfile, or stands in for it.
    let mut records: BTreeMap<Day, (String, ArchivedDay)> = days_in(&own.archive_dir(), ".json")
        .map_err(|e| Error::read("list", own.archive_dir(), e))?
        .into_iter()
        .filter_map(|day| {
            let (url, archived) = read_any_record(&own, day)?;
            Some((day, (object_url(&url, &archived.key), archived)))
        })
        .collect();
    let mut days = Vec::with_capacity(files.len());
    let mut buf = vec![0u8; READ_SIZE];
    for f in files {
        let counts = match scan(&f.path, &mut buf) {
            Ok(counts) => counts,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::read("read", &f.path, e)),
        };
        days.push(DayStat {
            day: f.day,
            file: pattern.name_for(f.day),
            archived: records.remove(&f.day).map(|(object, _)| object),
            local: true,
            lines: counts.lines,
            bytes: counts.bytes,
            torn_bytes: counts.bytes - counts.complete_bytes,
            future: f.day > today,
        });
    }
    // What is left was deleted here after its upload: the record counts it.
    for (day, (object, archived)) in records {
        days.push(DayStat {
            day,
            file: object.clone(),
            archived: Some(object),
            local: false,
            // A record always has its line count (an upload is verified by it).
            lines: archived.lines.unwrap_or(0),
            bytes: archived.size,
            torn_bytes: 0,
            future: day > today,
        });
    }
    days.sort_by_key(|d| d.day);
    Ok(days)
}

/// Adds to `days` (a `stat` of the log of `history`) the days its archive holds that `days`
/// does not: listed from the store, each counted by its object's line-count metadata (a
/// request per day not counted before). Days `days` has but not as archived are marked with
/// their object.
pub fn add_archived(days: &mut Vec<DayStat>, log: &Log, today: Day) -> Result<()> {
    let history: &History = log.history();
    let Some(remote) = history.remote() else {
        return Ok(());
    };
    let url = remote.url().to_string();
    let failed = |e: io::Error| crate::remote::failure::classify(&remote.config, &e);
    remote.ensure_listed(&history.catalog).map_err(failed)?;
    for entry in history.catalog.days(None) {
        let Some(archived) = &entry.archived else {
            continue;
        };
        let object = object_url(&url, &archived.key);
        if let Some(known) = days.iter_mut().find(|d| d.day == entry.day) {
            known.archived.get_or_insert(object);
            continue;
        }
        let lines = history.lines_of(&entry)?;
        days.push(DayStat {
            day: entry.day,
            file: object.clone(),
            archived: Some(object),
            local: false,
            lines,
            bytes: archived.size,
            torn_bytes: 0,
            future: entry.day > today,
        });
    }
    days.sort_by_key(|d| d.day);
    Ok(())
}

/// `s3://bucket/key` of an object, from its archive's URL (`s3://bucket/prefix`) and its key
/// (which holds the prefix).
fn object_url(archive_url: &str, key: &str) -> String {
    let bucket = archive_url
        .strip_prefix("s3://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(archive_url);
    format!("s3://{bucket}/{key}")
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    lines: u64,
    bytes: u64,
    /// Bytes up to and including the last newline.
    complete_bytes: u64,
}

/// Counts the newlines of one file with big sequential reads, up to the end it has now (a
/// writer appending meanwhile only makes the counts a little older).
fn scan(path: &str, buf: &mut [u8]) -> io::Result<Counts> {
    let file = File::open(path)?;
    let mut c = Counts::default();
    loop {
        let n = match file.read_at(buf, c.bytes) {
            Ok(0) => return Ok(c),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        let newlines = memchr::memchr_iter(b'\n', chunk).count() as u64;
        if newlines > 0 {
            c.lines += newlines;
            // memrchr finds the last one again without another full pass.
            let last = memchr::memrchr(b'\n', chunk).unwrap_or(0);
            c.complete_bytes = c.bytes + last as u64 + 1;
        }
        c.bytes += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn pattern(dir: &std::path::Path) -> Pattern {
        Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap()
    }

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    #[test]
    fn counts_lines_bytes_and_torn_tails_per_day() {
        let tmp = tempfile::tempdir().unwrap();
        let ok = r#"{"event":1,"meta":{"id":"a"}}"#;
        fs::write(
            tmp.path().join("e-2026-11-01.log"),
            format!("{ok}\nnot json\n{ok}\n{{\"torn"),
        )
        .unwrap();
        fs::write(tmp.path().join("e-2026-11-02.log"), "").unwrap();
        fs::write(tmp.path().join("e-2026-11-03.log"), format!("{ok}\n")).unwrap();
        fs::write(tmp.path().join("e-2026-12-01.log"), format!("{ok}\n{ok}\n")).unwrap();
        fs::write(tmp.path().join("unrelated.txt"), "x\ny\n").unwrap();
        let days = stat(&pattern(tmp.path()), day(20261126)).unwrap();
        let base = tmp.path().display();
        let got: Vec<_> = days
            .iter()
            .map(|d| (d.day.number(), d.lines, d.bytes, d.torn_bytes, d.future))
            .collect();
        let line = ok.len() as u64 + 1;
        assert_eq!(
            got,
            vec![
                (20261101, 3, 2 * line + 9 + 6, 6, false),
                (20261102, 0, 0, 0, false),
                (20261103, 1, line, 0, false),
                (20261201, 2, 2 * line, 0, true),
            ]
        );
        assert_eq!(days[0].file, format!("{base}/e-2026-11-01.log"));
    }

    #[test]
    fn days_uploaded_are_marked_and_days_only_in_the_archive_counted_from_their_records() {
        let tmp = tempfile::tempdir().unwrap();
        let p = pattern(tmp.path());
        let own = OwnFiles::new(&p);
        let record = |n: u32, lines: u64, size: u64| {
            let d = day(n);
            let iso = format!("{}-{:02}-{:02}", d.year(), d.month(), d.day_of_month());
            let key = format!("logs/e-{iso}.log");
            let text = format!(
                r#"{{"key":"{key}","size":{size},"lines":{lines},"sha256":"x","url":"s3://b/logs"}}"#
            );
            crate::files::write_atomically(&own.archived(day(n)), text.as_bytes()).unwrap();
        };
        fs::write(tmp.path().join("e-2026-11-02.log"), "{}\n{}\n").unwrap();
        fs::write(tmp.path().join("e-2026-11-03.log"), "{}\n").unwrap();
        record(20261101, 5, 500); // pruned: only the record is left
        record(20261102, 2, 6); // uploaded, kept
                                // A damaged record is no day.
        fs::write(own.archived(day(20261030)), "{").unwrap();
        let days = stat(&p, day(20261126)).unwrap();
        let got: Vec<_> = days
            .iter()
            .map(|d| {
                (
                    d.day.number(),
                    d.lines,
                    d.bytes,
                    d.local,
                    d.archived.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    20261101,
                    5,
                    500,
                    false,
                    Some("s3://b/logs/e-2026-11-01.log")
                ),
                (20261102, 2, 6, true, Some("s3://b/logs/e-2026-11-02.log")),
                (20261103, 1, 3, true, None),
            ]
        );
        assert_eq!(days[0].file, "s3://b/logs/e-2026-11-01.log");
    }

    #[test]
    fn counts_across_many_reads() {
        // Lines straddling read boundaries, and a torn tail longer than one read.
        let tmp = tempfile::tempdir().unwrap();
        let line = format!("{}\n", "x".repeat(999));
        let lines = 3 * READ_SIZE / line.len() + 7;
        let torn = "y".repeat(READ_SIZE + 13);
        fs::write(
            tmp.path().join("e-2026-11-01.log"),
            format!("{}{torn}", line.repeat(lines)),
        )
        .unwrap();
        let d = &stat(&pattern(tmp.path()), day(20261126)).unwrap()[0];
        assert_eq!(d.lines, lines as u64);
        assert_eq!(d.bytes, (lines * line.len() + torn.len()) as u64);
        assert_eq!(d.torn_bytes, torn.len() as u64);
    }

    #[test]
    fn a_missing_directory_has_no_days() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Pattern::parse(&format!("{}/nope/%y-%m-%d", tmp.path().display())).unwrap();
        assert!(stat(&p, day(20261126)).unwrap().is_empty());
    }

    #[test]
    fn read_errors_are_reported_not_skipped() {
        // Only a vanished file is passed over; any other failure (here EISDIR: root reads
        // through permissions, so a directory stands in for an unreadable file) is an error.
        let tmp = tempfile::tempdir().unwrap();
        let err = scan(tmp.path().to_str().unwrap(), &mut [0u8; 16]).unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::NotFound);
        // EISDIR; Windows refuses to open a directory as a file (access denied).
        assert_eq!(err.raw_os_error(), Some(if cfg!(windows) { 5 } else { 21 }));
        let gone = tmp.path().join("gone.log");
        let err = scan(gone.to_str().unwrap(), &mut [0u8; 16]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
