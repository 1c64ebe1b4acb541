//! Addresses as Bitcoin Core reads them (`key_io.cpp`'s `DecodeDestination`, `bech32.cpp`'s
//! `LocateErrors`, `rpc/util.cpp`'s `DescribeAddress`), with Core's error texts: every
//! process's methods that take an address report a bad one alike.

use std::collections::HashMap;

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Address, ScriptBuf};
use serde_json::{json, Map, Value};

use crate::hex::hex;

/// rust-bitcoin's network (consensus parameters, address prefixes) for a chain.
pub fn network(chain: common::Chain) -> bitcoin::Network {
    match chain {
        common::Chain::Main => bitcoin::Network::Bitcoin,
        common::Chain::Test => bitcoin::Network::Testnet,
        common::Chain::Testnet4 => bitcoin::Network::Testnet4,
        common::Chain::Signet => bitcoin::Network::Signet,
        common::Chain::Regtest => bitcoin::Network::Regtest,
    }
}

/// Where an output script pays, as an address names it (Core's `CTxDestination`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// P2PKH.
    PubKeyHash([u8; 20]),
    /// P2SH.
    ScriptHash([u8; 20]),
    /// A witness program of any version (P2WPKH, P2WSH, P2TR, P2A, or not yet defined).
    Witness {
        /// The witness version, 0 to 16.
        version: u8,
        /// The program.
        program: Vec<u8>,
    },
}

/// Why a string is not an address of the chain, in Core's words, with the indices of likely
/// typos when Bech32 error location finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    /// Core's message.
    pub message: String,
    /// Likely error positions in the string.
    pub locations: Vec<usize>,
}

fn fail<T>(message: impl Into<String>) -> Result<T, AddressError> {
    Err(AddressError {
        message: message.into(),
        locations: Vec::new(),
    })
}

impl Destination {
    /// The output script paying to it.
    pub fn script_pubkey(&self) -> ScriptBuf {
        let mut bytes = Vec::new();
        let (opcode, payload): (&[u8], &[u8]) = match self {
            Destination::PubKeyHash(hash) => (&[0x76, 0xa9], hash),
            Destination::ScriptHash(hash) => (&[0xa9], hash),
            Destination::Witness {
                version: 0,
                program,
            } => (&[0x00], program),
            Destination::Witness { version, program } => (&[0x50 + version], program),
        };
        bytes.extend_from_slice(opcode);
        bytes.push(u8::try_from(payload.len()).unwrap_or(0));
        bytes.extend_from_slice(payload);
        match self {
            Destination::PubKeyHash(_) => bytes.extend_from_slice(&[0x88, 0xac]),
            Destination::ScriptHash(_) => bytes.push(0x87),
            Destination::Witness { .. } => {}
        }
        ScriptBuf::from_bytes(bytes)
    }

