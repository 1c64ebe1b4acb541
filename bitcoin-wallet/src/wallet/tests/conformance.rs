//! The interfaces' conformance suite ([`interfaces::wallet_conformance`]) against
//! [`LocalWalletLoader`](crate::wallet::LocalWalletLoader) and its wallets over the test
//! chain, and the error kinds a caller of the interface tells apart.

use interfaces::wallet_conformance::{run, Harness};
use interfaces::WalletErrorKind;

use crate::wallet::tests::{env, other_address, script_of};
use crate::wallet::WalletError;

#[test]
fn local_wallets_pass_the_conformance_suite() {
    let env = env();
    let backups = env.dir.path().join("backups");
    std::fs::create_dir(&backups).expect("backup dir");
    let mine = |n: u32, address: &str| {
        env.chain.mine(n as usize, &script_of(address));
        env.loader.sync_all().expect("sync");
    };
    let foreign = other_address();
    let harness = Harness {
        mine: &mine,
        foreign_address: &foreign,
        backup_dir: &backups,
    };
    let loader = env.loader.interface();
    run(loader.as_ref(), &harness);
}

#[test]
fn interface_errors_keep_their_kind() {
    let kind = |e: WalletError| WalletErrorKind::of(&e.into());
    assert_eq!(
        kind(WalletError::InsufficientFunds),
        WalletErrorKind::InsufficientFunds
    );
    assert_eq!(kind(WalletError::Locked), WalletErrorKind::Locked);
    assert_eq!(
        kind(WalletError::WrongPassphrase),
        WalletErrorKind::WrongPassphrase
    );
    assert_eq!(
        kind(WalletError::UnknownTransaction),
        WalletErrorKind::NotFound
    );
    assert_eq!(
        kind(WalletError::NotLoaded),
        WalletErrorKind::WalletNotLoaded
    );
    assert_eq!(
        kind(WalletError::InvalidAddress("x".into())),
        WalletErrorKind::InvalidAddress
    );
    assert_eq!(
        kind(WalletError::Refused("x".into())),
        WalletErrorKind::Other
    );
    // Carried over IPC as the server's message, the kind stays.
    let remote = interfaces::Error::Remote(WalletError::Locked.to_string());
    assert_eq!(WalletErrorKind::of(&remote), WalletErrorKind::Locked);
}
