//! The stream index of an uploaded day goes to the archive too
//! (`prefix/_eventlog/streams/<key>/<day's name>.sidx`), so that a reader with only the archive
//! finds a stream's events there with a few ranged reads instead of fetching whole days.
//! Best effort, as for the day index: without it, such a reader builds the index from the
//! day's bytes.

use std::sync::Arc;

use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};

use crate::day::Day;
use crate::debug::debug;
use crate::history::History;
use crate::remote::Remote;

/// Puts the stream index of `day` (uploaded at `day_key`) unless the log has no stream key or
/// it was put before; an index already there is as good (readers check it against the day).
pub async fn put(remote: &Remote, history: &Arc<History>, day: Day, day_key: &str) {
    let Some(streams) = history.streams.get().cloned() else {
        return;
    };
    let (h, s) = (history.clone(), streams.clone());
    let Ok(Some(bytes)) = tokio::task::spawn_blocking(move || s.for_archive(&h, day)).await else {
        return;
    };
    let key = remote
        .config
        .stream_index_key(day_key, &streams.key().dir_name());
    let options = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    match remote
        .store
        .put_opts(&key, PutPayload::from(bytes), options)
        .await
    {
        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => streams.mark_uploaded(day),
        Err(e) => debug!(
            "archive",
            "could not put {key} (readers will index the day themselves): {e}"
        ),
    }
}
