//! Every flow of every example QMS is run as a checklist through every decision outcome, to
//! an end, and its record exported: the runner and the specs agree on real procedures.
//!
//! One scenario per (decision, outcome): the decision takes that outcome the first time it is
//! reached; before that, other decisions head for it, and after it they take the first
//! outcome that leads to an end without coming back, so loops are entered once and left. A
//! decision that may take several outcomes also gets a scenario taking all of them at once; a
//! step with a timeout gets one where it is left open until `run tick` times it out. Steps
//! are completed by a different person each, acting for their first department (a step
//! signed by all of several departments: once per department, by a different person each), at
//! the step's earliest time when it has one, with every check ticked and every required
//! field filled by type within its bounds; a decision taken from a record field gets its
//! outcome from the value entered there. Flows with several triggers are run from each, and
//! per-item flows for an item of their register; planned steps that others count back from
//! get a date.

mod common;
use common::{copy_dir, example_folders};

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use procdoc::spec::model::{FieldType, Procedure, Trigger, Within};
use serde_json::Value;

/// More completions than any example flow needs even with its loops taken once.
const MAX_COMPLETIONS: usize = 400;

/// What a run is made to do at a step the first time it reaches it.
#[derive(Debug, Clone, PartialEq)]
enum Take {
    /// The decision's outcomes with these indices (one, or several on `multiple: true`).
    Outcomes(Vec<usize>),
    /// Nothing: the step is left open until `run tick` takes its timeout.
    Timeout,
}

/// The key of a timeout among a step's outcomes in the coverage sets.
const TIMEOUT: usize = usize::MAX;

/// A step and what a run is made to do there (`None`: any way to an end).
type Scenario = Option<(String, Take)>;

/// The far moment `run tick` is given to take a forced timeout: it is recorded at the moment
/// it fell due, whatever its length.
const TICK_AT: &str = "2036-01-01T00:00:00+00:00";

/// The date given to planned steps: about a month after the runs' clock.
const PLAN_DATE: &str = "2026-12-21";

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

/// `--item KEY --period FIRST-DAY` of the most recent item x period of a per-item flow that
/// `run due` lists without a run.
fn unrun_period(qms: &Path, doc: &str, flow: &str) -> Vec<String> {
    let args = ["due", "--doc", doc, "--format", "json"].map(String::from);
    let (code, out, err) = run(qms, &args);
    assert_eq!(code, 0, "{err}");
    let due: Value = serde_json::from_str(&out).unwrap();
    let flow = due
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["flow"] == flow)
        .unwrap();
    let last = flow["missing"]
        .as_array()
        .unwrap()
        .last()
        .unwrap_or_else(|| panic!("{doc} {flow}: no item x period without a run left"));
    vec![
        "--item".to_string(),
        last["item"].as_str().unwrap().to_string(),
        "--period".to_string(),
        last["key"].as_str().unwrap().to_string(),
    ]
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
        FieldType::Number => {
            // Inside `min`/`max`: the runner refuses values outside them.
            let mut v = field.min.unwrap_or(1.0);
            if let Some(max) = field.max {
                v = v.min(max);
            }
            format!("{v}")
        }
        FieldType::Date => "2026-11-24".into(),
        FieldType::Datetime => "2026-11-24 10:00".into(),
        FieldType::Choice | FieldType::Multichoice => first_option(),
        FieldType::Checkbox => "yes".into(),
        FieldType::Table => vec!["x"; field.columns.len().max(1)].join("|"),
        _ => "filled in".into(),
    }
}

