//! The PostgreSQL implementation of [`Store`] (and of [`Accounts`](super::accounts::Accounts),
//! [`Attachments`](super::attachments::Attachments) and [`Notices`](super::notices::Notices)),
//! for a company that keeps its quality records on the database its IT already runs and
//! backs up. It behaves exactly as the SQLite store: the same rows, the same refusals, the
//! same hashes (events' texts are stored byte for byte, so a run's audit chain and the store
//! chain do not depend on the backend).
//!
//! - The database is named by a URL: `postgres://user[:password]@host[:port]/db`, also
//!   `postgresql://`, and the forms the `postgres` crate reads beside them, such as
//!   `postgresql://user@/db?host=/run/postgresql` for a unix socket folder. Connections are
//!   made without TLS for now: use a unix socket, a private network or a tunnel.
//! - The schema is versioned in the table `procdoc_schema` and migrated forward on opening
//!   for writing ([`schema`]); a database newer than this build is refused
//!   ([`StoreError::TooNew`]); a store opened to read never creates or changes anything.
//! - A writing transaction takes a transaction-scoped advisory lock, so writers exclude each
//!   other until commit as SQLite's `BEGIN IMMEDIATE` does, across every procdoc process on
//!   the database; a reading one is one consistent snapshot (`REPEATABLE READ READ ONLY`).
//!
//! The client is the blocking one: it drives its own small runtime, so a `PgStore` must be
//! used off the threads of an async runtime (the server calls its store on blocking threads).
//! Connecting and dropping are safe anywhere: they move to a thread of their own when called
//! from inside a runtime.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls, Statement};

mod accounts;
mod attachments;
mod batch;
mod leases;
mod notices;
mod runs;
mod schema;
mod transfer;

use super::store::{SCHEMA_VERSION, StoreError};

/// The PostgreSQL store: one connection, with the statements it prepared.
pub struct PgStore {
    /// `None` only while being dropped (see [`Drop`]).
    client: RefCell<Option<Client>>,
    config: Config,
    /// The URL without its password, for messages.
    url: String,
    /// Statements prepared on this connection, by their text: one round trip less each time.
    statements: RefCell<HashMap<&'static str, Statement>>,
    /// The two halves of the advisory lock writers take: procdoc's, and the schema's
    /// (so that stores in different schemas of one database do not wait for each other).
    lock: (i32, i32),
    writable: bool,
    /// The schema as found on opening: older than [`SCHEMA_VERSION`] only when read-only.
    schema: i64,
    /// Inside a transaction begun by [`super::store::Store::begin`] (or a batch's).
    tx: bool,
    /// Inside a group commit ([`PgStore::begin_batch`]): a command's transaction is a savepoint.
    batch: bool,
    /// The batch's transaction can no longer be committed (a savepoint could not be undone).
    batch_lost: bool,
    /// When the connection was last used: one idle longer than [`IDLE_CHECK`] is checked.
    used: Cell<Instant>,
    /// The second halves of the leases' advisory locks this connection holds
    /// ([`crate::run::leases::Leases`]); forgotten with the connection.
    leases: RefCell<std::collections::HashSet<i32>>,
}

/// How long a connection may sit unused before it is checked with a round trip before its
/// next statement outside a transaction: short enough that a database restart (a second
/// or more) is noticed by the check rather than by a failed request, long enough that a
/// busy server never pays for it.
const IDLE_CHECK: Duration = Duration::from_millis(250);

/// How long connecting may take before the store says the database cannot be reached
/// (unless the URL sets `connect_timeout`): a request fails clearly rather than hangs.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The first half of the writers' advisory lock: "proc" in ASCII, so that procdoc's lock
/// is recognisable in `pg_locks` and unlikely to meet another application's.
const LOCK_CLASS: i32 = 0x7072_6f63;

impl PgStore {
    /// Whether `db` names a PostgreSQL database (`postgres://` or `postgresql://`) rather
    /// than an SQLite file.
    pub fn is_url(db: &str) -> bool {
        let lower = db.get(..13).unwrap_or(db).to_ascii_lowercase();
        lower.starts_with("postgres://") || lower.starts_with("postgresql://")
    }

    /// Opens the database at `url` to write, creating procdoc's tables when it has none and
    /// migrating older ones forward: for `run start`, `user add` and `serve`.
    ///
    /// Errors: [`StoreError::BadUrl`], [`StoreError::Connect`] (the server cannot be reached
    /// or refuses the login), [`StoreError::TooNew`], [`StoreError::Database`].
    pub fn create(url: &str) -> Result<Self, StoreError> {
        Self::connect(url, true, true)
    }

    /// Opens an existing store: to write (migrated forward first), or read-only (as it is,
    /// every statement refused a write by the server). A database without procdoc's tables
    /// is [`StoreError::Missing`], and nothing is created.
    pub fn open(url: &str, write: bool) -> Result<Self, StoreError> {
        Self::connect(url, write, false)
    }

