//! The stream index of a sealed day, as a file (`YYYYMMDD.sidx` in the key's directory), read
//! a few blocks at a time: a lookup reads one block of the stream table and one run of
//! entries, whatever the size of the day.
//!
//! ```text
//! magic "EVLSTX1\n"
//! file_size u64, bytes u64, lines u64, entries u64, streams u32, key_len u32, key
//! fence: one (first hash u64, crc32 u32) per block of BLOCK streams
//! crc32 of everything above
//! table: per stream, by hash: (hash u64, first entry u32, count u32, crc32 of its entries u32)
//! entries: per stream in table order, per event in line order: (line u32, offset u64)
//! ```
//! All little-endian. 12 bytes per event and 20 per stream and day. Everything a lookup
//! reads is checked against a crc32 (the header and fence when opened, a block of the table,
//! a stream's entries), and the file's size against what the header says; the header names
//! the day's size and the key, so an index is used only for the data it was built from.
//! Anything that does not check out is `InvalidData`: the caller builds the index again.

use std::fs::File;
use std::io;
use std::sync::Arc;

use object_store::path::Path as KeyPath;

use super::day_streams::{DayStreams, Entry};
use crate::remote::Remote;
use crate::sys::FileExt;

const MAGIC: &[u8; 8] = b"EVLSTX1\n";
/// Streams per block of the table (5 kB): the unit a lookup reads.
const BLOCK: usize = 256;
const ROW: usize = 20;
const ENTRY: usize = 12;
const FIXED: usize = 8 + 8 * 4 + 4 * 2;

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("stream index: {what}"))
}

/// Encodes the streams of a day (all of its lines read) for `key`, from a file of
/// `file_size` bytes.
pub fn encode(day: &DayStreams, key: &str, file_size: u64) -> Vec<u8> {
    let mut groups: Vec<(&u64, &Vec<Entry>)> = day.groups.iter().collect();
    groups.sort_unstable_by_key(|(h, _)| **h);
    let mut table = Vec::with_capacity(groups.len() * ROW);
    let mut entries = Vec::with_capacity(day.events as usize * ENTRY);
    let mut first = 0u32;
    for (h, group) in &groups {
        let start = entries.len();
        for (line, offset) in group.iter() {
            entries.extend_from_slice(&line.to_le_bytes());
            entries.extend_from_slice(&offset.to_le_bytes());
        }
        table.extend_from_slice(&h.to_le_bytes());
        table.extend_from_slice(&first.to_le_bytes());
        table.extend_from_slice(&(group.len() as u32).to_le_bytes());
        table.extend_from_slice(&crc32fast::hash(&entries[start..]).to_le_bytes());
        first += group.len() as u32;
    }
    let mut out = Vec::with_capacity(FIXED + key.len() + table.len() + entries.len() + 64);
    out.extend_from_slice(MAGIC);
    for v in [file_size, day.bytes, day.lines, u64::from(first)] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(groups.len() as u32).to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    for block in table.chunks(BLOCK * ROW) {
        out.extend_from_slice(&block[..8]);
        out.extend_from_slice(&crc32fast::hash(block).to_le_bytes());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&table);
    out.extend_from_slice(&entries);
    out
}

/// Where the bytes of an index are: its file, memory (one that could not be saved), or the
/// archive (read in ranges: a lookup costs a few small requests, not the day).
pub enum Store {
    File(File),
    Memory(Vec<u8>),
    Archive {
        remote: Arc<Remote>,
        key: KeyPath,
        size: u64,
    },
}

impl Store {
    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        match self {
            Store::File(f) => f.read_exact_at(buf, at),
            Store::Memory(m) => {
                let end = at as usize + buf.len();
                let src = m
                    .get(at as usize..end)
                    .ok_or_else(|| invalid("shorter than its header says"))?;
                buf.copy_from_slice(src);
                Ok(())
            }
            Store::Archive { remote, key, size } => {
                let end = at + buf.len() as u64;
                if end > *size {
                    return Err(invalid("shorter than its header says"));
                }
                let got = remote.get_range(key, at..end)?;
                if got.len() != buf.len() {
                    return Err(invalid("the store sent another length than asked"));
                }
                buf.copy_from_slice(&got);
                Ok(())
            }
        }
    }

    fn len(&self) -> io::Result<u64> {
        match self {
            Store::File(f) => Ok(f.metadata()?.len()),
            Store::Memory(m) => Ok(m.len() as u64),
            Store::Archive { size, .. } => Ok(*size),
        }
    }
}

