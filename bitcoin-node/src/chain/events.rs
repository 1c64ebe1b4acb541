//! The chainstate's events: what the kernel reports as it validates (tips, headers, progress)
//! and the blocks the coins view connected or disconnected, sent to every subscriber.

use std::sync::mpsc::Sender;
use std::sync::Mutex;

use std::sync::Arc;

use bitcoin::{BlockHash, Transaction, Txid};

use super::lock;
use crate::coins::{BestBlock, Step};

/// The subscribers' channels.
pub(super) type Subscribers = Arc<Mutex<Vec<Sender<ChainEvent>>>>;

/// Sends `event` to every subscriber, forgetting those that are gone.
pub(super) fn broadcast(subscribers: &Subscribers, event: ChainEvent) {
    lock(subscribers).retain(|s| s.send(event.clone()).is_ok());
}

/// A state change of the chainstate, as the rest of the node sees it. Tip, header and progress
/// events come from the kernel as it validates; `BlockConnected`/`BlockDisconnected` follow
/// once the coins view reflects the block, in chain order (a reorg: the old branch's blocks
/// disconnected from the tip down, then the new branch's connected upwards), which is what
/// the wallet's notifications need. Consumers should ignore variants they do not know.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChainEvent {
    /// The active tip moved.
    BlockTip {
        /// New tip.
        hash: BlockHash,
        /// Whether the node still considers itself in initial block download.
        initial_download: bool,
        /// Estimated verification progress, 0 to 1.
        progress: f64,
    },
    /// The best header moved.
    HeaderTip {
        /// Height of the best header.
        height: i64,
        /// Its timestamp (seconds since the epoch).
        time: i64,
        /// Whether this is a header of the low-work pre-synchronization (not stored yet).
        presync: bool,
    },
    /// A long operation's progress (Core's `ShowProgress`: loading, verifying, catching up).
    Progress {
        /// What is being done.
        title: String,
        /// Percent done, 0 to 100.
        percent: i32,
        /// Whether it can be interrupted and resumed.
        resume_possible: bool,
    },
    /// A block joined the active chain (its outputs are in the coins view).
    BlockConnected {
        /// The block.
        hash: BlockHash,
        /// Its height.
        height: i32,
    },
    /// A block left the active chain (the coins view no longer holds its outputs).
    BlockDisconnected {
        /// The block.
        hash: BlockHash,
        /// Its height.
        height: i32,
    },
    /// A transaction entered the mempool (sent by the mempool through the same channels, so
    /// subscribers see chain and mempool events in one order).
    TransactionAdded {
        /// The transaction.
        tx: Arc<Transaction>,
    },
    /// A transaction left the mempool.
    TransactionRemoved {
        /// Its id.
        txid: Txid,
        /// Why, as Core names `MemPoolRemovalReason`s (`expiry`, `sizelimit`, `reorg`,
        /// `block`, `conflict`, `replaced`).
        reason: &'static str,
    },
}

impl ChainEvent {
    pub(super) fn from_step(step: Step) -> ChainEvent {
        let height = |b: BestBlock| i32::try_from(b.height).unwrap_or(i32::MAX);
        match step {
            Step::Connected(b) => ChainEvent::BlockConnected {
                hash: b.hash,
                height: height(b),
            },
            Step::Disconnected(b) => ChainEvent::BlockDisconnected {
                hash: b.hash,
                height: height(b),
            },
        }
    }
}
