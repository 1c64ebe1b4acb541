//! The `bitcoin` wrapper: finding programs (libexec, own directory, BITCOIN_EXEC_PATH,
//! --exec-path, PATH), passing arguments, exit codes and signals through, errors, help; with
//! fake programs (shell scripts that print their argv) and once with the real bitcoin-node.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use interfaces::Init;
use tests::{bin, eventually, Process, DEADLINE};

/// A temporary directory tree holding copies of the real wrapper and fake programs.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `<tmp>/<rel>`.
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Copies the real `bitcoin` into `<tmp>/<dir>/bitcoin` and returns its path.
    fn wrapper(&self, dir: &str) -> PathBuf {
        let path = self.path(dir).join("bitcoin");
        std::fs::create_dir_all(self.path(dir)).expect("mkdir");
        std::fs::copy(bin("bitcoin"), &path).expect("copy the wrapper");
        path
    }

    /// Writes an executable script `<tmp>/<dir>/<name>` running `body`.
    fn script(&self, dir: &str, name: &str, body: &str) -> PathBuf {
        std::fs::create_dir_all(self.path(dir)).expect("mkdir");
        let path = self.path(dir).join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// A fake program that prints `ran $0`, one `arg <...>` line per argument and the
    /// `BITCOIN_EXEC_PATH` it sees, then exits with `code`.
    fn fake(&self, dir: &str, name: &str, code: i32) -> PathBuf {
        self.script(
            dir,
            name,
            &format!(
                "printf 'ran %s\\n' \"$0\"\n\
                 for a in \"$@\"; do printf 'arg <%s>\\n' \"$a\"; done\n\
                 printf 'exec-path <%s>\\n' \"${{BITCOIN_EXEC_PATH-unset}}\"\n\
                 exit {code}\n"
            ),
        )
    }
}

/// Runs `program args` with a clean `BITCOIN_EXEC_PATH`, `PATH` set to `path`, plus `envs`.
fn wrap(program: impl AsRef<OsStr>, args: &[&str], path: &OsStr, envs: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("BITCOIN_EXEC_PATH")
        .env("PATH", path)
        .stdin(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run the wrapper")
}

/// Runs the wrapper at `wrapper` by path with a system-only `PATH`.
fn run(wrapper: &Path, args: &[&str]) -> Output {
    wrap(wrapper, args, OsStr::new("/usr/bin:/bin"), &[])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The fake's report of which program ran and with which arguments.
fn ran(program: &Path, args: &[&str]) -> String {
    let mut text = format!("ran {}\n", program.display());
    for arg in args {
        text.push_str(&format!("arg <{arg}>\n"));
    }
    text
}

/// Asserts `out` is the fake `program` run with `args` and exit code 0.
fn assert_ran(out: &Output, program: &Path, args: &[&str]) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    let text = stdout(out);
    assert!(
        text.starts_with(&ran(program, args)),
        "expected {} {args:?}, got:\n{text}",
        program.display()
    );
}

#[test]
fn installed_wrapper_prefers_libexec_and_passes_arguments_untouched() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    let libexec_node = tree.fake("libexec", "bitcoin-node", 0);
    tree.fake("bin", "bitcoin-node", 0);
    let args = [
        "-regtest",
        "with space",
        "--help",
        "-v",
        "-M",
        "",
        "a=b c",
        "help",
        "'quoted'",
    ];
    let mut line = vec!["node"];
    line.extend(args);
    assert_ran(&run(&wrapper, &line), &libexec_node, &args);
}

#[test]
fn wrapper_outside_bin_uses_its_own_directory() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("build");
    let own = tree.fake("build", "bitcoin-node", 0);
    tree.fake("libexec", "bitcoin-node", 0);
    assert_ran(&run(&wrapper, &["node", "-x"]), &own, &["-x"]);
    // In bin/ but with nothing in libexec/, the wrapper's own directory is next.
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    let own = tree.fake("bin", "bitcoin-node", 0);
    assert_ran(&run(&wrapper, &["node"]), &own, &[]);
}

#[test]
fn exec_path_option_beats_variable_beats_libexec() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    let libexec = tree.fake("libexec", "bitcoin-node", 0);
    let env_node = tree.fake("env", "bitcoin-node", 0);
    let opt_node = tree.fake("opt", "bitcoin-node", 0);
    let system = OsStr::new("/usr/bin:/bin");
    let env_dir = tree.path("env");
    let opt = tree.path("opt");
    let opt_arg = opt.to_str().expect("utf-8 temp path");
    let envs = [("BITCOIN_EXEC_PATH", env_dir.as_path())];

    let out = wrap(
        &wrapper,
        &["--exec-path", opt_arg, "node", "-a"],
        system,
        &envs,
    );
    assert_ran(&out, &opt_node, &["-a"]);
    // --exec-path is handed on, so the processes the target spawns look there too.
    assert!(stdout(&out).ends_with(&format!("exec-path <{opt_arg}>\n")));
    let equals = format!("--exec-path={opt_arg}");
    let out = wrap(&wrapper, &[&equals, "node"], system, &[]);
    assert_ran(&out, &opt_node, &[]);

    let out = wrap(&wrapper, &["node"], system, &envs);
    assert_ran(&out, &env_node, &[]);
    let out = wrap(&wrapper, &["node"], system, &[]);
    assert_ran(&out, &libexec, &[]);
    assert!(stdout(&out).ends_with("exec-path <unset>\n"));
}

