//! Rules on several triggers and on per-item recurrence: a trigger's `start` names a step,
//! `for_each` a register; every register file is a CSV with its key column, unique keys,
//! and an interval for each value of the `every.by` column; `value: item.COLUMN` names a
//! column. Findings in a register file are placed at their line and column in it.

use std::collections::HashMap;

use super::codes;
use super::diagnostic::Diagnostic;
use super::settings::did_you_mean;
use super::{Context, DocView, flow_path};
use crate::spec::items::{ItemTable, TableProblem};
use crate::spec::model::{ItemInterval, Trigger};
use crate::spec::source::Location;

/// The register files themselves, once per QMS.
pub fn check_registers(cx: &Context, out: &mut Vec<Diagnostic>) {
    let file = cx.qms.settings_file;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, register) in cx.settings.registers.iter().enumerate() {
        if let Some(first) = seen.insert(register.id.as_str(), i) {
            out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_ID,
                    cx.at(file, &format!("registers[{i}].id")),
                    format!("two registers have the id `{}`", register.id),
                )
                .label(cx.at(file, &format!("registers[{first}].id")), "first here")
                .hint("give each register its own id; a per-item trigger's `for_each` names the register by it"),
            );
        }
        let Some(table) = cx.qms.item_tables.iter().find(|t| t.index == i) else {
            continue;
        };
        let at_file = || cx.at(file, &format!("registers[{i}].file"));
        match &table.problem {
            Some(TableProblem::Outside(why)) => {
                out.push(Diagnostic::new(&codes::PATH_OUTSIDE, at_file(), why.clone()).hint(
                    "keep register files in the QMS folder and give the path relative to it, e.g. `file: registers/gauges.csv`",
                ));
                continue;
            }
            Some(TableProblem::Missing(why)) => {
                out.push(
                    Diagnostic::new(&codes::REGISTER_FILE_MISSING, at_file(), why.clone()).hint(
                        "give the CSV file's path relative to the QMS folder, or create it: a header row, then one row per item",
                    ),
                );
                continue;
            }
            Some(TableProblem::Malformed(why, span)) => {
                let location = match (table.file, span) {
                    (Some(f), Some(span)) => Location {
                        file: f,
                        span: span.clone(),
                    },
                    _ => at_file(),
                };
                out.push(
                    Diagnostic::new(
                        &codes::REGISTER_MALFORMED,
                        location,
                        format!("register `{}`: {why}", register.id),
                    )
                    .hint("a register is UTF-8 CSV: a header row, then one row per item, values separated by commas, a value with a comma in double quotes"),
                );
                continue;
            }
            None => {}
        }
        if let Some(f) = table.file {
            duplicate_columns(f, &register.id, &table.header, out);
        }
        let Some(key) = table.column(&register.key) else {
            out.push(missing_column(
                cx,
                table,
                cx.at(file, &format!("registers[{i}].key")),
                &register.key,
                "key",
            ));
            continue;
        };
        let mut keys: HashMap<&str, &crate::spec::items::Cell> = HashMap::new();
        for row in &table.rows {
            let cell = &row[key];
            let Some(f) = table.file else { break };
            let here = Location {
                file: f,
                span: cell.span.clone(),
            };
            if cell.text.is_empty() {
                out.push(
                    Diagnostic::new(
                        &codes::EMPTY_ITEM_KEY,
                        here,
                        format!(
                            "an item of register `{}` has no `{}`",
                            register.id, register.key
                        ),
                    )
                    .hint("give the row a key of its own in this column, e.g. the item's asset number; `run start --item` and `run due` name items by it"),
                );
            } else if let Some(first) = keys.insert(&cell.text, cell) {
                out.push(
                    Diagnostic::new(
                        &codes::DUPLICATE_ITEM_KEY,
                        here,
                        format!(
                            "register `{}` lists `{}` twice in column `{}`",
                            register.id, cell.text, register.key
                        ),
                    )
                    .label(
                        Location {
                            file: f,
                            span: first.span.clone(),
                        },
                        "first here",
                    )
                    .hint("each item has one row; merge the rows or correct the key"),
                );
            }
        }
    }
}

fn missing_column(
    cx: &Context,
    table: &ItemTable,
    at: Location,
    column: &str,
    what: &str,
) -> Diagnostic {
    let names: Vec<String> = table.header.iter().map(|c| c.text.clone()).collect();
    let mut d = Diagnostic::new(
        &codes::REGISTER_MISSING_COLUMN,
        at,
        format!(
            "the {what} column `{column}` is not in register `{}` (columns: {})",
            table.id,
            names.join(", ")
        ),
    );
    if let (Some(f), Some(first), Some(last)) =
        (table.file, table.header.first(), table.header.last())
    {
        d = d.label(
            Location {
                file: f,
                span: first.span.start..last.span.end,
            },
            "the header",
        );
    }
    let _ = cx;
    d.maybe_hint(did_you_mean(column, &names))
}

