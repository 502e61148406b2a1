//! Runs, events and the store chain on each backend.

use procdoc::run::audit::{Event, StoreHead};
use procdoc::run::store::{
    AnyStore, Filter, NewRun, OpenStep, RunId, Status, Store, StoreError, Summary,
};

use crate::harness::Backend;

pub fn new_run(reference: &str, flow: &str, started_at: &str) -> NewRun {
    NewRun {
        reference: reference.to_string(),
        doc: "QA-P-001".to_string(),
        flow: flow.to_string(),
        revision: "A".to_string(),
        fingerprint: "f".repeat(64),
        snapshot_hash: "5".repeat(64),
        snapshot: "{\"model\":\"快照\"}".to_string(),
        parent: None,
        period: None,
        started_at: started_at.to_string(),
    }
}

fn open_step(step: &str, dept: &str, due: Option<&str>) -> OpenStep {
    OpenStep {
        step: Some(step.to_string()),
        dept: Some(dept.to_string()),
        due: due.map(str::to_string),
    }
}

fn summary(open: Vec<OpenStep>) -> Summary {
    Summary {
        status: if open.is_empty() {
            Status::Ended
        } else {
            Status::Open
        },
        outcome: None,
        ended_at: None,
        open,
        entry_gap: Some(0),
        changes_at: None,
    }
}

/// Appends one event to `run` (sealed after its last one, chained after the store head),
/// in a writing transaction of its own; returns it.
pub fn append(
    store: &mut AnyStore,
    run: RunId,
    kind: &str,
    data: &str,
    open: Vec<OpenStep>,
) -> Result<Event, StoreError> {
    store.begin(true)?;
    let result = (|| {
        let row = store.load(run)?.expect("the run exists").row;
        let head = store.head()?.expect("a head");
        let mut event = Event::seal(
            &row.chain_key(),
            row.events + 1,
            &row.head,
            "2026-03-02T10:00:00Z".to_string(),
            "2026-03-02T10:00:05Z".to_string(),
            Some("质检员 Qi".to_string()),
            kind,
            data.to_string(),
        );
        event.chain_after(&head);
        store.append(run, std::slice::from_ref(&event), &summary(open))?;
        Ok(event)
    })();
    match result {
        Ok(e) => {
            store.commit()?;
            Ok(e)
        }
        Err(e) => {
            store.rollback()?;
            Err(e)
        }
    }
}

fn start(store: &mut AnyStore, run: &NewRun) -> Result<RunId, StoreError> {
    store.begin(true)?;
    match store.start(run) {
        Ok(id) => {
            store.commit()?;
            Ok(id)
        }
        Err(e) => {
            store.rollback()?;
            Err(e)
        }
    }
}

