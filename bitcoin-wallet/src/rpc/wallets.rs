//! Managing wallets (Core's `wallet/rpc/wallet.cpp`): `createwallet`, `loadwallet`,
//! `unloadwallet`, `listwallets`, `listwalletdir`, `getwalletinfo`.

use std::sync::Arc;

use rpc::help::{example_cli, example_rpc};
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR};
use rpc::{Method, Param, ParamType};
use serde_json::{json, Map, Value};

use crate::rpc::{
    examples, last_processed_json, last_processed_rows, layout, rows, synced_wallet, wallet_error,
};
use crate::wallet::{CreateFlags, LocalWalletLoader, WalletError};

const LOAD_ON_STARTUP: &str = "Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged.";

/// `{"name": .., "warnings": [..]}` with the warnings left out when there are none (Core's
/// `PushWarnings`).
fn named_result(name: &str, warnings: Vec<String>) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), name.into());
    push_warnings(&mut object, warnings);
    Value::Object(object)
}

fn push_warnings(object: &mut Map<String, Value>, warnings: Vec<String>) {
    if !warnings.is_empty() {
        object.insert("warnings".into(), json!(warnings));
    }
}

fn warnings_rows(what: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "  \"warnings\" : [",
            format!("(json array, optional) Warning messages, if any, related to {what}."),
        ),
        ("    \"str\",", "(string)".into()),
        ("    ...", String::new()),
        ("  ]", String::new()),
    ]
}

fn name_and_warnings(name_desc: &str, what: &str) -> String {
    let mut r: Vec<(String, String)> = vec![
        ("{".into(), "(json object)".into()),
        (
            "  \"name\" : \"str\",".into(),
            format!("(string) {name_desc}"),
        ),
    ];
    r.extend(
        warnings_rows(what)
            .into_iter()
            .map(|(l, d)| (l.to_string(), d)),
    );
    r.push(("}".into(), String::new()));
    layout(&r)
}

/// `createwallet`.
pub fn createwallet(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("createwallet", "wallet", "Creates and loads a new wallet.\nA new wallet has one active descriptor pair per address type from one seed: BIP44 pkh() (legacy), BIP49 sh(wpkh()) (p2sh-segwit), BIP84 wpkh() (bech32) and BIP86 tr() (bech32m); a blank wallet (or one with private keys disabled) has none until importdescriptors gives it pairs.")
        .param(Param::required("wallet_name", ParamType::Str, "The name for the new wallet. If this is a path, the wallet will be created at the path location."))
        .param(Param::default("disable_private_keys", ParamType::Bool, false, "Disable the possibility of private keys (only watchonlys are possible in this mode)."))
        .param(Param::default("blank", ParamType::Bool, false, "Create a blank wallet. A blank wallet has no keys."))
        .param(Param::optional("passphrase", ParamType::Str, "Encrypt the wallet with this passphrase."))
        .param(Param::default("avoid_reuse", ParamType::Bool, false, "Keep track of coin reuse, and treat dirty and clean coins differently with privacy considerations in mind."))
        .param(Param::default("descriptors", ParamType::Bool, true, "If set, must be \"true\""))
        .param(Param::optional("load_on_startup", ParamType::Bool, LOAD_ON_STARTUP))
        .param(Param::default("external_signer", ParamType::Bool, false, "Use an external signer such as a hardware wallet. Requires -signer to be configured. Wallet creation will fail if keys cannot be fetched. Requires disable_private_keys and descriptors set to true."))
        .result(&name_and_warnings("The wallet name if created successfully. If the wallet was created using a full path, the wallet_name will be the full path.", "creating and loading the wallet"))
        .examples(examples("createwallet", "\"testwallet\"", "\"testwallet\"")
            + "> bitcoin-cli -named createwallet wallet_name=descriptors avoid_reuse=true load_on_startup=true\n"
            + "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"createwallet\", \"params\": {\"wallet_name\":\"descriptors\",\"avoid_reuse\":true,\"load_on_startup\":true}}' -H 'content-type: application/json' http://127.0.0.1:8332/\n")
        .handler(move |p| {
            let name = p.arg::<String>("wallet_name")?;
            let unsupported = |m: &str| Err(RpcError::new(RPC_WALLET_ERROR, m));
            let flags = CreateFlags {
                disable_private_keys: p.arg::<bool>("disable_private_keys")?,
                blank: p.arg::<bool>("blank")?,
            };
            let mut warnings = Vec::new();
            let passphrase = p.maybe_arg::<String>("passphrase")?;
            if passphrase.as_deref() == Some("") {
                warnings.push("Empty string given as passphrase, wallet will not be encrypted.".to_string());
            }
            if p.arg::<bool>("avoid_reuse")? {
                return unsupported("avoid_reuse is not supported yet");
            }
            if !p.arg::<bool>("descriptors")? {
                return unsupported("descriptors argument must be set to \"true\"; it is no longer possible to create a legacy wallet.");
            }
            if p.arg::<bool>("external_signer")? {
                return unsupported("Compiled without external signing support (required for external signing)");
            }
            let load_on_startup = p.maybe_arg::<bool>("load_on_startup")?;
            let (wallet, more) = loader
                .create_wallet_as(&name, passphrase.as_deref().unwrap_or(""), load_on_startup, flags)
                .map_err(wallet_error)?;
            warnings.extend(more);
            Ok(named_result(wallet.name(), warnings))
        })
}

