//! Wallet notifications and key encryption against the test chain: a payment, its block,
//! unsubscribing, load notifications; locked wallets cannot sign, unlocking lets them, and
//! a reloaded wallet stays encrypted.

use std::sync::mpsc::{self, Receiver, Sender};

use interfaces::{
    Error, LoadWalletNotify, Wallet, WalletBalances, WalletLoader, WalletNotifications,
};

use super::*;

/// What a test subscriber saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Tx([u8; 32]),
    Balance(WalletBalances),
    Status,
    Unloaded,
}

struct Recorder(Mutex<Sender<Seen>>);

use std::sync::Mutex;

impl Recorder {
    fn new() -> (Arc<Recorder>, Receiver<Seen>) {
        let (tx, rx) = mpsc::channel();
        (Arc::new(Recorder(Mutex::new(tx))), rx)
    }
    fn see(&self, seen: Seen) -> Result<(), Error> {
        self.0
            .lock()
            .expect("lock")
            .send(seen)
            .map_err(|_| Error::Disconnected("test receiver gone".into()))
    }
}

impl WalletNotifications for Recorder {
    fn transaction_changed(&self, txid: [u8; 32]) -> Result<(), Error> {
        self.see(Seen::Tx(txid))
    }
    fn balance_changed(&self, balances: &WalletBalances) -> Result<(), Error> {
        self.see(Seen::Balance(*balances))
    }
    fn status_changed(&self) -> Result<(), Error> {
        self.see(Seen::Status)
    }
    fn show_progress(&self, _title: &str, _progress: i32) -> Result<(), Error> {
        Ok(())
    }
    fn unloaded(&self) -> Result<(), Error> {
        self.see(Seen::Unloaded)
    }
}

fn next(rx: &Receiver<Seen>) -> Seen {
    rx.recv_timeout(Duration::from_secs(20))
        .expect("a notification")
}

#[test]
fn payment_block_and_unsubscribe() {
    let env = env();
    let payer = funded(&env, "payer");
    let (payee, _) = env
        .loader
        .create_wallet_with("payee", "", None)
        .expect("create");
    let (recorder, rx) = Recorder::new();
    let handler = Wallet::handle_notifications(payee.as_ref(), recorder).expect("subscribe");
    let address = payee.new_address("", "").expect("address");
    let sent = payer
        .send_with(
            &pay(&address, 3 * COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    let txid = sent.txid.to_byte_array();
    assert_eq!(next(&rx), Seen::Tx(txid));
    assert_eq!(
        next(&rx),
        Seen::Balance(WalletBalances {
            untrusted_pending: 3 * COIN,
            ..WalletBalances::default()
        })
    );
    env.chain.mine(1, &other_script());
    assert_eq!(next(&rx), Seen::Tx(txid));
    assert_eq!(
        next(&rx),
        Seen::Balance(WalletBalances {
            trusted: 3 * COIN,
            ..WalletBalances::default()
        })
    );
    drop(handler);
    let again = payer
        .send_with(
            &pay(&address, COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    env.chain.mine(1, &other_script());
    env.loader.sync_all().expect("sync");
    payee.publish_changes();
    assert!(payee.transaction(&again.txid).expect("tx").is_some());
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
}

struct LoadRecorder(Mutex<Sender<String>>);

impl LoadWalletNotify for LoadRecorder {
    fn call(&self, wallet: Box<dyn Wallet>) -> Result<(), Error> {
        let name = wallet.get_name()?;
        self.0
            .lock()
            .expect("lock")
            .send(name)
            .map_err(|_| Error::Disconnected("gone".into()))
    }
}

#[test]
fn loads_and_unloads_are_told() {
    let env = env();
    let (tx, rx) = mpsc::channel();
    let handler = WalletLoader::handle_load_wallet(
        env.loader.as_ref(),
        Arc::new(LoadRecorder(Mutex::new(tx))),
    )
    .expect("subscribe");
    let (w, _) = env
        .loader
        .create_wallet_with("w", "", None)
        .expect("create");
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).expect("load"), "w");
    let (recorder, seen) = Recorder::new();
    let _h = Wallet::handle_notifications(w.as_ref(), recorder).expect("subscribe");
    env.loader.unload_wallet_with("w", None).expect("unload");
    assert_eq!(next(&seen), Seen::Unloaded);
    drop(handler);
    env.loader.load_wallet_with("w", None).expect("load");
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
}

#[test]
fn encrypted_wallet_signs_only_while_unlocked() {
    let env = env();
    let wallet = funded(&env, "w");
    let (recorder, seen) = Recorder::new();
    let _h = Wallet::handle_notifications(wallet.as_ref(), recorder).expect("subscribe");
    let send = || {
        wallet.send_with(
            &pay(&other_address(), COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
    };
    wallet.encrypt_keys("pass").expect("encrypt");
    assert_eq!(next(&seen), Seen::Status);
    let e = send().expect_err("locked");
    assert_eq!(e, WalletError::Locked);
    assert_eq!(e.rpc_code(), -13);
    assert_eq!(
        wallet.unlock_keys("bad", 60).expect_err("wrong").rpc_code(),
        -14
    );
    wallet.unlock_keys("pass", 60).expect("unlock");
    assert_eq!(next(&seen), Seen::Status);
    assert!(wallet.info().expect("info").unlocked_until > 0);
    let sent = send().expect("send while unlocked");
    verify_signatures(&env.chain, &sent.tx);
    wallet.lock_keys().expect("lock");
    assert!(matches!(send(), Err(WalletError::Locked)));
    wallet
        .change_passphrase_of_keys("pass", "new")
        .expect("change");

    let text = std::fs::read_to_string(wallet.dir().join(KEYS_FILE)).expect("keys");
    assert!(!text.contains("tprv"), "plaintext key on disk");
    env.loader.unload_wallet_with("w", None).expect("unload");
    let (again, _) = env.loader.load_wallet_with("w", None).expect("reload");
    let info = again.info().expect("info");
    assert!(info.encrypted && info.unlocked_until == 0);
    assert!(again.unlock_keys("pass", 60).is_err());
    again.unlock_keys("new", 60).expect("unlock");
    assert!(again
        .send_with(
            &pay(&other_address(), COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .is_ok());
}
