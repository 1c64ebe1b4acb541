//! The session file of a wallet process the node spawned: which wallets are loaded right now
//! (`<wallets_dir>/.loaded-session.json`), written on every load and unload and removed when
//! the loader stops cleanly. A file left behind means the process died; the process the node
//! starts in its place loads the same wallets from it.

use std::path::{Path, PathBuf};

use crate::wallet::files;

/// The file's name in the wallets directory.
pub const SESSION_FILE: &str = ".loaded-session.json";

/// The session file of `wallets_dir`.
pub fn path(wallets_dir: &Path) -> PathBuf {
    wallets_dir.join(SESSION_FILE)
}

/// The wallets a dead process had loaded: none when there is no file; a file that cannot be
/// read is reported and ignored (the startup list still loads).
pub fn read(path: &Path) -> Vec<String> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!("cannot read {}: {e}", path.display());
            return Vec::new();
        }
    };
    match serde_json::from_slice::<Vec<String>>(&text) {
        Ok(names) => names,
        Err(e) => {
            tracing::warn!(
                "ignoring {}: not a list of wallet names ({e})",
                path.display()
            );
            Vec::new()
        }
    }
}

/// Records `names` as the loaded wallets (atomically).
pub fn write(path: &Path, names: &[String]) {
    let text = serde_json::Value::from(names.to_vec()).to_string();
    if let Err(e) = files::write_atomic(path, text.as_bytes(), 0o600) {
        tracing::warn!(
            "cannot record the loaded wallets in {}: {e}; a restarted wallet process may not reload them",
            path.display()
        );
    }
}

/// Removes the file at a clean stop.
pub fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("cannot remove {}: {e}", path.display()),
    }
}
