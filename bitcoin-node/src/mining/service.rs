//! The node's `Mining` and `BlockTemplate` (Core's `MinerImpl` and `BlockTemplateImpl`):
//! waiting for tips, templates that keep their block while held, `waitNext` on a new tip or a
//! fee rise, and interrupts that never block.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, ScriptBuf, Transaction, Txid, Wtxid};
use interfaces::{
    BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockVerdict, BlockWaitOptions,
    CoinbaseTx, Error, Mining, MAX_MONEY,
};

use super::check::check_block;
use super::template::{self, Template, TxSource};
use crate::chain::{ChainEvent, ChainState, SubmitOutcome};

/// How often waits look again at the mempool's fees and at their caller (Core's tick).
const TICK: Duration = Duration::from_secs(1);

/// Testnet's rule: a block 20 minutes after its parent may have minimum difficulty, so
/// `waitNext` hands out a fresh template then (Core's `fPowAllowMinDifficultyBlocks`).
const MIN_DIFFICULTY_DELAY: u64 = 20 * 60;

/// The active tip as waiters see it, with a condition variable woken on every change, every
/// interrupt and at shutdown.
pub struct TipWatcher {
    tip: Mutex<Option<BlockRef>>,
    changed: Condvar,
    shutdown: AtomicBool,
}

/// How a wait on [`TipWatcher`] ended.
enum Waited {
    /// The predicate became true (or the deadline passed): the tip then.
    Tip(Option<BlockRef>),
    /// The wait's interrupt flag was set (and is now cleared).
    Interrupted,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn block_ref(chain: &ChainState) -> Option<BlockRef> {
    chain.tip().map(|tip| BlockRef {
        hash: tip.hash.to_byte_array(),
        height: tip.height,
    })
}

impl TipWatcher {
    /// Follows `chain`'s tip from now on (a thread fed by its events).
    pub fn start(chain: &Arc<ChainState>) -> std::io::Result<Arc<TipWatcher>> {
        let watcher = Arc::new(TipWatcher {
            tip: Mutex::new(block_ref(chain)),
            changed: Condvar::new(),
            shutdown: AtomicBool::new(false),
        });
        let (events, received) = std::sync::mpsc::channel();
        chain.subscribe(events);
        let weak_chain = Arc::downgrade(chain);
        let weak = Arc::downgrade(&watcher);
        std::thread::Builder::new()
            .name("mining-tip".into())
            .spawn(move || {
                for event in received {
                    if !matches!(event, ChainEvent::BlockTip { .. }) {
                        continue;
                    }
                    let (Some(watcher), Some(chain)) = (weak.upgrade(), weak_chain.upgrade())
                    else {
                        break;
                    };
                    let tip = block_ref(&chain);
                    let mut current = lock(&watcher.tip);
                    if *current != tip {
                        *current = tip;
                        watcher.changed.notify_all();
                    }
                }
            })?;
        Ok(watcher)
    }

    /// Takes the tip from `chain` now, without waiting for the event thread (so a wait that
    /// starts right after a block was accepted sees it, as in Core).
    pub fn refresh(&self, chain: &ChainState) {
        let tip = block_ref(chain);
        let mut current = lock(&self.tip);
        if *current != tip {
            *current = tip;
            self.changed.notify_all();
        }
    }

    /// The tip now.
    pub fn tip(&self) -> Option<BlockRef> {
        *lock(&self.tip)
    }

    /// Makes every wait return (node shutdown).
    pub fn shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        let _guard = lock(&self.tip);
        self.changed.notify_all();
    }

    /// Whether the node is shutting down (every wait returns).
    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Waits until the tip is not `current`, `deadline` passes or the node shuts down, and
    /// returns the tip then.
    pub fn wait_for_change(&self, current: &[u8; 32], deadline: Instant) -> Option<BlockRef> {
        let never = AtomicBool::new(false);
        match self.wait(Some(deadline), &never, |tip| {
            tip.is_some_and(|t| t.hash != *current)
        }) {
            Waited::Tip(tip) => tip,
            Waited::Interrupted => None,
        }
    }

    /// Sets `flag` and wakes the waits, so the one using `flag` returns.
    fn interrupt(&self, flag: &AtomicBool) {
        flag.store(true, Ordering::SeqCst);
        let _guard = lock(&self.tip);
        self.changed.notify_all();
    }

