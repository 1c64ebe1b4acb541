//! Balances and coins (Core's `wallet/rpc/coins.cpp`): `getbalance`, `getbalances`,
//! `listunspent`, `lockunspent`, `listlockunspent`.

use std::collections::HashSet;
use std::sync::Arc;

use bdk_wallet::bitcoin::OutPoint;
use rpc::amount::{amount_from_value, amount_to_value};
use rpc::hex::hex;
use rpc::protocol::{RpcError, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::{
    check_avoid_reuse, examples, last_processed_json, last_processed_rows, layout, parse_txid,
    selected_wallet, synced_wallet, wallet_error, RPC_METHOD_DEPRECATED,
};
use crate::wallet::history::to_i64;
use crate::wallet::{common_chain, LocalWallet, LocalWalletLoader, UnspentRecord};

/// Core's `EXAMPLE_ADDRESS[0]` and `[1]`, joined as the `listunspent` examples join them.
const EXAMPLE_ADDRESSES: &str =
    "bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\\\",\\\"bc1q02ad21edsxd23d32dfgqqsz4vv4nmtfzuklhy3";

/// `getbalance`.
pub fn getbalance(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("getbalance", "wallet", "Returns the total available balance.\nThe available balance is what the wallet considers currently spendable, and is\nthus affected by options which limit spendability such as -spendzeroconfchange.")
        .param(Param::optional("dummy", ParamType::Str, "Remains for backward compatibility. Must be excluded or set to \"*\"."))
        .param(Param::default("minconf", ParamType::Num, 0, "Only include transactions confirmed at least this many times."))
        .param(Param::default("include_watchonly", ParamType::Bool, false, "No longer used"))
        .param(Param::default("avoid_reuse", ParamType::Bool, true, "(only available if avoid_reuse wallet flag is set) Do not include balance in dirty outputs; addresses are considered dirty if they have previously been used in a transaction."))
        .result("n    (numeric) The total amount in BTC received for this wallet.")
        .examples(format!(
            "\nThe total amount in the wallet with 0 or more confirmations\n{}\nThe total amount in the wallet with at least 6 confirmations\n{}\nAs a JSON-RPC call\n{}",
            rpc::help::example_cli("getbalance", ""),
            rpc::help::example_cli("getbalance", "\"*\" 6"),
            rpc::help::example_rpc("getbalance", "\"*\", 6"),
        ))
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            if p.maybe_arg::<&str>("dummy")?.is_some_and(|d| d != "*") {
                return Err(RpcError::new(RPC_METHOD_DEPRECATED, "dummy first argument must be excluded or set to \"*\"."));
            }
            let min_depth = p.arg::<i32>("minconf")?;
            check_avoid_reuse(p.at(3))?;
            let balances = wallet.balances_at(u32::try_from(min_depth).unwrap_or(0)).map_err(wallet_error)?;
            Ok(amount_to_value(balances.trusted))
        })
}

/// `getbalances`.
pub fn getbalances(loader: Arc<LocalWalletLoader>) -> Method {
    let mut result: Vec<(String, String)> = [
        ("{", "(json object)"),
        ("  \"mine\" : {", "(json object) balances from outputs that the wallet can sign"),
        ("    \"trusted\" : n,", "(numeric) trusted balance (outputs created by the wallet or confirmed outputs)"),
        ("    \"untrusted_pending\" : n,", "(numeric) untrusted pending balance (outputs created by others that are in the mempool)"),
        ("    \"immature\" : n,", "(numeric) balance from immature coinbase outputs"),
        ("    \"used\" : n", "(numeric, optional) (only present if avoid_reuse is set) balance from coins sent to addresses that were previously spent from (potentially privacy violating)"),
        ("  },", ""),
    ]
    .iter()
    .map(|(l, r)| (l.to_string(), r.to_string()))
    .collect();
    result.extend(last_processed_rows(2));
    result.push(("}".into(), String::new()));
    Method::new(
        "getbalances",
        "wallet",
        "Returns an object with all balances in BTC.",
    )
    .result(&layout(&result))
    .examples(examples("getbalances", "", ""))
    .handler(move |p| {
        let wallet = synced_wallet(&loader, p)?;
        let b = wallet.balances_at(0).map_err(wallet_error)?;
        let tip = wallet.last_processed().map_err(wallet_error)?;
        Ok(json!({
            "mine": {
                "trusted": amount_to_value(b.trusted),
                "untrusted_pending": amount_to_value(b.untrusted_pending),
                "immature": amount_to_value(b.immature),
            },
            "lastprocessedblock": last_processed_json(tip),
        }))
    })
}

