//! Timeouts and escalations of open steps (`timeout:` and `escalate:` on a step).
//!
//! Both count from the moment the step's current iteration became active, on the company
//! calendar (working units follow its hours). A timeout is the step's extra exit in the flow
//! semantics ([`crate::flow::semantics::Net::timeout_choice`]): when it falls due the run
//! records a `timed-out` event stamped with the moment it fell due — not the moment it was
//! noticed — so the audit trail and the deadlines of the next step are the same whether it is
//! noticed by the next command on the run, `procdoc run tick` or the server's schedule.
//! An escalation changes nothing in the run; it is derived when the run is listed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{self, Live, RunError, Spec};
use super::state::{Applied, Completion, Done, Iteration, State};
use super::store::{OpenStep, Store};

/// The event of a step closed by its timeout. Its time is the moment the timeout fell due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedOut {
    pub step: String,
    /// The iteration of the step that timed out, counted from 1.
    pub iteration: u32,
    /// The step made active (`timeout.goto`), as the spec said when it happened.
    pub goto: String,
    /// The spec's `timeout.after` (`20 working days`), for the record.
    pub after: String,
}

/// The most timeouts one command takes on a run. Each moves time forward (a timeout is never
/// `immediately`, which the checker refuses), so only a flow looping through timeouts for
/// years of missed time reaches it; the rest is taken by the next command.
const MAX_PER_COMMAND: usize = 1000;

/// When the open iteration of `step` times out: its activation plus `timeout.after` on the
/// calendar (UTC). `None` when the step has no timeout or the iteration is closed.
pub fn timeout_due(spec: &Spec, step: usize, iteration: &Iteration) -> Option<DateTime<Utc>> {
    if iteration.completed.is_some() {
        return None;
    }
    let timeout = spec.step(step).timeout.as_ref()?;
    Some(spec.calendar.add(iteration.activated_at, timeout.after))
}

/// From when the open iteration of `step` is escalated, and to which departments (codes as
/// the spec writes them). `None` when the step has no `escalate` or the iteration is closed.
pub fn escalation_due(
    spec: &Spec,
    step: usize,
    iteration: &Iteration,
) -> Option<(DateTime<Utc>, Vec<String>)> {
    if iteration.completed.is_some() {
        return None;
    }
    let escalate = spec.step(step).escalate.as_ref()?;
    Some((
        spec.calendar.add(iteration.activated_at, escalate.after),
        escalate.to.iter().cloned().collect(),
    ))
}

/// Whether `step` is escalated at `now`: from when, and to which departments (codes as the
/// spec writes them). Only the open iteration of an active step of an open run is, once its
/// escalation moment has come; `None` otherwise.
pub fn escalated(
    spec: &Spec,
    state: &State,
    step: usize,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Vec<String>)> {
    if state.ended.is_some() || !state.is_active(spec, step) {
        return None;
    }
    state.steps[step]
        .last()
        .and_then(|it| escalation_due(spec, step, it))
        .filter(|(from, _)| *from <= now)
}

/// The store's summary rows for the escalation of active `step`: one per department of
/// `escalate.to` that is not already one of the step's own, without a deadline (an
/// escalation is not one). So `run list --dept`, the inbox and the digests find the step's
/// run for the escalated departments; whether it is escalated yet is judged from the run
/// itself, and the overdue list and the overview count only real deadlines.
pub(super) fn escalation_rows(spec: &Spec, state: &State, step: usize) -> Vec<OpenStep> {
    let Some((_, to)) = state.steps[step]
        .last()
        .and_then(|it| escalation_due(spec, step, it))
    else {
        return Vec::new();
    };
    let own = &spec.step(step).by;
    to.into_iter()
        .filter(|d| !own.iter().any(|o| o == d))
        .map(|dept| OpenStep {
            step: Some(spec.step_id(step).to_string()),
            dept: Some(dept),
            due: None,
        })
        .collect()
}

