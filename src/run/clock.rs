//! "Now" and the moments people type: `--at`, `PROCDOC_NOW`, planned dates and datetime
//! fields.
//!
//! Moments are stored as UTC with whole seconds (`2026-03-02T01:00:00Z`) so that they sort
//! as text in the store, and shown on the QMS's office clock.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The variable that overrides "now" for every command (tests, backdating).
pub const NOW_VAR: &str = "PROCDOC_NOW";

const ACCEPTED: &str =
    "write YYYY-MM-DD, `YYYY-MM-DD HH:MM` (QMS time zone) or RFC 3339 (2026-03-02T09:00:00+08:00)";

/// The moment a command acts at: `--at` if given, else `PROCDOC_NOW`, else the clock.
pub fn now(at: Option<&str>, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Some(text) = at {
        return parse(text, tz).map_err(|e| format!("--at: {e}"));
    }
    match std::env::var(NOW_VAR) {
        Ok(text) if !text.trim().is_empty() => {
            parse(&text, tz).map_err(|e| format!("{NOW_VAR}: {e}"))
        }
        _ => Ok(whole_seconds(Utc::now())),
    }
}

/// The computer's clock, to the second: when an event is really entered. Neither `--at`
/// nor `PROCDOC_NOW` changes it, so a back-dated sign-off always shows as such.
pub fn system_now() -> DateTime<Utc> {
    whole_seconds(Utc::now())
}

/// The variable that sets how far a stated time may be from the entry time before records
/// show both (`run show`, `list`, `export`), unless `--tolerance` is given.
pub const TOLERANCE_VAR: &str = "PROCDOC_ENTRY_TOLERANCE";

/// The tolerance when neither `--tolerance` nor `PROCDOC_ENTRY_TOLERANCE` is given.
pub const DEFAULT_TOLERANCE: &str = "1h";

/// How far a stated time may be from its entry time before it is flagged, in seconds:
/// `--tolerance`, else `PROCDOC_ENTRY_TOLERANCE`, else one hour. Written as a whole number
/// of minutes, hours or days (`30m`, `4h`, `2d`) or `0` (flag any difference). The error
/// names the variable it came from, but not `arg`: the caller says which input that is.
pub fn tolerance(arg: Option<&str>) -> Result<i64, String> {
    let (text, origin) = match arg {
        // The caller says which input the text came from.
        Some(t) => (t.to_string(), ""),
        None => match std::env::var(TOLERANCE_VAR) {
            Ok(t) if !t.trim().is_empty() => (t, TOLERANCE_VAR),
            _ => (DEFAULT_TOLERANCE.to_string(), "the default"),
        },
    };
    let t = text.trim();
    let bad = || {
        let from = if origin.is_empty() {
            String::new()
        } else {
            format!("{origin}: ")
        };
        format!(
            "{from}`{t}` is not a tolerance: write minutes, hours or days such as 30m, 4h or 2d"
        )
    };
    if t == "0" {
        return Ok(0);
    }
    let (number, unit) = t.split_at(t.len().saturating_sub(1));
    let number: i64 = number.trim().parse().map_err(|_| bad())?;
    let seconds = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    if number < 0 {
        return Err(bad());
    }
    number.checked_mul(seconds).ok_or_else(bad)
}

/// A span of seconds as people read it: `40 min`, `5 h`, `92 d`.
pub fn span(seconds: i64) -> String {
    let s = seconds.abs();
    if s < 3600 {
        format!("{} min", (s / 60).max(1))
    } else if s < 2 * 86_400 {
        format!("{} h", s / 3600)
    } else {
        format!("{} d", s / 86_400)
    }
}

/// Reads a moment as people write it. A date alone is the start of that day and a time
/// without offset is read on the QMS's office clock. Refused: a shape not listed in
/// [`ACCEPTED`], and a time without offset in the hour the clocks go back (it names two
/// moments; the message gives both with their offsets).
pub fn parse(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(whole_seconds(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            // An audit trail must not leave open which of two moments it records.
            if let LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&local) {
                return Err(format!(
                    "`{text}` is shown twice on the office clock ({tz}) as the clocks go back: give its offset, `{}` for the first or `{}` for the second",
                    first.to_rfc3339(),
                    second.to_rfc3339()
                ));
            }
            return Ok(whole_seconds(on_office_clock(local, tz)));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(on_office_clock(date.and_time(NaiveTime::MIN), tz));
    }
    Err(format!("`{text}` is not a date or time: {ACCEPTED}"))
}

