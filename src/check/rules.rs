//! Standing rules: every `applies_to` names a step or record of the procedure, and rule ids
//! are told apart.

use super::codes;
use super::diagnostic::Diagnostic;
use super::references::duplicates;
use super::settings::did_you_mean;
use super::{Context, DocView};
use crate::spec::ident::lookalike;
use crate::spec::rules::{resolves, targets};

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let doc = view.doc;
    if doc.rules.is_empty() {
        return;
    }
    duplicates(
        cx,
        view.file,
        out,
        doc.rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), format!("rules[{i}].id"))),
        "rule",
    );
    let known = targets(doc);
    for (i, rule) in doc.rules.iter().enumerate() {
        for (k, target) in rule.applies_to.iter().enumerate() {
            let target = target.0.as_str();
            if resolves(doc, target) {
                continue;
            }
            // A name with an invisible or look-alike character is unknown for that reason:
            // say so rather than suggest the name it imitates.
            let hint = match lookalike(target) {
                Some(found) => Some(found.hint()),
                None => did_you_mean(target, &known),
            };
            out.push(
                Diagnostic::new(
                    &codes::UNKNOWN_RULE_TARGET,
                    cx.at(view.file, &format!("rules[{i}].applies_to[{k}]")),
                    format!(
                        "rule `{}` applies to `{target}`, which is no step or record of procedure `{}`",
                        rule.id, doc.id
                    ),
                )
                .maybe_hint(hint.or_else(|| {
                    Some("name a step id (or `flow/step`) or a record id of this procedure".into())
                })),
            );
        }
    }
}