/// `listunspent`'s `query_options`.
struct Query {
    minimum_amount: i64,
    maximum_amount: Option<i64>,
    maximum_count: Option<u64>,
    minimum_sum: Option<i64>,
    include_immature: bool,
}

fn query_options(value: Option<&Value>) -> Result<Query, RpcError> {
    let mut query = Query {
        minimum_amount: 0,
        maximum_amount: None,
        maximum_count: None,
        minimum_sum: None,
        include_immature: false,
    };
    let Some(options) = value.and_then(Value::as_object) else {
        return Ok(query);
    };
    let amount = |key: &str| options.get(key).map(amount_from_value).transpose();
    query.minimum_amount = amount("minimumAmount")?.unwrap_or(0);
    query.maximum_amount = amount("maximumAmount")?;
    query.minimum_sum = amount("minimumSumAmount")?;
    if let Some(count) = options.get("maximumCount") {
        let count = count.as_i64().ok_or_else(|| {
            RpcError::type_error(
                "JSON value of type for maximumCount is not of expected type number",
            )
        })?;
        query.maximum_count = u64::try_from(count).ok().filter(|c| *c > 0);
    }
    if let Some(include) = options.get("include_immature_coinbase") {
        query.include_immature = include.as_bool().ok_or_else(|| {
            RpcError::type_error(
                "JSON value for include_immature_coinbase is not of expected type bool",
            )
        })?;
    }
    Ok(query)
}

/// The addresses filter of `listunspent`, as output scripts.
fn address_filter(
    wallet: &LocalWallet,
    list: Option<&Value>,
) -> Result<Option<HashSet<Vec<u8>>>, RpcError> {
    let Some(items) = list.and_then(Value::as_array).filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let chain = common_chain(wallet.options().network);
    let mut scripts = HashSet::new();
    for item in items {
        let text = item
            .as_str()
            .ok_or_else(|| RpcError::type_error("JSON value is not a string as expected"))?;
        let destination = rpc::address::decode_destination(text, chain).map_err(|_| {
            RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                format!("Invalid Bitcoin address: {text}"),
            )
        })?;
        if !scripts.insert(destination.script_pubkey().to_bytes()) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Invalid parameter, duplicated address: {text}"),
            ));
        }
    }
    Ok(Some(scripts))
}

fn unspent_json(wallet: &LocalWallet, u: &UnspentRecord) -> Value {
    let mut entry = Map::new();
    entry.insert("txid".into(), u.outpoint.txid.to_string().into());
    entry.insert("vout".into(), u.outpoint.vout.into());
    if let Some(address) = &u.address {
        entry.insert("address".into(), address.clone().into());
        if let Some(label) = &u.label {
            entry.insert("label".into(), label.clone().into());
        }
    }
    entry.insert(
        "scriptPubKey".into(),
        hex(u.txout.script_pubkey.as_bytes()).into(),
    );
    entry.insert(
        "amount".into(),
        amount_to_value(to_i64(u.txout.value.to_sat())),
    );
    entry.insert("confirmations".into(), u.confirmations.into());
    entry.insert("spendable".into(), true.into());
    entry.insert("solvable".into(), true.into());
    if let Some(desc) = wallet.inferred_descriptor(u.pair, u.keychain, u.index) {
        entry.insert("desc".into(), desc.into());
    }
    entry.insert("parent_descs".into(), json!([u.parent_desc]));
    entry.insert("safe".into(), u.safe.into());
    Value::Object(entry)
}

