//! The mempool's entries and their graph: parents and children within the pool, and the
//! ancestor and descendant aggregates (count, size, modified fee, sigops) kept up to date
//! on every add, remove and fee delta, so that limits, eviction and block selection read
//! them without walking the graph.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{Amount, OutPoint, Transaction, Txid, Wtxid};

/// One transaction in the pool.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its txid.
    pub txid: Txid,
    /// Its wtxid.
    pub wtxid: Wtxid,
    /// The fee it pays (inputs minus outputs).
    pub fee: Amount,
    /// The `prioritisetransaction` delta (satoshis) added to the fee for selection/eviction.
    pub delta: i64,
    /// Virtual size (Core's sigop-adjusted `GetTxSize`).
    pub vsize: u64,
    /// Weight.
    pub weight: u64,
    /// Sigop cost.
    pub sigops: u64,
    /// When it entered the pool (seconds since the epoch).
    pub time: i64,
    /// The chain height when it entered.
    pub height: u32,
    /// Whether it spends a coinbase output (re-checked for maturity after a reorg).
    pub spends_coinbase: bool,
    /// Its position in the pool's sequence (`mempool_sequence`).
    pub sequence: u64,
    /// Estimated memory use.
    pub usage: u64,
    /// In-pool parents.
    pub parents: HashSet<Txid>,
    /// In-pool children.
    pub children: HashSet<Txid>,
    /// Aggregates over the entry and its in-pool ancestors.
    pub ancestors: Aggregate,
    /// Aggregates over the entry and its in-pool descendants.
    pub descendants: Aggregate,
}

/// Count, virtual size, weight, modified fee and sigops of a set of entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aggregate {
    /// Number of entries.
    pub count: u64,
    /// Sum of virtual sizes.
    pub vsize: u64,
    /// Sum of weights.
    pub weight: u64,
    /// Sum of modified fees (satoshis).
    pub fee: i64,
    /// Sum of sigop costs.
    pub sigops: u64,
}

impl Aggregate {
    fn add(&mut self, other: &Aggregate) {
        self.count += other.count;
        self.vsize += other.vsize;
        self.weight += other.weight;
        self.fee += other.fee;
        self.sigops += other.sigops;
    }

    fn sub(&mut self, other: &Aggregate) {
        self.count = self.count.saturating_sub(other.count);
        self.vsize = self.vsize.saturating_sub(other.vsize);
        self.weight = self.weight.saturating_sub(other.weight);
        self.fee -= other.fee;
        self.sigops = self.sigops.saturating_sub(other.sigops);
    }
}

impl Entry {
    /// Fee plus the prioritisation delta.
    pub fn modified_fee(&self) -> i64 {
        self.fee.to_sat() as i64 + self.delta
    }

    /// Its key in the eviction order.
    pub fn eviction_key(&self) -> EvictionKey {
        let (own_fee, own_size) = (self.modified_fee(), self.vsize);
        let (fee, vsize) = if cmp_rate(
            own_fee,
            own_size,
            self.descendants.fee,
            self.descendants.vsize,
        )
        .is_gt()
        {
            (own_fee, own_size)
        } else {
            (self.descendants.fee, self.descendants.vsize)
        };
        EvictionKey {
            fee,
            vsize,
            time: self.time,
            txid: self.txid,
        }
    }

    /// This entry alone as an aggregate.
    pub fn own(&self) -> Aggregate {
        Aggregate {
            count: 1,
            vsize: self.vsize,
            weight: self.weight,
            fee: self.modified_fee(),
            sigops: self.sigops,
        }
    }
}

/// An entry's place in the eviction order (Core's descendant score): the higher of its own
/// and its package's (it and its descendants) modified fee rates, lowest first; among equal
/// scores the newest first.
#[derive(Debug, Clone, Copy)]
pub struct EvictionKey {
    fee: i64,
    vsize: u64,
    time: i64,
    /// The entry.
    pub txid: Txid,
}

impl Ord for EvictionKey {
    fn cmp(&self, other: &EvictionKey) -> std::cmp::Ordering {
        cmp_rate(self.fee, self.vsize, other.fee, other.vsize)
            .then_with(|| other.time.cmp(&self.time))
            .then_with(|| self.txid.cmp(&other.txid))
    }
}

