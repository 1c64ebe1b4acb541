//! A conformance suite every [`WalletLoader`] and [`Wallet`] implementation passes, local or
//! over IPC: [`run`] creates its own wallets (named `conformance-*`) through the loader and
//! drives every method with checks that fail when a method does nothing, answers stale data
//! or reports the wrong kind of error.
//!
//! Nothing here sleeps: each wait is for a notification or a condition, with a deadline
//! that only turns a hang into a failure.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{
    AddressBookEntry, AddressPurpose, BumpFeeRequest, LoadWalletNotify, Recipient, SendRequest,
    Wallet, WalletBalances, WalletErrorKind, WalletLoader, WalletNotifications,
    WALLET_FLAG_AVOID_REUSE, WALLET_FLAG_BLANK_WALLET, WALLET_FLAG_DESCRIPTORS,
    WALLET_FLAG_DISABLE_PRIVATE_KEYS,
};
use crate::{Error, Handler, Outpoint};

/// Satoshis per bitcoin.
const COIN: i64 = 100_000_000;
/// The fee rate of the suite's sends, satoshis per 1000 vbytes.
const SEND_RATE: i64 = 2_000;
/// The fee rate of the suite's bump.
const BUMP_RATE: i64 = 10_000;
/// How long a notification may take before the suite gives up.
const DEADLINE: Duration = Duration::from_secs(60);

/// What the suite needs from the environment it runs in.
pub struct Harness<'a> {
    /// Mines `n` blocks whose coinbases pay `address`, returning once every loaded wallet has
    /// processed them.
    pub mine: &'a dyn Fn(u32, &str),
    /// An address of the chain's network that no wallet owns.
    pub foreign_address: &'a str,
    /// A directory the wallets' process can write backups to (and this process can read).
    pub backup_dir: &'a Path,
}

/// The BIP174 PSBT (binary) of unsigned transaction `tx`, with nothing else in it.
fn psbt_of(tx: &[u8]) -> Vec<u8> {
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(tx).expect("a transaction");
    bitcoin::Psbt::from_unsigned_tx(tx)
        .expect("an unsigned transaction")
        .serialize()
}

/// The transaction of finalized PSBT `psbt`, consensus-serialized.
fn extract(psbt: &[u8]) -> Vec<u8> {
    let psbt = bitcoin::Psbt::deserialize(psbt).expect("a PSBT");
    bitcoin::consensus::serialize(&psbt.extract_tx_unchecked_fee_rate())
}

/// One notification as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Transaction([u8; 32]),
    Balance(WalletBalances),
    Status,
    Progress,
    Unloaded,
}

/// Records what arrives, for [`Recorder::wait`].
struct Recorder<T> {
    seen: Mutex<Vec<T>>,
    arrived: Condvar,
}

impl<T> Default for Recorder<T> {
    fn default() -> Self {
        Recorder {
            seen: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
        }
    }
}

