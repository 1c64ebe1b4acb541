//! Operations on the wallet's transaction history beyond sending: Core's
//! `AbandonTransaction` and the block arithmetic of `listsinceblock` (the height at which a
//! given block meets the active chain, the block `n` confirmations deep, the wallet's
//! transactions of the blocks a reorg took away).

use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::{BlockHash, OutPoint, Txid};

use crate::wallet::error::WalletError;
use crate::wallet::history::{Ledger, TxRecord};
use crate::wallet::local::LocalWallet;
use crate::wallet::sync::now;

/// Steps back through a stale branch before giving up on finding the active chain.
const MAX_FORK_WALK: usize = 10_000;

impl LocalWallet {
    /// Core's `AbandonTransaction`: a transaction neither confirmed nor in the node's mempool
    /// stops counting, with its unconfirmed descendants, so its inputs can be spent again; it
    /// stays in the history marked abandoned (recorded before this returns, so it survives a
    /// restart). A later confirmation or a return to the mempool ends the abandonment.
    pub fn abandon_transaction(&self, txid: &Txid) -> Result<(), WalletError> {
        let mut state = self.lock()?;
        {
            let Some(wtx) = state.store.wallets().find_map(|w| w.get_tx(*txid)) else {
                // Held but no longer counted: already abandoned (or replaced), no effect.
                let held = state
                    .store
                    .wallets()
                    .any(|w| w.tx_graph().get_tx(*txid).is_some());
                return if held {
                    Ok(())
                } else {
                    Err(WalletError::UnknownTransaction)
                };
            };
            if wtx.chain_position.is_confirmed() {
                return Err(not_eligible());
            }
        }
        if self.chain.is_in_mempool(txid.to_byte_array())? {
            return Err(not_eligible());
        }
        let mut family = vec![*txid];
        for wallet in state.store.wallets() {
            for t in unconfirmed_family(wallet, *txid) {
                if !family.contains(&t) {
                    family.push(t);
                }
            }
        }
        let last_seen = family
            .iter()
            .flat_map(|t| {
                state
                    .store
                    .wallets()
                    .filter_map(|w| w.tx_graph().get_tx_node(*t)?.last_seen)
                    .collect::<Vec<_>>()
            })
            .max()
            .unwrap_or(0);
        let evicted_at = now().max(last_seen + 1);
        for wallet in state.store.wallets_mut() {
            wallet.apply_evicted_txs(family.iter().map(|t| (*t, evicted_at)));
        }
        state.store.persist()?;
        state.store.set_abandoned(&family)?;
        for t in &family {
            state.in_mempool.remove(t);
        }
        drop(state);
        self.publish_changes();
        tracing::info!(wallet = %self.name, %txid, descendants = family.len() - 1, "abandoned transaction");
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

    /// The wallet's transactions of the blocks from `block` down to the one above height
    /// `fork_height` (Core's walk for `listsinceblock`'s `removed`: from `block` back through
    /// its parents, each block's transactions in block order). Core reads those blocks from
    /// the node's disk; the wallet reads which of its transactions each held from its own
    /// record of where it saw them confirmed, which the reorg does not erase. `None` when the
    /// node does not know one of the blocks (Core: "Can't read block from disk").
    pub fn removed_since(
        &self,
        block: &BlockHash,
        fork_height: u32,
    ) -> Result<Option<Vec<TxRecord>>, WalletError> {
        let mut stale = Vec::new();
        let mut cursor = block.to_byte_array();
        loop {
            let Some(info) = self.chain.find_block(cursor)? else {
                return Ok(None);
            };
            if height_of(info.height)? <= fork_height {
                break;
            }
            stale.push(BlockHash::from_byte_array(info.hash));
            cursor = info.prev_hash;
        }
        let state = self.lock()?;
        let ledger = Ledger::new(&state.store, self.options.network, &state.in_mempool);
        Ok(Some(
            stale
                .iter()
                .flat_map(|b| state.store.block_txs(b))
                .filter_map(|t| ledger.held_record(&t))
                .collect(),
        ))
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

/// `txid` and its counted unconfirmed descendants in the wallet, `txid` first (Core marks
/// them all abandoned: a descendant left counted would keep its parent counted too).
fn unconfirmed_family(wallet: &bdk_wallet::Wallet, txid: Txid) -> Vec<Txid> {
    let mut family = vec![txid];
    let mut next = 0;
    while let Some(current) = family.get(next).copied() {
        next += 1;
        let outputs = wallet
            .tx_graph()
            .get_tx(current)
            .map_or(0, |t| t.output.len());
        for vout in 0..outputs {
            let outpoint = OutPoint::new(current, u32::try_from(vout).unwrap_or(u32::MAX));
            for child in wallet.tx_graph().outspends(outpoint) {
                let counted = wallet
                    .get_tx(*child)
                    .is_some_and(|c| !c.chain_position.is_confirmed());
                if counted && !family.contains(child) {
                    family.push(*child);
                }
            }
        }
    }
    family
}

fn not_eligible() -> WalletError {
    WalletError::NotEligible("Transaction not eligible for abandonment".into())
}

fn height_of(h: i32) -> Result<u32, WalletError> {
    u32::try_from(h).map_err(|_| WalletError::Chain(format!("the node reported height {h}")))
}
