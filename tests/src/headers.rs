//! Regtest block headers made by the test itself (grinding the nonce against the regtest
//! target, a few tries each), for `submitheader` and header-sync tests.

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash as _;
use bitcoin::{BlockHash, CompactTarget, TxMerkleNode};

/// Regtest's proof-of-work limit (`0x207fffff`).
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// A chain of headers on top of `prev`, one per entry of `times` (block timestamps), each
/// with valid regtest proof of work. `tag` goes into the merkle root so that two chains
/// from the same parent differ.
pub fn mine_headers(prev: BlockHash, times: &[u32], tag: u8) -> Vec<Header> {
    let target = CompactTarget::from_consensus(REGTEST_BITS);
    let mut prev = prev;
    let mut out = Vec::with_capacity(times.len());
    for (i, time) in times.iter().enumerate() {
        let mut root = [tag; 32];
        root[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let mut header = Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::from_byte_array(root),
            time: *time,
            bits: target,
            nonce: 0,
        };
        while header.validate_pow(header.target()).is_err() {
            header.nonce += 1;
        }
        prev = header.block_hash();
        out.push(header);
    }
    out
}

/// Timestamps `count` blocks apart by Core's 10-minute spacing, the last one `behind`
/// block intervals before `now` (seconds since the epoch).
pub fn spaced_times(count: u32, behind: u32, now: u64) -> Vec<u32> {
    let last = now.saturating_sub(u64::from(behind) * 600);
    (0..count)
        .map(|i| {
            let t = last.saturating_sub(u64::from(count - 1 - i) * 600);
            u32::try_from(t).unwrap_or(u32::MAX)
        })
        .collect()
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
