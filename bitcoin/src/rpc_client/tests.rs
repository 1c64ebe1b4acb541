//! Whole runs against a scripted transport: what is sent, what is printed, exit codes.

use std::collections::VecDeque;

use super::command::{exit_code, format_error, format_result, Options};
use super::*;

/// Answers each request with the next scripted reply and records what was sent.
#[derive(Default)]
struct Script {
    replies: VecDeque<Result<String, CliError>>,
    sent: Vec<(String, String)>,
}

impl Script {
    fn new(replies: &[&str]) -> Script {
        Script {
            replies: replies.iter().map(|r| Ok(r.to_string())).collect(),
            sent: Vec::new(),
        }
    }
}

impl Transport for Script {
    fn send(&mut self, request: &Json, endpoint: &str) -> Result<Json, CliError> {
        self.sent.push((endpoint.to_string(), request.write()));
        let reply = self
            .replies
            .pop_front()
            .unwrap_or_else(|| Err(CliError::Other("unexpected request".into())))?;
        Ok(Json::parse(&reply).unwrap_or_else(|| panic!("bad scripted reply {reply}")))
    }
}

fn options() -> Options {
    Options {
        rpc_id: "1".into(),
        ..Options::default()
    }
}

fn run(script: &mut Script, options: &Options, args: &[&str]) -> Outcome {
    let args = args.iter().map(|s| s.to_string()).collect();
    run_with(script, options, args, &mut &b""[..], false)
}

const OK_NULL: &str = r#"{"result":null,"error":null,"id":"1"}"#;

#[test]
fn results_print_like_core() {
    let mut script = Script::new(&[
        r#"{"result":"hello world","error":null,"id":"1"}"#,
        r#"{"result":42,"error":null,"id":"1"}"#,
        r#"{"result":{"a":[],"b":0.00001000},"error":null,"id":"1"}"#,
        OK_NULL,
    ]);
    let o = options();
    let out = run(&mut script, &o, &["echo", "hello world"]);
    assert_eq!(
        out,
        Outcome {
            stdout: "hello world\n".into(),
            stderr: String::new(),
            code: 0
        }
    );
    assert_eq!(run(&mut script, &o, &["uptime"]).stdout, "42\n");
    assert_eq!(
        run(&mut script, &o, &["getblock", "00"]).stdout,
        "{\n  \"a\": [\n  ],\n  \"b\": 0.00001000\n}\n"
    );
    let out = run(&mut script, &o, &["stop"]);
    assert_eq!(
        (out.stdout.as_str(), out.code),
        ("", 0),
        "null prints nothing"
    );
    assert_eq!(
        script.sent[0],
        (
            "/".into(),
            r#"{"method":"echo","params":["hello world"],"id":"1","jsonrpc":"2.0"}"#.into()
        )
    );
}

#[test]
fn errors_print_code_and_message_and_exit_with_the_code() {
    let mut script = Script::new(&[
        r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"1"}"#,
        r#"{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":"1"}"#,
        r#"{"result":null,"error":{"code":-19,"message":"Multiple wallets are loaded."},"id":"1"}"#,
        r#"{"result":null,"error":"plain","id":"1"}"#,
    ]);
    let o = options();
    let out = run(&mut script, &o, &["nosuchmethod"]);
    assert_eq!(
        out,
        Outcome {
            stdout: String::new(),
            stderr: "error code: -32601\nerror message:\nMethod not found\n".into(),
            code: 89 // 32601 % 256, as a shell sees Core's exit(32601)
        }
    );
    let out = run(&mut script, &o, &["getblockhash", "1000"]);
    assert_eq!(out.code, 8);
    assert_eq!(
        out.stderr,
        "error code: -8\nerror message:\nBlock height out of range\n"
    );
    let out = run(&mut script, &o, &["getbalance"]);
    assert_eq!(out.code, 19);
    assert!(out.stderr.ends_with("Multiple wallets are loaded. Or for the CLI, specify the \"-rpcwallet=<walletname>\" option before the command (run \"bitcoin-cli -h\" for help or \"bitcoin-cli listwallets\" to see which wallets are currently loaded).\n"), "{}", out.stderr);
    let out = run(&mut script, &o, &["x"]);
    assert_eq!((out.stderr.as_str(), out.code), ("error: \"plain\"\n", 1));
}

