//! The node's coins view: outpoint -> unspent output, the part of Bitcoin Core's `CCoinsView`
//! that libbitcoinkernel does not offer, for the mempool and `gettxout`.
//!
//! It lives in its own embedded database (redb, `<netdir>/coins/coins.redb`) and is kept in
//! step with the kernel's active chain by [`sync`]: after every block the kernel processes and
//! at startup, the view walks back from its own best block to the kernel's active chain
//! (disconnecting with its own undo records) and connects the active chain's blocks from there.
//! Each commit moves the view from one block to another atomically (coins, undo records and
//! the best block in one transaction), so after a crash at any moment the view is at some block
//! and the same walk brings it back in step, even when the kernel lost blocks that the view had
//! already connected (see docs/adr/0005-coins-view.md).
//!
//! - [`store`]: the tables and their encodings, connecting and disconnecting one block;
//! - [`sync`]: reconciling the view with the kernel's active chain.

pub mod store;
pub mod sync;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, OutPoint, TxOut};
use redb::{
    Database, Durability, ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction,
};

use store::{decode_best, decode_coin, outpoint_key, COINS, META, META_BEST, UNDO};

/// Why the coins view failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoinsError {
    /// The database failed (I/O, corruption detected by redb, ...).
    #[error("coins database: {0}")]
    Db(Box<redb::Error>),
    /// The database could not be opened or created.
    #[error("cannot open the coins database {}: {source}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: Box<redb::Error>,
    },
    /// A stored record does not decode.
    #[error("coins database is corrupt: {0}")]
    Corrupt(String),
    /// A block does not fit the view (it spends a coin the view lacks, or does not build on
    /// the view's best block).
    #[error("coins view out of step: {0}")]
    Inconsistent(String),
    /// The view cannot disconnect its best block: it has no undo record for it.
    #[error("no undo record for block {0}")]
    MissingUndo(BlockHash),
    /// The kernel failed to give a block.
    #[error("kernel: {0}")]
    Kernel(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for CoinsError {
            fn from(e: $t) -> CoinsError {
                CoinsError::Db(Box::new(e.into()))
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// An unspent output and where it was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output (amount and script).
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u32,
    /// Whether a coinbase transaction created it.
    pub coinbase: bool,
}

/// The block the view is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestBlock {
    /// Its hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u32,
}

/// One step the view took, in order (the node turns these into chain events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A block's outputs were added and its spent coins removed.
    Connected(BestBlock),
    /// A block was undone.
    Disconnected(BestBlock),
}

/// What `gettxoutsetinfo` reports, from one scan of the view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoinsStats {
    /// The block the view is at (`None` when empty).
    pub best: Option<BestBlock>,
    /// Number of transactions with unspent outputs.
    pub transactions: u64,
    /// Number of unspent outputs.
    pub txouts: u64,
    /// Core's "bogosize": 50 bytes plus the script for each output.
    pub bogosize: u64,
    /// Sum of the amounts, in satoshis.
    pub total_amount: u64,
    /// Core's `hash_serialized_3`: SHA256d over every coin in outpoint order.
    pub hash_serialized: Option<bitcoin::hashes::sha256d::Hash>,
    /// Bytes of the database file.
    pub disk_size: u64,
}

/// How long commits may go without an fsync: a commit less than this after the last durable
/// one is non-durable (redb rolls it back after a crash, to a consistent earlier block, which
/// the next [`sync`] catches up from). Bursts of blocks (regtest mining, catching up) pay one
/// fsync a second instead of one per block; a lone block is always durable.
pub const DURABLE_EVERY: Duration = Duration::from_secs(1);

/// The coins database.
pub struct CoinsView {
    db: Database,
    path: PathBuf,
    /// When the last durable commit began.
    last_durable: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for CoinsView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoinsView")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CoinsView {
    /// Opens (or creates) the database at `path`; redb repairs it if the last run crashed.
    pub fn open(path: &Path) -> Result<CoinsView, CoinsError> {
        let open = |source: redb::Error| CoinsError::Open {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| open(redb::StorageError::Io(e).into()))?;
        }
        let db = Database::create(path).map_err(|e| open(e.into()))?;
        let view = CoinsView {
            db,
            path: path.to_path_buf(),
            last_durable: Mutex::new(None),
        };
        store::create_tables(&view.db)?;
        Ok(view)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction, durable unless one was less than [`DURABLE_EVERY`] ago.
    fn write(&self) -> Result<WriteTransaction, CoinsError> {
        let mut txn = self.db.begin_write()?;
        let mut last = self
            .last_durable
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match *last {
            Some(at) if at.elapsed() < DURABLE_EVERY => txn.set_durability(Durability::None),
            _ => *last = Some(Instant::now()),
        }
        Ok(txn)
    }

