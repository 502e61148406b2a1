//! Where runs are kept: one narrow trait the engine talks to, and its SQLite implementation.
//!
//! The engine owns all meaning (state comes from replaying events); a store only keeps
//! rows: runs with a few summary columns for listing, the frozen procedure snapshots they
//! point at, their events, and the steps open right now with their deadlines (so that
//! "what is overdue" is one indexed query, not a replay of every run).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, ToSql, params};

use super::audit::{Event, GENESIS};

/// The schema version this build writes; older databases are migrated forward on open.
pub const SCHEMA_VERSION: i64 = 1;
/// How long a command waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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
        "the run database {path} has schema version {found}, newer than this procdoc understands ({SCHEMA_VERSION}): update procdoc"
    )]
    TooNew { path: String, found: i64 },
    #[error("cannot create the folder of the run database {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("cannot open the run database {0}: {1}")]
    Open(String, rusqlite::Error),
    #[error("run database: {0}")]
    Sql(#[from] rusqlite::Error),
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
    /// Steps open now, one entry per responsible department.
    pub open: Vec<OpenStep>,
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
    fn as_str(self) -> &'static str {
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
    pub snapshot: String,
    pub events: Vec<Event>,
}

/// The summary columns written with each change, derived by the engine.
#[derive(Debug, Clone)]
pub struct Summary {
    pub status: Status,
    pub outcome: Option<String>,
    pub ended_at: Option<String>,
    pub open: Vec<OpenStep>,
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
    pub parent: Option<RunId>,
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
    fn begin(&mut self, write: bool) -> Result<(), StoreError>;
    fn commit(&mut self) -> Result<(), StoreError>;
    fn rollback(&mut self) -> Result<(), StoreError>;
    /// Adds a run without events. Fails with `Duplicate` when the flow already has the ref.
    fn start(&mut self, run: &NewRun) -> Result<RunId, StoreError>;
    fn load(&self, run: RunId) -> Result<Option<StoredRun>, StoreError>;
    /// Appends events after the run's current last one and replaces its summary. Fails
    /// with `Conflict` if the run has gained events since it was loaded.
    fn append(&mut self, run: RunId, events: &[Event], summary: &Summary)
    -> Result<(), StoreError>;
    fn list(&self, filter: &Filter) -> Result<Vec<RunRow>, StoreError>;
    /// Open deadlines before `now` (stored form), earliest first.
    fn overdue(&self, now: &str, filter: &Filter) -> Result<Vec<Overdue>, StoreError>;
}

/// The SQLite store: one file, WAL mode so that readers never wait for a writer.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

