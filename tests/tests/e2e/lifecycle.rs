//! Settings, config files, logging and process life cycles of `bitcoin-node` and `bitcoind`.

use std::path::Path;
use std::time::{Duration, Instant};

use interfaces::Init;
use tests::{bin, eventually, process_gone, run, Node, Process, DEADLINE};

fn datadir_arg(dir: &Path) -> String {
    format!("-datadir={}", dir.display())
}

#[test]
fn config_file_sections_are_honoured_and_command_line_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bitcoin.conf"),
        "# top level\nregtest=1\ndebug=ipc\n# for bitcoin-cli and the wallet: ignored by the node\nrpcconnect=127.0.0.1\nwallet=w1\n[regtest]\nipcbind=unix:from-conf.sock\n[signet]\nipcbind=unix:signet.sock\n",
    )
    .expect("write conf");
    let d = datadir_arg(dir.path());
    let mut node = Process::start(&bin("bitcoin-node"), &[&d, "-printtoconsole=0"]);
    let sock = dir.path().join("regtest/from-conf.sock");
    assert!(
        eventually(DEADLINE, || sock.exists()),
        "config's [regtest] ipcbind not used"
    );
    let (_conn, init) = ipc::connect_init(&sock).expect("connect");
    assert_eq!(
        init.make_echo().expect("echo").echo("conf").expect("echo"),
        "conf"
    );
    assert!(node.stop().success());
    // -debug=ipc from the top level reached the log.
    let log = std::fs::read_to_string(dir.path().join("regtest/debug.log")).expect("debug.log");
    assert!(
        log.contains("made thread"),
        "ipc debug lines missing:\n{log}"
    );
    // The command line overrides the file's list.
    let mut node = Process::start(
        &bin("bitcoin-node"),
        &[&d, "-printtoconsole=0", "-ipcbind=unix:cli.sock"],
    );
    let cli = dir.path().join("regtest/cli.sock");
    assert!(eventually(DEADLINE, || cli.exists()));
    assert!(
        !sock.exists(),
        "file's ipcbind used despite the command line"
    );
    assert!(node.stop().success());
}

