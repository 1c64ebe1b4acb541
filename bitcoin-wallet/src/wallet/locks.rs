//! Coin locks (Core's `lockunspent`/`listlockunspent`): a locked coin is left out of coin
//! selection and of `listunspent`; a persistent lock is written to `wallet.sqlite` before it
//! is reported and survives a restart, the others live in memory only.

use bdk_wallet::bitcoin::OutPoint;

use crate::wallet::error::WalletError;
use crate::wallet::local::{LocalWallet, State};

fn invalid(message: &str) -> WalletError {
    WalletError::InvalidParameter(format!("Invalid parameter, {message}"))
}

/// Core's checks of one outpoint for `lockunspent`.
fn check_outpoint(
    state: &State,
    outpoint: &OutPoint,
    unlock: bool,
    persistent: bool,
) -> Result<(), WalletError> {
    let tx = state
        .store
        .wallets()
        .find_map(|w| w.get_tx(outpoint.txid))
        .ok_or_else(|| invalid("unknown transaction"))?;
    if outpoint.vout as usize >= tx.tx_node.tx.output.len() {
        return Err(invalid("vout index out of bounds"));
    }
    let spent = state
        .store
        .wallets()
        .flat_map(|w| w.transactions())
        .any(|t| {
            t.tx_node
                .tx
                .input
                .iter()
                .any(|i| i.previous_output == *outpoint)
        });
    if spent {
        return Err(invalid("expected unspent output"));
    }
    let locked = state.store.is_locked(outpoint);
    if unlock && !locked {
        return Err(invalid("expected locked output"));
    }
    if !unlock && locked && !persistent {
        return Err(invalid("output already locked"));
    }
    Ok(())
}

impl LocalWallet {
    /// Core's `lockunspent` with outputs: checks every outpoint first, then locks (or
    /// unlocks) them all; persistent locks are written before this returns.
    pub fn lock_coins(
        &self,
        unlock: bool,
        outpoints: &[OutPoint],
        persistent: bool,
    ) -> Result<(), WalletError> {
        let mut state = self.lock()?;
        for outpoint in outpoints {
            check_outpoint(&state, outpoint, unlock, persistent)?;
        }
        for outpoint in outpoints {
            if unlock {
                state.store.unlock_coin(outpoint)?;
            } else {
                state.store.lock_coin(*outpoint, persistent)?;
            }
        }
        tracing::debug!(wallet = %self.name, count = outpoints.len(), unlock, persistent, "coin locks changed");
        Ok(())
    }

    /// Core's `UnlockAllCoins`.
    pub fn unlock_all_coins(&self) -> Result<(), WalletError> {
        self.lock()?.store.unlock_all_coins()
    }

    /// Core's `ListLockedCoins`.
    pub fn locked_coins(&self) -> Result<Vec<OutPoint>, WalletError> {
        Ok(self.lock()?.store.locked_coins())
    }
}
