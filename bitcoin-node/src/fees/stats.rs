//! Per-horizon confirmation statistics (Core's `TxConfirmStats`).
//!
//! For every fee-rate bucket this keeps exponentially decayed counts of transactions that
//! confirmed, that confirmed within each number of periods, and that left the mempool without
//! confirming after each number of periods; plus exact counts of the tracked transactions that
//! are still in the mempool, by the height at which they entered.

/// Lowest bucket boundary, sat/kvB (Core's `MIN_BUCKET_FEERATE`).
pub(crate) const MIN_BUCKET_FEERATE: f64 = 100.0;
/// Highest finite bucket boundary, sat/kvB (Core's `MAX_BUCKET_FEERATE`).
pub(crate) const MAX_BUCKET_FEERATE: f64 = 1e7;
/// Ratio between consecutive bucket boundaries (Core's `FEE_SPACING`).
pub(crate) const FEE_SPACING: f64 = 1.05;
/// Upper boundary of the last bucket, catching everything above [`MAX_BUCKET_FEERATE`].
pub(crate) const INF_FEERATE: f64 = 1e99;

/// The upper boundaries (inclusive) of the fee-rate buckets, ascending; the last is
/// [`INF_FEERATE`].
pub(crate) fn bucket_boundaries() -> Vec<f64> {
    let mut buckets = Vec::new();
    let mut boundary = MIN_BUCKET_FEERATE;
    while boundary <= MAX_BUCKET_FEERATE {
        buckets.push(boundary);
        boundary *= FEE_SPACING;
    }
    buckets.push(INF_FEERATE);
    buckets
}

/// The index of the bucket `fee_rate` falls in: the first whose upper boundary is at least
/// `fee_rate` (the last bucket is unbounded).
pub(crate) fn bucket_index(buckets: &[f64], fee_rate: f64) -> usize {
    buckets
        .partition_point(|&b| b < fee_rate)
        .min(buckets.len().saturating_sub(1))
}

/// The parameters of one time horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Horizon {
    /// Number of periods tracked.
    pub periods: usize,
    /// Blocks per period.
    pub scale: u32,
    /// Decay applied to every average once per block.
    pub decay: f64,
}

/// Short horizon: 12 periods of 1 block, half-life 18 blocks.
pub(crate) const SHORT: Horizon = Horizon {
    periods: 12,
    scale: 1,
    decay: 0.962,
};
/// Medium horizon: 24 periods of 2 blocks, half-life 144 blocks.
pub(crate) const MEDIUM: Horizon = Horizon {
    periods: 24,
    scale: 2,
    decay: 0.9952,
};
/// Long horizon: 42 periods of 24 blocks, half-life 1008 blocks.
pub(crate) const LONG: Horizon = Horizon {
    periods: 42,
    scale: 24,
    decay: 0.99931,
};

/// Confirmation statistics for one horizon.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfirmStats {
    pub(crate) horizon: Horizon,
    /// Decayed number of confirmed transactions per bucket.
    pub(crate) tx_ct_avg: Vec<f64>,
    /// Decayed sum of the fee rates of confirmed transactions per bucket.
    pub(crate) feerate_avg: Vec<f64>,
    /// `conf_avg[p][b]`: decayed number confirmed within `p + 1` periods.
    pub(crate) conf_avg: Vec<Vec<f64>>,
    /// `fail_avg[p][b]`: decayed number that left unconfirmed after more than `p + 1` periods.
    pub(crate) fail_avg: Vec<Vec<f64>>,
    /// `unconf[h % max_confirms][b]`: tracked mempool transactions that entered at height `h`.
    unconf: Vec<Vec<u32>>,
    /// Tracked mempool transactions older than `max_confirms` blocks.
    old_unconf: Vec<u32>,
}

