//! Block download bookkeeping (Core's `mapBlocksInFlight` and stalling window), free of I/O:
//! which missing blocks to ask which peer for, a bounded window per peer, and requests that
//! stalled handed to another peer.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bitcoin::BlockHash;

/// A peer's id (Core's `NodeId`).
pub type PeerId = u64;

/// Blocks in flight per peer (Core's `MAX_BLOCKS_IN_TRANSIT_PER_PEER`).
pub const MAX_BLOCKS_IN_FLIGHT_PER_PEER: usize = 16;
/// The first stalling window (Core's `BLOCK_STALLING_TIMEOUT_DEFAULT`).
pub const STALL_TIMEOUT_BASE: Duration = Duration::from_secs(2);
/// The largest stalling window (Core's `BLOCK_STALLING_TIMEOUT_MAX`).
pub const STALL_TIMEOUT_MAX: Duration = Duration::from_secs(64);

/// A peer that may be asked for blocks.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// Its id.
    pub id: PeerId,
    /// The height of the best block it is known to have.
    pub best_height: i32,
}

#[derive(Debug, Clone, Copy)]
struct Request {
    peer: PeerId,
    sent: Instant,
}

/// What is being downloaded from whom.
#[derive(Debug)]
pub struct Download {
    in_flight: HashMap<BlockHash, Request>,
    per_peer: HashMap<PeerId, usize>,
    /// Blocks received but not yet connected (waiting for a parent).
    received: HashSet<BlockHash>,
    /// The peer a block last stalled from (asked of another peer when one can serve it).
    stalled_from: HashMap<BlockHash, PeerId>,
    stall_timeout: Duration,
}

impl Default for Download {
    fn default() -> Self {
        Download {
            in_flight: HashMap::new(),
            per_peer: HashMap::new(),
            received: HashSet::new(),
            stalled_from: HashMap::new(),
            stall_timeout: STALL_TIMEOUT_BASE,
        }
    }
}

impl Download {
    /// The current stalling window.
    pub fn stall_timeout(&self) -> Duration {
        self.stall_timeout
    }

    /// Blocks in flight from `peer`.
    pub fn in_flight(&self, peer: PeerId) -> usize {
        self.per_peer.get(&peer).copied().unwrap_or(0)
    }

    /// Assigns blocks of `missing` (lowest first, with their heights) to `peers`, at most
    /// [`MAX_BLOCKS_IN_FLIGHT_PER_PEER`] each, to the least busy peer that has the block;
    /// returns the requests to send.
    pub fn assign(
        &mut self,
        missing: &[(BlockHash, i32)],
        peers: &[Candidate],
        now: Instant,
    ) -> Vec<(PeerId, Vec<BlockHash>)> {
        let wanted: HashSet<BlockHash> = missing.iter().map(|(h, _)| *h).collect();
        self.received.retain(|h| wanted.contains(h));
        self.stalled_from.retain(|h, _| wanted.contains(h));
        let mut out: HashMap<PeerId, Vec<BlockHash>> = HashMap::new();
        for (hash, height) in missing {
            if self.in_flight.contains_key(hash) || self.received.contains(hash) {
                continue;
            }
            let avoid = self.stalled_from.get(hash).copied();
            let able = |c: &&Candidate| {
                c.best_height >= *height && self.in_flight(c.id) < MAX_BLOCKS_IN_FLIGHT_PER_PEER
            };
            let choice = peers
                .iter()
                .filter(able)
                .filter(|c| Some(c.id) != avoid)
                .min_by_key(|c| self.in_flight(c.id))
                .or_else(|| {
                    peers
                        .iter()
                        .filter(able)
                        .min_by_key(|c| self.in_flight(c.id))
                });
            let Some(peer) = choice else {
                if peers
                    .iter()
                    .all(|c| self.in_flight(c.id) >= MAX_BLOCKS_IN_FLIGHT_PER_PEER)
                {
                    break;
                }
                continue;
            };
            self.in_flight.insert(
                *hash,
                Request {
                    peer: peer.id,
                    sent: now,
                },
            );
            *self.per_peer.entry(peer.id).or_default() += 1;
            out.entry(peer.id).or_default().push(*hash);
        }
        out.into_iter().collect()
    }

    fn release(&mut self, hash: &BlockHash) -> Option<Request> {
        let request = self.in_flight.remove(hash)?;
        if let Some(n) = self.per_peer.get_mut(&request.peer) {
            *n = n.saturating_sub(1);
        }
        Some(request)
    }

    /// `hash` arrived from `peer`; returns whether it had been requested (from anyone).
    pub fn received(&mut self, hash: &BlockHash) -> bool {
        self.received.insert(*hash);
        let requested = self.release(hash).is_some();
        if requested {
            self.stall_timeout = self.stall_timeout.mul_f64(0.85).max(STALL_TIMEOUT_BASE);
        }
        requested
    }

    /// Requests older than the stalling window: released (to be asked of another peer) and
    /// returned; the window doubles, up to [`STALL_TIMEOUT_MAX`].
    pub fn expire(&mut self, now: Instant) -> Vec<(BlockHash, PeerId)> {
        let stalled: Vec<(BlockHash, PeerId)> = self
            .in_flight
            .iter()
            .filter(|(_, r)| now.duration_since(r.sent) > self.stall_timeout)
            .map(|(h, r)| (*h, r.peer))
            .collect();
        for (hash, peer) in &stalled {
            self.release(hash);
            self.stalled_from.insert(*hash, *peer);
        }
        if !stalled.is_empty() {
            self.stall_timeout = (self.stall_timeout * 2).min(STALL_TIMEOUT_MAX);
        }
        stalled
    }

