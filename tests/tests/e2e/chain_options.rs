//! The chainstate's startup options through a real node: `-reindex` rebuilds the block index,
//! the chainstate and the coins view from the block files; `-signetchallenge` starts a custom
//! signet (and a bad challenge gets Core's error).

use serde_json::{json, Value};
use tests::{bin, run};

use crate::chain::{address, ChainNode};

#[test]
fn reindex_rebuilds_the_chain_and_the_coins_view_from_the_block_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start(dir.path());
    let hashes = node.call("generatetoaddress", json!([30, address(5)]));
    let first = hashes[0].clone();
    let txid = node.call("getblock", json!([first]))["tx"][0].clone();
    let before = node.call("gettxout", json!([txid, 0]));
    node.stop();
    // Only the block files are needed: without the block index nothing would be known.
    let net = dir.path().join("regtest");
    for gone in ["blocks/index", "chainstate"] {
        std::fs::remove_dir_all(net.join(gone)).expect(gone);
    }
    let node = ChainNode::start_with(dir.path(), "regtest", &["-reindex"]);
    assert_eq!(node.call("getblockcount", json!([])), 30);
    assert_eq!(node.call("getbestblockhash", json!([])), hashes[29]);
    assert_eq!(node.call("gettxout", json!([txid, 0])), before);
    let info = node.call("gettxoutsetinfo", json!(["none"]));
    assert_eq!(
        (info["height"].clone(), info["txouts"].clone()),
        (json!(30), json!(30))
    );
    // The node goes on from the rebuilt state, and a plain restart keeps it.
    node.call("generatetoaddress", json!([2, address(6)]));
    node.stop();
    let node = ChainNode::start(dir.path());
    assert_eq!(node.call("getblockcount", json!([])), 32);
    assert_eq!(node.call("gettxout", json!([txid, 0]))["confirmations"], 32);
    node.stop();
}

#[test]
fn a_custom_signet_starts_with_its_challenge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start_with(dir.path(), "signet", &["-signetchallenge=51"]);
    let info = node.call("getblockchaininfo", json!([]));
    assert_eq!(info["chain"], "signet", "{info}");
    assert_eq!(info["blocks"], 0, "{info}");
    assert_ne!(info["bestblockhash"], Value::Null, "{info}");
    node.stop();
}

#[test]
fn a_bad_signet_challenge_gets_cores_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = format!("-datadir={}", dir.path().display());
    for (challenge, error) in [
        (
            "-signetchallenge=5",
            "Error: -signetchallenge must be hex, not '5'.",
        ),
        (
            "-signetchallenge=xy",
            "Error: -signetchallenge must be hex, not 'xy'.",
        ),
    ] {
        let (code, _, stderr) = run(
            &bin("bitcoin-node"),
            &[&d, "-signet", challenge, "-printtoconsole=0"],
        );
        assert_eq!(code, 1, "{challenge}: {stderr}");
        assert!(stderr.contains(error), "{challenge}: {stderr}");
    }
    let (code, _, stderr) = run(
        &bin("bitcoin-node"),
        &[
            &d,
            "-signet",
            "-signetchallenge=51",
            "-signetchallenge=52",
            "-printtoconsole=0",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Error: -signetchallenge cannot be multiple values."),
        "{stderr}"
    );
}
