//! TRUC (version 3) topology rules, Core's `SingleTRUCChecks`: version 3 and other
//! transactions do not spend each other's unconfirmed outputs, a version 3 transaction is at
//! most 10,000 vB, has at most one unconfirmed ancestor, and a child is at most 1,000 vB and
//! its parent's only child, unless replacing that sibling passes the replacement rules
//! (Core's sibling eviction).

use std::collections::HashSet;

use bitcoin::{Transaction, Txid, Wtxid};

use super::graph::Graph;
use super::Rejected;

/// Core's `TRUC_VERSION`.
const TRUC_VERSION: i32 = 3;
/// Core's `TRUC_MAX_VSIZE`.
const TRUC_MAX_VSIZE: u64 = 10_000;
/// Core's `TRUC_CHILD_MAX_VSIZE`.
const TRUC_CHILD_MAX_VSIZE: u64 = 1_000;

fn violation(detail: String) -> Rejected {
    Rejected::with_detail("TRUC-violation", detail)
}

/// Why a transaction breaks the TRUC rules, and the sibling whose eviction (by the
/// replacement rules) would make room for it, when that may be considered.
pub type Violation = (Rejected, Option<Txid>);

/// Checks `tx` (`txid`, `wtxid`, `vsize`) with its in-pool `ancestors`; `conflicts` are the
/// pool transactions it would replace.
pub fn check(
    graph: &Graph,
    tx: &Transaction,
    (txid, wtxid): (Txid, Wtxid),
    ancestors: &HashSet<Txid>,
    conflicts: &HashSet<Txid>,
    vsize: u64,
) -> Result<(), Violation> {
    check_topology(graph, tx, (txid, wtxid), ancestors, vsize).map_err(|r| (r, None))?;
    if tx.version.0 != TRUC_VERSION {
        return Ok(());
    }
    let mut sorted: Vec<&Txid> = ancestors.iter().collect();
    sorted.sort();
    let Some(parent) = sorted.first().and_then(|a| graph.entries.get(*a)) else {
        return Ok(());
    };
    let child_replaced = parent.children.iter().any(|c| conflicts.contains(c));
    if parent.descendants.count + 1 > 2 && !child_replaced {
        // Core's sibling eviction: the parent's only child, itself without other ancestors,
        // may be replaced instead.
        let sibling = parent
            .children
            .iter()
            .next()
            .and_then(|c| graph.entries.get(c))
            .filter(|c| parent.descendants.count == 2 && c.ancestors.count == 2)
            .map(|c| c.txid);
        let detail = format!(
            "tx {} (wtxid={}) would exceed descendant count limit",
            parent.txid, parent.wtxid
        );
        return Err((violation(detail), sibling));
    }
    Ok(())
}

/// The inheritance, size and ancestor rules.
fn check_topology(
    graph: &Graph,
    tx: &Transaction,
    (txid, wtxid): (Txid, Wtxid),
    ancestors: &HashSet<Txid>,
    vsize: u64,
) -> Result<(), Rejected> {
    let is_truc = tx.version.0 == TRUC_VERSION;
    let mut sorted: Vec<&Txid> = ancestors.iter().collect();
    sorted.sort();
    for a in &sorted {
        let Some(entry) = graph.entries.get(*a) else {
            continue;
        };
        let parent_truc = entry.tx.version.0 == TRUC_VERSION;
        if !is_truc && parent_truc {
            return Err(violation(format!(
                "non-version=3 tx {txid} (wtxid={wtxid}) cannot spend from version=3 tx {} (wtxid={})",
                entry.txid, entry.wtxid
            )));
        }
        if is_truc && !parent_truc {
            return Err(violation(format!(
                "version=3 tx {txid} (wtxid={wtxid}) cannot spend from non-version=3 tx {} (wtxid={})",
                entry.txid, entry.wtxid
            )));
        }
    }
    if !is_truc {
        return Ok(());
    }
    if vsize > TRUC_MAX_VSIZE {
        return Err(violation(format!(
            "version=3 tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_MAX_VSIZE} virtual bytes"
        )));
    }
    if ancestors.len() + 1 > 2 {
        return Err(violation(format!(
            "tx {txid} (wtxid={wtxid}) would have too many ancestors"
        )));
    }
    if !sorted.is_empty() && vsize > TRUC_CHILD_MAX_VSIZE {
        return Err(violation(format!(
            "version=3 child tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_CHILD_MAX_VSIZE} virtual bytes"
        )));
    }
    Ok(())
}
