//! Who may start and see runs, and whose work is whose.
//!
//! - Quality users start any run, see every run and may look at the work of any department.
//! - Staff start the flows whose first step one of their departments does, and every flow of
//!   a procedure one of their departments owns (the owner is in charge of the whole
//!   procedure, including the steps of parties such as the customer).
//! - Staff see the runs of procedures one of their departments acts in: does a step (`by`),
//!   takes part in one (`with`) or owns the procedure.
//!
//! The rules read the procedure a run is pinned to (its snapshot), so a later revision that
//! drops a department does not hide the runs it already worked on.

use serde::Serialize;

use super::{Refusal, RefusalKind};
use crate::control;
use crate::run::accounts::{Role, User};
use crate::spec::load::Qms;
use crate::spec::model::{Flow, Procedure, Step, Trigger};

fn owns(user: &User, procedure: &Procedure) -> bool {
    user.departments.contains(&procedure.owner)
}

/// Whether `user` may see the runs of `procedure`.
pub fn may_see(user: &User, procedure: &Procedure) -> bool {
    user.role == Role::Quality
        || owns(user, procedure)
        || procedure.flows.iter().flat_map(|f| &f.steps).any(|s| {
            s.by.iter()
                .chain(s.with.iter())
                .any(|d| user.departments.contains(d))
        })
}

/// Refused (kind [`RefusalKind::Forbidden`]) unless `user` may see the runs of `procedure`.
pub fn check_see(user: &User, procedure: &Procedure) -> Result<(), Refusal> {
    if may_see(user, procedure) {
        Ok(())
    } else {
        Err(Refusal::new(
            RefusalKind::Forbidden,
            None,
            format!(
                "{} may not see runs of {}: none of their departments ({}) acts in it",
                user.login,
                procedure.id,
                user.departments.join(", ")
            ),
        ))
    }
}

/// Whether `user` may start a run of `flow` of `procedure`: quality always; staff when one of
/// their departments does a step a run of the flow begins at (the first step, or with
/// several triggers the step of any of them) or owns the procedure.
pub fn may_start(user: &User, procedure: &Procedure, flow: &Flow) -> bool {
    user.role == Role::Quality
        || owns(user, procedure)
        || start_steps(flow).any(|s| s.by.iter().any(|d| user.departments.contains(d)))
}

/// The steps a run of `flow` may begin at: each trigger's `start` when the flow has several
/// triggers (a nonconformity found in the shop starts at inspection's step, a customer
/// return at sales'), else the first step.
fn start_steps(flow: &Flow) -> impl Iterator<Item = &Step> {
    let starts = flow.trigger.as_ref().map_or(&[][..], |t| t.starts());
    let named = starts
        .iter()
        .filter_map(|t| flow.steps.iter().find(|s| s.id == t.start));
    let first = starts.is_empty().then(|| flow.steps.first()).flatten();
    named.chain(first)
}

/// The step a run started by `trigger` (its number from 1, or its text) begins at, on a
/// flow with several triggers; `None` when the flow has one trigger or `trigger` names none
/// (the start itself refuses that, listing the triggers).
fn trigger_step<'a>(flow: &'a Flow, trigger: Option<&str>) -> Option<&'a Step> {
    let starts = flow.trigger.as_ref().map_or(&[][..], |t| t.starts());
    let chosen = trigger.map(str::trim).filter(|t| !t.is_empty())?;
    let by_number = chosen
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| starts.get(i));
    let found = by_number.or_else(|| starts.iter().find(|t| t.text.matches(chosen)))?;
    flow.steps.iter().find(|s| s.id == found.start)
}

/// Refused (kind [`RefusalKind::Forbidden`], about input `flow`) unless `user` may start
/// flow `flow` (the procedure's first when `None`) of procedure `doc`; on a flow with
/// several triggers, staff start it by `trigger` only when one of their departments does
/// that trigger's step. An unknown procedure, flow or trigger is left for the start itself
/// to refuse with its own message.
pub fn check_start(
    user: &User,
    qms: &Qms,
    doc: &str,
    flow: Option<&str>,
    trigger: Option<&str>,
) -> Result<(), Refusal> {
    let Some(procedure) = qms.procedure(doc).map(|p| &p.doc) else {
        return Ok(());
    };
    let found = match flow {
        Some(id) => procedure.flows.iter().find(|f| f.id == id),
        None => procedure.flows.first(),
    };
    let Some(found) = found else {
        return Ok(());
    };
    if user.role == Role::Quality || owns(user, procedure) {
        return Ok(());
    }
    match trigger_step(found, trigger) {
        Some(step) if step.by.iter().any(|d| user.departments.contains(d)) => return Ok(()),
        Some(step) => {
            return Err(Refusal::new(
                RefusalKind::Forbidden,
                Some("trigger"),
                format!(
                    "{} may not start flow `{}` of {} by this trigger: its step {} is not done by one of their departments ({}), and they do not own the procedure",
                    user.login,
                    found.id,
                    procedure.id,
                    step.id,
                    user.departments.join(", ")
                ),
            ));
        }
        None if may_start(user, procedure, found) => return Ok(()),
        None => {}
    }
    Err(Refusal::new(
        RefusalKind::Forbidden,
        Some("flow"),
        format!(
            "{} may not start flow `{}` of {}: no step it starts at is done by one of their departments ({}), and they do not own the procedure",
            user.login,
            found.id,
            procedure.id,
            user.departments.join(", ")
        ),
    ))
}

