//! Reading the chainstate: the tip, blocks and headers by hash or height.

use bitcoin::block::Header;
use bitcoin::consensus::encode::deserialize;
use bitcoin::{Block, BlockHash};
use bitcoinkernel::prelude::*;
use bitcoinkernel::BlockTreeEntry;

use super::{entry_hash, kernel_hash, BlockInfo, ChainState, Tip};

impl ChainState {
    fn median_time_past(entry: &BlockTreeEntry<'_>) -> u32 {
        let mut times = Vec::with_capacity(11);
        times.push(entry.header().timestamp());
        let mut prev = entry.prev();
        while times.len() < 11 {
            match prev {
                Some(p) => {
                    times.push(p.header().timestamp());
                    prev = p.prev();
                }
                None => break,
            }
        }
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// The active chain's tip (`None` once closed).
    pub fn tip(&self) -> Option<Tip> {
        let guard = self.manager();
        let chainman = guard.as_ref()?;
        let chain = chainman.active_chain();
        let tip = chain.tip();
        let header = tip.header();
        Some(Tip {
            height: tip.height(),
            hash: entry_hash(&tip),
            time: header.timestamp(),
            median_time_past: Self::median_time_past(&tip),
            bits: header.bits(),
        })
    }

    /// The hash of the active chain's block at `height`.
    pub fn block_hash_at(&self, height: i32) -> Option<BlockHash> {
        let height = usize::try_from(height).ok()?;
        let guard = self.manager();
        let chainman = guard.as_ref()?;
        let entry = chainman.active_chain().at_height(height)?;
        Some(entry_hash(&entry))
    }

    /// What the node knows of a block: its header, height, whether it is in the active chain,
    /// and its median time past.
    pub fn block_info(&self, hash: &BlockHash) -> Option<BlockInfo> {
        let guard = self.manager();
        let chainman = guard.as_ref()?;
        let entry = chainman.get_block_tree_entry(&kernel_hash(hash))?;
        let raw = entry.header().consensus_encode().ok()?;
        let header: Header = deserialize(&raw).ok()?;
        Some(BlockInfo {
            header,
            height: entry.height(),
            in_active_chain: chainman.active_chain().contains(&entry),
            median_time_past: Self::median_time_past(&entry),
        })
    }

    /// The full block, if stored.
    pub fn block(&self, hash: &BlockHash) -> Option<Block> {
        let guard = self.manager();
        let chainman = guard.as_ref()?;
        let entry = chainman.get_block_tree_entry(&kernel_hash(hash))?;
        let block = chainman.read_block_data(&entry).ok()?;
        deserialize(&block.consensus_encode().ok()?).ok()
    }
}
