//! Reading the archive: listing its days, a day's line count from the object's metadata, a
//! day's index (under `_eventlog/`, see `ArchiveConfig::index_key`, or beside the day as
//! archives written before put it), and a day's bytes with ranged reads and read-ahead
//! (`RemoteDay`), for readers that run on their own threads; and (`config`) the
//! `archive` option with the store client built from it. It sits beside `source.rs`, below
//! `history` and the archiver (`archive/`), which uploads through it.
//!
//! Each request runs on the archiver's runtime; the reader waits for its answer on a channel,
//! so no reader thread ever becomes part of the runtime, and the JavaScript thread never waits
//! here at all (see `tailer.rs`).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::AmazonS3;
use object_store::path::Path as KeyPath;
use object_store::{Attribute, GetOptions, ObjectStore, ObjectStoreExt};
use tokio::runtime::Handle;

use crate::catalog::{ArchivedDay, Catalog};
use crate::day::Day;
use crate::debug::debug;
use crate::index::DayIndex;
use crate::pattern::Pattern;

mod config;
pub(crate) mod failure;
pub use config::{ArchiveConfig, ArchiveOptions, INDEX_SUFFIX, OWN_DIR};

/// Bytes fetched per ranged read.
const CHUNK: u64 = 4 << 20;
/// Chunks fetched ahead of the one being read.
const AHEAD: usize = 2;
/// The metadata keys of an archived day.
pub const META_LINES: &str = "lines";
pub const META_SHA256: &str = "sha256";

/// The archive of one log, as its readers use it.
pub struct Remote {
    pub(crate) store: Arc<AmazonS3>,
    pub(crate) config: ArchiveConfig,
    pub(crate) pattern: Arc<Pattern>,
    rt: Handle,
    /// The archive has been listed once (later listings are the archiver's).
    listed: AtomicBool,
}

impl Remote {
    pub fn new(
        store: Arc<AmazonS3>,
        config: ArchiveConfig,
        pattern: Arc<Pattern>,
        rt: Handle,
    ) -> Remote {
        Remote {
            store,
            config,
            pattern,
            rt,
            listed: AtomicBool::new(false),
        }
    }

    pub fn url(&self) -> &str {
        self.config.url()
    }

