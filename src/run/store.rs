//! Where runs are kept: one narrow trait the engine talks to, and the rows it exchanges.
//! Two backends implement [`Store`]: SQLite ([`super::sqlite`]) and PostgreSQL
//! ([`super::postgres`]); [`AnyStore`] is either, as `--db` names it.
//!
//! The engine owns all meaning (state comes from replaying events); a store only keeps
//! rows: runs with a few summary columns for listing, the frozen procedure snapshots they
//! point at, their events, and the steps open right now with their deadlines (so that
//! "what is overdue" is one indexed query, not a replay of every run).
//!
//! Commands that only read open the database read-only: they never create, upgrade or
//! otherwise write it, so they work on read-only media and a mistyped path is an error
//! instead of a new empty database.

use std::path::{Path, PathBuf};

use super::audit::{Event, StoreHead};
pub use super::backend::{AnyStore, Location};
pub use super::postgres::PgStore;
pub use super::sqlite::SqliteStore;

/// The schema version this build writes; older databases are migrated forward when a
/// command writes to them, and read as they are by commands that only read.
///
/// - 1: runs, snapshots, events (per-run chains), open steps.
/// - 2: entry times of events, the store chain and its head, child runs in a namespace of
///   their own (a user reference can no longer take a child run's name).
/// - 3: people: users and their departments, sign-in sessions, API tokens, failed
///   sign-ins, training records ([`super::accounts`]).
/// - 4: files attached to steps, kept once per SHA-256 ([`super::attachments`]).
/// - 5: e-mail: users' addresses and the overdue digests sent ([`super::notices`]).
/// - 6: when an open run next stands otherwise by time alone (`runs.changes_at`, indexed),
///   so the views that judge runs as they stand now find the few that may, by an index.
pub const SCHEMA_VERSION: i64 = 6;

/// The first schema that keeps [`Summary::changes_at`].
pub const CHANGES_AT_SCHEMA: i64 = 6;

/// The stored `changes_at` of an open run whose moment is not known yet: runs that were
/// open when the database was upgraded to schema 6. It sorts before every stored moment, so
/// such a run is taken as one that may stand otherwise now until its summary is written
/// again (by its next command, or by `run tick`).
pub const CHANGES_UNKNOWN: &str = "";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a run `{reference}` of {doc} flow `{flow}` already exists")]
    Duplicate {
        reference: String,
        doc: String,
        flow: String,
    },
    #[error("the run changed while this command was working on it; try again")]
    Conflict,
    #[error(
        "the run store holds events beyond its recorded head, which only tampering leaves; nothing was written: see `procdoc run verify`"
    )]
    BeyondHead,
    #[error(
        "the run database {path} has schema version {found}, newer than this procdoc understands ({SCHEMA_VERSION}): update procdoc"
    )]
    TooNew { path: String, found: i64 },
    #[error("cannot create the folder of the run database {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("cannot open the run database {0}: {1}")]
    Open(String, rusqlite::Error),
    #[error(
        "there is no run database at {0}: check --qms, --db and PROCDOC_DB (`procdoc run start` creates it)"
    )]
    Missing(String),
    #[error("{0} is not a run database (schema version 0); check --db and PROCDOC_DB")]
    NotRuns(String),
    #[error("a user with the login `{0}` already exists")]
    DuplicateLogin(String),
    #[error("run database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A database URL the PostgreSQL client cannot read: the URL (without password), why.
    #[error("`{0}` is not a database URL procdoc can use: {1}")]
    BadUrl(String, String),
    /// The database server cannot be reached or refused the connection: the URL (without
    /// password), and the reason the client or the server gave.
    #[error("cannot connect to the run database {0}: {1}")]
    Connect(String, String),
    /// The file that holds a background job's lease beside an SQLite database cannot be
    /// opened or locked: its path, and why.
    #[error("cannot lock the lease file {0}: {1}")]
    Lease(String, std::io::Error),
    /// A database server's error (PostgreSQL), in its own words.
    #[error("run database: {0}")]
    Database(String),
    /// The connection to the database server broke or the server is shutting down or
    /// starting up (a restart, a failover): nothing of the work in flight was written, and
    /// the next use connects again. The client's or the server's reason.
    #[error("the run database cannot be reached: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Whether the database cannot be reached right now ([`StoreError::Connect`],
    /// [`StoreError::Unavailable`]): an outage that passes, which a server answers with
    /// "try again" (HTTP 503) rather than as a fault of its own.
    pub fn is_outage(&self) -> bool {
        matches!(self, StoreError::Connect(..) | StoreError::Unavailable(_))
    }
}

/// A run's row id in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub i64);

