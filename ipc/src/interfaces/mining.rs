//! `Mining` and `BlockTemplate` over IPC (`mining.capnp`, wire-compatible with Bitcoin Core):
//! what Stratum v2 template providers and other external miners call.

use interfaces::{
    BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockWaitOptions, CoinbaseTx,
};

crate::interface! {
    /// An [`interfaces::Mining`] served by another process.
    MiningProxy, MiningServer: dyn interfaces::Mining, schemas::mining_capnp::mining;
    methods {
        fn is_test_chain() -> bool => [prim];
        fn is_initial_block_download() -> bool => [prim];
        fn get_tip() -> Option<BlockRef> => [opt_struct BlockRef];
        fn wait_tip_changed(current_tip: &[u8] => [data], timeout: f64 => [prim]) -> Option<BlockRef> => [maybe_struct BlockRef];
        fn create_new_block(options: &BlockCreateOptions => [struct BlockCreateOptions], cooldown: bool => [prim]) -> Option<Box<dyn BlockTemplate>> => [opt_cap_box BlockTemplateProxy BlockTemplateServer];
        fn check_block(block: &[u8] => [data], options: &BlockCheckOptions => [struct BlockCheckOptions]) -> interfaces::BlockVerdict => [verdict];
        fn submit_block(block: &[u8] => [data]) -> interfaces::BlockVerdict => [verdict];
        fn get_transactions_by_tx_i_d(txids: &[Vec<u8>] => [list_data]) -> Vec<Vec<u8>> => [list_data];
        fn get_transactions_by_witness_i_d(wtxids: &[Vec<u8>] => [list_data]) -> Vec<Vec<u8>> => [list_data];
    }
    loop_methods {
        fn interrupt() -> () => [unit];
    }
}

crate::interface! {
    /// An [`interfaces::BlockTemplate`] held by another process.
    BlockTemplateProxy, BlockTemplateServer: dyn interfaces::BlockTemplate, schemas::mining_capnp::block_template;
    [destroy]
    methods {
        fn get_block_header() -> Vec<u8> => [data];
        fn get_block() -> Vec<u8> => [data];
        fn get_tx_fees() -> Vec<i64> => [list_prim];
        fn get_tx_sigops() -> Vec<i64> => [list_prim];
        fn get_coinbase_tx() -> CoinbaseTx => [struct CoinbaseTx];
        fn get_coinbase_merkle_path() -> Vec<Vec<u8>> => [list_data];
        fn submit_solution(version: u32 => [prim], timestamp: u32 => [prim], nonce: u32 => [prim], coinbase: &[u8] => [data]) -> interfaces::BlockVerdict => [verdict];
        fn submit_solution_old7(version: u32 => [prim], timestamp: u32 => [prim], nonce: u32 => [prim], coinbase: &[u8] => [data]) -> bool => [prim];
        fn wait_next(options: &BlockWaitOptions => [struct BlockWaitOptions]) -> Option<Box<dyn BlockTemplate>> => [opt_cap_box BlockTemplateProxy BlockTemplateServer];
    }
    loop_methods {
        fn interrupt_wait() -> () => [unit];
    }
}
