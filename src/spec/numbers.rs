//! The clause numbers a controlled document prints, and the cross-references of its long texts.
//!
//! Numbers follow the original's structure: a flow, step or section may give its own
//! (`number: "5.2.2"`); one that does not is counted on from the number printed before it
//! (`5.2.2` → `5.2.3`; the first step of flow `5.2` is `5.2.1`). The checker, the document,
//! the master list and the travellers all read numbers from here, so a reference can never
//! point at another clause than the one printed.
//!
//! `number: ""` prints no number (a part the original leaves unnumbered).
//!
//! A long text may say `[](#id)` (prints the number of the step, flow, section, record or
//! definition with that id) or `[text](#id)` (prints the text). A step id that two flows use
//! is written `flow/step`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::model::Procedure;

/// Every number one document prints, by model position.
#[derive(Debug, Clone)]
pub struct DocNumbers {
    /// The fixed parts (`purpose`, `scope`, `definitions`, `responsibilities`, `procedure`,
    /// `related`, `records`); absent parts take no number.
    pub parts: BTreeMap<&'static str, String>,
    /// Per flow (model order).
    pub flows: Vec<String>,
    /// Per flow, per step (model order).
    pub steps: Vec<Vec<String>>,
    /// Per extra section.
    pub sections: Vec<String>,
    /// Per definition: `3.1`, `3.2`.
    pub definitions: Vec<String>,
    /// Per record, as the records list prints them: `7.1`, `7.2`.
    pub records: Vec<String>,
    /// Flow indices in print order: stage by stage, then the flows in no stage.
    pub flow_order: Vec<usize>,
}

/// One printed number with the model path of what carries it, in document order.
#[derive(Debug, Clone)]
pub struct Numbered {
    pub number: String,
    /// Model path of the item (`flows[1].steps[3]`, `sections[0]`, or a fixed part's key).
    pub path: String,
    /// Whether the spec wrote it (`number:`) rather than procdoc counting it.
    pub written: bool,
}

impl DocNumbers {
    pub fn of(doc: &Procedure) -> Self {
        let mut parts = BTreeMap::new();
        let mut top = 0usize;
        for (key, present) in [
            ("purpose", doc.purpose.is_some()),
            ("scope", doc.scope.is_some()),
            ("definitions", !doc.definitions.is_empty()),
            ("responsibilities", true),
            ("procedure", true),
        ] {
            if present {
                top += 1;
                parts.insert(key, top.to_string());
            }
        }
        let procedure = top.to_string();
        let flow_order = flow_order(doc);
        let mut flows = vec![String::new(); doc.flows.len()];
        let mut steps: Vec<Vec<String>> = doc
            .flows
            .iter()
            .map(|f| vec![String::new(); f.steps.len()])
            .collect();
        let mut previous_flow: Option<String> = None;
        for &f in &flow_order {
            let flow = &doc.flows[f];
            let number = match (&flow.number, &previous_flow) {
                (Some(n), _) => n.0.clone(),
                (None, Some(prev)) => next(prev),
                (None, None) => format!("{procedure}.1"),
            };
            let mut previous_step: Option<String> = None;
            for (s, step) in flow.steps.iter().enumerate() {
                let n = match (&step.number, &previous_step) {
                    (Some(n), _) => n.0.clone(),
                    (None, Some(prev)) => next(prev),
                    (None, None) => format!("{number}.1"),
                };
                if !n.is_empty() {
                    previous_step = Some(n.clone());
                }
                steps[f][s] = n;
            }
            if !number.is_empty() {
                previous_flow = Some(number.clone());
            }
            flows[f] = number;
        }
        // Sections and the fixed parts after them count on from the greatest number printed
        // so far at the top level (a flow may be written `6` after a procedure section `5`).
        let mut last = procedure;
        for n in flows.iter().chain(steps.iter().flatten()) {
            if compare(n, &last).is_some_and(Ordering::is_gt) {
                last = top_level(n);
            }
        }
        let sections = doc
            .sections
            .iter()
            .map(|s| {
                let n = match &s.number {
                    Some(n) => n.0.clone(),
                    None => next(&top_level(&last)),
                };
                // Parts without a number of their own count on from the last decimal one:
                // after `第5章` the records are still `5`, `6`, not `第6`.
                // A number out of order (reported by the checker) does not pull the
                // parts after it back.
                if compare(&n, &last).is_some_and(Ordering::is_gt) {
                    last = n.clone();
                }
                n
            })
            .collect();
        for (key, present) in [
            ("related", !doc.references.is_empty()),
            ("records", !doc.records.is_empty()),
        ] {
            if present {
                last = next(&top_level(&last));
                parts.insert(key, last.clone());
            }
        }
        let items = |key: &str, count: usize| -> Vec<String> {
            let base = parts.get(key).cloned().unwrap_or_default();
            (1..=count).map(|i| format!("{base}.{i}")).collect()
        };
        let definitions = items("definitions", doc.definitions.len());
        let records = items("records", doc.records.len());
        DocNumbers {
            parts,
            flows,
            steps,
            sections,
            definitions,
            records,
            flow_order,
        }
    }