impl<T> Recorder<T> {
    fn seen(&self) -> MutexGuard<'_, Vec<T>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, item: T) {
        self.seen().push(item);
        self.arrived.notify_all();
    }

    /// Waits until `done` holds for what arrived so far.
    fn wait(&self, what: &str, done: impl Fn(&[T]) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        let mut seen = self.seen();
        while !done(&seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "gave up waiting for {what}");
            seen = self
                .arrived
                .wait_timeout(seen, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn count(&self, f: impl Fn(&T) -> bool) -> usize {
        self.seen().iter().filter(|e| f(e)).count()
    }
}

impl WalletNotifications for Recorder<Event> {
    fn transaction_changed(&self, txid: [u8; 32]) -> Result<(), Error> {
        self.push(Event::Transaction(txid));
        Ok(())
    }
    fn balance_changed(&self, balances: &WalletBalances) -> Result<(), Error> {
        self.push(Event::Balance(*balances));
        Ok(())
    }
    fn status_changed(&self) -> Result<(), Error> {
        self.push(Event::Status);
        Ok(())
    }
    fn show_progress(&self, _title: &str, _progress: i32) -> Result<(), Error> {
        self.push(Event::Progress);
        Ok(())
    }
    fn unloaded(&self) -> Result<(), Error> {
        self.push(Event::Unloaded);
        Ok(())
    }
}

impl LoadWalletNotify for Recorder<Box<dyn Wallet>> {
    fn call(&self, wallet: Box<dyn Wallet>) -> Result<(), Error> {
        self.push(wallet);
        Ok(())
    }
}

/// A wallet under test with its notifications.
struct Watched {
    wallet: Box<dyn Wallet>,
    events: Arc<Recorder<Event>>,
    _handler: Box<dyn Handler>,
}

impl Watched {
    fn new(wallet: Box<dyn Wallet>) -> Watched {
        let events = Arc::new(Recorder::default());
        let handler = wallet
            .handle_notifications(events.clone())
            .expect("handle_notifications");
        Watched {
            wallet,
            events,
            _handler: handler,
        }
    }

    fn wait_balances(&self, what: &str, f: impl Fn(&WalletBalances) -> bool) {
        self.events.wait(what, |seen| {
            seen.iter()
                .rev()
                .find_map(|e| match e {
                    Event::Balance(b) => Some(b),
                    _ => None,
                })
                .is_some_and(&f)
        });
    }

    fn wait_tx(&self, txid: [u8; 32]) {
        self.events.wait("a transaction notification", |seen| {
            seen.contains(&Event::Transaction(txid))
        });
    }

    fn statuses(&self) -> usize {
        self.events.count(|e| *e == Event::Status)
    }

    fn wait_statuses(&self, n: usize) {
        self.events.wait("status notifications", |seen| {
            seen.iter().filter(|e| **e == Event::Status).count() >= n
        });
    }
}

/// The kind of the failure of a call that must fail.
fn kind<T>(result: Result<T, Error>) -> WalletErrorKind {
    match result {
        Ok(_) => panic!("the call succeeded but must fail"),
        Err(e) => WalletErrorKind::of(&e),
    }
}

fn pay(address: &str, amount: i64) -> SendRequest {
    SendRequest {
        recipients: vec![Recipient {
            address: address.to_string(),
            amount,
            subtract_fee: false,
        }],
        fee_per_kvb: Some(SEND_RATE),
        conf_target: None,
        replaceable: true,
    }
}

/// Runs the suite against `loader`. The loader's chain starts anywhere below height 100
/// with no wallet named `conformance-*`; the suite mines about 105 blocks.
pub fn run(loader: &dyn WalletLoader, harness: &Harness<'_>) {
    let loads = Arc::new(Recorder::<Box<dyn Wallet>>::default());
    let load_handler = loader
        .handle_load_wallet(loads.clone())
        .expect("handle_load_wallet");
    let a = Watched::new(create(loader, &loads, "conformance-a"));
    let b = Watched::new(create(loader, &loads, "conformance-b"));
    watch_only(loader);
    let funded = address_book(a.wallet.as_ref(), harness.foreign_address);
    fund(&a, &funded, harness);
    let b_address = b.wallet.get_new_address("from a", "").expect("address");
    let paid = create_and_commit(&a, &b, &b_address);
    bump_and_confirm(&a, &b, paid, harness);
    coin_locks(a.wallet.as_ref(), &b_address);
    psbt(&a, &b_address, harness);
    backup(a.wallet.as_ref(), harness.backup_dir);
    encryption(&a, &b_address, harness);
    reload(loader, &loads, b);
    drop(load_handler);
}

/// Creates a blank watch-only wallet with Core's flags: no private keys, no addresses, no
/// passphrase, and the flags survive a reload; flags the loader cannot honour fail.
fn watch_only(loader: &dyn WalletLoader) {
    let name = "conformance-watch";
    let flags =
        WALLET_FLAG_BLANK_WALLET | WALLET_FLAG_DISABLE_PRIVATE_KEYS | WALLET_FLAG_DESCRIPTORS;
    let with_passphrase = loader.create_wallet("conformance-watch-pass", "secret", flags);
    assert!(
        with_passphrase.is_err(),
        "a passphrase for a wallet without private keys"
    );
    let avoid_reuse = loader.create_wallet("conformance-reuse", "", WALLET_FLAG_AVOID_REUSE);
    assert!(avoid_reuse.is_err(), "a flag the loader cannot honour");
    let dir = loader.list_wallet_dir().expect("dir");
    assert!(!dir
        .iter()
        .any(|w| w == "conformance-watch-pass" || w == "conformance-reuse"));
    let wallet = loader
        .create_wallet(name, "", flags)
        .expect("create watch-only");
    let info = wallet.get_info().expect("get_info");
    assert!(!info.private_keys_enabled, "created watch-only: {info:?}");
    assert!(!info.encrypted);
    assert!(
        wallet.get_new_address("", "").is_err(),
        "a blank wallet has no addresses"
    );
    assert!(wallet.encrypt("secret").is_err(), "nothing to encrypt");
    drop(wallet);
    loader.unload_wallet(name).expect("unload");
    let wallet = loader.load_wallet(name).expect("load");
    assert!(!wallet.get_info().expect("get_info").private_keys_enabled);
    loader.unload_wallet(name).expect("unload");
}

/// Creates wallet `name`, checking the loader's lists, lookups and load notification.
fn create(
    loader: &dyn WalletLoader,
    loads: &Recorder<Box<dyn Wallet>>,
    name: &str,
) -> Box<dyn Wallet> {
    let before = loads.count(|_| true);
    let wallet = loader
        .create_wallet(name, "", WALLET_FLAG_DESCRIPTORS)
        .expect("create_wallet");
    assert_eq!(wallet.get_name().expect("get_name"), name);
    loads.wait("the load notification", |seen| seen.len() > before);
    let notified = loads.seen()[before].get_name().expect("get_name");
    assert_eq!(notified, name, "handleLoadWallet told of another wallet");
    assert!(loader
        .list_wallets()
        .expect("list")
        .iter()
        .any(|w| w == name));
    assert!(loader
        .list_wallet_dir()
        .expect("dir")
        .iter()
        .any(|w| w == name));
    let again = loader.get_wallet(name).expect("get_wallet");
    assert_eq!(again.get_name().expect("get_name"), name);
    let twice = loader.create_wallet(name, "", WALLET_FLAG_DESCRIPTORS);
    assert!(twice.is_err(), "created twice");
    let missing = loader.get_wallet("conformance-missing");
    assert_eq!(kind(missing), WalletErrorKind::WalletNotLoaded);
    let info = wallet.get_info().expect("get_info");
    assert_eq!((info.name.as_str(), info.tx_count), (name, 0));
    assert!(!info.encrypted && info.private_keys_enabled);
    wallet
}

/// The address book: receiving addresses with their labels, others' addresses named by the
/// user, change kept out. Returns a receiving address.
fn address_book(wallet: &dyn Wallet, foreign: &str) -> String {
    let address = wallet.get_new_address("funding", "").expect("address");
    let other = wallet.get_new_address("", "bech32").expect("address");
    assert_ne!(address, other, "a new address each time");
    let change = wallet.get_change_address("").expect("change address");
    assert!(wallet.get_new_address("", "no-such-type").is_err());
    let book = wallet.get_addresses().expect("get_addresses");
    let entry = |a: &str| book.iter().find(|e| e.address == a).cloned();
    let own = entry(&address).expect("the new address is in the address book");
    assert_eq!(
        (own.label.as_str(), own.purpose, own.is_mine),
        ("funding", AddressPurpose::Receive, true)
    );
    assert!(entry(&other).is_some() && entry(&change).is_none());

    let shop = AddressBookEntry {
        address: foreign.to_string(),
        label: "shop".into(),
        purpose: AddressPurpose::Send,
        is_mine: false,
    };
    wallet.set_address_book(&shop).expect("set_address_book");
    let renamed = AddressBookEntry {
        label: "renamed".into(),
        ..own.clone()
    };
    wallet.set_address_book(&renamed).expect("relabel");
    let book = wallet.get_addresses().expect("get_addresses");
    assert!(book.contains(&shop), "{book:?}");
    assert!(book.contains(&renamed), "{book:?}");
    assert_eq!(book.iter().filter(|e| e.address == address).count(), 1);

    let bad = AddressBookEntry {
        address: "not-an-address".into(),
        ..shop.clone()
    };
    assert_eq!(
        kind(wallet.set_address_book(&bad)),
        WalletErrorKind::InvalidAddress
    );
    let wrong_purpose = AddressBookEntry {
        purpose: AddressPurpose::Receive,
        ..shop
    };
    assert!(wallet.set_address_book(&wrong_purpose).is_err());
    address
}

/// One immature coinbase, then mature: balances, history, coins and notifications.
fn fund(a: &Watched, address: &str, harness: &Harness<'_>) {
    let wallet = &a.wallet;
    (harness.mine)(1, address);
    let balances = wallet.get_balances().expect("balances");
    assert_eq!(
        balances,
        WalletBalances {
            trusted: 0,
            untrusted_pending: 0,
            immature: 50 * COIN
        }
    );
    (harness.mine)(100, harness.foreign_address);
    let mature = WalletBalances {
        trusted: 50 * COIN,
        untrusted_pending: 0,
        immature: 0,
    };
    assert_eq!(wallet.get_balances().expect("balances"), mature);
    a.wait_balances("the balance notification", |b| *b == mature);
    assert_eq!(wallet.get_info().expect("info").balances, mature);

    let history = wallet.list_transactions(100, 0).expect("list");
    assert_eq!(history.len(), 1, "{history:?}");
    let coinbase = &history[0];
    assert!(coinbase.coinbase && coinbase.trusted && !coinbase.in_mempool);
    assert_eq!((coinbase.net, coinbase.confirmations), (50 * COIN, 101));
    let got = wallet
        .get_transaction(coinbase.txid)
        .expect("get_transaction");
    assert_eq!(&got, coinbase);
    assert!(got.block.is_some());
    a.wait_tx(coinbase.txid);
    assert_eq!(
        kind(wallet.get_transaction([0x5a; 32])),
        WalletErrorKind::NotFound
    );

    let coins = wallet.list_coins().expect("list_coins");
    assert_eq!(coins.len(), 1, "{coins:?}");
    let coin = &coins[0];
    assert_eq!(
        coin.outpoint,
        Outpoint {
            txid: coinbase.txid,
            vout: 0
        }
    );
    assert_eq!((coin.value, coin.address.as_str()), (50 * COIN, address));
    assert!(!coin.script.is_empty() && !coin.locked && !coin.immature);
    assert_eq!(coin.confirmations, 101);
}

/// A created transaction changes nothing until it is committed.
fn create_and_commit(a: &Watched, b: &Watched, b_address: &str) -> super::SentTransaction {
    let wallet = &a.wallet;
    let request = pay(b_address, COIN);
    let unsigned = wallet
        .create_transaction(&request, false)
        .expect("unsigned");
    let created = wallet.create_transaction(&request, true).expect("create");
    assert!(created.fee > 0 && created.fee < COIN / 1000, "{created:?}");
    assert!(
        unsigned.tx.len() < created.tx.len(),
        "signatures add witness data"
    );
    assert_eq!(wallet.list_transactions(100, 0).expect("list").len(), 1);
    assert_eq!(wallet.get_balances().expect("balances").trusted, 50 * COIN);
    assert_eq!(
        kind(wallet.get_transaction(created.txid)),
        WalletErrorKind::NotFound
    );
    let too_much = pay(b_address, 51 * COIN);
    assert_eq!(
        kind(wallet.create_transaction(&too_much, true)),
        WalletErrorKind::InsufficientFunds
    );
    assert_eq!(
        kind(wallet.create_transaction(&pay("bcrt1-nonsense", COIN), true)),
        WalletErrorKind::InvalidAddress
    );

    let txid = wallet.commit_transaction(&created.tx).expect("commit");
    assert_eq!(txid, created.txid);
    a.wait_tx(txid);
    let history = wallet.list_transactions(100, 0).expect("list");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].txid, txid, "newest last");
    assert_eq!(
        wallet.list_transactions(1, 0).expect("newest"),
        &history[1..]
    );
    assert_eq!(wallet.list_transactions(1, 1).expect("skip"), &history[..1]);
    let record = wallet.get_transaction(txid).expect("get_transaction");
    assert_eq!((record.confirmations, record.block), (0, None));
    assert!(record.in_mempool && record.trusted && record.replaceable);
    assert_eq!(record.fee, Some(created.fee));
    assert_eq!(record.net, -COIN - created.fee);
    assert_eq!(record.tx, created.tx);
    let left = 49 * COIN - created.fee;
    assert_eq!(wallet.get_balances().expect("balances").trusted, left);
    // b learns of the payment from the node's mempool; once it has, so has every wallet
    // the node told before it, so no late news of the original overtakes the bump below.
    b.wait_balances("b's pending balance", |x| x.untrusted_pending == COIN);
    created
}

