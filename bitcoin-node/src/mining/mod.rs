//! Block assembly as Bitcoin Core's `BlockAssembler` and `GenerateBlock` do it (`node/miner.cpp`,
//! `rpc/mining.cpp`), as pure functions: the coinbase (BIP34 height, subsidy, BIP141 witness
//! commitment), the block on a tip (merkle root, time, bits) and nonce grinding. The
//! `generate*` RPCs and `ChainState::mine_block` use them.

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::script::Builder;
use bitcoin::{
    absolute, transaction, Amount, Block, CompactTarget, OutPoint, Script, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Witness, WitnessCommitment, WitnessMerkleNode, Wtxid,
};

use crate::chain::tip::Tip;

pub mod check;
#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod conformance_tests;
pub mod merkle;
pub mod service;
pub mod template;

pub use service::{LocalMining, MiningContext, TemplateImpl, TipWatcher};
pub use template::{BlockTx, NoTransactions, Template, TxSource};

/// The coinbase witness's single item (BIP141's witness reserved value), as Core uses it.
pub const WITNESS_RESERVED_VALUE: [u8; 32] = [0; 32];

/// BIP141's commitment header: `OP_RETURN`, a 36-byte push, then `aa21a9ed`.
const COMMITMENT_HEADER: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/// Blocks between difficulty adjustments (the same on every chain).
const DIFFICULTY_ADJUSTMENT_INTERVAL: i32 = 2016;

/// BIP94's bound on the first block of a period: at most this much earlier than its parent.
const MAX_TIMEWARP: u32 = 600;

/// The block version Core's miner starts from (BIP9 top bits, no deployment signalled).
pub(crate) const BLOCK_VERSION: i32 = 0x2000_0000;

/// Whether a block with `txs` needs a witness commitment (BIP141: some input has witness data).
pub fn needs_witness_commitment(txs: &[Transaction]) -> bool {
    txs.iter()
        .any(|tx| tx.input.iter().any(|input| !input.witness.is_empty()))
}

/// The BIP141 witness commitment of a block whose non-coinbase transactions are `txs`: the
/// witness merkle root (the coinbase counted as all zeros) hashed with the reserved value.
pub fn witness_commitment(txs: &[Transaction]) -> WitnessCommitment {
    witness_commitment_of(txs.iter().map(Transaction::compute_wtxid))
}

/// [`witness_commitment`] from the transactions' witness txids.
pub fn witness_commitment_of(wtxids: impl Iterator<Item = Wtxid>) -> WitnessCommitment {
    let leaves = std::iter::once([0; 32])
        .chain(wtxids.map(|w| w.to_byte_array()))
        .collect();
    let (root, _) = merkle::root_and_first_branch(leaves);
    Block::compute_witness_commitment(
        &WitnessMerkleNode::from_byte_array(root),
        &WITNESS_RESERVED_VALUE,
    )
}

/// Core's coinbase for the block at `height`: scriptSig the BIP34 height (with `OP_0` up to
/// height 16, for the 2-byte minimum), sequence `0xfffffffe` and lock time `height - 1`, one
/// output of `value` to `script_pubkey`, and with a `commitment`, the commitment output and
/// the reserved value as the input's witness.
pub fn coinbase(
    height: i32,
    script_pubkey: &Script,
    value: Amount,
    commitment: Option<WitnessCommitment>,
) -> Transaction {
    let mut script_sig = Builder::new().push_int(i64::from(height));
    if height <= 16 {
        script_sig = script_sig.push_opcode(bitcoin::opcodes::OP_0);
    }
    let mut output = vec![TxOut {
        value,
        script_pubkey: script_pubkey.to_owned(),
    }];
    let mut witness = Witness::new();
    if let Some(commitment) = commitment {
        let mut script = COMMITMENT_HEADER.to_vec();
        script.extend_from_slice(commitment.as_byte_array());
        output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        });
        witness.push(WITNESS_RESERVED_VALUE);
    }
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::from_consensus(u32::try_from(height - 1).unwrap_or(0)),
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: script_sig.into_script(),
            sequence: Sequence::ENABLE_LOCKTIME_NO_RBF,
            witness,
        }],
        output,
    }
}

