//! [`Store`] for PostgreSQL: transactions, runs, events and the store chain, with the same
//! statements and checks as the SQLite store (`sqlite.rs`), in PostgreSQL's dialect.

use postgres::Row;
use postgres::types::ToSql;

use super::PgStore;
use crate::run::audit::{Event, GENESIS, StoreHead};
use crate::run::store::{
    CHANGES_AT_SCHEMA, CHANGES_UNKNOWN, Entry, Filter, FilterValue, NewRun, OpenStep, Overdue,
    Provenance, QueryPlans, RunId, RunRow, SCHEMA_VERSION, Status, Store, StoreError, StoredRun,
    Summary, filter_conditions,
};

const RUN_COLUMNS: &str = "r.id, r.ref, r.doc, r.flow, r.revision, r.fingerprint, r.snapshot, r.parent, \
     r.period, r.started_at, r.status, r.outcome, r.ended_at, r.events, r.head, r.entry_gap";

/// The run columns of a database of `schema`, `changes_at` last (older ones lack it).
fn run_columns(schema: i64) -> String {
    if schema >= CHANGES_AT_SCHEMA {
        format!("{RUN_COLUMNS}, r.changes_at")
    } else {
        // Before schema 6 an open run's moment is not known.
        format!("{RUN_COLUMNS}, CASE WHEN r.status = 'open' THEN ''::text END")
    }
}

/// A count or number as stored (BIGINT), from the engine's unsigned one.
fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn run_row(r: &Row) -> Result<RunRow, StoreError> {
    let status: String = r.try_get(10)?;
    Ok(RunRow {
        id: RunId(r.try_get(0)?),
        reference: r.try_get(1)?,
        doc: r.try_get(2)?,
        flow: r.try_get(3)?,
        revision: r.try_get(4)?,
        fingerprint: r.try_get(5)?,
        snapshot_hash: r.try_get(6)?,
        parent: r.try_get::<_, Option<i64>>(7)?.map(RunId),
        period: r.try_get(8)?,
        started_at: r.try_get(9)?,
        // As in the SQLite store: a word procdoc never writes was put there by hand.
        status: match status.as_str() {
            "open" => Status::Open,
            "ended" => Status::Ended,
            other => {
                return Err(StoreError::Database(format!(
                    "run status `{other}` is neither `open` nor `ended`: the database was altered outside procdoc"
                )));
            }
        },
        outcome: r.try_get(11)?,
        ended_at: r.try_get(12)?,
        events: unsigned(r.try_get(13)?),
        head: r.try_get(14)?,
        entry_gap: r.try_get(15)?,
        changes_at: r.try_get(16)?,
        open: Vec::new(),
    })
}

/// The WHERE clause over `runs r` and its parameters ($1, $2, ...) of a filter
/// ([`filter_conditions`]).
fn conditions(filter: &Filter, schema: i64) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let mut sql = String::from(" WHERE true");
    let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    for (clause, value) in filter_conditions(filter, schema) {
        args.push(match value {
            FilterValue::Text(v) => Box::new(v),
            FilterValue::Id(v) => Box::new(v),
        });
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    }
    (sql, args)
}

/// A query and its parameters.
type Query = (String, Vec<Box<dyn ToSql + Sync>>);

/// The query of [`Store::list`].
fn list_query(filter: &Filter, schema: i64) -> Query {
    let (clause, args) = conditions(filter, schema);
    let sql = format!(
        "SELECT {} FROM runs r{clause} ORDER BY r.started_at, r.id",
        run_columns(schema)
    );
    (sql, args)
}

/// The query of [`Store::overdue`].
fn overdue_query(now: &str, filter: &Filter, schema: i64) -> Query {
    let (clause, mut args) = conditions(filter, schema);
    args.push(Box::new(now.to_string()));
    let mut sql = format!(
        "SELECT r.id, r.ref, r.doc, r.flow, o.step, o.dept, o.due \
         FROM open_steps o JOIN runs r ON r.id = o.run{clause} AND o.due < ${}",
        args.len()
    );
    if let Some(dept) = &filter.dept {
        args.push(Box::new(dept.clone()));
        sql.push_str(&format!(" AND o.dept = ${}", args.len()));
    }
    sql.push_str(" ORDER BY o.due, r.id, o.id");
    (sql, args)
}

