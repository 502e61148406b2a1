//! Read-and-confirm of released revisions ([`app::training`]): the tasks derived from the
//! register, the users and their training records; confirming; the department listing; and
//! `training: required` stopping signatures on revisions a user has not confirmed.

mod common;
use common::app::{PASSWORD, add_user};
#[path = "common/releases.rs"]
mod releases;

use std::path::{Path, PathBuf};

use procdoc::app::training;
use procdoc::app::users;
use procdoc::app::{self, RefusalKind, RunRef, SignStep, StartRun};
use procdoc::run::accounts::{Accounts, Role, User};
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use procdoc::spec::load::Qms;

const DOC: &str = "QA-P-001";

struct Env {
    dir: tempfile::TempDir,
    qms: Qms,
    store: SqliteStore,
}

impl Env {
    /// The factory fixture (QA-P-001, in which QA, PROD, CS and GM act) with one more
    /// department, LOG, that acts in nothing; `settings` edits its procdoc.yaml.
    fn new(settings: impl Fn(String) -> String) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("qms");
        common::copy_dir(Path::new("tests/fixtures/run/factory"), &root);
        let file = root.join("procdoc.yaml");
        let text = std::fs::read_to_string(&file).unwrap().replacen(
            "  - { code: GM, name: General Manager }\n",
            "  - { code: GM, name: General Manager }\n  - { code: LOG, name: Logistics }\n",
            1,
        );
        std::fs::write(&file, settings(text)).unwrap();
        let store = SqliteStore::create(&dir.path().join("runs.sqlite")).unwrap();
        let (qms, _) = procdoc::spec::load::load(&root).unwrap();
        Env { dir, qms, store }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("qms")
    }

    /// Releases the working revision and reloads the QMS.
    fn release(&mut self, at: &str) -> String {
        let revision = releases::release(&self.root(), DOC, at, None);
        self.qms = procdoc::spec::load::load(&self.root()).unwrap().0;
        revision
    }

    fn user(&mut self, login: &str, depts: &[&str], role: Role) -> User {
        add_user(
            &mut self.store,
            &["QA", "PROD", "CS", "GM", "LOG"],
            login,
            &format!("Printed {login}"),
            depts,
            role,
        )
    }

    fn tasks(&self, user: &User) -> Vec<String> {
        training::read_tasks(&self.store, &self.qms, user, "en")
            .unwrap()
            .into_iter()
            .map(|t| format!("{}@{}", t.doc, t.revision))
            .collect()
    }

    fn confirm(&mut self, user: &User, revision: &str) -> Result<(), app::Refusal> {
        training::confirm(
            &mut self.store,
            &self.qms,
            user,
            DOC,
            revision,
            clock::system_now(),
        )
        .map(|_| ())
    }

    fn start(&mut self, reference: &str) {
        app::start_run(
            &mut self.store,
            &self.qms,
            &[],
            &StartRun {
                doc: DOC.into(),
                flow: Some("inspection".into()),
                reference: reference.into(),
                at: Some("2026-03-02 09:00".into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|r| panic!("start {reference}: {r}"));
    }

    fn sign(&mut self, user: &User, reference: &str) -> Result<app::Completed, app::Refusal> {
        let request = SignStep {
            step: "inspect".into(),
            outcome: Some("Pass".into()),
            check: Some("all".into()),
            fields: vec![
                "inspection-report.lot=L1".into(),
                "inspection-report.measured=12".into(),
            ],
            ..Default::default()
        };
        app::sign_step(
            &mut self.store,
            &self.qms,
            user,
            PASSWORD,
            &RunRef::new(reference),
            &request,
        )
    }

    fn events(&mut self, reference: &str) -> usize {
        app::show_run(&mut self.store, None, &RunRef::new(reference), None, 3600)
            .unwrap()
            .events
            .len()
    }
}

fn required(text: String) -> String {
    format!("{text}training: required\n")
}

#[test]
fn a_release_gives_a_task_to_every_active_user_of_a_department_acting_in_it() {
    let mut env = Env::new(|t| t);
    let qa = env.user("qa", &["QA"], Role::Staff);
    let gm = env.user("gm", &["GM"], Role::Quality);
    let log = env.user("log", &["LOG"], Role::Staff);
    let gone = env.user("gone", &["CS"], Role::Staff);
    users::disable_user(&mut env.store, "gone").unwrap();
    let gone = User {
        disabled: true,
        ..gone
    };
    // Nothing released yet: nothing to read.
    assert!(env.tasks(&qa).is_empty());

    env.release("2026-03-01T01:00:00Z");
    assert_eq!(env.tasks(&qa), ["QA-P-001@A"]);
    // GM only releases (a step's `by`), whatever the role.
    assert_eq!(env.tasks(&gm), ["QA-P-001@A"]);
    // LOG acts in no flow; a disabled account has no work.
    assert!(env.tasks(&log).is_empty());
    assert!(env.tasks(&gone).is_empty());

    let task = &training::read_tasks(&env.store, &env.qms, &qa, "en").unwrap()[0];
    assert_eq!(task.title, "Inspection and delivery");
    assert_eq!(task.effective, "2025-10-01");
    assert_eq!(task.pdf, "QA-P-001-revA.pdf");
}

#[test]
fn confirming_removes_the_task_once_and_only_the_current_revision() {
    let mut env = Env::new(|t| t);
    let qa = env.user("qa", &["QA"], Role::Staff);
    let qa2 = env.user("qa2", &["QA"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");

    env.confirm(&qa, "A").unwrap();
    assert!(env.tasks(&qa).is_empty());
    assert_eq!(
        env.tasks(&qa2),
        ["QA-P-001@A"],
        "only the confirmer's task goes"
    );
    let stored = env.store.training(Some(qa.id)).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].doc.as_str(), stored[0].revision.as_str()),
        (DOC, "A")
    );

    let twice = env.confirm(&qa, "A").unwrap_err();
    assert_eq!(twice.kind, RefusalKind::Conflict);
    assert!(twice.message.contains("already"), "{twice}");
    assert_eq!(
        env.store.training(Some(qa.id)).unwrap(),
        stored,
        "first time kept"
    );

    let wrong = env.confirm(&qa2, "Z").unwrap_err();
    assert_eq!(wrong.kind, RefusalKind::Refused);
    assert!(
        wrong
            .about("revision")
            .is_some_and(|p| p.message.contains("confirm revision A")),
        "{wrong:?}"
    );
    let unknown = training::confirm(
        &mut env.store,
        &env.qms,
        &qa2,
        "NO-SUCH",
        "A",
        clock::system_now(),
    )
    .unwrap_err();
    assert_eq!(unknown.kind, RefusalKind::NotFound);

    // A new revision: a new task for everyone, and the old one can no longer be confirmed.
    releases::revise(&env.root().join("QA-P-001.yaml"), "A", "B");
    env.release("2026-04-01T01:00:00Z");
    assert_eq!(env.tasks(&qa), ["QA-P-001@B"]);
    let old = env.confirm(&qa2, "A").unwrap_err();
    assert_eq!(old.kind, RefusalKind::Refused);
    assert!(old.message.contains("confirm revision B"), "{old}");
    assert!(env.store.training(Some(qa2.id)).unwrap().is_empty());
}

