//! What changed between two revisions of a procedure, in the procedure's own terms: steps
//! added, removed, renamed or moved; actors, deadlines, decisions, check items and records
//! changed; texts changed, with a word diff and a warning when only the primary language of
//! a translated text changed (the translation is then possibly stale).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::spec::model::{Flow, Procedure, Record, Step};
use crate::spec::text::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Added,
    Removed,
    Renamed,
    Moved,
    Changed,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Renamed => "renamed",
            Kind::Moved => "moved",
            Kind::Changed => "changed",
        }
    }
}

/// One change, e.g. "changed step `contract/review`: actors".
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub kind: Kind,
    /// What changed: `title`, `step contract/review`, `record contract-review`.
    pub subject: String,
    /// Which part of it: `actors`, `deadline`, `decision`, `check items`, `records`, `title`.
    pub aspect: Option<String>,
    /// Old → new values, word diffs per language.
    pub details: Vec<String>,
    /// The primary language changed while another language did not.
    pub stale_translation: Vec<String>,
}

impl Change {
    pub(super) fn new(kind: Kind, subject: impl Into<String>) -> Self {
        Change {
            kind,
            subject: subject.into(),
            aspect: None,
            details: Vec::new(),
            stale_translation: Vec::new(),
        }
    }

    pub(super) fn aspect(mut self, aspect: &str) -> Self {
        self.aspect = Some(aspect.to_string());
        self
    }

