//! The wrapper's command line: options before the command, the command, and the arguments
//! after it, which pass through untouched.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::suggest;

/// Which build of the suite a command runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Separate processes: `bitcoin-node`, `bitcoin-gui` (the default).
    #[default]
    Multiprocess,
    /// The single-process build: `bitcoind`, and `bitcoin-qt` for the GUI.
    Monolithic,
}

/// A command the wrapper knows how to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `node`: `bitcoin-node`, or `bitcoind` with `-M`.
    Node,
    /// `gui`: `bitcoin-gui`, or `bitcoin-qt` with `-M`.
    Gui,
    /// `wallet`: `bitcoin-wallet`.
    Wallet,
    /// `rpc`: `bitcoin-cli -named`.
    Rpc,
    /// Any other name: a `bitcoin-NAME` executable, as git runs `git-NAME`.
    External(String),
}

/// Names of the built-in commands, in help order (`help` is handled by the parser).
pub const BUILT_IN: [&str; 5] = ["node", "gui", "wallet", "rpc", "help"];

impl Command {
    /// The command called `name`; names that are not built in are external.
    pub fn from_name(name: &str) -> Command {
        match name {
            "node" => Command::Node,
            "gui" => Command::Gui,
            "wallet" => Command::Wallet,
            "rpc" => Command::Rpc,
            other => Command::External(other.to_string()),
        }
    }

    /// The name the user types for this command.
    pub fn name(&self) -> &str {
        match self {
            Command::Node => "node",
            Command::Gui => "gui",
            Command::Wallet => "wallet",
            Command::Rpc => "rpc",
            Command::External(name) => name,
        }
    }

    /// The flag that asks the command's executable for its help: Core's `-help` for the
    /// built-in ones, the common `--help` for external ones.
    pub fn help_flag(&self) -> &'static str {
        match self {
            Command::External(_) => "--help",
            _ => "-help",
        }
    }
}

/// A command to run with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// What to run.
    pub command: Command,
    /// The arguments after the command, exactly as given.
    pub args: Vec<OsString>,
}

/// What the command line asks the wrapper to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// No command was given: print the short usage and fail.
    Usage,
    /// `-h`, `--help` or `help`: the wrapper's help; `help COMMAND`: that command's help.
    Help(Option<Command>),
    /// `-v` or `--version`.
    Version,
    /// Run a command.
    Run(Run),
}

/// The parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// `-m` or `-M` (the last one wins); multiprocess when neither is given.
    pub mode: Mode,
    /// `--exec-path DIR`: look there first, before `BITCOIN_EXEC_PATH`.
    pub exec_path: Option<PathBuf>,
    /// What to do.
    pub action: Action,
}

/// A command line the wrapper cannot make sense of.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// An option before the command that the wrapper does not know.
    #[error("unknown option '{option}'")]
    UnknownOption {
        /// The option as given.
        option: String,
        /// Close option names, best first.
        suggestions: Vec<String>,
    },
    /// An option that takes a value came last.
    #[error("option '{option}' needs a directory")]
    MissingValue {
        /// The option.
        option: String,
    },
    /// A command name that cannot name an executable (contains `/`, or is not UTF-8).
    #[error("invalid command name '{name}'")]
    InvalidCommand {
        /// The name, lossily converted to text.
        name: String,
    },
    /// More than one argument after `help`.
    #[error("unexpected argument '{arg}' after 'help {command}'")]
    UnexpectedArgument {
        /// The command whose help was asked for.
        command: String,
        /// The extra argument.
        arg: String,
    },
}

/// The wrapper's long options, the candidates for did-you-mean.
const LONG_OPTIONS: [&str; 5] = [
    "--multiprocess",
    "--monolithic",
    "--exec-path",
    "--version",
    "--help",
];

