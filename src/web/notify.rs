//! The server's e-mail notifications, when `procdoc serve` was given an SMTP server:
//! after a start or a completion was committed, the people of the steps it activated are
//! told ([`after_change`]); a background job sends each person's overdue digest once a
//! day ([`digest_job`]), on one server at a time when several share the database. Who
//! gets what is [`crate::app::notify`]'s; the words and the sending are [`crate::mail`]'s. A message that cannot be sent is logged: it never
//! undoes or fails the user's action.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::AppState;
use crate::app::notify::{activated_notices, due_digests, record_digest};
use crate::app::{self, RunInfo};
use crate::mail::{Mail, Mailer};
use crate::run::clock;
use crate::run::leases::Leases;

/// How often the digest job looks for overdue steps: a digest goes out within this long
/// of the first overdue step of a person's day.
pub const DIGEST_EVERY: Duration = Duration::from_secs(5 * 60);

/// Sends `mails` one after the other on a blocking thread (SMTP blocks); returns those
/// sent. Failures are logged with the recipient.
async fn send_all(mailer: Arc<Mailer>, mails: Vec<Mail>) -> Vec<Mail> {
    let job = tokio::task::spawn_blocking(move || {
        mails
            .into_iter()
            .filter(|mail| match mailer.send(mail) {
                Ok(()) => true,
                Err(e) => {
                    eprintln!("warning: e-mail not sent: {e}");
                    false
                }
            })
            .collect()
    });
    job.await.unwrap_or_else(|e| {
        eprintln!("warning: e-mail sending stopped: {e}");
        Vec::new()
    })
}

/// Tells the people of the steps that the change at `at` to `run` activated, in the
/// background; does nothing when mail is off. Call it once the change was committed.
pub fn after_change(state: &Arc<AppState>, run: &RunInfo, at: DateTime<Utc>) {
    let Some(mailer) = state.mail.clone() else {
        return;
    };
    let (state, run) = (Arc::clone(state), run.clone());
    tokio::spawn(async move {
        let primary = state.primary_language().to_string();
        let found = state
            .with_store(move |store| {
                activated_notices(store, &run.reference, &run.doc, &run.flow, at, &primary)
            })
            .await;
        match found {
            Ok(notices) => {
                let mails = notices.iter().map(|n| mailer.step_mail(n)).collect();
                send_all(mailer, mails).await;
            }
            Err(refusal) => eprintln!("warning: no notification for the change: {refusal}"),
        }
    });
}

/// Sends the overdue digests due at `now` and records each one sent; returns how many were
/// sent. Does nothing when mail is off.
pub async fn send_digests(state: &Arc<AppState>, now: DateTime<Utc>) -> usize {
    let Some(mailer) = state.mail.clone() else {
        return 0;
    };
    let (tz, primary) = (
        app::office_tz(Some(&state.loaded().qms)),
        state.primary_language().to_string(),
    );
    let (_, parties) = app::codes(&state.loaded().qms);
    let digests = match state
        .with_store(move |store| due_digests(store, tz, &primary, &parties, now))
        .await
    {
        Ok(digests) => digests,
        Err(refusal) => {
            eprintln!("warning: overdue digests not made: {refusal}");
            return 0;
        }
    };
    let mut sent = 0;
    for digest in digests {
        let mail = mailer.digest_mail(&digest);
        if send_all(Arc::clone(&mailer), vec![mail]).await.is_empty() {
            continue;
        }
        sent += 1;
        let recorded = state
            .with_store(move |store| record_digest(store, &digest, clock::system_now()))
            .await;
        if let Err(refusal) = recorded {
            eprintln!("warning: a digest was sent but not recorded: {refusal}");
        }
    }
    sent
}

/// The name of the digest job's lease ([`Leases::try_lease`]).
pub const DIGEST_JOB: &str = "digest";

/// Whether this server runs the background job `job` this tick: when its store holds the
/// job's lease. Several servers on one database thus run it on one of them at a time; a
/// store that cannot be asked skips the tick, with a warning.
pub async fn runs_job(state: &Arc<AppState>, job: &'static str) -> bool {
    match state.with_store(move |store| store.try_lease(job)).await {
        Ok(held) => held,
        Err(e) => {
            eprintln!("warning: the {job} job skips a turn: {e}");
            false
        }
    }
}

/// Sends the digests every [`DIGEST_EVERY`] until the server stops, on the one server of
/// the database that holds the digest job's lease.
pub async fn digest_job(state: Arc<AppState>) {
    let mut ticks = tokio::time::interval(DIGEST_EVERY);
    loop {
        ticks.tick().await;
        if runs_job(&state, DIGEST_JOB).await {
            send_digests(&state, clock::system_now()).await;
        }
    }
}
