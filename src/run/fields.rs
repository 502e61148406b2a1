//! Record field values entered when a step is completed (`--field KEY=VALUE`): which
//! fields a step may fill, reading each value by its field type, and showing it back.
//!
//! Values are stored typed (numbers as numbers, checkboxes as booleans, choices as the
//! option's primary label) so that exports and printed records need no parsing. A number
//! is kept as the person wrote it: a JSON number when it reads back as typed (`12`, `0.5`),
//! else the text typed, checked as a number (`12.50`), so that no record shows a value
//! nobody entered. Numbers are written as on a paper form (`-12.50`): an exponent (`1e1`)
//! is refused, since it reads as something else to most people who see the record.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::Value;

use super::clock;
use super::engine::{RunError, Snapshot};
use crate::spec::model::{Field, FieldType, Procedure, Record, Step};
use crate::spec::text::Text;

/// A record a step produces, with the key it is written under (`contract-review` or
/// `CS-P-002#complaint-report`).
#[derive(Debug, Clone, Copy)]
pub struct Produced<'a> {
    pub key: &'a str,
    pub record: &'a Record,
}

/// The records `step` produces, as far as the snapshot knows them.
pub fn produced<'a>(
    snapshot: &'a Snapshot,
    procedure: &'a Procedure,
    step: &'a Step,
) -> Vec<Produced<'a>> {
    step.produces
        .iter()
        .filter_map(|key| {
            let (doc, id) = match key.split_once('#') {
                Some((doc, id)) => (snapshot.procedure(doc)?, id),
                None => (procedure, key.as_str()),
            };
            let record = doc.records.iter().find(|r| r.id == id)?;
            Some(Produced {
                key: key.as_str(),
                record,
            })
        })
        .collect()
}

/// The field a stored `record.field` key names.
pub fn lookup<'a>(produced: &[Produced<'a>], key: &str) -> Option<(Produced<'a>, &'a Field)> {
    let (record, field) = key.rsplit_once('.')?;
    let p = produced.iter().find(|p| p.key == record)?;
    let f = p.record.fields.iter().find(|f| f.id == field)?;
    Some((*p, f))
}

/// Reads `--field` arguments against the produced records and demands the required fields.
pub fn collect(
    produced: &[Produced],
    raw: &[String],
    tz: Tz,
    lang: &str,
) -> Result<BTreeMap<String, Value>, RunError> {
    let mut out = BTreeMap::new();
    for item in raw {
        let (key, value) = item.split_once('=').ok_or_else(|| {
            RunError::Usage(format!(
                "--field `{item}`: write KEY=VALUE, e.g. --field contract-review.customer=ACME"
            ))
            .about("fields")
        })?;
        let input = format!("fields.{}", key.trim());
        let (record, field) =
            resolve(produced, key.trim()).map_err(|why| RunError::at(&input, why))?;
        let full = format!("{}.{}", record.key, field.id);
        let input = format!("fields.{full}");
        let value = read(field, value, tz, lang).map_err(|why| RunError::at(&input, why))?;
        if out.insert(full.clone(), value).is_some() {
            return Err(RunError::at(&input, "given twice"));
        }
    }
    let missing: Vec<(String, &str)> = produced
        .iter()
        .flat_map(|p| {
            p.record
                .fields
                .iter()
                .filter(|f| f.required)
                .map(move |f| (p, f))
        })
        .map(|(p, f)| (format!("{}.{}", p.key, f.id), f.label.best(lang, lang)))
        .filter(|(key, _)| !out.contains_key(key))
        .collect();
    if !missing.is_empty() {
        let lines: Vec<String> = missing
            .iter()
            .map(|(key, label)| format!("  {key} ({label})"))
            .collect();
        // One input per missing field, so a form marks each of them.
        return Err(RunError::Inputs {
            inputs: missing
                .iter()
                .map(|(key, label)| (format!("fields.{key}"), format!("{label} is required")))
                .collect(),
            error: Box::new(RunError::Refused(format!(
                "required record fields are missing; give them with --field KEY=VALUE:\n{}",
                lines.join("\n")
            ))),
        });
    }
    Ok(out)
}

