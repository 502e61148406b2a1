//! [`Accounts`] for the SQLite store: schema 3's tables and their queries. Times are stored
//! as UTC stamps (`2026-03-04T09:30:00Z`), which sort as text.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::run::accounts::{
    Accounts, Failures, NewUser, Role, Session, TrainingRecord, User, UserId,
};
use crate::run::clock::{read_stamp, stamp};
use crate::run::store::StoreError;

/// Schema 3: the people who use procdoc. Departments are their own rows so that "who is in
/// QA" is one indexed query; sessions and tokens are kept by the digest of their secret.
pub(super) const SCHEMA_3: &str = "
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        password TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        language TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE user_departments (
        user INTEGER NOT NULL REFERENCES users(id),
        position INTEGER NOT NULL,
        dept TEXT NOT NULL,
        PRIMARY KEY (user, dept)
    );
    CREATE INDEX user_departments_dept ON user_departments(dept);
    CREATE TABLE sessions (
        digest TEXT PRIMARY KEY,
        user INTEGER NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions(user);
    CREATE TABLE api_tokens (
        digest TEXT PRIMARY KEY,
        user INTEGER NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL
    );
    CREATE TABLE sign_in_failures (
        login TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        last_at TEXT NOT NULL
    );
    CREATE TABLE training (
        user INTEGER NOT NULL REFERENCES users(id),
        doc TEXT NOT NULL,
        revision TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (user, doc, revision)
    );
";

/// The first schema with people in it.
pub(super) const PEOPLE: i64 = 3;

const USER_COLUMNS: &str = "id, login, name, role, password, disabled, language, created_at";

/// The e-mail address column, or nothing for a database from before it was read as it is.
fn email_column(schema: i64) -> &'static str {
    if schema >= super::notices::MAIL {
        "email"
    } else {
        "NULL"
    }
}

/// A stored time, or a located error for one procdoc never wrote.
pub(super) fn time(text: &str, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    read_stamp(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("`{text}` is not a time procdoc writes").into(),
        )
    })
}

fn user_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    let created: String = r.get(7)?;
    Ok(User {
        id: UserId(r.get(0)?),
        login: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("role `{role}` is neither `staff` nor `quality`: the database was altered outside procdoc").into(),
            )
        })?,
        password: r.get(4)?,
        disabled: r.get::<_, i64>(5)? != 0,
        language: r.get(6)?,
        created_at: time(&created, 7)?,
        email: r.get(8)?,
        departments: Vec::new(),
    })
}

impl SqliteStore {
    fn has_people(&self) -> bool {
        self.schema >= PEOPLE
    }

    fn with_departments(&self, mut users: Vec<User>) -> Result<Vec<User>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT dept FROM user_departments WHERE user = ?1 ORDER BY position",
        )?;
        for user in &mut users {
            user.departments = stmt
                .query_map([user.id.0], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
        Ok(users)
    }

    fn users_where(
        &self,
        clause: &str,
        arg: &dyn rusqlite::ToSql,
    ) -> Result<Vec<User>, StoreError> {
        if !self.has_people() {
            return Ok(Vec::new());
        }
        let email = email_column(self.schema);
        let sql = format!("SELECT {USER_COLUMNS}, {email} FROM users {clause}");
        let users = self
            .conn
            .prepare_cached(&sql)?
            .query_map([arg], user_row)?
            .collect::<Result<_, _>>()?;
        self.with_departments(users)
    }
}

