//! `bitcoin`: parse the command line, then print help or exec the program it names.

use std::io::Write;
use std::process::ExitCode;

use bitcoin_wrapper::{Environment, Plan, SystemFiles};

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let env = Environment::detect(args.next().as_deref());
    let error = match bitcoin_wrapper::plan(args, &env, &SystemFiles) {
        Ok(Plan::Print(text)) => return write_out(std::io::stdout(), &text, ExitCode::SUCCESS),
        Ok(Plan::Usage(text)) => return write_out(std::io::stderr(), &text, ExitCode::FAILURE),
        Ok(Plan::Exec(resolved)) => bitcoin_wrapper::Error::from(bitcoin_wrapper::exec(&resolved)),
        Err(error) => error,
    };
    write_out(
        std::io::stderr(),
        &error.report(),
        ExitCode::from(error.exit_code()),
    )
}

/// Writes `text` (ignoring a closed pipe) and returns `code`.
fn write_out(mut out: impl Write, text: &str, code: ExitCode) -> ExitCode {
    let _ = out.write_all(text.as_bytes());
    code
}
