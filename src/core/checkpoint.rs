//! Named consumers' checkpoints: for each name, the position of the last event its consumer
//! has handled, so that the next consumer of that name starts right after it.
//!
//! One small file per name in `.eventlog/<pattern>.d/consumers/` (`files.rs`), holding 16 ASCII
//! digits and a newline. It is written in place, with one `pwrite` at offset 0 under an
//! advisory lock (`flock`), and never renamed or deleted: a running consumer keeps its file
//! open, and a file replaced or unlinked under it would take its later saves where no one
//! looks. An empty file means "no checkpoint" (what a reset without a position leaves).
//! Anything else is damaged: it is reported, and a consumer treats it as missing (it replays
//! from its `from` again: events twice, never one skipped).
//!
//! A save stores the larger of its position and what the file holds, under the lock, so
//! consumers of one name in several processes never move it backwards; only a reset does.
//!
//! Names are percent-encoded into file names: every byte of the UTF-8 name outside
//! `[a-z0-9_-]` becomes `%XX` (upper-case hex). No name can then name another directory
//! (`/`, `..`, `.` and NUL are all escaped), and since upper-case letters are escaped too, two
//! names never share a file on a case-insensitive file system (macOS, Windows), nor through
//! Unicode normalisation (non-ASCII bytes are escaped). A name is 1 to `MAX_NAME_BYTES` bytes,
//! so the longest file name (`3 * 80 + ".checkpoint"`) stays under the usual 255-byte limit.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::Clock;
use crate::day::Day;
use crate::error::{Error, Result};
use crate::files::OwnFiles;
use crate::history::History;
use crate::pattern::Pattern;
use crate::position::{parse_start, PER_DAY};
use crate::sys::{self, FileExt};

/// The longest name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 80;

const SUFFIX: &str = ".checkpoint";

/// The length of a stored checkpoint: 16 digits and a newline.
const RECORD: usize = 17;

/// What a checkpoint file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// No file, or an empty one.
    None,
    /// The position of the last event handled.
    At(u64),
    /// Something else; the text says what.
    Damaged(String),
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
}

/// Why `name` cannot be a consumer's name, if it cannot.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("a consumer name cannot be empty".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "a consumer name is at most {MAX_NAME_BYTES} bytes of UTF-8; this one has {}",
            name.len()
        ));
    }
    Ok(())
}