/// The earliest moment at which the run stands otherwise than now by time alone: a timeout
/// or an escalation of an active step falling due (UTC), whether before or after any `now`.
/// `None` for an ended run or one with neither. What the store keeps as
/// [`super::store::Summary::changes_at`], so that the views judging runs as they stand now
/// find by an index the few runs to replay.
pub fn changes_at(spec: &Spec, state: &State) -> Option<DateTime<Utc>> {
    if state.ended.is_some() {
        return None;
    }
    (0..spec.graph.len())
        .filter(|&s| state.is_active(spec, s))
        .filter_map(|s| {
            let it = state.steps[s]
                .iter()
                .rev()
                .find(|i| i.completed.is_none())?;
            let timeout = timeout_due(spec, s, it);
            let escalation = escalation_due(spec, s, it).map(|(at, _)| at);
            timeout.into_iter().chain(escalation).min()
        })
        .min()
}

/// The earliest timeout among the run's active steps that fell due by `now`: (step, moment).
pub fn next_due(spec: &Spec, state: &State, now: DateTime<Utc>) -> Option<(usize, DateTime<Utc>)> {
    if state.ended.is_some() {
        return None;
    }
    spec.net
        .active(&state.marking)
        .into_iter()
        .filter(|&s| spec.net.timeout_choice(s).is_some())
        .filter_map(|s| {
            let it = state.steps[s]
                .iter()
                .rev()
                .find(|i| i.completed.is_none())?;
            Some((s, timeout_due(spec, s, it)?))
        })
        .filter(|&(_, due)| due <= now)
        .min_by_key(|&(s, due)| (due, s))
}

/// The next timeout to take on a run at `now`: the step, the moment to record it at (when it
/// fell due, never before an event already in the run, as the chain's times only go
/// forward) and its event. The one rule both [`take_due`] (which records it) and [`as_of`]
/// (which only shows it) follow.
fn next_event(
    spec: &Spec,
    state: &State,
    now: DateTime<Utc>,
) -> Option<(usize, DateTime<Utc>, TimedOut)> {
    let (step, due) = next_due(spec, state, now)?;
    let s = spec.step(step);
    let timeout = s.timeout.as_ref()?;
    let event = TimedOut {
        step: s.id.clone(),
        iteration: u32::try_from(state.steps[step].len()).unwrap_or(u32::MAX),
        goto: timeout.goto.clone(),
        after: timeout.after.to_string(),
    };
    Some((step, due.max(state.last_at), event))
}

/// A timeout that fell due but is not recorded yet (no command has run on the run since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub step: usize,
    /// The moment it fell due, as it will be recorded (UTC).
    pub at: DateTime<Utc>,
    /// The event number it is given in the projected state (after the run's last event).
    pub event: u64,
}

/// The run as it stands at `now`, for the views that only read it (`run show`, `run list`,
/// the inbox, the web pages): `state` with every timeout that fell due by `now` applied in
/// memory, exactly as the next writing command will record it ([`take_due`]), and the
/// timeouts so applied, earliest first. `last_event` is the number of the run's last
/// recorded event. Nothing is written; a step a timeout makes active that calls another
/// flow shows without its child run, which only the recording starts. Errors mean the
/// run's events do not fit the flow (a damaged store).
pub fn as_of(
    spec: &Spec,
    state: &State,
    last_event: u64,
    now: DateTime<Utc>,
) -> Result<(State, Vec<Pending>), String> {
    let mut state = state.clone();
    let mut pending = Vec::new();
    while pending.len() < MAX_PER_COMMAND {
        let Some((step, at, event)) = next_event(spec, &state, now) else {
            break;
        };
        let n = last_event + 1 + pending.len() as u64;
        state.apply(spec, n, at, None, &super::state::Change::TimedOut(event))?;
        pending.push(Pending { step, at, event: n });
    }
    Ok((state, pending))
}

/// The earliest moment after `now` at which a timeout of the run falls due (as the run
/// stands, without the ones it would lead to): until then a view of it stays true.
pub fn next_change(spec: &Spec, state: &State, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if state.ended.is_some() {
        return None;
    }
    spec.net
        .active(&state.marking)
        .into_iter()
        .filter_map(|s| timeout_due(spec, s, state.steps[s].last()?))
        .filter(|&due| due > now)
        .min()
}