/// Each flow's triggers: starts, registers and intervals; each field's `value: item.X`.
pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, flow) in view.doc.flows.iter().enumerate() {
        let ids: Vec<String> = flow.steps.iter().map(|s| s.id.clone()).collect();
        match &flow.trigger {
            Some(Trigger::Several(list)) => {
                for (t, start) in list.iter().enumerate() {
                    if !ids.contains(&start.start) {
                        out.push(
                            Diagnostic::new(
                                &codes::UNKNOWN_STEP,
                                cx.at(file, &format!("{}.trigger[{t}].start", flow_path(f))),
                                format!(
                                    "trigger {} of flow `{}` starts at step `{}`, which is not in the flow",
                                    t + 1,
                                    flow.id,
                                    start.start
                                ),
                            )
                            .maybe_hint(did_you_mean(&start.start, &ids)),
                        );
                    }
                }
            }
            Some(Trigger::ForEach(per)) => per_item(cx, view, f, per, out),
            _ => {}
        }
    }
    item_values(cx, view, out);
    calls_into_per_item(cx, view, out);
}

/// A called run has no item: a step may not call a per-item flow.
fn calls_into_per_item(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    for (f, flow) in view.doc.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            let Some(call) = &step.calls else { continue };
            let doc = match &call.doc {
                Some(d) => match cx.docs.get(d.as_str()) {
                    Some(v) => &v.doc,
                    None => continue, // reported as an unknown document
                },
                None => view.doc,
            };
            let Some(target) = doc.flows.iter().find(|t| t.id == call.flow) else {
                continue; // reported as an unknown flow
            };
            let Some(Trigger::ForEach(per)) = &target.trigger else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    &codes::CALL_INTO_PER_ITEM,
                    cx.at(
                        view.file,
                        &format!("{}.calls.flow", super::step_path(f, s)),
                    ),
                    format!(
                        "step `{}` calls flow `{}`, which runs once per item of register `{}`, but a called run has no item",
                        step.id, call.flow, per.for_each
                    ),
                )
                .hint("start the per-item flow on its own (`run start --item`), or call a flow that needs no item"),
            );
        }
    }
}

fn per_item(
    cx: &Context,
    view: &DocView,
    f: usize,
    per: &crate::spec::model::PerItem,
    out: &mut Vec<Diagnostic>,
) {
    let file = view.file;
    let Some(register) = cx.settings.registers.iter().find(|r| r.id == per.for_each) else {
        let known: Vec<String> = cx.settings.registers.iter().map(|r| r.id.clone()).collect();
        out.push(
            Diagnostic::new(
                &codes::UNKNOWN_REGISTER,
                cx.at(file, &format!("{}.trigger.for_each", flow_path(f))),
                format!(
                    "`for_each: {}` names no register of procdoc.yaml{}",
                    per.for_each,
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!(" (registers: {})", known.join(", "))
                    }
                ),
            )
            .hint(did_you_mean(&per.for_each, &known).unwrap_or_else(|| {
                "list the register in procdoc.yaml: `registers: [ { id, title, file, key } ]`"
                    .to_string()
            })),
        );
        return;
    };
    let Some(table) = cx.qms.item_table(&register.id) else {
        return;
    };
    let ItemInterval::By { by, intervals } = &per.every else {
        return;
    };
    if table.problem.is_some() || table.column(&register.key).is_none() {
        return; // reported with the register
    }
    let Some(column) = table.column(by) else {
        out.push(missing_column(
            cx,
            table,
            cx.at(file, &format!("{}.trigger.every.by", flow_path(f))),
            by,
            "`every.by`",
        ));
        return;
    };
    let Some(csv) = table.file else { return };
    let values: Vec<&str> = table.rows.iter().map(|r| r[column].text.trim()).collect();
    for key in intervals.keys() {
        if values.contains(&key.as_str()) {
            continue;
        }
        let mut known: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        known.sort();
        known.dedup();
        // A policy may name a class no item is in today (no Low gauges yet); only a key that
        // looks like a misspelt value of the column is a mistake.
        let Some(best) = crate::spec::load::closest(key, &known) else {
            continue;
        };
        let hint = format!("did you mean `{best}`?");
        out.push(
            Diagnostic::new(
                &codes::UNKNOWN_INTERVAL_KEY,
                cx.at(file, &format!("{}.trigger.every.{key}", flow_path(f))),
                format!(
                    "`every` gives an interval for `{by}: {key}`, but no item of register `{}` has that value",
                    register.id
                ),
            )
            .hint(hint),
        );
    }
    for row in &table.rows {
        let cell = &row[column];
        if !intervals.contains_key(cell.text.trim()) {
            let given: Vec<String> = intervals.keys().cloned().collect();
            out.push(
                Diagnostic::new(
                    &codes::ITEM_WITHOUT_INTERVAL,
                    Location {
                        file: csv,
                        span: cell.span.clone(),
                    },
                    format!(
                        "item `{}` of register `{}` has `{by}: {}`, for which flow `{}` gives no interval",
                        row.get(table.column(&register.key).unwrap_or(0))
                            .map(|c| c.text.as_str())
                            .unwrap_or_default(),
                        register.id,
                        cell.text,
                        view.doc.flows[f].id
                    ),
                )
                .label(
                    cx.at(file, &format!("{}.trigger.every", flow_path(f))),
                    format!("intervals given for: {}", given.join(", ")),
                )
                .hint(format!(
                    "add `{}: <interval>` to `every`, or correct the row",
                    if cell.text.is_empty() { "\"\"" } else { &cell.text }
                )),
            );
        }
    }
}

