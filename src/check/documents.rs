//! Document control: history, approvals, required sections, records and their fields,
//! responsibilities against the steps, and translations.

use std::collections::{BTreeMap, HashSet};

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, flow_path, step_path};
use crate::spec::model::{Date, FieldType, Procedure, Settings, Trigger};
use crate::spec::source::FileId;
use crate::spec::text::Text;

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let (doc, file) = (view.doc, view.file);
    history(cx, doc, file, out);
    approvals(cx, doc, file, out);
    if doc.purpose.is_none() {
        out.push(
            Diagnostic::new(
                &codes::MISSING_PURPOSE,
                cx.at(file, "id"),
                format!("procedure `{}` has no purpose", doc.id),
            )
            .hint("add `purpose:` saying why the procedure exists"),
        );
    }
    if doc.scope.is_none() {
        out.push(
            Diagnostic::new(
                &codes::MISSING_SCOPE,
                cx.at(file, "id"),
                format!("procedure `{}` has no scope", doc.id),
            )
            .hint("add `scope:` saying what the procedure applies to"),
        );
    }
    records(cx, doc, file, out);
    responsibilities(cx, doc, file, out);
    for (path, text) in procedure_texts(doc) {
        translations(cx, file, &path, text, out);
    }
}

/// Check the settings' own texts (called once per QMS).
pub fn check_settings_texts(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (path, text) in settings_texts(cx.settings) {
        translations(cx, cx.qms.settings_file, &path, text, out);
    }
}

fn history(cx: &Context, doc: &Procedure, file: FileId, out: &mut Vec<Diagnostic>) {
    let current = doc.history.iter().position(|h| h.revision == doc.revision);
    match current {
        None => out.push(
            Diagnostic::new(
                &codes::HISTORY_MISSING_REVISION,
                cx.key(file, "history"),
                format!(
                    "the revision history has no entry for the current revision `{}`",
                    doc.revision
                ),
            )
            .label(cx.at(file, "revision"), "current revision")
            .hint(format!(
                "add `- {{ revision: {}, date: {}, change: ... }}` at the end of `history`",
                doc.revision, doc.effective
            )),
        ),
        Some(i) if i + 1 != doc.history.len() => out.push(
            Diagnostic::new(
                &codes::HISTORY_ORDER,
                cx.at(file, &format!("history[{i}]")),
                format!(
                    "the current revision `{}` is not the last history entry",
                    doc.revision
                ),
            )
            .hint("the history lists revisions oldest first; the current one comes last"),
        ),
        Some(_) => {}
    }
    for i in 1..doc.history.len() {
        let (before, after) = (&doc.history[i - 1], &doc.history[i]);
        if after.date < before.date {
            out.push(
                Diagnostic::new(
                    &codes::HISTORY_ORDER,
                    cx.at(file, &format!("history[{i}].date")),
                    format!(
                        "revision `{}` ({}) is dated before the revision above it, `{}` ({})",
                        after.revision, after.date, before.revision, before.date
                    ),
                )
                .hint("list the history oldest first"),
            );
        }
    }
    let mut seen = HashSet::new();
    for (i, h) in doc.history.iter().enumerate() {
        if !seen.insert(h.revision.as_str()) {
            out.push(
                Diagnostic::new(
                    &codes::HISTORY_ORDER,
                    cx.at(file, &format!("history[{i}].revision")),
                    format!("revision `{}` appears twice in the history", h.revision),
                )
                .hint("each revision has one history entry"),
            );
        }
    }
}

