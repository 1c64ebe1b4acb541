//! The mempool's own thread: follows the chainstate's block events. A connected block's
//! transactions leave the pool, with whatever conflicts with them (and their descendants); a
//! disconnected block's transactions are queued and, once no more events are waiting,
//! re-accepted (bypassing the fee floors, as Core's `MaybeUpdateMempoolForReorg` does) and
//! the pool is re-checked for spends of coinbases that became immature and for transactions
//! that are no longer final (locktime or BIP68). Only then does [`Mempool::tip`] move, so a miner waiting with
//! [`Mempool::wait_for_tip`] sees a pool in step with the chain.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bitcoin::{BlockHash, Txid};

use super::accept::AcceptOptions;
use super::{Mempool, RemovalReason};
use crate::chain::ChainEvent;

/// Starts the thread; it ends when the pool is dropped or the chainstate stops sending.
pub(crate) fn spawn(pool: Weak<Mempool>, events: Receiver<ChainEvent>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("mempool".into())
        .spawn(move || run(&pool, &events))
        .map(drop)
}

fn run(pool: &Weak<Mempool>, events: &Receiver<ChainEvent>) {
    loop {
        let event = match events.recv_timeout(Duration::from_millis(500)) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => {
                if pool.strong_count() == 0 {
                    return;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(pool) = pool.upgrade() else {
            return;
        };
        let mut tip = pool.handle(event, None);
        pool.publish_if_settled(tip);
        while let Ok(event) = events.try_recv() {
            tip = pool.handle(event, tip);
            pool.publish_if_settled(tip);
        }
        pool.readd_disconnected();
        if let Some(tip) = tip {
            pool.set_tip(Some(tip));
        }
    }
}

impl Mempool {
    /// Moves [`Mempool::tip`] to `tip` unless transactions of disconnected blocks still wait
    /// to be re-added.
    fn publish_if_settled(&self, tip: Option<BlockHash>) {
        if tip.is_some() && !self.lock().reorg {
            self.set_tip(tip);
        }
    }

    /// Applies one event; returns the block the pool is then in step with.
    fn handle(&self, event: ChainEvent, tip: Option<BlockHash>) -> Option<BlockHash> {
        match event {
            ChainEvent::BlockConnected { hash, height } => {
                self.block_connected(&hash, height);
                Some(hash)
            }
            ChainEvent::BlockDisconnected { hash, .. } => {
                let prev = self.block_disconnected(&hash);
                prev.or(tip)
            }
            _ => tip,
        }
    }

    fn block_connected(&self, hash: &BlockHash, height: i32) {
        let Some(block) = self.chain.block(hash) else {
            tracing::warn!(target: "mempool", %hash, "connected block not readable");
            return;
        };
        let mut state = self.lock();
        let mut mined = HashSet::new();
        let mut conflicts = HashSet::new();
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            if state.graph.entries.contains_key(&txid) {
                mined.insert(txid);
            }
            for input in &tx.input {
                if let Some(spender) = state.graph.spenders.get(&input.previous_output) {
                    if *spender != txid {
                        conflicts.insert(*spender);
                    }
                }
            }
        }
        // Disconnected transactions this block confirmed need not come back.
        let confirmed: HashSet<Txid> = block.txdata.iter().map(|t| t.compute_txid()).collect();
        state
            .disconnected
            .retain(|t| !confirmed.contains(&t.compute_txid()));
        // The estimator sees the block first (Core's removeForBlock), then the removals.
        if let Some(fees) = self.fee_listener() {
            let txids: Vec<Txid> = mined.iter().copied().collect();
            fees.block(u32::try_from(height).unwrap_or(0), &txids);
        }
        self.remove_exact(&mut state, &mined, RemovalReason::Block);
        self.remove_with_descendants(&mut state, conflicts, RemovalReason::Conflict);
        state.rolling.block_since_bump = true;
        self.expire(&mut state);
        drop(state);
        self.bump_updated();
    }

    /// Queues the block's transactions for re-adding; returns its parent.
    fn block_disconnected(&self, hash: &BlockHash) -> Option<BlockHash> {
        let block = self.chain.block(hash)?;
        let mut state = self.lock();
        // Blocks come off from the tip down: earlier blocks' transactions go first.
        let mut txs: Vec<Arc<bitcoin::Transaction>> = block
            .txdata
            .iter()
            .filter(|t| !t.is_coinbase())
            .map(|t| Arc::new(t.clone()))
            .collect();
        txs.append(&mut state.disconnected);
        state.disconnected = txs;
        state.reorg = true;
        Some(block.header.prev_blockhash)
    }

    /// Re-accepts the transactions of disconnected blocks, then drops pool transactions that
    /// the new chain made invalid (immature coinbase spends, non-final).
    fn readd_disconnected(&self) {
        let txs = {
            let mut state = self.lock();
            if !std::mem::take(&mut state.reorg) {
                return;
            }
            std::mem::take(&mut state.disconnected)
        };
        let options = AcceptOptions {
            bypass_limits: true,
            ..AcceptOptions::default()
        };
        let mut readded = 0;
        for tx in txs {
            match self.accept(tx.clone(), options) {
                Ok(_) => readded += 1,
                Err(e) => {
                    tracing::debug!(target: "mempool", txid = %tx.compute_txid(), "not re-added after reorg: {e}");
                }
            }
        }
        let mut state = self.lock();
        state.graph.relink();
        drop(state);
        self.remove_for_reorg();
        let mut state = self.lock();
        self.trim_to_size(&mut state);
        tracing::debug!(target: "mempool", readded, "re-added transactions of disconnected blocks");
    }

    /// Core's `removeForReorg`: drops entries no longer final (locktime or BIP68), spending
    /// coinbases no longer mature, or spending coins that are gone, with their descendants.
    fn remove_for_reorg(&self) {
        let Some(tip) = self.chain.tip() else {
            return;
        };
        let mut state = self.lock();
        let bad: HashSet<Txid> = state
            .graph
            .entries
            .values()
            .filter(|e| !self.still_valid(&state, &e.tx, &tip))
            .map(|e| e.txid)
            .collect();
        self.remove_with_descendants(&mut state, bad, RemovalReason::Reorg);
    }
}
