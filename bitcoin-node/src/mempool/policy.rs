//! Standardness (Core's `src/policy/policy.cpp` as of v30): `IsStandardTx`, dust,
//! `AreInputsStandard`, `IsWitnessStandard`, sigop cost and virtual size, and the
//! context-free `CheckTransaction` of consensus. Each failure is a [`Rejected`] with Core's
//! reason (and detail where Core gives one).

use std::collections::HashSet;

use bitcoin::script::Instruction;
use bitcoin::{Amount, Script, Transaction, TxOut};

use super::Rejected;

/// Core's `MAX_STANDARD_TX_WEIGHT`.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// Core's `MIN_STANDARD_TX_NONWITNESS_SIZE`.
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;
/// Core's `MAX_STANDARD_TX_SIGOPS_COST`.
pub const MAX_STANDARD_TX_SIGOPS_COST: u64 = 16_000;
/// Core's `MAX_STANDARD_SCRIPTSIG_SIZE`.
const MAX_STANDARD_SCRIPTSIG_SIZE: usize = 1650;
/// Core's `MAX_P2SH_SIGOPS`.
const MAX_P2SH_SIGOPS: usize = 15;
/// Core's `MAX_STANDARD_P2WSH_SCRIPT_SIZE`, `_STACK_ITEMS`, `_STACK_ITEM_SIZE`.
const MAX_P2WSH_SCRIPT: usize = 3600;
const MAX_P2WSH_STACK_ITEMS: usize = 100;
const MAX_P2WSH_STACK_ITEM_SIZE: usize = 80;
/// Core's `MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE`.
const MAX_TAPSCRIPT_STACK_ITEM_SIZE: usize = 80;
/// Core's `DEFAULT_BYTES_PER_SIGOP`.
pub const BYTES_PER_SIGOP: u64 = 20;
/// Consensus `MAX_BLOCK_WEIGHT`.
const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Consensus `MAX_MONEY`.
const MAX_MONEY: u64 = 21_000_000 * 100_000_000;

/// What [`is_standard_tx`] needs to know of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct StandardOptions {
    /// `-datacarriersize` (`None` with `-datacarrier=0`): total bytes of OP_RETURN outputs.
    pub max_datacarrier_bytes: Option<usize>,
    /// `-permitbaremultisig`.
    pub permit_bare_multisig: bool,
    /// `-dustrelayfee` (sat/kvB).
    pub dust_relay_fee: u64,
}

/// Core's `CFeeRate::GetFee`: `rate` sat/kvB for `vsize` vbytes (at least 1 sat when the rate
/// is positive).
pub fn fee_for(rate: u64, vsize: u64) -> u64 {
    let fee = rate.saturating_mul(vsize) / 1000;
    if fee == 0 && vsize != 0 && rate > 0 {
        1
    } else {
        fee
    }
}

/// Core's `GetVirtualTransactionSize`: weight or sigop cost, whichever is larger, in vbytes.
pub fn virtual_size(weight: u64, sigops: u64) -> u64 {
    weight.max(sigops * BYTES_PER_SIGOP).div_ceil(4)
}

fn is_reject(reason: &str) -> Rejected {
    Rejected::new(reason)
}

