//! Format 1.1: real elapsed working time across clock changes, hours per weekday, part
//! days, and deadlines counted back from a planned date.

use super::*;

fn ranges(v: &[&str]) -> Vec<String> {
    strings(v)
}

fn part(day: &str, hours: &[&str]) -> SpecialDay {
    SpecialDay {
        date: date(day),
        hours: Some(ranges(hours)),
    }
}

/// Monday to Thursday 08:00-17:00 with a half-hour lunch, Friday 08:00-14:30.
fn short_friday() -> Calendar {
    let long = ranges(&["08:00-12:00", "12:30-17:00"]);
    Calendar::build(
        "Europe/Amsterdam",
        &WEEKDAYS,
        &WeeklyHours::PerWeekday([
            long.clone(),
            long.clone(),
            long.clone(),
            long,
            ranges(&["08:00-14:30"]),
            vec![],
            vec![],
        ]),
        &[],
        &[],
    )
    .unwrap()
}

/// 08:00-17:00 on weekdays; Christmas Day off, Christmas Eve (a Thursday) until noon, and
/// Saturday 10 October worked 09:00-15:00.
fn christmas() -> Calendar {
    Calendar::build(
        "Europe/Amsterdam",
        &WEEKDAYS,
        &WeeklyHours::Daily(ranges(&["08:00-17:00"])),
        &[
            SpecialDay::whole(date("2026-12-25")),
            part("2026-12-24", &["08:00-12:00"]),
        ],
        &[part("2026-10-10", &["09:00-15:00"])],
    )
    .unwrap()
}

#[test]
fn round_the_clock_working_hours_are_real_hours_across_both_changes() {
    let cal = round_the_clock("Europe/Amsterdam");
    // Spring forward: 29 March 2026, 02:00 becomes 03:00. Fall back: 25 October 2026,
    // 03:00 becomes 02:00.
    for start in [
        "2026-03-28 23:00",
        "2026-03-29 01:30",
        "2026-10-24 23:30",
        "2026-10-25 01:59",
    ] {
        let t = at(&cal, start);
        for hours in [1, 4, 24, 100] {
            let d = dur(&format!("{hours} working hours"));
            let later = cal.add(t, d);
            assert_eq!(later - t, TimeDelta::hours(hours), "{start} + {d}");
            assert_eq!(cal.sub(later, d), t, "{start} + {d} - {d}");
            assert_eq!(cal.working_minutes_between(t, later), hours * 60);
            assert_eq!(cal.add(t, dur(&format!("{hours} hours"))), later);
        }
    }
    assert_eq!(
        add(&cal, "2026-03-29 01:30", "1 working hour"),
        "2026-03-29 03:30 Sun"
    );
    assert_eq!(
        add(&cal, "2026-10-25 01:30", "4 working hours"),
        "2026-10-25 04:30 Sun"
    );
    let day = |d: &str| {
        let a = at(&cal, &format!("{d} 00:00"));
        let b = cal.add(a, dur("1 day"));
        cal.working_minutes_between(a, b)
    };
    assert_eq!(day("2026-03-29"), 23 * 60);
    assert_eq!(day("2026-10-25"), 25 * 60);
    assert_eq!(day("2026-06-01"), 24 * 60);
    // A working day keeps the time of day, as a calendar day does.
    assert_eq!(
        add(&cal, "2026-03-28 10:00", "1 working day"),
        "2026-03-29 10:00 Sun"
    );
    assert_eq!(
        add(&cal, "2026-10-24 10:00", "1 working day"),
        "2026-10-25 10:00 Sun"
    );
}

#[test]
fn an_office_range_across_a_change_is_an_hour_shorter_or_longer() {
    let night = Calendar::new(
        "Europe/Amsterdam",
        &[Weekday::Sun],
        &ranges(&["00:00-06:00"]),
        &[],
        &[],
    )
    .unwrap();
    let minutes = |d: &str| {
        let a = at(&night, &format!("{d} 00:00"));
        let b = at(&night, &format!("{d} 12:00"));
        night.working_minutes_between(a, b)
    };
    assert_eq!(minutes("2026-03-29"), 5 * 60);
    assert_eq!(minutes("2026-10-25"), 7 * 60);
    assert_eq!(minutes("2026-06-07"), 6 * 60);
}

#[test]
fn week_jumps_count_real_hours_across_a_year_of_changes() {
    let cal = round_the_clock("Europe/Amsterdam");
    let t = at(&cal, "2026-01-05 09:00");
    for weeks in [10, 20, 30, 52, 60, 104] {
        let hours = 24 * 7 * weeks;
        let later = cal.add(t, dur(&format!("{hours} working hours")));
        assert_eq!(later - t, TimeDelta::hours(hours), "{weeks} weeks");
        assert_eq!(cal.working_minutes_between(t, later), hours * 60);
        assert_eq!(cal.sub(later, dur(&format!("{hours} working hours"))), t);
    }
}