    pub(super) fn detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }

    /// A change of what the document prints from outside its file (`procdoc.yaml`, other
    /// procedures), described by [`crate::control::printed::changes`].
    pub fn printed(description: String) -> Self {
        let (subject, detail) = match description.split_once(": ") {
            Some((s, d)) => (s.to_string(), Some(d.to_string())),
            None => (description, None),
        };
        let change = Change::new(Kind::Changed, subject);
        match detail {
            Some(d) => change.detail(d),
            None => change,
        }
    }

    /// `step contract/review (actors)`, for one-line summaries.
    pub fn short(&self) -> String {
        match (&self.aspect, self.kind) {
            (Some(a), Kind::Changed) => format!("{} ({a})", self.subject),
            (Some(a), k) => format!("{} ({a}, {})", self.subject, k.word()),
            (None, Kind::Changed) => self.subject.clone(),
            (None, k) => format!("{} ({})", self.subject, k.word()),
        }
    }
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A value as a reader of the procedure writes it, never as JSON: lists as `a, b`, fields
/// as `name: value`, a text in several languages as its texts.
fn show(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "(none)".to_string(),
        Value::Array(items) => {
            let nested = items.iter().any(|v| v.is_object() || v.is_array());
            let parts: Vec<String> = items.iter().map(show).collect();
            if nested {
                parts
                    .iter()
                    .map(|p| format!("({p})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                parts.join(", ")
            }
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(_) => format!("{k} ({})", show(v)),
                _ => format!("{k}: {}", show(v)),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Every change from `old` to `new`; `primary` is the QMS's primary language. Both are
/// compared as normalised ([`crate::control::fingerprint::normalise`]), so an equivalent
/// spelling is no change, and every change of the fingerprint is named here.
pub fn compare(old: &Procedure, new: &Procedure, primary: &str) -> Vec<Change> {
    let old = &crate::control::fingerprint::normalise(old, primary);
    let new = &crate::control::fingerprint::normalise(new, primary);
    let mut out = Vec::new();
    text(
        &mut out,
        "title",
        None,
        Some(&old.title),
        Some(&new.title),
        primary,
    );
    value(&mut out, "revision", &old.revision, &new.revision);
    value(&mut out, "effective", &old.effective, &new.effective);
    value(&mut out, "owner", &old.owner, &new.owner);
    value(
        &mut out,
        "review_every",
        &old.review_every,
        &new.review_every,
    );
    value(&mut out, "iso", &old.iso, &new.iso);
    value(&mut out, "approval", &old.approval, &new.approval);
    for h in new
        .history
        .iter()
        .filter(|h| !old.history.iter().any(|o| json(o) == json(*h)))
    {
        out.push(
            Change::new(Kind::Added, format!("history entry {}", h.revision))
                .detail(h.change.best(primary, primary).to_string()),
        );
    }
    for h in old
        .history
        .iter()
        .filter(|h| !new.history.iter().any(|n| json(n) == json(*h)))
    {
        out.push(Change::new(
            Kind::Removed,
            format!("history entry {}", h.revision),
        ));
    }
    text(
        &mut out,
        "purpose",
        None,
        old.purpose.as_ref(),
        new.purpose.as_ref(),
        primary,
    );
    text(
        &mut out,
        "scope",
        None,
        old.scope.as_ref(),
        new.scope.as_ref(),
        primary,
    );
    value(&mut out, "definitions", &old.definitions, &new.definitions);
    value(
        &mut out,
        "responsibilities",
        &old.responsibilities,
        &new.responsibilities,
    );
    value(&mut out, "references", &old.references, &new.references);
    records(&mut out, &old.records, &new.records, primary);
    value(&mut out, "stages", &old.stages, &new.stages);
    flows(&mut out, &old.flows, &new.flows, primary);
    value(&mut out, "sections", &old.sections, &new.sections);
    super::register_diff::compare(&mut out, &old.register_files, &new.register_files);
    order(
        &mut out,
        "history",
        old.history.iter().map(|h| h.revision.as_str()),
        new.history.iter().map(|h| h.revision.as_str()),
    );
    order(
        &mut out,
        "records",
        old.records.iter().map(|r| r.id.as_str()),
        new.records.iter().map(|r| r.id.as_str()),
    );
    order(
        &mut out,
        "flows",
        old.flows.iter().map(|f| f.id.as_str()),
        new.flows.iter().map(|f| f.id.as_str()),
    );
    for (o, n) in old.records.iter().zip(&new.records) {
        if o.id == n.id {
            order(
                &mut out,
                &format!("fields of record {}", n.id),
                o.fields.iter().map(|f| f.id.as_str()),
                n.fields.iter().map(|f| f.id.as_str()),
            );
        }
    }
    out
}

/// The same entries listed in another order (entries added or removed are named elsewhere).
fn order<'a>(
    out: &mut Vec<Change>,
    subject: &str,
    old: impl Iterator<Item = &'a str>,
    new: impl Iterator<Item = &'a str>,
) {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.collect(), new.collect());
    let kept_old: Vec<&str> = old.iter().copied().filter(|o| new.contains(o)).collect();
    let kept_new: Vec<&str> = new.iter().copied().filter(|n| old.contains(n)).collect();
    if kept_old != kept_new {
        out.push(
            Change::new(Kind::Moved, format!("order of {subject}")).detail(format!(
                "{} → {}",
                kept_old.join(", "),
                kept_new.join(", ")
            )),
        );
    }
}

fn value<T: Serialize>(out: &mut Vec<Change>, subject: &str, old: &T, new: &T) {
    let (a, b) = (json(old), json(new));
    if a != b {
        out.push(Change::new(Kind::Changed, subject).detail(format!(
            "{} → {}",
            show(&a),
            show(&b)
        )));
    }
}

fn as_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn aspect<T: Serialize>(
    out: &mut Vec<Change>,
    subject: &str,
    aspect_name: &str,
    fields: &[(&str, &T, &T)],
) {
    let mut change = Change::new(Kind::Changed, subject).aspect(aspect_name);
    for (name, old, new) in fields {
        let (a, b) = (json(old), json(new));
        if a != b {
            change = change.detail(format!("{name}: {} → {}", show(&a), show(&b)));
        }
    }
    if !change.details.is_empty() {
        out.push(change);
    }
}

/// The strings of a text per language (a plain string is the primary language).
fn by_language<'a>(t: Option<&'a Text>, primary: &str) -> BTreeMap<String, &'a str> {
    match t {
        None => BTreeMap::new(),
        Some(t) => t
            .entries()
            .into_iter()
            .map(|(l, s)| (if l.is_empty() { primary } else { l }.to_string(), s))
            .collect(),
    }
}

