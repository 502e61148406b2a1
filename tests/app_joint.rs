//! Signing a step signed by several departments, and a decision taken from a field, as
//! signed-in users through the application layer the web server and the API use.

mod common;
use common::app::{PASSWORD, add_user, step};
use common::copy_dir;

use std::path::Path;

use procdoc::app::{self, RefusalKind, RunRef, SignStep, StartRun};
use procdoc::run::accounts::{Role, User};
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use procdoc::spec::load::Qms;

struct Env {
    _dir: tempfile::TempDir,
    qms: Qms,
    diagnostics: Vec<procdoc::check::diagnostic::Diagnostic>,
    store: SqliteStore,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("qms");
        copy_dir(Path::new("tests/fixtures/run/joint"), &root);
        let (qms, diagnostics) = procdoc::cli::load_and_check(&root).expect("fixture loads");
        let store = SqliteStore::create(&dir.path().join("runs.sqlite")).unwrap();
        Env {
            _dir: dir,
            qms,
            diagnostics,
            store,
        }
    }

    fn user(&mut self, login: &str, name: &str, depts: &[&str]) -> User {
        add_user(
            &mut self.store,
            &["QA", "PROD", "ENG"],
            login,
            name,
            depts,
            Role::Staff,
        )
    }

    fn sign(&mut self, user: &User, request: &SignStep) -> Result<app::Completed, app::Refusal> {
        app::sign_step(
            &mut self.store,
            &self.qms,
            user,
            PASSWORD,
            &RunRef::new("CA-9"),
            request,
        )
    }

    fn form(&mut self, user: &User, step: &str) -> app::StepForm {
        app::step_form(&mut self.store, user, &RunRef::new("CA-9"), step, "en").unwrap()
    }
}

#[test]
fn each_department_signs_once_and_the_form_offers_only_those_still_to_sign() {
    let mut env = Env::new();
    let helen = env.user("helen", "Helen Clarke", &["QA"]);
    let both = env.user("wu", "Wu Gang", &["QA", "PROD"]);
    let zhao = env.user("zhao", "Zhao Lei", &["ENG"]);
    app::start_run(
        &mut env.store,
        &env.qms,
        &env.diagnostics,
        &StartRun {
            doc: "QA-P-010".into(),
            reference: "CA-9".into(),
            ..Default::default()
        },
    )
    .unwrap();

    // The form of a decision on a field offers no outcome of its own, and prints the range.
    let form = env.form(&helen, "classify");
    assert!(form.outcomes.is_empty());
    let score = &form.records[0].fields[1];
    assert_eq!(score.range.as_deref(), Some("1 to 10"));
    let refused = env
        .sign(
            &helen,
            &SignStep {
                fields: vec!["capa.category=Major".into(), "capa.score=0".into()],
                ..step("classify")
            },
        )
        .unwrap_err();
    assert_eq!(
        refused.problems[0].field.as_deref(),
        Some("fields.capa.score"),
        "{refused}"
    );
    let done = env
        .sign(
            &helen,
            &SignStep {
                fields: vec!["capa.category=Major".into()],
                ..step("classify")
            },
        )
        .unwrap();
    assert_eq!(done.outcome.as_deref(), Some("Major"));

    let offered = |form: &app::StepForm| -> Vec<String> {
        form.sign_for.iter().map(|s| s.code.clone()).collect()
    };
    assert_eq!(offered(&env.form(&both, "approve")), ["QA", "PROD"]);
    let done = env.sign(&helen, &step("approve")).unwrap();
    assert_eq!(done.acting_for.as_deref(), Some("QA"));
    assert_eq!(done.to_sign, ["PROD", "ENG"]);
    assert_eq!(offered(&env.form(&both, "approve")), ["PROD"]);

    // The same person may not sign for a second department.
    let refused = env
        .sign(
            &helen,
            &SignStep {
                acting_for: Some("QA".into()),
                ..step("approve")
            },
        )
        .unwrap_err();
    assert!(refused.message.contains("already signed"), "{refused}");

    // The inbox shows the step to each department still to sign, not to QA any more.
    let inbox = app::inbox(
        Some(&mut env.store),
        &["QA".to_string(), "ENG".to_string()],
        &[],
        clock::system_now(),
    )
    .unwrap();
    let approve: Vec<&app::InboxItem> =
        inbox.items.iter().filter(|i| i.step == "approve").collect();
    assert_eq!(approve.len(), 1);
    assert_eq!(approve[0].depts, ["ENG"]);

    let done = env.sign(&both, &step("approve")).unwrap();
    assert_eq!(done.acting_for.as_deref(), Some("PROD"));
    let refused = env.sign(&zhao, &step("approve")).unwrap_err();
    assert_eq!(refused.kind, RefusalKind::Refused, "{refused}");
    assert!(refused.message.contains("unticked"), "{refused}");
    let done = env
        .sign(
            &zhao,
            &SignStep {
                check: Some("all".into()),
                ..step("approve")
            },
        )
        .unwrap();
    assert!(done.to_sign.is_empty());
    assert_eq!(done.progress.active[0].step, "close");

    let record = app::show_run(
        &mut env.store,
        Some(&env.qms),
        &RunRef::new("CA-9"),
        None,
        3600,
    )
    .unwrap();
    let approve = record.steps.iter().find(|s| s.id == "approve").unwrap();
    let it = &approve.iterations[0];
    let signers: Vec<(Option<String>, Option<String>)> = it
        .signed
        .iter()
        .chain(it.completed.as_ref())
        .map(|s| {
            (
                s.login.clone(),
                s.acting_for.as_ref().map(|a| a.code.clone()),
            )
        })
        .collect();
    assert_eq!(
        signers,
        [
            (Some("helen".into()), Some("QA".into())),
            (Some("wu".into()), Some("PROD".into())),
            (Some("zhao".into()), Some("ENG".into())),
        ]
    );
    assert!(it.to_sign.is_empty());
}
