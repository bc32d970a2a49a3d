//! Uploading one sealed day: the object is the logfile byte for byte, with its line count and
//! SHA-256 as metadata, created only if no object is at its key (a second upload, by a rerun
//! or a race, finds the first and checks it instead of overwriting anything). Big days go up
//! in parts, and the parts done are remembered in our own files, so an interrupted upload
//! resumes at the next pass. Every upload is verified — the object's size, and the SHA-256 of
//! its bytes read back — before it is recorded, and only a recorded day may be deleted
//! locally. The day's sparse index goes up with it (under `_eventlog/`, where query engines
//! reading the prefix do not look; a few bytes per thousand lines), so that a reader with only the archive seeks into a long day without reading it
//! from its start; it is optional, and a failure to put it fails nothing.

use std::fs::File;
use std::io;
use std::sync::Arc;

use futures::StreamExt;
use object_store::aws::AmazonS3;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as KeyPath;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions,
    PutPayload,
};

use crate::catalog::ArchivedDay;
use crate::day::Day;
use crate::debug::debug;
use crate::files::OwnFiles;
use crate::index::{hex, DayIndex};
use crate::remote::{head_info, to_io, Remote, META_LINES, META_SHA256};
use crate::sys::FileExt;
use crate::upload_records::{MultipartState, UploadRecord};

/// Days up to this size go up in one request.
pub const SINGLE_PUT_MAX: u64 = 16 << 20;
/// The size of each part of a multipart upload (S3 wants 5 MiB at least, but the last).
pub const PART_SIZE: u64 = 8 << 20;

/// A day to upload: its local logfile and its index (with the file's hash).
pub struct DayUpload {
    pub day: Day,
    pub path: String,
    pub index: Arc<DayIndex>,
}

/// Uploads (or finds already uploaded) and verifies a day; records it and returns it.
pub async fn upload(remote: &Remote, files: &OwnFiles, job: DayUpload) -> io::Result<ArchivedDay> {
    let store = remote.store.clone();
    let key = remote
        .config
        .key_for(&remote.pattern.relative_name(job.day));
    let size = job.index.file_size;
    let sha = job
        .index
        .sha256_hex()
        .ok_or_else(|| io::Error::other("the day's index has no hash"))?;
    let mut attributes = Attributes::new();
    attributes.insert(
        Attribute::Metadata(META_LINES.into()),
        job.index.lines.to_string().into(),
    );
    attributes.insert(Attribute::Metadata(META_SHA256.into()), sha.clone().into());
    attributes.insert(Attribute::ContentType, "application/x-ndjson".into());

    let exists = match head_info(&store, &key).await {
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    if !exists {
        if size <= SINGLE_PUT_MAX {
            let data = read_range(&job.path, 0, size).await?;
            let options = PutOptions {
                mode: PutMode::Create,
                attributes,
                ..PutOptions::default()
            };
            match store.put_opts(&key, PutPayload::from(data), options).await {
                // Someone uploaded it since we looked: check theirs below.
                Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(to_io(e)),
            }
        } else {
            match upload_in_parts(&store, files, &job, &key, &sha, attributes.clone()).await {
                // The store no longer knows the upload we were resuming (it was aborted, or
                // the store lost it): start it over, once.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    debug!(
                        "archive",
                        "the store lost the upload of {key}; starting it over"
                    );
                    upload_in_parts(&store, files, &job, &key, &sha, attributes).await?
                }
                other => other?,
            }
        }
    }
    verify(&store, &key, size, &sha).await?;
    let archived = ArchivedDay {
        key: key.to_string(),
        size,
        lines: Some(job.index.lines),
    };
    let record = UploadRecord {
        day: Some(job.day.number()),
        key: archived.key.clone(),
        lines: Some(job.index.lines),
        sha256: Some(sha),
        size,
        url: remote.url().to_string(),
    };
    record.write(files, job.day)?;
    let index_key = remote.config.index_key(&archived.key);
    put_index(&store, &index_key, &job.index).await;
    debug!(
        "archive",
        "uploaded and verified {} ({size} bytes) as {key}", job.path
    );
    Ok(archived)
}

/// Puts the day's index at `key`, unless one is there already (readers check it against the
/// object's size and its lines' newlines, so one left by an earlier upload of the same day is
/// as good). Best effort: without it, readers only seek more slowly.
async fn put_index(store: &AmazonS3, key: &KeyPath, index: &DayIndex) {
    let options = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    match store
        .put_opts(key, PutPayload::from(index.encode()), options)
        .await
    {
        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
        Err(e) => debug!(
            "archive",
            "could not put {key} (readers will seek without it): {e}"
        ),
    }
}

