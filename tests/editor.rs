//! The spec files in an editor: yaml-language-server (what VS Code, Neovim and Helix use for
//! YAML) is driven as an editor drives it, over the Language Server Protocol on stdio, with
//! the committed JSON Schemas found through each file's modeline. Every example file shows
//! no diagnostic, nor do valid forms `check` accepts; each usual mistake shows one at the
//! line `procdoc check` reports.
//!
//! The server is `PROCDOC_YAML_LANGUAGE_SERVER` (CI installs yaml-language-server 2.0.0 with
//! npm and sets it), else `yaml-language-server` on the PATH. When it is missing the tests
//! fail saying how to install it, unless `PROCDOC_SKIP_EDITOR=1` allows skipping them.
//! `PROCDOC_EDITOR_DEBUG=1` prints every message the server sends.

mod common;
use common::{copy_dir, example_folders};

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn skip_allowed() -> bool {
    std::env::var("PROCDOC_SKIP_EDITOR").is_ok_and(|v| v == "1")
}

/// A yaml-language-server of this test, spoken to as an editor does; killed when dropped.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// The latest diagnostics published for each document URI.
    diagnostics: HashMap<String, Vec<Value>>,
    /// The editor's `yaml` settings.
    yaml: Value,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server and initialises it; `None` when it is not installed and
    /// `PROCDOC_SKIP_EDITOR=1` allows skipping.
    fn start(root: &Path) -> Option<Server> {
        Server::start_with(root, settings())
    }

    /// [`Server::start`] with the editor's `yaml` settings given.
    fn start_with(root: &Path, yaml: Value) -> Option<Server> {
        let program = std::env::var("PROCDOC_YAML_LANGUAGE_SERVER")
            .unwrap_or_else(|_| "yaml-language-server".into());
        let spawned = Command::new(&program)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && skip_allowed() => {
                eprintln!("editor test skipped: {program} not found, PROCDOC_SKIP_EDITOR=1");
                return None;
            }
            Err(e) => panic!(
                "cannot start {program}: {e}. The editor tests need yaml-language-server 2.0.0 \
                 (npm install yaml-language-server@2.0.0, then set \
                 PROCDOC_YAML_LANGUAGE_SERVER=<folder>/node_modules/.bin/yaml-language-server); \
                 set PROCDOC_SKIP_EDITOR=1 to skip them"
            ),
        };
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 1,
            diagnostics: HashMap::new(),
            yaml,
        };
        let root_uri = uri(root);
        server.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root_uri,
                "workspaceFolders": [{ "uri": root_uri, "name": "qms" }],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": { "relatedInformation": true },
                        "hover": { "contentFormat": ["markdown", "plaintext"] },
                        "completion": { "completionItem": { "documentationFormat": ["markdown"] } }
                    },
                    "workspace": { "configuration": true, "workspaceFolders": true }
                }
            }),
        );
        server.notify("initialized", json!({}));
        server.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "yaml": server.yaml.clone() } }),
        );
        Some(server)
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let message = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no answer to {method}"));
            if message.get("method").is_none() && message["id"] == json!(id) {
                return message["result"].clone();
            }
        }
    }

    /// The next message, answering the server's own requests and noting diagnostics on
    /// the way; `None` at `deadline`.
    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let message = match self.messages.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("yaml-language-server stopped"),
        };
        if std::env::var_os("PROCDOC_EDITOR_DEBUG").is_some() {
            eprintln!(
                "<- {}",
                message.to_string().chars().take(300).collect::<String>()
            );
        }
        match (
            message.get("method").and_then(Value::as_str),
            message.get("id"),
        ) {
            (Some("workspace/configuration"), Some(id)) => {
                let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                let answer: Vec<Value> = (0..items).map(|_| self.yaml.clone()).collect();
                let id = id.clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": answer }));
            }
            (Some(_), Some(id)) => {
                let id = id.clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": null }));
            }
            (Some("textDocument/publishDiagnostics"), None) => {
                let params = &message["params"];
                let found = params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                self.diagnostics.insert(
                    params["uri"].as_str().unwrap_or_default().to_string(),
                    found,
                );
            }
            _ => {}
        }
        Some(message)
    }

    /// Opens every file as an editor does and returns the diagnostics the server publishes
    /// for each, once every file has some and the server has been quiet for a moment.
    fn diagnose(&mut self, files: &[PathBuf]) -> Vec<Vec<Value>> {
        for file in files {
            let text = std::fs::read_to_string(file).expect("a spec file");
            self.notify(
                "textDocument/didOpen",
                json!({ "textDocument": {
                    "uri": uri(file), "languageId": "yaml", "version": 1, "text": text
                } }),
            );
        }
        let uris: Vec<String> = files.iter().map(|f| uri(f)).collect();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !uris.iter().all(|u| self.diagnostics.contains_key(u)) {
            if self.next(deadline).is_none() {
                let missing: Vec<&String> = uris
                    .iter()
                    .filter(|u| !self.diagnostics.contains_key(*u))
                    .collect();
                panic!("no diagnostics published for {missing:?}");
            }
        }
        // A later validation (once a schema has loaded) replaces an earlier one.
        loop {
            let quiet = Instant::now() + Duration::from_millis(1500);
            if self.next(quiet).is_none() {
                break;
            }
        }
        uris.iter().map(|u| self.diagnostics[u].clone()).collect()
    }
}

