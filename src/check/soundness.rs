//! Soundness of each flow by exhaustive exploration of its states (van der Aalst): no run
//! gets stuck, parallel branches are synchronised, no run ends with work open, and every
//! step can occur. Each finding comes with the shortest run that shows it. A flow with more
//! states than [`STATE_LIMIT`] is explored again with partial-order reduction
//! ([`crate::flow::reduction`]), which keeps every finding and the shortest stuck run.

use std::collections::{HashMap, HashSet, VecDeque};

use super::codes;
use super::diagnostic::Diagnostic;
use super::structure::reachable_from_start;
use super::{Context, DocView, step_path};
use crate::flow::graph::{Exit, FlowGraph};
use crate::flow::reduction::Reduction;
use crate::flow::semantics::{Marking, Net};

/// States explored per flow before giving up; real procedures have a few hundred at most.
pub const STATE_LIMIT: usize = 100_000;

struct State {
    marking: Marking,
    parent: Option<(usize, usize, usize)>, // (state, step, choice)
    /// Steps completed on the way here (breadth-first: the fewest possible).
    depth: u32,
}

/// How far the exploration of one flow went, so a user sees how close it is to the limit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlowStats {
    /// The procedure's document id.
    pub document: String,
    pub flow: String,
    /// Distinct states (markings) explored.
    pub states: usize,
    /// [`STATE_LIMIT`].
    pub limit: usize,
    /// Every reachable state was explored (false: the limit was hit, or the flow piles up
    /// tokens without end and exploration stopped where it started to).
    pub complete: bool,
    /// The flow had more than [`STATE_LIMIT`] states, and was explored with partial-order
    /// reduction (`states` counts those of the reduced exploration).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reduced: bool,
}

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>, stats: &mut Vec<FlowStats>) {
    for (f, graph) in view.graphs.iter().enumerate() {
        if !graph.is_empty() {
            // A first step that waits for a join can never start; the structure rule
            // `join-single-input` says so, and exploring would only echo it.
            if !graph.starts.iter().any(|&s| graph.join[s]) {
                let (states, complete, reduced) = check_flow(cx, view.file, f, graph, out);
                stats.push(FlowStats {
                    document: view.doc.id.clone(),
                    flow: graph.flow.id.clone(),
                    states,
                    limit: STATE_LIMIT,
                    complete,
                    reduced,
                });
            }
        }
    }
}

/// Whether `marking` covers a marking on the run that leads to it: then the steps between
/// can repeat for ever, each time adding tokens, and exploring on would never end.
fn pumps(states: &[State], parent: usize, marking: &Marking) -> bool {
    let mut current = Some(parent);
    while let Some(s) = current {
        if marking.covers(&states[s].marking) {
            return true;
        }
        current = states[s].parent.map(|(p, _, _)| p);
    }
    false
}

/// Explore one flow; returns the number of states explored, whether that was all of them,
/// and whether the exploration was reduced. Every state is explored first; a flow with more
/// than [`STATE_LIMIT`] states is explored again with partial-order reduction, which keeps
/// every finding (see [`crate::flow::reduction`]) in far fewer states.
fn check_flow(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    out: &mut Vec<Diagnostic>,
) -> (usize, bool, bool) {
    let net = Net::new(graph);
    let mut found = Vec::new();
    let mut explored = explore_starts(cx, file, f, graph, &net, None, &mut found);
    // An inclusive join's start depends on tokens anywhere in the run, which the stubborn
    // sets do not follow: such a flow is explored in full or not proven.
    let reduced = explored.capped && !net.has_inclusive();
    if reduced {
        found.clear();
        let reduction = Reduction::new(&net);
        explored = explore_starts(cx, file, f, graph, &net, Some(&reduction), &mut found);
    }
    out.append(&mut found);
    if explored.capped {
        out.push(
            Diagnostic::new(
                &codes::STATE_LIMIT,
                cx.at(file, &format!("flows[{f}].id")),
                format!(
                    "flow `{}` has more than {STATE_LIMIT} states even with partial-order reduction; soundness was checked only partly",
                    graph.flow.id
                ),
            )
            .note("until every state is explored the flow is not proven sound: `build` and `release` refuse it unless given `--allow-unproven`")
            .hint("split the flow into smaller flows connected with `calls`"),
        );
    }
    let complete = !explored.capped && !explored.unbounded;
    if complete {
        dead_steps(
            cx,
            file,
            f,
            graph,
            &explored.reached,
            &explored.waiting_joins,
            out,
        );
    }
    (explored.states, complete, reduced)
}

/// What one exploration of a flow's states found besides its diagnostics.
struct Explored {
    states: usize,
    /// Steps active in some reachable state: reached, whether or not they can be left.
    reached: Vec<bool>,
    /// Joins waiting in some state where a run is stuck.
    waiting_joins: Vec<usize>,
    /// [`STATE_LIMIT`] states were explored and more remained.
    capped: bool,
    /// Exploration stopped where a flow started to pile up tokens (already an E0402).
    unbounded: bool,
}

