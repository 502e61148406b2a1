//! Completing a step as an electronic signature of the signed-in user (21 CFR Part 11
//! §11.50, §11.200): the signer is the authenticated account, never a typed name; signing
//! asks for the password again; the user must belong to a department that acts in the
//! step; and the event records the login, the printed name, the time and the meaning.
//!
//! Everything the step itself demands (outcome, ticks, waivers, fields, `not_by`) is
//! checked by the engine, as for `procdoc run done`: this module adds only who may sign.

use chrono::{DateTime, Utc};

use super::reentry::PasswordMemo;
use super::runs::completed;
use super::training;
use super::{Completed, Refusal, RefusalKind, RunRef, transaction};
use crate::app::users;
use crate::run::accounts::{Accounts, TrainingRecord, User};
use crate::run::attachments::{Attachments, Upload};
use crate::run::clock;
use crate::run::completion::DoneRequest;
use crate::run::engine::{self, Live, RunError, Spec};
use crate::spec::load::Qms;

/// What signing needs of a store: the runs, the files attached ([`Attachments`]) and the
/// people, whose training records `training: required` reads ([`Accounts`]).
pub trait SignStore: Accounts + Attachments {}

impl<T: Accounts + Attachments + ?Sized> SignStore for T {}

/// What signing a step asks for, as a form or the API gives it; the signer is the
/// signed-in user, so there is no name to type.
#[derive(Debug, Clone, Default)]
pub struct SignStep {
    /// The step's id.
    pub step: String,
    /// The department (or party) of the step's `by` to act for (`as`); needed only when the
    /// user may act for several.
    pub acting_for: Option<String>,
    /// A decision's outcome label, in any of the QMS's languages.
    pub outcome: Option<String>,
    /// Further outcome labels, for a decision with `multiple: true` (refused elsewhere).
    pub further_outcomes: Vec<String>,
    /// `all` or item numbers `1,3`.
    pub check: Option<String>,
    /// Item numbers waived (`2`), with `reason`.
    pub waive: Option<String>,
    pub reason: Option<String>,
    /// `record.field=value`, one per value (a table row: `record.field=a | b`).
    pub fields: Vec<String>,
    pub note: Option<String>,
    /// Files attached as evidence.
    pub attachments: Vec<Upload>,
}

/// A department (or party) of a step's `by` that a user may sign for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligible {
    /// The code of the step's `by` signed for.
    pub code: String,
    /// The code is a party: the user records the step on its behalf (as a member of a
    /// department of the step's `with` or of the procedure's owner).
    pub on_behalf: bool,
    /// The member's departments the signature goes through: the code itself for a
    /// department; for a party, those of the step's `with` and the procedure's owner, in
    /// that order.
    pub through: Vec<String>,
}

/// The departments (or parties) of `step`'s `by` that `user` may sign for, in the step's
/// order: see [`eligible_for`].
pub fn eligible(spec: &Spec, step: usize, user: &User) -> Vec<Eligible> {
    eligible_for(spec, step, &|code| {
        user.departments.iter().any(|d| d == code)
    })
}

/// The codes of `step`'s `by` that a member of the departments `member` says yes to may sign
/// for, in the step's order: a department they belong to, or a party (a customer, a
/// supplier) when they belong to a department that takes part in the step (`with`) or owns
/// the procedure, who records the step on the party's behalf. The one rule for signing and
/// for whose work a party's step is.
pub fn eligible_for(spec: &Spec, step: usize, member: &dyn Fn(&str) -> bool) -> Vec<Eligible> {
    let s = spec.step(step);
    let mut recorders: Vec<String> = Vec::new();
    for code in s.with.iter().chain(std::iter::once(&spec.procedure.owner)) {
        if !spec.is_party(code) && member(code) && !recorders.contains(code) {
            recorders.push(code.clone());
        }
    }
    s.by.iter()
        .filter_map(|code| {
            let on_behalf = spec.is_party(code);
            let through = if on_behalf {
                recorders.clone()
            } else if member(code) {
                vec![code.clone()]
            } else {
                Vec::new()
            };
            (!through.is_empty()).then(|| Eligible {
                code: code.clone(),
                on_behalf,
                through,
            })
        })
        .collect()
}

