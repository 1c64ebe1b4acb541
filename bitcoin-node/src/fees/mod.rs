//! Fee estimation from how long mempool transactions took to confirm (Bitcoin Core's
//! `CBlockPolicyEstimator`, `src/policy/fees/block_policy_estimator.cpp`).
//!
//! The mempool tells the [`FeeEstimator`] about every transaction it accepts while it is in step
//! with the chain ([`FeeEstimator::process_transaction`]), about every tracked transaction that
//! leaves other than by confirmation ([`FeeEstimator::remove_transaction`]), and about every
//! connected block ([`FeeEstimator::process_block`]). The `estimatesmartfee` RPC and the wallet
//! ask [`FeeEstimator::estimate_smart_fee`]. The node keeps the statistics across restarts in
//! `fee_estimates.dat` in the network directory ([`FeeEstimator::write_to`],
//! [`FeeEstimator::read_from`]).
//!
//! # The model (as in Core)
//!
//! Fee rates (sat/kvB) fall in exponentially spaced buckets: from 100 sat/kvB, each boundary
//! 1.05 times the previous, up to 10^7 sat/kvB, plus one unbounded bucket above. Three horizons
//! keep exponentially decaying statistics per bucket: short (decay 0.962 per block, 12 periods
//! of 1 block), medium (0.9952, 24 periods of 2 blocks) and long (0.99931, 42 periods of 24
//! blocks, so targets up to 1008). Each records, per bucket, how many transactions confirmed,
//! how many confirmed within each number of periods, and how many left the mempool unconfirmed
//! after each number of periods, and counts the tracked transactions still in the mempool by
//! the height they entered at (these count against a target once they are older than it).
//!
//! An estimate for a target and a success threshold walks the buckets from the highest fee
//! rate down, grouping buckets until a group has enough data (0.5 transactions per block of
//! half-life in the short horizon, 0.1 otherwise), and answers with the lowest group whose
//! share of transactions confirmed within the target meets the threshold (the average fee rate
//! of the bucket holding that group's median transaction). [`FeeEstimator::estimate_smart_fee`]
//! takes the maximum of the 60% estimate at half the target, the 85% estimate at the target and
//! the 95% estimate at double the target, each from the shortest horizon that tracks it (also
//! letting a shorter horizon's longest target lower the answer); conservative estimates also
//! require the 95% threshold at double the target in the longer horizons. The target is capped
//! at half the number of blocks of data seen, so there can be failures to observe.
//!
//! # Simplified compared with Core
//!
//! - The caller decides which transactions to report: Core skips transactions with mempool
//!   parents, ones submitted in a package and ones re-added during a reorg; the mempool should
//!   not call [`FeeEstimator::process_transaction`] for those.
//! - `fee_estimates.dat` has this node's own format (magic, version, length, payload, sha256d
//!   checksum), not Core's; the bucket layout and horizon parameters must match exactly, any
//!   other file is rejected with a [`FeesError`]. There is no stale-file age check: the caller
//!   may check the file's modification time (Core ignores files older than 60 hours).
//! - No `estimaterawfee` and no detailed `FeeCalculation` result; no fee-filter rounder.
//! - When blocks are skipped (a height more than one above the best seen), the mempool slots of
//!   the skipped heights are aged too, where Core ages only the new height's slot.

mod persist;
mod stats;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use stats::{ConfirmStats, LONG, MEDIUM, SHORT};

/// Require 60% of transactions to confirm within half the target.
const HALF_SUCCESS_PCT: f64 = 0.6;
/// Require 85% of transactions to confirm within the target.
const SUCCESS_PCT: f64 = 0.85;
/// Require 95% of transactions to confirm within double the target.
const DOUBLE_SUCCESS_PCT: f64 = 0.95;
/// Average confirmed transactions per block a bucket group needs (medium and long horizons).
const SUFFICIENT_FEETXS: f64 = 0.1;
/// Average confirmed transactions per block a bucket group needs (short horizon).
const SUFFICIENT_TXS_SHORT: f64 = 0.5;
/// Saved data whose last block is further back than this is not used to raise the target cap.
const OLDEST_ESTIMATE_HISTORY: u32 = 6 * 1008;

