//! Who is told what by e-mail, and when: the rules of notifications. Sending is an
//! adapter's job (`crate::mail`); these functions only read the store (and record the
//! digests sent) and return typed notices.
//!
//! - A step becomes active: every enabled user with an address in one of the step's
//!   departments is told, once the change that activated it is committed
//!   ([`activated_notices`], called after the start or completion returned).
//! - Overdue steps: once per office day, every enabled user with an address gets one
//!   digest of the overdue steps of their own departments ([`due_digests`]); the store
//!   records each digest sent ([`record_digest`]), so a restart never sends a day twice.
//!
//! Texts are given in each recipient's language where the run's revision has it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::inbox::inbox_in;
use super::{InboxItem, Refusal, transaction};
use crate::run::accounts::{User, UserId};
use crate::run::clock;
use crate::run::engine::{self, RunError, Spec};
use crate::run::notices::Notices;
use crate::run::store::{Filter, RunRow, Store};

/// Someone to tell, and the language to tell them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user: UserId,
    pub login: String,
    /// The printed name, for the greeting and the `To:` header.
    pub name: String,
    pub email: String,
    /// The user's interface language, else the QMS's primary one.
    pub lang: String,
}

impl Recipient {
    /// `user` as a recipient, when they are enabled and have an address.
    fn of(user: &User, primary: &str) -> Option<Recipient> {
        let email = user.email.as_deref()?.trim();
        if user.disabled || email.is_empty() {
            return None;
        }
        Some(Recipient {
            user: user.id,
            login: user.login.clone(),
            name: user.name.clone(),
            email: email.to_string(),
            lang: user.language.clone().unwrap_or_else(|| primary.to_string()),
        })
    }
}

/// A step that became active, worded for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivatedStep {
    pub reference: String,
    pub doc: String,
    pub doc_title: String,
    pub flow: String,
    pub flow_title: String,
    pub step: String,
    pub step_title: String,
    /// The step's departments that the recipient belongs to.
    pub depts: Vec<String>,
    /// The deadline on the office clock (`2026-03-09 09:30`), if the step has one.
    pub due: Option<String>,
}

/// One e-mail about a step that became active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepNotice {
    pub to: Recipient,
    pub step: ActivatedStep,
}

/// One person's overdue digest of one office day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub to: Recipient,
    /// The office day (`YYYY-MM-DD`) it is the digest of.
    pub day: String,
    /// The overdue steps of the recipient's departments, and those escalated to them,
    /// overdue first.
    pub items: Vec<InboxItem>,
}

/// The notices about steps that the change at `at` to run `reference` (of flow `doc/flow`)
/// activated, including the first steps of runs it called; `primary` is the QMS's primary
/// language. Call it after the change was committed. A step counts as activated by the
/// change when its current iteration became active at the change's moment.
pub fn activated_notices(
    store: &mut dyn Notices,
    reference: &str,
    doc: &str,
    flow: &str,
    at: DateTime<Utc>,
    primary: &str,
) -> Result<Vec<StepNotice>, Refusal> {
    let key = format!("{doc}/{flow}");
    let users = store.users().map_err(stored)?;
    let recipients: Vec<(&User, Recipient)> = users
        .iter()
        .filter_map(|u| Some((u, Recipient::of(u, primary)?)))
        .collect();
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    Ok(transaction(store, false, |s| {
        let row = engine::find(s, reference, Some(&key))?;
        let children = s.list(&Filter {
            parent: Some(row.id),
            ..Default::default()
        })?;
        let mut out = Vec::new();
        for run in std::iter::once(&row).chain(&children) {
            activated_in(s, run, at, &recipients, &mut out)?;
        }
        Ok(out)
    })?)
}

