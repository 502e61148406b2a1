//! The password re-entered at each signature, checked cheaply after the first time.
//!
//! 21 CFR 11.200(a)(1) asks for the password at every signing, and procdoc asks for it.
//! Checking it costs an argon2id hash (deliberately slow: tens of milliseconds and 19 MiB),
//! which a server signing for many people at once cannot afford at every step. A
//! [`PasswordMemo`] remembers, per user, that a password passed argon2id, as a SHA-256
//! keyed with a secret drawn when the process starts; a later signature with the same
//! password compares one such digest.
//!
//! What the memo never does: let a wrong password through (it always takes the full check),
//! outlive the process (it is never written anywhere), survive a password change (the stored
//! argon2id hash is part of what is digested), or keep a password longer than [`KEPT_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::users::{self, Refusal};
use crate::run::accounts::{User, UserId};

/// How long a checked password is remembered: a working day, as a session lasts.
pub const KEPT_FOR: Duration = Duration::from_secs(8 * 3600);

/// Passwords that passed argon2id in this process, per user (see the module's notes).
pub struct PasswordMemo {
    key: [u8; 32],
    kept: Mutex<HashMap<UserId, ([u8; 32], Instant)>>,
}

impl PasswordMemo {
    /// A memo with a fresh secret key from the operating system.
    pub fn new() -> Result<PasswordMemo, Refusal> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| Refusal::Random(e.to_string()))?;
        Ok(PasswordMemo {
            key,
            kept: Mutex::new(HashMap::new()),
        })
    }

    /// Whether `password` is `user`'s: from the memo when it passed before (within
    /// [`KEPT_FOR`], against the same stored hash), else by argon2id
    /// ([`users::confirm_password`]), remembered when right.
    pub fn confirm(&self, user: &User, password: &str) -> bool {
        let Some(sealed) = self.seal(user, password) else {
            return false;
        };
        let now = Instant::now();
        {
            let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((known, at)) = kept.get(&user.id)
                && *known == sealed
                && now.duration_since(*at) < KEPT_FOR
            {
                return true;
            }
        }
        // Outside the lock: argon2id takes long, and other users' signatures go on.
        if !users::confirm_password(user, password) {
            return false;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|_, (_, at)| now.duration_since(*at) < KEPT_FOR);
        kept.insert(user.id, (sealed, now));
        true
    }

    /// The keyed digest of the stored hash and the password; `None` without a stored hash.
    fn seal(&self, user: &User, password: &str) -> Option<[u8; 32]> {
        let stored = user.password.as_deref()?;
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        // Lengths first, so that no two (hash, password) pairs digest the same bytes.
        hasher.update((stored.len() as u64).to_be_bytes());
        hasher.update(stored.as_bytes());
        hasher.update((password.len() as u64).to_be_bytes());
        hasher.update(password.as_bytes());
        Some(hasher.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::accounts::Role;

    fn user(password: &str) -> User {
        User {
            id: UserId(7),
            login: "lin".into(),
            name: "Lin Mei".into(),
            departments: vec!["CS".into()],
            role: Role::Staff,
            password: Some(users::hash_password(password).unwrap()),
            disabled: false,
            language: None,
            created_at: chrono::Utc::now(),
            email: None,
        }
    }

    #[test]
    fn a_password_is_right_from_the_memo_and_a_wrong_one_never() {
        let memo = PasswordMemo::new().unwrap();
        let lin = user("red maple leaf 2026");
        assert!(!memo.confirm(&lin, "red maple leaf 2025"));
        assert!(memo.confirm(&lin, "red maple leaf 2026"));
        assert_eq!(memo.kept.lock().unwrap().len(), 1, "remembered once right");
        assert!(memo.confirm(&lin, "red maple leaf 2026"));
        assert!(!memo.confirm(&lin, "red maple leaf 2025"));
        assert!(!memo.confirm(&lin, ""));
    }

    #[test]
    fn a_changed_password_makes_the_old_one_wrong_at_once() {
        let memo = PasswordMemo::new().unwrap();
        let before = user("red maple leaf 2026");
        assert!(memo.confirm(&before, "red maple leaf 2026"));
        let after = User {
            password: Some(users::hash_password("a new passphrase 1").unwrap()),
            ..before.clone()
        };
        assert!(!memo.confirm(&after, "red maple leaf 2026"));
        assert!(memo.confirm(&after, "a new passphrase 1"));
        let no_password = User {
            password: None,
            ..before
        };
        assert!(!memo.confirm(&no_password, "red maple leaf 2026"));
    }

    #[test]
    fn memos_of_two_processes_digest_differently() {
        let lin = user("red maple leaf 2026");
        let (a, b) = (PasswordMemo::new().unwrap(), PasswordMemo::new().unwrap());
        assert_ne!(
            a.seal(&lin, "red maple leaf 2026"),
            b.seal(&lin, "red maple leaf 2026")
        );
    }
}
