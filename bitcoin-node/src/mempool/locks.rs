//! Finality (Core's `IsFinalTx`) and BIP68 sequence locks (`CheckSequenceLocksAtTip`) for a
//! block on the tip, and the re-check of pool transactions after a reorg.

use bitcoin::Transaction;

use super::spent::{Spent, COINBASE_MATURITY};
use super::{Mempool, State};
use crate::chain::{ChainState, Tip};

/// Core's `LOCKTIME_THRESHOLD`.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;
/// Core's `SEQUENCE_LOCKTIME_DISABLE_FLAG`, `_TYPE_FLAG`, `_MASK`, `_GRANULARITY`.
const SEQUENCE_DISABLE: u32 = 1 << 31;
const SEQUENCE_TYPE: u32 = 1 << 22;
const SEQUENCE_MASK: u32 = 0x0000_ffff;
const SEQUENCE_GRANULARITY: u32 = 9;

/// Core's `IsFinalTx` at `height` and `time`.
pub fn is_final(tx: &Transaction, height: i64, time: i64) -> bool {
    let lock = tx.lock_time.to_consensus_u32();
    if lock == 0 {
        return true;
    }
    let limit = if lock < LOCKTIME_THRESHOLD {
        height
    } else {
        time
    };
    if i64::from(lock) < limit {
        return true;
    }
    tx.input.iter().all(|i| i.sequence.0 == u32::MAX)
}

impl Mempool {
    /// Whether pool transaction `tx` can still be mined on `tip` (after a reorg): every input
    /// is in the pool or the coins view, coinbase inputs are mature, and it is final by
    /// locktime and BIP68 sequence locks (Core's `removeForReorg` checks).
    pub(crate) fn still_valid(&self, state: &State, tx: &Transaction, tip: &Tip) -> bool {
        if !is_final(
            tx,
            i64::from(tip.height) + 1,
            i64::from(tip.median_time_past),
        ) {
            return false;
        }
        let Ok(spent) = self.spent_coins(state, tx, tx.compute_txid()) else {
            return false;
        };
        let spend_height = u32::try_from(tip.height + 1).unwrap_or(0);
        let immature = spent.iter().any(|s| {
            s.coinbase
                && s.height
                    .is_some_and(|h| spend_height - h < COINBASE_MATURITY)
        });
        !immature && self.sequence_locks_ok(tx, &spent, tip)
    }

    /// Core's `CheckSequenceLocksAtTip` (BIP68) for a block on `tip`.
    pub(crate) fn sequence_locks_ok(&self, tx: &Transaction, spent: &[Spent], tip: &Tip) -> bool {
        sequence_locks_ok(&self.chain, tx, spent.iter().map(|s| s.height), tip)
    }
}

/// Core's `CheckSequenceLocksAtTip` (BIP68): whether `tx`, whose inputs' coins were created at
/// `coin_heights` (`None`: not yet in a block, i.e. at the next height), may be in the block
/// after `tip`.
pub fn sequence_locks_ok(
    chain: &ChainState,
    tx: &Transaction,
    coin_heights: impl Iterator<Item = Option<u32>>,
    tip: &Tip,
) -> bool {
    if tx.version.0 < 2 {
        return true;
    }
    let next = i64::from(tip.height) + 1;
    let (mut min_height, mut min_time) = (-1i64, -1i64);
    for (input, coin_height) in tx.input.iter().zip(coin_heights) {
        let seq = input.sequence.0;
        if seq & SEQUENCE_DISABLE != 0 {
            continue;
        }
        let coin_height = coin_height.map_or(next, i64::from);
        if seq & SEQUENCE_TYPE != 0 {
            let at = (coin_height - 1).max(0);
            let Some(coin_time) = median_time_past_at(chain, at, tip) else {
                return false;
            };
            let span = i64::from(seq & SEQUENCE_MASK) << SEQUENCE_GRANULARITY;
            min_time = min_time.max(coin_time + span - 1);
        } else {
            min_height = min_height.max(coin_height + i64::from(seq & SEQUENCE_MASK) - 1);
        }
    }
    min_height < next && min_time < i64::from(tip.median_time_past)
}

fn median_time_past_at(chain: &ChainState, height: i64, tip: &Tip) -> Option<i64> {
    if height == i64::from(tip.height) {
        return Some(i64::from(tip.median_time_past));
    }
    let hash = chain.block_hash_at(i32::try_from(height).ok()?)?;
    Some(i64::from(chain.block_info(&hash)?.median_time_past))
}
