//! The merged settings a binary reads: command line over `[chain]` section over the top of
//! `bitcoin.conf`, and [`load`], the startup sequence every binary runs first.

use std::path::{Path, PathBuf};

use crate::args::{self, ArgsError, CommandLine, Occurrence, OptionSpec, Setting};
use crate::chain::Chain;
use crate::config::{self, Entry};

/// Everything a binary was configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    command_line: Vec<Occurrence>,
    config: Vec<Entry>,
    chain: Chain,
    datadir: PathBuf,
    datadir_given: bool,
    config_file: Option<PathBuf>,
    positional: Vec<String>,
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Loaded {
    /// Print this help text and exit 0.
    Help(String),
    /// Print the version and exit 0.
    Version,
    /// Run with these settings.
    Run(Settings),
}

fn default_datadir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".bitcoin")
}

/// Which chains `occurrences` select (`-chain=`, `-regtest`, ...), in order.
fn chains_selected<'a>(
    occurrences: impl Iterator<Item = &'a Occurrence>,
) -> Result<Vec<Chain>, ArgsError> {
    let mut chains = Vec::new();
    for o in occurrences {
        let Setting::Value(value) = &o.setting else {
            continue;
        };
        let chain = match o.name.as_str() {
            "chain" => Some(Chain::from_name(value).ok_or_else(|| ArgsError::BadValue {
                option: "chain".into(),
                value: value.clone(),
                reason: "expected main, test, testnet4, signet or regtest".into(),
            })?),
            "regtest" | "testnet" | "testnet4" | "signet" if value.is_empty() || value == "1" => {
                Chain::from_name(if o.name == "testnet" {
                    "test"
                } else {
                    o.name.as_str()
                })
            }
            "regtest" | "testnet" | "testnet4" | "signet" if value == "0" => None,
            "regtest" | "testnet" | "testnet4" | "signet" => {
                return Err(ArgsError::BadValue {
                    option: o.name.clone(),
                    value: value.clone(),
                    reason: "expected 0 or 1".into(),
                })
            }
            _ => None,
        };
        if let Some(chain) = chain {
            if !chains.contains(&chain) {
                chains.push(chain);
            }
        }
    }
    Ok(chains)
}

/// The last non-empty `-datadir` of a command line.
fn given_datadir(command_line: &[Occurrence]) -> Option<PathBuf> {
    command_line
        .iter()
        .rev()
        .find(|o| o.name == "datadir")
        .and_then(|o| match &o.setting {
            Setting::Value(v) if !v.is_empty() => Some(PathBuf::from(v)),
            _ => None,
        })
}

fn single_chain(chains: Vec<Chain>) -> Result<Option<Chain>, ArgsError> {
    match chains.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(ArgsError::TwoNetworks),
    }
}

/// Parses `args` (without the program name) against `specs`, finds the data directory, reads
/// the configuration file and picks the chain. Fails with one clear error before anything is
/// created or written.
pub fn load(
    program: &str,
    usage: &str,
    specs: &[OptionSpec],
    args: &[String],
    positional_ok: bool,
) -> Result<Loaded, ArgsError> {
    let (command_line, positional) =
        match args::parse_command_line(program, specs, args, positional_ok)? {
            CommandLine::Help => return Ok(Loaded::Help(args::help_text(usage, specs))),
            CommandLine::Version => return Ok(Loaded::Version),
            CommandLine::Options {
                options,
                positional,
            } => (options, positional),
        };
    let given = given_datadir(&command_line);
    let datadir_given = given.is_some();
    let datadir = given.unwrap_or_else(default_datadir);
    if datadir_given && !datadir.is_dir() {
        return Err(ArgsError::NoDataDir(datadir.display().to_string()));
    }
    let cmdline_chain = single_chain(chains_selected(command_line.iter())?)?;
    let config_file = config_path(&command_line, &datadir)?;
    let mut config = match &config_file {
        Some(path) => config::read(path, &datadir, None, specs)?,
        None => Vec::new(),
    };
    let top_chain = single_chain(chains_selected(
        config
            .iter()
            .filter(|e| e.section.is_none())
            .map(|e| &e.occurrence),
    )?)?;
    let chain = cmdline_chain.or(top_chain).unwrap_or(Chain::Main);
    if let Some(path) = &config_file {
        config = config::read(path, &datadir, Some(chain), specs)?;
    }
    Ok(Loaded::Run(Settings {
        command_line,
        config,
        chain,
        datadir,
        datadir_given,
        config_file,
        positional,
    }))
}

