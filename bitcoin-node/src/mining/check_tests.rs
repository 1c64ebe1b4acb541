//! `checkBlock`'s verdicts with Core's reject reasons, on a real regtest chainstate.

use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction,
    TxIn, TxOut, Witness,
};
use interfaces::{BlockCheckOptions, BlockCreateOptions, BlockVerdict};

use super::check::check_block;
use super::template::{self, DEFAULT_BLOCK_MIN_TX_FEE};
use super::NoTransactions;
use crate::chain::ChainState;

const NO_POW: BlockCheckOptions = BlockCheckOptions {
    check_merkle_root: true,
    check_pow: false,
};

fn template_block(chain: &ChainState) -> Block {
    let script = ScriptBuf::from_bytes(vec![0x51]);
    template::create(
        chain,
        &NoTransactions,
        &BlockCreateOptions::default(),
        DEFAULT_BLOCK_MIN_TX_FEE,
        &script,
    )
    .expect("template")
    .block()
}

fn fix_merkle_root(block: &mut Block) {
    block.header.merkle_root = block.compute_merkle_root().expect("root");
}

#[track_caller]
fn reason(verdict: BlockVerdict) -> String {
    assert!(!verdict.result, "unexpectedly valid");
    verdict.reason
}

fn spend(outpoint: OutPoint, value: Amount) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: outpoint,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value,
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
    }
}

/// A template block with `tx` after the coinbase, its witness commitment and merkle root
/// recomputed.
fn with_tx(chain: &ChainState, tx: Transaction) -> Block {
    let mut block = template_block(chain);
    block.txdata.push(tx);
    let commitment = super::witness_commitment(&block.txdata[1..]);
    let rebuilt = super::coinbase(
        chain.tip().expect("tip").height + 1,
        &block.txdata[0].output[0].script_pubkey,
        block.txdata[0].output[0].value,
        Some(commitment),
    );
    block.txdata[0] = rebuilt;
    fix_merkle_root(&mut block);
    block
}

/// A regtest chain of 102 blocks: block 1 pays to `OP_0` (no script can spend it), the
/// others to `OP_TRUE`.
fn setup(dir: &tempfile::TempDir) -> Arc<ChainState> {
    let chain = Arc::new(ChainState::open(dir.path(), common::Chain::Regtest).expect("opens"));
    let unspendable = ScriptBuf::from_bytes(vec![0x00]);
    chain
        .mine_block(&unspendable, 1_000_000)
        .expect("mines")
        .expect("nonce");
    let spendable = ScriptBuf::from_bytes(vec![0x51]);
    for _ in 0..101 {
        chain
            .mine_block(&spendable, 1_000_000)
            .expect("mines")
            .expect("nonce");
    }
    chain
}

/// The coinbase output of the active chain's block at `height` and its value.
fn coinbase_at(chain: &ChainState, height: i32) -> (OutPoint, Amount) {
    let hash = chain.block_hash_at(height).expect("in the chain");
    let block = chain.block(&hash).expect("stored");
    (
        OutPoint::new(block.txdata[0].compute_txid(), 0),
        block.txdata[0].output[0].value,
    )
}

#[test]
fn header_and_coinbase_verdicts_use_cores_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chain = setup(&dir);
    let valid = template_block(&chain);
    assert!(check_block(&chain, &valid, &NO_POW).result);
    // Regtest's target is met by about every other nonce: take one that misses it.
    let mut weak = valid.clone();
    while weak.header.validate_pow(weak.header.target()).is_ok() {
        weak.header.nonce += 1;
    }
    assert_eq!(
        reason(check_block(&chain, &weak, &BlockCheckOptions::default())),
        "high-hash"
    );

    let mut stale = valid.clone();
    stale.header.prev_blockhash = BlockHash::all_zeros();
    assert_eq!(
        reason(check_block(&chain, &stale, &NO_POW)),
        "inconclusive-not-best-prevblk"
    );

    let mut bad_root = valid.clone();
    bad_root.header.merkle_root = bitcoin::TxMerkleNode::all_zeros();
    assert_eq!(
        reason(check_block(&chain, &bad_root, &NO_POW)),
        "bad-txnmrklroot"
    );
    let unchecked_root = BlockCheckOptions {
        check_merkle_root: false,
        check_pow: false,
    };
    assert!(check_block(&chain, &bad_root, &unchecked_root).result);

    let mut old: Block = valid.clone();
    old.header = Header {
        time: 1,
        ..old.header
    };
    assert_eq!(reason(check_block(&chain, &old, &NO_POW)), "time-too-old");

    let mut greedy = valid.clone();
    greedy.txdata[0].output[0].value += Amount::from_sat(1);
    fix_merkle_root(&mut greedy);
    assert_eq!(
        reason(check_block(&chain, &greedy, &NO_POW)),
        "bad-cb-amount"
    );

    let mut wrong_height = valid.clone();
    wrong_height.txdata[0].input[0].script_sig = ScriptBuf::from_bytes(vec![0x01, 0x07, 0x00]);
    fix_merkle_root(&mut wrong_height);
    assert_eq!(
        reason(check_block(&chain, &wrong_height, &NO_POW)),
        "bad-cb-height"
    );

    chain.close();
}

#[test]
fn transaction_verdicts_use_cores_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chain = setup(&dir);
    let missing = spend(
        OutPoint::new(bitcoin::Txid::all_zeros(), 5),
        Amount::ONE_BTC,
    );
    assert_eq!(
        reason(check_block(&chain, &with_tx(&chain, missing), &NO_POW)),
        "bad-txns-inputs-missingorspent"
    );
    // At height 103, block 2's coinbase is 101 deep (mature), the tip's 1 deep.
    let tip = chain.tip().expect("tip");
    assert_eq!(tip.height + 1, 103);
    let (young, young_value) = coinbase_at(&chain, 2);
    assert!(check_block(&chain, &with_tx(&chain, spend(young, young_value)), &NO_POW).result);
    let (fresh, fresh_value) = coinbase_at(&chain, tip.height);
    assert_eq!(
        reason(check_block(
            &chain,
            &with_tx(&chain, spend(fresh, fresh_value)),
            &NO_POW
        )),
        "bad-txns-premature-spend-of-coinbase"
    );
    let (mature, mature_value) = coinbase_at(&chain, 1);
    let overspend = spend(mature, mature_value + Amount::ONE_SAT);
    assert_eq!(
        reason(check_block(&chain, &with_tx(&chain, overspend), &NO_POW)),
        "bad-txns-in-belowout"
    );
    let bad_script = spend(mature, mature_value);
    assert_eq!(
        reason(check_block(&chain, &with_tx(&chain, bad_script), &NO_POW)),
        "block-script-verify-flag-failed"
    );
    // BIP68: an input locked for 200 blocks after its coin (version 2).
    let mut locked = spend(young, young_value);
    locked.input[0].sequence = Sequence::from_height(200);
    assert_eq!(
        reason(check_block(
            &chain,
            &with_tx(&chain, locked.clone()),
            &NO_POW
        )),
        "bad-txns-nonfinal"
    );
    locked.input[0].sequence = Sequence::from_height(101);
    assert!(check_block(&chain, &with_tx(&chain, locked), &NO_POW).result);
    let mut non_final = spend(young, young_value);
    non_final.lock_time = absolute::LockTime::from_consensus(500);
    non_final.input[0].sequence = Sequence::ENABLE_LOCKTIME_NO_RBF;
    assert_eq!(
        reason(check_block(&chain, &with_tx(&chain, non_final), &NO_POW)),
        "bad-txns-nonfinal"
    );
    chain.close();
}
