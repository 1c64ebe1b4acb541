//! `bitcoin-cli -netinfo` (and `-getinfo`'s network lines) against two real `bitcoin-node`
//! processes connected on loopback: B connects to A with `-connect`, over BIP324 v2
//! transport, and each node's dashboard shows its side of that one connection.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tests::{bin, eventually, run, RpcNode};

const WAIT: Duration = Duration::from_secs(120);

fn start(dir: &Path, extra: &[&str]) -> RpcNode {
    RpcNode::start_listening(dir, extra)
}

/// The node's only peer once its v2 handshake is done.
fn the_v2_peer(node: &RpcNode) -> Option<Value> {
    let peers = node.call("getpeerinfo", json!([]));
    match peers.as_array().map(Vec::as_slice) {
        Some([peer]) if peer["transport_protocol_type"] == "v2" && peer["version"] != 0 => {
            Some(peer.clone())
        }
        _ => None,
    }
}

/// Runs `bitcoin-cli -regtest -datadir=<dir> -ipcconnect=unix args...`; stdout on success.
fn cli(dir: &Path, args: &[&str]) -> String {
    let datadir = format!("-datadir={}", dir.display());
    let mut all = vec!["-regtest", datadir.as_str(), "-ipcconnect=unix"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&bin("bitcoin-cli"), &all);
    assert_eq!(code, 0, "bitcoin-cli {args:?}: stderr {err}");
    out
}

/// Two connected nodes: A (inbound side) and B (outbound, `-connect` makes it manual).
struct Pair {
    /// A and B, stopped when the pair is dropped.
    nodes: [RpcNode; 2],
    /// A's peer (B) and B's peer (A) as `getpeerinfo` reports them.
    a_peer: Value,
    b_peer: Value,
    /// The data directories, removed after the nodes stop (fields drop in order).
    dirs: [tempfile::TempDir; 2],
}

fn connected_pair() -> Pair {
    let dirs = [
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    ];
    let a = start(dirs[0].path(), &[]);
    let connect = format!("-connect={}", a.p2p_addr());
    let b = start(dirs[1].path(), &[&connect]);
    assert!(
        eventually(WAIT, || the_v2_peer(&a).is_some()
            && the_v2_peer(&b).is_some()),
        "A and B connected over v2"
    );
    let (a_peer, b_peer) = (
        the_v2_peer(&a).expect("A's peer"),
        the_v2_peer(&b).expect("B's peer"),
    );
    Pair {
        nodes: [a, b],
        a_peer,
        b_peer,
        dirs,
    }
}

/// The counts table row starting with `name`, its numbers.
fn counts_row(text: &str, name: &str) -> Vec<u64> {
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} row in\n{text}"));
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap_or_else(|_| panic!("{line}")))
        .collect()
}

/// The peer row of the level 1-4 listing whose direction is `dir`, and the character under
/// the header's `v` column.
fn peer_row<'t>(text: &'t str, dir: &str) -> (&'t str, Option<char>) {
    let header = text
        .lines()
        .find(|l| l.starts_with("<->"))
        .unwrap_or_else(|| panic!("no peers listing in\n{text}"));
    let v_column = header.find("  v  mping").expect("v column") + 2;
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(dir))
        .unwrap_or_else(|| panic!("no {dir} peer in\n{text}"));
    (row, row.chars().nth(v_column))
}

