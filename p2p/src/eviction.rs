//! Inbound eviction (Core's `node/eviction.cpp`, `SelectNodeToEvict`): when every inbound
//! slot is taken, a new inbound connection gets in only if an existing inbound peer can be
//! evicted. Peers that are hard for an attacker to imitate are protected: 4 by network group
//! (keyed, so which is unpredictable), the 8 with the fastest pings, the 4 that last sent us
//! new transactions, up to 8 block-relay-only peers and the 4 that last sent us new blocks,
//! then half of the rest (a quarter of it by disadvantaged network, here local peers, then by
//! uptime). Of the peers left, the youngest in the network group with the most connections
//! is evicted.

use std::cmp::Ordering;
use std::time::{Duration, Instant};

use crate::sync::PeerId;

/// What eviction looks at in an inbound peer (Core's `NodeEvictionCandidate`).
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) id: PeerId,
    /// When it connected.
    pub(crate) connected: Instant,
    /// Its fastest ping (`None`: never answered one).
    pub(crate) min_ping: Option<Duration>,
    /// When it last sent a block we connected (Unix seconds, 0: never).
    pub(crate) last_block_time: u64,
    /// When it last sent a transaction we took (Unix seconds, 0: never).
    pub(crate) last_tx_time: u64,
    /// Whether it offers the services we want (`NODE_NETWORK | NODE_WITNESS`).
    pub(crate) relevant_services: bool,
    /// Whether it wants transactions (its `version`'s relay flag).
    pub(crate) relay_txs: bool,
    /// Its network group, hashed with a key of ours.
    pub(crate) keyed_netgroup: u64,
    /// Whether it connected from a local address.
    pub(crate) is_local: bool,
}