    /// Runs `fut` on the archiver's runtime and waits for it on this (non-runtime) thread.
    fn wait<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = io::Result<T>> + Send + 'static,
    ) -> io::Result<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        // Each request has its own retry window; this only guards against a runtime that
        // was shut down under us (the log is closing).
        rx.recv_timeout(self.config.retry_timeout * 2 + Duration::from_secs(130))
            .unwrap_or_else(|_| Err(io::Error::other("the archive is closed")))
    }

    /// The days in the archive (on the runtime), and the indexes still beside their days.
    pub async fn list(&self) -> io::Result<Listing> {
        let mut found = Listing::default();
        let prefix = &self.config.prefix;
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        let mut listing = self.store.list(prefix);
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(to_io)?;
            let key = meta.location.to_string();
            let Some(name) = self.config.relative_name(&key) else {
                continue;
            };
            if let Some(day) = self.pattern.day_of_relative(name) {
                let archived = ArchivedDay {
                    key,
                    size: meta.size,
                    lines: None,
                };
                found.days.push((day, archived));
            } else if let Some(day_name) = name.strip_suffix(INDEX_SUFFIX) {
                if self.pattern.day_of_relative(day_name).is_some() {
                    found
                        .old_indexes
                        .push(self.config.key_for(day_name).to_string());
                }
            }
        }
        found.days.sort_by_key(|(d, _)| *d);
        Ok(found)
    }

    /// Puts a listing's days into `catalog`; returns whether it held days the catalog did not.
    pub fn note_listing(&self, catalog: &Catalog, found: Vec<(Day, ArchivedDay)>) -> bool {
        let mut new = 0;
        for (day, archived) in found {
            new += usize::from(catalog.note_archived(day, archived));
        }
        self.listed.store(true, Ordering::Relaxed);
        if new > 0 {
            debug!("archive", "{new} new days in {}", self.url());
        }
        new > 0
    }

    /// Lists the archive into `catalog` unless that was done before (from a reader's thread).
    pub fn ensure_listed(self: &Arc<Self>, catalog: &Catalog) -> io::Result<()> {
        if self.listed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let me = self.clone();
        let found = self.wait(async move { me.list().await })?;
        self.note_listing(catalog, found.days);
        Ok(())
    }

    /// A day's complete lines, from its object's metadata.
    pub fn lines_of(&self, day: &ArchivedDay) -> io::Result<u64> {
        let store = self.store.clone();
        let key = KeyPath::from(day.key.as_str());
        let info = self.wait(async move { head_info(&store, &key).await })?;
        info.lines.ok_or_else(|| {
            io::Error::other(format!(
                "{} has no \"{META_LINES}\" metadata; it was not uploaded by eventlog",
                day.key
            ))
        })
    }

    /// The index uploaded with an archived day, if there is one that describes the object as
    /// it is (its size): under `_eventlog/`, else beside the day, where archives written before
    /// put it (until the archiver's next pass moves it). Any failure only means no index: a
    /// reader then counts lines from the day's start, as it must without one, and the index
    /// stays checked against the data.
    pub fn fetch_index(&self, day: &ArchivedDay) -> Option<DayIndex> {
        let store = self.store.clone();
        let keys = [self.config.index_key(&day.key), old_index_key(&day.key)];
        let fetched = self.wait(async move {
            let mut missing = None;
            for key in keys {
                match store.get(&key).await {
                    Ok(got) => return got.bytes().await.map_err(to_io),
                    Err(e @ object_store::Error::NotFound { .. }) => missing = Some(e),
                    Err(e) => return Err(to_io(e)),
                }
            }
            Err(missing.map_or_else(|| io::Error::other("no index key"), to_io))
        });
        let data = match fetched {
            Ok(data) => data,
            Err(e) => {
                debug!("archive", "no index for {}: {e}", day.key);
                return None;
            }
        };
        let index = DayIndex::decode(&data).filter(|ix| ix.file_size == day.size);
        if index.is_none() {
            debug!(
                "archive",
                "the index of {} is damaged or describes another object; not used", day.key
            );
        }
        index
    }

    /// Bytes `range` of the object at `key` (one ranged GET).
    pub fn get_range(&self, key: &KeyPath, range: std::ops::Range<u64>) -> io::Result<Bytes> {
        let (store, key) = (self.store.clone(), key.clone());
        self.wait(async move { store.get_range(&key, range).await.map_err(to_io) })
    }

    /// The size of the object at `key`, or `NotFound`.
    pub fn size_of(&self, key: &KeyPath) -> io::Result<u64> {
        let (store, key) = (self.store.clone(), key.clone());
        self.wait(async move { head_info(&store, &key).await.map(|info| info.size) })
    }

    /// A reader of an archived day.
    pub fn open_day(&self, day: &ArchivedDay) -> RemoteDay {
        RemoteDay {
            store: self.store.clone(),
            rt: self.rt.clone(),
            key: KeyPath::from(day.key.as_str()),
            size: day.size,
            timeout: self.config.retry_timeout * 2 + Duration::from_secs(130),
            current: None,
            ahead: VecDeque::new(),
            next_fetch: 0,
        }
    }
}

/// What a listing of the archive found.
#[derive(Default)]
pub struct Listing {
    /// The days, in order.
    pub days: Vec<(Day, ArchivedDay)>,
    /// The keys of the days whose index is still beside them (`<key>.index`), as archives
    /// written before `_eventlog/` have them, for the archiver to move.
    pub old_indexes: Vec<String>,
}

/// Where archives written before `_eventlog/` put the index of the day at `day_key`: beside it.
/// No pattern names it as a day: a pattern's match is the whole name, and this one has a
/// suffix after it.
pub fn old_index_key(day_key: &str) -> KeyPath {
    KeyPath::from(format!("{day_key}{INDEX_SUFFIX}"))
}

