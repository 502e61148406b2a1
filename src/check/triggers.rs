//! The texts of a flow's several triggers: `run start --trigger TEXT` names one by its text
//! in any language, so no two triggers of a flow may share one.

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView};
use crate::spec::trigger::Trigger;

/// Reports a trigger whose text (in any language, ignoring case) is that of an earlier
/// trigger of the same flow (E0021), at the later one.
pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (f, flow) in view.doc.flows.iter().enumerate() {
        let Some(Trigger::Several(list)) = &flow.trigger else {
            continue;
        };
        for (j, later) in list.iter().enumerate() {
            let Some((i, text)) = list[..j].iter().enumerate().find_map(|(i, earlier)| {
                later
                    .text
                    .variants()
                    .into_iter()
                    .find(|v| earlier.text.matches(v))
                    .map(|v| (i, v))
            }) else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_TRIGGER_TEXT,
                    cx.at(file, &format!("flows[{f}].trigger[{j}].text")),
                    format!(
                        "flow `{}` has two triggers with the text `{}`",
                        flow.id,
                        text.trim()
                    ),
                )
                .label(
                    cx.at(file, &format!("flows[{f}].trigger[{i}].text")),
                    "first here",
                )
                .hint("give each trigger a text of its own: `run start --trigger TEXT` names a trigger by its text"),
            );
        }
    }
}
