//! The SQLite implementation of [`Store`]: one file, WAL mode so that readers never wait for
//! a writer; schema versions and their migrations; read-only opening for reading commands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, params};

mod accounts;
mod attachments;
mod batch;
mod leases;
mod notices;
mod transfer;

use super::audit::{self, Event, GENESIS, StoreHead};
use super::store::{
    CHANGES_AT_SCHEMA, CHANGES_UNKNOWN, Entry, Filter, FilterValue, NewRun, OpenStep, Overdue,
    Provenance, QueryPlans, RunId, RunRow, SCHEMA_VERSION, Status, Store, StoreError, StoredRun,
    Summary, filter_conditions,
};

/// How long a command waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite store: one file, WAL mode so that readers never wait for a writer.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// The schema as found: older than [`SCHEMA_VERSION`] only when opened read-only.
    schema: i64,
    writable: bool,
    /// Inside a group commit ([`SqliteStore::begin_batch`]): each transaction a command
    /// begins is a savepoint of the batch's one transaction.
    batch: bool,
    /// The background jobs' leases this store holds: their locked files, by job.
    leases: std::collections::HashMap<String, std::fs::File>,
}

impl SqliteStore {
    /// Opens the database to write, creating it (and its folder) if needed: for `run start`.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|e| StoreError::Folder(folder.display().to_string(), e))?;
        }
        Self::open_writable(path, OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens an existing database: to write (upgraded to this schema first), or read-only
    /// (as it is). A missing file is [`StoreError::Missing`], and nothing is created.
    pub fn open(path: &Path, write: bool) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        if write {
            Self::open_writable(path, OpenFlags::empty())
        } else {
            Self::open_read_only(path)
        }
    }

    fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let opened = |e| StoreError::Open(path.display().to_string(), e);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let schema_of = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        let first = Connection::open_with_flags(path, flags).and_then(|c| Ok((schema_of(&c)?, c)));
        let (schema, conn) = match first {
            Ok(found) => found,
            // On read-only media SQLite cannot make the shared-memory file a WAL database
            // needs; nobody can write there either, so the file is read as immutable.
            // Any other failure (a busy or damaged file) is reported, never read past.
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                let uri = format!("file:{}?immutable=1", uri_path(path));
                let conn = Connection::open_with_flags(uri, flags).map_err(opened)?;
                (schema_of(&conn).map_err(opened)?, conn)
            }
            Err(e) => return Err(opened(e)),
        };
        if schema > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.display().to_string(),
                found: schema,
            });
        }
        if schema < 1 {
            return Err(StoreError::NotRuns(path.display().to_string()));
        }
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            schema,
            writable: false,
            batch: false,
            leases: Default::default(),
        })
    }

    fn open_writable(path: &Path, create: OpenFlags) -> Result<Self, StoreError> {
        let opened = |e| StoreError::Open(path.display().to_string(), e);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | create;
        let conn = Connection::open_with_flags(path, flags).map_err(opened)?;
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
            schema: 0,
            writable: true,
            batch: false,
            leases: Default::default(),
        };
        store.migrate()?;
        store.schema = SCHEMA_VERSION;
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
        // Schema 2 rebuilds the runs table, which other tables refer to; SQLite checks
        // foreign keys of the whole database at commit instead (`foreign_key_check`).
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = (|| {
            let mut version = self.version()?;
            while version < SCHEMA_VERSION {
                match version {
                    0 => self.conn.execute_batch(SCHEMA_1)?,
                    1 => self.upgrade_to_2()?,
                    2 => self.conn.execute_batch(accounts::SCHEMA_3)?,
                    3 => self.conn.execute_batch(attachments::SCHEMA_4)?,
                    4 => self.conn.execute_batch(notices::SCHEMA_MAIL)?,
                    5 => self.conn.execute_batch(SCHEMA_6)?,
                    _ => {}
                }
                version += 1;
                self.conn.pragma_update(None, "user_version", version)?;
            }
            Ok(())
        })();
        let result = match result {
            Ok(()) => self.conn.execute_batch("COMMIT").map_err(StoreError::from),
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        };
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        result
    }

    /// Schema 1 to 2. Events keep their hashes (version 1, without entry time); the store
    /// chain is laid through them in the order they were written, and the head records
    /// how many there were and when, so that reports can say what it covers.
    fn upgrade_to_2(&self) -> Result<(), StoreError> {
        self.conn.execute_batch(SCHEMA_2)?;
        let events: Vec<(i64, String)> = self
            .conn
            .prepare("SELECT seq, hash FROM events ORDER BY seq")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut head = StoreHead::empty();
        {
            let mut update = self
                .conn
                .prepare("UPDATE events SET link = ?1 WHERE seq = ?2")?;
            for (seq, hash) in &events {
                let pos = u64::try_from(*seq).unwrap_or(0);
                head.link = audit::link(&head.link, pos, hash);
                head.count = pos;
                update.execute(params![head.link, seq])?;
            }
        }
        let upgraded_at =
            (!events.is_empty()).then(|| super::clock::stamp(super::clock::system_now()));
        self.conn.execute(
            "INSERT INTO store_head (id, count, link, upgraded, upgraded_at) VALUES (1, ?1, ?2, ?3, ?4)",
            params![
                i64::try_from(head.count).unwrap_or(i64::MAX),
                head.link,
                i64::try_from(events.len()).unwrap_or(i64::MAX),
                upgraded_at
            ],
        )?;
        let broken: Option<String> = self
            .conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = broken {
            return Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                Some(format!(
                    "the database's table `{table}` refers to rows that do not exist; it cannot be upgraded"
                )),
            )));
        }
        Ok(())
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