/// An opened index: its header and fence in memory, the rest read on demand.
pub struct SealedStreams {
    store: Store,
    /// The size of the day's data it describes.
    pub file_size: u64,
    pub lines: u64,
    pub events: u64,
    streams: u32,
    fence: Vec<(u64, u32)>,
    table_at: u64,
    entries_at: u64,
    /// Streams looked up before, with their entries (`None`: not in the day): a sealed day
    /// never changes, so a warm process reads a stream without reading the index again.
    seen: std::sync::Mutex<std::collections::HashMap<u64, Option<Arc<Vec<Entry>>>>>,
}

/// Streams remembered per day before the memory is cleared and starts over.
const SEEN_MAX: usize = 4096;

/// A stream's run of entries in an index.
#[derive(Clone, Copy, Debug)]
pub struct Group {
    first: u32,
    pub count: u32,
    crc: u32,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

impl SealedStreams {
    /// Opens an index and checks its header: its crc, its key, and that the file is as long
    /// as the header says.
    pub fn open(store: Store, key: &str) -> io::Result<SealedStreams> {
        let len = store.len()?;
        let mut fixed = [0u8; FIXED];
        store
            .read_exact_at(&mut fixed, 0)
            .map_err(|_| invalid("shorter than a header"))?;
        if &fixed[..8] != MAGIC {
            return Err(invalid("not a stream index"));
        }
        let (file_size, bytes, lines, events) = (
            u64_at(&fixed, 8),
            u64_at(&fixed, 16),
            u64_at(&fixed, 24),
            u64_at(&fixed, 32),
        );
        let (streams, key_len) = (u32_at(&fixed, 40), u32_at(&fixed, 44) as usize);
        let blocks = (streams as usize).div_ceil(BLOCK);
        if key_len != key.len() || bytes > file_size || events > lines {
            return Err(invalid("made for another key, or damaged"));
        }
        let mut head = vec![0u8; FIXED + key_len + blocks * 12 + 4];
        let table_at = head.len() as u64;
        let entries_at = table_at + u64::from(streams) * ROW as u64;
        if len != entries_at + events * ENTRY as u64 {
            return Err(invalid("its length is not what its header says"));
        }
        store.read_exact_at(&mut head, 0)?;
        let crc_at = head.len() - 4;
        if crc32fast::hash(&head[..crc_at]) != u32_at(&head, crc_at) {
            return Err(invalid("its header does not match its checksum"));
        }
        if &head[FIXED..FIXED + key_len] != key.as_bytes() {
            return Err(invalid("made for another key"));
        }
        let fence = (0..blocks)
            .map(|b| {
                let at = FIXED + key_len + b * 12;
                (u64_at(&head, at), u32_at(&head, at + 8))
            })
            .collect();
        Ok(SealedStreams {
            store,
            file_size,
            lines,
            events,
            streams,
            fence,
            table_at,
            entries_at,
            seen: Default::default(),
        })
    }

    /// The entries of the stream `h` in this day (none if it has none), remembered.
    pub fn stream(&self, h: u64) -> io::Result<Option<Arc<Vec<Entry>>>> {
        if let Some(found) = self.seen.lock().ok().and_then(|s| s.get(&h).cloned()) {
            return Ok(found);
        }
        let found = match self.lookup(h)? {
            Some(g) => Some(Arc::new(self.entries(g)?)),
            None => None,
        };
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= SEEN_MAX {
                seen.clear();
            }
            seen.insert(h, found.clone());
        }
        Ok(found)
    }