/// The configuration file to read: `-conf` (must exist; relative to the data directory), or
/// `bitcoin.conf` in the data directory if present; `-noconf` reads none.
fn config_path(command_line: &[Occurrence], datadir: &Path) -> Result<Option<PathBuf>, ArgsError> {
    match command_line
        .iter()
        .rev()
        .find(|o| o.name == "conf")
        .map(|o| &o.setting)
    {
        Some(Setting::Negated) => Ok(None),
        Some(Setting::Value(v)) if !v.is_empty() => {
            let path = datadir.join(v);
            if !path.is_file() {
                return Err(ArgsError::ConfigRead {
                    path: path.display().to_string(),
                    reason: "specified config file could not be opened".into(),
                });
            }
            Ok(Some(path))
        }
        _ => {
            let path = datadir.join("bitcoin.conf");
            Ok(path.exists().then_some(path))
        }
    }
}

impl Settings {
    /// Settings from a command line alone (no data directory checks, no config file): for
    /// tests and for reconfiguring a spawned child from its parent's arguments.
    pub fn from_args(specs: &[OptionSpec], args: &[String]) -> Result<Settings, ArgsError> {
        let (command_line, positional) =
            match args::parse_command_line("child", specs, args, false)? {
                CommandLine::Options {
                    options,
                    positional,
                } => (options, positional),
                _ => (Vec::new(), Vec::new()),
            };
        let chain = single_chain(chains_selected(command_line.iter())?)?.unwrap_or(Chain::Main);
        let given = given_datadir(&command_line);
        Ok(Settings {
            command_line,
            config: Vec::new(),
            chain,
            datadir_given: given.is_some(),
            datadir: given.unwrap_or_else(default_datadir),
            config_file: None,
            positional,
        })
    }

    /// The selected chain.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// The data directory.
    pub fn datadir(&self) -> &Path {
        &self.datadir
    }

    /// `<datadir>/<chain subdirectory>`.
    pub fn net_dir(&self) -> PathBuf {
        self.datadir.join(self.chain.subdir())
    }

    /// The configuration file read, if any.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// Positional arguments (for binaries that take them).
    pub fn positional(&self) -> &[String] {
        &self.positional
    }