impl PgStore {
    /// PostgreSQL's plans (`EXPLAIN`, one line per node) of the queries that
    /// [`Store::list`] and [`Store::overdue`] make for `filter` at `now`: what a DBA reads
    /// to see that the open work is found through indexes, not by scanning every run.
    pub fn query_plans(&self, filter: &Filter, now: &str) -> Result<QueryPlans, StoreError> {
        let plan = |(sql, args): Query| -> Result<String, StoreError> {
            let rows = self
                .client()?
                .query(&format!("EXPLAIN {sql}"), &refs(&args))?;
            let lines = rows
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(lines.join("\n"))
        };
        Ok(QueryPlans {
            list: plan(list_query(filter, self.schema))?,
            overdue: plan(overdue_query(now, filter, self.schema))?,
        })
    }
}

fn refs(args: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a.as_ref()).collect()
}

impl PgStore {
    /// The open steps of `runs`, each run's in the order they were written.
    fn open_steps_of(&self, runs: &mut [RunRow]) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = runs.iter().map(|r| r.id.0).collect();
        let st = self.statement(
            "SELECT run, step, dept, due FROM open_steps WHERE run = ANY($1) ORDER BY run, id",
        )?;
        let rows = self.client()?.query(&st, &[&ids])?;
        let mut by_run: std::collections::HashMap<i64, Vec<OpenStep>> = Default::default();
        for r in rows {
            by_run.entry(r.try_get(0)?).or_default().push(OpenStep {
                step: r.try_get(1)?,
                dept: r.try_get(2)?,
                due: r.try_get(3)?,
            });
        }
        for run in runs {
            run.open = by_run.remove(&run.id.0).unwrap_or_default();
        }
        Ok(())
    }

    /// Writes `events` of run `run` at their places in the store chain. A place already
    /// taken is [`StoreError::BeyondHead`]: an event was added without moving the head.
    pub(super) fn insert_events(&self, run: i64, events: &[Event]) -> Result<(), StoreError> {
        let st = self.statement(
            "INSERT INTO events (seq, run, n, at, by, kind, data, prev, hash, entered, link) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        )?;
        for e in events {
            let inserted = self.client()?.execute(
                &st,
                &[
                    &big(e.pos),
                    &run,
                    &big(e.n),
                    &e.at,
                    &e.by,
                    &e.kind,
                    &e.data,
                    &e.prev,
                    &e.hash,
                    &e.entered,
                    &e.link,
                ],
            )?;
            if inserted != 1 {
                return Err(StoreError::BeyondHead);
            }
        }
        Ok(())
    }

    /// Replaces the open steps of run `run` (what the inbox and the overdue listing search)
    /// with `open`.
    pub(super) fn write_open_steps(&self, run: i64, open: &[OpenStep]) -> Result<(), StoreError> {
        self.execute("DELETE FROM open_steps WHERE run = $1", &[&run])?;
        let st = self
            .statement("INSERT INTO open_steps (run, step, dept, due) VALUES ($1, $2, $3, $4)")?;
        for o in open {
            self.client()?
                .execute(&st, &[&run, &o.step, &o.dept, &o.due])?;
        }
        Ok(())
    }
}

