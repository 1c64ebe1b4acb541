//! Unit tests of the resolver against a fake file system: a set of executable paths.

use std::collections::BTreeSet;

use super::*;

/// Executable files, by full path; directories are their parents.
#[derive(Default)]
struct FakeFiles(BTreeSet<PathBuf>);

impl FakeFiles {
    fn with(paths: &[&str]) -> FakeFiles {
        FakeFiles(paths.iter().map(PathBuf::from).collect())
    }
}

impl Files for FakeFiles {
    fn is_executable(&self, path: &Path) -> bool {
        self.0.contains(path)
    }

    fn list(&self, dir: &Path) -> Vec<OsString> {
        self.0
            .iter()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(OsStr::to_owned))
            .collect()
    }
}

/// A wrapper at `own` started by path (not through PATH), no variables set.
fn started_by_path(own: &str) -> Environment {
    Environment {
        own_path: Some(PathBuf::from(own)),
        invoked_via_path: false,
        exec_path: None,
        path: Some("/usr/bin:/bin".into()),
    }
}

fn run(command: Command, args: &[&str]) -> Run {
    Run {
        command,
        args: args.iter().map(OsString::from).collect(),
    }
}

fn program(
    command: Command,
    mode: Mode,
    option: Option<&str>,
    env: &Environment,
    files: &FakeFiles,
) -> PathBuf {
    resolve(&run(command, &[]), mode, option.map(Path::new), env, files)
        .expect("resolves")
        .program
}

fn dirs(searched: &Searched) -> Vec<(&str, Origin)> {
    searched
        .places
        .iter()
        .map(|p| (p.dir.to_str().expect("utf-8"), p.origin))
        .collect()
}

#[test]
fn targets_per_command_and_mode() {
    let cases = [
        (Command::Node, Mode::Multiprocess, "bitcoin-node", &[][..]),
        (Command::Node, Mode::Monolithic, "bitcoind", &[]),
        (Command::Gui, Mode::Multiprocess, "bitcoin-gui", &[]),
        (Command::Gui, Mode::Monolithic, "bitcoin-qt", &[]),
        (Command::Wallet, Mode::Multiprocess, "bitcoin-wallet", &[]),
        (Command::Wallet, Mode::Monolithic, "bitcoin-wallet", &[]),
        (Command::Rpc, Mode::Multiprocess, "bitcoin-cli", &["-named"]),
        (Command::Rpc, Mode::Monolithic, "bitcoin-cli", &["-named"]),
        (
            Command::External("foo".into()),
            Mode::Monolithic,
            "bitcoin-foo",
            &[],
        ),
    ];
    for (command, mode, name, leading) in cases {
        let (file, args) = target(&command, mode);
        assert_eq!(file, name, "{command:?} {mode:?}");
        assert_eq!(args, leading.iter().map(OsString::from).collect::<Vec<_>>());
    }
}

#[test]
fn installed_wrapper_searches_libexec_then_its_own_dir() {
    let env = started_by_path("/opt/btc/bin/bitcoin");
    let searched = search_places(None, &env);
    assert_eq!(
        dirs(&searched),
        [
            ("/opt/btc/libexec", Origin::Libexec),
            ("/opt/btc/bin", Origin::WrapperDir)
        ]
    );
    let both = FakeFiles::with(&["/opt/btc/libexec/bitcoin-node", "/opt/btc/bin/bitcoin-node"]);
    assert_eq!(
        program(Command::Node, Mode::Multiprocess, None, &env, &both),
        Path::new("/opt/btc/libexec/bitcoin-node")
    );
    let own_dir_only = FakeFiles::with(&["/opt/btc/bin/bitcoin-node"]);
    assert_eq!(
        program(Command::Node, Mode::Multiprocess, None, &env, &own_dir_only),
        Path::new("/opt/btc/bin/bitcoin-node")
    );
}

#[test]
fn build_tree_wrapper_searches_only_its_own_dir() {
    let env = started_by_path("/src/target/debug/bitcoin");
    let searched = search_places(None, &env);
    assert_eq!(dirs(&searched), [("/src/target/debug", Origin::WrapperDir)]);
    assert!(!searched.path_searched);
    let files = FakeFiles::with(&["/src/target/debug/bitcoind", "/usr/bin/bitcoin-node"]);
    assert_eq!(
        program(Command::Node, Mode::Monolithic, None, &env, &files),
        Path::new("/src/target/debug/bitcoind")
    );
    // The system copy on PATH is not used by a wrapper started by path.
    let err = resolve(
        &run(Command::Node, &[]),
        Mode::Multiprocess,
        None,
        &env,
        &files,
    )
    .expect_err("bitcoin-node is only on PATH");
    assert!(matches!(err, ResolveError::NotFound { .. }), "{err:?}");
}

