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

use std::collections::BTreeSet;
use std::fmt;

use chrono::{
    DateTime, Datelike, Days, MappedLocalTime, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Utc, Weekday,
};
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

/// One working-hour range of a day, in minutes after local midnight; `end` may be 1440
/// (`24:00`) so that round-the-clock work can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    start: u32,
    end: u32,
}

impl Period {
    fn minutes(self) -> u32 {
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

/// Which occurrence of a wall-clock time to pick, and the instant it must not cross.
#[derive(Clone, Copy)]
enum Bound {
    NotBefore(DateTime<Utc>),
    NotAfter(DateTime<Utc>),
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

    /// The local wall-clock reading at `t`; `None` only near the ends of chrono's range,
    /// where `DateTime::naive_local` would panic.
    fn wall(&self, t: DateTime<Utc>) -> Option<NaiveDateTime> {
        let utc = t.naive_utc();
        utc.checked_add_offset(self.tz.offset_from_utc_datetime(&utc).fix())
    }

    /// The instant showing `wall` on the local clock: the earliest one that respects
    /// `bound` when the time occurs twice, the end of the gap when it never occurs.
    fn instant(&self, wall: NaiveDateTime, bound: Bound) -> Option<DateTime<Utc>> {
        let candidates = match self.tz.from_local_datetime(&wall) {
            MappedLocalTime::Single(t) => [Some(t.to_utc()), None],
            MappedLocalTime::Ambiguous(a, b) => {
                let (a, b) = (a.to_utc(), b.to_utc());
                [Some(a.min(b)), Some(a.max(b))]
            }
            MappedLocalTime::None => [self.gap_end(wall), None],
        };
        let mut valid = candidates.into_iter().flatten();
        match bound {
            // A later wall time always has an occurrence after the bound; falling back to
            // the bound only guards against a malformed zone table.
            Bound::NotBefore(start) => Some(valid.find(|c| *c >= start).unwrap_or(start)),
            Bound::NotAfter(end) => Some(valid.find(|c| *c <= end).unwrap_or(end)),
        }
    }

    /// The first instant whose wall clock reads `wall` or later, for a `wall` skipped by
    /// a spring-forward change: that is the transition itself. Offsets stay within a
    /// day, so the transition lies within a day of `wall` read as UTC, and a binary
    /// search over seconds finds it in about 17 steps.
    fn gap_end(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        const DAY: i64 = 86_400;
        let target = wall.and_utc().timestamp();
        let (mut before, mut after) = (target.checked_sub(DAY)?, target.checked_add(DAY)?);
        while after - before > 1 {
            let mid = before + (after - before) / 2;
            if self.wall(DateTime::from_timestamp(mid, 0)?)? >= wall {
                after = mid;
            } else {
                before = mid;
            }
        }
        DateTime::from_timestamp(after, 0)
    }

    /// Whole weeks from `day` on that contain no holiday or extra workday, so that they
    /// hold exactly `week_minutes` of work.
    fn plain_weeks_from(&self, day: NaiveDate) -> i64 {
        let next = [
            self.holidays.range(day..).next(),
            self.extra_workdays.range(day..).next(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(special) => special.signed_duration_since(day).num_days() / 7,
            None => i64::MAX / 7,
        }
    }

    /// Whole weeks ending with `day` (inclusive) that contain no special date.
    fn plain_weeks_until(&self, day: NaiveDate) -> i64 {
        let prev = [
            self.holidays.range(..=day).next_back(),
            self.extra_workdays.range(..=day).next_back(),
        ]
        .into_iter()
        .flatten()
        .max();
        match prev {
            Some(special) => day.signed_duration_since(*special).num_days() / 7,
            None => i64::MAX / 7,
        }
    }

    /// The working periods of `day` as wall-clock intervals (empty on a non-workday).
    fn day_periods(
        &self,
        day: NaiveDate,
    ) -> impl DoubleEndedIterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let works = self.is_workday(day);
        self.periods.iter().filter_map(move |p| {
            if works {
                Some((at_minute(day, p.start)?, at_minute(day, p.end)?))
            } else {
                None
            }
        })
    }

    /// The wall-clock time at which `minutes` of work have been done from `from`; `None`
    /// past 9999 or after [`MAX_IDLE_DAYS`] without work.
    fn walk_forward(&self, from: NaiveDateTime, minutes: u64) -> Option<NaiveDateTime> {
        let week_secs = self.week_minutes() * 60;
        let mut remaining = TimeDelta::try_seconds(i64::try_from(minutes).ok()?.checked_mul(60)?)?;
        let mut day = from.date();
        let mut idle_days = 0;
        loop {
            if day > LAST_DATE {
                return None;
            }
            let mut worked = false;
            for (open, close) in self.day_periods(day) {
                let open = open.max(from);
                if close > open {
                    worked = true;
                    let available = close - open;
                    // `<=` so that landing exactly on a closing time returns it.
                    if remaining <= available {
                        return open.checked_add_signed(remaining);
                    }
                    remaining -= available;
                }
            }
            idle_days = if worked { 0 } else { idle_days + 1 };
            if idle_days > MAX_IDLE_DAYS {
                return None;
            }
            day = day.succ_opt()?;
            // Whole weeks that cannot contain the landing point: at least one minute
            // must be left for the day-by-day part, hence `- 1`.
            let weeks = self
                .plain_weeks_from(day)
                .min(
                    (remaining.num_seconds() - 1)
                        .checked_div(week_secs)
                        .unwrap_or(0),
                )
                .min(LAST_DATE.signed_duration_since(day).num_days() / 7);
            if weeks > 0 {
                day = day.checked_add_days(Days::new(u64::try_from(weeks).ok()? * 7))?;
                remaining -= TimeDelta::try_seconds(weeks.checked_mul(week_secs)?)?;
                idle_days = 0;
            }
        }
    }

    /// The mirror of [`Calendar::walk_forward`]: the wall-clock time from which
    /// `minutes` of work end at `to`.
    fn walk_backward(&self, to: NaiveDateTime, minutes: u64) -> Option<NaiveDateTime> {
        let week_secs = self.week_minutes() * 60;
        let mut remaining = TimeDelta::try_seconds(i64::try_from(minutes).ok()?.checked_mul(60)?)?;
        let mut day = to.date();
        let mut idle_days = 0;
        loop {
            if day < FIRST_DATE {
                return None;
            }
            let mut worked = false;
            for (open, close) in self.day_periods(day).rev() {
                let close = close.min(to);
                if close > open {
                    worked = true;
                    let available = close - open;
                    if remaining <= available {
                        return close.checked_sub_signed(remaining);
                    }
                    remaining -= available;
                }
            }
            idle_days = if worked { 0 } else { idle_days + 1 };
            if idle_days > MAX_IDLE_DAYS {
                return None;
            }
            day = day.pred_opt()?;
            let weeks = self
                .plain_weeks_until(day)
                .min(
                    (remaining.num_seconds() - 1)
                        .checked_div(week_secs)
                        .unwrap_or(0),
                )
                .min(day.signed_duration_since(FIRST_DATE).num_days() / 7);
            if weeks > 0 {
                day = day.checked_sub_days(Days::new(u64::try_from(weeks).ok()? * 7))?;
                remaining -= TimeDelta::try_seconds(weeks.checked_mul(week_secs)?)?;
                idle_days = 0;
            }
        }
    }

    /// Working time between two wall-clock readings, `a < b`.
    fn wall_working_time(&self, a: NaiveDateTime, b: NaiveDateTime) -> TimeDelta {
        let week = TimeDelta::minutes(self.week_minutes());
        let mut total = TimeDelta::zero();
        let mut day = a.date();
        while day <= b.date() {
            for (open, close) in self.day_periods(day) {
                let (open, close) = (open.max(a), close.min(b));
                if close > open {
                    total += close - open;
                }
            }
            let Some(next) = day.succ_opt() else {
                break;
            };
            day = next;
            // Only weeks that end before `b`'s date, which is clipped day by day.
            let weeks = self
                .plain_weeks_from(day)
                .min(b.date().signed_duration_since(day).num_days() / 7);
            if weeks > 0 {
                let (Ok(days), Ok(times)) = (u64::try_from(weeks * 7), i32::try_from(weeks)) else {
                    break;
                };
                let Some(next) = day.checked_add_days(Days::new(days)) else {
                    break;
                };
                day = next;
                total += week * times;
            }
        }
        total
    }
}

/// `minute` minutes after midnight of `day`, where 1440 is the next midnight.
fn at_minute(day: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
    if minute >= MINUTES_PER_DAY {
        return Some(day.succ_opt()?.and_time(NaiveTime::MIN));
    }
    Some(day.and_time(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?))
}

/// Reads `HH:MM-HH:MM`; `24:00` is allowed as an end so a range can reach midnight.
fn parse_range(text: &str) -> Result<Period, CalendarError> {
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

/// `8 h 30 min`, `8 h`, `45 min`.
fn describe_minutes(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
    use chrono::Timelike;

    const WEEKDAYS: [Weekday; 5] = [Mon, Tue, Wed, Thu, Fri];

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn dur(s: &str) -> Duration {
        s.parse().unwrap()
    }

    /// Office hours with a lunch break, Monday to Friday.
    fn office(tz: &str) -> Calendar {
        office_with(tz, &[], &[])
    }

    fn office_with(tz: &str, holidays: &[&str], extra: &[&str]) -> Calendar {
        let holidays: Vec<_> = holidays.iter().map(|d| date(d)).collect();
        let extra: Vec<_> = extra.iter().map(|d| date(d)).collect();
        Calendar::new(
            tz,
            &WEEKDAYS,
            &strings(&["08:30-12:00", "13:00-17:30"]),
            &holidays,
            &extra,
        )
        .unwrap()
    }

    fn round_the_clock(tz: &str) -> Calendar {
        Calendar::new(
            tz,
            &[Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            &strings(&["00:00-24:00"]),
            &[],
            &[],
        )
        .unwrap()
    }

    /// An instant given on the calendar's local clock; the time must exist once.
    fn at(cal: &Calendar, s: &str) -> DateTime<Utc> {
        let wall = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        cal.tz.from_local_datetime(&wall).single().unwrap().to_utc()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// An instant shown on the calendar's local clock, with the weekday.
    fn local(cal: &Calendar, t: DateTime<Utc>) -> String {
        t.with_timezone(&cal.tz)
            .format("%Y-%m-%d %H:%M %a")
            .to_string()
    }

    fn add(cal: &Calendar, start: &str, d: &str) -> String {
        local(cal, cal.add(at(cal, start), dur(d)))
    }

    fn sub(cal: &Calendar, end: &str, d: &str) -> String {
        local(cal, cal.sub(at(cal, end), dur(d)))
    }

    #[test]
    fn rejects_an_unknown_timezone_with_an_example() {
        let err = Calendar::new(
            "Europe/Berln",
            &WEEKDAYS,
            &strings(&["09:00-17:00"]),
            &[],
            &[],
        )
        .unwrap_err();
        assert_eq!(err, CalendarError::UnknownTimezone("Europe/Berln".into()));
        assert!(err.to_string().contains("`Europe/Berln`"), "{err}");
        assert!(err.to_string().contains("Europe/Berlin"), "{err}");
    }

    #[test]
    fn reads_ranges_leniently_but_rejects_malformed_ones() {
        let hours = |h: &[&str]| Calendar::new("UTC", &WEEKDAYS, &strings(h), &[], &[]);
        let cal = hours(&["8:30-12:00", " 13:00 - 17:30 "]).unwrap();
        assert_eq!(cal.hours(), ["08:30-12:00", "13:00-17:30"]);
        assert_eq!(
            hours(&["00:00-24:00"]).unwrap().working_minutes_per_day(),
            1440
        );
        for bad in [
            "0830-1200",
            "8-12",
            "08:30",
            "08:60-09:00",
            "25:00-26:00",
            "24:00-24:30",
            "08:30-12:00x",
            "08:3-12:00",
            "+8:30-12:00",
            "",
            "٠٨:٣٠-١٢:٠٠",
        ] {
            let err = hours(&[bad]).unwrap_err();
            assert_eq!(err, CalendarError::BadRange(bad.into()), "{bad}");
            assert!(err.to_string().contains("HH:MM-HH:MM"), "{err}");
        }
    }

    #[test]
    fn rejects_empty_and_reversed_ranges() {
        for bad in ["12:00-08:30", "09:00-09:00", "22:00-06:00"] {
            let err = Calendar::new("UTC", &WEEKDAYS, &strings(&[bad]), &[], &[]).unwrap_err();
            assert_eq!(err, CalendarError::EmptyRange(bad.into()));
            assert!(err.to_string().contains("cannot cross midnight"), "{err}");
        }
    }

    #[test]
    fn rejects_overlapping_and_unsorted_ranges() {
        let hours = |h: &[&str]| Calendar::new("UTC", &WEEKDAYS, &strings(h), &[], &[]);
        let err = hours(&["08:00-12:00", "11:00-13:00"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "working-hour ranges `08:00-12:00` and `11:00-13:00` overlap"
        );
        assert!(matches!(
            hours(&["08:00-18:00", "12:00-13:00"]),
            Err(CalendarError::OverlappingRanges { .. })
        ));
        let err = hours(&["13:00-17:00", "08:00-12:00"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "working-hour range `13:00-17:00` is listed before `08:00-12:00`: list the ranges in the order of the day"
        );
        // Touching ranges are fine: a shift change is not an overlap.
        assert!(hours(&["06:00-14:00", "14:00-22:00"]).is_ok());
    }

    #[test]
    fn rejects_a_calendar_without_workdays_or_hours() {
        let err = Calendar::new("UTC", &[], &strings(&["09:00-17:00"]), &[], &[]).unwrap_err();
        assert_eq!(err, CalendarError::NoWorkdays);
        assert!(err.to_string().contains("no workdays"));
        let err = Calendar::new("UTC", &WEEKDAYS, &[], &[], &[]).unwrap_err();
        assert_eq!(err, CalendarError::NoHours);
        assert!(err.to_string().contains("no working hours"));
    }

    #[test]
    fn standard_calendar_is_utc_weekdays_nine_to_five() {
        let cal = Calendar::standard();
        assert_eq!(cal.timezone(), Tz::UTC);
        assert_eq!(cal.workdays(), WEEKDAYS);
        assert_eq!(cal.hours(), ["09:00-17:00"]);
        assert_eq!(cal.working_minutes_per_day(), 480);
        assert_eq!(cal.workdays_per_week(), 5);
        let same = Calendar::new("UTC", &WEEKDAYS, &strings(&["09:00-17:00"]), &[], &[]).unwrap();
        assert_eq!(cal, same);
        assert_eq!(Calendar::default(), cal);
    }

    #[test]
    fn counts_minutes_per_day_and_workdays_per_week() {
        let cal = office("UTC");
        assert_eq!(cal.working_minutes_per_day(), 8 * 60);
        assert_eq!(cal.workdays_per_week(), 5);
        // Listing a weekday twice does not make it work twice as much.
        let cal = Calendar::new(
            "UTC",
            &[Mon, Mon, Sat],
            &strings(&["09:00-10:15"]),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(cal.workdays_per_week(), 2);
        assert_eq!(cal.workdays(), [Mon, Sat]);
        assert_eq!(cal.working_minutes_per_day(), 75);
    }

    #[test]
    fn workdays_follow_weekdays_holidays_and_extra_workdays() {
        // 2026-04-03 is Good Friday; Sunday 2026-03-08 is worked to catch up.
        let cal = office_with(
            "UTC",
            &["2026-04-03", "2026-05-01"],
            &["2026-03-08", "2026-05-01"],
        );
        assert!(cal.is_workday(date("2026-03-06")));
        assert!(!cal.is_workday(date("2026-03-07")));
        assert!(cal.is_workday(date("2026-03-08")));
        assert!(!cal.is_workday(date("2026-03-15")));
        assert!(!cal.is_workday(date("2026-04-03")));
        // Declared both ways: the explicit extra workday wins.
        assert!(cal.is_workday(date("2026-05-01")));
        assert_eq!(cal.holidays().count(), 2);
        assert_eq!(cal.extra_workdays().next(), Some(date("2026-03-08")));
    }

    #[test]
    fn two_working_days_from_monday_opening_end_tuesday_at_closing() {
        let cal = office("UTC");
        assert_eq!(
            add(&cal, "2026-03-02 08:30", "2 working days"),
            "2026-03-03 17:30 Tue"
        );
        assert_eq!(
            add(&cal, "2026-03-02 08:30", "1 working day"),
            "2026-03-02 17:30 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-02 10:00", "1 working day"),
            "2026-03-03 10:00 Tue"
        );
    }

    #[test]
    fn friday_afternoon_plus_two_working_hours_is_monday_morning() {
        let cal = office("UTC");
        assert_eq!(
            add(&cal, "2026-03-06 16:30", "2 working hours"),
            "2026-03-09 09:30 Mon"
        );
    }

    #[test]
    fn skips_the_weekend() {
        let cal = office("UTC");
        assert_eq!(
            add(&cal, "2026-03-06 17:00", "1 working day"),
            "2026-03-09 17:00 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-05 09:00", "5 working days"),
            "2026-03-12 09:00 Thu"
        );
    }

    #[test]
    fn a_start_outside_working_hours_waits_for_the_next_opening() {
        let cal = office("UTC");
        // Before opening, at lunch, after closing, on a weekend.
        assert_eq!(
            add(&cal, "2026-03-02 07:00", "1 working hour"),
            "2026-03-02 09:30 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-02 12:30", "1 working hour"),
            "2026-03-02 14:00 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-02 18:00", "1 working hour"),
            "2026-03-03 09:30 Tue"
        );
        assert_eq!(
            add(&cal, "2026-03-07 10:00", "1 working hour"),
            "2026-03-09 09:30 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-07 10:00", "1 working day"),
            "2026-03-09 17:30 Mon"
        );
    }

    #[test]
    fn the_lunch_break_is_not_counted() {
        let cal = office("UTC");
        assert_eq!(
            add(&cal, "2026-03-02 11:30", "1 working hour"),
            "2026-03-02 13:30 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-02 11:59", "2 working hours"),
            "2026-03-02 14:59 Mon"
        );
    }

    #[test]
    fn landing_on_a_closing_time_returns_it() {
        let cal = office("UTC");
        assert_eq!(
            add(&cal, "2026-03-02 11:00", "1 working hour"),
            "2026-03-02 12:00 Mon"
        );
        assert_eq!(
            add(&cal, "2026-03-06 13:30", "4 working hours"),
            "2026-03-06 17:30 Fri"
        );
    }

    #[test]
    fn immediately_and_zero_amounts_return_the_start() {
        let cal = office("UTC");
        let saturday = at(&cal, "2026-03-07 10:00");
        assert_eq!(cal.add(saturday, Duration::IMMEDIATELY), saturday);
        assert_eq!(cal.sub(saturday, Duration::IMMEDIATELY), saturday);
        for d in ["0 working days", "0 working hours", "0 months", "0 days"] {
            assert_eq!(cal.add(saturday, dur(d)), saturday, "{d}");
            assert_eq!(cal.sub(saturday, dur(d)), saturday, "{d}");
        }
    }

    #[test]
    fn holidays_are_skipped() {
        // Good Friday and Easter Monday 2026.
        let cal = office_with("UTC", &["2026-04-03", "2026-04-06"], &[]);
        assert_eq!(
            add(&cal, "2026-04-02 17:00", "1 working hour"),
            "2026-04-07 09:00 Tue"
        );
        assert_eq!(
            add(&cal, "2026-04-02 08:30", "2 working days"),
            "2026-04-07 17:30 Tue"
        );
        assert_eq!(
            sub(&cal, "2026-04-07 09:00", "1 working hour"),
            "2026-04-02 17:00 Thu"
        );
    }

    #[test]
    fn an_extra_workday_on_a_sunday_counts() {
        let cal = office_with("UTC", &[], &["2026-03-08"]);
        assert_eq!(
            add(&cal, "2026-03-07 10:00", "1 working hour"),
            "2026-03-08 09:30 Sun"
        );
        assert_eq!(
            add(&cal, "2026-03-06 17:30", "1 working day"),
            "2026-03-08 17:30 Sun"
        );
        assert_eq!(
            sub(&cal, "2026-03-09 08:30", "1 working hour"),
            "2026-03-08 16:30 Sun"
        );
        let a = at(&cal, "2026-03-06 17:30");
        let b = at(&cal, "2026-03-09 08:30");
        assert_eq!(cal.working_minutes_between(a, b), 480);
    }

    #[test]
    fn working_hours_are_read_on_the_local_clock() {
        // 08:00 UTC on a Monday is 16:00 in Shanghai (near closing) and 09:00 in Berlin.
        let start = utc("2026-03-02T08:00:00Z");
        let shanghai = Calendar::new(
            "Asia/Shanghai",
            &WEEKDAYS,
            &strings(&["09:00-17:00"]),
            &[],
            &[],
        )
        .unwrap();
        let berlin = Calendar::new(
            "Europe/Berlin",
            &WEEKDAYS,
            &strings(&["09:00-17:00"]),
            &[],
            &[],
        )
        .unwrap();
        let two_hours = dur("2 working hours");
        assert_eq!(shanghai.add(start, two_hours), utc("2026-03-03T02:00:00Z"));
        assert_eq!(
            local(&shanghai, shanghai.add(start, two_hours)),
            "2026-03-03 10:00 Tue"
        );
        assert_eq!(berlin.add(start, two_hours), utc("2026-03-02T10:00:00Z"));
        // Friday 23:00 UTC is already Saturday in Shanghai but still Friday evening in
        // Berlin: both wait for Monday opening on their own clocks.
        let friday_night = utc("2026-03-06T23:00:00Z");
        let one_hour = dur("1 working hour");
        assert_eq!(
            shanghai.add(friday_night, one_hour),
            utc("2026-03-09T02:00:00Z")
        );
        assert_eq!(
            berlin.add(friday_night, one_hour),
            utc("2026-03-09T09:00:00Z")
        );
        assert_eq!(
            shanghai.working_minutes_between(start, utc("2026-03-03T02:00:00Z")),
            120
        );
    }

    #[test]
    fn spring_forward_keeps_office_hours_on_the_local_clock() {
        // Berlin moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
        let cal = office("Europe/Berlin");
        let friday = at(&cal, "2026-03-27 16:30");
        assert_eq!(friday, utc("2026-03-27T15:30:00Z"));
        let monday = cal.add(friday, dur("2 working hours"));
        assert_eq!(monday, utc("2026-03-30T07:30:00Z"));
        assert_eq!(local(&cal, monday), "2026-03-30 09:30 Mon");
        assert_eq!(cal.sub(monday, dur("2 working hours")), friday);
        let noon_friday = at(&cal, "2026-03-27 12:00");
        let noon_monday = at(&cal, "2026-03-30 12:00");
        assert_eq!(cal.working_minutes_between(noon_friday, noon_monday), 480);
        assert_eq!(
            add(&cal, "2026-03-27 08:30", "2 working days"),
            "2026-03-30 17:30 Mon"
        );
    }

    #[test]
    fn fall_back_keeps_office_hours_on_the_local_clock() {
        // Berlin moves from UTC+2 back to UTC+1 on Sunday 2026-10-25.
        let cal = office("Europe/Berlin");
        let friday = at(&cal, "2026-10-23 16:30");
        assert_eq!(friday, utc("2026-10-23T14:30:00Z"));
        let monday = cal.add(friday, dur("2 working hours"));
        assert_eq!(monday, utc("2026-10-26T08:30:00Z"));
        assert_eq!(local(&cal, monday), "2026-10-26 09:30 Mon");
        assert_eq!(cal.sub(monday, dur("2 working hours")), friday);
        let noon_friday = at(&cal, "2026-10-23 12:00");
        let noon_monday = at(&cal, "2026-10-26 12:00");
        assert_eq!(cal.working_minutes_between(noon_friday, noon_monday), 480);
    }

    #[test]
    fn a_calendar_day_keeps_the_local_time_and_hours_are_absolute() {
        let cal = office("Europe/Berlin");
        // The spring day has 23 hours, the autumn day 25.
        let spring = at(&cal, "2026-03-28 10:00");
        assert_eq!(
            add(&cal, "2026-03-28 10:00", "1 day"),
            "2026-03-29 10:00 Sun"
        );
        assert_eq!(cal.add(spring, dur("1 day")) - spring, TimeDelta::hours(23));
        assert_eq!(
            add(&cal, "2026-03-28 10:00", "24 hours"),
            "2026-03-29 11:00 Sun"
        );
        assert_eq!(
            add(&cal, "2026-03-28 10:00", "1 week"),
            "2026-04-04 10:00 Sat"
        );
        let autumn = at(&cal, "2026-10-24 10:00");
        assert_eq!(
            add(&cal, "2026-10-24 10:00", "1 day"),
            "2026-10-25 10:00 Sun"
        );
        assert_eq!(cal.add(autumn, dur("1 day")) - autumn, TimeDelta::hours(25));
        assert_eq!(
            add(&cal, "2026-10-24 10:00", "24 hours"),
            "2026-10-25 09:00 Sun"
        );
        assert_eq!(
            add(&cal, "2026-10-24 10:00", "90 minutes"),
            "2026-10-24 11:30 Sat"
        );
        assert_eq!(
            sub(&cal, "2026-03-29 10:00", "1 day"),
            "2026-03-28 10:00 Sat"
        );
        assert_eq!(
            sub(&cal, "2026-10-25 10:00", "1 day"),
            "2026-10-24 10:00 Sat"
        );
        assert_eq!(
            sub(&cal, "2026-10-25 10:00", "24 hours"),
            "2026-10-24 11:00 Sat"
        );
    }

    #[test]
    fn round_the_clock_work_is_counted_on_the_wall_clock() {
        let cal = round_the_clock("Europe/Berlin");
        assert_eq!(
            add(&cal, "2026-03-28 12:00", "24 working hours"),
            "2026-03-29 12:00 Sun"
        );
        assert_eq!(
            add(&cal, "2026-10-24 12:00", "1 working day"),
            "2026-10-25 12:00 Sun"
        );
        assert_eq!(
            sub(&cal, "2026-03-29 12:00", "24 working hours"),
            "2026-03-28 12:00 Sat"
        );
        let a = at(&cal, "2026-03-28 12:00");
        let b = at(&cal, "2026-03-29 12:00");
        assert_eq!(cal.working_minutes_between(a, b), 24 * 60);
    }

    #[test]
    fn a_nonexistent_local_result_is_the_first_instant_after_the_gap() {
        // 02:00-03:00 does not exist in Berlin on 2026-03-29.
        let cal = round_the_clock("Europe/Berlin");
        let start = at(&cal, "2026-03-29 01:30");
        assert_eq!(
            cal.add(start, dur("1 working hour")),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            cal.add(at(&cal, "2026-03-28 02:30"), dur("1 day")),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            cal.sub(at(&cal, "2026-03-30 02:30"), dur("1 day")),
            utc("2026-03-29T01:00:00Z")
        );
        // Counting back from after the gap lands inside it as well.
        let after = at(&cal, "2026-03-29 03:30");
        assert_eq!(
            cal.sub(after, dur("1 working hour")),
            utc("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn an_ambiguous_local_result_is_the_earliest_not_before_the_start() {
        // 02:00-03:00 happens twice in Berlin on 2026-10-25: first at UTC+2, then UTC+1.
        let cal = round_the_clock("Europe/Berlin");
        let first_pass = utc("2026-10-24T23:30:00Z"); // 01:30 CEST
        assert_eq!(
            cal.add(first_pass, dur("1 working hour")),
            utc("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            cal.add(at(&cal, "2026-10-24 02:30"), dur("1 day")),
            utc("2026-10-25T00:30:00Z")
        );
        // From the second 02:10, the earlier 02:40 is already past.
        let second_pass = utc("2026-10-25T01:10:00Z"); // 02:10 CET
        assert_eq!(
            cal.add(second_pass, dur("30 minutes")),
            utc("2026-10-25T01:40:00Z")
        );
        assert_eq!(
            cal.add(
                second_pass,
                Duration {
                    amount: 1,
                    unit: Unit::WorkingHours
                }
            ),
            utc("2026-10-25T02:10:00Z")
        );
        let half = cal.add(
            second_pass,
            Duration {
                amount: 0,
                unit: Unit::WorkingHours,
            },
        );
        assert_eq!(half, second_pass);
    }

    #[test]
    fn months_and_years_clamp_to_the_month_end() {
        let cal = Calendar::standard();
        assert_eq!(
            add(&cal, "2026-01-31 10:00", "1 month"),
            "2026-02-28 10:00 Sat"
        );
        assert_eq!(
            add(&cal, "2028-01-31 10:00", "1 month"),
            "2028-02-29 10:00 Tue"
        );
        assert_eq!(
            add(&cal, "2026-01-31 10:00", "2 months"),
            "2026-03-31 10:00 Tue"
        );
        assert_eq!(
            add(&cal, "2028-02-29 10:00", "1 year"),
            "2029-02-28 10:00 Wed"
        );
        assert_eq!(
            add(&cal, "2026-03-02 10:00", "3 years"),
            "2029-03-02 10:00 Fri"
        );
        assert_eq!(
            sub(&cal, "2026-03-31 10:00", "1 month"),
            "2026-02-28 10:00 Sat"
        );
        assert_eq!(
            sub(&cal, "2029-02-28 10:00", "1 year"),
            "2028-02-28 10:00 Mon"
        );
        let berlin = office("Europe/Berlin");
        // Across the spring change: the local time of day stays.
        assert_eq!(
            add(&berlin, "2026-02-28 09:00", "1 month"),
            "2026-03-28 09:00 Sat"
        );
        assert_eq!(
            add(&berlin, "2026-03-15 09:00", "1 month"),
            "2026-04-15 09:00 Wed"
        );
    }

    #[test]
    fn sub_mirrors_add() {
        let cal = office("UTC");
        assert_eq!(
            sub(&cal, "2026-03-09 09:30", "2 working hours"),
            "2026-03-06 16:30 Fri"
        );
        assert_eq!(
            sub(&cal, "2026-03-03 17:30", "2 working days"),
            "2026-03-02 08:30 Mon"
        );
        // Landing on an opening time returns it, the latest instant that still works.
        assert_eq!(
            sub(&cal, "2026-03-02 14:00", "1 working hour"),
            "2026-03-02 13:00 Mon"
        );
        assert_eq!(
            sub(&cal, "2026-03-04 08:30", "2 working days"),
            "2026-03-02 08:30 Mon"
        );
        // Lunch, and an end outside working hours.
        assert_eq!(
            sub(&cal, "2026-03-02 13:30", "1 working hour"),
            "2026-03-02 11:30 Mon"
        );
        assert_eq!(
            sub(&cal, "2026-03-07 10:00", "1 working hour"),
            "2026-03-06 16:30 Fri"
        );
        assert_eq!(
            sub(&cal, "2026-03-02 12:45", "1 working hour"),
            "2026-03-02 11:00 Mon"
        );
        assert_eq!(
            sub(&cal, "2026-03-02 07:00", "1 working hour"),
            "2026-02-27 16:30 Fri"
        );
        // "At least 1 week before the planned audit."
        assert_eq!(
            sub(&cal, "2026-03-11 09:00", "1 week"),
            "2026-03-04 09:00 Wed"
        );
        assert_eq!(
            sub(&cal, "2026-03-11 09:00", "90 minutes"),
            "2026-03-11 07:30 Wed"
        );
    }

    #[test]
    fn sub_undoes_add_inside_working_time() {
        let cal = office_with(
            "Europe/Berlin",
            &["2026-03-31", "2026-04-03"],
            &["2026-03-29"],
        );
        let mut t = at(&cal, "2026-03-23 00:00");
        let end = at(&cal, "2026-04-11 00:00");
        while t < end {
            for d in [
                "1 working hour",
                "7 working hours",
                "1 working day",
                "6 working days",
            ] {
                let d = dur(d);
                let later = cal.add(t, d);
                let back = cal.sub(later, d);
                // From outside working time, counting back lands on the closing time
                // before the next opening rather than at `t` itself.
                assert!(back >= t, "{} {d}", local(&cal, t));
                assert_eq!(
                    cal.working_minutes_between(t, back),
                    0,
                    "{}",
                    local(&cal, t)
                );
                assert_eq!(cal.add(back, d), later, "{} {d}", local(&cal, t));
                let minutes = cal.working_minutes_of(d).0 as i64;
                assert_eq!(cal.working_minutes_between(t, later), minutes);
                let earlier = cal.sub(t, d);
                assert_eq!(cal.working_minutes_between(earlier, t), minutes);
                assert!(cal.add(earlier, d) <= t);
            }
            t += TimeDelta::minutes(97);
        }
    }

    /// One wall-clock minute at a time, independent of the period and week logic.
    fn add_minute_by_minute(cal: &Calendar, start: NaiveDateTime, minutes: u64) -> NaiveDateTime {
        let mut w = start;
        let mut left = minutes;
        let mut day = (w.date(), cal.is_workday(w.date()));
        while left > 0 {
            if day.0 != w.date() {
                day = (w.date(), cal.is_workday(w.date()));
            }
            let minute = w.hour() * 60 + w.minute();
            if day.1
                && cal
                    .periods
                    .iter()
                    .any(|p| p.start <= minute && minute < p.end)
            {
                left -= 1;
            }
            w += TimeDelta::minutes(1);
        }
        w
    }

    #[test]
    fn agrees_with_a_minute_by_minute_count() {
        let cal = office_with("UTC", &["2026-03-04", "2026-03-10"], &["2026-03-08"]);
        let mut wall = date("2026-03-02").and_hms_opt(0, 0, 0).unwrap();
        while wall < date("2026-03-16").and_hms_opt(0, 0, 0).unwrap() {
            for minutes in [1, 59, 60, 210, 211, 480, 1000, 2000] {
                let expected = add_minute_by_minute(&cal, wall, minutes);
                // The minute walk stops right after the last minute it counted, which is
                // the earliest instant, as `add` promises.
                let got = cal.walk_forward(wall, minutes).unwrap();
                assert_eq!(got, expected, "{wall} + {minutes}");
            }
            wall += TimeDelta::minutes(97);
        }
    }

    /// Day by day without jumping weeks, to check the jumps.
    fn add_day_by_day(cal: &Calendar, from: NaiveDateTime, minutes: u64) -> NaiveDateTime {
        let mut left = TimeDelta::minutes(minutes as i64);
        let mut day = from.date();
        loop {
            for (open, close) in cal.day_periods(day) {
                let open = open.max(from);
                if close > open {
                    if left <= close - open {
                        return open + left;
                    }
                    left -= close - open;
                }
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn week_jumps_agree_with_a_day_by_day_count() {
        let holidays: Vec<String> = (2026..2040)
            .flat_map(|y| {
                [
                    format!("{y}-01-01"),
                    format!("{y}-05-01"),
                    format!("{y}-12-25"),
                ]
            })
            .collect();
        let extra: Vec<String> = (2026..2040).map(|y| format!("{y}-06-07")).collect();
        let holidays: Vec<&str> = holidays.iter().map(String::as_str).collect();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let cal = office_with("UTC", &holidays, &extra);
        let from = date("2026-03-04").and_hms_opt(10, 17, 0).unwrap();
        for days in [5, 6, 7, 30, 257, 258, 1000, 2610] {
            let minutes = days * 480;
            for extra_minutes in [0, 1, 479] {
                let m = minutes + extra_minutes;
                let expected = add_day_by_day(&cal, from, m);
                assert_eq!(cal.walk_forward(from, m).unwrap(), expected, "{m}");
                let start = from.and_utc();
                let end = expected.and_utc();
                assert_eq!(cal.working_minutes_between(start, end), m as i64, "{m}");
                assert_eq!(cal.walk_backward(expected, m).unwrap(), from, "{m}");
            }
        }
    }

    #[test]
    fn ten_years_of_working_days_is_quick() {
        let cal = office("Europe/Berlin");
        let start = at(&cal, "2026-01-05 08:30");
        let end = cal.add(start, dur("2610 working days"));
        assert_eq!(local(&cal, end), "2036-01-04 17:30 Fri");
        assert_eq!(cal.sub(end, dur("2610 working days")), start);
        assert_eq!(cal.working_minutes_between(start, end), 2610 * 480);
        // A thousand years still only steps through weeks.
        let far = cal.add(start, dur("260000 working days"));
        assert_eq!(far.with_timezone(&cal.tz).year(), 3022);
    }

    #[test]
    fn a_century_without_working_time_gives_far_future() {
        let closed: Vec<NaiveDate> = date("2026-03-02")
            .iter_days()
            .take(MAX_IDLE_DAYS as usize + 400)
            .collect();
        let cal =
            Calendar::new("UTC", &WEEKDAYS, &strings(&["09:00-17:00"]), &closed, &[]).unwrap();
        let start = at(&cal, "2026-03-02 09:00");
        assert_eq!(cal.add(start, dur("1 working hour")), FAR_FUTURE);
        let end = at(&cal, "2126-06-01 09:00");
        assert_eq!(cal.sub(end, dur("1 working hour")), FAR_PAST);
        assert_eq!(cal.working_minutes_between(start, end), 0);
        // A shorter closure is waited out.
        let cal = Calendar::new(
            "UTC",
            &WEEKDAYS,
            &strings(&["09:00-17:00"]),
            &closed[..3650],
            &[],
        )
        .unwrap();
        assert_eq!(
            local(&cal, cal.add(start, dur("1 working hour"))),
            "2036-02-28 10:00 Thu"
        );
    }

    #[test]
    fn huge_amounts_and_extreme_instants_saturate_without_panicking() {
        let cals = [
            office("Asia/Shanghai"),
            office("America/Los_Angeles"),
            round_the_clock("Pacific/Kiritimati"),
        ];
        let instants = [
            DateTime::<Utc>::MIN_UTC,
            FAR_PAST,
            utc("2026-03-02T10:00:00Z"),
            FAR_FUTURE,
            DateTime::<Utc>::MAX_UTC,
        ];
        let units = [
            Unit::Minutes,
            Unit::Hours,
            Unit::Days,
            Unit::Weeks,
            Unit::Months,
            Unit::Years,
            Unit::WorkingHours,
            Unit::WorkingDays,
        ];
        for cal in &cals {
            for &t in &instants {
                for unit in units {
                    for amount in [1, 1_000_000, u32::MAX] {
                        let d = Duration { amount, unit };
                        let later = cal.add(t, d);
                        let earlier = cal.sub(t, d);
                        assert!(later >= t, "{t} + {d}");
                        assert!(earlier <= t, "{t} - {d}");
                        if t == utc("2026-03-02T10:00:00Z") && amount == u32::MAX {
                            assert_eq!(later, FAR_FUTURE, "{d}");
                            assert_eq!(earlier, FAR_PAST, "{d}");
                        }
                    }
                }
                assert!(cal.working_minutes_between(t, DateTime::<Utc>::MAX_UTC) >= 0);
            }
            let all =
                cal.working_minutes_between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
            assert!(all > 0);
        }
    }

    #[test]
    fn working_minutes_between_counts_only_working_time() {
        let cal = office_with("UTC", &["2026-03-04"], &[]);
        let between = |a: &str, b: &str| cal.working_minutes_between(at(&cal, a), at(&cal, b));
        assert_eq!(between("2026-03-02 08:30", "2026-03-02 17:30"), 480);
        assert_eq!(between("2026-03-02 11:00", "2026-03-02 14:00"), 120);
        assert_eq!(between("2026-03-02 12:10", "2026-03-02 12:50"), 0);
        assert_eq!(between("2026-03-02 00:00", "2026-03-09 00:00"), 4 * 480);
        assert_eq!(between("2026-03-06 17:00", "2026-03-09 09:00"), 60);
        assert_eq!(between("2026-03-09 09:00", "2026-03-06 17:00"), 0);
        assert_eq!(between("2026-03-02 09:00", "2026-03-02 09:00"), 0);
        // Rounded down to whole minutes.
        let a = at(&cal, "2026-03-02 09:00");
        assert_eq!(
            cal.working_minutes_between(a, a + TimeDelta::seconds(119)),
            1
        );
    }

    #[test]
    fn working_minutes_of_converts_calendar_units_at_the_average_rate() {
        let cal = Calendar::new(
            "UTC",
            &WEEKDAYS,
            &strings(&["08:00-12:00", "13:00-17:30"]),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(cal.working_minutes_per_day(), 510);
        assert_eq!(cal.working_minutes_of(dur("2 working days")), (1020, None));
        assert_eq!(cal.working_minutes_of(dur("3 working hours")), (180, None));
        assert_eq!(cal.working_minutes_of(Duration::IMMEDIATELY), (0, None));
        let (minutes, note) = cal.working_minutes_of(dur("1 day"));
        assert_eq!(minutes, 364); // 510 * 5 / 7 = 364.3
        assert_eq!(
            note.as_deref(),
            Some(
                "1 day counted as 5/7 of a working day (8 h 30 min of work a day, 5 workdays a week)"
            )
        );
        let (minutes, note) = cal.working_minutes_of(dur("7 days"));
        assert_eq!(minutes, 2550);
        assert!(note.is_some());
        let (minutes, note) = cal.working_minutes_of(dur("2 weeks"));
        assert_eq!(minutes, 5100);
        assert_eq!(
            note.as_deref(),
            Some("1 week counted as 5 working days (8 h 30 min of work a day)")
        );
        let (minutes, note) = cal.working_minutes_of(dur("1 month"));
        assert_eq!(minutes, (30 * 510 * 5 + 3) / 7);
        assert!(note.unwrap().starts_with("1 month counted as 30 days"));
        let (minutes, note) = cal.working_minutes_of(dur("1 year"));
        assert_eq!(minutes, (365 * 510 * 5 + 3) / 7);
        assert!(note.unwrap().starts_with("1 year counted as 365 days"));
        assert_eq!(cal.working_minutes_of(dur("3 hours")).0, 180);
        assert_eq!(cal.working_minutes_of(dur("45 minutes")).0, 45);
        assert_eq!(
            cal.working_minutes_of(dur("3 hours")).1.as_deref(),
            Some("1 hour counted as 1 working hour")
        );
        // A working day outweighs a calendar day, which is why the rate matters.
        assert!(
            cal.working_minutes_of(dur("1 working day")).0 > cal.working_minutes_of(dur("1 day")).0
        );
        let every_day = round_the_clock("UTC");
        assert_eq!(
            every_day.working_minutes_of(dur("1 day")),
            (
                1440,
                Some(
                    "1 day counted as a full working day (24 h of work a day, 7 workdays a week)"
                        .into()
                )
            )
        );
        let huge = Duration {
            amount: u32::MAX,
            unit: Unit::Years,
        };
        assert!(every_day.working_minutes_of(huge).0 > 0);
    }
}
