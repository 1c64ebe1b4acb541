//! The coins database's tables, their encodings, and connecting or disconnecting one block
//! inside a write transaction.
//!
//! - `coins`: 36-byte outpoint key (txid in internal byte order, then the output index
//!   big-endian, so keys sort as Core's coins database does) -> `height << 1 | coinbase`
//!   (u32 LE), amount (u64 LE), script bytes;
//! - `undo`: block hash -> what connecting the block changed: the previous block's hash, the
//!   height, the outpoints it added and the coins it spent (outputs created and spent inside
//!   the block appear in neither), so undoing needs nothing from the kernel;
//! - `meta`: `best` -> the hash and height of the block the view is at; `version`.

use std::collections::HashMap;

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Amount, Block, BlockHash, OutPoint, Script, ScriptBuf, TxOut};
use redb::{Database, ReadableTable, Table, TableDefinition};

use super::{BestBlock, Coin, CoinsError, CoinsStats};

/// Outpoint -> coin.
pub const COINS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("coins");
/// Block hash -> undo record.
pub const UNDO: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("undo");
/// Settings and the best block.
pub const META: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("meta");
/// The `meta` key of the best block.
pub const META_BEST: &str = "best";
const META_VERSION: &str = "version";
const VERSION: u8 = 1;

/// Core's `MAX_SCRIPT_SIZE`: longer scripts are unspendable and never enter the view.
const MAX_SCRIPT_SIZE: usize = 10_000;

type Key = [u8; 36];

/// Creates the tables if missing and checks the format version.
pub fn create_tables(db: &Database) -> Result<(), CoinsError> {
    let txn = db.begin_write()?;
    {
        txn.open_table(COINS)?;
        txn.open_table(UNDO)?;
        let mut meta = txn.open_table(META)?;
        let version = meta.get(META_VERSION)?.map(|v| v.value().to_vec());
        match version.as_deref() {
            None => {
                meta.insert(META_VERSION, &[VERSION][..])?;
            }
            Some([VERSION]) => {}
            Some(other) => {
                return Err(CoinsError::Corrupt(format!(
                    "unknown format version {other:?} (expected {VERSION})"
                )))
            }
        }
    }
    txn.commit()?;
    Ok(())
}

/// The database key of an outpoint.
pub fn outpoint_key(outpoint: &OutPoint) -> Key {
    let mut key = [0; 36];
    key[..32].copy_from_slice(&outpoint.txid.to_byte_array());
    key[32..].copy_from_slice(&outpoint.vout.to_be_bytes());
    key
}

fn key_outpoint(key: &[u8]) -> Result<OutPoint, CoinsError> {
    let (txid, vout) = key
        .split_first_chunk::<32>()
        .and_then(|(t, v)| Some((t, <[u8; 4]>::try_from(v).ok()?)))
        .ok_or_else(|| CoinsError::Corrupt(format!("coin key of {} bytes", key.len())))?;
    Ok(OutPoint {
        txid: bitcoin::Txid::from_byte_array(*txid),
        vout: u32::from_be_bytes(vout),
    })
}

/// Encodes a coin's value.
pub fn encode_coin(output: &TxOut, height: u32, coinbase: bool) -> Vec<u8> {
    let mut value = Vec::with_capacity(12 + output.script_pubkey.len());
    value.extend_from_slice(&((height << 1) | u32::from(coinbase)).to_le_bytes());
    value.extend_from_slice(&output.value.to_sat().to_le_bytes());
    value.extend_from_slice(output.script_pubkey.as_bytes());
    value
}

/// Decodes a coin's value.
pub fn decode_coin(value: &[u8]) -> Result<Coin, CoinsError> {
    let corrupt = || CoinsError::Corrupt(format!("coin record of {} bytes", value.len()));
    let (code, rest) = value.split_first_chunk::<4>().ok_or_else(corrupt)?;
    let (amount, script) = rest.split_first_chunk::<8>().ok_or_else(corrupt)?;
    let code = u32::from_le_bytes(*code);
    Ok(Coin {
        output: TxOut {
            value: Amount::from_sat(u64::from_le_bytes(*amount)),
            script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
        },
        height: code >> 1,
        coinbase: code & 1 == 1,
    })
}

