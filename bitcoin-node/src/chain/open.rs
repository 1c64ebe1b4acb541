//! Opening the chainstate: the kernel's context (chain parameters, a custom signet, the
//! notifications the node's events come from), the chainstate manager (wiped for `-reindex`),
//! the coins view brought in step, and the remembered chain tips.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use bitcoinkernel::prelude::*;
use bitcoinkernel::{
    ChainstateManager, Context, ContextBuilder, SynchronizationState, ValidationMode,
};

use super::events::{broadcast, Subscribers};
use super::{
    chain_type, lock, reject_reason, tips, ChainError, ChainEvent, ChainOptions, ChainState,
    Verdicts,
};
use crate::coins::{self, CoinsView};

impl ChainState {
    /// Opens (or creates) the chainstate in `net_dir` (`blocks/`, `chainstate/`, as in Core).
    pub fn open(net_dir: &Path, chain: common::Chain) -> Result<ChainState, ChainError> {
        Self::open_with(net_dir, chain, &ChainOptions::default())
    }

    /// [`ChainState::open`] with `options`: a custom signet, or a reindex (the kernel wipes its
    /// block index and chainstate and rebuilds them from the block files before this returns;
    /// the coins view is rebuilt from the new active chain).
    pub fn open_with(
        net_dir: &Path,
        chain: common::Chain,
        options: &ChainOptions,
    ) -> Result<ChainState, ChainError> {
        let dir = net_dir
            .to_str()
            .ok_or_else(|| ChainError::Path(net_dir.to_path_buf()))?;
        let blocks = net_dir.join("blocks");
        let blocks = blocks
            .to_str()
            .ok_or_else(|| ChainError::Path(net_dir.to_path_buf()))?;
        let subscribers: Subscribers = Arc::default();
        let checked: Verdicts = Arc::default();
        // 1.0 until the kernel reports a tip (regtest's estimate is always 1.0).
        let progress = Arc::new(AtomicU64::new(1.0f64.to_bits()));
        let context = kernel_context(chain, options, &subscribers, &checked, &progress)?;
        let load_failed = |e: bitcoinkernel::KernelError| ChainError::Kernel {
            what: "cannot load chainstate",
            detail: e.to_string(),
        };
        let chainman = ChainstateManager::builder(&context, dir, blocks)
            .and_then(|b| b.wipe_db(options.reindex, options.reindex))
            .and_then(|b| b.build())
            .map_err(load_failed)?;
        // Finish loading: connect what the block index has beyond the UTXO set's best block
        // (after a crash the two can differ).
        chainman.import_blocks().map_err(|e| ChainError::Kernel {
            what: "cannot activate the best chain",
            detail: e.to_string(),
        })?;
        let view = open_coins(net_dir, options.reindex)?;
        let summary = coins::sync::sync(&view, &chainman, &mut |_| {})?;
        if summary != coins::sync::SyncSummary::default() {
            tracing::info!(
                disconnected = summary.disconnected,
                connected = summary.connected,
                rebuilt = summary.rebuilt,
                "coins view brought in step with the chain"
            );
        }
        let mut tips = tips::TipSet::load(net_dir);
        tips.settle(&chainman);
        Ok(ChainState {
            tips: Mutex::new(tips),
            chainman: RwLock::new(Some(chainman)),
            coins: RwLock::new(Some(view)),
            _context: context,
            checked,
            subscribers,
            chain,
            blocks_dir: net_dir.join("blocks"),
            submit: Mutex::new(()),
            followers: Mutex::new(Vec::new()),
            progress,
        })
    }
}

/// The kernel's context for `chain` (or the custom signet of `options`), its notifications
/// sent to `subscribers` and its block-checked verdicts kept in `checked`.
fn kernel_context(
    chain: common::Chain,
    options: &ChainOptions,
    subscribers: &Subscribers,
    checked: &Verdicts,
    last_progress: &Arc<AtomicU64>,
) -> Result<Context, ChainError> {
    let (tips, headers, results) = (subscribers.clone(), subscribers.clone(), checked.clone());
    let last_progress = last_progress.clone();
    let progress = subscribers.clone();
    let mut builder = ContextBuilder::new().chain_type(chain_type(chain));
    if let Some(challenge) = options
        .signet_challenge
        .as_ref()
        .filter(|_| chain == common::Chain::Signet)
    {
        builder = builder.signet(challenge);
    }
    builder
        .with_block_tip_notification(
            move |state, hash: bitcoinkernel::BlockHash, progress: f64| {
                let hash = BlockHash::from_byte_array(hash.to_bytes());
                let initial_download = state != SynchronizationState::PostInit;
                last_progress.store(progress.to_bits(), Ordering::Relaxed);
                broadcast(
                    &tips,
                    ChainEvent::BlockTip {
                        hash,
                        initial_download,
                        progress,
                    },
                );
            },
        )
        .with_header_tip_notification(move |_state, height, time, presync| {
            broadcast(
                &headers,
                ChainEvent::HeaderTip {
                    height,
                    time,
                    presync,
                },
            );
        })
        .with_progress_notification(move |title, percent, resume_possible| {
            let event = ChainEvent::Progress {
                title,
                percent,
                resume_possible,
            };
            broadcast(&progress, event);
        })
        .with_block_checked_validation(
            move |block: bitcoinkernel::Block,
                  state: bitcoinkernel::BlockValidationStateRef<'_>| {
                let verdict = match state.mode() {
                    ValidationMode::Valid => Ok(()),
                    _ => Err(reject_reason(state.result())),
                };
                lock(&results).insert(block.hash().to_bytes(), verdict);
            },
        )
        .build()
        .map_err(|e| ChainError::Kernel {
            what: "cannot create kernel context",
            detail: e.to_string(),
        })
}

/// Opens the coins view in `net_dir`, removed first for a reindex (the startup walk then
/// rebuilds it from the new active chain).
fn open_coins(net_dir: &Path, reindex: bool) -> Result<CoinsView, ChainError> {
    let coins_file = net_dir.join("coins").join("coins.redb");
    if reindex {
        tracing::info!("reindexing: the coins view is rebuilt from the active chain");
        match std::fs::remove_file(&coins_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(ChainError::Wipe {
                    path: coins_file,
                    source: e,
                });
            }
            _ => {}
        }
    }
    Ok(CoinsView::open(&coins_file)?)
}
