//! How the core's errors reach JavaScript, in one shape whichever way they travel: the core's
//! stable `code` (`ERR_READ`…), its message, and what the error knows (`errno`, `file`,
//! `line`, `pos`). Thrown or rejected, it is a JavaScript `Error` with those properties
//! (`throwable`); handed over as data, in write results, deliveries and checkpoint states, it
//! is a `NativeError`. `lib/errors.js` (`fromNative`) turns either into an instance of the
//! exported class for its code.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::{Error as CoreError, ERROR_CODES as CODES};

/// A core error as data.
#[napi(object)]
pub struct NativeError {
    pub code: String,
    pub message: String,
    /// The OS error behind it (`ENOSPC`, `EACCES`…).
    pub errno: Option<String>,
    /// The logfile (as the pattern names it) of a corrupt line.
    pub file: Option<String>,
    /// The 1-based line number of a corrupt line in `file`.
    pub line: Option<f64>,
    /// The position of a corrupt line.
    pub pos: Option<f64>,
}

impl From<&CoreError> for NativeError {
    fn from(err: &CoreError) -> Self {
        let (file, line, pos) = match err {
            CoreError::CorruptLine {
                file, line, pos, ..
            } => (Some(file.clone()), Some(*line as f64), Some(*pos as f64)),
            _ => (None, None, None),
        };
        NativeError {
            code: err.code().to_string(),
            message: err.to_string(),
            errno: err.os_code().map(str::to_string),
            file,
            line,
            pos,
        }
    }
}

/// The error to throw, or to reject a promise with, for `err`: a JavaScript `Error` with the
/// properties of its `NativeError`.
pub(crate) fn throwable(env: &Env, err: CoreError) -> napi::Error {
    build(env, NativeError::from(&err)).unwrap_or_else(|e| e)
}

fn build(env: &Env, n: NativeError) -> Result<napi::Error> {
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, n.message))?;
    obj.set_named_property("code", n.code)?;
    if let Some(errno) = n.errno {
        obj.set_named_property("errno", errno)?;
    }
    if let Some(file) = n.file {
        obj.set_named_property("file", file)?;
    }
    if let Some(line) = n.line {
        obj.set_named_property("line", line)?;
    }
    if let Some(pos) = n.pos {
        obj.set_named_property("pos", pos)?;
    }
    Ok(napi::Error::from(obj.to_unknown()))
}

/// Every code the core's errors have (a test checks that `lib/errors.js` has a class for each).
#[napi]
pub fn error_codes() -> Vec<String> {
    CODES.iter().map(|c| c.to_string()).collect()
}
