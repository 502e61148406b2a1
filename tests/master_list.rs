//! The master list, records register and where-used index `build` writes into the QMS
//! output folder: CSVs (UTF-8 with BOM, RFC 4180) and one PDF, reproducible and incremental.

mod common;
use common::{build, pdf_text};

use std::path::Path;

/// The rows of a CSV written by procdoc (a BOM, CRLF line ends, quotes only where needed;
/// the examples need none except around commas).
fn rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8(bytes).unwrap();
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark");
    assert!(body.ends_with("\r\n"), "CRLF line ends");
    body.split_terminator("\r\n")
        .map(|line| {
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => cells.push(std::mem::take(&mut cell)),
                    _ => cell.push(c),
                }
            }
            cells.push(cell);
            cells
        })
        .collect()
}

#[test]
fn red_maple_lists_its_document_records_and_where_they_are_used() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build("specs/red-maple", out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");

    let master = rows(&out.path().join("master-list.csv"));
    assert_eq!(
        master[0],
        [
            "document",
            "title",
            "revision",
            "effective",
            "owner",
            "status",
            "next_review"
        ]
    );
    assert_eq!(master.len(), 2, "{master:?}");
    assert_eq!(
        master[1],
        [
            "CS-P-001",
            "Customer Management Procedure",
            "A/01",
            "2009-06-01",
            "Customer Service Dept.",
            // The original's approval boxes are blank, so the example awaits its signatures.
            "AWAITING APPROVAL",
            ""
        ]
    );

    let records = rows(&out.path().join("records-register.csv"));
    assert_eq!(
        records[0],
        [
            "record",
            "form",
            "title",
            "procedure",
            "keeper",
            "retention"
        ]
    );
    let ids: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    // The original gives no form numbers and no retention periods: both are left blank, and
    // the records are keyed by their ids.
    assert!(records[1..].iter().all(|r| r[1].is_empty()), "{records:?}");
    assert_eq!(
        ids,
        [
            "contract-delivery-list",
            "satisfaction-survey",
            "repair-report",
            "quotation",
            "delivery-list",
            "contract-review"
        ]
    );
    let review = records.iter().find(|r| r[0] == "contract-review").unwrap();
    assert_eq!(
        review,
        &[
            "contract-review",
            "",
            "Contract review form",
            "CS-P-001",
            "Customer Service Dept.",
            ""
        ]
    );

    let used = rows(&out.path().join("where-used.csv"));
    assert_eq!(
        used[0],
        ["kind", "item", "name", "document", "step", "role"]
    );
    assert!(
        used.iter().any(|r| r[0] == "form"
            && r[1] == "contract-review"
            && r[4] == "CS-P-001 4.1.2 review"
            && r[5] == "produces"),
        "{used:?}"
    );
    assert!(
        used.iter()
            .any(|r| r[1] == "GM" && r[4] == "CS-P-001 4.1.3.1 gm-sign" && r[5] == "responsible"),
        "{used:?}"
    );
    // The same numbering as the document: step 4.1.2 is "review" there too.
    let doc = pdf_text(&out.path().join("CS-P-001_A-01.pdf"));
    assert!(doc.contains("4.1.2"), "{doc}");

    let text = pdf_text(&out.path().join("master-list.pdf"));
    for needle in [
        "CS-P-001",
        "Master list",
        "文件清单",
        "Records register",
        "Where-used index",
        "Contract review form",
    ] {
        assert!(
            text.contains(needle),
            "{needle} not in the master list:\n{text}"
        );
    }
    // A record id is no form number: none is printed where the spec gives none.
    assert!(!text.contains("contract-review"), "{text}");
    let pdf = std::fs::read(out.path().join("master-list.pdf")).unwrap();
    assert!(
        String::from_utf8_lossy(&pdf).contains("D:20090601"),
        "dated with the latest effective date"
    );

    // Nothing changed: nothing is written, the lists included.
    let (code, stderr) = build("specs/red-maple", out.path(), &[]);
    assert_eq!(code, 0);
    assert!(stderr.contains(" 0 written"), "{stderr}");
}

#[test]
fn relationship_tw_lists_every_document_and_cross_document_uses() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build("specs/relationship-tw", out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let master = rows(&out.path().join("master-list.csv"));
    let ids: Vec<&str> = master[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["CS-CP-001", "CS-M-001", "MAT-R-001"]);
    assert!(master[1..].iter().all(|r| r.len() == 7), "{master:?}");
    assert_eq!(master[1][1], "客戶關系維護控制程序");

    let records = rows(&out.path().join("records-register.csv"));
    assert!(
        records
            .iter()
            .any(|r| r[0] == "callback-record" && r[3] == "CS-M-001"),
        "{records:?}"
    );
    // A record of CS-M-001 used by a step of CS-CP-001.
    let used = rows(&out.path().join("where-used.csv"));
    assert!(
        used.iter()
            .any(|r| r[1] == "callback-record" && r[3] == "CS-CP-001"),
        "{used:?}"
    );
    let text = pdf_text(&out.path().join("master-list.pdf"));
    for id in ["CS-CP-001", "CS-M-001", "MAT-R-001", "文件清單"] {
        assert!(text.contains(id), "{id} not in the master list:\n{text}");
    }

    // Byte-identical when built again from scratch.
    let again = tempfile::tempdir().unwrap();
    assert_eq!(build("specs/relationship-tw", again.path(), &[]).0, 0);
    for name in [
        "master-list.pdf",
        "master-list.csv",
        "records-register.csv",
        "where-used.csv",
    ] {
        assert!(
            std::fs::read(out.path().join(name)).unwrap()
                == std::fs::read(again.path().join(name)).unwrap(),
            "{name} differs between two builds"
        );
    }
}
