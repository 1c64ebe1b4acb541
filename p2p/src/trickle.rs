//! Transaction announcements on Poisson timers (Core's `m_next_inv_send_time`): each
//! transaction to announce waits in the peer's queue, and the queue goes out as one `inv`
//! when the peer's timer fires, so an observer cannot time which peer a transaction came
//! from. Outbound peers get their own timer (mean [`OUTBOUND_INTERVAL`]); all inbound peers
//! share one (mean [`INBOUND_INTERVAL`]), as Core does, so they learn of transactions at the
//! same moments. At most [`MAX_PER_TRICKLE`] announcements leave per firing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use tokio_util::sync::CancellationToken;

use crate::sync::PeerId;
use crate::{lock, Shared};

/// Core's `INBOUND_INVENTORY_BROADCAST_INTERVAL`.
pub const INBOUND_INTERVAL: Duration = Duration::from_secs(5);
/// Core's `OUTBOUND_INVENTORY_BROADCAST_INTERVAL`.
pub const OUTBOUND_INTERVAL: Duration = Duration::from_secs(2);
/// Core's `INVENTORY_BROADCAST_MAX`.
pub const MAX_PER_TRICKLE: usize = 1000;

/// A peer's announcements waiting for its timer.
pub(crate) type Pending = Arc<Mutex<Vec<Inventory>>>;

/// An exponentially distributed delay of mean `mean` (the gaps of a Poisson process).
pub fn poisson_delay(mean: Duration) -> Duration {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    // Uniform in (0, 1]: never 0, so the logarithm is finite.
    let uniform = ((u64::from_le_bytes(bytes) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    mean.mul_f64(-uniform.ln())
}

/// The shared timer of the inbound peers (Core's `NextInvToInbounds`): the next firing,
/// drawn anew once the last one has passed.
#[derive(Debug)]
pub(crate) struct InboundTimer(Mutex<Instant>);

impl Default for InboundTimer {
    fn default() -> InboundTimer {
        InboundTimer(Mutex::new(Instant::now()))
    }
}

impl InboundTimer {
    fn next(&self, now: Instant) -> Instant {
        let mut next = lock(&self.0);
        if *next <= now {
            *next = now + poisson_delay(INBOUND_INTERVAL);
        }
        *next
    }
}

/// Sends peer `id`'s pending announcements whenever its timer fires, until `cancel`.
pub(crate) async fn trickle_loop(
    shared: Arc<Shared>,
    id: PeerId,
    inbound: bool,
    pending: Pending,
    cancel: CancellationToken,
) {
    loop {
        let wait = if inbound {
            let now = Instant::now();
            shared
                .inbound_timer
                .next(now)
                .saturating_duration_since(now)
        } else {
            poisson_delay(OUTBOUND_INTERVAL)
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = cancel.cancelled() => return,
        }
        let batch: Vec<Inventory> = {
            let mut queue = lock(&pending);
            let take = queue.len().min(MAX_PER_TRICKLE);
            queue.drain(..take).collect()
        };
        if batch.is_empty() {
            continue;
        }
        if let Some(peer) = lock(&shared.peers).get(&id) {
            tracing::debug!(target: "net", "announcing {} transactions to peer={id}", batch.len());
            peer.send(NetworkMessage::Inv(batch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_have_the_mean_they_are_asked_for() {
        let mean = Duration::from_secs(2);
        let n = 20_000;
        let total: Duration = (0..n).map(|_| poisson_delay(mean)).sum();
        let average = total.as_secs_f64() / f64::from(n);
        assert!((average - 2.0).abs() < 0.1, "average {average}");
        // Exponential: about 1 - 1/e of the delays are shorter than the mean.
        let shorter = (0..n).filter(|_| poisson_delay(mean) < mean).count();
        let share = shorter as f64 / f64::from(n);
        assert!((share - 0.632).abs() < 0.03, "share {share}");
    }

    #[test]
    fn inbound_peers_share_one_timer() {
        let timer = InboundTimer::default();
        let now = Instant::now();
        let first = timer.next(now);
        assert!(first > now);
        assert_eq!(
            timer.next(now),
            first,
            "the same firing for every inbound peer"
        );
        let later = timer.next(first + Duration::from_millis(1));
        assert!(later > first, "a new firing once the last has passed");
    }
}
