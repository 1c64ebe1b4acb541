//! The wallet directory on disk: wallet names and their directories, the wallets listed in
//! it, files written atomically (temporary file, fsync, rename), and Core's `settings.json`
//! list of wallets to load at startup.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::wallet::error::WalletError;

/// The BDK store of a wallet, inside its directory.
pub const DB_FILE: &str = "wallet.sqlite";
/// The private descriptors of a wallet, inside its directory.
pub const KEYS_FILE: &str = "keys.json";
/// The directory, inside a wallet's, where `importdescriptors` builds the new store before
/// it replaces the old one.
pub const IMPORT_DIR: &str = ".import";
/// The settings key Core keeps its startup wallets under.
const SETTINGS_KEY: &str = "wallet";

/// Checks that `name` names a directory right under the wallets directory (Core allows
/// paths; this wallet does not): no `/`, `\`, NUL, and not `.` or `..`.
pub fn validate_name(name: &str) -> Result<(), WalletError> {
    let bad =
        name.contains(['/', '\\', '\0']) || name == "." || name == ".." || name.contains("..");
    if bad {
        return Err(WalletError::InvalidName(name.to_string()));
    }
    Ok(())
}

/// The directory of wallet `name` (the wallets directory itself for the unnamed wallet `""`).
pub fn wallet_dir(wallets_dir: &Path, name: &str) -> PathBuf {
    if name.is_empty() {
        wallets_dir.to_path_buf()
    } else {
        wallets_dir.join(name)
    }
}

/// The wallets in `wallets_dir` (Core's `ListDatabases`): `""` when the directory itself
/// holds a wallet, then every subdirectory holding one, sorted by name.
pub fn list_wallets(wallets_dir: &Path) -> Result<Vec<String>, WalletError> {
    let mut names = Vec::new();
    if wallets_dir.join(DB_FILE).is_file() {
        names.push(String::new());
    }
    let entries = match fs::read_dir(wallets_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(WalletError::storage("Failed to list", wallets_dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.join(DB_FILE).is_file() {
            if let Some(name) = entry.file_name().to_str().filter(|n| *n != IMPORT_DIR) {
                found.push(name.to_string());
            }
        }
    }
    found.sort();
    names.extend(found);
    Ok(names)
}

/// Writes `contents` to `path` so that the file is never seen half written: a temporary file
/// next to it (created with `mode`), fsync, rename over `path`, fsync of the directory.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), WalletError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        if let Ok(dir) = fs::File::open(dir) {
            dir.sync_all()?;
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        WalletError::storage("Failed to write", path, e)
    })
}

/// Settles an import that stopped between building the new store in [`IMPORT_DIR`] and
/// moving it into place: `keys.json` is the commit point, so when it holds the imported
/// descriptors (`committed`) the new store replaces the old, else the new one is dropped.
pub fn settle_import(dir: &Path, committed: bool) -> Result<(), WalletError> {
    let staging = dir.join(IMPORT_DIR);
    let built = staging.join(DB_FILE);
    if committed && built.is_file() {
        let target = dir.join(DB_FILE);
        fs::rename(&built, &target)
            .map_err(|e| WalletError::storage("Failed to move the new store to", &target, e))?;
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .map_err(|e| WalletError::storage("Failed to remove", &staging, e))?;
    }
    Ok(())
}

/// Reads the settings file as a JSON object (an absent file is an empty object).
fn read_settings(path: &Path) -> Result<Map<String, Value>, WalletError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => return Err(WalletError::storage("Failed to read", path, e)),
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(WalletError::Storage(format!(
            "Settings file {} does not contain a JSON object",
            path.display()
        ))),
        Err(e) => Err(WalletError::Storage(format!(
            "Unable to parse settings file {}: {e}",
            path.display()
        ))),
    }
}

/// The wallets the settings file says to load at startup (Core's `wallet` setting: an array
/// of names, or one name).
pub fn startup_wallets(path: &Path) -> Result<Vec<String>, WalletError> {
    let settings = read_settings(path)?;
    Ok(match settings.get(SETTINGS_KEY) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(name)) => vec![name.clone()],
        _ => Vec::new(),
    })
}

