//! `mempool.dat` in Bitcoin Core's format (`node/mempool_persist.cpp`), so files move between
//! Core and this node: a version (`u64`, 2; version 1 is read too), for version 2 an 8-byte
//! obfuscation key (as a vector: compact size 8, then the bytes) with which every later byte
//! is XORed by file position, then the transaction count (`u64`), each transaction (with
//! witness) with its entry time and fee delta (`i64` each), the deltas of transactions not in
//! the pool (a map txid -> `i64`) and the unbroadcast txids (a set, written empty, ignored).
//!
//! Loading re-accepts every transaction through the normal path (keeping entry times and
//! deltas); a file that ends early or does not decode is reported and what was read so far
//! is kept.

use std::io::{Read, Write};

use std::path::Path;
use std::sync::Arc;

use bitcoin::consensus::encode::{self, Decodable, VarInt};
use bitcoin::hashes::Hash;
use bitcoin::{Transaction, Txid};

use super::accept::AcceptOptions;
use super::{now, Mempool};

/// Core's `MEMPOOL_DUMP_VERSION_NO_XOR_KEY`.
const VERSION_NO_XOR_KEY: u64 = 1;
/// Core's `MEMPOOL_DUMP_VERSION`.
const VERSION: u64 = 2;

/// Why `mempool.dat` could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not decode.
    #[error("{} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// What loading did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    /// Transactions accepted.
    pub accepted: usize,
    /// Transactions refused.
    pub failed: usize,
    /// Transactions past `-mempoolexpiry`.
    pub expired: usize,
    /// Transactions already in the pool.
    pub already_there: usize,
}

/// One transaction of the file.
pub struct Record {
    /// The transaction.
    pub tx: Transaction,
    /// Its entry time (seconds).
    pub time: i64,
    /// Its fee delta.
    pub delta: i64,
}

/// The file's contents.
pub struct Contents {
    /// The transactions.
    pub records: Vec<Record>,
    /// Deltas of transactions not in the pool.
    pub deltas: Vec<(Txid, i64)>,
}

/// Serializes `contents` as Core does (version 2 with `key`).
pub fn encode(contents: &Contents, key: [u8; 8]) -> Vec<u8> {
    use bitcoin::consensus::encode::serialize;
    let mut out = serialize(&VERSION);
    out.extend(serialize(&VarInt(8)));
    out.extend_from_slice(&key);
    let start = out.len();
    out.extend(serialize(&(contents.records.len() as u64)));
    for r in &contents.records {
        out.extend(serialize(&r.tx));
        out.extend(serialize(&r.time));
        out.extend(serialize(&r.delta));
    }
    out.extend(serialize(&VarInt(contents.deltas.len() as u64)));
    for (txid, delta) in &contents.deltas {
        out.extend(serialize(txid));
        out.extend(serialize(delta));
    }
    out.extend(serialize(&VarInt(0)));
    for (i, b) in out.iter_mut().enumerate().skip(start) {
        *b ^= key[i % 8];
    }
    out
}

/// Parses a `mempool.dat`; on a decoding error returns what was read before it and the error.
pub fn decode(bytes: &[u8]) -> (Contents, Option<String>) {
    let mut contents = Contents {
        records: Vec::new(),
        deltas: Vec::new(),
    };
    let mut r = std::io::Cursor::new(bytes);
    let error = decode_into(&mut r, bytes, &mut contents).err();
    (contents, error)
}

