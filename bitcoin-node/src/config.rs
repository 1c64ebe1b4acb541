//! Command-line parsing in Bitcoin Core's style (`-name`, `-name=value`, `-noname`,
//! `--name`), for the options `bitcoin-node` understands so far.

use std::path::PathBuf;

/// The networks a node can run on, with their data subdirectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// Mainnet (no subdirectory).
    Main,
    /// testnet3.
    Test,
    /// testnet4.
    Testnet4,
    /// Signet.
    Signet,
    /// Regression test network.
    Regtest,
}

impl Network {
    fn from_name(name: &str) -> Option<Network> {
        Some(match name {
            "main" => Network::Main,
            "test" => Network::Test,
            "testnet4" => Network::Testnet4,
            "signet" => Network::Signet,
            "regtest" => Network::Regtest,
            _ => return None,
        })
    }

    /// The network's subdirectory of the data directory (empty for mainnet).
    pub fn subdir(self) -> &'static str {
        match self {
            Network::Main => "",
            Network::Test => "testnet3",
            Network::Testnet4 => "testnet4",
            Network::Signet => "signet",
            Network::Regtest => "regtest",
        }
    }
}

/// What to do, as decided by the command line.
#[derive(Debug)]
pub enum Command {
    /// Print help and exit.
    Help,
    /// Print the version and exit.
    Version,
    /// Serve `Init` on an inherited socketpair fd (spawned by another process).
    ServeFd(i32),
    /// Run the node.
    Run(Config),
}

/// The node's settings.
#[derive(Debug)]
pub struct Config {
    /// `-datadir`.
    pub datadir: PathBuf,
    /// Whether `-datadir` was given (the default directory is created when missing; a given
    /// one must exist, as in Core).
    pub datadir_given: bool,
    /// The chosen network.
    pub network: Network,
    /// `-ipcbind` addresses (`unix` or `unix:<path>`).
    pub ipcbind: Vec<String>,
    /// `-printtoconsole`.
    pub print_to_console: bool,
    /// `-debug` categories.
    pub debug: Vec<String>,
}

impl Config {
    /// `<datadir>/<network subdir>`.
    pub fn net_dir(&self) -> PathBuf {
        self.datadir.join(self.network.subdir())
    }
}

/// A bad command line, described for the user.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArgsError {
    /// An option this binary does not know.
    #[error("Invalid parameter {0}")]
    Unknown(String),
    /// An option with a missing or malformed value.
    #[error("Invalid value for {option}: '{value}' ({reason})")]
    BadValue {
        /// The option.
        option: String,
        /// The value given.
        value: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// More than one network selected.
    #[error("Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.")]
    TwoNetworks,
    /// A positional argument where none is accepted.
    #[error(
        "Command line contains unexpected token '{0}', see bitcoin-node -h for a list of options."
    )]
    Unexpected(String),
}

/// The help text listing every option.
pub const HELP: &str = "\
Usage: bitcoin-node [options]

Start the Bitcoin node process (multiprocess build).

Options:
  -?, -h, -help        Print this help message and exit
  -version             Print version and exit
  -datadir=<dir>       Specify data directory (default: ~/.bitcoin)
  -chain=<chain>       Use the chain <chain>: main, test, testnet4, signet, regtest
  -regtest             Use the regression test chain (same as -chain=regtest)
  -testnet4            Use the testnet4 chain (same as -chain=testnet4)
  -signet              Use the signet chain (same as -chain=signet)
  -ipcbind=<address>   Listen for IPC connections on <address>: 'unix' for
                       <datadir>/<chain>/node.sock, or 'unix:<path>' (relative to
                       the network directory, or absolute). Can be repeated.
  -ipcfd=<n>           Serve IPC on the inherited socket file descriptor <n>
                       (used when another process spawns this one)
  -printtoconsole      Send log output to the console (default: debug.log only)
  -debug=<category>    Log debug messages of <category> (ipc, all)
";

fn flag(option: &str, value: Option<&str>, negated: bool) -> Result<bool, ArgsError> {
    let on = match value {
        None | Some("1") | Some("") => true,
        Some("0") => false,
        Some(other) => {
            return Err(ArgsError::BadValue {
                option: format!("-{option}"),
                value: other.into(),
                reason: "expected 0 or 1",
            })
        }
    };
    Ok(on != negated)
}

fn required<'a>(option: &str, value: Option<&'a str>) -> Result<&'a str, ArgsError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ArgsError::BadValue {
            option: format!("-{option}"),
            value: String::new(),
            reason: "a value is required",
        }),
    }
}

