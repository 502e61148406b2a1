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

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`<n> minutes|hours|days|weeks|months|years|working hours|working days` (singular forms too) or `immediately`",
            "pattern": "^\\s*(immediately|[0-9]+\\s+(minutes?|hours?|days?|weeks?|months?|years?|working\\s+hours?|working\\s+days?))\\s*$"
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