fn decode_into(
    r: &mut std::io::Cursor<&[u8]>,
    bytes: &[u8],
    contents: &mut Contents,
) -> Result<(), String> {
    let e = |e: encode::Error| e.to_string();
    let version = u64::consensus_decode(r).map_err(e)?;
    let key = match version {
        VERSION_NO_XOR_KEY => [0u8; 8],
        VERSION => {
            let len = VarInt::consensus_decode(r).map_err(e)?.0;
            if len != 8 {
                return Err(format!("obfuscation key of {len} bytes"));
            }
            let mut key = [0u8; 8];
            r.read_exact(&mut key).map_err(|e| e.to_string())?;
            key
        }
        other => return Err(format!("unknown version {other}")),
    };
    let start = r.position() as usize;
    let mut plain: Vec<u8> = bytes[start..].to_vec();
    for (i, b) in plain.iter_mut().enumerate() {
        *b ^= key[(start + i) % 8];
    }
    let mut r = std::io::Cursor::new(plain.as_slice());
    let count = u64::consensus_decode(&mut r).map_err(e)?;
    for _ in 0..count {
        let tx = Transaction::consensus_decode(&mut r).map_err(e)?;
        let time = i64::consensus_decode(&mut r).map_err(e)?;
        let delta = i64::consensus_decode(&mut r).map_err(e)?;
        contents.records.push(Record { tx, time, delta });
    }
    let deltas = VarInt::consensus_decode(&mut r).map_err(e)?.0;
    for _ in 0..deltas {
        let txid = Txid::consensus_decode(&mut r).map_err(e)?;
        let delta = i64::consensus_decode(&mut r).map_err(e)?;
        contents.deltas.push((txid, delta));
    }
    let unbroadcast = VarInt::consensus_decode(&mut r).map_err(e)?.0;
    for _ in 0..unbroadcast {
        <[u8; 32]>::consensus_decode(&mut r).map_err(e)?;
    }
    Ok(())
}

impl Mempool {
    /// What `mempool.dat` would hold now.
    pub fn contents(&self) -> Contents {
        let state = self.lock();
        let mut entries: Vec<&super::Entry> = state.graph.entries.values().collect();
        entries.sort_by_key(|e| e.sequence);
        let records = entries
            .iter()
            .map(|e| Record {
                tx: (*e.tx).clone(),
                time: e.time,
                delta: e.delta,
            })
            .collect();
        let mut deltas: Vec<(Txid, i64)> = state
            .deltas
            .iter()
            .filter(|(t, _)| !state.graph.entries.contains_key(*t))
            .map(|(t, d)| (*t, *d))
            .collect();
        deltas.sort_by_key(|(t, _)| t.to_byte_array());
        Contents { records, deltas }
    }

    /// Core's `DumpMempool`: writes `path` (through `path.new` and a rename, so a crash
    /// leaves the old file or the new one). Returns the bytes written.
    pub fn save(&self, path: &Path) -> Result<u64, PersistError> {
        let mut key = [0u8; 8];
        getrandom::fill(&mut key).map_err(|e| PersistError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let bytes = encode(&self.contents(), key);
        let mut partial = path.as_os_str().to_owned();
        partial.push(".new");
        let partial = std::path::PathBuf::from(partial);
        let io = |source| PersistError::Io {
            path: partial.clone(),
            source,
        };
        let mut file = std::fs::File::create(&partial).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)?;
        Ok(bytes.len() as u64)
    }

    /// Core's `LoadMempool`: re-accepts the file's transactions (entry times and deltas
    /// kept, expired ones skipped). A missing file is an empty pool; a corrupt one is an
    /// error after what decoded was loaded.
    pub fn load(&self, path: &Path) -> Result<LoadStats, PersistError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.set_loaded();
                return Ok(LoadStats::default());
            }
            Err(source) => {
                return Err(PersistError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let (contents, error) = decode(&bytes);
        let mut stats = LoadStats::default();
        let expired_before = now() - self.options.expiry_secs;
        for record in contents.records {
            let txid = record.tx.compute_txid();
            if record.delta != 0 {
                self.prioritise(&txid, record.delta);
            }
            if record.time <= expired_before {
                stats.expired += 1;
                continue;
            }
            if self.get(&txid).is_some() {
                stats.already_there += 1;
                continue;
            }
            let options = AcceptOptions {
                entry_time: Some(record.time),
                ..AcceptOptions::default()
            };
            match self.accept(Arc::new(record.tx), options) {
                Ok(_) => stats.accepted += 1,
                Err(e) => {
                    tracing::debug!(target: "mempool", %txid, "mempool.dat transaction not accepted: {e}");
                    stats.failed += 1;
                }
            }
        }
        for (txid, delta) in contents.deltas {
            self.prioritise(&txid, delta);
        }
        self.set_loaded();
        match error {
            Some(reason) => Err(PersistError::Corrupt {
                path: path.to_path_buf(),
                reason,
            }),
            None => Ok(stats),
        }
    }
}
