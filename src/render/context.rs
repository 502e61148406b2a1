//! The data templates print: built from the checked model once per document, with every
//! Text resolved into the printed languages, numbers assigned, and references spelled out.
//! Templates only lay this out; they never derive structure. Here: the document as a
//! whole (its header, sign-offs, history, sections, references); its flows and steps are
//! [`super::step_text`], its records' forms [`super::forms`], a flow's chart
//! [`super::chart`], all re-exported here.

use std::collections::BTreeMap;

use serde::Serialize;

pub use super::chart::chart;
pub use super::forms::{FieldContext, RecordContext, record};
use super::labels;
use super::matrix::{self, MatrixContext};
pub use super::rules::RuleContext;
use super::rules::rules;
pub(super) use super::step_text::step_title;
pub use super::step_text::{ChartStart, FlowContext, OutcomeContext, StepContext};
use super::step_text::{LOOP_REPEAT_ROWS, item_prompt, step_context, trigger};
use crate::flow::graph::FlowGraph;
use crate::spec::model::{Procedure, Settings};
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
    pub(super) fn primary(&self) -> &str {
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

    pub(super) fn opt(&self, t: &Option<Text>) -> Option<Multi> {
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
pub struct ReferenceContext {
    pub id: Option<String>,
    pub title: Multi,
    pub revision: Option<String>,
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
