//! Accounts and signing in: adding and disabling users, passwords (argon2id), API tokens,
//! sessions with idle expiry, and throttling of repeated failed sign-ins.
//!
//! Secrets the user holds (a session cookie, an API token) are 32 random bytes from the
//! operating system; the store keeps only their SHA-256 digest, so a copy of the database
//! lets nobody sign in. Passwords are kept as argon2id PHC strings (RFC 9106 parameters as
//! the `argon2` crate defaults them).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::run::accounts::{Accounts, NewUser, Role, Session, User};
use crate::run::notices::Notices;
use crate::run::store::StoreError;

/// A password shorter than this (in characters) is refused.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Failed sign-ins of one login after which it is locked for [`LOCKOUT`].
pub const MAX_FAILURES: u32 = 5;
/// How long a login stays locked after [`MAX_FAILURES`] failed sign-ins in a row.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// A session unused for this long is over.
pub const IDLE_EXPIRY: Duration = Duration::hours(8);
/// A session's last use is written at most this often, so that reading a page does not
/// write the database every time.
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// How API tokens start, so that a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "procdoc_";

/// Why an operation on accounts was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the login `{0}` is not usable: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`, starting with a letter or digit"
    )]
    BadLogin(String),
    #[error("a user with the login `{0}` already exists")]
    LoginTaken(String),
    #[error("no user has the login `{0}`")]
    UnknownUser(String),
    #[error("the printed name is empty")]
    NoName,
    #[error("a user needs at least one department")]
    NoDepartment,
    #[error("`{0}` is not a department of procdoc.yaml (known: {1})")]
    UnknownDepartment(String, String),
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("`{0}` is not an e-mail address: {1}")]
    BadEmail(String, String),
    /// Said the same way for an unknown login, a wrong password and an account without a
    /// password, so that sign-in does not tell which logins exist.
    #[error("the login or the password is wrong")]
    WrongCredentials,
    #[error("too many failed sign-ins for this login: try again after {0}")]
    Throttled(DateTime<Utc>),
    #[error("the account `{0}` is disabled")]
    Disabled(String),
    #[error("not signed in, or the session has expired")]
    NoSession,
    #[error("the API token is not valid")]
    BadToken,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("cannot draw a random secret from the operating system: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user to add, as typed on the command line or in the setup form.
#[derive(Debug, Clone)]
pub struct AddUser {
    pub login: String,
    pub name: String,
    pub departments: Vec<String>,
    pub role: Role,
    pub password: Option<String>,
}

/// Checks a new user against the QMS's department codes and adds them; returns the user.
pub fn add_user(
    store: &mut dyn Accounts,
    known_departments: &[String],
    request: AddUser,
    now: DateTime<Utc>,
) -> Result<User, Refusal> {
    let login = request.login.trim().to_string();
    check_login(&login)?;
    let name = request.name.trim().to_string();
    if name.is_empty() {
        return Err(Refusal::NoName);
    }
    let mut departments: Vec<String> = Vec::new();
    for dept in request.departments {
        let dept = dept.trim().to_string();
        if !known_departments.contains(&dept) {
            return Err(Refusal::UnknownDepartment(
                dept,
                known_departments.join(", "),
            ));
        }
        if !departments.contains(&dept) {
            departments.push(dept);
        }
    }
    if departments.is_empty() {
        return Err(Refusal::NoDepartment);
    }
    let password = request.password.as_deref().map(hash_password).transpose()?;
    let id = store
        .add_user(&NewUser {
            login: login.clone(),
            name,
            departments,
            role: request.role,
            password,
            created_at: now,
        })
        .map_err(|e| match e {
            StoreError::DuplicateLogin(l) => Refusal::LoginTaken(l),
            other => Refusal::Store(other),
        })?;
    store
        .user(id)?
        .ok_or_else(|| Refusal::UnknownUser(login.clone()))
}

/// Adds the first quality manager, only while the store has no user at all (the setup
/// link of a new server); `Ok(None)` when someone was quicker.
pub fn add_first_user(
    store: &mut dyn Accounts,
    known_departments: &[String],
    request: AddUser,
    now: DateTime<Utc>,
) -> Result<Option<User>, Refusal> {
    store.begin(true)?;
    let result = (|| {
        if !store.users()?.is_empty() {
            return Ok(None);
        }
        let request = AddUser {
            role: Role::Quality,
            ..request
        };
        add_user(store, known_departments, request, now).map(Some)
    })();
    match result {
        Ok(user) => {
            store.commit()?;
            Ok(user)
        }
        Err(e) => {
            let _ = store.rollback();
            Err(e)
        }
    }
}

/// [`add_user`] with an e-mail address for notifications (checked as RFC 5321 reads
/// it), in one transaction: a refused address adds nobody.
pub fn add_user_with_email(
    store: &mut dyn Notices,
    known_departments: &[String],
    request: AddUser,
    email: Option<String>,
    now: DateTime<Utc>,
) -> Result<User, Refusal> {
    let email = email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if let Some(e) = &email {
        e.parse::<lettre::Address>()
            .map_err(|why| Refusal::BadEmail(e.clone(), why.to_string()))?;
    }
    store.begin(true)?;
    let result = (|| {
        let user = add_user(store, known_departments, request, now)?;
        store.set_email(user.id, email.as_deref())?;
        Ok(User { email, ..user })
    })();
    match result {
        Ok(user) => {
            store.commit()?;
            Ok(user)
        }
        Err(e) => {
            let _ = store.rollback();
            Err(e)
        }
    }
}

/// Every user, by login.
pub fn list_users(store: &dyn Accounts) -> Result<Vec<User>, Refusal> {
    Ok(store.users()?)
}

fn existing(store: &dyn Accounts, login: &str) -> Result<User, Refusal> {
    store
        .user_by_login(login.trim())?
        .ok_or_else(|| Refusal::UnknownUser(login.trim().to_string()))
}

/// Disables an account and ends its sessions; its signatures stay as they were.
pub fn disable_user(store: &mut dyn Accounts, login: &str) -> Result<User, Refusal> {
    let user = existing(store, login)?;
    store.set_disabled(user.id, true)?;
    store.remove_sessions_of(user.id)?;
    Ok(User {
        disabled: true,
        ..user
    })
}

/// Sets a new password and ends the user's sessions (a password is changed because the old
/// one may be known to someone else).
pub fn set_password(
    store: &mut dyn Accounts,
    login: &str,
    password: &str,
) -> Result<User, Refusal> {
    let user = existing(store, login)?;
    let hash = hash_password(password)?;
    store.set_password(user.id, &hash)?;
    store.remove_sessions_of(user.id)?;
    store.clear_failures(&user.login)?;
    Ok(user)
}

/// Sets the interface language a user picked (`None`: the QMS's primary language).
pub fn set_language(
    store: &mut dyn Accounts,
    user: &User,
    language: Option<&str>,
) -> Result<(), Refusal> {
    Ok(store.set_language(user.id, language)?)
}

/// Makes a new API token for a user and returns it: the only time it is ever shown.
pub fn create_token(
    store: &mut dyn Accounts,
    login: &str,
    now: DateTime<Utc>,
) -> Result<String, Refusal> {
    let user = existing(store, login)?;
    if user.disabled {
        return Err(Refusal::Disabled(user.login));
    }
    let token = format!("{TOKEN_PREFIX}{}", new_secret()?);
    store.add_token(&digest(&token), user.id, now)?;
    Ok(token)
}

/// Signs in with login and password. Locked logins are refused before the password is
/// looked at; each failure counts, a success clears the count. The same as
/// [`sign_in_lookup`], [`SignInAttempt::check`] and [`finish_sign_in`] in turn, which a
/// server calls apart so that the password's hashing holds no store.
pub fn sign_in(
    store: &mut dyn Accounts,
    login: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, Refusal> {
    let attempt = sign_in_lookup(&*store, login, now)?;
    finish_sign_in(store, attempt.check(password), now)
}

/// A sign-in whose login is not locked, with its user if the login exists.
pub struct SignInAttempt {
    login: String,
    user: Option<User>,
}

/// A sign-in whose password was checked: the user when it was right.
pub struct CheckedSignIn {
    login: String,
    user: Option<User>,
}

/// The first part of [`sign_in`], reading only: refused when the login is locked
/// ([`lockout`]).
pub fn sign_in_lookup(
    store: &dyn Accounts,
    login: &str,
    now: DateTime<Utc>,
) -> Result<SignInAttempt, Refusal> {
    let login = login.trim();
    lockout(store, login, now)?;
    Ok(SignInAttempt {
        login: login.to_string(),
        user: store.user_by_login(login)?,
    })
}

impl SignInAttempt {
    /// Checks the password (argon2id, deliberately slow; no store). An unknown login takes
    /// the same time, so that response times do not tell which logins exist.
    pub fn check(self, password: &str) -> CheckedSignIn {
        let verified = match self.user.as_ref().and_then(|u| u.password.as_deref()) {
            Some(hash) => verify_password(password, hash),
            None => {
                let _ = Argon2::default().hash_password(password.as_bytes());
                false
            }
        };
        CheckedSignIn {
            login: self.login,
            user: self.user.filter(|_| verified),
        }
    }
}

/// The last part of [`sign_in`]: counts a failure, or clears the count and returns the
/// user. Refused: a wrong login or password; a disabled account.
pub fn finish_sign_in(
    store: &mut dyn Accounts,
    checked: CheckedSignIn,
    now: DateTime<Utc>,
) -> Result<User, Refusal> {
    let Some(user) = checked.user else {
        store.add_failure(&checked.login, now)?;
        return Err(Refusal::WrongCredentials);
    };
    if user.disabled {
        return Err(Refusal::Disabled(user.login));
    }
    store.clear_failures(&checked.login)?;
    Ok(user)
}

/// Refused with [`Refusal::Throttled`] (until when) while `login` is locked: after
/// [`MAX_FAILURES`] wrong passwords in a row, at sign-in or at signing a step, for
/// [`LOCKOUT`] from the last. Otherwise the wrong passwords counted so far.
pub fn lockout(store: &dyn Accounts, login: &str, now: DateTime<Utc>) -> Result<u32, Refusal> {
    match store.failures(login)? {
        Some(f) if f.count >= MAX_FAILURES && now < f.last + LOCKOUT => {
            Err(Refusal::Throttled(f.last + LOCKOUT))
        }
        Some(f) => Ok(f.count),
        None => Ok(0),
    }
}

/// Counts a wrong password given to sign a step towards [`lockout`], as a failed sign-in
/// does; `right` clears the count.
pub fn count_signing_password(
    store: &mut dyn Accounts,
    login: &str,
    right: bool,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if right {
        store.clear_failures(login)?;
    } else {
        store.add_failure(login, now)?;
    }
    Ok(())
}

/// Checks a user's password again (to sign a step), without counting towards sign-in.
pub fn confirm_password(user: &User, password: &str) -> bool {
    user.password
        .as_deref()
        .is_some_and(|hash| verify_password(password, hash))
}

/// The user an API token belongs to; disabled users' tokens no longer work.
pub fn authenticate_token(store: &dyn Accounts, token: &str) -> Result<User, Refusal> {
    let token = token.trim();
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(Refusal::BadToken);
    }
    let user = match store.token_user(&digest(token))? {
        Some(id) => store.user(id)?.ok_or(Refusal::BadToken)?,
        None => return Err(Refusal::BadToken),
    };
    if user.disabled {
        return Err(Refusal::Disabled(user.login));
    }
    Ok(user)
}

/// Opens a session for a signed-in user; returns the secret for the cookie.
pub fn open_session(
    store: &mut dyn Accounts,
    user: &User,
    now: DateTime<Utc>,
) -> Result<String, Refusal> {
    let secret = new_secret()?;
    store.add_session(
        &digest(&secret),
        &Session {
            user: user.id,
            created_at: now,
            last_seen: now,
        },
    )?;
    Ok(secret)
}

/// The user of a session cookie's secret, if the session is still open: not idle for
/// [`IDLE_EXPIRY`] and its user not disabled. An expired session is removed; a session in
/// use is marked seen (at most once every [`TOUCH_EVERY`]).
pub fn session_user(
    store: &mut dyn Accounts,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<User, Refusal> {
    let key = digest(secret);
    match judge_session(&*store, &key, now)? {
        SessionVerdict::Open(user) => Ok(user),
        SessionVerdict::Seen(user) => {
            store.touch_session(&key, now)?;
            Ok(user)
        }
        SessionVerdict::Closed => {
            store.remove_session(&key)?;
            Err(Refusal::NoSession)
        }
    }
}

/// [`session_user`] when it needs no write, for a read-only connection: `Ok(None)` when
/// the session is due to be marked seen or removed, which only [`session_user`] does.
pub fn session_user_read(
    store: &dyn Accounts,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>, Refusal> {
    Ok(match judge_session(store, &digest(secret), now)? {
        SessionVerdict::Open(user) => Some(user),
        SessionVerdict::Seen(_) | SessionVerdict::Closed => None,
    })
}

/// What a session is at a moment.
enum SessionVerdict {
    /// Open, seen recently.
    Open(User),
    /// Open, and due to be marked seen.
    Seen(User),
    /// Idle too long, or its user disabled or gone: to be removed.
    Closed,
}

/// Refused with [`Refusal::NoSession`] when there is no session under `key`.
fn judge_session(
    store: &dyn Accounts,
    key: &str,
    now: DateTime<Utc>,
) -> Result<SessionVerdict, Refusal> {
    let Some(session) = store.session(key)? else {
        return Err(Refusal::NoSession);
    };
    if now >= session.last_seen + IDLE_EXPIRY {
        return Ok(SessionVerdict::Closed);
    }
    Ok(match store.user(session.user)? {
        Some(user) if !user.disabled => {
            if now >= session.last_seen + TOUCH_EVERY {
                SessionVerdict::Seen(user)
            } else {
                SessionVerdict::Open(user)
            }
        }
        _ => SessionVerdict::Closed,
    })
}

/// Ends a session (sign-out); ending one that is not open is no error.
pub fn close_session(store: &mut dyn Accounts, secret: &str) -> Result<(), Refusal> {
    Ok(store.remove_session(&digest(secret))?)
}

/// Removes every session idle for [`IDLE_EXPIRY`] at `now`; returns how many.
pub fn expire_sessions(store: &mut dyn Accounts, now: DateTime<Utc>) -> Result<u64, Refusal> {
    Ok(store.remove_idle_sessions(now - IDLE_EXPIRY)?)
}

/// A new secret: 32 random bytes of the operating system, as 64 hex digits.
pub fn new_secret() -> Result<String, Refusal> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Refusal::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 digest (hex) under which a secret is kept.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn check_login(login: &str) -> Result<(), Refusal> {
    let ok = !login.is_empty()
        && login.len() <= 64
        && login.starts_with(|c: char| c.is_ascii_alphanumeric())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Refusal::BadLogin(login.to_string()))
    }
}

pub(super) fn hash_password(password: &str) -> Result<String, Refusal> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Refusal::WeakPassword);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Refusal::Hash(e.to_string()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}
