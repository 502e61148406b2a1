//! The flows and steps in words, as the document's step text and the travellers print
//! them: each step's number, actors, deadline, checks, records, outcomes and where the
//! run goes next, and each flow's trigger.

use serde::Serialize;

use super::context::{Multi, Printing};
use super::labels::{self, Script};
use super::rules::step_rules;
use crate::flow::graph::{Exit, FlowGraph};
use crate::spec::model::{Flow, ItemInterval, Procedure, Step, Trigger, Within};
use crate::spec::numbers::DocNumbers;

#[derive(Serialize)]
pub struct FlowContext {
    pub id: String,
    pub number: String,
    /// The title of the stage this flow opens (printed above it), if any.
    pub stage: Option<Multi>,
    /// Heading level: 3 for a flow in a stage, else 2.
    pub level: u8,
    pub title: Multi,
    pub trigger: Option<Multi>,
    /// For a per-item flow: what names the item a run is for (the register and its key
    /// column), for the traveller's write-in.
    pub item: Option<Multi>,
    pub within: Option<Multi>,
    /// Virtual paths of the flowchart's pages.
    pub diagrams: Vec<String>,
    /// The same chart paginated to start in the room left on a page, smallest room first:
    /// the document prints the one for the largest room that is left, or `diagrams` on a
    /// new page when less than the smallest is left.
    pub starts: Vec<ChartStart>,
    /// The flowchart's pages are landscape (a chart with many lanes).
    pub landscape: bool,
    pub steps: Vec<StepContext>,
}

/// A flowchart's pages when its first page may be at most `room_pt` points tall.
#[derive(Serialize)]
pub struct ChartStart {
    pub room_pt: f64,
    /// Virtual paths of the pages.
    pub diagrams: Vec<String>,
}

#[derive(Serialize)]
pub struct StepContext {
    pub id: String,
    pub number: String,
    pub title: Multi,
    pub detail: Option<Multi>,
    pub by: Vec<Multi>,
    pub with: Vec<Multi>,
    pub deadline: Option<Multi>,
    /// The step's earliest time (`after:`) in words.
    pub earliest: Option<Multi>,
    /// "escalated to PUR after 10 working days", per language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Multi>,
    /// "if no answer within 20 working days → 5.3.4", per language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Multi>,
    pub check: Vec<Multi>,
    pub produces: Vec<Multi>,
    pub uses: Vec<Multi>,
    pub question: Option<Multi>,
    /// What the flowchart's diamond asks: the question, or for a decision on a field without
    /// one, the field's label.
    #[serde(skip)]
    pub diamond: Option<Multi>,
    pub outcomes: Vec<OutcomeContext>,
    /// "QA, PROD and ENG each sign", for a step signed by all of its departments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joint: Option<Multi>,
    /// The department codes that each sign a step signed by all of them: the traveller
    /// prints a signature row for each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<String>,
    /// "the outcome follows the category entered on CS-F-012", for a decision on a field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Multi>,
    /// How the run continues, in words: "→ 5.1.4", "→ 5.1.4, 5.1.5 (in parallel)", "End: signed".
    pub next: Multi,
    pub join: bool,
    /// `join: started`: waits for the branches that were started (an inclusive join).
    pub inclusive: bool,
    /// The decision says `multiple: true`: one or more outcomes may be chosen.
    pub multiple: bool,
    pub end: Option<Multi>,
    pub calls: Option<Multi>,
    pub not_by: Vec<String>,
    pub planned: bool,
    /// The step lies on a branch a run may not take: the traveller prints an N/A box.
    pub skippable: bool,
    /// Extra rows the traveller prints for a step on a loop, one per further pass.
    pub repeats: Vec<u32>,
    /// The standing rules shown on this step: "Rule 2: ..." in each language.
    pub rules: Vec<Multi>,
}

#[derive(Serialize)]
pub struct OutcomeContext {
    pub label: Multi,
    pub target: String,
}

