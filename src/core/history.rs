//! What a log knows of its days, shared by its writer, its consumers and its archiver: the
//! catalog of days, the index cache, and (with an archive) the way to the archived days. It
//! answers the questions every reader and writer asks — the position before a day, how to open
//! a day, where inside it a line starts — in one place.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::catalog::{Catalog, DayEntry};
use crate::clock::Clock;
use crate::day::Day;
use crate::error::{Error, Result};
use crate::files::OwnFiles;
use crate::index::{DayIndex, IndexCache};
use crate::pattern::Pattern;
use crate::position::{encode, PER_DAY};
use crate::remote::Remote;
use crate::source::DaySource;
use crate::stream::StreamIndex;

/// A day a writer has counted: its lines, and the position of the last line before it.
#[derive(Clone, Copy, Debug)]
pub struct KnownDay {
    pub day: Day,
    pub lines: u64,
    pub prev_last: Option<u64>,
}

pub struct History {
    pub pattern: Arc<Pattern>,
    pub files: OwnFiles,
    pub clock: Clock,
    pub catalog: Catalog,
    pub indexes: IndexCache,
    remote: OnceLock<Arc<Remote>>,
    /// The stream index, once the log is opened with a stream key.
    pub streams: OnceLock<Arc<StreamIndex>>,
}

impl History {
    pub fn new(pattern: Arc<Pattern>, clock: Clock) -> History {
        let files = OwnFiles::new(&pattern);
        History {
            catalog: Catalog::new(pattern.clone(), files.clone()),
            indexes: IndexCache::new(files.clone()),
            pattern,
            files,
            clock,
            remote: OnceLock::new(),
            streams: OnceLock::new(),
        }
    }

    /// Gives the log its archive (once).
    pub fn attach_remote(&self, remote: Arc<Remote>) {
        self.catalog.enable_archive(remote.url());
        let _ = self.remote.set(remote);
    }

    pub fn remote(&self) -> Option<&Arc<Remote>> {
        self.remote.get()
    }

    /// Whether no writer can append to `day` any more: a later day has a logfile (writers move
    /// on under their lock, and never come back), or it is archived.
    pub fn is_sealed(&self, day: Day) -> bool {
        self.catalog.newest_local().is_some_and(|n| n > day)
            || self
                .catalog
                .entry(day)
                .is_some_and(|e| e.archived.is_some())
    }

    /// The complete lines of a day, wherever it lives.
    pub fn lines_of(&self, entry: &DayEntry) -> Result<u64> {
        if let Some(path) = &entry.local {
            match self.index_of_local(entry.day, path) {
                Ok(index) => return Ok(index.lines),
                // Pruned since it was listed: the archive has it.
                Err(e) if e.kind() == io::ErrorKind::NotFound && entry.archived.is_some() => {}
                Err(e) => return Err(Error::read("read", path, e)),
            }
        }
        let Some(archived) = &entry.archived else {
            return Ok(0);
        };
        if let Some(lines) = archived.lines {
            return Ok(lines);
        }
        let remote = self.remote().ok_or(Error::Stopped)?;
        let lines = remote
            .lines_of(archived)
            .map_err(|e| Error::read("read metadata of", &archived.key, e))?;
        self.catalog.note_lines(entry.day, lines);
        Ok(lines)
    }

    /// The index of a local day as the file is now.
    pub fn index_of_local(&self, day: Day, path: &str) -> io::Result<Arc<DayIndex>> {
        self.indexes
            .get(day, Path::new(path), self.is_sealed(day), false)
    }

    /// The position of the last line before `day`: the last line of the newest non-empty day
    /// before it, or `None` if there is none. `known`: a day the caller has counted (the one
    /// it just finished), to spare counting it and, if it is empty, everything before it.
    ///
    /// Days only in an archive this log cannot read count too, by the line counts their upload
    /// records hold: positions and `prevPos` are the same whether a reader can read them or not.
    pub fn last_position_before(&self, day: Day, known: Option<KnownDay>) -> Result<Option<u64>> {
        let days = self.catalog.days(None);
        let mut elsewhere = self.catalog.elsewhere();
        elsewhere.retain(|(d, _, _)| *d < day);
        for entry in days.iter().rev().filter(|e| e.day < day) {
            // A day only elsewhere between this one and `day` is the newer one.
            while let Some((d, _, lines)) = elsewhere.last().filter(|(d, _, _)| *d > entry.day) {
                if *lines > 0 {
                    return Ok(Some(encode(*d, lines - 1)));
                }
                elsewhere.pop();
            }
            let lines = match known {
                Some(k) if k.day == entry.day && k.lines == 0 => return Ok(k.prev_last),
                Some(k) if k.day == entry.day => k.lines,
                _ => self.lines_of(entry)?,
            };
            if lines > 0 {
                return Ok(Some(encode(entry.day, lines - 1)));
            }
        }
        let last = elsewhere.iter().rev().find(|(_, _, lines)| *lines > 0);
        Ok(last.map(|(d, _, lines)| encode(*d, lines - 1)))
    }