/// Why `fee_estimates.dat` could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeesError {
    /// Reading failed.
    #[error("cannot read fee estimates: {0}")]
    Io(#[from] std::io::Error),
    /// The file ended early.
    #[error("fee estimates file is truncated")]
    Truncated,
    /// The file does not start with the expected magic bytes.
    #[error("not a fee estimates file (bad magic)")]
    BadMagic,
    /// The file was written by an unknown version of the format.
    #[error("unsupported fee estimates file version {0}")]
    UnsupportedVersion(u32),
    /// The payload does not match its checksum.
    #[error("fee estimates file checksum mismatch")]
    BadChecksum,
    /// The payload is well-formed but its contents are not acceptable.
    #[error("corrupt fee estimates file: {0}")]
    Corrupt(String),
}

/// A fee-rate estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeEstimate {
    /// The fee rate, in satoshis per 1000 virtual bytes.
    pub fee_rate: u64,
    /// The confirmation target the estimate answers for (may differ from the one asked for).
    pub blocks: u32,
}

/// A tracked mempool transaction.
#[derive(Debug, Clone, Copy)]
struct TrackedTx {
    /// The tip height when it entered the mempool.
    height: u32,
    /// Its fee-rate bucket.
    bucket: usize,
    /// Its fee rate, sat/kvB.
    fee_rate: f64,
}

/// Core's block policy estimator: statistics of how long transactions of each fee rate took to
/// confirm, over three time horizons. Plain data, not thread-safe: the caller wraps it in a
/// mutex.
#[derive(Debug, Clone)]
pub struct FeeEstimator {
    /// Upper boundaries of the fee-rate buckets.
    buckets: Vec<f64>,
    short: ConfirmStats,
    medium: ConfirmStats,
    long: ConfirmStats,
    /// Tracked transactions in the mempool.
    tracked: HashMap<bitcoin::Txid, TrackedTx>,
    /// Height of the last block processed (0: none yet).
    best_seen_height: u32,
    /// First height at which a tracked transaction confirmed since start (0: none yet).
    first_recorded_height: u32,
    /// The block range the loaded file covered.
    historical_first: u32,
    historical_best: u32,
}

impl Default for FeeEstimator {
    fn default() -> Self {
        FeeEstimator::new()
    }
}

impl FeeEstimator {
    /// An estimator with no data.
    pub fn new() -> FeeEstimator {
        let buckets = stats::bucket_boundaries();
        let n = buckets.len();
        FeeEstimator {
            buckets,
            short: ConfirmStats::new(SHORT, n),
            medium: ConfirmStats::new(MEDIUM, n),
            long: ConfirmStats::new(LONG, n),
            tracked: HashMap::new(),
            best_seen_height: 0,
            first_recorded_height: 0,
            historical_first: 0,
            historical_best: 0,
        }
    }

    /// A transaction entered the mempool while it was in step with the chain at `height` (the
    /// tip height when it entered). `fee_rate` is in sat/kvB. Ignored when the estimator has
    /// not processed the block at `height` (still syncing, or a reorg), or when the
    /// transaction is already tracked.
    pub fn process_transaction(&mut self, txid: bitcoin::Txid, fee_rate: u64, height: u32) {
        if self.tracked.contains_key(&txid) {
            tracing::debug!(target: "estimatefee", %txid, "fee estimator: transaction already tracked");
            return;
        }
        if height != self.best_seen_height {
            // Side chains, reorgs, or not yet in step with the tip: not counted.
            return;
        }
        // u64 to f64 is exact for every realistic fee rate and monotonic otherwise.
        let fee_rate = fee_rate as f64;
        let bucket = stats::bucket_index(&self.buckets, fee_rate);
        for stats in [&mut self.short, &mut self.medium, &mut self.long] {
            stats.new_tx(height, bucket);
        }
        self.tracked.insert(
            txid,
            TrackedTx {
                height,
                bucket,
                fee_rate,
            },
        );
    }

    /// A tracked transaction left the mempool other than by confirmation (replaced, evicted,
    /// expired, conflicted): it counts as a failure to confirm for the targets it has already
    /// waited out. Untracked transactions are ignored.
    pub fn remove_transaction(&mut self, txid: &bitcoin::Txid) {
        self.remove(txid, false);
    }