/// `value: item.COLUMN` on a field: the field must be produced by steps of per-item flows
/// only, and the column must be in each of their registers.
fn item_values(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (r, record) in view.doc.records.iter().enumerate() {
        for (i, field) in record.fields.iter().enumerate() {
            let Some(value) = &field.value else { continue };
            let at = cx.at(file, &format!("records[{r}].fields[{i}].value"));
            let Some(column) = value.trim().strip_prefix("item.") else {
                out.push(
                    Diagnostic::new(
                        &codes::UNKNOWN_ITEM_COLUMN,
                        at,
                        format!("`value: {value}` is not `item.<column>`"),
                    )
                    .hint("a field is filled from the run's register item with `value: item.<column>`"),
                );
                continue;
            };
            for flow in &view.doc.flows {
                let produces = flow
                    .steps
                    .iter()
                    .any(|s| s.produces.iter().any(|p| p == &record.id));
                if !produces {
                    continue;
                }
                let problem = match &flow.trigger {
                    Some(Trigger::ForEach(per)) => {
                        let register = cx.settings.registers.iter().find(|x| x.id == per.for_each);
                        match register.and_then(|x| cx.qms.item_table(&x.id)) {
                            Some(table) if table.problem.is_none() && table.column(column).is_none() => {
                                let names: Vec<String> =
                                    table.header.iter().map(|c| c.text.clone()).collect();
                                Some((
                                    format!(
                                        "`value: {value}`: register `{}` has no column `{column}` (columns: {})",
                                        per.for_each,
                                        names.join(", ")
                                    ),
                                    did_you_mean(column, &names),
                                ))
                            }
                            _ => None,
                        }
                    }
                    _ => Some((
                        format!(
                            "`value: {value}`: flow `{}` produces this record but is not run per item, so a run has no item to take `{column}` from",
                            flow.id
                        ),
                        Some("use `value: item.<column>` only on records of flows with `trigger: { for_each: ... }`".to_string()),
                    )),
                };
                if let Some((message, hint)) = problem {
                    out.push(
                        Diagnostic::new(&codes::UNKNOWN_ITEM_COLUMN, at.clone(), message)
                            .maybe_hint(hint),
                    );
                    break;
                }
            }
        }
    }
}

/// A column named twice in a register's header (E0022), at the second one.
fn duplicate_columns(
    file: crate::spec::source::FileId,
    register: &str,
    header: &[crate::spec::items::Cell],
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, &crate::spec::items::Cell> = HashMap::new();
    for cell in header {
        if let Some(first) = seen.insert(&cell.text, cell) {
            seen.insert(&first.text, first);
            out.push(
                Diagnostic::new(
                    &codes::REGISTER_DUPLICATE_COLUMN,
                    Location {
                        file,
                        span: cell.span.clone(),
                    },
                    format!(
                        "the header of register `{register}` names the column `{}` twice",
                        cell.text
                    ),
                )
                .label(
                    Location {
                        file,
                        span: first.span.clone(),
                    },
                    "first here",
                )
                .hint("rename one of the columns, so that `key`, `every.by` and the forms name one column each"),
            );
        }
    }
}
