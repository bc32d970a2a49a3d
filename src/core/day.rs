//! UTC calendar days as `YYYYMMDD` numbers.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate};

use crate::error::{Error, Result};

/// A UTC calendar day, stored as the number `YYYYMMDD` (e.g. `20261126`), which sorts like the
/// date and is the first eight digits of every position in that day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(u32);

impl Day {
    /// The day for year, month and day of month, checking each part (years 1970..=9999, as the
    /// original package accepts).
    pub(crate) fn from_ymd(year: u32, month: u32, day: u32, what: &str) -> Result<Day> {
        if !(1970..=9999).contains(&year) {
            return Err(Error::InvalidYear {
                what: what.to_string(),
                value: year.into(),
            });
        }
        if !(1..=12).contains(&month) {
            return Err(Error::InvalidMonth {
                what: what.to_string(),
                value: month.into(),
            });
        }
        if NaiveDate::from_ymd_opt(year as i32, month, day).is_none() {
            return Err(Error::InvalidDay {
                what: what.to_string(),
                value: day.into(),
            });
        }
        Ok(Day(year * 10_000 + month * 100 + day))
    }

    /// The day from its `YYYYMMDD` number, checking that it is a real date.
    pub fn from_number(n: u32, what: &str) -> Result<Day> {
        Day::from_ymd(n / 10_000, n / 100 % 100, n % 100, what)
    }

    /// The UTC day that contains the given epoch milliseconds (clamped to 1970..=9999).
    pub(crate) fn from_epoch_ms(ms: i64) -> Day {
        let date = DateTime::from_timestamp_millis(ms)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let year = date.year().clamp(1970, 9999) as u32;
        if year != date.year() as u32 {
            return Day(year * 10_000 + if year == 1970 { 101 } else { 1231 });
        }
        Day(year * 10_000 + date.month() * 100 + date.day())
    }

    /// The day `n` days later (earlier for negative `n`), clamped to 1970..=9999.
    pub(crate) fn add_days(self, n: i64) -> Day {
        let date = NaiveDate::from_ymd_opt(self.year() as i32, self.month(), self.day_of_month())
            .unwrap_or_default();
        let moved = date
            .checked_add_signed(chrono::TimeDelta::days(n))
            .unwrap_or(date);
        let ms = moved
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis());
        Day::from_epoch_ms(ms)
    }

    pub fn number(self) -> u32 {
        self.0
    }
    pub(crate) fn year(self) -> u32 {
        self.0 / 10_000
    }
    pub(crate) fn month(self) -> u32 {
        self.0 / 100 % 100
    }
    pub(crate) fn day_of_month(self) -> u32 {
        self.0 % 100
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day_of_month()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ms_maps_to_utc_day() {
        // 2026-11-26T23:59:59.999Z and one millisecond later.
        assert_eq!(Day::from_epoch_ms(1_795_737_599_999).number(), 20261126);
        assert_eq!(Day::from_epoch_ms(1_795_737_600_000).number(), 20261127);
        assert_eq!(Day::from_epoch_ms(0).number(), 19700101);
    }

    #[test]
    fn adds_days_across_months_and_years() {
        let d = Day::from_number(20261231, "t").unwrap();
        assert_eq!(d.add_days(1).number(), 20270101);
        assert_eq!(d.add_days(-31).number(), 20261130);
        assert_eq!(
            Day::from_number(20240301, "t")
                .unwrap()
                .add_days(-1)
                .number(),
            20240229
        );
    }

    #[test]
    fn invalid_parts_are_named() {
        assert!(matches!(
            Day::from_number(20261301, "x"),
            Err(Error::InvalidMonth { .. })
        ));
        assert!(matches!(
            Day::from_number(20250229, "x"),
            Err(Error::InvalidDay { .. })
        ));
        assert!(matches!(
            Day::from_number(19691231, "x"),
            Err(Error::InvalidYear { .. })
        ));
        assert_eq!(
            Day::from_number(20240229, "x").unwrap().to_string(),
            "2024-02-29"
        );
    }
}
