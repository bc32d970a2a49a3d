//! The one error type of the core. Every variant has a stable code (`Error::code`, listed in
//! `CODES`) that the binding hands to JavaScript as `err.code`, where `lib/errors.js` maps it
//! to an exported error class.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The filename pattern does not hold `%y`, `%m` and `%d` exactly once each.
    #[error("invalid filename pattern {pattern:?}: {reason}")]
    InvalidPattern { pattern: String, reason: String },

    /// A number given as a position is not one (a day, too small, not an integer…); `detail`
    /// says what was meant. JavaScript raises it as a TypeError.
    #[error("{what} must be a position: {detail}")]
    InvalidPosition { what: String, detail: String },

    /// A position or date names a year outside 1970..=9999.
    #[error("invalid year in {what}: {value}")]
    InvalidYear { what: String, value: u64 },

    /// A position or date names a month outside 1..=12.
    #[error("invalid month in {what}: {value}")]
    InvalidMonth { what: String, value: u64 },

    /// A position or date names a day that the month does not have.
    #[error("invalid day in {what}: {value}")]
    InvalidDay { what: String, value: u64 },

    /// Writing to a logfile (or creating it, or its directory) failed; nothing of the failed
    /// events is visible to readers.
    #[error("could not {op} {path}: {source}")]
    Write {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Reading a logfile failed, or it changed in a way an append-only log never does.
    #[error("could not {op} {path}: {source}")]
    Read {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The day's logfile already holds 10^8 events, the most a position can number.
    #[error("the logfile {path} already holds {limit} events, the most one day can hold; no more events can be added until the next UTC day")]
    DayFull { path: PathBuf, limit: u64 },

    /// A logfile line that is not an event by the rule of `line.rs`; readers skip it (it still
    /// counts as a position) and go on.
    #[error("the line at position {pos} ({file}, line {line}) is not an event and was skipped: {detail}")]
    CorruptLine {
        file: String,
        /// 1-based line number in `file`.
        line: u64,
        pos: u64,
        detail: String,
    },

    /// The log, or this consumer, was stopped.
    #[error("the event log is stopped; open a new one with eventlog(...)")]
    Stopped,

    /// The `archive` option is malformed; `field` names the part (`archive.url`, …).
    #[error("invalid {field}: {reason}")]
    InvalidArchiveConfig { field: String, reason: String },

    /// The archive could not be used: unreachable within the retry window, or refusing.
    #[error("archive {url}: {detail}")]
    Archive { url: String, detail: String },

    /// The archive has no credentials to sign with (none given, none in the environment, none
    /// from the instance metadata service), or the store refused the ones it has.
    #[error("archive {url}: {detail}")]
    ArchiveCredentials { url: String, detail: String },

    /// The archive's bucket does not exist at its store.
    #[error("archive {url}: {detail}")]
    ArchiveNoBucket { url: String, detail: String },

    /// The store refused an operation (403): the credentials lack a permission.
    #[error("archive {url}: {detail}")]
    ArchiveAccessDenied { url: String, detail: String },

    /// The store could not be connected to within the retry window.
    #[error("archive {url}: {detail}")]
    ArchiveUnreachable { url: String, detail: String },

    /// The store did not answer within the retry window.
    #[error("archive {url}: {detail}")]
    ArchiveTimeout { url: String, detail: String },

    /// The `streamKey` option is not a field name or a dotted path of them.
    #[error("{0}")]
    InvalidStreamKey(String),

    /// Opening the log again in this process with other settings than it is open with.
    #[error("{0}")]
    Conflicting(String),

    /// The operation needs a writer, and the log was opened read-only.
    #[error("this event log is read only; open it without readOnly to {0}")]
    ReadOnly(&'static str),

    /// A named consumer's checkpoint (`checkpoint.rs`) could not be read or saved, or its file
    /// holds something other than a position; `detail` says what to do.
    #[error("the checkpoint of {name:?} in {path}: {detail}")]
    Checkpoint {
        name: String,
        path: PathBuf,
        detail: String,
        #[source]
        source: Option<io::Error>,
    },
}

/// Every code `Error::code` gives, for the binding to list (JavaScript has a class for each,
/// which a test checks).
pub const CODES: &[&str] = &[
    "ERR_INVALID_PATTERN",
    "ERR_INVALID_POSITION",
    "ERR_INVALID_YEAR",
    "ERR_INVALID_MONTH",
    "ERR_INVALID_DAY",
    "ERR_WRITE",
    "ERR_READ",
    "ERR_DAY_FULL",
    "ERR_CORRUPT_LINE",
    "ERR_STOPPED",
    "ERR_INVALID_ARCHIVE_CONFIG",
    "ERR_ARCHIVE",
    "ERR_ARCHIVE_CREDENTIALS",
    "ERR_ARCHIVE_NO_BUCKET",
    "ERR_ARCHIVE_ACCESS_DENIED",
    "ERR_ARCHIVE_UNREACHABLE",
    "ERR_ARCHIVE_TIMEOUT",
    "ERR_INVALID_STREAM_KEY",
    "ERR_CONFLICTING_OPTIONS",
    "ERR_READ_ONLY",
    "ERR_CHECKPOINT",
];

impl Error {
    /// A stable code for the JavaScript side (`err.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidPattern { .. } => "ERR_INVALID_PATTERN",
            Error::InvalidPosition { .. } => "ERR_INVALID_POSITION",
            Error::InvalidYear { .. } => "ERR_INVALID_YEAR",
            Error::InvalidMonth { .. } => "ERR_INVALID_MONTH",
            Error::InvalidDay { .. } => "ERR_INVALID_DAY",
            Error::Write { .. } => "ERR_WRITE",
            Error::Read { .. } => "ERR_READ",
            Error::DayFull { .. } => "ERR_DAY_FULL",
            Error::CorruptLine { .. } => "ERR_CORRUPT_LINE",
            Error::Stopped => "ERR_STOPPED",
            Error::InvalidArchiveConfig { .. } => "ERR_INVALID_ARCHIVE_CONFIG",
            Error::Archive { .. } => "ERR_ARCHIVE",
            Error::ArchiveCredentials { .. } => "ERR_ARCHIVE_CREDENTIALS",
            Error::ArchiveNoBucket { .. } => "ERR_ARCHIVE_NO_BUCKET",
            Error::ArchiveAccessDenied { .. } => "ERR_ARCHIVE_ACCESS_DENIED",
            Error::ArchiveUnreachable { .. } => "ERR_ARCHIVE_UNREACHABLE",
            Error::ArchiveTimeout { .. } => "ERR_ARCHIVE_TIMEOUT",
            Error::InvalidStreamKey(_) => "ERR_INVALID_STREAM_KEY",
            Error::Conflicting(_) => "ERR_CONFLICTING_OPTIONS",
            Error::ReadOnly(_) => "ERR_READ_ONLY",
            Error::Checkpoint { .. } => "ERR_CHECKPOINT",
        }
    }

    /// The OS error behind this one, if any (`errno` name such as `ENOSPC`).
    pub fn os_code(&self) -> Option<&'static str> {
        match self {
            Error::Write { source, .. } | Error::Read { source, .. } => errno_name(source),
            Error::Checkpoint {
                source: Some(source),
                ..
            } => errno_name(source),
            _ => None,
        }
    }

    /// A copy for each of several requests that one failure failed (`io::Error` is not
    /// `Clone`; the copy keeps the OS error number and the message).
    pub(crate) fn duplicate(&self) -> Error {
        let copy_io = |e: &io::Error| match e.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(e.kind(), e.to_string()),
        };
        match self {
            Error::InvalidPattern { pattern, reason } => Error::InvalidPattern {
                pattern: pattern.clone(),
                reason: reason.clone(),
            },
            Error::InvalidPosition { what, detail } => Error::InvalidPosition {
                what: what.clone(),
                detail: detail.clone(),
            },
            Error::InvalidYear { what, value } => Error::InvalidYear {
                what: what.clone(),
                value: *value,
            },
            Error::InvalidMonth { what, value } => Error::InvalidMonth {
                what: what.clone(),
                value: *value,
            },
            Error::InvalidDay { what, value } => Error::InvalidDay {
                what: what.clone(),
                value: *value,
            },
            Error::Write { op, path, source } => Error::write(op, path, copy_io(source)),
            Error::Read { op, path, source } => Error::read(op, path, copy_io(source)),
            Error::DayFull { path, limit } => Error::DayFull {
                path: path.clone(),
                limit: *limit,
            },
            Error::CorruptLine {
                file,
                line,
                pos,
                detail,
            } => Error::CorruptLine {
                file: file.clone(),
                line: *line,
                pos: *pos,
                detail: detail.clone(),
            },
            Error::Stopped => Error::Stopped,
            Error::InvalidArchiveConfig { field, reason } => Error::InvalidArchiveConfig {
                field: field.clone(),
                reason: reason.clone(),
            },
            Error::Archive { url, detail } => Error::Archive {
                url: url.clone(),
                detail: detail.clone(),
            },
            Error::ArchiveCredentials { url, detail } => Error::ArchiveCredentials {
                url: url.clone(),
                detail: detail.clone(),
            },
            Error::ArchiveNoBucket { url, detail } => Error::ArchiveNoBucket {
                url: url.clone(),
                detail: detail.clone(),
            },
            Error::ArchiveAccessDenied { url, detail } => Error::ArchiveAccessDenied {
                url: url.clone(),
                detail: detail.clone(),
            },
            Error::ArchiveUnreachable { url, detail } => Error::ArchiveUnreachable {
                url: url.clone(),
                detail: detail.clone(),
            },
            Error::ArchiveTimeout { url, detail } => Error::ArchiveTimeout {
                url: url.clone(),
                detail: detail.clone(),
            },
            Error::InvalidStreamKey(m) => Error::InvalidStreamKey(m.clone()),
            Error::Conflicting(m) => Error::Conflicting(m.clone()),
            Error::ReadOnly(op) => Error::ReadOnly(op),
            Error::Checkpoint {
                name,
                path,
                detail,
                source,
            } => Error::Checkpoint {
                name: name.clone(),
                path: path.clone(),
                detail: detail.clone(),
                source: source.as_ref().map(copy_io),
            },
        }
    }

    pub(crate) fn write(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Write {
            op,
            path: path.into(),
            source,
        }
    }

    pub fn read(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Read {
            op,
            path: path.into(),
            source,
        }
    }
}