/// The field a typed key names: `record.field`, or `field` when only one produced record
/// has it.
pub(super) fn resolve<'a>(
    produced: &[Produced<'a>],
    key: &str,
) -> Result<(Produced<'a>, &'a Field), String> {
    if produced.is_empty() {
        return Err("this step produces no record, so it has no fields to fill".to_string());
    }
    if let Some(found) = lookup(produced, key) {
        return Ok(found);
    }
    let matches: Vec<(Produced, &Field)> = produced
        .iter()
        .flat_map(|p| p.record.fields.iter().map(move |f| (*p, f)))
        .filter(|(_, f)| f.id == key)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            let known: Vec<String> = produced
                .iter()
                .flat_map(|p| {
                    p.record
                        .fields
                        .iter()
                        .map(move |f| format!("{}.{}", p.key, f.id))
                })
                .collect();
            Err(format!(
                "no such field in the records this step produces; fields: {}",
                known.join(", ")
            ))
        }
        several => Err(format!(
            "several records have this field; write {}",
            several
                .iter()
                .map(|(p, f)| format!("{}.{}", p.key, f.id))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

const YES: &[&str] = &["yes", "y", "true", "x", "1"];
const NO: &[&str] = &["no", "n", "false", "0"];

/// Reads one value by its field's type.
pub fn read(field: &Field, raw: &str, tz: Tz, lang: &str) -> Result<Value, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("the value is empty".to_string());
    }
    let option = |candidate: &str| -> Result<Value, String> {
        field
            .options
            .iter()
            .find(|o| o.matches(candidate))
            .map(|o| Value::String(o.best(lang, lang).to_string()))
            .ok_or_else(|| {
                format!(
                    "`{candidate}` is not one of the options: {}",
                    options(&field.options, lang)
                )
            })
    };
    match field.kind {
        FieldType::Text | FieldType::Longtext | FieldType::Signature => {
            Ok(Value::String(raw.to_string()))
        }
        FieldType::Number => {
            let number = field
                .unit
                .as_deref()
                .and_then(|u| text.strip_suffix(u))
                .unwrap_or(text)
                .trim();
            // Whole numbers are kept as integers so that `12` reads back as `12`, not `12.0`.
            let whole = number.parse::<i64>().ok().map(serde_json::Number::from);
            let value = Some(())
                .filter(|()| plain_decimal(number))
                .and(whole)
                .or_else(|| {
                    number
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite() && plain_decimal(number))
                        .and_then(serde_json::Number::from_f64)
                })
                .ok_or_else(|| {
                    format!(
                        "`{text}` is not a number: write digits, with a decimal point if needed (1250.50), no exponent"
                    )
                })?;
            in_range(field, value.as_f64().unwrap_or_default(), number)?;
            // The record keeps what the person wrote: a number that would not read back as
            // typed (`12.50` as `12.5`) is kept as its text.
            Ok(if value.to_string() == number {
                Value::Number(value)
            } else {
                Value::String(number.to_string())
            })
        }
        FieldType::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
            .map_err(|_| format!("`{text}` is not a date: write YYYY-MM-DD")),
        FieldType::Datetime => clock::parse(text, tz).map(|t| Value::String(clock::stamp(t))),
        FieldType::Choice => option(text),
        FieldType::Multichoice => text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(option)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        FieldType::Checkbox => {
            let lower = text.to_lowercase();
            if YES.contains(&lower.as_str()) {
                Ok(Value::Bool(true))
            } else if NO.contains(&lower.as_str()) {
                Ok(Value::Bool(false))
            } else {
                Err(format!("`{text}` is not yes or no"))
            }
        }
        FieldType::Table => {
            // Rows are separated by `;`, cells by `|`: `Item A|spec|2; Item B|spec|1`.
            let columns = field.columns.len().max(1);
            let mut rows = Vec::new();
            for row in text.split(';').map(str::trim).filter(|r| !r.is_empty()) {
                let cells: Vec<Value> = row
                    .split('|')
                    .map(|c| Value::String(c.trim().to_string()))
                    .collect();
                if cells.len() > columns {
                    return Err(format!(
                        "the row `{row}` has {} cells, the table has {columns} columns ({})",
                        cells.len(),
                        options(&field.columns, lang)
                    ));
                }
                rows.push(Value::Array(cells));
            }
            Ok(Value::Array(rows))
        }
    }
}

