//! Reading calendars and counting working time on ordinary days.

use super::*;

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
