//! The two backends the store tests run against, and a fresh, empty database of each per
//! test.
//!
//! PostgreSQL is real, never a mock: `PROCDOC_TEST_POSTGRES` names a database the tests may
//! fill (each test works in a schema of its own, dropped at its end, so tests run in
//! parallel). Without it, a throwaway cluster is started in a temporary folder (`initdb`
//! and `pg_ctl` from the PATH or `/usr/lib/postgresql/*/bin`, listening only on a unix
//! socket in that folder), and stopped when the tests end. When neither is possible the
//! PostgreSQL tests fail and say how to install it, unless `PROCDOC_SKIP_POSTGRES=1`
//! allows skipping them (they say so loudly), as the browser tests do.
//!
//! A test that stops or restarts PostgreSQL starts a cluster of its own ([`own_cluster`]),
//! even when `PROCDOC_TEST_POSTGRES` names a shared database.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use procdoc::run::store::AnyStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database of one backend; removed when dropped.
pub struct TestDb {
    /// What `--db` would say: a path, or a PostgreSQL URL.
    pub db: PathBuf,
    _dir: tempfile::TempDir,
    /// The schema to drop at the end, and the URL of the database it is in.
    schema: Option<(String, String)>,
}

impl TestDb {
    pub fn create(&self) -> AnyStore {
        AnyStore::create(&self.db).unwrap_or_else(|e| panic!("create {}: {e}", self.db.display()))
    }

    pub fn open(&self, write: bool) -> AnyStore {
        AnyStore::open(&self.db, write)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.db.display()))
    }

    /// Runs SQL on the database directly, as an administrator (or an intruder) would: the
    /// SQLite text on an SQLite file, the PostgreSQL text on PostgreSQL.
    pub fn sql(&self, sqlite: &str, postgres: &str) {
        if self.schema.is_none() {
            let conn = rusqlite::Connection::open(&self.db).expect("open the SQLite file");
            conn.execute_batch(sqlite).expect(sqlite);
        } else {
            let url = self.db.to_string_lossy();
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            client.batch_execute(postgres).expect(postgres);
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((schema, base)) = &self.schema
            && let Ok(mut client) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

impl Backend {
    /// A fresh, empty database; `None` when PostgreSQL is missing and skipping is allowed.
    pub fn fresh(self) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temporary folder");
        match self {
            Backend::Sqlite => Some(TestDb {
                db: dir.path().join("runs.sqlite"),
                _dir: dir,
                schema: None,
            }),
            Backend::Postgres => {
                let base = match server() {
                    Ok(url) => url,
                    Err(why) if skip_allowed() => {
                        eprintln!(
                            "!!! PostgreSQL store test SKIPPED ({why}); PROCDOC_SKIP_POSTGRES=1 !!!"
                        );
                        return None;
                    }
                    Err(why) => panic!(
                        "the store tests need PostgreSQL: {why}.\n\
                         Install it (Debian: `apt-get install postgresql`) so that `initdb` \
                         is found, or set PROCDOC_TEST_POSTGRES to the URL of a database the \
                         tests may fill, or PROCDOC_SKIP_POSTGRES=1 to skip these tests"
                    ),
                };
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let schema = format!(
                    "procdoc_test_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                let mut client = postgres::Client::connect(base, postgres::NoTls)
                    .unwrap_or_else(|e| panic!("connect to {base}: {e}"));
                client
                    .batch_execute(&format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                    ))
                    .expect("create the test's schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
                Some(TestDb {
                    db: PathBuf::from(url),
                    _dir: dir,
                    schema: Some((schema, base.to_string())),
                })
            }
        }
    }
}

/// A cluster of the calling test's own, to stop and restart; `None` when PostgreSQL's
/// programs are missing and skipping is allowed.
pub fn own_cluster() -> Option<Cluster> {
    match Cluster::start() {
        Ok(cluster) => Some(cluster),
        Err(why) if skip_allowed() => {
            eprintln!("!!! PostgreSQL restart test SKIPPED ({why}); PROCDOC_SKIP_POSTGRES=1 !!!");
            None
        }
        Err(why) => panic!(
            "this test restarts a PostgreSQL of its own: {why}.\n\
             Install PostgreSQL (Debian: `apt-get install postgresql`) so that `initdb` is \
             found, or PROCDOC_SKIP_POSTGRES=1 to skip it"
        ),
    }
}

fn skip_allowed() -> bool {
    std::env::var("PROCDOC_SKIP_POSTGRES").is_ok_and(|v| v == "1")
}

/// The URL of the database the tests fill: given, or of a cluster started once.
fn server() -> Result<&'static str, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var("PROCDOC_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Ok(url),
            _ => start_cluster(),
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// The folder holding `initdb`, `pg_ctl` and `createdb`.
fn programs() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"));
    on_path.into_iter().chain(debian).find(|d| {
        ["initdb", "pg_ctl", "createdb"]
            .iter()
            .all(|p| d.join(p).is_file())
    })
}

/// A PostgreSQL cluster in a temporary folder, listening only on a unix socket there; a
/// watcher stops it and removes the folder once this process is gone, and dropping it
/// does so at once. As root, its programs run as the `postgres` user (initdb refuses root).
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// The URL of its database `procdoc_test`.
    pub url: String,
    as_postgres: bool,
}

