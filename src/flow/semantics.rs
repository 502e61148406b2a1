//! The flow semantics, in one place for the checker and the checklist runner: which steps
//! are active in a state, and which become active when one is completed.
//!
//! A flow is a workflow net. A step without `join: all` has one input place and is active
//! while that place holds a token; a `join: all` step has one input place per incoming
//! edge and is active when every one of them holds a token. Completing a step consumes its
//! tokens and puts one on each chosen successor's input. `end` consumes the token; the run
//! finishes when no token remains. A step with `timeout` has one more exclusive exit, the
//! last choice ([`Net::timeout_choice`]): time takes it, and it sends the token to `goto`.
//! finishes when no token remains.
//!
//! A decision with `multiple: true` (an inclusive choice) is completed with a non-empty set
//! of its outcomes: a choice numbers the set (bit `i` of `choice + 1` takes the `i`-th
//! outcome), and a token goes to each chosen outcome's step.
//!
//! A `join: started` step (an inclusive join, the OR-join of BPMN 2.0's inclusive gateway,
//! whose execution semantics are given in the BPMN 2.0 specification, chapter 13) has one
//! input place per incoming edge like `join: all`, and is active when at least one of them
//! holds a token and no token of the run can still reach one of the empty ones. "Can still
//! reach" is graph reachability: a token in place `q` can reach input `p` when a chain of
//! edges leads from `q`'s step to `p` without completing the join itself (decisions counted
//! as taking any outcome, joins as if they would fire). This is the usual OR-join
//! approximation; it is stricter than BPMN's rule, which also lets the join go on when the
//! upstream token could reach one of the inputs that has already arrived: here the join
//! waits for such a token too, so a branch started before the join is never left behind.
//! Completing the join takes one token from each input that holds one.

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
    /// The target of each step's timeout exit.
    timeouts: Vec<Option<usize>>,
    first: Option<usize>,
    /// Steps whose decision takes a non-empty set of outcomes (`multiple: true`).
    multiple: Vec<bool>,
    /// Per `join: started` step, per input place (in the order of `inputs`): the places
    /// from which a token can still reach that input without the join being completed.
    /// Empty for other steps.
    feeders: Vec<Vec<Vec<usize>>>,
}

/// The most outcomes of a `multiple: true` decision whose sets of outcomes are told apart;
/// the checker refuses more (every set is explored, 2^n - 1 of them).
pub const MULTIPLE_OUTCOMES_LIMIT: usize = 8;

