//! `Chain` over IPC (`chain.capnp`): a wallet process's view of the node, and the chain
//! notifications the node calls back into the wallet process with.

use std::sync::Arc;

use interfaces::{
    BlockInfo, BlockRef, ChainNotifications, FeeEstimate, Handler, RelayFees, Rpc, RpcMethodInfo,
    ScanRequest, ScanResult,
};

use crate::interfaces::handler::{HandlerProxy, HandlerServer};
use crate::interfaces::rpc::{RpcProxy, RpcServer};

crate::interface! {
    /// An [`interfaces::Chain`] served by the node.
    ChainProxy, ChainServer: dyn interfaces::Chain, schemas::chain_capnp::chain;
    [destroy]
    methods {
        fn get_tip() -> Option<BlockRef> => [opt_struct BlockRef];
        fn get_block_hash(height: i32 => [prim]) -> Option<[u8; 32]> => [opt_hash];
        fn find_block(hash: [u8; 32] => [hash]) -> Option<BlockInfo> => [opt_struct BlockInfo];
        fn find_fork(locator: &[BlockRef] => [list_struct BlockRef]) -> Option<BlockRef> => [opt_struct BlockRef];
        fn scan(request: &ScanRequest => [struct ScanRequest]) -> ScanResult => [struct ScanResult];
        fn broadcast_transaction(tx: &[u8] => [data], max_fee: i64 => [prim]) -> () => [unit];
        fn is_in_mempool(txid: [u8; 32] => [hash]) -> bool => [prim];
        fn has_descendants_in_mempool(txid: [u8; 32] => [hash]) -> bool => [prim];
        fn estimate_smart_fee(target: u32 => [prim], conservative: bool => [prim]) -> FeeEstimate => [struct FeeEstimate];
        fn relay_fees() -> RelayFees => [struct RelayFees];
        fn is_initial_block_download() -> bool => [prim];
        fn shutdown_requested() -> bool => [prim];
        fn handle_notifications(notifications: Arc<dyn ChainNotifications> => [cap_arc ChainNotificationsProxy ChainNotificationsServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn wait_for_notifications() -> () => [unit];
        fn handle_rpc(methods: &[RpcMethodInfo] => [list_struct RpcMethodInfo], executor: Arc<dyn Rpc> => [cap_arc RpcProxy RpcServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
    }
}

crate::interface! {
    /// Chain notifications delivered to another process.
    ChainNotificationsProxy, ChainNotificationsServer: dyn ChainNotifications, schemas::chain_capnp::chain_notifications;
    methods {
        fn block_connected(block: &BlockInfo => [struct BlockInfo]) -> () => [unit];
        fn block_disconnected(block: &BlockInfo => [struct BlockInfo]) -> () => [unit];
        fn transaction_added_to_mempool(tx: &[u8] => [data]) -> () => [unit];
        fn transaction_removed_from_mempool(txid: [u8; 32] => [hash], reason: &str => [text]) -> () => [unit];
        fn updated_block_tip() -> () => [unit];
    }
}
