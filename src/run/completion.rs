//! What completing a step demands, checked before anything is written: the step is active,
//! the person may sign it (`--as`, `not_by`), a decision has a valid outcome, every check
//! item is ticked or waived with a reason, and the produced records' fields are complete
//! and well typed.

use chrono::{DateTime, TimeZone, Utc};

use super::attachments::Upload;
use super::clock;
use super::engine::{Live, RunError, Spec, refused};
use super::field_outcome;
use super::fields;
use super::joint;
use super::planned::PlannedAt;
use super::state::{Completion, State, Waiver};

/// What `run done` asks for, as typed.
#[derive(Debug, Clone, Default)]
pub struct DoneRequest {
    pub step: String,
    /// The signer's printed name.
    pub by: String,
    /// The signer's login when they signed in (the web, the API); `None` for a name typed
    /// at the command line. `not_by` compares logins when both signatures have one.
    pub login: Option<String>,
    pub acting_for: Option<String>,
    pub outcome: Option<String>,
    /// Further outcomes (`--outcome` given more than once), for a decision with
    /// `multiple: true`; refused on any other step.
    pub further_outcomes: Vec<String>,
    /// `all` or item numbers `1,3`.
    pub check: Option<String>,
    pub waive: Option<String>,
    pub reason: Option<String>,
    /// `KEY=VALUE`.
    pub fields: Vec<String>,
    pub note: Option<String>,
    /// Files attached as evidence; the caller keeps their bytes in the store
    /// ([`super::attachments::Attachments`]) in the transaction that records the event.
    pub attachments: Vec<Upload>,
}

