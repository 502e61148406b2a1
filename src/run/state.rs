//! A run's events and the state they replay to: the flow marking from the shared semantics
//! ([`crate::flow::semantics`]) plus each step's history of iterations, and what follows
//! from it: step states, deadlines and the summary the store lists.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attachments::Attachment;
use super::audit::Event;
use super::clock;
use super::engine::Spec;
use super::planned::PlannedAt;
use super::store::{OpenStep, Status, Summary};
use crate::flow::semantics::{FireError, Marking};
use crate::spec::model::SignatureMeaning;
use crate::spec::text::Text;

/// Which run started this one, and from which step and iteration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    pub run: String,
    pub step: String,
    pub iteration: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Started {
    pub doc: String,
    pub flow: String,
    pub revision: String,
    pub fingerprint: String,
    pub snapshot: String,
    /// Planned dates given at start (`YYYY-MM-DD` by step id).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plan: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// For a flow with several triggers: the step id the run started at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// For a per-item recurring flow: the register item the run is for, with its columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<super::triggers::ItemPin>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Planned {
    pub step: String,
    pub date: String,
}

/// A check item left unticked on purpose, with the reason given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub item: usize,
    pub reason: String,
}

/// The completion of one step iteration: what the person signed for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Completion {
    pub step: String,
    pub iteration: u32,
    /// The department (of the step's `by`) the person acted for.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<String>,
    /// Decision outcome: its index in `decision.outcomes` and its primary label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_label: Option<String>,
    /// Every outcome taken, by index, for a decision with `multiple: true` (the first is
    /// `outcome`, and `outcome_label` lists their labels); empty for other steps, so events
    /// of other steps are stored (and hashed) as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<usize>,
    /// Ticked check items, numbered from 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<Waiver>,
    /// Record field values by `record.field`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Completed by the system when this child run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<String>,
    /// What the signer attested (the step's `signature:`); `None` in completions by the
    /// system and in events recorded before procdoc kept it, whose hashes stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureMeaning>,
    /// The signer's login when they signed in (the web, the API); `None` for a name typed
    /// at the command line and in events recorded before procdoc kept it, whose hashes stay
    /// as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Files attached as evidence, in the order given; absent from events without any, so
    /// that events recorded before procdoc kept files hash as they did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Called {
    pub step: String,
    pub iteration: u32,
    pub child: String,
}

/// Everything that can happen to a run, one event each.
#[derive(Debug, Clone)]
pub enum Change {
    Started(Started),
    Planned(Planned),
    Completed(Completion),
    Called(Called),
    TimedOut(super::timeouts::TimedOut),
    /// One department's signature on a step signed by all of several (`by: { all: [...] }`)
    /// while others are still to sign; the last signature is a `Completed`.
    Signed(Completion),
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Started(_) => "started",
            Change::Planned(_) => "planned",
            Change::Completed(_) => "completed",
            Change::Called(_) => "called",
            Change::TimedOut(_) => "timed-out",
            Change::Signed(_) => "signed",
        }
    }

    pub(super) fn data(&self) -> String {
        let value = match self {
            Change::Started(v) => serde_json::to_string(v),
            Change::Planned(v) => serde_json::to_string(v),
            Change::Completed(v) => serde_json::to_string(v),
            Change::Called(v) => serde_json::to_string(v),
            Change::TimedOut(v) => serde_json::to_string(v),
            Change::Signed(v) => serde_json::to_string(v),
        };
        value.unwrap_or_default()
    }

    pub fn read(e: &Event) -> Result<Change, String> {
        let bad = |err: serde_json::Error| format!("event #{} has unreadable values: {err}", e.n);
        Ok(match e.kind.as_str() {
            "started" => Change::Started(serde_json::from_str(&e.data).map_err(bad)?),
            "planned" => Change::Planned(serde_json::from_str(&e.data).map_err(bad)?),
            "completed" => Change::Completed(serde_json::from_str(&e.data).map_err(bad)?),
            "called" => Change::Called(serde_json::from_str(&e.data).map_err(bad)?),
            "timed-out" => Change::TimedOut(serde_json::from_str(&e.data).map_err(bad)?),
            "signed" => Change::Signed(serde_json::from_str(&e.data).map_err(bad)?),
            other => return Err(format!("event #{} has an unknown kind `{other}`", e.n)),
        })
    }
}

/// One time a step became active, and how that ended.
#[derive(Debug, Clone)]
pub struct Iteration {
    pub activated_at: DateTime<Utc>,
    pub completed: Option<Done>,
    /// The child run a `calls` step started.
    pub child: Option<String>,
    /// On a step signed by all of several departments: the signatures given so far in this
    /// iteration, oldest first (the last one is `completed`).
    pub signed: Vec<Done>,
}

