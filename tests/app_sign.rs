//! Signing a step as the signed-in user ([`app::sign_step`]): the password asked again,
//! who may sign (departments, parties recorded on their behalf), `not_by` on the signer's
//! identity, the meaning and the login recorded, and the first of two signers winning.

mod common;
use common::app::{PASSWORD, add_user, step};
use common::copy_dir;

use std::path::Path;

use procdoc::app::{self, RefusalKind, RunRef, SignStep, StartRun};
use procdoc::run::accounts::{Role, User};
use procdoc::run::store::SqliteStore;
use procdoc::spec::load::Qms;
use procdoc::spec::model::SignatureMeaning;

struct Env {
    _dir: tempfile::TempDir,
    qms: Qms,
    diagnostics: Vec<procdoc::check::diagnostic::Diagnostic>,
    store: SqliteStore,
}

impl Env {
    /// The factory fixture with `edit` applied to its procedure (owned by QA).
    fn new(edit: impl Fn(String) -> String) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("qms");
        copy_dir(Path::new("tests/fixtures/run/factory"), &root);
        let file = root.join("QA-P-001.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        let edited = edit(text.clone());
        std::fs::write(&file, &edited).unwrap();
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
            &["QA", "PROD", "CS", "GM"],
            login,
            name,
            depts,
            Role::Staff,
        )
    }

    fn start(&mut self, flow: &str, reference: &str) {
        app::start_run(
            &mut self.store,
            &self.qms,
            &self.diagnostics,
            &StartRun {
                doc: "QA-P-001".into(),
                flow: Some(flow.into()),
                reference: reference.into(),
                at: Some("2026-03-02 09:00".into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|r| panic!("start {reference}: {r}"));
    }

    fn sign(
        &mut self,
        user: &User,
        password: &str,
        reference: &str,
        request: &SignStep,
    ) -> Result<app::Completed, app::Refusal> {
        app::sign_step(
            &mut self.store,
            &self.qms,
            user,
            password,
            &RunRef::new(reference),
            request,
        )
    }

    fn record(&mut self, reference: &str) -> app::RunRecord {
        app::show_run(
            &mut self.store,
            Some(&self.qms),
            &RunRef::new(reference),
            None,
            3600,
        )
        .unwrap()
    }
}

fn inspection() -> SignStep {
    SignStep {
        outcome: Some("Pass".into()),
        check: Some("all".into()),
        fields: vec![
            "inspection-report.lot=L1".into(),
            "inspection-report.measured=12".into(),
        ],
        ..step("inspect")
    }
}

#[test]
fn a_wrong_password_or_a_foreign_department_writes_nothing() {
    let mut env = Env::new(|t| t);
    let qa = env.user("qi", "Qi Wen", &["QA"]);
    let log = env.user("lu", "Lu Chen", &["PROD", "CS"]);
    env.start("inspection", "LOT-1");
    let before = env.record("LOT-1").events.len();

    let r = env
        .sign(&qa, "not the password", "LOT-1", &inspection())
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    assert!(r.about("password").is_some(), "{r:?}");

    let r = env
        .sign(&log, PASSWORD, "LOT-1", &inspection())
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);
    assert_eq!(r.kind.http_status(), 403);
    assert!(
        r.message.contains("Lu Chen (lu) may not sign step inspect")
            && r.message.contains("PROD, CS"),
        "{r}"
    );
    // Naming a department of the step one does not belong to is forbidden too.
    let request = SignStep {
        acting_for: Some("QA".into()),
        ..inspection()
    };
    let r = env.sign(&log, PASSWORD, "LOT-1", &request).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);
    assert!(r.about("as").is_some(), "{r:?}");

    let mut disabled = qa.clone();
    disabled.disabled = true;
    let r = env
        .sign(&disabled, PASSWORD, "LOT-1", &inspection())
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);

    assert_eq!(env.record("LOT-1").events.len(), before);
}

