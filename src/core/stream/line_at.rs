//! Reading a stream's lines where the index says they are: a few lines of a day at given
//! byte offsets, each checked to start a line, from a local logfile (kept open for a sealed
//! day) or with single ranged reads of an archived day.

use std::fs::File;
use std::io;
use std::sync::Arc;

use crate::catalog::DayEntry;
use crate::error::{Error, Result};
use crate::history::History;
use crate::source::DaySource;
use crate::sys::FileExt;

/// Where a read of a few lines of a day goes: the day's source (a local file), or single
/// ranged reads of its archived object (the archive's day reader fetches megabytes ahead,
/// which suits a replay, not a point read).
pub(super) enum Point {
    Day(DaySource),
    /// A sealed day's logfile, kept open.
    Shared(Arc<File>),
    Archive {
        remote: Arc<crate::remote::Remote>,
        key: object_store::path::Path,
        size: u64,
    },
}

impl Point {
    fn read_at(&mut self, buf: &mut [u8], at: u64) -> io::Result<usize> {
        match self {
            Point::Day(source) => source.read_at(buf, at),
            Point::Shared(file) => loop {
                match file.read_at(buf, at) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => return other,
                }
            },
            Point::Archive { remote, key, size } => {
                let end = (at + buf.len() as u64).min(*size);
                if at >= end {
                    return Ok(0);
                }
                let got = remote.get_range(key, at..end)?;
                let n = got.len().min(buf.len());
                buf[..n].copy_from_slice(&got[..n]);
                Ok(n)
            }
        }
    }

    /// How much to read at once: lines near each other come in one read (a longer line grows
    /// the window). Small for a local file, where a read costs little but its bytes are
    /// copied; larger for the archive, where each read is a request.
    fn window(&self) -> usize {
        match self {
            Point::Day(_) | Point::Shared(_) => 1024,
            Point::Archive { .. } => 16 * 1024,
        }
    }
}

/// How to read lines of `entry`: its local file if it has one, else its archived object.
pub(super) fn point_source(history: &History, entry: &DayEntry) -> Result<Point> {
    let name = || history.name_of(entry.day);
    if let Some(path) = &entry.local {
        match File::open(path) {
            Ok(file) => return Ok(Point::Day(DaySource::Local(file))),
            // Pruned since it was listed: the archive has it.
            Err(e) if e.kind() == io::ErrorKind::NotFound && entry.archived.is_some() => {}
            Err(e) => return Err(Error::read("open", name(), e)),
        }
    }
    match (&entry.archived, history.remote()) {
        (Some(archived), Some(remote)) => Ok(Point::Archive {
            remote: remote.clone(),
            key: object_store::path::Path::from(archived.key.as_str()),
            size: archived.size,
        }),
        _ => Err(Error::read("open", name(), io::ErrorKind::NotFound.into())),
    }
}

/// Reads whole lines at given offsets of a day, through a window that serves nearby lines
/// without another read.
pub(super) struct LineAt {
    source: Point,
    window: Vec<u8>,
    window_at: u64,
    /// The window ends where the data ends.
    at_end: bool,
}

impl LineAt {
    pub(super) fn new(source: Point) -> LineAt {
        LineAt {
            source,
            window: Vec::new(),
            window_at: 0,
            at_end: false,
        }
    }

    fn fill(&mut self, at: u64, size: usize) -> io::Result<()> {
        let mut buf = vec![0u8; size];
        let mut got = 0;
        while got < size {
            let n = self.source.read_at(&mut buf[got..], at + got as u64)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        buf.truncate(got);
        self.at_end = got < size;
        self.window = buf;
        self.window_at = at;
        Ok(())
    }

    /// The line starting at `offset` (without its newline), if a line does start there: the
    /// byte before it is a newline, and the line has its own.
    pub(super) fn line(&mut self, offset: u64) -> io::Result<Option<String>> {
        // From the byte before, to check that it ends a line.
        let start = offset.saturating_sub(1);
        let skip = usize::from(offset > 0);
        let end = self.window_at + self.window.len() as u64;
        if start < self.window_at || start >= end {
            self.fill(start, self.source.window())?;
        }
        loop {
            let bytes = &self.window[(start - self.window_at) as usize..];
            if bytes.len() < skip || (skip == 1 && bytes[0] != b'\n') {
                return Ok(None);
            }
            if let Some(nl) = memchr::memchr(b'\n', &bytes[skip..]) {
                let body = &bytes[skip..skip + nl];
                return Ok(Some(String::from_utf8_lossy(body).into_owned()));
            }
            if self.at_end {
                return Ok(None);
            }
            let size = (bytes.len() * 2).max(self.source.window());
            self.fill(start, size)?;
        }
    }
}
