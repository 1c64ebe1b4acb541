//! Progress bars against a real node: header synchronization ahead of the blocks, and a
//! wallet rescan reported through the wallet's `showProgress`.

use bitcoin::consensus::encode::serialize_hex;
use egui_kittest::kittest::Queryable;
use serde_json::json;
use tests::headers::{mine_headers, spaced_times, unix_now};

use super::{attached, burn_address, control, rpc, wait_for};

#[test]
fn headers_ahead_of_the_blocks_show_the_header_sync_bar() {
    let node = tests::Node::start(&["-printtoconsole=0"]);
    let (_conn, ctl) = control(&node.socket());
    let mut gui = attached(&node.socket());
    wait_for(&mut gui, "connection", |app| app.snapshot().connected());
    // A fresh regtest node's only header is the 2011 genesis block: far behind the clock.
    wait_for(&mut gui, "the genesis header", |app| {
        app.snapshot().best_header().is_some()
    });
    assert!(gui
        .query_all_by_label("Syncing Headers (0.0%)…")
        .next()
        .is_some());
    let genesis = rpc(&*ctl, "/", "getblockhash", json!([0]));
    let genesis = genesis.as_str().expect("hash").parse().expect("block hash");
    // 30 headers, the last one 100 block intervals old: Core's estimate is 30 / (30 + 100).
    let headers = mine_headers(genesis, &spaced_times(30, 100, unix_now()), 1);
    for header in &headers {
        rpc(&*ctl, "/", "submitheader", json!([serialize_hex(header)]));
    }
    wait_for(&mut gui, "the header tip notification", |app| {
        app.snapshot()
            .header_tip
            .is_some_and(|(tip, presync)| tip.height == 30 && !presync)
    });
    assert!(
        gui.query_all_by_label("Syncing Headers (23.1%)…")
            .next()
            .is_some(),
        "no header sync bar at 30 of an estimated 130 headers"
    );
    let snap = gui.state().snapshot().clone();
    assert_eq!(snap.node.as_ref().map(|n| n.block_count), Some(0));
    // Headers within a day of the clock (Core's 24 blocks) count as synced: no bar.
    let recent = mine_headers(
        headers[29].block_hash(),
        &spaced_times(80, 10, unix_now()),
        2,
    );
    for header in &recent {
        rpc(&*ctl, "/", "submitheader", json!([serialize_hex(header)]));
    }
    wait_for(&mut gui, "the recent header tip", |app| {
        app.snapshot().best_header().is_some_and(|h| h.0 == 110)
    });
    assert!(gui
        .query_all_by_label_contains("Syncing Headers")
        .next()
        .is_none());
}

#[test]
fn a_wallet_rescan_reports_its_progress_to_the_gui() {
    let node = tests::Node::start(&["-printtoconsole=0"]);
    let (_conn, ctl) = control(&node.socket());
    rpc(&*ctl, "/", "createwallet", json!(["w"]));
    // Enough blocks for a stepped rescan (at least two steps of 100).
    rpc(
        &*ctl,
        "/",
        "generatetoaddress",
        json!([300, burn_address()]),
    );
    let mut gui = attached(&node.socket());
    wait_for(&mut gui, "the wallet at the tip", |app| {
        app.snapshot().wallet_name() == Some("w")
            && app.snapshot().node.as_ref().map(|n| n.block_count) == Some(300)
    });
    let before = gui.state().snapshot().wallet_progress_reports;
    let result = rpc(&*ctl, "/wallet/w", "rescanblockchain", json!([]));
    assert_eq!(result["stop_height"], 300);
    // 0%, each step, 100%: at least three reports, and the bar gone at the end.
    wait_for(&mut gui, "the rescan's progress reports", |app| {
        app.snapshot().wallet_progress_reports >= before + 3
            && app.snapshot().wallet_progress.is_none()
    });
}