fn approvals(cx: &Context, doc: &Procedure, file: FileId, out: &mut Vec<Diagnostic>) {
    let a = &doc.approval;
    let signoffs = a.signoffs();
    // A draft still waiting for its signatures is normal: say so, fail nothing.
    let blank: Vec<String> = signoffs
        .iter()
        .flat_map(|(role, s)| {
            let name = s.name().is_none().then(|| format!("{role}.by"));
            let date = s.date.is_none().then(|| format!("{role}.date"));
            name.into_iter().chain(date)
        })
        .collect();
    if let Some(first) = blank.first() {
        // The first blank sign-off, or the nearest key written around it.
        out.push(
            Diagnostic::new(
                &codes::APPROVAL_PENDING,
                cx.at(file, &format!("approval.{first}")),
                format!(
                    "{} rev. {} awaits approval: {} left blank, printed as empty boxes to sign by hand",
                    doc.id,
                    doc.revision,
                    blank.join(", ")
                ),
            )
            .hint("fill in the names and dates once signed; `procdoc release` needs them all"),
        );
    }
    let dated: Vec<(&str, Date)> = signoffs
        .iter()
        .filter_map(|(role, s)| s.date.map(|d| (*role, d)))
        .collect();
    if let Some((role, latest)) = dated.iter().max_by_key(|(_, d)| *d)
        && doc.effective < *latest
    {
        out.push(
            Diagnostic::new(
                &codes::EFFECTIVE_BEFORE_APPROVAL,
                cx.at(file, "effective"),
                format!(
                    "the document takes effect on {} but was {role} on {latest}",
                    doc.effective
                ),
            )
            .label(
                cx.at(file, &format!("approval.{role}.date")),
                "approval date",
            )
            .hint("a document takes effect on or after its approval"),
        );
    }
    for pair in dated.windows(2) {
        let ((first, a), (second, b)) = (pair[0], pair[1]);
        if b < a {
            out.push(
                Diagnostic::new(
                    &codes::APPROVAL_ORDER,
                    cx.at(file, &format!("approval.{second}.date")),
                    format!("the document was {second} ({b}) before it was {first} ({a})"),
                )
                .hint("documents are prepared, then reviewed, then approved"),
            );
        }
    }
    if let (Some(approver), Some(preparer)) = (a.approved.name(), a.prepared.name())
        && approver.eq_ignore_ascii_case(preparer)
    {
        out.push(
            Diagnostic::new(
                &codes::APPROVER_IS_PREPARER,
                cx.at(file, "approval.approved.by"),
                format!("`{approver}` both prepared and approved the document"),
            )
            .label(cx.at(file, "approval.prepared.by"), "prepared by")
            .hint("have someone else approve it"),
        );
    }
}

fn records(cx: &Context, doc: &Procedure, file: FileId, out: &mut Vec<Diagnostic>) {
    for (i, record) in doc.records.iter().enumerate() {
        if !cx
            .used_records
            .contains(&(doc.id.clone(), record.id.clone()))
        {
            out.push(
                Diagnostic::new(
                    &codes::UNUSED_RECORD,
                    cx.at(file, &format!("records[{i}].id")),
                    format!("no step produces or uses record `{}`", record.id),
                )
                .hint(format!(
                    "add `produces: [{}]` to the step that makes it",
                    record.id
                )),
            );
        }
        for (f, field) in record.fields.iter().enumerate() {
            let fp = format!("records[{i}].fields[{f}]");
            let choice = matches!(field.kind, FieldType::Choice | FieldType::Multichoice);
            if choice && field.options.is_empty() {
                out.push(
                    Diagnostic::new(
                        &codes::FIELD_OPTIONS,
                        cx.at(file, &format!("{fp}.type")),
                        format!("field `{}` is a choice without `options`", field.id),
                    )
                    .hint("add `options: [..., ...]`"),
                );
            } else if !choice && !field.options.is_empty() {
                out.push(
                    Diagnostic::new(
                        &codes::FIELD_OPTIONS,
                        cx.key(file, &format!("{fp}.options")),
                        format!("field `{}` has `options` but is not a choice", field.id),
                    )
                    .hint("write `type: choice` (or `multichoice`), or remove `options`"),
                );
            }
            let table = field.kind == FieldType::Table;
            if table && field.columns.is_empty() {
                out.push(
                    Diagnostic::new(
                        &codes::TABLE_COLUMNS,
                        cx.at(file, &format!("{fp}.type")),
                        format!("table field `{}` has no `columns`", field.id),
                    )
                    .hint("add `columns: [..., ...]`"),
                );
            } else if !table && (!field.columns.is_empty() || field.rows.is_some()) {
                let key = if field.columns.is_empty() {
                    "rows"
                } else {
                    "columns"
                };
                out.push(
                    Diagnostic::new(
                        &codes::TABLE_COLUMNS,
                        cx.key(file, &format!("{fp}.{key}")),
                        format!("field `{}` has `{key}` but is not a table", field.id),
                    )
                    .hint(format!("write `type: table`, or remove `{key}`")),
                );
            }
        }
    }
}