/// What a HEAD request tells of an archived day.
pub struct ObjectInfo {
    pub size: u64,
    /// The `lines` and `sha256` metadata, when the object has them.
    pub lines: Option<u64>,
    pub sha256: Option<String>,
}

/// The size and metadata of an object (a HEAD request).
pub async fn head_info(store: &AmazonS3, key: &KeyPath) -> io::Result<ObjectInfo> {
    let options = GetOptions {
        head: true,
        ..GetOptions::default()
    };
    let result = store.get_opts(key, options).await.map_err(to_io)?;
    let get = |name: &'static str| {
        result
            .attributes
            .get(&Attribute::Metadata(name.into()))
            .map(|v| v.as_ref().to_string())
    };
    Ok(ObjectInfo {
        size: result.meta.size,
        lines: get(META_LINES).and_then(|v| v.parse().ok()),
        sha256: get(META_SHA256),
    })
}

pub use failure::to_io;

type Fetch = mpsc::Receiver<io::Result<Bytes>>;

/// An archived day's bytes, fetched in ranges ahead of the reader, so memory stays at a few
/// chunks however long the day is.
pub struct RemoteDay {
    store: Arc<AmazonS3>,
    rt: Handle,
    key: KeyPath,
    size: u64,
    timeout: Duration,
    /// The chunk being read: its offset and bytes.
    current: Option<(u64, Bytes)>,
    /// Chunks requested, in order, each with its offset.
    ahead: VecDeque<(u64, Fetch)>,
    /// Where the next chunk to request starts.
    next_fetch: u64,
}

impl RemoteDay {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        if !self.holds(offset) {
            self.current = None;
            // Skip what was fetched for before this offset; start afresh if it was not asked.
            while self
                .ahead
                .front()
                .is_some_and(|(start, _)| start + CHUNK <= offset)
            {
                self.ahead.pop_front();
            }
            if self.ahead.front().is_none_or(|(start, _)| *start > offset) {
                self.ahead.clear();
                self.next_fetch = offset;
            }
            self.request_ahead();
            let Some((start, fetch)) = self.ahead.pop_front() else {
                return Ok(0);
            };
            let bytes = match fetch.recv_timeout(self.timeout) {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(e)) => return Err(self.failed(start, e)),
                Err(_) => return Err(self.failed(start, io::Error::other("the archive is closed"))),
            };
            self.current = Some((start, bytes));
        }
        self.request_ahead();
        let Some((start, bytes)) = &self.current else {
            return Ok(0);
        };
        let at = (offset - start) as usize;
        let n = buf.len().min(bytes.len() - at);
        buf[..n].copy_from_slice(&bytes[at..at + n]);
        Ok(n)
    }

    fn holds(&self, offset: u64) -> bool {
        self.current
            .as_ref()
            .is_some_and(|(start, b)| offset >= *start && offset < start + b.len() as u64)
    }

    /// Keeps `AHEAD` chunks requested beyond the current one.
    fn request_ahead(&mut self) {
        while self.ahead.len() < AHEAD && self.next_fetch < self.size {
            let start = self.next_fetch;
            let end = (start + CHUNK).min(self.size);
            let (tx, rx) = mpsc::sync_channel(1);
            let store = self.store.clone();
            let key = self.key.clone();
            self.rt.spawn(async move {
                let result = store.get_range(&key, start..end).await.map_err(to_io);
                let _ = tx.send(result);
            });
            self.ahead.push_back((start, rx));
            self.next_fetch = end;
        }
    }

    /// A failed fetch: nothing fetched is kept, so the next read asks again from `start`.
    fn failed(&mut self, start: u64, e: io::Error) -> io::Error {
        self.ahead.clear();
        self.next_fetch = start;
        io::Error::new(
            e.kind(),
            format!(
                "could not fetch bytes {start}.. of {} from the archive: {e}",
                self.key
            ),
        )
    }
}
