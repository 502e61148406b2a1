//! The QMS register `register.yaml`: every release of a controlled document and every
//! periodic review, kept next to `procdoc.yaml` and meant to be committed.
//!
//! Each release stores the document's canonical content, so any released revision can be
//! rebuilt exactly, and its fingerprint and the SHA-256 of the released PDF, so a copy can be
//! identified. procdoc only ever appends to it, and refuses to append to a register whose
//! stored content no longer matches its stored fingerprints.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::spec::duration::{Duration, Unit};
use crate::spec::model::{Approval, Date, Procedure};

/// The register's file name in the QMS folder.
pub const FILE: &str = "register.yaml";

const HEADER: &str = "# procdoc register: releases and periodic reviews of the controlled documents.\n\
# Written by `procdoc release` and `procdoc review`, append only. Commit it; do not edit it.\n";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    #[serde(default)]
    pub releases: Vec<Release>,
    #[serde(default)]
    pub reviews: Vec<Review>,
}

/// One released revision of a document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub doc: String,
    pub revision: String,
    pub effective: Date,
    /// When it was released (UTC, `2026-03-02T01:00:00Z`).
    pub released_at: String,
    pub approval: Approval,
    /// [`super::fingerprint::meaning`] of the content (or, in registers written before procdoc
    /// normalised, [`super::fingerprint::of`]).
    pub fingerprint: String,
    /// The released PDF's file name in the output folder.
    pub pdf: String,
    /// SHA-256 (hex) of the released PDF.
    pub pdf_sha256: String,
    /// The procedure as released.
    pub content: Procedure,
    /// What the document printed from outside its file (company, department names, ...)
    /// when released (absent in registers written before procdoc recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed: Option<super::printed::Printed>,
    /// The OBSOLETE copy of the revision this release replaced, written under `obsolete/`
    /// when this release was made (absent in registers written before procdoc kept its
    /// checksum, and on a document's first release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obsoleted: Option<ObsoleteCopy>,
}

/// The copy of a superseded revision stamped OBSOLETE.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObsoleteCopy {
    /// The superseded revision.
    pub revision: String,
    /// Its file name under `obsolete/` in the output folder.
    pub pdf: String,
    /// SHA-256 (hex) of that file.
    pub pdf_sha256: String,
}

/// A periodic review that confirmed a revision is still adequate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub doc: String,
    pub revision: String,
    pub date: Date,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub recorded_at: String,
}

/// An entry whose stored fingerprint does not match its stored content, or a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    /// Model path of the offending value (`releases[2].fingerprint`).
    pub path: String,
    pub message: String,
}

impl Register {
    pub fn path(root: &Path) -> PathBuf {
        root.join(FILE)
    }

    /// The release of `doc` at `revision`.
    pub fn release(&self, doc: &str, revision: &str) -> Option<&Release> {
        self.releases
            .iter()
            .find(|r| r.doc == doc && r.revision == revision)
    }

    /// Releases of `doc`, oldest first.
    pub fn releases_of<'a>(&'a self, doc: &'a str) -> impl Iterator<Item = &'a Release> + 'a {
        self.releases.iter().filter(move |r| r.doc == doc)
    }

    /// The revision released last.
    pub fn latest(&self, doc: &str) -> Option<&Release> {
        self.releases.iter().rfind(|r| r.doc == doc)
    }

    /// The last recorded review of `doc`.
    pub fn last_review(&self, doc: &str) -> Option<&Review> {
        self.reviews
            .iter()
            .filter(|r| r.doc == doc)
            .max_by_key(|r| r.date)
    }

    /// The release with this PDF hash.
    pub fn by_pdf(&self, sha256: &str) -> Option<&Release> {
        self.releases
            .iter()
            .find(|r| r.pdf_sha256.eq_ignore_ascii_case(sha256))
    }

    /// The release that replaced a revision whose OBSOLETE copy has this PDF hash, with the
    /// release of that obsolete revision.
    pub fn by_obsolete_pdf(&self, sha256: &str) -> Option<(&Release, &Release)> {
        self.releases.iter().find_map(|newer| {
            let copy = newer.obsoleted.as_ref()?;
            if !copy.pdf_sha256.eq_ignore_ascii_case(sha256) {
                return None;
            }
            Some((self.release(&newer.doc, &copy.revision)?, newer))
        })
    }

    /// The file's text: a fixed header and the entries in the order they were made.
    pub fn to_text(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// Append-only save: refuses when the file on disk changed since `self` was read from
    /// `old` (its entries must be a prefix of ours).
    pub fn save(&self, root: &Path, old: &Register) -> Result<(), String> {
        let prefix = |a: &[Release], b: &[Release]| {
            a.len() <= b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| serde_json::to_value(x).ok() == serde_json::to_value(y).ok())
        };
        let reviews_prefix = old.reviews.len() <= self.reviews.len()
            && old
                .reviews
                .iter()
                .zip(&self.reviews)
                .all(|(x, y)| serde_json::to_value(x).ok() == serde_json::to_value(y).ok());
        if !prefix(&old.releases, &self.releases) || !reviews_prefix {
            return Err(format!("refusing to rewrite the history in {FILE}"));
        }
        // Re-read under the caller's lock: what is on disk must still be what `old` was read
        // from, or another writer got in between and appending would drop its entry.
        let path = Self::path(root);
        let on_disk = match std::fs::read_to_string(&path) {
            Ok(text)
                if text
                    .lines()
                    .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) =>
            {
                Register::default()
            }
            Ok(text) => serde_yaml::from_str::<Register>(&text)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Register::default(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if serde_json::to_value(&on_disk).ok() != serde_json::to_value(old).ok() {
            return Err(format!(
                "{FILE} changed while this command ran; nothing was recorded, run it again"
            ));
        }
        super::files::write_atomic(&path, self.to_text().as_bytes())
    }
}

/// The date `every` after `from` (working units count as calendar units here: a review
/// interval is months or years in practice).
pub fn add(from: NaiveDate, every: Duration) -> NaiveDate {
    let n = every.amount;
    let add_days = |d: u64| from.checked_add_days(chrono::Days::new(d)).unwrap_or(from);
    match every.unit {
        Unit::Years => from
            .checked_add_months(Months::new(n.saturating_mul(12)))
            .unwrap_or(from),
        Unit::Months => from.checked_add_months(Months::new(n)).unwrap_or(from),
        Unit::Weeks => add_days(u64::from(n) * 7),
        Unit::Days | Unit::WorkingDays => add_days(u64::from(n)),
        Unit::Hours | Unit::WorkingHours => add_days(u64::from(n) / 24),
        Unit::Minutes => add_days(u64::from(n) / (24 * 60)),
    }
}

/// When the next periodic review of `doc` is due: `review_every` after the effective date
/// of its latest release or its last recorded review, whichever is later.
pub fn next_review(register: &Register, doc: &str, every: Option<Duration>) -> Option<NaiveDate> {
    let every = every?;
    let released = register.latest(doc)?;
    let mut base = released.effective.0;
    if let Some(review) = register.last_review(doc) {
        base = base.max(review.date.0);
    }
    Some(add(base, every))
}

/// A compact `YYYY-MM-DD` for messages.
pub fn day(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}
