//! Deadlines: the worst-case length of each flow in working time, per end the decisions can
//! lead to, against the flow's own `within`; `from` must come first on every path; and a
//! warning when calendar and working time are compared.

use petgraph::graph::NodeIndex;
use petgraph::visit::{DfsEvent, depth_first_search};

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, flow_path, step_path};
use crate::flow::graph::FlowGraph;
use crate::run::calendar::Calendar;
use crate::spec::duration::Duration;
use crate::spec::model::Within;

/// The worst case of one flow, per end step.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub end: usize,
    /// Working minutes from the run's start to the end step's deadline.
    pub minutes: u64,
    /// The steps of the critical path, first to end.
    pub path: Vec<usize>,
}

const WORKING: u8 = 1;
const CALENDAR: u8 = 2;

fn kind_of(d: Duration) -> u8 {
    if d == Duration::IMMEDIATELY {
        0
    } else if d.unit.is_working() {
        WORKING
    } else {
        CALENDAR
    }
}

/// The worst-case scenarios of a flow (loops counted once) and the time units met per end.
pub fn scenarios(graph: &FlowGraph, calendar: &Calendar) -> (Vec<Scenario>, Vec<u8>) {
    let n = graph.len();
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    // Loop-back edges are left out so the graph is a DAG; a rework loop is counted once.
    let mut back = Vec::new();
    // From every trigger's start, so a loop entered from any of them is cut.
    let starts = graph.starts.iter().map(|&s| NodeIndex::new(s));
    depth_first_search(&graph.graph, starts, |event| {
        if let DfsEvent::BackEdge(a, b) = event {
            back.push((a.index(), b.index()));
        }
    });
    let forward_preds = |s: usize| -> Vec<usize> {
        graph
            .predecessors(s)
            .into_iter()
            .filter(|&p| !back.contains(&(p, s)))
            .collect()
    };
    let order = topological(n, &forward_preds);
    let mut finish = vec![0u64; n];
    let mut via: Vec<Option<usize>> = vec![None; n];
    let mut kinds = vec![0u8; n];
    for &s in &order {
        let preds = forward_preds(s);
        let (start, best) = preds
            .iter()
            .map(|&p| (finish[p], Some(p)))
            .max_by_key(|&(t, p)| (t, std::cmp::Reverse(p)))
            .unwrap_or((0, None));
        kinds[s] = preds.iter().fold(0, |acc, &p| acc | kinds[p]);
        via[s] = best;
        // A step is done at the latest by its deadline, and never before its earliest time.
        let step = graph.step(s);
        let mut done = start;
        for w in step.within.iter().chain(&step.after) {
            kinds[s] |= kind_of(w.time());
            done = done.max(bound(graph, &finish, s, start, w, calendar));
        }
        finish[s] = done;
    }
    let mut out = Vec::new();
    for end in graph.ends() {
        if !order.contains(&end) {
            continue;
        }
        let mut path = vec![end];
        let mut current = end;
        while let Some(p) = via[current] {
            if path.contains(&p) {
                break;
            }
            path.push(p);
            current = p;
        }
        path.reverse();
        out.push(Scenario {
            end,
            minutes: finish[end],
            path,
        });
    }
    (out, kinds)
}

/// The moment, in working minutes from the run's start, that a `within` or `after` of step
/// `s` activated at `start` points to; counting back from a planned date says nothing about
/// the run's length.
fn bound(
    graph: &FlowGraph,
    finish: &[u64],
    s: usize,
    start: u64,
    w: &Within,
    calendar: &Calendar,
) -> u64 {
    let length = calendar.working_minutes_of(w.time()).0;
    match w {
        Within::Duration(_) => start + length,
        Within::Rule(rule) => match (&rule.from, &rule.before) {
            (Some(from), _) if from == "start" => start.max(length),
            (Some(from), _) => match graph.index_of(from) {
                Some(f) if graph.precedes_on_every_path(f, s) => start.max(finish[f] + length),
                _ => start,
            },
            (None, Some(_)) => start,
            (None, None) => start + length,
        },
    }
}