impl ConfirmStats {
    /// Empty statistics for `horizon` over `buckets` buckets.
    pub(crate) fn new(horizon: Horizon, buckets: usize) -> ConfirmStats {
        let max_confirms = horizon.periods * horizon.scale as usize;
        ConfirmStats {
            horizon,
            tx_ct_avg: vec![0.0; buckets],
            feerate_avg: vec![0.0; buckets],
            conf_avg: vec![vec![0.0; buckets]; horizon.periods],
            fail_avg: vec![vec![0.0; buckets]; horizon.periods],
            unconf: vec![vec![0; buckets]; max_confirms],
            old_unconf: vec![0; buckets],
        }
    }

    /// Statistics restored from their persisted averages (no mempool transactions).
    pub(crate) fn from_parts(
        horizon: Horizon,
        tx_ct_avg: Vec<f64>,
        feerate_avg: Vec<f64>,
        conf_avg: Vec<Vec<f64>>,
        fail_avg: Vec<Vec<f64>>,
    ) -> ConfirmStats {
        let mut stats = ConfirmStats::new(horizon, tx_ct_avg.len());
        stats.tx_ct_avg = tx_ct_avg;
        stats.feerate_avg = feerate_avg;
        stats.conf_avg = conf_avg;
        stats.fail_avg = fail_avg;
        stats
    }

    /// The highest number of blocks to confirm this horizon tracks.
    pub(crate) fn max_confirms(&self) -> u32 {
        self.horizon.scale * self.horizon.periods as u32
    }

    fn slot(&self, height: i64) -> usize {
        // The slot count is small (at most 1008), so these conversions are exact.
        height.rem_euclid(self.unconf.len() as i64) as usize
    }

    /// A block at `height` arrived: the mempool transactions that entered `max_confirms` blocks
    /// ago become "old".
    pub(crate) fn clear_current(&mut self, height: u32) {
        let slot = self.slot(i64::from(height));
        for (old, current) in self.old_unconf.iter_mut().zip(self.unconf[slot].iter_mut()) {
            *old = old.saturating_add(*current);
            *current = 0;
        }
    }

    /// Decays every average by one block.
    pub(crate) fn update_moving_averages(&mut self) {
        let decay = self.horizon.decay;
        let rows = self.conf_avg.iter_mut().chain(self.fail_avg.iter_mut());
        for value in rows
            .flatten()
            .chain(self.tx_ct_avg.iter_mut())
            .chain(self.feerate_avg.iter_mut())
        {
            *value *= decay;
        }
    }

    /// A tracked transaction confirmed `blocks_to_confirm` (1-based) blocks after it entered.
    pub(crate) fn record(&mut self, blocks_to_confirm: u32, bucket: usize, fee_rate: f64) {
        if blocks_to_confirm < 1 {
            return;
        }
        let periods_to_confirm = blocks_to_confirm.div_ceil(self.horizon.scale) as usize;
        for row in self.conf_avg.iter_mut().skip(periods_to_confirm - 1) {
            row[bucket] += 1.0;
        }
        self.tx_ct_avg[bucket] += 1.0;
        self.feerate_avg[bucket] += fee_rate;
    }

    /// A transaction entered the mempool at `height`.
    pub(crate) fn new_tx(&mut self, height: u32, bucket: usize) {
        let slot = self.slot(i64::from(height));
        self.unconf[slot][bucket] = self.unconf[slot][bucket].saturating_add(1);
    }

