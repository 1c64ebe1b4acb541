//! What the wallet knows about one of its scripts (Core's `getaddressinfo` wallet fields):
//! the keychain and index that derive it, the key, its origin and the descriptors.

use bdk_wallet::bitcoin::Script;
use bdk_wallet::miniscript::Descriptor;
use bdk_wallet::KeychainKind;

use crate::wallet::error::WalletError;
use crate::wallet::history::descriptor_text;
use crate::wallet::local::LocalWallet;

/// One of the wallet's scripts, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInfo {
    /// The keychain deriving it (internal: change).
    pub keychain: KeychainKind,
    /// Its derivation index.
    pub index: u32,
    /// The public key, hex (single-key descriptors).
    pub pubkey: Option<String>,
    /// Core's `hdkeypath` (`m/84h/1h/0h/0/5`).
    pub hd_key_path: Option<String>,
    /// The master key's fingerprint, hex.
    pub master_fingerprint: Option<String>,
    /// The inferred descriptor of the script (Core's `desc`).
    pub desc: Option<String>,
    /// The wallet descriptor deriving it (Core's `parent_desc`).
    pub parent_desc: String,
    /// The label of the address, when the address book has one.
    pub label: Option<String>,
    /// When the keys were created (Core's `timestamp`).
    pub timestamp: i64,
}

impl LocalWallet {
    /// What the wallet knows of `script`; `None` when it is not the wallet's.
    pub fn script_info(
        &self,
        script: &Script,
        address: &str,
    ) -> Result<Option<ScriptInfo>, WalletError> {
        let state = self.lock()?;
        if self.keys.blank {
            return Ok(None);
        }
        let Some((pair, keychain, index)) = state.store.locate(script) else {
            return Ok(None);
        };
        let Some(wallet) = state.store.pair(pair) else {
            return Ok(None);
        };
        let descriptor = wallet.public_descriptor(keychain);
        let mut info = ScriptInfo {
            keychain,
            index,
            pubkey: None,
            hd_key_path: None,
            master_fingerprint: None,
            desc: None,
            parent_desc: descriptor_text(descriptor),
            label: state.store.label(address).map(str::to_string),
            timestamp: self.keys.birthtime,
        };
        // Core shows the public key of a single-key script but not of P2TR; all have a key
        // path.
        let (key, shows_pubkey) = match descriptor {
            Descriptor::Wpkh(wpkh) => (Some(wpkh.as_inner().clone()), true),
            Descriptor::Tr(tr) => (Some(tr.internal_key().clone()), false),
            Descriptor::Pkh(pkh) => (Some(pkh.as_inner().clone()), true),
            Descriptor::Sh(sh) => match sh.as_inner() {
                bdk_wallet::miniscript::descriptor::ShInner::Wpkh(w) => {
                    (Some(w.as_inner().clone()), true)
                }
                _ => (None, false),
            },
            _ => (None, false),
        };
        if let Some(key) = key {
            if let Ok(key) = key.at_derivation_index(index) {
                info.hd_key_path = key
                    .full_derivation_path()
                    .map(|p| format!("m/{}", p.to_string().replace('\'', "h")));
                info.master_fingerprint = Some(key.master_fingerprint().to_string());
                info.pubkey = key
                    .derive_public_key(wallet.secp_ctx())
                    .ok()
                    .filter(|_| shows_pubkey)
                    .map(|k| k.to_string());
            }
        }
        drop(state);
        info.desc = self.inferred_descriptor(pair, keychain, index);
        Ok(Some(info))
    }
}

/// One of the wallet's descriptors as `listdescriptors` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorInfo {
    /// The public descriptor in Core's text (with checksum).
    pub desc: String,
    /// When its keys were created.
    pub timestamp: i64,
    /// Whether it derives change.
    pub internal: bool,
    /// The last index derived ahead (Core's `range` end).
    pub range_end: u32,
    /// The next index to hand out.
    pub next_index: u32,
}

impl LocalWallet {
    /// The wallet's descriptors (Core's `listdescriptors` with `private=false`), sorted by
    /// their text as Core sorts them.
    pub fn descriptors(&self) -> Result<Vec<DescriptorInfo>, WalletError> {
        let state = self.lock()?;
        if self.keys.blank {
            return Ok(Vec::new());
        }
        let mut out: Vec<DescriptorInfo> = state
            .store
            .wallets()
            .flat_map(|w| [(w, KeychainKind::External), (w, KeychainKind::Internal)])
            .map(|(wallet, keychain)| {
                let next_index = wallet.next_derivation_index(keychain);
                DescriptorInfo {
                    desc: descriptor_text(wallet.public_descriptor(keychain)),
                    timestamp: self.keys.birthtime,
                    internal: keychain == KeychainKind::Internal,
                    range_end: next_index + crate::wallet::store::LOOKAHEAD - 1,
                    next_index,
                }
            })
            .collect();
        out.sort_by(|a, b| a.desc.cmp(&b.desc));
        Ok(out)
    }
}