#[test]
fn path_is_searched_only_when_the_wrapper_was_found_through_it() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("w");
    let wallet = tree.fake("p", "bitcoin-wallet", 0);
    let path =
        std::env::join_paths([tree.path("w"), tree.path("p"), "/usr/bin".into()]).expect("PATH");
    // `bitcoin` (no slash): found through PATH, so PATH is searched.
    let out = wrap("bitcoin", &["wallet", "info"], &path, &[]);
    assert_ran(&out, &wallet, &["info"]);
    // The same wrapper started by path does not search PATH.
    let out = wrap(&wrapper, &["wallet", "info"], &path, &[]);
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert!(
        err.starts_with("Error: cannot find 'bitcoin-wallet'"),
        "{err}"
    );
    assert!(err.contains("PATH not searched"), "{err}");
}

#[test]
fn exit_code_pid_and_signal_are_the_programs() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    tree.fake("libexec", "bitcoin-node", 42);
    assert_eq!(run(&wrapper, &["node"]).status.code(), Some(42));

    // exec keeps the pid: the program reports the wrapper's.
    tree.script("libexec", "bitcoin-wallet", "echo \"pid $$\"\n");
    let child = Command::new(&wrapper)
        .arg("wallet")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the wrapper");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait");
    assert_eq!(stdout(&out), format!("pid {pid}\n"));

    // The Rust runtime's ignored SIGPIPE is not handed on to the program.
    tree.script("libexec", "bitcoin-foo", "grep SigIgn /proc/$$/status\n");
    let out = run(&wrapper, &["foo"]);
    let ignored = stdout(&out)
        .split_whitespace()
        .nth(1)
        .and_then(|mask| u64::from_str_radix(mask, 16).ok())
        .expect("SigIgn mask");
    assert_eq!(ignored & (1 << (libc::SIGPIPE - 1)), 0, "SIGPIPE ignored");

    // A program killed by a signal: the wrapper's status shows the same signal.
    tree.script("libexec", "bitcoin-gui", "kill -TERM $$\nsleep 5\n");
    let status = run(&wrapper, &["gui"]).status;
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
    assert_eq!(status.code(), None);
}

#[test]
fn each_command_runs_its_program() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    let node = tree.fake("libexec", "bitcoin-node", 0);
    let bitcoind = tree.fake("libexec", "bitcoind", 0);
    let gui = tree.fake("libexec", "bitcoin-gui", 0);
    let wallet = tree.fake("libexec", "bitcoin-wallet", 0);
    let cli = tree.fake("bin", "bitcoin-cli", 0);
    assert_ran(&run(&wrapper, &["node", "-a"]), &node, &["-a"]);
    assert_ran(&run(&wrapper, &["-m", "node"]), &node, &[]);
    assert_ran(&run(&wrapper, &["-M", "node", "-a"]), &bitcoind, &["-a"]);
    assert_ran(&run(&wrapper, &["--monolithic", "node"]), &bitcoind, &[]);
    assert_ran(&run(&wrapper, &["gui"]), &gui, &[]);
    assert_ran(&run(&wrapper, &["wallet", "-w"]), &wallet, &["-w"]);
    assert_ran(&run(&wrapper, &["-M", "wallet"]), &wallet, &[]);
    assert_ran(
        &run(
            &wrapper,
            &["rpc", "getblock", "blockhash=00", "x y", "-nonamed"],
        ),
        &cli,
        &["-named", "getblock", "blockhash=00", "x y", "-nonamed"],
    );
    assert_ran(&run(&wrapper, &["help", "node"]), &node, &["-help"]);
}

#[test]
fn monolithic_gui_is_a_clear_error() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    tree.fake("libexec", "bitcoin-gui", 0);
    let out = run(&wrapper, &["-M", "gui"]);
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert!(
        err.starts_with("Error: no monolithic GUI is available"),
        "{err}"
    );
    for dir in ["libexec", "bin"] {
        assert!(err.contains(&tree.path(dir).display().to_string()), "{err}");
    }
}

#[test]
fn external_commands_run_and_are_listed() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    tree.fake("libexec", "bitcoin-node", 0);
    let foo = tree.fake("libexec", "bitcoin-foo", 7);
    tree.fake("bin", "bitcoin-zap", 0);
    let out = run(&wrapper, &["foo", "--bar", "x y"]);
    assert_eq!(out.status.code(), Some(7));
    assert!(stdout(&out).starts_with(&ran(&foo, &["--bar", "x y"])));

    let out = run(&wrapper, &["help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(
        help.starts_with("Usage: bitcoin [OPTIONS] COMMAND"),
        "{help}"
    );
    assert!(
        help.ends_with("External commands found:\n  foo\n  zap\n"),
        "{help}"
    );
    assert!(stdout(&run(&wrapper, &["help", "foo"])).contains("arg <--help>"));
}

