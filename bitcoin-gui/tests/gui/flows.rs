//! The user's flows through the views: create a wallet, receive, see the balance, send to a
//! second wallet, see it in Transactions, the node window, the console.

use egui_kittest::kittest::Queryable;
use serde_json::json;

use bitcoin_gui::views::send::FeeMode;
use bitcoin_gui::views::Tab;

use super::{attached, burn_address, control, rpc, wait_for};

const COIN: i64 = 100_000_000;

#[test]
fn receive_mine_send_and_see_it_everywhere() {
    // A fallback fee, as a fresh regtest chain has no estimates (the bump needs a rate).
    let node = tests::Node::start(&["-printtoconsole=0", "-fallbackfee=0.0002"]);
    let (_conn, ctl) = control(&node.socket());
    let mut gui = attached(&node.socket());
    wait_for(&mut gui, "connection", |app| app.snapshot().connected());

    // Wallets: create "alice".
    gui.get_by_label("Wallets").click();
    gui.step();
    gui.state_mut().wallets.new_name = "alice".into();
    gui.step();
    gui.get_by_label("Create").click();
    wait_for(&mut gui, "wallet alice", |app| {
        app.snapshot().wallet_name() == Some("alice")
    });

    // Receive: a new address, with its URI and QR code.
    gui.get_by_label("Receive").click();
    gui.step();
    gui.state_mut().receive.label = "mining".into();
    gui.step();
    gui.get_by_label("Create new receiving address").click();
    wait_for(&mut gui, "a new address", |app| {
        !app.snapshot().receive_requests.is_empty()
    });
    let address = gui.state().snapshot().receive_requests[0].address.clone();
    assert!(address.starts_with("bcrt1"), "{address}");
    gui.get_by_label_contains(&format!("bitcoin:{address}?label=mining"));
    gui.get_by_label("Copy URI");

    // Mine to it; the balance shows on the Overview, re-read because the wallet notified
    // (a block tip only updates confirmations; nothing polls the wallet).
    gui.get_by_label("Overview").click();
    wait_for(&mut gui, "the command's refresh", |app| {
        app.snapshot().outcomes.len() >= 2
    });
    let notified_before = gui.state().snapshot().notified_refreshes;
    rpc(&*ctl, "/", "generatetoaddress", json!([101, address]));
    wait_for(&mut gui, "the mined balance", |app| {
        app.snapshot()
            .wallet
            .as_ref()
            .is_some_and(|w| w.info.balances.trusted == 50 * COIN)
    });
    assert!(
        gui.state().snapshot().notified_refreshes > notified_before,
        "the balance came from a wallet notification"
    );
    // Available, total, and the mined rows of the recent transactions.
    assert!(gui.get_all_by_label("50.00000000 BTC").count() >= 2);
    gui.get_by_label("Available:");

    // A second wallet, and a send to it through the Send view.
    rpc(&*ctl, "/", "createwallet", json!(["bob"]));
    // Loaded by RPC, not by this GUI: the loader's load notification brings it in.
    wait_for(&mut gui, "bob in the wallet list", |app| {
        app.snapshot().loaded_wallets.iter().any(|w| w == "bob")
    });
    let bob = rpc(&*ctl, "/wallet/bob", "getnewaddress", json!([]));
    let bob = bob.as_str().expect("address").to_string();
    send_through_the_view(&mut gui, &bob);

    // Transactions shows the send.
    gui.get_by_label("Transactions").click();
    wait_for(&mut gui, "the send in the table", |app| {
        app.snapshot()
            .wallet
            .as_ref()
            .is_some_and(|w| w.transactions.iter().any(|t| t.kind == "Sent"))
    });
    gui.get_by_label("Sent");
    gui.get_all_by_label("unconfirmed")
        .next()
        .expect("an unconfirmed row");

    bump_the_send(&mut gui);

    // Mined: bob has it.
    rpc(&*ctl, "/", "generatetoaddress", json!([1, burn_address()]));
    let balances = rpc(&*ctl, "/wallet/bob", "getbalances", json!([]));
    assert_eq!(
        balances["mine"]["trusted"].as_f64(),
        Some(1.5),
        "{balances}"
    );

    // Unloaded by RPC: the wallet's `unloaded` notification takes it off the list.
    rpc(&*ctl, "/", "unloadwallet", json!(["bob"]));
    wait_for(&mut gui, "bob off the wallet list", |app| {
        !app.snapshot().loaded_wallets.iter().any(|w| w == "bob")
    });
    assert_eq!(gui.state().snapshot().wallet_name(), Some("alice"));

    node_window_shows_the_height(&mut gui, 102);
}

