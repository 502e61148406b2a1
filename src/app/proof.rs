//! Whether the flows a build or a release is about are proven sound. A flow whose state
//! space was explored only partly (W0405) may still deadlock in a run, so a controlled copy
//! of it is made only when the user accepts it unproven (`--allow-unproven`).

use crate::check::FlowStats;

/// What a build or release may do about the flows of `doc` (every document when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Every flow concerned was explored whole.
    Proven,
    /// Some were not, and the user accepted them unproven: go on, with a warning naming them
    /// (`flow `ID` of DOC`).
    AcceptedUnproven(Vec<String>),
    /// Some were not, and nothing may be made of them; the flows as above.
    Refused(Vec<String>),
}

/// The verdict for the flows of `doc` in `flows` (as `check` explored them), with
/// `allow_unproven` the user's `--allow-unproven`.
pub fn proof(flows: &[FlowStats], doc: Option<&str>, allow_unproven: bool) -> Proof {
    let unproven: Vec<String> = flows
        .iter()
        .filter(|f| !f.complete && doc.is_none_or(|d| f.document == d))
        .map(|f| format!("flow `{}` of {}", f.flow, f.document))
        .collect();
    match (unproven.is_empty(), allow_unproven) {
        (true, _) => Proof::Proven,
        (false, true) => Proof::AcceptedUnproven(unproven),
        (false, false) => Proof::Refused(unproven),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(document: &str, flow: &str, complete: bool) -> FlowStats {
        FlowStats {
            document: document.into(),
            flow: flow.into(),
            states: 10,
            limit: 100,
            complete,
            reduced: false,
        }
    }

    #[test]
    fn only_the_unproven_flows_of_the_document_asked_about_count() {
        let flows = [flow("A", "order", true), flow("B", "big", false)];
        assert_eq!(proof(&flows, Some("A"), false), Proof::Proven);
        let named = vec!["flow `big` of B".to_string()];
        assert_eq!(proof(&flows, None, false), Proof::Refused(named.clone()));
        assert_eq!(
            proof(&flows, Some("B"), true),
            Proof::AcceptedUnproven(named)
        );
    }
}
