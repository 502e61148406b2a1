//! Refusals the procedure demands: whoever reviewed an order may not also sign its
//! contract (`not_by: [review]`), even when they belong to the general manager's office;
//! the general manager then signs it.

use crate::harness::{HU, PASSWORD, WANG, assert_has, in_browser};
use crate::steps::reviewed_order;

const FORM: &str = "/runs/SO-2026-0147/steps/gm-sign";
const SIGN: &str = "form.step-form button.primary";

#[test]
fn the_reviewer_may_not_sign_the_contract_the_general_manager_does() {
    let server = reviewed_order(&[&HU, &WANG], "Hu Gang").serve();
    in_browser(&server, |b| async move {
        // Hu is in CS and GM: the contract's signature waits for him too.
        b.sign_in(&HU).await?;
        let work = b.texts("ul.work > li").await?.join("\n");
        assert_has(
            &work,
            "General manager confirms the contract details and signs the contract",
            "the GM step in the deputy's work",
        );
        b.open(FORM, "form.step-form").await?;
        b.type_in("password", PASSWORD).await?;
        let refusal = b
            .press(SIGN, ".card.error[role=alert]")
            .await?
            .text()
            .await?;
        assert_has(&refusal, "The step was not signed", "the refusal");
        assert_has(&refusal, "review", "names the step that bars the signer");
        b.open("/runs/SO-2026-0147", "#step-gm-sign").await?;
        assert_has(
            &b.text("#step-gm-sign .tag.state").await?,
            "active",
            "not signed",
        );

        b.press(
            "form[action=\"/sign-out\"] button",
            "form[action=\"/sign-in\"]",
        )
        .await?;
        b.sign_in(&WANG).await?;
        b.open(FORM, "form.step-form").await?;
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, "#step-gm-sign .signature").await?;
        assert_has(
            &b.text("#step-gm-sign").await?,
            "Wang Jun",
            "signed by the GM",
        );
        assert_has(
            &b.text("#step-inform .tag.state").await?,
            "active",
            "the customer is told next",
        );
        Ok(())
    });
}
