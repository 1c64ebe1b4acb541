//! `bitcoin.conf`: `name=value` lines, `#` comments, `[chain]` sections, `chain.name=value`,
//! `noname=1`, and `includeconf=<file>` (relative to the data directory, one level deep).

use std::path::{Path, PathBuf};

use crate::args::{interpret, ArgsError, Occurrence, OptionSpec};
use crate::chain::Chain;

/// Keys that a `bitcoin.conf` shared by the suite's binaries (and Bitcoin Core's) commonly
/// holds. A binary that does not know one of them ignores it, as Core's binaries ignore the
/// settings meant for the others; any other unknown key is an error naming file and line.
pub const SUITE_KEYS: &[&str] = &[
    "acceptnonstdtxn",
    "addnode",
    "alertnotify",
    "assumevalid",
    "bind",
    "blockfilterindex",
    "blocknotify",
    "blocksdir",
    "blocksonly",
    "coinstatsindex",
    "color",
    "connect",
    "daemon",
    "daemonwait",
    "datacarrier",
    "datacarriersize",
    "dbcache",
    "deprecatedrpc",
    "disablewallet",
    "discover",
    "dns",
    "dnsseed",
    "externalip",
    "fallbackfee",
    "generate",
    "getinfo",
    "ipcbind",
    "ipcconnect",
    "ipcfd",
    "listen",
    "listenonion",
    "loadblock",
    "logips",
    "logsourcelocations",
    "logthreadnames",
    "logtimestamps",
    "maxconnections",
    "maxmempool",
    "maxuploadtarget",
    "mempoolexpiry",
    "minrelaytxfee",
    "named",
    "natpmp",
    "onion",
    "onlynet",
    "par",
    "peerblockfilters",
    "peerbloomfilters",
    "permitbaremultisig",
    "persistmempool",
    "pid",
    "port",
    "proxy",
    "prune",
    "reindex",
    "rest",
    "rpcallowip",
    "rpcauth",
    "rpcbind",
    "rpcclienttimeout",
    "rpcconnect",
    "rpccookiefile",
    "rpccookieperms",
    "rpcid",
    "rpcpassword",
    "rpcport",
    "rpcservertimeout",
    "rpcthreads",
    "rpcuser",
    "rpcwait",
    "rpcwaittimeout",
    "rpcwallet",
    "rpcworkqueue",
    "seednode",
    "server",
    "shrinkdebugfile",
    "shutdownnotify",
    "signetchallenge",
    "startupnotify",
    "stdin",
    "txindex",
    "upnp",
    "v2transport",
    "wallet",
    "walletbroadcast",
    "walletdir",
    "walletnotify",
    "whitebind",
    "whitelist",
    "zmqpubhashblock",
    "zmqpubhashtx",
    "zmqpubrawblock",
    "zmqpubrawtx",
    "zmqpubsequence",
];

/// One setting read from a configuration file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The `[section]` (or `section.` prefix) it belongs to; `None` for the top level.
    pub section: Option<Chain>,
    /// The option and its value.
    pub occurrence: Occurrence,
    /// The file it came from.
    pub file: PathBuf,
    /// Its line number (from 1).
    pub line: usize,
}

fn line_error(path: &Path, line: usize, reason: impl Into<String>) -> ArgsError {
    ArgsError::ConfigLine {
        path: path.display().to_string(),
        line,
        reason: reason.into(),
    }
}

