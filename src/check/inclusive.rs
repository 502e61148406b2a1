//! Inclusive choices and joins (`decision.multiple: true`, `join: started`): the shapes that
//! are wrong by themselves, before the soundness exploration looks at every set of outcomes.

use std::collections::HashSet;

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};
use crate::flow::graph::FlowGraph;
use crate::flow::semantics::MULTIPLE_OUTCOMES_LIMIT;
use crate::spec::model::Join;

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    for (f, graph) in view.graphs.iter().enumerate() {
        check_decisions(cx, view.file, f, graph, out);
        check_joins(cx, view.file, f, graph, out);
    }
}

fn check_decisions(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    out: &mut Vec<Diagnostic>,
) {
    for (s, step) in graph.flow.steps.iter().enumerate() {
        let Some(decision) = step.decision.as_ref().filter(|d| d.multiple) else {
            continue;
        };
        let sp = step_path(f, s);
        let count = decision.outcomes.len();
        if count < 2 {
            out.push(
                Diagnostic::new(
                    &codes::MULTIPLE_TOO_FEW_OUTCOMES,
                    cx.at(file, &format!("{sp}.decision.multiple")),
                    format!(
                        "the decision of step `{}` may choose several outcomes but has {count} outcome{}",
                        step.id,
                        if count == 1 { "" } else { "s" }
                    ),
                )
                .hint("give it at least two outcomes to choose from, or write `next` instead of the decision"),
            );
        }
        if count > MULTIPLE_OUTCOMES_LIMIT {
            out.push(
                Diagnostic::new(
                    &codes::MULTIPLE_TOO_MANY_OUTCOMES,
                    cx.at(file, &format!("{sp}.decision.multiple")),
                    format!(
                        "the decision of step `{}` may choose any of {count} outcomes; at most {MULTIPLE_OUTCOMES_LIMIT} are allowed with `multiple: true`",
                        step.id
                    ),
                )
                .hint("group outcomes that go together, or split the decision in two"),
            );
        }
        let mut targets: Vec<(&str, usize)> = Vec::new();
        for (o, outcome) in decision.outcomes.iter().enumerate() {
            match targets.iter().find(|(t, _)| *t == outcome.goto) {
                Some(&(_, first)) => {
                    out.push(
                        Diagnostic::new(
                            &codes::MULTIPLE_SAME_TARGET,
                            cx.at(file, &format!("{sp}.decision.outcomes[{o}].goto")),
                            format!(
                                "outcomes `{}` and `{}` of step `{}` both go to `{}`: a run that chooses both starts it twice",
                                decision.outcomes[first].when,
                                outcome.when,
                                step.id,
                                outcome.goto
                            ),
                        )
                        .label(
                            cx.at(file, &format!("{sp}.decision.outcomes[{first}].goto")),
                            "the other outcome to that step",
                        )
                        .hint("let each outcome go to its own step, or merge the two outcomes into one"),
                    );
                }
                None => targets.push((outcome.goto.as_str(), o)),
            }
        }
    }
}

/// E0210: a `join: started` that no `multiple: true` decision leads to.
fn check_joins(cx: &Context, file: usize, f: usize, graph: &FlowGraph, out: &mut Vec<Diagnostic>) {
    let joins: Vec<usize> = (0..graph.len()).filter(|&s| graph.inclusive[s]).collect();
    if joins.is_empty() {
        return;
    }
    let mut after_multiple: HashSet<usize> = HashSet::new();
    let mut stack: Vec<usize> = (0..graph.len())
        .filter(|&s| graph.multiple[s])
        .flat_map(|s| graph.successors(s))
        .collect();
    while let Some(s) = stack.pop() {
        if after_multiple.insert(s) {
            stack.extend(graph.successors(s));
        }
    }
    for j in joins {
        if after_multiple.contains(&j) {
            continue;
        }
        debug_assert_eq!(graph.step(j).join, Some(Join::Started));
        out.push(
            Diagnostic::new(
                &codes::INCLUSIVE_JOIN_WITHOUT_CHOICE,
                cx.at(file, &format!("{}.join", step_path(f, j))),
                format!(
                    "step `{}` joins the branches that were started, but no decision with `multiple: true` leads to it",
                    graph.step(j).id
                ),
            )
            .hint("after `next: [...]` write `join: all`; after a decision that chooses one outcome no join is needed; or give the decision before it `multiple: true`"),
        );
    }
}