#[test]
fn netinfo_shows_each_side_of_a_v2_connection() {
    let pair = connected_pair();
    let (dir_a, dir_b) = (pair.dirs[0].path(), pair.dirs[1].path());

    // Level 0 on A: one inbound peer, on loopback ("npr", not publicly routable); the
    // reachable networks (IPv4, IPv6) have columns of their own.
    let text = cli(dir_a, &["-netinfo"]);
    assert!(
        text.starts_with(&format!(
            "bitcoin-cli client v{} regtest - server ",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    assert!(
        text.contains("ipv4    ipv6     npr   total   block\n"),
        "{text}"
    );
    assert_eq!(counts_row(&text, "in"), [0, 0, 1, 1], "{text}");
    assert_eq!(counts_row(&text, "out"), [0, 0, 0, 0, 0], "{text}");
    assert_eq!(counts_row(&text, "total"), [0, 0, 1, 1], "{text}");
    assert!(text.contains("\n\nLocal services: "), "{text}");
    assert!(
        !text.contains("<->"),
        "no peers listing at level 0:\n{text}"
    );

    // Level 4 on A: the inbound peer's row with v2, its id, address and version.
    let text = cli(dir_a, &["-netinfo", "4"]);
    assert!(text.contains(" id address "), "{text}");
    let (row, v) = peer_row(&text, "in");
    assert_eq!(v, Some('2'), "transport column of\n{text}");
    let id = pair.a_peer["id"].as_u64().expect("id");
    let addr = pair.a_peer["addr"].as_str().expect("addr");
    assert!(
        row.contains(&format!(" {id} {addr} 70016/")),
        "id {id}, address {addr} and version in\n{row}"
    );

    // B sees the same connection as outbound and manual (`-connect`).
    let text = cli(dir_b, &["-netinfo"]);
    assert!(text.contains("npr   total   block  manual\n"), "{text}");
    assert_eq!(counts_row(&text, "in"), [0, 0, 0, 0], "{text}");
    assert_eq!(counts_row(&text, "out"), [0, 0, 1, 1, 0, 1], "{text}");
    let text = cli(dir_b, &["-netinfo", "4", "outonly"]);
    let (row, v) = peer_row(&text, "out");
    assert_eq!(v, Some('2'), "transport column of\n{text}");
    assert!(row.starts_with("out manual   npr "), "{row}");
    let id = pair.b_peer["id"].as_u64().expect("id");
    assert!(row.contains(&format!(" {id} 127.0.0.1:")), "{row}");

    // `help` prints the help text; a bad level is Core's error.
    assert!(cli(dir_a, &["-netinfo", "help"]).starts_with("-netinfo (level [outonly]) | help\n"));
    let datadir = format!("-datadir={}", dir_a.display());
    let (code, out, err) = run(
        &bin("bitcoin-cli"),
        &["-regtest", &datadir, "-ipcconnect=unix", "-netinfo", "x"],
    );
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error: invalid -netinfo level argument: x\nFor more information, run: bitcoin-cli -netinfo help\n"
    );
}

#[test]
fn getinfo_network_lines_count_the_connection() {
    let pair = connected_pair();
    let text = cli(pair.dirs[0].path(), &["-getinfo"]);
    assert!(
        text.contains("Network: in 1, out 0, total 1\nVersion: "),
        "{text}"
    );
    for line in [
        "Time offset (s): ",
        "Proxies: ",
        "Min tx relay fee rate (BTC/kvB): ",
    ] {
        assert!(text.contains(&format!("\n{line}")), "{line} in\n{text}");
    }
    assert!(text.ends_with("Warnings: (none)\n"), "{text}");
    // The node's relay floor (Core's default -minrelaytxfee, 100 sat/kvB) and networks.
    assert!(
        text.contains("\nMin tx relay fee rate (BTC/kvB): 0.00000100\n"),
        "{text}"
    );
    assert!(text.contains("\nProxies: n/a\n"), "{text}");
    let info = pair.nodes[0].call("getnetworkinfo", serde_json::json!([]));
    assert_eq!(info["incrementalfee"].to_string(), "0.00000100", "{info}");
    let reachable: Vec<&str> = info["networks"]
        .as_array()
        .expect("networks")
        .iter()
        .filter(|n| n["reachable"] == true)
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(reachable, ["ipv4", "ipv6"], "{info}");
    let text = cli(pair.dirs[1].path(), &["-getinfo"]);
    assert!(text.contains("Network: in 0, out 1, total 1\n"), "{text}");
}
