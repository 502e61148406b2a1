//! Periods of a recurring flow (`trigger: { every: 1 year, in: july }`), for `run due`.
//!
//! Periods follow one another from the document's effective date: every `N` days, weeks,
//! months or years, or every `N` working days of the QMS calendar (a daily report that is
//! due on working days only). `in: <month>` (English month name) puts a yearly period in that
//! month: each period then starts on the 1st of the month, in the first such month on or
//! after the effective date. Any other `in` is a description and does not move the period.
//! A run covers the period in which it was started (one started before the first period
//! covers the first).

use chrono::{Datelike, Days, Months, NaiveDate};

use super::calendar::Calendar;
use crate::spec::duration::Unit;
use crate::spec::model::Recurrence;

/// More periods than any real flow needs listed; a daily flow effective decades ago stops
/// here instead of building an endless list.
const MAX_PERIODS: usize = 100_000;

/// A calendar whose next working day is further away than this has none left (every day
/// a holiday); periods stop there instead of searching forever.
const MAX_DAYS_WITHOUT_WORK: u32 = 3_660;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    /// The first day, `YYYY-MM-DD`: what a run records as the period it covers.
    pub key: String,
    /// How people name it: `July 2026`, `2026-03-01 – 2026-03-31`.
    pub label: String,
    pub start: NaiveDate,
    /// The first day of the next period.
    pub next: NaiveDate,
    /// The last day the flow is meant to be run in (the month given by `in`, else the
    /// whole period).
    pub last_day: NaiveDate,
}

/// How periods are laid out.
#[derive(Debug, Clone, Copy)]
enum Step {
    Days(u64),
    Months(u32),
    WorkingDays(usize),
}

/// The month an `in` names (1-12), if it is an English month name or its abbreviation.
pub fn month_of(text: &str) -> Option<u32> {
    let lower = text.trim().to_lowercase();
    if lower.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| *m == lower || (lower.len() == 3 && m.starts_with(&lower)))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// The English name of month `n` (1-12), capitalised: `July`.
pub fn month_name(n: u32) -> String {
    let m = MONTHS[(n.clamp(1, 12) - 1) as usize];
    m[..1].to_uppercase() + &m[1..]
}

fn step_of(rec: &Recurrence) -> Result<Step, String> {
    let n = rec.every.amount;
    if n == 0 {
        return Err(format!("`every: {}` does not recur", rec.every));
    }
    Ok(match rec.every.unit {
        Unit::Days => Step::Days(u64::from(n)),
        Unit::Weeks => Step::Days(u64::from(n) * 7),
        Unit::Months => Step::Months(n),
        Unit::Years => Step::Months(n.saturating_mul(12)),
        Unit::WorkingDays => Step::WorkingDays(usize::try_from(n).unwrap_or(usize::MAX)),
        Unit::Minutes | Unit::Hours | Unit::WorkingHours => {
            return Err(format!(
                "`every: {}` is not a period: a flow recurs every so many days, working days, weeks, months or years",
                rec.every
            ));
        }
    })
}

/// The yearly month, when `in` names one and the flow recurs in years.
fn month(rec: &Recurrence) -> Option<u32> {
    if rec.every.unit != Unit::Years {
        return None;
    }
    rec.during.as_deref().and_then(month_of)
}

/// The first day of the first period.
fn first_start(effective: NaiveDate, rec: &Recurrence) -> NaiveDate {
    match month(rec) {
        Some(m) => {
            let this_year = NaiveDate::from_ymd_opt(effective.year(), m, 1).unwrap_or(effective);
            if this_year >= effective {
                this_year
            } else {
                NaiveDate::from_ymd_opt(effective.year() + 1, m, 1).unwrap_or(effective)
            }
        }
        None => effective,
    }
}

fn nth_start(first: NaiveDate, step: Step, k: u64) -> Option<NaiveDate> {
    match step {
        Step::Days(d) => first.checked_add_days(Days::new(d.checked_mul(k)?)),
        // Counted from the first start each time, so a 31st does not drift to the 28th.
        Step::Months(m) => first.checked_add_months(Months::new(
            u32::try_from(u64::from(m).checked_mul(k)?).ok()?,
        )),
        Step::WorkingDays(_) => None,
    }
}

/// The first working day on or after `date`.
fn working_day_from(cal: &Calendar, mut date: NaiveDate) -> Option<NaiveDate> {
    for _ in 0..MAX_DAYS_WITHOUT_WORK {
        if cal.is_workday(date) {
            return Some(date);
        }
        date = date.succ_opt()?;
    }
    None
}

