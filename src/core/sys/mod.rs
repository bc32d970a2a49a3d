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
