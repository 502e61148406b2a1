//! `procdoc serve`: the QMS in the browser and a JSON API, one process with the store
//! embedded. Handlers are thin adapters over [`crate::app`]; the pages are minijinja
//! templates under `templates/web/` with HTML auto-escaping, and every asset is embedded
//! in the binary so that the server works without internet.
//!
//! - [`routes`]: the router, its security layers and the cross-site form check;
//! - [`auth`]: sessions (cookie) for pages, bearer tokens for `/api/*`;
//! - [`pages`], [`runs`], [`overview`] and [`api`]: the handlers; [`render`]: templates and labels;
//! - [`api_request`]: the API's JSON bodies; [`refusal`]: how refusals are answered;
//! - [`notify`]: e-mail notifications after changes, and the daily overdue digests;
//! - [`writer`]: signatures written together, one commit for many (group commit).

pub mod api;
pub mod api_request;
pub mod assets;
pub mod attachments;
pub mod auth;
pub mod files;
pub mod form;
pub mod labels;
pub mod notify;
pub mod overview;
pub mod overview_labels;
pub mod pages;
pub mod qms_watch;
pub mod refusal;
pub mod render;
pub mod routes;
pub mod run_labels;
pub mod runs;
pub mod sign;
pub mod sign_labels;
pub mod timeouts;
pub mod training;
pub mod training_labels;
pub mod upload;
pub mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use crate::app::users;
use crate::run::accounts::Accounts;
use crate::run::command::database_path;
use crate::run::store::AnyStore;

pub use routes::router;

/// What `procdoc serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub qms_dir: PathBuf,
    /// `host:port` to listen on.
    pub listen: String,
    pub db: Option<PathBuf>,
    /// The address people reach the server at (`https://qms.example.com`).
    pub public_url: Option<String>,
    /// The folder the documents were built into.
    pub output: Option<PathBuf>,
    /// The most bytes the files of one form (or API request) may hold together.
    pub max_upload: usize,
}

/// Read-only connections kept open beside the writer: a few more than the cores of a small
/// server, since a reader also waits on the disk.
const READERS: usize = 4;

/// The default of `procdoc serve --max-upload`: 20 MB.
pub const DEFAULT_MAX_UPLOAD: usize = 20_000_000;

