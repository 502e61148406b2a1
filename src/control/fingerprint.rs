//! Content fingerprints: a hash of a procedure's meaning, its normalised model, so that
//! formatting, comments, key order and equivalent spellings never change it, while any
//! change of content does.
//!
//! Equivalent spellings folded before hashing:
//! - a text given as a language map holding only the primary language (`title: { en: X }`
//!   in an English-first QMS) is the plain text `title: X`;
//! - a deadline `{ time: 2 days }` with neither `from` nor `before` is `2 days`.

use sha2::{Digest, Sha256};

use crate::spec::model::{Procedure, Trigger, Within};
use crate::spec::text::Text;

/// The fingerprint of a controlled document: SHA-256 (hex) of the canonical JSON (keys
/// sorted, no whitespace) of the procedure's normalised model ([`normalise`]); `primary`
/// is the QMS's primary language. What `release` records, footers print and `check`
/// compares.
pub fn meaning(procedure: &Procedure, primary: &str) -> String {
    hash(&normalise(procedure, primary))
}

/// The fingerprint of the model exactly as written, without folding equivalent spellings:
/// what runs pin (a run follows the content as it was written when it started), and what
/// registers written before procdoc normalised recorded (still accepted for them). Equal
/// to [`meaning`] for a procedure that spells no text as a primary-language-only map.
pub fn of(procedure: &Procedure) -> String {
    hash(procedure)
}

fn hash(procedure: &Procedure) -> String {
    // serde_json's map is ordered by key, so the text is canonical for a given model.
    let value = serde_json::to_value(procedure).unwrap_or_default();
    let canonical = serde_json::to_string(&value).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The procedure with every equivalent spelling written one way (see the module docs).
pub fn normalise(procedure: &Procedure, primary: &str) -> Procedure {
    let mut doc = procedure.clone();
    let fold = |t: &mut Text| {
        if let Text::Languages(map) = t
            && map.len() == 1
            && let Some(only) = map.get(primary)
        {
            *t = Text::Plain(only.clone());
        }
    };
    for_each_text(&mut doc, fold);
    for flow in &mut doc.flows {
        for step in &mut flow.steps {
            if let Some(Within::Rule(rule)) = &step.within
                && rule.from.is_none()
                && rule.before.is_none()
            {
                step.within = Some(Within::Duration(rule.time));
            }
            if let Some(Within::Rule(rule)) = &step.after
                && rule.from.is_none()
                && rule.before.is_none()
            {
                step.after = Some(Within::Duration(rule.time));
            }
        }
    }
    doc
}

/// Apply `f` to every text of a procedure.
fn for_each_text(doc: &mut Procedure, mut f: impl FnMut(&mut Text)) {
    f(&mut doc.title);
    doc.purpose
        .iter_mut()
        .chain(doc.scope.iter_mut())
        .for_each(&mut f);
    doc.history.iter_mut().for_each(|h| f(&mut h.change));
    for d in &mut doc.definitions {
        f(&mut d.term);
        f(&mut d.meaning);
    }
    for r in &mut doc.responsibilities {
        r.duties.iter_mut().for_each(&mut f);
    }
    doc.references
        .iter_mut()
        .filter_map(|r| r.title.as_mut())
        .for_each(&mut f);
    for record in &mut doc.records {
        f(&mut record.title);
        record.retention.iter_mut().for_each(&mut f);
        for field in &mut record.fields {
            f(&mut field.label);
            field.options.iter_mut().for_each(&mut f);
            field.columns.iter_mut().for_each(&mut f);
        }
    }
    for s in &mut doc.sections {
        f(&mut s.title);
        f(&mut s.body);
    }
    for flow in &mut doc.flows {
        f(&mut flow.title);
        match &mut flow.trigger {
            Some(Trigger::Event(t)) => f(t),
            Some(Trigger::Several(list)) => list.iter_mut().for_each(|t| f(&mut t.text)),
            _ => {}
        }
        for step in &mut flow.steps {
            step.title
                .iter_mut()
                .chain(step.detail.iter_mut())
                .chain(step.end.iter_mut())
                .for_each(&mut f);
            step.check.iter_mut().for_each(&mut f);
            if let Some(d) = &mut step.decision {
                d.question.iter_mut().for_each(&mut f);
                d.outcomes.iter_mut().for_each(|o| f(&mut o.when));
            }
        }
    }
}

/// The short form printed in footers, easy to read out and type: `3F2A-91C0-7B1E`.
pub fn short(full: &str) -> String {
    let upper = full.to_ascii_uppercase();
    let head: Vec<&str> = (0..3).filter_map(|i| upper.get(i * 4..i * 4 + 4)).collect();
    head.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Procedure {
        serde_yaml::from_str(text).unwrap()
    }

    const A: &str = "id: X\ntitle: T\nrevision: A\neffective: 2026-01-01\nowner: CS\napproval:\n  prepared: { by: a, date: 2026-01-01 }\n  approved: { by: b, date: 2026-01-01 }\nhistory: []\nflows: []\n";

    #[test]
    fn formatting_comments_and_key_order_do_not_change_it() {
        let reordered = "# a comment\ntitle: T\nid: X\nrevision: A\neffective: 2026-01-01\nowner: CS\napproval: { approved: { date: 2026-01-01, by: b }, prepared: { by: a, date: 2026-01-01 } }\nflows: []\nhistory: []\n";
        assert_eq!(meaning(&parse(A), "en"), meaning(&parse(reordered), "en"));
    }

    #[test]
    fn a_primary_language_map_is_the_plain_text() {
        let mapped = parse(&A.replace("title: T", "title: { en: T }"));
        assert_eq!(meaning(&parse(A), "en"), meaning(&mapped, "en"));
        assert_eq!(meaning(&parse(A), "en"), of(&parse(A)));
        // In a Chinese-first QMS `{ en: T }` is an English text, not the plain one.
        assert_ne!(meaning(&parse(A), "zh"), meaning(&mapped, "zh"));
    }

    #[test]
    fn content_changes_do() {
        assert_ne!(
            meaning(&parse(A), "en"),
            meaning(&parse(&A.replace("title: T", "title: U")), "en")
        );
        assert_ne!(
            meaning(&parse(A), "en"),
            meaning(
                &parse(&A.replace("title: T", "title: { en: T, zh: T }")),
                "en"
            )
        );
    }

    #[test]
    fn short_form_groups_twelve_digits() {
        assert_eq!(short("3f2a91c07b1e5555"), "3F2A-91C0-7B1E");
    }
}
