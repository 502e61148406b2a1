//! Every check has failing fixtures under `tests/fixtures/check/<CODE-name>[-variant]/`; the
//! diagnostics each one produces are snapshot-tested, and each must report its own code.

use std::path::{Path, PathBuf};

use procdoc::check::{codes, diagnostic};
use procdoc::spec::load;

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new("tests/fixtures/check");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("fixture folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The text a user sees, without colour, for one fixture folder.
fn check_output(dir: &Path) -> (String, Vec<&'static str>) {
    let (qms, mut diagnostics) = load::load(dir).expect("fixture is a QMS folder");
    diagnostics.extend(procdoc::check::check(&qms));
    diagnostic::sort(&mut diagnostics);
    let codes = diagnostics.iter().map(|d| d.code.code).collect();
    (diagnostic::render_text(&qms.sources, &diagnostics), codes)
}

#[test]
fn every_fixture_reports_its_code_and_matches_its_snapshot() {
    let mut failures = Vec::new();
    for dir in fixture_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected = name.split('-').next().unwrap_or_default().to_string();
        let (text, found) = check_output(&dir);
        if !found.contains(&expected.as_str()) {
            failures.push(format!("{name}: expected {expected}, found {found:?}"));
        }
        insta::with_settings!({ snapshot_path => "snapshots/check", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, text);
        });
    }
    assert!(
        failures.is_empty(),
        "fixtures without their code:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_check_code_has_a_failing_fixture() {
    let names: Vec<String> = fixture_dirs()
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let missing: Vec<String> = codes::ALL
        .iter()
        .filter(|c| {
            !names
                .iter()
                .any(|n| n.starts_with(&format!("{}-{}", c.code, c.name)))
        })
        .map(|c| format!("{}-{}", c.code, c.name))
        .collect();
    assert!(
        missing.is_empty(),
        "checks without a fixture folder: {missing:?}"
    );
}

#[test]
fn a_calendar_with_hours_per_weekday_and_part_days_checks_clean() {
    let dir = Path::new("tests/fixtures/calendar/weekly");
    let (text, found) = check_output(dir);
    assert!(found.is_empty(), "{text}");
    let (qms, _) = load::load(dir).expect("fixture is a QMS folder");
    let calendar = procdoc::check::settings::calendar_of(qms.settings.as_ref().expect("settings"))
        .expect("calendar");
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    assert_eq!(
        calendar.hours_on(day("2026-06-11")),
        ["08:00-12:00", "12:30-17:00"]
    );
    assert_eq!(
        calendar.hours_on(day("2026-06-12")),
        ["08:00-12:00", "12:30-14:30"]
    );
    assert_eq!(calendar.hours_on(day("2026-12-24")), ["08:00-12:00"]);
    assert!(calendar.hours_on(day("2026-12-25")).is_empty());
    assert_eq!(
        calendar.hours_on(day("2026-10-10")),
        ["09:00-12:00", "13:00-15:00"]
    );
}

#[test]
fn every_finding_of_every_fixture_has_a_hint() {
    let mut without = Vec::new();
    for dir in fixture_dirs() {
        let (qms, mut diagnostics) = load::load(&dir).expect("fixture is a QMS folder");
        diagnostics.extend(procdoc::check::check(&qms));
        for d in diagnostics {
            if d.hint.as_deref().is_none_or(|h| h.trim().is_empty()) {
                without.push(format!("{}: {} {}", dir.display(), d.code.code, d.message));
            }
        }
    }
    assert!(
        without.is_empty(),
        "findings without a hint:\n{}",
        without.join("\n")
    );
}
