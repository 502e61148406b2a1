//! Timeouts and escalations of steps: a timeout must be a real way on (not from an `end`, a
//! called flow or back to the step itself, not at activation), and later than the step's
//! escalation so that the escalation can show. Unknown `goto` steps and `to` departments are
//! reported with the other references.

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};
use crate::spec::duration::Duration;

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    for (f, flow) in view.doc.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            let sp = step_path(f, s);
            let immediate = |d: Duration| d == Duration::IMMEDIATELY || d.amount == 0;
            if let Some(escalate) = &step.escalate
                && immediate(escalate.after)
            {
                out.push(
                    Diagnostic::new(
                        &codes::IMMEDIATE_TIMEOUT,
                        cx.at(view.file, &format!("{sp}.escalate.after")),
                        format!(
                            "step `{}` would be escalated the moment it becomes active",
                            step.id
                        ),
                    )
                    .hint(
                        "give the time the step may stay open first, e.g. `after: 10 working days`",
                    ),
                );
            }
            let Some(timeout) = &step.timeout else {
                continue;
            };
            if immediate(timeout.after) {
                out.push(
                    Diagnostic::new(
                        &codes::IMMEDIATE_TIMEOUT,
                        cx.at(view.file, &format!("{sp}.timeout.after")),
                        format!(
                            "step `{}` would time out the moment it becomes active, so nobody could do it",
                            step.id
                        ),
                    )
                    .hint("give the time to wait for the answer, e.g. `after: 20 working days`"),
                );
            }
            if timeout.goto == step.id {
                out.push(
                    Diagnostic::new(
                        &codes::TIMEOUT_TO_ITSELF,
                        cx.at(view.file, &format!("{sp}.timeout.goto")),
                        format!(
                            "the timeout of step `{}` leads back to the step itself",
                            step.id
                        ),
                    )
                    .hint("name the step that handles the missing answer (a reminder, a hold)"),
                );
            }
            if step.end.is_some() {
                out.push(
                    Diagnostic::new(
                        &codes::TIMEOUT_ON_END,
                        cx.at(view.file, &format!("{sp}.timeout")),
                        format!(
                            "step `{}` ends the flow, so it cannot also time out to `{}`",
                            step.id, timeout.goto
                        ),
                    )
                    .hint("put the timeout on the step the run waits at before this end"),
                );
            }
            if step.calls.is_some() {
                out.push(
                    Diagnostic::new(
                        &codes::TIMEOUT_ON_CALL,
                        cx.at(view.file, &format!("{sp}.timeout")),
                        format!(
                            "step `{}` is done by a called run, which a timeout would leave without a parent",
                            step.id
                        ),
                    )
                    .hint("put the timeout on a step of the called flow"),
                );
            }
            if let Some(escalate) = &step.escalate
                && !immediate(timeout.after)
            {
                let escalation = cx.calendar.working_minutes_of(escalate.after).0;
                let limit = cx.calendar.working_minutes_of(timeout.after).0;
                if limit <= escalation {
                    out.push(
                        Diagnostic::new(
                            &codes::TIMEOUT_NOT_AFTER_ESCALATION,
                            cx.at(view.file, &format!("{sp}.timeout.after")),
                            format!(
                                "step `{}` times out after {} but is escalated only after {}: the escalation would never show",
                                step.id, timeout.after, escalate.after
                            ),
                        )
                        .hint("escalate earlier than the timeout, or time out later"),
                    );
                }
            }
        }
    }
}
