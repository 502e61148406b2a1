//! The original's structure: clause numbers unique and in document order, stages that name
//! each flow once, and links in long texts that name something the document numbers.

use std::collections::HashMap;

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView};
use crate::spec::model::Procedure;
use crate::spec::numbers::{self, DocNumbers, Target};
use crate::spec::source::{FileId, Location};
use crate::spec::text::Text;

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let doc = view.doc;
    let file = view.file;
    check_stages(cx, file, doc, out);
    let numbers = DocNumbers::of(doc);
    check_numbers(cx, file, doc, &numbers, out);
    for (path, text) in long_texts(doc) {
        check_links(cx, file, doc, &numbers, &path, text, out);
    }
}

fn check_stages(cx: &Context, file: FileId, doc: &Procedure, out: &mut Vec<Diagnostic>) {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut listed: HashMap<&str, String> = HashMap::new();
    for (i, stage) in doc.stages.iter().enumerate() {
        if let Some(first) = ids.insert(&stage.id, i) {
            out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_ID,
                    cx.at(file, &format!("stages[{i}].id")),
                    format!("stage id `{}` is used twice", stage.id),
                )
                .label(
                    cx.at(file, &format!("stages[{first}].id")),
                    "also used here",
                ),
            );
        }
        for (j, flow) in stage.flows.iter().enumerate() {
            let path = format!("stages[{i}].flows[{j}]");
            if !doc.flows.iter().any(|f| &f.id == flow) {
                let known: Vec<String> = doc.flows.iter().map(|f| f.id.clone()).collect();
                out.push(
                    Diagnostic::new(
                        &codes::UNKNOWN_FLOW,
                        cx.at(file, &path),
                        format!(
                            "stage `{}` names flow `{flow}`, which the procedure does not have",
                            stage.id
                        ),
                    )
                    .maybe_hint(super::settings::did_you_mean(flow, &known)),
                );
                continue;
            }
            match listed.get(flow.as_str()) {
                Some(first) => out.push(
                    Diagnostic::new(
                        &codes::DUPLICATE_STAGE_FLOW,
                        cx.at(file, &path),
                        format!("flow `{flow}` is listed in stages twice"),
                    )
                    .label(cx.at(file, first), "first listed here")
                    .hint("a flow belongs to one stage: remove one of the two"),
                ),
                None => {
                    listed.insert(flow, path);
                }
            }
        }
    }
}

/// Where a number was written (`number:`), else the item that carries it.
fn number_at(cx: &Context, file: FileId, path: &str, written: bool) -> Location {
    if written {
        cx.at(file, &format!("{path}.number"))
    } else {
        cx.key(file, path)
    }
}

fn describe(doc: &Procedure, path: &str) -> String {
    let flow_step = path
        .strip_prefix("flows[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(f, rest)| {
            let f: usize = f.parse().ok()?;
            let flow = doc.flows.get(f)?;
            match rest
                .strip_prefix(".steps[")
                .and_then(|r| r.strip_suffix(']'))
            {
                Some(s) => Some(format!(
                    "step `{}`",
                    flow.steps.get(s.parse::<usize>().ok()?)?.id
                )),
                None => Some(format!("flow `{}`", flow.id)),
            }
        });
    if let Some(d) = flow_step {
        return d;
    }
    if let Some(i) = path
        .strip_prefix("sections[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok())
    {
        return format!("section {}", i + 1);
    }
    format!("the {path} section")
}

fn check_numbers(
    cx: &Context,
    file: FileId,
    doc: &Procedure,
    numbers: &DocNumbers,
    out: &mut Vec<Diagnostic>,
) {
    let items = numbers.in_order(doc);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    // The last number that compares with others (an unnumbered `""` item is skipped).
    let mut previous: Option<usize> = None;
    for (i, item) in items.iter().enumerate() {
        if item.number.is_empty() {
            continue;
        }
        // Locating builds the file's source map: only done for a finding.
        let here = || number_at(cx, file, &item.path, item.written);
        let what = || describe(doc, &item.path);
        if let Some(&first) = seen.get(item.number.as_str()) {
            let other = &items[first];
            out.push(
                Diagnostic::new(
                    &codes::DUPLICATE_NUMBER,
                    here(),
                    format!(
                        "{} prints number {}, which {} prints too",
                        what(),
                        item.number,
                        describe(doc, &other.path)
                    ),
                )
                .label(
                    number_at(cx, file, &other.path, other.written),
                    "printed here first",
                )
                .notes_if(
                    !item.written,
                    "this number is counted on from the one before it",
                )
                .hint("give it its own `number:`"),
            );
            continue;
        }
        seen.insert(&item.number, i);
        let prev = previous.map(|p| &items[p]);
        previous = Some(i);
        if let Some(prev) = prev
            && numbers::compare(&prev.number, &item.number).is_some_and(|o| o.is_ge())
        {
            out.push(
                Diagnostic::new(
                    &codes::NUMBER_OUT_OF_ORDER,
                    here(),
                    format!(
                        "{} prints number {}, which is not after {} of {} printed before it",
                        what(),
                        item.number,
                        prev.number,
                        describe(doc, &prev.path)
                    ),
                )
                .notes_if(
                    !item.written,
                    "this number is counted on from the one before it",
                )
                .hint("numbers go up in the order the document prints them; fix the `number:` or the order of the items"),
            );
        }
    }
}