    /// Makes every commit so far durable (at shutdown).
    pub fn flush(&self) -> Result<(), CoinsError> {
        let txn = self.db.begin_write()?;
        txn.commit()?;
        *self
            .last_durable
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        Ok(())
    }

    fn read(&self) -> Result<ReadTransaction, CoinsError> {
        Ok(self.db.begin_read()?)
    }

    /// The block the view is at (`None` before the genesis block is connected).
    pub fn best_block(&self) -> Result<Option<BestBlock>, CoinsError> {
        let txn = self.read()?;
        let meta = txn.open_table(META)?;
        let best = meta.get(META_BEST)?;
        best.map(|b| decode_best(b.value())).transpose()
    }

    /// The unspent output at `outpoint` and the block the view is at, read together.
    pub fn coin(
        &self,
        outpoint: &OutPoint,
    ) -> Result<(Option<Coin>, Option<BestBlock>), CoinsError> {
        let txn = self.read()?;
        let coins = txn.open_table(COINS)?;
        let coin = coins.get(&outpoint_key(outpoint)[..])?;
        let coin = coin.map(|c| decode_coin(c.value())).transpose()?;
        let meta = txn.open_table(META)?;
        let best = meta.get(META_BEST)?;
        Ok((coin, best.map(|b| decode_best(b.value())).transpose()?))
    }

    /// Number of unspent outputs.
    pub fn len(&self) -> Result<u64, CoinsError> {
        Ok(self.read()?.open_table(COINS)?.len()?)
    }

    /// Whether the view holds no unspent output.
    pub fn is_empty(&self) -> Result<bool, CoinsError> {
        Ok(self.len()? == 0)
    }

    /// Whether an undo record for `hash` is kept.
    pub fn has_undo(&self, hash: &BlockHash) -> Result<bool, CoinsError> {
        let txn = self.read()?;
        let undo = txn.open_table(UNDO)?;
        Ok(undo.get(&hash.to_byte_array()[..])?.is_some())
    }

    /// Connects `blocks` (each with its height), in order, in one transaction: the first must
    /// build on the best block (or be the genesis block of an empty view), each next on the one
    /// before. Nothing is written if one does not fit.
    pub fn connect(&self, blocks: &[(&Block, u32)]) -> Result<(), CoinsError> {
        let txn = self.write()?;
        {
            let mut coins = txn.open_table(COINS)?;
            let mut undo = txn.open_table(UNDO)?;
            let mut meta = txn.open_table(META)?;
            let mut best = match meta.get(META_BEST)? {
                Some(b) => Some(decode_best(b.value())?),
                None => None,
            };
            for &(block, height) in blocks {
                store::check_builds_on(best, block, height)?;
                store::connect_block(&mut coins, &mut undo, block, height)?;
                best = Some(BestBlock {
                    hash: block.block_hash(),
                    height,
                });
            }
            if let Some(best) = best {
                meta.insert(META_BEST, &store::encode_best(&best)[..])?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Undoes the best block in one transaction; returns it (`None` for an empty view).
    pub fn disconnect_tip(&self) -> Result<Option<BestBlock>, CoinsError> {
        let txn = self.write()?;
        let undone = {
            let mut coins = txn.open_table(COINS)?;
            let mut undo = txn.open_table(UNDO)?;
            let mut meta = txn.open_table(META)?;
            let best = match meta.get(META_BEST)? {
                Some(b) => decode_best(b.value())?,
                None => return Ok(None),
            };
            let prev = store::disconnect_block(&mut coins, &mut undo, &best.hash)?;
            match best.height.checked_sub(1) {
                Some(height) => {
                    let new = BestBlock { hash: prev, height };
                    meta.insert(META_BEST, &store::encode_best(&new)[..])?;
                }
                None => {
                    meta.remove(META_BEST)?;
                }
            }
            best
        };
        txn.commit()?;
        Ok(Some(undone))
    }

    /// Removes every coin, undo record and the best block (before a rebuild).
    pub fn clear(&self) -> Result<(), CoinsError> {
        let txn = self.db.begin_write()?;
        txn.delete_table(COINS)?;
        txn.delete_table(UNDO)?;
        txn.delete_table(META)?;
        txn.commit()?;
        store::create_tables(&self.db)
    }

    /// Scans the whole view: counts, total amount and, when `hash` is set, Core's
    /// `hash_serialized_3`.
    pub fn stats(&self, hash: bool) -> Result<CoinsStats, CoinsError> {
        let txn = self.read()?;
        let meta = txn.open_table(META)?;
        let best = meta.get(META_BEST)?;
        let mut stats = CoinsStats {
            best: best.map(|b| decode_best(b.value())).transpose()?,
            disk_size: std::fs::metadata(&self.path).map_or(0, |m| m.len()),
            ..CoinsStats::default()
        };
        store::scan(&txn.open_table(COINS)?, &mut stats, hash)?;
        Ok(stats)
    }
}
