//! The node's mempool: unconfirmed transactions that passed Bitcoin Core's consensus and
//! policy checks, kept in step with the chainstate, for relay, RPC and block assembly.
//!
//! - [`accept`]: Core's `MemPoolAccept` for one transaction (`PreChecks`,
//!   `ReplacementChecks`, `PolicyScriptChecks`/`ConsensusScriptChecks`, `Finalize`);
//! - [`policy`]: standardness (`IsStandardTx`, dust, `AreInputsStandard`,
//!   `IsWitnessStandard`, sigop cost); [`rbf`]: full replace-by-fee (BIP125 rules 2-5
//!   without the signalling requirement);
//! - [`graph`]: entries, parents/children and the ancestor/descendant aggregates;
//! - [`limits`]: `-maxmempool` trimming with the rolling minimum fee, `-mempoolexpiry`;
//! - [`spent`]: the coins a transaction spends, and coinbase maturity;
//! - [`money`]: fee rates and Core's formatting of amounts and fee rates;
//! - [`locks`]: finality and BIP68 sequence locks, and the re-check after a reorg;
//! - [`follow`]: the mempool's thread that follows the chainstate's block events;
//! - [`select`]: block selection by ancestor fee rate (Core's `addPackageTxs`);
//! - [`truc`]: the version 3 (TRUC) topology rules;
//! - [`persist`]: `mempool.dat` in Core's format (version 2, XOR-obfuscated);
//! - [`options`]: the `-maxmempool`, `-minrelaytxfee`, ... settings;
//! - [`package`]: testing several transactions together (`testmempoolaccept`);
//! - [`estimator`]: the fee estimator ([`crate::fees`]) fed by the pool, and
//!   `fee_estimates.dat`.
//!
//! Script checks run in libbitcoinkernel with the consensus flags (`VERIFY_ALL`: P2SH,
//! DERSIG, NULLDUMMY, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY, WITNESS, TAPROOT); the
//! kernel exposes no others, so Core's policy-only script flags (STRICTENC, MINIMALDATA,
//! DISCOURAGE_UPGRADABLE_NOPS, CLEANSTACK, MINIMALIF, NULLFAIL, LOW_S, WITNESS_PUBKEYTYPE,
//! CONST_SCRIPTCODE, DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM / _TAPROOT_VERSION / OP_SUCCESS)
//! are not enforced, except where a Rust check covers the same ground (spends of unknown
//! witness versions are refused by `AreInputsStandard`, `SIGPUSHONLY` by
//! `scriptsig-not-pushonly`). The kernel also does not say why a script failed, so the
//! parenthesised part of `mempool-script-verify-flag-failed (...)` is generic.
//!
//! Not implemented (differences from Core v30): package submission (`submitpackage`),
//! package fee rates and package RBF (so a zero-fee parent with ephemeral dust cannot enter),
//! and cluster limits (this pool enforces Core's ancestor/descendant limits, with the CPFP
//! carve-out and the single-conflict RBF relaxation, as v30 does). Standardness applies on every
//! network (no `-acceptnonstdtxn`), `-bytespersigop` is fixed at Core's default 20, and
//! memory use is an estimate of the same order as Core's (see [`accept::estimate_usage`]).

pub mod accept;
pub mod estimator;
pub mod follow;
pub mod graph;
pub mod limits;
pub mod locks;
pub mod money;
pub mod options;
pub mod package;
pub mod persist;
pub mod policy;
#[cfg(test)]
mod pool_tests;
pub mod rbf;
pub mod select;
pub mod spent;
#[cfg(test)]
mod tests;
pub mod truc;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bitcoin::{Amount, BlockHash, Transaction, Txid, Wtxid};

use crate::chain::ChainState;
pub use accept::{AcceptOptions, Accepted};
pub use graph::{Aggregate, Entry};
pub use options::MempoolOptions;
pub use select::BlockTx;

/// Why a transaction was not accepted: Core's `TxValidationResult` class, reject reason and
/// debug detail (`TxValidationState::ToString()` is `reason[, detail]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// What kind of failure.
    pub kind: RejectKind,
    /// Core's reject reason (`"dust"`, `"insufficient fee"`, ...).
    pub reason: String,
    /// Core's debug text, where it has one.
    pub detail: Option<String>,
}

