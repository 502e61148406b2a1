//! When a planned step (`planned: true`) takes place: a date (`2026-12-29`), or a date and
//! time on the office clock (`2026-12-29 14:00`). Deadlines and earliest times written
//! `{ time, before: STEP }` count back from it: from a date in days, weeks, months or
//! working days to the end (deadline) or start (earliest time) of the day counted back;
//! from a date-time to the exact instant.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::calendar::Calendar;
use super::clock;
use crate::spec::duration::Duration;

/// A planned step's date, or date and time (local, on the time zone of the run's calendar,
/// which the run's snapshot pins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlannedAt {
    /// A day: the step takes place some time that day.
    Day(NaiveDate),
    /// A wall-clock time on the office clock, to the minute.
    At(NaiveDateTime),
}

/// The shapes a planned date takes, for messages.
pub const SHAPES: &str =
    "YYYY-MM-DD or YYYY-MM-DD HH:MM (also YYYY-MM-DDTHH:MM), on the office clock";

impl PlannedAt {
    /// Reads a planned date as people type it: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or
    /// `YYYY-MM-DDTHH:MM` (surrounding spaces ignored). Any other shape is refused with a
    /// message naming the accepted ones.
    pub fn parse(text: &str) -> Result<PlannedAt, String> {
        let text = text.trim();
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(PlannedAt::Day(day));
        }
        for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
            if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
                return Ok(PlannedAt::At(at));
            }
        }
        Err(format!(
            "`{text}` is not a date or date and time: write {SHAPES}"
        ))
    }

    /// The text an event keeps and a record shows: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`.
    /// [`PlannedAt::parse`] reads it back.
    pub fn stored(&self) -> String {
        match self {
            PlannedAt::Day(day) => day.format("%Y-%m-%d").to_string(),
            PlannedAt::At(at) => at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// The day it falls on.
    pub fn day(&self) -> NaiveDate {
        match self {
            PlannedAt::Day(day) => *day,
            PlannedAt::At(at) => at.date(),
        }
    }

    /// The deadline of a step due `d` before it (`within: { time, before }`): for a date,
    /// [`Calendar::due_before_date`]; for a date-time, the instant `d` before it
    /// ([`Calendar::sub`]).
    pub fn due_before(&self, calendar: &Calendar, d: Duration) -> DateTime<Utc> {
        match self {
            PlannedAt::Day(day) => calendar.due_before_date(*day, d),
            PlannedAt::At(at) => calendar.sub(clock::on_office_clock(*at, calendar.timezone()), d),
        }
    }

    /// The earliest time of a step not to be done sooner than `d` before it (`after: {
    /// time, before }`): for a date, [`Calendar::earliest_before_date`]; for a date-time,
    /// the instant `d` before it.
    pub fn earliest_before(&self, calendar: &Calendar, d: Duration) -> DateTime<Utc> {
        match self {
            PlannedAt::Day(day) => calendar.earliest_before_date(*day, d),
            PlannedAt::At(at) => calendar.sub(clock::on_office_clock(*at, calendar.timezone()), d),
        }
    }

    /// When a planned step without a deadline of its own is due: the end of its day (the
    /// start of the next one in `tz`), also when a time is planned, since the step is
    /// signed once it has taken place.
    pub fn end_of_day(&self, tz: Tz) -> Option<DateTime<Utc>> {
        self.day().succ_opt().map(|next| clock::start_of(next, tz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planned_date_reads_a_day_or_a_time_on_the_office_clock() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 29).unwrap();
        assert_eq!(PlannedAt::parse(" 2026-12-29 "), Ok(PlannedAt::Day(day)));
        let at = PlannedAt::At(day.and_hms_opt(14, 0, 0).unwrap());
        assert_eq!(PlannedAt::parse("2026-12-29 14:00"), Ok(at));
        assert_eq!(PlannedAt::parse("2026-12-29T14:00"), Ok(at));
        assert_eq!(at.stored(), "2026-12-29 14:00");
        assert_eq!(PlannedAt::parse(&at.stored()), Ok(at));
        assert_eq!(PlannedAt::Day(day).stored(), "2026-12-29");
        for wrong in [
            "29.12.2026",
            "2026-12-29 14",
            "2026-12-29 25:00",
            "tomorrow",
            "",
        ] {
            let e = PlannedAt::parse(wrong).unwrap_err();
            assert!(e.contains("YYYY-MM-DD or YYYY-MM-DD HH:MM"), "{wrong}: {e}");
        }
    }

    #[test]
    fn a_deadline_before_a_planned_time_counts_back_from_that_instant() {
        let cal = Calendar::standard();
        let tz = cal.timezone();
        let meeting = PlannedAt::parse("2026-12-29 14:00").unwrap();
        let week: Duration = "1 week".parse().unwrap();
        // A week before Tuesday 14:00 is the Tuesday before at 14:00, not its end of day.
        assert_eq!(
            clock::show(meeting.due_before(&cal, week), tz),
            "2026-12-22 14:00"
        );
        assert_eq!(
            clock::show(meeting.earliest_before(&cal, week), tz),
            "2026-12-22 14:00"
        );
        let day = PlannedAt::parse("2026-12-29").unwrap();
        assert_eq!(
            clock::show(day.due_before(&cal, week), tz),
            "2026-12-23 00:00"
        );
        assert_eq!(
            meeting.end_of_day(tz),
            day.end_of_day(tz),
            "a planned step is due by the end of its day either way"
        );
    }
}
