//! New addresses (Core's `wallet/rpc/addresses.cpp`): `getnewaddress`, `getrawchangeaddress`.

use std::sync::Arc;

use rpc::{Method, Param, ParamType};

use crate::rpc::{examples, label_from, selected_wallet, wallet_error};
use crate::wallet::LocalWalletLoader;

/// The `address_type` description (with Core's `FormatAllOutputTypes`).
const TYPE_DESC: &str =
    "The address type to use. Options are \"legacy\", \"p2sh-segwit\", \"bech32\", \"bech32m\".";

/// `getnewaddress`.
pub fn getnewaddress(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("getnewaddress", "wallet", "Returns a new Bitcoin address for receiving payments.\nIf 'label' is specified, it is added to the address book \nso payments received with the address will be associated with 'label'.")
        .param(Param::default("label", ParamType::Str, "", "The label name for the address to be linked to. It can also be set to the empty string \"\" to represent the default label. The label does not need to exist, it will be created if there is no label by the given name."))
        .param(Param::hint("address_type", ParamType::Str, "set by -addresstype", TYPE_DESC))
        .result("\"str\"    (string) The new bitcoin address")
        .examples(examples("getnewaddress", "", ""))
        .handler(move |p| {
            let wallet = selected_wallet(&loader, p.uri())?;
            let label = label_from(p.maybe_arg::<&str>("label")?)?;
            let address_type = p.maybe_arg::<&str>("address_type")?.unwrap_or("");
            Ok(wallet.new_address(&label, address_type).map_err(wallet_error)?.into())
        })
}

/// `getrawchangeaddress`.
pub fn getrawchangeaddress(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("getrawchangeaddress", "wallet", "Returns a new Bitcoin address, for receiving change.\nThis is for use with raw transactions, NOT normal use.")
        .param(Param::hint("address_type", ParamType::Str, "set by -changetype", TYPE_DESC))
        .result("\"str\"    (string) The address")
        .examples(examples("getrawchangeaddress", "", ""))
        .handler(move |p| {
            let wallet = selected_wallet(&loader, p.uri())?;
            let address_type = p.maybe_arg::<&str>("address_type")?.unwrap_or("");
            Ok(wallet.change_address(address_type).map_err(wallet_error)?.into())
        })
}
