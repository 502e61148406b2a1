//! `Text`: a human-readable value, either a plain string in the QMS's primary language or a
//! map from language code to string.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Languages(BTreeMap<String, String>),
}

impl Text {
    /// The text in `lang`, where a plain string counts as the primary language.
    pub fn get<'a>(&'a self, lang: &str, primary: &str) -> Option<&'a str> {
        match self {
            Text::Plain(s) if lang == primary => Some(s),
            Text::Plain(_) => None,
            Text::Languages(map) => map.get(lang).map(String::as_str),
        }
    }

    /// The best single string for `lang`: that language, else the primary, else any.
    pub fn best<'a>(&'a self, lang: &str, primary: &str) -> &'a str {
        match self {
            Text::Plain(s) => s,
            Text::Languages(map) => map
                .get(lang)
                .or_else(|| map.get(primary))
                .or_else(|| map.values().next())
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    /// Every language variant, for matching a label typed in any language.
    pub fn variants(&self) -> Vec<&str> {
        match self {
            Text::Plain(s) => vec![s.as_str()],
            Text::Languages(map) => map.values().map(String::as_str).collect(),
        }
    }

    /// (language, text) pairs; the language is empty for a plain string.
    pub fn entries(&self) -> Vec<(&str, &str)> {
        match self {
            Text::Plain(s) => vec![("", s.as_str())],
            Text::Languages(map) => map.iter().map(|(l, t)| (l.as_str(), t.as_str())).collect(),
        }
    }

    /// Whether `candidate` equals the text in any of its languages (trimmed, case-insensitive).
    pub fn matches(&self, candidate: &str) -> bool {
        let candidate = candidate.trim();
        self.variants()
            .iter()
            .any(|v| v.trim().eq_ignore_ascii_case(candidate))
    }

    /// Language codes given in a language map (none for a plain string).
    pub fn languages(&self) -> Vec<&str> {
        match self {
            Text::Plain(_) => Vec::new(),
            Text::Languages(map) => map.keys().map(String::as_str).collect(),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Plain(s) => f.write_str(s),
            Text::Languages(map) => {
                f.write_str(map.values().next().map(String::as_str).unwrap_or(""))
            }
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_string())
    }
}

/// A scalar written where a string is expected (`when: 1`, `revision: 2`) is read as its
/// text, because users write labels and numbers without thinking of YAML types.
///
/// YAML would read `1.10` as the number 1.1; [`scalar_string`] asks the parser for the
/// characters as written instead, so `revision: 1.10` stays `1.10`. Where a value can be a
/// text or a map (a [`Text`]), the parser has already turned the scalar into a number when
/// the visitor sees it; the visitor then records it with [`note_resolved_scalar`] and the
/// loader puts back the characters written (see `spec::load`).
pub(crate) struct ScalarAsString;

thread_local! {
    /// Set when a scalar that YAML read as a number, boolean or null became text, so its
    /// written form has to be restored from the source. Parsing one file stays on one thread.
    static RESOLVED_SCALAR: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Record that a text was made from a scalar YAML had read as another type.
pub(crate) fn note_resolved_scalar() {
    RESOLVED_SCALAR.with(|flag| flag.set(true));
}

/// Whether [`note_resolved_scalar`] was called on this thread since the last call; resets it.
pub(crate) fn take_resolved_scalar() -> bool {
    RESOLVED_SCALAR.with(|flag| flag.replace(false))
}

impl Visitor<'_> for ScalarAsString {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        note_resolved_scalar();
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        note_resolved_scalar();
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        note_resolved_scalar();
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        note_resolved_scalar();
        Ok(v.to_string())
    }
}

/// Deserialize any scalar as the string written (see [`ScalarAsString`]): `1.10`, `007`
/// and `True` keep their characters.
pub(crate) fn scalar_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_str(ScalarAsString)
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text: a string, or a map from language code to string (`{ en: ..., zh: ... }`)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::Plain(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                ScalarAsString.visit_bool(v).map(Text::Plain)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                ScalarAsString.visit_i64(v).map(Text::Plain)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                ScalarAsString.visit_u64(v).map(Text::Plain)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                ScalarAsString.visit_f64(v).map(Text::Plain)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value_seed(StringSeed)?;
                    if out.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!(
                            "language `{key}` is given twice"
                        )));
                    }
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "an empty language map: give at least the primary language",
                    ));
                }
                Ok(Text::Languages(out))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

struct StringSeed;

impl<'de> de::DeserializeSeed<'de> for StringSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        scalar_string(d)
    }
}

impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A text in the primary language, or a map from language code to text.",
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] }, "minProperties": 1 }
            ]
        })
    }
}
