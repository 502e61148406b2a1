//! The loader keeps what was written and stays bounded: scalars keep their characters, a
//! byte-order mark is no content, ids cannot hide or fake characters, and oversized input
//! (long words, huge flows, endless files) gets a located error in bounded time.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use procdoc::spec::{limits, load};

const SETTINGS: &str = "company: Acme Castings\nlanguages: [en]\ndepartments:\n  - { code: QA, name: Quality Assurance }\n  - { code: PROD, name: Production }\n";

/// A procedure with `flows` as its flows (YAML, indented by two), everything else valid.
fn procedure(id: &str, revision: &str, extra: &str, flows: &str) -> String {
    format!(
        "id: {id}\ntitle: Final inspection\nrevision: {revision}\neffective: 2026-03-01\nowner: QA\n\
         approval:\n  prepared: {{ by: Helen Clarke, date: 2026-02-10 }}\n  approved: {{ by: Sarah Mills, date: 2026-02-20 }}\n\
         history:\n  - {{ revision: {revision}, date: 2026-03-01, change: First release }}\n\
         purpose: To release good castings.\nscope: Castings.\n\
         responsibilities:\n  - {{ who: QA, duties: [Inspect] }}\n  - {{ who: PROD, duties: [Rework] }}\n\
         {extra}flows:\n{flows}"
    )
}

const FLOW: &str = "  - id: inspect\n    title: Inspect a casting\n    steps:\n      - { id: measure, by: QA, next: decide }\n      - id: decide\n        by: QA\n        decision:\n          outcomes:\n            - { when: \"Yes\", goto: release }\n            - { when: \"No\", goto: rework }\n      - { id: rework, by: PROD, next: decide }\n      - { id: release, by: QA, end: Released }\n";

fn qms(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), contents).unwrap();
    }
    dir
}