    /// Stops tracking `txid`; returns its entry if it was tracked.
    fn remove(&mut self, txid: &bitcoin::Txid, in_block: bool) -> Option<TrackedTx> {
        let tx = self.tracked.remove(txid)?;
        for stats in [&mut self.short, &mut self.medium, &mut self.long] {
            stats.remove_tx(tx.height, self.best_seen_height, tx.bucket, in_block);
        }
        Some(tx)
    }

    /// A block at `height` was connected; `confirmed` are its transactions' txids (untracked
    /// ones are ignored). Blocks at or below the best height seen so far (reorgs, side chains)
    /// are ignored.
    pub fn process_block(&mut self, height: u32, confirmed: &[bitcoin::Txid]) {
        if height <= self.best_seen_height {
            return;
        }
        let previous = self.best_seen_height;
        // Updated together with the slot aging, so that removals below see the right ages.
        self.best_seen_height = height;
        for stats in [&mut self.short, &mut self.medium, &mut self.long] {
            // Age the slot of every height since the previous block (normally just `height`);
            // more than a full cycle of slots clears them all.
            let first = if previous == 0 {
                height
            } else {
                (previous + 1).max(height.saturating_sub(stats.max_confirms()) + 1)
            };
            for h in first..=height {
                stats.clear_current(h);
            }
            stats.update_moving_averages();
        }

        let mut counted = 0usize;
        for txid in confirmed {
            let Some(tx) = self.remove(txid, true) else {
                continue;
            };
            // 1-based: confirming in the next block is 1. Positive, as tracked transactions
            // entered at a height already processed, below this one.
            let blocks_to_confirm = height.saturating_sub(tx.height);
            for stats in [&mut self.short, &mut self.medium, &mut self.long] {
                stats.record(blocks_to_confirm, tx.bucket, tx.fee_rate);
            }
            counted += 1;
        }
        if self.first_recorded_height == 0 && counted > 0 {
            self.first_recorded_height = height;
        }
        tracing::debug!(
            target: "estimatefee",
            height,
            counted,
            block_txs = confirmed.len(),
            mempool_tracked = self.tracked.len(),
            max_target = self.max_usable_estimate(),
            "fee estimator: block processed"
        );
    }

    /// Records every tracked transaction as having left the mempool unconfirmed and stops
    /// tracking them (Core's `FlushUnconfirmed`): call at shutdown, before
    /// [`FeeEstimator::write_to`], as the mempool's transactions are not tracked across
    /// restarts.
    pub fn flush_unconfirmed(&mut self) {
        let txids: Vec<bitcoin::Txid> = self.tracked.keys().copied().collect();
        for txid in &txids {
            self.remove(txid, false);
        }
        tracing::debug!(target: "estimatefee", count = txids.len(), "fee estimator: recorded unconfirmed mempool transactions");
    }

    /// The height of the last block processed (0 before the first).
    pub fn best_seen_height(&self) -> u32 {
        self.best_seen_height
    }

    /// The number of mempool transactions being tracked.
    pub fn tracked_transactions(&self) -> usize {
        self.tracked.len()
    }

    /// The highest target it can answer (Core: 1008).
    pub fn max_target(&self) -> u32 {
        self.long.max_confirms()
    }

    /// Blocks of data recorded since start.
    fn block_span(&self) -> u32 {
        if self.first_recorded_height == 0 {
            return 0;
        }
        self.best_seen_height
            .saturating_sub(self.first_recorded_height)
    }

    /// Blocks of data in the loaded file, if it is recent enough.
    fn historical_block_span(&self) -> u32 {
        if self.historical_first == 0 {
            return 0;
        }
        if self.best_seen_height.saturating_sub(self.historical_best) > OLDEST_ESTIMATE_HISTORY {
            return 0;
        }
        self.historical_best.saturating_sub(self.historical_first)
    }

    /// The highest target with enough data behind it: half the blocks seen, so that there were
    /// chances to observe failures.
    fn max_usable_estimate(&self) -> u32 {
        self.max_target()
            .min(self.block_span().max(self.historical_block_span()) / 2)
    }

