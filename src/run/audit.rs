//! The audit trail: every change to a run is an event, and each event's SHA-256 covers the
//! previous event's hash, so that altering, removing or slipping in an event breaks the
//! chain from that point on.
//!
//! The chain is per run: runs are independent records (exported, printed and archived one
//! by one), and a run's chain can be checked without reading any other. The run's header
//! keeps the number of events and the last hash, which catches an event removed from or
//! added at the end, where no later link would notice.
//!
//! A second chain runs through every event of the store in the order they were written
//! (the store chain, [`link`]): its head (`N:HASH`, the number of events and the last
//! link) is what an auditor writes down, and a later `run verify --expect N:HASH` proves
//! that none of those events was removed or altered since and that the database was not
//! replaced by an earlier copy, which no chain inside the database can show on its own.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev` of a run's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of a run's audit trail, as stored. Events are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub n: u64,
    /// When it happened (stored form, UTC).
    pub at: String,
    /// Who did it; `None` for what the system did on its own.
    pub by: Option<String>,
    pub kind: String,
    /// The values, as JSON text; hashed exactly as stored.
    pub data: String,
    pub prev: String,
    pub hash: String,
    /// When it was entered, by the computer's clock (stored form, UTC), whatever `at` says;
    /// part of the hash. `None` for events written before procdoc kept it (schema 1).
    pub entered: Option<String>,
    /// The event's place in the store chain, counted from 1 over the whole store.
    pub pos: u64,
    /// The store chain's hash through this event ([`link`]); `None` where a database of
    /// schema 1 is read without being upgraded.
    pub link: Option<String>,
}

impl Event {
    /// A new event after `prev`, with its hash. `run` names the run (`DOC/FLOW/REF`) so that
    /// an event cannot be moved to another run unnoticed; `entered` is the computer's clock.
    /// Its place in the store chain is set by [`Event::chain_after`].
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        run: &str,
        n: u64,
        prev: &str,
        at: String,
        entered: String,
        by: Option<String>,
        kind: &str,
        data: String,
    ) -> Event {
        let mut event = Event {
            n,
            at,
            by,
            kind: kind.to_string(),
            data,
            prev: prev.to_string(),
            hash: String::new(),
            entered: Some(entered),
            pos: 0,
            link: None,
        };
        event.hash = hash_of(run, &event);
        event
    }

    /// Places the event after the store chain's current head.
    pub fn chain_after(&mut self, head: &StoreHead) {
        self.pos = head.count + 1;
        self.link = Some(link(&head.link, self.pos, &self.hash));
    }
}

/// The store chain's end as the store records it: how many events it holds and the last
/// link ([`GENESIS`] for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreHead {
    pub count: u64,
    pub link: String,
}

impl StoreHead {
    pub fn empty() -> StoreHead {
        StoreHead {
            count: 0,
            link: GENESIS.to_string(),
        }
    }

    /// `N:HASH`, as `run verify` prints it and `--expect` reads it.
    pub fn text(&self) -> String {
        format!("{}:{}", self.count, self.link)
    }

    /// Reads `N:HASH` (the hash in full, 64 hexadecimal digits).
    pub fn parse(text: &str) -> Result<StoreHead, String> {
        let bad = || {
            format!(
                "`{text}` is not a store head: give it as `run verify` printed it, N:HASH (a count, a colon and 64 hexadecimal digits)"
            )
        };
        let (count, hash) = text.trim().split_once(':').ok_or_else(bad)?;
        let count = count.trim().parse::<u64>().map_err(|_| bad())?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(StoreHead { count, link: hash })
    }
}

/// The store chain's link through the event at `pos` whose own hash is `event_hash`.
pub fn link(prev: &str, pos: u64, event_hash: &str) -> String {
    let fields = serde_json::json!(["procdoc-store/1", pos, prev, event_hash]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// The hash an event should carry. Events with an entry time hash it too (version 2);
/// events from before procdoc kept it keep their version 1 hash.
pub fn hash_of(run: &str, e: &Event) -> String {
    // A JSON array keeps the field boundaries unambiguous whatever the values contain.
    let fields = match &e.entered {
        Some(entered) => serde_json::json!([
            "procdoc-event/2",
            run,
            e.n,
            e.at,
            entered,
            e.by,
            e.kind,
            e.data,
            e.prev
        ]),
        None => serde_json::json!([
            "procdoc-event/1",
            run,
            e.n,
            e.at,
            e.by,
            e.kind,
            e.data,
            e.prev
        ]),
    };
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// How far apart an event's stated time and its entry time are, in seconds (absolute);
/// `None` when it has no entry time or either is unreadable.
pub fn entry_gap(e: &Event) -> Option<i64> {
    let at = super::clock::read_stamp(&e.at)?;
    let entered = super::clock::read_stamp(e.entered.as_deref()?)?;
    // A timeout states the moment it fell due by rule, not a time someone typed: noticed
    // late, it is not back-dated. Recorded before that moment (a command stated in the
    // future), it did not happen yet when entered, which is what the flag is for.
    if e.kind == "timed-out" && entered >= at {
        return None;
    }
    Some((entered - at).num_seconds().abs())
}

/// The largest [`entry_gap`] over a run's events; `None` when none has an entry time.
pub fn largest_entry_gap(events: &[Event]) -> Option<i64> {
    events.iter().filter_map(entry_gap).max()
}

/// What the chain shows about the first event that is not as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    /// The event's content no longer matches its hash, or it was rewritten with a fresh
    /// hash (then the next link, or the run's last hash, breaks).
    Altered(u64),
    /// The event with this number is missing.
    Removed(u64),
    /// The event with this number is not part of the recorded chain.
    Inserted(u64),
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Altered(n) => write!(
                f,
                "event #{n} was altered: its content no longer matches the chain"
            ),
            Tamper::Removed(n) => write!(f, "event #{n} was removed from the chain"),
            Tamper::Inserted(n) => write!(
                f,
                "event #{n} was inserted: it is not part of the recorded chain"
            ),
        }
    }
}