/// The conventional name of the OS errors users meet on a storage path (`EACCES`, `ENOSPC`…),
/// from the platform's own error numbers (`sys`); others fall back to the io::ErrorKind text
/// in the message.
fn errno_name(err: &io::Error) -> Option<&'static str> {
    crate::sys::errno_name(err.raw_os_error()?)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of each variant; the match makes a new variant fail to compile here until
    /// it is added.
    fn one_of_each() -> Vec<Error> {
        let io = || io::Error::from_raw_os_error(2);
        let all = vec![
            Error::InvalidPattern {
                pattern: "p".into(),
                reason: "r".into(),
            },
            Error::InvalidPosition {
                what: "w".into(),
                detail: "d".into(),
            },
            Error::InvalidYear {
                what: "w".into(),
                value: 1,
            },
            Error::InvalidMonth {
                what: "w".into(),
                value: 1,
            },
            Error::InvalidDay {
                what: "w".into(),
                value: 1,
            },
            Error::write("write", "f", io()),
            Error::read("read", "f", io()),
            Error::DayFull {
                path: "f".into(),
                limit: 1,
            },
            Error::CorruptLine {
                file: "f".into(),
                line: 1,
                pos: 0,
                detail: "d".into(),
            },
            Error::Stopped,
            Error::InvalidArchiveConfig {
                field: "f".into(),
                reason: "r".into(),
            },
            Error::Archive {
                url: "u".into(),
                detail: "d".into(),
            },
            Error::ArchiveCredentials {
                url: "u".into(),
                detail: "d".into(),
            },
            Error::ArchiveNoBucket {
                url: "u".into(),
                detail: "d".into(),
            },
            Error::ArchiveAccessDenied {
                url: "u".into(),
                detail: "d".into(),
            },
            Error::ArchiveUnreachable {
                url: "u".into(),
                detail: "d".into(),
            },
            Error::ArchiveTimeout {
                url: "u".into(),
                detail: "d".into(),
            },
            Error::InvalidStreamKey("k".into()),
            Error::Conflicting("c".into()),
            Error::ReadOnly("add events"),
            Error::Checkpoint {
                name: "n".into(),
                path: "p".into(),
                detail: "d".into(),
                source: None,
            },
        ];
        for e in &all {
            match e {
                Error::InvalidPattern { .. }
                | Error::InvalidPosition { .. }
                | Error::InvalidYear { .. }
                | Error::InvalidMonth { .. }
                | Error::InvalidDay { .. }
                | Error::Write { .. }
                | Error::Read { .. }
                | Error::DayFull { .. }
                | Error::CorruptLine { .. }
                | Error::Stopped
                | Error::InvalidArchiveConfig { .. }
                | Error::Archive { .. }
                | Error::ArchiveCredentials { .. }
                | Error::ArchiveNoBucket { .. }
                | Error::ArchiveAccessDenied { .. }
                | Error::ArchiveUnreachable { .. }
                | Error::ArchiveTimeout { .. }
                | Error::InvalidStreamKey(_)
                | Error::Conflicting(_)
                | Error::ReadOnly(_)
                | Error::Checkpoint { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_code_is_listed_once_and_copies_keep_it() {
        let all = one_of_each();
        let mut codes: Vec<_> = all.iter().map(Error::code).collect();
        for e in &all {
            assert_eq!(e.duplicate().code(), e.code());
            assert_eq!(e.duplicate().to_string(), e.to_string());
        }
        codes.sort();
        codes.dedup();
        let mut listed = CODES.to_vec();
        listed.sort();
        assert_eq!(
            codes, listed,
            "CODES lists exactly the codes of the variants"
        );
    }
}
