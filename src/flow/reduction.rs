//! Partial-order reduction of a flow's state space with stubborn sets (Valmari, "Stubborn
//! sets for reduced state space generation", 1990), so that flows with many parallel
//! branches can be explored completely.
//!
//! Steps of different parallel branches are independent: completing one neither enables nor
//! disables the other, and either order reaches the same state. In a state, a stubborn set is
//! a set of steps such that nothing done outside the set can change whether a step in it can
//! be completed (D1), and one of its active steps stays active whatever is done outside (D2).
//! Completing only the active steps of a stubborn set, instead of every active step, still
//! reaches every state where a run gets stuck, by a run of the same length (the other orders
//! are permutations of it), so the shortest stuck run found breadth-first is still shortest.
//!
//! The checker reports more than deadlocks, so the sets are built to keep those findings too:
//! - a second token for a step that is still active (E0402) is watched by one pseudo-step per
//!   (step, place it feeds), active when completing that step would overflow that place; the
//!   sets treat these pseudo-steps like steps, so a state where one is active is reached
//!   whenever a full exploration reaches one;
//! - with the cycle proviso below, every step that can ever become active does so in the
//!   reduced exploration (no step is ignored for ever), which keeps unreachable steps (W0404);
//! - an `end` completed while other work is open (E0403) is then found too, for at least one
//!   such `end`: the work a reduced run adds to the state in which the `end` can be completed
//!   is never the `end`'s own input, so the state still holds other work, unless that added
//!   work was itself an `end` completed while work was open.
//!
//! The cycle proviso (for breadth-first search): a state whose reduced successors include a
//! state already known at the same depth or less is expanded in full. Every cycle of the
//! reduced graph has such an edge, so every cycle holds a fully expanded state.

use super::semantics::{Marking, Net};

/// The structure the stubborn sets are computed on: steps and the overflow pseudo-steps,
/// with the tokens each needs, and which steps put tokens in each place.
#[derive(Debug)]
pub struct Reduction {
    steps: usize,
    /// Units `0..steps` are the steps; the rest are overflow pseudo-steps. (place, tokens).
    needs: Vec<Vec<(usize, u8)>>,
    /// Per place: units that need a token there.
    consumers: Vec<Vec<usize>>,
    /// Per place: steps that can put a token there.
    producers: Vec<Vec<usize>>,
}

impl Reduction {
    pub fn new(net: &Net) -> Self {
        let steps = net.steps();
        let mut needs: Vec<Vec<(usize, u8)>> = (0..steps)
            .map(|s| net.inputs(s).iter().map(|&p| (p, 1)).collect())
            .collect();
        let mut producers = vec![Vec::new(); net.places()];
        for step in 0..steps {
            // The most tokens any one completion of the step puts in each place.
            let mut copies: Vec<(usize, u8)> = Vec::new();
            for choice in 0..net.choices(step) {
                let Ok(outputs) = net.outputs(step, choice) else {
                    continue;
                };
                for &p in &outputs {
                    let n = outputs.iter().filter(|&&q| q == p).count().min(2) as u8;
                    match copies.iter_mut().find(|(q, _)| *q == p) {
                        Some((_, c)) => *c = (*c).max(n),
                        None => copies.push((p, n)),
                    }
                }
            }
            for (p, n) in copies {
                if !producers[p].contains(&step) {
                    producers[p].push(step);
                }
                // Completing `step` overflows `p` when, after its own tokens are taken, `p`
                // still holds one (or always, when it puts two there at once).
                let mut need: Vec<(usize, u8)> = net.inputs(step).iter().map(|&q| (q, 1)).collect();
                let extra = 2 - n;
                match need.iter_mut().find(|(q, _)| *q == p) {
                    Some((_, c)) => *c += extra,
                    None if extra > 0 => need.push((p, extra)),
                    None => {}
                }
                needs.push(need);
            }
        }
        let mut consumers = vec![Vec::new(); net.places()];
        for (unit, need) in needs.iter().enumerate() {
            for &(p, _) in need {
                consumers[p].push(unit);
            }
        }
        Reduction {
            steps,
            needs,
            consumers,
            producers,
        }
    }

    /// The active steps of a smallest stubborn set found in state `m`, in step order; `active`
    /// is every active step of `m`. Empty only when `active` is.
    pub fn stubborn(&self, m: &Marking, active: &[usize]) -> Vec<usize> {
        if active.len() <= 1 {
            return active.to_vec();
        }
        let mut best = active.to_vec();
        let mut member = vec![false; self.needs.len()];
        for &seed in active {
            if let Some(set) = self.closure(m, seed, best.len(), &mut member) {
                best = set;
                if best.len() == 1 {
                    break;
                }
            }
        }
        best.sort_unstable();
        best
    }

    /// The stubborn set grown from one active step; `None` as soon as it has `bound` active
    /// steps (no better than one already found). `member` is scratch space, left all false.
    fn closure(
        &self,
        m: &Marking,
        seed: usize,
        bound: usize,
        member: &mut [bool],
    ) -> Option<Vec<usize>> {
        let tokens = m.tokens();
        let mut added = vec![seed];
        member[seed] = true;
        let mut next = 0;
        let mut enabled = Vec::new();
        let mut result = Some(());
        while next < added.len() {
            let unit = added[next];
            next += 1;
            let need = &self.needs[unit];
            if need.is_empty() {
                // A join without inputs can never be completed; nothing changes that.
                continue;
            }
            let short: Vec<usize> = need
                .iter()
                .filter(|&&(p, n)| tokens[p] < n)
                .map(|&(p, _)| p)
                .collect();
            let grow: Vec<usize> = if short.is_empty() {
                if unit >= self.steps {
                    // An active overflow pseudo-step is reported in this very state.
                    continue;
                }
                enabled.push(unit);
                if enabled.len() >= bound {
                    result = None;
                    break;
                }
                // Whatever takes tokens from this step's inputs could disable it.
                need.iter()
                    .flat_map(|&(p, _)| self.consumers[p].iter().copied())
                    .collect()
            } else {
                // Only the steps that feed one place it lacks can make it active; pick the
                // place whose feeders add least.
                let fresh = |p: usize| self.producers[p].iter().filter(|&&s| !member[s]).count();
                let p = short
                    .iter()
                    .copied()
                    .min_by_key(|&p| fresh(p))
                    .unwrap_or(short[0]);
                self.producers[p].clone()
            };
            for s in grow {
                if !member[s] {
                    member[s] = true;
                    added.push(s);
                }
            }
        }
        for &u in &added {
            member[u] = false;
        }
        result.map(|()| enabled)
    }
}