#[test]
fn the_department_listing_names_who_confirmed_and_who_is_missing() {
    let mut env = Env::new(|t| t);
    let boss = env.user("boss", &["QA"], Role::Quality);
    let qa = env.user("qa", &["QA"], Role::Staff);
    env.user("qa2", &["QA"], Role::Staff);
    env.user("log", &["LOG"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");
    env.confirm(&qa, "A").unwrap();

    let all = training::department_training(&env.store, &env.qms, Some(&boss), None, "en").unwrap();
    let codes: Vec<&str> = all.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["QA", "PROD", "CS", "GM"], "LOG acts in nothing");
    let qa_dept = &all[0];
    assert_eq!(qa_dept.people, 3);
    let rev = &qa_dept.revisions[0];
    assert_eq!(
        (rev.revision.doc.as_str(), rev.revision.revision.as_str()),
        (DOC, "A")
    );
    let confirmed: Vec<&str> = rev
        .confirmed
        .iter()
        .map(|c| c.person.login.as_str())
        .collect();
    assert_eq!(confirmed, ["qa"]);
    assert!(
        rev.confirmed[0].at.local.len() == 16,
        "{:?}",
        rev.confirmed[0].at
    );
    let missing: Vec<&str> = rev.missing.iter().map(|p| p.login.as_str()).collect();
    assert_eq!(missing, ["boss", "qa2"]);

    let one = training::department_training(&env.store, &env.qms, None, Some("QA"), "en").unwrap();
    assert_eq!(one.len(), 1);
    let unknown =
        training::department_training(&env.store, &env.qms, None, Some("XX"), "en").unwrap_err();
    assert!(unknown.about("dept").is_some(), "{unknown:?}");
    let staff =
        training::department_training(&env.store, &env.qms, Some(&qa), None, "en").unwrap_err();
    assert_eq!(staff.kind, RefusalKind::Forbidden);

    let own = training::own_records(&env.store, &env.qms, &qa, "en").unwrap();
    assert_eq!(own.len(), 1);
    assert!(own[0].current && own[0].title == "Inspection and delivery");
}

#[test]
fn training_required_blocks_signing_until_the_revision_is_confirmed() {
    let mut env = Env::new(required);
    let qa = env.user("qa", &["QA"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");
    env.start("LOT-1");
    let before = env.events("LOT-1");

    let r = env.sign(&qa, "LOT-1").unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);
    assert_eq!(r.kind.http_status(), 403);
    assert!(
        r.message
            .contains("has not confirmed revision A of QA-P-001")
            && r.message.contains("QA-P-001-revA.pdf"),
        "{r}"
    );
    assert_eq!(env.events("LOT-1"), before, "nothing written");
    let blocked = training::blocked_signing(&env.store, &env.qms, &qa, DOC, "A", "en").unwrap();
    assert_eq!(blocked.map(|b| b.revision), Some("A".to_string()));

    env.confirm(&qa, "A").unwrap();
    assert!(
        training::blocked_signing(&env.store, &env.qms, &qa, DOC, "A", "en")
            .unwrap()
            .is_none()
    );
    let done = env.sign(&qa, "LOT-1").unwrap();
    assert_eq!(done.login.as_deref(), Some("qa"));
    assert!(env.events("LOT-1") > before);
}

#[test]
fn a_name_typed_for_an_account_is_blocked_by_training_as_its_signature_is() {
    let mut env = Env::new(required);
    let qa = env.user("qa", &["QA"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");
    env.start("LOT-1");
    let request = app::DoneRequest {
        step: "inspect".into(),
        by: "Printed qa".into(),
        outcome: Some("Pass".into()),
        check: Some("all".into()),
        fields: vec![
            "inspection-report.lot=L1".into(),
            "inspection-report.measured=12".into(),
        ],
        ..Default::default()
    };
    let named = |env: &mut Env| {
        app::complete_named(
            &mut env.store,
            Some(&env.qms),
            &RunRef::new("LOT-1"),
            &request,
            Some("2026-03-02 10:00"),
        )
    };
    let r = named(&mut env).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Forbidden);
    assert!(
        r.message
            .contains("has not confirmed revision A of QA-P-001"),
        "{r}"
    );
    env.confirm(&qa, "A").unwrap();
    let done = named(&mut env).unwrap();
    assert_eq!(done.login.as_deref(), Some("qa"));
    assert_eq!(done.by, "Printed qa");
}

#[test]
fn a_later_confirmed_release_covers_runs_of_an_older_one() {
    let mut env = Env::new(required);
    let qa = env.user("qa", &["QA"], Role::Staff);
    let qa2 = env.user("qa2", &["QA"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");
    env.start("LOT-A");
    env.start("LOT-A2");
    releases::revise(&env.root().join("QA-P-001.yaml"), "A", "B");
    env.release("2026-04-01T01:00:00Z");

    // qa2 joined after B: A can no longer be confirmed, B covers runs of A.
    env.confirm(&qa2, "B").unwrap();
    env.sign(&qa2, "LOT-A").unwrap();
    // qa confirmed nothing: refused, and told to confirm the current revision.
    let r = env.sign(&qa, "LOT-A2").unwrap_err();
    assert!(
        r.message.contains("revision B") && r.message.contains("follows revision A"),
        "{r}"
    );
}

#[test]
fn without_the_setting_signing_is_not_blocked() {
    let mut env = Env::new(|t| t);
    let qa = env.user("qa", &["QA"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");
    env.start("LOT-1");
    env.sign(&qa, "LOT-1").unwrap();
    assert_eq!(
        env.tasks(&qa),
        ["QA-P-001@A"],
        "the task stays until confirmed"
    );
}

#[test]
fn the_command_line_lists_who_is_missing_per_department() {
    let mut env = Env::new(|t| t);
    let qa = env.user("qa", &["QA"], Role::Staff);
    env.user("qa2", &["QA"], Role::Staff);
    env.user("cs", &["CS"], Role::Staff);
    env.release("2026-03-01T01:00:00Z");
    env.confirm(&qa, "A").unwrap();
    let list = |extra: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("procdoc")
            .unwrap()
            .args(["training", "list"])
            .args(extra)
            .arg("--qms")
            .arg(env.root())
            .arg("--db")
            .arg(env.dir.path().join("runs.sqlite"))
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = list(&[]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains(
            "QA Quality\n  QA-P-001 rev A (effective 2025-10-01): 1 of 2 confirmed; missing: qa2 (Printed qa2)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("CS Customer Service\n  QA-P-001 rev A (effective 2025-10-01): 0 of 1 confirmed; missing: cs (Printed cs)\n"),
        "{out}"
    );
    assert!(!out.contains("LOG"), "{out}");
    let (code, out, _) = list(&["--dept", "CS"]);
    assert_eq!(code, Some(0));
    assert!(!out.contains("QA Quality"), "{out}");
    let (code, _, err) = list(&["--dept", "XX"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no department `XX`"), "{err}");
}