impl Store for PgStore {
    fn begin(&mut self, write: bool) -> Result<(), StoreError> {
        if write && !self.writable {
            return Err(StoreError::Database(
                "the run database was opened read-only".to_string(),
            ));
        }
        if self.batch {
            self.batch_execute("SAVEPOINT command")?;
            return Ok(());
        }
        if self.tx {
            // A transaction that a command never ended (it panicked) is undone here, never
            // carried into the next command's commit.
            self.rollback()?;
        }
        if write {
            // READ COMMITTED: every statement after the lock sees what the writer before
            // committed, so a command reads the state it changes, as under SQLite's
            // BEGIN IMMEDIATE. The lock is released by COMMIT or ROLLBACK.
            let (class, key) = self.lock;
            self.begin_transaction("BEGIN ISOLATION LEVEL READ COMMITTED")?;
            let st = self.statement("SELECT pg_advisory_xact_lock($1, $2)")?;
            let locked = self.client()?.execute(&st, &[&class, &key]);
            if let Err(e) = locked {
                let _ = self.rollback();
                return Err(e.into());
            }
        } else {
            self.begin_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if self.batch {
            return self.batch_execute("RELEASE SAVEPOINT command");
        }
        let done = self.commit_transaction();
        self.tx = false;
        done
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        if self.batch {
            let undone =
                self.batch_execute("ROLLBACK TO SAVEPOINT command; RELEASE SAVEPOINT command");
            if undone.is_err() {
                self.batch_lost = true;
            }
            return undone;
        }
        if !self.tx {
            return Ok(());
        }
        self.tx = false;
        // A connection lost meanwhile took the transaction with it: nothing to undo.
        if self.connection_lost() {
            return Ok(());
        }
        self.batch_execute("ROLLBACK")
    }

    fn start(&mut self, run: &NewRun) -> Result<RunId, StoreError> {
        let st = self.statement(
            "INSERT INTO snapshots (hash, body) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
        )?;
        self.client()?
            .execute(&st, &[&run.snapshot_hash, &run.snapshot])?;
        // DO NOTHING instead of an error: an error would abort the caller's whole
        // transaction here, where SQLite fails only the statement.
        let st = self.statement(
            "INSERT INTO runs (ref, doc, flow, revision, fingerprint, snapshot, parent, period, \
             started_at, status, events, head) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', 0, $10) \
             ON CONFLICT DO NOTHING RETURNING id",
        )?;
        let inserted = self.client()?.query_opt(
            &st,
            &[
                &run.reference,
                &run.doc,
                &run.flow,
                &run.revision,
                &run.fingerprint,
                &run.snapshot_hash,
                &run.parent.map(|p| p.0),
                &run.period,
                &run.started_at,
                &GENESIS,
            ],
        )?;
        match inserted {
            Some(row) => Ok(RunId(row.try_get(0)?)),
            None => Err(StoreError::Duplicate {
                reference: run.reference.clone(),
                doc: run.doc.clone(),
                flow: run.flow.clone(),
            }),
        }
    }

    fn load(&self, run: RunId) -> Result<Option<StoredRun>, StoreError> {
        // A LEFT JOIN: a run whose snapshot is gone is still loaded, to be reported.
        let st = self.statement(if self.schema >= CHANGES_AT_SCHEMA {
            "SELECT r.id, r.ref, r.doc, r.flow, r.revision, r.fingerprint, r.snapshot, r.parent, \
             r.period, r.started_at, r.status, r.outcome, r.ended_at, r.events, r.head, r.entry_gap, \
             r.changes_at, s.body FROM runs r LEFT JOIN snapshots s ON s.hash = r.snapshot WHERE r.id = $1"
        } else {
            "SELECT r.id, r.ref, r.doc, r.flow, r.revision, r.fingerprint, r.snapshot, r.parent, \
             r.period, r.started_at, r.status, r.outcome, r.ended_at, r.events, r.head, r.entry_gap, \
             CASE WHEN r.status = 'open' THEN ''::text END, s.body FROM runs r LEFT JOIN snapshots s ON s.hash = r.snapshot WHERE r.id = $1"
        })?;
        let Some(found) = self.client()?.query_opt(&st, &[&run.0])? else {
            return Ok(None);
        };
        let mut rows = [run_row(&found)?];
        let snapshot: Option<String> = found.try_get(17)?;
        self.open_steps_of(&mut rows)?;
        let [row] = rows;
        let st = self.statement(
            "SELECT n, at, by, kind, data, prev, hash, seq, entered, link \
             FROM events WHERE run = $1 ORDER BY n, seq",
        )?;
        let events = self
            .client()?
            .query(&st, &[&run.0])?
            .iter()
            .map(|r| {
                Ok(Event {
                    n: unsigned(r.try_get(0)?),
                    at: r.try_get(1)?,
                    by: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    data: r.try_get(4)?,
                    prev: r.try_get(5)?,
                    hash: r.try_get(6)?,
                    pos: unsigned(r.try_get(7)?),
                    entered: r.try_get(8)?,
                    link: r.try_get(9)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
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
        let before = big(events[0].n.saturating_sub(1));
        let after = big(last.n);
        // The header moves only from the count the events were sealed against: a writer
        // that lost a race finds no row to update and adds nothing.
        let st = self.statement(
            "UPDATE runs SET events = $1, head = $2, status = $3, outcome = $4, ended_at = $5, \
             entry_gap = $6, changes_at = $9 WHERE id = $7 AND events = $8",
        )?;
        let updated = self.client()?.execute(
            &st,
            &[
                &after,
                &last.hash,
                &summary.status.as_str(),
                &summary.outcome,
                &summary.ended_at,
                &summary.entry_gap,
                &run.0,
                &before,
                &summary.changes_at,
            ],
        )?;
        if updated != 1 {
            return Err(StoreError::Conflict);
        }
        // Likewise the store head moves only from the place the events were chained after.
        let store_before = big(events[0].pos.saturating_sub(1));
        let st = self
            .statement("UPDATE store_head SET count = $1, link = $2 WHERE id = 1 AND count = $3")?;
        let moved = self
            .client()?
            .execute(&st, &[&big(last.pos), &last.link, &store_before])?;
        if moved != 1 {
            return Err(StoreError::Conflict);
        }
        self.insert_events(run.0, events)?;
        self.write_open_steps(run.0, &summary.open)?;
        Ok(())
    }

    fn head(&self) -> Result<Option<StoreHead>, StoreError> {
        let st = self.statement("SELECT count, link FROM store_head WHERE id = 1")?;
        let head = self
            .client()?
            .query_opt(&st, &[])?
            .map(|r| -> Result<StoreHead, StoreError> {
                Ok(StoreHead {
                    count: unsigned(r.try_get(0)?),
                    link: r.try_get(1)?,
                })
            })
            .transpose()?;
        // A missing head row is itself a finding: it reads as an empty store's head, which
        // no store with events matches.
        Ok(Some(head.unwrap_or_else(StoreHead::empty)))
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let st = self.statement(
            "SELECT seq, run, n, hash, link, entered IS NOT NULL FROM events ORDER BY seq",
        )?;
        self.client()?
            .query(&st, &[])?
            .iter()
            .map(|r| {
                Ok(Entry {
                    pos: unsigned(r.try_get(0)?),
                    run: RunId(r.try_get(1)?),
                    n: unsigned(r.try_get(2)?),
                    hash: r.try_get(3)?,
                    link: r.try_get(4)?,
                    entered: r.try_get(5)?,
                })
            })
            .collect()
    }

    fn provenance(&self) -> Result<Provenance, StoreError> {
        let st = self.statement("SELECT upgraded, upgraded_at FROM store_head WHERE id = 1")?;
        let upgraded = match self.client()?.query_opt(&st, &[])? {
            Some(r) => {
                let count = unsigned(r.try_get(0)?);
                let at: Option<String> = r.try_get(1)?;
                (count > 0).then(|| (count, at.unwrap_or_default()))
            }
            None => None,
        };
        Ok(Provenance {
            schema: self.version()?.unwrap_or(SCHEMA_VERSION),
            upgraded,
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<RunRow>, StoreError> {
        let (sql, args) = list_query(filter, self.schema);
        let mut rows = self
            .client()?
            .query(&sql, &refs(&args))?
            .iter()
            .map(run_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.open_steps_of(&mut rows)?;
        Ok(rows)
    }

    fn learn_changes_at(
        &mut self,
        run: RunId,
        changes_at: Option<&str>,
    ) -> Result<bool, StoreError> {
        let st =
            self.statement("UPDATE runs SET changes_at = $1 WHERE id = $2 AND changes_at = $3")?;
        let updated = self
            .client()?
            .execute(&st, &[&changes_at, &run.0, &CHANGES_UNKNOWN])?;
        Ok(updated == 1)
    }

    fn overdue(&self, now: &str, filter: &Filter) -> Result<Vec<Overdue>, StoreError> {
        let (sql, args) = overdue_query(now, filter, self.schema);
        self.client()?
            .query(&sql, &refs(&args))?
            .iter()
            .map(|r| {
                Ok(Overdue {
                    run: RunId(r.try_get(0)?),
                    reference: r.try_get(1)?,
                    doc: r.try_get(2)?,
                    flow: r.try_get(3)?,
                    open: OpenStep {
                        step: r.try_get(4)?,
                        dept: r.try_get(5)?,
                        due: r.try_get(6)?,
                    },
                })
            })
            .collect()
    }
}