    /// Which peer `hash` is being downloaded from, if any.
    pub fn requested_from(&self, hash: &BlockHash) -> Option<PeerId> {
        self.in_flight.get(hash).map(|r| r.peer)
    }

    /// Records `hash` as being downloaded from `peer` outside the scheduler (a compact block
    /// being rebuilt, Core's `BlockRequested` for `cmpctblock`), so that the scheduler does not
    /// ask anyone for it meanwhile; returns whether `peer` now has it (false when another peer
    /// has it in flight or it was already received).
    pub fn claim(&mut self, hash: BlockHash, peer: PeerId, now: Instant) -> bool {
        if self.received.contains(&hash) {
            return false;
        }
        if let Some(request) = self.in_flight.get(&hash) {
            return request.peer == peer;
        }
        self.in_flight.insert(hash, Request { peer, sent: now });
        *self.per_peer.entry(peer).or_default() += 1;
        true
    }

    /// Gives up `peer`'s claim on `hash` (the scheduler may assign it again).
    pub fn unclaim(&mut self, hash: &BlockHash, peer: PeerId) {
        if self.requested_from(hash) == Some(peer) {
            self.release(hash);
        }
    }

    /// Forgets `peer`'s requests (it disconnected); they are assigned again.
    pub fn peer_gone(&mut self, peer: PeerId) {
        self.in_flight.retain(|_, r| r.peer != peer);
        self.per_peer.remove(&peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> BlockHash {
        use bitcoin::hashes::Hash;
        BlockHash::from_byte_array([n; 32])
    }

    fn missing(n: u8) -> Vec<(BlockHash, i32)> {
        (1..=n).map(|i| (hash(i), i32::from(i))).collect()
    }

    #[test]
    fn window_is_bounded_per_peer_and_split_between_peers() {
        let mut d = Download::default();
        let now = Instant::now();
        let peers = [
            Candidate {
                id: 1,
                best_height: 100,
            },
            Candidate {
                id: 2,
                best_height: 100,
            },
        ];
        let sent = d.assign(&missing(50), &peers, now);
        let total: usize = sent.iter().map(|(_, v)| v.len()).sum();
        assert_eq!(total, 2 * MAX_BLOCKS_IN_FLIGHT_PER_PEER);
        assert_eq!(d.in_flight(1), MAX_BLOCKS_IN_FLIGHT_PER_PEER);
        assert_eq!(d.in_flight(2), MAX_BLOCKS_IN_FLIGHT_PER_PEER);
        assert!(d.assign(&missing(50), &peers, now).is_empty());
        assert!(d.received(&hash(1)));
        let again = d.assign(&missing(50), &peers, now);
        assert_eq!(again.iter().map(|(_, v)| v.len()).sum::<usize>(), 1);
    }

    #[test]
    fn peers_are_only_asked_for_blocks_they_have() {
        let mut d = Download::default();
        let peers = [Candidate {
            id: 1,
            best_height: 3,
        }];
        let sent = d.assign(&missing(10), &peers, Instant::now());
        assert_eq!(sent, vec![(1, vec![hash(1), hash(2), hash(3)])]);
    }

    #[test]
    fn stalled_blocks_go_to_another_peer_and_the_window_grows() {
        let mut d = Download::default();
        let start = Instant::now();
        let one = [Candidate {
            id: 1,
            best_height: 10,
        }];
        d.assign(&missing(1), &one, start);
        let later = start + STALL_TIMEOUT_BASE + Duration::from_millis(1);
        assert_eq!(d.expire(later), vec![(hash(1), 1)]);
        assert_eq!(d.stall_timeout(), STALL_TIMEOUT_BASE * 2);
        let two = [
            one[0],
            Candidate {
                id: 2,
                best_height: 10,
            },
        ];
        assert_eq!(d.assign(&missing(1), &two, later), vec![(2, vec![hash(1)])]);
        d.peer_gone(2);
        assert_eq!(d.in_flight(2), 0);
        assert_eq!(d.assign(&missing(1), &one, later), vec![(1, vec![hash(1)])]);
    }

    #[test]
    fn claimed_blocks_are_not_scheduled_until_released() {
        let mut d = Download::default();
        let now = Instant::now();
        let peers = [Candidate {
            id: 1,
            best_height: 10,
        }];
        assert!(d.claim(hash(2), 7, now));
        assert!(d.claim(hash(2), 7, now), "the holder keeps its claim");
        assert!(!d.claim(hash(2), 1, now), "another peer cannot take it");
        assert_eq!(d.requested_from(&hash(2)), Some(7));
        assert_eq!(d.in_flight(7), 1);
        assert_eq!(d.assign(&missing(2), &peers, now), vec![(1, vec![hash(1)])]);
        d.unclaim(&hash(2), 1);
        assert_eq!(
            d.requested_from(&hash(2)),
            Some(7),
            "only the holder releases"
        );
        d.unclaim(&hash(2), 7);
        assert_eq!(d.in_flight(7), 0);
        assert_eq!(d.assign(&missing(2), &peers, now), vec![(1, vec![hash(2)])]);
        assert!(d.received(&hash(2)));
        assert!(!d.claim(hash(2), 7, now), "received blocks are not claimed");
    }

    #[test]
    fn received_but_unconnected_blocks_are_not_asked_again() {
        let mut d = Download::default();
        let peers = [Candidate {
            id: 1,
            best_height: 10,
        }];
        d.assign(&missing(2), &peers, Instant::now());
        d.received(&hash(2));
        d.peer_gone(1);
        assert_eq!(
            d.assign(&missing(2), &peers, Instant::now()),
            vec![(1, vec![hash(1)])]
        );
    }
}
