//! Earliest times (`after`): the steps they name exist and come first as for `within`, and a
//! step's window between its earliest time and its deadline can open at all.

use super::codes;
use super::diagnostic::Diagnostic;
use super::settings::did_you_mean;
use super::{Context, DocView, step_path};
use crate::run::calendar::Calendar;
use crate::spec::duration::{Duration, Unit};
use crate::spec::model::Within;

/// The moment a `within` or `after` counts from.
#[derive(Debug, PartialEq, Eq)]
enum Basis<'a> {
    /// The step's own activation.
    Activation,
    /// The completion of a step, or `start`.
    From(&'a str),
    /// Counted back from a planned step's date.
    Before(&'a str),
}

fn basis(w: &Within) -> Basis<'_> {
    match (w.from(), w.before()) {
        (Some(from), _) => Basis::From(from),
        (None, Some(before)) => Basis::Before(before),
        (None, None) => Basis::Activation,
    }
}

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, graph) in view.graphs.iter().enumerate() {
        let step_ids: Vec<String> = graph.flow.steps.iter().map(|s| s.id.clone()).collect();
        for (s, step) in graph.flow.steps.iter().enumerate() {
            let Some(after) = &step.after else {
                continue;
            };
            let sp = step_path(f, s);
            if step.calls.is_some() {
                out.push(
                    Diagnostic::new(
                        &codes::EARLIEST_ON_CALL,
                        cx.at(file, &format!("{sp}.after")),
                        format!(
                            "step `{}` runs another flow and is completed when that run ends, so it cannot wait for an earliest time",
                            step.id
                        ),
                    )
                    .label(cx.key(file, &format!("{sp}.calls")), "completed by the called run")
                    .hint("put `after` on a step of the called flow, or on the step after this one"),
                );
            }
            let mut referenced = true;
            if let Some(from) = after.from()
                && from != "start"
            {
                match graph.index_of(from) {
                    None => {
                        referenced = false;
                        out.push(
                            Diagnostic::new(
                                &codes::UNKNOWN_STEP,
                                cx.at(file, &format!("{sp}.after.from")),
                                format!("flow `{}` has no step `{from}`", graph.flow.id),
                            )
                            .maybe_hint(did_you_mean(from, &step_ids)),
                        );
                    }
                    Some(other) if !graph.precedes_on_every_path(other, s) => out.push(
                        Diagnostic::new(
                            &codes::FROM_NOT_BEFORE,
                            cx.at(file, &format!("{sp}.after.from")),
                            format!(
                                "the earliest time of `{}` counts from `{from}`, which does not come before it on every path",
                                step.id
                            ),
                        )
                        .label(cx.at(file, &format!("{}.id", step_path(f, other))), "this step")
                        .hint("count from a step every run passes before this one, or from `start`"),
                    ),
                    Some(_) => {}
                }
            }
            if let Some(before) = after.before() {
                match graph.index_of(before) {
                    None => {
                        referenced = false;
                        out.push(
                            Diagnostic::new(
                                &codes::UNKNOWN_STEP,
                                cx.at(file, &format!("{sp}.after.before")),
                                format!("flow `{}` has no step `{before}`", graph.flow.id),
                            )
                            .maybe_hint(did_you_mean(before, &step_ids)),
                        );
                    }
                    Some(other) if !graph.step(other).planned => out.push(
                        Diagnostic::new(
                            &codes::BEFORE_NOT_PLANNED,
                            cx.at(file, &format!("{sp}.after.before")),
                            format!("step `{before}` has no planned date, so nothing can be counted back from it"),
                        )
                        .label(cx.at(file, &format!("{}.id", step_path(f, other))), "not marked `planned: true`")
                        .hint(format!("mark step `{before}` with `planned: true`")),
                    ),
                    Some(_) => {}
                }
            }
            if let (Basis::Activation, Some(timeout)) = (basis(after), &step.timeout)
                && (after.time() == timeout.after
                    || surely_longer(after.time(), timeout.after, &cx.calendar))
            {
                out.push(
                    Diagnostic::new(
                        &codes::WINDOW_NEVER_OPENS,
                        cx.at(file, &format!("{sp}.after")),
                        format!(
                            "step `{}` can never be completed by a person: it may not be done before {} after it becomes active, and times out {} after that",
                            step.id,
                            after.time(),
                            timeout.after
                        ),
                    )
                    .label(cx.at(file, &format!("{sp}.timeout.after")), "the timeout")
                    .hint("shorten `after` or lengthen `timeout.after`, so that the earliest time comes before the timeout"),
                );
            }
            let Some(within) = &step.within else {
                continue;
            };
            if !referenced || basis(after) != basis(within) {
                continue;
            }
            let (earliest, latest) = (after.time(), within.time());
            // Counting back, the longer time is the sooner moment.
            let never = match basis(after) {
                Basis::Before(_) => surely_longer(latest, earliest, &cx.calendar),
                _ => surely_longer(earliest, latest, &cx.calendar),
            };
            if !never {
                continue;
            }
            let (message, hint) = match basis(after) {
                Basis::Before(planned) => (
                    format!(
                        "step `{}` can never be completed in time: not earlier than {earliest} before `{planned}` is later than its deadline, at least {latest} before it",
                        step.id
                    ),
                    format!(
                        "the earliest time must count back at least as far as the deadline: give `after` at least {latest} before `{planned}`, or `within` at most {earliest}"
                    ),
                ),
                Basis::From(from) => (
                    format!(
                        "step `{}` can never be completed in time: it may not be done before {earliest} after {}, but is due {latest} after it",
                        step.id,
                        from_words(from)
                    ),
                    "shorten `after` or lengthen `within`, so that the earliest time comes before the deadline".to_string(),
                ),
                Basis::Activation => (
                    format!(
                        "step `{}` can never be completed in time: it may not be done before {earliest} after it becomes active, but is due {latest} after that",
                        step.id
                    ),
                    "shorten `after` or lengthen `within`, so that the earliest time comes before the deadline".to_string(),
                ),
            };
            out.push(
                Diagnostic::new(
                    &codes::WINDOW_NEVER_OPENS,
                    cx.at(file, &format!("{sp}.after")),
                    message,
                )
                .label(cx.at(file, &format!("{sp}.within")), "the deadline")
                .hint(hint),
            );
        }
    }
}