    /// Days deleted here after their upload to an archive this log cannot read (it was opened
    /// without one, or with another), as `(archive URL, days)` per archive, oldest first: what
    /// readers of this log will not deliver. Reads the upload records and looks for each
    /// day's logfile, without listing the directory.
    pub fn unreadable_archived_days(&self) -> Vec<(String, Vec<Day>)> {
        let ours = self.remote().map(|r| r.url().to_string());
        let mut by_url: Vec<(String, Vec<Day>)> = Vec::new();
        let Ok(days) = crate::files::days_in(&self.files.archive_dir(), ".json") else {
            return by_url;
        };
        for day in days {
            if Path::new(&self.pattern.path_for(day)).exists() {
                continue;
            }
            let Some((url, _)) = crate::catalog::read_any_record(&self.files, day) else {
                continue;
            };
            if Some(&url) == ours.as_ref() {
                continue;
            }
            match by_url.iter_mut().find(|(u, _)| *u == url) {
                Some((_, list)) => list.push(day),
                None => by_url.push((url, vec![day])),
            }
        }
        by_url
    }

    /// The position of the last line written so far, as readers see the log (days up to
    /// today), or `None` for an empty log.
    pub fn last_position(&self) -> Result<Option<u64>> {
        self.catalog
            .refresh(None)
            .map_err(|e| Error::read("list", self.pattern.base_path(), e))?;
        self.last_position_before(self.clock.today().add_days(1), None)
    }

    /// For each position, how many lines were written after it (up to today): a named
    /// consumer's lag behind the end of the log. Lists the days once and counts each day from
    /// the oldest position's on once (by its index, which grows with the file).
    pub fn lines_after(&self, positions: &[u64]) -> Result<Vec<u64>> {
        let Some(oldest) = positions.iter().min().map(|p| p / PER_DAY) else {
            return Ok(Vec::new());
        };
        let today = u64::from(self.clock.today().number());
        let days = self
            .catalog
            .refresh(None)
            .map_err(|e| Error::read("list", self.pattern.base_path(), e))?;
        let mut counted = Vec::new();
        for entry in days.iter().rev() {
            let day = u64::from(entry.day.number());
            if day < oldest {
                break;
            }
            if day <= today {
                counted.push((day, self.lines_of(entry)?));
            }
        }
        Ok(positions
            .iter()
            .map(|&pos| {
                let (day, line) = (pos / PER_DAY, pos % PER_DAY);
                counted
                    .iter()
                    .map(|&(d, lines)| match d.cmp(&day) {
                        std::cmp::Ordering::Greater => lines,
                        std::cmp::Ordering::Equal => lines.saturating_sub(line + 1),
                        std::cmp::Ordering::Less => 0,
                    })
                    .sum()
            })
            .collect())
    }

