//! The working calendar of `procdoc.yaml` as written: hours the same every workday or per
//! weekday, and holidays and extra workdays that are whole or part days (format 1.1).
//! The checker reads these into a [`crate::run::calendar::Calendar`].

use std::fmt;

use schemars::JsonSchema;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{Date, OneOrMany, Weekday};

/// The working calendar for working-time deadlines.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA time zone name, e.g. `Asia/Shanghai` or `Europe/Amsterdam`; `UTC` when left out.
    /// Working hours are read on this zone's clock.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Working weekdays (`mon`..`sun`); Monday to Friday when left out.
    #[serde(default = "default_workdays")]
    pub workdays: Vec<Weekday>,
    /// Working hours, `HH:MM-HH:MM` on the 24-hour local clock (`00:00-24:00` is the whole
    /// day): one range, a list of ranges, or a map from a weekday (`fri`) or a range of
    /// weekdays (`mon-thu`) to its ranges.
    #[serde(default)]
    pub hours: Hours,
    /// Days not worked: a date, or `{ date, hours }` for a part day on which only those
    /// hours are worked.
    #[serde(default)]
    pub holidays: Vec<SpecialDate>,
    /// Days worked although their weekday is not a workday (to make up for a holiday): a
    /// date (worked with the usual hours), or `{ date, hours }` with its own hours.
    #[serde(default)]
    pub extra_workdays: Vec<SpecialDate>,
}

fn default_timezone() -> String {
    "UTC".to_string()
}

fn default_workdays() -> Vec<Weekday> {
    vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
}

/// The `hours` of a calendar as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hours {
    /// The same ranges on every workday (`"08:00-17:00"` or a list).
    Daily(Vec<String>),
    /// Ranges per weekday: each key as written (`mon-thu`, `fri`) with its ranges, in the
    /// order written. Keys are checked by the checker, which can point at them.
    PerWeekday(Vec<(String, Vec<String>)>),
}

impl Default for Hours {
    fn default() -> Self {
        Hours::Daily(vec!["09:00-17:00".to_string()])
    }
}

impl Serialize for Hours {
    // Daily hours serialize as a list, as version 1 did, so stored forms stay the same.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Hours::Daily(ranges) => ranges.serialize(serializer),
            Hours::PerWeekday(days) => {
                let mut map = serializer.serialize_map(Some(days.len()))?;
                for (key, ranges) in days {
                    map.serialize_entry(key, ranges)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HoursVisitor;
        impl<'de> Visitor<'de> for HoursVisitor {
            type Value = Hours;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a range `HH:MM-HH:MM`, a list of ranges, or a map from weekdays (`mon-thu`, `fri`) to ranges",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Hours, E> {
                Ok(Hours::Daily(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Hours, A::Error> {
                OneOrMany::deserialize(SeqAccessDeserializer::new(seq)).map(|o| Hours::Daily(o.0))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hours, A::Error> {
                let mut days = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let ranges: OneOrMany = map.next_value()?;
                    days.push((key, ranges.0));
                }
                Ok(Hours::PerWeekday(days))
            }
        }
        deserializer.deserialize_any(HoursVisitor)
    }
}

const RANGE_PATTERN: &str = r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$";

fn ranges_schema() -> serde_json::Value {
    serde_json::json!({
        "anyOf": [
            { "type": "string", "pattern": RANGE_PATTERN },
            { "type": "array", "items": { "type": "string", "pattern": RANGE_PATTERN } }
        ]
    })
}

impl JsonSchema for Hours {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hours".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let description = "Working hours, `HH:MM-HH:MM` on the 24-hour local clock (`00:00-24:00` is the whole day): one range, a list of ranges in the order of the day, or a map from a weekday (`fri`) or a range of weekdays (`mon-thu`) to its ranges.";
        let ranges = ranges_schema();
        schemars::json_schema!({
            "description": description,
            "markdownDescription": description,
            "default": ["09:00-17:00"],
            "anyOf": [
                { "type": "string", "pattern": RANGE_PATTERN },
                { "type": "array", "items": { "type": "string", "pattern": RANGE_PATTERN } },
                {
                    "type": "object",
                    "propertyNames": { "pattern": "^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$" },
                    "additionalProperties": ranges
                }
            ]
        })
    }
}

/// A holiday or extra workday as written: a date, or a part day `{ date, hours }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDate {
    pub date: Date,
    /// For a part day, the only hours worked on it.
    pub hours: Option<Vec<String>>,
}

/// The map form, read strictly so that a misspelt key is reported at its line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartDay {
    date: Date,
    hours: OneOrMany,
}

impl Serialize for SpecialDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.hours {
            None => self.date.serialize(serializer),
            Some(hours) => PartDay {
                date: self.date,
                hours: OneOrMany(hours.clone()),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for SpecialDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecialVisitor;
        impl<'de> Visitor<'de> for SpecialVisitor {
            type Value = SpecialDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD, or `{ date, hours }` for a part day")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SpecialDate, E> {
                let date = Date::deserialize(de::value::StrDeserializer::<E>::new(v))?;
                Ok(SpecialDate { date, hours: None })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SpecialDate, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SpecialDate, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SpecialDate, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SpecialDate, A::Error> {
                let part = PartDay::deserialize(MapAccessDeserializer::new(map))?;
                Ok(SpecialDate {
                    date: part.date,
                    hours: Some(part.hours.0),
                })
            }
        }
        deserializer.deserialize_any(SpecialVisitor)
    }
}