/// A fee bump replaces the transaction with one paying more; a block confirms it.
fn bump_and_confirm(a: &Watched, b: &Watched, paid: super::SentTransaction, harness: &Harness<'_>) {
    let wallet = &a.wallet;
    let request = BumpFeeRequest {
        fee_per_kvb: Some(BUMP_RATE),
        conf_target: None,
    };
    let bumped = wallet.bump_fee(paid.txid, &request).expect("bump_fee");
    assert_ne!(bumped.txid, paid.txid);
    assert_eq!(bumped.old_fee, paid.fee);
    assert!(bumped.new_fee > paid.fee, "{bumped:?}");
    a.wait_tx(bumped.txid);
    let replacement = wallet.get_transaction(bumped.txid).expect("replacement");
    assert_eq!(replacement.fee, Some(bumped.new_fee));
    assert!(replacement.in_mempool);
    assert_eq!(
        kind(wallet.get_transaction(paid.txid)),
        WalletErrorKind::NotFound,
        "the replaced transaction no longer counts"
    );
    assert_eq!(
        kind(wallet.bump_fee(paid.txid, &request)),
        WalletErrorKind::Other
    );
    let history = wallet.list_transactions(100, 0).expect("list");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].txid, bumped.txid);
    let left = 49 * COIN - bumped.new_fee;
    assert_eq!(wallet.get_balances().expect("balances").trusted, left);

    (harness.mine)(1, harness.foreign_address);
    let mined = wallet.get_transaction(bumped.txid).expect("mined");
    assert_eq!(mined.confirmations, 1);
    assert!(mined.block.is_some() && !mined.in_mempool);
    let confirmed = wallet.get_balances().expect("balances");
    assert_eq!((confirmed.trusted, confirmed.untrusted_pending), (left, 0));
    let b_balances = b.wallet.get_balances().expect("b");
    assert_eq!(
        (b_balances.trusted, b_balances.untrusted_pending),
        (COIN, 0)
    );
    assert_eq!(
        kind(wallet.bump_fee(bumped.txid, &request)),
        WalletErrorKind::Other,
        "a mined transaction cannot be bumped"
    );
}

