//! `procdoc db copy`: moving a whole run store to another backend, an adapter over
//! [`crate::app::copy_database`]. Refusals go to standard error with exit code 1 (a target
//! that is not empty, a copy that does not verify), usage and I/O problems with 2.

use std::path::PathBuf;

use crate::app::{self, Copied};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum DbCommand {
    /// Copy every run, event, user, token, file and record into an empty store, verified
    /// before it is committed; refused (exit 1) when the target is not empty
    Copy {
        /// The store to copy: a file, sqlite:PATH or postgres://USER@HOST/DB
        #[arg(long, value_name = "DB")]
        from: PathBuf,
        /// The empty store to fill (created when it does not exist): a file, sqlite:PATH or
        /// postgres://USER@HOST/DB
        #[arg(long, value_name = "DB")]
        to: PathBuf,
    },
}

/// Runs one `procdoc db` command; returns the exit code.
pub fn execute(command: DbCommand) -> u8 {
    match command {
        DbCommand::Copy { from, to } => match app::copy_database(&from, &to) {
            Ok(copied) => {
                print!("{}", report(&copied));
                0
            }
            Err(refusal) => {
                eprintln!("error: {}", refusal.message);
                refusal.exit_code()
            }
        },
    }
}

fn report(c: &Copied) -> String {
    let n = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = format!(
        "copied {}, {}, {}, {}, {}, {} ({} bytes), {}, {}\n",
        n(c.runs, "run"),
        n(c.events, "event"),
        n(c.snapshots, "snapshot"),
        n(c.users, "user"),
        n(c.tokens, "API token"),
        n(c.files, "attached file"),
        c.file_bytes,
        n(c.training, "training record"),
        n(c.digests, "sent digest"),
    );
    out.push_str(&format!(
        "OK: the target verifies: {}, {}, every audit chain intact\nstore head: {}\n",
        n(c.verification.runs, "run"),
        n(c.verification.events, "event"),
        c.verification.head.text()
    ));
    for note in &c.verification.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str("sessions were not copied: people sign in again\n");
    out
}
