//! `bitcoin-cli` (and `bitcoin rpc`) against the real `bitcoin-node`: over the node's IPC
//! socket, over HTTP with the cookie, and the errors when no node is there.

use std::net::TcpListener;
use std::path::Path;

use tests::{bin, eventually, run, Node, DEADLINE};

/// A TCP port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local address").port()
}

/// A node listening on its IPC socket, with its HTTP server (if it starts one) on a port of
/// its own so tests running side by side do not collide on the regtest default.
fn start_node() -> Node {
    let rpcport = format!("-rpcport={}", free_port());
    Node::start(&[&rpcport])
}

fn datadir_arg(dir: &Path) -> String {
    format!("-datadir={}", dir.display())
}

/// Runs `bitcoin-cli -regtest -datadir=<dir> args...`.
fn cli(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let datadir = datadir_arg(dir);
    let mut all = vec!["-regtest", datadir.as_str()];
    all.extend_from_slice(args);
    run(&bin("bitcoin-cli"), &all)
}

/// Core's text when the HTTP server cannot be reached.
fn refused(port: u16) -> String {
    format!(
        "error: Error while attempting to communicate with server 127.0.0.1:{port} (Could not connect to the server)\n\n\
         Make sure the bitcoind server is running and that you are connecting to the correct RPC port.\n\
         Use \"bitcoin-cli -help\" for more info.\n"
    )
}

#[test]
fn ipcconnect_unix_without_a_node_says_how_to_start_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = cli(dir.path(), &["-ipcconnect=unix", "uptime"]);
    assert_eq!(code, 1, "stderr: {err}");
    assert_eq!(out, "");
    let socket = dir.path().join("regtest").join("node.sock");
    assert!(
        err.starts_with(&format!(
            "error: cannot connect to bitcoin-node at {}",
            socket.display()
        )),
        "{err}"
    );
    assert!(err.contains("-ipcbind=unix"), "{err}");
    // A custom path is named too.
    let (code, _, err) = cli(dir.path(), &["-ipcconnect=unix:custom.sock", "uptime"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&dir.path().join("regtest/custom.sock").display().to_string()),
        "{err}"
    );
}

#[test]
fn http_connection_refused_is_cores_message_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // -ipcconnect=auto (the default) finds no socket and falls back to HTTP.
    let rpcport = format!("-rpcport={port}");
    let (code, out, err) = cli(dir.path(), &[&rpcport, "uptime"]);
    assert_eq!((code, out.as_str()), (1, ""), "stderr: {err}");
    assert_eq!(err, refused(port));
    // The same through -rpcconnect=host:port, with IPC off.
    let rpcconnect = format!("-rpcconnect=127.0.0.1:{port}");
    let (code, _, err) = cli(dir.path(), &["-ipcconnect=0", &rpcconnect, "getblockcount"]);
    assert_eq!((code, err), (1, refused(port)));
    // -rpcwait gives up after -rpcwaittimeout.
    let (code, _, err) = cli(
        dir.path(),
        &[&rpcport, "-rpcwait", "-rpcwaittimeout=1", "uptime"],
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        refused(port).replace("error: ", "error: timeout on transient error: ")
    );
}