/// Everything a request may need; shared by all handlers.
pub struct AppState {
    /// The one writing connection: both backends serialise writers anyway, and the lock
    /// keeps a request's reads and writes together. Handlers use it through [`AppState::with_store`].
    store: Mutex<AnyStore>,
    /// Read-only connections for requests that only read ([`AppState::with_reader`]): they
    /// see the last commit while the writer works (SQLite's WAL mode, PostgreSQL's
    /// snapshots), so reads use every core.
    readers: Vec<Mutex<AnyStore>>,
    /// Where the next reader is looked for first, so that waiting is spread over them.
    next_reader: AtomicUsize,
    /// Signatures waiting for the writer, written together ([`writer`]).
    writes: writer::WriteQueue,
    /// The QMS as served now: replaced whole when its folder changes ([`qms_watch`]).
    loaded: std::sync::RwLock<Arc<qms_watch::Loaded>>,
    /// The QMS folder, and what it looked like when last compared.
    qms_dir: PathBuf,
    seen: Mutex<(qms_watch::Fingerprint, [u8; 32])>,
    /// The folder the documents were built into; downloads never leave it.
    pub output: PathBuf,
    /// `scheme://host[:port]` of the public URL: the only origin whose forms are accepted
    /// when given (else the request's own host).
    pub public_origin: Option<String>,
    /// Whether the session cookie is marked Secure (public URL on https).
    pub secure_cookies: bool,
    /// The most bytes the files of one request may hold together (`--max-upload`).
    pub max_upload: usize,
    /// The digest of the one-time setup secret, while the store has no user.
    setup: Mutex<Option<String>>,
    /// Inboxes kept until the store changes: My work, the header's count and the API's inbox.
    pub inboxes: crate::app::InboxMemo,
    /// Passwords checked at signing in this process ([`crate::app::reentry`]).
    pub passwords: crate::app::reentry::PasswordMemo,
    pub templates: render::Templates,
    /// Where notifications are sent from; `None`: mail is off.
    pub mail: Option<Arc<crate::mail::Mailer>>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Qms(String),
    #[error("the public URL `{0}` is not an http:// or https:// address")]
    PublicUrl(String),
    #[error(transparent)]
    Store(#[from] crate::run::store::StoreError),
    #[error(transparent)]
    Refused(#[from] users::Refusal),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}

impl AppState {
    /// Loads the QMS and opens (or creates) the store. When the store has no user yet, a
    /// setup secret is drawn and returned: the link to create the first account.
    pub fn open(options: &ServeOptions) -> Result<(AppState, Option<String>), StartError> {
        let files = qms_watch::Fingerprint::of(&options.qms_dir);
        let seen = (files.clone(), files.content(&options.qms_dir));
        let loaded = qms_watch::Loaded::read(&options.qms_dir).map_err(StartError::Qms)?;
        let public_origin = options.public_url.as_deref().map(origin_of).transpose()?;
        let secure_cookies = public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"));
        let output = options
            .output
            .clone()
            .unwrap_or_else(|| crate::control::command::default_out_dir(&loaded.qms));
        let path = database_path(&options.qms_dir, options.db.clone());
        let store = AnyStore::create(&path)?;
        let readers = (0..READERS)
            .map(|_| AnyStore::open(&path, false).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        let setup = if store.users()?.is_empty() {
            Some(users::new_secret()?)
        } else {
            None
        };
        let state = AppState {
            store: Mutex::new(store),
            readers,
            next_reader: AtomicUsize::new(0),
            writes: Default::default(),
            loaded: std::sync::RwLock::new(Arc::new(loaded)),
            qms_dir: options.qms_dir.clone(),
            seen: Mutex::new(seen),
            output,
            public_origin,
            secure_cookies,
            max_upload: options.max_upload,
            setup: Mutex::new(setup.as_deref().map(users::digest)),
            inboxes: Default::default(),
            passwords: crate::app::reentry::PasswordMemo::new()?,
            templates: render::Templates::new(),
            mail: None,
        };
        Ok((state, setup))
    }

    /// Runs `f` on the store on a blocking thread (both stores' clients and argon2 block),
    /// one request at a time.
    pub async fn with_store<T, F>(self: &Arc<Self>, f: F) -> T
    where
        F: FnOnce(&mut AnyStore) -> T + Send + 'static,
        T: Send + 'static,
    {
        let state = Arc::clone(self);
        let job = tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave a half-done transaction behind
            // (SQLite rolls it back), so a poisoned lock is still a usable store.
            let mut store = state.store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut store)
        });
        match job.await {
            Ok(value) => value,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Runs `f` on a read-only connection on a blocking thread: for requests that only read.
    /// A write through it fails ("opened read-only"); such requests use [`Self::with_store`].
    pub async fn with_reader<T, F>(self: &Arc<Self>, f: F) -> T
    where
        F: FnOnce(&mut AnyStore) -> T + Send + 'static,
        T: Send + 'static,
    {
        let state = Arc::clone(self);
        let job = tokio::task::spawn_blocking(move || {
            let mut reader = state.reader();
            f(&mut reader)
        });
        match job.await {
            Ok(value) => value,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// A free reader, or else the next one in turn once it is free.
    fn reader(&self) -> MutexGuard<'_, AnyStore> {
        let first = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let count = self.readers.len();
        for i in 0..count {
            match self.readers[(first + i) % count].try_lock() {
                Ok(reader) => return reader,
                // As for the writer: SQLite rolled back whatever the panic left open.
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        self.readers[first % count]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `secret` is the pending one-time setup secret.
    pub fn setup_matches(&self, secret: &str) -> bool {
        let pending = self.setup.lock().unwrap_or_else(|p| p.into_inner());
        pending.as_deref() == Some(users::digest(secret).as_str())
    }

    /// Uses up the setup secret once the first account exists.
    pub fn setup_done(&self) {
        *self.setup.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The QMS's primary language.
    pub fn primary_language(&self) -> String {
        self.loaded().primary_language().to_string()
    }

    /// The QMS as served now. Take it once per request: a change of the folder replaces
    /// it whole, never under a reader's feet.
    pub fn loaded(&self) -> Arc<qms_watch::Loaded> {
        Arc::clone(&self.loaded.read().unwrap_or_else(|p| p.into_inner()))
    }
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased, without path.
fn origin_of(url: &str) -> Result<String, StartError> {
    let bad = || StartError::PublicUrl(url.to_string());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(bad());
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// `procdoc serve`: runs until interrupted, sending notifications by `mail` when given;
/// returns the exit code.
pub fn serve(options: ServeOptions, mail: Option<crate::mail::MailOptions>) -> u8 {
    // Opened before the runtime starts: a PostgreSQL store's blocking client cannot be
    // used on a thread that drives async tasks.
    let opened = match AppState::open(&options) {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the server's runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(run(opened, options, mail)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

async fn run(
    (mut state, setup): (AppState, Option<String>),
    options: ServeOptions,
    mail: Option<crate::mail::MailOptions>,
) -> Result<(), StartError> {
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|e| StartError::Listen(options.listen.clone(), e))?;
    // The address actually bound: with port 0 the system picks one, and whoever started
    // the server (a script, a test) learns it from this line.
    let bound = listener
        .local_addr()
        .map_or_else(|_| options.listen.clone(), |a| a.to_string());
    let base = state
        .public_origin
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"));
    if let Some(mail) = &mail {
        state.mail = Some(Arc::new(crate::mail::Mailer::new(mail, &base)?));
    }
    println!("procdoc serves {} at {base}/", state.loaded().qms.name());
    let errors = state.loaded().diagnostics.len();
    if errors > 0 {
        eprintln!("{}", qms_watch::errors_warning(errors));
    }
    if state.mail.is_some() {
        println!(
            "e-mail notifications on, from {}",
            mail.map(|m| m.from).unwrap_or_default()
        );
    }
    if let Some(secret) = setup {
        println!("no user yet: create the first quality manager at {base}/setup?token={secret}");
        println!("(this link works once, until the first account exists)");
    }
    let state = Arc::new(state);
    if state.mail.is_some() {
        tokio::spawn(notify::digest_job(Arc::clone(&state)));
    }
    tokio::spawn(timeouts::timeout_job(Arc::clone(&state)));
    tokio::spawn(qms_watch::watch_job(Arc::clone(&state)));
    let app = router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| StartError::Listen(options.listen.clone(), e))
}
