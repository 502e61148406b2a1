//! The QMS-wide lists `build` writes next to the documents: the master list of documents
//! (number, title, revision, effective date, owner, release state, next review), the records
//! register (every record, its procedure, keeper and retention) and the where-used index
//! (each form, department or party and document, and the steps that use it). Each is a CSV
//! and a section of `master-list.pdf`.
//!
//! Everything here follows the documents' own numbering ([`crate::spec::numbers::DocNumbers`]) and the
//! register's state ([`crate::control::release_state`], [`register::next_review`]), so the
//! lists say exactly what the documents and `procdoc status` say.

use std::collections::BTreeMap;

use serde::Serialize;

use super::context::{Multi, Printing};
use super::labels;
use crate::control::{self, register};
use crate::spec::load::Qms;
use crate::spec::model::Procedure;
use crate::spec::text::Text;

/// File names in the QMS output folder.
pub const PDF: &str = "master-list.pdf";
pub const MASTER_CSV: &str = "master-list.csv";
pub const RECORDS_CSV: &str = "records-register.csv";
pub const WHERE_USED_CSV: &str = "where-used.csv";

#[derive(Debug, Serialize)]
pub struct MasterList {
    pub documents: Vec<DocumentRow>,
    pub records: Vec<RecordRow>,
    /// Forms and records, departments and parties, documents: in that order.
    pub where_used: Vec<WhereUsedSection>,
}

