//! What a run command can fail with: a refusal (nothing written), malformed input or a store
//! failure, each with the exit code the CLI returns.

use super::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The command is not allowed in the run's state; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The command itself is malformed (an argument).
    #[error("{0}")]
    Usage(String),
    /// No run has the reference (or not in the flow given).
    #[error("{0}")]
    Unknown(String),
    /// A refusal or usage error about named inputs of the request: each `(input, message)`
    /// pair says which input is wrong and why, so that a form can show it next to that input;
    /// the whole still reads (and exits) as `error`.
    #[error("{error}")]
    Inputs {
        inputs: Vec<(String, String)>,
        error: Box<RunError>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored run cannot be replayed: its events or snapshot were damaged.
    #[error("run `{reference}` cannot be replayed: {message}")]
    Corrupt { reference: String, message: String },
}

impl RunError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Refused(_) => 1,
            RunError::Store(
                StoreError::Duplicate { .. } | StoreError::Conflict | StoreError::BeyondHead,
            ) => 1,
            RunError::Corrupt { .. } => 1,
            RunError::Usage(_) | RunError::Unknown(_) | RunError::Store(_) => 2,
            RunError::Inputs { error, .. } => error.exit_code(),
        }
    }

    /// The same error, said to concern the request's input `input` (`outcome`, `as`,
    /// `fields.contract-review.customer`); an error that already names its inputs keeps them.
    pub fn about(self, input: &str) -> RunError {
        match self {
            RunError::Inputs { .. } => self,
            error => RunError::Inputs {
                inputs: vec![(input.to_string(), error.to_string())],
                error: Box::new(error),
            },
        }
    }

    /// The same error about `input` instead of the inputs it named: a part's error said of
    /// the whole (a step's date inside `plan`).
    pub fn instead(self, input: &str) -> RunError {
        match self {
            RunError::Inputs { error, .. } => error.about(input),
            error => error.about(input),
        }
    }
}

pub(super) fn refused(message: impl Into<String>) -> RunError {
    RunError::Refused(message.into())
}