/// Consensus `CheckTransaction` (context-free).
pub fn check_transaction(tx: &Transaction) -> Result<(), Rejected> {
    if tx.input.is_empty() {
        return Err(Rejected::consensus("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(Rejected::consensus("bad-txns-vout-empty"));
    }
    if bitcoin::consensus::encode::serialize(&strip(tx)).len() as u64 * 4 > MAX_BLOCK_WEIGHT {
        return Err(Rejected::consensus("bad-txns-oversize"));
    }
    let mut total: u64 = 0;
    for out in &tx.output {
        if out.value.to_sat() > MAX_MONEY {
            return Err(Rejected::consensus("bad-txns-vout-toolarge"));
        }
        total += out.value.to_sat();
        if total > MAX_MONEY {
            return Err(Rejected::consensus("bad-txns-txouttotal-toolarge"));
        }
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    for input in &tx.input {
        if !seen.insert(input.previous_output) {
            return Err(Rejected::consensus("bad-txns-inputs-duplicate"));
        }
    }
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(Rejected::consensus("bad-cb-length"));
        }
    } else if tx.input.iter().any(|i| i.previous_output.is_null()) {
        return Err(Rejected::consensus("bad-txns-prevout-null"));
    }
    Ok(())
}

/// `tx` without witnesses.
fn strip(tx: &Transaction) -> Transaction {
    let mut stripped = tx.clone();
    for input in &mut stripped.input {
        input.witness.clear();
    }
    stripped
}

/// The size of `tx` serialized without witnesses.
pub fn stripped_size(tx: &Transaction) -> usize {
    tx.base_size()
}

/// Core's `TxoutType` as far as policy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// Not standard.
    NonStandard,
    /// Pay to public key.
    PubKey,
    /// Pay to public key hash.
    PubKeyHash,
    /// Pay to script hash.
    ScriptHash,
    /// Bare multisig with m of n keys.
    Multisig(u8, u8),
    /// OP_RETURN followed by pushes.
    NullData,
    /// Witness v0 key hash.
    WitnessV0KeyHash,
    /// Witness v0 script hash.
    WitnessV0ScriptHash,
    /// Witness v1 taproot.
    WitnessV1Taproot,
    /// Pay to anchor.
    Anchor,
    /// A witness program of an unknown version or length.
    WitnessUnknown,
}

fn small_int(op: u8) -> Option<u8> {
    (0x51..=0x60).contains(&op).then(|| op - 0x50)
}

fn multisig(script: &Script) -> Option<(u8, u8)> {
    let bytes = script.as_bytes();
    let m = small_int(*bytes.first()?)?;
    if bytes.last() != Some(&0xae) || bytes.len() < 3 {
        return None;
    }
    let n = small_int(bytes[bytes.len() - 2])?;
    let mut keys = 0u8;
    for (i, ins) in script.instructions().enumerate() {
        let ins = ins.ok()?;
        if i == 0 {
            continue;
        }
        match ins {
            Instruction::PushBytes(p) if matches!(p.len(), 33 | 65) => keys += 1,
            Instruction::Op(_) => break,
            Instruction::PushBytes(_) => return None,
        }
    }
    (keys == n && m <= n && 1 + usize::from(n) + 2 == script.instructions().count())
        .then_some((m, n))
}

/// Core's `Solver`, reduced to the types policy distinguishes.
pub fn output_type(script: &Script) -> OutputType {
    let bytes = script.as_bytes();
    if bytes == [0x51, 0x02, 0x4e, 0x73] {
        OutputType::Anchor
    } else if script.is_p2sh() {
        OutputType::ScriptHash
    } else if script.is_p2wpkh() {
        OutputType::WitnessV0KeyHash
    } else if script.is_p2wsh() {
        OutputType::WitnessV0ScriptHash
    } else if script.is_p2tr() {
        OutputType::WitnessV1Taproot
    } else if script.is_witness_program() {
        if bytes[0] == 0 {
            OutputType::NonStandard
        } else {
            OutputType::WitnessUnknown
        }
    } else if script.is_op_return() && Script::from_bytes(&bytes[1..]).is_push_only() {
        OutputType::NullData
    } else if script.is_p2pk() {
        OutputType::PubKey
    } else if script.is_p2pkh() {
        OutputType::PubKeyHash
    } else if let Some((m, n)) = multisig(script) {
        OutputType::Multisig(m, n)
    } else {
        OutputType::NonStandard
    }
}

/// Core's `GetDustThreshold`: the value below which spending `out` costs more than it is
/// worth at `dust_relay_fee`.
pub fn dust_threshold(out: &TxOut, dust_relay_fee: u64) -> u64 {
    if out.script_pubkey.is_op_return() || out.script_pubkey.len() > 10_000 {
        return 0;
    }
    let mut size = bitcoin::consensus::encode::serialize(out).len() as u64;
    size += if out.script_pubkey.is_witness_program() {
        32 + 4 + 1 + (107 / 4) + 4
    } else {
        32 + 4 + 1 + 107 + 4
    };
    fee_for(dust_relay_fee, size)
}

/// Whether `out` is dust.
pub fn is_dust(out: &TxOut, dust_relay_fee: u64) -> bool {
    out.value.to_sat() < dust_threshold(out, dust_relay_fee)
}