#[test]
fn unknown_commands_and_options_exit_1_with_a_suggestion() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    tree.fake("libexec", "bitcoin-frob", 0);
    let out = run(&wrapper, &["nod", "-regtest"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("Error: unknown command 'nod'"), "{err}");
    assert!(err.contains("Did you mean 'node'?"), "{err}");
    assert!(err.ends_with("Try 'bitcoin --help' for more information.\n"));
    assert!(stdout(&out).is_empty());

    let err = stderr(&run(&wrapper, &["frb"]));
    assert!(err.contains("Did you mean 'frob'?"), "{err}");

    let out = run(&wrapper, &["--verison"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("Error: unknown option '--verison'"),
        "{err}"
    );
    assert!(err.contains("Did you mean '--version'?"), "{err}");
    assert!(err.contains("Try 'bitcoin --help'"), "{err}");
}

#[test]
fn missing_program_names_the_places_searched() {
    let tree = Tree::new();
    let wrapper = tree.wrapper("bin");
    let out = run(&wrapper, &["--exec-path", "/nonexistent", "node"]);
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert!(
        err.starts_with("Error: cannot find 'bitcoin-node'"),
        "{err}"
    );
    for place in [
        "/nonexistent (--exec-path)".to_string(),
        format!("{} (libexec", tree.path("libexec").display()),
        format!("{} (the wrapper's directory)", tree.path("bin").display()),
    ] {
        assert!(err.contains(&place), "{place:?} missing from {err}");
    }
}

#[test]
fn version_help_and_no_command() {
    let wrapper = bin("bitcoin");
    for flag in ["-v", "--version"] {
        let out = run(&wrapper, &[flag]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stdout(&out).starts_with(&format!("bitcoin version v{}\n", env!("CARGO_PKG_VERSION")))
        );
    }
    for flag in ["-h", "--help"] {
        let out = run(&wrapper, &[flag]);
        assert_eq!(out.status.code(), Some(0));
        let help = stdout(&out);
        for expected in [
            "Usage: bitcoin [OPTIONS] COMMAND",
            "-M, --monolithic",
            "rpc [ARGS]",
        ] {
            assert!(help.contains(expected), "{expected:?} missing from {help}");
        }
    }
    let out = run(&wrapper, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("Usage: bitcoin"));
}

#[test]
fn real_node_through_the_wrapper_answers_ipc_and_stops_on_sigterm() {
    bin("bitcoin-node");
    let datadir = tempfile::tempdir().expect("tempdir");
    let datadir_arg = format!("-datadir={}", datadir.path().display());
    let mut process = Process::start(
        &bin("bitcoin"),
        &["node", "-regtest", &datadir_arg, "-ipcbind=unix"],
    );
    let socket = datadir.path().join("regtest").join("node.sock");
    assert!(
        eventually(DEADLINE, || socket.exists()),
        "no {}",
        socket.display()
    );
    // The wrapper exec'd: its pid now runs bitcoin-node.
    let exe = std::fs::read_link(format!("/proc/{}/exe", process.pid())).expect("exe link");
    assert_eq!(exe.file_name(), Some(OsStr::new("bitcoin-node")));
    let (_conn, init) = ipc::connect_init(&socket).expect("connect");
    let echo = init.make_echo().expect("make_echo");
    assert_eq!(
        echo.echo("through the wrapper").expect("echo"),
        "through the wrapper"
    );
    let status = process.stop();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(!socket.exists(), "socket left behind");
}

#[test]
fn installed_layout_runs_the_real_programs() {
    let prefix = tempfile::tempdir().expect("tempdir");
    let build_dir = bin("bitcoin").parent().expect("target dir").to_path_buf();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--from")
        .arg(&build_dir)
        .arg("--prefix")
        .arg(prefix.path())
        .env_remove("DESTDIR")
        .output()
        .expect("run install.sh");
    assert!(out.status.success(), "install.sh: {}", stderr(&out));
    let installed = |rel: &str| prefix.path().join(rel);
    assert!(installed("bin/bitcoin").is_file());
    assert!(installed("libexec/bitcoin-node").is_file());
    assert!(!installed("bin/bitcoin-node").exists());
    assert!(!installed("libexec/bitcoin").exists());

    let wrapper = installed("bin/bitcoin");
    let out = run(&wrapper, &["node", "-version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("bitcoin-node version v"));
    // The programs the wrapper runs are not mistaken for external commands.
    let help = stdout(&run(&wrapper, &["help"]));
    assert!(!help.contains("External commands found"), "{help}");
    if installed("libexec/bitcoind").is_file() {
        let out = run(&wrapper, &["-M", "node", "-version"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}