/// The checkpoint file name of a (valid) name.
pub fn file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3 + SUFFIX.len());
    for &b in name.as_bytes() {
        if is_plain(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out.push_str(SUFFIX);
    out
}

/// The name a checkpoint file name was made from (`None` for any other file).
pub fn name_of(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(SUFFIX)?;
    let mut bytes = Vec::with_capacity(stem.len());
    let mut rest = stem.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    let name = String::from_utf8(bytes).ok()?;
    // Only what `file_name` makes: a stray or hand-made file is not a checkpoint.
    (check_name(&name).is_ok() && self::file_name(&name) == file_name).then_some(name)
}

/// Reads what a checkpoint file holds from its start.
fn parse(bytes: &[u8], total: u64) -> Stored {
    if total == 0 {
        return Stored::None;
    }
    let text = std::str::from_utf8(bytes).ok();
    let digits = text
        .filter(|t| total == RECORD as u64 && t.len() == RECORD && t.ends_with('\n'))
        .map(|t| &t[..RECORD - 1])
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let Some(digits) = digits else {
        let shown: String = String::from_utf8_lossy(bytes).chars().take(40).collect();
        return Stored::Damaged(format!(
            "it holds {total} bytes ({shown:?}), not 16 digits and a newline"
        ));
    };
    let pos: u64 = digits.parse().unwrap_or(0);
    match parse_start(pos as f64) {
        Ok(Some(_)) => Stored::At(pos),
        _ => Stored::Damaged(format!("{digits} is not a position")),
    }
}

/// Reads a checkpoint file's record (under a lock the caller holds), and the file's length.
/// One `pread` for the usual file: a short read of a regular file is its end.
fn read_record(file: &File) -> io::Result<(Stored, u64)> {
    let mut buf = [0u8; 64];
    let got = file.read_at(&mut buf, 0)?;
    let total = if got < buf.len() {
        got as u64
    } else {
        file.metadata()?.len()
    };
    Ok((parse(&buf[..got], total), total))
}

/// Refuses what a checkpoint cannot hold: a position whose date is not real (which a later
/// read would take for damage).
fn check_position(pos: u64) -> Result<()> {
    let day = u32::try_from(pos / PER_DAY).unwrap_or(0);
    Day::from_number(day, "the checkpoint position").map(|_| ())
}

fn record(pos: u64) -> String {
    format!("{pos:016}\n")
}

/// The checkpoints of one log.
#[derive(Clone, Debug)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    pub fn new(files: &OwnFiles) -> Checkpoints {
        Checkpoints {
            dir: files.consumers_dir(),
        }
    }

    /// The file of `name`; an error (naming the rule) for a name that cannot be one.
    pub fn path(&self, name: &str) -> Result<PathBuf> {
        check_name(name).map_err(|detail| Error::Checkpoint {
            name: name.into(),
            path: self.dir.clone(),
            detail,
            source: None,
        })?;
        Ok(self.dir.join(file_name(name)))
    }

    /// What the checkpoint of `name` holds now. Creates nothing (a read-only log may ask).
    pub fn read(&self, name: &str) -> Result<Stored> {
        let path = self.path(name)?;
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Stored::None),
            Err(e) => return Err(io_error(name, &path, "open", e)),
        };
        // Shared: several readers at once, never half of a save.
        sys::lock_shared(&file)
            .and_then(|()| read_record(&file))
            .map(|(stored, _)| stored)
            .map_err(|e| io_error(name, &path, "read", e))
    }

    /// Opens the checkpoint of `name` for a consumer that saves it (creating its file, empty,
    /// if there is none).
    pub fn open(&self, name: &str) -> Result<Checkpoint> {
        let path = self.path(name)?;
        fs::create_dir_all(&self.dir).map_err(|e| io_error(name, &self.dir, "create", e))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error(name, &path, "open", e))?;
        Ok(Checkpoint {
            name: name.into(),
            path,
            file,
        })
    }

    /// Sets the checkpoint of `name` to `pos` (which may move it back), or clears it (`None`:
    /// the next consumer of that name starts at its `from`). Returns what it held. Clearing a
    /// checkpoint that has no file creates none.
    pub fn reset(&self, name: &str, pos: Option<u64>) -> Result<Stored> {
        pos.map(check_position).transpose()?;
        if pos.is_none() && !self.path(name)?.exists() {
            return Ok(Stored::None);
        }
        self.open(name)?.reset(pos)
    }

    /// Every checkpoint of this log, by name.
    pub fn list(&self) -> Result<Vec<(String, Stored)>> {
        let listing = match fs::read_dir(&self.dir) {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::read("list", &self.dir, e)),
        };
        let mut names = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| Error::read("list", &self.dir, e))?;
            if let Some(name) = entry.file_name().to_str().and_then(name_of) {
                names.push(name);
            }
        }
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let stored = self.read(&name)?;
                Ok((name, stored))
            })
            .collect()
    }
}

/// A named consumer's open checkpoint file.
pub struct Checkpoint {
    name: String,
    path: PathBuf,
    file: File,
}

impl Checkpoint {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds now.
    pub fn stored(&self) -> Result<Stored> {
        self.locked(true, "read", |file| {
            read_record(file).map(|(stored, _)| stored)
        })
    }

    /// Records that every event up to `pos` is handled: stores the larger of `pos` and what
    /// the file holds (a damaged file counts as none). Returns what the file holds after.
    pub fn save(&self, pos: u64) -> Result<u64> {
        check_position(pos)?;
        self.locked(false, "save", |file| match read_record(file)? {
            (Stored::At(held), _) if held >= pos => Ok(held),
            (_, len) => write_record(file, Some(pos), len).map(|()| pos),
        })
    }

