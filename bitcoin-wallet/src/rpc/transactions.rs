//! The wallet's transactions (Core's `wallet/rpc/transactions.cpp`): `listtransactions`,
//! `listsinceblock` (with `removed`: the wallet's transactions of the stale blocks between
//! the given block and the fork point), `gettransaction` and `abandontransaction` (abandoned
//! transactions stay listed, `"abandoned": true`), with Core's entries (`ListTransactions`,
//! `WalletTxToJSON`).

use std::sync::Arc;

use rpc::amount::amount_to_value;
use rpc::protocol::{
    RpcError, RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::{examples, label_from, parse_txid, rows, synced_wallet, wallet_error};
use crate::wallet::history::{to_i64, OutputRecord, TxRecord};
use crate::wallet::{LocalWallet, LocalWalletLoader};
use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::BlockHash;

/// Core's `WalletTxToJSON`.
fn push_wallet_tx(entry: &mut Map<String, Value>, r: &TxRecord) {
    entry.insert("confirmations".into(), r.confirmations.into());
    if r.coinbase {
        entry.insert("generated".into(), true.into());
    }
    match &r.block {
        Some(block) => {
            entry.insert("blockhash".into(), block.hash.to_string().into());
            entry.insert("blockheight".into(), block.height.into());
            entry.insert("blockindex".into(), block.index.unwrap_or(0).into());
            entry.insert("blocktime".into(), block.time.into());
        }
        None => {
            entry.insert("trusted".into(), r.trusted.into());
        }
    }
    entry.insert("txid".into(), r.txid.to_string().into());
    entry.insert("wtxid".into(), r.tx.compute_wtxid().to_string().into());
    entry.insert("walletconflicts".into(), json!([]));
    entry.insert("mempoolconflicts".into(), json!([]));
    if let Some(to) = &r.comments.comment_to {
        entry.insert("to".into(), to.clone().into());
    }
    entry.insert("time".into(), r.time.into());
    entry.insert("timereceived".into(), r.time.into());
    if let Some(comment) = &r.comments.comment {
        entry.insert("comment".into(), comment.clone().into());
    }
    // Core asks the mempool (`isRBFOptIn`): a transaction it does not hold that does not
    // signal is "unknown"; only abandoned ones are known to be outside it here.
    let replaceable = match (r.confirmations, r.signals_rbf, r.abandoned) {
        (0, true, _) => "yes",
        (0, false, true) => "unknown",
        _ => "no",
    };
    entry.insert("bip125-replaceable".into(), replaceable.into());
}

fn push_address(entry: &mut Map<String, Value>, output: &OutputRecord) {
    if let Some(address) = &output.address {
        entry.insert("address".into(), address.clone().into());
    }
}

/// Core's `ListTransactions`: the entries of one transaction (`long`: with the transaction's
/// fields), receive entries only for `label` when one is given.
fn entries(r: &TxRecord, long: bool, label: Option<&str>, out: &mut Vec<Value>) {
    let fee = r.fee().unwrap_or(0);
    if label.is_none() {
        for s in &r.sends {
            let mut entry = Map::new();
            push_address(&mut entry, s);
            entry.insert("category".into(), "send".into());
            entry.insert("amount".into(), amount_to_value(-to_i64(s.amount)));
            if let Some(l) = &s.label {
                entry.insert("label".into(), l.clone().into());
            }
            entry.insert("vout".into(), s.vout.into());
            entry.insert("fee".into(), amount_to_value(-fee));
            if long {
                push_wallet_tx(&mut entry, r);
            }
            entry.insert("abandoned".into(), r.abandoned.into());
            out.push(Value::Object(entry));
        }
    }
    for recv in &r.receives {
        if label.is_some_and(|l| recv.label.as_deref().unwrap_or("") != l) {
            continue;
        }
        let mut entry = Map::new();
        push_address(&mut entry, recv);
        if let Some(desc) = &recv.parent_desc {
            entry.insert("parent_descs".into(), json!([desc]));
        }
        let category = match (r.coinbase, r.immature) {
            (true, true) => "immature",
            (true, false) => "generate",
            _ => "receive",
        };
        entry.insert("category".into(), category.into());
        entry.insert("amount".into(), amount_to_value(to_i64(recv.amount)));
        if let Some(l) = &recv.label {
            entry.insert("label".into(), l.clone().into());
        }
        entry.insert("vout".into(), recv.vout.into());
        entry.insert("abandoned".into(), r.abandoned.into());
        if long {
            push_wallet_tx(&mut entry, r);
        }
        out.push(Value::Object(entry));
    }
}

/// The rows of one entry in Core's help (`TransactionDescriptionString` abbreviated).
const ENTRY_ROWS: &[(&str, &str)] = &[
    ("    \"address\" : \"str\",", "(string, optional) The bitcoin address of the transaction (not returned if the output does not have an address, e.g. OP_RETURN null data)."),
    ("    \"category\" : \"str\",", "(string) The transaction category.\n\"send\"                  Transactions sent.\n\"receive\"               Non-coinbase transactions received.\n\"generate\"              Coinbase transactions received with more than 100 confirmations.\n\"immature\"              Coinbase transactions received with 100 or fewer confirmations.\n\"orphan\"                Orphaned coinbase transactions received."),
    ("    \"amount\" : n,", "(numeric) The amount in BTC. This is negative for the 'send' category, and is positive\nfor all other categories"),
    ("    \"label\" : \"str\",", "(string, optional) A comment for the address/transaction, if any"),
    ("    \"vout\" : n,", "(numeric) the vout value"),
    ("    \"fee\" : n,", "(numeric, optional) The amount of the fee in BTC. This is negative and only available for the\n'send' category of transactions."),
    ("    \"confirmations\" : n,", "(numeric) The number of confirmations for the transaction. Negative confirmations means the\ntransaction conflicted that many blocks ago."),
    ("    \"generated\" : true|false,", "(boolean, optional) Only present if the transaction's only input is a coinbase one."),
    ("    \"trusted\" : true|false,", "(boolean, optional) Whether we consider the transaction to be trusted and safe to spend from.\nOnly present when the transaction has 0 confirmations (or negative confirmations, if conflicted)."),
    ("    \"blockhash\" : \"hex\",", "(string, optional) The block hash containing the transaction."),
    ("    \"blockheight\" : n,", "(numeric, optional) The block height containing the transaction."),
    ("    \"blockindex\" : n,", "(numeric, optional) The index of the transaction in the block that includes it."),
    ("    \"blocktime\" : xxx,", "(numeric, optional) The block time expressed in UNIX epoch time."),
    ("    \"txid\" : \"hex\",", "(string) The transaction id."),
    ("    \"wtxid\" : \"hex\",", "(string) The hash of serialized transaction, including witness data."),
    ("    \"walletconflicts\" : [", "(json array) Confirmed transactions that have been detected by the wallet to conflict with this transaction."),
    ("      \"hex\",", "(string) The transaction id."),
    ("      ...", ""),
    ("    ],", ""),
    ("    \"mempoolconflicts\" : [", "(json array) Transactions in the mempool that directly conflict with either this transaction or an ancestor transaction"),
    ("      \"hex\",", "(string) The transaction id."),
    ("      ...", ""),
    ("    ],", ""),
    ("    \"comment\" : \"str\",", "(string, optional) If a comment is associated with the transaction, only present if not empty."),
    ("    \"time\" : xxx,", "(numeric) The transaction time expressed in UNIX epoch time."),
    ("    \"timereceived\" : xxx,", "(numeric) The time received expressed in UNIX epoch time."),
    ("    \"bip125-replaceable\" : \"str\",", "(string) (\"yes|no|unknown\") Whether this transaction signals BIP125 replaceability or has an unconfirmed ancestor signaling BIP125 replaceability."),
    ("    \"parent_descs\" : [", "(json array, optional) Only if 'category' is 'received'. List of parent descriptors for the output script of this coin."),
    ("      \"desc\",", "(string) The descriptor string."),
    ("      ...", ""),
    ("    ],", ""),
    ("    \"abandoned\" : true|false", "(boolean) 'true' if the transaction has been abandoned (inputs are respendable)."),
];

/// `listtransactions`.
pub fn listtransactions(loader: Arc<LocalWalletLoader>) -> Method {
    let mut result = vec![("[", "(json array)"), ("  {", "(json object)")];
    result.extend_from_slice(ENTRY_ROWS);
    result.extend_from_slice(&[("  },", ""), ("  ...", ""), ("]", "")]);
    Method::new("listtransactions", "wallet", "If a label name is provided, this will return only incoming transactions paying to addresses with the specified label.\n\nReturns up to 'count' most recent transactions skipping the first 'from' transactions.")
        .param(Param::optional("label|dummy", ParamType::Str, "If set, should be a valid label name to return only incoming transactions\nwith the specified label, or \"*\" to disable filtering and return all transactions."))
        .param(Param::default("count", ParamType::Num, 10, "The number of transactions to return"))
        .param(Param::default("skip", ParamType::Num, 0, "The number of transactions to skip"))
        .param(Param::default("include_watchonly", ParamType::Bool, false, "(DEPRECATED) No longer used"))
        .result(&rows(&result))
        .examples(format!(
            "\nList the most recent 10 transactions in the systems\n{}\nList transactions 100 to 120\n{}\nAs a JSON-RPC call\n{}",
            rpc::help::example_cli("listtransactions", ""),
            rpc::help::example_cli("listtransactions", "\"*\" 20 100"),
            rpc::help::example_rpc("listtransactions", "\"*\", 20, 100"),
        ))
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            let label = match p.maybe_arg::<&str>("label")? {
                None | Some("*") => None,
                Some(text) => {
                    let label = label_from(Some(text))?;
                    if label.is_empty() {
                        return Err(RpcError::new(RPC_INVALID_PARAMETER, "Label argument must be a valid label name or \"*\"."));
                    }
                    Some(label)
                }
            };
            let count = p.arg::<i64>("count")?;
            if count < 0 {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Negative count"));
            }
            let skip = p.arg::<i64>("skip")?;
            if skip < 0 {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Negative from"));
            }
            let (count, skip) = (usize::try_from(count).unwrap_or(usize::MAX), usize::try_from(skip).unwrap_or(usize::MAX));
            let mut newest_first = Vec::new();
            for record in wallet.history().map_err(wallet_error)?.iter().rev() {
                entries(record, true, label.as_deref(), &mut newest_first);
                if newest_first.len() >= count.saturating_add(skip) {
                    break;
                }
            }
            let from = skip.min(newest_first.len());
            let to = from.saturating_add(count).min(newest_first.len());
            Ok(Value::Array(newest_first[from..to].iter().rev().cloned().collect()))
        })
}

