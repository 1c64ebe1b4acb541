//! The node's JSON-RPC server over real HTTP (a small client on `TcpStream`) and over IPC:
//! authentication, Core's reply shapes and statuses, bad input, control methods, shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use interfaces::Init;
use tests::{bin, eventually, run, Node, DEADLINE};

/// Core's `test/functional/rpc_users.py` credentials: `-rpcauth` line and its password.
const RPCAUTH: &str = "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144";
const RPCAUTH_PASSWORD: &str = "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=";

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An HTTP response.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: String,
    body: String,
}

impl Response {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// Sends one request (`Connection: close`) and reads the whole response.
fn http(port: u16, method: &str, path: &str, auth: Option<&str>, body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the RPC port");
    stream
        .set_read_timeout(Some(DEADLINE))
        .expect("read timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(user_password) = auth {
        head += &format!(
            "Authorization: Basic {}\r\n",
            base64(user_password.as_bytes())
        );
    }
    head += "\r\n";
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body).expect("send body");
    read_response(stream)
}

fn read_response(mut stream: TcpStream) -> Response {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    Response {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

/// A node with its RPC server on a free port.
struct RpcNode {
    node: Node,
    port: u16,
}

impl RpcNode {
    fn start(extra: &[&str]) -> RpcNode {
        let port = free_port();
        let port_arg = format!("-rpcport={port}");
        let mut args = vec![port_arg.as_str(), "-printtoconsole=0"];
        args.extend_from_slice(extra);
        let node = Node::start(&args);
        assert!(
            eventually(DEADLINE, || TcpStream::connect(("127.0.0.1", port)).is_ok()),
            "RPC port {port} not open"
        );
        RpcNode { node, port }
    }

    fn cookie_path(&self) -> std::path::PathBuf {
        self.node.net_dir().join(".cookie")
    }

    /// The cookie's `user:password`, once the server wrote it.
    fn cookie(&self) -> String {
        let path = self.cookie_path();
        assert!(eventually(DEADLINE, || path.exists()), "no cookie file");
        std::fs::read_to_string(path).expect("read cookie")
    }

    fn post(&self, auth: &str, body: &str) -> Response {
        http(self.port, "POST", "/", Some(auth), body.as_bytes())
    }

    /// A JSON-RPC 2.0 call with the cookie; the whole reply.
    fn call(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response = self.post(&self.cookie(), &body.to_string());
        assert_eq!(response.status, 200, "{response:?}");
        response.json()
    }

    fn debug_log(&self) -> String {
        std::fs::read_to_string(self.node.net_dir().join("debug.log")).unwrap_or_default()
    }
}

#[test]
fn cookie_is_owner_only_works_and_is_removed_at_sigterm() {
    let mut n = RpcNode::start(&[]);
    let cookie = n.cookie();
    let (user, password) = cookie.split_once(':').expect("user:password");
    assert_eq!(user, "__cookie__");
    assert!(password.len() == 64 && password.bytes().all(|b| b.is_ascii_hexdigit()));
    let mode = std::fs::metadata(n.cookie_path())
        .expect("cookie")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let uptime = n.call("uptime", serde_json::json!([]));
    assert!(
        uptime["result"].as_u64().is_some_and(|s| s < 60),
        "{uptime}"
    );
    let status = n.node.process.stop();
    assert!(status.success(), "{status}");
    assert!(!n.cookie_path().exists(), "cookie left behind");
}

#[test]
fn user_password_and_rpcauth_and_wrong_credentials() {
    let rpcauth = format!("-rpcauth={RPCAUTH}");
    let n = RpcNode::start(&["-rpcuser=alice", "-rpcpassword=secret", &rpcauth]);
    let uptime = r#"{"method":"uptime","id":1}"#;
    assert_eq!(n.post("alice:secret", uptime).status, 200);
    let rt = format!("rt:{RPCAUTH_PASSWORD}");
    assert_eq!(n.post(&rt, uptime).json()["error"], serde_json::Value::Null);
    assert!(!n.cookie_path().exists(), "no cookie with -rpcpassword");
    let started = Instant::now();
    let wrong = n.post("alice:wrong", uptime);
    assert_eq!(wrong.status, 401);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "no brute-force delay"
    );
    assert!(wrong
        .headers
        .contains("www-authenticate: basic realm=\"jsonrpc\""));
    let missing = http(n.port, "POST", "/", None, uptime.as_bytes());
    assert_eq!(missing.status, 401);
    assert!(missing.headers.contains("www-authenticate"));
    assert_eq!(n.post("rt:wrong", uptime).status, 401);
    // Still serving.
    assert_eq!(n.post("alice:secret", uptime).status, 200);
}

#[test]
fn json_rpc_versions_batches_and_statuses() {
    let n = RpcNode::start(&[]);
    let auth = n.cookie();
    let v1 = n.post(&auth, r#"{"method":"echo","params":["a"],"id":"x"}"#);
    assert_eq!(
        (v1.status, v1.json()),
        (
            200,
            serde_json::json!({"result": ["a"], "error": null, "id": "x"})
        )
    );
    assert!(v1.headers.contains("content-type: application/json"));
    // Numbers come back as sent, as UniValue keeps them.
    let numbers = n.post(
        &auth,
        r#"{"method":"echo","params":[0.00001000,1.50,-0],"id":1}"#,
    );
    assert_eq!(
        numbers.body,
        "{\"result\":[0.00001000,1.50,-0],\"error\":null,\"id\":1}\n"
    );
    let v2 = n.post(
        &auth,
        r#"{"jsonrpc":"2.0","method":"echo","params":["a"],"id":7}"#,
    );
    assert_eq!(
        v2.json(),
        serde_json::json!({"jsonrpc": "2.0", "result": ["a"], "id": 7})
    );
    let unknown_v1 = n.post(&auth, r#"{"method":"nosuchmethod","id":1}"#);
    assert_eq!(unknown_v1.status, 404);
    assert_eq!(
        unknown_v1.json(),
        serde_json::json!({"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": 1})
    );
    let unknown_v2 = n.post(&auth, r#"{"jsonrpc":"2.0","method":"nosuchmethod","id":1}"#);
    assert_eq!(unknown_v2.status, 200);
    assert_eq!(
        unknown_v2.json(),
        serde_json::json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1})
    );
    let notification = n.post(&auth, r#"{"jsonrpc":"2.0","method":"uptime"}"#);
    assert_eq!((notification.status, notification.body.as_str()), (204, ""));
    let batch = n.post(
        &auth,
        r#"[{"jsonrpc":"2.0","method":"echo","params":[1],"id":1},{"method":"nosuchmethod","id":2},7,{"jsonrpc":"2.0","method":"uptime"}]"#,
    );
    assert_eq!(batch.status, 200);
    let replies = batch.json();
    assert_eq!(replies.as_array().map(Vec::len), Some(3), "{replies}");
    assert_eq!(replies[0]["result"], serde_json::json!([1]));
    assert_eq!(replies[1]["error"]["code"], serde_json::json!(-32601));
    assert_eq!(
        replies[2]["error"],
        serde_json::json!({"code": -32600, "message": "Invalid Request object"})
    );
    let all_notifications = n.post(&auth, r#"[{"jsonrpc":"2.0","method":"uptime"}]"#);
    assert_eq!(all_notifications.status, 204);
    let malformed = n.post(&auth, r#"{"method": "uptime""#);
    assert_eq!(malformed.status, 500);
    assert_eq!(
        malformed.json()["error"],
        serde_json::json!({"code": -32700, "message": "Parse error"})
    );
    let top_level = n.post(&auth, "42");
    assert_eq!(top_level.json()["error"]["code"], serde_json::json!(-32700));
    let invalid = n.post(&auth, r#"{"id":1,"params":[]}"#);
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.json()["error"],
        serde_json::json!({"code": -32600, "message": "Missing method"})
    );
    let params = n.post(&auth, r#"{"method":"uptime","params":3,"id":1}"#);
    assert_eq!(
        params.json()["error"]["message"],
        "Params must be an array or object"
    );
}

#[test]
fn parameter_errors_named_parameters_and_endpoints() {
    let n = RpcNode::start(&[]);
    let auth = n.cookie();
    let wrong_type = n.call("help", serde_json::json!([1]));
    assert_eq!(wrong_type["error"]["code"], -3);
    assert_eq!(
        wrong_type["error"]["message"],
        "Wrong type passed:\n{\n    \"Position 1 (command)\": \"JSON value of type number is not of expected type string\"\n}"
    );
    let wrong_count = n.call("uptime", serde_json::json!([1]));
    assert_eq!(wrong_count["error"]["code"], -1);
    let help_text = wrong_count["error"]["message"].as_str().unwrap_or_default();
    assert!(
        help_text.starts_with("uptime\n\nReturns the total uptime of the server."),
        "{help_text}"
    );
    let named = n.call("echo", serde_json::json!({"arg0": "x"}));
    assert_eq!(named["result"], serde_json::json!(["x"]));
    let holes = n.call("echo", serde_json::json!({"arg2": 5, "arg0": "x"}));
    assert_eq!(holes["result"], serde_json::json!(["x", null, 5]));
    let unknown = n.call("echo", serde_json::json!({"nope": 1}));
    assert_eq!(
        unknown["error"],
        serde_json::json!({"code": -8, "message": "Unknown named parameter nope"})
    );
    let bad_category = n.call("logging", serde_json::json!([["nosuchcategory"]]));
    assert_eq!(
        bad_category["error"],
        serde_json::json!({"code": -8, "message": "unknown logging category nosuchcategory"})
    );

    // As in Core: the node's own methods run at any wallet endpoint; a wallet method at the
    // endpoint of a wallet that is not loaded says so.
    let body = br#"{"jsonrpc":"2.0","method":"uptime","id":1}"#;
    let wallet = http(n.port, "POST", "/wallet/foo", Some(&auth), body);
    assert_eq!(wallet.status, 200);
    assert!(wallet.json()["error"].is_null(), "{:?}", wallet.json());
    let body = br#"{"jsonrpc":"2.0","method":"getbalance","id":1}"#;
    let wallet = http(n.port, "POST", "/wallet/foo", Some(&auth), body);
    assert_eq!(
        wallet.json()["error"],
        serde_json::json!({"code": -18, "message": "Requested wallet does not exist or is not loaded"})
    );
    assert_eq!(
        http(n.port, "POST", "/nowhere", Some(&auth), body).status,
        404
    );
    let get = http(n.port, "GET", "/", Some(&auth), b"");
    assert_eq!(
        (get.status, get.body.as_str()),
        (405, "JSONRPC server handles only POST requests")
    );

    // A body declared over 32 MiB is refused without being read; the server keeps serving.
    let mut stream = TcpStream::connect(("127.0.0.1", n.port)).expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Length: {}\r\n\r\n",
        base64(auth.as_bytes()),
        33 << 20
    );
    stream.write_all(head.as_bytes()).expect("send");
    assert_eq!(read_response(stream).status, 413);
    assert_eq!(
        n.call("uptime", serde_json::json!([]))["error"],
        serde_json::Value::Null
    );
}

#[test]
fn help_uptime_getrpcinfo_and_logging() {
    let n = RpcNode::start(&[]);
    let help = n.call("help", serde_json::json!([]))["result"].clone();
    let help = help.as_str().expect("help text");
    // Categories in Core's order (sorted by name).
    assert!(help.starts_with("== Blockchain ==\n"), "{help}");
    assert!(help.contains("\n== Control ==\n"), "{help}");
    for method in [
        "getrpcinfo",
        "help",
        "logging",
        "stop",
        "uptime",
        "getblockcount",
        "getbestblockhash",
        "getblockhash",
        "getblock",
        "getblockheader",
        "getblockchaininfo",
        "getdifficulty",
        "generatetoaddress",
        "submitblock",
    ] {
        assert!(
            help.lines().any(|l| l.split(' ').next() == Some(method)),
            "{method} missing:\n{help}"
        );
    }
    assert!(
        !help.contains("echo"),
        "hidden methods are not listed, as in Core"
    );
    let echo = n.call("help", serde_json::json!(["echo"]))["result"].clone();
    assert!(
        echo.as_str()
            .is_some_and(|t| t.starts_with("echo ( \"arg0\"")),
        "{echo}"
    );
    let unknown = n.call("help", serde_json::json!(["foo"]));
    assert_eq!(unknown["result"], "help: unknown command: foo");
    let info = n.call("getrpcinfo", serde_json::json!([]))["result"].clone();
    assert_eq!(info["active_commands"][0]["method"], "getrpcinfo");
    assert!(info["active_commands"][0]["duration"].is_u64());
    let logpath = info["logpath"].as_str().unwrap_or_default().to_string();
    assert!(Path::new(&logpath).ends_with("regtest/debug.log"), "{info}");

    let before = n.call("logging", serde_json::json!([]))["result"].clone();
    assert_eq!(before["rpc"], false);
    assert!(!n.debug_log().contains("ThreadRPCServer method="));
    let after = n.call("logging", serde_json::json!({"include": ["rpc"]}))["result"].clone();
    assert_eq!(
        (after["rpc"].clone(), after["net"].clone()),
        (true.into(), false.into())
    );
    n.call("uptime", serde_json::json!([]));
    assert!(
        eventually(DEADLINE, || n
            .debug_log()
            .contains("ThreadRPCServer method=uptime")),
        "rpc debug lines missing:\n{}",
        n.debug_log()
    );
    let all = n.call("logging", serde_json::json!([["all"], ["rpc"]]))["result"].clone();
    assert_eq!(
        (all["rpc"].clone(), all["net"].clone()),
        (false.into(), true.into())
    );
}

#[test]
fn stop_over_rpc_shuts_down_cleanly() {
    let mut n = RpcNode::start(&[]);
    let reply = n.call("stop", serde_json::json!([]));
    assert_eq!(reply["result"], "Bitcoin node stopping");
    let status = n
        .node
        .process
        .wait_timeout(DEADLINE)
        .expect("node exits after stop");
    assert_eq!(status.code(), Some(0));
    let net = n.node.net_dir();
    for file in ["node.sock", ".cookie", "bitcoind.pid"] {
        assert!(!net.join(file).exists(), "{file} left behind");
    }
    assert!(n.debug_log().contains("stop requested over RPC"));
}

#[test]
fn execute_rpc_over_ipc_answers_like_http() {
    let n = RpcNode::start(&[]);
    let (_conn, init) = ipc::connect_init(&n.node.socket()).expect("connect");
    let rpc = init.make_rpc().expect("make_rpc");
    let uptime = rpc
        .execute_rpc(r#"{"jsonrpc":"2.0","id":1,"method":"uptime"}"#, "/", "")
        .expect("executeRpc");
    let uptime: serde_json::Value = serde_json::from_str(&uptime).expect("JSON");
    assert_eq!(uptime["jsonrpc"], "2.0");
    assert!(uptime["result"].is_u64(), "{uptime}");
    for request in [
        r#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"arg0":"ipc"}}"#,
        r#"{"method":"nosuchmethod","id":"a"}"#,
        r#"[{"method":"echo","params":[1],"id":1},{"jsonrpc":"2.0","method":"help","params":["x"],"id":2}]"#,
        "not json",
    ] {
        let over_ipc = rpc.execute_rpc(request, "/", "").expect("executeRpc");
        let over_http = n.post(&n.cookie(), request).json();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&over_ipc).expect("JSON"),
            over_http
        );
    }
    let wallet = rpc
        .execute_rpc(r#"{"method":"getbalance","id":1}"#, "/wallet/w", "")
        .expect("executeRpc");
    assert!(wallet.contains("-18"), "{wallet}");
}

#[test]
fn allow_list_and_bind_errors() {
    // As in Core, loopback is always allowed: -rpcallowip only adds networks. (A client
    // outside the list gets 403; the in-process test of bitcoin-node checks that, as this
    // machine has no other address to connect from.)
    let n = RpcNode::start(&["-rpcallowip=10.0.0.1/32"]);
    assert_eq!(
        n.call("uptime", serde_json::json!([]))["error"],
        serde_json::Value::Null
    );
    assert!(eventually(DEADLINE, || n
        .debug_log()
        .contains("-rpcallowip was specified without -rpcbind")));

    // -server=0: no HTTP server and no cookie (IPC still answers).
    let port = free_port();
    let off = Node::start(&["-server=0", &format!("-rpcport={port}")]);
    let (_conn, init) = ipc::connect_init(&off.socket()).expect("connect");
    let reply =
        init.make_rpc()
            .expect("make_rpc")
            .execute_rpc(r#"{"method":"uptime","id":1}"#, "/", "");
    assert!(reply.expect("executeRpc").contains("\"error\":null"));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(!off.net_dir().join(".cookie").exists());

    let datadir = tempfile::tempdir().expect("tempdir");
    let d = format!("-datadir={}", datadir.path().display());
    let (code, _, err) = run(&bin("bitcoin-node"), &["-regtest", &d, "-rpcallowip=bogus"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("Invalid -rpcallowip subnet specification"),
        "{err}"
    );
    // An explicit port that is taken is fatal.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let bind = format!(
        "-rpcbind=127.0.0.1:{}",
        busy.local_addr().expect("addr").port()
    );
    let (code, _, err) = run(
        &bin("bitcoin-node"),
        &["-regtest", &d, "-rpcallowip=127.0.0.1", &bind],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Unable to bind any endpoint for RPC server"),
        "{err}"
    );
}

#[test]
fn stop_over_ipc_answers_then_shuts_down() {
    let mut n = RpcNode::start(&[]);
    let (_conn, init) = ipc::connect_init(&n.node.socket()).expect("connect");
    let rpc = init.make_rpc().expect("make_rpc");
    let reply = rpc
        .execute_rpc(r#"{"jsonrpc":"2.0","id":1,"method":"stop"}"#, "/", "")
        .expect("executeRpc");
    assert_eq!(
        reply,
        r#"{"jsonrpc":"2.0","result":"Bitcoin node stopping","id":1}"#
    );
    let status = n.node.process.wait_timeout(DEADLINE).expect("node exits");
    assert_eq!(status.code(), Some(0));
    assert!(!n.node.socket().exists() && !n.cookie_path().exists());
}