#[test]
fn a_short_friday_ends_earlier() {
    let cal = short_friday();
    assert_eq!(cal.hours_on(date("2026-06-12")), ["08:00-14:30"]);
    assert_eq!(
        cal.hours_on(date("2026-06-11")),
        ["08:00-12:00", "12:30-17:00"]
    );
    assert_eq!(cal.working_minutes_per_day(), (4 * 510 + 390) / 5);
    assert_eq!(
        add(&cal, "2026-06-12 13:30", "2 working hours"),
        "2026-06-15 09:00 Mon"
    );
    assert_eq!(
        add(&cal, "2026-06-11 10:00", "1 working day"),
        "2026-06-12 10:00 Fri"
    );
    // Later than Friday's closing: the day ends there.
    assert_eq!(
        add(&cal, "2026-06-11 16:00", "1 working day"),
        "2026-06-12 14:30 Fri"
    );
    assert_eq!(
        add(&cal, "2026-06-08 07:00", "5 working days"),
        "2026-06-12 14:30 Fri"
    );
    assert_eq!(
        add(&cal, "2026-06-12 14:30", "1 working day"),
        "2026-06-15 17:00 Mon"
    );
    assert_eq!(
        sub(&cal, "2026-06-12 14:30", "1 working day"),
        "2026-06-12 08:00 Fri"
    );
    assert_eq!(
        sub(&cal, "2026-06-12 10:00", "1 working day"),
        "2026-06-11 10:00 Thu"
    );
    let a = at(&cal, "2026-06-08 00:00");
    let b = at(&cal, "2026-06-15 00:00");
    assert_eq!(cal.working_minutes_between(a, b), 4 * 510 + 390);
}

#[test]
fn christmas_eve_is_a_half_day() {
    let cal = christmas();
    assert_eq!(cal.hours_on(date("2026-12-24")), ["08:00-12:00"]);
    assert!(cal.is_workday(date("2026-12-24")));
    assert!(!cal.is_workday(date("2026-12-25")));
    assert_eq!(
        add(&cal, "2026-12-24 10:00", "4 working hours"),
        "2026-12-28 10:00 Mon"
    );
    assert_eq!(
        add(&cal, "2026-12-23 15:00", "1 working day"),
        "2026-12-24 12:00 Thu"
    );
    assert_eq!(
        add(&cal, "2026-12-23 15:00", "2 working days"),
        "2026-12-28 15:00 Mon"
    );
    assert_eq!(
        sub(&cal, "2026-12-28 09:00", "2 working hours"),
        "2026-12-24 11:00 Thu"
    );
    // The extra Saturday works its own hours.
    assert_eq!(cal.hours_on(date("2026-10-10")), ["09:00-15:00"]);
    assert_eq!(
        add(&cal, "2026-10-09 16:00", "2 working hours"),
        "2026-10-10 10:00 Sat"
    );
}

#[test]
fn two_weeks_before_a_planned_date_is_due_at_the_end_of_that_day() {
    let cal = office("Europe/Amsterdam");
    let meeting = date("2026-06-15");
    let due = cal.due_before_date(meeting, dur("2 weeks"));
    assert_eq!(local(&cal, due), "2026-06-02 00:00 Tue");
    assert_eq!(
        local(&cal, cal.earliest_before_date(meeting, dur("2 weeks"))),
        "2026-06-01 00:00 Mon"
    );
    assert_eq!(
        local(&cal, cal.due_before_date(meeting, dur("1 month"))),
        "2026-05-16 00:00 Sat"
    );
    assert_eq!(
        local(&cal, cal.due_before_date(meeting, dur("3 days"))),
        "2026-06-13 00:00 Sat"
    );
    // Hours count back from the start of the planned date.
    assert_eq!(
        local(&cal, cal.due_before_date(meeting, dur("4 hours"))),
        "2026-06-14 20:00 Sun"
    );
}

#[test]
fn two_working_days_before_a_monday_skip_a_holiday_friday() {
    let cal = office_with("Europe/Amsterdam", &["2026-06-12"], &[]);
    let monday = date("2026-06-15");
    let d = dur("2 working days");
    assert_eq!(
        local(&cal, cal.due_before_date(monday, d)),
        "2026-06-10 17:30 Wed"
    );
    assert_eq!(
        local(&cal, cal.earliest_before_date(monday, d)),
        "2026-06-10 08:30 Wed"
    );
    assert_eq!(
        local(&cal, cal.due_before_date(monday, dur("1 working day"))),
        "2026-06-11 17:30 Thu"
    );
}

#[test]
fn per_weekday_calendars_refuse_a_workday_without_hours() {
    let err = Calendar::build(
        "UTC",
        &WEEKDAYS,
        &WeeklyHours::PerWeekday([
            ranges(&["08:00-17:00"]),
            ranges(&["08:00-17:00"]),
            ranges(&["08:00-17:00"]),
            ranges(&["08:00-17:00"]),
            vec![],
            vec![],
            vec![],
        ]),
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!(err, CalendarError::WorkdayWithoutHours("fri".into()));
}

#[test]
fn version_one_calendars_count_as_before() {
    // Office hours never span a change, so real and office-clock time agree.
    let cal = office("Europe/Berlin");
    assert_eq!(
        add(&cal, "2026-03-27 16:00", "4 working hours"),
        "2026-03-30 11:00 Mon"
    );
    assert_eq!(
        add(&cal, "2026-10-23 16:00", "1 working day"),
        "2026-10-26 16:00 Mon"
    );
}

#[test]
fn an_earliest_time_before_a_planned_date_is_the_start_of_its_day() {
    let cal = office_with("Europe/Amsterdam", &["2026-05-15"], &[]);
    let meeting = date("2026-06-15");
    // Calendar units: midnight on the office clock, holiday or not.
    assert_eq!(
        local(&cal, cal.earliest_before_date(meeting, dur("1 month"))),
        "2026-05-15 00:00 Fri"
    );
    // Working days skip the holiday and open at the first working moment.
    assert_eq!(
        local(
            &cal,
            cal.earliest_before_date(date("2026-05-18"), dur("1 working day"))
        ),
        "2026-05-14 08:30 Thu"
    );
    // Hours count back from the start of the planned date, as for the deadline.
    assert_eq!(
        local(&cal, cal.earliest_before_date(meeting, dur("4 hours"))),
        "2026-06-14 20:00 Sun"
    );
    // A window of one day: open from its start to its end.
    let d = dur("2 weeks");
    assert!(cal.earliest_before_date(meeting, d) < cal.due_before_date(meeting, d));
}
