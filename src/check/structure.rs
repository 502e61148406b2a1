//! The shape of each flow's graph: reachability, ways to an end, loops, decisions, joins.

use std::collections::HashSet;

use petgraph::algo::tarjan_scc;
use petgraph::graph::NodeIndex;
use petgraph::visit::{Dfs, Reversed};

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, flow_path, step_path};
use crate::flow::graph::{Exit, FlowGraph};

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    if view.doc.flows.is_empty() {
        out.push(
            Diagnostic::new(
                &codes::EMPTY_FLOW,
                cx.key(file, "flows"),
                "the procedure has no flow",
            )
            .hint("add a flow with at least one step"),
        );
    }
    for (f, graph) in view.graphs.iter().enumerate() {
        if graph.is_empty() {
            out.push(
                Diagnostic::new(
                    &codes::EMPTY_FLOW,
                    cx.key(file, &format!("{}.steps", flow_path(f))),
                    format!("flow `{}` has no steps", graph.flow.id),
                )
                .hint("list the steps under `steps:`"),
            );
            continue;
        }
        check_steps(cx, file, f, graph, out);
        check_graph(cx, file, f, graph, out);
    }
}

fn check_steps(cx: &Context, file: usize, f: usize, graph: &FlowGraph, out: &mut Vec<Diagnostic>) {
    for (s, step) in graph.flow.steps.iter().enumerate() {
        let sp = step_path(f, s);
        let given: Vec<&str> = [
            (!step.next.is_empty()).then_some("next"),
            step.decision.as_ref().map(|_| "decision"),
            step.end.as_ref().map(|_| "end"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if given.len() > 1 {
            out.push(
                Diagnostic::new(
                    &codes::CONFLICTING_TRANSITIONS,
                    cx.key(file, &format!("{sp}.{}", given[1])),
                    format!(
                        "step `{}` has both `{}` and `{}`",
                        step.id, given[0], given[1]
                    ),
                )
                .hint("keep one: `next` to continue, `decision` to choose, `end` to finish"),
            );
        }
        if graph.exits[s] == Exit::FallsOff {
            out.push(
                Diagnostic::new(
                    &codes::FALLS_OFF_END,
                    cx.at(file, &format!("{sp}.id")),
                    format!(
                        "step `{}` is the last of flow `{}` but does not end it",
                        step.id, graph.flow.id
                    ),
                )
                .hint("add `end: <outcome>` (or `next`/`decision`)"),
            );
        }
        if let Some(decision) = &step.decision {
            // A `multiple: true` decision with too few outcomes is E0211, at `multiple`.
            if decision.outcomes.len() < 2 && !decision.multiple {
                out.push(
                    Diagnostic::new(
                        &codes::TOO_FEW_OUTCOMES,
                        cx.key(file, &format!("{sp}.decision.outcomes")),
                        format!(
                            "the decision of step `{}` has {} outcome{}",
                            step.id,
                            decision.outcomes.len(),
                            if decision.outcomes.len() == 1 { "" } else { "s" }
                        ),
                    )
                    .hint("a decision chooses between at least two outcomes; with one, write `next` instead"),
                );
            }
            let mut seen: Vec<(String, usize, String)> = Vec::new();
            for (o, outcome) in decision.outcomes.iter().enumerate() {
                for (lang, label) in outcome.when.entries() {
                    let key = label.trim().to_lowercase();
                    let path = |o: usize, lang: &str| match lang {
                        "" => format!("{sp}.decision.outcomes[{o}].when"),
                        lang => format!("{sp}.decision.outcomes[{o}].when.{lang}"),
                    };
                    if let Some((_, first, first_lang)) =
                        seen.iter().find(|(k, i, _)| *k == key && *i != o)
                    {
                        out.push(
                            Diagnostic::new(
                                &codes::DUPLICATE_OUTCOME,
                                cx.at(file, &path(o, lang)),
                                format!(
                                    "the outcome label `{}` is used twice in step `{}`",
                                    label.trim(),
                                    step.id
                                ),
                            )
                            .label(cx.at(file, &path(*first, first_lang)), "first used here")
                            .hint("give every outcome its own label"),
                        );
                        break;
                    }
                    seen.push((key, o, lang.to_string()));
                }
                if outcome.goto == step.id {
                    out.push(next_to_itself(
                        cx,
                        file,
                        &format!("{sp}.decision.outcomes[{o}].goto"),
                        &step.id,
                    ));
                }
            }
        }
        for (i, target) in step.next.iter().enumerate() {
            if *target == step.id {
                let path = format!("{sp}.next[{i}]");
                out.push(next_to_itself(cx, file, &path, &step.id));
            }
        }
        if step.join.is_some() && graph.predecessors(s).len() < 2 {
            out.push(
                Diagnostic::new(
                    &codes::JOIN_SINGLE_INPUT,
                    cx.at(file, &format!("{sp}.join")),
                    format!(
                        "step `{}` waits for all incoming branches but has {} way{} in",
                        step.id,
                        graph.predecessors(s).len(),
                        if graph.predecessors(s).len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                )
                .hint(if graph.inclusive[s] {
                    "remove `join: started`, or let the branches of a `multiple: true` decision lead here"
                } else {
                    "remove `join: all`, or let the parallel branches (`next: [a, b]`) lead here"
                }),
            );
        }
    }
}

fn next_to_itself(cx: &Context, file: usize, path: &str, id: &str) -> Diagnostic {
    Diagnostic::new(
        &codes::NEXT_TO_ITSELF,
        cx.at(file, path),
        format!("step `{id}` continues to itself"),
    )
    .hint("to repeat work, let a decision go back to an earlier step")
}

fn check_graph(cx: &Context, file: usize, f: usize, graph: &FlowGraph, out: &mut Vec<Diagnostic>) {
    let n = graph.len();
    let reachable = reachable_from_start(graph);
    for s in 0..n {
        if !reachable.contains(&s) {
            out.push(
                Diagnostic::new(
                    &codes::UNREACHABLE_STEP,
                    cx.at(file, &format!("{}.id", step_path(f, s))),
                    if graph.starts.len() > 1 {
                        format!("no path leads from any trigger's start to step `{}`", graph.step(s).id)
                    } else {
                        format!("no path leads from the first step to step `{}`", graph.step(s).id)
                    },
                )
                .hint("let an earlier step lead here with `next` or a decision outcome, or remove the step"),
            );
        }
    }

    // A falls-off step is already an error of its own; treat it as an end here so the
    // steps before it are not reported again.
    let mut can_finish: HashSet<usize> = HashSet::new();
    let reversed = Reversed(&graph.graph);
    for s in 0..n {
        if matches!(graph.exits[s], Exit::End | Exit::FallsOff) && !can_finish.contains(&s) {
            let mut dfs = Dfs::new(reversed, NodeIndex::new(s));
            while let Some(node) = dfs.next(reversed) {
                can_finish.insert(node.index());
            }
        }
    }
    let stuck: HashSet<usize> = (0..n).filter(|s| !can_finish.contains(s)).collect();
    if stuck.is_empty() {
        return;
    }
    let mut in_loop: HashSet<usize> = HashSet::new();
    let mut loops: Vec<Vec<usize>> = tarjan_scc(&graph.graph)
        .into_iter()
        .map(|scc| {
            let mut steps: Vec<usize> = scc.iter().map(|n| n.index()).collect();
            steps.sort_unstable();
            steps
        })
        .filter(|steps| {
            // A step that loops to itself is reported as next-to-itself.
            steps.len() > 1 && steps.iter().all(|s| stuck.contains(s))
        })
        .collect();
    loops.sort();
    for steps in &loops {
        in_loop.extend(steps.iter().copied());
        let first = steps[0];
        let mut d = Diagnostic::new(
            &codes::LOOP_WITHOUT_EXIT,
            cx.at(file, &format!("{}.id", step_path(f, first))),
            format!(
                "steps {} form a loop with no way out",
                steps
                    .iter()
                    .map(|&s| format!("`{}`", graph.step(s).id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .hint("give a decision in the loop an outcome that leaves it towards an `end`");
        for &s in &steps[1..] {
            d = d.label(
                cx.at(file, &format!("{}.id", step_path(f, s))),
                "part of the loop",
            );
        }
        out.push(d);
    }
    for &s in stuck.iter().collect::<std::collections::BTreeSet<_>>() {
        let self_loop = graph.successors(s).contains(&s);
        if in_loop.contains(&s)
            || self_loop
            || graph
                .successors(s)
                .iter()
                .any(|t| *t != s && stuck.contains(t))
        {
            continue;
        }
        out.push(
            Diagnostic::new(
                &codes::CANNOT_FINISH,
                cx.at(file, &format!("{}.id", step_path(f, s))),
                format!(
                    "no path leads from step `{}` to an end of the flow",
                    graph.step(s).id
                ),
            )
            .hint("continue to a step that ends the flow, or add `end: <outcome>`"),
        );
    }
}

/// Steps reachable from the first step.
pub fn reachable_from_start(graph: &FlowGraph) -> HashSet<usize> {
    let mut seen = HashSet::new();
    if graph.is_empty() {
        return seen;
    }
    // Every trigger's start counts: a step reached from any of them is reachable.
    for &start in &graph.starts {
        let mut dfs = Dfs::new(&graph.graph, NodeIndex::new(start));
        while let Some(node) = dfs.next(&graph.graph) {
            seen.insert(node.index());
        }
    }
    seen
}
