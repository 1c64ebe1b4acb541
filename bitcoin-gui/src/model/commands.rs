//! The model thread's work: the UI's commands, wallet refreshes and RPC calls, all on the
//! model thread (the only one that calls IPC).

use bitcoin::consensus::deserialize;
use bitcoin::{Address, Transaction, Txid};
use interfaces::{Wallet, WalletTransaction};
use serde_json::{json, Value};

use super::state::State;
use super::{Command, ReceiveRequest, TxRow, WalletState};

/// Transactions shown (the newest).
const TX_LIMIT: u32 = 200;

/// Finds the wallets of a new connection and opens `previous` (the one shown before a
/// reconnection) or the first loaded one.
pub(super) fn open_wallets(worker: &mut State, previous: Option<String>) {
    let Some(session) = worker.session.as_mut() else {
        return;
    };
    session.wallet = None;
    session.loader = match session.node.wallet_loader() {
        Ok(loader) => Some(loader),
        Err(e) => {
            tracing::info!("no wallets: {e}");
            None
        }
    };
    worker.snap.wallets_enabled = session.loader.is_some();
    let Some(loader) = &session.loader else {
        worker.snap.wallet = None;
        return;
    };
    let loaded = loader.list_wallets().unwrap_or_default();
    let pick = previous
        .filter(|name| loaded.contains(name))
        .or_else(|| loaded.first().cloned());
    session.wallet = pick.and_then(|name| loader.get_wallet(&name).ok());
    if session.wallet.is_none() {
        worker.snap.wallet = None;
    }
}

/// The node's RPC method names, from `help`.
pub(super) fn rpc_methods(worker: &State) -> Vec<String> {
    let Ok(Value::String(help)) = call_rpc(worker, "help", json!([]), false) else {
        return Vec::new();
    };
    let mut names: Vec<String> = help
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("=="))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Runs one command and records its outcome.
pub(super) fn run(worker: &mut State, id: u64, command: Command) {
    let result = match command {
        Command::Rpc(line) => console(worker, line),
        Command::NewAddress {
            label,
            amount,
            message,
        } => new_address(worker, label, amount, message),
        Command::Send(request) => with_wallet(worker, |w| w.send(&request)).map(|sent| {
            let txid = txid_hex(sent.txid);
            format!("sent {txid} (fee {} sat)", sent.fee)
        }),
        Command::BumpFee(txid) => call_rpc(worker, "bumpfee", json!([txid]), true)
            .map(|v| format!("fee bumped: new transaction {}", v["txid"])),
        Command::Encrypt(pass) => call_rpc(worker, "encryptwallet", json!([pass]), true)
            .map(|_| "wallet encrypted".into()),
        Command::Unlock {
            passphrase,
            timeout,
        } => call_rpc(
            worker,
            "walletpassphrase",
            json!([passphrase, timeout]),
            true,
        )
        .map(|_| format!("wallet unlocked for {timeout} s")),
        Command::Lock => {
            call_rpc(worker, "walletlock", json!([]), true).map(|_| "wallet locked".into())
        }
        other => wallet_command(worker, other),
    };
    if let Err(e) = &result {
        tracing::info!(id, "command failed: {e}");
    }
    worker.outcome(id, result);
    worker.dirty_wallet = true;
}

/// Commands on the wallet loader.
fn wallet_command(worker: &mut State, command: Command) -> Result<String, String> {
    let session = worker.session.as_mut().ok_or("not connected to a node")?;
    let loader = session
        .loader
        .as_ref()
        .ok_or("the node runs without wallets")?;
    let text = |e: interfaces::Error| e.to_string();
    match command {
        Command::SelectWallet(name) => {
            let wallet = loader
                .get_wallet(&name)
                .or_else(|_| loader.load_wallet(&name))
                .map_err(text)?;
            session.wallet = Some(wallet);
            Ok(format!("wallet {name} selected"))
        }
        Command::CreateWallet { name, passphrase } => {
            session.wallet = Some(loader.create_wallet(&name, &passphrase).map_err(text)?);
            Ok(format!("wallet {name} created"))
        }
        Command::LoadWallet(name) => {
            session.wallet = Some(loader.load_wallet(&name).map_err(text)?);
            Ok(format!("wallet {name} loaded"))
        }
        Command::UnloadWallet(name) => {
            let shown = session.wallet.as_ref().and_then(|w| w.get_name().ok());
            if shown.as_deref() == Some(name.as_str()) {
                session.wallet = None;
            }
            loader.unload_wallet(&name).map_err(text)?;
            if session.wallet.is_none() {
                let next = loader.list_wallets().unwrap_or_default();
                session.wallet = next.first().and_then(|n| loader.get_wallet(n).ok());
            }
            Ok(format!("wallet {name} closed"))
        }
        _ => Err("unsupported command".into()),
    }
}

fn with_wallet<T>(
    worker: &State,
    f: impl FnOnce(&dyn Wallet) -> Result<T, interfaces::Error>,
) -> Result<T, String> {
    let wallet = worker
        .session
        .as_ref()
        .and_then(|s| s.wallet.as_deref())
        .ok_or("no wallet is open")?;
    f(wallet).map_err(|e| e.to_string())
}

