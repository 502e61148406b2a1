//! The checklist as people read it in a terminal: every step with its state, deadlines,
//! ticks, values and signatures. Made from the [`RunRecord`], like every other view.

use std::fmt::Write;

use super::engine::StepState;
use super::record::{Deadline, IterationRecord, RunRecord, StepRecord};
use crate::columns;

/// ANSI colours, or nothing when the output is not a terminal (or `NO_COLOR` is set).
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// Colour when standard output is a terminal and `NO_COLOR` is unset.
    pub fn for_stdout() -> Paint {
        use std::io::IsTerminal;
        Paint {
            on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
    pub fn dim(self, t: &str) -> String {
        self.wrap("2", t)
    }
    pub fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
    pub fn red(self, t: &str) -> String {
        self.wrap("1;31", t)
    }
    pub fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
}

/// The state in a fixed-width column; padded before colouring, as escape codes have no width.
fn mark(state: StepState, timed_out: bool, p: Paint) -> String {
    let label = |text: &str| format!("{text:<14}");
    match state {
        StepState::Done if timed_out => p.yellow(&label("[timed out]")),
        StepState::Done => p.green(&label("[done]")),
        StepState::Active => p.yellow(&label("[active]")),
        StepState::Waiting => p.cyan(&label("[waiting]")),
        StepState::Skipped => p.dim(&label("[skipped]")),
        StepState::NotReached => p.dim(&label("[not reached]")),
    }
}

/// `due 2026-03-04 17:30`, with an OVERDUE or late mark.
pub fn deadline_text(d: &Deadline, p: Paint) -> String {
    let mut out = format!("due {}", d.at.local);
    if d.overdue {
        let _ = write!(
            out,
            " {}",
            p.red(&format!("OVERDUE by {}", d.by.as_deref().unwrap_or("")))
        );
    } else if d.late {
        let _ = write!(
            out,
            " {}",
            p.red(&format!("(done {} late)", d.by.as_deref().unwrap_or("")))
        );
    }
    out
}

/// `QA/PROD`: any one of them; `QA + PROD + ENG` on a joint step: each of them.
fn codes(actors: &[super::record::Actor], joint: bool) -> String {
    actors
        .iter()
        .map(|a| a.code.as_str())
        .collect::<Vec<_>>()
        .join(if joint { " + " } else { "/" })
}

fn iteration_lines(
    out: &mut String,
    step: &StepRecord,
    it: &IterationRecord,
    several: bool,
    p: Paint,
) {
    let pad = "      ";
    let head = if several {
        format!("{pad}#{} ", it.number)
    } else {
        pad.to_string()
    };
    let mut line = format!("{head}active from {}", it.activated.local);
    if let Some(e) = &it.earliest {
        let _ = write!(line, " · not before {}", e.local);
    }
    match (&it.due, &it.completed) {
        // Closed by its timeout after its deadline: never done, so not "done late".
        (Some(d), Some(c)) if c.timed_out && d.late => {
            let _ = write!(line, " · due {} {}", d.at.local, p.red("(not met)"));
        }
        (Some(d), _) => {
            let _ = write!(line, " · {}", deadline_text(d, p));
        }
        (None, _) => {}
    }
    if let Some(child) = &it.child {
        let _ = write!(line, " · child run {child}");
    }
    if let Some(e) = &it.escalated {
        let _ = write!(line, " · {}", p.red(&escalation_text(e)));
    }
    let _ = writeln!(out, "{line}");
    if !it.sign_off.is_empty() {
        let marks: Vec<String> = it
            .sign_off
            .iter()
            .map(|s| format!("{} {}", s.code, if s.signed { "✓" } else { "…" }))
            .collect();
        let _ = writeln!(out, "{pad}{}", marks.join("  "));
    }
    for sig in &it.signed {
        signed_line(out, sig, pad, p);
    }
    if !it.to_sign.is_empty() {
        let _ = writeln!(
            out,
            "{pad}{} {}",
            p.yellow("still to sign:"),
            it.to_sign.join(", ")
        );
    }
    match &it.completed {
        Some(sig) => {
            signed_line(out, sig, pad, p);
            if let Some(apart) = &sig.entered_apart {
                let _ = writeln!(
                    out,
                    "{pad}{}",
                    p.red(&format!(
                        "ENTERED {}: {} {} the time signed",
                        apart.entered.local,
                        apart.by,
                        if apart.later { "after" } else { "before" }
                    ))
                );
            }
            if let Some(o) = &sig.outcome {
                let _ = writeln!(out, "{pad}outcome: {}", p.bold(o));
            }
            for c in &sig.checks {
                let tick = if c.ticked {
                    p.green("[x]")
                } else if c.waived.is_some() {
                    p.yellow("[-]")
                } else {
                    "[ ]".to_string()
                };
                let waived = c
                    .waived
                    .as_deref()
                    .map(|r| format!(" (waived: {r})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "{pad}{tick} {}. {}{waived}", c.number, c.item);
            }
            for f in &sig.fields {
                let _ = writeln!(out, "{pad}{} ({}): {}", f.key, f.label, f.value);
            }
            if let Some(n) = &sig.note {
                let _ = writeln!(out, "{pad}note: {n}");
            }
            for a in &sig.attachments {
                let _ = writeln!(
                    out,
                    "{pad}attached: {} ({}, SHA-256 {})",
                    a.name,
                    super::attachments::show_size(a.size),
                    a.sha256
                );
            }
        }
        None => {
            for (i, item) in step.check.iter().enumerate() {
                let _ = writeln!(out, "{pad}[ ] {}. {item}", i + 1);
            }
            if !step.outcomes.is_empty() {
                let q = step.question.as_deref().unwrap_or("outcome");
                let _ = writeln!(out, "{pad}{q} {}", step.outcomes.join(" | "));
            }
            for r in &step.produces {
                let form = r
                    .form
                    .as_deref()
                    .map(|f| format!("{f} "))
                    .unwrap_or_default();
                let _ = writeln!(out, "{pad}fills {form}{} ({})", r.title, r.key);
            }
        }
    }
}

/// `signed <time> by <name> (<login>) for <dept> (<meaning>)`.
fn signed_line(out: &mut String, sig: &super::record::Signature, pad: &str, p: Paint) {
    let login = sig
        .login
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let who = match (&sig.by, &sig.acting_for) {
        (Some(by), Some(a)) if sig.on_behalf => {
            format!("{by}{login} on behalf of {} ({})", a.name, a.code)
        }
        (Some(by), Some(a)) => format!("{by}{login} for {}", a.code),
        (Some(by), None) => format!("{by}{login}"),
        (None, _) => match &sig.child {
            Some(child) => format!("the system when {child} ended"),
            None => "the system".to_string(),
        },
    };
    let meaning = sig.meaning.map(|m| format!(" ({m})")).unwrap_or_default();
    if sig.timed_out {
        // Nobody signed: the step's timeout closed it at the moment it fell due.
        let pending = if sig.not_recorded {
            " (not yet recorded)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{pad}{} {}{pending}",
            p.yellow("timed out"),
            sig.at.local
        );
    } else {
        let _ = writeln!(
            out,
            "{pad}{} {} by {who}{meaning}",
            p.green("signed"),
            sig.at.local
        );
    }
}

/// `escalated to PUR, GM since 2026-03-13 15:00`.
pub fn escalation_text(e: &super::record::Escalation) -> String {
    let to: Vec<&str> = e.to.iter().map(|a| a.code.as_str()).collect();
    format!("escalated to {} since {}", to.join(", "), e.since.local)
}

/// The checklist of a run as text.
pub fn render(r: &RunRecord, p: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {} {}, rev {} (fingerprint {})",
        p.bold(&r.reference),
        r.doc.id,
        r.doc.title,
        r.doc.revision,
        r.doc.fingerprint_short
    );
    let period = r
        .period
        .as_deref()
        .map(|k| format!(" · period from {k}"))
        .unwrap_or_default();
    let _ = writeln!(out, "flow {}: {}{period}", r.flow.id, r.flow.title);
    if let Some(trigger) = &r.flow.started_by {
        let _ = writeln!(out, "started by trigger {trigger}");
    }
    if let Some(item) = &r.item {
        let columns: Vec<String> = item
            .columns
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect();
        let _ = writeln!(out, "item {} ({})", p.bold(&item.key), columns.join(" · "));
    }
    let by = r
        .started_by
        .as_deref()
        .map(|b| format!(" by {b}"))
        .unwrap_or_default();
    let mut status = match (&r.outcome, &r.ended) {
        (Some(o), Some(at)) => format!("{} {} ({o})", p.green("ended"), at.local),
        _ => p.yellow("open"),
    };
    if let Some(d) = &r.due {
        let _ = write!(status, " · flow {}", deadline_text(d, p));
    }
    let _ = writeln!(
        out,
        "started {}{by} · {status} · times in {}",
        r.started.local, r.timezone
    );
    if let Some(parent) = &r.parent {
        let _ = writeln!(out, "child of run {} (step {})", parent.run, parent.step);
    }
    if let Some(note) = &r.newer {
        let _ = writeln!(out, "{} {note}", p.yellow("note:"));
    }
    for line in &r.not_recorded {
        let _ = writeln!(out, "{} {line}", p.yellow("note:"));
    }
    if !r.entered_apart.is_empty() {
        let _ = writeln!(
            out,
            "{} {} event{} entered more than {} from the time {} (back-dated or forward-dated):",
            p.red("ENTERED APART:"),
            r.entered_apart.len(),
            if r.entered_apart.len() == 1 { "" } else { "s" },
            r.entry_tolerance,
            if r.entered_apart.len() == 1 {
                "it states"
            } else {
                "they state"
            }
        );
        for line in &r.entered_apart {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out);
    let width = r
        .steps
        .iter()
        .map(|s| columns::width(&s.id))
        .max()
        .unwrap_or(0);
    for s in &r.steps {
        let by = codes(&s.by, s.joint);
        let mut head = format!(
            "  {} {}  {}  {}",
            mark(s.state, s.timed_out, p),
            columns::pad(&s.id, width),
            s.title,
            p.dim(&format!("[{}]", if by.is_empty() { "-" } else { &by })),
        );
        if let Some(planned) = &s.planned {
            let _ = write!(head, " · planned {planned}");
        }
        if let Some(calls) = &s.calls {
            let _ = write!(head, " · calls {calls}");
        }
        if let Some(end) = &s.ends {
            let _ = write!(head, " · ends: {end}");
        }
        let _ = writeln!(out, "{}", head.trim_end());
        if s.state == StepState::Waiting {
            let _ = writeln!(out, "      waiting for {}", s.waiting_for.join(", "));
        }
        for rule in &s.rules {
            let _ = writeln!(out, "      {}", p.dim(rule));
        }
        let several = s.iterations.len() > 1;
        for it in &s.iterations {
            iteration_lines(&mut out, s, it, several, p);
        }
    }
    if !r.children.is_empty() {
        let _ = writeln!(out);
        for c in &r.children {
            let outcome = c
                .outcome
                .as_deref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "child run {} · {}/{} · {}{outcome}",
                c.reference, c.doc, c.flow, c.status
            );
        }
    }
    let _ = writeln!(out);
    let chain = if r.chain.intact {
        p.green("intact")
    } else {
        p.red(&format!(
            "BROKEN: {}",
            r.chain.problem.as_deref().unwrap_or("")
        ))
    };
    let _ = writeln!(
        out,
        "audit trail: {} events, chain {} {chain}",
        r.chain.events,
        r.chain.hash.get(..16).unwrap_or(&r.chain.hash)
    );
    if r.entry_unknown > 0 {
        let _ = writeln!(
            out,
            "{} {} event{} recorded before procdoc kept entry times: when {} entered is unknown",
            p.yellow("note:"),
            r.entry_unknown,
            if r.entry_unknown == 1 {
                " was"
            } else {
                "s were"
            },
            if r.entry_unknown == 1 {
                "it was"
            } else {
                "they were"
            }
        );
    }
    out
}
