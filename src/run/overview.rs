//! `procdoc run list` and `procdoc run due`: what is open, overdue or back-dated, for whom,
//! and which periods of recurring flows have no run yet. Both read the store read-only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::checklist::Paint;
use super::clock;
use super::command::{Db, Format, OK, qms_tz, to_json, transaction, usage};
use super::engine::{self, RunError};
use super::record::{self, Stamp};
use super::recurrence;
use super::store::{Filter, RunRow, Status, Store};
use crate::check::diagnostic::Severity;
use crate::check::settings::calendar_of;
use crate::columns;
use crate::spec::load;
use crate::spec::model::Trigger;

/// A run as `run list --format json` gives it.
#[derive(Debug, Serialize)]
struct Listed {
    reference: String,
    doc: String,
    flow: String,
    revision: String,
    period: Option<String>,
    status: &'static str,
    outcome: Option<String>,
    started: Stamp,
    ended: Option<Stamp>,
    open: Vec<ListedStep>,
    /// Set when an event's entry time is further from its stated time than the tolerance:
    /// the largest such gap (`92 d`).
    entered_apart: Option<String>,
}

#[derive(Debug, Serialize)]
struct ListedStep {
    /// `None`: the whole flow's deadline.
    step: Option<String>,
    depts: Vec<String>,
    due: Option<Stamp>,
    overdue: bool,
    late_by: Option<String>,
}

fn stamp_of(text: &str, tz: Tz) -> Stamp {
    match clock::read_stamp(text) {
        Some(t) => Stamp {
            iso: clock::iso(t, tz),
            local: clock::show(t, tz),
        },
        None => Stamp {
            iso: text.to_string(),
            local: text.to_string(),
        },
    }
}

