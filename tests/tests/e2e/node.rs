//! `bitcoin-node -ipcbind`: serving Init/Echo to clients, socket rules, shutdown, arguments.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use interfaces::Init;
use tests::{bin, run, Node};

#[test]
fn echo_conformance_local_and_through_the_node() {
    interfaces::echo_conformance::run(&interfaces::LocalEcho);
    let node = Node::start(&[]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let echo = init.make_echo().expect("make_echo");
    interfaces::echo_conformance::run(&*echo);
}

#[test]
fn many_clients_share_one_node() {
    let node = Node::start(&[]);
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let socket = node.socket();
            std::thread::spawn(move || {
                let (_conn, init) = ipc::connect_init(&socket).expect("connect");
                let echo = init.make_echo().expect("make_echo");
                for j in 0..50 {
                    let text = format!("client {i} call {j}");
                    assert_eq!(echo.echo(&text).expect("echo"), text);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client thread");
    }
}

#[test]
fn retired_mining_method_fails_with_cores_message() {
    let node = Node::start(&[]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let err = init
        .make_mining_old2()
        .expect_err("makeMiningOld2 must fail");
    assert_eq!(err.message(), ipc::MINING_OLD2_ERROR);
}

#[test]
fn socket_is_owner_only_and_removed_on_sigterm_and_sigint() {
    for signal in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGINT,
    ] {
        let mut node = Node::start(&[]);
        let meta = std::fs::metadata(node.socket()).expect("socket metadata");
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // A connected client must not block shutdown.
        let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
        let _echo = init.make_echo().expect("make_echo");
        node.process.signal(signal);
        let status = node
            .process
            .wait_timeout(tests::DEADLINE)
            .expect("node exits");
        assert!(status.success(), "exit status {status}");
        assert!(!node.socket().exists(), "socket left behind");
    }
}

#[test]
fn custom_socket_paths_relative_and_absolute() {
    let abs_dir = tempfile::tempdir().expect("tempdir");
    let abs = abs_dir.path().join("abs.sock");
    let abs_arg = format!("-ipcbind=unix:{}", abs.display());
    let node = Node::start(&["-ipcbind=unix:rel.sock", &abs_arg]);
    for path in [node.net_dir().join("rel.sock"), abs.clone()] {
        assert!(
            tests::eventually(tests::DEADLINE, || path.exists()),
            "{}",
            path.display()
        );
        let (_conn, init) = ipc::connect_init(&path).expect("connect");
        assert_eq!(
            init.make_echo().expect("echo").echo("x").expect("echo"),
            "x"
        );
    }
}

#[test]
fn stale_socket_is_replaced() {
    let datadir = tempfile::tempdir().expect("tempdir");
    let net = datadir.path().join("regtest");
    std::fs::create_dir_all(&net).expect("mkdir");
    let stale = net.join("node.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind stale"));
    let ready = tests::SocketWait::before_start(&stale);
    let mut process = Node::start_in(datadir.path(), &[]);
    ready.wait(&mut process);
    let (_conn, init) = ipc::connect_init(&stale).expect("connect to the new socket");
    assert_eq!(
        init.make_echo().expect("echo").echo("x").expect("echo"),
        "x"
    );
    drop(init);
    assert!(process.stop().success());
}

#[test]
fn occupied_socket_and_non_socket_file_are_refused() {
    let node = Node::start(&[]);
    let mut second = Node::start_in(node.datadir.path(), &[]);
    let status = second
        .wait_timeout(tests::DEADLINE)
        .expect("second node exits");
    assert_eq!(status.code(), Some(1));
    let err = second.stderr();
    assert!(
        err.contains("in use by another running process"),
        "stderr: {err}"
    );
    assert!(node.socket().exists(), "first node's socket was removed");

    let datadir = tempfile::tempdir().expect("tempdir");
    let net = datadir.path().join("regtest");
    std::fs::create_dir_all(&net).expect("mkdir");
    std::fs::write(net.join("node.sock"), b"not a socket").expect("write");
    let mut third = Node::start_in(datadir.path(), &[]);
    let status = third.wait_timeout(tests::DEADLINE).expect("exits");
    assert_eq!(status.code(), Some(1));
    let err = third.stderr();
    assert!(err.contains("exists and is not a socket"), "stderr: {err}");
    assert_eq!(
        std::fs::read(net.join("node.sock")).expect("file kept"),
        b"not a socket"
    );
}

#[test]
fn too_long_socket_path_is_an_error_naming_it() {
    let datadir = tempfile::tempdir().expect("tempdir");
    let long = format!("-ipcbind=unix:{}", "s".repeat(120));
    let mut process = Node::start_in(datadir.path(), &[&long]);
    let status = process.wait_timeout(tests::DEADLINE).expect("exits");
    assert_eq!(status.code(), Some(1));
    let err = process.stderr();
    assert!(
        err.contains("too long") && err.contains(&"s".repeat(120)),
        "stderr: {err}"
    );
}

#[test]
fn bad_arguments_are_refused_before_starting() {
    let node = bin("bitcoin-node");
    let (code, _, err) = run(&node, &["-regtest", "-bogus"]);
    assert_eq!(code, 1);
    assert!(err.contains("Invalid parameter -bogus"), "{err}");
    let (code, _, err) = run(&node, &["-regtest", "-datadir=/nonexistent/dir"]);
    assert_eq!(code, 1);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, err) = run(&node, &["-regtest", "-signet"]);
    assert_eq!(code, 1);
    assert!(err.contains("at most one"), "{err}");
    let datadir = tempfile::tempdir().expect("tempdir");
    let datadir_arg = format!("-datadir={}", datadir.path().display());
    let (code, _, err) = run(&node, &["-regtest", &datadir_arg, "-ipcbind=tcp:1.2.3.4"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("invalid IPC address"), "{err}");
    let (code, out, _) = run(&node, &["-help"]);
    assert_eq!(code, 0);
    assert!(out.contains("-ipcbind=<address>") && out.contains("-ipcfd <n>"));
    let (code, out, _) = run(&node, &["-version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("bitcoin-node version"));
}
