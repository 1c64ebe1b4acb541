//! `importdescriptors` (Core's `wallet/rpc/backup.cpp`): one active receiving and one
//! active change descriptor of the same type (`wpkh()`, `tr()`, `pkh()` or `sh(wpkh())`;
//! private keys for a signing wallet, public ones for a wallet created with
//! `disable_private_keys`) per call become the wallet's active pair of that type (a blank
//! wallet's first pair, or a pair added to or replacing one of another wallet's, one pair
//! per output type as in Core), then the wallet rescans from their timestamp. Each request gets Core's result (`success`, `warnings`, `error`); what Core
//! accepts but this wallet cannot hold yet (inactive descriptors, several active pairs,
//! mixed types) is refused with `RPC_WALLET_ERROR` and a message saying so.

use std::sync::Arc;

use bdk_wallet::bitcoin::secp256k1::Secp256k1;
use bdk_wallet::bitcoin::NetworkKind;
use bdk_wallet::descriptor::IntoWalletDescriptor;
use bdk_wallet::miniscript::descriptor::ShInner;
use bdk_wallet::miniscript::{Descriptor, DescriptorPublicKey};
use bdk_wallet::KeychainKind;
use rpc::protocol::{
    type_name, RpcError, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR,
    RPC_WALLET_ERROR,
};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::{examples, layout, synced_wallet, wallet_error};
use crate::wallet::keys::KeyMaterial;
use crate::wallet::{LocalWallet, LocalWalletLoader, WalletError};

/// One request that passed every check of its own.
#[derive(Debug)]
struct Candidate {
    /// Its place in the request array.
    index: usize,
    /// `internal`.
    internal: bool,
    /// `wpkh()`, `tr()`, `pkh()` or `sh(wpkh())`.
    kind: &'static str,
    /// The descriptor without its checksum, as given (private keys included).
    text: String,
    /// Its `timestamp`.
    timestamp: i64,
    /// Its `next_index`.
    next_index: Option<u32>,
}

fn wallet_err(message: impl Into<String>) -> RpcError {
    RpcError::new(RPC_WALLET_ERROR, message)
}

fn param_err(message: impl Into<String>) -> RpcError {
    RpcError::new(RPC_INVALID_PARAMETER, message)
}

fn key_err(message: impl Into<String>) -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, message)
}

/// Core's `GetImportTimestamp`: a number, or `"now"`.
fn timestamp_of(request: &Map<String, Value>, now: i64) -> Result<i64, RpcError> {
    match request.get("timestamp") {
        None => Err(RpcError::new(
            RPC_TYPE_ERROR,
            "Missing required timestamp field for key",
        )),
        Some(Value::String(s)) if s == "now" => Ok(now),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or(0)),
        Some(other) => Err(RpcError::new(
            RPC_TYPE_ERROR,
            format!(
                "Expected number or \"now\" timestamp value for key. got type {}",
                type_name(other)
            ),
        )),
    }
}

/// Core's checksum rules for imports (`Parse` with `require_checksum`): the descriptor
/// without its checksum.
fn checked_body(desc: &str) -> Result<&str, RpcError> {
    let Some((body, given)) = desc.rsplit_once('#') else {
        return Err(key_err("Missing checksum"));
    };
    if given.len() != 8 {
        return Err(key_err(format!(
            "Expected 8 character checksum, not {} characters",
            given.len()
        )));
    }
    let computed =
        rpc::descriptor::checksum(body).ok_or_else(|| key_err("Invalid characters in payload"))?;
    if computed != given {
        return Err(key_err(format!(
            "Provided checksum '{given}' does not match computed checksum '{computed}'"
        )));
    }
    Ok(body)
}

/// The type of a descriptor this wallet can hold as its active pair.
fn kind_of(descriptor: &Descriptor<DescriptorPublicKey>) -> Option<&'static str> {
    match descriptor {
        Descriptor::Wpkh(_) => Some("wpkh()"),
        Descriptor::Tr(_) => Some("tr()"),
        Descriptor::Pkh(_) => Some("pkh()"),
        Descriptor::Sh(sh) if matches!(sh.as_inner(), ShInner::Wpkh(_)) => Some("sh(wpkh())"),
        _ => None,
    }
}

