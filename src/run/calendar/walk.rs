//! Walking the working periods day by day, jumping whole weeks where nothing special
//! happens: the core of adding, subtracting and measuring working time.

use chrono::{Days, NaiveDate, NaiveDateTime, TimeDelta};

use super::hours::at_minute;
use super::{Calendar, FIRST_DATE, LAST_DATE, MAX_IDLE_DAYS};

impl Calendar {
    /// Whole weeks from `day` on that contain no holiday or extra workday, so that they
    /// hold exactly `week_minutes` of work.
    pub(super) fn plain_weeks_from(&self, day: NaiveDate) -> i64 {
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
    pub(super) fn plain_weeks_until(&self, day: NaiveDate) -> i64 {
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
    pub(super) fn day_periods(
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
    pub(super) fn walk_forward(&self, from: NaiveDateTime, minutes: u64) -> Option<NaiveDateTime> {
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
    pub(super) fn walk_backward(&self, to: NaiveDateTime, minutes: u64) -> Option<NaiveDateTime> {
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
    pub(super) fn wall_working_time(&self, a: NaiveDateTime, b: NaiveDateTime) -> TimeDelta {
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