/// A locked coin is not spent; locks are listed and released.
fn coin_locks(wallet: &dyn Wallet, b_address: &str) {
    let coins = wallet.list_coins().expect("list_coins");
    assert_eq!(coins.len(), 1, "only the change is left: {coins:?}");
    let change = coins[0].outpoint;
    wallet.lock_coin(&change, false).expect("lock");
    assert_eq!(wallet.list_locked_coins().expect("locked"), vec![change]);
    assert!(wallet.list_coins().expect("coins")[0].locked);
    let request = pay(b_address, COIN);
    assert_eq!(
        kind(wallet.create_transaction(&request, true)),
        WalletErrorKind::InsufficientFunds
    );
    assert_eq!(
        kind(wallet.send(&request)),
        WalletErrorKind::InsufficientFunds
    );
    assert!(wallet.lock_coin(&change, false).is_err(), "locked twice");
    wallet.unlock_coin(&change).expect("unlock");
    assert!(wallet.list_locked_coins().expect("locked").is_empty());
    assert!(wallet.unlock_coin(&change).is_err(), "not locked");
    wallet.lock_coin(&change, true).expect("persistent lock");
    assert_eq!(wallet.list_locked_coins().expect("locked"), vec![change]);
    wallet.unlock_coin(&change).expect("unlock");
    let unknown = Outpoint {
        txid: [0x42; 32],
        vout: 0,
    };
    assert!(wallet.lock_coin(&unknown, false).is_err());
    assert!(wallet.create_transaction(&request, true).is_ok());
}

