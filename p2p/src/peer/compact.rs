//! A peer's compact blocks (BIP152 version 2, [`crate::compact`]): its `sendcmpct`; the
//! `cmpctblock`s it pushes (high-bandwidth) or sends when asked (low-bandwidth: a single new
//! header from it is fetched with `getdata(MSG_CMPCT_BLOCK)`), rebuilt from our mempool, the
//! missing transactions asked for with `getblocktxn`, the full block asked for when rebuilding
//! fails; its `getdata(MSG_CMPCT_BLOCK)` and `getblocktxn` answered; and our choice of it as
//! a high-bandwidth peer when it gives us a new tip.
//!
//! As Core: far from the tip (more than two blocks ahead, or our tip older than twenty block
//! intervals, as in initial block download) a `cmpctblock` only counts as a header and the
//! scheduler downloads the full block; a protocol violation (bad indexes, a `blocktxn` with
//! the wrong number of transactions) disconnects; a rebuilt block that turns out invalid
//! does not (BIP152 lets peers relay a block after checking only its header).

use std::sync::Arc;
use std::time::Instant;

use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds};
use bitcoin::block::Header;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::message_compact_blocks::{BlockTxn, CmpctBlock, GetBlockTxn, SendCmpct};
use bitcoin::{Block, BlockHash};

use super::{unix_now, Handled, Peer};
use crate::compact::{self, CompactError, PartialBlock, Selection};
use crate::{lock, Shared};

/// Compact blocks rebuilt at once from one peer, at most.
const MAX_PARTIAL_BLOCKS: usize = crate::sync::MAX_BLOCKS_IN_FLIGHT_PER_PEER;
/// Core's `CanDirectFetch`: the tip is younger than twenty block intervals (seconds).
const DIRECT_FETCH_AGE: u64 = 20 * 600;

/// The newest block announced as a compact block, kept to answer `getblocktxn` and
/// `getdata(MSG_CMPCT_BLOCK)` without reading it again (Core's `m_most_recent_block`): one
/// nonce per block for every peer, as Core.
pub(crate) struct RecentBlock {
    hash: BlockHash,
    block: Arc<Block>,
    compact: Arc<HeaderAndShortIds>,
}

/// `hash`'s block and its compact form, from the cache or else the chain (and then kept in
/// the cache if `keep`).
pub(crate) fn recent_block(
    shared: &Shared,
    hash: &BlockHash,
    keep: bool,
) -> Option<(Arc<Block>, Arc<HeaderAndShortIds>)> {
    if let Some(recent) = lock(&shared.recent_block)
        .as_ref()
        .filter(|r| r.hash == *hash)
    {
        return Some((recent.block.clone(), recent.compact.clone()));
    }
    let block = shared.blocking(|c| c.block(hash))?;
    let compact = Arc::new(compact::compact_block(&block, super::random_nonce())?);
    let block = Arc::new(block);
    if keep {
        *lock(&shared.recent_block) = Some(RecentBlock {
            hash: *hash,
            block: block.clone(),
            compact: compact.clone(),
        });
    }
    Some((block, compact))
}

/// Whether our tip is recent enough to fetch new blocks directly (Core's `CanDirectFetch`;
/// false during initial block download).
pub(crate) fn can_direct_fetch(shared: &Shared) -> bool {
    let time = shared.blocking(|c| {
        let (tip, _) = c.tip()?;
        c.header(&tip).map(|h| u64::from(h.time))
    });
    time.is_some_and(|t| t.saturating_add(DIRECT_FETCH_AGE) > unix_now())
}

fn sendcmpct(high_bandwidth: bool) -> NetworkMessage {
    NetworkMessage::SendCmpct(SendCmpct {
        send_compact: high_bandwidth,
        version: compact::CMPCTBLOCKS_VERSION,
    })
}

fn get_full_block(hash: BlockHash) -> NetworkMessage {
    NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash)])
}

impl Peer {
    /// After the handshake: we can send compact blocks, but want none pushed yet (Core sends
    /// `sendcmpct(false, 2)` to every peer that knows them).
    pub(super) fn offer_compact_blocks(&self, version: u32) -> Handled {
        if version < compact::SHORT_IDS_BLOCKS_VERSION {
            return Ok(());
        }
        self.send(sendcmpct(false))
    }

    /// The peer's `sendcmpct`: only version 2 counts (as Core).
    pub(super) fn on_sendcmpct(&self, message: SendCmpct) -> Handled {
        if message.version == compact::CMPCTBLOCKS_VERSION {
            let mut info = lock(&self.info);
            info.provides_cmpct = true;
            info.bip152_hb_from = message.send_compact;
        }
        Ok(())
    }