/// Explores the flow from each trigger's start: every start must give a sound flow, and a
/// finding is reported once, with the shortest run from the first start that shows it.
fn explore_starts(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    net: &Net,
    reduction: Option<&Reduction>,
    out: &mut Vec<Diagnostic>,
) -> Explored {
    let mut all = Explored {
        states: 0,
        reached: vec![false; graph.len()],
        waiting_joins: Vec::new(),
        capped: false,
        unbounded: false,
    };
    for &start in &graph.starts {
        let mut found = Vec::new();
        let one = explore(cx, file, f, graph, net, reduction, start, &mut found);
        if graph.starts.len() > 1 {
            // Say which trigger the run begins with.
            let id = &graph.step(start).id;
            let n = graph
                .flow
                .trigger
                .iter()
                .flat_map(|t| t.starts())
                .position(|t| &t.start == id)
                .map_or(0, |i| i + 1);
            for d in &mut found {
                for note in &mut d.notes {
                    for lead in ["shortest run: ", "a run: "] {
                        if let Some(rest) = note.strip_prefix(lead) {
                            *note = format!(
                                "{} from trigger {n} (at `{id}`): {rest}",
                                lead.trim_end_matches(": ")
                            );
                            break;
                        }
                    }
                }
            }
        }
        for d in found {
            let seen = out.iter().any(|o| {
                o.code.code == d.code.code && o.location == d.location && o.message == d.message
            });
            if !seen {
                out.push(d);
            }
        }
        all.states += one.states;
        for (a, b) in all.reached.iter_mut().zip(one.reached) {
            *a |= b;
        }
        all.waiting_joins.extend(one.waiting_joins);
        all.capped |= one.capped;
        all.unbounded |= one.unbounded;
    }
    all
}

/// Breadth-first exploration of a flow's states from a run started at `start`, in full or
/// reduced with stubborn sets.
#[allow(clippy::too_many_arguments)]
fn explore(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    net: &Net,
    reduction: Option<&Reduction>,
    start: usize,
    out: &mut Vec<Diagnostic>,
) -> Explored {
    let mut states = vec![State {
        marking: net.initial_at(start),
        parent: None,
        depth: 0,
    }];
    let mut index: HashMap<Marking, usize> = HashMap::from([(net.initial_at(start), 0)]);
    let mut queue = VecDeque::from([0usize]);
    let mut reached = vec![false; graph.len()];
    let mut waiting_joins: Vec<usize> = Vec::new();
    let mut reported_unsync: HashSet<usize> = HashSet::new();
    let mut reported_end: HashSet<usize> = HashSet::new();
    let mut deadlocks = 0;
    let mut capped = false;
    let mut unbounded = false;
    // A reduced exploration reaches each overflow and early end, but not always by the
    // shortest run; stuck runs are found by a shortest one either way.
    let run_label = if reduction.is_some() {
        "a run"
    } else {
        "shortest run"
    };

    while let Some(current) = queue.pop_front() {
        let marking = states[current].marking.clone();
        let depth = states[current].depth;
        let active = net.active(&marking);
        for &s in &active {
            reached[s] = true;
        }
        if active.is_empty() {
            if !marking.is_empty() {
                waiting_joins.extend(net.waiting(&marking));
                if deadlocks == 0 {
                    deadlocks += 1;
                    out.push(deadlock(cx, file, f, graph, net, &states, current));
                }
            }
            continue;
        }
        let stubborn = match reduction {
            Some(r) => r.stubborn(&marking, &active),
            None => active.clone(),
        };
        // Every active step's completion is looked at for findings; only those of the
        // stubborn set lead on.
        let mut successors: Vec<(usize, usize, Marking, bool)> = Vec::new();
        for &step in &active {
            for choice in 0..net.choices(step) {
                let Ok(firing) = net.fire(&marking, step, choice) else {
                    continue;
                };
                let run = || run_text(graph, net, &states, current, Some((step, choice)));
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
                            .note(format!("{run_label}: {}", run()))
                            .hint(unsynchronised_hint(graph, t)),
                        );
                    }
                }
                if firing.uncounted {
                    unbounded = true;
                    continue;
                }
                if firing.ended && !firing.marking.is_empty() && reported_end.insert(step) {
                    out.push(
                        end_while_active(cx, file, f, graph, net, &firing.marking, step)
                            .note(format!("{run_label}: {}", run())),
                    );
                }
                successors.push((step, choice, firing.marking, stubborn.contains(&step)));
            }
        }
        // The cycle proviso: a reduced state leading back to a state no deeper is expanded
        // in full, so that no step is put off for ever round a cycle.
        let full = stubborn.len() == active.len()
            || successors.iter().any(|(_, _, m, chosen)| {
                *chosen && index.get(m).is_some_and(|&i| states[i].depth <= depth)
            });
        for (step, choice, next, chosen) in successors {
            if !(full || chosen) || index.contains_key(&next) {
                continue;
            }
            if next.is_unsafe() && pumps(&states, current, &next) {
                unbounded = true;
                continue;
            }
            if states.len() >= STATE_LIMIT {
                capped = true;
                continue;
            }
            index.insert(next.clone(), states.len());
            states.push(State {
                marking: next,
                parent: Some((current, step, choice)),
                depth: depth + 1,
            });
            queue.push_back(states.len() - 1);
        }
    }
    Explored {
        states: states.len(),
        reached,
        waiting_joins,
        capped,
        unbounded,
    }
}

