//! Which trigger starts a run, and which register item a per-item run is for.
//!
//! A flow with several triggers (`trigger: [ { text, start }, ... ]`) starts at the step the
//! chosen trigger names; a run is started by the trigger's number (1-based) or its text in
//! any QMS language. A per-item flow (`trigger: { for_each: ... }`) starts for one item of
//! its register, whose columns are pinned to the run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::engine::{RunError, Spec};
use crate::spec::model::Trigger;

/// The register item a per-item run is for: its key and every column as it read when the
/// run started (the register may change later; the run keeps what it was started with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPin {
    pub key: String,
    /// (column, value) in the register's order, the key column included.
    pub columns: Vec<(String, String)>,
}

impl ItemPin {
    /// The value of `column`.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.as_str())
    }

    /// Column → value, for looking up an item's interval.
    pub fn map(&self) -> BTreeMap<String, String> {
        self.columns.iter().cloned().collect()
    }
}

/// The triggers of a flow with several, numbered from 1, for messages and forms:
/// `1. Customer complaint (starts at receive)`.
pub fn listing(spec: &Spec) -> Vec<String> {
    let Some(trigger) = &spec.flow.trigger else {
        return Vec::new();
    };
    trigger
        .starts()
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {} (starts at {})", i + 1, spec.text(&t.text), t.start))
        .collect()
}

/// The trigger a run started at step `start` was started by, as [`listing`] numbers it;
/// `None` on a flow with one trigger (or none). A run of such a flow started without a
/// choice (a called flow) began at the first trigger's step.
pub fn started_by(spec: &Spec, start: Option<&str>) -> Option<String> {
    let starts = spec.flow.trigger.as_ref().map_or(&[][..], Trigger::starts);
    let listed = listing(spec);
    let at = match start {
        Some(step) => starts.iter().position(|t| t.start == step)?,
        None if starts.is_empty() => return None,
        None => 0,
    };
    listed.into_iter().nth(at)
}

/// The step id a run starts at, for the trigger the user chose (`None`: the flow's first
/// step). Refused: no trigger chosen on a flow with several (the message lists them), an
/// unknown number or text, or a trigger chosen on a flow that has only one.
pub fn choose_start(spec: &Spec, chosen: Option<&str>) -> Result<Option<String>, RunError> {
    let starts = spec.flow.trigger.as_ref().map_or(&[][..], Trigger::starts);
    let chosen = chosen.map(str::trim).filter(|c| !c.is_empty());
    if starts.is_empty() {
        return match chosen {
            None => Ok(None),
            Some(c) => Err(RunError::usage_at(
                "trigger",
                format!(
                    "flow `{}` has one trigger: start it without choosing one (`{c}` given)",
                    spec.flow.id
                ),
            )),
        };
    }
    let list = || listing(spec).join("; ");
    let Some(chosen) = chosen else {
        return Err(RunError::usage_at(
            "trigger",
            format!(
                "flow `{}` has several triggers: choose one by its number or text: {}",
                spec.flow.id,
                list()
            ),
        ));
    };
    let by_number = chosen
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| starts.get(i));
    let found = by_number.or_else(|| starts.iter().find(|t| t.text.matches(chosen)));
    match found {
        Some(t) => Ok(Some(t.start.clone())),
        None => Err(RunError::usage_at(
            "trigger",
            format!(
                "flow `{}` has no trigger `{chosen}`: give its number or text: {}",
                spec.flow.id,
                list()
            ),
        )),
    }
}

/// Checks the item given for a run against its flow: a per-item flow needs one, any other
/// flow takes none.
pub fn check_item(spec: &Spec, item: Option<&ItemPin>) -> Result<(), RunError> {
    match (&spec.flow.trigger, item) {
        (Some(Trigger::ForEach(p)), None) => Err(RunError::usage_at(
            "item",
            format!(
                "flow `{}` runs once per item of register `{}`: give the item to run it for",
                spec.flow.id, p.for_each
            ),
        )
        .on_the_command_line(format!(
            "flow `{}` runs once per item of register `{}`: give the item with `--item KEY` (`procdoc run due` lists the items due)",
            spec.flow.id, p.for_each
        ))),
        (Some(Trigger::ForEach(_)), Some(_)) => Ok(()),
        (_, Some(i)) => Err(RunError::usage_at(
            "item",
            format!(
                "flow `{}` is not run per item: start it without an item (`{}` given)",
                spec.flow.id, i.key
            ),
        )),
        (_, None) => Ok(()),
    }
}

/// The `--field KEY=VALUE` arguments a per-item run adds by itself: each field of a record
/// the step produces that says `value: item.COLUMN` and was not given, filled with that
/// column of the run's item (a different value given is refused by [`check_item_fields`]).
pub fn item_fields(
    produced: &[super::fields::Produced],
    item: Option<&ItemPin>,
    given: &[String],
) -> Vec<String> {
    let Some(item) = item else {
        return Vec::new();
    };
    let given: Vec<&str> = given
        .iter()
        .filter_map(|g| g.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let mut out = Vec::new();
    for p in produced {
        for field in &p.record.fields {
            let Some(column) = field.item_column() else {
                continue;
            };
            let full = format!("{}.{}", p.key, field.id);
            if given.iter().any(|g| *g == full || *g == field.id) {
                continue;
            }
            if let Some(value) = item.get(column) {
                out.push(format!("{full}={value}"));
            }
        }
    }
    out
}

/// Refuses a value given for a field that says `value: item.COLUMN` other than that column
/// of the run's item: the field states which item the record is of, so only the item's
/// value may stand there (the same value given again is accepted). Keys that do not name a
/// field are left to [`super::fields::collect`] to report.
pub fn check_item_fields(
    produced: &[super::fields::Produced],
    item: Option<&ItemPin>,
    given: &[String],
) -> Result<(), RunError> {
    let Some(item) = item else {
        return Ok(());
    };
    for g in given {
        let Some((key, value)) = g.split_once('=') else {
            continue;
        };
        let Ok((record, field)) = super::fields::resolve(produced, key.trim()) else {
            continue;
        };
        let Some(column) = field.item_column() else {
            continue;
        };
        let Some(expected) = item.get(column) else {
            continue;
        };
        if value.trim() != expected.trim() {
            let full = format!("{}.{}", record.key, field.id);
            return Err(RunError::at(
                &format!("fields.{full}"),
                format!(
                    "this run is for item `{}`, whose {column} is `{expected}`; the field takes the item's value, not `{}`",
                    item.key,
                    value.trim()
                ),
            ));
        }
    }
    Ok(())
}
