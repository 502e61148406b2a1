//! Every name must resolve: departments, parties, records, steps, flows, documents; and ids
//! that must be told apart are unique.

use std::collections::HashMap;

use super::codes;
use super::diagnostic::Diagnostic;
use super::settings::did_you_mean;
use super::{Context, DocView, flow_path, step_path};
use crate::spec::model::Procedure;
use crate::spec::source::FileId;

/// Document ids are unique across the QMS.
pub fn check_documents(cx: &Context, out: &mut Vec<Diagnostic>) {
    // Form numbers name the blank forms' files and the paper on the shop floor: two records
    // with one number would overwrite each other's form.
    let mut forms: HashMap<&str, (FileId, String)> = HashMap::new();
    for p in &cx.qms.procedures {
        for (i, record) in p.doc.records.iter().enumerate() {
            let Some(form) = &record.form else { continue };
            let path = format!("records[{i}].form");
            match forms.get(form.as_str()) {
                Some((file, first)) => out.push(
                    Diagnostic::new(
                        &codes::DUPLICATE_ID,
                        cx.at(p.file, &path),
                        format!("form number `{form}` is used by two records"),
                    )
                    .label(cx.at(*file, first), "also used here")
                    .hint("every form needs its own number"),
                ),
                None => {
                    forms.insert(form, (p.file, path));
                }
            }
        }
    }
    let mut first: HashMap<&str, FileId> = HashMap::new();
    for p in &cx.qms.procedures {
        match first.get(p.doc.id.as_str()) {
            Some(&file) => out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_ID,
                    cx.at(p.file, "id"),
                    format!("document id `{}` is used by two procedures", p.doc.id),
                )
                .label(cx.at(file, "id"), "also used here")
                .hint("every controlled document needs its own number"),
            ),
            None => {
                first.insert(&p.doc.id, p.file);
            }
        }
    }
}

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let doc = view.doc;
    let file = view.file;
    let actors: Vec<String> = cx
        .departments
        .iter()
        .chain(cx.parties.iter())
        .map(|s| s.to_string())
        .collect();
    let departments: Vec<String> = cx.departments.iter().map(|s| s.to_string()).collect();

    let unknown_actor = |out: &mut Vec<Diagnostic>,
                         code: &str,
                         path: &str,
                         what: &str,
                         known: &[String]| {
        out.push(
                Diagnostic::new(
                    &codes::UNKNOWN_DEPARTMENT,
                    cx.at(file, path),
                    if cx.parties.contains(code) {
                        // Only departments are asked here (owner, escalation, `all`).
                        format!("{what} `{code}` is a party of procdoc.yaml, not a department")
                    } else {
                        format!("{what} `{code}` is not a department or party of procdoc.yaml")
                    },
                )
                .maybe_hint(did_you_mean(code, known).or_else(|| {
                    cx.parties.contains(code).then(|| {
                        format!("only a department can be named here; a department that deals with `{code}` can take the step `with: {code}`")
                    })
                })),
            );
    };

    if !cx.departments.contains(doc.owner.as_str()) {
        unknown_actor(out, &doc.owner, "owner", "owner", &departments);
    }
    for (i, r) in doc.responsibilities.iter().enumerate() {
        if !cx.is_actor(&r.who) {
            unknown_actor(
                out,
                &r.who,
                &format!("responsibilities[{i}].who"),
                "department",
                &departments,
            );
        }
    }
    duplicates(
        cx,
        file,
        out,
        doc.records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), format!("records[{i}].id"))),
        "record",
    );
    for (i, record) in doc.records.iter().enumerate() {
        if let Some(keeper) = &record.keeper
            && !cx.is_actor(keeper)
        {
            unknown_actor(
                out,
                keeper,
                &format!("records[{i}].keeper"),
                "keeper",
                &departments,
            );
        }
        duplicates(
            cx,
            file,
            out,
            record
                .fields
                .iter()
                .enumerate()
                .map(|(f, field)| (field.id.as_str(), format!("records[{i}].fields[{f}].id"))),
            "field",
        );
    }
    for (i, reference) in doc.references.iter().enumerate() {
        let path = format!("references[{i}]");
        match (&reference.doc, &reference.title) {
            (Some(id), None) => {
                if !cx.docs.contains_key(id.as_str()) {
                    out.push(unknown_document(cx, file, &format!("{path}.doc"), id));
                } else if id == &doc.id {
                    out.push(
                        Diagnostic::new(
                            &codes::INVALID_REFERENCE,
                            cx.at(file, &format!("{path}.doc")),
                            "a procedure refers to itself",
                        )
                        .hint("remove this reference"),
                    );
                }
            }
            (None, Some(_)) => {}
            _ => out.push(
                Diagnostic::new(
                    &codes::INVALID_REFERENCE,
                    cx.at(file, &path),
                    "a reference needs exactly one of `doc` and `title`",
                )
                .hint(
                    "`doc: <id>` for a procedure of this QMS, `title: ...` for an outside document",
                ),
            ),
        }
    }

    duplicates(
        cx,
        file,
        out,
        doc.flows
            .iter()
            .enumerate()
            .map(|(f, flow)| (flow.id.as_str(), format!("{}.id", flow_path(f)))),
        "flow",
    );
    for (f, graph) in view.graphs.iter().enumerate() {
        let flow = graph.flow;
        duplicates(
            cx,
            file,
            out,
            flow.steps
                .iter()
                .enumerate()
                .map(|(s, step)| (step.id.as_str(), format!("{}.id", step_path(f, s)))),
            "step",
        );
        let step_ids: Vec<String> = flow.steps.iter().map(|s| s.id.clone()).collect();
        let unknown_step = |out: &mut Vec<Diagnostic>, id: &str, path: &str| {
            out.push(
                Diagnostic::new(
                    &codes::UNKNOWN_STEP,
                    cx.at(file, path),
                    format!("flow `{}` has no step `{id}`", flow.id),
                )
                .maybe_hint(did_you_mean(id, &step_ids)),
            );
        };
        for (s, step) in flow.steps.iter().enumerate() {
            let sp = step_path(f, s);
            // `by: CS` and `by: [CS]` both map `by[0]` to the closest written value.
            let many = |field: &str, i: usize, _len: usize| format!("{sp}.{field}[{i}]");
            for (i, code) in step.by.iter().enumerate() {
                if !cx.is_actor(code) {
                    unknown_actor(out, code, &step.by.path(&sp, i), "responsible", &actors);
                } else if step.by.joint && cx.parties.contains(code.as_str()) {
                    // Each signer of a joint sign-off is a department (its staff sign).
                    let what = "the joint signer";
                    unknown_actor(out, code, &step.by.path(&sp, i), what, &departments);
                }
            }
            for (i, code) in step.with.iter().enumerate() {
                if !cx.is_actor(code) {
                    unknown_actor(
                        out,
                        code,
                        &many("with", i, step.with.len()),
                        "consulted",
                        &actors,
                    );
                }
            }
            for (field, list) in [("produces", &step.produces), ("uses", &step.uses)] {
                for (i, name) in list.iter().enumerate() {
                    if let Some(d) = check_record(cx, doc, file, &many(field, i, list.len()), name)
                    {
                        out.push(d);
                    }
                }
            }
            for (i, target) in step.next.iter().enumerate() {
                if graph.index_of(target).is_none() {
                    unknown_step(out, target, &many("next", i, step.next.len()));
                }
            }
            if let Some(decision) = &step.decision {
                for (o, outcome) in decision.outcomes.iter().enumerate() {
                    if graph.index_of(&outcome.goto).is_none() {
                        unknown_step(
                            out,
                            &outcome.goto,
                            &format!("{sp}.decision.outcomes[{o}].goto"),
                        );
                    }
                }
            }
            if let Some(timeout) = &step.timeout
                && graph.index_of(&timeout.goto).is_none()
            {
                unknown_step(out, &timeout.goto, &format!("{sp}.timeout.goto"));
            }
            if let Some(escalate) = &step.escalate {
                for (i, code) in escalate.to.iter().enumerate() {
                    if !cx.departments.contains(code.as_str()) {
                        unknown_actor(
                            out,
                            code,
                            &many("escalate.to", i, escalate.to.len()),
                            "escalation department",
                            &departments,
                        );
                    }
                }
            }
            for (i, name) in step.not_by.iter().enumerate() {
                if graph.index_of(name).is_none() {
                    unknown_step(out, name, &many("not_by", i, step.not_by.len()));
                }
            }
            if let Some(within) = &step.within {
                if let Some(from) = within.from()
                    && from != "start"
                    && graph.index_of(from).is_none()
                {
                    unknown_step(out, from, &format!("{sp}.within.from"));
                }
                if let Some(before) = within.before()
                    && graph.index_of(before).is_none()
                {
                    unknown_step(out, before, &format!("{sp}.within.before"));
                }
            }
            if let Some(call) = &step.calls {
                let target = match &call.doc {
                    Some(id) => match cx.docs.get(id.as_str()) {
                        Some(p) => Some(&p.doc),
                        None => {
                            out.push(unknown_document(cx, file, &format!("{sp}.calls.doc"), id));
                            None
                        }
                    },
                    None => Some(doc),
                };
                if let Some(target) = target
                    && !target.flows.iter().any(|fl| fl.id == call.flow)
                {
                    let flows: Vec<String> = target.flows.iter().map(|fl| fl.id.clone()).collect();
                    out.push(
                        Diagnostic::new(
                            &codes::UNKNOWN_FLOW,
                            cx.at(file, &format!("{sp}.calls.flow")),
                            format!("procedure `{}` has no flow `{}`", target.id, call.flow),
                        )
                        .maybe_hint(did_you_mean(&call.flow, &flows)),
                    );
                }
            }
        }
    }
}

