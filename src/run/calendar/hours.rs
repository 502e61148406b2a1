//! Working-hour ranges as the QMS writes them (`08:30-12:00`) and their parsing.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{CalendarError, MINUTES_PER_DAY};

/// One working-hour range of a day, in minutes after local midnight; `end` may be 1440
/// (`24:00`) so that round-the-clock work can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Period {
    pub(super) start: u32,
    pub(super) end: u32,
}

impl Period {
    pub(super) fn minutes(self) -> u32 {
        self.end - self.start
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// `minute` minutes after midnight of `day`, where 1440 is the next midnight.
pub(super) fn at_minute(day: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
    if minute >= MINUTES_PER_DAY {
        return Some(day.succ_opt()?.and_time(NaiveTime::MIN));
    }
    Some(day.and_time(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?))
}

/// Reads `HH:MM-HH:MM`; `24:00` is allowed as an end so a range can reach midnight.
pub(super) fn parse_range(text: &str) -> Result<Period, CalendarError> {
    let bad = || CalendarError::BadRange(text.to_string());
    let (from, to) = text.split_once('-').ok_or_else(bad)?;
    let start = parse_clock(from).ok_or_else(bad)?;
    let end = parse_clock(to).ok_or_else(bad)?;
    if start >= MINUTES_PER_DAY {
        return Err(bad());
    }
    if end <= start {
        return Err(CalendarError::EmptyRange(text.trim().to_string()));
    }
    Ok(Period { start, end })
}

fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits_only(h) || !digits_only(m) {
        return None;
    }
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}
