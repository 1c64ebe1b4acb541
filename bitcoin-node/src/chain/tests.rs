//! The chainstate with its coins view, in process: events in chain order through a reorg,
//! and a coins view on a branch the kernel does not know (as after a crash in which the kernel
//! lost blocks the view had connected) brought back in step at startup; mined coinbases; chain
//! tips through a fork, a reorg and a restart.

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

#[test]
fn mined_blocks_have_cores_coinbase() {
    let dir = tempfile::tempdir().expect("dir");
    let chain = open(&dir);
    let hashes = mine(&chain, 3, 2);
    let block = chain.block(&hashes[1]).expect("stored");
    let coinbase = &block.txdata[0];
    assert_eq!(coinbase.input[0].sequence.0, 0xffff_fffe);
    assert_eq!(coinbase.lock_time.to_consensus_u32(), 1);
    // Height 2 as `OP_2`, then `OP_0` for the 2-byte minimum.
    assert_eq!(coinbase.input[0].script_sig.as_bytes(), [0x52, 0x00]);
    assert_eq!(coinbase.output[0].value, chain.subsidy(2));
}

#[test]
fn chain_tips_follow_forks_and_survive_a_restart() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (open(&dir_a), open(&dir_b));
    let a_blocks = mine(&a, 1, 2);
    let b_blocks = mine(&b, 2, 3);
    let summary = |chain: &ChainState| -> Vec<(i32, BlockHash, i32, &'static str)> {
        let tips = chain.chain_tips();
        tips.iter()
            .map(|t| (t.height, t.hash, t.branch_len, t.status.as_str()))
            .collect()
    };
    assert_eq!(summary(&a), [(2, a_blocks[1], 0, "active")]);
    for hash in &b_blocks[..2] {
        a.submit_block(&b.block(hash).expect("stored"));
    }
    // Equal work: stored, not validated.
    let mut expected = vec![
        (2, a_blocks[1], 0, "active"),
        (2, b_blocks[1], 2, "valid-headers"),
    ];
    expected.sort_by_key(|t| t.1);
    assert_eq!(summary(&a), expected);
    a.submit_block(&b.block(&b_blocks[2]).expect("stored"));
    let expected = [
        (3, b_blocks[2], 0, "active"),
        (2, a_blocks[1], 2, "valid-fork"),
    ];
    assert_eq!(summary(&a), expected);
    a.close();
    drop(a);
    assert_eq!(summary(&open(&dir_a)), expected);
}