/// Core's `gettransaction` object of one record.
fn transaction_json(wallet: &LocalWallet, r: &TxRecord, verbose: bool) -> Value {
    let credit = if r.immature { 0 } else { to_i64(r.credit) };
    let net = credit - to_i64(r.debit);
    let from_me = r.debit > 0;
    let fee = if from_me { -r.fee().unwrap_or(0) } else { 0 };
    let mut entry = Map::new();
    entry.insert("amount".into(), amount_to_value(net - fee));
    if from_me {
        entry.insert("fee".into(), amount_to_value(fee));
    }
    push_wallet_tx(&mut entry, r);
    let mut details = Vec::new();
    entries(r, false, None, &mut details);
    entry.insert("details".into(), Value::Array(details));
    entry.insert(
        "hex".into(),
        bdk_wallet::bitcoin::consensus::encode::serialize_hex(r.tx.as_ref()).into(),
    );
    if verbose {
        let decoded = rpc::json::tx_to_univ(&r.tx, wallet.options().network, false);
        entry.insert("decoded".into(), Value::Object(decoded));
    }
    Value::Object(entry)
}

/// `gettransaction`.
pub fn gettransaction(loader: Arc<LocalWalletLoader>) -> Method {
    let mut result = vec![
        ("{", "(json object)"),
        ("  \"amount\" : n,", "(numeric) The amount in BTC"),
        ("  \"fee\" : n,", "(numeric, optional) The amount of the fee in BTC. This is negative and only available for the\n'send' category of transactions."),
    ];
    result.extend(
        ENTRY_ROWS
            .iter()
            .skip(6)
            .take(21)
            .map(|(l, r)| (&l[2..], *r)),
    );
    result.extend_from_slice(&[
        ("  \"details\" : [", "(json array)"),
        ("    {", "(json object)"),
        ("      \"address\" : \"str\",", "(string, optional) The bitcoin address involved in the transaction."),
        ("      \"category\" : \"str\",", "(string) The transaction category.\n\"send\"                  Transactions sent.\n\"receive\"               Non-coinbase transactions received.\n\"generate\"              Coinbase transactions received with more than 100 confirmations.\n\"immature\"              Coinbase transactions received with 100 or fewer confirmations.\n\"orphan\"                Orphaned coinbase transactions received."),
        ("      \"amount\" : n,", "(numeric) The amount in BTC"),
        ("      \"label\" : \"str\",", "(string, optional) A comment for the address/transaction, if any"),
        ("      \"vout\" : n,", "(numeric) the vout value"),
        ("      \"fee\" : n,", "(numeric, optional) The amount of the fee in BTC. This is negative and only available for the \n'send' category of transactions."),
        ("      \"abandoned\" : true|false,", "(boolean) 'true' if the transaction has been abandoned (inputs are respendable)."),
        ("      \"parent_descs\" : [", "(json array, optional) Only if 'category' is 'received'. List of parent descriptors for the output script of this coin."),
        ("        \"desc\",", "(string) The descriptor string."),
        ("        ...", ""),
        ("      ]", ""),
        ("    },", ""),
        ("    ...", ""),
        ("  ],", ""),
        ("  \"hex\" : \"hex\",", "(string) Raw data for transaction"),
        ("  \"decoded\" : {", "(json object, optional) The decoded transaction (only present when `verbose` is passed)"),
        ("    ...", "Equivalent to the RPC decoderawtransaction method, or the RPC getrawtransaction method when `verbose` is passed."),
        ("  }", ""),
        ("}", ""),
    ]);
    let txid = "\"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\"";
    Method::new("gettransaction", "wallet", "Get detailed information about in-wallet transaction <txid>")
        .param(Param::required("txid", ParamType::Str, "The transaction id"))
        .param(Param::default("include_watchonly", ParamType::Bool, false, "(DEPRECATED) No longer used"))
        .param(Param::default("verbose", ParamType::Bool, false, "Whether to include a `decoded` field containing the decoded transaction (equivalent to RPC decoderawtransaction)"))
        .result(&rows(&result))
        .examples(
            rpc::help::example_cli("gettransaction", txid)
                + &rpc::help::example_cli("gettransaction", &format!("{txid} true"))
                + &rpc::help::example_cli("gettransaction", &format!("{txid} false true"))
                + &examples("gettransaction", "", txid)[examples("gettransaction", "", "").find("> curl").unwrap_or(0)..],
        )
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            let txid = parse_txid("txid", p.arg::<&str>("txid")?)?;
            let verbose = p.arg::<bool>("verbose")?;
            let record = wallet
                .transaction(&txid)
                .map_err(wallet_error)?
                .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id"))?;
            Ok(transaction_json(&wallet, &record, verbose))
        })
}

