//! Core's `InferDescriptor` with no keys known: the descriptor `scriptPubKey.desc` shows.

use bitcoin::script::Instruction;
use bitcoin::secp256k1::{self, XOnlyPublicKey};
use bitcoin::{Address, Network, Script};

use super::checksum;
use crate::hex::hex;

fn valid_key(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(2..=4)) && secp256k1::PublicKey::from_slice(bytes).is_ok()
}

fn script_number(instruction: &Instruction<'_>) -> Option<i64> {
    match instruction {
        Instruction::Op(op) if (0x51..=0x60).contains(&op.to_u8()) => {
            Some(i64::from(op.to_u8() - 0x50))
        }
        Instruction::PushBytes(b) => bitcoin::script::read_scriptint(b.as_bytes()).ok(),
        Instruction::Op(_) => None,
    }
}

/// Core's multisig template: threshold, keys, count, `OP_CHECKMULTISIG`.
fn multisig_keys(script: &Script) -> Option<(i64, Vec<&[u8]>)> {
    let ops: Vec<Instruction<'_>> = script.instructions().collect::<Result<_, _>>().ok()?;
    let (last, rest) = ops.split_last()?;
    if *last != Instruction::Op(bitcoin::opcodes::all::OP_CHECKMULTISIG) || rest.len() < 3 {
        return None;
    }
    let threshold = script_number(&rest[0]).filter(|k| (1..=20).contains(k))?;
    let count = script_number(&rest[rest.len() - 1]).filter(|n| (threshold..=20).contains(n))?;
    let keys = rest[1..rest.len() - 1]
        .iter()
        .map(|i| match *i {
            Instruction::PushBytes(b) => {
                Some(b.as_bytes()).filter(|b| b.len() == 33 || b.len() == 65)
            }
            Instruction::Op(_) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    (keys.len() as i64 == count).then_some((threshold, keys))
}

/// Core's `InferDescriptor` with no keys known, with its checksum: `pk()`, `multi()`,
/// `rawtr()`, `addr()` or `raw()`.
pub fn infer(script: &Script, network: Network) -> String {
    let b = script.as_bytes();
    let body = if (b.len() == 35 || b.len() == 67)
        && b.last() == Some(&0xac)
        && usize::from(b[0]) == b.len() - 2
        && valid_key(&b[1..b.len() - 1])
    {
        format!("pk({})", hex(&b[1..b.len() - 1]))
    } else if let Some((k, keys)) =
        multisig_keys(script).filter(|(_, keys)| keys.iter().all(|k| valid_key(k)))
    {
        let keys: Vec<String> = keys.iter().map(|k| hex(k)).collect();
        format!("multi({k},{})", keys.join(","))
    } else if script.is_p2tr() && XOnlyPublicKey::from_slice(&b[2..]).is_ok() {
        format!("rawtr({})", hex(&b[2..]))
    } else if let Some(a) = Address::from_script(script, network)
        .ok()
        .filter(|a| a.script_pubkey() == *script)
    {
        format!("addr({a})")
    } else {
        format!("raw({})", hex(b))
    };
    let sum = checksum(&body).unwrap_or_default();
    format!("{body}#{sum}")
}
