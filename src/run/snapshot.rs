//! The frozen procedure model a run follows ([`Snapshot`]) and the view of one flow in it
//! that the engine and the views read ([`Spec`]).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::calendar::Calendar;
use super::engine::RunError;
use super::fields::{self, Produced};
use crate::check::settings::calendar_of;
use crate::flow::graph::FlowGraph;
use crate::flow::semantics::Net;
use crate::spec::load::Qms;
use crate::spec::model::{Flow, Procedure, Settings, Step};
use crate::spec::text::Text;

/// The procedure model a run follows, frozen when it started: the settings (calendar,
/// languages, departments), the run's procedure first, then every procedure it reaches
/// through `calls` or records of other documents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub settings: Settings,
    pub procedures: Vec<Procedure>,
}

impl Snapshot {
    /// The snapshot a run of `doc` needs, from a loaded QMS.
    pub fn take(qms: &Qms, settings: &Settings, doc: &str) -> Option<Snapshot> {
        let mut procedures: Vec<Procedure> = Vec::new();
        let mut queue = VecDeque::from([doc.to_string()]);
        let mut seen = BTreeSet::new();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some(loaded) = qms.procedure(&id) else {
                continue;
            };
            let p = &loaded.doc;
            for step in p.flows.iter().flat_map(|f| &f.steps) {
                if let Some(other) = step.calls.as_ref().and_then(|c| c.doc.clone()) {
                    queue.push_back(other);
                }
                for record in step.produces.iter().chain(step.uses.iter()) {
                    if let Some((other, _)) = record.split_once('#') {
                        queue.push_back(other.to_string());
                    }
                }
            }
            procedures.push(p.clone());
        }
        (!procedures.is_empty()).then(|| Snapshot {
            settings: settings.clone(),
            procedures,
        })
    }

    /// The stored text and its SHA-256: runs of the same revision share one copy.
    pub fn encode(&self) -> (String, String) {
        let body = serde_json::to_string(self).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        (body, hash)
    }

    pub fn decode(body: &str) -> Result<Snapshot, String> {
        serde_json::from_str(body).map_err(|e| format!("its procedure snapshot is unreadable: {e}"))
    }

    /// [`Snapshot::decode`], shared: a snapshot is immutable and runs of one revision store
    /// the same text, so a long-lived process (the server) decodes each text once. The
    /// memo is keyed by the whole text, never by its claimed hash, so a tampered row can
    /// never be answered with another row's model.
    pub fn decode_shared(body: &str) -> Result<Arc<Snapshot>, String> {
        // A QMS has few revisions in use at once; past that many the memo starts afresh
        // rather than grow without bound.
        const KEPT: usize = 64;
        static MEMO: LazyLock<Mutex<HashMap<String, Arc<Snapshot>>>> =
            LazyLock::new(Default::default);
        if let Some(found) = MEMO.lock().unwrap_or_else(|p| p.into_inner()).get(body) {
            return Ok(Arc::clone(found));
        }
        let decoded = Arc::new(Snapshot::decode(body)?);
        let mut memo = MEMO.lock().unwrap_or_else(|p| p.into_inner());
        if memo.len() >= KEPT {
            memo.clear();
        }
        memo.insert(body.to_string(), Arc::clone(&decoded));
        Ok(decoded)
    }

    pub fn procedure(&self, id: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.id == id)
    }
}

/// A run's flow, resolved for execution.
pub struct Spec<'a> {
    pub snapshot: &'a Snapshot,
    pub settings: &'a Settings,
    pub procedure: &'a Procedure,
    pub flow: &'a Flow,
    pub graph: FlowGraph<'a>,
    pub net: Net,
    pub calendar: Calendar,
    /// The language texts are read in ([`Spec::text`]) when not the primary one: a record
    /// shown to a reader of another QMS language. `None`: the primary language.
    pub reading: Option<String>,
}

impl<'a> Spec<'a> {
    pub fn new(snapshot: &'a Snapshot, doc: &str, flow: &str) -> Result<Self, String> {
        let procedure = snapshot
            .procedure(doc)
            .ok_or_else(|| format!("procedure `{doc}` is not in the run's snapshot"))?;
        let flow = procedure
            .flows
            .iter()
            .find(|f| f.id == flow)
            .ok_or_else(|| format!("procedure `{doc}` has no flow `{flow}`"))?;
        let graph = FlowGraph::new(flow);
        let net = Net::new(&graph);
        let calendar = calendar_of(&snapshot.settings)
            .map_err(|e| format!("the snapshot's calendar cannot be used: {e}"))?;
        Ok(Spec {
            snapshot,
            settings: &snapshot.settings,
            procedure,
            flow,
            graph,
            net,
            calendar,
            reading: None,
        })
    }

    pub fn tz(&self) -> Tz {
        self.calendar.timezone()
    }

    pub fn lang(&self) -> &str {
        self.settings.primary_language()
    }

    /// The language texts are read in: [`Spec::reading`] when the QMS has it, else the
    /// primary language.
    pub fn reading(&self) -> &str {
        self.reading
            .as_deref()
            .filter(|l| self.settings.languages.iter().any(|k| k == l))
            .unwrap_or_else(|| self.lang())
    }

    /// A text in the reading language ([`Spec::reading`]), else the primary language.
    pub fn text<'t>(&self, t: &'t Text) -> &'t str {
        t.best(self.reading(), self.lang())
    }

    pub fn step(&self, i: usize) -> &'a Step {
        &self.flow.steps[i]
    }

    pub fn step_id(&self, i: usize) -> &'a str {
        &self.flow.steps[i].id
    }

    /// A step by id, or a refusal naming the flow's steps.
    pub fn find_step(&self, id: &str) -> Result<usize, RunError> {
        self.graph.index_of(id).ok_or_else(|| {
            let known: Vec<String> = self.flow.steps.iter().map(|s| s.id.clone()).collect();
            let hint = crate::check::settings::did_you_mean(id, &known)
                .map(|h| format!(": {h}"))
                .unwrap_or_default();
            RunError::Usage(format!("flow `{}` has no step `{id}`{hint}", self.flow.id))
        })
    }

    /// The records a step produces, resolved.
    pub fn produced(&self, step: usize) -> Vec<Produced<'a>> {
        fields::produced(self.snapshot, self.procedure, self.step(step))
    }

    /// Whether `code` names a party of procdoc.yaml (the customer, a supplier) rather than
    /// a department: a party's steps are recorded on its behalf by a user of the company.
    pub fn is_party(&self, code: &str) -> bool {
        self.settings.parties.iter().any(|p| p.code == code)
    }

    /// How the departments responsible for a step are written (`GM / DGM`).
    pub fn by_text(&self, step: usize) -> String {
        let by = &self.step(step).by;
        if by.is_empty() {
            "-".to_string()
        } else {
            // `QA + PROD + ENG`: each signs; `GM / DGM`: any one of them.
            let sep = if by.joint { " + " } else { " / " };
            by.iter().cloned().collect::<Vec<_>>().join(sep)
        }
    }
}
