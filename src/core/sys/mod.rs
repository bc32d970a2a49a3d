//! What the operating system does differently, behind one set of names: positional reads and
//! writes, the advisory locks on our own files, flushing a directory entry, and cutting a file
//! that is open for appending. Everything above this module is the same on every platform, and
//! so are the files on disk (LF line endings, the same names), so a data directory copied
//! between systems reads the same.
//!
//! Why locks are not simply `File::lock` everywhere: on Unix it is `flock`, advisory, so a
//! locked file is still read by anyone. On Windows it is `LockFileEx` over the whole file, and
//! byte-range locks there are mandatory: a reader through another handle (a process that reads
//! the flush record without its lock, or a checkpoint while a save runs) would fail with
//! ERROR_LOCK_VIOLATION. So on Windows we lock one byte far past the end of any data: the lock
//! excludes other lockers exactly as `flock` does, and no read or write ever touches that byte.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

use std::fs::File;
use std::io;

/// Takes `file`'s exclusive advisory lock, waiting for it.
pub fn lock_exclusive(file: &File) -> io::Result<()> {
    lock(file, LockKind::Exclusive)
}

/// Takes `file`'s shared advisory lock, waiting for it.
pub fn lock_shared(file: &File) -> io::Result<()> {
    lock(file, LockKind::Shared)
}

/// Whether a lock is held alone or with other readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Shared,
    Exclusive,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;

    fn open_rw(path: &std::path::Path) -> File {
        crate::lock::open_lock_file(path).unwrap()
    }

    #[test]
    fn a_lock_excludes_other_handles_and_leaves_the_data_readable() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("record");
        let a = open_rw(&path);
        let b = open_rw(&path);
        a.write_all_at(b"0123456789\n", 0).unwrap();
        lock_exclusive(&a).unwrap();
        assert!(!try_lock_exclusive(&b).unwrap());
        // What Windows' mandatory byte-range locks would forbid if the lock covered the data.
        let mut buf = [0u8; 11];
        b.read_exact_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"0123456789\n");
        unlock(&a).unwrap();
        assert!(try_lock_exclusive(&b).unwrap());
        b.write_all_at(b"9", 0).unwrap();
        a.read_exact_at(&mut buf[..1], 0).unwrap();
        assert_eq!(buf[0], b'9');
        unlock(&b).unwrap();
    }

    #[test]
    fn shared_locks_admit_each_other_and_keep_out_an_exclusive_one() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("checkpoint");
        let (a, b, c) = (open_rw(&path), open_rw(&path), open_rw(&path));
        lock_shared(&a).unwrap();
        lock_shared(&b).unwrap();
        assert!(!try_lock_exclusive(&c).unwrap());
        unlock(&a).unwrap();
        assert!(!try_lock_exclusive(&c).unwrap());
        drop(b); // closing a handle releases its lock
        assert!(try_lock_exclusive(&c).unwrap());
    }

    #[test]
    fn positional_reads_past_the_end_read_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let f = open_rw(&tmp.path().join("f"));
        f.write_all_at(b"abc", 5).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(f.read_at(&mut buf, 8).unwrap(), 0);
        assert_eq!(f.read_at(&mut buf, 100).unwrap(), 0);
        assert_eq!(f.read_at(&mut buf, 6).unwrap(), 2);
        assert_eq!(&buf[..2], b"bc");
        let err = f.read_exact_at(&mut buf, 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_file_open_for_appending_is_cut_and_appended_to_at_its_new_end() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("day.log");
        let mut f = OpenOptions::new()
            .append(true)
            .create(true)
            .read(true)
            .open(&path)
            .unwrap();
        f.write_all(b"one\ntw").unwrap();
        truncate(&f, &path, 4).unwrap();
        f.write_all(b"two\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
        sync_dir(tmp.path()).unwrap();
    }

    #[test]
    fn a_rename_replaces_a_file_another_handle_holds_open() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, new) = (tmp.path().join("index"), tmp.path().join(".index.tmp"));
        std::fs::write(&old, b"old").unwrap();
        std::fs::write(&new, b"new").unwrap();
        let reader = File::open(&old).unwrap();
        rename_over(&new, &old).unwrap();
        assert_eq!(std::fs::read(&old).unwrap(), b"new");
        // The reader keeps the file it opened.
        let mut buf = [0u8; 3];
        reader.read_exact_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"old");
    }
}