/// Selects the unconfirmed send in Transactions and bumps its fee (`Wallet.bumpFee`): the
/// replacement takes its place.
fn bump_the_send(gui: &mut egui_kittest::Harness<'_, bitcoin_gui::GuiApp>) {
    let sent = gui
        .state()
        .snapshot()
        .wallet
        .as_ref()
        .and_then(|w| w.transactions.iter().find(|t| t.kind == "Sent").cloned())
        .expect("the sent row");
    gui.state_mut().transactions.selected = Some(sent.txid.clone());
    gui.step();
    gui.get_by_label("Increase transaction fee").click();
    gui.run_steps(3);
    let bump = gui.state().transactions.pending.expect("a bump asked for");
    wait_for(gui, "the bump's result", |app| {
        app.snapshot().outcome(bump).is_some()
    });
    let outcome = gui
        .state()
        .snapshot()
        .outcome(bump)
        .cloned()
        .expect("outcome");
    let text = outcome.expect("the bump succeeded");
    assert!(text.starts_with("fee bumped from"), "{text}");
    let replacement = text.rsplit(' ').next().expect("the new txid").to_string();
    wait_for(gui, "the replacement in the table", |app| {
        app.snapshot().wallet.as_ref().is_some_and(|w| {
            w.transactions
                .iter()
                .any(|t| t.txid == replacement && t.kind == "Sent")
                && w.transactions
                    .iter()
                    .all(|t| t.txid != sent.txid || t.confirmations < 0)
        })
    });
}

fn send_through_the_view(gui: &mut egui_kittest::Harness<'_, bitcoin_gui::GuiApp>, to: &str) {
    gui.get_by_label("Send").click();
    gui.step();
    {
        let send = &mut gui.state_mut().send;
        send.address = "bcrt1qnotanaddress".into();
    }
    gui.step();
    gui.get_by_label_contains("invalid address");
    {
        let send = &mut gui.state_mut().send;
        send.address = to.to_string();
        send.amount = "1.5".into();
        send.fee_mode = FeeMode::Rate;
        send.fee_rate = "2".into();
    }
    gui.step();
    gui.get_by_label("Send coins").click();
    gui.run_steps(3);
    gui.get_by_label("Confirm send coins");
    // The exact fee, from the wallet (Wallet.createTransaction, unsigned), before sending.
    let preview = gui.state().send.preview.expect("a fee preview asked for");
    wait_for(gui, "the fee preview", |app| {
        app.snapshot()
            .fee_preview
            .as_ref()
            .is_some_and(|(id, _)| *id == preview)
    });
    let previewed = gui
        .state()
        .snapshot()
        .fee_preview
        .clone()
        .and_then(|(_, fee)| fee.ok())
        .expect("a previewed fee");
    let fee_text = bitcoin_gui::units::Unit::Btc.format(previewed);
    gui.get_by_label(&format!("Transaction fee: {fee_text}"));
    gui.get_by_label(&format!(
        "Total amount: {}",
        bitcoin_gui::units::Unit::Btc.format(150_000_000 + previewed)
    ));
    gui.get_by_label("Confirm").click();
    gui.step();
    assert!(gui.state().send.pending.is_some(), "confirmed");
    wait_for(gui, "the send's result", |app| {
        let snap = app.snapshot();
        app.send.pending.and_then(|id| snap.outcome(id)).is_some()
    });
    let id = gui.state().send.pending.expect("pending");
    let outcome = gui
        .state()
        .snapshot()
        .outcome(id)
        .cloned()
        .expect("outcome");
    let text = outcome.expect("send succeeded");
    assert!(text.starts_with("sent "), "{text}");
    gui.get_by_label(&text);
    assert!(
        text.ends_with(&format!("(fee {previewed} sat)")),
        "the previewed fee {previewed} is the fee paid: {text}"
    );
}

fn node_window_shows_the_height(
    gui: &mut egui_kittest::Harness<'_, bitcoin_gui::GuiApp>,
    height: i32,
) {
    gui.state_mut().tab = Tab::Node;
    wait_for(gui, "the height", |app| {
        app.snapshot()
            .node
            .as_ref()
            .is_some_and(|n| n.block_count == height)
    });
    gui.get_by_label("Current block height:");
    gui.get_all_by_label(&height.to_string())
        .next()
        .expect("the height shown");
    gui.get_by_label(&format!("Height {height}"));
    gui.get_by_label("regtest");

    // The console: a command and its reply.
    gui.get_by_label("Console").click();
    gui.step();
    gui.state_mut().node.input = "getblockcount".into();
    gui.state_mut().submit_console();
    wait_for(gui, "the console's reply", |app| {
        app.snapshot()
            .console
            .iter()
            .any(|e| e.reply == Ok(height.to_string()))
    });
    gui.get_by_label("> getblockcount");
    assert!(
        gui.state()
            .snapshot()
            .rpc_methods
            .iter()
            .any(|m| m == "getblockchaininfo"),
        "completion knows the node's methods"
    );
}