/// One document of the master list. `*_csv` fields are the primary language only.
#[derive(Debug, Serialize)]
pub struct DocumentRow {
    pub id: String,
    pub title: Multi,
    pub title_csv: String,
    pub revision: String,
    pub effective: String,
    pub owner: Multi,
    pub owner_csv: String,
    /// [`control::RELEASED`], [`control::MODIFIED`], [`control::AWAITING_APPROVAL`] or
    /// [`control::DRAFT`].
    pub state: &'static str,
    /// `controlled_state`, `modified` or `draft`: the label key of the state.
    pub status_key: &'static str,
    pub status: Multi,
    pub next_review: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RecordRow {
    /// The record's id in its procedure (the register's key).
    pub record: String,
    /// The form number the spec gives; none is invented when it gives none.
    pub form: Option<String>,
    pub title: Multi,
    pub title_csv: String,
    pub procedure: String,
    pub keeper: Option<Multi>,
    pub keeper_csv: String,
    pub retention: Option<Multi>,
    pub retention_csv: String,
}

#[derive(Debug, Serialize)]
pub struct WhereUsedSection {
    /// Label key of the section heading.
    pub key: &'static str,
    pub items: Vec<UsedItem>,
}

/// A form, department, party or document, and where it is used.
#[derive(Debug, Serialize)]
pub struct UsedItem {
    /// `form`, `department`, `party` or `document`.
    pub kind: &'static str,
    /// The key in `where-used.csv`: a form's record id, a department or party code, a
    /// document number; empty for an outside document.
    pub item: String,
    /// What the PDF prints for it: the form number (`—` when the spec gives none), the
    /// code or document number; empty for an outside document.
    pub shown: String,
    pub name: Multi,
    pub name_csv: String,
    pub uses: Vec<Use>,
}

/// One use: `CS-P-001 4.1.2 review` and how the step uses the item.
#[derive(Debug, Serialize)]
pub struct Use {
    pub doc: String,
    /// `DOC-ID 4.1.2 step-id` for a step, `DOC-ID 7` for the related-documents section,
    /// `DOC-ID` for the document as a whole.
    pub at: String,
    /// `at` without its document: `4.1.2 step-id`, `7`, or empty for the whole document.
    pub place: String,
    /// The step's title, or the document's for a use by the whole document.
    pub title: Multi,
    /// `produces`, `uses`, `responsible`, `consulted`, `owner`, `calls`, `referenced`.
    pub role: &'static str,
    pub role_label: Multi,
}

/// The lists of a QMS, printed in `p.langs` (the CSV columns in the primary language).
pub fn master_list(qms: &Qms, p: &Printing) -> MasterList {
    let primary = p.settings.primary_language().to_string();
    let csv = |t: &Text| t.best(&primary, &primary).to_string();
    let actor_csv = |code: &str| {
        let s = p.settings;
        s.departments
            .iter()
            .map(|d| (&d.code, &d.name))
            .chain(s.parties.iter().map(|x| (&x.code, &x.name)))
            .find(|(c, _)| c.as_str() == code)
            .map(|(_, name)| csv(name))
            .unwrap_or_else(|| code.to_string())
    };
    let all_labels = labels::labels(&p.langs);
    let label = |key: &str| all_labels.get(key).cloned().unwrap_or_default();
    let mut docs: Vec<&Procedure> = qms.procedures.iter().map(|l| &l.doc).collect();
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    let empty = register::Register::default();
    let reg = qms.register.as_ref().unwrap_or(&empty);

    let documents = docs
        .iter()
        .map(|doc| {
            let state = control::release_state(qms, doc);
            let status_key = match state {
                control::RELEASED => "controlled_state",
                control::MODIFIED => "modified",
                control::AWAITING_APPROVAL => "awaiting_approval",
                _ => "draft",
            };
            DocumentRow {
                id: doc.id.clone(),
                title: p.text(&doc.title),
                title_csv: csv(&doc.title),
                revision: doc.revision.clone(),
                effective: doc.effective.to_string(),
                owner: p.actor(&doc.owner),
                owner_csv: actor_csv(&doc.owner),
                state,
                status_key,
                status: label(status_key),
                next_review: register::next_review(reg, &doc.id, doc.review_every)
                    .map(register::day),
            }
        })
        .collect();

    let records = docs
        .iter()
        .flat_map(|doc| {
            doc.records.iter().map(|r| RecordRow {
                record: r.id.clone(),
                form: r.form.clone(),
                title: p.text(&r.title),
                title_csv: csv(&r.title),
                procedure: doc.id.clone(),
                keeper: r.keeper.as_ref().map(|k| p.actor(k)),
                keeper_csv: r.keeper.as_deref().map(actor_csv).unwrap_or_default(),
                retention: r.retention.as_ref().map(|t| p.amount(t)),
                retention_csv: r.retention.as_ref().map(&csv).unwrap_or_default(),
            })
        })
        .collect();

    // Every use, in document, flow and step order.
    let mut forms: BTreeMap<(String, usize), Vec<Use>> = BTreeMap::new();
    let mut actors: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    let mut internal: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    let mut external: Vec<(Text, Vec<Use>)> = Vec::new();
    for doc in &docs {
        let numbering = crate::spec::numbers::DocNumbers::of(doc);
        let numbers = &numbering.parts;
        let whole = |role: &'static str, place: String| Use {
            doc: doc.id.clone(),
            at: if place.is_empty() {
                doc.id.clone()
            } else {
                format!("{} {place}", doc.id)
            },
            place,
            title: p.text(&doc.title),
            role,
            role_label: label(&format!("role_{role}")),
        };
        actors
            .entry(doc.owner.clone())
            .or_default()
            .push(whole("owner", String::new()));
        let related = numbers
            .get("related")
            .map(|n| n.to_string())
            .unwrap_or_default();
        for reference in &doc.references {
            match (&reference.doc, &reference.title) {
                (Some(id), _) => internal
                    .entry(id.clone())
                    .or_default()
                    .push(whole("referenced", related.clone())),
                (None, Some(title)) => {
                    let use_ = whole("referenced", related.clone());
                    match external.iter_mut().find(|(t, _)| t == title) {
                        Some((_, uses)) => uses.push(use_),
                        None => external.push((title.clone(), vec![use_])),
                    }
                }
                (None, None) => {}
            }
        }
        for (f, flow) in doc.flows.iter().enumerate() {
            for (s, step) in flow.steps.iter().enumerate() {
                let title = step
                    .title
                    .as_ref()
                    .map(|t| p.text(t))
                    .unwrap_or_else(|| vec![step.id.clone()]);
                let place = format!("{} {}", numbering.step(f, s), step.id);
                let at_step = |role: &'static str| Use {
                    doc: doc.id.clone(),
                    at: format!("{} {place}", doc.id),
                    place: place.clone(),
                    title: title.clone(),
                    role,
                    role_label: label(&format!("role_{role}")),
                };
                for (names, role) in [(&step.produces, "produces"), (&step.uses, "uses")] {
                    for name in names.iter() {
                        if let Some(key) = resolve_record(&docs, doc, name) {
                            forms.entry(key).or_default().push(at_step(role));
                        }
                    }
                }
                for (codes, role) in [(step.by.ids(), "responsible"), (&step.with, "consulted")] {
                    for code in codes.iter() {
                        actors.entry(code.clone()).or_default().push(at_step(role));
                    }
                }
                if let Some(target) = step.calls.as_ref().and_then(|c| c.doc.as_ref())
                    && target != &doc.id
                {
                    internal
                        .entry(target.clone())
                        .or_default()
                        .push(at_step("calls"));
                }
            }
        }
    }

    let mut form_items = Vec::new();
    for doc in &docs {
        for (i, r) in doc.records.iter().enumerate() {
            if let Some(uses) = forms.remove(&(doc.id.clone(), i)) {
                form_items.push(UsedItem {
                    kind: "form",
                    item: r.id.clone(),
                    shown: r.form.clone().unwrap_or_else(|| "—".into()),
                    name: p.text(&r.title),
                    name_csv: csv(&r.title),
                    uses,
                });
            }
        }
    }
    let s = p.settings;
    let mut actor_items = Vec::new();
    let known = s
        .departments
        .iter()
        .map(|d| ("department", &d.code))
        .chain(s.parties.iter().map(|x| ("party", &x.code)));
    for (kind, code) in known {
        if let Some(uses) = actors.remove(code.as_str()) {
            actor_items.push(UsedItem {
                kind,
                item: code.clone(),
                shown: code.clone(),
                name: p.actor(code),
                name_csv: actor_csv(code),
                uses,
            });
        }
    }
    // Codes the settings do not know (a QMS with errors never builds; kept for safety).
    for (code, uses) in actors {
        actor_items.push(UsedItem {
            kind: "department",
            name: vec![code.clone()],
            name_csv: code.clone(),
            shown: code.clone(),
            item: code,
            uses,
        });
    }
    let mut document_items: Vec<UsedItem> = internal
        .into_iter()
        .map(|(id, uses)| {
            let target = docs.iter().find(|d| d.id == id);
            UsedItem {
                kind: "document",
                name: target.map(|d| p.text(&d.title)).unwrap_or_default(),
                name_csv: target.map(|d| csv(&d.title)).unwrap_or_default(),
                shown: id.clone(),
                item: id,
                uses,
            }
        })
        .collect();
    document_items.extend(external.into_iter().map(|(title, uses)| UsedItem {
        kind: "document",
        item: String::new(),
        shown: String::new(),
        name: p.text(&title),
        name_csv: csv(&title),
        uses,
    }));

    MasterList {
        documents,
        records,
        where_used: vec![
            WhereUsedSection {
                key: "forms_records",
                items: form_items,
            },
            WhereUsedSection {
                key: "departments_parties",
                items: actor_items,
            },
            WhereUsedSection {
                key: "documents",
                items: document_items,
            },
        ],
    }
}

