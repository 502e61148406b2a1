//! What starts a flow (`trigger:`): an event in words, a recurrence, several triggers each
//! starting at its own step, or recurring work per item of a register.
//!
//! The deserializer is written by hand so that every error keeps the position of the value
//! it is about, and so that a mistyped recurrence (`{ evry: 1 year }`) is an error instead
//! of a text in an unknown language.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::duration::{Duration, Unit};
use super::intervals::Intervals;
use super::model::Scalar;
use super::text::{ScalarAsString, Text};

/// What starts a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Trigger {
    /// An event described in words; a run starts at the first step.
    Event(Text),
    /// `{ every: 1 year, in: july }`: one run per period.
    Every(Recurrence),
    /// A list of triggers, each starting a run at its own step.
    Several(Vec<TriggerStart>),
    /// `{ for_each: gauges, every: ... }`: one run per item of a register and period.
    ForEach(PerItem),
}

impl Trigger {
    /// A one-line description in `lang` (English words for recurrences), for run pages
    /// and exports.
    pub fn describe(&self, lang: &str, primary: &str) -> String {
        match self {
            Trigger::Event(t) => t.best(lang, primary).to_string(),
            Trigger::Every(r) => match &r.during {
                Some(d) => format!("every {} in {d}", r.every),
                None => format!("every {}", r.every),
            },
            Trigger::Several(list) => list
                .iter()
                .map(|s| format!("{} (starts at {})", s.text.best(lang, primary), s.start))
                .collect::<Vec<_>>()
                .join("; "),
            Trigger::ForEach(p) => format!("each item of {}, every {}", p.for_each, p.every),
        }
    }

    /// The triggers that name their start step (`Several`), else none.
    pub fn starts(&self) -> &[TriggerStart] {
        match self {
            Trigger::Several(list) => list,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// How often the flow recurs: at least one day (`1 year`, `3 months`, `1 working day`).
    #[schemars(with = "super::duration::Interval")]
    pub every: Duration,
    /// The month (or other period) in which it falls, e.g. `july`.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub during: Option<String>,
}

/// One of several triggers of a flow: what happens, and the step a run then starts at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerStart {
    /// What happens (a text; a run names the trigger by it in any QMS language).
    pub text: Text,
    /// The id of the step a run started by this trigger begins at.
    pub start: String,
}

/// The start of the message of a recurrence (`every`, `in`) or a per-item trigger
/// (`for_each`) written as one of several triggers; the loader reports it under its own code.
pub const RECURRENCE_AMONG_TRIGGERS: &str = "a list of triggers takes only events";

impl<'de> Deserialize<'de> for TriggerStart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // By hand, so that a recurrence or a per-item trigger written into the list is
        // refused with its own message (the contract lists only `{ text, start }` there).
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TriggerStart;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one of several triggers, `{ text: ..., start: <step id> }`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TriggerStart, A::Error> {
                const FIELDS: &[&str] = &["text", "start"];
                let mut text = None;
                let mut start = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "text" if text.is_some() => return Err(de::Error::duplicate_field("text")),
                        "start" if start.is_some() => {
                            return Err(de::Error::duplicate_field("start"));
                        }
                        "text" => text = Some(map.next_value::<Text>()?),
                        "start" => start = Some(map.next_value::<String>()?),
                        "for_each" | "every" | "in" => {
                            return Err(de::Error::custom(format!(
                                "{RECURRENCE_AMONG_TRIGGERS} (`{{ text, start }}`): `{key}` makes this trigger a recurrence, which cannot be one of several"
                            )));
                        }
                        other => return Err(de::Error::unknown_field(other, FIELDS)),
                    }
                }
                Ok(TriggerStart {
                    text: text.ok_or_else(|| de::Error::missing_field("text"))?,
                    start: start.ok_or_else(|| de::Error::missing_field("start"))?,
                })
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Recurring work per item of a register (`procdoc.yaml` `registers:`): each item is due
/// once per its own interval, counted in periods from the document's effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PerItem {
    /// The id of the register whose rows are the items.
    pub for_each: String,
    pub every: ItemInterval,
}

/// A list the QMS keeps (`procdoc.yaml` `registers:`): a UTF-8 CSV file with a header row,
/// one item per row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRegister {
    /// The id a flow names in `for_each`.
    pub id: String,
    /// The register's name, printed with the flows that go through it.
    pub title: Text,
    /// The CSV file, relative to the QMS folder and never outside it (UTF-8, header row first).
    pub file: String,
    /// The column that names an item (`asset_no`); its values are unique.
    pub key: String,
}

