//! `procdoc build` end to end: the files produced, what the PDFs really contain (pages,
//! text, embedded fonts), byte-identical rebuilds, skipped unchanged outputs, literal
//! printing of hostile texts, and nothing written for a QMS with errors.

mod common;
use common::{build, pdf_text};

use std::path::{Path, PathBuf};

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
        "Prepared by",
        "编制",
        "Revision history",
        "DRAFT",
        "4.1.2",
    ] {
        assert!(text.contains(needle), "`{needle}` is not in the PDF text");
    }
    // The original gives the contract review form no number: the records list leaves the
    // box blank rather than print the record's id as if it were one.
    assert!(!text.contains("contract-review"), "{text}");
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
    // The original gives no form numbers: a blank form's file is named by its record id,
    // and its footer says which record it is, but the header's document number stays blank.
    let form = out.join("forms/contract-review.pdf");
    let text = squash(&pdf_text(&form));
    assert_eq!(
        text.matches("contract-review").count(),
        1,
        "only the footer names the record: {text}"
    );
    assert!(
        text.contains("contract-review (CS-P-001 rev. A/01)"),
        "{text}"
    );
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
        "forms/contract-review.pdf",
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
fn an_output_changed_behind_the_builds_back_is_made_again_even_with_its_size_and_time() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(build(Path::new("specs/comm-service"), out.path(), &[]).0, 0);
    let manifest = std::fs::read_to_string(out.path().join(".procdoc-build.json")).unwrap();
    assert!(
        manifest.contains("\"stat\""),
        "a no-op build can know outputs by their status"
    );
    let name = out.path().join("master-list.csv");
    let original = std::fs::read(&name).unwrap();
    let modified = std::fs::metadata(&name).unwrap().modified().unwrap();
    // Same length, other bytes, modification time put back.
    let mut changed = original.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    std::fs::write(&name, &changed).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&name)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let (code, stderr) = build(Path::new("specs/comm-service"), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(" 1 written"), "{stderr}");
    assert_eq!(std::fs::read(&name).unwrap(), original);
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
fn documents_print_the_originals_numbers_stages_and_cross_references() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(Path::new("specs/zza-feed"), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = squash(&pdf_text(&out.path().join("ZZA-QP-004_A-0.pdf")));
    // The original's clause numbers, not counted ones; its sections 6 and 7 stay 6 and 7.
    for number in [
        "5.1.1.1",
        "5.1.5 a)",
        "5.1.11.10",
        "5.2.1.4 b.",
        "5.2.2.4",
        "5.3.4.1",
    ] {
        assert!(text.contains(number), "`{number}` is not in the document");
    }
    let related = text.rfind("相关文件").expect("related documents");
    assert!(
        text[..related].trim_end().ends_with('6'),
        "related documents are not 6"
    );
    let records = text.rfind("7.9").expect("records list");
    assert!(records > related, "records are not 7");
    // `[](#regular-review)` in a duty prints the number of that step.
    assert!(
        text.replace(' ', "")
            .contains("常规合同在合同上签字（5.1.4）")
    );
    assert!(!text.contains("](#"), "a link printed as written");

    let (code, stderr) = build(Path::new("specs/dyne"), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = squash(&pdf_text(&out.path().join("DYN-QP-07_A.pdf")));
    // The three stages print in the original's order, each title right above its flows.
    for heading in [
        "Pre-sale service 5.1 From the customer's inquiry to the order",
        "The sale of services 5.2 From the sales order to the shipment",
        "After-sales service 5.3 Foreign trade",
    ] {
        assert!(text.contains(heading), "`{heading}` is not in the document");
    }
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
    // Without spaces: a long token may break after its punctuation, and the text extractor
    // reads each piece between such break points as a word of its own.
    let no_spaces = |t: &str| t.split_whitespace().collect::<String>();
    let text = no_spaces(&pdf_text(&out.path().join("QP-1_A.pdf")));
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
            text.contains(&no_spaces(literal)),
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
fn every_example_builds_and_its_flowchart_pages_keep_their_drawing_inside() {
    for example in common::EXAMPLES {
        let out = tempfile::tempdir().unwrap();
        let (code, stderr) = build(
            Path::new("specs").join(example),
            out.path(),
            &["--emit-typst"],
        );
        assert_eq!(code, 0, "{example}: {stderr}");
        let pdfs = std::fs::read_dir(out.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
            .count();
        assert!(pdfs >= 1, "{example} produced no document");
        // The flowchart pages the documents print (the typst sources read them).
        let pages: Vec<_> = std::fs::read_dir(out.path().join("typst/diagrams"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(!pages.is_empty(), "{example} has no flowchart pages");
        for page in pages {
            let svg = std::fs::read_to_string(&page).unwrap();
            for (y, tag) in text_baselines(&svg) {
                assert!(
                    (0.0..=svg_height(&svg)).contains(&y),
                    "{example} {}: text cut off at the page edge: {tag}",
                    page.display()
                );
            }
        }
    }
}

/// The height of an SVG's view box.
fn svg_height(svg: &str) -> f64 {
    let at = svg.find("viewBox=\"").unwrap() + 9;
    let view_box = &svg[at..at + svg[at..].find('"').unwrap()];
    view_box.split(' ').nth(3).unwrap().parse().unwrap()
}

/// The baseline of every line of text in an SVG, with its tag.
fn text_baselines(svg: &str) -> Vec<(f64, &str)> {
    svg.match_indices("<text ")
        .filter_map(|(i, _)| {
            let tag = &svg[i..i + svg[i..].find('>')?];
            let at = tag.find(" y=\"")? + 4;
            let y = tag[at..at + tag[at..].find('"')?].parse().ok()?;
            Some((y, tag))
        })
        .collect()
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

/// A 40 x 20 red PNG, made here so that the test needs no binary fixture.
fn tiny_png() -> Vec<u8> {
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
        out
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let (w, h) = (40u32, 20u32);
    // Stored (uncompressed) deflate blocks inside a zlib stream, one block per row.
    let row_len = 1 + 3 * w as usize;
    let mut raw = Vec::new();
    for _ in 0..h {
        raw.push(0u8);
        raw.extend(std::iter::repeat_n([200u8, 30, 30], w as usize).flatten());
    }
    let mut zlib = vec![0x78, 0x01];
    for (i, row) in raw.chunks(row_len).enumerate() {
        zlib.push(u8::from(i + 1 == h as usize));
        zlib.extend_from_slice(&(row.len() as u16).to_le_bytes());
        zlib.extend_from_slice(&(!(row.len() as u16)).to_le_bytes());
        zlib.extend_from_slice(row);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &zlib));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// The sizes of the images each page draws.
fn images_per_page(path: &Path) -> Vec<Vec<(i64, i64)>> {
    let doc = lopdf::Document::load(path).unwrap();
    doc.get_pages()
        .values()
        .map(|&page| {
            let (resources, ids) = doc.get_page_resources(page).unwrap();
            let mut found = Vec::new();
            let dicts = resources.into_iter().cloned().chain(
                ids.into_iter()
                    .filter_map(|id| doc.get_dictionary(id).ok().cloned()),
            );
            for dict in dicts {
                let Ok(xobjects) = dict.get(b"XObject") else {
                    continue;
                };
                let xobjects = match xobjects {
                    lopdf::Object::Reference(id) => doc.get_dictionary(*id).unwrap(),
                    other => other.as_dict().unwrap(),
                };
                for (_, object) in xobjects.iter() {
                    let stream = doc.get_object(object.as_reference().unwrap()).unwrap();
                    let dict = &stream.as_stream().unwrap().dict;
                    if dict.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Image") {
                        let size = |k: &[u8]| dict.get(k).unwrap().as_i64().unwrap();
                        found.push((size(b"Width"), size(b"Height")));
                    }
                }
            }
            found
        })
        .collect()
}

/// A copy of `specs/<example>` whose settings give a company logo.
fn with_logo(example: &str) -> tempfile::TempDir {
    let qms = tempfile::tempdir().unwrap();
    common::copy_dir(&Path::new("specs").join(example), qms.path());
    std::fs::write(qms.path().join("logo.png"), tiny_png()).unwrap();
    let settings = std::fs::read_to_string(qms.path().join("procdoc.yaml")).unwrap();
    std::fs::write(
        qms.path().join("procdoc.yaml"),
        settings.replacen("\ncompany:", "\nlogo: logo.png\ncompany:", 1),
    )
    .unwrap();
    qms
}

#[test]
fn the_company_logo_is_on_every_page_of_documents_and_forms() {
    let qms = with_logo("red-maple");
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(qms.path(), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    for pdf in ["CS-P-001_A-01.pdf", "forms/contract-review.pdf"] {
        let pages = images_per_page(&out.path().join(pdf));
        assert!(!pages.is_empty());
        for (n, images) in pages.iter().enumerate() {
            assert!(
                images.contains(&(40, 20)),
                "{pdf} page {}: {images:?}",
                n + 1
            );
        }
    }
}

/// Every file under `dir` (relative, `/`-separated) and its bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy();
                out.insert(name.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The project files a typst source reads: the string paths of its `image(..)`, `read(..)`
/// and data-loading calls, `import` and `include`, found in typst's own syntax tree so that
/// escapes and comments are read as typst reads them.
fn referenced_files(source: &str) -> Vec<String> {
    use typst::syntax::ast::{Arg, Expr};
    use typst::syntax::{SyntaxNode, parse};
    fn path(expr: Expr) -> Option<String> {
        match expr {
            Expr::Str(s) => Some(s.get().to_string()),
            _ => None,
        }
    }
    fn walk(node: &SyntaxNode, out: &mut Vec<String>) {
        match node.cast::<Expr>() {
            Some(Expr::FuncCall(call)) => {
                let reads = matches!(call.callee(), Expr::Ident(f) if matches!(
                    f.get().as_str(),
                    "image" | "read" | "json" | "csv" | "yaml" | "toml" | "xml" | "cbor" | "plugin"
                ));
                let first = call.args().items().find_map(|arg| match arg {
                    Arg::Pos(expr) => Some(expr),
                    _ => None,
                });
                out.extend(first.filter(|_| reads).and_then(path));
            }
            Some(Expr::ModuleImport(import)) => out.extend(path(import.source())),
            Some(Expr::ModuleInclude(include)) => out.extend(path(include.source())),
            _ => {}
        }
        for child in node.children() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    walk(&parse(source), &mut out);
    out
}

#[test]
fn referenced_files_are_read_from_typst_syntax() {
    let source = "#import \"/lib.typ\": x\n// #image(\"/commented.svg\")\n\
                  #block(image(\"/diagrams/a \\\"b\\\".svg\", width: 1cm))\n\
                  #include \"part.typ\"\n#read(\"data.txt\")\n#text(\"not a file\")";
    assert_eq!(
        referenced_files(source),
        ["/lib.typ", "/diagrams/a \"b\".svg", "part.typ", "data.txt"]
    );
}

#[test]
fn the_emitted_typst_project_holds_every_file_it_reads_and_compiles_on_its_own_to_the_same_pages() {
    use procdoc::render::typeset::{Typesetter, TypstJob};
    // With a logo, so that the files every source shares are in the project too.
    let qms = with_logo("comm-service");
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(qms.path(), out.path(), &["--emit-typst"]);
    assert_eq!(code, 0, "{stderr}");
    let root = out.path().join("typst");
    // Everything the project holds, and nothing else: what `typst compile --root` sees.
    let project: std::collections::BTreeMap<String, Vec<u8>> = files(&root)
        .into_iter()
        .map(|(name, bytes)| (format!("/{name}"), bytes))
        .collect();
    let typesetter = Typesetter::new(&[PathBuf::from("fonts")], false).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let mut compiled = 0;
    for (name, bytes) in &project {
        let Some(stem) = name.strip_suffix(".typ") else {
            continue;
        };
        let source = String::from_utf8(bytes.clone()).unwrap();
        // What `typst compile --root` resolves: `/x` from the root, `x` beside the source.
        let dir = Path::new(name).parent().unwrap();
        let read = referenced_files(&source);
        assert!(read.iter().any(|r| r == "/logo.png"), "{name}: {read:?}");
        // A controlled document prints its flowcharts from the project's drawings.
        if dir == Path::new("/") && name != "/master-list.typ" {
            assert!(
                read.iter().any(|r| r.starts_with("/diagrams/")),
                "{name} reads no drawing: {read:?}"
            );
        }
        for file in read {
            let full = if file.starts_with('/') {
                PathBuf::from(&file)
            } else {
                dir.join(&file)
            };
            let full = full.to_string_lossy().replace('\\', "/");
            assert!(
                project.contains_key(&full),
                "{name} reads {file}, which the project does not hold"
            );
        }
        let job = TypstJob {
            main: &source,
            main_name: name,
            files: &project,
            date,
            ident: "",
            pdf_a: false,
        };
        let pdf = typesetter
            .compile_pdf(&job)
            .unwrap_or_else(|e| panic!("{name} does not compile on its own: {e}"));
        let built = out.path().join(format!("{}.pdf", &stem[1..]));
        let pages = lopdf::Document::load(&built).unwrap().get_pages().len();
        assert_eq!(
            pdf.pages,
            pages,
            "{name}: pages differ from {}",
            built.display()
        );
        compiled += 1;
    }
    assert!(compiled >= 13, "only {compiled} sources");
}

/// A Traditional Chinese QMS prints every CJK character in the Traditional font, its
/// flowcharts included: SVG text under the Latin font used to take whichever CJK font was
/// loaded first (Simplified, Japanese or Korean glyph forms in a Traditional document).
#[test]
fn a_traditional_example_prints_cjk_in_the_traditional_font_only() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(Path::new("specs/relationship-tw"), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    for doc in ["CS-CP-001_A.pdf", "CS-M-001_A.pdf", "MAT-R-001_A.pdf"] {
        let names: Vec<String> = fonts(&out.path().join(doc))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert!(
            names.iter().any(|n| n.contains("NotoSansHant")),
            "{doc}: {names:?}"
        );
        assert!(
            names
                .iter()
                .all(|n| !["NotoSansHans", "NotoSansJP", "NotoSansKR"]
                    .iter()
                    .any(|other| n.contains(other))),
            "{doc} prints CJK in another script's font: {names:?}"
        );
    }
}
