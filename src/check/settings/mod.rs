//! Rules on `procdoc.yaml`: codes, the logo path and the working calendar.

use std::collections::HashMap;
use std::path::{Component, Path};

mod days;
mod hours;

use super::Context;
use super::codes;
use super::diagnostic::Diagnostic;
use crate::run::calendar::{Calendar, CalendarError, SpecialDay, WeeklyHours, read_range};
use crate::spec::calendar::{Hours, SpecialDate, weekdays_of_key};
use crate::spec::model::Settings;

/// The calendar the settings describe (the standard one when they give none). Per-weekday
/// hours of several keys naming one weekday are that weekday's ranges together, in the
/// order of the day; a key that names no weekday gives no hours (the check reports it).
pub fn calendar_of(settings: &Settings) -> Result<Calendar, CalendarError> {
    let Some(spec) = &settings.calendar else {
        return Ok(Calendar::standard());
    };
    let workdays: Vec<chrono::Weekday> = spec.workdays.iter().map(|&w| w.into()).collect();
    let special = |days: &[SpecialDate]| -> Vec<SpecialDay> {
        days.iter()
            .map(|d| SpecialDay {
                date: d.date.0,
                hours: d.hours.clone().map(in_order_of_the_day),
            })
            .collect()
    };
    let hours = match &spec.hours {
        Hours::Daily(ranges) => WeeklyHours::Daily(ranges.clone()),
        Hours::PerWeekday(keys) => {
            let mut week: [Vec<String>; 7] = Default::default();
            for (key, ranges) in keys {
                for day in weekdays_of_key(key).unwrap_or_default() {
                    let index = chrono::Weekday::from(day).num_days_from_monday() as usize;
                    week[index].extend(ranges.iter().cloned());
                }
            }
            WeeklyHours::PerWeekday(week.map(in_order_of_the_day))
        }
    };
    Calendar::build(
        &spec.timezone,
        &workdays,
        &hours,
        &special(&spec.holidays),
        &special(&spec.extra_workdays),
    )
}

/// Ranges gathered from several keys, or of a part day, need no particular order.
fn in_order_of_the_day(mut ranges: Vec<String>) -> Vec<String> {
    ranges.sort_by_key(|r| read_range(r).map(|(start, _)| start).unwrap_or(0));
    ranges
}

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let file = cx.qms.settings_file;
    let settings = cx.settings;

    let mut seen: HashMap<&str, String> = HashMap::new();
    let actors = settings
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| (d.code.as_str(), format!("departments[{i}]")))
        .chain(
            settings
                .parties
                .iter()
                .enumerate()
                .map(|(i, p)| (p.code.as_str(), format!("parties[{i}]"))),
        );
    for (code, path) in actors {
        if let Some(first) = seen.get(code) {
            out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_ID,
                    cx.at(file, &format!("{path}.code")),
                    format!("the code `{code}` is defined twice"),
                )
                .label(cx.at(file, &format!("{first}.code")), "first defined here")
                .hint("departments and parties share one set of codes; rename one"),
            );
        } else {
            seen.insert(code, path);
        }
    }
    for (i, d) in settings.departments.iter().enumerate() {
        if let Some(parent) = &d.within
            && !cx.departments.contains(parent.as_str())
        {
            let known: Vec<String> = cx.departments.iter().map(|s| s.to_string()).collect();
            out.push(
                Diagnostic::new(
                    &codes::UNKNOWN_DEPARTMENT,
                    cx.at(file, &format!("departments[{i}].in")),
                    format!(
                        "`{}` is a role in department `{parent}`, which is not defined",
                        d.code
                    ),
                )
                .maybe_hint(did_you_mean(parent, &known)),
            );
        }
    }
    if settings.languages.is_empty() {
        out.push(
            Diagnostic::new(
                &codes::INVALID_VALUE,
                cx.at(file, "languages"),
                "`languages` is empty",
            )
            .hint("list at least the primary language, e.g. `languages: [en]`"),
        );
    }

    if let Some(logo) = &settings.logo
        && let Err(why) = logo_inside(&cx.qms.root, logo)
    {
        out.push(
            Diagnostic::new(&codes::PATH_OUTSIDE, cx.at(file, "logo"), why)
                .hint("put the logo file in the QMS folder and give its path relative to it, e.g. `logo: logo.png`"),
        );
    }

    days::check(cx, out);
    let located = hours::check(cx, out);
    // The hours' own findings say more than the first error the calendar meets.
    if let Err(error) = calendar_of(settings)
        && (!located
            || matches!(
                error,
                CalendarError::UnknownTimezone(_) | CalendarError::NoWorkdays
            ))
    {
        let hours = match settings.calendar.as_ref().map(|c| &c.hours) {
            Some(Hours::Daily(ranges)) => ranges.as_slice(),
            _ => &[],
        };
        let hour_path = |range: &str| {
            hours
                .iter()
                .position(|h| h.trim() == range.trim())
                .map(|i| format!("calendar.hours[{i}]"))
                .unwrap_or_else(|| "calendar.hours".to_string())
        };
        let mut d = Diagnostic::new(
            &codes::INVALID_CALENDAR,
            cx.at(file, "calendar"),
            format!("the working calendar cannot be used: {error}"),
        );
        d.location = Some(match &error {
            CalendarError::UnknownTimezone(_) => cx.at(file, "calendar.timezone"),
            CalendarError::BadRange(r) | CalendarError::EmptyRange(r) => cx.at(file, &hour_path(r)),
            CalendarError::OverlappingRanges { first, second } => {
                d = d.label(cx.at(file, &hour_path(first)), "overlaps this range");
                cx.at(file, &hour_path(second))
            }
            CalendarError::UnsortedRanges { later, earlier } => {
                d = d.label(cx.at(file, &hour_path(earlier)), "earlier in the day");
                cx.at(file, &hour_path(later))
            }
            CalendarError::NoWorkdays => cx.key(file, "calendar.workdays"),
            CalendarError::NoHours | CalendarError::WorkdayWithoutHours(_) => {
                cx.key(file, "calendar.hours")
            }
        });
        out.push(d.hint(calendar_hint(&error)));
    }
}

