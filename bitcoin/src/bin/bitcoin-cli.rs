//! `bitcoin-cli`: send one JSON-RPC command to the node and print the result, as Bitcoin
//! Core's `bitcoin-cli` does.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!(
                    "error: argument is not valid UTF-8: {}",
                    arg.to_string_lossy()
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let outcome =
        bitcoin_wrapper::rpc_client::main(&args, &mut std::io::stdin().lock(), stdout_is_terminal);
    // A closed pipe is not worth a panic; the exit status still tells.
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    ExitCode::from(outcome.code)
}