    fn connect(url: &str, write: bool, create: bool) -> Result<Self, StoreError> {
        let shown = redact(url);
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| StoreError::BadUrl(shown.clone(), e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let client = connect_client(&config, &shown)?;
        let mut store = PgStore {
            client: RefCell::new(Some(client)),
            config,
            url: shown,
            statements: RefCell::new(HashMap::new()),
            lock: (LOCK_CLASS, 0),
            writable: write,
            schema: SCHEMA_VERSION,
            tx: false,
            batch: false,
            batch_lost: false,
            leases: Default::default(),
            used: Cell::new(Instant::now()),
        };
        store.check_server()?;
        if !write {
            store.batch_execute("SET default_transaction_read_only = on")?;
        }
        match store.version()? {
            None | Some(0) if !create => return Err(StoreError::Missing(store.url.clone())),
            Some(found) if found > SCHEMA_VERSION => {
                return Err(StoreError::TooNew {
                    path: store.url.clone(),
                    found,
                });
            }
            _ => {}
        }
        if write {
            store.migrate()?;
        } else {
            store.schema = store.version()?.unwrap_or(SCHEMA_VERSION);
        }
        Ok(store)
    }

    /// The URL as given, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Refuses a database whose text encoding is not UTF-8: text would not round-trip, and
    /// events' texts must come back byte for byte for their hashes to hold. Also learns the
    /// schema the tables live in, for the writers' lock.
    fn check_server(&mut self) -> Result<(), StoreError> {
        let row = self.client()?.query_one(
            "SELECT current_setting('server_encoding'), coalesce(current_schema(), '')",
            &[],
        )?;
        let encoding: String = row.get(0);
        let schema: String = row.get(1);
        if encoding != "UTF8" {
            return Err(StoreError::Database(format!(
                "the database {} has the encoding {encoding}; procdoc needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')",
                self.url
            )));
        }
        self.lock.1 = schema_key(&schema);
        Ok(())
    }

    /// The connection; a lost one is made again first when no transaction depends on it
    /// (a restarted server then costs the commands in flight, not the process).
    fn client(&self) -> Result<RefMut<'_, Client>, StoreError> {
        let mut slot = self.client.borrow_mut();
        let mut lost = slot.as_ref().is_none_or(Client::is_closed);
        // A connection left alone for a while may have been cut meanwhile (a restarted
        // server) without the client knowing: it is checked before a statement outside a
        // transaction relies on it, so that the request that finds it gone is not the one
        // that fails. Busy connections are not checked: they learn it from the outage.
        let idle = self.used.get().elapsed() > IDLE_CHECK;
        if !lost && !self.tx && idle {
            lost = slot
                .as_mut()
                .is_none_or(|c| c.is_valid(Duration::from_secs(10)).is_err());
        }
        self.used.set(Instant::now());
        if lost {
            if self.tx {
                return Err(StoreError::Unavailable(format!(
                    "the connection to {} was lost in the middle of a transaction; nothing of it was written",
                    self.url
                )));
            }
            self.statements.borrow_mut().clear();
            self.leases.borrow_mut().clear();
            *slot = Some(connect_client(&self.config, &self.url)?);
            if let Some(client) = slot.as_mut().filter(|_| !self.writable) {
                client.batch_execute("SET default_transaction_read_only = on")?;
            }
        }
        RefMut::filter_map(slot, Option::as_mut).map_err(|_| {
            StoreError::Unavailable(format!("the connection to {} is closed", self.url))
        })
    }

    /// The prepared statement of `sql` on this connection.
    fn statement(&self, sql: &'static str) -> Result<Statement, StoreError> {
        // The connection first: making a lost one again forgets the statements of the old.
        let mut client = self.client()?;
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = client.prepare(sql)?;
        self.statements.borrow_mut().insert(sql, prepared.clone());
        Ok(prepared)
    }

    /// Whether the connection is known to be gone (the client learns it from a failure).
    pub fn connection_lost(&self) -> bool {
        self.client.borrow().as_ref().is_none_or(Client::is_closed)
    }

    /// Begins a transaction with `sql`, once more on a new connection when the old one
    /// turns out to be gone (a restarted server): nothing was done in it yet.
    fn begin_transaction(&mut self, sql: &str) -> Result<(), StoreError> {
        let first = self.batch_execute(sql);
        if first.is_err() && self.connection_lost() {
            self.batch_execute(sql)?;
        } else {
            first?;
        }
        self.tx = true;
        Ok(())
    }

    /// Runs one statement (prepared once), returning the number of rows it changed.
    fn execute(
        &self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        Ok(self.client()?.execute(&st, params)?)
    }

    fn batch_execute(&self, sql: &str) -> Result<(), StoreError> {
        self.client()?.batch_execute(sql)?;
        Ok(())
    }