pub(super) fn validate(
    live: &Live,
    request: &DoneRequest,
    at: DateTime<Utc>,
) -> Result<Completion, RunError> {
    let spec = live.spec()?;
    let state = &live.state;
    let step = spec.find_step(&request.step).map_err(|e| e.about("step"))?;
    let s = spec.step(step);
    if let Some(ended) = &state.ended {
        return Err(refused(format!(
            "run {} has ended ({}) at {}: nothing more can be completed",
            live.row.reference,
            spec.text(&ended.outcome),
            clock::show(ended.at, spec.tz())
        )));
    }
    if !state.is_active(&spec, step) {
        return Err(refused(not_active(&spec, state, step)).about("step"));
    }
    let name = request.by.trim();
    if name.is_empty() {
        return Err(
            RunError::Usage("--by: give the name of the person who did the step".into())
                .about("by"),
        );
    }
    refuse_before_last(&spec, state, at)?;
    super::earliest::refuse_too_soon(&spec, state, step, at)?;
    // Each input is judged on its own, so that a refusal names every input that is wrong at
    // once (a form marks them all), not only the first.
    let mut wrong = Vec::new();
    let acting_for = if s.by.joint {
        kept(
            joint::acting_for(&spec, state, step, request.acting_for.as_deref())
                .map(Some)
                .map_err(|e| e.about("as")),
            &mut wrong,
        )
    } else {
        kept(
            acting_for(&spec, step, request.acting_for.as_deref()).map_err(|e| e.about("as")),
            &mut wrong,
        )
    };
    kept(
        separation_of_duties(&spec, state, step, name, request.login.as_deref())
            .map_err(|e| e.about("by")),
        &mut wrong,
    );
    if s.by.joint {
        kept(
            joint::one_department_each(&spec, state, step, name, request.login.as_deref())
                .map_err(|e| e.about("by")),
            &mut wrong,
        );
        let signs_for = acting_for.clone().flatten();
        if let Some(code) = signs_for.filter(|c| joint::leaves_others(&spec, state, step, c)) {
            kept(
                only_a_signature(&spec, state, step, &code, request),
                &mut wrong,
            );
            if !wrong.is_empty() {
                return Err(all_of(wrong));
            }
            return Ok(Completion {
                step: s.id.clone(),
                iteration: u32::try_from(state.steps[step].len()).unwrap_or(u32::MAX),
                acting_for: Some(code),
                note: entered_note(request),
                signature: Some(s.signature_meaning()),
                login: request.login.clone(),
                attachments: request
                    .attachments
                    .iter()
                    .map(|u| u.attachment.clone())
                    .collect(),
                ..Default::default()
            });
        }
    }
    let from_field = s.decision.as_ref().is_some_and(|d| d.on.is_some());
    let outcome = if from_field {
        None
    } else {
        kept(
            super::choices::outcomes(
                &spec,
                step,
                request.outcome.as_deref(),
                &request.further_outcomes,
            )
            .and_then(|chosen| match chosen {
                Some(chosen) => Ok(chosen),
                None => outcome(&spec, step, request.outcome.as_deref())
                    .map(|(o, label)| (o, label, Vec::new())),
            })
            .map_err(|e| e.about("outcome")),
            &mut wrong,
        )
    };
    let checks = kept(checks(&spec, step, request), &mut wrong);
    let produced = spec.produced(step);
    kept(
        super::triggers::check_item_fields(&produced, state.item.as_ref(), &request.fields),
        &mut wrong,
    );
    let mut raw_fields = request.fields.clone();
    raw_fields.extend(super::triggers::item_fields(
        &produced,
        state.item.as_ref(),
        &request.fields,
    ));
    let fields = kept(
        fields::collect(&produced, &raw_fields, spec.tz(), spec.lang()),
        &mut wrong,
    );
    let outcome = match (&fields, from_field) {
        (Some(values), true) => kept(
            field_outcome::decide(&spec, step, &produced, values, request.outcome.as_deref())
                .map(|(o, label)| (o, label, Vec::new()))
                .map_err(|e| e.about("outcome")),
            &mut wrong,
        ),
        _ => outcome,
    };
    let (
        Some(acting_for),
        Some((outcome, outcome_label, outcomes)),
        Some((checked, waived)),
        Some(fields),
    ) = (acting_for, outcome, checks, fields)
    else {
        return Err(all_of(wrong));
    };
    if !wrong.is_empty() {
        return Err(all_of(wrong));
    }
    let note = entered_note(request);
    Ok(Completion {
        step: s.id.clone(),
        iteration: u32::try_from(state.steps[step].len()).unwrap_or(u32::MAX),
        acting_for,
        outcome,
        outcome_label,
        outcomes,
        checked,
        waived,
        fields,
        note,
        child: None,
        signature: Some(s.signature_meaning()),
        login: request.login.clone(),
        attachments: request
            .attachments
            .iter()
            .map(|u| u.attachment.clone())
            .collect(),
    })
}