#[test]
fn wrapper_found_through_path_searches_path_last() {
    let env = Environment {
        invoked_via_path: true,
        path: Some("/a:/usr/bin::/b".into()),
        ..started_by_path("/usr/bin/bitcoin")
    };
    let searched = search_places(None, &env);
    assert_eq!(
        dirs(&searched),
        [
            ("/usr/libexec", Origin::Libexec),
            ("/usr/bin", Origin::WrapperDir),
            ("/a", Origin::PathEnv),
            (".", Origin::PathEnv),
            ("/b", Origin::PathEnv),
        ]
    );
    assert!(searched.path_searched);
    let files = FakeFiles::with(&["/b/bitcoin-wallet", "/a/bitcoin-foo", "/b/bitcoin-foo"]);
    assert_eq!(
        program(Command::Wallet, Mode::Multiprocess, None, &env, &files),
        Path::new("/b/bitcoin-wallet")
    );
    assert_eq!(
        program(
            Command::External("foo".into()),
            Mode::Multiprocess,
            None,
            &env,
            &files
        ),
        Path::new("/a/bitcoin-foo")
    );
}

#[test]
fn exec_path_option_beats_variable_beats_libexec() {
    let env = Environment {
        exec_path: Some("/env".into()),
        ..started_by_path("/p/bin/bitcoin")
    };
    let files = FakeFiles::with(&[
        "/opt/bitcoin-node",
        "/env/bitcoin-node",
        "/p/libexec/bitcoin-node",
    ]);
    assert_eq!(
        program(
            Command::Node,
            Mode::Multiprocess,
            Some("/opt"),
            &env,
            &files
        ),
        Path::new("/opt/bitcoin-node")
    );
    assert_eq!(
        program(Command::Node, Mode::Multiprocess, None, &env, &files),
        Path::new("/env/bitcoin-node")
    );
    let searched = search_places(Some(Path::new("/opt")), &env);
    assert_eq!(
        dirs(&searched),
        [
            ("/opt", Origin::ExecPathOption),
            ("/p/libexec", Origin::Libexec),
            ("/p/bin", Origin::WrapperDir)
        ]
    );
    // The explicit directory comes first but does not hide the others.
    let files = FakeFiles::with(&["/p/libexec/bitcoin-node"]);
    assert_eq!(
        program(
            Command::Node,
            Mode::Multiprocess,
            Some("/opt"),
            &env,
            &files
        ),
        Path::new("/p/libexec/bitcoin-node")
    );
}

#[test]
fn empty_exec_path_values_are_ignored_and_duplicates_dropped() {
    let env = Environment {
        exec_path: Some("".into()),
        invoked_via_path: true,
        path: Some("/p/bin".into()),
        ..started_by_path("/p/bin/bitcoin")
    };
    assert_eq!(
        dirs(&search_places(Some(Path::new("")), &env)),
        [
            ("/p/libexec", Origin::Libexec),
            ("/p/bin", Origin::WrapperDir)
        ]
    );
    let env = Environment {
        exec_path: Some("/p/bin".into()),
        ..env
    };
    assert_eq!(
        dirs(&search_places(None, &env)),
        [
            ("/p/bin", Origin::ExecPathEnv),
            ("/p/libexec", Origin::Libexec)
        ]
    );
}

#[test]
fn unknown_own_path_skips_own_dir_and_libexec() {
    let env = Environment {
        own_path: None,
        invoked_via_path: true,
        path: Some("/x".into()),
        ..Environment::default()
    };
    let searched = search_places(None, &env);
    assert_eq!(dirs(&searched), [("/x", Origin::PathEnv)]);
    assert!(searched.to_string().contains("own location is unknown"));
}

