//! Headers first on the kernel: headers from one chainstate processed by another, the
//! blocks it then misses, delivered out of order, and the locator and `getheaders` answers.

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, ScriptBuf};

use super::ChainState;

fn open(dir: &tempfile::TempDir) -> ChainState {
    ChainState::open(dir.path(), common::Chain::Regtest).expect("opens")
}

#[test]
fn headers_first_then_blocks_in_any_order() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (open(&dir_a), open(&dir_b));
    let script = ScriptBuf::from_bytes(vec![0x51]);
    for _ in 0..30 {
        a.mine_block(&script, 1_000_000)
            .expect("mines")
            .expect("nonce");
    }
    let tip = a.tip().expect("tip");
    let locator = a.locator();
    assert_eq!(locator.first(), Some(&tip.hash));
    assert_eq!(locator.last(), a.block_hash_at(0).as_ref());
    assert!(locator.len() < 20, "sparse: {}", locator.len());

    // B asks with its own locator (genesis only) and gets all 30 headers.
    let headers = a.headers_after(&b.locator(), &BlockHash::all_zeros(), 2000);
    assert_eq!(headers.len(), 30);
    assert_eq!(
        a.headers_after(&b.locator(), &headers[9].block_hash(), 2000)
            .len(),
        10
    );
    b.process_headers(&headers).expect("valid headers");
    assert_eq!(b.best_header_height(), Some(30));
    assert_eq!(b.header_height(&tip.hash), Some(30));
    let missing = b.missing_blocks(1024);
    assert_eq!(missing.len(), 30);
    assert_eq!(missing[0].1, 1);
    assert_eq!(b.missing_blocks(5).len(), 5);

    // Blocks arrive newest first: each is stored, the chain connects when the first comes.
    for (hash, _) in missing.iter().rev() {
        let block = a.block(hash).expect("stored on A");
        assert!(!matches!(
            b.submit_block(&block),
            super::SubmitOutcome::Rejected(_)
        ));
    }
    assert_eq!(b.tip().map(|t| t.hash), Some(tip.hash));
    assert!(b.missing_blocks(1024).is_empty());

    // A header that does not connect is refused.
    let mut orphan = headers[5];
    orphan.prev_blockhash = BlockHash::from_byte_array([7; 32]);
    assert!(b.process_headers(&[orphan]).is_err());
}
