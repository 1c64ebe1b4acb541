//! [`Vault`]: a wallet's signing keys in memory. An unencrypted wallet's signers are always
//! there; an encrypted wallet holds none until unlocked with its passphrase, and forgets
//! them when locked or when the unlock times out (one relock thread per unlock, woken
//! early by any later lock or unlock).

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bdk_wallet::bitcoin::secp256k1::Secp256k1;
use bdk_wallet::bitcoin::Network;
use bdk_wallet::signer::SignersContainer;

use crate::wallet::error::WalletError;
use crate::wallet::keys::KeyMaterial;
use crate::wallet::now;

/// Core's `MAX_SLEEP_TIME`: the longest `walletpassphrase` timeout, seconds.
pub const MAX_UNLOCK_SECS: u64 = 100_000_000;

/// Both keychains' signers of every active pair (primary pair first).
pub type Signers = Arc<Vec<[SignersContainer; 2]>>;

struct VaultState {
    /// The keys as on disk: private, or public with the private ones sealed.
    keys: KeyMaterial,
    /// The signers, while available.
    signers: Option<Signers>,
    /// Until when an encrypted wallet is unlocked (seconds since the epoch; 0: locked).
    unlocked_until: i64,
    /// Bumped by every lock and unlock, so a stale relock thread gives up.
    generation: u64,
    /// The passphrase of an unlocked encrypted wallet, so that descriptors imported while
    /// unlocked are sealed as the generated ones are (Core keeps its master key for this).
    passphrase: Option<String>,
}

type Shared = (Mutex<VaultState>, Condvar);

