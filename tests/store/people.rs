//! Users, sessions, tokens, sign-in failures, training, files and e-mail digests on each
//! backend.

use chrono::{DateTime, Duration, TimeZone, Utc};
use procdoc::run::accounts::{Accounts, NewUser, Role, Session, TrainingRecord, UserId};
use procdoc::run::attachments::{Attachments, sha256_hex};
use procdoc::run::notices::Notices;
use procdoc::run::store::{AnyStore, Store, StoreError};

use crate::harness::Backend;

fn moment(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
}

fn new_user(login: &str, departments: &[&str]) -> NewUser {
    NewUser {
        login: login.to_string(),
        name: format!("{login} 王"),
        departments: departments.iter().map(|d| d.to_string()).collect(),
        role: Role::Staff,
        password: None,
        // Sub-second parts are not kept by either store.
        created_at: moment(9, 0) + Duration::milliseconds(250),
    }
}

fn two_users(store: &mut AnyStore) -> (UserId, UserId) {
    let qi = store
        .add_user(&new_user("qi", &["QA", "PRD", "QA"]))
        .unwrap();
    let wu = store.add_user(&new_user("wu", &[])).unwrap();
    (qi, wu)
}

pub fn users_are_kept_with_their_departments(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let zed = store.add_user(&new_user("zed", &["CS"])).unwrap();
    let (qi, _) = two_users(&mut store);
    let taken = store.add_user(&new_user("qi", &["QA"])).err();
    assert!(
        matches!(&taken, Some(StoreError::DuplicateLogin(l)) if l == "qi"),
        "{taken:?}"
    );
    // Inside a writing transaction too, and the transaction stays usable.
    store.begin(true).unwrap();
    assert!(store.add_user(&new_user("qi", &[])).is_err());
    store.add_user(&new_user("ann", &["QA"])).unwrap();
    store.commit().unwrap();

    let user = store.user_by_login("qi").unwrap().unwrap();
    assert_eq!(user.id, qi);
    assert_eq!(user.name, "qi 王");
    assert_eq!(user.departments, ["QA", "PRD"]);
    assert_eq!(user.role, Role::Staff);
    assert_eq!(user.created_at, moment(9, 0));
    assert_eq!(
        (user.password, user.disabled, user.language, user.email),
        (None, false, None, None)
    );
    let logins: Vec<String> = store
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(logins, ["ann", "qi", "wu", "zed"]);

    store.set_disabled(zed, true).unwrap();
    store.set_password(zed, "$argon2id$v=19$x").unwrap();
    store.set_language(zed, Some("zh")).unwrap();
    store.set_email(zed, Some("zed@example.com")).unwrap();
    let zed_now = store.user(zed).unwrap().unwrap();
    assert!(zed_now.disabled);
    assert_eq!(zed_now.password.as_deref(), Some("$argon2id$v=19$x"));
    assert_eq!(zed_now.language.as_deref(), Some("zh"));
    assert_eq!(zed_now.email.as_deref(), Some("zed@example.com"));
    store.set_language(zed, None).unwrap();
    store.set_email(zed, None).unwrap();
    let zed_now = store.user(zed).unwrap().unwrap();
    assert_eq!((zed_now.language, zed_now.email), (None, None));
    assert_eq!(store.user(UserId(9999)).unwrap(), None);
    assert_eq!(store.user_by_login("nobody").unwrap(), None);
}

