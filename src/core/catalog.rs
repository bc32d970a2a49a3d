//! The catalog of a log's days: which exist, and where each lives — a local logfile, an object
//! in the archive, or both. Readers ask it for "the first day from D" and "the day after D" and
//! open whatever it names; they never list directories or buckets themselves.
//!
//! Local days come from walking the directory (`discovery.rs`), again only when something new
//! may have appeared. Archived days come from the records that uploads leave in our own files
//! (any process on this machine) and, for a reader with only the archive, from listing it
//! (`remote/`).

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use crate::day::Day;
use crate::discovery::list_logfiles;
use crate::files::{days_in, OwnFiles};
use crate::pattern::Pattern;
use crate::upload_records::UploadRecord;

/// A day's object in the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedDay {
    /// Its key in the bucket.
    pub key: String,
    pub size: u64,
    /// Complete lines, when known (from our record of the upload, or the object's metadata).
    pub lines: Option<u64>,
}

/// One day of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayEntry {
    pub day: Day,
    /// The local logfile, as files are opened (`None` once pruned, or on a machine with only
    /// the archive).
    pub local: Option<String>,
    pub archived: Option<ArchivedDay>,
}

pub struct Catalog {
    pattern: Arc<Pattern>,
    files: OwnFiles,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    local: BTreeMap<Day, String>,
    archived: BTreeMap<Day, ArchivedDay>,
    /// The log's archive (`s3://…`), whose records of uploads are read.
    archive: Option<String>,
    /// Days deleted locally after an upload to an archive this log cannot read (it was opened
    /// without one, or with another): their records, with the archive's URL. They are not
    /// days a reader can open, but they count: a reader's `prevPos` after them is their last
    /// line (`History::last_position_before`).
    elsewhere: BTreeMap<Day, (String, ArchivedDay)>,
}