impl PartialOrd for EvictionKey {
    fn partial_cmp(&self, other: &EvictionKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for EvictionKey {
    fn eq(&self, other: &EvictionKey) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for EvictionKey {}

/// `a_fee / a_size` compared with `b_fee / b_size` (exactly, by cross-multiplying).
pub fn cmp_rate(a_fee: i64, a_size: u64, b_fee: i64, b_size: u64) -> std::cmp::Ordering {
    (i128::from(a_fee) * i128::from(b_size.max(1)))
        .cmp(&(i128::from(b_fee) * i128::from(a_size.max(1))))
}

/// The entries, indexed by txid, wtxid and spent outpoint.
#[derive(Debug, Default)]
pub struct Graph {
    /// Entries by txid.
    pub entries: HashMap<Txid, Entry>,
    /// Txid by wtxid.
    pub by_wtxid: HashMap<Wtxid, Txid>,
    /// Which pool transaction spends an outpoint.
    pub spenders: HashMap<OutPoint, Txid>,
    /// Sum of virtual sizes.
    pub total_vsize: u64,
    /// Sum of fees.
    pub total_fee: u64,
    /// Sum of memory estimates.
    pub usage: u64,
    /// Entries by entry time (for `-mempoolexpiry`).
    pub by_time: BTreeSet<(i64, Txid)>,
    /// Entries in eviction order (for `-maxmempool`).
    pub by_score: BTreeSet<EvictionKey>,
}

impl Graph {
    /// Applies `change` to entry `txid`, keeping its place in the eviction order.
    fn update(&mut self, txid: &Txid, change: impl FnOnce(&mut Entry)) {
        if let Some(e) = self.entries.get_mut(txid) {
            let old = e.eviction_key();
            change(e);
            let new = e.eviction_key();
            if (old.fee, old.vsize) != (new.fee, new.vsize) {
                self.by_score.remove(&old);
                self.by_score.insert(new);
            }
        }
    }

    /// The in-pool parents of `tx` (whether or not it is in the pool).
    pub fn parents_of(&self, tx: &Transaction) -> HashSet<Txid> {
        tx.input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|t| self.entries.contains_key(t))
            .collect()
    }

    /// Every in-pool ancestor reachable from `parents` (inclusive of them).
    pub fn ancestors_from(&self, parents: &HashSet<Txid>) -> HashSet<Txid> {
        let mut seen: HashSet<Txid> = HashSet::new();
        let mut stack: Vec<Txid> = parents.iter().copied().collect();
        while let Some(t) = stack.pop() {
            if seen.insert(t) {
                if let Some(e) = self.entries.get(&t) {
                    stack.extend(e.parents.iter().copied());
                }
            }
        }
        seen
    }

    /// The in-pool ancestors of pool entry `txid` (excluding it).
    pub fn ancestors(&self, txid: &Txid) -> HashSet<Txid> {
        self.entries
            .get(txid)
            .map(|e| self.ancestors_from(&e.parents))
            .unwrap_or_default()
    }

    /// The in-pool descendants of pool entry `txid` (excluding it).
    pub fn descendants(&self, txid: &Txid) -> HashSet<Txid> {
        let mut seen: HashSet<Txid> = HashSet::new();
        let mut stack: Vec<Txid> = self
            .entries
            .get(txid)
            .map(|e| e.children.iter().copied().collect())
            .unwrap_or_default();
        while let Some(t) = stack.pop() {
            if seen.insert(t) {
                if let Some(e) = self.entries.get(&t) {
                    stack.extend(e.children.iter().copied());
                }
            }
        }
        seen
    }

    /// `txids` and all their descendants.
    pub fn with_descendants(&self, txids: impl IntoIterator<Item = Txid>) -> HashSet<Txid> {
        let mut all = HashSet::new();
        for t in txids {
            if self.entries.contains_key(&t) && all.insert(t) {
                all.extend(self.descendants(&t));
            }
        }
        all
    }

    /// Adds `entry` (its `parents` set by the caller from [`Graph::parents_of`]) and updates
    /// the aggregates of it, its ancestors and the parents' child links.
    pub fn insert(&mut self, mut entry: Entry) {
        let ancestors = self.ancestors_from(&entry.parents);
        let own = entry.own();
        let mut anc = own;
        for a in &ancestors {
            if let Some(e) = self.entries.get(a) {
                anc.add(&e.own());
            }
            self.update(a, |e| e.descendants.add(&own));
        }
        for p in &entry.parents {
            if let Some(e) = self.entries.get_mut(p) {
                e.children.insert(entry.txid);
            }
        }
        entry.ancestors = anc;
        entry.descendants = own;
        for input in &entry.tx.input {
            self.spenders.insert(input.previous_output, entry.txid);
        }
        self.by_wtxid.insert(entry.wtxid, entry.txid);
        self.by_time.insert((entry.time, entry.txid));
        self.by_score.insert(entry.eviction_key());
        self.total_vsize += entry.vsize;
        self.total_fee += entry.fee.to_sat();
        self.usage += entry.usage;
        self.entries.insert(entry.txid, entry);
    }

    /// Removes every entry of `set` (the caller includes whatever must go with them),
    /// keeping the aggregates of the entries left right. Returns the removed entries.
    pub fn remove_set(&mut self, set: &HashSet<Txid>) -> Vec<Entry> {
        // First fix the aggregates of the survivors, while the links are intact.
        for t in set {
            let Some(own) = self.entries.get(t).map(Entry::own) else {
                continue;
            };
            for a in self.ancestors(t) {
                if !set.contains(&a) {
                    self.update(&a, |e| e.descendants.sub(&own));
                }
            }
            for d in self.descendants(t) {
                if !set.contains(&d) {
                    if let Some(e) = self.entries.get_mut(&d) {
                        e.ancestors.sub(&own);
                    }
                }
            }
        }
        let mut removed = Vec::with_capacity(set.len());
        for t in set {
            let Some(entry) = self.entries.remove(t) else {
                continue;
            };
            for p in &entry.parents {
                if let Some(e) = self.entries.get_mut(p) {
                    e.children.remove(t);
                }
            }
            for c in &entry.children {
                if let Some(e) = self.entries.get_mut(c) {
                    e.parents.remove(t);
                }
            }
            for input in &entry.tx.input {
                if self.spenders.get(&input.previous_output) == Some(t) {
                    self.spenders.remove(&input.previous_output);
                }
            }
            self.by_wtxid.remove(&entry.wtxid);
            self.by_time.remove(&(entry.time, entry.txid));
            self.by_score.remove(&entry.eviction_key());
            self.total_vsize -= entry.vsize;
            self.total_fee -= entry.fee.to_sat();
            self.usage -= entry.usage;
            removed.push(entry);
        }
        removed
    }

    /// Changes the fee delta of pool entry `txid` by `delta`, updating the aggregates.
    pub fn add_delta(&mut self, txid: &Txid, delta: i64) {
        if !self.entries.contains_key(txid) {
            return;
        }
        let change = Aggregate {
            fee: delta,
            ..Aggregate::default()
        };
        for a in self.ancestors(txid) {
            self.update(&a, |e| e.descendants.add(&change));
        }
        for d in self.descendants(txid) {
            if let Some(e) = self.entries.get_mut(&d) {
                e.ancestors.add(&change);
            }
        }
        self.update(txid, |e| {
            e.delta += delta;
            e.ancestors.add(&change);
            e.descendants.add(&change);
        });
    }

    /// Rebuilds the parent/child links and every aggregate from the transactions (after
    /// transactions were re-added under pool transactions that spend them, in a reorg).
    pub fn relink(&mut self) {
        let txids: Vec<Txid> = self.entries.keys().copied().collect();
        for t in &txids {
            let parents = match self.entries.get(t) {
                Some(e) => self.parents_of(&e.tx),
                None => continue,
            };
            if let Some(e) = self.entries.get_mut(t) {
                e.parents = parents;
                e.children.clear();
            }
        }
        for t in &txids {
            let parents: Vec<Txid> = self.entries[t].parents.iter().copied().collect();
            for p in parents {
                if let Some(e) = self.entries.get_mut(&p) {
                    e.children.insert(*t);
                }
            }
        }
        for t in &txids {
            let mut anc = self.entries[t].own();
            for a in self.ancestors(t) {
                anc.add(&self.entries[&a].own());
            }
            let mut desc = self.entries[t].own();
            for d in self.descendants(t) {
                desc.add(&self.entries[&d].own());
            }
            if let Some(e) = self.entries.get_mut(t) {
                e.ancestors = anc;
                e.descendants = desc;
            }
        }
        self.by_score = self.entries.values().map(Entry::eviction_key).collect();
    }
}