/// Sorts by `compare` (ascending: the best last) and removes, among the last `k`, those
/// `protect` accepts (Core's `EraseLastKElements`).
fn erase_last_k(
    candidates: &mut Vec<Candidate>,
    compare: impl Fn(&Candidate, &Candidate) -> Ordering,
    k: usize,
    protect: impl Fn(&Candidate) -> bool,
) {
    candidates.sort_by(compare);
    let start = candidates.len() - k.min(candidates.len());
    let mut i = start;
    while i < candidates.len() {
        if protect(&candidates[i]) {
            candidates.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Older first is "less" for the uptime tie-breaks: the oldest ends last, protected.
fn younger_first(a: &Candidate, b: &Candidate) -> Ordering {
    b.connected.cmp(&a.connected)
}

fn ping_key(c: &Candidate) -> Duration {
    c.min_ping.unwrap_or(Duration::MAX)
}

/// Core's `ProtectEvictionCandidatesByRatio`: half of the candidates are protected, up to a
/// quarter of them local peers (the longest connected), the rest by uptime.
fn protect_by_ratio(candidates: &mut Vec<Candidate>) {
    let total_protect = candidates.len() / 2;
    let by_network = total_protect / 2;
    let before = candidates.len();
    if by_network > 0 && candidates.iter().any(|c| c.is_local) {
        erase_last_k(
            candidates,
            |a, b| {
                a.is_local
                    .cmp(&b.is_local)
                    .then_with(|| younger_first(a, b))
            },
            by_network,
            |c| c.is_local,
        );
    }
    let protected = before - candidates.len();
    erase_last_k(
        candidates,
        younger_first,
        total_protect.saturating_sub(protected),
        |_| true,
    );
}

/// The inbound peer to evict, if any may be (Core's `SelectNodeToEvict`; all candidates
/// are inbound and none has `noban`, which we do not have).
pub(crate) fn select(mut candidates: Vec<Candidate>) -> Option<PeerId> {
    erase_last_k(
        &mut candidates,
        |a, b| a.keyed_netgroup.cmp(&b.keyed_netgroup),
        4,
        |_| true,
    );
    erase_last_k(
        &mut candidates,
        |a, b| ping_key(b).cmp(&ping_key(a)),
        8,
        |_| true,
    );
    erase_last_k(
        &mut candidates,
        |a, b| {
            a.last_tx_time
                .cmp(&b.last_tx_time)
                .then(a.relay_txs.cmp(&b.relay_txs))
                .then_with(|| younger_first(a, b))
        },
        4,
        |_| true,
    );
    erase_last_k(
        &mut candidates,
        |a, b| {
            b.relay_txs
                .cmp(&a.relay_txs)
                .then(a.last_block_time.cmp(&b.last_block_time))
                .then(a.relevant_services.cmp(&b.relevant_services))
                .then_with(|| younger_first(a, b))
        },
        8,
        |c| !c.relay_txs && c.relevant_services,
    );
    erase_last_k(
        &mut candidates,
        |a, b| {
            a.last_block_time
                .cmp(&b.last_block_time)
                .then(a.relevant_services.cmp(&b.relevant_services))
                .then_with(|| younger_first(a, b))
        },
        4,
        |_| true,
    );
    protect_by_ratio(&mut candidates);
    // The network group with the most peers left (ties: the one whose oldest member is
    // youngest), and in it the youngest peer.
    candidates.sort_by(younger_first);
    let mut groups: std::collections::HashMap<u64, Vec<&Candidate>> =
        std::collections::HashMap::new();
    let mut best: Option<(usize, Instant, u64)> = None;
    for c in &candidates {
        let group = groups.entry(c.keyed_netgroup).or_default();
        group.push(c);
        let (size, first) = (group.len(), group[0].connected);
        if best.is_none_or(|(n, t, _)| size > n || (size == n && first > t)) {
            best = Some((size, first, c.keyed_netgroup));
        }
    }
    let (_, _, group) = best?;
    groups.get(&group)?.first().map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: PeerId, age_secs: u64, group: u64) -> Candidate {
        Candidate {
            id,
            connected: Instant::now() - Duration::from_secs(age_secs),
            min_ping: None,
            last_block_time: 0,
            last_tx_time: 0,
            relevant_services: false,
            relay_txs: true,
            keyed_netgroup: group,
            is_local: false,
        }
    }

    #[test]
    fn too_few_candidates_protects_them_all() {
        let few: Vec<Candidate> = (0..20).map(|i| candidate(i, 1000 + i, i)).collect();
        assert_eq!(select(few), None);
        assert_eq!(select(Vec::new()), None);
    }

    #[test]
    fn evicts_the_youngest_of_the_biggest_netgroup() {
        // 20 peers in 20 groups are the protected kind (4 by group, 8 by ping, 4 by
        // transactions, 4 by blocks), then 10 unremarkable peers: 6 in group 100, 4 in
        // group 200; half of them are protected by uptime (the 5 oldest).
        let mut all = Vec::new();
        for i in 0..20u64 {
            let mut c = candidate(i, 10_000, 1000 + i);
            match i {
                0..=3 => c.keyed_netgroup = u64::MAX - i,
                4..=11 => c.min_ping = Some(Duration::from_millis(i)),
                12..=15 => c.last_tx_time = 1_700_000_000 + i,
                _ => c.last_block_time = 1_700_000_000 + i,
            }
            all.push(c);
        }
        for i in 0..10u64 {
            let group = if i % 5 < 3 { 100 } else { 200 };
            all.push(candidate(100 + i, 100 - i, group));
        }
        // Left after uptime protection: ids 105..=109 (the youngest); 105, 106 and 107 are
        // in group 100, 108 and 109 in group 200.
        assert_eq!(select(all.clone()), Some(107));
        // A peer that sent us a new transaction lately is protected.
        let mut with_tx = all;
        for c in &mut with_tx {
            if c.id == 107 {
                c.last_tx_time = 1_800_000_000;
            }
        }
        let evicted = select(with_tx).expect("one");
        assert_ne!(evicted, 107);
    }

    #[test]
    fn local_peers_are_protected_by_ratio() {
        // One group, no pings, nothing relayed: the protections by group, ping and relay
        // take 20 peers, leaving the youngest, id 39, first in line...
        let mut all: Vec<Candidate> = (0..40).map(|i| candidate(i, 1000 - i, 7)).collect();
        all.rotate_right(1);
        assert_eq!(select(all.clone()), Some(39));
        // ...unless it is local: then it is protected and the next youngest left goes.
        all[0].is_local = true;
        assert_eq!(select(all), Some(26));
    }
}
