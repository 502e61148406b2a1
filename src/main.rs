use std::process::ExitCode;

fn main() -> ExitCode {
    procdoc::cli::main()
}