/// `loadwallet`.
pub fn loadwallet(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("loadwallet", "wallet", "Loads a wallet from a wallet file or directory.\nNote that all wallet command-line options used when starting bitcoind will be\napplied to the new wallet.")
        .param(Param::required("filename", ParamType::Str, "The path to the directory of the wallet to be loaded, either absolute or relative to the \"wallets\" directory. The \"wallets\" directory is set by the -walletdir option and defaults to the \"wallets\" folder within the data directory."))
        .param(Param::optional("load_on_startup", ParamType::Bool, LOAD_ON_STARTUP))
        .result(&name_and_warnings("The wallet name if loaded successfully.", "loading the wallet"))
        .examples(format!(
            "\nLoad wallet from the wallet dir:\n{}\nLoad wallet using absolute path (Unix):\n{}\nLoad wallet using absolute path (Windows):\n{}",
            examples("loadwallet", "\"walletname\"", "\"walletname\""),
            examples("loadwallet", "\"/path/to/walletname/\"", "\"/path/to/walletname/\""),
            examples("loadwallet", "\"DriveLetter:\\path\\to\\walletname\\\"", "\"DriveLetter:\\path\\to\\walletname\\\""),
        ))
        .handler(move |p| {
            let name = p.arg::<String>("filename")?;
            let load_on_startup = p.maybe_arg::<bool>("load_on_startup")?;
            let (wallet, warnings) = loader.load_wallet_with(&name, load_on_startup).map_err(wallet_error)?;
            Ok(named_result(wallet.name(), warnings))
        })
}

/// Core's `EnsureUniqueWalletName`.
fn unique_wallet_name(uri: &str, param: Option<String>) -> Result<String, RpcError> {
    match (rpc::dispatch::wallet_name(uri), param) {
        (Some(endpoint), Some(named)) if endpoint != named => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "The RPC endpoint wallet and the wallet name parameter specify different wallets",
        )),
        (Some(endpoint), _) => Ok(endpoint),
        (None, Some(named)) => Ok(named),
        (None, None) => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Either the RPC endpoint wallet or the wallet name parameter must be provided",
        )),
    }
}

