//! The node's chainstate: Bitcoin Core's own validation and block storage
//! (libbitcoinkernel, through the `bitcoinkernel` crate), and what the node builds on it:
//! reading blocks and headers by hash or height, submitting blocks (validity learnt from the
//! kernel's block-checked callback), mining coinbase-only blocks on regtest, the coins view
//! ([`crate::coins`], brought in step after every processed block and at startup), the chain
//! tips ([`ChainTip`], remembered by the node as the kernel cannot list its block index),
//! `-reindex` and custom signets ([`ChainOptions`]), and the events the rest of the node is
//! built on ([`ChainEvent`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitcoin::block::Header;
use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Block, BlockHash, CompactTarget, Script};
use bitcoinkernel::prelude::BlockHashExt as _;
use bitcoinkernel::{
    BlockValidationResult, ChainType, ChainstateManager, Context, ProcessBlockResult,
};

use crate::coins::{CoinsError, CoinsView};
use crate::mining::{self, Grind};
pub use events::ChainEvent;
use events::Subscribers;
pub use options::ChainOptions;
pub use tip::Tip;
pub use tips::{ChainTip, TipStatus};

/// Why a chainstate operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The kernel failed.
    #[error("{what}: {detail}")]
    Kernel {
        /// What was being done.
        what: &'static str,
        /// The kernel's error.
        detail: String,
    },
    /// A path is not valid UTF-8 (the kernel takes strings).
    #[error("data directory path is not valid UTF-8: {}", .0.display())]
    Path(PathBuf),
    /// Mining is only possible where proof of work is trivial.
    #[error("block generation is only possible on regtest")]
    NotRegtest,
    /// The chainstate was closed (the node is shutting down).
    #[error("the chainstate is closed (shutting down)")]
    Closed,
    /// The mined block was not accepted.
    #[error("generated block rejected: {0}")]
    Rejected(String),
    /// The coins view failed.
    #[error("{0}")]
    Coins(#[from] CoinsError),
    /// A file to wipe for a reindex could not be removed.
    #[error("cannot remove {}: {source}", path.display())]
    Wipe {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A chainstate option is wrong (Core's text).
    #[error("{0}")]
    Option(String),
}

/// The kernel's chain type for a chain.
pub fn chain_type(chain: common::Chain) -> ChainType {
    match chain {
        common::Chain::Main => ChainType::Mainnet,
        common::Chain::Test => ChainType::Testnet,
        common::Chain::Testnet4 => ChainType::Testnet4,
        common::Chain::Signet => ChainType::Signet,
        common::Chain::Regtest => ChainType::Regtest,
    }
}

/// rust-bitcoin's network (consensus parameters) for a chain.
pub use rpc::address::network;

/// What the node knows of one block (see [`ChainState::block_info`]).
#[derive(Debug, Clone, Copy)]
pub struct BlockInfo {
    /// The header.
    pub header: Header,
    /// Its height.
    pub height: i32,
    /// Whether it is in the active chain.
    pub in_active_chain: bool,
    /// Median of the last 11 block times up to it.
    pub median_time_past: u32,
}

/// The outcome of [`ChainState::submit_block`], in Core's `submitblock` words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Valid and new.
    Accepted,
    /// Already known (and valid).
    Duplicate,
    /// Invalid, with the reason.
    Rejected(String),
    /// Stored but not yet connected (e.g. a side branch with less work).
    Inconclusive,
}

/// Verdicts of the kernel's block-checked callback, by block hash.
type Verdicts = Arc<Mutex<HashMap<[u8; 32], Result<(), String>>>>;

/// Bitcoin Core's validation engine holding this node's block index and UTXO set.
pub struct ChainState {
    /// `None` once [`ChainState::close`] flushed and closed the kernel's databases.
    chainman: RwLock<Option<ChainstateManager>>,
    /// The coins view (`None` once closed); locked after `chainman` when both are.
    coins: RwLock<Option<CoinsView>>,
    // Kept alive for the chainstate manager (declared after it so it drops last).
    _context: Context,
    checked: Verdicts,
    subscribers: Subscribers,
    chain: common::Chain,
    blocks_dir: PathBuf,
    submit: Mutex<()>,
    /// Locked after `chainman` when both are.
    tips: Mutex<tips::TipSet>,
    /// What follows the chain on its own thread (the mempool); see [`Follower`].
    followers: Mutex<Vec<Weak<dyn Follower>>>,
    /// The kernel's estimate of the verification progress at the last tip it reported
    /// (an `f64`'s bits).
    progress: Arc<std::sync::atomic::AtomicU64>,
}

/// Something that follows the chainstate's events on its own thread (the mempool). A block
/// submitted through [`ChainState::submit_block`] that becomes the tip returns only once every
/// follower has caught up with it, so callers (`submitblock`, the `generate*` RPCs, IPC
/// `submitSolution`) see what Bitcoin Core's see: the block's transactions gone from the
/// mempool.
pub trait Follower: Send + Sync {
    /// Waits up to `timeout` until the follower reflects the chain up to `tip`.
    fn wait_for_tip(&self, tip: &BlockHash, timeout: Duration) -> bool;
}

/// How long a submission waits for a follower before going on (with a warning).
const FOLLOWER_WAIT: Duration = Duration::from_secs(10);

/// The kernel's form of a block hash.
pub(crate) fn kernel_hash(hash: &BlockHash) -> bitcoinkernel::BlockHash {
    bitcoinkernel::BlockHash::from(hash.to_byte_array())
}

/// The hash of a block-index entry.
pub(crate) fn entry_hash(entry: &bitcoinkernel::BlockTreeEntry<'_>) -> BlockHash {
    BlockHash::from_byte_array(entry.block_hash().to_bytes())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A short reason for a kernel validation result (the kernel does not give Core's reject
/// reason strings).
pub(crate) fn reject_reason(result: BlockValidationResult) -> String {
    match result {
        BlockValidationResult::Unset => "invalid",
        BlockValidationResult::Consensus => "consensus-invalid",
        BlockValidationResult::CachedInvalid => "duplicate-invalid",
        BlockValidationResult::InvalidHeader => "invalid-header",
        BlockValidationResult::Mutated => "mutated",
        BlockValidationResult::MissingPrev => "prev-blk-not-found",
        BlockValidationResult::InvalidPrev => "bad-prevblk",
        BlockValidationResult::TimeFuture => "time-too-new",
        BlockValidationResult::HeaderLowWork => "too-little-chainwork",
    }
    .to_string()
}

impl ChainState {
    fn manager(&self) -> RwLockReadGuard<'_, Option<ChainstateManager>> {
        self.chainman.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Flushes and closes the kernel's databases; later calls fail with
    /// [`ChainError::Closed`] (or return nothing). Called at shutdown, whoever still holds
    /// a reference.
    pub fn close(&self) {
        let mut manager = self
            .chainman
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut view = self.coins.write().unwrap_or_else(PoisonError::into_inner);
        drop(manager.take());
        if let Some(view) = view.take() {
            if let Err(e) = view.flush() {
                tracing::warn!("cannot flush the coins view: {e}");
            }
        }
    }

    /// The chain this state follows.
    pub fn chain(&self) -> common::Chain {
        self.chain
    }

    /// Sends `event` to every subscriber (the mempool's transaction events).
    pub(crate) fn notify(&self, event: ChainEvent) {
        events::broadcast(&self.subscribers, event);
    }

    /// Sends every later [`ChainEvent`] to `to` (until it is dropped).
    pub fn subscribe(&self, to: Sender<ChainEvent>) {
        lock(&self.subscribers).push(to);
    }

    /// Makes [`ChainState::submit_block`] wait for `follower` (until it is dropped).
    pub fn add_follower(&self, follower: Weak<dyn Follower>) {
        lock(&self.followers).push(follower);
    }

    /// Waits until every follower reflects the chain up to `tip`.
    fn wait_for_followers(&self, tip: &BlockHash) {
        let followers: Vec<_> = {
            let mut list = lock(&self.followers);
            list.retain(|f| f.strong_count() > 0);
            list.iter().filter_map(Weak::upgrade).collect()
        };
        for follower in followers {
            if !follower.wait_for_tip(tip, FOLLOWER_WAIT) {
                tracing::warn!(%tip, "a chain follower did not catch up with the new tip in time");
            }
        }
    }

    /// Validates and, if valid, connects `block`; when it becomes the tip, returns once every
    /// [`Follower`] has caught up with it.
    pub fn submit_block(&self, block: &Block) -> SubmitOutcome {
        let _one_at_a_time = lock(&self.submit);
        let block_hash = block.block_hash();
        let hash = block_hash.to_byte_array();
        let raw = serialize(block);
        let kernel_block = match bitcoinkernel::Block::new(&raw) {
            Ok(b) => b,
            Err(e) => return SubmitOutcome::Rejected(format!("block decode failed: {e}")),
        };
        lock(&self.checked).remove(&hash);
        let processed = {
            let guard = self.manager();
            let Some(chainman) = guard.as_ref() else {
                return SubmitOutcome::Rejected("shutting down".into());
            };
            // The tip set is settled at open and after every block, so it already holds the
            // active tip this block may extend.
            let processed = chainman.process_block(&kernel_block);
            self.sync_coins(chainman);
            let verdicts: HashMap<_, _> = lock(&self.checked).drain().collect();
            self.note_tip(chainman, block_hash, processed, &verdicts);
            let is_tip = entry_hash(&chainman.active_chain().tip()) == block_hash;
            (processed, verdicts, is_tip)
        };
        let (processed, mut verdicts, is_tip) = processed;
        if is_tip {
            self.wait_for_followers(&block_hash);
        }
        match (processed, verdicts.remove(&hash)) {
            (_, Some(Err(reason))) => SubmitOutcome::Rejected(reason),
            (ProcessBlockResult::Duplicate, _) => SubmitOutcome::Duplicate,
            (ProcessBlockResult::Rejected, _) => SubmitOutcome::Rejected("rejected".into()),
            (ProcessBlockResult::NewBlock, Some(Ok(()))) if is_tip => SubmitOutcome::Accepted,
            (ProcessBlockResult::NewBlock, Some(Ok(()))) => SubmitOutcome::Inconclusive,
            (ProcessBlockResult::NewBlock, None) => SubmitOutcome::Inconclusive,
        }
    }

    /// Whether the node is still in initial block download (Core's rule: the tip is more than
    /// a day old, or was not yet reached).
    pub fn initial_block_download(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.tip()
            .is_none_or(|tip| u64::from(tip.time) + 24 * 60 * 60 < now)
    }

    /// The kernel's estimate of how much of the chain is verified, 0 to 1 (Core's
    /// `GuessVerificationProgress` at the tip it last reported; 1.0 before any report).
    pub fn verification_progress(&self) -> f64 {
        f64::from_bits(self.progress.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Bytes used by the block files.
    pub fn size_on_disk(&self) -> u64 {
        std::fs::read_dir(&self.blocks_dir)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Block subsidy at `height` (regtest halves every 150 blocks, the others every 210,000).
    pub fn subsidy(&self, height: i32) -> Amount {
        let interval = if self.chain == common::Chain::Regtest {
            150
        } else {
            210_000
        };
        let halvings = height / interval;
        if halvings >= 64 {
            return Amount::ZERO;
        }
        Amount::from_sat((50 * 100_000_000u64) >> halvings)
    }

    /// Mines one coinbase-only block paying to `script_pubkey` on top of the tip (regtest
    /// only), grinding at most `max_tries` nonces. Returns the new block's hash.
    pub fn mine_block(
        &self,
        script_pubkey: &Script,
        max_tries: u64,
    ) -> Result<Option<BlockHash>, ChainError> {
        if self.chain != common::Chain::Regtest {
            return Err(ChainError::NotRegtest);
        }
        let tip = self.tip().ok_or(ChainError::Closed)?;
        let height = tip.height + 1;
        let coinbase = mining::coinbase(height, script_pubkey, self.subsidy(height), None);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let time = mining::block_time(&tip, u32::try_from(now).unwrap_or(u32::MAX));
        let bits = CompactTarget::from_consensus(tip.bits);
        let mut block = mining::assemble_block(&tip, coinbase, Vec::new(), time, bits);
        let mut tries = max_tries;
        loop {
            match mining::grind(&mut block.header, &mut tries) {
                Grind::Found => break,
                Grind::OutOfTries => return Ok(None),
                Grind::NonceSpaceExhausted => {
                    block.header.time = block.header.time.saturating_add(1);
                    block.header.nonce = 0;
                }
            }
        }
        match self.submit_block(&block) {
            SubmitOutcome::Accepted => Ok(Some(block.block_hash())),
            other => Err(ChainError::Rejected(format!("{other:?}"))),
        }
    }
}

mod events;
mod headers;
#[cfg(test)]
mod headers_tests;
mod open;
mod options;
mod read;
pub mod script;
#[cfg(test)]
mod tests;
pub(crate) mod tip;
mod tips;
mod view;
