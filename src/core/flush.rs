//! Durable commits shared by every writing process: one `fdatasync` of a logfile makes durable
//! everything any process wrote to it before, so a process whose lines another's flush already
//! covered need not flush again.
//!
//! The record, in our own files, says how far a day's logfile is known to be flushed (and
//! whether its directory entry is). A writer that needs its lines durable takes the record's
//! lock, and if the record does not reach the end of its last write, reads the file's size,
//! flushes, and records that size before letting go. Writers waiting on the lock meanwhile
//! then mostly find themselves covered: that is group commit across processes. The size is read
//! before the flush starts, so the record never claims more than the flush made durable.
//!
//! A writer that cuts bytes off a logfile (a torn tail) lowers the record first, so bytes
//! written later at the same offsets are never taken for flushed ones.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::day::Day;
use crate::error::{Error, Result};
use crate::lock::open_lock_file;
use crate::sys::{self, FileExt};

/// How far one day's logfile is known to be flushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Flushed {
    day: Day,
    bytes: u64,
    /// The logfile's directory entry is flushed too.
    dir: bool,
    /// Who flushed last, and when (milliseconds since the epoch).
    pid: u32,
    at_ms: u64,
}

/// The size of the record: `YYYYMMDD BYTES(20) D PID(10) MS(15) SUM(16)\n`, where SUM is a
/// checksum of what comes before it: the record is read without its lock too (a torn read is
/// told by its sum and taken for none).
const RECORD_LEN: usize = 76;

/// When another process flushed this recently, others are writing too: a flush waits this long
/// before it starts, so that one `fdatasync` covers their lines as well (as a database's commit
/// delay does). Measured here: waiting while the file keeps growing, for up to 1.5 ms, covers
/// more lines per flush but costs more than it saves.
const BUSY_WITHIN_MS: u64 = 3;
const GATHER: std::time::Duration = std::time::Duration::from_micros(200);

/// What `flush_through` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flush {
    /// This process ran `fdatasync`.
    Flushed,
    /// Another process's flush already covered these lines.
    Covered,
}

/// The flush record of a log.
pub struct FlushRecord {
    file: File,
    path: PathBuf,
}

impl FlushRecord {
    pub fn open(path: &Path) -> Result<FlushRecord> {
        Ok(FlushRecord {
            file: open_lock_file(path)?,
            path: path.to_path_buf(),
        })
    }

    fn read(&self) -> Option<Flushed> {
        let mut buf = [0u8; RECORD_LEN];
        self.file.read_exact_at(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf).ok()?;
        let (body, sum) = text.trim_end().rsplit_once(' ')?;
        if u64::from_str_radix(sum, 16).ok()? != checksum(body) {
            return None;
        }
        let mut parts = body.split(' ');
        let day = Day::from_number(parts.next()?.parse().ok()?, "flush record").ok()?;
        let bytes = parts.next()?.parse().ok()?;
        let dir = parts.next()? == "1";
        let pid = parts.next()?.parse().ok()?;
        let at_ms = parts.next()?.parse().ok()?;
        Some(Flushed {
            day,
            bytes,
            dir,
            pid,
            at_ms,
        })
    }

    fn write(&self, f: Flushed) -> Result<()> {
        let body = format!(
            "{:08} {:020} {} {:010} {:015}",
            f.day.number(),
            f.bytes,
            u8::from(f.dir),
            f.pid,
            f.at_ms
        );
        let text = format!("{body} {:016x}\n", checksum(&body));
        self.file
            .write_all_at(text.as_bytes(), 0)
            .map_err(|e| Error::write("write", &self.path, e))
    }

