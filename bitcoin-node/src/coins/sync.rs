//! Bringing the coins view in step with the kernel's active chain.
//!
//! Runs outside the kernel's validation (after `process_block` returns, and at startup), so it
//! may read blocks from the kernel freely: walk the view back with its own undo records until
//! its best block is in the active chain (after a reorg, or after a crash in which the kernel
//! lost blocks the view had already connected), then connect the active chain's blocks from
//! there to the tip, several per transaction when catching up.

use bitcoin::consensus::encode::deserialize;
use bitcoin::Block;
use bitcoinkernel::ChainstateManager;

use super::{BestBlock, CoinsError, CoinsView, Step};
use crate::chain::kernel_hash;

/// Blocks connected per transaction while catching up; a block's transactions count as one
/// each, so a batch holds at most about this many transactions (or one large block).
const BATCH_WEIGHT: usize = 20_000;

/// What a [`sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Blocks undone.
    pub disconnected: u32,
    /// Blocks connected.
    pub connected: u32,
    /// Whether the view had to be rebuilt from the genesis block.
    pub rebuilt: bool,
}

fn read_block(chainman: &ChainstateManager, height: i32) -> Result<Block, CoinsError> {
    let missing = || CoinsError::Kernel(format!("no active block at height {height}"));
    let index = usize::try_from(height).map_err(|_| missing())?;
    let entry = chainman
        .active_chain()
        .at_height(index)
        .ok_or_else(missing)?;
    let block = chainman
        .read_block_data(&entry)
        .map_err(|e| CoinsError::Kernel(format!("cannot read block at height {height}: {e}")))?;
    let raw = block
        .consensus_encode()
        .map_err(|e| CoinsError::Kernel(format!("cannot encode block at height {height}: {e}")))?;
    deserialize(&raw)
        .map_err(|e| CoinsError::Kernel(format!("cannot decode block at height {height}: {e}")))
}

/// The view's best block if it is in the kernel's active chain.
fn on_active_chain(chainman: &ChainstateManager, best: &BestBlock) -> bool {
    chainman
        .get_block_tree_entry(&kernel_hash(&best.hash))
        .is_some_and(|entry| chainman.active_chain().contains(&entry))
}

/// Disconnects the view down to a block of the active chain; returns the height to connect
/// from. Without an undo record (which should not happen) the view is cleared.
fn rewind(
    view: &CoinsView,
    chainman: &ChainstateManager,
    summary: &mut SyncSummary,
    step: &mut dyn FnMut(Step),
) -> Result<i32, CoinsError> {
    loop {
        let Some(best) = view.best_block()? else {
            return Ok(0);
        };
        if on_active_chain(chainman, &best) {
            return Ok(i32::try_from(best.height)
                .unwrap_or(i32::MAX)
                .saturating_add(1));
        }
        match view.disconnect_tip() {
            Ok(Some(undone)) => {
                summary.disconnected += 1;
                step(Step::Disconnected(undone));
            }
            Ok(None) => return Ok(0),
            Err(CoinsError::MissingUndo(hash)) => {
                tracing::warn!(%hash, "coins view has no undo record for its best block; rebuilding it");
                view.clear()?;
                summary.rebuilt = true;
                return Ok(0);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Connects the active chain's blocks `from..=tip` in batches.
fn connect_to_tip(
    view: &CoinsView,
    chainman: &ChainstateManager,
    from: i32,
    summary: &mut SyncSummary,
    step: &mut dyn FnMut(Step),
) -> Result<(), CoinsError> {
    let tip = chainman.active_chain().height();
    let total = tip - from + 1;
    if total > 1000 {
        tracing::info!(from, tip, "catching the coins view up with the chain");
    }
    let mut height = from;
    while height <= tip {
        let mut batch = Vec::new();
        let mut weight = 0;
        while height <= tip && (batch.is_empty() || weight < BATCH_WEIGHT) {
            let block = read_block(chainman, height)?;
            weight += block.txdata.len();
            batch.push((block, u32::try_from(height).unwrap_or_default()));
            height += 1;
        }
        let refs: Vec<(&Block, u32)> = batch.iter().map(|(b, h)| (b, *h)).collect();
        view.connect(&refs)?;
        for (block, height) in &batch {
            summary.connected += 1;
            step(Step::Connected(BestBlock {
                hash: block.block_hash(),
                height: *height,
            }));
        }
        if total > 1000 {
            tracing::info!(height = height - 1, tip, "coins view catching up");
        }
    }
    Ok(())
}

/// Brings `view` in step with `chainman`'s active chain, reporting each step in order. Must
/// not run inside a kernel callback (it reads blocks from the kernel). If a block does not fit
/// the view (a bug or a damaged database), the view is rebuilt once from the genesis block.
pub fn sync(
    view: &CoinsView,
    chainman: &ChainstateManager,
    step: &mut dyn FnMut(Step),
) -> Result<SyncSummary, CoinsError> {
    let mut summary = SyncSummary::default();
    let tip_hash = crate::chain::entry_hash(&chainman.active_chain().tip());
    if view.best_block()?.map(|b| b.hash) == Some(tip_hash) {
        return Ok(summary);
    }
    let from = rewind(view, chainman, &mut summary, step)?;
    match connect_to_tip(view, chainman, from, &mut summary, step) {
        Err(CoinsError::Inconsistent(why)) if !summary.rebuilt => {
            tracing::warn!("{why}; rebuilding the coins view");
            view.clear()?;
            summary.rebuilt = true;
            connect_to_tip(view, chainman, 0, &mut summary, step)?;
        }
        other => other?,
    }
    Ok(summary)
}
