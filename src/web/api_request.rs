//! The JSON bodies the API takes, read into the requests of the application layer in the
//! forms the command line gives them (`procdoc run start`, `procdoc run done`), so that the
//! engine reads and validates API requests exactly as it reads the CLI's.
//!
//! A body that is not JSON of the documented shape is *malformed*: the answer is 400 with
//! the place the reader stopped at (`plan.visit`, `fields`), as serde reports it. A
//! well-formed value that the CLI's text form cannot carry (a table cell with `|`) is
//! refused like any other invalid input, about `fields.KEY`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::{Problem, Refusal, RefusalKind, SignStep, StartRun, Upload};

/// A body the API could not read: what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The path inside the body (`plan.visit`, `check`); `None` for the body as a whole.
    pub field: Option<String>,
    pub message: String,
}

/// Reads a JSON body into `T`, naming the member that failed (`serde_path_to_error`).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Malformed> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        Malformed {
            // serde_path_to_error writes `.` for the root, `?` where it could not tell.
            field: (path != "." && path != "?").then_some(path),
            message: e.into_inner().to_string(),
        }
    })?;
    // Trailing text after the value is malformed too.
    reader.end().map_err(|e| Malformed {
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

/// `POST /api/runs`: which flow of which procedure to start for which reference, and the
/// dates of its planned steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The procedure (`CS-P-001`).
    pub doc: String,
    /// The flow; the procedure's first when absent.
    #[serde(default)]
    pub flow: Option<String>,
    /// The order or case number; unique per flow.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Dates of planned steps: `{"STEP": "YYYY-MM-DD"}`, or with a time on the office clock
    /// `"YYYY-MM-DD HH:MM"`.
    #[serde(default)]
    pub plan: BTreeMap<String, String>,
    /// On a flow with several triggers: the trigger's number (from 1) or its text.
    #[serde(default)]
    pub trigger: Option<TriggerChoice>,
    /// On a per-item flow: the register item's key.
    #[serde(default)]
    pub item: Option<String>,
    /// On a recurring flow: the period the run is for, as `procdoc run due` names it.
    #[serde(default)]
    pub period: Option<String>,
}

/// A trigger chosen by number (`2`) or by text (`"Internal audit finding"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, expecting = "a trigger's number (from 1) or its text")]
pub enum TriggerChoice {
    Number(u64),
    Text(String),
}

impl StartBody {
    /// The start as `procdoc run start` takes it (`--plan STEP=DATE`); who starts it is the
    /// token's user, set by the operation.
    pub fn into_request(self) -> StartRun {
        StartRun {
            doc: self.doc,
            flow: self.flow.filter(|f| !f.trim().is_empty()),
            reference: self.reference,
            by: None,
            at: None,
            plan: self
                .plan
                .into_iter()
                .map(|(step, date)| format!("{step}={date}"))
                .collect(),
            trigger: self.trigger.map(|t| match t {
                TriggerChoice::Number(n) => n.to_string(),
                TriggerChoice::Text(t) => t,
            }),
            item: self.item.filter(|i| !i.trim().is_empty()),
            period: self.period.filter(|p| !p.trim().is_empty()),
        }
    }
}

/// Check items as `run done --check` takes them: `"all"`, `"1,3"`, or `[1, 3]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "\"all\", item numbers as text (\"1,3\") or an array of item numbers ([1, 3])"
)]
pub enum Items {
    Text(String),
    Numbers(Vec<u32>),
}