/// Takes every timeout of the run that fell due by `now`, earliest first (a step made active
/// by one may time out in turn), each recorded at the moment it fell due. Returns one note
/// per timeout taken, for the command's output. Called on a run opened for change, before
/// the command's own event, so that the command sees the run as it stands at `now`.
pub fn take_due(
    store: &mut dyn Store,
    live: &mut Live,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<usize, RunError> {
    let mut taken = 0;
    while taken < MAX_PER_COMMAND {
        let spec = live.spec()?;
        let Some((_, at, event)) = next_event(&spec, &live.state, now) else {
            break;
        };
        let tz = spec.tz();
        drop(spec);
        let (id, after, goto) = (event.step.clone(), event.after.clone(), event.goto.clone());
        let place = notes.len();
        engine::record_system(
            store,
            live,
            at,
            super::state::Change::TimedOut(event),
            notes,
        )?;
        // The step the timeout leads to may still wait at a join for other branches.
        let spec = live.spec()?;
        let next = match spec.graph.index_of(&goto) {
            Some(g) if !spec.net.is_active(&live.state.marking, g) => {
                let missing: Vec<&str> = spec
                    .net
                    .missing_inputs(&live.state.marking, g)
                    .into_iter()
                    .map(|p| spec.step_id(p))
                    .collect();
                format!("{goto} is waiting for {}", missing.join(", "))
            }
            _ => format!("{goto} is active"),
        };
        notes.insert(
            place,
            format!(
                "step {id} timed out at {} (no answer within {after}); {next}",
                super::clock::show(at, tz)
            ),
        );
        taken += 1;
    }
    Ok(taken)
}

impl State {
    /// Applies a `timed-out` event: the step's open iteration closes without a signature and
    /// its timeout exit fires. Errors mean the event does not fit the flow (a damaged store).
    pub(super) fn time_out(
        &mut self,
        spec: &Spec,
        n: u64,
        at: DateTime<Utc>,
        step: usize,
        t: &TimedOut,
    ) -> Result<Applied, String> {
        let choice = spec
            .net
            .timeout_choice(step)
            .ok_or_else(|| format!("event #{n} times out `{}`, which has no timeout", t.step))?;
        let done = Done {
            event: n,
            at,
            by: None,
            completion: Completion {
                step: t.step.clone(),
                iteration: t.iteration,
                ..Completion::default()
            },
            timed_out: true,
        };
        let activated = self.close_and_fire(
            spec,
            step,
            choice,
            done,
            ("times out", ", which has no timeout"),
        )?;
        Ok(Applied {
            activated,
            ended: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::engine::Snapshot;
    use chrono::TimeZone;

    fn snapshot() -> Snapshot {
        let dir = std::path::Path::new("tests/fixtures/run/supplier-timeout");
        let (qms, _) = crate::spec::load::load(dir).unwrap();
        let settings = qms.settings.clone().unwrap();
        Snapshot::take(&qms, &settings, "QP-08").unwrap()
    }

    /// Europe/London in March 2026 is UTC (summer time starts on the 29th).
    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap()
    }

    fn open_since(at: DateTime<Utc>) -> Iteration {
        Iteration {
            activated_at: at,
            completed: None,
            child: None,
            signed: Vec::new(),
        }
    }

    #[test]
    fn a_timeout_falls_due_after_its_working_days_skipping_weekends_and_holidays() {
        let snapshot = snapshot();
        let spec = Spec::new(&snapshot, "QP-08", "ncr").unwrap();
        let step = spec.graph.index_of("ask-supplier").unwrap();
        // Friday 15:00 + 10 working days: two weekends and the holiday on Tuesday 17th.
        let it = open_since(utc(6, 15, 0));
        assert_eq!(timeout_due(&spec, step, &it), Some(utc(23, 15, 0)));
        // + 5 working days: the Friday after, no holiday on the way.
        let (from, to) = escalation_due(&spec, step, &it).unwrap();
        assert_eq!(from, utc(13, 15, 0));
        assert_eq!(to, ["PUR", "GM"]);
    }

    #[test]
    fn activated_outside_working_hours_the_count_starts_with_the_next_working_moment() {
        let snapshot = snapshot();
        let spec = Spec::new(&snapshot, "QP-08", "ncr").unwrap();
        let step = spec.graph.index_of("ask-supplier").unwrap();
        // Saturday: the same as from the start of Monday's hours.
        let saturday = timeout_due(&spec, step, &open_since(utc(7, 10, 0)));
        let monday = timeout_due(&spec, step, &open_since(utc(9, 8, 0)));
        assert_eq!(saturday, monday);
    }

    #[test]
    fn a_closed_iteration_or_a_step_without_timeout_has_no_due_moment() {
        let snapshot = snapshot();
        let spec = Spec::new(&snapshot, "QP-08", "ncr").unwrap();
        let step = spec.graph.index_of("ask-supplier").unwrap();
        let mut it = open_since(utc(6, 15, 0));
        it.completed = Some(Done {
            event: 3,
            at: utc(9, 9, 0),
            by: Some("Sam".into()),
            completion: Completion::default(),
            timed_out: false,
        });
        assert_eq!(timeout_due(&spec, step, &it), None);
        assert_eq!(escalation_due(&spec, step, &it), None);
        let hold = spec.graph.index_of("hold").unwrap();
        assert_eq!(timeout_due(&spec, hold, &open_since(utc(6, 15, 0))), None);
    }

    #[test]
    fn the_timeout_is_the_last_choice_of_the_step_and_leads_to_goto() {
        let snapshot = snapshot();
        let spec = Spec::new(&snapshot, "QP-08", "ncr").unwrap();
        let ask = spec.graph.index_of("ask-supplier").unwrap();
        let hold = spec.graph.index_of("hold").unwrap();
        assert_eq!(spec.net.choices(ask), 2);
        assert_eq!(spec.net.timeout_choice(ask), Some(1));
        let mut state = State::blank(&spec);
        state.started = true;
        state.marking = spec
            .net
            .fire(&state.marking, 0, 0)
            .expect("segregate is active")
            .marking;
        state.steps[ask].push(open_since(utc(6, 15, 0)));
        assert_eq!(escalated(&spec, &state, ask, utc(13, 14, 59)), None);
        assert_eq!(
            escalated(&spec, &state, ask, utc(13, 15, 0)),
            Some((utc(13, 15, 0), vec!["PUR".to_string(), "GM".to_string()]))
        );
        assert_eq!(next_due(&spec, &state, utc(23, 14, 59)), None);
        assert_eq!(
            next_due(&spec, &state, utc(24, 9, 0)),
            Some((ask, utc(23, 15, 0)))
        );
        let event = TimedOut {
            step: "ask-supplier".into(),
            iteration: 1,
            goto: "hold".into(),
            after: "10 working days".into(),
        };
        let applied = state
            .time_out(&spec, 3, utc(23, 15, 0), ask, &event)
            .unwrap();
        assert_eq!(applied.activated, [hold]);
        assert!(state.steps[ask][0].completed.as_ref().unwrap().timed_out);
        assert_eq!(state.steps[hold][0].activated_at, utc(23, 15, 0));
        // Closed by its timeout: no longer escalated to anybody.
        assert_eq!(escalated(&spec, &state, ask, utc(24, 9, 0)), None);
    }

    #[test]
    fn a_view_takes_in_memory_the_timeouts_a_command_would_record() {
        let snapshot = snapshot();
        let spec = Spec::new(&snapshot, "QP-08", "ncr").unwrap();
        let ask = spec.graph.index_of("ask-supplier").unwrap();
        let hold = spec.graph.index_of("hold").unwrap();
        let mut state = State::blank(&spec);
        state.started = true;
        state.marking = spec.net.fire(&state.marking, 0, 0).unwrap().marking;
        state.steps[ask].push(open_since(utc(6, 15, 0)));
        state.last_at = utc(6, 15, 0);
        // Not yet due: the run as it is, and the moment it will change.
        let (same, pending) = as_of(&spec, &state, 2, utc(23, 14, 59)).unwrap();
        assert!(pending.is_empty());
        assert!(same.is_active(&spec, ask));
        assert_eq!(
            next_change(&spec, &state, utc(23, 14, 59)),
            Some(utc(23, 15, 0))
        );
        // Due: taken at the moment it fell due, as event 3, without touching `state`.
        let (now, pending) = as_of(&spec, &state, 2, utc(24, 9, 0)).unwrap();
        assert_eq!(
            pending,
            [Pending {
                step: ask,
                at: utc(23, 15, 0),
                event: 3
            }]
        );
        assert!(now.is_active(&spec, hold) && !now.is_active(&spec, ask));
        let done = now.steps[ask][0].completed.as_ref().unwrap();
        assert!(done.timed_out && done.event == 3);
        assert!(state.is_active(&spec, ask));
    }
}
