//! The coins database on its own: connect/disconnect round trips, reopening between blocks,
//! and the rules of what enters the view.

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Witness,
};
use redb::ReadableTable;

use super::store::COINS;
use super::{BestBlock, CoinsError, CoinsView};

fn output(sats: u64, tag: u8) -> TxOut {
    TxOut {
        value: Amount::from_sat(sats),
        script_pubkey: ScriptBuf::from_bytes(vec![0x51, tag]),
    }
}

fn tx(inputs: Vec<OutPoint>, outputs: Vec<TxOut>) -> Transaction {
    let coinbase = inputs.is_empty();
    let input = if coinbase {
        vec![OutPoint::null()]
    } else {
        inputs
    };
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: input
            .into_iter()
            .map(|previous_output| TxIn {
                previous_output,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

fn block(prev: BlockHash, nonce: u32, txdata: Vec<Transaction>) -> Block {
    Block {
        header: Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce,
        },
        txdata,
    }
}

/// A chain of `n` blocks after genesis, each with a coinbase paying 50 to script `tag`.
fn chain(n: u32, tag: u8) -> Vec<Block> {
    let mut blocks = vec![block(
        BlockHash::all_zeros(),
        0,
        vec![tx(vec![], vec![output(50, 0)])],
    )];
    for height in 1..=n {
        let prev = blocks[blocks.len() - 1].block_hash();
        let coinbase = tx(
            vec![],
            vec![output(50, tag), output(u64::from(height), tag)],
        );
        blocks.push(block(prev, height + u32::from(tag) * 1000, vec![coinbase]));
    }
    blocks
}

fn connect_all(view: &CoinsView, blocks: &[Block], from: u32) {
    for (height, b) in (from..).zip(blocks) {
        view.connect(&[(b, height)]).expect("connects");
    }
}

fn dump(view: &CoinsView) -> Vec<(Vec<u8>, Vec<u8>)> {
    let txn = view.db.begin_read().expect("read");
    let table = txn.open_table(COINS).expect("table");
    let entries = table.iter().expect("iter");
    entries
        .map(|e| {
            let (k, v) = e.expect("entry");
            (k.value().to_vec(), v.value().to_vec())
        })
        .collect()
}

fn open(dir: &tempfile::TempDir) -> CoinsView {
    CoinsView::open(&dir.path().join("coins/coins.redb")).expect("opens")
}

#[test]
fn genesis_adds_nothing_and_coinbases_are_kept_with_height() {
    let dir = tempfile::tempdir().expect("tempdir");
    let view = open(&dir);
    assert_eq!(view.best_block().expect("best"), None);
    let blocks = chain(3, 1);
    connect_all(&view, &blocks, 0);
    assert_eq!(
        view.len().expect("len"),
        6,
        "two outputs per block after genesis"
    );
    let genesis_coinbase = OutPoint::new(blocks[0].txdata[0].compute_txid(), 0);
    assert_eq!(view.coin(&genesis_coinbase).expect("read").0, None);
    let (coin, best) = view
        .coin(&OutPoint::new(blocks[2].txdata[0].compute_txid(), 1))
        .expect("read");
    let coin = coin.expect("unspent");
    assert_eq!(
        (coin.height, coin.coinbase, coin.output.value.to_sat()),
        (2, true, 2)
    );
    assert_eq!(
        best,
        Some(BestBlock {
            hash: blocks[3].block_hash(),
            height: 3
        })
    );
    let stats = view.stats(true).expect("stats");
    assert_eq!((stats.transactions, stats.txouts), (3, 6));
    assert_eq!(stats.total_amount, 150 + 6);
    assert_eq!(stats.bogosize, 6 * 52);
    assert!(stats.hash_serialized.is_some());
}

#[test]
fn connect_then_disconnect_restores_the_exact_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let view = open(&dir);
    let blocks = chain(3, 1);
    connect_all(&view, &blocks, 0);
    let before = dump(&view);
    let spent = OutPoint::new(blocks[1].txdata[0].compute_txid(), 0);
    // A block spending an old coinbase, with a transaction spending an output made earlier in
    // the same block, and an OP_RETURN output that never enters the view.
    let first = tx(vec![spent], vec![output(30, 7), output(20, 8)]);
    let second = tx(
        vec![OutPoint::new(first.compute_txid(), 1)],
        vec![
            output(19, 9),
            TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::new_op_return([1, 2]),
            },
        ],
    );
    let coinbase = tx(vec![], vec![output(51, 1)]);
    let b4 = block(
        blocks[3].block_hash(),
        4,
        vec![coinbase, first.clone(), second.clone()],
    );
    view.connect(&[(&b4, 4)]).expect("connects");
    assert_eq!(view.coin(&spent).expect("read").0, None, "spent");
    assert!(view
        .coin(&OutPoint::new(first.compute_txid(), 0))
        .expect("read")
        .0
        .is_some());
    assert_eq!(
        view.coin(&OutPoint::new(first.compute_txid(), 1))
            .expect("read")
            .0,
        None
    );
    assert!(view
        .coin(&OutPoint::new(second.compute_txid(), 0))
        .expect("read")
        .0
        .is_some());
    assert_eq!(
        view.coin(&OutPoint::new(second.compute_txid(), 1))
            .expect("read")
            .0,
        None
    );
    assert_eq!(view.len().expect("len"), 6 - 1 + 1 + 1 + 1);

    let undone = view.disconnect_tip().expect("disconnects");
    assert_eq!(undone.map(|b| b.hash), Some(b4.block_hash()));
    assert_eq!(
        dump(&view),
        before,
        "disconnect restores the view byte for byte"
    );
    assert_eq!(view.best_block().expect("best").map(|b| b.height), Some(3));
    assert!(!view.has_undo(&b4.block_hash()).expect("undo"));
    // Down to nothing and up again.
    while view.disconnect_tip().expect("disconnects").is_some() {}
    assert!(view.is_empty().expect("empty"));
    connect_all(&view, &blocks, 0);
    assert_eq!(dump(&view), before);
}