/// What a new run is, before its first event.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub reference: String,
    pub doc: String,
    pub flow: String,
    pub revision: String,
    pub fingerprint: String,
    pub snapshot_hash: String,
    /// The frozen model (JSON); kept once per distinct hash.
    pub snapshot: String,
    pub parent: Option<RunId>,
    /// For a recurring flow: the period the run covers (its first day).
    pub period: Option<String>,
    pub started_at: String,
}

/// A run as listed: identity, pinning and the summary columns.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: RunId,
    pub reference: String,
    pub doc: String,
    pub flow: String,
    pub revision: String,
    pub fingerprint: String,
    pub snapshot_hash: String,
    pub parent: Option<RunId>,
    pub period: Option<String>,
    pub started_at: String,
    pub status: Status,
    pub outcome: Option<String>,
    pub ended_at: Option<String>,
    /// Events recorded so far and the last one's hash: the chain's end as the header knows it.
    pub events: u64,
    pub head: String,
    /// The largest gap between an event's stated time and when it was entered, in seconds;
    /// `None` when no event has an entry time (runs from before schema 2).
    pub entry_gap: Option<i64>,
    /// Steps open now, one entry per responsible department.
    pub open: Vec<OpenStep>,
    /// [`Summary::changes_at`] as stored; [`CHANGES_UNKNOWN`] for an open run of a
    /// database older than schema 6, or one open when it was upgraded.
    pub changes_at: Option<String>,
}

impl RunRow {
    /// The name the audit chain binds events to.
    pub fn chain_key(&self) -> String {
        format!("{}/{}/{}", self.doc, self.flow, self.reference)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Ended,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Ended => "ended",
        }
    }
}

/// An active or waiting step (or, with `step: None`, the whole flow) with its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStep {
    pub step: Option<String>,
    pub dept: Option<String>,
    pub due: Option<String>,
}

/// A run with everything needed to replay it.
#[derive(Debug, Clone)]
pub struct StoredRun {
    pub row: RunRow,
    /// The snapshot's text; `None` when the store no longer holds it.
    pub snapshot: Option<String>,
    pub events: Vec<Event>,
}

/// The summary columns written with each change, derived by the engine.
#[derive(Debug, Clone)]
pub struct Summary {
    pub status: Status,
    pub outcome: Option<String>,
    pub ended_at: Option<String>,
    pub open: Vec<OpenStep>,
    pub entry_gap: Option<i64>,
    /// The earliest moment (stored form, UTC) at which the open run stands otherwise than
    /// this summary says without any command: a step's timeout or escalation falling due.
    /// `None` when nothing in it changes with time alone (or the run ended). A moment
    /// already past stays until the run is written again (an escalation writes nothing).
    pub changes_at: Option<String>,
}

/// Which runs to list. Every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub reference: Option<String>,
    pub doc: Option<String>,
    pub flow: Option<String>,
    pub status: Option<Status>,
    /// Runs with an open step this department is responsible for.
    pub dept: Option<String>,
    /// Runs with an open deadline before this stored moment.
    pub overdue_at: Option<String>,
    /// Runs that may stand otherwise at this stored moment than their summary says
    /// ([`Summary::changes_at`] at or before it, or not known).
    pub changes_by: Option<String>,
    pub parent: Option<RunId>,
    /// Runs covering this stored period (a recurring flow's first day, a per-item run's
    /// `ITEM@YYYY-MM-DD`).
    pub period: Option<String>,
}

/// A value a [`Filter`]'s condition compares with, bound by each backend in its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FilterValue {
    Text(String),
    Id(i64),
}

/// The conditions of `filter` over `runs r`: each an SQL fragment with one `?` where its
/// value goes, and the value. Both backends build their WHERE clause from these, so they
/// select the same runs. `schema` is the database's (older ones are read before upgrade).
pub(crate) fn filter_conditions(filter: &Filter, schema: i64) -> Vec<(&'static str, FilterValue)> {
    let text = |v: &str| FilterValue::Text(v.to_string());
    let mut out = Vec::new();
    if let Some(v) = &filter.reference {
        out.push((" AND r.ref = ?", text(v)));
    }
    if let Some(v) = &filter.doc {
        out.push((" AND r.doc = ?", text(v)));
    }
    if let Some(v) = &filter.flow {
        out.push((" AND r.flow = ?", text(v)));
    }
    if let Some(v) = filter.status {
        out.push((" AND r.status = ?", text(v.as_str())));
    }
    if let Some(v) = filter.parent {
        out.push((" AND r.parent = ?", FilterValue::Id(v.0)));
    }
    if let Some(v) = &filter.period {
        out.push((" AND r.period = ?", text(v)));
    }
    if let Some(v) = &filter.dept {
        out.push((
            " AND r.id IN (SELECT o.run FROM open_steps o WHERE o.dept = ?)",
            text(v),
        ));
    }
    if let Some(v) = &filter.overdue_at {
        out.push((
            " AND r.id IN (SELECT o.run FROM open_steps o WHERE o.due < ?)",
            text(v),
        ));
    }
    if let Some(v) = &filter.changes_by {
        if schema >= CHANGES_AT_SCHEMA {
            out.push((" AND r.changes_at <= ?", text(v)));
        } else {
            // A database read before its upgrade does not know: every open run may.
            out.push((" AND r.status = ?", text(Status::Open.as_str())));
        }
    }
    out
}

