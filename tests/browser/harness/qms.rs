//! The QMS under test and its server: a copy of the bundled Red Maple (or Kestrel) QMS, its people
//! added with `procdoc user add`, runs started and steps signed with `procdoc run`, and
//! `procdoc serve` on a port the system picks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::first_line_with;

/// The password of everyone the tests add.
pub const PASSWORD: &str = "red maple leaf 2026";

/// A person of Red Maple: login, printed name, departments, role.
pub struct Person {
    pub login: &'static str,
    pub name: &'static str,
    pub depts: &'static [&'static str],
    pub role: &'static str,
}

/// Customer service clerk: starts order runs, records what the customer sends, reviews.
pub const LIN: Person = Person {
    login: "lin",
    name: "Lin Mei",
    depts: &["CS"],
    role: "staff",
};
/// The general manager: signs contracts.
pub const WANG: Person = Person {
    login: "wang",
    name: "Wang Jun",
    depts: &["GM"],
    role: "staff",
};
/// Head of customer service and deputy general manager: in CS and GM both.
pub const HU: Person = Person {
    login: "hu",
    name: "Hu Gang",
    depts: &["CS", "GM"],
    role: "staff",
};
/// The quality manager.
pub const ZHOU: Person = Person {
    login: "zhou",
    name: "Zhou Li",
    depts: &["QA"],
    role: "quality",
};

/// `procdoc`, the binary under test.
pub fn procdoc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_procdoc"));
    c.env("NO_COLOR", "1").env_remove("PROCDOC_DB");
    c
}

/// Runs `procdoc ARGS` (with `stdin` as its input), failing the test when it fails.
pub fn run_procdoc(args: &[&str], stdin: &str) {
    let mut child = procdoc()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("procdoc starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("procdoc reads its input");
    let out = child.wait_with_output().expect("procdoc ends");
    assert!(
        out.status.success(),
        "procdoc {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of an example QMS in a temporary folder, with its people, before it is served.
pub struct Qms {
    pub dir: tempfile::TempDir,
    /// The example's folder under `specs/`.
    folder: &'static str,
}

impl Qms {
    /// Red Maple with `people` added. The general manager's signature gets `not_by:
    /// [review]` (as in the README's example): whoever reviewed an order may not also sign
    /// its contract.
    pub fn red_maple(people: &[&Person]) -> Qms {
        let qms = Qms::example("red-maple");
        let spec = qms.path().join("CS-P-001.yaml");
        let text = std::fs::read_to_string(&spec).expect("CS-P-001.yaml");
        let gm = "        by: GM\n        uses: [contract-review]\n";
        assert!(text.contains(gm), "the GM step of CS-P-001 is as expected");
        let text = text.replacen(
            gm,
            "        by: GM\n        not_by: [review]\n        uses: [contract-review]\n",
            1,
        );
        std::fs::write(&spec, text).expect("write CS-P-001.yaml");
        qms.add(people);
        qms
    }

    /// The Kestrel example (spec format 1.1: triggers, per-item runs, joint sign-off,
    /// inclusive and field-driven decisions, earliest times) with `people` added.
    pub fn kestrel(people: &[&Person]) -> Qms {
        let qms = Qms::example("kestrel");
        qms.add(people);
        qms
    }

    /// A copy of `specs/FOLDER`.
    fn example(folder: &'static str) -> Qms {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let qms = Qms { dir, folder };
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("specs")
                .join(folder),
            &qms.path(),
        );
        qms
    }

    /// `procdoc user add` for each of `people`, with [`PASSWORD`].
    fn add(&self, people: &[&Person]) {
        let qms = self;
        for p in people {
            let qms_dir = qms.path_str();
            let mut args = vec![
                "user",
                "add",
                p.login,
                "--name",
                p.name,
                "--role",
                p.role,
                "--password-stdin",
                "--qms",
                &qms_dir,
            ];
            for d in p.depts {
                args.extend(["--dept", d]);
            }
            run_procdoc(&args, &format!("{PASSWORD}\n"));
        }
    }

    /// The QMS folder.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join(self.folder)
    }

    fn path_str(&self) -> String {
        self.path().to_string_lossy().into_owned()
    }

    /// `procdoc run ARGS --qms QMS`: starts runs or signs steps before the browser comes.
    pub fn run(&self, args: &[&str]) -> &Qms {
        let qms = self.path_str();
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        all.extend(["--qms", &qms]);
        run_procdoc(&all, "");
        self
    }

    /// `procdoc release DOC --qms QMS -o OUT`, its approval signed first (Red Maple leaves it
    /// blank, as the original does, and a release needs it): every user of a department
    /// acting in it gets a read-and-confirm task, with the controlled PDF to read.
    pub fn release(&self, doc: &str) -> &Qms {
        let spec = self.path().join(format!("{doc}.yaml"));
        let text = std::fs::read_to_string(&spec).expect("the procedure file");
        let blank = "  prepared: {}   # Edited by / 编制\n  reviewed: {}   # Verified by / 核准\n  approved: {}   # Approved by / 批准\n";
        assert!(
            text.contains(blank),
            "{doc}'s approval is blank, as expected"
        );
        let signed = "  prepared: { by: Lin Mei, date: 2009-05-20 }\n  reviewed: { by: Hu Gang, date: 2009-05-25 }\n  approved: { by: Wang Jun, date: 2009-05-28 }\n";
        std::fs::write(&spec, text.replacen(blank, signed, 1)).expect("write the procedure");
        let (qms, out) = (self.path_str(), self.output());
        run_procdoc(
            &["release", doc, "--qms", &qms, "-o", &out.to_string_lossy()],
            "",
        );
        self
    }

    /// `procdoc build QMS -o OUT`: the documents the documents page links to.
    pub fn build(&self) -> &Qms {
        let (qms, out) = (self.path_str(), self.output());
        run_procdoc(&["build", &qms, "-o", &out.to_string_lossy()], "");
        self
    }

    fn output(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `procdoc serve` on this QMS, on a port the system picks.
    pub fn serve(self) -> Server {
        let mut child = procdoc()
            .arg("serve")
            .arg(self.path())
            .args(["--listen", "127.0.0.1:0", "-o"])
            .arg(self.output())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("procdoc serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let url = first_line_with(stdout, |line| {
            let at = line.strip_prefix("procdoc serves ")?.rsplit_once(" at ")?.1;
            Some(at.trim_end_matches('/').to_string())
        });
        let url = match url {
            Some(url) => url,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("procdoc serve did not say where it listens");
            }
        };
        Server {
            child,
            url,
            _qms: self,
        }
    }
}

/// A running `procdoc serve`; stopped when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    /// The copied QMS, kept as long as the server serves it.
    _qms: Qms,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[path = "../../common/files.rs"]
mod files;
use files::copy_dir;
