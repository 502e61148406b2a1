//! A deadline counted back from a planned step (`within: { before: P }`) on a step that can
//! only become active once `P` is done: the window closes before `P`'s date, so the step
//! always comes too late for it. (An earliest time counted back from `P` has passed by then,
//! which holds nothing back, so it is not reported.)

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, graph) in view.graphs.iter().enumerate() {
        for (s, step) in graph.flow.steps.iter().enumerate() {
            let sp = step_path(f, s);
            let Some(planned) = step.within.as_ref().and_then(|w| w.before()) else {
                continue;
            };
            // Unknown or unplanned steps are reported by their own checks.
            let Some(p) = graph.index_of(planned) else {
                continue;
            };
            if !graph.step(p).planned || !graph.precedes_on_every_path(p, s) {
                continue;
            }
            out.push(
                    Diagnostic::new(
                        &codes::WINDOW_AFTER_PLANNED_STEP,
                        cx.at(file, &format!("{sp}.within.before")),
                        format!(
                            "the deadline of `{}` counts back from `{planned}`, but `{}` comes after `{planned}` on every path: the window closes before the step can be active",
                            step.id, step.id
                        ),
                    )
                    .label(
                        cx.at(file, &format!("{}.id", step_path(f, p))),
                        "done before the step can start",
                    )
                    .hint(format!(
                        "count back from a planned step that comes after `{}`, or write `within: {{ time: ..., from: {planned} }}` to count from its completion",
                        step.id
                    )),
                );
        }
    }
}
