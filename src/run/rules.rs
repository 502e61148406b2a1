//! The standing rules a run shows on a step (`run show`, the web step page), worded in the
//! language the run is read in, numbered as the printed document numbers them.

use super::engine::Spec;
use crate::render::labels;

impl Spec<'_> {
    /// "Rule 2: Controlled copies are never changed by hand." for every standing rule of the
    /// procedure that applies to step `step` (see [`crate::spec::rules::for_step`]).
    pub fn rules(&self, step: usize) -> Vec<String> {
        self.rules_in(step, self.reading())
    }

    /// [`Spec::rules`] worded in `lang` (texts a rule lacks in it: the primary language).
    pub fn rules_in(&self, step: usize, lang: &str) -> Vec<String> {
        crate::spec::rules::for_step(self.procedure, self.flow, self.step(step))
            .into_iter()
            .map(|(number, rule)| {
                format!(
                    "{} {number}: {}",
                    labels::label("rule", lang),
                    rule.text.best(lang, self.lang())
                )
            })
            .collect()
    }
}
