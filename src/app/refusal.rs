//! Why an operation did nothing, in a form every adapter can show: a kind (which says how
//! to answer: exit code, HTTP status), the whole message as the command line prints it, and
//! one `{field, message}` problem per input concerned, so that a form or the JSON API
//! (`POST /api/runs/{ref}/steps/{step}`) shows each one next to the input it is about.

use serde::Serialize;

use crate::run::engine::RunError;
use crate::run::store::StoreError;

/// What kind of refusal it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalKind {
    /// The procedure does not allow it in the run's state (a step that is not active, a
    /// signer barred by `not_by`, unticked check items, a missing required field).
    Refused,
    /// The request is malformed (an unreadable date, an unknown step or flow).
    Invalid,
    /// The signed-in user may not do this or see this run (their role or departments, a
    /// step none of their departments acts in, a disabled account).
    Forbidden,
    /// No run has the reference given.
    NotFound,
    /// Someone else changed the run first, or the reference is taken: try again or pick
    /// another.
    Conflict,
    /// The run's audit trail or snapshot is damaged; `procdoc run verify` says how.
    Broken,
    /// The store cannot be opened, read or written.
    Storage,
    /// The database cannot be reached right now (restarting, or the connection broke):
    /// nothing was written; the same request may succeed in a moment.
    Unavailable,
    /// Too many wrong passwords in a row: the login is locked for a while.
    Throttled,
}

impl RefusalKind {
    /// The HTTP status a page or the API answers with (RFC 9110 §15): 422 for what the
    /// procedure refuses or a malformed input, 403, 404, 409, and 500 for a damaged run or
    /// a store that cannot be used; 429 while a login is locked, 503 while the database
    /// cannot be reached.
    pub fn http_status(self) -> u16 {
        match self {
            RefusalKind::Throttled => 429,
            RefusalKind::Refused | RefusalKind::Invalid => 422,
            RefusalKind::Forbidden => 403,
            RefusalKind::NotFound => 404,
            RefusalKind::Conflict => 409,
            RefusalKind::Broken | RefusalKind::Storage => 500,
            RefusalKind::Unavailable => 503,
        }
    }
}

/// One problem with one input of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The input it concerns, by its API name: `ref`, `doc`, `flow`, `plan.STEP`, `step`,
    /// `by`, `as`, `at`, `password`, `outcome`, `check`, `waive`, `reason`, `note`, `date`, `depts`,
    /// `tolerance`, `expect`, `fields` or `fields.RECORD.FIELD`; `None` when it concerns the
    /// run or the request as a whole.
    pub field: Option<String>,
    pub message: String,
}

/// An operation that did nothing, and why. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// The whole reason in one text, as `procdoc run` prints it after `error: `.
    pub message: String,
    /// At least one; each input concerned has its own.
    pub problems: Vec<Problem>,
}

impl Refusal {
    /// A refusal about one input (`None`: the request as a whole).
    pub fn new(kind: RefusalKind, field: Option<&str>, message: impl Into<String>) -> Refusal {
        let message = message.into();
        Refusal {
            kind,
            problems: vec![Problem {
                field: field.map(str::to_string),
                message: message.clone(),
            }],
            message,
        }
    }

    /// A malformed input.
    pub fn invalid(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Invalid, Some(field), message)
    }

    /// The exit code `procdoc run` ends with: 1 for what the procedure or the store's state
    /// refuses, 2 for usage and I/O problems.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            RefusalKind::Refused
            | RefusalKind::Forbidden
            | RefusalKind::Conflict
            | RefusalKind::Throttled
            | RefusalKind::Broken => 1,
            RefusalKind::Invalid
            | RefusalKind::NotFound
            | RefusalKind::Storage
            | RefusalKind::Unavailable => 2,
        }
    }

    /// The whole reason in words for a form or the API, which do not name command-line
    /// options: each problem's message on its own line when every problem is about an
    /// input, else [`Refusal::message`].
    pub fn said(&self) -> String {
        if !self.problems.is_empty() && self.problems.iter().all(|p| p.field.is_some()) {
            let lines: Vec<&str> = self.problems.iter().map(|p| p.message.as_str()).collect();
            lines.join("\n")
        } else {
            self.message.clone()
        }
    }

    /// The problem about `field`, if any.
    pub fn about(&self, field: &str) -> Option<&Problem> {
        self.problems
            .iter()
            .find(|p| p.field.as_deref() == Some(field))
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

fn kind_of(error: &RunError) -> RefusalKind {
    match error {
        RunError::Refused(_) => RefusalKind::Refused,
        RunError::Usage(_) => RefusalKind::Invalid,
        RunError::Unknown(_) => RefusalKind::NotFound,
        RunError::Corrupt { .. } | RunError::Store(StoreError::BeyondHead) => RefusalKind::Broken,
        RunError::Store(StoreError::Duplicate { .. } | StoreError::Conflict) => {
            RefusalKind::Conflict
        }
        RunError::Store(e) if e.is_outage() => RefusalKind::Unavailable,
        RunError::Store(_) => RefusalKind::Storage,
        RunError::Inputs { error, .. } => kind_of(error),
    }
}

impl From<RunError> for Refusal {
    fn from(error: RunError) -> Refusal {
        let kind = kind_of(&error);
        let message = error.to_string();
        let problems = match &error {
            RunError::Inputs { inputs, .. } => inputs
                .iter()
                .map(|(field, message)| Problem {
                    field: Some(field.clone()),
                    message: message.clone(),
                })
                .collect(),
            // A taken reference is about the reference the request gave.
            RunError::Store(StoreError::Duplicate { .. }) => vec![Problem {
                field: Some("ref".to_string()),
                message: message.clone(),
            }],
            _ => vec![Problem {
                field: None,
                message: message.clone(),
            }],
        };
        Refusal {
            kind,
            message,
            problems,
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        Refusal::from(RunError::from(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_kind_of_the_engine_error() {
        let refused = Refusal::from(RunError::Refused("no".into()).about("outcome"));
        assert_eq!(refused.kind, RefusalKind::Refused);
        assert_eq!(refused.exit_code(), 1);
        assert_eq!(refused.message, "no");
        assert_eq!(
            refused.about("outcome").map(|p| p.message.as_str()),
            Some("no")
        );
        let unknown = Refusal::from(RunError::Unknown("no run `X`".into()));
        assert_eq!(
            (unknown.kind, unknown.exit_code()),
            (RefusalKind::NotFound, 2)
        );
        assert_eq!(unknown.problems[0].field, None);
        let taken = Refusal::from(StoreError::Duplicate {
            reference: "SO-1".into(),
            doc: "CS-P-001".into(),
            flow: "order".into(),
        });
        assert_eq!((taken.kind, taken.exit_code()), (RefusalKind::Conflict, 1));
        assert!(taken.about("ref").is_some());
    }

    #[test]
    fn an_error_keeps_the_inputs_it_first_named() {
        let inner = RunError::Usage("bad date".into()).about("date");
        let refusal = Refusal::from(inner.about("plan"));
        assert_eq!(refusal.problems.len(), 1);
        assert!(refusal.about("date").is_some());
        let renamed = Refusal::from(
            RunError::Usage("bad date".into())
                .about("date")
                .instead("plan.visit"),
        );
        assert!(renamed.about("plan.visit").is_some() && renamed.about("date").is_none());
    }
}
