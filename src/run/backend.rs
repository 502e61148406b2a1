//! One store for every command, whichever backend `--db` (or `PROCDOC_DB`) names: a path or
//! `sqlite:PATH` keeps the embedded SQLite file, `postgres://` or `postgresql://` a
//! PostgreSQL database. [`AnyStore`] implements the store's traits by handing each call to
//! the backend it holds, so the application layer never knows which one it talks to.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::accounts::{Accounts, Failures, NewUser, Session, TrainingRecord, User, UserId};
use super::attachments::Attachments;
use super::audit::{Event, StoreHead};
use super::leases::Leases;
use super::notices::Notices;
use super::postgres::{self, PgStore};
use super::sqlite::SqliteStore;
use super::store::{
    Entry, Filter, NewRun, Overdue, Provenance, QueryPlans, RunId, RunRow, Store, StoreError,
    StoredRun, Summary,
};
use super::transfer::{ApiToken, SentDigest, Transfer};

/// Where a run database is, as `--db` or `PROCDOC_DB` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file (`runs.sqlite`, `sqlite:runs.sqlite`, `sqlite:///srv/qms/runs.sqlite`).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, as given (`postgres://user@host:5432/db`).
    Postgres(String),
}

impl Location {
    /// The location `db` names: a PostgreSQL URL by its scheme, else an SQLite file, with
    /// an optional `sqlite:` (or `sqlite://`) in front.
    pub fn of(db: &Path) -> Location {
        let Some(text) = db.to_str() else {
            return Location::Sqlite(db.to_path_buf());
        };
        if PgStore::is_url(text) {
            return Location::Postgres(text.to_string());
        }
        let scheme = text
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("sqlite:"));
        if scheme {
            let rest = &text[7..];
            return Location::Sqlite(PathBuf::from(rest.strip_prefix("//").unwrap_or(rest)));
        }
        Location::Sqlite(db.to_path_buf())
    }

    /// The location for messages: the path, or the URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => postgres::redact(url),
        }
    }
}

/// The store of either backend.
pub enum AnyStore {
    Sqlite(SqliteStore),
    /// Boxed: a PostgreSQL client is several times the size of an SQLite connection.
    Postgres(Box<PgStore>),
}

/// `$body` with `$s` bound to the backend's store, whichever it is.
macro_rules! each {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            AnyStore::Sqlite($s) => $body,
            AnyStore::Postgres($s) => $body,
        }
    };
}

impl AnyStore {
    /// Opens the store `db` names to write, creating it when needed (an SQLite file and its
    /// folder; procdoc's tables in a PostgreSQL database, which must exist): for
    /// `run start`, `user add` and `serve`.
    pub fn create(db: &Path) -> Result<AnyStore, StoreError> {
        Ok(match Location::of(db) {
            Location::Sqlite(path) => AnyStore::Sqlite(SqliteStore::create(&path)?),
            Location::Postgres(url) => AnyStore::Postgres(Box::new(PgStore::create(&url)?)),
        })
    }

    /// Opens an existing store: to write (migrated forward first) or read-only, creating
    /// nothing. A store that does not exist is [`StoreError::Missing`].
    pub fn open(db: &Path, write: bool) -> Result<AnyStore, StoreError> {
        Ok(match Location::of(db) {
            Location::Sqlite(path) => AnyStore::Sqlite(SqliteStore::open(&path, write)?),
            Location::Postgres(url) => AnyStore::Postgres(Box::new(PgStore::open(&url, write)?)),
        })
    }

    /// Opens a group commit: see [`SqliteStore::begin_batch`] and [`PgStore::begin_batch`].
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        each!(self, s => s.begin_batch())
    }

    /// Whether the group commit's transaction can still be committed.
    pub fn batch_open(&self) -> bool {
        each!(self, s => s.batch_open())
    }

    /// Whether the connection to the database is known to be gone (PostgreSQL; an SQLite
    /// file has none): what a failed batch is blamed on.
    pub fn connection_lost(&self) -> bool {
        match self {
            AnyStore::Sqlite(_) => false,
            AnyStore::Postgres(s) => s.connection_lost(),
        }
    }

    /// Ends the group commit: commits it (`commit`) or rolls all of it back.
    pub fn end_batch(&mut self, commit: bool) -> Result<(), StoreError> {
        each!(self, s => s.end_batch(commit))
    }

    /// The backend's plans of the queries that find open work: see
    /// [`SqliteStore::query_plans`] and [`PgStore::query_plans`].
    pub fn query_plans(&self, filter: &Filter, now: &str) -> Result<QueryPlans, StoreError> {
        each!(self, s => s.query_plans(filter, now))
    }
}

impl Store for AnyStore {
    fn begin(&mut self, write: bool) -> Result<(), StoreError> {
        each!(self, s => s.begin(write))
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        each!(self, s => s.commit())
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        each!(self, s => s.rollback())
    }
    fn start(&mut self, run: &NewRun) -> Result<RunId, StoreError> {
        each!(self, s => s.start(run))
    }
    fn load(&self, run: RunId) -> Result<Option<StoredRun>, StoreError> {
        each!(self, s => s.load(run))
    }
    fn append(
        &mut self,
        run: RunId,
        events: &[Event],
        summary: &Summary,
    ) -> Result<(), StoreError> {
        each!(self, s => s.append(run, events, summary))
    }
    fn head(&self) -> Result<Option<StoreHead>, StoreError> {
        each!(self, s => s.head())
    }
    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        each!(self, s => s.entries())
    }
    fn provenance(&self) -> Result<Provenance, StoreError> {
        each!(self, s => s.provenance())
    }
    fn list(&self, filter: &Filter) -> Result<Vec<RunRow>, StoreError> {
        each!(self, s => s.list(filter))
    }
    fn overdue(&self, now: &str, filter: &Filter) -> Result<Vec<Overdue>, StoreError> {
        each!(self, s => s.overdue(now, filter))
    }
    fn learn_changes_at(
        &mut self,
        run: RunId,
        changes_at: Option<&str>,
    ) -> Result<bool, StoreError> {
        each!(self, s => s.learn_changes_at(run, changes_at))
    }
}

