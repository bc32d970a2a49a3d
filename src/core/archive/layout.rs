//! Archives written before `_eventlog/` keep each day's index beside the day (`<key>.index`),
//! where a query engine reading the prefix takes it for data and fails on it. A pass moves
//! them: each is read, checked to be an index of ours, put at its key under `_eventlog/`
//! (unless one is there), and only then deleted at its old key. The keys moved come from a
//! listing, which names only keys that are a day's key with `.index` after it, so no day
//! object is ever read, written or deleted here. Readers find an index in either place
//! meanwhile. Best effort, as putting an index is: what fails stays for the next pass.

use object_store::path::Path as KeyPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::debug::debug;
use crate::index::DayIndex;
use crate::remote::{old_index_key, Remote};

/// Moves the indexes of the days at `day_keys` from beside them to `_eventlog/`.
pub async fn move_old_indexes(remote: &Remote, day_keys: &[String]) {
    let mut moved = 0;
    for day_key in day_keys {
        let (from, to) = (old_index_key(day_key), remote.config.index_key(day_key));
        match move_one(remote, &from, &to).await {
            Ok(true) => moved += 1,
            Ok(false) => debug!(
                "archive",
                "{from} is not an index of ours; it stays where it is"
            ),
            Err(e) => debug!("archive", "could not move {from} to {to} (next pass): {e}"),
        }
    }
    if moved > 0 {
        debug!(
            "archive",
            "moved {moved} day indexes under {}",
            remote.config.key_for(crate::remote::OWN_DIR)
        );
    }
}

/// Moves one index: `Ok(false)` if `from` holds something that is not one of ours.
async fn move_one(
    remote: &Remote,
    from: &KeyPath,
    to: &KeyPath,
) -> Result<bool, object_store::Error> {
    let store = &remote.store;
    let data = store.get(from).await?.bytes().await?;
    if DayIndex::decode(&data).is_none() {
        return Ok(false);
    }
    let options = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    match store.put_opts(to, PutPayload::from(data), options).await {
        // One there already (put by an upload since, or by a move cut short) is as good:
        // readers check an index against its day.
        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
        Err(e) => return Err(e),
    }
    store.delete(from).await?;
    Ok(true)
}
