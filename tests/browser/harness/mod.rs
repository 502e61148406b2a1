//! What every browser test needs: `procdoc serve` on a copy of the Red Maple QMS with its
//! people added by `procdoc user add` ([`qms`]), a chromedriver with a headless Chromium
//! ([`driver`]), and the steps a person takes on a page ([`page`]): type, tick, press a
//! button and wait for the next page. Every wait is for an element to appear, bounded by
//! [`WAIT`]; nothing sleeps.

mod driver;
mod page;
mod qms;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

pub use driver::in_browser;
pub use page::{Browser, assert_has};
pub use qms::*;

/// A test step's result: any error fails the test with its message.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The longest wait for a page, an element or a process: generous, as the tests share a
/// small machine.
pub const WAIT: Duration = Duration::from_secs(20);

/// Reads `out` on a thread until `pick` finds something in a line (within [`WAIT`]), then
/// keeps draining it so that the process never blocks on a full pipe.
pub(crate) fn first_line_with<R, F>(out: R, pick: F) -> Option<String>
where
    R: std::io::Read + Send + 'static,
    F: Fn(&str) -> Option<String> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.is_some()
                && let Some(found) = pick(&line)
                && let Some(tx) = tx.take()
            {
                // The test may have given up waiting already: nobody to tell then.
                let _ = tx.send(found);
            }
        }
    });
    rx.recv_timeout(WAIT).ok()
}
