//! The sparse offset index of a day's logfile: how many complete lines it holds, the byte
//! offset of every `STEP`th line, and (once the archive asks) the SHA-256 of the file. It lets
//! a consumer start deep inside a long day without counting lines from midnight, gives the
//! position before a day (its line count) without reading it, and gives an upload its
//! metadata.
//!
//! An index is never trusted over the data: it records the size of the file it describes and
//! is used only while that still fits (a file that grew is indexed further from where the
//! index ends; one that shrank is indexed afresh), and a reader checks that the byte before
//! an indexed offset is a newline before it starts there (`reader.rs`). Indexes of sealed days
//! are kept in our own files (`files.rs`) and loaded by later processes; `IndexCache` keeps
//! them in memory for the log's readers and writer.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::day::Day;
use crate::files::{write_atomically, OwnFiles};
use crate::sys::FileExt;

/// Every this many lines, the index records an offset.
pub const STEP: u64 = 1024;

const MAGIC: &[u8; 8] = b"EVLIDX1\n";
const READ_CHUNK: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayIndex {
    /// The size of the file when indexed.
    pub file_size: u64,
    /// Bytes of the file up to the end of its last complete line.
    pub bytes: u64,
    /// Complete lines in those bytes.
    pub lines: u64,
    /// `offsets[k]` is the byte offset of line `k * STEP`.
    offsets: Vec<u64>,
    /// SHA-256 of the first `file_size` bytes, when computed.
    pub sha256: Option<[u8; 32]>,
}

/// How an index relates to the file as it is now.
#[derive(Debug, PartialEq, Eq)]
pub enum Fit {
    /// It describes the whole file.
    Whole,
    /// The file grew since: the index holds for a prefix of it.
    Prefix,
    /// The file is shorter than it was: the index describes other data.
    Stale,
}

impl DayIndex {
    /// The index of an empty file.
    pub fn empty() -> DayIndex {
        DayIndex {
            file_size: 0,
            bytes: 0,
            lines: 0,
            offsets: vec![0],
            sha256: None,
        }
    }

    /// Reads `file` from its start and indexes it, hashing it too if `with_sha`; gives up
    /// (`Interrupted`) once `stop` is set: the log is closing.
    pub fn build_unless(file: &File, with_sha: bool, stop: &AtomicBool) -> io::Result<DayIndex> {
        let mut index = DayIndex::empty();
        let mut hasher = with_sha.then(|| ring::digest::Context::new(&ring::digest::SHA256));
        index.scan(file, hasher.as_mut(), stop)?;
        index.sha256 = hasher.map(|h| {
            let mut out = [0u8; 32];
            out.copy_from_slice(h.finish().as_ref());
            out
        });
        Ok(index)
    }

    /// Indexes what `file` holds beyond this index (a file that grew); the hash, which covers
    /// only what it was computed over, is dropped. Gives up once `stop` is set.
    fn extend_unless(&mut self, file: &File, stop: &AtomicBool) -> io::Result<()> {
        self.sha256 = None;
        self.scan(file, None, stop)
    }