/// `listunspent`'s handler.
fn list_unspent(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let min_depth = p.arg::<i64>("minconf")?;
    let max_depth = p.arg::<i64>("maxconf")?;
    let wallet = synced_wallet(loader, p)?;
    let filter = address_filter(&wallet, p.value("addresses")?)?;
    let include_unsafe = p.arg::<bool>("include_unsafe")?;
    let query = query_options(p.value("query_options")?)?;
    let mut out = Vec::new();
    let mut sum = 0;
    for u in wallet.unspent().map_err(wallet_error)? {
        let depth = i64::from(u.confirmations);
        let value = to_i64(u.txout.value.to_sat());
        let skip = depth < min_depth
            || depth > max_depth
            || (u.confirmations == 0 && !u.in_mempool)
            || (u.immature && !query.include_immature)
            || (!u.safe && !include_unsafe)
            || u.locked
            || value < query.minimum_amount
            || query.maximum_amount.is_some_and(|m| value > m)
            || filter
                .as_ref()
                .is_some_and(|f| !f.contains(u.txout.script_pubkey.as_bytes()));
        if skip {
            continue;
        }
        out.push(unspent_json(&wallet, &u));
        sum += value;
        if query.maximum_count.is_some_and(|m| out.len() as u64 >= m)
            || query.minimum_sum.is_some_and(|m| sum >= m)
        {
            break;
        }
    }
    Ok(Value::Array(out))
}

/// `listunspent`'s result section.
const LISTUNSPENT_RESULT: &[(&str, &str)] = &[
            ("[", "(json array)"),
            ("  {", "(json object)"),
            ("    \"txid\" : \"hex\",", "(string) the transaction id"),
            ("    \"vout\" : n,", "(numeric) the vout value"),
            ("    \"address\" : \"str\",", "(string, optional) the bitcoin address"),
            ("    \"label\" : \"str\",", "(string, optional) The associated label, or \"\" for the default label"),
            ("    \"scriptPubKey\" : \"str\",", "(string) the output script"),
            ("    \"amount\" : n,", "(numeric) the transaction output amount in BTC"),
            ("    \"confirmations\" : n,", "(numeric) The number of confirmations"),
            ("    \"ancestorcount\" : n,", "(numeric, optional) The number of in-mempool ancestor transactions, including this one (if transaction is in the mempool)"),
            ("    \"ancestorsize\" : n,", "(numeric, optional) The virtual transaction size of in-mempool ancestors, including this one (if transaction is in the mempool)"),
            ("    \"ancestorfees\" : n,", "(numeric, optional) The total fees of in-mempool ancestors (including this one) with fee deltas used for mining priority in sat (if transaction is in the mempool)"),
            ("    \"redeemScript\" : \"hex\",", "(string, optional) The redeem script if the output script is P2SH"),
            ("    \"witnessScript\" : \"str\",", "(string, optional) witness script if the output script is P2WSH or P2SH-P2WSH"),
            ("    \"spendable\" : true|false,", "(boolean) (DEPRECATED) Always true"),
            ("    \"solvable\" : true|false,", "(boolean) Whether we know how to spend this output, ignoring the lack of keys"),
            ("    \"reused\" : true|false,", "(boolean, optional) (only present if avoid_reuse is set) Whether this output is reused/dirty (sent to an address that was previously spent from)"),
            ("    \"desc\" : \"str\",", "(string, optional) (only when solvable) A descriptor for spending this output"),
            ("    \"parent_descs\" : [", "(json array) List of parent descriptors for the output script of this coin."),
            ("      \"str\",", "(string) The descriptor string."),
            ("      ...", ""),
            ("    ],", ""),
            ("    \"safe\" : true|false", "(boolean) Whether this output is considered safe to spend. Unconfirmed transactions\nfrom outside keys and unconfirmed replacement transactions are considered unsafe\nand are not eligible for spending by fundrawtransaction and sendtoaddress."),
            ("  },", ""),
            ("  ...", ""),
            ("]", ""),
];

