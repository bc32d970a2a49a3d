//! The filename pattern (`data/events-%y-%m-%d.log`): parsing, naming a day's logfile, and
//! recognising logfiles by name.
//!
//! Matching is strict (exact length, literal parts in place, digits where the date goes), so
//! our own files under `.eventlog/` and stray files are never taken for logfiles.

use std::path::{Path, PathBuf};

use crate::day::Day;
use crate::error::{Error, Result};

/// The name of the directory, beside the logfiles, that holds our own files (`files.rs`).
/// It starts with a dot, so that neither our matcher nor the original package's can take
/// anything in it for a logfile: a date digit or a literal never matches the dot.
pub const STATE_DIR: &str = ".eventlog";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Year,
    Month,
    Day,
}

impl Token {
    fn width(self) -> usize {
        match self {
            Token::Year => 4,
            Token::Month | Token::Day => 2,
        }
    }
}

/// A parsed filename pattern.
///
/// A log resolves its pattern once, at open (`Pattern::resolve`): every path it opens is then
/// absolute, so a later `chdir` changes nothing, while the names it shows (`name_for`,
/// `shown`) keep the form the user gave.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern files are opened by (absolute once resolved).
    raw: String,
    /// The pattern exactly as the user gave it, separators included (on Windows either `\`
    /// or `/`), and its literal parts: the names shown are made from these, so that they
    /// read as the user's own string with the date put in, as the original package's do.
    given: String,
    given_lits: [String; 4],
    /// The literal text around the tokens: `lits[0] tok[0] lits[1] tok[1] lits[2] tok[2] lits[3]`.
    lits: [String; 4],
    toks: [Token; 3],
    /// The directory holding everything the pattern can name ("" for the working directory).
    base_dir: String,
}

impl Pattern {
    /// Parses a pattern; the error names the pattern and what is wrong with it.
    pub fn parse(raw: &str) -> Result<Pattern> {
        let invalid = |reason: String| Error::InvalidPattern {
            pattern: raw.to_string(),
            reason,
        };
        let given = raw;
        let raw = &*with_slashes(raw, cfg!(windows));
        let mut found: Vec<(usize, Token)> = Vec::new();
        for (name, tok) in [
            ("%y", Token::Year),
            ("%m", Token::Month),
            ("%d", Token::Day),
        ] {
            let hits: Vec<usize> = raw.match_indices(name).map(|(i, _)| i).collect();
            match hits.len() {
                1 => found.push((hits[0], tok)),
                0 => return Err(invalid(format!("it must contain {name} (and %y, %m and %d exactly once each), e.g. \"data/events-%y-%m-%d.log\""))),
                _ => return Err(invalid(format!("{name} appears {} times; %y, %m and %d must appear exactly once each", hits.len()))),
            }
        }
        found.sort_by_key(|(i, _)| *i);
        let lits = literals(raw, &found);
        if raw.ends_with('/') {
            return Err(invalid(
                "it names a directory; it must end with a file name".into(),
            ));
        }
        let prefix = &lits[0];
        let base_dir = match prefix.rfind('/') {
            // A root keeps its slash: "/", "C:/" ("C:" alone is the working directory of C:).
            Some(i) if i == 0 || is_drive(&prefix[..i]) => prefix[..=i].to_string(),
            Some(i) => prefix[..i].to_string(),
            None => String::new(),
        };
        Ok(Pattern {
            raw: raw.to_string(),
            given: given.to_string(),
            // with_slashes changes no byte offset, so the tokens are where they were found.
            given_lits: literals(given, &found),
            toks: [found[0].1, found[1].1, found[2].1],
            lits,
            base_dir,
        })
    }

    /// Parses `given` and makes it absolute against `cwd` (unless it is already), keeping the
    /// given form for the names it shows.
    pub(crate) fn resolve(given: &str, cwd: &Path) -> Result<Pattern> {
        Pattern::parse(given)?;
        if Path::new(given).is_absolute() {
            return Pattern::parse(given);
        }
        let windows = cfg!(windows);
        let cwd = with_slashes(&cwd.to_string_lossy(), windows).into_owned();
        let given_slashed = with_slashes(given, windows);
        let joined = if given_slashed.starts_with('/') {
            // Rooted but not absolute (`/data/…` on Windows): the root of the working
            // directory's drive, as Node's path.resolve takes it.
            let drive = cwd.split('/').next().unwrap_or_default();
            format!("{drive}{given_slashed}")
        } else {
            let sep = if cwd.ends_with('/') { "" } else { "/" };
            format!("{cwd}{sep}{given_slashed}")
        };
        let mut p = Pattern::parse(&joined)?;
        let as_given = Pattern::parse(given)?;
        p.given = as_given.given;
        p.given_lits = as_given.given_lits;
        Ok(p)
    }

    /// The pattern files are opened by (absolute once resolved): the identity of a log.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The pattern as the user gave it.
    pub(crate) fn given(&self) -> &str {
        &self.given
    }