/// `check --format json` in bounded time: exit code and findings.
fn check(dir: &Path) -> (i32, Vec<serde_json::Value>) {
    let out = Command::cargo_bin("procdoc")
        .unwrap()
        .args(["check", "--format", "json"])
        .arg(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "procdoc panicked: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "json report ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    (out.status.code().unwrap_or(-1), findings)
}

fn codes(findings: &[serde_json::Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn errors(findings: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect()
}

// ---- Values kept as written -------------------------------------------------------------

#[test]
fn unquoted_numbers_keep_the_characters_written() {
    let flows = "  - id: \"2024\"\n    title: 2024\n    trigger: 1.10\n    steps:\n      - id: \"1.9\"\n        title: 1.50\n        by: QA\n        check: [1.10, 007, True, 1e3]\n        next: 1.10\n      - id: \"1.10\"\n        by: QA\n        decision:\n          question: 0.5\n          outcomes:\n            - { when: 1.0, goto: \"1.11\" }\n            - { when: 2.50, goto: \"1.9\" }\n      - { id: \"1.11\", by: QA, end: 1.00 }\n";
    let extra = "iso: [8.2.1, 9, 4.10, 010]\nrecords:\n  - id: r\n    title: 1.10\n    fields:\n      - { id: f, label: 0.10, type: choice, options: [1.0, 2.50, 0x1F], required: true, rows: 3 }\n";
    let text = procedure("QP-1.10", "1.10", extra, flows);
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", text.as_bytes()),
    ]);
    let (qms, diagnostics) = load::load(dir.path()).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let doc = &qms.procedures[0].doc;
    assert_eq!(doc.id, "QP-1.10");
    assert_eq!(doc.revision, "1.10");
    assert_eq!(doc.history[0].revision, "1.10");
    let iso: Vec<&str> = doc.iso.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(iso, ["8.2.1", "9", "4.10", "010"]);
    let flow = &doc.flows[0];
    assert_eq!(flow.id, "2024");
    assert_eq!(flow.title.to_string(), "2024");
    assert_eq!(
        serde_json::to_value(&flow.trigger).unwrap(),
        serde_json::json!("1.10")
    );
    let steps = &flow.steps;
    assert_eq!(steps[0].title.as_ref().unwrap().to_string(), "1.50");
    let checks: Vec<String> = steps[0].check.iter().map(|t| t.to_string()).collect();
    assert_eq!(checks, ["1.10", "007", "True", "1e3"]);
    assert_eq!(steps[0].next.0, ["1.10"]);
    let decision = steps[1].decision.as_ref().unwrap();
    assert_eq!(decision.question.as_ref().unwrap().to_string(), "0.5");
    assert_eq!(decision.outcomes[0].when.to_string(), "1.0");
    assert_eq!(decision.outcomes[1].when.to_string(), "2.50");
    assert_eq!(decision.outcomes[1].goto, "1.9");
    assert_eq!(steps[2].end.as_ref().unwrap().to_string(), "1.00");
    let field = &doc.records[0].fields[0];
    assert_eq!(doc.records[0].title.to_string(), "1.10");
    assert_eq!(field.label.to_string(), "0.10");
    let options: Vec<String> = field.options.iter().map(|t| t.to_string()).collect();
    assert_eq!(options, ["1.0", "2.50", "0x1F"]);
    // Values that really are numbers and booleans stay so.
    assert!(field.required);
    assert_eq!(field.rows.as_ref().map(|r| r.len()), Some(3));
}

#[test]
fn revision_1_10_is_not_revision_1_1() {
    // After 1.9 comes 1.10: two different revisions, in order, not "1.1" before "1.9".
    let text = procedure("QP-7", "1.10", "", FLOW).replace(
        "history:\n",
        "history:\n  - { revision: 1.9, date: 2025-03-01, change: Earlier }\n",
    );
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", text.as_bytes()),
    ]);
    let (qms, _) = load::load(dir.path()).unwrap();
    let doc = &qms.procedures[0].doc;
    let revisions: Vec<&str> = doc.history.iter().map(|h| h.revision.as_str()).collect();
    assert_eq!(revisions, ["1.9", "1.10"]);
    let (code, findings) = check(dir.path());
    assert!(errors(&findings).is_empty(), "{findings:?}");
    assert_eq!(code, 0);
    // The fingerprint is of the revision as written.
    let json = serde_json::to_string(doc).unwrap();
    assert!(json.contains("\"revision\":\"1.10\""), "{json}");
}

#[test]
fn integers_in_ids_and_clauses_work_as_before() {
    let text = procedure("QP-3", "2", "iso: [8.2.1, 9]\n", FLOW);
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", text.as_bytes()),
    ]);
    let (qms, diagnostics) = load::load(dir.path()).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let doc = &qms.procedures[0].doc;
    assert_eq!(doc.revision, "2");
    let iso: Vec<&str> = doc.iso.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(iso, ["8.2.1", "9"]);
}

#[test]
fn a_value_yaml_reads_as_nothing_is_refused_with_a_hint_to_quote_it() {
    let text = procedure("QP-4", "A", "", FLOW).replace("title: Final inspection", "title: ~");
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", text.as_bytes()),
    ]);
    let (code, findings) = check(dir.path());
    assert_eq!(code, 1);
    let f = findings
        .iter()
        .find(|f| f["code"] == "E0002")
        .expect("E0002");
    assert_eq!(f["line"], 2);
    assert!(f["hint"].as_str().unwrap().contains("quotes"), "{f}");
}

#[test]
fn working_hours_may_be_one_range_as_a_plain_string() {
    let settings =
        format!("{SETTINGS}calendar:\n  timezone: Europe/London\n  hours: \"08:00-16:30\"\n");
    let dir = qms(&[
        ("procdoc.yaml", settings.as_bytes()),
        ("qp.yaml", procedure("QP-5", "A", "", FLOW).as_bytes()),
    ]);
    let (qms, diagnostics) = load::load(dir.path()).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let calendar = qms.settings.unwrap().calendar.unwrap();
    assert_eq!(
        calendar.hours,
        procdoc::spec::calendar::Hours::Daily(vec!["08:00-16:30".to_string()])
    );
    let (code, findings) = check(dir.path());
    assert_eq!(code, 0, "{findings:?}");
    // A malformed single range is still located at its value.
    let bad = format!("{SETTINGS}calendar:\n  hours: \"8-16\"\n");
    std::fs::write(dir.path().join("procdoc.yaml"), bad).unwrap();
    let (_, findings) = check(dir.path());
    let f = findings
        .iter()
        .find(|f| f["code"] == "E0008")
        .expect("E0008");
    assert_eq!(f["line"], 7);
}

