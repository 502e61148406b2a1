//! Starting a run and finding its steps in My work: a customer-service clerk enters a new
//! order, sees its first step counted in the header and listed in My work, records what
//! the customer sent (a step of the customer's, signed on its behalf) and finds the run
//! page with the next step active. Also My work on a phone-sized screen.

use crate::harness::{LIN, PASSWORD, Qms, assert_has, in_browser};

#[test]
fn a_clerk_starts_an_order_run_and_works_it_from_my_work() {
    let qms = Qms::red_maple(&[&LIN]);
    // A complaint already waits for customer service.
    qms.run(&[
        "start",
        "CS-P-001",
        "--flow",
        "complaint",
        "--ref",
        "CC-2026-031",
        "--by",
        "Lin Mei",
    ]);
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&LIN).await?;
        assert_eq!(b.text("header .count").await?, "1", "one step waits");

        b.click("header nav a[href=\"/runs/new\"]").await?;
        b.find("select[name=flow]").await?;
        let option = "//select[@name='flow']/option[contains(., 'Contract discussion')]";
        b.client
            .find(fantoccini::Locator::XPath(option))
            .await?
            .click()
            .await?;
        b.press(
            "main form[method=get] button[type=submit]",
            "input[name=ref]",
        )
        .await?;
        assert_has(
            &b.text("main form[method=post] h2").await?,
            "CS-P-001 Customer Management Procedure",
            "the chosen procedure",
        );
        b.type_in("ref", "SO-2026-0147").await?;
        let title = b
            .press("main form[method=post] button[type=submit]", "h1")
            .await?
            .text()
            .await?;
        assert_has(
            &format!("{title}\n{}", b.text("main").await?),
            "SO-2026-0147",
            "the new run's page",
        );
        assert_eq!(b.path().await?, "/runs/SO-2026-0147");
        assert_has(
            &b.text("#step-request .tag.state").await?,
            "active",
            "the first step",
        );
        assert_eq!(
            b.text("header .count").await?,
            "2",
            "the count in the header"
        );

        b.press("header nav a[href=\"/\"]", "ul.work").await?;
        let items = b.texts("ul.work > li").await?;
        assert_eq!(items.len(), 2, "My work lists both runs: {items:?}");
        let all = items.join("\n");
        assert_has(&all, "CC-2026-031", "the complaint");
        assert_has(
            &all,
            "Record the complaint and make a temporary plan",
            "its step",
        );
        assert_has(&all, "SO-2026-0147", "the new order");
        assert_has(
            &all,
            "Customer gives the technical requirements and asks for a quotation",
            "its first step",
        );
        b.screenshot("web-my-work").await?;

        // The customer's request is recorded by customer service on its behalf.
        let step = "a.button.primary[href=\"/runs/SO-2026-0147/steps/request\"]";
        b.press(step, "form.step-form").await?;
        assert_has(
            &b.text("fieldset.signature").await?,
            "on behalf of",
            "a party's step is signed on its behalf",
        );
        b.type_in(
            "note",
            "Drawing rev. 3 and request for quotation received by e-mail",
        )
        .await?;
        b.type_in("password", PASSWORD).await?;
        b.press("form.step-form button.primary", "#step-request .signature")
            .await?;
        assert_eq!(b.path().await?, "/runs/SO-2026-0147");
        let signed = b.text("#step-request").await?;
        assert_has(&signed, "Lin Mei", "the signature names the signer");
        assert_has(&signed, "Customer", "signed on the customer's behalf");
        assert_has(&signed, "Drawing rev. 3", "the note");
        assert_has(
            &b.text("#step-review .tag.state").await?,
            "active",
            "the review is next",
        );
        b.screenshot("web-run-page").await?;

        b.viewport(390, 844).await?;
        b.open("/", "ul.work").await?;
        let items = b.texts("ul.work > li").await?.join("\n");
        assert_has(
            &items,
            "Review the order item by item",
            "the review waits now",
        );
        b.screenshot("web-my-work-phone").await?;
        Ok(())
    });
}