    /// Sets (or clears) the checkpoint whatever it holds; returns what it held.
    pub(crate) fn reset(&self, pos: Option<u64>) -> Result<Stored> {
        pos.map(check_position).transpose()?;
        self.locked(false, "reset", |file| {
            let (before, len) = read_record(file)?;
            write_record(file, pos, len)?;
            Ok(before)
        })
    }

    /// Runs `f` holding the file's lock (shared or exclusive); unlocks after, whatever it did.
    fn locked<T>(
        &self,
        shared: bool,
        op: &'static str,
        f: impl FnOnce(&File) -> io::Result<T>,
    ) -> Result<T> {
        let file = &self.file;
        let taken = if shared {
            sys::lock_shared(file)
        } else {
            sys::lock_exclusive(file)
        };
        taken.map_err(|e| io_error(&self.name, &self.path, "lock", e))?;
        let result = f(file);
        // Closing would release it too; an unlock error leaves nothing to repair.
        let _ = sys::unlock(file);
        result.map_err(|e| io_error(&self.name, &self.path, op, e))
    }
}

/// Writes the record of `pos` (or nothing, for `None`) over a file `len` bytes long, and cuts
/// the file to it. The usual save is one `pwrite` of 17 bytes.
fn write_record(file: &File, pos: Option<u64>, len: u64) -> io::Result<()> {
    match pos {
        Some(pos) => {
            file.write_all_at(record(pos).as_bytes(), 0)?;
            // Longer only if it was damaged.
            if len > RECORD as u64 {
                file.set_len(RECORD as u64)?;
            }
            Ok(())
        }
        None => file.set_len(0),
    }
}

fn io_error(name: &str, path: &Path, op: &str, e: io::Error) -> Error {
    Error::Checkpoint {
        name: name.into(),
        path: path.into(),
        detail: format!("could not {op} it: {e}"),
        source: Some(e),
    }
}

/// The error for a damaged checkpoint, saying what to do.
/// Refuses to set the checkpoint of `name` (at `path`) to `pos` past the end of the log of
/// `pattern` as readers see it now: the next consumer of that name would start after `pos`
/// and so skip every event written up to it, which is never what a typo meant.
pub fn refuse_past_end(pattern: &Arc<Pattern>, name: &str, path: &Path, pos: u64) -> Result<()> {
    let end = History::new(pattern.clone(), Clock::system()).last_position()?;
    if end.is_some_and(|e| pos <= e) {
        return Ok(());
    }
    let ends = match end {
        Some(e) => format!("the log ends at {e}"),
        None => "the log is empty".to_string(),
    };
    Err(Error::Checkpoint {
        name: name.into(),
        path: path.into(),
        detail: format!(
            "{pos} is past the end of the log ({ends}): the next consumer of that name would skip every event written up to it. Give a position in the log, or force it (resetCheckpoint(name, pos, {{ force: true }}), `--force` on the command line) if that is what you mean"
        ),
        source: None,
    })
}

