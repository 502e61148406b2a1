//! A released document stays released while its meaning and what it prints stay the same:
//! an equivalent spelling is no change, every real change is named by `check` and `diff`
//! in the procedure's terms, and a change of `procdoc.yaml` that the document prints (the
//! company, a department's name) makes it modified like an edit of its own file.

use super::qms::{DYNE, DYNE_DOC, DYNE_FILE, Qms};

fn released() -> Qms {
    let q = Qms::copy(DYNE);
    let a = q.release(DYNE_DOC, "2026-01-10");
    assert_eq!(a.code, 0, "{}", a.text());
    q
}

fn state(q: &Qms) -> String {
    let status = q.run(&["status", q.qms()]);
    assert_eq!(status.code, 0, "{}", status.text());
    status.stdout
}

fn diff(q: &Qms) -> String {
    let d = q.run(&["diff", DYNE_DOC, "--qms", q.qms()]);
    assert_eq!(d.code, 0, "{}", d.text());
    d.stdout
}

#[test]
fn equivalent_spellings_are_not_changes() {
    for (from, to) in [
        (
            "title: Service management program",
            "title: { en: Service management program }",
        ),
        (
            "purpose: Specify the service",
            "purpose:\n  en: Specify the service",
        ),
        ("within: 5 hours ", "within: { time: 5 hours } "),
        ("owner: BU", "owner: \"BU\""),
    ] {
        let q = released();
        q.edit(DYNE_FILE, from, to);
        let found = q.messages("E0813");
        assert!(found.is_empty(), "{to}: {found:?}");
        assert!(state(&q).contains("released"), "{to}");
        assert!(!state(&q).contains("modified"), "{to}");
        assert!(diff(&q).contains("no changes"), "{to}: {}", diff(&q));
    }
}

#[test]
fn every_real_change_is_named_by_check_and_diff_never_as_json() {
    for (from, to, named) in [
        (
            "title: Service management program",
            "title: { en: Service management program, zh: 服务管理程序 }",
            "title",
        ),
        ("within: 5 hours ", "within: 6 hours ", "deadline"),
        (
            "  - title: Contract Review Process\n",
            "  - title: Contract review process\n",
            "references",
        ),
        (
            "      - Collecting the sales invoice",
            "      - Checking the sales invoice",
            "responsibilities",
        ),
    ] {
        let q = released();
        q.edit(DYNE_FILE, from, to);
        let found = q.messages("E0813");
        assert_eq!(found.len(), 1, "{to}: {found:?}");
        let message = &found[0];
        assert!(message.contains(named), "{to}: {message}");
        assert!(!message.ends_with(": "), "{to}: no change named: {message}");
        let shown = diff(&q);
        assert!(shown.contains(named), "{to}: {shown}");
        for json in ["{\"", "[{", "\":"] {
            assert!(!shown.contains(json), "{to}: raw JSON in\n{shown}");
        }
    }
}

#[test]
fn reordering_history_or_records_is_named() {
    let q = released();
    let text = std::fs::read_to_string(q.file(DYNE_FILE)).unwrap();
    let a = "  - { id: k3-sales-order,     title: Sales order (K3),              keeper: BU }\n";
    let b = "  - { id: k3-task-list,       title: Production task list (K3),     keeper: BU }\n";
    assert!(text.contains(&format!("{a}{b}")));
    std::fs::write(
        q.file(DYNE_FILE),
        text.replacen(&format!("{a}{b}"), &format!("{b}{a}"), 1),
    )
    .unwrap();
    let found = q.messages("E0813");
    assert!(
        found.iter().any(|m| m.contains("order of records")),
        "{found:?}"
    );
}

#[test]
fn renaming_what_the_document_prints_from_the_settings_is_a_change() {
    for (from, to, named) in [
        (
            "company: Hefei Dyne Automotive Air Conditioning Co., Ltd.",
            "company: Dyne Thermal Systems Ltd.",
            "company name",
        ),
        (
            "{ code: BU,    name: Business Unit }",
            "{ code: BU,    name: Sales Department }",
            "name of BU",
        ),
        (
            "{ code: QA,    name: Quality Department }",
            "{ code: QA,    name: Quality Assurance }",
            "name of QA",
        ),
        (
            "copyright: Copyright 2009-2012",
            "copyright: Copyright 2009-2013",
            "copyright",
        ),
    ] {
        let q = released();
        q.edit("procdoc.yaml", from, to);
        let found = q.messages("E0813");
        assert!(found.iter().any(|m| m.contains(named)), "{to}: {found:?}");
        assert!(state(&q).contains("modified"), "{to}: {}", state(&q));
        assert!(diff(&q).contains(named), "{to}: {}", diff(&q));
        let rebuild = q.run(&[
            "build",
            q.qms(),
            "-o",
            q.out_arg(),
            "--revision",
            "DYN-QP-07@A",
        ]);
        assert_eq!(rebuild.code, 1, "{to}: {}", rebuild.text());
        assert!(rebuild.stdout.contains("DIFFERS"), "{}", rebuild.stdout);
        assert!(rebuild.stdout.contains(named), "{to}: {}", rebuild.stdout);
    }
}

#[test]
fn a_department_the_document_does_not_name_is_no_change() {
    let q = released();
    q.edit(
        "procdoc.yaml",
        "parties:\n",
        "  - { code: HR, name: Human Resources }\nparties:\n",
    );
    assert!(q.messages("E0813").is_empty());
    assert!(!state(&q).contains("modified"));
}

#[test]
fn a_build_after_a_rename_does_not_stamp_the_new_text_controlled() {
    let q = released();
    q.edit(
        "procdoc.yaml",
        "company: Hefei Dyne Automotive Air Conditioning Co., Ltd.",
        "company: Dyne Thermal Systems Ltd.",
    );
    let out = q.tmp.path().join("build");
    // check finds E0813, so the build is refused or stamps the document a draft.
    let (code, _) = super::common::build(&q.dir, &out, &[]);
    let pdf = out.join("DYN-QP-07_A.pdf");
    if code == 0 || pdf.is_file() {
        let text = super::common::pdf_text(&pdf);
        assert!(text.contains("Dyne Thermal Systems"), "not rebuilt");
        assert!(!text.contains("CONTROLLED COPY"), "stamped controlled");
    }
}