/// The class of a rejection (Core's `TxValidationResult`, as far as callers care).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// Invalid by consensus rules.
    Consensus,
    /// Not standard, or a mempool policy.
    Policy,
    /// Inputs missing or spent (`TX_MISSING_INPUTS`).
    MissingInputs,
    /// Only the fee floors refused it (`TX_RECONSIDERABLE`): a child may pay for it.
    FeeTooLow,
    /// Already in the pool, or conflicts with it (`TX_CONFLICT`).
    Conflict,
    /// The fee is above the caller's maximum (`max-fee-exceeded`).
    MaxFeeExceeded,
}

impl Rejected {
    /// A policy rejection without detail.
    pub fn new(reason: &str) -> Rejected {
        Rejected {
            kind: RejectKind::Policy,
            reason: reason.into(),
            detail: None,
        }
    }

    /// A policy rejection with detail.
    pub fn with_detail(reason: &str, detail: impl Into<String>) -> Rejected {
        Rejected {
            detail: Some(detail.into()),
            ..Rejected::new(reason)
        }
    }

    /// A consensus rejection without detail.
    pub fn consensus(reason: &str) -> Rejected {
        Rejected {
            kind: RejectKind::Consensus,
            ..Rejected::new(reason)
        }
    }

    /// The same, of `kind`.
    pub fn kind(mut self, kind: RejectKind) -> Rejected {
        self.kind = kind;
        self
    }
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}, {detail}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for Rejected {}

/// Why a transaction left the pool (Core's `MemPoolRemovalReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// Expired (`-mempoolexpiry`).
    Expiry,
    /// Evicted by `-maxmempool`.
    SizeLimit,
    /// No longer valid after a reorg.
    Reorg,
    /// Included in a block.
    Block,
    /// Conflicts with a block transaction.
    Conflict,
    /// Replaced.
    Replaced,
}

impl RemovalReason {
    /// Core's name of the reason (`RemovalReasonToString`).
    pub fn name(self) -> &'static str {
        match self {
            RemovalReason::Expiry => "expiry",
            RemovalReason::SizeLimit => "sizelimit",
            RemovalReason::Reorg => "reorg",
            RemovalReason::Block => "block",
            RemovalReason::Conflict => "conflict",
            RemovalReason::Replaced => "replaced",
        }
    }
}

/// The rolling minimum fee (Core's `rollingMinimumFeeRate` and friends).
#[derive(Debug, Default)]
pub(crate) struct RollingFee {
    /// sat/kvB.
    pub rate: f64,
    /// When it was last decayed (seconds).
    pub last_update: i64,
    /// Whether a block came since the last bump (only then does it decay).
    pub block_since_bump: bool,
}

/// What the pool's lock protects.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub graph: graph::Graph,
    /// `prioritisetransaction` deltas, also for transactions not (yet) in the pool.
    pub deltas: HashMap<Txid, i64>,
    /// The `mempool_sequence` counter.
    pub sequence: u64,
    pub rolling: RollingFee,
    /// Transactions of disconnected blocks waiting to be re-added.
    pub disconnected: Vec<Arc<Transaction>>,
    /// Whether blocks were disconnected since the pool was last re-checked.
    pub reorg: bool,
}

/// A fee hook: called with each transaction the pool accepts while in step with the chain,
/// each one removed for another reason than a block, and each connected block (for the fee
/// estimator).
pub trait FeeListener: Send + Sync {
    /// `txid` entered the pool paying `fee_rate` sat/kvB at chain height `height`.
    fn added(&self, txid: Txid, fee_rate: u64, height: u32);
    /// `txid` left the pool without being mined.
    fn removed(&self, txid: &Txid);
    /// A block at `height` confirmed `txids` (those that were in the pool).
    fn block(&self, height: u32, txids: &[Txid]);
}