/// The record a step names (`contract-review`, or `CS-M-001#callback-record` in another
/// document): its document's id and its index there.
fn resolve_record(docs: &[&Procedure], doc: &Procedure, name: &str) -> Option<(String, usize)> {
    let (owner, id) = match name.split_once('#') {
        Some((d, r)) => (docs.iter().find(|x| x.id == d).copied()?, r),
        None => (doc, name),
    };
    let index = owner.records.iter().position(|r| r.id == id)?;
    Some((owner.id.clone(), index))
}

impl MasterList {
    /// The three CSV files: (file name, bytes).
    pub fn csv_files(&self) -> Vec<(&'static str, Vec<u8>)> {
        let master = csv(
            &[
                "document",
                "title",
                "revision",
                "effective",
                "owner",
                "status",
                "next_review",
            ],
            self.documents.iter().map(|d| {
                vec![
                    d.id.clone(),
                    d.title_csv.clone(),
                    d.revision.clone(),
                    d.effective.clone(),
                    d.owner_csv.clone(),
                    labels::label(d.status_key, "en"),
                    d.next_review.clone().unwrap_or_default(),
                ]
            }),
        );
        let records = csv(
            &[
                "record",
                "form",
                "title",
                "procedure",
                "keeper",
                "retention",
            ],
            self.records.iter().map(|r| {
                vec![
                    r.record.clone(),
                    r.form.clone().unwrap_or_default(),
                    r.title_csv.clone(),
                    r.procedure.clone(),
                    r.keeper_csv.clone(),
                    r.retention_csv.clone(),
                ]
            }),
        );
        let where_used = csv(
            &["kind", "item", "name", "document", "step", "role"],
            self.where_used.iter().flat_map(|section| {
                section.items.iter().flat_map(|item| {
                    item.uses.iter().map(|u| {
                        vec![
                            item.kind.to_string(),
                            item.item.clone(),
                            item.name_csv.clone(),
                            u.doc.clone(),
                            u.at.clone(),
                            u.role.to_string(),
                        ]
                    })
                })
            }),
        );
        vec![
            (MASTER_CSV, master),
            (RECORDS_CSV, records),
            (WHERE_USED_CSV, where_used),
        ]
    }

    /// The latest effective date of the documents: the PDF's date, never the clock.
    pub fn date(qms: &Qms) -> Option<chrono::NaiveDate> {
        qms.procedures.iter().map(|p| p.doc.effective.0).max()
    }
}

/// RFC 4180 CSV, UTF-8 with a byte-order mark (so spreadsheet programs read Chinese text
/// correctly), CRLF line ends, fields quoted only when they need it.
///
/// Spec text goes into these cells, and a spreadsheet runs a cell that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return as a formula (OWASP "CSV injection"): such cells get a
/// leading apostrophe, which spreadsheets read as "this is text" and do not show.
fn csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    fn field(value: &str) -> String {
        let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_string()
        };
        if value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ')
        {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_string()
        }
    }
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    out.push_str(&line(header.iter().map(|h| h.to_string()).collect()));
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&line(row));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::csv;

    #[test]
    fn csv_quotes_what_needs_quoting_and_starts_with_a_bom() {
        let bytes = csv(
            &["a", "b"],
            [vec!["x, y".to_string(), "say \"hi\"\nnow".to_string()]].into_iter(),
        );
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}a,b\r\n\"x, y\",\"say \"\"hi\"\"\nnow\"\r\n");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_stay_text() {
        let row = [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "CS-P-001",
            "a=b",
        ];
        let bytes = csv(
            &["h"],
            [row.iter().map(|c| c.to_string()).collect()].into_iter(),
        );
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),CS-P-001,a=b"
        );
    }
}
