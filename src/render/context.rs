//! The data templates print: built from the checked model once per document, with every
//! Text resolved into the printed languages, numbers assigned, and references spelled out.
//! Templates only lay this out; they never derive structure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::diagram::{Chart, Edge, JointMark, Lane, LaneGroup, Node, NodeKind};
use super::labels::{self, Script};
use super::matrix::{self, MatrixContext};
pub use super::rules::RuleContext;
use super::rules::{rules, step_rules};
use crate::flow::graph::{Exit, FlowGraph};
use crate::spec::model::{Flow, ItemInterval, Procedure, Rows, Settings, Step, Trigger, Within};
use crate::spec::numbers::DocNumbers;
use crate::spec::text::Text;

/// Texts in the printed languages, primary first; a language a text lacks is skipped.
pub type Multi = Vec<String>;

/// What the printed documents know of the QMS as a whole.
pub struct Printing<'a> {
    pub settings: &'a Settings,
    /// The languages to print, primary first.
    pub langs: Vec<String>,
    /// Every procedure of the QMS, for related documents and cross-document records.
    pub procedures: Vec<&'a Procedure>,
    pub logo: Option<String>,
}

impl Printing<'_> {
    fn primary(&self) -> &str {
        self.settings.primary_language()
    }

    pub fn text(&self, t: &Text) -> Multi {
        let texts: Vec<String> = self
            .langs
            .iter()
            .filter_map(|lang| t.get(lang, self.primary()).map(str::to_string))
            .collect();
        if texts.is_empty() {
            vec![t.best(&self.langs[0], self.primary()).to_string()]
        } else {
            labels::dedup(texts)
        }
    }

    fn opt(&self, t: &Option<Text>) -> Option<Multi> {
        t.as_ref().map(|t| self.text(t))
    }

    /// The name of a department or party, or its code when unknown.
    pub fn actor(&self, code: &str) -> Multi {
        let s = self.settings;
        s.departments
            .iter()
            .map(|d| (&d.code, &d.name))
            .chain(s.parties.iter().map(|p| (&p.code, &p.name)))
            .find(|(c, _)| c.as_str() == code)
            .map(|(_, name)| self.text(name))
            .unwrap_or_else(|| vec![code.to_string()])
    }

    /// A text that may be an amount of time (`3 years`): said in each printed language
    /// ("3年"), like every duration; any other text is printed as written.
    pub fn amount(&self, t: &Text) -> Multi {
        match t {
            Text::Plain(s) => match s.parse::<crate::spec::duration::Duration>() {
                Ok(d) => self.each(|lang| labels::duration(d, lang)),
                Err(_) => self.text(t),
            },
            Text::Languages(_) => self.text(t),
        }
    }

    /// A sentence per printed language.
    pub(crate) fn each(&self, f: impl Fn(&str) -> String) -> Multi {
        labels::dedup(self.langs.iter().map(|l| f(l)).collect())
    }
}

#[derive(Serialize)]
pub struct DocumentContext {
    pub langs: Vec<LangContext>,
    pub labels: BTreeMap<&'static str, Multi>,
    pub company: Multi,
    pub copyright: Option<Multi>,
    pub logo: Option<String>,
    pub status: Multi,
    pub status_key: &'static str,
    pub fingerprint: String,
    pub doc: DocContext,
}

#[derive(Serialize)]
pub struct LangContext {
    pub code: String,
    pub typst_lang: &'static str,
    pub region: Option<&'static str>,
}

#[derive(Serialize)]
pub struct DocContext {
    pub id: String,
    pub title: Multi,
    pub revision: String,
    pub effective: String,
    pub owner: Multi,
    pub review_every: Option<Multi>,
    pub iso: Vec<String>,
    pub approvals: Vec<ApprovalContext>,
    pub history: Vec<HistoryContext>,
    pub sections: Vec<SectionContext>,
    pub responsibilities: Vec<ResponsibilityContext>,
    pub matrix: MatrixContext,
    pub flows: Vec<FlowContext>,
    pub references: Vec<ReferenceContext>,
    pub records: Vec<RecordContext>,
    /// Section numbers of the fixed parts.
    pub numbers: BTreeMap<&'static str, String>,
    /// Indices into `flows` in the order the document prints them: stage by stage, then
    /// the flows in no stage.
    pub print_order: Vec<usize>,
    pub definitions: Vec<DefinitionContext>,
    pub purpose: Option<Multi>,
    pub scope: Option<Multi>,
    /// Standing rules, printed as numbered clauses after the flows.
    pub rules: Vec<RuleContext>,
}

