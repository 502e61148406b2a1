//! chromedriver and a headless Chromium for one test: started on ports they pick, with a
//! fresh profile and downloads folder, and stopped whatever the test does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use super::{Browser, Result, Server, first_line_with};

/// A chromedriver of this test, on a port it picks; it and its browsers stop when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver (`PROCDOC_CHROMEDRIVER`, else `chromedriver` on the PATH).
    /// `None` when it is not installed and `PROCDOC_SKIP_BROWSER=1` allows skipping.
    fn start() -> Option<Driver> {
        let program =
            std::env::var("PROCDOC_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut command = Command::new(&program);
        command
            .arg("--port=0")
            .env("FONTCONFIG_FILE", fontconfig())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, so that stopping it stops the browsers it started too.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && skip_allowed() => {
                eprintln!("browser test skipped: {program} not found, PROCDOC_SKIP_BROWSER=1");
                return None;
            }
            Err(e) => panic!(
                "cannot start {program}: {e}. The browser tests need Chromium and its driver \
                 (Debian: apt-get install chromium chromium-driver); set \
                 PROCDOC_SKIP_BROWSER=1 to skip them"
            ),
        };
        let stdout = child.stdout.take().expect("stdout");
        let port = first_line_with(stdout, |line| {
            let rest = line.split_once("started successfully on port ")?.1;
            Some(rest.trim_end_matches('.').to_string())
        });
        let mut driver = Driver {
            child,
            url: String::new(),
        };
        match port {
            Some(port) => driver.url = format!("http://127.0.0.1:{port}"),
            None => panic!("{program} did not say which port it listens on"),
        }
        Some(driver)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: kill(2) on the process group this test started; no memory is involved.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fontconfig file that adds the repository's fonts (Noto Sans, with Simplified and
/// Traditional Chinese) to the system's: pages look the same on every machine, and the
/// Chinese labels have glyphs even where the system has no Chinese font.
fn fontconfig() -> PathBuf {
    static WRITTEN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    WRITTEN.get_or_init(write_fontconfig).clone()
}

fn write_fontconfig() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    let conf = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n\
         <include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>\n\
         <dir>{}</dir>\n<cachedir>{}</cachedir>\n</fontconfig>\n",
        fonts.display(),
        tmp.join("fontconfig-cache").display()
    );
    let path = tmp.join(format!("fonts-{}.conf", std::process::id()));
    std::fs::write(&path, conf).expect("write the fontconfig file");
    path
}

fn skip_allowed() -> bool {
    std::env::var("PROCDOC_SKIP_BROWSER").is_ok_and(|v| v == "1")
}

/// The page area of the browser window: a PC screen's, small enough for the README.
const SIZE: (u32, u32) = (1280, 900);

/// Runs `test` in a fresh headless Chromium (a page area of [`SIZE`]) against `server`.
/// The browser is closed whatever happens, then a failure or panic of `test` fails the
/// test. With `PROCDOC_SKIP_BROWSER=1` the test is skipped.
pub fn in_browser<F, Fut>(server: &Server, test: F)
where
    F: FnOnce(Browser) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result> + Send + 'static,
{
    if skip_allowed() {
        eprintln!("browser test skipped: PROCDOC_SKIP_BROWSER=1");
        return;
    }
    let Some(driver) = Driver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("a browser profile folder");
    let downloads = tempfile::tempdir().expect("a downloads folder");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let client = runtime
        .block_on(connect(&driver.url, profile.path(), downloads.path()))
        .unwrap_or_else(|e| panic!("cannot open Chromium through chromedriver: {e}"));
    let browser = Browser::new(
        client.clone(),
        server.url.clone(),
        downloads.path().to_path_buf(),
    );
    let outcome = runtime.block_on(runtime.spawn(async move {
        browser.viewport(SIZE.0, SIZE.1).await?;
        test(browser).await
    }));
    let _ = runtime.block_on(client.close());
    drop(driver);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e}"),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("{e}"),
    }
}

async fn connect(driver: &str, profile: &Path, downloads: &Path) -> Result<Client> {
    // The network is closed to the tests: without these flags Chromium waits on
    // connections to Google's services that never come.
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--lang=en-US",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "args": args,
            "prefs": {
                "download.default_directory": downloads.to_string_lossy(),
                "download.prompt_for_download": false,
            },
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    // Two TLS providers are compiled in (ring, for the server's e-mail; aws-lc-rs, for
    // fantoccini's HTTP client), so rustls cannot pick one itself: the first test to get
    // here picks ring, and later ones find it set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(driver)
        .await?;
    Ok(client)
}
