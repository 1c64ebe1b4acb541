//! `signmessage` (Core's `wallet/rpc/signmessage.cpp`): only P2PKH addresses name a key to
//! sign with; `verifymessage` is the node's.

use std::sync::Arc;

use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::PubkeyHash;
use rpc::address::{decode_destination, Destination};
use rpc::help::{example_cli, example_rpc};
use rpc::protocol::{RpcError, RPC_INVALID_ADDRESS_OR_KEY, RPC_TYPE_ERROR};
use rpc::{Method, Param, ParamType};

use crate::rpc::{selected_wallet, wallet_error};
use crate::wallet::{common_chain, LocalWalletLoader, WalletError};

/// Core's example address of the message methods.
const EXAMPLE_ADDRESS: &str = "\"1D1ZrZNe3JUo7ZycKEYQQiQAWd9y54F4XX\"";

/// `signmessage`.
pub fn signmessage(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("signmessage", "wallet", "Sign a message with the private key of an address\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.")
        .param(Param::required("address", ParamType::Str, "The bitcoin address to use for the private key."))
        .param(Param::required("message", ParamType::Str, "The message to create a signature of."))
        .result("\"str\"    (string) The signature of the message encoded in base 64")
        .examples(format!(
            "\nUnlock the wallet for 30 seconds\n{}\nCreate the signature\n{}\nVerify the signature\n{}\nAs a JSON-RPC call\n{}",
            example_cli("walletpassphrase", "\"mypassphrase\" 30"),
            example_cli("signmessage", &format!("{EXAMPLE_ADDRESS} \"my message\"")),
            example_cli("verifymessage", &format!("{EXAMPLE_ADDRESS} \"signature\" \"my message\"")),
            example_rpc("signmessage", &format!("{EXAMPLE_ADDRESS}, \"my message\"")),
        ))
        .handler(move |p| {
            let wallet = selected_wallet(&loader, p.uri())?;
            // Core's EnsureWalletIsUnlocked comes before the address is looked at.
            if wallet.vault.is_encrypted() && wallet.vault.unlocked_until() == 0 {
                return Err(wallet_error(WalletError::Locked));
            }
            let chain = common_chain(wallet.options().network);
            let address = p.arg::<&str>("address")?;
            let message = p.arg::<&str>("message")?;
            let destination = decode_destination(address, chain)
                .map_err(|_| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address"))?;
            let Destination::PubKeyHash(hash) = destination else {
                return Err(RpcError::new(RPC_TYPE_ERROR, "Address does not refer to key"));
            };
            let hash = PubkeyHash::from_byte_array(hash);
            Ok(wallet.sign_message(&hash, message).map_err(wallet_error)?.into())
        })
}