fn activated_in(
    store: &dyn Store,
    row: &RunRow,
    at: DateTime<Utc>,
    recipients: &[(&User, Recipient)],
    out: &mut Vec<StepNotice>,
) -> Result<(), RunError> {
    let live = engine::open_run(store, row.id)?;
    if live.state.ended.is_some() {
        return Ok(());
    }
    let spec: Spec = live.spec()?;
    let tz = spec.tz();
    for s in spec.net.active(&live.state.marking) {
        let Some(iteration) = live.state.steps[s].last() else {
            continue;
        };
        if iteration.activated_at != at {
            continue;
        }
        let step = spec.step(s);
        let due = engine::due(&spec, &live.state, s, iteration).map(|d| clock::show(d, tz));
        for (user, to) in recipients {
            let depts = their_part(&spec, s, user);
            if depts.is_empty() {
                continue;
            }
            let text = |t: &crate::spec::text::Text| t.best(&to.lang, spec.lang()).to_string();
            out.push(StepNotice {
                to: to.clone(),
                step: ActivatedStep {
                    reference: row.reference.clone(),
                    doc: row.doc.clone(),
                    doc_title: text(&spec.procedure.title),
                    flow: row.flow.clone(),
                    flow_title: text(&spec.flow.title),
                    step: step.id.clone(),
                    step_title: step.title.as_ref().map_or_else(|| step.id.clone(), text),
                    depts,
                    due: due.clone(),
                },
            });
        }
    }
    Ok(())
}

/// The departments of `user` a step waits for, by the rule signing uses
/// ([`super::sign::eligible`]): those of its `by` they belong to; for a party's step (the
/// customer's), those of theirs that record it on the party's behalf (its `with` and the
/// procedure's owner), as My work lists it.
fn their_part(spec: &Spec, step: usize, user: &User) -> Vec<String> {
    let eligible = super::sign::eligible(spec, step, user);
    let own: Vec<String> = eligible
        .iter()
        .filter(|e| !e.on_behalf)
        .map(|e| e.code.clone())
        .collect();
    if !own.is_empty() || !eligible.iter().any(|e| e.on_behalf) {
        return own;
    }
    let s = spec.step(step);
    s.with
        .iter()
        .chain(std::iter::once(&spec.procedure.owner))
        .filter(|c| user.departments.contains(c))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The digests due at `now`: for every enabled user with an address who has not had the
/// digest of today (the office day in `tz`) and has overdue steps in their own
/// departments (with the steps of `parties` they record on a party's behalf) or steps
/// escalated to them, one digest of them. Nothing is recorded: [`record_digest`] does, once it was sent.
pub fn due_digests(
    store: &mut dyn Notices,
    tz: Tz,
    primary: &str,
    parties: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Digest>, Refusal> {
    let day = clock::local_date(now, tz).format("%Y-%m-%d").to_string();
    let users = store.users().map_err(stored)?;
    let mut out = Vec::new();
    for user in &users {
        let Some(to) = Recipient::of(user, primary) else {
            continue;
        };
        if store.digest_sent(user.id, &day).map_err(stored)? {
            continue;
        }
        // Their own departments, also for quality users: a digest is about one's own work.
        let depts: Vec<String> = user
            .departments
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if depts.is_empty() {
            continue;
        }
        let runs: &mut dyn Store = &mut *store;
        let inbox = inbox_in(Some(runs), &depts, parties, now, Some(&to.lang))?;
        // An escalation is not a deadline, but the departments it was escalated to are told.
        let items: Vec<InboxItem> = inbox
            .items
            .into_iter()
            .filter(|i| i.overdue || !i.escalated_to.is_empty())
            .collect();
        if items.is_empty() {
            continue;
        }
        out.push(Digest {
            to,
            day: day.clone(),
            items,
        });
    }
    Ok(out)
}

/// Records that `digest` was sent at `at`, so that its day is not sent again.
pub fn record_digest(
    store: &mut dyn Notices,
    digest: &Digest,
    at: DateTime<Utc>,
) -> Result<(), Refusal> {
    store
        .record_digest(digest.to.user, &digest.day, at, digest.items.len())
        .map_err(stored)
}

/// A store failure as the refusal every operation gives for it.
fn stored(e: crate::run::store::StoreError) -> Refusal {
    Refusal::from(e)
}
