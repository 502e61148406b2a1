//! The language switch: a user who reads Chinese switches the pages to Simplified
//! Chinese; the labels and the procedure's own texts change, and the choice stays with
//! the account.

use crate::harness::{LIN, Qms, assert_has, in_browser};

const APPLY: &str = "form[action=\"/language\"] button[type=submit]";

#[test]
fn switching_to_chinese_changes_labels_and_spec_texts() {
    let qms = Qms::red_maple(&[&LIN]);
    qms.run(&[
        "start",
        "CS-P-001",
        "--ref",
        "SO-2026-0147",
        "--by",
        "Lin Mei",
    ]);
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&LIN).await?;
        b.open("/runs/SO-2026-0147", "#step-request").await?;
        assert_has(&b.text("header nav").await?, "My work", "English first");

        b.choose("lang", "简体中文").await?;
        b.press(APPLY, "#step-request").await?;
        assert_eq!(
            b.path().await?,
            "/runs/SO-2026-0147",
            "back on the same page"
        );
        let lang = b.find("html").await?.attr("lang").await?;
        assert_eq!(lang.as_deref(), Some("zh"));
        let nav = b.text("header nav").await?;
        for label in ["我的工作", "文件"] {
            assert_has(&nav, label, "the menu in Chinese");
        }
        assert_has(
            &b.text("#step-request").await?,
            "客户提出技术及报价要求",
            "the step's title from the procedure in Chinese",
        );
        assert_has(
            &b.text("#step-request .tag.state").await?,
            "进行中",
            "its state",
        );
        b.screenshot("web-run-page-zh").await?;

        // The choice is kept with the account: a new page is in Chinese too.
        b.open("/", "h1").await?;
        assert_has(&b.text("h1").await?, "我的工作", "My work in Chinese");

        b.choose("lang", "English").await?;
        b.press(APPLY, "h1").await?;
        assert_has(&b.text("h1").await?, "My work", "back to English");
        Ok(())
    });
}