pub(super) fn trigger(
    p: &Printing,
    t: &Trigger,
    flow: &Flow,
    number: impl Fn(usize) -> String,
) -> Multi {
    match t {
        Trigger::Event(text) => p.text(text),
        Trigger::Several(list) => p.each(|lang| {
            // Each trigger with the clause of the step its runs start at.
            list.iter()
                .map(|start| {
                    let at = flow
                        .steps
                        .iter()
                        .position(|s| s.id == start.start)
                        .map(&number)
                        .unwrap_or_else(|| start.start.clone());
                    match Script::of(lang) {
                        Script::English => {
                            format!("{} (starts at {at})", start.text.best(lang, p.primary()))
                        }
                        Script::Traditional => {
                            format!("{}(從 {at} 開始)", start.text.best(lang, p.primary()))
                        }
                        _ => format!("{}(从 {at} 开始)", start.text.best(lang, p.primary())),
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        }),
        Trigger::ForEach(item) => p.each(|lang| {
            let english = Script::of(lang) == Script::English;
            let every = match &item.every {
                ItemInterval::One(d) if english => format!("every {}", labels::duration(*d, lang)),
                ItemInterval::One(d) => format!("每{}", labels::duration(*d, lang)),
                ItemInterval::By { by, intervals } => {
                    let each: Vec<String> = intervals
                        .iter()
                        .map(|(k, d)| {
                            if english {
                                format!("{k} every {}", labels::duration(*d, lang))
                            } else {
                                format!("{k}每{}", labels::duration(*d, lang))
                            }
                        })
                        .collect();
                    if english {
                        format!("by {by}: {}", each.join(", "))
                    } else {
                        format!("按{by}:{}", each.join(","))
                    }
                }
            };
            let register = p
                .settings
                .registers
                .iter()
                .find(|r| r.id == item.for_each)
                .map(|r| r.title.best(lang, p.primary()).to_string())
                .unwrap_or_else(|| item.for_each.clone());
            match Script::of(lang) {
                Script::English => format!("each item of the {register}, {every}"),
                Script::Traditional => format!("{register}的每一項,{every}"),
                _ => format!("{register}的每一项,{every}"),
            }
        }),
        Trigger::Every(r) => p.each(|lang| {
            let every = labels::duration(r.every, lang);
            let during = r.during.as_deref().map(|d| labels::month(d, lang));
            match (Script::of(lang), &during) {
                (Script::English, Some(during)) => format!("every {every}, in {during}"),
                (Script::English, None) => format!("every {every}"),
                (_, Some(during)) => format!("每{every}({during})"),
                (_, None) => format!("每{every}"),
            }
        }),
    }
}

/// `Measuring equipment register: asset_no` for a per-item flow.
pub(super) fn item_prompt(p: &Printing, flow: &Flow) -> Option<Multi> {
    let Some(Trigger::ForEach(per)) = &flow.trigger else {
        return None;
    };
    let register = p.settings.registers.iter().find(|r| r.id == per.for_each)?;
    Some(p.each(|lang| {
        format!(
            "{}: {}",
            register.title.best(lang, p.primary()),
            register.key
        )
    }))
}

pub(super) fn step_title(p: &Printing, step: &Step) -> Multi {
    step.title
        .as_ref()
        .map(|t| p.text(t))
        .unwrap_or_else(|| vec![step.id.clone()])
}

/// Further passes a traveller leaves room for on a step in a loop (a third pass and more
/// are rare; a run record keeps any number).
pub(super) const LOOP_REPEAT_ROWS: u32 = 2;

pub(super) fn step_context(
    p: &Printing,
    doc: &Procedure,
    graph: &FlowGraph,
    numbering: &DocNumbers,
    f: usize,
    s: usize,
    step: &Step,
) -> StepContext {
    // A step the original leaves unnumbered is named by its title.
    let name_of = |i: usize| {
        let number = numbering.step(f, i);
        if number.is_empty() {
            step_title(p, graph.step(i)).join(" / ")
        } else {
            number.to_string()
        }
    };
    let number_of = |id: &str| {
        graph
            .index_of(id)
            .map(name_of)
            .unwrap_or_else(|| id.to_string())
    };
    let outcomes: Vec<OutcomeContext> = step
        .decision
        .iter()
        .flat_map(|d| d.outcomes.iter())
        .map(|o| OutcomeContext {
            label: p.text(&o.when),
            target: number_of(&o.goto),
        })
        .collect();
    let next = match &graph.exits[s] {
        Exit::Continue(t) => p.each(|_| format!("→ {}", name_of(*t))),
        Exit::Next(ts) if ts.len() > 1 => {
            let list = ts
                .iter()
                .map(|&t| name_of(t))
                .collect::<Vec<_>>()
                .join(", ");
            p.each(|l| format!("→ {list} ({})", labels::label("parallel", l)))
        }
        Exit::Next(ts) => p.each(|_| {
            ts.iter()
                .map(|&t| format!("→ {}", name_of(t)))
                .collect::<Vec<_>>()
                .join(", ")
        }),
        Exit::Decision(_) => Vec::new(),
        Exit::End => step.end.as_ref().map(|t| p.text(t)).unwrap_or_default(),
        Exit::FallsOff => Vec::new(),
    };
    StepContext {
        id: step.id.clone(),
        number: numbering.step(f, s).to_string(),
        title: step_title(p, step),
        detail: p.opt(&step.detail),
        by: step.by.iter().map(|c| p.actor(c)).collect(),
        with: step.with.iter().map(|c| p.actor(c)).collect(),
        deadline: step.within.as_ref().map(|w| deadline(p, w, &number_of)),
        earliest: step
            .after
            .as_ref()
            .map(|a| super::windows::earliest(p, a, &number_of)),
        escalation: step.escalate.as_ref().map(|e| escalation_text(p, e)),
        timeout: step
            .timeout
            .as_ref()
            .map(|t| timeout_text(p, t, &number_of(&t.goto))),
        check: step.check.iter().map(|c| p.text(c)).collect(),
        produces: step
            .produces
            .iter()
            .map(|r| record_name(p, doc, r))
            .collect(),
        uses: step.uses.iter().map(|r| record_name(p, doc, r)).collect(),
        question: step.decision.as_ref().and_then(|d| p.opt(&d.question)),
        diamond: step
            .decision
            .as_ref()
            .and_then(|d| p.opt(&d.question))
            .or_else(|| super::sign_text::field_question(p, doc, step)),
        outcomes,
        joint: super::sign_text::joint(p, step),
        signers: if step.by.joint {
            step.by.iter().cloned().collect()
        } else {
            Vec::new()
        },
        decided_by: super::sign_text::decided_by(p, doc, step),
        next,
        join: step.join.is_some(),
        inclusive: step.join == Some(crate::spec::model::Join::Started),
        multiple: step.decision.as_ref().is_some_and(|d| d.multiple),
        end: p.opt(&step.end),
        calls: step.calls.as_ref().map(|c| {
            let target_doc = c.doc.as_deref().unwrap_or(&doc.id);
            let flow_title = p
                .procedures
                .iter()
                .find(|d| d.id == target_doc)
                .and_then(|d| d.flows.iter().find(|fl| fl.id == c.flow))
                .map(|fl| p.text(&fl.title))
                .unwrap_or_else(|| vec![c.flow.clone()]);
            flow_title
                .into_iter()
                .map(|t| format!("{target_doc}: {t}"))
                .collect()
        }),
        not_by: step.not_by.iter().map(|id| number_of(id)).collect(),
        planned: step.planned,
        skippable: false,
        repeats: Vec::new(),
        rules: step_rules(p, doc, &doc.flows[f], step),
    }
}

/// A step deadline in words, per language; the Chinese words come from the labels, so a
/// Traditional document says 內/開始/後 where a Simplified one says 内/开始/后.
/// "escalated to PUR after 10 working days" (`10个工作日后上报PUR`), in each language.
fn escalation_text(p: &Printing, e: &crate::spec::model::Escalation) -> Multi {
    let to = e.to.iter().cloned().collect::<Vec<_>>().join(", ");
    p.each(|lang| {
        let time = labels::duration(e.after, lang);
        match Script::of(lang) {
            Script::English => format!("escalated to {to} after {time}"),
            Script::Simplified => format!("{time}后上报{to}"),
            Script::Traditional => format!("{time}後上報{to}"),
        }
    })
}

/// "if no answer within 20 working days → 5.3.4" (`20个工作日内无答复 → 5.3.4`), in each
/// language; `target` is the printed number (or title) of the `goto` step.
fn timeout_text(p: &Printing, t: &crate::spec::model::Timeout, target: &str) -> Multi {
    p.each(|lang| {
        let time = labels::duration(t.after, lang);
        match Script::of(lang) {
            Script::English => format!("if no answer within {time} → {target}"),
            Script::Simplified => format!("{time}内无答复 → {target}"),
            Script::Traditional => format!("{time}內無答覆 → {target}"),
        }
    })
}

fn deadline(p: &Printing, within: &Within, number_of: &dyn Fn(&str) -> String) -> Multi {
    let d = within.time();
    p.each(|lang| {
        let time = labels::duration(d, lang);
        let english = Script::of(lang) == Script::English;
        let word = |key: &str| labels::label(key, lang);
        let step_word = word("step");
        // "within immediately" / "立即内" would be wrong: immediately is said alone.
        let within_time = if d == crate::spec::duration::Duration::IMMEDIATELY {
            time.clone()
        } else if english {
            format!("within {time}")
        } else {
            format!("{time}{}", word("within"))
        };
        match (within.from(), within.before()) {
            (Some("start"), _) if english => format!("{within_time} from the start of the flow"),
            (Some("start"), _) => format!("{}{within_time}", word("from_start")),
            (Some(from), _) if english => format!("{within_time} of step {}", number_of(from)),
            (Some(from), _) => format!(
                "{step_word} {} {}{within_time}",
                number_of(from),
                word("after_completion")
            ),
            (None, Some(before)) if english => {
                format!("at least {time} before step {}", number_of(before))
            }
            (None, Some(before)) => format!("{step_word} {} 之前至少{time}", number_of(before)),
            (None, None) => within_time,
        }
    })
}

/// A record as printed in a step: "CS-F-006 Contract review form".
fn record_name(p: &Printing, doc: &Procedure, name: &str) -> Multi {
    let (owner, id) = match name.split_once('#') {
        Some((d, r)) => (p.procedures.iter().find(|x| x.id == d).copied(), r),
        None => (Some(doc), name),
    };
    let Some(record) = owner.and_then(|o| o.records.iter().find(|r| r.id == id)) else {
        return vec![name.to_string()];
    };
    let title = p.text(&record.title);
    match &record.form {
        Some(form) => title.into_iter().map(|t| format!("{form} {t}")).collect(),
        None => title,
    }
}
