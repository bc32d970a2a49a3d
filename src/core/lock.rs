//! The writers' lock: one advisory lock file per pattern in `.eventlog/`, taken by every writer
//! of every process around each write. Under it a writer learns how many lines others appended
//! and which day is newest, so positions and day rollover are one decision, never a race.
//!
//! The file also records the newest day any writer has written to (the "head"), so a writer
//! whose clock is behind appends to that day instead of an older one without listing the
//! directory at every write.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::day::Day;
use crate::error::{Error, Result};
use crate::files::OwnFiles;
use crate::sys::{self, FileExt};

pub struct WriterLock {
    file: File,
    path: PathBuf,
}

/// Opens (creating it and its directory if needed) a file to take an advisory lock on.
pub fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::write("create directory", dir, e))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::write("open lock file", path, e))
}

impl WriterLock {
    /// Opens (creating it and `.eventlog/` if needed) the writers' lock file of a log.
    pub fn open(files: &OwnFiles) -> Result<WriterLock> {
        let path = files.lock();
        let file = open_lock_file(&path)?;
        Ok(WriterLock { file, path })
    }

    /// Blocks until this process holds the lock; it is released when the guard drops.
    pub fn lock(&self) -> Result<LockGuard<'_>> {
        sys::lock_exclusive(&self.file).map_err(|e| Error::write("lock", &self.path, e))?;
        Ok(LockGuard { lock: self })
    }
}

impl WriterLock {
    /// A guard for the lock this handle already holds (kept from an earlier write; see
    /// `LockGuard::keep`).
    pub fn assume_held(&self) -> LockGuard<'_> {
        LockGuard { lock: self }
    }

    /// Releases a lock kept past its guard.
    pub fn unlock(&self) {
        // Closing would release it too; an unlock error leaves nothing to repair.
        let _ = sys::unlock(&self.file);
    }

    /// Takes the lock only if no one holds it (`None` if another process does).
    pub fn try_lock(&self) -> Result<Option<LockGuard<'_>>> {
        match sys::try_lock_exclusive(&self.file) {
            Ok(true) => Ok(Some(LockGuard { lock: self })),
            Ok(false) => Ok(None),
            Err(e) => Err(Error::write("lock", &self.path, e)),
        }
    }
}

/// Proof of holding the writers' lock.
pub struct LockGuard<'a> {
    lock: &'a WriterLock,
}

impl LockGuard<'_> {
    /// The newest day a writer has recorded, if any.
    pub fn head(&self) -> Result<Option<Day>> {
        read_head(&self.lock.file).map_err(|e| Error::read("read", &self.lock.path, e))
    }

    /// Keeps the lock held when the guard goes (release it with `WriterLock::unlock`).
    pub fn keep(self) {
        std::mem::forget(self);
    }

    /// Records `day` as the newest day written to.
    pub fn set_head(&self, day: Day) -> Result<()> {
        let text = format!("{:08}\n", day.number());
        self.lock
            .file
            .write_all_at(text.as_bytes(), 0)
            .map_err(|e| Error::write("write", &self.lock.path, e))
    }
}

/// The head recorded in a lock file (8 digits at its start), if any.
fn read_head(file: &File) -> io::Result<Option<Day>> {
    let mut buf = [0u8; 8];
    match file.read_exact_at(&mut buf, 0) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let text = std::str::from_utf8(&buf).unwrap_or("");
    Ok(text
        .parse::<u32>()
        .ok()
        .and_then(|n| Day::from_number(n, "lock file").ok()))
}

/// The newest day any writer has recorded, read without the lock (for a reader: every day
/// before it is sealed, since writers append to it or later). `None` if there is no lock
/// file, or it records none.
pub fn recorded_head(files: &OwnFiles) -> Option<Day> {
    let file = File::open(files.lock()).ok()?;
    read_head(&file).ok().flatten()
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_round_trips_and_lock_excludes_other_handles() {
        let tmp = tempfile::tempdir().unwrap();
        let p = crate::pattern::Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display()))
            .unwrap();
        let files = OwnFiles::new(&p);
        let a = WriterLock::open(&files).unwrap();
        let b = WriterLock::open(&files).unwrap();
        {
            let g = a.lock().unwrap();
            assert_eq!(g.head().unwrap(), None);
            g.set_head(Day::from_number(20261126, "t").unwrap())
                .unwrap();
            // A second open file description is excluded while the first holds the lock.
            assert!(!sys::try_lock_exclusive(&b.file).unwrap());
        }
        let g = b.lock().unwrap();
        assert_eq!(g.head().unwrap().map(Day::number), Some(20261126));
        assert!(tmp.path().join(".eventlog/e-_y-_m-_d.log.lock").exists());
    }
}
