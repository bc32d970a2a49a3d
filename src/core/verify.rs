//! Checking a log: every line of every logfile, for what readers would skip or miss. Used by
//! `eventlog.verify()` and the CLI's `eventlog verify`. A line is judged by the same rule as
//! readers follow (`line.rs`).

use crate::catalog::DayEntry;
use crate::day::Day;
use crate::discovery::list_logfiles;
use crate::error::{Error, Result};
use crate::history::History;
use crate::line::{is_event, judge, Judged};
use crate::log::Log;
use crate::pattern::Pattern;
use crate::position::encode;
use crate::reader::{LineReader, Stop};

/// At most this many problems are listed; the rest are only counted.
pub const MAX_LISTED: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The last line has no newline: a writer died mid-write (readers skip it; the next write
    /// moves it aside).
    TornTail,
    /// A line that is not an event by the rule of `line.rs` (readers skip it; it still counts
    /// as a position).
    CorruptLine,
    /// A logfile dated after today: readers ignore it until their clock gets there.
    FutureDay,
}

impl ProblemKind {
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::TornTail => "torn-tail",
            ProblemKind::CorruptLine => "corrupt-line",
            ProblemKind::FutureDay => "future-day",
        }
    }
}

#[derive(Debug)]
pub struct Problem {
    pub kind: ProblemKind,
    pub file: String,
    /// 1-based line number (for a torn tail: the line it would have been).
    pub line: u64,
    /// The position of that line.
    pub pos: u64,
    pub detail: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub files: u64,
    pub lines: u64,
    pub events: u64,
    /// All problems found, of which the first `MAX_LISTED` are in `problems`.
    pub problem_count: u64,
    pub problems: Vec<Problem>,
}

impl Report {
    fn add(&mut self, problem: Problem) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(problem);
        }
    }
}

/// Scans every logfile of `pattern`, oldest first.
pub fn verify(pattern: &Pattern, today: Day) -> Result<Report> {
    verify_with(pattern, today, None)
}

/// `verify`, and with a log with an archive, the days only the archive holds too (read from
/// the store, shown by their object's URL), all oldest first.
pub fn verify_with(pattern: &Pattern, today: Day, log: Option<&Log>) -> Result<Report> {
    let history: Option<&History> = log.map(|l| l.history().as_ref());
    let mut report = Report::default();
    let files =
        list_logfiles(pattern, None).map_err(|e| Error::read("list", pattern.base_path(), e))?;
    // Each day: its name as shown, and where to read it (a local path, or the archive).
    let mut days: Vec<(Day, String, Result<String, DayEntry>)> = files
        .into_iter()
        // The file as the user's pattern names it (on Windows, with the user's separators).
        .map(|f| (f.day, pattern.name_for(f.day), Ok(f.path)))
        .collect();
    if let Some((history, remote)) = history.and_then(|h| Some((h, h.remote()?))) {
        let failed = |e: std::io::Error| crate::remote::failure::classify(&remote.config, &e);
        remote.ensure_listed(&history.catalog).map_err(failed)?;
        let entries = history
            .catalog
            .refresh(None)
            .map_err(|e| Error::read("list", pattern.base_path(), e))?;
        for entry in entries {
            let Some(archived) = &entry.archived else {
                continue;
            };
            if days.iter().any(|(d, _, _)| *d == entry.day) {
                continue;
            }
            let bucket = &remote.config.bucket;
            let shown = format!("s3://{bucket}/{}", archived.key);
            days.push((entry.day, shown, Err(entry)));
        }
        days.sort_by_key(|(d, _, _)| *d);
    }
    for (day, shown, archived) in days {
        report.files += 1;
        if day > today {
            report.add(Problem {
                kind: ProblemKind::FutureDay,
                file: shown.clone(),
                line: 0,
                pos: encode(day, 0),
                detail: format!("dated {day}, after today ({today}); readers skip it until then"),
            });
        }
        let reader = match (&archived, history) {
            (Ok(path), _) => LineReader::open(path).map_err(|e| Error::read("open", path, e))?,
            (Err(entry), Some(h)) => h
                .open(entry)
                .map(|source| LineReader::new(&shown, source))
                .map_err(|e| Error::read("open", &shown, e))?,
            (Err(_), None) => continue,
        };
        scan_day(&mut report, day, &shown, reader)?;
    }
    Ok(report)
}