#[test]
fn a_byte_order_mark_is_not_content() {
    let mut settings = b"\xEF\xBB\xBF".to_vec();
    settings.extend(SETTINGS.as_bytes());
    let mut doc = b"\xEF\xBB\xBF".to_vec();
    doc.extend(procedure("QP-6", "A", "", FLOW).as_bytes());
    let dir = qms(&[("procdoc.yaml", &settings), ("qp.yaml", &doc)]);
    let (code, findings) = check(dir.path());
    assert_eq!(code, 0, "{findings:?}");
    // Positions are still right after the mark: an error on line 3 is reported on line 3.
    let broken = String::from_utf8(doc)
        .unwrap()
        .replace("revision: A\n", "revision: A\nrevison: B\n");
    std::fs::write(dir.path().join("qp.yaml"), broken).unwrap();
    let (_, findings) = check(dir.path());
    let f = findings
        .iter()
        .find(|f| f["code"] == "E0003")
        .expect("E0003");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(4), Some(1))
    );
}

// ---- Ids that cannot pass for others ------------------------------------------------------

#[test]
fn lookalike_and_invisible_characters_in_ids_and_references_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "zero-width space in a step id",
            "measure",
            "mea\u{200B}sure",
        ),
        (
            "right-to-left override in a reference",
            "next: decide",
            "next: \"decide\u{202E}\"",
        ),
        (
            "Cyrillic letter in a document id",
            "id: QP-8",
            "id: Q\u{0420}-8",
        ),
        (
            "Greek letter in a department code",
            "by: QA, next",
            "by: \u{0391}QA, next",
        ),
        (
            "fullwidth hyphen in a revision",
            "revision: A",
            "revision: \"A\u{FF0D}1\"",
        ),
        (
            "no-break space in a flow id",
            "id: inspect",
            "id: \"in\u{00A0}spect\"",
        ),
        (
            "accent typed as a separate mark in a step id",
            "measure",
            "measure\u{0301}",
        ),
        (
            "document id all in Cyrillic letters that look Latin",
            "id: QP-8",
            "id: \u{0421}\u{0420}-8",
        ),
        (
            "left-to-right isolate in a goto",
            "goto: rework",
            "goto: \"\u{2066}rework\"",
        ),
    ];
    for (what, from, to) in cases {
        let text = procedure("QP-8", "A", "", FLOW).replacen(from, to, 1);
        assert_ne!(
            text,
            procedure("QP-8", "A", "", FLOW),
            "{what}: no replacement"
        );
        let dir = qms(&[
            ("procdoc.yaml", SETTINGS.as_bytes()),
            ("qp.yaml", text.as_bytes()),
        ]);
        let (code, findings) = check(dir.path());
        assert_eq!(code, 1, "{what}");
        let f = findings
            .iter()
            .find(|f| f["code"] == "E0109")
            .unwrap_or_else(|| panic!("{what}: no E0109 in {:?}", codes(&findings)));
        let line = text
            .lines()
            .position(|l| l.contains(to.split(": ").last().unwrap().trim_matches('"')))
            .unwrap()
            + 1;
        assert_eq!(f["line"].as_u64(), Some(line as u64), "{what}: {f}");
        assert!(
            f["hint"].as_str().unwrap().contains("retype")
                || f["hint"].as_str().unwrap().contains("ordinary"),
            "{what}: {f}"
        );
    }
    // Chinese with Latin letters, accents and plain Cyrillic ids are ordinary.
    let text = procedure("客服-QP-9", "Б", "", FLOW)
        .replace("id: rework", "id: nachprüfen")
        .replace("goto: rework", "goto: nachprüfen");
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", text.as_bytes()),
    ]);
    let (code, findings) = check(dir.path());
    assert_eq!(code, 0, "{findings:?}");
}

