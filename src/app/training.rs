//! Read-and-confirm of released revisions (ISO 9001:2015 §7.2 competence and §7.5.3 control
//! of documented information; 21 CFR Part 11 §11.10(i) for the people who sign): who must
//! read which revision, confirming it, and whether someone may sign a step of it.
//!
//! The rules:
//! - The current revision of a document is the one released last in the register
//!   (`register.yaml`); a document never released has nothing to confirm.
//! - A department acts in a revision when it owns the document or does (`by`) or takes part
//!   in (`with`) a step of any of its flows, as released. These are the departments whose
//!   users may sign for it ([`super::eligible`]), so everyone who can sign a step has read it.
//! - Every active (not disabled) user of such a department, whatever their role, has a
//!   read-and-confirm task for the current revision until a training record of theirs for
//!   that revision exists. Tasks are never stored: they are derived here from the register,
//!   the users and the training records, so they cannot drift from them.
//! - Confirming is a training record (user, document, revision, time). Only the current
//!   released revision can be confirmed, once; any active user may confirm it, also one
//!   whose departments do not act in it.
//! - With `training: required` in procdoc.yaml ([`crate::spec::model::Training`]), a user
//!   signs a step of a run pinned to revision R of a document only when they confirmed R or
//!   a revision released after it (someone who joined after R was superseded cannot confirm
//!   R any more); a run of a revision never released needs the document's last release
//!   confirmed, if it has one. Refused as [`RefusalKind::Forbidden`] (HTTP 403): the user is
//!   not yet qualified to sign, which retrying or another request body cannot change.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Refusal, RefusalKind, office_tz};
use crate::control::register::Release;
use crate::run::accounts::{Accounts, Role, TrainingRecord, User, UserId};
use crate::run::clock;
use crate::run::record::Stamp;
use crate::spec::load::Qms;
use crate::spec::model::Procedure;

/// The current (last released) revision of each document of the QMS folder, in the order
/// of its procedure files.
pub fn current_releases(qms: &Qms) -> Vec<&Release> {
    let Some(register) = qms.register.as_ref() else {
        return Vec::new();
    };
    qms.procedures
        .iter()
        .filter_map(|p| register.latest(&p.doc.id))
        .collect()
}

/// The departments that act in `procedure`: its owner and every department or party named in
/// a step's `by` or `with`. Parties are kept: no user belongs to one.
pub fn acting_departments(procedure: &Procedure) -> BTreeSet<&str> {
    let mut out: BTreeSet<&str> = procedure
        .flows
        .iter()
        .flat_map(|f| &f.steps)
        .flat_map(|s| s.by.iter().chain(s.with.iter()))
        .map(String::as_str)
        .collect();
    out.insert(procedure.owner.as_str());
    out
}

/// Whether `user` must read `procedure`: active, and of a department that acts in it.
pub fn must_read(user: &User, procedure: &Procedure) -> bool {
    let acting = acting_departments(procedure);
    !user.disabled && user.departments.iter().any(|d| acting.contains(d.as_str()))
}

/// A released revision as the pages and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionInfo {
    /// The document number, e.g. `QA-P-001`.
    pub doc: String,
    /// The title in the language asked for, else the primary language.
    pub title: String,
    pub revision: String,
    /// Its effective date (YYYY-MM-DD).
    pub effective: String,
    /// The controlled PDF's file name in the output folder.
    pub pdf: String,
}

fn info(qms: &Qms, release: &Release, lang: &str) -> RevisionInfo {
    let primary = qms.settings.as_ref().map_or("en", |s| s.primary_language());
    RevisionInfo {
        doc: release.doc.clone(),
        title: release.content.title.best(lang, primary).to_string(),
        revision: release.revision.clone(),
        effective: release.effective.to_string(),
        pdf: release.pdf.clone(),
    }
}

fn stamp(t: DateTime<Utc>, tz: Tz) -> Stamp {
    Stamp {
        iso: clock::iso(t, tz),
        local: clock::show(t, tz),
    }
}

/// The read-and-confirm tasks of `user`: each current revision they must read
/// ([`must_read`]) and have not confirmed, in the order of the procedure files, worded in
/// `lang`. None for a disabled user.
pub fn read_tasks(
    store: &dyn Accounts,
    qms: &Qms,
    user: &User,
    lang: &str,
) -> Result<Vec<RevisionInfo>, Refusal> {
    if user.disabled {
        return Ok(Vec::new());
    }
    let mine = store.training(Some(user.id))?;
    let confirmed = |r: &Release| {
        mine.iter()
            .any(|t| t.doc == r.doc && t.revision == r.revision)
    };
    Ok(current_releases(qms)
        .into_iter()
        .filter(|r| must_read(user, &r.content) && !confirmed(r))
        .map(|r| info(qms, r, lang))
        .collect())
}

