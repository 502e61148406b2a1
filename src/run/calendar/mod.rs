//! The company's working-time calendar: when deadlines such as `2 working days` or
//! `1 week before the audit` fall.
//!
//! A day's working hours are the ranges the QMS wrote (`08:30-12:00`, per weekday or for
//! one date), read on the office clock. Working hours are real elapsed time inside those
//! ranges: on the night the clocks change, a range spanning the change is an hour shorter
//! or longer, and `4 working hours` on a round-the-clock calendar is exactly 4 hours.
//! Working days are counted as days, the position within a day read on the office clock,
//! so a working day ends at the same time of day however long it is. A wall-clock time
//! that does not exist (inside a spring-forward gap) is taken as the first instant after
//! the gap; one that occurs twice (fall-back) as the earlier occurrence, unless that would
//! put a deadline before its start.
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

use hours::{Period, parse_ranges, total_minutes};
use zone::Bound;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

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
    #[error(
        "`{0}` is a workday but the per-weekday hours give it none: give its hours or leave it out of `workdays`"
    )]
    WorkdayWithoutHours(String),
}

/// The business calendar of a QMS: time zone, working weekdays, working hours (the same
/// every workday, or per weekday), holidays (whole or part days), and extra workdays (a
/// weekend day worked to bridge a holiday, with its usual or its own hours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    tz: Tz,
    /// Indexed by `Weekday::num_days_from_monday`.
    workdays: [bool; 7],
    /// Hours by weekday, Monday first, each sorted and disjoint. Weekdays that are not
    /// workdays may have hours too: an extra workday on such a weekday works them.
    week: [Vec<Period>; 7],
    /// Hours of an extra workday whose weekday has none: those of the first workday.
    usual: Vec<Period>,
    /// Closed dates, with the hours still worked on a part day (empty: closed all day).
    holidays: BTreeMap<NaiveDate, Vec<Period>>,
    /// Dates worked although their weekday is not a workday (or they are holidays), with
    /// their own hours when given.
    extra_workdays: BTreeMap<NaiveDate, Option<Vec<Period>>>,
}

/// The working hours of a calendar as written: the same ranges every workday, or ranges per
/// weekday (Monday first; an empty list is a weekday without hours). Ranges are
/// `HH:MM-HH:MM` on the local 24-hour clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeeklyHours {
    Daily(Vec<String>),
    PerWeekday([Vec<String>; 7]),
}

/// A holiday or extra workday: the date, and for a part day the only hours worked on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    pub date: NaiveDate,
    pub hours: Option<Vec<String>>,
}

impl SpecialDay {
    /// A whole day: closed for a holiday, the usual hours for an extra workday.
    pub fn whole(date: NaiveDate) -> Self {
        SpecialDay { date, hours: None }
    }
}

impl Default for Calendar {
    fn default() -> Self {
        Self::standard()
    }
}

impl Calendar {
    /// Reads a version-1 calendar: the same hours every workday, whole holidays and extra
    /// workdays. Each range is `HH:MM-HH:MM` on a 24-hour clock (`24:00` may end one);
    /// ranges are listed in the order of the day and may touch but not overlap, so that no
    /// minute is counted twice.
    pub fn new(
        timezone: &str,
        workdays: &[Weekday],
        hours: &[String],
        holidays: &[NaiveDate],
        extra_workdays: &[NaiveDate],
    ) -> Result<Self, CalendarError> {
        let whole = |days: &[NaiveDate]| days.iter().map(|d| SpecialDay::whole(*d)).collect();
        let holidays: Vec<SpecialDay> = whole(holidays);
        let extra: Vec<SpecialDay> = whole(extra_workdays);
        Self::build(
            timezone,
            workdays,
            &WeeklyHours::Daily(hours.to_vec()),
            &holidays,
            &extra,
        )
    }

    /// Reads a calendar in the full form of format 1.1: hours per weekday and part days.
    /// Errors: an unknown zone, no workdays, a workday without hours, a malformed,
    /// empty, overlapping or unsorted range, a part day without hours.
    pub fn build(
        timezone: &str,
        workdays: &[Weekday],
        hours: &WeeklyHours,
        holidays: &[SpecialDay],
        extra_workdays: &[SpecialDay],
    ) -> Result<Self, CalendarError> {
        let tz: Tz = timezone
            .trim()
            .parse()
            .map_err(|_| CalendarError::UnknownTimezone(timezone.to_string()))?;
        if workdays.is_empty() {
            return Err(CalendarError::NoWorkdays);
        }
        let mut flags = [false; 7];
        for day in workdays {
            flags[day.num_days_from_monday() as usize] = true;
        }
        let week: [Vec<Period>; 7] = match hours {
            WeeklyHours::Daily(ranges) => {
                if ranges.is_empty() {
                    return Err(CalendarError::NoHours);
                }
                let periods = parse_ranges(ranges)?;
                std::array::from_fn(|_| periods.clone())
            }
            WeeklyHours::PerWeekday(days) => {
                let mut week: [Vec<Period>; 7] = Default::default();
                for (i, ranges) in days.iter().enumerate() {
                    week[i] = parse_ranges(ranges)?;
                }
                week
            }
        };
        let mut usual = Vec::new();
        for (i, periods) in week.iter().enumerate() {
            if flags[i] && periods.is_empty() {
                return Err(CalendarError::WorkdayWithoutHours(weekday_name(i)));
            }
            if flags[i] && usual.is_empty() {
                usual = periods.clone();
            }
        }
        let part = |day: &SpecialDay| -> Result<Option<Vec<Period>>, CalendarError> {
            match &day.hours {
                None => Ok(None),
                Some(ranges) if ranges.is_empty() => Err(CalendarError::NoHours),
                Some(ranges) => parse_ranges(ranges).map(Some),
            }
        };
        let mut closed = BTreeMap::new();
        for day in holidays {
            closed.insert(day.date, part(day)?.unwrap_or_default());
        }
        let mut extra = BTreeMap::new();
        for day in extra_workdays {
            extra.insert(day.date, part(day)?);
        }
        Ok(Calendar {
            tz,
            workdays: flags,
            week,
            usual,
            holidays: closed,
            extra_workdays: extra,
        })
    }

