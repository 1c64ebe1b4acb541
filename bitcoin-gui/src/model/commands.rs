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

/// Finds the wallets of a new connection, subscribes to wallet loads and to each loaded
/// wallet's notifications, and shows `previous` (the one shown before a reconnection) or
/// the first loaded one.
pub(super) fn open_wallets(worker: &mut State, previous: Option<String>) {
    let events = worker.events.clone();
    let Some(session) = worker.session.as_mut() else {
        return;
    };
    session.wallets.clear();
    session.shown = None;
    session.loader = match session.node.wallet_loader() {
        Ok(loader) => Some(loader),
        Err(e) => {
            tracing::info!("no wallets: {e}");
            None
        }
    };
    worker.snap.wallets_enabled = session.loader.is_some();
    session.subscribe_loads(&events);
    let Some(loader) = &session.loader else {
        worker.snap.wallet = None;
        return;
    };
    let loaded = loader.list_wallets().unwrap_or_default();
    let wallets: Vec<_> = loaded
        .iter()
        .filter_map(|name| match loader.get_wallet(name) {
            Ok(wallet) => Some(wallet),
            Err(e) => {
                tracing::warn!(wallet = %name, "getWallet: {e}");
                None
            }
        })
        .collect();
    for wallet in wallets {
        if let Err(e) = session.open_wallet(wallet, &events) {
            tracing::warn!("cannot open a loaded wallet: {e}");
        }
    }
    session.shown = previous
        .filter(|name| session.wallet_named(name).is_some())
        .or_else(|| session.wallets.first().map(|w| w.name.clone()));
    if session.shown.is_none() {
        worker.snap.wallet = None;
    }
    worker.dirty_lists = true;
}

/// A wallet loaded by anyone: keep it open (subscribed); show it if none is shown.
pub(super) fn wallet_loaded(worker: &mut State, wallet: Box<dyn Wallet>) {
    let events = worker.events.clone();
    let Some(session) = worker.session.as_mut() else {
        return;
    };
    match session.open_wallet(wallet, &events) {
        Ok(name) => {
            if session.shown.is_none() {
                session.shown = Some(name);
                worker.dirty_wallet = true;
            }
        }
        Err(e) => tracing::warn!("cannot open a newly loaded wallet: {e}"),
    }
    worker.dirty_lists = true;
}

/// A wallet was unloaded (by anyone): forget it.
pub(super) fn wallet_unloaded(worker: &mut State, name: &str) {
    if let Some(session) = worker.session.as_mut() {
        session.forget_wallet(name);
    }
    worker.dirty_lists = true;
    worker.dirty_wallet = true;
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
    // A fee preview changes nothing; every other command may change the wallet shown.
    let changes = !matches!(command, Command::PreviewFee(_));
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
        Command::PreviewFee(request) => {
            let fee = preview_fee(worker, &request);
            worker.snap.fee_preview = Some((id, fee.clone()));
            fee.map(|sats| format!("fee {sats} sat"))
        }
        Command::BumpFee(txid) => bump_fee(worker, &txid),
        Command::SendUnlocked {
            request,
            passphrase,
        } => send_unlocked(worker, &request, &passphrase),
        // Everything but the console goes through `interfaces::Wallet`.
        Command::Encrypt(pass) => {
            with_wallet(worker, |w| w.encrypt(&pass)).map(|()| "wallet encrypted".into())
        }
        Command::ChangePassphrase { old, new } => {
            with_wallet(worker, |w| w.change_passphrase(&old, &new))
                .map(|()| "passphrase changed".into())
        }
        Command::Unlock {
            passphrase,
            timeout,
        } => with_wallet(worker, |w| w.unlock(&passphrase, u64::from(timeout)))
            .map(|()| format!("wallet unlocked for {timeout} s")),
        Command::Lock => with_wallet(worker, |w| w.lock()).map(|()| "wallet locked".into()),
        other => wallet_command(worker, other),
    };
    if let Err(e) = &result {
        tracing::info!(id, "command failed: {e}");
    }
    worker.outcome(id, result);
    worker.dirty_wallet |= changes;
}

/// How long a send that asked for the passphrase unlocks the wallet (it is locked again
/// right after, as Core's `WalletModel::UnlockContext` does).
const SEND_UNLOCK_SECS: u64 = 60;

/// Unlocks the wallet shown with `passphrase`, sends, and locks it again.
fn send_unlocked(
    worker: &State,
    request: &interfaces::SendRequest,
    passphrase: &str,
) -> Result<String, String> {
    with_wallet(worker, |w| w.unlock(passphrase, SEND_UNLOCK_SECS))?;
    let sent = with_wallet(worker, |w| w.send(request));
    if let Err(e) = with_wallet(worker, |w| w.lock()) {
        tracing::warn!("cannot lock the wallet again after sending: {e}");
    }
    sent.map(|sent| {
        let txid = txid_hex(sent.txid);
        format!("sent {txid} (fee {} sat)", sent.fee)
    })
}

