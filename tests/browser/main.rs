//! The pages of `procdoc serve` in a real browser: each test starts the real binary on a
//! copy of the bundled Red Maple QMS, its own chromedriver and a headless Chromium, and
//! works the pages as the company's people do (sign in, My work, start a run, sign steps,
//! attach a file, refusals, export, documents, read and confirm, the language switch), and
//! the forms of spec format 1.1 on a copy of the Kestrel QMS.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`,
//! done by `.ci/run`). Without chromedriver the tests fail, unless `PROCDOC_SKIP_BROWSER=1`
//! asks to skip them. Screenshots of key pages go to `PROCDOC_SCREENSHOTS` (default: a
//! folder under the build's temporary folder); `docs/images/` holds a committed set.

mod harness;

mod attachments;
mod documents;
mod export;
mod kestrel;
mod language;
mod refusals;
mod runs;
mod sign_in;
mod steps;
mod training;
