//! A wallet's stores: one BDK wallet per active descriptor pair (BDK's tables have fixed
//! names, so one database each: the primary pair's `wallet.sqlite`, the others'
//! `<type>.sqlite`, e.g. `tr.sqlite`; every chain update goes to every pair, and the primary
//! pair's chain is the wallet's last processed block). `wallet.sqlite` holds BDK's tables
//! (descriptors, chain, transactions, index) plus
//! seven of ours — address labels, send comments, the position of each confirmed transaction
//! in its block, every block the wallet saw each transaction confirmed in (kept after a reorg
//! takes the block away: `listsinceblock`'s `removed`), the order in which the wallet learnt
//! of its transactions (Core's `nOrderPos`), the persistent coin locks (Core's `lockunspent
//! ... true`) and the abandoned transactions (Core's `abandontransaction`) — kept in memory
//! and written through. Locks that are not persistent live in memory only. Every table is
//! created with `IF NOT EXISTS`, so wallets written by an older build open unchanged.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use bdk_wallet::bitcoin::{BlockHash, Network, OutPoint, Txid};
use bdk_wallet::rusqlite::{params, Connection};
use bdk_wallet::{ChangeSet, KeychainKind, PersistedWallet, Wallet, WalletPersister};

use crate::wallet::error::WalletError;
use crate::wallet::files::DB_FILE;
use crate::wallet::keys::{pair_kind, KeyMaterial};

/// Keys derived ahead of the last revealed one on each keychain (Core's `-keypool` default).
pub const LOOKAHEAD: u32 = 1000;

