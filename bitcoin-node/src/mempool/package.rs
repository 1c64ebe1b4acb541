//! Testing several transactions together (Core's `ProcessNewPackage` with `test_accept`, what
//! `testmempoolaccept` does for more than one): the package must be well formed (at most 25
//! transactions and 404,000 weight units, no duplicates, parents before children, no two
//! spending the same output); then each transaction is checked in order as if the ones
//! before it were in the pool (they are inserted for the test and removed again), without
//! replacing anything and with the usual fee floors (no package fee rate). The first failure
//! ends the test: its result is the failure, the others are left unfinished, as in Core.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::{Transaction, Txid};

use super::{AcceptOptions, Accepted, Mempool, Rejected};

/// Core's `MAX_PACKAGE_COUNT`.
pub const MAX_PACKAGE_COUNT: usize = 25;
/// Core's `MAX_PACKAGE_WEIGHT`.
pub const MAX_PACKAGE_WEIGHT: u64 = 404_000;

/// The outcome of [`Mempool::test_package`].
#[derive(Debug)]
pub enum PackageTest {
    /// The package is not well formed (Core's `PCKG_POLICY` reason, e.g. `package-not-sorted`).
    Malformed(String),
    /// Per transaction, in order: its result, or `None` where testing stopped before it.
    Results(Vec<Option<Result<Accepted, Rejected>>>),
}

/// Core's `IsWellFormedPackage`: the reason it is not, if it is not.
pub fn malformed(txs: &[Arc<Transaction>]) -> Option<&'static str> {
    if txs.len() > MAX_PACKAGE_COUNT {
        return Some("package-too-many-transactions");
    }
    let weight: u64 = txs.iter().map(|t| t.weight().to_wu()).sum();
    if txs.len() > 1 && weight > MAX_PACKAGE_WEIGHT {
        return Some("package-too-large");
    }
    let txids: Vec<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
    let unique: HashSet<Txid> = txids.iter().copied().collect();
    if unique.len() != txids.len() {
        return Some("package-contains-duplicates");
    }
    // Sorted: no transaction spends one that comes later.
    let mut later: HashSet<Txid> = unique;
    for (tx, txid) in txs.iter().zip(&txids) {
        if tx
            .input
            .iter()
            .any(|i| later.contains(&i.previous_output.txid))
        {
            return Some("package-not-sorted");
        }
        later.remove(txid);
    }
    let mut spent = HashSet::new();
    for tx in txs {
        for input in &tx.input {
            if !spent.insert(input.previous_output) {
                return Some("conflict-in-package");
            }
        }
    }
    None
}

impl Mempool {
    /// Tests `txs` as a package; nothing changes in the pool.
    pub fn test_package(&self, txs: &[Arc<Transaction>]) -> PackageTest {
        if let Some(reason) = malformed(txs) {
            return PackageTest::Malformed(reason.into());
        }
        let mut results: Vec<Option<Result<Accepted, Rejected>>> = vec![None; txs.len()];
        let mut state = self.lock();
        let mut inserted = HashSet::new();
        let options = AcceptOptions {
            test_only: true,
            ..AcceptOptions::default()
        };
        for (i, tx) in txs.iter().enumerate() {
            let result = self
                .prechecks(tx)
                .and_then(|tip| self.accept_locked(&mut state, tx, &tip, options, true));
            match result {
                Ok(accepted) => {
                    inserted.insert(accepted.txid);
                    results[i] = Some(Ok(accepted));
                }
                Err(rejected) => {
                    results.iter_mut().for_each(|r| *r = None);
                    results[i] = Some(Err(rejected));
                    break;
                }
            }
        }
        state.graph.remove_set(&inserted);
        PackageTest::Results(results)
    }
}

impl Mempool {
    /// Core's opportunistic one-parent-one-child package acceptance (what the orphanage
    /// tries when a parent alone misses the fee floors): `child` spends `parent`, and the
    /// two are accepted together when each is valid without the fee floors and their
    /// combined (modified) fee rate meets them. Neither may replace anything. Nothing changes
    /// on failure; the error is the first transaction's failure, or the package's fee-rate
    /// failure with the package's fee and size.
    pub fn accept_one_parent_one_child(
        &self,
        parent: Arc<Transaction>,
        child: Arc<Transaction>,
    ) -> Result<(Accepted, Accepted), Rejected> {
        let pair = [parent, child];
        if let Some(reason) = malformed(&pair) {
            return Err(Rejected::new(reason));
        }
        let parent_txid = pair[0].compute_txid();
        if !pair[1]
            .input
            .iter()
            .any(|i| i.previous_output.txid == parent_txid)
        {
            return Err(Rejected::new("package-not-child-with-parents"));
        }
        let tip = self.prechecks(&pair[0])?;
        self.prechecks(&pair[1])?;
        let mut state = self.lock();
        // Both checked as trials (inserted for the child to spend, taken out again), without
        // the fee floors, then the package rate against them.
        let trial = AcceptOptions {
            test_only: true,
            bypass_limits: true,
            ..AcceptOptions::default()
        };
        let mut tried = HashSet::new();
        let mut results = Vec::new();
        for tx in &pair {
            match self.accept_locked(&mut state, tx, &tip, trial, true) {
                Ok(accepted) => {
                    tried.insert(accepted.txid);
                    results.push(accepted);
                }
                Err(rejected) => {
                    state.graph.remove_set(&tried);
                    return Err(rejected);
                }
            }
        }
        state.graph.remove_set(&tried);
        let modified: i64 = results
            .iter()
            .map(|a| a.fee.to_sat() as i64 + state.deltas.get(&a.txid).copied().unwrap_or(0))
            .sum();
        let vsize: u64 = results.iter().map(|a| a.vsize).sum();
        self.check_fee_rate(&mut state, modified, vsize)?;
        // Accepted for real: inserted without the per-transaction floors, then the pool's
        // size limit and the notifications (no fee estimation: Core leaves package
        // transactions out of it).
        let insert = AcceptOptions {
            bypass_limits: true,
            ..AcceptOptions::default()
        };
        let parent = self.accept_locked(&mut state, &pair[0], &tip, insert, false)?;
        let child = match self.accept_locked(&mut state, &pair[1], &tip, insert, false) {
            Ok(child) => child,
            Err(rejected) => {
                state.graph.remove_set(&HashSet::from([parent.txid]));
                return Err(rejected);
            }
        };
        self.expire(&mut state);
        self.trim_to_size(&mut state);
        for accepted in [&parent, &child] {
            let Some(entry) = state.graph.entries.get(&accepted.txid) else {
                return Err(Rejected::new("mempool full"));
            };
            self.chain
                .notify(crate::chain::ChainEvent::TransactionAdded {
                    tx: entry.tx.clone(),
                });
        }
        tracing::debug!(target: "mempool", parent = %parent.txid, child = %child.txid, fee = modified, vsize, "accepted a one-parent-one-child package");
        Ok((parent, child))
    }
}