#[test]
fn exit_codes_and_formatting_helpers() {
    assert_eq!(exit_code(-1), 1);
    assert_eq!(exit_code(-28), 28);
    assert_eq!(exit_code(-32700), 188);
    assert_eq!(exit_code(-256), 1, "never 0 for an error");
    assert_eq!(exit_code(i64::MIN), 1);
    let printed = format_error(&Json::parse(r#"{"message":"no code"}"#).expect("json"));
    assert_eq!(
        (printed.text.as_str(), printed.code),
        ("error message:\nno code", 1)
    );
    assert_eq!(format_result(&Json::str("a\"b")), "a\"b");
    assert_eq!(format_result(&Json::Bool(true)), "true");
    assert_eq!(format_result(&Json::Null), "");
}

#[test]
fn local_failures_are_error_lines_with_exit_1() {
    let o = options();
    let mut script = Script::default();
    let out = run(&mut script, &o, &[]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error: too few parameters (need at least command)\n", 1)
    );
    let out = run(&mut script, &o, &["getblockhash", "x"]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error: Error parsing JSON: x\n", 1)
    );
    assert!(script.sent.is_empty(), "nothing sent for bad arguments");
    let mut failing = Script {
        replies: [Err(CliError::Connection("Could not connect".into()))].into(),
        sent: Vec::new(),
    };
    let out = run(&mut failing, &o, &["uptime"]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error: Could not connect\n", 1)
    );
    let mut empty = Script::new(&["{}"]);
    let out = run(&mut empty, &o, &["uptime"]);
    assert_eq!(
        out.stderr,
        "error: expected reply to have result, error and id properties\n"
    );
}

#[test]
fn named_stdin_and_wallet_endpoint() {
    let mut o = options();
    o.named = true;
    o.stdin = true;
    o.rpcwallet = Some("my wallet".into());
    let mut script = Script::new(&[OK_NULL]);
    let args = vec!["echo".to_string(), "arg0=a".to_string()];
    let out = run_with(&mut script, &o, args, &mut &b"arg1=b\r\n\nlast"[..], false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        script.sent[0],
        (
            "/wallet/my%20wallet".into(),
            r#"{"method":"echo","params":{"arg0":"a","arg1":"b\r","args":["","last"]},"id":"1","jsonrpc":"2.0"}"#
                .into()
        ),
        "one argument per line, only the newline removed"
    );
}

#[test]
fn getinfo_runs_the_batch_and_prints_text() {
    let mut o = options();
    o.getinfo = true;
    o.commands = vec!["getinfo"];
    let batch = r#"[{"result":{"version":1,"timeoffset":0,"connections_in":0,"connections_out":0,"connections":0,"networks":[],"relayfee":0.00001000,"warnings":""},"error":null,"id":0},
        {"result":{"chain":"regtest","blocks":0,"headers":0,"verificationprogress":1,"difficulty":4.656542373906925e-10},"error":null,"id":1},
        {"result":null,"error":{"code":-32601,"message":"Method not found"},"id":2},
        {"result":null,"error":{"code":-32601,"message":"Method not found"},"id":3}]"#;
    let listwallets =
        r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"1"}"#;
    let mut script = Script::new(&[batch, listwallets]);
    let out = run(&mut script, &o, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "Chain: regtest\nBlocks: 0\nHeaders: 0\nVerification progress: 100.0000%\nDifficulty: 4.656542373906925e-10\n\n\
         Network: in 0, out 0, total 0\nVersion: 1\nTime offset (s): 0\nProxies: n/a\nMin tx relay fee rate (BTC/kvB): 0.00001000\n\n\
         Warnings: (none)\n"
    );
    assert!(script.sent[0]
        .1
        .starts_with(r#"[{"method":"getnetworkinfo""#));
    assert!(script.sent[1].1.contains(r#""method":"listwallets""#));
    let out = run(&mut Script::default(), &o, &["extra"]);
    assert_eq!(out.stderr, "error: -getinfo takes no arguments\n");
}

#[test]
fn getinfo_without_batch_support_sends_one_by_one() {
    let mut o = options();
    o.getinfo = true;
    let not_batch =
        r#"{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null}"#;
    let missing = |id: u8| {
        format!(
            r#"{{"result":null,"error":{{"code":-32601,"message":"Method not found"}},"id":{id}}}"#
        )
    };
    let chain = r#"{"result":{"chain":"regtest","blocks":3,"headers":3,"verificationprogress":1,"difficulty":1},"error":null,"id":1}"#;
    let (m0, m2, m3, m4) = (missing(0), missing(2), missing(3), missing(1));
    let mut script = Script::new(&[not_batch, &m0, chain, &m2, &m3, &m4]);
    let out = run(&mut script, &o, &[]);
    assert_eq!(
        out.stdout,
        "Chain: regtest\nBlocks: 3\nHeaders: 3\nVerification progress: 100.0000%\nDifficulty: 1\n"
    );
    assert_eq!(script.sent.len(), 6);
    assert!(script.sent[2]
        .1
        .starts_with(r#"{"method":"getblockchaininfo""#));
    // Neither chain nor network information: Core's error for getnetworkinfo.
    let mut script = Script::new(&[&format!("[{m0},{m4},{m2},{m3}]")]);
    let out = run(&mut script, &o, &[]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error code: -32601\nerror message:\nMethod not found\n", 89)
    );
}

#[test]
fn generate_asks_the_wallet_for_an_address_first() {
    let mut o = options();
    o.generate = true;
    o.commands = vec!["generate"];
    let no_wallet = r#"{"result":null,"error":{"code":-18,"message":"No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)"},"id":"1"}"#;
    let mut script = Script::new(&[no_wallet]);
    let out = run(&mut script, &o, &["2"]);
    assert_eq!(out.code, 18);
    assert!(
        out.stderr
            .starts_with("error code: -18\nerror message:\nNo wallet is loaded."),
        "{}",
        out.stderr
    );
    assert_eq!(script.sent.len(), 1);
    assert!(script.sent[0]
        .1
        .contains(r#""method":"getnewaddress","params":[]"#));

    let address = r#"{"result":"bcrt1qaddr","error":null,"id":"1"}"#;
    let blocks = r#"{"result":["aa","bb"],"error":null,"id":1}"#;
    let mut script = Script::new(&[address, blocks]);
    let out = run(&mut script, &o, &["2", "50"]);
    assert_eq!(
        out.stdout,
        "{\n  \"address\": \"bcrt1qaddr\",\n  \"blocks\": [\n    \"aa\",\n    \"bb\"\n  ]\n}\n"
    );
    assert_eq!(
        script.sent[1].1,
        r#"{"method":"generatetoaddress","params":[2,"bcrt1qaddr",50],"id":1,"jsonrpc":"2.0"}"#
    );
    for (args, message) in [
        (&["0"][..], "error: the first argument (number of blocks to generate, default: 1) must be an integer value greater than zero\n"),
        (&["1", "2", "3"], "error: too many arguments (maximum 2 for nblocks and maxtries)\n"),
    ] {
        let mut script = Script::new(&[address]);
        assert_eq!(run(&mut script, &o, args).stderr, message);
    }
    let mut script = Script::new(&[address, blocks]);
    run(&mut script, &o, &[]);
    assert!(script.sent[1].1.contains(r#""params":[1,"bcrt1qaddr"]"#));
}

#[test]
fn only_one_cli_command() {
    let mut o = options();
    o.getinfo = true;
    o.commands = vec!["generate", "getinfo"];
    let out = run(&mut Script::default(), &o, &[]);
    assert_eq!(
        out.stderr,
        "error: Only one of -generate, -getinfo may be specified.\n"
    );
}

fn netinfo_options() -> Options {
    Options {
        netinfo: true,
        commands: vec!["netinfo"],
        chain: Some(common::Chain::Regtest),
        ..options()
    }
}

#[test]
fn netinfo_runs_the_batch_and_prints_the_dashboard() {
    let o = netinfo_options();
    // Out of order, as a server may answer; a node without `networks` shows the loopback
    // peer in the "npr" column only.
    let batch = r#"[{"result":{"version":290000,"protocolversion":70016,"subversion":"/n:1/","localservicesnames":["NETWORK"],"localaddresses":[]},"error":null,"id":1},
        {"result":[{"id":7,"network":"not_publicly_routable","inbound":true,"connection_type":"inbound"}],"error":null,"id":0}]"#;
    let mut script = Script::new(&[batch]);
    let out = run(&mut script, &o, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "bitcoin-cli client v{} regtest - server 70016/n:1/\n\n          npr   total   block\n\
             in          1       1\n\
             out         0       0       0\n\
             total       1       1\n\n\
             Local services: network\n\n\
             Local addresses: n/a\n\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(
        script.sent,
        [(
            "/".to_string(),
            r#"[{"method":"getpeerinfo","params":null,"id":0,"jsonrpc":"2.0"},{"method":"getnetworkinfo","params":null,"id":1,"jsonrpc":"2.0"}]"#.to_string()
        )]
    );
}

#[test]
fn netinfo_help_bad_levels_and_node_errors() {
    let o = netinfo_options();
    let mut script = Script::default();
    let out = run(&mut script, &o, &["help"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, format!("{}\n", netinfo::HELP));
    let out = run(&mut script, &o, &["5x"]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        (
            "error: invalid -netinfo level argument: 5x\nFor more information, run: bitcoin-cli -netinfo help\n",
            1
        )
    );
    assert!(
        script.sent.is_empty(),
        "nothing sent for help or a bad level"
    );
    let missing = r#"[{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":0},{"result":{},"error":null,"id":1}]"#;
    let out = run(&mut Script::new(&[missing]), &o, &["1"]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error code: -32601\nerror message:\nMethod not found\n", 89)
    );
    let mut both = netinfo_options();
    both.getinfo = true;
    both.commands = vec!["getinfo", "netinfo"];
    let out = run(&mut Script::default(), &both, &[]);
    assert_eq!(
        out.stderr,
        "error: Only one of -getinfo, -netinfo may be specified.\n"
    );
}

#[test]
fn rpcwait_retries_connection_failures_and_warmup() {
    let mut o = options();
    o.wait = true;
    o.wait_timeout = 30;
    let mut script = Script {
        replies: [
            Err(CliError::Connection("refused".into())),
            Ok(r#"{"result":null,"error":{"code":-28,"message":"Loading"},"id":"1"}"#.into()),
            Ok(r#"{"result":7,"error":null,"id":"1"}"#.into()),
        ]
        .into(),
        sent: Vec::new(),
    };
    let out = run(&mut script, &o, &["uptime"]);
    assert_eq!((out.stdout.as_str(), out.code), ("7\n", 0));
    assert_eq!(script.sent.len(), 3);
    o.wait_timeout = 1;
    let mut script = Script {
        replies: (0..5)
            .map(|_| Err(CliError::Connection("refused".into())))
            .collect(),
        sent: Vec::new(),
    };
    let out = run(&mut script, &o, &["uptime"]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error: timeout on transient error: refused\n", 1)
    );
}

#[test]
fn help_version_and_no_arguments() {
    let out = main(&[], &mut &b""[..], false);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "Error: too few parameters\n");
    assert!(out.stdout.starts_with("bitcoin-cli version v"));
    for flag in ["-h", "-help", "-?", "--help"] {
        let out = main(&[flag.to_string()], &mut &b""[..], false);
        assert_eq!(out.code, 0);
        for option in [
            "-rpcconnect=<ip>",
            "-named",
            "-getinfo",
            "-ipcconnect=<address>",
            "-regtest",
            "-datadir=<dir>",
        ] {
            assert!(out.stdout.contains(option), "{option} missing");
        }
    }
    let out = main(&["-version".to_string()], &mut &b""[..], false);
    assert_eq!(out.stdout, version());
    let out = main(&["-nosuchoption".to_string()], &mut &b""[..], false);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        (
            "Error parsing command line arguments: Invalid parameter -nosuchoption\n",
            1
        )
    );
    let out = main(
        &["-datadir=/no/such/dir".to_string(), "uptime".to_string()],
        &mut &b""[..],
        false,
    );
    assert_eq!(
        (out.stderr.as_str(), out.code),
        (
            "Error: Specified data directory \"/no/such/dir\" does not exist.\n",
            1
        )
    );
    let out = main(
        &["-named=maybe".to_string(), "uptime".to_string()],
        &mut &b""[..],
        false,
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with("error: Invalid value for -named"),
        "{}",
        out.stderr
    );
}

/// A one-connection HTTP server answering `status` and `body`; returns what it received.
fn fake_server(status: &str, body: &str) -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.ends_with(b"\n") || !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        conn.write_all(response.as_bytes()).expect("write");
        String::from_utf8(seen).expect("utf-8 request")
    });
    (port, handle)
}

fn main_in(dir: &std::path::Path, args: &[&str]) -> Outcome {
    let mut all = vec![format!("-datadir={}", dir.display()), "-regtest".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    main(&all, &mut &b""[..], false)
}

#[test]
fn http_round_trip_with_the_cookie() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("regtest")).expect("mkdir");
    std::fs::write(dir.path().join("regtest/.cookie"), "__cookie__:c0ffee").expect("cookie");
    let (port, server) = fake_server("200 OK", r#"{"result":["a b"],"error":null,"id":"1"}"#);
    let rpcport = format!("-rpcport={port}");
    let out = main_in(
        dir.path(),
        &["-ipcconnect=0", &rpcport, "-rpcwallet=w/1", "echo", "a b"],
    );
    assert_eq!(out.stdout, "[\n  \"a b\"\n]\n", "{}", out.stderr);
    let request = server.join().expect("server");
    let body = r#"{"method":"echo","params":["a b"],"id":"1","jsonrpc":"2.0"}"#;
    assert_eq!(
        request,
        format!(
            "POST /wallet/w%2F1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\nContent-Type: application/json\r\nAuthorization: Basic {}\r\n\r\n{body}\n",
            body.len() + 1,
            http::base64(b"__cookie__:c0ffee")
        )
    );
}

#[test]
fn http_user_password_and_401() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (port, server) = fake_server("401 Unauthorized", "");
    let rpcport = format!("-rpcport={port}");
    let out = main_in(
        dir.path(),
        &[
            "-ipcconnect=0",
            &rpcport,
            "-rpcuser=u",
            "-rpcpassword=p",
            "uptime",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!(
            "error: Authorization failed: Incorrect rpcuser or rpcpassword were specified. Configuration file: ({})\n",
            dir.path().join("bitcoin.conf").display()
        )
    );
    let request = server.join().expect("server");
    assert!(
        request.contains(&format!(
            "Authorization: Basic {}\r\n",
            http::base64(b"u:p")
        )),
        "{request}"
    );
    // RPC errors come with HTTP 404/500 and are shown as RPC errors.
    let (port, server) = fake_server(
        "404 Not Found",
        r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"1"}"#,
    );
    let rpcport = format!("-rpcport={port}");
    let out = main_in(
        dir.path(),
        &["-noipcconnect", &rpcport, "-rpcpassword=p", "nosuch"],
    );
    assert_eq!(
        (out.stderr.as_str(), out.code),
        ("error code: -32601\nerror message:\nMethod not found\n", 89)
    );
    server.join().expect("server");
}

#[test]
fn node_settings_in_bitcoin_conf_are_ignored_but_not_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bitcoin.conf"),
        "server=1\ntxindex=1\n[regtest]\nrpcbind=127.0.0.1\nrpcport=1\nipcconnect=0\n",
    )
    .expect("write bitcoin.conf");
    let out = main_in(dir.path(), &["uptime"]);
    assert!(
        out.stderr.contains("server 127.0.0.1:1 (Could not connect"),
        "the file was read: {}",
        out.stderr
    );
    let out = main_in(dir.path(), &["-server", "uptime"]);
    assert_eq!(
        (out.stderr.as_str(), out.code),
        (
            "Error parsing command line arguments: Invalid parameter -server\n",
            1
        )
    );
    std::fs::write(dir.path().join("bitcoin.conf"), "nosuchkey=1\n").expect("write");
    let out = main_in(dir.path(), &["uptime"]);
    assert!(
        out.stderr.contains("Invalid configuration value nosuchkey"),
        "{}",
        out.stderr
    );
}
