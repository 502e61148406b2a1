//! Export of a run's record from its page: the PDF and JSON links answer with downloads
//! named after the run's reference, holding the record.

use crate::harness::{LIN, assert_has, in_browser};
use crate::steps::reviewed_order;

#[test]
fn the_record_links_download_the_pdf_and_the_json() {
    let server = reviewed_order(&[&LIN], "Lin Mei").serve();
    in_browser(&server, |b| async move {
        b.sign_in(&LIN).await?;
        b.open("/runs/SO-2026-0147", "p.links").await?;

        b.click("p.links a[href=\"/runs/SO-2026-0147/record.json\"]")
            .await?;
        let json = b.download("SO-2026-0147.json").await?;
        let record: serde_json::Value = serde_json::from_slice(&json)?;
        let text = record.to_string();
        assert_has(&text, "\"SO-2026-0147\"", "the run's reference");
        assert_has(&text, "Nordwind Blades GmbH", "the review's field");
        assert_has(&text, "Lin Mei", "the signer");

        b.click("p.links a[href=\"/runs/SO-2026-0147/record.pdf\"]")
            .await?;
        let pdf = b.download("SO-2026-0147.pdf").await?;
        assert!(pdf.starts_with(b"%PDF-"), "a PDF");
        assert!(pdf.len() > 10_000, "a typeset record ({} bytes)", pdf.len());
        // Still on the run page: a download does not leave it.
        assert_eq!(b.path().await?, "/runs/SO-2026-0147");
        Ok(())
    });
}
