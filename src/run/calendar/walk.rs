//! Walking the working periods day by day, jumping whole weeks where nothing special
//! happens: the core of adding, subtracting and measuring working time.
//!
//! Working hours are walked in real time: each day's ranges, read on the office clock,
//! become real intervals (a range spanning a daylight-saving change is an hour shorter or
//! longer). Working days are walked as days, with the position inside a day measured on
//! the office clock.
//!
//! A jump over whole weeks assumes each holds a regular week of work. Weeks with a holiday
//! or an extra workday are never jumped; a daylight-saving change inside working hours
//! would make the real length differ, so a jump must also span an even number of changes
//! (the zone's offset is the same at both ends). Within a rule a zone changes in both
//! directions at the same local time on the same weekday, so the two changes inside a jump
//! fall both inside or both outside working hours and cancel out.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc};

use super::hours::{at_minute, minutes_done, total_minutes, wall_at};
use super::zone::Bound;
use super::{Calendar, FIRST_DATE, LAST_DATE, MAX_IDLE_DAYS};

/// How many weeks shorter a jump may be tried to span an even number of clock changes;
/// two changes a year put one within 53 weeks of any point.
const EVEN_SEARCH_WEEKS: i64 = 60;

impl Calendar {
    /// Whole weeks from `day` on that contain no holiday or extra workday, so that they
    /// hold exactly `week_minutes` of work on the office clock.
    fn plain_weeks_from(&self, day: NaiveDate) -> i64 {
        let next = [
            self.holidays.range(day..).next().map(|(d, _)| d),
            self.extra_workdays.range(day..).next().map(|(d, _)| d),
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
            self.holidays.range(..=day).next_back().map(|(d, _)| d),
            self.extra_workdays
                .range(..=day)
                .next_back()
                .map(|(d, _)| d),
        ]
        .into_iter()
        .flatten()
        .max();
        match prev {
            Some(special) => day.signed_duration_since(*special).num_days() / 7,
            None => i64::MAX / 7,
        }
    }

