//! Key expressions of descriptors (Core's `ParsePubkey`, `ParsePubkeyInner`, `ParseKeyPath`):
//! hex public keys (x-only inside `tr()`), WIF private keys, and xpub/xprv keys with an
//! optional `[fingerprint/path]` origin, a derivation path, `*` ranges and `<a;b>` multipaths.

use std::collections::HashSet;
use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
use bitcoin::secp256k1::{self, Secp256k1, XOnlyPublicKey};
use bitcoin::{NetworkKind, PrivateKey, PublicKey};

use super::Ctx;
use crate::hex::parse_hex;

/// Core's limit on keys in `multi()`.
pub(crate) const MAX_PUBKEYS_PER_MULTISIG: usize = 20;

#[derive(Debug, Clone)]
enum Key {
    Const(PublicKey),
    Ext(Xpub, Option<Xpriv>),
}

/// One parsed key expression.
#[derive(Debug, Clone)]
pub(crate) struct KeyExpr {
    key: Key,
    /// Derivation paths after the key (several for a multipath `<a;b>`), at least one.
    paths: Vec<Vec<ChildNumber>>,
    ranged: bool,
    /// Bytes the key takes in a script (Core's `GetSize`).
    size: usize,
}

fn kind(chain: common::Chain) -> NetworkKind {
    if chain == common::Chain::Main {
        NetworkKind::Main
    } else {
        NetworkKind::Test
    }
}

/// Core's `ParseKeyPathNum`: `n`, `n'` or `nh`, below 2^31.
fn path_number(elem: &str) -> Result<u32, String> {
    let (digits, hardened) = match elem.strip_suffix(['\'', 'h']) {
        Some(d) => (d, true),
        None => (elem, false),
    };
    let n = Some(digits)
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u32>().ok())
        .ok_or_else(|| format!("Key path value '{digits}' is not a valid uint32"))?;
    if n > 0x7fff_ffff {
        return Err(format!("Key path value {n} is out of range"));
    }
    Ok(n | (u32::from(hardened) << 31))
}

/// Core's `ParseKeyPath`: the paths `elems` stand for (several with one `<a;b;...>`).
fn key_paths(elems: &[&str], allow_multipath: bool) -> Result<Vec<Vec<ChildNumber>>, String> {
    let mut path = Vec::new();
    let mut multi: Option<(usize, Vec<u32>)> = None;
    for elem in elems {
        let Some(inner) = elem.strip_prefix('<').and_then(|e| e.strip_suffix('>')) else {
            path.push(path_number(elem)?);
            continue;
        };
        if !allow_multipath {
            return Err(format!("Key path value '{elem}' specifies multipath in a section where multipath is not allowed"));
        }
        if multi.is_some() {
            return Err("Multiple multipath key path specifiers found".into());
        }
        let nums: Vec<&str> = inner.split(';').collect();
        if nums.len() < 2 {
            return Err("Multipath key path specifiers must have at least two items".into());
        }
        let mut seen = HashSet::new();
        let mut values = Vec::new();
        for num in nums {
            let n = path_number(num)?;
            if !seen.insert(n) {
                return Err(format!(
                    "Duplicated key path value {n} in multipath specifier"
                ));
            }
            values.push(n);
        }
        multi = Some((path.len(), values));
        path.push(0);
    }
    let to_path = |p: Vec<u32>| p.into_iter().map(ChildNumber::from).collect::<Vec<_>>();
    Ok(match multi {
        None => vec![to_path(path)],
        Some((at, values)) => values
            .into_iter()
            .map(|v| {
                let mut p = path.clone();
                p[at] = v;
                to_path(p)
            })
            .collect(),
    })
}

fn constant(key: PublicKey, size: usize) -> KeyExpr {
    KeyExpr {
        key: Key::Const(key),
        paths: vec![Vec::new()],
        ranged: false,
        size,
    }
}

