//! The node's IPC connections as an operator sees and limits them (beyond Core): `getipcinfo`
//! and `Node.getIpcInfo` list each connection with its peer, threads, objects, calls in flight
//! and per-method latencies; `-ipcmaxconnections` and `-ipcallowuid` refuse clients; bad
//! arguments fail the call, never the connection; shutdown ends every client's waits and
//! closes their connections within a second; `-debug=ipc` logs every call.

use std::thread;
use std::time::{Duration, Instant};

use interfaces::{BlockCreateOptions, BlockWaitOptions, Init, Mining, Rpc};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use tests::{eventually, Node};

fn rpc_call(rpc: &dyn Rpc, method: &str, params: Value) -> Value {
    let request = json!({"id": 1, "method": method, "params": params}).to_string();
    let reply: Value =
        serde_json::from_str(&rpc.execute_rpc(&request, "/", "").expect("execute_rpc"))
            .expect("reply is JSON");
    assert!(reply["error"].is_null(), "{method}: {reply}");
    reply["result"].clone()
}

fn op_true_address() -> String {
    bitcoin::Address::p2wsh(
        &bitcoin::ScriptBuf::from_bytes(vec![0x51]),
        bitcoin::Network::Regtest,
    )
    .to_string()
}

/// The `getipcinfo` connection that served `echo` `calls` times.
fn echo_client(info: &Value, calls: u64) -> Value {
    info["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["methods"]["echo"]["calls"].as_u64() == Some(calls))
        .cloned()
        .unwrap_or_else(|| panic!("no connection with {calls} echo calls: {info}"))
}

#[test]
fn getipcinfo_shows_each_connection_with_its_figures() {
    let node = Node::start(&["-printtoconsole=0"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let echo = init.make_echo().expect("make_echo");
    for i in 0..20 {
        assert_eq!(echo.echo(&i.to_string()).expect("echo"), i.to_string());
    }
    let mining = init.make_mining().expect("make_mining");
    let template = mining
        .create_new_block(&BlockCreateOptions::default(), false)
        .expect("create_new_block")
        .expect("a template");
    let tip = mining.get_tip().expect("get_tip").expect("a tip");
    let (_observer_conn, observer) = ipc::connect_init(&node.socket()).expect("connect");
    let rpc = observer.make_rpc().expect("make_rpc");
    let remote_node = observer.make_node().expect("make_node");
    thread::scope(|scope| {
        // A call in flight on a second client thread (so a second server thread).
        let waiting = scope.spawn(|| mining.wait_tip_changed(&tip.hash, 60_000.0));
        let mut client = Value::Null;
        assert!(
            eventually(Duration::from_secs(10), || {
                client = echo_client(&rpc_call(&*rpc, "getipcinfo", json!([])), 20);
                client["calls_in_flight"].as_u64() == Some(1)
            }),
            "the wait never showed as in flight: {client}"
        );
        let socket = node.socket();
        assert_eq!(
            client["origin"],
            json!(format!("listener {}", socket.display()))
        );
        assert_eq!(
            client["peer_pid"].as_i64(),
            Some(i64::from(std::process::id()))
        );
        assert_eq!(
            client["peer_uid"].as_i64(),
            Some(i64::from(nix::unistd::getuid().as_raw()))
        );
        assert!(client["server_threads"].as_u64() >= Some(2), "{client}");
        for (interface, count) in [("Echo", 1), ("Mining", 1), ("BlockTemplate", 1)] {
            assert_eq!(
                client["objects"][interface].as_u64(),
                Some(count),
                "{client}"
            );
        }
        let figures = &client["methods"]["echo"];
        let [p50, p90, p99, max] =
            ["p50_us", "p90_us", "p99_us", "max_us"].map(|k| figures[k].as_u64().expect(k));
        assert!(
            0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
            "{figures}"
        );
        let since = client["connected_since"].as_i64().expect("since");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        assert!((now as i64 - since).abs() < 120, "{since} vs {now}");
        // The wallet process the node spawned is a connection too.
        let info = rpc_call(&*rpc, "getipcinfo", json!([]));
        let wallet_pid = tests::children(node.process.pid(), "bitcoin-wallet")[0];
        let wallet = info["connections"]
            .as_array()
            .expect("connections")
            .iter()
            .find(|c| {
                c["origin"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("spawned "))
            })
            .cloned()
            .unwrap_or_else(|| panic!("no spawned connection: {info}"));
        assert_eq!(wallet["peer_pid"].as_i64(), Some(i64::from(wallet_pid)));
        assert!(wallet["origin"]
            .as_str()
            .is_some_and(|o| o.contains("bitcoin-wallet")));
        // The Node interface shows the same connections.
        let listed = remote_node.get_ipc_info().expect("get_ipc_info");
        let same = listed
            .iter()
            .find(|c| c.id == client["id"].as_u64().expect("id"))
            .expect("the same connection over Node.getIpcInfo");
        let echo_stats = same
            .methods
            .iter()
            .find(|m| m.name == "echo")
            .expect("echo");
        assert_eq!(echo_stats.calls, 20);
        assert_eq!(same.calls_in_flight, 1);
        rpc_call(&*rpc, "generatetoaddress", json!([1, op_true_address()]));
        let changed = waiting.join().expect("join").expect("wait_tip_changed");
        assert_ne!(changed.map(|t| t.hash), Some(tip.hash));
    });
    drop(template);
    let client = echo_client(&rpc_call(&*rpc, "getipcinfo", json!([])), 20);
    assert_eq!(client["calls_in_flight"].as_u64(), Some(0));
    assert!(client["objects"].get("BlockTemplate").is_none(), "{client}");
    assert_eq!(
        client["methods"]["wait_tip_changed"]["calls"].as_u64(),
        Some(1)
    );
}

/// Whether a client of the node at `node` is served (its first call answers).
fn served(node: &Node) -> bool {
    match ipc::connect_init(&node.socket()) {
        Ok((_conn, init)) => init.make_echo().is_ok_and(|e| e.echo("hi").is_ok()),
        Err(_) => false,
    }
}

#[test]
fn clients_beyond_ipcmaxconnections_are_refused_and_logged() {
    let node = Node::start(&[
        "-printtoconsole=0",
        "-disablewallet",
        "-ipcmaxconnections=2",
    ]);
    let (first_conn, first) = ipc::connect_init(&node.socket()).expect("connect");
    let first_echo = first.make_echo().expect("first client served");
    let (_second_conn, second) = ipc::connect_init(&node.socket()).expect("connect");
    let second_echo = second.make_echo().expect("second client served");
    assert!(!served(&node), "a third client was served");
    assert_eq!(first_echo.echo("still").expect("echo"), "still");
    assert_eq!(second_echo.echo("here").expect("echo"), "here");
    drop(first_echo);
    drop(first_conn);
    assert!(
        eventually(Duration::from_secs(10), || served(&node)),
        "a client was refused after one left"
    );
    let log = std::fs::read_to_string(node.net_dir().join("debug.log")).expect("debug.log");
    assert!(
        log.contains("refused a connection: 2 clients already connected (-ipcmaxconnections)"),
        "no log line for the refusal"
    );
}

#[test]
fn ipcallowuid_admits_only_the_listed_users() {
    let ours = nix::unistd::getuid().as_raw();
    let other = format!("-ipcallowuid={}", ours.wrapping_add(4242));
    let node = Node::start(&["-printtoconsole=0", "-disablewallet", &other]);
    assert!(!served(&node), "a uid not in -ipcallowuid was served");
    let log = std::fs::read_to_string(node.net_dir().join("debug.log")).expect("debug.log");
    assert!(
        log.contains(&format!("uid {ours} is not allowed (-ipcallowuid)")),
        "no log line"
    );
    drop(node);
    let mine = format!("-ipcallowuid={ours}");
    let node = Node::start(&["-printtoconsole=0", "-disablewallet", &other, &mine]);
    assert!(served(&node), "a listed uid was refused");
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = format!("-datadir={}", dir.path().display());
    let (code, _, stderr) = tests::run(
        &tests::bin("bitcoin-node"),
        &["-regtest", "-ipcallowuid=root", &datadir],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("ipcallowuid"), "{stderr}");
}

#[test]
fn bad_arguments_fail_the_call_and_keep_the_connection() {
    let node = Node::start(&["-printtoconsole=0", "-disablewallet"]);
    let (conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let mining = init.make_mining().expect("make_mining");
    let still_serving = |mining: &dyn Mining, what: &str| {
        assert!(!conn.is_closed(), "{what} closed the connection");
        assert!(
            mining.get_tip().expect("get_tip after bad input").is_some(),
            "{what}"
        );
    };
    let short_hash = mining.wait_tip_changed(&[0; 31], 10.0);
    assert!(
        short_hash.is_err(),
        "a 31-byte hash was taken: {short_hash:?}"
    );
    still_serving(&*mining, "a short hash");
    let garbage = mining.check_block(
        &[0xff, 0x00, 0x01],
        &interfaces::BlockCheckOptions::default(),
    );
    assert!(garbage.as_ref().map_or(true, |v| !v.result), "{garbage:?}");
    still_serving(&*mining, "a malformed block");
    let submitted = mining.submit_block(&[0x00; 10]);
    assert!(
        submitted.as_ref().map_or(true, |v| !v.result),
        "{submitted:?}"
    );
    still_serving(&*mining, "a malformed block submitted");
    let options = BlockCreateOptions {
        block_reserved_weight: u64::MAX,
        ..BlockCreateOptions::default()
    };
    assert!(mining.create_new_block(&options, false).is_err());
    still_serving(&*mining, "an out-of-range option");
    let template = mining
        .create_new_block(&BlockCreateOptions::default(), false)
        .expect("create")
        .expect("template");
    let error = template
        .submit_solution(1, 0, 0, &[0xde, 0xad])
        .expect_err("a malformed coinbase");
    assert!(error.to_string().contains("coinbase"), "{error}");
    still_serving(&*mining, "a malformed coinbase");
    let odd = mining.get_transactions_by_tx_i_d(&[vec![1, 2, 3]]);
    assert!(
        odd.is_err() || odd.as_ref().is_ok_and(|t| t == &[Vec::<u8>::new()]),
        "{odd:?}"
    );
    still_serving(&*mining, "a wrong-length txid");
    assert_eq!(template.get_block_header().expect("header").len(), 80);
}

#[test]
fn shutdown_ends_waits_and_closes_client_connections_within_a_second() {
    let mut node = Node::start(&["-printtoconsole=0", "-disablewallet"]);
    let (conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let mining = init.make_mining().expect("make_mining");
    let template = mining
        .create_new_block(&BlockCreateOptions::default(), false)
        .expect("create")
        .expect("template");
    let tip = mining.get_tip().expect("get_tip").expect("tip");
    let (_idle_conn, idle) = ipc::connect_init(&node.socket()).expect("connect");
    let idle_echo = idle.make_echo().expect("echo");
    let ended = thread::scope(|scope| {
        let tip_wait = scope.spawn(|| {
            let r = mining.wait_tip_changed(&tip.hash, 3_600_000.0);
            (r.is_ok(), Instant::now())
        });
        let next_wait = scope.spawn(|| {
            let r = template.wait_next(&BlockWaitOptions::default());
            (r.is_ok(), Instant::now())
        });
        thread::sleep(Duration::from_millis(300));
        let signalled = Instant::now();
        node.process.signal(Signal::SIGTERM);
        let a = tip_wait.join().expect("join").1;
        let b = next_wait.join().expect("join").1;
        [a, b].map(|t| t.saturating_duration_since(signalled))
    });
    for waited in ended {
        assert!(
            waited < Duration::from_secs(1),
            "a wait ended {waited:?} after SIGTERM"
        );
    }
    assert!(
        conn.wait_closed_timeout(Duration::from_secs(1)).is_some(),
        "the waiting client's connection is still open"
    );
    assert!(
        idle_echo.echo("anyone?").is_err(),
        "an idle client's connection is still open"
    );
    let status = node
        .process
        .wait_timeout(Duration::from_secs(20))
        .expect("the node exits");
    assert!(status.success(), "{status}");
}

#[test]
fn debug_ipc_logs_every_call_with_its_thread_and_duration() {
    let node = Node::start(&["-printtoconsole=0", "-disablewallet", "-debug=ipc"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let echo = init.make_echo().expect("make_echo");
    echo.echo("logged").expect("echo");
    let log_file = node.net_dir().join("debug.log");
    let mut line = String::new();
    assert!(
        eventually(Duration::from_secs(5), || {
            let log = std::fs::read_to_string(&log_file).unwrap_or_default();
            line = log
                .lines()
                .find(|l| l.contains("IPC call") && l.contains("echo"))
                .unwrap_or_default()
                .to_string();
            !line.is_empty()
        }),
        "no IPC call line for echo"
    );
    assert!(line.contains("duration_us="), "{line}");
    assert!(line.contains("thread="), "{line}");
}