pub fn damaged(name: &str, path: &Path, what: &str) -> Error {
    Error::Checkpoint {
        name: name.into(),
        path: path.into(),
        detail: format!(
            "the file is damaged: {what}. A consumer of that name treats it as missing (it starts at its `from` and saves anew); set it with resetCheckpoint(name, pos) or `eventlog checkpoint PATTERN NAME --reset [POS]`"
        ),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    fn checkpoints(dir: &Path) -> Checkpoints {
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", dir.display())).unwrap();
        Checkpoints::new(&OwnFiles::new(&p))
    }

    const P: u64 = 2026112600000042;

    #[test]
    fn names_are_encoded_into_one_file_name_in_the_consumers_directory() {
        assert_eq!(file_name("orders-v2_x"), "orders-v2_x.checkpoint");
        assert_eq!(file_name("Orders"), "%4Frders.checkpoint");
        assert_eq!(file_name("../x"), "%2E%2E%2Fx.checkpoint");
        assert_eq!(file_name("/"), "%2F.checkpoint");
        assert_eq!(file_name("."), "%2E.checkpoint");
        assert_eq!(file_name("a\0b"), "a%00b.checkpoint");
        assert_eq!(file_name("a%2Fb"), "a%252%46b.checkpoint");
        assert_eq!(file_name("é"), "%C3%A9.checkpoint");
        for name in [
            "orders",
            "Orders",
            "ORDERS",
            "../x",
            "/",
            ".",
            "..",
            "a\0b",
            "a%2Fb",
            "é",
            "e\u{301}",
            "a b",
            "~x",
            "a.checkpoint",
        ] {
            let f = file_name(name);
            assert!(!f.contains('/') && !f.contains('\0') && !f.starts_with('.'));
            assert_eq!(name_of(&f).as_deref(), Some(name), "{name:?} round-trips");
        }
        // Distinct names stay distinct even where the file system ignores case.
        assert_ne!(
            file_name("Orders").to_lowercase(),
            file_name("orders").to_lowercase()
        );
        let long = "x".repeat(MAX_NAME_BYTES);
        assert!(check_name(&long).is_ok());
        assert!(file_name(&"é".repeat(MAX_NAME_BYTES / 2)).len() <= 255);
        assert!(file_name(&"\u{1}".repeat(MAX_NAME_BYTES)).len() <= 255);
        assert!(check_name(&format!("{long}x")).unwrap_err().contains("81"));
        assert!(check_name("").is_err());
        // Other files in the directory are not checkpoints.
        for stray in [
            "x.tmp",
            "%4.checkpoint",
            "%zz.checkpoint",
            "%6F.checkpoint", // "o", which file_name leaves plain
            "A.checkpoint",   // upper case is always escaped
            ".checkpoint",
        ] {
            assert_eq!(name_of(stray), None, "{stray}");
        }
    }

    #[test]
    fn no_name_reaches_outside_the_consumers_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let c = checkpoints(tmp.path());
        let dir = tmp.path().join(".eventlog/e-_y-_m-_d.log.d/consumers");
        for name in ["../x", "/", ".", "..", "../../../../etc/passwd", "a\0b"] {
            let path = c.path(name).unwrap();
            assert_eq!(path.parent(), Some(dir.as_path()), "{name:?}");
            c.open(name).unwrap().save(P).unwrap();
        }
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 6);
        assert_eq!(
            fs::read_dir(tmp.path().join(".eventlog/e-_y-_m-_d.log.d"))
                .unwrap()
                .count(),
            1
        );
        assert!(c.path("").is_err());
        assert!(c.path(&"x".repeat(MAX_NAME_BYTES + 1)).is_err());
        // Nothing in it looks like a logfile to the pattern.
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap();
        assert!(p.day_of(&c.path("x").unwrap().to_string_lossy()).is_none());
    }

    #[test]
    fn saves_keep_the_larger_position_resets_move_it_anywhere() {
        let tmp = tempfile::tempdir().unwrap();
        let c = checkpoints(tmp.path());
        assert_eq!(c.read("a").unwrap(), Stored::None);
        assert!(
            !tmp.path().join(".eventlog").exists(),
            "reading creates nothing"
        );
        let a = c.open("a").unwrap();
        let b = c.open("a").unwrap();
        assert_eq!(a.stored().unwrap(), Stored::None);
        assert_eq!(a.save(P).unwrap(), P);
        assert_eq!(b.save(P - 10).unwrap(), P, "a save never moves it back");
        assert_eq!(b.save(P + 1).unwrap(), P + 1);
        assert_eq!(a.stored().unwrap(), Stored::At(P + 1));
        assert_eq!(fs::read(a.path()).unwrap(), b"2026112600000043\n");
        assert_eq!(c.reset("a", Some(P - 40)).unwrap(), Stored::At(P + 1));
        assert_eq!(c.read("a").unwrap(), Stored::At(P - 40));
        assert_eq!(c.reset("a", None).unwrap(), Stored::At(P - 40));
        assert_eq!(c.read("a").unwrap(), Stored::None);
        assert_eq!(fs::metadata(a.path()).unwrap().len(), 0);
        // The running consumer's open file is still the one: its next save is seen.
        assert_eq!(a.save(P).unwrap(), P);
        assert_eq!(c.read("a").unwrap(), Stored::At(P));
        // Only real positions, before anything is written.
        assert_eq!(
            c.reset("a", Some(2026113100000000)).unwrap_err().code(),
            "ERR_INVALID_DAY"
        );
        assert_eq!(a.save(42).unwrap_err().code(), "ERR_INVALID_YEAR");
        assert_eq!(c.read("a").unwrap(), Stored::At(P));
        // Clearing a name that has no file creates nothing.
        assert_eq!(c.reset("b", None).unwrap(), Stored::None);
        assert!(!c.path("b").unwrap().exists());
        assert_eq!(c.list().unwrap(), vec![("a".to_string(), Stored::At(P))]);
    }

    #[test]
    fn saves_from_many_threads_end_at_the_largest() {
        let tmp = tempfile::tempdir().unwrap();
        let c = checkpoints(tmp.path());
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let c = c.clone();
                std::thread::spawn(move || {
                    // Each thread its own open file, as each process has.
                    let mine = c.open("shared").unwrap();
                    let mut last = 0;
                    for i in 0..500u64 {
                        let pos = P + i * 4 + t;
                        let after = mine.save(pos).unwrap();
                        assert!(after >= pos && after >= last, "never backwards");
                        last = after;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(c.read("shared").unwrap(), Stored::At(P + 499 * 4 + 3));
    }

    #[test]
    fn a_damaged_file_is_reported_treated_as_missing_and_repaired_by_a_save() {
        let tmp = tempfile::tempdir().unwrap();
        let c = checkpoints(tmp.path());
        let path = c.path("d").unwrap();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        for (content, what) in [
            (&b"garbage"[..], "7 bytes"),
            (b"2026112600000042", "16 bytes"),
            (b"2026112600000042\n\n", "18 bytes"),
            (b"20261126000x0042\n", "not 16 digits"),
            (b"2026133100000042\n", "is not a position"),
            (b"0000000000000000\n", "is not a position"),
            (&[0u8; 17][..], "17 bytes"),
            (&[b'1'; 100][..], "100 bytes"),
        ] {
            fs::write(&path, content).unwrap();
            let stored = c.read("d").unwrap();
            let Stored::Damaged(text) = &stored else {
                panic!("{content:?} read as {stored:?}")
            };
            assert!(text.contains(what), "{text}");
            let cp = c.open("d").unwrap();
            assert_eq!(cp.save(P).unwrap(), P, "a save replaces a damaged record");
            assert_eq!(fs::read(&path).unwrap(), b"2026112600000042\n");
        }
        let err = damaged("d", &path, "it holds 7 bytes");
        assert_eq!(err.code(), "ERR_CHECKPOINT");
        assert!(err.to_string().contains("--reset"));
    }

    #[test]
    fn io_failures_name_the_file_and_the_os_error() {
        let tmp = tempfile::tempdir().unwrap();
        // The consumers directory is a file: nothing can be created in it.
        let own = tmp.path().join(".eventlog/e-_y-_m-_d.log.d");
        fs::create_dir_all(&own).unwrap();
        fs::write(own.join("consumers"), "").unwrap();
        let c = checkpoints(tmp.path());
        let Err(err) = c.open("x") else {
            panic!("opened a checkpoint under a file")
        };
        assert_eq!(err.code(), "ERR_CHECKPOINT");
        assert!(err.to_string().contains("could not create it"), "{err}");
        // Reading under a file: ENOTDIR on Unix. Windows answers "path not found", and a
        // checkpoint that cannot exist is read as none.
        if cfg!(windows) {
            assert!(matches!(c.read("x"), Ok(Stored::None)));
        } else {
            assert!(c.read("x").is_err());
        }
    }
}
