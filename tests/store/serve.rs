//! `procdoc serve` processes on a test database, and a small HTTP/1.1 client for them: what
//! the tests of several instances and of failures drive. Every server is killed when its
//! handle is dropped, so a failed test leaves no process behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::files;

/// The password of the test user `mei`.
pub const PASSWORD: &str = "a long passphrase";

/// How long a request may take before the test calls the server hung: far beyond any
/// answer on a loaded machine, short of a test runner's patience.
const PATIENCE: Duration = Duration::from_secs(120);

/// A QMS folder with the factory procedure (flow `inspection`, first step `inspect` by QA)
/// and the user `mei` of QA with [`PASSWORD`] in the store `db`; returns the folder and an
/// API token of `mei`.
pub fn qms_with_user(dir: &Path, db: &Path) -> (PathBuf, String) {
    let qms = dir.join("qms");
    files::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    let add = [
        "user",
        "add",
        "mei",
        "--name",
        "Mei Chen",
        "--dept",
        "QA",
        "--role",
        "quality",
        "--password-stdin",
    ];
    let (code, out, err) = procdoc(&qms, db, &add, &format!("{PASSWORD}\n"));
    assert_eq!(code, 0, "{out}{err}");
    let (code, token, err) = procdoc(&qms, db, &["user", "token", "mei"], "");
    assert_eq!(code, 0, "{err}");
    (qms, token.trim().to_string())
}

/// `procdoc ARGS --qms QMS --db DB`: its exit code, standard output and standard error.
pub fn procdoc(qms: &Path, db: &Path, args: &[&str], input: &str) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("PROCDOC_DB")
        .args(args)
        .arg("--qms")
        .arg(qms)
        .arg("--db")
        .arg(db)
        .write_stdin(input)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `procdoc run verify` on `db` must find nothing: returns its report.
pub fn verified(qms: &Path, db: &Path) -> String {
    let (code, out, err) = procdoc(qms, db, &["run", "verify"], "");
    assert_eq!(code, 0, "run verify found something:\n{out}{err}");
    out
}

/// One `procdoc serve` on a port the system picks.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// What the server wrote to its standard error so far.
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `procdoc serve QMS --db DB` and waits until it listens.
    pub fn start(qms: &Path, db: &Path) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("procdoc"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .arg(qms)
            .env("NO_COLOR", "1")
            .env_remove("PROCDOC_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let kept = Arc::clone(&log);
        // Drained to the end: a server writing to a full pipe would stop.
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
                kept.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let address = first
            .split("http://")
            .nth(1)
            .map(|a| a.trim().trim_end_matches('/').to_string());
        let mut server = Server {
            child,
            address: String::new(),
            log,
        };
        match address {
            Some(address) => server.address = address,
            None => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                panic!("the server did not start: {first:?}\n{}", server.log());
            }
        }
        server
    }

    /// Kills the server as `kill -9` does, and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A request to this server; see [`request`].
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        request(&self.address, method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path} on {}: {e}", self.address))
    }

    /// An API call with `token`, a JSON body.
    pub fn api(&self, method: &str, path: &str, token: &str, body: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        self.request(
            method,
            path,
            &[
                ("Authorization", &bearer),
                ("Content-Type", "application/json"),
            ],
            body,
        )
    }

    /// A form post as a browser on this server's own page sends it.
    pub fn form(&self, path: &str, cookie: Option<&str>, form: &str) -> Answer {
        let origin = format!("http://{}", self.address);
        let mut headers = vec![
            ("Origin", origin.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        self.request("POST", path, &headers, form)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP answer: the status, the headers as sent (lower-case names) and the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `name=value` of the cookie the answer sets.
    pub fn cookie(&self) -> Option<String> {
        let set = self.header("set-cookie")?;
        Some(set.split(';').next()?.to_string())
    }
}

/// One HTTP/1.1 request on a new connection to `address`; an error when the server cannot
/// be reached or closes the connection without an answer (it was killed).
pub fn request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no answer: {text:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status: {head:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}
