//! A throw-away copy of an example QMS to attack, and procdoc run on it with the clock pinned.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// What a procdoc command left: exit code, standard output, standard error.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Both streams, for assertion messages and `contains` checks.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A copy of `specs/<example>` in a temporary folder, with an output folder beside it.
pub struct Qms {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub out: PathBuf,
}

impl Qms {
    /// A copy of `specs/<example>`.
    pub fn copy(example: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(example);
        super::common::copy_dir(&Path::new("specs").join(example), &dir);
        if example == "dyne" {
            sign_dyne(&dir);
        }
        super::common::sign_approvals(&dir);
        let out = tmp.path().join("out");
        Qms { tmp, dir, out }
    }

    /// A file of the QMS folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Replace the first `from` in the QMS file `name` by `to` (which must be there).
    pub fn edit(&self, name: &str, from: &str, to: &str) {
        let path = self.file(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from:?} not in {name}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// The QMS folder as an argument.
    pub fn qms(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    /// The output folder as an argument.
    pub fn out_arg(&self) -> &str {
        self.out.to_str().unwrap()
    }

    /// procdoc with `PROCDOC_NOW` pinned to 2026-03-01 and no colour.
    pub fn run(&self, args: &[&str]) -> Outcome {
        let output = Command::cargo_bin("procdoc")
            .unwrap()
            .env("PROCDOC_NOW", "2026-03-01")
            .env("NO_COLOR", "1")
            .args(args)
            .timeout(std::time::Duration::from_secs(300))
            .output()
            .unwrap();
        let outcome = Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !outcome.stderr.contains("panicked"),
            "procdoc panicked: {}",
            outcome.stderr
        );
        outcome
    }

    /// `procdoc release DOC --qms QMS --at AT -o OUT`.
    pub fn release(&self, doc: &str, at: &str) -> Outcome {
        self.run(&[
            "release",
            doc,
            "--qms",
            self.qms(),
            "--at",
            at,
            "-o",
            self.out_arg(),
        ])
    }

    /// `procdoc check QMS --format json -o OUT`: exit code and the findings.
    pub fn check_json(&self) -> (i32, Vec<serde_json::Value>) {
        let o = self.run(&[
            "check",
            "--format",
            "json",
            self.qms(),
            "-o",
            self.out_arg(),
        ]);
        let all: serde_json::Value = serde_json::from_str(&o.stdout)
            .unwrap_or_else(|e| panic!("json findings: {e}\n{}", o.text()));
        (
            o.code,
            all["findings"].as_array().cloned().unwrap_or_default(),
        )
    }

    /// The findings of `check` with this code.
    pub fn findings(&self, code: &str) -> Vec<serde_json::Value> {
        self.check_json()
            .1
            .into_iter()
            .filter(|f| f["code"] == code)
            .collect()
    }

    /// The register's text.
    pub fn register(&self) -> String {
        std::fs::read_to_string(self.file("register.yaml")).unwrap_or_default()
    }
}

/// SHA-256 (hex) of a file.
pub fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// The English-only example QMS and its one procedure.
pub const DYNE: &str = "dyne";
pub const DYNE_DOC: &str = "DYN-QP-07";
pub const DYNE_FILE: &str = "DYN-QP-07.yaml";

impl Qms {
    /// Raise DYN-QP-07 of the dyne copy to revision B with a history entry.
    pub fn bump_dyne(&self) {
        self.edit(DYNE_FILE, "revision: A\n", "revision: B\n");
        self.edit(DYNE_FILE, "effective: 2012-01-01", "effective: 2026-02-01");
        self.edit(
            DYNE_FILE,
            "  - { revision: A, date: 2012-01-01, change: First issue, by: Wang Lin }\n",
            "  - { revision: A, date: 2012-01-01, change: First issue, by: Wang Lin }\n  - { revision: B, date: 2026-02-01, change: Wording, by: Wang Lin }\n",
        );
    }

    /// Release DYN-QP-07 rev. A, then rev. B; both must succeed.
    pub fn release_dyne_twice(&self) {
        let a = self.release(DYNE_DOC, "2026-01-10");
        assert_eq!(a.code, 0, "{}", a.text());
        self.bump_dyne();
        let b = self.release(DYNE_DOC, "2026-02-10");
        assert_eq!(b.code, 0, "{}", b.text());
    }

    /// The messages of `check`'s findings with this code.
    pub fn messages(&self, code: &str) -> Vec<String> {
        self.findings(code)
            .iter()
            .map(|f| f["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// The example leaves its sign-offs blank, as its original does; these tests release it, so
/// the copy is signed, with the history's reviser, as a quality manager would sign it.
fn sign_dyne(dir: &Path) {
    let path = dir.join("DYN-QP-07.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let signed = text
        .replacen(
            "  prepared: {}",
            "  prepared: { by: Wang Lin,   date: 2011-12-05 }",
            1,
        )
        .replacen(
            "  approved: {}",
            "  approved: { by: Sun Jun,    date: 2011-12-19 }",
            1,
        )
        .replacen(
            "  - { revision: A, date: 2012-01-01, change: First issue }",
            "  - { revision: A, date: 2012-01-01, change: First issue, by: Wang Lin }",
            1,
        );
    assert!(signed.contains("Sun Jun") && signed.contains("change: First issue, by: Wang Lin"));
    std::fs::write(&path, signed).unwrap();
}
