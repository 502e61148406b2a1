//! The application layer: every operation a user can do, as plain functions over the store
//! and the loaded QMS. On runs: start a run, complete or plan a step, show, list, export and
//! verify runs, list the periods of recurring flows without a run, and the inbox of a set of
//! departments; sign a step as the signed-in user ([`sign_step`]). On identity ([`users`]) and controlled documents ([`documents`]), with
//! the read-and-confirm of their released revisions ([`training`]); who may start and see which
//! runs ([`access`]); the quality overview ([`overview`]); moving a whole store to another backend
//! ([`copy_database`]).
//!
//! Each operation is one store transaction and returns a typed result, or a [`Refusal`]
//! that says why nothing was written, with one `{field, message}` problem per input it
//! concerns. The command line (`procdoc run ...`) and the web handlers are adapters over
//! these functions: they read their inputs, open the store, call one operation and present
//! its result; the rules live here and in the engine ([`crate::run::engine`]), which the
//! checker shares.
//!
//! Inputs that do not depend on the run (the moment, the entry tolerance, a store head) are
//! read by the helpers below before the store is opened, so that a malformed request never
//! opens, creates or upgrades a database.

pub mod access;
mod as_of;
mod attachments;
mod copy;
pub mod documents;
mod due_items;
mod export;
mod inbox;
mod listing;
mod named_signer;
pub mod notify;
pub mod overview;
pub mod proof;
pub mod reentry;
mod refusal;
mod runs;
mod sign;
mod step_form;
pub mod timeouts;
pub mod training;
pub mod users;
mod verify;
mod viewing;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::run::clock;
use crate::run::engine::RunError;
use crate::run::store::Store;
use crate::spec::load::Qms;

pub use attachments::{Download, download};
pub use copy::{Copied, copy_database, copy_store};
pub use export::{Exported, export_name, export_run, safe_name, to_json};
pub use inbox::{Inbox, InboxItem, InboxMemo, inbox, inbox_kept};
pub use listing::{
    DueFlow, DuePeriod, ListQuery, Listed, ListedStep, OverdueStep, RunList, due_periods,
    list_runs, office_calendar,
};
pub use named_signer::{complete_named, named_actor, start_named};
pub use refusal::{Problem, Refusal, RefusalKind};
pub use runs::{
    ActiveStep, Completed, PlannedStep, PreparedStart, Progress, RunInfo, RunRef, StartRun,
    Started, complete_step, plan_step, prepare_start, show_run, show_run_in, start_prepared,
    start_run,
};
pub use sign::{
    Eligible, SignStep, SignStore, Signer, confirm_signer, count_signing_password, eligible,
    sign_as, sign_step, signing_lockout, table_field,
};
pub use step_form::{Choice, FieldInput, RecordInput, SignFor, StepForm, TABLE_ROWS, step_form};
pub use verify::{Expected, Verification, verify};
pub use viewing::{
    RunView, codes, known_department, list_runs_as, my_work, my_work_count, print_record,
    run_flowchart, show_run_as, start_run_as, view_run,
};

// The vocabulary of requests the engine validates, re-exported for adapters.
pub use crate::run::attachments::{Attachment, Upload};
pub use crate::run::audit::StoreHead;
pub use crate::run::completion::DoneRequest;
pub use crate::run::record::RunRecord;
pub use crate::run::store::Status;

/// The moment a request is about: `at` as typed (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM` in `tz`,
/// or RFC 3339), else `PROCDOC_NOW`, else the system clock. Refused about input `at`.
pub fn moment(at: Option<&str>, tz: Tz) -> Result<DateTime<Utc>, Refusal> {
    match at {
        Some(text) => clock::parse(text, tz).map_err(|e| RunError::usage_at("at", e).into()),
        None => clock::now(None, tz).map_err(|e| Refusal::invalid("at", e)),
    }
}

/// How far (seconds) a sign-off may be entered from the time it states before records flag
/// it: `text` (`30m`, `4h`, `2d`), else `PROCDOC_ENTRY_TOLERANCE`, else one hour. Refused
/// about input `tolerance`.
pub fn tolerance(text: Option<&str>) -> Result<i64, Refusal> {
    clock::tolerance(text).map_err(|e| match text {
        Some(_) => RunError::usage_at("tolerance", e).into(),
        None => Refusal::invalid("tolerance", e),
    })
}

/// A store head written down from an earlier verify (`N:HASH`). Refused about input `expect`.
pub fn store_head(text: &str) -> Result<StoreHead, Refusal> {
    StoreHead::parse(text).map_err(|e| RunError::usage_at("expect", e).into())
}

/// The QMS's office time zone (its calendar's); UTC without a QMS or settings.
pub fn office_tz(qms: Option<&Qms>) -> Tz {
    clock::office_timezone(qms.and_then(|q| q.settings.as_ref()))
}

/// Runs `f` in one transaction: committed if it succeeds (and writes), rolled back otherwise.
pub fn transaction<S: Store + ?Sized, T>(
    store: &mut S,
    write: bool,
    f: impl FnOnce(&mut S) -> Result<T, RunError>,
) -> Result<T, RunError> {
    store.begin(write)?;
    match f(store) {
        Ok(value) => {
            if write {
                store.commit()?;
            } else {
                store.rollback()?;
            }
            Ok(value)
        }
        Err(e) => {
            let _ = store.rollback();
            Err(e)
        }
    }
}

/// Whether the store answers: its head read in one reading transaction. What a server's
/// health check asks; refused with [`RefusalKind::Unavailable`] while the database cannot
/// be reached, [`RefusalKind::Storage`] when it cannot be read.
pub fn store_answers<S: Store + ?Sized>(store: &mut S) -> Result<(), Refusal> {
    transaction(store, false, |s| Ok(s.head()?))?;
    Ok(())
}