pub fn a_reference_is_taken_once_per_flow(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let first = start(
        &mut store,
        &new_run("LOT-1", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    let again = start(
        &mut store,
        &new_run("LOT-1", "inspection", "2026-03-02T09:05:00Z"),
    );
    assert!(
        matches!(&again, Err(StoreError::Duplicate { reference, .. }) if reference == "LOT-1"),
        "{:?}",
        again.err()
    );
    // Another flow may use the reference, and so may a child run of the first.
    start(
        &mut store,
        &new_run("LOT-1", "release", "2026-03-02T09:10:00Z"),
    )
    .unwrap();
    let child = NewRun {
        parent: Some(first),
        ..new_run("LOT-1", "inspection", "2026-03-02T09:15:00Z")
    };
    start(&mut store, &child).unwrap();
    let twin = start(&mut store, &child);
    assert!(
        matches!(twin, Err(StoreError::Duplicate { .. })),
        "{twin:?}"
    );
    assert_eq!(store.list(&Filter::default()).unwrap().len(), 3);
}

pub fn a_refused_start_leaves_the_transaction_usable(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    store.begin(true).unwrap();
    store
        .start(&new_run("A", "inspection", "2026-03-02T09:00:00Z"))
        .unwrap();
    let dup = store.start(&new_run("A", "inspection", "2026-03-02T09:00:00Z"));
    assert!(matches!(dup, Err(StoreError::Duplicate { .. })), "{dup:?}");
    // PostgreSQL aborts a transaction on a failed statement; the store must not let one.
    store
        .start(&new_run("B", "inspection", "2026-03-02T09:01:00Z"))
        .unwrap();
    store.commit().unwrap();
    let refs: Vec<String> = store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.reference)
        .collect();
    assert_eq!(refs, ["A", "B"]);
}

pub fn events_round_trip_byte_for_byte(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let reference = "批次-甲 😀 ü";
    let id = start(
        &mut store,
        &new_run(reference, "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    let data = "{\"note\":\"外观合格 — ok\",\"tab\":\"\\t\",\"nul\":\"\\u0000\"}";
    let first = append(
        &mut store,
        id,
        "completed",
        data,
        vec![open_step("release", "QA", None)],
    )
    .unwrap();
    let second = append(&mut store, id, "note", "{}", vec![]).unwrap();
    let loaded = store.load(id).unwrap().unwrap();
    assert_eq!(loaded.row.reference, reference);
    assert_eq!(loaded.snapshot.as_deref(), Some("{\"model\":\"快照\"}"));
    assert_eq!(loaded.events, [first.clone(), second.clone()]);
    assert_eq!(loaded.row.events, 2);
    assert_eq!(loaded.row.head, second.hash);
    assert_eq!(loaded.row.status, Status::Ended);
    assert!(loaded.row.open.is_empty());
    let head = store.head().unwrap().unwrap();
    assert_eq!(
        head,
        StoreHead {
            count: 2,
            link: second.link.clone().unwrap()
        }
    );
    let entries = store.entries().unwrap();
    let places: Vec<(u64, u64, &str)> = entries
        .iter()
        .map(|e| (e.pos, e.n, e.hash.as_str()))
        .collect();
    assert_eq!(
        places,
        [(1, 1, first.hash.as_str()), (2, 2, second.hash.as_str())]
    );
    assert!(entries.iter().all(|e| e.entered && e.run == id));
    let provenance = store.provenance().unwrap();
    assert_eq!(provenance.schema, procdoc::run::store::SCHEMA_VERSION);
    assert_eq!(provenance.upgraded, None);
}

/// The same events on both backends: the same hashes, links and head.
pub fn same_chain_on_both() {
    let mut chains = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = backend.fresh() else { return };
        let mut store = db.create();
        let a = start(
            &mut store,
            &new_run("甲-1", "inspection", "2026-03-02T09:00:00Z"),
        )
        .unwrap();
        let b = start(
            &mut store,
            &new_run("B-2", "inspection", "2026-03-02T09:01:00Z"),
        )
        .unwrap();
        append(&mut store, a, "completed", "{\"x\":\"一\"}", vec![]).unwrap();
        append(&mut store, b, "completed", "{\"x\":2}", vec![]).unwrap();
        append(&mut store, a, "note", "{\"x\":\"三\"}", vec![]).unwrap();
        let entries: Vec<(u64, u64, String, Option<String>)> = store
            .entries()
            .unwrap()
            .into_iter()
            .map(|e| (e.pos, e.n, e.hash, e.link))
            .collect();
        let events = store.load(a).unwrap().unwrap().events;
        chains.push((store.head().unwrap(), entries, events));
        drop(store);
        drop(db);
    }
    assert_eq!(chains[0], chains[1]);
}

pub fn a_run_that_gained_events_refuses_a_stale_append(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let id = start(
        &mut store,
        &new_run("LOT-1", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    // Two events sealed against the same state: the second to be written is refused.
    let row = store.load(id).unwrap().unwrap().row;
    let head = store.head().unwrap().unwrap();
    let seal = |data: &str| {
        let mut e = Event::seal(
            &row.chain_key(),
            1,
            &row.head,
            "2026-03-02T10:00:00Z".into(),
            "2026-03-02T10:00:00Z".into(),
            None,
            "completed",
            data.into(),
        );
        e.chain_after(&head);
        e
    };
    let (one, two) = (seal("{\"a\":1}"), seal("{\"a\":2}"));
    store.begin(true).unwrap();
    store
        .append(id, std::slice::from_ref(&one), &summary(vec![]))
        .unwrap();
    store.commit().unwrap();
    store.begin(true).unwrap();
    let stale = store.append(id, &[two], &summary(vec![]));
    store.rollback().unwrap();
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    // An event of another run chained after a store head that has moved on: refused too.
    let other = start(
        &mut store,
        &new_run("LOT-2", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    let row2 = store.load(other).unwrap().unwrap().row;
    let mut late = Event::seal(
        &row2.chain_key(),
        1,
        &row2.head,
        "2026-03-02T10:00:00Z".into(),
        "2026-03-02T10:00:00Z".into(),
        None,
        "completed",
        "{}".into(),
    );
    late.chain_after(&head);
    store.begin(true).unwrap();
    let stale = store.append(other, &[late], &summary(vec![]));
    store.rollback().unwrap();
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(store.load(id).unwrap().unwrap().events, [one]);
    assert_eq!(store.head().unwrap().unwrap().count, 1);
    assert_eq!(store.entries().unwrap().len(), 1);
}

pub fn runs_are_listed_filtered_and_found_overdue(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    let late = start(
        &mut store,
        &new_run("B", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    let early = start(&mut store, &new_run("A", "release", "2026-03-01T09:00:00Z")).unwrap();
    let done = start(
        &mut store,
        &new_run("C", "inspection", "2026-03-03T09:00:00Z"),
    )
    .unwrap();
    append(
        &mut store,
        late,
        "planned",
        "{}",
        vec![
            open_step("inspect", "QA", Some("2026-03-05T09:00:00Z")),
            open_step("inspect", "PRD", Some("2026-03-04T09:00:00Z")),
        ],
    )
    .unwrap();
    append(
        &mut store,
        early,
        "planned",
        "{}",
        vec![open_step("release", "QA", Some("2026-03-10T09:00:00Z"))],
    )
    .unwrap();
    append(&mut store, done, "completed", "{}", vec![]).unwrap();
    let refs = |filter: &Filter| -> Vec<String> {
        store
            .list(filter)
            .unwrap()
            .into_iter()
            .map(|r| r.reference)
            .collect()
    };
    assert_eq!(refs(&Filter::default()), ["A", "B", "C"]);
    let open = Filter {
        status: Some(Status::Open),
        ..Default::default()
    };
    assert_eq!(refs(&open), ["A", "B"]);
    let prd = Filter {
        dept: Some("PRD".into()),
        ..Default::default()
    };
    assert_eq!(refs(&prd), ["B"]);
    let inspection = Filter {
        flow: Some("inspection".into()),
        reference: Some("C".into()),
        ..Default::default()
    };
    assert_eq!(refs(&inspection), ["C"]);
    let overdue = Filter {
        overdue_at: Some("2026-03-06T00:00:00Z".into()),
        ..Default::default()
    };
    assert_eq!(refs(&overdue), ["B"]);
    let listed = store.list(&Filter::default()).unwrap();
    assert_eq!(
        listed[1].open,
        [
            open_step("inspect", "QA", Some("2026-03-05T09:00:00Z")),
            open_step("inspect", "PRD", Some("2026-03-04T09:00:00Z")),
        ]
    );
    let found = store
        .overdue("2026-03-11T00:00:00Z", &Filter::default())
        .unwrap();
    let due: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|o| (o.reference.as_str(), o.open.dept.as_deref()))
        .collect();
    assert_eq!(
        due,
        [("B", Some("PRD")), ("B", Some("QA")), ("A", Some("QA"))]
    );
    let qa = store
        .overdue(
            "2026-03-11T00:00:00Z",
            &Filter {
                dept: Some("QA".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(qa.len(), 2);
    assert!(
        store
            .overdue("2026-03-04T09:00:00Z", &Filter::default())
            .unwrap()
            .is_empty()
    );
}

pub fn a_read_only_store_creates_nothing_and_refuses_writes(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    for _ in 0..2 {
        let missing = AnyStore::open(&db.db, false).err();
        assert!(
            matches!(missing, Some(StoreError::Missing(_))),
            "{missing:?}"
        );
    }
    let missing = AnyStore::open(&db.db, true).err();
    assert!(
        matches!(missing, Some(StoreError::Missing(_))),
        "{missing:?}"
    );
    let mut writer = db.create();
    start(
        &mut writer,
        &new_run("LOT-1", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    let mut reader = db.open(false);
    assert!(reader.begin(true).is_err());
    assert!(
        start(
            &mut reader,
            &new_run("LOT-2", "inspection", "2026-03-02T09:00:00Z")
        )
        .is_err()
    );
    use procdoc::run::accounts::{Accounts, UserId};
    assert!(reader.set_language(UserId(1), Some("zh")).is_err());
    // A reading transaction sees one state, and the reader sees the writer's commits.
    reader.begin(false).unwrap();
    assert_eq!(reader.list(&Filter::default()).unwrap().len(), 1);
    reader.rollback().unwrap();
    start(
        &mut writer,
        &new_run("LOT-3", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    assert_eq!(reader.list(&Filter::default()).unwrap().len(), 2);
}

pub fn a_newer_schema_is_refused(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    drop(db.create());
    db.sql(
        "PRAGMA user_version = 99",
        "UPDATE procdoc_schema SET version = 99",
    );
    for write in [false, true] {
        let refused = AnyStore::open(&db.db, write).err();
        match &refused {
            Some(e @ StoreError::TooNew { found: 99, .. }) => {
                assert!(e.to_string().contains("update procdoc"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        AnyStore::create(&db.db).err(),
        Some(StoreError::TooNew { found: 99, .. })
    ));
}

pub fn a_group_commit_keeps_what_its_commands_committed(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    store.begin_batch().unwrap();
    assert!(store.batch_open());
    start(
        &mut store,
        &new_run("A", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    let dup = start(
        &mut store,
        &new_run("A", "inspection", "2026-03-02T09:00:00Z"),
    );
    assert!(matches!(dup, Err(StoreError::Duplicate { .. })), "{dup:?}");
    start(
        &mut store,
        &new_run("B", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    // Not visible to others before the batch commits.
    let reader = db.open(false);
    assert!(reader.list(&Filter::default()).unwrap().is_empty());
    assert!(store.batch_open());
    store.end_batch(true).unwrap();
    assert_eq!(reader.list(&Filter::default()).unwrap().len(), 2);
    // A batch rolled back leaves nothing.
    store.begin_batch().unwrap();
    start(
        &mut store,
        &new_run("C", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    store.end_batch(false).unwrap();
    assert_eq!(reader.list(&Filter::default()).unwrap().len(), 2);
    assert!(!store.batch_open());
}

pub fn a_commit_never_claims_what_it_did_not_write(backend: Backend) {
    use procdoc::run::accounts::{Accounts, Session, UserId};
    let Some(db) = backend.fresh() else { return };
    let mut store = db.create();
    store.begin(true).unwrap();
    store
        .start(&new_run("A", "inspection", "2026-03-02T09:00:00Z"))
        .unwrap();
    // A failed statement whose error the caller ignores (a session of no user). SQLite
    // fails only the statement; PostgreSQL gives the whole transaction up.
    let at = chrono::Utc::now();
    let orphan = Session {
        user: UserId(999),
        created_at: at,
        last_seen: at,
    };
    assert!(store.add_session("digest", &orphan).is_err());
    let committed = store.commit();
    let kept = !store.list(&Filter::default()).unwrap().is_empty();
    assert_eq!(committed.is_ok(), kept, "{committed:?}");
    // Either way the store goes on working.
    start(
        &mut store,
        &new_run("B", "inspection", "2026-03-02T09:00:00Z"),
    )
    .unwrap();
    assert!(
        store
            .list(&Filter::default())
            .unwrap()
            .iter()
            .any(|r| r.reference == "B")
    );
}