/// Checks one request as Core's `ProcessDescriptorImport` does, then against what this
/// wallet can hold.
fn check_request(
    wallet: &LocalWallet,
    index: usize,
    request: &Value,
    now: i64,
) -> Result<Candidate, RpcError> {
    let request = request.as_object().ok_or_else(|| {
        RpcError::new(
            RPC_TYPE_ERROR,
            format!(
                "JSON value of type {} is not of expected type object",
                type_name(request)
            ),
        )
    })?;
    let desc = match request.get("desc") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(RpcError::new(RPC_TYPE_ERROR, "Missing required field desc")),
    };
    let body = checked_body(desc)?;
    let secp = Secp256k1::new();
    let network = wallet.options().network;
    let (descriptor, keymap) = body
        .into_wallet_descriptor(&secp, NetworkKind::from(network))
        .map_err(|e| key_err(e.to_string()))?;
    let ranged = descriptor.has_wildcard();
    let flag = |key: &str| request.get(key).and_then(Value::as_bool).unwrap_or(false);
    let (active, internal) = (flag("active"), flag("internal"));
    if request.contains_key("range") && !ranged {
        return Err(param_err(
            "Range should not be specified for an un-ranged descriptor",
        ));
    }
    if active && !ranged {
        return Err(param_err("Active descriptors must be ranged"));
    }
    if request.contains_key("label") {
        if internal {
            return Err(param_err("Internal addresses should not have a label"));
        }
        if ranged {
            return Err(param_err("Ranged descriptors should not have a label"));
        }
    }
    let timestamp = timestamp_of(request, now)?;
    if wallet.is_watch_only() && !keymap.is_empty() {
        return Err(wallet_err(
            "Cannot import private keys to a wallet with private keys disabled",
        ));
    }
    if !wallet.is_watch_only() && keymap.is_empty() {
        return Err(wallet_err(
            "Cannot import descriptor without private keys to a wallet with private keys enabled",
        ));
    }
    let kind = kind_of(&descriptor).ok_or_else(|| wallet_err("Only wpkh(), tr(), pkh() and sh(wpkh()) descriptors can be imported into this wallet (one active descriptor pair per output type; other descriptor types are not supported yet)"))?;
    if !active {
        return Err(wallet_err("Inactive descriptors are not supported by this wallet yet: it holds one active receiving (internal: false) and one active change (internal: true) descriptor"));
    }
    let next_index = request
        .get("next_index")
        .and_then(Value::as_u64)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Candidate {
        index,
        internal,
        kind,
        text: body.to_string(),
        timestamp,
        next_index,
    })
}

/// The receiving and the change candidate, when they make one pair this wallet can hold;
/// otherwise the error of each candidate.
fn pair_up(candidates: Vec<Candidate>) -> Result<[Candidate; 2], Vec<(usize, RpcError)>> {
    let (internal, external): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| c.internal);
    let several = "Only one active receiving and one active change descriptor can be imported into this wallet per call (importing several pairs in one call is not supported yet)";
    let alone = "The active receiving (internal: false) and change (internal: true) descriptors of a blank wallet must be imported together, in one call";
    match (
        <[Candidate; 1]>::try_from(external),
        <[Candidate; 1]>::try_from(internal),
    ) {
        (Ok([external]), Ok([internal])) if external.kind == internal.kind => {
            Ok([external, internal])
        }
        (Ok([external]), Ok([internal])) => {
            let message = format!("The active receiving and change descriptors must be of the same type (here {} and {}); import one pair of each type per call", external.kind, internal.kind);
            Err(vec![
                (external.index, wallet_err(message.clone())),
                (internal.index, wallet_err(message)),
            ])
        }
        (external, internal) => {
            let side = |side: Result<[Candidate; 1], Vec<Candidate>>| match side {
                Ok([one]) => vec![(one.index, wallet_err(alone))],
                Err(many) => many
                    .into_iter()
                    .map(|c| (c.index, wallet_err(several)))
                    .collect(),
            };
            let mut errors = side(external);
            errors.extend(side(internal));
            Err(errors)
        }
    }
}

/// Imports the pair into the blank wallet, reveals up to their `next_index` and rescans
/// from their earliest timestamp.
fn import_pair(
    loader: &LocalWalletLoader,
    wallet: &LocalWallet,
    [external, internal]: [Candidate; 2],
) -> Result<(), WalletError> {
    let birthtime = external.timestamp.min(internal.timestamp);
    let kind = crate::wallet::keys::pair_kind(&external.text).unwrap_or("");
    let wallet = if wallet.is_blank() {
        let keys = KeyMaterial {
            external: external.text,
            internal: internal.text,
            extra: Vec::new(),
            birthtime,
            sealed: None,
            blank: false,
            watch_only: wallet.is_watch_only(),
        };
        loader.replace_blank_descriptors(wallet.name(), keys)?
    } else {
        loader.add_active_pair(wallet.name(), external.text, internal.text)?
    };
    for (keychain, next) in [
        (KeychainKind::External, external.next_index),
        (KeychainKind::Internal, internal.next_index),
    ] {
        if let Some(next) = next {
            wallet.reveal_below(kind, keychain, next)?;
        }
    }
    if let Some(start) = wallet.first_height_at(birthtime)? {
        wallet.rescan(start, None)?;
    }
    Ok(())
}

/// A request's result (Core's `{success, warnings, error}`).
fn result_of(outcome: Result<(), &RpcError>) -> Value {
    match outcome {
        Ok(()) => json!({"success": true}),
        Err(e) => json!({"success": false, "error": {"code": e.code, "message": e.message}}),
    }
}