/// How often an item is due: one interval for all, or one per value of a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemInterval {
    /// `every: 3 months`
    One(Duration),
    /// `every: { by: risk, High: 3 months, Low: 1 year }`: the interval of an item is the one
    /// given for its value in column `by` (the value matched exactly).
    By { by: String, intervals: Intervals },
}

impl ItemInterval {
    /// The interval of an item whose columns are `row` (column → value); `None` when the
    /// item's value has no interval (reported by the checker).
    pub fn of(&self, row: &BTreeMap<String, String>) -> Option<Duration> {
        match self {
            ItemInterval::One(d) => Some(*d),
            ItemInterval::By { by, intervals } => {
                row.get(by).and_then(|v| intervals.get(v.trim())).copied()
            }
        }
    }
}

impl fmt::Display for ItemInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemInterval::One(d) => write!(f, "{d}"),
            ItemInterval::By { by, intervals } => {
                let each: Vec<String> =
                    intervals.iter().map(|(k, d)| format!("{k}: {d}")).collect();
                write!(f, "by {by} ({})", each.join(", "))
            }
        }
    }
}

impl Serialize for ItemInterval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ItemInterval::One(d) => d.serialize(s),
            ItemInterval::By { by, intervals } => {
                let mut map = s.serialize_map(Some(intervals.len() + 1))?;
                map.serialize_entry("by", by)?;
                for (k, d) in intervals {
                    map.serialize_entry(k, d)?;
                }
                map.end()
            }
        }
    }
}

/// Whether a map key can be a language code (`en`, `zh`, `zh-Hant`): two or three lowercase
/// letters, optionally followed by subtags. `in` is left out: it belongs to a recurrence.
pub fn is_language_code(key: &str) -> bool {
    let mut parts = key.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && key != "in"
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The JSON Schema pattern of [`is_language_code`] (with `in` excluded separately).
const LANGUAGE_PATTERN: &str = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$";

/// The interval of a recurring flow: a duration counted in whole days or more, read on its
/// own so that a wrong one is reported at its value.
struct Every(Duration);

impl<'de> Deserialize<'de> for Every {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(EveryVisitor)
    }
}

// Checked inside the visitor, where an error still carries the value's position.
struct EveryVisitor;

impl EveryVisitor {
    fn check<E: de::Error>(v: &str) -> Result<Duration, E> {
        let d: Duration = v
            .parse()
            .map_err(|e: super::duration::DurationError| E::custom(e.0))?;
        if d.amount == 0 || matches!(d.unit, Unit::Minutes | Unit::Hours | Unit::WorkingHours) {
            return Err(E::custom(format!(
                "a flow cannot recur `every: {d}`: write a number of days, working days, weeks, months or years, e.g. `every: 1 working day` for a daily report"
            )));
        }
        Ok(d)
    }
}

impl<'de> Visitor<'de> for EveryVisitor {
    type Value = Every;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an interval such as `1 month` or `1 working day`")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Every, E> {
        Self::check(v).map(Every)
    }
}

/// `every:` of a trigger: an interval, or (per item) a map from a column's values to
/// intervals.
enum EveryValue {
    One(Duration),
    By { by: String, intervals: Intervals },
}

