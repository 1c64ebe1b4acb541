//! The node's `Mining` in process: the conformance suite every implementation passes (the
//! same suite runs over IPC in the end-to-end tests).

use std::sync::Arc;

use bitcoin::ScriptBuf;

use super::{LocalMining, MiningContext, NoTransactions, TipWatcher};
use crate::chain::ChainState;

#[test]
fn local_mining_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chain = Arc::new(ChainState::open(dir.path(), common::Chain::Regtest).expect("opens"));
    let script = ScriptBuf::from_bytes(vec![0x51]);
    let mine = || {
        chain
            .mine_block(&script, 1_000_000)
            .expect("mines")
            .expect("a nonce");
    };
    // A block with the current time ends initial block download.
    mine();
    let watcher = TipWatcher::start(&chain).expect("watcher");
    let ctx = MiningContext::new(
        chain.clone(),
        Arc::new(NoTransactions),
        watcher,
        super::template::DEFAULT_BLOCK_MIN_TX_FEE,
    );
    let mining = LocalMining::new(ctx.clone());
    interfaces::mining_conformance::run(&mining, &mine);
    assert_eq!(ctx.live_templates(), 0, "every template was dropped");
    chain.close();
}