fn responsibilities(cx: &Context, doc: &Procedure, file: FileId, out: &mut Vec<Diagnostic>) {
    // A role counts for its department and the department for its roles: a duty written for
    // the sales department covers the sales supervisor's steps.
    let parent_of = |code: &str| {
        cx.settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.within.clone())
    };
    let family = |code: &str| -> Vec<String> {
        let mut codes = vec![code.to_string()];
        if let Some(parent) = parent_of(code) {
            codes.push(parent);
        }
        codes.extend(
            cx.settings
                .departments
                .iter()
                .filter(|d| d.within.as_deref() == Some(code))
                .map(|d| d.code.clone()),
        );
        codes
    };
    let mut acting: BTreeMap<String, String> = BTreeMap::new();
    for (f, flow) in doc.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            for (field, list) in [("by", step.by.ids()), ("with", &step.with)] {
                for code in list.iter() {
                    if cx.departments.contains(code.as_str()) {
                        acting
                            .entry(code.clone())
                            .or_insert_with(|| format!("{}.{field}", step_path(f, s)));
                    }
                }
            }
        }
    }
    let listed: HashSet<&str> = doc
        .responsibilities
        .iter()
        .map(|r| r.who.as_str())
        .collect();
    for (i, r) in doc.responsibilities.iter().enumerate() {
        if cx.departments.contains(r.who.as_str())
            && !family(&r.who).iter().any(|c| acting.contains_key(c))
        {
            out.push(
                Diagnostic::new(
                    &codes::IDLE_DEPARTMENT,
                    cx.at(file, &format!("responsibilities[{i}].who")),
                    format!(
                        "department `{}` has duties but does no step of this procedure",
                        r.who
                    ),
                )
                .hint(format!(
                    "name `{}` in the `by` or `with` of the steps it does, or remove the entry",
                    r.who
                )),
            );
        }
    }
    for (code, path) in &acting {
        if !family(code).iter().any(|c| listed.contains(c.as_str())) {
            out.push(
                Diagnostic::new(
                    &codes::MISSING_RESPONSIBILITY,
                    cx.at(file, path),
                    format!("department `{code}` takes part in steps but has no entry in `responsibilities`"),
                )
                .hint(format!("add `- {{ who: {code}, duties: [...] }}` under `responsibilities`")),
            );
        }
    }
}