/// The outcomes (positions in the decision's outcome list) of choice `choice` of a decision
/// with `count` outcomes that takes a set of them.
fn subset(choice: usize, count: usize) -> Vec<usize> {
    let mask = choice + 1;
    (0..count.min(usize::BITS as usize - 1))
        .filter(|&i| mask & (1 << i) != 0)
        .collect()
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
        let mut net = Net {
            places,
            inputs,
            edge_place,
            step_place,
            exits: flow.exits.clone(),
            timeouts: flow.timeouts.clone(),
            first: (n > 0).then_some(0),
            multiple: flow.multiple.clone(),
            feeders: vec![Vec::new(); n],
        };
        net.feeders = (0..n)
            .map(|step| {
                if flow.inclusive[step] {
                    net.inputs[step]
                        .iter()
                        .map(|&p| net.feeding(p, step))
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        net
    }

    /// The places from which a token can reach place `target` without `join` being
    /// completed on the way (backwards over the edges of every exit, whatever it chooses).
    fn feeding(&self, target: usize, join: usize) -> Vec<usize> {
        let steps = self.inputs.len();
        let mut producers: Vec<Vec<usize>> = vec![Vec::new(); self.places];
        for step in 0..steps {
            let targets: Vec<usize> = match &self.exits[step] {
                Exit::Continue(t) => vec![*t],
                Exit::Next(ts) => ts.clone(),
                Exit::Decision(outcomes) => outcomes.iter().map(|&(_, t)| t).collect(),
                Exit::End | Exit::FallsOff => Vec::new(),
            };
            // Time may send the token on by the step's timeout instead.
            for t in targets.into_iter().chain(self.timeouts[step]) {
                if let Some(p) = self.place_towards(step, t) {
                    producers[p].push(step);
                }
            }
        }
        let mut seen = vec![false; self.places];
        let mut stack = vec![target];
        seen[target] = true;
        while let Some(place) = stack.pop() {
            for &step in &producers[place] {
                if step == join {
                    continue;
                }
                for &q in &self.inputs[step] {
                    if !std::mem::replace(&mut seen[q], true) {
                        stack.push(q);
                    }
                }
            }
        }
        (0..self.places)
            .filter(|&q| seen[q] && q != target)
            .collect()
    }

    /// Whether a `join: started` step's inputs allow it to start in `m`: at least one holds
    /// a token, and no token can still reach an empty one.
    fn inclusive_ready(&self, m: &Marking, step: usize) -> bool {
        let inputs = &self.inputs[step];
        inputs.iter().any(|&p| m.0[p] > 0)
            && inputs
                .iter()
                .zip(&self.feeders[step])
                .all(|(&p, feeders)| m.0[p] > 0 || feeders.iter().all(|&q| m.0[q] == 0))
    }

    /// Whether the step is a `join: started` (an inclusive join).
    pub fn is_inclusive(&self, step: usize) -> bool {
        !self.feeders[step].is_empty()
    }

    /// Whether the net has any `join: started`, whose enabling depends on tokens anywhere in
    /// the run (the partial-order reduction does not apply then).
    pub fn has_inclusive(&self) -> bool {
        self.feeders.iter().any(|f| !f.is_empty())
    }

    /// Whether the step's decision takes a set of outcomes (`multiple: true`).
    pub fn is_multiple(&self, step: usize) -> bool {
        self.multiple[step]
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
        if self.is_inclusive(step) {
            return self.inclusive_ready(m, step);
        }
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

    /// The predecessors of a join step whose branch has not arrived in state `m` (for a
    /// `join: started`, only those whose branch can still come).
    pub fn missing_inputs(&self, m: &Marking, step: usize) -> Vec<usize> {
        let can_come = |place: usize| match self.inputs[step].iter().position(|&p| p == place) {
            Some(i) if self.is_inclusive(step) => self.feeders[step][i].iter().any(|&q| m.0[q] > 0),
            _ => true,
        };
        let mut missing: Vec<usize> = self
            .edge_place
            .iter()
            .filter(|((_, to), place)| *to == step && m.0[**place] == 0 && can_come(**place))
            .map(|((from, _), _)| *from)
            .collect();
        missing.sort_unstable();
        missing
    }

    /// How many different ways a step can be left: its decision outcomes (every non-empty
    /// set of them for `multiple: true`), else one; plus its timeout when it has one.
    pub fn choices(&self, step: usize) -> usize {
        self.completions(step) + usize::from(self.timeouts[step].is_some())
    }

    /// How many different ways a person can complete a step (its decision outcomes, or every
    /// non-empty set of them for `multiple: true`, else one).
    fn completions(&self, step: usize) -> usize {
        match &self.exits[step] {
            Exit::Decision(outcomes) if self.multiple[step] => {
                (1usize << outcomes.len().min(MULTIPLE_OUTCOMES_LIMIT)) - 1
            }
            Exit::Decision(outcomes) => outcomes.len(),
            _ => 1,
        }
    }

    /// The choice that leaves `step` by its timeout (after every outcome), if it has one.
    pub fn timeout_choice(&self, step: usize) -> Option<usize> {
        self.timeouts[step].map(|_| self.completions(step))
    }

    /// Whether choice `choice` of `step` is its timeout.
    pub fn is_timeout(&self, step: usize, choice: usize) -> bool {
        self.timeout_choice(step) == Some(choice)
    }

    /// The decision outcome index behind choice `choice` of `step` (the first of the set
    /// for a `multiple: true` decision).
    pub fn outcome_of_choice(&self, step: usize, choice: usize) -> Option<usize> {
        self.outcomes_of_choice(step, choice).first().copied()
    }

    /// The decision outcome indices behind choice `choice` of `step`, in outcome order:
    /// one, or a set for a `multiple: true` decision; none when `step` does not decide.
    pub fn outcomes_of_choice(&self, step: usize, choice: usize) -> Vec<usize> {
        match &self.exits[step] {
            Exit::Decision(outcomes) if self.multiple[step] => {
                if choice >= self.completions(step) {
                    return Vec::new();
                }
                subset(choice, outcomes.len())
                    .into_iter()
                    .map(|i| outcomes[i].0)
                    .collect()
            }
            Exit::Decision(outcomes) => outcomes.get(choice).map(|&(o, _)| o).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The choice that takes decision outcome `outcome` of `step` (alone).
    pub fn choice_of_outcome(&self, step: usize, outcome: usize) -> Option<usize> {
        self.choice_of_outcomes(step, &[outcome])
    }

    /// The choice that takes exactly the decision outcomes `outcomes` of `step` (in any
    /// order, repeats ignored): one outcome, or a non-empty set for a `multiple: true`
    /// decision. `None` when the step has no such outcome or cannot take that many.
    pub fn choice_of_outcomes(&self, step: usize, outcomes: &[usize]) -> Option<usize> {
        let Exit::Decision(exits) = &self.exits[step] else {
            return None;
        };
        if !self.multiple[step] {
            return match outcomes {
                [o] => exits.iter().position(|&(e, _)| e == *o),
                _ => None,
            };
        }
        let mut mask = 0usize;
        for o in outcomes {
            let i = exits.iter().position(|&(e, _)| e == *o)?;
            if i >= MULTIPLE_OUTCOMES_LIMIT {
                return None;
            }
            mask |= 1 << i;
        }
        mask.checked_sub(1)
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
        if let Some(t) = self.timeouts[step]
            && self.is_timeout(step, choice)
        {
            return Ok(vec![t]);
        }
        Ok(match &self.exits[step] {
            Exit::Continue(t) => vec![*t],
            Exit::Next(ts) => ts.clone(),
            Exit::Decision(outcomes) if self.multiple[step] => {
                if choice >= self.completions(step) {
                    return Err(FireError::NoSuchChoice {
                        choices: self.choices(step),
                    });
                }
                subset(choice, outcomes.len())
                    .into_iter()
                    .map(|i| outcomes[i].1)
                    .collect()
            }
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
            // An inclusive join takes a token from each input that holds one.
            if next.0[p] > 0 {
                next.0[p] -= 1;
            }
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
        // An inclusive join can start without a token arriving for it: when the last token
        // that could still reach one of its empty inputs went elsewhere or ended.
        activated.extend(
            (0..self.inputs.len())
                .filter(|&j| self.is_inclusive(j) && !before[j] && self.is_active(&next, j)),
        );
        activated.sort_unstable();
        activated.dedup();
        overflow.sort_unstable();
        overflow.dedup();
        Ok(Firing {
            marking: next,
            activated,
            overflow,
            ended: matches!(self.exits[step], Exit::End | Exit::FallsOff)
                && !self.is_timeout(step, choice),
            uncounted,
        })
    }
}

#[cfg(test)]
#[path = "inclusive_tests.rs"]
mod inclusive_tests;
