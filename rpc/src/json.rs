//! Blocks, transactions and scripts as Bitcoin Core's RPC shows them.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::script::Instruction;
use bitcoin::{Address, Network, Script, Transaction, TxIn, TxOut};
use serde_json::{json, Map, Value};

use crate::hex::hex;

/// Core's `ScriptToAsmStr`: small pushes as numbers, other pushes as hex, opcodes by name.
pub fn script_asm(script: &Script) -> String {
    asm(script, false)
}

/// Core's `ScriptToAsmStr(script, true)` for input scripts: a push that is a strictly encoded
/// signature shows its sighash type by name (`<sig>[ALL]`).
pub fn script_sig_asm(script: &Script) -> String {
    asm(script, !script.is_op_return() && script.len() <= 10_000)
}

fn asm(script: &Script, sighash_decode: bool) -> String {
    let mut parts = Vec::new();
    for instruction in script.instructions() {
        match instruction {
            Ok(Instruction::PushBytes(bytes)) => {
                let bytes = bytes.as_bytes();
                if bytes.len() <= 4 {
                    parts.push(script_num(bytes).to_string());
                } else if let Some(name) = sighash_decode.then(|| sighash_name(bytes)).flatten() {
                    parts.push(format!("{}[{name}]", hex(&bytes[..bytes.len() - 1])));
                } else {
                    parts.push(hex(bytes));
                }
            }
            Ok(Instruction::Op(op)) => {
                parts.push(op_name(op.to_u8()).unwrap_or_else(|| op.to_string()))
            }
            Err(_) => {
                parts.push("[error]".to_string());
                break;
            }
        }
    }
    parts.join(" ")
}

/// Core's `GetOpName` where it differs from rust-bitcoin's names.
fn op_name(code: u8) -> Option<String> {
    Some(match code {
        0x4f => "-1".to_string(),
        0x51..=0x60 => (code - 0x50).to_string(),
        0xb1 => "OP_CHECKLOCKTIMEVERIFY".to_string(),
        0xb2 => "OP_CHECKSEQUENCEVERIFY".to_string(),
        0xbb..=0xfe => "OP_UNKNOWN".to_string(),
        _ => return None,
    })
}

/// The sighash type's name when `sig` passes Core's `CheckSignatureEncoding` with
/// `SCRIPT_VERIFY_STRICTENC` (strict DER, defined hash type).
fn sighash_name(sig: &[u8]) -> Option<&'static str> {
    if !strict_der(sig) {
        return None;
    }
    Some(match sig.last()? {
        0x01 => "ALL",
        0x02 => "NONE",
        0x03 => "SINGLE",
        0x81 => "ALL|ANYONECANPAY",
        0x82 => "NONE|ANYONECANPAY",
        0x83 => "SINGLE|ANYONECANPAY",
        _ => return None,
    })
}

/// Core's `IsValidSignatureEncoding` (BIP66), the hash type byte included.
fn strict_der(sig: &[u8]) -> bool {
    let len = sig.len();
    if !(9..=73).contains(&len) || sig[0] != 0x30 || usize::from(sig[1]) != len - 3 {
        return false;
    }
    let len_r = usize::from(sig[3]);
    if 5 + len_r >= len {
        return false;
    }
    let len_s = usize::from(sig[5 + len_r]);
    let integer_ok = |at: usize, n: usize| {
        sig[at - 2] == 0x02
            && n != 0
            && sig[at] & 0x80 == 0
            && !(n > 1 && sig[at] == 0 && sig[at + 1] & 0x80 == 0)
    };
    len_r + len_s + 7 == len && integer_ok(4, len_r) && integer_ok(len_r + 6, len_s)
}

fn script_num(bytes: &[u8]) -> i64 {
    let Some((last, _)) = bytes.split_last() else {
        return 0;
    };
    let mut value: i64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        value |= i64::from(*b) << (8 * i);
    }
    if last & 0x80 != 0 {
        let shift = 8 * (bytes.len() - 1) + 7;
        -(value & !(1i64 << shift))
    } else {
        value
    }
}

