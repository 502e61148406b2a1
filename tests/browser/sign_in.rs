//! Signing in and out: a wrong password is refused on the sign-in page, the right one
//! opens My work, and after signing out every page asks to sign in again.

use crate::harness::{LIN, PASSWORD, Qms, assert_has, in_browser};

const SIGN_IN: &str = "form[action=\"/sign-in\"]";
const SUBMIT: &str = "form[action=\"/sign-in\"] button[type=submit]";

#[test]
fn a_wrong_password_is_refused_and_the_right_one_opens_my_work() {
    let server = Qms::red_maple(&[&LIN]).serve();
    in_browser(&server, |b| async move {
        // Any page without a session leads to the sign-in page.
        b.open("/runs", SIGN_IN).await?;
        assert_eq!(b.path().await?, "/sign-in");
        b.type_in("login", "lin").await?;
        b.screenshot("web-sign-in").await?;

        b.type_in("password", "maple leaf").await?;
        let error = b.press(SUBMIT, ".error[role=alert]").await?.text().await?;
        assert_eq!(error, "The login or the password is wrong.");
        assert_eq!(b.path().await?, "/sign-in");
        let login = b.find("input[name=login]").await?.prop("value").await?;
        assert_eq!(login.as_deref(), Some("lin"), "the login is kept");
        assert_eq!(b.texts("header nav a").await?, Vec::<String>::new());

        b.type_in("password", PASSWORD).await?;
        let title = b.press(SUBMIT, "h1").await?.text().await?;
        assert_eq!(b.path().await?, "/");
        assert_has(&title, "My work", "the home page");
        let header = b.text("header.bar").await?;
        assert_has(&header, "Lin Mei", "the header names who is signed in");
        assert_has(
            &b.text("main").await?,
            "Customer Service Dept.",
            "My work names the user's departments",
        );

        b.press("form[action=\"/sign-out\"] button", SIGN_IN)
            .await?;
        b.open("/documents", SIGN_IN).await?;
        assert_eq!(b.path().await?, "/sign-in", "signed out for good");
        Ok(())
    });
}
