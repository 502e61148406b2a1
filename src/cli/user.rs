//! `procdoc user ...`: managing accounts from the command line, an adapter over
//! [`crate::app::users`]. Refusals go to standard error with exit code 1, usage and I/O
//! problems with 2.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::app::users::{self, AddUser, Refusal};
use crate::run::accounts::Role;
use crate::run::clock;
use crate::run::command::database_path;
use crate::run::store::{AnyStore, StoreError};
use crate::spec::load;

const OK: u8 = 0;
const REFUSED: u8 = 1;
const USAGE: u8 = 2;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user who signs in to `procdoc serve` and signs steps
    Add {
        /// The sign-in name (letters, digits, `.`, `_`, `-`, `@`)
        login: String,
        /// The name printed with the user's signatures
        #[arg(long)]
        name: String,
        /// A department code of procdoc.yaml the user acts for (repeatable)
        #[arg(long = "dept", value_name = "CODE", required = true)]
        departments: Vec<String>,
        #[arg(long, value_enum, default_value_t = Role::Staff)]
        role: Role,
        /// Read the password from the first line of standard input (else the account
        /// has none until `procdoc user passwd`)
        #[arg(long)]
        password_stdin: bool,
        /// Where `procdoc serve` sends the user's notifications (none: no e-mail)
        #[arg(long, value_name = "ADDR")]
        email: Option<String>,
    },
    /// List the users
    List,
    /// Disable a user: no more sign-in, sessions and API tokens stop working
    Disable { login: String },
    /// Set a user's password, read from the first line of standard input
    Passwd { login: String },
    /// Make a new API token for a user and print it (it is shown only this once)
    Token { login: String },
}

/// Runs one `procdoc user` command; returns the exit code.
pub fn execute(command: UserCommand, qms_dir: &Path, db: Option<PathBuf>) -> u8 {
    let db = database_path(qms_dir, db);
    match dispatch(command, qms_dir, &db) {
        Ok(code) => code,
        // The command line says which option gives what is missing.
        Err(Failure::Refused(e @ Refusal::NoDepartment)) => {
            eprintln!("refused: {e}: give it with --dept");
            REFUSED
        }
        Err(Failure::Refused(e)) => {
            eprintln!("refused: {e}");
            REFUSED
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            USAGE
        }
    }
}

enum Failure {
    Refused(Refusal),
    Usage(String),
}

impl From<Refusal> for Failure {
    fn from(e: Refusal) -> Self {
        match e {
            Refusal::Store(e) => Failure::Usage(e.to_string()),
            other => Failure::Refused(other),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Usage(e.to_string())
    }
}

fn dispatch(command: UserCommand, qms_dir: &Path, db: &Path) -> Result<u8, Failure> {
    let now = clock::system_now();
    match command {
        UserCommand::Add {
            login,
            name,
            departments,
            role,
            password_stdin,
            email,
        } => {
            let known = department_codes(qms_dir)?;
            let password = password_stdin.then(read_password).transpose()?;
            let has_password = password.is_some();
            let mut store = AnyStore::create(db)?;
            let request = AddUser {
                login,
                name,
                departments,
                role,
                password,
            };
            let user = users::add_user_with_email(&mut store, &known, request, email, now)?;
            println!(
                "added {} ({}), {} of {}{}",
                user.login,
                user.name,
                user.role.as_str(),
                user.departments.join(", "),
                user.email
                    .as_deref()
                    .map(|e| format!(", e-mail {e}"))
                    .unwrap_or_default()
            );
            if !has_password {
                println!(
                    "no password yet: set one with `procdoc user passwd {}` (reads standard input)",
                    user.login
                );
            }
            Ok(OK)
        }
        UserCommand::List => {
            let store = match AnyStore::open(db, false) {
                Err(StoreError::Missing(_)) => return Ok(OK),
                other => other?,
            };
            for user in users::list_users(&store)? {
                println!(
                    "{}\t{}\t{}\t{}{}{}",
                    user.login,
                    user.name,
                    user.role.as_str(),
                    user.departments.join(","),
                    if user.disabled { "\tdisabled" } else { "" },
                    user.email
                        .as_deref()
                        .map(|e| format!("\t{e}"))
                        .unwrap_or_default()
                );
            }
            Ok(OK)
        }
        UserCommand::Disable { login } => {
            let mut store = AnyStore::open(db, true)?;
            let user = users::disable_user(&mut store, &login)?;
            println!("disabled {}", user.login);
            Ok(OK)
        }
        UserCommand::Passwd { login } => {
            let password = read_password()?;
            let mut store = AnyStore::open(db, true)?;
            let user = users::set_password(&mut store, &login, &password)?;
            println!(
                "new password set for {}; their sessions have ended",
                user.login
            );
            Ok(OK)
        }
        UserCommand::Token { login } => {
            let mut store = AnyStore::open(db, true)?;
            let token = users::create_token(&mut store, &login, now)?;
            eprintln!("a new API token for {login}; it is shown only now:");
            println!("{token}");
            Ok(OK)
        }
    }
}

/// The department codes of the QMS's procdoc.yaml.
fn department_codes(qms_dir: &Path) -> Result<Vec<String>, Failure> {
    let (qms, _) = load::load(qms_dir).map_err(|e| Failure::Usage(e.to_string()))?;
    let settings = qms.settings.as_ref().ok_or_else(|| {
        Failure::Usage(format!(
            "{} has no readable procdoc.yaml: run `procdoc check` on it",
            qms_dir.display()
        ))
    })?;
    Ok(settings
        .departments
        .iter()
        .map(|d| d.code.clone())
        .collect())
}

/// The first line of standard input, without its line end.
fn read_password() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Failure::Usage(format!("cannot read the password from standard input: {e}"))
    })?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(Failure::Usage(
            "no password on standard input (give it as the first line)".into(),
        ));
    }
    Ok(password)
}