/// Reads one day to its end, adding what it holds and its problems to `report`.
fn scan_day(report: &mut Report, day: Day, shown: &str, mut reader: LineReader) -> Result<()> {
    let mut corrupt = Vec::new();
    loop {
        let mut n = reader.lines();
        let stop = reader
            .read_lines(64 * 1024, 64 << 20, |line| {
                if !is_event(line) {
                    let why = match judge(line) {
                        Judged::Corrupt(why) => why,
                        Judged::Event { .. } => String::new(),
                    };
                    let start = String::from_utf8_lossy(&line[..line.len().min(80)]);
                    corrupt.push((n, format!("{why}: {start:?}")));
                }
                n += 1;
            })
            .map_err(|e| Error::read("read", shown, e))?;
        if stop == Stop::EndOfFile {
            break;
        }
    }
    report.lines += reader.lines();
    report.events += reader.lines() - corrupt.len() as u64;
    for (n, start) in corrupt {
        report.add(Problem {
            kind: ProblemKind::CorruptLine,
            file: shown.to_string(),
            line: n + 1,
            pos: encode(day, n),
            detail: start,
        });
    }
    if reader.partial_tail() > 0 {
        report.add(Problem {
            kind: ProblemKind::TornTail,
            file: shown.to_string(),
            line: reader.lines() + 1,
            pos: encode(day, reader.lines()),
            detail: format!(
                "{} bytes without a newline at the end",
                reader.partial_tail()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn reports_torn_tails_corrupt_lines_and_future_days() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap();
        let ok = r#"{"event":1,"meta":{"id":"a"}}"#;
        fs::write(
            tmp.path().join("e-2026-11-01.log"),
            format!("{ok}\nnot json\n{ok}\n[1,2]\n{{\"meta\":{{\"id\":\"abc\"}}}}\n{{\"event\":{{}},\"meta\":{{}}}}\n{{\"torn"),
        )
        .unwrap();
        fs::write(tmp.path().join("e-2026-11-02.log"), format!("{ok}\n")).unwrap();
        fs::write(tmp.path().join("e-2026-12-01.log"), format!("{ok}\n")).unwrap();
        let today = Day::from_number(20261126, "t").unwrap();
        let r = verify(&p, today).unwrap();
        // Not JSON, an array, an object without "event": corrupt, as readers have it; an
        // event with an empty meta is an event.
        assert_eq!((r.files, r.lines, r.events, r.problem_count), (3, 8, 5, 5));
        let kinds: Vec<_> = r.problems.iter().map(|p| (p.kind, p.line, p.pos)).collect();
        assert_eq!(
            kinds,
            vec![
                (ProblemKind::CorruptLine, 2, 2026110100000001),
                (ProblemKind::CorruptLine, 4, 2026110100000003),
                (ProblemKind::CorruptLine, 5, 2026110100000004),
                (ProblemKind::TornTail, 7, 2026110100000006),
                (ProblemKind::FutureDay, 0, 2026120100000000),
            ]
        );
    }

    #[test]
    fn a_clean_log_has_no_problems() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Pattern::parse(&format!("{}/e-%y-%m-%d.log", tmp.path().display())).unwrap();
        fs::write(
            tmp.path().join("e-2026-11-01.log"),
            "{\"event\":null,\"meta\":{\"id\":\"x\"}}\n",
        )
        .unwrap();
        let r = verify(&p, Day::from_number(20261126, "t").unwrap()).unwrap();
        assert_eq!((r.files, r.events, r.problem_count), (1, 1, 0));
    }
}
