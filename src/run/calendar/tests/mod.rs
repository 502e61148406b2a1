//! Unit tests of the calendar, by concept; the helpers below read instants on the local
//! clock.

mod clock;
mod counting;
mod limits;
mod weekly;

use super::*;
use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
use chrono::{NaiveDateTime, TimeZone, Timelike};

pub(super) const WEEKDAYS: [Weekday; 5] = [Mon, Tue, Wed, Thu, Fri];

pub(super) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn dur(s: &str) -> Duration {
    s.parse().unwrap()
}

/// Office hours with a lunch break, Monday to Friday.
pub(super) fn office(tz: &str) -> Calendar {
    office_with(tz, &[], &[])
}

pub(super) fn office_with(tz: &str, holidays: &[&str], extra: &[&str]) -> Calendar {
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

pub(super) fn round_the_clock(tz: &str) -> Calendar {
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
pub(super) fn at(cal: &Calendar, s: &str) -> DateTime<Utc> {
    let wall = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    cal.tz.from_local_datetime(&wall).single().unwrap().to_utc()
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// An instant shown on the calendar's local clock, with the weekday.
pub(super) fn local(cal: &Calendar, t: DateTime<Utc>) -> String {
    t.with_timezone(&cal.tz)
        .format("%Y-%m-%d %H:%M %a")
        .to_string()
}

pub(super) fn add(cal: &Calendar, start: &str, d: &str) -> String {
    local(cal, cal.add(at(cal, start), dur(d)))
}

pub(super) fn sub(cal: &Calendar, end: &str, d: &str) -> String {
    local(cal, cal.sub(at(cal, end), dur(d)))
}
