//! Cross-document rules: flows that call each other must not form a cycle.

use std::collections::HashMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};
use crate::spec::source::{FileId, Location};

pub fn check(cx: &Context, views: &[DocView], out: &mut Vec<Diagnostic>) {
    // One node per (document, flow); an edge per `calls` step, remembering where it is written.
    // Where a call is written is looked up only for a cycle: placing it reads the file's
    // source map, which a QMS without findings never needs.
    let mut graph: DiGraph<(String, String), (FileId, String)> = DiGraph::new();
    let mut nodes: HashMap<(String, String), NodeIndex> = HashMap::new();
    let mut node = |graph: &mut DiGraph<(String, String), (FileId, String)>,
                    key: (String, String)| {
        *nodes
            .entry(key.clone())
            .or_insert_with(|| graph.add_node(key))
    };
    for view in views {
        for (f, flow) in view.doc.flows.iter().enumerate() {
            let from = node(&mut graph, (view.doc.id.clone(), flow.id.clone()));
            for (s, step) in flow.steps.iter().enumerate() {
                if let Some(call) = &step.calls {
                    let doc = call.doc.clone().unwrap_or_else(|| view.doc.id.clone());
                    let to = node(&mut graph, (doc, call.flow.clone()));
                    graph.add_edge(from, to, (view.file, format!("{}.calls", step_path(f, s))));
                }
            }
        }
    }
    let mut cycles: Vec<Vec<NodeIndex>> = tarjan_scc(&graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .collect();
    for scc in &mut cycles {
        scc.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
    }
    cycles.sort_by(|a, b| graph[a[0]].cmp(&graph[b[0]]));
    for scc in cycles {
        let names: Vec<String> = call_order(&graph, &scc)
            .iter()
            .map(|&n| format!("{}/{}", graph[n].0, graph[n].1))
            .collect();
        let mut calls: Vec<Location> = graph
            .edge_indices()
            .filter(|&e| {
                graph
                    .edge_endpoints(e)
                    .is_some_and(|(a, b)| scc.contains(&a) && scc.contains(&b))
            })
            .map(|e| cx.key(graph[e].0, &graph[e].1))
            .collect();
        calls.sort_by_key(|l| (l.file, l.span.start));
        let Some(first) = calls.first() else { continue };
        let mut d = Diagnostic::new(
            &codes::CALL_CYCLE,
            first.clone(),
            format!("flows call each other in a cycle: {}", names.join(" → ")),
        )
        .hint("a called flow must not call back into its caller; move the shared steps into a flow of their own");
        for other in &calls[1..] {
            d = d.label(other.clone(), "also part of the cycle");
        }
        out.push(d);
    }
}

/// The cycle as the calls go, from its first node back to it: `A → C → B → A`.
fn call_order(
    graph: &DiGraph<(String, String), (FileId, String)>,
    scc: &[NodeIndex],
) -> Vec<NodeIndex> {
    let start = scc[0];
    let mut order = vec![start];
    let mut current = start;
    while order.len() <= scc.len() {
        // The smallest next node inside the cycle keeps the order deterministic.
        let mut next: Vec<NodeIndex> = graph
            .neighbors(current)
            .filter(|n| scc.contains(n) && !order[1..].contains(n))
            .collect();
        next.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
        let step = if next.contains(&start) && (order.len() == scc.len() || next.len() == 1) {
            Some(start)
        } else {
            next.into_iter().find(|n| *n != start)
        };
        match step {
            Some(n) => {
                order.push(n);
                if n == start {
                    break;
                }
                current = n;
            }
            None => break,
        }
    }
    order
}
