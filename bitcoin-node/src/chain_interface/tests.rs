//! The node's own [`LocalChain`] passes the `Chain` conformance suite (the same suite runs
//! against the IPC proxy in the end-to-end tests).

use std::sync::{Arc, OnceLock};

use bitcoin::hashes::Hash;
use bitcoin::ScriptBuf;

use super::LocalChain;
use crate::chain::ChainState;
use crate::mempool::estimator::SharedEstimator;
use crate::mempool::{Mempool, MempoolOptions};

#[test]
fn local_chain_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chain = Arc::new(ChainState::open(dir.path(), common::Chain::Regtest).expect("opens"));
    let mempool = Mempool::new(chain.clone(), MempoolOptions::default()).expect("mempool");
    mempool.mark_loaded();
    let follower: std::sync::Weak<dyn crate::chain::Follower> =
        Arc::downgrade(&mempool) as std::sync::Weak<_>;
    chain.add_follower(follower);
    let estimator = Arc::new(SharedEstimator::load(&dir.path().join("fee_estimates.dat")));
    let local = LocalChain::new(
        chain.clone(),
        mempool,
        estimator,
        Arc::new(OnceLock::new()),
        Arc::new(|| false),
    );
    let script = ScriptBuf::from_bytes(vec![0x51, 0x07]);
    let advance = |n: u32| {
        (0..n)
            .map(|_| {
                chain
                    .mine_block(&script, 1_000_000)
                    .expect("mines")
                    .expect("a nonce")
                    .to_byte_array()
            })
            .collect()
    };
    interfaces::chain_conformance::run(&local, script.as_bytes(), &advance);
}