    /// Waits until `done(tip)`, `deadline`, shutdown, or `flag` (which it clears), waking
    /// at least every [`TICK`] to drop waits whose IPC caller went away.
    fn wait(
        &self,
        deadline: Option<Instant>,
        flag: &AtomicBool,
        done: impl Fn(Option<&BlockRef>) -> bool,
    ) -> Waited {
        let mut tip = lock(&self.tip);
        loop {
            if flag.swap(false, Ordering::SeqCst) {
                return Waited::Interrupted;
            }
            if self.shutdown.load(Ordering::SeqCst) || ipc::call_canceled() {
                return Waited::Interrupted;
            }
            if done(tip.as_ref()) {
                return Waited::Tip(*tip);
            }
            let now = Instant::now();
            let until = deadline.map_or(now + TICK, |d| d.min(now + TICK));
            if deadline.is_some_and(|d| now >= d) {
                return Waited::Tip(*tip);
            }
            tip = self
                .changed
                .wait_timeout(tip, until.saturating_duration_since(now))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// A deadline `ms` milliseconds from now (`None`: for ever; Core caps at 100 years).
fn deadline(ms: f64) -> Option<Instant> {
    const CAP_MS: f64 = 100.0 * 365.0 * 24.0 * 3600.0 * 1000.0;
    if !ms.is_finite() || ms >= CAP_MS {
        return None;
    }
    Instant::now().checked_add(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
}

/// What every `Mining` and template of this node shares.
pub struct MiningContext {
    /// The chainstate.
    pub chain: Arc<ChainState>,
    /// Where transactions come from.
    pub source: Arc<dyn TxSource>,
    /// The tip and its waits.
    pub watcher: Arc<TipWatcher>,
    /// Templates alive now (held by some client).
    live_templates: AtomicUsize,
    /// `-blockmintxfee` (sat/kvB).
    pub block_min_fee: u64,
}

impl MiningContext {
    /// The shared state of the node's mining objects.
    pub fn new(
        chain: Arc<ChainState>,
        source: Arc<dyn TxSource>,
        watcher: Arc<TipWatcher>,
        block_min_fee: u64,
    ) -> Arc<MiningContext> {
        Arc::new(MiningContext {
            chain,
            source,
            watcher,
            live_templates: AtomicUsize::new(0),
            block_min_fee,
        })
    }

    /// A template on the tip (Core's `CreateNewBlock`) with this node's sources and
    /// settings, its coinbase paying to `script`.
    pub fn create(
        &self,
        options: &BlockCreateOptions,
        script: &bitcoin::Script,
    ) -> Result<Template, String> {
        template::create(
            &self.chain,
            self.source.as_ref(),
            options,
            self.block_min_fee,
            script,
        )
    }

    /// How many templates are alive (held by a client) now.
    pub fn live_templates(&self) -> usize {
        self.live_templates.load(Ordering::SeqCst)
    }

    fn template(self: &Arc<Self>, options: &BlockCreateOptions) -> Result<TemplateImpl, Error> {
        // Core's IPC templates pay to OP_TRUE; the miner replaces the coinbase anyway.
        let script = ScriptBuf::from_bytes(vec![0x51]);
        let updates = self.source.transactions_updated();
        let template = self.create(options, &script).map_err(Error::failed)?;
        Ok(TemplateImpl::new(self.clone(), *options, template, updates))
    }

    fn submit(&self, block: &Block) -> BlockVerdict {
        let outcome = self.chain.submit_block(block);
        self.watcher.refresh(&self.chain);
        let (result, reason) = match outcome {
            SubmitOutcome::Accepted => (true, String::new()),
            SubmitOutcome::Duplicate => (false, "duplicate".to_string()),
            SubmitOutcome::Inconclusive => (false, "inconclusive".to_string()),
            SubmitOutcome::Rejected(reason) => (false, reason),
        };
        BlockVerdict {
            result,
            reason,
            debug: String::new(),
        }
    }

    fn is_initial_block_download(&self) -> bool {
        self.chain.initial_block_download()
    }
}

/// The node's `Mining`, one per client (each has its own interrupt flag, as in Core).
pub struct LocalMining {
    ctx: Arc<MiningContext>,
    interrupted: AtomicBool,
}

impl LocalMining {
    /// A new `Mining` object on `ctx`.
    pub fn new(ctx: Arc<MiningContext>) -> LocalMining {
        LocalMining {
            ctx,
            interrupted: AtomicBool::new(false),
        }
    }

    fn wait_tip_changed_from(&self, current: &[u8], deadline: Option<Instant>) -> Option<BlockRef> {
        self.ctx.watcher.refresh(&self.ctx.chain);
        // First wait for any tip at all (Core waits for the chainstate to load).
        if let Waited::Interrupted = self
            .ctx
            .watcher
            .wait(None, &self.interrupted, |t| t.is_some())
        {
            return None;
        }
        match self.ctx.watcher.wait(deadline, &self.interrupted, |tip| {
            tip.is_some_and(|t| t.hash[..] != *current)
        }) {
            Waited::Tip(tip) => tip,
            Waited::Interrupted => None,
        }
    }
}

impl Mining for LocalMining {
    fn is_test_chain(&self) -> Result<bool, Error> {
        Ok(self.ctx.chain.chain() != common::Chain::Main)
    }

    fn is_initial_block_download(&self) -> Result<bool, Error> {
        Ok(self.ctx.is_initial_block_download())
    }

    fn get_tip(&self) -> Result<Option<BlockRef>, Error> {
        Ok(block_ref(&self.ctx.chain))
    }

    fn wait_tip_changed(
        &self,
        current_tip: &[u8],
        timeout: f64,
    ) -> Result<Option<BlockRef>, Error> {
        if current_tip.len() != 32 {
            return Err(Error::failed(format!(
                "current_tip must be a 32-byte block hash, not {} bytes",
                current_tip.len()
            )));
        }
        Ok(self.wait_tip_changed_from(current_tip, deadline(timeout)))
    }

    fn create_new_block(
        &self,
        options: &BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Box<dyn BlockTemplate>>, Error> {
        template::check_options(options).map_err(Error::failed)?;
        let Some(mut tip) = self.wait_tip_changed_from(&[0; 32], None) else {
            return Ok(None);
        };
        if cooldown {
            // No templates during initial block download (Core); the node has no P2P, so
            // headers are never ahead of the tip and there is no catch-up cooldown.
            while self.ctx.is_initial_block_download() {
                let later = Instant::now() + Duration::from_secs(1);
                match self.wait_tip_changed_from(&tip.hash, Some(later)) {
                    Some(next) => tip = next,
                    None => return Ok(None),
                }
            }
        }
        Ok(Some(Box::new(self.ctx.template(options)?)))
    }

    fn check_block(
        &self,
        block: &[u8],
        options: &BlockCheckOptions,
    ) -> Result<BlockVerdict, Error> {
        let block: Block =
            deserialize(block).map_err(|e| Error::failed(format!("block does not decode: {e}")))?;
        Ok(check_block(&self.ctx.chain, &block, options))
    }

    fn interrupt(&self) -> Result<(), Error> {
        self.ctx.watcher.interrupt(&self.interrupted);
        Ok(())
    }

    fn submit_block(&self, block: &[u8]) -> Result<BlockVerdict, Error> {
        let block: Block =
            deserialize(block).map_err(|e| Error::failed(format!("block does not decode: {e}")))?;
        Ok(self.ctx.submit(&block))
    }

    fn get_transactions_by_tx_i_d(&self, txids: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Error> {
        Ok(lookup(txids, |id| {
            self.ctx.source.get(&Txid::from_byte_array(id))
        }))
    }

    fn get_transactions_by_witness_i_d(&self, wtxids: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Error> {
        Ok(lookup(wtxids, |id| {
            self.ctx.source.get_by_wtxid(&Wtxid::from_byte_array(id))
        }))
    }
}

/// Each id's transaction, serialized, or empty when the id is unknown (or not 32 bytes).
fn lookup(ids: &[Vec<u8>], find: impl Fn([u8; 32]) -> Option<Arc<Transaction>>) -> Vec<Vec<u8>> {
    ids.iter()
        .map(|id| {
            <[u8; 32]>::try_from(&id[..])
                .ok()
                .and_then(&find)
                .map_or_else(Vec::new, |tx| serialize(&*tx))
        })
        .collect()
}

/// A template held by a client: its block and transactions stay here until it is dropped.
pub struct TemplateImpl {
    ctx: Arc<MiningContext>,
    options: BlockCreateOptions,
    template: Template,
    /// The mempool's update counter read before the template was built.
    updates: u64,
    interrupted: AtomicBool,
}

impl TemplateImpl {
    fn new(
        ctx: Arc<MiningContext>,
        options: BlockCreateOptions,
        template: Template,
        updates: u64,
    ) -> TemplateImpl {
        ctx.live_templates.fetch_add(1, Ordering::SeqCst);
        TemplateImpl {
            ctx,
            options,
            template,
            updates,
            interrupted: AtomicBool::new(false),
        }
    }

    /// The template's data.
    pub fn template(&self) -> &Template {
        &self.template
    }

    fn prev(&self) -> BlockHash {
        self.template.header.prev_blockhash
    }

    /// Whether testnet's 20-minute rule calls for a fresh template.
    fn min_difficulty_due(&self) -> bool {
        let allows = matches!(
            self.ctx.chain.chain(),
            common::Chain::Test | common::Chain::Testnet4 | common::Chain::Regtest
        );
        allows
            && self.ctx.chain.tip().is_some_and(|tip| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                now > u64::from(tip.time) + MIN_DIFFICULTY_DELAY
            })
    }
}

impl Drop for TemplateImpl {
    fn drop(&mut self) {
        self.ctx.live_templates.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BlockTemplate for TemplateImpl {
    fn get_block_header(&self) -> Result<Vec<u8>, Error> {
        Ok(serialize(&self.template.header))
    }

    fn get_block(&self) -> Result<Vec<u8>, Error> {
        Ok(self.template.raw_block.clone())
    }

    fn get_tx_fees(&self) -> Result<Vec<i64>, Error> {
        Ok(self.template.fees.clone())
    }

    fn get_tx_sigops(&self) -> Result<Vec<i64>, Error> {
        Ok(self.template.sigops.clone())
    }

    fn get_coinbase_tx(&self) -> Result<CoinbaseTx, Error> {
        Ok(self.template.coinbase.clone())
    }

    fn get_coinbase_merkle_path(&self) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self
            .template
            .merkle_path
            .iter()
            .map(|h| h.to_vec())
            .collect())
    }

    fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: &[u8],
    ) -> Result<BlockVerdict, Error> {
        let block = template::solve(&self.template, version, timestamp, nonce, coinbase)
            .map_err(Error::failed)?;
        Ok(self.ctx.submit(&block))
    }

    fn wait_next(
        &self,
        options: &BlockWaitOptions,
    ) -> Result<Option<Box<dyn BlockTemplate>>, Error> {
        let deadline = deadline(options.timeout);
        let prev = self.prev().to_byte_array();
        let current_fees = i64::try_from(self.template.total_fees.to_sat()).unwrap_or(i64::MAX);
        let watch_fees = options.fee_threshold < MAX_MONEY;
        self.ctx.watcher.refresh(&self.ctx.chain);
        let mut seen_updates = self.updates;
        loop {
            let tick = Instant::now() + TICK;
            let until = deadline.map_or(tick, |d| d.min(tick));
            let tip = match self
                .ctx
                .watcher
                .wait(Some(until), &self.interrupted, |tip| {
                    tip.is_some_and(|t| t.hash != prev)
                }) {
                Waited::Interrupted => return Ok(None),
                Waited::Tip(tip) => tip,
            };
            let tip_changed = tip.is_some_and(|t| t.hash != prev) || self.min_difficulty_due();
            if tip_changed {
                return Ok(Some(Box::new(self.ctx.template(&self.options)?)));
            }
            // Unlike Core, build a candidate only when the mempool changed since the last.
            let updates = self.ctx.source.transactions_updated();
            if watch_fees && seen_updates != updates {
                seen_updates = updates;
                let next = self.ctx.template(&self.options)?;
                let fees = i64::try_from(next.template.total_fees.to_sat()).unwrap_or(i64::MAX);
                if fees >= current_fees.saturating_add(options.fee_threshold) {
                    return Ok(Some(Box::new(next)));
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
        }
    }

    fn interrupt_wait(&self) -> Result<(), Error> {
        self.ctx.watcher.interrupt(&self.interrupted);
        Ok(())
    }
}
