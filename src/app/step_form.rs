//! What a form that signs a step shows, read from the run's pinned revision: the step's
//! check items, its decision, the fields of the records it produces with their types, the
//! departments (or parties) the user may sign for and the meaning of the signature.
//! Spec texts are given in the reader's language when the revision has it.

use serde::Serialize;

use super::sign::eligible;
use super::{Refusal, RefusalKind, RunRef, transaction};
use crate::run::accounts::User;
use crate::run::engine::{self, Spec};
use crate::run::store::Store;
use crate::spec::model::{Field, Rows};
use crate::spec::text::Text;

/// Blank rows a table field offers at least, when its printed form has fewer.
pub const TABLE_ROWS: usize = 3;

/// A choice of a decision, a choice field or a multichoice field.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// What the form sends back: the primary-language text, which the engine reads.
    pub value: String,
    /// What the reader sees.
    pub label: String,
}

/// One record field as a form input.
#[derive(Debug, Clone, Serialize)]
pub struct FieldInput {
    /// `record.field`, as `fields` names it.
    pub key: String,
    pub label: String,
    /// The field type as written in specs (`text`, `longtext`, `number`, `date`,
    /// `datetime`, `choice`, `multichoice`, `checkbox`, `table`, `signature`).
    pub kind: &'static str,
    pub required: bool,
    pub unit: Option<String>,
    pub options: Vec<Choice>,
    /// Column headings of a table.
    pub columns: Vec<String>,
    /// Labels printed in the first column of a table's rows, when the form has them.
    pub row_labels: Vec<String>,
    /// How many rows a table offers before any is added.
    pub rows: usize,
    /// A number field's range as printed (`0 to 25.4 mm`), when it has `min:` or `max:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// The bounds of a number field, for the input's `min` and `max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// On a per-item run, a field that takes its value from the item (`value:
    /// item.COLUMN`): that value, shown read-only, as no other is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The item column the field takes its value from, if it says `value: item.COLUMN`.
    #[serde(skip)]
    item_column: Option<String>,
}

/// A record the step produces, with its fields.
#[derive(Debug, Clone, Serialize)]
pub struct RecordInput {
    pub key: String,
    pub form: Option<String>,
    pub title: String,
    pub fields: Vec<FieldInput>,
}

/// A department or party the user may sign for.
#[derive(Debug, Clone, Serialize)]
pub struct SignFor {
    pub code: String,
    pub name: String,
    /// A party: the user records the step on its behalf.
    pub on_behalf: bool,
}

/// Everything a form that signs one step shows.
#[derive(Debug, Clone, Serialize)]
pub struct StepForm {
    pub reference: String,
    pub doc: String,
    pub revision: String,
    pub flow: String,
    pub step: String,
    pub title: String,
    /// The departments (or parties) of the step's `by`, by name.
    pub by: Vec<String>,
    /// Check items, numbered from 1 in order.
    pub check: Vec<String>,
    pub question: Option<String>,
    pub outcomes: Vec<Choice>,
    /// The decision says `multiple: true`: one or more outcomes are chosen (check boxes).
    pub multiple: bool,
    pub records: Vec<RecordInput>,
    /// Whom the user may sign for; several: the form asks which (`as`).
    pub sign_for: Vec<SignFor>,
    /// `performed`, `reviewed` or `approved`.
    pub meaning: &'static str,
    /// The IANA name of the office time zone the signature's time is shown in.
    pub timezone: String,
    /// The standing rules shown on the step ("Rule 2: ..."), in the form's language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// A joint step (`by: { all: [...] }`) this signature does not complete: the codes of
    /// the departments still to sign, this one among them. The form then asks for the
    /// signature only, as the check items, record fields and outcome are entered with the
    /// last signature (the runner refuses them before).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub still_to_sign: Vec<String>,
}

fn field_input(
    key: String,
    field: &Field,
    say: &dyn Fn(&Text) -> String,
    primary: &str,
) -> FieldInput {
    let row_labels: Vec<String> = match &field.rows {
        Some(Rows::Labels(labels)) => labels.iter().map(say).collect(),
        _ => Vec::new(),
    };
    let printed = match &field.rows {
        Some(Rows::Count(n)) => usize::try_from(*n).unwrap_or(TABLE_ROWS),
        Some(Rows::Labels(labels)) => labels.len(),
        None => 0,
    };
    FieldInput {
        key,
        label: say(&field.label),
        kind: field.kind.word(),
        required: field.required,
        unit: field.unit.clone(),
        options: field
            .options
            .iter()
            .map(|o| Choice {
                value: o.best(primary, primary).to_string(),
                label: say(o),
            })
            .collect(),
        columns: field.columns.iter().map(say).collect(),
        row_labels,
        rows: printed.clamp(TABLE_ROWS, 50),
        range: crate::run::fields::range_text(field),
        min: field.min,
        max: field.max,
        fixed: None,
        item_column: field.item_column().map(str::to_string),
    }
}

