//! Size and age limits: `-maxmempool` (Core's `TrimToSize`: evict the package with the
//! lowest descendant score and raise the rolling minimum fee to its fee rate plus
//! `-incrementalrelayfee`), the rolling minimum fee's decay (`GetMinFee`, half-life 12 hours,
//! shorter when the pool is small), and `-mempoolexpiry` (`Expire`).

use std::collections::HashSet;

use bitcoin::Txid;

use super::money::rate;
use super::{now, Mempool, RemovalReason, State};

/// Core's `ROLLING_FEE_HALFLIFE` (seconds).
const ROLLING_FEE_HALFLIFE: f64 = 60.0 * 60.0 * 12.0;

impl Mempool {
    /// Core's `GetMinFee`: the fee rate (sat/kvB) a transaction needs to enter the pool now.
    pub(crate) fn min_fee_rate(&self, state: &mut State) -> u64 {
        let incremental = self.options.incremental_relay_fee;
        let rolling = &mut state.rolling;
        if !rolling.block_since_bump || rolling.rate == 0.0 {
            return rolling.rate.round() as u64;
        }
        let time = now();
        if time > rolling.last_update + 10 {
            let mut halflife = ROLLING_FEE_HALFLIFE;
            let usage = state.graph.usage;
            if usage < self.options.max_size_bytes / 4 {
                halflife /= 4.0;
            } else if usage < self.options.max_size_bytes / 2 {
                halflife /= 2.0;
            }
            rolling.rate /= 2f64.powf((time - rolling.last_update) as f64 / halflife);
            rolling.last_update = time;
            if rolling.rate < incremental as f64 / 2.0 {
                rolling.rate = 0.0;
                return 0;
            }
        }
        (rolling.rate.round() as u64).max(incremental)
    }

    /// The current minimum fee rate to enter (sat/kvB; `mempoolminfee` is the larger of this
    /// and `-minrelaytxfee`).
    pub fn min_fee(&self) -> u64 {
        let mut state = self.lock();
        self.min_fee_rate(&mut state)
    }

    /// Core's `TrimToSize`: evicts lowest-descendant-score packages until the estimated
    /// usage is at most `-maxmempool`.
    pub(crate) fn trim_to_size(&self, state: &mut State) {
        let limit = self.options.max_size_bytes;
        while state.graph.usage > limit && !state.graph.entries.is_empty() {
            let Some(worst) = state
                .graph
                .by_score
                .first()
                .and_then(|k| state.graph.entries.get(&k.txid))
                .map(|e| (e.txid, e.descendants.fee, e.descendants.vsize))
            else {
                break;
            };
            let (txid, fee, vsize) = worst;
            let removed_rate = rate(fee, vsize) + self.options.incremental_relay_fee;
            if removed_rate as f64 > state.rolling.rate {
                state.rolling.rate = removed_rate as f64;
                state.rolling.block_since_bump = false;
            }
            let gone = self.remove_with_descendants(state, [txid], RemovalReason::SizeLimit);
            tracing::debug!(target: "mempool", count = gone.len(), rate = removed_rate, "trimmed to size");
        }
    }

    /// Core's `Expire`: removes entries older than `-mempoolexpiry` and their descendants.
    pub(crate) fn expire(&self, state: &mut State) -> usize {
        let cutoff = now() - self.options.expiry_secs;
        let old: HashSet<Txid> = state
            .graph
            .by_time
            .iter()
            .take_while(|(time, _)| *time < cutoff)
            .map(|(_, txid)| *txid)
            .collect();
        if old.is_empty() {
            return 0;
        }
        self.remove_with_descendants(state, old, RemovalReason::Expiry)
            .len()
    }

    /// Expires old entries now (the `-mempoolexpiry` check run on every block).
    pub fn expire_now(&self) -> usize {
        let mut state = self.lock();
        self.expire(&mut state)
    }
}