/// Core's `GetMinimumTime` and `UpdateTime`: the later of `now` and the tip's median time
/// past plus one, and at a difficulty adjustment at least the tip's time minus 10 minutes
/// (BIP94's timewarp rule, which Core's miner follows on every chain).
pub fn block_time(tip: &Tip, now: u32) -> u32 {
    let mut min_time = tip.median_time_past.saturating_add(1);
    if (tip.height + 1) % DIFFICULTY_ADJUSTMENT_INTERVAL == 0 {
        min_time = min_time.max(tip.time.saturating_sub(MAX_TIMEWARP));
    }
    min_time.max(now)
}

/// The block on `tip` with `coinbase` and then `txs`, its merkle root computed, time `time`
/// and target `bits`, nonce 0.
pub fn assemble_block(
    tip: &Tip,
    coinbase: Transaction,
    txs: Vec<Transaction>,
    time: u32,
    bits: CompactTarget,
) -> Block {
    let mut txdata = Vec::with_capacity(txs.len() + 1);
    txdata.push(coinbase);
    txdata.extend(txs);
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(BLOCK_VERSION),
            prev_blockhash: tip.hash,
            merkle_root: TxMerkleNode::all_zeros(),
            time,
            bits,
            nonce: 0,
        },
        txdata,
    };
    block.header.merkle_root = block
        .compute_merkle_root()
        .unwrap_or_else(TxMerkleNode::all_zeros);
    block
}

/// How grinding ended (Core's `GenerateBlock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grind {
    /// The header now meets its target.
    Found,
    /// The tries ran out.
    OutOfTries,
    /// Every nonce was tried: build a new block (a later time) and go on.
    NonceSpaceExhausted,
}

/// Increments `header.nonce` until the header meets its target, spending `max_tries` as
/// Core does: one try per nonce that failed, and running out is failure even on a last hit.
pub fn grind(header: &mut Header, max_tries: &mut u64) -> Grind {
    let target = header.target();
    while *max_tries > 0 && header.nonce < u32::MAX && header.validate_pow(target).is_err() {
        header.nonce += 1;
        *max_tries -= 1;
    }
    if *max_tries == 0 {
        Grind::OutOfTries
    } else if header.nonce == u32::MAX {
        Grind::NonceSpaceExhausted
    } else {
        Grind::Found
    }
}

