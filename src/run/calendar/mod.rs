//! The company's working-time calendar: when deadlines such as `2 working days` or
//! `1 week before the audit` fall.
//!
//! Working time is laid out in the calendar's local wall-clock time: a day's working
//! hours are the ranges the QMS wrote (`08:30-12:00`), read on the office clock. Working
//! units are counted along that clock, so a working day is always
//! [`Calendar::working_minutes_per_day`] long, even on the night a daylight-saving change
//! shortens or lengthens the real day. A wall-clock time that does not exist (inside a
//! spring-forward gap) is taken as the first instant after the gap; one that occurs twice
//! (fall-back) as the earlier occurrence, unless that would put a deadline before its
//! start.
//!
//! Every computation steps at most one day at a time and jumps whole weeks where no
//! holiday or extra workday can interfere, so even `1000000 working days` is quick. The
//! results are kept within years 1 to 9999 ([`FAR_PAST`], [`FAR_FUTURE`]): a deadline
//! beyond that, or one that can never be reached because more than a century
//! ([`MAX_IDLE_DAYS`]) passes without a single working minute, comes back as
//! [`FAR_FUTURE`] (or [`FAR_PAST`] when counting back) so that callers can show "never"
//! instead of waiting on an endless search.

mod hours;
mod walk;
mod zone;

use hours::{Period, parse_range};
use zone::Bound;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use crate::spec::duration::{Duration, Unit};

/// Returned when a deadline lies beyond 9999-12-31 or can never be reached.
pub const FAR_FUTURE: DateTime<Utc> = match DateTime::from_timestamp(253_402_300_799, 0) {
    Some(t) => t,
    None => DateTime::<Utc>::MAX_UTC,
};

/// Returned when counting back goes before 0001-01-01 or can never be satisfied.
pub const FAR_PAST: DateTime<Utc> = match DateTime::from_timestamp(-62_135_596_800, 0) {
    Some(t) => t,
    None => DateTime::<Utc>::MIN_UTC,
};

/// How many consecutive days without any working time a search crosses before giving
/// up. Holidays are a finite list and at least one weekday works, so the search always
/// ends anyway; the cap keeps a calendar listing holidays for centuries from making a
/// single deadline take seconds, and a century of closure means "never" in practice.
pub const MAX_IDLE_DAYS: u32 = 36_525;

const MINUTES_PER_DAY: u32 = 24 * 60;

/// Wall dates outside this range would make results leave [`FAR_PAST`]..[`FAR_FUTURE`]
/// (and soon after, chrono's range), so the searches stop there.
const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// Why a calendar given in the QMS cannot be used; the message is shown as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "`{0}` is not a known time zone: use an IANA name such as `Europe/Berlin`, `Asia/Shanghai` or `UTC`"
    )]
    UnknownTimezone(String),
    #[error(
        "`{0}` is not a working-hour range: write `HH:MM-HH:MM` with a 24-hour clock, e.g. `08:30-12:00`"
    )]
    BadRange(String),
    #[error(
        "working-hour range `{0}` ends before it starts or is empty: ranges cannot cross midnight, split them at `24:00`"
    )]
    EmptyRange(String),
    #[error("working-hour ranges `{first}` and `{second}` overlap")]
    OverlappingRanges { first: String, second: String },
    #[error(
        "working-hour range `{later}` is listed before `{earlier}`: list the ranges in the order of the day"
    )]
    UnsortedRanges { later: String, earlier: String },
    #[error(
        "the calendar has no workdays: list at least one weekday, e.g. `[mon, tue, wed, thu, fri]`"
    )]
    NoWorkdays,
    #[error("the calendar has no working hours: give at least one range, e.g. `09:00-17:00`")]
    NoHours,
}

/// The business calendar of a QMS: time zone, working weekdays, daily working hours,
/// holidays, and extra workdays (a weekend day worked to bridge a holiday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    tz: Tz,
    /// Indexed by `Weekday::num_days_from_monday`.
    workdays: [bool; 7],
    /// Sorted and disjoint, checked by [`Calendar::new`].
    periods: Vec<Period>,
    holidays: BTreeSet<NaiveDate>,
    extra_workdays: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Self::standard()
    }
}

impl Calendar {
    /// Reads a calendar as the QMS settings give it. Each range is `HH:MM-HH:MM` on a
    /// 24-hour clock (`24:00` may end one); ranges are listed in the order of the day and
    /// may touch but not overlap, so that no minute is counted twice.
    pub fn new(
        timezone: &str,
        workdays: &[Weekday],
        hours: &[String],
        holidays: &[NaiveDate],
        extra_workdays: &[NaiveDate],
    ) -> Result<Self, CalendarError> {
        let tz: Tz = timezone
            .trim()
            .parse()
            .map_err(|_| CalendarError::UnknownTimezone(timezone.to_string()))?;
        if workdays.is_empty() {
            return Err(CalendarError::NoWorkdays);
        }
        if hours.is_empty() {
            return Err(CalendarError::NoHours);
        }
        let mut flags = [false; 7];
        for day in workdays {
            flags[day.num_days_from_monday() as usize] = true;
        }
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
        Ok(Calendar {
            tz,
            workdays: flags,
            periods,
            holidays: holidays.iter().copied().collect(),
            extra_workdays: extra_workdays.iter().copied().collect(),
        })
    }

