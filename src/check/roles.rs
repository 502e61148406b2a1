//! Roles and planning: separation of duties (`not_by`), planned dates (`before`), and that
//! somebody is responsible for every step.

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, graph) in view.graphs.iter().enumerate() {
        for (s, step) in graph.flow.steps.iter().enumerate() {
            let sp = step_path(f, s);
            // An empty `by: { all: [] }` is reported as a joint sign-off without departments.
            if step.by.is_empty() && !step.by.joint && step.calls.is_none() {
                out.push(
                    Diagnostic::new(
                        &codes::NO_ACTOR,
                        cx.at(file, &format!("{sp}.id")),
                        format!("step `{}` has no responsible department (`by`)", step.id),
                    )
                    .hint("add `by: <department code>`"),
                );
            }
            for (i, name) in step.not_by.iter().enumerate() {
                let Some(other) = graph.index_of(name) else {
                    continue;
                };
                if !graph.precedes_on_every_path(other, s) {
                    let path = format!("{sp}.not_by[{i}]");
                    out.push(
                        Diagnostic::new(
                            &codes::NOT_BY_NOT_BEFORE,
                            cx.at(file, &path),
                            format!(
                                "step `{name}` does not come before `{}` on every path, so who did it is not always known",
                                step.id
                            ),
                        )
                        .label(cx.at(file, &format!("{}.id", step_path(f, other))), "this step")
                        .hint("name a step that every run passes before this one"),
                    );
                }
            }
            if let Some(before) = step.within.as_ref().and_then(|w| w.before())
                && let Some(other) = graph.index_of(before)
                && !graph.step(other).planned
            {
                out.push(
                    Diagnostic::new(
                        &codes::BEFORE_NOT_PLANNED,
                        cx.at(file, &format!("{sp}.within.before")),
                        format!("step `{before}` has no planned date, so nothing can be counted back from it"),
                    )
                    .label(cx.at(file, &format!("{}.id", step_path(f, other))), "not marked `planned: true`")
                    .hint(format!("mark step `{before}` with `planned: true`")),
                );
            }
        }
    }
}