/// Parses the text of one configuration file.
pub fn parse(path: &Path, text: &str, specs: &[OptionSpec]) -> Result<Vec<Entry>, ArgsError> {
    let mut entries = Vec::new();
    let mut section: Option<Chain> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name.strip_suffix(']').ok_or_else(|| {
                line_error(
                    path,
                    number,
                    format!("parse error: '{line}' is not a section header"),
                )
            })?;
            section = Some(Chain::from_name(name.trim()).ok_or_else(|| {
                line_error(path, number, format!("section [{name}] is not recognized (use main, test, testnet4, signet or regtest)"))
            })?);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(line_error(
                path,
                number,
                format!("parse error: '{line}', if you intended to specify a negated option, use no{line}=1 instead"),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        if key.starts_with('-') {
            return Err(line_error(
                path,
                number,
                format!("parse error: '{key}', options in configuration file must be specified without leading hyphen"),
            ));
        }
        let (entry_section, name) = match key.split_once('.') {
            Some((chain, name)) => {
                let chain = Chain::from_name(chain).ok_or_else(|| {
                    line_error(path, number, format!("'{key}': unknown network '{chain}'"))
                })?;
                (Some(chain), name)
            }
            None => (section, key),
        };
        let base = name
            .strip_prefix("no")
            .filter(|b| crate::args::find(specs, b).is_some())
            .unwrap_or(name);
        if crate::args::find(specs, base).is_none()
            && SUITE_KEYS.contains(&base.trim_start_matches("no"))
        {
            continue;
        }
        let occurrence = interpret(specs, &format!("{name}={value}")).map_err(|e| match e {
            ArgsError::Unknown(n) => {
                line_error(path, number, format!("Invalid configuration value {n}"))
            }
            ArgsError::BadValue {
                option,
                value,
                reason,
            } => line_error(
                path,
                number,
                format!("invalid value '{value}' for {option}: {reason}"),
            ),
            other => other,
        })?;
        if crate::args::find(specs, &occurrence.name).is_some_and(|s| s.command_line_only) {
            return Err(line_error(
                path,
                number,
                format!("{} can only be used on the command line", occurrence.name),
            ));
        }
        entries.push(Entry {
            section: entry_section,
            occurrence,
            file: path.to_path_buf(),
            line: number,
        });
    }
    Ok(entries)
}

fn read_file(path: &Path, specs: &[OptionSpec]) -> Result<Vec<Entry>, ArgsError> {
    let text = std::fs::read_to_string(path).map_err(|e| ArgsError::ConfigRead {
        path: path.display().to_string(),
        reason: format!("cannot be opened: {e}"),
    })?;
    parse(path, &text, specs)
}

/// Reads `path` and the files it includes with `includeconf` (relative to `datadir`) that
/// apply to `chain` (top level, or that chain's section). Included files cannot include
/// further files (as in Core); such lines are reported as errors.
pub fn read(
    path: &Path,
    datadir: &Path,
    chain: Option<Chain>,
    specs: &[OptionSpec],
) -> Result<Vec<Entry>, ArgsError> {
    let mut entries = read_file(path, specs)?;
    let includes: Vec<Entry> = entries
        .iter()
        .filter(|e| e.occurrence.name == "includeconf")
        .filter(|e| e.section.is_none() || e.section == chain)
        .cloned()
        .collect();
    for include in includes {
        let crate::args::Setting::Value(file) = &include.occurrence.setting else {
            continue;
        };
        if file.is_empty() {
            return Err(line_error(
                &include.file,
                include.line,
                "includeconf needs a file name",
            ));
        }
        let included = datadir.join(file);
        let more = read_file(&included, specs).map_err(|e| match e {
            ArgsError::ConfigRead { path, reason } => line_error(
                &include.file,
                include.line,
                format!("included file {path} {reason}"),
            ),
            other => other,
        })?;
        if let Some(nested) = more.iter().find(|e| e.occurrence.name == "includeconf") {
            return Err(line_error(
                &nested.file,
                nested.line,
                "includeconf cannot be used in an included file",
            ));
        }
        entries.extend(more);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Setting, COMMON_OPTIONS};

    fn parse_text(text: &str) -> Result<Vec<Entry>, ArgsError> {
        parse(Path::new("bitcoin.conf"), text, COMMON_OPTIONS)
    }

    #[test]
    fn sections_prefixes_and_comments() {
        let entries = parse_text("# comment\ndebug=ipc # trailing\n[regtest]\nprinttoconsole=1\nsignet.debug=net\nnodebuglogfile=1\n")
            .expect("parses");
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].section, None);
        assert_eq!(entries[0].occurrence.setting, Setting::Value("ipc".into()));
        assert_eq!(entries[1].section, Some(Chain::Regtest));
        assert_eq!(entries[2].section, Some(Chain::Signet));
        assert_eq!(entries[3].occurrence.setting, Setting::Negated);
        assert_eq!(entries[3].line, 6);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            (
                "debug=ipc\nbogus=1\n",
                ":2: Invalid configuration value bogus",
            ),
            ("[moon]\n", ":1: section [moon] is not recognized"),
            ("regtest\n", ":1: parse error: 'regtest', if you intended"),
            (
                "-debug=1\n",
                ":1: parse error: '-debug', options in configuration file",
            ),
            (
                "\n\nconf=x\n",
                ":3: conf can only be used on the command line",
            ),
            ("[regtest\n", ":1: parse error"),
        ];
        for (text, wanted) in cases {
            let e = parse_text(text).expect_err(text).to_string();
            assert!(
                e.contains(&format!("bitcoin.conf{wanted}")),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn other_binaries_keys_are_ignored_unknown_ones_refused() {
        let entries =
            parse_text("rpcconnect=127.0.0.1\nwallet=w1\n[regtest]\nnorpcwait=1\ndebug=ipc\n")
                .expect("parses");
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert!(parse_text("walletx=1\n").is_err());
    }

    #[test]
    fn includeconf_is_read_relative_to_datadir() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("bitcoin.conf"),
            "includeconf=extra.conf\n[regtest]\nincludeconf=reg.conf\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("extra.conf"), "debug=ipc\n").expect("write");
        std::fs::write(dir.path().join("reg.conf"), "printtoconsole=1\n").expect("write");
        let main = read(
            &dir.path().join("bitcoin.conf"),
            dir.path(),
            None,
            COMMON_OPTIONS,
        )
        .expect("reads");
        assert!(main.iter().any(|e| e.occurrence.name == "debug"));
        assert!(!main.iter().any(|e| e.occurrence.name == "printtoconsole"));
        let reg = read(
            &dir.path().join("bitcoin.conf"),
            dir.path(),
            Some(Chain::Regtest),
            COMMON_OPTIONS,
        )
        .expect("reads");
        assert!(reg.iter().any(|e| e.occurrence.name == "printtoconsole"));
        std::fs::write(dir.path().join("extra.conf"), "includeconf=more.conf\n").expect("write");
        let e = read(
            &dir.path().join("bitcoin.conf"),
            dir.path(),
            None,
            COMMON_OPTIONS,
        )
        .expect_err("nested");
        assert!(
            e.to_string()
                .contains("extra.conf:1: includeconf cannot be used in an included file"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join("extra.conf")).expect("rm");
        let e = read(
            &dir.path().join("bitcoin.conf"),
            dir.path(),
            None,
            COMMON_OPTIONS,
        )
        .expect_err("missing");
        assert!(
            e.to_string().contains("bitcoin.conf:1: included file"),
            "{e}"
        );
    }
}