fn from_words(from: &str) -> String {
    if from == "start" {
        "the start of the run".to_string()
    } else {
        format!("`{from}` is done")
    }
}

/// Whether `a` is longer than `b` whatever the dates: in the same unit by the amounts; in
/// calendar units by the shortest `a` against the longest `b` (months of 28 to 31 days, a
/// day an hour shorter or longer on a change of the clocks); in working units by the
/// calendar's working minutes. Calendar against working time depends on the dates (a
/// weekend, a holiday), so it is never said to be longer.
fn surely_longer(a: Duration, b: Duration, calendar: &Calendar) -> bool {
    if a.unit == b.unit {
        return a.amount > b.amount;
    }
    match (a.unit.is_working(), b.unit.is_working()) {
        (true, true) => calendar.working_minutes_of(a).0 > calendar.working_minutes_of(b).0,
        (false, false) => calendar_minutes(a).0 > calendar_minutes(b).1,
        _ => false,
    }
}

/// The shortest and longest real minutes of a calendar duration.
fn calendar_minutes(d: Duration) -> (u64, u64) {
    let n = u64::from(d.amount);
    const DAY: u64 = 24 * 60;
    let days = |lo: u64, hi: u64| {
        (
            (lo * DAY).saturating_sub(60 * n.min(1)),
            hi * DAY + 60 * n.min(1),
        )
    };
    match d.unit {
        Unit::Minutes => (n, n),
        Unit::Hours => (n * 60, n * 60),
        Unit::Days => days(n, n),
        Unit::Weeks => days(n * 7, n * 7),
        Unit::Months => days(n * 28, n * 31),
        Unit::Years => days(n * 365, n * 366),
        Unit::WorkingHours | Unit::WorkingDays => (0, u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Duration {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_sure_difference_counts() {
        let cal = Calendar::standard();
        assert!(surely_longer(
            d("10 working days"),
            d("5 working days"),
            &cal
        ));
        assert!(!surely_longer(
            d("5 working days"),
            d("5 working days"),
            &cal
        ));
        assert!(surely_longer(d("3 years"), d("1 year"), &cal));
        assert!(surely_longer(d("5 weeks"), d("1 month"), &cal));
        assert!(!surely_longer(d("4 weeks"), d("1 month"), &cal));
        assert!(!surely_longer(d("30 days"), d("1 month"), &cal));
        assert!(!surely_longer(d("25 hours"), d("1 day"), &cal));
        assert!(surely_longer(d("26 hours"), d("1 day"), &cal));
        assert!(!surely_longer(d("3 weeks"), d("2 working days"), &cal));
        assert!(surely_longer(
            d("2 working days"),
            d("10 working hours"),
            &cal
        ));
    }
}
