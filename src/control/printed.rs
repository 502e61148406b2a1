//! What a controlled document prints from outside its own file: the company name,
//! copyright and languages of `procdoc.yaml`, the names of the departments and parties it
//! names (in the order that sets its matrix columns), the logo, and the ids and titles of
//! the other procedures it refers to. Each release records this excerpt, so that
//! renaming a department or the company shows the released document as modified, exactly
//! like an edit of its own file.

use serde::{Deserialize, Serialize};

use super::fingerprint;
use crate::spec::load::Qms;
use crate::spec::model::{Procedure, Settings};
use crate::spec::text::Text;

/// The excerpt of the QMS a document prints; compared whole, listed by [`changes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Printed {
    pub company: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<Text>,
    /// The QMS languages, primary first.
    pub languages: Vec<String>,
    /// SHA-256 (hex) of the logo file, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_sha256: Option<String>,
    /// The departments and parties the document names, in `procdoc.yaml` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<Name>,
    /// The other procedures the document refers to (references, calls, records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Other>,
}

/// A department or party as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub code: String,
    pub name: Text,
}

/// Another procedure as printed where this one refers to it. Its revision is left out on
/// purpose: a new revision of a referenced document is routine and does not make every
/// document that refers to it a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Other {
    pub id: String,
    pub title: Text,
    /// Its flows' titles (`id: title`), printed where a step calls one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<(String, Text)>,
    /// Its records (`id`, form number, title), printed where a step uses one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<(String, Option<String>, Text)>,
}

fn fold(t: &Text, primary: &str) -> Text {
    match t {
        Text::Languages(map) if map.len() == 1 && map.contains_key(primary) => {
            Text::Plain(map[primary].clone())
        }
        other => other.clone(),
    }
}

/// Every string value in a procedure's model, for finding the codes and ids it names.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// What `doc` prints from `settings` and the other procedures of its QMS.
pub fn of(qms: &Qms, settings: &Settings, doc: &Procedure) -> Printed {
    let primary = settings.primary_language();
    let mut named = Vec::new();
    strings(&serde_json::to_value(doc).unwrap_or_default(), &mut named);
    let names = settings
        .departments
        .iter()
        .map(|d| (&d.code, &d.name))
        .chain(settings.parties.iter().map(|p| (&p.code, &p.name)))
        .filter(|(code, _)| named.contains(code))
        .map(|(code, name)| Name {
            code: code.clone(),
            name: fold(name, primary),
        })
        .collect();
    let refers = |id: &str| {
        named
            .iter()
            .any(|s| s == id || s.split_once('#').is_some_and(|(d, _)| d == id))
    };
    let documents = qms
        .procedures
        .iter()
        .map(|p| &p.doc)
        .filter(|p| p.id != doc.id && refers(&p.id))
        .map(|p| Other {
            id: p.id.clone(),
            title: fold(&p.title, primary),
            flows: p
                .flows
                .iter()
                .map(|f| (f.id.clone(), fold(&f.title, primary)))
                .collect(),
            records: p
                .records
                .iter()
                .map(|r| (r.id.clone(), r.form.clone(), fold(&r.title, primary)))
                .collect(),
        })
        .collect();
    let logo_sha256 = settings.logo.as_ref().and_then(|l| {
        let path = crate::check::settings::logo_inside(&qms.root, l).ok()?;
        std::fs::read(path).ok().map(|b| super::command::sha256(&b))
    });
    Printed {
        company: fold(&settings.company, primary),
        copyright: settings.copyright.as_ref().map(|c| fold(c, primary)),
        languages: settings.languages.clone(),
        logo_sha256,
        names,
        documents,
    }
}

/// What differs between the excerpt printed at a release and now, one line each, in the
/// terms of `procdoc.yaml` (`company name: Acme → Acme Ltd`, `department QA name: ...`).
pub fn changes(old: &Printed, new: &Printed, primary: &str) -> Vec<String> {
    let text = |t: &Text| t.best(primary, primary).to_string();
    let mut out = Vec::new();
    if old.company != new.company {
        out.push(format!(
            "company name (procdoc.yaml): {} → {}",
            text(&old.company),
            text(&new.company)
        ));
    }
    if old.copyright != new.copyright {
        let show = |c: &Option<Text>| c.as_ref().map(text).unwrap_or_else(|| "(none)".into());
        out.push(format!(
            "copyright (procdoc.yaml): {} → {}",
            show(&old.copyright),
            show(&new.copyright)
        ));
    }
    if old.languages != new.languages {
        out.push(format!(
            "languages (procdoc.yaml): {} → {}",
            old.languages.join(", "),
            new.languages.join(", ")
        ));
    }
    if old.logo_sha256 != new.logo_sha256 {
        out.push("logo (procdoc.yaml)".to_string());
    }
    for n in &new.names {
        match old.names.iter().find(|o| o.code == n.code) {
            Some(o) if o.name != n.name => out.push(format!(
                "name of {} (procdoc.yaml): {} → {}",
                n.code,
                text(&o.name),
                text(&n.name)
            )),
            None => out.push(format!(
                "name of {} (procdoc.yaml): now printed as {}",
                n.code,
                text(&n.name)
            )),
            _ => {}
        }
    }
    for o in &old.names {
        if !new.names.iter().any(|n| n.code == o.code) {
            out.push(format!("name of {} (procdoc.yaml): removed", o.code));
        }
    }
    let codes = |p: &Printed| p.names.iter().map(|n| n.code.clone()).collect::<Vec<_>>();
    let (a, b) = (codes(old), codes(new));
    if a.len() == b.len() && a != b && a.iter().all(|c| b.contains(c)) {
        out.push(format!(
            "order of departments (procdoc.yaml): {} → {}",
            a.join(", "),
            b.join(", ")
        ));
    }
    for n in &new.documents {
        match old.documents.iter().find(|o| o.id == n.id) {
            Some(o) if o != n => out.push(format!(
                "referenced document {}: {}",
                n.id,
                other_change(o, n, &text)
            )),
            None => out.push(format!("referenced document {}: now referred to", n.id)),
            _ => {}
        }
    }
    for o in &old.documents {
        if !new.documents.iter().any(|n| n.id == o.id) {
            out.push(format!(
                "referenced document {}: no longer in the QMS",
                o.id
            ));
        }
    }
    out
}

fn other_change(o: &Other, n: &Other, text: &dyn Fn(&Text) -> String) -> String {
    if o.title != n.title {
        format!("title {} → {}", text(&o.title), text(&n.title))
    } else if o.flows != n.flows {
        "flow titles".to_string()
    } else {
        "record titles or form numbers".to_string()
    }
}

/// Whether a release made with excerpt `recorded` still prints the same, given the current
/// excerpt. A release from before procdoc recorded the excerpt (`None`) is taken as is.
pub fn unchanged(recorded: Option<&Printed>, current: &Printed) -> bool {
    recorded.is_none_or(|r| r == current)
}

/// The fingerprint of a document as printed: its meaning (see [`fingerprint::meaning`]).
pub fn meaning(doc: &Procedure, settings: &Settings) -> String {
    fingerprint::meaning(doc, settings.primary_language())
}
