//! The orphan pool (Core's `TxOrphanage`): transactions whose inputs the mempool could not
//! find, kept until their parents arrive so they can be reconsidered then. Bounded like
//! Core's: at most [`DEFAULT_MAX_ORPHANS`] transactions of at most the standard weight,
//! each expiring after [`ORPHAN_EXPIRY`], forgotten when the peer that sent it disconnects
//! or a block includes it or spends the same outputs; beyond the bound a random one goes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::{Block, OutPoint, Transaction, Txid, Wtxid};

use crate::sync::PeerId;

/// Core's `-maxorphantx` default.
pub const DEFAULT_MAX_ORPHANS: usize = 100;

/// Core's `ORPHAN_TX_EXPIRE_TIME`.
pub const ORPHAN_EXPIRY: Duration = Duration::from_secs(20 * 60);

/// Core's `ORPHAN_TX_EXPIRE_INTERVAL`: expired orphans are swept at most this often.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Core's `MAX_STANDARD_TX_WEIGHT`: a larger orphan is not kept (it could not be standard).
const MAX_ORPHAN_WEIGHT: u64 = 400_000;

/// One orphan.
#[derive(Debug, Clone)]
pub struct Orphan {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// The peer that sent it.
    pub from: PeerId,
    expires: Instant,
}

/// The orphan pool.
#[derive(Debug)]
pub struct OrphanPool {
    max: usize,
    orphans: HashMap<Wtxid, Orphan>,
    by_txid: HashMap<Txid, Wtxid>,
    /// The orphans spending each outpoint.
    by_prevout: HashMap<OutPoint, HashSet<Wtxid>>,
    next_sweep: Option<Instant>,
}

impl Default for OrphanPool {
    fn default() -> OrphanPool {
        OrphanPool::new(DEFAULT_MAX_ORPHANS)
    }
}

impl OrphanPool {
    /// An empty pool holding at most `max` orphans.
    pub fn new(max: usize) -> OrphanPool {
        OrphanPool {
            max,
            orphans: HashMap::new(),
            by_txid: HashMap::new(),
            by_prevout: HashMap::new(),
            next_sweep: None,
        }
    }

    /// How many orphans are held.
    pub fn len(&self) -> usize {
        self.orphans.len()
    }

    /// Every orphan, in no particular order.
    pub fn all(&self) -> Vec<Orphan> {
        self.orphans.values().cloned().collect()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.orphans.is_empty()
    }

    /// Keeps `tx` from peer `from`; false if it is already held or too heavy to be standard.
    /// The caller then calls [`OrphanPool::limit`].
    pub fn add(&mut self, tx: Arc<Transaction>, from: PeerId, now: Instant) -> bool {
        let wtxid = tx.compute_wtxid();
        if self.orphans.contains_key(&wtxid) || tx.weight().to_wu() > MAX_ORPHAN_WEIGHT {
            return false;
        }
        for input in &tx.input {
            self.by_prevout
                .entry(input.previous_output)
                .or_default()
                .insert(wtxid);
        }
        self.by_txid.insert(tx.compute_txid(), wtxid);
        let expires = now + ORPHAN_EXPIRY;
        self.orphans.insert(wtxid, Orphan { tx, from, expires });
        true
    }

    /// Whether a transaction with this txid or wtxid is held.
    pub fn contains(&self, txid: Option<&Txid>, wtxid: Option<&Wtxid>) -> bool {
        txid.is_some_and(|t| self.by_txid.contains_key(t))
            || wtxid.is_some_and(|w| self.orphans.contains_key(w))
    }

    /// The orphan with this wtxid.
    pub fn get(&self, wtxid: &Wtxid) -> Option<&Orphan> {
        self.orphans.get(wtxid)
    }

    /// Forgets the orphan `wtxid`; whether it was held.
    pub fn remove(&mut self, wtxid: &Wtxid) -> bool {
        let Some(orphan) = self.orphans.remove(wtxid) else {
            return false;
        };
        for input in &orphan.tx.input {
            if let Some(set) = self.by_prevout.get_mut(&input.previous_output) {
                set.remove(wtxid);
                if set.is_empty() {
                    self.by_prevout.remove(&input.previous_output);
                }
            }
        }
        self.by_txid.remove(&orphan.tx.compute_txid());
        true
    }

    /// Forgets what peer `peer` sent (it disconnected); how many went.
    pub fn erase_for_peer(&mut self, peer: PeerId) -> usize {
        let gone: Vec<Wtxid> = self
            .orphans
            .iter()
            .filter(|(_, o)| o.from == peer)
            .map(|(w, _)| *w)
            .collect();
        gone.iter().filter(|w| self.remove(w)).count()
    }

    /// Forgets the orphans `block` includes or conflicts with (spends an outpoint they
    /// spend); how many went.
    pub fn erase_for_block(&mut self, block: &Block) -> usize {
        let mut gone = HashSet::new();
        for tx in &block.txdata {
            for input in &tx.input {
                if let Some(set) = self.by_prevout.get(&input.previous_output) {
                    gone.extend(set.iter().copied());
                }
            }
        }
        gone.iter().filter(|w| self.remove(w)).count()
    }

    /// The orphans spending an output of `parent` (to reconsider now that it is in the
    /// mempool), each once, oldest-expiring first for a stable order.
    pub fn children_of(&self, parent: &Transaction) -> Vec<Orphan> {
        let txid = parent.compute_txid();
        let mut seen = HashSet::new();
        let mut out: Vec<Orphan> = (0..parent.output.len())
            .filter_map(|vout| {
                let vout = u32::try_from(vout).ok()?;
                self.by_prevout.get(&OutPoint::new(txid, vout))
            })
            .flatten()
            .filter(|w| seen.insert(**w))
            .filter_map(|w| self.orphans.get(w).cloned())
            .collect();
        out.sort_by_key(|o| o.expires);
        out
    }

