//! The typed model of a QMS folder, exactly as SPEC-FORMAT.md defines it.
//!
//! Only the loader builds these values; every later stage reads them.

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::by::By;
pub use super::calendar::CalendarSpec;
use super::duration::Duration;
use super::text::{ScalarAsString, Text, scalar_string};
pub use super::trigger::{ItemInterval, ItemRegister, PerItem, Recurrence, Trigger, TriggerStart};

mod records;
pub use records::{Field, FieldType, Record, Rows};

fn is_false(b: &bool) -> bool {
    !*b
}

/// `procdoc.yaml`: the company-wide settings every procedure shares.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "procdoc.yaml settings")]
pub struct Settings {
    /// Company name printed in every document header.
    pub company: Text,
    /// Logo image (PNG, JPEG or SVG), relative to the QMS folder and never outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Language codes; the first is the primary language.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// Copyright line printed in every document footer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<Text>,
    /// Departments and roles that can be responsible for a step or approve.
    #[serde(default)]
    pub departments: Vec<Department>,
    /// Outside parties (customers, suppliers): may act in a flow, never approve.
    #[serde(default)]
    pub parties: Vec<Party>,
    /// The working calendar for working-time deadlines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarSpec>,
    /// Read-and-confirm of released revisions: `required` stops people signing a step of a
    /// revision they have not confirmed; `optional` (the default) only records confirmations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<Training>,
    /// Lists the QMS keeps (equipment, approved suppliers, key customers), each a CSV file
    /// whose rows are the items of per-item recurring flows (`trigger: { for_each: ... }`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registers: Vec<ItemRegister>,
}

/// Whether confirming a document's released revision is a condition of signing its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Training {
    /// Confirmations are recorded and listed; signing is not blocked.
    #[default]
    Optional,
    /// A user signs a step only of a revision they confirmed (or of an older one, when they
    /// confirmed a later release).
    Required,
}

fn default_languages() -> Vec<String> {
    vec!["en".to_string()]
}

impl Settings {
    pub fn primary_language(&self) -> &str {
        self.languages.first().map(String::as_str).unwrap_or("en")
    }

    /// Whether `training: required` is set.
    pub fn training_required(&self) -> bool {
        self.training == Some(Training::Required)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Short code used everywhere else (`CS`, `QA`).
    pub code: String,
    /// Name of the department or role, printed wherever its code is used.
    pub name: Text,
    /// For a role inside a department: the department's code.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Short code used in `by` and `with` (`CUST`, `SUP`).
    pub code: String,
    /// Name of the party, printed wherever its code is used.
    pub name: Text,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Weekday> for chrono::Weekday {
    fn from(w: Weekday) -> Self {
        match w {
            Weekday::Mon => chrono::Weekday::Mon,
            Weekday::Tue => chrono::Weekday::Tue,
            Weekday::Wed => chrono::Weekday::Wed,
            Weekday::Thu => chrono::Weekday::Thu,
            Weekday::Fri => chrono::Weekday::Fri,
            Weekday::Sat => chrono::Weekday::Sat,
            Weekday::Sun => chrono::Weekday::Sun,
        }
    }
}

/// A procedure: one controlled document.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "procdoc procedure")]
pub struct Procedure {
    /// Document number, unique in the QMS.
    #[serde(deserialize_with = "scalar_string")]
    pub id: String,
    /// Title of the document, printed in the header.
    pub title: Text,
    /// Current revision (`B`, `2`, `A/01`); must be the last entry of `history`.
    #[serde(deserialize_with = "scalar_string")]
    pub revision: String,
    /// Date the revision takes effect (YYYY-MM-DD).
    pub effective: Date,
    /// Department that owns the document.
    pub owner: String,
    /// Periodic review interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_every: Option<Duration>,
    /// ISO 9001 clauses the procedure implements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iso: Vec<Scalar>,
    /// Who prepared, reviewed and approved this revision.
    pub approval: Approval,
    /// Revision history, newest last; must contain the current revision.
    pub history: Vec<HistoryEntry>,
    /// Why the procedure exists (section 1 of the document; Markdown subset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Text>,
    /// What the procedure covers (section 2 of the document; Markdown subset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Text>,
    /// Terms the procedure uses, each with its meaning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub definitions: Vec<Definition>,
    /// What each department does in this procedure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responsibilities: Vec<Responsibility>,
    /// Related documents: procedures of this QMS (`doc`) or outside ones (`title`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Records (forms) the procedure's steps produce or use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<Record>,
    /// Titled groups of flows, in order (pre-sale, in-sale, after-sale): the document
    /// prints each stage's flows under its title.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// The flows of the procedure section: each a workflow of steps started by its trigger.
    pub flows: Vec<Flow>,
    /// Extra sections printed after the procedure section.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// Standing rules: printed as numbered clauses in the procedure section, and shown on
    /// the steps they apply to (in runs and on the traveller).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// The register files the procedure's per-item flows go through, as read (filled by the
    /// loader from `procdoc.yaml` `registers:`, never written in the procedure file): they
    /// decide what `run due` lists, so they count in the fingerprint, the release and the
    /// diff. Empty (and left out) for a procedure without per-item flows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(skip)]
    pub register_files: Vec<super::items::RegisterCopy>,
}

/// A standing rule of a procedure (`Controlled copies are never changed by hand.`): true at
/// every step, not a step of its own.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Id of the rule, unique in the procedure.
    pub id: String,
    /// The rule in words, as printed.
    pub text: Text,
    /// Ids of the steps (of any flow of the procedure, or `flow/step`) and records the rule
    /// is shown on; a rule on a record is shown on the steps that produce or use it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<Scalar>,
}

/// A scalar kept as written (`8.2.1`, `9`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[schemars(transparent)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_string(d).map(Scalar)
    }
}