    /// Opens a day for reading: its local logfile, or its object in the archive.
    pub fn open(&self, entry: &DayEntry) -> io::Result<DaySource> {
        if let Some(path) = &entry.local {
            match File::open(path) {
                Ok(f) => return Ok(DaySource::Local(f)),
                Err(e) if e.kind() == io::ErrorKind::NotFound && entry.archived.is_some() => {}
                Err(e) => return Err(e),
            }
        }
        match (&entry.archived, self.remote()) {
            (Some(archived), Some(remote)) => Ok(DaySource::Archived(remote.open_day(archived))),
            _ => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the logfile is gone and the log has no archive to read it from",
            )),
        }
    }

    /// Where to start reading `entry` to reach line `line` quickly: a byte offset and the line
    /// number there, from the day's index (local days; archived ones indexed on this machine,
    /// or else from the index uploaded beside the object). `(0, 0)` when no index helps.
    pub fn seek_point(&self, entry: &DayEntry, line: u64) -> (u64, u64) {
        if line < crate::index::STEP {
            return (0, 0);
        }
        let index = match &entry.local {
            Some(path) => self.index_of_local(entry.day, path).ok(),
            None => self.index_of_archived(entry),
        };
        index.map_or((0, 0), |ix| ix.seek(line))
    }

    /// The index of a day only in the archive: from memory or our files, else fetched from
    /// beside its object.
    fn index_of_archived(&self, entry: &DayEntry) -> Option<Arc<DayIndex>> {
        let archived = entry.archived.as_ref()?;
        if let Some(ix) = self.indexes.saved(entry.day, Some(archived.size)) {
            return Some(ix);
        }
        let index = self.remote()?.fetch_index(archived)?;
        Some(self.indexes.fetched(entry.day, index))
    }

    /// Builds and saves the index of every sealed local day that has none (after a rollover,
    /// so that a later process seeks into yesterday at once). Stops when the log closes.
    pub fn index_sealed_days(&self) {
        let Ok(days) = self.catalog.refresh(None) else {
            return;
        };
        let newest = days
            .iter()
            .rev()
            .find_map(|e| e.local.as_ref().map(|_| e.day));
        for entry in days.iter().filter(|e| Some(e.day) < newest) {
            let Some(path) = &entry.local else { continue };
            if self.indexes.is_saved(entry.day) {
                continue;
            }
            match self.indexes.get(entry.day, Path::new(path), true, false) {
                Ok(ix) => crate::debug::debug!("index", "indexed {path}: {} lines", ix.lines),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
                Err(e) => crate::debug::debug!("index", "could not index {path}: {e}"),
            }
        }
    }

    /// The day's name as shown to the user.
    pub fn name_of(&self, day: Day) -> String {
        self.pattern.name_for(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::write_atomically;

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    #[test]
    fn days_only_in_an_archive_it_cannot_read_still_count_for_prev_pos() {
        let tmp = tempfile::tempdir().unwrap();
        let p =
            Arc::new(Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap());
        let h = History::new(p, Clock::system());
        let line = "{\"event\":1,\"meta\":{\"id\":\"x\"}}\n";
        std::fs::write(tmp.path().join("e-2026-11-21.log"), line.repeat(2)).unwrap();
        std::fs::write(tmp.path().join("e-2026-11-23.log"), line).unwrap();
        let record = |n: u32, lines: u64| {
            let text = format!(
                r#"{{"day":{n},"key":"p/e-{n}.log","size":9,"lines":{lines},"sha256":"x","url":"s3://b/p"}}"#
            );
            write_atomically(&h.files.archived(day(n)), text.as_bytes()).unwrap();
        };
        record(20261119, 5);
        record(20261120, 0);
        record(20261122, 3);
        // A record of a day still on disk is not a day elsewhere.
        record(20261121, 2);
        // Before the days are listed nothing is known; readers and writers list first.
        assert_eq!(h.last_position_before(day(20261123), None).unwrap(), None);
        let listed: Vec<u32> = h
            .catalog
            .refresh(None)
            .unwrap()
            .iter()
            .map(|e| e.day.number())
            .collect();
        assert_eq!(
            listed,
            vec![20261121, 20261123],
            "only readable days are listed"
        );
        let before = |n| h.last_position_before(day(n), None).unwrap();
        assert_eq!(before(20261124), Some(2026112300000000));
        assert_eq!(before(20261123), Some(2026112200000002));
        assert_eq!(before(20261122), Some(2026112100000001));
        // Past an empty archived day, to the one before it.
        assert_eq!(before(20261121), Some(2026111900000004));
        assert_eq!(before(20261119), None);
        assert_eq!(
            h.unreadable_archived_days(),
            vec![(
                "s3://b/p".to_string(),
                vec![day(20261119), day(20261120), day(20261122)]
            )]
        );
    }

    #[test]
    fn lines_after_a_position_count_the_rest_of_its_day_and_every_later_day_up_to_today() {
        let tmp = tempfile::tempdir().unwrap();
        let p =
            Arc::new(Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap());
        let h = History::new(p, Clock::system());
        let line = "{\"event\":1,\"meta\":{\"id\":\"x\"}}\n";
        std::fs::write(tmp.path().join("e-2020-01-01.log"), line.repeat(3)).unwrap();
        std::fs::write(tmp.path().join("e-2020-01-03.log"), line.repeat(4)).unwrap();
        // Readers ignore a day after today: so does the lag.
        std::fs::write(tmp.path().join("e-2099-01-01.log"), line.repeat(5)).unwrap();
        let after = h
            .lines_after(&[
                2020010100000000,
                2020010100000002,
                2020010200000007,
                2020010300000003,
            ])
            .unwrap();
        assert_eq!(after, vec![6, 4, 4, 0]);
        assert_eq!(h.lines_after(&[]).unwrap(), Vec::<u64>::new());
    }
}
