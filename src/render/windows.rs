//! An earliest time (`after:`) in words, per language: "not before 3 years", "not earlier
//! than 4 weeks before step 5.3"; the Chinese words come from the labels.

use super::context::{Multi, Printing};
use super::labels::{self, Script};
use crate::spec::model::Within;

/// The earliest time of a step as the document, the flowchart and the traveller print it.
pub fn earliest(p: &Printing, after: &Within, number_of: &dyn Fn(&str) -> String) -> Multi {
    let d = after.time();
    labels::dedup(
        p.langs
            .iter()
            .map(|lang| {
                let time = labels::duration(d, lang);
                let word = |key: &str| labels::label(key, lang);
                let step = word("step");
                if Script::of(lang) == Script::English {
                    match (after.from(), after.before()) {
                        (Some("start"), _) => {
                            format!("not before {time} from the start of the flow")
                        }
                        (Some(from), _) => {
                            format!("not before {time} after step {}", number_of(from))
                        }
                        (None, Some(before)) => {
                            format!("not earlier than {time} before step {}", number_of(before))
                        }
                        (None, None) => format!("not before {time}"),
                    }
                } else {
                    let full = word("full_then").replace("{x}", &time);
                    match (after.from(), after.before()) {
                        (Some("start"), _) => format!("{}{full}", word("from_start")),
                        (Some(from), _) => {
                            format!(
                                "{step} {} {}{full}",
                                number_of(from),
                                word("after_completion")
                            )
                        }
                        (None, Some(before)) => format!(
                            "{}{step} {} {}{time}",
                            word("not_earlier_than"),
                            number_of(before),
                            word("before")
                        ),
                        (None, None) => format!("{time}{}", word("only_after")),
                    }
                }
            })
            .collect(),
    )
}
