//! The document control register (`register.yaml`) edited by hand or by an attacker: every
//! edit of its history is reported by `check` and refused by the commands that trust it.

use super::qms::Qms;

#[test]
fn an_altered_release_content_is_reported_and_not_appended_to() {
    let q = Qms::copy("red-maple");
    let first = q.release("CS-P-001", "2026-01-10");
    assert_eq!(first.code, 0, "{}", first.text());
    q.edit(
        "register.yaml",
        "Review the order item by item",
        "Skip the review",
    );
    let altered = q.findings("E0812");
    assert!(
        altered
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("has been altered")),
        "{altered:?}"
    );
    let review = q.run(&["review", "CS-P-001", "--qms", q.qms(), "--by", "Chen Lei"]);
    assert_eq!(review.code, 1, "{}", review.text());
    assert!(
        review.stderr.contains("cannot be trusted"),
        "{}",
        review.stderr
    );
}
