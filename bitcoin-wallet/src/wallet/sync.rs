//! Catching a wallet up with the node, with the node doing the filtering: the wallet's
//! recent checkpoints go to `Chain::find_fork`; blocks above the fork point are forgotten (a
//! reorg); one `Chain::scan` from there for every derived script (revealed plus lookahead)
//! and the wallet's outpoints returns only matching transactions, which become a BDK
//! `Update` (anchors in their blocks, mempool transactions seen now, a checkpoint chain
//! through every matched block to the last block scanned). Scans repeat from the same start
//! while new addresses were used beyond the lookahead. A long range is scanned in steps, so
//! subscribers see the rescan's progress (Core's `ShowProgress`, "\[name\] Rescanning…").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, PoisonError};

use bdk_wallet::bitcoin::consensus::deserialize;
use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::{BlockHash, OutPoint, Transaction, Txid};
use bdk_wallet::chain::{BlockId, CheckPoint, ConfirmationBlockTime, TxUpdate};
use bdk_wallet::{Update, Wallet};
use interfaces::{BlockRef, Outpoint, ScanRequest, ScanResult};

use crate::wallet::error::WalletError;
use crate::wallet::local::{LocalWallet, State};

/// Checkpoints sent as they are before the locator starts skipping.
const DENSE_LOCATOR: usize = 32;
/// Scans of one sync at most (each one finds addresses used beyond the previous lookahead).
const MAX_ROUNDS: usize = 20;
/// A range is scanned in about this many steps (progress is told after each one)...
const SCAN_STEPS: u32 = 20;
/// ...of at least this many blocks (shorter ranges are one scan, with no progress told)...
const MIN_STEP: u32 = 100;
/// ...and at most this many.
const MAX_STEP: u32 = 2_000;

pub(crate) use crate::wallet::now;

/// The wallet's checkpoints as a locator: the newest ones, then exponentially sparser ones,
/// and always the genesis block.
fn locator(wallet: &Wallet) -> Vec<BlockRef> {
    let all: Vec<CheckPoint> = wallet.checkpoints().collect();
    let mut picked = Vec::new();
    let mut step = 1;
    let mut i = 0;
    while i < all.len() {
        picked.push(&all[i]);
        if picked.len() >= DENSE_LOCATOR {
            step *= 2;
        }
        i += step;
    }
    if let Some(genesis) = all.last() {
        if picked.last().map(|c| c.height()) != Some(genesis.height()) {
            picked.push(genesis);
        }
    }
    picked
        .into_iter()
        .map(|c| BlockRef {
            hash: c.hash().to_byte_array(),
            height: i32::try_from(c.height()).unwrap_or(i32::MAX),
        })
        .collect()
}

/// What to scan for: every script every pair derives and the outpoints the wallet spends or
/// may spend.
fn scan_request(state: &State, start_height: u32) -> ScanRequest {
    let store = &state.store;
    let scripts = store
        .wallets()
        .flat_map(|w| w.spk_index().inner().all_spks().values())
        .map(|s| s.to_bytes())
        .collect();
    let mut outpoints: HashSet<OutPoint> = store
        .wallets()
        .flat_map(|w| w.list_unspent())
        .map(|u| u.outpoint)
        .collect();
    for wtx in store.wallets().flat_map(|w| w.transactions()) {
        if !wtx.chain_position.is_confirmed() {
            for input in &wtx.tx_node.tx.input {
                if store.owned_txout(input.previous_output).is_some() {
                    outpoints.insert(input.previous_output);
                }
            }
        }
    }
    let mut outpoints: Vec<Outpoint> = outpoints
        .into_iter()
        .map(|o| Outpoint {
            txid: o.txid.to_byte_array(),
            vout: o.vout,
        })
        .collect();
    outpoints.sort();
    ScanRequest {
        start_height: i32::try_from(start_height).unwrap_or(i32::MAX),
        stop_height: None,
        scripts,
        outpoints,
        include_mempool: true,
    }
}

/// Adds `block` to the checkpoint chain `cp`; `None` when `cp` has another block at that
/// height (the chain moved while we scanned).
fn add_block(cp: CheckPoint, block: BlockId) -> Option<CheckPoint> {
    match cp.get(block.height) {
        Some(existing) => (existing.hash() == block.hash).then_some(cp),
        None if block.height == 0 => None,
        None => Some(cp.insert(block)),
    }
}

fn height(h: i32) -> Result<u32, WalletError> {
    u32::try_from(h).map_err(|_| WalletError::Chain(format!("the node reported height {h}")))
}

fn decode(raw: &[u8]) -> Result<Transaction, WalletError> {
    deserialize(raw)
        .map_err(|e| WalletError::Chain(format!("the node sent an undecodable transaction: {e}")))
}

/// Outcome of applying one scan.
enum Applied {
    /// Applied; the wallet now derives this many scripts.
    Done(usize),
    /// The scan does not fit the wallet's chain (the chain moved); scan again.
    Retry,
}

