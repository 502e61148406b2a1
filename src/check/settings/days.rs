//! Rules on the calendar's holidays as a list of dates: a date given twice, and a part-day
//! holiday whose hours are not worked on that weekday anyway.

use std::collections::HashMap;

use chrono::Datelike;

use super::super::Context;
use super::super::codes;
use super::super::diagnostic::Diagnostic;
use crate::run::calendar::read_range;
use crate::spec::calendar::{Hours, weekdays_of_key};

/// Reports holidays listed twice (E0020) and part-day hours outside the weekday's normal
/// working hours (W0010).
pub(super) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(spec) = &cx.settings.calendar else {
        return;
    };
    let file = cx.qms.settings_file;
    let mut seen = HashMap::new();
    for (i, day) in spec.holidays.iter().enumerate() {
        if let Some(first) = seen.insert(day.date.0, i) {
            seen.insert(day.date.0, first);
            out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_HOLIDAY,
                    cx.at(file, &format!("calendar.holidays[{i}]")),
                    format!("the holiday {} is listed twice", day.date),
                )
                .label(
                    cx.at(file, &format!("calendar.holidays[{first}]")),
                    "first listed here",
                )
                .hint("list each date once; for a part day keep the one entry `{ date, hours }` with all the hours worked that day"),
            );
            continue;
        }
        let Some(hours) = &day.hours else {
            continue;
        };
        let weekday = day.date.0.weekday();
        let worked = normal_ranges(&spec.hours, weekday);
        let workday = spec
            .workdays
            .iter()
            .any(|w| chrono::Weekday::from(*w) == weekday);
        for (j, text) in hours.iter().enumerate() {
            let Ok((start, end)) = read_range(text) else {
                continue;
            };
            let inside = workday && worked.iter().any(|&(s, e)| s <= start && end <= e);
            if !inside {
                out.push(
                    Diagnostic::new(
                        &codes::PART_DAY_OUTSIDE_HOURS,
                        cx.at(file, &format!("calendar.holidays[{i}].hours[{j}]")),
                        format!(
                            "the part holiday {} is worked `{}`, outside the normal working hours of a {weekday}",
                            day.date,
                            text.trim()
                        ),
                    )
                    .hint("a part holiday keeps some of the day's normal hours; to work other hours that day, list it under `extra_workdays` instead"),
                );
            }
        }
    }
}

/// The normal working ranges of a weekday, in minutes; ranges that cannot be read are left
/// to the hours' own findings.
fn normal_ranges(hours: &Hours, weekday: chrono::Weekday) -> Vec<(u32, u32)> {
    let texts: Vec<&String> = match hours {
        Hours::Daily(ranges) => ranges.iter().collect(),
        Hours::PerWeekday(keys) => keys
            .iter()
            .filter(|(key, _)| {
                weekdays_of_key(key)
                    .is_some_and(|days| days.iter().any(|d| chrono::Weekday::from(*d) == weekday))
            })
            .flat_map(|(_, ranges)| ranges.iter())
            .collect(),
    };
    texts.iter().filter_map(|t| read_range(t).ok()).collect()
}