    /// The logfile of a day in the form the user gave (relative stays relative, and on
    /// Windows each separator is the one the user wrote).
    pub fn name_for(&self, day: Day) -> String {
        render(&self.given_lits, &self.toks, day)
    }

    /// The logfile of a day below `base_dir` (`2026/11/events-20.log`): its name in an archive.
    pub(crate) fn relative_name(&self, day: Day) -> String {
        let full = self.path_for(day);
        full[self.base_skip()..].to_string()
    }

    /// The day a name below `base_dir` stands for (the inverse of `relative_name`).
    pub(crate) fn day_of_relative(&self, name: &str) -> Option<Day> {
        let full = format!("{}{name}", &self.raw[..self.base_skip()]);
        self.day_of(&full)
    }

    /// The logfile of a day, in the form files are opened by.
    pub(crate) fn path_for(&self, day: Day) -> String {
        render(&self.lits, &self.toks, day)
    }

    /// The day a path names, if the path is one this pattern produces for a real date.
    pub(crate) fn day_of(&self, path: &str) -> Option<Day> {
        let expected_len: usize = self.lits.iter().map(String::len).sum::<usize>()
            + self.toks.iter().map(|t| t.width()).sum::<usize>();
        if path.len() != expected_len {
            return None;
        }
        let bytes = path.as_bytes();
        let (mut at, mut parts) = (0, [0u32; 3]);
        for k in 0..4 {
            let lit = self.lits[k].as_bytes();
            if &bytes[at..at + lit.len()] != lit {
                return None;
            }
            at += lit.len();
            if k == 3 {
                break;
            }
            let tok = self.toks[k];
            let digits = &bytes[at..at + tok.width()];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = digits
                .iter()
                .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
            parts[match tok {
                Token::Year => 0,
                Token::Month => 1,
                Token::Day => 2,
            }] = value;
            at += tok.width();
        }
        Day::from_ymd(parts[0], parts[1], parts[2], path).ok()
    }

    /// The directory under which every logfile of this pattern lives ("" is the working
    /// directory).
    pub(crate) fn base_dir(&self) -> &str {
        &self.base_dir
    }

    /// `base_dir` as a path that can be opened ("." for the working directory).
    pub(crate) fn base_path(&self) -> PathBuf {
        if self.base_dir.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(&self.base_dir)
        }
    }

    /// How many directory levels below `base_dir` the logfiles lie (0 when they sit in it).
    pub(crate) fn depth(&self) -> usize {
        self.below_base().matches('/').count()
    }

    /// The part of the pattern below `base_dir`.
    fn below_base(&self) -> &str {
        &self.raw[self.base_skip()..]
    }

    /// How many bytes of `raw` (and of every path made from it) name `base_dir` and its `/`.
    fn base_skip(&self) -> usize {
        match self.base_dir.as_str() {
            "" => 0,
            root if root.ends_with('/') => root.len(),
            dir => dir.len() + 1,
        }
    }

    /// A file name, unique to this pattern within `state_dir`, for our per-pattern files.
    pub(crate) fn state_name(&self, suffix: &str) -> String {
        let rest: String = self
            .below_base()
            .chars()
            .map(|c| match c {
                '/' => '~',
                '%' => '_',
                c => c,
            })
            .collect();
        format!("{rest}{suffix}")
    }
}

/// The literal text around the three tokens found at `found` (byte offsets, in order).
fn literals(raw: &str, found: &[(usize, Token)]) -> [String; 4] {
    let mut lits: [String; 4] = Default::default();
    let mut from = 0;
    for (k, (i, _)) in found.iter().enumerate() {
        lits[k] = raw[from..*i].to_string();
        from = i + 2;
    }
    lits[3] = raw[from..].to_string();
    lits
}

/// The name of `day` made from literal parts and tokens.
fn render(lits: &[String; 4], toks: &[Token; 3], day: Day) -> String {
    let mut out = String::with_capacity(lits.iter().map(String::len).sum::<usize>() + 10);
    for k in 0..3 {
        out.push_str(&lits[k]);
        match toks[k] {
            Token::Year => out.push_str(&format!("{:04}", day.year())),
            Token::Month => out.push_str(&format!("{:02}", day.month())),
            Token::Day => out.push_str(&format!("{:02}", day.day_of_month())),
        }
    }
    out.push_str(&lits[3]);
    out
}

/// The pattern with every separator as `/`. On Windows, where `\` separates too, a pattern
/// may use either (`C:\data\events-%y-%m-%d.log`); everything below then speaks of `/`,
/// which Windows accepts in paths as well. `\` is a plain character in a Unix file name.
fn with_slashes(raw: &str, windows: bool) -> std::borrow::Cow<'_, str> {
    if windows && raw.contains('\\') {
        raw.replace('\\', "/").into()
    } else {
        raw.into()
    }
}

