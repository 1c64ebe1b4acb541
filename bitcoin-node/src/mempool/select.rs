//! Block selection (Core's `BlockAssembler::addPackageTxs`): transactions by the fee rate of
//! the package they form with their not-yet-selected ancestors, parents before children.
//!
//! Every entry carries its ancestor aggregates (fee, vsize, weight, sigops), so a candidate's
//! package is read, not computed; only after a package is selected are its in-pool
//! descendants re-scored (their aggregates minus what was selected), kept in a heap beside
//! the pre-sorted list of untouched entries.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{Amount, Transaction, Txid, Wtxid};

use super::graph::{cmp_rate, Aggregate, Graph};
use super::policy::fee_for;
use super::Mempool;

/// Core's `MAX_CONSECUTIVE_FAILURES`.
const MAX_CONSECUTIVE_FAILURES: u32 = 1000;
/// Core's "block is nearly full" margin (weight units).
const NEARLY_FULL: u64 = 4000;

/// One mempool transaction picked for a block.
#[derive(Debug, Clone)]
pub struct BlockTx {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its txid.
    pub txid: Txid,
    /// Its wtxid.
    pub wtxid: Wtxid,
    /// Its actual fee (not modified by `prioritisetransaction`).
    pub fee: Amount,
    /// Its weight.
    pub weight: u64,
    /// Its sigop cost.
    pub sigops_cost: u64,
}

/// A candidate package's score in the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    fee: i64,
    vsize: u64,
    txid: Txid,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Candidate) -> Ordering {
        cmp_rate(self.fee, self.vsize, other.fee, other.vsize)
            .then_with(|| other.txid.cmp(&self.txid))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Candidate) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The selection in progress.
struct Selection<'a> {
    graph: &'a Graph,
    in_block: HashSet<Txid>,
    failed: HashSet<Txid>,
    modified: HashMap<Txid, Aggregate>,
    heap: BinaryHeap<Candidate>,
    weight: u64,
    sigops: u64,
    picked: Vec<BlockTx>,
}

impl Selection<'_> {
    /// The best modified candidate still current.
    fn best_modified(&mut self) -> Option<(Txid, Aggregate)> {
        while let Some(top) = self.heap.peek().copied() {
            let current = self.modified.get(&top.txid).copied();
            match current {
                Some(a)
                    if a.fee == top.fee
                        && a.vsize == top.vsize
                        && !self.in_block.contains(&top.txid) =>
                {
                    return Some((top.txid, a));
                }
                _ => {
                    self.heap.pop();
                }
            }
        }
        None
    }

    /// Adds `txid` with its ancestors not yet selected, parents first, and re-scores their
    /// descendants.
    fn add_package(&mut self, txid: Txid) {
        let mut package: Vec<Txid> = self
            .graph
            .ancestors(&txid)
            .into_iter()
            .filter(|a| !self.in_block.contains(a))
            .collect();
        package.push(txid);
        package.sort_by_key(|t| self.graph.entries.get(t).map_or(0, |e| e.ancestors.count));
        for t in &package {
            let Some(e) = self.graph.entries.get(t) else {
                continue;
            };
            self.in_block.insert(*t);
            self.modified.remove(t);
            self.weight += e.weight;
            self.sigops += e.sigops;
            self.picked.push(BlockTx {
                tx: e.tx.clone(),
                txid: e.txid,
                wtxid: e.wtxid,
                fee: e.fee,
                weight: e.weight,
                sigops_cost: e.sigops,
            });
        }
        for t in &package {
            let Some(e) = self.graph.entries.get(t) else {
                continue;
            };
            let own = e.own();
            if e.children.is_empty() {
                continue;
            }
            for d in self.graph.descendants(t) {
                if self.in_block.contains(&d) {
                    continue;
                }
                let Some(de) = self.graph.entries.get(&d) else {
                    continue;
                };
                let agg = self.modified.entry(d).or_insert(de.ancestors);
                agg.count -= 1;
                agg.vsize -= own.vsize;
                agg.weight -= own.weight;
                agg.fee -= own.fee;
                agg.sigops -= own.sigops;
                self.heap.push(Candidate {
                    fee: agg.fee,
                    vsize: agg.vsize,
                    txid: d,
                });
            }
        }
    }
}

impl Mempool {
    /// Core's `BlockAssembler::addPackageTxs`: by ancestor modified fee rate, parents before
    /// children, while weight stays <= `max_weight` and sigops cost <= `max_sigops_cost`
    /// (both are what is left for transactions after the caller's reservations), skipping
    /// packages below `min_fee_rate` (sat/kvB; Core's `-blockmintxfee`).
    pub fn select_for_block(
        &self,
        max_weight: u64,
        max_sigops_cost: u64,
        min_fee_rate: u64,
    ) -> Vec<BlockTx> {
        let state = self.lock();
        select(&state.graph, max_weight, max_sigops_cost, min_fee_rate)
    }
}

/// [`Mempool::select_for_block`] on a graph.
pub(crate) fn select(
    graph: &Graph,
    max_weight: u64,
    max_sigops: u64,
    min_fee_rate: u64,
) -> Vec<BlockTx> {
    let mut sorted: Vec<Candidate> = graph
        .entries
        .values()
        .map(|e| Candidate {
            fee: e.ancestors.fee,
            vsize: e.ancestors.vsize,
            txid: e.txid,
        })
        .collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut s = Selection {
        graph,
        in_block: HashSet::with_capacity(sorted.len()),
        failed: HashSet::new(),
        modified: HashMap::new(),
        heap: BinaryHeap::new(),
        weight: 0,
        sigops: 0,
        picked: Vec::new(),
    };
    let mut next = 0;
    let mut consecutive_failures = 0;
    loop {
        while next < sorted.len() {
            let t = sorted[next].txid;
            if s.in_block.contains(&t) || s.failed.contains(&t) || s.modified.contains_key(&t) {
                next += 1;
            } else {
                break;
            }
        }
        let plain = sorted.get(next).copied();
        let modified = s.best_modified();
        let (txid, package, from_modified) = match (plain, modified) {
            (None, None) => break,
            (Some(p), Some((m, agg))) => {
                let mc = Candidate {
                    fee: agg.fee,
                    vsize: agg.vsize,
                    txid: m,
                };
                if mc > p {
                    (m, agg, true)
                } else {
                    (p.txid, graph.entries[&p.txid].ancestors, false)
                }
            }
            (Some(p), None) => (p.txid, graph.entries[&p.txid].ancestors, false),
            (None, Some((m, agg))) => (m, agg, true),
        };
        if !from_modified {
            next += 1;
        }
        if package.fee < fee_for(min_fee_rate, package.vsize) as i64 {
            break;
        }
        if s.weight + package.weight > max_weight || s.sigops + package.sigops > max_sigops {
            if from_modified {
                s.modified.remove(&txid);
            }
            s.failed.insert(txid);
            consecutive_failures += 1;
            if consecutive_failures > MAX_CONSECUTIVE_FAILURES
                && s.weight + NEARLY_FULL > max_weight
            {
                break;
            }
            continue;
        }
        consecutive_failures = 0;
        s.add_package(txid);
    }
    s.picked
}
