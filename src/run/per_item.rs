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
use super::recurrence::{self, Period};
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
