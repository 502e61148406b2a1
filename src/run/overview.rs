//! How `procdoc run list`, `run inbox` and `run due` print what the operations of
//! [`crate::app`] found: tables for people, JSON for other programs.

use super::checklist::Paint;
use super::clock;
use super::command::Format;
use super::engine;
use crate::app::{self, DueFlow, Inbox, RunList};
use crate::columns;

/// Prints a run list; `narrowed` says whether the query had conditions (for the words
/// printed when nothing matches).
pub(super) fn print_list(list: &RunList, narrowed: bool, format: Format) {
    let listed = &list.runs;
    let (tz, now, tolerance) = (list.tz, list.now, list.tolerance);
    if format == Format::Json {
        println!("{}", app::to_json(listed));
        return;
    }
    let p = Paint::for_stdout();
    if listed.is_empty() {
        println!(
            "{}",
            if narrowed {
                "no runs match"
            } else {
                "no runs yet"
            }
        );
        return;
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
    // Per-item runs name their item in a column of its own, only when one is listed.
    let item_width = listed
        .iter()
        .filter_map(|l| l.item.as_deref().map(columns::width))
        .max()
        .map(|w| w.max(4));
    let item_cell = |item: Option<&str>| match item_width {
        Some(w) => format!("{}  ", columns::pad(item.unwrap_or("-"), w)),
        None => String::new(),
    };
    // Likewise the period of a recurring flow's run: its first day (a per-item run's key
    // without the item, which has its column).
    let period_of = |l: &app::Listed| {
        l.period.as_deref().map(|p| {
            super::per_item::split_key(p)
                .map_or(p, |(_, day)| day)
                .to_string()
        })
    };
    let has_periods = listed.iter().any(|l| l.period.is_some());
    let period_cell = |period: Option<&str>| {
        if has_periods {
            format!("{}  ", columns::pad(period.unwrap_or("-"), 10))
        } else {
            String::new()
        }
    };
    println!(
        "{:<ref_width$}  {:<flow_width$}  {}{}{:<16}  {:<6}  OPEN STEPS / OUTCOME",
        "REF",
        "FLOW",
        item_cell(Some("ITEM")),
        period_cell(Some("PERIOD")),
        "STARTED",
        "STATUS"
    );
    for l in listed {
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
                    if let Some(since) = &o.escalated_since {
                        text.push_str(&format!(
                            " {}",
                            p.yellow(&format!(
                                "escalated to {} since {}",
                                o.escalated_to.join(", "),
                                since.local
                            ))
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
            "{}  {}  {}{}{:<16}  {:<6}  {detail}{apart}",
            columns::pad(&l.reference, ref_width),
            columns::pad(&format!("{}/{}", l.doc, l.flow), flow_width),
            item_cell(l.item.as_deref()),
            period_cell(period_of(l).as_deref()),
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
    if !list.overdue.is_empty() {
        println!();
        println!("{}", p.bold("overdue:"));
        for o in &list.overdue {
            println!(
                "  {}  {}  for {}  due {}, {} late",
                o.reference,
                o.step.as_deref().unwrap_or("(whole flow)"),
                o.dept.as_deref().unwrap_or("-"),
                o.due.map_or_else(String::new, |d| clock::show(d, tz)),
                o.due.map_or_else(String::new, |d| engine::lateness(d, now))
            );
        }
    }
}

/// Prints the periods recurring flows have no run for.
pub(super) fn print_due(out: &[DueFlow], format: Format) {
    if format == Format::Json {
        println!("{}", app::to_json(out));
        return;
    }
    let p = Paint::for_stdout();
    if out.is_empty() {
        println!("no recurring flows");
    }
    /// Daily flows can miss hundreds of periods; the most recent say what to do next.
    const SHOWN: usize = 12;
    for f in out {
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
            match &m.item {
                Some(item) => println!("  {item}  {}  no run yet{from}{late}", m.label),
                None => println!("  {}  no run yet{from}{late}", m.label),
            }
        }
    }
}

/// Prints an inbox: one line per step, overdue first, with how late it is.
pub(super) fn print_inbox(inbox: &Inbox, depts: &[String], format: Format) {
    if format == Format::Json {
        println!("{}", app::to_json(&inbox.items));
        return;
    }
    if inbox.items.is_empty() {
        println!("nothing waiting for {}", depts.join(", "));
        return;
    }
    let p = Paint::for_stdout();
    let rows: Vec<[String; 5]> = inbox
        .items
        .iter()
        .map(|i| {
            [
                i.reference.clone(),
                format!("{}/{}", i.doc, i.flow),
                i.step.clone(),
                // Whose inbox it is in: their own work, and those it was escalated to.
                [
                    match &i.on_behalf {
                        Some(party) => format!("{} for {party}", i.depts.join("/")),
                        None => i.depts.join("/"),
                    },
                    if i.escalated_to.is_empty() {
                        String::new()
                    } else {
                        format!("{} (escalated)", i.escalated_to.join("/"))
                    },
                ]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
                i.due
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |d| d.local.clone()),
            ]
        })
        .collect();
    let header = ["REF", "FLOW", "STEP", "FOR", "DUE"].map(String::from);
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|r| columns::width(&r[c]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String; 5]| {
        row.iter()
            .zip(&widths)
            .map(|(cell, &w)| columns::pad(cell, w))
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}  TITLE", line(&header));
    for (item, row) in inbox.items.iter().zip(&rows) {
        let late = item
            .late_by
            .as_deref()
            .map(|l| format!("{}  ", p.red(&format!("OVERDUE {l}"))))
            .unwrap_or_default();
        let escalated = item
            .escalated_from
            .as_ref()
            .map(|since| {
                let to = item.escalation.join(", ");
                format!(
                    "{}  ",
                    p.yellow(&format!("escalated to {to} since {}", since.local))
                )
            })
            .unwrap_or_default();
        println!("{}  {late}{escalated}{}", line(row), item.step_title);
    }
    let (overdue, escalated) = (inbox.overdue(), inbox.escalated());
    println!();
    println!(
        "{} step{} waiting, {overdue} overdue{}",
        inbox.items.len(),
        if inbox.items.len() == 1 { "" } else { "s" },
        if escalated > 0 {
            format!(", {escalated} escalated")
        } else {
            String::new()
        }
    );
}
