//! Tests of [`plan`] and the error reports, against a fake file system.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::*;

/// Executable files by full path.
struct FakeFiles(Vec<PathBuf>);

impl Files for FakeFiles {
    fn is_executable(&self, path: &Path) -> bool {
        self.0.iter().any(|p| p == path)
    }

    fn list(&self, dir: &Path) -> Vec<OsString> {
        self.0
            .iter()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(OsStr::to_owned))
            .collect()
    }
}

fn installed() -> (Environment, FakeFiles) {
    let env = Environment {
        own_path: Some("/p/bin/bitcoin".into()),
        ..Environment::default()
    };
    let files = FakeFiles(
        [
            "/p/bin/bitcoin",
            "/p/bin/bitcoin-cli",
            "/p/libexec/bitcoin-node",
            "/p/libexec/bitcoind",
            "/p/libexec/bitcoin-foo",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect(),
    );
    (env, files)
}

fn plan_for(args: &[&str]) -> Result<Plan, Error> {
    let (env, files) = installed();
    plan(args.iter().map(OsString::from), &env, &files)
}

fn exec_of(args: &[&str]) -> Resolved {
    match plan_for(args).expect("plans") {
        Plan::Exec(resolved) => resolved,
        other => panic!("expected an exec, got {other:?}"),
    }
}

fn error_of(args: &[&str]) -> Error {
    plan_for(args).expect_err("fails")
}

#[test]
fn commands_exec_their_programs_with_arguments() {
    let resolved = exec_of(&["node", "-regtest", "-datadir=/x y"]);
    assert_eq!(resolved.program, Path::new("/p/libexec/bitcoin-node"));
    assert_eq!(resolved.args, ["-regtest", "-datadir=/x y"]);
    assert_eq!(
        exec_of(&["-M", "node"]).program,
        Path::new("/p/libexec/bitcoind")
    );
    let rpc = exec_of(&["rpc", "getblockcount"]);
    assert_eq!(rpc.program, Path::new("/p/bin/bitcoin-cli"));
    assert_eq!(rpc.args, ["-named", "getblockcount"]);
    let foo = exec_of(&["foo", "--bar"]);
    assert_eq!(foo.program, Path::new("/p/libexec/bitcoin-foo"));
    assert_eq!(foo.args, ["--bar"]);
}

#[test]
fn help_for_a_command_runs_its_help() {
    let node = exec_of(&["help", "node"]);
    assert_eq!(node.program, Path::new("/p/libexec/bitcoin-node"));
    assert_eq!(node.args, ["-help"]);
    assert_eq!(exec_of(&["-M", "help", "node"]).args, ["-help"]);
    assert_eq!(exec_of(&["help", "foo"]).args, ["--help"]);
}

#[test]
fn help_version_and_usage_texts() {
    let Ok(Plan::Print(help)) = plan_for(&["help"]) else {
        panic!("help prints");
    };
    assert!(help.starts_with("Usage: bitcoin"));
    assert!(
        help.ends_with("External commands found:\n  foo\n"),
        "{help}"
    );
    assert_eq!(
        plan_for(&["--help"]).expect("plans"),
        Plan::Print(help.clone())
    );
    assert_eq!(plan_for(&[]).expect("plans"), Plan::Usage(help));
    assert_eq!(
        plan_for(&["-v"]).expect("plans"),
        Plan::Print(help::version())
    );
}

#[test]
fn unknown_command_report() {
    let err = error_of(&["nod", "-regtest"]);
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.report(),
        "Error: unknown command 'nod' (not a built-in command, and no bitcoin-nod executable \
         found)\nDid you mean 'node'?\nTry 'bitcoin --help' for more information.\n"
    );
    let err = error_of(&["fo"]);
    assert!(
        err.report().contains("Did you mean 'foo'?"),
        "{}",
        err.report()
    );
    let err = error_of(&["qqqqqq"]);
    assert!(!err.report().contains("Did you mean"));
}

#[test]
fn unknown_option_reports() {
    let err = error_of(&["--multiproces", "node"]);
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.report(),
        "Error: unknown option '--multiproces'\nDid you mean '--multiprocess'?\n\
         Try 'bitcoin --help' for more information.\n"
    );
    let report = error_of(&["-regtest", "node"]).report();
    assert!(report.contains("e.g. 'bitcoin node -regtest'"), "{report}");
    assert!(report.ends_with("Try 'bitcoin --help' for more information.\n"));
}

#[test]
fn missing_program_report() {
    let err = error_of(&["wallet"]);
    assert_eq!(err.exit_code(), 127);
    let report = err.report();
    assert!(
        report.starts_with("Error: cannot find 'bitcoin-wallet'"),
        "{report}"
    );
    assert!(report.contains("/p/libexec (libexec"), "{report}");
    assert!(!report.contains("Try 'bitcoin --help'"), "{report}");
    let err = error_of(&["-M", "gui"]);
    assert_eq!(err.exit_code(), 127);
    assert!(err.report().contains("no monolithic GUI is available"));
}
