//! [`Transfer`] for the SQLite store: whole tables read in order, and rows written back
//! with the ids and places another store gave them.

use rusqlite::params;

use super::SqliteStore;
use super::accounts::{PEOPLE, time};
use super::attachments::FILES;
use super::notices::MAIL;
use crate::run::accounts::{User, UserId};
use crate::run::audit::StoreHead;
use crate::run::clock::stamp;
use crate::run::store::{Provenance, StoreError, StoredRun};
use crate::run::transfer::{ApiToken, SentDigest, Transfer};

/// A count as stored.
fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Transfer for SqliteStore {
    fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        if self.schema < PEOPLE {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT digest, user, created_at FROM api_tokens ORDER BY digest")?;
        let rows = stmt.query_map([], |r| {
            Ok(ApiToken {
                digest: r.get(0)?,
                user: UserId(r.get(1)?),
                created_at: time(&r.get::<_, String>(2)?, 2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn files(&self) -> Result<Vec<String>, StoreError> {
        if self.schema < FILES {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT sha256 FROM files ORDER BY sha256")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn digests(&self) -> Result<Vec<SentDigest>, StoreError> {
        if self.schema < MAIL {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT user, day, sent_at, steps FROM digests_sent ORDER BY user, day")?;
        let rows = stmt.query_map([], |r| {
            Ok(SentDigest {
                user: UserId(r.get(0)?),
                day: r.get(1)?,
                sent_at: time(&r.get::<_, String>(2)?, 2)?,
                steps: usize::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn restore_run(&mut self, run: &StoredRun) -> Result<(), StoreError> {
        let row = &run.row;
        if let Some(body) = &run.snapshot {
            self.conn
                .prepare_cached("INSERT OR IGNORE INTO snapshots (hash, body) VALUES (?1, ?2)")?
                .execute(params![row.snapshot_hash, body])?;
        }
        self.conn
            .prepare_cached(
                "INSERT INTO runs (id, ref, doc, flow, revision, fingerprint, snapshot, parent, \
                 period, started_at, status, outcome, ended_at, events, head, entry_gap, changes_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                row.id.0,
                row.reference,
                row.doc,
                row.flow,
                row.revision,
                row.fingerprint,
                row.snapshot_hash,
                row.parent.map(|p| p.0),
                row.period,
                row.started_at,
                row.status.as_str(),
                row.outcome,
                row.ended_at,
                big(row.events),
                row.head,
                row.entry_gap,
                row.changes_at,
            ])?;
        self.insert_events(row.id.0, &run.events)?;
        self.write_open_steps(row.id.0, &row.open)?;
        Ok(())
    }

    fn restore_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO users (id, login, name, role, password, disabled, language, created_at, email)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                user.id.0,
                user.login,
                user.name,
                user.role.as_str(),
                user.password,
                i64::from(user.disabled),
                user.language,
                stamp(user.created_at),
                user.email
            ],
        )?;
        for (position, dept) in user.departments.iter().enumerate() {
            self.conn.execute(
                "INSERT INTO user_departments (user, position, dept) VALUES (?1, ?2, ?3)",
                params![user.id.0, i64::try_from(position).unwrap_or(i64::MAX), dept],
            )?;
        }
        Ok(())
    }

    fn restore_head(
        &mut self,
        head: &StoreHead,
        provenance: &Provenance,
    ) -> Result<(), StoreError> {
        let (upgraded, upgraded_at) = match &provenance.upgraded {
            Some((count, at)) => (big(*count), Some(at.as_str())),
            None => (0, None),
        };
        // An INTEGER PRIMARY KEY continues after the largest id by itself.
        self.conn.execute(
            "UPDATE store_head SET count = ?1, link = ?2, upgraded = ?3, upgraded_at = ?4 WHERE id = 1",
            params![big(head.count), head.link, upgraded, upgraded_at],
        )?;
        Ok(())
    }
}