/// What to write instead, for a calendar the runner could not build.
fn calendar_hint(error: &CalendarError) -> &'static str {
    match error {
        CalendarError::UnknownTimezone(_) => {
            "write the IANA name of the time zone, e.g. `Europe/London`; `UTC` works everywhere"
        }
        CalendarError::BadRange(_) => {
            "write each range `HH:MM-HH:MM` on the 24-hour clock, e.g. `08:00-12:00`; `24:00` may end the day"
        }
        CalendarError::EmptyRange(_) => {
            "a range ends after it starts on the same day; for a night shift write two ranges, e.g. `[\"00:00-08:00\", \"17:00-24:00\"]`"
        }
        CalendarError::OverlappingRanges { .. } | CalendarError::UnsortedRanges { .. } => {
            "list the day's ranges in the order of the day, each starting after the previous one ends"
        }
        CalendarError::NoWorkdays => {
            "list the weekdays worked, e.g. `workdays: [mon, tue, wed, thu, fri]`"
        }
        CalendarError::NoHours | CalendarError::WorkdayWithoutHours(_) => {
            "give each workday its hours, e.g. `hours: \"08:00-17:00\"` or `hours: { mon-fri: \"08:00-17:00\" }`"
        }
    }
}

/// A logo path must stay inside the QMS folder, also through symlinks, and exist.
pub fn logo_inside(root: &Path, logo: &str) -> Result<std::path::PathBuf, String> {
    let relative = Path::new(logo);
    if relative.is_absolute()
        || relative.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::Prefix(_) | Component::RootDir
            )
        })
    {
        return Err(format!("the logo path `{logo}` leaves the QMS folder"));
    }
    let path = root.join(relative);
    let (Ok(real_root), Ok(real)) = (root.canonicalize(), path.canonicalize()) else {
        return Err(format!("the logo file `{logo}` does not exist"));
    };
    if !real.starts_with(&real_root) {
        return Err(format!(
            "the logo path `{logo}` leads outside the QMS folder"
        ));
    }
    if !real.is_file() {
        return Err(format!("the logo `{logo}` is not a file"));
    }
    Ok(real)
}

/// "did you mean `X`?" for the closest known name, if any is close.
pub fn did_you_mean(word: &str, known: &[String]) -> Option<String> {
    let mut sorted = known.to_vec();
    sorted.sort();
    match crate::spec::load::closest(word, &sorted) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None if !sorted.is_empty() && sorted.len() <= 12 => Some(format!(
            "known: {}",
            sorted
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => None,
    }
}