/// The database's plans of the two queries that find open work, in the backend's own words
/// (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`): the run list's and the overdue
/// steps'. For benchmarks and DBAs, who check that they stay index lookups as the history
/// of ended runs grows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlans {
    /// The plan of [`Store::list`]'s query.
    pub list: String,
    /// The plan of [`Store::overdue`]'s query.
    pub overdue: String,
}

/// One event's place in the store chain, as `entries` lists them.
#[derive(Debug, Clone)]
pub struct Entry {
    pub pos: u64,
    pub run: RunId,
    pub n: u64,
    pub hash: String,
    /// `None` where a database of schema 1 is read without being upgraded.
    pub link: Option<String>,
    /// Whether the event has an entry time (events from before schema 2 have none).
    pub entered: bool,
}

/// How the store came to hold its chain, for honest reports on older databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The schema the database has (older than [`SCHEMA_VERSION`] only when read-only).
    pub schema: i64,
    /// Events that existed when the database was upgraded to keep the store chain (they
    /// were chained as they were then), and when that was; `None` for a store that kept
    /// it from its first event.
    pub upgraded: Option<(u64, String)>,
}

/// One open deadline that has passed.
#[derive(Debug, Clone)]
pub struct Overdue {
    pub run: RunId,
    pub reference: String,
    pub doc: String,
    pub flow: String,
    pub open: OpenStep,
}

/// Everything the engine needs from storage. Writes happen between `begin(true)` and
/// `commit`; a failed command calls `rollback`, and a process that dies in between leaves
/// the store as it was before `begin`.
pub trait Store {
    /// Starts one transaction. A writing transaction excludes other writers until it ends,
    /// so that a command sees the state it changes; a reading one sees a consistent state.
    /// A store opened read-only refuses `begin(true)`.
    fn begin(&mut self, write: bool) -> Result<(), StoreError>;
    fn commit(&mut self) -> Result<(), StoreError>;
    fn rollback(&mut self) -> Result<(), StoreError>;
    /// Adds a run without events. Fails with `Duplicate` when the flow already has the ref.
    fn start(&mut self, run: &NewRun) -> Result<RunId, StoreError>;
    fn load(&self, run: RunId) -> Result<Option<StoredRun>, StoreError>;
    /// Appends events after the run's current last one and replaces its summary; the
    /// events carry their store chain places ([`Event::chain_after`]) and move the store
    /// head. Fails with `Conflict` if the run or the store has gained events since they
    /// were sealed.
    fn append(&mut self, run: RunId, events: &[Event], summary: &Summary)
    -> Result<(), StoreError>;
    /// The store chain's head as recorded; `None` for a schema 1 database read as it is.
    fn head(&self) -> Result<Option<StoreHead>, StoreError>;
    /// Every event's place in the store chain, in chain order.
    fn entries(&self) -> Result<Vec<Entry>, StoreError>;
    fn provenance(&self) -> Result<Provenance, StoreError>;
    fn list(&self, filter: &Filter) -> Result<Vec<RunRow>, StoreError>;
    /// Open deadlines before `now` (stored form), earliest first.
    fn overdue(&self, now: &str, filter: &Filter) -> Result<Vec<Overdue>, StoreError>;
    /// Sets a run's [`Summary::changes_at`] without an event, when it was not known
    /// ([`CHANGES_UNKNOWN`]) and the run's replay now says it; only where `changes_at` is
    /// still `CHANGES_UNKNOWN`, so a writer that moved it meanwhile wins. Returns whether
    /// the row changed. In a writing transaction.
    fn learn_changes_at(
        &mut self,
        run: RunId,
        changes_at: Option<&str>,
    ) -> Result<bool, StoreError>;
}

/// The database a QMS folder uses unless told otherwise.
pub fn default_path(qms_dir: &Path) -> PathBuf {
    qms_dir.join(".procdoc").join("runs.sqlite")
}
