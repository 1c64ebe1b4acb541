//! BIP152 compact blocks, version 2 (wtxid short ids), free of I/O: building the
//! `cmpctblock` we announce, rebuilding a peer's from its prefilled transactions and our
//! mempool (Core's `PartiallyDownloadedBlock`), answering `getblocktxn`, and the choice of
//! high-bandwidth peers (Core's `lNodesAnnouncingHeaderAndIDs`).
//!
//! The encodings are rust-bitcoin's ([`bitcoin::bip152`]); this module only checks what a
//! peer sent against what a block can be. A peer's mistake comes back as
//! [`CompactError::Invalid`] (a protocol violation: the peer is disconnected, as Core's
//! `READ_STATUS_INVALID` makes it misbehave) or [`CompactError::Failed`] (a short-id
//! collision or a block that does not hash to its header: the full block is asked for, as
//! Core's `READ_STATUS_FAILED`). Nothing here panics on a peer's input.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bitcoin::bip152::{
    BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds, PrefilledTransaction, ShortId,
};
use bitcoin::block::Header;
use bitcoin::{Block, BlockHash, Transaction, Wtxid};

use crate::sync::PeerId;

/// The compact block version we speak (Core's `CMPCTBLOCKS_VERSION`: wtxid short ids).
pub const CMPCTBLOCKS_VERSION: u64 = 2;
/// The first protocol version that knows compact blocks (Core's `SHORT_IDS_BLOCKS_VERSION`).
pub const SHORT_IDS_BLOCKS_VERSION: u32 = 70014;
/// Blocks deeper than this below the tip are served as full blocks when asked for as
/// compact blocks (Core's `MAX_CMPCTBLOCK_DEPTH`).
pub const MAX_CMPCTBLOCK_DEPTH: i32 = 5;
/// Blocks deeper than this below the tip are served as full blocks when a peer asks for
/// some of their transactions (Core's `MAX_BLOCKTXN_DEPTH`).
pub const MAX_BLOCKTXN_DEPTH: i32 = 10;
/// Peers asked to announce new blocks with `cmpctblock` right away (Core: 3).
pub const MAX_HIGH_BANDWIDTH_PEERS: usize = 3;
/// The most transactions a block can hold: the block weight limit over the weight of the
/// smallest serializable transaction (Core's `MAX_BLOCK_WEIGHT /
/// MIN_SERIALIZABLE_TRANSACTION_WEIGHT`).
pub const MAX_BLOCK_TXS: usize = 4_000_000 / 40;

/// Why a compact block or its missing transactions could not make a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactError {
    /// The peer broke the protocol (bad indexes, too many or too few transactions): it is
    /// disconnected.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The block could not be rebuilt (short-id collision, a rebuilt block that does not
    /// match its header): the full block is requested instead.
    #[error("failed: {0}")]
    Failed(String),
}

/// The `cmpctblock` for `block` with `nonce`: version 2 short ids, only the coinbase
/// prefilled (as Core announces).
pub fn compact_block(block: &Block, nonce: u64) -> Option<HeaderAndShortIds> {
    if block.txdata.is_empty() {
        return None;
    }
    HeaderAndShortIds::from_block(block, nonce, 2, &[]).ok()
}

/// The transactions of `block` a `getblocktxn` asks for; an index past the end is a protocol
/// violation (Core: "getblocktxn with out-of-bounds tx indices").
pub fn block_transactions(
    block: &Block,
    request: &BlockTransactionsRequest,
) -> Result<BlockTransactions, CompactError> {
    let mut transactions = Vec::with_capacity(request.indexes.len().min(block.txdata.len()));
    for index in &request.indexes {
        let tx = usize::try_from(*index)
            .ok()
            .and_then(|i| block.txdata.get(i))
            .ok_or_else(|| {
                CompactError::Invalid(format!(
                    "getblocktxn with out-of-bounds tx index {index} (block has {})",
                    block.txdata.len()
                ))
            })?;
        transactions.push(tx.clone());
    }
    Ok(BlockTransactions {
        block_hash: request.block_hash,
        transactions,
    })
}

/// A block being rebuilt from a compact block: the transactions known so far, in block
/// order (Core's `PartiallyDownloadedBlock`).
#[derive(Debug, Clone)]
pub struct PartialBlock {
    header: Header,
    txs: Vec<Option<Arc<Transaction>>>,
    from_mempool: usize,
}

/// Places the prefilled transactions (differentially indexed) in a block of `total`
/// transactions; `short_ids` is how many short ids fill the rest.
fn place_prefilled(
    prefilled: &[PrefilledTransaction],
    short_ids: usize,
    total: usize,
) -> Result<Vec<Option<Arc<Transaction>>>, CompactError> {
    let mut txs = vec![None; total];
    let mut next = 0usize;
    for (i, p) in prefilled.iter().enumerate() {
        if p.tx.input.is_empty() && p.tx.output.is_empty() {
            return Err(CompactError::Invalid(format!(
                "prefilled transaction {i} is null"
            )));
        }
        let index = next.saturating_add(usize::from(p.idx));
        // Core: the index fits 16 bits, and no more than the short ids plus the prefilled
        // transactions before it come first.
        if index > usize::from(u16::MAX) || index > short_ids + i {
            return Err(CompactError::Invalid(format!(
                "prefilled transaction index {index} out of range"
            )));
        }
        txs[index] = Some(Arc::new(p.tx.clone()));
        next = index + 1;
    }
    Ok(txs)
}