/// The mempool (shared as `Arc<Mempool>`; `Send + Sync`).
pub struct Mempool {
    pub(crate) state: Mutex<State>,
    pub(crate) chain: Arc<ChainState>,
    pub(crate) options: MempoolOptions,
    tip: Mutex<Option<BlockHash>>,
    tip_changed: Condvar,
    updated: AtomicU64,
    fees: Mutex<Option<Arc<dyn FeeListener>>>,
    /// Whether `mempool.dat` was loaded (Core's `loaded` in `getmempoolinfo`).
    loaded: std::sync::atomic::AtomicBool,
}

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Mempool {
    /// An empty pool following `chain` (subscribes to its events and starts the mempool's
    /// thread, which ends when the pool is dropped).
    pub fn new(chain: Arc<ChainState>, options: MempoolOptions) -> std::io::Result<Arc<Mempool>> {
        let pool = Arc::new(Mempool {
            state: Mutex::new(State::default()),
            chain: chain.clone(),
            options,
            tip: Mutex::new(None),
            tip_changed: Condvar::new(),
            updated: AtomicU64::new(0),
            fees: Mutex::new(None),
            loaded: std::sync::atomic::AtomicBool::new(false),
        });
        let (send, receive) = std::sync::mpsc::channel();
        chain.subscribe(send);
        pool.set_tip(chain.tip().map(|t| t.hash));
        follow::spawn(Arc::downgrade(&pool), receive)?;
        Ok(pool)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The options the pool runs with.
    pub fn options(&self) -> &MempoolOptions {
        &self.options
    }

    /// Sets the fee listener (the fee estimator).
    pub fn set_fee_listener(&self, listener: Arc<dyn FeeListener>) {
        *self.fees.lock().unwrap_or_else(PoisonError::into_inner) = Some(listener);
    }

    pub(crate) fn fee_listener(&self) -> Option<Arc<dyn FeeListener>> {
        self.fees
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn bump_updated(&self) {
        self.updated.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn set_tip(&self, hash: Option<BlockHash>) {
        *self.tip.lock().unwrap_or_else(PoisonError::into_inner) = hash;
        self.tip_changed.notify_all();
    }

    /// The block the pool is in step with.
    pub fn tip(&self) -> Option<BlockHash> {
        *self.tip.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the pool is in step with block `hash` (true) or `timeout` passes (false).
    pub fn wait_for_tip(&self, hash: &BlockHash, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut tip = self.tip.lock().unwrap_or_else(PoisonError::into_inner);
        while tip.as_ref() != Some(hash) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            tip = self
                .tip_changed
                .wait_timeout(tip, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// The transaction with `txid`, if pooled.
    pub fn get(&self, txid: &Txid) -> Option<Arc<Transaction>> {
        self.lock().graph.entries.get(txid).map(|e| e.tx.clone())
    }

    /// The transaction with `wtxid`, if pooled.
    pub fn get_by_wtxid(&self, wtxid: &Wtxid) -> Option<Arc<Transaction>> {
        let state = self.lock();
        let txid = state.graph.by_wtxid.get(wtxid)?;
        state.graph.entries.get(txid).map(|e| e.tx.clone())
    }

    /// A copy of the entry for `txid`.
    pub fn entry(&self, txid: &Txid) -> Option<Entry> {
        self.lock().graph.entries.get(txid).cloned()
    }

    /// Core's `GetTransactionsUpdated`: bumps on every add and remove.
    pub fn transactions_updated(&self) -> u64 {
        self.updated.load(Ordering::SeqCst)
    }

    /// Number of transactions.
    pub fn size(&self) -> usize {
        self.lock().graph.entries.len()
    }

    /// Estimated memory use in bytes.
    pub fn usage(&self) -> u64 {
        self.lock().graph.usage
    }

    /// Sum of virtual sizes.
    pub fn total_vsize(&self) -> u64 {
        self.lock().graph.total_vsize
    }

    /// Sum of fees.
    pub fn total_fee(&self) -> Amount {
        Amount::from_sat(self.lock().graph.total_fee)
    }

    /// Whether `mempool.dat` was loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::SeqCst)
    }

    /// Marks the pool as loaded (without `-persistmempool` there is nothing to load).
    pub fn mark_loaded(&self) {
        self.set_loaded();
    }

    pub(crate) fn set_loaded(&self) {
        self.loaded.store(true, Ordering::SeqCst);
    }

    /// Every entry, oldest first by sequence (copies).
    pub fn entries(&self) -> Vec<Entry> {
        let state = self.lock();
        let mut all: Vec<Entry> = state.graph.entries.values().cloned().collect();
        all.sort_by_key(|e| e.sequence);
        all
    }

    /// The pool's transactions, parents before children (by ancestor count), without copying
    /// the entries (for `Chain::scan`).
    pub fn transactions_parents_first(&self) -> Vec<Arc<Transaction>> {
        let state = self.lock();
        let mut all: Vec<(u64, Arc<Transaction>)> = state
            .graph
            .entries
            .values()
            .map(|e| (e.ancestors.count, e.tx.clone()))
            .collect();
        drop(state);
        all.sort_by_key(|(count, _)| *count);
        all.into_iter().map(|(_, tx)| tx).collect()
    }

    /// The txids in the pool and the `mempool_sequence`.
    pub fn txids_with_sequence(&self) -> (Vec<Txid>, u64) {
        let state = self.lock();
        let mut all: Vec<&Entry> = state.graph.entries.values().collect();
        all.sort_by_key(|e| e.sequence);
        (all.iter().map(|e| e.txid).collect(), state.sequence)
    }

    /// The in-pool ancestors of `txid` (`None` if not pooled).
    pub fn ancestors(&self, txid: &Txid) -> Option<Vec<Entry>> {
        let state = self.lock();
        state.graph.entries.get(txid)?;
        let set = state.graph.ancestors(txid);
        Some(
            set.iter()
                .filter_map(|t| state.graph.entries.get(t).cloned())
                .collect(),
        )
    }

    /// The in-pool descendants of `txid` (`None` if not pooled).
    pub fn descendants(&self, txid: &Txid) -> Option<Vec<Entry>> {
        let state = self.lock();
        state.graph.entries.get(txid)?;
        let set = state.graph.descendants(txid);
        Some(
            set.iter()
                .filter_map(|t| state.graph.entries.get(t).cloned())
                .collect(),
        )
    }

    /// Which pool transaction spends `outpoint`.
    pub fn spender(&self, outpoint: &bitcoin::OutPoint) -> Option<Txid> {
        self.lock().graph.spenders.get(outpoint).copied()
    }

    /// Core's `PrioritiseTransaction`: adds `delta` satoshis to the modified fee of `txid`
    /// (remembered if it is not in the pool yet).
    pub fn prioritise(&self, txid: &Txid, delta: i64) {
        let mut state = self.lock();
        let total = {
            let d = state.deltas.entry(*txid).or_insert(0);
            *d += delta;
            *d
        };
        if total == 0 {
            state.deltas.remove(txid);
        }
        state.graph.add_delta(txid, delta);
        drop(state);
        self.bump_updated();
    }

    /// The prioritisation deltas (txid, delta), including those of transactions not pooled.
    pub fn deltas(&self) -> Vec<(Txid, i64)> {
        self.lock().deltas.iter().map(|(t, d)| (*t, *d)).collect()
    }

    /// Removes `txids` and their descendants (no fee-estimator notice for mined ones).
    pub(crate) fn remove_with_descendants(
        &self,
        state: &mut State,
        txids: impl IntoIterator<Item = Txid>,
        reason: RemovalReason,
    ) -> Vec<Entry> {
        let set = state.graph.with_descendants(txids);
        self.remove_exact(state, &set, reason)
    }

    pub(crate) fn remove_exact(
        &self,
        state: &mut State,
        set: &std::collections::HashSet<Txid>,
        reason: RemovalReason,
    ) -> Vec<Entry> {
        if set.is_empty() {
            return Vec::new();
        }
        let removed = state.graph.remove_set(set);
        if reason != RemovalReason::Block {
            if let Some(fees) = self.fee_listener() {
                for e in &removed {
                    fees.removed(&e.txid);
                }
            }
        }
        for e in &removed {
            tracing::debug!(target: "mempool", txid = %e.txid, ?reason, "removed");
            self.chain
                .notify(crate::chain::ChainEvent::TransactionRemoved {
                    txid: e.txid,
                    reason: reason.name(),
                });
        }
        self.bump_updated();
        removed
    }
}

impl crate::chain::Follower for Mempool {
    fn wait_for_tip(&self, tip: &BlockHash, timeout: Duration) -> bool {
        Mempool::wait_for_tip(self, tip, timeout)
    }
}