    /// UTC, Monday to Friday, 09:00-17:00: used when a QMS gives no calendar.
    pub fn standard() -> Self {
        Calendar {
            tz: Tz::UTC,
            workdays: [true, true, true, true, true, false, false],
            periods: vec![Period {
                start: 9 * 60,
                end: 17 * 60,
            }],
            holidays: BTreeSet::new(),
            extra_workdays: BTreeSet::new(),
        }
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The working weekdays, Monday first.
    pub fn workdays(&self) -> Vec<Weekday> {
        let mut day = Weekday::Mon;
        let mut out = Vec::new();
        for works in self.workdays {
            if works {
                out.push(day);
            }
            day = day.succ();
        }
        out
    }

    /// The working-hour ranges as `HH:MM-HH:MM`, in the order of the day.
    pub fn hours(&self) -> Vec<String> {
        self.periods.iter().map(Period::to_string).collect()
    }

    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    pub fn extra_workdays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.extra_workdays.iter().copied()
    }

    /// A workday weekday that is not a holiday, or an extra workday (which wins over a
    /// holiday on the same date, since it is the more specific decision).
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        self.extra_workdays.contains(&date)
            || (self.workdays[date.weekday().num_days_from_monday() as usize]
                && !self.holidays.contains(&date))
    }

    pub fn working_minutes_per_day(&self) -> u32 {
        self.periods.iter().map(|p| p.minutes()).sum()
    }

    pub fn workdays_per_week(&self) -> u32 {
        self.workdays.iter().filter(|w| **w).count() as u32
    }

    /// Working minutes of a regular week; positive because `new` demands workdays and
    /// hours.
    fn week_minutes(&self) -> i64 {
        i64::from(self.workdays_per_week()) * i64::from(self.working_minutes_per_day())
    }

    /// The instant at which `d` has elapsed from `start`.
    ///
    /// Working units count only working time on the local clock, and the result is the
    /// earliest such instant: 2 working days from Monday 08:30 end on Tuesday at closing
    /// time, not on Wednesday at opening. A start outside working hours begins counting
    /// at the next opening. Calendar days, weeks, months and years keep the local time of
    /// day across daylight-saving changes (Jan 31 + 1 month is Feb 28 or 29); minutes and
    /// hours are absolute time. Zero of any unit returns `start`. Results past
    /// 9999-12-31, or behind a century without working time, are [`FAR_FUTURE`].
    pub fn add(&self, start: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
        if d.amount == 0 {
            return start;
        }
        let result = match self.working_minutes_exact(d) {
            Some(minutes) => self.add_working(start, minutes),
            None => self.shift_calendar(start, d, true),
        };
        match result {
            Some(t) if t >= start && t <= FAR_FUTURE => t,
            _ => FAR_FUTURE.max(start),
        }
    }

    /// Counting back: the latest instant from which `d` still elapses by `end` (for
    /// "at least 1 week before the planned audit"). The mirror of [`Calendar::add`]:
    /// landing on an opening time returns the opening, not the previous closing.
    /// Results before 0001-01-01, or behind a century without working time, are
    /// [`FAR_PAST`].
    pub fn sub(&self, end: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
        if d.amount == 0 {
            return end;
        }
        let result = match self.working_minutes_exact(d) {
            Some(minutes) => self.sub_working(end, minutes),
            None => self.shift_calendar(end, d, false),
        };
        match result {
            Some(t) if t <= end && t >= FAR_PAST => t,
            _ => FAR_PAST.min(end),
        }
    }

    /// Working minutes between two instants, counted on the local clock and rounded
    /// down (0 if `b <= a`). Instants outside years 1 to 9999 are clamped to that range.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        let a = a.clamp(FAR_PAST, FAR_FUTURE);
        let b = b.clamp(FAR_PAST, FAR_FUTURE);
        if b <= a {
            return 0;
        }
        match (self.wall(a), self.wall(b)) {
            (Some(a), Some(b)) => self.wall_working_time(a, b).num_minutes(),
            _ => 0,
        }
    }

    /// The length of `d` in working minutes, for comparing deadlines without a start
    /// date. Working units are exact; calendar units are converted at the calendar's
    /// average rate (a day is `workdays_per_week / 7` of a working day, a week is
    /// `workdays_per_week` working days, a month 30 days, a year 365 days, minutes and
    /// hours count one for one), and the sentence says which rate was used.
    pub fn working_minutes_of(&self, d: Duration) -> (u64, Option<String>) {
        let amount = u64::from(d.amount);
        let per_day = u64::from(self.working_minutes_per_day());
        let per_week = u64::from(self.workdays_per_week());
        // Round to the nearest minute: the rate is an average, not an exact count.
        let days = |n: u64| {
            n.saturating_mul(per_day)
                .saturating_mul(per_week)
                .saturating_add(3)
                / 7
        };
        let minutes = match d.unit {
            Unit::Minutes => amount,
            Unit::Hours | Unit::WorkingHours => amount.saturating_mul(60),
            Unit::WorkingDays => amount.saturating_mul(per_day),
            Unit::Days => days(amount),
            Unit::Weeks => amount.saturating_mul(per_week).saturating_mul(per_day),
            Unit::Months => days(amount.saturating_mul(30)),
            Unit::Years => days(amount.saturating_mul(365)),
        };
        if d.amount == 0 {
            return (minutes, None);
        }
        let work = format!(
            "{} of work a day, {} workday{} a week",
            describe_minutes(self.working_minutes_per_day()),
            per_week,
            if per_week == 1 { "" } else { "s" }
        );
        let day_rate = if per_week == 7 {
            "a full working day".to_string()
        } else {
            format!("{per_week}/7 of a working day")
        };
        let note = match d.unit {
            Unit::Minutes => "1 minute counted as 1 working minute".to_string(),
            Unit::Hours => "1 hour counted as 1 working hour".to_string(),
            Unit::Days => format!("1 day counted as {day_rate} ({work})"),
            Unit::Weeks => format!(
                "1 week counted as {per_week} working day{} ({} of work a day)",
                if per_week == 1 { "" } else { "s" },
                describe_minutes(self.working_minutes_per_day())
            ),
            Unit::Months => format!("1 month counted as 30 days of {day_rate} each ({work})"),
            Unit::Years => format!("1 year counted as 365 days of {day_rate} each ({work})"),
            Unit::WorkingHours | Unit::WorkingDays => return (minutes, None),
        };
        (minutes, Some(note))
    }

    /// `Some` with the exact working minutes for working units, `None` for calendar
    /// units.
    fn working_minutes_exact(&self, d: Duration) -> Option<u64> {
        match d.unit {
            Unit::WorkingHours => Some(u64::from(d.amount) * 60),
            Unit::WorkingDays => {
                Some(u64::from(d.amount) * u64::from(self.working_minutes_per_day()))
            }
            _ => None,
        }
    }

    fn add_working(&self, start: DateTime<Utc>, minutes: u64) -> Option<DateTime<Utc>> {
        let wall = self.walk_forward(self.wall(start)?, minutes)?;
        self.instant(wall, Bound::NotBefore(start))
    }

    fn sub_working(&self, end: DateTime<Utc>, minutes: u64) -> Option<DateTime<Utc>> {
        let wall = self.walk_backward(self.wall(end)?, minutes)?;
        self.instant(wall, Bound::NotAfter(end))
    }

    /// Calendar units: minutes and hours move real time, longer units move the local
    /// date so that the time of day stays put across daylight-saving changes.
    fn shift_calendar(
        &self,
        t: DateTime<Utc>,
        d: Duration,
        forward: bool,
    ) -> Option<DateTime<Utc>> {
        let amount = d.amount;
        let absolute = match d.unit {
            Unit::Minutes => Some(TimeDelta::try_minutes(i64::from(amount))?),
            Unit::Hours => Some(TimeDelta::try_hours(i64::from(amount))?),
            _ => None,
        };
        if let Some(delta) = absolute {
            return if forward {
                t.checked_add_signed(delta)
            } else {
                t.checked_sub_signed(delta)
            };
        }
        let wall = self.wall(t)?;
        let moved = match (d.unit, forward) {
            (Unit::Days, true) => wall.checked_add_days(Days::new(u64::from(amount)))?,
            (Unit::Days, false) => wall.checked_sub_days(Days::new(u64::from(amount)))?,
            (Unit::Weeks, true) => wall.checked_add_days(Days::new(u64::from(amount) * 7))?,
            (Unit::Weeks, false) => wall.checked_sub_days(Days::new(u64::from(amount) * 7))?,
            (Unit::Months, true) => wall.checked_add_months(Months::new(amount))?,
            (Unit::Months, false) => wall.checked_sub_months(Months::new(amount))?,
            (Unit::Years, true) => wall.checked_add_months(Months::new(amount.checked_mul(12)?))?,
            (Unit::Years, false) => {
                wall.checked_sub_months(Months::new(amount.checked_mul(12)?))?
            }
            _ => return None,
        };
        if moved.date() < FIRST_DATE || moved.date() > LAST_DATE {
            return None;
        }
        let bound = if forward {
            Bound::NotBefore(t)
        } else {
            Bound::NotAfter(t)
        };
        self.instant(moved, bound)
    }
}

/// `8 h 30 min`, `8 h`, `45 min`.
fn describe_minutes(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