/// Applies `result` (a scan from `start_height` started at `scan_time`) to the wallet and
/// persists it; the last block scanned joins the wallet's chain only when one was scanned.
fn apply_scan(
    state: &mut State,
    result: &ScanResult,
    start_height: i32,
    scan_time: u64,
) -> Result<Applied, WalletError> {
    let mut tx_update = TxUpdate::<ConfirmationBlockTime>::default();
    let mut cp = state.store.wallet.latest_checkpoint();
    let mut positions = Vec::new();
    let mut order = Vec::new();
    for m in &result.matches {
        let tx = decode(&m.tx)?;
        let txid = tx.compute_txid();
        let hash = BlockHash::from_byte_array(m.block.hash);
        let block_id = BlockId {
            height: height(m.block.height)?,
            hash,
        };
        let Some(next) = add_block(cp, block_id) else {
            return Ok(Applied::Retry);
        };
        cp = next;
        let confirmation_time = u64::try_from(m.block.time).unwrap_or(0);
        tx_update.anchors.insert((
            ConfirmationBlockTime {
                block_id,
                confirmation_time,
            },
            txid,
        ));
        tx_update.txs.push(Arc::new(tx));
        positions.push((txid, hash, m.position));
        order.push(txid);
    }
    if result.last_scanned.height >= start_height {
        let last = BlockId {
            height: height(result.last_scanned.height)?,
            hash: BlockHash::from_byte_array(result.last_scanned.hash),
        };
        let Some(next) = add_block(cp, last) else {
            return Ok(Applied::Retry);
        };
        cp = next;
    }
    let mut mempool: HashMap<Txid, u64> = HashMap::new();
    for raw in &result.mempool {
        let tx = decode(raw)?;
        let txid = tx.compute_txid();
        tx_update.seen_ats.insert((txid, scan_time));
        tx_update.txs.push(Arc::new(tx));
        mempool.insert(txid, scan_time);
        order.push(txid);
    }
    let update = Update {
        last_active_indices: BTreeMap::new(),
        tx_update,
        chain: Some(cp),
    };
    if let Err(e) = state.store.apply_update_all(&update) {
        tracing::debug!("wallet update does not connect ({e}); scanning again");
        return Ok(Applied::Retry);
    }
    state.store.persist()?;
    state.store.set_positions(&positions)?;
    state.store.note_order(order)?;
    for (txid, since) in state.in_mempool.drain() {
        if since > scan_time {
            mempool.entry(txid).or_insert(since);
        }
    }
    state.in_mempool = mempool;
    Ok(Applied::Done(state.store.script_count()))
}

/// The blocks of each step when scanning `start..=end`.
fn step_size(start: u32, end: u32) -> u32 {
    (end.saturating_sub(start) / SCAN_STEPS).clamp(MIN_STEP, MAX_STEP)
}

/// The outpoints of `matches`' outputs that pay to one of `scripts`: a later step must find
/// their spends, as one scan of the whole range would have.
fn paid_outpoints(
    matches: &[interfaces::ScanMatch],
    scripts: &HashSet<&[u8]>,
) -> Result<Vec<Outpoint>, WalletError> {
    let mut paid = Vec::new();
    for m in matches {
        let tx = decode(&m.tx)?;
        let txid = tx.compute_txid().to_byte_array();
        for (vout, out) in tx.output.iter().enumerate() {
            if scripts.contains(out.script_pubkey.as_bytes()) {
                let vout = u32::try_from(vout).map_err(|_| {
                    WalletError::Chain("the node sent a transaction with too many outputs".into())
                })?;
                paid.push(Outpoint { txid, vout });
            }
        }
    }
    Ok(paid)
}

impl LocalWallet {
    /// `Chain::scan` of `request`, in steps when the range is long, telling subscribers the
    /// progress after each step. `None` when a step's last block left the active chain while
    /// the later steps ran (the caller scans again).
    pub(crate) fn scan_in_steps(
        &self,
        request: &ScanRequest,
    ) -> Result<Option<ScanResult>, WalletError> {
        let start = height(request.start_height)?;
        let end = match request.stop_height {
            Some(stop) => height(stop)?,
            None => match self.chain.get_tip()? {
                Some(tip) => height(tip.height)?,
                None => return Ok(Some(self.chain.scan(request)?)),
            },
        };
        let step = step_size(start, end);
        if end < start || end - start < step {
            return Ok(Some(self.chain.scan(request)?));
        }
        let title = format!("[{}] Rescanning…", self.name);
        self.publish_progress(&title, 0);
        let scripts: HashSet<&[u8]> = request.scripts.iter().map(Vec::as_slice).collect();
        let mut outpoints = request.outpoints.clone();
        let mut total = ScanResult::default();
        let mut boundaries = Vec::new();
        let mut from = start;
        loop {
            let last_step = end - from < step;
            let part = ScanRequest {
                start_height: i32::try_from(from).unwrap_or(i32::MAX),
                stop_height: if last_step {
                    request.stop_height
                } else {
                    Some(i32::try_from(from + step - 1).unwrap_or(i32::MAX))
                },
                scripts: request.scripts.clone(),
                outpoints: outpoints.clone(),
                include_mempool: last_step && request.include_mempool,
            };
            let result = self.chain.scan(&part)?;
            outpoints.extend(paid_outpoints(&result.matches, &scripts)?);
            total.matches.extend(result.matches);
            total.blocks_scanned += result.blocks_scanned;
            total.mempool = result.mempool;
            if result.last_scanned.height >= part.start_height {
                total.last_scanned = result.last_scanned;
            }
            if last_step || result.last_scanned.height < part.stop_height.unwrap_or(i32::MAX) {
                break;
            }
            boundaries.push(result.last_scanned);
            from += step;
            let done = u64::from(from - start) * 100 / u64::from(end - start + 1);
            self.publish_progress(&title, i32::try_from(done).unwrap_or(99).min(99));
        }
        self.publish_progress(&title, 100);
        for boundary in boundaries {
            if self.chain.get_block_hash(boundary.height)? != Some(boundary.hash) {
                tracing::debug!(wallet = %self.name, height = boundary.height, "the chain moved during a stepped scan; scanning again");
                return Ok(None);
            }
        }
        if total.last_scanned.height < request.start_height {
            total.last_scanned = BlockRef {
                height: request.start_height - 1,
                ..BlockRef::default()
            };
        }
        Ok(Some(total))
    }

