//! Creating, reloading and listing wallets; corrupt files; the startup list.

use interfaces::WalletLoader;

use super::*;

#[test]
fn create_and_reload_keep_addresses_keys_and_balances() {
    let env = env();
    let wallet = funded(&env, "w");
    let a1 = wallet.new_address("lab", "bech32").expect("address");
    let change = wallet.change_address("").expect("change");
    assert!(a1.starts_with("bcrt1q") && change.starts_with("bcrt1q"));
    let keys = std::fs::read(wallet.dir().join(KEYS_FILE)).expect("keys");
    let balances = wallet.balances_at(0).expect("balances");
    let tip = wallet.last_processed().expect("tip");
    drop(wallet);
    env.loader.unload_wallet_with("w", None).expect("unload");
    assert!(env.loader.loaded().is_empty());
    drop(env.loader);

    let loader = loader_at(env.dir.path(), &env.chain, options());
    let (wallet, _) = loader.load_wallet_with("w", None).expect("reload");
    assert_eq!(wallet.balances_at(0).expect("balances"), balances);
    assert_eq!(wallet.last_processed().expect("tip"), tip);
    assert_eq!(
        std::fs::read(wallet.dir().join(KEYS_FILE)).expect("keys"),
        keys
    );
    let a2 = wallet.new_address("", "").expect("address");
    assert_ne!(a1, a2);
    let records = wallet.history().expect("history");
    assert_eq!(records.len(), 1);
    assert!(records[0].coinbase && records[0].receives[0].label.as_deref() == Some(""));
    assert_eq!(
        wallet
            .transaction(&records[0].txid)
            .expect("tx")
            .map(|r| r.confirmations),
        Some(101)
    );
    assert!(loader
        .list_wallet_dir()
        .expect("dir")
        .contains(&"w".to_string()));
    assert_eq!(loader.list_wallets().expect("list"), ["w"]);

    let e = loader
        .create_wallet_with("w", "", None)
        .expect_err("exists");
    assert_eq!(e.rpc_code(), -4);
    assert!(
        e.to_string()
            .starts_with("Wallet file verification failed. Failed to create database path '"),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("/wallets/w'. Database already exists."),
        "{e}"
    );
    let e = loader.load_wallet_with("w", None).expect_err("loaded");
    assert_eq!(
        (e.rpc_code(), e.to_string()),
        (-35, "Wallet \"w\" is already loaded.".into())
    );
    let e = loader.load_wallet_with("nope", None).expect_err("missing");
    assert_eq!(e.rpc_code(), -18);
    assert!(
        e.to_string()
            .ends_with("/wallets/nope'. Path does not exist."),
        "{e}"
    );
    let (x, _) = loader
        .create_wallet_with("x", "secret", None)
        .expect("encrypted wallet");
    assert!(x.info().expect("info").encrypted);
    assert!(wallet
        .new_address("", "bech32m")
        .is_ok_and(|a| a.starts_with("bcrt1p")));
    assert!(matches!(
        wallet.new_address("", "p2pk"),
        Err(WalletError::UnknownAddressType(_))
    ));
}

#[test]
fn corrupt_files_fail_the_load() {
    let env = env();
    for name in ["db", "keys", "other-keys", "rows", "blocks"] {
        env.loader
            .create_wallet_with(name, "", None)
            .expect("create");
        env.loader.unload_wallet_with(name, None).expect("unload");
    }
    let wallets = env.dir.path().join("wallets");
    std::fs::write(
        wallets.join("db").join(DB_FILE),
        b"this is not a database, just junk bytes",
    )
    .expect("write");
    std::fs::write(wallets.join("keys").join(KEYS_FILE), b"{").expect("write");
    std::fs::copy(
        wallets.join("db").join(KEYS_FILE),
        wallets.join("other-keys").join(KEYS_FILE),
    )
    .expect("copy");
    let tamper = |name: &str, sql: &str| {
        let db =
            bdk_wallet::rusqlite::Connection::open(wallets.join(name).join(DB_FILE)).expect("open");
        db.execute_batch(sql).expect("tamper");
    };
    tamper("rows", "UPDATE bdk_wallet SET descriptor = 'wpkh(garbage)'");
    tamper("blocks", "DELETE FROM bdk_blocks");
    for name in ["db", "keys", "other-keys", "rows", "blocks"] {
        let e = env
            .loader
            .load_wallet_with(name, None)
            .expect_err("corrupt");
        assert!(matches!(e, WalletError::Corrupt { .. }), "{name}: {e}");
        assert_eq!(e.rpc_code(), -4);
    }
    std::fs::create_dir_all(wallets.join("empty")).expect("mkdir");
    assert_eq!(
        env.loader
            .load_wallet_with("empty", None)
            .expect_err("format")
            .rpc_code(),
        -18
    );
    assert!(env.loader.loaded().is_empty());
}

#[test]
fn the_startup_list_follows_load_on_startup() {
    let env = env();
    env.loader
        .create_wallet_with("a", "", Some(true))
        .expect("create");
    env.loader
        .create_wallet_with("b", "", Some(true))
        .expect("create");
    env.loader
        .create_wallet_with("c", "", None)
        .expect("create");
    env.loader
        .unload_wallet_with("b", Some(false))
        .expect("unload");
    for name in ["a", "c"] {
        env.loader.unload_wallet_with(name, None).expect("unload");
    }
    let e = env
        .loader
        .unload_wallet_with("a", None)
        .expect_err("not loaded");
    assert_eq!(e.rpc_code(), -18);
    let warnings = env
        .loader
        .load_startup_wallets(&["c".into(), "gone".into(), "a".into()])
        .expect("startup");
    let names: Vec<String> = env
        .loader
        .loaded()
        .iter()
        .map(|w| w.name().to_string())
        .collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("Skipping -wallet path that doesn't exist."),
        "{warnings:?}"
    );
    for bad in ["../x", "a/b", "nul\0"] {
        assert!(matches!(
            env.loader.create_wallet_with(bad, "", None),
            Err(WalletError::InvalidName(_))
        ));
    }
    let (unnamed, _) = env
        .loader
        .create_wallet_with("", "", None)
        .expect("unnamed");
    assert_eq!(unnamed.dir(), env.dir.path().join("wallets"));
    assert_eq!(
        env.loader.list_wallet_dir().expect("dir"),
        ["", "a", "b", "c"]
    );
}
