//! Windows: positional I/O through `seek_read`/`seek_write`, locks on a byte past the data
//! (`mod.rs` says why), no directory flush, truncation through a second handle.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::fs::FileExt as _;
use std::os::windows::io::AsRawHandle;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use windows_sys::Win32::Foundation::{ERROR_LOCK_VIOLATION, HANDLE};
use windows_sys::Win32::Storage::FileSystem::{
    FileStandardInfo, GetFileInformationByHandleEx, LockFileEx, UnlockFileEx, FILE_STANDARD_INFO,
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::LockKind;

/// The byte every lock covers: far past the end of any file of ours (they are a few bytes to a
/// few megabytes), so that no read or write through another handle ever meets the lock.
const LOCK_OFFSET: u64 = 1 << 62;

/// Positional reads and writes with the names Unix's `FileExt` has. On Windows they move the
/// handle's cursor; no handle of ours that is read or written this way uses its cursor
/// otherwise (appends go to the end whatever the cursor says).
pub trait FileExt {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
}

impl FileExt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self.seek_read(buf, offset) {
            // Reading at or past the end is "0 bytes" on Unix, ERROR_HANDLE_EOF (38) here.
            Err(e) if e.raw_os_error() == Some(38) => Ok(0),
            other => other,
        }
    }

    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(buf, offset) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "failed to fill whole buffer",
                    ))
                }
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.seek_write(buf, offset) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// An OVERLAPPED naming `LOCK_OFFSET`: for a synchronous handle it only carries the offset.
fn at_lock_offset() -> OVERLAPPED {
    // SAFETY: OVERLAPPED is plain data; all zeroes is its documented initial state.
    let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
    overlapped.Anonymous.Anonymous.Offset = LOCK_OFFSET as u32;
    overlapped.Anonymous.Anonymous.OffsetHigh = (LOCK_OFFSET >> 32) as u32;
    overlapped
}

fn lock_with(file: &File, flags: u32) -> io::Result<()> {
    let mut overlapped = at_lock_offset();
    // SAFETY: the handle is open for the call's duration and `overlapped` outlives it; the
    // handle is synchronous, so the call returns only once the lock is taken or refused.
    let ok = unsafe {
        LockFileEx(
            file.as_raw_handle() as HANDLE,
            flags,
            0,
            1,
            0,
            &mut overlapped,
        )
    };
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

pub(super) fn lock(file: &File, kind: LockKind) -> io::Result<()> {
    let flags = match kind {
        LockKind::Exclusive => LOCKFILE_EXCLUSIVE_LOCK,
        LockKind::Shared => 0,
    };
    lock_with(file, flags)
}

/// Takes `file`'s exclusive lock if no other handle holds it: `Ok(false)` if one does.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    match lock_with(file, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Releases the lock this handle holds (closing the handle releases it too). One
/// `UnlockFileEx` of the range locked: std's `File::unlock` makes a second call whose error
/// Wine reports differently from Windows, and fails there.
pub fn unlock(file: &File) -> io::Result<()> {
    let mut overlapped = at_lock_offset();
    // SAFETY: as in `lock_with`.
    let ok = unsafe { UnlockFileEx(file.as_raw_handle() as HANDLE, 0, 1, 0, &mut overlapped) };
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Nothing to do: Windows has no flush of a directory handle that ordinary processes may use,
/// and NTFS journals its directory entries (the file's own flush covers its metadata).
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Renames `from` over `to`. Replacing a file that another process has open works when that
/// process opened it sharing delete access, as Rust and Node do; a scanner or indexer that
/// holds it without sharing makes the rename fail for a moment, so it is tried again for up to
/// about a second before the error stands.
pub fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    let mut wait = std::time::Duration::from_millis(5);
    for _ in 0..8 {
        match std::fs::rename(from, to) {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                std::thread::sleep(wait);
                wait *= 2;
            }
            other => return other,
        }
    }
    std::fs::rename(from, to)
}

/// Deletes the file at `path`, its name gone at once. Deleting a file that another process has
/// open (sharing delete access, as Rust and Node open files) only marks it on Windows wherever
/// POSIX delete semantics are missing (older Windows, FAT and other file systems, Wine): its
/// name stays listed until the last handle closes, and a process listing the directory (stat,
/// a reader, the original package, an app) still finds it. Moved first into `trash` (our own
/// `.eventlog` directory, on the same volume), it is out of the way at once, and the system
/// deletes it when nobody has it open any more.
pub fn remove_file(path: &Path, trash: &Path) -> io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let Some(name) = path.file_name() else {
        return std::fs::remove_file(path);
    };
    let moved = trash.join(format!(
        "deleted-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        name.to_string_lossy()
    ));
    match std::fs::rename(path, &moved) {
        Ok(()) => std::fs::remove_file(&moved),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !trash.is_dir() => {
            std::fs::remove_file(path)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
        // Not movable (held without delete sharing): a plain delete says why.
        Err(_) => std::fs::remove_file(path),
    }
}

/// Whether `file` was deleted by someone while its name is still listed: where Windows lacks
/// POSIX delete semantics (Wine, older Windows, FAT), a deleted file that is open stays in its
/// directory, "delete pending", until its last handle closes, so checking the name would never
/// see a logfile deleted under a reader.
pub fn delete_pending(file: &File) -> bool {
    // SAFETY: FILE_STANDARD_INFO is plain data, and the call writes at most its size into it.
    unsafe {
        let mut info: FILE_STANDARD_INFO = std::mem::zeroed();
        let ok = GetFileInformationByHandleEx(
            file.as_raw_handle() as HANDLE,
            FileStandardInfo,
            (&mut info as *mut FILE_STANDARD_INFO).cast(),
            std::mem::size_of::<FILE_STANDARD_INFO>() as u32,
        );
        ok != 0 && info.DeletePending
    }
}

/// Cuts the logfile at `path` to `len` bytes. A handle opened for appending may not change the
/// file's length on Windows (it lacks FILE_WRITE_DATA), so a second handle, opened for writing,
/// does it.
pub fn truncate(_file: &File, path: &Path, len: u64) -> io::Result<()> {
    OpenOptions::new().write(true).open(path)?.set_len(len)
}

/// The conventional (POSIX) name of a Windows error users meet on a storage path, as Node's
/// libuv names them, so that `err.errno` reads the same as on Unix: a file where a directory
/// should be is ERROR_ALREADY_EXISTS when we create the directory and ERROR_DIRECTORY when we
/// list it, where Unix says EEXIST and ENOTDIR.
pub fn errno_name(code: i32) -> Option<&'static str> {
    Some(match code {
        // ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_INVALID_NAME
        2 | 3 | 123 => "ENOENT",
        // ERROR_ACCESS_DENIED (libuv's EPERM: a read-only file, or one pending deletion)
        5 => "EPERM",
        // ERROR_INVALID_HANDLE
        6 => "EBADF",
        // ERROR_WRITE_PROTECT
        19 => "EROFS",
        // ERROR_CRC, ERROR_IO_DEVICE
        23 | 1117 => "EIO",
        // ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL
        39 | 112 => "ENOSPC",
        // ERROR_FILE_EXISTS, ERROR_ALREADY_EXISTS
        80 | 183 => "EEXIST",
        // ERROR_FILE_TOO_LARGE
        223 => "EFBIG",
        // ERROR_DIRECTORY ("the directory name is invalid": a file where a directory is named)
        267 => "ENOTDIR",
        _ => return None,
    })
}