/// `fillPsbt` adds what the wallet knows and signs; the result commits.
fn psbt(a: &Watched, b_address: &str, harness: &Harness<'_>) {
    let wallet = &a.wallet;
    let unsigned = wallet
        .create_transaction(&pay(b_address, COIN / 2), false)
        .expect("unsigned");
    let bare = psbt_of(&unsigned.tx);
    let plain = wallet.fill_psbt(&bare, false, false).expect("fill");
    assert!(
        !plain.complete && plain.psbt.len() > bare.len(),
        "previous outputs added"
    );
    let derived = wallet.fill_psbt(&bare, false, true).expect("fill");
    assert!(
        !derived.complete && derived.psbt.len() > plain.psbt.len(),
        "derivations added"
    );
    let signed = wallet.fill_psbt(&bare, true, true).expect("sign");
    assert!(signed.complete, "the wallet signs every input of its own");
    let tx = extract(&signed.psbt);
    let txid = wallet
        .commit_transaction(&tx)
        .expect("commit the signed PSBT");
    assert_eq!(txid, unsigned.txid, "signing keeps the transaction id");
    a.wait_tx(txid);
    assert!(wallet.get_transaction(txid).expect("psbt tx").in_mempool);
    (harness.mine)(1, harness.foreign_address);
    assert_eq!(
        wallet.get_transaction(txid).expect("mined").confirmations,
        1
    );
}