    /// Makes `day`'s logfile durable through byte `end` (the end of this process's last write):
    /// by a flush of another process recorded already, or by `flush_file`, after reading the
    /// file's `size` (what the flush will have made durable), and, if nobody has yet,
    /// `flush_dir`.
    pub fn flush_through(
        &self,
        day: Day,
        end: u64,
        size: impl FnOnce() -> Result<u64>,
        flush_file: impl FnOnce() -> Result<()>,
        flush_dir: impl FnOnce() -> Result<()>,
    ) -> Result<Flush> {
        let covered =
            |f: Option<Flushed>| f.is_some_and(|f| f.day == day && f.bytes >= end && f.dir);
        // Covered already (read without the lock: the record only ever claims a finished
        // flush): no need to queue for the lock.
        if covered(self.read()) {
            return Ok(Flush::Covered);
        }
        sys::lock_exclusive(&self.file).map_err(|e| Error::write("lock", &self.path, e))?;
        let result = (|| {
            let known = self.read();
            let same_day = known.filter(|f| f.day == day);
            let data_done = same_day.is_some_and(|f| f.bytes >= end);
            let dir_done = same_day.is_some_and(|f| f.dir);
            if data_done && dir_done {
                return Ok(Flush::Covered);
            }
            let busy = known.is_some_and(|f| {
                f.pid != std::process::id() && now_ms().saturating_sub(f.at_ms) <= BUSY_WITHIN_MS
            });
            if busy && !data_done {
                std::thread::sleep(GATHER);
            }
            let bytes = match same_day {
                Some(f) if data_done => f.bytes,
                _ => {
                    // The size first: the record must not claim bytes written after the flush
                    // began.
                    let bytes = size()?;
                    flush_file()?;
                    bytes
                }
            };
            if !dir_done {
                flush_dir()?;
            }
            // A newer day's record stays: this day is over for every other writer.
            if known.is_none_or(|f| f.day <= day) {
                self.write(Flushed {
                    day,
                    bytes,
                    dir: true,
                    pid: std::process::id(),
                    at_ms: now_ms(),
                })?;
            }
            Ok(if data_done {
                Flush::Covered
            } else {
                Flush::Flushed
            })
        })();
        let _ = sys::unlock(&self.file);
        result
    }

    /// Before bytes of `day`'s logfile from `offset` on are cut off: the record must not
    /// reach past them. (Called under the writers' lock, which no flush holds.)
    pub fn lower(path: &Path, day: Day, offset: u64) -> Result<()> {
        if !path.exists() {
            return Ok(());
        }
        let record = FlushRecord::open(path)?;
        sys::lock_exclusive(&record.file).map_err(|e| Error::write("lock", &record.path, e))?;
        let result = match record.read() {
            Some(f) if f.day == day && f.bytes > offset => {
                record.write(Flushed { bytes: offset, ..f })
            }
            _ => Ok(()),
        };
        let _ = sys::unlock(&record.file);
        result
    }
}

/// FNV-1a of the record's text.
fn checksum(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    #[test]
    fn one_flush_covers_the_lines_written_before_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("flushed");
        let a = FlushRecord::open(&path).unwrap();
        let b = FlushRecord::open(&path).unwrap();
        let flushes = Cell::new(0);
        let flush = || {
            flushes.set(flushes.get() + 1);
            Ok(())
        };
        let at = |n: u64| move || Ok(n);
        let none = || Ok(());
        let d = day(20261126);
        // `a` flushes the file at 300 bytes; `b` wrote through 250: covered.
        assert_eq!(
            a.flush_through(d, 200, at(300), flush, none).unwrap(),
            Flush::Flushed
        );
        assert_eq!(
            b.flush_through(d, 250, at(999), flush, none).unwrap(),
            Flush::Covered
        );
        // Beyond what was flushed, or on another day, it flushes.
        assert_eq!(
            b.flush_through(d, 301, at(400), flush, none).unwrap(),
            Flush::Flushed
        );
        let next = day(20261127);
        assert_eq!(
            a.flush_through(next, 10, at(10), flush, none).unwrap(),
            Flush::Flushed
        );
        assert_eq!(flushes.get(), 3);
        // An older day never overwrites a newer day's record.
        assert_eq!(
            b.flush_through(d, 500, at(500), flush, none).unwrap(),
            Flush::Flushed
        );
        assert_eq!(a.read().map(|f| f.day), Some(next));
    }

    #[test]
    fn cutting_bytes_lowers_the_record_and_the_directory_is_flushed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("flushed");
        let r = FlushRecord::open(&path).unwrap();
        let dirs = Cell::new(0);
        let dir = || {
            dirs.set(dirs.get() + 1);
            Ok(())
        };
        let ok = || Ok(());
        let d = day(20261126);
        r.flush_through(d, 100, || Ok(150), ok, dir).unwrap();
        FlushRecord::lower(&path, d, 120).unwrap();
        // A line written at 120..140 after the cut is not taken for flushed.
        assert_eq!(
            r.flush_through(d, 140, || Ok(140), ok, dir).unwrap(),
            Flush::Flushed
        );
        assert_eq!(dirs.get(), 1);
        // A damaged record counts as none.
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(
            r.flush_through(d, 1, || Ok(1), ok, dir).unwrap(),
            Flush::Flushed
        );
        assert_eq!(dirs.get(), 2);
    }
}
