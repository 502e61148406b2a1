//! The JSON API over HTTP: the axum router driven in-process with bearer tokens, on a copy
//! of the red-maple example. Every refusal is checked to have written nothing.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use procdoc::app::users::{self, AddUser};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::store::{Filter, SqliteStore, Store};
use procdoc::web::{AppState, ServeOptions, router};

const PASSWORD: &str = "correct horse battery";

/// A server on a copy of red-maple, with one user per login below and their API tokens.
struct Api {
    app: Router,
    dir: tempfile::TempDir,
    tokens: Vec<(String, String)>,
}

/// The users every test has: a login, their departments and role.
const USERS: &[(&str, &[&str], Role)] = &[
    ("cs", &["CS"], Role::Staff),
    ("prod", &["PROD"], Role::Staff),
    ("qa", &["QA"], Role::Staff),
    ("log", &["LOG"], Role::Staff),
    ("boss", &["QA"], Role::Quality),
];

impl Api {
    fn new() -> Api {
        Api::with_max_upload(procdoc::web::DEFAULT_MAX_UPLOAD)
    }

    /// [`Api::new`] with the files of one request limited to `max_upload` bytes.
    fn with_max_upload(max_upload: usize) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        common::copy_dir(Path::new("specs/red-maple"), &qms);
        let db = dir.path().join("runs.sqlite");
        let mut store = SqliteStore::create(&db).unwrap();
        let known: Vec<String> = ["CS", "GM", "ENG", "QA", "PROD", "LOG"]
            .map(String::from)
            .to_vec();
        let mut tokens = Vec::new();
        for (login, depts, role) in USERS {
            users::add_user(
                &mut store,
                &known,
                AddUser {
                    login: login.to_string(),
                    name: format!("Printed {login}"),
                    departments: depts.iter().map(|d| d.to_string()).collect(),
                    role: *role,
                    password: Some(PASSWORD.to_string()),
                },
                clock::system_now(),
            )
            .unwrap();
            let token = users::create_token(&mut store, login, clock::system_now()).unwrap();
            tokens.push((login.to_string(), token));
        }
        drop(store);
        let options = ServeOptions {
            qms_dir: qms,
            listen: "127.0.0.1:0".into(),
            db: Some(db),
            public_url: None,
            output: Some(dir.path().join("out")),
            max_upload,
        };
        let (state, _) = AppState::open(&options).unwrap();
        Api {
            app: router(Arc::new(state)),
            dir,
            tokens,
        }
    }

    fn qms(&self) -> PathBuf {
        self.dir.path().join("qms")
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("runs.sqlite")
    }

    fn token(&self, login: &str) -> &str {
        &self.tokens.iter().find(|(l, _)| l == login).unwrap().1
    }

    /// A request as another system sends it: no cookie, no origin, the user's token.
    async fn call(
        &self,
        method: &str,
        path: &str,
        login: Option<&str>,
        body: Option<&str>,
    ) -> Response<Body> {
        let mut r = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost");
        if let Some(login) = login {
            r = r.header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token(login)),
            );
        }
        if body.is_some() {
            r = r.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        self.app
            .clone()
            .oneshot(r.body(body).unwrap())
            .await
            .unwrap()
    }

    async fn get(&self, path: &str, login: &str) -> (StatusCode, Value) {
        let r = self.call("GET", path, Some(login), None).await;
        (r.status(), json_of(r).await)
    }

    async fn post(&self, path: &str, login: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .call("POST", path, Some(login), Some(&body.to_string()))
            .await;
        (r.status(), json_of(r).await)
    }

    /// Starts a complaint run as `cs`.
    async fn complaint(&self, reference: &str) -> Value {
        let body = json!({"doc": "CS-P-001", "flow": "complaint", "ref": reference});
        let r = self
            .call("POST", "/api/runs", Some("cs"), Some(&body.to_string()))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
        let run = json_of(r).await;
        // The new run reads back at its `Location`, as the same record.
        let (status, mut again) = self.get(&location, "cs").await;
        assert_eq!(status, StatusCode::OK, "{location}");
        // Read a moment later: only the moment it was judged at may differ.
        again["now"] = run["now"].clone();
        assert_eq!(again, run);
        run
    }

    /// How many runs and events the store holds: what a refusal must leave as it was.
    fn written(&self) -> (usize, usize) {
        let mut store = SqliteStore::open(&self.db(), false).unwrap();
        store.begin(false).unwrap();
        let runs = store.list(&Filter::default()).unwrap();
        let events = runs
            .iter()
            .map(|r| store.load(r.id).unwrap().unwrap().events.len())
            .sum();
        store.rollback().unwrap();
        (runs.len(), events)
    }
}