/// Who prepared, reviewed and approved the revision. Names and dates the original leaves
/// blank are left out (`approved: {}`): the document then prints empty boxes to sign by
/// hand, and cannot be released until they are filled in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Always printed; blank when left out.
    #[serde(default)]
    pub prepared: Signoff,
    /// Printed only when given: a document without a review step has no such box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<Signoff>,
    /// Always printed; blank when left out.
    #[serde(default)]
    pub approved: Signoff,
}

impl Approval {
    /// The sign-offs in the order they are given, with their roles (`prepared`, `reviewed`,
    /// `approved`); `reviewed` only when the spec has it.
    pub fn signoffs(&self) -> Vec<(&'static str, &Signoff)> {
        let mut out = vec![("prepared", &self.prepared)];
        if let Some(reviewed) = &self.reviewed {
            out.push(("reviewed", reviewed));
        }
        out.push(("approved", &self.approved));
        out
    }

    /// Whether every sign-off has a name and a date (a controlled copy needs both).
    pub fn is_complete(&self) -> bool {
        self.signoffs().iter().all(|(_, s)| s.is_complete())
    }
}

/// One sign-off. Either part may be left out when it is still to be signed by hand.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signoff {
    /// Name of the person who signs; leave out to print an empty box to sign by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Date of the signature (YYYY-MM-DD); leave out to print an empty box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
}

impl Signoff {
    /// The name, if one is written (blank names count as none).
    pub fn name(&self) -> Option<&str> {
        self.by.as_deref().map(str::trim).filter(|n| !n.is_empty())
    }

    /// Both a name and a date are written.
    pub fn is_complete(&self) -> bool {
        self.name().is_some() && self.date.is_some()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// The revision this entry describes.
    #[serde(deserialize_with = "scalar_string")]
    pub revision: String,
    /// Date of the revision (YYYY-MM-DD).
    pub date: Date,
    /// What changed in this revision.
    pub change: Text,
    /// Who made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Id for cross-references (`[](#id)` prints the definition's number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The term defined.
    pub term: Text,
    /// What the term means (Markdown subset).
    pub meaning: Text,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Responsibility {
    /// Department code.
    pub who: String,
    /// The department's duties, one text each.
    #[serde(default)]
    pub duties: Vec<Text>,
}

/// A related document: another procedure of this QMS (`doc`) or an outside one (`title`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Id of another procedure of this QMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Title of an outside document (a standard, a law, a customer's manual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Id for cross-references (`[](#id)` prints the section's number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The clause number printed (`"6"`); computed from the one before when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<Scalar>,
    /// Heading of the section.
    pub title: Text,
    /// Content of the section (Markdown subset, including simple tables).
    pub body: Text,
}

/// A titled group of flows (a stage of the process, a chapter of the original).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Id of the stage, unique in the procedure.
    pub id: String,
    /// Title printed above the stage's flows.
    pub title: Text,
    /// The flows of the stage, in the order they are printed.
    pub flows: Vec<String>,
}