#[test]
fn broken_config_is_refused_with_file_and_line_before_writing_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bitcoin.conf"),
        "regtest=1\n\nbogusoption=1\n",
    )
    .expect("write");
    let (code, _, err) = run(&bin("bitcoin-node"), &[&datadir_arg(dir.path())]);
    assert_eq!(code, 1);
    let conf = dir.path().join("bitcoin.conf");
    assert!(
        err.contains(&format!(
            "{}:3: Invalid configuration value bogusoption",
            conf.display()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(
        !dir.path().join("regtest").exists(),
        "network directory created despite the error"
    );

    std::fs::write(&conf, "[regtest]\nipcbind\n").expect("write");
    let (code, _, err) = run(
        &bin("bitcoin-node"),
        &[&datadir_arg(dir.path()), "-regtest"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("bitcoin.conf:2: parse error"), "{err}");
}

#[test]
fn bad_settings_fail_cleanly_with_nothing_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = datadir_arg(dir.path());
    let cases: &[(&[&str], &str)] = &[
        (
            &["-regtest", "-nosuchoption"],
            "Invalid parameter -nosuchoption",
        ),
        (
            &["-regtest", "-daemon=yes"],
            "Invalid value for -daemon: 'yes'",
        ),
        (
            &["-regtest", "-debug=bogus"],
            "unsupported logging category",
        ),
        (&["-regtest", "-conf=missing.conf"], "missing.conf"),
        (&["-regtest", "-testnet4"], "Can use at most one"),
        (&["-chain=moon"], "Invalid value for -chain: 'moon'"),
        (&["-regtest", "-ipcbind=tcp"], "invalid IPC address 'tcp'"),
        (&["-regtest", "stray"], "unexpected token 'stray'"),
        (
            &["-regtest", "-includeconf=x.conf"],
            "only be used from a configuration file",
        ),
    ];
    for (args, wanted) in cases {
        let mut all = vec![d.as_str()];
        all.extend_from_slice(args);
        let (code, out, err) = run(&bin("bitcoin-node"), &all);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(
            err.starts_with("Error: ") && err.contains(wanted),
            "{args:?}: {err}"
        );
        let created: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert!(created.is_empty(), "{args:?} wrote {created:?}");
    }
}

#[test]
fn daemon_returns_at_once_and_term_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let (code, _, err) = run(
        &bin("bitcoin-node"),
        &[
            &datadir_arg(dir.path()),
            "-regtest",
            "-ipcbind=unix",
            "-daemon",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let net = dir.path().join("regtest");
    let pid_file = net.join("bitcoind.pid");
    assert!(eventually(DEADLINE, || pid_file.exists()), "no pid file");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .parse()
        .expect("pid number");
    let (_conn, init) = ipc::connect_init(&net.join("node.sock")).expect("the daemon answers");
    assert_eq!(
        init.make_echo()
            .expect("echo")
            .echo("daemon")
            .expect("echo"),
        "daemon"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("kill");
    assert!(
        eventually(DEADLINE, || process_gone(pid)),
        "daemon still running"
    );
    assert!(!net.join("node.sock").exists(), "socket left behind");
    assert!(!pid_file.exists(), "pid file left behind");
    let log = std::fs::read_to_string(net.join("debug.log")).expect("debug.log");
    assert!(
        log.lines()
            .all(|l| l.contains(" bitcoin-node ") || l.contains(" bitcoin-wallet ")),
        "a line without the process name:\n{log}"
    );
}

#[test]
fn custom_pid_file_and_log_file() {
    let mut node = Node::start(&[
        "-pid=custom.pid",
        "-debuglogfile=logs/node.log",
        "-printtoconsole=0",
    ]);
    let net = node.net_dir();
    assert!(eventually(DEADLINE, || net.join("custom.pid").exists()));
    assert!(node.process.stop().success());
    assert!(!net.join("custom.pid").exists());
    let log = std::fs::read_to_string(net.join("logs/node.log")).expect("custom log file");
    assert!(log.contains("bitcoin-node starting"), "{log}");
    assert!(!net.join("debug.log").exists());
}

#[test]
fn bitcoind_is_the_same_node_in_one_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = datadir_arg(dir.path());
    let mut process = Process::start(&bin("bitcoind"), &[&d, "-regtest", "-ipcbind=unix"]);
    let sock = dir.path().join("regtest/node.sock");
    assert!(eventually(DEADLINE, || sock.exists()));
    let (_conn, init) = ipc::connect_init(&sock).expect("connect");
    interfaces::echo_conformance::run(&*init.make_echo().expect("echo"));
    assert!(process.stop().success());
    let log = std::fs::read_to_string(dir.path().join("regtest/debug.log")).expect("log");
    assert!(
        log.contains(" bitcoind ") && log.contains("bitcoind starting"),
        "{log}"
    );
    let (code, out, _) = run(&bin("bitcoind"), &["-help"]);
    assert_eq!(code, 0);
    assert!(out.contains("bitcoind [options]") && out.contains("-ipcbind=<address>"));
}

#[test]
fn spawned_child_takes_its_log_settings_from_the_parent_over_ipc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let child_log = dir.path().join("child.log");
    let spawned = ipc::spawn_process::<ipc::InitProxy>(&bin("bitcoin-node")).expect("spawn");
    let args = vec![
        "-regtest".to_string(),
        format!("-datadir={}", dir.path().display()),
        format!("-debuglogfile={}", child_log.display()),
        "-printtoconsole=0".to_string(),
        "-debug=ipc".to_string(),
        "-disablewallet".to_string(),
        "-server=0".to_string(),
    ];
    spawned.init.configure(&args).expect("configure");
    // A call from a new client thread makes the child create a server thread, which it logs
    // at debug level in the `ipc` category, now enabled.
    let init = std::sync::Arc::new(spawned.init);
    let from_thread = init.clone();
    std::thread::spawn(move || {
        let echo = from_thread.make_echo().expect("echo");
        assert_eq!(echo.echo("logged").expect("echo"), "logged");
    })
    .join()
    .expect("client thread");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", spawned.pid)).expect("cmdline");
    assert_eq!(
        cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).count(),
        3,
        "argv must stay `-ipcfd N`"
    );
    assert!(eventually(DEADLINE, || std::fs::read_to_string(&child_log)
        .is_ok_and(|l| l.contains("made thread"))));
    let log = std::fs::read_to_string(&child_log).expect("child log");
    assert!(log.lines().all(|l| l.contains(" bitcoin-node ")), "{log}");
    assert!(log.contains("configured by parent"), "{log}");
    let again = init
        .configure(&args)
        .expect_err("a running node is not configured twice");
    assert!(again.message().contains("already running"), "{again}");
    // Bad settings fail configure with the reason, and the child keeps serving.
    let fresh = ipc::spawn_process::<ipc::InitProxy>(&bin("bitcoin-node")).expect("spawn");
    let err = fresh
        .init
        .configure(&[
            "-regtest".to_string(),
            format!("-datadir={}", dir.path().display()),
            "-debug=bogus".to_string(),
        ])
        .expect_err("bad settings");
    assert!(
        err.message().contains("unsupported logging category"),
        "{err}"
    );
    assert_eq!(
        fresh
            .init
            .make_echo()
            .expect("echo")
            .echo("still")
            .expect("echo"),
        "still"
    );
    // Both children exit once their parent's connection closes.
    for (connection, exit) in [
        (&fresh.connection, &fresh.exit),
        (&spawned.connection, &spawned.exit),
    ] {
        connection.close();
        assert!(
            exit.wait_timeout(DEADLINE).is_some(),
            "a spawned node outlived its connection"
        );
    }
}

#[test]
fn wrapper_daemon_and_monolithic_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = datadir_arg(dir.path());
    let (code, _, err) = run(
        &bin("bitcoin"),
        &["node", &d, "-regtest", "-ipcbind=unix", "-daemon"],
    );
    assert_eq!(code, 0, "{err}");
    let net = dir.path().join("regtest");
    assert!(eventually(DEADLINE, || net.join("bitcoind.pid").exists()));
    let pid: u32 = std::fs::read_to_string(net.join("bitcoind.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).expect("exe");
    assert!(exe.ends_with("bitcoin-node"), "{}", exe.display());
    let (_conn, init) = ipc::connect_init(&net.join("node.sock")).expect("connect");
    assert_eq!(
        init.make_echo().expect("echo").echo("w").expect("echo"),
        "w"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("kill");
    assert!(eventually(DEADLINE, || process_gone(pid)));
    assert!(!net.join("node.sock").exists() && !net.join("bitcoind.pid").exists());

    let mut mono = Process::start(
        &bin("bitcoin"),
        &[
            "-M",
            "node",
            &d,
            "-regtest",
            "-ipcbind=unix",
            "-printtoconsole=0",
        ],
    );
    assert!(eventually(DEADLINE, || net.join("node.sock").exists()));
    let exe = std::fs::read_link(format!("/proc/{}/exe", mono.pid())).expect("exe");
    assert!(exe.ends_with("bitcoind"), "{}", exe.display());
    assert!(mono.stop().success());
}

#[test]
fn bitcoin_log_environment_overrides_debug() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = datadir_arg(dir.path());
    let mut node = std::process::Command::new(bin("bitcoin-node"))
        .args([d.as_str(), "-regtest", "-ipcbind=unix", "-printtoconsole=0"])
        .env("BITCOIN_LOG", "warn,ipc=trace")
        .spawn()
        .expect("start");
    let sock = dir.path().join("regtest/node.sock");
    assert!(eventually(DEADLINE, || sock.exists()));
    let (conn, init) = ipc::connect_init(&sock).expect("connect");
    init.make_echo().expect("echo").echo("x").expect("echo");
    drop(init);
    drop(conn);
    let pid = nix::unistd::Pid::from_raw(node.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    assert!(node.wait().expect("wait").success());
    let log = std::fs::read_to_string(dir.path().join("regtest/debug.log")).expect("log");
    assert!(
        log.contains("TRACE") && log.contains("post request"),
        "ipc=trace not applied:\n{log}"
    );
    assert!(
        !log.contains("bitcoin-node starting"),
        "info lines should be filtered out:\n{log}"
    );
}
