//! Ids and references made of invisible or look-alike characters (see [`crate::spec::ident`]).
//!
//! Every id a procedure or the settings define, and every place that names one, is checked:
//! a reference with a zero-width space would otherwise fail as "unknown" without showing why,
//! and a defining id with one would print like another document's number.

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, flow_path, step_path};
use crate::spec::ident::lookalike;
use crate::spec::model::{OneOrMany, Procedure};
use crate::spec::source::FileId;

/// Department and party codes of `procdoc.yaml`.
pub fn check_settings(cx: &Context, out: &mut Vec<Diagnostic>) {
    let mut found = Found {
        cx,
        file: cx.qms.settings_file,
        out,
    };
    for (i, d) in cx.settings.departments.iter().enumerate() {
        found.name(&d.code, || format!("departments[{i}].code"));
        if let Some(within) = &d.within {
            found.name(within, || format!("departments[{i}].in"));
        }
    }
    for (i, p) in cx.settings.parties.iter().enumerate() {
        found.name(&p.code, || format!("parties[{i}].code"));
    }
}

/// Every id and reference of one procedure.
pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let mut found = Found {
        cx,
        file: view.file,
        out,
    };
    procedure(view.doc, &mut found);
}

struct Found<'a, 'b> {
    cx: &'a Context<'b>,
    file: FileId,
    out: &'a mut Vec<Diagnostic>,
}

impl Found<'_, '_> {
    /// Report `name` if it is not a trustworthy id; its model path is made only then.
    fn name(&mut self, name: &str, path: impl FnOnce() -> String) {
        if let Some(found) = lookalike(name) {
            self.out.push(
                Diagnostic::new(
                    &codes::LOOKALIKE_ID,
                    self.cx.at(self.file, &path()),
                    format!("`{}` holds {found}", name.escape_debug()),
                )
                .hint(found.hint()),
            );
        }
    }

    fn list(&mut self, list: &OneOrMany, path: impl Fn(usize) -> String) {
        for (k, name) in list.iter().enumerate() {
            self.name(name, || path(k));
        }
    }
}

/// Every id and reference in a procedure.
fn procedure(doc: &Procedure, found: &mut Found) {
    found.name(&doc.id, || "id".to_string());
    found.name(&doc.revision, || "revision".to_string());
    found.name(&doc.owner, || "owner".to_string());
    for (i, h) in doc.history.iter().enumerate() {
        found.name(&h.revision, || format!("history[{i}].revision"));
    }
    for (i, r) in doc.responsibilities.iter().enumerate() {
        found.name(&r.who, || format!("responsibilities[{i}].who"));
    }
    for (i, r) in doc.references.iter().enumerate() {
        if let Some(d) = &r.doc {
            found.name(d, || format!("references[{i}].doc"));
        }
    }
    for (i, record) in doc.records.iter().enumerate() {
        found.name(&record.id, || format!("records[{i}].id"));
        if let Some(form) = &record.form {
            found.name(form, || format!("records[{i}].form"));
        }
        if let Some(keeper) = &record.keeper {
            found.name(keeper, || format!("records[{i}].keeper"));
        }
        for (j, field) in record.fields.iter().enumerate() {
            found.name(&field.id, || format!("records[{i}].fields[{j}].id"));
        }
    }
    for (i, rule) in doc.rules.iter().enumerate() {
        found.name(&rule.id, || format!("rules[{i}].id"));
        for (k, target) in rule.applies_to.iter().enumerate() {
            found.name(&target.0, || format!("rules[{i}].applies_to[{k}]"));
        }
    }
    for (f, flow) in doc.flows.iter().enumerate() {
        found.name(&flow.id, || format!("{}.id", flow_path(f)));
        for (s, step) in flow.steps.iter().enumerate() {
            let sp = || step_path(f, s);
            found.name(&step.id, || format!("{}.id", sp()));
            for (field, list) in [
                ("by", step.by.ids()),
                ("with", &step.with),
                ("not_by", &step.not_by),
                ("produces", &step.produces),
                ("uses", &step.uses),
                ("next", &step.next),
            ] {
                found.list(list, |k| format!("{}.{field}[{k}]", sp()));
            }
            if let Some(decision) = &step.decision {
                for (o, outcome) in decision.outcomes.iter().enumerate() {
                    found.name(&outcome.goto, || {
                        format!("{}.decision.outcomes[{o}].goto", sp())
                    });
                }
            }
            if let Some(call) = &step.calls {
                if let Some(d) = &call.doc {
                    found.name(d, || format!("{}.calls.doc", sp()));
                }
                found.name(&call.flow, || format!("{}.calls.flow", sp()));
            }
            if let Some(within) = &step.within {
                if let Some(from) = within.from() {
                    found.name(from, || format!("{}.within.from", sp()));
                }
                if let Some(before) = within.before() {
                    found.name(before, || format!("{}.within.before", sp()));
                }
            }
            if let Some(after) = &step.after {
                if let Some(from) = after.from() {
                    found.name(from, || format!("{}.after.from", sp()));
                }
                if let Some(before) = after.before() {
                    found.name(before, || format!("{}.after.before", sp()));
                }
            }
        }
    }
}