/// One flow of a procedure, started by its own trigger.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Id of the flow, unique in the procedure (`calls`, `run start --flow`).
    pub id: String,
    /// The clause number printed (`"5.2"`); computed from the one before when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<Scalar>,
    /// Title of the flow, printed as its heading.
    pub title: Text,
    /// What starts the flow: a text, or `{ every: <interval>, in: <month> }` for a recurring flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// Target time for the whole flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Duration>,
    /// The steps, in order: a step without `next`, `decision` or `end` continues with the one below it.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Id of the step, unique in the flow (`next`, `goto`, `run done`).
    pub id: String,
    /// The clause number printed (`"5.2.2"`); computed from the one before when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<Scalar>,
    /// What is done, printed as the step's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// Long description (Markdown subset) printed under the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Text>,
    /// Responsible department(s) or party; with several, any one of them may complete the
    /// step; with `{ all: [...] }`, each of them signs and the step is done when the last has.
    #[serde(default, skip_serializing_if = "By::is_empty")]
    pub by: By,
    /// Consulted or supporting departments or parties.
    #[serde(default, rename = "with", skip_serializing_if = "OneOrMany::is_empty")]
    pub with: OneOrMany,
    /// Steps whose performer may not complete this one (separation of duties).
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub not_by: OneOrMany,
    /// What completing the step signs for (the meaning of the electronic signature, 21 CFR
    /// Part 11 §11.50(a)(3)): `performed` (the default), `reviewed` or `approved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureMeaning>,
    /// Deadline: a duration from the moment the step becomes active (`2 working days`), or `{ time, from: <step>|start }` / `{ time, before: <planned step> }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
    /// The earliest time: the step may not be completed sooner. The same forms as `within`
    /// (`after: 3 years` from activation, `{ time, from }`, `{ time, before: <planned step> }`
    /// for "not earlier than 4 weeks before the meeting").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Within>,
    /// The step's date is set when a run is started or later (an audit date, a visit date).
    #[serde(default, skip_serializing_if = "is_false")]
    pub planned: bool,
    /// Items ticked one by one in a run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check: Vec<Text>,
    /// Records this step produces (`record-id` or `DOC-ID#record-id`).
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub produces: OneOrMany,
    /// Records this step reads.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub uses: OneOrMany,
    /// A choice between outcomes, each going to its own step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The next step, or a list of steps started in parallel.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub next: OneOrMany,
    /// `all`: wait for every incoming branch; `started`: wait for every branch that was
    /// started and can still come (an inclusive join).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<Join>,
    /// Ends the flow with this outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Text>,
    /// Runs another flow (of this or another procedure) as this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<Call>,
    /// Still open this long after activation: the step shows as escalated to other
    /// departments (nothing else changes), e.g. `{ after: 10 working days, to: PUR }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<Escalation>,
    /// Still open this long after activation: the run leaves the step by itself ("timed
    /// out", no signature) to `goto`, e.g. `{ after: 20 working days, goto: hold }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,
}

/// `escalate:` on a step: who is told when the step is still open after a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// How long after the step became active (working or calendar time, on the company
    /// calendar): `10 working days`.
    pub after: Duration,
    /// The department(s) the open step is escalated to: `PUR` or `[PUR, QA]`.
    pub to: OneOrMany,
}

/// `timeout:` on a step: an exit taken by time, not by a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeout {
    /// How long after the step became active it times out (working or calendar time, on
    /// the company calendar): `20 working days`.
    pub after: Duration,
    /// The step that becomes active when this one times out (a step of the same flow).
    pub goto: String,
}

impl Step {
    /// The meaning a completion of this step signs for; `performed` when the spec says none.
    pub fn signature_meaning(&self) -> SignatureMeaning {
        self.signature.unwrap_or_default()
    }
}

/// The meaning of an electronic signature (21 CFR Part 11 §11.50(a)(3)): what the signer
/// attests by completing a step. Recorded in each completion event and printed with it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SignatureMeaning {
    /// The signer did the step's work.
    #[default]
    Performed,
    /// The signer reviewed work done by others.
    Reviewed,
    /// The signer approved (released, authorised) what the step decides.
    Approved,
}

