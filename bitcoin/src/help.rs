//! The wrapper's help and version texts.

/// The help text; `externals` are the external commands found (see
/// [`external_commands`](crate::resolve::external_commands)).
pub fn help(externals: &[String]) -> String {
    let mut text = String::from(HELP);
    if !externals.is_empty() {
        text.push_str("\nExternal commands found:\n");
        for name in externals {
            text.push_str(&format!("  {name}\n"));
        }
    }
    text
}

/// The `-v`/`--version` text.
pub fn version() -> String {
    format!(
        "bitcoin version v{}\nLicense {}\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_LICENSE")
    )
}

const HELP: &str = "\
Usage: bitcoin [OPTIONS] COMMAND [ARGS...]

Runs a program of the Bitcoin node suite, passing ARGS to it untouched.

Options:
  -m, --multiprocess   Run the multiprocess programs bitcoin-node, bitcoin-gui (default).
  -M, --monolithic     Run the single-process programs bitcoind, bitcoin-qt.
      --exec-path DIR  Look for programs in DIR first (default: $BITCOIN_EXEC_PATH).
  -v, --version        Show version information.
  -h, --help           Show this help message.

Commands:
  node [ARGS]     Start a node: 'bitcoin-node [ARGS]', or 'bitcoind [ARGS]' with -M.
  gui [ARGS]      Start the GUI: 'bitcoin-gui [ARGS]', or 'bitcoin-qt [ARGS]' with -M.
  wallet [ARGS]   Run a wallet tool command: 'bitcoin-wallet [ARGS]'.
  rpc [ARGS]      Call an RPC method: 'bitcoin-cli -named [ARGS]'.
  help [COMMAND]  Show this help, or COMMAND's own (e.g. 'bitcoin-node -help').
  NAME [ARGS]     Run an external command: 'bitcoin-NAME [ARGS]'.

Programs are looked for in $BITCOIN_EXEC_PATH (or --exec-path DIR), then in
<prefix>/libexec when bitcoin is installed in <prefix>/bin, then in bitcoin's own
directory, then in PATH when bitcoin itself was found through PATH.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_built_in_and_external_commands() {
        let text = help(&[]);
        for expected in ["Usage: bitcoin", "node [ARGS]", "bitcoin-cli -named", "-M,"] {
            assert!(text.contains(expected), "{expected:?} missing");
        }
        assert!(!text.contains("External commands found"));
        let text = help(&["foo".to_string(), "zap".to_string()]);
        assert!(
            text.ends_with("External commands found:\n  foo\n  zap\n"),
            "{text}"
        );
    }

    #[test]
    fn help_lines_fit_in_ninety_columns() {
        for line in help(&[]).lines() {
            assert!(line.len() <= 90, "{line}");
        }
    }

    #[test]
    fn version_names_the_program() {
        assert!(version().starts_with("bitcoin version v"));
    }
}