fn text(
    out: &mut Vec<Change>,
    subject: &str,
    aspect_name: Option<&str>,
    old: Option<&Text>,
    new: Option<&Text>,
    primary: &str,
) {
    let (a, b) = (by_language(old, primary), by_language(new, primary));
    if a == b {
        return;
    }
    let mut change = Change::new(Kind::Changed, subject);
    change.aspect = aspect_name.map(str::to_string);
    let languages: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for lang in &languages {
        let (x, y) = (a.get(*lang).copied(), b.get(*lang).copied());
        if x != y {
            change = change.detail(format!(
                "{lang}: {}",
                word_diff(x.unwrap_or(""), y.unwrap_or(""))
            ));
        }
    }
    let primary_changed = a.get(primary) != b.get(primary);
    if primary_changed && a.contains_key(primary) && b.contains_key(primary) {
        for lang in languages.iter().filter(|l| l.as_str() != primary) {
            if let (Some(x), Some(y)) = (a.get(*lang), b.get(*lang))
                && x == y
            {
                change.stale_translation.push((*lang).clone());
            }
        }
    }
    out.push(change);
}

/// Reports what only `new` has as added and what only `old` has as removed (`<noun> <id>`),
/// and returns the pairs both have, in the new order, for their own comparison.
fn matched<'a, T>(
    out: &mut Vec<Change>,
    noun: &str,
    old: &'a [T],
    new: &'a [T],
    id: impl Fn(&T) -> &str,
) -> Vec<(&'a T, &'a T)> {
    for n in new.iter().filter(|n| !old.iter().any(|o| id(o) == id(n))) {
        out.push(Change::new(Kind::Added, format!("{noun} {}", id(n))));
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| id(n) == id(o))) {
        out.push(Change::new(Kind::Removed, format!("{noun} {}", id(o))));
    }
    new.iter()
        .filter_map(|n| old.iter().find(|o| id(o) == id(n)).map(|o| (o, n)))
        .collect()
}

fn records(out: &mut Vec<Change>, old: &[Record], new: &[Record], primary: &str) {
    for (o, n) in matched(out, "record", old, new, |r| &r.id) {
        let subject = format!("record {}", n.id);
        text(
            out,
            &subject,
            Some("title"),
            Some(&o.title),
            Some(&n.title),
            primary,
        );
        aspect(out, &subject, "form", &[("form", &o.form, &n.form)]);
        aspect(out, &subject, "keeper", &[("keeper", &o.keeper, &n.keeper)]);
        aspect(
            out,
            &subject,
            "retention",
            &[("retention", &o.retention, &n.retention)],
        );
        aspect(out, &subject, "fields", &[("fields", &o.fields, &n.fields)]);
    }
}

fn flows(out: &mut Vec<Change>, old: &[Flow], new: &[Flow], primary: &str) {
    for (o, n) in matched(out, "flow", old, new, |f| &f.id) {
        let subject = format!("flow {}", n.id);
        text(
            out,
            &subject,
            Some("title"),
            Some(&o.title),
            Some(&n.title),
            primary,
        );
        aspect(
            out,
            &subject,
            "trigger",
            &[("trigger", &o.trigger, &n.trigger)],
        );
        aspect(out, &subject, "number", &[("number", &o.number, &n.number)]);
        aspect(
            out,
            &subject,
            "deadline",
            &[("within", &o.within, &n.within)],
        );
        steps(out, &n.id, &o.steps, &n.steps, primary);
    }
}

/// A step's content without its id, to recognise a renamed step.
fn without_id(step: &Step) -> Value {
    let mut v = json(step);
    if let Value::Object(map) = &mut v {
        map.remove("id");
    }
    v
}

