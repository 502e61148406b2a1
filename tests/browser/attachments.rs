//! A file attached as evidence on the step form: sent with the signature, listed on the
//! run page, and handed back as a download with the same bytes.

use crate::harness::{LIN, PASSWORD, Qms, assert_has, in_browser};

#[test]
fn a_file_attached_on_the_step_form_is_listed_and_downloads_again() {
    let qms = Qms::red_maple(&[&LIN]);
    qms.run(&[
        "start",
        "CS-P-001",
        "--ref",
        "SO-2026-0147",
        "--by",
        "Lin Mei",
    ]);
    let file = qms.dir.path().join("rfq-nordwind.txt");
    let bytes = b"Request for quotation: 62 m blade shell mould, drawing rev. 3\n".to_vec();
    std::fs::write(&file, &bytes).expect("write the file to attach");
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&LIN).await?;
        b.open("/runs/SO-2026-0147/steps/request", "form.step-form")
            .await?;
        let input = b.find("input[type=file][name=attachments]").await?;
        input.send_keys(&file.to_string_lossy()).await?;
        b.type_in("password", PASSWORD).await?;
        b.press("form.step-form button.primary", "#step-request .signature")
            .await?;
        let listed = b.text("#step-request ul.attachments").await?;
        assert_has(
            &listed,
            "rfq-nordwind.txt",
            "the attached file on the run page",
        );
        b.click("#step-request ul.attachments a").await?;
        let downloaded = b.download("rfq-nordwind.txt").await?;
        assert_eq!(downloaded, bytes, "the same bytes come back");
        Ok(())
    });
}
