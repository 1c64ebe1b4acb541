//! `bitcoin-cli`: the command-line JSON-RPC client, behaving like Bitcoin Core's.
//!
//! It is a client of the process graph, not a member: it reaches `bitcoin-node` over the
//! node's IPC socket (`Init.makeRpc`, then `Rpc.executeRpc`, no credentials needed beyond the
//! socket's permissions) when `-ipcconnect` allows and a node listens there, and otherwise
//! over HTTP to `-rpcconnect`:`-rpcport` with Basic auth from `-rpcuser`/`-rpcpassword` or
//! the node's cookie file. `bitcoin rpc ...` runs it with `-named`.
//!
//! The pieces: [`options`] (the option specs and defaults), [`convert`] with
//! [`convert_table`] (which arguments are JSON), [`json`] (a `UniValue`-faithful JSON value,
//! so output matches Core's byte for byte), [`request`] (requests and reply handling for a
//! plain call, `-getinfo`, `-netinfo` and `-generate`), [`getinfo`] and [`netinfo`] (their
//! text), [`http`] (a small
//! HTTP/1.1 client), [`transport`] (IPC or HTTP, authentication, HTTP status handling) and
//! [`command`] (one run, Core's `CommandLineRPC`). [`main`] ties them together and returns
//! what to print; the binary prints it.

pub mod command;
pub mod convert;
pub mod convert_table;
pub mod getinfo;
pub mod http;
pub mod json;
pub mod netinfo;
pub mod options;
pub mod request;
pub mod transport;

use std::io::BufRead;

use common::args::CommandLine;
use common::Loaded;

pub use json::Json;

/// Why a call did not produce a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The node could not be reached (retried under `-rpcwait`).
    #[error("{0}")]
    Connection(String),
    /// Anything else: bad arguments, authorization, a malformed reply.
    #[error("{0}")]
    Other(String),
}

/// A way to send one JSON-RPC request (or batch) to the node and get its parsed reply.
pub trait Transport {
    /// Sends `request` to `endpoint` (`/` or `/wallet/<name>`); returns the reply.
    fn send(&mut self, request: &Json, endpoint: &str) -> Result<Json, CliError>;

    /// Warnings collected so far (printed on stderr before the result).
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// What a run prints and its exit status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error.
    pub stderr: String,
    /// The exit status.
    pub code: u8,
}

impl Outcome {
    fn error(text: String) -> Outcome {
        Outcome {
            stderr: text,
            code: 1,
            ..Outcome::default()
        }
    }
}

/// The `-version` line.
pub fn version() -> String {
    format!("bitcoin-cli version v{}\n", env!("CARGO_PKG_VERSION"))
}

/// The `-help` text.
pub fn help() -> String {
    let text = common::args::help_text(options::USAGE, &options::all());
    format!("{}\n{text}\n", version())
}

/// Runs `bitcoin-cli` with `args` (without the program name) against the real node.
pub fn main(args: &[String], stdin: &mut dyn BufRead, stdout_is_terminal: bool) -> Outcome {
    if args.is_empty() {
        return Outcome {
            stdout: help(),
            stderr: "Error: too few parameters\n".into(),
            code: 1,
        };
    }
    // The command line is checked against the CLI's own options; bitcoin.conf may also hold
    // node settings, which are ignored as Core's bitcoin-cli ignores unknown config keys.
    let checked = common::args::parse_command_line("bitcoin-cli", &options::all(), args, true);
    let loaded = checked.and_then(|line| match line {
        CommandLine::Help => Ok(Loaded::Help(String::new())),
        CommandLine::Version => Ok(Loaded::Version),
        CommandLine::Options { .. } => common::load(
            "bitcoin-cli",
            options::USAGE,
            &options::config_specs(),
            args,
            true,
        ),
    });
    let settings = match loaded {
        Ok(Loaded::Help(_)) => {
            return Outcome {
                stdout: help(),
                ..Outcome::default()
            }
        }
        Ok(Loaded::Version) => {
            return Outcome {
                stdout: version(),
                ..Outcome::default()
            }
        }
        Ok(Loaded::Run(settings)) => settings,
        Err(e) => {
            let text = e.to_string();
            return Outcome::error(if text.starts_with("Error") {
                format!("{text}\n")
            } else {
                format!("Error: {text}\n")
            });
        }
    };
    let options = match command::Options::from_settings(&settings) {
        Ok(options) => options,
        Err(e) => return Outcome::error(format!("error: {e}\n")),
    };
    let positional = settings.positional().to_vec();
    let mut transport = transport::NodeTransport::new(settings);
    run_with(
        &mut transport,
        &options,
        positional,
        stdin,
        stdout_is_terminal,
    )
}

/// Runs the command in `args` through `transport` and collects what to print.
pub fn run_with(
    transport: &mut dyn Transport,
    options: &command::Options,
    args: Vec<String>,
    stdin: &mut dyn BufRead,
    stdout_is_terminal: bool,
) -> Outcome {
    let printed = command::run(transport, options, args, stdin, stdout_is_terminal);
    let mut outcome = Outcome {
        code: printed.code,
        ..Outcome::default()
    };
    for warning in transport.take_warnings() {
        outcome.stderr.push_str(&warning);
        outcome.stderr.push('\n');
    }
    if !printed.text.is_empty() {
        let out = if printed.code == 0 {
            &mut outcome.stdout
        } else {
            &mut outcome.stderr
        };
        out.push_str(&printed.text);
        out.push('\n');
    }
    outcome
}

#[cfg(test)]
mod tests;