/// `user` confirms they read revision `revision` of document `doc` at `now`: a training
/// record, returned as stored. Refused, with nothing written:
/// - a disabled account: [`RefusalKind::Forbidden`];
/// - a document the QMS does not have, or never released: [`RefusalKind::NotFound`] about
///   `doc`;
/// - a revision that is not the current released one: [`RefusalKind::Refused`] about
///   `revision`, naming the current one;
/// - a revision the user confirmed already: [`RefusalKind::Conflict`], saying when.
pub fn confirm(
    store: &mut dyn Accounts,
    qms: &Qms,
    user: &User,
    doc: &str,
    revision: &str,
    now: DateTime<Utc>,
) -> Result<TrainingRecord, Refusal> {
    if user.disabled {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            None,
            format!("the account `{}` is disabled", user.login),
        ));
    }
    let current = current_releases(qms)
        .into_iter()
        .find(|r| r.doc == doc)
        .ok_or_else(|| {
            Refusal::new(
                RefusalKind::NotFound,
                Some("doc"),
                format!("no released document `{doc}` to confirm"),
            )
        })?;
    if current.revision != revision {
        return Err(Refusal::new(
            RefusalKind::Refused,
            Some("revision"),
            format!(
                "revision {revision} of {doc} is not the current released one: confirm revision {}",
                current.revision
            ),
        ));
    }
    let record = TrainingRecord {
        user: user.id,
        doc: doc.to_string(),
        revision: revision.to_string(),
        at: now,
    };
    // Read and write under one write transaction, so that of two confirmations at once the
    // second sees the first and is refused.
    store.begin(true)?;
    let result = confirm_in(store, qms, user, &record);
    match result {
        Ok(()) => {
            store.commit()?;
            Ok(record)
        }
        Err(refusal) => {
            let _ = store.rollback();
            Err(refusal)
        }
    }
}

fn confirm_in(
    store: &mut dyn Accounts,
    qms: &Qms,
    user: &User,
    record: &TrainingRecord,
) -> Result<(), Refusal> {
    let earlier = store
        .training(Some(user.id))?
        .into_iter()
        .find(|t| t.doc == record.doc && t.revision == record.revision);
    if let Some(earlier) = earlier {
        return Err(Refusal::new(
            RefusalKind::Conflict,
            Some("revision"),
            format!(
                "{} confirmed revision {} of {} already, at {}",
                user.name,
                record.revision,
                record.doc,
                clock::show(earlier.at, office_tz(Some(qms)))
            ),
        ));
    }
    store.add_training(record)?;
    Ok(())
}

/// The release that `confirmed` (a user's training records) lacks for signing a step of a
/// run pinned to revision `revision` of `doc`, when `training: required` is set: the
/// document's current release, which is the one the user can still confirm. `None` when
/// signing is not blocked (see the module's rules).
pub fn missing_for_signing<'q>(
    qms: &'q Qms,
    confirmed: &[TrainingRecord],
    doc: &str,
    revision: &str,
) -> Option<&'q Release> {
    if !qms.settings.as_ref().is_some_and(|s| s.training_required()) {
        return None;
    }
    let releases: Vec<&Release> = qms
        .register
        .as_ref()?
        .releases
        .iter()
        .filter(|r| r.doc == doc)
        .collect();
    let latest = *releases.last()?;
    // Drafts follow the last release; a released revision is met by itself or a later one.
    let from = releases
        .iter()
        .position(|r| r.revision == revision)
        .unwrap_or(releases.len() - 1);
    let met = releases[from..].iter().any(|r| {
        confirmed
            .iter()
            .any(|t| t.doc == doc && t.revision == r.revision)
    });
    (!met).then_some(latest)
}

/// The refusal of a signature by `user` who lacks `release` (see [`missing_for_signing`]):
/// Forbidden, naming the revision to read and its controlled PDF.
pub fn not_trained(user: &User, release: &Release, run_revision: &str) -> Refusal {
    let pinned = if run_revision == release.revision {
        String::new()
    } else {
        format!(" (the run follows revision {run_revision})")
    };
    Refusal::new(
        RefusalKind::Forbidden,
        None,
        format!(
            "{} ({}) has not confirmed revision {} of {}{pinned}: training is required before signing its steps; read {} and confirm it under My work",
            user.name, user.login, release.revision, release.doc, release.pdf
        ),
    )
}

/// Whether signing a step of a run of `doc` at `revision` is blocked for `user`, read from
/// the store: the revision to confirm first, worded in `lang`. The step form shows it before
/// anyone fills it in; [`super::sign_step`] refuses with [`not_trained`].
pub fn blocked_signing(
    store: &dyn Accounts,
    qms: &Qms,
    user: &User,
    doc: &str,
    revision: &str,
    lang: &str,
) -> Result<Option<RevisionInfo>, Refusal> {
    if !qms.settings.as_ref().is_some_and(|s| s.training_required()) {
        return Ok(None);
    }
    let confirmed = store.training(Some(user.id))?;
    Ok(missing_for_signing(qms, &confirmed, doc, revision).map(|r| info(qms, r, lang)))
}

/// A person as the training lists name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub login: String,
    /// The printed name.
    pub name: String,
}

/// A confirmation of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmed {
    #[serde(flatten)]
    pub person: Person,
    /// When, on the office clock.
    pub at: Stamp,
}