impl Accounts for AnyStore {
    fn add_user(&mut self, user: &NewUser) -> Result<UserId, StoreError> {
        each!(self, s => s.add_user(user))
    }
    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        each!(self, s => s.user(id))
    }
    fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        each!(self, s => s.user_by_login(login))
    }
    fn users(&self) -> Result<Vec<User>, StoreError> {
        each!(self, s => s.users())
    }
    fn set_disabled(&mut self, id: UserId, disabled: bool) -> Result<(), StoreError> {
        each!(self, s => s.set_disabled(id, disabled))
    }
    fn set_password(&mut self, id: UserId, hash: &str) -> Result<(), StoreError> {
        each!(self, s => s.set_password(id, hash))
    }
    fn set_language(&mut self, id: UserId, language: Option<&str>) -> Result<(), StoreError> {
        each!(self, s => s.set_language(id, language))
    }
    fn add_session(&mut self, digest: &str, session: &Session) -> Result<(), StoreError> {
        each!(self, s => s.add_session(digest, session))
    }
    fn session(&self, digest: &str) -> Result<Option<Session>, StoreError> {
        each!(self, s => s.session(digest))
    }
    fn touch_session(&mut self, digest: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        each!(self, s => s.touch_session(digest, at))
    }
    fn remove_session(&mut self, digest: &str) -> Result<(), StoreError> {
        each!(self, s => s.remove_session(digest))
    }
    fn remove_sessions_of(&mut self, user: UserId) -> Result<(), StoreError> {
        each!(self, s => s.remove_sessions_of(user))
    }
    fn remove_idle_sessions(&mut self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        each!(self, s => s.remove_idle_sessions(before))
    }
    fn add_token(
        &mut self,
        digest: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each!(self, s => s.add_token(digest, user, at))
    }
    fn token_user(&self, digest: &str) -> Result<Option<UserId>, StoreError> {
        each!(self, s => s.token_user(digest))
    }
    fn failures(&self, login: &str) -> Result<Option<Failures>, StoreError> {
        each!(self, s => s.failures(login))
    }
    fn add_failure(&mut self, login: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        each!(self, s => s.add_failure(login, at))
    }
    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError> {
        each!(self, s => s.clear_failures(login))
    }
    fn add_training(&mut self, record: &TrainingRecord) -> Result<(), StoreError> {
        each!(self, s => s.add_training(record))
    }
    fn training(&self, user: Option<UserId>) -> Result<Vec<TrainingRecord>, StoreError> {
        each!(self, s => s.training(user))
    }
}

impl Attachments for AnyStore {
    fn keep_file(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        each!(self, s => s.keep_file(sha256, bytes))
    }
    fn file(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.file(sha256))
    }
}

impl Notices for AnyStore {
    fn set_email(&mut self, user: UserId, email: Option<&str>) -> Result<(), StoreError> {
        each!(self, s => s.set_email(user, email))
    }
    fn digest_sent(&self, user: UserId, day: &str) -> Result<bool, StoreError> {
        each!(self, s => s.digest_sent(user, day))
    }
    fn record_digest(
        &mut self,
        user: UserId,
        day: &str,
        at: DateTime<Utc>,
        steps: usize,
    ) -> Result<(), StoreError> {
        each!(self, s => s.record_digest(user, day, at, steps))
    }
}

impl Leases for AnyStore {
    fn try_lease(&mut self, job: &str) -> Result<bool, StoreError> {
        each!(self, s => s.try_lease(job))
    }
}

impl Transfer for AnyStore {
    fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        each!(self, s => s.tokens())
    }
    fn files(&self) -> Result<Vec<String>, StoreError> {
        each!(self, s => s.files())
    }
    fn digests(&self) -> Result<Vec<SentDigest>, StoreError> {
        each!(self, s => s.digests())
    }
    fn restore_run(&mut self, run: &StoredRun) -> Result<(), StoreError> {
        each!(self, s => s.restore_run(run))
    }
    fn restore_user(&mut self, user: &User) -> Result<(), StoreError> {
        each!(self, s => s.restore_user(user))
    }
    fn restore_head(
        &mut self,
        head: &StoreHead,
        provenance: &Provenance,
    ) -> Result<(), StoreError> {
        each!(self, s => s.restore_head(head, provenance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_told_by_their_scheme() {
        let of = |s: &str| Location::of(Path::new(s));
        assert_eq!(of("runs.sqlite"), Location::Sqlite("runs.sqlite".into()));
        assert_eq!(of("sqlite:a/runs.db"), Location::Sqlite("a/runs.db".into()));
        assert_eq!(
            of("sqlite:///srv/r.db"),
            Location::Sqlite("/srv/r.db".into())
        );
        assert_eq!(
            of("postgresql://qa@/procdoc?host=/run/pg"),
            Location::Postgres("postgresql://qa@/procdoc?host=/run/pg".into())
        );
        assert_eq!(
            of("postgres://qa:pw@db/procdoc").shown(),
            "postgres://qa@db/procdoc"
        );
    }
}
