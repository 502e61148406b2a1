//! The register checked against itself: each release's stored content against its
//! fingerprint and against the fields recorded beside it, the order of each document's
//! releases, the chain of OBSOLETE copies, and the dates of releases and reviews. A hand
//! edit of any of these is reported (E0812), so that no command trusts a register an
//! editor has reordered, trimmed in the middle or back-dated.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::fingerprint;
use super::register::{Integrity, Register, Release};
use crate::render::build::document_file;
use crate::run::clock;
use crate::spec::model::Procedure;

fn problem(path: String, message: String) -> Integrity {
    Integrity { path, message }
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Where a revision stands in a document's history (its position), if it is there.
fn position(history_of: &Procedure, revision: &str) -> Option<usize> {
    history_of
        .history
        .iter()
        .position(|h| h.revision == revision)
}

impl Register {
    /// The register's head: how many releases and reviews it holds and a hash of them all,
    /// `R3V1-3F2A-91C0-7B1E`. Written down (or printed by `release`, `review` and
    /// `status`), it lets [`Register::covers`] prove later that no entry it covered was
    /// removed or changed since: the removal of the last release leaves nothing in the
    /// register itself to notice.
    pub fn head(&self) -> String {
        head_of(&self.releases, &self.reviews)
    }

    /// Whether this register still holds, unchanged and first, every entry of the register
    /// whose [`Register::head`] was `head`. `None` when `head` is not a head.
    pub fn covers(&self, head: &str) -> Option<bool> {
        let (counts, _) = head.trim().split_once('-')?;
        let (r, v) = counts.strip_prefix('R')?.split_once('V')?;
        let (r, v): (usize, usize) = (r.parse().ok()?, v.parse().ok()?);
        if r > self.releases.len() || v > self.reviews.len() {
            return Some(false);
        }
        let normal = |h: &str| h.trim().to_ascii_uppercase();
        Some(normal(&head_of(&self.releases[..r], &self.reviews[..v])) == normal(head))
    }

    /// Every entry that contradicts the rest of the register. `primary` is the QMS's
    /// primary language (fingerprints are of the meaning); `today` and `tz` (the office
    /// clock) date what cannot lie in the future.
    pub fn integrity(&self, primary: &str, today: Option<NaiveDate>, tz: Tz) -> Vec<Integrity> {
        let mut out = Vec::new();
        for (i, r) in self.releases.iter().enumerate() {
            release_itself(i, r, primary, &mut out);
            if self.releases[..i]
                .iter()
                .any(|o| o.doc == r.doc && o.revision == r.revision)
            {
                out.push(problem(
                    format!("releases[{i}].revision"),
                    format!("{} rev. {} is released twice", r.doc, r.revision),
                ));
            }
            let previous = self.releases[..i].iter().rposition(|o| o.doc == r.doc);
            release_in_order(i, r, previous.map(|p| &self.releases[p]), tz, &mut out);
            if let (Some(today), Some(at)) = (today, clock::read_stamp(&r.released_at))
                && clock::local_date(at, tz) > today
            {
                out.push(problem(
                    format!("releases[{i}].released_at"),
                    format!(
                        "the release of {} rev. {} is dated {}, in the future",
                        r.doc,
                        r.revision,
                        clock::show(at, tz)
                    ),
                ));
            }
        }
        for i in 0..self.reviews.len() {
            self.review_fits(i, today, tz, &mut out);
        }
        out
    }

    fn review_fits(&self, i: usize, today: Option<NaiveDate>, tz: Tz, out: &mut Vec<Integrity>) {
        let review = &self.reviews[i];
        let at = format!("reviews[{i}]");
        let Some(released) = self.release(&review.doc, &review.revision) else {
            out.push(problem(
                format!("{at}.revision"),
                format!(
                    "the review of {} on {} confirms rev. {}, which the register has no release of",
                    review.doc, review.date, review.revision
                ),
            ));
            return;
        };
        let recorded = clock::read_stamp(&review.recorded_at);
        if recorded.is_none() {
            out.push(problem(
                format!("{at}.recorded_at"),
                format!(
                    "the review of {} on {} has no valid recording time (`{}`)",
                    review.doc, review.date, review.recorded_at
                ),
            ));
        }
        if let Some(day) = stamp_day(&released.released_at, tz)
            && review.date.0 < day
        {
            out.push(problem(
                format!("{at}.date"),
                format!(
                    "the review of {} rev. {} is dated {}, before that revision was released on {}",
                    review.doc,
                    review.revision,
                    review.date,
                    super::register::day(day)
                ),
            ));
        }
        if let Some(recorded) = recorded
            && review.date.0 > clock::local_date(recorded, tz)
        {
            out.push(problem(
                format!("{at}.date"),
                format!(
                    "the review of {} is dated {}, after it was recorded ({})",
                    review.doc,
                    review.date,
                    clock::show(recorded, tz)
                ),
            ));
        }
        if let Some(today) = today
            && review.date.0 > today
        {
            out.push(problem(
                format!("{at}.date"),
                format!(
                    "the review of {} is dated {}, in the future",
                    review.doc, review.date
                ),
            ));
        }
        if let Some(previous) = self.reviews[..i].last()
            && let (Some(a), Some(b)) = (clock::read_stamp(&previous.recorded_at), recorded)
            && b < a
        {
            out.push(problem(
                format!("{at}.recorded_at"),
                format!(
                    "the review of {} recorded {} comes after one recorded later ({}): reviews are appended in the order they are recorded",
                    review.doc,
                    clock::show(b, tz),
                    clock::show(a, tz)
                ),
            ));
        }
        // The revision a review confirms is the one current when it was recorded: no later
        // release of the document came before the review.
        let reviewed_at = clock::read_stamp(&released.released_at);
        if let (Some(recorded), Some(reviewed_at)) = (recorded, reviewed_at)
            && let Some(later) = self.releases_of(&review.doc).find(|r| {
                clock::read_stamp(&r.released_at).is_some_and(|t| reviewed_at < t && t <= recorded)
            })
        {
            out.push(problem(
                format!("{at}.revision"),
                format!(
                    "the review of {} recorded {} confirms rev. {}, but rev. {} was current then",
                    review.doc,
                    clock::show(recorded, tz),
                    review.revision,
                    later.revision
                ),
            ));
        }
    }
}

fn head_of(releases: &[Release], reviews: &[super::register::Review]) -> String {
    let canonical = serde_json::to_string(&serde_json::json!({
        "releases": json(&releases),
        "reviews": json(&reviews),
    }))
    .unwrap_or_default();
    let hash = super::command::sha256(canonical.as_bytes());
    format!(
        "R{}V{}-{}",
        releases.len(),
        reviews.len(),
        fingerprint::short(&hash)
    )
}

fn stamp_day(stamp: &str, tz: Tz) -> Option<NaiveDate> {
    clock::read_stamp(stamp).map(|t| clock::local_date(t, tz))
}

/// A release against its own stored content: the fingerprint, and every field recorded
/// beside the content (id, revision, effective date, approval, file name).
fn release_itself(i: usize, r: &Release, primary: &str, out: &mut Vec<Integrity>) {
    let at = format!("releases[{i}]");
    let actual = fingerprint::meaning(&r.content, primary);
    if actual != r.fingerprint && fingerprint::of(&r.content) != r.fingerprint {
        out.push(problem(
            format!("{at}.fingerprint"),
            format!(
                "the release of {} rev. {} has been altered: its stored content has fingerprint {}, not the recorded {}",
                r.doc,
                r.revision,
                fingerprint::short(&actual),
                fingerprint::short(&r.fingerprint)
            ),
        ));
    }
    if r.content.id != r.doc || r.content.revision != r.revision {
        out.push(problem(
            format!("{at}.content"),
            format!(
                "the release of {} rev. {} stores the content of {} rev. {}",
                r.doc, r.revision, r.content.id, r.content.revision
            ),
        ));
    }
    if r.effective.0 != r.content.effective.0 {
        out.push(problem(
            format!("{at}.effective"),
            format!(
                "the release of {} rev. {} records effective {}, but the released document says {}",
                r.doc, r.revision, r.effective, r.content.effective
            ),
        ));
    }
    if json(&r.approval) != json(&r.content.approval) {
        out.push(problem(
            format!("{at}.approval"),
            format!(
                "the release of {} rev. {} records an approval that differs from the released document's",
                r.doc, r.revision
            ),
        ));
    }
    let file = document_file(&r.content);
    if r.pdf != file {
        out.push(problem(
            format!("{at}.pdf"),
            format!(
                "the release of {} rev. {} names its controlled copy `{}`; procdoc names it `{file}`",
                r.doc, r.revision, r.pdf
            ),
        ));
    }
    if r.pdf_sha256.len() != 64 || !r.pdf_sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        out.push(problem(
            format!("{at}.pdf_sha256"),
            format!(
                "the release of {} rev. {} has no valid SHA-256 of its controlled copy",
                r.doc, r.revision
            ),
        ));
    }
    match clock::read_stamp(&r.released_at) {
        None => out.push(problem(
            format!("{at}.released_at"),
            format!(
                "the release of {} rev. {} has no valid release time (`{}`)",
                r.doc, r.revision, r.released_at
            ),
        )),
        Some(t) => {
            let a = &r.content.approval;
            let day = t.date_naive();
            let latest_signoff = [Some(&a.prepared), a.reviewed.as_ref(), Some(&a.approved)]
                .into_iter()
                .flatten()
                .filter_map(|s| s.date.map(|d| d.0))
                .max();
            // UTC day against the sign-off day: a day's slack covers every office clock.
            if let Some(signed) = latest_signoff
                && day.succ_opt().is_some_and(|next| next < signed)
            {
                out.push(problem(
                    format!("{at}.released_at"),
                    format!(
                        "{} rev. {} is recorded as released on {}, before its approval was complete ({signed})",
                        r.doc,
                        r.revision,
                        super::register::day(day)
                    ),
                ));
            }
        }
    }
}

