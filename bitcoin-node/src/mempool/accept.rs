//! Accepting one transaction (Core's `MemPoolAccept::AcceptSingleTransaction`): context-free
//! checks and standardness, finality, duplicates and conflicts, inputs from the chain's coins
//! view or the pool, BIP68, fees and coinbase maturity, input and witness standardness,
//! sigops, fee floors, ancestor/descendant limits, replacement, then scripts in the kernel;
//! finally the entry is added, what it replaces evicted, and the pool trimmed to size.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::{Amount, Transaction, TxOut, Txid, Wtxid};

use super::graph::Entry;
use super::locks::is_final;
use super::policy::{self, fee_for, virtual_size};
use super::spent::Spent;
use super::{now, Mempool, RejectKind, Rejected, RemovalReason, State};
use crate::chain::script::ScriptFailure;
use crate::chain::Tip;

// At home in `money` and `spent` (shared with `rbf`, `limits` and `locks`); re-exported so
// `mempool::accept::rate` and the others keep working.
pub use super::money::{format_money, format_rate, rate};
pub use super::spent::COINBASE_MATURITY;

/// Core's `EXTRA_DESCENDANT_TX_SIZE_LIMIT` (the CPFP carve-out's size).
const EXTRA_DESCENDANT_TX_SIZE_LIMIT: u64 = 10_000;
/// Core's `MAX_FEE_ESTIMATION_TIP_AGE` (seconds).
const MAX_FEE_ESTIMATION_TIP_AGE: i64 = 3 * 60 * 60;

/// How to accept.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptOptions {
    /// Skip the fee floors and the size limit (re-adding after a reorg, loading
    /// `mempool.dat`).
    pub bypass_limits: bool,
    /// Check only (`testmempoolaccept`): nothing changes.
    pub test_only: bool,
    /// Refuse with `max-fee-exceeded` when the (base) fee is above this (the caller's
    /// `maxfeerate` applied to the virtual size it chooses).
    pub max_fee: Option<Amount>,
    /// The entry time to record (loading `mempool.dat`); now when `None`.
    pub entry_time: Option<i64>,
}

/// What an accepted transaction looks like.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its txid.
    pub txid: Txid,
    /// Its wtxid.
    pub wtxid: Wtxid,
    /// Its fee.
    pub fee: Amount,
    /// Its virtual size (sigop-adjusted).
    pub vsize: u64,
    /// Its modified fee rate in sat/kvB.
    pub effective_fee_rate: u64,
    /// The transactions it replaced.
    pub replaced: Vec<Arc<Transaction>>,
}

impl Mempool {
    /// Validates `tx` against the chain and the pool and, unless `options.test_only`, adds it.
    pub fn accept(
        &self,
        tx: Arc<Transaction>,
        options: AcceptOptions,
    ) -> Result<Accepted, Rejected> {
        let tip = self.prechecks(&tx)?;
        let mut state = self.lock();
        let accepted = self.accept_locked(&mut state, &tx, &tip, options, false)?;
        drop(state);
        Ok(accepted)
    }

    /// The checks that need neither the pool nor the coins: `CheckTransaction`, coinbase,
    /// `IsStandardTx`, size and finality at the tip (returned).
    pub(crate) fn prechecks(&self, tx: &Transaction) -> Result<Tip, Rejected> {
        policy::check_transaction(tx)?;
        if tx.is_coinbase() {
            return Err(Rejected::consensus("coinbase"));
        }
        policy::is_standard_tx(tx, &self.options.standard())?;
        if policy::stripped_size(tx) < policy::MIN_STANDARD_TX_NONWITNESS_SIZE {
            return Err(Rejected::new("tx-size-small"));
        }
        let tip = self
            .chain
            .tip()
            .ok_or_else(|| Rejected::new("shutting down"))?;
        if !is_final(
            tx,
            i64::from(tip.height) + 1,
            i64::from(tip.median_time_past),
        ) {
            return Err(Rejected::new("non-final"));
        }
        Ok(tip)
    }

