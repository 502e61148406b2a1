//! The document library: which documents are current, with the revision people must work
//! to and where its controlled PDF is.

use serde::Serialize;

use crate::control;
use crate::render::build::document_file;
use crate::spec::load::Qms;

/// One current document as the library lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentEntry {
    /// The document number, e.g. `CS-P-001`.
    pub id: String,
    /// The title in the language asked for, else the primary language.
    pub title: String,
    /// The current revision: the latest released one, else the working revision (a draft).
    pub revision: String,
    /// Its effective date (YYYY-MM-DD).
    pub effective: String,
    /// The owning department's code and its name in the language asked for.
    pub owner: String,
    pub owner_name: String,
    /// Whether [`Self::revision`] was released; a draft is not yet controlled.
    pub released: bool,
    /// The release state of the working files ([`control::release_state`]).
    pub state: &'static str,
    /// The controlled PDF's file name in the output folder.
    pub pdf: String,
}

/// The current documents of a QMS, in the order of its procedure files, worded in `lang`.
pub fn current_documents(qms: &Qms, lang: &str) -> Vec<DocumentEntry> {
    let Some(settings) = qms.settings.as_ref() else {
        return Vec::new();
    };
    let primary = settings.primary_language();
    let owner_name = |code: &str| {
        settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .map_or_else(
                || code.to_string(),
                |d| d.name.best(lang, primary).to_string(),
            )
    };
    qms.procedures
        .iter()
        .map(|p| {
            let working = &p.doc;
            let release = qms.register.as_ref().and_then(|r| r.latest(&working.id));
            let (doc, effective, pdf) = match release {
                Some(r) => (&r.content, r.effective.to_string(), r.pdf.clone()),
                None => (
                    working,
                    working.effective.to_string(),
                    document_file(working),
                ),
            };
            DocumentEntry {
                id: doc.id.clone(),
                title: doc.title.best(lang, primary).to_string(),
                revision: doc.revision.clone(),
                effective,
                owner: doc.owner.clone(),
                owner_name: owner_name(&doc.owner),
                released: release.is_some(),
                state: control::release_state(qms, working),
                pdf,
            }
        })
        .collect()
}
