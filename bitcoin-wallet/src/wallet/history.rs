//! What the wallet knows about its transactions and coins, computed as Core computes it
//! (`CachedTxIsTrusted`, `GetBalance`, `GetAmounts`, coinbase maturity of 101 confirmations):
//! one [`TxRecord`] per wallet transaction (abandoned ones included, marked and not
//! counted), one [`UnspentRecord`] per unspent output.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bdk_wallet::bitcoin::{Address, BlockHash, Network, OutPoint, Transaction, TxOut, Txid};
use bdk_wallet::chain::ChainPosition;
use bdk_wallet::miniscript::Descriptor;
use bdk_wallet::{KeychainKind, WalletTx};

use crate::wallet::store::{Store, TxComments};

/// Confirmations a coinbase output needs before it counts (Core: `COINBASE_MATURITY + 1`).
pub const COINBASE_CONFIRMATIONS: u32 = 101;

/// The block a transaction is confirmed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockPlace {
    /// Its hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u32,
    /// Its timestamp.
    pub time: u64,
    /// The transaction's position in it, when known.
    pub index: Option<u32>,
}

/// One output as `listtransactions` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRecord {
    /// Its index in the transaction.
    pub vout: u32,
    /// The address it pays, when it has one.
    pub address: Option<String>,
    /// Satoshis.
    pub amount: u64,
    /// The label of the address, when the address book has it.
    pub label: Option<String>,
    /// The descriptor that derives the script, for the wallet's own outputs.
    pub parent_desc: Option<String>,
}

/// One wallet transaction.
#[derive(Debug, Clone)]
pub struct TxRecord {
    /// Its id.
    pub txid: Txid,
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Confirmations counted from the wallet's last processed block; 0 when unconfirmed.
    pub confirmations: u32,
    /// Where it is confirmed.
    pub block: Option<BlockPlace>,
    /// When the wallet first saw it (or the block time).
    pub time: u64,
    /// Whether it is a coinbase transaction.
    pub coinbase: bool,
    /// Whether it is a coinbase with fewer than 101 confirmations.
    pub immature: bool,
    /// Core's `CachedTxIsTrusted`.
    pub trusted: bool,
    /// Whether any input signals BIP125 replaceability.
    pub signals_rbf: bool,
    /// Satoshis the wallet's inputs spend.
    pub debit: u64,
    /// Satoshis paid to the wallet.
    pub credit: u64,
    /// Whether every input is the wallet's.
    pub all_inputs_mine: bool,
    /// Outputs shown as sent (when the wallet spends in it: all but change).
    pub sends: Vec<OutputRecord>,
    /// Outputs shown as received (the wallet's, except change of its own sends).
    pub receives: Vec<OutputRecord>,
    /// What the user wrote when sending it.
    pub comments: TxComments,
    /// Whether the user abandoned it (Core's `isAbandoned`): it no longer counts, its inputs
    /// are spendable again, but it stays in the history.
    pub abandoned: bool,
}

impl TxRecord {
    /// Core's fee of a transaction the wallet spends in: inputs it spends minus all outputs.
    pub fn fee(&self) -> Option<i64> {
        let out: u64 = self.tx.output.iter().map(|o| o.value.to_sat()).sum();
        (self.debit > 0).then(|| to_i64(self.debit) - to_i64(out))
    }
}

/// One unspent output of the wallet.
#[derive(Debug, Clone)]
pub struct UnspentRecord {
    /// Where it is.
    pub outpoint: OutPoint,
    /// The output.
    pub txout: TxOut,
    /// The keychain and index of its script.
    pub keychain: KeychainKind,
    /// The derivation index of its script.
    pub index: u32,
    /// Confirmations (0 when unconfirmed).
    pub confirmations: u32,
    /// Whether it is an immature coinbase output.
    pub immature: bool,
    /// Core's `safe`: confirmed, or unconfirmed and trusted.
    pub safe: bool,
    /// Whether its transaction is in the mempool (unconfirmed ones only).
    pub in_mempool: bool,
    /// The address.
    pub address: Option<String>,
    /// The address's label.
    pub label: Option<String>,
    /// Whether the user locked it (`lockunspent`): coin selection and `listunspent` skip it.
    pub locked: bool,
    /// The pair deriving it (0: the primary one; see [`Store::pair`]).
    pub pair: usize,
    /// The descriptor deriving it, in Core's text.
    pub parent_desc: String,
}