/// Encodes the best block.
pub fn encode_best(best: &BestBlock) -> [u8; 36] {
    let mut value = [0; 36];
    value[..32].copy_from_slice(&best.hash.to_byte_array());
    value[32..].copy_from_slice(&best.height.to_le_bytes());
    value
}

/// Decodes the best block.
pub fn decode_best(value: &[u8]) -> Result<BestBlock, CoinsError> {
    let corrupt = || CoinsError::Corrupt(format!("best block record of {} bytes", value.len()));
    let (hash, height) = value.split_first_chunk::<32>().ok_or_else(corrupt)?;
    let height = <[u8; 4]>::try_from(height).map_err(|_| corrupt())?;
    Ok(BestBlock {
        hash: BlockHash::from_byte_array(*hash),
        height: u32::from_le_bytes(height),
    })
}

/// Core's `CScript::IsUnspendable`: such outputs never enter the view.
pub fn is_unspendable(script: &Script) -> bool {
    script.is_op_return() || script.len() > MAX_SCRIPT_SIZE
}

/// Fails unless `block` at `height` builds on `best`.
pub fn check_builds_on(
    best: Option<BestBlock>,
    block: &Block,
    height: u32,
) -> Result<(), CoinsError> {
    let fits = match best {
        None => height == 0,
        Some(best) => best.hash == block.header.prev_blockhash && best.height + 1 == height,
    };
    if fits {
        Ok(())
    } else {
        Err(CoinsError::Inconsistent(format!(
            "block {} at height {height} does not build on the view's best block {best:?}",
            block.block_hash()
        )))
    }
}

/// What connecting a block changed (its undo record).
#[derive(Debug, Default, PartialEq, Eq)]
struct Undo {
    prev: [u8; 32],
    added: Vec<Key>,
    spent: Vec<(Key, Vec<u8>)>,
}

impl Undo {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40 + 36 * self.added.len() + 60 * self.spent.len());
        out.extend_from_slice(&self.prev);
        out.extend_from_slice(&len_u32(self.added.len()).to_le_bytes());
        for key in &self.added {
            out.extend_from_slice(key);
        }
        out.extend_from_slice(&len_u32(self.spent.len()).to_le_bytes());
        for (key, value) in &self.spent {
            out.extend_from_slice(key);
            out.extend_from_slice(&len_u32(value.len()).to_le_bytes());
            out.extend_from_slice(value);
        }
        out
    }

    fn decode(mut bytes: &[u8]) -> Result<Undo, CoinsError> {
        let mut take = |n: usize| -> Result<&[u8], CoinsError> {
            let (head, rest) = bytes
                .split_at_checked(n)
                .ok_or_else(|| CoinsError::Corrupt("truncated undo record".into()))?;
            bytes = rest;
            Ok(head)
        };
        let key = |b: &[u8]| Key::try_from(b).unwrap_or([0; 36]);
        let count = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as usize;
        let mut undo = Undo {
            prev: take(32)?.try_into().unwrap_or([0; 32]),
            ..Undo::default()
        };
        for _ in 0..count(take(4)?) {
            undo.added.push(key(take(36)?));
        }
        for _ in 0..count(take(4)?) {
            let k = key(take(36)?);
            let len = count(take(4)?);
            undo.spent.push((k, take(len)?.to_vec()));
        }
        Ok(undo)
    }
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Applies `block` (at `height`) to the coins table and stores its undo record. The genesis
/// block adds nothing: its coinbase is not spendable (as in Core).
pub fn connect_block(
    coins: &mut Table<&[u8], &[u8]>,
    undo: &mut Table<&[u8], &[u8]>,
    block: &Block,
    height: u32,
) -> Result<(), CoinsError> {
    let mut record = Undo {
        prev: block.header.prev_blockhash.to_byte_array(),
        ..Undo::default()
    };
    let mut created: HashMap<Key, Vec<u8>> = HashMap::new();
    for tx in block.txdata.iter().filter(|_| height > 0) {
        let coinbase = tx.is_coinbase();
        for input in tx.input.iter().filter(|_| !coinbase) {
            let key = outpoint_key(&input.previous_output);
            if created.remove(&key).is_some() {
                continue;
            }
            let spent = coins.remove(&key[..])?.map(|v| v.value().to_vec());
            let spent = spent.ok_or_else(|| {
                CoinsError::Inconsistent(format!(
                    "block {} spends {}, which the view does not hold",
                    block.block_hash(),
                    input.previous_output
                ))
            })?;
            record.spent.push((key, spent));
        }
        let txid = tx.compute_txid();
        for (vout, output) in (0u32..).zip(&tx.output) {
            if !is_unspendable(&output.script_pubkey) {
                let key = outpoint_key(&OutPoint { txid, vout });
                created.insert(key, encode_coin(output, height, coinbase));
            }
        }
    }
    let mut added: Vec<_> = created.into_iter().collect();
    added.sort_unstable_by_key(|(key, _)| *key);
    for (key, value) in added {
        coins.insert(&key[..], &value[..])?;
        record.added.push(key);
    }
    undo.insert(
        &block.block_hash().to_byte_array()[..],
        &record.encode()[..],
    )?;
    Ok(())
}

