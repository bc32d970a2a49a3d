//! Named consumers' checkpoints (the core's `checkpoint.rs`): the open file a named consumer
//! saves to, and reading, resetting and listing them for `log.checkpoint(name)` and the CLI.
//! A log is named by its key (its absolute pattern, `NativeLog.key`), so a read-only log, or
//! one already stopped, reads checkpoints without opening anything else.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use std::sync::Arc;

use eventlog_core::{
    check_position, damaged_checkpoint, refuse_past_end, Checkpoint, Checkpoints, OwnFiles,
    Pattern, Result as CoreResult, Stored, MAX_CHECKPOINT_NAME_BYTES,
};

use crate::{throwable, NativeError};

/// The longest consumer name, in bytes of UTF-8.
#[napi]
pub const CHECKPOINT_NAME_MAX_BYTES: u32 = MAX_CHECKPOINT_NAME_BYTES as u32;

fn checkpoints(key: &str) -> CoreResult<Checkpoints> {
    let pattern = Pattern::parse(key)?;
    Ok(Checkpoints::new(&OwnFiles::new(&pattern)))
}

/// A checkpoint as JavaScript sees it: its position, or what is wrong with its file.
#[napi(object)]
pub struct CheckpointState {
    pub name: String,
    pub pos: Option<f64>,
    /// The file holds something else: the error to report (a `CheckpointError`).
    pub damaged: Option<NativeError>,
}

fn state(name: String, path: &std::path::Path, stored: Stored) -> CheckpointState {
    let (pos, damaged) = match stored {
        Stored::None => (None, None),
        Stored::At(p) => (Some(p as f64), None),
        Stored::Damaged(what) => {
            let err = damaged_checkpoint(&name, path, &what);
            (None, Some(NativeError::from(&err)))
        }
    };
    CheckpointState { name, pos, damaged }
}

/// What the checkpoint of `name` holds. Creates nothing.
#[napi]
pub fn read_checkpoint(env: &Env, key: String, name: String) -> Result<CheckpointState> {
    let read = || -> CoreResult<CheckpointState> {
        let c = checkpoints(&key)?;
        let stored = c.read(&name)?;
        let path = c.path(&name)?;
        Ok(state(name, &path, stored))
    };
    read().map_err(|e| throwable(env, e))
}

/// Sets the checkpoint of `name` to `pos`, or clears it; returns what it held. A position past
/// the end of the log is refused unless `force`.
#[napi]
pub fn reset_checkpoint(
    env: &Env,
    key: String,
    name: String,
    pos: Option<f64>,
    force: bool,
) -> Result<CheckpointState> {
    let reset = || -> CoreResult<CheckpointState> {
        let pos = pos.map(|p| check_position(p, "pos", false)).transpose()?;
        let c = checkpoints(&key)?;
        if let (Some(pos), false) = (pos, force) {
            refuse_past_end(
                &Arc::new(Pattern::parse(&key)?),
                &name,
                &c.path(&name)?,
                pos,
            )?;
        }
        let before = c.reset(&name, pos)?;
        let path = c.path(&name)?;
        Ok(state(name, &path, before))
    };
    reset().map_err(|e| throwable(env, e))
}

/// Every checkpoint of the log, by name.
#[napi]
pub fn list_checkpoints(env: &Env, key: String) -> Result<Vec<CheckpointState>> {
    let list = || -> CoreResult<Vec<CheckpointState>> {
        let c = checkpoints(&key)?;
        c.list()?
            .into_iter()
            .map(|(name, stored)| {
                let path = c.path(&name)?;
                Ok(state(name, &path, stored))
            })
            .collect()
    };
    list().map_err(|e| throwable(env, e))
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
    pub fn open(env: &Env, key: String, name: String) -> Result<NativeCheckpoint> {
        let inner = checkpoints(&key)
            .and_then(|c| c.open(&name))
            .map_err(|e| throwable(env, e))?;
        Ok(NativeCheckpoint { inner })
    }

    /// What the file holds now.
    #[napi]
    pub fn stored(&self, env: &Env) -> Result<CheckpointState> {
        let stored = self.inner.stored().map_err(|e| throwable(env, e))?;
        Ok(state(self.inner.name().into(), self.inner.path(), stored))
    }

    /// Records every event up to `pos` as handled (never moving the checkpoint back); returns
    /// what the file holds after.
    #[napi]
    pub fn save(&self, env: &Env, pos: f64) -> Result<f64> {
        let saved = check_position(pos, "pos", false)
            .and_then(|p| self.inner.save(p))
            .map_err(|e| throwable(env, e))?;
        Ok(saved as f64)
    }
}