/// Parses the arguments after the program name.
pub fn parse<I>(args: I) -> Result<Invocation, ParseError>
where
    I: IntoIterator<Item = OsString>,
{
    let mut args = args.into_iter();
    let mut mode = Mode::default();
    let mut exec_path = None;
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            return Err(invalid_command(&arg));
        };
        let action = match text {
            "" => continue,
            "-m" | "--multiprocess" => {
                mode = Mode::Multiprocess;
                continue;
            }
            "-M" | "--monolithic" => {
                mode = Mode::Monolithic;
                continue;
            }
            "--exec-path" => {
                let dir = args.next().ok_or_else(|| ParseError::MissingValue {
                    option: text.to_string(),
                })?;
                exec_path = Some(PathBuf::from(dir));
                continue;
            }
            "-v" | "--version" => Action::Version,
            "-h" | "--help" => Action::Help(None),
            "help" => Action::Help(parse_help_topic(args)?),
            _ => {
                if let Some(dir) = text.strip_prefix("--exec-path=") {
                    exec_path = Some(PathBuf::from(dir));
                    continue;
                }
                if text.starts_with('-') {
                    return Err(unknown_option(text));
                }
                Action::Run(Run {
                    command: command(text)?,
                    args: args.collect(),
                })
            }
        };
        return Ok(Invocation {
            mode,
            exec_path,
            action,
        });
    }
    Ok(Invocation {
        mode,
        exec_path,
        action: Action::Usage,
    })
}

/// `help [COMMAND]`: the optional command; `help help` is the wrapper's own help.
fn parse_help_topic(
    mut args: impl Iterator<Item = OsString>,
) -> Result<Option<Command>, ParseError> {
    let Some(topic) = args.next() else {
        return Ok(None);
    };
    let Some(name) = topic.to_str() else {
        return Err(invalid_command(&topic));
    };
    let topic = match name {
        "help" | "-h" | "--help" => None,
        name => Some(command(name)?),
    };
    if let Some(extra) = args.next() {
        return Err(ParseError::UnexpectedArgument {
            command: name.to_string(),
            arg: extra.to_string_lossy().into_owned(),
        });
    }
    Ok(topic)
}

/// The command called `name`, refusing names that could not be a `bitcoin-NAME` file.
fn command(name: &str) -> Result<Command, ParseError> {
    if name.is_empty() || name.starts_with('-') || name.contains('/') || name.contains('\0') {
        return Err(ParseError::InvalidCommand {
            name: name.to_string(),
        });
    }
    Ok(Command::from_name(name))
}

fn invalid_command(arg: &std::ffi::OsStr) -> ParseError {
    ParseError::InvalidCommand {
        name: arg.to_string_lossy().into_owned(),
    }
}