/// Core's `IsStandardTx` (v30: several OP_RETURN outputs, at most
/// `-datacarriersize` bytes in all; at most one dust output, which [`check_ephemeral`]
/// then requires to be in a zero-fee transaction).
pub fn is_standard_tx(tx: &Transaction, opts: &StandardOptions) -> Result<(), Rejected> {
    if !(1..=3).contains(&tx.version.0) {
        return Err(is_reject("version"));
    }
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err(is_reject("tx-size"));
    }
    for input in &tx.input {
        if input.script_sig.len() > MAX_STANDARD_SCRIPTSIG_SIZE {
            return Err(is_reject("scriptsig-size"));
        }
        if !input.script_sig.is_push_only() {
            return Err(is_reject("scriptsig-not-pushonly"));
        }
    }
    let mut datacarrier_left = opts.max_datacarrier_bytes.unwrap_or(0);
    let mut dust = 0;
    for out in &tx.output {
        match output_type(&out.script_pubkey) {
            OutputType::NonStandard => return Err(is_reject("scriptpubkey")),
            OutputType::Multisig(m, n) if !(1..=3).contains(&n) || m < 1 => {
                return Err(is_reject("scriptpubkey"))
            }
            OutputType::NullData => {
                let len = out.script_pubkey.len();
                if len > datacarrier_left {
                    return Err(is_reject("datacarrier"));
                }
                datacarrier_left -= len;
            }
            OutputType::Multisig(..) if !opts.permit_bare_multisig => {
                return Err(is_reject("bare-multisig"))
            }
            _ => {}
        }
        if is_dust(out, opts.dust_relay_fee) {
            dust += 1;
        }
    }
    if dust > 1 {
        return Err(is_reject("dust"));
    }
    Ok(())
}

/// Core's `PreCheckEphemeralTx`: a transaction with a dust output must pay no fee.
pub fn check_ephemeral(
    tx: &Transaction,
    fee: i64,
    modified: i64,
    dust_relay_fee: u64,
) -> Result<(), Rejected> {
    if tx.output.iter().any(|o| is_dust(o, dust_relay_fee)) && (fee != 0 || modified != 0) {
        return Err(Rejected::with_detail(
            "dust",
            "tx with dust output must be 0-fee",
        ));
    }
    Ok(())
}

/// The last push of a push-only script (the redeem script of a P2SH spend).
fn last_push(script: &Script) -> Option<Vec<u8>> {
    let mut last = None;
    for ins in script.instructions() {
        match ins.ok()? {
            Instruction::PushBytes(p) => last = Some(p.as_bytes().to_vec()),
            Instruction::Op(op) => {
                let code = op.to_u8();
                // OP_0 is a push of nothing; OP_1NEGATE and OP_1..OP_16 push small numbers.
                last = Some(match code {
                    0x4f => vec![0x81],
                    0x51..=0x60 => vec![code - 0x50],
                    _ => return None,
                });
            }
        }
    }
    last
}

/// Core's `MAX_TX_LEGACY_SIGOPS` (v30, BIP54's limit as policy).
pub const MAX_TX_LEGACY_SIGOPS: usize = 2500;

/// Core's `CheckSigopsBIP54`: the sigops in scriptSigs, spent scriptPubKeys and P2SH redeem
/// scripts (accurately counted) are at most 2,500.
fn legacy_sigops_ok(tx: &Transaction, spent: &[TxOut]) -> bool {
    let mut sigops = 0usize;
    for (input, prev) in tx.input.iter().zip(spent) {
        sigops += input.script_sig.count_sigops();
        sigops += if prev.script_pubkey.is_p2sh() {
            match (
                input.script_sig.is_push_only(),
                last_push(&input.script_sig),
            ) {
                (true, Some(redeem)) => Script::from_bytes(&redeem).count_sigops(),
                _ => 0,
            }
        } else {
            prev.script_pubkey.count_sigops()
        };
        if sigops > MAX_TX_LEGACY_SIGOPS {
            return false;
        }
    }
    true
}

