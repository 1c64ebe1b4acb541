//! The active chain's tip as a plain value ([`Tip`]): what block assembly
//! ([`crate::mining`]), the mempool and the RPCs need to know of it. It depends on nothing
//! else in the crate, so [`crate::mining`] can take it without depending on the chainstate
//! ([`crate::chain`] builds on mining to generate blocks); [`crate::chain`] re-exports it.

use bitcoin::BlockHash;

/// The active chain's tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// Height of the tip.
    pub height: i32,
    /// Hash of the tip.
    pub hash: BlockHash,
    /// The tip header's timestamp.
    pub time: u32,
    /// Median of the last 11 block times (BIP113).
    pub median_time_past: u32,
    /// The tip's compact target.
    pub bits: u32,
}