fn new_address(
    worker: &mut State,
    label: String,
    amount: Option<i64>,
    message: String,
) -> Result<String, String> {
    let address = with_wallet(worker, |w| w.get_new_address(&label, ""))?;
    worker.snap.receive_requests.insert(
        0,
        ReceiveRequest {
            time: now(),
            address: address.clone(),
            label,
            amount,
            message,
        },
    );
    Ok(address)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Calls `method` on the node (or, with `wallet`, on the wallet shown) through
/// `Node::execute_rpc`; the result, or the RPC error's message.
pub(super) fn call_rpc(
    worker: &State,
    method: &str,
    params: Value,
    wallet: bool,
) -> Result<Value, String> {
    let session = worker.session.as_ref().ok_or("not connected to a node")?;
    let uri = match (&worker.snap.wallet, wallet) {
        (Some(shown), true) => format!("/wallet/{}", shown.info.name),
        (None, true) => return Err("no wallet is open".into()),
        (_, false) => "/".into(),
    };
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let reply = session
        .node
        .execute_rpc(&request.to_string(), &uri, "")
        .map_err(|e| e.to_string())?;
    let mut reply: Value =
        serde_json::from_str(&reply).map_err(|e| format!("bad reply from the node: {e}"))?;
    match reply.get("error") {
        Some(error) if !error.is_null() => Err(error["message"]
            .as_str()
            .map_or_else(|| error.to_string(), str::to_string)),
        _ => Ok(reply["result"].take()),
    }
}

/// Runs a console line: `method arg ...` (arguments that parse as JSON are JSON, others are
/// strings, as in Core's console).
fn console(worker: &mut State, line: String) -> Result<String, String> {
    let words = split_words(&line);
    let result = match words.split_first() {
        None => Err("empty command".to_string()),
        Some((method, args)) => {
            let params: Vec<Value> = args
                .iter()
                .map(|a| serde_json::from_str(a).unwrap_or_else(|_| Value::String(a.clone())))
                .collect();
            call_rpc(
                worker,
                method,
                Value::Array(params),
                worker.snap.wallet.is_some(),
            )
            .map(|v| match v {
                Value::String(s) => s,
                other => serde_json::to_string_pretty(&other).unwrap_or_default(),
            })
        }
    };
    worker.snap.console.push(super::ConsoleEntry {
        command: line,
        reply: result.clone(),
    });
    result.map(|_| "done".into())
}

/// Splits a console line on spaces, keeping `"quoted strings"` whole.
pub(crate) fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Re-reads the wallet shown and the wallet lists.
pub(super) fn refresh_wallet(worker: &mut State) {
    let network = worker.network;
    let Some(session) = &worker.session else {
        return;
    };
    if let Some(loader) = &session.loader {
        worker.snap.loaded_wallets = loader.list_wallets().unwrap_or_default();
        worker.snap.wallet_dir = loader.list_wallet_dir().unwrap_or_default();
    }
    let Some(wallet) = &session.wallet else {
        worker.snap.wallet = None;
        return;
    };
    let info = match wallet.get_info() {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!("wallet getInfo: {e}");
            return;
        }
    };
    let transactions = match wallet.list_transactions(TX_LIMIT, 0) {
        Ok(list) => list.iter().rev().map(|tx| tx_row(tx, network)).collect(),
        Err(e) => {
            tracing::warn!("wallet listTransactions: {e}");
            Vec::new()
        }
    };
    worker.snap.wallet = Some(WalletState { info, transactions });
}

/// One transaction as the table shows it (Core's `TransactionRecord`, simplified).
fn tx_row(tx: &WalletTransaction, network: bitcoin::Network) -> TxRow {
    let decoded: Option<Transaction> = deserialize(&tx.tx).ok();
    let addresses = decoded
        .iter()
        .flat_map(|t| t.output.iter())
        .filter_map(|o| Address::from_script(&o.script_pubkey, network).ok())
        .map(|a| a.to_string())
        .collect();
    let kind = if tx.coinbase {
        "Mined"
    } else if tx.net >= 0 {
        "Received"
    } else if tx.fee.is_some_and(|fee| tx.net == -fee) {
        "Payment to yourself"
    } else {
        "Sent"
    };
    TxRow {
        txid: txid_hex(tx.txid).to_string(),
        time: tx.time,
        amount: tx.net,
        fee: tx.fee,
        confirmations: tx.confirmations,
        kind,
        addresses,
        replaceable: decoded.as_ref().is_some_and(Transaction::is_explicitly_rbf),
        height: tx.block.map(|b| b.height),
        vsize: decoded.as_ref().map_or(0, |t| t.vsize() as u64),
    }
}

/// A txid (internal byte order) as Core shows it.
fn txid_hex(txid: [u8; 32]) -> String {
    use bitcoin::hashes::Hash;
    Txid::from_byte_array(txid).to_string()
}