impl<'de> Deserialize<'de> for EveryValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EveryValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an interval such as `1 month`, or `{ by: <column>, <value>: <interval>, ... }`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EveryValue, E> {
                EveryVisitor::check(v).map(EveryValue::One)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EveryValue, A::Error> {
                let mut by = None;
                let mut intervals = Intervals::default();
                while let Some(key) = map.next_key::<Scalar>()? {
                    if key.0 == "by" {
                        by = Some(map.next_value::<Scalar>()?.0);
                    } else {
                        let every = map.next_value::<Every>()?.0;
                        intervals.insert(key.0, every);
                    }
                }
                let by = by.ok_or_else(|| {
                    de::Error::custom(
                        "`every` as a map needs `by: <column>`, e.g. `{ by: risk, High: 3 months, Low: 1 year }`",
                    )
                })?;
                if intervals.is_empty() {
                    return Err(de::Error::custom(format!(
                        "`every: {{ by: {by} }}` gives no interval: add one per value of the column, e.g. `High: 3 months`"
                    )));
                }
                Ok(EveryValue::By { by, intervals })
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A recurrence is told apart from a language map by its keys. The map is read entry
        // by entry (not buffered) so every error keeps the position of its value.
        struct TriggerVisitor;
        impl<'de> Visitor<'de> for TriggerVisitor {
            type Value = Trigger;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text, `{ every: <duration>, in: <month> }`, `{ for_each: <register>, every: ... }` or a list of `{ text, start }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Trigger, E> {
                Ok(Trigger::Event(Text::Plain(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Trigger, E> {
                ScalarAsString
                    .visit_u64(v)
                    .map(|s| Trigger::Event(Text::Plain(s)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Trigger, E> {
                ScalarAsString
                    .visit_i64(v)
                    .map(|s| Trigger::Event(Text::Plain(s)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Trigger, E> {
                ScalarAsString
                    .visit_f64(v)
                    .map(|s| Trigger::Event(Text::Plain(s)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Trigger, E> {
                ScalarAsString
                    .visit_bool(v)
                    .map(|s| Trigger::Event(Text::Plain(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Trigger, A::Error> {
                let mut list = Vec::new();
                while let Some(start) = seq.next_element::<TriggerStart>()? {
                    list.push(start);
                }
                if list.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list of triggers: give `{ text: ..., start: <step id> }` for each",
                    ));
                }
                Ok(Trigger::Several(list))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Trigger, A::Error> {
                let mut every = None;
                let mut during = None;
                let mut for_each = None;
                let mut languages = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "every" => every = Some(map.next_value::<EveryValue>()?),
                        "in" => during = Some(map.next_value::<Scalar>()?.0),
                        "for_each" => for_each = Some(map.next_value::<Scalar>()?.0),
                        _ if is_language_code(&key) => {
                            let text = map.next_value::<Scalar>()?.0;
                            languages.insert(key, text);
                        }
                        _ => {
                            return Err(de::Error::custom(format!(
                                "unknown field `{key}` in a trigger, expected `every`, `in`, `for_each` or a language code (`en`, `zh`)"
                            )));
                        }
                    }
                }
                if !languages.is_empty()
                    && (every.is_some() || during.is_some() || for_each.is_some())
                {
                    return Err(de::Error::custom(
                        "a trigger is either a text (`{ en: ..., zh: ... }`) or a recurrence (`{ every: 1 year, in: july }`), not both",
                    ));
                }
                match (for_each, every) {
                    (Some(_), Some(_)) if during.is_some() => Err(de::Error::custom(
                        "a per-item trigger takes no `in`: each item is due once per its interval",
                    )),
                    (Some(for_each), Some(every)) => Ok(Trigger::ForEach(PerItem {
                        for_each,
                        every: match every {
                            EveryValue::One(d) => ItemInterval::One(d),
                            EveryValue::By { by, intervals } => ItemInterval::By { by, intervals },
                        },
                    })),
                    (Some(r), None) => Err(de::Error::custom(format!(
                        "a per-item trigger needs `every`, e.g. `{{ for_each: {r}, every: 3 months }}`"
                    ))),
                    (None, Some(EveryValue::One(every))) => {
                        Ok(Trigger::Every(Recurrence { every, during }))
                    }
                    (None, Some(EveryValue::By { .. })) => Err(de::Error::custom(
                        "`every: { by: ... }` gives intervals per item: add `for_each: <register>`",
                    )),
                    (None, None) if during.is_some() => Err(de::Error::custom(
                        "a recurring trigger needs `every`, e.g. `{ every: 1 year, in: july }`",
                    )),
                    (None, None) if languages.is_empty() => {
                        Err(de::Error::custom("an empty trigger"))
                    }
                    (None, None) => Ok(Trigger::Event(Text::Languages(languages))),
                }
            }
        }
        deserializer.deserialize_any(TriggerVisitor)
    }
}

impl JsonSchema for Trigger {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Trigger".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let start = generator.subschema_for::<TriggerStart>();
        let every = every_schema();
        let words = "What starts a flow.";
        schemars::json_schema!({
            "description": words,
            "markdownDescription": words,
            "anyOf": [
                { "type": ["string", "number", "boolean"], "description": "The event, in the primary language." },
                {
                    "type": "object",
                    "description": "The event, per language (`{ en: ..., zh: ... }`).",
                    "minProperties": 1,
                    "propertyNames": {
                        "description": "A language code such as `en`, `zh` or `zh-Hant`.",
                        "pattern": LANGUAGE_PATTERN,
                        "not": { "enum": ["in"] },
                        "errorMessage": "A trigger is a text, given per language as `{ en: ..., zh: ... }`, a recurrence `{ every: <interval>, in: <month> }` whose interval is a day or more (`1 year`, `3 months`, `1 working day`), a list of `{ text, start }`, or `{ for_each: <register>, every: ... }`."
                    },
                    "additionalProperties": { "type": ["string", "number", "boolean"] }
                },
                {
                    "type": "object",
                    "description": "A recurring flow: `{ every: 1 year, in: july }`.",
                    "required": ["every"],
                    "additionalProperties": false,
                    "properties": {
                        "every": every.clone(),
                        "in": { "type": ["string", "number"], "description": "The month in which it falls (`july`)." }
                    }
                },
                {
                    "type": "object",
                    "description": "Recurring work per item of a register: `{ for_each: gauges, every: 6 months }`.",
                    "required": ["for_each", "every"],
                    "additionalProperties": false,
                    "properties": {
                        "for_each": { "type": "string", "description": "The id of a register of procdoc.yaml `registers:`; each row is an item." },
                        "every": {
                            "description": "One interval for every item, or `{ by: <column>, <value>: <interval>, ... }`: the interval of each value of a column of the register.",
                            "anyOf": [
                                every,
                                {
                                    "type": "object",
                                    "required": ["by"],
                                    "minProperties": 2,
                                    "properties": { "by": { "type": "string", "description": "The column whose value chooses the interval." } },
                                    "additionalProperties": every_schema()
                                }
                            ]
                        }
                    }
                },
                {
                    "type": "array",
                    "description": "Several triggers, each starting a run at its own step.",
                    "minItems": 1,
                    "items": start
                }
            ]
        })
    }
}

/// The schema of a recurrence interval: whole days or longer.
fn every_schema() -> serde_json::Value {
    // The interval's own schema, inline: the same pattern and message wherever an interval
    // is written.
    <super::duration::Interval as JsonSchema>::json_schema(&mut schemars::SchemaGenerator::default())
        .to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> Result<Trigger, String> {
        serde_yaml::from_str::<Trigger>(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_every_form() {
        assert!(matches!(read("A complaint"), Ok(Trigger::Event(_))));
        assert!(matches!(
            read("{ en: A complaint, zh-Hant: 投訴 }"),
            Ok(Trigger::Event(_))
        ));
        assert!(matches!(
            read("{ every: 1 year, in: july }"),
            Ok(Trigger::Every(_))
        ));
        let Ok(Trigger::Several(list)) =
            read("[ { text: Complaint, start: a }, { text: { en: Audit }, start: b } ]")
        else {
            panic!()
        };
        assert_eq!(list[1].start, "b");
        let Ok(Trigger::ForEach(p)) =
            read("{ for_each: gauges, every: { by: risk, High: 3 months, Low: 1 year } }")
        else {
            panic!()
        };
        assert_eq!(p.for_each, "gauges");
        let row = BTreeMap::from([("risk".to_string(), "Low".to_string())]);
        assert_eq!(
            p.every.of(&row).map(|d| d.to_string()),
            Some("1 year".into())
        );
    }

    #[test]
    fn a_map_is_not_taken_for_a_text() {
        for bad in [
            "{ every: 2 hours }",
            "{ every: 3 dayz }",
            "{ evry: 1 year, in: july }",
            "{ en: A, every: 1 year }",
            "{ in: july }",
            "{ every: { by: risk, High: 3 months } }",
            "{ for_each: gauges }",
            "{ for_each: gauges, every: { High: 3 months } }",
            "[]",
            "[ { text: A } ]",
            "[ { for_each: gauges, every: 3 months, start: a }, { text: B, start: b } ]",
            "[ { every: 1 year, start: a }, { text: B, start: b } ]",
            "[ { text: A, start: a, more: 1 } ]",
        ] {
            assert!(read(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_recurrence_among_several_triggers_is_named() {
        let e = read("[ { text: B, start: b }, { for_each: gauges, every: 3 months, start: a } ]")
            .unwrap_err();
        assert!(e.contains(RECURRENCE_AMONG_TRIGGERS), "{e}");
        assert!(e.contains("`for_each`"), "{e}");
    }

    #[test]
    fn round_trips_through_serialization() {
        for yaml in [
            "{ for_each: gauges, every: { by: risk, High: 3 months, Low: 1 year } }",
            "{ for_each: gauges, every: 6 months }",
            "[ { text: Complaint, start: a } ]",
        ] {
            let t = read(yaml).unwrap();
            let again = read(&serde_yaml::to_string(&t).unwrap()).unwrap();
            assert_eq!(t, again);
        }
    }
}