/// The working days from `date` on, in order.
fn working_days(cal: &Calendar, date: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
    std::iter::successors(working_day_from(cal, date), |d| {
        working_day_from(cal, d.succ_opt()?)
    })
}

fn range_label(start: NaiveDate, last: NaiveDate) -> String {
    if start == last {
        start.format("%Y-%m-%d").to_string()
    } else {
        format!("{} – {}", start.format("%Y-%m-%d"), last.format("%Y-%m-%d"))
    }
}

fn period(first: NaiveDate, rec: &Recurrence, step: Step, k: u64) -> Option<Period> {
    let start = nth_start(first, step, k)?;
    let next = nth_start(first, step, k + 1)?;
    let until = next.pred_opt()?;
    let (label, last_day) = match month(rec) {
        Some(_) => {
            let month_end = start
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(until);
            (start.format("%B %Y").to_string(), month_end.min(until))
        }
        None => (range_label(start, until), until),
    };
    Some(Period {
        key: start.format("%Y-%m-%d").to_string(),
        label,
        start,
        next,
        last_day,
    })
}

/// Every period from the first on, in order.
fn periods<'a>(
    effective: NaiveDate,
    rec: &'a Recurrence,
    cal: &'a Calendar,
) -> Result<Box<dyn Iterator<Item = Period> + 'a>, String> {
    let step = step_of(rec)?;
    let first = first_start(effective, rec);
    Ok(match step {
        Step::WorkingDays(n) => {
            // Each period is n working days; it is named by its working days, and it lasts
            // (for lateness) until the next one starts.
            let mut days = working_days(cal, first).peekable();
            Box::new(std::iter::from_fn(move || {
                let start = days.next()?;
                let mut last = start;
                for _ in 1..n {
                    last = days.next()?;
                }
                let next = *days.peek()?;
                Some(Period {
                    key: start.format("%Y-%m-%d").to_string(),
                    label: range_label(start, last),
                    start,
                    next,
                    last_day: next.pred_opt()?,
                })
            }))
        }
        _ => Box::new((0..).map_while(move |k| period(first, rec, step, k))),
    })
}

/// Every period that has started by `today`, oldest first (at most [`MAX_PERIODS`], the
/// most recent ones).
pub fn started_by(
    effective: NaiveDate,
    rec: &Recurrence,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Vec<Period>, String> {
    let mut out = std::collections::VecDeque::new();
    for p in periods(effective, rec, cal)?.take_while(|p| p.start <= today) {
        out.push_back(p);
        if out.len() > MAX_PERIODS {
            out.pop_front();
        }
    }
    Ok(out.into())
}

/// The period of `periods` (begun by `today`, oldest first) that `chosen` names: its name as
/// `run due` prints it (`July 2026`, any case) or its first day (`2026-07-01`). `whose` says
/// whose period it is in the refusal (`flow \`monthly-analysis\``, `item \`S-12\``), which
/// names the latest four periods by name.
pub fn named_period<'a>(
    periods: &'a [Period],
    chosen: &str,
    whose: &str,
    today: NaiveDate,
) -> Result<&'a Period, String> {
    let wanted = chosen.trim();
    if wanted.is_empty() {
        return Err(format!(
            "{whose}: the period is empty; name one as `run due` prints it, or leave it out for the current one"
        ));
    }
    if let Some(p) = periods
        .iter()
        .find(|p| p.label.eq_ignore_ascii_case(wanted) || p.key == wanted)
    {
        return Ok(p);
    }
    let recent: Vec<&str> = periods
        .iter()
        .rev()
        .take(4)
        .map(|p| p.label.as_str())
        .collect();
    Err(format!(
        "{whose} has no period `{wanted}` that has begun by {today}; name one as `run due` prints it{}",
        if recent.is_empty() {
            String::new()
        } else {
            format!(" (the latest: {})", recent.join(", "))
        }
    ))
}

