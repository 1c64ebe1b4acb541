//! Blocks, transactions and scripts as Bitcoin Core's RPC shows them.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::script::Instruction;
use bitcoin::{Address, Network, Script, Transaction, TxOut};
use serde_json::{json, Map, Value};

/// Core's `ScriptToAsmStr`: small pushes as numbers, other pushes as hex, opcodes by name.
pub fn script_asm(script: &Script) -> String {
    let mut parts = Vec::new();
    for instruction in script.instructions() {
        match instruction {
            Ok(Instruction::PushBytes(bytes)) => {
                let bytes = bytes.as_bytes();
                if bytes.len() <= 4 {
                    parts.push(script_num(bytes).to_string());
                } else {
                    parts.push(hex(bytes));
                }
            }
            Ok(Instruction::Op(op)) => {
                let code = op.to_u8();
                let name = match code {
                    0x4f => "-1".to_string(),
                    0x51..=0x60 => (code - 0x50).to_string(),
                    _ => op.to_string(),
                };
                parts.push(name);
            }
            Err(_) => {
                parts.push("[error]".to_string());
                break;
            }
        }
    }
    parts.join(" ")
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

/// A `scriptPubKey` object (`asm`, `hex`, `address` when there is one, `type`).
pub fn script_pubkey(script: &Script, network: Network) -> Value {
    let mut object = Map::new();
    object.insert("asm".into(), script_asm(script).into());
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

fn vout(index: usize, out: &TxOut, network: Network) -> Value {
    json!({
        "value": btc(out.value.to_sat()),
        "n": index,
        "scriptPubKey": script_pubkey(&out.script_pubkey, network),
    })
}

/// Core's `TxToUniv` (without prevout details): txid, hash, sizes, vin, vout, hex.
pub fn transaction(tx: &Transaction, network: Network) -> Value {
    let vin: Vec<Value> = tx
        .input
        .iter()
        .map(|input| {
            let mut object = Map::new();
            if tx.is_coinbase() {
                object.insert("coinbase".into(), hex(input.script_sig.as_bytes()).into());
            } else {
                object.insert("txid".into(), input.previous_output.txid.to_string().into());
                object.insert("vout".into(), input.previous_output.vout.into());
                object.insert(
                    "scriptSig".into(),
                    json!({"asm": script_asm(&input.script_sig), "hex": hex(input.script_sig.as_bytes())}),
                );
            }
            if !input.witness.is_empty() {
                let items: Vec<Value> = input.witness.iter().map(|w| hex(w).into()).collect();
                object.insert("txinwitness".into(), items.into());
            }
            object.insert("sequence".into(), input.sequence.0.into());
            Value::Object(object)
        })
        .collect();
    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(i, o)| vout(i, o, network))
        .collect();
    json!({
        "txid": tx.compute_txid().to_string(),
        "hash": tx.compute_wtxid().to_string(),
        "version": tx.version.0,
        "size": tx.total_size(),
        "vsize": tx.vsize(),
        "weight": tx.weight().to_wu(),
        "locktime": tx.lock_time.to_consensus_u32(),
        "vin": vin,
        "vout": vout,
        "hex": serialize_hex(tx),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn amounts_print_with_eight_decimals() {
        assert_eq!(btc(5_000_000_000).to_string(), "50.00000000");
        assert_eq!(btc(1).to_string(), "0.00000001");
    }
}
