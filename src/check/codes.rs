//! Every finding procdoc can report, with its stable code and name. `docs/checks.md` is
//! generated from this table (a test keeps it current), so users can look up and filter codes.

use super::diagnostic::Severity;
use super::diagnostic::Severity::{Error, Info, Warning};

#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub family: &'static str,
    /// What it means and what to do, for the reference page.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $ident:ident = $code:literal $name:literal $severity:ident $family:literal $explanation:literal; )*) => {
        $( pub static $ident: Code = Code {
            code: $code,
            name: $name,
            severity: $severity,
            family: $family,
            explanation: $explanation,
        }; )*
        /// All codes in reference order.
        pub static ALL: &[&Code] = &[ $( &$ident ),* ];
    };
}

codes! {
    YAML_SYNTAX = "E0001" "yaml-syntax" Error "Reading files"
        "The file is not valid YAML: a syntax error, tab indentation, a duplicate key in one mapping, or too many aliases or nesting levels. Fix the line shown; indent with spaces.";
    INVALID_VALUE = "E0002" "invalid-value" Error "Reading files"
        "A value has the wrong type or form: a list where a text is expected, a date not written YYYY-MM-DD, a duration such as `2 fortnights`. The message says what is expected.";
    UNKNOWN_FIELD = "E0003" "unknown-field" Error "Reading files"
        "A key that the spec format does not define, usually a typo. The hint names the closest field that is allowed at that place.";
    MISSING_FIELD = "E0004" "missing-field" Error "Reading files"
        "A required key is missing (a procedure needs `id`, `title`, `revision`, `effective`, `owner`, `approval`, `history` and `flows`).";
    UNREADABLE_FILE = "E0005" "unreadable-file" Error "Reading files"
        "A file could not be read as a spec: it is empty, not UTF-8 text, or unreadable.";
    INPUT_LIMIT = "E0006" "input-limit" Error "Reading files"
        "A file or folder is beyond procdoc's limits (file size, number of procedure files, folder depth). The limits keep checking fast and safe on hostile input.";
    PATH_OUTSIDE = "E0007" "path-outside-qms" Error "Reading files"
        "A path in the settings (the logo) points outside the QMS folder or does not exist, or a procedure file is a symbolic link leading outside the folder (or nowhere) and was not read. Keep every file the documents use inside the folder; links inside it are followed.";
    INVALID_CALENDAR = "E0008" "invalid-calendar" Error "Reading files"
        "The working calendar cannot be used: an unknown timezone, working hours not written `HH:MM-HH:MM`, overlapping ranges, or no workdays.";
    NO_PROCEDURES = "W0009" "no-procedures" Warning "Reading files"
        "The QMS folder holds no procedure files besides `procdoc.yaml`.";
    OVERLAPPING_HOURS = "E0010" "overlapping-hours" Error "Reading files"
        "Two working-hour ranges worked on the same day overlap: two keys of per-weekday `hours` naming one weekday (`mon-fri` and `fri`), or the ranges of a part day. Each minute may be worked once; shorten a range or give the day its hours under one key.";
    WORKDAY_WITHOUT_HOURS = "E0011" "workday-without-hours" Error "Reading files"
        "A weekday listed in `workdays` has no hours in per-weekday `hours`. Give it hours (its own key or a range of days such as `mon-fri`), or remove it from `workdays`.";
    UNKNOWN_WEEKDAY = "E0012" "unknown-weekday" Error "Reading files"
        "A key of per-weekday `hours` is neither a weekday (`mon` .. `sun`) nor a range of weekdays in the order of the week (`mon-thu`).";
    REGISTER_FILE_MISSING = "E0013" "register-file-missing" Error "Reading files"
        "The CSV file of a register in `procdoc.yaml` `registers:` does not exist. Give its path relative to the QMS folder (`registers/gauges.csv`), or create it with a header row.";
    REGISTER_MALFORMED = "E0014" "register-malformed" Error "Reading files"
        "A register file is not a UTF-8 CSV file with a header row: a quote never closed, a row with more or fewer values than the header, a column without a name. The place shown is in the CSV file.";
    REGISTER_MISSING_COLUMN = "E0015" "register-missing-column" Error "Reading files"
        "A register's `key`, or the `every.by` of a per-item trigger, names a column the register file's header does not have. Column names are matched exactly.";
    DUPLICATE_ITEM_KEY = "E0016" "duplicate-item-key" Error "Reading files"
        "Two rows of a register give the same value in its `key` column: `run due` and `run start --item` could not tell the items apart.";
    ITEM_WITHOUT_INTERVAL = "E0017" "item-without-interval" Error "Reading files"
        "A row of a register has a value in the `every.by` column that the per-item trigger's `every` map gives no interval for, so that item would never be due. Add the value to `every` or correct the row.";
    UNKNOWN_INTERVAL_KEY = "E0018" "unknown-interval-key" Error "Reading files"
        "A per-item trigger's `every` map gives an interval for a value that no item of the register has in the `every.by` column and that looks like a misspelling of one that does (`Hihg` for `High`). A key for a class no item is in today (no `Low` gauges yet) is not reported. Correct the key to the column's value.";
    RECURRENCE_AMONG_TRIGGERS = "E0019" "recurrence-among-triggers" Error "Reading files"
        "A list of triggers (`trigger: [ { text, start }, ... ]`) has an entry with `every`, `in` or `for_each`. Several triggers are events, each starting a run at its own step; a recurring flow (`{ every: 1 year }`) or a flow run per item of a register (`{ for_each: gauges, every: ... }`) has that one trigger only, because `run due` plans its runs from it. A run of a per-item flow can be started for an item at any time (`run start --item KEY`, e.g. after a gauge was dropped); work that begins at another step needs a flow of its own.";
    DUPLICATE_HOLIDAY = "E0020" "duplicate-holiday" Error "Reading files"
        "A date is listed twice in the calendar's `holidays`, perhaps once whole and once as a part day, or as two part days. The runner could honour only one of them; list each date once, a part day with all the hours worked that day.";
    DUPLICATE_TRIGGER_TEXT = "E0021" "duplicate-trigger-text" Error "Reading files"
        "Two triggers of one flow have the same text, so `run start --trigger TEXT` could not tell which step to start at. Give each trigger a text of its own.";
    REGISTER_DUPLICATE_COLUMN = "E0022" "register-duplicate-column" Error "Reading files"
        "The header row of a register file names one column twice, so a `key`, an `every.by` or a column shown on a form could mean either. Rename one of the columns.";
    PART_DAY_OUTSIDE_HOURS = "W0010" "part-day-outside-hours" Warning "Reading files"
        "A part-day holiday gives hours that are not within that weekday's normal working hours (or the day is not a workday at all). A part holiday keeps some of the day's normal hours; to work other hours on a date, list it under `extra_workdays` instead.";

    UNKNOWN_DEPARTMENT = "E0101" "unknown-department" Error "References"
        "A department or party code (in `by`, `with`, `owner`, `keeper`, `who` or `in`) that `procdoc.yaml` does not define.";
    UNKNOWN_RECORD = "E0102" "unknown-record" Error "References"
        "`produces` or `uses` names a record that the procedure (or, for `DOC#record`, the named procedure) does not define.";
    UNKNOWN_STEP = "E0103" "unknown-step" Error "References"
        "`next`, `goto`, `from`, `before`, `not_by` or a trigger's `start` names a step that is not in the flow.";
    UNKNOWN_FLOW = "E0104" "unknown-flow" Error "References"
        "`calls` or a stage names a flow that the procedure does not have.";
    UNKNOWN_DOCUMENT = "E0105" "unknown-document" Error "References"
        "`calls`, `references` or a `DOC#record` reference names a document id that no procedure in the QMS has.";
    DUPLICATE_ID = "E0106" "duplicate-id" Error "References"
        "Two things that must be told apart share an id: documents in the QMS, flows of a procedure, stages, steps of a flow, records, fields of a record, department or party codes, standing rules.";
    INVALID_REFERENCE = "E0107" "invalid-reference" Error "References"
        "A `references` entry must give exactly one of `doc` (a procedure of this QMS) or `title` (an outside document).";
    DUPLICATE_NUMBER = "E0110" "duplicate-number" Error "References"
        "Two clauses of a document print the same number (`number:` of a flow, step or section, or one counted on from it), so a reader or a cross-reference could not tell them apart. Give each its own number; where the original repeats a number, say so in a YAML comment.";
    NUMBER_OUT_OF_ORDER = "E0111" "number-out-of-order" Error "References"
        "A clause number is not after the one printed before it (`5.1.9` comes before `5.1.10`, `5.1.5` before `5.1.5 a)`). Numbers follow the document's order: fixed parts, then flows (stage by stage) with their steps, extra sections, related documents, records.";
    DUPLICATE_STAGE_FLOW = "E0112" "duplicate-stage-flow" Error "References"
        "`stages` names a flow twice (in one stage or in two). A flow belongs to at most one stage; the document prints it once, under that stage.";
    UNKNOWN_LINK = "E0113" "unknown-link" Error "References"
        "A `[](#id)` or `[text](#id)` link in a long text names no step, flow, section, record or definition of the procedure, or names a step id that several flows use (write `flow/step`). Sections and definitions are linked by their `id:`.";
    UNKNOWN_REGISTER = "E0114" "unknown-register" Error "References"
        "`for_each` of a trigger names a register that `procdoc.yaml` `registers:` does not list.";
    UNKNOWN_ITEM_COLUMN = "E0115" "unknown-item-column" Error "References"
        "A record field's `value: item.COLUMN` names a column the register of the flow's items does not have, or the field is filled by a step of a flow that is not run per item.";
    UNKNOWN_LANGUAGE = "W0108" "unknown-language" Warning "References"
        "A text gives a language that is not in the QMS `languages`; it will never be printed.";
    LOOKALIKE_ID = "E0109" "lookalike-id" Error "References"
        "An id, code or reference holds a character that is invisible (a zero-width space, a no-break space), changes the direction of the text (a bidirectional override), or only looks like another (a Cyrillic `Р` among Latin letters, a fullwidth `－`). Such names print like other ones, so one thing could pass for another. Retype the name with ordinary characters of one alphabet.";
    UNKNOWN_RULE_TARGET = "E0116" "unknown-rule-target" Error "References"
        "A standing rule's `applies_to` names no step (of any flow of the procedure, or `flow/step`) and no record of the procedure.";
    CALL_INTO_PER_ITEM = "E0117" "call-into-per-item" Error "References"
        "A step `calls` a flow that runs once per item of a register (`trigger: { for_each: ... }`). A called run has no item, so its `value: item.COLUMN` fields stay empty and `run due` never counts it. Start the per-item flow on its own (`run start --item`), or call a flow that needs no item.";
    DUPLICATE_JOINT_DEPARTMENT = "E0118" "duplicate-joint-department" Error "References"
        "A joint sign-off (`by: { all: [...] }`) names one department twice. Each department signs once; name each department once.";
    EMPTY_ITEM_KEY = "E0119" "empty-item-key" Error "References"
        "A row of a register leaves its `key` column empty, so `run due` and `run start --item` could not name that item. Give every row a key of its own.";

    CANNOT_FINISH = "E0201" "cannot-finish" Error "Flow structure"
        "No path leads from this step to an `end`: a run that gets here can never finish.";
    LOOP_WITHOUT_EXIT = "E0202" "loop-without-exit" Error "Flow structure"
        "A loop of steps has no way out: every outcome leads back into the loop. Give one decision an outcome that leaves it.";
    TOO_FEW_OUTCOMES = "E0203" "too-few-outcomes" Error "Flow structure"
        "A decision needs at least two outcomes; with one, write `next` instead.";
    DUPLICATE_OUTCOME = "E0204" "duplicate-outcome" Error "Flow structure"
        "Two outcomes of a decision have the same label in one language, so a run could not say which one it took.";
    NEXT_TO_ITSELF = "E0205" "next-to-itself" Error "Flow structure"
        "A step names itself in `next` or `goto`. To repeat work, go back through a decision to an earlier step.";
    JOIN_SINGLE_INPUT = "E0206" "join-single-input" Error "Flow structure"
        "`join: all` waits for several parallel branches, but this step has only one way in.";
    CONFLICTING_TRANSITIONS = "E0207" "conflicting-transitions" Error "Flow structure"
        "A step may have only one of `next`, `decision` and `end`.";
    FALLS_OFF_END = "E0208" "falls-off-end" Error "Flow structure"
        "The last step of a flow has no `next`, `decision` or `end`, so there is no step below it to continue to. Add `end: <outcome>`.";
    EMPTY_FLOW = "E0209" "empty-flow" Error "Flow structure"
        "A procedure needs at least one flow and every flow at least one step.";
    INCLUSIVE_JOIN_WITHOUT_CHOICE = "E0210" "inclusive-join-without-choice" Error "Flow structure"
        "A step says `join: started` (join the branches that were started), but no decision with `multiple: true` leads to it, so there is nothing inclusive to join. Use `join: all` after `next: [...]`, no join after a one-outcome decision, or make the decision before it `multiple: true`.";
    MULTIPLE_TOO_FEW_OUTCOMES = "E0211" "multiple-too-few-outcomes" Error "Flow structure"
        "A decision with `multiple: true` (one or more outcomes chosen) has fewer than two outcomes, so there is nothing to choose. Give it at least two outcomes, or write `next` instead.";
    MULTIPLE_TOO_MANY_OUTCOMES = "E0212" "multiple-too-many-outcomes" Error "Flow structure"
        "A decision with `multiple: true` has more than 8 outcomes. Every set of outcomes a run may choose is checked (255 sets for 8), so the flow could not be proven sound. Group outcomes, or split the decision in two.";
    MULTIPLE_SAME_TARGET = "E0213" "multiple-same-target" Error "Flow structure"
        "Two outcomes of a decision with `multiple: true` go to the same step, so a run that chooses both starts that step twice at once. Let each outcome go to its own step, or merge the two outcomes.";
    JOINT_DECISION = "E0214" "joint-decision" Error "Flow structure"
        "A step signed by several departments (`by: { all: [...] }`) carries a `decision`. Each department signs the same step, so no one of them could choose the outcome alone. Put the decision in the following step, signed by one department.";
    JOINT_TOO_FEW = "E0215" "joint-too-few" Error "Flow structure"
        "`by: { all: [...] }` names fewer than two different departments: a joint sign-off needs at least two. Write `by: QA` for one department. An empty `all: []` names nobody to sign at all.";
    UNREACHABLE_STEP = "W0301" "unreachable-step" Warning "Flow structure"
        "No path leads from the first step of the flow to this step, so no run will ever do it.";

    DEADLOCK = "E0401" "deadlock" Error "Soundness"
        "A run can get stuck: a `join: all` waits for a branch that will never come (typically a decision branch that reaches a join). The note shows the shortest run that gets stuck.";
    UNSYNCHRONISED = "E0402" "unsynchronised" Error "Soundness"
        "Parallel branches meet at a step without `join: all`, so the step is started twice in one run. Add `join: all` or end the branches separately.";
    END_WHILE_ACTIVE = "E0403" "end-while-active" Error "Soundness"
        "A run can complete this `end` while other parallel steps are still active. A run ends only when no work is left (the proper completion of workflow nets, see the design notes), so it does not end there: it stays open until the other branches are done and records the outcome of the last end reached, or stays open for ever if a join waits for the branch that ended. Join the branches before one end.";
    DEAD_STEP = "W0404" "dead-step" Warning "Soundness"
        "The step is connected, but no possible run ever gets to it (for example it sits behind a join that can never fire).";
    STATE_LIMIT = "W0405" "state-space-limit" Warning "Soundness"
        "The flow has too many possible states to explore completely, even with partial-order reduction (which proves most flows of many parallel branches); soundness was checked only partly. Until a flow is proven, `build` and `release` refuse it unless given `--allow-unproven`.";

    FLOW_DEADLINE = "W0501" "flow-deadline-exceeded" Warning "Deadlines"
        "The step deadlines on the worst-case path add up to more than the flow's own `within`. The note shows the path and the figures.";
    FROM_NOT_BEFORE = "E0502" "from-not-preceding" Error "Deadlines"
        "`within.from` names a step that does not come before this one on every path, so on some runs the deadline has no start.";
    MIXED_UNITS = "W0503" "mixed-time-units" Warning "Deadlines"
        "A path mixes calendar time (days, hours) and working time (working days) in its deadlines; the note says how they were compared.";
    WINDOW_NEVER_OPENS = "E0504" "window-never-opens" Error "Deadlines"
        "A step's earliest time (`after`) is later than its deadline (`within`) counted from the same moment, so no run can ever complete it in time: `after: 10 working days` with `within: 5 working days`, or `after: { time: 2 weeks, before: meeting }` (not earlier than 2 weeks before) with `within: { time: 4 weeks, before: meeting }` (at the latest 4 weeks before). Shorten the waiting time or lengthen the deadline. Calendar and working time are compared only where the answer does not depend on the dates.";
    EARLIEST_ON_CALL = "E0505" "earliest-on-call" Error "Deadlines"
        "A step that runs another flow (`calls`) has an earliest time (`after`), but it is completed by the called run's end, which nobody can hold back. Put the `after` on a step of the called flow, or on a step after this one.";
    WINDOW_AFTER_PLANNED_STEP = "E0506" "window-after-planned-step" Error "Deadlines"
        "A step's deadline counts back from a planned step (`within: { time: 2 weeks, before: meeting }`), but the step comes after that planned step on every path: it cannot be active before the planned step is done, so its window has closed by then and every run is late. Count back from a planned step that comes after it, or count forward from the step's completion with `from:`.";
    TIMEOUT_NOT_AFTER_ESCALATION = "E0510" "timeout-not-after-escalation" Error "Deadlines"
        "A step's `timeout.after` is not later than its `escalate.after`: the step would leave by timeout before (or when) anybody is told it is late, so the escalation never shows. Escalate earlier or time out later.";
    TIMEOUT_ON_END = "E0511" "timeout-on-end" Error "Deadlines"
        "A step with `end` has a `timeout`: an end closes the run's branch, so a timeout would send a finished branch on. Put the timeout on the step the run waits at before the end.";
    TIMEOUT_ON_CALL = "E0512" "timeout-on-call" Error "Deadlines"
        "A step with `calls` has a `timeout`: the called run completes the step, and a timeout would leave that run open without a parent. Put the timeout on a step of the called flow.";
    TIMEOUT_TO_ITSELF = "E0513" "timeout-to-itself" Error "Deadlines"
        "`timeout.goto` names the step itself: the step would time out, start again and time out for ever. Name the step that handles the missing answer (a reminder, a hold).";
    IMMEDIATE_TIMEOUT = "E0514" "immediate-timeout" Error "Deadlines"
        "`timeout.after` or `escalate.after` is `immediately` (or zero): the step would time out or be escalated the moment it becomes active, so nobody could ever do it. Give a time, e.g. `20 working days`.";

    CALL_CYCLE = "E0601" "call-cycle" Error "Cross-document"
        "Flows call each other in a cycle (`calls`), so a run would never end.";

    NOT_BY_NOT_BEFORE = "E0701" "not-by-not-preceding" Error "Roles and planning"
        "`not_by` names a step that does not come before this one on every path, so separation of duties cannot be enforced.";
    BEFORE_NOT_PLANNED = "E0702" "before-not-planned" Error "Roles and planning"
        "`within.before` must name a step marked `planned: true` (a step whose date is set when a run is planned).";
    NO_ACTOR = "W0703" "step-without-actor" Warning "Roles and planning"
        "The step has no `by`: nobody is responsible for it.";

    HISTORY_MISSING_REVISION = "E0801" "history-missing-revision" Error "Document control"
        "The revision history has no entry for the current `revision`.";
    HISTORY_ORDER = "E0802" "history-out-of-order" Error "Document control"
        "The revision history must be in date order, oldest first, and end with the current revision.";
    EFFECTIVE_BEFORE_APPROVAL = "E0803" "effective-before-approval" Error "Document control"
        "The document takes effect before it was approved.";
    APPROVER_IS_PREPARER = "W0804" "approver-is-preparer" Warning "Document control"
        "The same person prepared and approved the document; ISO 9001 expects an independent approval.";
    MISSING_PURPOSE = "W0805" "missing-purpose" Warning "Document control"
        "The procedure has no `purpose`.";
    MISSING_SCOPE = "W0806" "missing-scope" Warning "Document control"
        "The procedure has no `scope`.";
    UNUSED_RECORD = "W0807" "unused-record" Warning "Document control"
        "No step produces or uses this record, so nothing in the procedure says when it is made.";
    IDLE_DEPARTMENT = "W0808" "idle-department" Warning "Document control"
        "A department has duties in `responsibilities` but does no step and is consulted on none.";
    MISSING_RESPONSIBILITY = "W0809" "missing-responsibility" Warning "Document control"
        "A department does or supports steps but has no entry in `responsibilities`.";
    MISSING_TRANSLATION = "W0810" "missing-translation" Warning "Document control"
        "A text does not give one of the QMS `languages`.";
    APPROVAL_ORDER = "W0811" "approval-out-of-order" Warning "Document control"
        "The approval dates are not in order: prepared, then reviewed, then approved.";
    REGISTER_INVALID = "E0812" "register-invalid" Error "Document control"
        "`register.yaml`, the record of releases and periodic reviews, cannot be read or has been tampered with: invalid YAML, a missing or unknown key, an entry whose stored fingerprint does not match its stored content, a field recorded beside the content (effective date, approval, file name) that contradicts it, releases out of order or without the OBSOLETE copy of the revision they replaced, a release before its approval, or a release or review dated in the future or before what it confirms, or a copy in the output folder the register cannot account for (an OBSOLETE copy no release made obsolete, a CONTROLLED COPY of no release: releases were removed from the register). procdoc only ever appends to the register; restore it from version control.";
    MODIFIED_WITHOUT_REVISION = "E0813" "modified-without-revision" Error "Document control"
        "A released document was changed but its `revision` was not raised. The message lists what changed since the release. Raise `revision`, add a `history` entry saying what changed, and release the new revision; or undo the change. Formatting and comments are not changes.";
    REVIEW_OVERDUE = "W0814" "review-overdue" Warning "Document control"
        "A released document's periodic review (`review_every`, counted from the effective date or the last recorded review) is overdue. Review it and record the review with `procdoc review <DOC-ID> --by <name>`, or release a new revision.";
    OUTPUT_NAME_COLLISION = "E0815" "output-name-collision" Error "Document control"
        "Two different things would be written to one output file: ids that differ only in characters a file name cannot hold (`QP/001` and `QP-001` are both `QP-001_A.pdf`), in case, or in Unicode spelling (a case-insensitive disk, as on macOS and Windows, stores `QP-001` and `qp-001` as one file). The message names both sources. Give one of them a distinct id.";
    APPROVAL_PENDING = "I0820" "approval-pending" Info "Document control"
        "Names or dates in `approval` are left out (`approved: {}`): the document prints empty boxes to sign by hand and is awaiting approval. This is information, never a failure (not even with `--deny-warnings`): a draft awaiting signatures is normal. `procdoc release` refuses the document until every sign-off has a name and a date.";

    FIELD_OPTIONS = "E0901" "field-options" Error "Records"
        "A `choice` or `multichoice` field needs `options`; other field types must not have them.";
    TABLE_COLUMNS = "E0902" "table-columns" Error "Records"
        "A `table` field needs `columns`; other field types must not have `columns` or `rows`.";
    DECISION_FIELD = "E0903" "decision-field" Error "Records"
        "`decision.on` must name a `choice` field of a record the step produces, written `record.field`. The message names what was found instead; add the record to the step's `produces`, or name the choice field.";
    DECISION_OPTIONS = "E0904" "decision-options" Error "Records"
        "The outcomes of a decision taken from a field (`decision.on`) must be exactly the field's options, each option one outcome. The message names the options without an outcome and the outcomes that are no option.";
    NUMBER_RANGE = "E0905" "number-range" Error "Records"
        "`min:` and `max:` apply to `number` fields only, and `min` may not be greater than `max`.";

    MISSING_GLYPH = "W1001" "missing-glyph" Warning "Printing"
        "A text has a character that no bundled font can print (it would print as an empty box). procdoc bundles Noto fonts for Latin, Greek, Cyrillic, Simplified and Traditional Chinese, Japanese, Korean and the ballot-box symbols. `procdoc release` refuses to issue a controlled copy with such a character; replace it, or build with `--font-path` for a draft.";
}

/// Look a code up by its code or name (`E0101` or `unknown-department`).
pub fn find(key: &str) -> Option<&'static Code> {
    ALL.iter()
        .copied()
        .find(|c| c.code.eq_ignore_ascii_case(key) || c.name == key)
}

/// The reference page `docs/checks.md`.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# procdoc checks\n\n\
         <!-- Generated from src/check/codes.rs; a test fails when this page is stale. \
         Regenerate with `UPDATE_DOCS=1 cargo test --test docs`. -->\n\n\
         `procdoc check` reports every finding with a stable code and name. Errors (`E…`) make \
         `check` exit with 1 and stop `build`; warnings (`W…`) are printed and fail only with \
         `--deny-warnings`; information (`I…`) never fails. `--format json` gives the same \
         findings to editors and CI (under `findings`, with the states explored per flow under \
         `flows`; `--stats` prints those in text).\n",
    );
    let mut family = "";
    for code in ALL {
        if code.family != family {
            family = code.family;
            out.push_str(&format!(
                "\n## {family}\n\n| code | name | meaning |\n|---|---|---|\n"
            ));
        }
        out.push_str(&format!(
            "| `{}` | `{}` | {} |\n",
            code.code, code.name, code.explanation
        ));
    }
    out
}
