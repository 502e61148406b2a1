//! One run per period of a recurring flow (`trigger: { every: 1 month }`): the period a run
//! is started for (the one its start falls in, or a late one named with `--period` as
//! `run due` prints it), and the refusal of a second run for a period that has one. A
//! per-item flow follows the same rule per item ([`super::per_item::period_to_start`]).

use super::clock;
use super::engine::{RunError, Spec, StartRequest, refused};
use super::recurrence;
use super::store::{Filter, RunRow, Status, Store};
use crate::spec::model::Recurrence;

/// The run of the flow of `spec` stored for `period` (a stored period key), if any.
pub(super) fn run_for(
    store: &dyn Store,
    spec: &Spec,
    doc: &str,
    period: &str,
) -> Result<Option<RunRow>, RunError> {
    let filter = Filter {
        doc: Some(doc.to_string()),
        flow: Some(spec.flow.id.clone()),
        period: Some(period.to_string()),
        ..Default::default()
    };
    Ok(store.list(&filter)?.into_iter().next())
}

/// How a run already there is named in a refusal: `M-1 (open, started 2026-11-05 09:00)`.
pub(super) fn named(run: &RunRow, spec: &Spec) -> String {
    format!(
        "{} ({}, started {})",
        run.reference,
        if run.status == Status::Open {
            "open"
        } else {
            "ended"
        },
        clock::show_stamp(&run.started_at, spec.tz()),
    )
}

/// The stored period key (its first day, `YYYY-MM-DD`) of a run of the recurring flow of
/// `spec` about to start: the period `request.period` names (its name or first day as
/// `run due` prints them, begun by the start's day), else the one the start falls in.
/// Refused: a period the flow does not have (yet), naming its latest ones, and a second run
/// for a period (open or ended), naming the run there is. `None` before the first period.
pub(super) fn period_to_start(
    store: &dyn Store,
    spec: &Spec,
    rec: &Recurrence,
    request: &StartRequest,
) -> Result<Option<String>, RunError> {
    let effective = spec.procedure.effective.0;
    let today = clock::local_date(request.at, spec.tz());
    let period = match request.period.as_deref() {
        Some(chosen) => {
            let periods = recurrence::started_by(effective, rec, &spec.calendar, today)
                .map_err(|e| RunError::Usage(e).about("period"))?;
            let whose = format!("flow `{}`", spec.flow.id);
            let p = recurrence::named_period(&periods, chosen, &whose, today)
                .map_err(|e| RunError::Usage(e).about("period"))?;
            Some(p.key.clone())
        }
        None => recurrence::period_of(effective, rec, &spec.calendar, today).map(|p| p.key),
    };
    let Some(period) = period else {
        return Ok(None);
    };
    if let Some(run) = run_for(store, spec, &request.doc, &period)? {
        return Err(refused(format!(
            "flow `{}` already has run {} for the period from {period}: one run per period (a period without a run is started late with its name or first day, as `run due` prints it)",
            spec.flow.id,
            named(&run, spec),
        ))
        .about("period"));
    }
    Ok(Some(period))
}
