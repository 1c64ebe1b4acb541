//! A wallet's `wallet.sqlite`: BDK's tables (descriptors, chain, transactions, index) plus
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
use crate::wallet::keys::KeyMaterial;

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

/// The open store of one wallet: the BDK wallet, its connection and our metadata.
pub struct Store {
    /// The BDK wallet.
    pub wallet: PersistedWallet<Connection>,
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

impl Store {
    /// Creates the store of a new wallet in `dir` with the descriptors of `keys`.
    pub fn create(
        dir: &Path,
        name: &str,
        keys: &KeyMaterial,
        network: Network,
    ) -> Result<Store, WalletError> {
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path)
            .map_err(|e| WalletError::storage("Failed to create", &path, e))?;
        let wallet = Wallet::create(keys.external.clone(), keys.internal.clone())
            .network(network)
            .lookahead(LOOKAHEAD)
            .use_spk_cache(true)
            .create_wallet(&mut conn)
            .map_err(|e| WalletError::storage("Failed to create", &path, e))?;
        Store::finish_open(wallet, conn, name)
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
        let wallet = Wallet::load()
            .check_network(network)
            .descriptor(KeychainKind::External, Some(keys.external.clone()))
            .descriptor(KeychainKind::Internal, Some(keys.internal.clone()))
            .lookahead(LOOKAHEAD)
            .use_spk_cache(true)
            .load_wallet(&mut conn)
            .map_err(|e| db_error(name, e))?
            .ok_or_else(|| db_error(name, "no wallet data"))?;
        Store::finish_open(wallet, conn, name)
    }

    fn finish_open(
        wallet: PersistedWallet<Connection>,
        conn: Connection,
        name: &str,
    ) -> Result<Store, WalletError> {
        conn.execute_batch(SCHEMA).map_err(|e| db_error(name, e))?;
        let mut store = Store {
            wallet,
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

    /// Writes the wallet's staged changes.
    pub fn persist(&mut self) -> Result<(), WalletError> {
        self.wallet
            .persist(&mut self.conn)
            .map(|_| ())
            .map_err(|e| WalletError::Storage(format!("Failed to write the wallet database: {e}")))
    }

    /// Forgets every checkpoint above `height` (the blocks a reorg took away), so that their
    /// transactions are no longer confirmed: writes their removal and reloads the wallet.
    pub fn disconnect_above(
        &mut self,
        height: u32,
        name: &str,
        keys: &KeyMaterial,
    ) -> Result<(), WalletError> {
        self.persist()?;
        let mut changes = ChangeSet::default();
        for checkpoint in self.wallet.checkpoints() {
            if checkpoint.height() > height {
                changes.local_chain.blocks.insert(checkpoint.height(), None);
            }
        }
        if changes.local_chain.blocks.is_empty() {
            return Ok(());
        }
        WalletPersister::persist(&mut self.conn, &changes).map_err(|e| {
            WalletError::Storage(format!("Failed to write the wallet database: {e}"))
        })?;
        let network = self.wallet.network();
        self.wallet = Wallet::load()
            .check_network(network)
            .descriptor(KeychainKind::External, Some(keys.external.clone()))
            .descriptor(KeychainKind::Internal, Some(keys.internal.clone()))
            .lookahead(LOOKAHEAD)
            .use_spk_cache(true)
            .load_wallet(&mut self.conn)
            .map_err(|e| db_error(name, e))?
            .ok_or_else(|| db_error(name, "no wallet data"))?;
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
