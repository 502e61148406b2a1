//! A flow's graph as Graphviz DOT or Mermaid, for use in other tools: lanes as departments,
//! decisions as diamonds, parallel splits and joins as bars, ends as terminators, loops as
//! back edges.

use std::fmt::Write;

use crate::flow::graph::{Exit, FlowGraph};
use crate::spec::model::Settings;
use crate::spec::text::Text;

/// What both formats draw, derived once from the flow graph.
struct Drawing {
    lanes: Vec<(String, String, Vec<usize>)>, // (code, name, steps)
    nodes: Vec<Node>,
    edges: Vec<(String, String, String, bool)>, // (from, to, label, dashed loop-back)
}

struct Node {
    id: String,
    label: String,
    shape: Shape,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Task,
    Decision,
    Bar,
    Terminal,
}

fn text(t: &Text, lang: &str, primary: &str) -> String {
    t.best(lang, primary).to_string()
}

fn drawing(graph: &FlowGraph, settings: &Settings, lang: &str) -> Drawing {
    let primary = settings.primary_language();
    let name_of = |code: &str| {
        settings
            .departments
            .iter()
            .map(|d| (&d.code, &d.name))
            .chain(settings.parties.iter().map(|p| (&p.code, &p.name)))
            .find(|(c, _)| c.as_str() == code)
            .map(|(_, n)| text(n, lang, primary))
            .unwrap_or_else(|| code.to_string())
    };
    let mut lanes: Vec<(String, String, Vec<usize>)> = Vec::new();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    // One start per trigger: several triggers each lead to the step their runs start at.
    let starts: Vec<(String, usize)> = match &graph.flow.trigger {
        Some(crate::spec::model::Trigger::Event(t)) => vec![(text(t, lang, primary), 0)],
        Some(crate::spec::model::Trigger::Several(list)) => list
            .iter()
            .filter_map(|t| {
                graph
                    .index_of(&t.start)
                    .map(|s| (text(&t.text, lang, primary), s))
            })
            .collect(),
        Some(crate::spec::model::Trigger::Every(r)) => vec![(
            match &r.during {
                Some(during) => format!("every {} ({during})", r.every),
                None => format!("every {}", r.every),
            },
            0,
        )],
        Some(other) => vec![(other.describe(lang, primary), 0)],
        None => vec![("start".to_string(), 0)],
    };
    for (i, (label, step)) in starts.into_iter().enumerate() {
        let id = if i == 0 {
            "start".to_string()
        } else {
            format!("start_{}", i + 1)
        };
        if !graph.is_empty() {
            edges.push((id.clone(), node_id(step), String::new(), false));
        }
        nodes.push(Node {
            id,
            label,
            shape: Shape::Terminal,
        });
    }
    for (s, step) in graph.flow.steps.iter().enumerate() {
        let lane = step.by.iter().next().cloned().unwrap_or_else(|| "-".into());
        match lanes.iter_mut().find(|l| l.0 == lane) {
            Some(l) => l.2.push(s),
            None => lanes.push((lane.clone(), name_of(&lane), vec![s])),
        }
        let title = step
            .title
            .as_ref()
            .map(|t| text(t, lang, primary))
            .unwrap_or_else(|| step.id.clone());
        let (label, shape) = match &step.decision {
            Some(d) => (
                match &d.question {
                    Some(q) => format!("{title}\n{}", text(q, lang, primary)),
                    None => title,
                },
                Shape::Decision,
            ),
            None => (title, Shape::Task),
        };
        nodes.push(Node {
            id: node_id(s),
            label,
            shape,
        });
        if graph.join[s] {
            nodes.push(Node {
                id: format!("join_{}", node_id(s)),
                label: String::new(),
                shape: Shape::Bar,
            });
        }
    }
    let target = |t: usize| {
        if graph.join[t] {
            format!("join_{}", node_id(t))
        } else {
            node_id(t)
        }
    };
    for (s, exit) in graph.exits.iter().enumerate() {
        let from = node_id(s);
        let back = |t: usize| t <= s;
        match exit {
            Exit::Next(ts) if ts.len() > 1 => {
                let fork = format!("fork_{from}");
                nodes.push(Node {
                    id: fork.clone(),
                    label: String::new(),
                    shape: Shape::Bar,
                });
                edges.push((from.clone(), fork.clone(), String::new(), false));
                for &t in ts {
                    edges.push((fork.clone(), target(t), String::new(), back(t)));
                }
            }
            Exit::Next(ts) => {
                for &t in ts {
                    edges.push((from.clone(), target(t), String::new(), back(t)));
                }
            }
            Exit::Continue(t) => edges.push((from.clone(), target(*t), String::new(), false)),
            Exit::Decision(outcomes) => {
                if let Some(decision) = &graph.step(s).decision {
                    for &(o, t) in outcomes {
                        let label = text(&decision.outcomes[o].when, lang, primary);
                        edges.push((from.clone(), target(t), label, back(t)));
                    }
                }
            }
            Exit::End => {
                let end = format!("end_{from}");
                let label = graph
                    .step(s)
                    .end
                    .as_ref()
                    .map(|t| text(t, lang, primary))
                    .unwrap_or_default();
                nodes.push(Node {
                    id: end.clone(),
                    label,
                    shape: Shape::Terminal,
                });
                edges.push((from, end, String::new(), false));
            }
            Exit::FallsOff => {}
        }
    }
    for s in 0..graph.len() {
        if graph.join[s] {
            edges.push((
                format!("join_{}", node_id(s)),
                node_id(s),
                String::new(),
                false,
            ));
        }
    }
    Drawing {
        lanes,
        nodes,
        edges,
    }
}