    /// `getdata(MSG_CMPCT_BLOCK)`: the compact block if it is among the last
    /// [`compact::MAX_CMPCTBLOCK_DEPTH`] blocks, else the full block.
    pub(super) fn compact_or_full(&self, hash: BlockHash) -> Option<NetworkMessage> {
        let (height, tip) = self
            .shared
            .blocking(|c| Some((c.header_height(&hash)?, c.tip()?.1)))?;
        if height >= tip - compact::MAX_CMPCTBLOCK_DEPTH && can_direct_fetch(&self.shared) {
            if let Some((_, compact)) = recent_block(&self.shared, &hash, false) {
                return Some(NetworkMessage::CmpctBlock(CmpctBlock {
                    compact_block: (*compact).clone(),
                }));
            }
        }
        self.shared
            .blocking(|c| c.block(&hash))
            .map(NetworkMessage::Block)
    }

    /// `getblocktxn`: the transactions asked for, or the full block if it is deeper than
    /// [`compact::MAX_BLOCKTXN_DEPTH`]; an index out of range disconnects.
    pub(super) async fn on_getblocktxn(&self, request: BlockTransactionsRequest) -> Handled {
        let hash = request.block_hash;
        let cached = lock(&self.shared.recent_block)
            .as_ref()
            .filter(|r| r.hash == hash)
            .map(|r| r.block.clone());
        let block = match cached {
            Some(block) => block,
            None => {
                let place = self
                    .shared
                    .blocking(|c| Some((c.header_height(&hash)?, c.tip()?.1)));
                let block = self.shared.blocking(|c| c.block(&hash));
                let (Some((height, tip)), Some(block)) = (place, block) else {
                    tracing::debug!(target: "net", "peer={} sent getblocktxn for block {hash} we do not have", self.id);
                    return Ok(());
                };
                if height < tip - compact::MAX_BLOCKTXN_DEPTH {
                    tracing::debug!(target: "net", "peer={} sent getblocktxn for block {hash} more than {} deep, sending it whole", self.id, compact::MAX_BLOCKTXN_DEPTH);
                    return self.send_wait(NetworkMessage::Block(block)).await;
                }
                Arc::new(block)
            }
        };
        let transactions = compact::block_transactions(&block, &request)
            .map_err(|e| format!("getblocktxn for block {hash}: {e}"))?;
        self.send_wait(NetworkMessage::BlockTxn(BlockTxn { transactions }))
            .await
    }

    /// For a `headers` message of one new block on our tip from a peer that speaks compact
    /// blocks while we are near the tip: claims the block so the scheduler leaves it, to be
    /// fetched with `getdata(MSG_CMPCT_BLOCK)` (Core's low-bandwidth mode).
    pub(super) fn claim_compact_fetch(&self, header: &Header) -> bool {
        if !lock(&self.info).provides_cmpct {
            return false;
        }
        let hash = header.block_hash();
        let on_tip = self.shared.blocking(|c| {
            c.tip().is_some_and(|(tip, _)| tip == header.prev_blockhash) && !c.has_block(&hash)
        });
        if !on_tip || !can_direct_fetch(&self.shared) {
            return false;
        }
        let mut download = lock(&self.shared.download);
        download.requested_from(&hash).is_none() && download.claim(hash, self.id, Instant::now())
    }

    /// A `cmpctblock`: its header is processed as a `headers` message of one; near the tip
    /// the block is rebuilt.
    pub(super) fn on_cmpctblock(&mut self, compact: HeaderAndShortIds) -> Handled {
        let header = compact.header;
        let hash = header.block_hash();
        let connects = self
            .shared
            .blocking(|c| c.header_height(&header.prev_blockhash).is_some());
        if !connects {
            // Core: ask for the headers leading to it (not during initial block download).
            if !self.headers_requested && can_direct_fetch(&self.shared) {
                return self.request_headers();
            }
            return Ok(());
        }
        let requested = lock(&self.shared.download).requested_from(&hash) == Some(self.id);
        // Claimed before the header is known, so the scheduler cannot fetch it meanwhile.
        let claimed = lock(&self.shared.download).claim(hash, self.id, Instant::now());
        self.shared
            .blocking(|c| c.process_headers(&[header]))
            .map_err(|e| format!("invalid header in cmpctblock {hash}: {e}"))?;
        let place = self
            .shared
            .blocking(|c| Some((c.header_height(&hash)?, c.tip()?.1, c.has_block(&hash))));
        let Some((height, tip, have)) = place else {
            return Ok(());
        };
        {
            let mut i = lock(&self.info);
            i.synced_headers = i.synced_headers.max(height);
        }
        if have || height <= tip {
            lock(&self.shared.download).unclaim(&hash, self.id);
            return Ok(());
        }
        if height > tip + 2 || !can_direct_fetch(&self.shared) {
            if requested {
                // We asked for it, but our mempool is of no use that far ahead.
                return self.send(get_full_block(hash));
            }
            if claimed {
                lock(&self.shared.download).unclaim(&hash, self.id);
            }
            self.shared.wake.notify_one();
            return Ok(());
        }
        self.rebuild(&compact, claimed)
    }

