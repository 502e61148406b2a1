//! The documents page: the current controlled documents with their PDFs, as the quality
//! manager finds them once `procdoc build` has written them.

use crate::harness::{Qms, ZHOU, assert_has, in_browser};

#[test]
fn the_documents_page_lists_the_procedure_and_serves_its_pdf() {
    let qms = Qms::red_maple(&[&ZHOU]);
    qms.build();
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&ZHOU).await?;
        b.press("header nav a[href=\"/documents\"]", "table tbody tr")
            .await?;
        let row = b.text("table tbody tr").await?;
        for part in [
            "CS-P-001",
            "Customer Management Procedure",
            "A/01",
            "2009-06-01",
        ] {
            assert_has(&row, part, "the document's row");
        }
        let link = b.find("table tbody tr a").await?;
        let href = link.attr("href").await?.unwrap_or_default();
        assert!(href.ends_with(".pdf"), "a link to the PDF: {href}");
        // What the link answers, asked from the page as the browser would follow it.
        let answer = b
            .client
            .execute(
                "return fetch(arguments[0]).then(r => r.status + ' ' + r.headers.get('content-type'))",
                vec![serde_json::json!(href)],
            )
            .await?;
        assert_eq!(answer.as_str(), Some("200 application/pdf"), "{href}");
        b.screenshot("web-documents").await?;
        Ok(())
    });
}
