//! The overview a quality manager reads the state of the system from: how many runs are
//! open per flow, how many steps are overdue per department, and how long runs of each
//! flow took from start to end (median and 90th percentile), in working days on the
//! company calendar and in calendar days.
//!
//! Deadlines are the ones the engine derived on the company calendar when the run last
//! changed (the store's open steps), the same ones `run list --overdue` and My work
//! judge by, so the three never disagree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Refusal, RefusalKind, transaction};
use crate::run::accounts::{Role, User};
use crate::run::calendar::Calendar;
use crate::run::clock;
use crate::run::store::{Filter, RunRow, Status, Store};
use crate::spec::load::Qms;

/// One flow of one procedure, with its title in the reader's language (its id when the
/// QMS folder no longer has it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FlowName {
    pub doc: String,
    pub flow: String,
    pub title: String,
}

/// How many runs of a flow are open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenRuns {
    #[serde(flatten)]
    pub flow: FlowName,
    pub open: usize,
}

/// What is late for one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeptOverdue {
    /// The department (or party) code; `None` for steps no department is named for.
    pub dept: Option<String>,
    /// Active steps of theirs past their deadline.
    pub steps: usize,
    /// Open runs past the whole flow's deadline, counted for the procedure's owner.
    pub flows: usize,
}

/// The median and the 90th percentile of a set of durations, in days.
///
/// The median of an even count is the mean of the two middle values; the 90th percentile
/// is the nearest-rank one (the smallest value at least 90 % of the values do not exceed),
/// so it is always a duration some run took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub p90: f64,
}

/// How long the ended runs of a flow took, from `started_at` to `ended_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleTime {
    #[serde(flatten)]
    pub flow: FlowName,
    /// How many ended runs the figures are of.
    pub runs: usize,
    /// In working days of the company calendar (working minutes over the minutes of one
    /// working day).
    pub working_days: Spread,
    /// In calendar days of 24 hours.
    pub calendar_days: Spread,
}

/// The overview at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// The moment deadlines were judged at.
    pub at: DateTime<Utc>,
    /// Flows with at least one open run, by procedure and flow.
    pub open_runs: Vec<OpenRuns>,
    /// Departments with something overdue, by code (no department last).
    pub overdue: Vec<DeptOverdue>,
    /// Flows with at least one ended run, by procedure and flow.
    pub cycle_times: Vec<CycleTime>,
}

/// The median and nearest-rank 90th percentile of `values`; `None` when there are none.
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    // Nearest rank: ceil(0.9 n), counted from one; integer arithmetic keeps 10 runs at
    // rank 9 exactly.
    let rank = (9 * n).div_ceil(10).max(1);
    Some(Spread {
        median,
        p90: sorted[rank - 1],
    })
}

/// The overview as `user` may see it: refused (kind [`RefusalKind::Forbidden`]) unless
/// they are a quality user, since it counts the runs of every department.
pub fn overview_as(
    store: Option<&mut dyn Store>,
    qms: &Qms,
    calendar: &Calendar,
    user: &User,
    now: DateTime<Utc>,
    lang: &str,
) -> Result<Overview, Refusal> {
    if user.role != Role::Quality {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            None,
            format!(
                "{} may not see the overview: it is for quality users",
                user.login
            ),
        ));
    }
    overview(store, qms, calendar, now, lang)
}

/// The overview at `now` in one reading transaction; `store` is `None` when no run was
/// ever started. Flow titles are in `lang` where the QMS has it; working days are counted
/// on `calendar` ([`super::office_calendar`]).
pub fn overview(
    store: Option<&mut dyn Store>,
    qms: &Qms,
    calendar: &Calendar,
    now: DateTime<Utc>,
    lang: &str,
) -> Result<Overview, Refusal> {
    let (open, ended, late) = match store {
        None => (Vec::new(), Vec::new(), Vec::new()),
        Some(store) => transaction(store, false, |s| {
            let of = |status| Filter {
                status: Some(status),
                ..Default::default()
            };
            let open = s.list(&of(Status::Open))?;
            let ended = s.list(&of(Status::Ended))?;
            let late = s.overdue(&clock::stamp(now), &of(Status::Open))?;
            Ok((open, ended, late))
        })?,
    };
    let name = |doc: &str, flow: &str| flow_name(qms, doc, flow, lang);

    let mut open_runs: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in &open {
        *open_runs
            .entry((row.doc.clone(), row.flow.clone()))
            .or_default() += 1;
    }

    let mut overdue: BTreeMap<(bool, Option<String>), DeptOverdue> = BTreeMap::new();
    for o in late {
        let dept = o.open.dept.clone();
        let entry = overdue
            .entry((dept.is_none(), dept.clone()))
            .or_insert(DeptOverdue {
                dept,
                steps: 0,
                flows: 0,
            });
        if o.open.step.is_some() {
            entry.steps += 1;
        } else {
            entry.flows += 1;
        }
    }

    let per_day = f64::from(calendar.working_minutes_per_day().max(1));
    let mut durations: BTreeMap<(String, String), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for row in &ended {
        let Some((start, end)) = span_of(row) else {
            continue;
        };
        let (working, calendar_days) = durations
            .entry((row.doc.clone(), row.flow.clone()))
            .or_default();
        working.push(calendar.working_minutes_between(start, end) as f64 / per_day);
        calendar_days.push((end - start).num_seconds().max(0) as f64 / 86_400.0);
    }
    let cycle_times = durations
        .into_iter()
        .filter_map(|((doc, flow), (working, calendar_days))| {
            Some(CycleTime {
                flow: name(&doc, &flow),
                runs: working.len(),
                working_days: spread(&working)?,
                calendar_days: spread(&calendar_days)?,
            })
        })
        .collect();

    Ok(Overview {
        at: now,
        open_runs: open_runs
            .into_iter()
            .map(|((doc, flow), open)| OpenRuns {
                flow: name(&doc, &flow),
                open,
            })
            .collect(),
        overdue: overdue.into_values().collect(),
        cycle_times,
    })
}

/// When an ended run started and ended; `None` for a row whose stamps cannot be read.
fn span_of(row: &RunRow) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = clock::read_stamp(&row.started_at)?;
    let end = clock::read_stamp(row.ended_at.as_deref()?)?;
    Some((start, end))
}

fn flow_name(qms: &Qms, doc: &str, flow: &str, lang: &str) -> FlowName {
    let primary = qms.settings.as_ref().map_or("en", |s| s.primary_language());
    let title = qms
        .procedure(doc)
        .and_then(|p| p.doc.flows.iter().find(|f| f.id == flow))
        .map_or_else(
            || flow.to_string(),
            |f| f.title.best(lang, primary).to_string(),
        );
    FlowName {
        doc: doc.to_string(),
        flow: flow.to_string(),
        title,
    }
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let s = spread(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!(s.p90, 4.0);
    }

    #[test]
    fn the_90th_percentile_is_a_value_some_run_took() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let s = spread(&values).unwrap();
        assert_eq!((s.median, s.p90), (5.5, 9.0));
        let one = spread(&[7.0]).unwrap();
        assert_eq!((one.median, one.p90), (7.0, 7.0));
        assert!(spread(&[]).is_none());
    }
}