/// E0403: an `end` completed while other work is open. The runner ends a run only when no
/// token remains (proper completion), so the run goes on; the message says so.
fn end_while_active(
    cx: &Context,
    file: usize,
    f: usize,
    graph: &FlowGraph,
    net: &Net,
    after: &Marking,
    step: usize,
) -> Diagnostic {
    let name = |s: usize| format!("`{}`", graph.step(s).id);
    let active: Vec<String> = net.active(after).into_iter().map(name).collect();
    let waiting: Vec<String> = net.waiting(after).into_iter().map(name).collect();
    let what = if active.is_empty() {
        format!(
            "while {} waits for a branch that has ended: the run does not end there, and since that join can never start it stays open for ever",
            waiting.join(", ")
        )
    } else {
        format!(
            "while {} {} still active: the run does not end there; it stays open while that work goes on and ends only when no work is left, with the outcome of the last end reached",
            active.join(", "),
            if active.len() == 1 { "is" } else { "are" }
        )
    };
    Diagnostic::new(
        &codes::END_WHILE_ACTIVE,
        cx.at(file, &format!("{}.end", step_path(f, step))),
        format!(
            "a run can complete the end step `{}` {what}",
            graph.step(step).id
        ),
    )
    .hint("join the parallel branches (`join: all`) before one end, so a run ends once, with one outcome")
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
    let hint = deadlock_hint(graph, net, states, state, waiting);
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

/// The hint for a join that waits for ever, chosen from the graph and the run (never from
/// the order in which steps are listed): a missing input that the join itself leads to comes
/// back round a loop; otherwise the last decision of the run that could have led to the
/// missing branch took another one.
fn deadlock_hint(
    graph: &FlowGraph,
    net: &Net,
    states: &[State],
    state: usize,
    join: usize,
) -> String {
    let missing = net.missing_inputs(&states[state].marking, join);
    let downstream = reachable_from(graph, join);
    if let Some(&back) = missing.iter().find(|p| downstream.contains(p)) {
        return format!(
            "`{}` leads back into `{}` after it has run, so it is an input the first pass never fills; let the loop return to a step without `join`, or join before the loop",
            graph.step(back).id,
            graph.step(join).id
        );
    }
    // Walk the run backwards to the latest decision that had a way to a missing branch.
    let mut current = state;
    while let Some((parent, step, choice)) = states[current].parent {
        current = parent;
        let Exit::Decision(outcomes) = &graph.exits[step] else {
            continue;
        };
        let could = outcomes.iter().enumerate().any(|(c, &(_, target))| {
            c != choice
                && missing
                    .iter()
                    .any(|&p| p == target || reachable_from(graph, target).contains(&p))
        });
        if could && graph.multiple[step] {
            return format!(
                "decision `{}` may choose only some of its outcomes, so `{}` waits for ever for a branch not chosen; write `join: started` to wait for the branches that were started",
                graph.step(step).id,
                graph.step(join).id
            );
        }
        if could {
            return format!(
                "decision `{}` chooses one branch only, so `{}` waits for ever for the branch not taken; split with `next: [...]` for work in parallel, or drop `join: all`",
                graph.step(step).id,
                graph.step(join).id
            );
        }
    }
    format!(
        "the branch `{}` waits for can finish elsewhere or never start; let every branch that reaches it come from one split (`next: [...]`)",
        graph.step(join).id
    )
}

/// The hint for branches that meet without a join: after a decision that may choose several
/// outcomes, the join to write is the one of the branches that were started.
fn unsynchronised_hint(graph: &FlowGraph, step: usize) -> &'static str {
    if graph.join[step] {
        // The step already joins: one of its inputs got a second token, from two branches
        // that meet on the way to it or from a loop that comes round before it fires.
        return "two branches reach the same input of this join: join them where they meet before it, or let a loop go back to a step after the join";
    }
    let inclusive =
        (0..graph.len()).any(|d| graph.multiple[d] && reachable_from(graph, d).contains(&step));
    if inclusive {
        "add `join: started` to this step to wait for every branch that was started"
    } else {
        "add `join: all` to this step to wait for every branch"
    }
}

/// Steps reachable from `from` by one or more moves.
fn reachable_from(graph: &FlowGraph, from: usize) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut stack = graph.successors(from);
    while let Some(s) = stack.pop() {
        if seen.insert(s) {
            stack.extend(graph.successors(s));
        }
    }
    seen
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
            if net.is_timeout(step, choice) {
                return format!("{id} [timed out]");
            }
            match (
                net.outcomes_of_choice(step, choice).as_slice(),
                &graph.step(step).decision,
            ) {
                (chosen @ [_, ..], Some(decision)) => {
                    let labels: Vec<String> = chosen
                        .iter()
                        .map(|&o| decision.outcomes[o].when.to_string())
                        .collect();
                    format!("{id} [{}]", labels.join(" + "))
                }
                _ => id.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}