    /// Catches the wallet up with the node's active chain and mempool (blocking); reorgs
    /// unconfirm the transactions of the blocks they took away, and a rescan confirms them
    /// again where the new chain holds them.
    pub fn sync(&self) -> Result<(), WalletError> {
        let _guard = self
            .sync_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut start: Option<u32> = None;
        for _ in 0..MAX_ROUNDS {
            let locator = locator(&self.lock()?.store.wallet);
            let fork = self.chain.find_fork(&locator)?.ok_or_else(|| {
                WalletError::Chain(
                    "None of the wallet's blocks is in the node's chain (is it another network?)"
                        .into(),
                )
            })?;
            let fork_height = height(fork.height)?;
            {
                let mut state = self.lock()?;
                if state.store.wallet.latest_checkpoint().height() > fork_height {
                    tracing::info!(wallet = %self.name, fork = fork_height, "blocks were disconnected; rescanning from the fork point");
                    state
                        .store
                        .disconnect_above(fork_height, &self.name, &self.keys)?;
                }
            }
            let from = start.map_or(fork_height + 1, |s| s.min(fork_height + 1));
            start = Some(from);
            let (request, scripts_before) = {
                let state = self.lock()?;
                let count = state.store.script_count();
                (scan_request(&state, from), count)
            };
            let scan_time = now();
            let Some(result) = self.scan_in_steps(&request)? else {
                continue;
            };
            if self.chain.get_block_hash(fork.height)? != Some(fork.hash) {
                continue;
            }
            let applied = apply_scan(&mut *self.lock()?, &result, request.start_height, scan_time)?;
            match applied {
                Applied::Done(scripts) if scripts == scripts_before => {
                    tracing::debug!(wallet = %self.name, from, blocks = result.blocks_scanned, matches = result.matches.len(), "synced");
                    return Ok(());
                }
                Applied::Done(_) | Applied::Retry => {}
            }
        }
        tracing::warn!(wallet = %self.name, "sync did not settle; will continue on the next block");
        Ok(())
    }

    /// Core's `ScanForWalletTransactions` for `rescanblockchain`: the node scans blocks
    /// `start..=stop` (to its tip without `stop`) for the wallet's scripts, repeating while
    /// the matches reveal scripts beyond the lookahead; the matches are persisted before this
    /// returns. The heights scanned.
    pub fn rescan(&self, start: u32, stop: Option<u32>) -> Result<(u32, Option<u32>), WalletError> {
        let _guard = self
            .sync_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut last = None;
        for _ in 0..MAX_ROUNDS {
            let (mut request, scripts_before) = {
                let state = self.lock()?;
                let count = state.store.script_count();
                (scan_request(&state, start), count)
            };
            request.stop_height = stop.map(|s| i32::try_from(s).unwrap_or(i32::MAX));
            let scan_time = now();
            let Some(result) = self.scan_in_steps(&request)? else {
                continue;
            };
            let applied = apply_scan(&mut *self.lock()?, &result, request.start_height, scan_time)?;
            if result.last_scanned.height >= request.start_height {
                last = Some(height(result.last_scanned.height)?);
            }
            match applied {
                Applied::Done(scripts) if scripts == scripts_before => {
                    tracing::info!(wallet = %self.name, start, stop = ?last, matches = result.matches.len(), "rescanned");
                    return Ok((start, last));
                }
                Applied::Done(_) | Applied::Retry => {}
            }
        }
        Ok((start, last))
    }

    /// Core's `BlockUntilSyncedToCurrentChain`: waits for the node's queued notifications,
    /// then syncs if the wallet's last block is not the node's tip.
    pub fn block_until_synced(&self) -> Result<(), WalletError> {
        self.chain.wait_for_notifications()?;
        let tip = self.chain.get_tip()?;
        let mine = self.last_processed()?;
        let current = tip.is_some_and(|t| {
            t.hash == mine.0.to_byte_array() && u32::try_from(t.height) == Ok(mine.1)
        });
        if !current {
            self.sync()?;
        }
        Ok(())
    }
}
