//! `checkBlock`: Core's `TestBlockValidity` for a block meant to extend the tip, without
//! storing it. The kernel can only validate by processing (and storing) a block, so this
//! runs the kernel's context-free checks (`Block::check`) and does the contextual ones
//! itself with Core's reject reasons: parent is the tip, proof of work and bits, merkle root,
//! time, BIP34 height, witness commitment, inputs against the coins view (and earlier
//! transactions of the block), coinbase maturity, amounts, finality, BIP68 sequence locks
//! and scripts (the kernel's script interpreter).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::consensus::encode::serialize;
use bitcoin::{Amount, Block, OutPoint, Transaction, TxOut};
use bitcoinkernel::prelude::*;
use interfaces::{BlockCheckOptions, BlockVerdict};

use super::template::next_bits;
use crate::chain::{chain_type, ChainState, Tip};
use crate::mempool::locks::{is_final, sequence_locks_ok};

/// Core's `COINBASE_MATURITY`.
const COINBASE_MATURITY: u32 = 100;
/// Core's `MAX_FUTURE_BLOCK_TIME` (seconds).
const MAX_FUTURE_BLOCK_TIME: u64 = 2 * 60 * 60;

fn invalid(reason: &str, debug: impl Into<String>) -> BlockVerdict {
    BlockVerdict {
        result: false,
        reason: reason.to_string(),
        debug: debug.into(),
    }
}

/// Checks `block` as the next block on the tip, as Core's `checkBlock` does.
pub fn check_block(chain: &ChainState, block: &Block, options: &BlockCheckOptions) -> BlockVerdict {
    let Some(tip) = chain.tip() else {
        return invalid("inconclusive", "the chainstate is closed");
    };
    match check(chain, &tip, block, options) {
        Ok(()) => BlockVerdict {
            result: true,
            ..BlockVerdict::default()
        },
        Err(verdict) => verdict,
    }
}

fn check(
    chain: &ChainState,
    tip: &Tip,
    block: &Block,
    options: &BlockCheckOptions,
) -> Result<(), BlockVerdict> {
    if block.header.prev_blockhash != tip.hash {
        return Err(invalid("inconclusive-not-best-prevblk", ""));
    }
    check_header(chain, tip, block, options)?;
    check_context_free(chain, block)?;
    check_contextual(tip, block)?;
    check_transactions(chain, tip, block)
}

