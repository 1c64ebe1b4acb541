use bitcoin::bip152::PrefilledTransaction;
use bitcoin::block::Version;
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, CompactTarget, OutPoint, ScriptBuf, Sequence, TxIn,
    TxMerkleNode, TxOut, Txid, Witness,
};

use super::*;

/// A segwit-looking transaction, distinct for each `n`.
fn tx(n: u8) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([n; 32]),
                vout: u32::from(n),
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[vec![n; 3]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1_000 + u64::from(n)),
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

/// A block of a coinbase (with its witness commitment) and `txs`, with a correct merkle root.
fn block(txs: &[Transaction]) -> Block {
    let coinbase = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(vec![0x51, 0x51]),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(50),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    let mut block = Block {
        header: Header {
            version: Version::TWO,
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        },
        txdata: std::iter::once(coinbase)
            .chain(txs.iter().cloned())
            .collect(),
    };
    let root = block.witness_root().expect("transactions");
    let commitment = Block::compute_witness_commitment(&root, &[0u8; 32]);
    let mut script = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
    script.extend_from_slice(commitment.as_byte_array());
    block.txdata[0].output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::from_bytes(script),
    });
    block.header.merkle_root = block.compute_merkle_root().expect("transactions");
    assert!(block.check_merkle_root() && block.check_witness_commitment());
    block
}

fn pool(txs: &[Transaction]) -> Vec<(Wtxid, Arc<Transaction>)> {
    txs.iter()
        .map(|t| (t.compute_wtxid(), Arc::new(t.clone())))
        .collect()
}

fn compact(block: &Block) -> HeaderAndShortIds {
    compact_block(block, 0x1234_5678).expect("a compact block")
}

#[test]
fn a_block_is_rebuilt_from_the_mempool_alone() {
    let txs = [tx(1), tx(2), tx(3)];
    let block = block(&txs);
    let cmpct = compact(&block);
    assert_eq!(
        cmpct.prefilled_txs.len(),
        1,
        "only the coinbase is prefilled"
    );
    assert_eq!(cmpct.short_ids.len(), 3);
    // Unrelated transactions in the pool do not get in the way.
    let mut mempool = pool(&[tx(9), tx(3), tx(1), tx(8), tx(2)]);
    mempool.reverse();
    let partial = PartialBlock::new(&cmpct, &mempool).expect("valid");
    assert_eq!(partial.len(), 4);
    assert_eq!(partial.from_mempool(), 3);
    assert!(partial.missing().is_empty());
    assert_eq!(partial.block_hash(), block.block_hash());
    assert_eq!(partial.fill(Vec::new()), Ok(block));
}

#[test]
fn missing_transactions_are_asked_for_by_index_and_filled_in() {
    let txs = [tx(1), tx(2), tx(3), tx(4)];
    let block = block(&txs);
    let cmpct = compact(&block);
    let partial = PartialBlock::new(&cmpct, &pool(&[tx(1), tx(3)])).expect("valid");
    assert_eq!(partial.missing(), vec![2, 4]);
    assert_eq!(partial.from_mempool(), 2);
    // Too few or too many transactions break the protocol.
    assert!(matches!(
        partial.clone().fill(vec![tx(2)]),
        Err(CompactError::Invalid(_))
    ));
    assert!(matches!(
        partial.clone().fill(vec![tx(2), tx(4), tx(5)]),
        Err(CompactError::Invalid(_))
    ));
    // The right count of wrong transactions does not hash to the header: full block.
    assert!(matches!(
        partial.clone().fill(vec![tx(4), tx(2)]),
        Err(CompactError::Failed(_))
    ));
    assert_eq!(partial.fill(vec![tx(2), tx(4)]), Ok(block));
}

#[test]
fn getblocktxn_indexes_are_checked() {
    let block = block(&[tx(1), tx(2)]);
    let ok = BlockTransactionsRequest {
        block_hash: block.block_hash(),
        indexes: vec![0, 2],
    };
    let answer = block_transactions(&block, &ok).expect("in range");
    assert_eq!(answer.block_hash, block.block_hash());
    assert_eq!(answer.transactions, vec![block.txdata[0].clone(), tx(2)]);
    for bad in [3, u64::MAX] {
        let request = BlockTransactionsRequest {
            block_hash: block.block_hash(),
            indexes: vec![1, bad],
        };
        assert!(matches!(
            block_transactions(&block, &request),
            Err(CompactError::Invalid(_))
        ));
    }
}

