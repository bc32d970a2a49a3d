//! The records uploads to the archive leave in our own files (`files.rs`: `archive/`), and the
//! only code that reads or writes them:
//!
//! - `UploadRecord`, `<YYYYMMDD>.json`: a day's upload, verified. Only a recorded day may be
//!   deleted locally; the catalog and `stat` read these to know the days in the archive.
//! - `MultipartState`, `<YYYYMMDD>.upload`: a multipart upload in progress, so that the next
//!   pass resumes it at the next part.
//!
//! Both are one JSON object, keys in alphabetical order (as the `serde_json::json!` maps of
//! earlier versions wrote them, so a record written now is byte for byte what they wrote), and
//! both are replaced all at once. Unknown keys are ignored, so a later version may add some.
//! This sits below the catalog, which reads the records, and the archiver, which writes them.

use std::io;

use serde::{Deserialize, Serialize};

use crate::day::Day;
use crate::files::{write_atomically, OwnFiles};

/// A day's verified upload. Struct order is file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// The day, `YYYYMMDD` (every upload writes it; nothing reads it back, so a record without
    /// it still reads).
    #[serde(default)]
    pub day: Option<u32>,
    /// The object's key in the bucket.
    pub key: String,
    /// The day's complete lines.
    #[serde(default)]
    pub lines: Option<u64>,
    /// The SHA-256 of the day's bytes, hex (written; not needed to read the record).
    #[serde(default)]
    pub sha256: Option<String>,
    /// The object's size in bytes: a local day whose size differs is not this upload.
    pub size: u64,
    /// The archive uploaded to (`s3://bucket/prefix`): a record of another archive is not
    /// read as one of this log's.
    pub url: String,
}

impl UploadRecord {
    /// The record of `day`'s upload; `None` if there is none or it cannot be read (the next
    /// pass finds the object, checks it, and writes the record again).
    pub fn read(files: &OwnFiles, day: Day) -> Option<UploadRecord> {
        let data = std::fs::read(files.archived(day)).ok()?;
        serde_json::from_slice(&data).ok()
    }

    /// Records `day`'s upload.
    pub fn write(&self, files: &OwnFiles, day: Day) -> io::Result<()> {
        write_atomically(&files.archived(day), &to_json(self)?)
    }
}

/// A multipart upload in progress. Struct order is file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultipartState {
    /// The object's key.
    pub key: String,
    /// The size of each part: a state written with another part size cannot be resumed.
    pub part_size: u64,
    /// The content ids of the parts uploaded, in order (the store's ETags).
    pub parts: Vec<String>,
    /// The day's SHA-256, hex, and size: a day that changed since is uploaded afresh.
    pub sha256: String,
    pub size: u64,
    /// The store's id of the upload.
    pub upload_id: String,
}

impl MultipartState {
    /// The state of `day`'s multipart upload; `None` if there is none or it cannot be read
    /// (the upload then starts over).
    pub fn read(files: &OwnFiles, day: Day) -> Option<MultipartState> {
        let data = std::fs::read(files.upload(day)).ok()?;
        serde_json::from_slice(&data).ok()
    }

    /// Saves the state (after each part).
    pub fn write(&self, files: &OwnFiles, day: Day) -> io::Result<()> {
        write_atomically(&files.upload(day), &to_json(self)?)
    }

    /// Forgets `day`'s upload. A failure is ignored: a state left behind is checked against
    /// the day before it is used, and one the store no longer knows makes the upload start
    /// over.
    pub fn discard(files: &OwnFiles, day: Day) {
        let _ = std::fs::remove_file(files.upload(day));
    }
}

