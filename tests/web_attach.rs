//! Files attached as evidence when a step is signed in the browser: the form posted as
//! `multipart/form-data` (bodies built by hand here, as a browser sends them), the files
//! listed on the run's page with their names escaped, handed back only as downloads to those
//! who may see the run, and refused when too large with nothing written.

mod common;
use common::sha256;

#[path = "common/site.rs"]
mod site;

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};

use procdoc::app::{self, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::store::SqliteStore;
use procdoc::web::{AppState, ServeOptions, router};
use site::{PASSWORD, Site, block_on, body, location};

const STEP: &str = "/runs/R-1/steps/work";
const BOUNDARY: &str = "----procdocTestBoundary7MA4YWxkTrZu0gW";
const PAGE: &[u8] = b"<html><body><script>alert(document.cookie)</script></body></html>";

/// A multipart body of text fields and files (field `attachments`), as a browser sends it.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (file_name, media_type, bytes) in files {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{file_name}\"\r\nContent-Type: {media_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

impl Site {
    /// The factory fixture with a department LOG that acts in no flow, users `cs` (CS) and
    /// `log` (LOG), runs R-1 and R-2 of the `repeat` flow, served with uploads limited to
    /// `max_upload` bytes.
    fn attach(max_upload: usize) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        common::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
        site::edit(&qms.join("procdoc.yaml"), |text| {
            text.replacen(
                "  - { code: GM, name: General Manager }\n",
                "  - { code: GM, name: General Manager }\n  - { code: LOG, name: Logistics }\n",
                1,
            )
        });
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "PROD", "CS", "GM", "LOG"],
            &[("cs", &["CS"], Role::Staff), ("log", &["LOG"], Role::Staff)],
        );
        let (loaded, _) = procdoc::spec::load::load(&qms).unwrap();
        for reference in ["R-1", "R-2"] {
            app::start_run(
                &mut store,
                &loaded,
                &[],
                &StartRun {
                    doc: "QA-P-001".into(),
                    flow: Some("repeat".into()),
                    reference: reference.into(),
                    at: Some("2026-03-02 09:00".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        drop(store);
        let options = ServeOptions {
            qms_dir: qms,
            listen: "127.0.0.1:0".into(),
            db: Some(dir.path().join("runs.sqlite")),
            public_url: None,
            output: Some(dir.path().join("out")),
            max_upload,
        };
        let (state, setup) = AppState::open(&options).unwrap();
        let state = Arc::new(state);
        Site {
            app: router(state.clone()),
            state,
            dir,
            setup,
        }
    }

    /// Posts a multipart form to `path` as a browser on this site does.
    async fn post_multipart(&self, path: &str, body: Vec<u8>, cookie: &str) -> Response<Body> {
        let r = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://localhost")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap();
        self.send(r).await
    }

    fn record(&self, reference: &str) -> app::RunRecord {
        let mut store = SqliteStore::create(&self.db()).unwrap();
        app::show_run(&mut store, None, &RunRef::new(reference), None, 3600).unwrap()
    }

    fn count(&self, table: &str) -> i64 {
        rusqlite::Connection::open(self.db())
            .unwrap()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }
}

fn header_of(r: &Response<Body>, name: header::HeaderName) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn the_form_takes_files_without_script() {
    block_on(async {
        let site = Site::attach(procdoc::web::DEFAULT_MAX_UPLOAD);
        let cs = site.sign_in("cs").await;
        let html = body(site.get(STEP, Some(&cs)).await).await;
        assert!(html.contains(r#"enctype="multipart/form-data""#), "{html}");
        assert!(
            html.contains(r#"<input type="file" name="attachments" multiple"#),
            "{html}"
        );
        assert!(html.contains("20.0 MB"), "{html}");
    });
}

#[test]
fn files_are_signed_listed_escaped_and_handed_back_only_as_downloads() {
    block_on(async {
        let site = Site::attach(procdoc::web::DEFAULT_MAX_UPLOAD);
        let cs = site.sign_in("cs").await;
        let form = multipart(
            &[("note", "see files"), ("password", PASSWORD)],
            &[
                ("<script>alert(1).html", "text/html", PAGE),
                // A browser sends a quote in a file name as `%22`.
                ("%22><img src=x onerror=alert(2)>.txt", "text/plain", b"two"),
                (
                    "../../etc/passwd",
                    "application/octet-stream",
                    b"root:x:0:0",
                ),
            ],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert_eq!(location(&r), "/runs/R-1");

        let record = site.record("R-1");
        let work = record.steps.iter().find(|s| s.id == "work").unwrap();
        let signed = work.iterations[0].completed.as_ref().unwrap();
        let names: Vec<&str> = signed.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names[0], "<script>alert(1).html");
        assert!(
            names[1].contains("<img src=x onerror=alert(2)>.txt"),
            "{names:?}"
        );
        assert_eq!(names[2], "passwd");
        assert_eq!(signed.attachments[0].media_type, "text/html");
        assert_eq!(signed.attachments[0].size, PAGE.len() as u64);
        assert_eq!(signed.attachments[0].sha256, sha256(PAGE));
        assert_eq!(site.count("files"), 3);

        // The run page lists each file, every name escaped, with a download link.
        let html = body(site.get("/runs/R-1", Some(&cs)).await).await;
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1).html"), "{html}");
        let link = format!("/runs/R-1/attachments/{}", sha256(PAGE));
        assert!(html.contains(&link), "{html}");
        assert!(html.contains(&sha256(b"root:x:0:0")), "{html}");

        // Downloaded as opaque bytes, never shown: HTML stays an attachment.
        let r = site.get(&link, Some(&cs)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            header_of(&r, header::CONTENT_TYPE),
            "application/octet-stream"
        );
        assert_eq!(header_of(&r, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        let disposition = header_of(&r, header::CONTENT_DISPOSITION);
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{disposition}"
        );
        assert!(
            !disposition.contains('<') && !disposition.contains('/'),
            "{disposition}"
        );
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&bytes[..], PAGE);
        let r = site
            .get(
                &format!("/runs/R-1/attachments/{}", sha256(b"root:x:0:0")),
                Some(&cs),
            )
            .await;
        assert!(
            header_of(&r, header::CONTENT_DISPOSITION).contains("filename=\"passwd\""),
            "{:?}",
            r.headers()
        );

        // Only for those who may see the run, only through the run that attaches it.
        let log = site.sign_in("log").await;
        assert_eq!(
            site.get(&link, Some(&log)).await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(site.get(&link, None).await.status(), StatusCode::SEE_OTHER);
        let other = format!("/runs/R-2/attachments/{}", sha256(PAGE));
        assert_eq!(
            site.get(&other, Some(&cs)).await.status(),
            StatusCode::NOT_FOUND
        );
        let unknown = format!("/runs/R-1/attachments/{}", sha256(b"never attached"));
        assert_eq!(
            site.get(&unknown, Some(&cs)).await.status(),
            StatusCode::NOT_FOUND
        );
        for bad in [
            "nothex",
            "..%2F..%2Fetc%2Fpasswd",
            &sha256(PAGE).to_uppercase(),
        ] {
            let r = site
                .get(&format!("/runs/R-1/attachments/{bad}"), Some(&cs))
                .await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        }
    });
}

#[test]
fn a_refused_signature_keeps_no_file_and_asks_for_them_again() {
    block_on(async {
        let site = Site::attach(procdoc::web::DEFAULT_MAX_UPLOAD);
        let cs = site.sign_in("cs").await;
        let form = multipart(
            &[("password", "wrong password")],
            &[("evidence.pdf", "application/pdf", b"%PDF-1.7")],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        assert!(html.contains("choose them again: evidence.pdf"), "{html}");
        assert_eq!(site.count("files"), 0);
        assert_eq!(site.record("R-1").events.len(), 1);
        // An empty file input (no file chosen) is no attachment.
        let form = multipart(
            &[("password", PASSWORD)],
            &[("", "application/octet-stream", b"")],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert_eq!(site.count("files"), 0);
        let record = site.record("R-1");
        let work = record.steps.iter().find(|s| s.id == "work").unwrap();
        assert!(
            work.iterations[0]
                .completed
                .as_ref()
                .unwrap()
                .attachments
                .is_empty()
        );
    });
}

#[test]
fn files_over_the_limit_are_refused_with_413_naming_the_field() {
    block_on(async {
        let site = Site::attach(1000);
        let cs = site.sign_in("cs").await;
        // Each file fits, both together do not.
        let form = multipart(
            &[("note", "two files"), ("password", PASSWORD)],
            &[
                ("first.bin", "application/octet-stream", &[1u8; 600]),
                ("second.bin", "application/octet-stream", &[2u8; 600]),
            ],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let html = body(r).await;
        assert!(
            html.contains(
                "attachments: `second.bin` makes the files of this form larger than 1.0 kB"
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"name="attachments" multiple aria-invalid="true""#),
            "{html}"
        );
        // What was typed before the file is kept; nothing is written.
        assert!(html.contains(">two files</textarea>"), "{html}");
        assert_eq!(site.count("files"), 0);
        assert_eq!(site.record("R-1").events.len(), 1);

        let form = multipart(
            &[("password", PASSWORD)],
            &[("huge.bin", "application/octet-stream", &[0u8; 5000])],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body(r).await.contains("`huge.bin`"));
        assert_eq!(site.count("files"), 0);

        // Within the limit it signs.
        let form = multipart(
            &[("password", PASSWORD)],
            &[("small.bin", "application/octet-stream", &[3u8; 900])],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert_eq!(site.count("files"), 1);
    });
}

#[test]
fn a_changed_file_is_not_handed_back() {
    block_on(async {
        let site = Site::attach(procdoc::web::DEFAULT_MAX_UPLOAD);
        let cs = site.sign_in("cs").await;
        let form = multipart(
            &[("password", PASSWORD)],
            &[("report.txt", "text/plain", b"measured 12.5")],
        );
        let r = site.post_multipart(STEP, form, &cs).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        rusqlite::Connection::open(site.db())
            .unwrap()
            .execute("UPDATE files SET bytes = x'00'", [])
            .unwrap();
        let link = format!("/runs/R-1/attachments/{}", sha256(b"measured 12.5"));
        let r = site.get(&link, Some(&cs)).await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    });
}
