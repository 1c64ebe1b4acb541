//! A peer's transactions whose inputs are missing (Core's orphan handling in
//! `ProcessMessage("tx")`): the orphan is kept in the shared [`crate::orphans::OrphanPool`]
//! and its missing parents are asked of the peer that sent it (`getdata` by txid, witness
//! form); when a parent enters the mempool its orphans are reconsidered, and when a parent
//! misses the fee floors alone, an orphan child from the same peer may pay for it as a
//! one-parent-one-child package.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::Transaction;

use super::{Handled, Peer};
use crate::orphans::OrphanPool;
use crate::{lock, TxRef};

/// A random index below `n` (0 when the system has no randomness to give).
fn random_below(n: usize) -> usize {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() || n == 0 {
        return 0;
    }
    (u64::from_le_bytes(bytes) % n as u64) as usize
}

impl Peer {
    /// Keeps `tx`, refused for missing inputs, and asks this peer for the parents neither
    /// the mempool nor the orphan pool has.
    pub(super) fn keep_orphan(&mut self, tx: Transaction) -> Handled {
        let tx = Arc::new(tx);
        let parents = OrphanPool::parents(&tx);
        let missing: Vec<Inventory> = {
            let orphans = lock(&self.shared.orphans);
            parents
                .into_iter()
                .filter(|p| !orphans.contains(Some(p), None))
                .collect::<Vec<_>>()
        }
        .into_iter()
        .filter(|p| {
            self.shared
                .blocking(|c| c.transaction(TxRef::Txid(*p)))
                .is_none()
        })
        .map(Inventory::WitnessTransaction)
        .collect();
        let txid = tx.compute_txid();
        let mut orphans = lock(&self.shared.orphans);
        if orphans.add(tx, self.id, Instant::now()) {
            let evicted = orphans.limit(Instant::now(), random_below);
            tracing::debug!(target: "net", "orphan tx {txid} from peer={} ({} parents to fetch, {} orphans, {evicted} evicted)", self.id, missing.len(), orphans.len());
        }
        drop(orphans);
        if missing.is_empty() {
            return Ok(());
        }
        self.send(NetworkMessage::GetData(missing))
    }

    /// `parent` entered the mempool: its orphans are offered again, and theirs in turn.
    pub(super) fn reconsider_orphans(&mut self, parent: &Transaction) {
        let mut queue = VecDeque::from([parent.clone()]);
        while let Some(parent) = queue.pop_front() {
            let children = lock(&self.shared.orphans).children_of(&parent);
            for orphan in children {
                let wtxid = orphan.tx.compute_wtxid();
                let tx = (*orphan.tx).clone();
                match self.shared.blocking(|c| c.submit_transaction(tx)) {
                    Ok(()) => {
                        lock(&self.shared.orphans).remove(&wtxid);
                        tracing::debug!(target: "net", "accepted orphan tx {} (from peer={})", orphan.tx.compute_txid(), orphan.from);
                        queue.push_back((*orphan.tx).clone());
                    }
                    // Still missing another parent: it waits on.
                    Err(rejected) if rejected.missing_inputs => {}
                    Err(rejected) => {
                        lock(&self.shared.orphans).remove(&wtxid);
                        tracing::debug!(target: "net", "dropped orphan tx {}: {rejected}", orphan.tx.compute_txid());
                    }
                }
            }
        }
    }

    /// `parent` from this peer missed the fee floors alone: an orphan child of it that this
    /// peer sent may pay for it (Core's opportunistic one-parent-one-child package); whether
    /// the two were accepted.
    pub(super) fn try_package(&mut self, parent: &Transaction) -> bool {
        let children = lock(&self.shared.orphans).children_of(parent);
        for orphan in children.into_iter().filter(|o| o.from == self.id) {
            let (p, c) = (parent.clone(), (*orphan.tx).clone());
            match self.shared.blocking(|chain| chain.submit_package(p, c)) {
                Ok(()) => {
                    lock(&self.shared.orphans).remove(&orphan.tx.compute_wtxid());
                    tracing::debug!(target: "net", "accepted package of {} and its child {} from peer={}", parent.compute_txid(), orphan.tx.compute_txid(), self.id);
                    self.reconsider_orphans(&orphan.tx);
                    return true;
                }
                Err(reason) => {
                    tracing::debug!(target: "net", "package of {} and {} refused: {reason}", parent.compute_txid(), orphan.tx.compute_txid());
                }
            }
        }
        false
    }
}
