//! Read and confirm: a released revision is a task on My work of everyone whose department
//! acts in it, until they confirm it; the quality manager sees who has and who is missing.

use crate::harness::{LIN, Qms, WANG, ZHOU, assert_has, in_browser};

#[test]
fn a_released_revision_is_confirmed_from_my_work_and_shows_on_the_training_page() {
    let qms = Qms::red_maple(&[&LIN, &WANG, &ZHOU]);
    qms.release("CS-P-001");
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&LIN).await?;
        let task = b.text("ul.reading li").await?;
        for part in ["CS-P-001", "A/01", "Customer Management Procedure"] {
            assert_has(&task, part, "the read-and-confirm task");
        }
        let pdf = b.find("ul.reading li a.button").await?;
        let href = pdf.attr("href").await?.unwrap_or_default();
        assert!(
            href.ends_with("CS-P-001_A-01.pdf"),
            "the controlled copy: {href}"
        );
        let count = b.text("header .count").await?;
        assert_eq!(count.trim(), "1", "the header counts the task");
        b.screenshot("web-read-and-confirm").await?;
        b.press(
            "ul.reading button[type=submit]",
            "ul.work:not(.reading), p.card.muted",
        )
        .await?;
        let left = b.texts("ul.reading li").await?;
        assert!(left.is_empty(), "the task is gone once confirmed: {left:?}");

        b.press(
            "form[action=\"/sign-out\"] button",
            "form[action=\"/sign-in\"]",
        )
        .await?;
        b.sign_in(&ZHOU).await?;
        b.open("/training", "section.card table tbody tr").await?;
        let page = b.texts("section.card").await?.join("\n");
        assert_has(&page, "Lin Mei (lin)", "CS's row: who confirmed");
        assert_has(&page, "1 person", "CS's head count, in the singular");
        let missing = b.texts("td.missing").await?.join("\n");
        assert_has(
            &missing,
            "Wang Jun (wang)",
            "the general manager has not confirmed",
        );
        assert!(
            !missing.contains("Lin Mei"),
            "Lin confirmed, so is not missing: {missing}"
        );
        b.screenshot("web-training").await?;
        Ok(())
    });
}
