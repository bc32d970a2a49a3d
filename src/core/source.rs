//! Where a reader gets a day's bytes: a local logfile, or the day's object in the archive. The
//! reader and the tailer above it see only this, so they read a pruned day from the archive
//! exactly as they read today's file from disk.

use std::fs::File;
use std::io;

use crate::remote::RemoteDay;
use crate::sys::FileExt;

pub enum DaySource {
    Local(File),
    Archived(RemoteDay),
}

impl DaySource {
    /// Reads at `offset` into `buf`; 0 at the end.
    pub fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            DaySource::Local(f) => loop {
                match f.read_at(buf, offset) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => return other,
                }
            },
            DaySource::Archived(r) => r.read_at(buf, offset),
        }
    }

    /// The size the day has now (an archived day never changes).
    pub fn size(&self) -> io::Result<u64> {
        match self {
            DaySource::Local(f) => Ok(f.metadata()?.len()),
            DaySource::Archived(r) => Ok(r.size()),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, DaySource::Local(_))
    }

    /// Whether the local file was deleted while we have it open, though its name may still be
    /// listed (Windows without POSIX delete semantics keeps it until the last handle closes).
    pub fn delete_pending(&self) -> bool {
        match self {
            DaySource::Local(f) => crate::sys::delete_pending(f),
            DaySource::Archived(_) => false,
        }
    }
}