impl Items {
    fn into_text(self) -> String {
        match self {
            Items::Text(text) => text,
            Items::Numbers(numbers) => numbers
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// `outcome`: one label, or a list of labels where the decision says `multiple: true`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "an outcome label (\"Rework\") or an array of labels ([\"Rework\", \"Scrap\"])"
)]
pub enum Outcomes {
    One(String),
    Several(Vec<String>),
}

impl Outcomes {
    /// The first label and the rest, as `procdoc run done` takes repeated `--outcome`.
    fn split(self) -> (Option<String>, Vec<String>) {
        match self {
            Outcomes::One(label) => (Some(label), Vec::new()),
            Outcomes::Several(labels) => {
                let mut labels = labels.into_iter();
                (labels.next(), labels.collect())
            }
        }
    }
}

/// `POST /api/runs/{ref}/steps/{step}`: what completing the step gives, each member as the
/// option of `procdoc run done` of the same name; the signer is the token's user, who
/// confirms with their password.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// The decision's outcome, by its label in any of the QMS languages; a list of them for
    /// a decision with `multiple: true`.
    #[serde(default)]
    pub outcome: Option<Outcomes>,
    #[serde(default)]
    pub check: Option<Items>,
    /// Check items that do not apply (needs `reason`).
    #[serde(default)]
    pub waive: Option<Items>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Record field values by `record.field` (or `field` when only one record has it).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    #[serde(default)]
    pub note: Option<String>,
    /// The department of the step's `by` the user acts for.
    #[serde(default, rename = "as")]
    pub acting_for: Option<String>,
    /// The user's password again: the signature's second factor of intent.
    #[serde(default)]
    pub password: String,
    /// Files attached as evidence.
    #[serde(default)]
    pub attachments: Vec<AttachmentBody>,
}

/// A file attached through the API: its name, its bytes in base64 (RFC 4648 §4, padded) and,
/// optionally, its media type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentBody {
    pub name: String,
    pub content_base64: String,
    #[serde(default)]
    pub media_type: Option<String>,
}