/// Our tables, created when missing.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rbw_labels (address TEXT PRIMARY KEY NOT NULL, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rbw_comments (txid TEXT PRIMARY KEY NOT NULL, comment TEXT, comment_to TEXT);
CREATE TABLE IF NOT EXISTS rbw_positions (txid TEXT PRIMARY KEY NOT NULL, block TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rbw_order (txid TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rbw_locked (txid TEXT NOT NULL, vout INTEGER NOT NULL, PRIMARY KEY (txid, vout));
CREATE TABLE IF NOT EXISTS rbw_block_txs (block TEXT NOT NULL, txid TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (block, txid));
CREATE TABLE IF NOT EXISTS rbw_abandoned (txid TEXT PRIMARY KEY NOT NULL);";

/// What the user wrote about a transaction it sent (`sendtoaddress`'s `comment`, `comment_to`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxComments {
    /// `comment`.
    pub comment: Option<String>,
    /// `comment_to` (Core's `to`).
    pub comment_to: Option<String>,
}

/// One more active descriptor pair of a wallet: its own BDK wallet in `<kind>.sqlite`
/// (BDK's tables have fixed names, so one database per pair).
pub struct Pair {
    /// The BDK wallet of the pair.
    pub wallet: PersistedWallet<Connection>,
    conn: Connection,
    /// Its output type ([`crate::wallet::keys::pair_kind`]).
    pub kind: &'static str,
}

/// The open store of one wallet: the BDK wallet of its primary pair, those of its other
/// pairs, its connection and our metadata. The primary pair's chain is the wallet's (its
/// last processed block); every update goes to every pair.
pub struct Store {
    /// The BDK wallet of the primary pair (`wallet.sqlite`).
    pub wallet: PersistedWallet<Connection>,
    /// The other active pairs, in `keys.json` order.
    pub extras: Vec<Pair>,
    /// Pairs of an existing wallet whose store was missing (a restored backup holds the
    /// primary store only) and was made anew when opening: they need a rescan.
    pub fresh_pairs: usize,
    conn: Connection,
    labels: HashMap<String, String>,
    comments: HashMap<Txid, TxComments>,
    positions: HashMap<Txid, (BlockHash, u32)>,
    order: HashMap<Txid, u64>,
    /// Locked coins, each with whether its lock is written to the database.
    locked: HashMap<OutPoint, bool>,
    /// Every block a transaction was seen confirmed in: its transactions with positions.
    block_txs: HashMap<BlockHash, Vec<(u32, Txid)>>,
    /// Transactions the user abandoned.
    abandoned: HashSet<Txid>,
}

fn db_error(name: &str, e: impl std::fmt::Display) -> WalletError {
    WalletError::corrupt(name, format!("{DB_FILE}: {e}"))
}

/// The store file of a pair of `kind`.
pub fn pair_file(kind: &str) -> String {
    format!("{kind}.sqlite")
}

/// Creates the BDK wallet of a pair in `path`.
fn create_bdk(
    path: &Path,
    external: &str,
    internal: &str,
    network: Network,
) -> Result<(PersistedWallet<Connection>, Connection), WalletError> {
    let mut conn =
        Connection::open(path).map_err(|e| WalletError::storage("Failed to create", path, e))?;
    let wallet = Wallet::create(external.to_string(), internal.to_string())
        .network(network)
        .lookahead(LOOKAHEAD)
        .use_spk_cache(true)
        .create_wallet(&mut conn)
        .map_err(|e| WalletError::storage("Failed to create", path, e))?;
    Ok((wallet, conn))
}

/// Loads the BDK wallet of a pair from `conn`, checking its descriptors and network.
fn load_bdk(
    conn: &mut Connection,
    external: &str,
    internal: &str,
    network: Network,
    name: &str,
) -> Result<PersistedWallet<Connection>, WalletError> {
    Wallet::load()
        .check_network(network)
        .descriptor(KeychainKind::External, Some(external.to_string()))
        .descriptor(KeychainKind::Internal, Some(internal.to_string()))
        .lookahead(LOOKAHEAD)
        .use_spk_cache(true)
        .load_wallet(conn)
        .map_err(|e| db_error(name, e))?
        .ok_or_else(|| db_error(name, "no wallet data"))
}

/// Opens (or creates, when missing) the stores of `keys`' extra pairs in `dir`.
fn open_pairs(
    dir: &Path,
    name: &str,
    keys: &KeyMaterial,
    network: Network,
) -> Result<(Vec<Pair>, usize), WalletError> {
    let mut pairs = Vec::new();
    let mut fresh = 0;
    for (external, internal) in &keys.extra {
        let kind = pair_kind(external)
            .ok_or_else(|| WalletError::corrupt(name, "keys.json: unknown pair type"))?;
        let path = dir.join(pair_file(kind));
        let (wallet, conn) = if path.is_file() {
            let mut conn = Connection::open(&path).map_err(|e| db_error(name, e))?;
            let wallet = load_bdk(&mut conn, external, internal, network, name)?;
            (wallet, conn)
        } else {
            fresh += 1;
            create_bdk(&path, external, internal, network)?
        };
        pairs.push(Pair { wallet, conn, kind });
    }
    Ok((pairs, fresh))
}

impl Store {
    /// Creates the store of a new wallet in `dir` with the descriptors of `keys`.
    pub fn create(
        dir: &Path,
        name: &str,
        keys: &KeyMaterial,
        network: Network,
    ) -> Result<Store, WalletError> {
        let (wallet, conn) =
            create_bdk(&dir.join(DB_FILE), &keys.external, &keys.internal, network)?;
        let (extras, _) = open_pairs(dir, name, keys, network)?;
        Store::finish_open(wallet, extras, conn, name)
    }

    /// Opens the store in `dir`, checking it holds the descriptors of `keys` for `network`.
    pub fn open(
        dir: &Path,
        name: &str,
        keys: &KeyMaterial,
        network: Network,
    ) -> Result<Store, WalletError> {
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path).map_err(|e| db_error(name, e))?;
        let wallet = load_bdk(&mut conn, &keys.external, &keys.internal, network, name)?;
        let (extras, fresh) = open_pairs(dir, name, keys, network)?;
        let mut store = Store::finish_open(wallet, extras, conn, name)?;
        store.fresh_pairs = fresh;
        // A pair whose store was just made (or lags) starts at the wallet's chain.
        store.align_pairs()?;
        Ok(store)
    }

    fn finish_open(
        wallet: PersistedWallet<Connection>,
        extras: Vec<Pair>,
        conn: Connection,
        name: &str,
    ) -> Result<Store, WalletError> {
        conn.execute_batch(SCHEMA).map_err(|e| db_error(name, e))?;
        let mut store = Store {
            wallet,
            extras,
            fresh_pairs: 0,
            conn,
            labels: HashMap::new(),
            comments: HashMap::new(),
            positions: HashMap::new(),
            order: HashMap::new(),
            locked: HashMap::new(),
            block_txs: HashMap::new(),
            abandoned: HashSet::new(),
        };
        store.read_metadata().map_err(|e| db_error(name, e))?;
        store.read_history().map_err(|e| db_error(name, e))?;
        Ok(store)
    }

    fn read_metadata(&mut self) -> Result<(), bdk_wallet::rusqlite::Error> {
        let mut statement = self.conn.prepare("SELECT address, label FROM rbw_labels")?;
        let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        self.labels = rows.collect::<Result<_, _>>()?;
        let mut statement = self
            .conn
            .prepare("SELECT txid, comment, comment_to FROM rbw_comments")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            let (txid, comment, comment_to) = row?;
            if let Ok(txid) = txid.parse::<Txid>() {
                self.comments.insert(
                    txid,
                    TxComments {
                        comment,
                        comment_to,
                    },
                );
            }
        }
        let mut statement = self
            .conn
            .prepare("SELECT txid, block, position FROM rbw_positions")?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        for row in rows {
            let (txid, block, position) = row?;
            if let (Ok(txid), Ok(block)) = (txid.parse::<Txid>(), block.parse::<BlockHash>()) {
                self.positions.insert(txid, (block, position));
            }
        }
        let mut statement = self.conn.prepare("SELECT txid, seq FROM rbw_order")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (txid, seq) = row?;
            if let (Ok(txid), Ok(seq)) = (txid.parse::<Txid>(), u64::try_from(seq)) {
                self.order.insert(txid, seq);
            }
        }
        let mut statement = self.conn.prepare("SELECT txid, vout FROM rbw_locked")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        for row in rows {
            let (txid, vout) = row?;
            if let Ok(txid) = txid.parse::<Txid>() {
                self.locked.insert(OutPoint::new(txid, vout), true);
            }
        }
        Ok(())
    }

    /// Writes the wallet's staged changes, then a consistent copy of the database to `path`
    /// (which must not exist).
    pub fn copy_into(&mut self, path: &Path) -> Result<(), WalletError> {
        self.persist()?;
        let path = path
            .to_str()
            .ok_or_else(|| WalletError::Storage(format!("{} is not UTF-8", path.display())))?;
        self.conn
            .execute("VACUUM INTO ?1", params![path])
            .map(|_| ())
            .map_err(|e| WalletError::Storage(format!("Failed to copy the wallet database: {e}")))
    }

    /// Writes the staged changes of every pair.
    pub fn persist(&mut self) -> Result<(), WalletError> {
        let failed = |e| WalletError::Storage(format!("Failed to write the wallet database: {e}"));
        self.wallet.persist(&mut self.conn).map_err(failed)?;
        for pair in &mut self.extras {
            pair.wallet.persist(&mut pair.conn).map_err(failed)?;
        }
        Ok(())
    }

    /// Every pair's BDK wallet, the primary one first.
    pub fn wallets(&self) -> impl Iterator<Item = &Wallet> {
        std::iter::once(&*self.wallet).chain(self.extras.iter().map(|p| &*p.wallet))
    }

    /// Every pair's BDK wallet, mutably, the primary one first.
    pub fn wallets_mut(&mut self) -> impl Iterator<Item = &mut Wallet> {
        std::iter::once(&mut *self.wallet).chain(self.extras.iter_mut().map(|p| &mut *p.wallet))
    }

    /// The BDK wallet of pair `pair` (0: the primary one).
    pub fn pair(&self, pair: usize) -> Option<&Wallet> {
        self.wallets().nth(pair)
    }

    /// The BDK wallet of pair `pair` (0: the primary one), mutably.
    pub fn pair_mut(&mut self, pair: usize) -> Option<&mut Wallet> {
        self.wallets_mut().nth(pair)
    }

    /// The pair of output type `kind`, by index (0: the primary one).
    pub fn pair_of_kind(&self, kind: &str) -> Option<usize> {
        let primary = crate::wallet::keys::descriptor_kind(
            self.wallet.public_descriptor(KeychainKind::External),
        );
        if primary == Some(kind) {
            return Some(0);
        }
        self.extras
            .iter()
            .position(|p| p.kind == kind)
            .map(|i| i + 1)
    }

    /// Which pair derives `script`: (pair, keychain, index).
    pub fn locate(
        &self,
        script: &bdk_wallet::bitcoin::Script,
    ) -> Option<(usize, KeychainKind, u32)> {
        self.wallets().enumerate().find_map(|(n, w)| {
            w.spk_index()
                .index_of_spk(script.to_owned())
                .map(|(k, i)| (n, *k, *i))
        })
    }

    /// Whether any pair derives `script`.
    pub fn is_mine(&self, script: &bdk_wallet::bitcoin::Script) -> bool {
        self.locate(script).is_some()
    }

    /// The output `outpoint` if one of the pairs owns it.
    pub fn owned_txout(&self, outpoint: OutPoint) -> Option<bdk_wallet::bitcoin::TxOut> {
        self.wallets()
            .find_map(|w| w.spk_index().txout(outpoint).map(|(_, t)| t.clone()))
    }

    /// How many scripts all pairs derive.
    pub fn script_count(&self) -> usize {
        self.wallets()
            .map(|w| w.spk_index().inner().all_spks().len())
            .sum()
    }

    /// Applies `update` to every pair; an error when one does not connect.
    pub fn apply_update_all(
        &mut self,
        update: &bdk_wallet::Update,
    ) -> Result<(), bdk_wallet::chain::local_chain::CannotConnectError> {
        for wallet in self.wallets_mut() {
            wallet.apply_update(update.clone())?;
        }
        Ok(())
    }

    /// Applies unconfirmed `tx`, seen at `seen`, to every pair (each keeps it when relevant).
    pub fn apply_unconfirmed_all(&mut self, tx: &bdk_wallet::bitcoin::Transaction, seen: u64) {
        for wallet in self.wallets_mut() {
            wallet.apply_unconfirmed_txs([(tx.clone(), seen)]);
        }
    }

    /// Brings every other pair's chain to the primary one's (a pair created after the
    /// wallet, or one whose write was lost).
    fn align_pairs(&mut self) -> Result<(), WalletError> {
        let tip = self.wallet.latest_checkpoint();
        let update = bdk_wallet::Update {
            chain: Some(tip.clone()),
            ..bdk_wallet::Update::default()
        };
        for pair in &mut self.extras {
            if pair.wallet.latest_checkpoint().block_id() != tip.block_id() {
                if let Err(e) = pair.wallet.apply_update(update.clone()) {
                    tracing::warn!(pair = pair.kind, "cannot align the pair's chain: {e}");
                }
            }
        }
        self.persist()
    }

    /// Adds (or replaces) the active pair of `kind` with a new store at the wallet's chain.
    pub fn add_pair(
        &mut self,
        dir: &Path,
        external: &str,
        internal: &str,
        network: Network,
    ) -> Result<(), WalletError> {
        let kind = pair_kind(external)
            .ok_or_else(|| WalletError::Unsupported("unknown descriptor type".into()))?;
        self.extras.retain(|p| p.kind != kind);
        let path = dir.join(pair_file(kind));
        if path.exists() {
            std::fs::remove_file(&path)
                .map_err(|e| WalletError::storage("Failed to replace", &path, e))?;
        }
        let (wallet, conn) = create_bdk(&path, external, internal, network)?;
        self.extras.push(Pair { wallet, conn, kind });
        self.align_pairs()
    }

    /// Forgets every checkpoint above `height` (the blocks a reorg took away) in every pair,
    /// so that their transactions are no longer confirmed: writes their removal and reloads
    /// the pairs.
    pub fn disconnect_above(
        &mut self,
        height: u32,
        name: &str,
        keys: &KeyMaterial,
    ) -> Result<(), WalletError> {
        self.persist()?;
        let network = self.wallet.network();
        if disconnect_one(&self.wallet, &mut self.conn, height)? {
            self.wallet = load_bdk(
                &mut self.conn,
                &keys.external,
                &keys.internal,
                network,
                name,
            )?;
        }
        for (pair, (external, internal)) in self.extras.iter_mut().zip(&keys.extra) {
            if disconnect_one(&pair.wallet, &mut pair.conn, height)? {
                pair.wallet = load_bdk(&mut pair.conn, external, internal, network, name)?;
            }
        }
        Ok(())
    }

    /// The label of `address`, if it has one.
    pub fn label(&self, address: &str) -> Option<&str> {
        self.labels.get(address).map(String::as_str)
    }

    /// Every labelled address with its label (Core's address book).
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().map(|(a, l)| (a.as_str(), l.as_str()))
    }

    /// Sets the label of `address`.
    pub fn set_label(&mut self, address: &str, label: &str) -> Result<(), WalletError> {
        self.conn
            .execute(
                "REPLACE INTO rbw_labels (address, label) VALUES (?1, ?2)",
                params![address, label],
            )
            .map_err(|e| WalletError::Storage(format!("Failed to write a label: {e}")))?;
        self.labels.insert(address.to_string(), label.to_string());
        Ok(())
    }

    /// The comments stored for `txid`.
    pub fn comments(&self, txid: &Txid) -> Option<&TxComments> {
        self.comments.get(txid)
    }

    /// Stores the comments of a sent transaction (nothing when both are empty).
    pub fn set_comments(&mut self, txid: Txid, comments: TxComments) -> Result<(), WalletError> {
        if comments.comment.is_none() && comments.comment_to.is_none() {
            return Ok(());
        }
        self.conn
            .execute(
                "REPLACE INTO rbw_comments (txid, comment, comment_to) VALUES (?1, ?2, ?3)",
                params![txid.to_string(), comments.comment, comments.comment_to],
            )
            .map_err(|e| WalletError::Storage(format!("Failed to write a comment: {e}")))?;
        self.comments.insert(txid, comments);
        Ok(())
    }

    /// The position of `txid` in `block`, if known.
    pub fn position(&self, txid: &Txid, block: &BlockHash) -> Option<u32> {
        self.positions
            .get(txid)
            .filter(|(b, _)| b == block)
            .map(|(_, p)| *p)
    }

    /// Records where confirmed transactions sit in their blocks (one database transaction).
    pub fn set_positions(&mut self, found: &[(Txid, BlockHash, u32)]) -> Result<(), WalletError> {
        let fresh: Vec<_> = found
            .iter()
            .filter(|(t, b, p)| self.positions.get(t) != Some(&(*b, *p)))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let write = |conn: &mut Connection| -> Result<(), bdk_wallet::rusqlite::Error> {
            let tx = conn.transaction()?;
            for (txid, block, position) in &fresh {
                tx.execute(
                    "REPLACE INTO rbw_positions (txid, block, position) VALUES (?1, ?2, ?3)",
                    params![txid.to_string(), block.to_string(), position],
                )?;
                tx.execute(
                    "REPLACE INTO rbw_block_txs (block, txid, position) VALUES (?1, ?2, ?3)",
                    params![block.to_string(), txid.to_string(), position],
                )?;
            }
            tx.commit()
        };
        write(&mut self.conn)
            .map_err(|e| WalletError::Storage(format!("Failed to write block positions: {e}")))?;
        for (txid, block, position) in fresh {
            self.positions.insert(*txid, (*block, *position));
            self.note_block_tx(*block, *position, *txid);
        }
        Ok(())
    }
}

