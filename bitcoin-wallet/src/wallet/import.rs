//! What `importdescriptors` needs of a loaded wallet beyond the loader's swaps
//! ([`crate::wallet::LocalWalletLoader::replace_blank_descriptors`],
//! [`crate::wallet::LocalWalletLoader::add_active_pair`]): the height to rescan from for a
//! timestamp, revealing addresses up to an imported `next_index`, and the rescan of pairs
//! whose store was made anew.

use bdk_wallet::KeychainKind;

use crate::wallet::error::WalletError;
use crate::wallet::local::LocalWallet;

/// Core's `TIMESTAMP_WINDOW`: blocks up to this many seconds before a key's timestamp are
/// scanned too (block times may run behind).
pub const TIMESTAMP_WINDOW: i64 = 2 * 60 * 60;

impl LocalWallet {
    /// The first block of the node's chain whose time is at least `time -
    /// TIMESTAMP_WINDOW` (Core's `FindFirstBlockWithTimeAndHeight`, by bisection over the
    /// block times); `None` when no block is that late.
    pub fn first_height_at(&self, time: i64) -> Result<Option<u32>, WalletError> {
        let Some(tip) = self.chain.get_tip()? else {
            return Ok(None);
        };
        let wanted = time.saturating_sub(TIMESTAMP_WINDOW);
        let block_time = |height: i32| -> Result<i64, WalletError> {
            let hash = self
                .chain
                .get_block_hash(height)?
                .ok_or_else(|| WalletError::Chain(format!("no block at height {height}")))?;
            let block = self
                .chain
                .find_block(hash)?
                .ok_or_else(|| WalletError::Chain(format!("no block at height {height}")))?;
            Ok(block.time)
        };
        if block_time(tip.height)? < wanted {
            return Ok(None);
        }
        let (mut low, mut high) = (0, tip.height);
        while low < high {
            let middle = low + (high - low) / 2;
            if block_time(middle)? >= wanted {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        Ok(u32::try_from(low).ok())
    }

    /// Rescans from the wallet's first block (the lowest of the primary pair's checkpoints
    /// above genesis: a new wallet starts at the tip of its day) when opening made the store
    /// of one of its pairs anew (a restored backup holds the primary pair's store only).
    pub(crate) fn rescan_fresh_pairs(&self) -> Result<(), WalletError> {
        let (fresh, start) = {
            let mut state = self.lock()?;
            let start = state
                .store
                .wallet
                .checkpoints()
                .map(|c| c.height())
                .filter(|h| *h > 0)
                .min()
                .unwrap_or(0);
            (std::mem::take(&mut state.store.fresh_pairs), start)
        };
        if fresh == 0 {
            return Ok(());
        }
        tracing::info!(wallet = %self.name, pairs = fresh, start, "descriptor pair stores made anew; rescanning");
        self.rescan(start, None)?;
        Ok(())
    }

    /// Marks the addresses of `keychain` of the active pair of `kind` below `next_index`
    /// handed out (an imported descriptor's `next_index`).
    pub fn reveal_below(
        &self,
        kind: &str,
        keychain: KeychainKind,
        next_index: u32,
    ) -> Result<(), WalletError> {
        let Some(last) = next_index.checked_sub(1) else {
            return Ok(());
        };
        let mut state = self.lock()?;
        let pair = state.store.pair_of_kind(kind).unwrap_or(0);
        if let Some(wallet) = state.store.pair_mut(pair) {
            let _revealed: Vec<_> = wallet.reveal_addresses_to(keychain, last).collect();
        }
        state.store.persist()
    }
}