/// Core's script type names (`TxoutType`).
pub fn script_type(script: &Script) -> &'static str {
    if script.is_p2pkh() {
        "pubkeyhash"
    } else if script.is_p2sh() {
        "scripthash"
    } else if script.is_p2wpkh() {
        "witness_v0_keyhash"
    } else if script.is_p2wsh() {
        "witness_v0_scripthash"
    } else if script.is_p2tr() {
        "witness_v1_taproot"
    } else if script.is_op_return() {
        "nulldata"
    } else if script.is_p2pk() {
        "pubkey"
    } else if script.is_multisig() {
        "multisig"
    } else if script.as_bytes() == [0x51, 0x02, 0x4e, 0x73] {
        "anchor"
    } else if script.is_witness_program() {
        "witness_unknown"
    } else {
        "nonstandard"
    }
}

/// A `scriptPubKey` object as Core's `ScriptToUniv` writes it: `asm`, `desc` (the inferred
/// descriptor), `hex`, `address` when there is one, `type`.
pub fn script_pubkey(script: &Script, network: Network) -> Value {
    let mut object = Map::new();
    object.insert("asm".into(), script_asm(script).into());
    object.insert(
        "desc".into(),
        crate::descriptor::infer(script, network).into(),
    );
    object.insert("hex".into(), hex(script.as_bytes()).into());
    if let Ok(address) = Address::from_script(script, network) {
        object.insert("address".into(), address.to_string().into());
    }
    object.insert("type".into(), script_type(script).into());
    Value::Object(object)
}