impl Store {
    /// When the wallet learnt of `txid`, relative to its other transactions.
    pub fn order(&self, txid: &Txid) -> Option<u64> {
        self.order.get(txid).copied()
    }

    /// Numbers the transactions the wallet has no order for yet, in the order given.
    pub fn note_order(&mut self, txids: impl IntoIterator<Item = Txid>) -> Result<(), WalletError> {
        let mut next = self.order.values().max().map_or(0, |m| m + 1);
        let mut fresh = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for txid in txids {
            if !self.order.contains_key(&txid) && seen.insert(txid) {
                fresh.push((txid, next));
                next += 1;
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let write = |conn: &mut Connection| -> Result<(), bdk_wallet::rusqlite::Error> {
            let tx = conn.transaction()?;
            for (txid, seq) in &fresh {
                let seq = i64::try_from(*seq).unwrap_or(i64::MAX);
                tx.execute(
                    "REPLACE INTO rbw_order (txid, seq) VALUES (?1, ?2)",
                    params![txid.to_string(), seq],
                )?;
            }
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| {
            WalletError::Storage(format!("Failed to write the transaction order: {e}"))
        })?;
        self.order.extend(fresh);
        Ok(())
    }
}

/// Writes the removal of `wallet`'s checkpoints above `height`; whether there were any.
fn disconnect_one(
    wallet: &Wallet,
    conn: &mut Connection,
    height: u32,
) -> Result<bool, WalletError> {
    let mut changes = ChangeSet::default();
    for checkpoint in wallet.checkpoints() {
        if checkpoint.height() > height {
            changes.local_chain.blocks.insert(checkpoint.height(), None);
        }
    }
    if changes.local_chain.blocks.is_empty() {
        return Ok(false);
    }
    WalletPersister::persist(conn, &changes)
        .map_err(|e| WalletError::Storage(format!("Failed to write the wallet database: {e}")))?;
    Ok(true)
}

/// Coin locks (Core's `LockCoin`, `UnlockCoin`, `UnlockAllCoins`, `ListLockedCoins`).
impl Store {
    /// Whether `outpoint` is locked.
    pub fn is_locked(&self, outpoint: &OutPoint) -> bool {
        self.locked.contains_key(outpoint)
    }

    /// Every locked coin, in outpoint order.
    pub fn locked_coins(&self) -> Vec<OutPoint> {
        let mut coins: Vec<OutPoint> = self.locked.keys().copied().collect();
        coins.sort();
        coins
    }

    /// Locks `outpoint`; a `persistent` lock is written before this returns.
    pub fn lock_coin(&mut self, outpoint: OutPoint, persistent: bool) -> Result<(), WalletError> {
        if persistent {
            self.conn
                .execute(
                    "REPLACE INTO rbw_locked (txid, vout) VALUES (?1, ?2)",
                    params![outpoint.txid.to_string(), outpoint.vout],
                )
                .map_err(|e| WalletError::Storage(format!("Failed to write a coin lock: {e}")))?;
        }
        let entry = self.locked.entry(outpoint).or_insert(false);
        *entry |= persistent;
        Ok(())
    }

    /// Unlocks `outpoint` (erasing a persistent lock first); whether it was locked.
    pub fn unlock_coin(&mut self, outpoint: &OutPoint) -> Result<bool, WalletError> {
        match self.locked.get(outpoint) {
            None => return Ok(false),
            Some(true) => {
                self.conn
                    .execute(
                        "DELETE FROM rbw_locked WHERE txid = ?1 AND vout = ?2",
                        params![outpoint.txid.to_string(), outpoint.vout],
                    )
                    .map_err(|e| {
                        WalletError::Storage(format!("Failed to erase a coin lock: {e}"))
                    })?;
            }
            Some(false) => {}
        }
        self.locked.remove(outpoint);
        Ok(true)
    }

    /// Unlocks every coin.
    pub fn unlock_all_coins(&mut self) -> Result<(), WalletError> {
        self.conn
            .execute("DELETE FROM rbw_locked", [])
            .map_err(|e| WalletError::Storage(format!("Failed to erase the coin locks: {e}")))?;
        self.locked.clear();
        Ok(())
    }
}

/// What the wallet remembers beyond BDK's canonical view: the blocks its transactions were
/// confirmed in (also those a reorg took away) and the transactions the user abandoned.
impl Store {
    fn read_history(&mut self) -> Result<(), bdk_wallet::rusqlite::Error> {
        let mut statement = self
            .conn
            .prepare("SELECT block, txid, position FROM rbw_block_txs")?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        let mut found = Vec::new();
        for row in rows {
            let (block, txid, position) = row?;
            if let (Ok(block), Ok(txid)) = (block.parse::<BlockHash>(), txid.parse::<Txid>()) {
                found.push((block, position, txid));
            }
        }
        drop(statement);
        // Wallets written before rbw_block_txs existed know each transaction's latest block.
        let latest: Vec<_> = self
            .positions
            .iter()
            .map(|(t, (b, p))| (*b, *p, *t))
            .collect();
        for (block, position, txid) in found.into_iter().chain(latest) {
            self.note_block_tx(block, position, txid);
        }
        let mut statement = self.conn.prepare("SELECT txid FROM rbw_abandoned")?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            if let Ok(txid) = row?.parse::<Txid>() {
                self.abandoned.insert(txid);
            }
        }
        Ok(())
    }

    fn note_block_tx(&mut self, block: BlockHash, position: u32, txid: Txid) {
        let txs = self.block_txs.entry(block).or_default();
        if !txs.iter().any(|(_, t)| *t == txid) {
            txs.push((position, txid));
            txs.sort();
        }
    }

    /// The wallet's transactions the wallet saw confirmed in `block`, in block order (also
    /// when `block` has since left the active chain).
    pub fn block_txs(&self, block: &BlockHash) -> Vec<Txid> {
        self.block_txs
            .get(block)
            .map(|txs| txs.iter().map(|(_, t)| *t).collect())
            .unwrap_or_default()
    }

    /// Whether the user abandoned `txid` (it may have confirmed or returned to the mempool
    /// since, which ends the abandonment: callers check).
    pub fn is_abandoned(&self, txid: &Txid) -> bool {
        self.abandoned.contains(txid)
    }

    /// Every transaction the user abandoned.
    pub fn abandoned(&self) -> impl Iterator<Item = &Txid> {
        self.abandoned.iter()
    }

    /// Records that the user abandoned `txids` (one database transaction).
    pub fn set_abandoned(&mut self, txids: &[Txid]) -> Result<(), WalletError> {
        let write = |conn: &mut Connection| -> Result<(), bdk_wallet::rusqlite::Error> {
            let tx = conn.transaction()?;
            for txid in txids {
                tx.execute(
                    "REPLACE INTO rbw_abandoned (txid) VALUES (?1)",
                    params![txid.to_string()],
                )?;
            }
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| {
            WalletError::Storage(format!("Failed to write an abandoned transaction: {e}"))
        })?;
        self.abandoned.extend(txids.iter().copied());
        Ok(())
    }
}
