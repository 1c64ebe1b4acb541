//! Replace-by-fee (Core's `policy/rbf.cpp` and `ReplacementChecks`), full RBF: any pool
//! transaction can be replaced, signalling or not, by one that spends none of the
//! transactions it replaces, replaces at most 100, adds no new unconfirmed inputs, has a
//! higher fee rate than each transaction it directly conflicts with, and pays at least their
//! fees (and those of their descendants) plus its own bandwidth at `-incrementalrelayfee`.

use std::collections::HashSet;

use bitcoin::{Transaction, Txid};

use super::money::{format_money, format_rate, rate};
use super::options::MempoolOptions;
use super::policy::fee_for;
use super::{Rejected, State};

/// Core's `MAX_REPLACEMENT_CANDIDATES`.
pub const MAX_REPLACEMENT_CANDIDATES: u64 = 100;

/// Checks a replacement of `conflicts` (the pool transactions spending the same outpoints,
/// and a TRUC sibling when `sibling_eviction`) by `tx`; returns every transaction it would
/// evict (the conflicts and their descendants). With a sibling, Core's reasons get
/// " (including sibling eviction)".
pub(crate) fn check(
    state: &State,
    (tx, txid): (&Transaction, Txid),
    (conflicts, sibling_eviction): (&HashSet<Txid>, bool),
    ancestors: &HashSet<Txid>,
    modified_fee: i64,
    vsize: u64,
    options: &MempoolOptions,
) -> Result<HashSet<Txid>, Rejected> {
    // EntriesAndTxidsDisjoint (in PreChecks).
    let mut sorted: Vec<&Txid> = ancestors.iter().collect();
    sorted.sort();
    if let Some(a) = sorted.into_iter().find(|a| conflicts.contains(*a)) {
        return Err(Rejected {
            kind: super::RejectKind::Consensus,
            reason: "bad-txns-spends-conflicting-tx".into(),
            detail: Some(format!("{txid} spends conflicting transaction {a}")),
        });
    }
    let graph = &state.graph;
    let suffix = if sibling_eviction {
        " (including sibling eviction)"
    } else {
        ""
    };
    let reason = |r: &str| format!("{r}{suffix}");
    // PaysMoreThanConflicts.
    let new_rate = rate(modified_fee, vsize);
    for c in conflicts {
        let Some(e) = graph.entries.get(c) else {
            continue;
        };
        let old_rate = rate(e.modified_fee(), e.vsize);
        if new_rate <= old_rate {
            return Err(Rejected::with_detail(
                &reason("insufficient fee"),
                format!(
                    "rejecting replacement {txid}; new feerate {} <= old feerate {}",
                    format_rate(new_rate),
                    format_rate(old_rate)
                ),
            ));
        }
    }
    // GetEntriesForConflicts.
    let mut count = 0;
    for c in conflicts {
        count += graph.entries.get(c).map_or(0, |e| e.descendants.count);
        if count > MAX_REPLACEMENT_CANDIDATES {
            return Err(Rejected::with_detail(
                &reason("too many potential replacements"),
                format!(
                    "rejecting replacement {txid}; too many potential replacements ({count} > {MAX_REPLACEMENT_CANDIDATES})"
                ),
            ));
        }
    }
    let all = graph.with_descendants(conflicts.iter().copied());
    // HasNoNewUnconfirmed.
    let parents_of_conflicts: HashSet<Txid> = conflicts
        .iter()
        .filter_map(|c| graph.entries.get(c))
        .flat_map(|e| e.tx.input.iter().map(|i| i.previous_output.txid))
        .collect();
    for (index, input) in tx.input.iter().enumerate() {
        let parent = input.previous_output.txid;
        if !parents_of_conflicts.contains(&parent) && graph.entries.contains_key(&parent) {
            return Err(Rejected::with_detail(
                &reason("replacement-adds-unconfirmed"),
                format!("replacement {txid} adds unconfirmed input, idx {index}"),
            ));
        }
    }
    // PaysForRBF.
    let conflicting_fees: i64 = all
        .iter()
        .filter_map(|t| graph.entries.get(t))
        .map(|e| e.modified_fee())
        .sum();
    if modified_fee < conflicting_fees {
        return Err(Rejected::with_detail(
            &reason("insufficient fee"),
            format!(
                "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                format_money(modified_fee),
                format_money(conflicting_fees)
            ),
        ));
    }
    let additional = modified_fee - conflicting_fees;
    let needed = fee_for(options.incremental_relay_fee, vsize) as i64;
    if additional < needed {
        return Err(Rejected::with_detail(
            &reason("insufficient fee"),
            format!(
                "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
                format_money(additional),
                format_money(needed)
            ),
        ));
    }
    Ok(all)
}