#[test]
fn a_department_code_in_the_settings_is_checked_too() {
    let settings = SETTINGS.replace("code: PROD", "code: \"PR\u{041E}D\"");
    let text = procedure("QP-10", "A", "", FLOW).replace("PROD", "PR\u{041E}D");
    let dir = qms(&[
        ("procdoc.yaml", settings.as_bytes()),
        ("qp.yaml", text.as_bytes()),
    ]);
    let (_, findings) = check(dir.path());
    let in_settings = findings
        .iter()
        .filter(|f| f["code"] == "E0109")
        .filter(|f| f["file"].as_str().unwrap().ends_with("procdoc.yaml"))
        .count();
    assert_eq!(in_settings, 1, "{findings:?}");
}

#[test]
fn a_run_reference_with_hidden_characters_is_refused() {
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", procedure("QP-11", "A", "", FLOW).as_bytes()),
    ]);
    let db = dir.path().join("runs.db");
    for reference in ["SO\u{200B}7", "SO-7\u{202E}", "S\u{041E}-7", "SO\u{FF0D}7"] {
        let out = Command::cargo_bin("procdoc")
            .unwrap()
            .args(["run", "--qms"])
            .arg(dir.path())
            .arg("--db")
            .arg(&db)
            .args(["start", "QP-11", "--ref", reference])
            .env("PROCDOC_NOW", "2026-03-02T09:00")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{reference:?}: {stderr}");
        assert!(stderr.contains("cannot be a run reference"), "{stderr}");
        assert!(stderr.contains("U+"), "{stderr}");
    }
}

// ---- Bounded input ---------------------------------------------------------------------

#[test]
fn a_word_longer_than_a_line_can_hold_is_a_located_error() {
    let word = "A".repeat(limits::MAX_WORD_CHARS + 1);
    let flows = format!(
        "  - id: f\n    title: F\n    steps:\n      - id: s\n        by: QA\n        detail: \"Checksum {word}\"\n        end: Done\n"
    );
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", procedure("QP-12", "A", "", &flows).as_bytes()),
    ]);
    let (code, findings) = check(dir.path());
    assert_eq!(code, 1);
    let f = findings
        .iter()
        .find(|f| f["code"] == "E0006")
        .expect("E0006");
    assert_eq!(f["line"], 22, "{f}");
    // Joined from escaped line continuations, the word is found all the same.
    let half = "B".repeat(limits::MAX_WORD_CHARS / 2 + 1);
    let flows = format!(
        "  - id: f\n    title: F\n    steps:\n      - id: s\n        by: QA\n        detail: \"{half}\\\n          {half}\"\n        end: Done\n"
    );
    std::fs::write(
        dir.path().join("qp.yaml"),
        procedure("QP-12", "A", "", &flows),
    )
    .unwrap();
    let (_, findings) = check(dir.path());
    assert!(
        codes(&findings).contains(&"E0006".to_string()),
        "{findings:?}"
    );
    // In the settings, which every document prints.
    let settings = SETTINGS.replace("Acme Castings", &format!("Acme {word}"));
    std::fs::write(dir.path().join("procdoc.yaml"), settings).unwrap();
    let (_, findings) = check(dir.path());
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "E0006" && f["file"].as_str().unwrap().ends_with("procdoc.yaml")),
        "{findings:?}"
    );
    // Chinese text has no spaces but breaks anywhere: a long paragraph is fine.
    assert!(limits::longest_word(&"质量".repeat(5000)).0 < 10);
}