/// Checks a run's events (in stored order: by number, then insertion order) against the
/// number of events and the last hash its header recorded.
pub fn verify(run: &str, count: u64, head: &str, events: &[Event]) -> Result<(), Tamper> {
    let mut prev = GENESIS.to_string();
    let mut expected = 1;
    for e in events {
        let beyond_record = expected > count;
        if e.n < expected {
            return Err(Tamper::Inserted(e.n));
        }
        if e.n > expected {
            return Err(if beyond_record {
                Tamper::Inserted(e.n)
            } else {
                Tamper::Removed(expected)
            });
        }
        if hash_of(run, e) != e.hash {
            return Err(if beyond_record {
                Tamper::Inserted(e.n)
            } else {
                Tamper::Altered(e.n)
            });
        }
        if e.prev != prev {
            // This event is intact but does not follow the one before: that one was
            // rewritten together with its hash.
            return Err(Tamper::Altered(e.n.saturating_sub(1).max(1)));
        }
        if beyond_record {
            return Err(Tamper::Inserted(e.n));
        }
        prev = e.hash.clone();
        expected += 1;
    }
    if expected <= count {
        return Err(Tamper::Removed(expected));
    }
    if prev != head {
        return Err(Tamper::Altered(count.max(1)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "CS-P-001/contract/SO-1";

    fn chain(len: u64) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for n in 1..=len {
            let prev = out.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
            out.push(Event::seal(
                RUN,
                n,
                &prev,
                format!("2026-03-02T0{n}:00:00Z"),
                format!("2026-03-02T0{n}:00:05Z"),
                Some("Li".into()),
                "completed",
                format!("{{\"step\":\"s{n}\"}}"),
            ));
        }
        out
    }

    fn head(events: &[Event]) -> String {
        events.last().map(|e| e.hash.clone()).unwrap_or_default()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(4);
        assert_eq!(verify(RUN, 4, &head(&events), &events), Ok(()));
    }

    #[test]
    fn altering_content_is_found_at_that_event() {
        let mut events = chain(4);
        let h = head(&events);
        events[1].by = Some("Mallory".into());
        assert_eq!(verify(RUN, 4, &h, &events), Err(Tamper::Altered(2)));
    }

    #[test]
    fn rewriting_an_event_with_a_fresh_hash_breaks_the_next_link() {
        let mut events = chain(4);
        let h = head(&events);
        events[1].data = "{}".into();
        events[1].hash = hash_of(RUN, &events[1]);
        assert_eq!(verify(RUN, 4, &h, &events), Err(Tamper::Altered(2)));
        let mut last = chain(4);
        last[3].data = "{}".into();
        last[3].hash = hash_of(RUN, &last[3]);
        assert_eq!(verify(RUN, 4, &h, &last), Err(Tamper::Altered(4)));
    }

    #[test]
    fn removing_is_found_in_the_middle_and_at_the_end() {
        let events = chain(4);
        let h = head(&events);
        let mut middle = events.clone();
        middle.remove(2);
        assert_eq!(verify(RUN, 4, &h, &middle), Err(Tamper::Removed(3)));
        let mut end = events.clone();
        end.pop();
        assert_eq!(verify(RUN, 4, &h, &end), Err(Tamper::Removed(4)));
    }

    #[test]
    fn inserting_is_found_even_with_a_well_formed_hash() {
        let events = chain(4);
        let h = head(&events);
        let mut more = events.clone();
        more.push(Event::seal(
            RUN,
            5,
            &h,
            "2026-03-03T00:00:00Z".into(),
            "2026-03-03T00:00:00Z".into(),
            None,
            "completed",
            "{}".into(),
        ));
        assert_eq!(verify(RUN, 4, &h, &more), Err(Tamper::Inserted(5)));
        let mut twice = events.clone();
        twice.insert(2, events[1].clone());
        assert_eq!(verify(RUN, 4, &h, &twice), Err(Tamper::Inserted(2)));
    }

    #[test]
    fn the_entry_time_is_part_of_the_hash_and_old_events_keep_theirs() {
        let mut events = chain(2);
        let h = head(&events);
        events[0].entered = Some("2026-01-01T00:00:00Z".into());
        assert_eq!(verify(RUN, 2, &h, &events), Err(Tamper::Altered(1)));
        let mut old = chain(1);
        old[0].entered = None;
        old[0].hash = hash_of(RUN, &old[0]);
        let h = head(&old);
        assert_eq!(verify(RUN, 1, &h, &old), Ok(()));
    }

    #[test]
    fn a_store_head_reads_back_and_refuses_other_text() {
        let head = StoreHead {
            count: 7,
            link: link(GENESIS, 7, GENESIS),
        };
        assert_eq!(StoreHead::parse(&head.text()), Ok(head.clone()));
        assert_eq!(
            StoreHead::parse(&head.text().to_uppercase()).map(|h| h.link),
            Ok(head.link)
        );
        for bad in ["", "7", "x:abc", "7:abc", &format!("7:{}g", &GENESIS[1..])] {
            assert!(StoreHead::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_event_moved_to_another_run_does_not_verify() {
        let events = chain(2);
        assert_eq!(
            verify("CS-P-001/contract/SO-2", 2, &head(&events), &events),
            Err(Tamper::Altered(1))
        );
    }
}
