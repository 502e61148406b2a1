//! Between the office clock and real time: which instant a wall-clock reading is, across
//! daylight-saving gaps and repeats.

use chrono::{DateTime, MappedLocalTime, NaiveDateTime, Offset, TimeZone, Utc};

use super::Calendar;

/// Which occurrence of a wall-clock time to pick, and the instant it must not cross.
#[derive(Clone, Copy)]
pub(super) enum Bound {
    NotBefore(DateTime<Utc>),
    NotAfter(DateTime<Utc>),
}

impl Calendar {
    /// The local wall-clock reading at `t`; `None` only near the ends of chrono's range,
    /// where `DateTime::naive_local` would panic.
    pub(super) fn wall(&self, t: DateTime<Utc>) -> Option<NaiveDateTime> {
        let utc = t.naive_utc();
        utc.checked_add_offset(self.tz.offset_from_utc_datetime(&utc).fix())
    }

    /// The instant showing `wall` on the local clock: the earliest one that respects
    /// `bound` when the time occurs twice, the end of the gap when it never occurs.
    pub(super) fn instant(&self, wall: NaiveDateTime, bound: Bound) -> Option<DateTime<Utc>> {
        let candidates = match self.tz.from_local_datetime(&wall) {
            MappedLocalTime::Single(t) => [Some(t.to_utc()), None],
            MappedLocalTime::Ambiguous(a, b) => {
                let (a, b) = (a.to_utc(), b.to_utc());
                [Some(a.min(b)), Some(a.max(b))]
            }
            MappedLocalTime::None => [self.gap_end(wall), None],
        };
        let mut valid = candidates.into_iter().flatten();
        match bound {
            // A later wall time always has an occurrence after the bound; falling back to
            // the bound only guards against a malformed zone table.
            Bound::NotBefore(start) => Some(valid.find(|c| *c >= start).unwrap_or(start)),
            Bound::NotAfter(end) => Some(valid.find(|c| *c <= end).unwrap_or(end)),
        }
    }

    /// The first instant whose wall clock reads `wall` or later, for a `wall` skipped by
    /// a spring-forward change: that is the transition itself. Offsets stay within a
    /// day, so the transition lies within a day of `wall` read as UTC, and a binary
    /// search over seconds finds it in about 17 steps.
    pub(super) fn gap_end(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        const DAY: i64 = 86_400;
        let target = wall.and_utc().timestamp();
        let (mut before, mut after) = (target.checked_sub(DAY)?, target.checked_add(DAY)?);
        while after - before > 1 {
            let mid = before + (after - before) / 2;
            if self.wall(DateTime::from_timestamp(mid, 0)?)? >= wall {
                after = mid;
            } else {
                before = mid;
            }
        }
        DateTime::from_timestamp(after, 0)
    }

    /// The first instant the office clock shows `wall` (the end of the gap when it never
    /// does): where a working range that opens at `wall` starts.
    pub(super) fn first_instant(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.tz.from_local_datetime(&wall) {
            MappedLocalTime::Single(t) => Some(t.to_utc()),
            MappedLocalTime::Ambiguous(a, b) => Some(a.to_utc().min(b.to_utc())),
            MappedLocalTime::None => self.gap_end(wall),
        }
    }

    /// The last instant the office clock shows `wall` (the end of the gap when it never
    /// does): where a working range that closes at `wall` ends, so that a range spanning
    /// a fall-back change is an hour longer.
    pub(super) fn last_instant(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.tz.from_local_datetime(&wall) {
            MappedLocalTime::Single(t) => Some(t.to_utc()),
            MappedLocalTime::Ambiguous(a, b) => Some(a.to_utc().max(b.to_utc())),
            MappedLocalTime::None => self.gap_end(wall),
        }
    }
}
