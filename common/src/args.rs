//! Bitcoin Core's command-line syntax, checked against the options a binary declares.
//!
//! `-name`, `-name=value`, `-noname` (and `-noname=0`), `--name` as a synonym of `-name`;
//! `-?`, `-h`, `-help` ask for help, `-version` for the version. Options may repeat; what a
//! repetition means depends on the option's [`OptionKind`].

use std::fmt::Write as _;

/// How an option takes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// On or off: `-x`, `-x=1`, `-x=0`, `-nox`.
    Flag,
    /// One value; the last one given wins.
    Value,
    /// A list: every occurrence adds a value; `-nox` clears the list.
    Multi,
}

/// One option a binary accepts.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// Name without the leading dash.
    pub name: &'static str,
    /// How it takes values.
    pub kind: OptionKind,
    /// Placeholder shown in help (`<dir>`), empty for flags.
    pub value_name: &'static str,
    /// One-paragraph help text.
    pub help: &'static str,
    /// Help section heading ("Options", "Connection options", ...).
    pub category: &'static str,
    /// Whether the option may only appear on the command line (not in `bitcoin.conf`).
    pub command_line_only: bool,
}

impl OptionSpec {
    /// A flag.
    pub const fn flag(name: &'static str, category: &'static str, help: &'static str) -> Self {
        OptionSpec {
            name,
            kind: OptionKind::Flag,
            value_name: "",
            help,
            category,
            command_line_only: false,
        }
    }

    /// A single-valued option.
    pub const fn value(
        name: &'static str,
        value_name: &'static str,
        category: &'static str,
        help: &'static str,
    ) -> Self {
        OptionSpec {
            name,
            kind: OptionKind::Value,
            value_name,
            help,
            category,
            command_line_only: false,
        }
    }

    /// A repeatable option.
    pub const fn multi(
        name: &'static str,
        value_name: &'static str,
        category: &'static str,
        help: &'static str,
    ) -> Self {
        OptionSpec {
            name,
            kind: OptionKind::Multi,
            value_name,
            help,
            category,
            command_line_only: false,
        }
    }

    /// The same option, accepted on the command line only.
    pub const fn command_line_only(mut self) -> Self {
        self.command_line_only = true;
        self
    }
}

/// Heading of the general options.
pub const GENERAL: &str = "Options";
/// Heading of the chain selection options.
pub const CHAIN: &str = "Chain selection options";
/// Heading of the logging options.
pub const LOGGING: &str = "Debugging/Testing options";
/// Heading of the IPC options.
pub const IPC: &str = "IPC interprocess connection options";

/// Heading of the wallet options (Core's `OptionsCategory::WALLET`).
pub const WALLET: &str = "Wallet options";

/// The wallet options: the node accepts them (and passes them to the wallet process it
/// spawns), `bitcoin-wallet` reads them.
pub const WALLET_OPTIONS: &[OptionSpec] = &[
    OptionSpec::flag(
        "disablewallet",
        WALLET,
        "Do not load the wallet and disable wallet RPC calls",
    ),
    OptionSpec::value(
        "fallbackfee",
        "<amt>",
        WALLET,
        "A fee rate (in BTC/kvB) that will be used when fee estimation has insufficient data. 0 to entirely disable the fallbackfee feature. (default: 0.00)",
    ),
    OptionSpec::value(
        "maxtxfee",
        "<amt>",
        WALLET,
        "Maximum total fees (in BTC) to use in a single wallet transaction; setting this too low may abort large transactions (default: 0.10)",
    ),
    OptionSpec::value(
        "txconfirmtarget",
        "<n>",
        WALLET,
        "If paytxfee is not set, include enough fee so transactions begin confirmation on average within n blocks (default: 6)",
    ),
    OptionSpec::multi(
        "wallet",
        "<path>",
        WALLET,
        "Specify wallet path to load at startup. Can be used multiple times to load multiple wallets. Path is to a directory containing wallet data and log files. If the path is not absolute, it is interpreted relative to <walletdir>. This only loads existing wallets and does not create new ones. For backwards compatibility this also accepts names of existing top-level data files in <walletdir>.",
    ),
];

