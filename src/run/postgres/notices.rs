//! [`Notices`] for PostgreSQL: users' e-mail addresses and the overdue digests sent.

use chrono::{DateTime, Utc};

use super::PgStore;
use super::accounts::second;
use crate::run::accounts::UserId;
use crate::run::notices::Notices;
use crate::run::store::StoreError;

impl Notices for PgStore {
    fn set_email(&mut self, user: UserId, email: Option<&str>) -> Result<(), StoreError> {
        self.execute(
            "UPDATE users SET email = $1 WHERE id = $2",
            &[&email, &user.0],
        )?;
        Ok(())
    }

    fn digest_sent(&self, user: UserId, day: &str) -> Result<bool, StoreError> {
        let st = self.statement(
            "SELECT EXISTS (SELECT 1 FROM digests_sent WHERE user_id = $1 AND day = $2)",
        )?;
        Ok(self
            .client()?
            .query_one(&st, &[&user.0, &day])?
            .try_get(0)?)
    }

    fn record_digest(
        &mut self,
        user: UserId,
        day: &str,
        at: DateTime<Utc>,
        steps: usize,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO digests_sent (user_id, day, sent_at, steps) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[
                &user.0,
                &day,
                &second(at),
                &i64::try_from(steps).unwrap_or(i64::MAX),
            ],
        )?;
        Ok(())
    }
}
