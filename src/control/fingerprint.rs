//! Content fingerprints: a hash of a procedure's normalised model, so formatting, comments
//! and key order never change it, while any change of content does.

use sha2::{Digest, Sha256};

use crate::spec::model::Procedure;

/// SHA-256 (hex) of the procedure's canonical JSON (keys sorted, no whitespace).
pub fn of(procedure: &Procedure) -> String {
    // serde_json's map is ordered by key, so the text is canonical for a given model.
    let value = serde_json::to_value(procedure).unwrap_or_default();
    let canonical = serde_json::to_string(&value).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
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
        assert_eq!(of(&parse(A)), of(&parse(reordered)));
    }

    #[test]
    fn content_changes_do() {
        assert_ne!(
            of(&parse(A)),
            of(&parse(&A.replace("title: T", "title: U")))
        );
    }

    #[test]
    fn short_form_groups_twelve_digits() {
        assert_eq!(short("3f2a91c07b1e5555"), "3F2A-91C0-7B1E");
    }
}