/// The long texts (Markdown subset) of a procedure with their model paths.
pub fn long_texts(doc: &Procedure) -> Vec<(String, &Text)> {
    let mut out = Vec::new();
    if let Some(t) = &doc.purpose {
        out.push(("purpose".to_string(), t));
    }
    if let Some(t) = &doc.scope {
        out.push(("scope".to_string(), t));
    }
    for (i, d) in doc.definitions.iter().enumerate() {
        out.push((format!("definitions[{i}].meaning"), &d.meaning));
    }
    for (i, r) in doc.responsibilities.iter().enumerate() {
        for (j, duty) in r.duties.iter().enumerate() {
            out.push((format!("responsibilities[{i}].duties[{j}]"), duty));
        }
    }
    for (f, flow) in doc.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            if let Some(t) = &step.detail {
                out.push((format!("flows[{f}].steps[{s}].detail"), t));
            }
        }
    }
    for (i, section) in doc.sections.iter().enumerate() {
        out.push((format!("sections[{i}].body"), &section.body));
    }
    out
}

fn check_links(
    cx: &Context,
    file: FileId,
    doc: &Procedure,
    numbers: &DocNumbers,
    path: &str,
    text: &Text,
    out: &mut Vec<Diagnostic>,
) {
    for (lang, value) in text.entries() {
        let value_path = if lang.is_empty() {
            path.to_string()
        } else {
            format!("{path}.{lang}")
        };
        for link in numbers::links(value) {
            let target = numbers.target(doc, link.id);
            let unnumbered = target == Target::Number(String::new()) && link.label.is_empty();
            if matches!(target, Target::Number(_)) && !unnumbered {
                continue;
            }
            let at = link_location(cx, file, &value_path, &value[link.span.clone()]);
            let message = match target {
                _ if unnumbered => format!(
                    "link `#{}` names a part printed without a number, so `[](#{})` would print nothing",
                    link.id, link.id
                ),
                Target::Ambiguous => format!(
                    "link `#{}` is ambiguous: several things of the procedure have that id",
                    link.id
                ),
                _ => format!(
                    "link `#{}` names no step, flow, section, record or definition of the procedure",
                    link.id
                ),
            };
            let known = known_ids(doc);
            let hint = match target {
                _ if unnumbered => Some(format!("give the link a text: `[...](#{})`", link.id)),
                Target::Ambiguous => Some(format!(
                    "name the step with its flow: `[](#<flow>/{})`",
                    link.id
                )),
                _ => super::settings::did_you_mean(link.id, &known).or_else(|| {
                    Some(
                        "give the section or definition an `id:`, or link a step, flow or record by its id"
                            .to_string(),
                    )
                }),
            };
            out.push(Diagnostic::new(&codes::UNKNOWN_LINK, at, message).maybe_hint(hint));
        }
    }
}

fn known_ids(doc: &Procedure) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for flow in &doc.flows {
        ids.push(flow.id.clone());
        ids.extend(flow.steps.iter().map(|s| s.id.clone()));
    }
    ids.extend(doc.sections.iter().filter_map(|s| s.id.clone()));
    ids.extend(doc.records.iter().map(|r| r.id.clone()));
    ids.extend(doc.definitions.iter().filter_map(|d| d.id.clone()));
    ids.sort();
    ids.dedup();
    ids
}

/// The link itself in the source when it is written there as in the value (a plain or block
/// scalar), else the text's value.
fn link_location(cx: &Context, file: FileId, path: &str, link: &str) -> Location {
    let value = cx.at(file, path);
    let source = &cx.qms.sources.get(file).text;
    match source
        .get(value.span.start..)
        .and_then(|rest| rest.find(link))
    {
        Some(offset) => {
            let start = value.span.start + offset;
            Location {
                file,
                span: start..start + link.len(),
            }
        }
        None => value,
    }
}