#[test]
fn blocks_that_do_not_fit_are_refused_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let view = open(&dir);
    let blocks = chain(2, 1);
    let err = view
        .connect(&[(&blocks[1], 1)])
        .expect_err("no genesis yet");
    assert!(matches!(err, CoinsError::Inconsistent(_)), "{err}");
    connect_all(&view, &blocks[..2], 0);
    let before = dump(&view);
    let other = chain(2, 2);
    assert!(view.connect(&[(&other[2], 2)]).is_err(), "wrong parent");
    let missing = tx(
        vec![OutPoint::new(other[1].txdata[0].compute_txid(), 0)],
        vec![output(1, 3)],
    );
    let bad = block(
        blocks[1].block_hash(),
        99,
        vec![tx(vec![], vec![output(50, 1)]), missing],
    );
    // The good block and the bad one in one batch: neither is written.
    let err = view
        .connect(&[(&blocks[2], 2), (&bad, 3)])
        .expect_err("spends a missing coin");
    assert!(matches!(err, CoinsError::Inconsistent(_)), "{err}");
    assert_eq!(dump(&view), before);
    assert_eq!(view.best_block().expect("best").map(|b| b.height), Some(1));
}

#[test]
fn reopening_between_blocks_finds_the_last_committed_block_and_can_undo_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocks = chain(5, 1);
    {
        let view = open(&dir);
        connect_all(&view, &blocks[..4], 0);
        // The process dies here: the view is dropped without any shutdown step.
    }
    let view = open(&dir);
    assert_eq!(
        view.best_block().expect("best"),
        Some(BestBlock {
            hash: blocks[3].block_hash(),
            height: 3
        })
    );
    view.connect(&[(&blocks[4], 4)])
        .expect("goes on from there");
    // A competing branch from height 2 replaces blocks 3 and 4 after another "crash".
    drop(view);
    let view = open(&dir);
    let mut branch = vec![blocks[2].clone()];
    for height in 3..=5 {
        let prev = branch[branch.len() - 1].block_hash();
        // Distinct coinbases (BIP34 makes real ones differ by height).
        let coinbase = tx(vec![], vec![output(50 + u64::from(height), 2)]);
        branch.push(block(prev, 500 + height, vec![coinbase]));
    }
    assert_eq!(
        view.disconnect_tip().expect("undo 4").map(|b| b.height),
        Some(4)
    );
    assert_eq!(
        view.disconnect_tip().expect("undo 3").map(|b| b.height),
        Some(3)
    );
    connect_all(&view, &branch[1..], 3);
    assert!(view
        .coin(&OutPoint::new(blocks[4].txdata[0].compute_txid(), 0))
        .expect("read")
        .0
        .is_none());
    assert!(view
        .coin(&OutPoint::new(branch[3].txdata[0].compute_txid(), 0))
        .expect("read")
        .0
        .is_some());
    assert_eq!(view.len().expect("len"), 2 * 2 + 3);
    view.clear().expect("clears");
    assert_eq!(view.best_block().expect("best"), None);
    assert!(view.is_empty().expect("empty"));
}

#[test]
fn a_crash_loses_at_most_the_commits_since_the_last_durable_one_and_leaves_a_whole_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocks = chain(6, 1);
    // A child process connects blocks and dies without any shutdown step (no destructor runs,
    // as under SIGKILL); nextest runs each test in its own process, so forking is safe here.
    // SAFETY: the child only uses the database and then `_exit`s.
    match unsafe { nix::unistd::fork() }.expect("fork") {
        nix::unistd::ForkResult::Child => {
            let view = open(&dir);
            for (height, b) in (0..).zip(&blocks[..4]) {
                if view.connect(&[(b, height)]).is_err() {
                    // SAFETY: ends the child at once, as a crash would.
                    unsafe { libc::_exit(1) };
                }
            }
            // SAFETY: as above.
            unsafe { libc::_exit(0) };
        }
        nix::unistd::ForkResult::Parent { child } => {
            let status = nix::sys::wait::waitpid(child, None).expect("waitpid");
            assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
        }
    }
    let view = open(&dir);
    let best = view
        .best_block()
        .expect("best")
        .expect("genesis was durable");
    // Whatever block the view fell back to, it holds exactly that block's coins and goes on.
    let height = best.height;
    assert_eq!(best.hash, blocks[height as usize].block_hash());
    assert_eq!(view.len().expect("len"), 2 * u64::from(height));
    connect_all(&view, &blocks[height as usize + 1..], height + 1);
    assert_eq!(view.len().expect("len"), 12);
    assert!(view.disconnect_tip().expect("undo").is_some());
}
