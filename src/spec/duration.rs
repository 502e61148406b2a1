//! Durations as quality managers write them: `2 working days`, `8 hours`, `immediately`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The unit of a [`Duration`]. Working units follow the QMS calendar; the others are
/// plain calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
    WorkingHours,
    WorkingDays,
}

impl Unit {
    /// Whether the unit counts working time on the company calendar.
    pub fn is_working(self) -> bool {
        matches!(self, Unit::WorkingHours | Unit::WorkingDays)
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Unit::Minutes => ("minute", "minutes"),
            Unit::Hours => ("hour", "hours"),
            Unit::Days => ("day", "days"),
            Unit::Weeks => ("week", "weeks"),
            Unit::Months => ("month", "months"),
            Unit::Years => ("year", "years"),
            Unit::WorkingHours => ("working hour", "working hours"),
            Unit::WorkingDays => ("working day", "working days"),
        }
    }

    const ALL: [Unit; 8] = [
        Unit::Minutes,
        Unit::Hours,
        Unit::Days,
        Unit::Weeks,
        Unit::Months,
        Unit::Years,
        Unit::WorkingHours,
        Unit::WorkingDays,
    ];
}

/// A duration such as `2 working days`. `immediately` is zero minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub amount: u32,
    pub unit: Unit,
}

impl Duration {
    pub const IMMEDIATELY: Duration = Duration {
        amount: 0,
        unit: Unit::Minutes,
    };
}

/// Why a duration could not be read; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurationError {}

const EXPECTED: &str = "write `<number> minutes|hours|days|weeks|months|years|working hours|working days` \
                        (e.g. `2 working days`) or `immediately`";

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.eq_ignore_ascii_case("immediately") {
            return Ok(Duration::IMMEDIATELY);
        }
        let (number, unit) = match text.split_once(' ') {
            Some(parts) => parts,
            None => {
                return Err(DurationError(format!(
                    "`{s}` is not a duration: {EXPECTED}"
                )));
            }
        };
        let amount: u32 = number.parse().map_err(|_| {
            DurationError(format!(
                "`{number}` in `{s}` is not a whole number: {EXPECTED}"
            ))
        })?;
        let unit_lower = unit.to_ascii_lowercase();
        for candidate in Unit::ALL {
            let (singular, plural) = candidate.names();
            if unit_lower == singular || unit_lower == plural {
                return Ok(Duration {
                    amount,
                    unit: candidate,
                });
            }
        }
        Err(DurationError(format!(
            "`{unit}` in `{s}` is not a unit of time: {EXPECTED}"
        )))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Duration::IMMEDIATELY {
            return f.write_str("immediately");
        }
        let (singular, plural) = self.unit.names();
        let name = if self.amount == 1 { singular } else { plural };
        write!(f, "{} {}", self.amount, name)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `2 working days`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(|e: DurationError| E::custom(e.0))
            }
        }
        deserializer.deserialize_str(DurationVisitor)
    }
}

/// The whitespace `str::split_whitespace` splits on (Unicode `White_Space`), as an
/// ECMAScript character class: JavaScript's `\s` differs (it has U+FEFF, lacks U+0085).
const WS: &str =
    "[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

/// The amounts `u32::from_str` reads: an optional `+`, leading zeros, at most 4294967295.
const AMOUNT: &str = "\\+?0*(?:[0-9]{1,9}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])";

/// [`AMOUNT`] without zero.
const NONZERO: &str = "\\+?0*(?:[1-9][0-9]{0,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])";

/// `word` matched without regard to ASCII case (`[hH][oO]...`), its spaces as runs of
/// whitespace. JSON Schema patterns have no flags, so case is spelt out letter by letter.
fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            ' ' => format!("{WS}+"),
            c if c.is_ascii_alphabetic() => {
                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
            }
            c => c.to_string(),
        })
        .collect()
}

/// A JSON Schema (ECMAScript) pattern matching exactly the texts [`Duration::from_str`]
/// reads with a unit of `units`: surrounding and inner whitespace, any ASCII case, singular
/// or plural. `immediately` is included when `immediately` is true; `nonzero` leaves out
/// amounts of zero.
pub fn pattern(units: &[Unit], immediately: bool, nonzero: bool) -> String {
    let names: Vec<String> = units
        .iter()
        .flat_map(|u| {
            let (singular, plural) = u.names();
            [any_case(plural), any_case(singular)]
        })
        .collect();
    let amount = if nonzero { NONZERO } else { AMOUNT };
    let mut forms = vec![format!("{amount}{WS}+(?:{})", names.join("|"))];
    if immediately {
        forms.insert(0, any_case("immediately"));
    }
    format!("^{WS}*(?:{}){WS}*$", forms.join("|"))
}

/// What the editor says of a text that is not a duration (instead of the pattern).
const DURATION_MESSAGE: &str = "Not a duration: write a whole number and a unit (minutes, hours, days, weeks, months, years, working hours or working days), e.g. `2 working days`, or `immediately`.";

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration: `<n> minutes|hours|days|weeks|months|years|working hours|working days` (singular forms too, any case), or `immediately`. Working units follow the QMS calendar; the others are calendar time.",
            "pattern": pattern(&Unit::ALL, true, false),
            "errorMessage": DURATION_MESSAGE
        })
    }
}

/// The interval of a recurring flow (`every: 3 months`), for the JSON Schema: a duration of
/// at least one day, working day, week, month or year. The loader reads it as a
/// [`Duration`] and refuses the rest at the value.
pub struct Interval;

/// Units an interval may have: a flow recurs at most daily.
pub const INTERVAL_UNITS: [Unit; 5] = [
    Unit::Days,
    Unit::Weeks,
    Unit::Months,
    Unit::Years,
    Unit::WorkingDays,
];

impl schemars::JsonSchema for Interval {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Interval".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "How often the flow recurs: `<n> days|weeks|months|years|working days` (singular forms too, any case), at least one, e.g. `1 year` or `1 working day`.",
            "pattern": pattern(&INTERVAL_UNITS, false, true),
            "errorMessage": "Not an interval: write a whole number (1 or more) and days, weeks, months, years or working days, e.g. `3 months` or `1 working day`; a flow recurs at most daily."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_singular_and_plural() {
        assert_eq!(
            "2 working days".parse(),
            Ok(Duration {
                amount: 2,
                unit: Unit::WorkingDays
            })
        );
        assert_eq!(
            "1 working   hour".parse(),
            Ok(Duration {
                amount: 1,
                unit: Unit::WorkingHours
            })
        );
        assert_eq!(
            "3 Months".parse(),
            Ok(Duration {
                amount: 3,
                unit: Unit::Months
            })
        );
        assert_eq!("immediately".parse(), Ok(Duration::IMMEDIATELY));
    }

    #[test]
    fn rejects_nonsense_with_a_hint() {
        let err = "2 fortnights".parse::<Duration>().unwrap_err();
        assert!(err.0.contains("`fortnights`"), "{err}");
        assert!("two days".parse::<Duration>().is_err());
        assert!("-1 days".parse::<Duration>().is_err());
        assert!("days".parse::<Duration>().is_err());
    }

    #[test]
    fn displays_back() {
        for s in ["1 working day", "8 hours", "immediately", "2 years"] {
            assert_eq!(s.parse::<Duration>().unwrap().to_string(), s);
        }
    }
}