/// `--field` arguments for the required fields of the records a step produces, but `skip`
/// (the field a decision is taken from, given apart).
fn required_fields(
    docs: &[Procedure],
    doc: &Procedure,
    produces: &[String],
    skip: Option<&str>,
) -> Vec<String> {
    let mut args = Vec::new();
    for name in produces {
        let (owner, record) = match name.split_once('#') {
            Some((d, r)) => (docs.iter().find(|p| p.id == d).unwrap(), r),
            None => (doc, name.as_str()),
        };
        let record = owner.records.iter().find(|r| r.id == record).unwrap();
        // A field that says `value: item.COLUMN` is filled from the run's item, and no
        // other value is accepted for it.
        let from_item = |f: &procdoc::spec::model::Field| {
            f.value
                .as_deref()
                .is_some_and(|v| v.trim().starts_with("item."))
        };
        for field in record.fields.iter().filter(|f| f.required && !from_item(f)) {
            if skip == Some(format!("{name}.{}", field.id).as_str()) {
                continue;
            }
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
    forced: Option<(&str, &Take)>,
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
        let iteration = step["iterations"].as_array().map(Vec::len).unwrap_or(1);
        let earliest = step["iterations"]
            .as_array()
            .and_then(|its| its.last())
            .and_then(|it| it["earliest"]["iso"].as_str())
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap());
        clock = clock.max(earliest);
        let this_time = forced.filter(|(step, _)| *step == id && !forced_used);
        if let Some((_, Take::Timeout)) = this_time {
            forced_used = true;
            let (code, stdout, stderr) = run(
                qms.dir.path(),
                &["tick".into(), "--at".into(), TICK_AT.into()],
            );
            assert_eq!(code, 0, "{reference}: tick\n{stdout}{stderr}");
            assert!(
                stdout.contains("1 timeout(s) recorded"),
                "{reference}: {id}: {stdout}"
            );
            // The run goes on from the moment the timeout fell due.
            let after = show(qms.dir.path(), reference);
            let closed = after["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == id)
                .and_then(|s| s["iterations"].as_array()?.last().cloned())
                .unwrap();
            assert_eq!(
                closed["completed"]["timed_out"], true,
                "{reference}: {closed}"
            );
            let at = closed["completed"]["at"]["iso"].as_str().unwrap();
            clock = clock.max(Some(chrono::DateTime::parse_from_rfc3339(at).unwrap()));
            taken.insert((flow_id.clone(), id.to_string(), TIMEOUT));
            continue;
        }
        let mut args: Vec<String> = vec!["done".into(), reference.into(), id.into()];
        if let Some(at) = clock {
            args.extend(["--at".into(), at.to_rfc3339()]);
        }
        if !spec_step.check.is_empty() {
            args.extend(["--check".into(), "all".into()]);
        }
        let mut on_field = None;
        if let Some(decision) = &spec_step.decision {
            let choices = match this_time {
                Some((_, Take::Outcomes(outcomes))) => {
                    forced_used = true;
                    outcomes.clone()
                }
                _ => {
                    // Head for the scenario's step while it is still ahead, else for an
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
                    vec![
                        goal.and_then(|g| pick(&[g]))
                            .or_else(|| pick(&exits))
                            .unwrap_or(0),
                    ]
                }
            };
            for &choice in &choices {
                taken.insert((flow_id.clone(), id.to_string(), choice));
                let label = decision.outcomes[choice].when.variants()[0].to_string();
                match &decision.on {
                    // Taken from the value entered in the field, not chosen.
                    Some(field) => args.extend(["--field".into(), format!("{field}={label}")]),
                    None => args.extend(["--outcome".into(), label]),
                }
            }
            on_field = decision.on.as_deref();
        }
        args.extend(required_fields(
            &qms.docs,
            doc,
            &spec_step.produces.0,
            on_field,
        ));
        // One signature per department on a step signed by all of them, each by another
        // person; else one, for the first department when there is a choice.
        let signers: Vec<Option<&String>> = if spec_step.by.joint {
            spec_step.by.0.iter().map(Some).collect()
        } else if spec_step.by.len() > 1 {
            vec![Some(&spec_step.by.0[0])]
        } else {
            vec![None]
        };
        for dept in signers {
            let mut signed = args.clone();
            let who = match dept {
                Some(d) => format!("person-{id}-{iteration}-{d}"),
                None => format!("person-{id}-{iteration}"),
            };
            signed.extend(["--by".into(), who]);
            if let Some(d) = dept {
                signed.extend(["--as".into(), d.clone()]);
            }
            let (code, stdout, stderr) = run(qms.dir.path(), &signed);
            assert_eq!(code, 0, "{reference}: {signed:?}\n{stdout}{stderr}");
        }
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
                let mut scenarios: Vec<Scenario> = vec![None];
                for step in flow.steps.iter().filter(|s| s.end.is_some()) {
                    ends_expected.insert((doc.id.clone(), flow.id.clone(), step.id.clone()));
                }
                for step in &flow.steps {
                    if let Some(decision) = &step.decision {
                        for o in 0..decision.outcomes.len() {
                            expected.insert((flow.id.clone(), step.id.clone(), o));
                            scenarios.push(Some((step.id.clone(), Take::Outcomes(vec![o]))));
                        }
                        if decision.multiple {
                            let all = (0..decision.outcomes.len()).collect();
                            scenarios.push(Some((step.id.clone(), Take::Outcomes(all))));
                        }
                    }
                    if step.timeout.is_some() {
                        expected.insert((flow.id.clone(), step.id.clone(), TIMEOUT));
                        scenarios.push(Some((step.id.clone(), Take::Timeout)));
                    }
                }
                // Planned steps that others count back from get a date a month ahead.
                let planned: Vec<String> = flow
                    .steps
                    .iter()
                    .filter(|s| s.planned)
                    .filter(|p| {
                        flow.steps.iter().any(|s| {
                            [&s.within, &s.after].into_iter().flatten().any(|w| {
                                matches!(w, Within::Rule(r) if r.before.as_deref() == Some(&p.id))
                            })
                        })
                    })
                    .flat_map(|p| ["--plan".to_string(), format!("{}={PLAN_DATE}", p.id)])
                    .collect();
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
                        // The item is replaced below by one item x period without a run.
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
                    // One run per item and period: each run of a per-item flow takes an
                    // item x period `run due` still lists.
                    let start_args = if matches!(flow.trigger, Some(Trigger::ForEach(_))) {
                        unrun_period(qms.dir.path(), &doc.id, &flow.id)
                    } else {
                        start_args
                    };
                    args.extend(start_args);
                    args.extend(planned.iter().cloned());
                    let (code, _, stderr) = run(qms.dir.path(), &args);
                    assert_eq!(code, 0, "{example} {} {}: {stderr}", doc.id, flow.id);
                    let forced = scenario.as_ref().map(|(s, take)| (s.as_str(), take));
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
    kestrel => "kestrel",
}

/// A new example folder must be added to the list above too.
#[test]
fn every_example_is_covered() {
    let mut covered: Vec<String> = COVERED.iter().map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(example_folders(), covered);
}
