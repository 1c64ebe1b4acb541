//! Wallets with several active descriptor pairs (Core's one pair per output type): a new
//! wallet's bech32 and bech32m addresses, coins on both pairs counted and spent together
//! (each input's signature checked), a send between the pairs shown as one to self, all
//! pairs kept over a reload, an encrypted wallet signing both kinds once unlocked.

use bdk_wallet::bitcoin::ecdsa::Signature;
use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::key::XOnlyPublicKey;
use bdk_wallet::bitcoin::secp256k1::{schnorr, Message, Secp256k1};
use bdk_wallet::bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bdk_wallet::bitcoin::{PublicKey, ScriptBuf, Transaction};

use super::{env, other_address, other_script, pay, prevout, script_of, Env, COIN};
use crate::wallet::test_chain::TestChain;
use crate::wallet::{FeeMode, LocalWallet, TxComments, WalletError};

/// A new wallet (with `passphrase`) paid one mature 50 BTC coinbase on its bech32 pair and
/// one on its bech32m pair.
fn funded_on_both(env: &Env, name: &str, passphrase: &str) -> std::sync::Arc<LocalWallet> {
    let (wallet, _) = env
        .loader
        .create_wallet_with(name, passphrase, None)
        .expect("create");
    let wpkh = wallet.new_address("", "").expect("bech32");
    let tr = wallet.new_address("", "bech32m").expect("bech32m");
    assert!(wpkh.starts_with("bcrt1q"), "{wpkh}");
    assert!(tr.starts_with("bcrt1p"), "{tr}");
    env.chain.mine(1, &script_of(&wpkh));
    env.chain.mine(1, &script_of(&tr));
    env.chain.mine(100, &other_script());
    env.loader.sync_all().expect("sync");
    wallet
}

/// Checks every input's signature (P2WPKH or P2TR key path) against its previous output.
fn verify_inputs(chain: &TestChain, tx: &Transaction) -> (usize, usize) {
    let secp = Secp256k1::verification_only();
    let prevouts: Vec<_> = tx
        .input
        .iter()
        .map(|i| prevout(chain, &i.previous_output))
        .collect();
    let mut cache = SighashCache::new(tx);
    let (mut wpkh, mut tr) = (0, 0);
    for (i, (input, prev)) in tx.input.iter().zip(&prevouts).enumerate() {
        if prev.script_pubkey.is_p2tr() {
            let signature = schnorr::Signature::from_slice(&input.witness[0][..64]).expect("sig");
            let sighash = cache
                .taproot_key_spend_signature_hash(
                    i,
                    &Prevouts::All(&prevouts),
                    TapSighashType::Default,
                )
                .expect("sighash");
            let key = XOnlyPublicKey::from_slice(&prev.script_pubkey.as_bytes()[2..]).expect("key");
            let message = Message::from_digest(sighash.to_byte_array());
            secp.verify_schnorr(&signature, &message, &key)
                .expect("valid taproot signature");
            tr += 1;
        } else {
            let sighash = cache
                .p2wpkh_signature_hash(i, &prev.script_pubkey, prev.value, EcdsaSighashType::All)
                .expect("sighash");
            let sig = Signature::from_slice(&input.witness[0]).expect("signature");
            let pk = PublicKey::from_slice(&input.witness[1]).expect("pubkey");
            assert_eq!(
                ScriptBuf::new_p2wpkh(&pk.wpubkey_hash().expect("compressed")),
                prev.script_pubkey
            );
            let message = Message::from_digest(sighash.to_byte_array());
            secp.verify_ecdsa(&message, &sig.signature, &pk.inner)
                .expect("valid signature");
            wpkh += 1;
        }
    }
    (wpkh, tr)
}

fn total(wallet: &LocalWallet) -> i64 {
    let b = wallet.balances_at(0).expect("balances");
    b.trusted + b.untrusted_pending
}