/// `unloadwallet`.
pub fn unloadwallet(loader: Arc<LocalWalletLoader>) -> Method {
    let mut result: Vec<(String, String)> = vec![("{".into(), "(json object)".into())];
    result.extend(
        warnings_rows("unloading the wallet")
            .into_iter()
            .map(|(l, d)| (l.to_string(), d)),
    );
    result.push(("}".into(), String::new()));
    Method::new("unloadwallet", "wallet", "Unloads the wallet referenced by the request endpoint or the wallet_name argument.\nIf both are specified, they must be identical.")
        .param(Param::hint("wallet_name", ParamType::Str, "the wallet name from the RPC endpoint", "The name of the wallet to unload. If provided both here and in the RPC endpoint, the two must be identical."))
        .param(Param::optional("load_on_startup", ParamType::Bool, LOAD_ON_STARTUP))
        .result(&layout(&result))
        .examples(examples("unloadwallet", "wallet_name", "wallet_name"))
        .handler(move |p| {
            let name = unique_wallet_name(p.uri(), p.maybe_arg::<String>("wallet_name")?)?;
            let load_on_startup = p.maybe_arg::<bool>("load_on_startup")?;
            let warnings = loader.unload_wallet_with(&name, load_on_startup).map_err(|e| match e {
                WalletError::NotLoaded => RpcError::new(rpc::protocol::RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded"),
                other => wallet_error(other),
            })?;
            let mut object = Map::new();
            push_warnings(&mut object, warnings);
            Ok(Value::Object(object))
        })
}

/// `listwallets`.
pub fn listwallets(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("listwallets", "wallet", "Returns a list of currently loaded wallets.\nFor full information on the wallet, use \"getwalletinfo\"")
        .result(&rows(&[("[", "(json array)"), ("  \"str\",", "(string) the wallet name"), ("  ...", ""), ("]", "")]))
        .examples(examples("listwallets", "", ""))
        .handler(move |_| Ok(json!(loader.loaded().iter().map(|w| w.name().to_string()).collect::<Vec<_>>())))
}

/// `listwalletdir`.
pub fn listwalletdir(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new(
        "listwalletdir",
        "wallet",
        "Returns a list of wallets in the wallet directory.",
    )
    .result(&rows(&[
        ("{", "(json object)"),
        ("  \"wallets\" : [", "(json array)"),
        ("    {", "(json object)"),
        ("      \"name\" : \"str\",", "(string) The wallet name"),
        (
            "      \"warnings\" : [",
            "(json array, optional) Warning messages, if any, related to loading the wallet.",
        ),
        ("        \"str\",", "(string)"),
        ("        ...", ""),
        ("      ]", ""),
        ("    },", ""),
        ("    ...", ""),
        ("  ]", ""),
        ("}", ""),
    ]))
    .examples(examples("listwalletdir", "", ""))
    .handler(move |_| {
        let names =
            crate::wallet::files::list_wallets(loader.wallets_dir()).map_err(wallet_error)?;
        let wallets: Vec<Value> = names
            .into_iter()
            .map(|n| json!({"name": n, "warnings": []}))
            .collect();
        Ok(json!({ "wallets": wallets }))
    })
}

/// `getwalletinfo`.
pub fn getwalletinfo(loader: Arc<LocalWalletLoader>) -> Method {
    let mut result: Vec<(String, String)> = [
        ("{", "(json object)"),
        ("  \"walletname\" : \"str\",", "(string) the wallet name"),
        ("  \"walletversion\" : n,", "(numeric) (DEPRECATED) only related to unsupported legacy wallet, returns the latest version 169900 for backwards compatibility"),
        ("  \"format\" : \"str\",", "(string) the database format (only sqlite)"),
        ("  \"txcount\" : n,", "(numeric) the total number of transactions in the wallet"),
        ("  \"keypoolsize\" : n,", "(numeric) how many new keys are pre-generated (only counts external keys)"),
        ("  \"keypoolsize_hd_internal\" : n,", "(numeric, optional) how many new keys are pre-generated for internal use (used for change outputs, only appears if the wallet is using this feature, otherwise external keys are used)"),
        ("  \"unlocked_until\" : xxx,", "(numeric, optional) the UNIX epoch time until which the wallet is unlocked for transfers, or 0 if the wallet is locked (only present for passphrase-encrypted wallets)"),
        ("  \"private_keys_enabled\" : true|false,", "(boolean) false if privatekeys are disabled for this wallet (enforced watch-only wallet)"),
        ("  \"avoid_reuse\" : true|false,", "(boolean) whether this wallet tracks clean/dirty coins in terms of reuse"),
        ("  \"scanning\" : {", "(json object) current scanning details, or false if no scan is in progress"),
        ("    \"duration\" : n,", "(numeric) elapsed seconds since scan start"),
        ("    \"progress\" : n", "(numeric) scanning progress percentage [0.0, 1.0]"),
        ("  },", ""),
        ("  \"descriptors\" : true|false,", "(boolean) whether this wallet uses descriptors for output script management"),
        ("  \"external_signer\" : true|false,", "(boolean) whether this wallet is configured to use an external signer such as a hardware wallet"),
        ("  \"blank\" : true|false,", "(boolean) Whether this wallet intentionally does not contain any keys, scripts, or descriptors"),
        ("  \"birthtime\" : xxx,", "(numeric, optional) The start time for blocks scanning. It could be modified by (re)importing any descriptor with an earlier timestamp."),
        ("  \"flags\" : [", "(json array) The flags currently set on the wallet"),
        ("    \"str\",", "(string) The name of the flag"),
        ("    ...", ""),
        ("  ],", ""),
    ]
    .iter()
    .map(|(l, r)| (l.to_string(), r.to_string()))
    .collect();
    result.extend(last_processed_rows(2));
    result.push(("}".into(), String::new()));
    Method::new(
        "getwalletinfo",
        "wallet",
        "Returns an object containing various wallet state info.",
    )
    .result(&layout(&result))
    .examples(example_cli("getwalletinfo", "") + &example_rpc("getwalletinfo", ""))
    .handler(move |p| {
        let wallet = synced_wallet(&loader, p)?;
        let d = wallet.details().map_err(wallet_error)?;
        let mut info = json!({
            "walletname": d.name,
            "walletversion": 169900,
            "format": "sqlite",
            "txcount": d.tx_count,
            "keypoolsize": d.keypool_size,
            "keypoolsize_hd_internal": d.keypool_size_internal,
        });
        if wallet.vault.is_encrypted() {
            info["unlocked_until"] = json!(wallet.vault.unlocked_until());
        }
        // Core's order (by flag bit).
        let mut flags = Vec::new();
        if !wallet.is_blank() {
            flags.push("last_hardened_xpub_cached");
        }
        if wallet.is_watch_only() {
            flags.push("disable_private_keys");
        }
        if wallet.is_blank() {
            flags.push("blank");
        }
        flags.push("descriptor_wallet");
        let rest = json!({
            "private_keys_enabled": !wallet.is_watch_only(),
            "avoid_reuse": false,
            "scanning": false,
            "descriptors": true,
            "external_signer": false,
            "blank": wallet.is_blank(),
            "birthtime": d.birthtime,
            "flags": flags,
            "lastprocessedblock": last_processed_json(d.last_processed),
        });
        if let (Some(info), Value::Object(rest)) = (info.as_object_mut(), rest) {
            info.extend(rest);
        }
        Ok(info)
    })
}
