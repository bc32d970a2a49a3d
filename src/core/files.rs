//! Our own files beside the logfiles (README "Files on disk"), all under one dot-directory in
//! the pattern's base directory, where neither our matcher nor the original package's can take
//! anything for a logfile (a date digit or a literal never matches the dot):
//!
//! ```text
//! .eventlog/<name>.lock              the writers' lock, and the newest day (lock.rs)
//! .eventlog/torn/<logfile>@<offset>  torn tails cut off by a writer (writer.rs)
//! .eventlog/<name>.d/index/<day>.idx the sparse offset index of a day (index.rs)
//! .eventlog/<name>.d/flushed         how far the newest day is flushed, by any writer (flush.rs)
//! .eventlog/<name>.d/archive/…       what was uploaded and verified, uploads in progress
//! .eventlog/<name>.d/archive.lock    held by the process making an upload pass
//! .eventlog/<name>.d/consumers/<consumer>.checkpoint
//!                                    a named consumer's last handled position (checkpoint.rs)
//! ```
//!
//! `<name>` is the pattern below its base directory with `/` as `~` and `%` as `_`
//! (`events-_y-_m-_d.log`), so several patterns can share a directory.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::day::Day;
use crate::pattern::{Pattern, STATE_DIR};

#[derive(Clone, Debug)]
pub struct OwnFiles {
    /// `<base>/.eventlog`.
    dir: PathBuf,
    /// The pattern's name in it.
    name: String,
}

impl OwnFiles {
    pub fn new(pattern: &Pattern) -> OwnFiles {
        OwnFiles {
            dir: pattern.base_path().join(STATE_DIR),
            name: pattern.state_name(""),
        }
    }

    /// `.eventlog/` itself.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn lock(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.name))
    }

    pub(crate) fn torn_dir(&self) -> PathBuf {
        self.dir.join("torn")
    }

    /// The directory of this pattern's other files.
    fn own(&self) -> PathBuf {
        self.dir.join(format!("{}.d", self.name))
    }

    pub(crate) fn index_dir(&self) -> PathBuf {
        self.own().join("index")
    }

    pub(crate) fn index(&self, day: Day) -> PathBuf {
        self.index_dir().join(format!("{:08}.idx", day.number()))
    }

    /// The stream indexes made for a stream key (`stream/`), by the key's directory name.
    pub(crate) fn streams_dir(&self, key_dir: &str) -> PathBuf {
        self.own().join("streams").join(key_dir)
    }

    pub(crate) fn flushed(&self) -> PathBuf {
        self.own().join("flushed")
    }

    pub(crate) fn archive_dir(&self) -> PathBuf {
        self.own().join("archive")
    }

    /// The record of a day's verified upload.
    pub(crate) fn archived(&self, day: Day) -> PathBuf {
        self.archive_dir().join(format!("{:08}.json", day.number()))
    }

    /// The state of a day's multipart upload in progress.
    pub(crate) fn upload(&self, day: Day) -> PathBuf {
        self.archive_dir()
            .join(format!("{:08}.upload", day.number()))
    }

    /// The archiver's last pass (`archive/health.rs`).
    pub(crate) fn archive_status(&self) -> PathBuf {
        self.archive_dir().join("status.json")
    }

    pub(crate) fn archive_lock(&self) -> PathBuf {
        self.own().join("archive.lock")
    }

    /// Where named consumers keep their checkpoints (file names: `checkpoint::file_name`).
    pub(crate) fn consumers_dir(&self) -> PathBuf {
        self.own().join("consumers")
    }
}

/// Replaces `path` with `data` all at once: readers see the old file or the new one, never a
/// part (written beside it, then renamed over it).
pub fn write_atomically(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
        drop(f);
        crate::sys::rename_over(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The days named `<YYYYMMDD><suffix>` in `dir` (none if it does not exist).
pub fn days_in(dir: &Path, suffix: &str) -> io::Result<Vec<Day>> {
    let listing = match fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut days = Vec::new();
    for entry in listing {
        let name = entry?.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(suffix)) else {
            continue;
        };
        if stem.len() == 8 {
            if let Some(day) = stem
                .parse::<u32>()
                .ok()
                .and_then(|n| Day::from_number(n, "file").ok())
            {
                days.push(day);
            }
        }
    }
    days.sort();
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_files_live_in_the_dot_directory() {
        let p = Pattern::parse("/data/%y/%m/ev-%d.log").unwrap();
        let f = OwnFiles::new(&p);
        let day = Day::from_number(20261120, "t").unwrap();
        assert_eq!(
            f.lock(),
            PathBuf::from("/data/.eventlog/_y~_m~ev-_d.log.lock")
        );
        assert_eq!(
            f.index(day),
            PathBuf::from("/data/.eventlog/_y~_m~ev-_d.log.d/index/20261120.idx")
        );
        assert!(p.day_of(&f.index(day).to_string_lossy()).is_none());
        assert!(p.day_of(&f.archived(day).to_string_lossy()).is_none());
    }

    #[test]
    fn atomic_writes_and_day_listings() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        write_atomically(&dir.join("20261120.json"), b"{}").unwrap();
        write_atomically(&dir.join("20261119.json"), b"{}").unwrap();
        write_atomically(&dir.join("20261119.json"), b"{\"x\":1}").unwrap();
        fs::write(dir.join("junk.json"), "").unwrap();
        let days: Vec<u32> = days_in(&dir, ".json")
            .unwrap()
            .into_iter()
            .map(Day::number)
            .collect();
        assert_eq!(days, vec![20261119, 20261120]);
        assert_eq!(
            fs::read_to_string(dir.join("20261119.json")).unwrap(),
            "{\"x\":1}"
        );
        assert!(days_in(&tmp.path().join("none"), ".json")
            .unwrap()
            .is_empty());
    }
}