/// Steps in an order where every forward predecessor comes first (Kahn's algorithm).
fn topological(n: usize, preds: &dyn Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let pred_lists: Vec<Vec<usize>> = (0..n).map(preds).collect();
    let mut remaining: Vec<usize> = pred_lists.iter().map(Vec::len).collect();
    let mut succ = vec![Vec::new(); n];
    for (s, ps) in pred_lists.iter().enumerate() {
        for &p in ps {
            succ[p].push(s);
        }
    }
    let mut ready: std::collections::VecDeque<usize> =
        (0..n).filter(|&s| remaining[s] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(s) = ready.pop_front() {
        order.push(s);
        for &t in &succ[s] {
            remaining[t] -= 1;
            if remaining[t] == 0 {
                ready.push_back(t);
            }
        }
    }
    order
}

/// Working minutes as people say them: `3 working days 2 h 30 min`.
pub fn format_working(minutes: u64, calendar: &Calendar) -> String {
    let per_day = u64::from(calendar.working_minutes_per_day().max(1));
    let (days, rest) = (minutes / per_day, minutes % per_day);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!(
            "{days} working day{}",
            if days == 1 { "" } else { "s" }
        ));
    }
    if rest >= 60 {
        parts.push(format!("{} h", rest / 60));
    }
    if rest % 60 > 0 {
        parts.push(format!("{} min", rest % 60));
    }
    if parts.is_empty() {
        "no time".to_string()
    } else {
        parts.join(" ")
    }
}

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, graph) in view.graphs.iter().enumerate() {
        for (s, step) in graph.flow.steps.iter().enumerate() {
            if let Some(from) = step.within.as_ref().and_then(Within::from)
                && from != "start"
                && let Some(other) = graph.index_of(from)
                && !graph.precedes_on_every_path(other, s)
            {
                out.push(
                    Diagnostic::new(
                        &codes::FROM_NOT_BEFORE,
                        cx.at(file, &format!("{}.within.from", step_path(f, s))),
                        format!(
                            "the deadline of `{}` counts from `{from}`, which does not come before it on every path",
                            step.id
                        ),
                    )
                    .label(cx.at(file, &format!("{}.id", step_path(f, other))), "this step")
                    .hint("count from a step every run passes before this one, or from `start`"),
                );
            }
        }
        let (scenarios, kinds) = scenarios(graph, &cx.calendar);
        let flow_kind = graph.flow.within.map(kind_of).unwrap_or(0);
        let mut warned_mixed = false;
        for scenario in &scenarios {
            let mixed = kinds[scenario.end] | flow_kind;
            if mixed == WORKING | CALENDAR && !warned_mixed {
                warned_mixed = true;
                let sentences: Vec<String> = graph
                    .flow
                    .steps
                    .iter()
                    .flat_map(|s| s.within.iter().chain(&s.after).map(Within::time))
                    .chain(graph.flow.within)
                    .filter_map(|d| cx.calendar.working_minutes_of(d).1)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut d = Diagnostic::new(
                    &codes::MIXED_UNITS,
                    cx.at(file, &format!("{}.id", flow_path(f))),
                    format!(
                        "flow `{}` mixes calendar time and working time in its deadlines",
                        graph.flow.id
                    ),
                )
                .note(format!("path: {}", graph.path_text(&scenario.path)))
                .hint("write every deadline of the flow in working time (`working days`, `working hours`) or every one in calendar time");
                for sentence in sentences {
                    d = d.note(format!("compared as: {sentence}"));
                }
                out.push(d);
            }
            let Some(limit) = graph.flow.within else {
                continue;
            };
            let limit_minutes = cx.calendar.working_minutes_of(limit).0;
            if scenario.minutes > limit_minutes {
                let end = graph.step(scenario.end);
                let waits: Vec<String> = scenario
                    .path
                    .iter()
                    .filter_map(|&p| {
                        let step = graph.step(p);
                        step.after
                            .as_ref()
                            .map(|a| format!("`{}` not before {}", step.id, a.time()))
                    })
                    .collect();
                let outcome = end
                    .end
                    .as_ref()
                    .map(|t| t.best(cx.primary(), cx.primary()).to_string())
                    .unwrap_or_default();
                out.push(
                    Diagnostic::new(
                        &codes::FLOW_DEADLINE,
                        cx.at(file, &format!("{}.within", flow_path(f))),
                        format!(
                            "flow `{}` should take at most {limit}, but its step deadlines {} {} to reach `{}` ({outcome})",
                            graph.flow.id,
                            if waits.is_empty() { "allow" } else { "and earliest times take" },
                            format_working(scenario.minutes, &cx.calendar),
                            end.id
                        ),
                    )
                    .note(format!("worst-case path: {}", graph.path_text(&scenario.path)))
                    .notes_if(
                        !limit.unit.is_working(),
                        format!("{limit} counted as {} on the QMS calendar", format_working(limit_minutes, &cx.calendar)),
                    )
                    .notes_if(
                        !waits.is_empty(),
                        format!("the earliest times count too: {}", waits.join(", ")),
                    )
                    .hint("shorten the step deadlines on this path or lengthen the flow's `within`"),
                );
            }
        }
    }
}
