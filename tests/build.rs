//! `procdoc build` end to end: the files produced, what the PDFs really contain (pages,
//! text, embedded fonts), byte-identical rebuilds, skipped unchanged outputs, literal
//! printing of hostile texts, and nothing written for a QMS with errors.

mod common;
use common::pdf_text;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn procdoc() -> Command {
    Command::cargo_bin("procdoc").unwrap()
}

fn build(qms: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let output = procdoc()
        .arg("build")
        .arg(qms)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn page_count(path: &Path) -> usize {
    lopdf::Document::load(path).unwrap().get_pages().len()
}

/// Every font in the PDF, with whether its program is embedded.
fn fonts(path: &Path) -> Vec<(String, bool)> {
    let doc = lopdf::Document::load(path).unwrap();
    let mut out = Vec::new();
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"FontDescriptor") {
            continue;
        }
        let name = dict
            .get(b"FontName")
            .and_then(|n| n.as_name())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let embedded = [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"]
            .iter()
            .any(|k| dict.has(k));
        out.push((name, embedded));
    }
    out.sort();
    out
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn red_maple_build() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(Path::new("specs/red-maple"), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let dir = out.path().to_path_buf();
    (out, dir)
}

#[test]
fn red_maple_document_has_header_pages_languages_and_fonts() {
    let (_keep, out) = red_maple_build();
    let pdf = out.join("CS-P-001_A-01.pdf");
    let pages = page_count(&pdf);
    assert!(pages >= 4, "only {pages} pages");
    let text = squash(&pdf_text(&pdf));
    for needle in [
        "CS-P-001",
        "A/01",
        "2009-06-01",
        "Page 1 of",
        &format!("Page {pages} of {pages}"),
        "Customer Management Procedure",
        "客户管理程序",
        "Review the order item by item",
        "对订单内容逐一进行评审",
        "Contract review form",
        "CS-F-006",
        "Prepared by",
        "编制",
        "Revision history",
        "DRAFT",
        "4.1.2",
    ] {
        assert!(text.contains(needle), "`{needle}` is not in the PDF text");
    }
    let fonts = fonts(&pdf);
    assert!(!fonts.is_empty());
    assert!(
        fonts.iter().all(|(_, embedded)| *embedded),
        "not embedded: {fonts:?}"
    );
    assert!(
        fonts.iter().any(|(name, _)| name.contains("NotoSans-")),
        "{fonts:?}"
    );
    assert!(
        fonts.iter().any(|(name, _)| name.contains("NotoSansHans")),
        "{fonts:?}"
    );
}

#[test]
fn forms_travellers_and_diagrams_are_written() {
    let (_keep, out) = red_maple_build();
    let form = out.join("forms/CS-F-006.pdf");
    let text = squash(&pdf_text(&form));
    assert!(text.contains("CS-F-006"), "{text}");
    assert!(text.contains("Contract review form"), "{text}");
    assert!(page_count(&form) >= 1);
    for traveller in [
        "travellers/CS-P-001_contract.pdf",
        "travellers/CS-P-001_complaint.pdf",
    ] {
        let text = squash(&pdf_text(&out.join(traveller)));
        assert!(text.contains("CS-P-001"), "{traveller}");
        assert!(text.contains("Signature"), "{traveller}");
    }
    let svg = std::fs::read_to_string(out.join("diagrams/CS-P-001_contract.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..80.min(svg.len())]
    );
    assert!(svg.contains("客服部"), "lane names in the flowchart");
}

#[test]
fn builds_are_byte_identical_and_unchanged_outputs_are_skipped() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    assert_eq!(build(Path::new("specs/red-maple"), a.path(), &[]).0, 0);
    assert_eq!(
        build(Path::new("specs/red-maple"), b.path(), &["--force"]).0,
        0
    );
    for name in [
        "CS-P-001_A-01.pdf",
        "forms/CS-F-006.pdf",
        "travellers/CS-P-001_contract.pdf",
    ] {
        let first = std::fs::read(a.path().join(name)).unwrap();
        let second = std::fs::read(b.path().join(name)).unwrap();
        assert!(first == second, "{name} differs between two builds");
    }
    let pdf = std::fs::read(a.path().join("CS-P-001_A-01.pdf")).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("D:20090601"),
        "creation date from `effective`"
    );
    assert!(text.contains("pdfaid:part"), "PDF/A identification");
    let before = std::fs::metadata(a.path().join("CS-P-001_A-01.pdf"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, stderr) = build(Path::new("specs/red-maple"), a.path(), &[]);
    assert_eq!(code, 0);
    assert!(stderr.contains(" 0 written"), "{stderr}");
    let after = std::fs::metadata(a.path().join("CS-P-001_A-01.pdf"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "an unchanged output was rewritten");
}

#[test]
fn a_chinese_only_qms_builds_with_chinese_labels() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(Path::new("specs/zza-feed"), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let pdf = out.path().join("ZZA-QP-004_A-0.pdf");
    let text = squash(&pdf_text(&pdf));
    assert!(text.contains("ZZA/QP-004"), "document number as written");
    assert!(text.contains("客户管理控制程序"));
    assert!(text.contains("目的"));
    assert!(text.contains(&format!("共 {} 页", page_count(&pdf))));
}

#[test]
fn lang_prints_a_single_language() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(Path::new("specs/red-maple"), out.path(), &["--lang", "en"]);
    assert_eq!(code, 0, "{stderr}");
    let text = pdf_text(&out.path().join("CS-P-001_A-01.pdf"));
    assert!(text.contains("Customer Management Procedure"));
    assert!(!text.contains("客户管理程序"));
    let (code, _) = build(Path::new("specs/red-maple"), out.path(), &["--lang", "fr"]);
    assert_eq!(code, 2);
}

const SETTINGS: &str =
    "company: Acme\nlanguages: [en]\ndepartments:\n  - { code: QA, name: Quality }\n";

fn hostile_procedure(title: &str) -> String {
    format!(
        "id: QP-1
title: {title}
revision: A
effective: 2026-01-10
owner: QA
approval:
  prepared: {{ by: Li, date: 2026-01-02 }}
  approved: {{ by: Wang, date: 2026-01-05 }}
history:
  - {{ revision: A, date: 2026-01-10, change: First release }}
purpose: {title}
scope: All.
responsibilities:
  - {{ who: QA, duties: [Check] }}
flows:
  - id: main
    title: Main
    steps:
      - id: only
        title: {title}
        by: QA
        end: done
"
    )
}

#[test]
fn texts_that_look_like_typst_code_print_literally() {
    let qms = tempfile::tempdir().unwrap();
    std::fs::write(qms.path().join("procdoc.yaml"), SETTINGS).unwrap();
    let hostile = r##"'#read("/etc/passwd") $x^2$ *bold* _it_ @ref <label> ] [ // no comment /* x */ \ #set page(width: 1cm)'"##;
    std::fs::write(qms.path().join("qp.yaml"), hostile_procedure(hostile)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(qms.path(), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = squash(&pdf_text(&out.path().join("QP-1_A.pdf")));
    for literal in [
        "#read(\"/etc/passwd\")",
        "$x^2$",
        "*bold*",
        "_it_",
        "@ref",
        "<label>",
        "] [",
        "// no comment",
        "/* x */",
        "#set page(width: 1cm)",
    ] {
        assert!(
            text.contains(literal),
            "`{literal}` not printed literally in: {text}"
        );
    }
    assert!(!text.contains("root:x:0"), "a file was read");
}

#[test]
fn a_qms_with_errors_builds_nothing() {
    let qms = tempfile::tempdir().unwrap();
    std::fs::write(qms.path().join("procdoc.yaml"), SETTINGS).unwrap();
    std::fs::write(
        qms.path().join("qp.yaml"),
        hostile_procedure("T").replace("by: QA\n        end", "by: QQ\n        end"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("never");
    let (code, stderr) = build(qms.path(), &target, &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E0101"), "{stderr}");
    assert!(!target.exists(), "something was written");
}

#[test]
fn company_templates_replace_the_defaults_and_errors_name_the_template() {
    let qms = tempfile::tempdir().unwrap();
    std::fs::write(qms.path().join("procdoc.yaml"), SETTINGS).unwrap();
    std::fs::write(qms.path().join("qp.yaml"), hostile_procedure("Title")).unwrap();
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("document.typ.j2"),
        "{{ ctx.doc.id }} {{ ctx.doc.nonexistent_field }}\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(
        qms.path(),
        out.path(),
        &["--templates", templates.path().to_str().unwrap()],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("document.typ.j2"), "{stderr}");
    assert!(stderr.contains("document.typ.j2:1"), "{stderr}");
    std::fs::write(
        templates.path().join("document.typ.j2"),
        "Company copy of {{ ctx.doc.id }}\n",
    )
    .unwrap();
    let (code, stderr) = build(
        qms.path(),
        out.path(),
        &["--templates", templates.path().to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(pdf_text(&out.path().join("QP-1_A.pdf")).contains("Company copy of QP-1"));
}

#[test]
fn every_example_builds() {
    for example in ["comm-service", "dyne", "relationship-tw"] {
        let out = tempfile::tempdir().unwrap();
        let (code, stderr) = build(&Path::new("specs").join(example), out.path(), &[]);
        assert_eq!(code, 0, "{example}: {stderr}");
        let pdfs = std::fs::read_dir(out.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
            .count();
        assert!(pdfs >= 1, "{example} produced no document");
    }
}

#[test]
fn a_missing_glyph_is_a_warning_naming_the_text() {
    let qms = tempfile::tempdir().unwrap();
    std::fs::write(qms.path().join("procdoc.yaml"), SETTINGS).unwrap();
    std::fs::write(
        qms.path().join("qp.yaml"),
        hostile_procedure("Scarab 𓆣 inspection"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(qms.path(), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: no bundled font has a glyph for '𓆣'"),
        "{stderr}"
    );
    assert!(stderr.contains("Scarab 𓆣 inspection"), "{stderr}");
    assert!(out.path().join("QP-1_A.pdf").is_file());
}