/// The instant a wall-clock time names in `tz`: the earlier of two in a fall-back hour, the
/// first instant after a spring-forward gap.
pub fn on_office_clock(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; walk forward a minute at a time.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += chrono::TimeDelta::minutes(1);
                if let LocalResult::Single(t) | LocalResult::Ambiguous(t, _) =
                    tz.from_local_datetime(&probe)
                {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The start of a local date.
pub fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    on_office_clock(date.and_time(NaiveTime::MIN), tz)
}

/// The local date of an instant.
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

/// The stored form: UTC, whole seconds, sortable as text.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads the stored form back (any RFC 3339 text is accepted).
pub fn read_stamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How a moment is shown to people: the office clock, to the minute.
pub fn show(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A stored moment (a register's release time, say) as people read it on the office clock;
/// text that is not a stored moment is shown as it is.
pub fn show_stamp(text: &str, tz: Tz) -> String {
    read_stamp(text).map_or_else(|| text.to_string(), |t| show(t, tz))
}

/// The office-clock date of a stored moment (`YYYY-MM-DD`).
pub fn stamp_day(text: &str, tz: Tz) -> String {
    read_stamp(text).map_or_else(
        || text.get(..10).unwrap_or(text).to_string(),
        |t| local_date(t, tz).to_string(),
    )
}

/// The office clock of a QMS: its calendar's time zone, UTC when it has none.
pub fn office_timezone(settings: Option<&crate::spec::model::Settings>) -> Tz {
    settings
        .and_then(|s| s.calendar.as_ref())
        .and_then(|c| c.timezone.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// RFC 3339 on the office clock, for JSON and printed records.
pub fn iso(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_moments_show_on_the_office_clock() {
        let tz: super::Tz = "Asia/Shanghai".parse().unwrap();
        // 20:00 UTC on the 1st is 04:00 on the 2nd in Shanghai: the release date is the 2nd.
        assert_eq!(
            super::show_stamp("2026-06-01T20:00:00Z", tz),
            "2026-06-02 04:00"
        );
        assert_eq!(super::stamp_day("2026-06-01T20:00:00Z", tz), "2026-06-02");
        assert_eq!(super::show_stamp("not a time", tz), "not a time");
    }

    use super::*;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn reads_the_three_accepted_forms() {
        let expected = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        assert_eq!(parse("2026-03-02 09:00", SHANGHAI), Ok(expected));
        assert_eq!(parse("2026-03-02T09:00:00+08:00", SHANGHAI), Ok(expected));
        assert_eq!(
            parse("2026-03-02", SHANGHAI),
            Ok(Utc.with_ymd_and_hms(2026, 3, 1, 16, 0, 0).unwrap())
        );
        assert!(
            parse("next tuesday", SHANGHAI)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
    }

    #[test]
    fn a_time_in_a_spring_forward_gap_is_the_first_instant_after_it() {
        let berlin: Tz = chrono_tz::Europe::Berlin;
        let t = parse("2026-03-29 02:30", berlin).unwrap();
        assert_eq!(show(t, berlin), "2026-03-29 03:00");
    }

    #[test]
    fn tolerances_read_minutes_hours_days_and_refuse_the_rest() {
        assert_eq!(tolerance(Some("30m")), Ok(1800));
        assert_eq!(tolerance(Some("4h")), Ok(14_400));
        assert_eq!(tolerance(Some("2d")), Ok(172_800));
        assert_eq!(tolerance(Some("0")), Ok(0));
        for bad in ["", "h", "4", "-1h", "1w", "1.5h", "99999999999999999d"] {
            assert!(tolerance(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(span(59), "1 min");
        assert_eq!(span(7200), "2 h");
        assert_eq!(span(-92 * 86_400), "92 d");
    }

    #[test]
    fn stamps_round_trip() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        assert_eq!(stamp(t), "2026-03-02T01:00:00Z");
        assert_eq!(read_stamp(&stamp(t)), Some(t));
    }
}