fn to_json(value: &impl Serialize) -> io::Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    fn files(dir: &std::path::Path) -> OwnFiles {
        OwnFiles::new(&Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap())
    }

    fn day() -> Day {
        Day::from_number(20261118, "t").unwrap()
    }

    /// A record as eventlog 0.3.0 wrote it (a `json!` map: keys sorted).
    const RECORD_0_3: &str = r#"{"day":20261118,"key":"p/e-2026-11-18.log","lines":1,"sha256":"9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa","size":3,"url":"s3://b/p"}"#;
    const STATE_0_3: &str = r#"{"key":"p/e-2026-11-18.log","partSize":8388608,"parts":["\"etag-1\"","\"etag-2\""],"sha256":"ab","size":20000000,"uploadId":"upload-1"}"#;

    #[test]
    fn reads_an_upload_record_as_written_before_and_writes_the_same_bytes() {
        // What 0.3.0's upload wrote, made as it made it.
        let before = serde_json::json!({
            "day": 20261118,
            "key": "p/e-2026-11-18.log",
            "size": 3,
            "lines": 1,
            "sha256": "9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa",
            "url": "s3://b/p",
        });
        assert_eq!(before.to_string(), RECORD_0_3);
        let tmp = tempfile::tempdir().unwrap();
        let files = files(tmp.path());
        write_atomically(&files.archived(day()), RECORD_0_3.as_bytes()).unwrap();
        let record = UploadRecord::read(&files, day()).unwrap();
        assert_eq!(
            record,
            UploadRecord {
                day: Some(20261118),
                key: "p/e-2026-11-18.log".into(),
                lines: Some(1),
                sha256: Some(
                    "9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa".into()
                ),
                size: 3,
                url: "s3://b/p".into(),
            }
        );
        std::fs::remove_file(files.archived(day())).unwrap();
        record.write(&files, day()).unwrap();
        let written = std::fs::read_to_string(files.archived(day())).unwrap();
        assert_eq!(written, RECORD_0_3);
    }

    #[test]
    fn an_upload_record_without_what_readers_need_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        let files = files(tmp.path());
        assert_eq!(UploadRecord::read(&files, day()), None, "no file");
        for text in ["{", r#"{"key":"k","size":3}"#, r#"{"key":"k","url":"u"}"#] {
            write_atomically(&files.archived(day()), text.as_bytes()).unwrap();
            assert_eq!(UploadRecord::read(&files, day()), None, "{text}");
        }
        // Only the key, the size and the URL are needed; unknown keys are ignored.
        let text = r#"{"key":"k","size":3,"url":"u","later":true}"#;
        write_atomically(&files.archived(day()), text.as_bytes()).unwrap();
        let record = UploadRecord::read(&files, day()).unwrap();
        assert_eq!(
            (record.lines, record.day, record.sha256),
            (None, None, None)
        );
    }

    #[test]
    fn reads_a_multipart_state_as_written_before_and_writes_the_same_bytes() {
        // What 0.3.0's multipart upload wrote after its second part, made as it made it.
        let mut before = serde_json::json!({ "key": "p/e-2026-11-18.log", "uploadId": "upload-1", "size": 20_000_000, "sha256": "ab", "partSize": 8 << 20, "parts": [] });
        before["parts"] = serde_json::json!(["\"etag-1\"", "\"etag-2\""]);
        assert_eq!(before.to_string(), STATE_0_3);
        let tmp = tempfile::tempdir().unwrap();
        let files = files(tmp.path());
        write_atomically(&files.upload(day()), STATE_0_3.as_bytes()).unwrap();
        let state = MultipartState::read(&files, day()).unwrap();
        assert_eq!(
            state,
            MultipartState {
                key: "p/e-2026-11-18.log".into(),
                part_size: 8 << 20,
                parts: vec!["\"etag-1\"".into(), "\"etag-2\"".into()],
                sha256: "ab".into(),
                size: 20_000_000,
                upload_id: "upload-1".into(),
            }
        );
        MultipartState::discard(&files, day());
        assert_eq!(MultipartState::read(&files, day()), None);
        state.write(&files, day()).unwrap();
        let written = std::fs::read_to_string(files.upload(day())).unwrap();
        assert_eq!(written, STATE_0_3);
    }
}