#[derive(Debug, Clone)]
pub struct Done {
    /// The event that recorded it.
    pub event: u64,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub completion: Completion,
    /// Closed by its `timeout` (no signature, no record): `by` is `None` and the completion
    /// holds only the step and iteration.
    pub timed_out: bool,
}

#[derive(Debug, Clone)]
pub struct Ended {
    pub at: DateTime<Utc>,
    pub step: usize,
    pub outcome: Text,
}

/// A run's state: the flow marking plus each step's history.
#[derive(Debug, Clone)]
pub struct State {
    pub marking: Marking,
    /// Per step, every time it became active, oldest first.
    pub steps: Vec<Vec<Iteration>>,
    /// Planned dates by step index.
    pub plan: BTreeMap<usize, PlannedAt>,
    pub started: bool,
    pub started_at: DateTime<Utc>,
    pub started_by: Option<String>,
    pub parent: Option<ParentLink>,
    pub ended: Option<Ended>,
    /// The time of the latest event: a new one may not be earlier.
    pub last_at: DateTime<Utc>,
    /// The register item of a per-item run.
    pub item: Option<super::triggers::ItemPin>,
}

/// What an event changed that others must react to.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub activated: Vec<usize>,
    pub ended: bool,
}

/// How a step stands in a run, as the checklist shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Done,
    Active,
    /// A `join: all` step holding some of its branches.
    Waiting,
    /// Not done, and no longer reachable in this run.
    Skipped,
    NotReached,
}

impl StepState {
    pub fn word(self) -> &'static str {
        match self {
            StepState::Done => "done",
            StepState::Active => "active",
            StepState::Waiting => "waiting",
            StepState::Skipped => "skipped",
            StepState::NotReached => "not reached",
        }
    }
}

impl State {
    pub(super) fn blank(spec: &Spec) -> State {
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        State {
            // A flow with several triggers started without one (a called flow) begins at
            // the first trigger's step.
            marking: spec
                .graph
                .starts
                .first()
                .map_or_else(|| spec.net.initial(), |&s| spec.net.initial_at(s)),
            steps: vec![Vec::new(); spec.graph.len()],
            plan: BTreeMap::new(),
            started: false,
            started_at: epoch,
            started_by: None,
            parent: None,
            ended: None,
            last_at: epoch,
            item: None,
        }
    }

    /// Replays a run's events.
    pub fn replay(spec: &Spec, events: &[Event]) -> Result<State, String> {
        let mut state = State::blank(spec);
        for e in events {
            let at = clock::read_stamp(&e.at)
                .ok_or_else(|| format!("event #{} has an unreadable time `{}`", e.n, e.at))?;
            let change = Change::read(e)?;
            state.apply(spec, e.n, at, e.by.clone(), &change)?;
        }
        if !state.started {
            return Err("it has no start event".to_string());
        }
        Ok(state)
    }

    pub fn is_active(&self, spec: &Spec, step: usize) -> bool {
        spec.net.is_active(&self.marking, step)
    }

