//! A wallet's private key material: its active descriptor pairs, one per output type, kept
//! in `keys.json` (mode 0600, written atomically) next to the BDK stores, which hold only
//! the public descriptors. A new wallet's pairs are derived from one random seed: BIP84
//! `wpkh` (the primary pair, `external`/`internal`), then BIP86 `tr`, BIP44 `pkh` and BIP49
//! `sh(wpkh)` (`extra`; wallets written before several pairs have none). Signing uses
//! signers built from these descriptors.
//!
//! Once a passphrase is set the file holds the public descriptors in the clear and the
//! private ones sealed ([`crate::wallet::crypt`]; format version 2). A blank wallet
//! (`"blank": true`) holds placeholders until `importdescriptors` gives it a pair; a
//! watch-only one (`"watch_only": true`) holds public descriptors only.

use std::path::Path;

use bdk_wallet::bitcoin::bip32::Xpriv;
use bdk_wallet::bitcoin::secp256k1::{All, Secp256k1};
use bdk_wallet::bitcoin::{Network, NetworkKind};
use bdk_wallet::descriptor::IntoWalletDescriptor;
use bdk_wallet::signer::SignersContainer;
use bdk_wallet::KeychainKind;
use serde_json::{json, Value};

use crate::wallet::crypt::Sealed;
use crate::wallet::error::WalletError;
use crate::wallet::files::{write_atomic, KEYS_FILE};

/// The format version of `keys.json` with private descriptors in the clear.
const KEYS_VERSION: u64 = 1;
/// The format version of `keys.json` with the private descriptors encrypted.
const SEALED_KEYS_VERSION: u64 = 2;

/// The descriptors of one wallet and when it was made: private ones in the clear, or
/// public ones with the private ones sealed under a passphrase.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    /// The receiving descriptor (`wpkh(xprv/84h/<coin>h/0h/0/*)`, or its public form when
    /// `sealed`).
    pub external: String,
    /// The change descriptor (`.../1/*`).
    pub internal: String,
    /// The other active pairs, (receiving, change), one per output type (Core has one active
    /// pair per type): a new wallet's BIP86 `tr`, BIP44 `pkh` and BIP49 `sh(wpkh)` pairs,
    /// or pairs `importdescriptors` added. Their stores are `<type>.sqlite`.
    pub extra: Vec<(String, String)>,
    /// When the wallet was created (seconds since the epoch; Core's `birthtime`).
    pub birthtime: i64,
    /// The private descriptors, encrypted (`None`: `external`/`internal` are private).
    pub sealed: Option<Sealed>,
    /// A wallet without descriptors yet (Core's `blank`): `external`/`internal` are
    /// placeholders nobody holds keys for ([`BLANK_EXTERNAL`], [`BLANK_INTERNAL`]), only there
    /// because a BDK wallet needs descriptors; they never hand out an address.
    pub blank: bool,
    /// A wallet created with `disable_private_keys`: its descriptors are public and it never
    /// signs.
    pub watch_only: bool,
}

/// The placeholder receiving descriptor of a blank wallet: BIP341's unspendable NUMS point.
pub const BLANK_EXTERNAL: &str =
    "tr(50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)";
/// The placeholder change descriptor of a blank wallet (the same point, BDK wants two
/// different descriptors).
pub const BLANK_INTERNAL: &str =
    "wpkh(0250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)";

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("birthtime", &self.birthtime)
            .finish_non_exhaustive()
    }
}

/// The BIP44 coin type of `network`: 0 on mainnet, 1 on every test network.
fn coin_type(network: Network) -> u32 {
    match network {
        Network::Bitcoin => 0,
        _ => 1,
    }
}