impl Cluster {
    /// Initialises and starts a cluster with its database `procdoc_test`.
    pub fn start() -> Result<Cluster, String> {
        let bin =
            programs().ok_or("`initdb` was not found on the PATH or in /usr/lib/postgresql")?;
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        // Kept, not deleted on drop: the watcher removes it after stopping the server.
        let dir = tempfile::Builder::new()
            .prefix("procdoc-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        if as_postgres {
            let owned = Command::new("chown")
                .arg("postgres:")
                .arg(&dir)
                .status()
                .map_err(|e| e.to_string())?;
            if !owned.success() {
                return Err("the tests run as root and there is no `postgres` user to run PostgreSQL: set PROCDOC_TEST_POSTGRES (`.ci/run` does)".into());
            }
        }
        let dir_s = dir.to_string_lossy().into_owned();
        let cluster = Cluster {
            bin,
            url: format!("postgresql://procdoc@/procdoc_test?host={dir_s}"),
            dir,
            as_postgres,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "procdoc",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "-N",
            ],
        )?;
        cluster.up()?;
        // The watcher: stops the server and removes its folder once this process is gone.
        let pg_ctl = cluster.bin.join("pg_ctl").to_string_lossy().into_owned();
        let run_as = if as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {run_as}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir_s}'",
            pid = std::process::id()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the cluster's watcher: {e}"))?;
        cluster.run("createdb", &["-h", &dir_s, "-U", "procdoc", "procdoc_test"])?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    /// Runs one of PostgreSQL's programs, as `postgres` when the tests run as root.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn up(&self) -> Result<(), String> {
        let dir = self.dir.to_string_lossy().into_owned();
        // fsync off: the cluster lives for one test run, and the tests do not cut the power.
        let options =
            format!("-k {dir} -c listen_addresses='' -c fsync=off -c max_connections=200");
        let log = self.dir.join("log").to_string_lossy().into_owned();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-o",
                &options,
                "start",
            ],
        )
    }

    /// Stops the server as an administrator's fast shutdown does: open connections are cut.
    pub fn down(&self) -> Result<(), String> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
    }

    /// `pg_ctl restart -m fast`: connections cut, the server back when this returns.
    pub fn restart(&self) -> Result<(), String> {
        // The log named again: without it the server would write to this process's pipe,
        // which would then never close.
        let log = self.dir.join("log").to_string_lossy().into_owned();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-m",
                "fast",
                "-w",
                "restart",
            ],
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts the cluster the tests share when no database was given; it lives as long as the
/// tests.
fn start_cluster() -> Result<String, String> {
    let cluster = Cluster::start()?;
    let url = cluster.url.clone();
    std::mem::forget(cluster);
    Ok(url)
}
