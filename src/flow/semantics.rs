//! The flow semantics, in one place for the checker and the checklist runner: which steps
//! are active in a state, and which become active when one is completed.
//!
//! A flow is a workflow net. A step without `join: all` has one input place and is active
//! while that place holds a token; a `join: all` step has one input place per incoming
//! edge and is active when every one of them holds a token. Completing a step consumes its
//! tokens and puts one on each chosen successor's input. `end` consumes the token; the run
//! finishes when no token remains.

use std::collections::HashMap;

use super::graph::{Exit, FlowGraph};

/// Tokens per place, counted exactly: three branches that meet without a join leave three
/// tokens, and the step runs three times. A flow that is not safe can pile up tokens without
/// end; the checker bounds the number of states it explores instead (see
/// [`Marking::covers`]), and [`Firing::overflow`] reports the unsynchronised step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Marking(Vec<u8>);

impl Marking {
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&t| t == 0)
    }

    pub fn tokens(&self) -> &[u8] {
        &self.0
    }

    /// Whether some place holds more than one token (the flow is not safe here).
    pub fn is_unsafe(&self) -> bool {
        self.0.iter().any(|&t| t > 1)
    }

    /// Whether this marking holds at least the tokens of `other` in every place and more in
    /// some: reached from `other`, the same steps can repeat and add tokens for ever.
    pub fn covers(&self, other: &Marking) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| a >= b)
            && self.0 != other.0
    }
}

#[derive(Debug)]
pub struct Net {
    places: usize,
    /// Places a step consumes from when it fires.
    inputs: Vec<Vec<usize>>,
    /// The place a token travelling from step `from` to step `to` lands in.
    edge_place: HashMap<(usize, usize), usize>,
    /// The single input place of a step without join.
    step_place: Vec<Option<usize>>,
    exits: Vec<Exit>,
    first: Option<usize>,
}

/// The result of completing a step.
#[derive(Debug, Clone)]
pub struct Firing {
    pub marking: Marking,
    /// Steps that became active because of this completion.
    pub activated: Vec<usize>,
    /// Steps that received a second token while one was waiting: the branches were not
    /// synchronised.
    pub overflow: Vec<usize>,
    /// The completed step was an `end`.
    pub ended: bool,
    /// A place already held the most tokens a marking can count (255), so one was not
    /// counted; only a flow that piles up tokens without end gets here.
    pub uncounted: bool,
}

/// Why a step cannot be completed in a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FireError {
    NotActive,
    /// The choice is not one of the step's outcomes.
    NoSuchChoice {
        choices: usize,
    },
}

impl Net {
    pub fn new(flow: &FlowGraph) -> Self {
        let n = flow.len();
        let mut places = 0;
        let mut inputs = vec![Vec::new(); n];
        let mut edge_place = HashMap::new();
        let mut step_place = vec![None; n];
        for (step, input) in inputs.iter_mut().enumerate() {
            if flow.join[step] {
                for pred in flow.predecessors(step) {
                    edge_place.insert((pred, step), places);
                    input.push(places);
                    places += 1;
                }
            } else {
                step_place[step] = Some(places);
                input.push(places);
                places += 1;
            }
        }
        Net {
            places,
            inputs,
            edge_place,
            step_place,
            exits: flow.exits.clone(),
            first: (n > 0).then_some(0),
        }
    }

    /// The state when a run starts: the first step is active.
    pub fn initial(&self) -> Marking {
        let mut m = Marking(vec![0; self.places]);
        if let Some(place) = self.first.and_then(|f| self.step_place[f]) {
            m.0[place] = 1;
        }
        m
    }

    /// The state when a run starts at `step` (one of several triggers' starts).
    pub fn initial_at(&self, step: usize) -> Marking {
        let mut m = Marking(vec![0; self.places]);
        if let Some(place) = self.step_place.get(step).copied().flatten() {
            m.0[place] = 1;
        }
        m
    }

    pub fn is_active(&self, m: &Marking, step: usize) -> bool {
        let inputs = &self.inputs[step];
        !inputs.is_empty() && inputs.iter().all(|&p| m.0[p] > 0)
    }

    /// Steps active in a state, in step order.
    pub fn active(&self, m: &Marking) -> Vec<usize> {
        (0..self.inputs.len())
            .filter(|&s| self.is_active(m, s))
            .collect()
    }

    /// Join steps that hold some of their tokens but not all: waiting for other branches.
    pub fn waiting(&self, m: &Marking) -> Vec<usize> {
        (0..self.inputs.len())
            .filter(|&s| {
                let inputs = &self.inputs[s];
                inputs.len() > 1 && !self.is_active(m, s) && inputs.iter().any(|&p| m.0[p] > 0)
            })
            .collect()
    }