/// `listunspent`.
pub fn listunspent(loader: Arc<LocalWalletLoader>) -> Method {
    let inner = vec![
        Param::default(
            "minimumAmount",
            ParamType::Amount,
            "0.00",
            "Minimum value of each UTXO in BTC",
        ),
        Param::hint(
            "maximumAmount",
            ParamType::Amount,
            "unlimited",
            "Maximum value of each UTXO in BTC",
        ),
        Param::hint(
            "maximumCount",
            ParamType::Num,
            "unlimited",
            "Maximum number of UTXOs",
        ),
        Param::hint(
            "minimumSumAmount",
            ParamType::Amount,
            "unlimited",
            "Minimum sum value of all UTXOs in BTC",
        ),
        Param::default(
            "include_immature_coinbase",
            ParamType::Bool,
            false,
            "Include immature coinbase UTXOs",
        ),
    ];
    Method::new("listunspent", "wallet", "Returns array of unspent transaction outputs\nwith between minconf and maxconf (inclusive) confirmations.\nOptionally filter to only include txouts paid to specified addresses.")
        .param(Param::default("minconf", ParamType::Num, 1, "The minimum confirmations to filter"))
        .param(Param::default("maxconf", ParamType::Num, 9_999_999, "The maximum confirmations to filter"))
        .param(Param::default("addresses", ParamType::Arr, json!([]), "The bitcoin addresses to filter").inner(vec![Param::optional("address", ParamType::Str, "bitcoin address")]))
        .param(Param::default("include_unsafe", ParamType::Bool, true, "Include outputs that are not safe to spend\nSee description of \"safe\" attribute below."))
        .param(Param::optional("query_options", ParamType::ObjNamedParams, "JSON with query options").inner(inner))
        .result(&super::rows(LISTUNSPENT_RESULT))
        .examples(format!(
            "{}{}{}{}{}",
            rpc::help::example_cli("listunspent", ""),
            rpc::help::example_cli("listunspent", &format!("6 9999999 \"[\\\"{EXAMPLE_ADDRESSES}\\\"]\"")),
            rpc::help::example_rpc("listunspent", &format!("6, 9999999 \"[\\\"{EXAMPLE_ADDRESSES}\\\"]\"")),
            rpc::help::example_cli("listunspent", "6 9999999 '[]' true '{ \"minimumAmount\": 0.005 }'"),
            rpc::help::example_rpc("listunspent", "6, 9999999, [] , true, { \"minimumAmount\": 0.005 } "),
        ))
        .handler(move |p| list_unspent(&loader, p))
}

/// The outpoint of Core's examples.
const EXAMPLE_OUTPOINT: &str =
    "\"[{\\\"txid\\\":\\\"a08e6907dbbd3d809776dbfc5d82e371b764ed838b5655e72f463568df1aadf0\\\",\\\"vout\\\":1}]\"";

/// Core's `lockunspent`/`listlockunspent` examples.
fn lock_examples() -> String {
    format!(
        "\nList the unspent transactions\n{}\nLock an unspent transaction\n{}\nList the locked transactions\n{}\nUnlock the transaction again\n{}",
        rpc::help::example_cli("listunspent", ""),
        rpc::help::example_cli("lockunspent", &format!("false {EXAMPLE_OUTPOINT}")),
        rpc::help::example_cli("listlockunspent", ""),
        rpc::help::example_cli("lockunspent", &format!("true {EXAMPLE_OUTPOINT}")),
    )
}

/// Core's `RPCTypeCheckObj` of `{"txid": str, "vout": num}` and `ParseHashO`.
fn outpoint_of(item: &Value) -> Result<OutPoint, RpcError> {
    let object = item.as_object().ok_or_else(|| {
        RpcError::type_error(format!(
            "JSON value of type {} is not of expected type object",
            rpc::protocol::type_name(item)
        ))
    })?;
    for (key, expected) in [("txid", "string"), ("vout", "number")] {
        let value = object
            .get(key)
            .ok_or_else(|| RpcError::type_error(format!("Missing {key}")))?;
        let actual = rpc::protocol::type_name(value);
        if actual != expected {
            return Err(RpcError::type_error(format!(
                "JSON value of type {actual} for field {key} is not of expected type {expected}"
            )));
        }
    }
    let txid = parse_txid("txid", object["txid"].as_str().unwrap_or_default())?;
    let vout = object["vout"]
        .as_i64()
        .ok_or_else(|| RpcError::type_error("JSON integer out of range"))?;
    if vout < 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Invalid parameter, vout cannot be negative",
        ));
    }
    let vout =
        u32::try_from(vout).map_err(|_| RpcError::type_error("JSON integer out of range"))?;
    Ok(OutPoint::new(txid, vout))
}