    /// The zone's offset from UTC at the start of `day`, in seconds.
    fn offset_at_start(&self, day: NaiveDate) -> Option<i32> {
        let start = self.first_instant(day.and_time(NaiveTime::MIN))?;
        Some(
            self.tz
                .offset_from_utc_datetime(&start.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// At most `weeks` whole weeks starting with `day` (forward) or ending with it
    /// (backward) whose span has the same offset at its start and its end, so that their
    /// real working time is the regular one (see the module comment).
    fn even_weeks(&self, day: NaiveDate, weeks: i64, forward: bool) -> i64 {
        // The span's far end moves with the number of weeks; its near end stays.
        let near = if forward { Some(day) } else { day.succ_opt() };
        let Some(here) = near.and_then(|d| self.offset_at_start(d)) else {
            return 0;
        };
        let same = |w: i64| {
            let days = Days::new(u64::try_from(w * 7).unwrap_or(u64::MAX));
            let far = if forward {
                day.checked_add_days(days)
            } else {
                near.and_then(|d| d.checked_sub_days(days))
            };
            far.and_then(|d| self.offset_at_start(d)) == Some(here)
        };
        // Near the longest jump first; halving it reaches across a change of the zone's
        // standard offset (local mean time ending, say) in a few steps.
        let mut top = weeks;
        while top > 0 {
            let lowest = (top - EVEN_SEARCH_WEEKS).max(1);
            if let Some(w) = (lowest..=top).rev().find(|&w| same(w)) {
                return w;
            }
            if lowest == 1 {
                break;
            }
            top /= 2;
        }
        0
    }

    /// The real intervals worked on `day`, in order: an opening that occurs twice is its
    /// first occurrence and a closing its last, one inside a gap is the end of the gap.
    pub(super) fn day_intervals(&self, day: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        for p in self.periods_on(day) {
            let (Some(open), Some(close)) = (at_minute(day, p.start), at_minute(day, p.end)) else {
                continue;
            };
            let (Some(open), Some(close)) = (self.first_instant(open), self.last_instant(close))
            else {
                continue;
            };
            let open = out.last().map_or(open, |&(_, prev)| open.max(prev));
            if close > open {
                out.push((open, close));
            }
        }
        out
    }

    /// The first opening and last closing of `day` as instants; `None` without work.
    pub(super) fn day_bounds(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let intervals = self.day_intervals(day);
        Some((intervals.first()?.0, intervals.last()?.1))
    }

    /// Real weeks of regular work, for jumps.
    fn week_delta(&self) -> TimeDelta {
        TimeDelta::minutes(self.week_minutes())
    }

    /// The instant at which `minutes` of real working time have passed from `from`;
    /// `None` past 9999 or after [`MAX_IDLE_DAYS`] without work.
    pub(super) fn walk_forward(&self, from: DateTime<Utc>, minutes: u64) -> Option<DateTime<Utc>> {
        let week_secs = self.week_minutes() * 60;
        let mut remaining = TimeDelta::try_seconds(i64::try_from(minutes).ok()?.checked_mul(60)?)?;
        // A day before, in case a change at midnight makes yesterday's work end after `from`;
        // no jump before `from`'s own day has been walked, as it may be partly over.
        let first = self.wall(from)?.date();
        let mut day = first.pred_opt()?;
        let mut cursor = from;
        let mut idle_days = 0;
        loop {
            if day > LAST_DATE {
                return None;
            }
            let mut worked = false;
            for (open, close) in self.day_intervals(day) {
                let open = open.max(cursor);
                if close > open {
                    worked = true;
                    let available = close - open;
                    // `<=` so that landing exactly on a closing time returns it.
                    if remaining <= available {
                        return open.checked_add_signed(remaining);
                    }
                    remaining -= available;
                    cursor = close;
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
            let weeks = if weeks > 0 && day > first {
                self.even_weeks(day, weeks, true)
            } else {
                0
            };
            if weeks > 0 {
                day = day.checked_add_days(Days::new(u64::try_from(weeks).ok()? * 7))?;
                remaining -= self.week_delta() * i32::try_from(weeks).ok()?;
                idle_days = 0;
            }
        }
    }

    /// The mirror of [`Calendar::walk_forward`]: the instant from which `minutes` of real
    /// working time end at `to`.
    pub(super) fn walk_backward(&self, to: DateTime<Utc>, minutes: u64) -> Option<DateTime<Utc>> {
        let week_secs = self.week_minutes() * 60;
        let mut remaining = TimeDelta::try_seconds(i64::try_from(minutes).ok()?.checked_mul(60)?)?;
        let last = self.wall(to)?.date();
        let mut day = last.succ_opt()?;
        let mut cursor = to;
        let mut idle_days = 0;
        loop {
            if day < FIRST_DATE {
                return None;
            }
            let mut worked = false;
            for (open, close) in self.day_intervals(day).into_iter().rev() {
                let close = close.min(cursor);
                if close > open {
                    worked = true;
                    let available = close - open;
                    if remaining <= available {
                        return close.checked_sub_signed(remaining);
                    }
                    remaining -= available;
                    cursor = open;
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
            let weeks = if weeks > 0 && day < last {
                self.even_weeks(day, weeks, false)
            } else {
                0
            };
            if weeks > 0 {
                day = day.checked_sub_days(Days::new(u64::try_from(weeks).ok()? * 7))?;
                remaining -= self.week_delta() * i32::try_from(weeks).ok()?;
                idle_days = 0;
            }
        }
    }

    /// Real working time between two instants, `a < b`.
    pub(super) fn working_time(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let mut total = TimeDelta::zero();
        let (Some(wall_a), Some(wall_b)) = (self.wall(a), self.wall(b)) else {
            return total;
        };
        let last = wall_b.date();
        let first = wall_a.date();
        let Some(mut day) = first.pred_opt() else {
            return total;
        };
        let mut cursor = a;
        while day <= last {
            for (open, close) in self.day_intervals(day) {
                let (open, close) = (open.max(cursor), close.min(b));
                if close > open {
                    total += close - open;
                    cursor = close;
                }
            }
            let Some(next) = day.succ_opt() else {
                break;
            };
            day = next;
            // Only weeks that end before `b`'s date, which is clipped day by day.
            let weeks = self
                .plain_weeks_from(day)
                .min(last.signed_duration_since(day).num_days() / 7);
            let weeks = if weeks > 0 && day > first {
                self.even_weeks(day, weeks, true)
            } else {
                0
            };
            if weeks > 0 {
                let (Ok(days), Ok(times)) = (u64::try_from(weeks * 7), i32::try_from(weeks)) else {
                    break;
                };
                let Some(next) = day.checked_add_days(Days::new(days)) else {
                    break;
                };
                day = next;
                total += self.week_delta() * times;
            }
        }
        total
    }

    /// The `n`-th day with work after `day` (`n >= 1`); `None` past 9999 or after
    /// [`MAX_IDLE_DAYS`] without work.
    fn nth_workday_after(&self, day: NaiveDate, n: u64) -> Option<NaiveDate> {
        self.nth_workday(day, n, true)
    }

    /// The `n`-th day with work before `day` (`n >= 1`), `day` itself not counted.
    pub(super) fn nth_workday_before(&self, day: NaiveDate, n: u64) -> Option<NaiveDate> {
        self.nth_workday(day, n, false)
    }

    fn nth_workday(&self, mut day: NaiveDate, mut n: u64, forward: bool) -> Option<NaiveDate> {
        let per_week = u64::from(self.workdays_per_week());
        let mut idle_days = 0;
        loop {
            day = if forward {
                day.succ_opt()?
            } else {
                day.pred_opt()?
            };
            if !(FIRST_DATE..=LAST_DATE).contains(&day) {
                return None;
            }
            if self.is_workday(day) {
                n -= 1;
                idle_days = 0;
                if n == 0 {
                    return Some(day);
                }
            } else {
                idle_days += 1;
                if idle_days > MAX_IDLE_DAYS {
                    return None;
                }
            }
            // Whole plain weeks after (or before) `day` that cannot hold the n-th day.
            let (plain, room) = if forward {
                let next = day.succ_opt()?;
                (
                    self.plain_weeks_from(next),
                    LAST_DATE.signed_duration_since(next).num_days() / 7,
                )
            } else {
                let prev = day.pred_opt()?;
                (
                    self.plain_weeks_until(prev),
                    prev.signed_duration_since(FIRST_DATE).num_days() / 7,
                )
            };
            let weeks = u64::try_from(plain.min(room))
                .unwrap_or(0)
                .min((n - 1) / per_week.max(1));
            if weeks > 0 {
                let days = Days::new(weeks * 7);
                day = if forward {
                    day.checked_add_days(days)?
                } else {
                    day.checked_sub_days(days)?
                };
                n -= weeks * per_week;
            }
        }
    }

    /// `n` working days from `start` (see [`Calendar::add`]).
    pub(super) fn add_working_days(&self, start: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        let wall = self.wall(start)?;
        let mut day = wall.date();
        let mut done = minutes_done(day, self.periods_on(day), wall);
        if done >= total_minutes(self.periods_on(day)) {
            day = self.nth_workday_after(day, 1)?;
            done = 0;
        }
        if done == 0 {
            let last = if n > 1 {
                self.nth_workday_after(day, n - 1)?
            } else {
                day
            };
            return Some(self.day_bounds(last)?.1.max(start));
        }
        let target = self.nth_workday_after(day, n)?;
        let periods = self.periods_on(target);
        let wall = wall_at(target, periods, done.min(total_minutes(periods)), true)?;
        self.instant(wall, Bound::NotBefore(start))
    }

    /// The latest instant from which `n` working days end at `end` (see
    /// [`Calendar::sub`]).
    pub(super) fn sub_working_days(&self, end: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        let wall = self.wall(end)?;
        let mut day = wall.date();
        let mut done = minutes_done(day, self.periods_on(day), wall);
        if done == 0 {
            day = self.nth_workday_before(day, 1)?;
            done = total_minutes(self.periods_on(day));
        }
        if done >= total_minutes(self.periods_on(day)) {
            let first = if n > 1 {
                self.nth_workday_before(day, n - 1)?
            } else {
                day
            };
            return Some(self.day_bounds(first)?.0.min(end));
        }
        let target = self.nth_workday_before(day, n)?;
        let periods = self.periods_on(target);
        let wall = wall_at(target, periods, done.min(total_minutes(periods)), false)?;
        self.instant(wall, Bound::NotAfter(end))
    }
}
