//! Soundness of each flow by exhaustive exploration of its states (van der Aalst): no run
//! gets stuck, parallel branches are synchronised, no run ends with work open, and every
//! step can occur. Each finding comes with the shortest run that shows it.

use std::collections::{HashMap, HashSet, VecDeque};

use super::codes;
use super::diagnostic::Diagnostic;
use super::structure::reachable_from_start;
use super::{Context, DocView, step_path};
use crate::flow::graph::FlowGraph;
use crate::flow::semantics::{Marking, Net};

/// States explored per flow before giving up; real procedures have a few hundred at most.
pub const STATE_LIMIT: usize = 100_000;

struct State {
    marking: Marking,
    parent: Option<(usize, usize, usize)>, // (state, step, choice)
}

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    for (f, graph) in view.graphs.iter().enumerate() {
        if !graph.is_empty() {
            // A first step that waits for a join can never start; the structure rule
            // `join-single-input` says so, and exploring would only echo it.
            if !graph.join[0] {
                check_flow(cx, view.file, f, graph, out);
            }
        }
    }
}

fn check_flow(cx: &Context, file: usize, f: usize, graph: &FlowGraph, out: &mut Vec<Diagnostic>) {
    let net = Net::new(graph);
    let mut states = vec![State {
        marking: net.initial(),
        parent: None,
    }];
    let mut index: HashMap<Marking, usize> = HashMap::from([(net.initial(), 0)]);
    let mut queue = VecDeque::from([0usize]);
    // Steps active in some reachable state: reached, whether or not they can be left.
    let mut reached = vec![false; graph.len()];
    let mut waiting_joins: Vec<usize> = Vec::new();
    let mut reported_unsync: HashSet<usize> = HashSet::new();
    let mut reported_end: HashSet<usize> = HashSet::new();
    let mut deadlocks = 0;
    let mut capped = false;

    while let Some(current) = queue.pop_front() {
        let marking = states[current].marking.clone();
        let active = net.active(&marking);
        for &s in &active {
            reached[s] = true;
        }
        if active.is_empty() {
            if !marking.is_empty() {
                waiting_joins.extend(net.waiting(&marking));
                if deadlocks == 0 {
                    deadlocks += 1;
                    out.push(deadlock(cx, file, f, graph, &net, &states, current));
                }
            }
            continue;
        }
        for step in active {
            for choice in 0..net.choices(step) {
                let Ok(firing) = net.fire(&marking, step, choice) else {
                    continue;
                };
                let run = || run_text(graph, &net, &states, current, Some((step, choice)));
                for &t in &firing.overflow {
                    if reported_unsync.insert(t) {
                        out.push(
                            Diagnostic::new(
                                &codes::UNSYNCHRONISED,
                                cx.at(file, &format!("{}.id", step_path(f, t))),
                                format!(
                                    "step `{}` is started a second time while it is still active: parallel branches meet here without a join",
                                    graph.step(t).id
                                ),
                            )
                            .note(format!("shortest run: {}", run()))
                            .hint("add `join: all` to this step to wait for every branch"),
                        );
                    }
                }
                if firing.ended && !firing.marking.is_empty() && reported_end.insert(step) {
                    let open: Vec<String> = net
                        .active(&firing.marking)
                        .iter()
                        .map(|&s| format!("`{}`", graph.step(s).id))
                        .collect();
                    let open = if open.is_empty() {
                        "a branch waiting at a join".to_string()
                    } else {
                        open.join(", ")
                    };
                    out.push(
                        Diagnostic::new(
                            &codes::END_WHILE_ACTIVE,
                            cx.at(file, &format!("{}.end", step_path(f, step))),
                            format!(
                                "the flow can end at step `{}` while {} still active",
                                graph.step(step).id,
                                open
                            ),
                        )
                        .note(format!("shortest run: {}", run()))
                        .hint("join the parallel branches (`join: all`) before the end"),
                    );
                }
                if !index.contains_key(&firing.marking) {
                    if states.len() >= STATE_LIMIT {
                        capped = true;
                        continue;
                    }
                    index.insert(firing.marking.clone(), states.len());
                    states.push(State {
                        marking: firing.marking,
                        parent: Some((current, step, choice)),
                    });
                    queue.push_back(states.len() - 1);
                }
            }
        }
    }

    if capped {
        out.push(
            Diagnostic::new(
                &codes::STATE_LIMIT,
                cx.at(file, &format!("flows[{f}].id")),
                format!(
                    "flow `{}` has more than {STATE_LIMIT} states; soundness was checked only partly",
                    graph.flow.id
                ),
            )
            .hint("split the flow into smaller flows connected with `calls`"),
        );
    }
    if !capped {
        dead_steps(cx, file, f, graph, &reached, &waiting_joins, out);
    }
}