    /// UTC, Monday to Friday, 09:00-17:00: used when a QMS gives no calendar.
    pub fn standard() -> Self {
        let nine_to_five = vec![Period {
            start: 9 * 60,
            end: 17 * 60,
        }];
        Calendar {
            tz: Tz::UTC,
            workdays: [true, true, true, true, true, false, false],
            week: std::array::from_fn(|_| nine_to_five.clone()),
            usual: nine_to_five,
            holidays: BTreeMap::new(),
            extra_workdays: BTreeMap::new(),
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

    /// The working-hour ranges of a regular workday as `HH:MM-HH:MM`, in the order of the
    /// day: those of the first workday when they differ by weekday (see
    /// [`Calendar::hours_on`]).
    pub fn hours(&self) -> Vec<String> {
        self.usual.iter().map(Period::to_string).collect()
    }

    /// The working-hour ranges worked on a date, after weekdays, holidays (whole or part)
    /// and extra workdays; empty on a day without work.
    pub fn hours_on(&self, date: NaiveDate) -> Vec<String> {
        self.periods_on(date)
            .iter()
            .map(Period::to_string)
            .collect()
    }

    /// Every holiday, part days included.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.keys().copied()
    }

    pub fn extra_workdays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.extra_workdays.keys().copied()
    }