    /// Core's `EncodeDestination`: the canonical address on `chain`.
    pub fn encode(&self, chain: common::Chain) -> String {
        Address::from_script(&self.script_pubkey(), network(chain))
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    /// Core's `DescribeAddress`: `isscript`, `iswitness`, `witness_version`, `witness_program`.
    pub fn describe(&self) -> Map<String, Value> {
        let value = match self {
            Destination::PubKeyHash(_) => json!({"isscript": false, "iswitness": false}),
            Destination::ScriptHash(_) => json!({"isscript": true, "iswitness": false}),
            Destination::Witness { version, program } => match (version, program.len()) {
                (0, 20) => json!({"isscript": false, "iswitness": true, "witness_version": 0,
                    "witness_program": hex(program)}),
                (0, _) | (1, 32) => json!({"isscript": true, "iswitness": true,
                    "witness_version": version, "witness_program": hex(program)}),
                (1, _) if program[..] == [0x4e, 0x73] => {
                    json!({"isscript": true, "iswitness": true})
                }
                _ => json!({"iswitness": true, "witness_version": version,
                    "witness_program": hex(program)}),
            },
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// Bech32 prefix and Base58 version bytes (P2PKH, P2SH) of a chain.
fn prefixes(chain: common::Chain) -> (&'static str, u8, u8) {
    match chain {
        common::Chain::Main => ("bc", 0, 5),
        common::Chain::Regtest => ("bcrt", 111, 196),
        _ => ("tb", 111, 196),
    }
}

/// Core's `DecodeDestination`: Base58Check or Bech32/Bech32m for `chain`, with its errors.
pub fn decode_destination(text: &str, chain: common::Chain) -> Result<Destination, AddressError> {
    let (hrp, pkh, sh) = prefixes(chain);
    let is_bech32 = text
        .get(..hrp.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(hrp));
    if !is_bech32 {
        return decode_base58(text, pkh, sh);
    }
    let Some((encoding, found_hrp, data)) = bech32_decode(text) else {
        let (message, locations) = locate_errors(text);
        return Err(AddressError { message, locations });
    };
    let Some((&version, rest)) = data.split_first() else {
        return fail("Empty Bech32 data section");
    };
    if found_hrp != hrp {
        return fail(format!("Invalid or unsupported prefix for Segwit (Bech32) address (expected {hrp}, got {found_hrp})."));
    }
    if version == 0 && encoding != BECH32 {
        return fail("Version 0 witness address must use Bech32 checksum");
    }
    if version != 0 && encoding != BECH32M {
        return fail("Version 1+ witness address must use Bech32m checksum");
    }
    let Some(program) = convert_5_to_8(rest) else {
        return fail("Invalid padding in Bech32 data section");
    };
    let bytes = if program.len() == 1 { "byte" } else { "bytes" };
    match (version, program.len()) {
        (0, 20 | 32) | (1, 32) => {}
        (0, n) => {
            return fail(format!(
                "Invalid Bech32 v0 address program size ({n} {bytes}), per BIP141"
            ))
        }
        _ if program[..] == [0x4e, 0x73] && version == 1 => {}
        (17.., _) => return fail("Invalid Bech32 address witness version"),
        (_, n) if !(2..=40).contains(&n) => {
            return fail(format!("Invalid Bech32 address program size ({n} {bytes})"))
        }
        _ => {}
    }
    Ok(Destination::Witness { version, program })
}

fn decode_base58(text: &str, pkh: u8, sh: u8) -> Result<Destination, AddressError> {
    let Ok(raw) = bitcoin::base58::decode(text) else {
        return fail("Invalid or unsupported Segwit (Bech32) or Base58 encoding.");
    };
    let checked = raw.len() >= 4 && raw.len() <= 21 + 4 && {
        let (data, check) = raw.split_at(raw.len() - 4);
        sha256d::Hash::hash(data)[..4] == *check
    };
    if !checked {
        return fail(if raw.len() <= 100 {
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        } else {
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        });
    }
    let data = &raw[..raw.len() - 4];
    let hash = <[u8; 20]>::try_from(data.get(1..).unwrap_or_default());
    match (data.first(), hash) {
        (Some(&v), Ok(hash)) if v == pkh => Ok(Destination::PubKeyHash(hash)),
        (Some(&v), Ok(hash)) if v == sh => Ok(Destination::ScriptHash(hash)),
        (Some(&v), _) if v == pkh || v == sh => {
            fail("Invalid length for Base58 address (P2PKH or P2SH)")
        }
        _ => fail("Invalid or unsupported Base58-encoded address."),
    }
}

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// Checksum constants of Bech32 (BIP173) and Bech32m (BIP350).
const BECH32: u32 = 1;
const BECH32M: u32 = 0x2bc8_30a3;
/// Core's limit for addresses.
const BECH32_LIMIT: usize = 90;

fn polymod(values: &[u8]) -> u32 {
    const GENERATOR: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    values.iter().fold(1u32, |chk, &v| {
        let top = chk >> 25;
        let chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        (0..5)
            .filter(|i| (top >> i) & 1 == 1)
            .fold(chk, |c, i| c ^ GENERATOR[i])
    })
}

/// The checksum's input: the expanded prefix, then the data symbols (checksum included).
fn coefficients(hrp: &str, values: &[u8]) -> Vec<u8> {
    let hrp = hrp.as_bytes();
    let mut out: Vec<u8> = hrp.iter().map(|c| c >> 5).collect();
    out.push(0);
    out.extend(hrp.iter().map(|c| c & 31));
    out.extend_from_slice(values);
    out
}

/// Core's `CheckCharacters`: printable ASCII, one case; the offending indices otherwise.
fn bad_characters(text: &str) -> Vec<usize> {
    let (mut lower, mut upper, mut bad) = (false, false, Vec::new());
    for (i, c) in text.bytes().enumerate() {
        match c {
            b'a'..=b'z' if upper => bad.push(i),
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' if lower => bad.push(i),
            b'A'..=b'Z' => upper = true,
            33..=126 => {}
            _ => bad.push(i),
        }
    }
    bad
}

/// The separator's index, the lower-case prefix and the data symbols of a well-formed string.
fn split_bech32(text: &str) -> Option<(usize, String, Vec<u8>)> {
    let pos = text.rfind('1')?;
    let values = text.as_bytes()[pos + 1..]
        .iter()
        .map(|c| CHARSET.iter().position(|x| *x == c.to_ascii_lowercase()))
        .map(|v| v.and_then(|v| u8::try_from(v).ok()))
        .collect::<Option<Vec<u8>>>()?;
    Some((pos, text[..pos].to_ascii_lowercase(), values))
}

/// Core's `bech32::Decode`: the checksum constant, prefix and data (checksum removed).
fn bech32_decode(text: &str) -> Option<(u32, String, Vec<u8>)> {
    if !bad_characters(text).is_empty() || text.len() > BECH32_LIMIT {
        return None;
    }
    let (pos, hrp, mut values) = split_bech32(text)?;
    if pos == 0 || pos + 7 > text.len() {
        return None;
    }
    let check = polymod(&coefficients(&hrp, &values));
    let encoding = [BECH32, BECH32M].into_iter().find(|c| *c == check)?;
    values.truncate(values.len() - 6);
    Some((encoding, hrp, values))
}

fn convert_5_to_8(values: &[u8]) -> Option<Vec<u8>> {
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for v in values {
        acc = (acc << 5) | u32::from(*v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    (bits < 5 && (acc & ((1 << bits) - 1)) == 0).then_some(out)
}

/// Core's `bech32::LocateErrors`: why the string is not Bech32, and where.
fn locate_errors(text: &str) -> (String, Vec<usize>) {
    if text.len() > BECH32_LIMIT {
        return (
            "Bech32 string too long".into(),
            (BECH32_LIMIT..text.len()).collect(),
        );
    }
    let bad = bad_characters(text);
    if !bad.is_empty() {
        return ("Invalid character or mixed case".into(), bad);
    }
    let Some(pos) = text.rfind('1') else {
        return ("Missing separator".into(), Vec::new());
    };
    if pos == 0 || pos + 7 > text.len() {
        return ("Invalid separator position".into(), vec![pos]);
    }
    let Some((_, hrp, values)) = split_bech32(text) else {
        let at = text
            .bytes()
            .skip(pos + 1)
            .position(|c| !CHARSET.contains(&c.to_ascii_lowercase()));
        return (
            "Invalid Base 32 character".into(),
            at.map(|i| pos + 1 + i).into_iter().collect(),
        );
    };
    let coeffs = coefficients(&hrp, &values);
    let (mut locations, mut found) = (Vec::new(), None);
    for (constant, name) in [
        (BECH32, "Invalid Bech32 checksum"),
        (BECH32M, "Invalid Bech32m checksum"),
    ] {
        let possible = substitutions(&coeffs, coeffs.len() - values.len(), constant)
            .into_iter()
            .map(|j| pos + 1 + j)
            .collect::<Vec<_>>();
        if locations.is_empty() || (!possible.is_empty() && possible.len() < locations.len()) {
            locations = possible;
            found = (!locations.is_empty()).then_some(name).or(found);
        }
    }
    (found.unwrap_or("Invalid checksum").into(), locations)
}

/// Data positions (from `start`) of one or two symbol substitutions that make `coeffs` a
/// codeword for `constant`: the checksum is affine in the symbols, so each substitution adds
/// a fixed difference to the residue.
fn substitutions(coeffs: &[u8], start: usize, constant: u32) -> Vec<usize> {
    let target = polymod(coeffs) ^ constant;
    let mut unit = vec![0u8; coeffs.len()];
    let zero = polymod(&unit);
    let mut deltas = HashMap::new();
    for j in start..coeffs.len() {
        for e in 1..32 {
            unit[j] = e;
            deltas.insert(polymod(&unit) ^ zero, j - start);
        }
        unit[j] = 0;
    }
    if let Some(&j) = deltas.get(&target) {
        return vec![j];
    }
    for (&delta, &j) in &deltas {
        if let Some(&k) = deltas.get(&(target ^ delta)).filter(|k| **k != j) {
            return vec![j.min(k), j.max(k)];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