fn check_header(
    chain: &ChainState,
    tip: &Tip,
    block: &Block,
    options: &BlockCheckOptions,
) -> Result<(), BlockVerdict> {
    let header = &block.header;
    if options.check_pow {
        if header.bits.to_consensus() != next_bits(chain, tip, header.time) {
            return Err(invalid("bad-diffbits", "incorrect proof of work"));
        }
        if header.validate_pow(header.target()).is_err() {
            return Err(invalid("high-hash", "proof of work failed"));
        }
    }
    if header.time <= tip.median_time_past {
        return Err(invalid("time-too-old", "block's timestamp is too early"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if u64::from(header.time) > now + MAX_FUTURE_BLOCK_TIME {
        return Err(invalid(
            "time-too-new",
            "block timestamp too far in the future",
        ));
    }
    if options.check_merkle_root {
        if !block.check_merkle_root() {
            return Err(invalid("bad-txnmrklroot", "hashMerkleRoot mismatch"));
        }
        let mut seen = std::collections::HashSet::new();
        if !block.txdata.iter().all(|tx| seen.insert(tx.compute_txid())) {
            return Err(invalid("bad-txns-duplicate", "duplicate transaction"));
        }
    }
    Ok(())
}

/// The kernel's context-free block checks (size, coinbase, transactions, sigops), with the
/// proof-of-work and merkle checks left to [`check_header`].
fn check_context_free(chain: &ChainState, block: &Block) -> Result<(), BlockVerdict> {
    let kernel_block = bitcoinkernel::Block::new(&serialize(block))
        .map_err(|e| invalid("bad-blk-decode", e.to_string()))?;
    let params = bitcoinkernel::ChainParams::new(chain_type(chain.chain()));
    match kernel_block.check(&params, bitcoinkernel::BLOCK_CHECK_BASE) {
        bitcoinkernel::BlockCheckResult::Valid => Ok(()),
        bitcoinkernel::BlockCheckResult::Invalid(state) => Err(invalid(
            &crate::chain::reject_reason(state.result()),
            "context-free block checks failed",
        )),
    }
}

fn check_contextual(tip: &Tip, block: &Block) -> Result<(), BlockVerdict> {
    // Core's BIP34 check: the scriptSig starts with the height as `CScript() << height`.
    let expected = bitcoin::script::Builder::new()
        .push_int(i64::from(tip.height + 1))
        .into_script();
    let script_sig = block.txdata[0]
        .input
        .first()
        .map(|i| i.script_sig.as_bytes());
    if !script_sig.is_some_and(|s| s.starts_with(expected.as_bytes())) {
        return Err(invalid(
            "bad-cb-height",
            "block height mismatch in coinbase",
        ));
    }
    let has_witness = block
        .txdata
        .iter()
        .any(|tx| tx.input.iter().any(|i| !i.witness.is_empty()));
    if has_witness && !block.check_witness_commitment() {
        return Err(invalid(
            "bad-witness-merkle-match",
            "witness merkle commitment mismatch",
        ));
    }
    Ok(())
}

fn check_transactions(chain: &ChainState, tip: &Tip, block: &Block) -> Result<(), BlockVerdict> {
    let (height, mtp) = (tip.height + 1, tip.median_time_past);
    let mut created: HashMap<OutPoint, (TxOut, bool)> = HashMap::new();
    let mut spent = std::collections::HashSet::new();
    let mut fees = Amount::ZERO;
    for (index, tx) in block.txdata.iter().enumerate() {
        if !is_final(tx, i64::from(height), i64::from(mtp)) {
            return Err(invalid("bad-txns-nonfinal", "non-final transaction"));
        }
        if index > 0 {
            fees += check_inputs(chain, tip, tx, &created, &mut spent)?;
        }
        let txid = tx.compute_txid();
        for (vout, output) in (0u32..).zip(&tx.output) {
            created.insert(OutPoint::new(txid, vout), (output.clone(), index == 0));
        }
    }
    let coinbase_out: Amount = block.txdata[0].output.iter().map(|o| o.value).sum();
    let allowed = chain.subsidy(height) + fees;
    if coinbase_out > allowed {
        return Err(invalid(
            "bad-cb-amount",
            format!(
                "coinbase pays too much (actual={} vs limit={})",
                coinbase_out.to_sat(),
                allowed.to_sat()
            ),
        ));
    }
    Ok(())
}

/// Checks one transaction's inputs, BIP68 locks and scripts; returns its fee.
fn check_inputs(
    chain: &ChainState,
    tip: &Tip,
    tx: &Transaction,
    created: &HashMap<OutPoint, (TxOut, bool)>,
    spent: &mut std::collections::HashSet<OutPoint>,
) -> Result<Amount, BlockVerdict> {
    let txid = tx.compute_txid();
    let height = tip.height + 1;
    let mut spent_outputs = Vec::with_capacity(tx.input.len());
    let mut coin_heights = Vec::with_capacity(tx.input.len());
    for input in &tx.input {
        let outpoint = input.previous_output;
        if !spent.insert(outpoint) {
            return Err(invalid(
                "bad-txns-inputs-missingorspent",
                format!("{txid}: input spent twice"),
            ));
        }
        let (output, coinbase, coin_height) = match created.get(&outpoint) {
            Some((output, coinbase)) => (
                output.clone(),
                *coinbase,
                u32::try_from(height).unwrap_or(0),
            ),
            None => match chain.txout(&outpoint) {
                Ok((Some(coin), _)) => (coin.output, coin.coinbase, coin.height),
                _ => {
                    return Err(invalid(
                        "bad-txns-inputs-missingorspent",
                        format!("CheckTxInputs: inputs missing/spent in transaction {txid}"),
                    ))
                }
            },
        };
        if coinbase
            && u32::try_from(height)
                .unwrap_or(0)
                .saturating_sub(coin_height)
                < COINBASE_MATURITY
        {
            return Err(invalid(
                "bad-txns-premature-spend-of-coinbase",
                format!(
                    "tried to spend coinbase at depth {}",
                    u32::try_from(height)
                        .unwrap_or(0)
                        .saturating_sub(coin_height)
                ),
            ));
        }
        spent_outputs.push(output);
        coin_heights.push(Some(coin_height));
    }
    if !sequence_locks_ok(chain, tx, coin_heights.into_iter(), tip) {
        return Err(invalid(
            "bad-txns-nonfinal",
            format!("contains a non-BIP68-final transaction {txid}"),
        ));
    }
    let value_in: Amount = spent_outputs.iter().map(|o| o.value).sum();
    let value_out: Amount = tx.output.iter().map(|o| o.value).sum();
    if value_in < value_out {
        return Err(invalid(
            "bad-txns-in-belowout",
            format!(
                "value in ({}) < value out ({})",
                value_in.to_sat(),
                value_out.to_sat()
            ),
        ));
    }
    crate::chain::script::verify(tx, &spent_outputs).map_err(|failure| {
        invalid(
            "block-script-verify-flag-failed",
            format!("{txid}: {failure}"),
        )
    })?;
    Ok(value_in - value_out)
}