#[test]
fn bad_prefilled_indexes_and_sizes_are_protocol_violations() {
    let block = block(&[tx(1), tx(2)]);
    let good = compact(&block);
    // Index 3 in a block of 3 transactions.
    let mut past_end = good.clone();
    past_end.prefilled_txs[0].idx = 3;
    // A second prefilled transaction whose differential index runs past the end.
    let mut second = good.clone();
    second.prefilled_txs.push(PrefilledTransaction {
        idx: u16::MAX,
        tx: tx(2),
    });
    // A null prefilled transaction.
    let mut null = good.clone();
    null.prefilled_txs[0].tx.input.clear();
    null.prefilled_txs[0].tx.output.clear();
    // Nothing at all, and more transactions than a block can hold.
    let mut empty = good.clone();
    empty.short_ids.clear();
    empty.prefilled_txs.clear();
    let mut huge = good.clone();
    huge.short_ids = (0..=MAX_BLOCK_TXS as u64)
        .map(|i| ShortId::from(<[u8; 6]>::try_from(&i.to_le_bytes()[..6]).expect("6 bytes")))
        .collect();
    for (what, cmpct) in [
        ("past the end", past_end),
        ("second past the end", second),
        ("null", null),
        ("empty", empty),
        ("huge", huge),
    ] {
        assert!(
            matches!(
                PartialBlock::new(&cmpct, &[]),
                Err(CompactError::Invalid(_))
            ),
            "{what} is invalid"
        );
    }
    assert!(PartialBlock::new(&good, &[]).is_ok());
}

#[test]
fn short_id_collisions_fall_back_or_ask() {
    let block = block(&[tx(1), tx(2), tx(3)]);
    // Two transactions of the block with one short id: the block is fetched whole.
    let mut colliding = compact(&block);
    colliding.short_ids[2] = colliding.short_ids[0];
    assert!(matches!(
        PartialBlock::new(&colliding, &pool(&[tx(1), tx(2), tx(3)])),
        Err(CompactError::Failed(_))
    ));
    // Two pool entries matching one short id: that transaction is asked for.
    let cmpct = compact(&block);
    let mut mempool = pool(&[tx(1), tx(2), tx(3)]);
    mempool.push((tx(2).compute_wtxid(), Arc::new(tx(7))));
    let partial = PartialBlock::new(&cmpct, &mempool).expect("valid");
    assert_eq!(partial.missing(), vec![2]);
    assert_eq!(partial.from_mempool(), 2);
    assert_eq!(partial.fill(vec![tx(2)]), Ok(block));
}

#[test]
fn a_wrong_transaction_matched_from_the_pool_fails_the_block() {
    let block = block(&[tx(1), tx(2)]);
    let cmpct = compact(&block);
    // A pool entry under tx(2)'s wtxid that is another transaction (as a collision would
    // give): the merkle root does not match, so the full block is needed.
    let mempool = vec![
        (tx(1).compute_wtxid(), Arc::new(tx(1))),
        (tx(2).compute_wtxid(), Arc::new(tx(5))),
    ];
    let partial = PartialBlock::new(&cmpct, &mempool).expect("valid");
    assert!(partial.missing().is_empty());
    assert!(matches!(
        partial.fill(Vec::new()),
        Err(CompactError::Failed(_))
    ));
}

#[test]
fn the_last_three_peers_with_new_blocks_are_high_bandwidth() {
    let mut hb = HighBandwidth::default();
    for peer in 1..=3 {
        assert_eq!(hb.select(peer), Selection::Added { dropped: None });
    }
    // Peer 1 gives another block: it becomes the newest, nothing changes.
    assert_eq!(hb.select(1), Selection::Already);
    assert_eq!(hb.peers().collect::<Vec<_>>(), vec![2, 3, 1]);
    // A fourth peer replaces the oldest.
    assert_eq!(hb.select(4), Selection::Added { dropped: Some(2) });
    hb.remove(3);
    assert_eq!(hb.peers().collect::<Vec<_>>(), vec![1, 4]);
    assert_eq!(hb.select(5), Selection::Added { dropped: None });
}

#[test]
fn a_block_without_transactions_has_no_compact_form() {
    let mut empty = block(&[]);
    empty.txdata.clear();
    assert!(compact_block(&empty, 1).is_none());
}