#[test]
fn the_signature_records_login_name_department_and_meaning() {
    let mut env = Env::new(|t| {
        t.replacen(
            "        not_by: [inspect]\n",
            "        not_by: [inspect]\n        signature: approved\n",
            1,
        )
    });
    let qi = env.user("qi", "Qi Wen", &["QA"]);
    let boss = env.user("wang", "Wang Li", &["QA", "GM"]);
    env.start("inspection", "LOT-1");

    let done = env.sign(&qi, PASSWORD, "LOT-1", &inspection()).unwrap();
    assert_eq!(
        (done.by.as_str(), done.login.as_deref()),
        ("Qi Wen", Some("qi"))
    );
    assert_eq!(done.acting_for.as_deref(), Some("QA"));
    assert_eq!(done.meaning, Some(SignatureMeaning::Performed));
    assert!(!done.on_behalf);

    // Two departments of the step: the signer says which one they act for.
    let r = env
        .sign(&boss, PASSWORD, "LOT-1", &step("release"))
        .unwrap_err();
    assert!(
        r.about("as").is_some_and(|p| p.message.contains("QA, GM")),
        "{r:?}"
    );
    let request = SignStep {
        acting_for: Some("GM".into()),
        ..step("release")
    };
    let done = env.sign(&boss, PASSWORD, "LOT-1", &request).unwrap();
    assert_eq!(done.meaning, Some(SignatureMeaning::Approved));
    assert_eq!(done.acting_for.as_deref(), Some("GM"));

    let record = env.record("LOT-1");
    let release = record.steps.iter().find(|s| s.id == "release").unwrap();
    let sig = release.iterations[0].completed.as_ref().unwrap();
    assert_eq!(sig.by.as_deref(), Some("Wang Li"));
    assert_eq!(sig.login.as_deref(), Some("wang"));
    assert_eq!(sig.meaning, Some("approved"));
    assert_eq!(record.timezone, "Asia/Shanghai");
    let text =
        procdoc::run::checklist::render(&record, procdoc::run::checklist::Paint { on: false });
    assert!(
        text.contains("by Wang Li (wang) for GM (approved)"),
        "{text}"
    );
    assert!(text.contains("times in Asia/Shanghai"), "{text}");
    // The chain with the new data still verifies.
    assert!(record.chain.intact, "{:?}", record.chain);
}

#[test]
fn not_by_compares_the_signed_in_identity() {
    let mut env = Env::new(|t| t);
    let qi = env.user("qi", "Qi Wen", &["QA"]);
    // The same printed name, another person (another login).
    let namesake = env.user("qi2", "Qi Wen", &["GM"]);
    env.start("inspection", "LOT-1");
    env.sign(&qi, PASSWORD, "LOT-1", &inspection()).unwrap();
    let before = env.record("LOT-1").events.len();

    let r = env
        .sign(&qi, PASSWORD, "LOT-1", &step("release"))
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    assert!(
        r.about("by")
            .is_some_and(|p| p.message.contains("not_by: inspect")),
        "{r:?}"
    );
    assert_eq!(env.record("LOT-1").events.len(), before);

    env.sign(&namesake, PASSWORD, "LOT-1", &step("release"))
        .unwrap();
}

#[test]
fn a_party_step_is_recorded_on_its_behalf_by_a_taking_part_department() {
    let mut env = Env::new(|t| {
        t.replacen(
            "        by: CUST\n",
            "        by: CUST\n        with: CS\n",
            1,
        )
    });
    let cs = env.user("cora", "Cora Sun", &["CS"]);
    let qa = env.user("qi", "Qi Wen", &["QA"]);
    let prod = env.user("pat", "Pat Ho", &["PROD"]);
    env.start("order", "SO-1");
    env.sign(&cs, PASSWORD, "SO-1", &step("receive")).unwrap();

    let r = env.sign(&prod, PASSWORD, "SO-1", &step("pay")).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);
    assert!(
        r.message.contains("on the party's behalf a user of CS, QA"),
        "{r}"
    );

    // CS takes part in the step (`with`); QA owns the procedure: either records it.
    let done = env.sign(&cs, PASSWORD, "SO-1", &step("pay")).unwrap();
    assert_eq!(done.acting_for.as_deref(), Some("CUST"));
    assert!(done.on_behalf);
    let record = env.record("SO-1");
    let pay = record.steps.iter().find(|s| s.id == "pay").unwrap();
    let sig = pay.iterations[0].completed.as_ref().unwrap();
    assert!(sig.on_behalf);
    let text =
        procdoc::run::checklist::render(&record, procdoc::run::checklist::Paint { on: false });
    assert!(
        text.contains("by Cora Sun (cora) on behalf of Customer (CUST)"),
        "{text}"
    );

    let mut env = Env::new(|t| t);
    let cs = env.user("cora", "Cora Sun", &["CS"]);
    let qa2 = env.user("qi", "Qi Wen", &["QA"]);
    env.start("order", "SO-2");
    env.sign(&cs, PASSWORD, "SO-2", &step("receive")).unwrap();
    // Without `with`, only the owner's department may.
    let r = env.sign(&cs, PASSWORD, "SO-2", &step("pay")).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);
    assert!(
        env.sign(&qa2, PASSWORD, "SO-2", &step("pay"))
            .unwrap()
            .on_behalf
    );
    let _ = qa;
}

#[test]
fn of_two_signers_of_one_step_the_second_is_told_who_was_first() {
    let mut env = Env::new(|t| t);
    let qi = env.user("qi", "Qi Wen", &["QA"]);
    let yu = env.user("yu", "Yu Fang", &["QA"]);
    env.start("inspection", "LOT-1");
    env.sign(&qi, PASSWORD, "LOT-1", &inspection()).unwrap();
    let r = env.sign(&yu, PASSWORD, "LOT-1", &inspection()).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Conflict);
    assert_eq!(r.kind.http_status(), 409);
    assert!(
        r.about("step")
            .is_some_and(|p| p.message.contains("completed first, by Qi Wen")),
        "{r:?}"
    );
}
