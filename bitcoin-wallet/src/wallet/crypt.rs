//! Encrypting a wallet's private key material at rest: a key is derived from the
//! passphrase with Argon2id (a random salt per encryption) and the secret is sealed with
//! XChaCha20-Poly1305 (a random nonce per encryption), so a wrong passphrase fails the
//! authentication tag instead of yielding garbage.

use argon2::{Algorithm, Argon2, Params, Version};
use bdk_wallet::bitcoin::hex::{DisplayHex, FromHex};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde_json::{json, Value};

use crate::wallet::error::WalletError;

/// The KDF's name in the key file.
const KDF: &str = "argon2id";
/// Argon2id memory cost in KiB (OWASP's recommended 19 MiB).
const M_COST: u32 = 19 * 1024;
/// Argon2id passes.
const T_COST: u32 = 2;
/// Argon2id lanes.
const P_COST: u32 = 1;
/// Bound to every ciphertext, so it cannot be moved to another purpose.
const AAD: &[u8] = b"bitcoin-wallet keys v2";

/// A secret sealed under a passphrase, with what is needed to open it again.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: [u8; 16],
    nonce: [u8; 24],
    ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("kdf", &KDF)
            .field("len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> Result<[u8; N], WalletError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| WalletError::Storage(format!("No randomness for encryption: {e}")))?;
    Ok(bytes)
}

/// The cipher for `passphrase` with these KDF settings.
fn cipher(
    passphrase: &str,
    salt: &[u8],
    (m_cost, t_cost, p_cost): (u32, u32, u32),
) -> Result<XChaCha20Poly1305, WalletError> {
    let params = Params::new(m_cost, t_cost, p_cost, Some(32))
        .map_err(|e| WalletError::Storage(format!("Bad key derivation parameters: {e}")))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| WalletError::Storage(format!("Key derivation failed: {e}")))?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&key));
    key.fill(0);
    Ok(cipher)
}

impl Sealed {
    /// Seals `secret` under `passphrase` (fresh salt and nonce).
    pub fn seal(secret: &[u8], passphrase: &str) -> Result<Sealed, WalletError> {
        let salt = random::<16>()?;
        let nonce = random::<24>()?;
        let cipher = cipher(passphrase, &salt, (M_COST, T_COST, P_COST))?;
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: AAD,
                },
            )
            .map_err(|_| WalletError::Storage("Encryption failed".into()))?;
        Ok(Sealed {
            m_cost: M_COST,
            t_cost: T_COST,
            p_cost: P_COST,
            salt,
            nonce,
            ciphertext,
        })
    }

    /// Opens the secret; [`WalletError::WrongPassphrase`] when `passphrase` is not the one
    /// it was sealed under.
    pub fn open(&self, passphrase: &str) -> Result<Vec<u8>, WalletError> {
        let cipher = cipher(
            passphrase,
            &self.salt,
            (self.m_cost, self.t_cost, self.p_cost),
        )?;
        cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: AAD,
                },
            )
            .map_err(|_| WalletError::WrongPassphrase)
    }

    /// Its form in the key file.
    pub fn to_json(&self) -> Value {
        json!({
            "kdf": KDF,
            "m_cost": self.m_cost,
            "t_cost": self.t_cost,
            "p_cost": self.p_cost,
            "salt": self.salt.to_lower_hex_string(),
            "nonce": self.nonce.to_lower_hex_string(),
            "ciphertext": self.ciphertext.to_lower_hex_string(),
        })
    }

    /// Reads its form in the key file; `None` when malformed.
    pub fn from_json(value: &Value) -> Option<Sealed> {
        if value.get("kdf")?.as_str()? != KDF {
            return None;
        }
        let number = |key: &str| u32::try_from(value.get(key)?.as_u64()?).ok();
        let bytes = |key: &str| Vec::<u8>::from_hex(value.get(key)?.as_str()?).ok();
        Some(Sealed {
            m_cost: number("m_cost")?,
            t_cost: number("t_cost")?,
            p_cost: number("p_cost")?,
            salt: bytes("salt")?.try_into().ok()?,
            nonce: bytes("nonce")?.try_into().ok()?,
            ciphertext: bytes("ciphertext")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_wrong_passphrase_and_json() {
        let sealed = Sealed::seal(b"secret", "pass").expect("seal");
        assert_eq!(sealed.open("pass").expect("open"), b"secret");
        assert_eq!(sealed.open("wrong"), Err(WalletError::WrongPassphrase));
        let again = Sealed::from_json(&sealed.to_json()).expect("json");
        assert_eq!(again, sealed);
        assert_eq!(again.open("pass").expect("open"), b"secret");
        assert!(!sealed.to_json().to_string().contains("secret"));
        assert_ne!(Sealed::seal(b"secret", "pass").expect("seal"), sealed);
    }
}