/// The departments whose work `user` looks at: quality users every department of the QMS
/// (`all`) or the one picked (`only`), staff their own (or the one of theirs picked). A pick
/// the user may not look at gives their default.
pub fn work_departments(user: &User, all: &[String], only: Option<&str>) -> Vec<String> {
    let mine: &[String] = match user.role {
        Role::Quality => all,
        Role::Staff => &user.departments,
    };
    match only {
        Some(pick) if mine.iter().any(|d| d == pick) => vec![pick.to_string()],
        _ => mine.to_vec(),
    }
}

/// A planned step of a flow, whose date a start may give.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedChoice {
    pub step: String,
    pub title: String,
}

/// A flow a user may start, as the start form offers it.
#[derive(Debug, Clone, Serialize)]
pub struct StartChoice {
    /// `DOC/flow`, the value the form sends back.
    pub key: String,
    pub doc: String,
    pub doc_title: String,
    pub flow: String,
    pub flow_title: String,
    /// The revision a run started now is pinned to.
    pub revision: String,
    /// That revision is not released (a draft, awaiting approval or modified since).
    pub draft: bool,
    /// Its release state as `procdoc status` words it.
    pub state: &'static str,
    pub planned: Vec<PlannedChoice>,
    /// For a flow with several triggers: each trigger's text, in order (the form sends its
    /// number, from 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<String>,
    /// For a per-item flow: the keys of its register's items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// For a per-item flow: each item as a person picks it, its key then its other columns
    /// (`GA-007 · Digital height gauge · 0-600 mm · ...`), in the order of `items`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item_labels: Vec<String>,
    /// The flow recurs (`every`, alone or per item): a run is for a period, and a late
    /// period may be named.
    pub recurring: bool,
}

/// Every flow of the QMS that `user` may start, in the order of the procedure files, worded
/// in `lang` (the primary language where a text lacks it).
pub fn start_choices(qms: &Qms, user: &User, lang: &str) -> Vec<StartChoice> {
    let primary = qms
        .settings
        .as_ref()
        .map_or("en", |s| s.primary_language())
        .to_string();
    let mut out = Vec::new();
    for loaded in &qms.procedures {
        let p = &loaded.doc;
        let state = control::release_state(qms, p);
        for flow in &p.flows {
            if !may_start(user, p, flow) {
                continue;
            }
            out.push(StartChoice {
                key: format!("{}/{}", p.id, flow.id),
                doc: p.id.clone(),
                doc_title: p.title.best(lang, &primary).to_string(),
                flow: flow.id.clone(),
                flow_title: flow.title.best(lang, &primary).to_string(),
                revision: p.revision.clone(),
                draft: state != control::RELEASED,
                state,
                planned: flow
                    .steps
                    .iter()
                    .filter(|s| s.planned)
                    .map(|s| PlannedChoice {
                        step: s.id.clone(),
                        title: s
                            .title
                            .as_ref()
                            .map_or_else(|| s.id.clone(), |t| t.best(lang, &primary).to_string()),
                    })
                    .collect(),
                triggers: flow
                    .trigger
                    .iter()
                    .flat_map(|t| t.starts())
                    .map(|t| t.text.best(lang, &primary).to_string())
                    .collect(),
                items: item_rows(qms, flow).into_iter().map(|(k, _)| k).collect(),
                item_labels: item_rows(qms, flow).into_iter().map(|(_, l)| l).collect(),
                recurring: matches!(flow.trigger, Some(Trigger::Every(_) | Trigger::ForEach(_))),
            });
        }
    }
    out
}

/// The item keys of a per-item flow's register, in register order (none for other flows).
/// The items of a per-item flow's register: each key and its label (the key, then the
/// row's other non-empty cells).
fn item_rows(qms: &Qms, flow: &crate::spec::model::Flow) -> Vec<(String, String)> {
    let Some(crate::spec::model::Trigger::ForEach(per)) = &flow.trigger else {
        return Vec::new();
    };
    let register = qms
        .settings
        .as_ref()
        .and_then(|s| s.registers.iter().find(|r| r.id == per.for_each));
    let (Some(register), Some(table)) = (register, qms.item_table(&per.for_each)) else {
        return Vec::new();
    };
    let Some(k) = table.column(&register.key) else {
        return Vec::new();
    };
    table
        .rows
        .iter()
        .map(|r| {
            let key = r[k].text.clone();
            let label = std::iter::once(key.as_str())
                .chain(
                    r.iter()
                        .enumerate()
                        .filter(|(i, c)| *i != k && !c.text.trim().is_empty())
                        .map(|(_, c)| c.text.as_str()),
                )
                .collect::<Vec<_>>()
                .join(" · ");
            (key, label)
        })
        .collect()
}