fn steps(out: &mut Vec<Change>, flow: &str, old: &[Step], new: &[Step], primary: &str) {
    let name = |id: &str| format!("step {flow}/{id}");
    let mut added: Vec<&Step> = new
        .iter()
        .filter(|s| !old.iter().any(|o| o.id == s.id))
        .collect();
    let mut removed: Vec<&Step> = old
        .iter()
        .filter(|s| !new.iter().any(|n| n.id == s.id))
        .collect();
    // Pairs (old, new) of the same step; a renamed step keeps its content or its title.
    let mut pairs: Vec<(&Step, &Step)> = new
        .iter()
        .filter_map(|n| old.iter().find(|o| o.id == n.id).map(|o| (o, n)))
        .collect();
    let mut renamed = Vec::new();
    removed.retain(|r| {
        let found = added
            .iter()
            .position(|a| without_id(a) == without_id(r))
            .or_else(|| {
                added
                    .iter()
                    .position(|a| a.title.is_some() && a.title == r.title)
            });
        match found {
            Some(i) => {
                let a = added.remove(i);
                renamed.push((*r, a));
                false
            }
            None => true,
        }
    });
    for (r, a) in &renamed {
        out.push(Change::new(Kind::Renamed, name(&r.id)).detail(format!("{} → {}", r.id, a.id)));
    }
    pairs.extend(renamed.iter().copied());
    for a in &added {
        let title = a
            .title
            .as_ref()
            .map(|t| t.best(primary, primary))
            .unwrap_or("");
        out.push(Change::new(Kind::Added, name(&a.id)).detail(title.to_string()));
    }
    for r in &removed {
        out.push(Change::new(Kind::Removed, name(&r.id)));
    }
    // Moved: the steps kept in both outside the longest common order.
    let new_of = |o: &str| {
        pairs
            .iter()
            .find(|(x, _)| x.id == o)
            .map(|(_, n)| n.id.as_str())
    };
    let old_order: Vec<&str> = old.iter().filter_map(|o| new_of(&o.id)).collect();
    let new_order: Vec<&str> = new
        .iter()
        .map(|n| n.id.as_str())
        .filter(|id| old_order.contains(id))
        .collect();
    let kept = lcs(&old_order, &new_order);
    for id in new_order.iter().filter(|id| !kept.contains(id)) {
        let before = new
            .iter()
            .position(|s| s.id == *id)
            .and_then(|i| i.checked_sub(1))
            .map(|i| format!("now after {}", new[i].id))
            .unwrap_or_else(|| "now first".to_string());
        out.push(Change::new(Kind::Moved, name(id)).detail(before));
    }
    for (o, n) in pairs {
        let subject = name(&n.id);
        text(
            out,
            &subject,
            Some("title"),
            o.title.as_ref(),
            n.title.as_ref(),
            primary,
        );
        aspect(out, &subject, "number", &[("number", &o.number, &n.number)]);
        text(
            out,
            &subject,
            Some("detail"),
            o.detail.as_ref(),
            n.detail.as_ref(),
            primary,
        );
        aspect(
            out,
            &subject,
            "actors",
            &[
                // `by` as written, so that a change between any one and all of them shows.
                ("by", &as_json(&o.by), &as_json(&n.by)),
                ("with", &as_json(&o.with), &as_json(&n.with)),
                ("not_by", &as_json(&o.not_by), &as_json(&n.not_by)),
            ],
        );
        aspect(
            out,
            &subject,
            "signature",
            &[("signature", &json(&o.signature), &json(&n.signature))],
        );
        aspect(
            out,
            &subject,
            "deadline",
            &[
                ("within", &json(&o.within), &json(&n.within)),
                ("after", &json(&o.after), &json(&n.after)),
                ("planned", &json(&o.planned), &json(&n.planned)),
            ],
        );
        aspect(
            out,
            &subject,
            "decision",
            &[("decision", &o.decision, &n.decision)],
        );
        check_items(out, &subject, &o.check, &n.check, primary);
        aspect(
            out,
            &subject,
            "records",
            &[
                ("produces", &o.produces, &n.produces),
                ("uses", &o.uses, &n.uses),
            ],
        );
        aspect(
            out,
            &subject,
            "transitions",
            &[
                ("next", &json(&o.next), &json(&n.next)),
                ("join", &json(&o.join), &json(&n.join)),
                ("end", &json(&o.end), &json(&n.end)),
                ("calls", &json(&o.calls), &json(&n.calls)),
            ],
        );
    }
}

fn check_items(out: &mut Vec<Change>, subject: &str, old: &[Text], new: &[Text], primary: &str) {
    if json(&old) == json(&new) {
        return;
    }
    let label = |t: &Text| t.best(primary, primary).to_string();
    let mut change = Change::new(Kind::Changed, subject).aspect("check items");
    for t in new.iter().filter(|t| !old.contains(t)) {
        change = change.detail(format!("+ {}", label(t)));
    }
    for t in old.iter().filter(|t| !new.contains(t)) {
        change = change.detail(format!("- {}", label(t)));
    }
    if change.details.is_empty() {
        change = change.detail("reordered");
    }
    out.push(change);
}

