//! The swimlane chart of a flow as data: its lanes, nodes and edges, built from the flow's
//! printed steps; [`super::diagram`] lays it out and draws it.

use super::context::{Multi, Printing};
use super::diagram::{Chart, Edge, JointMark, Lane, LaneGroup, Node, NodeKind};
use super::labels::{self, Script};
use super::step_text::FlowContext;
use crate::flow::graph::{Exit, FlowGraph};

/// The swimlane chart of a flow: a lane per department or party in order of first
/// appearance, a start terminator with the trigger, decision diamonds after deciding steps,
/// fork and join bars, end terminators with outcomes.
pub fn chart(p: &Printing, flow_ctx: &FlowContext, graph: &FlowGraph) -> Chart {
    let mut lanes: Vec<Lane> = Vec::new();
    let lane_of = |code: &str, lanes: &mut Vec<Lane>| -> usize {
        if let Some(i) = lanes.iter().position(|l| l.id == code) {
            return i;
        }
        let within = p
            .settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.within.clone());
        lanes.push(Lane {
            id: code.to_string(),
            label: p.actor(code),
            group: within.map(|g| LaneGroup {
                label: p.actor(&g),
                id: g,
            }),
        });
        lanes.len() - 1
    };
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut timers = Vec::new();
    let edge = |from: String, to: String, label: Multi| Edge { from, to, label };
    let entry = |s: usize| {
        if graph.join[s] {
            format!("join:{s}")
        } else {
            format!("step:{s}")
        }
    };
    let step_lane: Vec<usize> = graph
        .flow
        .steps
        .iter()
        .map(|step| {
            lane_of(
                step.by.iter().next().map(String::as_str).unwrap_or("-"),
                &mut lanes,
            )
        })
        .collect();
    // A step signed by several departments is marked in the lane of each of the others.
    let also_lanes: Vec<Vec<usize>> = graph
        .flow
        .steps
        .iter()
        .map(|step| {
            if step.by.joint {
                step.by
                    .iter()
                    .skip(1)
                    .map(|code| lane_of(code, &mut lanes))
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    // Lanes of roles inside one department (`in:`) stand side by side, next to the
    // department's own lane, in order of first appearance of the department.
    let group_of = |code: &str| -> String {
        p.settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.within.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let groups: Vec<String> = lanes.iter().map(|l| group_of(&l.id)).collect();
    let mut order: Vec<usize> = (0..lanes.len()).collect();
    let first_of = |g: &str| groups.iter().position(|x| x == g).unwrap_or(0);
    // The department's own lane comes first, so that its roles' lanes stay together
    // under one band.
    order.sort_by_key(|&i| (first_of(&groups[i]), lanes[i].group.is_some(), i));
    let mut new_index = vec![0; lanes.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let lanes: Vec<Lane> = order.iter().map(|&i| lanes[i].clone()).collect();
    let step_lane: Vec<usize> = step_lane.iter().map(|&l| new_index[l]).collect();
    let joint: Vec<JointMark> = also_lanes
        .iter()
        .enumerate()
        .filter(|(_, also)| !also.is_empty())
        .map(|(s, also)| JointMark {
            node: format!("step:{s}"),
            lanes: also
                .iter()
                .map(|&l| new_index[l])
                .filter(|&l| l != step_lane[s])
                .collect(),
            label: flow_ctx.steps[s].number.clone(),
        })
        .collect();
    let several = graph.flow.trigger.as_ref().map_or(&[][..], |t| t.starts());
    if !several.is_empty() {
        // One start per trigger, in the lane of the step it starts at.
        for (i, t) in several.iter().enumerate() {
            let Some(s) = graph.index_of(&t.start) else {
                continue;
            };
            let id = if i == 0 {
                "start".to_string()
            } else {
                format!("start:{}", i + 1)
            };
            nodes.push(Node {
                id: id.clone(),
                step: id.clone(),
                kind: NodeKind::Start,
                lane: step_lane[s],
                number: None,
                label: p.text(&t.text),
            });
            edges.push(edge(id, entry(s), Vec::new()));
        }
    } else if !graph.is_empty() {
        nodes.push(Node {
            id: "start".into(),
            step: "start".into(),
            kind: NodeKind::Start,
            lane: step_lane[0],
            number: None,
            label: flow_ctx
                .trigger
                .clone()
                .unwrap_or_else(|| p.each(|l| labels::label("start", l))),
        });
        edges.push(edge("start".into(), entry(0), Vec::new()));
    }
    for (s, step_ctx) in flow_ctx.steps.iter().enumerate() {
        let lane = step_lane[s];
        let step = graph.step(s);
        let sid = step.id.clone();
        if graph.join[s] {
            nodes.push(Node {
                id: format!("join:{s}"),
                step: sid.clone(),
                kind: if graph.inclusive[s] {
                    NodeKind::InclusiveJoin
                } else {
                    NodeKind::Join
                },
                lane,
                number: None,
                label: Vec::new(),
            });
            edges.push(edge(format!("join:{s}"), format!("step:{s}"), Vec::new()));
        }
        nodes.push(Node {
            id: format!("step:{s}"),
            step: sid.clone(),
            kind: if step.calls.is_some() {
                NodeKind::Call
            } else {
                NodeKind::Task
            },
            lane,
            number: Some(step_ctx.number.clone()),
            label: step_ctx.title.clone(),
        });
        let from = format!("step:{s}");
        match &graph.exits[s] {
            Exit::Continue(t) => edges.push(edge(from, entry(*t), Vec::new())),
            Exit::Next(ts) if ts.len() > 1 => {
                nodes.push(Node {
                    id: format!("fork:{s}"),
                    step: sid.clone(),
                    kind: NodeKind::Fork,
                    lane,
                    number: None,
                    label: Vec::new(),
                });
                edges.push(edge(from, format!("fork:{s}"), Vec::new()));
                for &t in ts {
                    edges.push(edge(format!("fork:{s}"), entry(t), Vec::new()));
                }
            }
            Exit::Next(ts) => {
                for &t in ts {
                    edges.push(edge(from.clone(), entry(t), Vec::new()));
                }
            }
            Exit::Decision(outcomes) => {
                let question = step_ctx
                    .diamond
                    .clone()
                    .unwrap_or_else(|| vec!["?".to_string()]);
                nodes.push(Node {
                    id: format!("decision:{s}"),
                    step: sid.clone(),
                    kind: if graph.multiple[s] {
                        NodeKind::Inclusive
                    } else {
                        NodeKind::Decision
                    },
                    lane,
                    number: None,
                    label: question,
                });
                edges.push(edge(from, format!("decision:{s}"), Vec::new()));
                for &(o, t) in outcomes {
                    edges.push(edge(
                        format!("decision:{s}"),
                        entry(t),
                        step_ctx.outcomes[o].label.clone(),
                    ));
                }
            }
            Exit::End => {
                nodes.push(Node {
                    id: format!("end:{s}"),
                    step: format!("end:{sid}"),
                    kind: NodeKind::End,
                    lane,
                    number: None,
                    label: step_ctx.end.clone().unwrap_or_default(),
                });
                edges.push(edge(from, format!("end:{s}"), Vec::new()));
            }
            Exit::FallsOff => {}
        }
        if let (Some(t), Some(timeout)) = (graph.timeouts[s], &step.timeout) {
            // The exit time takes: a line of its own from the box, marked with a timer.
            timers.push(sid.clone());
            let label = p.each(|lang| {
                let time = labels::duration(timeout.after, lang);
                match Script::of(lang) {
                    Script::English => format!("no answer in {time}"),
                    Script::Simplified => format!("{time}内无答复"),
                    Script::Traditional => format!("{time}內無答覆"),
                }
            });
            edges.push(edge(format!("step:{s}"), entry(t), label));
        }
    }
    Chart {
        lanes,
        nodes,
        edges,
        timers,
        joint,
    }
}