#[derive(Serialize)]
pub struct ApprovalContext {
    pub role: Multi,
    pub by: String,
    pub date: String,
}

#[derive(Serialize)]
pub struct HistoryContext {
    pub revision: String,
    pub date: String,
    pub change: Multi,
    pub by: String,
}

#[derive(Serialize)]
pub struct DefinitionContext {
    pub number: String,
    pub term: Multi,
    pub meaning: Multi,
}

#[derive(Serialize)]
pub struct SectionContext {
    pub number: String,
    pub title: Multi,
    pub body: Multi,
}

#[derive(Serialize)]
pub struct ResponsibilityContext {
    pub code: String,
    pub who: Multi,
    pub duties: Vec<Multi>,
}

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

#[derive(Serialize)]
pub struct ReferenceContext {
    pub id: Option<String>,
    pub title: Multi,
    pub revision: Option<String>,
}

#[derive(Serialize)]
pub struct RecordContext {
    /// The record's number in the records list (`7.5`); empty on a form of its own.
    pub number: String,
    pub id: String,
    /// The form number, or the record's id where it has none (names the form's file).
    pub form: String,
    /// The form number as printed on the form; empty where the record has none (the
    /// original prints no number then, and an id is no number).
    pub form_no: String,
    pub title: Multi,
    pub retention: Option<Multi>,
    pub keeper: Option<Multi>,
    pub has_form: bool,
    /// How to fill in or return the form, per language (Markdown subset).
    pub instructions: Option<Multi>,
    pub fields: Vec<FieldContext>,
}

#[derive(Serialize)]
pub struct FieldContext {
    pub id: String,
    pub label: Multi,
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<Multi>,
    pub unit: Option<String>,
    /// A number field's range, language-neutral (`1–10`, `≥ 0`, `≤ 25.4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    pub columns: Vec<Multi>,
    /// Number of rows printed.
    pub rows: u32,
    /// The label printed in the first column of each row; empty for blank rows.
    pub row_labels: Vec<Multi>,
}

/// The typst language settings of each printed language.
pub fn lang_contexts(langs: &[String]) -> Vec<LangContext> {
    langs
        .iter()
        .map(|code| {
            let (typst_lang, region) = labels::typst_lang(code);
            LangContext {
                code: code.clone(),
                typst_lang,
                region,
            }
        })
        .collect()
}