fn entered_note(request: &DoneRequest) -> Option<String> {
    request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// A signature on a joint step that others must still sign carries no ticks, fields or
/// outcome: those are entered with the last signature, which completes the step.
fn only_a_signature(
    spec: &Spec,
    state: &State,
    step: usize,
    code: &str,
    request: &DoneRequest,
) -> Result<(), RunError> {
    let given = |o: &Option<String>| o.as_deref().is_some_and(|v| !v.trim().is_empty());
    // Each input given, with the option the command line gives it with.
    let mut extra = Vec::new();
    if given(&request.check) || given(&request.waive) {
        extra.push(("check", "--check/--waive"));
    }
    if !request.fields.is_empty() {
        extra.push(("fields", "--field"));
    }
    if given(&request.outcome) {
        extra.push(("outcome", "--outcome"));
    }
    if extra.is_empty() {
        return Ok(());
    }
    let after: Vec<String> = joint::still_to_sign(spec, state, step)
        .into_iter()
        .filter(|c| c != code)
        .collect();
    let why = format!(
        "this signature for {code} leaves step {} to be signed by {}: the check items, record fields and outcome are entered with the last signature",
        spec.step_id(step),
        after.join(", "),
    );
    let options: Vec<&str> = extra.iter().map(|(_, option)| *option).collect();
    Err(RunError::Inputs {
        inputs: extra
            .iter()
            .map(|(input, _)| (input.to_string(), format!("{why}; leave this empty")))
            .collect(),
        error: Box::new(refused(format!("{why}; drop {}", options.join(", ")))),
    })
}

/// The value of `result`, or `None` with its error added to `wrong`.
fn kept<T>(result: Result<T, RunError>, wrong: &mut Vec<RunError>) -> Option<T> {
    result.map_err(|e| wrong.push(e)).ok()
}

/// One error of several about inputs: every input each named, the messages one after the
/// other, and the kind (refused or usage, hence the exit code) of the first.
fn all_of(mut wrong: Vec<RunError>) -> RunError {
    if wrong.len() <= 1 {
        return wrong
            .pop()
            .unwrap_or_else(|| RunError::Usage("the request was refused".into()));
    }
    let inputs = wrong
        .iter()
        .flat_map(|e| match e {
            RunError::Inputs { inputs, .. } => inputs.clone(),
            _ => Vec::new(),
        })
        .collect();
    let message = wrong
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let first = match wrong.swap_remove(0) {
        RunError::Inputs { error, .. } => *error,
        other => other,
    };
    let error = match first {
        RunError::Usage(_) => RunError::Usage(message),
        _ => RunError::Refused(message),
    };
    RunError::Inputs {
        inputs,
        error: Box::new(error),
    }
}

/// Why a step cannot be completed now, in the words the person needs.
fn not_active(spec: &Spec, state: &State, step: usize) -> String {
    let id = spec.step_id(step);
    let waiting = spec.net.waiting(&state.marking);
    if waiting.contains(&step) {
        let missing: Vec<&str> = spec
            .net
            .missing_inputs(&state.marking, step)
            .into_iter()
            .map(|s| spec.step_id(s))
            .collect();
        return format!(
            "step {id} is waiting for {} to be completed first (join: {})",
            missing.join(", "),
            if spec.net.is_inclusive(step) {
                "started"
            } else {
                "all"
            }
        );
    }
    if let Some(done) = state.last_done(step) {
        return format!(
            "step {id} is no longer active: completed by {} at {}",
            done.by.as_deref().unwrap_or("the system"),
            clock::show(done.at, spec.tz())
        );
    }
    let active: Vec<String> = spec
        .net
        .active(&state.marking)
        .into_iter()
        .map(|s| format!("{} ({})", spec.step_id(s), spec.by_text(s)))
        .collect();
    format!(
        "step {id} is not active: it has not been reached; active now: {}",
        if active.is_empty() {
            "none".to_string()
        } else {
            active.join(", ")
        }
    )
}

fn acting_for(spec: &Spec, step: usize, given: Option<&str>) -> Result<Option<String>, RunError> {
    let by: Vec<&String> = spec.step(step).by.iter().collect();
    match given.map(str::trim) {
        Some(code) => {
            if by.is_empty() || by.iter().any(|b| b.as_str() == code) {
                Ok(Some(code.to_string()))
            } else {
                Err(RunError::at(
                    "as",
                    format!(
                        "{code}: step {} is done by {}, so the person must act for one of them",
                        spec.step_id(step),
                        spec.by_text(step)
                    ),
                ))
            }
        }
        None => match by.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            several => Err(RunError::at(
                "as",
                format!(
                    "step {} may be completed for {}: say which",
                    spec.step_id(step),
                    several
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        },
    }
}

/// Whether a signature already given was given by the person now signing (`name`, and
/// `login` when signed in): two signed-in signatures are the same person when their logins
/// are; otherwise (a name typed at the command line on either side) when their printed names
/// are, ignoring case and surrounding spaces.
pub(super) fn same_signer(other: &super::engine::Done, name: &str, login: Option<&str>) -> bool {
    match (login, other.completion.login.as_deref()) {
        (Some(mine), Some(theirs)) => mine == theirs,
        _ => other
            .by
            .as_deref()
            .is_some_and(|o| o.trim().to_lowercase() == name.trim().to_lowercase()),
    }
}

/// `not_by`: the person who completed a named step may not complete this one (the same
/// person as [`same_signer`] tells).
fn separation_of_duties(
    spec: &Spec,
    state: &State,
    step: usize,
    name: &str,
    login: Option<&str>,
) -> Result<(), RunError> {
    let same = |other: &super::engine::Done| same_signer(other, name, login);
    for other in spec.step(step).not_by.iter() {
        let Some(o) = spec.graph.index_of(other) else {
            continue;
        };
        // On a step signed by several departments every signer counts, not only the last.
        if let Some(done) = state.steps[o]
            .iter()
            .flat_map(|i| i.signed.iter().chain(i.completed.as_ref()))
            .find(|d| same(d))
        {
            return Err(refused(format!(
                "{name} completed {other} at {}; step {} must be completed by someone else (not_by: {other})",
                clock::show(done.at, spec.tz()),
                spec.step_id(step)
            )));
        }
    }
    Ok(())
}

pub(super) fn outcome(
    spec: &Spec,
    step: usize,
    given: Option<&str>,
) -> Result<(Option<usize>, Option<String>), RunError> {
    let s = spec.step(step);
    let Some(decision) = &s.decision else {
        return match given {
            Some(label) => Err(RunError::at(
                "outcome",
                format!(
                    "step {} is not a decision: give no outcome (`{label}` given)",
                    s.id
                ),
            )),
            None => Ok((None, None)),
        };
    };
    let listing = || {
        decision
            .outcomes
            .iter()
            .map(|o| {
                let variants = o.when.variants();
                let primary = spec.text(&o.when);
                let others: Vec<&str> = variants.into_iter().filter(|v| *v != primary).collect();
                if others.is_empty() {
                    format!("`{primary}`")
                } else {
                    format!("`{primary}` ({})", others.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let question = decision
        .question
        .as_ref()
        .map(|q| format!(" ({})", spec.text(q)))
        .unwrap_or_default();
    let Some(label) = given else {
        return Err(RunError::at(
            "outcome",
            format!(
                "step {} is a decision{question}: give the outcome, one of {}",
                s.id,
                listing()
            ),
        ));
    };
    match decision.outcomes.iter().position(|o| o.when.matches(label)) {
        Some(i) if spec.net.choice_of_outcome(step, i).is_some() => Ok((
            Some(i),
            Some(spec.text(&decision.outcomes[i].when).to_string()),
        )),
        _ => Err(refused(format!(
            "`{label}` is not an outcome of step {}: one of {}",
            s.id,
            listing()
        ))),
    }
}

/// Item numbers as typed (`1,3`), each within `1..=count`; refused about `input`.
fn item_numbers(text: &str, count: usize, input: &str) -> Result<Vec<usize>, RunError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n: usize = part.parse().map_err(|_| {
            RunError::usage_at(
                input,
                format!("`{text}`: write `all` or item numbers such as `1,3`"),
            )
        })?;
        if n == 0 || n > count {
            return Err(RunError::at(
                input,
                format!("there is no check item {n} (the step has {count})"),
            ));
        }
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn checks(
    spec: &Spec,
    step: usize,
    request: &DoneRequest,
) -> Result<(Vec<usize>, Vec<Waiver>), RunError> {
    let items = &spec.step(step).check;
    let count = items.len();
    let checked = match request.check.as_deref().map(str::trim) {
        Some(all) if all.eq_ignore_ascii_case("all") => (1..=count).collect(),
        Some(list) => item_numbers(list, count, "check")?,
        None => Vec::new(),
    };
    let waived_items = match request.waive.as_deref() {
        Some(list) => item_numbers(list, count, "waive")?,
        None => Vec::new(),
    };
    let reason = request.reason.as_deref().map(str::trim).unwrap_or("");
    if !waived_items.is_empty() && reason.is_empty() {
        return Err(
            RunError::at("reason", "say why the waived item does not apply")
                .on_the_command_line("--waive needs --reason: say why the item does not apply"),
        );
    }
    if let Some(both) = waived_items.iter().find(|n| checked.contains(n)) {
        return Err(refused(format!("check item {both} is both ticked and waived")).about("waive"));
    }
    let missing: Vec<String> = (1..=count)
        .filter(|n| !checked.contains(n) && !waived_items.contains(n))
        .map(|n| format!("  {n}. {}", spec.text(&items[n - 1])))
        .collect();
    if !missing.is_empty() {
        return Err(RunError::at(
            "check",
            format!(
                "step {} has unticked check items; tick them, or waive them with a reason:\n{}",
                spec.step_id(step),
                missing.join("\n")
            ),
        )
        .on_the_command_line(format!(
            "step {} has unticked check items; tick them with --check (or --check all), or waive them with --waive N --reason TEXT:\n{}",
            spec.step_id(step),
            missing.join("\n")
        )));
    }
    let waived = waived_items
        .into_iter()
        .map(|item| Waiver {
            item,
            reason: reason.to_string(),
        })
        .collect();
    Ok((checked, waived))
}

/// Refuses an entry stated at `at` before the run's last recorded event: events are
/// recorded in order, and one stated earlier would be recorded at another time than stated.
pub(super) fn refuse_before_last(
    spec: &Spec,
    state: &State,
    at: DateTime<Utc>,
) -> Result<(), RunError> {
    if at < state.last_at {
        return Err(refused(format!(
            "--at {} is before the run's last recorded event ({}): events are recorded in order",
            clock::show(at, spec.tz()),
            clock::show(state.last_at, spec.tz())
        ))
        .about("at"));
    }
    Ok(())
}

/// Reads `STEP` and `DATE` of a planned date ([`PlannedAt::parse`]: a date, or a date and
/// time on the office clock): the step must be marked `planned: true`.
/// Refused besides: a date before the moment it is planned (`now`), and a time the office
/// clock skips or shows twice (daylight saving).
pub(super) fn planned_date(
    spec: &Spec,
    step: &str,
    date: &str,
    now: DateTime<Utc>,
) -> Result<(usize, PlannedAt), RunError> {
    let index = spec.find_step(step).map_err(|e| e.about("step"))?;
    if !spec.step(index).planned {
        let planned: Vec<&str> = spec
            .flow
            .steps
            .iter()
            .filter(|s| s.planned)
            .map(|s| s.id.as_str())
            .collect();
        return Err(refused(format!(
            "step {step} is not a planned step; {}",
            if planned.is_empty() {
                format!("flow `{}` has none (`planned: true`)", spec.flow.id)
            } else {
                format!("planned steps: {}", planned.join(", "))
            }
        ))
        .about("step"));
    }
    let date = PlannedAt::parse(date).map_err(|_| {
        RunError::Usage(format!(
            "planned date `{}` of {step}: write {}",
            date.trim(),
            super::planned::SHAPES
        ))
        .about("date")
    })?;
    // A step is planned ahead: a date before the day it is planned on (the command's moment,
    // as stated) would make it overdue from the start, and is a slip of the keyboard.
    let today = clock::local_date(now, spec.tz());
    let past_time =
        matches!(date, PlannedAt::At(at) if clock::on_office_clock(at, spec.tz()) < now);
    if date.day() < today || past_time {
        return Err(RunError::Usage(format!(
            "planned date {} of {step} is before the moment it is planned ({}): a planned step takes place after it is planned",
            date.stored(),
            clock::show(now, spec.tz())
        ))
        .about("date"));
    }
    if let PlannedAt::At(at) = date {
        // The office clock skips an hour when the clocks go forward, and shows one twice
        // when they go back: a planned time in either names no single moment.
        let change = match spec.tz().from_local_datetime(&at) {
            chrono::LocalResult::None => Some(("does not exist", "the clocks are put forward")),
            chrono::LocalResult::Ambiguous(..) => Some(("is shown twice", "the clocks go back")),
            chrono::LocalResult::Single(_) => None,
        };
        if let Some((what, why)) = change {
            return Err(RunError::Usage(format!(
                "planned time {} of {step} {what} on the office clock ({}): {why} then; give a time before or after the change",
                date.stored(),
                spec.tz()
            ))
            .about("date"));
        }
    }
    Ok((index, date))
}