/// A one-input transaction for tests (spending a made-up outpoint tagged `tag`), with a
/// witness if asked.
#[cfg(test)]
pub(crate) fn test_spend(tag: u8, witness: bool) -> Transaction {
    let mut input = TxIn {
        previous_output: OutPoint::new(bitcoin::Txid::from_byte_array([tag; 32]), 0),
        ..TxIn::default()
    };
    if witness {
        input.witness.push([0x51]);
    }
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![input],
        output: vec![TxOut {
            value: Amount::from_sat(1000),
            script_pubkey: ScriptBuf::new_op_return([tag]),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::BlockHash;

    const REGTEST_BITS: u32 = 0x207f_ffff;

    fn tip(height: i32) -> Tip {
        Tip {
            height,
            hash: BlockHash::all_zeros(),
            time: 1_700_000_000,
            median_time_past: 1_699_999_000,
            bits: REGTEST_BITS,
        }
    }

    #[test]
    fn coinbase_carries_the_bip34_height() {
        for height in [1, 16, 17, 200, 70_000] {
            let cb = coinbase(height, Script::new(), Amount::ONE_BTC, None);
            assert!(cb.is_coinbase());
            let block = assemble_block(
                &tip(height - 1),
                cb.clone(),
                vec![],
                1,
                CompactTarget::from_consensus(REGTEST_BITS),
            );
            if height > 16 {
                assert_eq!(block.bip34_block_height().ok(), u64::try_from(height).ok());
            }
            assert!(
                cb.input[0].script_sig.len() >= 2,
                "bad-cb-length at {height}"
            );
            assert_eq!(cb.lock_time.to_consensus_u32(), (height - 1) as u32);
            assert_eq!(cb.input[0].sequence.0, 0xffff_fffe);
            assert_eq!(cb.output.len(), 1);
        }
        let cb = coinbase(5, Script::new(), Amount::ONE_BTC, None);
        assert_eq!(cb.input[0].script_sig.as_bytes(), &[0x55, 0x00]);
    }

    #[test]
    fn merkle_root_covers_every_transaction() {
        let cb = coinbase(1, Script::new(), Amount::ONE_BTC, None);
        let block = assemble_block(
            &tip(0),
            cb.clone(),
            vec![test_spend(7, false)],
            7,
            CompactTarget::from_consensus(REGTEST_BITS),
        );
        assert!(block.check_merkle_root());
        assert_eq!(block.txdata.len(), 2);
        let alone = assemble_block(
            &tip(0),
            cb.clone(),
            vec![],
            7,
            CompactTarget::from_consensus(REGTEST_BITS),
        );
        assert_eq!(
            alone.header.merkle_root.to_byte_array(),
            cb.compute_txid().to_byte_array()
        );
        assert_ne!(alone.header.merkle_root, block.header.merkle_root);
    }

    #[test]
    fn witness_commitment_with_a_segwit_spend() {
        let txs = vec![test_spend(7, true), test_spend(8, false)];
        assert!(needs_witness_commitment(&txs));
        assert!(!needs_witness_commitment(&txs[1..]));
        let commitment = witness_commitment(&txs);
        let cb = coinbase(300, Script::new(), Amount::ONE_BTC, Some(commitment));
        assert_eq!(cb.output.len(), 2);
        assert_eq!(
            cb.output[1].script_pubkey.as_bytes()[..6],
            COMMITMENT_HEADER
        );
        assert_eq!(cb.input[0].witness.len(), 1);
        let block = assemble_block(
            &tip(299),
            cb,
            txs.clone(),
            7,
            CompactTarget::from_consensus(REGTEST_BITS),
        );
        assert!(block.check_witness_commitment());
        assert!(block.check_merkle_root());
        // Without the commitment the block is not valid.
        let bare = coinbase(300, Script::new(), Amount::ONE_BTC, None);
        assert!(!assemble_block(
            &tip(299),
            bare,
            txs,
            7,
            CompactTarget::from_consensus(REGTEST_BITS)
        )
        .check_witness_commitment());
    }

    #[test]
    fn time_and_grinding_like_core() {
        let t = tip(10);
        assert_eq!(block_time(&t, 5), t.median_time_past + 1);
        assert_eq!(block_time(&t, 1_800_000_000), 1_800_000_000);
        let mut late = tip(2015);
        late.median_time_past = 1;
        assert_eq!(block_time(&late, 5), late.time - MAX_TIMEWARP);
        let cb = coinbase(11, Script::new(), Amount::ONE_BTC, None);
        let mut block = assemble_block(
            &t,
            cb,
            vec![],
            7,
            CompactTarget::from_consensus(REGTEST_BITS),
        );
        let mut tries = 1_000_000;
        assert_eq!(grind(&mut block.header, &mut tries), Grind::Found);
        assert!(block.header.validate_pow(block.header.target()).is_ok());
        let mut none = 0;
        assert_eq!(grind(&mut block.header, &mut none), Grind::OutOfTries);
        let mut hard = block.header;
        hard.bits = CompactTarget::from_consensus(0x1d00_ffff);
        hard.nonce = u32::MAX - 1;
        let mut tries = 10;
        assert_eq!(grind(&mut hard, &mut tries), Grind::NonceSpaceExhausted);
    }
}
