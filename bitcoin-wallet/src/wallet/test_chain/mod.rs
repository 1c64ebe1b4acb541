//! An in-memory [`Chain`] for tests: a real chain of rust-bitcoin blocks (regtest genesis,
//! coinbases with the height, valid previous hashes and merkle roots, no proof of work), a
//! mempool, a straightforward `scan`, reorgs that replace the top blocks, and notifications
//! delivered synchronously on the calling thread. The [`Chain`] implementation is in
//! [`chain`].

mod chain;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bdk_wallet::bitcoin::blockdata::block::{Header, Version as BlockVersion};
use bdk_wallet::bitcoin::consensus::{deserialize, serialize};
use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::script::Builder;
use bdk_wallet::bitcoin::transaction::Version;
use bdk_wallet::bitcoin::{
    absolute, Amount, Block, BlockHash, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Txid, Witness,
};
use interfaces::{
    BlockInfo, BlockRef, Chain, ChainNotifications, Error, FeeEstimate, Handler, RelayFees, Rpc,
    RpcMethodInfo, ScanMatch, ScanRequest, ScanResult,
};

/// What the test chain holds.
struct Inner {
    /// The active chain; index = height.
    blocks: Vec<Block>,
    /// Every block ever made, with its height.
    known: HashMap<BlockHash, (i32, Block)>,
    mempool: Vec<Transaction>,
    fee_estimate: i64,
    reject: Option<String>,
    tag: u32,
}

/// The in-memory chain.
pub struct TestChain {
    me: Weak<TestChain>,
    inner: Mutex<Inner>,
    subscribers: Mutex<Vec<(u64, Arc<dyn ChainNotifications>)>>,
    next_id: AtomicU64,
    /// How many scans were made.
    pub scans: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn info(block: &Block, height: i32) -> BlockInfo {
    BlockInfo {
        hash: block.block_hash().to_byte_array(),
        prev_hash: block.header.prev_blockhash.to_byte_array(),
        height,
        time: i64::from(block.header.time),
    }
}

/// A block on `prev` at `height` paying its coinbase to `script`, holding `txs`.
fn make_block(
    prev: &Block,
    height: u32,
    txs: Vec<Transaction>,
    script: &ScriptBuf,
    tag: u32,
) -> Block {
    let coinbase = Transaction {
        version: Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: Builder::new()
                .push_int(i64::from(height))
                .push_int(i64::from(tag))
                .into_script(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_btc(50.0).unwrap_or(Amount::ZERO),
            script_pubkey: script.clone(),
        }],
    };
    let mut block = Block {
        header: Header {
            version: BlockVersion::from_consensus(0x2000_0000),
            prev_blockhash: prev.block_hash(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: prev.header.time + 600,
            bits: prev.header.bits,
            nonce: tag,
        },
        txdata: std::iter::once(coinbase).chain(txs).collect(),
    };
    block.header.merkle_root = block
        .compute_merkle_root()
        .unwrap_or(TxMerkleNode::all_zeros());
    block
}

/// Removes a subscription when dropped.
struct Subscription {
    chain: Weak<TestChain>,
    id: u64,
}

impl Handler for Subscription {
    fn disconnect(&self) -> Result<(), Error> {
        if let Some(chain) = self.chain.upgrade() {
            lock(&chain.subscribers).retain(|(id, _)| *id != self.id);
        }
        Ok(())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}

impl TestChain {
    /// A chain holding the regtest genesis block.
    pub fn new() -> Arc<TestChain> {
        let genesis = bdk_wallet::bitcoin::constants::genesis_block(Network::Regtest);
        let known = HashMap::from([(genesis.block_hash(), (0, genesis.clone()))]);
        Arc::new_cyclic(|me| TestChain {
            me: me.clone(),
            inner: Mutex::new(Inner {
                blocks: vec![genesis],
                known,
                mempool: Vec::new(),
                fee_estimate: 0,
                reject: None,
                tag: 0,
            }),
            subscribers: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            scans: AtomicU64::new(0),
        })
    }

    fn notify(&self, f: impl Fn(&dyn ChainNotifications)) {
        let subscribers: Vec<_> = lock(&self.subscribers)
            .iter()
            .map(|(_, s)| s.clone())
            .collect();
        for s in subscribers {
            f(s.as_ref());
        }
    }

