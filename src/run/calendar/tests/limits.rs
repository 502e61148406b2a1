//! Agreement with slow reference counts, speed on huge amounts, and saturation.

use super::*;

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
                .periods_on(day.0)
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
            let got = cal
                .walk_forward(wall.and_utc(), minutes)
                .unwrap()
                .naive_utc();
            assert_eq!(got, expected, "{wall} + {minutes}");
        }
        wall += TimeDelta::minutes(97);
    }
}

/// Day by day without jumping weeks, to check the jumps.
fn add_day_by_day(cal: &Calendar, from: NaiveDateTime, minutes: u64) -> NaiveDateTime {
    let mut left = TimeDelta::minutes(minutes as i64);
    let mut day = from.date();
    let from = from.and_utc();
    loop {
        for (open, close) in cal.day_intervals(day) {
            let open = open.max(from);
            if close > open {
                if left <= close - open {
                    return (open + left).naive_utc();
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
            assert_eq!(
                cal.walk_forward(from.and_utc(), m).unwrap().naive_utc(),
                expected,
                "{m}"
            );
            let start = from.and_utc();
            let end = expected.and_utc();
            assert_eq!(cal.working_minutes_between(start, end), m as i64, "{m}");
            assert_eq!(
                cal.walk_backward(expected.and_utc(), m)
                    .unwrap()
                    .naive_utc(),
                from,
                "{m}"
            );
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
    let cal = Calendar::new("UTC", &WEEKDAYS, &strings(&["09:00-17:00"]), &closed, &[]).unwrap();
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
        let all = cal.working_minutes_between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
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
        Some("1 day counted as 5/7 of a working day (8 h 30 min of work a day, 5 workdays a week)")
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