/// The period a run started on `date` covers.
pub fn period_of(
    effective: NaiveDate,
    rec: &Recurrence,
    cal: &Calendar,
    date: NaiveDate,
) -> Option<Period> {
    periods(effective, rec, cal).ok()?.find(|p| date < p.next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(every: &str, during: Option<&str>) -> Recurrence {
        Recurrence {
            every: every.parse().unwrap(),
            during: during.map(str::to_string),
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_yearly_survey_in_july_falls_in_each_july_after_the_effective_date() {
        let r = rec("1 year", Some("july"));
        let periods = started_by(
            date("2022-10-01"),
            &r,
            &Calendar::standard(),
            date("2026-07-05"),
        )
        .unwrap();
        let labels: Vec<&str> = periods.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["July 2023", "July 2024", "July 2025", "July 2026"]);
        assert_eq!(periods[3].key, "2026-07-01");
        assert_eq!(periods[3].last_day, date("2026-07-31"));
        let before = started_by(
            date("2022-10-01"),
            &r,
            &Calendar::standard(),
            date("2026-06-30"),
        )
        .unwrap();
        assert_eq!(before.len(), 3);
    }

    #[test]
    fn in_that_is_no_month_leaves_the_period_at_the_effective_date() {
        let r = rec("1 year", Some("the first quarter"));
        let periods = started_by(
            date("2024-03-15"),
            &r,
            &Calendar::standard(),
            date("2025-03-15"),
        )
        .unwrap();
        assert_eq!(periods.len(), 2);
        assert_eq!(periods[1].label, "2025-03-15 – 2026-03-14");
    }

    #[test]
    fn months_count_from_the_effective_date_without_drifting() {
        let r = rec("1 month", None);
        let periods = started_by(
            date("2026-01-31"),
            &r,
            &Calendar::standard(),
            date("2026-05-01"),
        )
        .unwrap();
        let keys: Vec<&str> = periods.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
        );
    }

    #[test]
    fn a_run_covers_the_period_it_starts_in() {
        let r = rec("15 days", None);
        let p = period_of(
            date("2026-01-01"),
            &r,
            &Calendar::standard(),
            date("2026-01-20"),
        )
        .unwrap();
        assert_eq!(p.key, "2026-01-16");
        let early = period_of(
            date("2026-01-01"),
            &r,
            &Calendar::standard(),
            date("2025-12-20"),
        )
        .unwrap();
        assert_eq!(early.key, "2026-01-01");
        let july = period_of(
            date("2022-10-01"),
            &rec("1 year", Some("Jul")),
            &Calendar::standard(),
            date("2026-07-03"),
        );
        assert_eq!(july.unwrap().key, "2026-07-01");
    }

    /// Monday to Friday, with 2026-10-01 (a Thursday) a holiday and Saturday 2026-10-10 an
    /// extra working day.
    fn office() -> Calendar {
        use chrono::Weekday::*;
        Calendar::new(
            "Asia/Shanghai",
            &[Mon, Tue, Wed, Thu, Fri],
            &["08:00-12:00".to_string(), "13:30-17:30".to_string()],
            &[date("2026-10-01")],
            &[date("2026-10-10")],
        )
        .unwrap()
    }

    #[test]
    fn a_daily_report_on_working_days_skips_weekends_and_holidays() {
        let r = rec("1 working day", None);
        let periods = started_by(date("2026-09-29"), &r, &office(), date("2026-10-12")).unwrap();
        let keys: Vec<&str> = periods.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "2026-09-29",
                "2026-09-30",
                "2026-10-02",
                "2026-10-05",
                "2026-10-06",
                "2026-10-07",
                "2026-10-08",
                "2026-10-09",
                "2026-10-10",
                "2026-10-12"
            ]
        );
        // Friday's report is named by Friday and is late only once Monday's period starts.
        let friday = &periods[2];
        assert_eq!(friday.label, "2026-10-02");
        assert_eq!(friday.next, date("2026-10-05"));
        assert_eq!(friday.last_day, date("2026-10-04"));
        // A run started on a Sunday covers Friday's period.
        let sunday = period_of(date("2026-09-29"), &r, &office(), date("2026-10-04")).unwrap();
        assert_eq!(sunday.key, "2026-10-02");
    }

    #[test]
    fn periods_of_several_working_days_are_named_by_their_working_days() {
        let r = rec("3 working days", None);
        let periods = started_by(date("2026-09-26"), &r, &office(), date("2026-10-09")).unwrap();
        let labels: Vec<&str> = periods.iter().map(|p| p.label.as_str()).collect();
        // Effective on a Saturday: the first period starts on Monday.
        assert_eq!(
            labels,
            [
                "2026-09-28 – 2026-09-30",
                "2026-10-02 – 2026-10-06",
                "2026-10-07 – 2026-10-09"
            ]
        );
    }

    #[test]
    fn hours_are_not_periods() {
        assert!(
            started_by(
                date("2026-01-01"),
                &rec("8 hours", None),
                &Calendar::standard(),
                date("2026-02-01")
            )
            .is_err()
        );
    }
}