impl KeyMaterial {
    /// New key material from a random 32-byte seed: the BIP84, BIP86, BIP44 and BIP49
    /// descriptor pairs of its master key (Core's four output types).
    pub fn generate(network: Network, birthtime: i64) -> Result<KeyMaterial, WalletError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| WalletError::Storage(format!("No randomness for a new seed: {e}")))?;
        let master = Xpriv::new_master(NetworkKind::from(network), &seed)
            .map_err(|e| WalletError::Storage(format!("Cannot derive a master key: {e}")))?;
        seed.fill(0);
        let coin = coin_type(network);
        let pair = |kind: &str, purpose: u32| {
            let close = if kind.starts_with("sh(") { "))" } else { ")" };
            (
                format!("{kind}({master}/{purpose}h/{coin}h/0h/0/*{close}"),
                format!("{kind}({master}/{purpose}h/{coin}h/0h/1/*{close}"),
            )
        };
        let (external, internal) = pair("wpkh", 84);
        Ok(KeyMaterial {
            external,
            internal,
            extra: vec![pair("tr", 86), pair("pkh", 44), pair("sh(wpkh", 49)],
            birthtime,
            sealed: None,
            blank: false,
            watch_only: false,
        })
    }

    /// The key material of a blank wallet (Core's `blank`, or `disable_private_keys`, which
    /// also starts without descriptors): placeholders until descriptors are imported.
    pub fn blank(birthtime: i64, watch_only: bool) -> KeyMaterial {
        KeyMaterial {
            external: BLANK_EXTERNAL.to_string(),
            internal: BLANK_INTERNAL.to_string(),
            extra: Vec::new(),
            birthtime,
            sealed: None,
            blank: true,
            watch_only,
        }
    }

    /// Whether the private descriptors are encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.sealed.is_some()
    }

    /// The same keys with public descriptors only (what the store is opened with).
    pub fn public(
        &self,
        secp: &Secp256k1<All>,
        network: Network,
        wallet_name: &str,
    ) -> Result<KeyMaterial, WalletError> {
        let public = |descriptor: &str| {
            descriptor
                .into_wallet_descriptor(secp, NetworkKind::from(network))
                .map(|(d, _)| d.to_string())
                .map_err(|e| WalletError::corrupt(wallet_name, format!("{KEYS_FILE}: {e}")))
        };
        let extra = self
            .extra
            .iter()
            .map(|(e, i)| Ok((public(e)?, public(i)?)))
            .collect::<Result<_, WalletError>>()?;
        Ok(KeyMaterial {
            external: public(&self.external)?,
            internal: public(&self.internal)?,
            extra,
            birthtime: self.birthtime,
            sealed: self.sealed.clone(),
            blank: self.blank,
            watch_only: self.watch_only,
        })
    }

    /// These (private) keys sealed under `passphrase`: public descriptors in the clear.
    pub fn seal(
        &self,
        passphrase: &str,
        secp: &Secp256k1<All>,
        network: Network,
        wallet_name: &str,
    ) -> Result<KeyMaterial, WalletError> {
        let secret = json!({
            "external": self.external,
            "internal": self.internal,
            "extra": pairs_json(&self.extra),
        })
        .to_string();
        let sealed = Sealed::seal(secret.as_bytes(), passphrase)?;
        let mut public = self.public(secp, network, wallet_name)?;
        public.sealed = Some(sealed);
        Ok(public)
    }

    /// The private keys of sealed keys, decrypted with `passphrase`
    /// ([`WalletError::WrongPassphrase`] when it is not the one they were sealed under).
    pub fn unseal(&self, passphrase: &str, wallet_name: &str) -> Result<KeyMaterial, WalletError> {
        let Some(sealed) = &self.sealed else {
            return Ok(self.clone());
        };
        let mut secret = sealed.open(passphrase)?;
        let value: Result<Value, _> = serde_json::from_slice(&secret);
        secret.fill(0);
        let corrupt = || WalletError::corrupt(wallet_name, format!("{KEYS_FILE}: bad sealed keys"));
        let value = value.map_err(|_| corrupt())?;
        let field = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        Ok(KeyMaterial {
            external: field("external").ok_or_else(corrupt)?,
            internal: field("internal").ok_or_else(corrupt)?,
            extra: pairs_of(&value).ok_or_else(corrupt)?,
            birthtime: self.birthtime,
            sealed: None,
            blank: self.blank,
            watch_only: self.watch_only,
        })
    }

    /// The private descriptor of `keychain`.
    pub fn descriptor(&self, keychain: KeychainKind) -> &str {
        match keychain {
            KeychainKind::External => &self.external,
            KeychainKind::Internal => &self.internal,
        }
    }

    /// Every active pair, (receiving, change), the primary one (`wallet.sqlite`) first.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        std::iter::once((self.external.as_str(), self.internal.as_str()))
            .chain(self.extra.iter().map(|(e, i)| (e.as_str(), i.as_str())))
            .collect()
    }

    /// Signers for both keychains of every pair (in [`KeyMaterial::pairs`] order) of a
    /// wallet whose public descriptors these are.
    pub fn signers(
        &self,
        secp: &Secp256k1<All>,
        network: Network,
        wallet_name: &str,
    ) -> Result<Vec<[SignersContainer; 2]>, WalletError> {
        let build = |descriptor: &str| {
            let (descriptor, keymap) = descriptor
                .into_wallet_descriptor(secp, NetworkKind::from(network))
                .map_err(|e| WalletError::corrupt(wallet_name, format!("{KEYS_FILE}: {e}")))?;
            Ok::<_, WalletError>(SignersContainer::build(keymap, &descriptor, secp))
        };
        self.pairs()
            .into_iter()
            .map(|(external, internal)| Ok([build(external)?, build(internal)?]))
            .collect()
    }

    /// Writes `keys.json` into `dir` (mode 0600, atomically).
    pub fn write(&self, dir: &Path) -> Result<(), WalletError> {
        let mut value = json!({
            "version": KEYS_VERSION,
            "external": self.external,
            "internal": self.internal,
            "birthtime": self.birthtime,
        });
        if !self.extra.is_empty() {
            value["extra"] = pairs_json(&self.extra);
        }
        if self.blank {
            value["blank"] = json!(true);
        }
        if self.watch_only {
            value["watch_only"] = json!(true);
        }
        if let Some(sealed) = &self.sealed {
            value["version"] = json!(SEALED_KEYS_VERSION);
            value["sealed"] = sealed.to_json();
        }
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| WalletError::Storage(e.to_string()))?;
        write_atomic(&dir.join(KEYS_FILE), format!("{text}\n").as_bytes(), 0o600)
    }

    /// Reads `keys.json` from `dir`; a missing or malformed file is a corrupt wallet.
    pub fn read(dir: &Path, wallet_name: &str) -> Result<KeyMaterial, WalletError> {
        let path = dir.join(KEYS_FILE);
        let corrupt = |detail: String| WalletError::corrupt(wallet_name, detail);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| corrupt(format!("cannot read {KEYS_FILE}: {e}")))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| corrupt(format!("{KEYS_FILE} is not valid JSON: {e}")))?;
        let sealed = match value.get("version").and_then(Value::as_u64) {
            Some(KEYS_VERSION) => None,
            Some(SEALED_KEYS_VERSION) => Some(
                value
                    .get("sealed")
                    .and_then(Sealed::from_json)
                    .ok_or_else(|| corrupt(format!("{KEYS_FILE} has bad sealed keys")))?,
            ),
            _ => return Err(corrupt(format!("{KEYS_FILE} has an unknown version"))),
        };
        let text_field = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| corrupt(format!("{KEYS_FILE} lacks \"{key}\"")))
        };
        Ok(KeyMaterial {
            external: text_field("external")?,
            internal: text_field("internal")?,
            extra: pairs_of(&value)
                .ok_or_else(|| corrupt(format!("{KEYS_FILE} has bad extra pairs")))?,
            birthtime: value.get("birthtime").and_then(Value::as_i64).unwrap_or(0),
            sealed,
            blank: value.get("blank").and_then(Value::as_bool).unwrap_or(false),
            watch_only: value
                .get("watch_only")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// Pairs as JSON: `[{"external": ..., "internal": ...}, ...]`.
fn pairs_json(pairs: &[(String, String)]) -> Value {
    pairs
        .iter()
        .map(|(e, i)| json!({"external": e, "internal": i}))
        .collect()
}

/// The `extra` pairs of a `keys.json` object (none when absent: older wallets have one
/// pair); `None` when malformed.
fn pairs_of(value: &Value) -> Option<Vec<(String, String)>> {
    let Some(list) = value.get("extra") else {
        return Some(Vec::new());
    };
    list.as_array()?
        .iter()
        .map(|p| {
            let field = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
            Some((field("external")?, field("internal")?))
        })
        .collect()
}

/// The output type of a descriptor by its text: `wpkh`, `tr`, `pkh` or `sh-wpkh` (also
/// the name of the pair's store file), `None` for others.
pub fn pair_kind(descriptor: &str) -> Option<&'static str> {
    if descriptor.starts_with("wpkh(") {
        Some("wpkh")
    } else if descriptor.starts_with("tr(") {
        Some("tr")
    } else if descriptor.starts_with("pkh(") {
        Some("pkh")
    } else if descriptor.starts_with("sh(wpkh(") {
        Some("sh-wpkh")
    } else {
        None
    }
}

/// The pair kind of Core's address type names (`bech32`, `bech32m`, `legacy`,
/// `p2sh-segwit`).
pub fn kind_of_address_type(address_type: &str) -> Option<&'static str> {
    match address_type {
        "bech32" => Some("wpkh"),
        "bech32m" => Some("tr"),
        "legacy" => Some("pkh"),
        "p2sh-segwit" => Some("sh-wpkh"),
        _ => None,
    }
}