/// A wallet's signing keys (see the module docs).
pub struct Vault {
    name: String,
    network: Network,
    inner: Arc<Shared>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("name", &self.name)
            .field("encrypted", &self.is_encrypted())
            .finish_non_exhaustive()
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, VaultState> {
    shared.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Replaces the kept passphrase, overwriting the old one's bytes in place (same length, no
/// reallocation) before they are freed.
fn keep_passphrase(state: &mut VaultState, passphrase: Option<&str>) {
    if let Some(mut old) = state.passphrase.take() {
        let zeros = "\0".repeat(old.len());
        old.replace_range(.., &zeros);
    }
    state.passphrase = passphrase.map(str::to_string);
}

/// Forgets the signers of the state (a lock or a timeout).
fn forget(state: &mut VaultState) {
    keep_passphrase(state, None);
    state.signers = None;
    state.unlocked_until = 0;
    state.generation += 1;
}

fn wrong_state(method: &str) -> WalletError {
    WalletError::WrongEncryptionState(format!(
        "Error: running with an unencrypted wallet, but {method} was called."
    ))
}

impl Vault {
    /// The vault of wallet `name` with `keys` as read from disk: unlocked for good when
    /// they are not encrypted, locked when they are.
    pub fn new(keys: KeyMaterial, network: Network, name: &str) -> Result<Vault, WalletError> {
        let signers = if keys.is_encrypted() {
            None
        } else {
            Some(Arc::new(keys.signers(&Secp256k1::new(), network, name)?))
        };
        Ok(Vault {
            name: name.to_string(),
            network,
            inner: Arc::new((
                Mutex::new(VaultState {
                    keys,
                    signers,
                    unlocked_until: 0,
                    generation: 0,
                    passphrase: None,
                }),
                Condvar::new(),
            )),
        })
    }

    /// Whether the keys are encrypted.
    pub fn is_encrypted(&self) -> bool {
        lock(&self.inner).keys.is_encrypted()
    }

    /// Until when an encrypted wallet is unlocked (0 when locked or not encrypted).
    pub fn unlocked_until(&self) -> i64 {
        lock(&self.inner).unlocked_until
    }

    /// The signers; [`WalletError::Locked`] while an encrypted wallet is locked.
    /// [`WalletError::PrivateKeysDisabled`] for a watch-only wallet.
    pub fn signers(&self) -> Result<Signers, WalletError> {
        let state = lock(&self.inner);
        if state.keys.watch_only {
            return Err(WalletError::PrivateKeysDisabled);
        }
        state.signers.clone().ok_or(WalletError::Locked)
    }

    /// `keys` (new, private) as this wallet keeps keys on disk: sealed under its passphrase
    /// when it is encrypted ([`WalletError::Locked`] unless it is unlocked), else as they
    /// are. With the passphrase and the seconds the unlock has left, to unlock their vault.
    pub fn protect(
        &self,
        keys: &KeyMaterial,
    ) -> Result<(KeyMaterial, Option<(String, u64)>), WalletError> {
        let state = lock(&self.inner);
        if !state.keys.is_encrypted() {
            return Ok((keys.clone(), None));
        }
        let passphrase = state.passphrase.clone().ok_or(WalletError::Locked)?;
        let sealed = keys.seal(&passphrase, &Secp256k1::new(), self.network, &self.name)?;
        let left = state
            .unlocked_until
            .saturating_sub(i64::try_from(now()).unwrap_or(i64::MAX));
        Ok((sealed, Some((passphrase, u64::try_from(left).unwrap_or(0)))))
    }

    /// The keys with their private descriptors in the clear (public ones for a watch-only
    /// wallet): unsealed with the kept passphrase when encrypted ([`WalletError::Locked`]
    /// unless unlocked).
    pub fn private_keys(&self) -> Result<KeyMaterial, WalletError> {
        let state = lock(&self.inner);
        if !state.keys.is_encrypted() {
            return Ok(state.keys.clone());
        }
        let passphrase = state.passphrase.as_deref().ok_or(WalletError::Locked)?;
        state.keys.unseal(passphrase, &self.name)
    }

    /// Encrypts the keys with `passphrase`, writes them to `dir` and forgets the signers
    /// (Core's `encryptwallet`: the wallet is locked afterwards).
    pub fn encrypt(&self, passphrase: &str, dir: &Path) -> Result<(), WalletError> {
        let mut state = lock(&self.inner);
        if state.keys.is_encrypted() {
            return Err(WalletError::WrongEncryptionState(
                "Error: running with an encrypted wallet, but encryptwallet was called.".into(),
            ));
        }
        let sealed = state
            .keys
            .seal(passphrase, &Secp256k1::new(), self.network, &self.name)?;
        sealed.write(dir)?;
        state.keys = sealed;
        forget(&mut state);
        self.inner.1.notify_all();
        Ok(())
    }

    /// Forgets the signers (Core's `walletlock`).
    pub fn lock(&self) -> Result<(), WalletError> {
        let mut state = lock(&self.inner);
        if !state.keys.is_encrypted() {
            return Err(wrong_state("walletlock"));
        }
        forget(&mut state);
        self.inner.1.notify_all();
        Ok(())
    }

    /// Decrypts the keys with `passphrase` for `timeout_secs` (capped at
    /// [`MAX_UNLOCK_SECS`]); `on_relock` runs if the timeout, rather than a later lock or
    /// unlock, ends it.
    pub fn unlock(
        &self,
        passphrase: &str,
        timeout_secs: u64,
        on_relock: impl FnOnce() + Send + 'static,
    ) -> Result<(), WalletError> {
        let mut state = lock(&self.inner);
        if !state.keys.is_encrypted() {
            return Err(wrong_state("walletpassphrase"));
        }
        let private = state.keys.unseal(passphrase, &self.name)?;
        let signers = private.signers(&Secp256k1::new(), self.network, &self.name)?;
        drop(private);
        let timeout = timeout_secs.min(MAX_UNLOCK_SECS);
        state.signers = Some(Arc::new(signers));
        keep_passphrase(&mut state, Some(passphrase));
        state.unlocked_until = i64::try_from(now().saturating_add(timeout)).unwrap_or(i64::MAX);
        state.generation += 1;
        let generation = state.generation;
        let until = state.unlocked_until;
        self.inner.1.notify_all();
        drop(state);
        let weak = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name(format!("wallet-relock-{}", self.name))
            .spawn(move || relock_at(&weak, generation, until, on_relock))
            .map_err(|e| WalletError::Storage(format!("cannot start the relock thread: {e}")))?;
        Ok(())
    }

    /// Re-encrypts the keys under `new` after checking `old`, and writes them to `dir`.
    pub fn change_passphrase(&self, old: &str, new: &str, dir: &Path) -> Result<(), WalletError> {
        let mut state = lock(&self.inner);
        if !state.keys.is_encrypted() {
            return Err(wrong_state("walletpassphrasechange"));
        }
        let private = state.keys.unseal(old, &self.name)?;
        let sealed = private.seal(new, &Secp256k1::new(), self.network, &self.name)?;
        sealed.write(dir)?;
        state.keys = sealed;
        if state.passphrase.is_some() {
            keep_passphrase(&mut state, Some(new));
        }
        Ok(())
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        lock(&self.inner).generation += 1;
        self.inner.1.notify_all();
    }
}

/// The relock thread of one unlock: waits until `until`, then locks unless another lock or
/// unlock (or the wallet going away) came first.
fn relock_at(
    shared: &Weak<Shared>,
    generation: u64,
    until: i64,
    on_relock: impl FnOnce() + Send + 'static,
) {
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let mut state = lock(&shared);
    loop {
        if state.generation != generation {
            return;
        }
        let left = until.saturating_sub(i64::try_from(now()).unwrap_or(i64::MAX));
        if left <= 0 {
            forget(&mut state);
            drop(state);
            tracing::debug!("wallet relocked after its unlock timeout");
            on_relock();
            return;
        }
        let wait = Duration::from_secs(u64::try_from(left).unwrap_or(0));
        state = shared
            .1
            .wait_timeout(state, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn lock_unlock_relock_and_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = KeyMaterial::generate(Network::Regtest, 1).expect("keys");
        let vault = Vault::new(keys, Network::Regtest, "w").expect("vault");
        assert!(vault.signers().is_ok() && !vault.is_encrypted());
        assert!(matches!(
            vault.lock(),
            Err(WalletError::WrongEncryptionState(_))
        ));
        vault.encrypt("one", dir.path()).expect("encrypt");
        assert!(vault.is_encrypted());
        assert_eq!(vault.signers().err(), Some(WalletError::Locked));
        assert!(matches!(
            vault.encrypt("two", dir.path()),
            Err(WalletError::WrongEncryptionState(_))
        ));
        assert_eq!(
            vault.unlock("bad", 60, || {}),
            Err(WalletError::WrongPassphrase)
        );
        vault.unlock("one", 60, || {}).expect("unlock");
        assert!(vault.signers().is_ok() && vault.unlocked_until() > 0);
        vault.lock().expect("lock");
        assert_eq!(vault.signers().err(), Some(WalletError::Locked));
        assert_eq!(vault.unlocked_until(), 0);

        let (relocked, told) = mpsc::channel();
        vault
            .unlock("one", 1, move || {
                let _ = relocked.send(());
            })
            .expect("unlock");
        told.recv_timeout(Duration::from_secs(10))
            .expect("relocked after the timeout");
        assert_eq!(vault.signers().err(), Some(WalletError::Locked));

        assert_eq!(
            vault.change_passphrase("bad", "two", dir.path()),
            Err(WalletError::WrongPassphrase)
        );
        vault
            .change_passphrase("one", "two", dir.path())
            .expect("change");
        assert_eq!(
            vault.unlock("one", 60, || {}),
            Err(WalletError::WrongPassphrase)
        );
        let reread = KeyMaterial::read(dir.path(), "w").expect("read");
        let again = Vault::new(reread, Network::Regtest, "w").expect("vault");
        assert!(again.is_encrypted() && again.signers().is_err());
        again.unlock("two", 60, || {}).expect("unlock after reload");
    }
}
