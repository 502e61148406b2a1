//! Rules on the hours of a 1.1 calendar: per-weekday keys and ranges, workdays left
//! without hours, and part days. Each finding points at the key or range it is about, so
//! the generic "calendar cannot be used" finding is left out when one of these applies.

use std::collections::HashSet;

use super::super::Context;
use super::super::codes;
use super::super::diagnostic::Diagnostic;
use crate::run::calendar::read_range;
use crate::spec::calendar::{Hours, weekdays_of_key};

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One range as written, with where it was written.
struct Written<'a> {
    text: &'a str,
    path: String,
}

/// Reports the calendar's per-weekday and part-day problems; true when it reported any.
pub(super) fn check(cx: &Context, out: &mut Vec<Diagnostic>) -> bool {
    let Some(spec) = &cx.settings.calendar else {
        return false;
    };
    let before = out.len();
    let mut reported = HashSet::new();
    for (list, name, what) in [
        (&spec.holidays, "holidays", "the part holiday"),
        (&spec.extra_workdays, "extra_workdays", "the extra workday"),
    ] {
        for (i, day) in list.iter().enumerate() {
            let Some(ranges) = &day.hours else {
                continue;
            };
            let base = format!("calendar.{name}[{i}].hours");
            if ranges.is_empty() {
                out.push(
                    Diagnostic::new(
                        &codes::INVALID_CALENDAR,
                        cx.at(cx.qms.settings_file, &base),
                        format!("{what} {} gives no hours", day.date),
                    )
                    .hint("give the hours worked that day, e.g. `hours: \"08:00-12:00\"`, or write only the date"),
                );
                continue;
            }
            let written = written(ranges, &base);
            malformed(cx, out, &written);
            overlaps(
                cx,
                out,
                &written,
                &format!("{what} {}", day.date),
                &mut reported,
            );
        }
    }
    if let Hours::PerWeekday(keys) = &spec.hours {
        per_weekday(cx, out, keys, &mut reported);
    }
    out.len() > before
}

fn written<'a>(ranges: &'a [String], base: &str) -> Vec<Written<'a>> {
    ranges
        .iter()
        .enumerate()
        .map(|(j, text)| Written {
            text,
            path: format!("{base}[{j}]"),
        })
        .collect()
}

fn per_weekday(
    cx: &Context,
    out: &mut Vec<Diagnostic>,
    keys: &[(String, Vec<String>)],
    reported: &mut HashSet<(String, String)>,
) {
    let file = cx.qms.settings_file;
    let mut week: [Vec<Written>; 7] = Default::default();
    let mut unreadable_key = false;
    for (key, ranges) in keys {
        let base = format!("calendar.hours.{key}");
        let Some(days) = weekdays_of_key(key) else {
            unreadable_key = true;
            out.push(
                Diagnostic::new(
                    &codes::UNKNOWN_WEEKDAY,
                    cx.key(file, &base),
                    format!("`{key}` is not a weekday or a range of weekdays"),
                )
                .hint("write a day (`mon` .. `sun`) or a range in the order of the week, e.g. `mon-thu` or `sat-sun`"),
            );
            continue;
        };
        let ranges = written(ranges, &base);
        malformed(cx, out, &ranges);
        for day in days {
            let index = chrono::Weekday::from(day).num_days_from_monday() as usize;
            week[index].extend(ranges.iter().map(|w| Written {
                text: w.text,
                path: w.path.clone(),
            }));
        }
    }
    for (index, ranges) in week.iter().enumerate() {
        overlaps(
            cx,
            out,
            ranges,
            &format!("on `{}`", DAY_NAMES[index]),
            reported,
        );
    }
    // A misread key may have been meant for the day that now lacks hours; its own finding
    // says what to fix.
    if unreadable_key {
        return;
    }
    for (i, day) in cx
        .settings
        .calendar
        .iter()
        .flat_map(|c| c.workdays.iter().enumerate())
    {
        let index = chrono::Weekday::from(*day).num_days_from_monday() as usize;
        if week[index].is_empty() {
            let name = DAY_NAMES[index];
            out.push(
                Diagnostic::new(
                    &codes::WORKDAY_WITHOUT_HOURS,
                    cx.at(file, &format!("calendar.workdays[{i}]")),
                    format!("`{name}` is a workday, but the per-weekday `hours` give it none"),
                )
                .label(cx.key(file, "calendar.hours"), "hours per weekday")
                .hint(format!(
                    "give `{name}` its hours in `hours` (as a key of its own or inside a range such as `mon-{name}`), or remove it from `workdays`"
                )),
            );
        }
    }
}

/// Ranges not written `HH:MM-HH:MM`, or empty, each at its line.
fn malformed(cx: &Context, out: &mut Vec<Diagnostic>, ranges: &[Written]) {
    for w in ranges {
        if let Err(error) = read_range(w.text) {
            out.push(
                Diagnostic::new(
                    &codes::INVALID_CALENDAR,
                    cx.at(cx.qms.settings_file, &w.path),
                    format!("the working calendar cannot be used: {error}"),
                )
                .hint("write each range `HH:MM-HH:MM` on the 24-hour clock, e.g. `08:00-12:00`; `24:00` may end the day"),
            );
        }
    }
}

/// Ranges worked on one day that overlap, reported once per pair of ranges as written.
fn overlaps(
    cx: &Context,
    out: &mut Vec<Diagnostic>,
    ranges: &[Written],
    day: &str,
    reported: &mut HashSet<(String, String)>,
) {
    let file = cx.qms.settings_file;
    let mut read: Vec<(u32, u32, &Written)> = ranges
        .iter()
        .filter_map(|w| read_range(w.text).ok().map(|(s, e)| (s, e, w)))
        .collect();
    read.sort_by_key(|&(start, end, _)| (start, end));
    for pair in read.windows(2) {
        let ((_, first_end, first), (second_start, _, second)) = (pair[0], pair[1]);
        if second_start < first_end && reported.insert((first.path.clone(), second.path.clone())) {
            out.push(
                Diagnostic::new(
                    &codes::OVERLAPPING_HOURS,
                    cx.at(file, &second.path),
                    format!(
                        "{day}, the working hours `{}` and `{}` overlap",
                        first.text.trim(),
                        second.text.trim()
                    ),
                )
                .label(cx.at(file, &first.path), "overlaps this range")
                .hint("each minute may be worked once: shorten one range, or give the day's hours under one key"),
            );
        }
    }
}