/// Satoshis as `i64`, saturating.
pub fn to_i64(sats: u64) -> i64 {
    i64::try_from(sats).unwrap_or(i64::MAX)
}

/// Core's descriptor text of a wallet descriptor: hardened steps as `h`, with checksum.
pub fn descriptor_text(
    descriptor: &Descriptor<bdk_wallet::miniscript::DescriptorPublicKey>,
) -> String {
    let text = descriptor.to_string();
    let body = text.split('#').next().unwrap_or(&text).replace('\'', "h");
    match rpc::descriptor::checksum(&body) {
        Some(sum) => format!("{body}#{sum}"),
        None => body,
    }
}

/// A transaction the wallet holds but BDK does not count (abandoned, or conflicted), as an
/// unconfirmed wallet transaction.
fn held_tx(store: &Store, txid: Txid) -> Option<WalletTx<'_>> {
    let node = store
        .wallets()
        .find_map(|w| w.tx_graph().get_tx_node(txid))?;
    Some(WalletTx {
        chain_position: ChainPosition::Unconfirmed {
            first_seen: node.first_seen,
            last_seen: node.last_seen,
        },
        tx_node: node,
    })
}

/// The transactions of one wallet, with Core's trust rule computed once.
pub struct Ledger<'a> {
    store: &'a Store,
    network: Network,
    in_mempool: &'a HashMap<Txid, u64>,
    txs: HashMap<Txid, WalletTx<'a>>,
    /// Abandoned transactions (in `txs` too, as unconfirmed): held, not counted.
    abandoned: HashSet<Txid>,
    trusted: HashMap<Txid, bool>,
    tip_height: u32,
    /// Per pair, the descriptor text of each keychain.
    parent_descs: Vec<[String; 2]>,
}