pub fn document(
    p: &Printing,
    doc: &Procedure,
    status_key: &'static str,
    fingerprint: &str,
) -> DocumentContext {
    let numbering = DocNumbers::of(doc);
    // Long texts print `[](#id)` links as the number they name.
    let long = |t: &Text| -> Multi {
        p.text(t)
            .into_iter()
            .map(|s| numbering.resolve_links(doc, &s))
            .collect()
    };
    let labels = labels::labels(&p.langs);
    let status = labels.get(status_key).cloned().unwrap_or_default();
    DocumentContext {
        langs: lang_contexts(&p.langs),
        labels,
        company: p.text(&p.settings.company),
        copyright: p.opt(&p.settings.copyright),
        logo: p.logo.clone(),
        status,
        status_key,
        fingerprint: super::super::control::fingerprint::short(fingerprint),
        doc: DocContext {
            id: doc.id.clone(),
            title: p.text(&doc.title),
            revision: doc.revision.clone(),
            effective: doc.effective.to_string(),
            owner: p.actor(&doc.owner),
            review_every: doc.review_every.map(|d| p.each(|l| labels::duration(d, l))),
            iso: doc.iso.iter().map(|s| s.0.clone()).collect(),
            approvals: approvals(p, doc),
            history: doc
                .history
                .iter()
                .map(|h| HistoryContext {
                    revision: h.revision.clone(),
                    date: h.date.to_string(),
                    change: p.text(&h.change),
                    by: h.by.clone().unwrap_or_default(),
                })
                .collect(),
            rules: rules(p, doc, &numbering, &long),
            purpose: doc.purpose.as_ref().map(long),
            scope: doc.scope.as_ref().map(long),
            definitions: doc
                .definitions
                .iter()
                .enumerate()
                .map(|(i, d)| DefinitionContext {
                    number: numbering.definitions[i].clone(),
                    term: p.text(&d.term),
                    meaning: long(&d.meaning),
                })
                .collect(),
            sections: doc
                .sections
                .iter()
                .enumerate()
                .map(|(i, s)| SectionContext {
                    number: numbering.sections[i].clone(),
                    title: p.text(&s.title),
                    body: long(&s.body),
                })
                .collect(),
            responsibilities: doc
                .responsibilities
                .iter()
                .map(|r| ResponsibilityContext {
                    code: r.who.clone(),
                    who: p.actor(&r.who),
                    duties: r.duties.iter().map(long).collect(),
                })
                .collect(),
            matrix: matrix::matrix(p, doc, &numbering, |step| step_title(p, step)),
            flows: doc
                .flows
                .iter()
                .enumerate()
                .map(|(f, flow)| {
                    let graph = FlowGraph::new(flow);
                    let (stage, level) = stage_of(p, doc, &numbering, f);
                    let skippable = graph.skippable();
                    let in_loops = graph.in_loops();
                    FlowContext {
                        id: flow.id.clone(),
                        number: numbering.flow(f).to_string(),
                        stage,
                        level,
                        title: p.text(&flow.title),
                        trigger: flow
                            .trigger
                            .as_ref()
                            .map(|t| trigger(p, t, flow, |s| numbering.step(f, s).to_string())),
                        item: item_prompt(p, flow),
                        within: flow.within.map(|d| p.each(|l| labels::duration(d, l))),
                        diagrams: Vec::new(),
                        starts: Vec::new(),
                        landscape: false,
                        steps: flow
                            .steps
                            .iter()
                            .enumerate()
                            .map(|(s, step)| StepContext {
                                skippable: skippable.get(s).copied().unwrap_or(false),
                                repeats: if in_loops.get(s).copied().unwrap_or(false) {
                                    (2..2 + LOOP_REPEAT_ROWS).collect()
                                } else {
                                    Vec::new()
                                },
                                detail: step.detail.as_ref().map(long),
                                ..step_context(p, doc, &graph, &numbering, f, s, step)
                            })
                            .collect(),
                    }
                })
                .collect(),
            references: doc
                .references
                .iter()
                .map(|r| match &r.doc {
                    Some(id) => {
                        let target = p.procedures.iter().find(|d| &d.id == id);
                        ReferenceContext {
                            id: Some(id.clone()),
                            title: target.map(|d| p.text(&d.title)).unwrap_or_default(),
                            revision: target.map(|d| d.revision.clone()),
                        }
                    }
                    None => ReferenceContext {
                        id: None,
                        title: r.title.as_ref().map(|t| p.text(t)).unwrap_or_default(),
                        revision: None,
                    },
                })
                .collect(),
            records: doc
                .records
                .iter()
                .enumerate()
                .map(|(i, r)| RecordContext {
                    number: numbering.records[i].clone(),
                    ..record(p, r)
                })
                .collect(),
            print_order: numbering.flow_order.clone(),
            numbers: numbering.parts.clone(),
        },
    }
}

/// The title of the stage that starts with flow `f` in print order, and the heading level
/// of the flow (3 under a stage, else 2).
fn stage_of(
    p: &Printing,
    doc: &Procedure,
    numbering: &DocNumbers,
    f: usize,
) -> (Option<Multi>, u8) {
    let id = &doc.flows[f].id;
    let Some(stage) = doc.stages.iter().find(|st| st.flows.contains(id)) else {
        return (None, 2);
    };
    let first = numbering
        .flow_order
        .iter()
        .find(|&&g| stage.flows.contains(&doc.flows[g].id));
    ((first == Some(&f)).then(|| p.text(&stage.title)), 3)
}

