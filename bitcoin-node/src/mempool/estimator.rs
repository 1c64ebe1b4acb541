//! The fee estimator ([`crate::fees::FeeEstimator`]) as the mempool feeds it: a
//! [`FeeListener`] behind a mutex, told about transactions accepted while the pool is in step
//! with the chain (none with pool parents, none re-added in a reorg or loaded from
//! `mempool.dat` with limits bypassed), transactions leaving unmined, and connected blocks;
//! and `fee_estimates.dat` loaded at startup (ignored when older than 60 hours, as Core does)
//! and written at shutdown after recording the pool's transactions as unconfirmed.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use bitcoin::Txid;

use super::FeeListener;
use crate::fees::FeeEstimator;

/// Core's `MAX_FILE_AGE`: older estimates are not served.
const MAX_FILE_AGE: Duration = Duration::from_secs(60 * 60 * 60);

/// The node's fee estimator, shared by the mempool (which feeds it) and RPC.
#[derive(Debug, Default)]
pub struct SharedEstimator(Mutex<FeeEstimator>);

impl SharedEstimator {
    /// Reads `path` (a missing, stale or unreadable file gives an empty estimator, with a
    /// log line saying why).
    pub fn load(path: &Path) -> SharedEstimator {
        let estimator = match std::fs::File::open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FeeEstimator::new(),
            Err(e) => {
                tracing::warn!(
                    "cannot open {}: {e}; fee estimates start empty",
                    path.display()
                );
                FeeEstimator::new()
            }
            Ok(file) => {
                let age = file
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .unwrap_or_default();
                if age > MAX_FILE_AGE {
                    tracing::warn!(
                        "Fee estimation file {} too old (age={} > {} hours) and will not be used to avoid serving stale estimates.",
                        path.display(),
                        age.as_secs() / 3600,
                        MAX_FILE_AGE.as_secs() / 3600
                    );
                    FeeEstimator::new()
                } else {
                    let mut reader = std::io::BufReader::new(file);
                    FeeEstimator::read_from(&mut reader).unwrap_or_else(|e| {
                        tracing::warn!(
                            "{} not loaded: {e}; fee estimates start empty",
                            path.display()
                        );
                        FeeEstimator::new()
                    })
                }
            }
        };
        SharedEstimator(Mutex::new(estimator))
    }

    /// The estimator.
    pub fn lock(&self) -> MutexGuard<'_, FeeEstimator> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the tracked pool transactions as unconfirmed and writes `path` (through
    /// `path.new` and a rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut estimator = self.lock();
        estimator.flush_unconfirmed();
        let mut bytes = Vec::new();
        estimator.write_to(&mut bytes)?;
        drop(estimator);
        let mut partial = path.as_os_str().to_owned();
        partial.push(".new");
        std::fs::write(&partial, &bytes)?;
        std::fs::rename(&partial, path)
    }
}

impl FeeListener for SharedEstimator {
    fn added(&self, txid: Txid, fee_rate: u64, height: u32) {
        self.lock().process_transaction(txid, fee_rate, height);
    }

    fn removed(&self, txid: &Txid) {
        self.lock().remove_transaction(txid);
    }

    fn block(&self, height: u32, txids: &[Txid]) {
        self.lock().process_block(height, txids);
    }
}
