//! In-process tests of the dispatcher and the HTTP server against Core's behaviour.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use super::*;
use crate::config::{AllowList, Subnet};
use crate::dispatch::{HTTP_BAD_REQUEST, HTTP_INTERNAL_SERVER_ERROR, HTTP_NOT_FOUND, HTTP_OK};

fn dispatcher() -> (Arc<Dispatcher>, Arc<AtomicUsize>) {
    let stops = Arc::new(AtomicUsize::new(0));
    let counter = stops.clone();
    let control = Control {
        started: Instant::now(),
        shutdown: Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
        log: None,
    };
    let mut table = control_table(&control);
    table.register(
        Method::new("sum", "util", "Adds.")
            .param(Param::required("a", ParamType::Num, "first"))
            .param(Param::default("b", ParamType::Num, 10, "second"))
            .param(Param::optional("c|alias", ParamType::Num, "third"))
            .result("n    (numeric) the sum")
            .handler(|p| {
                let c = p.maybe_arg::<i64>("c")?.unwrap_or(0);
                Ok((p.arg::<i64>("a")? + p.arg::<i64>("b")? + c).into())
            }),
    );
    table.register(Method::new("boom", "util", "Panics.").handler(|_| panic!("kaboom")));
    (Arc::new(Dispatcher::new(table)), stops)
}

const ROOT: Caller<'static> = Caller {
    uri: "/",
    user: "u",
};

fn run(d: &Dispatcher, body: &str) -> Reply {
    d.execute_body(body.as_bytes(), ROOT)
}

fn error_of(reply: &Reply) -> (i64, String) {
    let error = &reply.body.as_ref().expect("body")["error"];
    (
        error["code"].as_i64().expect("code"),
        error["message"].as_str().expect("message").to_string(),
    )
}