/// Creates wallet `name` through the Wallets view and mines 101 blocks to it by RPC; waits
/// for the balance, which only a wallet notification brings.
fn funded_wallet(
    gui: &mut egui_kittest::Harness<'_, bitcoin_gui::GuiApp>,
    ctl: &dyn interfaces::Node,
    name: &str,
) {
    gui.get_by_label("Wallets").click();
    gui.step();
    gui.state_mut().wallets.new_name = name.into();
    gui.step();
    gui.get_by_label("Create").click();
    wait_for(gui, "the new wallet", |app| {
        app.snapshot().wallet_name() == Some(name)
    });
    let notified_before = gui.state().snapshot().notified_refreshes;
    let address = rpc(ctl, &format!("/wallet/{name}"), "getnewaddress", json!([]));
    rpc(ctl, "/", "generatetoaddress", json!([101, address]));
    wait_for(gui, "the mined balance", |app| {
        app.snapshot()
            .wallet
            .as_ref()
            .is_some_and(|w| w.info.balances.trusted == 50 * COIN)
    });
    assert!(gui.state().snapshot().notified_refreshes > notified_before);
}

/// Fills the Send view with a payment of 1 BTC to a burn address and opens the
/// confirmation dialog.
fn start_a_send(gui: &mut egui_kittest::Harness<'_, bitcoin_gui::GuiApp>) {
    gui.state_mut().tab = Tab::Send;
    gui.step();
    {
        let send = &mut gui.state_mut().send;
        send.address = burn_address();
        send.amount = "1".into();
        send.fee_mode = FeeMode::Rate;
        send.fee_rate = "2".into();
    }
    gui.step();
    gui.get_by_label("Send coins").click();
    gui.run_steps(3);
    gui.get_by_label("Confirm send coins");
}

/// Confirms the dialog with `passphrase`; the send's outcome.
fn confirm_with(
    gui: &mut egui_kittest::Harness<'_, bitcoin_gui::GuiApp>,
    passphrase: &str,
) -> Result<String, String> {
    gui.get_by_label_contains("needs your wallet passphrase");
    gui.state_mut().send.passphrase = passphrase.into();
    gui.step();
    gui.get_by_label("Confirm").click();
    gui.step();
    let id = gui.state().send.pending.expect("a send in flight");
    wait_for(gui, "the send's outcome", |app| {
        app.snapshot().outcome(id).is_some()
    });
    gui.state()
        .snapshot()
        .outcome(id)
        .cloned()
        .expect("outcome")
}

#[test]
fn an_encrypted_wallet_asks_for_its_passphrase_to_send() {
    let node = tests::Node::start(&["-printtoconsole=0"]);
    let (_conn, ctl) = control(&node.socket());
    let mut gui = attached(&node.socket());
    wait_for(&mut gui, "connection", |app| app.snapshot().connected());
    funded_wallet(&mut gui, &*ctl, "carol");

    // Encrypt from the Wallets view (Wallet::encrypt); the wallet is locked afterwards.
    gui.state_mut().tab = Tab::Wallets;
    gui.step();
    gui.state_mut().wallets.encrypt_passphrase = "correct horse".into();
    gui.step();
    gui.get_by_label("Encrypt Wallet").click();
    wait_for(&mut gui, "the encrypted, locked wallet", |app| {
        app.snapshot()
            .wallet
            .as_ref()
            .is_some_and(|w| w.info.encrypted && w.is_locked())
    });
    gui.get_by_label("wallet encrypted");
    gui.get_by_label("carol (locked)");

    // A wrong passphrase: Core's error, nothing sent.
    start_a_send(&mut gui);
    let wrong = confirm_with(&mut gui, "wrong horse").expect_err("a wrong passphrase fails");
    assert!(
        wrong.contains("The wallet passphrase entered was incorrect."),
        "{wrong}"
    );
    gui.get_by_label_contains("The wallet passphrase entered was incorrect.");

    // The right one: sent, and the wallet is locked again.
    start_a_send(&mut gui);
    let sent = confirm_with(&mut gui, "correct horse").expect("the send succeeds");
    assert!(sent.starts_with("sent "), "{sent}");
    gui.get_by_label(&sent);
    wait_for(&mut gui, "the send in the wallet, locked again", |app| {
        app.snapshot()
            .wallet
            .as_ref()
            .is_some_and(|w| w.is_locked() && w.transactions.iter().any(|t| t.kind == "Sent"))
    });
}
