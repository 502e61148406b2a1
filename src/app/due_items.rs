//! `run due` for per-item flows: every item of the flow's register times every period of
//! its interval that has begun, for which no run of that item exists yet.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::listing::{DueFlow, DuePeriod};
use crate::run::calendar::Calendar;
use crate::run::per_item;
use crate::spec::load::Qms;
use crate::spec::model::{Flow, PerItem};

/// The item × period pairs of one per-item flow without a run, oldest period first (items
/// in register order within a period); `covered` are the stored periods of its runs.
#[allow(clippy::too_many_arguments)]
pub(super) fn due_items(
    qms: &Qms,
    p: &crate::spec::model::Procedure,
    flow: &Flow,
    per: &PerItem,
    calendar: &Calendar,
    today: NaiveDate,
    lang: &str,
    covered: &BTreeSet<String>,
) -> DueFlow {
    let mut entry = DueFlow {
        doc: p.id.clone(),
        flow: flow.id.clone(),
        title: flow.title.best(lang, lang).to_string(),
        every: format!("each item of {}, every {}", per.for_each, per.every),
        problem: None,
        missing: Vec::new(),
    };
    let register = qms
        .settings
        .as_ref()
        .and_then(|s| s.registers.iter().find(|r| r.id == per.for_each));
    let table = qms.item_table(&per.for_each);
    let (Some(register), Some(table)) = (register, table) else {
        entry.problem = Some(format!("register `{}` cannot be read", per.for_each));
        return entry;
    };
    let Some(key_column) = table
        .column(&register.key)
        .filter(|_| table.problem.is_none())
    else {
        entry.problem = Some(format!(
            "register `{}` cannot be read: see `procdoc check`",
            per.for_each
        ));
        return entry;
    };
    if table.rows.is_empty() {
        // Nothing is due because nothing is listed: an empty register is no assurance.
        entry.problem = Some(format!("register `{}` lists no items", per.for_each));
        return entry;
    }
    let mut missing: Vec<(NaiveDate, usize, DuePeriod)> = Vec::new();
    for (i, row) in table.rows.iter().enumerate() {
        let item = row[key_column].text.clone();
        let columns = table.columns_of(row);
        match per_item::started_by(p.effective.0, per, &columns, calendar, today) {
            Err(why) => {
                entry.problem = Some(format!("item `{item}`: {why}"));
                return entry;
            }
            Ok(periods) => {
                for period in periods {
                    if covered.contains(&per_item::key(&item, &period.key)) {
                        continue;
                    }
                    missing.push((
                        period.start,
                        i,
                        DuePeriod {
                            late: today > period.last_day,
                            key: period.key,
                            label: period.label,
                            item: Some(item.clone()),
                        },
                    ));
                }
            }
        }
    }
    missing.sort_by_key(|(start, i, _)| (*start, *i));
    entry.missing = missing.into_iter().map(|(_, _, d)| d).collect();
    entry
}