fn translations(cx: &Context, file: FileId, path: &str, text: &Text, out: &mut Vec<Diagnostic>) {
    let languages = &cx.settings.languages;
    let missing: Vec<&str> = languages
        .iter()
        .map(String::as_str)
        .filter(|lang| text.get(lang, cx.primary()).is_none())
        .collect();
    if !missing.is_empty() {
        out.push(
            Diagnostic::new(
                &codes::MISSING_TRANSLATION,
                cx.at(file, path),
                format!(
                    "this text has no {} version",
                    missing
                        .iter()
                        .map(|l| format!("`{l}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .hint(match text {
                Text::Languages(_) => format!(
                    "add {}",
                    missing
                        .iter()
                        .map(|l| format!("`{l}: ...`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Text::Plain(_) => format!(
                    "write it as a map with every QMS language: {{ {} }}",
                    languages
                        .iter()
                        .map(|l| format!("{l}: ..."))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        );
    }
    for lang in text.languages() {
        if !languages.iter().any(|l| l == lang) {
            out.push(
                Diagnostic::new(
                    &codes::UNKNOWN_LANGUAGE,
                    cx.key(file, &format!("{path}.{lang}")),
                    format!(
                        "`{lang}` is not one of the QMS languages ({})",
                        languages.join(", ")
                    ),
                )
                .hint(match super::settings::did_you_mean(lang, languages) {
                    Some(guess) if guess.starts_with("did") => guess,
                    _ => format!(
                        "add `{lang}` to `languages` in procdoc.yaml, or remove this translation"
                    ),
                }),
            );
        }
    }
}

/// Every Text in a procedure with its model path.
pub fn procedure_texts(doc: &Procedure) -> Vec<(String, &Text)> {
    let mut out: Vec<(String, &Text)> = vec![("title".into(), &doc.title)];
    if let Some(t) = &doc.purpose {
        out.push(("purpose".into(), t));
    }
    if let Some(t) = &doc.scope {
        out.push(("scope".into(), t));
    }
    for (i, h) in doc.history.iter().enumerate() {
        out.push((format!("history[{i}].change"), &h.change));
    }
    for (i, d) in doc.definitions.iter().enumerate() {
        out.push((format!("definitions[{i}].term"), &d.term));
        out.push((format!("definitions[{i}].meaning"), &d.meaning));
    }
    for (i, r) in doc.responsibilities.iter().enumerate() {
        for (j, duty) in r.duties.iter().enumerate() {
            out.push((format!("responsibilities[{i}].duties[{j}]"), duty));
        }
    }
    for (i, r) in doc.references.iter().enumerate() {
        if let Some(t) = &r.title {
            out.push((format!("references[{i}].title"), t));
        }
    }
    for (i, r) in doc.records.iter().enumerate() {
        out.push((format!("records[{i}].title"), &r.title));
        if let Some(t) = &r.retention {
            out.push((format!("records[{i}].retention"), t));
        }
        if let Some(t) = &r.instructions {
            out.push((format!("records[{i}].instructions"), t));
        }
        for (j, field) in r.fields.iter().enumerate() {
            let fp = format!("records[{i}].fields[{j}]");
            out.push((format!("{fp}.label"), &field.label));
            for (k, o) in field.options.iter().enumerate() {
                out.push((format!("{fp}.options[{k}]"), o));
            }
            for (k, c) in field.columns.iter().enumerate() {
                out.push((format!("{fp}.columns[{k}]"), c));
            }
            if let Some(crate::spec::model::Rows::Labels(labels)) = &field.rows {
                for (k, l) in labels.iter().enumerate() {
                    out.push((format!("{fp}.rows[{k}]"), l));
                }
            }
        }
    }
    for (f, flow) in doc.flows.iter().enumerate() {
        let fp = flow_path(f);
        out.push((format!("{fp}.title"), &flow.title));
        match &flow.trigger {
            Some(Trigger::Event(t)) => out.push((format!("{fp}.trigger"), t)),
            Some(Trigger::Several(list)) => {
                for (i, t) in list.iter().enumerate() {
                    out.push((format!("{fp}.trigger[{i}].text"), &t.text));
                }
            }
            _ => {}
        }
        for (s, step) in flow.steps.iter().enumerate() {
            let sp = step_path(f, s);
            if let Some(t) = &step.title {
                out.push((format!("{sp}.title"), t));
            }
            if let Some(t) = &step.detail {
                out.push((format!("{sp}.detail"), t));
            }
            for (k, c) in step.check.iter().enumerate() {
                out.push((format!("{sp}.check[{k}]"), c));
            }
            if let Some(d) = &step.decision {
                if let Some(q) = &d.question {
                    out.push((format!("{sp}.decision.question"), q));
                }
                for (o, outcome) in d.outcomes.iter().enumerate() {
                    out.push((format!("{sp}.decision.outcomes[{o}].when"), &outcome.when));
                }
            }
            if let Some(t) = &step.end {
                out.push((format!("{sp}.end"), t));
            }
        }
    }
    for (i, s) in doc.sections.iter().enumerate() {
        out.push((format!("sections[{i}].title"), &s.title));
        out.push((format!("sections[{i}].body"), &s.body));
    }
    for (i, r) in doc.rules.iter().enumerate() {
        out.push((format!("rules[{i}].text"), &r.text));
    }
    out
}

fn settings_texts(settings: &Settings) -> Vec<(String, &Text)> {
    let mut out: Vec<(String, &Text)> = vec![("company".into(), &settings.company)];
    if let Some(c) = &settings.copyright {
        out.push(("copyright".into(), c));
    }
    for (i, d) in settings.departments.iter().enumerate() {
        out.push((format!("departments[{i}].name"), &d.name));
    }
    for (i, p) in settings.parties.iter().enumerate() {
        out.push((format!("parties[{i}].name"), &p.name));
    }
    out
}