/// Signs (completes) an active step of a run as `user`, who re-entered `password`, now (the
/// system clock, or `PROCDOC_NOW`). The event records the user's printed name as the
/// signer, their login, the department or party acted for, the time and the step's
/// signature meaning, and the files attached (kept in the store with the event).
///
/// Refused, with nothing written:
/// - a disabled account, or a user of no department that may sign the step:
///   [`RefusalKind::Forbidden`];
/// - a wrong password: about `password`;
/// - a department given with `as` that the user does not belong to: Forbidden about `as`;
///   several possible and none given: about `as`;
/// - the step already completed by someone else (two people signing at once):
///   [`RefusalKind::Conflict`] about `step`, naming who was first;
/// - anything the engine refuses for `procdoc run done` (the step not active, `not_by` on
///   this user's login or name, the outcome, ticks, waivers, fields), about its input;
/// - with `training: required` in `qms`'s procdoc.yaml, a user who has not confirmed the
///   run's revision (or a later release of it): Forbidden, naming the revision to read
///   ([`training::missing_for_signing`]).
pub fn sign_step(
    store: &mut dyn SignStore,
    qms: &Qms,
    user: &User,
    password: &str,
    run: &RunRef,
    request: &SignStep,
) -> Result<Completed, Refusal> {
    let signer = confirm_signer(user, password, None)?;
    sign_as(store, qms, &signer, run, request)
}

/// A user who has just given their password again: what [`sign_as`] needs. Only
/// [`confirm_signer`] makes one, so a signature without the password cannot be written.
#[derive(Debug, Clone)]
pub struct Signer(User);

impl Signer {
    /// The account that signs.
    pub fn user(&self) -> &User {
        &self.0
    }
}

/// Confirms that `user` may sign now with `password` (21 CFR Part 11 §11.200(a)(1): each
/// signing after the first of a session uses at least the password). It reads no store, so
/// a server checks the password (argon2id, deliberately slow) without holding the store.
/// A long-running process passes a `memo`, which checks a password that passed once
/// cheaply ([`super::reentry`]). Refused: a disabled account ([`RefusalKind::Forbidden`]); a
/// wrong password, about `password`.
pub fn confirm_signer(
    user: &User,
    password: &str,
    memo: Option<&PasswordMemo>,
) -> Result<Signer, Refusal> {
    if user.disabled {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            None,
            format!("the account `{}` is disabled", user.login),
        ));
    }
    let right = match memo {
        Some(memo) => memo.confirm(user, password),
        None => users::confirm_password(user, password),
    };
    if !right {
        return Err(Refusal::new(
            RefusalKind::Refused,
            Some("password"),
            "the password is wrong: signing a step needs your password again",
        ));
    }
    Ok(Signer(user.clone()))
}

