//! Signing the contract review in the browser: a sign-off with nothing filled in is
//! refused with each problem next to its field, a wrong password is refused with what
//! was entered kept, and the complete review (check items, record fields, a table row
//! added, the decision) is signed and leads to the general manager's step.

use crate::harness::{Browser, LIN, PASSWORD, Qms, Result, assert_has, in_browser};

const FORM: &str = "/runs/SO-2026-0147/steps/review";
const SIGN: &str = "form.step-form button.primary";

/// An order whose customer request is recorded: the review is active.
pub fn order_to_review(people: &[&crate::harness::Person]) -> Qms {
    // Once the store has accounts, the command line signs as one of them: Lin, of CS (the
    // procedure's owner), records the customer's request on its behalf.
    let mut people = people.to_vec();
    if !people.iter().any(|p| p.login == LIN.login) {
        people.push(&LIN);
    }
    let qms = Qms::red_maple(&people);
    qms.run(&[
        "start",
        "CS-P-001",
        "--ref",
        "SO-2026-0147",
        "--by",
        "Lin Mei",
    ])
    .run(&[
        "done",
        "SO-2026-0147",
        "request",
        "--by",
        "Lin Mei",
        "--as",
        "CUST",
        "--note",
        "Request for quotation received by e-mail",
    ]);
    qms
}

/// An order reviewed by `reviewer` (printed name) through the command line: the general
/// manager's signature is active.
pub fn reviewed_order(people: &[&crate::harness::Person], reviewer: &str) -> Qms {
    let qms = order_to_review(people);
    qms.run(&[
        "done",
        "SO-2026-0147",
        "review",
        "--by",
        reviewer,
        "--as",
        "CS",
        "--check",
        "all",
        "--outcome",
        "Order can be fulfilled",
        "--field",
        "contract-review.customer=Nordwind Blades GmbH",
        "--field",
        "contract-review.result=Order can be fulfilled",
        "--field",
        "quotation.customer=Nordwind Blades GmbH",
    ]);
    qms
}

/// The error texts shown inside what `css` selects.
async fn errors_in(b: &Browser, css: &str) -> Result<String> {
    Ok(b.texts(&format!("{css} .error")).await?.join(" | "))
}

#[test]
fn a_refused_review_shows_its_errors_next_to_the_fields_then_signs() {
    let server = order_to_review(&[&LIN]).serve();
    in_browser(&server, |b| async move {
        b.sign_in(&LIN).await?;
        b.open(FORM, "form.step-form").await?;
        assert_has(
            &b.text("h1").await?,
            "Review the order item by item",
            "the step's title",
        );

        // Signed with only the password: refused at the decision, nothing else changes.
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, ".error[role=alert]").await?;
        let decision = errors_in(&b, "fieldset:has(input[name=outcome])").await?;
        assert_has(&decision, "is a decision", "the error at the decision");
        b.scroll_to("fieldset:has(input[name=outcome])").await?;
        b.screenshot("web-step-form-errors").await?;

        // The decision taken: refused at the check items.
        b.pick("outcome", "Order can be fulfilled").await?;
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, ".error[role=alert]").await?;
        let checks = errors_in(&b, "fieldset:has(input[name=check])").await?;
        assert!(!checks.is_empty(), "an error at the check items");
        assert_eq!(
            errors_in(&b, "fieldset:has(input[name=outcome])").await?,
            ""
        );

        // Items ticked (one does not apply, with the reason): refused at the empty
        // required field.
        for n in [1, 3, 4, 5] {
            b.click(&format!("input[name=check][value=\"{n}\"]"))
                .await?;
        }
        b.click("input[name=waive][value=\"2\"]").await?;
        b.type_in("reason", "The customer packs and ships the mould itself")
            .await?;
        b.type_in("f.contract-review.order", "SO-2026-0147").await?;
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, ".error[role=alert]").await?;
        let customer = errors_in(&b, "label:has([name=\"f.contract-review.customer\"])").await?;
        assert!(
            !customer.is_empty(),
            "an error at the required customer field"
        );
        assert_eq!(
            errors_in(&b, "label:has([name=\"f.contract-review.order\"])").await?,
            "",
            "no error at a field that may stay empty"
        );
        assert_eq!(errors_in(&b, "fieldset:has(input[name=check])").await?, "");

        // Everything filled in (two reviewers in the table), but a wrong password.
        b.type_in("f.contract-review.customer", "Nordwind Blades GmbH")
            .await?;
        b.type_in("f.quotation.customer", "Nordwind Blades GmbH")
            .await?;
        b.type_in(
            "f.contract-review.mould_spec",
            "62 m blade shell mould, heated, tolerance ±0.5 mm",
        )
        .await?;
        b.type_in("f.contract-review.lead_time", "20 weeks").await?;
        b.choose("f.contract-review.result", "Order can be fulfilled")
            .await?;
        // Each press of "Add a row" draws the form again with one more row; nothing is signed.
        b.press(
            "button[name=add_row][value=\"contract-review.reviewers\"]",
            "form.step-form",
        )
        .await?;
        b.type_in("t.contract-review.reviewers.0.0", "ENG").await?;
        b.type_in("t.contract-review.reviewers.0.1", "Heating layout feasible")
            .await?;
        b.type_in("t.contract-review.reviewers.0.2", "Zhang Wei")
            .await?;
        b.press(
            "button[name=add_row][value=\"contract-review.reviewers\"]",
            "form.step-form",
        )
        .await?;
        b.type_in("t.contract-review.reviewers.1.0", "QA").await?;
        b.type_in("t.contract-review.reviewers.1.1", "Inspection plan agreed")
            .await?;
        b.type_in("password", "red maple leaf").await?;
        b.press(SIGN, ".error[role=alert]").await?;
        let password = errors_in(&b, "label:has(input[name=password])").await?;
        assert_has(&password, "password is wrong", "the password prompt");
        let kept = b
            .find("[name=\"f.contract-review.customer\"]")
            .await?
            .prop("value")
            .await?;
        assert_eq!(
            kept.as_deref(),
            Some("Nordwind Blades GmbH"),
            "entries are kept"
        );

        // The entries are still there: only the password is typed again.
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, "#step-review .signature").await?;
        assert_eq!(b.path().await?, "/runs/SO-2026-0147");
        let review = b.text("#step-review").await?;
        assert_has(&review, "Lin Mei", "signed by the clerk");
        assert_has(&review, "Order can be fulfilled", "the decision");
        assert_has(&review, "Nordwind Blades GmbH", "the customer field");
        assert_has(&review, "Heating layout feasible", "the table row");
        assert_has(&review, "Inspection plan agreed", "the added row");
        assert_has(&review, "The customer packs", "the waived item's reason");
        // No refusal wrote anything: start, the request, the review.
        let events = b.texts("table.audit tbody tr").await?;
        assert_eq!(events.len(), 3, "the audit trail: {events:#?}");
        assert_has(
            &b.text("#step-gm-sign .tag.state").await?,
            "active",
            "the general manager signs next",
        );
        Ok(())
    });
}
