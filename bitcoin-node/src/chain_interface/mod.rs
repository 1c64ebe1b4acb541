//! The node's [`interfaces::Chain`] (Core's `ChainImpl` in `node/interfaces.cpp`): what a wallet
//! asks of the node, answered from the chainstate, the mempool and the fee estimator.
//!
//! - [`scan`]: the node-side filter, blocks read here and only matching transactions returned;
//! - [`notify`]: chain notifications, one delivery thread per subscriber, in chain order;
//! - [`forward`]: another process's RPC methods merged into the node's server.

pub mod forward;
pub mod notify;
pub mod scan;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

use bitcoin::consensus::encode::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::{Amount, BlockHash, Transaction, Txid};
use interfaces::{
    BlockInfo, BlockRef, ChainNotifications, Error, FeeEstimate, Handler, RelayFees, Rpc,
    RpcMethodInfo, ScanRequest, ScanResult,
};
use rpc::Dispatcher;

use crate::chain::ChainState;
use crate::mempool::accept::AcceptOptions;
use crate::mempool::estimator::SharedEstimator;
use crate::mempool::{Mempool, RejectKind};

/// The node's `Chain`; clones share the node's state (each client gets one).
#[derive(Clone)]
pub struct LocalChain {
    chain: Arc<ChainState>,
    mempool: Arc<Mempool>,
    estimator: Arc<SharedEstimator>,
    rpc: Arc<OnceLock<Arc<Dispatcher>>>,
    shutting_down: Arc<dyn Fn() -> bool + Send + Sync>,
    subscribers: Arc<notify::Subscribers>,
}

impl LocalChain {
    /// A `Chain` over the node's state. `rpc` is filled in once the node's dispatcher exists
    /// (wallet methods join it); `shutting_down` answers [`interfaces::Chain::shutdown_requested`].
    pub fn new(
        chain: Arc<ChainState>,
        mempool: Arc<Mempool>,
        estimator: Arc<SharedEstimator>,
        rpc: Arc<OnceLock<Arc<Dispatcher>>>,
        shutting_down: Arc<dyn Fn() -> bool + Send + Sync>,
    ) -> LocalChain {
        LocalChain {
            chain,
            mempool,
            estimator,
            rpc,
            shutting_down,
            subscribers: Arc::new(notify::Subscribers::default()),
        }
    }
}

fn block_hash(bytes: [u8; 32]) -> BlockHash {
    BlockHash::from_byte_array(bytes)
}

/// What a notification or scan says of the block `hash`.
pub(crate) fn block_info(chain: &ChainState, hash: &BlockHash) -> Option<BlockInfo> {
    let info = chain.block_info(hash)?;
    Some(BlockInfo {
        hash: hash.to_byte_array(),
        prev_hash: info.header.prev_blockhash.to_byte_array(),
        height: info.height,
        time: i64::from(info.header.time),
    })
}

impl interfaces::Chain for LocalChain {
    fn get_tip(&self) -> Result<Option<BlockRef>, Error> {
        Ok(self.chain.tip().map(|tip| BlockRef {
            hash: tip.hash.to_byte_array(),
            height: tip.height,
        }))
    }

    fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>, Error> {
        Ok(self.chain.block_hash_at(height).map(|h| h.to_byte_array()))
    }

    fn find_block(&self, hash: [u8; 32]) -> Result<Option<BlockInfo>, Error> {
        Ok(block_info(&self.chain, &block_hash(hash)))
    }

    fn find_fork(&self, locator: &[BlockRef]) -> Result<Option<BlockRef>, Error> {
        let mut best: Option<BlockRef> = None;
        for block in locator {
            let active = self.chain.block_hash_at(block.height);
            if active.is_some_and(|h| h.to_byte_array() == block.hash)
                && best.is_none_or(|b| b.height < block.height)
            {
                best = Some(*block);
            }
        }
        Ok(best)
    }

    fn scan(&self, request: &ScanRequest) -> Result<ScanResult, Error> {
        scan::scan(&self.chain, &self.mempool, request)
    }

    fn broadcast_transaction(&self, tx: &[u8], max_fee: i64) -> Result<(), Error> {
        let tx: Transaction =
            deserialize(tx).map_err(|e| Error::failed(format!("TX decode failed: {e}")))?;
        if self.mempool.get(&tx.compute_txid()).is_some() {
            return Ok(());
        }
        let options = AcceptOptions {
            max_fee: u64::try_from(max_fee)
                .ok()
                .filter(|fee| *fee > 0)
                .map(Amount::from_sat),
            ..AcceptOptions::default()
        };
        match self.mempool.accept(Arc::new(tx), options) {
            Ok(_) => Ok(()),
            Err(rejected) => Err(Error::failed(match rejected.kind {
                RejectKind::MissingInputs => "bad-txns-inputs-missingorspent".to_string(),
                RejectKind::MaxFeeExceeded => {
                    "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into()
                }
                _ => rejected.to_string(),
            })),
        }
    }

    fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool, Error> {
        Ok(self.mempool.get(&Txid::from_byte_array(txid)).is_some())
    }

    fn has_descendants_in_mempool(&self, txid: [u8; 32]) -> Result<bool, Error> {
        Ok(self
            .mempool
            .descendants(&Txid::from_byte_array(txid))
            .is_some_and(|d| d.len() > 1))
    }

    fn estimate_smart_fee(&self, target: u32, conservative: bool) -> Result<FeeEstimate, Error> {
        let estimate = self
            .estimator
            .lock()
            .estimate_smart_fee(target, conservative);
        let floor = self
            .mempool
            .min_fee()
            .max(self.mempool.options().min_relay_fee);
        Ok(estimate.map_or(FeeEstimate::default(), |e| FeeEstimate {
            fee_per_kvb: i64::try_from(e.fee_rate.max(floor)).unwrap_or(i64::MAX),
            returned_target: e.blocks,
        }))
    }

    fn relay_fees(&self) -> Result<RelayFees, Error> {
        let options = self.mempool.options();
        let sat = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Ok(RelayFees {
            min_relay: sat(options.min_relay_fee),
            incremental: sat(options.incremental_relay_fee),
            dust_relay: sat(options.dust_relay_fee),
            mempool_min: sat(self.mempool.min_fee()),
        })
    }

    fn is_initial_block_download(&self) -> Result<bool, Error> {
        Ok(self.chain.initial_block_download())
    }

    fn shutdown_requested(&self) -> Result<bool, Error> {
        Ok((self.shutting_down)())
    }

    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>, Error> {
        notify::subscribe(&self.chain, &self.subscribers, notifications)
    }

    fn wait_for_notifications(&self) -> Result<(), Error> {
        let tip = self.chain.tip().map(|t| (t.hash, t.height));
        self.subscribers.wait_until_delivered(tip);
        Ok(())
    }

    fn handle_rpc(
        &self,
        methods: &[RpcMethodInfo],
        executor: Arc<dyn Rpc>,
    ) -> Result<Box<dyn Handler>, Error> {
        let dispatcher = self
            .rpc
            .get()
            .ok_or_else(|| Error::failed("the node's RPC server is not running"))?;
        Ok(forward::merge(dispatcher, methods, executor))
    }
}