/// Step ids may contain characters DOT and Mermaid treat specially; number them instead.
fn node_id(s: usize) -> String {
    format!("s{s}")
}

/// The nodes drawn in a lane: each step with its join bar, fork bar and end terminator.
fn lane_members(drawing: &Drawing, steps: &[usize]) -> Vec<String> {
    let mut ids = Vec::new();
    for &s in steps {
        let id = node_id(s);
        for prefix in ["join_", "", "fork_", "end_"] {
            let candidate = format!("{prefix}{id}");
            if drawing.nodes.iter().any(|n| n.id == candidate) {
                ids.push(candidate);
            }
        }
    }
    ids
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn dot(graph: &FlowGraph, settings: &Settings, lang: &str) -> String {
    let d = drawing(graph, settings, lang);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&graph.flow.id));
    let _ = writeln!(
        out,
        "  rankdir=TB;\n  node [fontname=\"Noto Sans\", fontsize=10];\n  edge [fontname=\"Noto Sans\", fontsize=9];"
    );
    let shape_attrs = |shape: Shape| match shape {
        Shape::Task => "shape=box",
        Shape::Decision => "shape=diamond",
        Shape::Bar => {
            "shape=box, style=filled, fillcolor=black, height=0.06, width=1.2, label=\"\""
        }
        Shape::Terminal => "shape=box, style=rounded",
    };
    let node_line = |n: &Node| {
        if n.shape == Shape::Bar {
            format!("    {} [{}];", n.id, shape_attrs(n.shape))
        } else {
            format!(
                "    {} [{}, label=\"{}\"];",
                n.id,
                shape_attrs(n.shape),
                dot_escape(&n.label)
            )
        }
    };
    let mut placed = std::collections::HashSet::new();
    for (i, (code, name, steps)) in d.lanes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{i} {{\n    label=\"{}\";\n    style=dashed;",
            dot_escape(&format!("{name} ({code})"))
        );
        for id in lane_members(&d, steps) {
            if let Some(n) = d.nodes.iter().find(|n| n.id == id) {
                let _ = writeln!(out, "{}", node_line(n));
                placed.insert(id);
            }
        }
        let _ = writeln!(out, "  }}");
    }
    for n in d.nodes.iter().filter(|n| !placed.contains(&n.id)) {
        let _ = writeln!(out, "{}", node_line(n).trim_start_matches("  "));
    }
    for (from, to, label, back) in &d.edges {
        let mut attrs = Vec::new();
        if !label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_escape(label)));
        }
        if *back {
            attrs.push("style=dashed, constraint=false".to_string());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(out, "  {from} -> {to}{attrs};");
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', "<br/>")
}

pub fn mermaid(graph: &FlowGraph, settings: &Settings, lang: &str) -> String {
    let d = drawing(graph, settings, lang);
    let mut out = String::from("flowchart TD\n");
    let node_line = |n: &Node| match n.shape {
        Shape::Task => format!("{}[\"{}\"]", n.id, mermaid_escape(&n.label)),
        Shape::Decision => format!("{}{{\"{}\"}}", n.id, mermaid_escape(&n.label)),
        Shape::Bar => format!("{}[\" \"]:::bar", n.id),
        Shape::Terminal => format!("{}([\"{}\"])", n.id, mermaid_escape(&n.label)),
    };
    let mut placed = std::collections::HashSet::new();
    for (i, (code, name, steps)) in d.lanes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph lane{i}[\"{}\"]",
            mermaid_escape(&format!("{name} ({code})"))
        );
        for id in lane_members(&d, steps) {
            if let Some(n) = d.nodes.iter().find(|n| n.id == id) {
                let _ = writeln!(out, "    {}", node_line(n));
                placed.insert(id);
            }
        }
        out.push_str("  end\n");
    }
    for n in d.nodes.iter().filter(|n| !placed.contains(&n.id)) {
        let _ = writeln!(out, "  {}", node_line(n));
    }
    for (from, to, label, back) in &d.edges {
        let arrow = if *back { "-.->" } else { "-->" };
        if label.is_empty() {
            let _ = writeln!(out, "  {from} {arrow} {to}");
        } else {
            let _ = writeln!(out, "  {from} {arrow}|\"{}\"| {to}", mermaid_escape(label));
        }
    }
    out.push_str("  classDef bar fill:#000,stroke:#000,color:#000;\n");
    out
}
