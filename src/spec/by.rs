//! Who signs a step: `by: QA`, `by: [GM, DGM]` (any one of them), or
//! `by: { all: [QA, PROD, ENG] }` (each of them signs; the step is done when the last one has).

use std::fmt;
use std::ops::Deref;

use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::OneOrMany;

/// A step's responsible departments or parties. Dereferences to the list of codes, so code
/// that only asks "who may act" reads it as before; `joint` says whether every one of them
/// must sign (`{ all: [...] }`) rather than any one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct By {
    /// The codes, in the order written.
    pub list: OneOrMany,
    /// `by: { all: [...] }`: each code signs once; the step completes with the last signature.
    pub joint: bool,
}

impl By {
    /// Any one of `codes` may sign (`by: X` or `by: [A, B]`).
    pub fn any(codes: Vec<String>) -> By {
        By {
            list: OneOrMany(codes),
            joint: false,
        }
    }

    /// Whether no code is given (a step without `by`).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The codes as a plain list, for code written against [`OneOrMany`].
    pub fn ids(&self) -> &OneOrMany {
        &self.list
    }

    /// The source-map path of the `i`-th code below the step's path `sp`.
    pub fn path(&self, sp: &str, i: usize) -> String {
        if self.joint {
            format!("{sp}.by.all[{i}]")
        } else {
            format!("{sp}.by[{i}]")
        }
    }
}

impl Deref for By {
    type Target = OneOrMany;
    fn deref(&self) -> &OneOrMany {
        &self.list
    }
}

impl Serialize for By {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.joint {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("all", &self.list.0)?;
            map.end()
        } else {
            self.list.serialize(serializer)
        }
    }
}

/// `{ all: [...] }`, read entry by entry so that errors keep their position.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllOf {
    all: Vec<super::model::Scalar>,
}

impl<'de> Deserialize<'de> for By {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ByVisitor;
        impl<'de> Visitor<'de> for ByVisitor {
            type Value = By;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a department code, a list of codes (any one signs) or `{ all: [...] }` (each signs)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<By, E> {
                OneOrMany::deserialize(de::value::StrDeserializer::new(v)).map(By::from)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<By, E> {
                OneOrMany::deserialize(de::value::U64Deserializer::new(v)).map(By::from)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<By, E> {
                OneOrMany::deserialize(de::value::I64Deserializer::new(v)).map(By::from)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<By, E> {
                OneOrMany::deserialize(de::value::F64Deserializer::new(v)).map(By::from)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<By, E> {
                OneOrMany::deserialize(de::value::BoolDeserializer::new(v)).map(By::from)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<By, A::Error> {
                OneOrMany::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(By::from)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<By, A::Error> {
                let all = AllOf::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(By {
                    list: OneOrMany(all.all.into_iter().map(|s| s.0).collect()),
                    joint: true,
                })
            }
        }
        deserializer.deserialize_any(ByVisitor)
    }
}

impl From<OneOrMany> for By {
    fn from(list: OneOrMany) -> By {
        By { list, joint: false }
    }
}

impl JsonSchema for By {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "By".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Who signs the step: a department or party code; a list of codes (any one of them signs); or `{ all: [QA, PROD, ENG] }` (each of them signs, and the step is done when the last one has).",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } },
                {
                    "type": "object",
                    "description": "Each department signs; the step is done when the last one has.",
                    "properties": {
                        "all": {
                            "description": "The departments or parties that each sign the step (at least two).",
                            "type": "array",
                            "items": { "type": "string" }
                        }
                    },
                    "required": ["all"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_read_and_write_back() {
        let one: By = serde_yaml::from_str("QA").unwrap();
        assert_eq!(
            (one.list.0.clone(), one.joint),
            (vec!["QA".to_string()], false)
        );
        let any: By = serde_yaml::from_str("[GM, DGM]").unwrap();
        assert!(!any.joint && any.len() == 2);
        let all: By = serde_yaml::from_str("{ all: [QA, PROD, ENG] }").unwrap();
        assert!(all.joint);
        assert_eq!(all.list.0, ["QA", "PROD", "ENG"]);
        assert_eq!(
            serde_json::to_string(&all).unwrap(),
            r#"{"all":["QA","PROD","ENG"]}"#
        );
        assert_eq!(serde_json::to_string(&any).unwrap(), r#"["GM","DGM"]"#);
        assert!(serde_yaml::from_str::<By>("{ any: [QA] }").is_err());
    }
}
