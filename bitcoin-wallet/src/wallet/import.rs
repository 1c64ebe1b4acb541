//! What `importdescriptors` needs of a loaded wallet beyond the loader's swap
//! ([`crate::wallet::LocalWalletLoader::replace_blank_descriptors`]): the height to rescan
//! from for a timestamp, and revealing addresses up to an imported `next_index`.

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

    /// Marks the addresses of `keychain` below `next_index` handed out (an imported
    /// descriptor's `next_index`).
    pub fn reveal_below(&self, keychain: KeychainKind, next_index: u32) -> Result<(), WalletError> {
        let Some(last) = next_index.checked_sub(1) else {
            return Ok(());
        };
        let mut state = self.lock()?;
        let _revealed: Vec<_> = state
            .store
            .wallet
            .reveal_addresses_to(keychain, last)
            .collect();
        state.store.persist()
    }
}
