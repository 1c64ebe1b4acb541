//! Core's wallet encryption on a loaded wallet (`encryptwallet`, `walletlock`,
//! `walletpassphrase`, `walletpassphrasechange`): the keys live in the wallet's
//! [`crate::wallet::vault::Vault`]; each change tells the wallet's subscribers.

use crate::wallet::error::WalletError;
use crate::wallet::events::WalletEvent;
use crate::wallet::local::LocalWallet;
use crate::wallet::store::Store;

/// Core's answer to an empty passphrase.
fn check_passphrase(passphrase: &str) -> Result<(), WalletError> {
    if passphrase.is_empty() {
        return Err(WalletError::InvalidParameter(
            "passphrase cannot be empty".into(),
        ));
    }
    Ok(())
}

impl LocalWallet {
    /// Encrypts the wallet's keys with `passphrase` (Core's `encryptwallet`); the wallet is
    /// locked afterwards, and its store reopened with the public descriptors only.
    pub fn encrypt_keys(&self, passphrase: &str) -> Result<(), WalletError> {
        check_passphrase(passphrase)?;
        if self.keys.watch_only {
            return Err(WalletError::EncryptionFailed(
                "Error: wallet does not contain private keys, nothing to encrypt.".into(),
            ));
        }
        let mut state = self.lock()?;
        self.vault.encrypt(passphrase, &self.dir)?;
        state.store.persist()?;
        state.store = Store::open(&self.dir, &self.name, &self.keys, self.options.network)?;
        drop(state);
        tracing::info!(wallet = %self.name, "encrypted the wallet's keys");
        self.notifier.publish(&WalletEvent::StatusChanged);
        Ok(())
    }

    /// Forgets the decrypted keys (Core's `walletlock`).
    pub fn lock_keys(&self) -> Result<(), WalletError> {
        drop(self.lock()?);
        self.vault.lock()?;
        self.notifier.publish(&WalletEvent::StatusChanged);
        Ok(())
    }

    /// Decrypts the keys for `timeout_secs` seconds (Core's `walletpassphrase`, capped at
    /// Core's 100000000 seconds).
    pub fn unlock_keys(&self, passphrase: &str, timeout_secs: u64) -> Result<(), WalletError> {
        check_passphrase(passphrase)?;
        drop(self.lock()?);
        let notifier = self.notifier.clone();
        self.vault.unlock(passphrase, timeout_secs, move || {
            notifier.publish(&WalletEvent::StatusChanged);
        })?;
        self.notifier.publish(&WalletEvent::StatusChanged);
        Ok(())
    }

    /// Re-encrypts the keys under `new` (Core's `walletpassphrasechange`).
    pub fn change_passphrase_of_keys(&self, old: &str, new: &str) -> Result<(), WalletError> {
        check_passphrase(old)?;
        check_passphrase(new)?;
        drop(self.lock()?);
        self.vault.change_passphrase(old, new, &self.dir)
    }
}