impl Catalog {
    pub fn new(pattern: Arc<Pattern>, files: OwnFiles) -> Catalog {
        Catalog {
            pattern,
            files,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The log has an archive from now on: records of uploads to it are read at each refresh.
    pub fn enable_archive(&self, url: &str) {
        self.inner().archive = Some(url.to_string());
    }

    /// Lists the local logfiles (and the records of uploads) again, then returns every day up
    /// to `until`, oldest first.
    pub fn refresh(&self, until: Option<Day>) -> io::Result<Vec<DayEntry>> {
        let files = list_logfiles(&self.pattern, None)?;
        let local: BTreeMap<Day, String> = files.into_iter().map(|f| (f.day, f.path)).collect();
        let (archive, known) = {
            let inner = self.inner();
            let known: Vec<Day> = inner.elsewhere.keys().copied().collect();
            (inner.archive.clone(), known)
        };
        let mut records = Vec::new();
        let mut elsewhere = Vec::new();
        for day in days_in(&self.files.archive_dir(), ".json")? {
            // A record of a day still on disk, or one read before, is not read again.
            // (With an archive every record is read: it may be of that archive.)
            if archive.is_none() && (local.contains_key(&day) || known.contains(&day)) {
                continue;
            }
            match read_any_record(&self.files, day) {
                Some((url, a)) if Some(&url) == archive.as_ref() => records.push((day, a)),
                Some((url, a)) if !local.contains_key(&day) => elsewhere.push((day, (url, a))),
                _ => {}
            }
        }
        let mut inner = self.inner();
        inner.local = local;
        for (day, archived) in records {
            inner.elsewhere.remove(&day);
            inner.archived.insert(day, archived);
        }
        inner.elsewhere.extend(elsewhere);
        drop(inner);
        Ok(self.days(until))
    }

    /// Days only in an archive this log cannot read, with their archive's URL and line count
    /// (from the last `refresh`), oldest first.
    pub fn elsewhere(&self) -> Vec<(Day, String, u64)> {
        let inner = self.inner();
        inner
            .elsewhere
            .iter()
            .filter(|(day, _)| !inner.local.contains_key(day) && !inner.archived.contains_key(day))
            .map(|(day, (url, a))| (*day, url.clone(), a.lines.unwrap_or(0)))
            .collect()
    }

    /// Every day known up to `until`, oldest first, without listing anything.
    pub fn days(&self, until: Option<Day>) -> Vec<DayEntry> {
        let inner = self.inner();
        let mut days: Vec<Day> = inner
            .local
            .keys()
            .chain(inner.archived.keys())
            .copied()
            .filter(|d| until.is_none_or(|u| *d <= u))
            .collect();
        days.sort();
        days.dedup();
        days.into_iter()
            .map(|day| DayEntry {
                day,
                local: inner.local.get(&day).cloned(),
                archived: inner.archived.get(&day).cloned(),
            })
            .collect()
    }

    /// What is known of one day.
    pub fn entry(&self, day: Day) -> Option<DayEntry> {
        let inner = self.inner();
        let local = inner.local.get(&day).cloned();
        let archived = inner.archived.get(&day).cloned();
        (local.is_some() || archived.is_some()).then_some(DayEntry {
            day,
            local,
            archived,
        })
    }

    /// The newest day with a local logfile.
    pub fn newest_local(&self) -> Option<Day> {
        self.inner().local.keys().next_back().copied()
    }

    /// Records that `day` is in the archive (an upload verified here, or a listing); returns
    /// whether the day was not known to be there.
    pub fn note_archived(&self, day: Day, archived: ArchivedDay) -> bool {
        let mut inner = self.inner();
        let known = inner.archived.get(&day);
        // A listing knows no line count; keep the one a record gave.
        let lines = archived.lines.or(known.and_then(|k| k.lines));
        inner
            .archived
            .insert(day, ArchivedDay { lines, ..archived })
            .is_none()
    }

    /// Records a day's line count learnt from the archive.
    pub fn note_lines(&self, day: Day, lines: u64) {
        if let Some(a) = self.inner().archived.get_mut(&day) {
            a.lines = Some(lines);
        }
    }

    /// Forgets a local logfile (deleted after its upload was verified).
    pub fn forget_local(&self, day: Day) {
        self.inner().local.remove(&day);
    }
}

/// The record an upload to the archive `url` left (`None` if missing, unreadable — the next
/// pass repairs it — or of an upload to another archive).
pub fn read_record(files: &OwnFiles, day: Day, url: &str) -> Option<ArchivedDay> {
    let (of, archived) = read_any_record(files, day)?;
    (of == url).then_some(archived)
}

/// The record of a day's upload, to whichever archive it went: its archive's URL and the
/// object (`None` if missing or unreadable).
pub fn read_any_record(files: &OwnFiles, day: Day) -> Option<(String, ArchivedDay)> {
    let record = UploadRecord::read(files, day)?;
    let archived = ArchivedDay {
        key: record.key,
        size: record.size,
        lines: record.lines,
    };
    Some((record.url, archived))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::write_atomically;
    use std::fs;

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    #[test]
    fn merges_local_days_and_archived_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let p =
            Arc::new(Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap());
        let files = OwnFiles::new(&p);
        let cat = Catalog::new(p.clone(), files.clone());
        fs::write(tmp.path().join("e-2026-11-19.log"), "{}\n").unwrap();
        fs::write(tmp.path().join("e-2026-11-21.log"), "{}\n").unwrap();
        write_atomically(
            &files.archived(day(20261118)),
            br#"{"key":"p/e-2026-11-18.log","size":3,"lines":1,"sha256":"x","url":"s3://b/p"}"#,
        )
        .unwrap();
        // Without an archive, records are not read.
        let days: Vec<u32> = cat
            .refresh(None)
            .unwrap()
            .iter()
            .map(|e| e.day.number())
            .collect();
        assert_eq!(days, vec![20261119, 20261121]);
        cat.enable_archive("s3://other/p");
        assert_eq!(
            cat.refresh(None).unwrap().len(),
            2,
            "records of another archive are not ours"
        );
        cat.enable_archive("s3://b/p");
        let all = cat.refresh(Some(day(20261120))).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].day, day(20261118));
        assert_eq!(all[0].local, None);
        assert_eq!(all[0].archived.as_ref().map(|a| a.lines), Some(Some(1)));
        assert!(all[1]
            .local
            .as_deref()
            .unwrap()
            .ends_with("e-2026-11-19.log"));
        // A day uploaded and pruned here is still a day of the log.
        cat.note_archived(
            day(20261119),
            ArchivedDay {
                key: "p/e-2026-11-19.log".into(),
                size: 3,
                lines: None,
            },
        );
        cat.forget_local(day(20261119));
        let e = cat.entry(day(20261119)).unwrap();
        assert_eq!((e.local, e.archived.map(|a| a.size)), (None, Some(3)));
        assert_eq!(cat.newest_local(), Some(day(20261121)));
    }
}
