//! The page templates (`templates/web/`, embedded) and what every page is given: the
//! labels in the reader's language, the signed-in user and the language switch.
//! Templates end in `.html`, so minijinja escapes every value put into them.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::AppState;
use super::labels::{language_name, web_labels};
use crate::run::accounts::User;

/// The embedded page templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/web/base.html")),
    (
        "sign_in.html",
        include_str!("../../templates/web/sign_in.html"),
    ),
    ("setup.html", include_str!("../../templates/web/setup.html")),
    ("home.html", include_str!("../../templates/web/home.html")),
    (
        "documents.html",
        include_str!("../../templates/web/documents.html"),
    ),
    ("step.html", include_str!("../../templates/web/step.html")),
    (
        "message.html",
        include_str!("../../templates/web/message.html"),
    ),
    (
        "refused.html",
        include_str!("../../templates/web/refused.html"),
    ),
    ("runs.html", include_str!("../../templates/web/runs.html")),
    (
        "run_new.html",
        include_str!("../../templates/web/run_new.html"),
    ),
    ("run.html", include_str!("../../templates/web/run.html")),
    (
        "training.html",
        include_str!("../../templates/web/training.html"),
    ),
    (
        "overview.html",
        include_str!("../../templates/web/overview.html"),
    ),
];

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
    /// The labels of the pages per language, as templates read them (`t`): made once per
    /// language, as every page needs all of them.
    labels: Mutex<HashMap<String, Value>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Compiles the embedded templates. They are part of the binary, so a template that
    /// does not compile is caught by the tests, never by a user.
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.add_filter("filesize", crate::run::attachments::show_size);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                eprintln!("error: the page template {name} does not compile: {e}");
            }
        }
        Templates {
            env,
            labels: Mutex::new(HashMap::new()),
        }
    }

    /// The pages' labels in `lang` ([`web_labels`]).
    pub fn labels(&self, lang: &str) -> Value {
        let mut kept = self.labels.lock().unwrap_or_else(|p| p.into_inner());
        kept.entry(lang.to_string())
            .or_insert_with(|| Value::from(minijinja::value::Serde(web_labels(lang))))
            .clone()
    }

    /// Renders a template; a failure is a 500 page naming the template, never a panic.
    pub fn page(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the page {name} could not be drawn: {e}"),
            )
                .into_response(),
        }
    }
}

/// A department or language choice as templates show it.
#[derive(Serialize)]
struct Choice {
    code: String,
    name: String,
    selected: bool,
}

/// The language a user reads the pages in: their choice, else the QMS's primary language.
pub fn language_of(state: &AppState, user: Option<&User>) -> String {
    user.and_then(|u| u.language.clone())
        .filter(|l| state.loaded().languages.contains(l))
        .unwrap_or_else(|| state.primary_language().to_string())
}

/// A department's or party's name in `lang` (its code when procdoc.yaml does not know it).
pub fn department_name(state: &AppState, code: &str, lang: &str) -> String {
    state
        .loaded()
        .qms
        .settings
        .as_ref()
        .and_then(|s| {
            let departments = s.departments.iter().map(|d| (&d.code, &d.name));
            let parties = s.parties.iter().map(|p| (&p.code, &p.name));
            departments
                .chain(parties)
                .find(|(c, _)| *c == code)
                .map(|(_, name)| name.best(lang, s.primary_language()).to_string())
        })
        .unwrap_or_else(|| code.to_string())
}

/// The context every page shares, merged with the page's own.
pub fn base_context(state: &AppState, user: Option<&User>, page: &str, own: Value) -> Value {
    let lang = language_of(state, user);
    let languages: Vec<Choice> = state
        .loaded()
        .languages
        .iter()
        .map(|code| Choice {
            code: code.clone(),
            name: language_name(code),
            selected: *code == lang,
        })
        .collect();
    let user = user.map(|u| {
        let departments: Vec<Choice> = u
            .departments
            .iter()
            .map(|code| Choice {
                code: code.clone(),
                name: department_name(state, code, &lang),
                selected: true,
            })
            .collect();
        context! {
            login => u.login.clone(),
            name => u.name.clone(),
            role => u.role.as_str(),
            departments => Value::from(minijinja::value::Serde(&departments)),
        }
    });
    let company = state
        .loaded()
        .qms
        .settings
        .as_ref()
        .map(|s| s.company.best(&lang, s.primary_language()).to_string());
    let shared = context! {
        t => state.templates.labels(&lang),
        lang => lang,
        page => page,
        company => company,
        languages => Value::from(minijinja::value::Serde(&languages)),
        user => user,
    };
    context! { ..own, ..shared }
}

/// The department choices of the setup form, in the QMS's primary language.
pub fn department_choices(state: &AppState) -> Value {
    let lang = state.primary_language().to_string();
    let choices: Vec<Choice> = state
        .loaded()
        .departments
        .iter()
        .map(|code| Choice {
            code: code.clone(),
            name: department_name(state, code, &lang),
            selected: false,
        })
        .collect();
    Value::from(minijinja::value::Serde(&choices))
}

/// A serialisable value as a template sees it.
pub fn to_value<T: serde::Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}