    /// Commits the open transaction, or fails when there is nothing to commit: PostgreSQL
    /// answers COMMIT of a transaction that a failed statement aborted by rolling it back
    /// without an error, and a caller that went on after an ignored failure must not be
    /// told its changes were written. The `SELECT 1` fails in such a transaction, and the
    /// COMMIT in the same message is then not run; the transaction is rolled back.
    fn commit_transaction(&self) -> Result<(), StoreError> {
        let done = self.batch_execute("SELECT 1; COMMIT");
        if done.is_err() {
            let _ = self.batch_execute("ROLLBACK");
        }
        done
    }

    /// Runs `f` atomically: in a savepoint inside the caller's transaction, else in a
    /// transaction of its own. A failure leaves nothing of `f` behind.
    fn atomic<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let inside = self.tx;
        self.batch_execute(if inside { "SAVEPOINT atomic" } else { "BEGIN" })?;
        self.tx = true;
        let result = f(self);
        let ended = match &result {
            Ok(_) if inside => self.batch_execute("RELEASE SAVEPOINT atomic"),
            Ok(_) => self.commit_transaction(),
            Err(_) if inside => {
                self.batch_execute("ROLLBACK TO SAVEPOINT atomic; RELEASE SAVEPOINT atomic")
            }
            Err(_) => self.batch_execute("ROLLBACK"),
        };
        self.tx = inside;
        let value = result?;
        ended?;
        Ok(value)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The blocking client shuts its runtime down when dropped, which tokio forbids on
        // a thread that drives async tasks: there the connection is closed on a thread of
        // its own.
        if let Some(client) = self.client.get_mut().take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

/// Connects, on a thread of its own when called from inside an async runtime (the blocking
/// client cannot start its runtime there).
fn connect_client(config: &Config, shown: &str) -> Result<Client, StoreError> {
    let failed = |e: postgres::Error| StoreError::Connect(shown.to_string(), reason(&e));
    if tokio::runtime::Handle::try_current().is_ok() {
        let config = config.clone();
        std::thread::spawn(move || config.connect(NoTls))
            .join()
            .map_err(|_| StoreError::Connect(shown.to_string(), "the connection failed".into()))?
            .map_err(failed)
    } else {
        config.connect(NoTls).map_err(failed)
    }
}

/// The most telling part of a client error: the server's own message when it sent one,
/// else the cause (connection refused, no such host).
fn reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    match std::error::Error::source(e) {
        Some(cause) => cause.to_string(),
        None => e.to_string(),
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        if is_outage(&e) {
            return StoreError::Unavailable(reason(&e));
        }
        match e.as_db_error() {
            Some(db) => StoreError::Database(match db.detail() {
                Some(detail) => format!("{} ({detail})", db.message()),
                None => db.message().to_string(),
            }),
            None => StoreError::Database(e.to_string()),
        }
    }
}

/// Whether `e` says the connection is gone or the server is going away or not yet there:
/// a closed socket, SQLSTATE class 08 (connection exception), 57P01 to 57P03 (shut down by
/// an administrator, a crash, cannot connect now).
fn is_outage(e: &postgres::Error) -> bool {
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
        }
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

/// The second half of the writers' advisory lock: from the schema's name (the first four
/// bytes of its SHA-256), so that it is the same in every process.
fn schema_key(schema: &str) -> i32 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(schema.as_bytes());
    i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// `url` without its password, in the userinfo (`user:secret@`) or as a `password=` query
/// parameter: what messages may show.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(
            redact("postgres://qa:s3cret@db.example:5432/procdoc"),
            "postgres://qa@db.example:5432/procdoc"
        );
        assert_eq!(
            redact("postgresql://qa@/procdoc?host=/run/pg&password=x&sslmode=disable"),
            "postgresql://qa@/procdoc?host=/run/pg&sslmode=disable"
        );
        assert_eq!(redact("postgres://h/db?password=x"), "postgres://h/db");
        assert_eq!(redact("postgres://h"), "postgres://h");
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(PgStore::is_url("postgres://h/db"));
        assert!(PgStore::is_url("PostgreSQL://h/db"));
        assert!(!PgStore::is_url("runs.sqlite"));
        assert!(!PgStore::is_url("postgres"));
    }

    #[test]
    fn bad_urls_and_unreachable_servers_are_errors() {
        let bad = PgStore::open("postgres://h:notaport/db", false).err();
        assert!(matches!(bad, Some(StoreError::BadUrl(..))), "{bad:?}");
        // Port 1 on the loopback: refused at once, and the password is not shown.
        let refused = PgStore::open("postgres://qa:s3cret@127.0.0.1:1/db", false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            refused.contains("postgres://qa@127.0.0.1:1/db"),
            "{refused}"
        );
        assert!(!refused.contains("s3cret"), "{refused}");
    }
}