    /// The checks that need the pool and the coins, then (unless testing) the insertion. A
    /// `trial` (a transaction of a package being tested) may not replace anything and is
    /// inserted without side effects even when `options.test_only`, for the next ones to spend;
    /// the caller removes it again.
    pub(crate) fn accept_locked(
        &self,
        state: &mut State,
        tx: &Arc<Transaction>,
        tip: &Tip,
        options: AcceptOptions,
        trial: bool,
    ) -> Result<Accepted, Rejected> {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        if state.graph.by_wtxid.contains_key(&wtxid) {
            return Err(Rejected::new("txn-already-in-mempool").kind(RejectKind::Conflict));
        }
        if state.graph.entries.contains_key(&txid) {
            return Err(
                Rejected::new("txn-same-nonwitness-data-in-mempool").kind(RejectKind::Conflict)
            );
        }
        let conflicts: HashSet<Txid> = tx
            .input
            .iter()
            .filter_map(|i| state.graph.spenders.get(&i.previous_output).copied())
            .collect();
        if trial && !conflicts.is_empty() {
            return Err(Rejected::new("bip125-replacement-disallowed"));
        }
        let (spent, outputs, fee, sigops) = self.check_inputs(state, tx, txid, tip)?;
        let weight = tx.weight().to_wu();
        let vsize = virtual_size(weight, sigops);
        let delta = state.deltas.get(&txid).copied().unwrap_or(0);
        let modified = fee + delta;
        policy::check_ephemeral(tx, fee, modified, self.options.dust_relay_fee)?;
        if !options.bypass_limits {
            self.check_fee_rate(state, modified, vsize)?;
        }
        let parents = state.graph.parents_of(tx);
        let ancestors = state.graph.ancestors_from(&parents);
        self.check_limits_with_carve_out(state, (&parents, &ancestors), &conflicts, vsize, tx)?;
        let mut conflicts = conflicts;
        let mut sibling_eviction = false;
        let truc = super::truc::check(
            &state.graph,
            tx,
            (txid, wtxid),
            &ancestors,
            &conflicts,
            vsize,
        );
        match truc {
            Ok(()) => {}
            Err((_, Some(sibling))) if !trial => {
                conflicts.insert(sibling);
                sibling_eviction = true;
            }
            Err((rejected, _)) => return Err(rejected),
        }
        let mut all_conflicts = HashSet::new();
        if !conflicts.is_empty() {
            all_conflicts = super::rbf::check(
                state,
                (tx, txid),
                (&conflicts, sibling_eviction),
                &ancestors,
                modified,
                vsize,
                &self.options,
            )?;
        }
        verify_scripts(tx, txid, wtxid, &outputs)?;
        // The caller's cap applies to a transaction that is otherwise valid (Core's
        // BroadcastTransaction tests acceptance first).
        if let Some(max) = options.max_fee {
            if max > Amount::ZERO && fee > 0 && fee as u64 > max.to_sat() {
                return Err(Rejected::new("max-fee-exceeded").kind(RejectKind::MaxFeeExceeded));
            }
        }
        let accepted = Accepted {
            txid,
            wtxid,
            fee: Amount::from_sat(u64::try_from(fee).unwrap_or(0)),
            vsize,
            effective_fee_rate: rate(modified, vsize),
            replaced: Vec::new(),
        };
        if trial {
            state.graph.insert(make_entry(
                tx,
                &accepted,
                (parents.clone(), spent.iter().any(|s| s.coinbase)),
                (sigops, weight, delta),
                tip,
                (now(), 0),
            ));
        }
        if options.test_only {
            return Ok(accepted);
        }
        self.finish(
            state,
            tx,
            accepted,
            parents,
            all_conflicts,
            &spent,
            sigops,
            weight,
            delta,
            tip,
            options,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        state: &mut State,
        tx: &Arc<Transaction>,
        mut accepted: Accepted,
        parents: HashSet<Txid>,
        all_conflicts: HashSet<Txid>,
        spent: &[Spent],
        sigops: u64,
        weight: u64,
        delta: i64,
        tip: &Tip,
        options: AcceptOptions,
    ) -> Result<Accepted, Rejected> {
        let replaced = self.remove_exact(state, &all_conflicts, RemovalReason::Replaced);
        accepted.replaced = replaced.iter().map(|e| e.tx.clone()).collect();
        for r in &replaced {
            tracing::debug!(target: "mempool", old = %r.txid, new = %accepted.txid, "replaced");
        }
        state.sequence += 1;
        state.graph.insert(make_entry(
            tx,
            &accepted,
            (parents.clone(), spent.iter().any(|s| s.coinbase)),
            (sigops, weight, delta),
            tip,
            (options.entry_time.unwrap_or_else(now), state.sequence),
        ));
        self.bump_updated();
        if !options.bypass_limits {
            // Core's LimitMempoolSize: expire, then trim.
            self.expire(state);
            self.trim_to_size(state);
            if !state.graph.entries.contains_key(&accepted.txid) {
                return Err(Rejected::new("mempool full"));
            }
            // Core's validFeeEstimate: in step with the chain, current (not in initial block
            // download, tip at most 3 hours old) and no pool parents.
            let in_step = self.tip() == Some(tip.hash);
            let current = !self.chain.initial_block_download()
                && now() - i64::from(tip.time) <= MAX_FEE_ESTIMATION_TIP_AGE;
            if in_step && current && parents.is_empty() {
                if let Some(fees) = self.fee_listener() {
                    let fee_rate = rate(accepted.fee.to_sat() as i64, accepted.vsize);
                    fees.added(
                        accepted.txid,
                        fee_rate,
                        u32::try_from(tip.height).unwrap_or(0),
                    );
                }
            }
            if let Some(entry) = state.graph.entries.get(&accepted.txid) {
                self.chain
                    .notify(crate::chain::ChainEvent::TransactionAdded {
                        tx: entry.tx.clone(),
                    });
            }
        }
        tracing::debug!(target: "mempool", txid = %accepted.txid, vsize = accepted.vsize, fee = accepted.fee.to_sat(), "accepted");
        Ok(accepted)
    }

    /// The checks of what `tx` spends: BIP68, `CheckTxInputs` (returning the fee), input and
    /// witness standardness, and the sigop cost (returned).
    fn check_inputs(
        &self,
        state: &State,
        tx: &Transaction,
        txid: Txid,
        tip: &Tip,
    ) -> Result<(Vec<Spent>, Vec<TxOut>, i64, u64), Rejected> {
        let spent = self.spent_coins(state, tx, txid)?;
        if !self.sequence_locks_ok(tx, &spent, tip) {
            return Err(Rejected::new("non-BIP68-final"));
        }
        let fee = check_tx_inputs(tx, &spent, tip)?;
        let outputs: Vec<TxOut> = spent.iter().map(|s| s.output.clone()).collect();
        policy::are_inputs_standard(tx, &outputs)?;
        if tx.input.iter().any(|i| !i.witness.is_empty())
            && !policy::is_witness_standard(tx, &outputs)
        {
            return Err(Rejected::new("bad-witness-nonstandard"));
        }
        let sigops = policy::sigop_cost(tx, &outputs);
        if sigops > policy::MAX_STANDARD_TX_SIGOPS_COST {
            return Err(Rejected::with_detail(
                "bad-txns-too-many-sigops",
                sigops.to_string(),
            ));
        }
        Ok((spent, outputs, fee, sigops))
    }

    /// Core's `CheckFeeRate`: the rolling minimum fee, then `-minrelaytxfee`.
    pub(super) fn check_fee_rate(
        &self,
        state: &mut State,
        modified: i64,
        vsize: u64,
    ) -> Result<(), Rejected> {
        let min = fee_for(self.min_fee_rate(state), vsize);
        if min > 0 && modified < min as i64 {
            return Err(Rejected::with_detail(
                "mempool min fee not met",
                format!("{modified} < {min}"),
            )
            .kind(RejectKind::FeeTooLow));
        }
        let relay = fee_for(self.options.min_relay_fee, vsize);
        if modified < relay as i64 {
            return Err(Rejected::with_detail(
                "min relay fee not met",
                format!("{modified} < {relay}"),
            )
            .kind(RejectKind::FeeTooLow));
        }
        Ok(())
    }

    /// Core's `CalculateMemPoolAncestors` limits.
    /// The limits with Core's relaxations: a replacement of exactly one transaction may use
    /// its room in the descendant limits, and a transaction of at most 10,000 vB with a single
    /// in-pool ancestor may exceed the descendant limits by one (the CPFP carve-out; not for
    /// version 3). The first failure's text is reported.
    fn check_limits_with_carve_out(
        &self,
        state: &State,
        (parents, ancestors): (&HashSet<Txid>, &HashSet<Txid>),
        conflicts: &HashSet<Txid>,
        vsize: u64,
        tx: &Transaction,
    ) -> Result<(), Rejected> {
        let mut limits = self.options.limits;
        if let (1, Some(conflict)) = (
            conflicts.len(),
            conflicts
                .iter()
                .next()
                .and_then(|c| state.graph.entries.get(c)),
        ) {
            limits.descendant_count += 1;
            limits.descendant_size_vbytes += conflict.descendants.vsize;
        }
        let Err(first) = self.check_limits(state, parents, ancestors, vsize, limits) else {
            return Ok(());
        };
        if vsize > EXTRA_DESCENDANT_TX_SIZE_LIMIT || tx.version.0 == 3 {
            return Err(first);
        }
        let carve_out = super::options::Limits {
            ancestor_count: 2,
            descendant_count: limits.descendant_count + 1,
            descendant_size_vbytes: limits.descendant_size_vbytes + EXTRA_DESCENDANT_TX_SIZE_LIMIT,
            ..limits
        };
        self.check_limits(state, parents, ancestors, vsize, carve_out)
            .map_err(|_| first)
    }

    fn check_limits(
        &self,
        state: &State,
        parents: &HashSet<Txid>,
        ancestors: &HashSet<Txid>,
        vsize: u64,
        limits: super::options::Limits,
    ) -> Result<(), Rejected> {
        let chain = |detail: String| Rejected::with_detail("too-long-mempool-chain", detail);
        if parents.len() as u64 + 1 > limits.ancestor_count {
            return Err(chain(format!(
                "too many unconfirmed parents [limit: {}]",
                limits.ancestor_count
            )));
        }
        if ancestors.len() as u64 + 1 > limits.ancestor_count {
            return Err(chain(format!(
                "too many unconfirmed ancestors [limit: {}]",
                limits.ancestor_count
            )));
        }
        let mut total = vsize;
        for a in ancestors {
            let Some(e) = state.graph.entries.get(a) else {
                continue;
            };
            total += e.vsize;
            if e.descendants.vsize + vsize > limits.descendant_size_vbytes {
                return Err(chain(format!(
                    "exceeds descendant size limit for tx {} [limit: {}]",
                    e.txid, limits.descendant_size_vbytes
                )));
            }
            if e.descendants.count + 1 > limits.descendant_count {
                return Err(chain(format!(
                    "too many descendants for tx {} [limit: {}]",
                    e.txid, limits.descendant_count
                )));
            }
        }
        if total > limits.ancestor_size_vbytes {
            return Err(chain(format!(
                "exceeds ancestor size limit [limit: {}]",
                limits.ancestor_size_vbytes
            )));
        }
        Ok(())
    }
}

/// A pool entry for an accepted `tx`: its in-pool parents and whether it spends a coinbase,
/// its sigops, weight and fee delta, the tip, its entry time and sequence.
fn make_entry(
    tx: &Arc<Transaction>,
    accepted: &Accepted,
    (parents, spends_coinbase): (HashSet<Txid>, bool),
    (sigops, weight, delta): (u64, u64, i64),
    tip: &Tip,
    (time, sequence): (i64, u64),
) -> Entry {
    Entry {
        tx: tx.clone(),
        txid: accepted.txid,
        wtxid: accepted.wtxid,
        fee: accepted.fee,
        delta,
        vsize: accepted.vsize,
        weight,
        sigops,
        time,
        height: u32::try_from(tip.height).unwrap_or(0),
        spends_coinbase,
        sequence,
        usage: estimate_usage(tx),
        parents,
        children: HashSet::new(),
        ancestors: super::Aggregate::default(),
        descendants: super::Aggregate::default(),
    }
}

/// Core's `Consensus::CheckTxInputs`: maturity, amounts; returns the fee.
fn check_tx_inputs(tx: &Transaction, spent: &[Spent], tip: &Tip) -> Result<i64, Rejected> {
    let spend_height = u32::try_from(tip.height + 1).unwrap_or(0);
    let mut value_in: u64 = 0;
    for coin in spent {
        if let (true, Some(height)) = (coin.coinbase, coin.height) {
            if spend_height - height < COINBASE_MATURITY {
                return Err(Rejected {
                    kind: RejectKind::Consensus,
                    reason: "bad-txns-premature-spend-of-coinbase".into(),
                    detail: Some(format!(
                        "tried to spend coinbase at depth {}",
                        spend_height - height
                    )),
                });
            }
        }
        value_in += coin.output.value.to_sat();
        if coin.output.value.to_sat() > 21_000_000 * 100_000_000
            || value_in > 21_000_000 * 100_000_000
        {
            return Err(Rejected::consensus("bad-txns-inputvalues-outofrange"));
        }
    }
    let value_out: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    if value_in < value_out {
        return Err(Rejected {
            kind: RejectKind::Consensus,
            reason: "bad-txns-in-belowout".into(),
            detail: Some(format!(
                "value in ({}) < value out ({})",
                format_money(value_in as i64),
                format_money(value_out as i64)
            )),
        });
    }
    Ok((value_in - value_out) as i64)
}

/// Runs every input's script in the kernel with the consensus flags.
fn verify_scripts(
    tx: &Transaction,
    txid: Txid,
    wtxid: Wtxid,
    spent: &[TxOut],
) -> Result<(), Rejected> {
    match crate::chain::script::verify(tx, spent) {
        Ok(()) => Ok(()),
        Err(ScriptFailure::Input { index, .. }) => {
            let prevout = tx.input[index].previous_output;
            Err(Rejected {
                kind: RejectKind::Consensus,
                reason: "mempool-script-verify-flag-failed (script verification failed)".into(),
                detail: Some(format!(
                    "input {index} of {txid} (wtxid {wtxid}), spending {}:{}",
                    prevout.txid, prevout.vout
                )),
            })
        }
        Err(other) => Err(Rejected::with_detail(
            "script-verify-error",
            other.to_string(),
        )),
    }
}

/// An estimate of an entry's memory use: the transaction's bytes twice (serialized and
/// deserialized forms), per-input and per-output overhead, and the entry and its index
/// nodes. Core's `DynamicMemoryUsage` is itself an estimate; this one is of the same order.
pub fn estimate_usage(tx: &Transaction) -> u64 {
    let size = tx.total_size() as u64;
    2 * size + 96 * (tx.input.len() + tx.output.len()) as u64 + 400
}
