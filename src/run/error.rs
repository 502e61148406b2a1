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

    /// A refusal about the request's input `input` (`outcome`, `trigger`,
    /// `fields.RECORD.FIELD`), in words that do not say how the input is given: `message`
    /// is what a form shows next to that input and what the API returns for it; the command
    /// line's text (this error's `Display`) is the option that gives the input followed by
    /// `message` (`--field calibration-record.temperature: must be at most 22`), as
    /// [`super::command::option_of`] spells it.
    pub fn at(input: &str, message: impl Into<String>) -> RunError {
        RunError::said(input, message.into(), RunError::Refused)
    }

    /// [`RunError::at`] for a malformed input (exit code 2).
    pub fn usage_at(input: &str, message: impl Into<String>) -> RunError {
        RunError::said(input, message.into(), RunError::Usage)
    }

    fn said(input: &str, message: String, kind: fn(String) -> RunError) -> RunError {
        let cli = format!("{}: {message}", super::command::option_of(input));
        RunError::Inputs {
            inputs: vec![(input.to_string(), message)],
            error: Box::new(kind(cli)),
        }
    }

    /// The same error with `cli` as the command line's whole text, where it has more to
    /// say than the neutral words (a command to run); the inputs' messages are kept.
    pub fn on_the_command_line(self, cli: impl Into<String>) -> RunError {
        match self {
            RunError::Inputs { inputs, error } => RunError::Inputs {
                inputs,
                error: Box::new(match *error {
                    RunError::Usage(_) => RunError::Usage(cli.into()),
                    _ => RunError::Refused(cli.into()),
                }),
            },
            other => other,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_told_in_neutral_words_and_the_command_line_names_its_option() {
        let e = RunError::at("fields.cal.temperature", "30 is outside the range");
        assert_eq!(
            e.to_string(),
            "--field cal.temperature: 30 is outside the range"
        );
        assert_eq!(e.exit_code(), 1);
        let RunError::Inputs { inputs, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            inputs,
            &[(
                "fields.cal.temperature".to_string(),
                "30 is outside the range".to_string()
            )]
        );
        let e = RunError::usage_at("trigger", "choose one").on_the_command_line("use --trigger");
        assert_eq!(
            (e.to_string().as_str(), e.exit_code()),
            ("use --trigger", 2)
        );
        let RunError::Inputs { inputs, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(inputs[0].1, "choose one");
        // Saying it is about an input keeps the neutral words.
        let e = RunError::at("as", "MD: not a signer").about("by");
        assert_eq!(e.to_string(), "--as: MD: not a signer");
        for (input, option) in [
            ("outcome", "--outcome"),
            ("fields", "--field"),
            ("plan.mrb", "--plan mrb"),
            ("depts", "--dept"),
        ] {
            assert_eq!(super::super::command::option_of(input), option);
        }
    }
}