    /// Applies one event. Errors mean the event does not fit the flow: a damaged store.
    pub fn apply(
        &mut self,
        spec: &Spec,
        n: u64,
        at: DateTime<Utc>,
        by: Option<String>,
        change: &Change,
    ) -> Result<Applied, String> {
        if !self.started && !matches!(change, Change::Started(_)) {
            return Err(format!("event #{n} comes before the run's start"));
        }
        self.last_at = self.last_at.max(at);
        let step_of = |id: &str| {
            spec.graph
                .index_of(id)
                .ok_or_else(|| format!("event #{n} names an unknown step `{id}`"))
        };
        match change {
            Change::Started(s) => {
                if self.started {
                    return Err(format!("event #{n} starts the run a second time"));
                }
                self.started = true;
                self.started_at = at;
                self.started_by = by;
                self.parent = s.parent.clone();
                self.item = s.item.clone();
                if let Some(start) = &s.start {
                    self.marking = spec.net.initial_at(step_of(start)?);
                }
                for (step, date) in &s.plan {
                    let date = PlannedAt::parse(date)
                        .map_err(|_| format!("event #{n} plans an unreadable date `{date}`"))?;
                    self.plan.insert(step_of(step)?, date);
                }
                let activated = spec.net.active(&self.marking);
                for &s in &activated {
                    self.steps[s].push(Iteration {
                        activated_at: at,
                        completed: None,
                        child: None,
                        signed: Vec::new(),
                    });
                }
                Ok(Applied {
                    activated,
                    ended: false,
                })
            }
            Change::Planned(p) => {
                let date = PlannedAt::parse(&p.date)
                    .map_err(|_| format!("event #{n} plans an unreadable date `{}`", p.date))?;
                self.plan.insert(step_of(&p.step)?, date);
                Ok(Applied::default())
            }
            Change::Called(c) => {
                let step = step_of(&c.step)?;
                let iteration = self.steps[step]
                    .last_mut()
                    .ok_or_else(|| format!("event #{n} calls from a step never reached"))?;
                iteration.child = Some(c.child.clone());
                Ok(Applied::default())
            }
            Change::TimedOut(t) => {
                let step = step_of(&t.step)?;
                self.time_out(spec, n, at, step, t)
            }
            Change::Signed(c) => {
                let step = step_of(&c.step)?;
                if !spec.net.is_active(&self.marking, step) {
                    return Err(format!(
                        "event #{n} signs `{}`, which was not active",
                        c.step
                    ));
                }
                let open = self.steps[step]
                    .iter_mut()
                    .rev()
                    .find(|i| i.completed.is_none())
                    .ok_or_else(|| format!("event #{n} signs `{}` twice", c.step))?;
                open.signed.push(Done {
                    event: n,
                    at,
                    by,
                    completion: c.clone(),
                    timed_out: false,
                });
                Ok(Applied::default())
            }
            Change::Completed(c) => {
                let step = step_of(&c.step)?;
                let choice = match c.outcome {
                    Some(_) if !c.outcomes.is_empty() => spec
                        .net
                        .choice_of_outcomes(step, &c.outcomes)
                        .ok_or_else(|| {
                            format!(
                                "event #{n} takes outcomes {:?} of `{}`, which it cannot take together",
                                c.outcomes, c.step
                            )
                        })?,
                    Some(o) => spec.net.choice_of_outcome(step, o).ok_or_else(|| {
                        format!(
                            "event #{n} takes outcome {o} of `{}`, which has none such",
                            c.step
                        )
                    })?,
                    None => 0,
                };
                let done = Done {
                    event: n,
                    at,
                    by,
                    completion: c.clone(),
                    timed_out: false,
                };
                let activated = self.close_and_fire(
                    spec,
                    step,
                    choice,
                    done,
                    ("completes", " without an outcome"),
                )?;
                let ended = self.marking.is_empty();
                if ended {
                    let outcome = match &spec.step(step).end {
                        Some(t) => t.clone(),
                        None => Text::Plain("ended".to_string()),
                    };
                    self.ended = Some(Ended { at, step, outcome });
                }
                Ok(Applied { activated, ended })
            }
        }
    }

    /// Closes the open iteration of `step` with `done` and fires the step with `choice`,
    /// opening an iteration on each step that became active (from `done.at`). `words` are
    /// the event's verb and what a missing choice means, for the error of an event that
    /// does not fit the run ("completes", "without an outcome").
    pub(super) fn close_and_fire(
        &mut self,
        spec: &Spec,
        step: usize,
        choice: usize,
        done: Done,
        words: (&str, &str),
    ) -> Result<Vec<usize>, String> {
        let (verb, no_choice) = words;
        let (n, at) = (done.event, done.at);
        let id = spec.step_id(step);
        let firing = spec
            .net
            .fire(&self.marking, step, choice)
            .map_err(|e| match e {
                FireError::NotActive => format!("event #{n} {verb} `{id}`, which was not active"),
                FireError::NoSuchChoice { .. } => format!("event #{n} {verb} `{id}`{no_choice}"),
            })?;
        let Some(open) = self.steps[step]
            .iter_mut()
            .rev()
            .find(|i| i.completed.is_none())
        else {
            return Err(format!("event #{n} {verb} `{id}` twice"));
        };
        open.completed = Some(done);
        self.marking = firing.marking;
        for &s in &firing.activated {
            self.steps[s].push(Iteration {
                activated_at: at,
                completed: None,
                child: None,
                signed: Vec::new(),
            });
        }
        Ok(firing.activated)
    }

    /// The latest completion of a step, if any.
    pub fn last_done(&self, step: usize) -> Option<&Done> {
        self.steps[step]
            .iter()
            .rev()
            .find_map(|i| i.completed.as_ref())
    }