#[test]
fn balances_and_sends_span_the_pairs() {
    let env = env();
    let wallet = funded_on_both(&env, "w", "");
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 100 * COIN);
    let kinds: Vec<String> = wallet
        .unspent()
        .expect("unspent")
        .iter()
        .map(|u| u.parent_desc.split('(').next().unwrap_or("").to_string())
        .collect();
    assert!(kinds.contains(&"wpkh".to_string()) && kinds.contains(&"tr".to_string()));
    // 70 BTC needs both coins.
    let sent = wallet
        .send_with(
            &pay(&other_address(), 70 * COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    assert_eq!(verify_inputs(&env.chain, &sent.tx), (1, 1));
    assert_eq!(total(&wallet), 30 * COIN - sent.fee as i64);
    let record = wallet
        .transaction(&sent.txid)
        .expect("record")
        .expect("known");
    assert_eq!(record.debit, 100 * COIN as u64);
    assert!(record.all_inputs_mine);
    assert_eq!(record.sends.len(), 1, "change is not a send");
    assert_eq!(record.sends[0].amount, 70 * COIN as u64);
    // The change goes to the wpkh pair and is spendable again once confirmed.
    env.chain.mine(1, &other_script());
    env.loader.sync_all().expect("sync");
    assert_eq!(
        wallet.balances_at(1).expect("balances").trusted,
        30 * COIN - sent.fee as i64
    );
}

#[test]
fn a_send_between_the_pairs_is_to_self() {
    let env = env();
    let wallet = funded_on_both(&env, "w", "");
    // Only the taproot coin may be spent.
    let wpkh_coin = wallet
        .unspent()
        .expect("unspent")
        .into_iter()
        .find(|u| u.txout.script_pubkey.is_p2wpkh())
        .expect("wpkh coin");
    wallet
        .lock_coins(false, &[wpkh_coin.outpoint], false)
        .expect("lock");
    let own = wallet.new_address("", "bech32").expect("address");
    let sent = wallet
        .send_with(
            &pay(&own, 10 * COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    assert_eq!(verify_inputs(&env.chain, &sent.tx), (0, 1));
    let record = wallet
        .transaction(&sent.txid)
        .expect("record")
        .expect("known");
    // Net: only the fee left the wallet, not the 50 BTC coin.
    assert_eq!(record.debit, 50 * COIN as u64);
    assert_eq!(record.credit, 50 * COIN as u64 - sent.fee);
    assert_eq!(record.fee(), Some(sent.fee as i64));
    assert!(record
        .receives
        .iter()
        .any(|r| r.address.as_deref() == Some(&own)));
    wallet
        .lock_coins(true, &[wpkh_coin.outpoint], false)
        .expect("unlock");
    assert_eq!(total(&wallet), 100 * COIN - sent.fee as i64);
}

#[test]
fn reload_keeps_every_pair() {
    let env = env();
    let wallet = funded_on_both(&env, "w", "");
    let descriptors = wallet.descriptors().expect("descriptors");
    assert_eq!(descriptors.len(), 8, "{descriptors:?}");
    for kind in ["wpkh(", "tr(", "pkh(", "sh(wpkh("] {
        assert_eq!(
            descriptors
                .iter()
                .filter(|d| d.desc.starts_with(kind))
                .count(),
            2,
            "{kind}"
        );
    }
    let next_tr = wallet.new_address("", "bech32m").expect("bech32m");
    drop(wallet);
    env.loader.unload_wallet_with("w", None).expect("unload");
    let (wallet, _) = env.loader.load_wallet_with("w", None).expect("load");
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 100 * COIN);
    assert_eq!(
        wallet.descriptors().expect("descriptors"),
        descriptors_after(&descriptors)
    );
    let again = wallet.new_address("", "bech32m").expect("bech32m");
    assert_ne!(again, next_tr, "revealed indices are kept");
    assert!(wallet
        .new_address("", "legacy")
        .is_ok_and(|a| a.starts_with('m') || a.starts_with('n')));
}

/// The descriptors after one more bech32m address was handed out.
fn descriptors_after(
    before: &[crate::wallet::address_info::DescriptorInfo],
) -> Vec<crate::wallet::address_info::DescriptorInfo> {
    before
        .iter()
        .cloned()
        .map(|mut d| {
            if d.desc.starts_with("tr(") && !d.internal {
                d.next_index += 1;
                d.range_end += 1;
            }
            d
        })
        .collect()
}

#[test]
fn encrypted_wallet_signs_both_pairs_after_unlock() {
    let env = env();
    let wallet = funded_on_both(&env, "w", "pass");
    let request = pay(&other_address(), 70 * COIN, false);
    assert_eq!(
        wallet
            .send_with(&request, FeeMode::Unset, TxComments::default())
            .err(),
        Some(WalletError::Locked)
    );
    let keys = std::fs::read_to_string(env.dir.path().join("wallets/w/keys.json")).expect("keys");
    assert!(!keys.contains("tprv"), "{keys}");
    wallet.unlock_keys("pass", 60).expect("unlock");
    let sent = wallet
        .send_with(&request, FeeMode::Unset, TxComments::default())
        .expect("send");
    assert_eq!(verify_inputs(&env.chain, &sent.tx), (1, 1));
}

#[test]
fn a_restored_backup_finds_the_coins_of_every_pair() {
    let env = env();
    let wallet = funded_on_both(&env, "w", "");
    let backup = env.dir.path().join("w.bak");
    wallet.backup(&backup).expect("backup");
    let (restored, _) = env
        .loader
        .restore_wallet_with("r", &backup, None)
        .expect("restore");
    assert_eq!(
        restored.balances_at(0).expect("balances").trusted,
        100 * COIN
    );
    assert_eq!(restored.unspent().expect("unspent").len(), 2);
}