impl<'a> Ledger<'a> {
    /// The ledger of `store`'s wallet; `in_mempool` are the unconfirmed transactions the
    /// node's mempool holds.
    pub fn new(
        store: &'a Store,
        network: Network,
        in_mempool: &'a HashMap<Txid, u64>,
    ) -> Ledger<'a> {
        let wallet = &store.wallet;
        // Every pair's transactions; one seen by several pairs once (confirmed if any pair
        // has it confirmed).
        let mut txs: HashMap<Txid, WalletTx<'a>> = HashMap::new();
        for wtx in store.wallets().flat_map(|w| w.transactions()) {
            match txs.get(&wtx.tx_node.txid) {
                Some(known) if known.chain_position.is_confirmed() => {}
                Some(_) if !wtx.chain_position.is_confirmed() => {}
                _ => {
                    txs.insert(wtx.tx_node.txid, wtx);
                }
            }
        }
        let mut abandoned = HashSet::new();
        for txid in store.abandoned() {
            // Abandonment ends when the transaction confirms or returns to the mempool
            // (BDK counts it again then).
            if txs.contains_key(txid) {
                continue;
            }
            if let Some(wtx) = held_tx(store, *txid) {
                txs.insert(*txid, wtx);
                abandoned.insert(*txid);
            }
        }
        let mut ledger = Ledger {
            store,
            network,
            in_mempool,
            txs,
            abandoned,
            trusted: HashMap::new(),
            tip_height: wallet.latest_checkpoint().height(),
            parent_descs: store
                .wallets()
                .map(|w| {
                    [
                        descriptor_text(w.public_descriptor(KeychainKind::External)),
                        descriptor_text(w.public_descriptor(KeychainKind::Internal)),
                    ]
                })
                .collect(),
        };
        let ids: Vec<Txid> = ledger.txs.keys().copied().collect();
        for txid in ids {
            ledger.trust(txid, 0);
        }
        ledger
    }

    /// Core's `CachedTxIsTrusted`: confirmed, or in the mempool with every input the wallet's
    /// own output of a trusted transaction.
    fn trust(&mut self, txid: Txid, depth: u32) -> bool {
        if let Some(known) = self.trusted.get(&txid) {
            return *known;
        }
        let Some(wtx) = self.txs.get(&txid) else {
            return false;
        };
        let verdict = if wtx.chain_position.is_confirmed() {
            true
        } else if self.abandoned.contains(&txid)
            || !self.in_mempool.contains_key(&txid)
            || depth > 200
        {
            false
        } else {
            let inputs: Vec<OutPoint> = wtx
                .tx_node
                .tx
                .input
                .iter()
                .map(|i| i.previous_output)
                .collect();
            inputs.iter().all(|prev| {
                let mine = self
                    .txs
                    .get(&prev.txid)
                    .and_then(|p| p.tx_node.tx.output.get(prev.vout as usize))
                    .is_some_and(|o| self.store.is_mine(&o.script_pubkey));
                mine && self.trust(prev.txid, depth + 1)
            })
        };
        self.trusted.insert(txid, verdict);
        verdict
    }

    fn confirmations(
        &self,
        position: &ChainPosition<bdk_wallet::chain::ConfirmationBlockTime>,
    ) -> u32 {
        match position {
            ChainPosition::Confirmed { anchor, .. } => {
                (self.tip_height + 1).saturating_sub(anchor.block_id.height)
            }
            ChainPosition::Unconfirmed { .. } => 0,
        }
    }

    fn address(&self, txout: &TxOut) -> Option<String> {
        Address::from_script(&txout.script_pubkey, self.network)
            .ok()
            .map(|a| a.to_string())
    }

    fn parent_desc(&self, pair: usize, keychain: KeychainKind) -> String {
        self.parent_descs
            .get(pair)
            .map(|d| d[keychain as usize].clone())
            .unwrap_or_default()
    }

    fn output(
        &self,
        vout: usize,
        txout: &TxOut,
        mine: Option<(usize, KeychainKind)>,
    ) -> OutputRecord {
        let address = self.address(txout);
        let label = address
            .as_deref()
            .and_then(|a| self.store.label(a))
            .map(str::to_string);
        OutputRecord {
            vout: u32::try_from(vout).unwrap_or(u32::MAX),
            address,
            amount: txout.value.to_sat(),
            label,
            parent_desc: mine.map(|(p, k)| self.parent_desc(p, k)),
        }
    }

    fn record(&self, wtx: &WalletTx<'a>) -> TxRecord {
        let tx = wtx.tx_node.tx.clone();
        let txid = wtx.tx_node.txid;
        let mut debit = 0;
        let mut all_inputs_mine = !tx.is_coinbase();
        for input in &tx.input {
            match self.store.owned_txout(input.previous_output) {
                Some(txout) => debit += txout.value.to_sat(),
                None => all_inputs_mine = false,
            }
        }
        let (mut credit, mut sends, mut receives) = (0, Vec::new(), Vec::new());
        for (vout, txout) in tx.output.iter().enumerate() {
            let keychain = self
                .store
                .locate(&txout.script_pubkey)
                .map(|(p, k, _)| (p, k));
            let labelled = self
                .address(txout)
                .is_some_and(|a| self.store.label(&a).is_some());
            if keychain.is_some() {
                credit += txout.value.to_sat();
            }
            let change = keychain.is_some() && !labelled;
            if debit > 0 && change {
                continue;
            }
            if debit > 0 {
                sends.push(self.output(vout, txout, None));
            }
            if keychain.is_some() {
                receives.push(self.output(vout, txout, keychain));
            }
        }
        let confirmations = self.confirmations(&wtx.chain_position);
        let block = match &wtx.chain_position {
            ChainPosition::Confirmed { anchor, .. } => Some(BlockPlace {
                hash: anchor.block_id.hash,
                height: anchor.block_id.height,
                time: anchor.confirmation_time,
                index: self.store.position(&txid, &anchor.block_id.hash),
            }),
            ChainPosition::Unconfirmed { .. } => None,
        };
        let time = wtx
            .tx_node
            .first_seen
            .or(block.map(|b| b.time))
            .unwrap_or(0);
        let coinbase = tx.is_coinbase();
        TxRecord {
            txid,
            confirmations,
            block,
            time,
            coinbase,
            immature: coinbase && confirmations < COINBASE_CONFIRMATIONS,
            trusted: self.trusted.get(&txid).copied().unwrap_or(false),
            signals_rbf: tx.is_explicitly_rbf(),
            debit,
            credit,
            all_inputs_mine,
            sends,
            receives,
            comments: self.store.comments(&txid).cloned().unwrap_or_default(),
            abandoned: self.abandoned.contains(&txid),
            tx,
        }
    }

    /// Every wallet transaction, oldest first (in the order the wallet learnt of them).
    pub fn records(&self) -> Vec<TxRecord> {
        let mut records: Vec<TxRecord> = self.txs.values().map(|t| self.record(t)).collect();
        records.sort_by_key(|r| {
            let place = r
                .block
                .map_or((u32::MAX, u32::MAX), |b| (b.height, b.index.unwrap_or(0)));
            (self.store.order(&r.txid).unwrap_or(u64::MAX), place, r.txid)
        });
        records
    }

    /// One wallet transaction.
    pub fn record_of(&self, txid: &Txid) -> Option<TxRecord> {
        self.txs.get(txid).map(|t| self.record(t))
    }

    /// One transaction the wallet holds, counted or not (a reorg may have left it conflicted
    /// by the new chain); not counted ones as unconfirmed.
    pub fn held_record(&self, txid: &Txid) -> Option<TxRecord> {
        self.record_of(txid)
            .or_else(|| held_tx(self.store, *txid).map(|t| self.record(&t)))
    }

    /// How many transactions the wallet holds.
    pub fn tx_count(&self) -> usize {
        self.txs.len()
    }

    /// Every unspent output.
    pub fn unspent(&self) -> Vec<UnspentRecord> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let utxos = self
            .store
            .wallets()
            .enumerate()
            .flat_map(|(n, w)| w.list_unspent().map(move |u| (n, u)));
        for (pair, utxo) in utxos {
            if !seen.insert(utxo.outpoint) {
                continue;
            }
            let txid = utxo.outpoint.txid;
            let coinbase = self
                .txs
                .get(&txid)
                .is_some_and(|t| t.tx_node.tx.is_coinbase());
            let confirmations = self.confirmations(&utxo.chain_position);
            let trusted = self.trusted.get(&txid).copied().unwrap_or(false);
            let address = self.address(&utxo.txout);
            let label = address
                .as_deref()
                .and_then(|a| self.store.label(a))
                .map(str::to_string);
            out.push(UnspentRecord {
                outpoint: utxo.outpoint,
                keychain: utxo.keychain,
                index: utxo.derivation_index,
                confirmations,
                immature: coinbase && confirmations < COINBASE_CONFIRMATIONS,
                safe: trusted,
                in_mempool: confirmations == 0 && self.in_mempool.contains_key(&txid),
                address,
                label,
                locked: self.store.is_locked(&utxo.outpoint),
                pair,
                parent_desc: self.parent_desc(pair, utxo.keychain),
                txout: utxo.txout,
            });
        }
        out.sort_by_key(|u| (std::cmp::Reverse(u.confirmations), u.outpoint));
        out
    }

    /// Core's `GetBalance(min_depth)`: (trusted, untrusted pending, immature) satoshis.
    pub fn balances(&self, min_depth: u32) -> (u64, u64, u64) {
        let (mut trusted, mut untrusted, mut immature) = (0, 0, 0);
        for u in self.unspent() {
            let value = u.txout.value.to_sat();
            if u.immature {
                immature += value;
            } else if u.safe {
                if u.confirmations >= min_depth {
                    trusted += value;
                }
            } else if u.confirmations == 0 && u.in_mempool {
                untrusted += value;
            }
        }
        (trusted, untrusted, immature)
    }
}