/// Core's example transaction id.
const EXAMPLE_TXID: &str = "\"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\"";
/// Core's example block of `listsinceblock`.
const EXAMPLE_BLOCK: &str = "\"000000000000000bacf66f7497b7dc45ef753ee9a7d38571037cdb1a57f663ad\"";

/// `listsinceblock`'s handler.
fn list_since_block(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    let since = match p.maybe_arg::<&str>("blockhash")? {
        Some(text) if !text.is_empty() => {
            let hash = BlockHash::from_byte_array(rpc::hex::parse_hash_v(text, "blockhash")?);
            let fork = wallet.fork_point(&hash).map_err(wallet_error)?;
            Some((
                hash,
                fork.ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found"))?,
            ))
        }
        _ => None,
    };
    let target = p.arg::<i64>("target_confirmations")?;
    if target < 1 {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid parameter"));
    }
    let include_removed = p.arg::<bool>("include_removed")?;
    if p.arg::<bool>("include_change")? {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "include_change is not supported by this wallet",
        ));
    }
    let label = p
        .maybe_arg::<&str>("label")?
        .map(|l| label_from(Some(l)))
        .transpose()?;
    let tip_height = wallet.last_processed().map_err(wallet_error)?.1;
    let depth = since.map(|(_, (fork, _))| i64::from(tip_height) + 1 - i64::from(fork));
    let mut transactions = Vec::new();
    for record in wallet.history().map_err(wallet_error)? {
        if depth.is_none_or(|d| i64::from(record.confirmations) < d) {
            entries(&record, true, label.as_deref(), &mut transactions);
        }
    }
    let target = u32::try_from(target)
        .unwrap_or(u32::MAX)
        .min(tip_height + 1);
    let last = wallet
        .block_hash_at(tip_height + 1 - target)
        .map_err(wallet_error)?;
    let mut out = Map::new();
    out.insert("transactions".into(), Value::Array(transactions));
    if include_removed {
        let mut removed = Vec::new();
        if let Some((hash, (fork, own))) = since.filter(|(_, (fork, own))| own > fork) {
            let records = wallet.removed_since(&hash, fork).map_err(wallet_error)?;
            let records = records
                .ok_or_else(|| RpcError::new(RPC_INTERNAL_ERROR, "Can't read block from disk"))?;
            tracing::debug!(wallet = %wallet.name(), blocks = own - fork, txs = records.len(), "listsinceblock removed");
            for record in &records {
                entries(record, true, label.as_deref(), &mut removed);
            }
        }
        out.insert("removed".into(), Value::Array(removed));
    }
    out.insert("lastblock".into(), last.to_string().into());
    Ok(Value::Object(out))
}