    /// Creates the data directory (when it is the default one) and the network directory.
    pub fn create_dirs(&self) -> Result<PathBuf, ArgsError> {
        if !self.datadir.is_dir() && self.datadir_given {
            return Err(ArgsError::NoDataDir(self.datadir.display().to_string()));
        }
        let net_dir = self.net_dir();
        std::fs::create_dir_all(&net_dir).map_err(|e| ArgsError::DataDir {
            path: net_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(net_dir)
    }

    /// The occurrences of `name` in the highest-precedence layer that has any: the command
    /// line, then this chain's config section, then the config's top level (which, as in Core,
    /// applies to every chain).
    fn layer(&self, name: &str) -> Vec<&Setting> {
        let from_cli: Vec<&Setting> = self
            .command_line
            .iter()
            .filter(|o| o.name == name)
            .map(|o| &o.setting)
            .collect();
        if !from_cli.is_empty() {
            return from_cli;
        }
        let from_section: Vec<&Setting> = self
            .config
            .iter()
            .filter(|e| e.section == Some(self.chain) && e.occurrence.name == name)
            .map(|e| &e.occurrence.setting)
            .collect();
        if !from_section.is_empty() {
            return from_section;
        }
        self.config
            .iter()
            .filter(|e| e.section.is_none() && e.occurrence.name == name)
            .map(|e| &e.occurrence.setting)
            .collect()
    }

    /// Whether `name` was given anywhere.
    pub fn is_set(&self, name: &str) -> bool {
        !self.layer(name).is_empty()
    }

    /// The last value of `name` (`None` if unset or negated).
    pub fn get(&self, name: &str) -> Option<&str> {
        match self.layer(name).last() {
            Some(Setting::Value(v)) => Some(v.as_str()),
            _ => None,
        }
    }

    /// Whether `name` was negated last (`-noname`).
    pub fn is_negated(&self, name: &str) -> bool {
        matches!(self.layer(name).last(), Some(Setting::Negated))
    }

    /// A flag's value (`-x`, `-x=1` on; `-x=0`, `-nox` off), or `default` if unset.
    pub fn get_bool(&self, name: &str, default: bool) -> Result<bool, ArgsError> {
        match self.layer(name).last() {
            None => Ok(default),
            Some(Setting::Negated) => Ok(false),
            Some(Setting::Value(v)) => match v.as_str() {
                "" | "1" => Ok(true),
                "0" => Ok(false),
                other => Err(ArgsError::BadValue {
                    option: name.into(),
                    value: other.into(),
                    reason: "expected 0 or 1".into(),
                }),
            },
        }
    }

    /// Every value of a repeatable option (`-nox` clears what came before).
    pub fn get_list(&self, name: &str) -> Vec<String> {
        let mut values = Vec::new();
        for setting in self.layer(name) {
            match setting {
                Setting::Negated => values.clear(),
                Setting::Value(v) => values.push(v.clone()),
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::COMMON_OPTIONS;

    fn load_in(dir: &Path, conf: Option<&str>, args: &[&str]) -> Result<Settings, ArgsError> {
        if let Some(text) = conf {
            std::fs::write(dir.join("bitcoin.conf"), text).expect("write conf");
        }
        let mut all = vec![format!("-datadir={}", dir.display())];
        all.extend(args.iter().map(|s| s.to_string()));
        match load("t", "Usage: t", COMMON_OPTIONS, &all, false)? {
            Loaded::Run(settings) => Ok(settings),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn command_line_overrides_section_overrides_top() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = "regtest=1\ndebuglogfile=top.log\ndebug=net\n[regtest]\ndebuglogfile=reg.log\n[signet]\ndebuglogfile=sig.log\n";
        let s = load_in(dir.path(), Some(conf), &[]).expect("load");
        assert_eq!(s.chain(), Chain::Regtest);
        assert_eq!(s.net_dir(), dir.path().join("regtest"));
        assert_eq!(s.get("debuglogfile"), Some("reg.log"));
        assert_eq!(s.get_list("debug"), ["net"]);
        let s = load_in(
            dir.path(),
            None,
            &["-debuglogfile=cli.log", "-debug=ipc", "-debug=rpc"],
        )
        .expect("load");
        assert_eq!(s.get("debuglogfile"), Some("cli.log"));
        assert_eq!(s.get_list("debug"), ["ipc", "rpc"]);
    }

    #[test]
    fn network_from_command_line_wins_and_two_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = load_in(dir.path(), Some("signet=1\n"), &["-chain=regtest"]).expect("load");
        assert_eq!(
            s.chain(),
            Chain::Regtest,
            "the command line's network wins over the file's"
        );
        let s = load_in(dir.path(), Some(""), &["-testnet4"]).expect("load");
        assert_eq!(s.chain(), Chain::Testnet4);
        assert!(matches!(
            load_in(dir.path(), None, &["-regtest", "-signet"]),
            Err(ArgsError::TwoNetworks)
        ));
        assert!(matches!(
            load_in(dir.path(), Some("regtest=1\nsignet=1\n"), &[]),
            Err(ArgsError::TwoNetworks)
        ));
        assert!(matches!(
            load_in(dir.path(), None, &["-chain=moon"]),
            Err(ArgsError::BadValue { .. })
        ));
    }

    #[test]
    fn missing_datadir_and_config_are_refused() {
        let e = load(
            "t",
            "u",
            COMMON_OPTIONS,
            &["-datadir=/no/such/dir".to_string()],
            false,
        )
        .expect_err("datadir");
        assert_eq!(
            e.to_string(),
            "Specified data directory \"/no/such/dir\" does not exist."
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let e = load_in(dir.path(), None, &["-conf=missing.conf"]).expect_err("conf");
        assert!(
            e.to_string().contains("missing.conf") && e.to_string().contains("could not be opened"),
            "{e}"
        );
        let e = load_in(dir.path(), Some("x=1\n"), &[]).expect_err("bad conf");
        assert!(
            e.to_string()
                .contains("bitcoin.conf:1: Invalid configuration value x"),
            "{e}"
        );
        assert!(
            load_in(dir.path(), None, &["-noconf"]).is_ok(),
            "-noconf skips the broken file"
        );
    }

    #[test]
    fn flags_and_negation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s =
            load_in(dir.path(), Some("printtoconsole=1\n"), &["-nodebuglogfile"]).expect("load");
        assert!(s.get_bool("printtoconsole", false).expect("bool"));
        assert!(s.is_negated("debuglogfile"));
        assert_eq!(s.get("debuglogfile"), None);
        let s = load_in(dir.path(), None, &["-printtoconsole=yes"]).expect("load");
        assert!(s.get_bool("printtoconsole", false).is_err());
    }
}