    /// The number of flow `f`.
    pub fn flow(&self, f: usize) -> &str {
        &self.flows[f]
    }

    /// The number of step `s` of flow `f`.
    pub fn step(&self, f: usize, s: usize) -> &str {
        &self.steps[f][s]
    }

    /// The numbers of the procedure's numbered clauses in the order the document prints
    /// them: fixed parts, flows with their steps, extra sections, related documents, records.
    pub fn in_order(&self, doc: &Procedure) -> Vec<Numbered> {
        let mut out = Vec::new();
        let part = |out: &mut Vec<Numbered>, key: &'static str| {
            if let Some(n) = self.parts.get(key) {
                out.push(Numbered {
                    number: n.clone(),
                    path: key.to_string(),
                    written: false,
                });
            }
        };
        for key in [
            "purpose",
            "scope",
            "definitions",
            "responsibilities",
            "procedure",
        ] {
            part(&mut out, key);
        }
        for &f in &self.flow_order {
            out.push(Numbered {
                number: self.flows[f].clone(),
                path: format!("flows[{f}]"),
                written: doc.flows[f].number.is_some(),
            });
            for (s, n) in self.steps[f].iter().enumerate() {
                out.push(Numbered {
                    number: n.clone(),
                    path: format!("flows[{f}].steps[{s}]"),
                    written: doc.flows[f].steps[s].number.is_some(),
                });
            }
        }
        for (i, n) in self.sections.iter().enumerate() {
            out.push(Numbered {
                number: n.clone(),
                path: format!("sections[{i}]"),
                written: doc.sections[i].number.is_some(),
            });
        }
        part(&mut out, "related");
        part(&mut out, "records");
        out
    }

    /// What `[](#id)` prints: the number of the step (`id` or `flow/step`), flow, section,
    /// record or definition with that id.
    pub fn target(&self, doc: &Procedure, id: &str) -> Target {
        if let Some((flow, step)) = id.split_once('/') {
            return doc
                .flows
                .iter()
                .position(|f| f.id == flow)
                .and_then(|f| {
                    doc.flows[f]
                        .steps
                        .iter()
                        .position(|s| s.id == step)
                        .map(|s| self.steps[f][s].clone())
                })
                .map_or(Target::Unknown, Target::Number);
        }
        // Flows, sections, records and definitions first: a step that shares its id with one
        // of them, or with a step of another flow, is named `flow/step`.
        let mut found: Vec<String> = Vec::new();
        for (f, flow) in doc.flows.iter().enumerate() {
            if flow.id == id {
                found.push(self.flows[f].clone());
            }
        }
        for (i, section) in doc.sections.iter().enumerate() {
            if section.id.as_deref() == Some(id) {
                found.push(self.sections[i].clone());
            }
        }
        for (i, record) in doc.records.iter().enumerate() {
            if record.id == id {
                found.push(self.records[i].clone());
            }
        }
        for (i, definition) in doc.definitions.iter().enumerate() {
            if definition.id.as_deref() == Some(id) {
                found.push(self.definitions[i].clone());
            }
        }
        if found.is_empty() {
            for (f, flow) in doc.flows.iter().enumerate() {
                for (s, step) in flow.steps.iter().enumerate() {
                    if step.id == id {
                        found.push(self.steps[f][s].clone());
                    }
                }
            }
        }
        match found.len() {
            0 => Target::Unknown,
            1 => Target::Number(found.remove(0)),
            _ => Target::Ambiguous,
        }
    }

    /// `text` with every link to an id of `doc` replaced by what it prints. Links to unknown
    /// or ambiguous ids stay as written (the checker reports them).
    pub fn resolve_links(&self, doc: &Procedure, text: &str) -> String {
        let links = links(text);
        if links.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for link in links {
            out.push_str(&text[at..link.span.start]);
            match (link.label, self.target(doc, link.id)) {
                ("", Target::Number(n)) => out.push_str(&n),
                (label, Target::Number(_)) => out.push_str(label),
                _ => out.push_str(&text[link.span.clone()]),
            }
            at = link.span.end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// What a link's id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Number(String),
    Unknown,
    /// A step id used by several flows, or an id shared by different kinds of things.
    Ambiguous,
}

/// A `[label](#id)` link in a long text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link<'a> {
    /// Byte range of the whole link in the text.
    pub span: std::ops::Range<usize>,
    pub label: &'a str,
    pub id: &'a str,
}