/// A release against the document's release before it: later in time, later in the
/// document's history, and recording the OBSOLETE copy of exactly that revision.
fn release_in_order(
    i: usize,
    r: &Release,
    previous: Option<&Release>,
    tz: Tz,
    out: &mut Vec<Integrity>,
) {
    let at = format!("releases[{i}]");
    let Some(previous) = previous else {
        if let Some(copy) = &r.obsoleted {
            out.push(problem(
                format!("{at}.obsoleted"),
                format!(
                    "the first release of {} (rev. {}) records replacing rev. {}, which the register has no release of",
                    r.doc, r.revision, copy.revision
                ),
            ));
        }
        return;
    };
    let times = (
        clock::read_stamp(&previous.released_at),
        clock::read_stamp(&r.released_at),
    );
    if let (Some(before), Some(now)) = times
        && now < before
    {
        out.push(problem(
            format!("{at}.released_at"),
            format!(
                "{} rev. {} (released {}) is listed after rev. {} (released {}): releases are appended in the order they are made",
                r.doc,
                r.revision,
                show(now, tz),
                previous.revision,
                show(before, tz)
            ),
        ));
    }
    match (
        position(&r.content, &previous.revision),
        position(&r.content, &r.revision),
    ) {
        (Some(p), Some(c)) if p < c => {}
        _ => out.push(problem(
            format!("{at}.revision"),
            format!(
                "{} rev. {} follows rev. {} in the register, but its history does not list rev. {} before it",
                r.doc, r.revision, previous.revision, previous.revision
            ),
        )),
    }
    match &r.obsoleted {
        None => out.push(problem(
            format!("{at}.obsoleted"),
            format!(
                "the release of {} rev. {} does not record the OBSOLETE copy of rev. {}, which it replaced",
                r.doc, r.revision, previous.revision
            ),
        )),
        Some(copy) => {
            if copy.revision != previous.revision || copy.pdf != document_file(&previous.content)
            {
                out.push(problem(
                    format!("{at}.obsoleted"),
                    format!(
                        "the release of {} rev. {} records the OBSOLETE copy `{}` of rev. {}, but it replaced rev. {} (`{}`)",
                        r.doc,
                        r.revision,
                        copy.pdf,
                        copy.revision,
                        previous.revision,
                        document_file(&previous.content)
                    ),
                ));
            }
            if copy.pdf_sha256 == previous.pdf_sha256 {
                out.push(problem(
                    format!("{at}.obsoleted.pdf_sha256"),
                    format!(
                        "the OBSOLETE copy of {} rev. {} has the checksum of its CONTROLLED COPY",
                        r.doc, previous.revision
                    ),
                ));
            }
        }
    }
}

fn show(t: DateTime<Utc>, tz: Tz) -> String {
    clock::show(t, tz)
}