impl PartialBlock {
    /// Starts rebuilding `compact` with the transactions of `mempool` (each with its
    /// wtxid) whose short ids match. Two mempool transactions with the same short id leave
    /// that slot missing (it is asked for); two equal short ids in the block fail.
    pub fn new(
        compact: &HeaderAndShortIds,
        mempool: &[(Wtxid, Arc<Transaction>)],
    ) -> Result<PartialBlock, CompactError> {
        let short_ids = compact.short_ids.len();
        let total = short_ids.saturating_add(compact.prefilled_txs.len());
        if total == 0 {
            return Err(CompactError::Invalid("empty compact block".into()));
        }
        if total > MAX_BLOCK_TXS {
            return Err(CompactError::Invalid(format!(
                "compact block with {total} transactions"
            )));
        }
        let mut txs = place_prefilled(&compact.prefilled_txs, short_ids, total)?;
        let mut slots: HashMap<ShortId, usize> = HashMap::with_capacity(short_ids);
        let mut ids = compact.short_ids.iter();
        for (slot, tx) in txs.iter().enumerate() {
            if tx.is_some() {
                continue;
            }
            let Some(id) = ids.next() else {
                return Err(CompactError::Invalid("too few short ids".into()));
            };
            if slots.insert(*id, slot).is_some() {
                return Err(CompactError::Failed(format!(
                    "short id collision in block {}",
                    compact.header.block_hash()
                )));
            }
        }
        let keys = ShortId::calculate_siphash_keys(&compact.header, compact.nonce);
        let mut matched = vec![false; total];
        let mut from_mempool = 0usize;
        for (wtxid, tx) in mempool {
            let id = ShortId::with_siphash_keys(&wtxid.to_raw_hash(), keys);
            let Some(&slot) = slots.get(&id) else {
                continue;
            };
            if !matched[slot] {
                matched[slot] = true;
                txs[slot] = Some(tx.clone());
                from_mempool += 1;
            } else if txs[slot].take().is_some() {
                // Two of ours match one short id: ask for it.
                from_mempool -= 1;
            }
        }
        Ok(PartialBlock {
            header: compact.header,
            txs,
            from_mempool,
        })
    }

    /// The block's hash.
    pub fn block_hash(&self) -> BlockHash {
        self.header.block_hash()
    }

    /// How many transactions the block has.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether the block has no transactions (never: [`PartialBlock::new`] refuses those).
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// How many transactions came from the mempool.
    pub fn from_mempool(&self) -> usize {
        self.from_mempool
    }

    /// The indexes of the transactions still missing (for `getblocktxn`), ascending.
    pub fn missing(&self) -> Vec<u64> {
        self.txs
            .iter()
            .enumerate()
            .filter(|(_, tx)| tx.is_none())
            .map(|(i, _)| i as u64)
            .collect()
    }

    /// Completes the block with `missing` (the transactions [`PartialBlock::missing`] named,
    /// in order): a different count is a protocol violation; a block whose merkle root or
    /// witness commitment does not match fails (a short-id collision, or a peer's lie).
    pub fn fill(self, missing: Vec<Transaction>) -> Result<Block, CompactError> {
        let wanted = self.txs.iter().filter(|t| t.is_none()).count();
        if missing.len() != wanted {
            return Err(CompactError::Invalid(format!(
                "{} transactions sent for {wanted} missing",
                missing.len()
            )));
        }
        let mut missing = missing.into_iter();
        let mut txdata = Vec::with_capacity(self.txs.len());
        for tx in self.txs {
            match tx {
                Some(tx) => txdata.push(Arc::unwrap_or_clone(tx)),
                None => {
                    let Some(tx) = missing.next() else {
                        return Err(CompactError::Invalid("too few transactions".into()));
                    };
                    txdata.push(tx);
                }
            }
        }
        let block = Block {
            header: self.header,
            txdata,
        };
        if !block.check_merkle_root() {
            return Err(CompactError::Failed(
                "rebuilt block does not match its merkle root".into(),
            ));
        }
        if !block.check_witness_commitment() {
            return Err(CompactError::Failed(
                "rebuilt block does not match its witness commitment".into(),
            ));
        }
        Ok(block)
    }
}

/// The peers we asked to announce new blocks with `cmpctblock` (`sendcmpct(true)`), oldest
/// first (Core's `lNodesAnnouncingHeaderAndIDs`): the last [`MAX_HIGH_BANDWIDTH_PEERS`]
/// peers that gave us a new tip.
#[derive(Debug, Default)]
pub struct HighBandwidth {
    peers: VecDeque<PeerId>,
}

/// What [`HighBandwidth::select`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The peer was already selected (it is now the newest).
    Already,
    /// The peer is newly selected (send it `sendcmpct(true)`), and the oldest one dropped
    /// to make room, if any (send it `sendcmpct(false)`).
    Added {
        /// The peer no longer selected.
        dropped: Option<PeerId>,
    },
}

impl HighBandwidth {
    /// Selects `peer`, which just gave us a new tip.
    pub fn select(&mut self, peer: PeerId) -> Selection {
        if let Some(at) = self.peers.iter().position(|p| *p == peer) {
            self.peers.remove(at);
            self.peers.push_back(peer);
            return Selection::Already;
        }
        let dropped = if self.peers.len() >= MAX_HIGH_BANDWIDTH_PEERS {
            self.peers.pop_front()
        } else {
            None
        };
        self.peers.push_back(peer);
        Selection::Added { dropped }
    }

    /// Forgets `peer` (it disconnected).
    pub fn remove(&mut self, peer: PeerId) {
        self.peers.retain(|p| *p != peer);
    }

    /// The selected peers, oldest first.
    pub fn peers(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.peers.iter().copied()
    }
}

#[cfg(test)]
mod tests;