#[test]
fn arguments_follow_the_leading_ones_untouched() {
    let env = started_by_path("/p/bin/bitcoin");
    let files = FakeFiles::with(&["/p/bin/bitcoin-cli"]);
    let args = ["getblock", "blockhash=00", "with space", "--x", ""];
    let resolved = resolve(
        &run(Command::Rpc, &args),
        Mode::Multiprocess,
        None,
        &env,
        &files,
    )
    .expect("resolves");
    let mut expected = vec![OsString::from("-named")];
    expected.extend(args.iter().map(OsString::from));
    assert_eq!(resolved.args, expected);
    assert!(resolved.env.is_empty());
}

#[test]
fn exec_path_option_is_exported_to_the_target() {
    let env = started_by_path("/p/bin/bitcoin");
    let files = FakeFiles::with(&["/p/bin/bitcoin-node"]);
    let resolved = resolve(
        &run(Command::Node, &[]),
        Mode::Multiprocess,
        Some(Path::new("/opt")),
        &env,
        &files,
    )
    .expect("resolves");
    assert_eq!(
        resolved.env,
        [(OsString::from(EXEC_PATH_VAR), OsString::from("/opt"))]
    );
}

#[test]
fn missing_executable_names_the_places_searched() {
    let env = started_by_path("/p/bin/bitcoin");
    let err = resolve(
        &run(Command::Wallet, &[]),
        Mode::Multiprocess,
        Some(Path::new("/opt")),
        &env,
        &FakeFiles::default(),
    )
    .expect_err("nothing exists");
    let text = err.to_string();
    for expected in [
        "cannot find 'bitcoin-wallet' for 'bitcoin wallet'",
        "/opt (--exec-path)",
        "/p/libexec (libexec beside the wrapper's bin)",
        "/p/bin (the wrapper's directory)",
        "PATH not searched",
        "BITCOIN_EXEC_PATH",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
}

#[test]
fn monolithic_gui_error_says_none_is_available() {
    let env = started_by_path("/p/bin/bitcoin");
    let files = FakeFiles::with(&["/p/libexec/bitcoin-gui"]);
    let err = resolve(
        &run(Command::Gui, &[]),
        Mode::Monolithic,
        None,
        &env,
        &files,
    )
    .expect_err("no bitcoin-qt");
    assert!(matches!(err, ResolveError::NoMonolithicGui { .. }));
    let text = err.to_string();
    assert!(text.contains("no monolithic GUI is available"), "{text}");
    assert!(text.contains("/p/libexec (libexec"), "{text}");
    // A bitcoin-qt that does exist is run.
    let files = FakeFiles::with(&["/p/libexec/bitcoin-qt"]);
    assert_eq!(
        program(Command::Gui, Mode::Monolithic, None, &env, &files),
        Path::new("/p/libexec/bitcoin-qt")
    );
}

#[test]
fn unknown_command_suggests_built_in_and_external_names() {
    let env = started_by_path("/p/bin/bitcoin");
    let files = FakeFiles::with(&["/p/libexec/bitcoin-node", "/p/bin/bitcoin-frob"]);
    let suggestions = |name: &str| match resolve(
        &run(Command::External(name.into()), &[]),
        Mode::Multiprocess,
        None,
        &env,
        &files,
    ) {
        Err(ResolveError::UnknownCommand { suggestions, .. }) => suggestions,
        other => panic!("expected an unknown command, got {other:?}"),
    };
    assert_eq!(suggestions("nod"), ["node"]);
    assert_eq!(suggestions("frb"), ["frob"]);
    assert!(suggestions("zzzzzz").is_empty());
}

#[test]
fn external_commands_are_listed_once_sorted_without_built_in_targets() {
    let env = Environment {
        invoked_via_path: true,
        path: Some("/usr/bin:/other".into()),
        ..started_by_path("/p/bin/bitcoin")
    };
    let files = FakeFiles::with(&[
        "/p/libexec/bitcoin-node",
        "/p/libexec/bitcoin-gui",
        "/p/libexec/bitcoind",
        "/p/bin/bitcoin-cli",
        "/p/bin/bitcoin-zap",
        "/p/bin/bitcoin-",
        "/p/bin/bitcoin-help",
        "/usr/bin/bitcoin-foo",
        "/usr/bin/bitcoin-wallet",
        "/usr/bin/bitcoin-qt",
        "/other/bitcoin-foo",
        "/other/bitcoin-bar",
        "/elsewhere/bitcoin-baz",
    ]);
    assert_eq!(
        external_commands(&search_places(None, &env), &files),
        ["bar", "foo", "zap"]
    );
}
