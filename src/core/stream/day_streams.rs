//! The streams of one day as read from its bytes: for each stream (by hash), the line number
//! and byte offset of each of its events, in line order. Built by scanning a day, and kept up
//! to date in memory for a day still being written (`catch_up` reads only what was appended
//! since; a writer `record`s its own lines without reading them back).

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use super::key::{hash, StreamKey};
use crate::source::DaySource;

/// One event of a stream in a day: its line number and the byte offset of its line.
pub type Entry = (u32, u64);

const READ_CHUNK: usize = 1 << 20;

#[derive(Default, Debug)]
pub struct DayStreams {
    /// Bytes read: up to the end of the last complete line.
    pub bytes: u64,
    /// Complete lines in those bytes (events, other lines, corrupt ones: every position).
    pub lines: u64,
    /// Entries of events that belong to a stream.
    pub events: u64,
    pub groups: HashMap<u64, Vec<Entry>>,
}

impl DayStreams {
    /// Reads what `source` holds beyond `bytes` (whole lines only) and files its events. A
    /// source shorter than what was read is read afresh (a torn tail was cut: the lines read
    /// stay, but be safe). Gives up (`Interrupted`) once `stop` is set.
    pub fn catch_up(
        &mut self,
        source: &mut DaySource,
        key: &StreamKey,
        stop: &AtomicBool,
    ) -> io::Result<()> {
        let size = source.size()?;
        if size < self.bytes {
            *self = DayStreams::default();
        }
        let mut buf = vec![0u8; READ_CHUNK.min((size - self.bytes) as usize).max(4096)];
        // Bytes of an unfinished line at the end of the last chunk, carried into the next.
        let mut carry: Vec<u8> = Vec::new();
        let mut at = self.bytes;
        while at < size {
            if stop.load(Ordering::Relaxed) {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "the log is closing",
                ));
            }
            let n = source.read_at(&mut buf, at)?;
            if n == 0 {
                break;
            }
            at += n as u64;
            let chunk = &buf[..n];
            let Some(last) = memchr::memrchr(b'\n', chunk) else {
                carry.extend_from_slice(chunk);
                continue;
            };
            if carry.is_empty() {
                self.file_lines(&chunk[..=last], key);
            } else {
                carry.extend_from_slice(&chunk[..=last]);
                let whole = std::mem::take(&mut carry);
                self.file_lines(&whole, key);
            }
            carry.extend_from_slice(&chunk[last + 1..]);
        }
        Ok(())
    }

    /// Files the whole lines `data`, which start at `bytes`.
    fn file_lines(&mut self, data: &[u8], key: &StreamKey) {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            let line = &data[start..end];
            let offset = self.bytes + start as u64;
            if let Some(id) = key.stream_of_line(line) {
                self.push(hash(&id), offset);
            }
            self.lines += 1;
            start = end + 1;
        }
        self.bytes += data.len() as u64;
    }

    fn push(&mut self, h: u64, offset: u64) {
        self.groups
            .entry(h)
            .or_default()
            .push((self.lines as u32, offset));
        self.events += 1;
    }

    /// Files lines a writer of this process just appended at `offset` (whole lines, with the
    /// hash of each one's stream, in order), if nothing is missing before them; returns
    /// whether it did (if not, the next `catch_up` reads them).
    pub fn record(&mut self, offset: u64, data: &[u8], hashes: &[Option<u64>]) -> bool {
        if offset != self.bytes {
            return false;
        }
        let mut start = 0;
        for (end, h) in memchr::memchr_iter(b'\n', data).zip(hashes) {
            if let Some(h) = h {
                self.push(*h, offset + start as u64);
            }
            self.lines += 1;
            start = end + 1;
        }
        self.bytes += start as u64;
        true
    }

    /// How many events of the stream `h` the day holds (so far).
    pub fn count(&self, h: u64) -> u64 {
        self.groups.get(&h).map_or(0, |g| g.len() as u64)
    }
}
