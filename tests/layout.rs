//! Layout of every PDF the examples produce, read back from the PDFs: no word overprints
//! another or leaves the page, and the big procedures stay within their page budgets.

mod common;
use common::words::text_faults;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every example built once for this test binary, under cargo's scratch folder for tests.
fn built() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout-examples");
        let _ = std::fs::remove_dir_all(&out);
        for example in common::EXAMPLES {
            let (code, stderr) =
                common::build(Path::new("specs").join(example), &out.join(example), &[]);
            assert_eq!(code, 0, "{example}: {stderr}");
        }
        out
    })
}

fn pdfs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            pdfs(&path, out);
        } else if path.extension().is_some_and(|x| x == "pdf") {
            out.push(path);
        }
    }
}

fn page_count(path: &Path) -> usize {
    lopdf::Document::load(path).unwrap().get_pages().len()
}

#[test]
fn no_word_of_any_example_pdf_overprints_another_or_leaves_the_page() {
    let mut files = Vec::new();
    pdfs(built(), &mut files);
    files.sort();
    // Documents, forms, travellers and master lists of every example.
    for kind in ["forms", "travellers", "master-list"] {
        assert!(
            files.iter().any(|f| f.to_string_lossy().contains(kind)),
            "no {kind} PDF among {files:?}"
        );
    }
    let mut faults = Vec::new();
    for file in &files {
        for fault in text_faults(file, false) {
            faults.push(format!(
                "{}: {fault}",
                file.strip_prefix(built()).unwrap().display()
            ));
        }
    }
    assert!(
        faults.is_empty(),
        "{} faults in {} PDFs:\n{}",
        faults.len(),
        files.len(),
        faults
            .iter()
            .take(400)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn big_procedures_stay_within_their_page_budget() {
    // Hand-offs between lanes drawn level, the landscape charts printed together on short-
    // margined landscape pages closing the document, and charts starting in the room left on
    // a page (27 and 16 pages before).
    for (example, document, budget) in [
        ("zza-feed", "ZZA-QP-004_A-0.pdf", 20), // the original's full clause wording and numbering
        ("dyne", "DYN-QP-07_A.pdf", 14),
    ] {
        let pages = page_count(&built().join(example).join(document));
        assert!(
            pages <= budget,
            "{example}: {document} has {pages} pages, more than {budget}"
        );
    }
}

#[test]
fn a_long_unbroken_token_wraps_inside_its_table_cell() {
    // A record named by one long token: printed in the narrow records column of the step
    // table and in the records list, it must wrap in its cell, not run over the next one.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout-long-token");
    let _ = std::fs::remove_dir_all(&dir);
    let qms = dir.join("qms");
    common::copy_dir(Path::new("specs/red-maple"), &qms);
    let file = qms.join("CS-P-001.yaml");
    let token = "contract_delivery_list_of_every_export_order_with_its_agreed_delivery_dates";
    let spec = std::fs::read_to_string(&file).unwrap();
    let changed = spec.replace(
        "en: Contract and delivery time list",
        &format!("en: {token}"),
    );
    assert_ne!(spec, changed, "the fixture's record title was not found");
    std::fs::write(&file, changed).unwrap();
    let out = dir.join("out");
    let (code, stderr) = common::build(&qms, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let document = out.join("CS-P-001_A-01.pdf");
    let faults = text_faults(&document, false);
    assert!(faults.is_empty(), "{}", faults.join("\n"));
    // Nothing of the token is lost: its pieces, line after line, spell it whole, and it
    // takes more than one line.
    let (_, words) = common::words::words(&document);
    let pieces: Vec<String> = words
        .iter()
        .map(|w| w.text.replace('\u{200b}', ""))
        .filter(|t| t.len() >= 3 && token.contains(t.as_str()))
        .collect();
    let mut spelled = String::new();
    let mut whole = 0;
    let mut broken = 0;
    for piece in &pieces {
        if token.starts_with(piece.as_str()) {
            spelled.clear();
        }
        spelled.push_str(piece);
        if spelled == token {
            whole += 1;
            if piece != token {
                broken += 1;
            }
        }
    }
    assert!(
        whole >= 2,
        "the token is not printed whole in the tables: {pieces:?}"
    );
    assert!(broken >= 1, "the token never wraps: {pieces:?}");
}