/// A path as the file name of an SQLite URI.
fn uri_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for b in absolute.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Schema 1, as the first procdoc with runs made it.
const SCHEMA_1: &str = "
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
";

/// Schema 2's tables and columns; [`SqliteStore::upgrade_to_2`] fills them. The runs table
/// is rebuilt without `UNIQUE (doc, flow, ref)`: top-level runs are unique by reference
/// per flow, child runs by reference per parent, so no run started by hand can take the
/// name a child run will need.
const SCHEMA_2: &str = "
    ALTER TABLE events ADD COLUMN entered TEXT;
    ALTER TABLE events ADD COLUMN link TEXT;
    CREATE TABLE store_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        count INTEGER NOT NULL,
        link TEXT NOT NULL,
        upgraded INTEGER NOT NULL,
        upgraded_at TEXT
    );
    CREATE TABLE runs_2 (
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
        entry_gap INTEGER
    );
    INSERT INTO runs_2 (id, ref, doc, flow, revision, fingerprint, snapshot, parent, period,
                        started_at, status, outcome, ended_at, events, head)
        SELECT id, ref, doc, flow, revision, fingerprint, snapshot, parent, period,
               started_at, status, outcome, ended_at, events, head FROM runs;
    DROP TABLE runs;
    ALTER TABLE runs_2 RENAME TO runs;
    CREATE INDEX runs_ref ON runs(ref);
    CREATE INDEX runs_parent ON runs(parent);
    CREATE UNIQUE INDEX runs_top ON runs(doc, flow, ref) WHERE parent IS NULL;
    CREATE UNIQUE INDEX runs_child ON runs(parent, ref) WHERE parent IS NOT NULL;
";

/// Schema 6: when each open run next stands otherwise by time alone. Runs open at the
/// upgrade are not known yet ([`CHANGES_UNKNOWN`]); `run tick` or their next command learns it.
const SCHEMA_6: &str = "
    ALTER TABLE runs ADD COLUMN changes_at TEXT;
    UPDATE runs SET changes_at = '' WHERE status = 'open';
    CREATE INDEX runs_changes_at ON runs(changes_at) WHERE changes_at IS NOT NULL;
";

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
        // Anything but the two words this program writes was put there by hand: reading it
        // as "open" would let a tampered status pass `run verify`.
        status: match status.as_str() {
            "open" => Status::Open,
            "ended" => Status::Ended,
            other => {
                return Err(rusqlite::Error::FromSqlConversionFailure(
                    10,
                    rusqlite::types::Type::Text,
                    format!("run status `{other}` is neither `open` nor `ended`: the database was altered outside procdoc").into(),
                ));
            }
        },
        outcome: r.get(11)?,
        ended_at: r.get(12)?,
        events: u64::try_from(events).unwrap_or(0),
        head: r.get(14)?,
        entry_gap: r.get(15)?,
        changes_at: r.get(16)?,
        open: Vec::new(),
    })
}