/// One column per sign-off (prepared, reviewed when the spec has it, approved), each with
/// the name and date the spec gives; what it leaves out stays blank, to be signed by hand.
fn approvals(p: &Printing, doc: &Procedure) -> Vec<ApprovalContext> {
    let labels = labels::labels(&p.langs);
    doc.approval
        .signoffs()
        .into_iter()
        .map(|(role, s)| ApprovalContext {
            role: labels[role].clone(),
            by: s.name().unwrap_or_default().to_string(),
            date: s.date.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect()
}

fn trigger(p: &Printing, t: &Trigger, flow: &Flow, number: impl Fn(usize) -> String) -> Multi {
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
fn item_prompt(p: &Printing, flow: &Flow) -> Option<Multi> {
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
const LOOP_REPEAT_ROWS: u32 = 2;

fn step_context(
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

/// The most rows a printed table gets: a longer list is a register, not a form.
const MAX_FORM_ROWS: usize = 40;

pub fn record(p: &Printing, r: &crate::spec::model::Record) -> RecordContext {
    RecordContext {
        number: String::new(),
        id: r.id.clone(),
        form: r.form.clone().unwrap_or_else(|| r.id.clone()),
        form_no: r.form.clone().unwrap_or_default(),
        title: p.text(&r.title),
        retention: r.retention.as_ref().map(|t| p.amount(t)),
        keeper: r.keeper.as_ref().map(|k| p.actor(k)),
        has_form: !r.fields.is_empty(),
        instructions: p.opt(&r.instructions),
        fields: r
            .fields
            .iter()
            .map(|f| FieldContext {
                id: f.id.clone(),
                label: p.text(&f.label),
                kind: f.kind.word(),
                required: f.required,
                options: f.options.iter().map(|o| p.text(o)).collect(),
                unit: f.unit.clone(),
                range: super::sign_text::range(f),
                columns: f.columns.iter().map(|c| p.text(c)).collect(),
                rows: f.rows.as_ref().map_or(5, |r| r.len()).min(MAX_FORM_ROWS) as u32,
                row_labels: match &f.rows {
                    Some(Rows::Labels(labels)) => labels
                        .iter()
                        .take(MAX_FORM_ROWS)
                        .map(|l| p.text(l))
                        .collect(),
                    _ => Vec::new(),
                },
            })
            .collect(),
    }
}

/// The swimlane chart of a flow: a lane per department or party in order of first
/// appearance, a start terminator with the trigger, decision diamonds after deciding steps,
/// fork and join bars, end terminators with outcomes.
pub fn chart(p: &Printing, flow_ctx: &FlowContext, graph: &FlowGraph) -> Chart {
    let mut lanes: Vec<Lane> = Vec::new();
    let lane_of = |code: &str, lanes: &mut Vec<Lane>| -> usize {
        if let Some(i) = lanes.iter().position(|l| l.id == code) {
            return i;
        }
        let within = p
            .settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.within.clone());
        lanes.push(Lane {
            id: code.to_string(),
            label: p.actor(code),
            group: within.map(|g| LaneGroup {
                label: p.actor(&g),
                id: g,
            }),
        });
        lanes.len() - 1
    };
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut timers = Vec::new();
    let edge = |from: String, to: String, label: Multi| Edge { from, to, label };
    let entry = |s: usize| {
        if graph.join[s] {
            format!("join:{s}")
        } else {
            format!("step:{s}")
        }
    };
    let step_lane: Vec<usize> = graph
        .flow
        .steps
        .iter()
        .map(|step| {
            lane_of(
                step.by.iter().next().map(String::as_str).unwrap_or("-"),
                &mut lanes,
            )
        })
        .collect();
    // A step signed by several departments is marked in the lane of each of the others.
    let also_lanes: Vec<Vec<usize>> = graph
        .flow
        .steps
        .iter()
        .map(|step| {
            if step.by.joint {
                step.by
                    .iter()
                    .skip(1)
                    .map(|code| lane_of(code, &mut lanes))
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    // Lanes of roles inside one department (`in:`) stand side by side, next to the
    // department's own lane, in order of first appearance of the department.
    let group_of = |code: &str| -> String {
        p.settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.within.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let groups: Vec<String> = lanes.iter().map(|l| group_of(&l.id)).collect();
    let mut order: Vec<usize> = (0..lanes.len()).collect();
    let first_of = |g: &str| groups.iter().position(|x| x == g).unwrap_or(0);
    // The department's own lane comes first, so that its roles' lanes stay together
    // under one band.
    order.sort_by_key(|&i| (first_of(&groups[i]), lanes[i].group.is_some(), i));
    let mut new_index = vec![0; lanes.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let lanes: Vec<Lane> = order.iter().map(|&i| lanes[i].clone()).collect();
    let step_lane: Vec<usize> = step_lane.iter().map(|&l| new_index[l]).collect();
    let joint: Vec<JointMark> = also_lanes
        .iter()
        .enumerate()
        .filter(|(_, also)| !also.is_empty())
        .map(|(s, also)| JointMark {
            node: format!("step:{s}"),
            lanes: also
                .iter()
                .map(|&l| new_index[l])
                .filter(|&l| l != step_lane[s])
                .collect(),
            label: flow_ctx.steps[s].number.clone(),
        })
        .collect();
    let several = graph.flow.trigger.as_ref().map_or(&[][..], |t| t.starts());
    if !several.is_empty() {
        // One start per trigger, in the lane of the step it starts at.
        for (i, t) in several.iter().enumerate() {
            let Some(s) = graph.index_of(&t.start) else {
                continue;
            };
            let id = if i == 0 {
                "start".to_string()
            } else {
                format!("start:{}", i + 1)
            };
            nodes.push(Node {
                id: id.clone(),
                step: id.clone(),
                kind: NodeKind::Start,
                lane: step_lane[s],
                number: None,
                label: p.text(&t.text),
            });
            edges.push(edge(id, entry(s), Vec::new()));
        }
    } else if !graph.is_empty() {
        nodes.push(Node {
            id: "start".into(),
            step: "start".into(),
            kind: NodeKind::Start,
            lane: step_lane[0],
            number: None,
            label: flow_ctx
                .trigger
                .clone()
                .unwrap_or_else(|| p.each(|l| labels::label("start", l))),
        });
        edges.push(edge("start".into(), entry(0), Vec::new()));
    }
    for (s, step_ctx) in flow_ctx.steps.iter().enumerate() {
        let lane = step_lane[s];
        let step = graph.step(s);
        let sid = step.id.clone();
        if graph.join[s] {
            nodes.push(Node {
                id: format!("join:{s}"),
                step: sid.clone(),
                kind: if graph.inclusive[s] {
                    NodeKind::InclusiveJoin
                } else {
                    NodeKind::Join
                },
                lane,
                number: None,
                label: Vec::new(),
            });
            edges.push(edge(format!("join:{s}"), format!("step:{s}"), Vec::new()));
        }
        nodes.push(Node {
            id: format!("step:{s}"),
            step: sid.clone(),
            kind: if step.calls.is_some() {
                NodeKind::Call
            } else {
                NodeKind::Task
            },
            lane,
            number: Some(step_ctx.number.clone()),
            label: step_ctx.title.clone(),
        });
        let from = format!("step:{s}");
        match &graph.exits[s] {
            Exit::Continue(t) => edges.push(edge(from, entry(*t), Vec::new())),
            Exit::Next(ts) if ts.len() > 1 => {
                nodes.push(Node {
                    id: format!("fork:{s}"),
                    step: sid.clone(),
                    kind: NodeKind::Fork,
                    lane,
                    number: None,
                    label: Vec::new(),
                });
                edges.push(edge(from, format!("fork:{s}"), Vec::new()));
                for &t in ts {
                    edges.push(edge(format!("fork:{s}"), entry(t), Vec::new()));
                }
            }
            Exit::Next(ts) => {
                for &t in ts {
                    edges.push(edge(from.clone(), entry(t), Vec::new()));
                }
            }
            Exit::Decision(outcomes) => {
                let question = step_ctx
                    .question
                    .clone()
                    .unwrap_or_else(|| vec!["?".to_string()]);
                nodes.push(Node {
                    id: format!("decision:{s}"),
                    step: sid.clone(),
                    kind: if graph.multiple[s] {
                        NodeKind::Inclusive
                    } else {
                        NodeKind::Decision
                    },
                    lane,
                    number: None,
                    label: question,
                });
                edges.push(edge(from, format!("decision:{s}"), Vec::new()));
                for &(o, t) in outcomes {
                    edges.push(edge(
                        format!("decision:{s}"),
                        entry(t),
                        step_ctx.outcomes[o].label.clone(),
                    ));
                }
            }
            Exit::End => {
                nodes.push(Node {
                    id: format!("end:{s}"),
                    step: format!("end:{sid}"),
                    kind: NodeKind::End,
                    lane,
                    number: None,
                    label: step_ctx.end.clone().unwrap_or_default(),
                });
                edges.push(edge(from, format!("end:{s}"), Vec::new()));
            }
            Exit::FallsOff => {}
        }
        if let (Some(t), Some(timeout)) = (graph.timeouts[s], &step.timeout) {
            // The exit time takes: a line of its own from the box, marked with a timer.
            timers.push(sid.clone());
            let label = p.each(|lang| {
                let time = labels::duration(timeout.after, lang);
                match Script::of(lang) {
                    Script::English => format!("no answer in {time}"),
                    Script::Simplified => format!("{time}内无答复"),
                    Script::Traditional => format!("{time}內無答覆"),
                }
            });
            edges.push(edge(format!("step:{s}"), entry(t), label));
        }
    }
    Chart {
        lanes,
        nodes,
        edges,
        timers,
        joint,
    }
}
