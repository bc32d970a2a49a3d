//! Named consumers' checkpoints (the core's `checkpoint.rs`): the open file a named consumer
//! saves to, and reading, resetting and listing them for `log.checkpoint(name)` and the CLI.
//! A log is named by its key (its absolute pattern, `NativeLog.key`), so a read-only log, or
//! one already stopped, reads checkpoints without opening anything else.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use eventlog_core::{
    damaged_checkpoint, Checkpoint, Checkpoints, OwnFiles, Pattern, Stored,
    MAX_CHECKPOINT_NAME_BYTES,
};

use crate::to_js;

/// The longest consumer name, in bytes of UTF-8.
#[napi]
pub const CHECKPOINT_NAME_MAX_BYTES: u32 = MAX_CHECKPOINT_NAME_BYTES as u32;

fn checkpoints(key: &str) -> Result<Checkpoints> {
    let pattern = Pattern::parse(key).map_err(to_js)?;
    Ok(Checkpoints::new(&OwnFiles::new(&pattern)))
}

/// A position from JavaScript (checked there; this is the last line of defence).
fn position(pos: f64) -> Result<u64> {
    if pos.is_finite() && pos.fract() == 0.0 && pos > 0.0 && pos < 2f64.powi(53) {
        Ok(pos as u64)
    } else {
        Err(Error::new(
            Status::InvalidArg,
            format!("{pos} is not a position"),
        ))
    }
}

/// A checkpoint as JavaScript sees it: its position, or what is wrong with its file.
#[napi(object)]
pub struct CheckpointState {
    pub name: String,
    pub pos: Option<f64>,
    /// The file holds something else: the error to report, as `[CODE] message`.
    pub damaged: Option<String>,
}

fn state(name: String, path: &std::path::Path, stored: Stored) -> CheckpointState {
    let (pos, damaged) = match stored {
        Stored::None => (None, None),
        Stored::At(p) => (Some(p as f64), None),
        Stored::Damaged(what) => {
            let err = damaged_checkpoint(&name, path, &what);
            (None, Some(format!("[{}] {err}", err.code())))
        }
    };
    CheckpointState { name, pos, damaged }
}

/// What the checkpoint of `name` holds. Creates nothing.
#[napi]
pub fn read_checkpoint(key: String, name: String) -> Result<CheckpointState> {
    let c = checkpoints(&key)?;
    let stored = c.read(&name).map_err(to_js)?;
    let path = c.path(&name).map_err(to_js)?;
    Ok(state(name, &path, stored))
}

/// Sets the checkpoint of `name` to `pos`, or clears it; returns what it held.
#[napi]
pub fn reset_checkpoint(key: String, name: String, pos: Option<f64>) -> Result<CheckpointState> {
    let pos = pos.map(position).transpose()?;
    let c = checkpoints(&key)?;
    let before = c.reset(&name, pos).map_err(to_js)?;
    let path = c.path(&name).map_err(to_js)?;
    Ok(state(name, &path, before))
}

/// Every checkpoint of the log, by name.
#[napi]
pub fn list_checkpoints(key: String) -> Result<Vec<CheckpointState>> {
    let c = checkpoints(&key)?;
    let all = c.list().map_err(to_js)?;
    all.into_iter()
        .map(|(name, stored)| {
            let path = c.path(&name).map_err(to_js)?;
            Ok(state(name, &path, stored))
        })
        .collect()
}

/// The checkpoint file of one named consumer, open while it runs.
#[napi]
pub struct NativeCheckpoint {
    inner: Checkpoint,
}

#[napi]
impl NativeCheckpoint {
    /// Opens (creating it, empty, if needed) the checkpoint of `name`.
    #[napi(factory)]
    pub fn open(key: String, name: String) -> Result<NativeCheckpoint> {
        let inner = checkpoints(&key)?.open(&name).map_err(to_js)?;
        Ok(NativeCheckpoint { inner })
    }

    /// What the file holds now.
    #[napi]
    pub fn stored(&self) -> Result<CheckpointState> {
        let stored = self.inner.stored().map_err(to_js)?;
        Ok(state(self.inner.name().into(), self.inner.path(), stored))
    }

    /// Records every event up to `pos` as handled (never moving the checkpoint back); returns
    /// what the file holds after.
    #[napi]
    pub fn save(&self, pos: f64) -> Result<f64> {
        let saved = self.inner.save(position(pos)?).map_err(to_js)?;
        Ok(saved as f64)
    }
}