    /// Rebuilds a compact block near the tip from our mempool. Without the claim on it
    /// (another peer is sending it) only a block complete at once is taken, as Core.
    fn rebuild(&mut self, compact: &HeaderAndShortIds, claimed: bool) -> Handled {
        let hash = compact.header.block_hash();
        let mempool = self.shared.blocking(|c| c.mempool_transactions());
        let partial = match PartialBlock::new(compact, &mempool) {
            Ok(partial) => partial,
            Err(_) if !claimed => return Ok(()),
            Err(CompactError::Failed(reason)) => {
                tracing::debug!(target: "net", "cannot rebuild compact block {hash} from peer={} ({reason}), requesting the full block", self.id);
                return self.send(get_full_block(hash));
            }
            Err(e) => return Err(format!("invalid cmpctblock {hash}: {e}")),
        };
        let missing = partial.missing();
        if missing.is_empty() {
            return self.finish(partial, Vec::new(), claimed);
        }
        if !claimed {
            return Ok(());
        }
        if self.partial.len() >= MAX_PARTIAL_BLOCKS {
            return self.send(get_full_block(hash));
        }
        tracing::debug!(target: "net", "compact block {hash} from peer={}: {} of {} transactions from the mempool, asking for {}", self.id, partial.from_mempool(), partial.len(), missing.len());
        self.partial.insert(hash, partial);
        self.send(NetworkMessage::GetBlockTxn(GetBlockTxn {
            txs_request: BlockTransactionsRequest {
                block_hash: hash,
                indexes: missing,
            },
        }))
    }

    /// `blocktxn`: completes the compact block it answers (one we did not ask for is
    /// ignored, as Core).
    pub(super) fn on_blocktxn(&mut self, answer: BlockTransactions) -> Handled {
        let hash = answer.block_hash;
        let Some(partial) = self.partial.remove(&hash) else {
            tracing::debug!(target: "net", "peer={} sent blocktxn for block {hash} we did not ask for", self.id);
            return Ok(());
        };
        self.finish(partial, answer.transactions, true)
    }

    /// Fills in the last transactions and submits the block; `claimed` is whether we may
    /// ask this peer for the full block when the rebuilt one does not match its header.
    fn finish(
        &mut self,
        partial: PartialBlock,
        missing: Vec<bitcoin::Transaction>,
        claimed: bool,
    ) -> Handled {
        let hash = partial.block_hash();
        let asked = missing.len();
        let from_mempool = partial.from_mempool();
        let block = match partial.fill(missing) {
            Ok(block) => block,
            Err(CompactError::Failed(reason)) if claimed => {
                tracing::debug!(target: "net", "compact block {hash} from peer={} did not rebuild ({reason}), requesting the full block", self.id);
                return self.send(get_full_block(hash));
            }
            Err(CompactError::Failed(_)) => return Ok(()),
            Err(e) => return Err(format!("invalid blocktxn for block {hash}: {e}")),
        };
        // Logged before the block is submitted: once it is the tip, the line is there.
        tracing::debug!(target: "net", "rebuilt block {hash} from peer={}: {from_mempool} from the mempool, {asked} asked for", self.id);
        lock(&self.shared.download).received(&hash);
        let outcome = self.shared.blocking(|c| c.submit_block(block));
        self.shared.wake.notify_one();
        if let Err(reason) = outcome {
            tracing::info!(target: "net", "compact block {hash} from peer={} is invalid: {reason}", self.id);
            return Ok(());
        }
        if let Some(height) = self.shared.blocking(|c| c.header_height(&hash)) {
            let mut i = lock(&self.info);
            i.synced_blocks = i.synced_blocks.max(height);
            i.synced_headers = i.synced_headers.max(height);
        }
        self.select_high_bandwidth(&hash);
        Ok(())
    }

    /// The peer gave us `hash`: if it is our new tip and we are near the tip, the peer
    /// becomes one of our [`compact::MAX_HIGH_BANDWIDTH_PEERS`] high-bandwidth peers (Core's
    /// `MaybeSetPeerAsAnnouncingHeaderAndIDs`, without its rule of keeping an outbound one),
    /// and the oldest of them, if that makes too many, goes back to low bandwidth.
    pub(super) fn select_high_bandwidth(&self, hash: &BlockHash) {
        if !lock(&self.info).provides_cmpct {
            return;
        }
        let is_tip = self
            .shared
            .blocking(|c| c.tip().is_some_and(|(tip, _)| tip == *hash));
        if !is_tip || !can_direct_fetch(&self.shared) {
            return;
        }
        let selection = lock(&self.shared.high_bandwidth).select(self.id);
        let Selection::Added { dropped } = selection else {
            return;
        };
        tracing::debug!(target: "net", "peer={} selected for high-bandwidth compact blocks", self.id);
        lock(&self.info).bip152_hb_to = true;
        let _ = self.send(sendcmpct(true));
        if let Some(old) = dropped {
            if let Some(peer) = lock(&self.shared.peers).get(&old) {
                lock(&peer.info).bip152_hb_to = false;
                peer.send(sendcmpct(false));
            }
        }
    }
}