impl SignatureMeaning {
    /// The word written in specs, events and records (`performed`).
    pub fn word(self) -> &'static str {
        match self {
            SignatureMeaning::Performed => "performed",
            SignatureMeaning::Reviewed => "reviewed",
            SignatureMeaning::Approved => "approved",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Join {
    /// Wait for every incoming branch.
    All,
    /// An inclusive join (BPMN 2.0 inclusive gateway): active once at least one branch has
    /// arrived and no work of the run can still reach one of its other inputs.
    Started,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The question the decision answers, printed with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Text>,
    /// One or more outcomes may be chosen (an inclusive choice): each chosen outcome's step
    /// becomes active. Without it exactly one outcome is chosen.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    /// `record.field`: a choice field of a record this step produces; the outcome is the
    /// option entered there (the outcome labels are exactly the field's options).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// The possible answers, each with the step it leads to.
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The outcome's label (`Approved`, `Rework`).
    pub when: Text,
    /// The step this outcome leads to.
    pub goto: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Another procedure's id; without it, a flow of the same procedure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The flow run as this step.
    pub flow: String,
}

/// A step deadline: a duration from activation, or `{ time, from | before }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Within {
    Duration(Duration),
    Rule(WithinRule),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithinRule {
    /// The time allowed.
    pub time: Duration,
    /// Count from the completion of this step (or `start`: the run's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Be done at least `time` before this planned step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

impl Within {
    pub fn time(&self) -> Duration {
        match self {
            Within::Duration(d) => *d,
            Within::Rule(r) => r.time,
        }
    }
    pub fn from(&self) -> Option<&str> {
        match self {
            Within::Rule(r) => r.from.as_deref(),
            Within::Duration(_) => None,
        }
    }
    pub fn before(&self) -> Option<&str> {
        match self {
            Within::Rule(r) => r.before.as_deref(),
            Within::Duration(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Within {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WithinVisitor;
        impl<'de> Visitor<'de> for WithinVisitor {
            type Value = Within;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration (`2 working days`) or `{ time: <duration>, from: <step> }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Within, E> {
                v.parse::<Duration>()
                    .map(Within::Duration)
                    .map_err(|e| E::custom(e.0))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Within, A::Error> {
                WithinRule::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Within::Rule)
            }
        }
        deserializer.deserialize_any(WithinVisitor)
    }
}

impl JsonSchema for Within {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Within".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let duration = generator.subschema_for::<Duration>();
        let rule = generator.subschema_for::<WithinRule>();
        schemars::json_schema!({
            "description": "A duration counted from the moment the step becomes active, or `{ time, from: <step>|start }` / `{ time, before: <planned step> }`.",
            "anyOf": [duration, rule]
        })
    }
}

/// One id or a list of ids (`by: CS` or `by: [GM, DGM]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

impl OneOrMany {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether it was written as a list of several (for `next`: a parallel split).
    pub fn is_many(&self) -> bool {
        self.0.len() > 1
    }
}

impl Serialize for OneOrMany {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id or a list of ids")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            // A number or boolean (`next: 1.10`) becomes its text; the loader restores the
            // characters written (see `text::note_resolved_scalar`).
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OneOrMany, E> {
                ScalarAsString.visit_u64(v).map(|s| OneOrMany(vec![s]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OneOrMany, E> {
                ScalarAsString.visit_i64(v).map(|s| OneOrMany(vec![s]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OneOrMany, E> {
                ScalarAsString.visit_f64(v).map(|s| OneOrMany(vec![s]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<OneOrMany, E> {
                ScalarAsString.visit_bool(v).map(|s| OneOrMany(vec![s]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Scalar>()? {
                    out.push(item.0);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

impl JsonSchema for OneOrMany {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IdOrIds".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An id, or a list of ids.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Parsing inside the visitor lets serde_yaml mark an error at the value itself.
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
                NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                    .map(Date)
                    .map_err(|_| {
                        E::custom(format!(
                            "`{v}` is not a date: write YYYY-MM-DD, e.g. 2026-06-01"
                        ))
                    })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Date, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Date, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Date, E> {
                self.visit_str(&v.to_string())
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A date written YYYY-MM-DD."
        })
    }
}
