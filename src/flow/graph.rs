//! A flow as a graph: steps resolved to indices, their exits, and a petgraph of the edges.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::spec::model::{Flow, Step};

/// How a run leaves a step when it is completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// No `next`/`decision`/`end`: on to the step below.
    Continue(usize),
    /// `next`: one step, or several started in parallel.
    Next(Vec<usize>),
    /// `decision`: exactly one outcome is taken; (outcome index, target step).
    Decision(Vec<(usize, usize)>),
    /// `end`: the branch finishes with the step's outcome.
    End,
    /// The last step without `next`, `decision` or `end` (reported by the checker).
    FallsOff,
}

/// Why an edge exists, for drawings and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Continue,
    Next,
    Parallel,
    /// Decision outcome with its index in `decision.outcomes`.
    Outcome(usize),
    /// `timeout.goto`: the exit time takes when nobody completed the step.
    Timeout,
}

#[derive(Debug)]
pub struct FlowGraph<'a> {
    pub flow: &'a Flow,
    pub exits: Vec<Exit>,
    pub join: Vec<bool>,
    /// The step a timeout of step `i` leads to (`timeout.goto`), when it has one that resolves.
    pub timeouts: Vec<Option<usize>>,
    /// Steps with `join: started` (an inclusive join; also marked in `join`).
    pub inclusive: Vec<bool>,
    /// Steps whose decision says `multiple: true`: one or more outcomes are taken.
    pub multiple: Vec<bool>,
    /// Node `i` is step `i`; edges carry their kind.
    pub graph: DiGraph<usize, EdgeKind>,
    /// The steps a run can start at: the first step, or with several triggers the step each
    /// names (those that name no step are left out; the reference check reports them).
    pub starts: Vec<usize>,
    index: HashMap<&'a str, usize>,
}

