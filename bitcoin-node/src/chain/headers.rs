//! What P2P sync needs of the block index: processing headers (before their blocks),
//! locators, the headers after a peer's locator, and the blocks still missing on the way to
//! the best header.

use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::BlockHash;
use bitcoinkernel::prelude::*;
use bitcoinkernel::{BlockTreeEntry, ProcessBlockHeaderResult};

use super::tips::Known;
use super::{entry_hash, kernel_hash, lock, reject_reason, ChainState};

fn entry_header(entry: &BlockTreeEntry<'_>) -> Option<Header> {
    deserialize(&entry.header().consensus_encode().ok()?).ok()
}

impl ChainState {
    /// Validates and stores `headers` in order (Core's `ProcessNewBlockHeaders`); the error
    /// names the first invalid one.
    pub fn process_headers(&self, headers: &[Header]) -> Result<(), String> {
        for header in headers {
            self.process_header(header)
                .map_err(|reason| format!("{}: {reason}", header.block_hash()))?;
        }
        Ok(())
    }

    /// Validates and stores one header (Core's `submitheader`); the error is the reject
    /// reason.
    pub fn process_header(&self, header: &Header) -> Result<(), String> {
        // Core's first header check; the kernel reports any header failure as one category.
        if header.validate_pow(header.target()).is_err() {
            return Err("high-hash".into());
        }
        let guard = self.manager();
        let chainman = guard.as_ref().ok_or("shutting down")?;
        let raw = serialize(header);
        let kernel = bitcoinkernel::BlockHeader::new(&raw).map_err(|e| e.to_string())?;
        match chainman.process_block_header(&kernel) {
            Ok(ProcessBlockHeaderResult::Valid) => {
                // A header without its block is a (headers-only) chain tip until its block or
                // a child arrives.
                lock(&self.tips).note(chainman, header.block_hash(), Known::Unchecked);
                Ok(())
            }
            Ok(ProcessBlockHeaderResult::Invalid(state)) => Err(reject_reason(state.result())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The height of a header in the block index.
    pub fn header_height(&self, hash: &BlockHash) -> Option<i32> {
        let guard = self.manager();
        let chainman = guard.as_ref()?;
        Some(chainman.get_block_tree_entry(&kernel_hash(hash))?.height())
    }

    /// The height of the best known header (Core's `pindexBestHeader`).
    pub fn best_header_height(&self) -> Option<i32> {
        let guard = self.manager();
        Some(guard.as_ref()?.best_entry()?.height())
    }

    /// The height and time of the best known header (Core's `getHeaderTip` and
    /// `getHeaderTipTime`).
    pub fn best_header_tip(&self) -> Option<(i32, i64)> {
        let guard = self.manager();
        let best = guard.as_ref()?.best_entry()?;
        Some((best.height(), i64::from(entry_header(&best)?.time)))
    }

    /// A header in the block index.
    pub fn header(&self, hash: &BlockHash) -> Option<Header> {
        let guard = self.manager();
        let chainman = guard.as_ref()?;
        entry_header(&chainman.get_block_tree_entry(&kernel_hash(hash))?)
    }

    /// A block locator (Core's `GetLocator`) from the best header: the last ten, then
    /// exponentially further back, ending at genesis.
    pub fn locator(&self) -> Vec<BlockHash> {
        let guard = self.manager();
        let Some(chainman) = guard.as_ref() else {
            return Vec::new();
        };
        let Some(best) = chainman.best_entry() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut height = best.height();
        let mut step = 1;
        while height > 0 {
            if let Some(entry) = best.ancestor(height) {
                out.push(entry_hash(&entry));
            }
            if out.len() >= 10 {
                step *= 2;
            }
            height -= step;
        }
        if let Some(genesis) = best.ancestor(0) {
            out.push(entry_hash(&genesis));
        }
        out
    }

    /// Up to `max` active-chain headers after the first locator hash in the active chain
    /// (after genesis when none is), ending at `stop` if met.
    pub fn headers_after(
        &self,
        locator: &[BlockHash],
        stop: &BlockHash,
        max: usize,
    ) -> Vec<Header> {
        let guard = self.manager();
        let Some(chainman) = guard.as_ref() else {
            return Vec::new();
        };
        let chain = chainman.active_chain();
        let fork = locator
            .iter()
            .filter_map(|h| chainman.get_block_tree_entry(&kernel_hash(h)))
            .find(|e| chain.contains(e))
            .map_or(0, |e| e.height());
        let mut out = Vec::new();
        let mut height = usize::try_from(fork).unwrap_or(0) + 1;
        while out.len() < max {
            let Some(entry) = chain.at_height(height) else {
                break;
            };
            let Some(header) = entry_header(&entry) else {
                break;
            };
            out.push(header);
            if entry_hash(&entry) == *stop {
                break;
            }
            height += 1;
        }
        out
    }

    /// Up to `max` blocks between the active tip and the best header that are not in the
    /// active chain (their data may be missing), lowest first, with their heights.
    pub fn missing_blocks(&self, max: usize) -> Vec<(BlockHash, i32)> {
        let guard = self.manager();
        let Some(chainman) = guard.as_ref() else {
            return Vec::new();
        };
        let chain = chainman.active_chain();
        let Some(best) = chainman.best_entry() else {
            return Vec::new();
        };
        // The fork point: the highest ancestor of the best header in the active chain.
        let tip_height = chain.height();
        let mut low = best.height().min(tip_height);
        while low > 0 && !best.ancestor(low).is_some_and(|e| chain.contains(&e)) {
            low -= 1;
        }
        let high = best
            .height()
            .min(low.saturating_add(i32::try_from(max).unwrap_or(i32::MAX)));
        ((low + 1)..=high)
            .filter_map(|h| best.ancestor(h).map(|e| (entry_hash(&e), h)))
            .collect()
    }
}