fn default_datadir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".bitcoin")
}

/// Parses `args` (without the program name).
#[allow(clippy::too_many_lines)]
pub fn parse(args: &[String]) -> Result<Command, ArgsError> {
    let mut datadir = None;
    let mut networks = Vec::new();
    let mut ipcbind = Vec::new();
    let mut ipcfd = None;
    let mut print_to_console = false;
    let mut debug = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(ArgsError::Unexpected(arg.clone()));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let (name, negated) = match name.strip_prefix("no") {
            Some(rest) if !rest.is_empty() && name != "nothing" => (rest, true),
            _ => (name, false),
        };
        match name {
            "?" | "h" | "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "datadir" => datadir = Some(PathBuf::from(required(name, value)?)),
            "chain" => {
                let chain = required(name, value)?;
                let net = Network::from_name(chain).ok_or_else(|| ArgsError::BadValue {
                    option: "-chain".into(),
                    value: chain.into(),
                    reason: "expected main, test, testnet4, signet or regtest",
                })?;
                networks.push(net);
            }
            "regtest" | "testnet4" | "signet" | "testnet" => {
                if flag(name, value, negated)? {
                    let net = Network::from_name(if name == "testnet" { "test" } else { name });
                    networks.extend(net);
                }
            }
            "ipcbind" if !negated => ipcbind.push(required(name, value)?.to_string()),
            "ipcbind" => ipcbind.clear(),
            "ipcfd" => {
                // Core spawns children as `-ipcfd N`; `-ipcfd=N` is accepted too.
                let text = match value {
                    Some(v) => v.to_string(),
                    None => iter.next().cloned().unwrap_or_default(),
                };
                let fd = text.parse::<i32>().ok().filter(|fd| *fd >= 0);
                ipcfd = Some(fd.ok_or_else(|| ArgsError::BadValue {
                    option: "-ipcfd".into(),
                    value: text.clone(),
                    reason: "expected a file descriptor number",
                })?);
            }
            "printtoconsole" => print_to_console = flag(name, value, negated)?,
            "debug" if !negated => debug.push(value.unwrap_or("1").to_string()),
            "debug" => debug.clear(),
            _ => return Err(ArgsError::Unknown(format!("-{name}"))),
        }
    }
    networks.dedup();
    if networks.len() > 1 {
        return Err(ArgsError::TwoNetworks);
    }
    if let Some(fd) = ipcfd {
        return Ok(Command::ServeFd(fd));
    }
    Ok(Command::Run(Config {
        datadir_given: datadir.is_some(),
        datadir: datadir.unwrap_or_else(default_datadir),
        network: networks.first().copied().unwrap_or(Network::Main),
        ipcbind,
        print_to_console,
        debug,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_core_style_options() {
        let Ok(Command::Run(config)) = parse(&args(&[
            "-regtest",
            "--datadir=/tmp/x",
            "-ipcbind=unix",
            "-ipcbind=unix:a.sock",
        ])) else {
            panic!("expected a run command")
        };
        assert_eq!(config.network, Network::Regtest);
        assert_eq!(config.datadir, PathBuf::from("/tmp/x"));
        assert_eq!(config.ipcbind, ["unix", "unix:a.sock"]);
        assert_eq!(config.net_dir(), PathBuf::from("/tmp/x/regtest"));
    }

    #[test]
    fn ipcfd_takes_a_separate_argument_as_core_spawns_it() {
        assert!(matches!(
            parse(&args(&["-ipcfd", "7"])),
            Ok(Command::ServeFd(7))
        ));
        assert!(matches!(
            parse(&args(&["-ipcfd=9"])),
            Ok(Command::ServeFd(9))
        ));
        assert!(parse(&args(&["-ipcfd", "x"])).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        let err = parse(&args(&["-bogus"])).expect_err("unknown option");
        assert_eq!(err.to_string(), "Invalid parameter -bogus");
        assert!(matches!(
            parse(&args(&["-regtest", "-signet"])),
            Err(ArgsError::TwoNetworks)
        ));
        assert!(matches!(
            parse(&args(&["-chain=moon"])),
            Err(ArgsError::BadValue { .. })
        ));
        assert!(matches!(
            parse(&args(&["stray"])),
            Err(ArgsError::Unexpected(_))
        ));
        assert!(matches!(
            parse(&args(&["-datadir"])),
            Err(ArgsError::BadValue { .. })
        ));
    }
}