/// Before [`confirm_signer`] in a server: refused ([`RefusalKind::Throttled`], about
/// `password`) while `user`'s login is locked by wrong passwords, at sign-in or at signing
/// ([`users::lockout`]), saying until when on the office clock `tz` (the QMS calendar's time
/// zone, [`super::office_tz`]); otherwise how many wrong ones were counted so far.
pub fn signing_lockout(
    store: &dyn Accounts,
    user: &User,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<u32, Refusal> {
    users::lockout(store, &user.login, now).map_err(|e| match e {
        users::Refusal::Throttled(until) => Refusal::new(
            RefusalKind::Throttled,
            Some("password"),
            format!(
                "too many wrong passwords: signing and signing in are locked until {} ({tz})",
                crate::run::clock::show(until, tz)
            ),
        ),
        other => Refusal::new(RefusalKind::Storage, None, other.to_string()),
    })
}

/// After [`confirm_signer`] in a server: a wrong password counts towards the lockout, and a
/// right one clears the count (`right`).
pub fn count_signing_password(
    store: &mut dyn Accounts,
    user: &User,
    right: bool,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    users::count_signing_password(store, &user.login, right, now)
        .map_err(|e| Refusal::new(RefusalKind::Storage, None, e.to_string()))
}

/// [`sign_step`] by a signer whose password [`confirm_signer`] has checked; the same
/// refusals but the password's.
pub fn sign_as(
    store: &mut dyn SignStore,
    qms: &Qms,
    signer: &Signer,
    run: &RunRef,
    request: &SignStep,
) -> Result<Completed, Refusal> {
    let user = signer.user();
    // Training records are only ever added, so reading them before the run is safe.
    let confirmed = if qms.settings.as_ref().is_some_and(|s| s.training_required()) {
        store.training(Some(user.id))?
    } else {
        Vec::new()
    };
    let done = DoneRequest {
        step: request.step.trim().to_string(),
        by: user.name.clone(),
        login: Some(user.login.clone()),
        acting_for: request.acting_for.clone(),
        outcome: request.outcome.clone(),
        further_outcomes: request.further_outcomes.clone(),
        check: request.check.clone(),
        waive: request.waive.clone(),
        reason: request.reason.clone(),
        fields: request.fields.clone(),
        note: request.note.clone(),
        attachments: request.attachments.clone(),
    };
    let notes =
        super::timeouts::take_for_reference(store, &run.reference, run.flow.as_deref(), None)?;
    signed_by_account(store, Some(qms), &confirmed, user, run, done, notes, None)
}

/// Completes `done` for the account `user` in one transaction: the department signed for
/// by [`who_signs`] (`done.acting_for` is set from it), the training `qms` requires
/// (`confirmed`: the account's confirmed revisions), then the engine's completion; `notes`
/// are the timeouts taken before. `at` is the stated time (`--at`), `None` for now. The one
/// path of a signature by an account, signed in ([`sign_as`]) or named at the command line
/// ([`super::named_signer::complete_named`]).
#[allow(clippy::too_many_arguments)]
pub(super) fn signed_by_account(
    store: &mut dyn SignStore,
    qms: Option<&Qms>,
    confirmed: &[TrainingRecord],
    user: &User,
    run: &RunRef,
    mut done: DoneRequest,
    mut notes: Vec<String>,
    at: Option<&str>,
) -> Result<Completed, Refusal> {
    let mut refusal = None;
    let result = transaction(store, true, |s| {
        let row = engine::find(s, &run.reference, run.flow.as_deref())?;
        let mut live = engine::open_for_change(s, row.id)?;
        let at = clock::now(at, live.spec()?.tz()).map_err(|e| RunError::Usage(e).about("at"))?;
        let trained = || match qms.and_then(|q| {
            training::missing_for_signing(q, confirmed, &live.row.doc, &live.row.revision)
        }) {
            Some(release) => Err(training::not_trained(user, release, &live.row.revision)),
            None => Ok(()),
        };
        let signs_for = who_signs(&live, user, &done.step, done.acting_for.as_deref());
        match signs_for.and_then(|a| trained().map(|()| a)) {
            Ok(acting_for) => done.acting_for = acting_for,
            Err(r) => {
                // Rolled back by the error; the refusal itself is returned below.
                let message = r.message.clone();
                refusal = Some(r);
                return Err(RunError::Refused(message));
            }
        }
        engine::complete(s, &mut live, &done, at, &mut notes)?;
        super::attachments::keep(s, &done.attachments)?;
        Ok((live, at))
    });
    if let Some(r) = refusal {
        return Err(r);
    }
    let (live, at): (Live, DateTime<Utc>) = result?;
    completed(&live, &done, notes, at)
}

/// Refused as a conflict when `step` is no longer active because someone completed it (two
/// people signing at once, or a form opened before): says who was first, and when.
pub(super) fn not_taken(live: &Live, spec: &Spec, step: usize) -> Result<(), Refusal> {
    match live
        .state
        .last_done(step)
        .filter(|_| !live.state.is_active(spec, step))
    {
        Some(done) => Err(Refusal::new(
            RefusalKind::Conflict,
            Some("step"),
            format!(
                "step {} was completed first, by {} at {}",
                spec.step_id(step),
                done.by.as_deref().unwrap_or("the system"),
                clock::show(done.at, spec.tz())
            ),
        )),
        None => Ok(()),
    }
}

/// The department or party `user` signs the step `step` for (`acting_for`, the `as` given,
/// when they may act for several), or why they may not sign it: the one rule for a signed-in
/// user and for a name typed at the command line that names an account.
pub(super) fn who_signs(
    live: &Live,
    user: &User,
    step: &str,
    acting_for: Option<&str>,
) -> Result<Option<String>, Refusal> {
    let spec = live.spec()?;
    let step = spec.find_step(step.trim()).map_err(|e| e.about("step"))?;
    let id = spec.step_id(step);
    not_taken(live, &spec, step)?;
    let s = spec.step(step);
    if s.by.is_empty() {
        return Ok(None);
    }
    let mut options = eligible(&spec, step, user);
    // Whether the user may sign for a code at all; on a joint step the engine says when
    // that department has signed already.
    let member_of: Vec<String> = options.iter().map(|o| o.code.clone()).collect();
    if s.by.joint {
        // Only the departments still to sign are offered; a user whose departments have all
        // signed gets the engine's word for it ("QA has already signed").
        let left = crate::run::joint::still_to_sign(&spec, &live.state, step);
        let open: Vec<Eligible> = options
            .iter()
            .filter(|o| left.contains(&o.code))
            .cloned()
            .collect();
        if open.is_empty()
            && acting_for.is_none()
            && let Some(first) = options.first()
        {
            return Ok(Some(first.code.clone()));
        }
        options = open;
    }
    let who = format!("{} ({})", user.name, user.login);
    let mine = if user.departments.is_empty() {
        "no department".to_string()
    } else {
        user.departments.join(", ")
    };
    let given = acting_for.map(str::trim).filter(|c| !c.is_empty());
    match given {
        Some(code) if s.by.iter().any(|b| b == code) => {
            if member_of.iter().any(|c| c == code) {
                Ok(Some(code.to_string()))
            } else {
                Err(Refusal::new(
                    RefusalKind::Forbidden,
                    Some("as"),
                    format!("{who} may not sign step {id} for {code}: they belong to {mine}"),
                ))
            }
        }
        // Not a code of the step: the engine says which ones are.
        Some(code) => Ok(Some(code.to_string())),
        None => match options.as_slice() {
            [one] => Ok(Some(one.code.clone())),
            [] => {
                let parties = s.by.iter().any(|b| spec.is_party(b));
                let behalf = if parties {
                    let mut takers: Vec<&str> = s
                        .with
                        .iter()
                        .filter(|c| !spec.is_party(c))
                        .map(String::as_str)
                        .collect();
                    takers.push(&spec.procedure.owner);
                    format!(", or on the party's behalf a user of {}", takers.join(", "))
                } else {
                    String::new()
                };
                Err(Refusal::new(
                    RefusalKind::Forbidden,
                    None,
                    format!(
                        "{who} may not sign step {id}: it is done by {}{behalf}, and they belong to {mine}",
                        spec.by_text(step)
                    ),
                ))
            }
            several => Err(Refusal::new(
                RefusalKind::Refused,
                Some("as"),
                format!(
                    "{who} may sign step {id} for {}: say which one they act for",
                    several
                        .iter()
                        .map(|o| o.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        },
    }
}

/// A table field's rows as `fields` gives them (`KEY=a | b; c | d`): blank rows are left
/// out, and no row at all gives `None`. Refused about `fields.KEY` when a cell holds `|` or
/// `;`, which separate cells and rows.
pub fn table_field(key: &str, rows: &[Vec<String>]) -> Result<Option<String>, Refusal> {
    let mut out = Vec::new();
    for row in rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if let Some(cell) = row.iter().find(|c| c.contains(['|', ';'])) {
            return Err(Refusal::new(
                RefusalKind::Refused,
                Some(&format!("fields.{key}")),
                format!("the cell `{cell}` holds `|` or `;`, which a table cell cannot hold"),
            ));
        }
        let cells: Vec<&str> = row.iter().map(|c| c.trim()).collect();
        out.push(cells.join(" | "));
    }
    Ok((!out.is_empty()).then(|| format!("{key}={}", out.join("; "))))
}
