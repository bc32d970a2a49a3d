//! eventlog: an append-only event store, one JSON line per event in one file per UTC day, with
//! an optional archive of past days in an S3-compatible store.
//!
//! The core is plain Rust with no N-API; the binding crate (`src/binding`) wraps it for Node.js.
//!
//! - `log`: `Log`, which owns everything one pattern has in one process, and closes it.
//! - `pattern`: the filename pattern; naming and recognising logfiles.
//! - `day`, `clock`, `position`: UTC days, the (test-overridable) clock, 16-digit positions.
//! - `files`: our own files beside the logfiles (locks, indexes, archive records).
//! - `discovery`: finding the logfiles on local disk.
//! - `catalog`: the days of a log, local and archived.
//! - `index`: the sparse offset index of a day (seeks, line counts, upload metadata).
//! - `history`: catalog, indexes and archive together; what readers and writers ask.
//! - `lock`: the writers' lock file, shared by every writing process.
//! - `append`: appending one batch under the lock (positions, rollover, torn-tail repair).
//! - `writer`: a log's writer thread; one write (and flush) per round of queued batches.
//! - `flush`: durable commits shared by every writing process (one flush covers all).
//! - `source`, `reader`: a day's bytes (local file or archived object); its complete lines.
//! - `remote`: the archive as readers see it (listings, metadata, an archived day's bytes) and
//!   the `archive` option; it sits below `source`, so reading never depends on the archiver.
//! - `delivery`, `tailer`: a consumer's thread; replay, then follow, in deliveries of many lines.
//! - `wake`: in-process wake-ups from a log's writers to its consumers.
//! - `stream`: streams (the events of one aggregate, by a key field): their index, reads, and
//!   the versions appends are checked against.
//! - `checkpoint`: named consumers' positions, saved beside the log.
//! - `upload_records`: the records of uploads to the archive (done, and in progress).
//! - `archive`: the archiver above it all: uploads and retention, and how it keeps up.
//! - `verify`: checking a log for torn tails, corrupt lines and future days.
//! - `sys`: what Unix and Windows do differently (positional I/O, locks, flushes).
//! - `metrics`: what a log counts about its own work (lock-free counters and histograms).
//! - `error`, `debug`: the error type with stable codes; `DEBUG=eventlog:*` tracing.

#![deny(clippy::all)]

mod append;
mod archive;
mod catalog;
mod checkpoint;
mod clock;
mod day;
mod debug;
mod delivery;
mod discovery;
mod error;
mod files;
mod filter;
mod flush;
mod history;
mod index;
mod line;
mod lock;
mod log;
mod metrics;
mod pattern;
mod position;
mod reader;
mod remote;
mod source;
mod stat;
mod stream;
mod sys;
mod tailer;
mod upload_records;
mod verify;
mod wake;
mod writer;

// The façade: what the binding uses, and nothing else, so that rustc reports any item nothing
// calls. A name that would not explain itself at the crate's root gets its module's word.
// rustc counts every `pub` method of a type reachable from here as used, so the methods of
// these types (and of those their `pub` methods take or return) that only the core calls are
// `pub(crate)`.
pub use append::{Actual, Expectation, Expected, Lines};
pub use archive::{ArchiveSnapshot, ArchiveStatus, LastError, PassReport};
pub use checkpoint::{
    damaged as damaged_checkpoint, refuse_past_end, Checkpoint, Checkpoints, Stored,
    MAX_NAME_BYTES as MAX_CHECKPOINT_NAME_BYTES,
};
pub use clock::{set_test_now, Clock};
pub use day::Day;
pub use debug::enabled as debug_enabled;
pub use delivery::{Delivery, Segment};
pub use error::{Error, Result, CODES as ERROR_CODES};
pub use files::OwnFiles;
pub use filter::TypeFilter;
pub use line::{judge as judge_line, Judged};
pub use log::{Log, Metrics, OpenOptions};
pub use metrics::{HistogramSnapshot, WriteSnapshot, BUCKETS as METRIC_BUCKETS};
pub use pattern::Pattern;
pub use position::{check as check_position, line_of, parse_start, PER_DAY};
pub use remote::ArchiveOptions;
pub use stat::{add_archived, stat, DayStat};
pub use stream::{IndexReport, ReadRange, StreamEvent, StreamRead};
pub use tailer::{Sink, Tailer};
pub use verify::{verify, verify_with, Report as VerifyReport};
pub use writer::{Completion, Reply, WriteRequest};