#[test]
fn version_1_and_2_shapes_and_statuses() {
    let (d, _) = dispatcher();
    let r = run(&d, r#"{"method":"sum","params":[1,2],"id":"x"}"#);
    assert_eq!(r.status, HTTP_OK);
    assert_eq!(
        r.body,
        Some(json!({"result": 13 - 10, "error": null, "id": "x"}))
    );
    let r = run(
        &d,
        r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":1}"#,
    );
    assert_eq!(
        r.body,
        Some(json!({"jsonrpc": "2.0", "result": 11, "id": 1}))
    );
    // 1.0 errors are HTTP errors: 404 for an unknown method, 500 for others.
    let r = run(&d, r#"{"method":"nope","id":1}"#);
    assert_eq!(
        (r.status, error_of(&r)),
        (HTTP_NOT_FOUND, (-32601, "Method not found".into()))
    );
    assert_eq!(r.body.as_ref().expect("body")["result"], Value::Null);
    let r = run(&d, r#"{"method":"sum","params":["x"],"id":1}"#);
    assert_eq!(r.status, HTTP_INTERNAL_SERVER_ERROR);
    // 2.0 errors are HTTP 200 without "result".
    let r = run(&d, r#"{"jsonrpc":"2.0","method":"nope","id":1}"#);
    assert_eq!(r.status, HTTP_OK);
    assert!(r.body.as_ref().expect("body").get("result").is_none());
    // Notifications run but get no reply.
    let r = run(&d, r#"{"jsonrpc":"2.0","method":"stop"}"#);
    assert_eq!((r.status, r.body), (204, None));
    // Invalid request objects are 400, even in 2.0 (as Core does).
    let r = run(&d, r#"{"jsonrpc":"2.0","id":5}"#);
    assert_eq!(
        (r.status, error_of(&r)),
        (HTTP_BAD_REQUEST, (-32600, "Missing method".into()))
    );
    assert_eq!(r.body.as_ref().expect("body")["id"], json!(5));
}

#[test]
fn parse_errors_and_batches() {
    let (d, stops) = dispatcher();
    let r = run(&d, "{nope");
    assert_eq!(
        (r.status, error_of(&r)),
        (500, (-32700, "Parse error".into()))
    );
    assert_eq!(
        r.body,
        Some(
            json!({"result": null, "error": {"code": -32700, "message": "Parse error"}, "id": null})
        )
    );
    let r = run(&d, "42");
    assert_eq!(
        error_of(&r),
        (-32700, "Top-level object parse error".into())
    );
    let r = run(
        &d,
        r#"[{"method":"sum","params":[1],"id":1},{"jsonrpc":"2.0","method":"stop"},5,{"jsonrpc":"2.0","method":"x","id":3}]"#,
    );
    assert_eq!(r.status, HTTP_OK);
    let replies = r.body.expect("array");
    // As in Core, the non-object element reuses the state of the notification before it,
    // so it is not answered either.
    assert_eq!(replies.as_array().expect("array").len(), 2);
    assert_eq!(replies[0], json!({"result": 11, "error": null, "id": 1}));
    assert_eq!(stops.load(Ordering::SeqCst), 1, "the notification ran");
    assert_eq!(replies[1]["error"]["code"], json!(-32601));
    assert_eq!(replies[1]["id"], json!(3));
    assert_eq!(run(&d, "[]").body, Some(json!([])));
    let r = run(&d, r#"[{"jsonrpc":"2.0","method":"uptime"}]"#);
    assert_eq!((r.status, r.body), (204, None));
    let r = run(&d, "[1]");
    assert_eq!(r.body.expect("array")[0]["error"]["code"], json!(-32600));
}

#[test]
fn parameter_counts_types_and_names() {
    let (d, _) = dispatcher();
    let r = run(&d, r#"{"method":"sum","params":[],"id":1}"#);
    let (code, message) = error_of(&r);
    assert_eq!(code, -1);
    assert!(
        message.starts_with("sum a ( b c )\n\nAdds.\n\nArguments:\n1. a "),
        "{message}"
    );
    let r = run(&d, r#"{"method":"sum","params":[1,2,3,4],"id":1}"#);
    assert_eq!(error_of(&r).0, -1);
    let r = run(&d, r#"{"method":"sum","params":[1,"2"],"id":1}"#);
    assert_eq!(
        error_of(&r),
        (
            -3,
            "Wrong type passed:\n{\n    \"Position 2 (b)\": \"JSON value of type string is not of expected type number\"\n}"
                .into()
        )
    );
    let call = |params: Value| {
        let body = json!({"jsonrpc": "2.0", "method": "sum", "params": params, "id": 1});
        d.execute(&body, ROOT).body.expect("body")
    };
    assert_eq!(call(json!({"a": 1}))["result"], json!(11));
    assert_eq!(
        call(json!({"a": 1, "alias": 5}))["result"],
        json!(16),
        "hole filled with null"
    );
    assert_eq!(call(json!({"args": [1, 2], "c": 3}))["result"], json!(6));
    let message = |v: Value| {
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        message(call(json!({"a": 1, "z": 1}))),
        "Unknown named parameter z"
    );
    assert_eq!(
        message(call(json!({"args": [1], "a": 2}))),
        "Parameter a specified twice both as positional and named argument"
    );
    assert_eq!(call(json!({"a": 1, "z": 1}))["error"]["code"], json!(-8));
    let r = run(
        &d,
        r#"{"method":"echo","params":{"arg0":"x","arg2":7},"id":1}"#,
    );
    assert_eq!(r.body.expect("body")["result"], json!(["x", null, 7]));
}

#[test]
fn help_lists_categories_and_methods() {
    let (d, _) = dispatcher();
    let help = |args: &str| {
        let r = run(
            &d,
            &format!(r#"{{"method":"help","params":[{args}],"id":1}}"#),
        );
        r.body.expect("body")["result"].clone()
    };
    let all = help("");
    let all = all.as_str().expect("text");
    assert!(
        all.starts_with("== Control ==\ngetrpcinfo\nhelp ( \"command\" )\n"),
        "{all}"
    );
    assert!(
        all.contains("\nstop\nuptime\n\n== Util ==\nboom\nsum a ( b c )"),
        "{all}"
    );
    assert!(!all.contains("echo"), "hidden methods are not listed");
    assert!(!all.ends_with('\n'));
    let echo = help("\"echo\"");
    assert!(echo
        .as_str()
        .expect("text")
        .starts_with("echo ( \"arg0\" \"arg1\""));
    assert_eq!(help("\"foo\""), json!("help: unknown command: foo"));
    let uptime = help("\"uptime\"");
    assert_eq!(
        uptime.as_str().expect("text"),
        "uptime\n\nReturns the total uptime of the server.\n\nResult:\nn    (numeric) The number of seconds that the server has been running\n\nExamples:\n> bitcoin-cli uptime \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"uptime\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"
    );
    let logging = help("\"logging\"");
    assert!(
        logging
            .as_str()
            .expect("text")
            .contains("Arguments:\n1. include                    (json array, optional) The categories to add to debug logging\n     [\n       \"include_category\",    (string) the valid logging category\n       ...\n     ]\n"),
        "{logging}"
    );
    let map = help("\"dump_all_command_conversions\"");
    assert!(map
        .as_array()
        .expect("array")
        .contains(&json!(["sum", 2, "alias", false])));
}

#[test]
fn control_methods_and_failures() {
    let (d, stops) = dispatcher();
    let result = |body: &str| run(&d, body).body.expect("body")["result"].clone();
    assert_eq!(
        result(r#"{"method":"stop","id":1}"#),
        json!("Bitcoin node stopping")
    );
    assert_eq!(stops.load(Ordering::SeqCst), 1);
    assert!(result(r#"{"method":"uptime","id":1}"#)
        .as_u64()
        .is_some_and(|s| s < 5));
    let info = result(r#"{"method":"getrpcinfo","id":1}"#);
    assert_eq!(info["active_commands"][0]["method"], json!("getrpcinfo"));
    assert!(info["active_commands"][0]["duration"].is_u64());
    let r = run(&d, r#"{"method":"boom","id":1}"#);
    let (code, message) = error_of(&r);
    assert_eq!(code, -1);
    assert!(
        message.starts_with("Internal bug detected: kaboom"),
        "{message}"
    );
    let r = run(
        &d,
        r#"{"method":"echo","params":[0,1,2,3,4,5,6,7,8,"trigger_internal_bug"],"id":1}"#,
    );
    assert!(error_of(&r).1.starts_with("Internal bug detected"));
    let wallet = d.execute_body(
        br#"{"method":"uptime","id":1}"#,
        Caller {
            uri: "/wallet/foo",
            user: "",
        },
    );
    assert_eq!(wallet.status, 500);
    assert_eq!(
        error_of(&wallet),
        (
            -18,
            "Requested wallet does not exist or is not loaded".into()
        )
    );
    assert_eq!(dispatch::wallet_name("/wallet/a%20b"), Some("a b".into()));
    assert_eq!(dispatch::wallet_name("/"), None);
    d.set_warmup(Some("Loading blocks...".into()));
    assert_eq!(
        error_of(&run(&d, r#"{"method":"uptime","id":1}"#)),
        (-28, "Loading blocks...".into())
    );
}

#[test]
fn local_rpc_returns_the_reply_text() {
    let (d, _) = dispatcher();
    let rpc = LocalRpc(d);
    let reply = interfaces::Rpc::execute_rpc(
        &rpc,
        r#"{"jsonrpc":"2.0","id":1,"method":"echo","params":["a"]}"#,
        "/",
        "",
    )
    .expect("reply");
    assert_eq!(reply, r#"{"jsonrpc":"2.0","result":["a"],"id":1}"#);
    let reply = interfaces::Rpc::execute_rpc(&rpc, "not json", "/", "").expect("reply");
    assert_eq!(
        serde_json::from_str::<Value>(&reply).expect("json")["error"]["code"],
        json!(-32700)
    );
}

fn http_get_status(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn clients_outside_the_allow_list_get_403() {
    let (d, _) = dispatcher();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = |allow| http::HttpState {
        dispatcher: d.clone(),
        credentials: auth::Credentials::default(),
        allow,
        threads: 2,
        work_queue: 4,
        timeout: std::time::Duration::from_secs(5),
    };
    let only_ten = AllowList::new(vec![Subnet::parse("10.0.0.1/32").expect("subnet")]);
    let server = http::HttpServer::start(vec![listener], state(only_ten)).expect("start");
    let response = http_get_status(
        addr,
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    drop(server);
    // With loopback allowed, the same request gets as far as authentication.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server =
        http::HttpServer::start(vec![listener], state(AllowList::loopback_and(Vec::new())))
            .expect("start");
    let response = http_get_status(
        addr,
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(
        response.contains("www-authenticate: Basic realm=\"jsonrpc\""),
        "{response}"
    );
    drop(server);
}

/// A table made elsewhere (as a wallet process's will be) merged into a running dispatcher:
/// its methods serve with their help and their error codes, stack over one of the same name,
/// and leave when the handle drops.
#[test]
fn a_second_table_merges_in_and_leaves() {
    let (d, _) = dispatcher();
    let second = |answer: i64| {
        let mut table = RpcTable::new();
        table
            .register(
                Method::new("getanswer", "wallet", "Returns the answer.")
                    .param(Param::optional("fail", ParamType::Bool, "Fail instead"))
                    .result("n    (numeric) the answer")
                    .handler(move |p| match p.maybe_arg::<bool>("fail")? {
                        Some(true) => Err(RpcError::new(
                            protocol::RPC_WALLET_INSUFFICIENT_FUNDS,
                            "Insufficient funds",
                        )),
                        _ => Ok(answer.into()),
                    }),
            )
            .register(Method::new("sum", "util", "Shadows sum.").handler(|_| Ok("shadow".into())));
        table
    };
    let call = |body: &str| run(&d, body).body.expect("body");
    assert_eq!(
        error_of(&run(&d, r#"{"method":"getanswer","id":1}"#)).0,
        i64::from(protocol::RPC_METHOD_NOT_FOUND)
    );

    let first = d.merge(second(42));
    assert_eq!(first.names(), ["getanswer", "sum"]);
    assert_eq!(
        call(r#"{"method":"getanswer","id":1}"#)["result"],
        json!(42)
    );
    assert_eq!(
        error_of(&run(&d, r#"{"method":"getanswer","params":[true],"id":1}"#)),
        (-6, "Insufficient funds".into())
    );
    assert_eq!(
        call(r#"{"method":"sum","id":1}"#)["result"],
        json!("shadow")
    );
    let listing = call(r#"{"method":"help","id":1}"#)["result"].clone();
    let listing = listing.as_str().expect("help text");
    assert!(
        listing.contains("== Wallet ==\ngetanswer ( fail )"),
        "{listing}"
    );
    let help = call(r#"{"method":"help","params":["getanswer"],"id":1}"#)["result"].clone();
    assert!(
        help.as_str()
            .expect("text")
            .contains("Returns the answer.\n\nArguments:\n1. fail"),
        "{help}"
    );
    // Core's count check answers with the merged method's help.
    let (code, message) = error_of(&run(&d, r#"{"method":"getanswer","params":[1,2],"id":1}"#));
    assert_eq!(code, -1);
    assert!(message.starts_with("getanswer ( fail )"), "{message}");

    // A second merge stacks on top; dropping it uncovers the first.
    let second_merge = d.merge(second(7));
    assert_eq!(call(r#"{"method":"getanswer","id":1}"#)["result"], json!(7));
    drop(second_merge);
    assert_eq!(
        call(r#"{"method":"getanswer","id":1}"#)["result"],
        json!(42)
    );
    // One merged beneath serves only once the one above leaves.
    let beneath = d.merge_beneath(second(-1));
    assert_eq!(
        call(r#"{"method":"getanswer","id":1}"#)["result"],
        json!(42)
    );
    first.remove();
    assert_eq!(
        call(r#"{"method":"getanswer","id":1}"#)["result"],
        json!(-1)
    );
    let first = d.merge(second(42));
    drop(beneath);

    first.remove();
    assert_eq!(
        error_of(&run(&d, r#"{"method":"getanswer","id":1}"#)).0,
        i64::from(protocol::RPC_METHOD_NOT_FOUND)
    );
    assert_eq!(
        call(r#"{"method":"sum","params":[1],"id":1}"#)["result"],
        json!(11)
    );
    let listing = call(r#"{"method":"help","id":1}"#)["result"].clone();
    assert!(!listing.as_str().expect("text").contains("getanswer"));
}

/// A method of another process: its help and conversion rows are that process's, and its
/// parameters reach its handler as sent (named or positional), unconverted and unchecked.
#[test]
fn a_remote_method_forwards_parameters_as_sent() {
    let (d, _) = dispatcher();
    let mut table = RpcTable::new();
    table.register(Method::remote(
        "getbalance".into(),
        "wallet".into(),
        RemoteSpec {
            help: "getbalance ( \"dummy\" minconf )\n\nReturns the balance.".into(),
            args: vec![(0, "dummy".into(), true), (1, "minconf".into(), false)],
        },
        |p| Ok(json!({"raw": p.raw(), "uri": p.uri()})),
    ));
    let _merged = d.merge(table);
    let reply = d.execute_body(
        br#"{"method":"getbalance","params":{"minconf":2,"bogus":1},"id":1}"#,
        Caller {
            uri: "/wallet/w",
            user: "u",
        },
    );
    let body = reply.body.expect("body");
    assert_eq!(
        body["result"],
        json!({"raw": {"minconf": 2, "bogus": 1}, "uri": "/wallet/w"}),
        "{body}"
    );
    let help = run(&d, r#"{"method":"help","params":["getbalance"],"id":1}"#);
    assert_eq!(
        help.body.expect("body")["result"],
        json!("getbalance ( \"dummy\" minconf )\n\nReturns the balance.")
    );
    let rows = run(
        &d,
        r#"{"method":"help","params":["dump_all_command_conversions"],"id":1}"#,
    );
    let rows = rows.body.expect("body")["result"].clone();
    assert!(rows
        .as_array()
        .expect("rows")
        .contains(&json!(["getbalance", 1, "minconf", false])));
}