/// Runs a test's requests on a runtime like the server's (handlers use blocking threads).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn bytes(r: Response<Body>) -> Vec<u8> {
    axum::body::to_bytes(r.into_body(), 16 << 20)
        .await
        .unwrap()
        .to_vec()
}

async fn json_of(r: Response<Body>) -> Value {
    let body = bytes(r).await;
    serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)))
}

/// The fields the problems of an error body name.
fn fields(error: &Value) -> Vec<&str> {
    error["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems in {error}"))
        .iter()
        .map(|p| p["field"].as_str().unwrap_or("-"))
        .collect()
}

fn step<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The signature of a step's last completed iteration.
fn signature<'a>(run: &'a Value, id: &str) -> &'a Value {
    step(run, id)["iterations"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| !i["completed"].is_null())
        .map(|i| &i["completed"])
        .unwrap_or_else(|| panic!("step {id} not completed"))
}

#[test]
fn every_endpoint_needs_a_token() {
    block_on(async {
        let api = Api::new();
        for (method, path) in [
            ("GET", "/api/inbox"),
            ("POST", "/api/runs"),
            ("GET", "/api/runs/C-1"),
            ("POST", "/api/runs/C-1/steps/record"),
            ("GET", "/api/runs/C-1/record.pdf"),
        ] {
            let r = api.call(method, path, None, Some("{}")).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
        }
        assert_eq!(api.written(), (0, 0));
    });
}

