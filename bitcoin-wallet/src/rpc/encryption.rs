//! Core's encryption methods (`wallet/rpc/encrypt.cpp`): `encryptwallet`,
//! `walletpassphrase`, `walletlock`, `walletpassphrasechange`, with Core's checks in Core's
//! order and its error codes (-8, -14, -15).

use std::sync::Arc;

use rpc::help::example_cli;
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::Value;

use crate::rpc::{examples, selected_wallet, wallet_error};
use crate::wallet::{LocalWallet, LocalWalletLoader, WalletError};

/// Core's `EXAMPLE_ADDRESS[0]`.
const EXAMPLE_ADDRESS: &str = "bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl";

/// Core's longest unlock, seconds.
const MAX_SLEEP_TIME: i64 = 100_000_000;

/// The selected wallet, which must be encrypted for `method`.
fn encrypted_wallet(
    loader: &LocalWalletLoader,
    p: &Params<'_>,
    method: &str,
) -> Result<Arc<LocalWallet>, RpcError> {
    let wallet = selected_wallet(loader, p.uri())?;
    if !wallet.vault.is_encrypted() {
        return Err(wallet_error(WalletError::WrongEncryptionState(format!(
            "Error: running with an unencrypted wallet, but {method} was called."
        ))));
    }
    Ok(wallet)
}

/// A passphrase argument, refused when empty as Core does.
fn passphrase<'a>(p: &'a Params<'_>, name: &str) -> Result<&'a str, RpcError> {
    let text = p.arg::<&str>(name)?;
    if text.is_empty() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "passphrase cannot be empty",
        ));
    }
    Ok(text)
}

/// `encryptwallet`.
pub fn encryptwallet(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("encryptwallet", "wallet", "Encrypts the wallet with 'passphrase'. This is for first time encryption.\nAfter this, any calls that interact with private keys such as sending or signing \nwill require the passphrase to be set prior the making these calls.\nUse the walletpassphrase call for this, and then walletlock call.\nIf the wallet is already encrypted, use the walletpassphrasechange call.")
        .param(Param::required("passphrase", ParamType::Str, "The pass phrase to encrypt the wallet with. It must be at least 1 character, but should be long."))
        .result("\"str\"    (string) A string with further instructions")
        .examples(
            "\nEncrypt your wallet\n".to_string()
                + &example_cli("encryptwallet", "\"my pass phrase\"")
                + "\nNow set the passphrase to use the wallet, such as for signing or sending bitcoin\n"
                + &example_cli("walletpassphrase", "\"my pass phrase\"")
                + "\nNow we can do something like sign\n"
                + &example_cli("signmessage", "\"address\" \"test message\"")
                + "\nNow lock the wallet again by removing the passphrase\n"
                + &example_cli("walletlock", "")
                + "\nAs a JSON-RPC call\n"
                + &rpc::help::example_rpc("encryptwallet", "\"my pass phrase\""),
        )
        .handler(move |p| encrypt(&loader, p))
}

fn encrypt(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = selected_wallet(loader, p.uri())?;
    if wallet.vault.is_encrypted() {
        return Err(wallet_error(WalletError::WrongEncryptionState(
            "Error: running with an encrypted wallet, but encryptwallet was called.".into(),
        )));
    }
    let passphrase = passphrase(p, "passphrase")?;
    wallet.encrypt_keys(passphrase).map_err(wallet_error)?;
    // Core's text speaks of a new HD seed; this wallet keeps its keys (encrypted), so an
    // older backup still spends, but holds the keys unencrypted.
    Ok("wallet encrypted; the keys are now encrypted at rest. A backup made before this holds them unencrypted: make a new backup.".into())
}

/// `walletpassphrase`.
pub fn walletpassphrase(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("walletpassphrase", "wallet", "Stores the wallet decryption key in memory for 'timeout' seconds.\nThis is needed prior to performing transactions related to private keys such as sending bitcoins\n\nNote:\nIssuing the walletpassphrase command while the wallet is already unlocked will set a new unlock\ntime that overrides the old one.")
        .param(Param::required("passphrase", ParamType::Str, "The wallet passphrase"))
        .param(Param::required("timeout", ParamType::Num, "The time to keep the decryption key in seconds; capped at 100000000 (~3 years)."))
        .result("null    (json null)")
        .examples(
            "\nUnlock the wallet for 60 seconds\n".to_string()
                + &example_cli("walletpassphrase", "\"my pass phrase\" 60")
                + "\nLock the wallet again (before 60 seconds)\n"
                + &example_cli("walletlock", "")
                + "\nAs a JSON-RPC call\n"
                + &rpc::help::example_rpc("walletpassphrase", "\"my pass phrase\", 60"),
        )
        .handler(move |p| {
            let wallet = encrypted_wallet(&loader, p, "walletpassphrase")?;
            let text = p.arg::<&str>("passphrase")?;
            let timeout = p.arg::<i64>("timeout")?;
            if timeout < 0 {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Timeout cannot be negative."));
            }
            if text.is_empty() {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "passphrase cannot be empty"));
            }
            let timeout = u64::try_from(timeout.min(MAX_SLEEP_TIME)).unwrap_or(0);
            wallet.unlock_keys(text, timeout).map_err(wallet_error)?;
            Ok(Value::Null)
        })
}

/// `walletlock`.
pub fn walletlock(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("walletlock", "wallet", "Removes the wallet encryption key from memory, locking the wallet.\nAfter calling this method, you will need to call walletpassphrase again\nbefore being able to call any methods which require the wallet to be unlocked.")
        .result("null    (json null)")
        .examples(
            "\nSet the passphrase for 2 minutes to perform a transaction\n".to_string()
                + &example_cli("walletpassphrase", "\"my pass phrase\" 120")
                + "\nPerform a send (requires passphrase set)\n"
                + &example_cli("sendtoaddress", &format!("\"{EXAMPLE_ADDRESS}\" 1.0"))
                + "\nClear the passphrase since we are done before 2 minutes is up\n"
                + &example_cli("walletlock", "")
                + "\nAs a JSON-RPC call\n"
                + &rpc::help::example_rpc("walletlock", ""),
        )
        .handler(move |p| {
            let wallet = encrypted_wallet(&loader, p, "walletlock")?;
            wallet.lock_keys().map_err(wallet_error)?;
            Ok(Value::Null)
        })
}

/// `walletpassphrasechange`.
pub fn walletpassphrasechange(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new(
        "walletpassphrasechange",
        "wallet",
        "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.",
    )
    .param(Param::required(
        "oldpassphrase",
        ParamType::Str,
        "The current passphrase",
    ))
    .param(Param::required(
        "newpassphrase",
        ParamType::Str,
        "The new passphrase",
    ))
    .result("null    (json null)")
    .examples(examples(
        "walletpassphrasechange",
        "\"old one\" \"new one\"",
        "\"old one\", \"new one\"",
    ))
    .handler(move |p| {
        let wallet = encrypted_wallet(&loader, p, "walletpassphrasechange")?;
        let old = p.arg::<&str>("oldpassphrase")?;
        let new = p.arg::<&str>("newpassphrase")?;
        if old.is_empty() || new.is_empty() {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "passphrase cannot be empty",
            ));
        }
        wallet
            .change_passphrase_of_keys(old, new)
            .map_err(wallet_error)?;
        Ok(Value::Null)
    })
}
