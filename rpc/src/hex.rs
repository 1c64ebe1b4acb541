//! Hex as Bitcoin Core's RPC writes and reads it: lower-case out, `IsHex`/`ParseHex` and
//! `ParseHashV` in.

use crate::protocol::{RpcError, RPC_INVALID_PARAMETER};

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Core's `IsHex` and `ParseHex`: the bytes of a non-empty, even-length hex string.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

/// Core's `ParseHashV`: 64 hex digits, else its length or hex error naming `name`.
pub fn parse_hash_v(text: &str, name: &str) -> Result<[u8; 32], RpcError> {
    match parse_hex(text).and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(mut bytes) => {
            bytes.reverse();
            Ok(bytes)
        }
        None if text.len() != 64 => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!(
                "{name} must be of length 64 (not {}, for '{text}')",
                text.len()
            ),
        )),
        None => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{text}')"),
        )),
    }
}
