//! The document-control rules that need the register: its integrity (E0812), released
//! documents edited without a new revision (E0813) and overdue periodic reviews (W0814).

use chrono::NaiveDate;

use super::{diff, printed, register};
use crate::check::codes;
use crate::check::diagnostic::Diagnostic;
use crate::check::{Context, DocView};
use crate::spec::model::Procedure;
use crate::spec::source::Location;

/// The day `check` compares review dates with: `PROCDOC_NOW` or today, on the QMS clock.
pub fn today(cx: &Context) -> NaiveDate {
    let tz = cx
        .settings
        .calendar
        .as_ref()
        .and_then(|c| c.timezone.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::UTC);
    let now = crate::run::clock::now(None, tz).unwrap_or_else(|_| chrono::Utc::now());
    crate::run::clock::local_date(now, tz)
}

pub fn check(cx: &Context, views: &[DocView], out: &mut Vec<Diagnostic>) {
    let (Some(register), Some(file)) = (&cx.qms.register, cx.qms.register_file) else {
        return;
    };
    let today = today(cx);
    let tz = crate::run::clock::office_timezone(Some(cx.settings));
    for problem in register.integrity(cx.primary(), Some(today), tz) {
        out.push(
            Diagnostic::new(
                &codes::REGISTER_INVALID,
                cx.at(file, &problem.path),
                problem.message,
            )
            .hint(format!(
                "procdoc only appends to {}; restore it from version control",
                register::FILE
            )),
        );
    }
    for view in views {
        let doc = view.doc;
        if let Some(release) = register.release(&doc.id, &doc.revision) {
            let listed = changes_since(cx, release, doc);
            // A release whose stored content no longer matches its fingerprint, with no
            // change to name against the working files, is E0812 above.
            if !listed.is_empty() {
                let (shown, more) = if listed.len() > 8 {
                    (
                        listed[..8].join(", "),
                        format!(" and {} more", listed.len() - 8),
                    )
                } else {
                    (listed.join(", "), String::new())
                };
                out.push(
                    Diagnostic::new(
                        &codes::MODIFIED_WITHOUT_REVISION,
                        cx.at(view.file, "revision"),
                        format!(
                            "{} rev. {} was released on {} and has been changed since without a new revision: {shown}{more}",
                            doc.id,
                            doc.revision,
                            crate::run::clock::stamp_day(
                                &release.released_at,
                                crate::run::clock::office_timezone(Some(cx.settings))
                            ),
                        ),
                    )
                    .label(
                        release_location(cx, file, register, &doc.id, &doc.revision),
                        "the released content",
                    )
                    .note(format!("see every change with `procdoc diff {}`", doc.id))
                    .hint("raise `revision`, add a `history` entry saying what changed, and release it; or undo the change"),
                );
            }
        }
        if let Some(due) = register::next_review(register, &doc.id, doc.review_every)
            && due < today
        {
            let base = register
                .last_review(&doc.id)
                .map(|r| format!("last reviewed {}", r.date))
                .or_else(|| {
                    register
                        .latest(&doc.id)
                        .map(|r| format!("rev. {} effective {}", r.revision, r.effective))
                })
                .unwrap_or_default();
            let every = doc.review_every.map(|d| d.to_string()).unwrap_or_default();
            out.push(
                Diagnostic::new(
                    &codes::REVIEW_OVERDUE,
                    cx.at(view.file, "review_every"),
                    format!(
                        "the periodic review of {} was due on {} ({base}, reviewed every {every})",
                        doc.id,
                        register::day(due)
                    ),
                )
                .hint(format!(
                    "review the document and record it: `procdoc review {} --by <name>`",
                    doc.id
                )),
            );
        }
    }
}

/// The copies in `out_dir` (where `release` wrote) that the register cannot account for
/// ([`super::copies::unaccounted`]), as E0812 findings at the register: the evidence left
/// when releases are removed from its end, which the register alone cannot show. Nothing
/// when the QMS has no register.
pub fn copies(qms: &crate::spec::load::Qms, out_dir: &std::path::Path) -> Vec<Diagnostic> {
    let (Some(settings), Some(register), Some(file)) =
        (&qms.settings, &qms.register, qms.register_file)
    else {
        return Vec::new();
    };
    let cx = Context::new(qms, settings);
    super::copies::unaccounted(register, out_dir)
        .into_iter()
        .map(|problem| {
            Diagnostic::new(
                &codes::REGISTER_INVALID,
                cx.at(file, &problem.path),
                problem.message,
            )
            .hint(format!(
                "procdoc only appends to {}; restore it from version control, or move away a copy procdoc did not write",
                register::FILE
            ))
        })
        .collect()
}

/// What differs between a release and the working document, in the procedure's terms:
/// its content ([`diff::compare`]) and what it prints from the QMS ([`printed::changes`]).
/// Empty when it is unchanged.
fn changes_since(cx: &Context, release: &register::Release, doc: &Procedure) -> Vec<String> {
    if super::unchanged_since(cx.qms, cx.settings, release, doc) {
        return Vec::new();
    }
    let mut listed: Vec<String> = diff::compare(&release.content, doc, cx.primary())
        .iter()
        .map(diff::Change::short)
        .collect();
    if let Some(recorded) = &release.printed {
        listed.extend(printed::changes(
            recorded,
            &printed::of(cx.qms, cx.settings, doc),
            cx.primary(),
        ));
    }
    listed
}

fn release_location(
    cx: &Context,
    file: usize,
    register: &register::Register,
    doc: &str,
    revision: &str,
) -> Location {
    let index = register
        .releases
        .iter()
        .position(|r| r.doc == doc && r.revision == revision)
        .unwrap_or(0);
    cx.at(file, &format!("releases[{index}].fingerprint"))
}