/// An amount in BTC as Core prints it (a JSON number with 8 decimals).
pub fn btc(sats: u64) -> Value {
    let text = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A double as UniValue writes it (`std::setprecision(16)`, like `%.16g`): 16 significant
/// digits, trailing zeros dropped, a two-digit exponent when small or large.
pub fn float(value: f64) -> Value {
    let scientific = format!("{value:.15e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return Value::Null;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let trim = |s: &str| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    let text = if !(-4..16).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exponent.abs())
    } else {
        let decimals = usize::try_from(15 - exponent).unwrap_or(0);
        trim(&format!("{value:.decimals$}"))
    };
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn vout(index: usize, out: &TxOut, network: Network) -> Value {
    json!({
        "value": btc(out.value.to_sat()),
        "n": index,
        "scriptPubKey": script_pubkey(&out.script_pubkey, network),
    })
}

/// Core's `TxToUniv` (without prevout details): txid, hash, sizes, vin, vout, hex.
pub fn transaction(tx: &Transaction, network: Network) -> Value {
    Value::Object(tx_to_univ(tx, network, true))
}

/// Core's `TxToUniv` without undo data: `txid`, `hash`, `version`, `size`, `vsize`, `weight`,
/// `locktime`, `vin`, `vout`, and with `include_hex` the serialized transaction as `hex`.
pub fn tx_to_univ(tx: &Transaction, network: Network, include_hex: bool) -> Map<String, Value> {
    let vin: Vec<Value> = tx.input.iter().map(|input| vin(tx, input)).collect();
    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(i, o)| vout(i, o, network))
        .collect();
    let mut object = Map::new();
    object.insert("txid".into(), tx.compute_txid().to_string().into());
    object.insert("hash".into(), tx.compute_wtxid().to_string().into());
    object.insert("version".into(), tx.version.0.into());
    object.insert("size".into(), tx.total_size().into());
    object.insert("vsize".into(), tx.vsize().into());
    object.insert("weight".into(), tx.weight().to_wu().into());
    object.insert("locktime".into(), tx.lock_time.to_consensus_u32().into());
    object.insert("vin".into(), vin.into());
    object.insert("vout".into(), vout.into());
    if include_hex {
        object.insert("hex".into(), serialize_hex(tx).into());
    }
    object
}

fn vin(tx: &Transaction, input: &TxIn) -> Value {
    let mut object = Map::new();
    if tx.is_coinbase() {
        object.insert("coinbase".into(), hex(input.script_sig.as_bytes()).into());
    } else {
        object.insert("txid".into(), input.previous_output.txid.to_string().into());
        object.insert("vout".into(), input.previous_output.vout.into());
        object.insert(
            "scriptSig".into(),
            json!({"asm": script_sig_asm(&input.script_sig), "hex": hex(input.script_sig.as_bytes())}),
        );
    }
    if !input.witness.is_empty() {
        let items: Vec<Value> = input.witness.iter().map(|w| hex(w).into()).collect();
        object.insert("txinwitness".into(), items.into());
    }
    object.insert("sequence".into(), input.sequence.0.into());
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;
    use bitcoin::ScriptBuf;

    #[test]
    fn asm_like_core() {
        let p2pkh =
            ScriptBuf::from_bytes([&[0x76, 0xa9, 0x14][..], &[0xab; 20], &[0x88, 0xac]].concat());
        assert_eq!(
            script_asm(&p2pkh),
            format!(
                "OP_DUP OP_HASH160 {} OP_EQUALVERIFY OP_CHECKSIG",
                "ab".repeat(20)
            )
        );
        // Coinbase-style: height push then OP_0; small numbers as decimals.
        let cb = ScriptBuf::from_bytes(vec![0x02, 0xc8, 0x00, 0x00, 0x51, 0x4f]);
        assert_eq!(script_asm(&cb), "200 0 1 -1");
        assert_eq!(script_num(&[0x81]), -1);
        assert_eq!(script_type(&p2pkh), "pubkeyhash");
    }

    #[test]
    fn signatures_and_opcodes_read_like_core() {
        let sig = "3044022047ac8e878352d3ebbde1c94ce3a10d057c24175747116f8288e5d794d12d482f0220217f36a485cae903c713331d877c1f64677e3622ad4010726870540656fe9dcb01";
        let key = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
        let bytes = [
            vec![0x47],
            parse_hex(sig).expect("sig"),
            vec![0x21],
            parse_hex(key).expect("key"),
        ]
        .concat();
        let script = ScriptBuf::from_bytes(bytes);
        let expected = format!("{}[ALL] {key}", &sig[..sig.len() - 2]);
        assert_eq!(script_sig_asm(&script), expected);
        assert_eq!(script_asm(&script), format!("{sig} {key}"));
        let cltv = ScriptBuf::from_bytes(vec![0x03, 0x40, 0x42, 0x0f, 0xb1, 0x75, 0xb2, 0xbb]);
        assert_eq!(
            script_asm(&cltv),
            "1000000 OP_CHECKLOCKTIMEVERIFY OP_DROP OP_CHECKSEQUENCEVERIFY OP_UNKNOWN"
        );
        assert_eq!(parse_hex(""), None);
        assert_eq!(parse_hex("0aF"), None);
        assert_eq!(parse_hex("0aFf"), Some(vec![0x0a, 0xff]));
    }

    #[test]
    fn doubles_print_like_univalue() {
        let text = |v: f64| float(v).to_string();
        assert_eq!(text(4.656_542_373_906_925e-10), "4.656542373906925e-10");
        assert_eq!(text(1.0), "1");
        assert_eq!(text(0.5), "0.5");
        assert_eq!(text(123_456.789), "123456.789");
        assert_eq!(text(1e-5), "1e-05");
        assert_eq!(text(0.0001), "0.0001");
        assert_eq!(text(1e16), "1e+16");
        assert_eq!(text(2.0 / 3.0), "0.6666666666666666");
    }

    #[test]
    fn amounts_print_with_eight_decimals() {
        assert_eq!(btc(5_000_000_000).to_string(), "50.00000000");
        assert_eq!(btc(1).to_string(), "0.00000001");
    }
}
