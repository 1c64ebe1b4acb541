//! Backups (Core's `backupwallet`, `restorewallet`): one file that holds everything a wallet
//! needs — a consistent copy of its `wallet.sqlite` (SQLite's `VACUUM INTO`) with its
//! `keys.json` (encrypted if the wallet is) in one more table. Restoring splits them again
//! into a new wallet directory and loads it, which catches it up with the chain.

use std::fs;
use std::path::{Path, PathBuf};

use bdk_wallet::rusqlite::{params, Connection, OptionalExtension};

use crate::wallet::error::WalletError;
use crate::wallet::files::{self, DB_FILE, KEYS_FILE};
use crate::wallet::{LocalWallet, LocalWalletLoader};

/// The table of a backup that holds the wallet's `keys.json`.
const KEYS_TABLE: &str = "rbw_backup_keys";

/// The file a backup into a directory gets (Core names it after the wallet file).
fn backup_file_name(wallet: &str) -> String {
    if wallet.is_empty() {
        "wallet.bak".into()
    } else {
        format!("{wallet}.bak")
    }
}

fn failed(path: &Path, e: impl std::fmt::Display) -> WalletError {
    tracing::warn!(path = %path.display(), "wallet backup failed: {e}");
    WalletError::Refused("Error: Wallet backup failed!".into())
}

impl LocalWallet {
    /// Writes a backup of the wallet to `destination` (a file, replaced if it exists, or a
    /// directory to put `<name>.bak` in) and returns the file written.
    pub fn backup(&self, destination: &Path) -> Result<PathBuf, WalletError> {
        let target = if destination.is_dir() {
            destination.join(backup_file_name(&self.name))
        } else {
            destination.to_path_buf()
        };
        let own = [self.dir.join(DB_FILE), self.dir.join(KEYS_FILE)];
        if let Ok(resolved) = target.canonicalize() {
            if own
                .iter()
                .any(|f| f.canonicalize().ok().as_ref() == Some(&resolved))
            {
                return Err(failed(&target, "the destination is the wallet's own file"));
            }
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let file_name = target
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| failed(&target, "no file name"))?;
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let written = (|| {
            // The state lock keeps the database still while it is copied.
            let mut state = self.lock()?;
            let keys = fs::read_to_string(self.dir.join(KEYS_FILE)).map_err(|e| failed(&tmp, e))?;
            state.store.copy_into(&tmp).map_err(|e| failed(&tmp, e))?;
            drop(state);
            let conn = Connection::open(&tmp).map_err(|e| failed(&tmp, e))?;
            conn.execute_batch(&format!("CREATE TABLE {KEYS_TABLE} (json TEXT NOT NULL)"))
                .and_then(|()| {
                    conn.execute(
                        &format!("INSERT INTO {KEYS_TABLE} (json) VALUES (?1)"),
                        params![keys],
                    )
                })
                .map_err(|e| failed(&tmp, e))?;
            drop(conn);
            fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .and_then(|()| fs::rename(&tmp, &target))
                .map_err(|e| failed(&target, e))
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written?;
        tracing::info!(wallet = %self.name, path = %target.display(), "wallet backed up");
        Ok(target)
    }
}

/// Reads a backup's keys, checking that it is one.
fn read_backup(backup: &Path) -> Result<String, WalletError> {
    let not_a_backup = |e: &dyn std::fmt::Display| {
        WalletError::InvalidParameter(format!("{} is not a wallet backup ({e})", backup.display()))
    };
    let conn = Connection::open_with_flags(
        backup,
        bdk_wallet::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| not_a_backup(&e))?;
    conn.query_row(&format!("SELECT json FROM {KEYS_TABLE}"), [], |r| {
        r.get::<_, String>(0)
    })
    .optional()
    .map_err(|e| not_a_backup(&e))?
    .ok_or_else(|| not_a_backup(&"no keys in it"))
}

impl LocalWalletLoader {
    /// Restores the backup at `backup` as wallet `name` and loads it (Core's
    /// `restorewallet`); `load_on_startup` as for `createwallet`. Returns it with warnings.
    pub fn restore_wallet_with(
        &self,
        name: &str,
        backup: &Path,
        load_on_startup: Option<bool>,
    ) -> Result<(std::sync::Arc<LocalWallet>, Vec<String>), WalletError> {
        files::validate_name(name)?;
        if !backup.is_file() {
            return Err(WalletError::InvalidParameter(
                "Backup file does not exist".into(),
            ));
        }
        let dir = files::wallet_dir(self.wallets_dir(), name);
        if dir.exists() {
            return Err(WalletError::InvalidParameter(format!(
                "Failed to create database path '{}'. Database already exists.",
                dir.display()
            )));
        }
        let keys = read_backup(backup)?;
        let restored = (|| {
            fs::create_dir_all(&dir)
                .map_err(|e| WalletError::storage("Failed to create", &dir, e))?;
            let db = dir.join(DB_FILE);
            fs::copy(backup, &db).map_err(|e| WalletError::storage("Failed to write", &db, e))?;
            let conn = Connection::open(&db)
                .map_err(|e| WalletError::storage("Failed to open", &db, e))?;
            conn.execute_batch(&format!("DROP TABLE {KEYS_TABLE}"))
                .map_err(|e| WalletError::storage("Failed to write", &db, e))?;
            drop(conn);
            files::write_atomic(&dir.join(KEYS_FILE), keys.as_bytes(), 0o600)?;
            self.load_wallet_with(name, load_on_startup)
        })();
        if restored.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        let restored = restored?;
        tracing::info!(wallet = %name, backup = %backup.display(), "wallet restored");
        Ok(restored)
    }
}
