//! Output file names as a file system sees them. Two names that differ only in case or in
//! Unicode spelling (`QP-001` and `qp-001`, a composed `é` and `e` + combining accent, a
//! full-width `Ａ`) are one file on macOS and Windows, and on Linux after a copy to such a
//! disk; procdoc treats them as one name everywhere, so that no output silently replaces
//! another.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::check::codes;
use crate::check::diagnostic::Diagnostic;
use crate::check::{Context, DocView};
use crate::render::build::{document_file, file_stem};
use crate::spec::source::FileId;

/// The key under which a case-insensitive, normalising file system would store `name`:
/// NFKC, then full case folding (approximated by upper- then lower-casing, which also folds
/// `ß` to `ss` and a final `ς` to `σ`), then NFKC again.
pub fn fold(name: &str) -> String {
    // ASCII is its own compatibility form, and its case folds one to one.
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    let compatible: String = name.nfkc().collect();
    let folded = compatible.to_uppercase().to_lowercase();
    folded.nfkc().collect()
}

/// Whether two file names are one file on a case-insensitive, normalising file system.
pub fn same_file(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

/// One output and where its name comes from.
struct Output {
    /// Path in the output folder, as procdoc writes it.
    path: String,
    /// What it is, for the message: `document QP/001 rev. A`.
    what: String,
    /// The ids it is named from, exactly: equal keys are one duplicate id (E0106), not a
    /// collision of names.
    key: String,
    file: FileId,
    at: String,
}

/// Every output of a build (controlled documents, forms, travellers, flow diagrams) and
/// every controlled copy named in the register must be a distinct file on any disk:
/// E0815 names both sources of a collision.
pub fn check(cx: &Context, views: &[DocView], out: &mut Vec<Diagnostic>) {
    let mut outputs: Vec<Output> = Vec::new();
    for view in views {
        let doc = view.doc;
        outputs.push(Output {
            path: document_file(doc),
            what: format!("document {} rev. {}", doc.id, doc.revision),
            key: format!("doc {}", doc.id),
            file: view.file,
            at: "id".into(),
        });
        for (r, record) in doc.records.iter().enumerate() {
            if record.fields.is_empty() {
                continue;
            }
            let form = record.form.clone().unwrap_or_else(|| record.id.clone());
            outputs.push(Output {
                path: format!("forms/{}.pdf", file_stem(&form)),
                what: format!("the form {form} of record {} in {}", record.id, doc.id),
                // A form number is the QMS's (a duplicate is E0106); without one the
                // form is named after a record id, which is only unique in its document.
                key: match &record.form {
                    Some(form) => format!("form {form}"),
                    None => format!("record {}\n{}", doc.id, record.id),
                },
                file: view.file,
                at: format!(
                    "records[{r}].{}",
                    if record.form.is_some() { "form" } else { "id" }
                ),
            });
        }
        for (f, flow) in doc.flows.iter().enumerate() {
            let stem = format!("{}_{}", file_stem(&doc.id), file_stem(&flow.id));
            outputs.push(Output {
                path: format!("travellers/{stem}.pdf"),
                what: format!("flow {} of {}", flow.id, doc.id),
                key: format!("flow {}\n{}", doc.id, flow.id),
                file: view.file,
                at: format!("flows[{f}].id"),
            });
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, o) in outputs.iter().enumerate() {
        let folded = fold(&o.path);
        match seen.get(&folded) {
            None => {
                seen.insert(folded, i);
            }
            Some(&first) if outputs[first].key == o.key => {}
            Some(&first) => {
                let f = &outputs[first];
                out.push(
                    Diagnostic::new(
                        &codes::OUTPUT_NAME_COLLISION,
                        cx.at(o.file, &o.at),
                        format!(
                            "{} would be written to `{}`, the file of {} (`{}`)",
                            o.what, o.path, f.what, f.path
                        ),
                    )
                    .label(cx.at(f.file, &f.at), format!("{} is named here", f.what))
                    .hint("file names keep letters, digits, `.`, `-` and `_` (other characters become `-`) and a disk may ignore case and Unicode spelling; give one of them a distinct id"),
                );
            }
        }
    }
    // A controlled copy released under another document's id keeps its file name: a
    // document of the QMS must not take it.
    let (Some(register), Some(reg_file)) = (&cx.qms.register, cx.qms.register_file) else {
        return;
    };
    for view in views {
        let doc = view.doc;
        let name = document_file(doc);
        if let Some((i, r)) = register
            .releases
            .iter()
            .enumerate()
            .find(|(_, r)| r.doc != doc.id && same_file(&document_file(&r.content), &name))
        {
            out.push(
                Diagnostic::new(
                    &codes::OUTPUT_NAME_COLLISION,
                    cx.at(view.file, "id"),
                    format!(
                        "document {} rev. {} would be written to `{name}`, the controlled copy of {} rev. {} released on {}",
                        doc.id,
                        doc.revision,
                        r.doc,
                        r.revision,
                        crate::run::clock::stamp_day(
                            &r.released_at,
                            crate::run::clock::office_timezone(Some(cx.settings))
                        )
                    ),
                )
                .label(
                    cx.at(reg_file, &format!("releases[{i}].doc")),
                    "released under this id",
                )
                .hint("give the document a distinct id; a controlled copy is never overwritten by another document"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_width_and_composition_do_not_make_names_differ() {
        assert!(same_file("QP-001_A.pdf", "qp-001_a.PDF"));
        assert!(same_file("caf\u{e9}.pdf", "cafe\u{301}.pdf"));
        assert!(same_file("\u{ff21}-1.pdf", "a-1.pdf"));
        // ANGSTROM SIGN and the letter Å are one character after normalisation.
        assert!(same_file("\u{212b}.pdf", "\u{c5}.pdf"));
        assert!(same_file("\u{fb01}le.pdf", "FILE.pdf"));
        assert!(same_file("stra\u{df}e", "STRASSE"));
        assert!(!same_file("QP-001_A.pdf", "QP-002_A.pdf"));
    }
}
