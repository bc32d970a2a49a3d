//! Unix: `pread`/`pwrite`, `flock`, `fsync` of the directory.

use std::fs::File;
use std::io;
use std::path::Path;

use super::LockKind;

/// `read_at`, `read_exact_at` and `write_all_at`: `pread` and `pwrite`, which leave the file's
/// cursor alone.
pub use std::os::unix::fs::FileExt;

pub(super) fn lock(file: &File, kind: LockKind) -> io::Result<()> {
    match kind {
        LockKind::Exclusive => file.lock(),
        LockKind::Shared => file.lock_shared(),
    }
}

/// Takes `file`'s exclusive lock if no other handle holds it: `Ok(false)` if one does.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Releases the lock this handle holds (closing the handle releases it too).
pub fn unlock(file: &File) -> io::Result<()> {
    file.unlock()
}

/// Makes the directory entries in `dir` durable: a new file's name survives a power loss only
/// once its directory is flushed.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Renames `from` over `to`, atomically.
pub fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Cuts `file` (open for appending, at `path`) to `len` bytes. An append-only descriptor may be
/// truncated on Unix.
pub fn truncate(file: &File, _path: &Path, len: u64) -> io::Result<()> {
    file.set_len(len)
}

/// The conventional name of an OS error number users meet on a storage path (Linux's values).
pub fn errno_name(code: i32) -> Option<&'static str> {
    Some(match code {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        9 => "EBADF",
        13 => "EACCES",
        17 => "EEXIST",
        20 => "ENOTDIR",
        21 => "EISDIR",
        27 => "EFBIG",
        28 => "ENOSPC",
        30 => "EROFS",
        122 => "EDQUOT",
        _ => return None,
    })
}

/// Deletes the file at `path`: on Unix its name is gone at once, even while others read it
/// (Windows moves it into `trash` first).
pub fn remove_file(path: &Path, _trash: &Path) -> io::Result<()> {
    std::fs::remove_file(path)
}

/// Whether `file` was deleted but its name is still listed: never on Unix, where deleting
/// removes the name at once (the caller checks the name).
pub fn delete_pending(_file: &File) -> bool {
    false
}