/// `lockunspent`.
pub fn lockunspent(loader: Arc<LocalWalletLoader>) -> Method {
    let outpoint = vec![Param::optional("", ParamType::Obj, "").inner(vec![
        Param::required("txid", ParamType::StrHex, "The transaction id"),
        Param::required("vout", ParamType::Num, "The output number"),
    ])];
    Method::new("lockunspent", "wallet", "Updates list of temporarily unspendable outputs.\nTemporarily lock (unlock=false) or unlock (unlock=true) specified transaction outputs.\nIf no transaction outputs are specified when unlocking then all current locked transaction outputs are unlocked.\nA locked transaction output will not be chosen by automatic coin selection, when spending bitcoins.\nManually selected coins are automatically unlocked.\nLocks are stored in memory only, unless persistent=true, in which case they will be written to the\nwallet database and loaded on node start. Unwritten (persistent=false) locks are always cleared\n(by virtue of process exit) when a node stops or fails. Unlocking will clear both persistent and not.\nAlso see the listunspent call")
        .param(Param::required("unlock", ParamType::Bool, "Whether to unlock (true) or lock (false) the specified transactions"))
        .param(Param::default("transactions", ParamType::Arr, json!([]), "The transaction outputs and within each, the txid (string) vout (numeric).").inner(outpoint))
        .param(Param::default("persistent", ParamType::Bool, false, "Whether to write/erase this lock in the wallet database, or keep the change in memory only. Ignored for unlocking."))
        .result("true|false    (boolean) Whether the command was successful or not")
        .examples(format!(
            "{}\nLock the transaction persistently in the wallet database\n{}\nAs a JSON-RPC call\n{}",
            lock_examples(),
            rpc::help::example_cli("lockunspent", &format!("false {EXAMPLE_OUTPOINT} true")),
            rpc::help::example_rpc("lockunspent", &format!("false, {EXAMPLE_OUTPOINT}")),
        ))
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            let unlock = p.arg::<bool>("unlock")?;
            let persistent = p.maybe_arg::<bool>("persistent")?.unwrap_or(false);
            let Some(items) = p.at(1).as_array() else {
                if unlock {
                    wallet.unlock_all_coins().map_err(wallet_error)?;
                }
                return Ok(true.into());
            };
            let outpoints = items.iter().map(outpoint_of).collect::<Result<Vec<_>, _>>()?;
            wallet.lock_coins(unlock, &outpoints, persistent).map_err(wallet_error)?;
            Ok(true.into())
        })
}

/// `listlockunspent`.
pub fn listlockunspent(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("listlockunspent", "wallet", "Returns list of temporarily unspendable outputs.\nSee the lockunspent call to lock and unlock transactions for spending.")
        .result(&super::rows(&[
            ("[", "(json array)"),
            ("  {", "(json object)"),
            ("    \"txid\" : \"hex\",", "(string) The transaction id locked"),
            ("    \"vout\" : n", "(numeric) The vout value"),
            ("  },", ""),
            ("  ...", ""),
            ("]", ""),
        ]))
        .examples(format!(
            "{}\nAs a JSON-RPC call\n{}",
            lock_examples(),
            rpc::help::example_rpc("listlockunspent", ""),
        ))
        .handler(move |p| {
            let wallet = selected_wallet(&loader, p.uri())?;
            let coins = wallet.locked_coins().map_err(wallet_error)?;
            Ok(coins
                .iter()
                .map(|o| json!({"txid": o.txid.to_string(), "vout": o.vout}))
                .collect())
        })
}