    /// The predecessors of a join step whose branch has not arrived in state `m`.
    pub fn missing_inputs(&self, m: &Marking, step: usize) -> Vec<usize> {
        let mut missing: Vec<usize> = self
            .edge_place
            .iter()
            .filter(|((_, to), place)| *to == step && m.0[**place] == 0)
            .map(|((from, _), _)| *from)
            .collect();
        missing.sort_unstable();
        missing
    }

    /// How many different ways a step can be completed (its decision outcomes, else one).
    pub fn choices(&self, step: usize) -> usize {
        match &self.exits[step] {
            Exit::Decision(outcomes) => outcomes.len(),
            _ => 1,
        }
    }

    /// The decision outcome index behind choice `choice` of `step`.
    pub fn outcome_of_choice(&self, step: usize, choice: usize) -> Option<usize> {
        match &self.exits[step] {
            Exit::Decision(outcomes) => outcomes.get(choice).map(|&(o, _)| o),
            _ => None,
        }
    }

    /// The choice that takes decision outcome `outcome` of `step`.
    pub fn choice_of_outcome(&self, step: usize, outcome: usize) -> Option<usize> {
        match &self.exits[step] {
            Exit::Decision(outcomes) => outcomes.iter().position(|&(o, _)| o == outcome),
            _ => None,
        }
    }

    /// Number of places (token counters) in a marking.
    pub fn places(&self) -> usize {
        self.places
    }

    /// Number of steps.
    pub fn steps(&self) -> usize {
        self.inputs.len()
    }

    /// The places a step takes one token from each when it is completed.
    pub fn inputs(&self, step: usize) -> &[usize] {
        &self.inputs[step]
    }

    /// The places completing `step` with choice `choice` puts a token in, one entry per
    /// token (a place named twice gets two).
    pub fn outputs(&self, step: usize, choice: usize) -> Result<Vec<usize>, FireError> {
        Ok(self
            .targets(step, choice)?
            .into_iter()
            .filter_map(|t| self.place_towards(step, t))
            .collect())
    }

    /// The steps a completion of `step` with `choice` sends a token to.
    fn targets(&self, step: usize, choice: usize) -> Result<Vec<usize>, FireError> {
        Ok(match &self.exits[step] {
            Exit::Continue(t) => vec![*t],
            Exit::Next(ts) => ts.clone(),
            Exit::Decision(outcomes) => match outcomes.get(choice) {
                Some(&(_, t)) => vec![t],
                None => {
                    return Err(FireError::NoSuchChoice {
                        choices: outcomes.len(),
                    });
                }
            },
            Exit::End | Exit::FallsOff => Vec::new(),
        })
    }

    /// The place a token travelling from `from` to `to` lands in.
    fn place_towards(&self, from: usize, to: usize) -> Option<usize> {
        self.edge_place
            .get(&(from, to))
            .copied()
            .or(self.step_place[to])
    }

    /// Complete `step` in state `m`, taking choice `choice` (0 unless the step decides).
    pub fn fire(&self, m: &Marking, step: usize, choice: usize) -> Result<Firing, FireError> {
        if !self.is_active(m, step) {
            return Err(FireError::NotActive);
        }
        let targets = self.targets(step, choice)?;
        let before: Vec<bool> = (0..self.inputs.len())
            .map(|s| self.is_active(m, s))
            .collect();
        let mut next = m.clone();
        for &p in &self.inputs[step] {
            next.0[p] -= 1;
        }
        let mut overflow = Vec::new();
        let mut uncounted = false;
        for &t in &targets {
            let Some(place) = self.place_towards(step, t) else {
                continue;
            };
            if next.0[place] >= 1 {
                overflow.push(t);
            }
            match next.0[place].checked_add(1) {
                Some(count) => next.0[place] = count,
                None => uncounted = true,
            }
        }
        // A step that was active and is still active after a token arrived for it again is
        // also newly activated (a second instance), which the runner shows as a new iteration.
        let mut activated: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|&t| {
                self.is_active(&next, t) && (!before[t] || t == step || overflow.contains(&t))
            })
            .collect();
        activated.sort_unstable();
        activated.dedup();
        overflow.sort_unstable();
        overflow.dedup();
        Ok(Firing {
            marking: next,
            activated,
            overflow,
            ended: matches!(self.exits[step], Exit::End | Exit::FallsOff),
            uncounted,
        })
    }
}