    /// How each step stands. Steps not done, active or waiting are "not reached" while some
    /// active or waiting step can still lead to them, else "skipped".
    pub fn step_states(&self, spec: &Spec) -> Vec<StepState> {
        let n = spec.graph.len();
        let active = spec.net.active(&self.marking);
        let waiting = spec.net.waiting(&self.marking);
        let mut reachable = vec![false; n];
        let mut queue: VecDeque<usize> = active.iter().chain(&waiting).copied().collect();
        while let Some(s) = queue.pop_front() {
            for t in spec.graph.successors(s) {
                if !reachable[t] {
                    reachable[t] = true;
                    queue.push_back(t);
                }
            }
        }
        (0..n)
            .map(|s| {
                if active.contains(&s) {
                    StepState::Active
                } else if waiting.contains(&s) {
                    StepState::Waiting
                } else if self.last_done(s).is_some() {
                    StepState::Done
                } else if reachable[s] && self.ended.is_none() {
                    StepState::NotReached
                } else {
                    StepState::Skipped
                }
            })
            .collect()
    }
}

/// When an iteration of a step is due, by its `within` rule; `None` when the step has no
/// deadline or the moment it counts from has not come yet.
pub fn due(
    spec: &Spec,
    state: &State,
    step: usize,
    iteration: &Iteration,
) -> Option<DateTime<Utc>> {
    let s = spec.step(step);
    let Some(within) = &s.within else {
        // A planned step without a rule is due by the end of its planned day.
        return state
            .plan
            .get(&step)
            .filter(|_| s.planned)
            .and_then(|d| d.end_of_day(spec.tz()));
    };
    let time = within.time();
    if let Some(before) = within.before() {
        let planned = spec.graph.index_of(before)?;
        let date = state.plan.get(&planned)?;
        return Some(date.due_before(&spec.calendar, time));
    }
    match within.from() {
        Some("start") => Some(spec.calendar.add(state.started_at, time)),
        Some(from) => {
            let from = spec.graph.index_of(from)?;
            // The completion that preceded this iteration's own completion (or now).
            let until = iteration.completed.as_ref().map(|d| d.at);
            let done = state.steps[from]
                .iter()
                .filter_map(|i| i.completed.as_ref())
                .filter(|d| until.is_none_or(|u| d.at <= u))
                .map(|d| d.at)
                .max()?;
            Some(spec.calendar.add(done, time))
        }
        None => Some(spec.calendar.add(iteration.activated_at, time)),
    }
}

/// When the whole flow is due, by the flow's `within`.
pub fn flow_due(spec: &Spec, state: &State) -> Option<DateTime<Utc>> {
    spec.flow
        .within
        .map(|d| spec.calendar.add(state.started_at, d))
}

/// The summary columns the store keeps for listing and overdue queries.
pub fn summary(spec: &Spec, state: &State) -> Summary {
    let mut open = Vec::new();
    if state.ended.is_none() {
        let states = state.step_states(spec);
        for (step, st) in states.iter().enumerate() {
            let due = match st {
                StepState::Active => state.steps[step]
                    .last()
                    .and_then(|i| due(spec, state, step, i)),
                StepState::Waiting => None,
                _ => continue,
            };
            let depts: Vec<Option<String>> = if spec.step(step).by.is_empty() {
                vec![None]
            } else {
                super::joint::still_to_sign(spec, state, step)
                    .into_iter()
                    .map(Some)
                    .collect()
            };
            for dept in depts {
                open.push(OpenStep {
                    step: Some(spec.step_id(step).to_string()),
                    dept,
                    due: due.map(clock::stamp),
                });
            }
            if *st == StepState::Active {
                open.extend(super::timeouts::escalation_rows(spec, state, step));
            }
        }
        if let Some(due) = flow_due(spec, state) {
            open.push(OpenStep {
                step: None,
                dept: Some(spec.procedure.owner.clone()),
                due: Some(clock::stamp(due)),
            });
        }
    }
    Summary {
        status: if state.ended.is_some() {
            Status::Ended
        } else {
            Status::Open
        },
        outcome: state
            .ended
            .as_ref()
            .map(|e| spec.text(&e.outcome).to_string()),
        ended_at: state.ended.as_ref().map(|e| clock::stamp(e.at)),
        open,
        // The engine sets it from the events: the state does not keep entry times.
        entry_gap: None,
        changes_at: super::timeouts::changes_at(spec, state).map(clock::stamp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completion_recorded_before_signature_meanings_reads_and_writes_back_unchanged() {
        // The event hash covers the data as stored, so old events verify as long as they
        // are read without being rewritten; the meaning is simply absent.
        let old = r#"{"step":"inspect","iteration":1,"as":"QA","checked":[1,2]}"#;
        let read: Completion = serde_json::from_str(old).unwrap();
        assert_eq!(read.signature, None);
        assert_eq!(Change::Completed(read).data(), old);
        let new = Completion {
            step: "release".into(),
            iteration: 1,
            signature: Some(SignatureMeaning::Approved),
            ..Default::default()
        };
        assert_eq!(
            Change::Completed(new).data(),
            r#"{"step":"release","iteration":1,"signature":"approved"}"#
        );
    }
}
