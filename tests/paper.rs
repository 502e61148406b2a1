//! Paper that works and approval data that is never invented, end to end: the approval
//! block for every subset of sign-offs, drafts awaiting signatures (check, status, release),
//! travellers and forms, and the printing of every language (Korean, Japanese, Traditional
//! Chinese, units and months) including the refusal of unprintable text at release.

mod common;
use common::pdf_text;

use std::path::PathBuf;

use assert_cmd::Command;

const SETTINGS: &str = "company: Northfield Precision Castings Ltd.
languages: [en]
departments:
  - { code: QA, name: Quality Assurance }
  - { code: PROD, name: Production }
";

/// A clean procedure (no findings) with `{APPROVAL}` and `{TITLE}` to fill in.
const PROCEDURE: &str = "id: {ID}
title: {TITLE}
revision: B
effective: 2025-03-01
owner: QA
approval:
{APPROVAL}
history:
  - { revision: B, date: 2025-03-01, change: First release, by: Helen Clarke }
purpose: To keep nonconforming castings from being used or delivered by mistake.
scope: Raw material, work in progress and finished castings.
responsibilities:
  - { who: QA, duties: [Decide the disposition] }
  - { who: PROD, duties: [Segregate, rework or scrap] }
records:
  - id: ncr
    form: QF-{ID}
    title: Nonconformity report
    instructions: Return to Quality Assurance **within 3 days**.
    fields:
      - { id: part, label: Part number, type: text, required: true }
      - id: checks
        label: Checks
        type: table
        columns: [Characteristic, Result, Remark]
        rows: [Dimensions, Surface, Hardness]
flows:
  - id: ncr
    title: Handling a nonconforming casting
    trigger: An inspector finds a nonconforming casting
    steps:
      - id: segregate
        title: Tag the casting and move it to quarantine
        by: PROD
      - id: report
        title: Raise a nonconformity report
        by: QA
        within: 8 hours
        produces: [ncr]
      - id: disposition
        title: Decide the disposition
        by: QA
        uses: [ncr]
        decision:
          question: Can the casting be reworked?
          outcomes:
            - { when: Rework, goto: rework }
            - { when: Scrap, goto: scrap }
      - id: rework
        title: Rework the casting
        by: PROD
        decision:
          question: Conforms after rework?
          outcomes:
            - { when: Yes, goto: release }
            - { when: No, goto: disposition }
      - id: release
        title: Release the casting
        by: QA
        end: Released
      - id: scrap
        title: Scrap the casting
        by: PROD
        end: Scrapped
";

fn procedure(id: &str, title: &str, approval: &str) -> String {
    PROCEDURE
        .replace("{ID}", id)
        .replace("{TITLE}", title)
        .replace("{APPROVAL}", approval)
}

struct Qms {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    out: PathBuf,
}

impl Qms {
    /// A QMS folder with these settings and `(file stem, procedure text)`.
    fn new(settings: &str, procedures: &[(String, String)]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("qms");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("procdoc.yaml"), settings).unwrap();
        for (stem, text) in procedures {
            std::fs::write(dir.join(format!("{stem}.yaml")), text).unwrap();
        }
        let out = tmp.path().join("out");
        Qms {
            _tmp: tmp,
            dir,
            out,
        }
    }

    /// (exit code, stdout, stderr) of `procdoc ARGS`.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = Command::cargo_bin("procdoc")
            .unwrap()
            .env("PROCDOC_NOW", "2026-03-01")
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn qms(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    fn build(&self) {
        let (code, stderr) = common::build(&self.dir, &self.out, &[]);
        assert_eq!(code, 0, "{stderr}");
    }

    fn release(&self, id: &str) -> (i32, String, String) {
        let out = self.out.to_str().unwrap().to_string();
        self.run(&["release", id, "--qms", self.qms(), "-o", &out])
    }

    fn pdf(&self, name: &str) -> String {
        pdf_text(&self.out.join(name))
    }
}