/// Adds `name` to (`load` true) or removes it from (`load` false) the settings file's
/// startup wallets, keeping every other key (Core's `AddWalletSetting`/`RemoveWalletSetting`).
pub fn update_startup_wallets(path: &Path, name: &str, load: bool) -> Result<(), WalletError> {
    let mut settings = read_settings(path)?;
    let mut names: Vec<Value> = match settings.remove(SETTINGS_KEY) {
        Some(Value::Array(items)) => items,
        Some(Value::String(one)) => vec![Value::String(one)],
        _ => Vec::new(),
    };
    let present = names.iter().any(|v| v.as_str() == Some(name));
    if load && !present {
        names.push(Value::String(name.to_string()));
    } else if !load {
        names.retain(|v| v.as_str() != Some(name));
    }
    settings.insert(SETTINGS_KEY.to_string(), Value::Array(names));
    let text = serde_json::to_string_pretty(&Value::Object(settings))
        .map_err(|e| WalletError::Storage(e.to_string()))?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| WalletError::storage("Failed to create", dir, e))?;
    }
    write_atomic(path, format!("{text}\n").as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_listing() {
        for bad in ["a/b", "..", "../x", "a\0b", "."] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name("").is_ok());
        assert!(validate_name("w 1").is_ok());
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(wallet_dir(dir.path(), ""), dir.path());
        assert!(list_wallets(&dir.path().join("missing"))
            .expect("empty")
            .is_empty());
        fs::create_dir(dir.path().join("b")).expect("mkdir");
        fs::create_dir(dir.path().join("a")).expect("mkdir");
        fs::create_dir(dir.path().join("empty")).expect("mkdir");
        fs::write(dir.path().join("b").join(DB_FILE), b"").expect("write");
        fs::write(dir.path().join("a").join(DB_FILE), b"").expect("write");
        assert_eq!(list_wallets(dir.path()).expect("list"), ["a", "b"]);
    }

    #[test]
    fn settings_keep_other_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.json");
        fs::write(&path, r#"{"foo": 1, "wallet": "w0"}"#).expect("write");
        assert_eq!(startup_wallets(&path).expect("read"), ["w0"]);
        update_startup_wallets(&path, "w1", true).expect("add");
        update_startup_wallets(&path, "w1", true).expect("add twice");
        update_startup_wallets(&path, "w0", false).expect("remove");
        assert_eq!(startup_wallets(&path).expect("read"), ["w1"]);
        let text = fs::read_to_string(&path).expect("read");
        let value: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value["foo"], 1);
        fs::write(&path, "{not json").expect("write");
        assert!(startup_wallets(&path).is_err());
        assert!(update_startup_wallets(&path, "w", true).is_err());
    }

    #[test]
    fn an_interrupted_import_settles_on_keys_json() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stage = |dir: &Path| {
            fs::write(dir.join(DB_FILE), "old").expect("write");
            fs::create_dir_all(dir.join(IMPORT_DIR)).expect("mkdir");
            fs::write(dir.join(IMPORT_DIR).join(DB_FILE), "new").expect("write");
        };
        stage(dir.path());
        assert_eq!(list_wallets(dir.path()).expect("list"), vec![String::new()]);
        settle_import(dir.path(), false).expect("roll back");
        assert_eq!(
            fs::read_to_string(dir.path().join(DB_FILE)).expect("read"),
            "old"
        );
        assert!(!dir.path().join(IMPORT_DIR).exists());
        stage(dir.path());
        settle_import(dir.path(), true).expect("roll forward");
        assert_eq!(
            fs::read_to_string(dir.path().join(DB_FILE)).expect("read"),
            "new"
        );
        assert!(!dir.path().join(IMPORT_DIR).exists());
        settle_import(dir.path(), true).expect("nothing to do");
    }
}