/// A record reference: `record-id` of this procedure or `DOC-ID#record-id` of another.
fn check_record(
    cx: &Context,
    doc: &Procedure,
    file: FileId,
    path: &str,
    name: &str,
) -> Option<Diagnostic> {
    let (owner, record) = match name.split_once('#') {
        Some((other, record)) => match cx.docs.get(other) {
            Some(p) => (&p.doc, record),
            None => return Some(unknown_document(cx, file, path, other)),
        },
        None => (doc, name),
    };
    if owner.records.iter().any(|r| r.id == record) {
        return None;
    }
    let known: Vec<String> = owner.records.iter().map(|r| r.id.clone()).collect();
    Some(
        Diagnostic::new(
            &codes::UNKNOWN_RECORD,
            cx.at(file, path),
            format!("procedure `{}` has no record `{record}`", owner.id),
        )
        .maybe_hint(did_you_mean(record, &known).or_else(|| {
            Some("define it under `records:` or write `<DOC-ID>#<record-id>` for another procedure's record".into())
        })),
    )
}

fn unknown_document(cx: &Context, file: FileId, path: &str, id: &str) -> Diagnostic {
    let known: Vec<String> = cx.docs.keys().map(|s| s.to_string()).collect();
    Diagnostic::new(
        &codes::UNKNOWN_DOCUMENT,
        cx.at(file, path),
        format!("no procedure in this QMS has the document id `{id}`"),
    )
    .maybe_hint(did_you_mean(id, &known))
}

/// Report every id that appeared before in `items`.
pub(super) fn duplicates<'a>(
    cx: &Context,
    file: FileId,
    out: &mut Vec<Diagnostic>,
    items: impl Iterator<Item = (&'a str, String)>,
    what: &str,
) {
    let mut first: HashMap<&str, String> = HashMap::new();
    for (id, path) in items {
        match first.get(id) {
            Some(original) => out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_ID,
                    cx.at(file, &path),
                    format!("{what} id `{id}` is used twice"),
                )
                .label(cx.at(file, original), "first used here")
                .hint(format!("give each {what} its own id")),
            ),
            None => {
                first.insert(id, path);
            }
        }
    }
}
