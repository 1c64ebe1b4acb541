//! [`LocalWalletLoader`]: the wallets of one wallet process — creating, loading (each one
//! caught up with the chain before it is handed out), unloading, listing — with Core's
//! `settings.json` startup list, one notification subscription and one background sync
//! thread.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::BlockHash;
use bdk_wallet::chain::BlockId;
use bdk_wallet::Update;
use interfaces::{Chain, Handler};

use crate::wallet::error::WalletError;
use crate::wallet::events::Subscribers;
use crate::wallet::files::{self, DB_FILE, IMPORT_DIR, KEYS_FILE};
use crate::wallet::keys::KeyMaterial;
use crate::wallet::local::LocalWallet;
use crate::wallet::notify::{sync_thread, Notifications, Wake};
use crate::wallet::session;
use crate::wallet::shared::Shared;
use crate::wallet::store::Store;
use crate::wallet::sync::now;
use crate::wallet::WalletOptions;

/// Core's wallet creation flags beyond the passphrase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreateFlags {
    /// Core's `blank`: no descriptors until some are imported.
    pub blank: bool,
    /// Core's `disable_private_keys`: watch-only, no keys generated.
    pub disable_private_keys: bool,
}

impl CreateFlags {
    /// The flags of Core's `WALLET_FLAG_*` bits (the interface's `create_wallet`):
    /// `BLANK_WALLET`, `DISABLE_PRIVATE_KEYS`, and `DESCRIPTORS` (every wallet here is a
    /// descriptor wallet, so it may be left out); any other bit is refused.
    pub fn from_core(flags: u64) -> Result<CreateFlags, WalletError> {
        use interfaces::{
            WALLET_FLAG_AVOID_REUSE, WALLET_FLAG_BLANK_WALLET, WALLET_FLAG_DESCRIPTORS,
            WALLET_FLAG_DISABLE_PRIVATE_KEYS, WALLET_FLAG_EXTERNAL_SIGNER,
        };
        if flags & WALLET_FLAG_AVOID_REUSE != 0 {
            return Err(WalletError::Unsupported(
                "avoid_reuse is not supported yet".into(),
            ));
        }
        if flags & WALLET_FLAG_EXTERNAL_SIGNER != 0 {
            return Err(WalletError::Unsupported(
                "Compiled without external signing support (required for external signing)".into(),
            ));
        }
        let known =
            WALLET_FLAG_BLANK_WALLET | WALLET_FLAG_DESCRIPTORS | WALLET_FLAG_DISABLE_PRIVATE_KEYS;
        if flags & !known != 0 {
            return Err(WalletError::Unsupported(format!(
                "Unknown wallet flags: {:#x}",
                flags & !known
            )));
        }
        Ok(CreateFlags {
            blank: flags & WALLET_FLAG_BLANK_WALLET != 0,
            disable_private_keys: flags & WALLET_FLAG_DISABLE_PRIVATE_KEYS != 0,
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The wallets of one wallet process (shared as `Arc<LocalWalletLoader>`).
pub struct LocalWalletLoader {
    shared: Arc<Shared>,
    wake: Mutex<Sender<Wake>>,
    handler: Mutex<Option<Box<dyn Handler>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The session file, once [`LocalWalletLoader::keep_session`] was called.
    session: Mutex<Option<PathBuf>>,
}

impl std::fmt::Debug for LocalWalletLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalWalletLoader")
            .field("wallets_dir", &self.shared.wallets_dir)
            .field("wallets", &self.loaded())
            .finish_non_exhaustive()
    }
}

/// Core's warning when the startup list could not be written.
fn settings_warning(load: bool) -> String {
    let effect = if load {
        "may not be loaded"
    } else {
        "may still be loaded"
    };
    format!("Wallet load on startup setting could not be updated, so wallet {effect} next node startup.")
}

/// Points a new wallet at the node's tip (a new key has no history to scan for).
fn start_at_tip(store: &mut Store, chain: &dyn Chain) -> Result<(), WalletError> {
    let Some(tip) = chain.get_tip()? else {
        return Ok(());
    };
    let genesis = store.wallet.local_chain().genesis_hash();
    if chain.get_block_hash(0)? != Some(genesis.to_byte_array()) {
        return Err(WalletError::Chain(
            "The wallet's network does not match the node's chain".into(),
        ));
    }
    let height = u32::try_from(tip.height).unwrap_or(0);
    if height == 0 {
        return Ok(());
    }
    let block = BlockId {
        height,
        hash: BlockHash::from_byte_array(tip.hash),
    };
    let cp = store
        .wallet
        .latest_checkpoint()
        .push(block)
        .map_err(|_| WalletError::Chain("cannot start the wallet at the node's tip".into()))?;
    store
        .apply_update_all(&Update {
            chain: Some(cp),
            ..Update::default()
        })
        .map_err(|e| WalletError::Chain(e.to_string()))?;
    store.persist()
}

impl LocalWalletLoader {
    /// A loader for the wallets in `wallets_dir`, following `chain`; `settings_file` is
    /// Core's `<netdir>/settings.json`. Subscribes to the chain's notifications and starts
    /// the background sync thread; loads no wallet (see
    /// [`LocalWalletLoader::load_startup_wallets`]).
    pub fn new(
        chain: Arc<dyn Chain>,
        wallets_dir: PathBuf,
        settings_file: PathBuf,
        options: WalletOptions,
    ) -> Arc<LocalWalletLoader> {
        let shared = Arc::new(Shared {
            chain: chain.clone(),
            wallets_dir,
            settings_file,
            options,
            wallets: Mutex::new(Vec::new()),
            load_lock: Mutex::new(()),
            load_subscribers: Subscribers::default(),
        });
        let (wake, wakes) = mpsc::channel();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("wallet-sync".into())
            .spawn(move || sync_thread(thread_shared, wakes))
            .map_err(|e| tracing::error!("cannot start the wallet sync thread: {e}"))
            .ok();
        let notifications = Arc::new(Notifications {
            shared: Arc::downgrade(&shared),
            wake: wake.clone(),
        });
        let handler = chain
            .handle_notifications(notifications)
            .map_err(|e| tracing::warn!("cannot subscribe to chain notifications: {e}"))
            .ok();
        Arc::new(LocalWalletLoader {
            shared,
            wake: Mutex::new(wake),
            handler: Mutex::new(handler),
            thread: Mutex::new(thread),
            session: Mutex::new(None),
        })
    }

    /// The wallets directory.
    pub fn wallets_dir(&self) -> &Path {
        &self.shared.wallets_dir
    }

    /// What the loader, its notification subscriber and its sync thread share.
    pub(crate) fn shared_state(&self) -> &Shared {
        &self.shared
    }

    /// The options every wallet is loaded with.
    pub fn options(&self) -> &WalletOptions {
        &self.shared.options
    }

    /// The chain the wallets follow.
    pub fn chain(&self) -> &Arc<dyn Chain> {
        &self.shared.chain
    }

    /// The loaded wallets, in load order.
    pub fn loaded(&self) -> Vec<Arc<LocalWallet>> {
        self.shared.loaded()
    }

    /// A loaded wallet.
    pub fn get(&self, name: &str) -> Result<Arc<LocalWallet>, WalletError> {
        self.loaded()
            .into_iter()
            .find(|w| w.name() == name)
            .ok_or(WalletError::NotLoaded)
    }

    /// Syncs every loaded wallet now (blocking).
    pub fn sync_all(&self) -> Result<(), WalletError> {
        self.shared.sync_all()
    }

    /// Asks the background thread to sync every wallet.
    pub fn request_sync(&self) {
        let _ = lock(&self.wake).send(Wake::Sync);
    }

    /// Applies `load_on_startup` to the settings file; a warning when that failed.
    fn update_settings(&self, name: &str, load: Option<bool>) -> Option<String> {
        let load = load?;
        match files::update_startup_wallets(&self.shared.settings_file, name, load) {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!("updating {}: {e}", self.shared.settings_file.display());
                Some(settings_warning(load))
            }
        }
    }

    fn register(&self, wallet: Arc<LocalWallet>) {
        lock(&self.shared.wallets).push(wallet.clone());
        self.save_session();
        self.shared.load_subscribers.publish(&wallet);
    }

    /// Keeps the session file listing the loaded wallets from now on, after loading the
    /// wallets a process that died had listed there (see [`crate::wallet::session`]).
    /// Returns the names it reloaded.
    pub fn keep_session(&self) -> Vec<String> {
        let path = session::path(&self.shared.wallets_dir);
        let mut restored = Vec::new();
        for name in session::read(&path) {
            if self.get(&name).is_ok() {
                continue;
            }
            match self.load_wallet_with(&name, None) {
                Ok(_) => restored.push(name),
                Err(e) => tracing::warn!(wallet = %name, "cannot reload wallet: {e}"),
            }
        }
        *lock(&self.session) = Some(path);
        self.save_session();
        restored
    }

    fn save_session(&self) {
        if let Some(path) = lock(&self.session).as_ref() {
            let names: Vec<String> = self.loaded().iter().map(|w| w.name().to_string()).collect();
            session::write(path, &names);
        }
    }

    /// Creates wallet `name` (Core's `createwallet`) and loads it; `load_on_startup` adds
    /// it to (true) or removes it from (false) the startup list. Returns it with warnings.
    pub fn create_wallet_with(
        &self,
        name: &str,
        passphrase: &str,
        load_on_startup: Option<bool>,
    ) -> Result<(Arc<LocalWallet>, Vec<String>), WalletError> {
        self.create_wallet_as(name, passphrase, load_on_startup, CreateFlags::default())
    }

    /// [`LocalWalletLoader::create_wallet_with`] with Core's `blank` and
    /// `disable_private_keys` flags: either makes a wallet without descriptors (until
    /// `importdescriptors`); the second also one that never holds private keys.
    pub fn create_wallet_as(
        &self,
        name: &str,
        passphrase: &str,
        load_on_startup: Option<bool>,
        flags: CreateFlags,
    ) -> Result<(Arc<LocalWallet>, Vec<String>), WalletError> {
        files::validate_name(name)?;
        if flags.disable_private_keys && !passphrase.is_empty() {
            return Err(WalletError::Unsupported("Passphrase provided but private keys are disabled. A passphrase is only used to encrypt private keys, so cannot be used for wallets with private keys disabled.".into()));
        }
        let _loading = lock(&self.shared.load_lock);
        let dir = files::wallet_dir(&self.shared.wallets_dir, name);
        if dir.join(DB_FILE).exists() || dir.join(KEYS_FILE).exists() {
            return Err(WalletError::AlreadyExists(dir.display().to_string()));
        }
        let created_dir = !dir.exists();
        fs::create_dir_all(&dir).map_err(|e| WalletError::storage("Failed to create", &dir, e))?;
        let made = self.make_wallet(name, &dir, passphrase, flags);
        let wallet = match made {
            Ok(wallet) => wallet,
            Err(e) => {
                if created_dir {
                    let _ = fs::remove_dir_all(&dir);
                } else {
                    for file in [DB_FILE, KEYS_FILE] {
                        let _ = fs::remove_file(dir.join(file));
                    }
                }
                return Err(e);
            }
        };
        self.register(wallet.clone());
        tracing::info!(wallet = %name, "created wallet");
        Ok((
            wallet,
            self.update_settings(name, load_on_startup)
                .into_iter()
                .collect(),
        ))
    }

    fn make_wallet(
        &self,
        name: &str,
        dir: &Path,
        passphrase: &str,
        flags: CreateFlags,
    ) -> Result<Arc<LocalWallet>, WalletError> {
        let network = self.shared.options.network;
        let birthtime = i64::try_from(now()).unwrap_or(0);
        let mut keys = if flags.blank || flags.disable_private_keys {
            KeyMaterial::blank(birthtime, flags.disable_private_keys)
        } else {
            KeyMaterial::generate(network, birthtime)?
        };
        if !passphrase.is_empty() {
            let secp = bdk_wallet::bitcoin::secp256k1::Secp256k1::new();
            keys = keys.seal(passphrase, &secp, network, name)?;
        }
        keys.write(dir)?;
        let mut store = Store::create(dir, name, &keys, network)?;
        start_at_tip(&mut store, self.shared.chain.as_ref())?;
        let wallet = LocalWallet::new(
            name,
            dir,
            self.shared.chain.clone(),
            self.shared.options,
            keys,
            store,
        )?;
        let wallet = Arc::new(wallet);
        wallet.sync()?;
        Ok(wallet)
    }

    /// Loads wallet `name` (Core's `loadwallet`) and catches it up with the chain;
    /// `load_on_startup` as for [`LocalWalletLoader::create_wallet_with`].
    pub fn load_wallet_with(
        &self,
        name: &str,
        load_on_startup: Option<bool>,
    ) -> Result<(Arc<LocalWallet>, Vec<String>), WalletError> {
        files::validate_name(name)?;
        let _loading = lock(&self.shared.load_lock);
        if self.get(name).is_ok() {
            return Err(WalletError::AlreadyLoaded(name.to_string()));
        }
        let dir = files::wallet_dir(&self.shared.wallets_dir, name);
        if !dir.exists() {
            return Err(WalletError::NotFound(dir.display().to_string()));
        }
        if !dir.join(DB_FILE).is_file() {
            return Err(WalletError::BadFormat(dir.display().to_string()));
        }
        let network = self.shared.options.network;
        let keys = KeyMaterial::read(&dir, name)?;
        files::settle_import(&dir, !keys.blank)?;
        let store = Store::open(&dir, name, &keys, network)?;
        let wallet = LocalWallet::new(
            name,
            &dir,
            self.shared.chain.clone(),
            self.shared.options,
            keys,
            store,
        )?;
        let wallet = Arc::new(wallet);
        wallet.sync()?;
        wallet.rescan_fresh_pairs()?;
        self.register(wallet.clone());
        tracing::info!(wallet = %name, "loaded wallet");
        Ok((
            wallet,
            self.update_settings(name, load_on_startup)
                .into_iter()
                .collect(),
        ))
    }

    /// Unloads wallet `name` (Core's `unloadwallet`); its state was persisted as it changed.
    /// Returns warnings.
    pub fn unload_wallet_with(
        &self,
        name: &str,
        load_on_startup: Option<bool>,
    ) -> Result<Vec<String>, WalletError> {
        let _loading = lock(&self.shared.load_lock);
        let wallet = {
            let mut wallets = lock(&self.shared.wallets);
            let index = wallets
                .iter()
                .position(|w| w.name() == name)
                .ok_or(WalletError::NotLoaded)?;
            wallets.remove(index)
        };
        wallet.mark_unloaded();
        self.save_session();
        tracing::info!(wallet = %name, "unloaded wallet");
        Ok(self
            .update_settings(name, load_on_startup)
            .into_iter()
            .collect())
    }

    /// Loads the wallets of the settings file's startup list, then `extra` (`-wallet=`),
    /// skipping loaded ones and (with a warning, as Core does) missing ones. Returns the
    /// warnings; the first wallet that fails to load fails the call.
    pub fn load_startup_wallets(&self, extra: &[String]) -> Result<Vec<String>, WalletError> {
        let mut names = files::startup_wallets(&self.shared.settings_file)?;
        names.extend(extra.iter().cloned());
        let mut warnings = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for name in names {
            if !seen.insert(name.clone()) || self.get(&name).is_ok() {
                continue;
            }
            match self.load_wallet_with(&name, None) {
                Ok((_, more)) => warnings.extend(more),
                Err(WalletError::NotFound(path)) => {
                    let warning = format!("Skipping -wallet path that doesn't exist. Failed to load database path '{path}'. Path does not exist.");
                    tracing::warn!("{warning}");
                    warnings.push(warning);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(warnings)
    }
}

impl LocalWalletLoader {
    /// Gives blank wallet `name` its active descriptor pair (`importdescriptors`): `keys`
    /// (private, or public for a watch-only wallet, with their birthtime) are protected as
    /// the wallet's keys are (sealed when it is encrypted: it must be unlocked), then the
    /// wallet is unloaded, its store made anew over the new descriptors at the node's tip,
    /// and loaded again (unlocked as it was). The caller rescans from the descriptors'
    /// timestamp. Holders of the old `Arc<LocalWallet>` see it unloaded.
    pub fn replace_blank_descriptors(
        &self,
        name: &str,
        keys: KeyMaterial,
    ) -> Result<Arc<LocalWallet>, WalletError> {
        let _loading = lock(&self.shared.load_lock);
        let old = self.get(name)?;
        if !old.is_blank() {
            return Err(WalletError::Unsupported(
                "This wallet already has active descriptors; add a pair of another type instead (add_active_pair)".into(),
            ));
        }
        let (stored, unlock) = old.vault.protect(&keys)?;
        let dir = old.dir().to_path_buf();
        let network = self.shared.options.network;
        // Build the new store aside; the old wallet stays as it is if this fails.
        let staging = dir.join(IMPORT_DIR);
        files::settle_import(&dir, false)?;
        fs::create_dir_all(&staging)
            .map_err(|e| WalletError::storage("Failed to create", &staging, e))?;
        let built = Store::create(&staging, name, &stored, network)
            .and_then(|mut store| start_at_tip(&mut store, self.shared.chain.as_ref()));
        if let Err(e) = built {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        lock(&self.shared.wallets).retain(|w| w.name() != name);
        old.mark_unloaded();
        drop(old);
        // `keys.json` is the commit point (see `files::settle_import`, which loading runs).
        stored.write(&dir)?;
        files::settle_import(&dir, true)?;
        let wallet = self.reopen_imported(name, &dir, stored, unlock)?;
        tracing::info!(wallet = %name, "imported the wallet's active descriptors");
        Ok(wallet)
    }
}

impl LocalWalletLoader {
    /// Gives wallet `name` (not blank) the active pair (`external`, `internal`) of their
    /// output type (`importdescriptors`), replacing the pair of that type if it has one (not
    /// the primary pair, whose store holds the wallet's metadata): the keys, with the new
    /// pair, are protected as the wallet's keys are (an encrypted wallet must be unlocked),
    /// then the wallet is unloaded, the pair's store made anew at the wallet's chain, and the
    /// wallet loaded again (unlocked as it was). The caller rescans.
    pub fn add_active_pair(
        &self,
        name: &str,
        external: String,
        internal: String,
    ) -> Result<Arc<LocalWallet>, WalletError> {
        let _loading = lock(&self.shared.load_lock);
        let old = self.get(name)?;
        let kind = crate::wallet::keys::pair_kind(&external)
            .ok_or_else(|| WalletError::Unsupported("unknown descriptor type".into()))?;
        if crate::wallet::keys::pair_kind(&old.keys.external) == Some(kind) {
            return Err(WalletError::Unsupported(format!(
                "Replacing the wallet's primary active descriptor pair ({kind}) is not supported; import active descriptors of another type"
            )));
        }
        let mut keys = old.vault.private_keys()?;
        let mut replaced = false;
        for pair in &mut keys.extra {
            if crate::wallet::keys::pair_kind(&pair.0) == Some(kind) {
                *pair = (external.clone(), internal.clone());
                replaced = true;
            }
        }
        if !replaced {
            keys.extra.push((external, internal));
        }
        let (stored, unlock) = old.vault.protect(&keys)?;
        drop(keys);
        let dir = old.dir().to_path_buf();
        lock(&self.shared.wallets).retain(|w| w.name() != name);
        old.mark_unloaded();
        drop(old);
        let pair_path = dir.join(crate::wallet::store::pair_file(kind));
        if pair_path.exists() {
            fs::remove_file(&pair_path)
                .map_err(|e| WalletError::storage("Failed to replace", &pair_path, e))?;
        }
        stored.write(&dir)?;
        let wallet = self.reopen_imported(name, &dir, stored, unlock)?;
        tracing::info!(wallet = %name, kind, "imported an active descriptor pair");
        Ok(wallet)
    }

    /// Opens an imported wallet's store again, as it was unlocked before the import, catches
    /// it up and registers it.
    fn reopen_imported(
        &self,
        name: &str,
        dir: &Path,
        stored: KeyMaterial,
        unlock: Option<(String, u64)>,
    ) -> Result<Arc<LocalWallet>, WalletError> {
        let store = Store::open(dir, name, &stored, self.shared.options.network)?;
        let wallet = Arc::new(LocalWallet::new(
            name,
            dir,
            self.shared.chain.clone(),
            self.shared.options,
            stored,
            store,
        )?);
        if let Some((passphrase, left)) = unlock {
            if left > 0 {
                wallet.unlock_keys(&passphrase, left)?;
            }
        }
        wallet.sync()?;
        self.register(wallet.clone());
        Ok(wallet)
    }
}

impl Drop for LocalWalletLoader {
    fn drop(&mut self) {
        if let Some(path) = lock(&self.session).take() {
            session::remove(&path);
        }
        drop(lock(&self.handler).take());
        let _ = lock(&self.wake).send(Wake::Stop);
        if let Some(thread) = lock(&self.thread).take() {
            if thread.join().is_err() {
                tracing::error!("the wallet sync thread panicked");
            }
        }
    }
}