    /// The estimate at `success_threshold` from the shortest horizon that tracks `conf_target`;
    /// with `check_shorter`, the longest target of a shorter horizon may lower it.
    fn estimate_combined_fee(
        &self,
        conf_target: u32,
        success_threshold: f64,
        check_shorter: bool,
    ) -> Option<f64> {
        if conf_target < 1 || conf_target > self.long.max_confirms() {
            return None;
        }
        let best = self.best_seen_height;
        let mut estimate = if conf_target <= self.short.max_confirms() {
            self.short.estimate_median_val(
                conf_target,
                SUFFICIENT_TXS_SHORT,
                success_threshold,
                best,
            )
        } else if conf_target <= self.medium.max_confirms() {
            self.medium
                .estimate_median_val(conf_target, SUFFICIENT_FEETXS, success_threshold, best)
        } else {
            self.long
                .estimate_median_val(conf_target, SUFFICIENT_FEETXS, success_threshold, best)
        };
        if check_shorter {
            let shorter = [
                (&self.medium, SUFFICIENT_FEETXS),
                (&self.short, SUFFICIENT_TXS_SHORT),
            ];
            for (stats, sufficient) in shorter {
                if conf_target <= stats.max_confirms() {
                    continue;
                }
                let max = stats.estimate_median_val(
                    stats.max_confirms(),
                    sufficient,
                    success_threshold,
                    best,
                );
                if let Some(max) = max.filter(|&m| m > 0.0) {
                    if estimate.is_none_or(|e| max < e) {
                        estimate = Some(max);
                    }
                }
            }
        }
        estimate
    }

    /// For conservative estimates: the 95% threshold at `double_target` must also be met in the
    /// longer horizons.
    fn estimate_conservative_fee(&self, double_target: u32) -> Option<f64> {
        let best = self.best_seen_height;
        let mut estimate = None;
        // Core checks the medium horizon only when the short one also tracks the target.
        if double_target <= self.short.max_confirms() {
            estimate = self.medium.estimate_median_val(
                double_target,
                SUFFICIENT_FEETXS,
                DOUBLE_SUCCESS_PCT,
                best,
            );
        }
        if double_target <= self.medium.max_confirms() {
            let long = self.long.estimate_median_val(
                double_target,
                SUFFICIENT_FEETXS,
                DOUBLE_SUCCESS_PCT,
                best,
            );
            estimate = max_estimate(estimate, long);
        }
        estimate
    }

    /// Core's `estimatesmartfee`: `None` when there is not enough data. `conf_target` is
    /// clamped to `1..=max_target()` (a target of 1 is treated as 2, as Core does, and a target
    /// above what the data supports is lowered); `blocks` in the answer is the target used.
    /// `conservative` also requires the estimate to hold over the longer horizons.
    pub fn estimate_smart_fee(&self, conf_target: u32, conservative: bool) -> Option<FeeEstimate> {
        let mut target = conf_target.clamp(1, self.max_target());
        // Not possible to estimate for the very next block.
        if target == 1 {
            target = 2;
        }
        target = target.min(self.max_usable_estimate());
        if target <= 1 {
            return None;
        }
        // target/2 and target also check the shorter horizons' longest targets, to keep
        // estimates increasing as targets decrease; 2*target does so only when not conservative
        // (conservative estimates take the maximum over all horizons instead).
        let half = self.estimate_combined_fee(target / 2, HALF_SUCCESS_PCT, true);
        let actual = self.estimate_combined_fee(target, SUCCESS_PCT, true);
        let double = self.estimate_combined_fee(2 * target, DOUBLE_SUCCESS_PCT, !conservative);
        let mut median = max_estimate(max_estimate(half, actual), double);
        if conservative || median.is_none() {
            median = max_estimate(median, self.estimate_conservative_fee(2 * target));
        }
        let median = median?;
        // Rounded to whole satoshis per kvB; the value is finite and non-negative.
        let fee_rate = median.round() as u64;
        if fee_rate == 0 {
            return None;
        }
        Some(FeeEstimate {
            fee_rate,
            blocks: target,
        })
    }
}

/// The larger of two optional estimates.
fn max_estimate(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
