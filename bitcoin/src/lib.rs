//! The `bitcoin` wrapper: the one command a user types (`bitcoin node`, `bitcoin gui`,
//! `bitcoin wallet`, `bitcoin rpc`, `bitcoin help`, `bitcoin NAME`). It sits in front of the
//! process graph rather than in it: it finds the program a command names (`bitcoin-node`,
//! `bitcoind` with `-M`, `bitcoin-cli -named`, an external `bitcoin-NAME`, ...) and replaces
//! its own process with it, so exit status and signals are the program's.
//!
//! The pieces, each testable alone: [`cli::parse`] reads the command line, [`resolve::resolve`]
//! decides what to run and where it is without doing I/O (the file system is behind
//! [`resolve::Files`]), [`suggest`] offers did-you-mean names, [`help`] holds the texts, and
//! [`system`] gathers the [`Environment`] and execs. [`plan`] ties the first four together;
//! the binary prints or execs what it returns.
//!
//! The crate's second binary, `bitcoin-cli` (what `bitcoin rpc` runs), is the JSON-RPC
//! client of the suite; its library code is [`rpc_client`]. The package is `bitcoin-wrapper`
//! (`bitcoin` names rust-bitcoin); it may import `common`, `interfaces` and `ipc`, never a
//! process's library.

pub mod cli;
pub mod help;
pub mod resolve;
pub mod rpc_client;
pub mod suggest;
pub mod system;

use std::ffi::OsString;

pub use cli::{Action, Command, Invocation, Mode, ParseError, Run};
pub use resolve::{resolve, Environment, Files, ResolveError, Resolved};
pub use system::{exec, ExecError, SystemFiles};

/// What the wrapper does for a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Print this text to stdout and exit 0 (help, version).
    Print(String),
    /// Print this text to stderr and exit 1 (no command given).
    Usage(String),
    /// Replace this process with a program.
    Exec(Resolved),
}

/// Everything that can stop the wrapper from running a program.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line is wrong.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The command names no program that can be found.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The program was found but could not be started.
    #[error(transparent)]
    Exec(#[from] ExecError),
}

impl Error {
    /// The wrapper's exit status: 1 for a wrong command line or unknown command, 127 when the
    /// program is not found, 126 when it cannot be started (as `env` and shells do).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Parse(_) | Error::Resolve(ResolveError::UnknownCommand { .. }) => 1,
            Error::Resolve(_) => 127,
            Error::Exec(e) => e.exit_code(),
        }
    }

    /// The text to print on stderr: `Error: ...`, any did-you-mean, and for usage mistakes
    /// a pointer to `bitcoin --help`.
    pub fn report(&self) -> String {
        let mut text = format!("Error: {self}\n");
        match self.suggestions() {
            [] => {}
            [one] => text.push_str(&format!("Did you mean '{one}'?\n")),
            many => text.push_str(&format!("Did you mean one of: {}?\n", many.join(", "))),
        }
        match self {
            // `bitcoin -regtest node`: a program's option put before the command.
            Error::Parse(ParseError::UnknownOption {
                option,
                suggestions,
            }) if suggestions.is_empty() && !option.starts_with("--") => {
                text.push_str(&format!(
                    "Options for a program go after the command, e.g. 'bitcoin node {option}'.\n"
                ));
            }
            _ => {}
        }
        if matches!(
            self,
            Error::Parse(_) | Error::Resolve(ResolveError::UnknownCommand { .. })
        ) {
            text.push_str("Try 'bitcoin --help' for more information.\n");
        }
        text
    }

    /// Close names for a mistyped option or command.
    fn suggestions(&self) -> &[String] {
        match self {
            Error::Parse(ParseError::UnknownOption { suggestions, .. })
            | Error::Resolve(ResolveError::UnknownCommand { suggestions, .. }) => suggestions,
            _ => &[],
        }
    }
}

/// Decides what to do for the arguments after the program name.
pub fn plan<I>(args: I, env: &Environment, files: &dyn Files) -> Result<Plan, Error>
where
    I: IntoIterator<Item = OsString>,
{
    let invocation = cli::parse(args)?;
    let exec_path = invocation.exec_path.as_deref();
    let help_text = || {
        let searched = resolve::search_places(exec_path, env);
        help::help(&resolve::external_commands(&searched, files))
    };
    let run = match invocation.action {
        Action::Version => return Ok(Plan::Print(help::version())),
        Action::Usage => return Ok(Plan::Usage(help_text())),
        Action::Help(None) => return Ok(Plan::Print(help_text())),
        Action::Help(Some(command)) => Run {
            args: vec![OsString::from(command.help_flag())],
            command,
        },
        Action::Run(run) => run,
    };
    Ok(Plan::Exec(resolve(
        &run,
        invocation.mode,
        exec_path,
        env,
        files,
    )?))
}

#[cfg(test)]
mod tests;
