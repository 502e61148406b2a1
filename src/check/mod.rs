//! `check`: every rule over the loaded model, collecting all findings. Never writes anything.

pub mod codes;
pub mod diagnostic;

mod calls;
mod deadlines;
mod documents;
mod field_rules;
pub mod glyphs;
mod inclusive;
mod items;
mod joint;
mod lookalike;
mod numbering;
mod passed;
mod references;
mod roles;
mod rules;
pub mod settings;
mod soundness;
mod structure;
mod timeouts;
mod triggers;
mod windows;

use std::collections::{HashMap, HashSet};

use crate::flow::graph::FlowGraph;
use crate::run::calendar::Calendar;
use crate::spec::load::{LoadedProcedure, Qms};
use crate::spec::model::{Procedure, Settings};
use crate::spec::source::{FileId, Location};
use diagnostic::Diagnostic;

/// Everything a rule needs to look things up, built once per check.
pub struct Context<'a> {
    pub qms: &'a Qms,
    pub settings: &'a Settings,
    /// Department and party codes.
    pub departments: HashSet<&'a str>,
    pub parties: HashSet<&'a str>,
    /// Documents by id (the first one when ids are duplicated).
    pub docs: HashMap<&'a str, &'a LoadedProcedure>,
    /// The working calendar; the standard one when the settings give none or a broken one.
    pub calendar: Calendar,
    /// (document id, record id) of every record some step of any procedure produces or uses.
    pub used_records: HashSet<(String, String)>,
}

impl<'a> Context<'a> {
    pub fn new(qms: &'a Qms, settings: &'a Settings) -> Self {
        let mut docs = HashMap::new();
        for p in &qms.procedures {
            docs.entry(p.doc.id.as_str()).or_insert(p);
        }
        Context {
            qms,
            settings,
            departments: settings
                .departments
                .iter()
                .map(|d| d.code.as_str())
                .collect(),
            parties: settings.parties.iter().map(|p| p.code.as_str()).collect(),
            docs,
            calendar: settings::calendar_of(settings).unwrap_or_else(|_| Calendar::standard()),
            used_records: used_records(qms),
        }
    }

    pub fn is_actor(&self, code: &str) -> bool {
        self.departments.contains(code) || self.parties.contains(code)
    }

    /// Location of the value at `path` in a file.
    pub fn at(&self, file: FileId, path: &str) -> Location {
        self.qms.sources.at(file, path)
    }

    /// Location of the key that introduces `path` in a file.
    pub fn key(&self, file: FileId, path: &str) -> Location {
        self.qms.sources.key(file, path)
    }

    pub fn primary(&self) -> &str {
        self.settings.primary_language()
    }
}

fn used_records(qms: &Qms) -> HashSet<(String, String)> {
    let mut used = HashSet::new();
    for p in &qms.procedures {
        for step in p.doc.flows.iter().flat_map(|f| f.steps.iter()) {
            for name in step.produces.iter().chain(step.uses.iter()) {
                used.insert(match name.split_once('#') {
                    Some((d, r)) => (d.to_string(), r.to_string()),
                    None => (p.doc.id.clone(), name.clone()),
                });
            }
        }
    }
    used
}

/// One procedure with the graphs of its flows, as the per-document rules see it.
pub struct DocView<'a> {
    pub file: FileId,
    pub doc: &'a Procedure,
    /// The graphs of its flows, for the rules of one document; emptied before the rules
    /// across documents run, which do not read them.
    pub graphs: Vec<FlowGraph<'a>>,
}

pub fn flow_path(flow: usize) -> String {
    format!("flows[{flow}]")
}

pub fn step_path(flow: usize, step: usize) -> String {
    format!("flows[{flow}].steps[{step}]")
}

pub use soundness::{FlowStats, STATE_LIMIT};

/// Run every rule over a loaded QMS. Load diagnostics are the caller's; these are the rest.
pub fn check(qms: &Qms) -> Vec<Diagnostic> {
    check_with_stats(qms).0
}

/// One document's findings and the soundness check's figures for each of its flows.
type DocumentFindings = (Vec<Diagnostic>, Vec<FlowStats>);

/// [`check`], with how many states the soundness check explored in each flow.
pub fn check_with_stats(qms: &Qms) -> (Vec<Diagnostic>, Vec<FlowStats>) {
    let Some(settings) = &qms.settings else {
        // Without settings no reference can be resolved; the load error says why.
        return (Vec::new(), Vec::new());
    };
    let mut stats = Vec::new();
    let cx = Context::new(qms, settings);
    let mut out = Vec::new();
    settings::check(&cx, &mut out);
    items::check_registers(&cx, &mut out);
    documents::check_settings_texts(&cx, &mut out);
    references::check_documents(&cx, &mut out);
    lookalike::check_settings(&cx, &mut out);
    // The rules of one document read only it and the shared context, so documents are
    // checked in parallel; their findings and stats are joined in document order.
    let (views, found): (Vec<DocView>, Vec<DocumentFindings>) = {
        use rayon::prelude::*;
        qms.procedures
            .par_iter()
            .map(|p| {
                let mut view = DocView {
                    file: p.file,
                    doc: &p.doc,
                    graphs: p.doc.flows.iter().map(FlowGraph::new).collect(),
                };
                let mut out = Vec::new();
                let mut stats = Vec::new();
                references::check(&cx, &view, &mut out);
                items::check(&cx, &view, &mut out);
                lookalike::check(&cx, &view, &mut out);
                structure::check(&cx, &view, &mut out);
                inclusive::check(&cx, &view, &mut out);
                numbering::check(&cx, &view, &mut out);
                soundness::check(&cx, &view, &mut out, &mut stats);
                deadlines::check(&cx, &view, &mut out);
                timeouts::check(&cx, &view, &mut out);
                roles::check(&cx, &view, &mut out);
                windows::check(&cx, &view, &mut out);
                passed::check(&cx, &view, &mut out);
                rules::check(&cx, &view, &mut out);
                documents::check(&cx, &view, &mut out);
                joint::check(&cx, &view, &mut out);
                triggers::check(&cx, &view, &mut out);
                field_rules::check(&cx, &view, &mut out);
                // The rules across documents below read the documents, not their graphs:
                // a thousand documents' graphs are not kept for them.
                view.graphs = Vec::new();
                (view, (out, stats))
            })
            .unzip()
    };
    for (mut found, mut flows) in found {
        out.append(&mut found);
        stats.append(&mut flows);
    }
    calls::check(&cx, &views, &mut out);
    crate::control::checks::check(&cx, &views, &mut out);
    crate::control::names::check(&cx, &views, &mut out);
    glyphs::check(qms, &mut out);
    (out, stats)
}