/// `importdescriptors`'s handler.
fn import_descriptors(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    if wallet.vault.is_encrypted() && wallet.vault.unlocked_until() == 0 {
        return Err(wallet_error(WalletError::Locked));
    }
    let requests = p.at(0).as_array().cloned().unwrap_or_default();
    let now = i64::try_from(crate::wallet::now()).unwrap_or(i64::MAX);
    let mut errors: Vec<Option<RpcError>> = vec![None; requests.len()];
    let mut candidates = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        match check_request(&wallet, index, request, now) {
            Ok(candidate) => candidates.push(candidate),
            Err(e) => errors[index] = Some(e),
        }
    }
    if !candidates.is_empty() {
        let indices: Vec<usize> = candidates.iter().map(|c| c.index).collect();
        match pair_up(candidates) {
            Ok(pair) => {
                if let Err(e) = import_pair(loader, &wallet, pair) {
                    let e = wallet_error(e);
                    for index in indices {
                        errors[index] = Some(e.clone());
                    }
                }
            }
            Err(each) => {
                for (index, e) in each {
                    errors[index] = Some(e);
                }
            }
        }
    }
    Ok(errors
        .iter()
        .map(|e| result_of(e.as_ref().map_or(Ok(()), Err)))
        .collect())
}

/// `importdescriptors`.
pub fn importdescriptors(loader: Arc<LocalWalletLoader>) -> Method {
    let request = vec![Param::optional("", ParamType::Obj, "").inner(vec![
        Param::required("desc", ParamType::Str, "Descriptor to import."),
        Param::default("active", ParamType::Bool, false, "Set this descriptor to be the active descriptor for the corresponding output type/externality"),
        Param::optional("range", ParamType::Range, "If a ranged descriptor is used, this specifies the end or the range (in the form [begin,end]) to import"),
        Param::optional("next_index", ParamType::Num, "If a ranged descriptor is set to active, this specifies the next index to generate addresses from"),
        Param::required("timestamp", ParamType::Num, "Time from which to start rescanning the blockchain for this descriptor, in UNIX epoch time\nUse the string \"now\" to substitute the current synced blockchain time.\n\"now\" can be specified to bypass scanning, for outputs which are known to never have been used, and\n0 can be specified to scan the entire blockchain. Blocks up to 2 hours before the earliest timestamp\nof all descriptors being imported will be scanned as well as the mempool.").skip_type_check(),
        Param::default("internal", ParamType::Bool, false, "Whether matching outputs should be treated as not incoming payments (e.g. change)"),
        Param::default("label", ParamType::Str, "", "Label to assign to the address, only allowed with internal=false. Disabled for ranged descriptors"),
    ])];
    let result: Vec<(String, String)> = [
        ("[", "(json array) Response is an array with the same size as the input that has the execution result"),
        ("  {", "(json object)"),
        ("    \"success\" : true|false,", "(boolean)"),
        ("    \"warnings\" : [", "(json array, optional)"),
        ("      \"str\",", "(string)"),
        ("      ...", ""),
        ("    ],", ""),
        ("    \"error\" : {", "(json object, optional)"),
        ("      ...", "JSONRPC error"),
        ("    }", ""),
        ("  },", ""),
        ("  ...", ""),
        ("]", ""),
    ]
    .iter()
    .map(|(l, r)| (l.to_string(), r.to_string()))
    .collect();
    Method::new("importdescriptors", "wallet", "Import descriptors. This will trigger a rescan of the blockchain based on the earliest timestamp of all descriptors being imported. Requires a new wallet backup.\nThis wallet holds one active descriptor pair per output type: each call takes one active receiving (internal: false) and one active change (internal: true) descriptor of the same type, wpkh(), tr(), pkh() or sh(wpkh()), with private keys (or public ones for a wallet with private keys disabled), which becomes the wallet's pair of that type (a blank wallet's first pair is its primary one, which cannot be replaced later).\n\nNote: This call can take over an hour to complete if using an early timestamp; during that time, other rpc calls\nmay report that the imported keys, addresses or scripts exist but related transactions are still missing.")
        .param(Param::required("requests", ParamType::Arr, "Data to be imported").inner(request))
        .result(&layout(&result))
        .examples(examples(
            "importdescriptors",
            "'[{ \"desc\": \"<my descriptor>\", \"timestamp\":1455191478, \"internal\": true }, { \"desc\": \"<my descriptor 2>\", \"label\": \"example 2\", \"timestamp\": 1455191480 }]'",
            "'[{ \"desc\": \"<my descriptor>\", \"timestamp\":1455191478, \"active\": true, \"range\": [0,100], \"label\": \"<my bech32 wallet>\" }]'",
        ))
        .handler(move |p| import_descriptors(&loader, p))
}
