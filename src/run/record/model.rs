//! The shape of a run record: the values `run show --format json` and `run export` write
//! and the printed record reads, with the moments both stored (UTC) and on the office clock.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::super::attachments::Attachment;
use super::super::audit;
use super::super::clock;
use super::super::engine::{ParentLink, StepState};
pub use super::super::standing::{Escalation, SignOff};

/// A moment, stored (UTC) and as read on the office clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamp {
    /// RFC 3339 with the QMS's UTC offset.
    pub iso: String,
    /// `YYYY-MM-DD HH:MM` on the office clock.
    pub local: String,
}

impl Stamp {
    pub(in crate::run) fn of(t: DateTime<Utc>, tz: Tz) -> Stamp {
        Stamp {
            iso: clock::iso(t, tz),
            local: clock::show(t, tz),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Deadline {
    pub at: Stamp,
    /// Open and past due at the record's `now`.
    pub overdue: bool,
    /// Completed after it was due.
    pub late: bool,
    /// How far past due (`3 h`), when overdue or late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocHeader {
    pub id: String,
    pub title: String,
    pub revision: String,
    pub effective: String,
    pub owner: String,
    pub fingerprint: String,
    /// `3F2A-91C0-7B1E`, as printed in document footers.
    pub fingerprint_short: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlowHeader {
    pub id: String,
    pub title: String,
    pub trigger: Option<String>,
    /// On a flow with several triggers: the one this run was started by, numbered as
    /// `run start --trigger` takes it (`2. Internal audit finding (starts at receive)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildRun {
    pub reference: String,
    pub doc: String,
    pub flow: String,
    pub status: String,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckTick {
    pub number: usize,
    pub item: String,
    pub ticked: bool,
    /// The reason, when the item was waived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldValue {
    /// `record.field`.
    pub key: String,
    pub record: String,
    pub form: Option<String>,
    pub label: String,
    /// As people read it.
    pub value: String,
    /// As stored (typed JSON).
    pub raw: serde_json::Value,
}

/// When an event was really entered, if that is further from its stated time than the
/// tolerance: a back-dated (or forward-dated) entry.
#[derive(Debug, Clone, Serialize)]
pub struct EnteredApart {
    /// The computer's clock when it was entered.
    pub entered: Stamp,
    /// How far apart, as people read it (`92 d`).
    pub by: String,
    /// Entered after the time it states (back-dated); else before it.
    pub later: bool,
}

impl EnteredApart {
    /// `entered 2026-11-30 10:00, 92 d after the time stated`.
    pub fn text(&self) -> String {
        format!(
            "entered {}, {} {} the time stated",
            self.entered.local,
            self.by,
            if self.later { "after" } else { "before" }
        )
    }
}

pub(super) fn entered_apart(e: &audit::Event, tolerance: i64, tz: Tz) -> Option<EnteredApart> {
    let gap = audit::entry_gap(e)?;
    if gap <= tolerance {
        return None;
    }
    let entered = clock::read_stamp(e.entered.as_deref()?)?;
    let at = clock::read_stamp(&e.at)?;
    Some(EnteredApart {
        entered: Stamp::of(entered, tz),
        by: clock::span(gap),
        later: entered > at,
    })
}

/// Who completed an iteration, when, and everything they entered.
#[derive(Debug, Clone, Serialize)]
pub struct Signature {
    pub event: u64,
    pub at: Stamp,
    /// When it was entered, by the computer's clock; `None` for events from before procdoc
    /// kept entry times.
    pub entered: Option<Stamp>,
    /// Set when the entry time is further from `at` than the record's tolerance.
    pub entered_apart: Option<EnteredApart>,
    /// `None` when the system completed it (a child run ended).
    pub by: Option<String>,
    /// The signer's login when they signed in (the web, the API); `None` for a name typed
    /// at the command line.
    pub login: Option<String>,
    pub acting_for: Option<Actor>,
    /// `acting_for` is a party (the customer, a supplier): the signer recorded the step on
    /// its behalf.
    pub on_behalf: bool,
    pub outcome: Option<String>,
    pub checks: Vec<CheckTick>,
    pub fields: Vec<FieldValue>,
    pub note: Option<String>,
    /// Files attached as evidence (name, size in bytes, media type as sent, SHA-256);
    /// absent when none were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    pub child: Option<String>,
    /// The meaning of the signature (`performed`, `reviewed`, `approved`); `None` for a
    /// completion by the system or one recorded before procdoc kept the meaning.
    pub meaning: Option<&'static str>,
    /// Closed by the step's timeout, not signed: `by` is `None` and `outcome` says so.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// A timeout that fell due but is not recorded yet: the record shows the run as the
    /// next command on it (or `run tick`, or the server's job) will record it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_recorded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IterationRecord {
    pub number: usize,
    pub activated: Stamp,
    pub due: Option<Deadline>,
    /// Not to be completed before this (the step's `after`), while the iteration is open
    /// and its earliest time is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest: Option<Stamp>,
    pub child: Option<String>,
    pub completed: Option<Signature>,
    /// On a step signed by all of several departments: the signatures before the last
    /// (the last is `completed`), oldest first; absent on other steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signed: Vec<Signature>,
    /// On such a step while it is open: the departments still to sign.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to_sign: Vec<String>,
    /// On such a step: every department of `by` in order, with whether it has signed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sign_off: Vec<SignOff>,
    /// Set while the iteration is open and escalated at the record's `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated: Option<Escalation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordRef {
    pub key: String,
    pub form: Option<String>,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub id: String,
    pub title: String,
    pub state: StepState,
    /// Done by its timeout, not by a signature (its last iteration timed out).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    pub by: Vec<Actor>,
    /// Every department of `by` signs (`by: { all: [...] }`), not any one of them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub joint: bool,
    pub with: Vec<Actor>,
    pub not_by: Vec<String>,
    pub planned: Option<String>,
    pub calls: Option<String>,
    pub question: Option<String>,
    pub outcomes: Vec<String>,
    pub check: Vec<String>,
    pub produces: Vec<RecordRef>,
    /// For a waiting join: the branches not yet arrived.
    pub waiting_for: Vec<String>,
    /// The outcome the flow ends with after this step.
    pub ends: Option<String>,
    /// The deadline of the current iteration.
    pub due: Option<Deadline>,
    pub iterations: Vec<IterationRecord>,
    /// The standing rules of the procedure shown on this step ("Rule 2: ..."); left out of
    /// the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub n: u64,
    pub at: Stamp,
    pub entered: Option<Stamp>,
    pub entered_apart: Option<EnteredApart>,
    pub by: Option<String>,
    pub kind: String,
    /// One line saying what happened.
    pub summary: String,
    pub data: serde_json::Value,
    pub prev: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    pub events: u64,
    /// The last event's hash: quote it to prove later that the trail is unchanged.
    pub hash: String,
    pub intact: bool,
    pub problem: Option<String>,
}

/// Everything a run record states. Serializable as is for JSON exports and templates.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub reference: String,
    pub company: String,
    pub language: String,
    pub doc: DocHeader,
    pub flow: FlowHeader,
    pub period: Option<String>,
    /// The register item of a per-item run, with its columns as they were at the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<super::super::triggers::ItemPin>,
    pub parent: Option<ParentLink>,
    pub children: Vec<ChildRun>,
    pub status: String,
    pub outcome: Option<String>,
    pub started: Stamp,
    pub started_by: Option<String>,
    pub ended: Option<Stamp>,
    /// The whole flow's deadline.
    pub due: Option<Deadline>,
    /// Active steps whose deadline has passed.
    pub overdue: Vec<String>,
    /// Active steps escalated at `now` (an escalation is not a deadline).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalated: Vec<String>,
    /// Timeouts that fell due by `now` but are not recorded yet, one line each
    /// (`ask-supplier timed out at 2026-03-23 15:00`); the record already shows their result.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_recorded: Vec<String>,
    /// The moment deadlines were judged at.
    pub now: Stamp,
    /// The office time zone every local time of the record is on (IANA name).
    pub timezone: String,
    /// Set when the QMS now holds a different revision or content of the procedure.
    pub newer: Option<String>,
    pub steps: Vec<StepRecord>,
    pub events: Vec<EventRecord>,
    pub chain: Chain,
    /// How far a stated time may be from its entry time before both are shown (`1 h`).
    pub entry_tolerance: String,
    /// Events whose entry time is further from their stated time than the tolerance:
    /// one line each, `#3 review signed 2026-03-02 09:00, entered ...`.
    pub entered_apart: Vec<String>,
    /// Events recorded before procdoc kept entry times: when they were entered is unknown.
    pub entry_unknown: usize,
}
