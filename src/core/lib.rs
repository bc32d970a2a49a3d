//! eventlog: an append-only local event store, one JSON line per event in one file per UTC day.
//!
//! The core is plain Rust with no N-API; the binding crate (`src/binding`) wraps it for Node.js.
//!
//! - `pattern`: the filename pattern; naming and recognising logfiles.
//! - `day`, `position`: UTC days, the (test-overridable) clock, and 16-digit positions.
//! - `discovery`: finding the logfiles on disk, and the position before a day.
//! - `lock`: the writers' lock file, shared by every writing process.
//! - `writer`: appending one batch under the lock (positions, rollover, torn-tail repair).
//! - `group_commit`: a log's writer thread; one write per round of queued batches.
//! - `reader`: reading complete lines of one logfile.
//! - `tailer`: a consumer's thread; replay, then follow, in deliveries of many lines.
//! - `wake`: in-process wake-ups from writers to consumers.
//! - `verify`: checking a log for torn tails, corrupt lines and future days.
//! - `error`, `debug`: the error type with stable codes; `DEBUG=eventlog:*` tracing.

#![deny(clippy::all)]

pub mod day;
pub mod debug;
pub mod discovery;
pub mod error;
pub mod group_commit;
pub mod lock;
pub mod pattern;
pub mod position;
pub mod reader;
pub mod stat;
pub mod tailer;
pub mod verify;
pub mod wake;
pub mod writer;