impl Accounts for SqliteStore {
    fn add_user(&mut self, user: &NewUser) -> Result<UserId, StoreError> {
        // A savepoint, so that adding a user also works inside a caller's transaction.
        let tx = self.conn.savepoint()?;
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE login = ?1)",
            [&user.login],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StoreError::DuplicateLogin(user.login.clone()));
        }
        tx.execute(
            "INSERT INTO users (login, name, role, password, disabled, language, created_at)
             VALUES (?1, ?2, ?3, ?4, 0, NULL, ?5)",
            params![
                user.login,
                user.name,
                user.role.as_str(),
                user.password,
                stamp(user.created_at)
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (position, dept) in user.departments.iter().enumerate() {
            tx.execute(
                "INSERT OR IGNORE INTO user_departments (user, position, dept) VALUES (?1, ?2, ?3)",
                params![id, i64::try_from(position).unwrap_or(i64::MAX), dept],
            )?;
        }
        tx.commit()?;
        Ok(UserId(id))
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.users_where("WHERE id = ?1", &id.0)?.pop())
    }

    fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        Ok(self.users_where("WHERE login = ?1", &login)?.pop())
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.users_where("WHERE 1 = ?1 ORDER BY login", &1)
    }

    fn set_disabled(&mut self, id: UserId, disabled: bool) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET disabled = ?1 WHERE id = ?2",
            params![i64::from(disabled), id.0],
        )?;
        Ok(())
    }

    fn set_password(&mut self, id: UserId, hash: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET password = ?1 WHERE id = ?2",
            params![hash, id.0],
        )?;
        Ok(())
    }

    fn set_language(&mut self, id: UserId, language: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET language = ?1 WHERE id = ?2",
            params![language, id.0],
        )?;
        Ok(())
    }

    fn add_session(&mut self, digest: &str, session: &Session) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sessions (digest, user, created_at, last_seen) VALUES (?1, ?2, ?3, ?4)",
            params![
                digest,
                session.user.0,
                stamp(session.created_at),
                stamp(session.last_seen)
            ],
        )?;
        Ok(())
    }

    fn session(&self, digest: &str) -> Result<Option<Session>, StoreError> {
        if !self.has_people() {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT user, created_at, last_seen FROM sessions WHERE digest = ?1")?
            .query_row([digest], |r| {
                Ok(Session {
                    user: UserId(r.get(0)?),
                    created_at: time(&r.get::<_, String>(1)?, 1)?,
                    last_seen: time(&r.get::<_, String>(2)?, 2)?,
                })
            })
            .optional()?)
    }

    fn touch_session(&mut self, digest: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sessions SET last_seen = ?1 WHERE digest = ?2",
            params![stamp(at), digest],
        )?;
        Ok(())
    }

    fn remove_session(&mut self, digest: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE digest = ?1", [digest])?;
        Ok(())
    }

    fn remove_sessions_of(&mut self, user: UserId) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE user = ?1", [user.0])?;
        Ok(())
    }

    fn remove_idle_sessions(&mut self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM sessions WHERE last_seen < ?1", [stamp(before)])?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn add_token(
        &mut self,
        digest: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO api_tokens (digest, user, created_at) VALUES (?1, ?2, ?3)",
            params![digest, user.0, stamp(at)],
        )?;
        Ok(())
    }

    fn token_user(&self, digest: &str) -> Result<Option<UserId>, StoreError> {
        if !self.has_people() {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT user FROM api_tokens WHERE digest = ?1")?
            .query_row([digest], |r| Ok(UserId(r.get(0)?)))
            .optional()?)
    }

    fn failures(&self, login: &str) -> Result<Option<Failures>, StoreError> {
        if !self.has_people() {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT count, last_at FROM sign_in_failures WHERE login = ?1")?
            .query_row([login], |r| {
                Ok(Failures {
                    count: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    last: time(&r.get::<_, String>(1)?, 1)?,
                })
            })
            .optional()?)
    }

    fn add_failure(&mut self, login: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sign_in_failures (login, count, last_at) VALUES (?1, 1, ?2)
             ON CONFLICT (login) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            params![login, stamp(at)],
        )?;
        Ok(())
    }

    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sign_in_failures WHERE login = ?1", [login])?;
        Ok(())
    }

    fn add_training(&mut self, record: &TrainingRecord) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO training (user, doc, revision, at) VALUES (?1, ?2, ?3, ?4)",
            params![record.user.0, record.doc, record.revision, stamp(record.at)],
        )?;
        Ok(())
    }

    fn training(&self, user: Option<UserId>) -> Result<Vec<TrainingRecord>, StoreError> {
        if !self.has_people() {
            return Ok(Vec::new());
        }
        let rows = self
            .conn
            .prepare_cached(
                "SELECT user, doc, revision, at FROM training
                 WHERE ?1 IS NULL OR user = ?1 ORDER BY doc, revision, user",
            )?
            .query_map([user.map(|u| u.0)], |r| {
                Ok(TrainingRecord {
                    user: UserId(r.get(0)?),
                    doc: r.get(1)?,
                    revision: r.get(2)?,
                    at: time(&r.get::<_, String>(3)?, 3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}