    /// Reads from `bytes` to the end of the file, recording lines and offsets.
    fn scan(
        &mut self,
        file: &File,
        mut hasher: Option<&mut ring::digest::Context>,
        stop: &AtomicBool,
    ) -> io::Result<()> {
        let mut buf = vec![0u8; READ_CHUNK];
        // With a hash, everything from 0 is read (`build` starts empty, so `bytes` is 0).
        let mut at = self.bytes;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "the log is closing",
                ));
            }
            let n = match file.read_at(&mut buf, at) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = &buf[..n];
            if let Some(h) = hasher.as_deref_mut() {
                h.update(chunk);
            }
            for i in memchr::memchr_iter(b'\n', chunk) {
                self.lines += 1;
                let next_line = at + i as u64 + 1;
                self.bytes = next_line;
                if self.lines.is_multiple_of(STEP) {
                    self.offsets.push(next_line);
                }
            }
            at += n as u64;
        }
        self.file_size = at;
        Ok(())
    }

    /// How this index fits a file that is now `size` bytes long.
    pub fn fit(&self, size: u64) -> Fit {
        match size.cmp(&self.file_size) {
            std::cmp::Ordering::Equal => Fit::Whole,
            std::cmp::Ordering::Greater => Fit::Prefix,
            std::cmp::Ordering::Less => Fit::Stale,
        }
    }

    /// Where to start reading to reach line `n`: the byte offset and number of the closest
    /// indexed line at or before it.
    pub fn seek(&self, n: u64) -> (u64, u64) {
        if n >= self.lines {
            return (self.bytes, self.lines);
        }
        let k = (n / STEP) as usize;
        (self.offsets[k], k as u64 * STEP)
    }

    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256.map(|h| hex(&h))
    }

    /// The index as bytes, for its file.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 8 * self.offsets.len());
        out.extend_from_slice(MAGIC);
        for v in [self.file_size, self.bytes, self.lines, STEP] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        match self.sha256 {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(&h);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&(self.offsets.len() as u64).to_le_bytes());
        for o in &self.offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// An index from its file's bytes; `None` for anything damaged or of another version.
    pub fn decode(data: &[u8]) -> Option<DayIndex> {
        let (body, sum) = data.split_at_checked(data.len().checked_sub(8)?)?;
        if checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
            return None;
        }
        let mut r = body.strip_prefix(MAGIC.as_slice())?;
        let u64_at = |r: &mut &[u8]| -> Option<u64> {
            let (v, rest) = r.split_at_checked(8)?;
            *r = rest;
            Some(u64::from_le_bytes(v.try_into().ok()?))
        };
        let file_size = u64_at(&mut r)?;
        let bytes = u64_at(&mut r)?;
        let lines = u64_at(&mut r)?;
        if u64_at(&mut r)? != STEP {
            return None;
        }
        let (&has_sha, rest) = r.split_first()?;
        r = rest;
        let sha256 = if has_sha == 1 {
            let (h, rest) = r.split_at_checked(32)?;
            r = rest;
            Some(h.try_into().ok()?)
        } else {
            None
        };
        let count = u64_at(&mut r)? as usize;
        if count != (lines / STEP) as usize + 1 || r.len() != count * 8 {
            return None;
        }
        let offsets: Vec<u64> = r
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        let ordered = offsets.windows(2).all(|w| w[0] < w[1]);
        (ordered && offsets[0] == 0 && bytes <= file_size && *offsets.last()? <= bytes).then_some(
            DayIndex {
                file_size,
                bytes,
                lines,
                offsets,
                sha256,
            },
        )
    }
}

/// Whether `offset` is the start of a line in `file` (the byte before it is a newline): an
/// index is used only where this holds, so one that describes other data is never believed.
pub fn ends_a_line(file: &File, offset: u64) -> bool {
    if offset == 0 {
        return true;
    }
    let mut byte = [0u8; 1];
    matches!(file.read_at(&mut byte, offset - 1), Ok(1)) && byte[0] == b'\n'
}

/// FNV-1a, to tell a damaged index file from a sound one.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Bytes as lower-case hex (how SHA-256 sums are written).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The indexes a log has loaded or built, by day.
pub struct IndexCache {
    files: OwnFiles,
    /// Whether indexes may be saved to our files (never for a read-only log, which creates
    /// nothing on disk).
    persist: AtomicBool,
    /// Set when the log closes: an index being built is given up.
    closing: AtomicBool,
    map: Mutex<HashMap<Day, Arc<DayIndex>>>,
}

impl IndexCache {
    pub fn new(files: OwnFiles) -> IndexCache {
        IndexCache {
            files,
            persist: false.into(),
            closing: false.into(),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Lets the cache save the indexes of sealed days (the log has a writer).
    pub fn allow_saving(&self) {
        self.persist.store(true, Ordering::Relaxed);
    }

    fn saving(&self) -> bool {
        self.persist.load(Ordering::Relaxed)
    }

    /// Gives up indexes being built, now and later (the log is closing).
    pub fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }

    /// Whether `day` has an index saved in our files.
    pub fn is_saved(&self, day: Day) -> bool {
        self.files.index(day).exists()
    }

    /// The index of `day`'s logfile at `path` as the file is now: from memory, from its file,
    /// or built (and then saved, if `sealed`). `with_sha`: the hash is needed too.
    pub fn get(
        &self,
        day: Day,
        path: &Path,
        sealed: bool,
        with_sha: bool,
    ) -> io::Result<Arc<DayIndex>> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let known = self
            .cached(day)
            .or_else(|| self.load(day))
            .filter(|ix| ends_a_line(&file, ix.bytes));
        let index = match known {
            Some(ix) if ix.fit(size) == Fit::Whole && (!with_sha || ix.sha256.is_some()) => {
                return Ok(self.remember(day, ix));
            }
            Some(ix) if ix.fit(size) == Fit::Prefix && !with_sha => {
                let mut grown = (*ix).clone();
                grown.extend_unless(&file, &self.closing)?;
                grown
            }
            _ => DayIndex::build_unless(&file, with_sha, &self.closing)?,
        };
        let index = Arc::new(index);
        if sealed && self.saving() {
            self.save(day, &index);
        }
        Ok(self.remember(day, index))
    }

    /// The index of a day with no local file (archived), from memory or our files, if it
    /// describes a file of `size` bytes exactly.
    pub fn saved(&self, day: Day, size: Option<u64>) -> Option<Arc<DayIndex>> {
        let ix = self.cached(day).or_else(|| self.load(day))?;
        (Some(ix.file_size) == size).then(|| self.remember(day, ix))
    }

