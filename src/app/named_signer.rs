//! Completing a step with the signer's name typed (`procdoc run done --by NAME`). Without
//! user accounts in the store, the name is recorded as typed. Once the store has accounts
//! (`procdoc user add`), the name must be one account's login or printed name: the
//! signature is then that account's, so one person cannot sign a joint step twice by typing
//! their login once and their printed name once, and may sign only for their own
//! departments, by the same rule as a signed-in user ([`super::sign`]).

use super::sign::{SignStore, signed_by_account};
use super::{Completed, Refusal, RefusalKind, RunRef};
use crate::run::accounts::{Accounts, User};
use crate::run::completion::DoneRequest;
use crate::spec::load::Qms;

/// Completes an active step as [`super::complete_step`] does, with `request.by` taken as
/// typed while the store has no user accounts. With accounts, `request.by` must name
/// exactly one of them, by login or by printed name (ignoring case and surrounding spaces);
/// the event records that account's printed name and login, and the department signed for
/// is one of the account's (`request.acting_for` chooses when several are possible).
///
/// Refused, with nothing written, besides [`super::complete_step`]'s refusals:
/// - a name that is no account's, or several accounts': about `by`;
/// - a disabled account: [`RefusalKind::Forbidden`] about `by`;
/// - an account of no department that may sign the step, or `as` a department it is not
///   in: Forbidden, naming the account's departments; several possible and none given:
///   about `as`;
/// - on a joint step, a second signature of the same account (by login, whatever name
///   was typed): about `by`;
/// - with `training: required` in `qms`'s procdoc.yaml (when the QMS is given), an account
///   that has not confirmed the run's revision: Forbidden, as in the web app.
pub fn complete_named(
    store: &mut dyn SignStore,
    qms: Option<&Qms>,
    run: &RunRef,
    request: &DoneRequest,
    at: Option<&str>,
) -> Result<Completed, Refusal> {
    let users = store.users()?;
    if users.is_empty() {
        return super::complete_step(store, run, request, at);
    }
    let user = account_named(&users, &request.by)?;
    // Training records are only ever added, so reading them before the run is safe.
    let required = qms.filter(|q| q.settings.as_ref().is_some_and(|s| s.training_required()));
    let confirmed = match required {
        Some(_) => store.training(Some(user.id))?,
        None => Vec::new(),
    };
    let mut done = request.clone();
    done.by = user.name.clone();
    done.login = Some(user.login.clone());
    let notes =
        super::timeouts::take_for_reference(store, &run.reference, run.flow.as_deref(), at)?;
    signed_by_account(store, required, &confirmed, user, run, done, notes, at)
}

/// The name `by` (typed with `run start` or `run plan`) is recorded as: as typed while the
/// store has no user accounts; with accounts, the printed name of the one account it names
/// by login or printed name. Refused about `by`, as [`complete_named`] refuses a signer: no
/// account, several accounts, a disabled account.
pub fn named_actor(store: &dyn Accounts, by: Option<String>) -> Result<Option<String>, Refusal> {
    let Some(name) = by else {
        return Ok(None);
    };
    let users = store.users()?;
    if users.is_empty() {
        return Ok(Some(name));
    }
    Ok(Some(account_named(&users, &name)?.name.clone()))
}

/// [`super::start_prepared`] with the starter's typed name resolved by [`named_actor`].
pub fn start_named(
    store: &mut dyn Accounts,
    mut prepared: super::PreparedStart,
) -> Result<super::Started, Refusal> {
    prepared.request.by = named_actor(store, prepared.request.by.take())?;
    super::start_prepared(store, prepared)
}

/// The one account `name` names, by login, else by printed name (ignoring case and
/// surrounding spaces). Refused about `by`: no account, several accounts, a disabled account.
fn account_named<'a>(users: &'a [User], name: &str) -> Result<&'a User, Refusal> {
    let name = name.trim();
    // Logins are unique, so a login names one account even when another's printed name is
    // the same word.
    let matches: Vec<&User> = match users.iter().find(|u| u.login.eq_ignore_ascii_case(name)) {
        Some(user) => vec![user],
        None => users
            .iter()
            .filter(|u| u.name.trim().eq_ignore_ascii_case(name))
            .collect(),
    };
    match matches.as_slice() {
        [] => Err(Refusal::new(
            RefusalKind::Refused,
            Some("by"),
            format!(
                "--by {name}: no user account has this login or name; the store has user accounts, so the signer must be one of them (see `procdoc user list`)"
            ),
        )),
        [user] if user.disabled => Err(Refusal::new(
            RefusalKind::Forbidden,
            Some("by"),
            format!("the account `{}` ({}) is disabled", user.login, user.name),
        )),
        [user] => Ok(user),
        several => Err(Refusal::new(
            RefusalKind::Refused,
            Some("by"),
            format!(
                "--by {name} names several user accounts ({}): give the login",
                several
                    .iter()
                    .map(|u| format!("{} ({})", u.login, u.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