    /// The txids of the parents of `tx` (its inputs' transactions), each once, in input
    /// order: the ones to ask the sender for are those neither the mempool nor the chain has.
    pub fn parents(tx: &Transaction) -> Vec<Txid> {
        let mut seen = HashSet::new();
        tx.input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|t| seen.insert(*t))
            .collect()
    }

    /// Drops expired orphans (swept at most every five minutes), then random ones until at
    /// most the maximum remain; how many went. `random` gives indexes below its argument.
    pub fn limit(&mut self, now: Instant, mut random: impl FnMut(usize) -> usize) -> usize {
        let mut gone = 0;
        if self.next_sweep.is_none_or(|next| now >= next) {
            let expired: Vec<Wtxid> = self
                .orphans
                .iter()
                .filter(|(_, o)| o.expires <= now)
                .map(|(w, _)| *w)
                .collect();
            gone += expired.iter().filter(|w| self.remove(w)).count();
            self.next_sweep = Some(now + SWEEP_INTERVAL);
        }
        while self.orphans.len() > self.max {
            let mut keys: Vec<Wtxid> = self.orphans.keys().copied().collect();
            keys.sort_unstable();
            let victim = keys[random(keys.len()) % keys.len()];
            if self.remove(&victim) {
                gone += 1;
            }
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use bitcoin::hashes::Hash;
    use bitcoin::{absolute, transaction, Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    fn tx(inputs: &[OutPoint], outputs: usize, tag: u8) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::from_consensus(u32::from(tag)),
            input: inputs
                .iter()
                .map(|o| TxIn {
                    previous_output: *o,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                })
                .collect(),
            output: (0..outputs)
                .map(|_| TxOut {
                    value: Amount::from_sat(1_000),
                    script_pubkey: ScriptBuf::new(),
                })
                .collect(),
        })
    }

    fn outpoint(tag: u8, vout: u32) -> OutPoint {
        OutPoint::new(Txid::from_byte_array([tag; 32]), vout)
    }

    #[test]
    fn children_are_found_by_their_parent_and_forgotten_once_removed() {
        let mut pool = OrphanPool::default();
        let now = Instant::now();
        let parent = tx(&[outpoint(1, 0)], 2, 0);
        let p = parent.compute_txid();
        let child = tx(&[OutPoint::new(p, 0), OutPoint::new(p, 1)], 1, 1);
        let other = tx(&[outpoint(9, 0)], 1, 2);
        assert!(pool.add(child.clone(), 7, now));
        assert!(!pool.add(child.clone(), 8, now), "held once");
        assert!(pool.add(other.clone(), 7, now));
        let children = pool.children_of(&parent);
        assert_eq!(
            children.len(),
            1,
            "one child although it spends two outputs"
        );
        assert_eq!(children[0].tx.compute_wtxid(), child.compute_wtxid());
        assert_eq!(children[0].from, 7);
        assert!(pool.contains(Some(&child.compute_txid()), None));
        assert_eq!(OrphanPool::parents(&child), vec![p]);
        assert!(pool.remove(&child.compute_wtxid()));
        assert!(pool.children_of(&parent).is_empty());
        assert!(!pool.contains(None, Some(&child.compute_wtxid())));
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn a_peer_going_or_a_block_takes_its_orphans() {
        let mut pool = OrphanPool::default();
        let now = Instant::now();
        let a = tx(&[outpoint(1, 0)], 1, 0);
        let b = tx(&[outpoint(2, 0)], 1, 1);
        let c = tx(&[outpoint(3, 0)], 1, 2);
        pool.add(a, 1, now);
        pool.add(b, 2, now);
        pool.add(c, 2, now);
        assert_eq!(pool.erase_for_peer(2), 2);
        assert_eq!(pool.len(), 1);
        // A block spending the same outpoint as the last orphan (a conflict) takes it.
        let conflict = tx(&[outpoint(1, 0)], 2, 9);
        let block = Block {
            header: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header,
            txdata: vec![(*conflict).clone()],
        };
        assert_eq!(pool.erase_for_block(&block), 1);
        assert!(pool.is_empty());
        assert!(pool.by_prevout.is_empty() && pool.by_txid.is_empty());
    }

    #[test]
    fn the_pool_is_bounded_and_orphans_expire() {
        let mut pool = OrphanPool::new(3);
        let now = Instant::now();
        for tag in 0..5 {
            pool.add(tx(&[outpoint(tag, 0)], 1, tag), 1, now);
        }
        assert_eq!(pool.limit(now, |n| n - 1), 2);
        assert_eq!(pool.len(), 3);
        // Too heavy to be standard: not kept.
        let heavy = tx(&[outpoint(50, 0)], 12_000, 50);
        assert!(!pool.add(heavy, 1, now));
        // Expiry is swept at most every five minutes.
        let later = now + ORPHAN_EXPIRY + Duration::from_secs(60);
        pool.add(tx(&[outpoint(60, 0)], 1, 60), 1, later);
        assert_eq!(pool.limit(later, |_| 0), 3, "the three old ones expired");
        assert_eq!(pool.len(), 1);
        let soon = later + ORPHAN_EXPIRY;
        assert_eq!(pool.limit(soon - Duration::from_secs(1), |_| 0), 0);
        assert_eq!(
            pool.limit(soon, |_| 0),
            0,
            "swept less than five minutes ago"
        );
        assert_eq!(pool.limit(soon + SWEEP_INTERVAL, |_| 0), 1);
        assert!(pool.is_empty());
    }
}
