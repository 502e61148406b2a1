//! The people side of the store: users and their departments, sign-in sessions, API
//! tokens, failed sign-ins and training records, behind one narrow trait next to
//! [`Store`]. The implementations are in `sqlite/accounts.rs` and `postgres/accounts.rs`.
//!
//! The store keeps rows only. What a password, a session or a token must satisfy (argon2id,
//! idle expiry, throttling) is decided by the application layer (`crate::app::users`), so
//! a second backend cannot weaken it. Secrets never reach the store: passwords arrive as
//! argon2id PHC strings, sessions and tokens as SHA-256 digests of the secret the user holds.

use chrono::{DateTime, Utc};

use super::store::{Store, StoreError};

/// A user's row id in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// What a user may do beyond acting for their departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Acts for their departments.
    Staff,
    /// Also manages users, sees everything and may start any run.
    Quality,
}

impl Role {
    /// The word stored and printed: `staff` or `quality`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Quality => "quality",
        }
    }

    /// The role a stored word names; `None` for a word procdoc never writes.
    pub fn parse(word: &str) -> Option<Role> {
        match word {
            "staff" => Some(Role::Staff),
            "quality" => Some(Role::Quality),
            _ => None,
        }
    }
}

/// A user as the store keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    /// The sign-in name, unique in the store.
    pub login: String,
    /// The name printed with the user's signatures.
    pub name: String,
    /// Department codes of procdoc.yaml, in the order they were given.
    pub departments: Vec<String>,
    pub role: Role,
    /// The argon2id PHC string; `None` until a password is set.
    pub password: Option<String>,
    pub disabled: bool,
    /// The language code the user picked for the interface; `None`: the QMS's primary one.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Where notifications are sent; `None`: the user gets none.
    pub email: Option<String>,
}

/// What a new user is; the store assigns the id.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub name: String,
    pub departments: Vec<String>,
    pub role: Role,
    pub password: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session, found by the SHA-256 digest of its cookie's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub created_at: DateTime<Utc>,
    /// The last request seen with it (written at most about once a minute), for idle expiry.
    pub last_seen: DateTime<Utc>,
}

/// Failed sign-ins of one login since its last successful one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: DateTime<Utc>,
}

/// A user's confirmation that they read one revision of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRecord {
    pub user: UserId,
    pub doc: String,
    pub revision: String,
    pub at: DateTime<Utc>,
}

/// Everything the people side needs from storage. Each method is atomic on its own; a
/// caller that must see and change a state together wraps the calls in
/// [`Store::begin`]`(true)` ... [`Store::commit`]. A store whose runs database predates
/// schema 3 and was opened read-only answers as a store without people.
pub trait Accounts: Store {
    /// Adds a user. Fails with [`StoreError::DuplicateLogin`] when the login is taken.
    fn add_user(&mut self, user: &NewUser) -> Result<UserId, StoreError>;
    fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError>;
    /// Every user, by login.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    fn set_disabled(&mut self, id: UserId, disabled: bool) -> Result<(), StoreError>;
    /// Replaces the password hash (an argon2id PHC string).
    fn set_password(&mut self, id: UserId, hash: &str) -> Result<(), StoreError>;
    fn set_language(&mut self, id: UserId, language: Option<&str>) -> Result<(), StoreError>;

    /// Keeps a new session under the digest of its secret.
    fn add_session(&mut self, digest: &str, session: &Session) -> Result<(), StoreError>;
    fn session(&self, digest: &str) -> Result<Option<Session>, StoreError>;
    fn touch_session(&mut self, digest: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    fn remove_session(&mut self, digest: &str) -> Result<(), StoreError>;
    /// Ends every session of a user (disabled, or a new password).
    fn remove_sessions_of(&mut self, user: UserId) -> Result<(), StoreError>;
    /// Ends the sessions idle since before `before`; returns how many.
    fn remove_idle_sessions(&mut self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Keeps a new API token under the digest of its secret.
    fn add_token(
        &mut self,
        digest: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The user a token digest belongs to.
    fn token_user(&self, digest: &str) -> Result<Option<UserId>, StoreError>;

    fn failures(&self, login: &str) -> Result<Option<Failures>, StoreError>;
    /// Counts one more failed sign-in of `login` (known or not) at `at`.
    fn add_failure(&mut self, login: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError>;

    /// Records a confirmation; confirming the same revision again keeps the first time.
    fn add_training(&mut self, record: &TrainingRecord) -> Result<(), StoreError>;
    /// The training records of one user, or of everyone; by document, revision, user.
    fn training(&self, user: Option<UserId>) -> Result<Vec<TrainingRecord>, StoreError>;
}
