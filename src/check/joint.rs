//! Steps signed by several departments (`by: { all: [...] }`): at least two departments,
//! each named once, and no decision (no one of them could choose the outcome alone).

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, flow) in view.doc.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            if !step.by.joint {
                continue;
            }
            let sp = step_path(f, s);
            if step.by.is_empty() {
                // Nobody to sign at all: one finding, not a decision "by each of" nobody.
                out.push(
                    Diagnostic::new(
                        &codes::JOINT_TOO_FEW,
                        cx.at(file, &format!("{sp}.by.all")),
                        format!(
                            "step `{}` says `by: {{ all: [] }}`, which names no department: at least one department is needed to sign it",
                            step.id
                        ),
                    )
                    .hint("name the department that signs (`by: QA`), or at least two that each sign (`by: { all: [QA, PROD] }`)"),
                );
                continue;
            }
            if step.decision.is_some() {
                out.push(
                    Diagnostic::new(
                        &codes::JOINT_DECISION,
                        cx.key(file, &format!("{sp}.decision")),
                        format!(
                            "step `{}` is signed by each of {} and also decides",
                            step.id,
                            step.by.0.join(", ")
                        ),
                    )
                    .hint("put the decision in the following step, signed by one department"),
                );
            }
            let mut seen: Vec<&str> = Vec::new();
            for (i, code) in step.by.iter().enumerate() {
                if seen.contains(&code.as_str()) {
                    out.push(
                        Diagnostic::new(
                            &codes::DUPLICATE_JOINT_DEPARTMENT,
                            cx.at(file, &step.by.path(&sp, i)),
                            format!("step `{}` names {code} twice in `by.all`", step.id),
                        )
                        .hint("name each department once: each signs once"),
                    );
                } else {
                    seen.push(code);
                }
            }
            if seen.len() < 2 {
                out.push(
                    Diagnostic::new(
                        &codes::JOINT_TOO_FEW,
                        cx.key(file, &format!("{sp}.by.all")),
                        format!(
                            "step `{}` is to be signed by all of {}: a joint sign-off needs at least two departments",
                            step.id,
                            if seen.is_empty() {
                                "no department".to_string()
                            } else {
                                seen.join(", ")
                            }
                        ),
                    )
                    .hint(match seen.first() {
                        Some(one) => format!("write `by: {one}`, or name the other departments that sign"),
                        None => "name at least two departments: `by: { all: [QA, PROD] }`".to_string(),
                    }),
                );
            }
        }
    }
}