#[test]
fn client_side_errors_need_no_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = cli(dir.path(), &["getblockhash", "notanumber"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "error: Error parsing JSON: notanumber\n")
    );
    let (code, _, err) = cli(dir.path(), &[]);
    assert_eq!(
        (code, err.as_str()),
        (1, "error: too few parameters (need at least command)\n")
    );
    let (code, _, err) = cli(
        dir.path(),
        &["-rpcconnect=127.0.0.1", "-ipcconnect=unix", "uptime"],
    );
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: -rpcconnect and -ipcconnect options cannot both be enabled\n"
        )
    );
    let (code, _, err) = cli(dir.path(), &["-getinfo", "-generate"]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: Only one of -generate, -getinfo may be specified.\n"
        )
    );
    // bitcoin.conf's [regtest] section is read like every binary's.
    std::fs::write(
        dir.path().join("bitcoin.conf"),
        "[regtest]\nrpcport=1\nipcconnect=0\n",
    )
    .expect("write bitcoin.conf");
    let (code, _, err) = cli(dir.path(), &["uptime"]);
    assert_eq!((code, err), (1, refused(1)));
    let (code, out, _) = run(&bin("bitcoin-cli"), &["-help"]);
    assert_eq!(code, 0);
    for option in [
        "-rpcconnect=<ip>",
        "-rpcwallet=<walletname>",
        "-ipcconnect=<address>",
        "-named",
        "-stdin",
        "-getinfo",
        "-generate",
        "-datadir=<dir>",
    ] {
        assert!(out.contains(option), "{option} missing from -help");
    }
    let (code, out, _) = run(&bin("bitcoin-cli"), &["-version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("bitcoin-cli version v"), "{out}");
}

#[test]
fn ipcconnect_unix_calls_the_node() {
    let node = start_node();
    let dir = node.datadir.path();
    let (code, out, err) = cli(dir, &["-ipcconnect=unix", "uptime"]);
    assert_eq!(code, 0, "stderr: {err}");
    let seconds: u64 = out
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("uptime {out:?}"));
    assert!(seconds < 600, "{seconds}");
    let (code, out, err) = cli(dir, &["-ipcconnect=unix", "echo", "hello", "world"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, "[\n  \"hello\",\n  \"world\"\n]\n");
    // JSON conversion: echojson parses its arguments.
    let (code, out, err) = cli(
        dir,
        &["-ipcconnect=unix", "echojson", "1", "{\"a\":[true]}"],
    );
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(
        out,
        "[\n  1,\n  {\n    \"a\": [\n      true\n    ]\n  }\n]\n"
    );
    // An RPC error: code and message on stderr, exit status from the code.
    let (code, out, err) = cli(dir, &["-ipcconnect=unix", "nosuchmethod"]);
    assert_eq!((code, out.as_str()), (89, ""));
    assert_eq!(
        err,
        "error code: -32601\nerror message:\nMethod not found\n"
    );
    // -ipcconnect=auto (the default) finds the socket too.
    let (code, out, err) = cli(dir, &["echo", "auto"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "[\n  \"auto\"\n]\n"),
        "stderr: {err}"
    );
}

#[test]
fn http_with_the_cookie() {
    let port = free_port();
    let rpcport = format!("-rpcport={port}");
    let node = Node::start(&[&rpcport]);
    let dir = node.datadir.path();
    let cookie = node.net_dir().join(".cookie");
    assert!(
        eventually(DEADLINE, || cookie.exists()),
        "no {}",
        cookie.display()
    );
    let (code, out, err) = cli(dir, &["-ipcconnect=0", &rpcport, "-rpcwait", "uptime"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.trim_end().parse::<u64>().is_ok(), "{out}");
    let (code, out, err) = cli(dir, &["-noipcconnect", &rpcport, "echo", "over http"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "[\n  \"over http\"\n]\n"),
        "stderr: {err}"
    );
    let (code, _, err) = cli(dir, &["-ipcconnect=0", &rpcport, "nosuchmethod"]);
    assert_eq!(
        (code, err.as_str()),
        (89, "error code: -32601\nerror message:\nMethod not found\n")
    );
    // Wrong credentials, and a cookie file that is not there.
    let (code, _, err) = cli(
        dir,
        &[
            "-ipcconnect=0",
            &rpcport,
            "-rpcuser=u",
            "-rpcpassword=wrong",
            "uptime",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "error: Authorization failed: Incorrect rpcuser or rpcpassword were specified. Configuration file: ({})\n",
            dir.join("bitcoin.conf").display()
        )
    );
    let (code, _, err) = cli(
        dir,
        &[
            "-ipcconnect=0",
            &rpcport,
            "-rpccookiefile=missing",
            "uptime",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: Authorization failed: Failed to read cookie file and no rpcpassword was specified."),
        "{err}"
    );
}

#[test]
fn getinfo_and_generate_do_not_crash_on_a_young_node() {
    let node = start_node();
    let dir = node.datadir.path();
    // -getinfo shows what the node can tell, or the node's error; never a crash.
    let (code, out, err) = cli(dir, &["-ipcconnect=unix", "-getinfo"]);
    assert!(
        (code == 0 && !out.is_empty()) || err.starts_with("error code: "),
        "exit {code}, stdout {out:?}, stderr {err:?}"
    );
    // -generate asks the wallet for an address first; without one, that call's error.
    let (code, out, err) = cli(dir, &["-ipcconnect=unix", "-generate", "1"]);
    assert_eq!(out, "");
    assert!(err.starts_with("error code: "), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn bitcoin_rpc_runs_the_cli_through_the_wrapper() {
    let node = start_node();
    let datadir = datadir_arg(node.datadir.path());
    let (code, out, err) = run(&bin("bitcoin"), &["rpc", "-regtest", &datadir, "uptime"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.trim_end().parse::<u64>().is_ok(), "{out}");
    // `bitcoin rpc` passes -named: name=value arguments.
    let (code, out, err) = run(
        &bin("bitcoin"),
        &["rpc", "-regtest", &datadir, "echo", "arg0=named"],
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "[\n  \"named\"\n]\n"),
        "stderr: {err}"
    );
}