/// Checks that the object at `key` is the day: its size, then the SHA-256 of its bytes.
async fn verify(store: &AmazonS3, key: &KeyPath, size: u64, sha: &str) -> io::Result<()> {
    let info = head_info(store, key).await?;
    if info.size != size {
        return Err(io::Error::other(format!(
            "{key} holds {} bytes, the day {size}; a different object is at its key, so the day stays local",
            info.size
        )));
    }
    if let Some(theirs) = info.sha256 {
        if theirs != sha {
            return Err(io::Error::other(format!(
                "{key} carries sha256 {theirs}, the day {sha}; a different object is at its key, so the day stays local"
            )));
        }
    }
    let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
    let mut stream = store.get(key).await.map_err(to_io)?.into_stream();
    while let Some(chunk) = stream.next().await {
        hasher.update(&chunk.map_err(to_io)?);
    }
    let read_back = hex(hasher.finish().as_ref());
    if read_back != sha {
        return Err(io::Error::other(format!(
            "{key} read back with sha256 {read_back}, the day has {sha}; it will be uploaded again"
        )));
    }
    Ok(())
}

/// A multipart upload, resumed from the parts our files say are done.
async fn upload_in_parts(
    store: &AmazonS3,
    files: &OwnFiles,
    job: &DayUpload,
    key: &KeyPath,
    sha: &str,
    attributes: Attributes,
) -> io::Result<()> {
    let size = job.index.file_size;
    // A saved state is resumed only if it is of this very upload.
    let saved = MultipartState::read(files, job.day).filter(|s| {
        s.key == key.as_ref() && s.size == size && s.sha256 == sha && s.part_size == PART_SIZE
    });
    let from_disk = saved.is_some();
    let mut state = match saved {
        Some(state) => state,
        None => {
            let options = PutMultipartOptions {
                attributes,
                ..PutMultipartOptions::default()
            };
            let id = store
                .create_multipart_opts(key, options)
                .await
                .map_err(to_io)?;
            let fresh = MultipartState {
                key: key.to_string(),
                part_size: PART_SIZE,
                parts: Vec::new(),
                sha256: sha.to_string(),
                size,
                upload_id: id,
            };
            fresh.write(files, job.day)?;
            fresh
        }
    };
    let id = state.upload_id.clone();
    let mut parts: Vec<PartId> = state
        .parts
        .iter()
        .map(|p| PartId {
            content_id: p.clone(),
        })
        .collect();
    // An upload begun by an earlier pass: its first part now tells whether the store still
    // has it.
    let resumed_at = from_disk.then_some(parts.len());
    if let Some(at) = resumed_at {
        debug!("archive", "resuming the upload of {key} at part {}", at + 1);
    }
    let count = size.div_ceil(PART_SIZE) as usize;
    for idx in parts.len()..count {
        let start = idx as u64 * PART_SIZE;
        let data = read_range(&job.path, start, (start + PART_SIZE).min(size)).await?;
        let part = match store.put_part(key, &id, idx, PutPayload::from(data)).await {
            Ok(part) => part,
            // The first part of a resumed upload failing, just after the store answered the
            // pass's first request, means the store no longer has the upload (S3 says 404,
            // some servers 500): what we remember of it is worthless. Start over.
            Err(e)
                if resumed_at == Some(idx) || matches!(e, object_store::Error::NotFound { .. }) =>
            {
                MultipartState::discard(files, job.day);
                let _ = store.abort_multipart(key, &id).await;
                return Err(io::Error::new(io::ErrorKind::NotFound, e.to_string()));
            }
            Err(e) => return Err(to_io(e)),
        };
        parts.push(part);
        state.parts = parts.iter().map(|p| p.content_id.clone()).collect();
        state.write(files, job.day)?;
    }
    match store.complete_multipart(key, &id, parts).await {
        Ok(_) => {}
        Err(e) => {
            if matches!(e, object_store::Error::NotFound { .. }) {
                MultipartState::discard(files, job.day);
            }
            return Err(to_io(e));
        }
    }
    MultipartState::discard(files, job.day);
    Ok(())
}

/// Bytes `start..end` of a local file, read off the runtime's workers.
async fn read_range(path: &str, start: u64, end: u64) -> io::Result<Vec<u8>> {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || {
        let file = File::open(&path)?;
        let mut buf = vec![0u8; (end - start) as usize];
        file.read_exact_at(&mut buf, start)?;
        Ok(buf)
    })
    .await
    .map_err(|e| io::Error::other(e.to_string()))?
}
