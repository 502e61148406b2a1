//! `docs/checks.md` is generated from the table of codes; `UPDATE_DOCS=1` rewrites it.

#[test]
fn checks_reference_is_current() {
    let generated = procdoc::check::codes::reference_markdown();
    let path = "docs/checks.md";
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &generated).expect("write docs/checks.md");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/checks.md is stale: run `UPDATE_DOCS=1 cargo test --test docs` and commit it"
    );
}

#[test]
fn codes_are_unique_and_well_formed() {
    let all = procdoc::check::codes::ALL;
    let mut seen = std::collections::HashSet::new();
    for code in all {
        assert!(seen.insert(code.code), "duplicate code {}", code.code);
        assert!(seen.insert(code.name), "duplicate name {}", code.name);
        let expected = match code.severity {
            procdoc::check::diagnostic::Severity::Error => 'E',
            procdoc::check::diagnostic::Severity::Warning => 'W',
            procdoc::check::diagnostic::Severity::Info => 'I',
        };
        assert!(
            code.code.starts_with(expected),
            "{} has the wrong letter for its severity",
            code.code
        );
    }
}