/// `C:`: a drive, whose root is `C:/`.
fn is_drive(dir: &str) -> bool {
    let b = dir.as_bytes();
    b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> Day {
        Day::from_number(n, "t").unwrap()
    }

    #[test]
    fn names_a_days_logfile() {
        let p = Pattern::parse("data/events-%y-%m-%d.log").unwrap();
        assert_eq!(p.path_for(day(20260105)), "data/events-2026-01-05.log");
        assert_eq!(p.base_dir(), "data");
        assert_eq!(p.depth(), 0);
    }

    #[test]
    fn tokens_in_any_order_and_nested_dirs() {
        let p = Pattern::parse("logs/%d/x%m/%y.log").unwrap();
        assert_eq!(p.path_for(day(20261126)), "logs/26/x11/2026.log");
        assert_eq!(p.day_of("logs/26/x11/2026.log"), Some(day(20261126)));
        assert_eq!(p.depth(), 2);
        let q = Pattern::parse("%y%m%d").unwrap();
        assert_eq!(q.path_for(day(20260102)), "20260102");
        assert_eq!(q.base_dir(), "");
        assert_eq!(q.day_of("20260102"), Some(day(20260102)));
    }

    #[test]
    fn windows_patterns_take_either_slash_and_a_drive_root() {
        let slashed = with_slashes(r"C:\data\events-%y-%m-%d.log", true);
        assert_eq!(slashed, "C:/data/events-%y-%m-%d.log");
        assert_eq!(with_slashes(r"a\b-%y%m%d", false), r"a\b-%y%m%d");
        let p = Pattern::parse(&slashed).unwrap();
        assert_eq!(p.base_dir(), "C:/data");
        assert_eq!(p.relative_name(day(20261126)), "events-2026-11-26.log");
        // At a drive's root the base keeps its slash: "C:" alone means C:'s working directory.
        let root = Pattern::parse("C:/%y/ev-%m-%d.log").unwrap();
        assert_eq!(root.base_dir(), "C:/");
        assert_eq!(root.depth(), 1);
        assert_eq!(root.relative_name(day(20261126)), "2026/ev-11-26.log");
        assert_eq!(
            root.day_of_relative("2026/ev-11-26.log"),
            Some(day(20261126))
        );
        assert_eq!(root.state_name(".lock"), "_y~ev-_m-_d.log.lock");
    }

    #[test]
    fn recognises_only_its_own_logfiles() {
        let p = Pattern::parse("data/events-%y-%m-%d.log").unwrap();
        assert_eq!(p.day_of("data/events-2026-11-26.log"), Some(day(20261126)));
        assert_eq!(p.day_of("data/events-2026-11-26.log.idx"), None);
        assert_eq!(p.day_of("data/events-2026-13-26.log"), None);
        assert_eq!(p.day_of("data/events-2026-02-30.log"), None);
        assert_eq!(p.day_of("data/events-20a6-11-26.log"), None);
        assert_eq!(p.day_of("data/.eventlog/events-_y-_m-_d.log.lock"), None);
    }

    #[test]
    fn rejects_patterns_without_each_token_once() {
        for bad in [
            "",
            "events.log",
            "e-%y-%m.log",
            "e-%y-%m-%d-%d.log",
            "x/%y%m%d/",
        ] {
            let err = Pattern::parse(bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_PATTERN");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn absolute_and_root_patterns() {
        let p = Pattern::parse("/tmp/ev/%y-%m-%d.log").unwrap();
        assert_eq!(p.base_dir(), "/tmp/ev");
        assert_eq!(p.state_name(".lock"), "_y-_m-_d.log.lock");
        let r = Pattern::parse("/e-%y-%m-%d.log").unwrap();
        assert_eq!(r.base_dir(), "/");
        assert_eq!(r.depth(), 0);
    }

    #[test]
    fn resolved_patterns_open_absolute_paths_and_show_the_given_form() {
        let p = Pattern::resolve("rel/%y/e-%m-%d.log", Path::new("/work/app")).unwrap();
        assert_eq!(p.as_str(), "/work/app/rel/%y/e-%m-%d.log");
        assert_eq!(p.given(), "rel/%y/e-%m-%d.log");
        assert_eq!(p.path_for(day(20261120)), "/work/app/rel/2026/e-11-20.log");
        assert_eq!(p.name_for(day(20261120)), "rel/2026/e-11-20.log");
        assert_eq!(p.relative_name(day(20261120)), "2026/e-11-20.log");
        assert_eq!(p.day_of_relative("2026/e-11-20.log"), Some(day(20261120)));
        assert_eq!(p.day_of_relative("2026/e-11-20.log.idx"), None);
        let q = Pattern::resolve("/abs/%d-%m-%y", Path::new("/ignored")).unwrap();
        assert_eq!(q.name_for(day(20261120)), "/abs/20-11-2026");
        // The index uploaded beside an archived day is never taken for a day.
        assert_eq!(q.day_of_relative("20-11-2026"), Some(day(20261120)));
        assert_eq!(q.day_of_relative("20-11-2026.index"), None);
        assert_eq!(
            Pattern::resolve("%y%m%d", Path::new("/")).unwrap().as_str(),
            "/%y%m%d"
        );
    }
}
