//! Periods of per-item recurring work (`trigger: { for_each: gauges, every: ... }`), for
//! `run due` and for the period a per-item run covers.
//!
//! Each item recurs on its own interval (one for all, or the one its `every.by` column
//! names), in periods laid out from the document's effective date as for a recurring flow
//! ([`super::recurrence`]). A run covers the item and the period it was started in; the
//! store keeps both in the run's period as `ITEM@YYYY-MM-DD`.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::calendar::Calendar;
use super::clock;
use super::engine::{RunError, Spec, StartRequest, refused};
use super::recurrence::{self, Period};
use super::store::Store;
use super::triggers::ItemPin;
use crate::spec::model::{PerItem, Recurrence};

/// The period key a per-item run is stored with: `GA-014@2026-07-01`.
pub fn key(item: &str, period: &str) -> String {
    format!("{item}@{period}")
}

/// The item and period of a stored per-item period key.
pub fn split_key(stored: &str) -> Option<(&str, &str)> {
    stored.rsplit_once('@')
}

fn recurrence_of(per: &PerItem, columns: &BTreeMap<String, String>) -> Option<Recurrence> {
    per.every.of(columns).map(|every| Recurrence {
        every,
        during: None,
    })
}

/// The stored period key of a run of `item` started on `date`; `None` when the item's
/// interval is unknown (the checker reports such a register).
pub fn period_of(
    effective: NaiveDate,
    per: &PerItem,
    item: &ItemPin,
    cal: &Calendar,
    date: NaiveDate,
) -> Option<String> {
    let rec = recurrence_of(per, &item.map())?;
    recurrence::period_of(effective, &rec, cal, date).map(|p| key(&item.key, &p.key))
}

/// Every period of one item that has started by `today`, oldest first, each named as people
/// name it (`2026 Q3`, `July 2026`, `2026`, else its dates).
pub fn started_by(
    effective: NaiveDate,
    per: &PerItem,
    columns: &BTreeMap<String, String>,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Vec<Period>, String> {
    let rec = recurrence_of(per, columns).ok_or_else(|| {
        format!(
            "no interval for this item in `every` of `for_each: {}`",
            per.for_each
        )
    })?;
    Ok(recurrence::started_by(effective, &rec, cal, today)?
        .into_iter()
        .map(|p| Period {
            label: calendar_name(p.start, p.next).unwrap_or(p.label.clone()),
            ..p
        })
        .collect())
}

/// The stored period key of the period of `item` that `chosen` names, as `run due` prints it:
/// its name (`2026 Q3`, `July 2026`, `2026-07-16 – 2026-07-31`) or its first day
/// (`2026-07-01`), ignoring case and surrounding spaces. Only periods begun by `today` can
/// be chosen: a late one is started today for the period it belongs to. Refused: a period
/// the item does not have (yet), naming its most recent ones.
pub fn chosen_period(
    effective: NaiveDate,
    per: &PerItem,
    item: &ItemPin,
    cal: &Calendar,
    today: NaiveDate,
    chosen: &str,
) -> Result<String, String> {
    let periods = started_by(effective, per, &item.map(), cal, today)?;
    let whose = format!("item `{}`", item.key);
    let p = super::recurrence::named_period(&periods, chosen, &whose, today)?;
    Ok(key(&item.key, &p.key))
}

/// The stored period key of a per-item run about to start: the period `request.period`
/// names ([`chosen_period`]), else the one its start falls in. Refused: a period the item
/// does not have, and a second run of the flow for the same item and period (open or
/// ended), naming the run there is.
pub(super) fn period_to_start(
    store: &dyn Store,
    spec: &Spec,
    per: &PerItem,
    request: &StartRequest,
) -> Result<Option<String>, RunError> {
    let Some(item) = request.item.as_ref() else {
        return Ok(None);
    };
    let effective = spec.procedure.effective.0;
    let today = clock::local_date(request.at, spec.tz());
    let period = match request.period.as_deref() {
        Some(chosen) => Some(
            chosen_period(effective, per, item, &spec.calendar, today, chosen)
                .map_err(|e| RunError::Usage(e).about("period"))?,
        ),
        None => period_of(effective, per, item, &spec.calendar, today),
    };
    let Some(period) = period else {
        return Ok(None);
    };
    if let Some(run) = super::per_period::run_for(store, spec, &request.doc, &period)? {
        let (_, first_day) = split_key(&period).unwrap_or(("", &period));
        return Err(refused(format!(
            "item `{}` already has run {} of flow `{}` for the period from {first_day}: one run per item and period",
            item.key,
            super::per_period::named(&run, spec),
            spec.flow.id,
        ))
        .about("item"));
    }
    Ok(Some(period))
}

/// Refused: `request.period` on a flow that does not recur, or on a per-item flow without
/// the item.
pub(super) fn period_only_per_item(spec: &Spec, request: &StartRequest) -> Result<(), RunError> {
    use crate::spec::model::Trigger;
    match (&request.period, &spec.flow.trigger) {
        (None, _) | (Some(_), Some(Trigger::Every(_))) => Ok(()),
        (Some(_), Some(Trigger::ForEach(_))) if request.item.is_some() => Ok(()),
        (Some(_), Some(Trigger::ForEach(_))) => Err(RunError::Usage(format!(
            "--period: flow `{}` is run per register item; a period is chosen with --item",
            spec.flow.id
        ))
        .about("period")),
        (Some(_), _) => Err(RunError::Usage(format!(
            "--period: flow `{}` does not recur; only a recurring flow's run is for a period",
            spec.flow.id
        ))
        .about("period")),
    }
}

/// A calendar name for a period that is exactly a year, a quarter, a month or a half
/// month: `2026`, `2026 Q3`, `July 2026`, `2026-07-16 – 2026-07-31` stays as it is.
fn calendar_name(start: NaiveDate, next: NaiveDate) -> Option<String> {
    if start.day() != 1 {
        return None;
    }
    let months = (next.year() - start.year()) * 12 + next.month() as i32 - start.month() as i32;
    if next.day() != 1 {
        return None;
    }
    match months {
        12 if start.month() == 1 => Some(start.format("%Y").to_string()),
        3 if (start.month() - 1).is_multiple_of(3) => {
            Some(format!("{} Q{}", start.year(), (start.month() - 1) / 3 + 1))
        }
        1 => Some(start.format("%B %Y").to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_are_named_as_people_name_them() {
        assert_eq!(
            calendar_name(d("2026-07-01"), d("2026-10-01")).as_deref(),
            Some("2026 Q3")
        );
        assert_eq!(
            calendar_name(d("2026-07-01"), d("2026-08-01")).as_deref(),
            Some("July 2026")
        );
        assert_eq!(
            calendar_name(d("2026-01-01"), d("2027-01-01")).as_deref(),
            Some("2026")
        );
        assert_eq!(calendar_name(d("2026-02-01"), d("2026-05-01")), None);
        assert_eq!(calendar_name(d("2026-07-16"), d("2026-07-31")), None);
    }

    #[test]
    fn a_key_keeps_item_and_period() {
        assert_eq!(
            split_key(&key("GA-014", "2026-07-01")),
            Some(("GA-014", "2026-07-01"))
        );
    }
}
