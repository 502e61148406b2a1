//! What a person does on a page: open it, type, tick, choose, press a button and wait
//! for the page that answers, read texts, take a screenshot, wait for a download.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use super::{PASSWORD, Person, Result, WAIT};

/// A browser window on the server: what a person does on a page.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    base: String,
    downloads: PathBuf,
}

impl Browser {
    /// A window of `client` on the server at `base`, downloading into `downloads`.
    pub(super) fn new(client: Client, base: String, downloads: PathBuf) -> Browser {
        Browser {
            client,
            base,
            downloads,
        }
    }

    /// Makes the page area (not the window around it) `width`x`height` pixels, as
    /// screenshots show it.
    pub async fn viewport(&self, width: u32, height: u32) -> Result {
        self.client.set_window_size(width, height).await?;
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await?;
        let side = |i: usize| inner[i].as_u64().and_then(|v| u32::try_from(v).ok());
        let (Some(w), Some(h)) = (side(0), side(1)) else {
            return Err(format!("the window's inner size reads {inner}").into());
        };
        self.client
            .set_window_size(2 * width - w.min(width), 2 * height - h.min(height))
            .await?;
        Ok(())
    }

    /// Scrolls the page so that what `css` selects is in the middle of the window.
    pub async fn scroll_to(&self, css: &str) -> Result {
        let element = serde_json::to_value(self.find(css).await?)?;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![element],
            )
            .await?;
        Ok(())
    }

    /// Opens a path of the server and waits for `ready` (a CSS selector) on it.
    pub async fn open(&self, path: &str, ready: &str) -> Result<Element> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        self.find(ready).await
    }

    /// The first element `css` selects, waiting for it.
    pub async fn find(&self, css: &str) -> Result<Element> {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => Ok(element),
            Err(e) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let page = self.text_of_page().await;
                Err(format!("no `{css}` on {url:?}: {e}\n{page}").into())
            }
        }
    }

    /// The text of the page shown, for failure messages (empty if it cannot be read).
    async fn text_of_page(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The visible text of the first element `css` selects.
    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// The texts of every element `css` selects now (no wait).
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await? {
            out.push(e.text().await?);
        }
        Ok(out)
    }

    /// The path of the page shown.
    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_string())
    }

    /// Types `value` into the input or text area named `name`, replacing what it held.
    pub async fn type_in(&self, name: &str, value: &str) -> Result {
        let field = self.find(&format!("[name=\"{name}\"]")).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Sets the value of the input named `name` as its picker would (a date input's
    /// keyboard format follows the browser's locale; the value it sends does not).
    pub async fn set_value(&self, name: &str, value: &str) -> Result {
        let field = serde_json::to_value(self.find(&format!("[name=\"{name}\"]")).await?)?;
        self.client
            .execute(
                "arguments[0].value = arguments[1]",
                vec![field, serde_json::Value::from(value)],
            )
            .await?;
        Ok(())
    }

    /// Clicks what `css` selects.
    pub async fn click(&self, css: &str) -> Result {
        self.find(css).await?.click().await?;
        Ok(())
    }

    /// Ticks the radio button or checkbox named `name` whose label reads `label`.
    pub async fn pick(&self, name: &str, label: &str) -> Result {
        let xpath =
            format!("//label[contains(normalize-space(.), '{label}')]/input[@name='{name}']");
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&xpath))
            .await
            .map_err(|e| format!("no {name} labelled `{label}`: {e}"))?
            .click()
            .await?;
        Ok(())
    }

    /// Picks the option labelled `label` of the select named `name`.
    pub async fn choose(&self, name: &str, label: &str) -> Result {
        let select = self.find(&format!("select[name=\"{name}\"]")).await?;
        select.select_by_label(label).await?;
        Ok(())
    }

    /// Presses the button `button` and waits for `ready` (selectors, comma-separated) on
    /// the page that answers. The
    /// page shown before is marked first, so that `ready` is never found on it: the next
    /// page can look the same (a form drawn again with its errors).
    pub async fn press(&self, button: &str, ready: &str) -> Result<Element> {
        self.client
            .execute(
                "document.documentElement.setAttribute('data-left', '1')",
                vec![],
            )
            .await?;
        self.click(button).await?;
        let fresh: Vec<String> = ready
            .split(',')
            .map(|one| format!("html:not([data-left]) {}", one.trim()))
            .collect();
        self.find(&fresh.join(", ")).await
    }

    /// Saves a PNG of the window as `name.png` in the screenshot folder and returns its
    /// path: `PROCDOC_SCREENSHOTS`, else `screenshots/` in the build's temporary folder.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = std::env::var_os("PROCDOC_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
        std::fs::create_dir_all(&dir)?;
        let png = self.client.screenshot().await?;
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Waits (within [`WAIT`]) for a finished download named `name` and returns its bytes.
    /// Chromium writes a `.crdownload` file first and renames it when complete.
    pub async fn download(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.downloads.join(name);
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            if path.is_file() {
                return Ok(std::fs::read(&path)?);
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<_> = std::fs::read_dir(&self.downloads)?
                    .flatten()
                    .map(|e| e.file_name())
                    .collect();
                return Err(format!("no download {name} (the folder holds {seen:?})").into());
            }
        }
    }

    /// Signs in as `person` with [`PASSWORD`] and waits for My work.
    pub async fn sign_in(&self, person: &Person) -> Result {
        self.open("/sign-in", "form[action=\"/sign-in\"]").await?;
        self.type_in("login", person.login).await?;
        self.type_in("password", PASSWORD).await?;
        self.press(
            "form[action=\"/sign-in\"] button[type=submit]",
            "ul.work, p.card.muted",
        )
        .await?;
        Ok(())
    }
}

/// Fails with `what` and the text when `text` does not contain `needle`.
pub fn assert_has(text: &str, needle: &str, what: &str) {
    assert!(
        text.contains(needle),
        "{what}: `{needle}` expected in:\n{text}"
    );
}