/// `listsinceblock`.
pub fn listsinceblock(loader: Arc<LocalWalletLoader>) -> Method {
    let indented: Vec<(String, &str)> = ENTRY_ROWS
        .iter()
        .map(|(l, r)| (format!("  {l}"), *r))
        .collect();
    let mut result: Vec<(String, String)> = vec![
        ("{".into(), "(json object)".into()),
        ("  \"transactions\" : [".into(), "(json array)".into()),
        ("    {".into(), "(json object)".into()),
    ];
    result.extend(indented.into_iter().map(|(l, r)| (l, r.to_string())));
    result.extend([
        ("    },", ""),
        ("    ...", ""),
        ("  ],", ""),
        ("  \"removed\" : [", "(json array, optional) <structure is the same as \"transactions\" above, only present if include_removed=true>\nNote: transactions that were re-added in the active chain will appear as-is in this array, and may thus have a positive confirmation count."),
        ("    ...", ""),
        ("  ],", ""),
        ("  \"lastblock\" : \"hex\"", "(string) The hash of the block (target_confirmations-1) from the best block on the main chain, or the genesis hash if the referenced block does not exist yet. This is used to detect new blocks."),
        ("}", ""),
    ].map(|(l, r)| (l.to_string(), r.to_string())));
    Method::new("listsinceblock", "wallet", "Get all transactions in blocks since block [blockhash], or all transactions if omitted.\nIf \"blockhash\" is no longer a part of the main chain, transactions from the fork point onward are included.\nAdditionally, if include_removed is set, transactions affecting the wallet which were removed are returned in the \"removed\" array.")
        .param(Param::optional("blockhash", ParamType::Str, "If set, the block hash to list transactions since, otherwise list all transactions."))
        .param(Param::default("target_confirmations", ParamType::Num, 1, "Return the nth block hash from the main chain. e.g. 1 would mean the best block hash. Note: this is not used as a filter, but only affects [lastblock] in the return value"))
        .param(Param::default("include_watchonly", ParamType::Bool, false, "(DEPRECATED) No longer used"))
        .param(Param::default("include_removed", ParamType::Bool, true, "Show transactions that were removed due to a reorg in the \"removed\" array\n(not guaranteed to work on pruned nodes)"))
        .param(Param::default("include_change", ParamType::Bool, false, "Also add entries for change outputs.\n"))
        .param(Param::optional("label", ParamType::Str, "Return only incoming transactions paying to addresses with the specified label.\n"))
        .result(&crate::rpc::layout(&result))
        .examples(
            rpc::help::example_cli("listsinceblock", "")
                + &rpc::help::example_cli("listsinceblock", &format!("{EXAMPLE_BLOCK} 6"))
                + &rpc::help::example_rpc("listsinceblock", &format!("{EXAMPLE_BLOCK}, 6")),
        )
        .handler(move |p| list_since_block(&loader, p))
}

/// `abandontransaction`.
pub fn abandontransaction(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("abandontransaction", "wallet", "Mark in-wallet transaction <txid> as abandoned\nThis will mark this transaction and all its in-wallet descendants as abandoned which will allow\nfor their inputs to be respent.  It can be used to replace \"stuck\" or evicted transactions.\nIt only works on transactions which are not included in a block and are not currently in the mempool.\nIt has no effect on transactions which are already abandoned.")
        .param(Param::required("txid", ParamType::StrHex, "The transaction id"))
        .result("null    (json null)")
        .examples(examples("abandontransaction", EXAMPLE_TXID, EXAMPLE_TXID))
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            let txid = parse_txid("txid", p.arg::<&str>("txid")?)?;
            wallet.abandon_transaction(&txid).map_err(wallet_error)?;
            Ok(Value::Null)
        })
}
