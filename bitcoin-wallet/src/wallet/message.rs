//! Core's message signing (`CWallet::SignMessage`, `MessageSign`): the key of one of the
//! wallet's P2PKH addresses signs the message's `signed_msg_hash` with a recoverable ECDSA
//! signature, shown in base64 (what `verifymessage` checks).

use bdk_wallet::bitcoin::bip32::ChildNumber;
use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::secp256k1::{Message, Secp256k1, Signing};
use bdk_wallet::bitcoin::sign_message::{signed_msg_hash, MessageSignature};
use bdk_wallet::bitcoin::{PrivateKey, PubkeyHash, ScriptBuf};
use bdk_wallet::miniscript::descriptor::{DescriptorSecretKey, Wildcard};
use bdk_wallet::signer::SignersContainer;

use crate::wallet::error::WalletError;
use crate::wallet::local::LocalWallet;

impl LocalWallet {
    /// Signs `message` with the key of the wallet's P2PKH address of `hash` (Core's
    /// `SignMessage`): the base64 signature. [`WalletError::Locked`] while an encrypted
    /// wallet is locked; [`WalletError::PrivateKeyNotAvailable`] when the address is not the
    /// wallet's or the wallet holds no private keys.
    pub fn sign_message(&self, hash: &PubkeyHash, message: &str) -> Result<String, WalletError> {
        let signers = match self.vault.signers() {
            Ok(signers) => signers,
            Err(WalletError::PrivateKeysDisabled) => {
                return Err(WalletError::PrivateKeyNotAvailable)
            }
            Err(e) => return Err(e),
        };
        let script = ScriptBuf::new_p2pkh(hash);
        let place = {
            let state = self.lock()?;
            state.store.locate(&script)
        };
        let (pair, keychain, index) = place.ok_or(WalletError::PrivateKeyNotAvailable)?;
        let secp = Secp256k1::new();
        let pair = signers
            .get(pair)
            .ok_or(WalletError::PrivateKeyNotAvailable)?;
        let key = key_of(&pair[keychain as usize], index, hash, &secp)
            .ok_or(WalletError::PrivateKeyNotAvailable)?;
        let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
        let signature = secp.sign_ecdsa_recoverable(&digest, &key.inner);
        Ok(MessageSignature::new(signature, key.compressed).to_base64())
    }
}

/// The private key among `signers` (at derivation `index` for extended keys) whose public
/// key hashes to `hash`.
fn key_of<C: Signing>(
    signers: &SignersContainer,
    index: u32,
    hash: &PubkeyHash,
    secp: &Secp256k1<C>,
) -> Option<PrivateKey> {
    let matches = |key: &PrivateKey| key.public_key(secp).pubkey_hash() == *hash;
    signers
        .signers()
        .iter()
        .filter_map(|s| s.descriptor_secret_key())
        .find_map(|secret| {
            let key = match secret {
                DescriptorSecretKey::Single(single) => single.key,
                DescriptorSecretKey::XPrv(xkey) => {
                    let step = match xkey.wildcard {
                        Wildcard::None => None,
                        Wildcard::Unhardened => Some(ChildNumber::from_normal_idx(index).ok()?),
                        Wildcard::Hardened => Some(ChildNumber::from_hardened_idx(index).ok()?),
                    };
                    let path = match step {
                        Some(step) => xkey.derivation_path.child(step),
                        None => xkey.derivation_path.clone(),
                    };
                    xkey.xkey.derive_priv(secp, &path).ok()?.to_priv()
                }
                DescriptorSecretKey::MultiXPrv(_) => return None,
            };
            matches(&key).then_some(key)
        })
}