/// The editor settings: validation, hover and completion on; no schema store, so that
/// only the modelines choose the schemas and nothing is fetched from the network.
fn settings() -> Value {
    json!({
        "validate": true,
        "hover": true,
        "completion": true,
        "schemaStore": { "enable": false },
        "schemaDownload": { "enable": false }
    })
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            length = n.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).expect("an existing path");
    format!("file://{}", absolute.display())
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn describe(diagnostics: &[Value]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "line {}: {}",
                d["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                d["message"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_example_file_shows_no_diagnostic() {
    let specs = std::fs::canonicalize("specs").unwrap();
    let Some(mut server) = Server::start(&specs) else {
        return;
    };
    let mut files = Vec::new();
    for qms in example_folders() {
        files.extend(yaml_files(&specs.join(qms)));
    }
    assert!(files.len() >= 12, "the examples are missing: {files:?}");
    let found = server.diagnose(&files);
    let flagged: Vec<String> = files
        .iter()
        .zip(&found)
        .filter(|(_, d)| !d.is_empty())
        .map(|(f, d)| format!("{}:\n{}", f.display(), describe(d)))
        .collect();
    assert!(flagged.is_empty(), "{}", flagged.join("\n\n"));
}

/// A valid procedure to vary: the rules fixture, with the modeline of the examples.
fn base() -> String {
    let text = std::fs::read_to_string("tests/fixtures/rules/QP-08.yaml").unwrap();
    format!("# yaml-language-server: $schema=../schema/procedure.schema.json\n{text}")
}

/// `base()` with `from` replaced by `to` (which must occur once).
fn variant(from: &str, to: &str) -> String {
    let text = base();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` is not once in the base"
    );
    text.replace(from, to)
}

/// A QMS folder per text (`procdoc.yaml` and `QP-08.yaml`), with the committed schemas in
/// `schema/` beside them as in `specs/`; returns the procedure files.
fn qms_folders(root: &Path, texts: &[(&str, String)]) -> Vec<PathBuf> {
    copy_dir(Path::new("specs/schema"), &root.join("schema"));
    texts
        .iter()
        .map(|(name, text)| {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(
                "tests/fixtures/rules/procdoc.yaml",
                dir.join("procdoc.yaml"),
            )
            .unwrap();
            let file = dir.join("QP-08.yaml");
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect()
}

/// The 1-based lines of the errors `procdoc check` reports in the procedure file of `dir`.
fn check_error_lines(dir: &Path) -> Vec<usize> {
    let (qms, mut diagnostics) = procdoc::spec::load::load(dir).expect("a QMS folder");
    diagnostics.extend(procdoc::check::check(&qms));
    diagnostics
        .iter()
        .filter(|d| d.code.code.starts_with('E'))
        .filter_map(|d| d.location.as_ref())
        .filter(|l| qms.sources.get(l.file).path.ends_with("QP-08.yaml"))
        .map(|l| qms.sources.get(l.file).line_col(l.span.start).0)
        .collect()
}

#[test]
fn forms_check_accepts_show_no_diagnostic() {
    let root = tempfile::tempdir().unwrap();
    let texts = [
        (
            "numbers",
            variant("revision: B\n", "revision: 2\n")
                .replace("{ revision: B,", "{ revision: 2,")
                .replace("owner: QA\n", "owner: QA\niso: [8.2.1, 9, 8.7]\n"),
        ),
        (
            "durations",
            variant(
                "        by: PROD\n      - id: report",
                "        by: PROD\n        within: 5 Hours\n      - id: report",
            )
            .replace(
                "        produces: [ncr]\n",
                "        produces: [ncr]\n        within: Immediately\n",
            )
            .replace(
                "owner: QA\n",
                "owner: QA\nreview_every: \" 2  Working   DAYS \"\n",
            ),
        ),
        (
            "recurring",
            variant(
                "trigger: An inspector finds a nonconforming casting",
                "trigger: { every: 1 Year, in: july }",
            ),
        ),
        (
            "languages",
            variant(
                "trigger: An inspector finds a nonconforming casting",
                "trigger: { en: An inspector finds a nonconforming casting }",
            ),
        ),
    ];
    let files = qms_folders(root.path(), &texts);
    for file in &files {
        let lines = check_error_lines(file.parent().unwrap());
        assert!(
            lines.is_empty(),
            "{}: check reports errors at {lines:?}",
            file.display()
        );
    }
    let Some(mut server) = Server::start(root.path()) else {
        return;
    };
    let found = server.diagnose(&files);
    for ((name, _), diagnostics) in texts.iter().zip(&found) {
        assert!(diagnostics.is_empty(), "{name}:\n{}", describe(diagnostics));
    }
}

/// One file per usual mistake. The editor shows a diagnostic at a line `check` reports,
/// and says what is wrong in words (never the raw pattern).
#[test]
fn each_mistake_shows_a_diagnostic_at_checks_line() {
    let trigger = "trigger: An inspector finds a nonconforming casting";
    let texts = [
        (
            "unknown-field",
            variant(
                "        by: QA\n        produces",
                "        by: QA\n        reviewer: GM\n        produces",
            ),
        ),
        ("misspelt-type", variant("type: longtext", "type: longtxt")),
        (
            "within-number",
            variant(
                "        by: PROD\n      - id: report",
                "        by: PROD\n        within: 5\n      - id: report",
            ),
        ),
        ("missing-revision", variant("revision: B\n", "")),
        (
            "trigger-every-hours",
            variant(trigger, "trigger: { every: 2 hours }"),
        ),
        (
            "trigger-every-unit",
            variant(trigger, "trigger: { every: 3 dayz }"),
        ),
        (
            "trigger-misspelt-every",
            variant(trigger, "trigger: { evry: 1 year, in: july }"),
        ),
        (
            "bad-duration",
            variant(
                "        by: PROD\n      - id: report",
                "        by: PROD\n        within: 2 fortnights\n      - id: report",
            ),
        ),
    ];
    let root = tempfile::tempdir().unwrap();
    let files = qms_folders(root.path(), &texts);
    let expected: Vec<Vec<usize>> = files
        .iter()
        .map(|f| check_error_lines(f.parent().unwrap()))
        .collect();
    for ((name, _), lines) in texts.iter().zip(&expected) {
        assert!(!lines.is_empty(), "{name}: check reports no error");
    }
    let Some(mut server) = Server::start(root.path()) else {
        return;
    };
    let found = server.diagnose(&files);
    let mut failures = Vec::new();
    for (((name, _), lines), diagnostics) in texts.iter().zip(&expected).zip(&found) {
        eprintln!("{name} (check: {lines:?}):\n{}", describe(diagnostics));
        let at: Vec<usize> = diagnostics
            .iter()
            .filter_map(|d| d["range"]["start"]["line"].as_u64())
            .map(|l| l as usize + 1)
            .collect();
        if !at.iter().any(|l| lines.contains(l)) {
            failures.push(format!(
                "{name}: check reports line {lines:?}, the editor shows:\n{}",
                describe(diagnostics)
            ));
        }
        if let Some(raw) = diagnostics
            .iter()
            .find(|d| d["message"].to_string().contains("pattern"))
        {
            failures.push(format!(
                "{name}: a raw pattern is shown: {}",
                raw["message"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A QMS `procdoc init` starts: with the `yaml.schemas` of its `.vscode/settings.json`
/// (what VS Code sends the server), every YAML file gets its schema without a modeline,
/// in any sub-folder: the files as written show nothing, a copy of the procedure deep in
/// a sub-folder is checked too.
#[test]
fn a_new_qms_from_init_is_checked_in_every_sub_folder() {
    // Not under a folder whose name starts with a dot (as `tempdir()` names them): the
    // server's `*.yaml` does not reach into such folders, as in a shell.
    let root = tempfile::Builder::new()
        .prefix("procdoc-editor-")
        .tempdir()
        .unwrap();
    let qms = root.path().join("qms");
    procdoc::init::init(&qms).expect("init");
    let procedure = std::fs::read_to_string(qms.join("QP-001.yaml")).unwrap();
    let deep = qms.join("purchasing/suppliers");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        deep.join("QP-002.yaml"),
        procedure.replace("id: QP-001", "id: QP-002"),
    )
    .unwrap();
    let broken = procedure
        .replace("id: QP-001", "id: QP-003")
        .replace("within: 4 working hours", "within: 4");
    std::fs::write(deep.join("QP-003.yaml"), &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.trim() == "within: 4")
        .unwrap() as u64;

    let vscode: Value =
        serde_json::from_str(&std::fs::read_to_string(qms.join(".vscode/settings.json")).unwrap())
            .unwrap();
    let mut yaml = settings();
    yaml["schemas"] = vscode["yaml.schemas"].clone();
    let Some(mut server) = Server::start_with(&qms, yaml) else {
        return;
    };
    let files = [
        qms.join("procdoc.yaml"),
        qms.join("QP-001.yaml"),
        deep.join("QP-002.yaml"),
        deep.join("QP-003.yaml"),
    ];
    let found = server.diagnose(&files);
    for (file, diagnostics) in files[..3].iter().zip(&found) {
        assert!(
            diagnostics.is_empty(),
            "{}:\n{}",
            file.display(),
            describe(diagnostics)
        );
    }
    assert!(
        found[3]
            .iter()
            .any(|d| d["range"]["start"]["line"] == json!(line)),
        "the broken copy in a sub-folder is not checked:\n{}",
        describe(&found[3])
    );
    // Hover on a property shows its description, in Markdown.
    let hover = server.request(
        "textDocument/hover",
        json!({
            "textDocument": { "uri": uri(&files[1]) },
            "position": { "line": procedure.lines().position(|l| l.starts_with("revision:")).unwrap(), "character": 2 }
        }),
    );
    let shown = hover["contents"].to_string();
    assert!(
        shown.contains("Current revision"),
        "hover on `revision`: {shown}"
    );
}