impl JsonSchema for SpecialDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SpecialDate".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let description = "A date written YYYY-MM-DD, or `{ date, hours }` for a part day on which only those hours are worked.";
        let ranges = ranges_schema();
        schemars::json_schema!({
            "description": description,
            "markdownDescription": description,
            "anyOf": [
                { "type": "string", "format": "date" },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["date", "hours"],
                    "properties": {
                        "date": {
                            "type": "string",
                            "format": "date",
                            "description": "The date, YYYY-MM-DD."
                        },
                        "hours": {
                            "description": "The only hours worked that day, `HH:MM-HH:MM`: one range or a list.",
                            "anyOf": ranges["anyOf"].clone()
                        }
                    }
                }
            ]
        })
    }
}

/// The weekdays a per-weekday key names: `fri` or a range in week order, `mon-thu`.
/// `None` when the key is neither.
pub fn weekdays_of_key(key: &str) -> Option<Vec<Weekday>> {
    const DAYS: [(&str, Weekday); 7] = [
        ("mon", Weekday::Mon),
        ("tue", Weekday::Tue),
        ("wed", Weekday::Wed),
        ("thu", Weekday::Thu),
        ("fri", Weekday::Fri),
        ("sat", Weekday::Sat),
        ("sun", Weekday::Sun),
    ];
    let index = |name: &str| DAYS.iter().position(|(n, _)| *n == name.trim());
    let (first, last) = match key.split_once('-') {
        Some((a, b)) => (index(a)?, index(b)?),
        None => (index(key)?, index(key)?),
    };
    (first <= last).then(|| DAYS[first..=last].iter().map(|(_, d)| *d).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> CalendarSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn reads_every_form_of_hours_and_special_days() {
        let spec = read("hours: \"08:00-17:00\"\nholidays: [2026-12-25]\n");
        assert_eq!(spec.hours, Hours::Daily(vec!["08:00-17:00".into()]));
        assert_eq!(spec.holidays[0].hours, None);
        let spec = read(
            "hours: { mon-thu: [\"08:00-12:00\", \"12:30-17:00\"], fri: \"08:00-14:30\" }\n\
             holidays: [{ date: 2026-12-24, hours: \"08:00-12:00\" }]\n\
             extra_workdays: [2026-09-27, { date: 2026-10-10, hours: [\"09:00-15:00\"] }]\n",
        );
        let Hours::PerWeekday(days) = &spec.hours else {
            panic!("per weekday");
        };
        assert_eq!(days[0].0, "mon-thu");
        assert_eq!(days[1].1, vec!["08:00-14:30".to_string()]);
        assert_eq!(spec.holidays[0].hours, Some(vec!["08:00-12:00".into()]));
        assert_eq!(spec.extra_workdays[0].hours, None);
        assert_eq!(
            spec.extra_workdays[1].hours,
            Some(vec!["09:00-15:00".into()])
        );
    }

    #[test]
    fn serializes_so_that_it_reads_back_the_same() {
        let spec = read(
            "hours: { mon-thu: \"08:00-17:00\", fri: \"08:00-14:30\" }\n\
             holidays: [2026-12-25, { date: 2026-12-24, hours: \"08:00-12:00\" }]\n",
        );
        let json = serde_json::to_value(&spec).unwrap();
        let again: CalendarSpec = serde_json::from_value(json).unwrap();
        // JSON objects keep no order; the keys' order carries no meaning.
        let sorted = |h: &Hours| match h {
            Hours::PerWeekday(days) => {
                let mut days = days.clone();
                days.sort();
                days
            }
            Hours::Daily(_) => vec![],
        };
        assert_eq!(sorted(&again.hours), sorted(&spec.hours));
        assert_eq!(again.holidays, spec.holidays);
        let daily = serde_json::to_value(read("hours: \"08:00-17:00\"\n")).unwrap();
        assert_eq!(daily["hours"], serde_json::json!(["08:00-17:00"]));
    }

    #[test]
    fn a_part_day_with_a_misspelt_key_is_refused() {
        let err = serde_yaml::from_str::<CalendarSpec>(
            "holidays: [{ date: 2026-12-24, huors: \"08:00-12:00\" }]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("huors"), "{err}");
    }

    #[test]
    fn keys_name_a_day_or_a_range_in_week_order() {
        assert_eq!(weekdays_of_key("fri"), Some(vec![Weekday::Fri]));
        assert_eq!(weekdays_of_key("mon-wed").map(|d| d.len()), Some(3));
        assert_eq!(weekdays_of_key("fri-mon"), None);
        assert_eq!(weekdays_of_key("friday"), None);
        assert_eq!(weekdays_of_key("mon-"), None);
    }
}
