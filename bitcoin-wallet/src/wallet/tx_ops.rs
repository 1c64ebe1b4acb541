//! Operations on the wallet's transaction history beyond sending: Core's
//! `AbandonTransaction` and the block arithmetic of `listsinceblock` (the height at which a
//! given block meets the active chain, the block `n` confirmations deep).

use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::{BlockHash, Txid};

use crate::wallet::error::WalletError;
use crate::wallet::local::LocalWallet;
use crate::wallet::sync::now;

/// Steps back through a stale branch before giving up on finding the active chain.
const MAX_FORK_WALK: usize = 10_000;

impl LocalWallet {
    /// Core's `AbandonTransaction`: a transaction neither confirmed nor in the node's mempool
    /// stops counting (with its descendants), so its inputs can be spent again; written
    /// before this returns. A later confirmation brings it back.
    pub fn abandon_transaction(&self, txid: &Txid) -> Result<(), WalletError> {
        let mut state = self.lock()?;
        let last_seen = {
            let wallet = &state.store.wallet;
            let Some(wtx) = wallet.get_tx(*txid) else {
                // Held but no longer counted: already abandoned (or replaced), no effect.
                return match wallet.tx_graph().get_tx(*txid) {
                    Some(_) => Ok(()),
                    None => Err(WalletError::UnknownTransaction),
                };
            };
            if wtx.chain_position.is_confirmed() {
                return Err(not_eligible());
            }
            wtx.tx_node.last_seen.unwrap_or(0)
        };
        if self.chain.is_in_mempool(txid.to_byte_array())? {
            return Err(not_eligible());
        }
        let evicted_at = now().max(last_seen + 1);
        state.store.wallet.apply_evicted_txs([(*txid, evicted_at)]);
        state.store.persist()?;
        state.in_mempool.remove(txid);
        drop(state);
        self.publish_changes();
        tracing::info!(wallet = %self.name, %txid, "abandoned transaction");
        Ok(())
    }

    /// Core's `findCommonAncestor(block, tip)`: the height where `block` meets the active
    /// chain and `block`'s own height; `None` when the node does not know `block`.
    pub fn fork_point(&self, block: &BlockHash) -> Result<Option<(u32, u32)>, WalletError> {
        let Some(info) = self.chain.find_block(block.to_byte_array())? else {
            return Ok(None);
        };
        let own_height = height_of(info.height)?;
        let mut cursor = info;
        for _ in 0..MAX_FORK_WALK {
            let active = self.chain.get_block_hash(cursor.height)?;
            if active == Some(cursor.hash) {
                return Ok(Some((height_of(cursor.height)?, own_height)));
            }
            match self.chain.find_block(cursor.prev_hash)? {
                Some(parent) => cursor = parent,
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The hash of the active chain's block at `height`.
    pub fn block_hash_at(&self, height: u32) -> Result<BlockHash, WalletError> {
        let h = i32::try_from(height).unwrap_or(i32::MAX);
        self.chain
            .get_block_hash(h)?
            .map(BlockHash::from_byte_array)
            .ok_or_else(|| WalletError::Chain(format!("the node has no block at height {height}")))
    }
}

fn not_eligible() -> WalletError {
    WalletError::NotEligible("Transaction not eligible for abandonment".into())
}

fn height_of(h: i32) -> Result<u32, WalletError> {
    u32::try_from(h).map_err(|_| WalletError::Chain(format!("the node reported height {h}")))
}
