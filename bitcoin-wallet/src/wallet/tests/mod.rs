//! The wallet against the in-memory test chain ([`crate::wallet::test_chain`]): shared
//! set-up here; [`lifecycle`] (creation and reload, corrupt files, the startup list),
//! [`spending`] (sends with their signatures verified, fee subtraction, Core's errors),
//! [`following`] (coinbase maturity, reorgs, mempool notifications, the background sync,
//! addresses beyond the lookahead), [`conformance`] (the `Wallet` and `WalletLoader`
//! conformance suite against the local implementations), [`pairs`] (one active descriptor
//! pair per output type).

mod conformance;
mod following;
mod lifecycle;
mod notifications;
mod pairs;
mod spending;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bdk_wallet::bitcoin::ecdsa::Signature;
use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::secp256k1::{Message, Secp256k1};
use bdk_wallet::bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bdk_wallet::bitcoin::{
    Address, Network, OutPoint, PublicKey, ScriptBuf, Transaction, TxOut, WPubkeyHash,
};
use bdk_wallet::KeychainKind;
use interfaces::{Recipient, SendRequest};

use crate::wallet::files::{DB_FILE, KEYS_FILE};
use crate::wallet::store::LOOKAHEAD;
use crate::wallet::test_chain::TestChain;
use crate::wallet::{
    FeeMode, LocalWallet, LocalWalletLoader, TxComments, WalletError, WalletOptions,
};

pub(crate) const COIN: i64 = 100_000_000;

pub(crate) struct Env {
    pub dir: tempfile::TempDir,
    pub chain: Arc<TestChain>,
    pub loader: Arc<LocalWalletLoader>,
}

pub(crate) fn options() -> WalletOptions {
    WalletOptions {
        fallback_fee_per_kvb: 20_000,
        ..WalletOptions::new(Network::Regtest)
    }
}

pub(crate) fn loader_at(
    dir: &Path,
    chain: &Arc<TestChain>,
    options: WalletOptions,
) -> Arc<LocalWalletLoader> {
    LocalWalletLoader::new(
        chain.clone(),
        dir.join("wallets"),
        dir.join("settings.json"),
        options,
    )
}

pub(crate) fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let chain = TestChain::new();
    let loader = loader_at(dir.path(), &chain, options());
    Env { dir, chain, loader }
}

pub(crate) fn script_of(address: &str) -> ScriptBuf {
    let address: Address<_> = address.parse().expect("address");
    address
        .require_network(Network::Regtest)
        .expect("regtest")
        .script_pubkey()
}

/// A script no wallet owns.
pub(crate) fn other_script() -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([7; 20]))
}

pub(crate) fn other_address() -> String {
    Address::from_script(&other_script(), Network::Regtest)
        .expect("address")
        .to_string()
}

/// A new wallet with one mature 50 BTC coinbase.
pub(crate) fn funded(env: &Env, name: &str) -> Arc<LocalWallet> {
    let (wallet, _) = env
        .loader
        .create_wallet_with(name, "", None)
        .expect("create");
    let address = wallet.new_address("", "").expect("address");
    env.chain.mine(1, &script_of(&address));
    env.chain.mine(100, &other_script());
    env.loader.sync_all().expect("sync");
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 50 * COIN);
    wallet
}

pub(crate) fn pay(address: &str, amount: i64, subtract_fee: bool) -> SendRequest {
    SendRequest {
        recipients: vec![Recipient {
            address: address.to_string(),
            amount,
            subtract_fee,
        }],
        replaceable: true,
        ..SendRequest::default()
    }
}

pub(crate) fn prevout(chain: &TestChain, outpoint: &OutPoint) -> TxOut {
    (0..=chain.height() as usize)
        .filter_map(|h| chain.block(h))
        .flat_map(|b| b.txdata)
        .chain(chain.mempool())
        .find(|t| t.compute_txid() == outpoint.txid)
        .and_then(|t| t.output.get(outpoint.vout as usize).cloned())
        .expect("prevout")
}

/// Checks every input's P2WPKH signature against its previous output.
pub(crate) fn verify_signatures(chain: &TestChain, tx: &Transaction) {
    let secp = Secp256k1::verification_only();
    let mut cache = SighashCache::new(tx);
    for (i, input) in tx.input.iter().enumerate() {
        let prev = prevout(chain, &input.previous_output);
        let sighash = cache
            .p2wpkh_signature_hash(i, &prev.script_pubkey, prev.value, EcdsaSighashType::All)
            .expect("sighash");
        let sig = Signature::from_slice(&input.witness[0]).expect("signature");
        let pk = PublicKey::from_slice(&input.witness[1]).expect("pubkey");
        assert_eq!(
            ScriptBuf::new_p2wpkh(&pk.wpubkey_hash().expect("compressed")),
            prev.script_pubkey
        );
        let msg = Message::from_digest(sighash.to_byte_array());
        secp.verify_ecdsa(&msg, &sig.signature, &pk.inner)
            .expect("valid signature");
    }
}