/// Options every binary has: data directory, config file, chain selection, logging.
pub const COMMON_OPTIONS: &[OptionSpec] = &[
    OptionSpec::value("datadir", "<dir>", GENERAL, "Specify data directory (default: ~/.bitcoin)"),
    OptionSpec::value(
        "conf",
        "<file>",
        GENERAL,
        "Specify path to read-only configuration file. Relative paths will be prefixed by datadir location (default: bitcoin.conf)",
    )
    .command_line_only(),
    OptionSpec::multi(
        "includeconf",
        "<file>",
        GENERAL,
        "Specify additional configuration file, relative to the -datadir path (only useable from configuration file, not command line)",
    ),
    OptionSpec::value(
        "chain",
        "<chain>",
        CHAIN,
        "Use the chain <chain> (default: main). Allowed values: main, test, testnet4, signet, regtest",
    ),
    OptionSpec::flag("regtest", CHAIN, "Use the regression test chain. Equivalent to -chain=regtest"),
    OptionSpec::flag("testnet", CHAIN, "Use the testnet3 chain. Equivalent to -chain=test"),
    OptionSpec::flag("testnet4", CHAIN, "Use the testnet4 chain. Equivalent to -chain=testnet4"),
    OptionSpec::flag("signet", CHAIN, "Use the signet chain. Equivalent to -chain=signet"),
    OptionSpec::multi(
        "debug",
        "<category>",
        LOGGING,
        "Output debug and trace logging (default: -nodebug). If <category> is not supplied or is 1 or all, output all debug logging. Categories: ipc, net, rpc, mempool, validation, wallet, gui, http, bench. Can be repeated",
    ),
    OptionSpec::value(
        "debuglogfile",
        "<file>",
        LOGGING,
        "Specify location of debug log file (default: debug.log). Relative paths are prefixed by the network directory; -nodebuglogfile disables logging to a file",
    ),
    OptionSpec::flag(
        "printtoconsole",
        LOGGING,
        "Send trace/debug info to console (default: 1 when no -daemon). The BITCOIN_LOG environment variable, in tracing's filter syntax, overrides -debug",
    ),
];

/// A value given for an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// `-name=value` (or `-name`, value empty).
    Value(String),
    /// `-noname`.
    Negated,
}

/// A bad command line or configuration, in words for the user. Every variant names the
/// option, value, file or line concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArgsError {
    /// An option the binary does not know.
    #[error("Error parsing command line arguments: Invalid parameter -{0}")]
    Unknown(String),
    /// A malformed or out-of-range value.
    #[error("Invalid value for -{option}: '{value}' ({reason})")]
    BadValue {
        /// The option.
        option: String,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A positional argument where none is taken.
    #[error(
        "Command line contains unexpected token '{token}', see {program} -h for a list of options."
    )]
    Unexpected {
        /// The token.
        token: String,
        /// The binary's name.
        program: String,
    },
    /// More than one network selected.
    #[error("Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.")]
    TwoNetworks,
    /// `-datadir` names a missing directory.
    #[error("Specified data directory \"{0}\" does not exist.")]
    NoDataDir(String),
    /// The data directory could not be created or used.
    #[error("Cannot use data directory \"{path}\": {reason}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        reason: String,
    },
    /// A configuration file could not be read.
    #[error("Error reading configuration file: {path}: {reason}")]
    ConfigRead {
        /// The file.
        path: String,
        /// The cause.
        reason: String,
    },
    /// A line of a configuration file is wrong.
    #[error("Error reading configuration file: {path}:{line}: {reason}")]
    ConfigLine {
        /// The file.
        path: String,
        /// The line number (from 1).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// One option occurrence from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Option name.
    pub name: String,
    /// Its value.
    pub setting: Setting,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum CommandLine {
    /// `-?`, `-h` or `-help`.
    Help,
    /// `-version`.
    Version,
    /// Options (in order) and positional arguments.
    Options {
        /// The options given.
        options: Vec<Occurrence>,
        /// Arguments that are not options (only for binaries that take them).
        positional: Vec<String>,
    },
}

/// Finds the spec of `name`.
pub fn find<'a>(specs: &'a [OptionSpec], name: &str) -> Option<&'a OptionSpec> {
    specs.iter().find(|s| s.name == name)
}

/// Splits `[no]name[=value]` (the text after the dashes) into the name and its setting,
/// checked against `specs`.
pub fn interpret(specs: &[OptionSpec], body: &str) -> Result<Occurrence, ArgsError> {
    let (name, value) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    if find(specs, name).is_none() {
        if let Some(base) = name.strip_prefix("no") {
            if let Some(spec) = find(specs, base) {
                // -nofoo means foo off; -nofoo=0 means foo on (Core accepts both).
                let setting = match value {
                    None | Some("1") | Some("") => Setting::Negated,
                    Some("0") => Setting::Value("1".into()),
                    Some(other) => {
                        return Err(ArgsError::BadValue {
                            option: format!("no{base}"),
                            value: other.into(),
                            reason: "a negated option takes no value".into(),
                        })
                    }
                };
                return Ok(Occurrence {
                    name: spec.name.to_string(),
                    setting,
                });
            }
        }
        return Err(ArgsError::Unknown(name.to_string()));
    }
    Ok(Occurrence {
        name: name.to_string(),
        setting: Setting::Value(value.unwrap_or("").to_string()),
    })
}

/// Parses a command line (without the program name). Binaries that take positional
/// arguments (like `bitcoin-cli`) set `positional_ok`; for the others a stray token is an
/// error.
pub fn parse_command_line(
    program: &str,
    specs: &[OptionSpec],
    args: &[String],
    positional_ok: bool,
) -> Result<CommandLine, ArgsError> {
    let mut options = Vec::new();
    let mut positional = Vec::new();
    for arg in args {
        let body = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'));
        let body = match body {
            Some(body) if !body.is_empty() && positional.is_empty() => body,
            _ if positional_ok => {
                positional.push(arg.clone());
                continue;
            }
            _ => {
                return Err(ArgsError::Unexpected {
                    token: arg.clone(),
                    program: program.into(),
                })
            }
        };
        match body {
            "?" | "h" | "help" => return Ok(CommandLine::Help),
            "version" => return Ok(CommandLine::Version),
            _ => {}
        }
        let occurrence = interpret(specs, body)?;
        if occurrence.name == "includeconf" {
            return Err(ArgsError::BadValue {
                option: "includeconf".into(),
                value: arg.clone(),
                reason: "-includeconf cannot be used from commandline; it can only be used from a configuration file".into(),
            });
        }
        options.push(occurrence);
    }
    Ok(CommandLine::Options {
        options,
        positional,
    })
}