impl<'a> FlowGraph<'a> {
    /// Resolve a flow. Targets that name no step are left out of the graph; the reference
    /// check reports them.
    pub fn new(flow: &'a Flow) -> Self {
        let mut index = HashMap::new();
        for (i, step) in flow.steps.iter().enumerate() {
            index.entry(step.id.as_str()).or_insert(i);
        }
        let count = flow.steps.len();
        let exits: Vec<Exit> = flow
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| exit_of(step, i, count, &index))
            .collect();
        let join = flow.steps.iter().map(|s| s.join.is_some()).collect();
        let timeouts: Vec<Option<usize>> = flow
            .steps
            .iter()
            .map(|s| {
                s.timeout
                    .as_ref()
                    .and_then(|t| index.get(t.goto.as_str()).copied())
            })
            .collect();
        let inclusive = flow
            .steps
            .iter()
            .map(|s| s.join == Some(crate::spec::model::Join::Started))
            .collect();
        let multiple = flow
            .steps
            .iter()
            .map(|s| s.decision.as_ref().is_some_and(|d| d.multiple))
            .collect();
        let mut graph = DiGraph::with_capacity(count, count * 2);
        for i in 0..count {
            graph.add_node(i);
        }
        for (i, exit) in exits.iter().enumerate() {
            let from = NodeIndex::new(i);
            match exit {
                Exit::Continue(t) => {
                    graph.add_edge(from, NodeIndex::new(*t), EdgeKind::Continue);
                }
                Exit::Next(ts) => {
                    let kind = if ts.len() > 1 {
                        EdgeKind::Parallel
                    } else {
                        EdgeKind::Next
                    };
                    for t in ts {
                        graph.add_edge(from, NodeIndex::new(*t), kind);
                    }
                }
                Exit::Decision(outcomes) => {
                    for (o, t) in outcomes {
                        graph.add_edge(from, NodeIndex::new(*t), EdgeKind::Outcome(*o));
                    }
                }
                Exit::End | Exit::FallsOff => {}
            }
            if let Some(t) = timeouts[i] {
                graph.add_edge(from, NodeIndex::new(t), EdgeKind::Timeout);
            }
        }
        let mut starts: Vec<usize> = Vec::new();
        for t in flow.trigger.iter().flat_map(|t| t.starts()) {
            if let Some(&s) = index.get(t.start.as_str())
                && !starts.contains(&s)
            {
                starts.push(s);
            }
        }
        if starts.is_empty() && count > 0 {
            starts.push(0);
        }
        FlowGraph {
            flow,
            exits,
            join,
            timeouts,
            inclusive,
            multiple,
            graph,
            starts,
            index,
        }
    }

    pub fn len(&self) -> usize {
        self.flow.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flow.steps.is_empty()
    }

    pub fn step(&self, i: usize) -> &'a Step {
        &self.flow.steps[i]
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Distinct predecessors of a step, in step order.
    pub fn predecessors(&self, i: usize) -> Vec<usize> {
        let mut preds: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
            .map(|n| n.index())
            .collect();
        preds.sort_unstable();
        preds.dedup();
        preds
    }

    /// Distinct successors of a step, in step order.
    pub fn successors(&self, i: usize) -> Vec<usize> {
        let mut succ: Vec<usize> = self
            .graph
            .neighbors(NodeIndex::new(i))
            .map(|n| n.index())
            .collect();
        succ.sort_unstable();
        succ.dedup();
        succ
    }

    /// Steps that end the flow.
    pub fn ends(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.exits[i] == Exit::End)
            .collect()
    }

    /// Whether every path from a start to `step` passes through `earlier` (which is then
    /// done before `step` in every run that gets there).
    pub fn precedes_on_every_path(&self, earlier: usize, step: usize) -> bool {
        if self.is_empty() || earlier == step {
            return false;
        }
        let mut from_some_start = false;
        for &start in &self.starts {
            let dominators =
                petgraph::algo::dominators::simple_fast(&self.graph, NodeIndex::new(start));
            // A step this start never gets to says nothing either way.
            let Some(mut chain) = dominators.dominators(NodeIndex::new(step)) else {
                continue;
            };
            if !chain.any(|d| d.index() == earlier) {
                return false;
            }
            from_some_start = true;
        }
        from_some_start
    }

    /// Steps that lie on a loop (a cycle of the flow, including a step that leads back to
    /// itself): a run may do them more than once.
    pub fn in_loops(&self) -> Vec<bool> {
        let mut out = vec![false; self.len()];
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            let looped =
                scc.len() > 1 || scc.first().is_some_and(|&n| self.graph.contains_edge(n, n));
            if looped {
                for n in scc {
                    out[n.index()] = true;
                }
            }
        }
        out
    }

    /// Steps that some run skips: after a decision, a run can finish without them
    /// (the branch they lie on is not taken). A step that every run must pass, such as the
    /// join of parallel branches or a step before the first decision, is never skipped.
    pub fn skippable(&self) -> Vec<bool> {
        let n = self.len();
        if n == 0 {
            return Vec::new();
        }
        let ends = self.ends();
        // Steps below a decision: only those can be on a branch not taken.
        let mut after_decision = vec![false; n];
        let mut stack: Vec<usize> = (0..n)
            .filter(|&i| matches!(self.exits[i], Exit::Decision(_)))
            .flat_map(|d| self.successors(d))
            .collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut after_decision[i], true) {
                stack.extend(self.successors(i));
            }
        }
        (0..n)
            .map(|blocked| {
                // With several starts, a run begun at another start may never get here.
                (after_decision[blocked] || self.starts.len() > 1)
                    && self.starts.iter().any(|&start| {
                        start != blocked && {
                            let reached = self.reachable_without(blocked, start);
                            ends.iter().any(|&e| reached[e])
                        }
                    })
            })
            .collect()
    }

    /// Steps a run can get to from `start` without ever doing `blocked`; a step that
    /// waits for all its branches (`join: all`) needs every one of them, one that joins what
    /// was started (`join: started`) any one.
    fn reachable_without(&self, blocked: usize, start: usize) -> Vec<bool> {
        let n = self.len();
        let mut reached = vec![false; n];
        reached[start] = blocked != start;
        loop {
            let mut changed = false;
            for i in 0..n {
                if reached[i] || i == blocked || i == start {
                    continue;
                }
                let preds = self.predecessors(i);
                let ok = if self.join[i] && !self.inclusive[i] {
                    !preds.is_empty() && preds.iter().all(|&p| reached[p])
                } else {
                    preds.iter().any(|&p| reached[p])
                };
                if ok {
                    reached[i] = true;
                    changed = true;
                }
            }
            if !changed {
                return reached;
            }
        }
    }

    /// A human path such as `review → gm-sign → inform`.
    pub fn path_text(&self, path: &[usize]) -> String {
        path.iter()
            .map(|&i| self.step(i).id.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// The exit a step's fields describe. With conflicting fields (reported by the checker) the
/// most final one wins: `end`, then `decision`, then `next`.
fn exit_of(step: &Step, i: usize, count: usize, index: &HashMap<&str, usize>) -> Exit {
    if step.end.is_some() {
        return Exit::End;
    }
    if let Some(decision) = &step.decision {
        return Exit::Decision(
            decision
                .outcomes
                .iter()
                .enumerate()
                .filter_map(|(o, outcome)| index.get(outcome.goto.as_str()).map(|&t| (o, t)))
                .collect(),
        );
    }
    if !step.next.is_empty() {
        return Exit::Next(
            step.next
                .iter()
                .filter_map(|id| index.get(id.as_str()).copied())
                .collect(),
        );
    }
    if i + 1 < count {
        Exit::Continue(i + 1)
    } else {
        Exit::FallsOff
    }
}
