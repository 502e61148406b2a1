//! [`Transfer`] for PostgreSQL: whole tables read in order, and rows written back with the
//! ids and places another store gave them; the identity columns are then moved past them.

use super::PgStore;
use super::accounts::second;
use crate::run::accounts::{User, UserId};
use crate::run::audit::StoreHead;
use crate::run::store::{Provenance, StoreError, StoredRun};
use crate::run::transfer::{ApiToken, SentDigest, Transfer};

/// A count as stored (BIGINT).
fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Transfer for PgStore {
    fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let st =
            self.statement("SELECT digest, user_id, created_at FROM api_tokens ORDER BY digest")?;
        self.client()?
            .query(&st, &[])?
            .iter()
            .map(|r| {
                Ok(ApiToken {
                    digest: r.try_get(0)?,
                    user: UserId(r.try_get(1)?),
                    created_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    fn files(&self) -> Result<Vec<String>, StoreError> {
        let st = self.statement("SELECT sha256 FROM files ORDER BY sha256")?;
        self.client()?
            .query(&st, &[])?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    fn digests(&self) -> Result<Vec<SentDigest>, StoreError> {
        let st = self.statement(
            "SELECT user_id, day, sent_at, steps FROM digests_sent ORDER BY user_id, day",
        )?;
        self.client()?
            .query(&st, &[])?
            .iter()
            .map(|r| {
                Ok(SentDigest {
                    user: UserId(r.try_get(0)?),
                    day: r.try_get(1)?,
                    sent_at: r.try_get(2)?,
                    steps: usize::try_from(r.try_get::<_, i64>(3)?).unwrap_or(0),
                })
            })
            .collect()
    }

    fn restore_run(&mut self, run: &StoredRun) -> Result<(), StoreError> {
        let row = &run.row;
        if let Some(body) = &run.snapshot {
            self.execute(
                "INSERT INTO snapshots (hash, body) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
                &[&row.snapshot_hash, body],
            )?;
        }
        self.execute(
            "INSERT INTO runs (id, ref, doc, flow, revision, fingerprint, snapshot, parent, \
             period, started_at, status, outcome, ended_at, events, head, entry_gap, changes_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            &[
                &row.id.0,
                &row.reference,
                &row.doc,
                &row.flow,
                &row.revision,
                &row.fingerprint,
                &row.snapshot_hash,
                &row.parent.map(|p| p.0),
                &row.period,
                &row.started_at,
                &row.status.as_str(),
                &row.outcome,
                &row.ended_at,
                &big(row.events),
                &row.head,
                &row.entry_gap,
                &row.changes_at,
            ],
        )?;
        self.insert_events(row.id.0, &run.events)?;
        self.write_open_steps(row.id.0, &row.open)?;
        Ok(())
    }

    fn restore_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO users (id, login, name, role, password, disabled, language, created_at, email)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &user.id.0,
                &user.login,
                &user.name,
                &user.role.as_str(),
                &user.password,
                &user.disabled,
                &user.language,
                &second(user.created_at),
                &user.email,
            ],
        )?;
        for (position, dept) in user.departments.iter().enumerate() {
            self.execute(
                "INSERT INTO user_departments (user_id, position, dept) VALUES ($1, $2, $3)",
                &[
                    &user.id.0,
                    &i64::try_from(position).unwrap_or(i64::MAX),
                    dept,
                ],
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
            Some((count, at)) => (big(*count), Some(at.clone())),
            None => (0, None),
        };
        self.execute(
            "UPDATE store_head SET count = $1, link = $2, upgraded = $3, upgraded_at = $4 WHERE id = 1",
            &[&big(head.count), &head.link, &upgraded, &upgraded_at],
        )?;
        // Rows given their ids leave an identity column's sequence where it was: the next
        // run or user started here would collide with a restored one.
        self.batch_execute(
            "SELECT setval(pg_get_serial_sequence('runs', 'id'), coalesce(max(id), 0) + 1, false) FROM runs;
             SELECT setval(pg_get_serial_sequence('users', 'id'), coalesce(max(id), 0) + 1, false) FROM users;
             SELECT setval(pg_get_serial_sequence('open_steps', 'id'), coalesce(max(id), 0) + 1, false) FROM open_steps;",
        )?;
        Ok(())
    }
}