    /// Keeps an index fetched from the archive for a day with no local file (and saves it, if
    /// this log saves indexes, so that later processes here need not fetch it again).
    pub fn fetched(&self, day: Day, index: DayIndex) -> Arc<DayIndex> {
        let index = Arc::new(index);
        if self.saving() {
            self.save(day, &index);
        }
        self.remember(day, index)
    }

    /// The index in memory, if any (not checked against the file).
    pub fn cached(&self, day: Day) -> Option<Arc<DayIndex>> {
        self.map.lock().ok()?.get(&day).cloned()
    }

    fn remember(&self, day: Day, index: Arc<DayIndex>) -> Arc<DayIndex> {
        if let Ok(mut map) = self.map.lock() {
            map.insert(day, index.clone());
        }
        index
    }

    fn load(&self, day: Day) -> Option<Arc<DayIndex>> {
        let data = std::fs::read(self.files.index(day)).ok()?;
        DayIndex::decode(&data).map(Arc::new)
    }

    /// Saves an index; one that cannot be saved is built again next time, so a failure here
    /// costs time, not correctness.
    fn save(&self, day: Day, index: &DayIndex) {
        let path = self.files.index(day);
        if let Err(e) = write_atomically(&path, &index.encode()) {
            crate::debug::debug!("index", "could not save {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn lines(n: u64) -> String {
        (0..n).map(|i| format!("{{\"n\":{i}}}\n")).collect()
    }

    /// Byte offset of line `n` in `lines(..)`.
    fn offset_of(n: u64) -> u64 {
        lines(n).len() as u64
    }

    #[test]
    fn seeks_to_the_indexed_line_at_or_before() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("d.log");
        fs::write(&path, lines(3 * STEP + 5) + "{\"torn").unwrap();
        let ix = DayIndex::build_unless(&File::open(&path).unwrap(), true, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(ix.lines, 3 * STEP + 5);
        assert_eq!(ix.bytes, offset_of(3 * STEP + 5));
        assert_eq!(ix.file_size, ix.bytes + 6);
        assert_eq!(ix.seek(0), (0, 0));
        assert_eq!(ix.seek(STEP - 1), (0, 0));
        assert_eq!(ix.seek(2 * STEP + 7), (offset_of(2 * STEP), 2 * STEP));
        assert_eq!(ix.seek(10 * STEP), (ix.bytes, ix.lines));
        let sha = ring::digest::digest(&ring::digest::SHA256, &fs::read(&path).unwrap());
        assert_eq!(ix.sha256.unwrap().as_slice(), sha.as_ref());
    }

    #[test]
    fn round_trips_and_refuses_damaged_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("d.log");
        fs::write(&path, lines(2 * STEP + 1)).unwrap();
        let ix =
            DayIndex::build_unless(&File::open(&path).unwrap(), false, &AtomicBool::new(false))
                .unwrap();
        let data = ix.encode();
        assert_eq!(DayIndex::decode(&data), Some(ix.clone()));
        let mut bad = data.clone();
        bad[20] ^= 1;
        assert_eq!(DayIndex::decode(&bad), None);
        assert_eq!(DayIndex::decode(&data[..data.len() - 1]), None);
        assert_eq!(DayIndex::decode(b""), None);
    }

    #[test]
    fn a_grown_file_is_indexed_further_and_a_shrunk_one_afresh() {
        let tmp = tempfile::tempdir().unwrap();
        let p = crate::pattern::Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display()))
            .unwrap();
        let cache = IndexCache::new(OwnFiles::new(&p));
        cache.allow_saving();
        let day = Day::from_number(20261120, "t").unwrap();
        let path = tmp.path().join("e-2026-11-20.log");
        fs::write(&path, lines(STEP + 1)).unwrap();
        let a = cache.get(day, &path, true, false).unwrap();
        assert_eq!(a.lines, STEP + 1);
        assert!(
            OwnFiles::new(&p).index(day).exists(),
            "saved for a sealed day"
        );
        fs::write(&path, lines(2 * STEP + 3)).unwrap();
        let b = cache.get(day, &path, false, false).unwrap();
        assert_eq!(
            (b.lines, b.seek(2 * STEP).0),
            (2 * STEP + 3, offset_of(2 * STEP))
        );
        fs::write(&path, "{}\n").unwrap();
        assert_eq!(cache.get(day, &path, false, false).unwrap().lines, 1);
        // A fresh cache (another process) loads the saved index and checks it first.
        fs::write(&path, lines(STEP + 1)).unwrap();
        cache.get(day, &path, true, false).unwrap();
        let other = IndexCache::new(OwnFiles::new(&p));
        assert_eq!(other.get(day, &path, true, false).unwrap().lines, STEP + 1);
        assert!(other.get(day, &path, true, true).unwrap().sha256.is_some());
    }
}