impl SqliteStore {
    /// Writes `events` of run `run` at their places in the store chain. A place already
    /// taken is [`StoreError::BeyondHead`]: an event was added without moving the head.
    fn insert_events(&self, run: i64, events: &[Event]) -> Result<(), StoreError> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO events (seq, run, n, at, by, kind, data, prev, hash, entered, link) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for e in events {
            let inserted = insert.execute(params![
                i64::try_from(e.pos).unwrap_or(i64::MAX),
                run,
                i64::try_from(e.n).unwrap_or(i64::MAX),
                e.at,
                e.by,
                e.kind,
                e.data,
                e.prev,
                e.hash,
                e.entered,
                e.link
            ]);
            match inserted {
                Ok(_) => {}
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    return Err(StoreError::BeyondHead);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Replaces the open steps of run `run` (what the inbox and the overdue listing search)
    /// with `open`.
    fn write_open_steps(&self, run: i64, open: &[OpenStep]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM open_steps WHERE run = ?1")?
            .execute([run])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO open_steps (run, step, dept, due) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for o in open {
            insert.execute(params![run, o.step, o.dept, o.due])?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// The run columns of this database's schema, `entry_gap` and `changes_at` last.
    fn run_columns(&self) -> String {
        let gap = if self.schema >= 2 {
            "r.entry_gap"
        } else {
            "NULL"
        };
        // Before schema 6 an open run's moment is not known.
        let changes = if self.schema >= CHANGES_AT_SCHEMA {
            "r.changes_at"
        } else {
            "CASE WHEN r.status = 'open' THEN '' END"
        };
        format!("{RUN_COLUMNS}, {gap}, {changes}")
    }

    /// The event columns of this database's schema: `entered` and `link` last.
    fn event_columns(&self) -> &'static str {
        if self.schema >= 2 {
            "n, at, by, kind, data, prev, hash, seq, entered, link"
        } else {
            "n, at, by, kind, data, prev, hash, seq, NULL, NULL"
        }
    }
}

/// The WHERE clause and parameters of a filter over `runs r` ([`filter_conditions`]) in a
/// database of `schema`.
fn conditions(filter: &Filter, schema: i64) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    for (clause, value) in filter_conditions(filter, schema) {
        args.push(match value {
            FilterValue::Text(v) => Box::new(v),
            FilterValue::Id(v) => Box::new(v),
        });
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    }
    (sql, args)
}

/// The query of [`Store::overdue`] and its parameters.
fn overdue_query(now: &str, filter: &Filter, schema: i64) -> (String, Vec<Box<dyn ToSql>>) {
    let (clause, mut args) = conditions(filter, schema);
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
    (sql, args)
}

impl SqliteStore {
    /// The query of [`Store::list`] and its parameters.
    fn list_query(&self, filter: &Filter) -> (String, Vec<Box<dyn ToSql>>) {
        let (clause, args) = conditions(filter, self.schema);
        let sql = format!(
            "SELECT {} FROM runs r{clause} ORDER BY r.started_at, r.id",
            self.run_columns()
        );
        (sql, args)
    }

    /// SQLite's plans (`EXPLAIN QUERY PLAN`, one line per step) of the queries that
    /// [`Store::list`] and [`Store::overdue`] make for `filter` at `now`: what a DBA reads
    /// to see that the open work is found through indexes, not by scanning every run.
    pub fn query_plans(&self, filter: &Filter, now: &str) -> Result<QueryPlans, StoreError> {
        let plan = |(sql, args): (String, Vec<Box<dyn ToSql>>)| -> Result<String, StoreError> {
            let mut stmt = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let lines = stmt
                .query_map(params.as_slice(), |r| r.get::<_, String>(3))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(lines.join("\n"))
        };
        Ok(QueryPlans {
            list: plan(self.list_query(filter))?,
            overdue: plan(overdue_query(now, filter, self.schema))?,
        })
    }
}

impl Store for SqliteStore {
    fn begin(&mut self, write: bool) -> Result<(), StoreError> {
        if write && !self.writable {
            return Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
                Some("the run database was opened read-only".to_string()),
            )));
        }
        if self.batch {
            self.conn.execute_batch("SAVEPOINT command")?;
            return Ok(());
        }
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
        self.conn.execute_batch(if self.batch {
            "RELEASE command"
        } else {
            "COMMIT"
        })?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch(if self.batch {
                "ROLLBACK TO command; RELEASE command"
            } else {
                "ROLLBACK"
            })?;
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
        // A LEFT JOIN: a run whose snapshot is gone is still loaded, to be reported.
        let sql = format!(
            "SELECT {}, s.body FROM runs r LEFT JOIN snapshots s ON s.hash = r.snapshot WHERE r.id = ?1",
            self.run_columns()
        );
        let found = self
            .conn
            .prepare_cached(&sql)?
            .query_row([run.0], |r| {
                Ok((run_row(r)?, r.get::<_, Option<String>>(17)?))
            })
            .optional()?;
        let Some((mut row, snapshot)) = found else {
            return Ok(None);
        };
        row.open = self.open_steps(run)?;
        let sql = format!(
            "SELECT {} FROM events WHERE run = ?1 ORDER BY n, seq",
            self.event_columns()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
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
                    pos: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
                    entered: r.get(8)?,
                    link: r.get(9)?,
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
                "UPDATE runs SET events = ?1, head = ?2, status = ?3, outcome = ?4, ended_at = ?5, \
                 entry_gap = ?6, changes_at = ?9 WHERE id = ?7 AND events = ?8",
            )?
            .execute(params![
                after,
                last.hash,
                summary.status.as_str(),
                summary.outcome,
                summary.ended_at,
                summary.entry_gap,
                run.0,
                before,
                summary.changes_at
            ])?;
        if updated != 1 {
            return Err(StoreError::Conflict);
        }
        // Likewise the store head moves only from the place the events were chained after.
        let store_before = i64::try_from(events[0].pos.saturating_sub(1)).unwrap_or(i64::MAX);
        let moved = self
            .conn
            .prepare_cached(
                "UPDATE store_head SET count = ?1, link = ?2 WHERE id = 1 AND count = ?3",
            )?
            .execute(params![
                i64::try_from(last.pos).unwrap_or(i64::MAX),
                last.link,
                store_before
            ])?;
        if moved != 1 {
            return Err(StoreError::Conflict);
        }
        self.insert_events(run.0, events)?;
        self.write_open_steps(run.0, &summary.open)?;
        Ok(())
    }

    fn head(&self) -> Result<Option<StoreHead>, StoreError> {
        if self.schema < 2 {
            return Ok(None);
        }
        let head = self
            .conn
            .prepare_cached("SELECT count, link FROM store_head WHERE id = 1")?
            .query_row([], |r| {
                Ok(StoreHead {
                    count: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    link: r.get(1)?,
                })
            })
            .optional()?;
        // A missing head row is itself a finding: it reads as an empty store's head, which
        // no store with events matches.
        Ok(Some(head.unwrap_or_else(StoreHead::empty)))
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let extra = if self.schema >= 2 {
            "link, entered IS NOT NULL"
        } else {
            "NULL, 0"
        };
        let sql = format!("SELECT seq, run, n, hash, {extra} FROM events ORDER BY seq");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Entry {
                pos: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                run: RunId(r.get(1)?),
                n: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                hash: r.get(3)?,
                link: r.get(4)?,
                entered: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn provenance(&self) -> Result<Provenance, StoreError> {
        if self.schema < 2 {
            return Ok(Provenance {
                schema: self.schema,
                upgraded: None,
            });
        }
        let upgraded = self
            .conn
            .prepare_cached("SELECT upgraded, upgraded_at FROM store_head WHERE id = 1")?
            .query_row([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .optional()?
            .and_then(|(count, at)| {
                let count = u64::try_from(count).unwrap_or(0);
                (count > 0).then(|| (count, at.unwrap_or_default()))
            });
        Ok(Provenance {
            schema: self.schema,
            upgraded,
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<RunRow>, StoreError> {
        let (sql, args) = self.list_query(filter);
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

    fn learn_changes_at(
        &mut self,
        run: RunId,
        changes_at: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = self
            .conn
            .prepare_cached("UPDATE runs SET changes_at = ?1 WHERE id = ?2 AND changes_at = ?3")?
            .execute(params![changes_at, run.0, CHANGES_UNKNOWN])?;
        Ok(updated == 1)
    }

    fn overdue(&self, now: &str, filter: &Filter) -> Result<Vec<Overdue>, StoreError> {
        let (sql, args) = overdue_query(now, filter, self.schema);
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