/// The output type of a descriptor: `wpkh`, `tr`, `pkh` or `sh-wpkh` ([`pair_kind`]).
pub fn descriptor_kind(
    descriptor: &bdk_wallet::miniscript::Descriptor<bdk_wallet::miniscript::DescriptorPublicKey>,
) -> Option<&'static str> {
    pair_kind(&descriptor.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generate_write_read() {
        let keys = KeyMaterial::generate(Network::Regtest, 7).expect("keys");
        assert!(keys.external.starts_with("wpkh(tprv"));
        assert!(keys.external.ends_with("/84h/1h/0h/0/*)"));
        assert!(keys.internal.ends_with("/84h/1h/0h/1/*)"));
        let main = KeyMaterial::generate(Network::Bitcoin, 7).expect("keys");
        assert!(main.external.starts_with("wpkh(xprv") && main.external.contains("/84h/0h/0h/0/*"));
        assert_ne!(
            keys,
            KeyMaterial::generate(Network::Regtest, 7).expect("keys")
        );
        assert!(!format!("{keys:?}").contains("tprv"));
        let dir = tempfile::tempdir().expect("tempdir");
        keys.write(dir.path()).expect("write");
        let mode = std::fs::metadata(dir.path().join(KEYS_FILE))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(KeyMaterial::read(dir.path(), "w").expect("read"), keys);
        let secp = Secp256k1::new();
        assert!(keys.signers(&secp, Network::Regtest, "w").is_ok());
        std::fs::write(dir.path().join(KEYS_FILE), "{\"version\": 1}").expect("write");
        let e = KeyMaterial::read(dir.path(), "w").expect_err("corrupt");
        assert!(e.to_string().contains("Wallet corrupted"), "{e}");
    }

    #[test]
    fn sealed_keys_hold_no_private_key() {
        let secp = Secp256k1::new();
        let keys = KeyMaterial::generate(Network::Regtest, 7).expect("keys");
        let sealed = keys
            .seal("pass", &secp, Network::Regtest, "w")
            .expect("seal");
        assert!(sealed.is_encrypted() && !keys.is_encrypted());
        assert!(sealed.external.contains("tpub") && !sealed.external.contains("tprv"));
        let dir = tempfile::tempdir().expect("tempdir");
        sealed.write(dir.path()).expect("write");
        let text = std::fs::read_to_string(dir.path().join(KEYS_FILE)).expect("read");
        assert!(!text.contains("tprv"), "{text}");
        let read = KeyMaterial::read(dir.path(), "w").expect("read");
        assert_eq!(read, sealed);
        assert_eq!(read.unseal("pass", "w").expect("unseal"), keys);
        assert_eq!(read.unseal("wrong", "w"), Err(WalletError::WrongPassphrase));
    }
}