    /// Mines `n` blocks paying `script`; the first takes the whole mempool.
    pub fn mine(&self, n: usize, script: &ScriptBuf) -> Vec<BlockHash> {
        let mut made = Vec::new();
        for _ in 0..n {
            let block = {
                let mut inner = lock(&self.inner);
                inner.tag += 1;
                let txs = std::mem::take(&mut inner.mempool);
                let prev = inner.blocks.last().cloned().unwrap_or_else(|| {
                    bdk_wallet::bitcoin::constants::genesis_block(Network::Regtest)
                });
                let height = inner.blocks.len();
                let block = make_block(&prev, height as u32, txs, script, inner.tag);
                inner
                    .known
                    .insert(block.block_hash(), (height as i32, block.clone()));
                inner.blocks.push(block.clone());
                (block, height as i32)
            };
            made.push(block.0.block_hash());
            self.notify(|s| {
                let _ = s.block_connected(&info(&block.0, block.1));
            });
        }
        self.notify(|s| {
            let _ = s.updated_block_tip();
        });
        made
    }

    /// Disconnects the top `depth` blocks (their transactions back to the mempool when
    /// `keep_txs`), then mines `replace` new blocks paying `script`.
    pub fn reorg(
        &self,
        depth: usize,
        replace: usize,
        keep_txs: bool,
        script: &ScriptBuf,
    ) -> Vec<BlockHash> {
        for _ in 0..depth {
            let (block, height) = {
                let mut inner = lock(&self.inner);
                let height = inner.blocks.len() as i32 - 1;
                let Some(block) = inner.blocks.pop() else {
                    break;
                };
                if keep_txs {
                    let mut back: Vec<Transaction> = block.txdata.iter().skip(1).cloned().collect();
                    back.append(&mut inner.mempool);
                    inner.mempool = back;
                } else {
                    let gone: HashSet<Txid> =
                        block.txdata.iter().map(|t| t.compute_txid()).collect();
                    inner.mempool.retain(|t| {
                        !t.input
                            .iter()
                            .any(|i| gone.contains(&i.previous_output.txid))
                    });
                }
                (block, height)
            };
            self.notify(|s| {
                let _ = s.block_disconnected(&info(&block, height));
            });
        }
        self.mine(replace, script)
    }

    /// Sets what `estimate_smart_fee` answers (satoshis per 1000 vbytes; 0: no estimate).
    pub fn set_fee_estimate(&self, per_kvb: i64) {
        lock(&self.inner).fee_estimate = per_kvb;
    }

    /// Makes `broadcast_transaction` fail with `reason` (or succeed again with `None`).
    pub fn set_reject(&self, reason: Option<&str>) {
        lock(&self.inner).reject = reason.map(str::to_string);
    }

    /// The mempool.
    pub fn mempool(&self) -> Vec<Transaction> {
        lock(&self.inner).mempool.clone()
    }

    /// Adds `tx` to the mempool without checks or notifications.
    pub fn add_to_mempool_silently(&self, tx: Transaction) {
        lock(&self.inner).mempool.push(tx);
    }

    /// The height of the tip.
    pub fn height(&self) -> i32 {
        lock(&self.inner).blocks.len() as i32 - 1
    }

    /// The active block at `height`.
    pub fn block(&self, height: usize) -> Option<Block> {
        lock(&self.inner).blocks.get(height).cloned()
    }

    /// The outputs not spent by the active chain or the mempool (leaving out the mempool
    /// transactions in `without`).
    fn unspent(inner: &Inner, without: &HashSet<Txid>) -> HashMap<OutPoint, TxOut> {
        let mut utxos = HashMap::new();
        let txs = inner.blocks.iter().flat_map(|b| b.txdata.iter()).chain(
            inner
                .mempool
                .iter()
                .filter(|t| !without.contains(&t.compute_txid())),
        );
        for tx in txs {
            for input in &tx.input {
                utxos.remove(&input.previous_output);
            }
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                utxos.insert(OutPoint::new(txid, vout as u32), out.clone());
            }
        }
        utxos
    }

    /// The mempool transactions `tx` replaces (full RBF): those spending one of its inputs,
    /// and their descendants.
    fn conflicts(inner: &Inner, tx: &Transaction) -> HashSet<Txid> {
        let mut gone: HashSet<Txid> = inner
            .mempool
            .iter()
            .filter(|t| {
                t.input.iter().any(|i| {
                    tx.input
                        .iter()
                        .any(|o| o.previous_output == i.previous_output)
                })
            })
            .map(Transaction::compute_txid)
            .collect();
        loop {
            let more: Vec<Txid> = inner
                .mempool
                .iter()
                .filter(|t| {
                    t.input
                        .iter()
                        .any(|i| gone.contains(&i.previous_output.txid))
                })
                .map(Transaction::compute_txid)
                .filter(|t| !gone.contains(t))
                .collect();
            if more.is_empty() {
                return gone;
            }
            gone.extend(more);
        }
    }
}