/// The open steps of a row, one entry per step with its departments.
fn open_steps(row: &RunRow, now: DateTime<Utc>, tz: Tz) -> Vec<ListedStep> {
    let mut grouped: BTreeMap<(Option<String>, Option<String>), Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    for o in &row.open {
        let key = (o.step.clone(), o.due.clone());
        if !grouped.contains_key(&key) {
            order.push(key.clone());
        }
        grouped.entry(key).or_default().extend(o.dept.clone());
    }
    order
        .into_iter()
        .map(|key| {
            let due = key.1.as_deref().and_then(clock::read_stamp);
            let overdue = due.is_some_and(|d| now > d);
            ListedStep {
                depts: grouped.remove(&key).unwrap_or_default(),
                step: key.0,
                due: due.map(|d| Stamp {
                    iso: clock::iso(d, tz),
                    local: clock::show(d, tz),
                }),
                overdue,
                late_by: due.filter(|_| overdue).map(|d| engine::lateness(d, now)),
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn list(
    qms_dir: &Path,
    db: &Db,
    status: Option<Status>,
    overdue: bool,
    doc: Option<String>,
    dept: Option<String>,
    format: Format,
    at: Option<&str>,
    tolerance: Option<&str>,
) -> Result<u8, RunError> {
    let tolerance = clock::tolerance(tolerance).map_err(RunError::Usage)?;
    let qms = load::load(qms_dir).ok().map(|(q, _)| q);
    let tz = qms_tz(qms.as_ref());
    let now = clock::now(at, tz).map_err(RunError::Usage)?;
    let filter = Filter {
        status,
        doc,
        dept,
        overdue_at: overdue.then(|| clock::stamp(now)),
        ..Default::default()
    };
    let (rows, late) = match db.read(qms.is_some())? {
        None => (Vec::new(), Vec::new()),
        Some(mut store) => transaction(&mut store, false, |s| {
            let rows = s.list(&filter)?;
            let late = s.overdue(
                &clock::stamp(now),
                &Filter {
                    overdue_at: None,
                    ..filter.clone()
                },
            )?;
            Ok((rows, late))
        })?,
    };
    let listed: Vec<Listed> = rows
        .iter()
        .map(|r| Listed {
            reference: r.reference.clone(),
            doc: r.doc.clone(),
            flow: r.flow.clone(),
            revision: r.revision.clone(),
            period: r.period.clone(),
            status: record::status_word(r.status),
            outcome: r.outcome.clone(),
            started: stamp_of(&r.started_at, tz),
            ended: r.ended_at.as_deref().map(|e| stamp_of(e, tz)),
            open: open_steps(r, now, tz),
            entered_apart: r.entry_gap.filter(|&g| g > tolerance).map(clock::span),
        })
        .collect();
    if format == Format::Json {
        println!("{}", to_json(&listed));
        return Ok(OK);
    }
    let p = Paint::for_stdout();
    if listed.is_empty() {
        let filtered = filter.status.is_some()
            || filter.doc.is_some()
            || filter.dept.is_some()
            || filter.overdue_at.is_some();
        println!(
            "{}",
            if filtered {
                "no runs match"
            } else {
                "no runs yet"
            }
        );
        return Ok(OK);
    }
    let ref_width = listed
        .iter()
        .map(|l| columns::width(&l.reference))
        .max()
        .unwrap_or(3)
        .max(3);
    let flow_width = listed
        .iter()
        .map(|l| columns::width(&l.doc) + columns::width(&l.flow) + 1)
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<ref_width$}  {:<flow_width$}  {:<16}  {:<6}  OPEN STEPS / OUTCOME",
        "REF", "FLOW", "STARTED", "STATUS"
    );
    for l in &listed {
        let detail = if l.status == "ended" {
            l.outcome.clone().unwrap_or_default()
        } else {
            l.open
                .iter()
                .filter_map(|o| {
                    let step = o.step.as_deref()?;
                    let mut text = format!("{step} ({})", o.depts.join("/"));
                    if o.overdue {
                        text.push_str(&format!(
                            " {}",
                            p.red(&format!("OVERDUE {}", o.late_by.as_deref().unwrap_or("")))
                        ));
                    }
                    Some(text)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let apart = l
            .entered_apart
            .as_deref()
            .map(|gap| format!(" {}", p.red(&format!("ENTERED {gap} APART"))))
            .unwrap_or_default();
        println!(
            "{}  {}  {:<16}  {:<6}  {detail}{apart}",
            columns::pad(&l.reference, ref_width),
            columns::pad(&format!("{}/{}", l.doc, l.flow), flow_width),
            l.started.local,
            l.status
        );
    }
    if listed.iter().any(|l| l.entered_apart.is_some()) {
        println!();
        println!(
            "ENTERED ... APART: a time stated with --at is that far from when it was entered (tolerance {}); see `procdoc run show REF`",
            if tolerance == 0 {
                "0".to_string()
            } else {
                clock::span(tolerance)
            }
        );
    }
    if !late.is_empty() {
        println!();
        println!("{}", p.bold("overdue:"));
        for o in &late {
            let due = o.open.due.as_deref().and_then(clock::read_stamp);
            println!(
                "  {}  {}  for {}  due {}, {} late",
                o.reference,
                o.open.step.as_deref().unwrap_or("(whole flow)"),
                o.open.dept.as_deref().unwrap_or("-"),
                due.map_or_else(String::new, |d| clock::show(d, tz)),
                due.map_or_else(String::new, |d| engine::lateness(d, now))
            );
        }
    }
    Ok(OK)
}

#[derive(Debug, Serialize)]
struct DueFlow {
    doc: String,
    flow: String,
    title: String,
    every: String,
    /// Why periods cannot be laid out, if they cannot.
    problem: Option<String>,
    missing: Vec<DuePeriod>,
}

#[derive(Debug, Serialize)]
struct DuePeriod {
    key: String,
    label: String,
    /// The last day it was meant to be run in has passed.
    late: bool,
}

pub(super) fn due(
    qms_dir: &Path,
    db: &Db,
    doc: Option<&str>,
    format: Format,
    at: Option<&str>,
) -> Result<u8, RunError> {
    let (qms, problems) = load::load(qms_dir).map_err(|e| usage(e.to_string()))?;
    let Some(settings) = qms.settings.as_ref() else {
        return Err(usage(
            "the QMS settings cannot be read: see `procdoc check`",
        ));
    };
    // A procedure file that does not read is missing from the list; say so rather than
    // let "no recurring flows" stand for it.
    let unread = problems
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    if unread > 0 {
        eprintln!(
            "warning: the QMS has {unread} error(s) reading its files; procedures that did not load are not listed: see `procdoc check`"
        );
    }
    let calendar = calendar_of(settings).map_err(|e| {
        usage(format!(
            "the QMS calendar cannot be used: {e}; see `procdoc check`"
        ))
    })?;
    let tz = calendar.timezone();
    let now = clock::now(at, tz).map_err(RunError::Usage)?;
    let today = clock::local_date(now, tz);
    let lang = settings.primary_language();
    let mut store = db.read(true)?;
    // One reading transaction: every flow is judged against the same state.
    if let Some(s) = store.as_mut() {
        s.begin(false)?;
    }
    let covered_periods = |doc: &str, flow: &str| -> Result<BTreeSet<String>, RunError> {
        let Some(store) = store.as_ref() else {
            return Ok(BTreeSet::new());
        };
        let filter = Filter {
            doc: Some(doc.to_string()),
            flow: Some(flow.to_string()),
            parent: None,
            ..Default::default()
        };
        Ok(store
            .list(&filter)?
            .into_iter()
            .filter_map(|r| r.period)
            .collect())
    };
    let mut out = Vec::new();
    {
        for p in qms.procedures.iter().map(|p| &p.doc) {
            if doc.is_some_and(|d| d != p.id) {
                continue;
            }
            for flow in &p.flows {
                let Some(Trigger::Every(rec)) = &flow.trigger else {
                    continue;
                };
                let every = match &rec.during {
                    Some(d) => format!("every {} in {d}", rec.every),
                    None => format!("every {}", rec.every),
                };
                let mut entry = DueFlow {
                    doc: p.id.clone(),
                    flow: flow.id.clone(),
                    title: flow.title.best(lang, lang).to_string(),
                    every,
                    problem: None,
                    missing: Vec::new(),
                };
                match recurrence::started_by(p.effective.0, rec, &calendar, today) {
                    Err(why) => entry.problem = Some(why),
                    Ok(periods) => {
                        let covered = covered_periods(&p.id, &flow.id)?;
                        entry.missing = periods
                            .into_iter()
                            .filter(|period| !covered.contains(&period.key))
                            .map(|period| DuePeriod {
                                late: today > period.last_day,
                                key: period.key,
                                label: period.label,
                            })
                            .collect();
                    }
                }
                out.push(entry);
            }
        }
    }
    if let Some(s) = store.as_mut() {
        s.rollback()?;
    }
    if format == Format::Json {
        println!("{}", to_json(&out));
        return Ok(OK);
    }
    let p = Paint::for_stdout();
    if out.is_empty() {
        println!("no recurring flows");
    }
    /// Daily flows can miss hundreds of periods; the most recent say what to do next.
    const SHOWN: usize = 12;
    for f in &out {
        println!("{} {} ({}), {}", f.doc, f.flow, f.title, f.every);
        if let Some(problem) = &f.problem {
            println!("  cannot list periods: {problem}");
            continue;
        }
        if f.missing.is_empty() {
            println!("  {}", p.green("every period has a run"));
            continue;
        }
        let hidden = f.missing.len().saturating_sub(SHOWN);
        if hidden > 0 {
            println!(
                "  ... {hidden} earlier period{} without a run",
                if hidden == 1 { "" } else { "s" }
            );
        }
        for m in &f.missing[hidden..] {
            let late = if m.late {
                format!(" {}", p.red("LATE"))
            } else {
                String::new()
            };
            let from = if m.label.starts_with(&m.key) {
                String::new()
            } else {
                format!(" (period from {})", m.key)
            };
            println!("  {}  no run yet{from}{late}", m.label);
        }
    }
    Ok(OK)
}
