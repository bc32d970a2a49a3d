//! Positions: `YYYYMMDD * 10^8 + n`, where `n` counts the lines of that day's logfile from 0.

use crate::day::Day;
use crate::error::Result;

/// How many events one day can hold; `n` has eight digits.
pub const PER_DAY: u64 = 100_000_000;

/// The position of line `n` of `day`'s logfile.
pub fn encode(day: Day, n: u64) -> u64 {
    u64::from(day.number()) * PER_DAY + n
}

/// Where a consumer starts: a day and the first line of it to deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub day: Day,
    pub line: u64,
}

/// Interprets a `fromPosition`. Anything before the first position of 1970-01-01 (0, or
/// nothing) means "from the beginning", as in the original; otherwise the day part must be a
/// real date.
pub fn parse_start(pos: u64) -> Result<Option<Start>> {
    if pos < encode(Day::from_epoch_ms(0), 0) {
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
        assert_eq!(parse_start(0).unwrap(), None);
        assert_eq!(parse_start(5).unwrap(), None);
        let s = parse_start(2026112600000042).unwrap().unwrap();
        assert_eq!((s.day.number(), s.line), (20261126, 42));
        assert!(parse_start(2026133100000000).is_err());
    }
}
