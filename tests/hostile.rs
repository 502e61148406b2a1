//! Hostile or broken input gets a located error in bounded time and memory, never a panic.
//! The inputs are generated here because they are too big or too odd to commit.

use assert_cmd::Command;

const SETTINGS: &str =
    "company: Acme\nlanguages: [en]\ndepartments:\n  - { code: CS, name: Customer Service }\n";

fn check(dir: &std::path::Path) -> (i32, String) {
    let out = Command::cargo_bin("procdoc")
        .unwrap()
        .args(["check", "--format", "json"])
        .arg(dir)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "procdoc panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), stdout)
}

fn qms_with(name: &str, contents: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("procdoc.yaml"), SETTINGS).unwrap();
    std::fs::write(dir.path().join(name), contents).unwrap();
    dir
}

fn finding(json: &str, code: &str) -> serde_json::Value {
    let all: serde_json::Value = serde_json::from_str(json).expect("json findings");
    all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code} in {json}"))
}

#[test]
fn a_file_over_the_size_limit_is_refused_not_parsed() {
    let mut big = b"id: X\ntitle: \"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 5 * 1024 * 1024));
    big.extend(b"\"\n");
    let dir = qms_with("big.yaml", &big);
    let (code, json) = check(dir.path());
    assert_eq!(code, 1);
    let f = finding(&json, "E0006");
    assert!(f["message"].as_str().unwrap().contains("larger than 4 MiB"));
}

#[test]
fn a_multi_megabyte_string_under_the_limit_is_read() {
    let mut text = b"id: X\ntitle: \"".to_vec();
    text.extend(std::iter::repeat_n(b'a', 3 * 1024 * 1024));
    text.extend(b"\"\n");
    let dir = qms_with("long.yaml", &text);
    let (code, json) = check(dir.path());
    assert_eq!(code, 1);
    finding(&json, "E0004");
}

#[test]
fn thousands_of_files_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("procdoc.yaml"), SETTINGS).unwrap();
    for i in 0..3000 {
        std::fs::write(dir.path().join(format!("note-{i}.txt")), "x").unwrap();
    }
    for i in 0..2100 {
        std::fs::write(
            dir.path().join(format!("p{i:04}.yaml")),
            format!("id: X{i}\n"),
        )
        .unwrap();
    }
    let (code, json) = check(dir.path());
    assert_eq!(code, 1);
    let f = finding(&json, "E0006");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("more than 2000 YAML files")
    );
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused_without_expanding() {
    let mut items = vec![
        "&a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]".to_string(),
    ];
    let mut prev = 'a';
    for i in 0..9u8 {
        let name = (b'b' + i) as char;
        items.push(format!(
            "&{name} [{}]",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = name;
    }
    let bomb = format!(
        "id: X\ntitle: T\nflows:\n  - id: f\n    title: F\n    trigger: {{ every: [{}] }}\n    steps: []\n",
        items.join(", ")
    );
    let dir = qms_with("bomb.yaml", bomb.as_bytes());
    let (code, json) = check(dir.path());
    assert_eq!(code, 1);
    // Nothing in the model accepts nested lists, so the bomb is refused at its first level.
    let f = finding(&json, "E0002");
    assert_eq!(f["line"], 6, "{f}");

    let deep = format!(
        "id: X\ntitle: T\nflows:\n  - id: f\n    title: F\n    trigger: {}{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let dir = qms_with("deep.yaml", deep.as_bytes());
    let (code, json) = check(dir.path());
    assert_eq!(code, 1);
    finding(&json, "E0002");
    // Nesting where a mapping is expected is refused by the YAML reader's depth limit.
    let nested = format!(
        "id: X\ntitle: {}1{}\n",
        "{ a: ".repeat(5_000),
        " }".repeat(5_000)
    );
    let dir = qms_with("nested.yaml", nested.as_bytes());
    let (code, json) = check(dir.path());
    assert_eq!(code, 1);
    let all: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        all["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "E0001" || f["code"] == "E0002"),
        "{json}"
    );
}

#[test]
fn odd_bytes_are_located_errors() {
    let cases: &[(&str, &[u8], &str, u64)] = &[
        ("empty.yaml", b"", "E0005", 1),
        ("comments.yaml", b"# nothing here\n\n", "E0005", 1),
        ("latin1.yaml", b"id: X\ntitle: Caf\xe9\n", "E0005", 2),
        ("tabs.yaml", b"id: X\n\ttitle: T\n", "E0001", 2),
        ("dup.yaml", b"id: X\ntitle: T\nid: Y\n", "E0001", 3),
        ("nul.yaml", b"id: X\ntitle: \x00\x01\n", "E0001", 2),
        ("list.yaml", b"- a\n- b\n", "E0002", 1),
    ];
    for (name, bytes, code, line) in cases {
        let dir = qms_with(name, bytes);
        let (exit, json) = check(dir.path());
        assert_eq!(exit, 1, "{name}");
        let f = finding(&json, code);
        assert_eq!(f["line"], *line, "{name}: {f}");
    }
}

#[test]
fn a_logo_outside_the_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    std::fs::create_dir(&qms).unwrap();
    std::fs::write(dir.path().join("secret.png"), b"x").unwrap();
    std::fs::write(
        qms.join("procdoc.yaml"),
        format!("{SETTINGS}logo: ../secret.png\n"),
    )
    .unwrap();
    let (code, json) = check(&qms);
    assert_eq!(code, 1);
    assert!(
        finding(&json, "E0007")["message"]
            .as_str()
            .unwrap()
            .contains("leaves the QMS folder")
    );
    std::fs::write(
        qms.join("procdoc.yaml"),
        format!("{SETTINGS}logo: /etc/passwd\n"),
    )
    .unwrap();
    let (_, json) = check(&qms);
    finding(&json, "E0007");
}