impl StepBody {
    /// The signature of `step` in the forms `procdoc run done` takes, fields in their text
    /// forms ([`field_text`]); the password stays apart. Refused about `fields.KEY` for each
    /// value the text form cannot carry.
    pub fn into_request(self, step: &str) -> Result<SignStep, Refusal> {
        use base64::Engine;
        let mut fields = Vec::new();
        let mut problems = Vec::new();
        let mut attachments = Vec::new();
        for (i, file) in self.attachments.iter().enumerate() {
            let content = file.content_base64.trim();
            match base64::engine::general_purpose::STANDARD.decode(content) {
                Ok(bytes) => {
                    attachments.push(Upload::new(&file.name, file.media_type.as_deref(), bytes))
                }
                Err(e) => problems.push(Problem {
                    field: Some(format!("attachments.{i}")),
                    message: format!(
                        "attachments.{i} ({}): content_base64 is not base64: {e}",
                        file.name
                    ),
                }),
            }
        }
        for (key, value) in &self.fields {
            match field_text(value) {
                Ok(Some(text)) => fields.push(format!("{key}={text}")),
                Ok(None) => {}
                Err(message) => problems.push(Problem {
                    field: Some(format!("fields.{key}")),
                    message: format!("{key}: {message}"),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(Refusal {
                kind: RefusalKind::Invalid,
                message: problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                problems,
            });
        }
        let (outcome, further_outcomes) = self.outcome.map(Outcomes::split).unwrap_or_default();
        Ok(SignStep {
            step: step.to_string(),
            acting_for: self.acting_for.filter(|a| !a.trim().is_empty()),
            outcome,
            further_outcomes,
            check: self.check.map(Items::into_text),
            waive: self.waive.map(Items::into_text),
            reason: self.reason,
            fields,
            note: self.note,
            attachments,
        })
    }
}

/// A JSON field value in the text form `run done --field KEY=VALUE` reads, so that one
/// reader ([`crate::run::fields::read`]) types every value whichever way it came:
///
/// - a string as it is; a number as written; `true`/`false` as `yes`/`no`;
/// - an array of strings or numbers (multichoice) joined with `,`;
/// - an array of arrays (table rows) with cells joined by `|` and rows by `;`;
/// - `null` or `[]`: the field is not given.
///
/// Refused (the reason) for objects, and for an element holding the separator its text
/// form would split it at.
pub fn field_text(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Array(items) if items.is_empty() => Ok(None),
        Value::Array(items) if items.iter().all(Value::is_array) => {
            let rows = items
                .iter()
                .map(|row| {
                    let cells = row.as_array().map(Vec::as_slice).unwrap_or_default();
                    cells
                        .iter()
                        .map(|cell| scalar(cell, &['|', ';'], "a table cell"))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|cells| cells.join("|"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(rows.join("; ")))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| scalar(item, &[','], "a choice"))
            .collect::<Result<Vec<_>, _>>()
            .map(|items| Some(items.join(", "))),
        other => scalar(other, &[], "a value").map(Some),
    }
}

/// One string, number or boolean as text; refused when it holds one of `separators`.
fn scalar(value: &Value, separators: &[char], what: &str) -> Result<String, String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => {
            return Err(format!(
                "{what} must be a string, a number or a boolean, not {value}"
            ));
        }
    };
    match text.chars().find(|c| separators.contains(c)) {
        Some(c) => Err(format!(
            "{what} cannot contain `{c}`: `{text}` (the text form separates items with it)"
        )),
        None => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_take_the_text_form_the_command_line_reads() {
        let text = |v: Value| field_text(&v);
        assert_eq!(text(json!("ACME <b>")), Ok(Some("ACME <b>".into())));
        assert_eq!(text(json!(12.5)), Ok(Some("12.5".into())));
        assert_eq!(text(json!(true)), Ok(Some("yes".into())));
        assert_eq!(text(json!(false)), Ok(Some("no".into())));
        assert_eq!(text(json!(null)), Ok(None));
        assert_eq!(text(json!([])), Ok(None));
        assert_eq!(text(json!(["a", "b"])), Ok(Some("a, b".into())));
        assert_eq!(
            text(json!([["QA", "ok", 2], ["ENG", "fine"]])),
            Ok(Some("QA|ok|2; ENG|fine".into()))
        );
        assert!(text(json!(["a,b"])).unwrap_err().contains("`,`"));
        assert!(text(json!([["a|b"]])).unwrap_err().contains("`|`"));
        assert!(text(json!([["a;b"]])).unwrap_err().contains("`;`"));
        assert!(text(json!({"a": 1})).is_err());
        assert!(text(json!([{"a": 1}])).is_err());
    }

    #[test]
    fn a_malformed_body_names_the_member() {
        let e = parse::<StartBody>(br#"{"doc": "X", "ref": 7}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("ref"));
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e =
            parse::<StartBody>(br#"{"doc": "X", "ref": "R", "plan": {"visit": 3}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("plan.visit"));
        let e = parse::<StepBody>(br#"{"by": "someone"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("by"));
        assert!(e.message.contains("unknown field `by`"), "{}", e.message);
        let e = parse::<StepBody>(b"{").unwrap_err();
        assert_eq!(e.field, None);
        assert!(parse::<StepBody>(b"{} x").is_err());
    }

    #[test]
    fn a_start_and_a_step_read_as_the_command_line_gives_them() {
        let start: StartBody =
            parse(br#"{"doc": "CS-P-001", "ref": "SO-1", "plan": {"visit": "2026-12-01"}}"#)
                .unwrap();
        let request = start.into_request();
        assert_eq!(request.plan, vec!["visit=2026-12-01".to_string()]);
        assert_eq!(request.flow, None);
        let step: StepBody = parse(
            br#"{"check": [1, 3], "waive": "2", "fields": {"r.a": 4, "r.b": null}, "as": "QA", "password": "p"}"#,
        )
        .unwrap();
        let done = step.into_request("review").unwrap();
        assert_eq!(done.check.as_deref(), Some("1,3"));
        assert_eq!(done.waive.as_deref(), Some("2"));
        assert_eq!(done.fields, vec!["r.a=4".to_string()]);
        assert_eq!(done.acting_for.as_deref(), Some("QA"));
        let bad: StepBody = parse(br#"{"fields": {"r.t": [["x|y"]], "r.m": ["a,b"]}}"#).unwrap();
        let refusal = bad.into_request("review").unwrap_err();
        assert!(refusal.about("fields.r.t").is_some() && refusal.about("fields.r.m").is_some());
    }
}
