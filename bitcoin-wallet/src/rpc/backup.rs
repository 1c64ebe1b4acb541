//! Core's `backupwallet` and `restorewallet` (`wallet/rpc/backup.cpp`): a backup is one
//! file holding the wallet's database and its keys (see [`crate::wallet::backup`]).

use std::path::Path;
use std::sync::Arc;

use rpc::protocol::{RpcError, RPC_WALLET_ERROR};
use rpc::{Method, Param, ParamType};
use serde_json::{json, Value};

use crate::rpc::{examples, synced_wallet, wallet_error};
use crate::wallet::LocalWalletLoader;

/// `backupwallet`.
pub fn backupwallet(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("backupwallet", "wallet", "Safely copies current wallet file to destination, which can be a directory or a path with filename.")
        .param(Param::required("destination", ParamType::Str, "The destination directory or file"))
        .result("null    (json null)")
        .examples(examples("backupwallet", "\"backup.dat\"", "\"backup.dat\""))
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            let destination = p.arg::<&str>("destination")?;
            wallet
                .backup(Path::new(destination))
                .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
            Ok(Value::Null)
        })
}

/// `restorewallet`.
pub fn restorewallet(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("restorewallet", "wallet", "Restore and loads a wallet from backup.\n\nThe rescan is significantly faster if a descriptor wallet is restored\nand block filters are available (using startup option \"-blockfilterindex=1\").")
        .param(Param::required("wallet_name", ParamType::Str, "The name that will be applied to the restored wallet"))
        .param(Param::required("backup_file", ParamType::Str, "The backup file that will be used to restore the wallet."))
        .param(Param::optional("load_on_startup", ParamType::Bool, "Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged."))
        .result(&super::rows(&[
            ("{", "(json object)"),
            ("  \"name\" : \"str\",", "(string) The wallet name if restored successfully."),
            ("  \"warnings\" : [", "(json array, optional) Warning messages, if any, related to restoring the wallet."),
            ("    \"str\",", "(string)"),
            ("    ...", ""),
            ("  ]", ""),
            ("}", ""),
        ]))
        .examples(
            examples(
                "restorewallet",
                "\"testwallet\" \"home\\backups\\backup-file.bak\"",
                "\"testwallet\", \"home\\backups\\backup-file.bak\"",
            ),
        )
        .handler(move |p| {
            let name = p.arg::<&str>("wallet_name")?;
            let backup = p.arg::<&str>("backup_file")?;
            let load_on_startup = p.maybe_arg::<bool>("load_on_startup")?;
            let (wallet, warnings) = loader
                .restore_wallet_with(name, Path::new(backup), load_on_startup)
                .map_err(wallet_error)?;
            let mut result = json!({ "name": wallet.name() });
            if !warnings.is_empty() {
                result["warnings"] = json!(warnings);
            }
            Ok(result)
        })
}