/// Help text listing every option in `specs`, grouped by category, after `usage`.
pub fn help_text(usage: &str, specs: &[OptionSpec]) -> String {
    let mut out = String::from(usage.trim_end());
    out.push_str("\n\nOptions:\n\n  -?, -h, -help\n       Print this help message and exit\n\n  -version\n       Print version and exit\n");
    let mut categories: Vec<&str> = Vec::new();
    for spec in specs {
        if !categories.contains(&spec.category) {
            categories.push(spec.category);
        }
    }
    for category in categories {
        if category != GENERAL {
            let _ = write!(out, "\n{category}:\n");
        }
        for spec in specs.iter().filter(|s| s.category == category) {
            let value = if spec.value_name.is_empty() {
                String::new()
            } else {
                format!("={}", spec.value_name)
            };
            let _ = write!(out, "\n  -{}{}\n", spec.name, value);
            for line in wrap(spec.help, 72) {
                let _ = writeln!(out, "       {line}");
            }
        }
    }
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// If the process was spawned as `<exe> -ipcfd <N>` (exactly Bitcoin Core's form, see
/// `ipc::spawn`), the fd; `Some(Err)` when N is not a file descriptor number.
pub fn ipcfd_arg(args: &[String]) -> Option<Result<i32, ArgsError>> {
    match args {
        [flag, fd] if flag == "-ipcfd" => Some(
            fd.parse::<i32>()
                .ok()
                .filter(|fd| *fd >= 0)
                .ok_or_else(|| ArgsError::BadValue {
                    option: "ipcfd".into(),
                    value: fd.clone(),
                    reason: "expected a file descriptor number".into(),
                }),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn options(list: &[&str]) -> Vec<Occurrence> {
        match parse_command_line("t", COMMON_OPTIONS, &args(list), false).expect("parses") {
            CommandLine::Options { options, .. } => options,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn core_syntax() {
        let parsed = options(&[
            "-regtest",
            "--datadir=/x",
            "-nodebuglogfile",
            "-debug=ipc",
            "-debug",
        ]);
        assert_eq!(
            parsed[0],
            Occurrence {
                name: "regtest".into(),
                setting: Setting::Value("".into())
            }
        );
        assert_eq!(parsed[1].setting, Setting::Value("/x".into()));
        assert_eq!(
            parsed[2],
            Occurrence {
                name: "debuglogfile".into(),
                setting: Setting::Negated
            }
        );
        assert_eq!(parsed[3].setting, Setting::Value("ipc".into()));
        assert_eq!(
            options(&["-noprinttoconsole=0"])[0].setting,
            Setting::Value("1".into())
        );
    }

    #[test]
    fn help_and_version_win() {
        for h in ["-?", "-h", "-help", "--help"] {
            assert!(matches!(
                parse_command_line("t", COMMON_OPTIONS, &args(&[h]), false),
                Ok(CommandLine::Help)
            ));
        }
        assert!(matches!(
            parse_command_line("t", COMMON_OPTIONS, &args(&["-version"]), false),
            Ok(CommandLine::Version)
        ));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let e = parse_command_line("t", COMMON_OPTIONS, &args(&["-bogus"]), false)
            .expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "Error parsing command line arguments: Invalid parameter -bogus"
        );
        let e =
            parse_command_line("t", COMMON_OPTIONS, &args(&["stray"]), false).expect_err("stray");
        assert!(e.to_string().contains("unexpected token 'stray'"));
        let e = parse_command_line("t", COMMON_OPTIONS, &args(&["-includeconf=x"]), false)
            .expect_err("inc");
        assert!(e
            .to_string()
            .contains("only be used from a configuration file"));
        let e = parse_command_line("t", COMMON_OPTIONS, &args(&["-noregtest=5"]), false)
            .expect_err("neg");
        assert!(e.to_string().contains("-noregtest"));
    }

    #[test]
    fn positional_arguments_for_clients() {
        let Ok(CommandLine::Options {
            options,
            positional,
        }) = parse_command_line(
            "cli",
            COMMON_OPTIONS,
            &args(&["-regtest", "getblock", "-1"]),
            true,
        )
        else {
            panic!("parse")
        };
        assert_eq!(options.len(), 1);
        assert_eq!(positional, ["getblock", "-1"]);
    }

    #[test]
    fn help_lists_every_option() {
        let text = help_text("Usage: t [options]", COMMON_OPTIONS);
        for spec in COMMON_OPTIONS {
            assert!(text.contains(&format!("  -{}", spec.name)), "{}", spec.name);
        }
    }
}