/// Sets [`FieldInput::fixed`] on the fields that take their value from the run's item.
fn fix_item_fields(form: &mut StepForm, item: Option<&crate::run::triggers::ItemPin>) {
    let Some(item) = item else {
        return;
    };
    for f in form.records.iter_mut().flat_map(|r| r.fields.iter_mut()) {
        if let Some(column) = f.item_column.take() {
            f.fixed = item.get(&column).map(str::to_string);
        }
    }
}

fn form_of(spec: &Spec, step: usize, user: &User, lang: &str, reference: &str) -> StepForm {
    let primary = spec.lang().to_string();
    let say = |t: &Text| t.best(lang, &primary).to_string();
    let s = spec.step(step);
    let name_of = |code: &str| {
        let settings = spec.settings;
        settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| say(&d.name))
            .or_else(|| {
                settings
                    .parties
                    .iter()
                    .find(|p| p.code == code)
                    .map(|p| say(&p.name))
            })
            .unwrap_or_else(|| code.to_string())
    };
    let records = spec
        .produced(step)
        .iter()
        .map(|p| RecordInput {
            key: p.key.to_string(),
            form: p.record.form.clone(),
            title: say(&p.record.title),
            fields: p
                .record
                .fields
                .iter()
                .map(|f| field_input(format!("{}.{}", p.key, f.id), f, &say, &primary))
                .collect(),
        })
        .collect();
    StepForm {
        reference: reference.to_string(),
        doc: spec.procedure.id.clone(),
        revision: spec.procedure.revision.to_string(),
        flow: spec.flow.id.clone(),
        step: s.id.clone(),
        title: s.title.as_ref().map_or_else(|| s.id.clone(), &say),
        by: s.by.iter().map(|c| name_of(c)).collect(),
        check: s.check.iter().map(&say).collect(),
        question: s
            .decision
            .as_ref()
            .and_then(|d| d.question.as_ref())
            .map(&say),
        // A decision taken from a field has no separate outcome choice: the field decides.
        outcomes: s
            .decision
            .iter()
            .filter(|d| d.on.is_none())
            .flat_map(|d| &d.outcomes)
            .map(|o| Choice {
                value: spec.text(&o.when).to_string(),
                label: say(&o.when),
            })
            .collect(),
        multiple: s.decision.as_ref().is_some_and(|d| d.multiple),
        records,
        sign_for: eligible(spec, step, user)
            .into_iter()
            .map(|e| SignFor {
                name: name_of(&e.code),
                code: e.code,
                on_behalf: e.on_behalf,
            })
            .collect(),
        meaning: s.signature_meaning().word(),
        timezone: spec.tz().name().to_string(),
        rules: spec.rules_in(step, lang),
        still_to_sign: Vec::new(),
    }
}

/// The form that signs `step` of a run, for `user`, with spec texts in `lang`. Refused when
/// the run or step is unknown, the step is not active now (already completed: a conflict
/// naming who completed it), or none of the user's departments may sign it (Forbidden).
pub fn step_form(
    store: &mut dyn Store,
    user: &User,
    run: &RunRef,
    step: &str,
    lang: &str,
) -> Result<StepForm, Refusal> {
    let live = transaction(store, false, |s| {
        let row = engine::find(s, &run.reference, run.flow.as_deref())?;
        engine::open_for_change(s, row.id)
    })?;
    let spec = live.spec()?;
    let index = spec.find_step(step.trim()).map_err(|e| e.about("step"))?;
    super::sign::not_taken(&live, &spec, index)?;
    if live.state.ended.is_some() || !live.state.is_active(&spec, index) {
        return Err(Refusal::new(
            RefusalKind::Refused,
            Some("step"),
            format!(
                "step {} of run {} is not active now: there is nothing to sign",
                spec.step_id(index),
                live.row.reference
            ),
        ));
    }
    let mut form = form_of(&spec, index, user, lang, &live.row.reference);
    fix_item_fields(&mut form, live.state.item.as_ref());
    if spec.step(index).by.joint {
        let left = crate::run::joint::still_to_sign(&spec, &live.state, index);
        let theirs: Vec<String> = form.sign_for.iter().map(|f| f.code.clone()).collect();
        form.sign_for.retain(|f| left.contains(&f.code));
        if !theirs.is_empty() && form.sign_for.is_empty() {
            // Their departments have signed: saying they do not belong to one would be wrong.
            return Err(Refusal::new(
                RefusalKind::Refused,
                None,
                format!(
                    "step {} is already signed for {}: each department signs once; still to sign: {}",
                    form.step,
                    theirs.join(", "),
                    left.join(", ")
                ),
            ));
        }
        // One person signs for one department only: with two or more still to sign,
        // this signature is not the last.
        if left.len() > 1 {
            form.check.clear();
            form.question = None;
            form.outcomes.clear();
            form.records.clear();
            form.still_to_sign = left;
        }
    }
    if form.sign_for.is_empty() && !spec.step(index).by.is_empty() {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            None,
            format!(
                "{} ({}) may not sign step {}: it is done by {}, and they belong to {}",
                user.name,
                user.login,
                form.step,
                spec.by_text(index),
                user.departments.join(", ")
            ),
        ));
    }
    Ok(form)
}
