//! Driving `procdoc run` at the command line from a test: one command's exit code and
//! output, the commands that must succeed or be refused, and `procdoc run` run as a child
//! process of the test binary itself (so that tests can kill or race real processes without
//! a separate binary).

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde_json::Value;

/// The exit code and output of one command.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The commands of `procdoc run` on one QMS and run database, as the tests call them. A
/// test file's own environment says how a command is run ([`RunCommands::output`]); the
/// assertions on it are these.
pub trait RunCommands {
    /// (exit code, stdout, stderr) of `procdoc run ARGS`.
    fn output(&self, args: &[&str]) -> (i32, String, String);

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.output(args);
        assert_eq!(code, 0, "`{}` failed:\n{out}{err}", args.join(" "));
        out
    }

    /// Runs a command that must be refused (exit 1); its error output.
    fn refused(&self, args: &[&str]) -> String {
        let (code, out, err) = self.output(args);
        assert_eq!(code, 1, "`{}` was not refused:\n{out}{err}", args.join(" "));
        err
    }

    /// The run record of `reference`, as `run show --format json` prints it.
    fn show(&self, reference: &str) -> Value {
        serde_json::from_str(&self.ok(&["show", reference, "--format", "json"]))
            .expect("JSON output")
    }
}

/// The command line of `procdoc run`, parsed in a child process as the binary parses it.
#[derive(Parser)]
pub struct RunCli {
    #[arg(long, default_value = ".")]
    qms: PathBuf,
    #[arg(long)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: procdoc::run::RunCommand,
}

/// The body of a test file's `child_process_entry` test: in a normal test run it does
/// nothing; in a child (the environment variable `args_var` holds the arguments as a JSON
/// list) it is `procdoc run`, and exits with its code. When `go_at_var` names a variable
/// holding Unix milliseconds, the child waits until then before acting, so that two
/// children act at once.
pub fn child_process(args_var: &str, go_at_var: Option<&str>) {
    let Ok(args) = std::env::var(args_var) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).expect("child arguments");
    if let Some(go) = go_at_var
        .and_then(|v| std::env::var(v).ok())
        .and_then(|t| t.parse::<u128>().ok())
    {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        if go > now {
            std::thread::sleep(Duration::from_millis((go - now) as u64));
        }
    }
    let code = match RunCli::try_parse_from(std::iter::once("procdoc-run".to_string()).chain(args))
    {
        Ok(cli) => procdoc::run::execute(cli.command, &cli.qms, cli.db),
        Err(e) => {
            let _ = e.print();
            2
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(i32::from(code));
}

/// A `procdoc run` process with `args`: this test binary run again with only its
/// `child_process_entry` test, the arguments in `args_var`; the clock and database of the
/// environment are not passed on.
pub fn child_command(args_var: &str, args: &[String]) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("test binary"));
    c.args([
        "child_process_entry",
        "--exact",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ]);
    c.env(args_var, serde_json::to_string(args).unwrap());
    c.env_remove("PROCDOC_NOW");
    c.env_remove("PROCDOC_DB");
    c.env("NO_COLOR", "1");
    c
}

/// The standard output of a child process, without what the test harness announces before
/// the child's own output.
pub fn child_stdout(stdout: &[u8]) -> String {
    let stdout = String::from_utf8_lossy(stdout).into_owned();
    match stdout.find("running 1 test\n") {
        Some(i) => stdout[i + "running 1 test\n".len()..].to_string(),
        None => stdout,
    }
}
