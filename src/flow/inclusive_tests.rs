//! Inclusive choices (`multiple: true`) and joins (`join: started`) in the shared semantics.

use super::*;
use crate::flow::graph::FlowGraph;
use crate::spec::model::Flow;

/// A disposition that may rework, scrap and return a lot, joined by `close`.
const DISPOSITION: &str = r#"
id: nc
title: Nonconforming lot
steps:
  - id: disposition
    decision:
      multiple: true
      outcomes:
        - { when: Rework, goto: rework }
        - { when: Scrap, goto: scrap }
        - { when: Return, goto: return }
  - { id: rework, next: reinspect }
  - id: reinspect
    decision:
      outcomes:
        - { when: Pass, goto: close }
        - { when: Fail, goto: rework }
  - { id: scrap, next: close }
  - { id: return, next: close }
  - { id: close, join: started, end: closed }
"#;

fn flow(yaml: &str) -> Flow {
    serde_yaml::from_str(yaml).expect("a flow")
}

fn step(graph: &FlowGraph, id: &str) -> usize {
    graph.index_of(id).expect("a step")
}

#[test]
fn a_multiple_decision_offers_every_non_empty_set() {
    let flow = flow(DISPOSITION);
    let graph = FlowGraph::new(&flow);
    let net = Net::new(&graph);
    let d = step(&graph, "disposition");
    assert_eq!(net.choices(d), 7);
    assert_eq!(net.outcomes_of_choice(d, 0), vec![0]);
    assert_eq!(net.outcomes_of_choice(d, 4), vec![0, 2]);
    assert_eq!(net.outcomes_of_choice(d, 6), vec![0, 1, 2]);
    assert_eq!(net.outcomes_of_choice(d, 7), Vec::<usize>::new());
    for choice in 0..net.choices(d) {
        let set = net.outcomes_of_choice(d, choice);
        assert_eq!(net.choice_of_outcomes(d, &set), Some(choice));
    }
    assert_eq!(net.choice_of_outcomes(d, &[2, 0]), Some(4));
    assert_eq!(net.choice_of_outcomes(d, &[]), None);
    assert_eq!(net.choice_of_outcomes(d, &[3]), None);
    // An exclusive decision takes exactly one.
    let r = step(&graph, "reinspect");
    assert_eq!(net.choices(r), 2);
    assert_eq!(net.choice_of_outcomes(r, &[0, 1]), None);
    assert_eq!(net.choice_of_outcomes(r, &[1]), Some(1));
}

#[test]
fn the_chosen_outcomes_start_together() {
    let flow = flow(DISPOSITION);
    let graph = FlowGraph::new(&flow);
    let net = Net::new(&graph);
    let d = step(&graph, "disposition");
    let both = net.choice_of_outcomes(d, &[0, 1]).unwrap();
    let firing = net.fire(&net.initial(), d, both).unwrap();
    assert_eq!(
        firing.activated,
        vec![step(&graph, "rework"), step(&graph, "scrap")]
    );
    assert!(firing.overflow.is_empty());
}

#[test]
fn the_join_waits_while_a_started_branch_can_still_come() {
    let flow = flow(DISPOSITION);
    let graph = FlowGraph::new(&flow);
    let net = Net::new(&graph);
    let [d, rework, reinspect, scrap, close] =
        ["disposition", "rework", "reinspect", "scrap", "close"].map(|id| step(&graph, id));
    let both = net.choice_of_outcomes(d, &[0, 1]).unwrap();
    let m = net.fire(&net.initial(), d, both).unwrap().marking;
    // Scrap arrives first: rework is still under way, so close waits.
    let m = net.fire(&m, scrap, 0).unwrap().marking;
    assert!(!net.is_active(&m, close));
    assert_eq!(net.waiting(&m), vec![close]);
    // Rework round its loop: still able to come.
    let m = net.fire(&m, rework, 0).unwrap().marking;
    let m = net.fire(&m, reinspect, 1).unwrap().marking;
    assert!(!net.is_active(&m, close));
    let m = net.fire(&m, rework, 0).unwrap().marking;
    let last = net.fire(&m, reinspect, 0).unwrap();
    assert_eq!(last.activated, vec![close]);
    // The join takes both tokens; its end finishes the run.
    let end = net.fire(&last.marking, close, 0).unwrap();
    assert!(end.marking.is_empty() && end.ended);
}

#[test]
fn one_branch_alone_starts_the_join_at_once() {
    let flow = flow(DISPOSITION);
    let graph = FlowGraph::new(&flow);
    let net = Net::new(&graph);
    let [d, ret, close] = ["disposition", "return", "close"].map(|id| step(&graph, id));
    let only_return = net.choice_of_outcomes(d, &[2]).unwrap();
    let m = net.fire(&net.initial(), d, only_return).unwrap().marking;
    let arrived = net.fire(&m, ret, 0).unwrap();
    assert_eq!(arrived.activated, vec![close]);
    assert!(
        net.fire(&arrived.marking, close, 0)
            .unwrap()
            .marking
            .is_empty()
    );
}

#[test]
fn the_join_starts_when_the_last_branch_that_could_come_ends_elsewhere() {
    let flow = flow(
        r#"
id: f
title: F
steps:
  - id: choose
    decision:
      multiple: true
      outcomes:
        - { when: A, goto: a }
        - { when: B, goto: b }
  - { id: a, next: join }
  - id: b
    decision:
      outcomes:
        - { when: Go on, goto: join }
        - { when: Stop, goto: stop }
  - { id: stop, end: stopped }
  - { id: join, join: started, end: done }
"#,
    );
    let graph = FlowGraph::new(&flow);
    let net = Net::new(&graph);
    let [choose, a, b, stop, join] =
        ["choose", "a", "b", "stop", "join"].map(|id| step(&graph, id));
    let m = net.fire(&net.initial(), choose, 2).unwrap().marking;
    let m = net.fire(&m, a, 0).unwrap().marking;
    assert!(!net.is_active(&m, join));
    let stopped = net.fire(&m, b, 1).unwrap();
    // `b` chose to stop: nothing can reach the join's second input any more.
    assert_eq!(stopped.activated, vec![stop, join]);
}

#[test]
fn join_all_keeps_its_meaning() {
    let flow = flow(
        r#"
id: f
title: F
steps:
  - { id: split, next: [a, b] }
  - { id: a, next: join }
  - { id: b, next: join }
  - { id: join, join: all, end: done }
"#,
    );
    let graph = FlowGraph::new(&flow);
    let net = Net::new(&graph);
    assert!(!net.has_inclusive());
    let [split, a, join] = ["split", "a", "join"].map(|id| step(&graph, id));
    let m = net.fire(&net.initial(), split, 0).unwrap().marking;
    let m = net.fire(&m, a, 0).unwrap().marking;
    assert!(!net.is_active(&m, join));
    assert_eq!(net.missing_inputs(&m, join), vec![step(&graph, "b")]);
}