    /// A tracked transaction that entered at `entry_height` left the mempool; `best_seen` is
    /// the height of the last block processed (the confirming block's, if `in_block`).
    pub(crate) fn remove_tx(
        &mut self,
        entry_height: u32,
        best_seen: u32,
        bucket: usize,
        in_block: bool,
    ) {
        let blocks_ago = if best_seen == 0 {
            0
        } else {
            i64::from(best_seen) - i64::from(entry_height)
        };
        if blocks_ago < 0 {
            tracing::debug!(target: "estimatefee", "fee estimator: mempool tx entered above the best seen height");
            return;
        }
        if blocks_ago >= self.unconf.len() as i64 {
            if self.old_unconf[bucket] > 0 {
                self.old_unconf[bucket] -= 1;
            } else {
                tracing::debug!(target: "estimatefee", bucket, "fee estimator: old mempool tx already removed");
            }
        } else {
            let slot = self.slot(i64::from(entry_height));
            if self.unconf[slot][bucket] > 0 {
                self.unconf[slot][bucket] -= 1;
            } else {
                tracing::debug!(target: "estimatefee", slot, bucket, "fee estimator: mempool tx already removed");
            }
        }
        let scale = i64::from(self.horizon.scale);
        if !in_block && blocks_ago >= scale {
            // Only a failure if it stayed unconfirmed for at least a whole period.
            let periods_ago = usize::try_from(blocks_ago / scale).unwrap_or(usize::MAX);
            for row in self.fail_avg.iter_mut().take(periods_ago) {
                row[bucket] += 1.0;
            }
        }
    }

    /// Core's `EstimateMedianVal`: walking from the highest fee-rate bucket down, groups
    /// buckets until each group holds enough data, and finds the lowest group in which at
    /// least `success_threshold` of the transactions confirmed within `conf_target` blocks.
    /// Returns the average fee rate of the bucket holding the median transaction of that
    /// group, or `None`.
    pub(crate) fn estimate_median_val(
        &self,
        conf_target: u32,
        sufficient_tx_val: f64,
        success_threshold: f64,
        best_seen: u32,
    ) -> Option<f64> {
        if conf_target == 0 || conf_target > self.max_confirms() {
            return None;
        }
        let buckets = self.tx_ct_avg.len();
        let period_target = conf_target.div_ceil(self.horizon.scale) as usize;
        let sufficient = sufficient_tx_val / (1.0 - self.horizon.decay);

        let mut n_conf = 0.0; // confirmed within the target
        let mut total_num = 0.0; // confirmed at all
        let mut fail_num = 0.0; // left the mempool unconfirmed after the target
        let mut extra_num = 0u64; // still in the mempool after the target
        let mut partial_num = 0.0;
        let mut cur_near = buckets - 1;
        let mut best: Option<(usize, usize)> = None;
        let mut new_range = true;

        for bucket in (0..buckets).rev() {
            if new_range {
                cur_near = bucket;
                new_range = false;
            }
            n_conf += self.conf_avg[period_target - 1][bucket];
            partial_num += self.tx_ct_avg[bucket];
            total_num += self.tx_ct_avg[bucket];
            fail_num += self.fail_avg[period_target - 1][bucket];
            for confirms in conf_target..self.max_confirms() {
                let slot = self.slot(i64::from(best_seen) - i64::from(confirms));
                extra_num += u64::from(self.unconf[slot][bucket]);
            }
            extra_num += u64::from(self.old_unconf[bucket]);

            // Test only ranges with enough confirmed data points, so that every target looks
            // at the same bucket breaks.
            if partial_num < sufficient {
                continue;
            }
            partial_num = 0.0;
            let success = n_conf / (total_num + fail_num + extra_num as f64);
            if success < success_threshold {
                // Keep the counts: the next range is judged together with this one.
                continue;
            }
            best = Some((bucket, cur_near));
            n_conf = 0.0;
            total_num = 0.0;
            fail_num = 0.0;
            extra_num = 0;
            new_range = true;
        }

        // The average fee rate of the bucket holding the median transaction of the best range
        // (a compromise: individual fee rates are not kept).
        let (low, high) = best?;
        let mut half = self.tx_ct_avg[low..=high].iter().sum::<f64>();
        if half == 0.0 {
            return None;
        }
        half /= 2.0;
        for bucket in low..=high {
            let count = self.tx_ct_avg[bucket];
            if count < half {
                half -= count;
            } else {
                return Some(self.feerate_avg[bucket] / count);
            }
        }
        None
    }
}
