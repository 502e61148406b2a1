//! Soundness of flows far past the state limit: many parallel branches, explored with
//! partial-order reduction. The flows are generated here (20 × 8 has about 10^19 states), and
//! the check's output is snapshot-tested next to the check fixtures' under
//! `snapshots/check`, the generated folder's path written as `<qms>`.

use procdoc::check::{FlowStats, diagnostic};
use procdoc::spec::load;

const SETTINGS: &str = "company: Northfield Precision Castings Ltd.
languages: [en]
departments:
  - { code: QA, name: Quality Assurance }
  - { code: GM, name: General Manager }
";

/// A procedure whose one flow starts `branches` parallel branches of `steps` steps, joined
/// by `close` (`join: all`). With `exit_in`, that branch's middle step is a decision whose
/// second outcome leaves the split for `escalate`, an `end` outside it: the join then
/// waits for ever for that branch, whatever the other branches do.
fn procedure(branches: usize, steps: usize, exit_in: Option<usize>) -> String {
    let mut yaml = String::from(
        "id: QP-50
title: Parallel inspection
revision: A
effective: 2025-04-01
owner: QA
approval:
  prepared: { by: Helen Clarke, date: 2025-03-10 }
  approved: { by: Sarah Mills, date: 2025-03-20 }
history:
  - { revision: A, date: 2025-04-01, change: First release, by: Helen Clarke }
purpose: To inspect every feature of a casting in parallel.
scope: First-article inspection at the Northfield plant.
responsibilities:
  - { who: QA, duties: [Inspect the features] }
  - { who: GM, duties: [Start the inspection and decide escalations] }
flows:
  - id: inspect
    title: First-article inspection
    trigger: A first article is cast
    steps:
      - id: plan
        title: Start the inspection of every feature
        by: GM
        next: [",
    );
    let first: Vec<String> = (1..=branches).map(|b| format!("b{b:02}-s1")).collect();
    yaml.push_str(&first.join(", "));
    yaml.push_str("]\n");
    let middle = steps.div_ceil(2);
    for b in 1..=branches {
        for s in 1..=steps {
            yaml.push_str(&format!(
                "      - id: b{b:02}-s{s}\n        title: Inspect feature {b}, check {s}\n        by: QA\n"
            ));
            if exit_in == Some(b) && s == middle {
                yaml.push_str(&format!(
                    "        decision:\n          question: Is the feature within tolerance?\n          outcomes:\n            - {{ when: Yes, goto: b{b:02}-s{} }}\n            - {{ when: No, goto: escalate }}\n",
                    s + 1
                ));
            } else if s == steps {
                yaml.push_str("        next: close\n");
            }
        }
    }
    yaml.push_str(
        "      - id: close
        title: Release the first article
        by: QA
        join: all
        end: Released
",
    );
    if exit_in.is_some() {
        yaml.push_str(
            "      - id: escalate
        title: Stop the inspection and escalate
        by: GM
        end: Escalated
",
        );
    }
    yaml
}

/// The check's text (with the folder written as `<qms>`), its codes and the flow's stats.
fn check(
    branches: usize,
    steps: usize,
    exit_in: Option<usize>,
) -> (String, Vec<&'static str>, FlowStats) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("procdoc.yaml"), SETTINGS).unwrap();
    std::fs::write(
        dir.path().join("QP-50.yaml"),
        procedure(branches, steps, exit_in),
    )
    .unwrap();
    let (qms, mut diagnostics) = load::load(dir.path()).unwrap();
    let (found, stats) = procdoc::check::check_with_stats(&qms);
    diagnostics.extend(found);
    diagnostic::sort(&mut diagnostics);
    let codes = diagnostics.iter().map(|d| d.code.code).collect();
    let text = diagnostic::render_text(&qms.sources, &diagnostics)
        .replace(&dir.path().display().to_string(), "<qms>");
    let [flow] = stats.as_slice() else {
        panic!("one flow expected: {stats:?}")
    };
    (text, codes, flow.clone())
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "snapshots/check", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The steps of the `shortest run` note of the deadlock.
fn deadlock_run(text: &str) -> Vec<String> {
    let deadlock = &text[text.find("error[E0401").expect(text)..];
    let run = deadlock
        .lines()
        .find_map(|l| l.trim().strip_prefix("= shortest run: "))
        .expect(deadlock);
    run.split(" → ").map(String::from).collect()
}

#[test]
fn a_decision_leaving_a_20_by_8_split_is_a_deadlock_with_its_shortest_run() {
    let (text, codes, stats) = check(20, 8, Some(7));
    assert!(codes.contains(&"E0401"), "{text}");
    assert!(!codes.contains(&"W0405"), "{text}");
    assert!(stats.complete && stats.reduced, "{stats:?}");
    // The shortest stuck run: the split, every other branch to the join (19 × 8), branch 7
    // to its decision (4 steps, the last one answered No), and the escalation.
    let run = deadlock_run(&text);
    assert_eq!(run.len(), 1 + 19 * 8 + 4 + 1, "{run:?}");
    assert_eq!(run[0], "plan");
    assert!(run.contains(&"b07-s4 [No]".to_string()), "{run:?}");
    assert!(run.contains(&"escalate".to_string()), "{run:?}");
    assert!(!run.iter().any(|s| s.starts_with("b07-s5")), "{run:?}");
    snapshot("generated-20x8-decision-out-of-split", &text);
}

#[test]
fn a_decision_leaving_a_6_by_6_split_is_a_deadlock_with_its_shortest_run() {
    let (text, codes, stats) = check(6, 6, Some(2));
    assert!(codes.contains(&"E0401"), "{text}");
    assert!(!codes.contains(&"W0405"), "{text}");
    assert!(stats.complete, "{stats:?}");
    let run = deadlock_run(&text);
    assert_eq!(run.len(), 1 + 5 * 6 + 3 + 1, "{run:?}");
    assert!(run.contains(&"b02-s3 [No]".to_string()), "{run:?}");
    snapshot("generated-6x6-decision-out-of-split", &text);
}

#[test]
fn a_sound_20_by_8_split_is_proven_sound() {
    let (text, codes, stats) = check(20, 8, None);
    assert!(codes.is_empty(), "{text}");
    assert!(stats.complete && stats.reduced, "{stats:?}");
    // One interleaving of the independent branches, not 9^20 of them.
    assert!(stats.states < 1_000, "{stats:?}");
}

#[test]
fn the_escalation_ending_a_run_while_branches_are_open_is_reported() {
    let (text, codes, _) = check(20, 8, Some(7));
    assert!(codes.contains(&"E0403"), "{text}");
    assert!(text.contains("end step `escalate`"), "{text}");
}