/// Undoes block `hash` with its undo record (which is removed); returns the previous block's
/// hash.
pub fn disconnect_block(
    coins: &mut Table<&[u8], &[u8]>,
    undo: &mut Table<&[u8], &[u8]>,
    hash: &BlockHash,
) -> Result<BlockHash, CoinsError> {
    let record = undo
        .remove(&hash.to_byte_array()[..])?
        .map(|r| r.value().to_vec())
        .ok_or(CoinsError::MissingUndo(*hash))?;
    let record = Undo::decode(&record)?;
    for key in &record.added {
        coins.remove(&key[..])?;
    }
    for (key, value) in &record.spent {
        coins.insert(&key[..], &value[..])?;
    }
    Ok(BlockHash::from_byte_array(record.prev))
}

/// Adds every coin of `coins` to `stats` (in key order, as Core's `hash_serialized_3` needs).
pub fn scan(
    coins: &impl ReadableTable<&'static [u8], &'static [u8]>,
    stats: &mut CoinsStats,
    hash: bool,
) -> Result<(), CoinsError> {
    let mut engine = hash.then(sha256d::Hash::engine);
    let mut last_txid = None;
    for entry in coins.iter()? {
        let (key, value) = entry?;
        let outpoint = key_outpoint(key.value())?;
        let coin = decode_coin(value.value())?;
        if last_txid != Some(outpoint.txid) {
            stats.transactions += 1;
            last_txid = Some(outpoint.txid);
        }
        stats.txouts += 1;
        stats.bogosize += 50 + coin.output.script_pubkey.len() as u64;
        stats.total_amount = stats
            .total_amount
            .saturating_add(coin.output.value.to_sat());
        if let Some(engine) = engine.as_mut() {
            // Core's TxOutSer: outpoint, height * 2 + coinbase (u32), then the CTxOut.
            engine.input(&bitcoin::consensus::serialize(&outpoint));
            engine.input(&((coin.height << 1) | u32::from(coin.coinbase)).to_le_bytes());
            engine.input(&bitcoin::consensus::serialize(&coin.output));
        }
    }
    stats.hash_serialized = engine.map(sha256d::Hash::from_engine);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let output = TxOut {
            value: Amount::from_sat(5_000_000_000),
            script_pubkey: ScriptBuf::from_bytes(vec![0x51, 0x20]),
        };
        let coin = decode_coin(&encode_coin(&output, 110, true)).expect("decodes");
        assert_eq!(
            (coin.output, coin.height, coin.coinbase),
            (output, 110, true)
        );
        assert!(decode_coin(&[1, 2, 3]).is_err());
        let best = BestBlock {
            hash: BlockHash::from_byte_array([7; 32]),
            height: 42,
        };
        assert_eq!(decode_best(&encode_best(&best)).expect("decodes"), best);
        let undo = Undo {
            prev: [3; 32],
            added: vec![[1; 36], [2; 36]],
            spent: vec![([4; 36], vec![9, 9, 9])],
        };
        assert_eq!(Undo::decode(&undo.encode()).expect("decodes"), undo);
        assert!(Undo::decode(&undo.encode()[..50]).is_err());
        let op = OutPoint {
            txid: bitcoin::Txid::from_byte_array([5; 32]),
            vout: 258,
        };
        assert_eq!(key_outpoint(&outpoint_key(&op)).expect("decodes"), op);
        assert!(
            outpoint_key(&OutPoint { vout: 1, ..op }) < outpoint_key(&OutPoint { vout: 256, ..op })
        );
    }
}
