//! The chainstate with its coins view, in process: events in chain order through a reorg,
//! and a coins view on a branch the kernel does not know (as after a crash in which the kernel
//! lost blocks the view had connected) brought back in step at startup.

use std::sync::mpsc;

use bitcoin::{BlockHash, OutPoint, ScriptBuf};

use super::{ChainEvent, ChainState};

fn open(dir: &tempfile::TempDir) -> ChainState {
    ChainState::open(dir.path(), common::Chain::Regtest).expect("opens")
}

fn mine(chain: &ChainState, tag: u8, count: usize) -> Vec<BlockHash> {
    let script = ScriptBuf::from_bytes(vec![0x51, tag]);
    (0..count)
        .map(|_| {
            chain
                .mine_block(&script, 1_000_000)
                .expect("mines")
                .expect("found a nonce")
        })
        .collect()
}

fn coinbase(chain: &ChainState, hash: &BlockHash) -> OutPoint {
    let block = chain.block(hash).expect("stored");
    OutPoint::new(block.txdata[0].compute_txid(), 0)
}

#[test]
fn block_events_follow_the_chain_through_a_reorg() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (open(&dir_a), open(&dir_b));
    let (events, received) = mpsc::channel();
    a.subscribe(events);
    let a_blocks = mine(&a, 1, 2);
    let b_blocks = mine(&b, 2, 3);
    for hash in &b_blocks {
        a.submit_block(&b.block(hash).expect("stored"));
    }
    let steps: Vec<(bool, i32, BlockHash)> = received
        .try_iter()
        .filter_map(|e| match e {
            ChainEvent::BlockConnected { hash, height } => Some((true, height, hash)),
            ChainEvent::BlockDisconnected { hash, height } => Some((false, height, hash)),
            _ => None,
        })
        .collect();
    let expected = vec![
        (true, 1, a_blocks[0]),
        (true, 2, a_blocks[1]),
        (false, 2, a_blocks[1]),
        (false, 1, a_blocks[0]),
        (true, 1, b_blocks[0]),
        (true, 2, b_blocks[1]),
        (true, 3, b_blocks[2]),
    ];
    assert_eq!(steps, expected);
    let (gone, best) = a.txout(&coinbase(&a, &a_blocks[0])).expect("reads");
    assert_eq!(gone, None);
    assert_eq!(best.map(|b| (b.hash, b.height)), Some((b_blocks[2], 3)));
    let (coin, _) = a.txout(&coinbase(&a, &b_blocks[0])).expect("reads");
    assert_eq!(coin.map(|c| (c.height, c.coinbase)), Some((1, true)));
    a.close();
    assert!(a.txout(&coinbase(&b, &b_blocks[0])).is_err(), "closed");
}

#[test]
fn a_coins_view_on_a_branch_the_kernel_lost_is_rewound_at_startup() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let a_blocks = {
        let a = open(&dir_a);
        mine(&a, 1, 4)
    };
    let b_blocks = {
        let b = open(&dir_b);
        mine(&b, 2, 6)
    };
    // Give A's kernel B's coins view: six blocks A's kernel has never seen.
    let view = |dir: &tempfile::TempDir| dir.path().join("coins/coins.redb");
    std::fs::copy(view(&dir_b), view(&dir_a)).expect("copies the view");
    let a = open(&dir_a);
    let stats = a.coins_stats(false).expect("stats");
    assert_eq!(
        stats.best.map(|b| (b.hash, b.height)),
        Some((a_blocks[3], 4))
    );
    assert_eq!(stats.txouts, 4, "only A's coinbases");
    let block = a.block(&a_blocks[2]).expect("stored");
    let (coin, _) = a
        .txout(&OutPoint::new(block.txdata[0].compute_txid(), 0))
        .expect("reads");
    assert_eq!(coin.map(|c| c.height), Some(3));
    drop(b_blocks);
}
