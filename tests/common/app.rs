//! The application layer driven directly, as a web handler drives it: the users a test
//! signs as, and the requests it sends.

use procdoc::app::SignStep;
use procdoc::app::users::{self, AddUser};
use procdoc::run::accounts::{Role, User};
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;

/// The password of every user the tests add.
pub const PASSWORD: &str = "correct horse battery";

/// Adds user `login` (printed as `name`, with [`PASSWORD`]) acting in `depts`, where the
/// QMS knows the departments `known`.
pub fn add_user(
    store: &mut SqliteStore,
    known: &[&str],
    login: &str,
    name: &str,
    depts: &[&str],
    role: Role,
) -> User {
    let known: Vec<String> = known.iter().map(|d| d.to_string()).collect();
    users::add_user(
        store,
        &known,
        AddUser {
            login: login.into(),
            name: name.into(),
            departments: depts.iter().map(|d| d.to_string()).collect(),
            role,
            password: Some(PASSWORD.into()),
        },
        clock::system_now(),
    )
    .unwrap()
}

/// A request to sign step `id` with nothing else entered.
pub fn step(id: &str) -> SignStep {
    SignStep {
        step: id.into(),
        ..Default::default()
    }
}