/// The longest common subsequence of two sequences.
fn lcs<T: PartialEq + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let (n, m) = (a.len(), b.len());
    let mut table = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(a[i]);
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Words, with every CJK character a word of its own (those scripts have no spaces).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let mut current = String::new();
        for c in word.chars() {
            if is_cjk(c) {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                out.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// `Review the [-order-]{+contract+} requirements`.
pub fn word_diff(old: &str, new: &str) -> String {
    const LIMIT: usize = 3000;
    let (a, b) = (words(old), words(new));
    if a.len() > LIMIT || b.len() > LIMIT {
        return format!("[-{old}-]{{+{new}+}}");
    }
    let a_ref: Vec<&str> = a.iter().map(String::as_str).collect();
    let b_ref: Vec<&str> = b.iter().map(String::as_str).collect();
    let common = lcs(&a_ref, &b_ref);
    let (mut i, mut j) = (0, 0);
    let mut parts: Vec<String> = Vec::new();
    for word in common.iter().chain(std::iter::once(&"\u{0}")) {
        let mut gone = Vec::new();
        while i < a_ref.len() && a_ref[i] != *word {
            gone.push(a_ref[i]);
            i += 1;
        }
        let mut came = Vec::new();
        while j < b_ref.len() && b_ref[j] != *word {
            came.push(b_ref[j]);
            j += 1;
        }
        if !gone.is_empty() {
            parts.push(format!("[-{}-]", join(&gone)));
        }
        if !came.is_empty() {
            parts.push(format!("{{+{}+}}", join(&came)));
        }
        if *word != "\u{0}" {
            parts.push(word.to_string());
            i += 1;
            j += 1;
        }
    }
    join(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Words joined by spaces, except between CJK characters (diff markers aside).
fn join(words: &[&str]) -> String {
    let bare = |w: &str| {
        w.trim_start_matches(['[', '{', '-', '+'])
            .trim_end_matches([']', '}', '-', '+'])
            .to_string()
    };
    let mut out = String::new();
    let mut last_cjk = false;
    for w in words {
        let core = bare(w);
        let first_cjk = core.chars().next().is_some_and(is_cjk);
        if !(out.is_empty() || last_cjk && first_cjk) {
            out.push(' ');
        }
        out.push_str(w);
        last_cjk = core.chars().last().is_some_and(is_cjk);
    }
    out
}

/// The changes as plain text, one per line with details indented.
pub fn render_text(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let aspect = c
            .aspect
            .as_ref()
            .map(|a| format!(": {a}"))
            .unwrap_or_default();
        out.push_str(&format!("{:<8} {}{aspect}\n", c.kind.word(), c.subject));
        for d in &c.details {
            out.push_str(&format!("           {d}\n"));
        }
        for lang in &c.stale_translation {
            out.push_str(&format!(
                "           ! possibly stale translation: `{lang}` unchanged while the primary language changed\n"
            ));
        }
    }
    out
}

/// The changes as a Markdown list (word diffs with ~~deleted~~ and **inserted** words).
pub fn render_markdown(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let aspect = c
            .aspect
            .as_ref()
            .map(|a| format!(", {a}"))
            .unwrap_or_default();
        out.push_str(&format!("- **{}** {}{aspect}\n", c.kind.word(), c.subject));
        for d in &c.details {
            let md = d
                .replace("[-", "~~")
                .replace("-]", "~~")
                .replace("{+", "**")
                .replace("+}", "**");
            out.push_str(&format!("  - {md}\n"));
        }
        for lang in &c.stale_translation {
            out.push_str(&format!(
                "  - ⚠ possibly stale translation: `{lang}` unchanged while the primary language changed\n"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_replaced_words() {
        assert_eq!(
            word_diff(
                "Review the order requirements",
                "Review the contract requirements"
            ),
            "Review the [-order-] {+contract+} requirements"
        );
        assert_eq!(word_diff("客户管理", "客户服务"), "客户[-管理-]{+服务+}");
    }

    #[test]
    fn lcs_keeps_common_order() {
        assert_eq!(lcs(&["a", "b", "c"], &["b", "a", "c"]), vec!["b", "c"]);
    }
}