/// Who of one department confirmed one current revision, and who has not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionTraining {
    #[serde(flatten)]
    pub revision: RevisionInfo,
    /// By confirmation time, then login.
    pub confirmed: Vec<Confirmed>,
    /// By login.
    pub missing: Vec<Person>,
}

/// The training of one department: every current revision it acts in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentTraining {
    pub code: String,
    /// The department's name in the language asked for.
    pub name: String,
    /// Its active users.
    pub people: usize,
    pub revisions: Vec<RevisionTraining>,
}

/// Per department of procdoc.yaml (or only `dept`), per current revision it acts in, which of
/// its active users confirmed it (name, time) and which are missing, worded in `lang`;
/// departments acting in no released document are left out. For quality users (`viewer`;
/// `None`: the command line, which reads the store directly). Refused: a staff viewer
/// ([`RefusalKind::Forbidden`]); a department procdoc.yaml does not list (about `dept`).
pub fn department_training(
    store: &dyn Accounts,
    qms: &Qms,
    viewer: Option<&User>,
    dept: Option<&str>,
    lang: &str,
) -> Result<Vec<DepartmentTraining>, Refusal> {
    if let Some(user) = viewer
        && (user.role != Role::Quality || user.disabled)
    {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            None,
            format!(
                "{} may not see the training of departments: that is for quality users; their own records are listed instead",
                user.login
            ),
        ));
    }
    let Some(settings) = qms.settings.as_ref() else {
        return Ok(Vec::new());
    };
    if let Some(code) = dept
        && !settings.departments.iter().any(|d| d.code == code)
    {
        return Err(Refusal::invalid(
            "dept",
            format!("procdoc.yaml has no department `{code}`"),
        ));
    }
    let tz = office_tz(Some(qms));
    let users: Vec<User> = store.users()?.into_iter().filter(|u| !u.disabled).collect();
    let mut records: BTreeMap<(UserId, &str, &str), DateTime<Utc>> = BTreeMap::new();
    let all = store.training(None)?;
    for t in &all {
        records.insert((t.user, t.doc.as_str(), t.revision.as_str()), t.at);
    }
    let current = current_releases(qms);
    let mut out = Vec::new();
    for department in &settings.departments {
        if dept.is_some_and(|d| d != department.code) {
            continue;
        }
        let members: Vec<&User> = users
            .iter()
            .filter(|u| u.departments.contains(&department.code))
            .collect();
        let mut revisions = Vec::new();
        for release in &current {
            if !acting_departments(&release.content).contains(department.code.as_str()) {
                continue;
            }
            let key = |u: &User| (u.id, release.doc.as_str(), release.revision.as_str());
            let person = |u: &User| Person {
                login: u.login.clone(),
                name: u.name.clone(),
            };
            let mut confirmed: Vec<(DateTime<Utc>, Confirmed)> = members
                .iter()
                .filter_map(|u| {
                    let at = *records.get(&key(u))?;
                    Some((
                        at,
                        Confirmed {
                            person: person(u),
                            at: stamp(at, tz),
                        },
                    ))
                })
                .collect();
            confirmed.sort_by(|a, b| (a.0, &a.1.person.login).cmp(&(b.0, &b.1.person.login)));
            let missing = members
                .iter()
                .filter(|u| !records.contains_key(&key(u)))
                .map(|u| person(u))
                .collect();
            revisions.push(RevisionTraining {
                revision: info(qms, release, lang),
                confirmed: confirmed.into_iter().map(|(_, c)| c).collect(),
                missing,
            });
        }
        if revisions.is_empty() {
            continue;
        }
        out.push(DepartmentTraining {
            code: department.code.clone(),
            name: department
                .name
                .best(lang, settings.primary_language())
                .to_string(),
            people: members.len(),
            revisions,
        });
    }
    Ok(out)
}

/// One of a user's own training records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnRecord {
    pub doc: String,
    /// The title of that revision in the language asked for (the document number when the
    /// register does not have it).
    pub title: String,
    pub revision: String,
    /// When they confirmed it, on the office clock.
    pub at: Stamp,
    /// The revision is still the current one.
    pub current: bool,
}

/// The training records of `user`, newest first, worded in `lang`.
pub fn own_records(
    store: &dyn Accounts,
    qms: &Qms,
    user: &User,
    lang: &str,
) -> Result<Vec<OwnRecord>, Refusal> {
    let tz = office_tz(Some(qms));
    let primary = qms.settings.as_ref().map_or("en", |s| s.primary_language());
    let current = current_releases(qms);
    let mut records = store.training(Some(user.id))?;
    records.sort_by(|a, b| (b.at, &a.doc, &a.revision).cmp(&(a.at, &b.doc, &b.revision)));
    Ok(records
        .into_iter()
        .map(|t| {
            let release = qms
                .register
                .as_ref()
                .and_then(|r| r.release(&t.doc, &t.revision));
            OwnRecord {
                title: release.map_or_else(
                    || t.doc.clone(),
                    |r| r.content.title.best(lang, primary).to_string(),
                ),
                current: current
                    .iter()
                    .any(|r| r.doc == t.doc && r.revision == t.revision),
                at: stamp(t.at, tz),
                doc: t.doc,
                revision: t.revision,
            }
        })
        .collect())
}