/// Core's `AreInputsStandard`: at most 2,500 legacy sigops, every spent output is of a
/// standard type, and a P2SH redeem script has at most 15 sigops.
pub fn are_inputs_standard(tx: &Transaction, spent: &[TxOut]) -> Result<(), Rejected> {
    if !legacy_sigops_ok(tx, spent) {
        return Err(Rejected::new("bad-txns-nonstandard-inputs"));
    }
    for (input, prev) in tx.input.iter().zip(spent) {
        match output_type(&prev.script_pubkey) {
            OutputType::NonStandard | OutputType::WitnessUnknown => {
                return Err(Rejected::new("bad-txns-nonstandard-inputs"))
            }
            OutputType::ScriptHash => {
                let Some(redeem) = last_push(&input.script_sig) else {
                    return Err(Rejected::new("bad-txns-nonstandard-inputs"));
                };
                if Script::from_bytes(&redeem).count_sigops() > MAX_P2SH_SIGOPS {
                    return Err(Rejected::new("bad-txns-nonstandard-inputs"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Core's `IsWitnessStandard`.
pub fn is_witness_standard(tx: &Transaction, spent: &[TxOut]) -> bool {
    for (input, prev) in tx.input.iter().zip(spent) {
        if input.witness.is_empty() {
            continue;
        }
        let mut program = prev.script_pubkey.clone();
        if program.is_p2sh() {
            let Some(redeem) = last_push(&input.script_sig) else {
                return false;
            };
            program = bitcoin::ScriptBuf::from_bytes(redeem);
        }
        if output_type(&prev.script_pubkey) == OutputType::Anchor {
            return false;
        }
        if !program.is_witness_program() {
            return false;
        }
        let items: Vec<&[u8]> = input.witness.iter().collect();
        if program.is_p2wsh() {
            let Some((script, stack)) = items.split_last() else {
                return false;
            };
            if script.len() > MAX_P2WSH_SCRIPT
                || stack.len() > MAX_P2WSH_STACK_ITEMS
                || stack.iter().any(|i| i.len() > MAX_P2WSH_STACK_ITEM_SIZE)
            {
                return false;
            }
        }
        if program.is_p2tr() && !prev.script_pubkey.is_p2sh() {
            let mut items = items.as_slice();
            if items.len() >= 2 && items.last().is_some_and(|a| a.first() == Some(&0x50)) {
                // An annex is not standard.
                return false;
            }
            if items.len() >= 2 {
                let control = items[items.len() - 1];
                items = &items[..items.len() - 2];
                if control.first().is_some_and(|c| c & 0xfe == 0xc0)
                    && items
                        .iter()
                        .any(|i| i.len() > MAX_TAPSCRIPT_STACK_ITEM_SIZE)
                {
                    return false;
                }
            }
        }
    }
    true
}

/// Core's `GetTransactionSigOpCost` with the spent outputs known.
pub fn sigop_cost(tx: &Transaction, spent: &[TxOut]) -> u64 {
    let mut legacy = 0usize;
    for input in &tx.input {
        legacy += input.script_sig.count_sigops_legacy();
    }
    for out in &tx.output {
        legacy += out.script_pubkey.count_sigops_legacy();
    }
    let mut cost = legacy as u64 * 4;
    if tx.is_coinbase() {
        return cost;
    }
    for (input, prev) in tx.input.iter().zip(spent) {
        let mut program = prev.script_pubkey.clone();
        if prev.script_pubkey.is_p2sh() {
            if let Some(redeem) = last_push(&input.script_sig) {
                let redeem = bitcoin::ScriptBuf::from_bytes(redeem);
                cost += redeem.count_sigops() as u64 * 4;
                program = redeem;
            }
        }
        if program.is_p2wpkh() {
            cost += 1;
        } else if program.is_p2wsh() {
            if let Some(script) = input.witness.last() {
                cost += Script::from_bytes(script).count_sigops() as u64;
            }
        }
    }
    cost
}

/// The total value of unspendable outputs (for `sendrawtransaction`'s `maxburnamount`).
pub fn burned(tx: &Transaction) -> Amount {
    tx.output
        .iter()
        .filter(|o| o.script_pubkey.is_op_return() || o.script_pubkey.len() > 10_000)
        .map(|o| o.value)
        .sum()
}
