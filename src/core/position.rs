//! Positions: `YYYYMMDD * 10^8 + n`, where `n` counts the lines of that day's logfile from 0.

use crate::day::Day;
use crate::error::{Error, Result};

/// How many events one day can hold; `n` has eight digits.
pub const PER_DAY: u64 = 100_000_000;

/// The position of line `n` of `day`'s logfile.
pub fn encode(day: Day, n: u64) -> u64 {
    u64::from(day.number()) * PER_DAY + n
}

/// The line of its day that `pos` numbers (0 for the first).
pub fn line_of(pos: u64) -> u64 {
    pos % PER_DAY
}

/// The first position of 1970-01-01: nothing below it (but 0, "the beginning") is a position.
pub const FIRST_POSITION: u64 = 19700101 * PER_DAY;

/// The largest integer a JavaScript number holds exactly (positions cross as numbers).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Why `n` is not a position, as the end of an error message, or `None` when it is one: the
/// one rule for positions, which `lib/position.js` mirrors (`positionProblem`, with the same
/// messages; `__test__/fixtures/positions.json` holds the cases both are tested on). With
/// `start`, 0 is one too ("from the beginning"). With `dates: false`, a day that is not a
/// real date passes here, for the caller to refuse with the original's InvalidMonth/Day.
pub fn problem(n: f64, start: bool, dates: bool) -> Option<String> {
    let integer = n.fract() == 0.0 && n.abs() <= MAX_SAFE;
    if (start && n == 0.0) || (integer && is_position(n as i64)) {
        return None;
    }
    if integer && n > 0.0 && is_position((n as i64).saturating_mul(PER_DAY as i64)) {
        let first = n as i64 * PER_DAY as i64;
        return Some(format!(
            "{n} is a day, not a position; the day's first position is {first}"
        ));
    }
    if integer && n >= FIRST_POSITION as f64 {
        return dates.then(|| format!("{} is not a real date", n as u64 / PER_DAY));
    }
    let beginning = if start { " (0 is the beginning)" } else { "" };
    Some(format!(
        "got {}; a position is 16 digits, YYYYMMDD then the line in the day, such as 2026112600000042{beginning}",
        shown(n)
    ))
}

/// `n` as JavaScript's `String(n)` shows the numbers that reach `problem`.
fn shown(n: f64) -> String {
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if n.abs() >= 1e21 {
        return format!("{n:e}").replace('e', "e+");
    }
    if n.fract() == 0.0 {
        format!("{}", n as i128)
    } else {
        format!("{n}")
    }
}

/// Whether `n` is a position: from 1970 on, within safe integers, with a real date.
fn is_position(n: i64) -> bool {
    n >= FIRST_POSITION as i64
        && n as f64 <= MAX_SAFE
        && Day::from_number((n as u64 / PER_DAY) as u32, "position").is_ok()
        && n as u64 / PER_DAY <= u32::MAX as u64
}

/// `n` as a position, or the error naming `what` (`fromPosition`, …) and what is wrong.
pub fn check(n: f64, what: &str, start: bool) -> Result<u64> {
    match problem(n, start, false) {
        Some(detail) => Err(Error::InvalidPosition {
            what: what.to_string(),
            detail,
        }),
        None => Ok(n as u64),
    }
}

/// Where a consumer starts: a day and the first line of it to deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub day: Day,
    pub line: u64,
}

/// Interprets a `fromPosition`: 0 is "from the beginning"; anything else must be a position
/// (`problem`), whose day must be a real date.
pub fn parse_start(pos: f64) -> Result<Option<Start>> {
    let pos = check(pos, "fromPosition", true)?;
    if pos == 0 {
        return Ok(None);
    }
    let day = Day::from_number((pos / PER_DAY) as u32, "fromPosition")?;
    Ok(Some(Start {
        day,
        line: pos % PER_DAY,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_event_of_a_day() {
        let day = Day::from_number(19840131, "t").unwrap();
        assert_eq!(encode(day, 0), 1984013100000000);
        assert_eq!(encode(day, 1), 1984013100000001);
    }

    #[test]
    fn start_positions() {
        assert_eq!(parse_start(0.0).unwrap(), None);
        let s = parse_start(2026112600000042.0).unwrap().unwrap();
        assert_eq!((s.day.number(), s.line), (20261126, 42));
        // A day, a small number, a float: refused, not read as "the beginning".
        for bad in [5.0, 20261204.0, 1e15, 2026112600000042.5, -1.0] {
            let e = parse_start(bad).unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_POSITION", "{bad}");
        }
        assert!(parse_start(20261204.0)
            .unwrap_err()
            .to_string()
            .contains("2026120400000000"));
        // A position whose date is not real: the original's InvalidMonthError.
        assert_eq!(
            parse_start(2026133100000000.0).unwrap_err().code(),
            "ERR_INVALID_MONTH"
        );
    }

    /// The cases `lib/position.js` is tested on too: both sides give the same answers.
    #[test]
    fn agrees_with_the_javascript_twin() {
        let cases: serde_json::Value =
            serde_json::from_str(include_str!("../../__test__/fixtures/positions.json")).unwrap();
        for case in cases.as_array().unwrap() {
            let n = case["n"].as_f64().unwrap();
            let start = case["start"].as_bool().unwrap();
            let dates = case["dates"].as_bool().unwrap();
            let want = case["problem"].as_str().map(str::to_string);
            assert_eq!(problem(n, start, dates), want, "{case}");
        }
    }
}
