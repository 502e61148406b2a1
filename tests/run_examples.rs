//! Every flow of every example QMS is run as a checklist through every decision outcome, to
//! an end, and its record exported: the runner and the specs agree on real procedures.
//!
//! One scenario per (decision, outcome): the decision takes that outcome the first time it is
//! reached; before that, other decisions head for it, and after it they take the first
//! outcome that leads to an end without coming back, so loops are entered once and left. Steps are completed by a different person each, acting for their
//! first department, with every check ticked and every required field filled by type.

mod common;
use common::{copy_dir, example_folders};

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use procdoc::spec::model::{FieldType, Procedure, Trigger};
use serde_json::Value;

/// More completions than any example flow needs even with its loops taken once.
const MAX_COMPLETIONS: usize = 400;

/// A decision step and the outcome a run is made to take there (`None`: any way to an end).
type Scenario = Option<(String, usize)>;

struct Qms {
    dir: tempfile::TempDir,
    docs: Vec<Procedure>,
}

fn copy_qms(example: &str) -> Qms {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&Path::new("specs").join(example), dir.path());
    let (qms, _) = procdoc::spec::load::load(dir.path()).unwrap();
    let docs = qms.procedures.into_iter().map(|p| p.doc).collect();
    Qms { dir, docs }
}

fn run(qms: &Path, args: &[String]) -> (i32, String, String) {
    let out = Command::cargo_bin("procdoc")
        .unwrap()
        .arg("run")
        .arg("--qms")
        .arg(qms)
        .args(args)
        .env("PROCDOC_NOW", "2026-11-23T10:00:00+08:00")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn show(qms: &Path, reference: &str) -> Value {
    let (code, stdout, stderr) = run(
        qms,
        &[
            "show".into(),
            reference.into(),
            "--format".into(),
            "json".into(),
        ],
    );
    assert_eq!(code, 0, "show {reference}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// A value of the right type for a record field.
fn value_for(kind: FieldType, field: &procdoc::spec::model::Field) -> String {
    let first_option = || {
        field
            .options
            .first()
            .map(|o| o.variants()[0].to_string())
            .unwrap_or_default()
    };
    match kind {
        FieldType::Number => "1".into(),
        FieldType::Date => "2026-11-24".into(),
        FieldType::Datetime => "2026-11-24 10:00".into(),
        FieldType::Choice | FieldType::Multichoice => first_option(),
        FieldType::Checkbox => "yes".into(),
        FieldType::Table => vec!["x"; field.columns.len().max(1)].join("|"),
        _ => "filled in".into(),
    }
}

/// `--field` arguments for the required fields of the records a step produces.
fn required_fields(docs: &[Procedure], doc: &Procedure, produces: &[String]) -> Vec<String> {
    let mut args = Vec::new();
    for name in produces {
        let (owner, record) = match name.split_once('#') {
            Some((d, r)) => (docs.iter().find(|p| p.id == d).unwrap(), r),
            None => (doc, name.as_str()),
        };
        let record = owner.records.iter().find(|r| r.id == record).unwrap();
        for field in record.fields.iter().filter(|f| f.required) {
            args.push("--field".into());
            args.push(format!(
                "{name}.{}={}",
                field.id,
                value_for(field.kind, field)
            ));
        }
    }
    args
}

/// Complete active steps until the run (and every child run) has ended.
fn drive(
    qms: &Qms,
    reference: &str,
    doc: &Procedure,
    forced: Option<(&str, usize)>,
    taken: &mut BTreeSet<(String, String, usize)>,
) {
    let mut forced_used = false;
    // Steps with an earliest time are completed at it, and the run's clock stays there.
    let mut clock: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    for _ in 0..MAX_COMPLETIONS {
        let record = show(qms.dir.path(), reference);
        if record["status"] != "open" {
            return;
        }
        let flow_id = record["flow"]["id"].as_str().unwrap().to_string();
        let flow = doc.flows.iter().find(|f| f.id == flow_id).unwrap();
        let steps = record["steps"].as_array().unwrap();
        let active: Vec<&Value> = steps.iter().filter(|s| s["state"] == "active").collect();
        assert!(
            !active.is_empty(),
            "{reference}: open with nothing active: {record}"
        );
        let step = active[0];
        let id = step["id"].as_str().unwrap();
        let spec_step = flow.steps.iter().find(|s| s.id == id).unwrap();
        let index = flow.steps.iter().position(|s| s.id == id).unwrap();
        if spec_step.calls.is_some() {
            // The child run carries the work; drive it, and the parent step completes itself.
            let child = record["children"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["status"] == "open")
                .unwrap_or_else(|| {
                    panic!("{reference}: calls step {id} without an open child run")
                });
            let child_ref = child["reference"].as_str().unwrap().to_string();
            let child_doc_id = child["doc"].as_str().unwrap();
            let child_doc = qms.docs.iter().find(|d| d.id == child_doc_id).unwrap();
            drive(qms, &child_ref, child_doc, None, taken);
            continue;
        }
        let mut args: Vec<String> = vec!["done".into(), reference.into(), id.into()];
        let iteration = step["iterations"].as_array().map(Vec::len).unwrap_or(1);
        args.extend(["--by".into(), format!("person-{id}-{iteration}")]);
        let earliest = step["iterations"]
            .as_array()
            .and_then(|its| its.last())
            .and_then(|it| it["earliest"]["iso"].as_str())
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap());
        clock = clock.max(earliest);
        if let Some(at) = clock {
            args.extend(["--at".into(), at.to_rfc3339()]);
        }
        if spec_step.by.len() > 1 {
            args.extend(["--as".into(), spec_step.by.0[0].clone()]);
        }
        if !spec_step.check.is_empty() {
            args.extend(["--check".into(), "all".into()]);
        }
        if let Some(decision) = &spec_step.decision {
            let choice = match forced {
                Some((step, outcome)) if step == id && !forced_used => {
                    forced_used = true;
                    outcome
                }
                _ => {
                    // Head for the scenario's decision while it is still ahead, else for an
                    // end: an outcome that leads there without coming back here leaves loops.
                    let graph = procdoc::flow::graph::FlowGraph::new(flow);
                    let exits: Vec<usize> = (0..graph.len())
                        .filter(|&s| graph.successors(s).is_empty())
                        .collect();
                    let goal = forced
                        .filter(|_| !forced_used)
                        .and_then(|(step, _)| graph.index_of(step));
                    let pick = |goals: &[usize]| {
                        decision.outcomes.iter().position(|o| {
                            graph.index_of(&o.goto).is_some_and(|t| {
                                goals.iter().any(|&g| reaches(&graph, t, g, index))
                            })
                        })
                    };
                    goal.and_then(|g| pick(&[g]))
                        .or_else(|| pick(&exits))
                        .unwrap_or(0)
                }
            };
            taken.insert((flow_id.clone(), id.to_string(), choice));
            args.extend([
                "--outcome".into(),
                decision.outcomes[choice].when.variants()[0].to_string(),
            ]);
        }
        args.extend(required_fields(&qms.docs, doc, &spec_step.produces.0));
        let (code, stdout, stderr) = run(qms.dir.path(), &args);
        assert_eq!(code, 0, "{reference}: {args:?}\n{stdout}{stderr}");
    }
    panic!("{reference} did not end within {MAX_COMPLETIONS} completions");
}

/// Whether `goal` can be reached from `from` without passing through `avoid`.
fn reaches(
    graph: &procdoc::flow::graph::FlowGraph,
    from: usize,
    goal: usize,
    avoid: usize,
) -> bool {
    let mut seen = vec![false; graph.len()];
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        if s == goal {
            return true;
        }
        if s == avoid || std::mem::replace(&mut seen[s], true) {
            continue;
        }
        stack.extend(graph.successors(s));
    }
    false
}

fn run_every_flow(example: &str) {
    let export = tempfile::tempdir().unwrap();
    {
        let qms = copy_qms(example);
        let mut taken = BTreeSet::new();
        let mut expected = BTreeSet::new();
        let mut ends_expected = BTreeSet::new();
        let mut ends_reached = BTreeSet::new();
        let mut n = 0;
        for doc in &qms.docs {
            for flow in &doc.flows {
                let mut scenarios: Vec<Option<(String, usize)>> = vec![None];
                for step in flow.steps.iter().filter(|s| s.end.is_some()) {
                    ends_expected.insert((doc.id.clone(), flow.id.clone(), step.id.clone()));
                }
                for step in &flow.steps {
                    if let Some(decision) = &step.decision {
                        for o in 0..decision.outcomes.len() {
                            expected.insert((flow.id.clone(), step.id.clone(), o));
                            scenarios.push(Some((step.id.clone(), o)));
                        }
                    }
                }
                // A flow with several triggers is run from each; a per-item flow for an
                // item of its register.
                let starts: Vec<Vec<String>> = match &flow.trigger {
                    Some(Trigger::Several(list)) => (1..=list.len())
                        .map(|i| vec!["--trigger".to_string(), i.to_string()])
                        .collect(),
                    Some(Trigger::ForEach(per)) => {
                        let (loaded, _) = procdoc::spec::load::load(qms.dir.path()).unwrap();
                        let settings = loaded.settings.as_ref().unwrap();
                        let register = settings
                            .registers
                            .iter()
                            .find(|r| r.id == per.for_each)
                            .unwrap();
                        let table = loaded.item_table(&per.for_each).unwrap();
                        let key = table.column(&register.key).unwrap();
                        vec![vec!["--item".to_string(), table.rows[0][key].text.clone()]]
                    }
                    _ => vec![Vec::new()],
                };
                let runs: Vec<(Scenario, Vec<String>)> = scenarios
                    .iter()
                    .flat_map(|sc| starts.iter().map(move |st| (sc.clone(), st.clone())))
                    .collect();
                for (scenario, start_args) in runs {
                    n += 1;
                    let reference = format!("T-{n}");
                    let mut args: Vec<String> = vec![
                        "start".into(),
                        doc.id.clone(),
                        "--flow".into(),
                        flow.id.clone(),
                        "--ref".into(),
                        reference.clone(),
                        "--by".into(),
                        "starter".into(),
                    ];
                    args.extend(start_args);
                    let (code, _, stderr) = run(qms.dir.path(), &args);
                    assert_eq!(code, 0, "{example} {} {}: {stderr}", doc.id, flow.id);
                    let forced = scenario.as_ref().map(|(s, o)| (s.as_str(), *o));
                    drive(&qms, &reference, doc, forced, &mut taken);
                    let record = show(qms.dir.path(), &reference);
                    assert_eq!(
                        record["status"], "ended",
                        "{example} {reference}: {}",
                        record["status"]
                    );
                    assert!(record["chain"]["intact"].as_bool().unwrap());
                    export_record(qms.dir.path(), &reference, export.path());
                    for step in record["steps"].as_array().unwrap() {
                        let id = step["id"].as_str().unwrap();
                        if step["state"] == "done"
                            && flow.steps.iter().any(|s| s.id == id && s.end.is_some())
                        {
                            ends_reached.insert((doc.id.clone(), flow.id.clone(), id.to_string()));
                        }
                    }
                }
            }
        }
        let missing: Vec<_> = expected.difference(&taken).collect();
        assert!(
            missing.is_empty(),
            "{example}: outcomes never taken: {missing:?}"
        );
        let unreached: Vec<_> = ends_expected.difference(&ends_reached).collect();
        assert!(
            unreached.is_empty(),
            "{example}: ends never reached: {unreached:?}"
        );
        let (code, _, stderr) = run(qms.dir.path(), &["verify".into()]);
        assert_eq!(code, 0, "{example}: {stderr}");
    }
}

/// Export a finished run and check both files state it as ended, with an intact chain.
fn export_record(qms: &Path, reference: &str, to: &Path) {
    let args = [
        "export".into(),
        reference.into(),
        "-o".into(),
        to.to_string_lossy().into_owned(),
    ];
    let (code, _, stderr) = run(qms, &args);
    assert_eq!(code, 0, "export {reference}: {stderr}");
    let json: Value =
        serde_json::from_slice(&std::fs::read(to.join(format!("{reference}.json"))).unwrap())
            .unwrap();
    assert_eq!(json["status"], "ended");
    assert_eq!(json["chain"]["intact"], true);
    let pdf = std::fs::read(to.join(format!("{reference}.pdf"))).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{reference}.pdf is not a PDF");
}

/// One test per example, so that they run in parallel.
macro_rules! examples {
    ($($test:ident => $folder:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                run_every_flow($folder);
            }
        )*
        const COVERED: &[&str] = &[$($folder),*];
    };
}

examples! {
    red_maple => "red-maple",
    zza_feed => "zza-feed",
    comm_service => "comm-service",
    dyne => "dyne",
    relationship_tw => "relationship-tw",
}

/// A new example folder must be added to the list above too.
#[test]
fn every_example_is_covered() {
    let mut covered: Vec<String> = COVERED.iter().map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(example_folders(), covered);
}
