//! BIP133 `feefilter`: the fee rate below which we do not want transactions announced, sent
//! to each peer after the handshake and again when it changes (Core's `MaybeSendFeefilter`,
//! rounded by its `FeeFilterRounder` so the exact mempool minimum is not revealed); and the
//! peer's, below which we do not announce transactions to it.

use std::time::{Duration, Instant};

/// The fee rates behind our `feefilter`, in sat/kvB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeRates {
    /// The mempool's current minimum (Core's `GetMinFee`; 0 when it is not full).
    pub mempool_min: u64,
    /// `-minrelaytxfee`.
    pub min_relay: u64,
    /// `-incrementalrelayfee` (sets the rounding buckets).
    pub incremental: u64,
}

/// Core's `FEEFILTER_VERSION`: peers from this protocol version on understand `feefilter`.
pub const FEEFILTER_VERSION: u32 = 70013;
/// Core's `AVG_FEEFILTER_BROADCAST_INTERVAL`.
const AVG_BROADCAST_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// Core's `MAX_FEEFILTER_CHANGE_DELAY`.
const MAX_CHANGE_DELAY: Duration = Duration::from_secs(5 * 60);
/// Core's `FeeFilterRounder` `MAX_FILTER_FEERATE` and `FEE_FILTER_SPACING`.
const MAX_FILTER_FEERATE: f64 = 1e7;
const FEE_FILTER_SPACING: f64 = 1.1;
/// Core's `MAX_MONEY` in satoshis: a peer's `feefilter` must be within it.
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

/// Core's `FeeFilterRounder::round`: the bucket boundary at or above `fee` (buckets 0, then
/// from half the incremental fee up by 10 % to 10^7 sat/kvB), one lower two times in three
/// (`random` picks).
pub fn round(fee: u64, incremental: u64, random: u64) -> u64 {
    let mut buckets = vec![0.0];
    let mut boundary = (incremental / 2).max(1) as f64;
    while boundary <= MAX_FILTER_FEERATE {
        buckets.push(boundary);
        boundary *= FEE_FILTER_SPACING;
    }
    let fee = fee as f64;
    let mut at = buckets.partition_point(|b| *b < fee);
    if at == buckets.len() || (at != 0 && !random.is_multiple_of(3)) {
        at -= 1;
    }
    buckets[at] as u64
}

/// A random duration of mean `mean` (exponentially distributed, Core's `rand_exp_duration`).
fn exponential(mean: Duration, random: u64) -> Duration {
    let unit = (random >> 11) as f64 / (1u64 << 53) as f64;
    let factor = -(1.0 - unit).ln();
    mean.mul_f64(factor.min(50.0))
}

/// What we last told one peer and when we tell it again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schedule {
    sent: u64,
    next: Option<Instant>,
}

impl Schedule {
    /// Core's schedule: when due, the rounded filter (at least `-minrelaytxfee`) if it differs
    /// from the last one sent, then again in about ten minutes; a material change (beyond
    /// 3/4 to 4/3 of what was sent) brings the next one to within five minutes.
    pub(crate) fn poll(&mut self, now: Instant, rates: FeeRates) -> Option<u64> {
        let random = crate::addrman::random_u64();
        let current = rates.mempool_min;
        if self.next.is_none_or(|next| now >= next) {
            let filter = round(current, rates.incremental, random).max(rates.min_relay);
            self.next = Some(now + exponential(AVG_BROADCAST_INTERVAL, random.rotate_left(17)));
            if filter != self.sent {
                self.sent = filter;
                return Some(filter);
            }
        } else if self.next.is_some_and(|next| now + MAX_CHANGE_DELAY < next)
            && (current < 3 * self.sent / 4 || current > 4 * self.sent / 3)
        {
            let delay = MAX_CHANGE_DELAY.mul_f64((random % 1_000_000) as f64 / 1_000_000.0);
            self.next = Some(now + delay);
        }
        None
    }
}

/// Whether a transaction paying `fee` for `vsize` virtual bytes meets a peer's filter
/// (`filter` sat/kvB; Core's `txinfo.fee < filterrate.GetFee(txinfo.vsize)`, rounded up).
pub fn meets(fee: u64, vsize: u64, filter: u64) -> bool {
    let needed = (u128::from(filter) * u128::from(vsize)).div_ceil(1000);
    u128::from(fee) >= needed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_uses_cores_buckets() {
        // Buckets from 50 (incremental 100): 50, 55, 60.5, ...; 0 stays 0.
        assert_eq!(round(0, 100, 1), 0);
        assert_eq!(round(0, 100, 0), 0);
        assert_eq!(round(55, 100, 0), 55);
        assert_eq!(round(55, 100, 1), 50);
        assert!(round(u64::MAX, 100, 0) as f64 <= MAX_FILTER_FEERATE);
    }

    #[test]
    fn the_filter_goes_at_once_then_on_a_material_change() {
        let rates = FeeRates {
            mempool_min: 0,
            min_relay: 10_000,
            incremental: 100,
        };
        let start = Instant::now();
        let mut s = Schedule::default();
        assert_eq!(s.poll(start, rates), Some(10_000));
        assert_eq!(s.poll(start, rates), None);
        // Unchanged when due: nothing sent.
        let later = start + Duration::from_secs(3600 * 24 * 365);
        assert_eq!(s.poll(later, rates), None);
        let full = FeeRates {
            mempool_min: 50_000,
            ..rates
        };
        let sent = s.poll(later + Duration::from_secs(3600 * 24 * 365), full);
        assert!(
            sent.is_some_and(|f| (40_000..=60_000).contains(&f)),
            "{sent:?}"
        );
    }

    #[test]
    fn a_filter_is_met_at_or_above_its_rate() {
        assert!(meets(100, 100, 1000));
        assert!(!meets(99, 100, 1000));
        assert!(!meets(0, 1, 1));
        assert!(meets(0, 100, 0));
    }
}
