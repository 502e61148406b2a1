//! Working-hour ranges as the QMS writes them (`08:30-12:00`) and their parsing.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{CalendarError, MINUTES_PER_DAY};

/// Reads the ranges of one day, in the order of the day; they may touch but not overlap,
/// so that no minute is counted twice.
pub(super) fn parse_ranges(hours: &[String]) -> Result<Vec<Period>, CalendarError> {
    let mut periods: Vec<Period> = Vec::with_capacity(hours.len());
    for (i, text) in hours.iter().enumerate() {
        let period = parse_range(text)?;
        if let Some(prev) = periods.last() {
            let prev_text = hours[i - 1].trim().to_string();
            if period.start < prev.end && prev.start < period.end {
                return Err(CalendarError::OverlappingRanges {
                    first: prev_text,
                    second: text.trim().to_string(),
                });
            }
            if period.start < prev.start {
                return Err(CalendarError::UnsortedRanges {
                    later: prev_text,
                    earlier: text.trim().to_string(),
                });
            }
        }
        periods.push(period);
    }
    Ok(periods)
}

/// Wall-clock minutes of work in `periods`.
pub(super) fn total_minutes(periods: &[Period]) -> u32 {
    periods.iter().map(|p| p.minutes()).sum()
}

/// The wall-clock minutes of `periods` worked on `day` before the wall time `wall`.
pub(super) fn minutes_done(day: NaiveDate, periods: &[Period], wall: NaiveDateTime) -> u32 {
    let minute = if wall.date() < day {
        0
    } else if wall.date() > day {
        MINUTES_PER_DAY
    } else {
        let since_midnight = wall - day.and_time(NaiveTime::MIN);
        u32::try_from(since_midnight.num_minutes()).unwrap_or(0)
    };
    periods
        .iter()
        .map(|p| minute.clamp(p.start, p.end) - p.start)
        .sum()
}

/// The wall-clock time on `day` at which `done` minutes of `periods` have been worked.
/// Where that is both a closing and the next opening, `earliest` picks the closing (for
/// adding: the earliest instant), else the opening (for counting back: the latest).
pub(super) fn wall_at(
    day: NaiveDate,
    periods: &[Period],
    done: u32,
    earliest: bool,
) -> Option<NaiveDateTime> {
    let mut left = done;
    for p in periods {
        if left < p.minutes() || (earliest && left == p.minutes()) {
            return at_minute(day, p.start + left);
        }
        left -= p.minutes();
    }
    at_minute(day, periods.last()?.end)
}

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
