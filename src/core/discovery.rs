//! Finding the logfiles on local disk: one walk of the directory under the pattern's fixed
//! prefix, as deep as the pattern goes and no deeper. The catalog (`catalog.rs`) keeps the
//! sorted list and walks again only when something new may have appeared.

use std::fs;
use std::io;

use crate::day::Day;
use crate::pattern::{Pattern, STATE_DIR};

/// A logfile found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logfile {
    pub day: Day,
    /// The path in the pattern's form.
    pub path: String,
}

/// Every logfile of the pattern dated no later than `until` (all of them for `None`), oldest
/// first. A missing base directory means no logfiles.
pub fn list_logfiles(pattern: &Pattern, until: Option<Day>) -> io::Result<Vec<Logfile>> {
    let mut found = Vec::new();
    walk(
        pattern,
        pattern.base_dir(),
        pattern.depth(),
        until,
        &mut found,
    )?;
    found.sort_by_key(|f| f.day);
    Ok(found)
}

fn walk(
    pattern: &Pattern,
    dir: &str,
    depth_left: usize,
    until: Option<Day>,
    found: &mut Vec<Logfile>,
) -> io::Result<()> {
    let listing = match fs::read_dir(if dir.is_empty() { "." } else { dir }) {
        Ok(listing) => listing,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        // A subdirectory we may not read cannot hold logfiles we could read either.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && depth_left == 0 => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in listing {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name == STATE_DIR {
            continue;
        }
        let path = match dir {
            "" => name.to_string(),
            root if root.ends_with('/') => format!("{root}{name}"),
            dir => format!("{dir}/{name}"),
        };
        if depth_left == 0 {
            // Match the name before asking what it is: most entries here are logfiles, and
            // the directory entry's type saves a stat() for each (symlinks are followed, as
            // the original's stat() does).
            let Some(day) = pattern.day_of(&path) else {
                continue;
            };
            if until.is_some_and(|u| day > u) || !is_file(&entry, &path) {
                continue;
            }
            found.push(Logfile { day, path });
        } else if is_dir(&entry, &path) {
            walk(pattern, &path, depth_left - 1, until, found)?;
        }
    }
    Ok(())
}

fn is_file(entry: &fs::DirEntry, path: &str) -> bool {
    match entry.file_type() {
        Ok(t) if t.is_symlink() => fs::metadata(path).is_ok_and(|m| m.is_file()),
        Ok(t) => t.is_file(),
        Err(_) => false,
    }
}

fn is_dir(entry: &fs::DirEntry, path: &str) -> bool {
    match entry.file_type() {
        Ok(t) if t.is_symlink() => fs::metadata(path).is_ok_and(|m| m.is_dir()),
        Ok(t) => t.is_dir(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &std::path::Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"").unwrap();
    }

    #[test]
    fn finds_sorted_logfiles_and_ignores_others() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().to_str().unwrap();
        let p = Pattern::parse(&format!("{base}/ev-%y-%m-%d.log")).unwrap();
        for name in [
            "ev-2026-11-02.log",
            "ev-2026-11-01.log",
            "ev-2026-11-01.log.idx",
            "other.txt",
            ".eventlog/ev-_y-_m-_d.log.lock",
            "ev-2026-11-31.log",
        ] {
            touch(&tmp.path().join(name));
        }
        let files = list_logfiles(&p, None).unwrap();
        let days: Vec<u32> = files.iter().map(|f| f.day.number()).collect();
        assert_eq!(days, vec![20261101, 20261102]);
        // Opened by the pattern's form of the path, `/` as the separator on Windows too.
        let base = if cfg!(windows) {
            base.replace('\\', "/")
        } else {
            base.to_string()
        };
        assert_eq!(files[0].path, format!("{base}/ev-2026-11-01.log"));
    }

    #[test]
    fn nested_patterns_and_future_days() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().to_str().unwrap();
        let p = Pattern::parse(&format!("{base}/%y/%m/%d.log")).unwrap();
        for name in [
            "2025/12/31.log",
            "2026/01/01.log",
            "2026/01/02.log",
            "2026/01.log",
        ] {
            touch(&tmp.path().join(name));
        }
        let until = Day::from_number(20260101, "t").unwrap();
        let files = list_logfiles(&p, Some(until)).unwrap();
        let days: Vec<u32> = files.iter().map(|f| f.day.number()).collect();
        assert_eq!(days, vec![20251231, 20260101]);
    }

    #[test]
    fn missing_directory_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Pattern::parse(&format!("{}/nope/%y-%m-%d", tmp.path().display())).unwrap();
        assert!(list_logfiles(&p, None).unwrap().is_empty());
    }
}