/// The text of a document from its approval block to the revision history, on one line.
fn approval_block(text: &str) -> String {
    let end = text.find("Revision history").expect("history heading");
    let block = &text[..end];
    let start = block.find("Prepared by").expect("prepared box");
    block[start..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_approval_block_is_right_for_every_subset_of_sign_offs() {
    // Each sign-off given (name and date), blank (`{}`) or, for `reviewed`, absent.
    let prepared = ("prepared", "Helen Clarke", "2025-02-10");
    let reviewed = ("reviewed", "Tom Baker", "2025-02-14");
    let approved = ("approved", "Ann Lee", "2025-02-20");
    let mut cases = Vec::new();
    for mask in 0..8u8 {
        for reviewed_written in [true, false] {
            if !reviewed_written && mask & 2 != 0 {
                continue;
            }
            let mut yaml = String::new();
            let mut expected = Vec::new();
            for (bit, (role, name, date)) in [prepared, reviewed, approved].iter().enumerate() {
                let given = mask & (1 << bit) != 0;
                if *role == "reviewed" && !reviewed_written {
                    continue;
                }
                let label = match *role {
                    "prepared" => "Prepared by",
                    "reviewed" => "Reviewed by",
                    _ => "Approved by",
                };
                if given {
                    yaml.push_str(&format!("  {role}: {{ by: {name}, date: {date} }}\n"));
                    expected.push((label, Some((*name, *date))));
                } else {
                    yaml.push_str(&format!("  {role}: {{}}\n"));
                    expected.push((label, None));
                }
            }
            cases.push((
                format!("QP-{mask}{}", u8::from(reviewed_written)),
                yaml,
                expected,
            ));
        }
    }
    let procedures: Vec<(String, String)> = cases
        .iter()
        .map(|(id, yaml, _)| {
            (
                id.clone(),
                procedure(id, "Nonconforming product", yaml.trim_end()),
            )
        })
        .collect();
    let qms = Qms::new(SETTINGS, &procedures);
    qms.build();
    for (id, _, expected) in &cases {
        let block = approval_block(&qms.pdf(&format!("{id}_B.pdf")));
        // The roles head the columns in order, then the names, then the dates: a blank box
        // prints nothing but the word Date to write it under.
        let mut want: Vec<String> = expected.iter().map(|(l, _)| l.to_string()).collect();
        want.extend(
            expected
                .iter()
                .filter_map(|(_, g)| g.map(|(n, _)| n.to_string())),
        );
        want.extend(
            expected
                .iter()
                .map(|(_, g)| g.map_or("Date".to_string(), |(_, d)| d.to_string())),
        );
        assert_eq!(block, want.join(" "), "{id}");
        for name in ["Helen Clarke", "Tom Baker", "Ann Lee"] {
            let given = expected
                .iter()
                .any(|(_, g)| g.is_some_and(|(n, _)| n == name));
            assert_eq!(block.contains(name), given, "{id}: {name} in {block}");
        }
    }
}

#[test]
fn a_draft_awaiting_signatures_is_information_shows_in_status_and_is_not_released() {
    let approval = "  prepared: { by: Helen Clarke, date: 2025-02-10 }\n  approved: {}";
    let qms = Qms::new(
        SETTINGS,
        &[(
            "QP-08".into(),
            procedure("QP-08", "Nonconforming product", approval),
        )],
    );
    let (code, stdout, stderr) = qms.run(&["check", qms.qms(), "--deny-warnings"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("I0820"), "{stdout}");
    assert!(stdout.contains("approved.by, approved.date"), "{stdout}");
    assert!(stderr.contains("0 errors, 0 warnings, 1 note"), "{stderr}");

    let (code, stdout, stderr) = qms.run(&["status", qms.qms()]);
    assert_eq!(code, 0, "{stderr}");
    let row = stdout.lines().find(|l| l.starts_with("QP-08")).unwrap();
    assert!(row.contains("awaiting approval"), "{stdout}");

    let (code, _, stderr) = qms.release("QP-08");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("approval of QP-08 rev. B is incomplete (`approval.approved`"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was released"), "{stderr}");
    assert!(!qms.dir.join("register.yaml").exists());
    assert!(!qms.out.exists(), "release wrote output");

    // The draft prints: the approver's box is empty, to sign by hand.
    qms.build();
    let block = approval_block(&qms.pdf("QP-08_B.pdf"));
    assert_eq!(
        block, "Prepared by Approved by Helen Clarke 2025-02-10 Date",
        "{block}"
    );
}

/// Hangul, kana and Traditional characters print as themselves, not as empty boxes: the
/// text read back from the PDF is the text of the spec.
#[test]
fn korean_japanese_and_traditional_documents_print_their_own_script() {
    let cases = [
        ("ko", "KO-01", "부적합 제품 관리 절차"),
        ("ja", "JA-01", "不適合製品の管理手順"),
        ("zh-Hant", "TW-01", "不合格品管制程序"),
    ];
    for (lang, id, title) in cases {
        let settings = SETTINGS.replace("languages: [en]", &format!("languages: [{lang}]"));
        let approval = "  prepared: { by: Helen Clarke, date: 2025-02-10 }\n  approved: { by: Ann Lee, date: 2025-02-20 }";
        let qms = Qms::new(&settings, &[(id.into(), procedure(id, title, approval))]);
        qms.build();
        let text: String = qms.pdf(&format!("{id}_B.pdf")).split_whitespace().collect();
        let wanted: String = title.split_whitespace().collect();
        assert!(text.contains(&wanted), "{lang}: {title} not in {text}");
    }
}

#[test]
fn traditional_documents_say_their_fixed_words_in_traditional_characters() {
    let settings = SETTINGS.replace("languages: [en]", "languages: [zh-Hant]");
    let approval = "  prepared: { by: 林志明, date: 2025-02-10 }\n  approved: { by: 王大同, date: 2025-02-20 }";
    let spec = procedure("TW-01", "不合格品管制程序", approval).replace(
        "        within: 8 hours\n",
        "        within: { time: 8 hours, from: start }\n",
    );
    let qms = Qms::new(&settings, &[("TW-01".into(), spec)]);
    qms.build();
    let text: String = qms.pdf("TW-01_B.pdf").split_whitespace().collect();
    assert!(text.contains("自流程開始8小時內"), "{text}");
    for simplified in ["开", "内", "时"] {
        assert!(
            !text.contains(simplified),
            "Simplified {simplified} in {text}"
        );
    }
}

#[test]
fn units_and_months_print_in_the_documents_language() {
    let settings = SETTINGS.replace("languages: [en]", "languages: [zh]");
    let approval =
        "  prepared: { by: 李明, date: 2025-02-10 }\n  approved: { by: 张伟, date: 2025-02-20 }";
    let spec = procedure("ZH-01", "不合格品控制程序", approval)
        .replace(
            "    title: Nonconformity report\n",
            "    title: Nonconformity report\n    retention: 3 years\n",
        )
        .replace(
            "    trigger: An inspector finds a nonconforming casting\n",
            "    trigger: { every: 1 year, in: july }\n",
        );
    let qms = Qms::new(&settings, &[("ZH-01".into(), spec)]);
    qms.build();
    let text: String = qms.pdf("ZH-01_B.pdf").split_whitespace().collect();
    assert!(text.contains("3年"), "{text}");
    assert!(text.contains("每1年(7月)"), "{text}");
    for english in ["years", "july", "hours"] {
        assert!(!text.contains(english), "{english} in {text}");
    }
}

#[test]
fn release_refuses_a_document_with_a_character_no_font_has() {
    let approval = "  prepared: { by: Helen Clarke, date: 2025-02-10 }\n  approved: { by: Ann Lee, date: 2025-02-20 }";
    let qms = Qms::new(
        SETTINGS,
        &[(
            "QP-08".into(),
            procedure("QP-08", "Nonconforming product \u{13000}", approval),
        )],
    );
    let (code, stdout, _) = qms.run(&["check", qms.qms()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("W1001"), "{stdout}");
    assert!(stdout.contains("QP-08.yaml:2:"), "{stdout}");

    let (code, _, stderr) = qms.release("QP-08");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("'\u{13000}' (U+13000) at "), "{stderr}");
    assert!(stderr.contains("QP-08.yaml:2:30"), "{stderr}");
    assert!(stderr.contains("nothing was released"), "{stderr}");
    assert!(!qms.dir.join("register.yaml").exists());
    assert!(!qms.out.exists());

    // Without the character the same document is released.
    let spec = qms.dir.join("QP-08.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace(" \u{13000}", "")).unwrap();
    let (code, _, stderr) = qms.release("QP-08");
    assert_eq!(code, 0, "{stderr}");
}

fn traveller_and_form(qms: &Qms) -> (String, String) {
    (
        qms.pdf("travellers/QP-08_ncr.pdf"),
        qms.pdf("forms/QF-QP-08.pdf"),
    )
}

#[test]
fn travellers_have_room_to_sign_forms_na_boxes_repeats_and_times() {
    let approval = "  prepared: { by: Helen Clarke, date: 2025-02-10 }\n  approved: { by: Ann Lee, date: 2025-02-20 }";
    let qms = Qms::new(
        SETTINGS,
        &[(
            "QP-08".into(),
            procedure("QP-08", "Nonconforming product", approval),
        )],
    );
    qms.build();
    let (traveller, form) = traveller_and_form(&qms);
    let flat = traveller.split_whitespace().collect::<Vec<_>>().join(" ");
    for header in ["Form to fill", "Time", "N/A", "Signature", "Date / time"] {
        assert!(flat.contains(header), "{header} missing: {flat}");
    }
    // The report step names the form to fill and its deadline, with its time window.
    assert!(flat.contains("QF-QP-08 Nonconformity report"), "{flat}");
    assert!(flat.contains("within 8 hours"), "{flat}");
    assert!(
        flat.contains("Earliest") && flat.contains("Latest"),
        "{flat}"
    );
    assert!(flat.contains("YYYY-MM-DD hh:mm"), "{flat}");
    // The rework loop (disposition ⇄ rework) gets repeat rows, nothing else does.
    assert!(flat.contains("Repeat: Decide the disposition"), "{flat}");
    assert!(flat.contains("Repeat: Rework the casting"), "{flat}");
    assert!(
        !flat.contains("Repeat: Raise a nonconformity report"),
        "{flat}"
    );
    assert!(flat.contains("N/A: tick for a step on a branch"), "{flat}");

    // The form prints its instructions and its row labels, pre-filled.
    let form = form.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        form.contains("Return to Quality Assurance within 3 days"),
        "{form}"
    );
    for row in ["Dimensions", "Surface", "Hardness"] {
        assert!(form.contains(row), "{row} missing: {form}");
    }
}

/// The graph facts the traveller prints: which steps a run may skip and which repeat.
#[test]
fn skippable_and_looping_steps_follow_the_flow() {
    let approval = "  prepared: { by: Helen Clarke, date: 2025-02-10 }\n  approved: { by: Ann Lee, date: 2025-02-20 }";
    let text = procedure("QP-08", "Nonconforming product", approval);
    let doc: procdoc::spec::model::Procedure = serde_yaml::from_str(&text).unwrap();
    let graph = procdoc::flow::graph::FlowGraph::new(&doc.flows[0]);
    // segregate, report, disposition are on every run; rework, release, scrap are not.
    assert_eq!(
        graph.skippable(),
        vec![false, false, false, true, true, true]
    );
    assert_eq!(
        graph.in_loops(),
        vec![false, false, true, true, false, false]
    );
}