pub fn sessions_tokens_and_failures(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let (qi, wu) = two_users(&mut store);
    let session = |user, at| Session {
        user,
        created_at: at,
        last_seen: at,
    };
    store.add_session("d1", &session(qi, moment(9, 0))).unwrap();
    store.add_session("d2", &session(qi, moment(9, 5))).unwrap();
    store.add_session("d3", &session(wu, moment(8, 0))).unwrap();
    store
        .touch_session("d1", moment(10, 0) + Duration::milliseconds(900))
        .unwrap();
    assert_eq!(
        store.session("d1").unwrap(),
        Some(Session {
            user: qi,
            created_at: moment(9, 0),
            last_seen: moment(10, 0)
        })
    );
    assert_eq!(store.remove_idle_sessions(moment(9, 1)).unwrap(), 1);
    assert_eq!(store.session("d3").unwrap(), None);
    store.remove_session("d2").unwrap();
    assert_eq!(store.session("d2").unwrap(), None);
    store.remove_sessions_of(qi).unwrap();
    assert_eq!(store.session("d1").unwrap(), None);

    store.add_token("t1", wu, moment(9, 0)).unwrap();
    assert_eq!(store.token_user("t1").unwrap(), Some(wu));
    assert_eq!(store.token_user("t2").unwrap(), None);

    assert_eq!(store.failures("qi").unwrap(), None);
    store.add_failure("qi", moment(9, 0)).unwrap();
    store.add_failure("qi", moment(9, 2)).unwrap();
    store.add_failure("ghost", moment(9, 3)).unwrap();
    let failures = store.failures("qi").unwrap().unwrap();
    assert_eq!((failures.count, failures.last), (2, moment(9, 2)));
    store.clear_failures("qi").unwrap();
    assert_eq!(store.failures("qi").unwrap(), None);
    assert_eq!(store.failures("ghost").unwrap().map(|f| f.count), Some(1));
}

pub fn training_records_keep_the_first_confirmation(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let (qi, wu) = two_users(&mut store);
    let record = |user, doc: &str, revision: &str, at| TrainingRecord {
        user,
        doc: doc.to_string(),
        revision: revision.to_string(),
        at,
    };
    store
        .add_training(&record(wu, "QA-P-002", "A", moment(9, 0)))
        .unwrap();
    store
        .add_training(&record(qi, "QA-P-001", "B", moment(9, 1)))
        .unwrap();
    store
        .add_training(&record(qi, "QA-P-001", "B", moment(11, 0)))
        .unwrap();
    store
        .add_training(&record(qi, "QA-P-002", "A", moment(9, 2)))
        .unwrap();
    let all = store.training(None).unwrap();
    assert_eq!(
        all,
        [
            record(qi, "QA-P-001", "B", moment(9, 1)),
            record(qi, "QA-P-002", "A", moment(9, 2)),
            record(wu, "QA-P-002", "A", moment(9, 0)),
        ]
    );
    assert_eq!(
        store.training(Some(wu)).unwrap(),
        [record(wu, "QA-P-002", "A", moment(9, 0))]
    );
}

pub fn files_are_kept_once_by_their_digest(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let bytes: Vec<u8> = (0..=255u8).chain(b"%PDF\0".iter().copied()).collect();
    let sha = sha256_hex(&bytes);
    store.keep_file(&sha, &bytes).unwrap();
    store
        .keep_file(&sha, b"other bytes under the same key are not kept")
        .unwrap();
    assert_eq!(store.file(&sha).unwrap(), Some(bytes));
    assert_eq!(store.file(&sha256_hex(b"x")).unwrap(), None);
    store.keep_file(&sha256_hex(b""), b"").unwrap();
    assert_eq!(store.file(&sha256_hex(b"")).unwrap(), Some(Vec::new()));
}

pub fn digests_are_recorded_once_a_day(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let (qi, wu) = two_users(&mut store);
    assert!(!store.digest_sent(qi, "2026-03-02").unwrap());
    store
        .record_digest(qi, "2026-03-02", moment(8, 0), 3)
        .unwrap();
    store
        .record_digest(qi, "2026-03-02", moment(8, 5), 4)
        .unwrap();
    assert!(store.digest_sent(qi, "2026-03-02").unwrap());
    assert!(!store.digest_sent(qi, "2026-03-03").unwrap());
    assert!(!store.digest_sent(wu, "2026-03-02").unwrap());
}