/// The `[label](#id)` links of a text, in order. The label is on one line and holds no
/// brackets; the id holds no spaces or parentheses.
pub fn links(text: &str) -> Vec<Link<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("](#") {
        let close = from + found;
        let id_start = close + 3;
        let id_len = text[id_start..]
            .find(|c: char| c == ')' || c.is_whitespace() || c == '(')
            .unwrap_or(text.len() - id_start);
        let id_end = id_start + id_len;
        let open = text[..close].rfind(['[', ']', '\n']);
        match open {
            Some(open)
                if text[open..].starts_with('[')
                    && text[id_end..].starts_with(')')
                    && id_len > 0 =>
            {
                out.push(Link {
                    span: open..id_end + 1,
                    label: text[open + 1..close].trim(),
                    id: &text[id_start..id_end],
                });
                from = id_end + 1;
            }
            _ => from = id_start,
        }
    }
    out
}

/// The flow indices in print order: the flows of each stage in its order, then the flows
/// no stage names, in `flows` order. Unknown or repeated names are skipped (the checker
/// reports them).
pub fn flow_order(doc: &Procedure) -> Vec<usize> {
    let mut order = Vec::with_capacity(doc.flows.len());
    for stage in &doc.stages {
        for id in &stage.flows {
            if let Some(f) = doc.flows.iter().position(|fl| &fl.id == id)
                && !order.contains(&f)
            {
                order.push(f);
            }
        }
    }
    for f in 0..doc.flows.len() {
        if !order.contains(&f) {
            order.push(f);
        }
    }
    order
}

/// The number after `n` at its own level: its last run of digits counted up, anything
/// after it dropped (`5.2.2` → `5.2.3`, `5.1.5 d)` → `5.1.6`). A number without digits gets
/// a first sub-number (`A` → `A.1`).
pub fn next(n: &str) -> String {
    if n.is_empty() {
        return String::new();
    }
    let Some(end) = n.rfind(|c: char| c.is_ascii_digit()).map(|i| i + 1) else {
        return format!("{n}.1");
    };
    let start = n[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    match n[start..end].parse::<u64>() {
        Ok(v) => format!("{}{}", &n[..start], v + 1),
        Err(_) => format!("{n}.1"),
    }
}

/// The first component of a number (`5.3.4` → `5`), for counting on at the top level.
fn top_level(n: &str) -> String {
    n.split('.').next().unwrap_or(n).trim().to_string()
}

/// Compare clause numbers as a reader does: by their runs of digits (as numbers) and of
/// letters, in order, so `5.1.9` < `5.1.10` < `5.1.10 a)` < `5.2`. Only numbers that start
/// with a digit compare; others (`第2章`, `A`, an unnumbered `""`) have no order.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let decimal = |n: &str| n.starts_with(|c: char| c.is_ascii_digit());
    (decimal(a) && decimal(b)).then(|| key(a).cmp(&key(b)))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    Number(u128),
    Word(String),
}

fn key(n: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = n.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            out.push(Token::Number(digits.parse().unwrap_or(u128::MAX)));
        } else if c.is_alphanumeric() {
            let mut word = String::new();
            while let Some(&d) = chars
                .peek()
                .filter(|d| d.is_alphanumeric() && !d.is_ascii_digit())
            {
                word.extend(d.to_lowercase());
                chars.next();
            }
            out.push(Token::Word(word));
        } else {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_counts_the_last_digits() {
        assert_eq!(next("5.2.2"), "5.2.3");
        assert_eq!(next("5.1.9"), "5.1.10");
        assert_eq!(next("5.1.5 d)"), "5.1.6");
        assert_eq!(next("6"), "7");
        assert_eq!(next("A"), "A.1");
    }

    #[test]
    fn numbers_compare_as_read() {
        assert_eq!(compare("5.1.9", "5.1.10"), Some(Ordering::Less));
        assert_eq!(compare("5.1.5", "5.1.5 a)"), Some(Ordering::Less));
        assert_eq!(compare("5.1.5 a)", "5.1.5 b)"), Some(Ordering::Less));
        assert_eq!(compare("5.1.5 d)", "5.1.6"), Some(Ordering::Less));
        assert_eq!(compare("5.3.4.1", "6"), Some(Ordering::Less));
        assert_eq!(compare("5.2", "5.2"), Some(Ordering::Equal));
        assert_eq!(compare("第2章", "第10章"), None);
        assert_eq!(compare("", "5"), None);
    }

    #[test]
    fn links_are_found_with_labels_and_ids() {
        let text = "see [](#review) and [the GM](#gm-sign), not [x] (#y) or [](#) or a](#b)";
        let found: Vec<(&str, &str)> = links(text).iter().map(|l| (l.label, l.id)).collect();
        assert_eq!(found, vec![("", "review"), ("the GM", "gm-sign")]);
        let spans: Vec<&str> = links(text).iter().map(|l| &text[l.span.clone()]).collect();
        assert_eq!(spans, vec!["[](#review)", "[the GM](#gm-sign)"]);
        assert_eq!(links("[](#contract/sign)")[0].id, "contract/sign");
        assert!(links("[a\nb](#c)").is_empty());
    }
}