/// A number as people write one on a form: digits, a decimal point with digits after it if
/// needed, a leading minus (`-12.50`); no exponent (`1e1`), sign `+`, base prefix or digit
/// grouping, which a record would keep as typed and a reader could misread.
fn plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && all_digits(frac)
}

/// Whether a number `n`, typed as `typed`, is within the field's `min:` and `max:` (both
/// inclusive), or why not.
fn in_range(field: &Field, n: f64, typed: &str) -> Result<(), String> {
    let below = field.min.filter(|min| n < *min);
    let above = field.max.filter(|max| n > *max);
    if below.is_some() || above.is_some() {
        return Err(format!(
            "{typed} is outside the range of {}: {}",
            field.id,
            range_text(field).unwrap_or_default()
        ));
    }
    Ok(())
}

/// How a number field's range is printed (`at least 0`, `0 to 100 mm`, `at most 5`); `None`
/// without `min:` and `max:`.
pub fn range_text(field: &Field) -> Option<String> {
    let unit = field
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    let range = match (field.min, field.max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => return None,
    };
    Some(format!("{range}{unit}"))
}

fn options(texts: &[Text], lang: &str) -> String {
    texts
        .iter()
        .map(|t| format!("`{}`", t.best(lang, lang)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored value as people read it.
pub fn show(field: Option<&Field>, value: &Value, tz: Tz) -> String {
    match value {
        Value::String(s) => match field.map(|f| f.kind) {
            Some(FieldType::Datetime) => clock::read_stamp(s)
                .map(|t| clock::show(t, tz))
                .unwrap_or_else(|| s.clone()),
            // A number kept as typed (`1e1`), with its unit as a number has it.
            Some(FieldType::Number) => match field.and_then(|f| f.unit.as_deref()) {
                Some(u) => format!("{s} {u}"),
                None => s.clone(),
            },
            _ => s.clone(),
        },
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::Number(n) => {
            let unit = field.and_then(|f| f.unit.as_deref());
            match unit {
                Some(u) => format!("{n} {u}"),
                None => n.to_string(),
            }
        }
        Value::Array(items) => {
            let table = field.is_some_and(|f| f.kind == FieldType::Table);
            items
                .iter()
                .map(|i| match i {
                    Value::Array(cells) => cells
                        .iter()
                        .map(|c| show(None, c, tz))
                        .collect::<Vec<_>>()
                        .join(" | "),
                    other => show(None, other, tz),
                })
                .collect::<Vec<_>>()
                .join(if table { "; " } else { ", " })
        }
        Value::Null => String::new(),
        Value::Object(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(yaml: &str) -> Field {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_number_is_kept_as_typed_and_checked_against_its_range() {
        let f = number("{ id: gap, label: Gap, type: number, min: 0, max: 10, unit: mm }");
        let read = |raw: &str| read(&f, raw, Tz::UTC, "en");
        assert_eq!(
            read(" 12 mm").unwrap_err(),
            "12 is outside the range of gap: 0 to 10 mm"
        );
        assert_eq!(read("7"), Ok(Value::from(7)));
        assert_eq!(read("0.5"), Ok(Value::from(0.5)));
        // Read as numbers, kept as written.
        assert_eq!(read("2.50 mm"), Ok(Value::from("2.50")));
        assert_eq!(read("3.25"), Ok(Value::from(3.25)));
        // Written as on a form: no exponent, no `+`, no grouping, no bare point.
        for odd in [" 1e1 ", "1.1e1", "+7", "1,000", "0x10", "1.", ".5"] {
            assert!(read(odd).unwrap_err().contains("is not a number"), "{odd}");
        }
        assert!(read("ten").unwrap_err().contains("is not a number"));
        assert_eq!(show(Some(&f), &Value::from("2.50"), Tz::UTC), "2.50 mm");
        assert_eq!(show(Some(&f), &Value::from(7), Tz::UTC), "7 mm");
    }
}