    /// The run of the stream `h`, if the day has events of it: reads one block of the table.
    pub fn lookup(&self, h: u64) -> io::Result<Option<Group>> {
        let block = self.fence.partition_point(|(first, _)| *first <= h);
        if block == 0 {
            return Ok(None);
        }
        let block = block - 1;
        let rows = (self.streams as usize - block * BLOCK).min(BLOCK);
        let mut buf = vec![0u8; rows * ROW];
        self.store
            .read_exact_at(&mut buf, self.table_at + (block * BLOCK * ROW) as u64)?;
        if crc32fast::hash(&buf) != self.fence[block].1 {
            return Err(invalid("a block of its table does not match its checksum"));
        }
        let (mut lo, mut hi) = (0, rows);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let at = mid * ROW;
            match u64_at(&buf, at).cmp(&h) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let group = Group {
                        first: u32_at(&buf, at + 8),
                        count: u32_at(&buf, at + 12),
                        crc: u32_at(&buf, at + 16),
                    };
                    if u64::from(group.first) + u64::from(group.count) > self.events {
                        return Err(invalid("a stream's entries lie beyond its end"));
                    }
                    return Ok(Some(group));
                }
            }
        }
        Ok(None)
    }

    /// The entries of a run, checked.
    pub fn entries(&self, group: Group) -> io::Result<Vec<Entry>> {
        let mut buf = vec![0u8; group.count as usize * ENTRY];
        self.store.read_exact_at(
            &mut buf,
            self.entries_at + u64::from(group.first) * ENTRY as u64,
        )?;
        if crc32fast::hash(&buf) != group.crc {
            return Err(invalid("a stream's entries do not match their checksum"));
        }
        Ok(buf
            .chunks_exact(ENTRY)
            .map(|e| (u32_at(e, 0), u64_at(e, 4)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(streams: u64, per: u64) -> DayStreams {
        let mut day = DayStreams::default();
        for i in 0..streams * per {
            let h = (i % streams).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            day.groups.entry(h).or_default().push((i as u32, i * 100));
            day.events += 1;
        }
        day.lines = streams * per + 3;
        day.bytes = day.lines * 100;
        day
    }

    #[test]
    fn finds_every_stream_and_only_those() {
        let day = sample(1000, 3);
        let bytes = encode(&day, "accountId", day.bytes + 7);
        // 12 bytes per event, 20 per stream, and a header.
        assert!(bytes.len() < 3000 * 12 + 1000 * 20 + 200);
        let ix = SealedStreams::open(Store::Memory(bytes), "accountId").unwrap();
        assert_eq!(ix.file_size, day.bytes + 7);
        for (h, group) in &day.groups {
            let g = ix.lookup(*h).unwrap().unwrap();
            assert_eq!(&ix.entries(g).unwrap(), group);
        }
        assert!(ix.lookup(12345).unwrap().is_none());
        assert!(ix.lookup(0).unwrap().is_some());
        assert!(ix.lookup(u64::MAX).unwrap().is_none());
    }

    #[test]
    fn an_empty_day_and_another_key() {
        let day = DayStreams::default();
        let bytes = encode(&day, "k", 0);
        let ix = SealedStreams::open(Store::Memory(bytes.clone()), "k").unwrap();
        assert!(ix.lookup(5).unwrap().is_none());
        assert!(SealedStreams::open(Store::Memory(bytes), "other").is_err());
    }

    #[test]
    fn damage_anywhere_is_found_before_it_is_used() {
        let day = sample(600, 2);
        let good = encode(&day, "k", day.bytes);
        for at in (0..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            let result = SealedStreams::open(Store::Memory(bad), "k").and_then(|ix| {
                for (h, group) in &day.groups {
                    match ix.lookup(*h)? {
                        Some(g) if ix.entries(g)? == *group => {}
                        _ => return Err(invalid("differs")),
                    }
                }
                Ok(())
            });
            assert!(result.is_err(), "a flipped bit at byte {at} went unnoticed");
        }
        let mut short = good.clone();
        short.pop();
        assert!(SealedStreams::open(Store::Memory(short), "k").is_err());
    }
}