fn unknown_option(option: &str) -> ParseError {
    let name = option.split_once('=').map_or(option, |(name, _)| name);
    ParseError::UnknownOption {
        option: option.to_string(),
        suggestions: suggest::did_you_mean(name, LONG_OPTIONS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Invocation, ParseError> {
        parse(args.iter().map(OsString::from))
    }

    fn run(args: &[&str]) -> (Mode, Run) {
        let inv = parse_strs(args).expect("parses");
        match inv.action {
            Action::Run(run) => (inv.mode, run),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn built_in_commands_and_default_mode() {
        for (name, command) in [
            ("node", Command::Node),
            ("gui", Command::Gui),
            ("wallet", Command::Wallet),
            ("rpc", Command::Rpc),
        ] {
            let (mode, run) = run(&[name]);
            assert_eq!(mode, Mode::Multiprocess);
            assert_eq!(run.command, command);
            assert_eq!(run.command.name(), name);
            assert!(run.args.is_empty());
        }
    }

    #[test]
    fn mode_options_last_one_wins() {
        assert_eq!(run(&["-M", "node"]).0, Mode::Monolithic);
        assert_eq!(run(&["--monolithic", "node"]).0, Mode::Monolithic);
        assert_eq!(run(&["-M", "-m", "node"]).0, Mode::Multiprocess);
        assert_eq!(run(&["--multiprocess", "-M", "node"]).0, Mode::Monolithic);
    }

    #[test]
    fn arguments_after_the_command_pass_through_untouched() {
        let args = [
            "-M",
            "--help",
            "-v",
            "help",
            "with space",
            "",
            "--exec-path=x",
        ];
        let mut line = vec!["node"];
        line.extend(args);
        let (mode, run) = run(&line);
        assert_eq!(mode, Mode::Multiprocess);
        assert_eq!(run.args, os(&args));
    }

    #[test]
    fn non_utf8_arguments_after_the_command_pass_through() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![0xff, b'x']);
        let inv = parse([OsString::from("rpc"), odd.clone()]).expect("parses");
        let Action::Run(run) = inv.action else {
            panic!("expected a run");
        };
        assert_eq!(run.args, vec![odd]);
    }

    #[test]
    fn exec_path_both_spellings() {
        let inv = parse_strs(&["--exec-path", "/a", "node"]).expect("parses");
        assert_eq!(inv.exec_path, Some(PathBuf::from("/a")));
        let inv = parse_strs(&["--exec-path=/b", "node"]).expect("parses");
        assert_eq!(inv.exec_path, Some(PathBuf::from("/b")));
        assert!(matches!(
            parse_strs(&["--exec-path"]),
            Err(ParseError::MissingValue { .. })
        ));
    }

    #[test]
    fn help_version_and_usage() {
        for help in ["-h", "--help", "help"] {
            assert_eq!(
                parse_strs(&[help]).expect("parses").action,
                Action::Help(None)
            );
        }
        assert_eq!(
            parse_strs(&["help", "help"]).expect("parses").action,
            Action::Help(None)
        );
        assert_eq!(
            parse_strs(&["help", "node"]).expect("parses").action,
            Action::Help(Some(Command::Node))
        );
        assert_eq!(
            parse_strs(&["help", "foo"]).expect("parses").action,
            Action::Help(Some(Command::External("foo".into())))
        );
        assert!(matches!(
            parse_strs(&["help", "node", "x"]),
            Err(ParseError::UnexpectedArgument { .. })
        ));
        for version in ["-v", "--version"] {
            assert_eq!(
                parse_strs(&[version]).expect("parses").action,
                Action::Version
            );
        }
        assert_eq!(parse_strs(&[]).expect("parses").action, Action::Usage);
        assert_eq!(parse_strs(&["-M"]).expect("parses").action, Action::Usage);
        assert_eq!(parse_strs(&[""]).expect("parses").action, Action::Usage);
    }

    #[test]
    fn external_commands() {
        let (_, run) = run(&["foo", "-x"]);
        assert_eq!(run.command, Command::External("foo".into()));
        assert_eq!(run.command.help_flag(), "--help");
        assert_eq!(Command::Node.help_flag(), "-help");
        assert_eq!(run.args, os(&["-x"]));
    }

    #[test]
    fn command_names_that_cannot_be_files_are_refused() {
        for bad in ["../foo", "a/b"] {
            assert!(matches!(
                parse_strs(&[bad]),
                Err(ParseError::InvalidCommand { .. })
            ));
        }
    }

    #[test]
    fn unknown_options_suggest_close_ones() {
        let Err(ParseError::UnknownOption {
            option,
            suggestions,
        }) = parse_strs(&["--verison", "node"])
        else {
            panic!("expected an unknown option");
        };
        assert_eq!(option, "--verison");
        assert_eq!(suggestions, ["--version"]);
        let Err(ParseError::UnknownOption { suggestions, .. }) = parse_strs(&["-multiprocess"])
        else {
            panic!("expected an unknown option");
        };
        assert_eq!(suggestions, ["--multiprocess"]);
        let Err(ParseError::UnknownOption { suggestions, .. }) = parse_strs(&["-regtest"]) else {
            panic!("expected an unknown option");
        };
        assert!(suggestions.is_empty());
    }
}
