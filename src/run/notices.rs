//! What the store keeps for e-mail notifications: each user's address, and the overdue
//! digests already sent (one per person per office day), so that a restarted server never
//! sends a day's digest twice. The implementations are in `sqlite/notices.rs` and
//! `postgres/notices.rs`.

use chrono::{DateTime, Utc};

use super::accounts::{Accounts, UserId};
use super::store::StoreError;

/// The e-mail side of the people store. Each method is atomic on its own.
pub trait Notices: Accounts {
    /// Sets (or, with `None`, removes) a user's e-mail address.
    fn set_email(&mut self, user: UserId, email: Option<&str>) -> Result<(), StoreError>;
    /// Whether the overdue digest of office day `day` (`YYYY-MM-DD`) was sent to `user`.
    fn digest_sent(&self, user: UserId, day: &str) -> Result<bool, StoreError>;
    /// Records that the digest of `day`, listing `steps` overdue steps, was sent at `at`.
    /// Recording the same day again keeps the first record.
    fn record_digest(
        &mut self,
        user: UserId,
        day: &str,
        at: DateTime<Utc>,
        steps: usize,
    ) -> Result<(), StoreError>;
}
