//! [`Accounts`] for PostgreSQL: users, departments, sessions, API tokens, failed sign-ins and
//! training records. Moments are `timestamptz` cut to whole seconds, as the SQLite store
//! keeps them (`2026-03-04T09:30:00Z`), so that both backends answer the same times.

use chrono::{DateTime, SubsecRound, Utc};
use postgres::Row;

use super::PgStore;
use crate::run::accounts::{
    Accounts, Failures, NewUser, Role, Session, TrainingRecord, User, UserId,
};
use crate::run::store::StoreError;

/// A moment as both stores keep it: to the second.
pub(super) fn second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// The query of users' rows, followed by its condition or order.
macro_rules! users_where {
    ($tail:literal) => {
        concat!(
            "SELECT id, login, name, role, password, disabled, language, created_at, email FROM users",
            $tail
        )
    };
}

fn user_row(r: &Row) -> Result<User, StoreError> {
    let role: String = r.try_get(3)?;
    Ok(User {
        id: UserId(r.try_get(0)?),
        login: r.try_get(1)?,
        name: r.try_get(2)?,
        role: Role::parse(&role).ok_or_else(|| {
            StoreError::Database(format!(
                "role `{role}` is neither `staff` nor `quality`: the database was altered outside procdoc"
            ))
        })?,
        password: r.try_get(4)?,
        disabled: r.try_get(5)?,
        language: r.try_get(6)?,
        created_at: r.try_get(7)?,
        email: r.try_get(8)?,
        departments: Vec::new(),
    })
}

impl PgStore {
    /// The users of rows selected by `users_where!`, with their departments.
    fn users_from(&self, rows: Vec<Row>) -> Result<Vec<User>, StoreError> {
        let mut users = rows.iter().map(user_row).collect::<Result<Vec<_>, _>>()?;
        let st = self
            .statement("SELECT dept FROM user_departments WHERE user_id = $1 ORDER BY position")?;
        for user in &mut users {
            user.departments = self
                .client()?
                .query(&st, &[&user.id.0])?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
        }
        Ok(users)
    }
}

impl Accounts for PgStore {
    fn add_user(&mut self, user: &NewUser) -> Result<UserId, StoreError> {
        self.atomic(|store| {
            let st = store.statement(
                "INSERT INTO users (login, name, role, password, disabled, created_at)
                 VALUES ($1, $2, $3, $4, false, $5) ON CONFLICT (login) DO NOTHING RETURNING id",
            )?;
            let row = store.client()?.query_opt(
                &st,
                &[
                    &user.login,
                    &user.name,
                    &user.role.as_str(),
                    &user.password,
                    &second(user.created_at),
                ],
            )?;
            let Some(row) = row else {
                return Err(StoreError::DuplicateLogin(user.login.clone()));
            };
            let id: i64 = row.try_get(0)?;
            for (position, dept) in user.departments.iter().enumerate() {
                store.execute(
                    "INSERT INTO user_departments (user_id, position, dept) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[&id, &i64::try_from(position).unwrap_or(i64::MAX), dept],
                )?;
            }
            Ok(UserId(id))
        })
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let st = self.statement(users_where!(" WHERE id = $1"))?;
        let rows = self.client()?.query(&st, &[&id.0])?;
        Ok(self.users_from(rows)?.pop())
    }

    fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let st = self.statement(users_where!(" WHERE login = $1"))?;
        let rows = self.client()?.query(&st, &[&login])?;
        Ok(self.users_from(rows)?.pop())
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        let st = self.statement(users_where!(" ORDER BY login"))?;
        let rows = self.client()?.query(&st, &[])?;
        self.users_from(rows)
    }

    fn set_disabled(&mut self, id: UserId, disabled: bool) -> Result<(), StoreError> {
        self.execute(
            "UPDATE users SET disabled = $1 WHERE id = $2",
            &[&disabled, &id.0],
        )?;
        Ok(())
    }

    fn set_password(&mut self, id: UserId, hash: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE users SET password = $1 WHERE id = $2",
            &[&hash, &id.0],
        )?;
        Ok(())
    }

    fn set_language(&mut self, id: UserId, language: Option<&str>) -> Result<(), StoreError> {
        self.execute(
            "UPDATE users SET language = $1 WHERE id = $2",
            &[&language, &id.0],
        )?;
        Ok(())
    }

    fn add_session(&mut self, digest: &str, session: &Session) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sessions (digest, user_id, created_at, last_seen) VALUES ($1, $2, $3, $4)",
            &[
                &digest,
                &session.user.0,
                &second(session.created_at),
                &second(session.last_seen),
            ],
        )?;
        Ok(())
    }

    fn session(&self, digest: &str) -> Result<Option<Session>, StoreError> {
        let st = self
            .statement("SELECT user_id, created_at, last_seen FROM sessions WHERE digest = $1")?;
        self.client()?
            .query_opt(&st, &[&digest])?
            .map(|r| {
                Ok(Session {
                    user: UserId(r.try_get(0)?),
                    created_at: r.try_get(1)?,
                    last_seen: r.try_get(2)?,
                })
            })
            .transpose()
    }

    fn touch_session(&mut self, digest: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sessions SET last_seen = $1 WHERE digest = $2",
            &[&second(at), &digest],
        )?;
        Ok(())
    }

    fn remove_session(&mut self, digest: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM sessions WHERE digest = $1", &[&digest])?;
        Ok(())
    }

    fn remove_sessions_of(&mut self, user: UserId) -> Result<(), StoreError> {
        self.execute("DELETE FROM sessions WHERE user_id = $1", &[&user.0])?;
        Ok(())
    }

    fn remove_idle_sessions(&mut self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM sessions WHERE last_seen < $1",
            &[&second(before)],
        )
    }

    fn add_token(
        &mut self,
        digest: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO api_tokens (digest, user_id, created_at) VALUES ($1, $2, $3)",
            &[&digest, &user.0, &second(at)],
        )?;
        Ok(())
    }

    fn token_user(&self, digest: &str) -> Result<Option<UserId>, StoreError> {
        let st = self.statement("SELECT user_id FROM api_tokens WHERE digest = $1")?;
        self.client()?
            .query_opt(&st, &[&digest])?
            .map(|r| Ok(UserId(r.try_get(0)?)))
            .transpose()
    }

    fn failures(&self, login: &str) -> Result<Option<Failures>, StoreError> {
        let st = self.statement("SELECT count, last_at FROM sign_in_failures WHERE login = $1")?;
        self.client()?
            .query_opt(&st, &[&login])?
            .map(|r| {
                Ok(Failures {
                    count: u32::try_from(r.try_get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    last: r.try_get(1)?,
                })
            })
            .transpose()
    }

    fn add_failure(&mut self, login: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sign_in_failures (login, count, last_at) VALUES ($1, 1, $2)
             ON CONFLICT (login) DO UPDATE
             SET count = sign_in_failures.count + 1, last_at = excluded.last_at",
            &[&login, &second(at)],
        )?;
        Ok(())
    }

    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM sign_in_failures WHERE login = $1", &[&login])?;
        Ok(())
    }

    fn add_training(&mut self, record: &TrainingRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO training (user_id, doc, revision, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[
                &record.user.0,
                &record.doc,
                &record.revision,
                &second(record.at),
            ],
        )?;
        Ok(())
    }

    fn training(&self, user: Option<UserId>) -> Result<Vec<TrainingRecord>, StoreError> {
        let st = self.statement(
            "SELECT user_id, doc, revision, at FROM training
             WHERE $1::BIGINT IS NULL OR user_id = $1 ORDER BY doc, revision, user_id",
        )?;
        self.client()?
            .query(&st, &[&user.map(|u| u.0)])?
            .iter()
            .map(|r| {
                Ok(TrainingRecord {
                    user: UserId(r.try_get(0)?),
                    doc: r.try_get(1)?,
                    revision: r.try_get(2)?,
                    at: r.try_get(3)?,
                })
            })
            .collect()
    }
}