/// Steps no run ever reaches, reported once per flow. Behind a deadlocking join every step
/// is dead; the note says so, since the deadlock is the thing to fix.
fn dead_steps(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    reached: &[bool],
    waiting_joins: &[usize],
    out: &mut Vec<Diagnostic>,
) {
    let reachable = reachable_from_start(graph);
    let dead: Vec<usize> = (0..graph.len())
        .filter(|&s| !reached[s] && reachable.contains(&s))
        .collect();
    let Some(&first) = dead.first() else { return };
    let names: Vec<String> = dead
        .iter()
        .map(|&s| format!("`{}`", graph.step(s).id))
        .collect();
    let mut d = Diagnostic::new(
        &codes::DEAD_STEP,
        cx.at(file, &format!("{}.id", step_path(f, first))),
        format!(
            "no run of flow `{}` ever gets to {} {}",
            graph.flow.id,
            if dead.len() == 1 { "step" } else { "steps" },
            names.join(", ")
        ),
    );
    for &s in &dead[1..] {
        d = d.label(
            cx.at(file, &format!("{}.id", step_path(f, s))),
            "never reached either",
        );
    }
    let mut joins: Vec<usize> = waiting_joins.to_vec();
    joins.sort_unstable();
    joins.dedup();
    d = if joins.is_empty() {
        d.hint("check the joins and decisions before this step")
    } else {
        d.note(format!(
            "runs get stuck at {} (see the deadlock), so nothing from there on runs",
            joins
                .iter()
                .map(|&s| format!("`{}`", graph.step(s).id))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hint("fix the deadlock and these steps become reachable")
    };
    out.push(d);
}

fn deadlock(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    net: &Net,
    states: &[State],
    state: usize,
) -> Diagnostic {
    let marking = &states[state].marking;
    let waiting = net.waiting(marking).first().copied().unwrap_or(0);
    let missing: Vec<String> = net
        .missing_inputs(marking, waiting)
        .iter()
        .map(|&p| format!("`{}`", graph.step(p).id))
        .collect();
    let from_later = net
        .missing_inputs(marking, waiting)
        .iter()
        .any(|&p| p > waiting);
    let hint = if from_later {
        "a loop back into a `join: all` step adds an input the first pass never fills; join before the loop or let the loop return to a step without `join`"
    } else {
        "a decision chooses one branch only, so a join after it waits forever; split with `next: [...]` for work in parallel, or end the branches separately"
    };
    Diagnostic::new(
        &codes::DEADLOCK,
        cx.at(file, &format!("{}.join", step_path(f, waiting))),
        format!(
            "a run can get stuck at step `{}`: it waits for {} that never comes",
            graph.step(waiting).id,
            if missing.is_empty() {
                "a branch".to_string()
            } else {
                missing.join(", ")
            }
        ),
    )
    .note(format!(
        "shortest run: {}",
        run_text(graph, net, states, state, None)
    ))
    .hint(hint)
}

/// The completed steps leading to `state` (and then `last`), with decision outcomes.
fn run_text(
    graph: &FlowGraph,
    net: &Net,
    states: &[State],
    state: usize,
    last: Option<(usize, usize)>,
) -> String {
    let mut steps = Vec::new();
    if let Some(l) = last {
        steps.push(l);
    }
    let mut current = state;
    while let Some((parent, step, choice)) = states[current].parent {
        steps.push((step, choice));
        current = parent;
    }
    steps.reverse();
    steps
        .iter()
        .map(|&(step, choice)| {
            let id = &graph.step(step).id;
            match (
                net.outcome_of_choice(step, choice),
                &graph.step(step).decision,
            ) {
                (Some(o), Some(decision)) => {
                    format!("{id} [{}]", decision.outcomes[o].when)
                }
                _ => id.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}
