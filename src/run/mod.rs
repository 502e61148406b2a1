//! Running flows as checklists: the working-time calendar (used by the checker's deadline
//! rules too), the engine that replays a run's events through the shared flow semantics,
//! the store behind one narrow trait, the hash-chained audit trail, and the commands.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod backend;
pub mod calendar;
pub mod checklist;
pub mod choices;
pub mod clock;
pub mod command;
pub mod completion;
pub mod earliest;
pub mod engine;
pub mod error;
pub mod field_outcome;
pub mod fields;
pub mod integrity;
pub mod joint;
pub mod leases;
pub mod notices;
pub mod overview;
pub mod per_item;
pub mod per_period;
pub mod planned;
pub mod postgres;
pub mod record;
pub mod recurrence;
pub mod rules;
pub mod snapshot;
pub mod sqlite;
pub mod standing;
pub mod state;
pub mod store;
pub mod timeouts;
pub mod transfer;
pub mod triggers;

pub use command::{RunCommand, execute};
pub use record::{RunRecord, load_record, run_record};