/// The fee the wallet shown would pay for `request`: the transaction built, unsigned and not
/// broadcast (`Wallet::createTransaction`), so it works on a locked wallet too.
fn preview_fee(worker: &State, request: &interfaces::SendRequest) -> Result<i64, String> {
    with_wallet(worker, |w| w.create_transaction(request, false)).map(|created| created.fee)
}

/// Commands on the wallet loader.
fn wallet_command(worker: &mut State, command: Command) -> Result<String, String> {
    let events = worker.events.clone();
    let session = worker.session.as_mut().ok_or("not connected to a node")?;
    let loader = session
        .loader
        .as_ref()
        .ok_or("the node runs without wallets")?;
    let text = |e: interfaces::Error| e.to_string();
    let (wallet, done) = match command {
        Command::SelectWallet(name) => {
            if session.wallet_named(&name).is_some() {
                session.shown = Some(name.clone());
                return Ok(format!("wallet {name} selected"));
            }
            let wallet = loader
                .get_wallet(&name)
                .or_else(|_| loader.load_wallet(&name))
                .map_err(text)?;
            (wallet, format!("wallet {name} selected"))
        }
        Command::CreateWallet { name, passphrase } => (
            loader
                .create_wallet(&name, &passphrase, interfaces::WALLET_FLAG_DESCRIPTORS)
                .map_err(text)?,
            format!("wallet {name} created"),
        ),
        Command::LoadWallet(name) => (
            loader.load_wallet(&name).map_err(text)?,
            format!("wallet {name} loaded"),
        ),
        Command::UnloadWallet(name) => {
            loader.unload_wallet(&name).map_err(text)?;
            session.forget_wallet(&name);
            worker.dirty_lists = true;
            return Ok(format!("wallet {name} closed"));
        }
        _ => return Err("unsupported command".into()),
    };
    let name = session.open_wallet(wallet, &events).map_err(text)?;
    session.shown = Some(name);
    worker.dirty_lists = true;
    Ok(done)
}

fn with_wallet<T>(
    worker: &State,
    f: impl FnOnce(&dyn Wallet) -> Result<T, interfaces::Error>,
) -> Result<T, String> {
    let wallet = worker
        .session
        .as_ref()
        .and_then(|s| s.shown_wallet())
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

/// Re-reads the wallet lists (after a load or unload).
pub(super) fn refresh_lists(worker: &mut State) {
    let Some(session) = &worker.session else {
        return;
    };
    worker.snap.loaded_wallets = session.wallets.iter().map(|w| w.name.clone()).collect();
    worker.snap.loaded_wallets.sort();
    if let Some(loader) = &session.loader {
        worker.snap.wallet_dir = loader.list_wallet_dir().unwrap_or_default();
    }
}

/// Re-reads the wallet shown: its state, balances and transactions.
pub(super) fn refresh_wallet(worker: &mut State) {
    let network = worker.network;
    let Some(session) = &worker.session else {
        return;
    };
    let Some(wallet) = session.shown_wallet() else {
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

/// A new tip: the confirmations of the transactions shown follow from it, without asking
/// the wallet (whatever else changes, the wallet notifies).
pub(super) fn tip_moved(worker: &mut State, height: i32) {
    let Some(wallet) = &mut worker.snap.wallet else {
        return;
    };
    for tx in &mut wallet.transactions {
        if let Some(at) = tx.height {
            tx.confirmations = height - at + 1;
        }
    }
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
/// Replaces unconfirmed transaction `txid` (hex, as shown) with one paying more
/// (`Wallet::bumpFee`, the wallet's default fee rate increase).
fn bump_fee(worker: &State, txid: &str) -> Result<String, String> {
    use bitcoin::hashes::Hash;
    let parsed: Txid = txid
        .parse()
        .map_err(|e| format!("not a transaction id ({txid}): {e}"))?;
    let request = interfaces::BumpFeeRequest::default();
    let bumped = with_wallet(worker, |w| w.bump_fee(parsed.to_byte_array(), &request))?;
    Ok(format!(
        "fee bumped from {} to {} sat: new transaction {}",
        bumped.old_fee,
        bumped.new_fee,
        txid_hex(bumped.txid)
    ))
}

fn txid_hex(txid: [u8; 32]) -> String {
    use bitcoin::hashes::Hash;
    Txid::from_byte_array(txid).to_string()
}