/// Backups land where asked.
fn backup(wallet: &dyn Wallet, dir: &Path) {
    let file = dir.join("conformance-a.backup");
    let destination = file.to_str().expect("a UTF-8 path");
    let written = wallet.backup_wallet(destination).expect("backup");
    assert_eq!(Path::new(&written), file);
    assert!(file.is_file() && file.metadata().is_ok_and(|m| m.len() > 0));
    let into_dir = wallet
        .backup_wallet(dir.to_str().expect("a UTF-8 path"))
        .expect("backup into a directory");
    assert!(Path::new(&into_dir).is_file() && Path::new(&into_dir).starts_with(dir));
    assert!(wallet.backup_wallet("/nonexistent-dir/x/y.bak").is_err());
}

/// Encrypted and locked, the wallet refuses to sign; unlocked, it signs until the timeout
/// locks it again.
fn encryption(a: &Watched, b_address: &str, harness: &Harness<'_>) {
    let wallet = &a.wallet;
    // Each change of state is followed by its notification before the next step, so that
    // counting them is exact.
    let mut statuses = a.statuses();
    let mut changed = |n: usize| {
        statuses += n;
        a.wait_statuses(statuses);
    };
    wallet.encrypt("first").expect("encrypt");
    changed(1);
    let info = wallet.get_info().expect("info");
    assert!(info.encrypted && info.unlocked_until == 0);
    assert!(wallet.encrypt("again").is_err(), "encrypted twice");
    let request = pay(b_address, COIN / 10);
    assert_eq!(kind(wallet.send(&request)), WalletErrorKind::Locked);
    assert_eq!(
        kind(wallet.create_transaction(&request, true)),
        WalletErrorKind::Locked
    );
    assert!(
        wallet.create_transaction(&request, false).is_ok(),
        "no keys needed"
    );
    assert_eq!(
        kind(wallet.unlock("wrong", 600)),
        WalletErrorKind::WrongPassphrase
    );

    wallet.unlock("first", 600).expect("unlock");
    changed(1);
    assert!(wallet.get_info().expect("info").unlocked_until > 0);
    let sent = wallet.send(&request).expect("send while unlocked");
    a.wait_tx(sent.txid);
    assert_eq!(
        wallet.get_transaction(sent.txid).expect("sent").fee,
        Some(sent.fee)
    );
    (harness.mine)(1, harness.foreign_address);
    wallet.lock().expect("lock");
    changed(1);
    assert_eq!(kind(wallet.send(&request)), WalletErrorKind::Locked);

    // Unlocked for a second: two notifications, the unlock and the relock at the timeout.
    wallet.unlock("first", 1).expect("unlock briefly");
    changed(2);
    assert_eq!(wallet.get_info().expect("info").unlocked_until, 0);
    assert_eq!(
        kind(wallet.create_transaction(&request, true)),
        WalletErrorKind::Locked
    );

    wallet.change_passphrase("first", "second").expect("change");
    assert_eq!(
        kind(wallet.unlock("first", 600)),
        WalletErrorKind::WrongPassphrase
    );
    wallet
        .unlock("second", 600)
        .expect("unlock with the new passphrase");
    assert!(wallet.create_transaction(&request, true).is_ok());
    wallet.lock().expect("lock");
}

/// Unloading tells subscribers and forgets the wallet; loading brings it back whole.
fn reload(loader: &dyn WalletLoader, loads: &Recorder<Box<dyn Wallet>>, b: Watched) {
    let expected = b.wallet.get_balances().expect("balances");
    assert_eq!(
        expected.trusted,
        COIN + COIN / 2 + COIN / 10,
        "{expected:?}"
    );
    loader.unload_wallet("conformance-b").expect("unload");
    b.events.wait("the unload notification", |seen| {
        seen.contains(&Event::Unloaded)
    });
    let loaded = loader.list_wallets().expect("list");
    assert!(!loaded.iter().any(|w| w == "conformance-b"), "{loaded:?}");
    assert_eq!(
        kind(loader.get_wallet("conformance-b")),
        WalletErrorKind::WalletNotLoaded
    );
    assert!(loader.unload_wallet("conformance-b").is_err());
    drop(b);
    let before = loads.count(|_| true);
    let wallet = loader.load_wallet("conformance-b").expect("load");
    loads.wait("the load notification", |seen| seen.len() > before);
    assert_eq!(
        loads.seen()[before].get_name().expect("name"),
        "conformance-b"
    );
    assert_eq!(wallet.get_balances().expect("balances"), expected);
    assert!(loader.load_wallet("conformance-b").is_err(), "loaded twice");
}