/// Core's `ParsePubkeyInner`: a key without origin.
fn parse_inner(text: &str, ctx: Ctx, chain: common::Chain) -> Result<KeyExpr, String> {
    let permit_uncompressed = matches!(ctx, Ctx::Top | Ctx::P2sh);
    let mut split: Vec<&str> = text.split('/').collect();
    let s = split[0];
    if s.is_empty() {
        return Err("No key provided".into());
    }
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return Err(format!("Key '{s}' is invalid due to whitespace"));
    }
    if split.len() == 1 {
        if let Some(data) = parse_hex(s) {
            if data.len() == 65 && matches!(data[0], 6 | 7) {
                return Err("Hybrid public keys are not allowed".into());
            }
            if let Ok(pk) = PublicKey::from_slice(&data) {
                if !permit_uncompressed && !pk.compressed {
                    return Err("Uncompressed keys are not allowed".into());
                }
                return Ok(constant(pk, data.len()));
            }
            if data.len() == 32 && ctx == Ctx::P2tr {
                if let Ok(x) = XOnlyPublicKey::from_slice(&data) {
                    let even =
                        secp256k1::PublicKey::from_x_only_public_key(x, secp256k1::Parity::Even);
                    return Ok(constant(PublicKey::new(even), 32));
                }
            }
            return Err(format!("Pubkey '{s}' is invalid"));
        }
        if let Some(wif) = PrivateKey::from_wif(s)
            .ok()
            .filter(|k| k.network == kind(chain))
        {
            if !permit_uncompressed && !wif.compressed {
                return Err("Uncompressed keys are not allowed".into());
            }
            let pk = wif.public_key(&Secp256k1::signing_only());
            let size = if ctx == Ctx::P2tr {
                32
            } else {
                pk.to_bytes().len()
            };
            return Ok(constant(pk, size));
        }
    }
    let xpriv = Xpriv::from_str(s).ok().filter(|k| k.network == kind(chain));
    let xpub = match &xpriv {
        Some(k) => Xpub::from_priv(&Secp256k1::signing_only(), k),
        None => Xpub::from_str(s)
            .ok()
            .filter(|k| k.network == kind(chain))
            .ok_or_else(|| format!("key '{s}' is not valid"))?,
    };
    let ranged = split.len() > 1 && matches!(split.last(), Some(&("*" | "*'" | "*h")));
    if ranged {
        split.pop();
    }
    Ok(KeyExpr {
        key: Key::Ext(xpub, xpriv),
        paths: key_paths(&split[1..], true)?,
        ranged,
        size: 33,
    })
}

impl KeyExpr {
    /// Core's `ParsePubkey`: an optional `[fingerprint/path]` origin, then the key.
    pub(crate) fn parse(text: &str, ctx: Ctx, chain: common::Chain) -> Result<KeyExpr, String> {
        let parts: Vec<&str> = text.split(']').collect();
        match parts[..] {
            [key] => parse_inner(key, ctx, chain),
            [origin, key] => {
                let Some(origin) = origin.strip_prefix('[') else {
                    let got = origin.chars().next().unwrap_or(']');
                    return Err(format!(
                        "Key origin start '[ character expected but not found, got '{got}' instead"
                    ));
                };
                let elems: Vec<&str> = origin.split('/').collect();
                let fingerprint = elems[0];
                if fingerprint.len() != 8 {
                    return Err(format!(
                        "Fingerprint is not 4 bytes ({} characters instead of 8 characters)",
                        fingerprint.len()
                    ));
                }
                if parse_hex(fingerprint).is_none() {
                    return Err(format!("Fingerprint '{fingerprint}' is not hex"));
                }
                key_paths(&elems[1..], false)?;
                parse_inner(key, ctx, chain)
            }
            _ => Err("Multiple ']' characters found for a single pubkey".into()),
        }
    }

    /// Bytes it takes in a script.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// How many paths a multipath key stands for (1 otherwise).
    pub(crate) fn paths(&self) -> usize {
        self.paths.len()
    }

    /// Whether it ends in `*`.
    pub(crate) fn ranged(&self) -> bool {
        self.ranged
    }

    /// The public key (first path); `None` when a hardened step needs the missing private key.
    pub(crate) fn derive(&self, secp: &Secp256k1<secp256k1::All>) -> Option<PublicKey> {
        let path = self.paths.first()?;
        match &self.key {
            Key::Const(pk) => Some(*pk),
            Key::Ext(_, Some(xpriv)) => {
                let derived = xpriv.derive_priv(secp, path).ok()?;
                Some(PublicKey::new(derived.private_key.public_key(secp)))
            }
            Key::Ext(xpub, None) => {
                Some(PublicKey::new(xpub.derive_pub(secp, path).ok()?.public_key))
            }
        }
    }
}
