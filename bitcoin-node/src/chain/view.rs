//! The chainstate's coins view: keeping it in step after each processed block, and reading it.

use std::sync::{PoisonError, RwLockReadGuard};

use bitcoin::OutPoint;
use bitcoinkernel::ChainstateManager;

use super::events::broadcast;
use super::{ChainError, ChainEvent, ChainState};
use crate::coins::{self, BestBlock, Coin, CoinsStats, CoinsView, Step};

impl ChainState {
    fn coins_view(&self) -> RwLockReadGuard<'_, Option<CoinsView>> {
        self.coins.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the coins view in step with the kernel's active chain (outside any kernel
    /// callback), sending a [`ChainEvent`] per block connected or disconnected. A failure is
    /// logged; the next call tries again.
    pub(super) fn sync_coins(&self, chainman: &ChainstateManager) {
        let guard = self.coins_view();
        let Some(view) = guard.as_ref() else {
            return;
        };
        let mut step = |s: Step| broadcast(&self.subscribers, ChainEvent::from_step(s));
        if let Err(e) = coins::sync::sync(view, chainman, &mut step) {
            tracing::error!("cannot update the coins view: {e}");
        }
    }

    /// The unspent output at `outpoint` (`None` when spent or unknown) and the block the coins
    /// view is at, read together.
    pub fn txout(
        &self,
        outpoint: &OutPoint,
    ) -> Result<(Option<Coin>, Option<BestBlock>), ChainError> {
        let guard = self.coins_view();
        let view = guard.as_ref().ok_or(ChainError::Closed)?;
        Ok(view.coin(outpoint)?)
    }

    /// Statistics of the whole coins view (one scan; with Core's `hash_serialized_3` when
    /// `hash` is set).
    pub fn coins_stats(&self, hash: bool) -> Result<CoinsStats, ChainError> {
        let guard = self.coins_view();
        let view = guard.as_ref().ok_or(ChainError::Closed)?;
        Ok(view.stats(hash)?)
    }
}
