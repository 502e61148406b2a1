//! Working time across time zones and daylight-saving changes; calendar units.

use super::*;

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
fn round_the_clock_hours_are_real_and_days_keep_the_time_of_day() {
    let cal = round_the_clock("Europe/Berlin");
    assert_eq!(
        add(&cal, "2026-03-28 12:00", "24 working hours"),
        "2026-03-29 13:00 Sun"
    );
    assert_eq!(
        add(&cal, "2026-10-24 12:00", "1 working day"),
        "2026-10-25 12:00 Sun"
    );
    assert_eq!(
        sub(&cal, "2026-03-29 12:00", "24 working hours"),
        "2026-03-28 11:00 Sat"
    );
    let a = at(&cal, "2026-03-28 12:00");
    let b = at(&cal, "2026-03-29 12:00");
    assert_eq!(cal.working_minutes_between(a, b), 23 * 60);
}

#[test]
fn a_nonexistent_local_result_is_the_first_instant_after_the_gap() {
    // 02:00-03:00 does not exist in Berlin on 2026-03-29.
    let cal = round_the_clock("Europe/Berlin");
    assert_eq!(
        cal.add(at(&cal, "2026-03-28 02:30"), dur("1 working day")),
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
    // Counting back a working day from after the gap lands inside it as well.
    assert_eq!(
        cal.sub(at(&cal, "2026-03-30 02:30"), dur("1 working day")),
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