#[test]
fn a_flow_beyond_the_step_limit_is_a_located_error_in_bounded_time() {
    let steps = |n: usize| {
        let mut s = String::from("  - id: long\n    title: Long\n    steps:\n");
        for i in 1..=n {
            s.push_str(&format!("      - {{ id: s{i}, by: QA }}\n"));
        }
        s.push_str("      - { id: last, by: QA, end: Done }\n");
        s
    };
    let over = procedure("QP-13", "A", "", &steps(10_000));
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", over.as_bytes()),
    ]);
    let started = Instant::now();
    let (code, findings) = check(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    let f = findings
        .iter()
        .find(|f| f["code"] == "E0006")
        .expect("E0006");
    let line = over
        .lines()
        .position(|l| l.contains(&format!("id: s{},", limits::MAX_FLOW_STEPS + 1)))
        .unwrap()
        + 1;
    assert_eq!(f["line"].as_u64(), Some(line as u64), "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("10001 steps"),
        "{f}"
    );
    // Flows under the limit that together go beyond the procedure's limit.
    let flows: String = (0..4)
        .map(|k| steps(limits::MAX_FLOW_STEPS - 1).replace("id: long", &format!("id: long{k}")))
        .collect();
    let many = procedure("QP-13", "A", "", &flows);
    std::fs::write(dir.path().join("qp.yaml"), &many).unwrap();
    let (_, findings) = check(dir.path());
    let f = findings
        .iter()
        .find(|f| f["code"] == "E0006")
        .expect("E0006");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("more than 1000 steps"),
        "{f}"
    );
    assert_eq!(f["line"].as_u64(), Some(17 + 3 * 303 + 3 + 100), "{f}");
    // At the limit, the flow is checked as any other.
    let at = procedure("QP-13", "A", "", &steps(limits::MAX_FLOW_STEPS - 1));
    std::fs::write(dir.path().join("qp.yaml"), at).unwrap();
    let started = Instant::now();
    let (code, findings) = check(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 0, "{findings:?}");
}

#[test]
fn verify_refuses_devices_and_pipes_instead_of_reading_without_end() {
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", procedure("QP-14", "A", "", FLOW).as_bytes()),
    ]);
    let fifo = dir.path().join("pipe.pdf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut targets = vec![
        std::path::PathBuf::from("/dev/zero"),
        dir.path().to_path_buf(),
    ];
    if made.is_ok_and(|s| s.success()) {
        targets.push(fifo);
    }
    for target in targets {
        let started = Instant::now();
        let out = Command::cargo_bin("procdoc")
            .unwrap()
            .args(["verify", "--qms"])
            .arg(dir.path())
            .arg(&target)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", target.display());
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

#[test]
fn a_word_too_long_to_print_is_refused_when_entered_in_a_run() {
    let dir = qms(&[
        ("procdoc.yaml", SETTINGS.as_bytes()),
        ("qp.yaml", procedure("QP-15", "A", "", FLOW).as_bytes()),
    ]);
    let db = dir.path().join("runs.db");
    let run = |args: &[&str]| {
        Command::cargo_bin("procdoc")
            .unwrap()
            .args(["run", "--qms"])
            .arg(dir.path())
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("PROCDOC_NOW", "2026-03-02T09:00")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let word = "X".repeat(limits::MAX_WORD_CHARS + 1);
    let long_by = run(&["start", "QP-15", "--ref", "SO-1", "--by", &word]);
    assert_eq!(long_by.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&long_by.stderr).contains("--by: holds a word of 2001"));
    assert_eq!(
        run(&["start", "QP-15", "--ref", "SO-1"]).status.code(),
        Some(0)
    );
    let note = format!("see {word}");
    let long_note = run(&["done", "SO-1", "measure", "--by", "Li", "--note", &note]);
    let stderr = String::from_utf8_lossy(&long_note.stderr);
    assert_eq!(long_note.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--note: holds a word of 2001"), "{stderr}");
    // Nothing was recorded: the step is still open and can be done with a normal note.
    let ok = run(&[
        "done", "SO-1", "measure", "--by", "Li", "--note", "all fine",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}