#[test]
fn a_started_run_reads_back_as_run_show_prints_it() {
    block_on(async {
        let api = Api::new();
        let run = api.complaint("C-1").await;
        assert_eq!(run["reference"], "C-1");
        assert_eq!(run["flow"]["id"], "complaint");
        assert_eq!(run["started_by"], "Printed cs");
        assert_eq!(step(&run, "record")["state"], "active");
        // Judged at one stated moment, the API's record is byte for byte the CLI's.
        let at = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        let path = format!("/api/runs/C-1?at={}", at.replace('+', "%2B"));
        let r = api.call("GET", &path, Some("qa"), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let served = String::from_utf8(bytes(r).await).unwrap();
        let printed = Command::cargo_bin("procdoc")
            .unwrap()
            .env_remove("PROCDOC_NOW")
            .env_remove("PROCDOC_ENTRY_TOLERANCE")
            .args(["run", "--qms"])
            .arg(api.qms())
            .arg("--db")
            .arg(api.db())
            .args(["show", "C-1", "--format", "json", "--at", &at])
            .output()
            .unwrap();
        assert!(printed.status.success(), "{printed:?}");
        assert_eq!(served, String::from_utf8(printed.stdout).unwrap());
        // The inbox of CS lists the new run's first step.
        let (status, inbox) = api.get("/api/inbox", "cs").await;
        assert_eq!(status, StatusCode::OK);
        let items = inbox["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{inbox}");
        assert_eq!(
            (&items[0]["reference"], &items[0]["step"]),
            (&json!("C-1"), &json!("record"))
        );
        let (_, inbox) = api.get("/api/inbox", "log").await;
        assert_eq!(inbox["items"], json!([]));
    });
}

#[test]
fn a_refused_start_names_its_field_and_writes_nothing() {
    block_on(async {
        let api = Api::new();
        let (status, error) = api
            .post("/api/runs", "cs", &json!({"doc": "CS-P-999", "ref": "C-1"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(fields(&error), ["doc"]);
        assert!(error["error"].as_str().unwrap().contains("CS-P-999"));
        let (status, error) = api
            .post(
                "/api/runs",
                "cs",
                &json!({"doc": "CS-P-001", "flow": "complaint", "ref": "C-1", "plan": {"nowhere": "2026-13-01"}}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(
            fields(&error).iter().all(|f| f.starts_with("plan")),
            "{error}"
        );
        // The warehouse neither does a first step nor owns the procedure.
        let (status, error) = api
            .post(
                "/api/runs",
                "log",
                &json!({"doc": "CS-P-001", "flow": "complaint", "ref": "C-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
        assert_eq!(fields(&error), ["flow"]);
        assert_eq!(api.written(), (0, 0));
        // A reference already taken in the flow is a conflict about `ref`.
        api.complaint("C-1").await;
        let before = api.written();
        let (status, error) = api
            .post(
                "/api/runs",
                "cs",
                &json!({"doc": "CS-P-001", "flow": "complaint", "ref": "C-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert_eq!(fields(&error), ["ref"]);
        assert_eq!(api.written(), before);
    });
}

#[test]
fn malformed_json_is_a_bad_request_naming_the_member() {
    block_on(async {
        let api = Api::new();
        for (path, body, field) in [
            ("/api/runs", r#"{"doc": 1, "ref": "C-1"}"#, Some("doc")),
            ("/api/runs", r#"{"doc": "CS-P-001"}"#, None),
            ("/api/runs", "doc=CS-P-001", None),
            (
                "/api/runs",
                r#"{"doc": "CS-P-001", "ref": "C-1", "plan": {"visit": 3}}"#,
                Some("plan.visit"),
            ),
            (
                "/api/runs/C-1/steps/record",
                r#"{"check": {"all": true}}"#,
                Some("check"),
            ),
            (
                "/api/runs/C-1/steps/record",
                r#"{"by": "Anyone"}"#,
                Some("by"),
            ),
        ] {
            let r = api.call("POST", path, Some("cs"), Some(body)).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
            let error = json_of(r).await;
            assert_eq!(error["kind"], "malformed");
            assert_eq!(error["problems"][0]["field"].as_str(), field, "{error}");
        }
        let r = api
            .call(
                "POST",
                "/api/runs/C-1/steps/record",
                Some("cs"),
                Some(r#"{"by": "Anyone"}"#),
            )
            .await;
        let error = json_of(r).await;
        assert!(
            error["error"]
                .as_str()
                .unwrap()
                .contains("unknown field `by`"),
            "{error}"
        );
        let huge = json!({"doc": "CS-P-001", "ref": "x".repeat(70 * 1024)}).to_string();
        let r = api.call("POST", "/api/runs", Some("cs"), Some(&huge)).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(api.written(), (0, 0));
    });
}

#[test]
fn steps_are_signed_with_a_decision_and_fields() {
    block_on(async {
        let api = Api::new();
        api.complaint("C-1").await;
        // An outcome by its Chinese label; the record keeps the primary language's.
        let (status, run) = api
            .post(
                "/api/runs/C-1/steps/record",
                "cs",
                &json!({"outcome": "需要维修", "note": "Mould <b>cracked</b>", "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let signed = signature(&run, "record");
        assert_eq!(signed["by"], "Printed cs");
        assert_eq!(signed["outcome"], "Repair needed");
        assert_eq!(signed["note"], "Mould <b>cracked</b>");
        assert_eq!(step(&run, "repair")["state"], "active");
        // Values of every JSON type, in the forms the command line reads.
        let (status, run) = api
            .post(
                "/api/runs/C-1/steps/repair",
                "prod",
                &json!({
                    "fields": {
                        "repair-report.customer": "ACME <script>alert(1)</script>",
                        "complaint_date": "2026-11-20",
                        "repair-report.problem": "Crack at the gate",
                        "repair-report.mould": null,
                    },
                    "password": PASSWORD,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let values: Vec<(&str, &str)> = signature(&run, "repair")["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["key"].as_str().unwrap(), f["value"].as_str().unwrap()))
            .collect();
        assert!(
            values.contains(&("repair-report.customer", "ACME <script>alert(1)</script>"))
                && values.contains(&("repair-report.complaint_date", "2026-11-20")),
            "{values:?}"
        );
        assert_eq!(step(&run, "solution")["state"], "active");
        // A value the record field does not take is refused about that field.
        let (status, _) = api
            .post(
                "/api/runs/C-1/steps/solution",
                "qa",
                &json!({"as": "QA", "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let before = api.written();
        let (status, error) = api
            .post(
                "/api/runs/C-1/steps/close",
                "cs",
                &json!({
                    "fields": {"satisfaction-survey.date": "soon", "satisfaction-survey.ratings": [["Service", "x", "", "", ""]]},
                    "password": PASSWORD,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(
            fields(&error).contains(&"fields.satisfaction-survey.date"),
            "{error}"
        );
        assert_eq!(api.written(), before);
        let (status, run) = api
            .post(
                "/api/runs/C-1/steps/close",
                "cs",
                &json!({
                    "fields": {"satisfaction-survey.customer": "ACME", "satisfaction-survey.ratings": [["Service", "x", "", "", ""], ["Price", "", "x"]]},
                    "password": PASSWORD,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        assert_eq!(run["status"], "ended");
        assert_eq!(run["outcome"], "Complaint closed");
        // Completing it again is a conflict: someone was first.
        let before = api.written();
        let (status, error) = api
            .post(
                "/api/runs/C-1/steps/close",
                "cs",
                &json!({"fields": {"satisfaction-survey.customer": "ACME"}, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert_eq!(api.written(), before);
    });
}

#[test]
fn signatures_sent_at_once_are_each_written_once_with_the_chain_intact() {
    block_on(async {
        let api = Api::new();
        const RUNS: usize = 12;
        for i in 0..RUNS {
            api.complaint(&format!("C-{i}")).await;
        }
        let body = json!({"outcome": "Repair needed", "password": PASSWORD}).to_string();
        // Every run's first step, and each of them twice: signatures that arrive together
        // are written in one batch, where the second of a pair must see the first.
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..RUNS {
            for _ in 0..2 {
                let request = Request::builder()
                    .method("POST")
                    .uri(format!("/api/runs/C-{i}/steps/record"))
                    .header(header::HOST, "localhost")
                    .header(header::AUTHORIZATION, format!("Bearer {}", api.token("cs")))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.clone()))
                    .unwrap();
                let app = api.app.clone();
                calls.spawn(async move { (i, app.oneshot(request).await.unwrap().status()) });
            }
        }
        let mut statuses = vec![Vec::new(); RUNS];
        while let Some(answer) = calls.join_next().await {
            let (i, status) = answer.unwrap();
            statuses[i].push(status);
        }
        for (i, mut pair) in statuses.into_iter().enumerate() {
            pair.sort();
            assert_eq!(pair, [StatusCode::OK, StatusCode::CONFLICT], "C-{i}");
        }
        assert_eq!(api.written(), (RUNS, RUNS * 2));
        let verify = procdoc_verify(&api);
        assert!(verify.status.success(), "{verify:?}");
    });
}

/// `procdoc run verify` of the whole store.
fn procdoc_verify(api: &Api) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_procdoc"))
        .args(["run", "verify", "--qms"])
        .arg(api.qms())
        .arg("--db")
        .arg(api.db())
        .output()
        .unwrap()
}

#[test]
fn a_wrong_password_signs_nothing() {
    block_on(async {
        let api = Api::new();
        api.complaint("C-1").await;
        let before = api.written();
        for password in ["wrong horse battery", ""] {
            let (status, error) = api
                .post(
                    "/api/runs/C-1/steps/record",
                    "cs",
                    &json!({"outcome": "Repair needed", "password": password}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
            assert_eq!(fields(&error), ["password"]);
        }
        assert_eq!(api.written(), before);
    });
}

#[test]
fn a_department_that_does_not_do_the_step_cannot_sign_it() {
    block_on(async {
        let api = Api::new();
        api.complaint("C-1").await;
        let (status, _) = api
            .post(
                "/api/runs/C-1/steps/record",
                "cs",
                &json!({"outcome": "No repair needed", "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // `solution` is done by ENG, QA or PROD: the warehouse may not sign it.
        let before = api.written();
        let (status, error) = api
            .post(
                "/api/runs/C-1/steps/solution",
                "log",
                &json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
        assert_eq!(api.written(), before);
        let (status, run) = api.get("/api/runs/C-1", "qa").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(step(&run, "solution")["state"], "active");
    });
}

#[test]
fn a_reference_of_two_flows_is_picked_with_flow() {
    block_on(async {
        let api = Api::new();
        api.complaint("X-1").await;
        let (status, _) = api
            .post(
                "/api/runs",
                "cs",
                &json!({"doc": "CS-P-001", "flow": "contract", "ref": "X-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, error) = api.get("/api/runs/X-1", "cs").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(error["error"].as_str().unwrap().contains("flow"), "{error}");
        for (flow, first) in [("complaint", "record"), ("CS-P-001%2Fcontract", "request")] {
            let (status, run) = api.get(&format!("/api/runs/X-1?flow={flow}"), "cs").await;
            assert_eq!(status, StatusCode::OK, "{run}");
            assert_eq!(step(&run, first)["state"], "active");
        }
        // A quality user's inbox is every department's: the contract's first step is the
        // customer's, recorded on its behalf by CS (the owner); a blank reference starts
        // nothing.
        let (_, inbox) = api.get("/api/inbox", "boss").await;
        let items = inbox["items"].as_array().unwrap();
        let seen: Vec<_> = items
            .iter()
            .map(|i| {
                (
                    i["step"].clone(),
                    i["depts"].clone(),
                    i["on_behalf"].clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (json!("record"), json!(["CS"]), json!(null)),
                (json!("request"), json!(["CS"]), json!("CUST")),
            ],
            "{inbox}"
        );
        let before = api.written();
        let (status, error) = api
            .post("/api/runs", "cs", &json!({"doc": "CS-P-001", "ref": " "}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(fields(&error), ["ref"]);
        assert_eq!(api.written(), before);
    });
}

#[test]
fn an_unknown_run_is_not_found() {
    block_on(async {
        let api = Api::new();
        let (status, error) = api.get("/api/runs/NOPE", "cs").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        assert_eq!(error["kind"], "not-found");
        let (status, _) = api
            .post(
                "/api/runs/NOPE/steps/record",
                "cs",
                &json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let r = api
            .call("GET", "/api/runs/NOPE/record.pdf", Some("cs"), None)
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(api.written(), (0, 0));
    });
}

#[test]
fn the_run_record_downloads_as_a_pdf() {
    block_on(async {
        let api = Api::new();
        api.complaint("C/1").await;
        let r = api
            .call("GET", "/api/runs/C%2F1/record.pdf", Some("cs"), None)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/pdf");
        let disposition = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let pdf = bytes(r).await;
        assert!(pdf.starts_with(b"%PDF"), "{:?}", &pdf[..pdf.len().min(16)]);
    });
}

#[test]
fn every_api_route_is_documented() {
    let routes = std::fs::read_to_string("src/web/routes.rs").unwrap();
    let docs = std::fs::read_to_string("docs/api.md").unwrap();
    let mut found = 0;
    for line in routes.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix(".route(\"/api/") else {
            continue;
        };
        let (path, handlers) = rest.split_once('"').unwrap();
        for method in ["get", "post"] {
            if handlers.contains(&format!("{method}(")) {
                let heading = format!("## `{} /api/{path}`", method.to_uppercase());
                assert!(docs.contains(&heading), "docs/api.md lacks {heading}");
                found += 1;
            }
        }
    }
    assert!(found >= 6, "only {found} API routes found in routes.rs");
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains("(docs/api.md)"), "README links docs/api.md");
}

#[test]
fn files_attached_in_base64_are_recorded_and_refused_when_malformed_or_too_large() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    block_on(async {
        let api = Api::with_max_upload(1000);
        api.complaint("C-1").await;
        let written = api.written();
        // Malformed base64: 422 about that file, nothing written.
        let (status, error) = api
            .post(
                "/api/runs/C-1/steps/record",
                "cs",
                &json!({"outcome": "Repair needed", "password": PASSWORD,
                        "attachments": [{"name": "a.txt", "content_base64": "not base64!"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(fields(&error), ["attachments.0"]);
        assert_eq!(api.written(), written);
        // Larger than the server takes: 413 about the attachments, nothing written.
        let (status, error) = api
            .post(
                "/api/runs/C-1/steps/record",
                "cs",
                &json!({"outcome": "Repair needed", "password": PASSWORD,
                        "attachments": [{"name": "big.bin", "content_base64": b64(&[7u8; 1200])}]}),
            )
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
        assert_eq!(fields(&error), ["attachments"]);
        assert_eq!(api.written(), written);
        // Recorded with the signature: a safe name, the size, the media type and the digest.
        let photo = b"\x89PNG not really";
        let (status, run) = api
            .post(
                "/api/runs/C-1/steps/record",
                "cs",
                &json!({"outcome": "Repair needed", "password": PASSWORD,
                        "attachments": [{"name": "../../etc/<b>photo.png",
                                         "content_base64": b64(photo),
                                         "media_type": "image/png"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let files = &signature(&run, "record")["attachments"];
        assert_eq!(files[0]["name"], "<b>photo.png");
        assert_eq!(files[0]["size"], photo.len());
        assert_eq!(files[0]["media_type"], "image/png");
        use sha2::Digest;
        assert_eq!(files[0]["sha256"], hex::encode(sha2::Sha256::digest(photo)));
    });
}

#[test]
fn a_trigger_or_item_the_flow_does_not_take_is_refused_about_its_field() {
    block_on(async {
        let api = Api::new();
        let (status, error) = api
            .post(
                "/api/runs",
                "cs",
                &json!({"doc": "CS-P-001", "flow": "complaint", "ref": "C-1", "trigger": 2}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(fields(&error), ["trigger"]);
        assert!(
            error["error"].as_str().unwrap().contains("has one trigger"),
            "{error}"
        );
        let (status, error) = api
            .post(
                "/api/runs",
                "cs",
                &json!({"doc": "CS-P-001", "flow": "complaint", "ref": "C-1", "item": "GA-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(fields(&error), ["item"]);
        assert_eq!(api.written(), (0, 0));
    });
}