    /// A day with working hours: a workday weekday that is not a whole holiday, a part
    /// holiday, or an extra workday (which wins over a holiday on the same date, since it
    /// is the more specific decision).
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        !self.periods_on(date).is_empty()
    }

    /// The periods worked on `date`, as the calendar's rules decide.
    fn periods_on(&self, date: NaiveDate) -> &[Period] {
        let weekday = date.weekday().num_days_from_monday() as usize;
        if let Some(own) = self.extra_workdays.get(&date) {
            return match own {
                Some(periods) => periods,
                None if self.week[weekday].is_empty() => &self.usual,
                None => &self.week[weekday],
            };
        }
        if let Some(part) = self.holidays.get(&date) {
            return part;
        }
        if self.workdays[weekday] {
            &self.week[weekday]
        } else {
            &[]
        }
    }

    /// Working minutes of an average regular workday, on the office clock (rounded): the
    /// exact length of every day when all workdays have the same hours.
    pub fn working_minutes_per_day(&self) -> u32 {
        let days = i64::from(self.workdays_per_week().max(1));
        u32::try_from((self.week_minutes() + days / 2) / days).unwrap_or(u32::MAX)
    }

    pub fn workdays_per_week(&self) -> u32 {
        self.workdays.iter().filter(|w| **w).count() as u32
    }

    /// Working minutes of a regular week on the office clock; positive because `build`
    /// demands workdays with hours.
    fn week_minutes(&self) -> i64 {
        (0..7)
            .filter(|&i| self.workdays[i])
            .map(|i| i64::from(total_minutes(&self.week[i])))
            .sum()
    }

    /// The instant at which `d` has elapsed from `start`.
    ///
    /// Working hours count real elapsed time inside working hours, so on the night the
    /// clocks change a range spanning the change is an hour shorter or longer, and
    /// `4 working hours` on a round-the-clock calendar is exactly 4 hours. Working days
    /// count days: from a moment within a working day, the same amount of that day's work
    /// done on the office clock on the n-th next working day (or its closing, if it is
    /// shorter); from outside working hours, the closing of the n-th working day from the
    /// next opening. So 2 working days from Monday 08:30 end on Tuesday at closing time,
    /// not on Wednesday at opening. Calendar days, weeks, months and years keep the local
    /// time of day across daylight-saving changes (Jan 31 + 1 month is Feb 28 or 29);
    /// minutes and hours are absolute time. Zero of any unit returns `start`. Results past
    /// 9999-12-31, or behind a century without working time, are [`FAR_FUTURE`].
    pub fn add(&self, start: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
        if d.amount == 0 {
            return start;
        }
        let result = match d.unit {
            Unit::WorkingHours => self.walk_forward(start, u64::from(d.amount) * 60),
            Unit::WorkingDays => self.add_working_days(start, u64::from(d.amount)),
            _ => self.shift_calendar(start, d, true),
        };
        match result {
            Some(t) if t >= start && t <= FAR_FUTURE => t,
            _ => FAR_FUTURE.max(start),
        }
    }

    /// Counting back from an instant: the latest instant from which `d` still elapses by
    /// `end` (for "at least 4 working hours before the planned start at 14:00"). The
    /// mirror of [`Calendar::add`]: landing on an opening time returns the opening, not
    /// the previous closing. Results before 0001-01-01, or behind a century without
    /// working time, are [`FAR_PAST`]. For counting back from a planned date, see
    /// [`Calendar::due_before_date`].
    pub fn sub(&self, end: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
        if d.amount == 0 {
            return end;
        }
        let result = match d.unit {
            Unit::WorkingHours => self.walk_backward(end, u64::from(d.amount) * 60),
            Unit::WorkingDays => self.sub_working_days(end, u64::from(d.amount)),
            _ => self.shift_calendar(end, d, false),
        };
        match result {
            Some(t) if t <= end && t >= FAR_PAST => t,
            _ => FAR_PAST.min(end),
        }
    }

    /// The deadline of a step due `d` before a planned date (`within: { time: 2 weeks,
    /// before: meeting }`). Days, weeks, months, years and working days counted back from
    /// the date give a day, and the deadline is the end of that day: for calendar units the
    /// start of the next day, for working days the last working moment of the n-th working
    /// day before the date. Minutes, hours and working hours count back from the start of
    /// the date, as an instant. Out of range: [`FAR_PAST`].
    pub fn due_before_date(&self, date: NaiveDate, d: Duration) -> DateTime<Utc> {
        match self.day_before_date(date, d) {
            DayOrInstant::Day(day) if d.unit == Unit::WorkingDays => self
                .day_bounds(day)
                .map(|(_, close)| close)
                .unwrap_or(FAR_PAST),
            DayOrInstant::Day(day) => match day.succ_opt() {
                Some(next) => crate::run::clock::start_of(next, self.tz),
                None => FAR_FUTURE,
            },
            DayOrInstant::Instant(t) => t,
        }
    }

    /// The earliest time of a step that may not be done sooner than `d` before a planned
    /// date (`after: { time: 4 weeks, before: meeting }`): the start of the day counted back
    /// as in [`Calendar::due_before_date`] (its first working moment for working days), or
    /// the instant for minutes, hours and working hours. Out of range: [`FAR_PAST`].
    pub fn earliest_before_date(&self, date: NaiveDate, d: Duration) -> DateTime<Utc> {
        match self.day_before_date(date, d) {
            DayOrInstant::Day(day) if d.unit == Unit::WorkingDays => self
                .day_bounds(day)
                .map(|(open, _)| open)
                .unwrap_or(FAR_PAST),
            DayOrInstant::Day(day) => crate::run::clock::start_of(day, self.tz),
            DayOrInstant::Instant(t) => t,
        }
    }

    fn day_before_date(&self, date: NaiveDate, d: Duration) -> DayOrInstant {
        let amount = u64::from(d.amount);
        let day = match d.unit {
            Unit::Minutes | Unit::Hours | Unit::WorkingHours => {
                let start = crate::run::clock::start_of(date, self.tz);
                return DayOrInstant::Instant(self.sub(start, d));
            }
            _ if amount == 0 => Some(date),
            Unit::Days => date.checked_sub_days(Days::new(amount)),
            Unit::Weeks => date.checked_sub_days(Days::new(amount * 7)),
            Unit::Months => date.checked_sub_months(Months::new(d.amount)),
            Unit::Years => d
                .amount
                .checked_mul(12)
                .and_then(|m| date.checked_sub_months(Months::new(m))),
            Unit::WorkingDays => self.nth_workday_before(date, amount),
        };
        match day {
            Some(day) if day >= FIRST_DATE => DayOrInstant::Day(day),
            _ => DayOrInstant::Instant(FAR_PAST),
        }
    }

    /// Working minutes between two instants, real elapsed time inside working hours,
    /// rounded down (0 if `b <= a`). Instants outside years 1 to 9999 are clamped to that
    /// range.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        let a = a.clamp(FAR_PAST, FAR_FUTURE);
        let b = b.clamp(FAR_PAST, FAR_FUTURE);
        if b <= a {
            return 0;
        }
        self.working_time(a, b).num_minutes()
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

/// Reads one working-hour range `HH:MM-HH:MM` (`24:00` may end it) as minutes after local
/// midnight, start and end; for checkers that report each range at its own line.
pub fn read_range(text: &str) -> Result<(u32, u32), CalendarError> {
    hours::parse_range(text).map(|p| (p.start, p.end))
}

/// A day counted back from a planned date, or an exact instant.
enum DayOrInstant {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

/// `mon`..`sun` for a weekday index, Monday first.
fn weekday_name(index: usize) -> String {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][index % 7].to_string()
}

/// `8 h 30 min`, `8 h`, `45 min`.
fn describe_minutes(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