/// The database a QMS folder uses unless told otherwise.
pub fn default_path(qms_dir: &Path) -> PathBuf {
    qms_dir.join(".procdoc").join("runs.sqlite")
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|e| StoreError::Folder(folder.display().to_string(), e))?;
        }
        let opened = |e| StoreError::Open(path.display().to_string(), e);
        let conn = Connection::open(path).map_err(opened)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(opened)?;
        // WAL: readers see the last commit while a writer works. FULL: a commit reported
        // to the user survives a power cut, not only a killed process.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(opened)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(opened)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(opened)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Brings the schema to [`SCHEMA_VERSION`], one step per version, in one transaction so
    /// that two processes opening a new database do not both build it.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let found = self.version()?;
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.display().to_string(),
                found,
            });
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = (|| {
            let mut version = self.version()?;
            while version < SCHEMA_VERSION {
                let step = MIGRATIONS
                    .get(usize::try_from(version).unwrap_or(usize::MAX))
                    .copied()
                    .unwrap_or("");
                self.conn.execute_batch(step)?;
                version += 1;
                self.conn.pragma_update(None, "user_version", version)?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn open_steps(&self, run: RunId) -> Result<Vec<OpenStep>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT step, dept, due FROM open_steps WHERE run = ?1 ORDER BY id")?;
        let rows = stmt.query_map([run.0], |r| {
            Ok(OpenStep {
                step: r.get(0)?,
                dept: r.get(1)?,
                due: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// `MIGRATIONS[v]` takes the schema from version `v` to `v + 1`.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE snapshots (
        hash TEXT PRIMARY KEY,
        body TEXT NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        ref TEXT NOT NULL,
        doc TEXT NOT NULL,
        flow TEXT NOT NULL,
        revision TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        snapshot TEXT NOT NULL REFERENCES snapshots(hash),
        parent INTEGER REFERENCES runs(id),
        period TEXT,
        started_at TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        ended_at TEXT,
        events INTEGER NOT NULL,
        head TEXT NOT NULL,
        UNIQUE (doc, flow, ref)
    );
    CREATE INDEX runs_ref ON runs(ref);
    CREATE INDEX runs_parent ON runs(parent);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        run INTEGER NOT NULL REFERENCES runs(id),
        n INTEGER NOT NULL,
        at TEXT NOT NULL,
        by TEXT,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (run, n)
    );
    CREATE TABLE open_steps (
        id INTEGER PRIMARY KEY,
        run INTEGER NOT NULL REFERENCES runs(id),
        step TEXT,
        dept TEXT,
        due TEXT
    );
    CREATE INDEX open_steps_run ON open_steps(run);
    CREATE INDEX open_steps_due ON open_steps(due);
    CREATE INDEX open_steps_dept ON open_steps(dept);
"];

const RUN_COLUMNS: &str = "r.id, r.ref, r.doc, r.flow, r.revision, r.fingerprint, r.snapshot, r.parent, \
     r.period, r.started_at, r.status, r.outcome, r.ended_at, r.events, r.head";

fn run_row(r: &rusqlite::Row) -> rusqlite::Result<RunRow> {
    let status: String = r.get(10)?;
    let events: i64 = r.get(13)?;
    Ok(RunRow {
        id: RunId(r.get(0)?),
        reference: r.get(1)?,
        doc: r.get(2)?,
        flow: r.get(3)?,
        revision: r.get(4)?,
        fingerprint: r.get(5)?,
        snapshot_hash: r.get(6)?,
        parent: r.get::<_, Option<i64>>(7)?.map(RunId),
        period: r.get(8)?,
        started_at: r.get(9)?,
        status: if status == "ended" {
            Status::Ended
        } else {
            Status::Open
        },
        outcome: r.get(11)?,
        ended_at: r.get(12)?,
        events: u64::try_from(events).unwrap_or(0),
        head: r.get(14)?,
        open: Vec::new(),
    })
}

/// The WHERE clause and parameters of a filter over `runs r`.
fn conditions(filter: &Filter) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let mut push = |clause: &str, value: Box<dyn ToSql>, sql: &mut String| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(v) = &filter.reference {
        push(" AND r.ref = ?", Box::new(v.clone()), &mut sql);
    }
    if let Some(v) = &filter.doc {
        push(" AND r.doc = ?", Box::new(v.clone()), &mut sql);
    }
    if let Some(v) = &filter.flow {
        push(" AND r.flow = ?", Box::new(v.clone()), &mut sql);
    }
    if let Some(v) = filter.status {
        push(" AND r.status = ?", Box::new(v.as_str()), &mut sql);
    }
    if let Some(v) = filter.parent {
        push(" AND r.parent = ?", Box::new(v.0), &mut sql);
    }
    if let Some(v) = &filter.dept {
        push(
            " AND r.id IN (SELECT o.run FROM open_steps o WHERE o.dept = ?)",
            Box::new(v.clone()),
            &mut sql,
        );
    }
    if let Some(v) = &filter.overdue_at {
        push(
            " AND r.id IN (SELECT o.run FROM open_steps o WHERE o.due < ?)",
            Box::new(v.clone()),
            &mut sql,
        );
    }
    (sql, args)
}

impl Store for SqliteStore {
    fn begin(&mut self, write: bool) -> Result<(), StoreError> {
        // IMMEDIATE takes the write lock at once: a command that reads a state and then
        // changes it cannot interleave with another doing the same.
        self.conn.execute_batch(if write {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN DEFERRED"
        })?;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    fn start(&mut self, run: &NewRun) -> Result<RunId, StoreError> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO snapshots (hash, body) VALUES (?1, ?2)")?
            .execute(params![run.snapshot_hash, run.snapshot])?;
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO runs (ref, doc, flow, revision, fingerprint, snapshot, parent, period, \
                 started_at, status, events, head) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', 0, ?10)",
            )?
            .execute(params![
                run.reference,
                run.doc,
                run.flow,
                run.revision,
                run.fingerprint,
                run.snapshot_hash,
                run.parent.map(|p| p.0),
                run.period,
                run.started_at,
                GENESIS,
            ]);
        match inserted {
            Ok(_) => Ok(RunId(self.conn.last_insert_rowid())),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::Duplicate {
                    reference: run.reference.clone(),
                    doc: run.doc.clone(),
                    flow: run.flow.clone(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    fn load(&self, run: RunId) -> Result<Option<StoredRun>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS}, s.body FROM runs r JOIN snapshots s ON s.hash = r.snapshot WHERE r.id = ?1"
        );
        let found = self
            .conn
            .prepare_cached(&sql)?
            .query_row([run.0], |r| Ok((run_row(r)?, r.get::<_, String>(15)?)))
            .optional()?;
        let Some((mut row, snapshot)) = found else {
            return Ok(None);
        };
        row.open = self.open_steps(run)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT n, at, by, kind, data, prev, hash FROM events WHERE run = ?1 ORDER BY n, seq",
        )?;
        let events = stmt
            .query_map([run.0], |r| {
                Ok(Event {
                    n: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    at: r.get(1)?,
                    by: r.get(2)?,
                    kind: r.get(3)?,
                    data: r.get(4)?,
                    prev: r.get(5)?,
                    hash: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(StoredRun {
            row,
            snapshot,
            events,
        }))
    }

    fn append(
        &mut self,
        run: RunId,
        events: &[Event],
        summary: &Summary,
    ) -> Result<(), StoreError> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let before = i64::try_from(events[0].n.saturating_sub(1)).unwrap_or(i64::MAX);
        let after = i64::try_from(last.n).unwrap_or(i64::MAX);
        // The header moves only from the count the events were sealed against: a writer
        // that lost a race finds no row to update and adds nothing.
        let updated = self
            .conn
            .prepare_cached(
                "UPDATE runs SET events = ?1, head = ?2, status = ?3, outcome = ?4, ended_at = ?5 \
                 WHERE id = ?6 AND events = ?7",
            )?
            .execute(params![
                after,
                last.hash,
                summary.status.as_str(),
                summary.outcome,
                summary.ended_at,
                run.0,
                before
            ])?;
        if updated != 1 {
            return Err(StoreError::Conflict);
        }
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO events (run, n, at, by, kind, data, prev, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for e in events {
            insert.execute(params![
                run.0,
                i64::try_from(e.n).unwrap_or(i64::MAX),
                e.at,
                e.by,
                e.kind,
                e.data,
                e.prev,
                e.hash
            ])?;
        }
        self.conn
            .prepare_cached("DELETE FROM open_steps WHERE run = ?1")?
            .execute([run.0])?;
        let mut open = self.conn.prepare_cached(
            "INSERT INTO open_steps (run, step, dept, due) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for o in &summary.open {
            open.execute(params![run.0, o.step, o.dept, o.due])?;
        }
        Ok(())
    }

    fn list(&self, filter: &Filter) -> Result<Vec<RunRow>, StoreError> {
        let (clause, args) = conditions(filter);
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs r{clause} ORDER BY r.started_at, r.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let mut rows = stmt
            .query_map(params.as_slice(), run_row)?
            .collect::<Result<Vec<_>, _>>()?;
        for row in &mut rows {
            row.open = self.open_steps(row.id)?;
        }
        Ok(rows)
    }

    fn overdue(&self, now: &str, filter: &Filter) -> Result<Vec<Overdue>, StoreError> {
        let (clause, mut args) = conditions(filter);
        args.push(Box::new(now.to_string()));
        let mut sql = format!(
            "SELECT r.id, r.ref, r.doc, r.flow, o.step, o.dept, o.due \
             FROM open_steps o JOIN runs r ON r.id = o.run{clause} AND o.due < ?{}",
            args.len()
        );
        if let Some(dept) = &filter.dept {
            args.push(Box::new(dept.clone()));
            sql.push_str(&format!(" AND o.dept = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY o.due, r.id, o.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(params.as_slice(), |r| {
            Ok(Overdue {
                run: RunId(r.get(0)?),
                reference: r.get(1)?,
                doc: r.get(2)?,
                flow: r.get(3)?,
                open: OpenStep {
                    step: r.get(4)?,
                    dept: r.get(5)?,
                    due: r.get(6)?,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
